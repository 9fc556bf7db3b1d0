//! The tantivy index of one generation: schema, build (reindex), and lexical search with
//! length-aware typo tolerance, prefixes, filters, facets and sorting.
//!
//! On disk: `index/current -> gen-<n>/ { text/, dictionaries.json, manifest.json }`. A
//! generation is complete when its `manifest.json` exists (written last); `current` is switched
//! atomically (symlink rename) only then, and the previous generation is kept for rollback.
//!
//! Input of a search: planned words ([`plan_words`]), a resolved [`ProductFilter`], a
//! [`Sort`], a page.
//! Output: [`LexicalResult`] with stored hits, the exact total, facet counts and the words
//! dropped to get results.

mod build;
mod card;
mod collect;
mod query;
mod schema;

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tantivy::collector::{Count, TopDocs};
use tantivy::postings::SegmentPostings;
use tantivy::query::{BooleanQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{
    DocAddress, DocSet, Index, IndexReader, Order, ReloadPolicy, Searcher, TantivyDocument, Term,
};

pub use build::{ReindexOptions, Staged, stage, stage_delta};
pub use query::{
    PlannedWord, Tier, loosen_typos, match_tier, matches_every_word, plan_words, typo_budget,
    within_edits,
};
pub(crate) use schema::{TEXT_SOURCES, TextField};

use crate::filter::{Facet, ProductFilter, Sort};

use collect::{AggregateCollector, Aggregates};

/// Top docs with their text score, the exact count, and the aggregates when asked.
type Collected = (Vec<(Option<f32>, DocAddress)>, usize, Option<Aggregates>);
use schema::Fields;

/// Version of the on-disk generation layout; a generation of another version is refused.
pub const FORMAT_VERSION: u32 = 5;

/// Errors of the index.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// tantivy failed.
    #[error("index error: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    /// The catalog could not be read during a reindex.
    #[error(transparent)]
    Catalog(#[from] crate::catalog::CatalogError),
    /// A file of a generation could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A manifest or dictionary file is not what this binary wrote.
    #[error("{path}: {message}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// No complete generation has been built yet.
    #[error("no index generation in {0}: run `vivr-search reindex` first")]
    NoGeneration(PathBuf),
    /// The reindex was cancelled; the live generation is untouched.
    #[error("reindex cancelled; the live generation is untouched")]
    Cancelled,
    /// Another process writes generations in this folder now.
    #[error(
        "another reindex or sync is writing {path} ({holder}); wait for it to finish, then run this again"
    )]
    Locked {
        /// The lock file.
        path: PathBuf,
        /// Who holds it, as it wrote itself in the file.
        holder: String,
    },
}

/// The lock file of an index folder.
const LOCK_FILE: &str = "write.lock";

/// An exclusive hold on an index folder's generations, for the whole of a reindex (or a
/// sync): two writers would each delete the other's half-built generation. Released when
/// dropped, or by the kernel when the process dies.
#[derive(Debug)]
pub struct WriteLock {
    _file: std::fs::File,
}

/// Takes the index folder's write lock, or fails at once when another process holds it.
pub fn lock_for_writing(index_dir: &Path) -> Result<WriteLock, IndexError> {
    use std::io::{Read, Seek, Write};
    std::fs::create_dir_all(index_dir).map_err(io_error(index_dir))?;
    let path = index_dir.join(LOCK_FILE);
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io_error(&path))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = match holder.trim() {
                "" => "a running process".to_owned(),
                h => h.to_owned(),
            };
            return Err(IndexError::Locked { path, holder });
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(io_error(&path)(e)),
    }
    let me = format!("pid {}", std::process::id());
    file.set_len(0)
        .and_then(|()| file.rewind())
        .and_then(|()| file.write_all(me.as_bytes()))
        .map_err(io_error(&path))?;
    Ok(WriteLock { _file: file })
}

pub(crate) fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> IndexError + '_ {
    move |source| IndexError::Io {
        path: path.to_owned(),
        source,
    }
}

