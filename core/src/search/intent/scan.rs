//! The intent parser's tokenizer. Unlike the index's tokenizer it keeps what a price or a size is
//! written with: numbers (`19,99`), dimensions (`160x200`), and the signs `€ < > ≤ ≥ ø -`.
//! Letters glued to a number are split off (`200e`, `40cm`, `2places`). An apostrophe splits a
//! word and marks the part before it as elided (`jusqu'à` → `jusqu`, `à`), so that lexicon
//! phrases and queries split alike whatever the apostrophe.

use crate::text;

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Kind {
    /// Letters (digits allowed after the first letter: `e27`).
    Word,
    /// A number; a decimal comma or point is read as a decimal separator.
    Number(f64),
    /// `160x200`.
    Dims(u32, u32),
    /// One of `€ < > ≤ ≥ ø -`.
    Sign(char),
}

/// One token of a query.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub(crate) kind: Kind,
    /// Byte range in the query.
    pub(crate) start: usize,
    pub(crate) end: usize,
    /// Lower-cased and folded (words only; empty otherwise).
    pub(crate) norm: String,
    /// Plural and feminine forms folded.
    pub(crate) stem: String,
    /// A stop word, a single letter or an elided form: skippable inside a phrase and never
    /// part of the free text.
    pub(crate) stop: bool,
}

impl Token {
    pub(crate) fn is_word(&self) -> bool {
        self.kind == Kind::Word
    }
}

fn is_sign(c: char) -> bool {
    matches!(c, '€' | '<' | '>' | '≤' | '≥' | 'ø' | 'Ø' | '-' | '–')
}

/// Splits a query into tokens.
pub(crate) fn scan(query: &str) -> Vec<Token> {
    let chars: Vec<(usize, char)> = query.char_indices().collect();
    let at = |i: usize| chars.get(i).map(|&(_, c)| c);
    let offset = |i: usize| chars.get(i).map_or(query.len(), |&(o, _)| o);
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i].1;
        if c.is_ascii_digit() {
            let start = i;
            while at(i).is_some_and(|c| c.is_ascii_digit()) {
                i += 1;
            }
            let mut end = i;
            // Decimal part: one or two digits after a comma or a point.
            if matches!(at(i), Some(',' | '.')) && at(i + 1).is_some_and(|c| c.is_ascii_digit()) {
                let mut j = i + 1;
                while at(j).is_some_and(|c| c.is_ascii_digit()) {
                    j += 1;
                }
                if j - i - 1 <= 2 {
                    i = j;
                    end = j;
                }
            }
            let number = &query[offset(start)..offset(end)];
            // Dimensions: 160x200, 160 x 200, 160×200.
            let mut j = i;
            while at(j) == Some(' ') {
                j += 1;
            }
            if matches!(at(j), Some('x' | 'X' | '×')) {
                let mut k = j + 1;
                while at(k) == Some(' ') {
                    k += 1;
                }
                let second = k;
                while at(k).is_some_and(|c| c.is_ascii_digit()) {
                    k += 1;
                }
                if k > second && !at(k).is_some_and(char::is_alphabetic) {
                    let a = number.parse::<f64>().unwrap_or(0.0) as u32;
                    let b = query[offset(second)..offset(k)].parse().unwrap_or(0);
                    tokens.push(Token {
                        kind: Kind::Dims(a, b),
                        start: offset(start),
                        end: offset(k),
                        norm: format!("{a}x{b}"),
                        stem: format!("{a}x{b}"),
                        stop: false,
                    });
                    i = k;
                    continue;
                }
            }
            let value = number.replace(',', ".").parse().unwrap_or(0.0);
            tokens.push(Token {
                kind: Kind::Number(value),
                start: offset(start),
                end: offset(end),
                norm: number.to_owned(),
                stem: number.to_owned(),
                stop: false,
            });
            continue;
        }
        if c.is_alphabetic() && !is_sign(c) {
            let start = i;
            while at(i).is_some_and(|c| c.is_alphanumeric() && !is_sign(c)) {
                i += 1;
            }
            let elided = at(i).is_some_and(text::is_apostrophe)
                && at(i + 1).is_some_and(char::is_alphanumeric);
            tokens.push(word(query, offset(start), offset(i), elided));
            continue;
        }
        // A hyphen is a sign between numbers only ("15-30 €"); between words it separates.
        let after_number = tokens
            .last()
            .is_some_and(|t: &Token| matches!(t.kind, Kind::Number(_)));
        if is_sign(c) && (after_number || !matches!(c, '-' | '–')) {
            let sign = match c {
                'Ø' => 'ø',
                '–' => '-',
                c => c,
            };
            tokens.push(Token {
                kind: Kind::Sign(sign),
                start: offset(i),
                end: offset(i + 1),
                norm: String::new(),
                stem: String::new(),
                stop: false,
            });
        }
        i += 1;
    }
    tokens
}

fn word(query: &str, start: usize, end: usize, elided: bool) -> Token {
    let mut norm = query[start..end].to_owned();
    text::lowercase(&mut norm);
    let stop = elided || norm.chars().count() == 1 || text::is_stop_word(&norm);
    text::fold(&mut norm);
    let mut stem = norm.clone();
    text::stem(&mut stem);
    Token {
        kind: Kind::Word,
        start,
        end,
        norm,
        stem,
        stop,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(query: &str) -> Vec<(Kind, String)> {
        scan(query)
            .into_iter()
            .map(|t| (t.kind, query[t.start..t.end].to_owned()))
            .collect()
    }

    #[test]
    fn numbers_signs_and_glued_units() {
        assert_eq!(
            kinds("< 200€ 19,99e 40cm"),
            vec![
                (Kind::Sign('<'), "<".into()),
                (Kind::Number(200.0), "200".into()),
                (Kind::Sign('€'), "€".into()),
                (Kind::Number(19.99), "19,99".into()),
                (Kind::Word, "e".into()),
                (Kind::Number(40.0), "40".into()),
                (Kind::Word, "cm".into()),
            ]
        );
        assert_eq!(
            kinds("lit 160x200, tapis 160 x 230"),
            vec![
                (Kind::Word, "lit".into()),
                (Kind::Dims(160, 200), "160x200".into()),
                (Kind::Word, "tapis".into()),
                (Kind::Dims(160, 230), "160 x 230".into()),
            ]
        );
        assert_eq!(
            kinds("50-100 €"),
            vec![
                (Kind::Number(50.0), "50".into()),
                (Kind::Sign('-'), "-".into()),
                (Kind::Number(100.0), "100".into()),
                (Kind::Sign('€'), "€".into()),
            ]
        );
    }

    #[test]
    fn words_are_folded_and_elisions_split() {
        let tokens = scan("Jusqu’à l'Applique BLANCHES");
        let norms: Vec<(&str, bool)> = tokens.iter().map(|t| (t.norm.as_str(), t.stop)).collect();
        assert_eq!(
            norms,
            [
                ("jusqu", true),
                ("a", true),
                ("l", true),
                ("applique", false),
                ("blanches", false)
            ]
        );
        assert_eq!(tokens[4].stem, "blanc");
    }
}
