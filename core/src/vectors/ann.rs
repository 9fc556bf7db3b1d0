//! Approximate nearest neighbours: an HNSW graph (hnsw_rs, cosine distance) over the vectors of
//! a generation, built in parallel at reindex, dumped beside the vectors and reloaded at start
//! with its vectors memory-mapped (hnsw_rs's `datamap`): the graph's links are in memory, the
//! 1.5 KB per row of floats stay in the page cache and are read as searches reach them.
//!
//! The distance is the cosine distance ([`DistCosine`], not anndists' `DistDot`, which panics
//! when a vector is searched against itself), computed here in f32 lanes.
//!
//! This is the one module where `unsafe` is allowed (the workspace denies it everywhere else).
//! A reloaded graph borrows its loader (`HnswIo`, which holds the memory map) for as long as it
//! lives, and a struct that owns both is self-referential, which safe Rust cannot express.
//! Leaking the loader instead would keep every generation's map (and its deleted files' disk
//! space) until the process ends, and a live sync publishes generations all day. So
//! [`AnnIndex`] keeps the loader on the heap behind a raw pointer and frees it in `drop`, after
//! the graph; the graph, with its `'static` lifetime, never leaves this module.
#![allow(unsafe_code)]

use std::mem::ManuallyDrop;
use std::path::Path;
use std::ptr::NonNull;

use hnsw_rs::anndists::dist::Distance;
use hnsw_rs::api::AnnT;
use hnsw_rs::hnswio::{HnswIo, ReloadOptions};
use hnsw_rs::prelude::Hnsw;

use super::VectorError;
use super::store::dot;

/// Links per node.
const MAX_CONNECTIONS: usize = 16;
/// Candidate list while building.
const EF_CONSTRUCTION: usize = 200;
/// Layers at most.
const MAX_LAYERS: usize = 16;
/// Candidate list while searching (at least k). Measured at 100,000 products with real
/// vectors (knn bench, recall@10 against exact float k-NN, unfiltered / under 50 € in stock):
/// 64 gave 97.0 / 97.5 % at p50 1.02 ms, 96 gave 98.0 / 97.5 % at 1.34 ms, 128 gives
/// 99.0 / 98.5 % at 1.64 ms.
pub const EF_SEARCH: usize = 128;
/// Base name of the dumped graph files.
pub(super) const BASENAME: &str = "hnsw";

/// The cosine distance, `1 - a·b / (|a| |b|)`, as anndists' `DistCosine` defines it, summed in
/// f32 lanes. anndists sums one value at a time in f64, three running sums the compiler cannot
/// vectorise, and a graph search spends most of its time in the distance.
///
/// Named `DistCosine` on purpose: hnsw_rs checks a dumped graph's distance by the last segment
/// of its type name, so graphs dumped with anndists' distance reload with this one (and the
/// reverse), as `a_graph_dumped_with_anndists_cosine_reloads_with_this_one` checks.
#[derive(Default, Clone, Copy)]
pub(super) struct DistCosine;

impl Distance<f32> for DistCosine {
    fn eval(&self, a: &[f32], b: &[f32]) -> f32 {
        debug_assert_eq!(a.len(), b.len());
        // Three passes of `dot`, each in full SIMD lanes (one pass with three sums of lanes
        // compiled to half-width registers and spills); the second and third read from L1.
        let (ab, aa, bb) = (dot(a, b), dot(a, a), dot(b, b));
        if aa > 0.0 && bb > 0.0 {
            (1.0 - ab / (aa * bb).sqrt()).max(0.0)
        } else {
            0.0
        }
    }
}

/// An HNSW graph whose data ids are row numbers of a [`super::VectorSet`].
pub struct AnnIndex {
    /// Dropped by hand in `drop`, before the loader it borrows.
    hnsw: ManuallyDrop<Hnsw<'static, f32, DistCosine>>,
    /// The loader of a reloaded graph (from `Box::leak`, freed in `drop`); `None` for a
    /// graph built in memory.
    loader: Option<NonNull<HnswIo>>,
}

// SAFETY: the loader is touched only by `load` (before the graph exists) and `drop` (after the
// graph is gone); in between only the graph reads it, and both types are `Send + Sync`
// (checked below), so sharing the pair across threads is what sharing the graph is.
unsafe impl Send for AnnIndex {}
unsafe impl Sync for AnnIndex {}
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<HnswIo>();
    send_sync::<Hnsw<'static, f32, DistCosine>>();
};

