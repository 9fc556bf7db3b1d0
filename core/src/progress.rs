//! Progress of long jobs (import, reindex): an indicatif bar with rate and ETA on a terminal,
//! structured `tracing` events otherwise (CI logs, systemd). Library code only calls
//! [`Progress::inc`]; the CLI decides whether a terminal is attached.

use std::io::IsTerminal;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};

/// Reports progress of one stage of a job.
pub struct Progress {
    stage: &'static str,
    bar: Option<ProgressBar>,
    done: u64,
    total: Option<u64>,
    started: Instant,
    next_log: u64,
}

impl Progress {
    /// Starts a stage; `total` is the number of items when known.
    pub fn new(stage: &'static str, total: Option<u64>) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = match total {
                Some(n) => ProgressBar::new(n),
                None => ProgressBar::new_spinner(),
            };
            let template = if total.is_some() {
                "{prefix:>10} [{bar:30}] {pos}/{len} {per_sec} eta {eta}"
            } else {
                "{prefix:>10} {spinner} {pos} {per_sec}"
            };
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_prefix(stage);
            bar
        });
        Progress {
            stage,
            bar,
            done: 0,
            total,
            started: Instant::now(),
            next_log: 10_000,
        }
    }

    /// A stage that reports nothing (tests, benches).
    pub fn hidden(stage: &'static str) -> Progress {
        Progress {
            bar: None,
            next_log: u64::MAX,
            ..Progress::new(stage, None)
        }
    }

    /// Records `n` more items done.
    pub fn inc(&mut self, n: u64) {
        self.done += n;
        if let Some(bar) = &self.bar {
            bar.inc(n);
        } else if self.done >= self.next_log {
            self.next_log = self.done + 10_000;
            let rate = self.done as f64 / self.started.elapsed().as_secs_f64().max(1e-9);
            tracing::info!(
                stage = self.stage,
                done = self.done,
                total = self.total,
                rate = rate.round(),
                "progress"
            );
        }
    }

    /// Number of items done so far.
    pub fn done(&self) -> u64 {
        self.done
    }

    /// Ends the stage.
    pub fn finish(self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        tracing::info!(
            stage = self.stage,
            done = self.done,
            took_ms = self.started.elapsed().as_millis() as u64,
            "stage done"
        );
    }
}
