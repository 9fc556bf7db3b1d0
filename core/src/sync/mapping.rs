//! Where the export contract's fields live in the store's PostgreSQL database, and the SQL that
//! reads a row as one contract line.
//!
//! A row is read as the JSON object an NDJSON export would hold for it, built by PostgreSQL
//! (`json_build_object`), so that it goes through the import's own validation and upserts: one
//! mapping serves the export and the sync. Column names default to the contract's field names
//! (`tools/storefront/schema.sql`); a store whose names differ maps them in `[sync.tables]`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::catalog::Entity;

/// The store's tables read by the sync: one per entity, plus the items of orders and carts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Table {
    /// An entity's own table.
    Entity(Entity),
    /// The lines of an order.
    OrderItems,
    /// The lines of a cart.
    CartItems,
}

impl Table {
    /// Every table, entities first in import order.
    pub const ALL: [Table; 9] = [
        Table::Entity(Entity::Categories),
        Table::Entity(Entity::Products),
        Table::Entity(Entity::Reviews),
        Table::Entity(Entity::Orders),
        Table::Entity(Entity::Wishlists),
        Table::Entity(Entity::Users),
        Table::Entity(Entity::Carts),
        Table::OrderItems,
        Table::CartItems,
    ];

    /// The configuration key (`[sync.tables.<key>]`).
    pub fn key(self) -> &'static str {
        match self {
            Table::Entity(e) => e.key(),
            Table::OrderItems => "order_items",
            Table::CartItems => "cart_items",
        }
    }

    /// The table's name in Prisma's conventions.
    fn default_name(self) -> &'static str {
        match self {
            Table::Entity(Entity::Categories) => "Category",
            Table::Entity(Entity::Products) => "Product",
            Table::Entity(Entity::Reviews) => "Review",
            Table::Entity(Entity::Orders) => "Order",
            Table::Entity(Entity::Wishlists) => "Wishlist",
            Table::Entity(Entity::Users) => "User",
            Table::Entity(Entity::Carts) => "Cart",
            Table::OrderItems => "OrderItem",
            Table::CartItems => "CartItem",
        }
    }

    /// The fields read from this table: the contract's, then the sync's own.
    fn fields(self) -> &'static [Field] {
        match self {
            Table::Entity(Entity::Categories) => CATEGORIES_FIELDS,
            Table::Entity(Entity::Products) => PRODUCTS_FIELDS,
            Table::Entity(Entity::Reviews) => REVIEWS_FIELDS,
            Table::Entity(Entity::Orders) => ORDERS_FIELDS,
            Table::Entity(Entity::Wishlists) => WISHLISTS_FIELDS,
            Table::Entity(Entity::Users) => USERS_FIELDS,
            Table::Entity(Entity::Carts) => CARTS_FIELDS,
            Table::OrderItems => ORDER_ITEMS_FIELDS,
            Table::CartItems => CART_ITEMS_FIELDS,
        }
    }

    /// The column whose value orders changes: `updatedAt`, or a wishlist's `createdAt` (an
    /// entry is only created or deleted); items have none (their order or cart does).
    fn change_field(self) -> Option<&'static str> {
        match self {
            Table::Entity(Entity::Wishlists) => Some("createdAt"),
            Table::Entity(_) => Some("updatedAt"),
            Table::OrderItems | Table::CartItems => None,
        }
    }
}

/// How a field's column becomes JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Text (an enum's label too): as is.
    Text,
    /// An integer, boolean, text array or JSON: as PostgreSQL converts it.
    Plain,
    /// A `Decimal`: as the JSON number PostgreSQL writes (`30.00`), read as a float like an
    /// export's `30.0`, so that both hash alike.
    Number,
    /// A timestamp (UTC): RFC 3339, milliseconds only when there are some.
    Time,
    /// Read for change capture only (`updatedAt` where the contract has none), not a field.
    Change,
    /// `deletedAt`: a set value makes the line a tombstone.
    Deleted,
    /// The lines of an order or a cart, from their table.
    Items(Table),
    /// An item's order or cart.
    Parent,
}

#[derive(Debug, Clone, Copy)]
struct Field {
    name: &'static str,
    kind: Kind,
}

const fn f(name: &'static str, kind: Kind) -> Field {
    Field { name, kind }
}

use Kind::*;

const CATEGORIES_FIELDS: &[Field] = &[
    f("id", Text),
    f("slug", Text),
    f("name", Text),
    f("parentId", Text),
    f("description", Text),
    f("updatedAt", Change),
];

