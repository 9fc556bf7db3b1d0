//! Relevance, second round, on the demo catalog: the shopper's own words through the thesaurus,
//! honest empty answers with labelled alternatives, exact names first, and words learnt from
//! Claude only once accepted.

mod common;

use vivr_search::search::intent::LearntWord;
use vivr_search::search::{
    Alternative, ConstraintKind, EmptyReason, Engine, Mode, SearchRequest, SearchResponse,
};

fn search(engine: &Engine, q: &str, mode: Mode) -> SearchResponse {
    engine
        .search(&SearchRequest {
            q: q.into(),
            mode,
            limit: 10,
            ..Default::default()
        })
        .unwrap()
}

fn demo() -> &'static Engine {
    &common::demo().engine
}

#[test]
fn a_word_the_catalog_never_uses_searches_its_type_through_the_thesaurus() {
    for mode in [Mode::Instant, Mode::Full] {
        // "vaisselier" (a dresser) is in no product's text: the thesaurus reads it as a buffet.
        let r = search(demo(), "vaisselier", mode);
        let parsed = r.parsed_query.as_ref().unwrap();
        assert_eq!(parsed.product_type.as_deref(), Some("buffet"), "{mode:?}");
        assert!(!r.hits.is_empty());
        assert!(r.hits.iter().all(|h| h.category.slug == "buffets"));
        assert!(r.hits[0].name.starts_with("Buffet"), "{}", r.hits[0].name);
        // English, and an everyday phrase.
        let r = search(demo(), "armchair", mode);
        assert!(r.hits.iter().all(|h| h.category.slug == "fauteuils"));
        assert!(r.hits[0].name.starts_with("Fauteuil"), "{}", r.hits[0].name);
        let r = search(demo(), "pour ranger mes vêtements", mode);
        assert!(!r.hits.is_empty());
        assert!(r.hits.iter().all(|h| h.category.slug == "armoires"));
    }
}

#[test]
fn what_the_store_does_not_sell_gets_no_hits_but_labelled_alternatives() {
    for mode in [Mode::Instant, Mode::Full] {
        let r = search(demo(), "matelas", mode);
        assert!(r.hits.is_empty(), "{mode:?}: {:?}", r.hits.first());
        assert_eq!(r.estimated_total_hits, 0);
        let alternatives = r.alternatives.as_ref().expect("alternatives");
        assert_eq!(alternatives.reason, EmptyReason::NotSold);
        assert_eq!(alternatives.wanted, "matelas");
        let categories: Vec<&str> = alternatives
            .items
            .iter()
            .filter_map(|a| match a {
                Alternative::Category { slug, label, .. } => {
                    assert_eq!(label, "Catégorie proche");
                    Some(slug.as_str())
                }
                Alternative::Popular { .. } => None,
            })
            .collect();
        assert_eq!(categories.first(), Some(&"lits"), "{categories:?}");
        let popular: Vec<_> = alternatives
            .items
            .iter()
            .filter_map(|a| match a {
                Alternative::Popular { label, hit } => Some((label, hit)),
                Alternative::Category { .. } => None,
            })
            .collect();
        assert!(!popular.is_empty());
        for (label, hit) in popular {
            assert_eq!(label, "Populaire");
            assert_eq!(
                hit.category.slug, "lits",
                "the closest category's best sellers"
            );
        }
        let understood = &r.parsed_query.as_ref().unwrap().understood;
        assert!(understood.iter().any(|u| u.kind == ConstraintKind::NotSold));
    }
    // Something the store sells named beside it answers the query.
    let r = search(demo(), "lit avec matelas", Mode::Instant);
    assert!(r.alternatives.is_none());
    assert!(!r.hits.is_empty());
    assert!(r.hits.iter().all(|h| h.category.slug == "lits"));
}

#[test]
fn an_empty_page_carries_popular_products_and_a_full_page_none() {
    let r = search(demo(), "zzqx wqkv", Mode::Instant);
    assert!(r.hits.is_empty());
    let alternatives = r.alternatives.expect("alternatives");
    assert_eq!(alternatives.reason, EmptyReason::NoResults);
    assert_eq!(alternatives.wanted, "zzqx wqkv");
    assert!(
        alternatives
            .items
            .iter()
            .all(|a| matches!(a, Alternative::Popular { .. }))
    );
    assert!(!alternatives.items.is_empty());
    assert!(
        search(demo(), "canapé", Mode::Instant)
            .alternatives
            .is_none()
    );
    // Only the first page carries them.
    let beyond = demo()
        .search(&SearchRequest {
            q: "matelas".into(),
            offset: 10,
            ..Default::default()
        })
        .unwrap();
    assert!(beyond.hits.is_empty() && beyond.alternatives.is_none());
}

