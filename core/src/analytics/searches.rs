//! What shoppers searched for, from the engine's own logs: searches counted as Algolia counts
//! them (the keystrokes of one session merged into the query they led to), top queries,
//! queries the catalog does not answer, queries whose results are rarely clicked, click-through
//! and conversion where the storefront sends events, and the words the engine dropped or
//! corrected most often. Queries are stored masked; nothing here holds a session or user id.

use std::collections::HashMap;

use crate::state::{Event, EventKind, SearchLog};

/// Keystrokes of one session at most this far apart, each extending or trimming the last,
/// are one search: `lam`, `lamp`, `lampe` count once, as `lampe`.
pub const MERGE_WINDOW_MS: i64 = 5_000;

/// A query needs this many searches to be judged "rarely clicked".
pub const MIN_SEARCHES_TO_JUDGE: u64 = 3;

/// A search as analytics count it: the last query of a chain of keystrokes.
#[derive(Debug, Clone, PartialEq)]
pub struct CountedSearch {
    /// The query, lower-cased with its spaces collapsed.
    pub query: String,
    /// Hits of that last query.
    pub hits: u64,
    /// Words the engine dropped from it.
    pub dropped: Vec<String>,
    /// The `requestUid`s of the chain: an event on any of them counts for the search.
    pub request_uids: Vec<String>,
}

fn normalise(query: &str) -> String {
    query
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The searches of `logs` (ordered by session, then time) with each session's keystroke
/// chains merged; a search without a session counts as it is. Empty queries (browsing by
/// filters) are left out.
pub fn count_searches(logs: &[SearchLog]) -> Vec<CountedSearch> {
    let mut counted: Vec<CountedSearch> = Vec::new();
    // The session and time of the last search of `counted`, while it may still grow.
    let mut open: Option<(&str, i64)> = None;
    for log in logs {
        let query = normalise(&log.query);
        if query.is_empty() {
            continue;
        }
        let continues = match (open, log.session_id.as_deref(), counted.last()) {
            (Some((session, at)), Some(this), Some(last)) => {
                session == this
                    && log.at_ms - at <= MERGE_WINDOW_MS
                    && (query.starts_with(&last.query) || last.query.starts_with(&query))
            }
            _ => false,
        };
        if continues {
            let last = counted.last_mut().expect("a chain is open");
            last.query = query;
            last.hits = log.hits;
            last.dropped = log.dropped.clone();
            last.request_uids.push(log.request_uid.clone());
        } else {
            counted.push(CountedSearch {
                query,
                hits: log.hits,
                dropped: log.dropped.clone(),
                request_uids: vec![log.request_uid.clone()],
            });
        }
        open = log.session_id.as_deref().map(|s| (s, log.at_ms));
    }
    counted
}

/// One query's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryStats {
    /// The query.
    pub query: String,
    /// Times it was searched.
    pub searches: u64,
    /// Of those, searches with no result.
    pub zero_result_searches: u64,
    /// Searches followed by a click on a result.
    pub clicked: u64,
    /// Searches followed by an add-to-cart.
    pub added_to_cart: u64,
    /// Searches followed by a purchase.
    pub purchased: u64,
}

impl QueryStats {
    /// Clicked searches over searches.
    pub fn click_through_rate(&self) -> f64 {
        self.clicked as f64 / self.searches.max(1) as f64
    }

    /// Purchasing searches over searches.
    pub fn conversion_rate(&self) -> f64 {
        self.purchased as f64 / self.searches.max(1) as f64
    }
}

/// The insights of a span of search logs.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchInsights {
    /// Searches logged (every keystroke).
    pub logged: u64,
    /// Searches counted (keystroke chains merged, empty queries left out).
    pub searches: u64,
    /// Counted searches with no result, over counted searches.
    pub zero_result_rate: f64,
    /// Whether any event names one of these searches: without, no click figure is given.
    pub has_events: bool,
    /// Clicked searches over searches (with events).
    pub click_through_rate: Option<f64>,
    /// Purchasing searches over searches (with events).
    pub conversion_rate: Option<f64>,
    /// Most searched, most first.
    pub top: Vec<QueryStats>,
    /// Searched and found nothing, most first: demand the catalog does not meet.
    pub zero_results: Vec<QueryStats>,
    /// Found results that shoppers rarely clicked (with events), least clicked first.
    pub rarely_clicked: Vec<QueryStats>,
    /// Words dropped to find results, most often first.
    pub dropped_words: Vec<(String, u64)>,
    /// Words that found results only as a typo of an indexed word, most often first.
    pub corrected_words: Vec<(String, u64)>,
}

