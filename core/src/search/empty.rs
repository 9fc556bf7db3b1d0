//! Honest empty answers. A query for something the store does not sell gets no hits, and a
//! separate `alternatives` field with the closest categories and popular products, each
//! labelled as such, instead of ten loosely related products. Any other empty first page
//! carries popular products ([`EmptyReason::NoResults`]).
//!
//! Two ways to know the store does not sell it:
//! - the thesaurus says so ("matelas": [`EmptyReason::NotSold`]), and the query names nothing
//!   the store sells;
//! - nothing matched every word of the query, no product type or category was named, and the
//!   query is closer to what stores sell elsewhere than to what this one sells
//!   ([`EmptyReason::NoMatch`], full mode only). Decided per query, against references
//!   embedded once (cached in the replica): the store's own names (its categories and product
//!   types) and the names of what it does not sell (`data/lang/elsewhere-fr.txt`, from the
//!   Google product taxonomy). The margin is the query's best cosine with the first minus its
//!   best with the second. A fixed cosine floor fails (e5's cosines sit in a narrow band that
//!   moves with the query), and so does a margin over the query's background similarity with
//!   the catalog: measured on the judged set, the things the store does not sell stand as far
//!   above their background as the shoppers' words for what it sells (`benches/RESULTS.md`).

use serde::Serialize;

use super::{Engine, Live, QueryWords, SearchError, SearchHit, SearchRequest, Sort, lexical_hits};
use crate::filter::ProductFilter;
use crate::index::LexicalRequest;

/// How much closer to the store's names than to the others' a query must be for its semantic
/// neighbours to be an answer (see `benches/RESULTS.md`, "Honest empty answers").
pub(super) const CLEAR_MARGIN: f32 = 0.0;
/// The names of what the store does not sell.
const ELSEWHERE: &str = include_str!("../../../data/lang/elsewhere-fr.txt");
/// Categories offered at most.
const MAX_CATEGORIES: usize = 3;
/// Popular products offered.
const POPULAR: usize = 4;

/// Why a search has no hits but alternatives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum EmptyReason {
    /// The thesaurus knows the store does not sell it.
    NotSold,
    /// No product matched the query's words, and its meaning is closer to what other stores
    /// sell than to what this one sells.
    NoMatch,
    /// Nothing matched (instant mode, or the request's filters), which says nothing of what
    /// the store sells: popular products only.
    NoResults,
}

impl EmptyReason {
    /// The reason as the API writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            EmptyReason::NotSold => "notSold",
            EmptyReason::NoMatch => "noMatch",
            EmptyReason::NoResults => "noResults",
        }
    }
}

/// The way out of an empty answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Alternatives {
    /// Why there are no hits.
    pub reason: EmptyReason,
    /// What the shopper asked for, as typed (the item's words, or the whole query).
    pub wanted: String,
    /// Closest categories first, then popular products.
    pub items: Vec<Alternative>,
}

/// One alternative, labelled.
#[derive(Debug, Clone, PartialEq)]
pub enum Alternative {
    /// A category close to what was asked.
    Category {
        /// "Catégorie proche".
        label: String,
        /// Slug.
        slug: String,
        /// Name.
        name: String,
    },
    /// A popular product (of the closest categories when there are some).
    Popular {
        /// "Populaire".
        label: String,
        /// The product.
        hit: Box<SearchHit>,
    },
}

/// The reference names, embedded: the store's (its categories and product types) and those of
/// what it does not sell.
pub(super) struct References {
    store: Vec<Vec<f32>>,
    elsewhere: Vec<Vec<f32>>,
}

impl References {
    /// How much closer `query` is to what the store sells than to what it does not: its best
    /// cosine with the store's names minus its best with the others'.
    pub(super) fn margin(&self, query: &[f32]) -> Option<f32> {
        let best = |names: &[Vec<f32>]| {
            names
                .iter()
                .map(|v| crate::vectors::dot(query, v))
                .max_by(f32::total_cmp)
        };
        Some(best(&self.store)? - best(&self.elsewhere)?)
    }
}

