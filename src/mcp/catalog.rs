//! The MCP resources (the category tree, featured products, a catalog summary, one product,
//! a catalog page), the French prompts of the storefront's support flows, and argument
//! completion for category and product slugs.

use rmcp::ErrorData;
use rmcp::model::{
    ArgumentInfo, CompleteRequestParams, CompleteResult, CompletionInfo, GetPromptRequestParams,
    GetPromptResult, ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult, Prompt,
    PromptArgument, PromptMessage, ReadResourceResult, Reference, Resource, ResourceContents,
    ResourceTemplate, Role,
};
use serde::Serialize;

use super::tools::{self, ProductCard, ProductInfo};
use crate::search::{Engine, Mode, SearchRequest};
use crate::search::{Filters, Sort};

/// Products per page of `resources/list` and of `vivr://catalog/page/{n}`.
pub(crate) const PAGE: u64 = 100;
/// Featured products listed by `vivr://products/featured`.
const FEATURED: i64 = 50;
/// Completion values returned at most (the protocol's cap).
const COMPLETIONS: u64 = CompletionInfo::MAX_VALUES as u64;

const CATEGORIES: &str = "vivr://products/categories";
const FEATURED_URI: &str = "vivr://products/featured";
const CATALOG: &str = "vivr://products/catalog";
const PRODUCT_PREFIX: &str = "vivr://products/";
const PAGE_PREFIX: &str = "vivr://catalog/page/";
const JSON: &str = "application/json";

fn internal(e: impl std::fmt::Display) -> ErrorData {
    ErrorData::internal_error(e.to_string(), None)
}

/// The fixed resources, then one per product, [`PAGE`] at a time (the cursor is an offset).
pub(crate) fn list_resources(
    engine: &Engine,
    cursor: Option<String>,
) -> Result<ListResourcesResult, ErrorData> {
    let total = engine.catalog().product_count().map_err(internal)?;
    let offset = match cursor {
        None => 0,
        // A cursor this server gave is at most the product count; any other is refused before
        // it reaches SQLite (where a u64 past i64::MAX would wrap to a negative offset).
        Some(c) => c
            .parse::<u64>()
            .ok()
            .filter(|o| *o <= total)
            .ok_or_else(|| ErrorData::invalid_params(format!("unknown cursor {c:?}"), None))?,
    };
    let mut resources = Vec::new();
    if offset == 0 {
        resources.extend([
            Resource::new(CATEGORIES, "categories")
                .with_title("Catégories")
                .with_description("The category tree with product counts (slugs for filters).")
                .with_mime_type(JSON),
            Resource::new(FEATURED_URI, "featured")
                .with_title("Produits mis en avant")
                .with_description("The products the store features, best sellers first.")
                .with_mime_type(JSON),
            Resource::new(CATALOG, "catalog")
                .with_title("Résumé du catalogue")
                .with_description(
                    "Counts per category, price ranges, and how to page through every product.",
                )
                .with_mime_type(JSON),
        ]);
    }
    let products = engine
        .catalog()
        .products_page(offset, PAGE)
        .map_err(internal)?;
    let next = offset + products.len() as u64;
    resources.extend(products.into_iter().map(|p| {
        Resource::new(format!("{PRODUCT_PREFIX}{}", p.slug), p.slug)
            .with_title(p.name)
            .with_mime_type(JSON)
    }));
    let mut result = ListResourcesResult::with_all_items(resources);
    result.next_cursor = (next < total).then(|| next.to_string());
    Ok(result)
}

pub(crate) fn resource_templates() -> ListResourceTemplatesResult {
    ListResourceTemplatesResult::with_all_items(vec![
        ResourceTemplate::new("vivr://products/{slug}", "product")
            .with_title("Fiche produit")
            .with_description("One product in full, by slug.")
            .with_mime_type(JSON),
        ResourceTemplate::new("vivr://catalog/page/{n}", "catalog-page")
            .with_title("Page du catalogue")
            .with_description("Page n (from 1) of every product, 100 per page, in id order.")
            .with_mime_type(JSON),
    ])
}

