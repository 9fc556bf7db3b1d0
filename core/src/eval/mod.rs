//! Relevance evaluation: a judged query set run through a search function, scored per query and
//! per query class.
//!
//! Files (tab-separated, one header line, UTF-8):
//! - queries: `id  text  class  category  min_price  max_price`; the last three are the
//!   constraints the query states (empty when it states none): a hit outside the category
//!   (subcategories included) or the price range is a violation.
//! - qrels: `query_id  product_id  grade`, grade 0–3 (3: exactly what was asked). Products not
//!   listed are grade 0.
//!
//! Metrics: NDCG@10 with gains 2^grade − 1; reciprocal rank and precision@5 count hits of grade
//! 2 or more as relevant; recall@50 is over the judged products of grade 2 or more; the zero-result
//! rate; violations are hits of the first 10 that break a stated constraint. Queries without any
//! judgment (a product the store does not sell) count only in the zero-result rate of their class.

mod fts5;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::Serialize;

pub use fts5::Fts5Peer;

use crate::search::{CategoryNode, Engine, Mode, SearchError, SearchHit, SearchRequest};

/// Errors of the evaluation.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A line is not in the documented format.
    #[error("{path}:{line}: {message}")]
    Format {
        /// The file.
        path: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// A judged query.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalQuery {
    /// Id, as in the qrels.
    pub id: String,
    /// The text searched.
    pub text: String,
    /// Its class (`type`, `misspelling`, `synonym`…).
    pub class: String,
    /// The category the query states (slug), if any.
    pub category: Option<String>,
    /// The lowest price the query states.
    pub min_price: Option<f64>,
    /// The highest price the query states.
    pub max_price: Option<f64>,
}

/// One hit as the evaluation sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalHit {
    /// Product id.
    pub id: String,
    /// Price.
    pub price: f64,
    /// The slugs of the product's category and its ancestors.
    pub categories: Vec<String>,
}

/// Scores of one query.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryScore {
    /// Query id.
    pub id: String,
    /// Class.
    pub class: String,
    /// Text.
    pub text: String,
    /// Whether the query has judgments (else only `zero` counts).
    pub judged: bool,
    /// NDCG@10.
    pub ndcg10: f64,
    /// Reciprocal rank of the first hit of grade ≥ 2.
    pub rr: f64,
    /// Precision@5 (grade ≥ 2).
    pub p5: f64,
    /// Recall@50 (grade ≥ 2).
    pub recall50: f64,
    /// No hit at all.
    pub zero: bool,
    /// Hits of the first 10 that break a stated constraint.
    pub violations: usize,
}

/// Averages over a set of queries.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// Queries.
    pub queries: usize,
    /// Judged queries (the averages of the four ranking metrics are over these).
    pub judged: usize,
    /// Mean NDCG@10.
    pub ndcg10: f64,
    /// Mean reciprocal rank.
    pub mrr: f64,
    /// Mean precision@5.
    pub p5: f64,
    /// Mean recall@50.
    pub recall50: f64,
    /// Share of queries with no hit.
    pub zero_result_rate: f64,
    /// Hits breaking a stated constraint, summed.
    pub violations: usize,
}

/// The evaluation of a query set.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// All queries.
    pub overall: Summary,
    /// Per class.
    pub classes: BTreeMap<String, Summary>,
    /// Per query.
    pub queries: Vec<QueryScore>,
}

/// Hits asked per query (recall@50).
pub const DEPTH: usize = 50;

