//! The live sync against a real PostgreSQL (`tools/sync-check.sh` starts a throwaway cluster
//! and sets `VIVR_TEST_PG`; without it every test here says so and passes without running).
//! Each test works in a database of its own, filled by `tools/storefront/load.sh`.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use vivr_search::catalog::{Catalog, ImportOptions};
use vivr_search::config::SyncSettings;
use vivr_search::search::{Engine, SearchRequest};
use vivr_search::sync::{self, Publisher, Syncer};

/// The test cluster's base URL (a superuser), or `None` with one line saying why.
fn cluster() -> Option<String> {
    match std::env::var("VIVR_TEST_PG") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!(
                "skipping: VIVR_TEST_PG is not set (tools/sync-check.sh starts a PostgreSQL for these tests)"
            );
            None
        }
    }
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh database `name` on the cluster; its URL.
fn database(base: &str, name: &str) -> String {
    let mut admin = postgres::Client::connect(base, postgres::NoTls).unwrap();
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap();
    let (head, _) = base.rsplit_once('/').unwrap();
    format!("{head}/{name}")
}

/// The mini fixture with a user for every user id it names (the store's orders need them).
fn mini_export(dir: &Path) -> PathBuf {
    let export = common::copy_fixture("mini", dir);
    let users: Vec<String> = (0..5)
        .map(|i| {
            format!(
                r#"{{"id": "u{i}", "email": "u{i}@example.fr", "name": "Client {i}", "createdAt": "2026-01-01T00:00:00Z"}}"#
            )
        })
        .collect();
    let users: Vec<&str> = users.iter().map(String::as_str).collect();
    common::write(&export, "users.ndjson", &users);
    export
}

/// Runs a command to its end; it must succeed (its stderr says why not). Returns its output.
fn succeeds(cmd: &mut Command) -> std::process::Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Fills the store's database from an export with the project's loader.
fn load(url: &str, export: &Path) {
    succeeds(
        Command::new("bash")
            .arg(repo().join("tools/storefront/load.sh"))
            .arg(url)
            .arg(export),
    );
}

/// Runs a SQL file of the repository with psql, with `variables` (`name=value`).
fn psql_file(url: &str, file: &str, variables: &[&str]) {
    let mut cmd = Command::new("psql");
    cmd.args(["-q", "-v", "ON_ERROR_STOP=1"]);
    for v in variables {
        cmd.args(["-v", v]);
    }
    succeeds(cmd.args(["-d", url, "-f"]).arg(repo().join(file)));
}

fn store(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls).unwrap()
}

fn settings() -> SyncSettings {
    SyncSettings {
        interval_ms: 200,
        reconcile_secs: 3_600,
        ..SyncSettings::default()
    }
}

/// One sync and publish into the replica and index under `dir`, without the model.
fn sync_into(syncer: &mut Syncer, dir: &Path) -> sync::CycleOutcome {
    let catalog = Catalog::open(&dir.join("catalog.db")).unwrap();
    let index = dir.join("index");
    let publisher = Publisher {
        catalog: &catalog,
        index_dir: &index,
        embedder: None,
        options: Default::default(),
    };
    sync::cycle(syncer, &publisher, false).unwrap()
}

fn engine(dir: &Path) -> Engine {
    Engine::open_with(
        Catalog::open(&dir.join("catalog.db")).unwrap(),
        &dir.join("index"),
        None,
    )
    .unwrap()
}

fn ids(engine: &Engine, q: &str) -> Vec<String> {
    engine
        .search(&SearchRequest {
            q: q.to_owned(),
            limit: 50,
            ..Default::default()
        })
        .unwrap()
        .hits
        .into_iter()
        .map(|h| h.id)
        .collect()
}

/// A search's total and its first 100 hits' ids, sorted.
fn hits(engine: &Engine, q: &str) -> (usize, Vec<String>) {
    let response = engine
        .search(&SearchRequest {
            q: q.to_owned(),
            limit: 100,
            ..Default::default()
        })
        .unwrap();
    let mut ids: Vec<String> = response.hits.into_iter().map(|h| h.id).collect();
    ids.sort();
    (response.estimated_total_hits, ids)
}

