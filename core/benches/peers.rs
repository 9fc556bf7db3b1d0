//! This engine beside the tools a store would otherwise use, on the same catalog and the same
//! queries: PostgreSQL full-text search (`french` configuration with `unaccent`, a GIN index,
//! `ts_rank`, plus `pg_trgm` word similarity on names for typos), SQLite FTS5 (`unicode61`
//! without diacritics, BM25, words OR-ed), and this engine in-process and over HTTP (`instant`
//! mode, 20 hits, highlights on, facets off: what the search bar asks).
//!
//! Run by `tools/bench-peers.sh`, which starts PostgreSQL and runs one peer per process (so
//! each peer's memory is its own):
//!
//!     cargo bench --bench peers -- engine|http|fts5|postgres
//!
//! For each peer, one JSON line in `target/bench-peers.jsonl`: build time (from the replica
//! for the engine and FTS5, from rows for PostgreSQL) and size on disk, p50/p99 over rounds of
//! the query mix (one client), queries per second (two clients, closed loop, the peer and the
//! clients sharing the 2 cores), memory (proportional set size of the peer's processes), and
//! the zero-result rate on the misspelled queries (`benches/misspelled.txt`).

mod fixture;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use vivr_search_core::catalog::{Catalog, Product, strip_html};
use vivr_search_core::eval::Fts5Peer;
use vivr_search_core::search::{Engine, Mode, SearchRequest};

/// Hits asked of every peer.
const LIMIT: usize = 20;
/// Rounds of the query mix for the latency percentiles.
const ROUNDS: usize = 10;
/// Clients of the throughput run (the machine's 2 cores).
const CLIENTS: usize = 2;

/// One client of a peer: searches a text, returns the number of hits.
type Client = Box<dyn FnMut(&str) -> usize + Send>;

/// What a peer reports besides its query figures.
struct Built {
    build_s: f64,
    disk_bytes: u64,
    /// Opens one more client.
    connect: Box<dyn Fn() -> Client + Sync>,
    /// Processes whose memory counts (the peer's own server processes, else this one).
    pids: Box<dyn Fn() -> Vec<String>>,
    notes: String,
}

