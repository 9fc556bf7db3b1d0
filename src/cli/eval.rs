//! `vivr-search eval`: runs a judged query set through the engine (in-process, or a running
//! server with `--url`) and prints NDCG@10, MRR, P@5, R@50, the zero-result rate and constraint
//! violations per query class (see `eval`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::catalog::Catalog;
use crate::config::Config;
use crate::eval::{self, EvalHit, EvalQuery, Report};
use crate::llm::Claude;
use crate::search::{CategoryNode, Engine, Mode, search_with_claude};

/// Query id → product id → grade.
type Qrels = std::collections::HashMap<String, std::collections::HashMap<String, u8>>;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Queries: TSV `id, text, class[, category, min_price, max_price]`.
    #[arg(long, default_value = "data/eval/queries.tsv")]
    queries: PathBuf,
    /// Judgments: TSV `query_id, product_id, grade` (0-3).
    #[arg(long, default_value = "data/eval/qrels.tsv")]
    qrels: PathBuf,
    /// `instant` (lexical) or `full` (lexical and semantic).
    #[arg(long, default_value = "full")]
    mode: String,
    /// `on`: submitted searches ask Claude as the API does (needs ANTHROPIC_API_KEY).
    #[arg(long, default_value = "off", value_parser = ["off", "on"])]
    ai: String,
    /// Evaluate a running server (`http://127.0.0.1:7700`) instead of the local index.
    #[arg(long)]
    url: Option<String>,
    /// Print the report as JSON (every query's scores included).
    #[arg(long)]
    json: bool,
    /// Evaluate similar products instead: a TSV `anchor_id, product_id, grade` of judged
    /// neighbours (`data/eval/similar.tsv`); prints precision@k.
    #[arg(long, value_name = "FILE")]
    similar: Option<PathBuf>,
    /// Neighbours per anchor for `--similar`.
    #[arg(long, default_value_t = 10)]
    k: usize,
    /// Also run the set through SQLite FTS5 (unicode61, diacritics removed, BM25, words OR-ed)
    /// built from the same replica, and print both side by side.
    #[arg(long)]
    compare_fts5: bool,
}

pub(crate) fn run(args: Args, config: &Config) -> anyhow::Result<ExitCode> {
    if let Some(file) = &args.similar {
        let judgments = eval::read_qrels(file)?;
        let engine = Engine::open(Catalog::open(&config.db)?, &config.index_dir)?;
        let report = eval::evaluate_similar(&engine, &judgments, args.k)?;
        if args.json {
            println!("{}", serde_json::to_string_pretty(&report)?);
        } else {
            println!(
                "similar products, {} anchors: precision@{} {:.3} (same type), {:.3} (same type and style); {} degraded",
                report.anchors,
                report.k,
                report.precision,
                report.precision_grade2,
                report.degraded
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let queries = eval::read_queries(&args.queries)?;
    let qrels = eval::read_qrels(&args.qrels)?;
    let mode: Mode = args.mode.parse()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let report = match &args.url {
        Some(url) => runtime.block_on(remote(url, mode, &queries, &qrels))?,
        None => {
            let engine = std::sync::Arc::new(super::engine(config, mode)?);
            if args.ai == "on" {
                let claude = Claude::new(config.llm.clone(), Some(Catalog::open(&config.db)?));
                if let Err(why) = claude.search_enabled() {
                    anyhow::bail!("--ai on: Claude is off ({why})");
                }
                let paths = eval::category_paths(&engine.categories()?);
                let hits = runtime.block_on(async {
                    let mut hits: Vec<Vec<EvalHit>> = Vec::new();
                    for q in &queries {
                        let r =
                            search_with_claude(&engine, &claude, &eval::request(q, mode)).await?;
                        hits.push(eval::hits_of(&r.hits, &paths));
                    }
                    Ok::<_, anyhow::Error>(hits)
                })?;
                scored(&queries, &qrels, hits)
            } else {
                eval::evaluate_engine(&engine, mode, &queries, &qrels)?
            }
        }
    };
    if args.compare_fts5 {
        let peer = eval::Fts5Peer::build(&Catalog::open(&config.db)?)?;
        let peer_report = eval::evaluate(&queries, &qrels, |q| peer.search(q, eval::DEPTH))?;
        if args.json {
            let both = serde_json::json!({ "vivr": report, "fts5": peer_report });
            println!("{}", serde_json::to_string_pretty(&both)?);
        } else {
            print!("{}", eval::compare(&report, &peer_report, "fts5"));
        }
        return Ok(ExitCode::SUCCESS);
    }
    print(&report, args.json)?;
    Ok(ExitCode::SUCCESS)
}

fn print(report: &Report, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(report)?);
    } else {
        print!("{}", eval::table(report));
    }
    Ok(())
}

/// The same evaluation through a running server's HTTP API.
async fn remote(
    url: &str,
    mode: Mode,
    queries: &[EvalQuery],
    qrels: &Qrels,
) -> anyhow::Result<Report> {
    let url = url.trim_end_matches('/');
    let http = reqwest::Client::new();
    let tree: Vec<CategoryNode> = http
        .get(format!("{url}/v1/categories"))
        .send()
        .await
        .with_context(|| format!("cannot reach {url}"))?
        .error_for_status()?
        .json()
        .await?;
    let paths = eval::category_paths(&tree);
    let mut hits: Vec<Vec<EvalHit>> = Vec::with_capacity(queries.len());
    for q in queries {
        let body = serde_json::json!({
            "q": q.text,
            "mode": if mode == Mode::Instant { "instant" } else { "full" },
            "limit": eval::DEPTH,
            "highlight": false,
        });
        let response: RemoteResponse = http
            .post(format!("{url}/v1/search"))
            .json(&body)
            .send()
            .await?
            .error_for_status()
            .with_context(|| format!("query {}", q.id))?
            .json()
            .await?;
        hits.push(
            response
                .hits
                .into_iter()
                .map(|h| EvalHit {
                    categories: paths.get(&h.category.slug).cloned().unwrap_or_default(),
                    id: h.id,
                    price: h.price,
                })
                .collect(),
        );
    }
    Ok(scored(queries, qrels, hits))
}

/// Scores hits already collected, one list per query in order.
fn scored(queries: &[EvalQuery], qrels: &Qrels, hits: Vec<Vec<EvalHit>>) -> Report {
    let mut hits = hits.into_iter();
    let report = eval::evaluate(queries, qrels, |_| {
        Ok::<_, std::convert::Infallible>(hits.next().unwrap_or_default())
    });
    match report {
        Ok(report) => report,
        Err(never) => match never {},
    }
}

/// What the evaluation needs of a server's search response.
#[derive(serde::Deserialize)]
struct RemoteResponse {
    hits: Vec<RemoteHit>,
}

#[derive(serde::Deserialize)]
struct RemoteHit {
    id: String,
    price: f64,
    category: RemoteCategory,
}

#[derive(serde::Deserialize)]
struct RemoteCategory {
    slug: String,
}
