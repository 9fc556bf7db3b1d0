//! Wire types of the HTTP API (JSON, camelCase). Requests deny unknown fields; each converts
//! into the engine's domain type, which validates values.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::index::{Filters, Sort};
use crate::search::{Mode, SearchError, SearchRequest, SearchResponse, SimilarRequest};

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
