//! Apostrophe normalisation: every apostrophe-like character becomes `'`, so the elision filter
//! and the dictionaries only know one form (`l’applique`, `lʼapplique` → `l'applique`).

use super::tokenizer::is_apostrophe;

/// Rewrites typographic apostrophes to `'`. Never drops a token.
pub fn normalize_apostrophes(text: &mut String) -> bool {
    if text.chars().any(|c| c != '\'' && is_apostrophe(c)) {
        *text = text
            .chars()
            .map(|c| if is_apostrophe(c) { '\'' } else { c })
            .collect();
    }
    true
}

#[cfg(test)]
mod tests {
    use super::super::tests::assert_map;
    use super::*;

    #[test]
    fn golden() {
        assert_map(
            normalize_apostrophes,
            &[
                ("l\u{2019}applique", Some("l'applique")),
                ("l\u{02BC}applique", Some("l'applique")),
                ("d'or", Some("d'or")),
                ("lampe", Some("lampe")),
            ],
        );
    }
}
