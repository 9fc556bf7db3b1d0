//! The MCP server (rmcp): the product catalog for AI agents, in-process over the same
//! [`Engine`] as the HTTP API, served over streamable HTTP at `/mcp` and over stdio
//! (`vivr-search mcp`).
//!
//! Tools are stateless calls into the engine ([`tools`]); resources and prompts are in
//! [`catalog`]. Arguments that do not fit a tool's schema are tool errors (`isError`), worded
//! for the model, never protocol errors: a model can read and fix the former.

pub mod access;
pub mod analytics;
mod catalog;
pub mod orders;
pub mod support;
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

use crate::auth::Principal;
use crate::search::Engine;
use crate::state::State;
use orders::{Desk, StoreRules};
use rmcp::handler::server::common::Extension;
use rmcp::handler::server::router::tool::ToolRouter;
use tools::{
    CategoryProductsArgs, ProductDetailsArgs, ProductInfo, ProductList, RecommendationsArgs,
    SearchProductsArgs, SimilarProductsArgs, StockArgs, StockAvailability, ToolResult,
};

/// The protocol revision this server implements.
pub const PROTOCOL_VERSION: ProtocolVersion = ProtocolVersion::V_2025_11_25;

/// The tools, in the order `tools/list` gives them: search first, the rest by use.
const TOOL_ORDER: [&str; 24] = [
    "search_products",
    "get_product_details",
    "get_similar_products",
    "check_stock_availability",
    "get_category_products",
    "get_recommendations",
    "get_order_status",
    "get_user_orders",
    "estimate_delivery",
    "get_order_items",
    "search_orders",
    "search_faq",
    "get_return_policy",
    "check_refund_eligibility",
    "get_shipping_info",
    "find_order_for_support",
    "escalate_to_human",
    "get_sales_summary",
    "get_top_products",
    "get_inventory_insights",
    "get_category_performance",
    "get_customer_analytics",
    "get_revenue_forecast",
    "get_search_insights",
];

/// The store's plan's MCP servers, each on its own path; `All` is `/mcp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServerSet {
    /// Product catalog: search, details, similar, stock, categories, recommendations.
    Catalog,
    /// Order management: status, a customer's orders, delivery, lines, staff search.
    Orders,
    /// Customer service: support lookup, returns, refunds, shipping, FAQ, escalation.
    Support,
    /// The merchant's analytics (staff tokens with `analytics:read`).
    Analytics,
    /// Everything the caller may use.
    All,
}

impl ServerSet {
    /// Every set, `/mcp` first.
    pub const ALL: [ServerSet; 5] = [
        ServerSet::All,
        ServerSet::Catalog,
        ServerSet::Orders,
        ServerSet::Support,
        ServerSet::Analytics,
    ];

