//! The order-management tools: an order's status, a customer's orders, the delivery estimate,
//! an order's lines, and the staff's order search.
//!
//! Every read goes through the caller's [`OrderScope`] (see [`Desk::scope`]): a customer's
//! token reads that customer's orders only, and another customer's order is answered exactly as
//! an order that does not exist ([`NOT_FOUND`]).

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::auth::{Principal, Scope};
use crate::catalog::{Order, OrderQuery, OrderScope, OrderStatus};
use crate::search::Engine;
use crate::store::delivery::{self, Progress, TransitTable, Zone};
use crate::store::returns::ReturnRules;

use super::tools::ToolResult;

/// The answer to an order that does not exist and to another customer's order alike.
pub(crate) const NOT_FOUND: &str = "no order matches this reference for this account: check \
     the order number the customer quotes (\"ORD-\" followed by 8 characters) or use \
     get_user_orders to list the customer's orders";

/// The store's rules the tools apply, from the configuration.
#[derive(Debug, Clone, Default)]
pub struct StoreRules {
    /// Return period.
    pub returns: ReturnRules,
    /// Carriers' transit days.
    pub transit: TransitTable,
}

/// What a tool call knows besides its arguments: who calls, the store's rules, today, and
/// the engine's own state (tickets, search logs, events) when there is one.
pub(crate) struct Desk<'a> {
    pub(crate) principal: &'a Principal,
    pub(crate) rules: &'a StoreRules,
    pub(crate) today: NaiveDate,
    pub(crate) state: Option<&'a crate::state::State>,
}

impl Desk<'_> {
    /// Whose orders the caller may read, or the message for a caller who may read none.
    pub(crate) fn scope(&self) -> ToolResult<OrderScope<'_>> {
        self.principal.order_scope().ok_or_else(|| {
            "this tool needs a customer's or staff access token with the orders:read scope".into()
        })
    }

    /// The order `reference` (id or `ORD-` number) as the caller may see it.
    pub(crate) fn order(&self, engine: &Engine, reference: &str) -> ToolResult<Order> {
        let reference = reference.trim();
        if reference.is_empty() || reference.len() > 100 {
            return Err(
                "give the order's id or its number (\"ORD-\" followed by 8 characters)".into(),
            );
        }
        engine
            .catalog()
            .order(reference, self.scope()?)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| NOT_FOUND.to_owned())
    }
}

/// A day of an RFC 3339 time (its UTC date).
pub(crate) fn day(timestamp: &str) -> Option<NaiveDate> {
    chrono::DateTime::parse_from_rfc3339(timestamp)
        .ok()
        .map(|t| t.date_naive())
}

/// Arguments of `get_order_status`: one of the two.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrderStatusArgs {
    /// The number the customer quotes: "ORD-" followed by 8 characters ("ORD-9XG6844V").
    pub order_number: Option<String>,
    /// The order's id, or its number.
    pub order_id: Option<String>,
}

/// Arguments of the tools about one order.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrderArgs {
    /// The order's id, or its number as the customer quotes it ("ORD-9XG6844V").
    pub order_id: String,
}

/// Arguments of `estimate_delivery`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EstimateArgs {
    /// The order's id, or its number ("ORD-9XG6844V").
    pub order_id: String,
    /// A delivery postal code other than the order's (to answer "et si je le fais livrer en
    /// Corse ?"); the order's own address is used when omitted.
    pub postal_code: Option<String>,
}

/// Arguments of `get_user_orders`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserOrdersArgs {
    /// The customer's user id. Required with a staff token; a customer's token may omit it
    /// (its own orders) or give its own id.
    pub user_id: Option<String>,
    /// Only orders in this status: PENDING, PAID, PROCESSING, SHIPPED, DELIVERED or CANCELLED.
    pub status: Option<String>,
    /// Orders to return, 1 to 50 (default 10).
    pub limit: Option<u32>,
}

/// Arguments of `search_orders` (staff only).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SearchOrdersArgs {
    /// Orders created on or after this day ("2026-11-01") or RFC 3339 time.
    pub date_from: Option<String>,
    /// Orders created on or before this day ("2026-11-30") or before this RFC 3339 time.
    pub date_to: Option<String>,
    /// Total at least, in euros.
    pub min_total: Option<f64>,
    /// Total at most, in euros.
    pub max_total: Option<f64>,
    /// Only this status: PENDING, PAID, PROCESSING, SHIPPED, DELIVERED or CANCELLED.
    pub status: Option<String>,
    /// Orders per page, 1 to 100 (default 20).
    pub limit: Option<u32>,
    /// The `nextCursor` of the previous page.
    pub cursor: Option<String>,
}

