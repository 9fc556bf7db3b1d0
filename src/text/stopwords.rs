//! French stop words, from a curated list (`data/lang/stopwords-fr.txt`).
//!
//! The list holds articles, prepositions, pronouns and conjunctions, but no single letters: the
//! usual lists delete sizes ("taille M") and "vitamine D". The filter runs before accent folding
//! and matches the accented form, so `maïs` survives while `mais` is dropped.

use std::collections::HashSet;
use std::sync::LazyLock;

static STOP_WORDS: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| super::data_lines(include_str!("../../data/lang/stopwords-fr.txt")).collect());

/// Whether a lower-cased, elision-free word is a stop word.
pub fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.contains(word)
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
