//! The live sync from the storefront's PostgreSQL: the replica follows the store's database,
//! and each change is published as a new generation.
//!
//! One sync reads, in one `REPEATABLE READ` read-only transaction (one snapshot of the whole
//! store), the rows changed since the replica's watermarks, and applies them through the
//! import's own validation and upserts ([`crate::catalog::Importer`]), the watermarks and the
//! rows it could not apply (`sync_errors`) in the same SQLite transaction: a sync killed
//! midway changes nothing, and the next one starts from the same watermarks.
//!
//! Change capture, per table:
//! - without the optional triggers (`tools/storefront/triggers.sql`), a `(updatedAt, id)`
//!   keyset read from `overlap_secs` behind the last change seen, so that a transaction that
//!   committed after a newer one is still read; upserts are idempotent (content hashes), so
//!   re-reading the window costs no write;
//! - with them, a transaction-id fence: every row carries the id of the transaction that wrote
//!   it (`vivrXid`), each sync reads the rows at or past the previous fence and moves it to
//!   `pg_snapshot_xmin` of its own snapshot, below which every transaction has ended: none is
//!   missed however long it ran. Deletes arrive as tombstones, and `NOTIFY` wakes the watcher.
//! - a reconcile (the first sync, then every `reconcile_secs`) reads every row and removes
//!   from the replica what the store no longer holds; without triggers it is how hard deletes
//!   arrive, and it bounds how late a row that escaped the window can be.
//!
//! The sync never writes to the store's database. A row that fails validation is reported
//! (`sync_errors`, `/health`, `vivr-search sync --status`) and the replica keeps its last good
//! copy; a bad row never deletes anything.

pub mod mapping;
mod source;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use postgres::IsolationLevel;
use rusqlite::OptionalExtension;
use serde::Serialize;

use mapping::Read;
pub use mapping::{Table, TableName, TableNames};

use crate::catalog::{Catalog, CatalogError, Entity, ImportReport, Importer, RowKey};
use crate::config::SyncSettings;
use crate::index::{self, ReindexOptions};
use crate::search::{self, SearchError};
use crate::vectors::Embedder;

/// Errors of the sync. None of them holds the database URL or its password.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The URL could not be read (it is not repeated: it may hold a password).
    #[error(
        "the database URL is not a valid PostgreSQL connection string (postgres://user:password@host:port/database)"
    )]
    Url,
    /// TLS could not be set up.
    #[error("TLS to PostgreSQL: {0}")]
    Tls(String),
    /// The database refused, failed or could not be reached.
    #[error("PostgreSQL at {target}: {message}")]
    Database {
        /// `user@host:port/database`.
        target: String,
        /// What went wrong.
        message: String,
    },
    /// A table the sync cannot do without is missing.
    #[error("PostgreSQL at {target}: table {table:?} does not exist (see [sync.tables])")]
    MissingTable {
        /// `user@host:port/database`.
        target: String,
        /// The table.
        table: String,
    },
    /// The replica failed.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// Publishing the generation failed.
    #[error(transparent)]
    Search(#[from] SearchError),
}

impl From<rusqlite::Error> for SyncError {
    fn from(e: rusqlite::Error) -> SyncError {
        SyncError::Catalog(e.into())
    }
}

impl From<index::IndexError> for SyncError {
    fn from(e: index::IndexError) -> SyncError {
        SyncError::Search(e.into())
    }
}

/// A PostgreSQL error's text with its causes; a server's error is its severity and message.
fn error_text(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!("{}: {}", db.severity(), db.message());
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// What one sync did.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncOutcome {
    /// Rows inserted, updated, unchanged, deleted and rejected per entity.
    pub report: ImportReport,
    /// Every row was read and the vanished ones removed.
    pub reconciled: bool,
    /// The store has the triggers (transaction-id fence, tombstones, `NOTIFY`).
    pub triggers: bool,
    /// Rows read from the store.
    pub rows_read: u64,
    /// Tables the store does not have (optional ones: reviews, wishlists, users, carts).
    pub missing_tables: Vec<String>,
    /// Time taken, in milliseconds.
    pub took_ms: u64,
}

/// One row read from the store: its id, its change time, the contract line.
struct Row {
    id: String,
    changed_at: Option<String>,
    line: String,
}

