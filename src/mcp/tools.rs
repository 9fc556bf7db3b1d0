//! The MCP tools' argument and result types, and what each tool does with the [`Engine`].
//!
//! Argument types document every field (the doc comments become the input schema a model
//! reads); results are objects whose schema is the tool's `outputSchema`. Every failure is a
//! message for the model: what was wrong and what to do instead.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::recommend::{self, Kind, RecommendRequest};
use crate::search::{Engine, Mode, ProductDetail, SearchHit, SearchRequest, SimilarRequest};
use crate::search::{Filters, Sort};

/// Products per answer unless asked otherwise.
pub(crate) const DEFAULT_LIMIT: u32 = 10;
/// Most products per answer.
pub(crate) const MAX_LIMIT: u32 = 50;

/// An order of products.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SortBy {
    /// Cheapest first.
    PriceAsc,
    /// Most expensive first.
    PriceDesc,
    /// Most recently added first.
    Newest,
    /// Best sellers of the last 90 days first.
    Popular,
}

impl From<SortBy> for Sort {
    fn from(s: SortBy) -> Sort {
        match s {
            SortBy::PriceAsc => Sort::PriceAsc,
            SortBy::PriceDesc => Sort::PriceDesc,
            SortBy::Newest => Sort::Newest,
            SortBy::Popular => Sort::Popular,
        }
    }
}

/// Arguments of `search_products`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SearchProductsArgs {
    /// What the shopper wants, in French, as they would type it: "canapé velours bleu",
    /// "lampe moderne moins de 200 euros", "tapis salon". Typos, plurals and missing accents
    /// are fine; prices, colours, materials and styles in the words are understood. Omit it to
    /// list products by the other arguments alone.
    pub query: Option<String>,
    /// A category slug, subcategories included ("luminaires", "canapes"); the resource
    /// `vivr://products/categories` lists them.
    pub category: Option<String>,
    /// Lowest price, in euros.
    pub min_price: Option<f64>,
    /// Highest price, in euros.
    pub max_price: Option<f64>,
    /// Only the products the store features (true) or only the others (false).
    pub featured: Option<bool>,
    /// Only products in stock (true) or only those out of stock (false).
    pub in_stock: Option<bool>,
    /// Order; relevance to the query when omitted.
    pub sort_by: Option<SortBy>,
    /// Products to return, 1 to 50 (default 10).
    pub limit: Option<u32>,
    /// The `nextCursor` of the previous page, to get the next one (up to the 10,000th product;
    /// past it, narrow the query instead).
    pub cursor: Option<String>,
}

/// Arguments of `get_product_details`: exactly one of the two.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProductDetailsArgs {
    /// The product's slug, as in its page address ("canape-3-places-oslo-en-velours").
    pub slug: Option<String>,
    /// The product's id ("prod_0000123"), as search results give it.
    pub product_id: Option<String>,
}

/// Arguments of `get_similar_products`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SimilarProductsArgs {
    /// The product to find look-alikes of (an id such as "prod_0000123", or a slug).
    pub product_id: String,
    /// Products to return, 1 to 50 (default 10).
    pub limit: Option<u32>,
}

/// Arguments of `check_stock_availability`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StockArgs {
    /// The product (an id such as "prod_0000123", or a slug).
    pub product_id: String,
    /// Units wanted (default 1).
    pub quantity: Option<u32>,
}

/// Arguments of `get_category_products`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CategoryProductsArgs {
    /// The category's slug ("luminaires", "canapes"), subcategories included; the resource
    /// `vivr://products/categories` lists them.
    pub category_slug: String,
    /// Order; best sellers first when omitted.
    pub sort_by: Option<SortBy>,
    /// Products per page, 1 to 50 (default 10).
    pub limit: Option<u32>,
    /// The `nextCursor` of the previous page, to get the next one (up to the 10,000th product;
    /// past it, sort or filter with search_products instead).
    pub cursor: Option<String>,
}

/// What to recommend.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RecommendationKind {
    /// Products that look like `productId` (needs `productId`).
    Similar,
    /// Products bought in the same orders as `productId` (needs `productId`).
    BoughtTogether,
    /// For a shopper, from their cart and the products they viewed.
    Personalized,
    /// Products of complementary categories in the same style as `productId`.
    CompleteTheLook,
    /// Products whose sales are rising.
    Trending,
}

impl From<RecommendationKind> for Kind {
    fn from(k: RecommendationKind) -> Kind {
        match k {
            RecommendationKind::Similar => Kind::Similar,
            RecommendationKind::BoughtTogether => Kind::BoughtTogether,
            RecommendationKind::Personalized => Kind::Personalized,
            RecommendationKind::CompleteTheLook => Kind::CompleteTheLook,
            RecommendationKind::Trending => Kind::Trending,
        }
    }
}