/// What a generation holds; written last, so its presence marks a complete generation.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// [`FORMAT_VERSION`] at build time.
    pub format_version: u32,
    /// Generation number.
    pub generation: u64,
    /// The catalog's watermark when the generation was built.
    pub catalog: crate::catalog::Watermark,
    /// Products indexed.
    pub products: u64,
    /// Categories in the tree.
    pub categories: u64,
    /// RFC 3339 time the build finished.
    pub built_at: String,
    /// Build duration.
    pub build_ms: u64,
    /// The generation's vectors, when it has some.
    #[serde(default)]
    pub vectors: Option<VectorManifest>,
    /// The generation this one was built from (only the changed products indexed again), when
    /// it was not built whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub built_from: Option<u64>,
}

/// What the vector part of a generation holds (written by the `vectors` module).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct VectorManifest {
    /// The embedding model's id; vectors are refused by an engine running another model.
    pub model_id: String,
    /// Vector dimension.
    pub dimension: usize,
    /// Number of vectors (one per product).
    pub count: usize,
    /// Texts embedded by this build (the others came from the cache).
    pub embedded: usize,
    /// Time spent embedding.
    pub embed_ms: u64,
}

/// A category as the generation knows it (facet ordinal = position).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FacetCategory {
    /// Category id.
    pub id: String,
    /// Slug.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Ordinal of the parent.
    pub parent: Option<usize>,
}

/// Ordinal dictionaries of the generation's facets.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Dictionaries {
    /// Categories; a product's `category_ord` values are its category and all its ancestors.
    pub categories: Vec<FacetCategory>,
    /// Values per attribute facet, lower-cased (value ordinal = position).
    pub attributes: BTreeMap<Facet, Vec<String>>,
}

impl Dictionaries {
    /// The values of a facet (category slugs for the category), by ordinal.
    pub fn values(&self, facet: Facet) -> Vec<&str> {
        if facet == Facet::Category {
            self.categories.iter().map(|c| c.slug.as_str()).collect()
        } else {
            self.attributes
                .get(&facet)
                .map(|v| v.iter().map(String::as_str).collect())
                .unwrap_or_default()
        }
    }

    /// A category's ordinal and its ancestors' (the category ordinals a product of it carries).
    pub fn lineage(&self, ord: usize) -> Vec<u32> {
        let mut lineage = Vec::new();
        let mut next = Some(ord);
        // The import rejects cycles; the bound keeps damaged dictionaries from looping.
        while let Some(o) = next.filter(|&o| o < self.categories.len()) {
            if lineage.len() > self.categories.len() {
                break;
            }
            lineage.push(o as u32);
            next = self.categories[o].parent;
        }
        lineage
    }

    /// The value of an attribute facet's ordinal.
    pub fn attribute_value(&self, facet: Facet, ord: u32) -> Option<&str> {
        self.attributes
            .get(&facet)?
            .get(ord as usize)
            .map(String::as_str)
    }
}

/// The summary of a product stored in the index, enough to render a hit without SQLite.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct StoredHit {
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
    /// Category ordinal in the dictionaries.
    pub category: usize,
    /// First image.
    pub image: Option<String>,
    /// Units in stock.
    pub stock: i64,
    /// Average rating.
    pub rating: Option<f64>,
    /// Number of reviews.
    pub review_count: u32,
    /// Featured by the store.
    pub featured: bool,
}

/// One hit: the stored summary and the stored text of every [`TEXT_SOURCES`] field.
#[derive(Debug, Clone)]
pub struct IndexHit {
    /// Stored summary.
    pub hit: StoredHit,
    /// Stored texts, one entry per text source (multi-valued fields joined with " · ").
    pub texts: Vec<String>,
    /// Where the product is in this generation's index.
    pub address: DocAddress,
}

/// A soft preference of a query ("style moderne", "2 places"): a product that has it ranks
/// above one that matches the words equally well but lacks it. Never excludes a product.
#[derive(Debug, Clone, PartialEq)]
pub enum Boost {
    /// Any of these values of an attribute facet (`color`, `material`, `style`, `room`).
    Attribute {
        /// The facet.
        facet: Facet,
        /// Values, as the catalog writes them.
        values: Vec<String>,
    },
    /// A word anywhere in the product's texts.
    Word(PlannedWord),
    /// A folded word, exactly, in the product's name: a word the intent read as an attribute
    /// ("blanche") may be part of the name typed in full ("Table basse Blanche en chêne").
    NameWord(String),
    /// A size class within the product's category ([`SIZE_SMALL`] or [`SIZE_LARGE`]).
    SizeClass(u64),
}

