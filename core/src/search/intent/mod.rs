//! Local French intent parsing: what a shopper's sentence asks for, without any network.
//!
//! "lampe moderne moins de 200 euros" → category `luminaires` (searching "lampe"), style
//! `moderne`, price at most 200, and no free text left. Input: the query; output: an [`Intent`],
//! the constraints found (each with the words that carried it) and the free text left.
//!
//! Two passes over the scanned tokens ([`scan`]): the lexicon's longest phrases, left to right
//! ([`lexicon`]), then a small grammar for numbers (prices, ranges, sizes). What the constraints
//! become (filters, boosts) is the engine's business, not the parser's.

mod lexicon;
mod scan;
mod thesaurus;

use serde::Serialize;

pub use crate::filter::Facet;
use lexicon::{Found, Meaning};
pub use lexicon::{LearntWord, Lexicon, PriceBand};
use scan::{Kind, Token};

/// A size hint.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum SizeHint {
    /// "petit", "compact".
    Small,
    /// "grand", "XXL".
    Large,
    /// "2 places", "3 portes", "6 personnes".
    Count {
        /// The number.
        n: u32,
        /// The unit as written.
        unit: String,
    },
    /// "160x200".
    Dimensions {
        /// First dimension.
        a: u32,
        /// Second dimension.
        b: u32,
    },
    /// "40 cm", "diamètre 40 cm".
    Length {
        /// Centimetres.
        cm: f64,
        /// A diameter.
        diameter: bool,
    },
}

/// What one constraint asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Ask {
    /// A category named as such ("luminaires", "déco"); `keep`: its words stay searched.
    Category {
        /// Category slug.
        slug: String,
        /// Whether the words stay in the searched text.
        keep: bool,
    },
    /// A product type: its category, and the words that pick it inside the category.
    ProductType {
        /// The type's name ("canapé convertible").
        label: String,
        /// Its category's slug.
        slug: String,
        /// Words to search for ("convertible"); empty: the category alone says it.
        search: String,
    },
    /// Highest price, inclusive.
    MaxPrice(f64),
    /// Lowest price, inclusive.
    MinPrice(f64),
    /// A relative price band.
    Band(PriceBand),
    /// Attribute values (any of them).
    Attribute {
        /// The facet.
        facet: Facet,
        /// Values as the catalog writes them.
        values: Vec<String>,
        /// Whether the word is unambiguous enough to filter on.
        filter: bool,
    },
    /// A size hint.
    Size(SizeHint),
    /// Only products in stock.
    InStock,
    /// A home item the store does not sell (the thesaurus knows it).
    NotSold {
        /// The thesaurus's headword.
        term: String,
        /// Category slugs to offer instead.
        closest: Vec<String>,
    },
}

impl Ask {
    /// Whether it says what kind of product is asked for: a category, a product type, or an
    /// item the store does not sell.
    pub fn names_a_kind(&self) -> bool {
        matches!(
            self,
            Ask::Category { .. } | Ask::ProductType { .. } | Ask::NotSold { .. }
        )
    }
}

/// A constraint and the words of the query that carried it.
#[derive(Debug, Clone, PartialEq)]
pub struct Constraint {
    /// What it asks for.
    pub ask: Ask,
    /// The words as typed.
    pub words: String,
    /// Whether a word was read through a typo.
    pub typo: bool,
    /// Byte offset of the words in the query.
    pub start: usize,
}

/// The outcome of parsing a query.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Intent {
    /// Constraints, in query order.
    pub constraints: Vec<Constraint>,
    /// The words that carried no constraint (stop words left out).
    pub free_text: String,
}

/// Parses a query with the bundled lexicon. `known`: whether the catalog holds a folded word as
/// written (such a word is never corrected to a lexicon word); `|_| false` when unknown.
pub fn parse(query: &str, known: &dyn Fn(&str) -> bool) -> Intent {
    parse_with(&lexicon::LEXICON, query, known)
}

/// Parses a query with `lexicon` (the bundled one with the words learnt under review).
pub fn parse_with(lexicon: &Lexicon, query: &str, known: &dyn Fn(&str) -> bool) -> Intent {
    let tokens = scan::scan(query);
    // Pass 1: the longest phrase at each position, left to right.
    let mut items: Vec<Item> = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        match lexicon.longest_at(&tokens, i, known) {
            Some(found) => {
                i = found.end;
                items.push(Item::Phrase(found));
            }
            None => {
                items.push(Item::Token(i));
                i += 1;
            }
        }
    }
    // Pass 2: numbers, then the phrases' own meanings.
    let mut parser = Grammar {
        lexicon,
        query,
        tokens: &tokens,
        items: &items,
        used: vec![false; items.len()],
        constraints: Vec::new(),
    };
    parser.numbers();
    parser.phrases();
    let Grammar {
        used,
        mut constraints,
        ..
    } = parser;
    constraints.sort_by_key(|c| c.start);
    resolve_rooms(lexicon, &mut constraints);
    let free_text = items
        .iter()
        .zip(&used)
        .filter(|(_, used)| !**used)
        .flat_map(|(item, _)| item.tokens())
        .map(|t| &tokens[t])
        .filter(|t| !t.stop && !matches!(t.kind, Kind::Sign(_)))
        .map(|t| &query[t.start..t.end])
        .collect::<Vec<_>>()
        .join(" ");
    Intent {
        constraints,
        free_text,
    }
}