fn read(path: &Path) -> Result<String, EvalError> {
    std::fs::read_to_string(path).map_err(|source| EvalError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// Data lines of a TSV file: `(line number, fields)`, the header and blank lines skipped.
fn rows(text: &str) -> impl Iterator<Item = (usize, Vec<String>)> {
    text.lines()
        .enumerate()
        .skip(1)
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| (i + 1, l.split('\t').map(|f| f.trim().to_owned()).collect()))
}

/// Reads a queries file.
pub fn read_queries(path: &Path) -> Result<Vec<EvalQuery>, EvalError> {
    let text = read(path)?;
    let format = |line, message: String| EvalError::Format {
        path: path.display().to_string(),
        line,
        message,
    };
    let price = |line, s: &str| -> Result<Option<f64>, EvalError> {
        if s.is_empty() {
            return Ok(None);
        }
        s.parse()
            .map(Some)
            .map_err(|_| format(line, format!("price {s:?} is not a number")))
    };
    rows(&text)
        .map(|(line, f)| {
            if f.len() < 3 || f[0].is_empty() {
                return Err(format(
                    line,
                    "expected id, text, class [, category, min_price, max_price]".into(),
                ));
            }
            let get = |i: usize| f.get(i).map(String::as_str).unwrap_or("");
            Ok(EvalQuery {
                id: f[0].clone(),
                text: f[1].clone(),
                class: f[2].clone(),
                category: Some(get(3).to_owned()).filter(|c| !c.is_empty()),
                min_price: price(line, get(4))?,
                max_price: price(line, get(5))?,
            })
        })
        .collect()
}

/// Reads a qrels file: query id → product id → grade.
pub fn read_qrels(path: &Path) -> Result<HashMap<String, HashMap<String, u8>>, EvalError> {
    let text = read(path)?;
    let mut qrels: HashMap<String, HashMap<String, u8>> = HashMap::new();
    for (line, f) in rows(&text) {
        let grade = f
            .get(2)
            .and_then(|g| g.parse::<u8>().ok())
            .filter(|g| *g <= 3);
        match (f.first(), f.get(1), grade) {
            (Some(q), Some(p), Some(g)) if !q.is_empty() && !p.is_empty() => {
                qrels.entry(q.clone()).or_default().insert(p.clone(), g);
            }
            _ => {
                return Err(EvalError::Format {
                    path: path.display().to_string(),
                    line,
                    message: "expected query_id, product_id, grade (0-3)".into(),
                });
            }
        }
    }
    Ok(qrels)
}

/// Scores one query's hits (best first).
pub fn score(
    query: &EvalQuery,
    hits: &[EvalHit],
    judged: Option<&HashMap<String, u8>>,
) -> QueryScore {
    let grade = |id: &str| judged.and_then(|j| j.get(id)).copied().unwrap_or(0);
    let gain = |g: u8| f64::from((1u32 << g) - 1);
    let discount = |i: usize| 1.0 / ((i + 2) as f64).log2();
    let dcg: f64 = hits
        .iter()
        .take(10)
        .enumerate()
        .map(|(i, h)| gain(grade(&h.id)) * discount(i))
        .sum();
    let mut ideal: Vec<u8> = judged
        .map(|j| j.values().copied().collect())
        .unwrap_or_default();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg: f64 = ideal
        .iter()
        .take(10)
        .enumerate()
        .map(|(i, &g)| gain(g) * discount(i))
        .sum();
    let relevant = |h: &EvalHit| grade(&h.id) >= 2;
    let total_relevant = ideal.iter().filter(|&&g| g >= 2).count();
    let violations = hits
        .iter()
        .take(10)
        .filter(|h| {
            query.min_price.is_some_and(|min| h.price < min)
                || query.max_price.is_some_and(|max| h.price > max)
                || query
                    .category
                    .as_ref()
                    .is_some_and(|c| !h.categories.contains(c))
        })
        .count();
    QueryScore {
        id: query.id.clone(),
        class: query.class.clone(),
        text: query.text.clone(),
        judged: idcg > 0.0,
        ndcg10: if idcg > 0.0 { dcg / idcg } else { 0.0 },
        rr: hits
            .iter()
            .position(relevant)
            .map_or(0.0, |i| 1.0 / (i + 1) as f64),
        p5: hits.iter().take(5).filter(|h| relevant(h)).count() as f64 / 5.0,
        recall50: if total_relevant == 0 {
            0.0
        } else {
            hits.iter().take(DEPTH).filter(|h| relevant(h)).count() as f64 / total_relevant as f64
        },
        zero: hits.is_empty(),
        violations,
    }
}

fn summarise<'a>(scores: impl Iterator<Item = &'a QueryScore>) -> Summary {
    let scores: Vec<&QueryScore> = scores.collect();
    let judged: Vec<&&QueryScore> = scores.iter().filter(|s| s.judged).collect();
    let mean = |f: fn(&QueryScore) -> f64| {
        if judged.is_empty() {
            0.0
        } else {
            judged.iter().map(|s| f(s)).sum::<f64>() / judged.len() as f64
        }
    };
    Summary {
        queries: scores.len(),
        judged: judged.len(),
        ndcg10: mean(|s| s.ndcg10),
        mrr: mean(|s| s.rr),
        p5: mean(|s| s.p5),
        recall50: mean(|s| s.recall50),
        zero_result_rate: if scores.is_empty() {
            0.0
        } else {
            scores.iter().filter(|s| s.zero).count() as f64 / scores.len() as f64
        },
        violations: scores.iter().map(|s| s.violations).sum(),
    }
}

