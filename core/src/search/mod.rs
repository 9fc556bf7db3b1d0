//! The `Engine` facade: the one entry point of the HTTP API, the CLI and the benches.
//!
//! A search: validate the request → plan the query words (French analysis, stop words, typo
//! budget, prefixes) → lexical retrieval on the live generation (filters, sort, facets, words
//! dropped when nothing matches) → hydrate hits from the stored summaries → highlights and
//! explanations. The engine never sees HTTP types; the API never sees tantivy types.
//!
//! Reload: [`Engine::reload`] swaps in the generation `index/current` points at, without
//! stopping searches in flight (they keep the `Arc` of the generation they started with).

mod ai;
mod empty;
mod exact;
mod fusion;
mod highlight;
mod hybrid;
pub use hybrid::FaqAnswers;
pub mod intent;
mod similar;
mod suggest;
mod understand;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Instant;

use serde::Serialize;
use tantivy::DocAddress;

pub use ai::search_with_claude;
pub use empty::{Alternative, Alternatives, EmptyReason};
pub use fusion::{Fused, SEMANTIC_FLOOR, fuse, semantic_score};
pub use highlight::WordMatch;
pub use similar::{SimilarRequest, SimilarResponse};
pub use suggest::{Chip, Suggestions, chips};
pub use understand::{
    Applied, ConstraintKind, IntentFilters, IntentSource, ParsedQuery, Understood,
};

pub use crate::filter::{Facet, Filters, Sort};

use crate::cache::SharedLru;
use crate::catalog::{Catalog, CatalogError, Product};
use crate::filter::ProductFilter;
use crate::index::{
    self, FacetCategory, Generation, IndexError, IndexHit, LexicalRequest, Manifest, PlannedWord,
    ReindexOptions, StoredHit, TextField, Tier,
};
use crate::signals::{SignalError, Signals};
use crate::vectors::{self, Embedder, VectorError, VectorSet};

/// Longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 512;
/// Largest page accepted.
pub const MAX_LIMIT: usize = 100;
/// Deepest hit a request may reach (`offset + limit`), as Elasticsearch's `max_result_window`:
/// memory for a page is allocated from the offset, so a caller's number never sizes it.
pub const MAX_RESULT_WINDOW: usize = 10_000;

/// Errors of the engine. User errors first, then internal ones.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The query is longer than [`MAX_QUERY_CHARS`].
    #[error("the query is {0} characters long; the limit is {MAX_QUERY_CHARS}")]
    QueryTooLong(usize),
    /// The query holds a control character.
    #[error("the query contains a control character (U+{0:04X})")]
    ControlCharacter(u32),
    /// `limit` above [`MAX_LIMIT`].
    #[error("limit {0} is above the maximum of {MAX_LIMIT}")]
    LimitTooLarge(i64),
    /// Negative `limit`.
    #[error("limit {0} must not be negative")]
    NegativeLimit(i64),
    /// Negative `offset`.
    #[error("offset {0} must not be negative")]
    NegativeOffset(i64),
    /// `offset + limit` beyond [`MAX_RESULT_WINDOW`].
    #[error(
        "offset {0} with this limit reaches past hit {MAX_RESULT_WINDOW}, the deepest served: narrow the query (a category, a price range, more words) instead of paging further"
    )]
    OffsetTooLarge(i64),
    /// `minPrice` above `maxPrice`, or a negative or non-finite price.
    #[error("invalid price range: {0}")]
    InvalidPriceRange(String),
    /// Unknown sort name.
    #[error(
        "unknown sort {0:?}; expected one of relevance, price-asc, price-desc, newest, popular, rating"
    )]
    UnknownSort(String),
    /// Unknown facet name.
    #[error(
        "unknown facet {0:?}; expected one of category, color, material, style, room, price or *"
    )]
    UnknownFacet(String),
    /// Unknown search mode.
    #[error("unknown mode {0:?}; expected instant or full")]
    UnknownMode(String),
    /// `semanticRatio` outside 0..=1.
    #[error("semanticRatio {0} must be between 0 and 1")]
    InvalidSemanticRatio(f32),
    /// A filter the endpoint cannot apply.
    #[error("{0}")]
    UnsupportedFilter(String),
    /// No product with this id or slug.
    #[error("no product has the id or slug {0:?}")]
    ProductNotFound(String),
    /// The index failed.
    #[error(transparent)]
    Index(#[from] IndexError),
    /// The replica failed.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// The semantic layer failed (reindex).
    #[error(transparent)]
    Vector(#[from] VectorError),
    /// The order signals failed (reindex).
    #[error(transparent)]
    Signal(#[from] SignalError),
    /// An engine call run off the async workers panicked or was cancelled.
    #[error("engine task failed: {0}")]
    TaskFailed(String),
}

impl FromStr for Sort {
    type Err = SearchError;

    fn from_str(s: &str) -> Result<Sort, SearchError> {
        Ok(match s {
            "relevance" => Sort::Relevance,
            "price-asc" => Sort::PriceAsc,
            "price-desc" => Sort::PriceDesc,
            "newest" => Sort::Newest,
            "popular" => Sort::Popular,
            "rating" => Sort::Rating,
            other => return Err(SearchError::UnknownSort(other.to_owned())),
        })
    }
}

/// A search, as the API and the CLI describe it (validated by [`Engine::search`]).
#[derive(Debug, Clone, PartialEq)]
pub struct SearchRequest {
    /// The query text.
    pub q: String,
    /// Filters.
    pub filters: Filters,
    /// Order.
    pub sort: Sort,
    /// Facets to count: names from `category, color, material, style, room, price`, or `*`.
    pub facets: Vec<String>,
    /// Hits to skip (negative is an error).
    pub offset: i64,
    /// Hits to return (0..=100).
    pub limit: i64,
    /// Whether to return `_formatted` with `<mark>` highlights.
    pub highlight: bool,
    /// Whether to return `_rankingScoreDetails`.
    pub explain: bool,
    /// `instant` (lexical only, for keystrokes) or `full` (lexical and semantic).
    pub mode: Mode,
    /// Weight of the semantic source in `full` mode (0..=1); `None`: the engine's default.
    pub semantic_ratio: Option<f32>,
    /// Whether to parse the query's intent (prices, categories, colours...) into filters and
    /// boosts; `false` searches the words as typed.
    pub intent: bool,
}

/// Search modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Lexical only: search-as-you-type.
    Instant,
    /// Lexical and semantic, fused: submitted searches.
    #[default]
    Full,
}

impl Mode {
    /// The mode as requests write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Instant => "instant",
            Mode::Full => "full",
        }
    }
}

impl FromStr for Mode {
    type Err = SearchError;

    fn from_str(s: &str) -> Result<Mode, SearchError> {
        match s {
            "instant" => Ok(Mode::Instant),
            "full" => Ok(Mode::Full),
            other => Err(SearchError::UnknownMode(other.to_owned())),
        }
    }
}

impl Default for SearchRequest {
    fn default() -> Self {
        SearchRequest {
            q: String::new(),
            filters: Filters::default(),
            sort: Sort::Relevance,
            facets: Vec::new(),
            offset: 0,
            limit: 20,
            highlight: true,
            explain: false,
            mode: Mode::Full,
            semantic_ratio: None,
            intent: true,
        }
    }
}

