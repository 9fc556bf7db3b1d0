//! The customer-service tools: finding a customer's order (staff), the return policy, refund
//! eligibility, shipping information, the FAQ, and escalation to a human.
//!
//! The rules come from `crate::store` (the texts of `data/store/` and the Code de la
//! consommation); the orders from the replica through the caller's scope ([`Desk`]); tickets
//! go to the state database, never to the replica.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::auth::Scope;
use crate::catalog::{Order, OrderQuery, OrderStatus};
use crate::search::Engine;
use crate::state::{NewTicket, Priority};
use crate::store::faq::Topic;
use crate::store::returns::{self, LEGAL_WITHDRAWAL_DAYS, Line, Stage};

use super::orders::{Desk, OrderSummary, day};
use super::tools::ToolResult;

/// Arguments of `find_order_for_support` (staff only): at least `email` or `orderNumber`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FindOrderArgs {
    /// The customer's e-mail address.
    pub email: Option<String>,
    /// The order number the customer quotes ("ORD-9XG6844V").
    pub order_number: Option<String>,
    /// Words of a product's name, as the customer says them ("canapé oslo", typos and plurals
    /// are fine): keeps the orders holding such a product.
    pub product_name: Option<String>,
}

/// Orders found for a support agent.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FoundOrders {
    /// The matching orders, newest first.
    pub orders: Vec<OrderSummary>,
    /// For each order (same order), the names of its products that matched `productName`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub matched_products: Vec<Vec<String>>,
}

/// Orders of one e-mail looked at, at most.
const SUPPORT_ORDERS: u32 = 50;

pub(crate) fn find_order_for_support(
    engine: &Engine,
    desk: &Desk,
    a: FindOrderArgs,
) -> ToolResult<FoundOrders> {
    if !desk.principal.has(Scope::OrdersReadAll) {
        return Err("find_order_for_support is for staff tokens (orders:read:all)".into());
    }
    let email = a
        .email
        .map(|e| e.trim().to_owned())
        .filter(|e| !e.is_empty());
    let number = a
        .order_number
        .map(|n| n.trim().to_ascii_uppercase())
        .filter(|n| !n.is_empty());
    if email.is_none() && number.is_none() {
        return Err(
            "give the customer's email or an orderNumber (productName narrows them down)".into(),
        );
    }
    if email
        .as_deref()
        .is_some_and(|e| !e.contains('@') || e.len() > 320)
    {
        return Err("email must be an e-mail address".into());
    }
    let words = match a.product_name.as_deref().map(str::trim) {
        Some("") => {
            return Err(
                "productName is empty: give words of the product's name, or omit it".into(),
            );
        }
        Some(name) if name.chars().count() > 200 => {
            return Err("productName is longer than 200 characters".into());
        }
        Some(name) => Some(crate::index::plan_words(name)),
        None => None,
    };
    let orders = engine
        .catalog()
        .search_orders(&OrderQuery {
            email,
            numbers: number.map(|n| vec![n]),
            limit: SUPPORT_ORDERS,
            ..OrderQuery::default()
        })
        .map_err(|e| e.to_string())?;
    let mut found = FoundOrders {
        orders: Vec::new(),
        matched_products: Vec::new(),
    };
    for order in orders {
        if let Some(words) = &words {
            let names: Vec<String> = order
                .lines
                .iter()
                .filter_map(|l| l.product.as_ref())
                .filter(|p| crate::index::matches_every_word(words, &p.name))
                .map(|p| p.name.clone())
                .collect();
            if names.is_empty() {
                continue;
            }
            found.matched_products.push(names);
        }
        found.orders.push(OrderSummary::new(order, desk.principal));
    }
    Ok(found)
}

/// Arguments of `get_return_policy`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReturnPolicyArgs {
    /// A category's slug or name ("canapes", "Linge de lit"): adds what applies to it.
    pub product_category: Option<String>,
    /// Days since the goods were received: says whether the return period still runs.
    pub order_age: Option<u32>,
}

/// The return rules that apply.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReturnPolicy {
    /// Days to return goods after receipt, at this store.
    pub withdrawal_days: u32,
    /// The law's minimum (L221-18).
    pub legal_withdrawal_days: u32,
    /// With `orderAge`: whether the return period still runs (an approximation by calendar
    /// days; check_refund_eligibility applies the exact rule to an order).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub within_period: Option<bool>,
    /// The category the answer is about, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// The rules, in French, most specific first.
    pub rules: Vec<String>,
    /// The sections of the return policy page the rules come from (`returns#<n>`, as
    /// search_faq answers name them).
    pub sources: Vec<String>,
}

