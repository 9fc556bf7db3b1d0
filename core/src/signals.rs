//! Behavioural signals of a generation, learnt from the replica's orders at reindex and written
//! to `gen-<n>/signals.json`, so the request path only looks them up:
//! - co-purchase: per product, the products found in the same orders, scored by the cosine of
//!   their order sets with a shrinkage on small counts (`c / sqrt(n_a n_b) * c / (c + 1)`), so a
//!   best-seller that sits in every basket does not top every list;
//! - complementary categories: the same measure between categories (their orders are many more
//!   than a product's, so it holds with little data): a sofa's category leads to cushions,
//!   throws, rugs and coffee tables because shoppers buy them together;
//! - trending: units sold over the last [`RECENT_DAYS`] against the rate of the
//!   [`BASELINE_DAYS`] before them, as `(recent - expected) / sqrt(expected + 1)`.
//!
//! Cancelled orders are left out. Windows end at the latest order, not at the wall clock, like
//! the popularity signal of the text index, so signals do not decay while no export arrives.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::catalog::{Catalog, CatalogError};

/// File of the signals in a generation.
pub const SIGNALS_FILE: &str = "signals.json";
/// Co-purchase partners kept per product.
const MAX_PARTNERS: usize = 40;
/// Complementary categories kept per category.
const MAX_COMPLEMENTS: usize = 12;
/// Orders two categories must share to be complementary.
const MIN_CATEGORY_ORDERS: u32 = 2;
/// The recent window of the trend, in days.
pub const RECENT_DAYS: f64 = 28.0;
/// The baseline window before it, in days.
pub const BASELINE_DAYS: f64 = 84.0;
/// Units a product must sell in the recent window to be trending.
const MIN_TREND_UNITS: u32 = 2;
/// Trending products kept.
const MAX_TRENDING: usize = 1000;

/// Errors of the signals.
#[derive(Debug, thiserror::Error)]
pub enum SignalError {
    /// The replica failed.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// The signals file could not be read or written.
    #[error("signals file {path}: {message}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// What went wrong.
        message: String,
    },
}

/// A product bought with another one.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Partner {
    /// The partner's ordinal in [`Signals`].
    pub product: u32,
    /// Orders holding both products.
    pub orders: u32,
    /// Normalised strength, in 0..=1.
    pub score: f32,
}

/// A product selling faster than before.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Trend {
    /// Product id.
    pub id: String,
    /// Units sold in the recent window.
    pub recent: u32,
    /// Units the baseline rate predicts for a window of the same length.
    pub expected: f32,
    /// The trend score (higher: rising faster).
    pub score: f32,
}

/// The signals of one generation.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Signals {
    /// Orders counted (cancelled ones excluded).
    orders: u64,
    /// Ids of the products found in orders; the position is the product's ordinal.
    products: Vec<String>,
    /// Orders holding each product.
    order_counts: Vec<u32>,
    /// Per product, its co-purchase partners, strongest first.
    partners: Vec<Vec<Partner>>,
    /// Per category id, the categories bought with it (id, strength), strongest first.
    complements: BTreeMap<String, Vec<(String, f32)>>,
    /// Rising products, fastest first.
    trending: Vec<Trend>,
    #[serde(skip)]
    by_id: HashMap<String, u32>,
}

/// Cosine of two order sets, shrunk when the shared count is small.
fn strength(shared: u32, a: u32, b: u32) -> f32 {
    let shared = shared as f32;
    shared / ((a as f32) * (b as f32)).sqrt() * shared / (shared + 1.0)
}

