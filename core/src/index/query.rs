//! The lexical query planner: turns analysed query words into a tantivy query.
//!
//! Per word, each (tier, field) pair that matches contributes a constant score
//! `tier.base() + field.weight`, and the word keeps its best pair (a disjunction-max). Tier
//! bases are 10 apart and field weights stay below 10, so an exact match anywhere outranks a
//! prefix match anywhere, which outranks a typo match, which outranks a stemmed-only match.
//! Words are summed; every word must match (the caller drops words when that finds nothing).
//!
//! Typo policy: none under 4 characters, 1 from 4, 2 from 8; transpositions count as one edit;
//! no typo on a word holding a digit ("160x200", "2 places"). Prefixes: every word when the
//! query has at most 3 words (search-as-you-type), otherwise the last word only.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use levenshtein_automata::{DFA, Distance, LevenshteinAutomatonBuilder};
use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, DisjunctionMaxQuery, EmptyQuery, Occur, Query,
    TermQuery, TermSetQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{Searcher, Term};

use super::schema::{Fields, TEXT_SOURCES};
use crate::text;

/// How a query word matched a document word, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Tier {
    /// Same folded word.
    Exact,
    /// The document word starts with the query word.
    Prefix,
    /// Within the word's typo budget.
    Typo,
    /// Same stem only (plural or feminine form).
    Stem,
}

impl Tier {
    /// The tier's name, as explanations show it.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Exact => "exact",
            Tier::Prefix => "prefix",
            Tier::Typo => "typo",
            Tier::Stem => "stem",
        }
    }
}

impl Tier {
    /// Base score of the tier.
    pub(crate) fn base(self) -> f32 {
        match self {
            Tier::Exact => 40.0,
            Tier::Prefix => 30.0,
            Tier::Typo => 20.0,
            Tier::Stem => 10.0,
        }
    }
}

/// One query word, ready to match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedWord {
    /// As the user wrote it.
    pub raw: String,
    /// Folded, unstemmed form.
    pub exact: String,
    /// Stemmed form.
    pub stem: String,
    /// Whether the word may match as a prefix.
    pub prefix: bool,
    /// Edits allowed for the typo tier.
    pub typos: u8,
}

/// Edits allowed for a folded word.
pub fn typo_budget(word: &str) -> u8 {
    if word.chars().any(|c| c.is_ascii_digit()) {
        return 0;
    }
    match word.chars().count() {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

/// Analyses a query into planned words. Stop words are dropped unless the query is only stop
/// words (then they are searched as they are: "la" while typing "lampe").
pub fn plan_words(query: &str) -> Vec<PlannedWord> {
    let words = text::words(query);
    let content: Vec<text::Word> = if words.iter().all(|w| w.stop) {
        words
    } else {
        words.into_iter().filter(|w| !w.stop).collect()
    };
    let n = content.len();
    content
        .into_iter()
        .enumerate()
        .filter(|(_, w)| !w.exact.is_empty())
        .map(|(i, w)| PlannedWord {
            typos: typo_budget(&w.exact),
            prefix: n <= 3 || i + 1 == n,
            raw: w.raw,
            exact: w.exact,
            stem: w.stem,
        })
        .collect()
}

/// The words with one more typo allowed on those of 5 letters or more (at most 2): the last
/// resort of a search that found nothing.
pub fn loosen_typos(words: &[PlannedWord]) -> Vec<PlannedWord> {
    words
        .iter()
        .map(|w| {
            let mut w = w.clone();
            if w.typos > 0 && w.exact.chars().count() >= 5 {
                w.typos = (w.typos + 1).min(2);
            }
            w
        })
        .collect()
}

fn constant(query: Box<dyn Query>, score: f32) -> Box<dyn Query> {
    Box::new(ConstScoreQuery::new(query, score))
}

/// Most prefix completions kept per word and field (the most frequent ones): a one-letter
/// prefix while typing could otherwise pull thousands of terms into one query.
pub(crate) const MAX_PREFIX_TERMS: usize = 512;

static LEVENSHTEIN: LazyLock<[LevenshteinAutomatonBuilder; 2]> = LazyLock::new(|| {
    [
        LevenshteinAutomatonBuilder::new(1, true),
        LevenshteinAutomatonBuilder::new(2, true),
    ]
});

/// A Levenshtein DFA as an automaton over the term dictionary.
struct Within<'a>(&'a DFA);

impl tantivy_fst::Automaton for Within<'_> {
    type State = u32;

    fn start(&self) -> u32 {
        self.0.initial_state()
    }

    fn is_match(&self, state: &u32) -> bool {
        matches!(self.0.distance(*state), Distance::Exact(_))
    }

    fn can_match(&self, state: &u32) -> bool {
        *state != levenshtein_automata::SINK_STATE
    }

    fn accept(&self, state: &u32, byte: u8) -> u32 {
        self.0.transition(*state, byte)
    }
}

