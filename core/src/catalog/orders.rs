//! The store's orders and users as the order and support tools read them.
//!
//! Every read that can reach one customer's order takes an [`OrderScope`]: a customer's scope
//! is part of the SQL (`user_id = ?`), so another customer's order is not found the same way
//! an unknown one is not found (the same statement, the same answer). Only
//! [`OrderScope::Staff`] reads across customers; [`Catalog::search_orders`] has no scope
//! because it is a staff search by construction (the caller checks the scope first).

use rusqlite::{OptionalExtension, Row, params_from_iter, types::Value as SqlValue};

use super::{Catalog, CatalogError};

/// Whose orders a read may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderScope<'a> {
    /// One customer's orders only: the user id of their token.
    Customer(&'a str),
    /// Every order (a staff token).
    Staff,
}

/// An order's status, as the storefront's `OrderStatus` enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OrderStatus {
    /// Created, not paid.
    Pending,
    /// Paid.
    Paid,
    /// Being prepared.
    Processing,
    /// Handed to the carrier.
    Shipped,
    /// Received by the customer.
    Delivered,
    /// Cancelled.
    Cancelled,
}

impl OrderStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [OrderStatus; 6] = [
        OrderStatus::Pending,
        OrderStatus::Paid,
        OrderStatus::Processing,
        OrderStatus::Shipped,
        OrderStatus::Delivered,
        OrderStatus::Cancelled,
    ];

    /// The status as exported (`PENDING`...).
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "PENDING",
            OrderStatus::Paid => "PAID",
            OrderStatus::Processing => "PROCESSING",
            OrderStatus::Shipped => "SHIPPED",
            OrderStatus::Delivered => "DELIVERED",
            OrderStatus::Cancelled => "CANCELLED",
        }
    }

    /// The status from its exported name, case-insensitively.
    pub fn parse(name: &str) -> Option<OrderStatus> {
        OrderStatus::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(name.trim()))
    }

    /// The status in French, for a customer.
    pub fn label(self) -> &'static str {
        match self {
            OrderStatus::Pending => "en attente de paiement",
            OrderStatus::Paid => "payée",
            OrderStatus::Processing => "en préparation",
            OrderStatus::Shipped => "expédiée",
            OrderStatus::Delivered => "livrée",
            OrderStatus::Cancelled => "annulée",
        }
    }
}

/// One line of an order, with what the catalog says of its product today.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderLine {
    /// The product's id as ordered.
    pub product_id: String,
    /// Units ordered.
    pub quantity: u32,
    /// Price paid per unit, in euros.
    pub unit_price: f64,
    /// The product as the catalog holds it now; `None` when it is no longer sold.
    pub product: Option<LineProduct>,
}

/// What the catalog says of an ordered product.
#[derive(Debug, Clone, PartialEq)]
pub struct LineProduct {
    /// Display name.
    pub name: String,
    /// URL slug.
    pub slug: String,
    /// Units in stock now.
    pub stock: i64,
    /// Personalised goods (no withdrawal right).
    pub personalised: bool,
    /// Days before it ships, when it is made to order.
    pub lead_time_days: Option<u32>,
}

/// An order of the replica.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    /// Storefront id.
    pub id: String,
    /// The number the customer quotes (`ORD-…`).
    pub number: String,
    /// The customer's user id.
    pub user_id: String,
    /// The customer's e-mail (personal data: shown to staff only, never logged).
    pub email: String,
    /// Status.
    pub status: OrderStatus,
    /// Total paid, in euros.
    pub total: f64,
    /// RFC 3339 times of its lifecycle.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
    /// Payment.
    pub paid_at: Option<String>,
    /// Handed to the carrier.
    pub shipped_at: Option<String>,
    /// Received.
    pub delivered_at: Option<String>,
    /// Cancelled.
    pub cancelled_at: Option<String>,
    /// Delivery country (ISO 3166-1 alpha-2).
    pub country: String,
    /// Delivery postal code.
    pub postal_code: Option<String>,
    /// Carrier, once shipped.
    pub carrier: Option<String>,
    /// Tracking number, once shipped.
    pub tracking_number: Option<String>,
    /// Its lines, in order.
    pub lines: Vec<OrderLine>,
}

