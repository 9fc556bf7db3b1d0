//! Wire types of the HTTP API (JSON, camelCase). Requests deny unknown fields; each converts
//! into the engine's domain type, which validates values.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::recommend::{Kind, RecommendError, RecommendRequest, RecommendResponse, Recommendation};
use crate::search::{
    self, Alternative, Alternatives, CategoryNode, Chip, EmptyReason, Health, Mode, ParsedQuery,
    ProductDetail, SearchError, SearchHit, SearchRequest, SearchResponse, SimilarRequest,
    SimilarResponse,
};
use crate::search::{Filters, Sort};

/// Body of `POST /v1/search`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct SearchBody {
    /// Query text (empty: every product).
    #[serde(default)]
    q: String,
    /// Filters.
    #[serde(default)]
    filters: FiltersBody,
    /// `relevance` (default), `price-asc`, `price-desc`, `newest`, `popular`, `rating`.
    sort: Option<String>,
    /// Facets to count: `category`, `color`, `material`, `style`, `room`, `price`, or `*`.
    #[serde(default)]
    facets: Vec<String>,
    /// Hits to skip (default 0).
    offset: Option<i64>,
    /// Hits to return (default 20, at most 100).
    limit: Option<i64>,
    /// Return `_formatted` with `<mark>` highlights (default true).
    highlight: Option<bool>,
    /// Return `_rankingScoreDetails` (default false).
    explain: Option<bool>,
    /// `instant` (lexical only, for keystrokes) or `full` (default: lexical and semantic).
    mode: Option<String>,
    /// Weight of the semantic source in `full` mode, 0..=1 (default: configured, 0.5).
    semantic_ratio: Option<f32>,
    /// Parse the query's intent into filters and boosts (default true).
    intent: Option<bool>,
    /// The storefront's visitor id: who submitted the search, for completions.
    session_id: Option<String>,
}

impl SearchBody {
    /// The visitor id, when sent.
    pub(crate) fn session_id(&self) -> Option<&str> {
        self.session_id.as_deref()
    }
}

/// Filters of a search.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct FiltersBody {
    /// Category slug; subcategories included.
    category: Option<String>,
    /// Lowest price in euros.
    min_price: Option<f64>,
    /// Highest price in euros.
    max_price: Option<f64>,
    /// In stock only (true) or out of stock only (false).
    in_stock: Option<bool>,
    /// Featured only (true) or not featured (false).
    featured: Option<bool>,
    /// `{ "color": ["blanc"], "material": ["chêne", "noyer"] }`: any value of a key, every key.
    #[serde(default)]
    attributes: BTreeMap<String, Vec<String>>,
}

impl From<FiltersBody> for Filters {
    fn from(body: FiltersBody) -> Filters {
        Filters {
            category: body.category,
            min_price: body.min_price,
            max_price: body.max_price,
            in_stock: body.in_stock,
            featured: body.featured,
            attributes: body.attributes,
        }
    }
}

/// Body of `POST /v1/similar`: exactly one of `id` and `slug`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct SimilarBody {
    /// The anchor product's id.
    id: Option<String>,
    /// The anchor product's slug.
    slug: Option<String>,
    /// Hits to return (default 10, at most 100).
    limit: Option<i64>,
    /// `category`, `minPrice`, `maxPrice`, `inStock` (default true; false includes out-of-stock).
    #[serde(default)]
    filters: FiltersBody,
    /// Only the anchor's own category (default false).
    same_category: Option<bool>,
}

impl TryFrom<SimilarBody> for SimilarRequest {
    type Error = String;

    fn try_from(body: SimilarBody) -> Result<SimilarRequest, String> {
        let id_or_slug = match (body.id, body.slug) {
            (Some(id), None) => id,
            (None, Some(slug)) => slug,
            _ => return Err("give exactly one of `id` and `slug`".to_owned()),
        };
        Ok(SimilarRequest {
            id_or_slug,
            limit: body.limit.unwrap_or(10),
            filters: body.filters.into(),
            same_category: body.same_category.unwrap_or(false),
        })
    }
}