/// Arguments of `get_recommendations`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecommendationsArgs {
    /// What to recommend.
    pub kind: RecommendationKind,
    /// The product the shopper is looking at (id or slug); needed by similar,
    /// bought-together and complete-the-look.
    pub product_id: Option<String>,
    /// Product ids in the shopper's cart (never recommended back).
    pub cart_items: Option<Vec<String>>,
    /// Product ids the shopper viewed, most recent first.
    pub view_history: Option<Vec<String>>,
    /// Products to return, 1 to 50 (default 10).
    pub limit: Option<u32>,
}

/// A product's category.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CategoryRef {
    /// Slug (for `category` and `categorySlug` arguments).
    pub slug: String,
    /// Name, in French.
    pub name: String,
}

/// A product as a list shows it.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductCard {
    /// Id (for `productId` arguments).
    pub id: String,
    /// Slug (for `slug` arguments and the product page).
    pub slug: String,
    /// Name, in French.
    pub name: String,
    /// Price in euros.
    pub price: f64,
    /// The former price, crossed out, when the product is on sale.
    pub compare_price: Option<f64>,
    /// The category.
    pub category: CategoryRef,
    /// At least one unit in stock.
    pub in_stock: bool,
    /// Average customer rating out of 5, when rated.
    pub rating: Option<f64>,
    /// First image.
    pub image: Option<String>,
    /// Why it is recommended, in French (recommendations only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl From<SearchHit> for ProductCard {
    fn from(h: SearchHit) -> ProductCard {
        ProductCard {
            id: h.id,
            slug: h.slug,
            name: h.name,
            price: h.price,
            compare_price: h.compare_price,
            category: CategoryRef {
                slug: h.category.slug,
                name: h.category.name,
            },
            in_stock: h.in_stock,
            rating: h.rating,
            image: h.image,
            reason: None,
        }
    }
}

/// A list of products.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductList {
    /// The products, best first (or in the order asked).
    pub products: Vec<ProductCard>,
    /// Products matching in all (more than listed when there are further pages).
    pub total: u64,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// What the engine understood of the query, in French ("Luminaires, style moderne,
    /// moins de 200 €").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub understood: Option<String>,
    /// Query words that matched nothing and were left out.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dropped_words: Vec<String>,
    /// Parts of the engine that could not help this time (the answer is still complete).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub degraded: Vec<String>,
    /// When nothing is listed because the store does not sell what was asked (or nothing
    /// matched it): what, and the closest categories' slugs to search instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_sold: Option<NotSold>,
}

/// What the store does not sell, and where to look instead.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NotSold {
    /// `notSold` (the store does not sell it), `noMatch` (closer to what other stores sell)
    /// or `noResults` (nothing matched, which says nothing of what the store sells).
    pub reason: &'static str,
    /// The words asked for.
    pub wanted: String,
    /// Slugs of the closest categories (search them with `category`).
    pub closest_categories: Vec<String>,
}

/// A product in full.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductInfo {
    /// Id.
    pub id: String,
    /// Slug.
    pub slug: String,
    /// Name, in French.
    pub name: String,
    /// Description, in French (may hold simple HTML).
    pub description: Option<String>,
    /// Price.
    pub price: f64,
    /// The former price, crossed out, when the product is on sale.
    pub compare_price: Option<f64>,
    /// Currency of the prices (EUR).
    pub currency: String,
    /// Units in stock.
    pub stock: i64,
    /// At least one unit in stock.
    pub in_stock: bool,
    /// Featured by the store.
    pub featured: bool,
    /// The category path, top first.
    pub categories: Vec<CategoryRef>,
    /// Image addresses.
    pub images: Vec<String>,
    /// Brand.
    pub brand: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Attributes: color, material, style, room (lists of French values), dimensions in cm.
    pub attributes: serde_json::Map<String, serde_json::Value>,
    /// Average customer rating out of 5, when rated.
    pub rating: Option<f64>,
    /// Number of reviews.
    pub review_count: u32,
}

impl From<ProductDetail> for ProductInfo {
    fn from(d: ProductDetail) -> ProductInfo {
        let p = d.product;
        ProductInfo {
            id: p.id,
            slug: p.slug,
            name: p.name,
            description: p.description,
            price: p.price,
            compare_price: p.compare_price,
            currency: p.currency,
            stock: p.stock,
            in_stock: d.in_stock,
            featured: p.featured,
            categories: d
                .category_path
                .into_iter()
                .map(|c| CategoryRef {
                    slug: c.slug,
                    name: c.name,
                })
                .collect(),
            images: p.images,
            brand: p.brand,
            tags: p.tags,
            attributes: p.attributes,
            rating: p.rating,
            review_count: p.review_count,
        }
    }
}