fn work_dir(label: &str) -> PathBuf {
    let dir = fixture::manifest_dir()
        .join("target/bench-peers")
        .join(label);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Proportional set size of processes, in MiB (shared pages split between their users, so
/// PostgreSQL's shared buffers count once).
fn pss_mib(pids: &[String]) -> f64 {
    pids.iter()
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok())
        .filter_map(|s| {
            s.lines()
                .find(|l| l.starts_with("Pss:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .sum::<f64>()
        / 1024.0
}

/// The replica and index of a fresh engine build (import, then text reindex), built by the
/// `engine` peer and served by the `http` peer.
fn engine_paths(label: &str) -> (PathBuf, PathBuf) {
    let dir = work_dir(label).join("engine");
    (dir.join("catalog.db"), dir.join("index"))
}

fn build_engine(scale: fixture::Scale, label: &str) -> f64 {
    let (db, index_dir) = engine_paths(label);
    let _ = std::fs::remove_dir_all(db.parent().unwrap());
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    let export = scale.export();
    let started = Instant::now();
    let catalog = Catalog::open(&db).unwrap();
    let report = catalog
        .import(&export, vivr_search_core::catalog::ImportOptions::default())
        .unwrap();
    assert!(report.rejects.is_empty());
    vivr_search_core::search::reindex(
        &catalog,
        &index_dir,
        None,
        &vivr_search_core::index::ReindexOptions::default(),
    )
    .unwrap();
    started.elapsed().as_secs_f64()
}

fn engine_request(q: &str) -> SearchRequest {
    SearchRequest {
        q: q.to_owned(),
        mode: Mode::Instant,
        limit: LIMIT as i64,
        ..SearchRequest::default()
    }
}

fn engine_peer(scale: fixture::Scale, label: &str) -> Built {
    let build_s = build_engine(scale, label);
    let (db, index_dir) = engine_paths(label);
    let engine: &'static Engine = Box::leak(Box::new(
        // Every peer searches each time: no result cache.
        Engine::open(Catalog::open(&db).unwrap(), &index_dir)
            .unwrap()
            .with_result_cache(0),
    ));
    Built {
        build_s,
        disk_bytes: fixture::disk_bytes(db.parent().unwrap()),
        connect: Box::new(move || {
            Box::new(move |q: &str| engine.search(&engine_request(q)).unwrap().hits.len())
        }),
        pids: Box::new(|| vec!["self".to_owned()]),
        notes:
            "import of the export into the replica, then the text index; size: replica and index"
                .to_owned(),
    }
}

fn http_peer(label: &str) -> Built {
    let (db, index_dir) = engine_paths(label);
    assert!(
        index_dir.is_dir(),
        "run the engine peer first: it builds what the server serves"
    );
    let bin =
        std::env::var("VIVR_BIN").expect("VIVR_BIN: the release binary (tools/bench-peers.sh)");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = std::process::Command::new(bin)
        .arg("--db")
        .arg(&db)
        .arg("--index-dir")
        .arg(&index_dir)
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .env("RUST_LOG", "warn")
        .env("VIVR_MODELS_DIR", "/nonexistent")
        .env("VIVR_RESULT_CACHE_ENTRIES", "0")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = server.id().to_string();
    // Leaked: the server runs until this process exits (then it is killed below).
    let server: &'static std::sync::Mutex<std::process::Child> =
        Box::leak(Box::new(std::sync::Mutex::new(server)));
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let url = format!("http://127.0.0.1:{port}/v1/search");
    std::panic::set_hook(Box::new(move |info| {
        let _ = server.lock().map(|mut s| s.kill());
        eprintln!("{info}");
    }));
    Built {
        build_s: f64::NAN,
        disk_bytes: fixture::disk_bytes(db.parent().unwrap()),
        connect: Box::new(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let http = reqwest::Client::new();
            let url = url.clone();
            Box::new(move |q: &str| {
                runtime.block_on(async {
                    let response = http
                        .post(&url)
                        .json(&json!({ "q": q, "mode": "instant", "limit": LIMIT }))
                        .send()
                        .await
                        .unwrap();
                    assert!(response.status().is_success(), "{q}: {}", response.status());
                    let body: serde_json::Value = response.json().await.unwrap();
                    body["hits"].as_array().map_or(0, Vec::len)
                })
            })
        }),
        pids: Box::new(move || vec![pid.clone()]),
        notes: "the engine peer's build, served by the release binary (`serve`); a client of \
                reqwest on loopback"
            .to_owned(),
    }
}

fn fts5_peer(label: &str) -> Built {
    let (db, _) = fixture::paths(fixture::scale());
    let path = work_dir(label).join("fts5.db");
    let started = Instant::now();
    drop(Fts5Peer::build_file(&Catalog::open(&db).unwrap(), &path).unwrap());
    let build_s = started.elapsed().as_secs_f64();
    let disk_bytes = fixture::disk_bytes(&path);
    Built {
        build_s,
        disk_bytes,
        connect: Box::new(move || {
            let peer = Fts5Peer::open(&path).unwrap();
            Box::new(move |q: &str| peer.search_text(q, LIMIT).unwrap().len())
        }),
        pids: Box::new(|| vec!["self".to_owned()]),
        notes: "from the replica, one transaction; in-process (rusqlite, bundled SQLite)"
            .to_owned(),
    }
}

/// The row of a product as both text peers index it.
fn columns(p: &Product, tree: &vivr_search_core::catalog::CategoryTree) -> [String; 4] {
    let path = tree.path(&p.category_id);
    [
        p.name.clone(),
        path.iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        [
            p.all_attribute_values(),
            p.brand.as_deref().into_iter().collect(),
            p.tags.iter().map(String::as_str).collect(),
        ]
        .concat()
        .join(" "),
        p.description.as_deref().map(strip_html).unwrap_or_default(),
    ]
}

/// COPY's text format: backslash, tab and line breaks escaped.
fn copy_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('\t', "\\t")
        .replace('\n', "\\n")
        .replace('\r', "\\r")
}

const PG_SCHEMA: &str = "
    CREATE EXTENSION IF NOT EXISTS unaccent;
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    DROP TABLE IF EXISTS products;
    DROP TEXT SEARCH CONFIGURATION IF EXISTS fr_unaccent;
    CREATE TEXT SEARCH CONFIGURATION fr_unaccent (COPY = french);
    ALTER TEXT SEARCH CONFIGURATION fr_unaccent
        ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
    -- unaccent() is only STABLE; the usual immutable wrapper lets a generated column use it.
    CREATE OR REPLACE FUNCTION f_unaccent(text) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
        AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$;
    CREATE TABLE products (
        id text PRIMARY KEY,
        name text NOT NULL,
        categories text NOT NULL,
        attributes text NOT NULL,
        description text NOT NULL,
        search tsvector GENERATED ALWAYS AS (
            setweight(to_tsvector('fr_unaccent', name), 'A') ||
            setweight(to_tsvector('fr_unaccent', categories), 'B') ||
            setweight(to_tsvector('fr_unaccent', attributes), 'C') ||
            setweight(to_tsvector('fr_unaccent', description), 'D')) STORED,
        name_folded text GENERATED ALWAYS AS (f_unaccent(lower(name))) STORED
    );";

const PG_INDEXES: &str = "
    CREATE INDEX products_search ON products USING gin (search);
    CREATE INDEX products_name_trgm ON products USING gin (name_folded gin_trgm_ops);
    ANALYZE products;";

/// Full-text match (all words, stemmed, accents folded) or a typo-tolerant word similarity
/// of the query to part of the name; ranked by both.
const PG_QUERY: &str = "
    WITH q AS (SELECT websearch_to_tsquery('fr_unaccent', $1) AS tsq, f_unaccent(lower($1)) AS txt)
    SELECT id FROM products, q
    WHERE search @@ q.tsq OR q.txt <% name_folded
    ORDER BY ts_rank(search, q.tsq) + word_similarity(q.txt, name_folded) DESC
    LIMIT 20";

fn postgres_peer() -> Built {
    use std::io::Write;

    let params = std::env::var("VIVR_PEERS_PG").expect("VIVR_PEERS_PG (tools/bench-peers.sh)");
    let postmaster: String =
        std::env::var("VIVR_PEERS_PG_PID").expect("VIVR_PEERS_PG_PID (tools/bench-peers.sh)");
    let (db, _) = fixture::paths(fixture::scale());
    let catalog = Catalog::open(&db).unwrap();
    let tree = catalog.category_tree().unwrap();
    let mut client = postgres::Client::connect(&params, postgres::NoTls).unwrap();
    let started = Instant::now();
    client.batch_execute(PG_SCHEMA).unwrap();
    let mut copy = client
        .copy_in("COPY products (id, name, categories, attributes, description) FROM STDIN")
        .unwrap();
    catalog
        .for_each_product(
            |p: Product| -> Result<(), vivr_search_core::catalog::CatalogError> {
                let [name, categories, attributes, description] = columns(&p, &tree);
                writeln!(
                    copy,
                    "{}\t{}\t{}\t{}\t{}",
                    copy_escape(&p.id),
                    copy_escape(&name),
                    copy_escape(&categories),
                    copy_escape(&attributes),
                    copy_escape(&description)
                )
                .unwrap();
                Ok(())
            },
        )
        .unwrap();
    copy.finish().unwrap();
    client.batch_execute(PG_INDEXES).unwrap();
    let build_s = started.elapsed().as_secs_f64();
    let disk_bytes = client
        .query_one("SELECT pg_total_relation_size('products')", &[])
        .unwrap()
        .get::<_, i64>(0) as u64;
    Built {
        build_s,
        disk_bytes,
        connect: Box::new(move || {
            let mut client = postgres::Client::connect(&params, postgres::NoTls).unwrap();
            let statement = client.prepare(PG_QUERY).unwrap();
            Box::new(move |q: &str| client.query(&statement, &[&q]).unwrap().len())
        }),
        pids: Box::new(move || postgres_pids(&postmaster)),
        notes: "COPY of the rows (from the replica), generated tsvector and folded-name columns, \
                two GIN indexes, ANALYZE; size: table, TOAST and indexes"
            .to_owned(),
    }
}

/// The postmaster and its children.
fn postgres_pids(postmaster: &str) -> Vec<String> {
    let mut pids = vec![postmaster.to_owned()];
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) {
            // pid (comm) state ppid ...: the comm may hold spaces, so split after ')'.
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1));
            if ppid == Some(postmaster) {
                pids.push(name);
            }
        }
    }
    pids
}

