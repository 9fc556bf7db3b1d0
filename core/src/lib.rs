//! vivr-search-core: the engine of vivr-search, local-first French product search for the VIVR
//! home-decor store. Everything but the edges (HTTP API, MCP server, demo page, command line,
//! which live in the `vivr-search` crate).
//!
//! Modules in data-flow order (see `ARCHITECTURE.md`); dependencies point down this list:
//! - [`config`]: one `Config` from defaults, file, environment and flags;
//! - [`filter`]: the request types (`Filters`, `Sort`), the `Facet` names and the resolved
//!   `ProductFilter` every retrieval path reads;
//! - [`catalog`]: the SQLite replica and the import of the NDJSON export;
//! - [`text`]: French analysis (tokenizer and token filters) shared by index and queries;
//! - [`index`]: tantivy generations, reindex, lexical search, filters, facets, sorts;
//! - [`vectors`]: local embeddings (multilingual-e5-small) and the vector index;
//! - [`signals`]: co-purchases, complementary categories and trends learnt from orders;
//! - [`llm`]: the Claude client (intent and rerank) behind a cache, deadlines and guards;
//! - [`search`]: the `Engine` facade used by every front end;
//! - [`recommend`]: similar, bought together, personalized, complete the look, trending;
//! - [`eval`]: relevance evaluation of a judged query set;
//! - [`store`]: the store's own rules (French business days and holidays, delivery, returns,
//!   the FAQ);
//! - [`state`]: the engine's own data (support tickets and their delivery outbox, shopper
//!   events, search logs), apart from the replica;
//! - [`auth`]: access tokens (JWT) and what a caller may do with orders;
//! - [`analytics`]: what the store's data says to the merchant (sales over periods);
//! - [`sync`]: the live sync from the storefront's PostgreSQL into the replica, then a new
//!   generation.
//!
//! (`config` names one type of `store`, the transit table, which configuration can replace.)
//!
//! [`progress`] (progress of the long jobs), [`cache`] (a shared LRU cache) and [`limit`] (a
//! rate limiter) are utilities.

pub mod config;

pub mod filter;

pub mod catalog;
pub mod text;

pub mod index;
pub mod signals;
pub mod vectors;

pub mod llm;

pub mod search;

pub mod recommend;

pub mod eval;

pub mod store;

pub mod state;

pub mod auth;

pub mod analytics;

pub mod sync;

pub mod cache;
pub mod limit;
pub mod progress;

pub use search::{Engine, SearchRequest, SearchResponse};

/// mimalloc as the allocator of every program linking the engine (the binary, tests,
/// benches): a search allocates many short strings (analysed words, stored texts, JSON), and
/// glibc's malloc and free were about a sixth of a search's CPU time in the profiles.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
