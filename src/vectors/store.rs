//! The vectors of one generation, on disk under `gen-<n>/vectors/`:
//! - `meta.json`: model id, dimension, and per vector the product id, its category ordinals
//!   (own category and ancestors, as in the text index's dictionaries), price and stock;
//! - `vectors.f32`: the vectors, row after row, little-endian f32;
//! - `neighbours.bin`: per row, its [`NEIGHBOURS`] nearest rows (itself excluded) as
//!   little-endian `(u32 row, f32 cosine)` pairs, `u32::MAX` padding a short list; similar
//!   products read them instead of searching when the request's filters leave enough of them.
//!
//! [`VectorSet::open`] refuses vectors built by another model than the engine runs.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::VectorError;
use super::ann::AnnIndex;

const META: &str = "meta.json";
const DATA: &str = "vectors.f32";
const NEIGHBOURS_FILE: &str = "neighbours.bin";

/// Neighbours precomputed per product at reindex (for similar products). Deep enough that,
/// after out-of-stock products and near-duplicate variants are set aside, a page of 10 is
/// nearly always filled without a search (32 left about 2 % of anchors short at 100,000).
pub const NEIGHBOURS: usize = 64;

/// What a vector stands for, enough to filter without the text index.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct VectorItem {
    /// Product id.
    pub id: String,
    /// Category ordinals: the product's own category and every ancestor.
    pub categories: Vec<u32>,
    /// Price in euros.
    pub price: f64,
    /// Units in stock.
    pub stock: i64,
    /// Featured by the store.
    #[serde(default)]
    pub featured: bool,
    /// Facet attribute values (`color`, `material`, `style`, `room`), lower-cased.
    #[serde(default)]
    pub attributes: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Meta {
    model_id: String,
    dimension: usize,
    items: Vec<VectorItem>,
    /// Base name of the dumped HNSW graph, when there is one.
    #[serde(default)]
    hnsw: Option<String>,
}

/// Below this many vectors an exact scan is as fast as the graph (measured on 2 cores: about
/// 1,660 exact queries/s against 1,170 for HNSW at 10,000 vectors) and always exact.
pub const EXACT_BELOW: usize = 10_000;
/// A category filter with at most this many products is answered by an exact scan of that
/// category's rows: the graph search, filtered down to a few percent of its nodes, explores
/// most of the graph (measured at 100,000 vectors: 98 ms p50 for a 20 % category) where the
/// scan costs a few dot products per product of the category.
const SCAN_CATEGORY_BELOW: usize = 25_000;

/// Which products a k-NN search may return.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VectorFilter {
    /// A category ordinal the product must be in (subcategories included).
    pub category: Option<u32>,
    /// Lowest price, inclusive.
    pub min_price: Option<f64>,
    /// Highest price, inclusive.
    pub max_price: Option<f64>,
    /// Only products in stock (`true`) or out of stock (`false`).
    pub in_stock: Option<bool>,
    /// Only featured (`true`) or non-featured (`false`) products.
    pub featured: Option<bool>,
    /// Attribute values per key: any value of a key, every key (values lower-cased).
    pub attributes: BTreeMap<String, Vec<String>>,
    /// Category ordinals the product must not be in (subcategories included).
    pub exclude_categories: Vec<u32>,
}

impl VectorFilter {
    /// Whether `item` passes.
    pub fn accepts(&self, item: &VectorItem) -> bool {
        self.category.is_none_or(|c| item.categories.contains(&c))
            && self.min_price.is_none_or(|p| item.price >= p)
            && self.max_price.is_none_or(|p| item.price <= p)
            && self.in_stock.is_none_or(|s| s == (item.stock > 0))
            && self.featured.is_none_or(|f| f == item.featured)
            && self.attributes.iter().all(|(key, wanted)| {
                item.attributes
                    .get(key)
                    .is_some_and(|have| wanted.iter().any(|w| have.contains(w)))
            })
            && !item
                .categories
                .iter()
                .any(|c| self.exclude_categories.contains(c))
    }
}

/// The vectors of a generation, in memory, with their HNSW graph when one was built.
pub struct VectorSet {
    model_id: String,
    dimension: usize,
    items: Vec<VectorItem>,
    data: Vec<f32>,
    by_id: HashMap<String, usize>,
    ann: Option<AnnIndex>,
    /// `len() * neighbours_per_row` pairs; empty when the generation has none.
    neighbours: Vec<(u32, f32)>,
    neighbours_per_row: usize,
    /// Rows of each category ordinal (subcategories included).
    rows_in_category: HashMap<u32, Vec<u32>>,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> VectorError + '_ {
    move |e| VectorError::Io(format!("{}: {e}", path.display()))
}

