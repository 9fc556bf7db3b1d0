//! From a parsed intent to what the lexical search runs: the searched text, filters and boosts.
//!
//! Rules. The request's own filters always win over a parsed one. Explicit constraints (a price,
//! a clearly named category or product type, "en stock") become filters. Soft ones become
//! boosts; a colour, material or style that the lexicon calls unambiguous, written without a
//! typo, also becomes an attribute filter, dropped again ("relaxed", the boost staying) when it
//! leaves less than the page. Relative price bands are
//! resolved on the generation's prices of the named category (cheap: the lowest third).

use std::collections::BTreeMap;
use std::time::Instant;

use serde::Serialize;

use super::intent::{self, Ask, Facet, Intent, PriceBand, SizeHint};
use crate::filter::Filters;
use crate::index::{Boost, Generation, PlannedWord, SIZE_LARGE, SIZE_SMALL, plan_words};

/// Where the intent of a response came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntentSource {
    /// The local parser.
    Local,
    /// Claude, merged with the local parse.
    Llm,
    /// Claude's answer from the cache.
    Cache,
}

impl IntentSource {
    /// The source's name, as `parsedQuery.source` shows it.
    pub fn as_str(self) -> &'static str {
        match self {
            IntentSource::Local => "local",
            IntentSource::Llm => "llm",
            IntentSource::Cache => "cache",
        }
    }
}

/// How a constraint was used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// A filter.
    Filter,
    /// A boost (ranking only).
    Boost,
    /// Its words are searched in the products' texts ("2 places", "160x200").
    Searched,
    /// Not used; `reason` says why.
    Ignored,
}

impl Applied {
    /// How a constraint was used, as `understood[].applied` shows it.
    pub fn as_str(self) -> &'static str {
        match self {
            Applied::Filter => "filter",
            Applied::Boost => "boost",
            Applied::Searched => "searched",
            Applied::Ignored => "ignored",
        }
    }
}

/// What kind of constraint a query expressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConstraintKind {
    /// A category named.
    Category,
    /// A product type (a category and words searched).
    ProductType,
    /// "moins de 200 €".
    MaxPrice,
    /// "à partir de 100 €".
    MinPrice,
    /// "pas cher", "haut de gamme".
    PriceBand,
    /// A colour, material, style or room.
    Attribute(Facet),
    /// A size.
    Size,
    /// "en stock".
    Availability,
    /// A home item the store does not sell ("matelas").
    NotSold,
}

impl ConstraintKind {
    /// The kind as `understood[].kind` shows it.
    pub fn as_str(self) -> &'static str {
        match self {
            ConstraintKind::Category => "category",
            ConstraintKind::ProductType => "productType",
            ConstraintKind::MaxPrice => "maxPrice",
            ConstraintKind::MinPrice => "minPrice",
            ConstraintKind::PriceBand => "priceBand",
            ConstraintKind::Attribute(facet) => facet.key(),
            ConstraintKind::Size => "size",
            ConstraintKind::Availability => "availability",
            ConstraintKind::NotSold => "notSold",
        }
    }
}

/// One understood constraint, for display ("Nous avons compris : luminaires, moins de 200 €").
#[derive(Debug, Clone, PartialEq)]
pub struct Understood {
    /// What it constrains.
    pub kind: ConstraintKind,
    /// The value: a slug, a price, attribute values joined by `|`, a size.
    pub value: String,
    /// French label for a chip ("moins de 200 €", "style moderne").
    pub label: String,
    /// The words of the query that carried it.
    pub words: String,
    /// Read through a typo.
    pub typo: bool,
    /// How it was used.
    pub applied: Applied,
    /// Why it was ignored.
    pub reason: Option<String>,
}

/// Filters the intent added to the request's own. Serialised for Claude's rerank prompt (the
/// API has its own wire type).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IntentFilters {
    /// Category slug.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Lowest price.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_price: Option<f64>,
    /// Highest price.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_price: Option<f64>,
    /// In stock only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_stock: Option<bool>,
    /// Attribute values per facet.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, Vec<String>>,
}