/// The insights of `logs` (ordered by session, then time) and the events of the same span;
/// `known(exact, stem)` says whether a query word is in the index.
pub fn search_insights(
    logs: &[SearchLog],
    events: &[Event],
    limit: usize,
    known: impl Fn(&str, &str) -> bool,
) -> SearchInsights {
    let counted = count_searches(logs);
    let mut by_uid: HashMap<&str, usize> = HashMap::new();
    for (i, s) in counted.iter().enumerate() {
        for uid in &s.request_uids {
            by_uid.insert(uid, i);
        }
    }
    // What each counted search led to: click, add-to-cart, purchase.
    let mut outcomes = vec![[false; 3]; counted.len()];
    let mut has_events = false;
    for e in events {
        if let Some(&i) = e.query_id.as_deref().and_then(|q| by_uid.get(q)) {
            has_events = true;
            let slot = match e.kind {
                EventKind::Click => 0,
                EventKind::AddToCart => 1,
                EventKind::Purchase => 2,
            };
            outcomes[i][slot] = true;
        }
    }
    let mut stats: HashMap<&str, QueryStats> = HashMap::new();
    let mut dropped: HashMap<String, u64> = HashMap::new();
    let mut corrected: HashMap<String, u64> = HashMap::new();
    let mut known_cache: HashMap<String, bool> = HashMap::new();
    for (s, outcome) in counted.iter().zip(&outcomes) {
        let q = stats.entry(&s.query).or_insert_with(|| QueryStats {
            query: s.query.clone(),
            searches: 0,
            zero_result_searches: 0,
            clicked: 0,
            added_to_cart: 0,
            purchased: 0,
        });
        q.searches += 1;
        q.zero_result_searches += u64::from(s.hits == 0);
        q.clicked += u64::from(outcome[0]);
        q.added_to_cart += u64::from(outcome[1]);
        q.purchased += u64::from(outcome[2]);
        for word in &s.dropped {
            *dropped.entry(word.to_lowercase()).or_default() += 1;
        }
        if s.hits > 0 {
            for word in crate::text::words(&s.query) {
                let was_dropped = s.dropped.iter().any(|d| d.to_lowercase() == word.raw);
                let is_known = *known_cache
                    .entry(word.exact.clone())
                    .or_insert_with(|| known(&word.exact, &word.stem));
                if !was_dropped && !is_known && !word.exact.chars().any(|c| c.is_ascii_digit()) {
                    *corrected.entry(word.raw.clone()).or_default() += 1;
                }
            }
        }
    }
    let all: Vec<QueryStats> = stats.into_values().collect();
    let ranked = |keep: &dyn Fn(&QueryStats) -> bool,
                  order: &dyn Fn(&QueryStats, &QueryStats) -> std::cmp::Ordering| {
        let mut list: Vec<QueryStats> = all.iter().filter(|q| keep(q)).cloned().collect();
        list.sort_by(|a, b| order(a, b).then_with(|| a.query.cmp(&b.query)));
        list.truncate(limit);
        list
    };
    let by_searches = |a: &QueryStats, b: &QueryStats| b.searches.cmp(&a.searches);
    let top = ranked(&|_| true, &by_searches);
    let zero_results = ranked(&|q| q.zero_result_searches > 0, &|a, b| {
        b.zero_result_searches.cmp(&a.zero_result_searches)
    });
    let rarely_clicked = if has_events {
        ranked(
            &|q| q.searches >= MIN_SEARCHES_TO_JUDGE && q.zero_result_searches < q.searches,
            &|a, b| {
                a.click_through_rate()
                    .total_cmp(&b.click_through_rate())
                    .then_with(|| b.searches.cmp(&a.searches))
            },
        )
    } else {
        Vec::new()
    };
    let words = |counts: HashMap<String, u64>| {
        let mut list: Vec<(String, u64)> = counts.into_iter().collect();
        list.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        list.truncate(limit);
        list
    };
    let searches = counted.len() as u64;
    let zero = counted.iter().filter(|s| s.hits == 0).count() as f64;
    let rate = |slot: usize| {
        has_events
            .then(|| outcomes.iter().filter(|o| o[slot]).count() as f64 / searches.max(1) as f64)
    };
    SearchInsights {
        logged: logs.len() as u64,
        searches,
        zero_result_rate: zero / searches.max(1) as f64,
        has_events,
        click_through_rate: rate(0),
        conversion_rate: rate(2),
        top,
        zero_results,
        rarely_clicked,
        dropped_words: words(dropped),
        corrected_words: words(corrected),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(uid: &str, session: Option<&str>, at_ms: i64, query: &str, hits: u64) -> SearchLog {
        SearchLog {
            request_uid: uid.into(),
            at_ms,
            query: query.into(),
            mode: "instant",
            hits,
            latency_ms: 1.0,
            session_id: session.map(str::to_owned),
            user_id: None,
            dropped: Vec::new(),
        }
    }

    #[test]
    fn keystrokes_of_a_session_count_once_as_the_query_they_led_to() {
        let logs = [
            log("1", Some("s1"), 0, "lam", 40),
            log("2", Some("s1"), 300, "lamp", 12),
            log("3", Some("s1"), 600, "Lampe ", 10),
            // Ten seconds later: a new search.
            log("4", Some("s1"), 10_600, "lampe", 10),
            // Backspacing is the same search.
            log("5", Some("s1"), 11_000, "lampe r", 3),
            log("6", Some("s1"), 11_500, "lampe", 10),
            // Another session typing at the same time.
            log("7", Some("s2"), 100, "lam", 40),
            // Without a session, each counts.
            log("8", None, 0, "lam", 40),
            log("9", None, 100, "lampe", 10),
        ];
        let counted = count_searches(&logs);
        let queries: Vec<(&str, usize)> = counted
            .iter()
            .map(|s| (s.query.as_str(), s.request_uids.len()))
            .collect();
        assert_eq!(
            queries,
            [
                ("lampe", 3),
                ("lampe", 3),
                ("lam", 1),
                ("lam", 1),
                ("lampe", 1)
            ]
        );
    }

    #[test]
    fn insights_rank_queries_and_attribute_events_to_their_chain() {
        let mut logs = vec![
            log("a1", Some("s1"), 0, "can", 30),
            log("a2", Some("s1"), 200, "canapé", 20),
            log("b1", Some("s2"), 0, "canapé", 20),
            log("c1", Some("s3"), 0, "canapé", 20),
            log("d1", Some("s4"), 0, "jacuzzi", 0),
            log("e1", Some("s5"), 0, "jacuzzi", 0),
            log("f1", Some("s6"), 0, "canpé bleu", 8),
        ];
        logs[6].dropped = vec!["bleu".into()];
        let event = |kind, query: &str| Event {
            kind,
            query_id: Some(query.into()),
            product_id: "p1".into(),
            position: Some(1),
            session_id: None,
            user_id: None,
            at_ms: 1,
        };
        // A click on the results of the keystroke "can" counts for "canapé".
        let events = [
            event(EventKind::Click, "a1"),
            event(EventKind::Purchase, "a1"),
            event(EventKind::Click, "b1"),
            event(EventKind::Click, "unknown"),
        ];
        let known = |exact: &str, _stem: &str| exact != "canpe";
        let i = search_insights(&logs, &events, 10, known);
        assert_eq!((i.logged, i.searches), (7, 6));
        assert_eq!(i.zero_result_rate, 2.0 / 6.0);
        assert_eq!(i.top[0].query, "canapé");
        assert_eq!(
            (i.top[0].searches, i.top[0].clicked, i.top[0].purchased),
            (3, 2, 1)
        );
        assert_eq!(i.zero_results.len(), 1);
        assert_eq!(
            (i.zero_results[0].query.as_str(), i.zero_results[0].searches),
            ("jacuzzi", 2)
        );
        assert_eq!(i.click_through_rate, Some(2.0 / 6.0));
        assert_eq!(i.conversion_rate, Some(1.0 / 6.0));
        assert_eq!(i.rarely_clicked[0].query, "canapé");
        assert_eq!(i.dropped_words, [("bleu".to_owned(), 1)]);
        assert_eq!(i.corrected_words, [("canpé".to_owned(), 1)]);
        // Without events, no click figure at all.
        let none = search_insights(&logs, &[], 10, known);
        assert!(!none.has_events);
        assert_eq!(none.click_through_rate, None);
        assert!(none.rarely_clicked.is_empty());
    }
}