/// The stock of one product.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StockAvailability {
    /// The product's id.
    pub product_id: String,
    /// Its name.
    pub name: String,
    /// Whether the quantity asked can be ordered now.
    pub available: bool,
    /// Units asked.
    pub quantity_requested: u32,
    /// Units in stock.
    pub quantity_available: i64,
    /// When it is not available: similar products with enough units in stock.
    pub alternatives: Vec<ProductCard>,
}

/// A tool's failure, worded for the model that called it.
pub(crate) type ToolResult<T> = Result<T, String>;

fn limit(limit: Option<u32>) -> ToolResult<i64> {
    match limit.unwrap_or(DEFAULT_LIMIT) {
        0 => Err("limit must be at least 1".into()),
        n if n > MAX_LIMIT => Err(format!(
            "limit {n} is above the maximum of {MAX_LIMIT}: ask for {MAX_LIMIT} or fewer and page with the cursor"
        )),
        n => Ok(i64::from(n)),
    }
}

/// The offset a `nextCursor` stands for (the engine bounds how deep it may go).
fn cursor_offset(cursor: Option<&str>) -> ToolResult<i64> {
    match cursor {
        None => Ok(0),
        Some(c) => c.parse::<i64>().ok().filter(|o| *o >= 0).ok_or_else(|| {
            format!("cursor {c:?} is not one this tool gave: pass the nextCursor of the previous page, or omit it for the first page")
        }),
    }
}

/// An unknown product, with what to do about it.
fn unknown_product(id: &str) -> String {
    format!(
        "no product has the id or slug {id:?}: use an id from search_products or get_category_products results"
    )
}

/// Whether the live generation knows the category slug; read from its facet dictionary, not
/// the replica, since it runs on every tool call that names a category.
pub(crate) fn category_exists(engine: &Engine, slug: &str) -> ToolResult<()> {
    let live = engine.generation();
    if live.text().category_ord(slug).is_some() {
        return Ok(());
    }
    let top: Vec<&str> = live
        .text()
        .dictionaries()
        .categories
        .iter()
        .filter(|c| c.parent.is_none())
        .map(|c| c.slug.as_str())
        .collect();
    Err(format!(
        "no category has the slug {slug:?}; top categories are {}; the resource vivr://products/categories lists them all",
        top.join(", ")
    ))
}

/// A search, its hits as product cards.
fn list(engine: &Engine, request: &SearchRequest) -> ToolResult<ProductList> {
    let response = engine.search(request).map_err(|e| e.to_string())?;
    let shown = request.offset + response.hits.len() as i64;
    let total = response.estimated_total_hits as u64;
    Ok(ProductList {
        next_cursor: (shown < total as i64
            && shown < crate::search::MAX_RESULT_WINDOW as i64
            && !response.hits.is_empty())
        .then(|| shown.to_string()),
        understood: response.parsed_query.as_ref().and_then(understood),
        dropped_words: response.dropped_words,
        degraded: response.degraded,
        total,
        not_sold: response.alternatives.map(|a| NotSold {
            reason: a.reason.as_str(),
            wanted: a.wanted,
            closest_categories: a
                .items
                .into_iter()
                .filter_map(|item| match item {
                    crate::search::Alternative::Category { slug, .. } => Some(slug),
                    crate::search::Alternative::Popular { .. } => None,
                })
                .collect(),
        }),
        products: response.hits.into_iter().map(ProductCard::from).collect(),
    })
}

/// The parse in a French line, when the query asked for something beyond its words.
fn understood(parsed: &crate::search::ParsedQuery) -> Option<String> {
    let labels: Vec<&str> = parsed
        .understood
        .iter()
        .filter(|u| u.applied != crate::search::Applied::Ignored)
        .map(|u| u.label.as_str())
        .collect();
    (!labels.is_empty()).then(|| labels.join(", "))
}

pub(crate) fn search_products(engine: &Engine, a: SearchProductsArgs) -> ToolResult<ProductList> {
    if let Some(slug) = &a.category {
        category_exists(engine, slug)?;
    }
    let request = SearchRequest {
        q: a.query.unwrap_or_default(),
        filters: Filters {
            category: a.category,
            min_price: a.min_price,
            max_price: a.max_price,
            in_stock: a.in_stock,
            featured: a.featured,
            ..Filters::default()
        },
        sort: a.sort_by.map(Sort::from).unwrap_or_default(),
        limit: limit(a.limit)?,
        offset: cursor_offset(a.cursor.as_deref())?,
        mode: Mode::Full,
        highlight: false,
        ..SearchRequest::default()
    };
    list(engine, &request)
}

