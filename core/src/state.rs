//! The engine's own data, in a SQLite file beside the replica (`index/state.db` by default):
//! what no export or sync can rebuild: support tickets and their delivery outbox, shopper
//! events, search logs, and the lexicon's proposed and accepted words. The
//! replica and the index are derived from the store and may be rebuilt or replaced at any time;
//! this file never is, and [`State::backup`] copies it while the server runs.
//!
//! A ticket is written with its outbox row in one transaction, so a ticket whose webhook is
//! down, or whose process restarts, is still delivered later (at least once, the ticket id as
//! the idempotency key).

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, params};

use crate::catalog::{CatalogError, apply_migrations, open_database};

const MIGRATIONS: &[&str] = &[
    "
    CREATE TABLE tickets (
        id              TEXT PRIMARY KEY,
        conversation_id TEXT,
        reason          TEXT NOT NULL,
        priority        TEXT NOT NULL,
        status          TEXT NOT NULL DEFAULT 'open',
        subject         TEXT,
        created_at      INTEGER NOT NULL
    );
    -- Idempotency of an escalation within a conversation.
    CREATE UNIQUE INDEX tickets_conversation_reason
        ON tickets (conversation_id, reason) WHERE conversation_id IS NOT NULL;
    CREATE TABLE ticket_outbox (
        ticket_id       TEXT PRIMARY KEY REFERENCES tickets (id),
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        delivered_at    INTEGER,
        last_error      TEXT
    );
    CREATE INDEX ticket_outbox_due ON ticket_outbox (next_attempt_at) WHERE delivered_at IS NULL;
",
    "
    -- What shoppers did with results (the storefront's click analytics); a repeat of the same
    -- event (same fields, same time) is one row.
    CREATE TABLE events (
        id         INTEGER PRIMARY KEY,
        kind       TEXT NOT NULL,
        query_id   TEXT,
        product_id TEXT NOT NULL,
        position   INTEGER,
        session_id TEXT,
        user_id    TEXT,
        at_ms      INTEGER NOT NULL
    );
    -- NULLs are distinct in a UNIQUE constraint: the index compares absent ids as equal.
    CREATE UNIQUE INDEX events_once ON events
        (kind, ifnull(query_id, ''), product_id, ifnull(session_id, ''), ifnull(user_id, ''), at_ms);
    CREATE INDEX events_at ON events (at_ms);
    CREATE INDEX events_query ON events (query_id) WHERE query_id IS NOT NULL;
    -- Every search served, its query masked for personal data.
    CREATE TABLE searches (
        request_uid TEXT PRIMARY KEY,
        at_ms       INTEGER NOT NULL,
        query       TEXT NOT NULL,
        mode        TEXT NOT NULL,
        hits        INTEGER NOT NULL,
        latency_ms  REAL NOT NULL,
        session_id  TEXT,
        user_id     TEXT
    ) WITHOUT ROWID;
    CREATE INDEX searches_at ON searches (at_ms);
",
    "
    -- The query words the engine dropped to find results, masked like the query, space-separated.
    ALTER TABLE searches ADD COLUMN dropped TEXT;
",
    "
    -- Words Claude read as a category that the lexicon did not know, waiting for review.
    CREATE TABLE lexicon_proposals (
        word        TEXT NOT NULL,
        category    TEXT NOT NULL,
        count       INTEGER NOT NULL,
        first_at_ms INTEGER NOT NULL,
        last_at_ms  INTEGER NOT NULL,
        PRIMARY KEY (word, category)
    ) WITHOUT ROWID;
    -- Words accepted into the lexicon (`vivr-search lexicon accept`): the thesaurus's overlay.
    CREATE TABLE lexicon_words (
        word           TEXT PRIMARY KEY,
        category       TEXT NOT NULL,
        accepted_at_ms INTEGER NOT NULL
    ) WITHOUT ROWID;
",
];

/// A word proposed for the lexicon, with how often Claude proposed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexiconProposal {
    /// The word or phrase, as shoppers wrote it (lower case).
    pub word: String,
    /// The category slug Claude read it as.
    pub category: String,
    /// Searches that proposed it.
    pub count: u64,
    /// First and last time, in Unix milliseconds.
    pub first_at_ms: i64,
    /// Last time.
    pub last_at_ms: i64,
}

