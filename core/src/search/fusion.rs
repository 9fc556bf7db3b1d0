//! Fusion of the lexical and semantic result lists: a pure function over per-source scores.
//!
//! Lexical scores are the text-match quality in 0..=1 (`_rankingScore`). Semantic scores are
//! cosine similarities, which for this model sit between 0.8 and 1.0; they are rescaled from
//! `[SEMANTIC_FLOOR, 1]` to `[0, 1]` (an absolute scale, so a weak best match stays weak). The
//! fused score is `(1 - ratio) * lexical + ratio * semantic`, a missing source counting 0.
//! Ties break by product id. Per-source scores survive for `_rankingScoreDetails`.

use std::collections::HashMap;

use serde::Serialize;

/// Cosine similarity that maps to a semantic score of 0.
pub const SEMANTIC_FLOOR: f32 = 0.8;

/// One fused candidate.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Fused {
    /// Product id.
    pub id: String,
    /// Fused score.
    pub score: f32,
    /// Lexical score (0..=1), when the lexical source returned the product.
    pub lexical: Option<f32>,
    /// Cosine similarity, when the semantic source returned the product.
    pub semantic: Option<f32>,
}

/// The semantic score of a cosine similarity.
pub fn semantic_score(cosine: f32) -> f32 {
    ((cosine - SEMANTIC_FLOOR) / (1.0 - SEMANTIC_FLOOR)).clamp(0.0, 1.0)
}

/// The entry of `id`, created empty the first time.
fn slot<'a, 'k>(by_id: &'a mut HashMap<&'k str, Fused>, id: &'k str) -> &'a mut Fused {
    by_id.entry(id).or_insert_with(|| Fused {
        id: id.to_owned(),
        score: 0.0,
        lexical: None,
        semantic: None,
    })
}

/// Fuses two lists of `(product id, score)`; `ratio` (0..=1) is the weight of the semantic
/// source. The output holds every id of either list once, best first.
pub fn fuse(lexical: &[(String, f32)], semantic: &[(String, f32)], ratio: f32) -> Vec<Fused> {
    let ratio = ratio.clamp(0.0, 1.0);
    let mut by_id: HashMap<&str, Fused> = HashMap::with_capacity(lexical.len() + semantic.len());
    for (id, score) in lexical {
        slot(&mut by_id, id).lexical = Some(*score);
    }
    for (id, cosine) in semantic {
        slot(&mut by_id, id).semantic = Some(*cosine);
    }
    let mut fused: Vec<Fused> = by_id
        .into_values()
        .map(|mut f| {
            f.score = (1.0 - ratio) * f.lexical.unwrap_or(0.0)
                + ratio * f.semantic.map_or(0.0, semantic_score);
            f
        })
        .collect();
    fused.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
    fused
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use proptest::prelude::*;

    use super::*;

    fn list(max: usize) -> impl Strategy<Value = Vec<(String, f32)>> {
        prop::collection::btree_map(0u16..60, 0.0f32..=1.0, 0..max).prop_map(|m| {
            m.into_iter()
                .map(|(id, s)| (format!("p{id:02}"), s))
                .collect()
        })
    }

    proptest! {
        #[test]
        fn output_is_the_union_once_each(lexical in list(30), semantic in list(30), ratio in 0.0f32..=1.0) {
            let fused = fuse(&lexical, &semantic, ratio);
            let ids: Vec<&str> = fused.iter().map(|f| f.id.as_str()).collect();
            let unique: BTreeSet<&str> = ids.iter().copied().collect();
            prop_assert_eq!(unique.len(), ids.len());
            let expected: BTreeSet<&str> = lexical.iter().chain(&semantic).map(|(id, _)| id.as_str()).collect();
            prop_assert_eq!(unique, expected);
            prop_assert!(fused.windows(2).all(|w| w[0].score > w[1].score || (w[0].score == w[1].score && w[0].id < w[1].id)));
        }

        #[test]
        fn ratio_zero_keeps_the_lexical_order(lexical in list(30), semantic in list(30)) {
            let fused = fuse(&lexical, &semantic, 0.0);
            let mut expected = lexical.clone();
            expected.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            let lexical_part: Vec<&str> = fused.iter().filter(|f| f.lexical.is_some()).map(|f| f.id.as_str()).collect();
            prop_assert_eq!(lexical_part, expected.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>());
            // Products only the semantic source found come after every lexical match with a score above 0.
            if let Some(first_semantic_only) = fused.iter().position(|f| f.lexical.is_none()) {
                prop_assert!(fused[first_semantic_only..].iter().all(|f| f.lexical.unwrap_or(0.0) == 0.0));
            }
        }

        #[test]
        fn ratio_one_follows_the_semantic_order(lexical in list(30), semantic in list(30)) {
            let fused = fuse(&lexical, &semantic, 1.0);
            let scores: Vec<f32> = fused.iter().map(|f| f.semantic.map_or(0.0, semantic_score)).collect();
            prop_assert!(scores.windows(2).all(|w| w[0] >= w[1]));
        }

        #[test]
        fn fusion_is_deterministic(lexical in list(30), semantic in list(30), ratio in 0.0f32..=1.0) {
            prop_assert_eq!(fuse(&lexical, &semantic, ratio), fuse(&lexical, &semantic, ratio));
        }
    }

    #[test]
    fn a_product_both_sources_found_outranks_one_found_by_one() {
        let fused = fuse(
            &[("a".into(), 0.6), ("b".into(), 0.6)],
            &[("a".into(), 0.9)],
            0.5,
        );
        assert_eq!(fused[0].id, "a");
        assert_eq!(fused[0].lexical, Some(0.6));
        assert_eq!(fused[0].semantic, Some(0.9));
        assert!((semantic_score(0.9) - 0.5).abs() < 1e-6);
        assert_eq!(semantic_score(0.5), 0.0);
    }
}
