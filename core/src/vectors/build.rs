//! The vector part of a generation: one passage per product, embedded only when the embedding
//! cache (in the replica, keyed on model id and passage hash) does not have it yet. Each batch
//! is written to the cache as soon as it is embedded, so a cancelled or killed reindex keeps
//! what it paid for. Progress shows rate and ETA.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use super::items::VectorItem;
use super::store::{VectorDelta, VectorSet};
use super::{Embedder, VectorError, passage, passage_hash};
use crate::catalog::{Catalog, Product};
use crate::filter::{AttributeOrds, Facet};
use crate::index::{Staged, VectorManifest};
use crate::progress::Progress;

/// Texts embedded per call (and per cache write).
const BATCH: usize = 64;
/// Folder of the vectors in a generation.
pub const VECTORS_DIR: &str = "vectors";

/// The value ordinals of a product's attribute facets (as the text index numbered them).
fn attribute_ords(product: &Product, value_ord: &HashMap<(Facet, &str), u32>) -> AttributeOrds {
    Facet::ATTRIBUTES.map(|facet| {
        let mut ords: Vec<u32> = product
            .attribute_values(facet.key())
            .iter()
            .filter_map(|v| {
                value_ord
                    .get(&(facet, v.trim().to_lowercase().as_str()))
                    .copied()
            })
            .collect();
        ords.sort_unstable();
        ords.dedup();
        ords
    })
}

/// What a vector's row says of its product for the filters, numbered as the generation's
/// dictionaries number categories and attribute values.
struct Facts<'a> {
    category_ord: HashMap<&'a str, u32>,
    value_ord: HashMap<(Facet, &'a str), u32>,
}

impl<'a> Facts<'a> {
    fn new(dictionaries: &'a crate::index::Dictionaries) -> Facts<'a> {
        Facts {
            category_ord: dictionaries
                .categories
                .iter()
                .enumerate()
                .map(|(i, c)| (c.id.as_str(), i as u32))
                .collect(),
            value_ord: dictionaries
                .attributes
                .iter()
                .flat_map(|(&facet, values)| {
                    values
                        .iter()
                        .enumerate()
                        .map(move |(i, v)| ((facet, v.as_str()), i as u32))
                })
                .collect(),
        }
    }

    /// The row of `product`, in the category `path`.
    fn item(&self, product: Product, path: &[&crate::catalog::Category]) -> VectorItem {
        VectorItem {
            categories: path
                .iter()
                .filter_map(|c| self.category_ord.get(c.id.as_str()).copied())
                .collect(),
            price: product.price,
            stock: product.stock,
            featured: product.featured,
            attributes: attribute_ords(&product, &self.value_ord),
            id: product.id,
            retired: false,
        }
    }
}

/// The vectors of `texts` (embedded as passages), in order: from the replica's embedding cache,
/// the missing ones embedded and cached (for what the engine embeds besides products: the
/// reference names of honest empty answers).
pub fn embed_cached(
    catalog: &Catalog,
    embedder: &dyn Embedder,
    texts: &[String],
) -> Result<Vec<Vec<f32>>, VectorError> {
    let hashes: Vec<i64> = texts.iter().map(|t| passage_hash(t)).collect();
    let mut known = catalog.cached_embeddings(embedder.model_id(), &hashes)?;
    let mut missing: Vec<(i64, &String)> = hashes
        .iter()
        .zip(texts)
        .filter(|(h, _)| !known.contains_key(h))
        .map(|(h, t)| (*h, t))
        .collect();
    missing.sort_unstable();
    missing.dedup_by_key(|(h, _)| *h);
    embed_into_cache(catalog, embedder, &missing, &mut known, None)?;
    Ok(hashes
        .iter()
        .map(|h| known.get(h).cloned().unwrap_or_default())
        .collect())
}

/// Embeds `missing` passages in batches, writing each batch to the cache at once (a cancelled
/// build keeps its work) and into `known`; progress shows rate and ETA.
///
/// The passages go to the model shortest first: the model pads a batch to its longest text, so
/// a batch of like lengths computes little padding. Chunked in catalog order, a batch of 64
/// held a spread of lengths: sorted, 20,000 generated products embed 1.24 times as fast.
fn embed_into_cache(
    catalog: &Catalog,
    embedder: &dyn Embedder,
    missing: &[(i64, &String)],
    known: &mut HashMap<i64, Vec<f32>>,
    cancel: Option<&AtomicBool>,
) -> Result<(), VectorError> {
    let mut by_length = missing.to_vec();
    by_length.sort_by_key(|(hash, text)| (text.len(), *hash));
    let mut progress = Progress::new("embed", Some(missing.len() as u64));
    for batch in by_length.chunks(BATCH) {
        if cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            return Err(VectorError::Cancelled);
        }
        let texts: Vec<String> = batch.iter().map(|(_, t)| (*t).clone()).collect();
        let vectors = embedder.embed_passages(&texts)?;
        let entries: Vec<(i64, &[f32])> = batch
            .iter()
            .zip(&vectors)
            .map(|((h, _), v)| (*h, v.as_slice()))
            .collect();
        catalog.store_embeddings(embedder.model_id(), &entries)?;
        for ((hash, _), vector) in batch.iter().zip(vectors) {
            known.insert(*hash, vector);
        }
        progress.inc(batch.len() as u64);
    }
    progress.finish();
    Ok(())
}

