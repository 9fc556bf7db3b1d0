//! The analytics tools (staff tokens with `analytics:read`): sales over a span of days, the
//! best sellers of a period.

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::analytics::{self, Granularity, MAX_SUMMARY_DAYS, SalesFigures, TIME_ZONE};
use crate::auth::Scope;
use crate::search::Engine;

use super::orders::Desk;
use super::tools::ToolResult;

/// Arguments of `get_sales_summary`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SalesSummaryArgs {
    /// First day, inclusive ("2026-11-01"), in Europe/Paris.
    pub start_date: String,
    /// Last day, inclusive ("2026-11-30"), in Europe/Paris.
    pub end_date: String,
    /// Periods to split the span into: day, week (Monday first) or month.
    pub granularity: String,
}

/// Revenue, orders, units and average basket.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Figures {
    /// Revenue in euros: orders paid or later, dated by their creation.
    pub revenue: f64,
    /// Orders.
    pub orders: u64,
    /// Units.
    pub units: u64,
    /// Revenue per order, in euros.
    pub average_basket: f64,
}

impl From<SalesFigures> for Figures {
    fn from(f: SalesFigures) -> Figures {
        let cents = |x: f64| (x * 100.0).round() / 100.0;
        Figures {
            revenue: cents(f.revenue),
            orders: f.orders,
            units: f.units,
            average_basket: cents(f.average_basket()),
        }
    }
}

/// Change from the previous equal span, in percent (none when it had nothing).
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    /// Revenue.
    pub revenue_pct: Option<f64>,
    /// Orders.
    pub orders_pct: Option<f64>,
    /// Units.
    pub units_pct: Option<f64>,
    /// Average basket.
    pub average_basket_pct: Option<f64>,
}

/// One period of a summary.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Period {
    /// Its first day (the first day of the span for a period cut by it).
    pub start: String,
    /// Its figures.
    #[serde(flatten)]
    pub figures: Figures,
}

/// Sales of a span of days.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SalesSummaryInfo {
    /// Europe/Paris.
    pub time_zone: &'static str,
    /// First day, inclusive.
    pub start_date: String,
    /// Last day, inclusive.
    pub end_date: String,
    /// The span.
    pub total: Figures,
    /// The span of the same length just before.
    pub previous: Figures,
    /// From the previous span to this one.
    pub change: Change,
    /// Per period, every one of the span, empty ones included.
    pub periods: Vec<Period>,
    /// The answer in one French sentence.
    pub summary: String,
}

fn day_arg(name: &str, value: &str) -> ToolResult<NaiveDate> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .map_err(|_| format!("{name} must be a day such as \"2026-11-01\""))
}

fn pct(now: f64, before: f64) -> Option<f64> {
    (before > 0.0).then(|| ((now - before) / before * 1000.0).round() / 10.0)
}

pub(crate) fn sales_summary(
    engine: &Engine,
    desk: &Desk,
    a: SalesSummaryArgs,
) -> ToolResult<SalesSummaryInfo> {
    if !desk.principal.has(Scope::AnalyticsRead) {
        return Err("get_sales_summary needs a staff token with the analytics:read scope".into());
    }
    let start = day_arg("startDate", &a.start_date)?;
    let end = day_arg("endDate", &a.end_date)?;
    let granularity =
        Granularity::parse(a.granularity.trim()).ok_or("granularity must be day, week or month")?;
    if end < start {
        return Err("endDate is before startDate".into());
    }
    if (end - start).num_days() >= MAX_SUMMARY_DAYS {
        return Err(format!(
            "the span is longer than {MAX_SUMMARY_DAYS} days: split it"
        ));
    }
    let s = analytics::sales_summary(engine.catalog(), start, end, granularity)
        .map_err(|e| e.to_string())?;
    let change = Change {
        revenue_pct: pct(s.total.revenue, s.previous.revenue),
        orders_pct: pct(s.total.orders as f64, s.previous.orders as f64),
        units_pct: pct(s.total.units as f64, s.previous.units as f64),
        average_basket_pct: pct(s.total.average_basket(), s.previous.average_basket()),
    };
    let summary = format!(
        "Du {} au {} : {:.2} € de chiffre d'affaires, {} commandes, panier moyen {:.2} €{}.",
        start.format("%d/%m/%Y"),
        end.format("%d/%m/%Y"),
        s.total.revenue,
        s.total.orders,
        s.total.average_basket(),
        match change.revenue_pct {
            Some(p) => format!(" ({p:+.1} % par rapport à la période précédente)"),
            None => String::new(),
        }
    );
    Ok(SalesSummaryInfo {
        time_zone: TIME_ZONE,
        start_date: start.to_string(),
        end_date: end.to_string(),
        total: s.total.into(),
        previous: s.previous.into(),
        change,
        periods: s
            .periods
            .into_iter()
            .map(|(p, f)| Period {
                start: p.max(start).to_string(),
                figures: f.into(),
            })
            .collect(),
        summary,
    })
}