/// What the engine understood of a query, as the response shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedQuery {
    /// Who parsed it.
    pub source: IntentSource,
    /// Time spent parsing (and waiting for Claude when it was asked).
    pub parse_time_ms: f64,
    /// Filters taken from the query.
    pub filters: IntentFilters,
    /// The words that carried no constraint.
    pub free_text: String,
    /// The text searched: the free text plus the words that pick a product type.
    pub search_text: String,
    /// The product type named, if any.
    pub product_type: Option<String>,
    /// Each constraint and how it was used.
    pub understood: Vec<Understood>,
    /// Parsed attribute filters dropped because, with them, less than the page matched (they
    /// still rank as boosts).
    pub relaxed: Vec<String>,
    /// Why Claude's parse is not used, when it was asked.
    pub error: Option<String>,
}

impl ParsedQuery {
    /// The filters one understood constraint stands for alone (a chip the shopper can keep
    /// while changing the words); empty for a size, which only boosts.
    pub fn filters_of(&self, item: &Understood) -> IntentFilters {
        let mut filters = IntentFilters::default();
        match item.kind {
            ConstraintKind::Category | ConstraintKind::ProductType => {
                filters.category = self.filters.category.clone();
            }
            ConstraintKind::MaxPrice => filters.max_price = item.value.parse().ok(),
            ConstraintKind::MinPrice => filters.min_price = item.value.parse().ok(),
            ConstraintKind::PriceBand => {
                filters.min_price = self.filters.min_price;
                filters.max_price = self.filters.max_price;
            }
            ConstraintKind::Availability => filters.in_stock = Some(true),
            ConstraintKind::Attribute(facet) => {
                filters.attributes.insert(
                    facet.key().to_owned(),
                    item.value.split('|').map(str::to_owned).collect(),
                );
            }
            ConstraintKind::Size | ConstraintKind::NotSold => {}
        }
        filters
    }
}

/// The lexical search an intent turns into.
#[derive(Debug, Clone)]
pub(crate) struct Understanding {
    /// Text to search.
    pub(crate) text: String,
    /// The request's filters with the parsed ones added.
    pub(crate) filters: Filters,
    /// The filters without the parsed attribute filters (to relax to).
    pub(crate) relaxed_filters: Option<Filters>,
    /// Boosts.
    pub(crate) boosts: Vec<Boost>,
    /// Words that carried a product type, a category, an attribute or a size: highlighted.
    pub(crate) marks: Vec<PlannedWord>,
    /// A home item the query names that the store does not sell, when it names nothing the
    /// store sells: the answer is empty, with these alternatives.
    pub(crate) not_sold: Option<NotSold>,
    /// What to show.
    pub(crate) parsed: ParsedQuery,
}

/// A home item the store does not sell, from the thesaurus.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NotSold {
    /// The words as typed.
    pub(crate) words: String,
    /// Category slugs to offer instead.
    pub(crate) closest: Vec<String>,
}

impl Understanding {
    /// Relaxes the parsed attribute filters to boosts: the filters without them, with the
    /// parse updated to say so (`relaxed`, and each attribute filter now a boost); `None` when
    /// nothing was parsed as an attribute filter, or it was relaxed already.
    pub(crate) fn relax(&mut self) -> Option<Filters> {
        let relaxed = self.relaxed_filters.take()?;
        let parsed = &mut self.parsed;
        parsed.relaxed = parsed
            .filters
            .attributes
            .iter()
            .map(|(facet, values)| format!("{facet}: {}", values.join("|")))
            .collect();
        parsed.filters.attributes.clear();
        for item in &mut parsed.understood {
            if item.applied == Applied::Filter
                && matches!(
                    item.kind,
                    ConstraintKind::Attribute(Facet::Color | Facet::Material | Facet::Style)
                )
            {
                item.applied = Applied::Boost;
            }
        }
        self.filters = relaxed.clone();
        Some(relaxed)
    }

    /// Whether the query named constraints of its own (a category, prices, stock...).
    pub(crate) fn named_constraints(&self) -> bool {
        self.parsed.filters != IntentFilters::default()
    }
}

