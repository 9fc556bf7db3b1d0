//! Counters of the Claude client, rendered in the Prometheus text format for `GET /metrics`.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use super::Task;

/// Upper bounds of the latency histogram's buckets, in milliseconds.
const BUCKETS_MS: [u64; 10] = [25, 50, 100, 250, 500, 800, 1_000, 1_500, 2_500, 5_000];

/// Counters of one task.
#[derive(Debug, Default)]
struct TaskCounters {
    calls: AtomicU64,
    errors: AtomicU64,
    cache_hits: AtomicU64,
    skipped: AtomicU64,
    input_tokens: AtomicU64,
    output_tokens: AtomicU64,
    /// Calls per bucket of [`BUCKETS_MS`] (not cumulative), then the overflow.
    latency: [AtomicU64; BUCKETS_MS.len() + 1],
    latency_sum_ms: AtomicU64,
}

/// Reads one counter of a task.
type CounterOf = fn(&TaskCounters) -> &AtomicU64;

/// Counters of every task.
#[derive(Debug, Default)]
pub struct Metrics {
    tasks: [TaskCounters; 2],
}

fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

impl Metrics {
    fn of(&self, task: Task) -> &TaskCounters {
        &self.tasks[task as usize]
    }

    /// A call made (successful or not), its latency and tokens.
    pub(crate) fn call(&self, task: Task, ok: bool, latency_ms: u64, tokens: (u64, u64)) {
        let c = self.of(task);
        add(&c.calls, 1);
        if !ok {
            add(&c.errors, 1);
        }
        add(&c.input_tokens, tokens.0);
        add(&c.output_tokens, tokens.1);
        let bucket = BUCKETS_MS
            .iter()
            .position(|&b| latency_ms <= b)
            .unwrap_or(BUCKETS_MS.len());
        add(&c.latency[bucket], 1);
        add(&c.latency_sum_ms, latency_ms);
    }

    /// An answer served from the cache.
    pub(crate) fn cache_hit(&self, task: Task) {
        add(&self.of(task).cache_hits, 1);
    }

    /// A call not made (no key, flag off, breaker open, rate limit).
    pub(crate) fn skipped(&self, task: Task) {
        add(&self.of(task).skipped, 1);
    }

    /// Calls made for a task so far.
    pub fn calls(&self, task: Task) -> u64 {
        self.of(task).calls.load(Ordering::Relaxed)
    }

    /// The Prometheus text exposition of every counter.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let counters: [(&str, &str, CounterOf); 6] = [
            (
                "vivr_llm_calls_total",
                "Calls made to the Messages API.",
                |c| &c.calls,
            ),
            (
                "vivr_llm_errors_total",
                "Calls that failed or answered nonsense.",
                |c| &c.errors,
            ),
            (
                "vivr_llm_cache_hits_total",
                "Answers served from the cache.",
                |c| &c.cache_hits,
            ),
            (
                "vivr_llm_skipped_total",
                "Calls not made: no key, flag off, breaker open or rate limit.",
                |c| &c.skipped,
            ),
            (
                "vivr_llm_input_tokens_total",
                "Input tokens reported by the API.",
                |c| &c.input_tokens,
            ),
            (
                "vivr_llm_output_tokens_total",
                "Output tokens reported by the API.",
                |c| &c.output_tokens,
            ),
        ];
        for (name, help, field) in counters {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            for task in Task::ALL {
                let _ = writeln!(
                    out,
                    "{name}{{task=\"{}\"}} {}",
                    task.name(),
                    get(field(self.of(task)))
                );
            }
        }
        let name = "vivr_llm_latency_ms";
        let _ = writeln!(
            out,
            "# HELP {name} Latency of the calls made, in milliseconds.\n# TYPE {name} histogram"
        );
        for task in Task::ALL {
            let c = self.of(task);
            let mut cumulative = 0;
            for (i, bound) in BUCKETS_MS.iter().enumerate() {
                cumulative += get(&c.latency[i]);
                let _ = writeln!(
                    out,
                    "{name}_bucket{{task=\"{}\",le=\"{bound}\"}} {cumulative}",
                    task.name()
                );
            }
            cumulative += get(&c.latency[BUCKETS_MS.len()]);
            let _ = writeln!(
                out,
                "{name}_bucket{{task=\"{}\",le=\"+Inf\"}} {cumulative}",
                task.name()
            );
            let _ = writeln!(
                out,
                "{name}_sum{{task=\"{}\"}} {}",
                task.name(),
                get(&c.latency_sum_ms)
            );
            let _ = writeln!(out, "{name}_count{{task=\"{}\"}} {cumulative}", task.name());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_render_as_prometheus_text() {
        let m = Metrics::default();
        m.call(Task::Intent, true, 300, (120, 30));
        m.call(Task::Intent, false, 900, (0, 0));
        m.cache_hit(Task::Rerank);
        let text = m.render();
        assert!(
            text.contains("vivr_llm_calls_total{task=\"intent\"} 2"),
            "{text}"
        );
        assert!(text.contains("vivr_llm_errors_total{task=\"intent\"} 1"));
        assert!(text.contains("vivr_llm_cache_hits_total{task=\"rerank\"} 1"));
        assert!(text.contains("vivr_llm_input_tokens_total{task=\"intent\"} 120"));
        assert!(text.contains("vivr_llm_latency_ms_bucket{task=\"intent\",le=\"250\"} 0"));
        assert!(text.contains("vivr_llm_latency_ms_bucket{task=\"intent\",le=\"500\"} 1"));
        assert!(text.contains("vivr_llm_latency_ms_bucket{task=\"intent\",le=\"+Inf\"} 2"));
        assert!(text.contains("vivr_llm_latency_ms_sum{task=\"intent\"} 1200"));
    }
}
