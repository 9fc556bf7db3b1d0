//! Text embeddings. [`Embedder`] is the seam: the engine and reindex only see the trait, so
//! unit tests can pass a small fake; [`LocalEmbedder`] runs multilingual-e5-small in-process
//! (fastembed over ONNX Runtime, both from `models/`, installed by `tools/install-models.sh`).
//!
//! E5 wants a prefix: `passage: ` for the texts of the catalog, `query: ` for what shoppers
//! type. Vectors are L2-normalised (fastembed does it), so a dot product is a cosine.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use fastembed::{
    InitOptionsUserDefined, Pooling, TextEmbedding, TokenizerFiles, UserDefinedEmbeddingModel,
};

use super::VectorError;

/// Turns texts into vectors of one model.
pub trait Embedder: Send + Sync {
    /// Identifies the model and its weights; vectors of another id are refused.
    fn model_id(&self) -> &str;
    /// Dimension of the vectors.
    fn dimension(&self) -> usize;
    /// Embeds catalog texts (products), in order.
    fn embed_passages(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, VectorError>;
    /// Embeds one query.
    fn embed_query(&self, text: &str) -> Result<Vec<f32>, VectorError>;
}

/// Where the model files live under `models/`.
pub const MODEL_DIR: &str = "me5-small-int8";
/// The ONNX Runtime library under `models/`.
pub const ORT_LIBRARY: &str = "lib/libonnxruntime.so.1.31.1";
const DIMENSION: usize = 384;
/// Longest input in tokens: product texts are kept short on purpose (throughput is
/// compute-bound), queries are short.
const MAX_TOKENS: usize = 128;
const BATCH: usize = 32;

/// multilingual-e5-small, run in-process.
pub struct LocalEmbedder {
    model: Mutex<TextEmbedding>,
    model_id: String,
}

/// ONNX Runtime is loaded, and its environment created, once per process.
static RUNTIME: OnceLock<Result<ort::environment::Environment, String>> = OnceLock::new();

fn read(path: &Path) -> Result<Vec<u8>, VectorError> {
    std::fs::read(path).map_err(|e| VectorError::ModelMissing {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}

impl LocalEmbedder {
    /// Loads ONNX Runtime and the model from `models_dir`; a clear error when anything is
    /// missing (never a panic).
    pub fn open(models_dir: &Path) -> Result<LocalEmbedder, VectorError> {
        let library = models_dir.join(ORT_LIBRARY);
        if !library.is_file() {
            return Err(VectorError::ModelMissing {
                path: library,
                reason: "not found".to_owned(),
            });
        }
        let runtime = RUNTIME.get_or_init(|| {
            ort::init_from(&library)
                .map_err(|e| e.to_string())?
                .with_name("vivr-search")
                .build()
                .map_err(|e| e.to_string())
        });
        let environment = match runtime {
            Ok(environment) => environment.clone(),
            Err(reason) => {
                return Err(VectorError::Runtime(format!(
                    "cannot load {}: {reason}",
                    library.display()
                )));
            }
        };
        let dir: PathBuf = models_dir.join(MODEL_DIR);
        let onnx = read(&dir.join("model.onnx"))?;
        let tokenizer = TokenizerFiles {
            tokenizer_file: read(&dir.join("tokenizer.json"))?,
            config_file: read(&dir.join("config.json"))?,
            special_tokens_map_file: read(&dir.join("special_tokens_map.json"))?,
            tokenizer_config_file: read(&dir.join("tokenizer_config.json"))?,
        };
        let model_id = format!("multilingual-e5-small-int8:{}", fingerprint(&onnx));
        let model = UserDefinedEmbeddingModel::new(onnx, tokenizer).with_pooling(Pooling::Mean);
        let options = InitOptionsUserDefined::new()
            .with_environment(environment)
            .with_max_length(MAX_TOKENS);
        let model = TextEmbedding::try_new_from_user_defined(model, options)
            .map_err(|e| VectorError::Runtime(format!("cannot start the model: {e}")))?;
        Ok(LocalEmbedder {
            model: Mutex::new(model),
            model_id,
        })
    }

    fn embed(&self, mut texts: Vec<String>) -> Result<Vec<Vec<f32>>, VectorError> {
        // A batch is padded to its longest text: texts of like length batched together waste
        // less. The model sees them by length; the caller gets its order back.
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| texts[i].len());
        let by_length: Vec<String> = order
            .iter()
            .map(|&i| std::mem::take(&mut texts[i]))
            .collect();
        let mut model = self.model.lock().unwrap_or_else(|p| p.into_inner());
        let vectors = model
            .embed(by_length, Some(BATCH))
            .map_err(|e| VectorError::Runtime(format!("embedding failed: {e}")))?;
        drop(model);
        if let Some(v) = vectors.iter().find(|v| v.len() != DIMENSION) {
            return Err(VectorError::Runtime(format!(
                "the model returned {} dimensions, expected {DIMENSION}",
                v.len()
            )));
        }
        let mut in_order = vec![Vec::new(); vectors.len()];
        for (vector, &i) in vectors.into_iter().zip(&order) {
            in_order[i] = vector;
        }
        Ok(in_order)
    }
}

/// A short, stable fingerprint of the model file (FNV-1a over a sample of its bytes and its
/// length): enough to tell two model files apart without hashing 70 MB at every start.
fn fingerprint(bytes: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325 ^ bytes.len() as u64;
    for &b in bytes.iter().step_by(257) {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

impl Embedder for LocalEmbedder {
    fn model_id(&self) -> &str {
        &self.model_id
    }

    fn dimension(&self) -> usize {
        DIMENSION
    }

    fn embed_passages(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, VectorError> {
        self.embed(texts.iter().map(|t| format!("passage: {t}")).collect())
    }

    fn embed_query(&self, text: &str) -> Result<Vec<f32>, VectorError> {
        let mut vectors = self.embed(vec![format!("query: {text}")])?;
        vectors
            .pop()
            .ok_or_else(|| VectorError::Runtime("the model returned no vector".to_owned()))
    }
}
