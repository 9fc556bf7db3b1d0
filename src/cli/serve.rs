//! `vivr-search serve`: the HTTP API on 127.0.0.1:7700 by default, reloading new generations
//! as reindex publishes them, shutting down gracefully on ctrl-c or SIGTERM.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::api::{self, AppState};
use crate::catalog::Catalog;
use crate::config::Config;
use crate::llm::Claude;
use crate::search::Mode;
use crate::sync::SyncStatus;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Address to bind (default 127.0.0.1:7700, or $VIVR_BIND).
    #[arg(long)]
    bind: Option<SocketAddr>,
    /// Follow the storefront's PostgreSQL while serving: postgres://user:password@host/db.
    /// Searches go on from the live generation while the next one builds.
    #[arg(long, value_name = "URL")]
    sync_from: Option<String>,
    /// Follow the database of the configuration ([sync] database_url or
    /// $VIVR_SYNC_DATABASE_URL), which keeps its password off the command line.
    #[arg(long, conflicts_with = "sync_from")]
    sync: bool,
    /// Time between two syncs: 5s, 500ms, 1m (default: [sync] interval_ms).
    #[arg(long, value_name = "DURATION", value_parser = super::sync::parse_duration)]
    sync_interval: Option<std::time::Duration>,
}

impl Args {
    pub(crate) fn apply(&self, config: &mut Config) {
        if let Some(bind) = self.bind {
            config.bind = bind;
        }
        if let Some(url) = &self.sync_from {
            config.sync.database_url = Some(url.clone());
        }
        if let Some(interval) = self.sync_interval {
            config.sync.interval_ms = interval.as_millis().max(1) as u64;
        }
    }

    /// Whether to sync while serving.
    fn syncs(&self) -> bool {
        self.sync_from.is_some() || self.sync
    }
}

pub(crate) fn run(args: Args, config: &Config) -> anyhow::Result<ExitCode> {
    let syncer = match (args.syncs(), &config.sync.database_url) {
        (false, _) => None,
        (true, Some(url)) => Some(crate::sync::Syncer::new(url, &config.sync)?),
        (true, None) => {
            anyhow::bail!("--sync needs a database: [sync] database_url or VIVR_SYNC_DATABASE_URL")
        }
    };
    if syncer.is_some() {
        first_generation(config)?;
    }
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
    let stop_sync = Arc::new(AtomicBool::new(false));
    let state = match syncer {
        Some(syncer) => {
            let status = Arc::new(SyncStatus::new(syncer.target()));
            spawn_sync(
                syncer,
                engine.clone(),
                config,
                status.clone(),
                stop_sync.clone(),
            )?;
            state.with_sync(status)
        }
        None => state,
    };
    let limits = api::ConnectionLimits::from(config);
    runtime.block_on(async {
        match &config.store.support_webhook_url {
            Some(url) => {
                tracing::info!("support tickets are delivered to SUPPORT_WEBHOOK_URL");
                tokio::spawn(crate::state::run_ticket_outbox(state_db.clone(), url.clone()));
            }
            None => tracing::info!(
                "no SUPPORT_WEBHOOK_URL: tickets stay in the state database (vivr-search tickets)"
            ),
        }
        // The FAQ's semantic layer, embedded before the first question asks for it.
        let faq_engine = engine.clone();
        tokio::task::spawn_blocking(move || {
            // The reference names of honest empty answers first: a search may need them.
            faq_engine.prepare_references();
            faq_engine.prepare_faq();
        });
        if config.reload_poll_secs > 0 {
            let every = Duration::from_secs(config.reload_poll_secs);
            let lexicon_state = state_db.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(every);
                // The accepted lexicon words (`vivr-search lexicon accept`), checked with the
                // generation.
                let seen = Arc::new(std::sync::Mutex::new(None));
                loop {
                    tick.tick().await;
                    let (engine, state, seen) =
                        (engine.clone(), lexicon_state.clone(), seen.clone());
                    match tokio::task::spawn_blocking(move || {
                        let mut seen = seen.lock().unwrap_or_else(|p| p.into_inner());
                        if let Err(e) = super::lexicon::refresh(&engine, &state, &mut seen) {
                            tracing::warn!(error = %e, "lexicon words not reloaded");
                        }
                        engine.reload()
                    })
                    .await
                    {
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
    stop_sync.store(true, Ordering::Relaxed);
    Ok(ExitCode::SUCCESS)
}

/// On an empty replica without a generation, an empty one, so that the server starts at once:
/// searches answer 503 `index_building` until the first sync is published.
fn first_generation(config: &Config) -> anyhow::Result<()> {
    if crate::index::live_generation_dir(&config.index_dir).is_ok() {
        return Ok(());
    }
    let catalog = Catalog::open(&config.db)?;
    if catalog.watermark()?.import_seq != 0 {
        return Ok(()); // A filled replica needs its real generation: `reindex` says so.
    }
    tracing::info!("empty replica: serving 503 index_building until the first sync is live");
    crate::search::reindex(
        &catalog,
        &config.index_dir,
        None,
        &crate::index::ReindexOptions::default(),
    )?;
    Ok(())
}

/// The sync's watch on its own thread (the PostgreSQL client and the rebuild block), over the
/// engine's replica and model; each generation it publishes is loaded at once.
fn spawn_sync(
    mut syncer: crate::sync::Syncer,
    engine: Arc<crate::search::Engine>,
    config: &Config,
    status: Arc<SyncStatus>,
    stop: Arc<AtomicBool>,
) -> anyhow::Result<()> {
    let index_dir = config.index_dir.clone();
    let popularity_days = config.popularity_days;
    tracing::info!(source = %syncer.target(), every_ms = config.sync.interval_ms, "syncing from the store's database");
    std::thread::Builder::new()
        .name("sync".to_owned())
        .spawn(move || {
            let publisher = crate::sync::Publisher {
                catalog: engine.catalog(),
                index_dir: &index_dir,
                embedder: engine.embedder(),
                options: crate::index::ReindexOptions {
                    cancel: Some(&stop),
                    popularity_days,
                    ..Default::default()
                },
            };
            crate::sync::watch(&mut syncer, &publisher, &status, &stop, &|generation| {
                match engine.reload() {
                    Ok(_) => tracing::info!(generation, "sync published; serving it"),
                    Err(e) => tracing::warn!(generation, error = %e, "sync published a generation that does not load"),
                }
            });
        })?;
    Ok(())
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
