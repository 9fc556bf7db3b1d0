//! The semantic layer: local text embeddings ([`Embedder`]), the passage of a product that
//! gets embedded, the embedding cache, and the vectors of a generation ([`VectorSet`]).

mod ann;
mod build;
mod embedder;
mod items;
mod passage;
mod quantized;
mod store;
mod synthetic;

use std::path::PathBuf;

pub use ann::{AnnIndex, EF_SEARCH};
pub use build::{VECTORS_DIR, build, embed_cached, update};
pub use embedder::{Embedder, LocalEmbedder, MODEL_DIR, ORT_LIBRARY};
pub use items::VectorItem;
pub use passage::{passage, passage_hash};
pub use store::{DeltaCounts, EXACT_BELOW, NEIGHBOURS, VectorDelta, VectorSet, dot};
pub use synthetic::SyntheticEmbedder;

/// Errors of the semantic layer.
#[derive(Debug, thiserror::Error)]
pub enum VectorError {
    /// A model file or the ONNX Runtime library is missing.
    #[error("{path}: {reason}; run tools/install-models.sh to install the embedding model")]
    ModelMissing {
        /// The missing file.
        path: PathBuf,
        /// Why it could not be read.
        reason: String,
    },
    /// ONNX Runtime or the model failed.
    #[error("embedding model error: {0}")]
    Runtime(String),
    /// The generation's vectors were built by another model.
    #[error(
        "the index's vectors were built by model {found}, this engine runs {expected}: run `vivr-search reindex`"
    )]
    ModelMismatch {
        /// Model id in the generation.
        found: String,
        /// Model id of the engine's embedder.
        expected: String,
    },
    /// Vector files could not be read or written.
    #[error("vector files: {0}")]
    Io(String),
    /// The replica failed (embedding cache, products).
    #[error(transparent)]
    Catalog(#[from] crate::catalog::CatalogError),
    /// The build was cancelled.
    #[error("reindex cancelled; the live generation is untouched")]
    Cancelled,
}

/// `n` pseudo-random unit vectors (a fixed seed: tests repeat).
#[cfg(test)]
pub(crate) fn random_unit_vectors(n: usize, dimension: usize) -> Vec<Vec<f32>> {
    let mut state: u64 = 7;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 40) as f32 / (1u64 << 24) as f32) - 0.5
    };
    (0..n)
        .map(|_| {
            let v: Vec<f32> = (0..dimension).map(|_| next()).collect();
            let norm = store::dot(&v, &v).sqrt();
            v.into_iter().map(|x| x / norm).collect()
        })
        .collect()
}
