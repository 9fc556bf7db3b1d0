//! French text analysis, shared by the index and the query planner.
//!
//! Input: raw text (a product field or a query). Output: tokens with byte offsets into the input.
//! Two views are indexed for every text field:
//! - `fr_exact`: words, lower-cased, apostrophes normalised, elisions removed, stop words
//!   dropped, accents and ligatures folded. Used for exact, prefix and typo matching.
//! - `fr_stem`: the same, then light stemming (plural and feminine forms). Used for the
//!   stemmed tier.
//!
//! Invariant: [`words`] (query side) runs exactly the step functions the analyzers run, in the
//! same order, so a query word and an indexed word agree by construction; a test checks it.

mod apostrophe;
mod elision;
mod filter;
mod fold;
mod lowercase;
mod stem;
mod stopwords;
mod tokenizer;

use tantivy::tokenizer::{
    TextAnalyzer, TextAnalyzerBuilder, TokenStream, Tokenizer, TokenizerManager,
};

pub use apostrophe::normalize_apostrophes;
pub use elision::strip_elision;
pub use filter::MapFilter;
pub use fold::fold;
pub use lowercase::lowercase;
pub use stem::{stem, stem_changes_initial};
pub use stopwords::{is_stop_word, remove_stop_words};
pub use tokenizer::WordTokenizer;
pub(crate) use tokenizer::is_apostrophe;

/// Name of the folded, unstemmed analyzer in tantivy's tokenizer manager.
pub const EXACT_ANALYZER: &str = "fr_exact";
/// Name of the folded, stemmed analyzer in tantivy's tokenizer manager.
pub const STEM_ANALYZER: &str = "fr_stem";

/// The steps both analyzers share, in order (the same order as [`words`]).
fn folded_words() -> TextAnalyzerBuilder<impl Tokenizer> {
    TextAnalyzer::builder(WordTokenizer)
        .filter(MapFilter(lowercase))
        .filter(MapFilter(normalize_apostrophes))
        .filter(MapFilter(strip_elision))
        .filter(MapFilter(remove_stop_words))
        .filter(MapFilter(fold))
}

/// The folded, unstemmed analyzer.
pub fn exact_analyzer() -> TextAnalyzer {
    folded_words().build()
}

/// The folded, stemmed analyzer.
pub fn stem_analyzer() -> TextAnalyzer {
    folded_words().filter(MapFilter(stem)).build()
}

/// Registers both analyzers on an index's tokenizer manager.
pub fn register(manager: &TokenizerManager) {
    manager.register(EXACT_ANALYZER, exact_analyzer());
    manager.register(STEM_ANALYZER, stem_analyzer());
}

/// One word of a text, in both analysed views.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// The word as written.
    pub raw: String,
    /// Byte offsets of the word in the text.
    pub offset_from: usize,
    /// End byte offset (exclusive).
    pub offset_to: usize,
    /// The `fr_exact` form (empty for a stop word never happens: see `stop`).
    pub exact: String,
    /// The `fr_stem` form.
    pub stem: String,
    /// Whether the analyzers drop this word as a stop word.
    pub stop: bool,
}

/// Splits a text into words and analyses each one as the index does, keeping stop words
/// (flagged) so the query planner can decide what to do with them.
pub fn words(text: &str) -> Vec<Word> {
    words_iter(text).collect()
}

/// The words of [`words`], one at a time: a caller that needs only the first few (a cropped
/// highlight) stops early.
pub fn words_iter(text: &str) -> impl Iterator<Item = Word> + '_ {
    spans(text).map(|(from, to)| word_at(text, from, to))
}

/// Byte offsets of the words of `text`, as the tokenizer splits them, before any analysis.
pub fn spans(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut stream = tokenizer::WordTokenStream::new(text);
    std::iter::from_fn(move || {
        stream
            .advance()
            .then(|| (stream.token().offset_from, stream.token().offset_to))
    })
}

/// Analyses the word at `text[from..to]` (a span of [`spans`]).
pub fn word_at(text: &str, from: usize, to: usize) -> Word {
    let raw = &text[from..to];
    let (mut exact, mut stem) = (String::new(), String::new());
    let stop = analyse_into(raw, &mut exact, &mut stem);
    Word {
        raw: raw.to_owned(),
        offset_from: from,
        offset_to: to,
        exact,
        stem,
        stop,
    }
}