impl Signals {
    /// Learns the signals from the replica's orders.
    pub fn build(catalog: &Catalog) -> Result<Signals, SignalError> {
        let category_of: HashMap<String, String> =
            catalog.product_categories()?.into_iter().collect();
        let mut products: Vec<String> = Vec::new();
        let mut by_id: HashMap<String, u32> = HashMap::new();
        let mut order_counts: Vec<u32> = Vec::new();
        let mut pairs: HashMap<(u32, u32), u32> = HashMap::new();
        let mut category_orders: HashMap<&str, u32> = HashMap::new();
        let mut category_pairs: HashMap<(&str, &str), u32> = HashMap::new();
        // (ordinal, units, day of the order)
        let mut sales: Vec<(u32, u32, f64)> = Vec::new();
        let mut orders = 0u64;
        catalog.for_each_basket(|basket| {
            let mut ords: Vec<u32> = Vec::new();
            for (id, quantity) in &basket.items {
                // Orders may name products deleted since; they carry no signal.
                if !category_of.contains_key(id) {
                    continue;
                }
                let ord = *by_id.entry(id.clone()).or_insert_with(|| {
                    products.push(id.clone());
                    order_counts.push(0);
                    products.len() as u32 - 1
                });
                sales.push((ord, *quantity, basket.day));
                ords.push(ord);
            }
            ords.sort_unstable();
            ords.dedup();
            if ords.is_empty() {
                return;
            }
            orders += 1;
            for &a in &ords {
                order_counts[a as usize] += 1;
            }
            for (i, &a) in ords.iter().enumerate() {
                for &b in &ords[i + 1..] {
                    *pairs.entry((a, b)).or_default() += 1;
                }
            }
            let mut categories: Vec<&str> = ords
                .iter()
                .filter_map(|&o| category_of.get(&products[o as usize]).map(String::as_str))
                .collect();
            categories.sort_unstable();
            categories.dedup();
            for &c in &categories {
                *category_orders.entry(c).or_default() += 1;
            }
            for (i, &a) in categories.iter().enumerate() {
                for &b in &categories[i + 1..] {
                    *category_pairs.entry((a, b)).or_default() += 1;
                }
            }
        })?;

        let mut partners: Vec<Vec<Partner>> = vec![Vec::new(); products.len()];
        for (&(a, b), &shared) in &pairs {
            let score = strength(shared, order_counts[a as usize], order_counts[b as usize]);
            for (from, to) in [(a, b), (b, a)] {
                partners[from as usize].push(Partner {
                    product: to,
                    orders: shared,
                    score,
                });
            }
        }
        for list in &mut partners {
            list.sort_by(|x, y| y.score.total_cmp(&x.score).then(x.product.cmp(&y.product)));
            list.truncate(MAX_PARTNERS);
        }

        let mut complements: BTreeMap<String, Vec<(String, f32)>> = BTreeMap::new();
        for (&(a, b), &shared) in &category_pairs {
            if shared < MIN_CATEGORY_ORDERS {
                continue;
            }
            let score = strength(shared, category_orders[a], category_orders[b]);
            complements
                .entry(a.to_owned())
                .or_default()
                .push((b.to_owned(), score));
            complements
                .entry(b.to_owned())
                .or_default()
                .push((a.to_owned(), score));
        }
        for list in complements.values_mut() {
            list.sort_by(|x, y| y.1.total_cmp(&x.1).then_with(|| x.0.cmp(&y.0)));
            list.truncate(MAX_COMPLEMENTS);
        }

        let trending = trending(&products, &sales);
        tracing::info!(
            orders,
            products = products.len(),
            pairs = pairs.len(),
            trending = trending.len(),
            "signals learnt from orders"
        );
        Ok(Signals {
            orders,
            products,
            order_counts,
            partners,
            complements,
            trending,
            by_id,
        })
    }

    /// Writes the signals into a generation directory.
    pub fn write(&self, dir: &Path) -> Result<(), SignalError> {
        let path = dir.join(SIGNALS_FILE);
        let io = io_error(&path);
        let json = serde_json::to_vec(self).map_err(|e| io(&e))?;
        std::fs::write(&path, json).map_err(|e| io(&e))
    }

    /// Reads the signals of a generation directory.
    pub fn open(dir: &Path) -> Result<Signals, SignalError> {
        let path = dir.join(SIGNALS_FILE);
        let io = io_error(&path);
        let bytes = std::fs::read(&path).map_err(|e| io(&e))?;
        let mut signals: Signals = serde_json::from_slice(&bytes).map_err(|e| io(&e))?;
        let n = signals.products.len();
        if signals.order_counts.len() != n
            || signals.partners.len() != n
            || signals
                .partners
                .iter()
                .flatten()
                .any(|p| p.product as usize >= n)
        {
            return Err(io(&"inconsistent lengths"));
        }
        signals.by_id = signals
            .products
            .iter()
            .enumerate()
            .map(|(i, id)| (id.clone(), i as u32))
            .collect();
        Ok(signals)
    }

