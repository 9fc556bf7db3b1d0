//! vivr-search: local-first French product search for the VIVR home-decor store.
//!
//! Modules in data-flow order (see `ARCHITECTURE.md`):
//! `config` → `catalog` (SQLite replica, import) → `text` (French analysis) → `index` (tantivy)
//! → `search` (the `Engine` facade) → `api` (axum) → `cli` (composition root).

pub mod catalog;
pub mod index;
pub mod progress;
pub mod search;
pub mod text;
