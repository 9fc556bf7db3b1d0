//! What the store's data says to the merchant: sales over periods (this file), computed on the
//! replica for the analytics MCP server and the admin routes. Dates are calendar days in
//! Europe/Paris, as the merchant reads them; revenue counts the orders that are paid or later
//! (`PAID`, `PROCESSING`, `SHIPPED`, `DELIVERED`), dated by their creation.

pub mod categories;
pub mod customers;
pub mod forecast;
pub mod searches;

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeZone, Utc};

use crate::catalog::{Catalog, CatalogError};

/// The time zone every analytics answer states.
pub const TIME_ZONE: &str = "Europe/Paris";

/// Paris's offset from UTC at `at`, in seconds: CET (+1 h), or CEST (+2 h) from the last
/// Sunday of March 01:00 UTC to the last Sunday of October 01:00 UTC (the EU rule since 1996).
pub fn paris_offset_secs(at: DateTime<Utc>) -> i32 {
    // The year's two switches, kept per thread: the analytics walk orders in time order, so
    // nearly every call is in the year of the one before.
    type Switches = (i32, DateTime<Utc>, DateTime<Utc>);
    thread_local! {
        static SWITCHES: std::cell::Cell<Option<Switches>> = const { std::cell::Cell::new(None) };
    }
    let year = at.year();
    let (spring, autumn) = match SWITCHES.get() {
        Some((y, spring, autumn)) if y == year => (spring, autumn),
        _ => {
            let (spring, autumn) = summer_time(year);
            SWITCHES.set(Some((year, spring, autumn)));
            (spring, autumn)
        }
    };
    if at >= spring && at < autumn {
        7200
    } else {
        3600
    }
}

/// When summer time starts and ends in `year` (UTC).
fn summer_time(year: i32) -> (DateTime<Utc>, DateTime<Utc>) {
    let last_sunday = |month: u32| {
        let first_of_next = if month == 12 {
            NaiveDate::from_ymd_opt(year + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(year, month + 1, 1)
        }
        .expect("valid date");
        let last = first_of_next.pred_opt().expect("valid date");
        last - Days::new(u64::from(last.weekday().num_days_from_sunday()))
    };
    let switch = |month: u32| {
        Utc.from_utc_datetime(&last_sunday(month).and_hms_opt(1, 0, 0).expect("valid time"))
    };
    (switch(3), switch(10))
}

/// The Paris calendar day of a UTC time.
pub fn paris_day(at: DateTime<Utc>) -> NaiveDate {
    (at + chrono::Duration::seconds(i64::from(paris_offset_secs(at)))).date_naive()
}

/// The UTC time at which a Paris calendar day starts.
pub fn paris_day_start(day: NaiveDate) -> DateTime<Utc> {
    let midnight = Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).expect("valid time"));
    // The offset that holds at that local midnight (never a switch hour, at 01:00 UTC).
    midnight
        - chrono::Duration::seconds(i64::from(paris_offset_secs(
            midnight - chrono::Duration::hours(2),
        )))
}

/// The size of the periods a summary is split into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    /// Calendar days.
    Day,
    /// ISO weeks, Monday first.
    Week,
    /// Calendar months.
    Month,
}

impl Granularity {
    /// The first day of the period holding `day`.
    pub fn period_of(self, day: NaiveDate) -> NaiveDate {
        match self {
            Granularity::Day => day,
            Granularity::Week => day - Days::new(u64::from(day.weekday().num_days_from_monday())),
            Granularity::Month => day.with_day(1).expect("day 1 exists"),
        }
    }

    /// The first day of every period of `start..=end`, in order (the first may start before
    /// `start`).
    pub fn periods(self, start: NaiveDate, end: NaiveDate) -> Vec<NaiveDate> {
        let mut periods: Vec<NaiveDate> = Vec::new();
        let mut day = start;
        while day <= end {
            let period = self.period_of(day);
            if periods.last() != Some(&period) {
                periods.push(period);
            }
            day = day + Days::new(1);
        }
        periods
    }

    /// The granularity from its name.
    pub fn parse(name: &str) -> Option<Granularity> {
        match name {
            "day" => Some(Granularity::Day),
            "week" => Some(Granularity::Week),
            "month" => Some(Granularity::Month),
            _ => None,
        }
    }
}

/// Revenue, orders, units and average basket of a set of orders.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SalesFigures {
    /// Sum of the orders' totals, in euros.
    pub revenue: f64,
    /// Orders.
    pub orders: u64,
    /// Units ordered.
    pub units: u64,
}

impl SalesFigures {
    fn add(&mut self, total: f64, units: u64) {
        self.revenue += total;
        self.orders += 1;
        self.units += units;
    }