/// An order's status and what happens next.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderStatusInfo {
    /// The order's id.
    pub order_id: String,
    /// The number the customer knows.
    pub order_number: String,
    /// PENDING, PAID, PROCESSING, SHIPPED, DELIVERED or CANCELLED.
    pub status: &'static str,
    /// The status in French.
    pub status_label: &'static str,
    /// Total, in euros.
    pub total: f64,
    /// When it was placed (RFC 3339), then paid, shipped, delivered or cancelled.
    pub created_at: String,
    /// Paid.
    pub paid_at: Option<String>,
    /// Handed to the carrier.
    pub shipped_at: Option<String>,
    /// Received.
    pub delivered_at: Option<String>,
    /// Cancelled.
    pub cancelled_at: Option<String>,
    /// The carrier, once shipped.
    pub carrier: Option<String>,
    /// The tracking number, once shipped.
    pub tracking_number: Option<String>,
    /// The next step, in plain French, for the customer.
    pub next_step: String,
    /// The customer's e-mail (staff tokens only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_email: Option<String>,
}

/// The next step of an order, in French.
fn next_step(order: &Order) -> String {
    match order.status {
        OrderStatus::Pending => "Le paiement n'a pas abouti : la commande sera préparée dès sa réception. Le client peut reprendre le paiement depuis son compte.".into(),
        OrderStatus::Paid => "Paiement reçu : la commande part en préparation, puis elle est expédiée avec un numéro de suivi envoyé par e-mail.".into(),
        OrderStatus::Processing => "La commande est en préparation dans notre entrepôt ; un e-mail avec le numéro de suivi part à l'expédition.".into(),
        OrderStatus::Shipped => match (&order.carrier, &order.tracking_number) {
            (Some(carrier), Some(tracking)) => format!("Le colis est en route avec {carrier} (suivi {tracking}) ; estimate_delivery donne la date de livraison prévue."),
            _ => "Le colis est en route ; estimate_delivery donne la date de livraison prévue.".into(),
        },
        OrderStatus::Delivered => "Commande livrée. Un retour est possible pendant le délai de rétractation : check_refund_eligibility dit ce qui peut être retourné.".into(),
        OrderStatus::Cancelled => "Commande annulée : si elle avait été payée, le remboursement a été fait sur le moyen de paiement d'origine sous 14 jours.".into(),
    }
}

impl OrderStatusInfo {
    fn new(order: Order, principal: &Principal) -> OrderStatusInfo {
        let next_step = next_step(&order);
        OrderStatusInfo {
            order_id: order.id,
            order_number: order.number,
            status: order.status.as_str(),
            status_label: order.status.label(),
            total: order.total,
            created_at: order.created_at,
            paid_at: order.paid_at,
            shipped_at: order.shipped_at,
            delivered_at: order.delivered_at,
            cancelled_at: order.cancelled_at,
            carrier: order.carrier,
            tracking_number: order.tracking_number,
            next_step,
            customer_email: principal.is_staff().then_some(order.email),
        }
    }
}

pub(crate) fn order_status(
    engine: &Engine,
    desk: &Desk,
    a: OrderStatusArgs,
) -> ToolResult<OrderStatusInfo> {
    let reference = match (a.order_number, a.order_id) {
        (Some(r), None) | (None, Some(r)) => r,
        (Some(n), Some(i)) if n.trim() == i.trim() => n,
        (Some(_), Some(_)) => return Err("give orderNumber or orderId, not both".into()),
        (None, None) => {
            return Err("give the order's number (orderNumber, \"ORD-…\") or its orderId".into());
        }
    };
    let order = desk.order(engine, &reference)?;
    Ok(OrderStatusInfo::new(order, desk.principal))
}

/// One order in a list.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderSummary {
    /// The order's id.
    pub order_id: String,
    /// The number the customer knows.
    pub order_number: String,
    /// PENDING, PAID, PROCESSING, SHIPPED, DELIVERED or CANCELLED.
    pub status: &'static str,
    /// The status in French.
    pub status_label: &'static str,
    /// Total, in euros.
    pub total: f64,
    /// When it was placed (RFC 3339).
    pub created_at: String,
    /// Units ordered.
    pub item_count: u32,
    /// The customer's user id (staff tokens only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The customer's e-mail (staff tokens only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_email: Option<String>,
}

impl OrderSummary {
    pub(crate) fn new(order: Order, principal: &Principal) -> OrderSummary {
        let staff = principal.is_staff();
        OrderSummary {
            item_count: order.lines.iter().map(|l| l.quantity).sum(),
            order_id: order.id,
            order_number: order.number,
            status: order.status.as_str(),
            status_label: order.status.label(),
            total: order.total,
            created_at: order.created_at,
            user_id: staff.then_some(order.user_id),
            customer_email: staff.then_some(order.email),
        }
    }
}