/// Share of a category's prices under the "cheap" band, and over the "premium" one.
const BAND_SHARE: f64 = 1.0 / 3.0;

/// Parses `query` locally and plans the lexical search on `text`.
pub(crate) fn understand(
    lexicon: &intent::Lexicon,
    text: &Generation,
    query: &str,
    request_filters: &Filters,
) -> Understanding {
    let started = Instant::now();
    let intent = intent::parse_with(lexicon, query, &|w| text.knows_word(w));
    let mut understanding = plan(text, &intent, request_filters);
    understanding.parsed.parse_time_ms = started.elapsed().as_secs_f64() * 1000.0;
    understanding
}

/// Plans the lexical search of an intent.
pub(crate) fn plan(text: &Generation, intent: &Intent, request: &Filters) -> Understanding {
    let mut planner = Planner {
        text,
        request,
        category: resolve_category(text, intent),
        filters: request.clone(),
        added: IntentFilters::default(),
        boosts: Vec::new(),
        search_text: vec![intent.free_text.clone()],
        product_type: None,
        not_sold: None,
    };
    let understood = intent
        .constraints
        .iter()
        .map(|c| {
            let (kind, value, mut label) = describe(c, text);
            let (applied, reason) = match planner.apply(c) {
                Ok(applied) => (applied, None),
                Err(why) => (Applied::Ignored, Some(why.to_owned())),
            };
            // A "not sold" item this catalog does sell is searched as its words.
            if kind == ConstraintKind::NotSold && applied == Applied::Searched {
                label.clone_from(&c.words);
            }
            Understood {
                kind,
                value,
                label,
                words: c.words.clone(),
                typo: c.typo,
                applied,
                reason,
            }
        })
        .collect();
    let Planner {
        filters,
        added,
        boosts,
        search_text,
        product_type,
        not_sold,
        ..
    } = planner;
    // Something the store sells named beside it ("lit avec matelas") answers the query, even
    // when the request's own category wins over it.
    let names_sold = intent
        .constraints
        .iter()
        .any(|c| matches!(c.ask, Ask::ProductType { .. } | Ask::Category { .. }));
    let not_sold = not_sold.filter(|_| !names_sold);
    let relaxed_filters = (!added.attributes.is_empty()).then(|| {
        let mut f = filters.clone();
        f.attributes = request.attributes.clone();
        f
    });
    let text_to_search = search_text
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    Understanding {
        text: text_to_search.clone(),
        marks: marks(intent),
        filters,
        relaxed_filters,
        boosts,
        not_sold,
        parsed: ParsedQuery {
            source: IntentSource::Local,
            parse_time_ms: 0.0,
            filters: added,
            free_text: intent.free_text.clone(),
            search_text: text_to_search,
            product_type,
            understood,
            relaxed: Vec::new(),
            error: None,
        },
    }
}

/// Words that carried a category, a product type, an attribute or a size: highlighted.
fn marks(intent: &Intent) -> Vec<PlannedWord> {
    intent
        .constraints
        .iter()
        .filter(|c| {
            matches!(
                c.ask,
                Ask::Category { .. }
                    | Ask::ProductType { .. }
                    | Ask::Attribute { .. }
                    | Ask::Size(_)
            )
        })
        .flat_map(|c| plan_words(&c.words))
        .collect()
}

/// How a constraint was used, or why it was ignored.
type Use = Result<Applied, &'static str>;

/// A plan being built: the constraints are applied in turn, each by the method of its kind.
/// The request's own filters always win over parsed ones.
struct Planner<'a> {
    text: &'a Generation,
    request: &'a Filters,
    category: Result<Option<Resolved>, ()>,
    /// The request's filters with the parsed ones added.
    filters: Filters,
    /// The parsed filters alone (what `parsedQuery.filters` shows).
    added: IntentFilters,
    boosts: Vec<Boost>,
    search_text: Vec<String>,
    product_type: Option<String>,
    not_sold: Option<NotSold>,
}

