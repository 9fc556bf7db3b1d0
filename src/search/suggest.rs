//! Suggestions while typing (local only, a few milliseconds): completions from the index
//! (product names and categories that match the typed words, popular past queries that start
//! with them) and refinement chips from the parsed intent.

use std::collections::HashMap;
use std::sync::Mutex;

use serde::Serialize;

use super::{Applied, Engine, IntentFilters, Mode, SearchError, SearchRequest, SearchResponse};

/// Completions returned at most.
const MAX_COMPLETIONS: usize = 8;
/// Past queries remembered (the least used are forgotten first).
const MAX_PAST_QUERIES: usize = 5_000;

/// A refinement chip: a label and the filters it stands for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chip {
    /// French label ("Luminaires", "moins de 200 €", "style moderne").
    pub label: String,
    /// What applying it means.
    pub filters: IntentFilters,
}

/// What the search bar shows while typing.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Suggestions {
    /// Texts to complete the query with.
    pub completions: Vec<String>,
    /// Chips from the parsed intent.
    pub ai_suggestions: Vec<Chip>,
}

/// Submitted queries that found products, with how often they were submitted.
#[derive(Debug, Default)]
pub(crate) struct PastQueries {
    counts: Mutex<HashMap<String, u64>>,
}

impl PastQueries {
    /// Remembers a submitted query that found products.
    pub(crate) fn record(&self, query: &str) {
        let key = crate::text::normalize_query(query);
        if key.is_empty() || key.chars().count() > 80 {
            return;
        }
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        if counts.len() >= MAX_PAST_QUERIES && !counts.contains_key(&key) {
            // Forget the least submitted one.
            if let Some(rare) = counts
                .iter()
                .min_by_key(|(_, n)| **n)
                .map(|(k, _)| k.clone())
            {
                counts.remove(&rare);
            }
        }
        *counts.entry(key).or_default() += 1;
    }

    /// The most submitted past queries that start with `prefix` (normalised), most first.
    fn starting_with(&self, prefix: &str, n: usize) -> Vec<String> {
        let counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        let mut found: Vec<(&String, &u64)> = counts
            .iter()
            .filter(|(q, _)| q.starts_with(prefix) && q.as_str() != prefix)
            .collect();
        found.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
        found.into_iter().take(n).map(|(q, _)| q.clone()).collect()
    }
}

impl Engine {
    /// Completions and refinement chips for a query being typed.
    pub fn suggest(&self, query: &str) -> Result<Suggestions, SearchError> {
        let response = self.search(&SearchRequest {
            q: query.to_owned(),
            mode: Mode::Instant,
            limit: MAX_COMPLETIONS as i64,
            highlight: false,
            ..Default::default()
        })?;
        let prefix = crate::text::normalize_query(query);
        let mut completions: Vec<String> = Vec::new();
        let mut push = |s: String| {
            if !s.is_empty() && !completions.iter().any(|c| c.eq_ignore_ascii_case(&s)) {
                completions.push(s);
            }
        };
        for past in self.past_queries.starting_with(&prefix, 3) {
            push(past);
        }
        for category in self.matching_categories(&prefix) {
            push(category);
        }
        for hit in &response.hits {
            push(hit.name.clone());
        }
        completions.truncate(MAX_COMPLETIONS);
        Ok(Suggestions {
            completions,
            ai_suggestions: chips(&response),
        })
    }

    /// Category names with a word that starts with the query, while it is one word ("lam" →
    /// "Lampes de chevet"); past the first word the query has its own subject.
    fn matching_categories(&self, prefix: &str) -> Vec<String> {
        let words = crate::text::words(prefix);
        let [word] = words.as_slice() else {
            return Vec::new();
        };
        let last = word.exact.clone();
        if last.chars().count() < 2 {
            return Vec::new();
        }
        let live = self.generation();
        live.text()
            .dictionaries()
            .categories
            .iter()
            .filter(|c| {
                crate::text::words(&c.name)
                    .iter()
                    .any(|w| !w.stop && w.exact.starts_with(&last))
            })
            .map(|c| c.name.clone())
            .take(3)
            .collect()
    }

    /// Remembers a submitted query that found products (for completions).
    pub(crate) fn remember_query(&self, query: &str) {
        self.past_queries.record(query);
    }
}

/// One chip per constraint that was used as a filter or a boost.
pub fn chips(response: &SearchResponse) -> Vec<Chip> {
    let Some(parsed) = &response.parsed_query else {
        return Vec::new();
    };
    parsed
        .understood
        .iter()
        .filter(|u| u.applied != Applied::Ignored)
        .map(|u| {
            let mut filters = IntentFilters::default();
            match u.kind {
                "category" | "productType" => filters.category = parsed.filters.category.clone(),
                "maxPrice" => filters.max_price = u.value.parse().ok(),
                "minPrice" => filters.min_price = u.value.parse().ok(),
                "priceBand" => {
                    filters.min_price = parsed.filters.min_price;
                    filters.max_price = parsed.filters.max_price;
                }
                "availability" => filters.in_stock = Some(true),
                "color" | "material" | "style" | "room" => {
                    filters.attributes.insert(
                        u.kind.to_owned(),
                        u.value.split('|').map(str::to_owned).collect(),
                    );
                }
                _ => {}
            }
            Chip {
                label: u.label.clone(),
                filters,
            }
        })
        .collect()
}