const PRODUCTS_FIELDS: &[Field] = &[
    f("id", Text),
    f("slug", Text),
    f("name", Text),
    f("description", Text),
    f("price", Number),
    f("comparePrice", Number),
    f("currency", Text),
    f("stock", Plain),
    f("featured", Plain),
    f("categoryId", Text),
    f("images", Plain),
    f("brand", Text),
    f("tags", Plain),
    f("attributes", Plain),
    f("createdAt", Time),
    f("updatedAt", Time),
    f("personalised", Plain),
    f("leadTimeDays", Plain),
    f("cost", Number),
    // Not in the contract: kept with the product's other fields, as an export's would be.
    f("productType", Text),
    f("deletedAt", Deleted),
];

const REVIEWS_FIELDS: &[Field] = &[
    f("id", Text),
    f("productId", Text),
    f("userId", Text),
    f("rating", Plain),
    f("comment", Text),
    f("createdAt", Time),
    f("updatedAt", Change),
];

const ORDERS_FIELDS: &[Field] = &[
    f("id", Text),
    f("orderNumber", Text),
    f("userId", Text),
    f("email", Text),
    f("status", Text),
    f("total", Number),
    f("createdAt", Time),
    f("updatedAt", Time),
    f("shippingPostalCode", Text),
    f("trackingNumber", Text),
    f("shippingCountry", Text),
    f("carrier", Text),
    f("paidAt", Time),
    f("shippedAt", Time),
    f("deliveredAt", Time),
    f("cancelledAt", Time),
    f("items", Items(Table::OrderItems)),
];

const WISHLISTS_FIELDS: &[Field] = &[
    f("id", Change),
    f("userId", Text),
    f("productId", Text),
    f("createdAt", Time),
];

const USERS_FIELDS: &[Field] = &[
    f("id", Text),
    f("email", Text),
    f("name", Text),
    f("createdAt", Time),
    f("updatedAt", Change),
];

const CARTS_FIELDS: &[Field] = &[
    f("id", Text),
    f("userId", Text),
    f("createdAt", Time),
    f("updatedAt", Time),
    f("orderId", Text),
    f("items", Items(Table::CartItems)),
];

const ORDER_ITEMS_FIELDS: &[Field] = &[
    f("id", Change),
    f("orderId", Parent),
    f("productId", Text),
    f("quantity", Plain),
    f("price", Number),
];

const CART_ITEMS_FIELDS: &[Field] = &[
    f("id", Change),
    f("cartId", Parent),
    f("productId", Text),
    f("quantity", Plain),
    f("price", Number),
];

/// The names of one table in the store's database.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TableName {
    /// The table (`"Product"`, `"shop.produits"`); default: Prisma's model name.
    pub table: Option<String>,
    /// Contract field → column, for the columns named otherwise; a column mapped to `""` does
    /// not exist in this store (only for optional fields: `cost`, `deletedAt`...).
    pub columns: BTreeMap<String, String>,
}

/// The store's table and column names (`[sync.tables.<entity>]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[allow(missing_docs)]
pub struct TableNames {
    pub categories: TableName,
    pub products: TableName,
    pub reviews: TableName,
    pub orders: TableName,
    pub order_items: TableName,
    pub wishlists: TableName,
    pub users: TableName,
    pub carts: TableName,
    pub cart_items: TableName,
}

/// Fields the sync cannot do without.
const REQUIRED: [&str; 4] = ["id", "updatedAt", "orderId", "cartId"];

impl TableNames {
    fn get(&self, table: Table) -> &TableName {
        match table {
            Table::Entity(Entity::Categories) => &self.categories,
            Table::Entity(Entity::Products) => &self.products,
            Table::Entity(Entity::Reviews) => &self.reviews,
            Table::Entity(Entity::Orders) => &self.orders,
            Table::Entity(Entity::Wishlists) => &self.wishlists,
            Table::Entity(Entity::Users) => &self.users,
            Table::Entity(Entity::Carts) => &self.carts,
            Table::OrderItems => &self.order_items,
            Table::CartItems => &self.cart_items,
        }
    }