/// A cart line: a product id, or the storefront's `{ productId, quantity }`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum CartItem {
    /// A product id.
    Id(String),
    /// A cart line.
    Line(CartLine),
}

/// A cart line of the storefront.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct CartLine {
    /// The product.
    product_id: String,
    /// Units (not used for recommendations).
    #[allow(dead_code)]
    quantity: Option<u32>,
}

impl CartItem {
    fn into_id(self) -> String {
        match self {
            CartItem::Id(id) => id,
            CartItem::Line(line) => line.product_id,
        }
    }
}

/// Body of `POST /v1/recommend`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RecommendBody {
    /// `similar`, `bought-together`, `personalized`, `complete-the-look` or `trending`.
    kind: String,
    /// The product of the page (similar, bought-together, complete-the-look).
    product_id: Option<String>,
    /// The cart: product ids or `{ productId, quantity }`.
    #[serde(default)]
    cart_items: Vec<CartItem>,
    /// Product ids viewed, most recent first.
    #[serde(default)]
    view_history: Vec<String>,
    /// Product ids in the wishlist.
    #[serde(default)]
    wishlist: Vec<String>,
    /// The shopper: their orders and stored wishlist join the context.
    user_id: Option<String>,
    /// Hits to return (default 10, at most 100).
    limit: Option<i64>,
    /// `category`, `minPrice`, `maxPrice`, `inStock` (default true).
    #[serde(default)]
    filters: FiltersBody,
}

impl TryFrom<RecommendBody> for RecommendRequest {
    type Error = RecommendError;

    fn try_from(body: RecommendBody) -> Result<RecommendRequest, RecommendError> {
        Ok(RecommendRequest {
            kind: body.kind.parse()?,
            product_id: body.product_id,
            cart_items: body.cart_items.into_iter().map(CartItem::into_id).collect(),
            view_history: body.view_history,
            wishlist: body.wishlist,
            user_id: body.user_id,
            limit: body.limit.unwrap_or(10),
            filters: body.filters.into(),
        })
    }
}

/// Body of the storefront's `POST /api/ai/recommendations`. Its session fields repeat those of
/// [`RecommendBody`] because serde cannot flatten a shared struct under `deny_unknown_fields`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct ContextBody {
    /// `homepage`, `product`, `cart` or `checkout`.
    pub(crate) context: String,
    /// The product of the page (required in the `product` context).
    product_id: Option<String>,
    /// The cart: product ids or `{ productId, quantity }`.
    #[serde(default)]
    cart_items: Vec<CartItem>,
    /// Product ids viewed, most recent first.
    #[serde(default)]
    view_history: Vec<String>,
    /// Product ids in the wishlist.
    #[serde(default)]
    wishlist: Vec<String>,
    /// The shopper, when signed in.
    user_id: Option<String>,
    /// Recommendations to return (default 8, at most 100).
    limit: Option<i64>,
}

impl From<ContextBody> for RecommendRequest {
    fn from(body: ContextBody) -> RecommendRequest {
        RecommendRequest {
            product_id: body.product_id,
            cart_items: body.cart_items.into_iter().map(CartItem::into_id).collect(),
            view_history: body.view_history,
            wishlist: body.wishlist,
            user_id: body.user_id,
            limit: body.limit.unwrap_or(8),
            ..RecommendRequest::new(Kind::Personalized)
        }
    }
}

/// Response of `POST /api/ai/recommendations`, in the storefront's shape.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ContextReply {
    pub(crate) recommendations: Vec<RecommendedHit>,
    pub(crate) context: &'static str,
    pub(crate) processing_time_ms: u64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) degraded: Vec<String>,
}

/// Body of the storefront's `POST /api/ai/search` and `POST /api/ai/search/suggest`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct StorefrontQueryBody {
    /// What the shopper typed.
    pub(crate) query: String,
    /// Products to return (default 20, at most 100; search only).
    pub(crate) limit: Option<i64>,
    /// The storefront's visitor id: who submitted the search, for completions.
    pub(crate) session_id: Option<String>,
}

