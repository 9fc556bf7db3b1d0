//! `vivr-search mcp`: the MCP servers over stdio, for agents that start them as a subprocess
//! (Claude Desktop, IDEs). Protocol messages only on stdout; logs go to stderr. The local user
//! who starts the process has the replica at hand: the server acts as staff (every scope).

use std::process::ExitCode;
use std::sync::Arc;

use crate::config::Config;
use crate::mcp::{ServerSet, Services};
use crate::search::Mode;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Which server of the store's plan: catalog, orders, support, analytics, or all of them.
    #[arg(long, default_value = "all", value_parser = ["catalog", "orders", "support", "analytics", "all"])]
    server: String,
}

pub(crate) fn run(args: Args, config: &Config) -> anyhow::Result<ExitCode> {
    let set = ServerSet::parse(&args.server).expect("clap checked the value");
    let engine = Arc::new(super::engine(config, Mode::Full)?);
    let state = Arc::new(crate::state::State::open(&config.state_db_path())?);
    let services = Services::from_config(config, Some(state));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(crate::mcp::serve_stdio(engine, services, set))?;
    Ok(ExitCode::SUCCESS)
}