/// A list of orders.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderList {
    /// The orders, newest first.
    pub orders: Vec<OrderSummary>,
    /// For the next page (`cursor`), when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

fn status_arg(status: Option<&str>) -> ToolResult<Option<OrderStatus>> {
    status
        .map(|s| {
            OrderStatus::parse(s).ok_or_else(|| {
                format!("status {s:?} is not one of PENDING, PAID, PROCESSING, SHIPPED, DELIVERED, CANCELLED")
            })
        })
        .transpose()
}

fn limit_arg(limit: Option<u32>, default: u32, max: u32) -> ToolResult<u32> {
    match limit.unwrap_or(default) {
        n if (1..=max).contains(&n) => Ok(n),
        n => Err(format!("limit must be between 1 and {max} (got {n})")),
    }
}

pub(crate) fn user_orders(
    engine: &Engine,
    desk: &Desk,
    a: UserOrdersArgs,
) -> ToolResult<OrderList> {
    let status = status_arg(a.status.as_deref())?;
    let limit = limit_arg(a.limit, 10, 50)?;
    let user = match desk.scope()? {
        OrderScope::Staff => a
            .user_id
            .filter(|u| !u.trim().is_empty())
            .ok_or("userId is required with a staff token: give the customer's user id")?,
        OrderScope::Customer(subject) => match a.user_id {
            Some(u) if u.trim() != subject => {
                return Err("userId must be the signed-in customer's own id, or left out".into());
            }
            _ => subject.to_owned(),
        },
    };
    let orders = engine
        .catalog()
        .orders_of(user.trim(), status, limit)
        .map_err(|e| e.to_string())?;
    Ok(OrderList {
        orders: orders
            .into_iter()
            .map(|o| OrderSummary::new(o, desk.principal))
            .collect(),
        next_cursor: None,
    })
}

/// A delivery estimate.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryEstimate {
    /// The order's number.
    pub order_number: String,
    /// Its status.
    pub status: &'static str,
    /// Earliest delivery day (YYYY-MM-DD).
    pub earliest: Option<String>,
    /// Latest delivery day (YYYY-MM-DD).
    pub latest: Option<String>,
    /// high, medium or low.
    pub confidence: &'static str,
    /// How the range was computed, step by step, in French.
    pub basis: Vec<String>,
    /// The delivery zone.
    pub zone: Option<&'static str>,
}

pub(crate) fn estimate_delivery(
    engine: &Engine,
    desk: &Desk,
    a: EstimateArgs,
) -> ToolResult<DeliveryEstimate> {
    let order = desk.order(engine, &a.order_id)?;
    let postal = a
        .postal_code
        .as_deref()
        .map(str::trim)
        .or(order.postal_code.as_deref());
    if a.postal_code.as_deref().is_some_and(|p| {
        let p = p.trim();
        p.is_empty()
            || p.len() > 10
            || !p
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-')
    }) {
        return Err(
            "postalCode must be a postal code such as \"75011\", \"20000\" or \"97400\"".into(),
        );
    }
    let unanswered = |basis: &str| DeliveryEstimate {
        order_number: order.number.clone(),
        status: order.status.as_str(),
        earliest: None,
        latest: None,
        confidence: "low",
        basis: vec![basis.to_owned()],
        zone: None,
    };
    let progress = match order.status {
        OrderStatus::Cancelled => {
            return Ok(unanswered("commande annulée : aucune livraison prévue"));
        }
        OrderStatus::Delivered => order
            .delivered_at
            .as_deref()
            .and_then(day)
            .map(Progress::Delivered),
        OrderStatus::Shipped => order
            .shipped_at
            .as_deref()
            .and_then(day)
            .map(Progress::Shipped),
        _ => day(&order.created_at).map(Progress::Ordered),
    };
    let Some(progress) = progress else {
        return Ok(unanswered(
            "les dates de la commande manquent : estimation impossible",
        ));
    };
    let Some(zone) = Zone::of(&order.country, postal) else {
        return Ok(unanswered(
            "la boutique ne livre pas à cette adresse (France métropolitaine, Corse, outre-mer, Belgique, Luxembourg et Suisse)",
        ));
    };
    let lead = order
        .lines
        .iter()
        .filter_map(|l| l.product.as_ref()?.lead_time_days)
        .max()
        .unwrap_or(0);
    let Some(estimate) = delivery::estimate(
        progress,
        lead,
        order.carrier.as_deref(),
        zone,
        &desk.rules.transit,
        desk.today,
    ) else {
        return Ok(unanswered(
            "aucun transporteur de la boutique ne dessert cette zone",
        ));
    };
    Ok(DeliveryEstimate {
        order_number: order.number,
        status: order.status.as_str(),
        earliest: Some(estimate.earliest.to_string()),
        latest: Some(estimate.latest.to_string()),
        confidence: estimate.confidence.as_str(),
        basis: estimate.basis,
        zone: Some(zone.label()),
    })
}

