//! `vivr-search search "<query>"`: the engine's answer as a table (or JSON).

use std::process::ExitCode;

use crate::config::Config;
use crate::search::{Filters, Sort};
use crate::search::{Mode, SearchRequest};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The query, in French ("canapé velours bleu", "lampe de chevet").
    query: String,
    /// Hits to show.
    #[arg(long, default_value_t = 10)]
    limit: i64,
    /// Category slug (subcategories included).
    #[arg(long)]
    category: Option<String>,
    /// Lowest price in euros.
    #[arg(long)]
    min_price: Option<f64>,
    /// Highest price in euros.
    #[arg(long)]
    max_price: Option<f64>,
    /// In-stock products only.
    #[arg(long)]
    in_stock: bool,
    /// relevance, price-asc, price-desc, newest, popular, rating.
    #[arg(long, default_value = "relevance")]
    sort: String,
    /// `instant` (lexical) or `full` (lexical and semantic, as a submitted search).
    #[arg(long, default_value = "full")]
    mode: String,
    /// Print the engine's JSON response instead of a table.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: Args, config: &Config) -> anyhow::Result<ExitCode> {
    let mode: Mode = args.mode.parse()?;
    let engine = super::engine(config, mode)?;
    let request = SearchRequest {
        q: args.query,
        filters: Filters {
            category: args.category,
            min_price: args.min_price,
            max_price: args.max_price,
            in_stock: args.in_stock.then_some(true),
            ..Filters::default()
        },
        sort: args.sort.parse::<Sort>()?,
        mode,
        limit: args.limit,
        highlight: false,
        ..SearchRequest::default()
    };
    let response = engine.search(&request)?;
    if args.json {
        // The same JSON as `POST /v1/search`.
        let reply = crate::api::SearchReply::new(response, crate::api::new_request_uid());
        println!("{}", serde_json::to_string_pretty(&reply)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:>3}  {:<14} {:<48} {:>9}  {:<28} {:>5}  {:>5}",
        "#", "id", "name", "price", "category", "stock", "score"
    );
    for (i, hit) in response.hits.iter().enumerate() {
        let name: String = hit.name.chars().take(48).collect();
        let category: String = hit.category.name.chars().take(28).collect();
        println!(
            "{:>3}  {:<14} {:<48} {:>8.2}€  {:<28} {:>5}  {:>5.2}",
            i + 1,
            hit.id,
            name,
            hit.price,
            category,
            if hit.in_stock { "yes" } else { "no" },
            hit.ranking_score
        );
    }
    if let Some(parsed) = &response.parsed_query {
        let understood: Vec<&str> = parsed
            .understood
            .iter()
            .filter(|u| u.applied != crate::search::Applied::Ignored)
            .map(|u| u.label.as_str())
            .collect();
        if !understood.is_empty() {
            println!("understood: {}", understood.join(", "));
        }
    }
    if !response.dropped_words.is_empty() {
        println!("ignored words: {}", response.dropped_words.join(", "));
    }
    println!(
        "{} matching products, {} ms",
        response.estimated_total_hits, response.processing_time_ms
    );
    Ok(ExitCode::SUCCESS)
}