/// A staff search over every order: each bound optional, newest first, a page at a time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OrderQuery {
    /// Created on or after this RFC 3339 time or date.
    pub created_from: Option<String>,
    /// Created before this RFC 3339 time (exclusive).
    pub created_before: Option<String>,
    /// Total at least, in euros.
    pub min_total: Option<f64>,
    /// Total at most, in euros.
    pub max_total: Option<f64>,
    /// This status only.
    pub status: Option<OrderStatus>,
    /// This customer e-mail only (exact, case-insensitive).
    pub email: Option<String>,
    /// These order numbers only.
    pub numbers: Option<Vec<String>>,
    /// Orders per page.
    pub limit: u32,
    /// The last order of the previous page: `(created_at, id)`.
    pub after: Option<(String, String)>,
}

/// A customer of the store.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    /// Storefront id.
    pub id: String,
    /// E-mail.
    pub email: String,
    /// Display name.
    pub name: Option<String>,
    /// RFC 3339 sign-up time.
    pub created_at: String,
}

const ORDER_COLUMNS: &str =
    "id, order_number, user_id, email, status, total, created_at, updated_at,
    paid_at, shipped_at, delivered_at, cancelled_at, shipping_country, shipping_postal_code,
    carrier, tracking_number";

fn order_row(row: &Row) -> rusqlite::Result<Order> {
    let status: String = row.get(4)?;
    Ok(Order {
        id: row.get(0)?,
        number: row.get(1)?,
        user_id: row.get(2)?,
        email: row.get(3)?,
        // The import accepts the six statuses only.
        status: OrderStatus::parse(&status).unwrap_or(OrderStatus::Pending),
        total: row.get(5)?,
        created_at: row.get(6)?,
        updated_at: row.get(7)?,
        paid_at: row.get(8)?,
        shipped_at: row.get(9)?,
        delivered_at: row.get(10)?,
        cancelled_at: row.get(11)?,
        country: row.get(12)?,
        postal_code: row.get(13)?,
        carrier: row.get(14)?,
        tracking_number: row.get(15)?,
        lines: Vec::new(),
    })
}

/// The scope as SQL: a condition on `user_id` and its one parameter (staff: always true).
fn scope_sql(scope: OrderScope) -> (&'static str, SqlValue) {
    match scope {
        OrderScope::Customer(user) => ("user_id = ?", SqlValue::Text(user.to_owned())),
        OrderScope::Staff => ("?1 IS NOT NULL", SqlValue::Integer(1)),
    }
}

impl Catalog {
    /// The order whose id or number is `reference`, if `scope` may see it. A customer asking
    /// for another customer's order gets `None`, exactly as for an order that does not exist.
    pub fn order(&self, reference: &str, scope: OrderScope) -> Result<Option<Order>, CatalogError> {
        let conn = self.reader()?;
        // One statement whatever the scope and whether the reference is an id or a number:
        // both columns are indexed, and the scope filters the row found.
        let (owner, param) = match scope {
            OrderScope::Customer(user) => ("user_id = ?2", SqlValue::Text(user.to_owned())),
            OrderScope::Staff => ("?2 IS NOT NULL", SqlValue::Integer(1)),
        };
        let sql = format!(
            "SELECT {ORDER_COLUMNS} FROM orders
              WHERE (id = ?1 OR order_number = ?3) AND {owner}
              LIMIT 1"
        );
        let number = reference.trim().to_ascii_uppercase();
        let order = conn
            .prepare_cached(&sql)?
            .query_row(
                rusqlite::params![reference.trim(), param, number],
                order_row,
            )
            .optional()?;
        drop(conn);
        order.map(|o| self.with_lines(o)).transpose()
    }

