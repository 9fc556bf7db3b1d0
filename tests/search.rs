//! Search behaviour on the small fixture catalog (`tests/fixtures/mini`).

mod common;

use std::collections::BTreeMap;

use vivr_search::search::{Filters, Sort};
use vivr_search::search::{SearchRequest, SearchResponse};

fn search(built: &common::Built, request: SearchRequest) -> SearchResponse {
    built.engine.search(&request).unwrap()
}

fn q(built: &common::Built, query: &str) -> SearchResponse {
    search(
        built,
        SearchRequest {
            q: query.to_owned(),
            ..Default::default()
        },
    )
}

/// A search of the words as typed, without intent parsing (the lexical tiers alone).
fn words(built: &common::Built, query: &str) -> SearchResponse {
    search(
        built,
        SearchRequest {
            q: query.to_owned(),
            intent: false,
            ..Default::default()
        },
    )
}

fn ids(response: &SearchResponse) -> Vec<&str> {
    response.hits.iter().map(|h| h.id.as_str()).collect()
}

#[test]
fn typos_and_missing_accents_find_canape() {
    let built = common::build("mini");
    for query in ["canapé", "canape", "canpé", "CANAPÉ", "cnapé"] {
        let r = q(&built, query);
        let top: Vec<&str> = ids(&r).into_iter().take(2).collect();
        assert!(
            top.contains(&"p01") && top.contains(&"p02"),
            "{query}: {:?}",
            ids(&r)
        );
        assert!(r.dropped_words.is_empty());
    }
}

#[test]
fn plurals_and_elisions() {
    let built = common::build("mini");
    let lampes = q(&built, "lampes");
    for id in ["p03", "p04", "p14"] {
        assert!(ids(&lampes).contains(&id), "lampes → {:?}", ids(&lampes));
    }
    let applique = q(&built, "l'applique");
    assert_eq!(ids(&applique).first(), Some(&"p05"), "{:?}", ids(&applique));
    let typographic = q(&built, "l’applique murale");
    assert_eq!(ids(&typographic).first(), Some(&"p05"));
}

#[test]
fn an_exact_match_outranks_a_typo_match() {
    let built = common::build("mini");
    let r = search(
        &built,
        SearchRequest {
            q: "lampe".into(),
            explain: true,
            ..Default::default()
        },
    );
    let rampe = ids(&r)
        .iter()
        .position(|id| *id == "p06")
        .expect("Rampe matches by typo");
    for lamp in ["p03", "p04"] {
        let pos = ids(&r).iter().position(|id| *id == lamp).unwrap();
        assert!(
            pos < rampe,
            "{lamp} at {pos} should outrank the typo match at {rampe}: {:?}",
            ids(&r)
        );
    }
    let details = r.hits[rampe].ranking_score_details.as_ref().unwrap();
    assert_eq!(format!("{:?}", details.words[0].tier), "Some(Typo)");
}

#[test]
fn words_with_digits_are_not_fuzzed() {
    let built = common::build("mini");
    let r = words(&built, "160x200");
    assert_eq!(
        ids(&r),
        ["p07"],
        "140x200 and 160x220 are one edit away but must not match"
    );
}

#[test]
fn an_unknown_word_is_dropped_and_reported() {
    let built = common::build("mini");
    let r = words(&built, "canapé zorglub velours");
    assert_eq!(r.dropped_words, ["zorglub"]);
    assert_eq!(ids(&r).first(), Some(&"p01"));
    let r = q(&built, "zorglub");
    assert!(r.hits.is_empty() && r.dropped_words.is_empty());
}

#[test]
fn the_word_with_fewest_matches_is_dropped_first() {
    let built = common::build("mini");
    // "extra" matches nothing, "chevet" one product, "velours" two, "blanc" four; no product
    // has two of them, so the words go rarest first until one is left.
    let r = words(&built, "velours blanc chevet extra");
    assert_eq!(r.dropped_words, ["extra", "chevet", "velours"]);
    assert_eq!(r.estimated_total_hits, 4);
}

#[test]
fn a_thin_answer_is_followed_by_the_products_missing_its_rarest_word() {
    let built = common::build("mini");
    // Only p04 is "Lampe … Lumio"; fewer than a page, so "lumio" (the rarest word) becomes
    // optional: p04 first, then the other lamps ("rampe" is one edit from "lampe"). Nothing is
    // reported dropped.
    let r = words(&built, "lampe lumio");
    assert_eq!(ids(&r).first(), Some(&"p04"), "{:?}", ids(&r));
    let mut rest: Vec<&str> = ids(&r)[1..].to_vec();
    rest.sort_unstable();
    assert_eq!(rest, ["p03", "p06", "p14"]);
    assert_eq!(r.estimated_total_hits, 4);
    assert!(r.dropped_words.is_empty(), "{:?}", r.dropped_words);
}

