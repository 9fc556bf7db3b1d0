//! The semantic layer with the real model (tools/install-models.sh) on the fixture catalog.

mod common;

use std::path::Path;
use std::sync::Arc;

use vivr_search::catalog::{Catalog, ImportOptions};
use vivr_search::index::ReindexOptions;
use vivr_search::search::Filters;
use vivr_search::search::{self, Engine, SearchRequest, SimilarRequest};
use vivr_search::vectors::{Embedder, LocalEmbedder, VectorError};

/// The mini fixture, imported and indexed with `embedder`'s vectors.
fn built(dir: &Path, embedder: &dyn Embedder) -> (Catalog, vivr_search::index::Manifest) {
    let catalog = Catalog::open(&dir.join("catalog.db")).unwrap();
    catalog
        .import(&common::fixture("mini"), ImportOptions::default())
        .unwrap();
    let manifest = search::reindex(
        &catalog,
        &dir.join("index"),
        Some(embedder),
        &ReindexOptions::default(),
    )
    .unwrap();
    (catalog, manifest)
}

fn similar(engine: &Engine, id: &str, filters: Filters) -> Vec<(String, String)> {
    let request = SimilarRequest {
        id_or_slug: id.to_owned(),
        limit: 4,
        filters,
        same_category: false,
    };
    let response = engine.similar(&request).unwrap();
    assert!(response.degraded.is_none(), "{:?}", response.degraded);
    response
        .hits
        .into_iter()
        .map(|h| (h.id, h.category.slug))
        .collect()
}

#[test]
fn similar_products_of_a_bedside_lamp_are_lighting_and_in_stock() {
    let dir = tempfile::tempdir().unwrap();
    let (catalog, manifest) = built(dir.path(), common::model().as_ref());
    let vectors = manifest.vectors.expect("vectors built");
    assert_eq!(
        (vectors.count, vectors.embedded, vectors.dimension),
        (15, 15, 384)
    );

    let engine =
        Engine::open_with(catalog, &dir.path().join("index"), Some(common::model())).unwrap();
    let hits = similar(&engine, "p03", Filters::default());
    assert!(
        !hits.iter().any(|(id, _)| id == "p03"),
        "the anchor is not its own neighbour"
    );
    let lighting = ["luminaires", "lampes", "appliques"];
    for (id, category) in &hits[..3] {
        assert!(
            lighting.contains(&category.as_str()),
            "{id} in {category}: {hits:?}"
        );
    }
    // Out-of-stock products (p02, p12) only when asked for.
    let sofa = similar(&engine, "p01", Filters::default());
    assert!(
        !sofa.iter().any(|(id, _)| id == "p02" || id == "p12"),
        "{sofa:?}"
    );
    let with_out_of_stock = similar(
        &engine,
        "p01",
        Filters {
            in_stock: Some(false),
            ..Filters::default()
        },
    );
    assert!(
        with_out_of_stock.iter().any(|(id, _)| id == "p02"),
        "the other sofa, out of stock: {with_out_of_stock:?}"
    );
    let health = engine.health().unwrap();
    assert!(health.semantic.available && health.semantic.vectors == 15);
}

#[test]
fn a_reindex_after_changing_one_product_embeds_exactly_one_text() {
    let dir = tempfile::tempdir().unwrap();
    let (catalog, _) = built(dir.path(), common::synthetic().as_ref());
    let export = common::copy_fixture("mini", dir.path());
    let products = std::fs::read_to_string(export.join("products.ndjson")).unwrap();
    std::fs::write(
        export.join("products.ndjson"),
        products.replace("Table basse Ondine en chêne", "Table basse Ondine en noyer"),
    )
    .unwrap();
    let report = catalog.import(&export, ImportOptions::default()).unwrap();
    assert_eq!(
        (report.products.updated, report.products.unchanged),
        (1, 14)
    );
    let manifest = search::reindex(
        &catalog,
        &dir.path().join("index"),
        Some(common::synthetic().as_ref()),
        &ReindexOptions::default(),
    )
    .unwrap();
    let vectors = manifest.vectors.unwrap();
    assert_eq!((vectors.count, vectors.embedded), (15, 1));
}

struct OtherModel;