/// Runs every query through `search` (which returns up to [`DEPTH`] hits, best first) and
/// scores it.
pub fn evaluate<E>(
    queries: &[EvalQuery],
    qrels: &HashMap<String, HashMap<String, u8>>,
    mut search: impl FnMut(&EvalQuery) -> Result<Vec<EvalHit>, E>,
) -> Result<Report, E> {
    let mut scores = Vec::with_capacity(queries.len());
    for query in queries {
        let hits = search(query)?;
        scores.push(score(query, &hits, qrels.get(&query.id)));
    }
    let mut classes: BTreeMap<String, Vec<&QueryScore>> = BTreeMap::new();
    for s in &scores {
        classes.entry(s.class.clone()).or_default().push(s);
    }
    Ok(Report {
        overall: summarise(scores.iter()),
        classes: classes
            .into_iter()
            .map(|(class, list)| (class, summarise(list.into_iter())))
            .collect(),
        queries: scores,
    })
}

/// The report as a table: one line per class, then the overall line.
pub fn table(report: &Report) -> String {
    let mut out = format!(
        "{:<12} {:>7} {:>8} {:>7} {:>7} {:>7} {:>7} {:>10}\n",
        "class", "queries", "NDCG@10", "MRR", "P@5", "R@50", "zero", "violations"
    );
    let line = |name: &str, s: &Summary| {
        format!(
            "{:<12} {:>7} {:>8.3} {:>7.3} {:>7.3} {:>7.3} {:>6.1}% {:>10}\n",
            name,
            s.queries,
            s.ndcg10,
            s.mrr,
            s.p5,
            s.recall50,
            100.0 * s.zero_result_rate,
            s.violations
        )
    };
    for (class, s) in &report.classes {
        out.push_str(&line(class, s));
    }
    out.push_str(&line("all", &report.overall));
    out
}

/// Slug → the slugs of the category and its ancestors, from a category tree.
pub fn category_paths(tree: &[CategoryNode]) -> HashMap<String, Vec<String>> {
    fn walk(
        nodes: &[CategoryNode],
        path: &mut Vec<String>,
        out: &mut HashMap<String, Vec<String>>,
    ) {
        for node in nodes {
            path.push(node.slug.clone());
            out.insert(node.slug.clone(), path.clone());
            walk(&node.children, path, out);
            path.pop();
        }
    }
    let mut out = HashMap::new();
    walk(tree, &mut Vec::new(), &mut out);
    out
}

/// The hits of a search response as the evaluation sees them.
pub fn hits_of(response: &[SearchHit], paths: &HashMap<String, Vec<String>>) -> Vec<EvalHit> {
    response
        .iter()
        .map(|h| EvalHit {
            id: h.id.clone(),
            price: h.price,
            categories: paths.get(&h.category.slug).cloned().unwrap_or_default(),
        })
        .collect()
}

/// The search request of an evaluated query: the first [`DEPTH`] hits, no highlights.
pub fn request(query: &EvalQuery, mode: Mode) -> SearchRequest {
    SearchRequest {
        q: query.text.clone(),
        mode,
        limit: DEPTH as i64,
        highlight: false,
        ..SearchRequest::default()
    }
}

/// Evaluates a query set on an engine, in-process.
pub fn evaluate_engine(
    engine: &Engine,
    mode: Mode,
    queries: &[EvalQuery],
    qrels: &HashMap<String, HashMap<String, u8>>,
) -> Result<Report, SearchError> {
    let paths = category_paths(&engine.categories()?);
    evaluate(queries, qrels, |q| {
        Ok(hits_of(&engine.search(&request(q, mode))?.hits, &paths))
    })
}

/// Similar products scored against judged neighbours.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SimilarReport {
    /// Anchors evaluated.
    pub anchors: usize,
    /// Neighbours asked per anchor.
    pub k: usize,
    /// Mean share of the k neighbours judged similar (grade ≥ 1).
    pub precision: f64,
    /// Mean share of the k neighbours judged most similar (grade ≥ 2).
    pub precision_grade2: f64,
    /// Anchors whose answer was degraded (no vectors).
    pub degraded: usize,
}

/// Runs `similar` for every anchor of a judgments file (`anchor_id, product_id, grade`).
pub fn evaluate_similar(
    engine: &Engine,
    judgments: &HashMap<String, HashMap<String, u8>>,
    k: usize,
) -> Result<SimilarReport, SearchError> {
    let mut anchors: Vec<&String> = judgments.keys().collect();
    anchors.sort();
    let (mut precision, mut precision2, mut degraded) = (0.0, 0.0, 0);
    for anchor in &anchors {
        let response = engine.similar(&crate::search::SimilarRequest {
            id_or_slug: (*anchor).clone(),
            limit: k as i64,
            filters: Default::default(),
            same_category: false,
        })?;
        degraded += usize::from(response.degraded.is_some());
        let grade = |id: &str| judgments[*anchor].get(id).copied().unwrap_or(0);
        precision += response.hits.iter().filter(|h| grade(&h.id) >= 1).count() as f64 / k as f64;
        precision2 += response.hits.iter().filter(|h| grade(&h.id) >= 2).count() as f64 / k as f64;
    }
    let n = anchors.len().max(1) as f64;
    Ok(SimilarReport {
        anchors: anchors.len(),
        k,
        precision: precision / n,
        precision_grade2: precision2 / n,
        degraded,
    })
}

