//! Customers from their orders: acquisition, monthly cohorts by first order (retention and
//! lifetime value), and cart abandonment from the storefront's carts. A customer is a user id
//! with an order paid or later; their first such order dates their cohort. Nothing here names a
//! customer: every answer is a count, a share or an amount.

use std::collections::HashMap;

use chrono::{Datelike, Months, NaiveDate};

use super::{Granularity, paris_day};
use crate::catalog::{Cart, CustomerOrder};

/// New and returning customers over a span.
#[derive(Debug, Clone, PartialEq)]
pub struct Acquisition {
    /// Per period (its first day): customers whose first order falls in it.
    pub periods: Vec<(NaiveDate, u64)>,
    /// Customers whose first order falls in the span.
    pub new_customers: u64,
    /// Customers who ordered in the span after a first order before it.
    pub returning_customers: u64,
    /// Revenue of new customers' orders in the span.
    pub new_revenue: f64,
    /// Revenue of returning customers' orders in the span.
    pub returning_revenue: f64,
}

/// Each customer's first order day, from orders oldest first.
fn first_days(orders: &[CustomerOrder]) -> HashMap<&str, NaiveDate> {
    let mut first = HashMap::new();
    for o in orders {
        first
            .entry(o.user_id.as_str())
            .or_insert_with(|| paris_day(o.created_at));
    }
    first
}

/// New and returning customers of `start..=end` (Paris days), new ones per `granularity`.
pub fn acquisition(
    orders: &[CustomerOrder],
    start: NaiveDate,
    end: NaiveDate,
    granularity: Granularity,
) -> Acquisition {
    let first = first_days(orders);
    let mut periods: Vec<(NaiveDate, u64)> = granularity
        .periods(start, end)
        .into_iter()
        .map(|p| (p, 0))
        .collect();
    let mut new_customers = 0;
    for &day in first.values() {
        if day >= start && day <= end {
            new_customers += 1;
            let period = granularity.period_of(day);
            if let Ok(i) = periods.binary_search_by_key(&period, |(p, _)| *p) {
                periods[i].1 += 1;
            }
        }
    }
    let mut returning: HashMap<&str, ()> = HashMap::new();
    let (mut new_revenue, mut returning_revenue) = (0.0, 0.0);
    for o in orders {
        let day = paris_day(o.created_at);
        if day < start || day > end {
            continue;
        }
        if first[o.user_id.as_str()] >= start {
            new_revenue += o.total;
        } else {
            returning_revenue += o.total;
            returning.insert(&o.user_id, ());
        }
    }
    Acquisition {
        periods,
        new_customers,
        returning_customers: returning.len() as u64,
        new_revenue,
        returning_revenue,
    }
}

/// The customers whose first order fell in one month, and what they did in the months after.
#[derive(Debug, Clone, PartialEq)]
pub struct Cohort {
    /// The month's first day.
    pub month: NaiveDate,
    /// Customers in the cohort.
    pub customers: u64,
    /// Share of the cohort who ordered in month `k` after their first (index 0: 1.0), up to
    /// the current month.
    pub retention: Vec<f64>,
    /// Revenue per customer of the cohort up to the end of month `k`, cumulated.
    pub revenue_per_customer: Vec<f64>,
}

/// Months from `from` to `to` (both first days of months).
fn months_between(from: NaiveDate, to: NaiveDate) -> usize {
    ((to.year() - from.year()) * 12 + to.month() as i32 - from.month() as i32).max(0) as usize
}

/// The monthly cohorts of the `months` months up to `today`'s month (included).
pub fn cohorts(orders: &[CustomerOrder], today: NaiveDate, months: u32) -> Vec<Cohort> {
    let this_month = Granularity::Month.period_of(today);
    let first_month = this_month - Months::new(months.saturating_sub(1));
    // A customer whose first order comes after today (a pinned day) is not one yet.
    let first: HashMap<&str, NaiveDate> = first_days(orders)
        .into_iter()
        .filter(|(_, day)| *day <= today)
        .collect();
    let mut cohorts: Vec<Cohort> = (0..months)
        .map(|i| {
            let month = first_month + Months::new(i);
            let age = months_between(month, this_month) + 1;
            Cohort {
                month,
                customers: 0,
                retention: vec![0.0; age],
                revenue_per_customer: vec![0.0; age],
            }
        })
        .collect();
    let cohort_of = |day: NaiveDate| {
        let month = Granularity::Month.period_of(day);
        (month >= first_month && month <= this_month).then(|| months_between(first_month, month))
    };
    for &day in first.values() {
        if let Some(c) = cohort_of(day) {
            cohorts[c].customers += 1;
        }
    }
    // Who ordered in which month after their first, once each; revenue per month.
    let mut active: HashMap<(&str, usize), ()> = HashMap::new();
    for o in orders {
        let Some(c) = first
            .get(o.user_id.as_str())
            .and_then(|&day| cohort_of(day))
        else {
            continue;
        };
        let day = paris_day(o.created_at);
        if day > today {
            continue;
        }
        let k = months_between(cohorts[c].month, Granularity::Month.period_of(day));
        if k < cohorts[c].retention.len() {
            if active.insert((&o.user_id, k), ()).is_none() {
                cohorts[c].retention[k] += 1.0;
            }
            cohorts[c].revenue_per_customer[k] += o.total;
        }
    }
    for cohort in &mut cohorts {
        let n = cohort.customers.max(1) as f64;
        let mut cumulated = 0.0;
        for k in 0..cohort.retention.len() {
            cohort.retention[k] /= n;
            cumulated += cohort.revenue_per_customer[k];
            cohort.revenue_per_customer[k] = cumulated / n;
        }
    }
    cohorts
}

