//! The analytics tools (staff tokens with `analytics:read`): sales over a span of days, the
//! best sellers of a period, the state of the stock.

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::analytics::{self, Granularity, MAX_SUMMARY_DAYS, SalesFigures, TIME_ZONE};
use crate::search::Engine;

use super::orders::Desk;
use super::tools::ToolResult;

/// An analytics answer as a tool result: the structured content (whose `outputSchema` `#[tool]`
/// derives from `T`, since it recognises a return type named `Json`), the serialized JSON in a
/// first text block as rmcp's own `Json` gives it, and the French summary in a second one, for
/// a client that shows text.
pub struct Json<T>(pub T);

/// An answer with a French summary.
pub trait Summarised {
    /// The answer in one French sentence.
    fn summary(&self) -> &str;
}

impl<T> From<rmcp::Json<T>> for Json<T> {
    fn from(rmcp::Json(value): rmcp::Json<T>) -> Json<T> {
        Json(value)
    }
}

impl<T: Serialize + JsonSchema + Summarised + 'static>
    rmcp::handler::server::tool::IntoCallToolResult for Json<T>
{
    fn into_call_tool_result(self) -> Result<rmcp::model::CallToolResponse, rmcp::ErrorData> {
        let summary = self.0.summary().to_owned();
        let value = serde_json::to_value(self.0).map_err(|e| {
            rmcp::ErrorData::internal_error(format!("cannot serialize the answer: {e}"), None)
        })?;
        let mut result = rmcp::model::CallToolResult::structured(value);
        result
            .content
            .push(rmcp::model::ContentBlock::text(summary));
        Ok(result.into())
    }
}

macro_rules! summarised {
    ($($answer:ty),*) => {
        $(impl Summarised for $answer {
            fn summary(&self) -> &str {
                &self.summary
            }
        })*
    };
}

summarised!(
    SalesSummaryInfo,
    TopProducts,
    InventoryInsights,
    CategoryPerformanceInfo,
    CustomerAnalytics,
    RevenueForecastInfo,
    SearchInsightsInfo
);

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

/// An amount as French text: "207 506,99 €" (narrow no-break spaces between thousands and
/// before the sign); whole amounts keep no decimals.
pub(crate) fn euros(value: f64) -> String {
    let cents = (value * 100.0).round() as i64;
    let (units, rest) = (cents.abs() / 100, cents.abs() % 100);
    let digits = units.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push('\u{202f}');
        }
        grouped.push(c);
    }
    let sign = if cents < 0 { "-" } else { "" };
    if rest == 0 {
        format!("{sign}{grouped}\u{202f}€")
    } else {
        format!("{sign}{grouped},{rest:02}\u{202f}€")
    }
}

/// A number with one decimal, French style ("11,3"; signed: "+11,3").
fn decimal(value: f64, signed: bool) -> String {
    let text = if signed {
        format!("{value:+.1}")
    } else {
        format!("{value:.1}")
    };
    text.replace('.', ",")
}

