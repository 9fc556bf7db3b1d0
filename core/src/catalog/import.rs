//! Import of an export folder (`catalog-format.md`) into the replica.
//!
//! Invariants:
//! - one transaction for the whole import: a crash or `--strict` failure changes nothing;
//! - a bad line is rejected with file, line and reason, every good line is still imported;
//! - an upsert whose canonical JSON hashes the same as the stored row changes nothing, so a
//!   re-import of the same export is a no-op;
//! - `--full` removes products absent from the export, but never when a product line could not
//!   even be read (its id is unknown, so its absence proves nothing).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;
use serde_json::Value;

use super::CatalogError;
use super::validate::{Line, Reason, check_attributes};
use crate::progress::Progress;

/// How to import.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    /// Treat the export as a complete snapshot: products absent from it are removed.
    pub full: bool,
    /// Reject the whole import when any line is rejected.
    pub strict: bool,
}

/// What happened to the lines of one file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FileCounts {
    /// New rows.
    pub inserted: u64,
    /// Rows whose content changed.
    pub updated: u64,
    /// Rows already stored as exported.
    pub unchanged: u64,
    /// Rows removed (tombstones, `--full`).
    pub deleted: u64,
    /// Lines rejected.
    pub rejected: u64,
}

impl FileCounts {
    fn record(&mut self, outcome: &Outcome) {
        match outcome {
            Outcome::Inserted => self.inserted += 1,
            Outcome::Updated => self.updated += 1,
            Outcome::Unchanged => self.unchanged += 1,
        }
    }
}

/// One rejected line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reject {
    /// File name within the export folder.
    pub file: String,
    /// 1-based line number.
    pub line: usize,
    /// Why the line was rejected.
    pub reason: String,
}

/// What an import changed that a generation reads: enough to build the next generation from
/// the previous one when only some products changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Touched {
    /// Products written or deleted, and those whose reviews (rating) or orders (popularity)
    /// changed.
    pub products: BTreeSet<String>,
    /// A category was written or deleted: the generation's category ordinals may move.
    pub categories: bool,
    /// Orders were written or deleted: the signals are learnt from them.
    pub orders: bool,
    /// Products appeared, went or changed category: the signals read products' categories.
    pub shape: bool,
}

/// The outcome of an import.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    /// categories.ndjson
    pub categories: FileCounts,
    /// products.ndjson
    pub products: FileCounts,
    /// reviews.ndjson
    pub reviews: FileCounts,
    /// orders.ndjson
    pub orders: FileCounts,
    /// wishlists.ndjson
    pub wishlists: FileCounts,
    /// users.ndjson
    pub users: FileCounts,
    /// carts.ndjson
    pub carts: FileCounts,
    /// Every rejected line, in file order.
    pub rejects: Vec<Reject>,
    /// Whether the import was committed (false under `--strict` with rejects).
    pub committed: bool,
    /// Why `--full` removed nothing, when it had to hold back.
    pub full_skipped: Option<String>,
    /// What changed for the index.
    #[serde(skip)]
    pub touched: Touched,
}

impl ImportReport {
    /// The counts of one entity.
    pub fn counts(&self, entity: Entity) -> &FileCounts {
        match entity {
            Entity::Categories => &self.categories,
            Entity::Products => &self.products,
            Entity::Reviews => &self.reviews,
            Entity::Orders => &self.orders,
            Entity::Wishlists => &self.wishlists,
            Entity::Users => &self.users,
            Entity::Carts => &self.carts,
        }
    }

    /// One line for humans.
    pub fn summary(&self) -> String {
        let f = |name: &str, c: &FileCounts| {
            format!(
                "{name} +{} ~{} ={} -{} !{}",
                c.inserted, c.updated, c.unchanged, c.deleted, c.rejected
            )
        };
        format!(
            "import {}: {}; {}; {}; {}; {}; {}; {} (+new ~updated =unchanged -removed !rejected)",
            if self.committed {
                "committed"
            } else {
                "rolled back"
            },
            f("categories", &self.categories),
            f("products", &self.products),
            f("reviews", &self.reviews),
            f("orders", &self.orders),
            f("wishlists", &self.wishlists),
            f("users", &self.users),
            f("carts", &self.carts),
        )
    }

    /// Whether the import changed anything.
    pub fn changed(&self) -> bool {
        [
            &self.categories,
            &self.products,
            &self.reviews,
            &self.orders,
            &self.wishlists,
            &self.users,
            &self.carts,
        ]
        .iter()
        .any(|c| c.inserted + c.updated + c.deleted > 0)
    }
}

/// The entities of the export contract, in the order an import applies them: categories
/// before the products that name them, products before reviews, orders before carts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Entity {
    /// categories.ndjson
    Categories,
    /// products.ndjson
    Products,
    /// reviews.ndjson
    Reviews,
    /// orders.ndjson (items embedded)
    Orders,
    /// wishlists.ndjson
    Wishlists,
    /// users.ndjson
    Users,
    /// carts.ndjson (items embedded): after orders, since a cart's orderId must name one.
    Carts,
}

impl Entity {
    /// Every entity, in import order.
    pub const ALL: [Entity; 7] = [
        Entity::Categories,
        Entity::Products,
        Entity::Reviews,
        Entity::Orders,
        Entity::Wishlists,
        Entity::Users,
        Entity::Carts,
    ];

    /// The plural name: the report's field, the sync's configuration key.
    pub fn key(self) -> &'static str {
        match self {
            Entity::Categories => "categories",
            Entity::Products => "products",
            Entity::Reviews => "reviews",
            Entity::Orders => "orders",
            Entity::Wishlists => "wishlists",
            Entity::Users => "users",
            Entity::Carts => "carts",
        }
    }

    /// The export file.
    pub fn file(self) -> String {
        format!("{}.ndjson", self.key())
    }

    /// The replica's table.
    fn table(self) -> &'static str {
        self.key()
    }

    /// The fields of a line that identify its row: `id`, or a wishlist's user and product.
    pub fn key_fields(self) -> &'static [&'static str] {
        match self {
            Entity::Wishlists => &["userId", "productId"],
            _ => &["id"],
        }
    }

    fn counts(self, report: &mut ImportReport) -> &mut FileCounts {
        match self {
            Entity::Categories => &mut report.categories,
            Entity::Products => &mut report.products,
            Entity::Reviews => &mut report.reviews,
            Entity::Orders => &mut report.orders,
            Entity::Wishlists => &mut report.wishlists,
            Entity::Users => &mut report.users,
            Entity::Carts => &mut report.carts,
        }
    }
}