/// How customers' total spend is spread.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueDistribution {
    /// Customers counted.
    pub customers: u64,
    /// Mean spend per customer, in euros.
    pub mean: f64,
    /// Quartiles and the 90th percentile of spend.
    pub p25: f64,
    /// Median spend.
    pub median: f64,
    /// Third quartile.
    pub p75: f64,
    /// 90th percentile.
    pub p90: f64,
    /// Customers per spend bracket `[low, high)` (the last one open: `high` is `None`).
    pub brackets: Vec<(f64, Option<f64>, u64)>,
}

/// Spend brackets of the lifetime-value distribution, in euros.
const BRACKETS: [f64; 7] = [0.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0];

/// The distribution of every customer's spend up to `today`.
pub fn value_distribution(orders: &[CustomerOrder], today: NaiveDate) -> ValueDistribution {
    let mut spend: HashMap<&str, f64> = HashMap::new();
    for o in orders.iter().filter(|o| paris_day(o.created_at) <= today) {
        *spend.entry(&o.user_id).or_default() += o.total;
    }
    let mut values: Vec<f64> = spend.into_values().collect();
    values.sort_by(f64::total_cmp);
    // Nearest-rank percentile.
    let percentile = |p: f64| {
        if values.is_empty() {
            0.0
        } else {
            let rank = (p * values.len() as f64).ceil().max(1.0) as usize;
            values[rank.min(values.len()) - 1]
        }
    };
    let brackets = BRACKETS
        .iter()
        .enumerate()
        .map(|(i, &low)| {
            let high = BRACKETS.get(i + 1).copied();
            let count = values
                .iter()
                .filter(|&&v| v >= low && high.is_none_or(|h| v < h))
                .count() as u64;
            (low, high, count)
        })
        .collect();
    ValueDistribution {
        customers: values.len() as u64,
        mean: values.iter().sum::<f64>() / values.len().max(1) as f64,
        p25: percentile(0.25),
        median: percentile(0.5),
        p75: percentile(0.75),
        p90: percentile(0.9),
        brackets,
    }
}

/// What became of the carts created over a span.
#[derive(Debug, Clone, PartialEq)]
pub struct CartAbandonment {
    /// Carts created in the span.
    pub carts: u64,
    /// Of those, carts that became an order.
    pub converted: u64,
    /// Carts without an order and untouched for `ABANDONED_AFTER_HOURS`.
    pub abandoned: u64,
    /// Carts without an order touched more recently: still open, not counted either way.
    pub open: u64,
    /// Abandoned over abandoned and converted (none without either).
    pub rate: Option<f64>,
    /// Value left in abandoned carts, in euros.
    pub abandoned_value: f64,
    /// Products most often left in abandoned carts: (product id, carts).
    pub top_abandoned: Vec<(String, u64)>,
}

/// Hours without change after which a cart without an order counts as abandoned.
pub const ABANDONED_AFTER_HOURS: i64 = 24;