/// Size class of the smallest third of a category (by the area of its two largest dimensions).
pub const SIZE_SMALL: u64 = 0;
/// Size class of the middle third.
pub const SIZE_MEDIUM: u64 = 1;
/// Size class of the largest third.
pub const SIZE_LARGE: u64 = 2;
/// Size class of a product without dimensions, or in a category of fewer than 3 measured ones.
pub const SIZE_UNKNOWN: u64 = 3;

/// Score of one boost a product has: below the 10 points between two match tiers (a better
/// text match always wins), above the popularity tie-break (`collect::POPULARITY_TIE_BREAK`).
pub const BOOST_SCORE: f32 = 4.0;

/// A query whose words together match fewer products than this also lists, after them, the
/// products that miss its rarest word (a name typed in full still finds its substitutes).
pub const THIN_RESULTS: usize = 10;

/// A lexical search.
#[derive(Debug, Clone)]
pub struct LexicalRequest<'a> {
    /// Planned query words (empty: every product).
    pub words: &'a [PlannedWord],
    /// Soft preferences (relevance sort only).
    pub boosts: &'a [Boost],
    /// Which products may match.
    pub filter: &'a ProductFilter,
    /// Order.
    pub sort: Sort,
    /// Hits to skip.
    pub offset: usize,
    /// Hits to return.
    pub limit: usize,
    /// Whether to count facets and the price range.
    pub facets: bool,
}

/// The outcome of a lexical search.
#[derive(Debug, Clone)]
pub struct LexicalResult {
    /// The page of hits, best first, with the text score (relevance sort only).
    pub hits: Vec<(Option<f32>, IndexHit)>,
    /// Exact number of matching products.
    pub total: usize,
    /// Words dropped, in the order they were dropped, to get results.
    pub dropped: Vec<PlannedWord>,
    /// `facet -> value -> count` for every [`Facet`] when asked.
    pub facets: BTreeMap<Facet, BTreeMap<String, u64>>,
    /// Price range of the matching products, when facets were asked.
    pub price_range: Option<(f64, f64)>,
}

/// One complete generation, open for search.
pub struct Generation {
    dir: PathBuf,
    manifest: Manifest,
    dictionaries: Dictionaries,
    category_by_slug: HashMap<String, usize>,
    attribute_ords: HashMap<(Facet, String), u32>,
    reader: IndexReader,
    fields: Fields,
    /// Sorted prices, loaded on first use (price bands of the intent parser).
    prices: std::sync::OnceLock<Prices>,
}

/// Sorted prices of a generation.
struct Prices {
    all: Vec<f32>,
    by_category: Vec<Vec<f32>>,
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, IndexError> {
    let text = std::fs::read_to_string(path).map_err(io_error(path))?;
    serde_json::from_str(&text).map_err(|e| IndexError::Corrupt {
        path: path.to_owned(),
        message: e.to_string(),
    })
}

/// The live generation directory of an index folder.
pub fn live_generation_dir(index_dir: &Path) -> Result<PathBuf, IndexError> {
    let current = index_dir.join(build::CURRENT);
    let target =
        std::fs::read_link(&current).map_err(|_| IndexError::NoGeneration(index_dir.to_owned()))?;
    let dir = index_dir.join(target);
    if !dir.join(build::MANIFEST).is_file() {
        return Err(IndexError::NoGeneration(index_dir.to_owned()));
    }
    Ok(dir)
}

/// The live generation's manifest, read without opening the generation.
pub fn live_manifest(index_dir: &Path) -> Result<Manifest, IndexError> {
    read_json(&live_generation_dir(index_dir)?.join(build::MANIFEST))
}

/// The complete generations of an index folder (those with a manifest), newest first.
pub fn complete_generation_dirs(index_dir: &Path) -> Vec<PathBuf> {
    build::generations(index_dir)
        .unwrap_or_default()
        .into_iter()
        .rev()
        .map(|(_, name)| index_dir.join(name))
        .filter(|dir| dir.join(build::MANIFEST).is_file())
        .collect()
}

impl Generation {
    /// Opens the live generation of `index_dir`.
    pub fn open_live(index_dir: &Path) -> Result<Generation, IndexError> {
        Generation::open(&live_generation_dir(index_dir)?)
    }