    /// Its HTTP path.
    pub fn path(self) -> &'static str {
        match self {
            ServerSet::Catalog => "/mcp/catalog",
            ServerSet::Orders => "/mcp/orders",
            ServerSet::Support => "/mcp/support",
            ServerSet::Analytics => "/mcp/analytics",
            ServerSet::All => "/mcp",
        }
    }

    /// The set named `name` (`catalog`, `orders`, `support`, `all`).
    pub fn parse(name: &str) -> Option<ServerSet> {
        match name {
            "catalog" => Some(ServerSet::Catalog),
            "orders" => Some(ServerSet::Orders),
            "support" => Some(ServerSet::Support),
            "analytics" => Some(ServerSet::Analytics),
            "all" => Some(ServerSet::All),
            _ => None,
        }
    }

    fn title(self) -> &'static str {
        match self {
            ServerSet::Catalog => "VIVR — catalogue produits",
            ServerSet::Orders => "VIVR — commandes",
            ServerSet::Support => "VIVR — service client",
            ServerSet::Analytics => "VIVR — analyses pour le marchand",
            ServerSet::All => "VIVR — catalogue, commandes et service client",
        }
    }

    fn instructions(self) -> &'static str {
        match self {
            ServerSet::Catalog => {
                "Catalogue de VIVR (décoration et mobilier). Cherchez avec search_products en \
                 français, puis get_product_details, get_similar_products ou \
                 check_stock_availability avec l'id d'un produit. Les prix sont en euros."
            }
            ServerSet::Orders => {
                "Commandes des clients de VIVR. Avec le jeton d'un client, les outils ne voient \
                 que ses commandes : get_user_orders les liste, get_order_status, \
                 estimate_delivery et get_order_items prennent l'id ou le numéro (ORD-…) d'une \
                 commande. search_orders est réservé au personnel."
            }
            ServerSet::Support => {
                "Service client de VIVR. search_faq et get_return_policy répondent aux questions \
                 générales ; check_refund_eligibility et get_shipping_info portent sur une \
                 commande du client ; escalate_to_human crée un ticket pour un conseiller."
            }
            ServerSet::Analytics => {
                "Analyses des ventes de VIVR pour le marchand (jeton du personnel avec \
                 analytics:read). Les dates sont des jours du calendrier de Paris ; le chiffre \
                 d'affaires compte les commandes payées ou au-delà, datées de leur création."
            }
            ServerSet::All => {
                "VIVR (décoration et mobilier) : catalogue (search_products…), commandes du \
                 client (get_order_status…) et service client (search_faq, \
                 check_refund_eligibility, escalate_to_human). Les prix sont en euros."
            }
        }
    }

    /// The set's tools.
    fn tools(self) -> ToolRouter<StoreServer> {
        match self {
            ServerSet::Catalog => StoreServer::catalog_tools(),
            ServerSet::Orders => StoreServer::order_tools(),
            ServerSet::Support => StoreServer::support_tools(),
            ServerSet::Analytics => StoreServer::analytics_tools(),
            ServerSet::All => {
                StoreServer::catalog_tools()
                    + StoreServer::order_tools()
                    + StoreServer::support_tools()
                    + StoreServer::analytics_tools()
            }
        }
    }
}

/// What every MCP server shares besides the engine.
#[derive(Clone)]
pub struct Services {
    /// The state database (tickets); `None`: escalate_to_human answers that it is unavailable.
    pub state: Option<Arc<State>>,
    /// The store's rules (returns, transit).
    pub rules: Arc<StoreRules>,
    /// `ENABLE_AI_RECOMMENDATIONS`: off, `get_recommendations` answers a tool error.
    pub recommendations_enabled: bool,
    /// `store.today`: the day tools count from, when pinned.
    pub today: Option<chrono::NaiveDate>,
}

impl Services {
    /// The services as `config` sets them, with the state database when there is one.
    pub fn from_config(config: &crate::config::Config, state: Option<Arc<State>>) -> Services {
        Services {
            state,
            rules: Arc::new(StoreRules {
                returns: crate::store::returns::ReturnRules {
                    withdrawal_days: config.store.withdrawal_days,
                },
                transit: config.store.transit.clone(),
            }),
            recommendations_enabled: config.llm.enable_recommendations,
            today: config.store.today,
        }
    }

    /// The store's today: pinned by the configuration, else the current day in Paris.
    pub fn today(&self) -> chrono::NaiveDate {
        self.today
            .unwrap_or_else(|| crate::analytics::paris_day(chrono::Utc::now()))
    }
}

/// One MCP server (a [`ServerSet`]) per session, all sharing the engine.
#[derive(Clone)]
pub struct StoreServer {
    engine: Arc<Engine>,
    services: Services,
    set: ServerSet,
    /// Who calls when a request carries no [`Principal`] (stdio: the local user, all scopes;
    /// HTTP requests always carry one, put there by the API's edge).
    default_principal: Principal,
    tools: Arc<ToolRouter<StoreServer>>,
}

impl StoreServer {
    /// The server `set` over `engine`.
    pub fn new(
        engine: Arc<Engine>,
        services: Services,
        set: ServerSet,
        default_principal: Principal,
    ) -> StoreServer {
        StoreServer {
            engine,
            services,
            set,
            default_principal,
            tools: Arc::new(set.tools()),
        }
    }

