//! Schema migrations keyed on SQLite's `user_version`: migration `i` (1-based) brings the
//! schema from version `i - 1` to `i`. Migrations only ever append; a replica written by a
//! newer binary (higher version) is refused rather than misread.

use rusqlite::Connection;

use super::CatalogError;

const MIGRATIONS: &[&str] = &[
    // 1: the replica of the storefront's export, plus engine bookkeeping.
    r#"
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE categories (
        id           TEXT PRIMARY KEY,
        slug         TEXT NOT NULL UNIQUE,
        name         TEXT NOT NULL,
        parent_id    TEXT REFERENCES categories(id) DEFERRABLE INITIALLY DEFERRED,
        description  TEXT,
        extra        TEXT NOT NULL,
        content_hash INTEGER NOT NULL,
        import_seq   INTEGER NOT NULL
    );
    CREATE TABLE products (
        id            TEXT PRIMARY KEY,
        slug          TEXT NOT NULL UNIQUE,
        name          TEXT NOT NULL,
        description   TEXT,
        price         REAL NOT NULL,
        compare_price REAL,
        currency      TEXT NOT NULL,
        stock         INTEGER NOT NULL,
        featured      INTEGER NOT NULL,
        category_id   TEXT NOT NULL REFERENCES categories(id) DEFERRABLE INITIALLY DEFERRED,
        images        TEXT NOT NULL,
        brand         TEXT,
        tags          TEXT NOT NULL,
        attributes    TEXT NOT NULL,
        created_at    TEXT NOT NULL,
        updated_at    TEXT NOT NULL,
        extra         TEXT NOT NULL,
        rating_avg    REAL,
        rating_count  INTEGER NOT NULL DEFAULT 0,
        content_hash  INTEGER NOT NULL,
        import_seq    INTEGER NOT NULL
    );
    CREATE INDEX products_category ON products(category_id);
    CREATE TABLE reviews (
        id           TEXT PRIMARY KEY,
        product_id   TEXT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
        user_id      TEXT,
        rating       INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
        comment      TEXT,
        created_at   TEXT NOT NULL,
        extra        TEXT NOT NULL,
        content_hash INTEGER NOT NULL
    );
    CREATE INDEX reviews_product ON reviews(product_id);
    CREATE TABLE orders (
        id                   TEXT PRIMARY KEY,
        order_number         TEXT NOT NULL,
        user_id              TEXT NOT NULL,
        email                TEXT NOT NULL,
        status               TEXT NOT NULL,
        total                REAL NOT NULL,
        created_at           TEXT NOT NULL,
        updated_at           TEXT NOT NULL,
        shipping_postal_code TEXT,
        tracking_number      TEXT,
        extra                TEXT NOT NULL,
        content_hash         INTEGER NOT NULL
    );
    CREATE TABLE order_items (
        order_id   TEXT NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
        line       INTEGER NOT NULL,
        product_id TEXT NOT NULL,
        quantity   INTEGER NOT NULL,
        price      REAL NOT NULL,
        PRIMARY KEY (order_id, line)
    );
    CREATE INDEX order_items_product ON order_items(product_id);
    CREATE TABLE wishlists (
        user_id    TEXT NOT NULL,
        product_id TEXT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        PRIMARY KEY (user_id, product_id)
    );
    "#,
    // 2: the embedding cache: one vector per (model, embedded text), so a reindex embeds only
    // texts it has not seen with this model.
    r#"
    CREATE TABLE embeddings (
        model_id  TEXT NOT NULL,
        text_hash INTEGER NOT NULL,
        vector    BLOB NOT NULL,
        PRIMARY KEY (model_id, text_hash)
    ) WITHOUT ROWID;
    "#,
    // 3: a shopper's orders are read per request by personalized recommendations.
    r#"
    CREATE INDEX orders_user ON orders(user_id, created_at);
    "#,
    // 4: Claude's answers (cache keyed on task, model, prompt version and normalised input) and
    // the log of every call (the storefront's AIInteraction), masked and truncated.
    r#"
    CREATE TABLE llm_cache (
        key        TEXT PRIMARY KEY,
        task       TEXT NOT NULL,
        value      TEXT NOT NULL,
        created_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE llm_calls (
        id            INTEGER PRIMARY KEY,
        at            INTEGER NOT NULL,
        task          TEXT NOT NULL,
        model         TEXT NOT NULL,
        input         TEXT NOT NULL,
        output        TEXT,
        input_tokens  INTEGER,
        output_tokens INTEGER,
        latency_ms    INTEGER NOT NULL,
        success       INTEGER NOT NULL,
        error         TEXT,
        cache_hit     INTEGER NOT NULL
    );
    CREATE INDEX llm_calls_at ON llm_calls(at);
    "#,
    // 5: the order lifecycle, the products' return and lead-time facts, and the store's users,
    // for the order and support tools. Stored orders and products forget their content hash so
    // that the next import fills the new columns from the lines that carry them.
    r#"
    ALTER TABLE products ADD COLUMN personalised INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE products ADD COLUMN lead_time_days INTEGER;
    ALTER TABLE orders ADD COLUMN shipping_country TEXT NOT NULL DEFAULT 'FR';
    ALTER TABLE orders ADD COLUMN carrier TEXT;
    ALTER TABLE orders ADD COLUMN paid_at TEXT;
    ALTER TABLE orders ADD COLUMN shipped_at TEXT;
    ALTER TABLE orders ADD COLUMN delivered_at TEXT;
    ALTER TABLE orders ADD COLUMN cancelled_at TEXT;
    UPDATE products SET content_hash = 0;
    UPDATE orders SET content_hash = 0;
    CREATE INDEX orders_number ON orders(order_number);
    CREATE INDEX orders_email ON orders(email);
    CREATE INDEX orders_created ON orders(created_at, id);
    CREATE INDEX orders_tracking ON orders(tracking_number);
    CREATE TABLE users (
        id           TEXT PRIMARY KEY,
        email        TEXT NOT NULL,
        name         TEXT,
        created_at   TEXT NOT NULL,
        extra        TEXT NOT NULL,
        content_hash INTEGER NOT NULL
    );
    CREATE INDEX users_email ON users(email);
    "#,
    // 6: the storefront's carts (carts.ndjson), for cart abandonment: lines as JSON, their
    // units and value computed at import.
    r#"
    CREATE TABLE carts (
        id           TEXT PRIMARY KEY,
        user_id      TEXT,
        created_at   TEXT NOT NULL,
        updated_at   TEXT NOT NULL,
        order_id     TEXT,
        units        INTEGER NOT NULL,
        value        REAL NOT NULL,
        items        TEXT NOT NULL,
        extra        TEXT NOT NULL,
        content_hash INTEGER NOT NULL
    );
    CREATE INDEX carts_created ON carts(created_at);
    "#,
    // 7: the live sync from the storefront's PostgreSQL: a watermark per source table (its
    // change column and id, or the transaction-id fence), and the rows it could not apply.
    r#"
    CREATE TABLE sync_watermarks (
        source_table TEXT PRIMARY KEY,
        changed_at   TEXT NOT NULL,
        last_id      TEXT NOT NULL
    );
    CREATE TABLE sync_errors (
        source_table TEXT NOT NULL,
        row_id       TEXT NOT NULL,
        reason       TEXT NOT NULL,
        first_seen   TEXT NOT NULL,
        last_seen    TEXT NOT NULL,
        PRIMARY KEY (source_table, row_id)
    );
    "#,
];

/// Brings the replica's schema up to the last of its migrations.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), CatalogError> {
    apply_migrations(conn, MIGRATIONS, "catalog")
}

/// Brings a database's schema up to `migrations.len()`: migration `i` (1-based) runs, in its
/// own transaction, when the file's `user_version` is below `i`. A file from a newer binary is
/// refused. `what` names the database in logs.
pub(crate) fn apply_migrations(
    conn: &mut Connection,
    migrations: &[&str],
    what: &str,
) -> Result<(), CatalogError> {
    let supported = migrations.len() as u32;
    let current: u32 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if current > supported {
        return Err(CatalogError::SchemaTooNew {
            found: current,
            supported,
        });
    }
    for (i, sql) in migrations.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as u32 + 1)?;
        tx.commit()?;
        tracing::info!(version = i + 1, database = what, "schema migrated");
    }
    Ok(())
}
