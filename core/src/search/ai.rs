//! Submitted searches with Claude: the local answer first, Claude's intent and rerank on top,
//! never at the cost of an answer.
//!
//! `full` mode with intent parsing on, and Claude available: the intent call starts at once;
//! meanwhile the local search runs and its first hits go to rerank. When both calls are settled
//! (each bounded by its deadline), Claude's intent is merged into the local parse (it may add
//! what the local parser did not find, never replace it); if that changed anything the search
//! runs again (a few milliseconds), and the rerank order is applied to the first hits. Whatever
//! fails leaves the local answer, with `degraded` saying which step was skipped and why.

use std::collections::HashMap;
use std::time::Instant;

use serde_json::json;

use super::intent::{self, Ask, Constraint, Facet, Intent};
use super::{Engine, IntentSource, Live, Mode, SearchError, SearchRequest, SearchResponse};
use crate::llm::{Candidate, Claude, LlmIntent, Vocabulary, VocabularyCategory};

/// An intent parsed elsewhere, with where it came from.
#[derive(Debug, Clone)]
pub(crate) struct MergedIntent {
    pub(crate) intent: Intent,
    pub(crate) source: IntentSource,
    pub(crate) parse_time_ms: f64,
    pub(crate) error: Option<String>,
}

/// Hits reranked: the first page's worth, at most Claude's limit.
const RERANK_DEPTH: usize = crate::llm::MAX_RERANK_CANDIDATES;

/// Runs a search, asking Claude for the intent and the order of the first hits when the request
/// is a submitted one (`full` mode, intent on, first page) and Claude is configured.
///
/// The local searches run on the caller's task: they read only the in-memory index, in well
/// under a millisecond, and moving each one to the blocking pool cost a quarter of the
/// throughput and hundreds of MiB of thread heaps under load (`tools/bench-load.sh`, measured
/// both ways). Claude's calls are awaited, never blocked on.
pub async fn search_with_claude(
    engine: &Engine,
    claude: &Claude,
    request: &SearchRequest,
) -> Result<SearchResponse, SearchError> {
    let submitted = request.mode == Mode::Full && !request.q.trim().is_empty();
    if submitted && request.intent && request.offset == 0 {
        with_claude(engine, claude, request).await
    } else {
        engine.search(request)
    }
}

