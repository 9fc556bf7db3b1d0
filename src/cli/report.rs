//! `vivr-search report`: the merchant's analytics in the terminal, from the same tools the
//! analytics MCP server and the admin routes answer with.

use std::process::ExitCode;

use crate::auth::Principal;
use crate::config::Config;
use crate::mcp::analytics as tools;
use crate::mcp::orders::Desk;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The period, ending today: a number of days (`30d`).
    #[arg(long, default_value = "30d", value_parser = parse_days)]
    since: u64,
    /// Print JSON (every tool's full answer) instead of the summary.
    #[arg(long)]
    json: bool,
}

/// `30d` in days.
fn parse_days(text: &str) -> Result<u64, String> {
    text.strip_suffix('d')
        .and_then(|n| n.parse().ok())
        .filter(|n| (1..=crate::analytics::MAX_SUMMARY_DAYS as u64).contains(n))
        .ok_or_else(|| {
            format!(
                "{text:?}: expected a number of days like 30d (1 to {})",
                crate::analytics::MAX_SUMMARY_DAYS
            )
        })
}

/// The rolling period of the tools that take one, nearest above `days`.
fn period_of(days: u64) -> &'static str {
    match days {
        0..=1 => "day",
        2..=7 => "week",
        8..=30 => "month",
        31..=91 => "quarter",
        _ => "year",
    }
}

pub(crate) fn run(args: Args, config: &Config) -> anyhow::Result<ExitCode> {
    let engine = super::engine(config, crate::search::Mode::Instant)?;
    let state_path = config.state_db_path();
    let state = state_path
        .exists()
        .then(|| crate::state::State::open(&state_path))
        .transpose()?;
    let services = crate::mcp::Services::from_config(config, None);
    let principal = Principal::local_staff();
    let desk = Desk {
        principal: &principal,
        rules: &services.rules,
        today: services.today(),
        state: state.as_ref(),
    };
    let end = desk.today;
    let start = end - chrono::Days::new(args.since - 1);
    let period = Some(period_of(args.since).to_owned());
    let fail = |e: String| anyhow::anyhow!(e);
    let sales = tools::sales_summary(
        &engine,
        &desk,
        tools::SalesSummaryArgs {
            start_date: start.to_string(),
            end_date: end.to_string(),
            granularity: if args.since <= 31 { "day" } else { "week" }.to_owned(),
        },
    )
    .map_err(fail)?;
    let top = tools::top_products(
        &engine,
        &desk,
        tools::TopProductsArgs {
            period: period_of(args.since.max(2)).to_owned(),
            limit: Some(5),
            category: None,
        },
    )
    .map_err(fail)?;
    let categories = tools::category_performance(
        &engine,
        &desk,
        tools::CategoryArgs {
            period: period.clone(),
        },
    )
    .map_err(fail)?;
    let inventory = tools::inventory_insights(
        &engine,
        &desk,
        tools::InventoryArgs {
            low_stock_threshold: None,
            category: None,
        },
    )
    .map_err(fail)?;
    let customers = |metric: &str| {
        tools::customer_analytics(
            &engine,
            &desk,
            tools::CustomerArgs {
                metric: metric.to_owned(),
                period: period.clone(),
            },
        )
        .map_err(fail)
    };
    let acquisition = customers("acquisition")?;
    let carts = customers("cart_abandonment")?;
    // A forecast needs four weeks of history and a search report needs the state database:
    // their absence is a line of the report, not its failure.
    let forecast = tools::revenue_forecast(
        &engine,
        &desk,
        tools::ForecastArgs {
            forecast_days: Some(30),
        },
    );
    let searches = tools::search_insights(
        &engine,
        &desk,
        tools::SearchInsightsArgs {
            period: period.clone(),
            limit: Some(5),
        },
    );
    if args.json {
        let json = serde_json::json!({
            "sales": sales,
            "topProducts": top,
            "categories": categories,
            "inventory": inventory,
            "acquisition": acquisition,
            "cartAbandonment": carts,
            "forecast": forecast.as_ref().ok(),
            "searches": searches.as_ref().ok(),
        });
        println!("{}", serde_json::to_string_pretty(&json)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "VIVR, du {} au {} ({} jours, Europe/Paris)\n",
        start.format("%d/%m/%Y"),
        end.format("%d/%m/%Y"),
        args.since
    );
    println!("Ventes      {}", sales.summary);
    println!("Catégories  {}", categories.summary);
    println!("Produits    {}", top.summary);
    for (rank, p) in top.by_revenue.iter().enumerate() {
        println!(
            "            {}. {:<50} {:>10.2} €  {:>4} u.",
            rank + 1,
            p.name.as_deref().unwrap_or(&p.product_id),
            p.revenue,
            p.units
        );
    }
    println!("Stocks      {}", inventory.summary);
    println!("Clients     {}", acquisition.summary);
    println!("Paniers     {}", carts.summary);
    match &forecast {
        Ok(f) => println!("Prévision   {}", f.summary),
        Err(e) => println!("Prévision   indisponible : {e}"),
    }
    match &searches {
        Ok(s) => {
            println!("Recherches  {}", s.summary);
            for q in &s.zero_result_queries {
                println!(
                    "            sans résultat : « {} » ({}×)",
                    q.query, q.searches
                );
            }
        }
        Err(e) => println!("Recherches  indisponibles : {e}"),
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_days() {
        assert_eq!(parse_days("30d"), Ok(30));
        assert!(parse_days("30").is_err());
        assert!(parse_days("0d").is_err());
        assert!(parse_days("24h").is_err());
        assert_eq!(period_of(30), "month");
        assert_eq!(period_of(31), "quarter");
    }
}