/// A set whose retired rows would pass this share of its rows is built whole instead.
const MAX_RETIRED_SHARE: f64 = 0.1;

/// The vectors of the staged generation from `previous` (the live generation's vectors
/// folder), changed for the `touched` products only: a product whose passage is unchanged
/// keeps its row and gets its new filter facts (price, stock, featured, attribute ordinals);
/// a new product, or one whose passage changed, is embedded (through the cache) into a new row
/// inserted into the graph, its old row retired; a deleted product's row is retired
/// ([`VectorSet::write_delta`]). `None` when the set must be built whole: another model's
/// vectors, a graph of the former library, or retired rows past a tenth of the set.
pub fn update(
    staged: &Staged,
    catalog: &Catalog,
    previous: &std::path::Path,
    previous_manifest: &VectorManifest,
    touched: &std::collections::BTreeSet<String>,
    embedder: &dyn Embedder,
) -> Result<Option<VectorManifest>, VectorError> {
    let started = Instant::now();
    let model_id = embedder.model_id();
    if previous_manifest.model_id != model_id {
        return Ok(None);
    }
    let Some(items) = VectorSet::items_to_update(previous)? else {
        return Ok(None);
    };
    let retired_before = items.iter().filter(|i| i.retired).count();
    let rows: HashMap<&str, usize> = items
        .iter()
        .enumerate()
        .filter(|(_, item)| !item.retired)
        .map(|(i, item)| (item.id.as_str(), i))
        .collect();
    let tree = catalog.category_tree()?;
    let facts = Facts::new(staged.dictionaries());
    let mut delta = VectorDelta::default();
    // Products that need a new row: (item, passage hash, passage).
    let mut fresh: Vec<(VectorItem, i64, String)> = Vec::new();
    for id in touched {
        let row = rows.get(id.as_str()).copied();
        let Some(product) = catalog.product(id)? else {
            if row.is_some() {
                delta.retire.push(id.clone());
            }
            continue;
        };
        let path = tree.path(&product.category_id);
        let text = passage(&product, &path);
        let hash = passage_hash(&text);
        let item = facts.item(product, &path);
        // The row still stands for the product when the cache's vector of this passage is the
        // row's own.
        let cached = catalog.cached_embeddings(model_id, &[hash])?;
        let same = row.is_some_and(|row| {
            cached.get(&hash).is_some_and(|v| {
                VectorSet::read_row(previous, row, v.len()).ok().as_ref() == Some(v)
            })
        });
        if same {
            delta.facts.push(item);
        } else {
            if row.is_some() {
                delta.retire.push(id.clone());
            }
            fresh.push((item, hash, text));
        }
    }
    let retired_after = retired_before + delta.retire.len();
    if retired_after as f64 > MAX_RETIRED_SHARE * (items.len() + fresh.len()) as f64 {
        return Ok(None);
    }
    let hashes: Vec<i64> = fresh.iter().map(|(_, h, _)| *h).collect();
    let mut known = catalog.cached_embeddings(model_id, &hashes)?;
    let missing: Vec<(i64, &String)> = fresh
        .iter()
        .filter(|(_, h, _)| !known.contains_key(h))
        .map(|(_, h, t)| (*h, t))
        .collect();
    embed_into_cache(catalog, embedder, &missing, &mut known, None)?;
    let embedded = missing.len();
    for (item, hash, _) in fresh {
        let vector = known
            .get(&hash)
            .cloned()
            .ok_or_else(|| VectorError::Runtime("a passage has no vector".to_owned()))?;
        delta.add.push((item, vector));
    }
    let counts =
        VectorSet::write_delta(previous, &staged.dir().join(VECTORS_DIR), model_id, delta)?;
    tracing::info!(
        retired = counts.retired,
        added = counts.added,
        lists = counts.lists,
        embedded,
        took_ms = started.elapsed().as_millis() as u64,
        "vectors updated from the live generation"
    );
    Ok(Some(VectorManifest {
        count: previous_manifest.count + counts.added - counts.retired,
        embedded,
        embed_ms: started.elapsed().as_millis() as u64,
        ..previous_manifest.clone()
    }))
}

