//! The engine's own data, in a SQLite file beside the replica (`index/state.db` by default):
//! what no export or sync can rebuild. Today: support tickets and their delivery outbox. The
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

const MIGRATIONS: &[&str] = &["
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
"];

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
