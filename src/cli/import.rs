//! `vivr-search import <export-dir> [--full] [--strict]`.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::catalog::{Catalog, ImportOptions};
use crate::config::Config;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The export folder (categories.ndjson, products.ndjson, optional reviews, orders, wishlists).
    export_dir: PathBuf,
    /// The export is a complete snapshot: remove products absent from it.
    #[arg(long)]
    full: bool,
    /// Reject the whole import when any line is rejected.
    #[arg(long)]
    strict: bool,
}

/// Imports; exits non-zero when any line was rejected.
pub(crate) fn run(args: Args, config: &Config) -> anyhow::Result<ExitCode> {
    let catalog = Catalog::open(&config.db)?;
    let report = catalog.import(
        &args.export_dir,
        ImportOptions {
            full: args.full,
            strict: args.strict,
        },
    )?;
    for reject in &report.rejects {
        eprintln!("{}:{}: {}", reject.file, reject.line, reject.reason);
    }
    if let Some(note) = &report.full_skipped {
        eprintln!("{note}");
    }
    println!("{} ({} rejected)", report.summary(), report.rejects.len());
    Ok(if report.rejects.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