/// An amount rounded to cents.
fn cents(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// A share rounded to a thousandth.
fn ratio(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

fn pct(now: f64, before: f64) -> Option<f64> {
    (before > 0.0).then(|| ((now - before) / before * 1000.0).round() / 10.0)
}

pub(crate) fn sales_summary(
    engine: &Engine,
    _desk: &Desk,
    a: SalesSummaryArgs,
) -> ToolResult<SalesSummaryInfo> {
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
        "Du {} au {} : {} de chiffre d'affaires, {} commandes, panier moyen {}{}.",
        start.format("%d/%m/%Y"),
        end.format("%d/%m/%Y"),
        euros(s.total.revenue),
        s.total.orders,
        euros(s.total.average_basket()),
        match change.revenue_pct {
            Some(p) => format!(
                " ({} % par rapport à la période précédente)",
                decimal(p, true)
            ),
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

/// Whether a category id is within the category named by `slug` (subcategories included);
/// every category when there is none, or why the slug is unknown.
fn category_filter<'t>(
    tree: &'t crate::catalog::CategoryTree,
    slug: Option<&str>,
) -> ToolResult<impl Fn(&str) -> bool + 't> {
    let wanted = match slug.map(str::trim) {
        None => None,
        Some(slug) => Some(
            tree.by_slug(slug)
                .ok_or_else(|| {
                    format!("no category {slug:?}: the resource vivr://products/categories lists the slugs")
                })?
                .id
                .clone(),
        ),
    };
    Ok(move |category_id: &str| {
        wanted
            .as_ref()
            .is_none_or(|w| tree.path(category_id).iter().any(|c| &c.id == w))
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
    let within = category_filter(&tree, a.category.as_deref())?;
    let (start, end) = period.span(desk.today);
    let sales =
        analytics::product_sales(catalog, start, end, |_| true).map_err(|e| e.to_string())?;
    // Names and categories of every product in one read.
    let products: std::collections::HashMap<String, crate::catalog::StockLevel> = catalog
        .stock_levels()
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|p| (p.product_id.clone(), p))
        .collect();
    let mut ranks = Vec::new();
    for s in sales.into_iter().filter(|s| s.units > 0) {
        let product = products.get(&s.product_id);
        let category = product.and_then(|p| tree.get(&p.category_id));
        if !category.is_some_and(|c| within(&c.id)) {
            continue;
        }
        ranks.push(ProductRank {
            revenue: cents(s.revenue),
            units: s.units,
            revenue_change_pct: pct(s.revenue, s.previous_revenue),
            units_change_pct: pct(s.units as f64, s.previous_units as f64),
            category: category.map(|c| c.slug.clone()),
            name: product.map(|p| p.name.clone()),
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
            "Du {} au {} : {} en tête des ventes avec {} ({} unités).",
            start.format("%d/%m/%Y"),
            end.format("%d/%m/%Y"),
            top.name.as_deref().unwrap_or(&top.product_id),
            euros(top.revenue),
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

/// Arguments of `get_inventory_insights`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InventoryArgs {
    /// Stock at or under this is low (default 10).
    pub low_stock_threshold: Option<u32>,
    /// A category's slug: its products and its subcategories' only.
    pub category: Option<String>,
}

/// A product's stock and how fast it sells.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StockInfo {
    /// The product's id.
    pub product_id: String,
    /// Its name.
    pub name: String,
    /// Units in stock.
    pub stock: i64,
    /// Units sold per day over the last 30 days.
    pub daily_sales: f64,
    /// Days the stock lasts at that pace (none when it does not sell).
    pub days_of_cover: Option<f64>,
    /// Days before a new unit ships when made to order.
    pub lead_time_days: Option<u32>,
}

/// The state of the stock.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InventoryInsights {
    /// Europe/Paris.
    pub time_zone: &'static str,
    /// Sales pace measured over these days (the last 30, inclusive).
    pub start_date: String,
    /// Today.
    pub end_date: String,
    /// Out of stock, best sellers first (at most 50; `outOfStockCount` has them all).
    pub out_of_stock: Vec<StockInfo>,
    /// How many are out of stock.
    pub out_of_stock_count: usize,
    /// In stock at or under the threshold, fewest days of cover first (at most 50).
    pub low_stock: Vec<StockInfo>,
    /// How many are low.
    pub low_stock_count: usize,
    /// Whose stock lasts fewer days than their lead time: order more now (at most 50).
    pub likely_to_run_out: Vec<StockInfo>,
    /// In stock with no sale in 90 days (at most 50; `deadStockCount` has them all).
    pub dead_stock: Vec<StockInfo>,
    /// How many are dead stock.
    pub dead_stock_count: usize,
    /// The answer in one French sentence.
    pub summary: String,
}

/// Products per list of the inventory insights.
const INVENTORY_LIST: usize = 50;

pub(crate) fn inventory_insights(
    engine: &Engine,
    desk: &Desk,
    a: InventoryArgs,
) -> ToolResult<InventoryInsights> {
    let threshold = i64::from(a.low_stock_threshold.unwrap_or(10));
    let catalog = engine.catalog();
    let tree = catalog.category_tree().map_err(|e| e.to_string())?;
    let within = category_filter(&tree, a.category.as_deref())?;
    let today = desk.today;
    let (pace_start, _) = analytics::Period::Month.span(today);
    let (dead_start, _) = analytics::Period::Quarter.span(today);
    // One read of the last 90 days' lines: which products sold at all, and their units over
    // the last 30.
    let ledger = catalog.ledger().map_err(|e| e.to_string())?;
    let lines = ledger.lines_between(
        analytics::paris_day_start(dead_start),
        analytics::paris_day_start(today + chrono::Days::new(1)),
    );
    let mut pace: std::collections::HashMap<&str, u64> = std::collections::HashMap::new();
    let mut sold: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for line in lines {
        sold.insert(&line.product_id);
        if analytics::paris_day(line.created_at) >= pace_start {
            *pace.entry(&line.product_id).or_default() += line.quantity;
        }
    }
    let mut out = Vec::new();
    let mut low = Vec::new();
    let mut run_out = Vec::new();
    let mut dead = Vec::new();
    for level in catalog.stock_levels().map_err(|e| e.to_string())? {
        if !within(&level.category_id) {
            continue;
        }
        let daily = pace.get(level.product_id.as_str()).copied().unwrap_or(0) as f64 / 30.0;
        let cover =
            (daily > 0.0).then(|| (level.stock.max(0) as f64 / daily * 10.0).round() / 10.0);
        let info = StockInfo {
            daily_sales: cents(daily),
            days_of_cover: cover,
            lead_time_days: level.lead_time_days,
            stock: level.stock,
            name: level.name,
            product_id: level.product_id,
        };
        if info.stock <= 0 {
            out.push(info);
        } else {
            let is_dead = !sold.contains(info.product_id.as_str());
            if info
                .days_of_cover
                .zip(info.lead_time_days)
                .is_some_and(|(cover, lead)| cover < f64::from(lead))
            {
                run_out.push(info.clone());
            }
            if info.stock <= threshold {
                low.push(info.clone());
            }
            if is_dead {
                dead.push(info);
            }
        }
    }
    let by_pace = |a: &StockInfo, b: &StockInfo| {
        b.daily_sales
            .total_cmp(&a.daily_sales)
            .then_with(|| a.product_id.cmp(&b.product_id))
    };
    let by_cover = |a: &StockInfo, b: &StockInfo| {
        let cover = |s: &StockInfo| s.days_of_cover.unwrap_or(f64::INFINITY);
        cover(a)
            .total_cmp(&cover(b))
            .then_with(|| a.stock.cmp(&b.stock))
            .then_with(|| a.product_id.cmp(&b.product_id))
    };
    out.sort_by(by_pace);
    low.sort_by(by_cover);
    run_out.sort_by(by_cover);
    dead.sort_by(|a, b| {
        b.stock
            .cmp(&a.stock)
            .then_with(|| a.product_id.cmp(&b.product_id))
    });
    let (out_count, low_count, dead_count) = (out.len(), low.len(), dead.len());
    let summary = format!(
        "{out_count} produits en rupture, {low_count} en stock faible (≤ {threshold}), {} à réapprovisionner avant leur délai de fabrication, {dead_count} sans vente depuis 90 jours.",
        run_out.len()
    );
    let cut = |mut v: Vec<StockInfo>| {
        v.truncate(INVENTORY_LIST);
        v
    };
    Ok(InventoryInsights {
        time_zone: TIME_ZONE,
        start_date: pace_start.to_string(),
        end_date: today.to_string(),
        out_of_stock: cut(out),
        out_of_stock_count: out_count,
        low_stock: cut(low),
        low_stock_count: low_count,
        likely_to_run_out: cut(run_out),
        dead_stock: cut(dead),
        dead_stock_count: dead_count,
        summary,
    })
}

/// Arguments of `get_revenue_forecast`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ForecastArgs {
    /// Days to forecast from today, 1 to 365 (default 30).
    pub forecast_days: Option<u32>,
}

/// One forecast day, in euros.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ForecastDay {
    /// The day (Europe/Paris).
    pub date: String,
    /// The point forecast.
    pub value: f64,
    /// Lower bound of the 80 % prediction interval.
    pub lower80: f64,
    /// Upper bound of the 80 % prediction interval.
    pub upper80: f64,
    /// Lower bound of the 95 % prediction interval.
    pub lower95: f64,
    /// Upper bound of the 95 % prediction interval.
    pub upper95: f64,
}

/// A forecast's errors on the backtest's held-out days.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ForecastErrors {
    /// Mean absolute scaled error (below 1: better than seasonal naive in sample).
    pub mase: f64,
    /// Weighted absolute percentage error (sum of errors over sum of revenue).
    pub wape: f64,
    /// Share of held-out days inside the 80 % interval.
    pub coverage80: f64,
}

impl From<crate::analytics::forecast::Errors> for ForecastErrors {
    fn from(e: crate::analytics::forecast::Errors) -> ForecastErrors {
        ForecastErrors {
            mase: ratio(e.mase),
            wape: ratio(e.wape),
            coverage80: ratio(e.coverage80),
        }
    }
}

/// How the model and seasonal naive did on the last weeks of history.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BacktestInfo {
    /// Forecast origins in the last weeks.
    pub folds: usize,
    /// Days forecast from each origin.
    pub horizon_days: usize,
    /// The model judged.
    pub model_name: String,
    /// Its errors (none when it could not be fitted).
    pub model: Option<ForecastErrors>,
    /// Seasonal naive's errors (the same weekday of the week before).
    pub seasonal_naive: ForecastErrors,
}