/// The dictionary terms of one field that match a word as a prefix extension or as a typo,
/// in disjoint sets: the exact term is in neither, a prefix extension is not also a typo.
fn expand(
    searcher: &Searcher,
    field: Field,
    word: &PlannedWord,
    dfa: Option<&DFA>,
) -> tantivy::Result<(Vec<Term>, Vec<Term>)> {
    let exact = word.exact.as_bytes();
    let mut prefixed: HashMap<Vec<u8>, u32> = HashMap::new();
    let mut typos: HashSet<Vec<u8>> = HashSet::new();
    for segment in searcher.segment_readers() {
        let inverted = segment.inverted_index(field)?;
        let terms = inverted.terms();
        if word.prefix {
            let mut stream = terms.range().ge(exact).into_stream()?;
            while stream.advance() {
                let key = stream.key();
                if !key.starts_with(exact) {
                    break;
                }
                if key != exact {
                    *prefixed.entry(key.to_vec()).or_default() += stream.value().doc_freq;
                }
            }
        }
        if let Some(dfa) = dfa {
            let mut stream = terms.search(Within(dfa)).into_stream()?;
            while stream.advance() {
                let key = stream.key();
                if key != exact && !(word.prefix && key.starts_with(exact)) {
                    typos.insert(key.to_vec());
                }
            }
        }
    }
    let mut prefixed: Vec<(Vec<u8>, u32)> = prefixed.into_iter().collect();
    if prefixed.len() > MAX_PREFIX_TERMS {
        prefixed.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        prefixed.truncate(MAX_PREFIX_TERMS);
    }
    let term = |bytes: &[u8]| Term::from_field_text(field, &String::from_utf8_lossy(bytes));
    Ok((
        prefixed.iter().map(|(k, _)| term(k)).collect(),
        typos.iter().map(|k| term(k)).collect(),
    ))
}

/// The query for one word: the best (tier, field) pair that matches. Prefix and typo tiers are
/// term sets expanded from the dictionaries, built with one automaton per word.
pub(crate) fn word_query(
    searcher: &Searcher,
    fields: &Fields,
    word: &PlannedWord,
) -> tantivy::Result<Box<dyn Query>> {
    let dfa = match word.typos {
        0 => None,
        n => Some(LEVENSHTEIN[usize::from(n.min(2)) - 1].build_dfa(&word.exact)),
    };
    let mut disjuncts: Vec<Box<dyn Query>> = Vec::new();
    for (source, &(exact_field, stem_field)) in TEXT_SOURCES.iter().zip(&fields.text) {
        disjuncts.push(constant(
            Box::new(TermQuery::new(
                Term::from_field_text(exact_field, &word.exact),
                IndexRecordOption::Basic,
            )),
            Tier::Exact.base() + source.weight,
        ));
        disjuncts.push(constant(
            Box::new(TermQuery::new(
                Term::from_field_text(stem_field, &word.stem),
                IndexRecordOption::Basic,
            )),
            Tier::Stem.base() + source.weight,
        ));
        if !source.fuzzy || (!word.prefix && dfa.is_none()) {
            continue;
        }
        let (prefixed, typos) = expand(searcher, exact_field, word, dfa.as_ref())?;
        for (terms, tier) in [(prefixed, Tier::Prefix), (typos, Tier::Typo)] {
            if !terms.is_empty() {
                disjuncts.push(constant(any_term(terms), tier.base() + source.weight));
            }
        }
    }
    Ok(Box::new(DisjunctionMaxQuery::new(disjuncts)))
}

/// Matches documents holding any of `terms`. tantivy's `TermSetQuery` fills a bitset as large
/// as the segment; a few terms are cheaper as a union of term scorers.
fn any_term(mut terms: Vec<Term>) -> Box<dyn Query> {
    let term =
        |t: Term| -> Box<dyn Query> { Box::new(TermQuery::new(t, IndexRecordOption::Basic)) };
    match terms.len() {
        1 => term(terms.remove(0)),
        2..=16 => Box::new(BooleanQuery::new(
            terms
                .into_iter()
                .map(|t| (Occur::Should, term(t)))
                .collect(),
        )),
        _ => Box::new(TermSetQuery::new(terms)),
    }
}