/// Every data column of the replica's tables, in a fixed order (hashes and sequence numbers
/// left out): two replicas holding the same rows dump the same.
fn dump(db: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let queries = [
        "SELECT id, slug, name, parent_id, description, extra FROM categories ORDER BY id",
        "SELECT id, slug, name, description, price, compare_price, currency, stock, featured,
                category_id, images, brand, tags, attributes, created_at, updated_at, extra,
                rating_avg, rating_count, personalised, lead_time_days FROM products ORDER BY id",
        "SELECT id, product_id, user_id, rating, comment, created_at, extra FROM reviews ORDER BY id",
        "SELECT id, order_number, user_id, email, status, total, created_at, updated_at,
                shipping_postal_code, tracking_number, extra, shipping_country, carrier, paid_at,
                shipped_at, delivered_at, cancelled_at FROM orders ORDER BY id",
        "SELECT order_id, line, product_id, quantity, price FROM order_items ORDER BY order_id, line",
        "SELECT user_id, product_id, created_at FROM wishlists ORDER BY user_id, product_id",
        "SELECT id, email, name, created_at, extra FROM users ORDER BY id",
        "SELECT id, user_id, created_at, updated_at, order_id, units, value, items, extra
           FROM carts ORDER BY id",
    ];
    let mut rows = Vec::new();
    for sql in queries {
        let mut stmt = conn.prepare(sql).unwrap();
        let n = stmt.column_count();
        let mut q = stmt.query([]).unwrap();
        while let Some(row) = q.next().unwrap() {
            let values: Vec<String> = (0..n)
                .map(|i| match row.get::<_, rusqlite::types::Value>(i).unwrap() {
                    rusqlite::types::Value::Text(text) => text,
                    other => format!("{other:?}"),
                })
                .collect();
            rows.push(values.join("|"));
        }
    }
    rows
}

/// Two replicas hold the same rows; the first differences otherwise.
fn same_rows(a: &Path, b: &Path) {
    let (a, b) = (dump(a), dump(b));
    // The first rows that differ, by the columns that differ.
    let differ: Vec<Vec<(&str, &str)>> = a
        .iter()
        .zip(&b)
        .filter(|(x, y)| x != y)
        .take(3)
        .map(|(x, y)| {
            x.split('|')
                .zip(y.split('|'))
                .filter(|(c, d)| c != d)
                .collect()
        })
        .collect();
    assert!(differ.is_empty(), "first differences: {differ:#?}");
    assert_eq!(a.len(), b.len(), "rows");
}

#[test]
fn the_first_sync_equals_importing_the_same_export() {
    let Some(base) = cluster() else { return };
    let url = database(&base, "sync_equality");
    let export = repo().join("data/demo");
    load(&url, &export);

    let synced = tempfile::tempdir().unwrap();
    let mut syncer = Syncer::new(&url, &settings()).unwrap();
    let outcome = sync_into(&mut syncer, synced.path());
    assert!(outcome.sync.reconciled, "the first sync reads everything");
    assert!(
        outcome.sync.report.rejects.is_empty(),
        "{:?}",
        outcome.sync.report.rejects
    );
    assert!(outcome.published.is_some());

    let imported = tempfile::tempdir().unwrap();
    let catalog = Catalog::open(&imported.path().join("catalog.db")).unwrap();
    catalog.import(&export, ImportOptions::default()).unwrap();
    vivr_search::search::reindex(
        &catalog,
        &imported.path().join("index"),
        None,
        &Default::default(),
    )
    .unwrap();

    same_rows(
        &synced.path().join("catalog.db"),
        &imported.path().join("catalog.db"),
    );

    // The same hits. Their order among equal scores follows the documents' order in the index,
    // which the indexing threads do not fix: compare the sets and the counts.
    let (a, b) = (engine(synced.path()), engine(imported.path()));
    for q in [
        "lampe",
        "canapé velours",
        "table basse chêne",
        "miroir rond",
        "guirlande",
    ] {
        let (x, y) = (hits(&a, q), hits(&b, q));
        assert_eq!(x.0, y.0, "{q}: total");
        assert!(x.0 > 0, "{q}");
        if x.0 <= 100 {
            assert_eq!(x.1, y.1, "{q}");
        }
    }

    // Nothing changed: nothing read is applied, nothing is published.
    let again = sync_into(&mut syncer, synced.path());
    assert!(
        !again.sync.report.changed(),
        "{}",
        again.sync.report.summary()
    );
    assert_eq!(again.published, None);
}

