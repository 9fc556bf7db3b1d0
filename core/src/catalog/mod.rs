//! The SQLite replica of the storefront's catalog.
//!
//! Input: export folders (`catalog-format.md`) through [`Catalog::import`]. Output: typed rows
//! for reindex ([`Catalog::for_each_product`]), product pages ([`Catalog::product`]) and the
//! category tree. No ranking happens here.
//!
//! Invariants: WAL journal, foreign keys on, schema migrated on open (`user_version`); every
//! import is one transaction; descriptions are stored as exported (HTML included) and stripped
//! only for indexing ([`strip_html`]).

mod html;
mod import;
mod ledger;
mod llm;
mod model;
mod orders;
mod schema;
mod validate;

pub(crate) use schema::apply_migrations;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, Row};

pub use html::strip_html;
pub use import::{Entity, FileCounts, ImportOptions, ImportReport, Reject, RowKey, Touched};
pub(crate) use import::{Importer, row_key};
pub use ledger::Ledger;
pub use llm::{LlmCall, LlmTaskStats};
pub use model::{Category, CategoryTree, Product};
pub use orders::{
    Cart, CustomerOrder, LineProduct, Order, OrderLine, OrderQuery, OrderScope, OrderStatus, Sale,
    SaleLine, StockLevel, User,
};

/// Errors of the replica.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// SQLite failed.
    #[error("catalog database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// No read connection could be had in time.
    #[error("catalog read connection unavailable: {0}")]
    Pool(String),
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The export folder lacks a required file.
    #[error("export is missing required file {0}")]
    MissingExportFile(PathBuf),
    /// The replica was written by a newer binary.
    #[error("catalog schema version {found} is newer than this binary supports ({supported})")]
    SchemaTooNew {
        /// Version found on disk.
        found: u32,
        /// Highest version this binary knows.
        supported: u32,
    },
    /// A stored JSON column could not be read back.
    #[error("corrupt {column} for product {id}: {source}")]
    CorruptRow {
        /// Product id.
        id: String,
        /// Column name.
        column: &'static str,
        /// The cause.
        source: serde_json::Error,
    },
}

/// What the replica holds, for the manifest and `/health`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Watermark {
    /// Number of committed imports that changed something.
    pub import_seq: i64,
    /// Latest `updatedAt` among products.
    pub max_updated_at: Option<String>,
}

/// The products of one order, for the behavioural signals.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Basket {
    /// The order's date as a Julian day number.
    pub day: f64,
    /// Product ids and quantities.
    pub items: Vec<(String, u32)>,
}

/// A shopper's history in the replica.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserHistory {
    /// Products bought, most recent order first.
    pub purchased: Vec<String>,
    /// Products in the wishlist, most recent first.
    pub wishlist: Vec<String>,
}

/// The replica.
pub struct Catalog {
    /// The one writer (imports, caches, logs, migrations).
    writer: Mutex<Connection>,
    /// Read-only connections: WAL lets them read while the writer writes, and each other
    /// concurrently, instead of queueing on one connection's lock.
    readers: r2d2::Pool<ReadOnly>,
    path: PathBuf,
    /// The sales in memory for the analytics, for the replica's current version.
    ledger: Mutex<Option<std::sync::Arc<Ledger>>>,
}

/// Read connections in the pool at most.
const READERS: u32 = 4;

/// Opens read-only connections to the replica for the pool.
#[derive(Debug)]
struct ReadOnly {
    path: PathBuf,
}

impl r2d2::ManageConnection for ReadOnly {
    type Connection = Connection;
    type Error = rusqlite::Error;

    fn connect(&self) -> Result<Connection, rusqlite::Error> {
        let conn = Connection::open_with_flags(
            &self.path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        Ok(conn)
    }

    fn is_valid(&self, conn: &mut Connection) -> Result<(), rusqlite::Error> {
        conn.execute_batch("")
    }

    fn has_broken(&self, _: &mut Connection) -> bool {
        false
    }
}

/// Opens (creating it and its folder if needed) a SQLite file as the engine's databases are
/// opened: WAL, foreign keys, a 5 s busy timeout, and `synchronous` as given.
pub(crate) fn open_database(path: &Path, synchronous: &str) -> Result<Connection, CatalogError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| CatalogError::Io {
            path: dir.to_owned(),
            source,
        })?;
    }
    let conn = Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", synchronous)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(conn)
}