    /// The caller of a request: the [`Principal`] the HTTP edge validated, else the default.
    fn principal(&self, context: &RequestContext<RoleServer>) -> Principal {
        context
            .extensions
            .get::<axum::http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<Principal>())
            .cloned()
            .unwrap_or_else(|| self.default_principal.clone())
    }

    /// Runs an order, support or analytics tool for `principal`, off the async workers.
    async fn at_desk<A: Send + 'static, R: Send + 'static>(
        &self,
        principal: Principal,
        Parameters(arguments): Parameters<A>,
        tool: impl FnOnce(&Engine, &Desk, A) -> ToolResult<R> + Send + 'static,
    ) -> Result<Json<R>, String> {
        run_at_desk(&self.engine, &self.services, principal, arguments?, tool)
            .await
            .map(Json)
    }
}

/// Runs `tool` for `principal` off the async workers, with the services' rules, today and
/// state: the MCP tools and the admin routes that serve the same answers go through here.
pub(crate) async fn run_at_desk<A: Send + 'static, R: Send + 'static>(
    engine: &Arc<Engine>,
    services: &Services,
    principal: Principal,
    arguments: A,
    tool: impl FnOnce(&Engine, &Desk, A) -> ToolResult<R> + Send + 'static,
) -> ToolResult<R> {
    let rules = services.rules.clone();
    let today = services.today();
    let state = services.state.clone();
    engine
        .off_worker(move |engine| {
            let desk = Desk {
                principal: &principal,
                rules: &rules,
                today,
                state: state.as_deref(),
            };
            tool(engine, &desk, arguments)
        })
        .await
        .map_err(|e| e.to_string())?
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

#[tool_router(router = catalog_tools)]
impl StoreServer {
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
        if !self.services.recommendations_enabled {
            return Err("recommendations are disabled on this store for now: use get_similar_products or search_products instead".into());
        }
        run(&self.engine, arguments, tools::recommendations).await
    }
}

#[tool_router(router = order_tools)]
impl StoreServer {
    /// An order's status: dates (placed, paid, shipped, delivered or cancelled), carrier and
    /// tracking number, and the next step in plain French. Give the number the customer quotes
    /// (`orderNumber`, "ORD-…") or the order's id. A customer's token sees that customer's
    /// orders only.
    #[tool(annotations(title = "Statut d'une commande", read_only_hint = true))]
    async fn get_order_status(
        &self,
        Extension(principal): Extension<Principal>,
        arguments: Parameters<orders::OrderStatusArgs>,
    ) -> Result<Json<orders::OrderStatusInfo>, String> {
        self.at_desk(principal, arguments, orders::order_status)
            .await
    }

    /// A customer's orders, newest first (`orders`, each with `orderNumber` and `status`).
    /// With a customer's token, `userId` may be left out; a staff token must give it.
    #[tool(annotations(title = "Commandes d'un client", read_only_hint = true))]
    async fn get_user_orders(
        &self,
        Extension(principal): Extension<Principal>,
        arguments: Parameters<orders::UserOrdersArgs>,
    ) -> Result<Json<orders::OrderList>, String> {
        self.at_desk(principal, arguments, orders::user_orders)
            .await
    }

    /// When an order should arrive: a date range, how it was computed (status and dates,
    /// products' lead times, the carrier's transit time to the zone, French business days and
    /// holidays) and its confidence. `postalCode` answers for another address.
    #[tool(annotations(title = "Date de livraison estimée", read_only_hint = true))]
    async fn estimate_delivery(
        &self,
        Extension(principal): Extension<Principal>,
        arguments: Parameters<orders::EstimateArgs>,
    ) -> Result<Json<orders::DeliveryEstimate>, String> {
        self.at_desk(principal, arguments, orders::estimate_delivery)
            .await
    }

    /// An order's lines: product name and slug, quantity, price paid, and whether each
    /// product is still sold and in stock (to reorder or suggest a replacement).
    #[tool(annotations(title = "Articles d'une commande", read_only_hint = true))]
    async fn get_order_items(
        &self,
        Extension(principal): Extension<Principal>,
        arguments: Parameters<orders::OrderArgs>,
    ) -> Result<Json<orders::OrderItems>, String> {
        self.at_desk(principal, arguments, orders::order_items)
            .await
    }

