//! Recommendations over the same [`Engine`] as search: `similar` (nearest products by
//! embedding), `bought-together` (co-purchases from the generation's [`crate::signals`]),
//! `personalized` (the session's views, cart and wishlist and the user's orders),
//! `complete-the-look` (complementary categories matched on style and colour) and `trending`
//! (rising sales). Every hit says why it is there ([`Reason`]).
//!
//! Inputs are product ids from the storefront: an unknown `productId` is an error (404), but
//! unknown ids in the session lists are skipped (a history may name products deleted since).
//! Products in the cart, bought, or given as context are never recommended back, and out-of-stock
//! products only with `inStock: false`.
//!
//! Degraded answers: without vectors (no model) the semantic parts become best sellers of the
//! right categories; without order signals (a generation built before they existed) co-purchase
//! and trends are skipped; either way `degraded` says so and the list is still filled.
//! Bought-together falls back from co-purchases to complementary categories, then to products
//! similar to the page's product, so a product page never shows an empty widget.

mod pick;

use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::time::Instant;

pub use pick::Recommendation;

use crate::filter::{Facet, Filters, ProductFilter};
use crate::search::{Engine, Live, SearchError, SimilarRequest, semantic_score};
use crate::signals::{RECENT_DAYS, Signals};
use crate::vectors::VectorSet;
use pick::{Pool, Scope, pick};

/// Orders a product needs before its co-purchases are trusted; below, bought-together falls
/// back to matching items from complementary categories.
pub const MIN_ORDERS: u32 = 3;
/// Items accepted in each context list (`cartItems`, `viewHistory`, `wishlist`).
pub const MAX_CONTEXT_ITEMS: usize = 100;
/// Session items whose neighbours feed personalized picks.
const PERSONAL_ANCHORS: usize = 8;
/// Neighbours searched per complementary category.
const PER_CATEGORY: usize = 12;
/// Bonus of a complement sharing the anchor's style, and its colour (on a 0..1 similarity).
const STYLE_MATCH: f32 = 0.15;
const COLOUR_MATCH: f32 = 0.1;
/// Price ceiling of checkout add-ons, in euros.
pub const CHECKOUT_MAX_PRICE: f64 = 60.0;

/// Errors of recommendations.
#[derive(Debug, thiserror::Error)]
pub enum RecommendError {
    /// Unknown `kind`.
    #[error(
        "unknown kind {0:?}; expected similar, bought-together, personalized, complete-the-look or trending"
    )]
    UnknownKind(String),
    /// Unknown storefront `context`.
    #[error("unknown context {0:?}; expected homepage, product, cart or checkout")]
    UnknownContext(String),
    /// The kind needs a product to start from.
    #[error("{0} needs {1}")]
    MissingAnchor(&'static str, &'static str),
    /// A context list is too long.
    #[error("{field} has {count} items; the limit is {MAX_CONTEXT_ITEMS}")]
    TooManyItems {
        /// The list.
        field: &'static str,
        /// Its length.
        count: usize,
    },
    /// The engine refused or failed (limit, filters, unknown product, internal).
    #[error(transparent)]
    Search(#[from] SearchError),
}

/// Kinds of recommendation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Nearest products by embedding.
    Similar,
    /// Products bought in the same orders.
    BoughtTogether,
    /// From the session and the user's orders.
    Personalized,
    /// Complementary categories, matched on style and colour.
    CompleteTheLook,
    /// Rising sales.
    Trending,
}

impl Kind {
    /// The kind's stable name, as requests and answers spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Similar => "similar",
            Kind::BoughtTogether => "bought-together",
            Kind::Personalized => "personalized",
            Kind::CompleteTheLook => "complete-the-look",
            Kind::Trending => "trending",
        }
    }
}

impl FromStr for Kind {
    type Err = RecommendError;

    fn from_str(s: &str) -> Result<Kind, RecommendError> {
        Ok(match s {
            "similar" => Kind::Similar,
            "bought-together" => Kind::BoughtTogether,
            "personalized" => Kind::Personalized,
            "complete-the-look" => Kind::CompleteTheLook,
            "trending" => Kind::Trending,
            other => return Err(RecommendError::UnknownKind(other.to_owned())),
        })
    }
}