/// Response of `POST /api/ai/search`, in the storefront's shape.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StorefrontSearchReply {
    pub(crate) success: bool,
    /// The products.
    pub(crate) data: Vec<Hit>,
    /// What was understood (`parsedQuery`).
    pub(crate) intent: Option<ParsedQueryReply>,
    /// Refinement chips.
    pub(crate) suggestions: Vec<ChipReply>,
    /// Whether Claude reordered the products.
    pub(crate) reranked: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) degraded: Vec<String>,
    pub(crate) processing_time_ms: u64,
}

impl TryFrom<SearchBody> for SearchRequest {
    type Error = SearchError;

    fn try_from(body: SearchBody) -> Result<SearchRequest, SearchError> {
        let defaults = SearchRequest::default();
        Ok(SearchRequest {
            q: body.q,
            filters: body.filters.into(),
            sort: body
                .sort
                .as_deref()
                .map_or(Ok(Sort::Relevance), str::parse)?,
            facets: body.facets,
            offset: body.offset.unwrap_or(defaults.offset),
            limit: body.limit.unwrap_or(defaults.limit),
            highlight: body.highlight.unwrap_or(defaults.highlight),
            explain: body.explain.unwrap_or(defaults.explain),
            mode: body.mode.as_deref().map_or(Ok(Mode::Full), str::parse)?,
            semantic_ratio: body.semantic_ratio,
            intent: body.intent.unwrap_or(defaults.intent),
        })
    }
}

// ---- Responses. The engine's types carry no wire names; each response is built here, so a
// field renamed inside the engine cannot change the public JSON (tests/api_shapes.rs pins it).

/// A product's category in a hit.
#[derive(Debug, Serialize)]
pub(crate) struct HitCategory {
    id: String,
    slug: String,
    name: String,
}

impl From<search::HitCategory> for HitCategory {
    fn from(c: search::HitCategory) -> HitCategory {
        HitCategory {
            id: c.id,
            slug: c.slug,
            name: c.name,
        }
    }
}

/// Highlighted fields of a hit (`_formatted`).
#[derive(Debug, Serialize)]
pub(crate) struct Highlights {
    name: String,
    description: String,
}

/// Why a hit ranks where it does (`_rankingScoreDetails`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RankingDetails {
    words: Vec<WordMatchReply>,
    text_score: f32,
    sort_score: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lexical_score: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    semantic_score: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fused_score: Option<f32>,
}

/// A product in a list of hits.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Hit {
    id: String,
    slug: String,
    name: String,
    price: f64,
    compare_price: Option<f64>,
    category: HitCategory,
    image: Option<String>,
    in_stock: bool,
    rating: Option<f64>,
    #[serde(rename = "_formatted", skip_serializing_if = "Option::is_none")]
    formatted: Option<Highlights>,
    #[serde(rename = "_rankingScore")]
    ranking_score: f32,
    #[serde(
        rename = "_rankingScoreDetails",
        skip_serializing_if = "Option::is_none"
    )]
    ranking_score_details: Option<RankingDetails>,
}

impl From<SearchHit> for Hit {
    fn from(h: SearchHit) -> Hit {
        Hit {
            id: h.id,
            slug: h.slug,
            name: h.name,
            price: h.price,
            compare_price: h.compare_price,
            category: h.category.into(),
            image: h.image,
            in_stock: h.in_stock,
            rating: h.rating,
            formatted: h.formatted.map(|f| Highlights {
                name: f.name,
                description: f.description,
            }),
            ranking_score: h.ranking_score,
            ranking_score_details: h.ranking_score_details.map(|d| RankingDetails {
                words: d.words.into_iter().map(WordMatchReply::from).collect(),
                text_score: d.text_score,
                sort_score: d.sort_score,
                lexical_score: d.lexical_score,
                semantic_score: d.semantic_score,
                fused_score: d.fused_score,
            }),
        }
    }
}

fn hits(hits: Vec<SearchHit>) -> Vec<Hit> {
    hits.into_iter().map(Hit::from).collect()
}