    /// Every mapped field is a field of its table, and no key field is unmapped.
    pub fn check(&self) -> Result<(), String> {
        for table in Table::ALL {
            let names = self.get(table);
            for (field, column) in &names.columns {
                if !table.fields().iter().any(|f| f.name == field) {
                    let known: Vec<&str> = table.fields().iter().map(|f| f.name).collect();
                    return Err(format!(
                        "[sync.tables.{}] maps {field:?}, which is not one of {}",
                        table.key(),
                        known.join(", ")
                    ));
                }
                if column.is_empty()
                    && (REQUIRED.contains(&field.as_str())
                        || Some(field.as_str()) == table.change_field())
                {
                    return Err(format!(
                        "[sync.tables.{}]: {field:?} cannot be left out",
                        table.key()
                    ));
                }
            }
            if names.table.as_deref() == Some("") {
                return Err(format!("[sync.tables.{}]: table is empty", table.key()));
            }
        }
        Ok(())
    }

    /// The table's name as the store's database writes it (unquoted, as `pg_class` holds it).
    pub fn table_name(&self, table: Table) -> &str {
        let name = self.configured(table);
        name.rsplit('.').next().unwrap_or(name)
    }

    /// The table's name as configured: `Product`, or `shop.produits` with its schema.
    pub fn configured(&self, table: Table) -> &str {
        self.get(table)
            .table
            .as_deref()
            .unwrap_or(table.default_name())
    }

    /// The table a tombstone names: the triggers write `TG_TABLE_NAME` for a table of the
    /// `public` schema and `schema.table` otherwise.
    pub(crate) fn by_tombstone_name(&self, name: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|&t| {
            let configured = self.configured(t);
            configured == name || configured.strip_prefix("public.") == Some(name)
        })
    }

    /// The table, quoted for SQL (`"shop"."Product"`).
    pub(crate) fn quoted(&self, table: Table) -> String {
        let name = self.get(table).table.as_deref();
        name.unwrap_or(table.default_name())
            .split('.')
            .map(quote)
            .collect::<Vec<_>>()
            .join(".")
    }

    /// The column of `field`, quoted and prefixed with `alias`; `None` when the store has none.
    fn column(&self, table: Table, field: &str, alias: &str) -> Option<String> {
        match self.get(table).columns.get(field) {
            Some(column) if column.is_empty() => None,
            Some(column) => Some(format!("{alias}.{}", quote(column))),
            None => Some(format!("{alias}.{}", quote(field))),
        }
    }

    /// The expression of one row as a contract line (JSON text).
    fn line_json(&self, table: Table, alias: &str) -> String {
        let mut pairs = Vec::new();
        let mut deleted = None;
        for field in table.fields() {
            let Some(column) = self.column(table, field.name, alias) else {
                continue;
            };
            let value = match field.kind {
                Kind::Text | Kind::Plain | Kind::Number => column,
                Kind::Time => rfc3339(&column),
                Kind::Items(items) => self.items_json(items, alias),
                Kind::Deleted => {
                    deleted = Some(column);
                    continue;
                }
                Kind::Change | Kind::Parent => continue,
            };
            pairs.push(format!("'{}', {value}", field.name));
        }
        let object = format!("json_build_object({})", pairs.join(", "));
        match deleted {
            Some(deleted) => {
                let id = self.column(table, "id", alias).expect("id is mapped");
                format!(
                    "CASE WHEN {deleted} IS NOT NULL THEN json_build_object('id', {id}, 'deleted', true) ELSE {object} END"
                )
            }
            None => object,
        }
    }

    /// The lines of the order or cart `alias` as a JSON array, in the items' id order.
    fn items_json(&self, items: Table, parent_alias: &str) -> String {
        let parent_field = match items {
            Table::CartItems => "cartId",
            _ => "orderId",
        };
        let parent_id = self.column(
            Table::Entity(match items {
                Table::CartItems => Entity::Carts,
                _ => Entity::Orders,
            }),
            "id",
            parent_alias,
        );
        let column = |f: &str| {
            self.column(items, f, "i")
                .expect("checked: items are mapped")
        };
        format!(
            "COALESCE((SELECT json_agg(json_build_object('productId', {}, 'quantity', {}, 'price', {}) ORDER BY {}) FROM {} i WHERE {} = {}), '[]'::json)",
            column("productId"),
            column("quantity"),
            column("price"),
            column("id"),
            self.quoted(items),
            column(parent_field),
            parent_id.expect("id is mapped"),
        )
    }

    /// A query for rows of `table`: `(id, change as RFC 3339 with microseconds, line JSON)`.
    /// Its parameters depend on `read`.
    pub(crate) fn select(&self, table: Table, read: Read) -> String {
        let t = "t";
        let id = self.column(table, "id", t).expect("id is mapped");
        // Items have no change column: they are read by transaction id only.
        let change = table
            .change_field()
            .map(|f| {
                self.column(table, f, t)
                    .expect("checked: the change column is mapped")
            })
            .unwrap_or_else(|| "NULL::timestamp".to_owned());
        let change_text = format!("to_char({change}, 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')");
        let line = match table {
            Table::Entity(_) => self.line_json(table, t),
            // Items are read for the order or cart they belong to.
            Table::OrderItems | Table::CartItems => {
                let parent = match table {
                    Table::CartItems => "cartId",
                    _ => "orderId",
                };
                format!(
                    "json_build_object('parent', {})",
                    self.column(table, parent, t).expect("checked")
                )
            }
        };
        let from = self.quoted(table);
        let select = format!("SELECT {id}::text, {change_text}, ({line})::text FROM {from} {t}");
        match read {
            // $1: the last id of the previous page ('' at first), $2: rows.
            Read::All => format!("{select} WHERE {id} > $1 ORDER BY {id} LIMIT $2"),
            // $1: the fence, $2: the last id, $3: rows.
            Read::SinceXid => format!(
                "{select} WHERE {t}.\"vivrXid\" >= $1::text::xid8 AND {id} > $2 ORDER BY {id} LIMIT $3"
            ),
            // $1: the watermark's time, $2: its id, $3: rows.
            Read::SinceChange => format!(
                "{select} WHERE ({change}, {id}) > ($1::text::timestamptz, $2) ORDER BY {change}, {id} LIMIT $3"
            ),
            // $1: the ids (text[]).
            Read::Ids => format!("{select} WHERE {id} = ANY($1)"),
        }
    }
}

