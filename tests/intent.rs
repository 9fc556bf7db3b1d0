//! Query understanding on the demo catalog: the parsed intent becomes filters and boosts, the
//! request's own filters win, and a parsed attribute filter that leaves nothing is relaxed.

mod common;

use vivr_search::search::{Applied, ConstraintKind, Facet, Filters, SearchRequest, SearchResponse};

use common::demo;

fn search(request: SearchRequest) -> SearchResponse {
    demo().engine.search(&request).unwrap()
}

fn q(query: &str) -> SearchResponse {
    page(query, 20)
}

fn page(query: &str, limit: i64) -> SearchResponse {
    search(SearchRequest {
        q: query.to_owned(),
        mode: vivr_search::search::Mode::Instant,
        limit,
        ..Default::default()
    })
}

/// A product's values of an attribute facet, from the replica.
fn attribute(id: &str, facet: &str) -> Vec<String> {
    let product = demo().engine.product(id).unwrap().product;
    product
        .attribute_values(facet)
        .into_iter()
        .map(str::to_owned)
        .collect()
}

/// Whether a hit's category is `slug` or below it.
fn under(response: &SearchResponse, slug: &str) -> bool {
    response.hits.iter().all(|h| {
        let detail = demo().engine.product(&h.id).unwrap();
        detail.category_path.iter().any(|c| c.slug == slug)
    })
}

#[test]
fn lampe_moderne_moins_de_200_euros() {
    // A page of 5: enough modern lamps under 200 € to fill it, the style filters.
    let r = page("lampe moderne moins de 200 euros", 5);
    let parsed = r.parsed_query.as_ref().expect("parsed");
    assert_eq!(parsed.filters.category.as_deref(), Some("luminaires"));
    assert_eq!(parsed.filters.max_price, Some(200.0));
    assert_eq!(parsed.filters.attributes["style"], ["moderne"]);
    assert_eq!(parsed.free_text, "");
    assert_eq!(parsed.search_text, "lampe");
    assert_eq!(r.hits.len(), 5);
    assert!(under(&r, "luminaires"));
    for hit in &r.hits {
        assert!(hit.price <= 200.0, "{} at {}", hit.name, hit.price);
        assert!(attribute(&hit.id, "style").contains(&"moderne".to_owned()));
    }
    assert!(r.hits[0].name.starts_with("Lampe"), "{}", r.hits[0].name);
    let labels: Vec<&str> = parsed.understood.iter().map(|u| u.label.as_str()).collect();
    assert_eq!(labels, ["Luminaires", "style moderne", "moins de 200 €"]);
    // A page of 100 is more than the modern lamps: the style becomes a boost, other lamps fill
    // the page below the modern ones; category and price still hold.
    let r = page("lampe moderne moins de 200 euros", 100);
    let parsed = r.parsed_query.as_ref().unwrap();
    assert_eq!(parsed.relaxed, ["style: moderne"]);
    assert!(r.hits.iter().all(|h| h.price <= 200.0) && under(&r, "luminaires"));
    let modern = |h: &vivr_search::search::SearchHit| {
        attribute(&h.id, "style").contains(&"moderne".to_owned())
    };
    assert!(modern(&r.hits[0]));
    assert!(r.hits.iter().any(|h| !modern(h)));
}

#[test]
fn canape_confortable_pour_petit_salon() {
    let r = q("canape confortable pour petit salon");
    let parsed = r.parsed_query.as_ref().unwrap();
    assert_eq!(parsed.product_type.as_deref(), Some("canapé"));
    assert_eq!(parsed.filters.category.as_deref(), Some("canapes"));
    assert!(!r.hits.is_empty());
    assert!(under(&r, "canapes"));
    let room = parsed
        .understood
        .iter()
        .find(|u| u.kind == ConstraintKind::Attribute(Facet::Room))
        .unwrap();
    assert_eq!(
        (room.value.as_str(), room.applied),
        ("salon", Applied::Boost)
    );
    assert!(
        parsed
            .understood
            .iter()
            .any(|u| u.kind == ConstraintKind::Size)
    );
    // No sofa says "confortable": the free word is dropped, the named type stays.
    assert_eq!(r.dropped_words, ["confortable"]);
}

#[test]
fn decoration_murale_boheme() {
    let r = page("decoration murale boheme", 3);
    let parsed = r.parsed_query.as_ref().unwrap();
    assert_eq!(parsed.filters.category.as_deref(), Some("decoration"));
    assert_eq!(parsed.filters.attributes["style"], ["bohème"]);
    assert_eq!(parsed.free_text, "murale");
    assert_eq!(r.hits.len(), 3);
    assert!(under(&r, "decoration"));
    for hit in &r.hits {
        assert!(attribute(&hit.id, "style").contains(&"bohème".to_owned()));
    }
}

#[test]
fn pas_cher_is_the_cheapest_third_of_the_type() {
    let all_rugs = search(SearchRequest {
        filters: Filters {
            category: Some("tapis".into()),
            ..Default::default()
        },
        limit: 100,
        ..Default::default()
    });
    let mut prices: Vec<f64> = all_rugs.hits.iter().map(|h| h.price).collect();
    prices.sort_by(f64::total_cmp);
    let r = q("tapis pas cher");
    let max = r.parsed_query.as_ref().unwrap().filters.max_price.unwrap();
    let i = ((prices.len() - 1) as f64 / 3.0).round() as usize;
    assert!((max - prices[i]).abs() < 0.01, "{max} vs {}", prices[i]);
    assert!(!r.hits.is_empty() && r.hits.iter().all(|h| h.price <= max));
    let r = q("tapis haut de gamme");
    let min = r.parsed_query.as_ref().unwrap().filters.min_price.unwrap();
    assert!(min > max && r.hits.iter().all(|h| h.price >= min));
}

