//! The MCP server (rmcp): the product catalog for AI agents, in-process over the same
//! [`Engine`] as the HTTP API, served over streamable HTTP at `/mcp` and over stdio
//! (`vivr-search mcp`).
//!
//! Tools are stateless calls into the engine ([`tools`]); resources and prompts are in
//! [`catalog`]. Arguments that do not fit a tool's schema are tool errors (`isError`), worded
//! for the model, never protocol errors: a model can read and fix the former.

mod catalog;
pub mod tools;

use std::sync::Arc;

use rmcp::handler::server::common::FromContextPart;
use rmcp::handler::server::tool::ToolCallContext;
use rmcp::model::{
    CompleteRequestParams, CompleteResult, GetPromptRequestParams, GetPromptResponse,
    Implementation, ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult,
    ListToolsResult, PaginatedRequestParams, ProtocolVersion, ReadResourceRequestParams,
    ReadResourceResponse, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, Json, RoleServer, ServerHandler, tool, tool_handler, tool_router};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;

use crate::search::Engine;
use tools::{
    CategoryProductsArgs, ProductDetailsArgs, ProductInfo, ProductList, RecommendationsArgs,
    SearchProductsArgs, SimilarProductsArgs, StockArgs, StockAvailability, ToolResult,
};

/// The protocol revision this server implements.
pub const PROTOCOL_VERSION: ProtocolVersion = ProtocolVersion::V_2025_11_25;

/// The tools, in the order `tools/list` gives them: search first, the rest by use.
const TOOL_ORDER: [&str; 6] = [
    "search_products",
    "get_product_details",
    "get_similar_products",
    "check_stock_availability",
    "get_category_products",
    "get_recommendations",
];

/// The catalog server: one per MCP session, all sharing the engine.
#[derive(Clone)]
pub struct CatalogServer {
    engine: Arc<Engine>,
    recommendations_enabled: bool,
}

impl CatalogServer {
    /// A server over `engine`; `get_recommendations` answers a tool error when
    /// `recommendations_enabled` is false (`ENABLE_AI_RECOMMENDATIONS`).
    pub fn new(engine: Arc<Engine>, recommendations_enabled: bool) -> CatalogServer {
        CatalogServer {
            engine,
            recommendations_enabled,
        }
    }
}

/// A tool's arguments, or why they do not fit its schema.
///
/// Named `Parameters` because `#[tool]` reads a tool's input schema from the argument whose
/// type is named so; unlike rmcp's own, it hands a bad argument to the tool (to become a tool
/// error the model can read) instead of failing the request with a protocol error.
pub struct Parameters<T>(Result<T, String>);

impl<T: JsonSchema> JsonSchema for Parameters<T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        T::json_schema(generator)
    }
}

impl<S, T: DeserializeOwned> FromContextPart<ToolCallContext<'_, S>> for Parameters<T> {
    fn from_context_part(context: &mut ToolCallContext<'_, S>) -> Result<Self, ErrorData> {
        let arguments = context.arguments.take().unwrap_or_default();
        Ok(Parameters(
            serde_json::from_value(serde_json::Value::Object(arguments)).map_err(|e| {
                format!("invalid arguments: {e}; the tool's inputSchema lists the accepted ones")
            }),
        ))
    }
}

/// Runs a tool on its arguments, off the async workers ([`Engine::off_worker`]); the result,
/// or a tool error.
async fn run<A: Send + 'static, R: Send + 'static>(
    engine: &Arc<Engine>,
    Parameters(arguments): Parameters<A>,
    tool: impl FnOnce(&Engine, A) -> ToolResult<R> + Send + 'static,
) -> Result<Json<R>, String> {
    let arguments = arguments?;
    engine
        .off_worker(move |e| tool(e, arguments))
        .await
        .map_err(|e| e.to_string())?
        .map(Json)
}

