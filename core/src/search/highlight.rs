//! Highlights and explanations, computed from the stored text of a hit with the same matcher
//! the query planner uses ([`match_tier`]), so a `<mark>` always shows why a product matched.
//!
//! Analysing the stored texts is most of a lexical search's cost (measured: three quarters of
//! it on the demo catalog when every text was analysed twice), so [`Analysed`] analyses each
//! text of a hit at most once, when first needed, for both the score and the highlights.

use std::cell::OnceCell;

use crate::index::{PlannedWord, TEXT_SOURCES, TextField, Tier, match_tier};
use crate::text;

/// The stored texts of a hit (one per [`TEXT_SOURCES`] entry), each analysed on first use.
/// It owns them: a hit scored now is highlighted later, once it is known to be on the page,
/// with the words its score analysed.
pub(crate) struct Analysed {
    texts: Vec<String>,
    words: [OnceCell<Vec<text::Word>>; TEXT_SOURCES.len()],
}

impl Analysed {
    pub(crate) fn new(texts: Vec<String>) -> Analysed {
        Analysed {
            texts,
            words: Default::default(),
        }
    }

    /// The text of source `i` ("" when the hit has none).
    pub(crate) fn text(&self, i: usize) -> &str {
        self.texts.get(i).map_or("", String::as_str)
    }

    /// The words of source `i`, if they were analysed already.
    fn cached(&self, i: usize) -> Option<&[text::Word]> {
        self.words[i].get().map(Vec::as_slice)
    }

    /// The words of source `i`.
    pub(crate) fn words(&self, i: usize) -> &[text::Word] {
        self.words[i].get_or_init(|| text::words(self.text(i)))
    }
}

/// Wraps the words of source `source` of a hit that match a query word in `<mark>`; the rest is
/// HTML-escaped. With `crop`, keeps about that many words around the first match.
pub(crate) fn highlight(
    analysed: &Analysed,
    source: usize,
    words: &[PlannedWord],
    crop: Option<usize>,
) -> String {
    let text = analysed.text(source);
    let fuzzy = TEXT_SOURCES[source].fuzzy;
    let matches = |exact: &str, stem: &str, stop: bool| {
        !stop
            && words
                .iter()
                .any(|w| match_tier(w, exact, stem, fuzzy).is_some())
    };
    let is_match = |t: &text::Word| matches(&t.exact, &t.stem, t.stop);
    // A cropped text not analysed yet is analysed only up to the end of its window (and one
    // word more, which tells the crop the text goes on): the rest would not be shown. Only
    // its matches are kept as words; the others count for their offsets alone.
    let streamed: Vec<text::Word>;
    let tokens: &[text::Word] = match (crop, analysed.cached(source)) {
        (Some(n), None) => {
            let may_match = initials_filter(words, fuzzy);
            let (mut exact, mut stem) = (String::new(), String::new());
            let mut taken = Vec::new();
            let mut first = None;
            for (from, to) in text::spans(text) {
                let raw = &text[from..to];
                let matched = may_match(raw) && {
                    let stop = text::analyse_into(raw, &mut exact, &mut stem);
                    matches(&exact, &stem, stop)
                };
                let word = if matched {
                    text::Word {
                        raw: raw.to_owned(),
                        offset_from: from,
                        offset_to: to,
                        exact: exact.clone(),
                        stem: stem.clone(),
                        stop: false,
                    }
                } else {
                    unmatchable(from, to)
                };
                if first.is_none() && matched {
                    first = Some(taken.len());
                }
                taken.push(word);
                // The window is full: after the first match, or with nothing to match.
                let window_end = match first {
                    Some(f) => f.saturating_sub(n / 3) + n,
                    None if words.is_empty() => n,
                    None => continue,
                };
                if taken.len() > window_end {
                    break;
                }
            }
            streamed = taken;
            &streamed
        }
        _ => analysed.words(source),
    };
    let matched: Vec<bool> = tokens.iter().map(is_match).collect();
    let (from, to, cut_start, cut_end) = match crop {
        Some(n) if tokens.len() > n => {
            let first = matched.iter().position(|&m| m).unwrap_or(0);
            let start = first.saturating_sub(n / 3);
            let end = (start + n).min(tokens.len());
            let from = if start == 0 {
                0
            } else {
                tokens[start].offset_from
            };
            let to = if end == tokens.len() {
                text.len()
            } else {
                tokens[end - 1].offset_to
            };
            (from, to, start > 0, end < tokens.len())
        }
        _ => (0, text.len(), false, false),
    };
    let mut out = String::with_capacity(text.len() + 32);
    if cut_start {
        out.push('…');
    }
    let mut cursor = from;
    for (token, _) in tokens
        .iter()
        .zip(&matched)
        .filter(|(t, m)| **m && t.offset_from >= from && t.offset_to <= to)
    {
        escape_into(&text[cursor..token.offset_from], &mut out);
        out.push_str("<mark>");
        escape_into(&text[token.offset_from..token.offset_to], &mut out);
        out.push_str("</mark>");
        cursor = token.offset_to;
    }
    escape_into(&text[cursor..to], &mut out);
    if cut_end {
        out.push('…');
    }
    out
}