impl VectorSet {
    /// Writes a vector set into `dir` (created), with its HNSW graph when `graph` is set.
    pub fn write(
        dir: &Path,
        model_id: &str,
        dimension: usize,
        items: Vec<VectorItem>,
        vectors: &[Vec<f32>],
        graph: bool,
    ) -> Result<(), VectorError> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let data: Vec<u8> = vectors
            .iter()
            .flatten()
            .flat_map(|x| x.to_le_bytes())
            .collect();
        std::fs::write(dir.join(DATA), data).map_err(io(dir))?;
        let hnsw = if graph && !vectors.is_empty() {
            let rows: Vec<&[f32]> = vectors.iter().map(Vec::as_slice).collect();
            let started = std::time::Instant::now();
            let ann = AnnIndex::build(&rows);
            tracing::info!(
                vectors = rows.len(),
                took_ms = started.elapsed().as_millis() as u64,
                "HNSW graph built"
            );
            Some(ann.dump(dir)?)
        } else {
            None
        };
        let meta = Meta {
            model_id: model_id.to_owned(),
            dimension,
            items,
            hnsw,
        };
        let json = serde_json::to_vec(&meta).map_err(|e| VectorError::Io(e.to_string()))?;
        std::fs::write(dir.join(META), json).map_err(io(dir))
    }

    /// Loads the vector set in `dir`, refusing one built by a model other than `model_id`.
    pub fn open(dir: &Path, model_id: &str) -> Result<VectorSet, VectorError> {
        let meta_path = dir.join(META);
        let meta: Meta =
            serde_json::from_slice(&std::fs::read(&meta_path).map_err(io(&meta_path))?)
                .map_err(|e| VectorError::Io(format!("{}: {e}", meta_path.display())))?;
        if meta.model_id != model_id {
            return Err(VectorError::ModelMismatch {
                found: meta.model_id,
                expected: model_id.to_owned(),
            });
        }
        let data_path = dir.join(DATA);
        let bytes = std::fs::read(&data_path).map_err(io(&data_path))?;
        if bytes.len() != meta.items.len() * meta.dimension * 4 {
            return Err(VectorError::Io(format!(
                "{}: {} bytes for {} vectors of {} dimensions",
                data_path.display(),
                bytes.len(),
                meta.items.len(),
                meta.dimension
            )));
        }
        let data = bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        let by_id = meta
            .items
            .iter()
            .enumerate()
            .map(|(i, item)| (item.id.clone(), i))
            .collect();
        let ann = meta
            .hnsw
            .as_deref()
            .map(|name| AnnIndex::load(dir, name))
            .transpose()?;
        let (neighbours, neighbours_per_row) = read_neighbours(dir, meta.items.len())?;
        let mut rows_in_category: HashMap<u32, Vec<u32>> = HashMap::new();
        for (row, item) in meta.items.iter().enumerate() {
            for &c in &item.categories {
                rows_in_category.entry(c).or_default().push(row as u32);
            }
        }
        Ok(VectorSet {
            rows_in_category,
            model_id: meta.model_id,
            dimension: meta.dimension,
            items: meta.items,
            data,
            by_id,
            ann,
            neighbours,
            neighbours_per_row,
        })
    }

    /// Computes each row's [`NEIGHBOURS`] nearest rows (itself excluded, no filter) on every
    /// core, and writes them beside the vectors in `dir`.
    pub fn write_neighbours(&self, dir: &Path) -> Result<(), VectorError> {
        let n = self.len();
        let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
        let chunk = n.div_ceil(threads).max(1);
        let everything = VectorFilter::default();
        let lists: Vec<Vec<(u32, f32)>> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..n)
                .step_by(chunk)
                .map(|start| {
                    let everything = &everything;
                    scope.spawn(move || {
                        let mut pairs = Vec::with_capacity(chunk * NEIGHBOURS);
                        for row in start..(start + chunk).min(n) {
                            let found =
                                self.knn(self.vector(row), NEIGHBOURS, everything, Some(row));
                            for i in 0..NEIGHBOURS {
                                pairs.push(
                                    found
                                        .get(i)
                                        .map_or((u32::MAX, 0.0), |&(r, s)| (r as u32, s)),
                                );
                            }
                        }
                        pairs
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().unwrap_or_default())
                .collect()
        });
        let bytes: Vec<u8> = lists
            .iter()
            .flatten()
            .flat_map(|(r, s)| r.to_le_bytes().into_iter().chain(s.to_le_bytes()))
            .collect();
        if bytes.len() != n * NEIGHBOURS * 8 {
            return Err(VectorError::Io(
                "a neighbour worker failed; no neighbour lists written".to_owned(),
            ));
        }
        let path = dir.join(NEIGHBOURS_FILE);
        std::fs::write(&path, bytes).map_err(io(&path))
    }

    /// The precomputed nearest rows of `row`, best first (empty without neighbour lists).
    pub fn neighbours(&self, row: usize) -> &[(u32, f32)] {
        let k = self.neighbours_per_row;
        let Some(list) = self.neighbours.get(row * k..(row + 1) * k) else {
            return &[];
        };
        let end = list.iter().position(|p| p.0 == u32::MAX).unwrap_or(k);
        &list[..end]
    }

    /// Model the vectors were built with.
    pub fn model_id(&self) -> &str {
        &self.model_id
    }

    /// Number of vectors.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are no vectors.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Vector dimension.
    pub fn dimension(&self) -> usize {
        self.dimension
    }

    /// The vector of row `i`.
    pub fn vector(&self, i: usize) -> &[f32] {
        &self.data[i * self.dimension..(i + 1) * self.dimension]
    }

    /// What row `i` stands for.
    pub fn item(&self, i: usize) -> &VectorItem {
        &self.items[i]
    }

    /// The row of a product.
    pub fn row(&self, product_id: &str) -> Option<usize> {
        self.by_id.get(product_id).copied()
    }

    /// The HNSW graph, when one was built.
    pub fn ann(&self) -> Option<&AnnIndex> {
        self.ann.as_ref()
    }

    /// The `k` rows most similar to `query` that pass `filter` (but `exclude`), best first: an
    /// exact scan below [`EXACT_BELOW`] vectors or without a graph, else the HNSW graph with the
    /// filter inside the search, completed by an exact scan when a very selective filter leaves
    /// the graph search short of `k`.
    pub fn knn(
        &self,
        query: &[f32],
        k: usize,
        filter: &VectorFilter,
        exclude: Option<usize>,
    ) -> Vec<(usize, f32)> {
        if let Some(rows) = filter.category.and_then(|c| self.rows_in_category.get(&c))
            && rows.len() < SCAN_CATEGORY_BELOW
        {
            let rows = rows.iter().map(|&r| r as usize);
            return self.scan(rows, query, k, filter, exclude);
        }
        let Some(ann) = self
            .ann
            .as_ref()
            .filter(|_| self.items.len() >= EXACT_BELOW)
        else {
            return self.exact_knn(query, k, filter, exclude);
        };
        let accept = |row: usize| Some(row) != exclude && filter.accepts(&self.items[row]);
        let found = ann.search(query, k, &accept);
        if found.len() < k {
            return self.exact_knn(query, k, filter, exclude);
        }
        found
    }

    /// The `k` rows most similar to `query` (cosine; vectors are normalised) that pass `filter`,
    /// best first, by an exact scan. `exclude` leaves one row out (the anchor of "similar").
    pub fn exact_knn(
        &self,
        query: &[f32],
        k: usize,
        filter: &VectorFilter,
        exclude: Option<usize>,
    ) -> Vec<(usize, f32)> {
        self.scan(0..self.items.len(), query, k, filter, exclude)
    }

    /// The exact `k` best of `rows` that pass `filter` (but `exclude`).
    fn scan(
        &self,
        rows: impl Iterator<Item = usize>,
        query: &[f32],
        k: usize,
        filter: &VectorFilter,
        exclude: Option<usize>,
    ) -> Vec<(usize, f32)> {
        let mut scored: Vec<(usize, f32)> = rows
            .filter(|&i| Some(i) != exclude && filter.accepts(&self.items[i]))
            .map(|i| (i, dot(query, self.vector(i))))
            .collect();
        let k = k.min(scored.len());
        if k == 0 {
            return Vec::new();
        }
        scored.select_nth_unstable_by(k - 1, |a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored.truncate(k);
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored
    }
}

