//! The Claude client: two tasks (intent and rerank) over the Anthropic Messages API, behind a
//! cache, a deadline, a rate limiter and a circuit breaker, with every call logged.
//!
//! A call: flags and key checked (no key: no call, no error) → cache (memory LRU, then the
//! replica's table, within the TTL) → breaker and rate limit → `POST {base}/v1/messages` with
//! retries for 429, 529 and 5xx only, honouring `retry-after`, all within the task's deadline →
//! strict reading of the forced tool call → cache, log and metrics. The module sees plain text
//! and JSON only; what a search does with the answers is `search`'s business.

mod guard;
pub mod mask;
mod metrics;
pub mod prompts;

use std::time::{Duration, Instant};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::cache::SharedLru;
use crate::catalog::{Catalog, LlmCall};
use crate::config::LlmSettings;
use crate::limit::RateLimiter;
use guard::Breaker;
pub use metrics::Metrics;
pub use prompts::{
    Candidate, LlmIntent, MAX_RERANK_CANDIDATES, PROMPT_VERSION, Ranking, Vocabulary,
    VocabularyCategory,
};

/// The API version header's value.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

/// Longest input or output kept in the call log, in characters.
const LOG_CHARS: usize = 500;

/// Longest `retry-after` honoured; any deadline is shorter, so such a wait means no retry.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(60);
/// First wait between two attempts when the API gives no `retry-after`.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);

/// The tasks Claude does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    /// A query's intent.
    Intent = 0,
    /// The order of a short list.
    Rerank = 1,
}

impl Task {
    /// Every task.
    pub const ALL: [Task; 2] = [Task::Intent, Task::Rerank];

    /// The task's name in logs, metrics and cache keys.
    pub fn name(self) -> &'static str {
        match self {
            Task::Intent => "intent",
            Task::Rerank => "rerank",
        }
    }
}

/// Why Claude gave no usable answer. The first four mean no call was made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LlmError {
    /// `ANTHROPIC_API_KEY` is not set.
    #[error("no ANTHROPIC_API_KEY")]
    NoKey,
    /// A feature flag is off.
    #[error("{0} is off")]
    Disabled(&'static str),
    /// The breaker is open after repeated failures.
    #[error("circuit breaker open after repeated failures")]
    CircuitOpen,
    /// The rate limit is reached.
    #[error("rate limit of {0} calls per {1} ms reached")]
    RateLimited(u32, u64),
    /// No answer within the deadline (retries included).
    #[error("no answer within the {0} ms deadline")]
    Deadline(u64),
    /// The API answered an error status.
    #[error("the API answered HTTP {status}: {message}")]
    Status {
        /// HTTP status.
        status: u16,
        /// The error's message, truncated.
        message: String,
    },
    /// The API could not be reached.
    #[error("network error: {0}")]
    Network(String),
    /// The answer is not the tool call asked for.
    #[error("malformed answer: {0}")]
    Malformed(String),
}

impl LlmError {
    /// Whether no call was made (the feature is off or held back).
    pub fn is_skip(&self) -> bool {
        matches!(
            self,
            LlmError::NoKey
                | LlmError::Disabled(_)
                | LlmError::CircuitOpen
                | LlmError::RateLimited(..)
        )
    }
}

/// An answer and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer<T> {
    /// The validated answer.
    pub value: T,
    /// Served from the cache.
    pub cached: bool,
}

/// Token counts from the API's `usage`.
#[derive(Debug, Clone, Copy)]
struct Usage {
    input: u64,
    output: u64,
}

/// The Claude client. Cheap to share behind an `Arc`.
pub struct Claude {
    settings: LlmSettings,
    http: reqwest::Client,
    memory: SharedLru<String>,
    store: Option<std::sync::Arc<Catalog>>,
    limiter: RateLimiter,
    breaker: Breaker,
    metrics: Metrics,
    /// Call-log writes not done yet, and their wake-up for [`Claude::flush_log`].
    log_pending: std::sync::Arc<(std::sync::atomic::AtomicUsize, tokio::sync::Notify)>,
}