/// Minimum and maximum of a numeric facet.
#[derive(Debug, Serialize)]
pub(crate) struct FacetStats {
    min: f64,
    max: f64,
}

/// Response of `POST /v1/search` (and of `vivr-search search --json`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchReply {
    hits: Vec<Hit>,
    query: String,
    dropped_words: Vec<String>,
    estimated_total_hits: usize,
    offset: usize,
    limit: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    facet_distribution: Option<BTreeMap<String, BTreeMap<String, u64>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    facet_stats: Option<BTreeMap<String, FacetStats>>,
    semantic_hit_count: usize,
    reranked: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    parsed_query: Option<ParsedQueryReply>,
    #[serde(skip_serializing_if = "Option::is_none")]
    alternatives: Option<AlternativesReply>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    degraded: Vec<String>,
    processing_time_ms: u64,
    request_uid: String,
}

/// An empty answer's way out: why, what was asked, and labelled alternatives.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AlternativesReply {
    reason: EmptyReason,
    wanted: String,
    items: Vec<AlternativeReply>,
}

/// One labelled alternative.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub(crate) enum AlternativeReply {
    /// A close category.
    Category {
        label: String,
        slug: String,
        name: String,
    },
    /// A popular product.
    Popular { label: String, product: Box<Hit> },
}

impl From<Alternatives> for AlternativesReply {
    fn from(a: Alternatives) -> AlternativesReply {
        AlternativesReply {
            reason: a.reason,
            wanted: a.wanted,
            items: a
                .items
                .into_iter()
                .map(|item| match item {
                    Alternative::Category { label, slug, name } => {
                        AlternativeReply::Category { label, slug, name }
                    }
                    Alternative::Popular { label, hit } => AlternativeReply::Popular {
                        label,
                        product: Box::new(Hit::from(*hit)),
                    },
                })
                .collect(),
        }
    }
}

impl SearchReply {
    /// The reply to a search, with the request's id.
    pub fn new(r: SearchResponse, request_uid: String) -> SearchReply {
        SearchReply {
            hits: hits(r.hits),
            query: r.query,
            dropped_words: r.dropped_words,
            estimated_total_hits: r.estimated_total_hits,
            offset: r.offset,
            limit: r.limit,
            facet_distribution: r.facet_distribution,
            facet_stats: r.facet_stats.map(|stats| {
                stats
                    .into_iter()
                    .map(|(name, s)| {
                        (
                            name,
                            FacetStats {
                                min: s.min,
                                max: s.max,
                            },
                        )
                    })
                    .collect()
            }),
            semantic_hit_count: r.semantic_hit_count,
            reranked: r.reranked,
            parsed_query: r.parsed_query.map(ParsedQueryReply::from),
            alternatives: r.alternatives.map(AlternativesReply::from),
            degraded: r.degraded,
            processing_time_ms: r.processing_time_ms,
            request_uid,
        }
    }
}

/// Response of `POST /v1/similar`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SimilarReply {
    hits: Vec<Hit>,
    id: String,
    processing_time_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    degraded: Option<String>,
}

impl From<SimilarResponse> for SimilarReply {
    fn from(r: SimilarResponse) -> SimilarReply {
        SimilarReply {
            hits: hits(r.hits),
            id: r.id,
            processing_time_ms: r.processing_time_ms,
            degraded: r.degraded,
        }
    }
}

/// Why a product is recommended.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Reason {
    code: &'static str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    product_id: Option<String>,
}

/// A recommended product: a hit and its reason.
#[derive(Debug, Serialize)]
pub(crate) struct RecommendedHit {
    #[serde(flatten)]
    hit: Hit,
    reason: Reason,
}

impl From<Recommendation> for RecommendedHit {
    fn from(r: Recommendation) -> RecommendedHit {
        RecommendedHit {
            hit: r.hit.into(),
            reason: Reason {
                code: r.reason.code.as_str(),
                message: r.reason.message,
                product_id: r.reason.product_id,
            },
        }
    }
}

/// Response of `POST /v1/recommend`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RecommendReply {
    hits: Vec<RecommendedHit>,
    kind: &'static str,
    processing_time_ms: u64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    degraded: Vec<String>,
}