#[test]
fn filters_and_sorts_are_correct() {
    let built = common::build("mini");
    let all = |filters: Filters, sort: Sort| {
        search(
            &built,
            SearchRequest {
                filters,
                sort,
                limit: 100,
                ..Default::default()
            },
        )
    };
    let r = all(
        Filters {
            category: Some("luminaires".into()),
            ..Default::default()
        },
        Sort::PriceAsc,
    );
    assert_eq!(
        ids(&r),
        ["p14", "p06", "p05", "p03", "p04"],
        "subcategories included, cheapest first"
    );
    let prices: Vec<f64> = r.hits.iter().map(|h| h.price).collect();
    assert!(prices.windows(2).all(|w| w[0] <= w[1]));

    let r = all(
        Filters {
            min_price: Some(50.0),
            max_price: Some(130.0),
            ..Default::default()
        },
        Sort::PriceDesc,
    );
    assert!(r.hits.iter().all(|h| (50.0..=130.0).contains(&h.price)));
    assert_eq!(r.estimated_total_hits, 6);
    assert!(r.hits.windows(2).all(|w| w[0].price >= w[1].price));

    let r = all(
        Filters {
            in_stock: Some(true),
            ..Default::default()
        },
        Sort::Relevance,
    );
    assert_eq!(r.estimated_total_hits, 13);
    assert!(r.hits.iter().all(|h| h.in_stock));
    let r = all(
        Filters {
            featured: Some(true),
            ..Default::default()
        },
        Sort::Relevance,
    );
    let mut featured = ids(&r);
    featured.sort();
    assert_eq!(featured, ["p01", "p04"]);

    let attrs = BTreeMap::from([
        ("color".to_owned(), vec!["Blanc".to_owned()]),
        (
            "room".to_owned(),
            vec!["salon".to_owned(), "cuisine".to_owned()],
        ),
    ]);
    let r = all(
        Filters {
            attributes: attrs,
            ..Default::default()
        },
        Sort::Relevance,
    );
    let mut white = ids(&r);
    white.sort();
    assert_eq!(white, ["p04", "p06"]);

    let r = all(
        Filters {
            category: Some("no-such-category".into()),
            ..Default::default()
        },
        Sort::Relevance,
    );
    assert_eq!(r.estimated_total_hits, 0);

    let r = all(Filters::default(), Sort::Rating);
    assert_eq!(ids(&r)[..2], ["p03", "p01"]);
    let r = all(Filters::default(), Sort::Popular);
    let mut best_sellers = ids(&r)[..3].to_vec();
    best_sellers.sort();
    assert_eq!(
        best_sellers,
        ["p01", "p03", "p15"],
        "two units sold each, every other product none"
    );
    let r = all(Filters::default(), Sort::Newest);
    assert_eq!(ids(&r)[0], "p09", "created on the 9th, the latest date");
}

#[test]
fn facet_counts_equal_the_matching_products() {
    let built = common::build("mini");
    let r = search(
        &built,
        SearchRequest {
            q: "lampe".into(),
            facets: vec!["*".into()],
            limit: 100,
            ..Default::default()
        },
    );
    let facets = r.facet_distribution.as_ref().unwrap();
    let total = r.estimated_total_hits as u64;
    assert_eq!(
        facets["category"]["luminaires"], total,
        "every match is under Luminaires"
    );
    let lampes = r
        .hits
        .iter()
        .filter(|h| h.category.slug == "lampes")
        .count() as u64;
    assert_eq!(facets["category"]["lampes"], lampes);
    for (facet, counts) in facets.iter().filter(|(f, _)| *f != "category") {
        for (value, n) in counts {
            let filtered = search(
                &built,
                SearchRequest {
                    q: "lampe".into(),
                    filters: Filters {
                        attributes: BTreeMap::from([(facet.clone(), vec![value.clone()])]),
                        ..Default::default()
                    },
                    limit: 100,
                    ..Default::default()
                },
            );
            assert_eq!(filtered.estimated_total_hits as u64, *n, "{facet}={value}");
        }
    }
    let stats = r.facet_stats.as_ref().unwrap()["price"];
    let prices: Vec<f64> = r.hits.iter().map(|h| h.price).collect();
    assert_eq!(stats.min, prices.iter().cloned().fold(f64::MAX, f64::min));
    assert_eq!(stats.max, prices.iter().cloned().fold(0.0, f64::max));
}