/// A word accepted into the lexicon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexiconWord {
    /// The word or phrase.
    pub word: String,
    /// The category slug it names.
    pub category: String,
    /// When it was accepted, in Unix milliseconds.
    pub accepted_at_ms: i64,
}

/// Why a word could not be accepted.
#[derive(Debug, thiserror::Error)]
pub enum AcceptError {
    /// No proposal has that word.
    #[error("no proposal for {0:?}: `vivr-search lexicon proposals` lists them")]
    NotProposed(String),
    /// The lexicon cannot take the word.
    #[error("the lexicon cannot take it: {0}")]
    Refused(String),
    /// The database failed.
    #[error(transparent)]
    Database(#[from] CatalogError),
}

/// What a shopper did with a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// Opened a product from the results.
    Click,
    /// Put it in the cart.
    AddToCart,
    /// Bought it.
    Purchase,
}

impl EventKind {
    /// The kind as the API writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Click => "click",
            EventKind::AddToCart => "add-to-cart",
            EventKind::Purchase => "purchase",
        }
    }

    /// The kind from its name.
    pub fn parse(name: &str) -> Option<EventKind> {
        [EventKind::Click, EventKind::AddToCart, EventKind::Purchase]
            .into_iter()
            .find(|k| k.as_str() == name)
    }
}

/// One shopper event (the shape of Algolia Insights).
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// The search's `requestUid`, when the product came from one.
    pub query_id: Option<String>,
    /// The product.
    pub product_id: String,
    /// Its 1-based position in the results.
    pub position: Option<u32>,
    /// The storefront's visitor id.
    pub session_id: Option<String>,
    /// The signed-in user, when the storefront sends one.
    pub user_id: Option<String>,
    /// When, in Unix milliseconds.
    pub at_ms: i64,
}

/// One search served.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchLog {
    /// The `requestUid` the response carried.
    pub request_uid: String,
    /// When, in Unix milliseconds.
    pub at_ms: i64,
    /// The query, masked for personal data (e-mails, phone numbers, card numbers…).
    pub query: String,
    /// `instant` or `full`.
    pub mode: &'static str,
    /// Hits found (the estimated total).
    pub hits: u64,
    /// Time spent by the engine, in milliseconds.
    pub latency_ms: f64,
    /// The storefront's visitor id, when sent.
    pub session_id: Option<String>,
    /// The signed-in user, only when the storefront sends one.
    pub user_id: Option<String>,
    /// Query words dropped to find results, masked like the query.
    pub dropped: Vec<String>,
}

/// How urgent a ticket is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Priority {
    /// Low.
    Low,
    /// Medium (the default).
    #[default]
    Medium,
    /// High.
    High,
    /// Urgent.
    Urgent,
}

impl Priority {
    /// The priority as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Medium => "medium",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }

    /// The priority of a name.
    pub fn parse(name: &str) -> Option<Priority> {
        [
            Priority::Low,
            Priority::Medium,
            Priority::High,
            Priority::Urgent,
        ]
        .into_iter()
        .find(|p| p.as_str() == name)
    }
}

/// A support ticket.
#[derive(Debug, Clone, PartialEq)]
pub struct Ticket {
    /// `tck_` and 32 hex digits.
    pub id: String,
    /// The chat's conversation, when the caller gave one.
    pub conversation_id: Option<String>,
    /// Why a human is needed.
    pub reason: String,
    /// How urgent.
    pub priority: Priority,
    /// `open` (the only status the engine sets).
    pub status: String,
    /// The customer the ticket is for (a customer token's subject), if any.
    pub subject: Option<String>,
    /// Unix time of creation.
    pub created_at: i64,
}

/// A ticket to write.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTicket<'a> {
    /// The chat's conversation.
    pub conversation_id: Option<&'a str>,
    /// Why a human is needed.
    pub reason: &'a str,
    /// How urgent.
    pub priority: Priority,
    /// The customer it is for.
    pub subject: Option<&'a str>,
}

/// First retry of a failed delivery, in seconds; each failure doubles it.
const FIRST_RETRY_SECS: i64 = 5;
/// Longest wait between two deliveries of a ticket, in seconds.
const LONGEST_RETRY_SECS: i64 = 3600;