/// A product's category as shown in a hit.
#[derive(Debug, Clone, PartialEq)]
pub struct HitCategory {
    /// Id.
    pub id: String,
    /// Slug.
    pub slug: String,
    /// Name.
    pub name: String,
}

/// Highlighted fields of a hit.
#[derive(Debug, Clone, PartialEq)]
pub struct Formatted {
    /// Name with `<mark>` around matched words.
    pub name: String,
    /// Cropped description with `<mark>` around matched words.
    pub description: String,
}

/// Why a hit ranks where it does.
#[derive(Debug, Clone, PartialEq)]
pub struct RankingDetails {
    /// Best match of each query word.
    pub words: Vec<WordMatch>,
    /// Sum of the word scores.
    pub text_score: f32,
    /// Score used for ordering under relevance sort (text score plus the popularity tie-break).
    pub sort_score: Option<f32>,
    /// Full mode: the lexical score (0..=1) when the lexical source found the product.
    pub lexical_score: Option<f32>,
    /// Full mode: the cosine similarity when the semantic source found the product.
    pub semantic_score: Option<f32>,
    /// Full mode: the fused score the hit is ranked by.
    pub fused_score: Option<f32>,
}

/// One hit.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    /// Product id.
    pub id: String,
    /// Slug.
    pub slug: String,
    /// Name.
    pub name: String,
    /// Price in euros.
    pub price: f64,
    /// Crossed-out price.
    pub compare_price: Option<f64>,
    /// Category.
    pub category: HitCategory,
    /// First image.
    pub image: Option<String>,
    /// At least one unit in stock.
    pub in_stock: bool,
    /// Average rating.
    pub rating: Option<f64>,
    /// Highlights, when asked.
    pub formatted: Option<Formatted>,
    /// Text match quality in 0..=1 (1: every word exact in the name).
    pub ranking_score: f32,
    /// Explanation, when asked.
    pub ranking_score_details: Option<RankingDetails>,
}

/// Minimum and maximum of a numeric facet.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    /// Minimum.
    pub min: f64,
    /// Maximum.
    pub max: f64,
}

/// The answer to a search.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchResponse {
    /// The page of hits.
    pub hits: Vec<SearchHit>,
    /// The query as received.
    pub query: String,
    /// Query words ignored to get results, in the order they were dropped.
    pub dropped_words: Vec<String>,
    /// Exact number of matching products.
    pub estimated_total_hits: usize,
    /// Offset of the page.
    pub offset: usize,
    /// Size of the page.
    pub limit: usize,
    /// Counts per facet value, for the facets asked.
    pub facet_distribution: Option<BTreeMap<String, BTreeMap<String, u64>>>,
    /// Price range of the matching products, when asked.
    pub facet_stats: Option<BTreeMap<String, Stats>>,
    /// Hits of the page found by the semantic source.
    pub semantic_hit_count: usize,
    /// Whether Claude reordered the first hits.
    pub reranked: bool,
    /// What the engine understood of the query (absent when intent parsing is off or the
    /// query is empty).
    pub parsed_query: Option<ParsedQuery>,
    /// When the first page is empty: why, and the closest categories and popular products.
    pub alternatives: Option<Alternatives>,
    /// Words Claude read as a category that the lexicon does not know: for the state
    /// database's proposals (never shown, never used before review).
    pub proposed: Option<intent::LearntWord>,
    /// What could not be used for this answer, and why (the answer is still complete).
    pub degraded: Vec<String>,
    /// Time spent in the engine.
    pub processing_time_ms: u64,
}

/// A category with its product count (subcategories included) and children.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CategoryNode {
    /// Id.
    pub id: String,
    /// Slug.
    pub slug: String,
    /// Name.
    pub name: String,
    /// Products in this category and its subcategories.
    pub product_count: u64,
    /// Subcategories, by name.
    pub children: Vec<CategoryNode>,
}

/// A full product with its category path.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductDetail {
    /// The product row.
    pub product: Product,
    /// At least one unit in stock.
    pub in_stock: bool,
    /// The category, top first.
    pub category_path: Vec<HitCategory>,
}

/// The engine's state, for `/health`.
#[derive(Debug, Clone, PartialEq)]
pub struct Health {
    /// The live generation's manifest.
    pub index: Manifest,
    /// Products in the replica now (may be ahead of the index until the next reindex).
    pub catalog_products: u64,
    /// The semantic layer's state.
    pub semantic: SemanticHealth,
    /// The order signals' state (recommendations).
    pub signals: SignalsHealth,
    /// The generation `current` points at, when it could not be opened (damaged files): the
    /// engine serves the previous one meanwhile.
    pub refused_generation: Option<RefusedGeneration>,
    /// The live generation holds nothing from the store yet ([`Engine::is_building`]).
    pub index_building: bool,
}

/// A generation the engine refused to serve, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct RefusedGeneration {
    /// Its directory.
    pub dir: PathBuf,
    /// Why it was refused.
    pub reason: String,
}

/// Whether the generation has order signals, and why not.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalsHealth {
    /// Signals are loaded.
    pub available: bool,
    /// Orders they were learnt from.
    pub orders: u64,
    /// Products trending now.
    pub trending: usize,
    /// Why there are none.
    pub reason: Option<String>,
}

/// Whether the semantic layer serves, and why not.
#[derive(Debug, Clone, PartialEq)]
pub struct SemanticHealth {
    /// Vectors are loaded.
    pub available: bool,
    /// Number of vectors.
    pub vectors: usize,
    /// Why the semantic layer is off.
    pub reason: Option<String>,
}

/// The search engine over one replica and one index folder.
pub struct Engine {
    catalog: Catalog,
    index_dir: PathBuf,
    embedder: Option<Arc<dyn Embedder>>,
    live: RwLock<Arc<Live>>,
    /// The last generation that could not be opened; not tried again until `current` moves.
    refused: RwLock<Option<RefusedGeneration>>,
    semantic_ratio: f32,
    query_vectors: hybrid::QueryVectors,
    /// The bundled FAQ's passages embedded with this engine's model, on first use.
    faq_vectors: std::sync::OnceLock<Result<Vec<Vec<f32>>, String>>,
    past_queries: suggest::PastQueries,
    /// Slots for engine calls run off the async workers ([`Engine::off_worker`]).
    cpu_slots: Arc<tokio::sync::Semaphore>,
    /// The intent lexicon and thesaurus, with the words learnt under review.
    lexicon: RwLock<Arc<intent::Lexicon>>,
    /// Moves after each change of `lexicon`: part of the result cache's keys.
    lexicon_epoch: AtomicU64,
    /// Instant-mode answers by generation, lexicon and request ([`Engine::search`]).
    results: SharedLru<SearchResponse>,
}

/// Instant-mode answers kept by default: typing sends the same prefixes again and again.
pub const RESULT_CACHE_SIZE: usize = 1024;