    /// Orders counted.
    pub fn orders(&self) -> u64 {
        self.orders
    }

    /// Orders holding a product (0 when it was never ordered).
    pub fn order_count(&self, id: &str) -> u32 {
        self.by_id
            .get(id)
            .map_or(0, |&o| self.order_counts[o as usize])
    }

    /// Products bought with `id`, strongest first, as `(partner id, shared orders, strength)`.
    pub fn partners(&self, id: &str) -> impl Iterator<Item = (&str, u32, f32)> {
        self.by_id
            .get(id)
            .map(|&o| self.partners[o as usize].as_slice())
            .unwrap_or_default()
            .iter()
            .map(|p| {
                (
                    self.products[p.product as usize].as_str(),
                    p.orders,
                    p.score,
                )
            })
    }

    /// Categories bought with the category `category_id`, strongest first.
    pub fn complements(&self, category_id: &str) -> &[(String, f32)] {
        self.complements.get(category_id).map_or(&[], Vec::as_slice)
    }

    /// Rising products, fastest first.
    pub fn trending(&self) -> &[Trend] {
        &self.trending
    }
}

/// The error of reading or writing the signals file at `path`.
fn io_error(path: &Path) -> impl Fn(&dyn std::fmt::Display) -> SignalError + '_ {
    move |e| SignalError::Io {
        path: path.to_owned(),
        message: e.to_string(),
    }
}

/// Products whose recent sales run above their baseline rate, fastest first.
fn trending(products: &[String], sales: &[(u32, u32, f64)]) -> Vec<Trend> {
    let Some(end) = sales.iter().map(|s| s.2).reduce(f64::max) else {
        return Vec::new();
    };
    let recent_from = end - RECENT_DAYS;
    let baseline_from = recent_from - BASELINE_DAYS;
    let mut units: HashMap<u32, (u32, u32)> = HashMap::new();
    for &(ord, quantity, day) in sales {
        let entry = units.entry(ord).or_default();
        if day > recent_from {
            entry.0 += quantity;
        } else if day > baseline_from {
            entry.1 += quantity;
        }
    }
    let mut trends: Vec<Trend> = units
        .into_iter()
        .filter(|(_, (recent, _))| *recent >= MIN_TREND_UNITS)
        .map(|(ord, (recent, before))| {
            let expected = before as f32 * (RECENT_DAYS / BASELINE_DAYS) as f32;
            Trend {
                id: products[ord as usize].clone(),
                recent,
                expected,
                score: (recent as f32 - expected) / (expected + 1.0).sqrt(),
            }
        })
        .filter(|t| t.score > 0.0)
        .collect();
    trends.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
    trends.truncate(MAX_TRENDING);
    trends
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strength_favours_exclusive_partners_over_best_sellers() {
        // Both partners share 3 orders with the anchor (4 orders); one is in 4 orders, the
        // other (a best-seller) in 40.
        assert!(strength(3, 4, 4) > strength(3, 4, 40));
        // One shared order is weaker evidence than three, at the same ratio.
        assert!(strength(1, 2, 2) < strength(3, 6, 6));
        assert!(strength(5, 5, 5) <= 1.0);
    }

    #[test]
    fn trend_needs_recent_sales_above_the_baseline_rate() {
        let products = vec!["rising".to_owned(), "steady".to_owned(), "new".to_owned()];
        let end = 1000.0;
        let mut sales = Vec::new();
        // rising: 1 unit in each baseline month, 6 units this month.
        for d in [end - 100.0, end - 70.0, end - 40.0] {
            sales.push((0, 1, d));
        }
        sales.push((0, 6, end - 3.0));
        // steady: 3 units a month all along.
        for d in [end - 100.0, end - 70.0, end - 40.0, end - 5.0] {
            sales.push((1, 3, d));
        }
        // new: 2 units this month, nothing before.
        sales.push((2, 2, end));
        let trends = trending(&products, &sales);
        let ids: Vec<&str> = trends.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["rising", "new"]);
        assert_eq!((trends[0].recent, trends[0].expected), (6, 1.0));
    }
}
