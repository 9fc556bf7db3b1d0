//! Exact names. A query that names one product ("bureau Mistral en chêne") puts that product
//! first, its same-type variants next, then the rest: the word scores alone let another product
//! that shares most of the name's words ("Tabouret de bar Jade" for "Chaise Jade naturelle")
//! come between.
//!
//! A name is matched when the query's words and the name's words (stemmed, stop words left
//! out) share an in-order subsequence covering at least [`COVERAGE`] of each, and at least two
//! words. A product's type is the first product type the intent lexicon reads in its name; its
//! closest variants are those whose vectors are nearest to its own.

use super::Scored;
use super::intent::{self, Ask, Lexicon};

/// Share of the query's and of the name's words the common in-order words must cover.
const COVERAGE: f32 = 0.8;
/// Fewest common in-order words of a match: a query of fewer content words names nothing, and
/// no candidate's name is analysed for it.
const MIN_COMMON: usize = 2;

/// The content words of a text, stemmed.
fn stems(text: &str) -> Vec<String> {
    content_stems(&crate::text::words(text))
}

fn content_stems(words: &[crate::text::Word]) -> Vec<String> {
    words
        .iter()
        .filter(|w| !w.stop)
        .map(|w| w.stem.clone())
        .collect()
}

/// The content words of a candidate's name, stemmed: the words its score analysed already
/// (`None`, a candidate not hydrated, has none).
fn name_stems(candidate: Option<&Scored>) -> Vec<String> {
    candidate.map_or_else(Vec::new, |c| content_stems(c.name_words()))
}

fn name(candidate: Option<&Scored>) -> &str {
    candidate.map_or("", |c| c.hit.name.as_str())
}

/// Length of the longest common in-order subsequence of two word lists.
fn common_in_order(a: &[String], b: &[String]) -> usize {
    let mut row = vec![0usize; b.len() + 1];
    for x in a {
        let mut diagonal = 0;
        for (j, y) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if x == y {
                diagonal + 1
            } else {
                above.max(row[j])
            };
            diagonal = above;
        }
    }
    row[b.len()]
}

/// How nearly the query names `name`: the share of the longer word list the common in-order
/// words cover, or `None` below [`COVERAGE`] or under two words.
fn coverage(query: &[String], name: &[String]) -> Option<f32> {
    let common = common_in_order(query, name);
    let share = common as f32 / query.len().max(name.len()).max(1) as f32;
    (common >= MIN_COMMON && share >= COVERAGE).then_some(share)
}

/// The product type the lexicon reads in a name.
fn product_type(lexicon: &Lexicon, name: &str) -> Option<String> {
    intent::parse_with(lexicon, name, &|_| true)
        .constraints
        .into_iter()
        .find_map(|c| match c.ask {
            Ask::ProductType { label, .. } => Some(label),
            _ => None,
        })
}

/// Whether the query names one of `candidates` (a cheap test before the others are hydrated).
pub(super) fn names_one(query: &str, candidates: &[Option<&Scored>]) -> bool {
    let query_words = stems(query);
    if query_words.len() < MIN_COMMON {
        return false;
    }
    candidates
        .iter()
        .any(|&c| coverage(&query_words, &name_stems(c)).is_some())
}

/// How close candidate `b` is to candidate `a` (the cosine of their vectors), when known.
pub(super) type Closeness<'a> = &'a dyn Fn(usize, usize) -> Option<f32>;
/// A [`Closeness`] owned.
pub(super) type BoxedCloseness<'a> = Box<dyn Fn(usize, usize) -> Option<f32> + 'a>;

/// The exact-name order of `candidates` (best first): the products whose name the query
/// names (best covered first), then those of the same product type as the first of them (its
/// closest variants first, by `closeness`, when given), then the rest, each group otherwise in
/// its previous order. `None` when the query names no candidate.
pub(super) fn order(
    lexicon: &Lexicon,
    query: &str,
    candidates: &[Option<&Scored>],
    closeness: Option<Closeness>,
) -> Option<Vec<usize>> {
    let query_words = stems(query);
    if query_words.len() < MIN_COMMON {
        return None;
    }
    let mut named: Vec<(usize, f32)> = candidates
        .iter()
        .enumerate()
        .filter_map(|(i, &c)| Some((i, coverage(&query_words, &name_stems(c))?)))
        .collect();
    if named.is_empty() {
        return None;
    }
    named.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let kind = product_type(lexicon, name(candidates[named[0].0]));
    let mut order: Vec<usize> = named.iter().map(|&(i, _)| i).collect();
    let rest = (0..candidates.len()).filter(|i| !order.contains(i));
    let (mut same, other): (Vec<usize>, Vec<usize>) =
        rest.partition(|&i| kind.is_some() && product_type(lexicon, name(candidates[i])) == kind);
    if let Some(closeness) = closeness {
        let anchor = named[0].0;
        // Stable: candidates without a vector keep their place after those with one.
        same.sort_by(|&a, &b| {
            let (ca, cb) = (closeness(anchor, a), closeness(anchor, b));
            cb.unwrap_or(f32::MIN).total_cmp(&ca.unwrap_or(f32::MIN))
        });
    }
    order.extend(same);
    order.extend(other);
    Some(order)
}