/// A row's identity: its id, or for a wishlist its user and product ids, joined by a unit
/// separator (which no id holds).
pub type RowKey = String;

/// The key of a line's JSON object, when its key fields are strings.
pub(crate) fn row_key(entity: Entity, object: &serde_json::Map<String, Value>) -> Option<RowKey> {
    let parts: Option<Vec<&str>> = entity
        .key_fields()
        .iter()
        .map(|f| object.get(*f).and_then(Value::as_str))
        .collect();
    parts.map(|p| p.join("\u{1f}"))
}

/// Numbered lines of one entity: each its text, or why it could not be read.
pub(crate) type Lines<'a> = Box<dyn Iterator<Item = (usize, Result<String, Reason>)> + 'a>;

/// Reads an NDJSON file line by line: `(line number, text or reason)`, skipping blank lines.
fn ndjson_lines(path: &Path) -> Result<Lines<'static>, CatalogError> {
    let file = File::open(path).map_err(|source| CatalogError::Io {
        path: path.to_owned(),
        source,
    })?;
    let path = path.to_owned();
    Ok(Box::new(
        BufReader::new(file)
            .split(b'\n')
            .enumerate()
            .filter_map(move |(i, bytes)| {
                let line = match bytes {
                    Err(e) => Err(format!("read error in {}: {e}", path.display())),
                    Ok(bytes) => {
                        String::from_utf8(bytes).map_err(|_| "line is not valid UTF-8".to_owned())
                    }
                };
                match line {
                    Ok(text) if text.trim().is_empty() => None,
                    other => Some((i + 1, other)),
                }
            }),
    ))
}

/// One write to the replica, in one transaction: entities' lines applied through the same
/// validation and upserts whatever their source (an export folder, the storefront's database),
/// deletes, then [`Importer::finish`] recomputes ratings and raises the import sequence when
/// anything changed.
pub(crate) struct Importer<'a> {
    tx: Transaction<'a>,
    seq: i64,
    report: ImportReport,
    /// The keys seen per entity, for [`Importer::remove_absent`]; `None` for an unreadable line.
    seen: HashMap<Entity, (HashSet<RowKey>, usize)>,
}

impl<'a> Importer<'a> {
    /// Opens the transaction.
    pub(crate) fn begin(conn: &'a mut Connection) -> Result<Importer<'a>, CatalogError> {
        let tx = conn.transaction()?;
        let seq: i64 = tx
            .query_row("SELECT value FROM meta WHERE key = 'import_seq'", [], |r| {
                r.get::<_, String>(0)
            })
            .optional()?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
            + 1;
        Ok(Importer {
            tx,
            seq,
            report: ImportReport::default(),
            seen: HashMap::new(),
        })
    }

    /// The transaction, for the caller's own bookkeeping in the same commit.
    pub(crate) fn tx(&self) -> &Transaction<'a> {
        &self.tx
    }

    /// The report so far.
    pub(crate) fn report(&self) -> &ImportReport {
        &self.report
    }

    fn reject(&mut self, file: &str, line: usize, reason: Reason) {
        self.report.rejects.push(Reject {
            file: file.to_owned(),
            line,
            reason,
        });
    }

