//! Reindex: builds a new generation from the replica and makes it live.
//!
//! Steps: pick `gen-<n+1>`, index every product (progress shown), commit, write
//! `dictionaries.json`, then `manifest.json` (temp file, fsync, rename), then switch `current`
//! by renaming a fresh symlink over it. Any failure or cancellation before the switch removes the
//! half-built directory and leaves the live generation serving; a kill leaves a directory with
//! no manifest, which readers ignore and the next reindex removes. The previous generation is
//! kept for rollback; older ones are pruned.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use tantivy::{Index, IndexWriter, TantivyDocument};

use super::schema::{self, Fields, MASK_BITS, TextField};
use super::{
    Dictionaries, FORMAT_VERSION, FacetCategory, IndexError, Manifest, SIZE_LARGE, SIZE_MEDIUM,
    SIZE_SMALL, SIZE_UNKNOWN, StoredHit, VectorManifest, io_error,
};
use crate::catalog::{Catalog, Product, strip_html};
use crate::filter::Facet;
use crate::progress::Progress;

pub(crate) const CURRENT: &str = "current";
pub(crate) const MANIFEST: &str = "manifest.json";
pub(crate) const DICTIONARIES: &str = "dictionaries.json";
pub(crate) const TEXT_DIR: &str = "text";
const GEN_PREFIX: &str = "gen-";
/// Bytes of stored documents per block of the text index's store: one or two products.
const DOC_STORE_BLOCK: usize = 1_024;

/// How to reindex.
#[derive(Debug, Clone, Copy)]
pub struct ReindexOptions<'a> {
    /// Set to stop the build; the live generation stays untouched.
    pub cancel: Option<&'a AtomicBool>,
    /// Indexing threads.
    pub threads: usize,
    /// Memory budget of the index writer, in bytes, for all threads together.
    pub memory_budget: usize,
    /// Window of the popularity signal, in days.
    pub popularity_days: u32,
}

impl Default for ReindexOptions<'_> {
    fn default() -> Self {
        ReindexOptions {
            cancel: None,
            threads: std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .min(4),
            memory_budget: 256 << 20,
            popularity_days: 90,
        }
    }
}

fn generation_number(name: &str) -> Option<u64> {
    name.strip_prefix(GEN_PREFIX)?.parse().ok()
}

/// The generation directories of an index folder, complete or not, by number, oldest first.
pub(crate) fn generations(index_dir: &Path) -> Result<Vec<(u64, String)>, IndexError> {
    let mut found: Vec<(u64, String)> = std::fs::read_dir(index_dir)
        .map_err(io_error(index_dir))?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            generation_number(&name).map(|n| (n, name))
        })
        .collect();
    found.sort();
    Ok(found)
}

/// A generation whose text index is built but that is not live yet: more parts (vectors) may
/// be added to [`Staged::dir`] before [`Staged::publish`]. Dropped unpublished, it is removed.
pub struct Staged {
    index_dir: PathBuf,
    name: String,
    manifest: Manifest,
    dictionaries: Dictionaries,
    live: Option<PathBuf>,
    older: Vec<String>,
    started: Instant,
    published: bool,
    /// This generation was built from the live one and shares its segment files: opening the
    /// live one again to check its checksums (a second of reading at 100,000 products) would
    /// only check files this one holds too, and which the engine checks when it loads this
    /// one (refusing it, and serving the live one, if they are damaged). It is kept as the
    /// previous generation as it is.
    live_is_sound: bool,
}

/// The next generation's place: `gen-<n+1>` in `index_dir`, after removing leftovers of killed
/// builds; what is live and what exists, for [`Staged::publish`].
struct Next {
    name: String,
    number: u64,
    live: Option<PathBuf>,
    existing: Vec<(u64, String)>,
}

