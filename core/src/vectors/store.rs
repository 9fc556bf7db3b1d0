//! The vectors of one generation, on disk under `gen-<n>/vectors/`:
//! - `meta.json`: model id, dimension, and per vector the product id, its category ordinals
//!   (own category and ancestors, as in the text index's dictionaries), price and stock;
//! - `vectors.f32`: the vectors, row after row, little-endian f32, read one row at a time when
//!   serving (the set keeps their int8 codes in memory: [`super::quantized`]);
//! - `neighbours.bin`: per row, its [`NEIGHBOURS`] nearest rows (itself excluded) as
//!   little-endian `(u32 row, f32 cosine)` pairs, `u32::MAX` padding a short list; similar
//!   products read them instead of searching when the request's filters leave enough of them.
//!
//! [`VectorSet::open`] refuses vectors built by another model than the engine runs.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::VectorError;
use super::ann::AnnIndex;
use super::items::{BLOCK_ROWS, Items, VectorItem};
use super::quantized::{CodeQuery, Codes, FloatRows};
use crate::filter::ProductFilter;

const META: &str = "meta.json";
const DATA: &str = "vectors.f32";
// Vector and neighbour files hold native-endian words (cast with bytemuck, no copy per value):
// files are little-endian on every machine this runs on; a big-endian build is refused.
const _: () = assert!(
    cfg!(target_endian = "little"),
    "vector files are little-endian"
);
const NEIGHBOURS_FILE: &str = "neighbours.bin";

/// Neighbours precomputed per product at reindex (for similar products). Deep enough that,
/// after out-of-stock products and near-duplicate variants are set aside, a page of 10 is
/// nearly always filled without a search (32 left about 2 % of anchors short at 100,000).
pub const NEIGHBOURS: usize = 64;

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Meta {
    model_id: String,
    dimension: usize,
    items: Vec<VectorItem>,
    /// File name of the saved HNSW graph, when there is one.
    #[serde(default)]
    graph: Option<String>,
    /// The graph of a set written before USearch (hnsw_rs's files): not read, only reported.
    #[serde(default, rename = "hnsw", skip_serializing)]
    former_graph: Option<String>,
}

/// Below this many vectors an exact scan is as fast as the graph (measured on 2 cores: about
/// 1,660 exact queries/s against 1,170 for HNSW at 10,000 vectors) and always exact.
pub const EXACT_BELOW: usize = 10_000;
/// A category filter with at most this many products is answered by an exact scan of that
/// category's rows: a few thousand dot products cost less than a graph search over-fetched for
/// the filter.
const SCAN_CATEGORY_BELOW: usize = 25_000;
/// A scan of the int8 codes keeps this many times `k` rows (at least `k` + [`RESCORE_MIN`],
/// [`shortlist`]) and rescores them with their full-precision vectors: the codes' error (about 0.0005 of
/// cosine) only swaps rows that close, so the exact best `k` are nearly always among them.
const RESCORE_FACTOR: usize = 4;
/// The least number of rows past `k` a scan rescores.
const RESCORE_MIN: usize = 32;
/// From this many candidate rows a scan splits them between the cores: a request's latency
/// nearly halves on 2 cores (scans are bound by memory: a row's sign codes are 56 bytes,
/// about 13 ns a row on one core in a stand-alone loop).
const PARALLEL_SCAN_FROM: usize = 16_384;
/// From this many candidate rows a scan first ranks them by their sign codes (48 bytes a row
/// at 384 dimensions, against 384 for the int8 codes) and reads the int8 codes of a
/// [`sign_shortlist`] only.
const SIGNS_FROM: usize = 8_192;
/// A first pass by signs keeps this many times the int8 shortlist ...
const SIGN_FACTOR: usize = 8;
/// ... and at least this many rows: the signs' estimate is rough (see [`super::quantized`]).
const SIGN_SHORTLIST_MIN: usize = 512;
/// A scan turns a filter's excluded categories into a set of rows when they hold at most this
/// many times the rows it reads: setting a bit costs a few nanoseconds, checking a row's item
/// one or two cache misses ([`VectorSet::scan_filter`]).
const EXCLUDED_SET_FACTOR: usize = 8;
/// Added to a code score's error bound for the float rounding of the sums.
const ERROR_SLACK: f32 = 1e-4;
/// At most this many rows are sampled to estimate which share of the candidates a filter keeps.
const PASS_RATE_SAMPLE: usize = 1_024;
/// A filtered graph search asks the unfiltered graph for this many times the rows the filter is
/// expected to keep, so that `k` of them pass even when the estimate is low.
const OVERFETCH_MARGIN: f64 = 2.0;
/// The largest unfiltered graph search a filter may ask for; a filter that would need more is
/// selective enough that an exact scan of the rows that pass is the cheaper way.
const OVERFETCH_MAX: usize = 512;

/// How a vector set differs from the previous generation's.
#[derive(Debug, Default)]
pub struct VectorDelta {
    /// Rows kept, with new facts.
    pub facts: Vec<VectorItem>,
    /// Products whose row is retired: deleted, or their passage changed.
    pub retire: Vec<String>,
    /// New rows: new products, and changed passages' new vectors.
    pub add: Vec<(VectorItem, Vec<f32>)>,
}

/// What a delta did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DeltaCounts {
    /// Rows retired.
    pub retired: usize,
    /// Rows added.
    pub added: usize,
    /// Neighbour lists computed again.
    pub lists: usize,
}

/// The vectors of a generation: their int8 codes in memory, their full-precision rows on disk,
/// with their HNSW graph when one was built.
pub struct VectorSet {
    model_id: String,
    dimension: usize,
    items: Items,
    codes: Codes,
    floats: FloatRows,
    by_id: HashMap<String, usize>,
    ann: Option<AnnIndex>,
    /// The precomputed neighbour lists, on disk; `None` when the generation has none.
    neighbours: Option<NeighbourLists>,
    /// Rows of each category ordinal (subcategories included).
    rows_in_category: HashMap<u32, Vec<u32>>,
}