/// A catalog summary: what an agent reads first.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CatalogSummary {
    products: u64,
    currency: &'static str,
    categories: Vec<CategorySummary>,
    pages: u64,
    paging: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CategorySummary {
    slug: String,
    name: String,
    product_count: u64,
    min_price: Option<f64>,
    max_price: Option<f64>,
}

/// A page of the catalog.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CatalogPage {
    page: u64,
    pages: u64,
    products: Vec<PageProduct>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PageProduct {
    id: String,
    slug: String,
    name: String,
    price: f64,
    category_id: String,
    in_stock: bool,
}

pub(crate) fn read_resource(engine: &Engine, uri: &str) -> Result<ReadResourceResult, ErrorData> {
    let body = match uri {
        CATEGORIES => json(&engine.categories().map_err(internal)?),
        FEATURED_URI => {
            let request = SearchRequest {
                filters: Filters {
                    featured: Some(true),
                    ..Filters::default()
                },
                sort: Sort::Popular,
                limit: FEATURED,
                mode: Mode::Instant,
                highlight: false,
                ..SearchRequest::default()
            };
            let hits = engine.search(&request).map_err(internal)?.hits;
            json(&hits.into_iter().map(ProductCard::from).collect::<Vec<_>>())
        }
        CATALOG => json(&summary(engine)?),
        _ => {
            if let Some(n) = uri.strip_prefix(PAGE_PREFIX) {
                json(&page(engine, uri, n)?)
            } else if let Some(slug) = uri.strip_prefix(PRODUCT_PREFIX) {
                let detail = engine.product(slug).map_err(|_| not_found(uri))?;
                json(&ProductInfo::from(detail))
            } else {
                return Err(not_found(uri));
            }
        }
    };
    Ok(ReadResourceResult::new(vec![
        ResourceContents::text(body, uri).with_mime_type(JSON),
    ]))
}

fn not_found(uri: &str) -> ErrorData {
    ErrorData::resource_not_found(
        format!(
            "no resource {uri:?}: resources/list and resources/templates/list give the addresses"
        ),
        Some(serde_json::json!({ "uri": uri })),
    )
}