#[test]
fn pagination_totals_are_exact() {
    let built = common::build("mini");
    let page = |offset| {
        search(
            &built,
            SearchRequest {
                offset,
                limit: 4,
                sort: Sort::PriceAsc,
                ..Default::default()
            },
        )
    };
    let mut seen = Vec::new();
    for offset in [0, 4, 8, 12] {
        let r = page(offset);
        assert_eq!(r.estimated_total_hits, 15);
        seen.extend(r.hits.into_iter().map(|h| h.id));
    }
    assert_eq!(seen.len(), 15);
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 15, "pages do not overlap");
    assert!(page(20).hits.is_empty());
}

#[test]
fn highlights_mark_matched_words() {
    let built = common::build("mini");
    let r = q(&built, "canpé velours");
    let first = &r.hits[0];
    assert_eq!(first.id, "p01");
    let formatted = first.formatted.as_ref().unwrap();
    assert_eq!(
        formatted.name,
        "<mark>Canapé</mark> d'angle Oslo en <mark>velours</mark>"
    );
    let r = q(&built, "sofa");
    assert!(
        r.hits[0]
            .formatted
            .as_ref()
            .unwrap()
            .description
            .contains("<mark>sofa</mark>")
    );
}

#[test]
fn bad_requests_are_errors() {
    let built = common::build("mini");
    let bad = [
        SearchRequest {
            q: "a".repeat(513),
            ..Default::default()
        },
        SearchRequest {
            q: "lampe\u{7}".into(),
            ..Default::default()
        },
        SearchRequest {
            limit: 101,
            ..Default::default()
        },
        SearchRequest {
            offset: -1,
            ..Default::default()
        },
        SearchRequest {
            filters: Filters {
                min_price: Some(10.0),
                max_price: Some(5.0),
                ..Default::default()
            },
            ..Default::default()
        },
        SearchRequest {
            facets: vec!["weight".into()],
            ..Default::default()
        },
    ];
    for request in bad {
        assert!(built.engine.search(&request).is_err(), "{request:?}");
    }
}

#[test]
fn facets_with_more_values_than_a_bitmask_holds_are_counted_exactly() {
    // 80 colours: beyond the 64 values counted from bitmask columns.
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("export");
    std::fs::create_dir_all(&export).unwrap();
    common::write(
        &export,
        "categories.ndjson",
        &[r#"{"id":"c","slug":"deco","name":"Décoration"}"#],
    );
    let lines: Vec<String> = (0..160)
        .map(|i| {
            format!(
                r#"{{"id":"p{i}","slug":"vase-{i}","name":"Vase {i}","price":{},"stock":1,"categoryId":"c","attributes":{{"color":["teinte{}","blanc"]}},"createdAt":"2026-01-01T00:00:00Z","updatedAt":"2026-01-01T00:00:00Z"}}"#,
                10 + i,
                i % 80
            )
        })
        .collect();
    common::write(
        &export,
        "products.ndjson",
        &lines.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let built = common::build_export(dir, &export, None);
    let r = built
        .engine
        .search(&SearchRequest {
            q: "vase".into(),
            facets: vec!["color".into()],
            ..Default::default()
        })
        .unwrap();
    let colors = &r.facet_distribution.as_ref().unwrap()["color"];
    assert_eq!(colors.len(), 81);
    assert_eq!(colors["blanc"], 160);
    assert!(
        colors
            .iter()
            .filter(|(k, _)| *k != "blanc")
            .all(|(_, n)| *n == 2),
        "{colors:?}"
    );
    let filtered = built
        .engine
        .search(&SearchRequest {
            filters: Filters {
                attributes: BTreeMap::from([("color".to_owned(), vec!["teinte79".to_owned()])]),
                ..Default::default()
            },
            ..Default::default()
        })
        .unwrap();
    assert_eq!(filtered.estimated_total_hits, 2);
}

#[test]
fn a_word_misspelt_beyond_its_budget_is_corrected_before_it_is_dropped() {
    let built = common::build("mini");
    // "apliqe" is 2 edits from "applique" in 6 letters (budget 1): one more edit is tried
    // before the word is dropped, so "murale" alone does not answer: the applique comes first,
    // the other "murale" product after it (a thin answer lists what misses its rarest word).
    let r = words(&built, "apliqe murale");
    assert_eq!(ids(&r), ["p05", "p13"]);
    assert!(r.dropped_words.is_empty(), "{:?}", r.dropped_words);
    // A single word that matches nothing within its budget gets the same second chance:
    // "cnapeé" is 2 edits from "canape" in 6 letters.
    let r = words(&built, "cnapeé");
    assert_eq!(ids(&r).first(), Some(&"p01"), "{:?}", ids(&r));
}
