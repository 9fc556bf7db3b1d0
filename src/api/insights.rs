//! The merchant's analytics as JSON for the storefront's admin and the `/admin` page: the
//! same answers as the analytics MCP tools (one function serves both), behind a token with
//! `analytics:read` (a staff access token, `MCP_AUTH_TOKEN` or the admin token). Arguments are
//! the tools' own, as query parameters.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, Uri};
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::AppState;
use super::client::Caller;
use super::error::ApiError;
use crate::auth::{Principal, Scope};
use crate::mcp::analytics as tools;
use crate::mcp::orders::Desk;
use crate::mcp::tools::ToolResult;
use crate::search::Engine;

/// The analytics routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/ai/admin/insights/sales", get(sales))
        .route("/api/ai/admin/insights/inventory", get(inventory))
        .route("/api/ai/admin/insights/top-products", get(top_products))
        .route("/api/ai/admin/insights/categories", get(categories))
        .route("/api/ai/admin/insights/customers", get(customers))
        .route("/api/ai/admin/insights/forecast", get(forecast))
        .route("/v1/analytics/searches", get(searches))
}

/// `get_sales_summary`'s arguments, each optional here: the last 30 days, per day.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SalesQuery {
    start_date: Option<String>,
    end_date: Option<String>,
    granularity: Option<String>,
}

async fn sales(
    State(state): State<AppState>,
    caller: Extension<Caller>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Json<tools::SalesSummaryInfo>, ApiError> {
    let q: SalesQuery = query(&uri)?;
    answer(&state, caller, &headers, &uri, q, |engine, desk, q| {
        let end = q.end_date.unwrap_or_else(|| desk.today.to_string());
        let start = match q.start_date {
            Some(start) => start,
            None => match chrono::NaiveDate::parse_from_str(&end, "%Y-%m-%d") {
                Ok(end) => (end - chrono::Days::new(29)).to_string(),
                Err(_) => end.clone(),
            },
        };
        let args = tools::SalesSummaryArgs {
            start_date: start,
            end_date: end,
            granularity: q.granularity.unwrap_or_else(|| "day".to_owned()),
        };
        tools::sales_summary(engine, desk, args)
    })
    .await
}

async fn inventory(
    State(state): State<AppState>,
    caller: Extension<Caller>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Json<tools::InventoryInsights>, ApiError> {
    let q = query(&uri)?;
    answer(&state, caller, &headers, &uri, q, tools::inventory_insights).await
}

/// `get_top_products`'s arguments, the period optional here (month).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TopQuery {
    period: Option<String>,
    limit: Option<u32>,
    category: Option<String>,
}

async fn top_products(
    State(state): State<AppState>,
    caller: Extension<Caller>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Json<tools::TopProducts>, ApiError> {
    let q: TopQuery = query(&uri)?;
    answer(&state, caller, &headers, &uri, q, |engine, desk, q| {
        let args = tools::TopProductsArgs {
            period: q.period.unwrap_or_else(|| "month".to_owned()),
            limit: q.limit,
            category: q.category,
        };
        tools::top_products(engine, desk, args)
    })
    .await
}

async fn categories(
    State(state): State<AppState>,
    caller: Extension<Caller>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Json<tools::CategoryPerformanceInfo>, ApiError> {
    let q = query(&uri)?;
    answer(
        &state,
        caller,
        &headers,
        &uri,
        q,
        tools::category_performance,
    )
    .await
}

async fn customers(
    State(state): State<AppState>,
    caller: Extension<Caller>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Json<tools::CustomerAnalytics>, ApiError> {
    let q = query(&uri)?;
    answer(&state, caller, &headers, &uri, q, tools::customer_analytics).await
}

async fn forecast(
    State(state): State<AppState>,
    caller: Extension<Caller>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Json<tools::RevenueForecastInfo>, ApiError> {
    let q = query(&uri)?;
    answer(&state, caller, &headers, &uri, q, tools::revenue_forecast).await
}

async fn searches(
    State(state): State<AppState>,
    caller: Extension<Caller>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Json<tools::SearchInsightsInfo>, ApiError> {
    let q = query(&uri)?;
    answer(&state, caller, &headers, &uri, q, tools::search_insights).await
}

/// The query parameters as `T`, or a 400 naming what is wrong.
fn query<T: DeserializeOwned>(uri: &Uri) -> Result<T, ApiError> {
    Query::<T>::try_from_uri(uri)
        .map(|Query(q)| q)
        .map_err(|e| {
            let message = e.body_text();
            if message.contains("unknown field") {
                ApiError::UnknownField(message)
            } else {
                ApiError::InvalidField(message)
            }
        })
}

/// Checks the caller has `analytics:read`, then runs `tool` at the services' desk; a tool's
/// refusal of its arguments is a 400 `invalid_field`.
async fn answer<A: Send + 'static, R: Send + 'static>(
    state: &AppState,
    Extension(caller): Extension<Caller>,
    headers: &HeaderMap,
    uri: &Uri,
    arguments: A,
    tool: impl FnOnce(&Engine, &Desk, A) -> ToolResult<R> + Send + 'static,
) -> Result<Json<R>, ApiError> {
    let path = uri.path();
    let principal = if caller == Caller::Admin {
        Principal::local_staff()
    } else {
        state.mcp.auth.principal(headers, path).await?
    };
    state
        .mcp
        .auth
        .require(&principal, Scope::AnalyticsRead, path, path)?;
    crate::mcp::run_at_desk(
        &state.engine,
        &state.mcp.services,
        principal,
        arguments,
        tool,
    )
    .await
    .map(Json)
    .map_err(ApiError::InvalidField)
}