impl Drop for AnnIndex {
    fn drop(&mut self) {
        // SAFETY: `hnsw` is not used after this, and goes before the loader it borrows.
        unsafe { ManuallyDrop::drop(&mut self.hnsw) };
        if let Some(loader) = self.loader.take() {
            // SAFETY: the pointer came from `Box::leak` in `load`, is freed only here, and
            // nothing borrows the loader any more.
            drop(unsafe { Box::from_raw(loader.as_ptr()) });
        }
    }
}

impl AnnIndex {
    /// Builds the graph over `rows` (row number = data id), inserting in parallel.
    pub fn build(rows: &[&[f32]]) -> AnnIndex {
        let mut hnsw = Hnsw::new(
            MAX_CONNECTIONS,
            rows.len().max(1),
            MAX_LAYERS,
            EF_CONSTRUCTION,
            DistCosine,
        );
        // Inserted in a scrambled order: rows are laid out by category, and an HNSW graph
        // built one cluster after another links clusters worse than one built from a mix.
        let mut data: Vec<(&[f32], usize)> =
            rows.iter().enumerate().map(|(i, v)| (*v, i)).collect();
        data.sort_by_key(|&(_, i)| (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        hnsw.parallel_insert_slice(&data);
        hnsw.set_searching_mode(true);
        AnnIndex {
            hnsw: ManuallyDrop::new(hnsw),
            loader: None,
        }
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

    /// Reloads a graph dumped in `dir` under `basename`, its vectors memory-mapped.
    pub fn load(dir: &Path, basename: &str) -> Result<AnnIndex, VectorError> {
        let mut loader = HnswIo::new(dir, basename);
        loader.set_options(ReloadOptions::default().set_mmap(true));
        let loader = NonNull::from(Box::leak(Box::new(loader)));
        // SAFETY: the pointer is to a live heap value that nothing else references; it does
        // not move until `drop` frees it, after the graph that borrows it.
        let borrowed: &'static mut HnswIo = unsafe { &mut *loader.as_ptr() };
        match borrowed.load_hnsw::<f32, DistCosine>() {
            Ok(mut hnsw) => {
                hnsw.set_searching_mode(true);
                Ok(AnnIndex {
                    hnsw: ManuallyDrop::new(hnsw),
                    loader: Some(loader),
                })
            }
            Err(e) => {
                // SAFETY: the failed load keeps no borrow of the loader; freed once, here.
                drop(unsafe { Box::from_raw(loader.as_ptr()) });
                Err(VectorError::Io(format!(
                    "cannot load the HNSW graph in {}: {e}",
                    dir.display()
                )))
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vectors::random_unit_vectors;
    use hnsw_rs::anndists::dist::DistCosine as AnndistsCosine;

    #[test]
    fn the_cosine_distance_is_anndists_within_float_rounding() {
        // 384 dimensions as e5's, and 13 for the tail that fills no lane.
        for dimension in [384, 13] {
            let vectors = random_unit_vectors(50, dimension);
            for (i, a) in vectors.iter().enumerate() {
                // Not normalised: a vector at another scale.
                let scaled: Vec<f32> = vectors[(i + 1) % 50].iter().map(|x| x * 3.5).collect();
                for b in [a, &vectors[(i + 7) % 50], &scaled] {
                    let ours = DistCosine.eval(a, b);
                    let theirs = AnndistsCosine.eval(a, b);
                    assert!((ours - theirs).abs() < 1e-5, "{ours} against {theirs}");
                    assert!(ours >= 0.0);
                }
            }
            let zero = vec![0.0; dimension];
            assert_eq!(DistCosine.eval(&zero, &vectors[0]), 0.0);
        }
    }

    #[test]
    fn a_graph_dumped_with_anndists_cosine_reloads_with_this_one() {
        let vectors = random_unit_vectors(300, 24);
        let hnsw: Hnsw<f32, AnndistsCosine> = Hnsw::new(
            MAX_CONNECTIONS,
            vectors.len(),
            MAX_LAYERS,
            64,
            AnndistsCosine,
        );
        let data: Vec<(&[f32], usize)> = vectors
            .iter()
            .enumerate()
            .map(|(i, v)| (v.as_slice(), i))
            .collect();
        hnsw.parallel_insert_slice(&data);
        let dir = tempfile::tempdir().unwrap();
        let basename = hnsw.file_dump(dir.path(), BASENAME).unwrap();
        let reloaded = AnnIndex::load(dir.path(), &basename).unwrap();
        assert_eq!(reloaded.len(), vectors.len());
        for row in (0..vectors.len()).step_by(37) {
            let found = reloaded.search(&vectors[row], 5);
            assert_eq!(found[0].0, row);
            assert!((found[0].1 - 1.0).abs() < 1e-5);
        }
    }
}