/// A live generation: its text index, and its vectors and order signals when they could be
/// loaded.
pub struct Live {
    text: Generation,
    vectors: Result<VectorSet, String>,
    signals: Result<Signals, String>,
    /// The store's vocabulary for Claude's intent prompt, built on first use.
    vocabulary: std::sync::OnceLock<crate::llm::Vocabulary>,
    /// The reference names of honest empty answers, embedded on first use.
    references: std::sync::OnceLock<empty::References>,
    /// The replica's category tree and counts, read on first use: the replica changes by
    /// import, and an import is followed by a reindex, so they hold for the generation.
    categories: std::sync::OnceLock<Categories>,
}

/// The category tree and the tree with product counts, per generation.
struct Categories {
    tree: crate::catalog::CategoryTree,
    counted: Vec<CategoryNode>,
}

impl Live {
    /// The cosine between the vectors of two of `ids` (by index), when the generation has
    /// vectors; `None` without them.
    fn closeness<'a>(&'a self, ids: &[&str]) -> Option<exact::BoxedCloseness<'a>> {
        let vectors = self.vectors.as_ref().ok()?;
        let rows: Vec<Option<usize>> = ids.iter().map(|id| vectors.row(id)).collect();
        Some(Box::new(move |a, b| {
            let (a, b) = (rows.get(a).copied()??, rows.get(b).copied()??);
            Some(vectors::dot(&vectors.vector(a), &vectors.vector(b)))
        }))
    }

    fn open(dir: &Path, embedder: Option<&dyn Embedder>) -> Result<Live, SearchError> {
        let text = Generation::open(dir)?;
        let vectors = match &text.manifest().vectors {
            None => Err(
                "this index generation has no vectors: install the model and reindex".to_owned(),
            ),
            Some(built) => {
                // Without an embedder the vectors still serve product-to-product similarity;
                // with one, they must come from the same model as the query vectors.
                let model = embedder.map_or(built.model_id.as_str(), |e| e.model_id());
                VectorSet::open(&dir.join(vectors::VECTORS_DIR), model).map_err(|e| e.to_string())
            }
        };
        if let Err(reason) = &vectors {
            tracing::warn!(%reason, "semantic layer off for this generation");
        }
        let signals = Signals::open(dir).map_err(|e| format!("{e}: run `vivr-search reindex`"));
        if let Err(reason) = &signals {
            tracing::warn!(%reason, "no order signals for this generation");
        }
        Ok(Live {
            text,
            vectors,
            signals,
            vocabulary: std::sync::OnceLock::new(),
            references: std::sync::OnceLock::new(),
            categories: std::sync::OnceLock::new(),
        })
    }

    /// The text index.
    pub fn text(&self) -> &Generation {
        &self.text
    }

    /// The vectors, or why there are none.
    pub fn vectors(&self) -> Result<&VectorSet, &str> {
        self.vectors.as_ref().map_err(String::as_str)
    }

    /// The order signals, or why there are none.
    pub fn signals(&self) -> Result<&Signals, &str> {
        self.signals.as_ref().map_err(String::as_str)
    }

    /// The generation's manifest.
    pub fn manifest(&self) -> &Manifest {
        self.text.manifest()
    }

    /// A request's filters resolved against this generation, for the lexical query, the
    /// vector scan and the recommendation picker alike. An unknown category lets nothing
    /// through; so does an attribute facet none of whose values the generation knows.
    pub fn resolve(&self, filters: &Filters) -> ProductFilter {
        let text = &self.text;
        let category = match filters
            .category
            .as_deref()
            .map(|slug| text.category_ord(slug))
        {
            Some(None) => return ProductFilter::nothing(),
            Some(ord) => ord.map(|o| o as u32),
            None => None,
        };
        let mut attributes = Vec::with_capacity(filters.attributes.len());
        for (key, values) in &filters.attributes {
            let Some(facet) = Facet::attribute(key) else {
                return ProductFilter::nothing();
            };
            let ords: Vec<u32> = values
                .iter()
                .filter_map(|v| text.attribute_ord(facet, v))
                .collect();
            if ords.is_empty() {
                return ProductFilter::nothing();
            }
            attributes.push((facet, ords));
        }
        ProductFilter {
            nothing: false,
            category,
            exclude_categories: Vec::new(),
            min_price: filters.min_price,
            max_price: filters.max_price,
            in_stock: filters.in_stock,
            featured: filters.featured,
            attributes,
        }
    }

    /// [`Live::resolve`] for similar products and recommendations: in stock by default,
    /// `inStock: false` lifts the restriction (it never asks for out-of-stock products only).
    pub fn resolve_in_stock_by_default(&self, filters: &Filters) -> ProductFilter {
        ProductFilter {
            in_stock: Some(true).filter(|_| filters.in_stock.unwrap_or(true)),
            ..self.resolve(filters)
        }
    }
}

impl Engine {
    /// Opens the engine on a replica and the live generation of `index_dir`, without an
    /// embedding model (lexical search; similarity from stored vectors).
    pub fn open(catalog: Catalog, index_dir: &Path) -> Result<Engine, SearchError> {
        Engine::open_with(catalog, index_dir, None)
    }

    /// Opens the engine with an embedding model for the semantic layer.
    pub fn open_with(
        catalog: Catalog,
        index_dir: &Path,
        embedder: Option<Arc<dyn Embedder>>,
    ) -> Result<Engine, SearchError> {
        let emb = embedder.as_deref();
        let (live, refused) = match index::live_generation_dir(index_dir) {
            Ok(dir) => match Live::open(&dir, emb) {
                Ok(live) => (live, None),
                Err(e) => serve_older(index_dir, &dir, e, emb)?,
            },
            // `current` dangling, or pointing at an incomplete generation.
            Err(e) => serve_older(index_dir, &index_dir.join("current"), e.into(), emb)?,
        };
        Ok(Engine {
            catalog,
            index_dir: index_dir.to_owned(),
            embedder,
            live: RwLock::new(Arc::new(live)),
            refused: RwLock::new(refused),
            semantic_ratio: hybrid::DEFAULT_SEMANTIC_RATIO,
            query_vectors: hybrid::QueryVectors::new(hybrid::QUERY_CACHE_SIZE),
            faq_vectors: std::sync::OnceLock::new(),
            past_queries: suggest::PastQueries::default(),
            cpu_slots: Arc::new(tokio::sync::Semaphore::new(cpu_slots())),
            lexicon: RwLock::new(intent::Lexicon::bundled()),
            lexicon_epoch: AtomicU64::new(0),
            results: SharedLru::new(RESULT_CACHE_SIZE),
        })
    }

