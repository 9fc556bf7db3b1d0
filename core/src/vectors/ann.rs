//! Approximate nearest neighbours: an HNSW graph (hnsw_rs, cosine distance) over the vectors of
//! a generation, built in parallel at reindex, dumped beside the vectors and reloaded at start.
//!
//! `DistCosine`, not `DistDot`: the latter panics when a vector is searched against itself.
//! The reloaded graph borrows its loader (`HnswIo`); the loader is leaked on purpose (a few
//! hundred bytes per generation loaded) because `unsafe` is forbidden here and a
//! self-referential struct would need it.

use std::path::Path;

use hnsw_rs::api::AnnT;
use hnsw_rs::hnswio::HnswIo;
use hnsw_rs::prelude::{DistCosine, Hnsw};

use super::VectorError;

/// Links per node.
const MAX_CONNECTIONS: usize = 16;
/// Candidate list while building.
const EF_CONSTRUCTION: usize = 200;
/// Layers at most.
const MAX_LAYERS: usize = 16;
/// Candidate list while searching (at least k).
pub const EF_SEARCH: usize = 64;
/// Base name of the dumped graph files.
pub(super) const BASENAME: &str = "hnsw";

/// An HNSW graph whose data ids are row numbers of a [`super::VectorSet`].
pub struct AnnIndex {
    hnsw: Hnsw<'static, f32, DistCosine>,
}

impl AnnIndex {
    /// Builds the graph over `rows` (row number = data id), inserting in parallel.
    pub fn build(rows: &[&[f32]]) -> AnnIndex {
        let mut hnsw = Hnsw::new(
            MAX_CONNECTIONS,
            rows.len().max(1),
            MAX_LAYERS,
            EF_CONSTRUCTION,
            DistCosine {},
        );
        let data: Vec<(&[f32], usize)> = rows.iter().enumerate().map(|(i, v)| (*v, i)).collect();
        hnsw.parallel_insert_slice(&data);
        hnsw.set_searching_mode(true);
        AnnIndex { hnsw }
    }

    /// Dumps the graph into `dir`; returns the base name used.
    pub fn dump(&self, dir: &Path) -> Result<String, VectorError> {
        self.hnsw.file_dump(dir, BASENAME).map_err(|e| {
            VectorError::Io(format!(
                "cannot dump the HNSW graph in {}: {e}",
                dir.display()
            ))
        })
    }

    /// Reloads a graph dumped in `dir` under `basename`.
    pub fn load(dir: &Path, basename: &str) -> Result<AnnIndex, VectorError> {
        let loader: &'static mut HnswIo = Box::leak(Box::new(HnswIo::new(dir, basename)));
        let mut hnsw: Hnsw<'static, f32, DistCosine> = loader.load_hnsw().map_err(|e| {
            VectorError::Io(format!(
                "cannot load the HNSW graph in {}: {e}",
                dir.display()
            ))
        })?;
        hnsw.set_searching_mode(true);
        Ok(AnnIndex { hnsw })
    }

    /// Inserts a row into a built or reloaded graph.
    pub fn insert(&self, vector: &[f32], row: usize) {
        self.hnsw.insert_slice((vector, row));
    }

    /// Number of points in the graph.
    pub fn len(&self) -> usize {
        self.hnsw.get_nb_point()
    }

    /// Whether the graph is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `k` nearest rows, as `(row, cosine similarity)`, best first.
    ///
    /// There is no filter argument on purpose: hnsw_rs's filtered search stops early only once
    /// its candidate list holds `ef` accepted points, so a filter that rejects most nodes makes
    /// it walk most of the graph (166 ms p50 at 1,000,000 vectors for lighting under 200 € in
    /// stock). Filters are applied by the caller on an over-fetched unfiltered search instead
    /// ([`super::VectorSet::knn`]).
    pub fn search(&self, query: &[f32], k: usize) -> Vec<(usize, f32)> {
        if k == 0 || self.is_empty() {
            return Vec::new();
        }
        self.hnsw
            .search(query, k, EF_SEARCH.max(k))
            .into_iter()
            .map(|n| (n.d_id, 1.0 - n.distance))
            .collect()
    }
}