/// Delivers tickets to the support webhook `url` until the process ends: every second, the
/// tickets whose delivery is due ([`State::deliver_due`]).
pub async fn run_ticket_outbox(state: std::sync::Arc<State>, url: String) {
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .unwrap_or_default();
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let now = chrono::Utc::now().timestamp();
        if let Err(e) = state.deliver_due(&http, &url, now).await {
            tracing::warn!(error = %e, "ticket outbox: cannot read the state database");
        }
    }
}

/// How long events and search logs are kept, in days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Shopper events.
    pub event_days: u32,
    /// Search logs.
    pub search_days: u32,
}

/// Records waiting for the writer, at most: a burst beyond is dropped (and counted), never
/// waited for by a search.
const RECORDER_QUEUE: usize = 100_000;
/// Records written in one transaction, at most.
const RECORDER_BATCH: usize = 5_000;
/// How long the writer waits after a first record for more to join its transaction (unless
/// a flush is waiting). Under load, a commit per handful of searches was a sixteenth of the
/// server's time (SQLite's commit and its WAL frames); a commit every 50 ms holds a hundred.
const RECORDER_LINGER: std::time::Duration = std::time::Duration::from_millis(50);
/// The purge of old rows runs this often.
const PURGE_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

enum Record {
    Search(SearchLog),
    /// A lexicon word Claude proposed: `(word, category, at_ms)`.
    Proposal(String, String, i64),
    Events(Vec<Event>),
    /// Answered once everything sent before is written.
    Flush(tokio::sync::oneshot::Sender<()>),
}

/// Search logs and shopper events on their way to the state database: callers hand them over
/// without waiting, a writer task stores them in batches (one transaction, one sync to disk,
/// for what arrives within [`RECORDER_LINGER`], up to [`RECORDER_BATCH`] records) and purges
/// what is older than the retention.
pub struct Recorder {
    queue: tokio::sync::mpsc::Sender<Record>,
    dropped: std::sync::atomic::AtomicU64,
}

/// Why events were not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the event queue is full: retry in a moment")]
pub struct QueueFull;