impl Planner<'_> {
    fn apply(&mut self, c: &intent::Constraint) -> Use {
        match &c.ask {
            Ask::Category { slug, keep } => self.category(c, slug, *keep),
            Ask::ProductType {
                label,
                slug,
                search,
            } => self.product_type(c, label, slug, search),
            Ask::MaxPrice(p) => self.max_price(*p),
            Ask::MinPrice(p) => self.min_price(*p),
            Ask::Band(band) => self.band(*band),
            Ask::Attribute {
                facet,
                values,
                filter,
            } => self.attribute(c, *facet, values, *filter),
            Ask::Size(hint) => Ok(self.size(hint)),
            Ask::InStock => self.in_stock(),
            Ask::NotSold { closest, .. } => self.not_sold(c, closest),
        }
    }

    fn use_category(&mut self, slug: &str) -> Result<(), &'static str> {
        category_use(
            self.text,
            &self.category,
            slug,
            self.request,
            &mut self.filters,
            &mut self.added,
        )
    }

    fn category(&mut self, c: &intent::Constraint, slug: &str, keep: bool) -> Use {
        let used = self.use_category(slug);
        if keep || used.is_err() {
            self.search_text.push(c.words.clone());
        }
        used.map(|()| Applied::Filter)
    }

    fn product_type(
        &mut self,
        c: &intent::Constraint,
        label: &str,
        slug: &str,
        search: &str,
    ) -> Use {
        self.product_type.get_or_insert_with(|| label.to_owned());
        match self.use_category(slug) {
            Err(why) => {
                self.search_text.push(c.words.clone());
                Err(why)
            }
            Ok(()) => {
                if !search.is_empty() {
                    self.search_text.push(search.to_owned());
                }
                Ok(Applied::Filter)
            }
        }
    }

    /// A home item the thesaurus says the store does not sell. The catalog has the last word:
    /// when every word is in a product's name, category or attributes, this store sells it,
    /// and the words are searched.
    fn not_sold(&mut self, c: &intent::Constraint, closest: &[String]) -> Use {
        let words = plan_words(&c.words);
        if !words.is_empty()
            && words
                .iter()
                .all(|w| self.text.sells_word(&w.exact, &w.stem))
        {
            self.search_text.push(c.words.clone());
            return Ok(Applied::Searched);
        }
        self.not_sold.get_or_insert_with(|| NotSold {
            words: c.words.clone(),
            closest: closest.to_vec(),
        });
        Err("the store does not sell it")
    }

    fn max_price(&mut self, p: f64) -> Use {
        if self.request.max_price.is_some() {
            return Err("the request sets maxPrice");
        }
        if self.filters.min_price.is_some_and(|min| min > p) {
            return Err("below the lowest price asked");
        }
        self.filters.max_price = Some(p);
        self.added.max_price = Some(p);
        Ok(Applied::Filter)
    }

    fn min_price(&mut self, p: f64) -> Use {
        if self.request.min_price.is_some() {
            return Err("the request sets minPrice");
        }
        if self.filters.max_price.is_some_and(|max| max < p) {
            return Err("above the highest price asked");
        }
        self.filters.min_price = Some(p);
        self.added.min_price = Some(p);
        Ok(Applied::Filter)
    }

    /// A price band: the cheapest or dearest third of the named category's prices.
    fn band(&mut self, band: PriceBand) -> Use {
        let scope = self.filters.category.as_deref();
        let (share, explicit) = match band {
            PriceBand::Cheap => (BAND_SHARE, self.filters.max_price),
            PriceBand::Premium => (1.0 - BAND_SHARE, self.filters.min_price),
        };
        if explicit.is_some() {
            return Err("a price is already stated");
        }
        let p = self
            .text
            .price_quantile(scope, share)
            .ok_or("no prices to compare with")?;
        match band {
            PriceBand::Cheap => {
                self.filters.max_price = Some(p);
                self.added.max_price = Some(p);
            }
            PriceBand::Premium => {
                self.filters.min_price = Some(p);
                self.added.min_price = Some(p);
            }
        }
        Ok(Applied::Filter)
    }

    /// An attribute always boosts (and so do its words in names); it filters too when it is
    /// unambiguous: no typo, values the catalog has, and no attribute filter in the request.
    fn attribute(
        &mut self,
        c: &intent::Constraint,
        facet: Facet,
        values: &[String],
        filter: bool,
    ) -> Use {
        self.boosts.push(Boost::Attribute {
            facet,
            values: values.to_vec(),
        });
        self.boosts.extend(
            plan_words(&c.words)
                .into_iter()
                .map(|w| Boost::NameWord(w.exact)),
        );
        let known: Vec<String> = values
            .iter()
            .filter(|v| {
                self.text
                    .dictionaries()
                    .attributes
                    .get(&facet)
                    .is_some_and(|d| d.contains(v))
            })
            .cloned()
            .collect();
        // A word read through a typo is a guess ("marie" is not "marine"): a boost only.
        if !filter
            || c.typo
            || self.request.attributes.contains_key(facet.key())
            || known.is_empty()
        {
            return Ok(Applied::Boost);
        }
        let list = self
            .filters
            .attributes
            .entry(facet.key().to_owned())
            .or_default();
        let added = self
            .added
            .attributes
            .entry(facet.key().to_owned())
            .or_default();
        for v in known {
            if !list.contains(&v) {
                list.push(v.clone());
                added.push(v);
            }
        }
        Ok(Applied::Filter)
    }

    fn size(&mut self, hint: &SizeHint) -> Applied {
        match hint {
            SizeHint::Small => {
                self.boosts.push(Boost::SizeClass(SIZE_SMALL));
                Applied::Boost
            }
            SizeHint::Large => {
                self.boosts.push(Boost::SizeClass(SIZE_LARGE));
                Applied::Boost
            }
            // Product names carry counts and dimensions: search them as words.
            SizeHint::Count { .. } | SizeHint::Dimensions { .. } => {
                self.search_text.push(size_words(hint));
                Applied::Searched
            }
            SizeHint::Length { .. } => {
                self.boosts
                    .extend(plan_words(&size_words(hint)).into_iter().map(Boost::Word));
                Applied::Boost
            }
        }
    }

    fn in_stock(&mut self) -> Use {
        if self.request.in_stock.is_some() {
            return Err("the request sets inStock");
        }
        self.filters.in_stock = Some(true);
        self.added.in_stock = Some(true);
        Ok(Applied::Filter)
    }
}