/// Cart abandonment of `carts`, as of `now`.
pub fn cart_abandonment(
    carts: &[Cart],
    now: chrono::DateTime<chrono::Utc>,
    top: usize,
) -> CartAbandonment {
    let idle = chrono::Duration::hours(ABANDONED_AFTER_HOURS);
    let (mut converted, mut abandoned, mut open, mut value) = (0, 0, 0, 0.0);
    let mut products: HashMap<&str, u64> = HashMap::new();
    for cart in carts {
        if cart.ordered {
            converted += 1;
        } else if now - cart.updated_at >= idle {
            abandoned += 1;
            value += cart.value;
            let mut seen: Vec<&str> = Vec::new();
            for id in &cart.product_ids {
                if !seen.contains(&id.as_str()) {
                    seen.push(id);
                    *products.entry(id).or_default() += 1;
                }
            }
        } else {
            open += 1;
        }
    }
    let mut top_abandoned: Vec<(String, u64)> = products
        .into_iter()
        .map(|(id, n)| (id.to_owned(), n))
        .collect();
    top_abandoned.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    top_abandoned.truncate(top);
    CartAbandonment {
        carts: carts.len() as u64,
        converted,
        abandoned,
        open,
        rate: (abandoned + converted > 0)
            .then(|| abandoned as f64 / (abandoned + converted) as f64),
        abandoned_value: value,
        top_abandoned,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(user: &str, at: &str, total: f64) -> CustomerOrder {
        CustomerOrder {
            user_id: user.into(),
            created_at: chrono::DateTime::parse_from_rfc3339(at).unwrap().to_utc(),
            total,
        }
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// A dozen orders by five customers over four months, oldest first.
    fn orders() -> Vec<CustomerOrder> {
        vec![
            order("a", "2026-08-03T10:00:00Z", 100.0),
            order("b", "2026-08-20T10:00:00Z", 50.0),
            order("a", "2026-09-05T10:00:00Z", 30.0),
            order("c", "2026-09-10T10:00:00Z", 200.0),
            order("b", "2026-09-30T22:30:00Z", 20.0), // Paris: 1 October
            order("c", "2026-10-02T10:00:00Z", 10.0),
            order("d", "2026-10-15T10:00:00Z", 600.0),
            order("a", "2026-11-01T10:00:00Z", 40.0),
            order("e", "2026-11-03T10:00:00Z", 3000.0),
            order("d", "2026-11-04T10:00:00Z", 5.0),
            order("a", "2026-11-05T10:00:00Z", 60.0),
            order("b", "2026-11-20T10:00:00Z", 15.0),
        ]
    }

    #[test]
    fn acquisition_counts_first_orders_and_splits_revenue() {
        let a = acquisition(
            &orders(),
            day("2026-10-01"),
            day("2026-11-30"),
            Granularity::Month,
        );
        assert_eq!(a.periods, [(day("2026-10-01"), 1), (day("2026-11-01"), 1)]);
        assert_eq!(a.new_customers, 2, "d and e");
        assert_eq!(a.returning_customers, 3, "a, b and c");
        assert_eq!(a.new_revenue, 600.0 + 3000.0 + 5.0);
        assert_eq!(a.returning_revenue, 20.0 + 10.0 + 40.0 + 60.0 + 15.0);
    }

    #[test]
    fn cohorts_read_by_hand() {
        let c = cohorts(&orders(), day("2026-11-27"), 4);
        // As of 2 November, e (3 November) is not a customer yet.
        let early = cohorts(&orders(), day("2026-11-02"), 4);
        assert_eq!(early[3].customers, 0);
        let months: Vec<_> = c.iter().map(|c| (c.month, c.customers)).collect();
        assert_eq!(
            months,
            [
                (day("2026-08-01"), 2), // a, b
                (day("2026-09-01"), 1), // c
                (day("2026-10-01"), 1), // d
                (day("2026-11-01"), 1), // e
            ]
        );
        // August: a and b in August; a in September; b in October; a and b in November.
        assert_eq!(c[0].retention, [1.0, 0.5, 0.5, 1.0]);
        assert_eq!(
            c[0].revenue_per_customer,
            [
                75.0,
                90.0,
                100.0,
                (100.0 + 50.0 + 30.0 + 20.0 + 40.0 + 60.0 + 15.0) / 2.0
            ]
        );
        assert_eq!(c[1].retention, [1.0, 1.0, 0.0]);
        assert_eq!(c[2].retention, [1.0, 1.0]);
        assert_eq!(c[3].retention, [1.0]);
        assert_eq!(c[3].revenue_per_customer, [3000.0]);
    }

    #[test]
    fn the_value_distribution_brackets_every_customer() {
        let d = value_distribution(&orders(), day("2026-11-27"));
        // Spend: a 230, b 85, c 210, d 605, e 3000.
        assert_eq!(d.customers, 5);
        assert_eq!(d.mean, (230.0 + 85.0 + 210.0 + 605.0 + 3000.0) / 5.0);
        assert_eq!(
            (d.p25, d.median, d.p75, d.p90),
            (210.0, 230.0, 605.0, 3000.0)
        );
        let counts: Vec<u64> = d.brackets.iter().map(|b| b.2).collect();
        assert_eq!(counts, [0, 1, 2, 0, 1, 0, 1]);
        assert_eq!(d.brackets.last().unwrap().1, None);
    }

    #[test]
    fn abandonment_counts_idle_carts_only() {
        let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc();
        let cart = |updated: &str, ordered: bool, value: f64, ids: &[&str]| Cart {
            created_at: at("2026-11-01T10:00:00Z"),
            updated_at: at(updated),
            ordered,
            units: ids.len() as u64,
            value,
            product_ids: ids.iter().map(|s| s.to_string()).collect(),
        };
        let carts = [
            cart("2026-11-01T11:00:00Z", true, 80.0, &["p1"]),
            cart("2026-11-01T11:00:00Z", false, 30.0, &["p1", "p2", "p1"]),
            cart("2026-11-02T11:00:00Z", false, 45.0, &["p2"]),
            cart("2026-11-10T09:00:00Z", false, 99.0, &["p3"]), // touched an hour ago
        ];
        let a = cart_abandonment(&carts, at("2026-11-10T10:00:00Z"), 10);
        assert_eq!((a.carts, a.converted, a.abandoned, a.open), (4, 1, 2, 1));
        assert_eq!(a.rate, Some(2.0 / 3.0));
        assert_eq!(a.abandoned_value, 75.0);
        assert_eq!(
            a.top_abandoned,
            [("p2".to_owned(), 2), ("p1".to_owned(), 1)]
        );
        assert_eq!(
            cart_abandonment(&[], at("2026-11-10T10:00:00Z"), 10).rate,
            None
        );
    }
}
