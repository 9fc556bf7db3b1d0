//! Suggestions while typing (local only, a few milliseconds): completions from the index
//! (product names and categories that match the typed words, popular past queries that start
//! with them) and refinement chips from the parsed intent.

use std::sync::Mutex;

use super::{Applied, Engine, IntentFilters, Mode, SearchError, SearchRequest, SearchResponse};

/// Completions returned at most.
const MAX_COMPLETIONS: usize = 8;
/// Past queries remembered (the least recently submitted are forgotten first).
const MAX_PAST_QUERIES: usize = 5_000;

/// A refinement chip: a label and the filters it stands for.
#[derive(Debug, Clone, PartialEq)]
pub struct Chip {
    /// French label ("Luminaires", "moins de 200 €", "style moderne").
    pub label: String,
    /// What applying it means.
    pub filters: IntentFilters,
}

/// What the search bar shows while typing.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestions {
    /// Texts to complete the query with.
    pub completions: Vec<String>,
    /// Chips from the parsed intent.
    pub ai_suggestions: Vec<Chip>,
}

/// Distinct submitters a query needs before it is offered as a completion: what one visitor
/// types (an e-mail, a name, junk) is never shown to another.
const MIN_SUBMITTERS: usize = 3;
/// Distinct submitters counted per query (enough to rank by).
const MAX_COUNTED_SUBMITTERS: usize = 32;
/// Queries one submitter may add or vouch for; beyond, its searches add nothing.
const MAX_QUERIES_PER_SUBMITTER: u32 = 20;
/// Submitters whose budget is remembered (the least recent are forgotten).
const MAX_SUBMITTERS: usize = 50_000;

/// A remembered query: who submitted it (hashed) and how often.
#[derive(Debug)]
struct PastQuery {
    submitters: Vec<u64>,
    count: u64,
}

#[derive(Debug)]
struct Remembered {
    queries: lru::LruCache<String, PastQuery>,
    /// The queries of `queries` offered as completions (enough submitters), in order: a
    /// keystroke reads the range starting with its prefix instead of scanning every query.
    offered: std::collections::BTreeSet<String>,
    budgets: lru::LruCache<u64, u32>,
}

/// Submitted queries that found products, offered as completions once several distinct
/// submitters typed them. A submitter is the request's `sessionId` (the storefront's visitor
/// id), else the client's address; it is kept only as a keyed hash.
#[derive(Debug)]
pub(crate) struct PastQueries {
    remembered: Mutex<Remembered>,
    hasher: std::hash::RandomState,
}

impl Default for PastQueries {
    fn default() -> Self {
        let capacity = |n: usize| std::num::NonZeroUsize::new(n).expect("non-zero capacity");
        PastQueries {
            remembered: Mutex::new(Remembered {
                queries: lru::LruCache::new(capacity(MAX_PAST_QUERIES)),
                offered: std::collections::BTreeSet::new(),
                budgets: lru::LruCache::new(capacity(MAX_SUBMITTERS)),
            }),
            hasher: std::hash::RandomState::new(),
        }
    }
}

impl PastQueries {
    /// Remembers a submitted query that found products, when it is [`offerable`].
    pub(crate) fn record(&self, query: &str, submitter: &str, known: &dyn Fn(&str) -> bool) {
        if !offerable(query, known) {
            return;
        }
        let key = crate::text::normalize_query(query);
        if key.is_empty() || key.chars().count() > 80 {
            return;
        }
        let submitter = std::hash::BuildHasher::hash_one(&self.hasher, submitter);
        let mut guard = self.remembered.lock().unwrap_or_else(|p| p.into_inner());
        let Remembered {
            queries,
            offered,
            budgets,
        } = &mut *guard;
        let known = queries
            .peek(&key)
            .is_some_and(|q| q.submitters.contains(&submitter));
        if !known {
            // A new query, or a new voice for one: it spends the submitter's budget.
            let spent = budgets.get_or_insert_mut(submitter, || 0);
            if *spent >= MAX_QUERIES_PER_SUBMITTER {
                return;
            }
            *spent += 1;
        }
        if !queries.contains(&key) {
            let fresh = PastQuery {
                submitters: Vec::new(),
                count: 0,
            };
            // The least recently submitted query makes room, and stops being offered.
            if let Some((forgotten, _)) = queries.push(key.clone(), fresh) {
                offered.remove(&forgotten);
            }
        }
        let Some(past) = queries.get_mut(&key) else {
            return;
        };
        if !known && past.submitters.len() < MAX_COUNTED_SUBMITTERS {
            past.submitters.push(submitter);
        }
        past.count += 1;
        if past.submitters.len() >= MIN_SUBMITTERS {
            offered.insert(key);
        }
    }