/// The replica's sync bookkeeping (`sync_watermarks`, `meta`).
#[derive(Debug, Default)]
struct Stored {
    /// Per table key: the last `(change time, id)` read.
    watermarks: HashMap<String, (String, String)>,
    /// The transaction-id fence, with the triggers.
    fence: Option<String>,
    /// A sync has completed once.
    synced: bool,
}

impl Stored {
    fn read(tx: &rusqlite::Transaction) -> Result<Stored, CatalogError> {
        let mut stmt =
            tx.prepare("SELECT source_table, changed_at, last_id FROM sync_watermarks")?;
        let watermarks = stmt
            .query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?
            .collect::<Result<_, _>>()?;
        let meta = |key: &str| -> Result<Option<String>, CatalogError> {
            Ok(tx
                .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                .optional()?)
        };
        Ok(Stored {
            watermarks,
            fence: meta("sync_xid_fence")?,
            synced: meta("sync_last_success")?.is_some(),
        })
    }
}

fn set_meta(
    tx: &rusqlite::Transaction,
    key: &str,
    value: Option<&str>,
) -> Result<(), CatalogError> {
    match value {
        Some(value) => tx.execute(
            "INSERT INTO meta(key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, value],
        )?,
        None => tx.execute("DELETE FROM meta WHERE key = ?1", [key])?,
    };
    Ok(())
}

/// A connection to the store's database and what the sync learnt about it. Connects lazily
/// and again after a failure.
pub struct Syncer {
    config: postgres::Config,
    target: String,
    settings: SyncSettings,
    client: Option<postgres::Client>,
    listening: bool,
    last_reconcile: Option<Instant>,
    triggers: bool,
}

impl Syncer {
    /// A syncer for `url`; nothing is connected yet.
    pub fn new(url: &str, settings: &SyncSettings) -> Result<Syncer, SyncError> {
        let config = source::parse_url(url)?;
        Ok(Syncer {
            target: source::describe(&config),
            config,
            settings: settings.clone(),
            client: None,
            listening: false,
            last_reconcile: None,
            triggers: false,
        })
    }

    /// `user@host:port/database`: what logs and `/health` may show.
    pub fn target(&self) -> &str {
        &self.target
    }

    fn client(&mut self) -> Result<&mut postgres::Client, SyncError> {
        if self.client.as_ref().is_none_or(postgres::Client::is_closed) {
            self.listening = false;
            self.client = Some(source::connect(&self.config, &self.settings)?);
        }
        Ok(self.client.as_mut().expect("connected above"))
    }

    /// Brings the replica up to date with the store; a reconcile when `reconcile` is set, on
    /// the first sync, when the triggers appeared or went, or when `reconcile_secs` passed.
    pub fn sync_once(
        &mut self,
        catalog: &Catalog,
        reconcile: bool,
    ) -> Result<SyncOutcome, SyncError> {
        let reconcile = reconcile
            || self
                .last_reconcile
                .is_none_or(|t| t.elapsed() >= Duration::from_secs(self.settings.reconcile_secs));
        let started = Instant::now();
        let settings = self.settings.clone();
        let target = self.target.clone();
        let result = self
            .client()
            .and_then(|client| read_and_apply(client, &target, catalog, &settings, reconcile));
        match result {
            Ok(mut outcome) => {
                if outcome.reconciled {
                    self.last_reconcile = Some(started);
                }
                if outcome.triggers
                    && !self.listening
                    && let Some(client) = self.client.as_mut()
                {
                    match client.batch_execute(&format!("LISTEN {}", source::CHANNEL)) {
                        Ok(()) => self.listening = true,
                        Err(e) => tracing::warn!(
                            error = %error_text(&e),
                            "LISTEN failed: the sync polls every interval"
                        ),
                    }
                }
                self.triggers = outcome.triggers;
                outcome.took_ms = started.elapsed().as_millis() as u64;
                Ok(outcome)
            }
            Err(e) => {
                // A broken connection is opened again by the next sync.
                if matches!(e, SyncError::Database { .. }) {
                    self.client = None;
                }
                Err(e)
            }
        }
    }