#[test]
fn an_attribute_filter_that_leaves_nothing_is_relaxed() {
    // Garlands are never made of marble: the material becomes a boost, the answer is not empty.
    let r = q("guirlande marbre");
    let parsed = r.parsed_query.as_ref().unwrap();
    assert_eq!(parsed.relaxed, ["material: marbre"]);
    assert!(parsed.filters.attributes.is_empty());
    assert!(!r.hits.is_empty());
    assert!(under(&r, "guirlandes"));
}

#[test]
fn the_request_filters_win() {
    let r = search(SearchRequest {
        q: "canapé moins de 500 euros".into(),
        filters: Filters {
            max_price: Some(1000.0),
            ..Default::default()
        },
        mode: vivr_search::search::Mode::Instant,
        limit: 100,
        ..Default::default()
    });
    let parsed = r.parsed_query.as_ref().unwrap();
    let max = parsed
        .understood
        .iter()
        .find(|u| u.kind == ConstraintKind::MaxPrice)
        .unwrap();
    assert_eq!(max.applied, Applied::Ignored);
    assert!(r.hits.iter().any(|h| h.price > 500.0));
    assert!(r.hits.iter().all(|h| h.price <= 1000.0));
}

#[test]
fn boosts_rank_matching_products_first() {
    // Cushions are for the living room or the bedroom; "salon" is a boost, not a filter.
    let r = q("coussin salon");
    let parsed = r.parsed_query.as_ref().unwrap();
    assert!(parsed.filters.attributes.is_empty());
    let rooms: Vec<bool> = r
        .hits
        .iter()
        .map(|h| attribute(&h.id, "room").contains(&"salon".to_owned()))
        .collect();
    let first_other = rooms.iter().position(|salon| !salon);
    if let Some(first_other) = first_other {
        assert!(
            rooms[first_other..].iter().all(|salon| !salon),
            "living-room cushions first: {rooms:?}"
        );
    }
    assert!(rooms[0], "{rooms:?}");
}

#[test]
fn typos_in_constraint_words_and_highlights() {
    let r = q("lampadiare scandinve");
    let parsed = r.parsed_query.as_ref().unwrap();
    assert_eq!(parsed.filters.category.as_deref(), Some("lampadaires"));
    assert!(parsed.understood.iter().all(|u| u.typo));
    // A typo'd attribute is a guess: it ranks, it does not exclude.
    assert!(parsed.filters.attributes.is_empty());
    let style = parsed
        .understood
        .iter()
        .find(|u| u.kind == ConstraintKind::Attribute(Facet::Style))
        .unwrap();
    assert_eq!(
        (style.value.as_str(), style.applied),
        ("scandinave", Applied::Boost)
    );
    assert!(!r.hits.is_empty());
    // The words that carried a constraint are highlighted.
    let r = q("canapé velours");
    let formatted = r.hits[0].formatted.as_ref().unwrap();
    assert!(
        formatted.name.contains("<mark>Canapé</mark>"),
        "{}",
        formatted.name
    );
}

#[test]
fn intent_off_searches_the_words_as_typed() {
    let r = search(SearchRequest {
        q: "lampe moins de 200 euros".into(),
        intent: false,
        mode: vivr_search::search::Mode::Instant,
        ..Default::default()
    });
    assert!(r.parsed_query.is_none());
    assert!(!r.dropped_words.is_empty());
}

#[test]
fn small_and_large_rank_by_size_within_the_type() {
    let footprint = |id: &str| {
        demo()
            .engine
            .product(id)
            .unwrap()
            .product
            .footprint()
            .unwrap()
    };
    let mean_top = |query: &str| {
        let r = q(query);
        let parsed = r.parsed_query.as_ref().unwrap();
        assert!(
            parsed
                .understood
                .iter()
                .any(|u| u.kind == ConstraintKind::Size && u.applied == Applied::Boost),
            "{query}: {parsed:?}"
        );
        let top: Vec<f64> = r.hits.iter().take(10).map(|h| footprint(&h.id)).collect();
        top.iter().sum::<f64>() / top.len() as f64
    };
    let (small, large) = (mean_top("petit tapis"), mean_top("grand tapis"));
    assert!(
        small * 2.0 < large,
        "small rugs {small} cm², large rugs {large} cm²"
    );
}

#[test]
fn a_name_typed_in_full_finds_its_product_first_though_a_word_reads_as_a_colour() {
    // "Blanche" is this table's name and also reads as the colour white; the table is made of
    // oak but is not white. The words the intent read as attributes still count in names.
    let name = "Table basse rectangulaire Blanche en chêne";
    assert!(!attribute("prod_0001977", "color").contains(&"blanc".to_owned()));
    let r = q(name);
    assert_eq!(
        r.hits[0].name,
        name,
        "{:?}",
        r.hits.iter().map(|h| &h.name).collect::<Vec<_>>()
    );
}
