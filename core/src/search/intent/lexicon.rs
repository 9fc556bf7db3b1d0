//! The French intent lexicon (`data/lang/intent-fr.toml`) with the thesaurus
//! (`data/lang/thesaurus-fr.toml`) and the words learnt under review, compiled into phrases
//! matched on scanned tokens: folded or stemmed words agree, stop words inside a phrase may be
//! skipped on either side, and words of 5 letters or more of the intent lexicon may carry the
//! index's typo budget (the thesaurus's words do not: a thousand more words to be a typo of
//! would read too many unknown words as one).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, LazyLock};

use serde::Deserialize;

use crate::filter::Facet;

use super::scan::{Kind, Token, scan};
use crate::index::{typo_budget, within_edits};

/// The bundled intent lexicon.
const INTENT: &str = include_str!("../../../../data/lang/intent-fr.toml");
/// The bundled thesaurus.
pub(crate) const THESAURUS: &str = include_str!("../../../../data/lang/thesaurus-fr.toml");

/// The bundled lexicon, without learnt words.
pub(crate) static LEXICON: LazyLock<Arc<Lexicon>> = LazyLock::new(|| {
    Arc::new(
        Lexicon::parse(INTENT, THESAURUS, &[])
            .expect("the bundled intent lexicon and thesaurus are valid (tested)"),
    )
});

/// A word accepted into the lexicon under review (`vivr-search lexicon accept`): it names a
/// category, as Claude read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LearntWord {
    /// The word or phrase, as shoppers wrote it.
    pub word: String,
    /// The category slug it names.
    pub category: String,
}

/// A relative price band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum PriceBand {
    /// The cheapest third of the product type's prices.
    Cheap,
    /// The dearest third.
    Premium,
}

/// What a phrase means. One phrase may mean several things; the grammar picks by position
/// ("max 200" and "200 max").
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Meaning {
    /// A home item the store does not sell (the thesaurus), with the category slugs to offer.
    NotSold {
        term: String,
        closest: Vec<String>,
    },
    /// Names a category; `keep`: the words stay in the searched text.
    Category {
        slug: String,
        keep: bool,
    },
    /// A product type in a category; `search` stays in the searched text.
    Type {
        label: String,
        slug: String,
        search: String,
    },
    /// Attribute values; `filter`: may become an attribute filter.
    Attribute {
        facet: Facet,
        values: Vec<String>,
        filter: bool,
    },
    Band(PriceBand),
    Small,
    Large,
    /// A counted unit after a number ("2 places").
    Count,
    Diameter,
    LengthUnit,
    InStock,
    /// Before a number: highest price.
    MaxBefore,
    /// Before a number: lowest price.
    MinBefore,
    /// After a number: highest price.
    MaxAfter,
    /// After a number: lowest price.
    MinAfter,
    Between,
    RangeFrom,
    RangeTo,
    Currency,
}

/// One word of a phrase.
#[derive(Debug, Clone)]
struct PhraseWord {
    norm: String,
    stem: String,
    /// May be skipped (stop word in a phrase that has other words).
    optional: bool,
}

/// A compiled phrase.
#[derive(Debug, Clone)]
pub(crate) struct Phrase {
    words: Vec<PhraseWord>,
    /// Index of the first required word.
    first: usize,
    /// Whether its words may be read through a typo.
    typos: bool,
    pub(crate) meanings: Vec<Meaning>,
}

/// A phrase found in a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Found {
    pub(crate) phrase: usize,
    /// Token range `[start, end)`.
    pub(crate) start: usize,
    pub(crate) end: usize,
    /// Words matched with a typo.
    pub(crate) typos: usize,
    /// Optional words of the phrase the query did not have.
    skipped: usize,
}

