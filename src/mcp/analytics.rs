//! The analytics tools (staff tokens with `analytics:read`): sales over a span of days.

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
