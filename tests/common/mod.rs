//! Fixtures shared by the integration tests.
#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};

pub mod fake_claude;
pub mod store;

/// A committed fixture export under `tests/fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Copies a fixture export into `dir` so a test can edit it.
pub fn copy_fixture(name: &str, dir: &Path) -> PathBuf {
    let to = dir.join(name);
    std::fs::create_dir_all(&to).unwrap();
    for entry in std::fs::read_dir(fixture(name)).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
    to
}

/// Appends lines to a file of an export.
pub fn append(export: &Path, file: &str, lines: &[&str]) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(export.join(file))
        .unwrap();
    for line in lines {
        writeln!(f, "{line}").unwrap();
    }
}

/// Replaces a file of an export.
pub fn write(export: &Path, file: &str, lines: &[&str]) {
    std::fs::write(export.join(file), lines.join("\n") + "\n").unwrap();
}

/// A replica and a live index built from a fixture export, in a temp dir.
pub struct Built {
    pub dir: tempfile::TempDir,
    pub engine: std::sync::Arc<vivr_search::search::Engine>,
}

impl Built {
    pub fn index_dir(&self) -> PathBuf {
        self.dir.path().join("index")
    }
    pub fn db(&self) -> PathBuf {
        self.dir.path().join("catalog.db")
    }
}

/// Imports and reindexes a fixture, then opens an engine on it.
pub fn build(name: &str) -> Built {
    build_export(tempfile::tempdir().unwrap(), &fixture(name), None)
}

/// Imports an export into a replica in `dir` (every line must be accepted), reindexes it (with
/// vectors when an embedder is given) and opens an engine on it.
pub fn build_export(
    dir: tempfile::TempDir,
    export: &Path,
    embedder: Option<std::sync::Arc<dyn vivr_search::vectors::Embedder>>,
) -> Built {
    use vivr_search::catalog::{Catalog, ImportOptions};
    let catalog = Catalog::open(&dir.path().join("catalog.db")).unwrap();
    let report = catalog.import(export, ImportOptions::default()).unwrap();
    assert!(report.rejects.is_empty(), "{:?}", report.rejects);
    let index = dir.path().join("index");
    vivr_search::search::reindex(&catalog, &index, embedder.as_deref(), &Default::default())
        .unwrap();
    let engine = vivr_search::search::Engine::open_with(catalog, &index, embedder).unwrap();
    Built {
        dir,
        engine: std::sync::Arc::new(engine),
    }
}

/// The real embedding model (tools/install-models.sh), loaded once per test binary.
pub fn model() -> std::sync::Arc<dyn vivr_search::vectors::Embedder> {
    use std::sync::{Arc, OnceLock};
    use vivr_search::vectors::LocalEmbedder;
    static MODEL: OnceLock<Arc<LocalEmbedder>> = OnceLock::new();
    MODEL
        .get_or_init(|| {
            let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/models"));
            Arc::new(LocalEmbedder::open(dir).expect("run tools/install-models.sh"))
        })
        .clone()
}

/// A deterministic embedder without a model (texts sharing words are near): for what does not
/// depend on the model's quality. The real model's tests use [`model`].
pub fn synthetic() -> std::sync::Arc<dyn vivr_search::vectors::Embedder> {
    std::sync::Arc::new(vivr_search::vectors::SyntheticEmbedder)
}

/// The demo catalog (`data/demo`), imported and indexed once per test binary (lexical only).
pub fn demo() -> &'static Built {
    use std::sync::OnceLock;
    static DEMO: OnceLock<Built> = OnceLock::new();
    DEMO.get_or_init(|| {
        let export = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/demo");
        build_export(tempfile::tempdir().unwrap(), &export, None)
    })
}

/// The API's router over a built fixture, configured by `config` (no Claude key).
pub fn router(built: &Built, config: &vivr_search::config::Config) -> axum::Router {
    let engine = std::sync::Arc::new(
        vivr_search::search::Engine::open(
            vivr_search::catalog::Catalog::open(&built.db()).unwrap(),
            &built.index_dir(),
        )
        .unwrap(),
    );
    vivr_search::api::router(vivr_search::api::AppState::new(
        engine,
        std::sync::Arc::new(vivr_search::llm::Claude::new(Default::default(), None)),
        config,
    ))
}

/// The API's router with the state database at `state_db` (tickets).
pub fn router_with_state(
    built: &Built,
    config: &vivr_search::config::Config,
    state_db: &Path,
) -> axum::Router {
    let engine = std::sync::Arc::new(
        vivr_search::search::Engine::open(
            vivr_search::catalog::Catalog::open(&built.db()).unwrap(),
            &built.index_dir(),
        )
        .unwrap(),
    );
    let state = std::sync::Arc::new(vivr_search::state::State::open(state_db).unwrap());
    vivr_search::api::router(
        vivr_search::api::AppState::new(
            engine,
            std::sync::Arc::new(vivr_search::llm::Claude::new(Default::default(), None)),
            config,
        )
        .with_state_db(state),
    )
}

/// Sends a request through a router: the status, and the body as JSON, as the JSON message of
/// an event stream, or else as text.
pub async fn send(
    app: &axum::Router,
    request: axum::http::Request<axum::body::Body>,
) -> (axum::http::StatusCode, serde_json::Value) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let body = serde_json::from_str(&text)
        .ok()
        .or_else(|| {
            text.lines()
                .filter_map(|l| l.strip_prefix("data:"))
                .find_map(|d| serde_json::from_str(d.trim()).ok())
        })
        .unwrap_or(serde_json::Value::String(text));
    (status, body)
}
