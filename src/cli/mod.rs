//! The command line (clap derive) and the composition root: builds the [`Config`], opens the
//! catalog and the engine, and hands them to the library. Output for humans goes to stdout,
//! logs and reports to stderr.

mod backup;
mod eval;
mod import;
mod lexicon;
mod mcp;
mod reindex;
mod report;
mod search;
mod serve;
mod stats;
mod sync;
mod tickets;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Config;

/// vivr-search: local-first French product search for the VIVR store.
#[derive(Debug, Parser)]
#[command(name = "vivr-search", version, about)]
pub struct Cli {
    /// TOML config file (default: $VIVR_CONFIG, else ./vivr.toml when it exists).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// SQLite replica (default index/catalog.db).
    #[arg(long, global = true, value_name = "FILE")]
    db: Option<PathBuf>,
    /// Folder of index generations (default index).
    #[arg(long, global = true, value_name = "DIR")]
    index_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Import an export folder (NDJSON, see README) into the replica.
    Import(import::Args),
    /// Build a new index generation from the replica and make it live.
    Reindex(reindex::Args),
    /// Serve the HTTP API.
    Serve(serve::Args),
    /// Search from the terminal.
    Search(search::Args),
    /// Evaluate relevance on a judged query set (NDCG@10, MRR, P@5, R@50, zero results).
    Eval(eval::Args),
    /// What Claude did over a period: calls, cache hits, errors, latency, tokens per task.
    Stats(stats::Args),
    /// Serve the MCP endpoint over stdio (for agents that start the engine themselves).
    Mcp(mcp::Args),
    /// List the support tickets (the engine's state database).
    Tickets(tickets::Args),
    /// Copy the engine's state database (tickets...) into a folder, while the server runs.
    Backup(backup::Args),
    /// The merchant's analytics over the last days: sales, products, stock, customers,
    /// forecast, searches.
    Report(report::Args),
    /// Follow the storefront's PostgreSQL: bring the replica up to date and publish each
    /// change (--once, --watch), or show where the sync stands (--status).
    Sync(sync::Args),
    /// Words Claude proposed for the lexicon, and their review: proposals, accept, reject,
    /// words.
    Lexicon(lexicon::Args),
}

/// The embedding model, or `None` with a warning: the engine then runs lexical-only.
pub(crate) fn embedder(config: &Config) -> Option<std::sync::Arc<dyn crate::vectors::Embedder>> {
    match crate::vectors::LocalEmbedder::open(&config.models_dir) {
        Ok(embedder) => Some(std::sync::Arc::new(embedder)),
        Err(e) => {
            tracing::warn!(error = %e, "semantic layer off");
            None
        }
    }
}

/// The engine on the configured replica and live generation; with the embedding model when
/// `mode` is full (instant mode never embeds, so it does not load the model).
pub(crate) fn engine(
    config: &Config,
    mode: crate::search::Mode,
) -> anyhow::Result<crate::search::Engine> {
    let embedder = (mode == crate::search::Mode::Full)
        .then(|| embedder(config))
        .flatten();
    let engine = crate::search::Engine::open_with(
        crate::catalog::Catalog::open(&config.db)?,
        &config.index_dir,
        embedder,
    )?
    .with_semantic_ratio(config.semantic_ratio)
    .with_result_cache(config.result_cache_entries);
    // The words accepted into the lexicon, when the engine's state database exists.
    let state_db = config.state_db_path();
    if state_db.is_file() {
        let state = crate::state::State::open(&state_db)?;
        // A word the lexicon cannot take leaves the bundled lexicon, never a failed start.
        if let Err(e) = lexicon::refresh(&engine, &state, &mut None) {
            tracing::warn!(error = %e, "accepted lexicon words not loaded: `vivr-search lexicon forget` removes one");
        }
    }
    Ok(engine)
}

impl Cli {
    fn config(&self) -> anyhow::Result<Config> {
        let file = self
            .config
            .clone()
            .or_else(|| std::env::var_os("VIVR_CONFIG").map(PathBuf::from))
            .or_else(|| Some(PathBuf::from("vivr.toml")).filter(|p| p.is_file()));
        let mut config = Config::load(file.as_deref(), |name| std::env::var(name).ok())?;
        if let Some(db) = &self.db {
            config.db = db.clone();
        }
        if let Some(dir) = &self.index_dir {
            config.index_dir = dir.clone();
        }
        Ok(config)
    }
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                // rmcp logs each client's own `initialize` fields at info: an attacker's 60 kB
                // version string would be written once per session.
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,rmcp=warn")),
        )
        .init();
    let result = cli.config().and_then(|mut config| {
        match &cli.command {
            Command::Serve(args) => args.apply(&mut config),
            Command::Sync(args) => args.apply(&mut config),
            Command::Import(_)
            | Command::Reindex(_)
            | Command::Search(_)
            | Command::Stats(_)
            | Command::Mcp(_)
            | Command::Tickets(_)
            | Command::Backup(_)
            | Command::Report(_)
            | Command::Lexicon(_)
            | Command::Eval(_) => {}
        }
        config.validate()?;
        match cli.command {
            Command::Import(args) => import::run(args, &config),
            Command::Reindex(args) => reindex::run(args, &config),
            Command::Serve(args) => serve::run(args, &config),
            Command::Search(args) => search::run(args, &config),
            Command::Stats(args) => stats::run(args, &config),
            Command::Eval(args) => eval::run(args, &config),
            Command::Mcp(args) => mcp::run(args, &config),
            Command::Tickets(args) => tickets::run(args, &config),
            Command::Backup(args) => backup::run(args, &config),
            Command::Report(args) => report::run(args, &config),
            Command::Sync(args) => sync::run(args, &config),
            Command::Lexicon(args) => lexicon::run(args, &config),
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        super::Cli::command().debug_assert();
    }
}