impl Claude {
    /// A client; `store` (a connection to the replica) keeps the cache and the call log across
    /// restarts.
    pub fn new(settings: LlmSettings, store: Option<Catalog>) -> Claude {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Claude {
            memory: SharedLru::new(settings.cache_capacity),
            limiter: RateLimiter::new(
                settings.rate_limit_requests,
                Duration::from_millis(settings.rate_limit_window_ms),
            ),
            breaker: Breaker::new(
                settings.breaker_failures,
                Duration::from_millis(settings.breaker_cooldown_ms),
            ),
            settings,
            http,
            store: store.map(std::sync::Arc::new),
            metrics: Metrics::default(),
            log_pending: std::sync::Arc::default(),
        }
    }

    /// The settings.
    pub fn settings(&self) -> &LlmSettings {
        &self.settings
    }

    /// The counters.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Whether submitted searches may ask Claude (a key and the flag); says why not.
    pub fn search_enabled(&self) -> Result<(), LlmError> {
        if self.settings.api_key.is_none() {
            return Err(LlmError::NoKey);
        }
        if !self.settings.enable_search {
            return Err(LlmError::Disabled("ENABLE_AI_SEARCH"));
        }
        Ok(())
    }

    /// The intent of a query, within the intent deadline.
    pub async fn intent(
        &self,
        query: &str,
        vocabulary: &Vocabulary,
    ) -> Result<Answer<LlmIntent>, LlmError> {
        let query = prepare(query);
        let key = self.cache_key(Task::Intent, &crate::text::normalize_query(&query), &[]);
        let body = prompts::intent_request(&self.settings.model, &query, vocabulary);
        self.run(Task::Intent, key, &query, body, |input| {
            prompts::read_intent(input.tool_input("record_intent")?, vocabulary, &query)
        })
        .await
    }

    /// A new order of at most [`MAX_RERANK_CANDIDATES`] candidates, within the rerank deadline.
    pub async fn rerank(
        &self,
        query: &str,
        intent: &Value,
        candidates: &[Candidate],
    ) -> Result<Answer<Ranking>, LlmError> {
        let query = prepare(query);
        let candidates = &candidates[..candidates.len().min(MAX_RERANK_CANDIDATES)];
        let ids: Vec<String> = candidates.iter().map(|c| c.id.clone()).collect();
        let key = self.cache_key(Task::Rerank, &crate::text::normalize_query(&query), &ids);
        let body = prompts::rerank_request(&self.settings.model, &query, intent, candidates);
        self.run(Task::Rerank, key, &query, body, |input| {
            prompts::read_ranking(input.tool_input("record_ranking")?, &ids)
        })
        .await
    }

    fn cache_key(&self, task: Task, query: &str, ids: &[String]) -> String {
        format!(
            "{}|{}|v{PROMPT_VERSION}|{query}|{}",
            task.name(),
            self.settings.model,
            ids.join(",")
        )
    }

    fn deadline(&self, task: Task) -> Duration {
        Duration::from_millis(match task {
            Task::Intent => self.settings.intent_deadline_ms,
            Task::Rerank => self.settings.rerank_deadline_ms,
        })
    }

    /// The whole path of one task: see the module documentation.
    async fn run<T: Serialize + DeserializeOwned>(
        &self,
        task: Task,
        key: String,
        logged_input: &str,
        body: Value,
        read: impl Fn(&prompts::MessagesAnswer) -> Result<T, LlmError>,
    ) -> Result<Answer<T>, LlmError> {
        let started = Instant::now();
        if let Err(skip) = self.search_enabled() {
            self.metrics.skipped(task);
            return Err(skip);
        }
        if let Some(value) = self.cached(&key).await {
            self.metrics.cache_hit(task);
            self.log(task, logged_input, started, Logged::CacheHit);
            return Ok(Answer {
                value,
                cached: true,
            });
        }
        let now = Instant::now();
        if !self.breaker.allows(now) {
            self.metrics.skipped(task);
            return Err(LlmError::CircuitOpen);
        }
        if !self.limiter.try_acquire(now) {
            self.metrics.skipped(task);
            return Err(LlmError::RateLimited(
                self.settings.rate_limit_requests,
                self.settings.rate_limit_window_ms,
            ));
        }
        let deadline = started + self.deadline(task);
        let outcome = self
            .send(&body, deadline, self.deadline(task))
            .await
            .and_then(|(answer, usage)| Ok((read(&answer)?, usage)));
        let latency_ms = started.elapsed().as_millis() as u64;
        self.breaker.record(outcome.is_ok(), Instant::now());
        match outcome {
            Ok((value, usage)) => {
                let json = serde_json::to_string(&value).unwrap_or_default();
                self.metrics
                    .call(task, true, latency_ms, (usage.input, usage.output));
                self.log(task, logged_input, started, Logged::Answer(&json, usage));
                self.memory.put(key.clone(), json.clone());
                if let Some(store) = &self.store
                    && let Err(e) = store.llm_cache_put(&key, task.name(), &json, unix_now())
                {
                    tracing::warn!(error = %e, "cannot store Claude's answer");
                }
                Ok(Answer {
                    value,
                    cached: false,
                })
            }
            Err(e) => {
                self.metrics.call(task, false, latency_ms, (0, 0));
                self.log(task, logged_input, started, Logged::Failure(&e));
                tracing::warn!(task = task.name(), error = %e, latency_ms, "Claude call failed");
                Err(e)
            }
        }
    }