    /// Applies lines of `entity`; a bad line is rejected under `source` (a file or a table
    /// name) and its line number, and the others apply. `track` records the keys seen for
    /// [`Importer::remove_absent`].
    pub(crate) fn apply(
        &mut self,
        entity: Entity,
        source: &str,
        lines: Lines<'_>,
        track: bool,
    ) -> Result<(), CatalogError> {
        // The keys seen are taken out while the lines borrow them, and put back after.
        let mut seen = track.then(|| self.seen.remove(&entity).unwrap_or_default());
        let lines: Lines<'_> = match seen.as_mut() {
            Some(seen) => Box::new(lines.inspect(move |(_, text)| {
                let key = text
                    .as_ref()
                    .ok()
                    .and_then(|t| match serde_json::from_str(t) {
                        Ok(Value::Object(map)) => row_key(entity, &map),
                        _ => None,
                    });
                match key {
                    Some(key) => {
                        seen.0.insert(key);
                    }
                    None => seen.1 += 1,
                }
            })),
            None => lines,
        };
        let result = match entity {
            Entity::Categories => import_categories(self, source, lines),
            Entity::Products => import_products(self, source, lines),
            Entity::Reviews => import_reviews(self, source, lines),
            Entity::Orders => import_orders(self, source, lines),
            Entity::Wishlists => import_wishlists(self, source, lines),
            Entity::Users => import_users(self, source, lines),
            Entity::Carts => import_carts(self, source, lines),
        };
        if let Some(seen) = seen {
            self.seen.insert(entity, seen);
        }
        result
    }

    /// Deletes the rows of `entity` with these keys (the source's tombstones). A category
    /// that products or other categories still name stays, reported under `source`.
    pub(crate) fn delete(
        &mut self,
        entity: Entity,
        source: &str,
        keys: &[RowKey],
    ) -> Result<(), CatalogError> {
        for key in keys {
            let n = match entity {
                Entity::Wishlists => {
                    let (user, product) = key.split_once('\u{1f}').unwrap_or((key, ""));
                    self.tx
                        .prepare_cached(
                            "DELETE FROM wishlists WHERE user_id = ?1 AND product_id = ?2",
                        )?
                        .execute([user, product])?
                }
                Entity::Categories => {
                    let n = self
                        .tx
                        .prepare_cached(DELETE_UNUSED_CATEGORY)?
                        .execute([key])?;
                    if n == 0 && category_exists(&self.tx, key)? {
                        self.reject(
                            source,
                            0,
                            format!("id: category {key:?} was deleted at the source but products or categories still name it; it stays"),
                        );
                    }
                    n
                }
                _ => {
                    self.touch_before_delete(entity, &[key.as_str()])?;
                    self.tx
                        .prepare_cached(&format!("DELETE FROM {} WHERE id = ?1", entity.table()))?
                        .execute([key])?
                }
            };
            if n > 0 && entity == Entity::Categories {
                self.report.touched.categories = true;
            }
            entity.counts(&mut self.report).deleted += n as u64;
        }
        Ok(())
    }

    /// Removes the rows of `entity` whose keys no line applied since [`Importer::begin`] named
    /// (`--full`, the sync's reconcile); nothing when a line's key could not be read, since its
    /// absence then proves nothing. Returns why it held back.
    pub(crate) fn remove_absent(&mut self, entity: Entity) -> Result<Option<String>, CatalogError> {
        let (seen, unreadable) = self.seen.remove(&entity).unwrap_or_default();
        if unreadable > 0 {
            return Ok(Some(format!(
                "{} removed nothing: {unreadable} line(s) had no readable {}",
                entity.key(),
                entity.key_fields().join(" and ")
            )));
        }
        self.tx.execute_batch(
            "CREATE TEMP TABLE IF NOT EXISTS import_seen (key TEXT PRIMARY KEY);
             DELETE FROM temp.import_seen;",
        )?;
        {
            let mut insert = self
                .tx
                .prepare("INSERT OR IGNORE INTO temp.import_seen (key) VALUES (?1)")?;
            for key in &seen {
                insert.execute([key])?;
            }
        }
        let n = match entity {
            Entity::Wishlists => self.tx.execute(
                "DELETE FROM wishlists WHERE user_id || char(31) || product_id
                   NOT IN (SELECT key FROM temp.import_seen)",
                [],
            )?,
            Entity::Categories => self.tx.execute(
                "DELETE FROM categories WHERE id NOT IN (SELECT key FROM temp.import_seen)
                   AND id NOT IN (SELECT category_id FROM products)
                   AND id NOT IN (SELECT parent_id FROM categories WHERE parent_id IS NOT NULL)",
                [],
            )?,
            _ => {
                let absent: Vec<String> = self
                    .tx
                    .prepare(&format!(
                        "SELECT id FROM {} WHERE id NOT IN (SELECT key FROM temp.import_seen)",
                        entity.table()
                    ))?
                    .query_map([], |r| r.get(0))?
                    .collect::<Result<_, _>>()?;
                let absent: Vec<&str> = absent.iter().map(String::as_str).collect();
                self.touch_before_delete(entity, &absent)?;
                self.tx.execute(
                    &format!(
                        "DELETE FROM {} WHERE id NOT IN (SELECT key FROM temp.import_seen)",
                        entity.table()
                    ),
                    [],
                )?
            }
        };
        if n > 0 && entity == Entity::Categories {
            self.report.touched.categories = true;
        }
        entity.counts(&mut self.report).deleted += n as u64;
        Ok(None)
    }

    /// Records what deleting these rows of `entity` changes for the index.
    fn touch_before_delete(&mut self, entity: Entity, ids: &[&str]) -> Result<(), CatalogError> {
        let touched = &mut self.report.touched;
        for &id in ids {
            match entity {
                Entity::Products if product_exists(&self.tx, id)? => {
                    touched.shape = true;
                    touched.products.insert(id.to_owned());
                }
                Entity::Reviews => touched.products.extend(
                    self.tx
                        .prepare_cached("SELECT product_id FROM reviews WHERE id = ?1")?
                        .query_row([id], |r| r.get::<_, String>(0))
                        .optional()?,
                ),
                Entity::Orders => {
                    let products = order_products(&self.tx, id)?;
                    touched.orders |= category_or_order_exists(&self.tx, "orders", id)?;
                    touched.products.extend(products);
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Recomputes ratings, raises the import sequence when anything changed, and commits
    /// (rolls back under `strict` with rejects).
    pub(crate) fn finish(self, strict: bool) -> Result<ImportReport, CatalogError> {
        refresh_ratings(&self.tx)?;
        let Importer {
            tx,
            mut report,
            seq,
            ..
        } = self;
        let order = |file: &str| Entity::ALL.iter().position(|e| e.file() == file);
        report.rejects.sort_by_key(|r| (order(&r.file), r.line));
        if strict && !report.rejects.is_empty() {
            tx.rollback()?;
            report.committed = false;
            return Ok(report);
        }
        if report.changed() {
            tx.execute(
                "INSERT INTO meta(key, value) VALUES ('import_seq', ?1)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [seq.to_string()],
            )?;
        }
        tx.commit()?;
        report.committed = true;
        Ok(report)
    }
}

/// Deletes a category that no product and no category names.
const DELETE_UNUSED_CATEGORY: &str = "DELETE FROM categories WHERE id = ?1
    AND NOT EXISTS (SELECT 1 FROM products WHERE category_id = ?1)
    AND NOT EXISTS (SELECT 1 FROM categories WHERE parent_id = ?1)";

fn category_exists(tx: &Transaction, id: &str) -> Result<bool, CatalogError> {
    category_or_order_exists(tx, "categories", id)
}

fn category_or_order_exists(
    tx: &Transaction,
    table: &'static str,
    id: &str,
) -> Result<bool, CatalogError> {
    Ok(tx
        .prepare_cached(&format!("SELECT 1 FROM {table} WHERE id = ?1"))?
        .query_row([id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// The products of an order's stored lines.
fn order_products(tx: &Transaction, order: &str) -> Result<Vec<String>, CatalogError> {
    Ok(tx
        .prepare_cached(
            "SELECT DISTINCT product_id FROM order_items WHERE order_id = ?1 AND product_id != ''",
        )?
        .query_map([order], |r| r.get(0))?
        .collect::<Result<_, _>>()?)
}

/// Imports `dir` into the replica behind `conn`.
pub(crate) fn import(
    conn: &mut Connection,
    dir: &Path,
    options: ImportOptions,
) -> Result<ImportReport, CatalogError> {
    for required in [Entity::Categories, Entity::Products] {
        if !dir.join(required.file()).is_file() {
            return Err(CatalogError::MissingExportFile(dir.join(required.file())));
        }
    }
    let mut importer = Importer::begin(conn)?;
    for entity in Entity::ALL {
        let path = dir.join(entity.file());
        if path.is_file() {
            let full = options.full && entity == Entity::Products;
            importer.apply(entity, &entity.file(), ndjson_lines(&path)?, full)?;
            if full && let Some(note) = importer.remove_absent(entity)? {
                importer.report.full_skipped = Some(format!("--full: {note}"));
            }
        }
    }
    importer.finish(options.strict)
}

struct CategoryRow {
    line: usize,
    id: String,
    slug: String,
    name: String,
    parent_id: Option<String>,
    description: Option<String>,
    extra: String,
    hash: i64,
}

fn parse_category(text: &str, line: usize) -> Result<CategoryRow, Reason> {
    let mut l = Line::parse(text)?;
    let hash = l.hash();
    let id = l.string("id")?;
    let slug = l.string("slug")?;
    if !slug
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(format!("slug: {slug:?} must match [a-z0-9-]+"));
    }
    let name = l.name("name")?;
    let parent_id = l.opt_string("parentId")?;
    if parent_id.as_deref() == Some(id.as_str()) {
        return Err("parentId: a category cannot be its own parent".to_owned());
    }
    let description = l.opt_string("description")?;
    Ok(CategoryRow {
        line,
        id,
        slug,
        name,
        parent_id,
        description,
        extra: l.rest(),
        hash,
    })
}

fn import_categories(im: &mut Importer, source: &str, lines: Lines) -> Result<(), CatalogError> {
    // Categories are few: read them all, so a child may come before its parent.
    let mut rows = read_categories(im, source, lines)?;
    let stored: HashMap<String, Option<String>> = {
        let mut stmt = im.tx.prepare("SELECT id, parent_id FROM categories")?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?
    };
    reject_dangling_parents(im, source, &mut rows, &stored);
    let mut rejects = reject_cycles(&mut rows, &stored);
    rows.sort_by_key(|r| r.line);
    for row in rows {
        if let Some(reason) = write_category(im, &row)? {
            rejects.push((row.line, reason));
        }
    }
    for (line, reason) in rejects {
        im.report.categories.rejected += 1;
        im.reject(source, line, reason);
    }
    Ok(())
}

/// The readable category lines; a repeated id or a slug used by another id is rejected.
fn read_categories(
    im: &mut Importer,
    source: &str,
    lines: Lines,
) -> Result<Vec<CategoryRow>, CatalogError> {
    let mut rows: Vec<CategoryRow> = Vec::new();
    let mut slug_owner: HashMap<String, (String, usize)> = HashMap::new();
    for (line, text) in lines {
        let row = text.and_then(|t| parse_category(&t, line)).and_then(|row| {
            if let Some(first) = rows.iter().find(|r| r.id == row.id) {
                return Err(format!(
                    "id: {:?} is already on line {} of this export (the first line is kept)",
                    row.id, first.line
                ));
            }
            match slug_owner.get(&row.slug) {
                Some((owner, at)) if *owner != row.id => Err(format!(
                    "slug: {:?} is already used by category {owner:?} on line {at}",
                    row.slug
                )),
                _ => Ok(row),
            }
        });
        match row {
            Ok(row) => {
                slug_owner.insert(row.slug.clone(), (row.id.clone(), line));
                rows.push(row);
            }
            Err(reason) => {
                im.report.categories.rejected += 1;
                im.reject(source, line, reason);
            }
        }
    }
    Ok(rows)
}

/// Rejects, until nothing changes, every row whose parent is neither stored nor accepted.
fn reject_dangling_parents(
    im: &mut Importer,
    source: &str,
    rows: &mut Vec<CategoryRow>,
    stored: &HashMap<String, Option<String>>,
) {
    loop {
        let known: HashSet<&str> = stored
            .keys()
            .map(String::as_str)
            .chain(rows.iter().map(|r| r.id.as_str()))
            .collect();
        let dangling: Vec<usize> = rows
            .iter()
            .enumerate()
            .filter(|(_, r)| r.parent_id.as_deref().is_some_and(|p| !known.contains(p)))
            .map(|(i, _)| i)
            .collect();
        if dangling.is_empty() {
            return;
        }
        for i in dangling.into_iter().rev() {
            let row = rows.remove(i);
            let parent = row.parent_id.unwrap_or_default();
            im.report.categories.rejected += 1;
            im.reject(
                source,
                row.line,
                format!("parentId: {parent:?} names no category"),
            );
        }
    }
}

/// Removes the rows whose parent chain loops back to themselves; their rejects.
fn reject_cycles(
    rows: &mut Vec<CategoryRow>,
    stored: &HashMap<String, Option<String>>,
) -> Vec<(usize, Reason)> {
    let mut parents: HashMap<&str, Option<&str>> = stored
        .iter()
        .map(|(id, p)| (id.as_str(), p.as_deref()))
        .collect();
    for row in rows.iter() {
        parents.insert(&row.id, row.parent_id.as_deref());
    }
    let cyclic: HashSet<String> = rows
        .iter()
        .filter(|row| {
            let mut next = row.parent_id.as_deref();
            for _ in 0..=parents.len() {
                match next {
                    None => return false,
                    Some(p) if p == row.id => return true,
                    Some(p) => next = parents.get(p).copied().flatten(),
                }
            }
            true
        })
        .map(|row| row.id.clone())
        .collect();
    let mut rejects = Vec::new();
    rows.retain(|row| {
        let keep = !cyclic.contains(&row.id);
        if !keep {
            rejects.push((
                row.line,
                "parentId: the parent chain forms a cycle".to_owned(),
            ));
        }
        keep
    });
    rejects
}

/// Upserts one category; the reason when its slug belongs to another stored category.
fn write_category(im: &mut Importer, row: &CategoryRow) -> Result<Option<Reason>, CatalogError> {
    let other: Option<String> = im
        .tx
        .query_row(
            "SELECT id FROM categories WHERE slug = ?1 AND id != ?2",
            params![row.slug, row.id],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(other) = other {
        return Ok(Some(format!(
            "slug: {:?} is already used by stored category {other:?}",
            row.slug
        )));
    }
    let change = change(&im.tx, "categories", &row.id, row.hash)?;
    im.report.categories.record(&change);
    if !matches!(change, Outcome::Unchanged) {
        im.report.touched.categories = true;
        im.tx.execute(
            "INSERT INTO categories (id, slug, name, parent_id, description, extra, content_hash, import_seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT(id) DO UPDATE SET slug = excluded.slug, name = excluded.name,
               parent_id = excluded.parent_id, description = excluded.description, extra = excluded.extra,
               content_hash = excluded.content_hash, import_seq = excluded.import_seq",
            params![row.id, row.slug, row.name, row.parent_id, row.description, row.extra, row.hash, im.seq],
        )?;
    }
    Ok(None)
}

struct ProductRow {
    id: String,
    slug: String,
    name: String,
    description: Option<String>,
    price: f64,
    compare_price: Option<f64>,
    currency: String,
    stock: i64,
    featured: bool,
    category_id: String,
    images: String,
    brand: Option<String>,
    tags: String,
    attributes: String,
    created_at: String,
    updated_at: String,
    personalised: bool,
    lead_time_days: Option<i64>,
    extra: String,
    hash: i64,
}

/// A product line is either an upsert or a tombstone.
enum ProductLine {
    Upsert(Box<ProductRow>),
    Tombstone(String),
}

fn parse_product(mut l: Line) -> Result<ProductLine, Reason> {
    let hash = l.hash();
    let id = l.string("id")?;
    if l.opt_bool("deleted")? == Some(true) {
        return Ok(ProductLine::Tombstone(id));
    }
    let slug = l.string("slug")?;
    let name = l.name("name")?;
    if name.chars().count() > 300 {
        return Err("name: longer than 300 characters".to_owned());
    }
    let description = l.opt_string("description")?;
    if description
        .as_ref()
        .is_some_and(|d| d.chars().count() > 20_000)
    {
        return Err("description: longer than 20,000 characters".to_owned());
    }
    let price = l.price("price")?;
    let compare_price = l.opt_price("comparePrice")?;
    let currency = l
        .opt_string("currency")?
        .unwrap_or_else(|| "EUR".to_owned());
    let stock = l.integer("stock", 0, i64::MAX)?;
    let featured = l.opt_bool("featured")?.unwrap_or(false);
    let category_id = l.string("categoryId")?;
    let images = l.strings("images")?;
    let brand = l.opt_string("brand")?;
    let tags = l.strings("tags")?;
    let attributes = l.opt_object("attributes")?.unwrap_or_default();
    check_attributes(&attributes)?;
    let created_at = l.timestamp("createdAt")?;
    let updated_at = l.timestamp("updatedAt")?;
    let personalised = l.opt_bool("personalised")?.unwrap_or(false);
    let lead_time_days = l.opt_integer("leadTimeDays", 0, 365)?;
    Ok(ProductLine::Upsert(Box::new(ProductRow {
        id,
        slug,
        name,
        description,
        price,
        compare_price,
        currency,
        stock,
        featured,
        category_id,
        images: serde_json::to_string(&images).unwrap_or_else(|_| "[]".to_owned()),
        brand,
        tags: serde_json::to_string(&tags).unwrap_or_else(|_| "[]".to_owned()),
        attributes: Value::Object(attributes).to_string(),
        created_at,
        updated_at,
        personalised,
        lead_time_days,
        extra: l.rest(),
        hash,
    })))
}

fn import_products(im: &mut Importer, source: &str, lines: Lines) -> Result<(), CatalogError> {
    let categories: HashSet<String> = {
        let mut stmt = im.tx.prepare("SELECT id FROM categories")?;
        stmt.query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?
    };
    // Each id's first line in this export: a second line for it is reported, not last-wins.
    let mut first_line: HashMap<String, usize> = HashMap::new();
    let mut slug_owner: HashMap<String, String> = HashMap::new();
    let mut progress = Progress::new("products", None);
    for (line, text) in lines {
        progress.inc(1);
        let parsed = text.and_then(|t| Line::parse(&t));
        let id = parsed
            .as_ref()
            .ok()
            .and_then(|l| l.0.get("id"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let repeated = match &id {
            Some(id) => match first_line.get(id) {
                Some(&first) => Some(format!(
                    "id: {id:?} is already on line {first} of this export (the first line is kept)"
                )),
                None => {
                    first_line.insert(id.clone(), line);
                    None
                }
            },
            None => None,
        };
        let parsed = match repeated {
            Some(reason) => Err(reason),
            None => parsed,
        };
        let outcome = parsed.and_then(parse_product).and_then(|p| match p {
            ProductLine::Upsert(row) if !categories.contains(&row.category_id) => Err(format!(
                "categoryId: {:?} names no category",
                row.category_id
            )),
            ProductLine::Upsert(row) => match slug_owner.get(&row.slug) {
                Some(owner) if *owner != row.id => Err(format!(
                    "slug: {:?} is already used by product {owner:?} in this export",
                    row.slug
                )),
                _ => Ok(ProductLine::Upsert(row)),
            },
            tombstone => Ok(tombstone),
        });
        let result = match outcome {
            Ok(ProductLine::Tombstone(id)) => {
                let n = im.tx.execute("DELETE FROM products WHERE id = ?1", [&id])?;
                im.report.products.deleted += n as u64;
                if n > 0 {
                    im.report.touched.shape = true;
                    im.report.touched.products.insert(id);
                }
                Ok(())
            }
            Ok(ProductLine::Upsert(row)) => {
                slug_owner.insert(row.slug.clone(), row.id.clone());
                upsert_product(im, &row)?
            }
            Err(reason) => Err(reason),
        };
        if let Err(reason) = result {
            im.report.products.rejected += 1;
            im.reject(source, line, reason);
        }
    }
    progress.finish();
    Ok(())
}

/// Inserts or updates one product; `Err(reason)` rejects the line, the outer error aborts.
fn upsert_product(im: &mut Importer, row: &ProductRow) -> Result<Result<(), Reason>, CatalogError> {
    let other: Option<String> = im
        .tx
        .prepare_cached("SELECT id FROM products WHERE slug = ?1 AND id != ?2")?
        .query_row(params![row.slug, row.id], |r| r.get(0))
        .optional()?;
    if let Some(other) = other {
        return Ok(Err(format!(
            "slug: {:?} is already used by stored product {other:?}",
            row.slug
        )));
    }
    let change = change(&im.tx, "products", &row.id, row.hash)?;
    im.report.products.record(&change);
    let moved = match change {
        Outcome::Unchanged => return Ok(Ok(())),
        Outcome::Inserted => true,
        Outcome::Updated => {
            let before: String = im
                .tx
                .prepare_cached("SELECT category_id FROM products WHERE id = ?1")?
                .query_row([&row.id], |r| r.get(0))?;
            before != row.category_id
        }
    };
    im.report.touched.shape |= moved;
    im.report.touched.products.insert(row.id.clone());
    im.tx
        .prepare_cached(
            "INSERT INTO products (id, slug, name, description, price, compare_price, currency, stock,
               featured, category_id, images, brand, tags, attributes, created_at, updated_at, extra,
               content_hash, import_seq, personalised, lead_time_days)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,
               ?20, ?21)
             ON CONFLICT(id) DO UPDATE SET slug = excluded.slug, name = excluded.name,
               description = excluded.description, price = excluded.price,
               compare_price = excluded.compare_price, currency = excluded.currency,
               stock = excluded.stock, featured = excluded.featured, category_id = excluded.category_id,
               images = excluded.images, brand = excluded.brand, tags = excluded.tags,
               attributes = excluded.attributes, created_at = excluded.created_at,
               updated_at = excluded.updated_at, extra = excluded.extra,
               content_hash = excluded.content_hash, import_seq = excluded.import_seq,
               personalised = excluded.personalised, lead_time_days = excluded.lead_time_days",
        )?
        .execute(params![
            row.id,
            row.slug,
            row.name,
            row.description,
            row.price,
            row.compare_price,
            row.currency,
            row.stock,
            row.featured,
            row.category_id,
            row.images,
            row.brand,
            row.tags,
            row.attributes,
            row.created_at,
            row.updated_at,
            row.extra,
            row.hash,
            im.seq,
            row.personalised,
            row.lead_time_days,
        ])?;
    Ok(Ok(()))
}

fn product_exists(tx: &Transaction, id: &str) -> Result<bool, CatalogError> {
    Ok(tx
        .prepare_cached("SELECT 1 FROM products WHERE id = ?1")?
        .query_row([id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Runs `apply` on each line of an optional file; `apply` returns the row's outcome.
fn for_each_line(
    im: &mut Importer,
    source: &str,
    lines: Lines,
    counts: fn(&mut ImportReport) -> &mut FileCounts,
    mut apply: impl FnMut(
        &Transaction,
        Line,
        &mut Touched,
    ) -> Result<Result<Outcome, Reason>, CatalogError>,
) -> Result<(), CatalogError> {
    for (line, text) in lines {
        let outcome = match text.and_then(|t| Line::parse(&t)) {
            Ok(l) => apply(&im.tx, l, &mut im.report.touched)?,
            Err(reason) => Err(reason),
        };
        match outcome {
            Ok(outcome) => counts(&mut im.report).record(&outcome),
            Err(reason) => {
                counts(&mut im.report).rejected += 1;
                im.reject(source, line, reason);
            }
        }
    }
    Ok(())
}

enum Outcome {
    Inserted,
    Updated,
    Unchanged,
}

/// Compares a stored hash with a new one.
/// Whether the row `id` of `table` is new, changed or the same as a line hashing to `hash`.
fn change(
    tx: &Transaction,
    table: &'static str,
    id: &str,
    hash: i64,
) -> Result<Outcome, CatalogError> {
    let stored: Option<i64> = tx
        .prepare_cached(&format!("SELECT content_hash FROM {table} WHERE id = ?1"))?
        .query_row([id], |r| r.get(0))
        .optional()?;
    Ok(match stored {
        None => Outcome::Inserted,
        Some(h) if h == hash => Outcome::Unchanged,
        Some(_) => Outcome::Updated,
    })
}

/// A review line, parsed.
struct ReviewRow {
    id: String,
    product_id: String,
    user_id: Option<String>,
    rating: i64,
    comment: Option<String>,
    created_at: String,
}

fn parse_review(l: &mut Line) -> Result<ReviewRow, Reason> {
    Ok(ReviewRow {
        id: l.string("id")?,
        product_id: l.string("productId")?,
        user_id: l.opt_string("userId")?,
        rating: l.integer("rating", 1, 5)?,
        comment: l.opt_string("comment")?,
        created_at: l.timestamp("createdAt")?,
    })
}

fn import_reviews(im: &mut Importer, source: &str, lines: Lines) -> Result<(), CatalogError> {
    for_each_line(
        im,
        source,
        lines,
        |r| &mut r.reviews,
        |tx, mut l, touched| {
            let hash = l.hash();
            let row = match parse_review(&mut l) {
                Ok(row) => row,
                Err(reason) => return Ok(Err(reason)),
            };
            if !product_exists(tx, &row.product_id)? {
                return Ok(Err(format!(
                    "productId: {:?} names no product",
                    row.product_id
                )));
            }
            let result = change(tx, "reviews", &row.id, hash)?;
            if !matches!(result, Outcome::Unchanged) {
                // The rating of the product it leaves, and of the one it joins.
                let before: Option<String> = tx
                    .prepare_cached("SELECT product_id FROM reviews WHERE id = ?1")?
                    .query_row([&row.id], |r| r.get(0))
                    .optional()?;
                touched.products.extend(before);
                touched.products.insert(row.product_id.clone());
                tx.prepare_cached(
                "INSERT INTO reviews (id, product_id, user_id, rating, comment, created_at, extra, content_hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT(id) DO UPDATE SET product_id = excluded.product_id, user_id = excluded.user_id,
                   rating = excluded.rating, comment = excluded.comment, created_at = excluded.created_at,
                   extra = excluded.extra, content_hash = excluded.content_hash",
            )?
            .execute(params![
                row.id,
                row.product_id,
                row.user_id,
                row.rating,
                row.comment,
                row.created_at,
                l.rest(),
                hash
            ])?;
            }
            Ok(Ok(result))
        },
    )
}

const ORDER_STATUSES: [&str; 6] = [
    "PENDING",
    "PROCESSING",
    "PAID",
    "SHIPPED",
    "DELIVERED",
    "CANCELLED",
];

/// An order line, parsed.
struct OrderRow {
    id: String,
    number: String,
    user_id: String,
    email: String,
    status: String,
    total: f64,
    created_at: String,
    updated_at: String,
    postal: Option<String>,
    tracking: Option<String>,
    country: String,
    carrier: Option<String>,
    paid_at: Option<String>,
    shipped_at: Option<String>,
    delivered_at: Option<String>,
    cancelled_at: Option<String>,
    items: Vec<OrderItem>,
}

struct OrderItem {
    /// `None` for a line whose product was deleted at the source (the storefront sets
    /// `OrderItem.productId` to null on a hard delete); stored as the empty string, which no
    /// product's id is.
    product_id: Option<String>,
    quantity: i64,
    price: f64,
}

fn parse_order(l: &mut Line) -> Result<OrderRow, Reason> {
    let id = l.string("id")?;
    let number = l.string("orderNumber")?;
    if !(number.starts_with("ORD-") && number.chars().count() == 12) {
        return Err(format!(
            "orderNumber: {number:?} must be \"ORD-\" followed by 8 characters"
        ));
    }
    let user_id = l.string("userId")?;
    let email = l.string("email")?;
    let status = l.string("status")?;
    if !ORDER_STATUSES.contains(&status.as_str()) {
        return Err(format!(
            "status: {status:?} is not one of {}",
            ORDER_STATUSES.join(", ")
        ));
    }
    Ok(OrderRow {
        id,
        number,
        user_id,
        email,
        status,
        total: l.price("total")?,
        created_at: l.timestamp("createdAt")?,
        updated_at: l.timestamp("updatedAt")?,
        postal: l.opt_string("shippingPostalCode")?,
        tracking: l.opt_string("trackingNumber")?,
        country: parse_country(l)?,
        carrier: l.opt_string("carrier")?,
        paid_at: l.opt_timestamp("paidAt")?,
        shipped_at: l.opt_timestamp("shippedAt")?,
        delivered_at: l.opt_timestamp("deliveredAt")?,
        cancelled_at: l.opt_timestamp("cancelledAt")?,
        items: parse_order_items(l)?,
    })
}

/// `shippingCountry`: an ISO 3166-1 alpha-2 code, `FR` when absent.
fn parse_country(l: &mut Line) -> Result<String, Reason> {
    let country = l
        .opt_string("shippingCountry")?
        .unwrap_or_else(|| "FR".to_owned());
    if country.len() == 2 && country.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(country)
    } else {
        Err(format!(
            "shippingCountry: {country:?} is not an ISO 3166-1 alpha-2 code such as \"FR\""
        ))
    }
}

fn parse_order_items(l: &mut Line) -> Result<Vec<OrderItem>, Reason> {
    l.opt_array("items")?
        .ok_or_else(|| "items: required array is missing".to_owned())?
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let Value::Object(map) = item else {
                return Err(format!("items[{i}]: expected an object"));
            };
            let mut item = Line(map);
            let err = |e: Reason| format!("items[{i}].{e}");
            let deleted_product = item.0.get("productId") == Some(&Value::Null);
            Ok(OrderItem {
                product_id: match deleted_product {
                    true => None,
                    false => Some(item.string("productId").map_err(err)?),
                },
                quantity: item.integer("quantity", 1, i64::MAX).map_err(err)?,
                price: item.price("price").map_err(err)?,
            })
        })
        .collect()
}

fn import_orders(im: &mut Importer, source: &str, lines: Lines) -> Result<(), CatalogError> {
    for_each_line(
        im,
        source,
        lines,
        |r| &mut r.orders,
        |tx, mut l, touched| {
            let hash = l.hash();
            let row = match parse_order(&mut l) {
                Ok(row) => row,
                Err(reason) => return Ok(Err(reason)),
            };
            let result = change(tx, "orders", &row.id, hash)?;
            if !matches!(result, Outcome::Unchanged) {
                // Popularity: the products of its lines, before and after.
                touched.orders = true;
                touched.products.extend(order_products(tx, &row.id)?);
                touched
                    .products
                    .extend(row.items.iter().filter_map(|i| i.product_id.clone()));
                upsert_order(tx, &row, &l.rest(), hash)?;
            }
            Ok(Ok(result))
        },
    )
}

fn upsert_order(
    tx: &Transaction,
    row: &OrderRow,
    extra: &str,
    hash: i64,
) -> Result<(), CatalogError> {
    tx.prepare_cached(
        "INSERT INTO orders (id, order_number, user_id, email, status, total, created_at, updated_at,
           shipping_postal_code, tracking_number, extra, content_hash, shipping_country, carrier,
           paid_at, shipped_at, delivered_at, cancelled_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)
         ON CONFLICT(id) DO UPDATE SET order_number = excluded.order_number, user_id = excluded.user_id,
           email = excluded.email, status = excluded.status, total = excluded.total,
           created_at = excluded.created_at, updated_at = excluded.updated_at,
           shipping_postal_code = excluded.shipping_postal_code,
           tracking_number = excluded.tracking_number, extra = excluded.extra,
           content_hash = excluded.content_hash, shipping_country = excluded.shipping_country,
           carrier = excluded.carrier, paid_at = excluded.paid_at, shipped_at = excluded.shipped_at,
           delivered_at = excluded.delivered_at, cancelled_at = excluded.cancelled_at",
    )?
    .execute(params![
        row.id,
        row.number,
        row.user_id,
        row.email,
        row.status,
        row.total,
        row.created_at,
        row.updated_at,
        row.postal,
        row.tracking,
        extra,
        hash,
        row.country,
        row.carrier,
        row.paid_at,
        row.shipped_at,
        row.delivered_at,
        row.cancelled_at,
    ])?;
    tx.prepare_cached("DELETE FROM order_items WHERE order_id = ?1")?
        .execute([&row.id])?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO order_items (order_id, line, product_id, quantity, price) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (line, item) in row.items.iter().enumerate() {
        insert.execute(params![
            row.id,
            line as i64,
            item.product_id.as_deref().unwrap_or_default(),
            item.quantity,
            item.price
        ])?;
    }
    Ok(())
}

/// A wishlist line, parsed.
struct WishlistRow {
    user_id: String,
    product_id: String,
    created_at: String,
}

fn parse_wishlist(l: &mut Line) -> Result<WishlistRow, Reason> {
    Ok(WishlistRow {
        user_id: l.string("userId")?,
        product_id: l.string("productId")?,
        created_at: l.timestamp("createdAt")?,
    })
}

fn import_wishlists(im: &mut Importer, source: &str, lines: Lines) -> Result<(), CatalogError> {
    for_each_line(
        im,
        source,
        lines,
        |r| &mut r.wishlists,
        |tx, mut l, _| {
            let row = match parse_wishlist(&mut l) {
                Ok(row) => row,
                Err(reason) => return Ok(Err(reason)),
            };
            if !product_exists(tx, &row.product_id)? {
                return Ok(Err(format!(
                    "productId: {:?} names no product",
                    row.product_id
                )));
            }
            let existing: Option<String> = tx
                .prepare_cached(
                    "SELECT created_at FROM wishlists WHERE user_id = ?1 AND product_id = ?2",
                )?
                .query_row([&row.user_id, &row.product_id], |r| r.get(0))
                .optional()?;
            let result = match existing {
                None => Outcome::Inserted,
                Some(at) if at == row.created_at => Outcome::Unchanged,
                Some(_) => Outcome::Updated,
            };
            if !matches!(result, Outcome::Unchanged) {
                tx.prepare_cached(
                    "INSERT INTO wishlists (user_id, product_id, created_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(user_id, product_id) DO UPDATE SET created_at = excluded.created_at",
                )?
                .execute([&row.user_id, &row.product_id, &row.created_at])?;
            }
            Ok(Ok(result))
        },
    )
}

/// A user line, parsed.
struct UserRow {
    id: String,
    email: String,
    name: Option<String>,
    created_at: String,
}

fn parse_user(l: &mut Line) -> Result<UserRow, Reason> {
    let id = l.string("id")?;
    let email = l.string("email")?;
    if !email.contains('@') {
        return Err("email: expected an e-mail address".to_owned());
    }
    Ok(UserRow {
        id,
        email,
        name: l.opt_string("name")?,
        created_at: l.timestamp("createdAt")?,
    })
}

fn import_users(im: &mut Importer, source: &str, lines: Lines) -> Result<(), CatalogError> {
    for_each_line(
        im,
        source,
        lines,
        |r| &mut r.users,
        |tx, mut l, _| {
            let hash = l.hash();
            let row = match parse_user(&mut l) {
                Ok(row) => row,
                Err(reason) => return Ok(Err(reason)),
            };
            let result = change(tx, "users", &row.id, hash)?;
            if !matches!(result, Outcome::Unchanged) {
                tx.prepare_cached(
                    "INSERT INTO users (id, email, name, created_at, extra, content_hash)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT(id) DO UPDATE SET email = excluded.email, name = excluded.name,
                       created_at = excluded.created_at, extra = excluded.extra,
                       content_hash = excluded.content_hash",
                )?
                .execute(params![
                    row.id,
                    row.email,
                    row.name,
                    row.created_at,
                    l.rest(),
                    hash
                ])?;
            }
            Ok(Ok(result))
        },
    )
}

/// A cart line, parsed.
struct CartRow {
    id: String,
    user_id: Option<String>,
    items: Vec<OrderItem>,
    created_at: String,
    updated_at: String,
    order_id: Option<String>,
}

fn parse_cart(l: &mut Line) -> Result<CartRow, Reason> {
    Ok(CartRow {
        id: l.string("id")?,
        user_id: l.opt_string("userId")?,
        created_at: l.timestamp("createdAt")?,
        updated_at: l.timestamp("updatedAt")?,
        order_id: l.opt_string("orderId")?,
        items: parse_order_items(l)?,
    })
}

/// Carts: their lines stay as JSON (a product since deleted is kept), with their units and
/// value computed for the analytics; an `orderId` must name an order.
fn import_carts(im: &mut Importer, source: &str, lines: Lines) -> Result<(), CatalogError> {
    for_each_line(
        im,
        source,
        lines,
        |r| &mut r.carts,
        |tx, mut l, _| {
            let hash = l.hash();
            let row = match parse_cart(&mut l) {
                Ok(row) => row,
                Err(reason) => return Ok(Err(reason)),
            };
            if let Some(order) = &row.order_id {
                let known = tx
                    .prepare_cached("SELECT 1 FROM orders WHERE id = ?1")?
                    .query_row([order], |_| Ok(()))
                    .optional()?
                    .is_some();
                if !known {
                    return Ok(Err(format!("orderId: {order:?} names no order")));
                }
            }
            let result = change(tx, "carts", &row.id, hash)?;
            if !matches!(result, Outcome::Unchanged) {
                let units: i64 = row.items.iter().map(|i| i.quantity).sum();
                let value: f64 = row.items.iter().map(|i| i.price * i.quantity as f64).sum();
                let items: Vec<serde_json::Value> = row
                    .items
                    .iter()
                    .map(|i| {
                        serde_json::json!({"productId": i.product_id, "quantity": i.quantity,
                                           "price": i.price})
                    })
                    .collect();
                tx.prepare_cached(
                    "INSERT INTO carts (id, user_id, created_at, updated_at, order_id, units, value,
                       items, extra, content_hash)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                     ON CONFLICT(id) DO UPDATE SET user_id = excluded.user_id,
                       created_at = excluded.created_at, updated_at = excluded.updated_at,
                       order_id = excluded.order_id, units = excluded.units, value = excluded.value,
                       items = excluded.items, extra = excluded.extra,
                       content_hash = excluded.content_hash",
                )?
                .execute(params![
                    row.id,
                    row.user_id,
                    row.created_at,
                    row.updated_at,
                    row.order_id,
                    units,
                    value,
                    serde_json::Value::Array(items).to_string(),
                    l.rest(),
                    hash
                ])?;
            }
            Ok(Ok(result))
        },
    )
}

/// Recomputes the per-product rating average and count where they differ from the reviews.
fn refresh_ratings(tx: &Transaction) -> Result<(), CatalogError> {
    tx.execute_batch(
        "UPDATE products SET rating_avg = r.avg, rating_count = r.n
           FROM (SELECT product_id, avg(rating) AS avg, count(*) AS n FROM reviews GROUP BY product_id) AS r
          WHERE r.product_id = products.id
            AND (products.rating_count != r.n OR products.rating_avg IS NOT r.avg);
         UPDATE products SET rating_avg = NULL, rating_count = 0
          WHERE rating_count != 0 AND id NOT IN (SELECT product_id FROM reviews);",
    )?;
    Ok(())
}
