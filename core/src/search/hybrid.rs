//! Full-mode search: the lexical candidates fused with the nearest products to the query's
//! embedding (see [`super::fusion`]).
//!
//! - The embedding is skipped when the lexical page is already full of strong matches.
//! - Query vectors are kept in a small LRU cache keyed on the normalised query.
//! - When lexical search finds nothing, the semantic candidates are the answer, so a query in
//!   other words than the catalog's still gets products.
//! - Without a model or vectors, the answer is the lexical one and `degraded` says why.

use std::collections::HashMap;

use super::{
    Engine, Live, Scored, SearchError, SearchHit, SearchRequest, fuse, lexical_hits, semantic_score,
};
use super::{Fused, QueryWords, empty, exact, highlight_page};
use crate::filter::ProductFilter;

/// Candidates taken from each source before fusion (at least the requested page).
pub(super) const FUSION_DEPTH: usize = 40;
/// Default weight of the semantic source.
pub(super) const DEFAULT_SEMANTIC_RATIO: f32 = 0.5;
/// Query vectors kept.
pub(super) const QUERY_CACHE_SIZE: usize = 1024;
/// A page whose lexical hits all score at least this is not worth an embedding.
const STRONG_LEXICAL: f32 = 0.9;

/// An LRU cache of query vectors by normalised query.
pub(super) type QueryVectors = crate::cache::SharedLru<Vec<f32>>;

/// The FAQ's answers to a question, and whether the semantic layer took part.
#[derive(Debug)]
pub struct FaqAnswers {
    /// Best first, with their scores.
    pub answers: Vec<(f32, &'static crate::store::faq::Entry)>,
    /// Whether the model's neighbours were fused in (false: lexical only, no model).
    pub semantic: bool,
}

impl Engine {
    /// The bundled FAQ and pages searched with the French analysis, fused with the model's
    /// nearest entries when there is a model (its passages embedded on first use, then kept).
    pub fn faq(
        &self,
        query: &str,
        topic: Option<crate::store::faq::Topic>,
        limit: usize,
    ) -> FaqAnswers {
        let faq = &*crate::store::faq::BUNDLED;
        let semantic = self.faq_vectors().and_then(|vectors| {
            let query = self.query_vector(query).ok()?;
            Some((query, vectors))
        });
        match semantic {
            Some((query_vector, vectors)) => FaqAnswers {
                answers: faq.search_hybrid(query, topic, limit, &query_vector, vectors),
                semantic: true,
            },
            None => FaqAnswers {
                answers: faq.search(query, topic, limit),
                semantic: false,
            },
        }
    }

    /// Embeds the FAQ's passages now rather than on the first question (a few seconds with the
    /// model on 2 cores); nothing without a model.
    pub fn prepare_faq(&self) {
        self.faq_vectors();
    }