    /// Opens a complete generation directory.
    pub fn open(dir: &Path) -> Result<Generation, IndexError> {
        let manifest: Manifest = read_json(&dir.join(build::MANIFEST))?;
        if manifest.format_version != FORMAT_VERSION {
            return Err(IndexError::Corrupt {
                path: dir.join(build::MANIFEST),
                message: format!(
                    "format version {} but this binary reads {FORMAT_VERSION}: run `vivr-search reindex`",
                    manifest.format_version
                ),
            });
        }
        let dictionaries: Dictionaries = read_json(&dir.join(build::DICTIONARIES))?;
        let index = Index::open_in_dir(dir.join(build::TEXT_DIR))?;
        // Every segment file is read once and its checksum checked before anything is mapped
        // for searching: a damaged or truncated file is refused here, instead of panicking in
        // every search that reads it (or killing the process with SIGBUS past its end).
        let damaged = index.validate_checksum()?;
        if !damaged.is_empty() {
            let mut files: Vec<String> = damaged.iter().map(|p| p.display().to_string()).collect();
            files.sort();
            return Err(IndexError::Corrupt {
                path: dir.join(build::TEXT_DIR),
                message: format!(
                    "checksum mismatch in {}: run `vivr-search reindex`",
                    files.join(", ")
                ),
            });
        }
        crate::text::register(index.tokenizers());
        let fields = schema::fields_of(&index.schema())?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let category_by_slug = dictionaries
            .categories
            .iter()
            .enumerate()
            .map(|(i, c)| (c.slug.clone(), i))
            .collect();
        let attribute_ords = dictionaries
            .attributes
            .iter()
            .flat_map(|(key, values)| {
                values
                    .iter()
                    .enumerate()
                    .map(move |(i, v)| ((*key, v.clone()), i as u32))
            })
            .collect();
        Ok(Generation {
            dir: dir.to_owned(),
            manifest,
            dictionaries,
            category_by_slug,
            attribute_ords,
            reader,
            fields,
            prices: std::sync::OnceLock::new(),
        })
    }

    /// The generation's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The generation's manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The generation's facet dictionaries.
    pub fn dictionaries(&self) -> &Dictionaries {
        &self.dictionaries
    }

    /// The ordinal of a category slug in the dictionaries.
    pub fn category_ord(&self, slug: &str) -> Option<usize> {
        self.category_by_slug.get(slug).copied()
    }

    /// The ordinal of an attribute facet's value (trimmed and lower-cased first).
    pub fn attribute_ord(&self, facet: Facet, value: &str) -> Option<u32> {
        self.attribute_ords
            .get(&(facet, value.trim().to_lowercase()))
            .copied()
    }