    /// The lexicon queries are parsed with.
    pub fn lexicon(&self) -> Arc<intent::Lexicon> {
        self.lexicon
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Parses queries with the bundled lexicon and `learnt`, the words accepted under review
    /// (`vivr-search lexicon accept`), from now on.
    pub fn set_learnt_words(&self, learnt: &[intent::LearntWord]) -> Result<(), String> {
        let lexicon = Arc::new(intent::Lexicon::with_learnt(learnt)?);
        *self.lexicon.write().unwrap_or_else(|p| p.into_inner()) = lexicon;
        // After the swap: a key made with the new epoch was made after the new lexicon was in
        // place (`search` reads the epoch first), so it never holds an older lexicon's answer.
        self.lexicon_epoch.fetch_add(1, Ordering::SeqCst);
        self.results.clear();
        Ok(())
    }

    /// Runs `f`, a call that reads the replica (SQLite), on the blocking pool, at most two calls
    /// per core at once; the others wait for a slot without holding an async worker. A server's
    /// async workers stay free for the requests that need none, and a request whose timeout
    /// passes while it waits never starts its work. Searches and similar products, which read
    /// only the in-memory generation in well under a millisecond, run on the caller's task:
    /// the hop to the blocking pool cost them a quarter of their throughput under load.
    pub async fn off_worker<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&Engine) -> T + Send + 'static,
    ) -> Result<T, SearchError> {
        let slot = self
            .cpu_slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| SearchError::TaskFailed(e.to_string()))?;
        let engine = self.clone();
        tokio::task::spawn_blocking(move || {
            let _slot = slot;
            f(&engine)
        })
        .await
        .map_err(|e| SearchError::TaskFailed(e.to_string()))
    }

    /// Sets the default weight of the semantic source in `full` mode (clamped to 0..=1).
    pub fn with_semantic_ratio(mut self, ratio: f32) -> Engine {
        self.semantic_ratio = ratio.clamp(0.0, 1.0);
        self
    }

    /// Sets how many query vectors the LRU cache keeps (0: none, every query is embedded).
    pub fn with_query_cache(mut self, capacity: usize) -> Engine {
        self.query_vectors = hybrid::QueryVectors::new(capacity);
        self
    }

    /// Sets how many instant-mode answers the result cache keeps (0: none).
    pub fn with_result_cache(mut self, capacity: usize) -> Engine {
        self.results = SharedLru::new(capacity);
        self
    }

    /// The generation searches run on now.
    pub fn generation(&self) -> Arc<Live> {
        self.live.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The replica.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Swaps in the generation `current` points at, if it changed. Returns whether it did. A
    /// generation that cannot be opened (damaged files) is an error, the current one keeps
    /// serving, and it is reported by [`Engine::health`] and not tried again until `current`
    /// moves.
    pub fn reload(&self) -> Result<bool, SearchError> {
        let dir = index::live_generation_dir(&self.index_dir)?;
        let refused_already = self
            .refused
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .is_some_and(|r| r.dir == dir);
        if dir == self.generation().text().dir() || refused_already {
            return Ok(false);
        }
        let started = Instant::now();
        let generation = match Live::open(&dir, self.embedder.as_deref()) {
            Ok(generation) => Arc::new(generation),
            Err(e) => {
                *self.refused.write().unwrap_or_else(|p| p.into_inner()) =
                    Some(RefusedGeneration {
                        dir,
                        reason: e.to_string(),
                    });
                return Err(e);
            }
        };
        *self.refused.write().unwrap_or_else(|p| p.into_inner()) = None;
        tracing::info!(
            generation = generation.manifest().generation,
            took_ms = started.elapsed().as_millis() as u64,
            "reloaded index generation"
        );
        *self.live.write().unwrap_or_else(|p| p.into_inner()) = generation;
        // The old generation's answers can never be read again (keys name the generation).
        self.results.clear();
        // The new generation's reference names, before a query needs them.
        self.prepare_references();
        Ok(true)
    }

    /// Runs a search. Instant-mode answers come from the result cache when the same request
    /// ran on the same generation and lexicon: they depend on nothing else.
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResponse, SearchError> {
        if request.mode != Mode::Instant || self.results.is_off() {
            return self.search_with(request, None);
        }
        let started = Instant::now();
        // The epoch and the generation are read before the search reads its lexicon and
        // generation: an answer is never older than its key. The request's derived `Debug`
        // names every field, so two requests that differ anywhere have different keys.
        let key = format!(
            "{}/{}/{request:?}",
            self.generation().manifest().generation,
            self.lexicon_epoch.load(Ordering::SeqCst),
        );
        if let Some(mut response) = self.results.get(&key) {
            // Timings are this request's: nothing was parsed, the answer was looked up.
            response.processing_time_ms = started.elapsed().as_millis() as u64;
            if let Some(parsed) = &mut response.parsed_query {
                parsed.parse_time_ms = 0.0;
            }
            return Ok(response);
        }
        let response = self.search_with(request, None)?;
        if response.degraded.is_empty() {
            self.results.put(key, response.clone());
        }
        Ok(response)
    }

    /// Runs a search with an intent parsed elsewhere (the local parse merged with Claude's);
    /// `None`: the local parser's.
    pub(crate) fn search_with(
        &self,
        request: &SearchRequest,
        intent: Option<&ai::MergedIntent>,
    ) -> Result<SearchResponse, SearchError> {
        let started = Instant::now();
        let (offset, limit, facets) = validate(request)?;
        let live = self.generation();
        let generation = live.text();
        let lexicon = self.lexicon();
        let mut understanding = understanding(&lexicon, generation, request, intent);
        // The request as the engine runs it: the parsed filters added to the request's own.
        let request = &match &understanding {
            Some(u) => SearchRequest {
                filters: u.filters.clone(),
                ..request.clone()
            },
            None => request.clone(),
        };
        let words = index::plan_words(understanding.as_ref().map_or(&request.q, |u| &u.text));
        let boosts = understanding
            .as_ref()
            .map(|u| u.boosts.clone())
            .unwrap_or_default();
        let hybrid =
            request.mode == Mode::Full && request.sort == Sort::Relevance && !words.is_empty();
        // Fusion needs candidates from the top, beyond the page.
        let (lexical_offset, lexical_limit) = if hybrid {
            (0, (offset + limit).max(hybrid::FUSION_DEPTH))
        } else {
            (offset, limit)
        };
        let filter = live.resolve(&request.filters);
        let lexical_request = LexicalRequest {
            words: &words,
            boosts: &boosts,
            filter: &filter,
            sort: request.sort,
            offset: lexical_offset,
            limit: lexical_limit,
            facets: !facets.is_empty(),
        };
        let mut attempt = Attempt {
            words: words.clone(),
            filter: filter.clone(),
            lexical: generation.search(&lexical_request)?,
        };
        for fallback in FALLBACKS {
            fallback.apply(
                &mut attempt,
                understanding.as_mut(),
                &live,
                &lexical_request,
                offset + limit,
            )?;
        }
        let Attempt {
            words,
            filter,
            lexical,
        } = attempt;
        // Whether the query found what it asked for: a named product type or category, or
        // every word matched (honest empty answers, `empty.rs`).
        let named = understanding
            .as_ref()
            .is_some_and(|u| u.parsed.filters.category.is_some());
        let matched = named || (lexical.total > 0 && lexical.dropped.is_empty());
        let not_sold = understanding.as_ref().and_then(|u| u.not_sold.clone());
        let kept: Vec<PlannedWord> = words
            .iter()
            .filter(|w| !lexical.dropped.contains(w))
            .cloned()
            .collect();
        // Highlights also mark the words that carried a constraint ("canapé", "velours").
        let mut marks = kept.clone();
        if let Some(u) = &understanding {
            marks.extend(u.marks.iter().cloned());
        }
        let query_words = QueryWords {
            kept: &kept,
            marks: &marks,
        };
        let lexical_hits = lexical_hits(generation, lexical.hits, query_words, request)?;
        let mut degraded = Vec::new();
        let mut empty_because = None;
        let (hits, estimated_total_hits, semantic_hit_count) = if let Some(n) = &not_sold {
            empty_because = Some((EmptyReason::NotSold, n.words.clone(), n.closest.clone()));
            (Vec::new(), 0, 0)
        } else if hybrid {
            let answer = self.hybrid(
                &live,
                request,
                &filter,
                query_words,
                lexical_hits,
                lexical.total,
                matched,
                offset,
                limit,
                &mut degraded,
            )?;
            if let Some(closest) = answer.no_match {
                empty_because = Some((EmptyReason::NoMatch, request.q.clone(), closest));
            }
            (answer.hits, answer.total, answer.semantic_hit_count)
        } else {
            let mut hits = lexical_hits;
            // A query that names a product: that product, then its type (`exact.rs`), within
            // the first page of a relevance order (instant mode reads no vectors).
            if offset == 0 && request.sort == Sort::Relevance {
                hits = exact::reorder_hits(&lexicon, &request.q, hits);
            }
            let hits = highlight_page(hits, &marks, request);
            (hits, lexical.total, 0)
        };
        let (facet_distribution, facet_stats) = if empty_because.is_some() {
            facet_answer(&facets, BTreeMap::new(), None)
        } else {
            facet_answer(&facets, lexical.facets, lexical.price_range)
        };
        // An empty first page gets its way out: the closest categories and popular products.
        let alternatives = match empty_because {
            _ if offset > 0 => None,
            Some((reason, wanted, closest)) => {
                Some(self.alternatives(&live, request, reason, &wanted, &closest)?)
            }
            None if hits.is_empty() => {
                Some(self.alternatives(&live, request, EmptyReason::NoResults, &request.q, &[])?)
            }
            None => None,
        };
        let response = SearchResponse {
            hits,
            query: request.q.clone(),
            dropped_words: lexical.dropped.into_iter().map(|w| w.raw).collect(),
            estimated_total_hits,
            offset,
            limit,
            facet_distribution,
            facet_stats,
            semantic_hit_count,
            reranked: false,
            parsed_query: understanding.map(|u| u.parsed),
            alternatives,
            proposed: None,
            degraded,
            processing_time_ms: started.elapsed().as_millis() as u64,
        };
        tracing::debug!(q = %request.q, hits = response.estimated_total_hits, took_us = started.elapsed().as_micros() as u64, "search");
        Ok(response)
    }

    /// The live generation's categories, read from the replica on first use.
    fn category_cache(&self, live: &Live) -> Result<(), SearchError> {
        if live.categories.get().is_none() {
            let tree = self.catalog.category_tree()?;
            let counted = count_products(&tree, &self.catalog.product_counts()?);
            // Two first calls at once both read; the second one's copy is dropped.
            let _ = live.categories.set(Categories { tree, counted });
        }
        Ok(())
    }

    /// A product by id or slug, with its category path.
    pub fn product(&self, id_or_slug: &str) -> Result<ProductDetail, SearchError> {
        let product = self
            .catalog
            .product(id_or_slug)?
            .ok_or_else(|| SearchError::ProductNotFound(id_or_slug.to_owned()))?;
        let live = self.generation();
        self.category_cache(&live)?;
        let tree = &live.categories.get().expect("filled above").tree;
        let category_path = tree
            .path(&product.category_id)
            .into_iter()
            .map(|c| HitCategory {
                id: c.id.clone(),
                slug: c.slug.clone(),
                name: c.name.clone(),
            })
            .collect();
        Ok(ProductDetail {
            in_stock: product.in_stock(),
            product,
            category_path,
        })
    }

    /// The category tree with product counts (subcategories included).
    pub fn categories(&self) -> Result<Vec<CategoryNode>, SearchError> {
        let live = self.generation();
        self.category_cache(&live)?;
        Ok(live.categories.get().expect("filled above").counted.clone())
    }

    /// The engine's state.
    pub fn health(&self) -> Result<Health, SearchError> {
        let live = self.generation();
        Ok(Health {
            index: live.manifest().clone(),
            catalog_products: self.catalog.product_count()?,
            semantic: match live.vectors() {
                Ok(v) => SemanticHealth {
                    available: true,
                    vectors: v.products(),
                    reason: None,
                },
                Err(reason) => SemanticHealth {
                    available: false,
                    vectors: 0,
                    reason: Some(reason.to_owned()),
                },
            },
            signals: match live.signals() {
                Ok(s) => SignalsHealth {
                    available: true,
                    orders: s.orders(),
                    trending: s.trending().len(),
                    reason: None,
                },
                Err(reason) => SignalsHealth {
                    available: false,
                    orders: 0,
                    trending: 0,
                    reason: Some(reason.to_owned()),
                },
            },
            refused_generation: self
                .refused
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
            index_building: self.is_building(),
        })
    }

    /// Whether the live generation holds nothing from the store yet: built from a replica no
    /// import or sync ever wrote to (a server started on an empty replica, whose first sync
    /// is running).
    pub fn is_building(&self) -> bool {
        let live = self.generation();
        let manifest = live.manifest();
        manifest.catalog.import_seq == 0 && manifest.products == 0
    }

    /// The embedding model, when the engine has one.
    pub fn embedder(&self) -> Option<&dyn Embedder> {
        self.embedder.as_deref()
    }
}