/// A daily revenue forecast.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RevenueForecastInfo {
    /// Europe/Paris.
    pub time_zone: &'static str,
    /// First day of the history the model learnt from.
    pub history_start: String,
    /// Last day of that history (yesterday: today's sales are not all in).
    pub history_end: String,
    /// First forecast day (today).
    pub start_date: String,
    /// Last forecast day.
    pub end_date: String,
    /// The forecast the points come from.
    pub model: String,
    /// Why the answer is seasonal naive, when it is.
    pub fallback_reason: Option<String>,
    /// One point per day.
    pub points: Vec<ForecastDay>,
    /// Sum of the point forecasts, in euros.
    pub total: f64,
    /// The backtest that chose the model.
    pub backtest: BacktestInfo,
    /// What the model does not know.
    pub limitations: &'static str,
    /// The answer in one French sentence.
    pub summary: String,
}

/// What the forecast does not model, stated in every answer.
const FORECAST_LIMITATIONS: &str = "Les événements dont la date change chaque année (Black Friday, soldes) ne sont pas modélisés : ils sont vus comme du bruit, et les intervalles sont trop étroits autour d'eux. La saisonnalité annuelle n'est prise en compte qu'avec deux ans d'historique.";

pub(crate) fn revenue_forecast(
    engine: &Engine,
    desk: &Desk,
    a: ForecastArgs,
) -> ToolResult<RevenueForecastInfo> {
    use crate::analytics::forecast::{MAX_HORIZON_DAYS, ModelKind};
    let days = match a.forecast_days.unwrap_or(30) as usize {
        n @ 1..=MAX_HORIZON_DAYS => n,
        n => {
            return Err(format!(
                "forecastDays must be between 1 and {MAX_HORIZON_DAYS} (got {n})"
            ));
        }
    };
    let answer = analytics::revenue_forecast(engine.catalog(), desk.today, days)
        .map_err(|e| format!("no forecast: {e}"))?;
    let f = &answer.forecast;
    let points: Vec<ForecastDay> = f
        .points
        .iter()
        .enumerate()
        .map(|(i, p)| ForecastDay {
            date: (answer.first_day + chrono::Days::new(i as u64)).to_string(),
            value: cents(p.value),
            lower80: cents(p.lower80),
            upper80: cents(p.upper80),
            lower95: cents(p.lower95),
            upper95: cents(p.upper95),
        })
        .collect();
    let total = cents(f.points.iter().map(|p| p.value).sum());
    let end = answer.first_day + chrono::Days::new(days as u64 - 1);
    let summary = format!(
        "Prévision du {} au {} : {} de chiffre d'affaires ({}{}).",
        answer.first_day.format("%d/%m/%Y"),
        end.format("%d/%m/%Y"),
        euros(total.round()),
        f.model.name(),
        match (f.model, f.backtest.model) {
            (ModelKind::SeasonalNaive, _) => format!(
                " : {}",
                f.fallback_reason.unwrap_or("repli sur la référence")
            ),
            (_, Some(m)) => format!(
                ", erreur au backtest {:.0} % contre {:.0} % pour le naïf saisonnier",
                m.wape * 100.0,
                f.backtest.seasonal_naive.wape * 100.0
            ),
            (_, None) => String::new(),
        }
    );
    Ok(RevenueForecastInfo {
        time_zone: TIME_ZONE,
        history_start: answer.history_start.to_string(),
        history_end: (answer.first_day - chrono::Days::new(1)).to_string(),
        start_date: answer.first_day.to_string(),
        end_date: end.to_string(),
        model: f.model.name().to_owned(),
        fallback_reason: f.fallback_reason.map(str::to_owned),
        points,
        total,
        backtest: BacktestInfo {
            folds: f.backtest.folds,
            horizon_days: f.backtest.horizon,
            model_name: f.candidate.name().to_owned(),
            model: f.backtest.model.map(Into::into),
            seasonal_naive: f.backtest.seasonal_naive.into(),
        },
        limitations: FORECAST_LIMITATIONS,
        summary,
    })
}