    /// Waits `timeout`, or less when the store's triggers notify a change or `stop` is set.
    /// Returns whether a notification woke it.
    pub fn wait(&mut self, timeout: Duration, stop: &AtomicBool) -> bool {
        let deadline = Instant::now() + timeout;
        let step = Duration::from_millis(250);
        while !stop.load(Ordering::Relaxed) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            let slice = left.min(step);
            match (self.listening, self.client.as_mut()) {
                (true, Some(client)) => match source::wait_for_notification(client, slice) {
                    Ok(true) => return true,
                    Ok(false) => {}
                    Err(e) => {
                        tracing::warn!(error = %error_text(&e), "lost the connection while waiting");
                        self.client = None;
                        self.listening = false;
                    }
                },
                _ => std::thread::sleep(slice),
            }
        }
        false
    }
}

/// Which of the store's tables exist; `Category` and `Product` must.
fn existing_tables(
    pg: &mut postgres::Transaction,
    names: &TableNames,
    target: &str,
) -> Result<HashSet<Table>, SyncError> {
    let db_error = |e| SyncError::Database {
        target: target.to_owned(),
        message: error_text(&e),
    };
    let mut found = HashSet::new();
    for table in Table::ALL {
        let quoted = names.quoted(table);
        let exists: bool = pg
            .query_one("SELECT to_regclass($1) IS NOT NULL", &[&quoted])
            .map_err(db_error)?
            .get(0);
        if exists {
            found.insert(table);
        } else if matches!(table, Table::Entity(Entity::Categories | Entity::Products)) {
            return Err(SyncError::MissingTable {
                target: target.to_owned(),
                table: quoted,
            });
        }
    }
    Ok(found)
}

/// Whether the triggers are installed: the tombstone table, and the `vivrXid` column on every
/// table read.
fn has_triggers(
    pg: &mut postgres::Transaction,
    names: &TableNames,
    tables: &HashSet<Table>,
) -> Result<bool, postgres::Error> {
    let tombstones: bool = pg
        .query_one("SELECT to_regclass('\"vivr_tombstone\"') IS NOT NULL", &[])?
        .get(0);
    if !tombstones {
        return Ok(false);
    }
    let wanted: Vec<String> = tables
        .iter()
        .map(|t| names.table_name(*t).to_owned())
        .collect();
    let with_xid: i64 = pg
        .query_one(
            "SELECT count(DISTINCT table_name) FROM information_schema.columns
              WHERE column_name = 'vivrXid' AND table_name = ANY($1)",
            &[&wanted],
        )?
        .get(0);
    Ok(with_xid as usize == wanted.len())
}

