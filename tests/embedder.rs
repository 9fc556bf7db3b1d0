//! The real embedding model (installed by tools/install-models.sh).

use std::path::Path;

use vivr_search::vectors::{Embedder, LocalEmbedder, VectorError};

fn models() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/models"))
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[test]
fn a_paraphrase_is_nearest_to_the_right_product() {
    let embedder = LocalEmbedder::open(models()).expect("run tools/install-models.sh");
    assert_eq!(embedder.dimension(), 384);
    assert!(
        embedder
            .model_id()
            .starts_with("multilingual-e5-small-int8:")
    );
    let passages: Vec<String> = [
        "Lampe de chevet Alba en laiton. Luminaires > Lampes de chevet. Une petite lumière pour lire le soir.",
        "Canapé d'angle Oslo en velours. Mobilier > Canapés. Un sofa profond pour cinq personnes.",
        "Tapis Atlas en laine. Textile > Tapis. Tissé à la main pour le salon.",
        "Table basse Ondine en chêne. Mobilier > Tables. Plateau en bois massif huilé.",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let vectors = embedder.embed_passages(&passages).unwrap();
    for v in &vectors {
        let norm = dot(v, v).sqrt();
        assert!((norm - 1.0).abs() < 1e-3, "normalised: {norm}");
    }
    for (query, expected) in [
        ("luminaire pour table de nuit", 0),
        ("sofa confortable", 1),
        ("carpette tissée", 2),
    ] {
        let q = embedder.embed_query(query).unwrap();
        let best = (0..vectors.len())
            .max_by(|&a, &b| dot(&q, &vectors[a]).total_cmp(&dot(&q, &vectors[b])))
            .unwrap();
        assert_eq!(best, expected, "{query}");
    }
}

#[test]
fn a_missing_model_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = LocalEmbedder::open(dir.path())
        .err()
        .expect("no model here");
    assert!(matches!(err, VectorError::ModelMissing { .. }));
    assert!(err.to_string().contains("tools/install-models.sh"), "{err}");
}