#[test]
fn a_type_named_beside_what_is_not_sold_answers_even_under_the_request_s_category() {
    let r = demo()
        .search(&SearchRequest {
            q: "lit avec matelas".into(),
            mode: Mode::Instant,
            filters: vivr_search::search::Filters {
                category: Some("lits".into()),
                ..Default::default()
            },
            ..Default::default()
        })
        .unwrap();
    assert!(r.alternatives.is_none());
    assert!(!r.hits.is_empty());
}

#[test]
fn an_exact_name_comes_first_then_its_type_then_the_rest() {
    for mode in [Mode::Instant, Mode::Full] {
        let r = search(demo(), "Chaise Jade naturelle", mode);
        assert_eq!(r.hits[0].name, "Chaise Jade naturelle", "{mode:?}");
        // Chairs before the bar stool that shares the name's "Jade".
        let stool = r.hits.iter().position(|h| h.name.starts_with("Tabouret"));
        let last_chair = r
            .hits
            .iter()
            .rposition(|h| h.name.starts_with("Chaise"))
            .unwrap();
        assert!(
            stool.is_none_or(|s| s > last_chair),
            "{mode:?}: {:?}",
            r.hits.iter().map(|h| &h.name).collect::<Vec<_>>()
        );
    }
}

#[test]
fn a_learnt_word_is_read_only_once_accepted() {
    // An engine of its own over the demo's files: the shared one keeps the bundled lexicon.
    let demo = common::demo();
    let engine = Engine::open(
        vivr_search::catalog::Catalog::open(&demo.db()).unwrap(),
        &demo.index_dir(),
    )
    .unwrap();
    let before = search(&engine, "zorblatte", Mode::Instant);
    assert!(before.hits.is_empty());
    engine
        .set_learnt_words(&[LearntWord {
            word: "zorblatte".into(),
            category: "lampadaires".into(),
        }])
        .unwrap();
    let after = search(&engine, "zorblatte", Mode::Instant);
    let parsed = after.parsed_query.as_ref().unwrap();
    assert_eq!(parsed.filters.category.as_deref(), Some("lampadaires"));
    assert!(!after.hits.is_empty());
    assert!(after.hits.iter().all(|h| h.category.slug == "lampadaires"));
    // A bad word is refused and the lexicon kept.
    assert!(
        engine
            .set_learnt_words(&[LearntWord {
                word: "12 €".into(),
                category: "lampadaires".into(),
            }])
            .is_err()
    );
    assert!(!search(&engine, "zorblatte", Mode::Instant).hits.is_empty());
}

#[test]
fn full_mode_answers_nothing_for_what_is_sold_elsewhere() {
    // The mini catalog with the synthetic embedder: texts sharing words are near, so a query
    // made of a name from the list of what the store does not sell is nearest to it.
    let dir = tempfile::tempdir().unwrap();
    let built = common::build_export(dir, &common::fixture("mini"), Some(common::synthetic()));
    let r = search(&built.engine, "Véhicules", Mode::Full);
    assert!(r.hits.is_empty(), "{:?}", r.hits.first().map(|h| &h.name));
    let alternatives = r.alternatives.expect("alternatives");
    assert_eq!(alternatives.reason, EmptyReason::NoMatch);
    assert_eq!(alternatives.wanted, "Véhicules");
    assert!(
        alternatives
            .items
            .iter()
            .any(|a| matches!(a, Alternative::Category { .. }))
    );
    // What the store sells is still found.
    let r = search(&built.engine, "canapé", Mode::Full);
    assert!(!r.hits.is_empty());
    assert!(r.alternatives.is_none());
}

#[test]
fn the_catalog_has_the_last_word_on_what_the_store_sells() {
    // The mini store sells a mattress, which the thesaurus lists as not sold by VIVR.
    let built = common::build("mini");
    let r = search(&built.engine, "matelas", Mode::Instant);
    assert!(r.alternatives.is_none());
    assert!(r.hits.iter().any(|h| h.name.starts_with("Matelas")));
}

#[test]
fn suggestions_read_the_thesaurus_too() {
    // While typing a word the catalog never uses, the chip offers the store's category and the
    // completions are its products.
    let s = demo().suggest("vaisselier").unwrap();
    assert!(
        s.ai_suggestions
            .iter()
            .any(|c| c.filters.category.as_deref() == Some("buffets")),
        "{:?}",
        s.ai_suggestions
    );
    assert!(!s.completions.is_empty());
    assert!(
        s.completions.iter().any(|c| c.starts_with("Buffet")),
        "{:?}",
        s.completions
    );
}