fn read_meta(dir: &Path) -> Result<Meta, VectorError> {
    let path = dir.join(META);
    serde_json::from_slice(&std::fs::read(&path).map_err(io(&path))?)
        .map_err(|e| VectorError::Io(format!("{}: {e}", path.display())))
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
        let data: Vec<f32> = vectors.iter().flatten().copied().collect();
        std::fs::write(dir.join(DATA), bytemuck::cast_slice::<f32, u8>(&data)).map_err(io(dir))?;
        let graph = if graph && !vectors.is_empty() {
            let rows: Vec<&[f32]> = vectors.iter().map(Vec::as_slice).collect();
            let started = std::time::Instant::now();
            let ann = AnnIndex::build(&rows)?;
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
            graph,
            former_graph: None,
        };
        let json = serde_json::to_vec(&meta).map_err(|e| VectorError::Io(e.to_string()))?;
        std::fs::write(dir.join(META), json).map_err(io(dir))
    }

    /// The items (ids and filter facts) of the vector set in `dir`, without its vectors, for a
    /// delta; `None` when its graph is one this build does not read (hnsw_rs's), so the set
    /// must be built whole again to get one.
    pub fn items_to_update(dir: &Path) -> Result<Option<Vec<VectorItem>>, VectorError> {
        let meta = read_meta(dir)?;
        let graph_is_current = meta.graph.is_some() || meta.former_graph.is_none();
        Ok(graph_is_current.then_some(meta.items))
    }

    /// Row `row` of the vectors in `dir`, read alone (a positioned read, not the whole file).
    pub fn read_row(dir: &Path, row: usize, dimension: usize) -> Result<Vec<f32>, VectorError> {
        let path = dir.join(DATA);
        FloatRows::open(&path, dimension)
            .and_then(|rows| rows.read(row))
            .map_err(io(&path))
    }

    /// A vector set in `to` with the vectors, graph and neighbour lists of `from` (hard-linked:
    /// they are never written in place) and these items, one per row of `from`.
    pub fn write_items(from: &Path, to: &Path, items: Vec<VectorItem>) -> Result<(), VectorError> {
        let mut meta = read_meta(from)?;
        if items.len() != meta.items.len() {
            return Err(VectorError::Io(format!(
                "{}: {} items for {} rows",
                from.display(),
                items.len(),
                meta.items.len()
            )));
        }
        std::fs::create_dir_all(to).map_err(io(to))?;
        for entry in std::fs::read_dir(from).map_err(io(from))? {
            let entry = entry.map_err(io(from))?;
            let name = entry.file_name();
            if name == META || !entry.path().is_file() {
                continue;
            }
            let target = to.join(&name);
            if std::fs::hard_link(entry.path(), &target).is_err() {
                std::fs::copy(entry.path(), &target).map_err(io(&target))?;
            }
        }
        meta.items = items;
        let json = serde_json::to_vec(&meta).map_err(|e| VectorError::Io(e.to_string()))?;
        std::fs::write(to.join(META), json).map_err(io(to))
    }

    /// Writes into `to` the vector set of `from` changed by `delta`: facts rewritten, rows
    /// retired, new rows appended and inserted into the graph. Neighbour lists are kept but for
    /// the rows they concern: a new row gets its own list; a row whose list held a retired row
    /// gets its list computed again; a new row enters every other list it beats the last of
    /// (an exact scan per new row). The cost follows the change, not the catalog, but for
    /// writing the files (the vectors, the graph and the lists are rewritten whole when rows
    /// were added; hard-linked when only facts changed).
    pub fn write_delta(
        from: &Path,
        to: &Path,
        model_id: &str,
        delta: VectorDelta,
    ) -> Result<DeltaCounts, VectorError> {
        if delta.retire.is_empty() && delta.add.is_empty() {
            let mut items = read_meta(from)?.items;
            let rows: HashMap<&str, usize> = items
                .iter()
                .enumerate()
                .filter(|(_, item)| !item.retired)
                .map(|(i, item)| (item.id.as_str(), i))
                .collect();
            let rows: Vec<(usize, VectorItem)> = delta
                .facts
                .into_iter()
                .filter_map(|item| rows.get(item.id.as_str()).map(|&row| (row, item)))
                .collect();
            for (row, item) in rows {
                items[row] = item;
            }
            Self::write_items(from, to, items)?;
            return Ok(DeltaCounts::default());
        }
        let mut set = VectorSet::open(from, model_id)?;
        for item in delta.facts {
            if let Some(&row) = set.by_id.get(&item.id) {
                set.items.replace(row, item);
            }
        }
        let mut retired: std::collections::HashSet<u32> = std::collections::HashSet::new();
        for id in &delta.retire {
            if let Some(row) = set.by_id.remove(id) {
                set.items.retire(row);
                retired.insert(row as u32);
            }
        }
        let first_new = set.items.len();
        // The new rows go into the new set's vectors file now: the neighbour lists below read
        // rows from the file the set points to (the graph takes the vectors held here).
        std::fs::create_dir_all(to).map_err(io(to))?;
        let path = to.join(DATA);
        std::fs::copy(from.join(DATA), &path).map_err(io(&path))?;
        let mut appended = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(io(&path))?;
        let mut added: Vec<(usize, Vec<f32>)> = Vec::with_capacity(delta.add.len());
        for (item, vector) in delta.add {
            if vector.len() != set.dimension {
                return Err(VectorError::Io(format!(
                    "a vector of {} dimensions for a set of {}",
                    vector.len(),
                    set.dimension
                )));
            }
            set.by_id.insert(item.id.clone(), set.items.len());
            for &c in &item.categories {
                set.rows_in_category
                    .entry(c)
                    .or_default()
                    .push(set.items.len() as u32);
            }
            std::io::Write::write_all(&mut appended, bytemuck::cast_slice::<f32, u8>(&vector))
                .map_err(io(&path))?;
            set.codes.push(&vector);
            added.push((set.items.len(), vector));
            set.items.push(item);
        }
        drop(appended);
        set.floats = FloatRows::open(&path, set.dimension).map_err(io(&path))?;
        for rows in set.rows_in_category.values_mut() {
            rows.retain(|r| !retired.contains(r));
        }
        if let Some(ann) = &mut set.ann {
            ann.insert(&added)?;
        }
        // The lists are read whole for the update (a build step), served from disk after.
        let (mut lists, k) = read_neighbours(from, first_new)?;
        let counts = DeltaCounts {
            retired: retired.len(),
            added: set.items.len() - first_new,
            lists: set.update_neighbours(&mut lists, k, first_new, &retired),
        };
        let graph = set.ann.as_ref().map(|ann| ann.dump(to)).transpose()?;
        if k > 0 {
            let words: Vec<u32> = lists.iter().flat_map(|&(r, s)| [r, s.to_bits()]).collect();
            let path = to.join(NEIGHBOURS_FILE);
            std::fs::write(&path, bytemuck::cast_slice::<u32, u8>(&words)).map_err(io(&path))?;
        }
        let meta = Meta {
            model_id: set.model_id,
            dimension: set.dimension,
            items: set.items.into_vec(),
            graph,
            former_graph: None,
        };
        let json = serde_json::to_vec(&meta).map_err(|e| VectorError::Io(e.to_string()))?;
        std::fs::write(to.join(META), json).map_err(io(to))?;
        Ok(counts)
    }

    /// Updates `lists` (`k` pairs per row, for the rows before `first_new`) after rows from
    /// `first_new` were added and `retired` ones retired; returns how many lists were computed
    /// again.
    fn update_neighbours(
        &self,
        lists: &mut Vec<(u32, f32)>,
        k: usize,
        first_new: usize,
        retired: &std::collections::HashSet<u32>,
    ) -> usize {
        use rayon::prelude::*;
        if k == 0 {
            return 0;
        }
        lists.resize(self.items.len() * k, (u32::MAX, 0.0));
        let everything = ProductFilter::default();
        // Lists to compute again: the new rows', and those that held a retired row.
        let again: Vec<usize> = (0..self.items.len())
            .filter(|&row| !self.items[row].retired)
            .filter(|&row| {
                row >= first_new
                    || lists[row * k..(row + 1) * k]
                        .iter()
                        .any(|(r, _)| retired.contains(r))
            })
            .collect();
        let found_again: Vec<(usize, Vec<(usize, f32)>)> = again
            .par_iter()
            .map(|&row| (row, self.knn(&self.vector(row), k, &everything, Some(row))))
            .collect();
        let computed: std::collections::HashSet<usize> = again.iter().copied().collect();
        for (row, found) in found_again {
            let list = &mut lists[row * k..(row + 1) * k];
            for (i, slot) in list.iter_mut().enumerate() {
                *slot = found
                    .get(i)
                    .map_or((u32::MAX, 0.0), |&(r, s)| (r as u32, s));
            }
        }
        let held = &*lists;
        // A new row enters the lists it beats the last of. The codes rule out the rows it cannot
        // beat (their score plus its largest error is not above the list's last); the others
        // are compared exactly.
        let entering: Vec<(usize, usize, f32)> = (first_new..self.items.len())
            .into_par_iter()
            .flat_map_iter(|new| {
                let vector = self.vector(new);
                let prepared = self.codes.query(&vector);
                (0..first_new)
                    .filter(|row| !self.items[*row].retired && !computed.contains(row))
                    .filter_map(move |row| {
                        let last = held[row * k + k - 1];
                        let room = last.0 == u32::MAX;
                        let bound = prepared.bound + ERROR_SLACK;
                        if !room && self.codes.approx(&prepared, row) + bound <= last.1 {
                            return None;
                        }
                        let score = dot(&vector, &self.vector(row));
                        (room || score > last.1).then_some((row, new, score))
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        for (row, new, score) in entering {
            let list = &mut lists[row * k..(row + 1) * k];
            let at = list
                .iter()
                .position(|&(r, s)| r == u32::MAX || score > s)
                .unwrap_or(k);
            if at < k {
                list[at..].rotate_right(1);
                list[at] = (new as u32, score);
            }
        }
        again.len()
    }

    /// Loads the vector set in `dir`, refusing one built by a model other than `model_id`.
    pub fn open(dir: &Path, model_id: &str) -> Result<VectorSet, VectorError> {
        let meta = read_meta(dir)?;
        if meta.model_id != model_id {
            return Err(VectorError::ModelMismatch {
                found: meta.model_id,
                expected: model_id.to_owned(),
            });
        }
        let data_path = dir.join(DATA);
        let bytes = std::fs::metadata(&data_path).map_err(io(&data_path))?.len();
        if bytes != (meta.items.len() * meta.dimension * 4) as u64 {
            return Err(VectorError::Io(format!(
                "{}: {} bytes for {} vectors of {} dimensions",
                data_path.display(),
                bytes,
                meta.items.len(),
                meta.dimension
            )));
        }
        let codes =
            Codes::of_file(&data_path, meta.items.len(), meta.dimension).map_err(io(&data_path))?;
        let floats = FloatRows::open(&data_path, meta.dimension).map_err(io(&data_path))?;
        let by_id = meta
            .items
            .iter()
            .enumerate()
            .filter(|(_, item)| !item.retired)
            .map(|(i, item)| (item.id.clone(), i))
            .collect();
        let ann = meta
            .graph
            .as_deref()
            .map(|name| AnnIndex::load(dir, name))
            .transpose()?;
        if ann.is_none() && meta.former_graph.is_some() {
            tracing::warn!(
                dir = %dir.display(),
                "this generation's graph is hnsw_rs's, which is no longer read: filtered and \
                 unfiltered k-NN scan every row until the next reindex"
            );
        }
        let neighbours = NeighbourLists::open(dir, meta.items.len())?;
        let mut rows_in_category: HashMap<u32, Vec<u32>> = HashMap::new();
        for (row, item) in meta.items.iter().enumerate().filter(|(_, i)| !i.retired) {
            for &c in &item.categories {
                rows_in_category.entry(c).or_default().push(row as u32);
            }
        }
        Ok(VectorSet {
            rows_in_category,
            model_id: meta.model_id,
            dimension: meta.dimension,
            items: Items::new(meta.items),
            codes,
            floats,
            by_id,
            ann,
            neighbours,
        })
    }

    /// Computes each row's [`NEIGHBOURS`] nearest rows (itself excluded, no filter) on every
    /// core, and writes them beside the vectors in `dir`.
    pub fn write_neighbours(&self, dir: &Path) -> Result<(), VectorError> {
        use rayon::prelude::*;
        let everything = ProductFilter::default();
        // Each row's list as words: the row, then the score's bits; a missing entry is
        // (u32::MAX, 0.0). A panicking worker panics here, it is never silently empty.
        let words: Vec<u32> = (0..self.len())
            .into_par_iter()
            .flat_map_iter(|row| {
                let found = match self.items[row].retired {
                    true => Vec::new(),
                    false => self.knn(&self.vector(row), NEIGHBOURS, &everything, Some(row)),
                };
                (0..NEIGHBOURS).flat_map(move |i| {
                    let (r, s) = found
                        .get(i)
                        .map_or((u32::MAX, 0.0), |&(r, s)| (r as u32, s));
                    [r, s.to_bits()]
                })
            })
            .collect();
        let path = dir.join(NEIGHBOURS_FILE);
        std::fs::write(&path, bytemuck::cast_slice::<u32, u8>(&words)).map_err(io(&path))
    }

    /// The precomputed nearest rows of `row`, best first, read from disk (empty without
    /// neighbour lists; should the read fail, empty too, and similar products search instead).
    pub fn neighbours(&self, row: usize) -> Vec<(u32, f32)> {
        let Some(lists) = &self.neighbours else {
            return Vec::new();
        };
        lists.read(row, self.items.len()).unwrap_or_else(|error| {
            tracing::error!(%error, row, path = %lists.path.display(), "cannot read a neighbour list");
            Vec::new()
        })
    }

    /// Model the vectors were built with.
    pub fn model_id(&self) -> &str {
        &self.model_id
    }

    /// Number of rows (retired ones included: rows are numbered up to it).
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Number of products with a vector (rows not retired).
    pub fn products(&self) -> usize {
        self.by_id.len()
    }

    /// Whether there are no vectors.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Vector dimension.
    pub fn dimension(&self) -> usize {
        self.dimension
    }

    /// The vector of row `i`, read from disk. Should the read fail (the disk, not the data: the
    /// file's size was checked at open and an open file outlives its generation's folder), the
    /// row's decoded codes stand in, within half a code step per dimension, and the error is
    /// logged.
    pub fn vector(&self, i: usize) -> Vec<f32> {
        self.floats.read(i).unwrap_or_else(|error| {
            tracing::error!(%error, row = i, path = %self.floats.path().display(), "cannot read a vector; its int8 codes stand in");
            self.codes.decode(i)
        })
    }

    /// The vector of row `i` decoded from its int8 codes, in memory: within half a code step of
    /// [`VectorSet::vector`] per dimension, for checks that need no more than that.
    pub fn decoded(&self, i: usize) -> Vec<f32> {
        self.codes.decode(i)
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

    /// The `k` rows most similar to `query` that pass `filter` (but `exclude`), best first.
    ///
    /// The candidates are the rows of the filter's category, or every row. A small category
    /// ([`SCAN_CATEGORY_BELOW`]), a small set ([`EXACT_BELOW`]) or no graph give an exact scan.
    /// Otherwise the share of candidates the filter keeps is estimated on a sample, and the
    /// unfiltered graph is asked for enough rows that `k` of them should pass; when that would
    /// be too many rows ([`OVERFETCH_MAX`]), or too few of them pass, the candidates are
    /// scanned ([`VectorSet::scan_knn`]). The filter never runs inside the graph search (see
    /// [`AnnIndex::search`]).
    pub fn knn(
        &self,
        query: &[f32],
        k: usize,
        filter: &ProductFilter,
        exclude: Option<usize>,
    ) -> Vec<(usize, f32)> {
        if filter.nothing {
            return Vec::new();
        }
        let category_rows = self.category_rows(filter);
        let scan_candidates = || self.scan_knn(query, k, filter, exclude);
        let Some(ann) = self
            .ann
            .as_ref()
            .filter(|_| self.items.len() >= EXACT_BELOW)
            .filter(|_| category_rows.is_none_or(|rows| rows.len() >= SCAN_CATEGORY_BELOW))
        else {
            return scan_candidates();
        };
        let wanted = k + usize::from(exclude.is_some());
        let fetch = if filter.is_everything() {
            wanted
        } else {
            let share = self.pass_share(category_rows, filter);
            if share == 0.0 {
                return scan_candidates();
            }
            (wanted as f64 / share * OVERFETCH_MARGIN).ceil() as usize
        };
        if fetch > OVERFETCH_MAX {
            return scan_candidates();
        }
        // The graph's cosines are of its f16 vectors: the rows found get their exact ones.
        let passing = |fetch: usize| -> Vec<(usize, f32)> {
            let found = ann
                .search(query, fetch)
                .into_iter()
                .filter(|&(row, _)| Some(row) != exclude && self.items.admits(row, filter))
                .take(k)
                .collect();
            self.rescore(found, query, k)
        };
        // The rows that pass may sit away from the query (a lamp's neighbours are lamps, not
        // the cheap sofas a filter asks for): one wider search before scanning. (Skipping it
        // when the first search found less than half of `k` was tried: at a million rows,
        // lamps under 200 € for anchors in lighting went from 18 to 35 ms p99, even with the
        // scans split between the cores.)
        let mut found = passing(fetch);
        if found.len() < k && fetch < OVERFETCH_MAX {
            found = passing(OVERFETCH_MAX);
        }
        if found.len() < k.min(category_rows.map_or(self.items.len(), <[u32]>::len)) {
            return scan_candidates();
        }
        found
    }

    /// For each of `categories`, the `k` rows of that category most similar to `query` that
    /// pass `filter` (but `exclude`), best first: one prepared query scores each category's
    /// rows (the categories shared between the cores; a row in two of them counts in both),
    /// instead of a filtered search per category. `filter.category` is not read.
    pub fn knn_in_categories(
        &self,
        query: &[f32],
        k: usize,
        categories: &[u32],
        filter: &ProductFilter,
        exclude: Option<usize>,
    ) -> Vec<Vec<(usize, f32)>> {
        if filter.nothing {
            return vec![Vec::new(); categories.len()];
        }
        let within = ProductFilter {
            category: None,
            ..filter.clone()
        };
        let prepared = self.codes.query(query);
        use rayon::prelude::*;
        categories
            .par_iter()
            .map(|c| {
                let rows = self.rows_in_category.get(c).map_or(&[][..], Vec::as_slice);
                let rows = Candidates::Listed(rows);
                let scored =
                    self.score_codes(rows, &prepared, k, &within, exclude, signs_first(rows));
                self.rescore(scored, query, k)
            })
            .collect()
    }

    /// The share of all rows (the graph's population) that pass `filter`: the candidates' share
    /// of the rows (those of `category_rows`, or every row) times the share of candidates that
    /// pass, estimated on at most [`PASS_RATE_SAMPLE`] candidates spread evenly over them.
    fn pass_share(&self, category_rows: Option<&[u32]>, filter: &ProductFilter) -> f64 {
        let candidates = category_rows.map_or(self.items.len(), <[u32]>::len);
        if candidates == 0 {
            return 0.0;
        }
        let sampled = candidates.min(PASS_RATE_SAMPLE);
        let passing = (0..sampled)
            .map(|i| i * candidates / sampled)
            .map(|i| category_rows.map_or(i, |rows| rows[i] as usize))
            .filter(|&row| self.items.admits(row, filter))
            .count();
        passing as f64 / sampled as f64 * candidates as f64 / self.items.len() as f64
    }

    /// The rows of `filter`'s category, when it names one.
    fn category_rows(&self, filter: &ProductFilter) -> Option<&[u32]> {
        filter
            .category
            .map(|c| self.rows_in_category.get(&c).map_or(&[][..], Vec::as_slice))
    }

    /// The `k` rows most similar to `query` (cosine; vectors are normalised) that pass `filter`,
    /// best first, by a scan ([`VectorSet::scan`]) of the rows of the filter's category, or of
    /// every row. `exclude` leaves one row out (the anchor of "similar").
    pub fn scan_knn(
        &self,
        query: &[f32],
        k: usize,
        filter: &ProductFilter,
        exclude: Option<usize>,
    ) -> Vec<(usize, f32)> {
        match self.category_rows(filter) {
            Some(rows) => {
                // Every row listed is in the category: checking it again would only cost a
                // cache miss per row (the category list is behind a pointer).
                let within = ProductFilter {
                    category: None,
                    ..filter.clone()
                };
                self.scan(Candidates::Listed(rows), query, k, &within, exclude)
            }
            None => self.scan(
                Candidates::Every(self.items.len()),
                query,
                k,
                filter,
                exclude,
            ),
        }
    }

    /// The `k` best of `rows` that pass `filter` (but `exclude`): the int8 codes of every row
    /// are scored, the best [`RESCORE_FACTOR`]` × k` (at least `k + `[`RESCORE_MIN`]) are
    /// rescored with their full-precision vectors, and the best `k` of those returned with their
    /// exact cosines.
    fn scan(
        &self,
        rows: Candidates<'_>,
        query: &[f32],
        k: usize,
        filter: &ProductFilter,
        exclude: Option<usize>,
    ) -> Vec<(usize, f32)> {
        let prepared = self.codes.query(query);
        let scored = self.score_codes(rows, &prepared, k, filter, exclude, signs_first(rows));
        self.rescore(scored, query, k)
    }

    /// The shortlist of `rows` passing `filter` (but `exclude`) by their int8 code scores: the
    /// best [`shortlist`]`(k)`, in no order. With `signs_first` (scans call it from
    /// [`SIGNS_FROM`] rows: [`signs_first`]), a first pass by the sign codes keeps the best
    /// [`sign_shortlist`]`(k)` and only those are scored by their int8 codes.
    fn score_codes(
        &self,
        rows: Candidates<'_>,
        prepared: &CodeQuery,
        k: usize,
        filter: &ProductFilter,
        exclude: Option<usize>,
        signs_first: bool,
    ) -> Vec<(usize, f32)> {
        let (filter, excluded) = self.scan_filter(filter, rows.len());
        let blocks = self.items.blocks_passing(&filter);
        let admits = |i: usize| {
            Some(i) != exclude
                && excluded.as_ref().is_none_or(|set| !set.contains(i))
                && self.items.admits(i, &filter)
        };
        if !signs_first {
            return best_of(
                rows,
                shortlist(k),
                |i| self.codes.approx(prepared, i),
                admits,
                Order::FilterFirst,
                blocks.as_deref(),
            );
        }
        let mut first = best_of(
            rows,
            sign_shortlist(k),
            |i| self.codes.sign_estimate(prepared, i),
            admits,
            Order::ScoreFirst,
            blocks.as_deref(),
        );
        for (row, score) in &mut first {
            *score = self.codes.approx(prepared, *row);
        }
        first
    }

    /// `filter` as a scan of `candidates` rows applies it, with the rows it excludes: when its
    /// excluded categories hold at most [`EXCLUDED_SET_FACTOR`] times as many rows as the scan
    /// reads, they become a set of rows (from each category's rows) and leave the filter, so
    /// that only an attribute clause still reads a row's item. Complements exclude the anchors'
    /// own categories from scans of hundreds of thousands of rows.
    fn scan_filter<'f>(
        &self,
        filter: &'f ProductFilter,
        candidates: usize,
    ) -> (Cow<'f, ProductFilter>, Option<RowSet>) {
        let lists: Vec<&[u32]> = filter
            .exclude_categories
            .iter()
            .map(|c| self.rows_in_category.get(c).map_or(&[][..], Vec::as_slice))
            .collect();
        let excluded_rows: usize = lists.iter().map(|rows| rows.len()).sum();
        if lists.is_empty() || excluded_rows > candidates.saturating_mul(EXCLUDED_SET_FACTOR) {
            return (Cow::Borrowed(filter), None);
        }
        let mut set = RowSet::new(self.items.len());
        for &row in lists.into_iter().flatten() {
            set.insert(row as usize);
        }
        let without = ProductFilter {
            exclude_categories: Vec::new(),
            ..filter.clone()
        };
        (Cow::Owned(without), Some(set))
    }

    /// The best `k` of rows scored by their codes: the best [`shortlist`]`(k)` rescored with
    /// their full-precision vectors.
    fn rescore(&self, mut scored: Vec<(usize, f32)>, query: &[f32], k: usize) -> Vec<(usize, f32)> {
        keep_best(&mut scored, shortlist(k));
        for (row, score) in &mut scored {
            *score = dot(query, &self.vector(*row));
        }
        keep_best(&mut scored, k);
        scored
    }
}

/// The rows a scan reads.
#[derive(Clone, Copy)]
enum Candidates<'a> {
    /// Rows `0..n`.
    Every(usize),
    /// These rows.
    Listed(&'a [u32]),
}

impl Candidates<'_> {
    fn len(self) -> usize {
        match self {
            Candidates::Every(n) => n,
            Candidates::Listed(rows) => rows.len(),
        }
    }

    /// The `i`-th candidate's row.
    fn row(self, i: usize) -> usize {
        match self {
            Candidates::Every(_) => i,
            Candidates::Listed(rows) => rows[i] as usize,
        }
    }
}

/// A set of rows, a bit each (125 KB at a million rows).
struct RowSet(Vec<u64>);

impl RowSet {
    /// No rows, of `0..rows`.
    fn new(rows: usize) -> RowSet {
        RowSet(vec![0; rows.div_ceil(64)])
    }

    fn insert(&mut self, row: usize) {
        self.0[row / 64] |= 1 << (row % 64);
    }

    fn contains(&self, row: usize) -> bool {
        self.0[row / 64] >> (row % 64) & 1 == 1
    }
}

/// How many rows a scan for `k` rescores with their full-precision vectors.
fn shortlist(k: usize) -> usize {
    (k * RESCORE_FACTOR).max(k + RESCORE_MIN)
}

/// Whether a scan of `rows` ranks them by their sign codes first.
fn signs_first(rows: Candidates<'_>) -> bool {
    rows.len() >= SIGNS_FROM
}

/// How many rows a first pass by signs keeps for their int8 codes, in a scan for `k`.
fn sign_shortlist(k: usize) -> usize {
    (shortlist(k) * SIGN_FACTOR).max(SIGN_SHORTLIST_MIN)
}

/// Which a scan does first for a row: score it, or check it passes the filter.
#[derive(Clone, Copy)]
enum Order {
    /// For a score that costs more than the check (int8 codes, 384 bytes a row): a small scan
    /// of the demo catalog ran twice as slow scoring first.
    FilterFirst,
    /// For a cheap score (signs): only a row that could be kept is checked, so most rows of a
    /// large scan, below the best kept so far, never read their filter numbers.
    ScoreFirst,
}

/// The best `keep` of `rows` that `admits` by `score`, in no order, each row scored and
/// checked in `order`. Rows of a block that `blocks` closes (indexed by row / [`BLOCK_ROWS`])
/// are neither scored nor checked. From [`PARALLEL_SCAN_FROM`] rows each core scores its share
/// and keeps its own best, and the best of theirs are kept; the shares are runs of
/// [`BLOCK_ROWS`] candidates dealt out in turn, so that the cores split the open blocks evenly
/// however they lie (rows are laid out by category and price: the cheap ones are together).
fn best_of(
    rows: Candidates<'_>,
    keep: usize,
    score: impl Fn(usize) -> f32 + Sync,
    admits: impl Fn(usize) -> bool + Sync,
    order: Order,
    blocks: Option<&[bool]>,
) -> Vec<(usize, f32)> {
    if keep == 0 {
        return Vec::new();
    }
    let n = rows.len();
    let runs = n.div_ceil(BLOCK_ROWS);
    let open = |row: usize| blocks.is_none_or(|open| open[row / BLOCK_ROWS]);
    let best = |part: usize, parts: usize| {
        let mut top = TopRows::new(keep);
        for run in (part..runs).step_by(parts) {
            let run = run * BLOCK_ROWS..((run + 1) * BLOCK_ROWS).min(n);
            // Every row's run of candidates is its block: one check for the run.
            if let Candidates::Every(_) = rows
                && !open(run.start)
            {
                continue;
            }
            for row in run.map(|i| rows.row(i)) {
                if let Candidates::Listed(_) = rows
                    && !open(row)
                {
                    continue;
                }
                match order {
                    Order::FilterFirst => {
                        if admits(row) {
                            let score = score(row);
                            if top.could_keep(score) {
                                top.push(row, score);
                            }
                        }
                    }
                    Order::ScoreFirst => {
                        let score = score(row);
                        if top.could_keep(score) && admits(row) {
                            top.push(row, score);
                        }
                    }
                }
            }
        }
        top.rows
    };
    let mut scored = if n < PARALLEL_SCAN_FROM {
        best(0, 1)
    } else {
        use rayon::prelude::*;
        let parts = rayon::current_num_threads().max(1);
        (0..parts)
            .into_par_iter()
            .flat_map_iter(|p| best(p, parts))
            .collect()
    };
    keep_best(&mut scored, keep);
    scored
}

/// The best `keep` (at least one) scored rows pushed, among at most twice as many, in no
/// order: when the buffer fills, it is cut to the best `keep`, and the worst of those becomes
/// the floor under which a row cannot be kept. (No vector of every row that passes a filter,
/// and no selection over it: at a million rows, similar products under 100 € went from p99
/// 40.8 to 30.1 ms with it.)
struct TopRows {
    keep: usize,
    rows: Vec<(usize, f32)>,
    floor: f32,
}

impl TopRows {
    fn new(keep: usize) -> TopRows {
        TopRows {
            keep,
            rows: Vec::with_capacity(2 * keep),
            floor: f32::NEG_INFINITY,
        }
    }

    /// Whether a row scoring `score` could be among the best: ties with the floor could (they
    /// are decided by row).
    fn could_keep(&self, score: f32) -> bool {
        score >= self.floor
    }

    fn push(&mut self, row: usize, score: f32) {
        self.rows.push((row, score));
        if self.rows.len() == 2 * self.keep {
            self.rows.select_nth_unstable_by(self.keep - 1, best_first);
            self.rows.truncate(self.keep);
            self.floor = self.rows[self.keep - 1].1;
        }
    }
}

/// The order of scored rows: best score first, ties by row.
fn best_first(a: &(usize, f32), b: &(usize, f32)) -> std::cmp::Ordering {
    b.1.total_cmp(&a.1).then(a.0.cmp(&b.0))
}

/// Keeps the best `k` of `scored`, best first, ties by row.
fn keep_best(scored: &mut Vec<(usize, f32)>, k: usize) {
    if k == 0 {
        scored.clear();
        return;
    }
    if scored.len() > k {
        scored.select_nth_unstable_by(k - 1, best_first);
        scored.truncate(k);
    }
    scored.sort_by(best_first);
}

/// The neighbour lists of a generation, `per_row` pairs per row, read one list at a time.
struct NeighbourLists {
    file: std::fs::File,
    path: std::path::PathBuf,
    per_row: usize,
}

impl NeighbourLists {
    /// The lists of the `rows` rows in `dir`, when the generation has them.
    fn open(dir: &Path, rows: usize) -> Result<Option<NeighbourLists>, VectorError> {
        let path = dir.join(NEIGHBOURS_FILE);
        let file = match std::fs::File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(&path)(e)),
        };
        let bytes = file.metadata().map_err(io(&path))?.len() as usize;
        if rows == 0 || !bytes.is_multiple_of(rows * 8) {
            return Err(VectorError::Io(format!(
                "{}: {bytes} bytes for {rows} rows",
                path.display()
            )));
        }
        Ok(Some(NeighbourLists {
            file,
            path,
            per_row: bytes / (rows * 8),
        }))
    }

    /// The list of `row` up to its first empty slot; a row out of `0..rows` is an error.
    fn read(&self, row: usize, rows: usize) -> Result<Vec<(u32, f32)>, VectorError> {
        use std::os::unix::fs::FileExt;
        let mut bytes = vec![0u8; self.per_row * 8];
        self.file
            .read_exact_at(&mut bytes, (row * self.per_row * 8) as u64)
            .map_err(io(&self.path))?;
        let mut list = self.pairs(&bytes, rows)?;
        list.truncate(
            list.iter()
                .position(|p| p.0 == u32::MAX)
                .unwrap_or(list.len()),
        );
        Ok(list)
    }

    /// The `(row, cosine)` pairs of `bytes` (empty slots kept); a row out of `0..rows` is an
    /// error.
    fn pairs(&self, bytes: &[u8], rows: usize) -> Result<Vec<(u32, f32)>, VectorError> {
        let pairs: Vec<(u32, f32)> = bytemuck::pod_collect_to_vec::<u8, u32>(bytes)
            .chunks_exact(2)
            .map(|w| (w[0], f32::from_bits(w[1])))
            .collect();
        if pairs
            .iter()
            .any(|&(r, _)| r != u32::MAX && r as usize >= rows)
        {
            return Err(VectorError::Io(format!(
                "{}: a neighbour row is out of range",
                self.path.display()
            )));
        }
        Ok(pairs)
    }
}

