//! Similar products: the nearest products by embedding to an anchor product, excluding the
//! anchor and (by default) out-of-stock products, with a light diversity rule: among the
//! anchor's [`NEIGHBOURS`] nearest products that pass the filters, a candidate almost identical
//! to one already chosen (cosine above [`NEAR_DUPLICATE`], typically another colour of the same
//! model) only fills the list when the others are used up. The candidates come from the
//! neighbour lists precomputed at reindex, or from a search when the filters leave too few.
//!
//! Without vectors (no model, a product added since the last reindex) the answer degrades to
//! the anchor's category ordered by popularity, and says so.

use std::time::Instant;

use super::{Engine, SearchError, SearchHit, search_hit};
use crate::filter::{Filters, ProductFilter, Sort};
use crate::index::LexicalRequest;
use crate::vectors::{NEIGHBOURS, VectorSet, dot};

/// Two products closer than this are variants of one another.
const NEAR_DUPLICATE: f32 = 0.97;

/// A similar-products request.
#[derive(Debug, Clone, PartialEq)]
pub struct SimilarRequest {
    /// The anchor's id or slug.
    pub id_or_slug: String,
    /// Hits to return (0..=100).
    pub limit: i64,
    /// Category (subcategories included) and price filters; `in_stock` defaults to true,
    /// `Some(false)` includes out-of-stock products.
    pub filters: Filters,
    /// Only products of the anchor's own category.
    pub same_category: bool,
}

/// Similar products of one product.
#[derive(Debug, Clone, PartialEq)]
pub struct SimilarResponse {
    /// Nearest first; `_rankingScore` is the cosine similarity.
    pub hits: Vec<SearchHit>,
    /// The anchor's id.
    pub id: String,
    /// Time spent in the engine.
    pub processing_time_ms: u64,
    /// Why the answer is not from the semantic layer, when it is not.
    pub degraded: Option<String>,
}

impl Engine {
    /// Products similar to one product.
    pub fn similar(&self, request: &SimilarRequest) -> Result<SimilarResponse, SearchError> {
        let started = Instant::now();
        let limit = super::page_limit(request.limit)?;
        super::check_similar_filters(&request.filters)?;
        let live = self.generation();
        let text = live.text();
        let categories = &text.dictionaries().categories;
        // An id the vectors know needs no trip to the replica; a slug, or a product newer than
        // the index, does.
        let row_of = |id: &str| live.vectors().ok().and_then(|v| v.row(id).map(|r| (v, r)));
        let (vectors, row) = match row_of(&request.id_or_slug) {
            Some(found) => found,
            None => {
                let anchor = self.product(&request.id_or_slug)?.product;
                match row_of(&anchor.id) {
                    Some(found) => found,
                    None => {
                        let reason = match live.vectors() {
                            Err(reason) => reason.to_owned(),
                            Ok(_) => "the product is newer than the index: run reindex".to_owned(),
                        };
                        return self.similar_by_category(
                            request,
                            &anchor.id,
                            &anchor.category_id,
                            reason,
                            started,
                        );
                    }
                }
            }
        };

        let own_category = vectors.item(row).categories.last().copied();
        let mut filter = live.resolve_in_stock_by_default(&request.filters);
        if request.same_category {
            filter.category = own_category;
        }
        // Candidates are the anchor's nearest products that pass the filters, [`NEIGHBOURS`]
        // deep. The precomputed list holds the nearest of all products, so the ones passing
        // the filters are the true nearest as far as they go: a search runs only when the
        // filters leave fewer than a page of them. That search is a scan, not the graph: the
        // graph's first hundreds of rows around the anchor are its listed neighbours and
        // their like, where the filters just left too few (at a million rows and under 100 €,
        // the graph's 512 nearest held the 64 asked for around 8 of the 319 anchors whose list
        // was short, and its two tries cost about 5 ms before the scan).
        let precomputed: Vec<(usize, f32)> = vectors
            .neighbours(row)
            .iter()
            .map(|&(r, score)| (r as usize, score))
            .filter(|&(r, _)| filter.accepts(vectors.item(r).facts()))
            .collect();
        let candidates = if precomputed.len() >= limit {
            precomputed
        } else {
            let depth = NEIGHBOURS.max(limit * 2);
            vectors.scan_knn(&vectors.vector(row), depth, &filter, Some(row))
        };
        let (mut chosen, variants) = diverse(vectors, candidates.into_iter(), limit);
        let room = limit - chosen.len();
        chosen.extend(variants.into_iter().take(room));
        let ids: Vec<&str> = chosen
            .iter()
            .map(|(r, _)| vectors.item(*r).id.as_str())
            .collect();
        let hits = text
            .hits_by_id(&ids)?
            .into_iter()
            .zip(&chosen)
            .filter_map(|(hit, (_, score))| {
                hit.map(|h| search_hit(h.hit, categories, *score, None))
            })
            .collect();
        Ok(SimilarResponse {
            hits,
            id: vectors.item(row).id.clone(),
            processing_time_ms: started.elapsed().as_millis() as u64,
            degraded: None,
        })
    }