/// `hits` in exact-name order, without vectors (as they were when the query names none).
pub(super) fn reorder_hits(lexicon: &Lexicon, query: &str, hits: Vec<Scored>) -> Vec<Scored> {
    let candidates: Vec<Option<&Scored>> = hits.iter().map(Some).collect();
    let Some(order) = order(lexicon, query, &candidates, None) else {
        return hits;
    };
    permute(hits, order)
}

/// `items` in `order` (a permutation of their indices, as [`order`] gives).
pub(super) fn permute<T>(items: Vec<T>, order: Vec<usize>) -> Vec<T> {
    let mut slots: Vec<Option<T>> = items.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidates(names: &[&str]) -> Vec<Scored> {
        names.iter().map(|n| Scored::named(n)).collect()
    }

    fn names_one(query: &str, names: &[&str]) -> bool {
        let hits = candidates(names);
        let candidates: Vec<Option<&Scored>> = hits.iter().map(Some).collect();
        super::names_one(query, &candidates)
    }

    fn ordered(query: &str, names: &[&str]) -> Option<Vec<String>> {
        let lexicon = Lexicon::bundled();
        let hits = candidates(names);
        let candidates: Vec<Option<&Scored>> = hits.iter().map(Some).collect();
        order(&lexicon, query, &candidates, None)
            .map(|o| o.into_iter().map(|i| names[i].to_owned()).collect())
    }

    #[test]
    fn a_query_of_one_content_word_names_nothing() {
        let names = ["Lampe", "Lampe de chevet", "Canapé"];
        for query in ["lampe", "la lampe", "lampes"] {
            assert!(!names_one(query, &names), "{query}");
            assert_eq!(ordered(query, &names), None, "{query}");
        }
        assert!(names_one("lampe de chevet", &names));
    }

    #[test]
    fn the_named_product_then_its_type_then_the_rest() {
        let names = [
            "Tabouret de bar Jade en aluminium",
            "Chaise Évian",
            "Chaise Jade naturelle",
            "Vase Jade",
            "Chaise Verona verte",
        ];
        assert_eq!(
            ordered("chaise jade naturelle", &names).unwrap(),
            [
                "Chaise Jade naturelle",
                "Chaise Évian",
                "Chaise Verona verte",
                "Tabouret de bar Jade en aluminium",
                "Vase Jade",
            ]
        );
    }

    #[test]
    fn the_closest_variants_of_the_named_product_come_first() {
        let lexicon = Lexicon::bundled();
        let names = [
            "Chaise Évian",
            "Chaise Jade naturelle",
            "Chaise Namur",
            "Vase Jade",
        ];
        // Namur is closer to Jade than Évian is.
        let cosine = |a: usize, b: usize| match (a, b) {
            (1, 0) => Some(0.8),
            (1, 2) => Some(0.9),
            _ => None,
        };
        let hits = candidates(&names);
        let candidates: Vec<Option<&Scored>> = hits.iter().map(Some).collect();
        let order = order(
            &lexicon,
            "chaise jade naturelle",
            &candidates,
            Some(&cosine),
        )
        .unwrap();
        assert_eq!(order, [1, 2, 0, 3]);
    }

    #[test]
    fn nearly_complete_and_in_order_only() {
        let names = ["Bureau Mistral en chêne", "Bureau Alto en chêne"];
        // Plural and accents fold; a missing stop word does not matter.
        assert_eq!(
            ordered("bureaux mistral chene", &names).unwrap()[0],
            "Bureau Mistral en chêne"
        );
        // Shared words that are not the name: no exact name.
        assert_eq!(ordered("bureau en chêne", &names), None);
        assert_eq!(ordered("chêne", &names), None);
        // Out of order: not the name.
        assert_eq!(ordered("chêne mistral bureau", &names), None);
    }

    #[test]
    fn common_in_order_counts_the_longest_subsequence() {
        let w = |s: &str| s.split(' ').map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(common_in_order(&w("a b c d"), &w("a x c d")), 3);
        assert_eq!(common_in_order(&w("a b"), &w("b a")), 1);
        assert_eq!(common_in_order(&w(""), &w("a")), 0);
    }
}
