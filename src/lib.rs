//! vivr-search: local-first French product search for the VIVR home-decor store. This crate
//! holds the edges; the engine is `vivr-search-core` (core/), re-exported here whole so that
//! `vivr_search::search::Engine` and the other engine paths serve both crates' users.
//!
//! - [`api`]: the axum HTTP API, which also serves [`mcp`] (the MCP server for agents) and
//!   [`web`] (the demo storefront page);
//! - [`cli`]: the command line and composition root.

pub use vivr_search_core::*;

pub mod api;
pub mod cli;
/// The MCP server for AI agents, over the same engine.
pub mod mcp;
/// The demo storefront page at `/`.
pub mod web;