/// Categories delivered by freight (a return is a paid pickup), by top category slug.
const FREIGHT_TOP: &str = "mobilier";

pub(crate) fn return_policy(
    engine: &Engine,
    desk: &Desk,
    a: ReturnPolicyArgs,
) -> ToolResult<ReturnPolicy> {
    let days = desk
        .rules
        .returns
        .withdrawal_days
        .max(LEGAL_WITHDRAWAL_DAYS);
    let mut rules = Vec::new();
    let mut category_name = None;
    if let Some(wanted) = a.product_category.as_deref().map(str::trim) {
        let tree = engine
            .catalog()
            .category_tree()
            .map_err(|e| e.to_string())?;
        let folded = crate::text::normalize_query(wanted);
        let category = tree
            .all()
            .iter()
            .find(|c| c.slug == wanted || crate::text::normalize_query(&c.name) == folded)
            .ok_or_else(|| {
                format!("no category {wanted:?}: give a slug of the resource vivr://products/categories (\"canapes\", \"linge-de-lit\")")
            })?;
        let path = tree.path(&category.id);
        let top = path
            .first()
            .map_or(category.slug.as_str(), |c| c.slug.as_str());
        if top == FREIGHT_TOP
            || ["armoires", "buffets", "commodes", "etageres"].contains(&category.slug.as_str())
        {
            rules.push("Meuble livré par transporteur : l'enlèvement à domicile est organisé sur rendez-vous et coûte 59 €, déduits du remboursement.".to_owned());
        } else {
            rules.push("Colis : étiquette Colissimo prépayée, retour gratuit en bureau de poste ou en point relais.".to_owned());
        }
        if ["linge-de-lit", "textile"].contains(&category.slug.as_str()) {
            rules.push("Oreillers, couettes, protège-matelas et surmatelas livrés sous film : non repris une fois le film ouvert (hygiène).".to_owned());
        }
        if ["rideaux", "tapis", "cadres", "coussins"].contains(&category.slug.as_str()) {
            rules.push(
                "Les articles sur mesure ou personnalisés de cette catégorie ne se retournent pas."
                    .to_owned(),
            );
        }
        category_name = Some(category.name.clone());
    }
    rules.push(format!(
        "{days} jours pour retourner un article après sa réception, sans justification (la loi en accorde {LEGAL_WITHDRAWAL_DAYS}, art. L221-18). Le jour de la livraison ne compte pas ; un délai qui finit un samedi, un dimanche ou un jour férié court jusqu'au jour ouvrable suivant. Pour une commande en plusieurs colis, le délai court à partir du dernier."
    ));
    rules.push("Exclus : les articles personnalisés ou faits selon les spécifications du client (art. L221-28 3°), et les articles d'hygiène descellés.".to_owned());
    rules.push("Remboursement sous 14 jours par le moyen de paiement d'origine, frais de livraison standard compris (art. L221-24) quand toute la commande est retournée.".to_owned());
    rules.push("Article abîmé ou défectueux : garantie légale de conformité de 2 ans à partir de la livraison (art. L217-3 et suivants), sans frais.".to_owned());
    rules.push(
        "Commande pas encore expédiée : elle s'annule sans frais depuis le compte client."
            .to_owned(),
    );
    let within_period = a.order_age.map(|age| age <= days);
    if within_period == Some(false) {
        rules.insert(0, format!("Reçu il y a plus de {days} jours : le délai de retour est passé ; un défaut relève encore de la garantie de conformité."));
    }
    Ok(ReturnPolicy {
        withdrawal_days: days,
        legal_withdrawal_days: LEGAL_WITHDRAWAL_DAYS,
        within_period,
        category: category_name,
        rules,
        sources: crate::store::faq::BUNDLED
            .entries()
            .iter()
            .filter(|e| e.id.starts_with("returns#"))
            .map(|e| e.id.clone())
            .collect(),
    })
}

/// Arguments of `check_refund_eligibility`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RefundArgs {
    /// The order's id, or its number ("ORD-9XG6844V").
    pub order_id: String,
    /// Why the customer wants to return it, in their words ("trop grand", "arrivé cassé"): a
    /// defect or damage is answered with the guarantee of conformity.
    pub reason: Option<String>,
}