impl Recorder {
    /// A recorder writing to `state`, and its writer task (to spawn on the runtime).
    pub fn new(
        state: std::sync::Arc<State>,
        retention: Retention,
    ) -> (
        Recorder,
        impl std::future::Future<Output = ()> + Send + 'static,
    ) {
        let (queue, mut received) = tokio::sync::mpsc::channel(RECORDER_QUEUE);
        let writer = async move {
            let mut last_purge: Option<std::time::Instant> = None;
            while let Some(first) = received.recv().await {
                let mut batch = vec![first];
                take_waiting(&mut received, &mut batch);
                let flushing = batch.iter().any(|r| matches!(r, Record::Flush(_)));
                if !flushing && batch.len() < RECORDER_BATCH {
                    tokio::time::sleep(RECORDER_LINGER).await;
                    take_waiting(&mut received, &mut batch);
                }
                let purge = last_purge.is_none_or(|at| at.elapsed() >= PURGE_EVERY);
                if purge {
                    last_purge = Some(std::time::Instant::now());
                }
                let state = state.clone();
                let flushed = tokio::task::spawn_blocking(move || {
                    write_batch(&state, batch, purge.then_some(retention))
                })
                .await;
                match flushed {
                    Ok(waiting) => {
                        for done in waiting {
                            let _ = done.send(());
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "analytics writer task failed"),
                }
            }
        };
        (
            Recorder {
                queue,
                dropped: std::sync::atomic::AtomicU64::new(0),
            },
            writer,
        )
    }

    /// Hands a search log over; dropped (and counted) when the queue is full.
    pub fn search(&self, log: SearchLog) {
        if self.queue.try_send(Record::Search(log)).is_err() {
            self.dropped
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// Hands a proposed lexicon word over; dropped (and counted) when the queue is full.
    pub fn propose(&self, word: String, category: String, at_ms: i64) {
        if self
            .queue
            .try_send(Record::Proposal(word, category, at_ms))
            .is_err()
        {
            self.dropped
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// Hands validated events over, or says the queue is full (the caller answers 503).
    pub fn events(&self, events: Vec<Event>) -> Result<(), QueueFull> {
        self.queue
            .try_send(Record::Events(events))
            .map_err(|_| QueueFull)
    }

    /// Search logs dropped because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Waits until everything handed over before is written.
    pub async fn flush(&self) {
        let (done, written) = tokio::sync::oneshot::channel();
        if self.queue.send(Record::Flush(done)).await.is_ok() {
            let _ = written.await;
        }
    }
}

/// Adds the records already queued to `batch`, up to [`RECORDER_BATCH`].
fn take_waiting(received: &mut tokio::sync::mpsc::Receiver<Record>, batch: &mut Vec<Record>) {
    while batch.len() < RECORDER_BATCH {
        match received.try_recv() {
            Ok(record) => batch.push(record),
            Err(_) => break,
        }
    }
}

/// Writes one batch (and purges when asked); returns the flushes to answer.
fn write_batch(
    state: &State,
    batch: Vec<Record>,
    purge: Option<Retention>,
) -> Vec<tokio::sync::oneshot::Sender<()>> {
    let mut searches = Vec::new();
    let mut events = Vec::new();
    let mut proposals = Vec::new();
    let mut flushes = Vec::new();
    for record in batch {
        match record {
            Record::Search(log) => searches.push(log),
            Record::Proposal(word, category, at_ms) => proposals.push((word, category, at_ms)),
            Record::Events(e) => events.extend(e),
            Record::Flush(done) => flushes.push(done),
        }
    }
    if !searches.is_empty()
        && let Err(e) = state.record_searches(&searches)
    {
        tracing::warn!(error = %e, count = searches.len(), "search logs not written");
    }
    if !events.is_empty()
        && let Err(e) = state.record_events(&events)
    {
        tracing::warn!(error = %e, count = events.len(), "events not written");
    }
    if !proposals.is_empty()
        && let Err(e) = state.record_proposals(&proposals)
    {
        tracing::warn!(error = %e, count = proposals.len(), "lexicon proposals not written");
    }
    if let Some(retention) = purge {
        let now = chrono::Utc::now().timestamp_millis();
        match state.purge(now, retention.event_days, retention.search_days) {
            Ok((0, 0)) => {}
            Ok((events, searches)) => {
                tracing::info!(
                    events,
                    searches,
                    "analytics rows past their retention purged"
                );
            }
            Err(e) => tracing::warn!(error = %e, "analytics purge failed"),
        }
    }
    flushes
}

/// The state database.
pub struct State {
    conn: Mutex<Connection>,
    path: PathBuf,
}

const TICKET_COLUMNS: &str = "id, conversation_id, reason, priority, status, subject, created_at";

fn ticket(row: &rusqlite::Row<'_>) -> rusqlite::Result<Ticket> {
    let priority: String = row.get(3)?;
    Ok(Ticket {
        id: row.get(0)?,
        conversation_id: row.get(1)?,
        reason: row.get(2)?,
        priority: Priority::parse(&priority).unwrap_or_default(),
        status: row.get(4)?,
        subject: row.get(5)?,
        created_at: row.get(6)?,
    })
}

impl State {
    /// Opens (creating if needed) the state database at `path` and migrates its schema.
    pub fn open(path: &Path) -> Result<State, CatalogError> {
        // The engine's own data: a commit is on disk before it is acknowledged.
        let mut conn = open_database(path, "FULL")?;
        apply_migrations(&mut conn, MIGRATIONS, "state")?;
        Ok(State {
            conn: Mutex::new(conn),
            path: path.to_owned(),
        })
    }

    /// Where the state database lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // Transactions roll back on drop: a poisoned lock leaves SQLite consistent.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Writes a ticket and queues its delivery; with a conversation id, the ticket already
    /// written for the same conversation and reason is returned instead (`false`: not new).
    pub fn escalate(&self, new: &NewTicket, now: i64) -> Result<(Ticket, bool), CatalogError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        if let Some(conversation) = new.conversation_id {
            let existing = tx
                .query_row(
                    &format!(
                        "SELECT {TICKET_COLUMNS} FROM tickets
                         WHERE conversation_id = ?1 AND reason = ?2"
                    ),
                    params![conversation, new.reason],
                    ticket,
                )
                .optional()?;
            if let Some(existing) = existing {
                return Ok((existing, false));
            }
        }
        let written = Ticket {
            id: format!("tck_{}", uuid::Uuid::new_v4().simple()),
            conversation_id: new.conversation_id.map(str::to_owned),
            reason: new.reason.to_owned(),
            priority: new.priority,
            status: "open".to_owned(),
            subject: new.subject.map(str::to_owned),
            created_at: now,
        };
        tx.execute(
            &format!("INSERT INTO tickets ({TICKET_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
            params![
                written.id,
                written.conversation_id,
                written.reason,
                written.priority.as_str(),
                written.status,
                written.subject,
                written.created_at
            ],
        )?;
        tx.execute(
            "INSERT INTO ticket_outbox (ticket_id, next_attempt_at) VALUES (?1, ?2)",
            params![written.id, now],
        )?;
        tx.commit()?;
        Ok((written, true))
    }

    /// Tickets, newest first; `status` keeps one status.
    pub fn tickets(&self, status: Option<&str>) -> Result<Vec<Ticket>, CatalogError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {TICKET_COLUMNS} FROM tickets
             WHERE ?1 IS NULL OR status = ?1 ORDER BY created_at DESC, id"
        ))?;
        let rows = stmt.query_map(params![status], ticket)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Tickets whose delivery is due at `now` (never delivered, retry time passed), oldest
    /// first, at most `limit`.
    pub fn due_deliveries(&self, now: i64, limit: usize) -> Result<Vec<Ticket>, CatalogError> {
        let conn = self.conn();
        // The outbox's columns share no name with the ticket's: no prefix needed.
        let mut stmt = conn.prepare(&format!(
            "SELECT {TICKET_COLUMNS} FROM ticket_outbox JOIN tickets ON id = ticket_id
             WHERE delivered_at IS NULL AND next_attempt_at <= ?1
             ORDER BY next_attempt_at, id LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![now, limit as i64], ticket)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records a delivery.
    pub fn delivered(&self, ticket_id: &str, now: i64) -> Result<(), CatalogError> {
        self.conn().execute(
            "UPDATE ticket_outbox SET delivered_at = ?2, attempts = attempts + 1, last_error = NULL
             WHERE ticket_id = ?1",
            params![ticket_id, now],
        )?;
        Ok(())
    }

    /// Records a failed delivery; returns when the next one is due (the wait doubles from
    /// [`FIRST_RETRY_SECS`] up to [`LONGEST_RETRY_SECS`]).
    pub fn failed(&self, ticket_id: &str, now: i64, error: &str) -> Result<i64, CatalogError> {
        let conn = self.conn();
        let attempts: i64 = conn.query_row(
            "UPDATE ticket_outbox SET attempts = attempts + 1, last_error = ?2
             WHERE ticket_id = ?1 RETURNING attempts",
            params![ticket_id, error],
            |row| row.get(0),
        )?;
        let wait = FIRST_RETRY_SECS
            .saturating_mul(1 << (attempts - 1).clamp(0, 20))
            .min(LONGEST_RETRY_SECS);
        let next = now + wait;
        conn.execute(
            "UPDATE ticket_outbox SET next_attempt_at = ?2 WHERE ticket_id = ?1",
            params![ticket_id, next],
        )?;
        Ok(next)
    }

    /// Posts every ticket due at `now` to the support webhook `url`, once each; returns how
    /// many were delivered. A 2xx answer marks a ticket delivered; anything else (an error, a
    /// timeout, another status) schedules a retry. Each POST carries the ticket id as
    /// `Idempotency-Key`, the same on every attempt, so the receiver can drop repeats.
    pub async fn deliver_due(
        &self,
        http: &reqwest::Client,
        url: &str,
        now: i64,
    ) -> Result<usize, CatalogError> {
        let mut delivered = 0;
        for ticket in self.due_deliveries(now, 20)? {
            let body = serde_json::json!({
                "ticketId": ticket.id,
                "conversationId": ticket.conversation_id,
                "reason": ticket.reason,
                "priority": ticket.priority.as_str(),
                "status": ticket.status,
                "userId": ticket.subject,
                "createdAt": chrono::DateTime::from_timestamp(ticket.created_at, 0)
                    .map(|t| t.to_rfc3339()),
            });
            let sent = http
                .post(url)
                .header("Idempotency-Key", &ticket.id)
                .json(&body)
                .send()
                .await
                .and_then(reqwest::Response::error_for_status);
            match sent {
                Ok(_) => {
                    self.delivered(&ticket.id, now)?;
                    delivered += 1;
                }
                Err(e) => {
                    // The error names the URL and status, never the ticket's text.
                    let error = e.without_url().to_string();
                    let next = self.failed(&ticket.id, now, &error)?;
                    tracing::warn!(ticket = %ticket.id, error, retry_at = next, "support webhook delivery failed");
                }
            }
        }
        Ok(delivered)
    }

    /// Writes events in one transaction; a repeat of a stored event is ignored. Returns how
    /// many were new.
    pub fn record_events(&self, events: &[Event]) -> Result<usize, CatalogError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let mut new = 0;
        {
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO events
                   (kind, query_id, product_id, position, session_id, user_id, at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for e in events {
                new += insert.execute(params![
                    e.kind.as_str(),
                    e.query_id,
                    e.product_id,
                    e.position,
                    e.session_id,
                    e.user_id,
                    e.at_ms
                ])?;
            }
        }
        tx.commit()?;
        Ok(new)
    }

    /// Writes search logs in one transaction (a `requestUid` already logged is kept).
    pub fn record_searches(&self, searches: &[SearchLog]) -> Result<(), CatalogError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO searches
                   (request_uid, at_ms, query, mode, hits, latency_ms, session_id, user_id,
                    dropped)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?;
            for l in searches {
                insert.execute(params![
                    l.request_uid,
                    l.at_ms,
                    l.query,
                    l.mode,
                    l.hits as i64,
                    l.latency_ms,
                    l.session_id,
                    l.user_id,
                    (!l.dropped.is_empty()).then(|| l.dropped.join(" "))
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Counts proposals of lexicon words (`(word, category, at_ms)`), in one transaction.
    pub fn record_proposals(
        &self,
        proposals: &[(String, String, i64)],
    ) -> Result<(), CatalogError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        {
            let mut upsert = tx.prepare_cached(
                "INSERT INTO lexicon_proposals (word, category, count, first_at_ms, last_at_ms)
                 VALUES (?1, ?2, 1, ?3, ?3)
                 ON CONFLICT (word, category) DO UPDATE
                   SET count = count + 1, last_at_ms = max(last_at_ms, excluded.last_at_ms)",
            )?;
            for (word, category, at_ms) in proposals {
                // An accepted word is not proposed again.
                let accepted: bool = tx.query_row(
                    "SELECT EXISTS (SELECT 1 FROM lexicon_words WHERE word = ?1)",
                    [word],
                    |r| r.get(0),
                )?;
                if !accepted {
                    upsert.execute(params![word, category, at_ms])?;
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The proposals, most frequent first.
    pub fn lexicon_proposals(&self) -> Result<Vec<LexiconProposal>, CatalogError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT word, category, count, first_at_ms, last_at_ms FROM lexicon_proposals
              ORDER BY count DESC, last_at_ms DESC, word, category",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(LexiconProposal {
                word: r.get(0)?,
                category: r.get(1)?,
                count: u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
                first_at_ms: r.get(3)?,
                last_at_ms: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Accepts a proposed word (as the category most proposals read it as) when `check`
    /// accepts it with that category: it moves into the accepted words and its proposals go,
    /// in one transaction; a word `check` refuses changes nothing.
    pub fn accept_word(
        &self,
        word: &str,
        now_ms: i64,
        check: impl FnOnce(&str, &str) -> Result<(), String>,
    ) -> Result<LexiconWord, AcceptError> {
        let word = word.trim().to_lowercase();
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(CatalogError::from)?;
        let category: Option<String> = tx
            .query_row(
                "SELECT category FROM lexicon_proposals WHERE word = ?1
                  ORDER BY count DESC, last_at_ms DESC LIMIT 1",
                [&word],
                |r| r.get(0),
            )
            .optional()
            .map_err(CatalogError::from)?;
        let category = category.ok_or_else(|| AcceptError::NotProposed(word.clone()))?;
        check(&word, &category).map_err(AcceptError::Refused)?;
        tx.execute(
            "INSERT OR REPLACE INTO lexicon_words (word, category, accepted_at_ms)
             VALUES (?1, ?2, ?3)",
            params![word, category, now_ms],
        )
        .map_err(CatalogError::from)?;
        tx.execute("DELETE FROM lexicon_proposals WHERE word = ?1", [&word])
            .map_err(CatalogError::from)?;
        tx.commit().map_err(CatalogError::from)?;
        Ok(LexiconWord {
            word,
            category,
            accepted_at_ms: now_ms,
        })
    }

    /// Removes an accepted word (it may be proposed again). Returns whether there was one.
    pub fn forget_word(&self, word: &str) -> Result<bool, CatalogError> {
        let word = word.trim().to_lowercase();
        Ok(self
            .conn()
            .execute("DELETE FROM lexicon_words WHERE word = ?1", [&word])?
            > 0)
    }

    /// Rejects a proposed word: its proposals go (it may be proposed again). Returns how many.
    pub fn reject_word(&self, word: &str) -> Result<usize, CatalogError> {
        let word = word.trim().to_lowercase();
        Ok(self
            .conn()
            .execute("DELETE FROM lexicon_proposals WHERE word = ?1", [&word])?)
    }

    /// The accepted words, oldest first.
    pub fn lexicon_words(&self) -> Result<Vec<LexiconWord>, CatalogError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT word, category, accepted_at_ms FROM lexicon_words ORDER BY accepted_at_ms, word",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(LexiconWord {
                word: r.get(0)?,
                category: r.get(1)?,
                accepted_at_ms: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Removes events and search logs older than their retention (days, from `now_ms`);
    /// returns how many rows of each went.
    pub fn purge(
        &self,
        now_ms: i64,
        event_days: u32,
        search_days: u32,
    ) -> Result<(usize, usize), CatalogError> {
        let before = |days: u32| now_ms - i64::from(days) * 86_400_000;
        let conn = self.conn();
        let events = conn.execute("DELETE FROM events WHERE at_ms < ?1", [before(event_days)])?;
        let searches = conn.execute(
            "DELETE FROM searches WHERE at_ms < ?1",
            [before(search_days)],
        )?;
        // Proposed words come from searches: they go with them (accepted ones stay).
        conn.execute(
            "DELETE FROM lexicon_proposals WHERE last_at_ms < ?1",
            [before(search_days)],
        )?;
        Ok((events, searches))
    }

    /// The searches logged in `from_ms..to_ms`, by session then time (sessionless last).
    pub fn searches_between(
        &self,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<SearchLog>, CatalogError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT request_uid, at_ms, query, mode, hits, latency_ms, session_id, user_id, dropped
               FROM searches WHERE at_ms >= ?1 AND at_ms < ?2
              ORDER BY session_id IS NULL, session_id, at_ms",
        )?;
        let rows = stmt.query_map([from_ms, to_ms], |r| {
            let mode: String = r.get(3)?;
            Ok(SearchLog {
                request_uid: r.get(0)?,
                at_ms: r.get(1)?,
                query: r.get(2)?,
                mode: if mode == "full" { "full" } else { "instant" },
                hits: u64::try_from(r.get::<_, i64>(4)?).unwrap_or(0),
                latency_ms: r.get(5)?,
                session_id: r.get(6)?,
                user_id: r.get(7)?,
                dropped: r
                    .get::<_, Option<String>>(8)?
                    .map(|d| d.split(' ').map(str::to_owned).collect())
                    .unwrap_or_default(),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The events recorded in `from_ms..to_ms`.
    pub fn events_between(&self, from_ms: i64, to_ms: i64) -> Result<Vec<Event>, CatalogError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT kind, query_id, product_id, position, session_id, user_id, at_ms
               FROM events WHERE at_ms >= ?1 AND at_ms < ?2 ORDER BY at_ms",
        )?;
        let rows = stmt.query_map([from_ms, to_ms], |r| {
            let kind: String = r.get(0)?;
            Ok((
                kind,
                Event {
                    kind: EventKind::Click,
                    query_id: r.get(1)?,
                    product_id: r.get(2)?,
                    position: r.get(3)?,
                    session_id: r.get(4)?,
                    user_id: r.get(5)?,
                    at_ms: r.get(6)?,
                },
            ))
        })?;
        let mut events = Vec::new();
        for row in rows {
            let (kind, mut event) = row?;
            // A kind this binary does not know is skipped, not misread.
            if let Some(kind) = EventKind::parse(&kind) {
                event.kind = kind;
                events.push(event);
            }
        }
        Ok(events)
    }

    /// How many events and search logs are stored.
    pub fn analytics_counts(&self) -> Result<(u64, u64), CatalogError> {
        let conn = self.conn();
        let count = |table: &str| -> Result<u64, CatalogError> {
            Ok(
                conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| {
                    r.get::<_, i64>(0)
                })? as u64,
            )
        };
        Ok((count("events")?, count("searches")?))
    }

    /// Copies the database to `dest` with SQLite's online backup, while it stays in use.
    pub fn backup(&self, dest: &Path) -> Result<(), CatalogError> {
        let conn = self.conn();
        conn.backup(rusqlite::MAIN_DB, dest, rusqlite::backup::NO_PROGRESS)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_ticket<'a>(conversation: Option<&'a str>, reason: &'a str) -> NewTicket<'a> {
        NewTicket {
            conversation_id: conversation,
            reason,
            priority: Priority::High,
            subject: Some("u1"),
        }
    }

    #[test]
    fn escalation_is_idempotent_per_conversation_and_reason() {
        let dir = tempfile::tempdir().unwrap();
        let state = State::open(&dir.path().join("state.db")).unwrap();
        let (first, created) = state
            .escalate(&new_ticket(Some("c1"), "colis perdu"), 100)
            .unwrap();
        assert!(created && first.id.starts_with("tck_"));
        let (again, created) = state
            .escalate(&new_ticket(Some("c1"), "colis perdu"), 200)
            .unwrap();
        assert_eq!((again, created), (first.clone(), false));
        let (other, created) = state
            .escalate(&new_ticket(Some("c1"), "remboursement"), 300)
            .unwrap();
        assert!(created && other.id != first.id);
        let (a, _) = state.escalate(&new_ticket(None, "x"), 400).unwrap();
        let (b, _) = state.escalate(&new_ticket(None, "x"), 400).unwrap();
        assert_ne!(a.id, b.id, "without a conversation, each call is a ticket");
        assert_eq!(state.tickets(Some("open")).unwrap().len(), 4);
        assert!(state.tickets(Some("closed")).unwrap().is_empty());
    }

    #[test]
    fn the_outbox_retries_with_backoff_and_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let state = State::open(&path).unwrap();
        let (t, _) = state.escalate(&new_ticket(None, "aide"), 1_000).unwrap();
        assert_eq!(state.due_deliveries(1_000, 10).unwrap(), vec![t.clone()]);
        assert_eq!(state.failed(&t.id, 1_000, "webhook down").unwrap(), 1_005);
        assert!(state.due_deliveries(1_004, 10).unwrap().is_empty());
        assert_eq!(state.failed(&t.id, 1_005, "webhook down").unwrap(), 1_015);
        drop(state);

        // A restart: the ticket is still waiting for its delivery.
        let state = State::open(&path).unwrap();
        assert_eq!(state.due_deliveries(1_015, 10).unwrap(), vec![t.clone()]);
        state.delivered(&t.id, 1_015).unwrap();
        assert!(state.due_deliveries(10_000, 10).unwrap().is_empty());
    }

    #[test]
    fn a_backup_is_a_complete_copy() {
        let dir = tempfile::tempdir().unwrap();
        let state = State::open(&dir.path().join("state.db")).unwrap();
        state
            .escalate(&new_ticket(Some("c9"), "meuble abîmé"), 5)
            .unwrap();
        let copy = dir.path().join("backup/state.db");
        std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
        state.backup(&copy).unwrap();
        let restored = State::open(&copy).unwrap();
        assert_eq!(
            restored.tickets(None).unwrap(),
            state.tickets(None).unwrap()
        );
    }
}