/// A word that is a product type and a room ("bureau") is the room when another product type
/// or a category is named too ("lampe pour bureau").
fn resolve_rooms(lexicon: &Lexicon, constraints: &mut [Constraint]) {
    let named = constraints
        .iter()
        .filter(|c| matches!(c.ask, Ask::ProductType { .. } | Ask::Category { .. }))
        .count();
    if named < 2 {
        return;
    }
    for c in constraints.iter_mut() {
        if let Ask::ProductType { label, .. } = &c.ask
            && let Some(room) = lexicon.room_of_type(label)
        {
            c.ask = Ask::Attribute {
                facet: Facet::Room,
                values: vec![room],
                filter: false,
            };
        }
    }
}

/// One unit of pass 2: a phrase, or a token no phrase covers.
#[derive(Debug, Clone)]
enum Item {
    Phrase(Found),
    Token(usize),
}

impl Item {
    fn tokens(&self) -> std::ops::Range<usize> {
        match self {
            Item::Phrase(f) => f.start..f.end,
            Item::Token(t) => *t..*t + 1,
        }
    }
}

struct Grammar<'a> {
    lexicon: &'a Lexicon,
    query: &'a str,
    tokens: &'a [Token],
    items: &'a [Item],
    used: Vec<bool>,
    constraints: Vec<Constraint>,
}