/// Arguments of `get_customer_analytics`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CustomerArgs {
    /// acquisition (new customers per period), retention (monthly cohorts by first order),
    /// lifetime_value (per cohort, and its distribution) or cart_abandonment (from carts).
    pub metric: String,
    /// The last day, week, month (default), quarter or year up to today: the span of
    /// acquisition and cart abandonment; retention and lifetime value read the monthly cohorts
    /// of the last 12 months (the year: 12; shorter periods: still 12, cohorts need months).
    pub period: Option<String>,
}

/// New customers in one period.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewCustomers {
    /// The period's first day (the span's first day for a period cut by it).
    pub start: String,
    /// Customers whose first order (paid or later) falls in it.
    pub new_customers: u64,
}

/// New and returning customers over the span.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AcquisitionInfo {
    /// Day, week or month, by the span's length.
    pub granularity: &'static str,
    /// New customers per period.
    pub periods: Vec<NewCustomers>,
    /// Customers whose first order falls in the span.
    pub new_customers: u64,
    /// Customers who ordered again in the span.
    pub returning_customers: u64,
    /// Revenue of new customers' orders in the span, in euros.
    pub new_customer_revenue: f64,
    /// Revenue of returning customers' orders in the span, in euros.
    pub returning_customer_revenue: f64,
}

/// One cohort: the customers whose first order fell in a month.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CohortRow {
    /// The month ("2026-09").
    pub cohort: String,
    /// Customers in it.
    pub customers: u64,
    /// Share who ordered in month k after their first (k = 0: 1), up to this month.
    pub retention: Vec<f64>,
    /// Revenue per customer cumulated to the end of month k, in euros.
    pub revenue_per_customer: Vec<f64>,
}

/// Customers per spend bracket.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SpendBracket {
    /// Lower bound, in euros (inclusive).
    pub from: f64,
    /// Upper bound (exclusive); none for the last bracket.
    pub to: Option<f64>,
    /// Customers.
    pub customers: u64,
}

/// How every customer's spend to date is spread.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ValueDistributionInfo {
    /// Customers with an order paid or later.
    pub customers: u64,
    /// Mean spend per customer, in euros.
    pub mean: f64,
    /// First quartile.
    pub p25: f64,
    /// Median.
    pub median: f64,
    /// Third quartile.
    pub p75: f64,
    /// 90th percentile.
    pub p90: f64,
    /// Customers per bracket.
    pub brackets: Vec<SpendBracket>,
}