    /// Staff only: orders across customers by creation date, total and status, newest
    /// first, a page at a time (pass `nextCursor` as `cursor`).
    #[tool(annotations(title = "Recherche de commandes (personnel)", read_only_hint = true))]
    async fn search_orders(
        &self,
        Extension(principal): Extension<Principal>,
        arguments: Parameters<orders::SearchOrdersArgs>,
    ) -> Result<Json<orders::OrderList>, String> {
        self.at_desk(principal, arguments, orders::search_orders)
            .await
    }
}

#[tool_router(router = support_tools)]
impl StoreServer {
    /// Staff only: a customer's orders from their e-mail or an order number; `productName`
    /// (French, typos and plurals are fine) keeps the orders holding such a product.
    #[tool(annotations(title = "Retrouver une commande (personnel)", read_only_hint = true))]
    async fn find_order_for_support(
        &self,
        Extension(principal): Extension<Principal>,
        arguments: Parameters<support::FindOrderArgs>,
    ) -> Result<Json<support::FoundOrders>, String> {
        self.at_desk(principal, arguments, support::find_order_for_support)
            .await
    }

    /// The store's return rules (30 days after receipt, exclusions, refunds, defects), with
    /// what applies to a category and, given `orderAge` (days since receipt), whether the
    /// period still runs. No account needed.
    #[tool(annotations(title = "Politique de retour", read_only_hint = true))]
    async fn get_return_policy(
        &self,
        Extension(principal): Extension<Principal>,
        arguments: Parameters<support::ReturnPolicyArgs>,
    ) -> Result<Json<support::ReturnPolicy>, String> {
        self.at_desk(principal, arguments, support::return_policy)
            .await
    }

    /// Whether an order can be returned for a refund: a top-level `eligible`, the reason code
    /// and legal rule, the deadline, the amount, and a verdict per line. Give the customer's
    /// `reason`: a defect or damage is answered with the guarantee of conformity.
    #[tool(annotations(title = "Éligibilité au remboursement", read_only_hint = true))]
    async fn check_refund_eligibility(
        &self,
        Extension(principal): Extension<Principal>,
        arguments: Parameters<support::RefundArgs>,
    ) -> Result<Json<support::RefundEligibility>, String> {
        self.at_desk(principal, arguments, support::refund_eligibility)
            .await
    }

    /// An order's shipping: carrier, tracking number and tracking page, shipped and
    /// delivered dates, zone and the carrier's usual transit. Give `orderId` (or number) or
    /// `trackingNumber`.
    #[tool(annotations(title = "Informations de livraison", read_only_hint = true))]
    async fn get_shipping_info(
        &self,
        Extension(principal): Extension<Principal>,
        arguments: Parameters<support::ShippingArgs>,
    ) -> Result<Json<support::ShippingInfo>, String> {
        self.at_desk(principal, arguments, support::shipping_info)
            .await
    }

    /// Answers from the store's FAQ and help pages (delivery, returns, payment, products,
    /// account), best first, each with its id and category. Ask in French, as the customer
    /// does; typos are fine. No account needed.
    #[tool(annotations(title = "FAQ du service client", read_only_hint = true))]
    async fn search_faq(
        &self,
        Extension(principal): Extension<Principal>,
        arguments: Parameters<support::FaqArgs>,
    ) -> Result<Json<support::FaqAnswers>, String> {
        self.at_desk(principal, arguments, support::search_faq)
            .await
    }

    /// Hands the conversation to a human: writes a support ticket and returns its
    /// `ticketId`. With `conversationId`, calling again for the same reason returns the same
    /// ticket. Use it when the tools cannot solve the customer's problem.
    #[tool(annotations(
        title = "Transmettre à un conseiller",
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = false
    ))]
    async fn escalate_to_human(
        &self,
        Extension(principal): Extension<Principal>,
        Parameters(arguments): Parameters<support::EscalateArgs>,
    ) -> Result<Json<support::Escalation>, String> {
        let arguments = arguments?;
        let state = self.services.state.clone();
        let rules = self.services.rules.clone();
        let today = self.services.today();
        tokio::task::spawn_blocking(move || {
            let desk = Desk {
                principal: &principal,
                rules: &rules,
                today,
                state: state.as_deref(),
            };
            support::escalate(&desk, arguments)
        })
        .await
        .map_err(|e| e.to_string())?
        .map(Json)
    }
}

