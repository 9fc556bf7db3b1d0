//! `vivr-search sync`: the replica follows the storefront's PostgreSQL, once (`--once`) or
//! continuously (`--watch`), each change published as a new generation; `--status` shows the
//! watermarks and the rows that could not be applied.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::catalog::Catalog;
use crate::config::Config;
use crate::index::ReindexOptions;
use crate::sync::{self, Publisher, SyncStatus, Syncer};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The storefront's database: postgres://user:password@host:port/database (default: the
    /// configuration's [sync] database_url, or $VIVR_SYNC_DATABASE_URL).
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
    /// Sync once, publish when anything changed, and exit.
    #[arg(long, conflicts_with_all = ["watch", "status"])]
    once: bool,
    /// Keep syncing (ctrl-c stops).
    #[arg(long, conflicts_with = "status")]
    watch: bool,
    /// Time between two syncs with --watch: 5s, 500ms, 1m (default: [sync] interval_ms).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    interval: Option<Duration>,
    /// Read every row and remove what the store no longer holds (the first sync always does).
    #[arg(long)]
    reconcile: bool,
    /// Show the watermarks and the rows that could not be applied, from the replica.
    #[arg(long)]
    status: bool,
    /// Print JSON rather than text.
    #[arg(long)]
    json: bool,
}

impl Args {
    /// `--database-url` and `--interval` over the configuration.
    pub(crate) fn apply(&self, config: &mut Config) {
        if let Some(url) = &self.database_url {
            config.sync.database_url = Some(url.clone());
        }
        if let Some(interval) = self.interval {
            config.sync.interval_ms = interval.as_millis().max(1) as u64;
        }
    }
}

/// A duration: a number with `ms`, `s` or `m` (a bare number is seconds).
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration such as 5s, 500ms or 1m"))?;
    let secs = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        _ => return Err(format!("{text:?}: the unit must be ms, s or m")),
    };
    if !(secs.is_finite() && secs > 0.0 && secs <= 86_400.0) {
        return Err(format!("{text:?} must be above 0 and at most a day"));
    }
    Ok(Duration::from_secs_f64(secs))
}

pub(crate) fn run(args: Args, config: &Config) -> anyhow::Result<ExitCode> {
    let catalog = Catalog::open(&config.db)?;
    if args.status {
        return status(&catalog, args.json);
    }
    let Some(url) = config.sync.database_url.as_deref() else {
        anyhow::bail!(
            "no database to sync from: give --database-url postgres://… (or [sync] database_url, or VIVR_SYNC_DATABASE_URL)"
        );
    };
    if !args.once && !args.watch {
        anyhow::bail!("say --once, --watch or --status");
    }
    let mut syncer = Syncer::new(url, &config.sync)?;
    let embedder = super::embedder(config);
    let stop = Arc::new(AtomicBool::new(false));
    stop_on_ctrl_c(stop.clone());
    let defaults = ReindexOptions::default();
    let publisher = Publisher {
        catalog: &catalog,
        index_dir: &config.index_dir,
        embedder: embedder.as_deref(),
        options: ReindexOptions {
            cancel: Some(&stop),
            popularity_days: config.popularity_days,
            ..defaults
        },
    };
    if args.once {
        let outcome = sync::cycle(&mut syncer, &publisher, args.reconcile)?;
        if args.json {
            println!("{}", serde_json::to_string_pretty(&outcome)?);
        } else {
            let s = &outcome.sync;
            println!(
                "sync from {}: {} rows read in {:.2} s{}{}",
                syncer.target(),
                s.rows_read,
                s.took_ms as f64 / 1000.0,
                if s.reconciled { ", reconciled" } else { "" },
                if s.triggers {
                    ", with the store's triggers"
                } else {
                    ""
                },
            );
            println!("{}", s.report.summary());
            for reject in &s.report.rejects {
                println!(
                    "  rejected: {} row {}: {}",
                    reject.file, reject.line, reject.reason
                );
            }
            match outcome.published {
                Some(generation) => println!("generation {generation} live"),
                None => println!("nothing changed: the live generation stays"),
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let status = SyncStatus::new(syncer.target());
    eprintln!(
        "watching {} every {} ms (ctrl-c stops)",
        syncer.target(),
        config.sync.interval_ms
    );
    sync::watch(&mut syncer, &publisher, &status, &stop, &|generation| {
        println!("generation {generation} live");
    });
    Ok(ExitCode::SUCCESS)
}

fn stop_on_ctrl_c(stop: Arc<AtomicBool>) {
    std::thread::spawn(move || {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        runtime.block_on(async {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("stopping: the live generation stays in place");
                stop.store(true, Ordering::Relaxed);
            }
        });
    });
}

fn status(catalog: &Catalog, json: bool) -> anyhow::Result<ExitCode> {
    let state = catalog.sync_state()?;
    if json {
        println!("{}", serde_json::to_string_pretty(&state)?);
        return Ok(ExitCode::SUCCESS);
    }
    match &state.last_success {
        Some(at) => println!("last sync: {at}"),
        None => println!("never synced"),
    }
    if let Some(fence) = &state.xid_fence {
        println!("transaction-id fence: {fence} (the store's triggers are installed)");
    }
    for (table, (at, id)) in &state.watermarks {
        println!("  {table}: {at} ({id})");
    }
    println!("{} row(s) could not be applied", state.error_count);
    for e in &state.errors {
        println!(
            "  {} {}: {} (since {}, last read {})",
            e.table, e.id, e.reason, e.first_seen, e.last_seen
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_written() {
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("5h").is_err());
        assert!(parse_duration("soon").is_err());
    }
}