fn json(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

fn pages(engine: &Engine) -> Result<u64, ErrorData> {
    Ok(engine
        .catalog()
        .product_count()
        .map_err(internal)?
        .div_ceil(PAGE)
        .max(1))
}

fn summary(engine: &Engine) -> Result<CatalogSummary, ErrorData> {
    let tree = engine.categories().map_err(internal)?;
    let mut categories = Vec::new();
    for node in &tree {
        let request = SearchRequest {
            filters: Filters {
                category: Some(node.slug.clone()),
                ..Filters::default()
            },
            facets: vec!["price".into()],
            limit: 0,
            mode: Mode::Instant,
            ..SearchRequest::default()
        };
        let stats = engine
            .search(&request)
            .map_err(internal)?
            .facet_stats
            .and_then(|s| s.get("price").cloned());
        categories.push(CategorySummary {
            slug: node.slug.clone(),
            name: node.name.clone(),
            product_count: node.product_count,
            min_price: stats.as_ref().map(|s| s.min),
            max_price: stats.as_ref().map(|s| s.max),
        });
    }
    let pages = pages(engine)?;
    Ok(CatalogSummary {
        products: engine.catalog().product_count().map_err(internal)?,
        currency: "EUR",
        categories,
        pages,
        paging: format!(
            "Read {PAGE_PREFIX}1 to {PAGE_PREFIX}{pages} ({PAGE} products each, in id order); {PRODUCT_PREFIX}{{slug}} gives one product in full; the tool get_category_products pages through one category."
        ),
    })
}

fn page(engine: &Engine, uri: &str, n: &str) -> Result<CatalogPage, ErrorData> {
    let pages = pages(engine)?;
    let page = n
        .parse::<u64>()
        .ok()
        .filter(|p| (1..=pages).contains(p))
        .ok_or_else(|| not_found(uri))?;
    let products = engine
        .catalog()
        .products_page((page - 1) * PAGE, PAGE)
        .map_err(internal)?;
    Ok(CatalogPage {
        page,
        pages,
        products: products
            .into_iter()
            .map(|p| PageProduct {
                in_stock: p.in_stock(),
                id: p.id,
                slug: p.slug,
                name: p.name,
                price: p.price,
                category_id: p.category_id,
            })
            .collect(),
    })
}

const RECOMMENDATION_PROMPT: &str = "product_recommendation_response";
const SEARCH_PROMPT: &str = "search_assistant";
const GREETING_PROMPT: &str = "greeting";
const ORDER_STATUS_PROMPT: &str = "order_status_response";
/// Known values of the prompts' arguments, for completion.
const TIMES_OF_DAY: [&str; 3] = ["matin", "après-midi", "soir"];
const LANGUAGES: [&str; 2] = ["fr", "en"];

/// The prompts of a server set: the catalog's on catalog, the order status on orders and
/// support, the greeting on support; all of them on `/mcp`.
pub(crate) fn prompts(set: super::ServerSet) -> ListPromptsResult {
    use super::ServerSet::{All, Catalog, Orders, Support};
    let all = all_prompts();
    let keep = |name: &str| match name {
        RECOMMENDATION_PROMPT => matches!(set, Catalog | Support | All),
        SEARCH_PROMPT => matches!(set, Catalog | All),
        ORDER_STATUS_PROMPT => matches!(set, Orders | Support | All),
        _ => matches!(set, Support | All),
    };
    ListPromptsResult::with_all_items(all.into_iter().filter(|p| keep(&p.name)).collect())
}

fn all_prompts() -> Vec<Prompt> {
    vec![
        Prompt::new(
            RECOMMENDATION_PROMPT,
            Some("Rédiger la réponse du service client qui recommande des produits VIVR."),
            Some(vec![
                PromptArgument::new("products")
                    .with_description(
                        "The products to recommend: names, prices and ids (JSON or text).",
                    )
                    .with_required(true),
                PromptArgument::new("context")
                    .with_description("The shopper's question or situation, in their words.")
                    .with_required(false),
            ]),
        )
        .with_title("Réponse de recommandation"),
        Prompt::new(
            SEARCH_PROMPT,
            Some("Aider un client à trouver le bon produit dans le catalogue VIVR."),
            Some(vec![
                PromptArgument::new("need")
                    .with_description("What the shopper is looking for, in their words.")
                    .with_required(true),
                PromptArgument::new("category")
                    .with_description("A category slug to search in (completion lists them).")
                    .with_required(false),
            ]),
        )
        .with_title("Assistant de recherche"),
        Prompt::new(
            GREETING_PROMPT,
            Some("Accueillir un client du service client VIVR."),
            Some(vec![
                PromptArgument::new("customerName")
                    .with_description("The customer's first name, when known.")
                    .with_required(false),
                PromptArgument::new("timeOfDay")
                    .with_description("matin, après-midi or soir (completion lists them).")
                    .with_required(false),
                PromptArgument::new("language")
                    .with_description("fr or en (completion lists them).")
                    .with_required(true),
            ]),
        )
        .with_title("Accueil"),
        Prompt::new(
            ORDER_STATUS_PROMPT,
            Some("Annoncer au client où en est sa commande."),
            Some(vec![
                PromptArgument::new("orderStatus")
                    .with_description("PENDING, PAID, PROCESSING, SHIPPED, DELIVERED or CANCELLED (completion lists them).")
                    .with_required(true),
                PromptArgument::new("estimatedDelivery")
                    .with_description("The delivery range from estimate_delivery, when known.")
                    .with_required(false),
                PromptArgument::new("trackingNumber")
                    .with_description("The carrier's tracking number, once shipped.")
                    .with_required(false),
            ]),
        )
        .with_title("Réponse sur le statut d'une commande"),
    ]
}

pub(crate) fn get_prompt(
    engine: &Engine,
    request: &GetPromptRequestParams,
) -> Result<GetPromptResult, ErrorData> {
    let arg = |name: &str| -> Option<String> {
        request
            .arguments
            .as_ref()
            .and_then(|a| a.get(name))
            .and_then(|v| match v {
                serde_json::Value::String(s) => Some(s.trim().to_owned()),
                serde_json::Value::Null => None,
                other => Some(other.to_string()),
            })
            .filter(|s| !s.is_empty())
    };
    let required = |name: &str| {
        arg(name).ok_or_else(|| {
            ErrorData::invalid_params(
                format!("the prompt {:?} needs the argument {name:?}", request.name),
                None,
            )
        })
    };
    let (description, text) = match request.name.as_ref() {
        RECOMMENDATION_PROMPT => {
            let products = required("products")?;
            let context =
                arg("context").unwrap_or_else(|| "Le client n'a pas précisé sa demande.".into());
            (
                "Réponse de recommandation du service client VIVR",
                format!(
                    "Tu es conseiller ou conseillère du service client de VIVR, boutique française \
                     de décoration et de mobilier. Rédige en français une réponse chaleureuse et \
                     concise (5 à 8 phrases) qui recommande les produits ci-dessous au client.\n\n\
                     Demande du client : {context}\n\nProduits à recommander :\n{products}\n\n\
                     Pour chaque produit, dis en une phrase pourquoi il répond à la demande \
                     (style, matière, dimensions, prix). Donne les prix en euros tels qu'ils sont \
                     indiqués, n'invente aucune caractéristique ni promotion, signale un produit \
                     en rupture de stock, et termine en proposant ton aide pour la suite \
                     (disponibilité, livraison, produits similaires)."
                ),
            )
        }
        SEARCH_PROMPT => {
            let need = required("need")?;
            let scope = match arg("category") {
                Some(slug) => {
                    tools::category_exists(engine, &slug)
                        .map_err(|e| ErrorData::invalid_params(e, None))?;
                    format!(" Limite la recherche à la catégorie « {slug} » (argument category).")
                }
                None => String::new(),
            };
            (
                "Assistant de recherche VIVR",
                format!(
                    "Tu aides un client de VIVR, boutique française de décoration et de mobilier, \
                     à trouver le bon produit. Son besoin : « {need} ».{scope}\n\n\
                     1. Appelle l'outil search_products avec une requête courte en français \
                     (type de produit, style, matière, couleur, budget : « lampe laiton moins de \
                     150 euros »).\n\
                     2. Si les résultats ne conviennent pas, reformule ou utilise \
                     get_similar_products sur le produit le plus proche.\n\
                     3. Vérifie avec check_stock_availability le produit que tu proposes.\n\
                     4. Présente au plus trois produits avec leur nom, leur prix en euros et la \
                     raison de ton choix, sans rien inventer. Pose une question si le besoin est \
                     trop vague (pièce, dimensions, budget)."
                ),
            )
        }
        GREETING_PROMPT => {
            let language = required("language")?;
            let english = match language.to_ascii_lowercase().as_str() {
                "fr" => false,
                "en" => true,
                _ => {
                    return Err(ErrorData::invalid_params("language must be fr or en", None));
                }
            };
            let name = arg("customerName");
            let time = arg("timeOfDay");
            if let Some(t) = &time
                && !TIMES_OF_DAY.contains(&t.as_str())
            {
                return Err(ErrorData::invalid_params(
                    format!("timeOfDay must be one of {}", TIMES_OF_DAY.join(", ")),
                    None,
                ));
            }
            let hello = match (english, time.as_deref()) {
                (true, Some("matin")) => "Good morning",
                (true, Some("après-midi")) => "Good afternoon",
                (true, Some("soir")) => "Good evening",
                (true, _) => "Hello",
                (false, Some("soir")) => "Bonsoir",
                (false, _) => "Bonjour",
            };
            let who = name.map(|n| format!(" {n}")).unwrap_or_default();
            (
                "Accueil du service client VIVR",
                format!(
                    "Tu es conseiller ou conseillère du service client de VIVR, boutique française \
                     de décoration et de mobilier. Accueille le client en {} en commençant par \
                     « {hello}{who} », en une ou deux phrases chaleureuses, puis demande-lui \
                     comment l'aider : une commande (numéro ORD-…), une livraison, un retour, ou \
                     un conseil produit. Ne demande ni mot de passe ni numéro de carte.",
                    if english { "anglais" } else { "français" }
                ),
            )
        }
        ORDER_STATUS_PROMPT => {
            let status = required("orderStatus")?;
            let status = crate::catalog::OrderStatus::parse(&status).ok_or_else(|| {
                ErrorData::invalid_params(
                    "orderStatus must be PENDING, PAID, PROCESSING, SHIPPED, DELIVERED or CANCELLED",
                    None,
                )
            })?;
            let delivery = arg("estimatedDelivery")
                .map(|d| format!(" Livraison estimée : {d}."))
                .unwrap_or_default();
            let tracking = arg("trackingNumber")
                .map(|t| format!(" Numéro de suivi : {t}."))
                .unwrap_or_default();
            (
                "Réponse sur le statut d'une commande VIVR",
                format!(
                    "Tu es conseiller ou conseillère du service client de VIVR. La commande du \
                     client est {} ({}).{delivery}{tracking}\n\nExplique-lui en français, en \
                     trois à cinq phrases simples, où en est sa commande et la prochaine étape. \
                     Donne les dates et le numéro de suivi tels qu'ils sont indiqués, sans rien \
                     inventer ; si la commande est en retard ou si le client est inquiet, propose \
                     de transmettre sa demande à un conseiller (escalate_to_human).",
                    status.label(),
                    status.as_str()
                ),
            )
        }
        other => {
            return Err(ErrorData::invalid_params(
                format!(
                    "no prompt {other:?}: prompts/list gives {RECOMMENDATION_PROMPT}, {SEARCH_PROMPT}, {GREETING_PROMPT} and {ORDER_STATUS_PROMPT}"
                ),
                None,
            ));
        }
    };
    Ok(
        GetPromptResult::new(vec![PromptMessage::new_text(Role::User, text)])
            .with_description(description),
    )
}

/// Completes category slugs (the `category` argument of `search_assistant`) and product slugs
/// (the `slug` of `vivr://products/{slug}`); anything else completes to nothing.
pub(crate) fn complete(
    engine: &Engine,
    request: &CompleteRequestParams,
) -> Result<CompleteResult, ErrorData> {
    let ArgumentInfo { name, value, .. } = &request.argument;
    let values = match (&request.r#ref, name.as_str()) {
        (Reference::Prompt(p), "category") if p.name == SEARCH_PROMPT => {
            category_slugs(engine, value)
        }
        (Reference::Prompt(p), "timeOfDay") if p.name == GREETING_PROMPT => {
            starting_with(&TIMES_OF_DAY, value)
        }
        (Reference::Prompt(p), "language") if p.name == GREETING_PROMPT => {
            starting_with(&LANGUAGES, value)
        }
        (Reference::Prompt(p), "orderStatus") if p.name == ORDER_STATUS_PROMPT => {
            let statuses = crate::catalog::OrderStatus::ALL.map(|s| s.as_str());
            starting_with(&statuses, &value.to_ascii_uppercase())
        }
        (Reference::Resource(r), "slug") if r.uri == "vivr://products/{slug}" => engine
            .catalog()
            .slugs_with_prefix(value, COMPLETIONS + 1)
            .map_err(internal)?,
        _ => Vec::new(),
    };
    let has_more = values.len() as u64 > COMPLETIONS;
    let mut values = values;
    values.truncate(COMPLETIONS as usize);
    let mut completion = CompletionInfo::new(values).map_err(internal)?;
    completion.has_more = Some(has_more);
    Ok(CompleteResult::new(completion))
}

/// The known values that start with what was typed.
fn starting_with(values: &[&str], typed: &str) -> Vec<String> {
    values
        .iter()
        .filter(|v| v.starts_with(typed))
        .map(|v| (*v).to_owned())
        .collect()
}

fn category_slugs(engine: &Engine, prefix: &str) -> Vec<String> {
    let live = engine.generation();
    let mut slugs: Vec<String> = live
        .text()
        .dictionaries()
        .categories
        .iter()
        .filter(|c| c.slug.starts_with(prefix))
        .map(|c| c.slug.clone())
        .collect();
    slugs.sort();
    slugs
}