/// The verdict on one line.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LineEligibility {
    /// The product's id.
    pub product_id: String,
    /// Its name, when still in the catalog.
    pub name: Option<String>,
    /// Units.
    pub quantity: u32,
    /// Whether it can be returned for a refund.
    pub eligible: bool,
    /// Why: WITHIN_WITHDRAWAL_PERIOD, ELIGIBLE_IF_SEALED, WITHDRAWAL_PERIOD_OVER,
    /// PERSONALISED_GOODS, NOT_SHIPPED_CANCEL_INSTEAD, NOT_DELIVERED_YET, ORDER_CANCELLED,
    /// CONFORMITY_GUARANTEE or GUARANTEE_OVER.
    pub code: &'static str,
    /// The rule applied, in French.
    pub rule: &'static str,
}

/// Whether an order can be refunded.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RefundEligibility {
    /// The order's number.
    pub order_number: String,
    /// Whether anything in the order can be refunded (or the order cancelled for a refund).
    pub eligible: bool,
    /// The order's reason code (see the lines' codes).
    pub code: &'static str,
    /// The rule applied, in French, with its legal reference.
    pub rule: &'static str,
    /// The last day to declare a return (YYYY-MM-DD), when the period runs.
    pub deadline: Option<String>,
    /// What would be refunded, in euros (goods, plus standard delivery when everything is
    /// returned).
    pub refund_amount: f64,
    /// Per line.
    pub lines: Vec<LineEligibility>,
}

/// Standard delivery (Colissimo) in euros: what an express delivery's refund is capped to.
const STANDARD_DELIVERY: f64 = 5.90;

/// What the customer paid for delivery, as refundable (standard delivery only, L221-24).
fn refundable_delivery(order: &Order) -> f64 {
    let goods: f64 = order
        .lines
        .iter()
        .map(|l| l.unit_price * f64::from(l.quantity))
        .sum();
    let paid = ((order.total - goods) * 100.0).round() / 100.0;
    if paid <= 0.0 {
        0.0
    } else if order
        .carrier
        .as_deref()
        .is_some_and(|c| c.eq_ignore_ascii_case("chronopost"))
    {
        paid.min(STANDARD_DELIVERY)
    } else {
        paid
    }
}

pub(crate) fn refund_eligibility(
    engine: &Engine,
    desk: &Desk,
    a: RefundArgs,
) -> ToolResult<RefundEligibility> {
    if a.reason
        .as_deref()
        .is_some_and(|r| r.chars().count() > 2000)
    {
        return Err("reason is longer than 2,000 characters: summarise it".into());
    }
    let order = desk.order(engine, &a.order_id)?;
    let stage = match order.status {
        OrderStatus::Cancelled => Stage::Cancelled,
        OrderStatus::Delivered => match order.delivered_at.as_deref().and_then(day) {
            Some(received) => Stage::Delivered(received),
            None => return Err("this order is marked delivered without a delivery date: escalate_to_human so that an agent checks it".into()),
        },
        OrderStatus::Shipped => Stage::Shipped,
        OrderStatus::Pending | OrderStatus::Paid | OrderStatus::Processing => Stage::NotShipped,
    };
    let lines: Vec<Line> = order
        .lines
        .iter()
        .map(|l| Line {
            product_id: l.product_id.clone(),
            quantity: l.quantity,
            unit_price: l.unit_price,
            personalised: l.product.as_ref().is_some_and(|p| p.personalised),
            hygiene_sealed: l
                .product
                .as_ref()
                .is_some_and(|p| returns::hygiene_sealed(&p.name)),
        })
        .collect();
    let verdict = returns::check(
        stage,
        &lines,
        refundable_delivery(&order),
        a.reason.as_deref(),
        desk.today,
        &desk.rules.returns,
    );
    Ok(RefundEligibility {
        order_number: order.number,
        eligible: verdict.eligible,
        code: verdict.code.as_str(),
        rule: verdict.code.rule(),
        deadline: verdict.deadline.map(|d| d.to_string()),
        refund_amount: verdict.refund,
        lines: verdict
            .lines
            .into_iter()
            .zip(&order.lines)
            .map(|(v, l)| LineEligibility {
                product_id: v.product_id,
                name: l.product.as_ref().map(|p| p.name.clone()),
                quantity: l.quantity,
                eligible: v.eligible,
                code: v.code.as_str(),
                rule: v.code.rule(),
            })
            .collect(),
    })
}