impl Grammar<'_> {
    fn meanings(&self, p: usize) -> &[Meaning] {
        match self.items.get(p) {
            Some(Item::Phrase(f)) if !self.used[p] => &self.lexicon.phrases[f.phrase].meanings,
            _ => &[],
        }
    }

    fn means(&self, p: usize, m: &Meaning) -> bool {
        self.meanings(p).contains(m)
    }

    fn token(&self, p: usize) -> Option<&Token> {
        match self.items.get(p) {
            Some(Item::Token(t)) if !self.used[p] => Some(&self.tokens[*t]),
            _ => None,
        }
    }

    fn number(&self, p: usize) -> Option<f64> {
        match self.token(p)?.kind {
            Kind::Number(n) => Some(n),
            _ => None,
        }
    }

    fn sign(&self, p: usize, signs: &[char]) -> bool {
        self.token(p)
            .is_some_and(|t| matches!(t.kind, Kind::Sign(c) if signs.contains(&c)))
    }

    fn currency(&self, p: usize) -> bool {
        self.means(p, &Meaning::Currency) || self.sign(p, &['€'])
    }

    fn typo(&self, range: std::ops::RangeInclusive<usize>) -> bool {
        range
            .into_iter()
            .any(|p| matches!(self.items.get(p), Some(Item::Phrase(f)) if f.typos > 0))
    }

    /// Records a constraint carried by items `first..=last`.
    fn take(&mut self, first: usize, last: usize, ask: Ask) {
        let start = self.items[first].tokens().start;
        let end = self.items[last].tokens().end;
        let words = self.query[self.tokens[start].start..self.tokens[end - 1].end].to_owned();
        let typo = self.typo(first..=last);
        for used in &mut self.used[first..=last] {
            *used = true;
        }
        let start = self.tokens[start].start;
        self.constraints.push(Constraint {
            ask,
            words,
            typo,
            start,
        });
    }

    /// Prices, price ranges and sizes written with numbers.
    fn numbers(&mut self) {
        for p in 0..self.items.len() {
            if self.used[p] {
                continue;
            }
            if let Some(Kind::Dims(a, b)) = self.token(p).map(|t| t.kind) {
                let last = if self.means(p + 1, &Meaning::LengthUnit) {
                    p + 1
                } else {
                    p
                };
                self.take(p, last, Ask::Size(SizeHint::Dimensions { a, b }));
                continue;
            }
            let Some(n) = self.number(p) else { continue };
            if self.range(p, n) {
                continue;
            }
            let before = p.checked_sub(1);
            let prev = |m: &Meaning| before.is_some_and(|b| self.means(b, m));
            let prev_sign = |s: &[char]| before.is_some_and(|b| self.sign(b, s));
            // After the number: an optional currency, then an optional max/min word.
            let mut last = p;
            let priced = self.currency(p + 1);
            if priced {
                last = p + 1;
            }
            let max_after = self.means(last + 1, &Meaning::MaxAfter);
            let min_after = self.means(last + 1, &Meaning::MinAfter);
            if prev(&Meaning::MaxBefore) || prev_sign(&['<', '≤']) {
                let first = before.unwrap_or(p);
                self.take(first, last, Ask::MaxPrice(n));
            } else if prev(&Meaning::MinBefore) || prev_sign(&['>', '≥']) {
                let first = before.unwrap_or(p);
                self.take(first, last, Ask::MinPrice(n));
            } else if max_after {
                self.take(p, last + 1, Ask::MaxPrice(n));
            } else if min_after {
                self.take(p, last + 1, Ask::MinPrice(n));
            } else if priced {
                // A bare price is a budget: "canapé 500 €".
                self.take(p, last, Ask::MaxPrice(n));
            } else if prev(&Meaning::Diameter) || prev_sign(&['ø']) {
                let first = before.unwrap_or(p);
                let last = if self.means(p + 1, &Meaning::LengthUnit) {
                    p + 1
                } else {
                    p
                };
                let cm = self.centimetres(n, last);
                self.take(
                    first,
                    last,
                    Ask::Size(SizeHint::Length { cm, diameter: true }),
                );
            } else if self.means(p + 1, &Meaning::LengthUnit) {
                let cm = self.centimetres(n, p + 1);
                self.take(
                    p,
                    p + 1,
                    Ask::Size(SizeHint::Length {
                        cm,
                        diameter: false,
                    }),
                );
            } else if self.means(p + 1, &Meaning::Count) {
                let unit = self.text(p + 1);
                self.take(p, p + 1, Ask::Size(SizeHint::Count { n: n as u32, unit }));
            }
        }
    }

    /// `n` in the unit written at item `unit` ("m" is metres), in centimetres.
    fn centimetres(&self, n: f64, unit: usize) -> f64 {
        let metres = self.text(unit).to_lowercase().starts_with('m');
        if metres { n * 100.0 } else { n }
    }

    fn text(&self, p: usize) -> String {
        let range = self.items[p].tokens();
        self.query[self.tokens[range.start].start..self.tokens[range.end - 1].end].to_owned()
    }

    /// "entre 50 et 100 €", "de 50 à 100 €", "50-100 €", "50 à 100 euros".
    fn range(&mut self, p: usize, low: f64) -> bool {
        let between = p
            .checked_sub(1)
            .filter(|&b| self.means(b, &Meaning::Between));
        let from = p
            .checked_sub(1)
            .filter(|&b| self.means(b, &Meaning::RangeFrom));
        // Optional currency after the low bound, then "et", "à" or "-", then the high bound.
        let mut q = p + 1;
        let low_priced = self.currency(q);
        if low_priced {
            q += 1;
        }
        if !(self.means(q, &Meaning::RangeTo) || self.sign(q, &['-'])) {
            return false;
        }
        let Some(high) = self.number(q + 1) else {
            return false;
        };
        let high_priced = self.currency(q + 2);
        let last = if high_priced { q + 2 } else { q + 1 };
        // Without "entre", only a currency says the numbers are prices ("de 2 à 3 places").
        if between.is_none() && !(low_priced || high_priced) {
            return false;
        }
        let first = between.or(from).unwrap_or(p);
        let (low, high) = if low <= high {
            (low, high)
        } else {
            (high, low)
        };
        self.take(first, last, Ask::MinPrice(low));
        // One phrase, two constraints: the second shares the words.
        if let Some(min) = self.constraints.last() {
            let max = Constraint {
                ask: Ask::MaxPrice(high),
                ..min.clone()
            };
            self.constraints.push(max);
        }
        true
    }

    /// The meanings of the phrases the number pass left.
    fn phrases(&mut self) {
        for p in 0..self.items.len() {
            let Some(ask) = self.meanings(p).iter().find_map(ask_of) else {
                continue;
            };
            self.take(p, p, ask);
        }
    }
}

/// The constraint a phrase carries on its own (number words carry none alone).
fn ask_of(meaning: &Meaning) -> Option<Ask> {
    Some(match meaning {
        Meaning::Category { slug, keep } => Ask::Category {
            slug: slug.clone(),
            keep: *keep,
        },
        Meaning::Type {
            label,
            slug,
            search,
        } => Ask::ProductType {
            label: label.clone(),
            slug: slug.clone(),
            search: search.clone(),
        },
        Meaning::Attribute {
            facet,
            values,
            filter,
        } => Ask::Attribute {
            facet: *facet,
            values: values.clone(),
            filter: *filter,
        },
        Meaning::Band(band) => Ask::Band(*band),
        Meaning::Small => Ask::Size(SizeHint::Small),
        Meaning::Large => Ask::Size(SizeHint::Large),
        Meaning::InStock => Ask::InStock,
        Meaning::NotSold { term, closest } => Ask::NotSold {
            term: term.clone(),
            closest: closest.clone(),
        },
        _ => return None,
    })
}

#[cfg(test)]
mod tests;