const PRODUCT_COLUMNS: &str =
    "id, slug, name, description, price, compare_price, currency, stock, featured,
    category_id, images, brand, tags, attributes, created_at, updated_at, rating_avg, rating_count";

impl Catalog {
    /// Opens (creating if needed) the replica at `path` and migrates its schema.
    pub fn open(path: &Path) -> Result<Catalog, CatalogError> {
        // Derived data, rebuilt from the store: a crash may lose the last commits.
        let mut conn = open_database(path, "NORMAL")?;
        schema::migrate(&mut conn)?;
        // Readers open on first use (the writer made the file and its WAL first).
        let readers = r2d2::Pool::builder()
            .max_size(READERS)
            .min_idle(Some(0))
            .connection_timeout(std::time::Duration::from_secs(10))
            .build_unchecked(ReadOnly {
                path: path.to_owned(),
            });
        Ok(Catalog {
            writer: Mutex::new(conn),
            readers,
            path: path.to_owned(),
            ledger: Mutex::new(None),
        })
    }

    /// Where the replica lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The writer connection.
    fn writer(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite inconsistent (transactions roll
        // back on drop), so a poisoned lock is still usable.
        self.writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A read-only connection from the pool.
    fn reader(&self) -> Result<r2d2::PooledConnection<ReadOnly>, CatalogError> {
        self.readers
            .get()
            .map_err(|e| CatalogError::Pool(e.to_string()))
    }

    /// Runs `write` in one import transaction ([`Importer`]): the sync's rows and its own
    /// bookkeeping commit together, or not at all when `write` fails.
    pub(crate) fn write_import<T, E: From<CatalogError>>(
        &self,
        write: impl FnOnce(&mut Importer) -> Result<T, E>,
    ) -> Result<(T, ImportReport), E> {
        let mut conn = self.writer();
        let mut importer = Importer::begin(&mut conn)?;
        let out = write(&mut importer)?;
        Ok((out, importer.finish(false)?))
    }

    /// Runs `read` on a read-only connection.
    pub(crate) fn read<T>(
        &self,
        read: impl FnOnce(&Connection) -> Result<T, rusqlite::Error>,
    ) -> Result<T, CatalogError> {
        let conn = self.reader()?;
        Ok(read(&conn)?)
    }

    /// Imports an export folder; see [`ImportReport`] for the outcome.
    pub fn import(&self, dir: &Path, options: ImportOptions) -> Result<ImportReport, CatalogError> {
        import::import(&mut self.writer(), dir, options)
    }

    /// Every category.
    pub fn category_tree(&self) -> Result<CategoryTree, CatalogError> {
        let conn = self.reader()?;
        let mut stmt = conn
            .prepare("SELECT id, slug, name, parent_id, description FROM categories ORDER BY id")?;
        let rows = stmt
            .query_map([], |r| {
                Ok(Category {
                    id: r.get(0)?,
                    slug: r.get(1)?,
                    name: r.get(2)?,
                    parent_id: r.get(3)?,
                    description: r.get(4)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(CategoryTree::new(rows))
    }

    /// Number of products per category id (direct members only).
    pub fn product_counts(&self) -> Result<HashMap<String, u64>, CatalogError> {
        let conn = self.reader()?;
        let mut stmt =
            conn.prepare("SELECT category_id, count(*) FROM products GROUP BY category_id")?;
        let counts = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?
            .collect::<Result<_, _>>()?;
        Ok(counts)
    }

    /// Number of products.
    pub fn product_count(&self) -> Result<u64, CatalogError> {
        Ok(self
            .reader()?
            .query_row("SELECT count(*) FROM products", [], |r| r.get::<_, i64>(0))?
            as u64)
    }

    /// A product by id, or else by slug.
    pub fn product(&self, id_or_slug: &str) -> Result<Option<Product>, CatalogError> {
        let conn = self.reader()?;
        let sql = format!(
            "SELECT {PRODUCT_COLUMNS} FROM products WHERE id = ?1 OR slug = ?1 ORDER BY id = ?1 DESC LIMIT 1"
        );
        let row = conn
            .prepare_cached(&sql)?
            .query_row([id_or_slug], |r| Ok(product_from_row(r)))
            .optional()?;
        row.transpose()
    }

    /// `limit` products from the `offset`-th, in id order (a stable page for listings).
    pub fn products_page(&self, offset: u64, limit: u64) -> Result<Vec<Product>, CatalogError> {
        let conn = self.reader()?;
        let sql = format!("SELECT {PRODUCT_COLUMNS} FROM products ORDER BY id LIMIT ?1 OFFSET ?2");
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([limit as i64, offset as i64], |r| Ok(product_from_row(r)))?;
        let mut products = Vec::new();
        for row in rows {
            products.push(row??);
        }
        Ok(products)
    }

    /// Product slugs starting with `prefix`, in order, at most `limit` (for completions).
    pub fn slugs_with_prefix(&self, prefix: &str, limit: u64) -> Result<Vec<String>, CatalogError> {
        let conn = self.reader()?;
        // A range rather than LIKE: no wildcard escaping, and the slug index serves it.
        let mut stmt = conn.prepare_cached(
            "SELECT slug FROM products WHERE slug >= ?1 AND slug < ?1 || char(1114111) ORDER BY slug LIMIT ?2",
        )?;
        let rows = stmt.query_map(rusqlite::params![prefix, limit as i64], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Calls `f` on every product, in id order.
    pub fn for_each_product<E: From<CatalogError>>(
        &self,
        mut f: impl FnMut(Product) -> Result<(), E>,
    ) -> Result<(), E> {
        let conn = self.reader()?;
        let sql = format!("SELECT {PRODUCT_COLUMNS} FROM products ORDER BY id");
        let mut stmt = conn.prepare(&sql).map_err(CatalogError::from)?;
        let mut rows = stmt.query([]).map_err(CatalogError::from)?;
        while let Some(row) = rows.next().map_err(CatalogError::from)? {
            f(product_from_row(row)?)?;
        }
        Ok(())
    }

    /// Units sold per product id over the `days` before the latest order (cancelled orders
    /// excluded). The window ends at the latest order rather than at the wall clock so that a
    /// replica's popularity does not decay while no export arrives.
    pub fn units_sold(&self, days: u32) -> Result<HashMap<String, u64>, CatalogError> {
        let conn = self.reader()?;
        let mut stmt = conn.prepare(
            "SELECT i.product_id, sum(i.quantity)
               FROM order_items i JOIN orders o ON o.id = i.order_id
              WHERE o.status != 'CANCELLED'
                AND julianday(o.created_at) >= (SELECT julianday(max(created_at)) FROM orders) - ?1
              GROUP BY i.product_id",
        )?;
        let sold = stmt
            .query_map([days], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?
            .collect::<Result<_, _>>()?;
        Ok(sold)
    }

    /// [`Catalog::units_sold`] of these products only, by their index (a generation built
    /// from the live one re-indexes a few products: the whole aggregate cost it a second at
    /// 100,000 products).
    pub fn units_sold_of(
        &self,
        ids: &[&str],
        days: u32,
    ) -> Result<HashMap<String, u64>, CatalogError> {
        let conn = self.reader()?;
        let since: Option<f64> = conn.query_row(
            "SELECT julianday(max(created_at)) - ?1 FROM orders",
            [days],
            |r| r.get(0),
        )?;
        let Some(since) = since else {
            return Ok(HashMap::new());
        };
        let mut stmt = conn.prepare_cached(
            "SELECT sum(i.quantity)
               FROM order_items i JOIN orders o ON o.id = i.order_id
              WHERE i.product_id = ?1 AND o.status != 'CANCELLED'
                AND julianday(o.created_at) >= ?2",
        )?;
        let mut sold = HashMap::new();
        for &id in ids {
            let units: Option<i64> = stmt.query_row(rusqlite::params![id, since], |r| r.get(0))?;
            if let Some(units) = units {
                sold.insert(id.to_owned(), units as u64);
            }
        }
        Ok(sold)
    }

    /// Per category id, the footprints (see [`model::footprint`]) of its products that have
    /// dimensions, sorted.
    pub fn footprints(&self) -> Result<HashMap<String, Vec<f64>>, CatalogError> {
        self.footprints_where("", [])
    }

    /// [`Catalog::footprints`] of these categories only.
    pub fn footprints_of(
        &self,
        categories: &std::collections::BTreeSet<&str>,
    ) -> Result<HashMap<String, Vec<f64>>, CatalogError> {
        let mut out = HashMap::new();
        for &category in categories {
            out.extend(self.footprints_where("WHERE category_id = ?1", [category])?);
        }
        Ok(out)
    }

    fn footprints_where<P: rusqlite::Params>(
        &self,
        filter: &str,
        params: P,
    ) -> Result<HashMap<String, Vec<f64>>, CatalogError> {
        let conn = self.reader()?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT category_id,
                    json_extract(attributes, '$.dimensions.widthCm'),
                    json_extract(attributes, '$.dimensions.heightCm'),
                    json_extract(attributes, '$.dimensions.depthCm')
               FROM products {filter}"
        ))?;
        let mut out: HashMap<String, Vec<f64>> = HashMap::new();
        let rows = stmt.query_map(params, |r| {
            Ok((
                r.get::<_, String>(0)?,
                model::footprint(r.get(1).ok(), r.get(2).ok(), r.get(3).ok()),
            ))
        })?;
        for row in rows {
            if let (category, Some(area)) = row? {
                out.entry(category).or_default().push(area);
            }
        }
        for list in out.values_mut() {
            list.sort_by(f64::total_cmp);
        }
        Ok(out)
    }

    /// Every product's id and category id, in id order.
    pub fn product_categories(&self) -> Result<Vec<(String, String)>, CatalogError> {
        let conn = self.reader()?;
        let mut stmt = conn.prepare("SELECT id, category_id FROM products ORDER BY id")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// Each product's unit purchase cost (the export's optional `cost`, kept with the
    /// product's other fields), for those that have a valid one.
    pub fn product_costs(&self) -> Result<HashMap<String, f64>, CatalogError> {
        let conn = self.reader()?;
        let mut stmt = conn.prepare(
            "SELECT id, json_extract(extra, '$.cost') FROM products
              WHERE json_valid(extra) AND json_type(extra, '$.cost') IN ('integer', 'real')",
        )?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, f64>(1)?)))?
            .filter(|row| row.as_ref().is_ok_and(|(_, cost)| *cost >= 0.0))
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// Calls `f` on the basket of every order that was not cancelled, in order id order.
    pub fn for_each_basket(&self, mut f: impl FnMut(&Basket)) -> Result<(), CatalogError> {
        let conn = self.reader()?;
        let mut stmt = conn.prepare(
            "SELECT o.id, julianday(o.created_at), i.product_id, i.quantity
               FROM orders o JOIN order_items i ON i.order_id = o.id
              WHERE o.status != 'CANCELLED'
              ORDER BY o.id, i.line",
        )?;
        let mut rows = stmt.query([])?;
        let mut order: Option<String> = None;
        let mut basket = Basket::default();
        while let Some(row) = rows.next()? {
            let id: String = row.get(0)?;
            if order.as_deref() != Some(id.as_str()) {
                if order.is_some() {
                    f(&basket);
                }
                basket.items.clear();
                basket.day = row.get::<_, Option<f64>>(1)?.unwrap_or(0.0);
                order = Some(id);
            }
            basket
                .items
                .push((row.get(2)?, row.get::<_, i64>(3)?.max(0) as u32));
        }
        if order.is_some() {
            f(&basket);
        }
        Ok(())
    }

    /// What a shopper bought (most recent order first, cancelled orders excluded) and keeps in
    /// their wishlist (most recent first), as product ids without repeats.
    pub fn user_history(&self, user_id: &str) -> Result<UserHistory, CatalogError> {
        let conn = self.reader()?;
        let mut purchased: Vec<String> = Vec::new();
        let mut stmt = conn.prepare_cached(
            "SELECT i.product_id FROM orders o JOIN order_items i ON i.order_id = o.id
              WHERE o.user_id = ?1 AND o.status != 'CANCELLED'
              ORDER BY o.created_at DESC, o.id, i.line
              LIMIT 200",
        )?;
        for id in stmt.query_map([user_id], |r| r.get::<_, String>(0))? {
            let id = id?;
            if !purchased.contains(&id) {
                purchased.push(id);
            }
        }
        let mut stmt = conn.prepare_cached(
            "SELECT product_id FROM wishlists WHERE user_id = ?1 ORDER BY created_at DESC LIMIT 100",
        )?;
        let wishlist = stmt
            .query_map([user_id], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(UserHistory {
            purchased,
            wishlist,
        })
    }

    /// Cached embeddings of `model_id` for the given text hashes (absent ones are missing).
    pub fn cached_embeddings(
        &self,
        model_id: &str,
        hashes: &[i64],
    ) -> Result<HashMap<i64, Vec<f32>>, CatalogError> {
        let conn = self.reader()?;
        let mut stmt = conn.prepare_cached(
            "SELECT vector FROM embeddings WHERE model_id = ?1 AND text_hash = ?2",
        )?;
        let mut found = HashMap::new();
        for &hash in hashes {
            let blob: Option<Vec<u8>> = stmt
                .query_row(rusqlite::params![model_id, hash], |r| r.get(0))
                .optional()?;
            if let Some(blob) = blob {
                found.insert(
                    hash,
                    blob.chunks_exact(4)
                        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                        .collect(),
                );
            }
        }
        Ok(found)
    }

    /// Stores embeddings of `model_id` keyed on text hashes, in one transaction.
    pub fn store_embeddings(
        &self,
        model_id: &str,
        items: &[(i64, &[f32])],
    ) -> Result<(), CatalogError> {
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        {
            let mut stmt =
                tx.prepare_cached("INSERT OR REPLACE INTO embeddings (model_id, text_hash, vector) VALUES (?1, ?2, ?3)")?;
            for (hash, vector) in items {
                let blob: Vec<u8> = vector.iter().flat_map(|x| x.to_le_bytes()).collect();
                stmt.execute(rusqlite::params![model_id, hash, blob])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The replica's watermark.
    pub fn watermark(&self) -> Result<Watermark, CatalogError> {
        let conn = self.reader()?;
        let import_seq = conn
            .query_row("SELECT value FROM meta WHERE key = 'import_seq'", [], |r| {
                r.get::<_, String>(0)
            })
            .optional()?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let max_updated_at =
            conn.query_row("SELECT max(updated_at) FROM products", [], |r| r.get(0))?;
        Ok(Watermark {
            import_seq,
            max_updated_at,
        })
    }
}

fn json_column<T: serde::de::DeserializeOwned>(
    row: &Row,
    index: usize,
    id: &str,
    column: &'static str,
) -> Result<T, CatalogError> {
    let text: String = row.get(index)?;
    serde_json::from_str(&text).map_err(|source| CatalogError::CorruptRow {
        id: id.to_owned(),
        column,
        source,
    })
}

fn product_from_row(r: &Row) -> Result<Product, CatalogError> {
    let id: String = r.get(0)?;
    Ok(Product {
        images: json_column(r, 10, &id, "images")?,
        tags: json_column(r, 12, &id, "tags")?,
        attributes: json_column(r, 13, &id, "attributes")?,
        slug: r.get(1)?,
        name: r.get(2)?,
        description: r.get(3)?,
        price: r.get(4)?,
        compare_price: r.get(5)?,
        currency: r.get(6)?,
        stock: r.get(7)?,
        featured: r.get(8)?,
        category_id: r.get(9)?,
        brand: r.get(11)?,
        created_at: r.get(14)?,
        updated_at: r.get(15)?,
        rating: r.get(16)?,
        review_count: r.get::<_, i64>(17)? as u32,
        id,
    })
}