    /// The tantivy query of a filter; `None` when it lets every product through.
    fn filter_query(&self, filter: &ProductFilter) -> Option<Box<dyn Query>> {
        if filter.nothing {
            return Some(query::nothing());
        }
        let f = &self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let term =
            |t: Term| -> Box<dyn Query> { Box::new(TermQuery::new(t, IndexRecordOption::Basic)) };
        let ord = |facet: Facet, ord: u32| term(Term::from_field_u64(f.facet(facet), ord.into()));
        if let Some(category) = filter.category {
            clauses.push((Occur::Must, ord(Facet::Category, category)));
        }
        for &category in &filter.exclude_categories {
            clauses.push((Occur::MustNot, ord(Facet::Category, category)));
        }
        if filter.min_price.is_some() || filter.max_price.is_some() {
            let bound = |p: Option<f64>| {
                p.map_or(Bound::Unbounded, |p| {
                    Bound::Included(Term::from_field_f64(f.price, p))
                })
            };
            clauses.push((
                Occur::Must,
                Box::new(RangeQuery::new(
                    bound(filter.min_price),
                    bound(filter.max_price),
                )),
            ));
        }
        if let Some(in_stock) = filter.in_stock {
            let one = Term::from_field_u64(f.stock, 1);
            let range = if in_stock {
                RangeQuery::new(Bound::Included(one), Bound::Unbounded)
            } else {
                RangeQuery::new(Bound::Unbounded, Bound::Excluded(one))
            };
            clauses.push((Occur::Must, Box::new(range)));
        }
        if let Some(featured) = filter.featured {
            clauses.push((
                Occur::Must,
                term(Term::from_field_u64(f.featured, u64::from(featured))),
            ));
        }
        for (facet, values) in &filter.attributes {
            let any: Vec<(Occur, Box<dyn Query>)> = values
                .iter()
                .map(|&value| (Occur::Should, ord(*facet, value)))
                .collect();
            let q: Box<dyn Query> = if any.is_empty() || *facet == Facet::Category {
                query::nothing()
            } else {
                Box::new(BooleanQuery::new(any))
            };
            clauses.push((Occur::Must, q));
        }
        if clauses.is_empty() {
            return None;
        }
        // A query of exclusions alone matches nothing in tantivy: they exclude from everything.
        if clauses.iter().all(|(occur, _)| *occur == Occur::MustNot) {
            clauses.push((Occur::Must, Box::new(tantivy::query::AllQuery)));
        }
        Some(Box::new(BooleanQuery::new(clauses)))
    }

    /// Runs a lexical search; when all words together match nothing, drops the word with the
    /// fewest matches (ties: the later word) and tries again, down to one word. When they match
    /// fewer than [`THIN_RESULTS`] products, that word becomes optional instead: the products
    /// with every word still come first (the word's score), then those missing it.
    pub fn search(&self, request: &LexicalRequest) -> Result<LexicalResult, IndexError> {
        let searcher = self.reader.searcher();
        let filter = self.filter_query(request.filter);
        let mut words: Vec<(PlannedWord, Box<dyn Query>)> = request
            .words
            .iter()
            .map(|w| Ok((w.clone(), query::word_query(&searcher, &self.fields, w)?)))
            .collect::<tantivy::Result<_>>()?;
        let boosts = self.boost_queries(&searcher, request.boosts)?;
        let mut dropped = Vec::new();
        loop {
            let queries: Vec<&dyn Query> = words.iter().map(|(_, q)| q.as_ref()).collect();
            let q = query::boosted(query::text_query(&queries, filter.as_deref()), &boosts);
            let (docs, total, aggregates) = self.collect(&searcher, q.as_ref(), request)?;
            if words.len() <= 1 || total >= THIN_RESULTS {
                return self.result(&searcher, docs, total, aggregates, dropped, request.facets);
            }
            let rarest = self.rarest(&searcher, &words, filter.as_deref())?;
            if total == 0 {
                dropped.push(words.remove(rarest).0);
                continue;
            }
            let (_, optional) = words.remove(rarest);
            let queries: Vec<&dyn Query> = words.iter().map(|(_, q)| q.as_ref()).collect();
            let mut required = query::text_query(&queries, filter.as_deref());
            required = Box::new(BooleanQuery::new(vec![
                (Occur::Must, required),
                (Occur::Should, optional),
            ]));
            let q = query::boosted(required, &boosts);
            let (docs, total, aggregates) = self.collect(&searcher, q.as_ref(), request)?;
            return self.result(&searcher, docs, total, aggregates, dropped, request.facets);
        }
    }

    /// The index in `words` of the word that matches the fewest products alone (ties: the later).
    fn rarest(
        &self,
        searcher: &Searcher,
        words: &[(PlannedWord, Box<dyn Query>)],
        filter: Option<&dyn Query>,
    ) -> Result<usize, IndexError> {
        let mut rarest = (usize::MAX, 0);
        for (i, (_, word_query)) in words.iter().enumerate() {
            let alone = query::text_query(&[word_query.as_ref()], filter);
            let n = searcher.search(alone.as_ref(), &Count)?;
            if n <= rarest.0 {
                rarest = (n, i);
            }
        }
        Ok(rarest.1)
    }