/// Reads the changes from the store and applies them to the replica.
fn read_and_apply(
    client: &mut postgres::Client,
    target: &str,
    catalog: &Catalog,
    settings: &SyncSettings,
    reconcile: bool,
) -> Result<SyncOutcome, SyncError> {
    let db_error = |e| SyncError::Database {
        target: target.to_owned(),
        message: error_text(&e),
    };
    let names = &settings.tables;
    let mut pg = client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .map_err(db_error)?;
    pg.batch_execute("SET LOCAL TIME ZONE 'UTC'")
        .map_err(db_error)?;
    let tables = existing_tables(&mut pg, names, target)?;
    let triggers = has_triggers(&mut pg, names, &tables).map_err(db_error)?;
    // Taken in this transaction's snapshot: every transaction below it has ended, and what
    // it wrote is visible to the reads that follow.
    let fence_now: Option<String> = match triggers {
        true => Some(
            pg.query_one("SELECT pg_snapshot_xmin(pg_current_snapshot())::text", &[])
                .map_err(db_error)?
                .get(0),
        ),
        false => None,
    };
    let mut missing_tables: Vec<String> = Table::ALL
        .iter()
        .filter(|t| !tables.contains(t))
        .map(|t| names.table_name(*t).to_owned())
        .collect();
    missing_tables.sort();

    let mut rows_read = 0u64;
    let (reconciled, report) = catalog.write_import(|im| -> Result<bool, SyncError> {
        let stored = Stored::read(im.tx())?;
        let reconcile = reconcile || !stored.synced || triggers != stored.fence.is_some();
        let mut reader = Reader {
            pg: &mut pg,
            target,
            names,
            page_rows: settings.page_rows as i64,
        };

        // With the triggers: tombstones, and the orders and carts whose items changed.
        let mut deletes: HashMap<Entity, Vec<RowKey>> = HashMap::new();
        let mut parents: HashMap<Entity, Vec<String>> = HashMap::new();
        if let (false, Some(fence)) = (reconcile, stored.fence.as_deref()) {
            reader.tombstones(fence, &tables, &mut deletes, &mut parents)?;
        }

        let mut errors = ErrorBook::open(im.tx())?;
        let mut watermarks: Vec<(Table, (String, String))> = Vec::new();
        let mut applied: HashMap<Entity, HashSet<RowKey>> = HashMap::new();
        for entity in Entity::ALL {
            let table = Table::Entity(entity);
            if !tables.contains(&table) {
                continue;
            }
            let pg_name = names.table_name(table).to_owned();
            let read = match (reconcile, stored.fence.as_deref()) {
                (true, _) => Read::All,
                (false, Some(_)) => Read::SinceXid,
                (false, None) => Read::SinceChange,
            };
            let start = match read {
                Read::SinceChange => stored
                    .watermarks
                    .get(table.key())
                    .map(|(at, _)| behind(at, settings.overlap_secs))
                    // A table never read (empty until now): from the beginning.
                    .unwrap_or_else(|| "-infinity".to_owned()),
                _ => String::new(),
            };
            let mut last: Option<(String, String)> = stored.watermarks.get(table.key()).cloned();
            let mut apply = |im: &mut Importer, page: &[Row]| -> Result<(), SyncError> {
                rows_read += page.len() as u64;
                for row in page {
                    if let Some(at) = &row.changed_at {
                        let mark = (at.clone(), row.id.clone());
                        if last.as_ref().is_none_or(|l| mark > *l) {
                            last = Some(mark);
                        }
                    }
                }
                let keys = applied.entry(entity).or_default();
                apply_page(im, entity, &pg_name, page, reconcile, &mut errors, keys)
            };
            reader.pages(table, read, stored.fence.as_deref(), &start, |page| {
                apply(im, page)
            })?;
            if let Some(ids) = parents.remove(&entity) {
                let page = reader.by_ids(table, &ids)?;
                apply(im, &page)?;
            }
            if let Some(last) = last {
                watermarks.push((table, last));
            }
        }

        // Deletes last, children first: a category goes once its products have.
        for entity in Entity::ALL.into_iter().rev() {
            if reconcile {
                if tables.contains(&Table::Entity(entity))
                    && let Some(note) = im.remove_absent(entity)?
                {
                    tracing::warn!(note, "reconcile held back");
                }
            } else if let Some(keys) = deletes.remove(&entity) {
                // A row deleted then written again is alive in this snapshot.
                let alive = applied.get(&entity);
                let keys: Vec<RowKey> = keys
                    .into_iter()
                    .filter(|k| alive.is_none_or(|a| !a.contains(k)))
                    .collect();
                let pg_name = names.table_name(Table::Entity(entity)).to_owned();
                im.delete(entity, &pg_name, &keys)?;
            }
        }

        let tx = im.tx();
        for (table, (at, id)) in watermarks {
            tx.execute(
                "INSERT INTO sync_watermarks (source_table, changed_at, last_id) VALUES (?1, ?2, ?3)
                 ON CONFLICT(source_table) DO UPDATE SET changed_at = excluded.changed_at,
                   last_id = excluded.last_id",
                [table.key(), at.as_str(), id.as_str()],
            )?;
        }
        set_meta(tx, "sync_xid_fence", fence_now.as_deref())?;
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        set_meta(tx, "sync_last_success", Some(&now))?;
        Ok(reconcile)
    })?;
    pg.commit().map_err(db_error)?;
    Ok(SyncOutcome {
        report,
        reconciled,
        triggers,
        rows_read,
        missing_tables,
        took_ms: 0,
    })
}

/// `at` (RFC 3339) minus `secs`, in the same format; `""` (everything) when unreadable.
fn behind(at: &str, secs: u64) -> String {
    chrono::DateTime::parse_from_rfc3339(at)
        .map(|t| {
            (t.with_timezone(&chrono::Utc) - chrono::Duration::seconds(secs as i64))
                .format("%Y-%m-%dT%H:%M:%S%.6fZ")
                .to_string()
        })
        .unwrap_or_else(|_| "-infinity".to_owned())
}

/// Pages of rows from the store.
struct Reader<'a, 'b> {
    pg: &'a mut postgres::Transaction<'b>,
    target: &'a str,
    names: &'a TableNames,
    page_rows: i64,
}