impl From<RecommendResponse> for RecommendReply {
    fn from(r: RecommendResponse) -> RecommendReply {
        RecommendReply {
            hits: r.hits.into_iter().map(RecommendedHit::from).collect(),
            kind: r.kind.as_str(),
            processing_time_ms: r.processing_time_ms,
            degraded: r.degraded,
        }
    }
}

/// Response of `GET /v1/products/{idOrSlug}`: the product's own fields, its stock state and
/// its category path.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ProductReply {
    id: String,
    slug: String,
    name: String,
    description: Option<String>,
    price: f64,
    compare_price: Option<f64>,
    currency: String,
    stock: i64,
    featured: bool,
    category_id: String,
    images: Vec<String>,
    brand: Option<String>,
    tags: Vec<String>,
    attributes: serde_json::Map<String, serde_json::Value>,
    created_at: String,
    updated_at: String,
    rating: Option<f64>,
    review_count: u32,
    in_stock: bool,
    category_path: Vec<HitCategory>,
}

impl From<ProductDetail> for ProductReply {
    fn from(d: ProductDetail) -> ProductReply {
        let p = d.product;
        ProductReply {
            id: p.id,
            slug: p.slug,
            name: p.name,
            description: p.description,
            price: p.price,
            compare_price: p.compare_price,
            currency: p.currency,
            stock: p.stock,
            featured: p.featured,
            category_id: p.category_id,
            images: p.images,
            brand: p.brand,
            tags: p.tags,
            attributes: p.attributes,
            created_at: p.created_at,
            updated_at: p.updated_at,
            rating: p.rating,
            review_count: p.review_count,
            in_stock: d.in_stock,
            category_path: d.category_path.into_iter().map(HitCategory::from).collect(),
        }
    }
}

/// A category of `GET /v1/categories`, with its product count and children.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CategoryReply {
    id: String,
    slug: String,
    name: String,
    product_count: u64,
    children: Vec<CategoryReply>,
}

impl From<CategoryNode> for CategoryReply {
    fn from(c: CategoryNode) -> CategoryReply {
        CategoryReply {
            id: c.id,
            slug: c.slug,
            name: c.name,
            product_count: c.product_count,
            children: c.children.into_iter().map(CategoryReply::from).collect(),
        }
    }
}

/// What `/health` tells of the live generation (not the manifest file as written).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct IndexHealth {
    format_version: u32,
    generation: u64,
    catalog: CatalogMark,
    products: u64,
    categories: u64,
    built_at: String,
    build_ms: u64,
    vectors: Option<VectorsHealth>,
}

/// The replica's state a generation was built from.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CatalogMark {
    import_seq: i64,
    max_updated_at: Option<String>,
}

/// The vectors of the live generation.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct VectorsHealth {
    model_id: String,
    dimension: usize,
    count: usize,
    embedded: usize,
    embed_ms: u64,
}

/// A layer's state: whether it serves, and why not.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SemanticState {
    available: bool,
    vectors: usize,
    reason: Option<String>,
}

/// The order signals' state.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SignalsState {
    available: bool,
    orders: u64,
    trending: usize,
    reason: Option<String>,
}

/// A generation the engine refused to serve.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RefusedState {
    dir: String,
    reason: String,
}

/// Response of `GET /health`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct HealthReply {
    index: IndexHealth,
    catalog_products: u64,
    semantic: SemanticState,
    signals: SignalsState,
    #[serde(skip_serializing_if = "Option::is_none")]
    refused_generation: Option<RefusedState>,
    /// The index holds nothing from the store yet (the first sync is running): searches
    /// answer 503 `index_building`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    index_building: bool,
    /// The live sync from the store's database, when the server runs one.
    #[serde(skip_serializing_if = "Option::is_none")]
    sync: Option<SyncHealth>,
}

/// The sync's part of `/health`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SyncHealth {
    #[serde(flatten)]
    status: crate::sync::SyncStatusReport,
    /// Rows the store holds that the replica could not apply.
    row_error_count: u64,
    /// The first of them, with their reasons.
    row_errors: Vec<crate::sync::SyncRowError>,
}