/// A product often left in abandoned carts.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AbandonedProduct {
    /// The product's id.
    pub product_id: String,
    /// Its name, when still in the catalog.
    pub name: Option<String>,
    /// Abandoned carts holding it.
    pub carts: u64,
}

/// What became of the span's carts.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CartAbandonmentInfo {
    /// Carts created in the span.
    pub carts: u64,
    /// Carts that became an order.
    pub converted: u64,
    /// Carts without an order untouched for 24 hours.
    pub abandoned: u64,
    /// Carts without an order touched in the last 24 hours (counted neither way).
    pub open: u64,
    /// Abandoned over abandoned and converted (none without either).
    pub abandonment_rate: Option<f64>,
    /// Value left in abandoned carts, in euros.
    pub abandoned_value: f64,
    /// Products most often left behind.
    pub top_abandoned_products: Vec<AbandonedProduct>,
}

/// Customer analytics: one metric per call.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CustomerAnalytics {
    /// The metric asked for.
    pub metric: String,
    /// Europe/Paris.
    pub time_zone: &'static str,
    /// First day read, inclusive.
    pub start_date: String,
    /// Last day read (today), inclusive.
    pub end_date: String,
    /// acquisition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acquisition: Option<AcquisitionInfo>,
    /// retention and lifetime_value: the cohort table, oldest cohort first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cohorts: Option<Vec<CohortRow>>,
    /// lifetime_value: the spread of every customer's spend to date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distribution: Option<ValueDistributionInfo>,
    /// cart_abandonment, when the export has carts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cart_abandonment: Option<CartAbandonmentInfo>,
    /// cart_abandonment: false when the export has no carts (carts.ndjson): no figure then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub has_cart_data: Option<bool>,
    /// The answer in one French sentence.
    pub summary: String,
}

/// Monthly cohorts read by retention and lifetime value.
const COHORT_MONTHS: u32 = 12;

fn period_arg(period: Option<&str>) -> ToolResult<analytics::Period> {
    let name = period.map(str::trim).unwrap_or("month");
    analytics::Period::parse(name)
        .ok_or_else(|| format!("period must be day, week, month, quarter or year (got {name:?})"))
}