    /// A fresh cached answer, from memory or the replica (read on the blocking pool, off the
    /// async workers).
    async fn cached<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        let json = match self.memory.get(key) {
            Some(json) => json,
            None => {
                let fresh_since = unix_now() - self.settings.cache_ttl_secs as i64;
                let store = self.store.clone()?;
                let owned = key.to_owned();
                let read = move || store.llm_cache_get(&owned, fresh_since).ok().flatten();
                let json = tokio::task::spawn_blocking(read).await.ok().flatten()?;
                self.memory.put(key.to_owned(), json.clone());
                json
            }
        };
        serde_json::from_str(&json).ok()
    }

    /// Posts the request, retrying 429, 529 and 5xx while the deadline allows.
    async fn send(
        &self,
        body: &Value,
        deadline: Instant,
        budget: Duration,
    ) -> Result<(prompts::MessagesAnswer, Usage), LlmError> {
        let url = format!("{}/v1/messages", self.settings.base_url);
        let key = self.settings.api_key.as_deref().unwrap_or_default();
        let deadline_ms = budget.as_millis() as u64;
        let mut backoff = FIRST_BACKOFF;
        loop {
            let attempt = async {
                let response = self
                    .http
                    .post(&url)
                    .header("x-api-key", key)
                    .header("anthropic-version", ANTHROPIC_VERSION)
                    .header("content-type", "application/json")
                    .json(body)
                    .send()
                    .await
                    .map_err(|e| LlmError::Network(e.without_url().to_string()))?;
                let status = response.status().as_u16();
                let retry_after = retry_after(response.headers());
                let text = response
                    .text()
                    .await
                    .map_err(|e| LlmError::Network(e.without_url().to_string()))?;
                Ok::<_, LlmError>((status, retry_after, text))
            };
            let (status, retry_after, text) =
                match tokio::time::timeout_at(deadline.into(), attempt).await {
                    Err(_) => return Err(LlmError::Deadline(deadline_ms)),
                    Ok(result) => result?,
                };
            if status == 200 {
                let answer: prompts::MessagesAnswer = serde_json::from_str(&text)
                    .map_err(|e| LlmError::Malformed(format!("not a Messages answer: {e}")))?;
                let (input, output) = answer.tokens();
                return Ok((answer, Usage { input, output }));
            }
            let error = LlmError::Status {
                status,
                message: mask::truncate(&api_error_message(&text), 200),
            };
            let retryable = status == 429 || status == 529 || (500..600).contains(&status);
            let wait = retry_after.unwrap_or(backoff);
            let retry_at = Instant::now().checked_add(wait);
            if !retryable || retry_at.is_none_or(|at| at >= deadline) {
                return Err(error);
            }
            tracing::debug!(status, wait_ms = wait.as_millis() as u64, "retrying Claude");
            tokio::time::sleep(wait).await;
            backoff *= 2;
        }
    }

    /// Waits until every call logged so far is written to the replica (the log is written off
    /// the request path).
    pub async fn flush_log(&self) {
        let (pending, done) = &*self.log_pending;
        loop {
            // Created before the check: a write finishing in between still wakes it.
            let notified = done.notified();
            if pending.load(std::sync::atomic::Ordering::SeqCst) == 0 {
                return;
            }
            notified.await;
        }
    }

    /// Records a call (or a cache hit) in the replica's log, off the request path.
    fn log(&self, task: Task, input: &str, started: Instant, outcome: Logged) {
        let Some(store) = self.store.clone() else {
            return;
        };
        let (output, usage, error) = match outcome {
            Logged::CacheHit => (None, None, None),
            Logged::Answer(output, usage) => (Some(output), Some(usage), None),
            Logged::Failure(e) => (None, None, Some(e)),
        };
        let call = LlmCall {
            at: unix_now(),
            task: task.name().to_owned(),
            model: self.settings.model.clone(),
            input: mask::truncate(input, LOG_CHARS),
            output: output.map(|o| mask::truncate(o, LOG_CHARS)),
            input_tokens: usage.map(|u| u.input),
            output_tokens: usage.map(|u| u.output),
            latency_ms: started.elapsed().as_millis() as u64,
            success: error.is_none(),
            error: error.map(ToString::to_string),
            cache_hit: matches!(outcome, Logged::CacheHit),
        };
        let pending = self.log_pending.clone();
        pending.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let write = move || {
            if let Err(e) = store.record_llm_call(&call) {
                tracing::warn!(error = %e, "cannot log a Claude call");
            }
            pending.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
            pending.1.notify_waiters();
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn_blocking(write);
            }
            Err(_) => write(),
        }
    }
}

