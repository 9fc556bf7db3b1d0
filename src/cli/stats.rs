//! `vivr-search stats`: what Claude cost and did over a period, per task, from the replica's
//! call log (calls, cache hits, errors, latency, tokens).

use std::process::ExitCode;

use crate::catalog::{Catalog, LlmTaskStats};
use crate::config::Config;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The period, ending now: a number of hours (`24h`) or days (`7d`).
    #[arg(long, default_value = "24h", value_parser = parse_period)]
    since: i64,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// `24h` or `7d` in seconds.
fn parse_period(text: &str) -> Result<i64, String> {
    let (number, unit) = text.split_at(text.len().saturating_sub(1));
    let n: i64 = number
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("{text:?}: expected a period like 24h or 7d"))?;
    match unit {
        "h" => Ok(n * 3600),
        "d" => Ok(n * 86_400),
        _ => Err(format!("{text:?}: the unit is h (hours) or d (days)")),
    }
}

pub(crate) fn run(args: Args, config: &Config) -> anyhow::Result<ExitCode> {
    let catalog = Catalog::open(&config.db)?;
    let since = chrono::Utc::now().timestamp() - args.since;
    let stats = catalog.llm_stats(since)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&stats)?);
    } else {
        print!("{}", table(&stats));
    }
    Ok(ExitCode::SUCCESS)
}

fn table(stats: &[LlmTaskStats]) -> String {
    if stats.is_empty() {
        return "no Claude calls in this period\n".to_owned();
    }
    let ratio = |part: u64, whole: u64| {
        if whole == 0 {
            "-".to_owned()
        } else {
            format!("{:.1} %", 100.0 * part as f64 / whole as f64)
        }
    };
    let mut out = format!(
        "{:<8} {:>9} {:>7} {:>10} {:>11} {:>12} {:>12} {:>13}\n",
        "task",
        "requests",
        "calls",
        "error rate",
        "cache hits",
        "avg latency",
        "input tok",
        "output tok"
    );
    for s in stats {
        out.push_str(&format!(
            "{:<8} {:>9} {:>7} {:>10} {:>11} {:>9.0} ms {:>12} {:>13}\n",
            s.task,
            s.requests,
            s.calls,
            ratio(s.errors, s.calls),
            ratio(s.cache_hits, s.requests),
            s.avg_latency_ms,
            s.input_tokens,
            s.output_tokens
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_and_the_table() {
        assert_eq!(parse_period("24h"), Ok(86_400));
        assert_eq!(parse_period("7d"), Ok(604_800));
        assert!(parse_period("7w").is_err() && parse_period("h").is_err());
        let text = table(&[LlmTaskStats {
            task: "intent".into(),
            requests: 10,
            calls: 4,
            errors: 1,
            cache_hits: 6,
            avg_latency_ms: 412.0,
            input_tokens: 1200,
            output_tokens: 300,
        }]);
        assert!(
            text.contains("25.0 %") && text.contains("60.0 %") && text.contains("412 ms"),
            "{text}"
        );
    }
}
