//! The shared end of every recommendation kind: candidates are scored into a [`Pool`], ranked,
//! then [`pick`] keeps those that pass the request's [`Scope`] (filters, exclusions), at most
//! `cap` per category so one category cannot fill the list, and hydrates them from the
//! generation's stored summaries.

use std::collections::{HashMap, HashSet};

use super::Reason;
use crate::filter::{AttributeOrds, Filters, ProductFacts, ProductFilter, Sort};
use crate::index::{LexicalRequest, StoredHit};
use crate::search::{Live, SearchError, SearchHit, search_hit};

/// A recommended product and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Recommendation {
    /// The product, as a search hit; its ranking score is the kind's own score.
    pub hit: SearchHit,
    /// Why it is recommended.
    pub reason: Reason,
}

/// What a request lets through: its filters (category, price, stock), resolved once, and the
/// products it must not return (anchors, cart, purchases).
pub(super) struct Scope<'a> {
    pub(super) live: &'a Live,
    filter: ProductFilter,
    pub(super) exclude: HashSet<String>,
}

impl<'a> Scope<'a> {
    /// `inStock` defaults to true; `Some(false)` includes out-of-stock products.
    pub(super) fn new(live: &'a Live, filters: &Filters, exclude: HashSet<String>) -> Scope<'a> {
        Scope {
            live,
            filter: live.resolve_in_stock_by_default(filters),
            exclude,
        }
    }

    /// Whether a hydrated candidate passes the filter. Recommendation filters name no attribute
    /// (`check_similar_filters` refuses them), so the stored hit has every fact they read.
    fn accepts(&self, hit: &StoredHit) -> bool {
        let dictionaries = self.live.text().dictionaries();
        let categories = dictionaries.lineage(hit.category);
        self.filter.accepts(ProductFacts {
            categories: &categories,
            price: hit.price,
            stock: hit.stock,
            featured: hit.featured,
            attributes: &AttributeOrds::default(),
        })
    }

    /// Whether category `ord` is `within` or one of its subcategories.
    pub(super) fn in_category(&self, ord: usize, within: usize) -> bool {
        let dictionaries = self.live.text().dictionaries();
        dictionaries.lineage(ord).contains(&(within as u32))
    }

    /// Whether a candidate category may be searched under the requested one.
    pub(super) fn allows_category(&self, ord: usize) -> bool {
        !self.filter.nothing
            && self
                .filter
                .category
                .is_none_or(|within| self.in_category(ord, within as usize))
    }

    /// The scope's filter, restricted to `category` when given (which must pass
    /// [`Scope::allows_category`]), else to the requested category.
    pub(super) fn filter(&self, category: Option<usize>) -> ProductFilter {
        let mut filter = self.filter.clone();
        if let Some(ord) = category {
            filter.category = Some(ord as u32);
        }
        filter
    }

    /// Best sellers (units sold over the popularity window) of a category, or of the
    /// requested scope, as `(id, category ordinal)`.
    pub(super) fn best_sellers(
        &self,
        category: Option<usize>,
        k: usize,
    ) -> Result<Vec<(String, usize)>, SearchError> {
        let found = self.live.text().search(&LexicalRequest {
            words: &[],
            boosts: &[],
            filter: &self.filter(category),
            sort: Sort::Popular,
            offset: 0,
            limit: k + self.exclude.len(),
            facets: false,
        })?;
        Ok(found
            .hits
            .into_iter()
            .map(|(_, h)| (h.hit.id, h.hit.category))
            .filter(|(id, _)| !self.exclude.contains(id))
            .take(k)
            .collect())
    }
}

/// Candidates and their scores. A product found several ways adds its scores up and keeps the
/// reason of its strongest contribution.
#[derive(Default)]
pub(super) struct Pool {
    entries: HashMap<String, Entry>,
}

struct Entry {
    total: f32,
    best: f32,
    reason: Reason,
}

impl Pool {
    pub(super) fn add(&mut self, id: &str, score: f32, reason: impl FnOnce() -> Reason) {
        if !score.is_finite() || score <= 0.0 {
            return;
        }
        match self.entries.get_mut(id) {
            Some(entry) => {
                entry.total += score;
                if score > entry.best {
                    entry.best = score;
                    entry.reason = reason();
                }
            }
            None => {
                self.entries.insert(
                    id.to_owned(),
                    Entry {
                        total: score,
                        best: score,
                        reason: reason(),
                    },
                );
            }
        }
    }

    /// Candidates, best first (ties by id).
    pub(super) fn ranked(self) -> Vec<(String, f32, Reason)> {
        let mut ranked: Vec<(String, f32, Reason)> = self
            .entries
            .into_iter()
            .map(|(id, e)| (id, e.total, e.reason))
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        ranked
    }
}

/// Appends to `out`, until it holds `limit`, the ranked candidates that pass the scope and are
/// not in `out` yet, at most `cap` per category; over-cap candidates fill what is left at the
/// end rather than leave the list short.
pub(super) fn pick(
    scope: &Scope,
    ranked: Vec<(String, f32, Reason)>,
    limit: usize,
    cap: usize,
    out: &mut Vec<Recommendation>,
) -> Result<(), SearchError> {
    let text = scope.live.text();
    let categories = &text.dictionaries().categories;
    let mut per_category: HashMap<usize, usize> = HashMap::new();
    for r in out.iter() {
        if let Some(ord) = categories.iter().position(|c| c.id == r.hit.category.id) {
            *per_category.entry(ord).or_default() += 1;
        }
    }
    let mut over_cap = Vec::new();
    for (id, score, reason) in ranked {
        if out.len() >= limit {
            return Ok(());
        }
        if scope.exclude.contains(&id) || out.iter().any(|r| r.hit.id == id) {
            continue;
        }
        let Some(found) = text.hits_by_id(&[id.as_str()])?.pop().flatten() else {
            continue;
        };
        if !scope.accepts(&found.hit) {
            continue;
        }
        let seen = per_category.entry(found.hit.category).or_default();
        let recommendation = Recommendation {
            hit: search_hit(found.hit, categories, score, None),
            reason,
        };
        if *seen >= cap {
            over_cap.push(recommendation);
        } else {
            *seen += 1;
            out.push(recommendation);
        }
    }
    let room = limit.saturating_sub(out.len());
    out.extend(over_cap.into_iter().take(room));
    Ok(())
}
