//! Approximate nearest neighbours: an HNSW graph (USearch, cosine distance, each vector stored
//! as f16) over the vectors of a generation, built in parallel at reindex, saved beside the
//! vectors as one file and memory-mapped at start (`view`): neither the links nor the vectors
//! are copied to the heap, and the kernel keeps resident only the pages searches reach.
//!
//! Why USearch and not hnsw_rs (which this module wrapped until 2026-11-29): hnsw_rs keeps
//! every link as an `Arc` to a heap node, about 1.5 GB of anonymous memory for a million rows,
//! and reads its whole data file at load; USearch keeps links as 4-byte slots in one flat
//! layout it can serve from a memory map, and builds several times faster. The figures, side by
//! side on the same fixtures, are in `benches/RESULTS-notes.md`.
//!
//! Vectors are stored as f16 (768 bytes a row at 384 dimensions, half the floats): the graph
//! only ranks candidates, whose exact cosines [`super::VectorSet::knn`] reads from the
//! full-precision rows on disk.

use std::path::{Path, PathBuf};

use usearch::{Index, IndexOptions, MetricKind, ScalarKind};

use super::VectorError;

/// Links per node (the upper layers; the bottom layer has twice as many).
const CONNECTIVITY: usize = 16;
/// Candidate list while building.
const EXPANSION_ADD: usize = 200;
/// Candidate list while searching (at least k). Measured at 100,000 products with real
/// vectors (knn bench, recall@10 against exact float k-NN, unfiltered / under 50 € in stock)
/// with the former hnsw_rs graph: 64 gave 97.0 / 97.5 %, 96 gave 98.0 / 97.5 %, 128 gave
/// 99.0 / 98.5 %; the same setting holds for this graph (RESULTS-notes).
pub const EF_SEARCH: usize = 128;
/// File name of the saved graph.
pub(super) const FILE: &str = "graph.usearch";

/// An HNSW graph whose keys are row numbers of a [`super::VectorSet`].
pub struct AnnIndex {
    index: Index,
    /// The file a viewed graph maps; `None` for a graph built or loaded into memory.
    viewed: Option<PathBuf>,
}

fn failed(what: &str, e: impl std::fmt::Display) -> VectorError {
    VectorError::Io(format!("{what}: {e}"))
}

fn options(dimension: usize) -> IndexOptions {
    IndexOptions {
        dimensions: dimension,
        metric: MetricKind::Cos,
        quantization: ScalarKind::F16,
        connectivity: CONNECTIVITY,
        expansion_add: EXPANSION_ADD,
        expansion_search: EF_SEARCH,
        multi: false,
    }
}

fn path_str(path: &Path) -> Result<&str, VectorError> {
    path.to_str()
        .ok_or_else(|| VectorError::Io(format!("{}: not UTF-8", path.display())))
}