    /// One query per boost, scoring [`BOOST_SCORE`] where it matches.
    fn boost_queries(
        &self,
        searcher: &Searcher,
        boosts: &[Boost],
    ) -> Result<Vec<Box<dyn Query>>, IndexError> {
        let f = &self.fields;
        let mut queries = Vec::new();
        for boost in boosts {
            let q: Box<dyn Query> = match boost {
                Boost::Attribute { facet, values } => {
                    let terms: Vec<(Occur, Box<dyn Query>)> = values
                        .iter()
                        .filter_map(|v| self.attribute_ord(*facet, v))
                        .map(|ord| {
                            let t = Term::from_field_u64(f.facet(*facet), ord.into());
                            (
                                Occur::Should,
                                Box::new(TermQuery::new(t, IndexRecordOption::Basic))
                                    as Box<dyn Query>,
                            )
                        })
                        .collect();
                    if terms.is_empty() {
                        continue;
                    }
                    Box::new(BooleanQuery::new(terms))
                }
                Boost::Word(word) => query::word_query(searcher, f, word)?,
                Boost::NameWord(word) => Box::new(TermQuery::new(
                    Term::from_field_text(f.text_of(TextField::Name).0, word),
                    IndexRecordOption::Basic,
                )),
                Boost::SizeClass(class) => Box::new(TermQuery::new(
                    Term::from_field_u64(f.size_class, *class),
                    IndexRecordOption::Basic,
                )),
            };
            queries.push(q);
        }
        Ok(queries)
    }

    /// Whether a folded word is a term of a product's name, category or attributes: the intent
    /// parser never reads such a word as a typo of a lexicon word.
    pub fn knows_word(&self, word: &str) -> bool {
        let searcher = self.reader.searcher();
        let sources = [TextField::Name, TextField::Category, TextField::Attributes];
        sources.iter().any(|&source| {
            let (exact, _) = self.fields.text_of(source);
            searcher
                .doc_freq(&Term::from_field_text(exact, word))
                .is_ok_and(|n| n > 0)
        })
    }

    /// Whether an analysed query word is in the index as written or by its stem, in any text
    /// field: a word that is not, yet found results, was matched as a typo (search analytics
    /// report it as corrected).
    pub fn knows_analysed(&self, exact: &str, stem: &str) -> bool {
        self.has_analysed(&TextField::ALL, exact, stem)
    }

    /// Whether an analysed word is in a product's name, category or attributes, as written or
    /// by its stem: the words that say what the store sells ("nappes" when it sells a "Nappe").
    pub fn sells_word(&self, exact: &str, stem: &str) -> bool {
        self.has_analysed(
            &[TextField::Name, TextField::Category, TextField::Attributes],
            exact,
            stem,
        )
    }

    fn has_analysed(&self, sources: &[TextField], exact: &str, stem: &str) -> bool {
        let searcher = self.reader.searcher();
        sources.iter().any(|&source| {
            let (exact_field, stem_field) = self.fields.text_of(source);
            [(exact_field, exact), (stem_field, stem)]
                .into_iter()
                .any(|(field, term)| {
                    searcher
                        .doc_freq(&Term::from_field_text(field, term))
                        .is_ok_and(|n| n > 0)
                })
        })
    }

    /// The price at quantile `q` (0..=1) of the products of a category (subcategories
    /// included), or of all products; `None` for an unknown or empty category.
    pub fn price_quantile(&self, category: Option<&str>, q: f64) -> Option<f64> {
        let prices = self.prices.get_or_init(|| self.load_prices());
        let list = match category {
            None => &prices.all,
            Some(slug) => prices.by_category.get(*self.category_by_slug.get(slug)?)?,
        };
        if list.is_empty() {
            return None;
        }
        let i = ((list.len() - 1) as f64 * q.clamp(0.0, 1.0)).round() as usize;
        Some(f64::from(list[i]))
    }