    /// The degraded answer: best sellers of the anchor's category, widened to its parent
    /// categories while the list is not full.
    fn similar_by_category(
        &self,
        request: &SimilarRequest,
        anchor_id: &str,
        category_id: &str,
        reason: String,
        started: Instant,
    ) -> Result<SimilarResponse, SearchError> {
        let live = self.generation();
        let text = live.text();
        let categories = &text.dictionaries().categories;
        let limit = request.limit as usize;
        let filter = live.resolve_in_stock_by_default(&request.filters);
        // The anchor's category and its ancestors, nearest first; or the one asked for.
        let mut scopes: Vec<Option<u32>> = match &request.filters.category {
            Some(_) => vec![filter.category],
            None => categories
                .iter()
                .position(|c| c.id == category_id)
                .map(|ord| text.dictionaries().lineage(ord))
                .unwrap_or_default()
                .into_iter()
                .map(Some)
                .collect(),
        };
        if request.same_category {
            scopes.truncate(1);
        }
        let mut hits: Vec<SearchHit> = Vec::new();
        for scope in scopes {
            if hits.len() >= limit {
                break;
            }
            let filter = ProductFilter {
                category: scope,
                ..filter.clone()
            };
            let result = text.search(&LexicalRequest {
                words: &[],
                boosts: &[],
                filter: &filter,
                sort: Sort::Popular,
                offset: 0,
                limit: limit + hits.len() + 1,
                facets: false,
            })?;
            for (_, h) in result.hits {
                if hits.len() < limit
                    && h.hit.id != anchor_id
                    && !hits.iter().any(|x| x.id == h.hit.id)
                {
                    hits.push(search_hit(h.hit, categories, 0.0, None));
                }
            }
        }
        Ok(SimilarResponse {
            hits,
            id: anchor_id.to_owned(),
            processing_time_ms: started.elapsed().as_millis() as u64,
            degraded: Some(reason),
        })
    }
}

/// Rows with their cosine to the anchor, best first.
type Scored = Vec<(usize, f32)>;

/// Splits candidates (best first) into up to `limit` distinct products and the near-duplicates
/// of those met on the way (variants of a chosen product, in order).
fn diverse(
    vectors: &VectorSet,
    candidates: impl Iterator<Item = (usize, f32)>,
    limit: usize,
) -> (Scored, Scored) {
    let mut chosen: Scored = Vec::with_capacity(limit);
    // The chosen rows' vectors decoded from their int8 codes (in memory; within about 0.001 of
    // cosine of the full-precision ones, which are on disk: plenty for this rule).
    let mut chosen_vectors: Vec<Vec<f32>> = Vec::with_capacity(limit);
    let mut variants = Vec::new();
    for (candidate, score) in candidates {
        if chosen.len() == limit {
            break;
        }
        let vector = vectors.decoded(candidate);
        let near = chosen_vectors
            .iter()
            .any(|c| dot(c, &vector) > NEAR_DUPLICATE);
        if near {
            variants.push((candidate, score));
        } else {
            chosen.push((candidate, score));
            chosen_vectors.push(vector);
        }
    }
    (chosen, variants)
}