fn next_generation(index_dir: &Path) -> Result<Next, IndexError> {
    std::fs::create_dir_all(index_dir).map_err(io_error(index_dir))?;
    let live = std::fs::read_link(index_dir.join(CURRENT)).ok();
    let existing = generations(index_dir)?;
    // Directories without a manifest are leftovers of a killed build.
    for (_, name) in &existing {
        let dir = index_dir.join(name);
        if !dir.join(MANIFEST).is_file() && live.as_deref() != Some(Path::new(name)) {
            tracing::warn!(dir = %dir.display(), "removing incomplete generation");
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    let number = existing.last().map_or(1, |(n, _)| n + 1);
    Ok(Next {
        name: format!("{GEN_PREFIX}{number:06}"),
        number,
        live,
        existing,
    })
}

impl Next {
    /// The staged generation once `build` made its files; its directory goes when it fails.
    fn stage(
        self,
        index_dir: &Path,
        started: Instant,
        build: impl FnOnce(&Path, u64) -> Result<Option<(Manifest, Dictionaries)>, IndexError>,
    ) -> Result<Option<Staged>, IndexError> {
        let dir = index_dir.join(&self.name);
        match build(&dir, self.number) {
            Ok(Some((manifest, dictionaries))) => Ok(Some(Staged {
                index_dir: index_dir.to_owned(),
                name: self.name,
                manifest,
                dictionaries,
                live: self.live,
                older: self.existing.into_iter().map(|(_, n)| n).collect(),
                started,
                published: false,
                live_is_sound: false,
            })),
            Ok(None) => {
                let _ = std::fs::remove_dir_all(&dir);
                Ok(None)
            }
            Err(e) => {
                let _ = std::fs::remove_dir_all(&dir);
                Err(e)
            }
        }
    }
}

/// Builds the text part of a new generation in `index_dir/gen-<n+1>/`.
pub fn stage(
    catalog: &Catalog,
    index_dir: &Path,
    options: &ReindexOptions,
) -> Result<Staged, IndexError> {
    let started = Instant::now();
    let next = next_generation(index_dir)?;
    let staged = next.stage(index_dir, started, |dir, number| {
        build_generation(catalog, dir, number, options, started).map(Some)
    })?;
    Ok(staged.expect("a full build always stages"))
}

/// A generation built from `previous` holds at most this many segments: past it, the next one
/// is built whole (one segment again), so that prefix and typo expansion stay cheap.
const MAX_SEGMENTS: usize = 8;

/// Builds the text part of a new generation from `previous` (the live one): its segments are
/// hard-linked (tantivy never changes a segment file), the documents of `touched` products
/// are deleted, and those still in the replica added again in a segment of their own, so the
/// cost follows the change, not the catalog. `None` when the generation must be built whole:
/// the category tree changed (ordinals would move), or `previous` has [`MAX_SEGMENTS`].
///
/// Untouched products keep their popularity and size class as `previous` computed them; the
/// next whole build (`reindex`, a sync's reconcile) brings them up to date.
pub fn stage_delta(
    catalog: &Catalog,
    index_dir: &Path,
    previous: &Path,
    touched: &std::collections::BTreeSet<String>,
    options: &ReindexOptions,
) -> Result<Option<Staged>, IndexError> {
    let started = Instant::now();
    let next = next_generation(index_dir)?;
    let staged = next.stage(index_dir, started, |dir, number| {
        build_delta(catalog, dir, number, previous, touched, options, started)
    })?;
    Ok(staged.map(|mut staged| {
        staged.live_is_sound = staged
            .live
            .as_deref()
            .is_some_and(|live| index_dir.join(live) == previous);
        staged
    }))
}

/// Hard-links (or copies, across file systems) every file of `from` into `to`, but copies the
/// JSON files tantivy rewrites (`meta.json`, `.managed.json`).
fn link_files(from: &Path, to: &Path) -> Result<(), IndexError> {
    std::fs::create_dir_all(to).map_err(io_error(to))?;
    for entry in std::fs::read_dir(from).map_err(io_error(from))? {
        let entry = entry.map_err(io_error(from))?;
        if !entry.file_type().map_err(io_error(from))?.is_file() {
            continue;
        }
        let (source, target) = (entry.path(), to.join(entry.file_name()));
        let rewritten = source.extension().is_some_and(|e| e == "json");
        if rewritten || std::fs::hard_link(&source, &target).is_err() {
            std::fs::copy(&source, &target).map_err(io_error(&target))?;
        }
    }
    Ok(())
}

fn build_delta(
    catalog: &Catalog,
    dir: &Path,
    number: u64,
    previous: &Path,
    touched: &std::collections::BTreeSet<String>,
    options: &ReindexOptions,
    started: Instant,
) -> Result<Option<(Manifest, Dictionaries)>, IndexError> {
    let mut dictionaries: Dictionaries = super::read_json(&previous.join(DICTIONARIES))?;
    let tree = catalog.category_tree()?;
    if category_dictionary(&tree).categories != dictionaries.categories {
        return Ok(None);
    }
    let text_dir = dir.join(TEXT_DIR);
    link_files(&previous.join(TEXT_DIR), &text_dir)?;
    let index = Index::open_in_dir(&text_dir)?;
    if index.searchable_segment_ids()?.len() >= MAX_SEGMENTS {
        return Ok(None);
    }
    crate::text::register(index.tokenizers());
    let fields = schema::fields_of(&index.schema())?;
    let ord_of: HashMap<&str, usize> = dictionaries
        .categories
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i))
        .collect();
    let mut attribute_ords: Vec<HashMap<String, u64>> = Facet::ATTRIBUTES
        .iter()
        .map(|facet| {
            dictionaries
                .attributes
                .get(facet)
                .into_iter()
                .flatten()
                .enumerate()
                .map(|(i, v)| (v.clone(), i as u64))
                .collect()
        })
        .collect();
    let read = Instant::now();
    // The touched products still in the replica; a deleted one's document goes, nothing
    // comes back.
    let mut products = Vec::new();
    for id in touched {
        products.extend(catalog.product(id)?);
    }
    let ids: Vec<&str> = products.iter().map(|p| p.id.as_str()).collect();
    let sold = catalog.units_sold_of(&ids, options.popularity_days)?;
    let categories: std::collections::BTreeSet<&str> =
        products.iter().map(|p| p.category_id.as_str()).collect();
    let size_bounds = size_bounds(catalog.footprints_of(&categories)?);
    let read_ms = read.elapsed().as_millis() as u64;
    let mut writer: IndexWriter = index.writer_with_num_threads(1, 32 << 20)?;
    for id in touched {
        writer.delete_term(tantivy::Term::from_field_text(fields.id, id));
    }
    for product in products {
        if options.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            return Err(IndexError::Cancelled);
        }
        let category_path = tree.path(&product.category_id);
        let category_ords: Vec<u64> = category_path
            .iter()
            .filter_map(|c| ord_of.get(c.id.as_str()).map(|&o| o as u64))
            .collect();
        writer.add_document(document(
            &fields,
            &product,
            &category_path,
            &category_ords,
            &mut attribute_ords,
            &sold,
            &size_bounds,
        )?)?;
    }
    writer.commit()?;
    writer.wait_merging_threads()?;
    let reader = index.reader()?;
    let products = reader.searcher().num_docs();
    tracing::info!(
        touched = touched.len(),
        read_ms,
        took_ms = started.elapsed().as_millis() as u64,
        "text index built from the live generation"
    );
    for (facet, ords) in Facet::ATTRIBUTES.into_iter().zip(attribute_ords) {
        let mut values = vec![String::new(); ords.len()];
        for (value, ord) in ords {
            values[ord as usize] = value;
        }
        dictionaries.attributes.insert(facet, values);
    }
    write_json(&dir.join(DICTIONARIES), &dictionaries)?;
    let base: Manifest = super::read_json(&previous.join(MANIFEST))?;
    let manifest = Manifest {
        format_version: FORMAT_VERSION,
        generation: number,
        catalog: catalog.watermark()?,
        products,
        categories: tree.all().len() as u64,
        built_at: chrono::Utc::now().to_rfc3339(),
        build_ms: started.elapsed().as_millis() as u64,
        vectors: None,
        built_from: Some(base.generation),
    };
    Ok(Some((manifest, dictionaries)))
}

