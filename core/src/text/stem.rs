//! Light French stemming: plural and feminine forms are reduced to one key, nothing more.
//!
//! The Snowball stemmer merges unrelated words (it maps "marine" and "marin", "portable" and
//! "porte" together); a shop's search wants only number and gender folded: `lampes` → `lamp`,
//! `blanche`, `blancs` → `blanc`, `lumineuse` → `lumineux`, `bijoux` → `bijou`. Runs on folded
//! text (no accents), so the three word lists in `data/lang/` are folded when loaded.
//!
//! Invariant: the output of a masculine singular and of each of its inflected forms is the same
//! key; the key need not be a real word ("lampe" and "lampes" both become "lamp").

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use super::fold::fold;

fn folded(word: &str) -> String {
    let mut word = word.to_owned();
    fold(&mut word);
    word
}

fn pairs(data: &'static str) -> HashMap<String, String> {
    super::data_lines(data)
        .filter_map(|line| line.split_once('\t'))
        .map(|(from, to)| (folded(from.trim()), folded(to.trim())))
        .collect()
}

static PLURALS: LazyLock<HashMap<String, String>> =
    LazyLock::new(|| pairs(include_str!("../../../data/lang/plurals-fr.tsv")));
static FEMININES: LazyLock<HashMap<String, String>> =
    LazyLock::new(|| pairs(include_str!("../../../data/lang/feminines-fr.tsv")));
static INVARIANTS: LazyLock<HashSet<String>> = LazyLock::new(|| {
    super::data_lines(include_str!("../../../data/lang/invariants-fr.txt"))
        .map(folded)
        .collect()
});

/// First letters of the words the lists map to a key of another first letter (`yeux` → `oeil`).
static INITIAL_CHANGES: LazyLock<Vec<char>> = LazyLock::new(|| {
    let mut initials: Vec<char> = PLURALS
        .iter()
        .chain(FEMININES.iter())
        .filter(|(from, to)| from.chars().next() != to.chars().next())
        .filter_map(|(from, _)| from.chars().next())
        .collect();
    initials.sort_unstable();
    initials.dedup();
    initials
});

/// Whether stemming may change the first letter of a (folded) word starting with `initial`.
pub fn stem_changes_initial(initial: char) -> bool {
    INITIAL_CHANGES.contains(&initial)
}

/// Feminine endings and their masculine replacement, longest first.
const FEMININE_ENDINGS: [(&str, &str); 11] = [
    ("eille", "eil"),
    ("euse", "eux"),
    ("enne", "en"),
    ("elle", "el"),
    ("onne", "on"),
    ("ette", "et"),
    ("ere", "er"),
    ("ive", "if"),
    // doré and dorée share one key: the mute-e rule below turns "dore" into "dor".
    ("ee", ""),
    ("ie", "i"),
    ("ue", "u"),
];

/// Stems the (folded) token in place. Never drops a token.
pub fn stem(text: &mut String) -> bool {
    if text.chars().count() <= 3 || text.bytes().any(|b| b.is_ascii_digit()) {
        return true;
    }
    if let Some(singular) = singular(text) {
        *text = singular;
    }
    if let Some(masculine) = masculine(text) {
        *text = masculine;
    }
    true
}

/// The singular of a plural word, or `None` when the word is already singular.
fn singular(word: &str) -> Option<String> {
    if let Some(singular) = PLURALS.get(word) {
        return Some(singular.clone());
    }
    if INVARIANTS.contains(word) {
        return None;
    }
    if let Some(stem) = word.strip_suffix("eaux") {
        return Some(format!("{stem}eau"));
    }
    if let Some(stem) = word.strip_suffix("aux") {
        return Some(format!("{stem}al"));
    }
    // -ss and -is (gris, tapis, bois, anglais) are singular endings.
    let keeps_s = word.ends_with("ss") || word.ends_with("is");
    if word.ends_with('s') && !keeps_s {
        return Some(word[..word.len() - 1].to_owned());
    }
    None
}

/// The masculine of a feminine word, or `None`.
fn masculine(word: &str) -> Option<String> {
    if let Some(masculine) = FEMININES.get(word) {
        return Some(masculine.clone());
    }
    for (ending, replacement) in FEMININE_ENDINGS {
        if let Some(stem) = word.strip_suffix(ending)
            && stem.len() >= 2
        {
            return Some(format!("{stem}{replacement}"));
        }
    }
    // A final mute `e` after a consonant: verte → vert, grise → gris, lampe → lamp.
    let stem = word.strip_suffix('e')?;
    let before = stem.chars().last()?;
    (stem.len() >= 3 && !"aeiouy".contains(before)).then(|| stem.to_owned())
}

#[cfg(test)]
mod tests {
    use super::super::tests::assert_map;
    use super::*;

    #[test]
    fn golden() {
        assert_map(
            stem,
            &[
                ("lampes", Some("lamp")),
                ("lampe", Some("lamp")),
                ("blanche", Some("blanc")),
                ("blanches", Some("blanc")),
                ("blancs", Some("blanc")),
                ("blanc", Some("blanc")),
                ("lumineuse", Some("lumineux")),
                ("lumineux", Some("lumineux")),
                ("bijoux", Some("bijou")),
                ("jeux", Some("jeu")),
                ("travaux", Some("travail")),
                ("chevaux", Some("cheval")),
                ("yeux", Some("oeil")),
                ("rideaux", Some("rideau")),
                ("rideau", Some("rideau")),
                ("muraux", Some("mural")),
                ("murales", Some("mural")),
                ("tapis", Some("tapis")),
                ("gris", Some("gris")),
                ("grises", Some("gris")),
                ("bois", Some("bois")),
                ("velours", Some("velours")),
                ("bleus", Some("bleu")),
                ("bleue", Some("bleu")),
                ("tissus", Some("tissu")),
                ("sofas", Some("sofa")),
                ("dorees", Some("dor")),
                ("dore", Some("dor")),
                ("decorative", Some("decoratif")),
                ("decoratifs", Some("decoratif")),
                ("naturelles", Some("naturel")),
                ("violette", Some("violet")),
                ("legere", Some("leger")),
                ("vertes", Some("vert")),
                ("canapes", Some("canap")),
                ("canape", Some("canap")),
                ("160x200", Some("160x200")),
                ("lit", Some("lit")),
                ("lits", Some("lit")),
                ("chaises", Some("chais")),
                ("anglaise", Some("anglais")),
            ],
        );
    }

    #[test]
    fn word_lists_parse() {
        assert!(PLURALS.len() > 20 && FEMININES.len() > 20 && INVARIANTS.len() > 50);
        assert_eq!(PLURALS.get("emaux").map(String::as_str), Some("email"));
        assert!(INVARIANTS.contains("rebus"));
    }
}
