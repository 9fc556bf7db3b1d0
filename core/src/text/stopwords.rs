//! French stop words, from a curated list (`data/lang/stopwords-fr.txt`).
//!
//! The list holds articles, prepositions, pronouns and conjunctions, but no single letters: the
//! usual lists delete sizes ("taille M") and "vitamine D". The filter runs before accent folding
//! and matches the accented form, so `maïs` survives while `mais` is dropped.

use std::sync::LazyLock;

/// The list, sorted: a binary search over a few hundred short words costs less than hashing
/// the word, and every word of every highlighted text is looked up.
static STOP_WORDS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    let mut words: Vec<&str> =
        super::data_lines(include_str!("../../../data/lang/stopwords-fr.txt")).collect();
    words.sort_unstable();
    words.dedup();
    words
});

/// Bytes of the longest stop word: longer words (most of a product text) skip the search.
static LONGEST: LazyLock<usize> =
    LazyLock::new(|| STOP_WORDS.iter().map(|w| w.len()).max().unwrap_or(0));

/// Whether a lower-cased, elision-free word is a stop word.
pub fn is_stop_word(word: &str) -> bool {
    word.len() <= *LONGEST && STOP_WORDS.binary_search(&word).is_ok()
}

/// Drops stop words.
#[allow(clippy::ptr_arg)] // every filter has the `MapFilter` signature `fn(&mut String) -> bool`
pub fn remove_stop_words(text: &mut String) -> bool {
    !is_stop_word(text)
}

#[cfg(test)]
mod tests {
    use super::super::tests::assert_map;
    use super::*;

    #[test]
    fn golden() {
        assert_map(
            remove_stop_words,
            &[
                ("de", None),
                ("les", None),
                ("mais", None),
                ("maïs", Some("maïs")),
                ("m", Some("m")),
                ("d", Some("d")),
                ("lampe", Some("lampe")),
                ("pour", None),
            ],
        );
    }

    #[test]
    fn list_parses_and_has_no_single_letters() {
        assert!(STOP_WORDS.len() > 50);
        assert!(
            STOP_WORDS
                .iter()
                .all(|w| w.chars().count() > 1 || *w == "à")
        );
        assert!(STOP_WORDS.iter().all(|w| *w == w.to_lowercase().trim()));
    }
}
