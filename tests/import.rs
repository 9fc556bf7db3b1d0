//! Import of the export format into the replica (`catalog-format.md`).

mod common;

use vivr_search::catalog::{Catalog, ImportOptions};

fn open(dir: &tempfile::TempDir) -> Catalog {
    Catalog::open(&dir.path().join("catalog.db")).unwrap()
}

fn product_line(id: &str, slug: &str, extra: &str) -> String {
    format!(
        r#"{{"id":"{id}","slug":"{slug}","name":"Produit {id}","price":10.5,"stock":1,"categoryId":"c-deco","createdAt":"2026-01-01T00:00:00Z","updatedAt":"2026-01-01T00:00:00Z"{extra}}}"#
    )
}

#[test]
fn imports_the_fixture_and_reimport_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = open(&dir);
    let report = catalog
        .import(&common::fixture("mini"), ImportOptions::default())
        .unwrap();
    assert!(
        report.committed && report.rejects.is_empty(),
        "{:?}",
        report.rejects
    );
    assert_eq!(report.categories.inserted, 11);
    assert_eq!(report.products.inserted, 15);
    assert_eq!(
        (
            report.reviews.inserted,
            report.orders.inserted,
            report.wishlists.inserted
        ),
        (5, 3, 1)
    );

    let canape = catalog.product("p01").unwrap().unwrap();
    assert_eq!(canape.rating, Some(4.5));
    assert_eq!(canape.review_count, 2);
    assert!(
        canape.description.unwrap().contains("<b>"),
        "HTML is kept as stored"
    );
    assert_eq!(
        catalog
            .product("lampe-de-chevet-alba-en-laiton")
            .unwrap()
            .unwrap()
            .id,
        "p03"
    );

    let again = catalog
        .import(&common::fixture("mini"), ImportOptions::default())
        .unwrap();
    assert!(!again.changed(), "{}", again.summary());
    assert_eq!(again.products.unchanged, 15);
    assert_eq!(again.orders.unchanged, 3);
    assert_eq!(catalog.watermark().unwrap().import_seq, 1);
}

