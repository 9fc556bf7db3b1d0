//! Reindex: generations, atomic switch, failure and cancellation, live reload.

mod common;

use std::sync::atomic::AtomicBool;

use vivr_search::catalog::Catalog;
use vivr_search::index::{self, Generation, ReindexOptions};
use vivr_search::search::{self, SearchError, SearchRequest};

fn live_name(built: &common::Built) -> String {
    std::fs::read_link(built.index_dir().join("current"))
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

#[test]
fn a_reindex_that_fails_mid_way_leaves_the_old_generation_serving() {
    let built = common::build("mini");
    let before = live_name(&built);
    // Corrupt one product row in the middle of the id order: the build fails when it gets there,
    // after p01..p09 were already indexed into the new generation.
    let db = rusqlite::Connection::open(built.db()).unwrap();
    db.execute("UPDATE products SET tags = 'not json' WHERE id = 'p10'", [])
        .unwrap();
    let catalog = Catalog::open(&built.db()).unwrap();
    let err = search::reindex(
        &catalog,
        &built.index_dir(),
        None,
        &ReindexOptions::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("p10"), "{err}");

    assert_eq!(
        live_name(&built),
        before,
        "current still points at the old generation"
    );
    let dirs: Vec<String> = std::fs::read_dir(built.index_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("gen-"))
        .collect();
    assert_eq!(
        dirs,
        std::slice::from_ref(&before),
        "the half-built generation is removed"
    );
    assert!(!built.engine.reload().unwrap());
    let r = built
        .engine
        .search(&SearchRequest {
            q: "canapé".into(),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(r.hits[0].id, "p01", "the engine still serves");
}

#[test]
fn a_cancelled_reindex_changes_nothing() {
    let built = common::build("mini");
    let before = live_name(&built);
    let cancel = AtomicBool::new(true);
    let catalog = Catalog::open(&built.db()).unwrap();
    let options = ReindexOptions {
        cancel: Some(&cancel),
        ..Default::default()
    };
    let err = search::reindex(&catalog, &built.index_dir(), None, &options).unwrap_err();
    assert!(matches!(
        err,
        SearchError::Index(index::IndexError::Cancelled)
    ));
    assert_eq!(live_name(&built), before);
    Generation::open_live(&built.index_dir()).unwrap();
}

#[test]
fn a_new_generation_is_picked_up_and_the_previous_one_kept() {
    let built = common::build("mini");
    let first = live_name(&built);
    // A killed build leaves a directory without a manifest: readers ignore it, reindex removes it.
    std::fs::create_dir_all(built.index_dir().join("gen-000050/text")).unwrap();
    assert_eq!(
        Generation::open_live(&built.index_dir())
            .unwrap()
            .manifest()
            .generation,
        1
    );

    let db = rusqlite::Connection::open(built.db()).unwrap();
    db.execute(
        "UPDATE products SET name = 'Canapé Zephyr' WHERE id = 'p02'",
        [],
    )
    .unwrap();
    let catalog = Catalog::open(&built.db()).unwrap();
    let manifest = search::reindex(
        &catalog,
        &built.index_dir(),
        None,
        &ReindexOptions::default(),
    )
    .unwrap();
    assert_eq!(manifest.generation, 51);
    assert_eq!(manifest.products, 15);
    let second = live_name(&built);
    assert_ne!(first, second);
    assert!(
        !built.index_dir().join("gen-000050").exists(),
        "incomplete generation removed"
    );
    assert!(
        built
            .index_dir()
            .join(&first)
            .join("manifest.json")
            .is_file(),
        "previous generation kept"
    );

    let zephyr = || {
        built
            .engine
            .search(&SearchRequest {
                q: "zephyr".into(),
                ..Default::default()
            })
            .unwrap()
    };
    assert!(zephyr().hits.is_empty(), "not reloaded yet");
    assert!(built.engine.reload().unwrap());
    assert_eq!(zephyr().hits[0].id, "p02");
    assert_eq!(built.engine.health().unwrap().index.generation, 51);

    // A third build prunes the first generation.
    search::reindex(
        &catalog,
        &built.index_dir(),
        None,
        &ReindexOptions::default(),
    )
    .unwrap();
    assert!(!built.index_dir().join(&first).exists());
    assert!(built.index_dir().join(&second).exists());
}

#[test]
fn opening_an_empty_index_folder_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let err = Generation::open_live(dir.path()).err().unwrap();
    assert!(
        err.to_string().contains("run `vivr-search reindex` first"),
        "{err}"
    );
}

/// The largest `.store` file of a generation's text index, damaged in its middle.
fn damage_store(generation: &std::path::Path) {
    let store = std::fs::read_dir(generation.join("text"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "store"))
        .max_by_key(|p| std::fs::metadata(p).unwrap().len())
        .expect("a .store file");
    let mut bytes = std::fs::read(&store).unwrap();
    let middle = bytes.len() / 2;
    for b in &mut bytes[middle.saturating_sub(16)..middle + 16] {
        *b ^= 0xA5;
    }
    std::fs::write(&store, bytes).unwrap();
}

fn reindex(built: &common::Built) {
    let catalog = Catalog::open(&built.db()).unwrap();
    search::reindex(
        &catalog,
        &built.index_dir(),
        None,
        &ReindexOptions::default(),
    )
    .unwrap();
}

#[test]
fn a_corrupt_generation_is_refused_and_the_previous_one_keeps_serving() {
    let built = common::build("mini");
    let request = SearchRequest {
        q: "canapé".into(),
        ..Default::default()
    };
    let before = built.engine.search(&request).unwrap().estimated_total_hits;
    let first = built.engine.generation().manifest().generation;
    reindex(&built);
    let live = built.index_dir().join(live_name(&built));
    damage_store(&live);
    // A running engine refuses it on reload, keeps its generation and says so in /health.
    assert!(built.engine.reload().is_err());
    assert_eq!(built.engine.generation().manifest().generation, first);
    assert_eq!(
        built.engine.search(&request).unwrap().estimated_total_hits,
        before
    );
    let health = built.engine.health().unwrap();
    let refused = health.refused_generation.expect("reported");
    assert_eq!(refused.dir, live);
    assert!(refused.reason.contains("checksum"), "{}", refused.reason);
    // Not tried again until `current` moves.
    assert!(!built.engine.reload().unwrap());
    // An engine started on it serves the previous generation instead.
    let engine =
        search::Engine::open(Catalog::open(&built.db()).unwrap(), &built.index_dir()).unwrap();
    assert_eq!(engine.generation().manifest().generation, first);
    assert!(engine.health().unwrap().refused_generation.is_some());
    assert_eq!(
        engine.search(&request).unwrap().estimated_total_hits,
        before
    );
    // A good generation clears the report.
    reindex(&built);
    assert!(built.engine.reload().unwrap());
    assert!(built.engine.health().unwrap().refused_generation.is_none());
}

#[test]
fn a_truncated_index_file_is_refused_at_load() {
    let built = common::build("mini");
    let first = live_name(&built);
    reindex(&built);
    let live = built.index_dir().join(live_name(&built));
    let idx = std::fs::read_dir(live.join("text"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "idx"))
        .expect("an .idx file");
    let len = std::fs::metadata(&idx).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&idx)
        .unwrap()
        .set_len(len / 2)
        .unwrap();
    let err = Generation::open(&live).err().expect("refused");
    assert!(!err.to_string().is_empty());
    let engine =
        search::Engine::open(Catalog::open(&built.db()).unwrap(), &built.index_dir()).unwrap();
    assert_eq!(
        engine.generation().text().dir(),
        built.index_dir().join(first)
    );
}

#[test]
fn a_second_reindex_fails_at_once_while_one_holds_the_lock() {
    let built = common::build("mini");
    let before = live_name(&built);
    let held = index::lock_for_writing(&built.index_dir()).unwrap();
    let catalog = Catalog::open(&built.db()).unwrap();
    let err = search::reindex(
        &catalog,
        &built.index_dir(),
        None,
        &ReindexOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(err, SearchError::Index(index::IndexError::Locked { .. })),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains(&format!("pid {}", std::process::id())),
        "{err}"
    );
    assert_eq!(live_name(&built), before, "nothing was touched");
    drop(held);
    reindex(&built);
    assert_ne!(live_name(&built), before);
}

#[test]
fn a_dangling_current_falls_back_to_the_newest_complete_generation() {
    let built = common::build("mini");
    reindex(&built);
    let newest = live_name(&built);
    let current = built.index_dir().join("current");
    std::fs::remove_file(&current).unwrap();
    std::os::unix::fs::symlink("gen-999999", &current).unwrap();
    let engine =
        search::Engine::open(Catalog::open(&built.db()).unwrap(), &built.index_dir()).unwrap();
    assert_eq!(
        engine.generation().text().dir(),
        built.index_dir().join(newest)
    );
    let refused = engine
        .health()
        .unwrap()
        .refused_generation
        .expect("reported");
    assert_eq!(refused.dir, current);
}

#[test]
fn a_reindex_keeps_the_intact_previous_generation_not_a_damaged_live_one() {
    let built = common::build("mini");
    let intact = live_name(&built);
    reindex(&built);
    let damaged = live_name(&built);
    damage_store(&built.index_dir().join(&damaged));
    reindex(&built);
    let dirs: Vec<String> = {
        let mut d: Vec<String> = std::fs::read_dir(built.index_dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("gen-"))
            .collect();
        d.sort();
        d
    };
    assert_eq!(dirs, [intact, live_name(&built)], "the damaged one went");
}

/// Facet counts: per facet, per value.
type FacetCounts = std::collections::BTreeMap<String, std::collections::BTreeMap<String, u64>>;

/// What a search answers, order aside among equal scores: the total, the ids, facet counts.
fn answer(engine: &search::Engine, q: &str) -> (usize, Vec<String>, Option<FacetCounts>) {
    let response = engine
        .search(&SearchRequest {
            q: q.to_owned(),
            limit: 100,
            facets: vec!["*".to_owned()],
            ..Default::default()
        })
        .unwrap();
    let mut ids: Vec<String> = response.hits.into_iter().map(|h| h.id).collect();
    ids.sort();
    (
        response.estimated_total_hits,
        ids,
        response.facet_distribution,
    )
}

#[test]
fn a_generation_built_from_the_live_one_answers_as_one_built_whole() {
    use vivr_search::catalog::ImportOptions;
    let dir = tempfile::tempdir().unwrap();
    let export = common::copy_fixture("mini", dir.path());
    let embedder = common::synthetic();
    let built = common::build_export(
        tempfile::tempdir().unwrap(),
        &export,
        Some(embedder.clone()),
    );
    let catalog = Catalog::open(&built.db()).unwrap();
    let publish = |touched: &vivr_search::catalog::Touched| {
        let lock = index::lock_for_writing(&built.index_dir()).unwrap();
        search::publish_changes(
            &catalog,
            &built.index_dir(),
            Some(embedder.as_ref()),
            &ReindexOptions::default(),
            &lock,
            touched,
        )
        .unwrap()
    };

    // A price and a stock: the vectors are reused, only their facts written again.
    let products = std::fs::read_to_string(export.join("products.ndjson")).unwrap();
    let edited = products
        .replace(r#""price": 899.0"#, r#""price": 799.0"#)
        .replace(r#""id": "p03", "#, r#""id": "p03", "stockNote": "x", "#);
    std::fs::write(export.join("products.ndjson"), edited).unwrap();
    let report = catalog.import(&export, ImportOptions::default()).unwrap();
    assert_eq!(report.touched.products.len(), 2, "{:?}", report.touched);
    let before = index::live_manifest(&built.index_dir()).unwrap();
    let manifest = publish(&report.touched);
    assert_eq!(manifest.built_from, Some(before.generation));
    let vectors = manifest.vectors.as_ref().unwrap();
    assert_eq!(vectors.embedded, 0, "no passage changed");

    // A new name, a new product, a deleted one, a review: two passages are embedded into new
    // rows, two rows retired; the text index and the vectors still from the live ones.
    common::append(
        &export,
        "products.ndjson",
        &[
            r#"{"id": "p40", "slug": "lampadaire-zephyr", "name": "Lampadaire Zéphyr arc", "price": 149.0, "stock": 3, "categoryId": "c-lampes", "attributes": {"color": ["ocre"]}, "createdAt": "2026-02-01T10:00:00Z", "updatedAt": "2026-02-01T10:00:00Z"}"#,
            r#"{"id": "p05", "deleted": true}"#,
        ],
    );
    // p05's line gives way to its tombstone; p02 is renamed.
    let products: Vec<String> = std::fs::read_to_string(export.join("products.ndjson"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with(r#"{"id": "p05", "slug""#))
        .map(|l| l.replace("Canapé convertible Nora", "Canapé convertible Nora Bergen"))
        .collect();
    std::fs::write(export.join("products.ndjson"), products.join("\n") + "\n").unwrap();
    common::append(
        &export,
        "reviews.ndjson",
        &[r#"{"id": "r9", "productId": "p07", "rating": 1, "createdAt": "2026-03-01T10:00:00Z"}"#],
    );
    let report = catalog.import(&export, ImportOptions::default()).unwrap();
    assert!(report.rejects.is_empty(), "{:?}", report.rejects);
    assert!(report.touched.shape && !report.touched.categories);
    let previous = index::live_manifest(&built.index_dir()).unwrap();
    let manifest = publish(&report.touched);
    assert_eq!(manifest.built_from, Some(previous.generation));
    assert_eq!(manifest.products, 15, "one in, one out");
    let vectors = manifest.vectors.as_ref().unwrap();
    assert_eq!(vectors.count, 15);
    assert_eq!(
        vectors.embedded, 2,
        "the new product and the renamed one only"
    );

    let delta = search::Engine::open_with(
        Catalog::open(&built.db()).unwrap(),
        &built.index_dir(),
        Some(embedder.clone()),
    )
    .unwrap();
    let whole_dir = tempfile::tempdir().unwrap();
    search::reindex(
        &catalog,
        whole_dir.path(),
        Some(embedder.as_ref()),
        &ReindexOptions::default(),
    )
    .unwrap();
    let whole = search::Engine::open_with(
        Catalog::open(&built.db()).unwrap(),
        whole_dir.path(),
        Some(embedder.clone()),
    )
    .unwrap();
    for q in [
        "",
        "canapé",
        "bergen",
        "zephyr",
        "lampe",
        "ocre",
        "velours bleu",
        "nora",
    ] {
        assert_eq!(answer(&delta, q), answer(&whole, q), "{q:?}");
    }
    assert!(answer(&delta, "zephyr").1.contains(&"p40".to_owned()));
    assert!(!answer(&delta, "").1.contains(&"p05".to_owned()));
    let p07 = |e: &search::Engine| {
        e.search(&SearchRequest {
            q: String::new(),
            limit: 100,
            ..Default::default()
        })
        .unwrap()
        .hits
        .into_iter()
        .find(|h| h.id == "p07")
        .map(|h| (h.rating, h.price, h.in_stock))
    };
    assert_eq!(p07(&delta), p07(&whole));
    for anchor in ["p01", "p02", "p40"] {
        let similar = |e: &search::Engine| {
            let mut ids: Vec<String> = e
                .similar(&search::SimilarRequest {
                    id_or_slug: anchor.to_owned(),
                    limit: 10,
                    filters: Default::default(),
                    same_category: false,
                })
                .unwrap()
                .hits
                .into_iter()
                .map(|h| h.id)
                .collect();
            ids.sort();
            ids
        };
        assert_eq!(similar(&delta), similar(&whole), "similar to {anchor}");
    }
}

#[test]
fn instant_answers_are_cached_per_generation() {
    let built = common::build("mini");
    let uncached = search::Engine::open(Catalog::open(&built.db()).unwrap(), &built.index_dir())
        .unwrap()
        .with_result_cache(0);
    let instant = |engine: &search::Engine, q: &str| {
        let mut r = engine
            .search(&SearchRequest {
                q: q.into(),
                mode: search::Mode::Instant,
                facets: vec!["*".into()],
                ..Default::default()
            })
            .unwrap();
        // Timings aside.
        r.processing_time_ms = 0;
        if let Some(parsed) = &mut r.parsed_query {
            parsed.parse_time_ms = 0.0;
        }
        r
    };
    // The same answer from the cache as from a search, the first time and the second.
    for q in ["canapé", "cana", "zephyr"] {
        let searched = instant(&uncached, q);
        assert_eq!(instant(&built.engine, q), searched, "{q}");
        assert_eq!(instant(&built.engine, q), searched, "{q}, cached");
    }
    assert!(instant(&built.engine, "zephyr").hits.is_empty());

    // A new generation: the cached answers of the old one are never served again.
    let db = rusqlite::Connection::open(built.db()).unwrap();
    db.execute(
        "UPDATE products SET name = 'Canapé Zephyr' WHERE id = 'p02'",
        [],
    )
    .unwrap();
    reindex(&built);
    assert!(built.engine.reload().unwrap());
    assert!(uncached.reload().unwrap());
    assert_eq!(instant(&built.engine, "zephyr").hits[0].id, "p02");
    for q in ["canapé", "cana", "zephyr"] {
        assert_eq!(instant(&built.engine, q), instant(&uncached, q), "{q}");
    }
}