async fn with_claude(
    engine: &Engine,
    claude: &Claude,
    request: &SearchRequest,
) -> Result<SearchResponse, SearchError> {
    if let Err(off) = claude.search_enabled() {
        // No key or the flag off: Claude is not part of this deployment, nothing is degraded.
        tracing::trace!(reason = %off, "Claude not asked");
        return engine.search(request);
    }
    let started = Instant::now();
    let live = engine.generation();
    let vocabulary = live.vocabulary();
    let local_intent = intent::parse_with(&engine.lexicon(), &request.q, &|w| {
        live.text().knows_word(w)
    });
    // The local search fetches a rerank's worth of hits; the page is cut after the rerank.
    let wide = SearchRequest {
        limit: request
            .limit
            .max(RERANK_DEPTH as i64)
            .min(super::MAX_LIMIT as i64),
        ..request.clone()
    };
    let intent_call = claude.intent(&request.q, vocabulary);
    let local_and_rerank = async {
        let local = engine.search(&wide)?;
        let ranking = rerank(engine, claude, &request.q, &local).await;
        Ok::<_, SearchError>((local, ranking))
    };
    let (intent_answer, local_and_rerank) = tokio::join!(intent_call, local_and_rerank);
    let (local, mut ranking) = local_and_rerank?;
    let parse_time_ms = started.elapsed().as_secs_f64() * 1000.0;

    let mut degraded = Vec::new();
    let mut proposed = None;
    let mut response = match intent_answer {
        Ok(answer) => {
            proposed = proposal(&engine.lexicon(), &local_intent, &answer.value);
            let merged = MergedIntent {
                intent: merge(&local_intent, &answer.value),
                source: if answer.cached {
                    IntentSource::Cache
                } else {
                    IntentSource::Llm
                },
                parse_time_ms,
                error: None,
            };
            if merged.intent == local_intent {
                let mut r = local;
                if let Some(parsed) = r.parsed_query.as_mut() {
                    parsed.source = merged.source;
                    parsed.parse_time_ms = parse_time_ms;
                }
                r
            } else {
                let r = engine.search_with(&wide, Some(&merged))?;
                // Claude's intent changed the hits: the order of the old ones says little
                // about the new ones, so they are ranked again (one more call, or the cache).
                let covered = |ids: &[String]| {
                    let top: Vec<&String> =
                        r.hits.iter().take(RERANK_DEPTH).map(|h| &h.id).collect();
                    top.iter().filter(|id| ids.contains(id)).count() * 2 >= top.len()
                };
                if !matches!(&ranking, Some(Ok(answer)) if covered(&answer.value.ids)) {
                    ranking = rerank(engine, claude, &request.q, &r).await;
                }
                r
            }
        }
        Err(e) => {
            degraded.push(format!("claude intent: {e}"));
            let mut r = local;
            if let Some(parsed) = r.parsed_query.as_mut() {
                parsed.error = Some(e.to_string());
            }
            r
        }
    };
    match ranking {
        Some(Ok(answer)) => {
            response.reranked = apply_ranking(&mut response, &answer.value.ids);
        }
        Some(Err(e)) => degraded.push(format!("claude rerank: {e}")),
        None => {}
    }
    let limit = request.limit.max(0) as usize;
    response.hits.truncate(limit);
    response.limit = limit;
    response.degraded.extend(degraded);
    response.proposed = proposed;
    response.processing_time_ms = started.elapsed().as_millis() as u64;
    Ok(response)
}

/// The words Claude read as a category where the lexicon knows none: a proposal for review
/// (`vivr-search lexicon proposals`), never used before it is accepted. Words that the lexicon
/// reads already are not proposed.
fn proposal(
    lexicon: &intent::Lexicon,
    local: &Intent,
    llm: &LlmIntent,
) -> Option<intent::LearntWord> {
    let names = |i: &Intent| i.constraints.iter().any(|c| c.ask.names_a_kind());
    let category = llm.category.clone()?;
    let word = llm.type_words.clone()?;
    // `read_intent` keeps letters only: no digits, e-mails or numbers reach the proposals.
    if names(local) || names(&intent::parse_with(lexicon, &word, &|_| true)) {
        return None;
    }
    Some(intent::LearntWord { word, category })
}

/// Claude's order of a response's first hits; `None` when there is nothing to order.
async fn rerank(
    engine: &Engine,
    claude: &Claude,
    query: &str,
    response: &SearchResponse,
) -> Option<Result<crate::llm::Answer<crate::llm::Ranking>, crate::llm::LlmError>> {
    if response.hits.len() < 2 {
        return None;
    }
    let candidates = engine.candidates(response);
    Some(
        claude
            .rerank(query, &intent_summary(response), &candidates)
            .await,
    )
}