impl Embedder for OtherModel {
    fn model_id(&self) -> &str {
        "another-model:0001"
    }
    fn dimension(&self) -> usize {
        384
    }
    fn embed_passages(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, VectorError> {
        Ok(texts.iter().map(|_| vec![0.0; 384]).collect())
    }
    fn embed_query(&self, _: &str) -> Result<Vec<f32>, VectorError> {
        Ok(vec![0.0; 384])
    }
}

#[test]
fn vectors_of_another_model_are_refused_and_lexical_search_still_serves() {
    let dir = tempfile::tempdir().unwrap();
    let (catalog, _) = built(dir.path(), common::synthetic().as_ref());
    let engine = Engine::open_with(
        catalog,
        &dir.path().join("index"),
        Some(Arc::new(OtherModel)),
    )
    .unwrap();
    let health = engine.health().unwrap();
    assert!(!health.semantic.available);
    let reason = health.semantic.reason.unwrap();
    assert!(
        reason.contains(common::synthetic().model_id())
            && reason.contains("another-model:0001")
            && reason.contains("reindex"),
        "{reason}"
    );
    let r = engine
        .search(&SearchRequest {
            q: "canapé".into(),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(r.hits[0].id, "p01");
}

#[test]
fn without_the_model_search_serves_and_similar_says_it_is_degraded() {
    let dir = tempfile::tempdir().unwrap();
    let missing = LocalEmbedder::open(dir.path()).err().unwrap();
    assert!(missing.to_string().contains("tools/install-models.sh"));
    // What the CLI does without a model: a text-only generation, an engine without embedder.
    let catalog = Catalog::open(&dir.path().join("catalog.db")).unwrap();
    catalog
        .import(&common::fixture("mini"), ImportOptions::default())
        .unwrap();
    let manifest = search::reindex(
        &catalog,
        &dir.path().join("index"),
        None,
        &ReindexOptions::default(),
    )
    .unwrap();
    assert!(manifest.vectors.is_none());
    let engine = Engine::open_with(catalog, &dir.path().join("index"), None).unwrap();
    let full = engine
        .search(&SearchRequest {
            q: "canapé".into(),
            intent: false,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(full.hits[0].id, "p01", "full mode answers lexically");
    assert!(
        full.degraded[0].starts_with("semantic search:"),
        "{:?}",
        full.degraded
    );
    assert_eq!(
        engine
            .search(&SearchRequest {
                q: "lampe".into(),
                ..Default::default()
            })
            .unwrap()
            .hits[0]
            .category
            .slug,
        "lampes"
    );
    let response = engine
        .similar(&SimilarRequest {
            id_or_slug: "p03".into(),
            limit: 3,
            filters: Filters::default(),
            same_category: false,
        })
        .unwrap();
    assert!(
        response.degraded.as_deref().unwrap().contains("no vectors"),
        "{:?}",
        response.degraded
    );
    assert_eq!(response.hits.len(), 3, "widened from Lampes to Luminaires");
    assert!(response.hits.iter().all(|h| h.id != "p03" && h.in_stock));
    assert_eq!(
        response.hits[0].category.slug, "lampes",
        "the anchor's own category first"
    );
    assert!(
        response
            .hits
            .iter()
            .all(|h| ["lampes", "appliques", "luminaires"].contains(&h.category.slug.as_str()))
    );
}

#[test]
fn graph_and_int8_scan_recall_at_10_on_the_demo_catalog() {
    use vivr_search::filter::ProductFilter;
    use vivr_search::vectors::{VECTORS_DIR, VectorSet};
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::open(&dir.path().join("catalog.db")).unwrap();
    let demo = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/data/demo"));
    catalog.import(demo, ImportOptions::default()).unwrap();
    let manifest = search::reindex(
        &catalog,
        &dir.path().join("index"),
        Some(common::model().as_ref()),
        &ReindexOptions::default(),
    )
    .unwrap();
    let generation = dir
        .path()
        .join("index")
        .join(format!("gen-{:06}", manifest.generation));
    let set = VectorSet::open(&generation.join(VECTORS_DIR), common::model().model_id()).unwrap();
    let ann = set.ann().expect("reindex builds the HNSW graph");
    assert_eq!((set.len(), ann.len()), (2400, 2400));

    // The reference: exact float k-NN, every row's full-precision vector against every other.
    let k = 10;
    let every: Vec<Vec<f32>> = (0..set.len()).map(|row| set.vector(row)).collect();
    let exact = |row: usize| -> Vec<usize> {
        let mut scored: Vec<(usize, f32)> = (0..every.len())
            .filter(|&r| r != row)
            .map(|r| (r, vivr_search::vectors::dot(&every[row], &every[r])))
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored.into_iter().take(k).map(|(r, _)| r).collect()
    };
    let queries: Vec<usize> = (0..set.len()).step_by(12).collect();
    let (mut by_graph, mut by_scan) = (0, 0);
    for &row in &queries {
        let exact = exact(row);
        let approx = ann.search(&every[row], k + 1);
        by_graph += approx
            .iter()
            .filter(|(r, _)| *r != row)
            .take(k)
            .filter(|(r, _)| exact.contains(r))
            .count();
        // The scan of the int8 codes, rescored with the full-precision vectors.
        let scanned = set.scan_knn(&every[row], k, &ProductFilter::default(), Some(row));
        by_scan += scanned.iter().filter(|(r, _)| exact.contains(r)).count();
        for (r, score) in scanned {
            assert_eq!(score, vivr_search::vectors::dot(&every[row], &every[r]));
        }
    }
    let recall = |found: usize| found as f64 / (queries.len() * k) as f64;
    eprintln!(
        "recall@{k} over {} queries against exact float k-NN: HNSW {:.4}, int8 scan {:.4}",
        queries.len(),
        recall(by_graph),
        recall(by_scan)
    );
    assert!(
        recall(by_graph) >= 0.98,
        "HNSW recall@10 {}",
        recall(by_graph)
    );
    assert!(
        recall(by_scan) >= 0.98,
        "int8 scan recall@10 {}",
        recall(by_scan)
    );

    // The neighbour lists precomputed at reindex (served to similar products) are the exact
    // nearest rows.
    for &row in queries.iter().take(50) {
        let exact: Vec<u32> = set
            .scan_knn(&every[row], k, &ProductFilter::default(), Some(row))
            .iter()
            .map(|r| r.0 as u32)
            .collect();
        let listed: Vec<u32> = set.neighbours(row)[..k].iter().map(|p| p.0).collect();
        assert_eq!(listed, exact, "row {row}");
    }
}

#[test]
fn full_mode_finds_a_paraphrase_that_instant_mode_misses() {
    use vivr_search::search::Mode;
    let dir = tempfile::tempdir().unwrap();
    let (catalog, _) = built(dir.path(), common::model().as_ref());
    let engine =
        Engine::open_with(catalog, &dir.path().join("index"), Some(common::model())).unwrap();
    let top5 = |q: &str, mode: Mode| {
        let r = engine
            .search(&SearchRequest {
                q: q.into(),
                mode,
                limit: 5,
                explain: true,
                // The lexical tiers alone against the semantic source (no parsed category).
                intent: false,
                ..Default::default()
            })
            .unwrap();
        assert!(r.degraded.is_empty(), "{:?}", r.degraded);
        r
    };
    // "Reading light for bed": lexically only "lit" (bed) matches, so instant mode shows bed linen.
    let instant = top5("éclairage pour lire au lit", Mode::Instant);
    assert!(
        !instant.hits.iter().any(|h| h.category.slug == "lampes"),
        "{:?}",
        instant.hits
    );
    assert_eq!(instant.semantic_hit_count, 0);
    let full = top5("éclairage pour lire au lit", Mode::Full);
    let lamp = full
        .hits
        .iter()
        .find(|h| h.id == "p03")
        .expect("the bedside lamp is in the top 5");
    let details = lamp.ranking_score_details.as_ref().unwrap();
    assert!(details.semantic_score.is_some() && details.fused_score == Some(lamp.ranking_score));
    assert!(full.semantic_hit_count > 0);
    // Full mode scores 40 candidates and highlights only its page: every hit of it is
    // highlighted, the semantic ones too, and a hit both modes return is marked alike.
    assert!(full.hits.iter().all(|h| h.formatted.is_some()));
    let shared: Vec<_> = full
        .hits
        .iter()
        .filter_map(|h| Some((h, instant.hits.iter().find(|i| i.id == h.id)?)))
        .collect();
    assert!(!shared.is_empty());
    for (full_hit, instant_hit) in shared {
        assert_eq!(full_hit.formatted, instant_hit.formatted, "{}", full_hit.id);
    }

    // Nothing matches lexically: the semantic candidates are the answer when the query is
    // closer to what the store sells than to what it does not, else no hits and labelled
    // alternatives; never a bare empty page.
    let none = top5("gemütlichkeit", Mode::Instant);
    assert_eq!(none.estimated_total_hits, 0);
    assert!(none.alternatives.is_some());
    let full = top5("gemütlichkeit", Mode::Full);
    assert!(
        !full.hits.is_empty()
            || full
                .alternatives
                .as_ref()
                .is_some_and(|a| !a.items.is_empty()),
        "full mode answers products or alternatives"
    );
}

#[test]
fn the_faq_finds_a_question_put_in_other_words_with_the_model() {
    use vivr_search::store::faq::Topic;
    let dir = tempfile::tempdir().unwrap();
    let (catalog, _) = built(dir.path(), common::model().as_ref());
    let engine =
        Engine::open_with(catalog, &dir.path().join("index"), Some(common::model())).unwrap();
    // Words the answers do not use: "régler" for paying, "mensualités" for instalments.
    let found = engine.faq("régler mes achats en plusieurs mensualités", None, 3);
    assert!(found.semantic);
    assert!(
        found.answers.iter().any(|(_, e)| e.topic == Topic::Payment),
        "{:?}",
        found
            .answers
            .iter()
            .map(|(_, e)| &e.question)
            .collect::<Vec<_>>()
    );
    // A topic keeps to itself on both sides of the fusion.
    let returns = engine.faq(
        "je n'aime pas la couleur du canapé",
        Some(Topic::Returns),
        5,
    );
    assert!(!returns.answers.is_empty());
    assert!(
        returns
            .answers
            .iter()
            .all(|(_, e)| e.topic == Topic::Returns)
    );
    // Without a model, the same question is answered from the words alone, and says so.
    let dir = tempfile::tempdir().unwrap();
    let (catalog, _) = built(dir.path(), common::model().as_ref());
    let lexical = Engine::open_with(catalog, &dir.path().join("index"), None).unwrap();
    assert!(!lexical.faq("payer en trois fois", None, 3).semantic);
}