/// Arguments of `get_shipping_info`: one of the two.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ShippingArgs {
    /// The order's id, or its number ("ORD-9XG6844V").
    pub order_id: Option<String>,
    /// The carrier's tracking number.
    pub tracking_number: Option<String>,
}

/// An order's shipping.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShippingInfo {
    /// The order's number.
    pub order_number: String,
    /// Its status.
    pub status: &'static str,
    /// The carrier, once shipped.
    pub carrier: Option<String>,
    /// The tracking number, once shipped.
    pub tracking_number: Option<String>,
    /// The carrier's public tracking page, when it has one.
    pub tracking_url: Option<String>,
    /// Handed to the carrier (RFC 3339).
    pub shipped_at: Option<String>,
    /// Received (RFC 3339).
    pub delivered_at: Option<String>,
    /// The delivery zone.
    pub zone: Option<&'static str>,
    /// The carrier's usual transit to that zone, in business days ("2 à 3 jours ouvrés").
    pub usual_transit: Option<String>,
}

/// The carrier's public tracking page for a tracking number.
fn tracking_url(carrier: &str, tracking: &str) -> Option<String> {
    let tracking: String = tracking
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    match carrier.to_ascii_lowercase().as_str() {
        "colissimo" => Some(format!(
            "https://www.laposte.fr/outils/suivre-vos-envois?code={tracking}"
        )),
        "chronopost" => Some(format!(
            "https://www.chronopost.fr/tracking-no-cms/suivi-page?listeNumerosLT={tracking}"
        )),
        _ => None,
    }
}

pub(crate) fn shipping_info(
    engine: &Engine,
    desk: &Desk,
    a: ShippingArgs,
) -> ToolResult<ShippingInfo> {
    let order = match (a.order_id, a.tracking_number) {
        (Some(reference), None) => desk.order(engine, &reference)?,
        (None, Some(tracking)) => {
            let tracking = tracking.trim();
            if tracking.is_empty() || tracking.len() > 64 {
                return Err("trackingNumber must be the carrier's tracking number".into());
            }
            engine
                .catalog()
                .order_by_tracking(tracking, desk.scope()?)
                .map_err(|e| e.to_string())?
                .ok_or_else(|| super::orders::NOT_FOUND.to_owned())?
        }
        (Some(_), Some(_)) => return Err("give orderId or trackingNumber, not both".into()),
        (None, None) => {
            return Err("give the order's orderId (or number) or a trackingNumber".into());
        }
    };
    let zone = crate::store::delivery::Zone::of(&order.country, order.postal_code.as_deref());
    let usual_transit = zone.and_then(|zone| {
        let (fewest, most) = match order.carrier.as_deref() {
            Some(c) => desk.rules.transit.transit(c, zone),
            None => desk.rules.transit.slowest(zone),
        }?;
        Some(if fewest == most {
            format!("{fewest} jour(s) ouvré(s)")
        } else {
            format!("{fewest} à {most} jours ouvrés")
        })
    });
    Ok(ShippingInfo {
        order_number: order.number,
        status: order.status.as_str(),
        tracking_url: order
            .carrier
            .as_deref()
            .zip(order.tracking_number.as_deref())
            .and_then(|(c, t)| tracking_url(c, t)),
        carrier: order.carrier,
        tracking_number: order.tracking_number,
        shipped_at: order.shipped_at,
        delivered_at: order.delivered_at,
        zone: zone.map(|z| z.label()),
        usual_transit,
    })
}

/// A FAQ topic.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FaqCategory {
    /// Delivery: zones, carriers, times, costs.
    Shipping,
    /// Returns, refunds, cancellations, guarantees.
    Returns,
    /// Payment: cards, instalments, invoices.
    Payment,
    /// The products: materials, care, assembly, made-to-order.
    Products,
    /// The customer account and personal data.
    Account,
}

impl From<FaqCategory> for Topic {
    fn from(c: FaqCategory) -> Topic {
        match c {
            FaqCategory::Shipping => Topic::Shipping,
            FaqCategory::Returns => Topic::Returns,
            FaqCategory::Payment => Topic::Payment,
            FaqCategory::Products => Topic::Products,
            FaqCategory::Account => Topic::Account,
        }
    }
}