/// The category part of a generation's dictionaries: every category, ordinals by slug.
fn category_dictionary(tree: &crate::catalog::CategoryTree) -> Dictionaries {
    let mut categories: Vec<_> = tree.all().iter().collect();
    categories.sort_by(|a, b| a.slug.cmp(&b.slug));
    let ord_of: HashMap<&str, usize> = categories
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i))
        .collect();
    Dictionaries {
        categories: categories
            .iter()
            .map(|c| FacetCategory {
                id: c.id.clone(),
                slug: c.slug.clone(),
                name: c.name.clone(),
                parent: c.parent_id.as_deref().and_then(|p| ord_of.get(p).copied()),
            })
            .collect(),
        attributes: Default::default(),
    }
}

impl Staged {
    /// The generation's directory.
    pub fn dir(&self) -> PathBuf {
        self.index_dir.join(&self.name)
    }

    /// The facet dictionaries of the generation (category ordinals).
    pub fn dictionaries(&self) -> &Dictionaries {
        &self.dictionaries
    }

    /// Writes the manifest (last), makes the generation live, keeps the one it replaces and
    /// prunes older ones.
    pub fn publish(mut self, vectors: Option<VectorManifest>) -> Result<Manifest, IndexError> {
        self.manifest.vectors = vectors;
        self.manifest.build_ms = self.started.elapsed().as_millis() as u64;
        write_json(&self.dir().join(MANIFEST), &self.manifest)?;
        switch_current(&self.index_dir, &self.name)?;
        self.published = true;
        tracing::info!(
            generation = self.manifest.generation,
            products = self.manifest.products,
            took_ms = self.manifest.build_ms,
            "generation live"
        );
        // The previous generation kept is the newest one that opens (checksums included): a
        // damaged live generation must not push out the intact one before it.
        let previous: Option<PathBuf> = match (self.live_is_sound, &self.live) {
            (true, Some(live)) => Some(live.clone()),
            _ => self
                .live
                .iter()
                .cloned()
                .chain(self.older.iter().rev().map(PathBuf::from))
                .find(|name| super::Generation::open(&self.index_dir.join(name)).is_ok()),
        };
        let keep: Vec<&Path> = [Some(Path::new(self.name.as_str())), previous.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        for old in &self.older {
            if !keep.contains(&Path::new(old.as_str())) {
                let _ = std::fs::remove_dir_all(self.index_dir.join(old));
            }
        }
        Ok(self.manifest.clone())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.published {
            let _ = std::fs::remove_dir_all(self.dir());
        }
    }
}

fn build_generation(
    catalog: &Catalog,
    dir: &Path,
    number: u64,
    options: &ReindexOptions,
    started: Instant,
) -> Result<(Manifest, Dictionaries), IndexError> {
    let text_dir = dir.join(TEXT_DIR);
    std::fs::create_dir_all(&text_dir).map_err(io_error(&text_dir))?;
    let watermark = catalog.watermark()?;
    let (schema, fields) = schema::build();
    // Stored documents uncompressed: every hit of a page reads its card (texts for the
    // highlights), and LZ4-decompressing a 16 KiB block per hit was an eighth of a lexical
    // search at 100,000 products. The index grows by the texts' size; the OS caches it.
    // Small blocks ([`DOC_STORE_BLOCK`]): tantivy copies a hit's whole block out of the store
    // even uncompressed, and a stored product is about 700 bytes at 100,000 products, so its
    // default 16 KiB block copied some 20 of them per hit.
    let settings = tantivy::IndexSettings {
        docstore_compression: tantivy::store::Compressor::None,
        docstore_blocksize: DOC_STORE_BLOCK,
        ..tantivy::IndexSettings::default()
    };
    let index = Index::builder()
        .schema(schema)
        .settings(settings)
        .create_in_dir(&text_dir)?;
    crate::text::register(index.tokenizers());

    let tree = catalog.category_tree()?;
    let mut dictionaries = category_dictionary(&tree);
    let ord_of: HashMap<&str, usize> = dictionaries
        .categories
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i))
        .collect();
    let mut attribute_ords: Vec<HashMap<String, u64>> =
        vec![HashMap::new(); Facet::ATTRIBUTES.len()];
    let sold = catalog.units_sold(options.popularity_days)?;
    let size_bounds = size_bounds(catalog.footprints()?);

    let total = catalog.product_count()?;
    let threads = options.threads.max(1);
    let mut writer: IndexWriter =
        index.writer_with_num_threads(threads, options.memory_budget.max(threads * (16 << 20)))?;
    let mut progress = Progress::new("index", Some(total));
    catalog.for_each_product(|product: Product| {
        if options.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            return Err(IndexError::Cancelled);
        }
        let category_path = tree.path(&product.category_id);
        let category_ords: Vec<u64> = category_path
            .iter()
            .filter_map(|c| ord_of.get(c.id.as_str()).map(|&o| o as u64))
            .collect();
        let doc = document(
            &fields,
            &product,
            &category_path,
            &category_ords,
            &mut attribute_ords,
            &sold,
            &size_bounds,
        )?;
        writer.add_document(doc)?;
        progress.inc(1);
        Ok(())
    })?;
    writer.commit()?;
    // One segment per generation: one term dictionary to expand prefixes and typos against,
    // one set of postings per term.
    let segments = index.searchable_segment_ids()?;
    if segments.len() > 1 {
        writer.merge(&segments).wait()?;
    }
    writer.wait_merging_threads()?;
    let products = progress.done();
    progress.finish();

    for (facet, ords) in Facet::ATTRIBUTES.into_iter().zip(attribute_ords) {
        let mut values = vec![String::new(); ords.len()];
        for (value, ord) in ords {
            values[ord as usize] = value;
        }
        dictionaries.attributes.insert(facet, values);
    }
    write_json(&dir.join(DICTIONARIES), &dictionaries)?;
    let manifest = Manifest {
        format_version: FORMAT_VERSION,
        generation: number,
        catalog: watermark,
        products,
        categories: tree.all().len() as u64,
        built_at: chrono::Utc::now().to_rfc3339(),
        build_ms: started.elapsed().as_millis() as u64,
        vectors: None,
        built_from: None,
    };
    Ok((manifest, dictionaries))
}

