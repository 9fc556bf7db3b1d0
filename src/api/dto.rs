//! Wire types of the HTTP API (JSON, camelCase). Requests deny unknown fields; each converts
//! into the engine's domain type, which validates values.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::index::{Filters, Sort};
use crate::recommend::{Context, Kind, RecommendError, RecommendRequest, Recommendation};
use crate::search::{
    Chip, Mode, ParsedQuery, SearchError, SearchHit, SearchRequest, SearchResponse, SimilarRequest,
};

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
    pub(crate) recommendations: Vec<Recommendation>,
    pub(crate) context: Context,
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
    pub(crate) data: Vec<SearchHit>,
    /// What was understood (`parsedQuery`).
    pub(crate) intent: Option<ParsedQuery>,
    /// Refinement chips.
    pub(crate) suggestions: Vec<Chip>,
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

/// Response of `POST /v1/search`: the engine's response plus the request's id.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SearchReply {
    #[serde(flatten)]
    pub(crate) response: SearchResponse,
    pub(crate) request_uid: String,
}