/// Which rows a query reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Read {
    /// Every row, by id (the first sync, a reconcile).
    All,
    /// The rows written by transactions at or after a fence (with the triggers).
    SinceXid,
    /// The rows whose change column is past a watermark (without the triggers).
    SinceChange,
    /// Given rows (the orders and carts whose items changed).
    Ids,
}

/// An identifier, quoted for SQL.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A UTC timestamp column as RFC 3339 text ("2024-11-06T01:15:34Z", ".250" when it has
/// milliseconds), as exports write them; NULL stays NULL. The session's time zone is UTC, so
/// a `timestamptz` column reads the same.
fn rfc3339(column: &str) -> String {
    format!(
        "to_char({column}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN date_trunc('second', {column}) = {column} THEN '' ELSE to_char({column}, '.MS') END || 'Z'"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_names_follow_prisma_and_the_contract() {
        let names = TableNames::default();
        let sql = names.select(Table::Entity(Entity::Products), Read::All);
        assert!(sql.contains("FROM \"Product\" t"), "{sql}");
        assert!(sql.contains("'comparePrice', t.\"comparePrice\","), "{sql}");
        assert!(
            sql.contains("CASE WHEN t.\"deletedAt\" IS NOT NULL"),
            "{sql}"
        );
        let orders = names.select(Table::Entity(Entity::Orders), Read::SinceChange);
        assert!(orders.contains("FROM \"OrderItem\" i WHERE i.\"orderId\" = t.\"id\""));
        assert!(orders.contains("(t.\"updatedAt\", t.\"id\") > ($1::text::timestamptz, $2)"));
    }

    #[test]
    fn a_store_maps_its_own_names() {
        let mut names = TableNames::default();
        names.products.table = Some("boutique.produits".to_owned());
        names.products.columns.insert("price".into(), "prix".into());
        names.products.columns.insert("cost".into(), String::new());
        names.check().unwrap();
        let sql = names.select(Table::Entity(Entity::Products), Read::Ids);
        assert!(sql.contains("FROM \"boutique\".\"produits\" t"), "{sql}");
        assert!(sql.contains("'price', t.\"prix\""), "{sql}");
        assert!(!sql.contains("'cost'"), "{sql}");
        assert_eq!(
            names.table_name(Table::Entity(Entity::Products)),
            "produits"
        );
        // Tombstones name a table outside `public` with its schema.
        assert_eq!(
            names.by_tombstone_name("boutique.produits"),
            Some(Table::Entity(Entity::Products))
        );
        assert_eq!(names.by_tombstone_name("produits"), None);
        assert_eq!(
            names.by_tombstone_name("Review"),
            Some(Table::Entity(Entity::Reviews))
        );
    }

    #[test]
    fn unknown_or_missing_key_fields_are_refused() {
        let mut names = TableNames::default();
        names.users.columns.insert("phone".into(), "tel".into());
        assert!(names.check().unwrap_err().contains("phone"));
        let mut names = TableNames::default();
        names.orders.columns.insert("id".into(), String::new());
        assert!(names.check().is_err());
    }
}