#[test]
fn bad_rows_are_reported_and_the_replica_keeps_its_last_good_copy() {
    let Some(base) = cluster() else { return };
    let url = database(&base, "sync_bad_rows");
    let dir = tempfile::tempdir().unwrap();
    load(&url, &mini_export(dir.path()));
    let mut syncer = Syncer::new(&url, &settings()).unwrap();
    sync_into(&mut syncer, dir.path());

    let mut pg = store(&url);
    pg.batch_execute(
        r#"UPDATE "Product" SET price = -5, "updatedAt" = now() WHERE id = 'p01';
           UPDATE "Product" SET stock = 0, "updatedAt" = now() WHERE id = 'p03';
           INSERT INTO "Category" (id, slug, name, "updatedAt") VALUES ('c-bad', 'Pas Bon', 'Pas bon', now());
           INSERT INTO "Product" (id, slug, name, price, stock, "categoryId", "createdAt", "updatedAt")
             VALUES ('p99', 'lampe-orpheline', 'Lampe orpheline', 10, 1, 'c-bad', now(), now());"#,
    )
    .unwrap();
    let outcome = sync_into(&mut syncer, dir.path());
    let reasons: Vec<&str> = outcome
        .sync
        .report
        .rejects
        .iter()
        .map(|r| r.reason.as_str())
        .collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");

    let catalog = Catalog::open(&dir.path().join("catalog.db")).unwrap();
    let state = catalog.sync_state().unwrap();
    let errors: Vec<(&str, &str)> = state
        .errors
        .iter()
        .map(|e| (e.table.as_str(), e.id.as_str()))
        .collect();
    assert!(errors.contains(&("Product", "p01")), "{errors:?}");
    assert!(errors.contains(&("Product", "p99")), "{errors:?}");
    assert!(errors.contains(&("Category", "c-bad")), "{errors:?}");
    assert!(state.errors.iter().any(|e| e.reason.contains("price")));
    assert!(
        state
            .errors
            .iter()
            .any(|e| e.reason.contains("names no category"))
    );
    // The old copy of the bad product stays; the good row applied.
    assert_eq!(catalog.product("p01").unwrap().unwrap().price, 899.0);
    assert_eq!(catalog.product("p03").unwrap().unwrap().stock, 0);
    assert!(catalog.product("p99").unwrap().is_none());

    // Fixed at the source, the row applies and its error goes.
    pg.batch_execute(r#"UPDATE "Product" SET price = 850, "updatedAt" = now() WHERE id = 'p01'"#)
        .unwrap();
    sync_into(&mut syncer, dir.path());
    assert_eq!(catalog.product("p01").unwrap().unwrap().price, 850.0);
    let state = catalog.sync_state().unwrap();
    assert!(
        !state.errors.iter().any(|e| e.id == "p01"),
        "{:?}",
        state.errors
    );
}

#[test]
fn dependents_reviews_and_renamed_categories_reach_their_products() {
    let Some(base) = cluster() else { return };
    let url = database(&base, "sync_dependents");
    let dir = tempfile::tempdir().unwrap();
    load(&url, &mini_export(dir.path()));
    let mut syncer = Syncer::new(&url, &settings()).unwrap();
    sync_into(&mut syncer, dir.path());
    let before = engine(dir.path()).product("p01").unwrap();

    let mut pg = store(&url);
    pg.batch_execute(
        r#"INSERT INTO "Review" (id, "productId", "userId", rating, "createdAt", "updatedAt")
             VALUES ('r-new', 'p01', 'u3', 1, now(), now());
           UPDATE "Category" SET name = 'Sofas et canapés', "updatedAt" = now() WHERE id = 'c-canapes';"#,
    )
    .unwrap();
    let outcome = sync_into(&mut syncer, dir.path());
    assert!(outcome.published.is_some());
    let after = engine(dir.path());
    let p01 = after.product("p01").unwrap();
    assert_eq!(p01.product.review_count, before.product.review_count + 1);
    assert_ne!(p01.product.rating, before.product.rating);
    assert!(
        p01.category_path
            .iter()
            .any(|c| c.name == "Sofas et canapés"),
        "{:?}",
        p01.category_path
    );
    // The new name is searchable.
    assert!(ids(&after, "sofas").contains(&"p01".to_owned()));
}

#[test]
fn a_commit_later_than_a_newer_one_is_still_synced() {
    let Some(base) = cluster() else { return };
    for triggers in [false, true] {
        let name = format!("sync_late_{triggers}");
        let url = database(&base, &name);
        let dir = tempfile::tempdir().unwrap();
        load(&url, &mini_export(dir.path()));
        if triggers {
            psql_file(&url, "tools/storefront/triggers.sql", &[]);
        }
        let mut syncer = Syncer::new(&url, &settings()).unwrap();
        sync_into(&mut syncer, dir.path());

        // A long transaction stamps p02 first, a short one stamps p03 later and commits
        // first; a sync runs between the two commits.
        let mut long = store(&url);
        let mut long_tx = long.transaction().unwrap();
        long_tx
            .batch_execute(r#"UPDATE "Product" SET price = 111, "updatedAt" = now() - interval '2 seconds' WHERE id = 'p02'"#)
            .unwrap();
        store(&url)
            .batch_execute(
                r#"UPDATE "Product" SET price = 222, "updatedAt" = now() WHERE id = 'p03'"#,
            )
            .unwrap();
        sync_into(&mut syncer, dir.path());
        let catalog = Catalog::open(&dir.path().join("catalog.db")).unwrap();
        assert_eq!(
            catalog.product("p03").unwrap().unwrap().price,
            222.0,
            "triggers: {triggers}"
        );
        long_tx.commit().unwrap();
        sync_into(&mut syncer, dir.path());
        assert_eq!(
            catalog.product("p02").unwrap().unwrap().price,
            111.0,
            "the late commit arrives (triggers: {triggers})"
        );
    }
}

#[test]
fn deletes_arrive_by_tombstones_with_triggers_and_by_reconcile_without() {
    let Some(base) = cluster() else { return };
    for triggers in [true, false] {
        let url = database(&base, &format!("sync_deletes_{triggers}"));
        let dir = tempfile::tempdir().unwrap();
        load(&url, &mini_export(dir.path()));
        if triggers {
            psql_file(&url, "tools/storefront/triggers.sql", &[]);
        }
        let mut syncer = Syncer::new(&url, &settings()).unwrap();
        sync_into(&mut syncer, dir.path());
        let catalog = Catalog::open(&dir.path().join("catalog.db")).unwrap();
        assert!(catalog.product("p05").unwrap().is_some());

        let mut pg = store(&url);
        pg.batch_execute(
            r#"DELETE FROM "Product" WHERE id = 'p05';
               UPDATE "Product" SET "deletedAt" = now(), "updatedAt" = now() WHERE id = 'p06';"#,
        )
        .unwrap();
        let outcome = sync_into(&mut syncer, dir.path());
        assert_eq!(outcome.sync.triggers, triggers);
        assert!(
            catalog.product("p06").unwrap().is_none(),
            "a soft delete arrives at once"
        );
        if triggers {
            assert!(
                catalog.product("p05").unwrap().is_none(),
                "the tombstone deletes it"
            );
        } else {
            assert!(
                catalog.product("p05").unwrap().is_some(),
                "without tombstones, a hard delete waits for the reconcile"
            );
            let catalog_path = dir.path().join("catalog.db");
            let publisher = Publisher {
                catalog: &catalog,
                index_dir: &dir.path().join("index"),
                embedder: None,
                options: Default::default(),
            };
            let outcome = sync::cycle(&mut syncer, &publisher, true).unwrap();
            assert!(outcome.sync.reconciled);
            assert!(
                Catalog::open(&catalog_path)
                    .unwrap()
                    .product("p05")
                    .unwrap()
                    .is_none()
            );
        }
        let engine = engine(dir.path());
        for gone in ["p05", "p06"] {
            assert!(
                !ids(&engine, "").contains(&gone.to_owned()),
                "{gone} left the index"
            );
        }
    }
}

/// A `vivr-search serve --sync-from` child, killed when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn vivr(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vivr-search"));
    cmd.arg("--db")
        .arg(dir.join("catalog.db"))
        .arg("--index-dir")
        .arg(dir.join("index"))
        .env("RUST_LOG", "warn")
        .env("VIVR_MODELS_DIR", dir.join("no-models"))
        .env_remove("VIVR_CONFIG")
        .env_remove("VIVR_SYNC_DATABASE_URL");
    cmd
}

fn serve(dir: &Path, url: &str, interval: &str) -> Server {
    use std::io::BufRead;
    let mut child = vivr(dir)
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--sync-from",
            url,
            "--sync-interval",
            interval,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();
    Server { child, base }
}

fn get(base: &str, path: &str) -> (u16, serde_json::Value) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let response = reqwest::get(format!("{base}{path}")).await.unwrap();
        let status = response.status().as_u16();
        (
            status,
            response.json().await.unwrap_or(serde_json::Value::Null),
        )
    })
}