/// The words a hit is scored and highlighted with.
#[derive(Debug, Clone, Copy)]
pub(crate) struct QueryWords<'a> {
    /// The searched words that matched (the text score).
    kept: &'a [PlannedWord],
    /// The words to highlight: the kept ones and those that carried a parsed constraint.
    marks: &'a [PlannedWord],
}

/// A lexical hit scored from its stored texts, not highlighted yet: full mode scores
/// [`hybrid::FUSION_DEPTH`] candidates for a page of 20, and only the page is highlighted
/// ([`Scored::highlighted`]), with the words its score analysed.
pub(crate) struct Scored {
    /// The hit, with its text score and explanation.
    pub(crate) hit: SearchHit,
    /// Its stored texts, as far as the score analysed them.
    analysed: highlight::Analysed,
    /// Whether its description holds one of the marks (read from the index).
    description_marked: bool,
}

/// Words a cropped description shows.
const DESCRIPTION_CROP: usize = 24;

/// A page of hits, with the highlights of `marks` when the request asks for them. A
/// description that holds no mark ([`Scored::description_marked`]) is cropped without
/// analysing a word of it, instead of being searched to its end for a match.
pub(crate) fn highlight_page(
    hits: Vec<Scored>,
    marks: &[PlannedWord],
    request: &SearchRequest,
) -> Vec<SearchHit> {
    hits.into_iter()
        .map(|scored| {
            let Scored {
                mut hit,
                analysed,
                description_marked,
            } = scored;
            if !request.highlight {
                return hit;
            }
            let description_marks = if description_marked { marks } else { &[] };
            hit.formatted = Some(Formatted {
                name: highlight::highlight(&analysed, TextField::Name as usize, marks, None),
                description: highlight::highlight(
                    &analysed,
                    TextField::Description as usize,
                    description_marks,
                    Some(DESCRIPTION_CROP),
                ),
            });
            hit
        })
        .collect()
}

