//! Parser tables: each query with what it must be understood as, one line per constraint.

use super::lexicon::Lexicon;
use super::*;

/// One line per constraint, then the free text.
fn summary(query: &str) -> Vec<String> {
    let intent = parse(query, &|_| false);
    let mut lines: Vec<String> = intent
        .constraints
        .iter()
        .map(|c| match &c.ask {
            Ask::Category { slug, keep } => {
                format!("category {slug}{}", if *keep { " (kept)" } else { "" })
            }
            Ask::ProductType { label, slug, .. } => format!("type {label} in {slug}"),
            Ask::MaxPrice(p) => format!("max {p}"),
            Ask::MinPrice(p) => format!("min {p}"),
            Ask::Band(PriceBand::Cheap) => "band cheap".to_owned(),
            Ask::Band(PriceBand::Premium) => "band premium".to_owned(),
            Ask::Attribute {
                facet,
                values,
                filter,
            } => format!(
                "{} {}{}",
                facet.key(),
                values.join("|"),
                if *filter { "" } else { " (boost)" }
            ),
            Ask::Size(s) => format!("size {}", size(s)),
            Ask::InStock => "in stock".to_owned(),
            Ask::NotSold { term, closest } => format!("not sold {term} ({})", closest.join(", ")),
        })
        .collect();
    lines.push(format!("free: {}", intent.free_text));
    lines
}

/// A size hint in words (never its `Debug` form, which a rename would silently change).
fn size(s: &SizeHint) -> String {
    match s {
        SizeHint::Small => "small".to_owned(),
        SizeHint::Large => "large".to_owned(),
        SizeHint::Count { n, unit } => format!("{n} {unit}"),
        SizeHint::Dimensions { a, b } => format!("{a}x{b}"),
        SizeHint::Length { cm, diameter } => {
            format!("{}{cm} cm", if *diameter { "diameter " } else { "" })
        }
    }
}

fn check(cases: &[(&str, &[&str])]) {
    for (query, want) in cases {
        assert_eq!(summary(query), *want, "query {query:?}");
    }
}

#[test]
fn the_storefront_plan_examples() {
    check(&[
        (
            "lampe moderne moins de 200 euros",
            &[
                "category luminaires (kept)",
                "style moderne",
                "max 200",
                "free: ",
            ],
        ),
        (
            "canape confortable pour petit salon",
            &[
                "type canapé in canapes",
                "size small",
                "room salon (boost)",
                "free: confortable",
            ],
        ),
        (
            "decoration murale boheme",
            &["category decoration", "style bohème", "free: murale"],
        ),
        (
            "tapis rouge pas cher",
            &[
                "type tapis in tapis",
                "color rouge|terracotta",
                "band cheap",
                "free: ",
            ],
        ),
    ]);
}

#[test]
fn prices() {
    check(&[
        (
            "lampe < 200€",
            &["category luminaires (kept)", "max 200", "free: "],
        ),
        (
            "miroir 200 € max",
            &["type miroir in miroirs", "max 200", "free: "],
        ),
        (
            "vase 30 euros maximum",
            &["type vase in vases", "max 30", "free: "],
        ),
        (
            "table basse entre 50 et 100 €",
            &["type table basse in tables", "min 50", "max 100", "free: "],
        ),
        (
            "plaid de 20 à 40 euros",
            &["type plaid in plaids", "min 20", "max 40", "free: "],
        ),
        (
            "coussin 15-30€",
            &["type coussin in coussins", "min 15", "max 30", "free: "],
        ),
        (
            "canapé à partir de 300",
            &["type canapé in canapes", "min 300", "free: "],
        ),
        (
            "buffet plus de 500 €",
            &["type buffet in buffets", "min 500", "free: "],
        ),
        (
            "bougie 19,99€",
            &["type bougie parfumée in bougies", "max 19.99", "free: "],
        ),
        ("jusqu'à 80 euros", &["max 80", "free: "]),
        (
            "fauteuil luxe",
            &["type fauteuil in fauteuils", "band premium", "free: "],
        ),
        (
            "commode haut de gamme",
            &["type commode in commodes", "band premium", "free: "],
        ),
        (
            "rideau petit prix",
            &["type rideau in rideaux", "band cheap", "free: "],
        ),
        // A number without a currency or a price word stays searched.
        // (A bulb is a home item the store does not sell: the thesaurus.)
        (
            "ampoule e27 40",
            &[
                "not sold ampoule (suspensions, lampes-a-poser)",
                "free: e27 40",
            ],
        ),
    ]);
}