/// The category the query names: the deepest named one when they all lie on one branch
/// ("luminaire lampe de chevet"), with the ordinals of it and its ancestors; `Err` when they
/// disagree ("canapé ou lampe"). Slugs the catalog does not have are left out.
fn resolve_category(text: &Generation, intent: &Intent) -> Result<Option<Resolved>, ()> {
    let mut deepest: Option<Resolved> = None;
    for c in &intent.constraints {
        let (Ask::Category { slug, .. } | Ask::ProductType { slug, .. }) = &c.ask else {
            continue;
        };
        let Some(branch) = branch(text, slug) else {
            continue;
        };
        deepest = match deepest {
            None => Some(Resolved {
                slug: slug.clone(),
                branch,
            }),
            Some(d) if branch.contains(&d.branch[0]) => Some(Resolved {
                slug: slug.clone(),
                branch,
            }),
            Some(d) if d.branch.contains(&branch[0]) => Some(d),
            Some(_) => return Err(()),
        };
    }
    Ok(deepest)
}

/// The resolved category.
struct Resolved {
    slug: String,
    /// Its ordinal, then its ancestors'.
    branch: Vec<usize>,
}

/// A category's ordinal then its ancestors', if the generation has it.
fn branch(text: &Generation, slug: &str) -> Option<Vec<usize>> {
    let lineage = text.dictionaries().lineage(text.category_ord(slug)?);
    Some(lineage.into_iter().map(|o| o as usize).collect())
}