/// Reads `neighbours.bin` if the generation has one: the pairs and how many per row.
fn read_neighbours(dir: &Path, rows: usize) -> Result<(Vec<(u32, f32)>, usize), VectorError> {
    let path = dir.join(NEIGHBOURS_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), 0)),
        Err(e) => return Err(io(&path)(e)),
    };
    if rows == 0 || bytes.len() % (rows * 8) != 0 {
        return Err(VectorError::Io(format!(
            "{}: {} bytes for {rows} rows",
            path.display(),
            bytes.len()
        )));
    }
    let pairs: Vec<(u32, f32)> = bytes
        .chunks_exact(8)
        .map(|b| {
            (
                u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
                f32::from_le_bytes([b[4], b[5], b[6], b[7]]),
            )
        })
        .collect();
    if pairs
        .iter()
        .any(|&(r, _)| r != u32::MAX && r as usize >= rows)
    {
        return Err(VectorError::Io(format!(
            "{}: a neighbour row is out of range",
            path.display()
        )));
    }
    Ok((pairs, bytes.len() / (rows * 8)))
}

/// Dot product (the cosine of two normalised vectors). Eight partial sums let the compiler
/// use SIMD lanes (a single running sum must be added in order, one lane at a time).
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let (a8, b8) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = a8
        .remainder()
        .iter()
        .zip(b8.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in a8.zip(b8) {
        for i in 0..8 {
            lanes[i] += x[i] * y[i];
        }
    }
    lanes.iter().sum::<f32>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str, categories: Vec<u32>, price: f64, stock: i64) -> VectorItem {
        VectorItem {
            id: id.to_owned(),
            categories,
            price,
            stock,
            featured: false,
            attributes: BTreeMap::new(),
        }
    }

    #[test]
    fn round_trip_filters_and_model_check() {
        let dir = tempfile::tempdir().unwrap();
        let items = vec![
            item("a", vec![0], 10.0, 1),
            item("b", vec![0, 1], 20.0, 0),
            item("c", vec![2], 30.0, 5),
        ];
        let vectors = vec![vec![1.0, 0.0], vec![0.8, 0.6], vec![0.0, 1.0]];
        VectorSet::write(dir.path(), "m1", 2, items, &vectors, true).unwrap();
        let set = VectorSet::open(dir.path(), "m1").unwrap();
        assert_eq!(set.len(), 3);
        assert_eq!(
            set.ann().unwrap().len(),
            3,
            "the graph is dumped and reloaded"
        );
        let nearest = set.ann().unwrap().search(&[0.0, 1.0], 1, &|_| true);
        assert_eq!(nearest[0].0, 2);
        let all = set.exact_knn(&[1.0, 0.0], 3, &VectorFilter::default(), None);
        assert_eq!(all.iter().map(|r| r.0).collect::<Vec<_>>(), [0, 1, 2]);
        let without_anchor = set.exact_knn(&[1.0, 0.0], 2, &VectorFilter::default(), Some(0));
        assert_eq!(
            without_anchor.iter().map(|r| r.0).collect::<Vec<_>>(),
            [1, 2]
        );
        let in_stock = VectorFilter {
            in_stock: Some(true),
            ..Default::default()
        };
        assert_eq!(
            set.exact_knn(&[1.0, 0.0], 3, &in_stock, None)
                .iter()
                .map(|r| r.0)
                .collect::<Vec<_>>(),
            [0, 2]
        );
        let category = VectorFilter {
            category: Some(0),
            max_price: Some(15.0),
            ..Default::default()
        };
        assert_eq!(
            set.exact_knn(&[0.0, 1.0], 3, &category, None)
                .iter()
                .map(|r| r.0)
                .collect::<Vec<_>>(),
            [0]
        );
        set.write_neighbours(dir.path()).unwrap();
        let set = VectorSet::open(dir.path(), "m1").unwrap();
        assert_eq!(
            set.neighbours(0),
            &[(1, 0.8), (2, 0.0)],
            "best first, self excluded"
        );
        assert_eq!(
            set.neighbours(2).iter().map(|p| p.0).collect::<Vec<_>>(),
            [1, 0]
        );
        let err = VectorSet::open(dir.path(), "m2").err().unwrap();
        assert!(
            err.to_string().contains("m1") && err.to_string().contains("m2"),
            "{err}"
        );
    }
}