impl Scored {
    /// The words of the hit's name, as its score analysed them.
    pub(crate) fn name_words(&self) -> &[crate::text::Word] {
        self.analysed.words(TextField::Name as usize)
    }

    /// A hit of that name and nothing else: what the exact-name order reads.
    #[cfg(test)]
    pub(crate) fn named(name: &str) -> Scored {
        let hit = SearchHit {
            id: String::new(),
            slug: String::new(),
            name: name.to_owned(),
            price: 0.0,
            compare_price: None,
            category: HitCategory {
                id: String::new(),
                slug: String::new(),
                name: String::new(),
            },
            image: None,
            in_stock: true,
            rating: None,
            formatted: None,
            ranking_score: 0.0,
            ranking_score_details: None,
        };
        Scored {
            hit,
            analysed: highlight::Analysed::new(vec![name.to_owned()]),
            description_marked: false,
        }
    }
}

/// Lexical hits, each with its text score and explanation. The tier of each word in each
/// hit's description is read from the index for them all at once ([`Generation::tiers_in`]):
/// the description, the longest text, is never analysed for the score, and its highlight knows
/// beforehand whether it marks anything.
fn lexical_hits(
    generation: &Generation,
    hits: Vec<(Option<f32>, IndexHit)>,
    words: QueryWords,
    request: &SearchRequest,
) -> Result<Vec<Scored>, SearchError> {
    debug_assert!(
        words.marks.starts_with(words.kept),
        "marks add to the kept words"
    );
    let addresses: Vec<DocAddress> = hits.iter().map(|(_, h)| h.address).collect();
    let tiers = generation.tiers_in(&addresses, TextField::Description, words.marks)?;
    let categories = &generation.dictionaries().categories;
    Ok(hits
        .into_iter()
        .zip(tiers)
        .map(|((sort_score, hit), description)| {
            lexical_hit(
                hit,
                sort_score,
                words.kept,
                &description,
                request,
                categories,
            )
        })
        .collect())
}

/// A lexical hit: its text score and explanation. `description`: the tier of each mark in its
/// description, the kept words first.
fn lexical_hit(
    hit: IndexHit,
    sort_score: Option<f32>,
    kept: &[PlannedWord],
    description: &[Option<Tier>],
    request: &SearchRequest,
    categories: &[FacetCategory],
) -> Scored {
    let IndexHit {
        hit,
        texts,
        address: _,
    } = hit;
    let analysed = highlight::Analysed::new(texts);
    let words = highlight::explain(kept, &analysed, &description[..kept.len()]);
    let text_score: f32 = words.iter().map(|w| w.score).sum();
    let ranking_score = if kept.is_empty() {
        1.0
    } else {
        text_score / (highlight::max_word_score() * kept.len() as f32)
    };
    let details = request.explain.then_some(RankingDetails {
        words,
        text_score,
        sort_score,
        lexical_score: None,
        semantic_score: None,
        fused_score: None,
    });
    Scored {
        hit: search_hit(hit, categories, ranking_score, details),
        analysed,
        description_marked: description.iter().any(Option::is_some),
    }
}

/// A hit from a product's stored summary, without highlights (a lexical hit gets them from
/// [`Scored::highlighted`] once it is on the page).
pub(crate) fn search_hit(
    hit: StoredHit,
    categories: &[FacetCategory],
    ranking_score: f32,
    ranking_score_details: Option<RankingDetails>,
) -> SearchHit {
    let category = categories.get(hit.category);
    SearchHit {
        formatted: None,
        ranking_score_details,
        ranking_score,
        category: HitCategory {
            id: category.map(|c| c.id.clone()).unwrap_or_default(),
            slug: category.map(|c| c.slug.clone()).unwrap_or_default(),
            name: category.map(|c| c.name.clone()).unwrap_or_default(),
        },
        in_stock: hit.stock > 0,
        id: hit.id,
        slug: hit.slug,
        name: hit.name,
        price: hit.price,
        compare_price: hit.compare_price,
        image: hit.image,
        rating: hit.rating,
    }
}

/// Builds a new generation (text index, order signals, then vectors when an embedder is given)
/// and makes it live. Without an embedder the generation has no vectors and says so in its
/// manifest. The index folder's write lock is held throughout: a second reindex fails at once
/// with [`IndexError::Locked`].
pub fn reindex(
    catalog: &Catalog,
    index_dir: &Path,
    embedder: Option<&dyn Embedder>,
    options: &ReindexOptions,
) -> Result<Manifest, SearchError> {
    let lock = index::lock_for_writing(index_dir)?;
    rebuild(catalog, index_dir, embedder, options, &lock)
}

/// [`reindex`] for a caller that holds the index folder's write lock already (the sync, which
/// holds it from reading the store to publishing).
pub fn rebuild(
    catalog: &Catalog,
    index_dir: &Path,
    embedder: Option<&dyn Embedder>,
    options: &ReindexOptions,
    _lock: &index::WriteLock,
) -> Result<Manifest, SearchError> {
    let staged = index::stage(catalog, index_dir, options)?;
    Signals::build(catalog)?.write(&staged.dir())?;
    let vectors = match embedder {
        Some(embedder) => Some(vectors::build(&staged, catalog, embedder, options.cancel)?),
        None => None,
    };
    Ok(staged.publish(vectors)?)
}

/// A change touching more products than this (or a tenth of the catalog, when more) builds
/// the next generation whole: past it, re-adding documents one by one costs more than a build.
const DELTA_MAX_PRODUCTS: usize = 5_000;

/// Publishes what an import or a sync changed since the live generation was built: a
/// generation built from the live one when the change allows it ([`index::stage_delta`]: the
/// touched products' documents; the signals only when orders or the products' set changed;
/// [`vectors::update`]: the touched rows' facts, new rows for new or changed passages, retired
/// rows for the others), else the whole [`rebuild`]. The caller holds the
/// write lock, and `touched` must hold every change since the live generation.
pub fn publish_changes(
    catalog: &Catalog,
    index_dir: &Path,
    embedder: Option<&dyn Embedder>,
    options: &ReindexOptions,
    lock: &index::WriteLock,
    touched: &crate::catalog::Touched,
) -> Result<Manifest, SearchError> {
    let live_manifest = index::live_manifest(index_dir)?;
    let limit = DELTA_MAX_PRODUCTS.max(live_manifest.products as usize / 10);
    if touched.categories || touched.products.len() > limit {
        return rebuild(catalog, index_dir, embedder, options, lock);
    }
    let live = index::live_generation_dir(index_dir)?;
    let Some(staged) = index::stage_delta(catalog, index_dir, &live, &touched.products, options)?
    else {
        return rebuild(catalog, index_dir, embedder, options, lock);
    };
    let signals = live.join(crate::signals::SIGNALS_FILE);
    if touched.orders || touched.shape || !signals.is_file() {
        Signals::build(catalog)?.write(&staged.dir())?;
    } else {
        let target = staged.dir().join(crate::signals::SIGNALS_FILE);
        if std::fs::hard_link(&signals, &target).is_err() {
            std::fs::copy(&signals, &target).map_err(|e| IndexError::Io {
                path: target,
                source: e,
            })?;
        }
    }
    let vectors = match embedder {
        None => None,
        Some(embedder) => {
            let reused = match &live_manifest.vectors {
                Some(previous) => vectors::update(
                    &staged,
                    catalog,
                    &live.join(vectors::VECTORS_DIR),
                    previous,
                    &touched.products,
                    embedder,
                )?,
                None => None,
            };
            match reused {
                Some(reused) => Some(reused),
                None => Some(vectors::build(&staged, catalog, embedder, options.cancel)?),
            }
        }
    };
    Ok(staged.publish(vectors)?)
}