#[test]
fn bad_lines_are_rejected_with_their_reason_and_good_lines_imported() {
    let dir = tempfile::tempdir().unwrap();
    let export = common::copy_fixture("mini", dir.path());
    let good_extra = r#","unknownField":{"kept":true}"#;
    let bad: Vec<(String, &str)> = vec![
        ("{not json".to_owned(), "invalid JSON"),
        (r#"{"id":"x1","slug":"x1","price":1,"stock":1,"categoryId":"c-deco","createdAt":"2026-01-01T00:00:00Z","updatedAt":"2026-01-01T00:00:00Z"}"#.to_owned(), "name: required"),
        (product_line("x2", "x2", "").replace("10.5", "-3"), "price: expected a number >= 0"),
        (product_line("x3", "x3", "").replace("10.5", "10.555"), "at most two decimals"),
        (product_line("x4", "x4", "").replace("c-deco", "c-nowhere"), "categoryId: \"c-nowhere\" names no category"),
        (product_line("x5", "miroir-rond-solene", ""), "slug: \"miroir-rond-solene\" is already used by product \"p12\" in this export"),
        (product_line("x6", "x6", "").replace("2026-01-01T00:00:00Z\",\"updatedAt", "hier\",\"updatedAt"), "createdAt: \"hier\" is not an RFC 3339"),
        (product_line("x7", "x7", "").replace("\"stock\":1", "\"stock\":1.5"), "stock: expected an integer"),
        (product_line("x8", "x8", r#","attributes":{"color":"rouge"}"#), "attributes.color: expected an array of strings"),
        (product_line("x9", "x9", "").replace("Produit x9", &"a".repeat(301)), "name: longer than 300"),
        (product_line("x10", "good-one", ""), "slug: \"good-one\" is already used by product \"g1\" in this export"),
    ];
    let mut lines: Vec<String> = vec![product_line("g1", "good-one", good_extra)];
    lines.extend(bad.iter().map(|(l, _)| l.clone()));
    lines.push(product_line("g2", "good-two", ""));
    common::append(
        &export,
        "products.ndjson",
        &lines.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    common::append(
        &export,
        "categories.ndjson",
        &[
            r#"{"id":"c-bad","slug":"Pas Un Slug","name":"Mauvais"}"#,
            r#"{"id":"c-orphan","slug":"orphelin","name":"Orphelin","parentId":"c-missing"}"#,
        ],
    );
    common::append(
        &export,
        "reviews.ndjson",
        &[r#"{"id":"rbad","productId":"p01","rating":6,"createdAt":"2026-02-01T10:00:00Z"}"#],
    );

    let catalog = open(&dir);
    let report = catalog.import(&export, ImportOptions::default()).unwrap();
    assert!(report.committed);
    assert_eq!(report.products.inserted, 15 + 2, "{:?}", report.rejects);
    assert_eq!(report.products.rejected, bad.len() as u64);

    let product_rejects: Vec<_> = report
        .rejects
        .iter()
        .filter(|r| r.file == "products.ndjson")
        .collect();
    assert_eq!(product_rejects.len(), bad.len());
    for (i, (reject, (_, reason))) in product_rejects.iter().zip(&bad).enumerate() {
        assert_eq!(reject.line, 15 + 2 + i, "line number of {reason}");
        assert!(
            reject.reason.contains(reason),
            "line {}: {:?} should contain {reason:?}",
            reject.line,
            reject.reason
        );
    }
    let category_rejects: Vec<_> = report
        .rejects
        .iter()
        .filter(|r| r.file == "categories.ndjson")
        .collect();
    assert_eq!(category_rejects.len(), 2);
    assert!(category_rejects[0].reason.contains("must match [a-z0-9-]+"));
    assert!(
        category_rejects[1]
            .reason
            .contains("parentId: \"c-missing\" names no category")
    );
    let review_reject = report
        .rejects
        .iter()
        .find(|r| r.file == "reviews.ndjson")
        .unwrap();
    assert_eq!(
        (review_reject.line, review_reject.reason.as_str()),
        (6, "rating: 6 is outside 1..=5")
    );

    assert!(catalog.product("g1").unwrap().is_some() && catalog.product("g2").unwrap().is_some());
    assert!(catalog.product("x5").unwrap().is_none());
    let db = rusqlite::Connection::open(dir.path().join("catalog.db")).unwrap();
    let extra: String = db
        .query_row("SELECT extra FROM products WHERE id = 'g1'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(
        extra, r#"{"unknownField":{"kept":true}}"#,
        "unknown fields are kept"
    );
}

#[test]
fn a_bad_export_loses_nothing_already_stored() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = open(&dir);
    catalog
        .import(&common::fixture("mini"), ImportOptions::default())
        .unwrap();
    let export = dir.path().join("bad");
    std::fs::create_dir_all(&export).unwrap();
    std::fs::copy(
        common::fixture("mini/categories.ndjson"),
        export.join("categories.ndjson"),
    )
    .unwrap();
    // p03 comes back with a negative price, p04 with garbage: both must stay as stored.
    common::write(
        &export,
        "products.ndjson",
        &[
            &product_line("p03", "lampe-de-chevet-alba-en-laiton", "").replace("10.5", "-1"),
            "][",
            &product_line("x1", "lampe-a-poser-lumio", ""),
        ],
    );
    let full = catalog
        .import(
            &export,
            ImportOptions {
                full: true,
                strict: false,
            },
        )
        .unwrap();
    assert_eq!(full.products.rejected, 3);
    assert!(
        full.rejects[2]
            .reason
            .contains("already used by stored product \"p04\""),
        "{:?}",
        full.rejects
    );
    assert_eq!(
        full.products.deleted, 0,
        "an unreadable line holds --full back"
    );
    assert!(full.full_skipped.is_some());
    let p03 = catalog.product("p03").unwrap().unwrap();
    assert_eq!(p03.price, 89.0);
    assert_eq!(catalog.product_count().unwrap(), 15);
}

#[test]
fn strict_rejects_the_whole_import() {
    let dir = tempfile::tempdir().unwrap();
    let export = common::copy_fixture("mini", dir.path());
    common::append(&export, "products.ndjson", &["{broken"]);
    let catalog = open(&dir);
    let report = catalog
        .import(
            &export,
            ImportOptions {
                full: false,
                strict: true,
            },
        )
        .unwrap();
    assert!(!report.committed);
    assert_eq!(report.rejects.len(), 1);
    assert_eq!(catalog.product_count().unwrap(), 0);
    assert!(catalog.category_tree().unwrap().all().is_empty());
}

#[test]
fn tombstones_and_full_snapshots_remove_products() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = open(&dir);
    catalog
        .import(&common::fixture("mini"), ImportOptions::default())
        .unwrap();

    let export = dir.path().join("delta");
    std::fs::create_dir_all(&export).unwrap();
    common::write(&export, "categories.ndjson", &[]);
    common::write(
        &export,
        "products.ndjson",
        &[r#"{"id":"p01","deleted":true}"#],
    );
    let report = catalog.import(&export, ImportOptions::default()).unwrap();
    assert_eq!(report.products.deleted, 1);
    assert!(catalog.product("p01").unwrap().is_none());
    assert_eq!(catalog.product_count().unwrap(), 14);

    // A full snapshot with two products removes the twelve others.
    let kept = std::fs::read_to_string(common::fixture("mini/products.ndjson")).unwrap();
    let lines: Vec<&str> = kept
        .lines()
        .filter(|l| l.contains("\"p03\"") || l.contains("\"p04\""))
        .collect();
    common::write(&export, "products.ndjson", &lines);
    let report = catalog
        .import(
            &export,
            ImportOptions {
                full: true,
                strict: false,
            },
        )
        .unwrap();
    assert_eq!(report.products.deleted, 12);
    assert_eq!(report.products.unchanged, 2);
    assert_eq!(catalog.product_count().unwrap(), 2);
}

#[test]
fn a_missing_required_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = open(&dir);
    let err = catalog
        .import(dir.path(), ImportOptions::default())
        .unwrap_err();
    assert!(err.to_string().contains("categories.ndjson"), "{err}");
}

#[test]
fn a_repeated_id_and_control_characters_in_names_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let export = common::copy_fixture("mini", dir.path());
    common::append(
        &export,
        "products.ndjson",
        &[
            &product_line("g1", "first", ""),
            &product_line("g1", "second", ""),
            &product_line("x1", "x1", "").replace("Produit x1", "Produit\\u0007x1"),
            &product_line("x2", "x2", "").replace("Produit x2", "Produit\\nx2"),
        ],
    );
    common::append(
        &export,
        "categories.ndjson",
        &[
            r#"{"id":"c-deco","slug":"deco-bis","name":"Déco bis"}"#,
            r#"{"id":"c-esc","slug":"esc","name":"Esc\u001b[31m"}"#,
        ],
    );
    let catalog = open(&dir);
    let report = catalog.import(&export, ImportOptions::default()).unwrap();
    let reasons: Vec<(&str, usize, &str)> = report
        .rejects
        .iter()
        .map(|r| (r.file.as_str(), r.line, r.reason.as_str()))
        .collect();
    let has = |file: &str, needle: &str| {
        reasons
            .iter()
            .any(|(f, _, reason)| *f == file && reason.contains(needle))
    };
    assert!(
        has(
            "products.ndjson",
            "id: \"g1\" is already on line 16 of this export"
        ),
        "{reasons:?}"
    );
    assert!(
        has(
            "products.ndjson",
            "name: contains a control character (U+0007)"
        ),
        "{reasons:?}"
    );
    assert!(
        has(
            "products.ndjson",
            "name: contains a control character (U+000A)"
        ),
        "{reasons:?}"
    );
    assert!(
        has("categories.ndjson", "id: \"c-deco\" is already on line"),
        "{reasons:?}"
    );
    assert!(has("categories.ndjson", "U+001B"), "{reasons:?}");
    // The first line of a repeated id is the one kept.
    assert_eq!(catalog.product("g1").unwrap().unwrap().slug, "first");
    assert!(catalog.product("x1").unwrap().is_none());
}
