//! Word tokenizer: splits on anything that is not a letter or a digit, but keeps an apostrophe
//! that sits between two word characters, so that `l'applique` reaches the elision filter whole.
//!
//! tantivy's `SimpleTokenizer` splits on `'`, which loses the information that `l` was an elided
//! article. Hyphens split (`clic-clac` → `clic`, `clac`), digits stay inside words (`160x200`).

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// Characters that act as an apostrophe inside a word (straight, typographic, modifier letter).
pub(crate) fn is_apostrophe(c: char) -> bool {
    matches!(
        c,
        '\'' | '\u{2019}' | '\u{2018}' | '\u{02BC}' | '`' | '\u{00B4}'
    )
}

/// Splits text into words; see the module documentation.
#[derive(Clone, Copy, Default)]
pub struct WordTokenizer;

/// The token stream of [`WordTokenizer`].
pub struct WordTokenStream<'a> {
    text: &'a str,
    cursor: usize,
    token: Token,
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = WordTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordTokenStream<'a> {
        WordTokenStream::new(text)
    }
}

impl WordTokenStream<'_> {
    /// A stream over `text` (what [`WordTokenizer`] returns, without borrowing one).
    pub(crate) fn new(text: &str) -> WordTokenStream<'_> {
        WordTokenStream {
            text,
            cursor: 0,
            token: Token {
                position: usize::MAX,
                ..Token::default()
            },
        }
    }

    /// Byte range of the next word at or after `self.cursor`, if any.
    fn next_word(&mut self) -> Option<(usize, usize)> {
        let rest = &self.text[self.cursor..];
        let mut start = None;
        let mut end = 0;
        let mut chars = rest.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            let in_word = c.is_alphanumeric()
                || (start.is_some()
                    && is_apostrophe(c)
                    && chars.peek().is_some_and(|&(_, n)| n.is_alphanumeric()));
            match (in_word, start) {
                (true, None) => {
                    start = Some(i);
                    end = i + c.len_utf8();
                }
                (true, Some(_)) => end = i + c.len_utf8(),
                (false, Some(_)) => break,
                (false, None) => {}
            }
        }
        let from = self.cursor + start?;
        let to = self.cursor + end;
        self.cursor = to;
        Some((from, to))
    }
}

impl TokenStream for WordTokenStream<'_> {
    fn advance(&mut self) -> bool {
        let Some((from, to)) = self.next_word() else {
            return false;
        };
        self.token.text.clear();
        self.token.text.push_str(&self.text[from..to]);
        self.token.offset_from = from;
        self.token.offset_to = to;
        self.token.position = self.token.position.wrapping_add(1);
        true
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::tokens_of;
    use super::*;

    #[test]
    fn golden() {
        type Golden<'a> = &'a [(&'a str, usize, usize)];
        let cases: &[(&str, Golden)] = &[
            (
                "Lampe de chevet",
                &[("Lampe", 0, 5), ("de", 6, 8), ("chevet", 9, 15)],
            ),
            ("l'applique", &[("l'applique", 0, 10)]),
            (
                "l\u{2019}abat-jour",
                &[("l\u{2019}abat", 0, 8), ("jour", 9, 13)],
            ),
            (
                "clic-clac 160x200",
                &[("clic", 0, 4), ("clac", 5, 9), ("160x200", 10, 17)],
            ),
            ("  'cité' ", &[("cité", 3, 8)]),
            (
                "Canapé, 2 places!",
                &[("Canapé", 0, 7), ("2", 9, 10), ("places", 11, 17)],
            ),
            ("", &[]),
        ];
        for (input, expected) in cases {
            let want: Vec<(String, usize, usize)> = expected
                .iter()
                .map(|(t, a, b)| ((*t).to_owned(), *a, *b))
                .collect();
            assert_eq!(tokens_of(WordTokenizer, input), want, "input {input:?}");
        }
    }
}
