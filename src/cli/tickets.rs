//! `vivr-search tickets`: the support tickets of the state database, newest first.

use std::process::ExitCode;

use crate::config::Config;
use crate::state::{State, Ticket};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Only tickets with this status (`open`).
    #[arg(long)]
    status: Option<String>,
    /// Print JSON lines instead of a table.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: Args, config: &Config) -> anyhow::Result<ExitCode> {
    let state = State::open(&config.state_db_path())?;
    let tickets = state.tickets(args.status.as_deref())?;
    if args.json {
        for t in &tickets {
            println!("{}", json(t));
        }
    } else if tickets.is_empty() {
        println!("no tickets");
    } else {
        for t in &tickets {
            let when = chrono::DateTime::from_timestamp(t.created_at, 0)
                .map_or_else(|| t.created_at.to_string(), |d| d.to_rfc3339());
            println!(
                "{}  {}  {:<6}  {:<4}  {}",
                t.id,
                when,
                t.priority.as_str(),
                t.status,
                t.reason.replace('\n', " ")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn json(t: &Ticket) -> serde_json::Value {
    serde_json::json!({
        "ticketId": t.id,
        "conversationId": t.conversation_id,
        "reason": t.reason,
        "priority": t.priority.as_str(),
        "status": t.status,
        "createdAt": chrono::DateTime::from_timestamp(t.created_at, 0).map(|d| d.to_rfc3339()),
    })
}