impl Reader<'_, '_> {
    fn db_error(&self) -> impl Fn(postgres::Error) -> SyncError + '_ {
        |e| SyncError::Database {
            target: self.target.to_owned(),
            message: error_text(&e),
        }
    }

    fn rows(rows: Vec<postgres::Row>) -> Vec<Row> {
        rows.into_iter()
            .map(|r| Row {
                id: r.get(0),
                changed_at: r.get(1),
                line: r.get(2),
            })
            .collect()
    }

    /// Reads `table` page by page (keyset, never OFFSET) and hands each page over.
    fn pages(
        &mut self,
        table: Table,
        read: Read,
        fence: Option<&str>,
        start: &str,
        mut each: impl FnMut(&[Row]) -> Result<(), SyncError>,
    ) -> Result<(), SyncError> {
        let sql = self.names.select(table, read);
        let statement = self.pg.prepare(&sql).map_err(self.db_error())?;
        let (mut last_at, mut last_id) = (start.to_owned(), String::new());
        let fence = fence.unwrap_or("0").to_owned();
        loop {
            let rows = match read {
                Read::All => self.pg.query(&statement, &[&last_id, &self.page_rows]),
                Read::SinceXid => self
                    .pg
                    .query(&statement, &[&fence, &last_id, &self.page_rows]),
                Read::SinceChange => self
                    .pg
                    .query(&statement, &[&last_at, &last_id, &self.page_rows]),
                Read::Ids => unreachable!("read by ids in by_ids"),
            }
            .map_err(self.db_error())?;
            let page = Self::rows(rows);
            let Some(tail) = page.last() else {
                return Ok(());
            };
            last_id = tail.id.clone();
            if let Some(at) = &tail.changed_at {
                last_at = at.clone();
            }
            let full = page.len() as i64 == self.page_rows;
            each(&page)?;
            if !full {
                return Ok(());
            }
        }
    }

    /// The rows of `table` with these ids.
    fn by_ids(&mut self, table: Table, ids: &[String]) -> Result<Vec<Row>, SyncError> {
        let sql = self.names.select(table, Read::Ids);
        let rows = self.pg.query(&sql, &[&ids]).map_err(self.db_error())?;
        Ok(Self::rows(rows))
    }

    /// The tombstones written at or past `fence`, as deletes, and the orders and carts whose
    /// items changed or went, as parents to read again.
    fn tombstones(
        &mut self,
        fence: &str,
        tables: &HashSet<Table>,
        deletes: &mut HashMap<Entity, Vec<RowKey>>,
        parents: &mut HashMap<Entity, Vec<String>>,
    ) -> Result<(), SyncError> {
        let rows = self
            .pg
            .query(
                "SELECT \"table\", \"key\"::text FROM \"vivr_tombstone\"
                  WHERE \"vivrXid\" >= $1::text::xid8 ORDER BY seq",
                &[&fence],
            )
            .map_err(self.db_error())?;
        for row in rows {
            let (name, key): (String, String) = (row.get(0), row.get(1));
            let Ok(serde_json::Value::Object(key)) = serde_json::from_str(&key) else {
                continue;
            };
            let parent = |field: &str| key.get(field).and_then(|v| v.as_str()).map(str::to_owned);
            match self.names.by_tombstone_name(&name) {
                Some(Table::Entity(entity)) => {
                    if let Some(k) = crate::catalog::row_key(entity, &key) {
                        deletes.entry(entity).or_default().push(k);
                    }
                }
                Some(Table::OrderItems) => parents
                    .entry(Entity::Orders)
                    .or_default()
                    .extend(parent("orderId")),
                Some(Table::CartItems) => parents
                    .entry(Entity::Carts)
                    .or_default()
                    .extend(parent("cartId")),
                None => {}
            }
        }
        for (items, entity) in [
            (Table::OrderItems, Entity::Orders),
            (Table::CartItems, Entity::Carts),
        ] {
            if !tables.contains(&items) {
                continue;
            }
            let mut found = Vec::new();
            self.pages(items, Read::SinceXid, Some(fence), "", |page| {
                for row in page {
                    if let Ok(serde_json::Value::Object(line)) = serde_json::from_str(&row.line)
                        && let Some(id) = line.get("parent").and_then(|v| v.as_str())
                    {
                        found.push(id.to_owned());
                    }
                }
                Ok(())
            })?;
            parents.entry(entity).or_default().extend(found);
        }
        for ids in parents.values_mut() {
            ids.sort();
            ids.dedup();
        }
        Ok(())
    }
}

