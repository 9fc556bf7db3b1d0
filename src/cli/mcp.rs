//! `vivr-search mcp`: the MCP server over stdio, for agents that start it as a subprocess
//! (Claude Desktop, IDEs). Protocol messages only on stdout; logs go to stderr.

use std::process::ExitCode;
use std::sync::Arc;

use crate::catalog::Catalog;
use crate::config::Config;
use crate::search::Engine;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {}

pub(crate) fn run(_args: Args, config: &Config) -> anyhow::Result<ExitCode> {
    let engine = Arc::new(
        Engine::open_with(
            Catalog::open(&config.db)?,
            &config.index_dir,
            super::embedder(config),
        )?
        .with_semantic_ratio(config.semantic_ratio),
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(crate::mcp::serve_stdio(engine))?;
    Ok(ExitCode::SUCCESS)
}