/// Checks a page size (0..=[`MAX_LIMIT`]).
pub(crate) fn page_limit(limit: i64) -> Result<usize, SearchError> {
    if limit < 0 {
        return Err(SearchError::NegativeLimit(limit));
    }
    if limit > MAX_LIMIT as i64 {
        return Err(SearchError::LimitTooLarge(limit));
    }
    Ok(limit as usize)
}

/// Checks the price bounds of filters (finite, >= 0, min <= max).
fn check_prices(f: &Filters) -> Result<(), SearchError> {
    for (name, price) in [("minPrice", f.min_price), ("maxPrice", f.max_price)] {
        if let Some(p) = price
            && !(p.is_finite() && p >= 0.0)
        {
            return Err(SearchError::InvalidPriceRange(format!(
                "{name} must be a number >= 0, got {p}"
            )));
        }
    }
    if let (Some(min), Some(max)) = (f.min_price, f.max_price)
        && min > max
    {
        return Err(SearchError::InvalidPriceRange(format!(
            "minPrice {min} is above maxPrice {max}"
        )));
    }
    Ok(())
}

/// Checks the filters of similar products and recommendations: category, prices and stock.
pub(crate) fn check_similar_filters(f: &Filters) -> Result<(), SearchError> {
    if !f.attributes.is_empty() || f.featured.is_some() {
        return Err(SearchError::UnsupportedFilter(
            "similar products and recommendations filter on category, minPrice, maxPrice and inStock only"
                .to_owned(),
        ));
    }
    check_prices(f)
}

/// Checks a request; returns the offset, the limit and the facets to count.
fn validate(request: &SearchRequest) -> Result<(usize, usize, Vec<String>), SearchError> {
    let chars = request.q.chars().count();
    if chars > MAX_QUERY_CHARS {
        return Err(SearchError::QueryTooLong(chars));
    }
    if let Some(c) = request.q.chars().find(|c| c.is_control()) {
        return Err(SearchError::ControlCharacter(c as u32));
    }
    let limit = page_limit(request.limit)?;
    if request.offset < 0 {
        return Err(SearchError::NegativeOffset(request.offset));
    }
    if request.offset as u64 + limit as u64 > MAX_RESULT_WINDOW as u64 {
        return Err(SearchError::OffsetTooLarge(request.offset));
    }
    let f = &request.filters;
    check_prices(f)?;
    for facet in &request.facets {
        if facet != "*" && facet != "price" && Facet::from_key(facet).is_none() {
            return Err(SearchError::UnknownFacet(facet.clone()));
        }
    }
    if let Some(ratio) = request.semantic_ratio
        && !(0.0..=1.0).contains(&ratio)
    {
        return Err(SearchError::InvalidSemanticRatio(ratio));
    }
    for key in f.attributes.keys() {
        if Facet::attribute(key).is_none() {
            return Err(SearchError::UnknownFacet(key.clone()));
        }
    }
    Ok((request.offset as usize, limit, request.facets.clone()))
}

/// The category tree with product counts, subcategories included (`direct`: each category's
/// own products).
fn count_products(
    tree: &crate::catalog::CategoryTree,
    direct: &std::collections::HashMap<String, u64>,
) -> Vec<CategoryNode> {
    fn node(
        tree: &crate::catalog::CategoryTree,
        direct: &std::collections::HashMap<String, u64>,
        c: &crate::catalog::Category,
        depth: usize,
    ) -> CategoryNode {
        // The import rejects cycles; the depth bound keeps a damaged replica from recursing.
        let children: Vec<CategoryNode> = if depth > tree.all().len() {
            Vec::new()
        } else {
            tree.children(Some(&c.id))
                .into_iter()
                .map(|child| node(tree, direct, child, depth + 1))
                .collect()
        };
        CategoryNode {
            id: c.id.clone(),
            slug: c.slug.clone(),
            name: c.name.clone(),
            product_count: direct.get(&c.id).copied().unwrap_or(0)
                + children.iter().map(|c| c.product_count).sum::<u64>(),
            children,
        }
    }
    tree.children(None)
        .into_iter()
        .map(|c| node(tree, direct, c, 0))
        .collect()
}

/// What the query asks beyond its words (`None` with intent parsing off or an empty query):
/// the local parse, or an intent parsed elsewhere (merged with Claude's).
fn understanding(
    lexicon: &intent::Lexicon,
    generation: &Generation,
    request: &SearchRequest,
    intent: Option<&ai::MergedIntent>,
) -> Option<understand::Understanding> {
    (request.intent && !request.q.trim().is_empty()).then(|| match intent {
        None => understand::understand(lexicon, generation, &request.q, &request.filters),
        Some(merged) => {
            let mut u = understand::plan(generation, &merged.intent, &request.filters);
            u.parsed.source = merged.source;
            u.parsed.parse_time_ms = merged.parse_time_ms;
            u.parsed.error = merged.error.clone();
            u
        }
    })
}

/// Counts per value of the facets asked (`*`: all), and the price range when asked.
type FacetAnswer = (
    Option<BTreeMap<String, BTreeMap<String, u64>>>,
    Option<BTreeMap<String, Stats>>,
);

fn facet_answer(
    asked: &[String],
    counted: BTreeMap<Facet, BTreeMap<String, u64>>,
    price_range: Option<(f64, f64)>,
) -> FacetAnswer {
    let all = asked.iter().any(|f| f == "*");
    let wanted = |f: &str| all || asked.iter().any(|w| w == f);
    let distribution = (!asked.is_empty()).then(|| {
        counted
            .into_iter()
            .filter(|(f, _)| wanted(f.key()))
            .map(|(f, counts)| (f.key().to_owned(), counts))
            .collect::<BTreeMap<_, _>>()
    });
    let stats = wanted("price").then(|| {
        price_range
            .map(|(min, max)| BTreeMap::from([("price".to_owned(), Stats { min, max })]))
            .unwrap_or_default()
    });
    (distribution, stats)
}

/// One lexical search as the engine runs it: the words, the filter, what they found.
struct Attempt {
    words: Vec<PlannedWord>,
    filter: ProductFilter,
    lexical: index::LexicalResult,
}