/// Whether a word as written may match one of `words`, from its first letter alone: exact
/// and stem matches share the first letter of the analysed forms ([`text::initial`]), but for
/// elisions and a few irregular plurals. Prefix and typo matches (fuzzy fields) need not, so
/// there every word may match. Most words of a description fail this test and are never
/// analysed: analysing them was a fifth of a lexical search at 100,000 products.
fn initials_filter(words: &[PlannedWord], fuzzy: bool) -> impl Fn(&str) -> bool {
    let initials: Vec<char> = words
        .iter()
        .flat_map(|w| [w.exact.chars().next(), w.stem.chars().next()])
        .flatten()
        .collect();
    move |raw: &str| {
        let Some(c) = raw.chars().next() else {
            return false;
        };
        let c = text::initial(c);
        fuzzy
            || initials.contains(&c)
            || text::stem_changes_initial(c)
            || raw.chars().any(text::is_apostrophe)
    }
}

/// A word that matches nothing, standing for one that [`initials_filter`] ruled out or that
/// did not match: only its offsets count (the crop).
fn unmatchable(from: usize, to: usize) -> text::Word {
    text::Word {
        raw: String::new(),
        offset_from: from,
        offset_to: to,
        exact: String::new(),
        stem: String::new(),
        stop: true,
    }
}

fn escape_into(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
}

/// How one query word matched a hit.
#[derive(Debug, Clone, PartialEq)]
pub struct WordMatch {
    /// The word as typed.
    pub word: String,
    /// Best tier found.
    pub tier: Option<Tier>,
    /// Field of the best match.
    pub field: Option<&'static str>,
    /// Tier base plus field weight.
    pub score: f32,
}