    /// Revenue per order (0 without orders).
    pub fn average_basket(&self) -> f64 {
        if self.orders == 0 {
            0.0
        } else {
            self.revenue / self.orders as f64
        }
    }
}

/// Sales between two days, per period, with the previous equal span for comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct SalesSummary {
    /// First day (inclusive, Paris).
    pub start: NaiveDate,
    /// Last day (inclusive, Paris).
    pub end: NaiveDate,
    /// The whole span.
    pub total: SalesFigures,
    /// The span of the same length just before.
    pub previous: SalesFigures,
    /// Per period (its first day), every period of the span, empty ones included.
    pub periods: Vec<(NaiveDate, SalesFigures)>,
}

/// Longest span a summary covers, in days.
pub const MAX_SUMMARY_DAYS: i64 = 3 * 366;

/// The sales of the days `start..=end` (Paris), split by `granularity`.
pub fn sales_summary(
    catalog: &Catalog,
    start: NaiveDate,
    end: NaiveDate,
    granularity: Granularity,
) -> Result<SalesSummary, CatalogError> {
    let days = (end - start).num_days() + 1;
    let previous_start = start - Days::new(days as u64);
    let ledger = catalog.ledger()?;
    let sales = ledger.sales_between(
        paris_day_start(previous_start),
        paris_day_start(end + Days::new(1)),
    );
    let mut total = SalesFigures::default();
    let mut previous = SalesFigures::default();
    let mut periods: Vec<(NaiveDate, SalesFigures)> = granularity
        .periods(start, end)
        .into_iter()
        .map(|p| (p, SalesFigures::default()))
        .collect();
    for sale in sales {
        let day = paris_day(sale.created_at);
        if day < start {
            if day >= previous_start {
                previous.add(sale.total, sale.units);
            }
            continue;
        }
        if day > end {
            continue;
        }
        total.add(sale.total, sale.units);
        let period = granularity.period_of(day);
        // Periods are in day order: a binary search finds the sale's.
        if let Ok(i) = periods.binary_search_by_key(&period, |(p, _)| *p) {
            periods[i].1.add(sale.total, sale.units);
        }
    }
    Ok(SalesSummary {
        start,
        end,
        total,
        previous,
        periods,
    })
}

/// Revenue per Paris day of `start..=end`, oldest first, one value per day (0 for a day
/// without sales).
pub fn daily_revenue(
    catalog: &Catalog,
    start: NaiveDate,
    end: NaiveDate,
) -> Result<Vec<f64>, CatalogError> {
    let days = usize::try_from((end - start).num_days() + 1).unwrap_or(0);
    let mut revenue = vec![0.0; days];
    let ledger = catalog.ledger()?;
    for sale in ledger.sales_between(paris_day_start(start), paris_day_start(end + Days::new(1))) {
        let day = (paris_day(sale.created_at) - start).num_days();
        if let Some(slot) = usize::try_from(day).ok().and_then(|d| revenue.get_mut(d)) {
            *slot += sale.total;
        }
    }
    Ok(revenue)
}

/// Days of history a revenue forecast reads at most (three years).
pub const FORECAST_HISTORY_DAYS: u64 = 3 * 365;

/// A daily revenue forecast from the history up to the day before `today`.
#[derive(Debug, Clone, PartialEq)]
pub struct DailyForecast {
    /// First day of history read (the first with a sale, at most three years back).
    pub history_start: NaiveDate,
    /// Revenue per day from `history_start` to the day before the first forecast day.
    pub history: Vec<f64>,
    /// First forecast day (`today`: its sales are not all in yet).
    pub first_day: NaiveDate,
    /// The forecast.
    pub forecast: forecast::RevenueForecast,
}

/// Forecasts `days` days of revenue from `today` on, from the complete days before it.
pub fn revenue_forecast(
    catalog: &Catalog,
    today: NaiveDate,
    days: usize,
) -> Result<std::sync::Arc<DailyForecast>, AnalyticsError> {
    // Fitting takes a tenth of a second: once per day and horizon while the replica is the same.
    catalog
        .ledger()?
        .memo(&format!("revenue forecast {today} {days}"), || {
            let last = today - Days::new(1);
            let earliest = today - Days::new(FORECAST_HISTORY_DAYS);
            let mut history = daily_revenue(catalog, earliest, last)?;
            // History starts at the first day with a sale: the shop did not exist before.
            let leading = history.iter().take_while(|&&v| v == 0.0).count();
            history.drain(..leading);
            let forecast = forecast::forecast(&history, days)?;
            Ok(DailyForecast {
                history_start: earliest + Days::new(leading as u64),
                history,
                first_day: today,
                forecast,
            })
        })
}

/// Why an analytics answer could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum AnalyticsError {
    /// Reading the replica failed.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// No forecast from this history.
    #[error(transparent)]
    Forecast(#[from] forecast::ForecastError),
}