/// What a logged call came to.
#[derive(Clone, Copy)]
enum Logged<'a> {
    /// Served from the cache: no call made.
    CacheHit,
    /// A valid answer (as stored) and its tokens.
    Answer(&'a str, Usage),
    /// The call failed.
    Failure(&'a LlmError),
}

/// What is sent of a query: personal data masked, capped at [`prompts::MAX_QUERY_CHARS`].
fn prepare(query: &str) -> String {
    let masked = mask::mask_sensitive(query.trim());
    masked.chars().take(prompts::MAX_QUERY_CHARS).collect()
}

/// `retry-after` in seconds (or `retry-after-ms`), when the API sends one.
/// Whatever the server sends (`inf`, `1e300`, `-5`, `NaN`), the conversion is checked: a value
/// no `Duration` holds, or longer than [`MAX_RETRY_WAIT`], is capped there (the deadline caps
/// it further).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let get = |name: &str| headers.get(name)?.to_str().ok()?.trim().parse::<f64>().ok();
    let secs = get("retry-after-ms")
        .map(|ms| ms / 1000.0)
        .or_else(|| get("retry-after"))?;
    if secs.is_nan() {
        return None;
    }
    Some(
        Duration::try_from_secs_f64(secs.max(0.0))
            .map_or(MAX_RETRY_WAIT, |wait| wait.min(MAX_RETRY_WAIT)),
    )
}

/// The `error.message` of an API error body, or the body itself.
fn api_error_message(body: &str) -> String {
    serde_json::from_str::<prompts::ApiErrorBody>(body)
        .map_or_else(|_| body.to_owned(), prompts::ApiErrorBody::message)
}

fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(name: &'static str, value: &str) -> reqwest::header::HeaderMap {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(name, value.parse().unwrap());
        headers
    }

    #[test]
    fn retry_after_never_panics_and_is_capped() {
        let wait = |name, value| retry_after(&headers(name, value));
        assert_eq!(wait("retry-after", "2"), Some(Duration::from_secs(2)));
        assert_eq!(
            wait("retry-after-ms", "150"),
            Some(Duration::from_millis(150))
        );
        for huge in ["inf", "1e300", "18446744073709551616", "-inf"] {
            let capped = wait("retry-after", huge);
            assert!(
                capped.is_some_and(|w| w <= MAX_RETRY_WAIT),
                "{huge}: {capped:?}"
            );
        }
        assert_eq!(wait("retry-after", "-inf"), Some(Duration::ZERO));
        assert_eq!(wait("retry-after", "-5"), Some(Duration::ZERO));
        assert_eq!(wait("retry-after", "NaN"), None);
        assert_eq!(wait("retry-after", "Wed, 21 Oct 2026 07:28:00 GMT"), None);
    }
}