/// Why a product is recommended: a stable code and a French sentence for the storefront.
#[derive(Debug, Clone, PartialEq)]
pub struct Reason {
    /// Stable code.
    pub code: ReasonCode,
    /// French sentence for the storefront.
    pub message: String,
    /// The product of the request or session the recommendation follows from.
    pub product_id: Option<String>,
}

/// Stable reason codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReasonCode {
    /// Close to a product by embedding.
    Similar,
    /// Bought in the same orders as a product.
    BoughtTogether,
    /// From a category bought with the product's, matched on style or colour.
    Complementary,
    /// Completes the look of a product or the cart.
    CompleteTheLook,
    /// Close to a product the shopper viewed.
    Viewed,
    /// Close to a product in the cart.
    InCart,
    /// Close to a product in the wishlist.
    Wishlist,
    /// Close to a product the shopper bought.
    Purchased,
    /// Sales rising.
    Trending,
    /// Among the best sellers.
    BestSeller,
}

impl ReasonCode {
    /// The stable code.
    pub fn as_str(self) -> &'static str {
        match self {
            ReasonCode::Similar => "similar",
            ReasonCode::BoughtTogether => "bought-together",
            ReasonCode::Complementary => "complementary",
            ReasonCode::CompleteTheLook => "complete-the-look",
            ReasonCode::Viewed => "viewed",
            ReasonCode::InCart => "in-cart",
            ReasonCode::Wishlist => "wishlist",
            ReasonCode::Purchased => "purchased",
            ReasonCode::Trending => "trending",
            ReasonCode::BestSeller => "best-seller",
        }
    }
}

/// A recommendation request.
#[derive(Debug, Clone, PartialEq)]
pub struct RecommendRequest {
    /// What to recommend.
    pub kind: Kind,
    /// The product of the page (id or slug).
    pub product_id: Option<String>,
    /// Product ids in the cart.
    pub cart_items: Vec<String>,
    /// Product ids viewed, most recent first.
    pub view_history: Vec<String>,
    /// Product ids in the wishlist.
    pub wishlist: Vec<String>,
    /// The shopper, when known: their orders and stored wishlist join the context.
    pub user_id: Option<String>,
    /// Hits to return (0..=100).
    pub limit: i64,
    /// `category`, `minPrice`, `maxPrice`, `inStock` (default true).
    pub filters: Filters,
}

impl RecommendRequest {
    /// A request of `kind` with nothing else set (limit 10).
    pub fn new(kind: Kind) -> RecommendRequest {
        RecommendRequest {
            kind,
            product_id: None,
            cart_items: Vec::new(),
            view_history: Vec::new(),
            wishlist: Vec::new(),
            user_id: None,
            limit: 10,
            filters: Filters::default(),
        }
    }
}

/// Recommendations of one kind.
#[derive(Debug, Clone, PartialEq)]
pub struct RecommendResponse {
    /// Best first.
    pub hits: Vec<Recommendation>,
    /// The kind asked.
    pub kind: Kind,
    /// Time spent in the engine.
    pub processing_time_ms: u64,
    /// What could not be used, and why (the list is still filled as well as possible).
    pub degraded: Vec<String>,
}

/// Where the storefront shows recommendations (`POST /api/ai/recommendations`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// Home page: personalized picks, trending on a cold start.
    Homepage,
    /// Product page: bought together, then similar.
    Product,
    /// Cart: complete the look, then bought together.
    Cart,
    /// Checkout: small add-ons bought with the cart (under [`CHECKOUT_MAX_PRICE`]).
    Checkout,
}

impl Context {
    /// The context's name, as the storefront spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Context::Homepage => "homepage",
            Context::Product => "product",
            Context::Cart => "cart",
            Context::Checkout => "checkout",
        }
    }
}

impl FromStr for Context {
    type Err = RecommendError;

