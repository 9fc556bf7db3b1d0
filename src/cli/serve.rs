//! `vivr-search serve`: the HTTP API on 127.0.0.1:7700 by default, reloading new generations
//! as reindex publishes them, shutting down gracefully on ctrl-c or SIGTERM.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use crate::api::{self, AppState};
use crate::catalog::Catalog;
use crate::config::Config;
use crate::llm::Claude;
use crate::search::Mode;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Address to bind (default 127.0.0.1:7700, or $VIVR_BIND).
    #[arg(long)]
    bind: Option<SocketAddr>,
}

impl Args {
    pub(crate) fn apply(&self, config: &mut Config) {
        if let Some(bind) = self.bind {
            config.bind = bind;
        }
    }
}

pub(crate) fn run(_args: Args, config: &Config) -> anyhow::Result<ExitCode> {
    let engine = Arc::new(super::engine(config, Mode::Full)?);
    match (&config.llm.api_key, config.llm.enable_search) {
        (None, _) => tracing::info!("no ANTHROPIC_API_KEY: searches are local only"),
        (Some(_), false) => tracing::info!("ENABLE_AI_SEARCH is off: searches are local only"),
        (Some(_), true) => tracing::info!(
            model = %config.llm.model,
            base_url = %config.llm.base_url,
            "Claude refines submitted searches"
        ),
    }
    let claude = Arc::new(Claude::new(
        config.llm.clone(),
        Some(Catalog::open(&config.db)?),
    ));
    // The engine's own data (tickets): opened before serving, so that a broken file stops
    // the start rather than the first escalation.
    let state_db = Arc::new(crate::state::State::open(&config.state_db_path())?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    // The state's recorder spawns its writer on the runtime.
    let entered = runtime.enter();
    let state = AppState::new(engine.clone(), claude, config).with_state_db(state_db.clone());
    drop(entered);
    let limits = api::ConnectionLimits::from(config);
    runtime.block_on(async {
        match &config.store.support_webhook_url {
            Some(url) => {
                tracing::info!("support tickets are delivered to SUPPORT_WEBHOOK_URL");
                tokio::spawn(crate::state::run_ticket_outbox(state_db, url.clone()));
            }
            None => tracing::info!(
                "no SUPPORT_WEBHOOK_URL: tickets stay in the state database (vivr-search tickets)"
            ),
        }
        // The FAQ's semantic layer, embedded before the first question asks for it.
        let faq_engine = engine.clone();
        tokio::task::spawn_blocking(move || faq_engine.prepare_faq());
        if config.reload_poll_secs > 0 {
            let every = Duration::from_secs(config.reload_poll_secs);
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(every);
                loop {
                    tick.tick().await;
                    let engine = engine.clone();
                    match tokio::task::spawn_blocking(move || engine.reload()).await {
                        Ok(Err(e)) => tracing::warn!(error = %e, "reload check failed; still serving the current generation"),
                        Err(e) => tracing::warn!(error = %e, "reload task failed"),
                        Ok(Ok(_)) => {}
                    }
                }
            });
        }
        let listener = tokio::net::TcpListener::bind(config.bind).await?;
        let addr = listener.local_addr()?;
        tracing::info!(%addr, "serving");
        // One plain line on stdout, for scripts and tests that bind port 0.
        println!("listening on http://{addr}");
        api::serve(listener, api::router(state), limits, shutdown_signal()).await?;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Resolves on ctrl-c or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}