#[tool_router]
impl CatalogServer {
    /// Searches the VIVR catalog (French home decor and furniture: lighting, furniture,
    /// decoration, textiles, storage) the way the store's search bar does. Use it to find
    /// products from a need in French ("lampe de chevet laiton", "canapé convertible moins de
    /// 800 euros"); typos and plurals are fine. Filter by category, price, stock or featured;
    /// sort by price, newest or popular. Returns product cards with ids for the other tools.
    #[tool(annotations(title = "Rechercher des produits", read_only_hint = true))]
    async fn search_products(
        &self,
        arguments: Parameters<SearchProductsArgs>,
    ) -> Result<Json<ProductList>, String> {
        run(&self.engine, arguments, tools::search_products).await
    }

    /// Everything about one product: description, price, stock, category path, images,
    /// attributes (colours, materials, style, room, dimensions), rating. Give its `slug` or
    /// its `productId` (exactly one), as search results show them.
    #[tool(annotations(title = "Fiche produit", read_only_hint = true))]
    async fn get_product_details(
        &self,
        arguments: Parameters<ProductDetailsArgs>,
    ) -> Result<Json<ProductInfo>, String> {
        run(&self.engine, arguments, tools::product_details).await
    }

    /// Products that look like a given one (same kind of product, close in style, material
    /// and colour), in stock, nearest first. Use it for "plus comme celui-ci" or when a
    /// product does not quite suit.
    #[tool(annotations(title = "Produits similaires", read_only_hint = true))]
    async fn get_similar_products(
        &self,
        arguments: Parameters<SimilarProductsArgs>,
    ) -> Result<Json<ProductList>, String> {
        run(&self.engine, arguments, tools::similar_products).await
    }

    /// Whether a product can be ordered now in a given quantity, how many units are in stock,
    /// and, when it cannot, similar products of the same category with enough stock.
    #[tool(annotations(title = "Disponibilité en stock", read_only_hint = true))]
    async fn check_stock_availability(
        &self,
        arguments: Parameters<StockArgs>,
    ) -> Result<Json<StockAvailability>, String> {
        run(&self.engine, arguments, tools::stock_availability).await
    }

    /// Browses one category (subcategories included), best sellers first unless another
    /// order is asked, a page at a time: pass the answer's `nextCursor` as `cursor` for the
    /// next page. Use search_products instead when the shopper describes what they want.
    #[tool(annotations(title = "Produits d'une catégorie", read_only_hint = true))]
    async fn get_category_products(
        &self,
        arguments: Parameters<CategoryProductsArgs>,
    ) -> Result<Json<ProductList>, String> {
        run(&self.engine, arguments, tools::category_products).await
    }

    /// Recommendations, each with its reason in French: look-alikes of a product (similar),
    /// products bought with it (bought-together), complementary pieces in its style
    /// (complete-the-look), picks from a shopper's cart and viewed products (personalized),
    /// or rising sales (trending).
    #[tool(annotations(title = "Recommandations", read_only_hint = true))]
    async fn get_recommendations(
        &self,
        arguments: Parameters<RecommendationsArgs>,
    ) -> Result<Json<ProductList>, String> {
        if !self.recommendations_enabled {
            return Err("recommendations are disabled on this store for now: use get_similar_products or search_products instead".into());
        }
        run(&self.engine, arguments, tools::recommendations).await
    }
}