#[tool_router(router = analytics_tools)]
impl StoreServer {
    /// Staff with analytics:read: revenue, orders, units and average basket between two days
    /// (inclusive, Europe/Paris), per day, week or month, with the change from the previous
    /// span of the same length. Revenue counts orders paid or later, dated by their creation.
    #[tool(annotations(title = "Synthèse des ventes", read_only_hint = true))]
    async fn get_sales_summary(
        &self,
        Extension(principal): Extension<Principal>,
        arguments: Parameters<analytics::SalesSummaryArgs>,
    ) -> Result<analytics::Json<analytics::SalesSummaryInfo>, String> {
        self.at_desk(principal, arguments, analytics::sales_summary)
            .await
            .map(analytics::Json::from)
    }

    /// Staff with analytics:read: the best sellers of the last week, month, quarter or year
    /// up to today, by revenue and by units, each with its change from the period before;
    /// `category` keeps one category (subcategories included).
    #[tool(annotations(title = "Meilleures ventes", read_only_hint = true))]
    async fn get_top_products(
        &self,
        Extension(principal): Extension<Principal>,
        arguments: Parameters<analytics::TopProductsArgs>,
    ) -> Result<analytics::Json<analytics::TopProducts>, String> {
        self.at_desk(principal, arguments, analytics::top_products)
            .await
            .map(analytics::Json::from)
    }

    /// Staff with analytics:read: out-of-stock and low-stock products, days of cover at the
    /// last 30 days' sales pace, products whose stock runs out before their lead time, and
    /// dead stock (no sale in 90 days); `category` keeps one category.
    #[tool(annotations(title = "État des stocks", read_only_hint = true))]
    async fn get_inventory_insights(
        &self,
        Extension(principal): Extension<Principal>,
        arguments: Parameters<analytics::InventoryArgs>,
    ) -> Result<analytics::Json<analytics::InventoryInsights>, String> {
        self.at_desk(principal, arguments, analytics::inventory_insights)
            .await
            .map(analytics::Json::from)
    }

    /// Staff with analytics:read: daily revenue for the next `forecastDays` days (default
    /// 30) with 80 % and 95 % prediction intervals, from an MSTL model (weekly season, AutoETS
    /// trend) backtested against seasonal naive; when the model does not beat it, the answer
    /// is seasonal naive, and it says so.
    #[tool(annotations(title = "Prévision du chiffre d'affaires", read_only_hint = true))]
    async fn get_revenue_forecast(
        &self,
        Extension(principal): Extension<Principal>,
        arguments: Parameters<analytics::ForecastArgs>,
    ) -> Result<analytics::Json<analytics::RevenueForecastInfo>, String> {
        self.at_desk(principal, arguments, analytics::revenue_forecast)
            .await
            .map(analytics::Json::from)
    }

    /// Staff with analytics:read: customers by `metric`: acquisition (new customers per
    /// period), retention (monthly cohorts by first order), lifetime_value (revenue per
    /// customer per cohort, and its distribution) or cart_abandonment (from the storefront's
    /// carts; says so when there are none). Counts and amounts only, never a customer.
    #[tool(annotations(title = "Analyse des clients", read_only_hint = true))]
    async fn get_customer_analytics(
        &self,
        Extension(principal): Extension<Principal>,
        arguments: Parameters<analytics::CustomerArgs>,
    ) -> Result<analytics::Json<analytics::CustomerAnalytics>, String> {
        self.at_desk(principal, arguments, analytics::customer_analytics)
            .await
            .map(analytics::Json::from)
    }

    /// Staff with analytics:read: what shoppers searched for over the last `period` (default
    /// month): top queries, queries with no result (demand the catalog does not meet), queries
    /// whose results are rarely clicked, click-through and conversion per query where the
    /// storefront sends events, and the words the engine dropped or corrected most often. A
    /// session's keystrokes count once, as the query they led to.
    #[tool(annotations(title = "Analyse des recherches", read_only_hint = true))]
    async fn get_search_insights(
        &self,
        Extension(principal): Extension<Principal>,
        arguments: Parameters<analytics::SearchInsightsArgs>,
    ) -> Result<analytics::Json<analytics::SearchInsightsInfo>, String> {
        self.at_desk(principal, arguments, analytics::search_insights)
            .await
            .map(analytics::Json::from)
    }