pub(crate) fn customer_analytics(
    engine: &Engine,
    desk: &Desk,
    a: CustomerArgs,
) -> ToolResult<CustomerAnalytics> {
    use crate::analytics::customers;
    let period = period_arg(a.period.as_deref())?;
    let metric = a.metric.trim().to_owned();
    let catalog = engine.catalog();
    let (start, end) = period.span(desk.today);
    let dmy = |d: NaiveDate| d.format("%d/%m/%Y").to_string();
    let mut answer = CustomerAnalytics {
        metric: metric.clone(),
        time_zone: TIME_ZONE,
        start_date: start.to_string(),
        end_date: end.to_string(),
        acquisition: None,
        cohorts: None,
        distribution: None,
        cart_abandonment: None,
        has_cart_data: None,
        summary: String::new(),
    };
    match metric.as_str() {
        "acquisition" => {
            let ledger = catalog.ledger().map_err(|e| e.to_string())?;
            let orders = ledger.customer_orders();
            let granularity = match period {
                analytics::Period::Day | analytics::Period::Week | analytics::Period::Month => {
                    Granularity::Day
                }
                analytics::Period::Quarter => Granularity::Week,
                analytics::Period::Year => Granularity::Month,
            };
            let acq = customers::acquisition(orders, start, end, granularity);
            answer.summary = format!(
                "Du {} au {} : {} nouveaux clients et {} clients revenus ; les nouveaux clients font {:.0} % du chiffre d'affaires.",
                dmy(start),
                dmy(end),
                acq.new_customers,
                acq.returning_customers,
                {
                    let all = acq.new_revenue + acq.returning_revenue;
                    if all > 0.0 {
                        acq.new_revenue / all * 100.0
                    } else {
                        0.0
                    }
                }
            );
            answer.acquisition = Some(AcquisitionInfo {
                granularity: match granularity {
                    Granularity::Day => "day",
                    Granularity::Week => "week",
                    Granularity::Month => "month",
                },
                periods: acq
                    .periods
                    .iter()
                    .map(|(p, n)| NewCustomers {
                        start: (*p).max(start).to_string(),
                        new_customers: *n,
                    })
                    .collect(),
                new_customers: acq.new_customers,
                returning_customers: acq.returning_customers,
                new_customer_revenue: cents(acq.new_revenue),
                returning_customer_revenue: cents(acq.returning_revenue),
            });
        }
        "retention" | "lifetime_value" => {
            let ledger = catalog.ledger().map_err(|e| e.to_string())?;
            let orders = ledger.customer_orders();
            // A walk over every customer's orders: once per day while the replica is the same.
            let today = desk.today;
            let cohorts = ledger.memo(&format!("cohorts {today}"), || {
                Ok::<_, String>(customers::cohorts(orders, today, COHORT_MONTHS))
            })?;
            let first = cohorts.first().map(|c| c.month).unwrap_or(start);
            answer.start_date = first.to_string();
            let rows: Vec<CohortRow> = cohorts
                .iter()
                .map(|c| CohortRow {
                    cohort: c.month.format("%Y-%m").to_string(),
                    customers: c.customers,
                    retention: c.retention.iter().map(|&r| ratio(r)).collect(),
                    revenue_per_customer: c
                        .revenue_per_customer
                        .iter()
                        .map(|&v| cents(v))
                        .collect(),
                })
                .collect();
            if metric == "retention" {
                // The share of each cohort back in its second month, where one exists.
                let second: Vec<f64> = cohorts
                    .iter()
                    .filter(|c| c.customers > 0 && c.retention.len() > 1)
                    .map(|c| c.retention[1])
                    .collect();
                answer.summary = match second.len() {
                    0 => "Pas encore de cohorte assez ancienne pour mesurer un retour.".to_owned(),
                    n => format!(
                        "Sur {} cohortes mensuelles, {} % des nouveaux clients recommandent le mois suivant (moyenne).",
                        n,
                        decimal(second.iter().sum::<f64>() / n as f64 * 100.0, false)
                    ),
                };
            } else {
                let d = ledger.memo(&format!("spend distribution {today}"), || {
                    Ok::<_, String>(customers::value_distribution(orders, today))
                })?;
                answer.summary = format!(
                    "{} clients : dépense moyenne {}, médiane {}, 10 % des clients au-delà de {}.",
                    d.customers,
                    euros(d.mean),
                    euros(d.median),
                    euros(d.p90)
                );
                answer.distribution = Some(ValueDistributionInfo {
                    customers: d.customers,
                    mean: cents(d.mean),
                    p25: cents(d.p25),
                    median: cents(d.median),
                    p75: cents(d.p75),
                    p90: cents(d.p90),
                    brackets: d
                        .brackets
                        .iter()
                        .map(|&(from, to, customers)| SpendBracket {
                            from,
                            to,
                            customers,
                        })
                        .collect(),
                });
            }
            answer.cohorts = Some(rows);
        }
        "cart_abandonment" => {
            let ledger = catalog.ledger().map_err(|e| e.to_string())?;
            if ledger.carts().is_empty() {
                answer.has_cart_data = Some(false);
                answer.summary = "Aucune donnée de panier : l'export ne contient pas de paniers (carts.ndjson), le taux d'abandon n'est pas mesurable.".to_owned();
                return Ok(answer);
            }
            let carts = ledger.carts_between(
                analytics::paris_day_start(start),
                analytics::paris_day_start(end + chrono::Days::new(1)),
            );
            // As of the end of today: a pinned day reads as that day's evening.
            let now =
                chrono::Utc::now().min(analytics::paris_day_start(end + chrono::Days::new(1)));
            let c = customers::cart_abandonment(carts, now, 10);
            let mut top = Vec::new();
            for (product_id, carts) in c.top_abandoned {
                let name = catalog
                    .product(&product_id)
                    .map_err(|e| e.to_string())?
                    .map(|p| p.name);
                top.push(AbandonedProduct {
                    product_id,
                    name,
                    carts,
                });
            }
            answer.summary = match c.rate {
                Some(rate) => format!(
                    "Du {} au {} : {} paniers, {} % abandonnés ({} laissés), {} convertis en commande.",
                    dmy(start),
                    dmy(end),
                    c.carts,
                    decimal(rate * 100.0, false),
                    euros(c.abandoned_value),
                    c.converted
                ),
                None => format!(
                    "Du {} au {} : aucun panier converti ni abandonné ({} encore ouverts).",
                    dmy(start),
                    dmy(end),
                    c.open
                ),
            };
            answer.has_cart_data = Some(true);
            answer.cart_abandonment = Some(CartAbandonmentInfo {
                carts: c.carts,
                converted: c.converted,
                abandoned: c.abandoned,
                open: c.open,
                abandonment_rate: c.rate.map(ratio),
                abandoned_value: cents(c.abandoned_value),
                top_abandoned_products: top,
            });
        }
        other => {
            return Err(format!(
                "metric must be acquisition, retention, lifetime_value or cart_abandonment (got {other:?})"
            ));
        }
    }
    Ok(answer)
}

/// Arguments of `get_search_insights`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SearchInsightsArgs {
    /// The last day, week, month (default), quarter or year up to today.
    pub period: Option<String>,
    /// Entries per list, 1 to 100 (default 10).
    pub limit: Option<u32>,
}

/// One query's figures over the period.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct QueryInfo {
    /// The query (masked for personal data when logged, lower-cased).
    pub query: String,
    /// Searches (a session's keystrokes merged into the query they led to).
    pub searches: u64,
    /// Of those, searches that found nothing.
    pub zero_result_searches: u64,
    /// Clicked searches over searches (only when events exist).
    pub click_through_rate: Option<f64>,
    /// Searches followed by a purchase over searches (only when events exist).
    pub conversion_rate: Option<f64>,
}

/// A word and how often.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WordCount {
    /// The word as typed.
    pub word: String,
    /// Searches it occurred in.
    pub searches: u64,
}