/// Arguments of `get_top_products`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TopProductsArgs {
    /// The last week, month (30 days), quarter (91 days) or year (365 days) up to today.
    pub period: String,
    /// Products per list, 1 to 50 (default 10).
    pub limit: Option<u32>,
    /// A category's slug: its products and its subcategories' only.
    pub category: Option<String>,
}

/// A product's sales.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductRank {
    /// The product's id.
    pub product_id: String,
    /// Its name, when still in the catalog.
    pub name: Option<String>,
    /// Its category's slug, when still in the catalog.
    pub category: Option<String>,
    /// Revenue in the period, in euros.
    pub revenue: f64,
    /// Units in the period.
    pub units: u64,
    /// Revenue change from the period before, in percent (none when it sold nothing then).
    pub revenue_change_pct: Option<f64>,
    /// Units change from the period before, in percent.
    pub units_change_pct: Option<f64>,
}

/// The best sellers of a period.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TopProducts {
    /// Europe/Paris.
    pub time_zone: &'static str,
    /// First day, inclusive.
    pub start_date: String,
    /// Last day (today), inclusive.
    pub end_date: String,
    /// By revenue, best first.
    pub by_revenue: Vec<ProductRank>,
    /// By units, best first.
    pub by_units: Vec<ProductRank>,
    /// The answer in one French sentence.
    pub summary: String,
}

pub(crate) fn top_products(
    engine: &Engine,
    desk: &Desk,
    a: TopProductsArgs,
) -> ToolResult<TopProducts> {
    if !desk.principal.has(Scope::AnalyticsRead) {
        return Err("get_top_products needs a staff token with the analytics:read scope".into());
    }
    let period = match analytics::Period::parse(a.period.trim()) {
        Some(analytics::Period::Day) | None => {
            return Err("period must be week, month, quarter or year".into());
        }
        Some(p) => p,
    };
    let limit = match a.limit.unwrap_or(10) {
        n @ 1..=50 => n as usize,
        n => return Err(format!("limit must be between 1 and 50 (got {n})")),
    };
    let catalog = engine.catalog();
    let tree = catalog.category_tree().map_err(|e| e.to_string())?;
    let within = match a.category.as_deref().map(str::trim) {
        None => None,
        Some(slug) => Some(
            tree.by_slug(slug)
                .ok_or_else(|| format!("no category {slug:?}: the resource vivr://products/categories lists the slugs"))?
                .id
                .clone(),
        ),
    };
    let (start, end) = period.span(analytics::paris_day(chrono::Utc::now()));
    let sales =
        analytics::product_sales(catalog, start, end, |_| true).map_err(|e| e.to_string())?;
    let mut ranks = Vec::new();
    for s in sales {
        let product = catalog.product(&s.product_id).map_err(|e| e.to_string())?;
        let category = product.as_ref().and_then(|p| tree.get(&p.category_id));
        if let Some(wanted) = &within
            && !category.is_some_and(|c| tree.path(&c.id).iter().any(|a| &a.id == wanted))
        {
            continue;
        }
        ranks.push(ProductRank {
            revenue: (s.revenue * 100.0).round() / 100.0,
            units: s.units,
            revenue_change_pct: pct(s.revenue, s.previous_revenue),
            units_change_pct: pct(s.units as f64, s.previous_units as f64),
            category: category.map(|c| c.slug.clone()),
            name: product.map(|p| p.name),
            product_id: s.product_id,
        });
    }
    let ordered = |by_revenue: bool| -> Vec<ProductRank> {
        let mut order: Vec<usize> = (0..ranks.len()).collect();
        order.sort_by(|&i, &j| {
            let (a, b) = (&ranks[i], &ranks[j]);
            let primary = if by_revenue {
                b.revenue.total_cmp(&a.revenue)
            } else {
                b.units.cmp(&a.units)
            };
            primary.then_with(|| a.product_id.cmp(&b.product_id))
        });
        order
            .into_iter()
            .take(limit)
            .map(|i| ranks[i].clone())
            .collect()
    };
    let by_revenue = ordered(true);
    let by_units = ordered(false);
    let summary = match by_revenue.first() {
        Some(top) => format!(
            "Du {} au {} : {} en tête des ventes avec {:.2} € ({} unités).",
            start.format("%d/%m/%Y"),
            end.format("%d/%m/%Y"),
            top.name.as_deref().unwrap_or(&top.product_id),
            top.revenue,
            top.units
        ),
        None => format!(
            "Aucune vente du {} au {}.",
            start.format("%d/%m/%Y"),
            end.format("%d/%m/%Y")
        ),
    };
    Ok(TopProducts {
        time_zone: TIME_ZONE,
        start_date: start.to_string(),
        end_date: end.to_string(),
        by_revenue,
        by_units,
        summary,
    })
}