pub(crate) fn product_details(engine: &Engine, a: ProductDetailsArgs) -> ToolResult<ProductInfo> {
    let key = match (a.slug, a.product_id) {
        (Some(slug), None) => slug,
        (None, Some(id)) => id,
        (Some(_), Some(_)) => return Err("give either slug or productId, not both".into()),
        (None, None) => {
            return Err("give the product's slug or its productId (from search results)".into());
        }
    };
    detail(engine, &key).map(ProductInfo::from)
}

fn detail(engine: &Engine, id_or_slug: &str) -> ToolResult<ProductDetail> {
    engine.product(id_or_slug).map_err(|e| match e {
        crate::search::SearchError::ProductNotFound(_) => unknown_product(id_or_slug),
        other => other.to_string(),
    })
}

pub(crate) fn similar_products(engine: &Engine, a: SimilarProductsArgs) -> ToolResult<ProductList> {
    let anchor = detail(engine, &a.product_id)?;
    let response = engine
        .similar(&SimilarRequest {
            id_or_slug: anchor.product.id,
            limit: limit(a.limit)?,
            filters: Filters::default(),
            same_category: false,
        })
        .map_err(|e| e.to_string())?;
    Ok(ProductList {
        total: response.hits.len() as u64,
        next_cursor: None,
        understood: None,
        dropped_words: Vec::new(),
        degraded: response.degraded.into_iter().collect(),
        not_sold: None,
        products: response.hits.into_iter().map(ProductCard::from).collect(),
    })
}

/// Alternatives offered for a product out of stock.
const ALTERNATIVES: i64 = 5;

pub(crate) fn stock_availability(engine: &Engine, a: StockArgs) -> ToolResult<StockAvailability> {
    let quantity = a.quantity.unwrap_or(1);
    if quantity == 0 {
        return Err("quantity must be at least 1".into());
    }
    let product = detail(engine, &a.product_id)?.product;
    let available = product.stock >= i64::from(quantity);
    let mut alternatives = Vec::new();
    if !available {
        // Similar products in stock, then only those with enough units for the quantity.
        let similar = engine
            .similar(&SimilarRequest {
                id_or_slug: product.id.clone(),
                limit: ALTERNATIVES * 4,
                filters: Filters::default(),
                same_category: true,
            })
            .map_err(|e| e.to_string())?;
        for hit in similar.hits {
            if alternatives.len() as i64 == ALTERNATIVES {
                break;
            }
            let stock = engine.product(&hit.id).map_or(0, |d| d.product.stock);
            if stock >= i64::from(quantity) {
                alternatives.push(ProductCard::from(hit));
            }
        }
    }
    Ok(StockAvailability {
        product_id: product.id,
        name: product.name,
        available,
        quantity_requested: quantity,
        quantity_available: product.stock.max(0),
        alternatives,
    })
}

pub(crate) fn category_products(
    engine: &Engine,
    a: CategoryProductsArgs,
) -> ToolResult<ProductList> {
    category_exists(engine, &a.category_slug)?;
    let offset = cursor_offset(a.cursor.as_deref())?;
    let request = SearchRequest {
        filters: Filters {
            category: Some(a.category_slug),
            ..Filters::default()
        },
        sort: a.sort_by.map_or(Sort::Popular, Sort::from),
        limit: limit(a.limit)?,
        offset,
        mode: Mode::Instant,
        highlight: false,
        ..SearchRequest::default()
    };
    list(engine, &request)
}

pub(crate) fn recommendations(engine: &Engine, a: RecommendationsArgs) -> ToolResult<ProductList> {
    let kind = Kind::from(a.kind);
    let needs_product = matches!(
        kind,
        Kind::Similar | Kind::BoughtTogether | Kind::CompleteTheLook
    );
    if needs_product && a.product_id.is_none() {
        return Err(
            "similar, bought-together and complete-the-look need productId: the product the shopper is looking at".into(),
        );
    }
    if let Some(id) = &a.product_id {
        detail(engine, id)?;
    }
    let mut request = RecommendRequest::new(kind);
    request.product_id = a.product_id;
    request.cart_items = a.cart_items.unwrap_or_default();
    request.view_history = a.view_history.unwrap_or_default();
    request.limit = limit(a.limit)?;
    let response = recommend::recommend(engine, &request).map_err(|e| e.to_string())?;
    Ok(ProductList {
        total: response.hits.len() as u64,
        next_cursor: None,
        understood: None,
        dropped_words: Vec::new(),
        degraded: response.degraded,
        not_sold: None,
        products: response
            .hits
            .into_iter()
            .map(|r| ProductCard {
                reason: Some(r.reason.message),
                ..ProductCard::from(r.hit)
            })
            .collect(),
    })
}
