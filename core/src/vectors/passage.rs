//! The text of a product that gets embedded: short and informative, because embedding is
//! compute-bound (its cost grows with the tokens: about 110 passages/s of ~55 tokens on 2 cores):
//! the name, the category path, the main attributes, and the first sentence or two of the
//! description that fit in 140 bytes.

use crate::catalog::{Category, Product, strip_html};
use crate::filter::Facet;

/// Longest description excerpt kept, in bytes. Measured on the demo with the int8 model
/// (`vivr-search eval`; the rates as they read that day, on a slower machine, before the build
/// sorted its passages by length): 180 bytes embed 41 passages/s; 140 bytes, 57/s with
/// full-mode NDCG@10 0.0004 lower and similar-products precision 0.01 higher; no description,
/// 87/s but precision 0.04 lower (the description tells near products apart).
const DESCRIPTION_CHARS: usize = 140;

/// The passage of a product.
pub fn passage(product: &Product, category_path: &[&Category]) -> String {
    let mut text = product.name.clone();
    if !category_path.is_empty() {
        text.push_str(". ");
        text.push_str(
            &category_path
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join(" > "),
        );
    }
    let attributes: Vec<&str> = Facet::ATTRIBUTES
        .iter()
        .flat_map(|f| product.attribute_values(f.key()))
        .collect();
    if !attributes.is_empty() {
        text.push_str(". ");
        text.push_str(&attributes.join(", "));
    }
    if let Some(description) = product.description.as_deref() {
        let description = strip_html(description);
        let excerpt = first_sentences(&description, DESCRIPTION_CHARS);
        if !excerpt.is_empty() {
            text.push_str(". ");
            text.push_str(excerpt);
        }
    }
    text
}

/// The first one or two sentences of `text` that fit in `max` bytes (cut at `max` when the
/// first sentence alone is longer).
fn first_sentences(text: &str, max: usize) -> &str {
    let mut end = 0;
    let mut sentences = 0;
    for (i, c) in text.char_indices() {
        if i >= max || sentences == 2 {
            break;
        }
        if matches!(c, '.' | '!' | '?') {
            end = i + c.len_utf8();
            sentences += 1;
        }
    }
    if end == 0 {
        let cut = text.char_indices().nth(max).map_or(text.len(), |(i, _)| i);
        return text[..cut].trim_end();
    }
    text[..end].trim_end()
}

/// Stable 64-bit hash of a passage (FNV-1a), the key of the embedding cache.
pub fn passage_hash(text: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_fit_the_budget() {
        assert_eq!(first_sentences("Un. Deux. Trois.", 9), "Un. Deux.");
        assert_eq!(first_sentences("Un. Deux. Trois.", 100), "Un. Deux.");
        assert_eq!(first_sentences("Un. Deux. Trois.", 5), "Un.");
        assert_eq!(
            first_sentences("Une longue phrase sans point", 10),
            "Une longue"
        );
        assert_eq!(first_sentences("", 10), "");
    }

    #[test]
    fn a_passage_names_type_category_attributes_and_opening() {
        let product: Product = serde_json::from_value(serde_json::json!({
            "id": "p", "slug": "p", "name": "Lampe de chevet Alba en laiton",
            "description": "<p>Une petite lumière chaude. Pour lire le soir.</p><p>Ampoule non fournie, garantie deux ans, livraison offerte.</p>",
            "price": 89.0, "comparePrice": null, "currency": "EUR", "stock": 3, "featured": false,
            "categoryId": "c", "images": [], "brand": null, "tags": [],
            "attributes": { "color": ["doré"], "material": ["laiton"], "dimensions": { "widthCm": 20 } },
            "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z",
            "rating": null, "reviewCount": 0
        }))
        .unwrap();
        let lum = Category {
            id: "l".into(),
            slug: "luminaires".into(),
            name: "Luminaires".into(),
            parent_id: None,
            description: None,
        };
        let lampes = Category {
            id: "c".into(),
            slug: "lampes".into(),
            name: "Lampes de chevet".into(),
            parent_id: Some("l".into()),
            description: None,
        };
        assert_eq!(
            passage(&product, &[&lum, &lampes]),
            "Lampe de chevet Alba en laiton. Luminaires > Lampes de chevet. doré, laiton. Une petite lumière chaude. Pour lire le soir."
        );
    }
}