/// Analyses one word as written into `exact` and `stemmed`, which it overwrites; returns
/// whether the word is a stop word. A caller that analyses many words and keeps few (a
/// highlight scanning a description) reuses its two buffers instead of allocating per word.
pub fn analyse_into(raw: &str, exact: &mut String, stemmed: &mut String) -> bool {
    exact.clear();
    exact.push_str(raw);
    lowercase(exact);
    normalize_apostrophes(exact);
    strip_elision(exact);
    let stop = is_stop_word(exact);
    fold(exact);
    stemmed.clear();
    stemmed.push_str(exact);
    stem(stemmed);
    stop
}

/// The first letter of a word's analysed forms, from its first character as written: the
/// lower-cased, folded character (`É` → `e`, `Œ` → `o`). Neither stemming nor folding changes a
/// word's first letter, except the elisions (a word with an apostrophe) and the irregular
/// plurals of [`stem_changes_initial`].
pub fn initial(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    let mut s = String::new();
    s.extend(c.to_lowercase());
    fold(&mut s);
    s.chars().next().unwrap_or(c)
}

/// What caches key a query on: trimmed, lower-cased, single spaces ("  Lampe   DE chevet " →
/// "lampe de chevet").
pub fn normalize_query(query: &str) -> String {
    query
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Non-empty, non-comment lines of a bundled word list.
pub(crate) fn data_lines(data: &'static str) -> impl Iterator<Item = &'static str> {
    data.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Runs a tokenizer and returns `(text, from, to)` per token.
    pub(crate) fn tokens_of<T: Tokenizer>(
        mut tokenizer: T,
        text: &str,
    ) -> Vec<(String, usize, usize)> {
        let mut stream = tokenizer.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            let t = stream.token();
            out.push((t.text.clone(), t.offset_from, t.offset_to));
        }
        out
    }

    /// Checks a filter function on a golden table: `None` means the token is dropped.
    pub(crate) fn assert_map(map: fn(&mut String) -> bool, cases: &[(&str, Option<&str>)]) {
        for (input, expected) in cases {
            let mut text = (*input).to_owned();
            let kept = map(&mut text);
            let got = kept.then_some(text.as_str());
            assert_eq!(got, *expected, "input {input:?}");
        }
    }

    fn texts(mut analyzer: TextAnalyzer, text: &str) -> Vec<(String, usize, usize)> {
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            let t = stream.token();
            out.push((t.text.clone(), t.offset_from, t.offset_to));
        }
        out
    }

    #[test]
    fn exact_analyzer_golden() {
        let got = texts(
            exact_analyzer(),
            "L’Applique murale d'extérieur en Laiton, Œuvre 160x200",
        );
        let want: Vec<(String, usize, usize)> = [
            ("applique", 0, 12),
            ("murale", 13, 19),
            ("exterieur", 20, 32),
            ("laiton", 36, 42),
            ("oeuvre", 44, 50),
            ("160x200", 51, 58),
        ]
        .iter()
        .map(|(t, a, b)| ((*t).to_owned(), *a, *b))
        .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn stem_analyzer_golden() {
        let got: Vec<String> = texts(
            stem_analyzer(),
            "Lampes blanches, coussins bleus et rideaux dorés",
        )
        .into_iter()
        .map(|t| t.0)
        .collect();
        assert_eq!(got, ["lamp", "blanc", "coussin", "bleu", "rideau", "dor"]);
    }

    #[test]
    fn query_words_agree_with_analyzers() {
        let samples = [
            "Lampe de chevet Alba en laiton",
            "L’applique murale d'extérieur",
            "canapés 3 places en velours bleu canard",
            "Maïs, mais aussi des bijoux et des chevaux",
            "jusqu'à 160x200 cm — clic-clac œil-de-bœuf",
        ];
        for sample in samples {
            let kept: Vec<Word> = words(sample).into_iter().filter(|w| !w.stop).collect();
            let exact: Vec<String> = texts(exact_analyzer(), sample)
                .into_iter()
                .map(|t| t.0)
                .collect();
            let stemmed: Vec<String> = texts(stem_analyzer(), sample)
                .into_iter()
                .map(|t| t.0)
                .collect();
            assert_eq!(
                kept.iter().map(|w| w.exact.clone()).collect::<Vec<_>>(),
                exact,
                "{sample}"
            );
            assert_eq!(
                kept.iter().map(|w| w.stem.clone()).collect::<Vec<_>>(),
                stemmed,
                "{sample}"
            );
        }
    }

    #[test]
    fn queries_are_normalised_for_cache_keys() {
        assert_eq!(normalize_query("  Lampe   DE chevet "), "lampe de chevet");
    }

    #[test]
    fn words_flags_stop_words_and_keeps_offsets() {
        let w = words("la lampe");
        assert_eq!(w.len(), 2);
        assert!(w[0].stop && !w[1].stop);
        assert_eq!((w[1].offset_from, w[1].offset_to), (3, 8));
    }
}