    /// The FAQ's passages embedded, computed once; `None` without a model or when it failed.
    fn faq_vectors(&self) -> Option<&Vec<Vec<f32>>> {
        let embedder = self.embedder.as_ref()?;
        self.faq_vectors
            .get_or_init(|| {
                embedder
                    .embed_passages(&crate::store::faq::BUNDLED.passages())
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .inspect_err(
                |e| tracing::warn!(error = %e, "FAQ passages not embedded: lexical FAQ only"),
            )
            .ok()
    }

    /// The query's vector, from the cache or the model.
    fn query_vector(&self, query: &str) -> Result<Vec<f32>, String> {
        let key = crate::text::normalize_query(query);
        if let Some(vector) = self.query_vectors.get(&key) {
            return Ok(vector);
        }
        let embedder = self
            .embedder
            .as_ref()
            .ok_or("no embedding model: run tools/install-models.sh")?;
        let vector = embedder.embed_query(&key).map_err(|e| e.to_string())?;
        self.query_vectors.put(key, vector.clone());
        Ok(vector)
    }

    /// The semantic candidates for the request, or why there are none; with `evidence`, how
    /// far they stand above the catalog and their categories too.
    fn semantic_candidates(
        &self,
        live: &Live,
        query: &str,
        filter: &ProductFilter,
        depth: usize,
        evidence: bool,
    ) -> Result<Semantic, String> {
        let vectors = live.vectors()?;
        let query = self.query_vector(query)?;
        let rows = vectors.knn(&query, depth, filter, None);
        let candidates: Vec<(String, f32)> = rows
            .iter()
            .map(|&(row, cosine)| (vectors.item(row).id.clone(), cosine))
            .collect();
        if !evidence {
            return Ok(Semantic {
                candidates,
                margin: None,
                closest: Vec::new(),
            });
        }
        let margin = self
            .references(live)
            .inspect_err(|e| tracing::debug!(error = %e, "no reference names"))
            .ok()
            .and_then(|r| r.margin(&query));
        // The closest categories: the deepest category of each of the best candidates, most
        // frequent first.
        let dictionaries = live.text().dictionaries();
        let mut categories: Vec<(String, usize)> = Vec::new();
        for &(row, _) in rows.iter().take(CLOSEST_FROM) {
            let Some(own) = vectors
                .item(row)
                .categories
                .iter()
                .max_by_key(|&&o| dictionaries.lineage(o as usize).len())
            else {
                continue;
            };
            let slug = &dictionaries.categories[*own as usize].slug;
            match categories.iter_mut().find(|(s, _)| s == slug) {
                Some((_, n)) => *n += 1,
                None => categories.push((slug.clone(), 1)),
            }
        }
        categories.sort_by_key(|c| std::cmp::Reverse(c.1));
        Ok(Semantic {
            candidates,
            margin,
            closest: categories.into_iter().map(|(slug, _)| slug).collect(),
        })
    }

    /// Fuses lexical hits (best first, from the top) with semantic candidates. `matched`: the
    /// lexical side matched every word, or the query named what the store sells; when it did
    /// not, the semantic side must stand out from the catalog ([`empty`]) or the answer is
    /// empty.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn hybrid(
        &self,
        live: &Live,
        request: &SearchRequest,
        filter: &ProductFilter,
        words: QueryWords,
        lexical: Vec<Scored>,
        lexical_total: usize,
        matched: bool,
        offset: usize,
        limit: usize,
        degraded: &mut Vec<String>,
    ) -> Result<HybridAnswer, SearchError> {
        let page_end = offset + limit;
        let candidates: Vec<Option<&Scored>> = lexical.iter().map(Some).collect();
        let named = exact::names_one(&request.q, &candidates);
        let strong = matched
            && !named
            && lexical.len() >= page_end
            && lexical[offset..page_end]
                .iter()
                .all(|h| h.hit.ranking_score >= STRONG_LEXICAL);
        // Only the page is highlighted.
        let page_of = |hits: Vec<Scored>| -> Vec<SearchHit> {
            let page = hits.into_iter().skip(offset).take(limit).collect();
            highlight_page(page, words.marks, request)
        };
        if strong {
            let page = page_of(lexical);
            return Ok(HybridAnswer::lexical(page, lexical_total));
        }
        let semantic = match self.semantic_candidates(
            live,
            &request.q,
            filter,
            page_end.max(FUSION_DEPTH),
            !matched && !named,
        ) {
            Ok(semantic) => semantic,
            Err(reason) => {
                degraded.push(format!("semantic search: {reason}"));
                let page = page_of(exact::reorder_hits(&self.lexicon(), &request.q, lexical));
                return Ok(HybridAnswer::lexical(page, lexical_total));
            }
        };
        // A query that names a product found it, whatever word it dropped.
        if !matched && !named {
            // Without reference names the semantic answer stands (it says nothing either way).
            let clear = semantic.margin.is_none_or(|m| m >= empty::CLEAR_MARGIN);
            tracing::debug!(q = %request.q, margin = ?semantic.margin, clear, "semantic evidence");
            if !clear {
                return Ok(HybridAnswer {
                    hits: Vec::new(),
                    total: 0,
                    semantic_hit_count: 0,
                    no_match: Some(semantic.closest),
                });
            }
        }
        let semantic = semantic.candidates;
        let ratio = request.semantic_ratio.unwrap_or(self.semantic_ratio);
        let lexical_scores: Vec<(String, f32)> = lexical
            .iter()
            .map(|h| (h.hit.id.clone(), h.hit.ranking_score))
            .collect();
        let mut fused = fuse(&lexical_scores, &semantic, ratio);
        // A product only the semantic source found, at a similarity below the floor, is noise
        // next to real matches; with no lexical match at all it is still the best answer.
        if lexical_total > 0 {
            fused.retain(|f| {
                f.lexical.is_some() || f.semantic.is_some_and(|c| semantic_score(c) > 0.0)
            });
        }
        let semantic_only = fused.iter().filter(|f| f.lexical.is_none()).count();
        let mut by_id: HashMap<String, Scored> =
            lexical.into_iter().map(|h| (h.hit.id.clone(), h)).collect();
        let text = live.text();
        let hydrate =
            |by_id: &mut HashMap<String, Scored>, wanted: &[Fused]| -> Result<(), SearchError> {
                let missing: Vec<&str> = wanted
                    .iter()
                    .filter(|f| !by_id.contains_key(&f.id))
                    .map(|f| f.id.as_str())
                    .collect();
                let found = text.hits_by_id(&missing)?.into_iter().flatten();
                let found = found.map(|hit| (None, hit)).collect();
                for hit in lexical_hits(text, found, words, request)? {
                    by_id.insert(hit.hit.id.clone(), hit);
                }
                Ok(())
            };
        // A query that names a product: that product, its same-type variants, then the rest
        // (`exact.rs`), over every candidate.
        if named {
            hydrate(&mut by_id, &fused)?;
            let candidates: Vec<Option<&Scored>> = fused.iter().map(|f| by_id.get(&f.id)).collect();
            let ids: Vec<&str> = fused.iter().map(|f| f.id.as_str()).collect();
            let closeness = live.closeness(&ids);
            if let Some(order) = exact::order(
                &self.lexicon(),
                &request.q,
                &candidates,
                closeness.as_deref(),
            ) {
                fused = exact::permute(fused, order);
            }
        }
        let page: Vec<_> = fused.into_iter().skip(offset).take(limit).collect();
        hydrate(&mut by_id, &page)?;
        let semantic_hit_count = page.iter().filter(|f| f.semantic.is_some()).count();
        let (found, page): (Vec<Scored>, Vec<Fused>) = page
            .into_iter()
            .filter_map(|f| Some((by_id.remove(&f.id)?, f)))
            .unzip();
        let hits = highlight_page(found, words.marks, request)
            .into_iter()
            .zip(page)
            .map(|(mut hit, f)| {
                hit.ranking_score = f.score;
                if let Some(details) = hit.ranking_score_details.as_mut() {
                    details.lexical_score = f.lexical;
                    details.semantic_score = f.semantic;
                    details.fused_score = Some(f.score);
                }
                hit
            })
            .collect();
        Ok(HybridAnswer {
            hits,
            total: lexical_total + semantic_only,
            semantic_hit_count,
            no_match: None,
        })
    }
}

/// Best semantic candidates whose categories are the closest ones.
const CLOSEST_FROM: usize = 10;

/// What the semantic side found for a query.
struct Semantic {
    /// `(product id, cosine)`, best first.
    candidates: Vec<(String, f32)>,
    /// How much closer the query is to the store's names than to the others'
    /// ([`empty::References::margin`]).
    margin: Option<f32>,
    /// The best candidates' categories (slugs), most frequent first.
    closest: Vec<String>,
}

/// A full-mode answer.
pub(super) struct HybridAnswer {
    /// The page.
    pub(super) hits: Vec<SearchHit>,
    /// Estimated total.
    pub(super) total: usize,
    /// Hits of the page the semantic source found.
    pub(super) semantic_hit_count: usize,
    /// Nothing matched and the semantic side did not stand out: the closest categories.
    pub(super) no_match: Option<Vec<String>>,
}

impl HybridAnswer {
    fn lexical(hits: Vec<SearchHit>, total: usize) -> HybridAnswer {
        HybridAnswer {
            hits,
            total,
            semantic_hit_count: 0,
            no_match: None,
        }
    }
}