/// Queries per second of `CLIENTS` clients running the mix in a closed loop for `seconds`.
fn throughput(built: &Built, queries: &[&str], seconds: u64) -> f64 {
    let done = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for c in 0..CLIENTS {
            let (done, stop) = (&done, &stop);
            let mut client = (built.connect)();
            scope.spawn(move || {
                let mut i = c * 17;
                while !stop.load(Ordering::Relaxed) {
                    std::hint::black_box(client(queries[i % queries.len()]));
                    i += 1;
                    done.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        std::thread::sleep(Duration::from_secs(seconds));
        stop.store(true, Ordering::Relaxed);
    });
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let peer = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .expect("which peer: engine, http, fts5 or postgres");
    let scale = fixture::scale();
    let label = scale.label();
    // The catalog (and, for FTS5 and PostgreSQL, the replica they load from) exists first.
    fixture::paths(scale);
    let built = match peer.as_str() {
        "engine" => engine_peer(scale, &label),
        "http" => http_peer(&label),
        "fts5" => fts5_peer(&label),
        "postgres" => postgres_peer(),
        other => panic!("unknown peer {other}: engine, http, fts5 or postgres"),
    };
    let queries = fixture::query_mix();
    let misspelled = fixture::misspelled();
    let mut client = (built.connect)();
    let found_something = queries.iter().filter(|q| client(q) > 0).count();
    let (p50, p99, max) = fixture::timed(&queries, ROUNDS, |q| client(q));
    let zero = misspelled.iter().filter(|q| client(q) == 0).count();
    let seconds = std::env::var("PEERS_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let qps = throughput(&built, &queries, seconds);
    let memory = pss_mib(&(built.pids)());
    let line = json!({
        "peer": peer,
        "catalog": label,
        "build_s": built.build_s,
        "disk_mib": built.disk_bytes as f64 / (1024.0 * 1024.0),
        "p50_ms": p50 / 1e3,
        "p99_ms": p99 / 1e3,
        "max_ms": max / 1e3,
        "qps": qps,
        "clients": CLIENTS,
        "memory_mib": memory,
        "misspelled": misspelled.len(),
        "misspelled_zero": zero,
        "zero_rate": zero as f64 / misspelled.len() as f64,
        "mix_found": found_something,
        "mix": queries.len(),
        "notes": built.notes,
    });
    println!("{line}");
    let out = fixture::manifest_dir().join("target/bench-peers.jsonl");
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(out)
        .unwrap();
    use std::io::Write;
    writeln!(file, "{line}").unwrap();
    if peer == "http" {
        // The server is a child process: stop it with us.
        for pid in (built.pids)() {
            let _ = std::process::Command::new("kill").arg(&pid).status();
        }
    }
}