    fn from_str(s: &str) -> Result<Context, RecommendError> {
        Ok(match s {
            "homepage" => Context::Homepage,
            "product" => Context::Product,
            "cart" => Context::Cart,
            "checkout" => Context::Checkout,
            other => return Err(RecommendError::UnknownContext(other.to_owned())),
        })
    }
}

/// Recommendations for a storefront context: the kinds that suit it, merged without
/// duplicates, each hit with its reason.
pub fn for_context(
    engine: &Engine,
    context: Context,
    request: &RecommendRequest,
) -> Result<RecommendResponse, RecommendError> {
    let started = Instant::now();
    let has_cart = !request.cart_items.is_empty() || request.product_id.is_some();
    let (plan, max_price): (&[Kind], Option<f64>) = match context {
        Context::Product => (&[Kind::BoughtTogether, Kind::Similar], None),
        Context::Cart if has_cart => (&[Kind::CompleteTheLook, Kind::BoughtTogether], None),
        Context::Checkout if has_cart => (&[Kind::BoughtTogether], Some(CHECKOUT_MAX_PRICE)),
        // An empty cart has nothing to complete: the shopper's own picks instead.
        Context::Homepage | Context::Cart | Context::Checkout => (&[Kind::Personalized], None),
    };
    if context == Context::Product && request.product_id.is_none() {
        return Err(RecommendError::MissingAnchor(
            "the product context",
            "productId",
        ));
    }
    let limit = crate::search::page_limit(request.limit)?;
    let mut hits: Vec<Recommendation> = Vec::new();
    let mut degraded: Vec<String> = Vec::new();
    for (i, kind) in plan.iter().enumerate() {
        // The first kind gets half the list when another follows, the last fills it.
        let share = if i + 1 < plan.len() {
            limit.div_ceil(2)
        } else {
            limit
        };
        let mut filters = request.filters.clone();
        filters.max_price = filters.max_price.or(max_price);
        let response = recommend(
            engine,
            &RecommendRequest {
                kind: *kind,
                limit: limit as i64,
                filters,
                ..request.clone()
            },
        )?;
        for hit in response.hits {
            if hits.len() >= share {
                break;
            }
            if !hits.iter().any(|h| h.hit.id == hit.hit.id) {
                hits.push(hit);
            }
        }
        for reason in response.degraded {
            if !degraded.contains(&reason) {
                degraded.push(reason);
            }
        }
    }
    Ok(RecommendResponse {
        hits,
        kind: plan[0],
        processing_time_ms: started.elapsed().as_millis() as u64,
        degraded,
    })
}

/// Recommendations of one kind.
pub fn recommend(
    engine: &Engine,
    request: &RecommendRequest,
) -> Result<RecommendResponse, RecommendError> {
    let started = Instant::now();
    let limit = crate::search::page_limit(request.limit)?;
    crate::search::check_similar_filters(&request.filters)?;
    for (field, list) in [
        ("cartItems", &request.cart_items),
        ("viewHistory", &request.view_history),
        ("wishlist", &request.wishlist),
    ] {
        if list.len() > MAX_CONTEXT_ITEMS {
            return Err(RecommendError::TooManyItems {
                field,
                count: list.len(),
            });
        }
    }
    let live = engine.generation();
    let mut run = Run {
        engine,
        live: &live,
        request,
        limit,
        hits: Vec::new(),
        degraded: Vec::new(),
    };
    match request.kind {
        Kind::Similar => run.similar()?,
        Kind::BoughtTogether => run.bought_together()?,
        Kind::Personalized => run.personalized()?,
        Kind::CompleteTheLook => run.complete_the_look()?,
        Kind::Trending => {
            let scope = Scope::new(&live, &request.filters, HashSet::new());
            run.popular(&scope)?;
        }
    }
    let response = RecommendResponse {
        hits: run.hits,
        kind: request.kind,
        processing_time_ms: started.elapsed().as_millis() as u64,
        degraded: run.degraded,
    };
    tracing::debug!(kind = ?request.kind, hits = response.hits.len(), took_us = started.elapsed().as_micros() as u64, "recommend");
    Ok(response)
}

