//! `vivr-search lexicon`: the words Claude proposed for the lexicon, and their review
//! (proposals, accept, reject, words, forget). Claude's
//! knowledge reaches the keystroke path only this way: a word it read as a category is counted
//! as a proposal (`proposals`); once accepted (`accept WORD`) it lives in the state database,
//! beside the bundled thesaurus, and every search parses it locally, without Claude. A running
//! server picks accepted words up at its next reload check.

use std::process::ExitCode;

use crate::config::Config;
use crate::search::Engine;
use crate::search::intent::LearntWord;
use crate::state::{LexiconWord, State};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// The proposed words, most frequent first.
    Proposals {
        /// Print JSON lines instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Accept a proposed word into the lexicon (as the category most proposals read it as).
    Accept {
        /// The word or phrase, as `proposals` lists it.
        word: String,
    },
    /// Reject a proposed word (its count starts again if Claude proposes it again).
    Reject {
        /// The word or phrase.
        word: String,
    },
    /// Remove an accepted word from the lexicon.
    Forget {
        /// The word or phrase, as `words` lists it.
        word: String,
    },
    /// The accepted words.
    Words {
        /// Print JSON lines instead of a table.
        #[arg(long)]
        json: bool,
    },
}

pub(crate) fn run(args: Args, config: &Config) -> anyhow::Result<ExitCode> {
    let state = State::open(&config.state_db_path())?;
    match args.action {
        Action::Proposals { json } => {
            let proposals = state.lexicon_proposals()?;
            if json {
                for p in &proposals {
                    let line = serde_json::json!({
                        "word": p.word, "category": p.category, "count": p.count,
                        "firstAt": when(p.first_at_ms), "lastAt": when(p.last_at_ms),
                    });
                    println!("{line}");
                }
            } else if proposals.is_empty() {
                println!("no proposals");
            } else {
                for p in &proposals {
                    println!(
                        "{:>5}  {:<30}  → {:<24}  last {}",
                        p.count,
                        p.word,
                        p.category,
                        when(p.last_at_ms)
                    );
                }
            }
        }
        Action::Accept { word } => {
            // The lexicon with every accepted word plus this one must compile: checked before
            // it is stored, so a bad word never stops an engine from starting.
            let accepted_before = learnt(&state.lexicon_words()?);
            let check = |word: &str, category: &str| {
                let mut all = accepted_before.clone();
                all.retain(|w| w.word != word);
                all.push(LearntWord {
                    word: word.to_owned(),
                    category: category.to_owned(),
                });
                crate::search::intent::Lexicon::with_learnt(&all).map(|_| ())
            };
            let accepted =
                state.accept_word(&word, chrono::Utc::now().timestamp_millis(), check)?;
            println!(
                "accepted {:?} → {}: searches read it without Claude from now on (a running server at its next reload check)",
                accepted.word, accepted.category
            );
        }
        Action::Reject { word } => {
            let removed = state.reject_word(&word)?;
            if removed == 0 {
                anyhow::bail!(
                    "no proposal for {word:?}: `vivr-search lexicon proposals` lists them"
                );
            }
            println!("rejected {word:?} ({removed} proposal(s) removed)");
        }
        Action::Forget { word } => {
            if !state.forget_word(&word)? {
                anyhow::bail!(
                    "{word:?} is not an accepted word: `vivr-search lexicon words` lists them"
                );
            }
            println!(
                "forgot {word:?}: searches no longer read it (a running server at its next reload check)"
            );
        }
        Action::Words { json } => {
            let words = state.lexicon_words()?;
            if json {
                for w in &words {
                    let line = serde_json::json!({
                        "word": w.word, "category": w.category, "acceptedAt": when(w.accepted_at_ms),
                    });
                    println!("{line}");
                }
            } else if words.is_empty() {
                println!("no accepted words");
            } else {
                for w in &words {
                    println!(
                        "{:<30}  → {:<24}  accepted {}",
                        w.word,
                        w.category,
                        when(w.accepted_at_ms)
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn when(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map_or_else(|| ms.to_string(), |d| d.to_rfc3339())
}

fn learnt(words: &[LexiconWord]) -> Vec<LearntWord> {
    words
        .iter()
        .map(|w| LearntWord {
            word: w.word.clone(),
            category: w.category.clone(),
        })
        .collect()
}

/// Parses the engine's queries with the accepted words of `state` when they differ from
/// `seen` (updated); returns whether they changed.
pub(crate) fn refresh(
    engine: &Engine,
    state: &State,
    seen: &mut Option<Vec<LexiconWord>>,
) -> anyhow::Result<bool> {
    let words = state.lexicon_words()?;
    if seen.as_ref() == Some(&words) {
        return Ok(false);
    }
    engine
        .set_learnt_words(&learnt(&words))
        .map_err(anyhow::Error::msg)?;
    if !words.is_empty() {
        tracing::info!(words = words.len(), "lexicon: accepted words loaded");
    }
    *seen = Some(words);
    Ok(true)
}