/// What to try when an attempt falls short, in this order, each on the current attempt.
#[derive(Debug, Clone, Copy)]
enum Fallback {
    /// Parsed attribute filters are a guess: when they leave less than the page, they become
    /// boosts, so the exact matches come first and near ones (another colour, another style)
    /// fill the page below them instead of an empty or thin answer.
    RelaxAttributes,
    /// Nothing at all, or words dropped from a short query: a word may be misspelt beyond its
    /// budget ("fuieuil" is 2 edits from "fauteuil" in 7 letters; "apliqe" from "applique").
    /// A corrected word is better than a dropped one: one more edit for words of 5 letters or
    /// more, kept when it drops fewer words. Longer queries keep their drops: among many
    /// words, a dropped one is more likely noise than a typo.
    LoosenTypos,
    /// Words the parser left free ("canapé confortable") may match nothing in what the query
    /// named: the named constraints alone answer, and the words are reported dropped.
    DropFreeWords,
}

const FALLBACKS: [Fallback; 3] = [
    Fallback::RelaxAttributes,
    Fallback::LoosenTypos,
    Fallback::DropFreeWords,
];

impl Fallback {
    /// Tries the step on `attempt`, replacing it when the step's answer is better. `depth`:
    /// the hits the page needs (offset + limit).
    fn apply(
        self,
        attempt: &mut Attempt,
        understanding: Option<&mut understand::Understanding>,
        live: &Live,
        base: &LexicalRequest<'_>,
        depth: usize,
    ) -> Result<(), SearchError> {
        let generation = live.text();
        let lexical = &attempt.lexical;
        match self {
            Fallback::RelaxAttributes => {
                if lexical.total < depth
                    && let Some(relaxed) = understanding.and_then(|u| u.relax())
                {
                    let relaxed = live.resolve(&relaxed);
                    attempt.lexical = generation.search(&LexicalRequest {
                        words: &attempt.words,
                        filter: &relaxed,
                        ..base.clone()
                    })?;
                    attempt.filter = relaxed;
                }
            }
            Fallback::LoosenTypos => {
                let short = !lexical.dropped.is_empty() && attempt.words.len() <= 3;
                if lexical.total != 0 && !short {
                    return Ok(());
                }
                let loose = index::loosen_typos(&attempt.words);
                if loose == attempt.words {
                    return Ok(());
                }
                let found = generation.search(&LexicalRequest {
                    words: &loose,
                    filter: &attempt.filter,
                    ..base.clone()
                })?;
                if found.total > 0
                    && (lexical.total == 0 || found.dropped.len() < lexical.dropped.len())
                {
                    attempt.lexical = found;
                    attempt.words = loose;
                }
            }
            Fallback::DropFreeWords => {
                let named = understanding.is_some_and(|u| u.named_constraints());
                if lexical.total != 0 || attempt.words.is_empty() || !named {
                    return Ok(());
                }
                let mut without_words = generation.search(&LexicalRequest {
                    words: &[],
                    filter: &attempt.filter,
                    ..base.clone()
                })?;
                if without_words.total > 0 {
                    without_words.dropped = attempt.words.clone();
                    attempt.lexical = without_words;
                }
            }
        }
        Ok(())
    }
}

/// Engine calls off the async workers at once: two per core keep every core busy while one
/// call waits on the page cache, without piling up work no core can run.
fn cpu_slots() -> usize {
    2 * std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// When the generation `current` points at cannot be opened: the newest older complete
/// generation that opens (reindex keeps the previous one), with the refusal to report in
/// `/health`; or the error when there is none.
fn serve_older(
    index_dir: &Path,
    refused: &Path,
    error: SearchError,
    embedder: Option<&dyn Embedder>,
) -> Result<(Live, Option<RefusedGeneration>), SearchError> {
    tracing::error!(dir = %refused.display(), %error, "live generation refused");
    let older = index::complete_generation_dirs(index_dir)
        .into_iter()
        .filter(|d| d != refused)
        .find_map(|d| Live::open(&d, embedder).ok());
    let Some(live) = older else {
        return Err(error);
    };
    tracing::warn!(
        generation = live.manifest().generation,
        "serving an older generation"
    );
    let reason = error.to_string();
    Ok((
        live,
        Some(RefusedGeneration {
            dir: refused.to_owned(),
            reason,
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn description_tiers_and_highlights_are_those_of_a_full_analysis() {
        let dir = tempfile::tempdir().unwrap();
        let catalog = Catalog::open(&dir.path().join("catalog.db")).unwrap();
        let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/demo");
        catalog.import(&demo, Default::default()).unwrap();
        let index_dir = dir.path().join("index");
        reindex(&catalog, &index_dir, None, &Default::default()).unwrap();
        let engine = Engine::open_with(catalog, &index_dir, None).unwrap();
        let live = engine.generation();
        let generation = live.text();
        let every = generation
            .search(&LexicalRequest {
                words: &[],
                boosts: &[],
                filter: &ProductFilter::default(),
                sort: Sort::Relevance,
                offset: 0,
                limit: 100_000,
                facets: false,
            })
            .unwrap();
        let request = SearchRequest {
            highlight: true,
            ..Default::default()
        };
        let mut marked = 0;
        // Words as written, plurals, elisions, accents, a stop word alone, and a word of a
        // name that descriptions seldom hold.
        for query in [
            "lampe",
            "lampes laiton",
            "l'applique",
            "chene massif",
            "velours côtelé",
            "yeux",
            "la",
            "oslo",
        ] {
            let marks = index::plan_words(query);
            let words = QueryWords {
                kept: &marks,
                marks: &marks,
            };
            // The tiers read from the postings are those an analysis of the text finds.
            let addresses: Vec<DocAddress> = every.hits.iter().map(|(_, h)| h.address).collect();
            let tiers = generation
                .tiers_in(&addresses, TextField::Description, &marks)
                .unwrap();
            for ((_, stored), tiers) in every.hits.iter().zip(&tiers) {
                let analysed = crate::text::words(&stored.texts[TextField::Description as usize]);
                let expected: Vec<Option<Tier>> = marks
                    .iter()
                    .map(|w| {
                        analysed
                            .iter()
                            .filter(|t| !t.stop)
                            .filter_map(|t| index::match_tier(w, &t.exact, &t.stem, false))
                            .min()
                    })
                    .collect();
                assert_eq!(tiers, &expected, "{query}: {}", stored.hit.id);
            }
            let page = lexical_hits(generation, every.hits.clone(), words, &request).unwrap();
            let got = highlight_page(page, &marks, &request);
            for (hit, (_, stored)) in got.iter().zip(&every.hits) {
                let analysed = highlight::Analysed::new(stored.texts.clone());
                analysed.words(TextField::Description as usize);
                let expected = highlight::highlight(
                    &analysed,
                    TextField::Description as usize,
                    &marks,
                    Some(DESCRIPTION_CROP),
                );
                let description = &hit.formatted.as_ref().unwrap().description;
                assert_eq!(description, &expected, "{query}: {}", hit.id);
                marked += usize::from(expected.contains("<mark>"));
            }
        }
        assert!(marked > 100, "the queries mark descriptions: {marked}");
    }
}
