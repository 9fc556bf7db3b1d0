//! Wire types of the HTTP API (JSON, camelCase). Requests deny unknown fields; each converts
//! into the engine's domain type, which validates values.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::index::{Filters, Sort};
use crate::search::{SearchError, SearchRequest, SearchResponse};

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

impl TryFrom<SearchBody> for SearchRequest {
    type Error = SearchError;

    fn try_from(body: SearchBody) -> Result<SearchRequest, SearchError> {
        let defaults = SearchRequest::default();
        Ok(SearchRequest {
            q: body.q,
            filters: Filters {
                category: body.filters.category,
                min_price: body.filters.min_price,
                max_price: body.filters.max_price,
                in_stock: body.filters.in_stock,
                featured: body.filters.featured,
                attributes: body.filters.attributes,
            },
            sort: body
                .sort
                .as_deref()
                .map_or(Ok(Sort::Relevance), str::parse)?,
            facets: body.facets,
            offset: body.offset.unwrap_or(defaults.offset),
            limit: body.limit.unwrap_or(defaults.limit),
            highlight: body.highlight.unwrap_or(defaults.highlight),
            explain: body.explain.unwrap_or(defaults.explain),
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