#[test]
fn types_and_synonyms() {
    check(&[
        ("sofa", &["type canapé in canapes", "free: "]),
        (
            "clic-clac",
            &["type canapé convertible in canapes", "free: "],
        ),
        (
            "BZ gris",
            &[
                "type canapé convertible in canapes",
                "color gris|gris anthracite",
                "free: ",
            ],
        ),
        ("lustre", &["type lustre in suspensions", "free: "]),
        ("luminaires", &["category luminaires", "free: "]),
        (
            "luminaire pour table de nuit",
            &["type lampe de chevet in lampes-de-chevet", "free: "],
        ),
        (
            "lampe de bureau",
            &["type lampe de bureau in lampes-a-poser", "free: "],
        ),
        (
            "lampe pour bureau",
            &["type lampe de bureau in lampes-a-poser", "free: "],
        ),
        (
            "bureau en chêne",
            &["type bureau in bureaux", "material chêne", "free: "],
        ),
        (
            "chaise de bureau",
            &["type chaise in chaises", "room bureau (boost)", "free: "],
        ),
        (
            "canapés d'angle",
            &["type canapé d'angle in canapes", "free: "],
        ),
        (
            "l'applique murale",
            &["type applique murale in appliques", "free: "],
        ),
    ]);
}

#[test]
fn colours_in_every_form() {
    for query in [
        "coussin blanc",
        "coussins blancs",
        "housse blanche",
        "taies blanches",
    ] {
        let intent = parse(query, &|_| false);
        assert!(
            intent.constraints.iter().any(|c| c.ask
                == Ask::Attribute {
                    facet: Facet::Color,
                    values: vec!["blanc".to_owned()],
                    filter: true
                }),
            "{query}: {intent:?}"
        );
    }
    check(&[
        (
            "plaid gris anthracite",
            &["type plaid in plaids", "color gris anthracite", "free: "],
        ),
        (
            "coussin bleu canard",
            &["type coussin in coussins", "color bleu canard", "free: "],
        ),
        (
            "rideaux verts",
            &["type rideau in rideaux", "color vert|vert sauge", "free: "],
        ),
        // Ambiguous words are boosts, never filters.
        (
            "plaid rose",
            &["type plaid in plaids", "color rose (boost)", "free: "],
        ),
    ]);
}

#[test]
fn materials_styles_rooms() {
    check(&[
        (
            "table basse bois massif",
            &[
                "type table basse in tables",
                "material bois massif",
                "free: ",
            ],
        ),
        (
            "suspension en laiton",
            &[
                "type suspension in suspensions",
                "material laiton",
                "free: ",
            ],
        ),
        (
            "fauteuil velours scandinave",
            &[
                "type fauteuil in fauteuils",
                "material velours",
                "style scandinave",
                "free: ",
            ],
        ),
        (
            "vase céramique art déco",
            &[
                "type vase in vases",
                "material céramique|terre cuite",
                "style art déco",
                "free: ",
            ],
        ),
        (
            "étagère industrielle",
            &["type étagère in etageres", "style industriel", "free: "],
        ),
        (
            "miroir salle de bain",
            &[
                "type miroir in miroirs",
                "room salle de bain (boost)",
                "free: ",
            ],
        ),
        (
            "lampe extérieur",
            &[
                "category luminaires (kept)",
                "room extérieur (boost)",
                "free: ",
            ],
        ),
        (
            "décoration minimaliste rotin",
            &[
                "category decoration",
                "style minimaliste",
                "material rotin|osier",
                "free: ",
            ],
        ),
    ]);
}

#[test]
fn sizes_and_availability() {
    check(&[
        (
            "canapé 2 places",
            &["type canapé in canapes", "size 2 places", "free: "],
        ),
        (
            "lit 160x200",
            &["type lit in lits", "size 160x200", "free: "],
        ),
        (
            "miroir diamètre 40 cm",
            &["type miroir in miroirs", "size diameter 40 cm", "free: "],
        ),
        (
            "grand tapis",
            &["size large", "type tapis in tapis", "free: "],
        ),
        (
            "bureau compact",
            &["type bureau in bureaux", "size small", "free: "],
        ),
        (
            "armoire en stock",
            &["type armoire in armoires", "in stock", "free: "],
        ),
        (
            "chaise disponible",
            &["type chaise in chaises", "in stock", "free: "],
        ),
    ]);
}

#[test]
fn typos_in_lexicon_words() {
    check(&[
        (
            "lampe moins de 200 eur",
            &["category luminaires (kept)", "max 200", "free: "],
        ),
        (
            "buffet scandinve",
            &["type buffet in buffets", "style scandinave", "free: "],
        ),
        ("canpé", &["type canapé in canapes", "free: "]),
        ("lampadiare", &["type lampadaire in lampadaires", "free: "]),
    ]);
    let intent = parse("buffet scandinve", &|_| false);
    assert!(intent.constraints[1].typo);
    // Short words are never read as typos: "vers" is not "vert", "gros" is not "gris".
    check(&[("vers", &["free: vers"]), ("gros", &["free: gros"])]);
    // A word the catalog holds as written is never corrected ("Lustre Rosa" is not pink).
    let known = |w: &str| w == "opaline";
    let intent = parse("opaline", &known);
    assert!(intent.constraints.is_empty(), "{intent:?}");
}

