//! [`SyntheticEmbedder`]: vectors from words, with no model.

use super::{Embedder, VectorError};

/// A deterministic embedder without a model: stand-in vectors for catalogs too large to embed
/// (the benches from 1,000,000 products) and for tests of what does not depend on the model's
/// quality (recommendation and fusion invariants, the embedding cache). each word (its stemmed form) gets a
/// fixed pseudo-random direction, a text the normalised sum of its words' directions, mixed
/// with one direction shared by every text. Texts sharing words are near, like real
/// embeddings; the shared part puts cosines between unrelated texts near 0.8, where
/// multilingual-e5-small puts them, so fusion sees the same score range. The cost of a k-NN
/// search depends on the dimension and the graph, not on where the vectors come from.
pub struct SyntheticEmbedder;

const SYNTHETIC_DIMENSION: usize = 384;

/// The next value of a splitmix64 sequence.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Adds `weight` times the pseudo-random direction of `seed` (entries in -1..1) to `v`.
fn add_direction(v: &mut [f32], seed: u64, weight: f32) {
    let mut state = seed;
    for x in v.iter_mut() {
        *x += weight * ((splitmix(&mut state) >> 40) as f32 / (1u64 << 23) as f32 - 1.0);
    }
}

fn normalise(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

impl SyntheticEmbedder {
    fn embed(text: &str) -> Vec<f32> {
        let mut words = vec![0.0; SYNTHETIC_DIMENSION];
        for word in crate::text::words(text).iter().filter(|w| !w.stop) {
            let seed = word.stem.bytes().fold(0xCBF2_9CE4_8422_2325u64, |h, b| {
                (h ^ b as u64).wrapping_mul(0x100_0000_01B3)
            });
            add_direction(&mut words, seed, 1.0);
        }
        normalise(&mut words);
        let mut v = vec![0.0; SYNTHETIC_DIMENSION];
        add_direction(&mut v, 7, 1.0);
        normalise(&mut v);
        for (x, w) in v.iter_mut().zip(&words) {
            *x = 0.9 * *x + 0.45 * w;
        }
        normalise(&mut v);
        v
    }
}

impl Embedder for SyntheticEmbedder {
    fn model_id(&self) -> &str {
        "synthetic-words-384"
    }

    fn dimension(&self) -> usize {
        SYNTHETIC_DIMENSION
    }

    fn embed_passages(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, VectorError> {
        Ok(texts.iter().map(|t| SyntheticEmbedder::embed(t)).collect())
    }

    fn embed_query(&self, text: &str) -> Result<Vec<f32>, VectorError> {
        Ok(SyntheticEmbedder::embed(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vectors::dot;

    #[test]
    fn shared_words_are_nearer_than_unrelated_texts_and_vectors_are_repeatable() {
        let e = SyntheticEmbedder;
        let lamp = e.embed_query("lampe de chevet en laiton").unwrap();
        let lamps = e.embed_query("lampes laiton").unwrap();
        let sofa = e.embed_query("canapé d'angle velours").unwrap();
        assert_eq!(lamp.len(), e.dimension());
        assert!((dot(&lamp, &lamp) - 1.0).abs() < 1e-5, "normalised");
        assert!(dot(&lamp, &lamps) > dot(&lamp, &sofa));
        assert!(
            dot(&lamp, &sofa) > 0.5,
            "a shared direction, as e5's cosines"
        );
        assert_eq!(
            lamp,
            e.embed_passages(&["lampe de chevet en laiton".into()])
                .unwrap()[0]
        );
    }
}
