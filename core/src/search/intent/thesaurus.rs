//! The French home-furnishing thesaurus (`data/lang/thesaurus-fr.toml`): the shoppers' words for
//! what the store sells (synonyms, more specific kinds, English names, everyday phrases), each
//! read as the product type or the category that answers it, and the home items the store does
//! not sell, with the categories to offer instead. Data, not code: reviewed as a file, compiled
//! into the lexicon at start ([`super::lexicon::Lexicon::parse`]).

use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    entry: Vec<Entry>,
}

/// One entry: a headword and its relations.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Entry {
    /// The headword, as a shopper writes it.
    pub(crate) term: String,
    /// The product type (an intent lexicon `[[type]]` label) that answers it.
    #[serde(rename = "type")]
    product_type: Option<String>,
    /// Or the category slug that answers it (a generic word).
    category: Option<String>,
    /// Or, for an item the store does not sell, the category slugs to offer instead.
    #[serde(default)]
    closest: Vec<String>,
    #[serde(default)]
    synonyms: Vec<String>,
    /// More specific kinds, answered by the same type.
    #[serde(default)]
    narrower: Vec<String>,
    /// More generic words: a relation for reviewers, never read as this entry's meaning.
    #[serde(default)]
    #[allow(dead_code)]
    broader: Vec<String>,
    #[serde(default)]
    english: Vec<String>,
    /// Everyday phrases ("pour ranger les livres").
    #[serde(default)]
    phrases: Vec<String>,
    /// Where it came from (taxonomy ids, mythes-fr, hand).
    #[allow(dead_code)]
    source: String,
}

/// What an entry's words are read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer<'a> {
    /// A product type, by label.
    Type(&'a str),
    /// A category, by slug.
    Category(&'a str),
    /// Not sold: the categories to offer.
    NotSold(&'a [String]),
}

impl Entry {
    /// What its words are read as: exactly one of `type`, `category`, `closest`.
    pub(crate) fn answer(&self) -> Result<Answer<'_>, String> {
        match (&self.product_type, &self.category, self.closest.is_empty()) {
            (Some(t), None, true) => Ok(Answer::Type(t)),
            (None, Some(c), true) => Ok(Answer::Category(c)),
            (None, None, false) => Ok(Answer::NotSold(&self.closest)),
            _ => Err(format!(
                "thesaurus entry {:?}: give exactly one of type, category, closest",
                self.term
            )),
        }
    }

    /// The words read as its answer: the term, synonyms, more specific kinds, English names and
    /// everyday phrases (not the broader words).
    pub(crate) fn words(&self) -> impl Iterator<Item = &String> {
        std::iter::once(&self.term)
            .chain(&self.synonyms)
            .chain(&self.narrower)
            .chain(&self.english)
            .chain(&self.phrases)
    }
}

/// Reads a thesaurus file.
pub(crate) fn parse(text: &str) -> Result<Vec<Entry>, String> {
    let file: File = toml::from_str(text).map_err(|e| format!("thesaurus: {e}"))?;
    for entry in &file.entry {
        entry.answer()?;
    }
    Ok(file.entry)
}
