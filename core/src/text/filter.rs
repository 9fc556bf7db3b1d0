//! One adapter that turns a plain `fn(&mut String) -> bool` into a tantivy [`TokenFilter`].
//!
//! Every French filter in this module is a pure function over one token's text: it rewrites the
//! text in place and returns `false` when the token must be dropped (stop words). Keeping the
//! filters as plain functions lets the query planner run exactly the same steps on a query word
//! as the index runs on a document, without a second implementation. Offsets and positions are
//! never touched: a highlight always points at what the user wrote.

use tantivy::tokenizer::{Token, TokenFilter, TokenStream, Tokenizer};

/// A token filter defined by a function: rewrite the text, return `false` to drop the token.
#[derive(Clone, Copy)]
pub struct MapFilter(pub fn(&mut String) -> bool);

impl TokenFilter for MapFilter {
    type Tokenizer<T: Tokenizer> = MapTokenizer<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> MapTokenizer<T> {
        MapTokenizer {
            inner: tokenizer,
            map: self.0,
        }
    }
}

/// The tokenizer produced by [`MapFilter`].
#[derive(Clone)]
pub struct MapTokenizer<T> {
    inner: T,
    map: fn(&mut String) -> bool,
}

impl<T: Tokenizer> Tokenizer for MapTokenizer<T> {
    type TokenStream<'a> = MapTokenStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        MapTokenStream {
            tail: self.inner.token_stream(text),
            map: self.map,
        }
    }
}

/// The token stream produced by [`MapFilter`].
pub struct MapTokenStream<S> {
    tail: S,
    map: fn(&mut String) -> bool,
}

impl<S: TokenStream> TokenStream for MapTokenStream<S> {
    fn advance(&mut self) -> bool {
        while self.tail.advance() {
            if (self.map)(&mut self.tail.token_mut().text) {
                return true;
            }
        }
        false
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}