impl HealthReply {
    /// With the sync's status and the rows it could not apply.
    pub(crate) fn with_sync(
        mut self,
        status: crate::sync::SyncStatusReport,
        state: crate::sync::SyncState,
    ) -> HealthReply {
        self.sync = Some(SyncHealth {
            status,
            row_error_count: state.error_count,
            row_errors: state.errors.into_iter().take(20).collect(),
        });
        self
    }
}

impl From<Health> for HealthReply {
    fn from(h: Health) -> HealthReply {
        let m = h.index;
        HealthReply {
            index: IndexHealth {
                format_version: m.format_version,
                generation: m.generation,
                catalog: CatalogMark {
                    import_seq: m.catalog.import_seq,
                    max_updated_at: m.catalog.max_updated_at,
                },
                products: m.products,
                categories: m.categories,
                built_at: m.built_at,
                build_ms: m.build_ms,
                vectors: m.vectors.map(|v| VectorsHealth {
                    model_id: v.model_id,
                    dimension: v.dimension,
                    count: v.count,
                    embedded: v.embedded,
                    embed_ms: v.embed_ms,
                }),
            },
            catalog_products: h.catalog_products,
            semantic: SemanticState {
                available: h.semantic.available,
                vectors: h.semantic.vectors,
                reason: h.semantic.reason,
            },
            signals: SignalsState {
                available: h.signals.available,
                orders: h.signals.orders,
                trending: h.signals.trending,
                reason: h.signals.reason,
            },
            refused_generation: h.refused_generation.map(|r| RefusedState {
                dir: r.dir.display().to_string(),
                reason: r.reason,
            }),
            index_building: h.index_building,
            sync: None,
        }
    }
}

/// What the engine understood of a query (`parsedQuery`, and `intent` of the storefront's
/// search).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ParsedQueryReply {
    source: &'static str,
    parse_time_ms: f64,
    filters: IntentFiltersReply,
    free_text: String,
    search_text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    product_type: Option<String>,
    understood: Vec<UnderstoodReply>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    relaxed: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

impl From<ParsedQuery> for ParsedQueryReply {
    fn from(p: ParsedQuery) -> ParsedQueryReply {
        ParsedQueryReply {
            source: p.source.as_str(),
            parse_time_ms: p.parse_time_ms,
            filters: p.filters.into(),
            free_text: p.free_text,
            search_text: p.search_text,
            product_type: p.product_type,
            understood: p
                .understood
                .into_iter()
                .map(|u| UnderstoodReply {
                    kind: u.kind.as_str(),
                    value: u.value,
                    label: u.label,
                    words: u.words,
                    typo: u.typo,
                    applied: u.applied.as_str(),
                    reason: u.reason,
                })
                .collect(),
            relaxed: p.relaxed,
            error: p.error,
        }
    }
}

/// One constraint of a query and how it was used.
#[derive(Debug, Serialize)]
pub(crate) struct UnderstoodReply {
    kind: &'static str,
    value: String,
    label: String,
    words: String,
    typo: bool,
    applied: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

/// Filters a query stated (or a chip stands for).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct IntentFiltersReply {
    #[serde(skip_serializing_if = "Option::is_none")]
    category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    min_price: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_price: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    in_stock: Option<bool>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    attributes: BTreeMap<String, Vec<String>>,
}

impl From<search::IntentFilters> for IntentFiltersReply {
    fn from(f: search::IntentFilters) -> IntentFiltersReply {
        IntentFiltersReply {
            category: f.category,
            min_price: f.min_price,
            max_price: f.max_price,
            in_stock: f.in_stock,
            attributes: f.attributes,
        }
    }
}

/// A refinement chip.
#[derive(Debug, Serialize)]
pub(crate) struct ChipReply {
    label: String,
    filters: IntentFiltersReply,
}

impl From<Chip> for ChipReply {
    fn from(c: Chip) -> ChipReply {
        ChipReply {
            label: c.label,
            filters: c.filters.into(),
        }
    }
}

