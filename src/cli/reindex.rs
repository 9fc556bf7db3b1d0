//! `vivr-search reindex`: builds a new generation; ctrl-c cancels and leaves the live one.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::catalog::Catalog;
use crate::config::Config;
use crate::index::{self, ReindexOptions};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Indexing threads (default: the number of cores, at most 4).
    #[arg(long)]
    threads: Option<usize>,
}

pub(crate) fn run(args: Args, config: &Config) -> anyhow::Result<ExitCode> {
    let catalog = Catalog::open(&config.db)?;
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = cancel.clone();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::spawn(move || {
        runtime.block_on(async {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("cancelling: the live generation stays in place");
                flag.store(true, Ordering::Relaxed);
            }
        })
    });
    let defaults = ReindexOptions::default();
    let options = ReindexOptions {
        cancel: Some(&cancel),
        threads: args.threads.unwrap_or(defaults.threads),
        popularity_days: config.popularity_days,
        ..defaults
    };
    let manifest = index::reindex(&catalog, &config.index_dir, &options)?;
    println!(
        "generation {} live: {} products, {} categories, built in {:.2} s",
        manifest.generation,
        manifest.products,
        manifest.categories,
        manifest.build_ms as f64 / 1000.0
    );
    Ok(ExitCode::SUCCESS)
}