/// One line of an order.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderItemInfo {
    /// The product's id.
    pub product_id: String,
    /// Its name, when still in the catalog.
    pub name: Option<String>,
    /// Its slug, when still in the catalog.
    pub slug: Option<String>,
    /// Units ordered.
    pub quantity: u32,
    /// Price paid per unit, in euros.
    pub unit_price: f64,
    /// Whether the store still sells it.
    pub still_sold: bool,
    /// Whether it is in stock now.
    pub in_stock: bool,
}

/// An order's lines.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderItems {
    /// The order's number.
    pub order_number: String,
    /// Its lines.
    pub items: Vec<OrderItemInfo>,
    /// Total, in euros.
    pub total: f64,
}

pub(crate) fn order_items(engine: &Engine, desk: &Desk, a: OrderArgs) -> ToolResult<OrderItems> {
    let order = desk.order(engine, &a.order_id)?;
    Ok(OrderItems {
        order_number: order.number,
        total: order.total,
        items: order
            .lines
            .into_iter()
            .map(|l| OrderItemInfo {
                still_sold: l.product.is_some(),
                in_stock: l.product.as_ref().is_some_and(|p| p.stock > 0),
                name: l.product.as_ref().map(|p| p.name.clone()),
                slug: l.product.map(|p| p.slug),
                product_id: l.product_id,
                quantity: l.quantity,
                unit_price: l.unit_price,
            })
            .collect(),
    })
}

/// A date bound: a day (`2026-11-01`, its start; for `to`, the next day's start, exclusive)
/// or an RFC 3339 time.
fn date_bound(name: &str, value: &str, end: bool) -> ToolResult<String> {
    let value = value.trim();
    if let Ok(day) = NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        let day = if end {
            day.succ_opt().unwrap_or(day)
        } else {
            day
        };
        return Ok(format!("{day}T00:00:00Z"));
    }
    chrono::DateTime::parse_from_rfc3339(value)
        .map(|t| t.to_utc().format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .map_err(|_| format!("{name} must be a day such as \"2026-11-01\" or an RFC 3339 time"))
}

/// The cursor of a page of orders: the last order's `(created_at, id)`.
fn encode_cursor(order: &OrderSummary) -> String {
    format!("{}|{}", order.created_at, order.order_id)
}

fn decode_cursor(cursor: &str) -> ToolResult<(String, String)> {
    cursor
        .split_once('|')
        .filter(|(at, id)| !at.is_empty() && !id.is_empty())
        .map(|(at, id)| (at.to_owned(), id.to_owned()))
        .ok_or_else(|| "cursor is not a nextCursor this tool gave: start again without it".into())
}

pub(crate) fn search_orders(
    engine: &Engine,
    desk: &Desk,
    a: SearchOrdersArgs,
) -> ToolResult<OrderList> {
    if !desk.principal.has(Scope::OrdersReadAll) {
        return Err("search_orders is for staff tokens (orders:read:all)".into());
    }
    let limit = limit_arg(a.limit, 20, 100)?;
    for (name, value) in [("minTotal", a.min_total), ("maxTotal", a.max_total)] {
        if value.is_some_and(|v| !v.is_finite() || v < 0.0) {
            return Err(format!("{name} must be an amount in euros, 0 or more"));
        }
    }
    if let (Some(min), Some(max)) = (a.min_total, a.max_total)
        && min > max
    {
        return Err("minTotal is above maxTotal".into());
    }
    let query = OrderQuery {
        created_from: a
            .date_from
            .as_deref()
            .map(|d| date_bound("dateFrom", d, false))
            .transpose()?,
        created_before: a
            .date_to
            .as_deref()
            .map(|d| date_bound("dateTo", d, true))
            .transpose()?,
        min_total: a.min_total,
        max_total: a.max_total,
        status: status_arg(a.status.as_deref())?,
        limit: limit + 1,
        after: a.cursor.as_deref().map(decode_cursor).transpose()?,
        ..OrderQuery::default()
    };
    let mut orders: Vec<OrderSummary> = engine
        .catalog()
        .search_orders(&query)
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|o| OrderSummary::new(o, desk.principal))
        .collect();
    let more = orders.len() > limit as usize;
    orders.truncate(limit as usize);
    Ok(OrderList {
        next_cursor: more.then(|| orders.last().map(encode_cursor)).flatten(),
        orders,
    })
}