/// Chips of a response.
pub(crate) fn chips(chips: Vec<Chip>) -> Vec<ChipReply> {
    chips.into_iter().map(ChipReply::from).collect()
}

/// Response of `POST /api/ai/search/suggest`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SuggestionsReply {
    completions: Vec<String>,
    ai_suggestions: Vec<ChipReply>,
}

impl From<search::Suggestions> for SuggestionsReply {
    fn from(s: search::Suggestions) -> SuggestionsReply {
        SuggestionsReply {
            completions: s.completions,
            ai_suggestions: chips(s.ai_suggestions),
        }
    }
}

/// How one query word matched a hit (`_rankingScoreDetails.words`).
#[derive(Debug, Serialize)]
pub(crate) struct WordMatchReply {
    word: String,
    tier: Option<&'static str>,
    field: Option<&'static str>,
    score: f32,
}

impl From<search::WordMatch> for WordMatchReply {
    fn from(w: search::WordMatch) -> WordMatchReply {
        WordMatchReply {
            word: w.word,
            tier: w.tier.map(crate::index::Tier::as_str),
            field: w.field,
            score: w.score,
        }
    }
}

/// `POST /v1/events`: what shoppers did with results (the shape of Algolia Insights).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EventsBody {
    pub(crate) events: Vec<EventBody>,
}

/// One event of [`EventsBody`].
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct EventBody {
    #[serde(rename = "type")]
    kind: String,
    query_id: Option<String>,
    product_id: String,
    position: Option<u32>,
    session_id: Option<String>,
    user_id: Option<String>,
    /// Unix milliseconds; now when absent.
    timestamp: Option<i64>,
}

/// Events per request, at most.
pub(crate) const MAX_EVENTS: usize = 1_000;

impl EventsBody {
    /// The events, validated against `now_ms` and the retention (an event older than it
    /// would be purged at once), or the first problem, named by its index.
    pub(crate) fn validate(
        self,
        now_ms: i64,
        retention_days: u32,
    ) -> Result<Vec<crate::state::Event>, String> {
        if self.events.is_empty() || self.events.len() > MAX_EVENTS {
            return Err(format!(
                "events: send 1 to {MAX_EVENTS} events per request (got {})",
                self.events.len()
            ));
        }
        let oldest = now_ms - i64::from(retention_days) * 86_400_000;
        let newest = now_ms + 3_600_000;
        self.events
            .into_iter()
            .enumerate()
            .map(|(i, e)| {
                let field = |name: &str, message: &str| format!("events[{i}].{name}: {message}");
                let kind = crate::state::EventKind::parse(&e.kind).ok_or_else(|| {
                    field("type", "must be click, add-to-cart or purchase")
                })?;
                let id = |name: &str, value: Option<String>, max: usize| {
                    match value.map(|v| v.trim().to_owned()) {
                        Some(v) if v.is_empty() || v.chars().count() > max => Err(field(
                            name,
                            &format!("must be 1 to {max} characters when given"),
                        )),
                        other => Ok(other),
                    }
                };
                let product_id = id("productId", Some(e.product_id), 200)?.unwrap_or_default();
                if e.position == Some(0) {
                    return Err(field("position", "is 1-based: the first result is 1"));
                }
                let at_ms = e.timestamp.unwrap_or(now_ms);
                if !(oldest..=newest).contains(&at_ms) {
                    return Err(field(
                        "timestamp",
                        "must be Unix milliseconds within the retention window and not in the future",
                    ));
                }
                Ok(crate::state::Event {
                    kind,
                    query_id: id("queryId", e.query_id, 100)?,
                    product_id,
                    position: e.position,
                    session_id: id("sessionId", e.session_id, 200)?,
                    user_id: id("userId", e.user_id, 200)?,
                    at_ms,
                })
            })
            .collect()
    }
}

/// The answer to `POST /v1/events`.
#[derive(Debug, Serialize)]
pub(crate) struct EventsReply {
    pub(crate) accepted: usize,
}