/// Applies one page of rows; records each rejected row in `sync_errors` and clears the
/// errors of rows that now apply.
fn apply_page(
    im: &mut Importer,
    entity: Entity,
    pg_name: &str,
    page: &[Row],
    track: bool,
    errors: &mut ErrorBook,
    applied: &mut HashSet<RowKey>,
) -> Result<(), SyncError> {
    let before = im.report().rejects.len();
    let lines = Box::new(
        page.iter()
            .enumerate()
            .map(|(i, row)| (i + 1, Ok(row.line.clone()))),
    );
    im.apply(entity, pg_name, lines, track)?;
    let rejected: HashMap<usize, String> = im.report().rejects[before..]
        .iter()
        .filter(|r| r.file == pg_name)
        .map(|r| (r.line, r.reason.clone()))
        .collect();
    for (i, row) in page.iter().enumerate() {
        match rejected.get(&(i + 1)) {
            Some(reason) => errors.failed(im.tx(), pg_name, &row.id, reason)?,
            None => {
                errors.applied(im.tx(), pg_name, &row.id)?;
                let key = match entity {
                    Entity::Wishlists => match serde_json::from_str(&row.line) {
                        Ok(serde_json::Value::Object(map)) => crate::catalog::row_key(entity, &map),
                        _ => None,
                    },
                    _ => Some(row.id.clone()),
                };
                applied.extend(key);
            }
        }
    }
    Ok(())
}

/// The `sync_errors` table: a row that failed is recorded with its reason; once it applies,
/// its error goes.
struct ErrorBook {
    /// Tables that had errors when the sync began (the others have nothing to clear).
    with_errors: HashSet<String>,
    now: String,
}

impl ErrorBook {
    fn open(tx: &rusqlite::Transaction) -> Result<ErrorBook, CatalogError> {
        let mut stmt = tx.prepare("SELECT DISTINCT source_table FROM sync_errors")?;
        let with_errors = stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(ErrorBook {
            with_errors,
            now: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        })
    }

    fn failed(
        &mut self,
        tx: &rusqlite::Transaction,
        table: &str,
        id: &str,
        reason: &str,
    ) -> Result<(), CatalogError> {
        tx.prepare_cached(
            "INSERT INTO sync_errors (source_table, row_id, reason, first_seen, last_seen)
             VALUES (?1, ?2, ?3, ?4, ?4)
             ON CONFLICT(source_table, row_id) DO UPDATE SET reason = excluded.reason,
               last_seen = excluded.last_seen",
        )?
        .execute([table, id, reason, self.now.as_str()])?;
        self.with_errors.insert(table.to_owned());
        Ok(())
    }

    fn applied(
        &mut self,
        tx: &rusqlite::Transaction,
        table: &str,
        id: &str,
    ) -> Result<(), CatalogError> {
        if self.with_errors.contains(table) {
            tx.prepare_cached("DELETE FROM sync_errors WHERE source_table = ?1 AND row_id = ?2")?
                .execute([table, id])?;
        }
        Ok(())
    }
}

/// One row the sync could not apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncRowError {
    /// The store's table.
    pub table: String,
    /// The row's id.
    pub id: String,
    /// Why it was rejected (the import's reason).
    pub reason: String,
    /// When it was first and last seen (RFC 3339).
    pub first_seen: String,
    /// The last sync that read it.
    pub last_seen: String,
}

/// What the replica says of the sync: for `vivr-search sync --status` and `/health`.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncState {
    /// The last sync that completed (RFC 3339).
    pub last_success: Option<String>,
    /// The transaction-id fence, when the store has the triggers.
    pub xid_fence: Option<String>,
    /// Per table: the last change read and its id.
    pub watermarks: BTreeMap<String, (String, String)>,
    /// The rows that could not be applied, at most 100, oldest first.
    pub errors: Vec<SyncRowError>,
    /// How many rows could not be applied.
    pub error_count: u64,
}

