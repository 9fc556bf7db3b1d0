//! HTML to plain text for indexing. Descriptions may hold HTML; the replica keeps it as
//! stored, the index and the snippets use this text. Tags are removed (block tags become a
//! space), `script` and `style` content is dropped, and common entities are decoded.

/// Strips tags and decodes entities; whitespace runs collapse to one space.
pub fn strip_html(html: &str) -> String {
    if !html.contains(['<', '&']) {
        return collapse_whitespace(html);
    }
    let mut text = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find(['<', '&']) {
        text.push_str(&rest[..i]);
        rest = &rest[i..];
        if rest.starts_with('<') {
            rest = skip_tag(rest, &mut text);
        } else {
            rest = decode_entity(rest, &mut text);
        }
    }
    text.push_str(rest);
    collapse_whitespace(&text)
}

/// Skips one tag (and the content of script/style); returns the rest.
fn skip_tag<'a>(rest: &'a str, text: &mut String) -> &'a str {
    let Some(end) = rest.find('>') else {
        // A lone `<` is text ("prix < 200 €").
        text.push('<');
        return &rest[1..];
    };
    let name: String = rest[1..end]
        .trim_start_matches('/')
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    if name.is_empty() && !rest[1..].starts_with(['/', '!']) {
        text.push('<');
        return &rest[1..];
    }
    text.push(' ');
    let after = &rest[end + 1..];
    if (name == "script" || name == "style") && !rest[1..].starts_with('/') {
        let close = format!("</{name}");
        return match after.to_ascii_lowercase().find(&close) {
            Some(i) => after[i..].find('>').map_or("", |j| &after[i + j + 1..]),
            None => "",
        };
    }
    after
}

/// Decodes one entity at the start of `rest`; returns the rest.
fn decode_entity<'a>(rest: &'a str, text: &mut String) -> &'a str {
    let Some(end) = rest[..rest.len().min(12)].find(';') else {
        text.push('&');
        return &rest[1..];
    };
    let name = &rest[1..end];
    let decoded = if let Some(num) = name.strip_prefix("#x").or_else(|| name.strip_prefix("#X")) {
        u32::from_str_radix(num, 16).ok().and_then(char::from_u32)
    } else if let Some(num) = name.strip_prefix('#') {
        num.parse().ok().and_then(char::from_u32)
    } else {
        named_entity(name)
    };
    match decoded {
        Some(c) => {
            text.push(c);
            &rest[end + 1..]
        }
        None => {
            text.push('&');
            &rest[1..]
        }
    }
}

fn named_entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        "eacute" => 'é',
        "egrave" => 'è',
        "ecirc" => 'ê',
        "euml" => 'ë',
        "agrave" => 'à',
        "acirc" => 'â',
        "ccedil" => 'ç',
        "icirc" => 'î',
        "iuml" => 'ï',
        "ocirc" => 'ô',
        "ucirc" => 'û',
        "ugrave" => 'ù',
        "oelig" => 'œ',
        "aelig" => 'æ',
        "Eacute" => 'É',
        "laquo" => '«',
        "raquo" => '»',
        "rsquo" => '\u{2019}',
        "lsquo" => '\u{2018}',
        "hellip" => '…',
        "ndash" => '–',
        "mdash" => '—',
        "euro" => '€',
        "deg" => '°',
        "times" => '×',
        _ => return None,
    })
}

fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::strip_html;

    #[test]
    fn golden() {
        let cases = [
            (
                "<p>Lampe <b>en laiton</b></p><p>Style r&eacute;tro</p>",
                "Lampe en laiton Style rétro",
            ),
            (
                "Prix &lt; 200&nbsp;&euro; &amp; livraison",
                "Prix < 200 € & livraison",
            ),
            ("a<script>alert(1)</script>b<style>p{}</style>c", "a b c"),
            ("prix < 200 et > 100", "prix < 200 et > 100"),
            ("&#233;t&#xE9; &unknown; R&D", "été &unknown; R&D"),
            ("plain   text\n here", "plain text here"),
            ("<br/>ligne<br>suivante", "ligne suivante"),
        ];
        for (html, text) in cases {
            assert_eq!(strip_html(html), text, "{html}");
        }
    }
}
