//! `vivr-search reindex`: builds a new generation; ctrl-c cancels and leaves the live one.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::catalog::Catalog;
use crate::config::Config;
use crate::index::ReindexOptions;
use crate::search;

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
    let embedder = super::embedder(config);
    let manifest = search::reindex(&catalog, &config.index_dir, embedder.as_deref(), &options)?;
    println!(
        "generation {} live: {} products, {} categories, built in {:.2} s",
        manifest.generation,
        manifest.products,
        manifest.categories,
        manifest.build_ms as f64 / 1000.0
    );
    match &manifest.vectors {
        Some(v) => println!(
            "vectors: {} ({} embedded now, {} from the cache) in {:.2} s",
            v.count,
            v.embedded,
            v.count.saturating_sub(v.embedded),
            v.embed_ms as f64 / 1000.0
        ),
        None => println!("vectors: none (semantic layer off: run tools/install-models.sh)"),
    }
    Ok(ExitCode::SUCCESS)
}