fn search(base: &str, q: &str) -> (u16, serde_json::Value) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let response = reqwest::Client::new()
            .post(format!("{base}/v1/search"))
            .json(&serde_json::json!({"q": q, "limit": 50, "mode": "instant"}))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (
            status,
            response.json().await.unwrap_or(serde_json::Value::Null),
        )
    })
}

/// Polls until `check` holds, at most 30 s; the time it took.
fn eventually(what: &str, mut check: impl FnMut() -> bool) -> Duration {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if check() {
            return started.elapsed();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{what}: not within 30 s");
}

fn hit<'a>(reply: &'a serde_json::Value, id: &str) -> Option<&'a serde_json::Value> {
    reply["hits"].as_array()?.iter().find(|h| h["id"] == id)
}

#[test]
fn a_watching_server_starts_empty_and_serves_each_change_without_a_restart() {
    let Some(base) = cluster() else { return };
    let url = database(&base, "sync_serve");
    let dir = tempfile::tempdir().unwrap();
    load(&url, &mini_export(dir.path()));
    let mut pg = store(&url);
    // Held so that the first sync waits: the server must answer meanwhile.
    let mut lock = store(&url);
    let mut lock_tx = lock.transaction().unwrap();
    lock_tx
        .batch_execute(r#"LOCK TABLE "Product" IN ACCESS EXCLUSIVE MODE"#)
        .unwrap();

    let server = serve(dir.path(), &url, "200ms");
    let (status, body) = search(&server.base, "canapé");
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["code"], "index_building");
    let (status, health) = get(&server.base, "/health");
    assert_eq!(status, 200);
    assert_eq!(health["indexBuilding"], true, "{health}");
    lock_tx.rollback().unwrap();

    eventually("the first generation", || {
        search(&server.base, "canapé").0 == 200
    });
    assert!(hit(&search(&server.base, "oslo").1, "p01").is_some());

    let price = |reply: &serde_json::Value| hit(reply, "p01").map(|h| h["price"].clone());
    pg.batch_execute(r#"UPDATE "Product" SET price = 799, "updatedAt" = now() WHERE id = 'p01'"#)
        .unwrap();
    eventually("the new price", || {
        price(&search(&server.base, "oslo").1) == Some(799.0.into())
    });
    pg.batch_execute(r#"UPDATE "Product" SET name = 'Canapé d''angle Bergen en velours', "updatedAt" = now() WHERE id = 'p01'"#).unwrap();
    eventually("the new name", || {
        hit(&search(&server.base, "bergen").1, "p01").is_some()
    });
    pg.batch_execute(r#"UPDATE "Product" SET stock = 0, "updatedAt" = now() WHERE id = 'p01'"#)
        .unwrap();
    eventually("the new stock", || {
        hit(&search(&server.base, "bergen").1, "p01")
            .is_some_and(|h| h["inStock"] == false || h["stock"] == 0)
    });
    pg.batch_execute(
        r#"INSERT INTO "Product" (id, slug, name, price, stock, "categoryId", "createdAt", "updatedAt")
             VALUES ('p77', 'lampadaire-zephyr', 'Lampadaire Zéphyr', 149, 3, 'c-lampes', now(), now())"#,
    )
    .unwrap();
    eventually("the new product", || {
        hit(&search(&server.base, "zephyr").1, "p77").is_some()
    });
    pg.batch_execute(
        r#"UPDATE "Product" SET "deletedAt" = now(), "updatedAt" = now() WHERE id = 'p77'"#,
    )
    .unwrap();
    eventually("the deleted product gone", || {
        let (status, reply) = search(&server.base, "zephyr");
        status == 200 && hit(&reply, "p77").is_none()
    });

    let (_, health) = get(&server.base, "/health");
    assert_eq!(health["sync"]["status"], "ok", "{health}");
    assert!(!health.to_string().contains(&url), "the URL is never shown");
    let metrics = {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            reqwest::get(format!("{}/metrics", server.base))
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        })
    };
    for name in [
        "vivr_sync_lag_seconds",
        "vivr_sync_rows_applied_total{table=\"products\"}",
        "vivr_sync_errors_total",
        "vivr_sync_last_success_timestamp_seconds",
    ] {
        assert!(metrics.contains(name), "{name} in {metrics}");
    }
}

#[test]
fn the_notify_trigger_wakes_the_watcher_before_its_interval() {
    let Some(base) = cluster() else { return };
    let url = database(&base, "sync_notify");
    let dir = tempfile::tempdir().unwrap();
    load(&url, &mini_export(dir.path()));
    psql_file(&url, "tools/storefront/triggers.sql", &[]);
    let server = serve(dir.path(), &url, "60s");
    eventually("the first generation", || {
        search(&server.base, "oslo").0 == 200
    });
    // Let the watcher start listening after its first sync.
    eventually("the triggers seen", || {
        get(&server.base, "/health").1["sync"]["triggers"] == true
    });
    std::thread::sleep(Duration::from_millis(300));
    store(&url)
        .batch_execute(r#"UPDATE "Product" SET price = 555 WHERE id = 'p01'"#)
        .unwrap();
    // Far less than the 60 s interval: the notification woke it.
    eventually("the notified change", || {
        hit(&search(&server.base, "oslo").1, "p01").is_some_and(|h| h["price"] == 555.0)
    });
}

#[test]
fn a_killed_sync_resumes_from_its_watermark_and_loses_nothing() {
    let Some(base) = cluster() else { return };
    let url = database(&base, "sync_kill");
    let export = repo().join("data/demo");
    load(&url, &export);
    let dir = tempfile::tempdir().unwrap();
    let mut child = vivr(dir.path())
        .args(["sync", "--once", "--database-url", &url])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    let _ = child.kill();
    let _ = child.wait();
    // One transaction: a killed sync left all of the store or none of it.
    if let Ok(catalog) = Catalog::open(&dir.path().join("catalog.db")) {
        let products = catalog.product_count().unwrap();
        assert!(products == 0 || products == 2400, "{products} products");
    }
    let out = succeeds(vivr(dir.path()).args(["sync", "--once", "--database-url", &url]));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("password"));

    let imported = tempfile::tempdir().unwrap();
    let catalog = Catalog::open(&imported.path().join("catalog.db")).unwrap();
    catalog.import(&export, ImportOptions::default()).unwrap();
    same_rows(
        &dir.path().join("catalog.db"),
        &imported.path().join("catalog.db"),
    );
    // And the restart published what the killed one may not have.
    assert_eq!(engine(dir.path()).health().unwrap().index.products, 2400);
}

#[test]
fn wrong_credentials_degrade_without_showing_the_password() {
    let Some(base) = cluster() else { return };
    let url = database(&base, "sync_credentials");
    // The test cluster trusts its users: an unknown role is the refusal it can give.
    let (head, db) = url.rsplit_once('/').unwrap();
    let host = head.rsplit_once('@').unwrap().1;
    let wrong = format!("postgres://vivr_wrong:s3cret-pw@{host}/{db}");
    let mut syncer = Syncer::new(&wrong, &settings()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::open(&dir.path().join("catalog.db")).unwrap();
    let error = syncer.sync_once(&catalog, false).unwrap_err().to_string();
    assert!(!error.contains("s3cret-pw"), "{error}");
    assert!(error.contains("vivr_wrong@"), "{error}");
    let error = Syncer::new("postgres://a:s3cret-pw@[bad", &settings())
        .err()
        .unwrap()
        .to_string();
    assert!(!error.contains("s3cret-pw"), "{error}");
}

/// Runs the test cluster's control script (`VIVR_TEST_PG_CTL stop|start`).
fn pg_ctl(ctl: &str, action: &str) {
    let status = Command::new("bash")
        .arg("-c")
        .arg(format!("{ctl} {action}"))
        .status()
        .unwrap();
    assert!(status.success(), "{ctl} {action}");
}

/// Stops the shared cluster: `tools/sync-check.sh` runs the `alone_` tests one at a time,
/// after the others.
#[test]
fn alone_outage_the_server_keeps_serving_and_catches_up() {
    let Some(base) = cluster() else { return };
    let Ok(ctl) = std::env::var("VIVR_TEST_PG_CTL") else {
        eprintln!("skipping: VIVR_TEST_PG_CTL is not set (tools/sync-check.sh sets it)");
        return;
    };
    let url = database(&base, "sync_outage");
    let dir = tempfile::tempdir().unwrap();
    load(&url, &mini_export(dir.path()));
    let server = serve(dir.path(), &url, "200ms");
    eventually("the first generation", || {
        search(&server.base, "oslo").0 == 200
    });

    pg_ctl(&ctl, "stop");
    eventually("degraded", || {
        let (_, health) = get(&server.base, "/health");
        health["sync"]["status"] == "degraded"
    });
    let (status, reply) = search(&server.base, "oslo");
    assert_eq!(status, 200, "searches go on from the live generation");
    assert!(hit(&reply, "p01").is_some());
    let (_, health) = get(&server.base, "/health");
    assert!(
        health["sync"]["reason"]
            .as_str()
            .is_some_and(|r| !r.is_empty()),
        "{health}"
    );
    assert!(!health.to_string().contains(&url));

    pg_ctl(&ctl, "start");
    store(&url)
        .batch_execute(r#"UPDATE "Product" SET price = 123, "updatedAt" = now() WHERE id = 'p01'"#)
        .unwrap();
    eventually("recovered with the change", || {
        hit(&search(&server.base, "oslo").1, "p01").is_some_and(|h| h["price"] == 123.0)
    });
    eventually("ok again", || {
        get(&server.base, "/health").1["sync"]["status"] == "ok"
    });
}

fn openssl(dir: &Path, args: &[&str]) {
    succeeds(Command::new("openssl").args(args).current_dir(dir));
}

/// Turns TLS on in the shared cluster (a sync whose URL does not ask for TLS would still try
/// it, and refuse the test's authority): run alone, like the outage.
#[test]
fn alone_tls_is_used_when_the_url_asks_and_the_server_is_verified() {
    let Some(base) = cluster() else { return };
    if Command::new("openssl").arg("version").output().is_err() {
        eprintln!("skipping: openssl is not installed (it makes the test's certificates)");
        return;
    }
    // A certificate authority of the test's own and a server certificate for 127.0.0.1, read
    // by the cluster's user.
    let certs = tempfile::tempdir().unwrap();
    let dir = certs.path();
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=vivr test CA",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
    );
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ],
    );
    let mut admin = store(&base);
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(
        dir.join("server.key"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    std::fs::set_permissions(
        dir.join("server.pem"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    // The server runs as `postgres` when the tests run as root.
    let _ = Command::new("chown")
        .args(["postgres"])
        .arg(dir.join("server.key"))
        .arg(dir.join("server.pem"))
        .status();
    // ALTER SYSTEM runs alone, outside any transaction block.
    let system = |admin: &mut postgres::Client, statements: &[String]| {
        for statement in statements {
            admin.batch_execute(statement).unwrap();
        }
        admin.batch_execute("SELECT pg_reload_conf()").unwrap();
    };
    system(
        &mut admin,
        &[
            format!(
                "ALTER SYSTEM SET ssl_cert_file = '{}'",
                dir.join("server.pem").display()
            ),
            format!(
                "ALTER SYSTEM SET ssl_key_file = '{}'",
                dir.join("server.key").display()
            ),
            "ALTER SYSTEM SET ssl = on".to_owned(),
        ],
    );
    std::thread::sleep(Duration::from_millis(500));
    let off = |admin: &mut postgres::Client| {
        system(
            admin,
            &[
                "ALTER SYSTEM RESET ssl",
                "ALTER SYSTEM RESET ssl_cert_file",
                "ALTER SYSTEM RESET ssl_key_file",
            ]
            .map(str::to_owned),
        );
    };

    let url = database(&base, "sync_tls");
    let work = tempfile::tempdir().unwrap();
    load(&url, &mini_export(work.path()));
    let tls_url = format!("{url}?sslmode=require");
    // Trusting the test's authority: the sync connects over TLS.
    let trusting = SyncSettings {
        tls_ca_file: Some(dir.join("ca.pem")),
        ..settings()
    };
    let mut syncer = Syncer::new(&tls_url, &trusting).unwrap();
    let outcome = sync_into(&mut syncer, work.path());
    let encrypted: i64 = admin
        .query_one(
            "SELECT count(*) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid)
              WHERE ssl AND application_name = 'vivr-search sync'",
            &[],
        )
        .unwrap()
        .get(0);
    // Not trusting it (only the public web roots): the server is refused.
    let mut doubting = Syncer::new(&tls_url, &settings()).unwrap();
    let catalog = Catalog::open(&work.path().join("other.db")).unwrap();
    let refused = doubting
        .sync_once(&catalog, false)
        .map(|_| ())
        .unwrap_err()
        .to_string();
    off(&mut admin);
    assert_eq!(outcome.sync.report.products.inserted, 15);
    assert!(encrypted >= 1, "the sync's connection is encrypted");
    assert!(refused.to_lowercase().contains("certificate"), "{refused}");
}

#[test]
fn a_store_with_its_own_names_syncs_by_configuration_as_the_read_only_role() {
    let Some(base) = cluster() else { return };
    let url = database(&base, "sync_names");
    let dir = tempfile::tempdir().unwrap();
    load(&url, &mini_export(dir.path()));
    // This store keeps its products elsewhere, under other names, and has no cost column.
    let mut pg = store(&url);
    pg.batch_execute(
        r#"CREATE SCHEMA boutique;
           ALTER TABLE "Product" SET SCHEMA boutique;
           ALTER TABLE boutique."Product" RENAME TO produits;
           ALTER TABLE boutique.produits RENAME COLUMN price TO prix;
           ALTER TABLE boutique.produits DROP COLUMN cost;"#,
    )
    .unwrap();
    // The documented read-only role, which may read the other schema too.
    psql_file(
        &url,
        "tools/storefront/readonly-role.sql",
        &["password=ro-secret"],
    );
    pg.batch_execute(
        "GRANT USAGE ON SCHEMA boutique TO vivr_sync;
         GRANT SELECT ON ALL TABLES IN SCHEMA boutique TO vivr_sync;",
    )
    .unwrap();
    let config = dir.path().join("vivr.toml");
    std::fs::write(
        &config,
        "[sync.tables.products]\ntable = \"boutique.produits\"\ncolumns = { price = \"prix\", cost = \"\" }\n",
    )
    .unwrap();
    let (head, db) = url.rsplit_once('/').unwrap();
    let host = head.rsplit_once('@').unwrap().1;
    let read_only = format!("postgres://vivr_sync:ro-secret@{host}/{db}");
    let sync = || {
        succeeds(vivr(dir.path()).arg("--config").arg(&config).args([
            "sync",
            "--once",
            "--database-url",
            &read_only,
        ]));
    };
    sync();
    let catalog = Catalog::open(&dir.path().join("catalog.db")).unwrap();
    assert_eq!(catalog.product_count().unwrap(), 15);
    assert_eq!(catalog.product("p01").unwrap().unwrap().price, 899.0);
    pg.batch_execute(
        r#"UPDATE boutique.produits SET prix = 5, "updatedAt" = now() WHERE id = 'p01'"#,
    )
    .unwrap();
    sync();
    assert_eq!(catalog.product("p01").unwrap().unwrap().price, 5.0);
    // The role cannot write, whatever the sync would try.
    let mut ro = store(&read_only);
    assert!(
        ro.batch_execute(r#"UPDATE "Category" SET name = 'x'"#)
            .is_err()
    );

    // `sync --status` shows where the sync stands.
    let out = vivr(dir.path())
        .args(["sync", "--status", "--json"])
        .output()
        .unwrap();
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(status["lastSuccess"].is_string(), "{status}");
    assert!(status["watermarks"]["products"].is_array(), "{status}");
    assert_eq!(status["errorCount"], 0);
}
