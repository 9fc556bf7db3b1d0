//! Recommendations on the mini fixture with orders written here, so the baskets each test
//! relies on sit next to it. The semantic parts use the real model (tools/install-models.sh).

mod common;

use vivr_search::recommend::{
    self, Context, Kind, ReasonCode, RecommendError, RecommendRequest, RecommendResponse,
};
use vivr_search::search::Filters;
use vivr_search::search::{Engine, SearchError};

/// One order line: (id, user, day in June 2026 or April when 0, products).
fn order(n: usize, user: &str, day: u32, items: &[&str]) -> String {
    let date = if day == 0 {
        "2026-04-15T10:00:00Z".to_owned()
    } else {
        format!("2026-06-{day:02}T10:00:00Z")
    };
    let items: Vec<String> = items
        .iter()
        .map(|p| format!(r#"{{"productId": "{p}", "quantity": 1, "price": 10.0}}"#))
        .collect();
    format!(
        r#"{{"id": "o{n}", "orderNumber": "ORD-{n:08}", "userId": "{user}", "email": "{user}@example.fr", "status": "DELIVERED", "total": 10.0, "createdAt": "{date}", "updatedAt": "{date}", "items": [{}]}}"#,
        items.join(", ")
    )
}

/// The baskets of these tests:
/// - the sofa p01 is bought with the cushion p15 (4 orders), the coffee table p10 (3) and the
///   string lights p14 (3); p14 is a best-seller (33 orders), p15 and p10 sell only with p01;
/// - the bedside lamp p03 with bed linen (p08 twice, p09 once);
/// - the wall light p05 sells only this month: it is trending;
/// - the user "u-buyer" bought the duvet cover p09.
fn baskets() -> Vec<String> {
    let mut baskets: Vec<(&str, u32, Vec<&str>)> = Vec::new();
    baskets.extend((0..3).map(|_| ("u1", 0, vec!["p01", "p15"])));
    baskets.push(("u2", 0, vec!["p01", "p15", "p10"]));
    baskets.extend((0..2).map(|_| ("u3", 0, vec!["p01", "p10"])));
    baskets.extend((0..3).map(|_| ("u4", 0, vec!["p01", "p14"])));
    baskets.extend((0..25).map(|_| ("u5", 0, vec!["p14"])));
    baskets.extend((0..5).map(|d| ("u6", 24 + d, vec!["p14", "p05"])));
    baskets.extend((0..2).map(|_| ("u7", 0, vec!["p03", "p08"])));
    baskets.push(("u7", 0, vec!["p03", "p09"]));
    baskets.push(("u-buyer", 1, vec!["p09"]));
    baskets
        .iter()
        .enumerate()
        .map(|(n, (user, day, items))| order(n, user, *day, items))
        .collect()
}

/// The mini fixture with these baskets, indexed with vectors when `with_vectors`. The
/// invariants tested here hold whatever the vectors' quality: they come from the
/// deterministic [`common::synthetic`] embedder, so these tests need no model.
fn built(with_vectors: bool) -> common::Built {
    let dir = tempfile::tempdir().unwrap();
    let export = common::copy_fixture("mini", dir.path());
    let lines = baskets();
    common::write(
        &export,
        "orders.ndjson",
        &lines.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    common::build_export(dir, &export, with_vectors.then(common::synthetic))
}

fn run(engine: &Engine, request: RecommendRequest) -> RecommendResponse {
    recommend::recommend(engine, &request).unwrap()
}

fn ids(response: &RecommendResponse) -> Vec<&str> {
    response.hits.iter().map(|h| h.hit.id.as_str()).collect()
}

fn for_product(kind: Kind, id: &str) -> RecommendRequest {
    RecommendRequest {
        product_id: Some(id.to_owned()),
        ..RecommendRequest::new(kind)
    }
}

#[test]
fn bought_together_follows_the_baskets_and_does_not_let_a_best_seller_dominate() {
    let built = built(true);
    let response = run(&built.engine, for_product(Kind::BoughtTogether, "p01"));
    assert!(response.degraded.is_empty(), "{:?}", response.degraded);
    let hits = ids(&response);
    // p10 and p14 share 3 orders each with the sofa, but p14 sells with everything.
    assert_eq!(hits[..3], ["p15", "p10", "p14"], "{hits:?}");
    let first = &response.hits[0].reason;
    assert_eq!(first.code, ReasonCode::BoughtTogether);
    assert_eq!(first.product_id.as_deref(), Some("p01"));
    assert_eq!(
        first.message,
        "Souvent acheté avec « Canapé d'angle Oslo en velours » (4 commandes)"
    );
    assert!(!hits.contains(&"p01"), "never the anchor itself");

    let lamp = run(&built.engine, for_product(Kind::BoughtTogether, "p03"));
    assert_eq!(ids(&lamp)[..2], ["p08", "p09"]);
    assert!(lamp.hits[1].reason.message.ends_with("(1 commande)"));
}

#[test]
fn bought_together_without_enough_orders_falls_back_to_complementary_categories() {
    let built = built(true);
    // The table lamp p04 was never ordered; lamps are bought with bed linen (p03's baskets).
    let response = run(&built.engine, for_product(Kind::BoughtTogether, "p04"));
    let (linen, rest) = response.hits.split_at(2);
    for hit in linen {
        assert_eq!(hit.reason.code, ReasonCode::Complementary, "{hit:?}");
        assert_eq!(hit.hit.category.slug, "linge-de-lit", "{hit:?}");
    }
    // Past the two linen products, the list ends with products like the lamp itself.
    assert_eq!(response.hits.len(), 10);
    for hit in rest {
        assert_eq!(hit.reason.code, ReasonCode::Similar, "{hit:?}");
        assert!(hit.hit.id != "p04" && hit.hit.in_stock, "{hit:?}");
    }
}

#[test]
fn personalized_never_returns_the_cart_the_purchases_or_the_session() {
    let built = built(true);
    let request = RecommendRequest {
        // p15 is p01's strongest partner: it would come first were it not in the cart.
        cart_items: vec!["p01".into(), "p15".into()],
        view_history: vec!["p04".into(), "p11".into(), "gone-since".into()],
        user_id: Some("u-buyer".into()),
        limit: 8,
        ..RecommendRequest::new(Kind::Personalized)
    };
    let response = run(&built.engine, request);
    let hits = ids(&response);
    assert!(!hits.is_empty());
    for excluded in ["p01", "p15", "p04", "p11", "p09"] {
        assert!(!hits.contains(&excluded), "{excluded} in {hits:?}");
    }
    assert!(
        hits.contains(&"p10"),
        "bought with the sofa in the cart: {hits:?}"
    );
    assert!(response.hits.iter().all(|h| h.hit.in_stock));
    let codes: Vec<ReasonCode> = response.hits.iter().map(|h| h.reason.code).collect();
    assert!(
        codes.contains(&ReasonCode::Viewed) || codes.contains(&ReasonCode::InCart),
        "{codes:?}"
    );

    // A first visit: what is selling now.
    let cold = run(&built.engine, RecommendRequest::new(Kind::Personalized));
    assert_eq!(cold.hits[0].hit.id, "p05");
    assert_eq!(cold.hits[0].reason.code, ReasonCode::Trending);
}

#[test]
fn complete_the_look_picks_other_categories_matching_the_style() {
    let built = built(true);
    let response = run(&built.engine, for_product(Kind::CompleteTheLook, "p01"));
    assert!(response.degraded.is_empty(), "{:?}", response.degraded);
    let categories: Vec<&str> = response
        .hits
        .iter()
        .map(|h| h.hit.category.slug.as_str())
        .collect();
    assert!(!categories.contains(&"canapes"), "{categories:?}");
    assert!(categories.contains(&"decoration") && categories.contains(&"tables"));
    let table = response
        .hits
        .iter()
        .find(|h| h.hit.id == "p10")
        .expect("the Scandinavian coffee table");
    assert_eq!(table.reason.code, ReasonCode::CompleteTheLook);
    assert!(
        table.reason.message.contains("même style scandinave"),
        "{:?}",
        table.reason
    );
}

#[test]
fn complete_the_look_without_order_links_matches_the_room() {
    let built = built(true);
    // Mattresses (p07) were never ordered: no category is linked to theirs. The bedroom's
    // other products are: the bedside lamp and the bed linen.
    let response = run(&built.engine, for_product(Kind::CompleteTheLook, "p07"));
    assert!(
        response.degraded.iter().any(|d| d.contains("room")),
        "{:?}",
        response.degraded
    );
    let mut hits = ids(&response);
    hits.sort();
    assert_eq!(hits, ["p03", "p08", "p09"]);
}

#[test]
fn trending_is_rising_sales_then_best_sellers() {
    let built = built(true);
    let response = run(&built.engine, RecommendRequest::new(Kind::Trending));
    assert_eq!(response.hits[0].hit.id, "p05");
    assert_eq!(response.hits[0].reason.code, ReasonCode::Trending);
    assert_eq!(response.hits[1].hit.id, "p14", "then the best seller");
    assert_eq!(response.hits[1].reason.code, ReasonCode::BestSeller);
    assert_eq!(response.hits.len(), 10);
    let lighting = run(
        &built.engine,
        RecommendRequest {
            filters: Filters {
                category: Some("mobilier".into()),
                ..Filters::default()
            },
            ..RecommendRequest::new(Kind::Trending)
        },
    );
    assert!(
        lighting
            .hits
            .iter()
            .all(|h| ["canapes", "tables"].contains(&h.hit.category.slug.as_str())),
        "{:?}",
        ids(&lighting)
    );
}

#[test]
fn similar_kind_and_storefront_contexts() {
    let built = built(true);
    let similar = run(&built.engine, for_product(Kind::Similar, "p03"));
    assert!(
        similar
            .hits
            .iter()
            .all(|h| h.reason.code == ReasonCode::Similar)
    );
    assert!(!ids(&similar).contains(&"p03"));

    let product = recommend::for_context(
        &built.engine,
        Context::Product,
        &for_product(Kind::Similar, "p01"),
    )
    .unwrap();
    assert_eq!(product.hits[0].hit.id, "p15");
    assert!(
        product
            .hits
            .iter()
            .any(|h| h.reason.code == ReasonCode::Similar),
        "half bought together, half similar"
    );
    let checkout = recommend::for_context(
        &built.engine,
        Context::Checkout,
        &RecommendRequest {
            cart_items: vec!["p01".into()],
            ..RecommendRequest::new(Kind::Similar)
        },
    )
    .unwrap();
    assert!(checkout.hits.iter().all(|h| h.hit.price <= 60.0));
    assert!(ids(&checkout).contains(&"p15"));

    let err = recommend::recommend(
        &built.engine,
        &for_product(Kind::BoughtTogether, "no-such-product"),
    )
    .unwrap_err();
    assert!(matches!(
        err,
        RecommendError::Search(SearchError::ProductNotFound(_))
    ));
    let err = recommend::recommend(&built.engine, &RecommendRequest::new(Kind::CompleteTheLook))
        .unwrap_err();
    assert!(matches!(err, RecommendError::MissingAnchor(..)), "{err}");
}

#[test]
fn without_the_model_co_purchases_still_serve_and_the_rest_is_marked_degraded() {
    let built = built(false);
    let response = run(&built.engine, for_product(Kind::BoughtTogether, "p01"));
    assert_eq!(ids(&response)[..3], ["p15", "p10", "p14"]);
    let look = run(&built.engine, for_product(Kind::CompleteTheLook, "p01"));
    assert!(!look.hits.is_empty());
    assert!(
        look.degraded.iter().any(|d| d.contains("semantic")),
        "{:?}",
        look.degraded
    );
    assert!(look.hits.iter().all(|h| h.hit.category.slug != "canapes"));
}