/// Reads `neighbours.bin` whole if the generation has one: the pairs and how many per row.
fn read_neighbours(dir: &Path, rows: usize) -> Result<(Vec<(u32, f32)>, usize), VectorError> {
    let Some(lists) = NeighbourLists::open(dir, rows)? else {
        return Ok((Vec::new(), 0));
    };
    let bytes = std::fs::read(&lists.path).map_err(io(&lists.path))?;
    Ok((lists.pairs(&bytes, rows)?, lists.per_row))
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
    use crate::vectors::random_unit_vectors;

    fn item(id: &str, categories: Vec<u32>, price: f64, stock: i64) -> VectorItem {
        VectorItem {
            id: id.to_owned(),
            categories,
            price,
            stock,
            featured: false,
            attributes: Default::default(),
            retired: false,
        }
    }

    #[test]
    fn a_delta_retires_adds_and_keeps_the_lists_of_what_it_touches_true() {
        let n = EXACT_BELOW;
        let vectors = random_unit_vectors(n + 5, 16);
        let items: Vec<VectorItem> = (0..n)
            .map(|i| item(&format!("p{i}"), vec![0], 10.0, 1))
            .collect();
        let (from, to) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        VectorSet::write(from.path(), "m", 16, items, &vectors[..n], true).unwrap();
        VectorSet::open(from.path(), "m")
            .unwrap()
            .write_neighbours(from.path())
            .unwrap();
        let before = VectorSet::open(from.path(), "m").unwrap();
        // p3 is deleted, p5 changes its passage (a new vector), p6 its price; p-new-i arrive
        // with vectors near rows 100..104, so that they enter those rows' lists.
        let near = |row: usize| -> Vec<f32> {
            let v: Vec<f32> = before
                .vector(row)
                .iter()
                .zip(&vectors[n])
                .map(|(a, b)| a + 0.05 * b)
                .collect();
            let norm = dot(&v, &v).sqrt();
            v.into_iter().map(|x| x / norm).collect()
        };
        let mut add: Vec<(VectorItem, Vec<f32>)> = (0..4)
            .map(|i| (item(&format!("p-new-{i}"), vec![0], 10.0, 1), near(100 + i)))
            .collect();
        add.push((item("p5", vec![0], 10.0, 1), vectors[n + 1].clone()));
        let delta = VectorDelta {
            facts: vec![item("p6", vec![0], 99.0, 1)],
            retire: vec!["p3".to_owned(), "p5".to_owned()],
            add,
        };
        let counts = VectorSet::write_delta(from.path(), to.path(), "m", delta).unwrap();
        assert_eq!((counts.retired, counts.added), (2, 5));
        let after = VectorSet::open(to.path(), "m").unwrap();
        assert_eq!(after.len(), n + 5);
        assert_eq!(after.products(), n + 3);
        assert_eq!(after.row("p3"), None);
        assert_eq!(after.row("p5"), Some(n + 4), "p5 is its new row");
        assert_eq!(after.item(after.row("p6").unwrap()).price, 99.0);
        let retired = [3usize, 5];
        let everything = ProductFilter::default();
        for row in (0..n + 5).step_by(97).chain(n..n + 5) {
            if retired.contains(&row) {
                continue;
            }
            // No search and no list returns a retired row.
            let found = after.knn(&after.vector(row), 20, &everything, Some(row));
            assert!(found.iter().all(|(r, _)| !retired.contains(r)));
            let list = after.neighbours(row);
            assert_eq!(list.len(), NEIGHBOURS, "row {row}");
            assert!(list.iter().all(|(r, _)| !retired.contains(&(*r as usize))));
            assert!(list.windows(2).all(|w| w[0].1 >= w[1].1), "sorted");
        }
        for i in 0..4 {
            let new = after.row(&format!("p-new-{i}")).unwrap();
            // Its own list, from the graph it was inserted into: its anchor first.
            assert_eq!(after.neighbours(new)[0].0 as usize, 100 + i);
            // It entered its anchor's list, which beat nothing it should not have.
            assert_eq!(after.neighbours(100 + i)[0].0 as usize, new);
            let found = after.knn(&after.vector(new), 1, &everything, None);
            assert_eq!(found[0].0, new, "the graph finds the inserted row");
        }
        // The lists no change reached are the previous ones.
        let untouched = (200..n)
            .filter(|&row| {
                before
                    .neighbours(row)
                    .iter()
                    .all(|(r, _)| !retired.contains(&(*r as usize)))
                    && !after.neighbours(row).iter().any(|(r, _)| *r as usize >= n)
            })
            .take(50)
            .collect::<Vec<_>>();
        assert!(!untouched.is_empty());
        for row in untouched {
            assert_eq!(before.neighbours(row), after.neighbours(row));
        }
    }

    #[test]
    fn filtered_knn_over_the_graph_passes_the_filter_and_matches_the_exact_scan() {
        let n = EXACT_BELOW;
        let items = (0..n)
            .map(|i| {
                let categories = if i.is_multiple_of(7) {
                    vec![0, 1]
                } else {
                    vec![0]
                };
                item(
                    &format!("p{i}"),
                    categories,
                    (i % 1000) as f64,
                    (i % 3) as i64,
                )
            })
            .collect();
        let dir = tempfile::tempdir().unwrap();
        VectorSet::write(
            dir.path(),
            "m",
            16,
            items,
            &random_unit_vectors(n, 16),
            true,
        )
        .unwrap();
        let set = VectorSet::open(dir.path(), "m").unwrap();
        let k = 10;
        let ids = |found: &[(usize, f32)]| found.iter().map(|r| r.0).collect::<Vec<_>>();
        let queries: Vec<usize> = (0..n).step_by(n / 40).collect();

        // Most rows pass: the over-fetched graph search, close to the exact answer.
        let most = ProductFilter {
            max_price: Some(799.0),
            in_stock: Some(true),
            ..Default::default()
        };
        let mut agreed = 0;
        for &row in &queries {
            let found = set.knn(&set.vector(row), k, &most, Some(row));
            assert_eq!(found.len(), k);
            assert!(
                found
                    .iter()
                    .all(|&(r, _)| r != row && most.accepts(set.item(r).facts()))
            );
            let exact = ids(&set.scan_knn(&set.vector(row), k, &most, Some(row)));
            agreed += ids(&found).iter().filter(|r| exact.contains(r)).count();
        }
        let recall = agreed as f64 / (queries.len() * k) as f64;
        assert!(
            recall >= 0.9,
            "recall@10 with a permissive filter: {recall}"
        );

        // Few rows pass (0.3 %): the exact scan of the rows that pass.
        let few = ProductFilter {
            max_price: Some(2.0),
            ..Default::default()
        };
        for &row in &queries {
            assert_eq!(
                ids(&set.knn(&set.vector(row), k, &few, None)),
                ids(&set.scan_knn(&set.vector(row), k, &few, None))
            );
        }

        // A small category: the exact scan of its rows.
        let small_category = ProductFilter {
            category: Some(1),
            max_price: Some(500.0),
            ..Default::default()
        };
        for &row in &queries {
            let found = set.knn(&set.vector(row), k, &small_category, Some(row));
            assert_eq!(
                ids(&found),
                ids(&set.scan_knn(&set.vector(row), k, &small_category, Some(row)))
            );
            assert!(found.iter().all(|&(r, _)| r % 7 == 0 && r % 1000 <= 500));
        }

        // None pass, and no filter at all.
        let none = ProductFilter {
            max_price: Some(-1.0),
            ..Default::default()
        };
        assert!(set.knn(&set.vector(0), k, &none, None).is_empty());
        let everything = set.knn(&set.vector(0), k, &ProductFilter::default(), Some(0));
        assert_eq!(everything.len(), k);
        assert!(everything.iter().all(|&(r, _)| r != 0));
    }

    #[test]
    fn the_code_scans_find_the_exact_float_neighbours() {
        // Two shapes: uniform on the sphere, and a narrow cone like e5's (a shared direction,
        // cosines around 0.8), where the codes' centring matters. Enough rows that the sign
        // pass keeps a small share of them (512 of 12,000).
        let (n, dimension, k) = (12_000, 384, 10);
        let spread = random_unit_vectors(n, dimension);
        let shared = &random_unit_vectors(1, dimension)[0];
        let cone: Vec<Vec<f32>> = spread
            .iter()
            .map(|v| {
                let w: Vec<f32> = shared.iter().zip(v).map(|(s, x)| s + 0.5 * x).collect();
                let norm = dot(&w, &w).sqrt();
                w.into_iter().map(|x| x / norm).collect()
            })
            .collect();
        for (shape, vectors) in [("sphere", spread), ("cone", cone)] {
            let dir = tempfile::tempdir().unwrap();
            let items = (0..n)
                .map(|i| item(&format!("p{i}"), vec![0], i as f64, 1))
                .collect();
            VectorSet::write(dir.path(), "m", dimension, items, &vectors, false).unwrap();
            let set = VectorSet::open(dir.path(), "m").unwrap();
            let queries: Vec<usize> = (0..n).step_by(n / 40).collect();
            let exact: Vec<Vec<(usize, f32)>> = queries
                .iter()
                .map(|&row| {
                    let mut exact: Vec<(usize, f32)> = (0..n)
                        .filter(|&r| r != row)
                        .map(|r| (r, dot(&vectors[row], &vectors[r])))
                        .collect();
                    keep_best(&mut exact, k);
                    exact
                })
                .collect();
            for signs_first in [false, true] {
                let mut agreed = 0;
                for (&row, exact) in queries.iter().zip(&exact) {
                    let query = &vectors[row];
                    let prepared = set.codes.query(query);
                    let scored = set.score_codes(
                        Candidates::Every(n),
                        &prepared,
                        k,
                        &ProductFilter::default(),
                        Some(row),
                        signs_first,
                    );
                    let found = set.rescore(scored, query, k);
                    assert_eq!(found.len(), k);
                    // Scores are the exact cosines of the rows returned, best first.
                    for (r, score) in &found {
                        assert_eq!(*score, dot(query, &vectors[*r]));
                    }
                    assert!(found.windows(2).all(|w| w[0].1 >= w[1].1));
                    agreed += found
                        .iter()
                        .filter(|f| exact.iter().any(|e| e.0 == f.0))
                        .count();
                }
                let recall = agreed as f64 / (queries.len() * k) as f64;
                assert!(
                    recall >= 0.98,
                    "{shape}, signs first {signs_first}: recall@10 {recall}"
                );
            }
        }
    }

    #[test]
    fn a_scan_split_between_cores_keeps_what_one_pass_keeps_in_either_order() {
        let (n, keep) = (PARALLEL_SCAN_FROM + 3_000, 100);
        // Scores with many ties; a third of the rows left out.
        let score = |row: usize| ((row * 7_919) % 1_000) as f32;
        let admits = |row: usize| !row.is_multiple_of(3);
        let mut expected: Vec<(usize, f32)> = (0..n)
            .filter(|&row| admits(row))
            .map(|row| (row, score(row)))
            .collect();
        keep_best(&mut expected, keep);
        // Rows in order and in reverse (ties must still go to the lower row).
        let listed: Vec<u32> = (0..n as u32).rev().collect();
        for rows in [Candidates::Every(n), Candidates::Listed(&listed)] {
            for order in [Order::FilterFirst, Order::ScoreFirst] {
                let mut split = best_of(rows, keep, score, admits, order, None);
                keep_best(&mut split, keep);
                assert_eq!(split, expected);
            }
        }
    }

    /// Excluded categories taken as a set of rows exclude what the item check excludes: the
    /// shortlist equals one scored row by row under `accepts` on each item.
    #[test]
    fn a_scan_excluding_categories_by_their_rows_admits_what_the_items_admit() {
        let (n, dimension, k) = (3_000, 16, 10);
        let vectors = random_unit_vectors(n, dimension);
        // Categories 1..=4 under 0; row i in 1 + i % 4, some rows in a second category 5.
        let items = (0..n)
            .map(|i| {
                let mut categories = vec![0, 1 + (i % 4) as u32];
                if i.is_multiple_of(7) {
                    categories.push(5);
                }
                item(
                    &format!("p{i}"),
                    categories,
                    (i % 100) as f64,
                    (i % 3) as i64,
                )
            })
            .collect();
        let dir = tempfile::tempdir().unwrap();
        VectorSet::write(dir.path(), "m", dimension, items, &vectors, false).unwrap();
        let set = VectorSet::open(dir.path(), "m").unwrap();
        let filter = ProductFilter {
            exclude_categories: vec![2, 5],
            max_price: Some(80.0),
            in_stock: Some(true),
            ..Default::default()
        };
        let listed: Vec<u32> = (0..n as u32).filter(|r| r % 4 != 0).collect();
        for candidates in [Candidates::Every(n), Candidates::Listed(&listed)] {
            let (applied, excluded) = set.scan_filter(&filter, candidates.len());
            assert!(excluded.is_some() && applied.exclude_categories.is_empty());
            for row in (0..n).step_by(n / 6) {
                let prepared = set.codes.query(&vectors[row]);
                let mut scanned =
                    set.score_codes(candidates, &prepared, k, &filter, Some(row), false);
                let mut expected: Vec<(usize, f32)> = (0..candidates.len())
                    .map(|i| candidates.row(i))
                    .filter(|&r| r != row && filter.accepts(set.item(r).facts()))
                    .map(|r| (r, set.codes.approx(&prepared, r)))
                    .collect();
                keep_best(&mut expected, shortlist(k));
                keep_best(&mut scanned, shortlist(k));
                assert_eq!(scanned, expected);
                assert!(scanned.iter().all(|&(r, _)| r % 4 != 1 && r % 7 != 0));
            }
        }
    }

    /// A scan with price bounds skips the blocks of rows outside them and keeps what a check
    /// of every row keeps, over every row or listed ones, scored by int8 codes or signs first.
    #[test]
    fn a_scan_with_price_bounds_skips_closed_blocks_and_keeps_what_every_row_would() {
        let (n, dimension, k) = (PARALLEL_SCAN_FROM + 5 * BLOCK_ROWS / 2, 16, 10);
        let vectors = random_unit_vectors(n, dimension);
        // Prices rise with the row (as a whole build lays a category out), with a wobble.
        let items = (0..n)
            .map(|i| {
                let price = (i / 50) as f64 + (i % 3) as f64;
                item(&format!("p{i}"), vec![0], price, (i % 4) as i64)
            })
            .collect();
        let dir = tempfile::tempdir().unwrap();
        VectorSet::write(dir.path(), "m", dimension, items, &vectors, false).unwrap();
        let set = VectorSet::open(dir.path(), "m").unwrap();
        let filter = ProductFilter {
            min_price: Some(100.0),
            max_price: Some(260.0),
            in_stock: Some(true),
            ..Default::default()
        };
        let blocks = set.items.blocks_passing(&filter).unwrap();
        assert!(blocks.iter().filter(|open| !**open).count() >= blocks.len() / 2);
        let listed: Vec<u32> = (0..n as u32).filter(|r| r % 5 != 0).collect();
        for candidates in [Candidates::Every(n), Candidates::Listed(&listed)] {
            for row in (0..n).step_by(n / 5) {
                let prepared = set.codes.query(&vectors[row]);
                let admitted: Vec<usize> = (0..candidates.len())
                    .map(|i| candidates.row(i))
                    .filter(|&r| r != row && filter.accepts(set.item(r).facts()))
                    .collect();
                for signs_first in [false, true] {
                    let mut scanned =
                        set.score_codes(candidates, &prepared, k, &filter, Some(row), signs_first);
                    // The rows the sign pass keeps (or every admitted row), by their int8 codes.
                    let (kept, keep) = if signs_first {
                        let mut first: Vec<(usize, f32)> = admitted
                            .iter()
                            .map(|&r| (r, set.codes.sign_estimate(&prepared, r)))
                            .collect();
                        keep_best(&mut first, sign_shortlist(k));
                        (
                            first.into_iter().map(|(r, _)| r).collect(),
                            sign_shortlist(k),
                        )
                    } else {
                        (admitted.clone(), shortlist(k))
                    };
                    let mut expected: Vec<(usize, f32)> = kept
                        .into_iter()
                        .map(|r| (r, set.codes.approx(&prepared, r)))
                        .collect();
                    keep_best(&mut expected, keep);
                    keep_best(&mut scanned, keep);
                    assert_eq!(scanned, expected, "signs first {signs_first}");
                }
            }
        }
    }

    #[test]
    fn the_exact_scan_keeps_the_best_k_best_first_ties_by_row() {
        let dir = tempfile::tempdir().unwrap();
        // 200 rows on 7 directions: many equal cosines, so ties decide much of the order.
        let items: Vec<VectorItem> = (0..200)
            .map(|i| item(&format!("p{i}"), vec![0], i as f64, 1))
            .collect();
        let vectors: Vec<Vec<f32>> = (0..200)
            .map(|i| {
                let angle = (i % 7) as f32 * 0.4;
                vec![angle.cos(), angle.sin()]
            })
            .collect();
        VectorSet::write(dir.path(), "m1", 2, items, &vectors, false).unwrap();
        let set = VectorSet::open(dir.path(), "m1").unwrap();
        let query = [0.6, 0.8];
        let mut every: Vec<(usize, f32)> = (0..200)
            .filter(|&i| i != 3)
            .map(|i| (i, dot(&query, &set.vector(i))))
            .collect();
        every.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        for k in [0, 1, 10, 57, 199, 500] {
            let found = set.scan_knn(&query, k, &ProductFilter::default(), Some(3));
            assert_eq!(found, every[..k.min(every.len())], "k = {k}");
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
        let nearest = set.ann().unwrap().search(&[0.0, 1.0], 1);
        assert_eq!(nearest[0].0, 2);
        let all = set.scan_knn(&[1.0, 0.0], 3, &ProductFilter::default(), None);
        assert_eq!(all.iter().map(|r| r.0).collect::<Vec<_>>(), [0, 1, 2]);
        let without_anchor = set.scan_knn(&[1.0, 0.0], 2, &ProductFilter::default(), Some(0));
        assert_eq!(
            without_anchor.iter().map(|r| r.0).collect::<Vec<_>>(),
            [1, 2]
        );
        let in_stock = ProductFilter {
            in_stock: Some(true),
            ..Default::default()
        };
        assert_eq!(
            set.scan_knn(&[1.0, 0.0], 3, &in_stock, None)
                .iter()
                .map(|r| r.0)
                .collect::<Vec<_>>(),
            [0, 2]
        );
        let category = ProductFilter {
            category: Some(0),
            max_price: Some(15.0),
            ..Default::default()
        };
        assert_eq!(
            set.scan_knn(&[0.0, 1.0], 3, &category, None)
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