    /// Sorted prices per category ordinal (ancestors included) and overall, from fast fields.
    fn load_prices(&self) -> Prices {
        let categories = &self.dictionaries.categories;
        let mut prices = Prices {
            all: Vec::new(),
            by_category: vec![Vec::new(); categories.len()],
        };
        let lineages: Vec<Vec<u32>> = (0..categories.len())
            .map(|o| self.dictionaries.lineage(o))
            .collect();
        let searcher = self.reader.searcher();
        for segment in searcher.segment_readers() {
            let fast = segment.fast_fields();
            let (Ok(price), Ok(leaf)) = (fast.f64("price"), fast.u64("category_leaf")) else {
                continue;
            };
            let (price, leaf) = (
                price.first_or_default_col(0.0),
                leaf.first_or_default_col(0),
            );
            for doc in segment.doc_ids_alive() {
                let p = price.get_val(doc) as f32;
                prices.all.push(p);
                for &o in lineages
                    .get(leaf.get_val(doc) as usize)
                    .into_iter()
                    .flatten()
                {
                    prices.by_category[o as usize].push(p);
                }
            }
        }
        prices.all.sort_by(f32::total_cmp);
        for list in &mut prices.by_category {
            list.sort_by(f32::total_cmp);
        }
        prices
    }

    /// Top docs for the sort, the exact count and (when asked) the aggregates, in one pass.
    fn collect(
        &self,
        searcher: &Searcher,
        q: &dyn Query,
        request: &LexicalRequest,
    ) -> Result<Collected, IndexError> {
        let aggregates = request.facets.then(|| AggregateCollector {
            attribute_sizes: Facet::ATTRIBUTES
                .iter()
                .map(|&f| self.dictionaries.values(f).len())
                .collect(),
        });
        let top = TopDocs::with_limit(request.limit.max(1)).and_offset(request.offset);
        fn run<C, K>(
            searcher: &Searcher,
            q: &dyn Query,
            top: C,
            aggregates: Option<AggregateCollector>,
            score: fn(K) -> Option<f32>,
        ) -> tantivy::Result<Collected>
        where
            C: tantivy::collector::Collector<Fruit = Vec<(K, DocAddress)>>,
            K: 'static + Send,
        {
            let (docs, total, aggregates) = searcher.search(q, &(top, Count, aggregates))?;
            Ok((
                docs.into_iter().map(|(k, d)| (score(k), d)).collect(),
                total,
                aggregates,
            ))
        }
        let result = match request.sort {
            Sort::Relevance => run(
                searcher,
                q,
                top.order_by(collect::RelevanceKey),
                aggregates,
                |(score, _)| Some(score),
            ),
            Sort::PriceAsc => run(
                searcher,
                q,
                top.order_by_fast_field::<f64>("price", Order::Asc),
                aggregates,
                |_| None,
            ),
            Sort::PriceDesc => run(
                searcher,
                q,
                top.order_by_fast_field::<f64>("price", Order::Desc),
                aggregates,
                |_| None,
            ),
            Sort::Newest => run(
                searcher,
                q,
                top.order_by_fast_field::<i64>("created_at", Order::Desc),
                aggregates,
                |_| None,
            ),
            Sort::Popular => run(
                searcher,
                q,
                top.order_by_fast_field::<u64>("popularity", Order::Desc),
                aggregates,
                |_| None,
            ),
            Sort::Rating => run(
                searcher,
                q,
                top.order_by_fast_field::<f64>("rating", Order::Desc),
                aggregates,
                |_| None,
            ),
        }?;
        let (mut docs, total, aggregates) = result;
        docs.truncate(request.limit);
        Ok((docs, total, aggregates))
    }

    fn result(
        &self,
        searcher: &Searcher,
        docs: Vec<(Option<f32>, DocAddress)>,
        total: usize,
        aggregates: Option<Aggregates>,
        dropped: Vec<PlannedWord>,
        facets: bool,
    ) -> Result<LexicalResult, IndexError> {
        let hits = docs
            .into_iter()
            .map(|(score, address)| Ok((score, self.stored(searcher, address)?)))
            .collect::<Result<Vec<_>, IndexError>>()?;
        let (facet_counts, price_range) = match aggregates {
            Some(a) if facets => (self.facet_counts(&a), a.price),
            _ => (BTreeMap::new(), None),
        };
        Ok(LexicalResult {
            hits,
            total,
            dropped,
            facets: facet_counts,
            price_range,
        })
    }