/// The rows sorted by category path (root first), then price (catalog order kept for equal
/// prices), so that every category's rows, subcategories included, lie next to each other: a
/// scan of a category then reads its codes in one sequential run instead of jumping across the
/// whole set (at a million rows, 40 ns a row out of order against about 13 in order). Within a
/// category, cheap rows lie together too: a scan with a price filter skips the blocks of rows
/// outside it ([`super::items::Items::blocks_passing`]). Rows added later by a delta go at the
/// end until the next whole build.
fn in_category_order(
    items: Vec<VectorItem>,
    vectors: Vec<Vec<f32>>,
) -> (Vec<VectorItem>, Vec<Vec<f32>>) {
    let mut rows: Vec<(VectorItem, Vec<f32>)> = items.into_iter().zip(vectors).collect();
    rows.sort_by(|(a, _), (b, _)| {
        a.categories
            .cmp(&b.categories)
            .then(a.price.total_cmp(&b.price))
    });
    rows.into_iter().unzip()
}

/// Embeds the catalog (through the cache) and writes the vectors into the staged generation.
pub fn build(
    staged: &Staged,
    catalog: &Catalog,
    embedder: &dyn Embedder,
    cancel: Option<&AtomicBool>,
) -> Result<VectorManifest, VectorError> {
    let started = Instant::now();
    let tree = catalog.category_tree()?;
    let facts = Facts::new(staged.dictionaries());
    let mut items = Vec::new();
    let mut passages = Vec::new();
    catalog.for_each_product(|product: Product| {
        let path = tree.path(&product.category_id);
        passages.push(passage(&product, &path));
        items.push(facts.item(product, &path));
        Ok::<(), VectorError>(())
    })?;
    let hashes: Vec<i64> = passages.iter().map(|p| passage_hash(p)).collect();
    let model_id = embedder.model_id().to_owned();
    let mut known = catalog.cached_embeddings(&model_id, &hashes)?;

    // Distinct passages the cache lacks, in catalog order.
    let mut queued = HashSet::new();
    let missing: Vec<(i64, &String)> = hashes
        .iter()
        .zip(&passages)
        .filter(|(hash, _)| !known.contains_key(*hash) && queued.insert(**hash))
        .map(|(hash, text)| (*hash, text))
        .collect();
    let embedded = missing.len();
    embed_into_cache(catalog, embedder, &missing, &mut known, cancel)?;

    let vectors: Vec<Vec<f32>> = hashes
        .iter()
        .map(|h| {
            known
                .get(h)
                .cloned()
                .ok_or_else(|| VectorError::Runtime("a passage has no vector".to_owned()))
        })
        .collect::<Result<_, _>>()?;
    let (items, vectors) = in_category_order(items, vectors);
    let count = vectors.len();
    let dir = staged.dir().join(VECTORS_DIR);
    VectorSet::write(&dir, &model_id, embedder.dimension(), items, &vectors, true)?;
    let neighbours_started = Instant::now();
    VectorSet::open(&dir, &model_id)?.write_neighbours(&dir)?;
    tracing::info!(
        vectors = count,
        took_ms = neighbours_started.elapsed().as_millis() as u64,
        "neighbour lists computed"
    );
    Ok(VectorManifest {
        model_id,
        dimension: embedder.dimension(),
        count,
        embedded,
        embed_ms: started.elapsed().as_millis() as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vectors::SyntheticEmbedder;
    use std::sync::Mutex;

    /// Synthetic vectors; remembers the texts of each call.
    #[derive(Default)]
    struct Recording {
        calls: Mutex<Vec<Vec<String>>>,
    }

    impl Embedder for Recording {
        fn model_id(&self) -> &str {
            SyntheticEmbedder.model_id()
        }
        fn dimension(&self) -> usize {
            SyntheticEmbedder.dimension()
        }
        fn embed_passages(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, VectorError> {
            self.calls.lock().unwrap().push(texts.to_vec());
            SyntheticEmbedder.embed_passages(texts)
        }
        fn embed_query(&self, text: &str) -> Result<Vec<f32>, VectorError> {
            SyntheticEmbedder.embed_query(text)
        }
    }

    #[test]
    fn passages_reach_the_model_shortest_first_and_come_back_in_their_order() {
        let dir = tempfile::tempdir().unwrap();
        let catalog = Catalog::open(&dir.path().join("catalog.db")).unwrap();
        // Lengths spread over several batches, in no order, with one text twice.
        let mut texts: Vec<String> = (0..3 * BATCH)
            .map(|i| format!("lampe {i} {}", "laiton ".repeat((i * 37) % 50)))
            .collect();
        texts.push(texts[5].clone());
        let recording = Recording::default();
        let vectors = embed_cached(&catalog, &recording, &texts).unwrap();

        let calls = recording.calls.into_inner().unwrap();
        assert!(calls.iter().all(|c| c.len() <= BATCH));
        let sent: Vec<&String> = calls.iter().flatten().collect();
        assert_eq!(
            sent.len(),
            texts.len() - 1,
            "the repeated text is embedded once"
        );
        assert!(sent.windows(2).all(|w| w[0].len() <= w[1].len()));
        for (text, vector) in texts.iter().zip(&vectors) {
            assert_eq!(
                *vector,
                SyntheticEmbedder
                    .embed_passages(std::slice::from_ref(text))
                    .unwrap()[0]
            );
        }
        // The cache holds them: a second call embeds nothing.
        let again = Recording::default();
        assert_eq!(embed_cached(&catalog, &again, &texts).unwrap(), vectors);
        assert!(again.calls.into_inner().unwrap().is_empty());
    }

    fn item(id: &str, categories: &[u32], price: f64) -> VectorItem {
        VectorItem {
            categories: categories.to_vec(),
            price,
            stock: 1,
            featured: false,
            attributes: Default::default(),
            id: id.to_owned(),
            retired: false,
        }
    }

    #[test]
    fn rows_in_category_order_put_each_category_in_one_run_by_price_and_keep_their_vectors() {
        // Catalog order mixes two top categories (0 and 1) and their children; p1 and p3 share
        // a category, p3 the cheaper; p6 and p7 share one and a price.
        let rows: [(&[u32], f64); 8] = [
            (&[1, 5], 10.0),
            (&[0, 3], 30.0),
            (&[1, 4], 10.0),
            (&[0, 3], 20.0),
            (&[1], 10.0),
            (&[0, 2], 10.0),
            (&[1, 6], 5.0),
            (&[1, 6], 5.0),
        ];
        let items: Vec<VectorItem> = rows
            .iter()
            .enumerate()
            .map(|(i, (path, price))| item(&format!("p{i}"), path, *price))
            .collect();
        let vectors: Vec<Vec<f32>> = (0..rows.len()).map(|i| vec![i as f32]).collect();
        let (items, vectors) = in_category_order(items, vectors);
        let ids: Vec<&str> = items.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["p5", "p3", "p1", "p4", "p2", "p0", "p6", "p7"]);
        for (item, vector) in items.iter().zip(&vectors) {
            assert_eq!(format!("p{}", vector[0]), item.id);
        }
        for category in [0, 1, 2, 3, 4, 5, 6] {
            let rows: Vec<usize> = (0..items.len())
                .filter(|&r| items[r].categories.contains(&category))
                .collect();
            assert_eq!(rows.last().unwrap() - rows[0] + 1, rows.len(), "{category}");
        }
    }
}