/// A product the recommendations start from.
#[derive(Debug, Clone)]
struct Anchor {
    id: String,
    name: String,
    /// Category ordinal in the generation.
    category: usize,
    weight: f32,
    source: Source,
}

/// Where an anchor comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Product,
    Cart,
    Viewed,
    Wishlist,
    Purchased,
}

impl Anchor {
    /// Why a product close to this anchor is recommended.
    fn reason(&self, detail: &str) -> Reason {
        let (code, message) = match self.source {
            Source::Product => (
                ReasonCode::Similar,
                format!("Dans le même esprit que « {} »", self.name),
            ),
            Source::Cart => (
                ReasonCode::InCart,
                format!("Dans l'esprit de « {} », dans votre panier", self.name),
            ),
            Source::Viewed => (
                ReasonCode::Viewed,
                format!("Parce que vous avez regardé « {} »", self.name),
            ),
            Source::Wishlist => (
                ReasonCode::Wishlist,
                format!("Proche de « {} », dans vos favoris", self.name),
            ),
            Source::Purchased => (
                ReasonCode::Purchased,
                format!("Parce que vous avez acheté « {} »", self.name),
            ),
        };
        Reason {
            code,
            message: message + detail,
            product_id: Some(self.id.clone()),
        }
    }

    fn bought_with(&self, orders: u32) -> Reason {
        Reason {
            code: ReasonCode::BoughtTogether,
            message: format!(
                "Souvent acheté avec « {} » ({orders} commande{})",
                self.name,
                if orders > 1 { "s" } else { "" }
            ),
            product_id: Some(self.id.clone()),
        }
    }
}

/// One request being answered.
struct Run<'a> {
    engine: &'a Engine,
    live: &'a Live,
    request: &'a RecommendRequest,
    limit: usize,
    hits: Vec<Recommendation>,
    degraded: Vec<String>,
}

