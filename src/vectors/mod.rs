//! The semantic layer: local text embeddings (see [`embedder`]) and, later in this module,
//! the vector index of a generation.

mod embedder;

use std::path::PathBuf;

pub use embedder::{Embedder, LocalEmbedder, MODEL_DIR, ORT_LIBRARY};

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
}
