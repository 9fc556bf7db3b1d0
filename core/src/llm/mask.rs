//! Personal data masked before any call (the storefront's `maskSensitiveData`): e-mail
//! addresses, phone numbers and street addresses become placeholders. Product sizes ("160x200",
//! "3 places") are left alone.

use std::sync::LazyLock;

use regex::Regex;

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)[a-z0-9._%+\-]+@[a-z0-9.\-]+\.[a-z]{2,}").expect("valid regex")
});
/// French numbers (0X XX XX XX XX, +33 X XX XX XX XX, with spaces, dots or dashes) and other
/// international numbers of 9 digits or more.
static PHONE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:\+|00)\d{1,3}[\s.\-]?\(?\d\)?(?:[\s.\-]?\d{2,4}){3,5}|\b0\d(?:[\s.\-]?\d{2}){4}\b",
    )
    .expect("valid regex")
});
/// A number, then a street type, then a name up to a comma, then an optional postcode and city:
/// "12 rue de la Paix, 75002 Paris", "3 bis, avenue Foch". Masking too much is the safe side.
static ADDRESS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b\d{1,4}\s*(?:bis|ter)?\s*,?\s+(?:rue|avenue|av\.|boulevard|bd|chemin|allée|allee|impasse|quai|route|place|cours|square)\b[^\d,;\n]{2,60}(?:,?\s*\d{5}\s+\p{L}[\p{L}\-']*)?",
    )
    .expect("valid regex")
});

/// The text with personal data replaced by `[email]`, `[téléphone]` and `[adresse]`.
pub fn mask_sensitive(text: &str) -> String {
    let text = EMAIL.replace_all(text, "[email]");
    let text = ADDRESS.replace_all(&text, "[adresse]");
    PHONE.replace_all(&text, "[téléphone]").into_owned()
}

/// At most `max` characters of `text`, with `…` when cut.
pub fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_owned(),
        Some((cut, _)) => format!("{}…", &text[..cut]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_data_is_masked() {
        let cases = [
            ("lampe pour marie.dupont@gmail.com", "lampe pour [email]"),
            (
                "rappelez-moi au 06 12 34 56 78",
                "rappelez-moi au [téléphone]",
            ),
            ("ou au +33 6 12 34 56 78 svp", "ou au [téléphone] svp"),
            ("tel 0612345678", "tel [téléphone]"),
            (
                "livrer au 12 rue de la Paix, 75002 Paris un canapé",
                "livrer au [adresse] un canapé",
            ),
            ("3 bis avenue Foch", "[adresse]"),
        ];
        for (input, want) in cases {
            assert_eq!(mask_sensitive(input), want, "{input}");
        }
    }

    #[test]
    fn product_words_are_left_alone() {
        for query in [
            "canapé 3 places en velours",
            "lit 160x200",
            "table 6 personnes 180 cm",
            "lampe moins de 200 euros",
            "tapis 200x290 place du salon",
        ] {
            assert_eq!(mask_sensitive(query), query);
        }
        assert_eq!(truncate("abcdef", 3), "abc…");
        assert_eq!(truncate("abc", 3), "abc");
    }
}