/// The names of what the store does not sell, from the bundled list.
fn elsewhere_names() -> Vec<String> {
    ELSEWHERE
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

impl Engine {
    /// The reference names of `live`, embedded on first use (through the replica's embedding
    /// cache: a few seconds once, then a read), or why there are none (not kept: the next
    /// query tries again). A server embeds them at start and after each reload
    /// ([`Engine::prepare_references`]), off the request path.
    pub(super) fn references<'a>(&self, live: &'a Live) -> Result<&'a References, String> {
        if let Some(references) = live.references.get() {
            return Ok(references);
        }
        let embedder = self.embedder.as_ref().ok_or("no embedding model")?;
        let mut store: Vec<String> = live
            .text()
            .dictionaries()
            .categories
            .iter()
            .map(|c| c.name.clone())
            .collect();
        store.extend(self.lexicon().type_labels().iter().cloned());
        let elsewhere = elsewhere_names();
        let texts: Vec<String> = store.iter().chain(&elsewhere).cloned().collect();
        let mut vectors = crate::vectors::embed_cached(&self.catalog, embedder.as_ref(), &texts)
            .map_err(|e| e.to_string())?;
        let elsewhere = vectors.split_off(store.len());
        // Two first calls at once both embed; the second one's copy is dropped.
        let _ = live.references.set(References {
            store: vectors,
            elsewhere,
        });
        Ok(live.references.get().expect("set above"))
    }

    /// Embeds the reference names of the live generation now rather than at the first query
    /// that needs them; nothing without a model.
    pub fn prepare_references(&self) {
        if self.embedder.is_some()
            && let Err(e) = self.references(&self.generation())
        {
            tracing::warn!(error = %e, "reference names not embedded: no honest empty answers");
        }
    }

    /// The alternatives to an empty answer: `categories` (slugs, closest first), then the
    /// best sellers of the first of them the generation has (of the whole store without one,
    /// or of the request's category when it names one), within the request's filters.
    pub(super) fn alternatives(
        &self,
        live: &Live,
        request: &SearchRequest,
        reason: EmptyReason,
        wanted: &str,
        categories: &[String],
    ) -> Result<Alternatives, SearchError> {
        let text = live.text();
        let dictionaries = text.dictionaries();
        let mut items = Vec::new();
        let mut first = None;
        for slug in categories.iter().take(MAX_CATEGORIES) {
            let Some(ord) = text.category_ord(slug) else {
                continue;
            };
            first.get_or_insert(ord);
            items.push(Alternative::Category {
                label: "Catégorie proche".to_owned(),
                slug: slug.clone(),
                name: dictionaries.categories[ord].name.clone(),
            });
        }
        let mut filter: ProductFilter = live.resolve(&request.filters);
        // The request's own category wins over the closest one.
        if let Some(ord) = first.filter(|_| request.filters.category.is_none()) {
            filter.category = Some(ord as u32);
        }
        let popular = text.search(&LexicalRequest {
            words: &[],
            boosts: &[],
            filter: &filter,
            sort: Sort::Popular,
            offset: 0,
            limit: POPULAR,
            facets: false,
        })?;
        let no_words = QueryWords {
            kept: &[],
            marks: &[],
        };
        for scored in lexical_hits(text, popular.hits, no_words, request)? {
            items.push(Alternative::Popular {
                label: "Populaire".to_owned(),
                hit: Box::new(scored.hit),
            });
        }
        Ok(Alternatives {
            reason,
            wanted: wanted.to_owned(),
            items,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_margin_is_the_best_store_name_against_the_best_other_one() {
        let refs = References {
            store: vec![vec![1.0, 0.0], vec![0.6, 0.8]],
            elsewhere: vec![vec![0.0, 1.0]],
        };
        // Closer to the store's first name (1.0) than to the other one (0.0).
        assert!((refs.margin(&[1.0, 0.0]).unwrap() - 1.0).abs() < 1e-6);
        // Closer to what the store does not sell: 0.8 - 1.0.
        assert!((refs.margin(&[0.0, 1.0]).unwrap() + 0.2).abs() < 1e-6);
        let empty = References {
            store: Vec::new(),
            elsewhere: vec![vec![0.0, 1.0]],
        };
        assert_eq!(empty.margin(&[1.0, 0.0]), None);
    }

    #[test]
    fn the_bundled_list_of_what_is_sold_elsewhere_is_read() {
        let names = elsewhere_names();
        assert!(names.len() > 200, "{}", names.len());
        assert!(names.iter().any(|n| n == "Véhicules"));
        // The store's own subtrees are left out.
        assert!(!names.iter().any(|n| n == "Luminaires" || n == "Canapés"));
    }
}