/// What shoppers searched for over the period.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchInsightsInfo {
    /// Europe/Paris.
    pub time_zone: &'static str,
    /// First day, inclusive.
    pub start_date: String,
    /// Last day (today), inclusive.
    pub end_date: String,
    /// Searches logged, every keystroke.
    pub logged_searches: u64,
    /// Searches counted (keystrokes merged, empty queries left out).
    pub searches: u64,
    /// Searches that found nothing, over searches.
    pub zero_result_rate: f64,
    /// Whether the storefront sent events for these searches (POST /v1/events).
    pub has_events: bool,
    /// Clicked searches over searches (only with events).
    pub click_through_rate: Option<f64>,
    /// Purchasing searches over searches (only with events).
    pub conversion_rate: Option<f64>,
    /// Most searched.
    pub top_queries: Vec<QueryInfo>,
    /// Searched and found nothing: demand the catalog does not meet.
    pub zero_result_queries: Vec<QueryInfo>,
    /// Found results that shoppers rarely clicked (3 searches at least; only with events).
    pub rarely_clicked_queries: Vec<QueryInfo>,
    /// Words dropped to find results.
    pub dropped_words: Vec<WordCount>,
    /// Words found only as a typo of an indexed word.
    pub corrected_words: Vec<WordCount>,
    /// The answer in one French sentence.
    pub summary: String,
}

/// The last day of the engine's own traffic (search logs, events), which its clock dates: the
/// store's day, or today in Paris when that day is pinned earlier (the demo's store is frozen
/// on 6 November 2026; its searches are made now).
fn traffic_today(desk: &Desk) -> NaiveDate {
    desk.today.max(analytics::paris_day(chrono::Utc::now()))
}

pub(crate) fn search_insights(
    engine: &Engine,
    desk: &Desk,
    a: SearchInsightsArgs,
) -> ToolResult<SearchInsightsInfo> {
    let period = period_arg(a.period.as_deref())?;
    let limit = match a.limit.unwrap_or(10) {
        n @ 1..=100 => n as usize,
        n => return Err(format!("limit must be between 1 and 100 (got {n})")),
    };
    let state = desk
        .state
        .ok_or("search logs are not available on this server (no state database)")?;
    let (start, end) = period.span(traffic_today(desk));
    let from = analytics::paris_day_start(start).timestamp_millis();
    let to = analytics::paris_day_start(end + chrono::Days::new(1)).timestamp_millis();
    let logs = state
        .searches_between(from, to)
        .map_err(|e| e.to_string())?;
    let events = state.events_between(from, to).map_err(|e| e.to_string())?;
    let live = engine.generation();
    let i = crate::analytics::searches::search_insights(&logs, &events, limit, |exact, stem| {
        live.text().knows_analysed(exact, stem)
    });
    let query = |q: &crate::analytics::searches::QueryStats| QueryInfo {
        query: q.query.clone(),
        searches: q.searches,
        zero_result_searches: q.zero_result_searches,
        click_through_rate: i.has_events.then(|| ratio(q.click_through_rate())),
        conversion_rate: i.has_events.then(|| ratio(q.conversion_rate())),
    };
    let words = |list: &[(String, u64)]| {
        list.iter()
            .map(|(word, searches)| WordCount {
                word: word.clone(),
                searches: *searches,
            })
            .collect()
    };
    let summary = if i.searches == 0 {
        format!(
            "Aucune recherche enregistrée du {} au {}.",
            start.format("%d/%m/%Y"),
            end.format("%d/%m/%Y")
        )
    } else {
        format!(
            "Du {} au {} : {} recherches, {} % sans résultat{}{}.",
            start.format("%d/%m/%Y"),
            end.format("%d/%m/%Y"),
            i.searches,
            decimal(i.zero_result_rate * 100.0, false),
            match i.zero_results.first() {
                Some(q) => format!(" (la plus demandée : « {} »)", q.query),
                None => String::new(),
            },
            match i.click_through_rate {
                Some(ctr) => format!(", {} % suivies d'un clic", decimal(ctr * 100.0, false)),
                None => ", pas d'événements de clic reçus".to_owned(),
            }
        )
    };
    Ok(SearchInsightsInfo {
        time_zone: TIME_ZONE,
        start_date: start.to_string(),
        end_date: end.to_string(),
        logged_searches: i.logged,
        searches: i.searches,
        zero_result_rate: ratio(i.zero_result_rate),
        has_events: i.has_events,
        click_through_rate: i.click_through_rate.map(ratio),
        conversion_rate: i.conversion_rate.map(ratio),
        top_queries: i.top.iter().map(query).collect(),
        zero_result_queries: i.zero_results.iter().map(query).collect(),
        rarely_clicked_queries: i.rarely_clicked.iter().map(query).collect(),
        dropped_words: words(&i.dropped_words),
        corrected_words: words(&i.corrected_words),
        summary,
    })
}

/// Arguments of `get_category_performance`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CategoryArgs {
    /// The last day, week, month (default), quarter or year up to today.
    pub period: Option<String>,
}