    /// The past queries submitted by enough distinct submitters that start with `prefix`
    /// (normalised), the most submitters first.
    fn starting_with(&self, prefix: &str, n: usize) -> Vec<String> {
        use std::ops::Bound;
        let guard = self.remembered.lock().unwrap_or_else(|p| p.into_inner());
        let after = (Bound::Excluded(prefix), Bound::Unbounded);
        let mut found: Vec<(&String, &PastQuery)> = guard
            .offered
            .range::<str, _>(after)
            .take_while(|q| q.starts_with(prefix))
            .filter_map(|q| Some((q, guard.queries.peek(q)?)))
            .collect();
        found.sort_by(|a, b| {
            (b.1.submitters.len(), b.1.count)
                .cmp(&(a.1.submitters.len(), a.1.count))
                .then_with(|| a.0.cmp(b.0))
        });
        found.into_iter().take(n).map(|(q, _)| q.clone()).collect()
    }
}

/// Numbers a remembered query may hold ("160x200", "3 places", "moins de 200"), and their
/// digits in all: a card, phone or social-security number has more.
const MAX_NUMBERS: usize = 2;
const MAX_DIGITS: usize = 8;

/// Whether a query may be shown to other shoppers: every word is a word of the catalog (names,
/// categories, attributes), of the query lexicon (prices, sizes, colours...) or a stop word,
/// and it holds at most two short numbers. Personal data (names, e-mail addresses however
/// spelt, phone, card or social-security numbers, street addresses) and junk are words the
/// catalog does not hold, so they are never offered, nor are misspelt queries. The masking of
/// Claude's prompts is checked too, as a second net.
fn offerable(query: &str, known: &dyn Fn(&str) -> bool) -> bool {
    if crate::llm::mask::mask_sensitive(query) != query {
        return false;
    }
    let words = crate::text::words(query);
    let numbers = words
        .iter()
        .filter(|w| w.raw.chars().any(|c| c.is_ascii_digit()))
        .count();
    let digits = query.chars().filter(char::is_ascii_digit).count();
    if numbers > MAX_NUMBERS || digits > MAX_DIGITS {
        return false;
    }
    let lexicon = super::intent::Lexicon::bundled();
    words.iter().all(|w| {
        w.stop
            || w.raw.chars().any(|c| c.is_ascii_digit())
            || known(&w.exact)
            || lexicon.knows(&w.exact)
            || lexicon.knows(&w.stem)
    }) && !words.is_empty()
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

    /// Remembers a submitted search that found products, for completions: `full` mode and a
    /// query typed (keystrokes in `instant` mode are not submissions). `submitter` is who sent
    /// it (a session id, else the client's address).
    pub fn remember_query(
        &self,
        request: &SearchRequest,
        response: &SearchResponse,
        submitter: &str,
    ) {
        let submitted = request.mode == Mode::Full && !request.q.trim().is_empty();
        if submitted && response.estimated_total_hits > 0 {
            let live = self.generation();
            let known = |w: &str| live.text().knows_word(w);
            self.past_queries.record(&request.q, submitter, &known);
        }
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
            let filters = parsed.filters_of(u);
            Chip {
                label: u.label.clone(),
                filters,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A distinct lower-case word per number ("aa", "ab", ...).
    fn word(mut n: usize) -> String {
        let mut w = String::new();
        for _ in 0..3 {
            w.push((b'a' + (n % 26) as u8) as char);
            n /= 26;
        }
        w
    }

    #[test]
    fn offered_queries_are_found_by_prefix_and_forgotten_with_their_query() {
        let past = PastQueries::default();
        let known = |_: &str| true;
        for submitter in ["a", "b", "c"] {
            past.record("lampe laiton", submitter, &known);
        }
        past.record("lampe rouge", "a", &known);
        past.record("lampe rouge", "b", &known);
        assert_eq!(past.starting_with("lampe", 8), ["lampe laiton"]);
        assert_eq!(past.starting_with("lampe l", 8), ["lampe laiton"]);
        assert!(
            past.starting_with("lampe laiton", 8).is_empty(),
            "not itself"
        );
        assert!(past.starting_with("lampes", 8).is_empty());

        // As many newer queries as the memory holds: the oldest is forgotten, and no longer
        // offered either.
        for i in 0..MAX_PAST_QUERIES {
            for k in 0..MIN_SUBMITTERS {
                past.record(&format!("table {}", word(i)), &format!("{i}-{k}"), &known);
            }
        }
        assert!(past.starting_with("lampe", 8).is_empty());
        assert_eq!(past.starting_with("table aaa", 8), Vec::<String>::new());
        assert_eq!(past.starting_with("table ba", 8).len(), 8);
    }
}