#[tool_handler]
impl ServerHandler for CatalogServer {
    // Logging is part of 2025-11-25, the revision served; rmcp deprecates it for later ones.
    #[allow(deprecated)]
    fn get_info(&self) -> ServerConfig {
        let mut config = ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .enable_prompts()
                .enable_completions()
                .enable_logging()
                .build(),
        );
        config.protocol_version = PROTOCOL_VERSION;
        // Not `from_build_env`: that names the SDK crate, not this server.
        let mut server_info = Implementation::from_build_env();
        server_info.name = env!("CARGO_PKG_NAME").into();
        server_info.version = env!("CARGO_PKG_VERSION").into();
        server_info.title = Some("VIVR — catalogue produits".into());
        server_info.description = Some(
            "Search and browse the VIVR home-decor catalog (French), with similar products and recommendations."
                .into(),
        );
        config.server_info = server_info;
        config.instructions = Some(
            "Catalogue de VIVR (décoration et mobilier). Cherchez avec search_products en \
             français, puis get_product_details, get_similar_products ou \
             check_stock_availability avec l'id d'un produit. Les prix sont en euros."
                .into(),
        );
        config
    }

    fn supported_protocol_versions(&self) -> std::borrow::Cow<'static, [ProtocolVersion]> {
        std::borrow::Cow::Borrowed(ProtocolVersion::known_up_to(&PROTOCOL_VERSION))
    }

    /// Accepted so that clients may set it; the server sends no log messages of its own (a
    /// degraded answer says so in its `degraded` field instead).
    #[allow(deprecated)]
    async fn set_level(
        &self,
        request: rmcp::model::SetLevelRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        tracing::debug!(level = ?request.level, "MCP client set its log level");
        Ok(())
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let mut tools = Self::tool_router().list_all();
        tools.sort_by_key(|t| TOOL_ORDER.iter().position(|n| *n == t.name));
        Ok(ListToolsResult {
            tools,
            ..ListToolsResult::default()
        })
    }

    async fn list_resources(
        &self,
        request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        catalog::list_resources(&self.engine, request.and_then(|r| r.cursor))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Ok(catalog::resource_templates())
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        catalog::read_resource(&self.engine, &request.uri).map(Into::into)
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        Ok(catalog::prompts())
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        catalog::get_prompt(&self.engine, &request).map(Into::into)
    }

    async fn complete(
        &self,
        request: CompleteRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, ErrorData> {
        catalog::complete(&self.engine, &request)
    }
}

/// Browser origins allowed on `/mcp`: pages served from this machine. A page from any other
/// origin is refused with 403 (DNS-rebinding protection); clients that send no `Origin`
/// (agents, SDKs) pass.
const LOOPBACK_ORIGINS: [&str; 6] = [
    "http://localhost:*",
    "https://localhost:*",
    "http://127.0.0.1:*",
    "https://127.0.0.1:*",
    "http://[::1]:*",
    "https://[::1]:*",
];

/// The streamable HTTP service mounted at `/mcp`: protocol sessions (`Mcp-Session-Id`, answers
/// as event streams, several streams per session) over stateless handlers (a session holds no
/// state of ours), kept by `sessions` (whose caps the API sets), `Host` limited to loopback
/// names plus `allowed_hosts`, browser `Origin`s to loopback pages, bodies up to `body_limit`
/// bytes (the API's).
pub fn http_service(
    engine: Arc<Engine>,
    sessions: Arc<rmcp::transport::streamable_http_server::session::local::LocalSessionManager>,
    recommendations_enabled: bool,
    allowed_hosts: &[String],
    body_limit: usize,
) -> rmcp::transport::StreamableHttpService<
    CatalogServer,
    rmcp::transport::streamable_http_server::session::local::LocalSessionManager,
> {
    use rmcp::transport::StreamableHttpServerConfig;
    let hosts = ["localhost", "127.0.0.1", "::1"]
        .into_iter()
        .map(str::to_owned)
        .chain(allowed_hosts.iter().cloned());
    let config = StreamableHttpServerConfig::default()
        .with_allowed_hosts(hosts)
        .with_allowed_origins(LOOPBACK_ORIGINS)
        .with_max_request_body_bytes(body_limit);
    rmcp::transport::StreamableHttpService::new(
        move || Ok(CatalogServer::new(engine.clone(), recommendations_enabled)),
        sessions,
        config,
    )
}

/// Serves one client over stdin and stdout until it closes them (`vivr-search mcp`).
pub async fn serve_stdio(engine: Arc<Engine>, recommendations_enabled: bool) -> anyhow::Result<()> {
    use rmcp::ServiceExt;
    let running = CatalogServer::new(engine, recommendations_enabled)
        .serve(rmcp::transport::stdio())
        .await?;
    running.waiting().await?;
    Ok(())
}