/// One category's performance (its subcategories included).
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CategoryPerformance {
    /// The category's slug.
    pub category: String,
    /// Its name.
    pub name: String,
    /// Revenue in the period, in euros.
    pub revenue: f64,
    /// Units in the period.
    pub units: u64,
    /// Revenue change from the period before, in percent.
    pub revenue_change_pct: Option<f64>,
    /// Units change from the period before, in percent.
    pub units_change_pct: Option<f64>,
    /// Gross margin over the products whose cost is known, in euros (none when none is).
    pub margin: Option<f64>,
    /// That margin over their revenue.
    pub margin_rate: Option<f64>,
    /// Share of the revenue whose cost is known.
    pub margin_coverage: f64,
    /// Clicks on its products in search results (only with events).
    pub search_clicks: Option<u64>,
    /// Purchases of its products from search results (only with events).
    pub search_purchases: Option<u64>,
    /// Purchases over clicks from search results (only with clicks).
    pub search_conversion_rate: Option<f64>,
    /// Its subcategories, best revenue first (top-level categories only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub subcategories: Vec<CategoryPerformance>,
}

/// Every top-level category's performance.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CategoryPerformanceInfo {
    /// Europe/Paris.
    pub time_zone: &'static str,
    /// First day, inclusive.
    pub start_date: String,
    /// Last day (today), inclusive.
    pub end_date: String,
    /// Whether the storefront sent events for the period (search figures need them).
    pub has_events: bool,
    /// Top-level categories, best revenue first, each with its subcategories.
    pub categories: Vec<CategoryPerformance>,
    /// The answer in one French sentence.
    pub summary: String,
}

pub(crate) fn category_performance(
    engine: &Engine,
    desk: &Desk,
    a: CategoryArgs,
) -> ToolResult<CategoryPerformanceInfo> {
    let period = period_arg(a.period.as_deref())?;
    let (start, end) = period.span(desk.today);
    let events = match desk.state {
        Some(state) => state
            .events_between(
                analytics::paris_day_start(start).timestamp_millis(),
                analytics::paris_day_start(end.max(traffic_today(desk)) + chrono::Days::new(1))
                    .timestamp_millis(),
            )
            .map_err(|e| e.to_string())?,
        None => Vec::new(),
    };
    let has_events = events.iter().any(|e| e.query_id.is_some());
    let catalog = engine.catalog();
    let tree = catalog.category_tree().map_err(|e| e.to_string())?;
    let sales = crate::analytics::categories::category_sales(catalog, start, end, &events)
        .map_err(|e| e.to_string())?;
    let empty = crate::analytics::categories::CategorySales::default();
    let row = |c: &crate::catalog::Category| {
        let s = sales.get(&c.id).unwrap_or(&empty);
        CategoryPerformance {
            category: c.slug.clone(),
            name: c.name.clone(),
            revenue: cents(s.revenue),
            units: s.units,
            revenue_change_pct: pct(s.revenue, s.previous_revenue),
            units_change_pct: pct(s.units as f64, s.previous_units as f64),
            margin: s.margin().map(cents),
            margin_rate: s.margin().map(|m| ratio(m / s.costed_revenue)),
            margin_coverage: ratio(s.margin_coverage()),
            search_clicks: has_events.then_some(s.search_clicks),
            search_purchases: has_events.then_some(s.search_purchases),
            search_conversion_rate: (s.search_clicks > 0)
                .then(|| ratio(s.search_purchases as f64 / s.search_clicks as f64)),
            subcategories: Vec::new(),
        }
    };
    let by_revenue =
        |a: &CategoryPerformance, b: &CategoryPerformance| b.revenue.total_cmp(&a.revenue);
    let mut categories: Vec<CategoryPerformance> = tree
        .children(None)
        .into_iter()
        .map(|top| {
            let mut r = row(top);
            r.subcategories = tree.children(Some(&top.id)).into_iter().map(row).collect();
            r.subcategories.sort_by(by_revenue);
            r
        })
        .collect();
    categories.sort_by(by_revenue);
    let summary = match categories.first() {
        Some(best) if best.revenue > 0.0 => format!(
            "Du {} au {} : {} en tête avec {}{}.",
            start.format("%d/%m/%Y"),
            end.format("%d/%m/%Y"),
            best.name,
            euros(best.revenue),
            match best.revenue_change_pct {
                Some(p) => format!(
                    " ({} % par rapport à la période précédente)",
                    decimal(p, true)
                ),
                None => String::new(),
            }
        ),
        _ => format!(
            "Aucune vente du {} au {}.",
            start.format("%d/%m/%Y"),
            end.format("%d/%m/%Y")
        ),
    };
    Ok(CategoryPerformanceInfo {
        time_zone: TIME_ZONE,
        start_date: start.to_string(),
        end_date: end.to_string(),
        has_events,
        categories,
        summary,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn amounts_read_as_in_french() {
        assert_eq!(super::euros(207_506.987), "207\u{202f}506,99\u{202f}€");
        assert_eq!(super::euros(12.5), "12,50\u{202f}€");
        assert_eq!(super::euros(1000.0), "1\u{202f}000\u{202f}€");
        assert_eq!(super::euros(-3.0), "-3\u{202f}€");
    }
}
