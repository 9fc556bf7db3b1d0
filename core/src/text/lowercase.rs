//! Lower-casing, Unicode-aware, with an ASCII fast path.

/// Lower-cases the token in place. Never drops a token.
pub fn lowercase(text: &mut String) -> bool {
    if text.is_ascii() {
        text.make_ascii_lowercase();
    } else if text.chars().any(char::is_uppercase) {
        *text = text.to_lowercase();
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
            lowercase,
            &[
                ("Lampe", Some("lampe")),
                ("CANAPÉ", Some("canapé")),
                ("ŒUVRE", Some("œuvre")),
                ("déjà", Some("déjà")),
                ("160X200", Some("160x200")),
            ],
        );
    }
}