/// The compiled lexicon.
#[derive(Debug)]
pub struct Lexicon {
    pub(crate) phrases: Vec<Phrase>,
    /// First required word (folded and stemmed forms) → phrases.
    by_first: HashMap<String, Vec<usize>>,
    /// First required words long enough for a typo, with their phrases.
    typo_firsts: Vec<(String, Vec<usize>)>,
    /// Every word of the lexicon, folded and stemmed: such a word is never read as a typo.
    words: HashSet<String>,
    /// Product types that are also a room ("bureau"), by label.
    type_rooms: HashMap<String, String>,
    /// The product types' labels, in file order.
    types: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    category: Vec<CategoryEntry>,
    #[serde(rename = "type")]
    types: Vec<TypeEntry>,
    color: Vec<AttributeEntry>,
    material: Vec<AttributeEntry>,
    style: Vec<AttributeEntry>,
    room: Vec<AttributeEntry>,
    price: PriceWords,
    band: Vec<BandEntry>,
    size: SizeWords,
    availability: AvailabilityWords,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoryEntry {
    slug: String,
    phrases: Vec<String>,
    #[serde(default)]
    keep: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TypeEntry {
    label: String,
    slug: String,
    phrases: Vec<String>,
    search: Option<String>,
    also_room: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AttributeEntry {
    values: Vec<String>,
    phrases: Vec<String>,
    #[serde(default = "yes")]
    filter: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PriceWords {
    max: Vec<String>,
    min: Vec<String>,
    max_after: Vec<String>,
    min_after: Vec<String>,
    between: Vec<String>,
    range_from: Vec<String>,
    range_to: Vec<String>,
    currency: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BandEntry {
    name: PriceBand,
    phrases: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SizeWords {
    small: Vec<String>,
    large: Vec<String>,
    counts: Vec<String>,
    diameter: Vec<String>,
    length_units: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AvailabilityWords {
    in_stock: Vec<String>,
}

impl Lexicon {
    /// The bundled lexicon with words learnt under review.
    pub fn with_learnt(learnt: &[LearntWord]) -> Result<Lexicon, String> {
        Lexicon::parse(INTENT, THESAURUS, learnt)
    }

    /// The bundled lexicon (shared, built once).
    pub fn bundled() -> Arc<Lexicon> {
        LEXICON.clone()
    }

    /// Compiles an intent lexicon file, a thesaurus file and learnt words. The intent lexicon's
    /// meaning of a phrase comes first, then the thesaurus's, then the learnt one.
    pub(crate) fn parse(
        intent: &str,
        thesaurus: &str,
        learnt: &[LearntWord],
    ) -> Result<Lexicon, String> {
        let file: File = toml::from_str(intent).map_err(|e| e.to_string())?;
        let type_rooms = file
            .types
            .iter()
            .filter_map(|t| Some((t.label.clone(), t.also_room.clone()?)))
            .collect();
        let mut types: Vec<String> = file.types.iter().map(|t| t.label.clone()).collect();
        types.dedup();
        let mut all: Vec<(String, Meaning, bool)> = entries(&file)
            .into_iter()
            .map(|(p, m)| (p, m, true))
            .collect();
        for entry in super::thesaurus::parse(thesaurus)? {
            let meaning = thesaurus_meaning(&file, &entry)?;
            for word in entry.words() {
                all.push((word.clone(), meaning.clone(), false));
            }
        }
        for l in learnt {
            let meaning = Meaning::Category {
                slug: l.category.clone(),
                keep: false,
            };
            all.push((l.word.clone(), meaning, false));
        }
        let phrases = merge_phrases(all)?;
        let mut by_first: HashMap<String, Vec<usize>> = HashMap::new();
        let mut words = HashSet::new();
        for (i, phrase) in phrases.iter().enumerate() {
            let first = &phrase.words[phrase.first];
            by_first.entry(first.norm.clone()).or_default().push(i);
            if first.stem != first.norm {
                by_first.entry(first.stem.clone()).or_default().push(i);
            }
            for w in &phrase.words {
                words.insert(w.norm.clone());
                words.insert(w.stem.clone());
            }
        }
        let mut typo_firsts: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, phrase) in phrases.iter().enumerate() {
            let first = &phrase.words[phrase.first].norm;
            if phrase.typos && first.chars().count() >= MIN_TYPO_CHARS {
                typo_firsts.entry(first.clone()).or_default().push(i);
            }
        }
        let mut typo_firsts: Vec<(String, Vec<usize>)> = typo_firsts.into_iter().collect();
        typo_firsts.sort();
        Ok(Lexicon {
            phrases,
            by_first,
            typo_firsts,
            words,
            type_rooms,
            types,
        })
    }

    /// Whether `word` (folded or stemmed) is a word of the lexicon.
    pub(crate) fn knows(&self, word: &str) -> bool {
        self.words.contains(word)
    }

    /// The product types' labels ("lampe de chevet", "canapé d'angle"...).
    pub fn type_labels(&self) -> &[String] {
        &self.types
    }

    /// The room a product type also names ("bureau").
    pub(crate) fn room_of_type(&self, label: &str) -> Option<String> {
        self.type_rooms.get(label).cloned()
    }

    /// The longest phrase starting at token `i` (fewest typos, then most words, on ties).
    /// `known`: whether the catalog has a word as written (such a word is never a typo).
    pub(crate) fn longest_at(
        &self,
        tokens: &[Token],
        i: usize,
        known: &dyn Fn(&str) -> bool,
    ) -> Option<Found> {
        let token = &tokens[i];
        if matches!(token.kind, Kind::Number(_) | Kind::Dims(..)) {
            return None;
        }
        let key = if token.is_word() {
            token.norm.clone()
        } else {
            sign_text(token)
        };
        let mut candidates: Vec<usize> = Vec::new();
        for k in [&key, &token.stem] {
            if let Some(list) = self.by_first.get(k.as_str()) {
                candidates.extend(list);
            }
        }
        let typo_ok = self.may_be_typo(token, known);
        if typo_ok {
            for (first, list) in &self.typo_firsts {
                if first.len().abs_diff(token.norm.len()) <= 2
                    && within_edits(&token.norm, first, budget(&token.norm, first))
                {
                    candidates.extend(list);
                }
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        candidates
            .into_iter()
            .filter_map(|p| self.match_phrase(tokens, i, p, typo_ok, known))
            .max_by_key(|f| {
                (
                    f.end - f.start,
                    std::cmp::Reverse(f.typos),
                    std::cmp::Reverse(f.skipped),
                )
            })
    }

    fn may_be_typo(&self, token: &Token, known: &dyn Fn(&str) -> bool) -> bool {
        token.is_word()
            && !token.stop
            && token.norm.chars().count() >= MIN_TYPO_CHARS
            && typo_budget(&token.norm) > 0
            && !self.words.contains(&token.norm)
            && !self.words.contains(&token.stem)
            && !known(&token.norm)
    }

    /// Matches phrase `p` with its first required word at token `i`.
    fn match_phrase(
        &self,
        tokens: &[Token],
        i: usize,
        p: usize,
        typo_ok_first: bool,
        known: &dyn Fn(&str) -> bool,
    ) -> Option<Found> {
        let phrase = &self.phrases[p];
        let typo_ok_first = typo_ok_first && phrase.typos;
        let (mut j, mut k, mut typos, mut skipped) = (phrase.first, i, 0, 0);
        while j < phrase.words.len() {
            let word = &phrase.words[j];
            if let Some(t) = tokens.get(k) {
                let typo_ok = if k == i {
                    typo_ok_first
                } else {
                    phrase.typos && self.may_be_typo(t, known)
                };
                match word_match(t, word, typo_ok) {
                    Some(cost) => {
                        typos += cost;
                        j += 1;
                        k += 1;
                        continue;
                    }
                    None if word.optional => {
                        j += 1;
                        skipped += 1;
                        continue;
                    }
                    // A stop word of the query inside a phrase ("lampe pour bureau").
                    None if k > i && t.stop && j > phrase.first => {
                        k += 1;
                        continue;
                    }
                    None => return None,
                }
            }
            if word.optional {
                j += 1;
                skipped += 1;
                continue;
            }
            return None;
        }
        Some(Found {
            phrase: p,
            start: i,
            end: k,
            typos,
            skipped,
        })
    }
}

/// Words shorter than this are never read as typos of a lexicon word ("vers" is not "vert").
const MIN_TYPO_CHARS: usize = 5;

fn budget(a: &str, b: &str) -> u8 {
    typo_budget(a).min(typo_budget(b))
}

fn sign_text(token: &Token) -> String {
    match token.kind {
        Kind::Sign(c) => c.to_string(),
        _ => token.norm.clone(),
    }
}

fn sign_or(token: &Token, text: &str) -> String {
    if token.is_word() {
        text.to_owned()
    } else {
        sign_text(token)
    }
}

/// 0: the same word; 1: a typo; `None`: another word.
fn word_match(token: &Token, word: &PhraseWord, typo_ok: bool) -> Option<usize> {
    let text = sign_text(token);
    if text == word.norm || (token.is_word() && token.stem == word.stem) {
        return Some(0);
    }
    (typo_ok
        && word.norm.chars().count() >= MIN_TYPO_CHARS
        && within_edits(&token.norm, &word.norm, budget(&token.norm, &word.norm)))
    .then_some(1)
}

/// Every phrase of the lexicon file with its meaning, in file order.
fn entries(file: &File) -> Vec<(String, Meaning)> {
    let mut entries: Vec<(String, Meaning)> = Vec::new();
    let mut add = |phrases: &[String], meaning: Meaning| {
        for p in phrases {
            entries.push((p.clone(), meaning.clone()));
        }
    };
    for c in &file.category {
        for p in &c.phrases {
            let keep = c.keep.contains(p);
            add(
                std::slice::from_ref(p),
                Meaning::Category {
                    slug: c.slug.clone(),
                    keep,
                },
            );
        }
    }
    for t in &file.types {
        add(
            &t.phrases,
            Meaning::Type {
                label: t.label.clone(),
                slug: t.slug.clone(),
                search: t.search.clone().unwrap_or_else(|| t.label.clone()),
            },
        );
    }
    for (facet, list) in [
        (Facet::Color, &file.color),
        (Facet::Material, &file.material),
        (Facet::Style, &file.style),
        (Facet::Room, &file.room),
    ] {
        for a in list {
            add(
                &a.phrases,
                Meaning::Attribute {
                    facet,
                    values: a.values.clone(),
                    // Rooms are loose: a product suits more rooms than it is tagged with.
                    filter: a.filter && facet != Facet::Room,
                },
            );
        }
    }
    let p = &file.price;
    for (list, meaning) in [
        (&p.max, Meaning::MaxBefore),
        (&p.min, Meaning::MinBefore),
        (&p.max_after, Meaning::MaxAfter),
        (&p.min_after, Meaning::MinAfter),
        (&p.between, Meaning::Between),
        (&p.range_from, Meaning::RangeFrom),
        (&p.range_to, Meaning::RangeTo),
        (&p.currency, Meaning::Currency),
        (&file.size.small, Meaning::Small),
        (&file.size.large, Meaning::Large),
        (&file.size.counts, Meaning::Count),
        (&file.size.diameter, Meaning::Diameter),
        (&file.size.length_units, Meaning::LengthUnit),
        (&file.availability.in_stock, Meaning::InStock),
    ] {
        add(list, meaning);
    }
    for b in &file.band {
        add(&b.phrases, Meaning::Band(b.name));
    }
    entries
}

/// The meaning of a thesaurus entry's words: the intent lexicon's product type of that label,
/// a category, or a home item the store does not sell.
fn thesaurus_meaning(file: &File, entry: &super::thesaurus::Entry) -> Result<Meaning, String> {
    use super::thesaurus::Answer;
    Ok(match entry.answer()? {
        Answer::Type(label) => {
            let t = file
                .types
                .iter()
                .find(|t| t.label == label)
                .ok_or_else(|| format!("thesaurus entry {:?}: no type {label:?}", entry.term))?;
            Meaning::Type {
                label: t.label.clone(),
                slug: t.slug.clone(),
                search: t.search.clone().unwrap_or_else(|| t.label.clone()),
            }
        }
        Answer::Category(slug) => Meaning::Category {
            slug: slug.to_owned(),
            keep: false,
        },
        Answer::NotSold(closest) => Meaning::NotSold {
            term: entry.term.clone(),
            closest: closest.to_vec(),
        },
    })
}

/// One phrase per distinct word sequence, with all its meanings; `typos`: whether the source
/// lets its words be read through a typo.
fn merge_phrases(entries: Vec<(String, Meaning, bool)>) -> Result<Vec<Phrase>, String> {
    let mut phrases: Vec<Phrase> = Vec::new();
    let mut index: HashMap<Vec<String>, usize> = HashMap::new();
    for (text, meaning, typos) in entries {
        let tokens = scan(&text);
        if tokens.is_empty()
            || tokens
                .iter()
                .any(|t| !t.is_word() && t.kind != Kind::Sign('€') && t.kind != Kind::Sign('ø'))
        {
            return Err(format!(
                "phrase {text:?}: only words and the signs € and ø are allowed"
            ));
        }
        let all_stop = tokens.iter().all(|t| t.stop);
        let words: Vec<PhraseWord> = tokens
            .iter()
            .map(|t| PhraseWord {
                norm: sign_or(t, &t.norm),
                stem: sign_or(t, &t.stem),
                optional: t.stop && !all_stop,
            })
            .collect();
        let key: Vec<String> = words.iter().map(|w| w.norm.clone()).collect();
        match index.get(&key) {
            Some(&i) => {
                if !phrases[i].meanings.contains(&meaning) {
                    phrases[i].meanings.push(meaning);
                }
                phrases[i].typos |= typos;
            }
            None => {
                let first = words.iter().position(|w| !w.optional).unwrap_or(0);
                index.insert(key, phrases.len());
                phrases.push(Phrase {
                    words,
                    first,
                    typos,
                    meanings: vec![meaning],
                });
            }
        }
    }
    Ok(phrases)
}