fn document(
    fields: &Fields,
    product: &Product,
    category_path: &[&crate::catalog::Category],
    category_ords: &[u64],
    attribute_ords: &mut [HashMap<String, u64>],
    sold: &HashMap<String, u64>,
    size_bounds: &HashMap<String, (f64, f64)>,
) -> Result<TantivyDocument, IndexError> {
    let mut doc = TantivyDocument::new();
    doc.add_text(fields.id, &product.id);
    let description = product
        .description
        .as_deref()
        .map(strip_html)
        .unwrap_or_default();
    let mut texts = Vec::with_capacity(TextField::ALL.len());
    for source in TextField::ALL {
        let mut values: Vec<&str> = match source {
            TextField::Name => vec![product.name.as_str()],
            TextField::Category => category_path.iter().map(|c| c.name.as_str()).collect(),
            TextField::Attributes => product.all_attribute_values(),
            TextField::Brand => product.brand.as_deref().into_iter().collect(),
            TextField::Tags => product.tags.iter().map(String::as_str).collect(),
            TextField::Description => vec![description.as_str()],
        };
        values.retain(|v| !v.is_empty());
        let (exact, stem) = fields.text_of(source);
        for &value in &values {
            doc.add_text(exact, value);
            doc.add_text(stem, value);
        }
        texts.push(values.join(" · "));
    }
    doc.add_f64(fields.price, product.price);
    doc.add_u64(fields.stock, product.stock.max(0) as u64);
    doc.add_u64(fields.featured, u64::from(product.featured));
    doc.add_f64(fields.rating, product.rating.unwrap_or(0.0));
    doc.add_u64(
        fields.popularity,
        sold.get(&product.id).copied().unwrap_or(0),
    );
    let created =
        chrono::DateTime::parse_from_rfc3339(&product.created_at).map_or(0, |t| t.timestamp());
    doc.add_i64(fields.created_at, created);
    let size_class = match (product.footprint(), size_bounds.get(&product.category_id)) {
        (Some(area), Some(&(small, _))) if area <= small => SIZE_SMALL,
        (Some(area), Some(&(_, large))) if area >= large => SIZE_LARGE,
        (Some(_), Some(_)) => SIZE_MEDIUM,
        _ => SIZE_UNKNOWN,
    };
    doc.add_u64(fields.size_class, size_class);
    for &ord in category_ords {
        doc.add_u64(fields.facet(Facet::Category), ord);
    }
    doc.add_u64(
        fields.category_leaf,
        category_ords.last().copied().unwrap_or(0),
    );
    for (ords, facet) in attribute_ords.iter_mut().zip(Facet::ATTRIBUTES) {
        let mut seen = Vec::new();
        let mut mask = 0u64;
        for value in product.attribute_values(facet.key()) {
            let value = value.trim().to_lowercase();
            if value.is_empty() {
                continue;
            }
            let next = ords.len() as u64;
            let ord = *ords.entry(value).or_insert(next);
            if !seen.contains(&ord) {
                seen.push(ord);
                doc.add_u64(fields.facet(facet), ord);
                if (ord as usize) < MASK_BITS {
                    mask |= 1 << ord;
                }
            }
        }
        if let Some(mask_field) = fields.mask(facet) {
            doc.add_u64(mask_field, mask);
        }
    }
    let hit = StoredHit {
        id: product.id.clone(),
        slug: product.slug.clone(),
        name: product.name.clone(),
        price: product.price,
        compare_price: product.compare_price,
        category: category_ords.last().copied().unwrap_or(0) as usize,
        image: product.images.first().cloned(),
        stock: product.stock,
        rating: product.rating,
        review_count: product.review_count,
        featured: product.featured,
    };
    doc.add_bytes(fields.card, &super::card::encode(&hit, &texts));
    Ok(doc)
}