/// Claude's intent added to the local parse: what the local parser found stays; Claude may add a
/// category, prices and stock when the query stated none locally (filters), and attribute values
/// for facets the local parse left empty (boosts only: a guess never excludes a product).
fn merge(local: &Intent, llm: &LlmIntent) -> Intent {
    let mut merged = local.clone();
    let has = |f: &dyn Fn(&Ask) -> bool| local.constraints.iter().any(|c| f(&c.ask));
    let mut add = |ask: Ask| {
        merged.constraints.push(Constraint {
            ask,
            words: String::new(),
            typo: false,
            start: usize::MAX,
        })
    };
    // The thesaurus's "not sold" is the store's own word: Claude's guess of a category does not
    // override it.
    if let Some(slug) = &llm.category
        && !has(&Ask::names_a_kind)
    {
        add(Ask::Category {
            slug: slug.clone(),
            keep: false,
        });
    }
    let priced_max = has(&|a| matches!(a, Ask::MaxPrice(_) | Ask::Band(_)));
    let priced_min = has(&|a| matches!(a, Ask::MinPrice(_) | Ask::Band(_)));
    if let Some(max) = llm.max_price.filter(|_| !priced_max) {
        add(Ask::MaxPrice(max));
    }
    if let Some(min) = llm.min_price.filter(|_| !priced_min) {
        add(Ask::MinPrice(min));
    }
    if llm.in_stock == Some(true) && !has(&|a| matches!(a, Ask::InStock)) {
        add(Ask::InStock);
    }
    for (facet, values) in [
        (Facet::Color, &llm.colors),
        (Facet::Material, &llm.materials),
        (Facet::Style, &llm.styles),
        (Facet::Room, &llm.rooms),
    ] {
        let named = has(&|a| matches!(a, Ask::Attribute { facet: f, .. } if *f == facet));
        if !values.is_empty() && !named {
            add(Ask::Attribute {
                facet,
                values: values.clone(),
                filter: false,
            });
        }
    }
    merged
}

/// What the rerank prompt is told of the understood query.
fn intent_summary(response: &SearchResponse) -> serde_json::Value {
    match &response.parsed_query {
        None => json!({}),
        Some(p) => json!({
            "productType": p.product_type,
            "filters": p.filters,
            "understood": p.understood.iter().map(|u| &u.label).collect::<Vec<_>>(),
        }),
    }
}

/// Reorders the first hits by Claude's order (ids it did not rank keep their order after).
/// Returns whether the order changed.
fn apply_ranking(response: &mut SearchResponse, ids: &[String]) -> bool {
    let n = ids.len().min(response.hits.len());
    let position: HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let before: Vec<String> = response.hits[..n].iter().map(|h| h.id.clone()).collect();
    response.hits[..n].sort_by_key(|h| position.get(h.id.as_str()).copied().unwrap_or(usize::MAX));
    response.hits[..n]
        .iter()
        .zip(&before)
        .any(|(h, id)| &h.id != id)
}

impl Live {
    /// What the intent prompt tells Claude about the store: the generation's categories,
    /// attribute values and price range, built once per generation.
    pub(crate) fn vocabulary(&self) -> &Vocabulary {
        self.vocabulary.get_or_init(|| {
            let d = self.text.dictionaries();
            let values = |facet: Facet| d.attributes.get(&facet).cloned().unwrap_or_default();
            Vocabulary {
                categories: d
                    .categories
                    .iter()
                    .map(|c| VocabularyCategory {
                        slug: c.slug.clone(),
                        name: c.name.clone(),
                    })
                    .collect(),
                colors: values(Facet::Color),
                materials: values(Facet::Material),
                styles: values(Facet::Style),
                rooms: values(Facet::Room),
                price_range: self
                    .text
                    .price_quantile(None, 0.0)
                    .zip(self.text.price_quantile(None, 1.0)),
            }
        })
    }
}

impl Engine {
    /// The first hits of a response as rerank candidates (no customer or order data).
    fn candidates(&self, response: &SearchResponse) -> Vec<Candidate> {
        let live = self.generation();
        let ids: Vec<&str> = response
            .hits
            .iter()
            .take(RERANK_DEPTH)
            .map(|h| h.id.as_str())
            .collect();
        let stored = live.text().hits_by_id(&ids).unwrap_or_default();
        response
            .hits
            .iter()
            .zip(stored)
            .map(|(hit, stored)| {
                let texts = stored.map(|s| s.texts).unwrap_or_default();
                let text = |i: usize| texts.get(i).cloned().unwrap_or_default();
                Candidate {
                    id: hit.id.clone(),
                    name: hit.name.clone(),
                    category: hit.category.name.clone(),
                    price: hit.price,
                    attributes: text(2),
                    description: crate::llm::mask::truncate(&text(5), 160),
                }
            })
            .collect()
    }
}
