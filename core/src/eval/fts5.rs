//! The plain peer: the catalog in SQLite FTS5 (the `unicode61` tokenizer with diacritics
//! removed, BM25 ranking, the query's words OR-ed), what an engineer builds in an afternoon.
//! The same judged set runs through it for a side-by-side comparison.

use std::path::Path;

use rusqlite::Connection;

use super::{EvalHit, EvalQuery};
use crate::catalog::{Catalog, CatalogError, Product, strip_html};

/// An FTS5 index of the catalog, in memory (the evaluation) or in a file (the peers bench,
/// which measures its size and opens it from several threads).
pub struct Fts5Peer {
    conn: Connection,
}

impl Fts5Peer {
    /// Indexes every product in memory (see [`Fts5Peer::build_in`]).
    pub fn build(catalog: &Catalog) -> Result<Fts5Peer, CatalogError> {
        Fts5Peer::build_in(catalog, Connection::open_in_memory()?)
    }

    /// Indexes every product into a new database file at `path` (replaced if present).
    pub fn build_file(catalog: &Catalog, path: &Path) -> Result<Fts5Peer, CatalogError> {
        if path.exists() {
            std::fs::remove_file(path).map_err(|source| CatalogError::Io {
                path: path.to_owned(),
                source,
            })?;
        }
        Fts5Peer::build_in(catalog, Connection::open(path)?)
    }

    /// Opens an index written by [`Fts5Peer::build_file`].
    pub fn open(path: &Path) -> Result<Fts5Peer, CatalogError> {
        Ok(Fts5Peer {
            conn: Connection::open(path)?,
        })
    }

    /// Indexes every product into `conn`, in one transaction: name, category names, attribute
    /// values, brand, tags, description.
    fn build_in(catalog: &Catalog, conn: Connection) -> Result<Fts5Peer, CatalogError> {
        conn.execute_batch(
            "CREATE VIRTUAL TABLE products USING fts5(
                 id UNINDEXED, price UNINDEXED, category_path UNINDEXED,
                 name, categories, attributes, description,
                 tokenize = 'unicode61 remove_diacritics 2');",
        )?;
        let tree = catalog.category_tree()?;
        let insert = |p: &Product| -> Result<(), CatalogError> {
            let path = tree.path(&p.category_id);
            conn.execute(
                "INSERT INTO products (id, price, category_path, name, categories, attributes, description)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                rusqlite::params![
                    p.id,
                    p.price,
                    // The slugs of the category and its ancestors, for the violation check.
                    path.iter().map(|c| c.slug.as_str()).collect::<Vec<_>>().join(" "),
                    p.name,
                    path.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(" "),
                    [p.all_attribute_values(), p.brand.as_deref().into_iter().collect(), p.tags.iter().map(String::as_str).collect()]
                        .concat()
                        .join(" "),
                    p.description.as_deref().map(strip_html).unwrap_or_default(),
                ],
            )?;
            Ok(())
        };
        conn.execute_batch("BEGIN")?;
        catalog.for_each_product(|p| insert(&p))?;
        conn.execute_batch("COMMIT")?;
        Ok(Fts5Peer { conn })
    }

    /// The best `limit` products for a query, BM25 first.
    pub fn search(&self, query: &EvalQuery, limit: usize) -> Result<Vec<EvalHit>, CatalogError> {
        self.search_text(&query.text, limit)
    }

    /// The best `limit` products for a text, BM25 first.
    pub fn search_text(&self, text: &str, limit: usize) -> Result<Vec<EvalHit>, CatalogError> {
        // Each word quoted (FTS5 syntax characters are data), OR-ed.
        let words: Vec<String> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| format!("\"{w}\""))
            .collect();
        if words.is_empty() {
            return Ok(Vec::new());
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, price, category_path FROM products WHERE products MATCH ?1
              ORDER BY bm25(products) LIMIT ?2",
        )?;
        let rows = stmt.query_map(rusqlite::params![words.join(" OR "), limit as i64], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, f64>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut hits = Vec::new();
        for row in rows {
            let (id, price, path) = row?;
            hits.push(EvalHit {
                id,
                price,
                categories: path.split(' ').map(str::to_owned).collect(),
            });
        }
        Ok(hits)
    }
}