/// Per category id, the footprints at the first and second thirds: at or below the first is
/// small, at or above the second is large. Categories with fewer than 3 measured products have
/// no size classes.
fn size_bounds(footprints: HashMap<String, Vec<f64>>) -> HashMap<String, (f64, f64)> {
    footprints
        .into_iter()
        .filter(|(_, sorted)| sorted.len() >= 3)
        .map(|(category, sorted)| {
            let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
            let (small, large) = (at(1.0 / 3.0), at(2.0 / 3.0));
            // All alike: no product is small or large.
            if small >= large {
                return (category, (f64::NEG_INFINITY, f64::INFINITY));
            }
            (category, (small, large))
        })
        .collect()
}

/// Writes JSON through a temp file, fsync and rename, so readers see all of it or nothing.
pub(crate) fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<(), IndexError> {
    let tmp = path.with_extension("json.tmp");
    let json = serde_json::to_vec_pretty(value).map_err(|e| IndexError::Corrupt {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    let mut file = std::fs::File::create(&tmp).map_err(io_error(&tmp))?;
    file.write_all(&json).map_err(io_error(&tmp))?;
    file.sync_all().map_err(io_error(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io_error(path))
}

/// Points `current` at `generation` atomically (rename of a fresh symlink).
fn switch_current(index_dir: &Path, generation: &str) -> Result<(), IndexError> {
    let tmp = index_dir.join(format!("{CURRENT}.tmp-{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(generation, &tmp).map_err(io_error(&tmp))?;
    std::fs::rename(&tmp, index_dir.join(CURRENT)).map_err(io_error(index_dir))?;
    if let Ok(dir) = std::fs::File::open(index_dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}