impl AnnIndex {
    /// Builds the graph over `rows` (row number = key), inserting on every core.
    pub fn build(rows: &[&[f32]]) -> Result<AnnIndex, VectorError> {
        use rayon::prelude::*;
        let dimension = rows.first().map_or(1, |r| r.len());
        let index = Index::new(&options(dimension)).map_err(|e| failed("HNSW graph", e))?;
        index
            .reserve_capacity_and_threads(rows.len(), rayon::current_num_threads())
            .map_err(|e| failed("HNSW graph", e))?;
        // Inserted in a scrambled order: rows are laid out by category, and a graph built one
        // cluster after another links clusters worse than one built from a mix.
        let mut order: Vec<usize> = (0..rows.len()).collect();
        order.sort_by_key(|&i| (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        order
            .par_iter()
            .try_for_each(|&row| index.add(row as u64, rows[row]))
            .map_err(|e| failed("HNSW graph", e))?;
        Ok(AnnIndex {
            index,
            viewed: None,
        })
    }

    /// Saves the graph into `dir`; returns the file name used.
    pub fn dump(&self, dir: &Path) -> Result<String, VectorError> {
        let path = dir.join(FILE);
        self.index
            .save(path_str(&path)?)
            .map_err(|e| failed(&format!("cannot save the HNSW graph {}", path.display()), e))?;
        Ok(FILE.to_owned())
    }

    /// Opens the graph saved in `dir` under `name`, memory-mapped.
    pub fn load(dir: &Path, name: &str) -> Result<AnnIndex, VectorError> {
        let path = dir.join(name);
        let index = Index::restore_view(path_str(&path)?)
            .map_err(|e| failed(&format!("cannot open the HNSW graph {}", path.display()), e))?;
        // The search setting is not part of the file.
        index.change_expansion_search(EF_SEARCH);
        Ok(AnnIndex {
            index,
            viewed: Some(path),
        })
    }

    /// Inserts `rows` (row number, vector). A memory-mapped graph is read into memory first:
    /// a map is read-only.
    pub fn insert(&mut self, rows: &[(usize, Vec<f32>)]) -> Result<(), VectorError> {
        if let Some(path) = self.viewed.take() {
            self.index = Index::restore(path_str(&path)?).map_err(|e| {
                failed(&format!("cannot read the HNSW graph {}", path.display()), e)
            })?;
            self.index.change_expansion_search(EF_SEARCH);
        }
        self.index
            .reserve(self.len() + rows.len())
            .map_err(|e| failed("HNSW graph", e))?;
        for (row, vector) in rows {
            self.index
                .add(*row as u64, vector)
                .map_err(|e| failed("HNSW graph", e))?;
        }
        Ok(())
    }

    /// Number of points in the graph.
    pub fn len(&self) -> usize {
        self.index.size()
    }

    /// Whether the graph is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `k` nearest rows, as `(row, cosine similarity)` from the f16 vectors, best first.
    ///
    /// There is no filter argument on purpose: a graph search whose filter rejects most nodes
    /// walks most of the graph (166 ms p50 at 1,000,000 vectors for lighting under 200 € in
    /// stock, measured with hnsw_rs's filtered search). Filters are applied by the caller on an
    /// over-fetched unfiltered search instead ([`super::VectorSet::knn`]).
    pub fn search(&self, query: &[f32], k: usize) -> Vec<(usize, f32)> {
        if k == 0 || self.is_empty() {
            return Vec::new();
        }
        match self.index.search(query, k) {
            Ok(found) => found
                .keys
                .iter()
                .zip(&found.distances)
                .map(|(&key, &distance)| (key as usize, 1.0 - distance))
                .collect(),
            Err(e) => {
                // Only a query of another dimension fails, which the caller rules out.
                tracing::warn!(error = %e, "HNSW search failed");
                Vec::new()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vectors::random_unit_vectors;
    use crate::vectors::store::dot;

    fn exact(vectors: &[Vec<f32>], query: &[f32], k: usize) -> Vec<usize> {
        let mut scored: Vec<(usize, f32)> = vectors
            .iter()
            .enumerate()
            .map(|(i, v)| (i, dot(query, v)))
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1));
        scored.into_iter().take(k).map(|(i, _)| i).collect()
    }

    #[test]
    fn a_saved_graph_maps_back_finds_the_exact_neighbours_and_takes_new_rows() {
        let vectors = random_unit_vectors(2_000, 32);
        let rows: Vec<&[f32]> = vectors.iter().map(Vec::as_slice).collect();
        let dir = tempfile::tempdir().unwrap();
        let name = AnnIndex::build(&rows[..1_900])
            .unwrap()
            .dump(dir.path())
            .unwrap();
        let mut graph = AnnIndex::load(dir.path(), &name).unwrap();
        assert_eq!(graph.len(), 1_900);

        let k = 10;
        let recall = |graph: &AnnIndex, known: usize| -> f64 {
            let mut hits = 0;
            for row in (0..known).step_by(19) {
                let found = graph.search(&vectors[row], k);
                // Best first, with the cosine of the f16 vectors.
                assert!(found.windows(2).all(|w| w[0].1 >= w[1].1));
                for &(r, score) in &found {
                    assert!((score - dot(&vectors[row], &vectors[r])).abs() < 2e-3);
                }
                let exact = exact(&vectors[..known], &vectors[row], k);
                hits += found.iter().filter(|(r, _)| exact.contains(r)).count();
            }
            hits as f64 / ((known).div_ceil(19) * k) as f64
        };
        assert!(recall(&graph, 1_900) >= 0.95);

        // New rows go into a graph read back from its map, which then saves whole.
        let added: Vec<(usize, Vec<f32>)> =
            (1_900..2_000).map(|r| (r, vectors[r].clone())).collect();
        graph.insert(&added).unwrap();
        assert_eq!(graph.len(), 2_000);
        let again = tempfile::tempdir().unwrap();
        let name = graph.dump(again.path()).unwrap();
        let reopened = AnnIndex::load(again.path(), &name).unwrap();
        assert_eq!(reopened.len(), 2_000);
        assert!(recall(&reopened, 2_000) >= 0.95);
        assert_eq!(reopened.search(&vectors[1_950], 1)[0].0, 1_950);
    }
}