/// Two reports side by side, per class: NDCG@10, zero-result rate and violations of each.
pub fn compare(ours: &Report, peer: &Report, peer_name: &str) -> String {
    let mut out = format!(
        "{:<12} {:>7} {:>10} {:>10} {:>9} {:>9} {:>8} {:>8}\n",
        "class",
        "queries",
        "NDCG vivr",
        format!("NDCG {peer_name}"),
        "zero vivr",
        format!("zero {peer_name}"),
        "viol vivr",
        format!("viol {peer_name}"),
    );
    let line = |name: &str, a: &Summary, b: &Summary| {
        format!(
            "{:<12} {:>7} {:>10.3} {:>10.3} {:>8.1}% {:>8.1}% {:>8} {:>8}\n",
            name,
            a.queries,
            a.ndcg10,
            b.ndcg10,
            100.0 * a.zero_result_rate,
            100.0 * b.zero_result_rate,
            a.violations,
            b.violations
        )
    };
    for (class, a) in &ours.classes {
        if let Some(b) = peer.classes.get(class) {
            out.push_str(&line(class, a, b));
        }
    }
    out.push_str(&line("all", &ours.overall, &peer.overall));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(id: &str, price: f64, categories: &[&str]) -> EvalHit {
        EvalHit {
            id: id.into(),
            price,
            categories: categories.iter().map(|c| (*c).to_owned()).collect(),
        }
    }

    fn query(category: Option<&str>, max_price: Option<f64>) -> EvalQuery {
        EvalQuery {
            id: "q1".into(),
            text: "t".into(),
            class: "c".into(),
            category: category.map(str::to_owned),
            min_price: None,
            max_price,
        }
    }

    #[test]
    fn metrics_follow_their_definitions() {
        let judged: HashMap<String, u8> = [("a", 3), ("b", 2), ("c", 1)]
            .map(|(k, g)| (k.to_owned(), g))
            .into();
        // Ideal order: perfect scores.
        let perfect = [
            hit("a", 1.0, &["x"]),
            hit("b", 1.0, &["x"]),
            hit("c", 1.0, &["x"]),
        ];
        let s = score(&query(Some("x"), None), &perfect, Some(&judged));
        assert!((s.ndcg10 - 1.0).abs() < 1e-9);
        assert_eq!((s.rr, s.p5, s.recall50, s.violations), (1.0, 0.4, 1.0, 0));
        // "b" first, then an unjudged product, then "a": DCG = 3/1 + 0 + 7/2.
        let mixed = [
            hit("b", 1.0, &["x"]),
            hit("z", 500.0, &["y"]),
            hit("a", 1.0, &["x"]),
        ];
        let s = score(&query(Some("x"), Some(100.0)), &mixed, Some(&judged));
        let idcg = 7.0 + 3.0 / 3f64.log2() + 1.0 / 2.0;
        assert!(
            (s.ndcg10 - (3.0 + 7.0 / 2.0) / idcg).abs() < 1e-9,
            "{}",
            s.ndcg10
        );
        assert_eq!(s.rr, 1.0);
        assert_eq!(
            s.violations, 1,
            "z is over the price and outside the category"
        );
        let none = score(&query(None, None), &[], None);
        assert!(none.zero && !none.judged);
    }

    #[test]
    fn files_are_read_and_bad_lines_named() {
        let dir = tempfile::tempdir().unwrap();
        let q = dir.path().join("q.tsv");
        std::fs::write(&q, "id\ttext\tclass\tcategory\tmin_price\tmax_price\nq1\tlampe\ttype\tluminaires\t\t200\nq2\tvélo\tnothing\n").unwrap();
        let queries = read_queries(&q).unwrap();
        assert_eq!(queries[0].max_price, Some(200.0));
        assert_eq!(queries[1].category, None);
        let r = dir.path().join("r.tsv");
        std::fs::write(&r, "query_id\tproduct_id\tgrade\nq1\tp1\t3\nq1\tp2\tx\n").unwrap();
        let err = read_qrels(&r).unwrap_err().to_string();
        assert!(
            err.ends_with(":3: expected query_id, product_id, grade (0-3)"),
            "{err}"
        );
    }
}
