//! Elision: removes an elided article, pronoun or conjunction glued to the word by an apostrophe
//! (`l'applique` → `applique`, `jusqu'au` → `au`). Runs after lower-casing and apostrophe
//! normalisation. A word that merely contains an apostrophe (`aujourd'hui`) is left alone.

/// The elided forms, longest first so `jusqu'` wins over `qu'`.
const ELIDED: [&str; 13] = [
    "jusqu'", "lorsqu'", "puisqu'", "quoiqu'", "qu'", "l'", "d'", "j'", "n'", "s'", "t'", "c'",
    "m'",
];

/// Strips one elided prefix. Never drops a token.
pub fn strip_elision(text: &mut String) -> bool {
    if let Some(prefix) = ELIDED
        .iter()
        .find(|p| text.len() > p.len() && text.starts_with(*p))
    {
        text.drain(..prefix.len());
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
            strip_elision,
            &[
                ("l'applique", Some("applique")),
                ("d'extérieur", Some("extérieur")),
                ("qu'il", Some("il")),
                ("jusqu'au", Some("au")),
                ("lorsqu'on", Some("on")),
                ("puisqu'elle", Some("elle")),
                ("quoiqu'il", Some("il")),
                ("j'aime", Some("aime")),
                ("n'est", Some("est")),
                ("s'adapte", Some("adapte")),
                ("t'offre", Some("offre")),
                ("c'est", Some("est")),
                ("m'a", Some("a")),
                ("aujourd'hui", Some("aujourd'hui")),
                ("l'", Some("l'")),
                ("lampe", Some("lampe")),
            ],
        );
    }
}