    fn facet_counts(&self, aggregates: &Aggregates) -> BTreeMap<Facet, BTreeMap<String, u64>> {
        // Category counts are per own category: add each to its ancestors.
        let categories = &self.dictionaries.categories;
        let mut rolled = vec![0u64; categories.len()];
        for (ord, &n) in aggregates
            .counts
            .first()
            .into_iter()
            .flatten()
            .enumerate()
            .filter(|(_, n)| **n > 0)
        {
            for o in self.dictionaries.lineage(ord) {
                rolled[o as usize] += n;
            }
        }
        std::iter::once(&rolled)
            .chain(aggregates.counts.iter().skip(1))
            .zip(Facet::ALL)
            .map(|(counts, facet)| {
                let values = self.dictionaries.values(facet);
                let distribution = counts
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| **n > 0)
                    .filter_map(|(ord, n)| values.get(ord).map(|v| ((*v).to_owned(), *n)))
                    .collect();
                (facet, distribution)
            })
            .collect()
    }

    /// For each of `hits`, the tier of each of `words` in its text of `source`: exact when the
    /// text holds the word as written, stem when only its stem, `None` when neither. Read from
    /// the postings, one pass per term over the hits in document order. Only for a source
    /// matched without prefixes or typos (the description), whose tiers are exactly these.
    pub(crate) fn tiers_in(
        &self,
        hits: &[DocAddress],
        source: TextField,
        words: &[PlannedWord],
    ) -> Result<Vec<Vec<Option<Tier>>>, IndexError> {
        debug_assert!(!source.source().fuzzy, "prefixes and typos are not terms");
        let searcher = self.reader.searcher();
        let (exact, stem) = self.fields.text_of(source);
        let mut in_order: Vec<usize> = (0..hits.len()).collect();
        in_order.sort_by_key(|&i| hits[i]);
        let mut tiers = vec![vec![None; words.len()]; hits.len()];
        // Stems first: an exact match, read after, overrides its word's stem match.
        let terms = words.iter().enumerate().flat_map(|(w, word)| {
            [
                (w, Tier::Stem, Term::from_field_text(stem, &word.stem)),
                (w, Tier::Exact, Term::from_field_text(exact, &word.exact)),
            ]
        });
        for (w, tier, term) in terms {
            let mut postings: Option<(u32, Option<SegmentPostings>)> = None;
            for &i in &in_order {
                let DocAddress {
                    segment_ord,
                    doc_id,
                } = hits[i];
                if postings.as_ref().is_none_or(|(ord, _)| *ord != segment_ord) {
                    let inverted = searcher
                        .segment_reader(segment_ord)
                        .inverted_index(term.field())?;
                    let read = inverted
                        .read_postings(&term, IndexRecordOption::Basic)
                        .map_err(tantivy::TantivyError::from)?;
                    postings = Some((segment_ord, read));
                }
                if let Some((_, Some(docs))) = &mut postings
                    && docs.doc() <= doc_id
                    && docs.seek(doc_id) == doc_id
                {
                    tiers[i][w] = Some(tier);
                }
            }
        }
        Ok(tiers)
    }

    /// The stored hits of products by id, in the order asked (`None`: not in this generation).
    pub fn hits_by_id(&self, ids: &[&str]) -> Result<Vec<Option<IndexHit>>, IndexError> {
        let searcher = self.reader.searcher();
        ids.iter()
            .map(|id| {
                let term = Term::from_field_text(self.fields.id, id);
                let found = searcher.search(
                    &TermQuery::new(term, IndexRecordOption::Basic),
                    &TopDocs::with_limit(1).order_by_score(),
                )?;
                found
                    .first()
                    .map(|(_, address)| self.stored(&searcher, *address))
                    .transpose()
            })
            .collect()
    }

    fn stored(&self, searcher: &Searcher, address: DocAddress) -> Result<IndexHit, IndexError> {
        let doc: TantivyDocument = searcher.doc(address)?;
        let card = doc.get_first(self.fields.card).and_then(|v| v.as_bytes());
        let (hit, texts) = card
            .ok_or_else(|| "a document has no hit card".to_owned())
            .and_then(card::decode)
            .map_err(|message| IndexError::Corrupt {
                path: self.dir.clone(),
                message,
            })?;
        Ok(IndexHit {
            hit,
            texts,
            address,
        })
    }
}