/// A rolling span of days ending today, as `period` arguments name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// Today.
    Day,
    /// The last 7 days.
    Week,
    /// The last 30 days.
    Month,
    /// The last 91 days.
    Quarter,
    /// The last 365 days.
    Year,
}

impl Period {
    /// The period from its name.
    pub fn parse(name: &str) -> Option<Period> {
        match name {
            "day" => Some(Period::Day),
            "week" => Some(Period::Week),
            "month" => Some(Period::Month),
            "quarter" => Some(Period::Quarter),
            "year" => Some(Period::Year),
            _ => None,
        }
    }

    /// Its length in days.
    pub fn days(self) -> u64 {
        match self {
            Period::Day => 1,
            Period::Week => 7,
            Period::Month => 30,
            Period::Quarter => 91,
            Period::Year => 365,
        }
    }

    /// Its first and last days (inclusive) when it ends on `today`.
    pub fn span(self, today: NaiveDate) -> (NaiveDate, NaiveDate) {
        (today - Days::new(self.days() - 1), today)
    }
}

/// One product's sales in a span and in the span of the same length before it.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductSales {
    /// The product.
    pub product_id: String,
    /// Units in the span.
    pub units: u64,
    /// Revenue in the span, in euros.
    pub revenue: f64,
    /// Units in the span before.
    pub previous_units: u64,
    /// Revenue in the span before.
    pub previous_revenue: f64,
}

/// Every product sold in `start..=end` (Paris days) or in the span of the same length before
/// it, with its sales in both;
/// `keep` filters the products (a category).
pub fn product_sales(
    catalog: &Catalog,
    start: NaiveDate,
    end: NaiveDate,
    keep: impl Fn(&str) -> bool,
) -> Result<Vec<ProductSales>, CatalogError> {
    let days = (end - start).num_days() + 1;
    let previous_start = start - Days::new(days as u64);
    let ledger = catalog.ledger()?;
    let lines = ledger.lines_between(
        paris_day_start(previous_start),
        paris_day_start(end + Days::new(1)),
    );
    let mut by_product: std::collections::HashMap<String, ProductSales> =
        std::collections::HashMap::new();
    for line in lines {
        if !keep(&line.product_id) {
            continue;
        }
        let day = paris_day(line.created_at);
        let entry = by_product
            .entry(line.product_id.clone())
            .or_insert_with(|| ProductSales {
                product_id: line.product_id.clone(),
                units: 0,
                revenue: 0.0,
                previous_units: 0,
                previous_revenue: 0.0,
            });
        if day >= start && day <= end {
            entry.units += line.quantity;
            entry.revenue += line.revenue;
        } else if day >= previous_start && day < start {
            entry.previous_units += line.quantity;
            entry.previous_revenue += line.revenue;
        }
    }
    let mut sales: Vec<ProductSales> = by_product
        .into_values()
        .filter(|p| p.units > 0 || p.previous_units > 0)
        .collect();
    sales.sort_by(|a, b| a.product_id.cmp(&b.product_id));
    Ok(sales)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn paris_days_follow_summer_time() {
        // 2026: CEST from Sunday 29 March 01:00 UTC to Sunday 25 October 01:00 UTC.
        assert_eq!(paris_offset_secs(utc("2026-03-29T00:59:59Z")), 3600);
        assert_eq!(paris_offset_secs(utc("2026-03-29T01:00:00Z")), 7200);
        assert_eq!(paris_offset_secs(utc("2026-10-25T00:59:59Z")), 7200);
        assert_eq!(paris_offset_secs(utc("2026-10-25T01:00:00Z")), 3600);
        // 23:30 UTC is already the next day in Paris, in winter and in summer.
        assert_eq!(paris_day(utc("2026-01-10T23:30:00Z")), date("2026-01-11"));
        assert_eq!(paris_day(utc("2026-07-10T22:30:00Z")), date("2026-07-11"));
        assert_eq!(paris_day(utc("2026-07-10T21:59:00Z")), date("2026-07-10"));
        assert_eq!(
            paris_day_start(date("2026-01-11")),
            utc("2026-01-10T23:00:00Z")
        );
        assert_eq!(
            paris_day_start(date("2026-07-11")),
            utc("2026-07-10T22:00:00Z")
        );
    }

    #[test]
    fn periods_start_on_mondays_and_firsts() {
        let wednesday = date("2026-11-25");
        assert_eq!(Granularity::Week.period_of(wednesday), date("2026-11-23"));
        assert_eq!(Granularity::Month.period_of(wednesday), date("2026-11-01"));
        assert_eq!(Granularity::Day.period_of(wednesday), wednesday);
    }
}
