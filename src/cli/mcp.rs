//! `vivr-search mcp`: the MCP server over stdio, for agents that start it as a subprocess
//! (Claude Desktop, IDEs). Protocol messages only on stdout; logs go to stderr.

use std::process::ExitCode;
use std::sync::Arc;

use crate::config::Config;
use crate::search::Mode;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {}

pub(crate) fn run(_args: Args, config: &Config) -> anyhow::Result<ExitCode> {
    let engine = Arc::new(super::engine(config, Mode::Full)?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(crate::mcp::serve_stdio(
        engine,
        config.llm.enable_recommendations,
    ))?;
    Ok(ExitCode::SUCCESS)
}