/// All word queries must match, plus the filter; no words matches every product.
pub(crate) fn text_query(
    word_queries: &[&dyn Query],
    filter: Option<&dyn Query>,
) -> Box<dyn Query> {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = word_queries
        .iter()
        .map(|q| (Occur::Must, q.box_clone()))
        .collect();
    if clauses.is_empty() {
        clauses.push((Occur::Must, constant(Box::new(AllQuery), 0.0)));
    }
    if let Some(filter) = filter {
        clauses.push((Occur::Must, constant(filter.box_clone(), 0.0)));
    }
    Box::new(BooleanQuery::new(clauses))
}

/// The query, plus [`super::BOOST_SCORE`] per boost the product has (boosts never filter).
pub(crate) fn boosted(query: Box<dyn Query>, boosts: &[Box<dyn Query>]) -> Box<dyn Query> {
    if boosts.is_empty() {
        return query;
    }
    let mut clauses = vec![(Occur::Must, query)];
    for boost in boosts {
        clauses.push((
            Occur::Should,
            constant(boost.box_clone(), super::BOOST_SCORE),
        ));
    }
    Box::new(BooleanQuery::new(clauses))
}

/// A query that matches nothing (a filter on an unknown category or value).
pub(crate) fn nothing() -> Box<dyn Query> {
    Box::new(EmptyQuery)
}

/// The tier by which `word` matches a document word given in its two analysed forms, if any.
/// Mirrors [`word_query`] for one field (but for the prefix cap); used by highlighting and
/// explain.
pub fn match_tier(
    word: &PlannedWord,
    doc_exact: &str,
    doc_stem: &str,
    fuzzy: bool,
) -> Option<Tier> {
    if doc_exact == word.exact {
        Some(Tier::Exact)
    } else if fuzzy && word.prefix && doc_exact.starts_with(&word.exact) {
        Some(Tier::Prefix)
    } else if fuzzy && word.typos > 0 && within_edits(&word.exact, doc_exact, word.typos) {
        Some(Tier::Typo)
    } else if doc_stem == word.stem {
        Some(Tier::Stem)
    } else {
        None
    }
}

/// Whether every planned word matches some word of `text` (exactly, as a prefix when the
/// planner allows one, within its typo budget, or by stem): the planner's matching, for a short
/// text outside the index (a product name among a customer's orders).
pub fn matches_every_word(words: &[PlannedWord], text: &str) -> bool {
    let analysed = text::words(text);
    !words.is_empty()
        && words.iter().all(|w| {
            analysed
                .iter()
                .any(|d| match_tier(w, &d.exact, &d.stem, true).is_some())
        })
}

/// Whether two words are within `max` edits (insert, delete, substitute, swap of neighbours).
pub fn within_edits(a: &str, b: &str, max: u8) -> bool {
    let max = usize::from(max);
    // Cheap rejection first: this runs for every query word against every word of a hit's
    // fuzzy fields, and most pairs are far apart in length.
    let (a_len, b_len) = (a.chars().count(), b.chars().count());
    if a_len.abs_diff(b_len) > max {
        return false;
    }
    // Words of up to `WORD` characters (all but freak ones) are compared in stack buffers:
    // allocating five vectors per pair was most of this function's cost.
    const WORD: usize = 48;
    if a_len <= WORD && b_len <= WORD {
        let (mut a_chars, mut b_chars) = (['\0'; WORD], ['\0'; WORD]);
        a_chars.iter_mut().zip(a.chars()).for_each(|(s, c)| *s = c);
        b_chars.iter_mut().zip(b.chars()).for_each(|(s, c)| *s = c);
        let n = b_len + 1;
        let [mut two_back, mut prev, mut row] = [[0usize; WORD + 1]; 3];
        let rows = [&mut two_back[..n], &mut prev[..n], &mut row[..n]];
        return osa_within(&a_chars[..a_len], &b_chars[..b_len], max, rows);
    }
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let n = b.len() + 1;
    let (mut two_back, mut prev, mut row) = (vec![0; n], vec![0; n], vec![0; n]);
    osa_within(&a, &b, max, [&mut two_back, &mut prev, &mut row])
}

