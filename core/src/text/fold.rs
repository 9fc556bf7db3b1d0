//! Accent and ligature folding: `é` → `e`, `œ` → `oe`, `æ` → `ae`, `ß` → `ss`, `ç` → `c`.
//!
//! Runs after the stop-word filter (so that `maïs` is not mistaken for the stop word `mais`)
//! and before stemming (so that `lumière` and `lumiere` stem alike). Characters outside the
//! Latin alphabets are kept as they are.

/// Folds accents and ligatures in place. Never drops a token.
pub fn fold(text: &mut String) -> bool {
    if text.is_ascii() {
        return true;
    }
    let mut folded = String::with_capacity(text.len());
    for c in text.chars() {
        match fold_char(c) {
            Folded::One(f) => folded.push(f),
            Folded::Two(a, b) => {
                folded.push(a);
                folded.push(b);
            }
        }
    }
    *text = folded;
    true
}

enum Folded {
    One(char),
    Two(char, char),
}

fn fold_char(c: char) -> Folded {
    use Folded::{One, Two};
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => One('a'),
        'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' | 'Ā' | 'Ă' | 'Ą' => One('A'),
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => One('c'),
        'Ç' | 'Ć' | 'Ĉ' | 'Ċ' | 'Č' => One('C'),
        'ď' | 'đ' => One('d'),
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => One('e'),
        'È' | 'É' | 'Ê' | 'Ë' | 'Ē' | 'Ĕ' | 'Ė' | 'Ę' | 'Ě' => One('E'),
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => One('g'),
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => One('i'),
        'Ì' | 'Í' | 'Î' | 'Ï' | 'Ĩ' | 'Ī' | 'Ĭ' | 'Į' | 'İ' => One('I'),
        'ł' | 'ĺ' | 'ľ' => One('l'),
        'ñ' | 'ń' | 'ň' => One('n'),
        'Ñ' | 'Ń' | 'Ň' => One('N'),
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => One('o'),
        'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' | 'Ō' | 'Ő' => One('O'),
        'ŕ' | 'ř' => One('r'),
        'ś' | 'ş' | 'š' => One('s'),
        'Ś' | 'Ş' | 'Š' => One('S'),
        'ţ' | 'ť' => One('t'),
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => One('u'),
        'Ù' | 'Ú' | 'Û' | 'Ü' | 'Ũ' | 'Ū' | 'Ŭ' | 'Ů' | 'Ű' | 'Ų' => One('U'),
        'ý' | 'ÿ' => One('y'),
        'Ý' | 'Ÿ' => One('Y'),
        'ź' | 'ż' | 'ž' => One('z'),
        'Ź' | 'Ż' | 'Ž' => One('Z'),
        'œ' => Two('o', 'e'),
        'Œ' => Two('O', 'E'),
        'æ' => Two('a', 'e'),
        'Æ' => Two('A', 'E'),
        'ß' => Two('s', 's'),
        other => One(other),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::assert_map;
    use super::*;

    #[test]
    fn golden() {
        assert_map(
            fold,
            &[
                ("canapé", Some("canape")),
                ("lumière", Some("lumiere")),
                ("œuvre", Some("oeuvre")),
                ("cœur", Some("coeur")),
                ("ex-æquo", Some("ex-aequo")),
                ("maïs", Some("mais")),
                ("façade", Some("facade")),
                ("bohème", Some("boheme")),
                ("île", Some("ile")),
                ("où", Some("ou")),
                ("straße", Some("strasse")),
                ("лампа", Some("лампа")),
            ],
        );
    }
}