impl Catalog {
    /// The sync's bookkeeping in the replica.
    pub fn sync_state(&self) -> Result<SyncState, CatalogError> {
        self.read(|conn| {
            let meta = |key: &str| -> Result<Option<String>, rusqlite::Error> {
                conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                    .optional()
            };
            let mut stmt =
                conn.prepare("SELECT source_table, changed_at, last_id FROM sync_watermarks")?;
            let watermarks = stmt
                .query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?
                .collect::<Result<_, _>>()?;
            let mut stmt = conn.prepare(
                "SELECT source_table, row_id, reason, first_seen, last_seen FROM sync_errors
                  ORDER BY first_seen, source_table, row_id LIMIT 100",
            )?;
            let errors = stmt
                .query_map([], |r| {
                    Ok(SyncRowError {
                        table: r.get(0)?,
                        id: r.get(1)?,
                        reason: r.get(2)?,
                        first_seen: r.get(3)?,
                        last_seen: r.get(4)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
            let error_count: i64 =
                conn.query_row("SELECT count(*) FROM sync_errors", [], |r| r.get(0))?;
            Ok(SyncState {
                last_success: meta("sync_last_success")?,
                xid_fence: meta("sync_xid_fence")?,
                watermarks,
                errors,
                error_count: error_count as u64,
            })
        })
    }
}

/// What the watcher is doing, shared with `/health` and `/metrics`.
#[derive(Debug, Default)]
pub struct SyncStatus {
    inner: Mutex<StatusInner>,
}

#[derive(Debug, Default, Clone)]
struct StatusInner {
    target: String,
    degraded: Option<String>,
    started: bool,
    triggers: bool,
    last_success: Option<SystemTime>,
    pending_since: Option<SystemTime>,
    failures_total: u64,
    consecutive_failures: u32,
    rows_applied: BTreeMap<&'static str, u64>,
    rejected_total: u64,
    publishes: u64,
    last_reconcile_ms: Option<u64>,
}

/// A copy of the watcher's status.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncStatusReport {
    /// `user@host:port/database`.
    pub source: String,
    /// `starting` (no sync has completed), `ok` or `degraded`.
    pub status: &'static str,
    /// Why it is degraded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The store has the triggers.
    pub triggers: bool,
    /// The last successful sync (RFC 3339).
    pub last_success: Option<String>,
    /// Seconds since the last successful sync.
    pub last_success_unix: Option<i64>,
    /// Age of the oldest change applied to the replica and not yet searchable, in seconds.
    pub lag_seconds: f64,
    /// Failed syncs since start.
    pub failures_total: u64,
    /// Failed syncs in a row (the backoff grows with them).
    pub consecutive_failures: u32,
    /// Rows inserted, updated or deleted per entity since start.
    pub rows_applied: BTreeMap<&'static str, u64>,
    /// Rows rejected since start (a row rejected again at each read counts each time).
    pub rejected_total: u64,
    /// Generations published since start.
    pub publishes: u64,
    /// Time of the last reconcile, in milliseconds.
    pub last_reconcile_ms: Option<u64>,
}

impl SyncStatus {
    /// A status for the watcher of `target`.
    pub fn new(target: &str) -> SyncStatus {
        let status = SyncStatus::default();
        status.lock().target = target.to_owned();
        status
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, StatusInner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A copy of the status now.
    pub fn report(&self) -> SyncStatusReport {
        let s = self.lock().clone();
        let unix = |t: SystemTime| {
            t.duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        };
        SyncStatusReport {
            source: s.target,
            status: match (&s.degraded, s.started) {
                (Some(_), _) => "degraded",
                (None, false) => "starting",
                (None, true) => "ok",
            },
            reason: s.degraded,
            triggers: s.triggers,
            last_success: s.last_success.map(|t| {
                chrono::DateTime::<chrono::Utc>::from(t)
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            }),
            last_success_unix: s.last_success.map(unix),
            lag_seconds: s
                .pending_since
                .and_then(|t| t.elapsed().ok())
                .map_or(0.0, |d| d.as_secs_f64()),
            failures_total: s.failures_total,
            consecutive_failures: s.consecutive_failures,
            rows_applied: s.rows_applied,
            rejected_total: s.rejected_total,
            publishes: s.publishes,
            last_reconcile_ms: s.last_reconcile_ms,
        }
    }

    fn synced(&self, outcome: &SyncOutcome) {
        let mut s = self.lock();
        s.started = true;
        s.degraded = None;
        s.consecutive_failures = 0;
        s.triggers = outcome.triggers;
        s.last_success = Some(SystemTime::now());
        for entity in Entity::ALL {
            let c = outcome.report.counts(entity);
            *s.rows_applied.entry(entity.key()).or_default() += c.inserted + c.updated + c.deleted;
            s.rejected_total += c.rejected;
        }
        if outcome.reconciled {
            s.last_reconcile_ms = Some(outcome.took_ms);
        }
        if outcome.report.changed() && s.pending_since.is_none() {
            s.pending_since = Some(SystemTime::now());
        }
    }

    fn published(&self) {
        let mut s = self.lock();
        s.pending_since = None;
        s.publishes += 1;
    }

    fn caught_up(&self) {
        self.lock().pending_since = None;
    }

    fn failed(&self, error: &SyncError) {
        let mut s = self.lock();
        s.degraded = Some(error.to_string());
        s.failures_total += 1;
        s.consecutive_failures += 1;
    }

    /// The backoff before the next try: the interval, doubled per failure in a row, at most a
    /// minute.
    fn next_wait(&self, interval: Duration) -> Duration {
        let failures = self.lock().consecutive_failures;
        match failures {
            0 => interval,
            n => (interval * 2u32.saturating_pow(n - 1).min(64)).min(Duration::from_secs(60)),
        }
    }
}

/// Where a sync publishes.
pub struct Publisher<'a> {
    /// The replica.
    pub catalog: &'a Catalog,
    /// The folder of generations.
    pub index_dir: &'a std::path::Path,
    /// The embedding model, when there is one.
    pub embedder: Option<&'a dyn Embedder>,
    /// How to build a generation.
    pub options: ReindexOptions<'a>,
}

/// What one cycle did: the sync, and the generation published after it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CycleOutcome {
    /// The sync.
    pub sync: SyncOutcome,
    /// The generation made live, when the replica was ahead of the live one.
    pub published: Option<u64>,
}

/// One sync then, when the replica is ahead of the live generation, a new generation: built
/// from the live one when this sync's changes are all it lacks ([`search::publish_changes`]),
/// whole when an earlier change is missing too (its publish failed or was killed). The index
/// folder's write lock is held throughout: a reindex running meanwhile fails this cycle, which
/// the next one retries.
pub fn cycle(
    syncer: &mut Syncer,
    publisher: &Publisher,
    reconcile: bool,
) -> Result<CycleOutcome, SyncError> {
    let lock = index::lock_for_writing(publisher.index_dir)?;
    let before = publisher.catalog.watermark()?.import_seq;
    let sync = syncer.sync_once(publisher.catalog, reconcile)?;
    let replica = publisher.catalog.watermark()?.import_seq;
    let live = index::live_manifest(publisher.index_dir)
        .ok()
        .map(|m| m.catalog.import_seq);
    let (catalog, dir, embedder, options) = (
        publisher.catalog,
        publisher.index_dir,
        publisher.embedder,
        &publisher.options,
    );
    let published = if live == Some(replica) {
        None
    } else if live == Some(before) {
        // The live generation was the replica's state before this sync: this sync's changes
        // are all it lacks.
        let touched = &sync.report.touched;
        Some(search::publish_changes(catalog, dir, embedder, options, &lock, touched)?.generation)
    } else {
        Some(search::rebuild(catalog, dir, embedder, options, &lock)?.generation)
    };
    Ok(CycleOutcome { sync, published })
}

/// Syncs every `interval_ms` (at once when the store's triggers notify), publishing each
/// change, until `stop` is set. A failure (database down, wrong credentials, a reindex holding
/// the lock) leaves the live generation serving, marks the status degraded with the reason,
/// and is retried with a growing backoff; the sync recovers by itself.
pub fn watch(
    syncer: &mut Syncer,
    publisher: &Publisher,
    status: &SyncStatus,
    stop: &AtomicBool,
    on_publish: &dyn Fn(u64),
) {
    let interval = Duration::from_millis(syncer.settings.interval_ms);
    while !stop.load(Ordering::Relaxed) {
        let outcome = cycle(syncer, publisher, false);
        match &outcome {
            Ok(done) => {
                status.synced(&done.sync);
                match done.published {
                    Some(generation) => {
                        status.published();
                        on_publish(generation);
                        tracing::info!(
                            generation,
                            rows = done.sync.rows_read,
                            took_ms = done.sync.took_ms,
                            "{}",
                            done.sync.report.summary()
                        );
                    }
                    None => status.caught_up(),
                }
            }
            Err(e) => {
                status.failed(e);
                tracing::warn!(source = %syncer.target(), error = %e, "sync failed; still serving the live generation");
            }
        }
        let wait = status.next_wait(interval);
        syncer.wait(wait, stop);
    }
}