/// Whether the optimal string alignment distance of `a` and `b` is at most `max`, with three
/// rolling rows of the full matrix (`b.len() + 1` long each).
fn osa_within(a: &[char], b: &[char], max: usize, rows: [&mut [usize]; 3]) -> bool {
    let [mut two_back, mut prev, mut row] = rows;
    for (j, cell) in prev.iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        row[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            row[j] = (prev[j] + 1).min(row[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                row[j] = row[j].min(two_back[j - 2] + 1);
            }
        }
        if row.iter().min().is_some_and(|&m| m > max) {
            return false;
        }
        // two_back <- prev <- row; the old two_back is overwritten next round.
        std::mem::swap(&mut two_back, &mut prev);
        std::mem::swap(&mut prev, &mut row);
    }
    prev[b.len()] <= max
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typo_budget_follows_word_length() {
        assert_eq!(typo_budget("lit"), 0);
        assert_eq!(typo_budget("lamp"), 1);
        assert_eq!(typo_budget("canape"), 1);
        assert_eq!(typo_budget("lampadaire"), 2);
        assert_eq!(typo_budget("160x200"), 0);
        assert_eq!(typo_budget("2"), 0);
    }

    #[test]
    fn plan_drops_stop_words_and_sets_prefixes() {
        let words = plan_words("Lampe de chevet en laiton");
        let exact: Vec<&str> = words.iter().map(|w| w.exact.as_str()).collect();
        assert_eq!(exact, ["lampe", "chevet", "laiton"]);
        assert!(
            words.iter().all(|w| w.prefix),
            "3 words: all may be prefixes"
        );

        let words = plan_words("table basse chene massif");
        let prefixes: Vec<bool> = words.iter().map(|w| w.prefix).collect();
        assert_eq!(
            prefixes,
            [false, false, false, true],
            "4 words: the last only"
        );

        let only_stop = plan_words("la");
        assert_eq!(only_stop.len(), 1, "a query of stop words keeps them");
        assert!(plan_words("  ,; ").is_empty());
    }

    #[test]
    fn loosening_adds_one_edit_to_long_words_only() {
        let words = plan_words("lit fuieuil lampadiare");
        let loose = loosen_typos(&words);
        let budgets: Vec<u8> = loose.iter().map(|w| w.typos).collect();
        assert_eq!(budgets, [0, 2, 2]);
    }

    #[test]
    fn edits_count_transpositions_as_one() {
        assert!(within_edits("canpe", "canape", 1));
        assert!(within_edits("lmape", "lampe", 1));
        assert!(!within_edits("canpe", "lampe", 1));
        assert!(within_edits("canpe", "lampe", 2));
        assert!(within_edits("scandinve", "scandinave", 1));
        assert!(!within_edits("160x200", "140x200", 0));
    }

    /// Optimal string alignment distance over the full matrix: the reference the rolling
    /// rows and the stack buffers of [`within_edits`] must agree with.
    fn osa_distance(a: &str, b: &str) -> usize {
        let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
        let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
        for (i, row) in d.iter_mut().enumerate() {
            row[0] = i;
        }
        for (j, cell) in d[0].iter_mut().enumerate() {
            *cell = j;
        }
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                d[i][j] = (d[i - 1][j] + 1)
                    .min(d[i][j - 1] + 1)
                    .min(d[i - 1][j - 1] + cost);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
                }
            }
        }
        d[a.len()][b.len()]
    }

    proptest::proptest! {
        #[test]
        fn within_edits_agrees_with_the_full_matrix(
            a in "[abcé]{0,60}",
            edits in proptest::collection::vec((0usize..64, 0u8..4, proptest::char::range('a', 'e')), 0..4),
            max in 0u8..3,
        ) {
            // `b`: `a` after a few random edits (insert, delete, substitute, swap), so that
            // pairs near the budget are common.
            let mut b: Vec<char> = a.chars().collect();
            for (at, op, c) in edits {
                let at = at % (b.len() + 1);
                match op {
                    0 => b.insert(at, c),
                    1 if at < b.len() => { b.remove(at); }
                    2 if at < b.len() => b[at] = c,
                    3 if at + 1 < b.len() => b.swap(at, at + 1),
                    _ => {}
                }
            }
            let b: String = b.into_iter().collect();
            proptest::prop_assert_eq!(
                within_edits(&a, &b, max),
                osa_distance(&a, &b) <= usize::from(max)
            );
        }
    }

    #[test]
    fn match_tier_orders_exact_prefix_typo_stem() {
        let w = &plan_words("lampe")[0];
        assert_eq!(match_tier(w, "lampe", "lamp", true), Some(Tier::Exact));
        assert_eq!(match_tier(w, "lampes", "lamp", true), Some(Tier::Prefix));
        assert_eq!(match_tier(w, "rampe", "ramp", true), Some(Tier::Typo));
        assert_eq!(match_tier(w, "rampe", "ramp", false), None);
        let w = &plan_words("blanches table basse extra")[0];
        assert!(!w.prefix);
        assert_eq!(match_tier(w, "blanc", "blanc", true), Some(Tier::Stem));
    }
}