/// Arguments of `search_faq`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaqArgs {
    /// The customer's question, in French ("comment payer en 3 fois ?"); typos are fine.
    pub query: String,
    /// Keep one topic: shipping, returns, payment, products or account.
    pub category: Option<FaqCategory>,
}

/// One FAQ answer.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FaqAnswer {
    /// The entry's id (FAQ entries) or page section (`returns.md#…`).
    pub id: String,
    /// shipping, returns, payment, products or account.
    pub category: &'static str,
    /// The question, or the page section's title.
    pub question: String,
    /// The answer, in the store's words.
    pub answer: String,
    /// Relevance, higher is better.
    pub score: f32,
}

/// The FAQ answers to a question.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FaqAnswers {
    /// Best first; empty when nothing matches (then escalate_to_human, or rephrase).
    pub answers: Vec<FaqAnswer>,
    /// Whether the semantic layer (the local model) took part; false: words only.
    pub semantic: bool,
}

/// FAQ answers per call.
const FAQ_ANSWERS: usize = 5;

pub(crate) fn search_faq(engine: &Engine, _desk: &Desk, a: FaqArgs) -> ToolResult<FaqAnswers> {
    let query = a.query.trim();
    if query.is_empty() {
        return Err("query is empty: give the customer's question".into());
    }
    if query.chars().count() > 500 {
        return Err("query is longer than 500 characters: keep the question itself".into());
    }
    let found = engine.faq(query, a.category.map(Topic::from), FAQ_ANSWERS);
    Ok(FaqAnswers {
        semantic: found.semantic,
        answers: found
            .answers
            .into_iter()
            .map(|(score, e)| FaqAnswer {
                id: e.id.clone(),
                category: e.topic.as_str(),
                question: e.question.clone(),
                answer: e.answer.clone(),
                score,
            })
            .collect(),
    })
}

/// How urgent a ticket is.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TicketPriority {
    /// Whenever someone is free.
    Low,
    /// Within the day (default).
    Medium,
    /// Within hours.
    High,
    /// Now: a safety issue, a very upset customer.
    Urgent,
}

impl From<TicketPriority> for Priority {
    fn from(p: TicketPriority) -> Priority {
        match p {
            TicketPriority::Low => Priority::Low,
            TicketPriority::Medium => Priority::Medium,
            TicketPriority::High => Priority::High,
            TicketPriority::Urgent => Priority::Urgent,
        }
    }
}

/// Arguments of `escalate_to_human`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EscalateArgs {
    /// The chat's conversation id: a second call with the same conversation and reason returns
    /// the same ticket.
    pub conversation_id: Option<String>,
    /// What the customer needs from a human, in a sentence or two.
    pub reason: String,
    /// low, medium (default), high or urgent.
    pub priority: Option<TicketPriority>,
}

/// The ticket written.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Escalation {
    /// The ticket's id, to give the customer.
    pub ticket_id: String,
    /// Whether this call created it (false: the conversation already had it).
    pub created: bool,
    /// open.
    pub status: String,
    /// Its priority.
    pub priority: &'static str,
}

pub(crate) fn escalate(desk: &Desk, a: EscalateArgs) -> ToolResult<Escalation> {
    if !desk.principal.has(Scope::SupportWrite) {
        return Err("escalate_to_human needs a token with the support:write scope".into());
    }
    let state = desk
        .state
        .ok_or("tickets are not available on this server (no state database)")?;
    let reason = a.reason.trim();
    if reason.is_empty() {
        return Err("reason is empty: say what the customer needs from a human".into());
    }
    if reason.chars().count() > 2000 {
        return Err("reason is longer than 2,000 characters: summarise it".into());
    }
    let conversation = a.conversation_id.as_deref().map(str::trim);
    if conversation.is_some_and(|c| c.is_empty() || c.len() > 200) {
        return Err(
            "conversationId must be the chat's id (1 to 200 characters), or omitted".into(),
        );
    }
    let (ticket, created) = state
        .escalate(
            &NewTicket {
                conversation_id: conversation,
                reason,
                priority: a.priority.map_or(Priority::Medium, Priority::from),
                subject: desk.principal.subject.as_deref(),
            },
            chrono::Utc::now().timestamp(),
        )
        .map_err(|e| e.to_string())?;
    Ok(Escalation {
        ticket_id: ticket.id,
        created,
        status: ticket.status,
        priority: ticket.priority.as_str(),
    })
}