/// The best match of each word over a hit's stored texts. Sources come in decreasing weight:
/// one that cannot beat a word's best match (an exact match in a heavier field) is skipped,
/// and never analysed when no word needs it. The description is never analysed: `description`
/// gives each word's tier there, read from the index ([`crate::index::Generation::tiers_in`]).
pub(crate) fn explain(
    words: &[PlannedWord],
    analysed: &Analysed,
    description: &[Option<Tier>],
) -> Vec<WordMatch> {
    words
        .iter()
        .zip(description)
        .map(|(w, &in_description)| {
            let mut best: Option<(Tier, &'static str, f32)> = None;
            for (i, source) in TEXT_SOURCES.iter().enumerate() {
                if best.is_some_and(|(_, _, s)| s >= Tier::Exact.base() + source.weight) {
                    break;
                }
                if i == TextField::Description as usize {
                    if let Some(tier) = in_description {
                        let score = tier.base() + source.weight;
                        if best.is_none_or(|(_, _, s)| score > s) {
                            best = Some((tier, source.name, score));
                        }
                    }
                    continue;
                }
                for t in analysed.words(i).iter().filter(|t| !t.stop) {
                    if let Some(tier) = match_tier(w, &t.exact, &t.stem, source.fuzzy) {
                        let score = tier.base() + source.weight;
                        if best.is_none_or(|(_, _, s)| score > s) {
                            best = Some((tier, source.name, score));
                        }
                    }
                }
            }
            WordMatch {
                word: w.raw.clone(),
                tier: best.map(|b| b.0),
                field: best.map(|b| b.1),
                score: best.map_or(0.0, |b| b.2),
            }
        })
        .collect()
}

/// Best possible score of one word: an exact match in the name.
pub(crate) fn max_word_score() -> f32 {
    Tier::Exact.base() + TextField::Name.source().weight
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::plan_words;

    #[test]
    fn marks_matches_and_escapes_the_rest() {
        let words = plan_words("canpe velours");
        let texts = ["Canapé <d'angle> en velours".to_owned()];
        let got = highlight(&Analysed::new(texts.to_vec()), 0, &words, None);
        assert_eq!(
            got,
            "<mark>Canapé</mark> &lt;d'angle&gt; en <mark>velours</mark>"
        );
    }

    #[test]
    fn crops_around_the_first_match() {
        let words = plan_words("lampe");
        let text = "Un deux trois quatre cinq six sept huit neuf dix onze douze lampe treize quatorze quinze seize dix-sept";
        let texts: Vec<String> = ["", "", "", "", "", text].map(str::to_owned).to_vec();
        let got = highlight(&Analysed::new(texts), 5, &words, Some(6));
        assert!(got.starts_with('…') && got.ends_with('…'), "{got}");
        assert!(got.contains("<mark>lampe</mark>"), "{got}");
    }

    #[test]
    fn a_crop_streamed_and_filtered_by_initials_marks_what_full_analysis_marks() {
        let description = "Éclairage doux : l'applique en laiton brossé éclaire les yeux \
            sans éblouir. Ses abat-jour plissés, œuvre d'artisans, s'accordent aux lampes \
            Opale et aux suspensions Œil-de-bœuf. Entretien : un chiffon doux.";
        for query in [
            "applique laiton",
            "lampe",
            "oeil",
            "eclairage",
            "abat jour plisse",
            "oeuvre",
            "artisan",
            "suspension doux",
        ] {
            let words = plan_words(query);
            let texts: Vec<String> = ["", "", "", "", "", description]
                .map(str::to_owned)
                .to_vec();
            for crop in [4, 10, 24, 200] {
                let streamed = highlight(&Analysed::new(texts.clone()), 5, &words, Some(crop));
                let analysed = Analysed::new(texts.clone());
                analysed.words(5);
                let full = highlight(&analysed, 5, &words, Some(crop));
                assert_eq!(streamed, full, "{query}, crop {crop}");
                assert!(full.contains("<mark>"), "{query}, crop {crop}: {full}");
            }
        }
    }

    #[test]
    fn explain_keeps_the_best_tier_per_word() {
        let words = plan_words("lampe laiton");
        let texts: Vec<String> = [
            "Lampe de chevet",
            "Luminaires",
            "laiton · doré",
            "",
            "",
            "une lampe",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        let got = explain(&words, &Analysed::new(texts), &[Some(Tier::Exact), None]);
        assert_eq!(
            (got[0].tier, got[0].field),
            (Some(Tier::Exact), Some("name"))
        );
        assert_eq!(
            (got[1].tier, got[1].field),
            (Some(Tier::Exact), Some("attributes"))
        );
    }

    #[test]
    fn explain_takes_the_description_tiers_it_is_given() {
        let words = plan_words("bougies");
        let texts: Vec<String> = ["Vase", "", "", "", "", "deux bougies"]
            .map(str::to_owned)
            .to_vec();
        let stem = explain(&words, &Analysed::new(texts.clone()), &[Some(Tier::Stem)]);
        assert_eq!(
            (stem[0].tier, stem[0].field, stem[0].score),
            (Some(Tier::Stem), Some("description"), 11.0)
        );
        let none = explain(&words, &Analysed::new(texts), &[None]);
        assert_eq!((none[0].tier, none[0].score), (None, 0.0));
    }
}