impl Run<'_> {
    fn degrade(&mut self, what: &str, why: &str) {
        let message = format!("{what}: {why}");
        if !self.degraded.contains(&message) {
            self.degraded.push(message);
        }
    }

    fn vectors(&mut self) -> Option<&VectorSet> {
        match self.live.vectors() {
            Ok(v) => Some(v),
            Err(why) => {
                let why = why.to_owned();
                self.degrade("semantic matching", &why);
                None
            }
        }
    }

    fn signals(&mut self) -> Option<&Signals> {
        match self.live.signals() {
            Ok(s) => Some(s),
            Err(why) => {
                let why = why.to_owned();
                self.degrade("order signals", &why);
                None
            }
        }
    }

    /// The page's product, which must exist.
    fn product_anchor(&self) -> Result<Option<Anchor>, RecommendError> {
        let Some(id_or_slug) = &self.request.product_id else {
            return Ok(None);
        };
        // An id the index knows; else a slug, or a product newer than the index, from the
        // replica (which also says when there is no such product).
        if let Some(anchor) = self
            .anchors(std::slice::from_ref(id_or_slug), Source::Product, |_| 1.0)?
            .pop()
        {
            return Ok(Some(anchor));
        }
        let product = self.engine.product(id_or_slug)?.product;
        if let Some(anchor) = self
            .anchors(std::slice::from_ref(&product.id), Source::Product, |_| 1.0)?
            .pop()
        {
            return Ok(Some(anchor));
        }
        // Newer than the index: known by name only, nothing to match it with.
        Ok(Some(Anchor {
            id: product.id,
            name: product.name,
            category: usize::MAX,
            weight: 1.0,
            source: Source::Product,
        }))
    }

    /// Session products known to the generation, each with its weight; unknown ids are skipped.
    fn anchors(
        &self,
        ids: &[String],
        source: Source,
        weight: impl Fn(usize) -> f32,
    ) -> Result<Vec<Anchor>, SearchError> {
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let found = self.live.text().hits_by_id(&refs)?;
        Ok(found
            .into_iter()
            .enumerate()
            .filter_map(|(i, hit)| {
                hit.map(|h| Anchor {
                    id: h.hit.id,
                    name: h.hit.name,
                    category: h.hit.category,
                    weight: weight(i),
                    source,
                })
            })
            .collect())
    }

    /// The page's product and the cart: what bought-together and complete-the-look start from.
    fn basket_anchors(&self, kind: &'static str) -> Result<Vec<Anchor>, RecommendError> {
        let mut anchors: Vec<Anchor> = self.product_anchor()?.into_iter().collect();
        for anchor in self.anchors(&self.request.cart_items, Source::Cart, |_| 1.0)? {
            if !anchors.iter().any(|a| a.id == anchor.id) {
                anchors.push(anchor);
            }
        }
        if anchors.is_empty() {
            return Err(RecommendError::MissingAnchor(
                kind,
                "productId or cartItems naming known products",
            ));
        }
        Ok(anchors)
    }

    fn similar(&mut self) -> Result<(), RecommendError> {
        let Some(anchor) = self.product_anchor()? else {
            return Err(RecommendError::MissingAnchor("similar", "productId"));
        };
        self.similar_to(&anchor, &HashSet::new())
    }

    /// Fills the list with products similar to `anchor`, but those in `exclude`.
    fn similar_to(
        &mut self,
        anchor: &Anchor,
        exclude: &HashSet<String>,
    ) -> Result<(), RecommendError> {
        if self.hits.len() >= self.limit {
            return Ok(());
        }
        let response = self.engine.similar(&SimilarRequest {
            id_or_slug: anchor.id.clone(),
            limit: (self.limit + exclude.len()).min(crate::search::MAX_LIMIT) as i64,
            filters: self.request.filters.clone(),
            same_category: false,
        })?;
        if let Some(why) = response.degraded {
            self.degrade("similar products", &why);
        }
        for hit in response.hits {
            if self.hits.len() >= self.limit {
                break;
            }
            if !exclude.contains(&hit.id) && !self.hits.iter().any(|h| h.hit.id == hit.id) {
                self.hits.push(Recommendation {
                    hit,
                    reason: anchor.reason(""),
                });
            }
        }
        Ok(())
    }

    fn bought_together(&mut self) -> Result<(), RecommendError> {
        let anchors = self.basket_anchors("bought-together")?;
        let exclude: HashSet<String> = anchors.iter().map(|a| a.id.clone()).collect();
        let scope = Scope::new(self.live, &self.request.filters, exclude);
        let mut pool = Pool::default();
        if let Some(signals) = self.signals() {
            for anchor in &anchors {
                if signals.order_count(&anchor.id) < MIN_ORDERS {
                    continue;
                }
                for (partner, orders, strength) in signals.partners(&anchor.id) {
                    pool.add(partner, strength * anchor.weight, || {
                        anchor.bought_with(orders)
                    });
                }
            }
        }
        let mut hits = Vec::new();
        pick(&scope, pool.ranked(), self.limit, self.limit, &mut hits)?;
        self.hits = hits;
        // Too few orders: matching items from the categories bought with these; and when the
        // orders do not even link categories, products like the first one.
        self.complements(&scope, &anchors, ReasonCode::Complementary)?;
        self.similar_to(&anchors[0], &scope.exclude)
    }

    fn complete_the_look(&mut self) -> Result<(), RecommendError> {
        let anchors = self.basket_anchors("complete-the-look")?;
        let exclude: HashSet<String> = anchors.iter().map(|a| a.id.clone()).collect();
        let scope = Scope::new(self.live, &self.request.filters, exclude);
        self.complements(&scope, &anchors, ReasonCode::CompleteTheLook)
    }

    /// Fills the list with products of the categories bought with the anchors' (never the
    /// anchors' own), one category after the other in turn, each ranked by closeness to the
    /// anchor that leads to it plus a bonus for a shared style or colour.
    fn complements(
        &mut self,
        scope: &Scope,
        anchors: &[Anchor],
        code: ReasonCode,
    ) -> Result<(), RecommendError> {
        if self.hits.len() >= self.limit {
            return Ok(());
        }
        let live = self.live;
        let categories = &live.text().dictionaries().categories;
        let ord_of: HashMap<&str, usize> = categories
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.as_str(), i))
            .collect();
        let own: HashSet<usize> = anchors.iter().map(|a| a.category).collect();
        // Complementary category -> (strength, index of the anchor leading to it).
        let mut wanted: HashMap<usize, (f32, usize)> = HashMap::new();
        if let Some(signals) = self.signals() {
            for (i, anchor) in anchors.iter().enumerate() {
                let Some(category) = categories.get(anchor.category) else {
                    continue;
                };
                for (id, strength) in signals.complements(&category.id) {
                    let Some(&ord) = ord_of.get(id.as_str()) else {
                        continue;
                    };
                    if own.contains(&ord) || !scope.allows_category(ord) {
                        continue;
                    }
                    let score = strength * anchor.weight;
                    let entry = wanted.entry(ord).or_insert((score, i));
                    if score > entry.0 {
                        *entry = (score, i);
                    }
                }
            }
        }
        if wanted.is_empty() {
            self.degrade(
                "complementary categories",
                "no orders link these products' categories to others yet; matched by room instead",
            );
            return self.complements_by_room(scope, &anchors[0], &own, code);
        }
        let mut order: Vec<(usize, f32, usize)> =
            wanted.into_iter().map(|(o, (s, a))| (o, s, a)).collect();
        order.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        order.truncate(self.limit);

        // Each anchor's categories in one scan of their rows (the anchor's vector against
        // them all), split by category.
        let mut matched: HashMap<usize, Vec<(String, Reason)>> = HashMap::new();
        if let Some(vectors) = self.vectors() {
            let mut filter = scope.filter(None);
            filter.exclude_categories = own.iter().map(|&o| o as u32).collect();
            for (a, anchor) in anchors.iter().enumerate() {
                let ords: Vec<usize> = order.iter().filter(|o| o.2 == a).map(|o| o.0).collect();
                let Some(row) = vectors.row(&anchor.id).filter(|_| !ords.is_empty()) else {
                    continue;
                };
                let categories: Vec<u32> = ords.iter().map(|&o| o as u32).collect();
                let found = vectors.knn_in_categories(
                    &vectors.vector(row),
                    PER_CATEGORY,
                    &categories,
                    &filter,
                    Some(row),
                );
                for (ord, found) in ords.into_iter().zip(found) {
                    matched.insert(
                        ord,
                        rank_complements(scope, vectors, row, anchor, found, code),
                    );
                }
            }
        }
        let mut lists: Vec<Vec<(String, Reason)>> = Vec::new();
        for &(ord, _, a) in &order {
            let list = match matched.remove(&ord) {
                Some(list) => list,
                None => scope
                    .best_sellers(Some(ord), PER_CATEGORY)?
                    .into_iter()
                    .map(|(id, _)| (id, complement_reason(code, &anchors[a], "")))
                    .collect(),
            };
            lists.push(list);
        }
        // In turn: the first of each category, then the second...
        let mut ranked = Vec::new();
        let longest = lists.iter().map(Vec::len).max().unwrap_or(0);
        for round in 0..longest {
            for list in &lists {
                if let Some((id, reason)) = list.get(round) {
                    let score = 1.0 / (1.0 + round as f32);
                    ranked.push((id.clone(), score, reason.clone()));
                }
            }
        }
        let limit = self.limit;
        pick(scope, ranked, limit, limit, &mut self.hits)?;
        Ok(())
    }

    /// Without order links: products for the same room as the anchor (its `room` attribute)
    /// from other categories, ranked like complements. Needs vectors.
    fn complements_by_room(
        &mut self,
        scope: &Scope,
        anchor: &Anchor,
        own: &HashSet<usize>,
        code: ReasonCode,
    ) -> Result<(), RecommendError> {
        let limit = self.limit;
        let Some(vectors) = self.vectors() else {
            return Ok(());
        };
        let Some(rooms) = vectors
            .row(&anchor.id)
            .map(|row| vectors.item(row).values(Facet::Room))
            .filter(|rooms| !rooms.is_empty())
        else {
            return Ok(());
        };
        let mut filter = scope.filter(None);
        filter.attributes.push((Facet::Room, rooms.to_vec()));
        filter.exclude_categories = own.iter().map(|&o| o as u32).collect();
        let k = limit * 4 + PER_CATEGORY;
        let matched = complements_by_vector(scope, vectors, anchor, &filter, k, code)
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(i, (id, reason))| (id, 1.0 / (1.0 + i as f32), reason))
            .collect();
        let cap = limit.div_ceil(3).max(2);
        pick(scope, matched, limit, cap, &mut self.hits)?;
        Ok(())
    }

    fn personalized(&mut self) -> Result<(), RecommendError> {
        let request = self.request;
        let mut context: Vec<Anchor> = Vec::new();
        context.extend(self.anchors(&request.cart_items, Source::Cart, |_| 1.5)?);
        context.extend(self.anchors(&request.view_history, Source::Viewed, |i| {
            0.8f32.powi(i as i32)
        })?);
        let mut wishlist = request.wishlist.clone();
        let mut purchased = Vec::new();
        if let Some(user) = &request.user_id {
            let history = self
                .engine
                .catalog()
                .user_history(user)
                .map_err(SearchError::from)?;
            wishlist.extend(history.wishlist);
            purchased = history.purchased;
        }
        context.extend(self.anchors(&wishlist, Source::Wishlist, |i| 1.2 * 0.9f32.powi(i as i32))?);
        context.extend(self.anchors(&purchased, Source::Purchased, |i| 0.85f32.powi(i as i32))?);
        // One anchor per product, its strongest role.
        context.sort_by(|a, b| b.weight.total_cmp(&a.weight));
        let mut seen = HashSet::new();
        context.retain(|a| seen.insert(a.id.clone()));

        // Nothing in the cart, bought or already in the session comes back; unknown ids too.
        let mut exclude: HashSet<String> = seen;
        exclude.extend(request.cart_items.iter().cloned());
        exclude.extend(purchased.iter().cloned());
        let scope = Scope::new(self.live, &request.filters, exclude);
        if context.is_empty() {
            // A first visit: what is selling now.
            return self.popular(&scope);
        }

        let mut pool = Pool::default();
        let k = self.limit * 2 + 10;
        if let Some(vectors) = self.vectors() {
            for anchor in context.iter().take(PERSONAL_ANCHORS) {
                let Some(row) = vectors.row(&anchor.id) else {
                    continue;
                };
                let filter = scope.filter(None);
                for (r, cosine) in vectors.knn(&vectors.vector(row), k, &filter, Some(row)) {
                    pool.add(
                        &vectors.item(r).id,
                        anchor.weight * semantic_score(cosine),
                        || anchor.reason(""),
                    );
                }
            }
        } else {
            for anchor in context.iter().take(PERSONAL_ANCHORS) {
                for (id, _) in scope.best_sellers(Some(anchor.category), 4)? {
                    pool.add(&id, anchor.weight * 0.5, || anchor.reason(""));
                }
            }
        }
        if let Some(signals) = self.signals() {
            for anchor in &context {
                if signals.order_count(&anchor.id) < MIN_ORDERS {
                    continue;
                }
                for (partner, orders, strength) in signals.partners(&anchor.id) {
                    pool.add(partner, anchor.weight * strength, || {
                        anchor.bought_with(orders)
                    });
                }
            }
        }
        let cap = self.limit.div_ceil(3).max(2);
        let limit = self.limit;
        pick(&scope, pool.ranked(), limit, cap, &mut self.hits)?;
        self.popular(&scope)
    }

    /// Fills the list with rising products, then best sellers.
    fn popular(&mut self, scope: &Scope) -> Result<(), RecommendError> {
        if self.hits.len() >= self.limit {
            return Ok(());
        }
        let weeks = (RECENT_DAYS / 7.0).round();
        let trending: Vec<(String, f32, Reason)> = match self.signals() {
            Some(signals) => signals
                .trending()
                .iter()
                .map(|t| {
                    let message = if t.expected > 0.0 {
                        format!(
                            "En forte progression : {} ventes sur {weeks} semaines (+{:.0} %)",
                            t.recent,
                            (t.recent as f32 / t.expected - 1.0) * 100.0
                        )
                    } else {
                        format!("Nouveau succès : {} ventes sur {weeks} semaines", t.recent)
                    };
                    let reason = Reason {
                        code: ReasonCode::Trending,
                        message,
                        product_id: None,
                    };
                    (t.id.clone(), t.score, reason)
                })
                .collect(),
            None => Vec::new(),
        };
        let limit = self.limit;
        pick(scope, trending, limit, limit, &mut self.hits)?;
        if self.hits.len() < limit {
            let sellers = scope
                .best_sellers(None, limit * 2 + self.hits.len())?
                .into_iter()
                .enumerate()
                .map(|(i, (id, _))| {
                    let reason = Reason {
                        code: ReasonCode::BestSeller,
                        message: "Parmi nos meilleures ventes".to_owned(),
                        product_id: None,
                    };
                    (id, 1.0 / (1.0 + i as f32), reason)
                })
                .collect();
            pick(scope, sellers, limit, limit, &mut self.hits)?;
        }
        Ok(())
    }
}