/// Applies the resolved category for a constraint that names it or one of its ancestors.
fn category_use(
    text: &Generation,
    resolved: &Result<Option<Resolved>, ()>,
    slug: &str,
    request: &Filters,
    filters: &mut Filters,
    added: &mut IntentFilters,
) -> Result<(), &'static str> {
    let on_branch = |r: &Resolved| {
        text.category_ord(slug)
            .is_some_and(|o| r.branch.contains(&o))
    };
    match resolved {
        Err(()) => Err("the query names categories on different branches"),
        Ok(Some(r)) if on_branch(r) => {
            if request.category.is_some() {
                return Err("the request sets category");
            }
            filters.category = Some(r.slug.clone());
            added.category = Some(r.slug.clone());
            Ok(())
        }
        _ => Err("this category is not in the catalog"),
    }
}

/// The words of an explicit size, as a product name writes them ("2 places", "160x200").
fn size_words(hint: &SizeHint) -> String {
    match hint {
        SizeHint::Count { n, unit } => format!("{n} {unit}"),
        SizeHint::Dimensions { a, b } => format!("{a}x{b}"),
        SizeHint::Length { cm, .. } => format!("{cm}"),
        SizeHint::Small | SizeHint::Large => String::new(),
    }
}

/// Kind, value and French label of a constraint.
fn describe(c: &intent::Constraint, text: &Generation) -> (ConstraintKind, String, String) {
    let euros = |p: f64| {
        if p.fract() == 0.0 {
            format!("{p:.0} €")
        } else {
            format!("{p:.2} €").replace('.', ",")
        }
    };
    let category_name = |slug: &str| {
        text.category_ord(slug)
            .and_then(|o| text.dictionaries().categories.get(o))
            .map_or_else(|| slug.to_owned(), |c| c.name.clone())
    };
    match &c.ask {
        Ask::Category { slug, .. } => (ConstraintKind::Category, slug.clone(), category_name(slug)),
        Ask::ProductType { label, .. } => (
            ConstraintKind::ProductType,
            label.clone(),
            capitalise(label),
        ),
        Ask::MaxPrice(p) => (
            ConstraintKind::MaxPrice,
            p.to_string(),
            format!("moins de {}", euros(*p)),
        ),
        Ask::MinPrice(p) => (
            ConstraintKind::MinPrice,
            p.to_string(),
            format!("à partir de {}", euros(*p)),
        ),
        Ask::Band(PriceBand::Cheap) => (
            ConstraintKind::PriceBand,
            "cheap".to_owned(),
            "petits prix".to_owned(),
        ),
        Ask::Band(PriceBand::Premium) => (
            ConstraintKind::PriceBand,
            "premium".to_owned(),
            "haut de gamme".to_owned(),
        ),
        Ask::Attribute { facet, values, .. } => {
            let prefix = match facet {
                Facet::Color => "couleur",
                Facet::Material => "en",
                Facet::Style => "style",
                Facet::Room => "pour",
                Facet::Category => "catégorie",
            };
            let label = match facet {
                Facet::Room => format!("{prefix} {}", room_phrase(&values[0])),
                _ => format!("{prefix} {}", values[0]),
            };
            (ConstraintKind::Attribute(*facet), values.join("|"), label)
        }
        Ask::Size(hint) => {
            let label = match hint {
                SizeHint::Small => "petite taille".to_owned(),
                SizeHint::Large => "grande taille".to_owned(),
                SizeHint::Length { cm, diameter: true } => format!("diamètre {cm} cm"),
                other => size_words(other),
            };
            (ConstraintKind::Size, size_words(hint), label)
        }
        Ask::InStock => (
            ConstraintKind::Availability,
            "inStock".to_owned(),
            "en stock".to_owned(),
        ),
        Ask::NotSold { term, .. } => (
            ConstraintKind::NotSold,
            term.clone(),
            format!("pas encore en vente : {term}"),
        ),
    }
}

/// "salon" → "le salon", "salle de bain" → "la salle de bain", "entrée" → "l'entrée".
fn room_phrase(room: &str) -> String {
    match room {
        "chambre" | "cuisine" | "salle de bain" | "salle à manger" | "chambre d'enfant" => {
            format!("la {room}")
        }
        "entrée" | "extérieur" => format!("l'{room}"),
        _ => format!("le {room}"),
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