    /// The order shipped with `tracking_number`, if `scope` may see it.
    pub fn order_by_tracking(
        &self,
        tracking_number: &str,
        scope: OrderScope,
    ) -> Result<Option<Order>, CatalogError> {
        let conn = self.reader()?;
        let (owner, param) = scope_sql(scope);
        let sql = format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE tracking_number = ? AND {owner} LIMIT 1"
        );
        let order = conn
            .prepare_cached(&sql)?
            .query_row(
                params_from_iter([SqlValue::Text(tracking_number.trim().to_owned()), param]),
                order_row,
            )
            .optional()?;
        drop(conn);
        order.map(|o| self.with_lines(o)).transpose()
    }

    /// A customer's orders, newest first, with their lines.
    pub fn orders_of(
        &self,
        user_id: &str,
        status: Option<OrderStatus>,
        limit: u32,
    ) -> Result<Vec<Order>, CatalogError> {
        let orders = {
            let conn = self.reader()?;
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {ORDER_COLUMNS} FROM orders
                  WHERE user_id = ?1 AND (?2 IS NULL OR status = ?2)
                  ORDER BY created_at DESC, id DESC LIMIT ?3"
            ))?;
            stmt.query_map(
                rusqlite::params![user_id, status.map(OrderStatus::as_str), limit],
                order_row,
            )?
            .collect::<Result<Vec<_>, _>>()?
        };
        orders.into_iter().map(|o| self.with_lines(o)).collect()
    }

    /// Orders across customers matching `query` (a staff search), newest first.
    pub fn search_orders(&self, query: &OrderQuery) -> Result<Vec<Order>, CatalogError> {
        let mut sql = format!("SELECT {ORDER_COLUMNS} FROM orders WHERE 1 = 1");
        let mut params: Vec<SqlValue> = Vec::new();
        let text = |s: &str| SqlValue::Text(s.trim().to_owned());
        if let Some(from) = &query.created_from {
            sql.push_str(" AND created_at >= ?");
            params.push(text(from));
        }
        if let Some(before) = &query.created_before {
            sql.push_str(" AND created_at < ?");
            params.push(text(before));
        }
        if let Some(min) = query.min_total {
            sql.push_str(" AND total >= ?");
            params.push(SqlValue::Real(min));
        }
        if let Some(max) = query.max_total {
            sql.push_str(" AND total <= ?");
            params.push(SqlValue::Real(max));
        }
        if let Some(status) = query.status {
            sql.push_str(" AND status = ?");
            params.push(text(status.as_str()));
        }
        if let Some(email) = &query.email {
            sql.push_str(" AND email = ? COLLATE NOCASE");
            params.push(text(email));
        }
        if let Some(numbers) = &query.numbers {
            // An empty list matches nothing (`IN (NULL)`).
            let marks = vec!["?"; numbers.len().max(1)].join(", ");
            sql.push_str(&format!(" AND order_number IN ({marks})"));
            if numbers.is_empty() {
                params.push(SqlValue::Null);
            }
            params.extend(numbers.iter().map(|n| text(n)));
        }
        if let Some((created_at, id)) = &query.after {
            sql.push_str(" AND (created_at < ? OR (created_at = ? AND id < ?))");
            params.extend([text(created_at), text(created_at), text(id)]);
        }
        sql.push_str(" ORDER BY created_at DESC, id DESC LIMIT ?");
        params.push(SqlValue::Integer(i64::from(query.limit)));
        let orders = {
            let conn = self.reader()?;
            let mut stmt = conn.prepare(&sql)?;
            stmt.query_map(params_from_iter(params), order_row)?
                .collect::<Result<Vec<_>, _>>()?
        };
        orders.into_iter().map(|o| self.with_lines(o)).collect()
    }

    /// The user `id`, if the export had them.
    pub fn user(&self, id: &str) -> Result<Option<User>, CatalogError> {
        let conn = self.reader()?;
        Ok(conn
            .prepare_cached("SELECT id, email, name, created_at FROM users WHERE id = ?1")?
            .query_row([id], |r| {
                Ok(User {
                    id: r.get(0)?,
                    email: r.get(1)?,
                    name: r.get(2)?,
                    created_at: r.get(3)?,
                })
            })
            .optional()?)
    }

    /// `order` with its lines and what the catalog says of their products now.
    fn with_lines(&self, mut order: Order) -> Result<Order, CatalogError> {
        let conn = self.reader()?;
        let mut stmt = conn.prepare_cached(
            "SELECT i.product_id, i.quantity, i.price, p.name, p.slug, p.stock, p.personalised,
                    p.lead_time_days
               FROM order_items i LEFT JOIN products p ON p.id = i.product_id
              WHERE i.order_id = ?1 ORDER BY i.line",
        )?;
        order.lines = stmt
            .query_map([&order.id], |r| {
                let name: Option<String> = r.get(3)?;
                Ok(OrderLine {
                    product_id: r.get(0)?,
                    quantity: u32::try_from(r.get::<_, i64>(1)?).unwrap_or(u32::MAX),
                    unit_price: r.get(2)?,
                    product: match name {
                        None => None,
                        Some(name) => Some(LineProduct {
                            name,
                            slug: r.get(4)?,
                            stock: r.get(5)?,
                            personalised: r.get(6)?,
                            lead_time_days: r
                                .get::<_, Option<i64>>(7)?
                                .and_then(|d| u32::try_from(d).ok()),
                        }),
                    },
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(order)
    }
}

/// The widest span the replica's times fall in, for reads of all history.
pub(crate) fn all_time() -> (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) {
    let at = |s: &str| {
        chrono::DateTime::parse_from_rfc3339(s)
            .expect("a valid time")
            .to_utc()
    };
    (at("1970-01-01T00:00:00Z"), at("9000-01-01T00:00:00Z"))
}

/// A paid (or later) order by its customer, for cohorts and lifetime value.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerOrder {
    /// The customer's user id.
    pub user_id: String,
    /// When it was placed.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Its total, in euros.
    pub total: f64,
}

/// A storefront cart (carts.ndjson).
#[derive(Debug, Clone, PartialEq)]
pub struct Cart {
    /// When it was created.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// When it last changed.
    pub updated_at: chrono::DateTime<chrono::Utc>,
    /// Whether it became an order.
    pub ordered: bool,
    /// Its units.
    pub units: u64,
    /// Its value, in euros.
    pub value: f64,
    /// The products in it.
    pub product_ids: Vec<String>,
}

impl Catalog {
    /// Every order paid or later, oldest first, with its customer (for the ledger).
    pub(crate) fn customer_orders(&self) -> Result<Vec<CustomerOrder>, CatalogError> {
        let (from, to) = all_time();
        let mut orders = self.paid_between(
            "SELECT o.created_at, o.user_id, o.total FROM orders o",
            from,
            to,
            |created_at, r| {
                Ok(CustomerOrder {
                    user_id: r.get(1)?,
                    created_at,
                    total: r.get(2)?,
                })
            },
        )?;
        orders.sort_by_key(|o| o.created_at);
        Ok(orders)
    }

    /// The carts created in `from..to` (the ledger reads them all).
    pub(crate) fn carts_created_between(
        &self,
        from: chrono::DateTime<chrono::Utc>,
        to: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<Cart>, CatalogError> {
        let text = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let margin = chrono::Duration::days(1);
        let conn = self.reader()?;
        let mut stmt = conn.prepare_cached(
            "SELECT created_at, updated_at, order_id IS NOT NULL, units, value, items FROM carts
              WHERE created_at >= ?1 AND created_at < ?2",
        )?;
        let mut rows = stmt.query([text(from - margin), text(to + margin)])?;
        let mut carts = Vec::new();
        while let Some(r) = rows.next()? {
            let parse = |i: usize| -> rusqlite::Result<Option<chrono::DateTime<chrono::Utc>>> {
                let s: String = r.get(i)?;
                Ok(chrono::DateTime::parse_from_rfc3339(&s)
                    .ok()
                    .map(|t| t.to_utc()))
            };
            let (Some(created_at), Some(updated_at)) = (parse(0)?, parse(1)?) else {
                continue;
            };
            if created_at < from || created_at >= to {
                continue;
            }
            let items: Vec<serde_json::Value> =
                serde_json::from_str(&r.get::<_, String>(5)?).unwrap_or_default();
            carts.push(Cart {
                created_at,
                updated_at,
                ordered: r.get(2)?,
                units: u64::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
                value: r.get(4)?,
                product_ids: items
                    .iter()
                    .filter_map(|i| i["productId"].as_str().map(str::to_owned))
                    .collect(),
            });
        }
        Ok(carts)
    }
}

/// An order that counts as revenue (paid or later).
#[derive(Debug, Clone, PartialEq)]
pub struct Sale {
    /// When it was placed.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Its total, in euros.
    pub total: f64,
    /// Units ordered.
    pub units: u64,
}

impl Catalog {
    /// The orders paid or later (`PAID`, `PROCESSING`, `SHIPPED`, `DELIVERED`) created in
    /// `from..to` (the ledger reads them all).
    pub(crate) fn paid_sales_between(
        &self,
        from: chrono::DateTime<chrono::Utc>,
        to: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<Sale>, CatalogError> {
        self.paid_between(
            "SELECT o.created_at, o.total,
                    COALESCE((SELECT sum(i.quantity) FROM order_items i WHERE i.order_id = o.id), 0)
               FROM orders o",
            from,
            to,
            |created_at, r| {
                Ok(Sale {
                    created_at,
                    total: r.get(1)?,
                    units: u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
                })
            },
        )
    }

    /// The rows of `select` (whose first column is `o.created_at`, `o` the orders) for the
    /// orders paid or later created in `from..to`. Stored times are RFC 3339 text: SQLite
    /// selects with a day's margin (any offset), then each time is parsed and compared exactly.
    fn paid_between<T>(
        &self,
        select: &str,
        from: chrono::DateTime<chrono::Utc>,
        to: chrono::DateTime<chrono::Utc>,
        row: impl Fn(chrono::DateTime<chrono::Utc>, &Row) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, CatalogError> {
        let text = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let margin = chrono::Duration::days(1);
        let conn = self.reader()?;
        let mut stmt = conn.prepare_cached(&format!(
            "{select}
              WHERE o.status IN ('PAID', 'PROCESSING', 'SHIPPED', 'DELIVERED')
                AND o.created_at >= ?1 AND o.created_at < ?2"
        ))?;
        let mut rows = stmt.query([text(from - margin), text(to + margin)])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let created: String = r.get(0)?;
            let Ok(at) = chrono::DateTime::parse_from_rfc3339(&created) else {
                continue;
            };
            let at = at.to_utc();
            if at >= from && at < to {
                out.push(row(at, r)?);
            }
        }
        Ok(out)
    }
}

/// One line of an order that counts as revenue.
#[derive(Debug, Clone, PartialEq)]
pub struct SaleLine {
    /// When the order was placed.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// The product.
    pub product_id: String,
    /// Units.
    pub quantity: u64,
    /// Units times the price paid, in euros.
    pub revenue: f64,
}

impl Catalog {
    /// The lines of the orders paid or later created in `from..to` (the same selection as
    /// [`Catalog::paid_sales_between`]; the ledger reads them all).
    pub(crate) fn paid_lines_between(
        &self,
        from: chrono::DateTime<chrono::Utc>,
        to: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<SaleLine>, CatalogError> {
        self.paid_between(
            "SELECT o.created_at, i.product_id, i.quantity, i.price
               FROM orders o JOIN order_items i ON i.order_id = o.id",
            from,
            to,
            |created_at, r| {
                let quantity = u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0);
                Ok(SaleLine {
                    created_at,
                    product_id: r.get(1)?,
                    quantity,
                    revenue: r.get::<_, f64>(3)? * quantity as f64,
                })
            },
        )
    }
}

/// A product's stock, for inventory insights.
#[derive(Debug, Clone, PartialEq)]
pub struct StockLevel {
    /// The product.
    pub product_id: String,
    /// Its name.
    pub name: String,
    /// Its category id.
    pub category_id: String,
    /// Units in stock.
    pub stock: i64,
    /// Days before it ships when made to order.
    pub lead_time_days: Option<u32>,
}

impl Catalog {
    /// Every product's stock level, in id order.
    pub fn stock_levels(&self) -> Result<Vec<StockLevel>, CatalogError> {
        let conn = self.reader()?;
        let mut stmt = conn.prepare_cached(
            "SELECT id, name, category_id, stock, lead_time_days FROM products ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(StockLevel {
                product_id: r.get(0)?,
                name: r.get(1)?,
                category_id: r.get(2)?,
                stock: r.get(3)?,
                lead_time_days: r
                    .get::<_, Option<i64>>(4)?
                    .and_then(|d| u32::try_from(d).ok()),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
