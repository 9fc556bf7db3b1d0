//! `vivr-search backup DIR`: a consistent copy of the state database (tickets...), taken with
//! SQLite's online backup while the server may be writing. The replica and the index need no
//! backup: they are rebuilt from the store.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::Config;
use crate::state::State;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The folder to write `state.db` into (created if missing; an existing copy is replaced).
    dir: PathBuf,
}

pub(crate) fn run(args: Args, config: &Config) -> anyhow::Result<ExitCode> {
    let source = config.state_db_path();
    let state = State::open(&source)?;
    std::fs::create_dir_all(&args.dir)?;
    let dest = args.dir.join("state.db");
    state.backup(&dest)?;
    println!("{} copied to {}", source.display(), dest.display());
    Ok(ExitCode::SUCCESS)
}
