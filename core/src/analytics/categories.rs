//! Sales per category over a span against the span before: revenue, units, margin where the
//! products' costs are known, and what shoppers did with the category's products in search
//! results (events). A category counts its subcategories' products.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::product_sales;
use crate::catalog::{Catalog, CatalogError};
use crate::state::{Event, EventKind};

/// One category's figures.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CategorySales {
    /// Revenue in the span, in euros.
    pub revenue: f64,
    /// Units in the span.
    pub units: u64,
    /// Revenue in the span before.
    pub previous_revenue: f64,
    /// Units in the span before.
    pub previous_units: u64,
    /// Revenue of the products whose cost is known.
    pub costed_revenue: f64,
    /// Their cost (units times unit cost).
    pub cost: f64,
    /// Clicks on the category's products in search results.
    pub search_clicks: u64,
    /// Add-to-carts of them from search results.
    pub search_add_to_carts: u64,
    /// Purchases of them from search results.
    pub search_purchases: u64,
}

impl CategorySales {
    /// Gross margin over the products whose cost is known (none when no cost is known).
    pub fn margin(&self) -> Option<f64> {
        (self.costed_revenue > 0.0).then_some(self.costed_revenue - self.cost)
    }

    /// Share of the revenue whose cost is known.
    pub fn margin_coverage(&self) -> f64 {
        if self.revenue > 0.0 {
            self.costed_revenue / self.revenue
        } else {
            0.0
        }
    }
}

/// Every category's figures for `start..=end` (Paris days), keyed by category id, each
/// category with its subcategories'; `events` are the span's shopper events.
pub fn category_sales(
    catalog: &Catalog,
    start: NaiveDate,
    end: NaiveDate,
    events: &[Event],
) -> Result<HashMap<String, CategorySales>, CatalogError> {
    let tree = catalog.category_tree()?;
    let category_of: HashMap<String, String> = catalog.product_categories()?.into_iter().collect();
    let costs = catalog.product_costs()?;
    let mut out: HashMap<String, CategorySales> = HashMap::new();
    let lineage = |product: &str| -> Vec<String> {
        category_of
            .get(product)
            .map(|c| tree.path(c).iter().map(|c| c.id.clone()).collect())
            .unwrap_or_default()
    };
    for s in product_sales(catalog, start, end, |_| true)? {
        let cost = costs.get(&s.product_id);
        for category in lineage(&s.product_id) {
            let c = out.entry(category).or_default();
            c.revenue += s.revenue;
            c.units += s.units;
            c.previous_revenue += s.previous_revenue;
            c.previous_units += s.previous_units;
            if let Some(cost) = cost {
                c.costed_revenue += s.revenue;
                c.cost += cost * s.units as f64;
            }
        }
    }
    for e in events.iter().filter(|e| e.query_id.is_some()) {
        for category in lineage(&e.product_id) {
            let c = out.entry(category).or_default();
            match e.kind {
                EventKind::Click => c.search_clicks += 1,
                EventKind::AddToCart => c.search_add_to_carts += 1,
                EventKind::Purchase => c.search_purchases += 1,
            }
        }
    }
    Ok(out)
}