#[test]
fn plain_words_stay_free() {
    check(&[
        (
            "Lampe de chevet Opale",
            &["type lampe de chevet in lampes-de-chevet", "free: Opale"],
        ),
        ("", &["free: "]),
        ("zzzz qqqq", &["free: zzzz qqqq"]),
    ]);
}

#[test]
fn the_bundled_lexicon_is_consistent() {
    let lexicon = Lexicon::bundled();
    assert!(lexicon.phrases.len() > 300, "{}", lexicon.phrases.len());
    // Every phrase parses back to itself as its longest match.
    for phrase in &lexicon.phrases {
        assert!(!phrase.meanings.is_empty());
    }
    assert!(Lexicon::parse("nonsense = 1", "entry = []", &[]).is_err());
}

#[test]
fn the_thesaurus_is_consistent_with_the_lexicon_and_the_demo_catalog() {
    use super::thesaurus::{Answer, parse as parse_thesaurus};
    use std::collections::HashSet;
    let entries = parse_thesaurus(super::lexicon::THESAURUS).unwrap();
    assert!(entries.len() >= 300, "{} entries", entries.len());
    let slugs: HashSet<String> = include_str!("../../../../data/demo/categories.ndjson")
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["slug"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let lexicon = Lexicon::bundled();
    let mut answered: HashSet<&str> = HashSet::new();
    for e in &entries {
        match e.answer().unwrap() {
            Answer::Type(label) => {
                answered.insert(label);
            }
            Answer::Category(slug) => assert!(slugs.contains(slug), "{}: {slug}", e.term),
            Answer::NotSold(closest) => {
                for slug in closest {
                    assert!(slugs.contains(slug), "{}: {slug}", e.term);
                }
            }
        }
    }
    // Every product type of the intent lexicon has its entry.
    for label in lexicon.type_labels() {
        assert!(
            answered.contains(label.as_str()),
            "no thesaurus entry for {label:?}"
        );
    }
    // No phrase is read as two different things.
    for phrase in &lexicon.phrases {
        let kinds: Vec<_> = phrase
            .meanings
            .iter()
            .filter(|m| {
                matches!(
                    m,
                    Meaning::Type { .. } | Meaning::Category { .. } | Meaning::NotSold { .. }
                )
            })
            .collect();
        assert!(kinds.len() <= 1, "{phrase:?}");
    }
}

#[test]
fn thesaurus_words_read_as_the_store_s_types() {
    check(&[
        ("vaisselier", &["type buffet in buffets", "free: "]),
        ("armchair", &["type fauteuil in fauteuils", "free: "]),
        (
            "lumière pour lire au lit",
            &[
                "category luminaires",
                "type lampe de chevet in lampes-de-chevet",
                "free: ",
            ],
        ),
        ("matelas", &["not sold matelas (lits)", "free: "]),
    ]);
}

#[test]
fn learnt_words_name_their_category() {
    let learnt = [LearntWord {
        word: "zorblatte".into(),
        category: "lampadaires".into(),
    }];
    let lexicon = Lexicon::with_learnt(&learnt).unwrap();
    let intent = parse_with(&lexicon, "zorblatte noire", &|_| false);
    assert!(intent.constraints.iter().any(|c| c.ask
        == Ask::Category {
            slug: "lampadaires".into(),
            keep: false
        }));
    // The bundled lexicon does not know it.
    assert!(parse("zorblatte", &|_| false).constraints.is_empty());
}

#[test]
fn thesaurus_phrases_never_swallow_what_the_intent_lexicon_reads() {
    // A thesaurus phrase that the intent lexicon alone reads as the same type plus another
    // constraint or searched word ("chaise de bureau": a chair, for the study) adds nothing
    // and loses them.
    use super::thesaurus::{Answer, parse as parse_thesaurus};
    let intent_only = Lexicon::parse(
        include_str!("../../../../data/lang/intent-fr.toml"),
        "entry = []",
        &[],
    )
    .unwrap();
    let full = Lexicon::bundled();
    let named = |i: &Intent| -> Vec<String> {
        i.constraints
            .iter()
            .filter_map(|c| match &c.ask {
                Ask::ProductType { label, .. } => Some(label.clone()),
                Ask::Category { slug, .. } => Some(slug.clone()),
                _ => None,
            })
            .collect()
    };
    let mut lossy = Vec::new();
    for entry in parse_thesaurus(super::lexicon::THESAURUS).unwrap() {
        let meaning = match entry.answer().unwrap() {
            Answer::Type(label) => label.to_owned(),
            Answer::Category(slug) => slug.to_owned(),
            Answer::NotSold(_) => continue,
        };
        for word in entry.words() {
            let alone = parse_with(&intent_only, word, &|_| false);
            let with = parse_with(&full, word, &|_| false);
            let others = |i: &Intent| {
                i.constraints.len() - named(i).len() + i.free_text.split_whitespace().count()
            };
            if named(&alone).contains(&meaning) && others(&alone) > others(&with) {
                lossy.push(word.clone());
            }
        }
    }
    assert!(lossy.is_empty(), "{} lossy phrases: {lossy:?}", lossy.len());
}
