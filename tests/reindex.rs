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