/// The `k` products passing `filter` closest to the anchor, reranked with a bonus for a shared
/// style or colour; `None` when the anchor has no vector.
fn complements_by_vector(
    scope: &Scope,
    vectors: &VectorSet,
    anchor: &Anchor,
    filter: &ProductFilter,
    k: usize,
    code: ReasonCode,
) -> Option<Vec<(String, Reason)>> {
    let row = vectors.row(&anchor.id)?;
    let found = vectors.knn(&vectors.vector(row), k, filter, Some(row));
    Some(rank_complements(scope, vectors, row, anchor, found, code))
}

/// Rows found near the anchor (its row `row`), reranked with a bonus for a shared style or
/// colour, with their reasons.
fn rank_complements(
    scope: &Scope,
    vectors: &VectorSet,
    row: usize,
    anchor: &Anchor,
    found: Vec<(usize, f32)>,
    code: ReasonCode,
) -> Vec<(String, Reason)> {
    let own = vectors.item(row);
    let dictionaries = scope.live.text().dictionaries();
    let shared = |facet: Facet, theirs: &crate::vectors::VectorItem| -> Option<String> {
        let mine = own.values(facet);
        let value = theirs.values(facet).iter().find(|v| mine.contains(v))?;
        dictionaries
            .attribute_value(facet, *value)
            .map(str::to_owned)
    };
    let mut scored: Vec<(f32, String, Reason)> = found
        .into_iter()
        .map(|(r, cosine)| {
            let item = vectors.item(r);
            let style = shared(Facet::Style, item);
            let colour = shared(Facet::Color, item);
            let mut score = semantic_score(cosine);
            let detail = match (&style, &colour) {
                (Some(s), Some(c)) => format!(" : même style {s}, coloris {c}"),
                (Some(s), None) => format!(" : même style {s}"),
                (None, Some(c)) => format!(" : coloris {c} assorti"),
                (None, None) => String::new(),
            };
            score += style.map_or(0.0, |_| STYLE_MATCH) + colour.map_or(0.0, |_| COLOUR_MATCH);
            (
                score,
                item.id.clone(),
                complement_reason(code, anchor, &detail),
            )
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    scored.into_iter().map(|(_, id, r)| (id, r)).collect()
}

fn complement_reason(code: ReasonCode, anchor: &Anchor, detail: &str) -> Reason {
    let message = match code {
        ReasonCode::CompleteTheLook => format!("Pour compléter « {} »{detail}", anchor.name),
        _ => format!("Va bien avec « {} »{detail}", anchor.name),
    };
    Reason {
        code,
        message,
        product_id: Some(anchor.id.clone()),
    }
}