    /// Staff with analytics:read: each top-level category and its subcategories over the last
    /// `period` (default month): revenue, units, their change from the period before, gross
    /// margin where products' costs are known, and clicks and purchases from search results
    /// where the storefront sends events.
    #[tool(annotations(title = "Performance des catégories", read_only_hint = true))]
    async fn get_category_performance(
        &self,
        Extension(principal): Extension<Principal>,
        arguments: Parameters<analytics::CategoryArgs>,
    ) -> Result<analytics::Json<analytics::CategoryPerformanceInfo>, String> {
        self.at_desk(principal, arguments, analytics::category_performance)
            .await
            .map(analytics::Json::from)
    }
}

#[tool_handler(router = self.tools)]
impl ServerHandler for StoreServer {
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
        server_info.title = Some(self.set.title().into());
        server_info.description = Some(
            "The VIVR home-decor store (French) for agents: catalog search, similar products and recommendations; a customer's orders and deliveries; returns, refunds, FAQ and escalation to a human."
                .into(),
        );
        config.server_info = server_info;
        config.instructions = Some(self.set.instructions().into());
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

    /// The tools of this server that the caller's token allows.
    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let principal = self.principal(&context);
        let mut tools: Vec<_> = self
            .tools
            .list_all()
            .into_iter()
            .filter(|t| access::allows(&principal, &t.name))
            .collect();
        tools.sort_by_key(|t| TOOL_ORDER.iter().position(|n| *n == t.name));
        Ok(ListToolsResult {
            tools,
            ..ListToolsResult::default()
        })
    }

    /// Runs a tool for the caller of the request. The HTTP edge has already refused a caller
    /// without the tool's scope (401 or 403); this check holds for every transport.
    async fn call_tool(
        &self,
        request: rmcp::model::CallToolRequestParams,
        mut context: RequestContext<RoleServer>,
    ) -> Result<rmcp::model::CallToolResponse, ErrorData> {
        let principal = self.principal(&context);
        if let Some(refusal) = access::refusal(&principal, &request.name) {
            return Ok(
                rmcp::model::CallToolResult::error(vec![rmcp::model::ContentBlock::text(refusal)])
                    .into(),
            );
        }
        context.extensions.insert(principal);
        let call = rmcp::handler::server::tool::ToolCallContext::new(self, request, context);
        self.tools.call(call).await
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
        Ok(catalog::prompts(self.set))
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

/// The streamable HTTP service of one server set, mounted at its path: protocol sessions
/// (`Mcp-Session-Id`, answers as event streams, several streams per session) over stateless
/// handlers (a session holds no state of ours: the caller is read from each request), kept by
/// `sessions` (whose caps the API sets), `Host` limited to loopback names plus
/// `allowed_hosts`, browser `Origin`s to loopback pages, bodies up to `body_limit` bytes.
pub fn http_service(
    engine: Arc<Engine>,
    services: Services,
    set: ServerSet,
    sessions: Arc<rmcp::transport::streamable_http_server::session::local::LocalSessionManager>,
    allowed_hosts: &[String],
    body_limit: usize,
) -> rmcp::transport::StreamableHttpService<
    StoreServer,
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
        move || {
            Ok(StoreServer::new(
                engine.clone(),
                services.clone(),
                set,
                Principal::anonymous(),
            ))
        },
        sessions,
        config,
    )
}

/// Serves one client over stdin and stdout until it closes them (`vivr-search mcp`). The
/// client is the local user who started the process, with the replica's file at hand: it
/// acts as staff, every scope.
pub async fn serve_stdio(
    engine: Arc<Engine>,
    services: Services,
    set: ServerSet,
) -> anyhow::Result<()> {
    use rmcp::ServiceExt;
    let running = StoreServer::new(engine, services, set, Principal::local_staff())
        .serve(rmcp::transport::stdio())
        .await?;
    running.waiting().await?;
    Ok(())
}
