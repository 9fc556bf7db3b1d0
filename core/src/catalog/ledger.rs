//! The replica's sales in memory for the analytics: every paid (or later) order, its lines, its
//! customer, and the carts, read once per version of the replica (`import_seq`, which every
//! import that changes something raises) and shared by every analytics answer until the next.
//! A year of sales is then a binary search and a walk over memory, not a scan of SQLite per
//! question; the first question after an import pays the read. Answers that cost more than a
//! walk (the forecast's fitting) are memoised on the ledger, so they go with it.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use super::orders::all_time;
use super::{Cart, Catalog, CatalogError, CustomerOrder, Sale, SaleLine};

/// The paid sales, lines, customers' orders and carts of one version of the replica, oldest
/// first.
pub struct Ledger {
    version: i64,
    sales: Vec<Sale>,
    lines: Vec<SaleLine>,
    customers: Vec<CustomerOrder>,
    carts: Vec<Cart>,
    memo: Mutex<HashMap<String, Arc<dyn Any + Send + Sync>>>,
}

impl Ledger {
    fn load(catalog: &Catalog, version: i64) -> Result<Ledger, CatalogError> {
        let (from, to) = all_time();
        let mut sales = catalog.paid_sales_between(from, to)?;
        sales.sort_by_key(|s| s.created_at);
        let mut lines = catalog.paid_lines_between(from, to)?;
        lines.sort_by_key(|l| l.created_at);
        let mut carts = catalog.carts_created_between(from, to)?;
        carts.sort_by_key(|c| c.created_at);
        Ok(Ledger {
            version,
            sales,
            lines,
            customers: catalog.customer_orders()?,
            carts,
            memo: Mutex::new(HashMap::new()),
        })
    }

    /// The orders paid or later created in `from..to`.
    pub fn sales_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> &[Sale] {
        span(&self.sales, from, to, |s| s.created_at)
    }

    /// Their lines.
    pub fn lines_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> &[SaleLine] {
        span(&self.lines, from, to, |l| l.created_at)
    }

    /// Every order paid or later with its customer.
    pub fn customer_orders(&self) -> &[CustomerOrder] {
        &self.customers
    }

    /// Every cart (none: the export has no carts.ndjson).
    pub fn carts(&self) -> &[Cart] {
        &self.carts
    }

    /// The carts created in `from..to`.
    pub fn carts_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> &[Cart] {
        span(&self.carts, from, to, |c| c.created_at)
    }

    /// The value `compute` gives for `key`, computed once per ledger (a failure is not kept).
    pub fn memo<T: Send + Sync + 'static, E>(
        &self,
        key: &str,
        compute: impl FnOnce() -> Result<T, E>,
    ) -> Result<Arc<T>, E> {
        let lock = || self.memo.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(found) = lock().get(key).cloned()
            && let Ok(value) = found.downcast::<T>()
        {
            return Ok(value);
        }
        // Computed outside the lock: two first askers may both compute; one answer is kept.
        let value = Arc::new(compute()?);
        lock().insert(key.to_owned(), value.clone());
        Ok(value)
    }
}

/// The items of `sorted` whose time is in `from..to`.
fn span<T>(
    sorted: &[T],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    at: impl Fn(&T) -> DateTime<Utc>,
) -> &[T] {
    let start = sorted.partition_point(|x| at(x) < from);
    let end = sorted.partition_point(|x| at(x) < to);
    &sorted[start..end.max(start)]
}

impl Catalog {
    /// The ledger of the replica as it is now: the one in memory while no import changed the
    /// replica since it was read, else a fresh read.
    pub fn ledger(&self) -> Result<Arc<Ledger>, CatalogError> {
        let version = self.watermark()?.import_seq;
        let mut held = self.ledger.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(ledger) = held.as_ref().filter(|l| l.version == version) {
            return Ok(ledger.clone());
        }
        let ledger = Arc::new(Ledger::load(self, version)?);
        *held = Some(ledger.clone());
        Ok(ledger)
    }
}
