//! The replica's tables for Claude: the answer cache and the call log.

use rusqlite::{OptionalExtension, params};

use super::{Catalog, CatalogError};

/// One call to Claude (or a cache hit standing for one), as logged.
#[derive(Debug, Clone, PartialEq)]
pub struct LlmCall {
    /// Unix time, seconds.
    pub at: i64,
    /// `intent` or `rerank`.
    pub task: String,
    /// Model id.
    pub model: String,
    /// The input, masked and truncated.
    pub input: String,
    /// The output, truncated.
    pub output: Option<String>,
    /// Input tokens from the API's `usage`.
    pub input_tokens: Option<u64>,
    /// Output tokens from the API's `usage`.
    pub output_tokens: Option<u64>,
    /// Time until the answer (or the failure).
    pub latency_ms: u64,
    /// Whether a valid answer came back.
    pub success: bool,
    /// What went wrong.
    pub error: Option<String>,
    /// Served from the cache (no call made).
    pub cache_hit: bool,
}

/// Per-task figures over a period.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LlmTaskStats {
    /// `intent` or `rerank`.
    pub task: String,
    /// Calls and cache hits.
    pub requests: u64,
    /// Calls made to the API.
    pub calls: u64,
    /// Calls that failed.
    pub errors: u64,
    /// Requests served from the cache.
    pub cache_hits: u64,
    /// Mean latency of the calls made, in milliseconds.
    pub avg_latency_ms: f64,
    /// Input tokens of the calls.
    pub input_tokens: u64,
    /// Output tokens of the calls.
    pub output_tokens: u64,
}

impl Catalog {
    /// A cached answer written at or after `fresh_since` (Unix seconds).
    pub fn llm_cache_get(
        &self,
        key: &str,
        fresh_since: i64,
    ) -> Result<Option<String>, CatalogError> {
        Ok(self
            .reader()?
            .query_row(
                "SELECT value FROM llm_cache WHERE key = ?1 AND created_at >= ?2",
                params![key, fresh_since],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Stores an answer.
    pub fn llm_cache_put(
        &self,
        key: &str,
        task: &str,
        value: &str,
        at: i64,
    ) -> Result<(), CatalogError> {
        self.writer().execute(
            "INSERT INTO llm_cache (key, task, value, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value, created_at = excluded.created_at",
            params![key, task, value, at],
        )?;
        Ok(())
    }

    /// Logs a call.
    pub fn record_llm_call(&self, call: &LlmCall) -> Result<(), CatalogError> {
        self.writer().execute(
            "INSERT INTO llm_calls (at, task, model, input, output, input_tokens, output_tokens,
                                    latency_ms, success, error, cache_hit)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                call.at,
                call.task,
                call.model,
                call.input,
                call.output,
                call.input_tokens.map(|n| n as i64),
                call.output_tokens.map(|n| n as i64),
                call.latency_ms as i64,
                call.success,
                call.error,
                call.cache_hit,
            ],
        )?;
        Ok(())
    }

    /// The logged calls since `since` (Unix seconds), oldest first.
    pub fn llm_calls(&self, since: i64) -> Result<Vec<LlmCall>, CatalogError> {
        let conn = self.reader()?;
        let mut stmt = conn.prepare(
            "SELECT at, task, model, input, output, input_tokens, output_tokens, latency_ms,
                    success, error, cache_hit
               FROM llm_calls WHERE at >= ?1 ORDER BY id",
        )?;
        let rows = stmt
            .query_map([since], |r| {
                Ok(LlmCall {
                    at: r.get(0)?,
                    task: r.get(1)?,
                    model: r.get(2)?,
                    input: r.get(3)?,
                    output: r.get(4)?,
                    input_tokens: r.get::<_, Option<i64>>(5)?.map(|n| n as u64),
                    output_tokens: r.get::<_, Option<i64>>(6)?.map(|n| n as u64),
                    latency_ms: r.get::<_, i64>(7)? as u64,
                    success: r.get(8)?,
                    error: r.get(9)?,
                    cache_hit: r.get(10)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// Per-task figures of the calls since `since` (Unix seconds).
    pub fn llm_stats(&self, since: i64) -> Result<Vec<LlmTaskStats>, CatalogError> {
        let conn = self.reader()?;
        let mut stmt = conn.prepare(
            "SELECT task, count(*),
                    sum(NOT cache_hit),
                    sum(NOT cache_hit AND NOT success),
                    sum(cache_hit),
                    coalesce(avg(CASE WHEN NOT cache_hit THEN latency_ms END), 0),
                    coalesce(sum(input_tokens), 0),
                    coalesce(sum(output_tokens), 0)
               FROM llm_calls WHERE at >= ?1 GROUP BY task ORDER BY task",
        )?;
        let rows = stmt
            .query_map([since], |r| {
                Ok(LlmTaskStats {
                    task: r.get(0)?,
                    requests: r.get::<_, i64>(1)? as u64,
                    calls: r.get::<_, i64>(2)? as u64,
                    errors: r.get::<_, i64>(3)? as u64,
                    cache_hits: r.get::<_, i64>(4)? as u64,
                    avg_latency_ms: r.get(5)?,
                    input_tokens: r.get::<_, i64>(6)? as u64,
                    output_tokens: r.get::<_, i64>(7)? as u64,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_and_log_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let catalog = Catalog::open(&dir.path().join("c.db")).unwrap();
        catalog.llm_cache_put("k", "intent", "{}", 100).unwrap();
        assert_eq!(
            catalog.llm_cache_get("k", 50).unwrap().as_deref(),
            Some("{}")
        );
        assert_eq!(catalog.llm_cache_get("k", 101).unwrap(), None, "expired");
        let call = LlmCall {
            at: 100,
            task: "intent".into(),
            model: "m".into(),
            input: "lampe".into(),
            output: Some("{}".into()),
            input_tokens: Some(10),
            output_tokens: Some(5),
            latency_ms: 300,
            success: true,
            error: None,
            cache_hit: false,
        };
        catalog.record_llm_call(&call).unwrap();
        catalog
            .record_llm_call(&LlmCall {
                success: false,
                error: Some("timeout".into()),
                latency_ms: 100,
                ..call.clone()
            })
            .unwrap();
        catalog
            .record_llm_call(&LlmCall {
                cache_hit: true,
                latency_ms: 0,
                ..call.clone()
            })
            .unwrap();
        assert_eq!(catalog.llm_calls(0).unwrap()[0], call);
        let stats = catalog.llm_stats(0).unwrap();
        assert_eq!(stats.len(), 1);
        let s = &stats[0];
        assert_eq!((s.requests, s.calls, s.errors, s.cache_hits), (3, 2, 1, 1));
        assert_eq!(s.avg_latency_ms, 200.0);
        assert_eq!(s.input_tokens, 30);
    }
}
