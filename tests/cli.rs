//! The `vivr-search` binary end to end: import, reindex, search, exit codes.

mod common;

use std::process::Command;

fn vivr(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vivr-search"));
    cmd.arg("--db")
        .arg(dir.join("catalog.db"))
        .arg("--index-dir")
        .arg(dir.join("index"));
    cmd.env("RUST_LOG", "warn").env_remove("VIVR_CONFIG");
    cmd
}

#[test]
fn import_reindex_search_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let export = common::copy_fixture("mini", dir.path());
    common::append(
        &export,
        "products.ndjson",
        &[
            "{oops",
            r#"{"id":"x","slug":"x","name":"X","price":1,"stock":1,"categoryId":"nowhere","createdAt":"2026-01-01T00:00:00Z","updatedAt":"2026-01-01T00:00:00Z"}"#,
        ],
    );

    let out = vivr(dir.path())
        .arg("import")
        .arg(&export)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "rejected lines make the exit code non-zero"
    );
    assert!(
        stderr.contains("products.ndjson:16: invalid JSON"),
        "{stderr}"
    );
    assert!(
        stderr.contains("products.ndjson:17: categoryId: \"nowhere\" names no category"),
        "{stderr}"
    );
    assert_eq!(stdout.lines().count(), 1, "a one-line summary: {stdout}");
    assert!(
        stdout.contains("products +15") && stdout.contains("(2 rejected)"),
        "{stdout}"
    );

    let out = vivr(dir.path())
        .arg("import")
        .arg(common::fixture("mini"))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("products +0 ~0 =15"));

    let out = vivr(dir.path()).arg("reindex").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("generation 1 live: 15 products"));

    let out = vivr(dir.path())
        .args(["search", "lampes de chevet", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let response: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(response["hits"][0]["id"], "p03");

    let out = vivr(dir.path())
        .args(["search", "canape", "--sort", "cheapest"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown sort"));
}

#[test]
fn search_without_an_index_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let out = vivr(dir.path()).args(["search", "lampe"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("run `vivr-search reindex` first"));
}

#[test]
fn stats_sums_the_logged_claude_calls_per_task() {
    use vivr_search::catalog::{Catalog, LlmCall};
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::open(&dir.path().join("catalog.db")).unwrap();
    let now = chrono::Utc::now().timestamp();
    let call = |task: &str, latency_ms, success, cache_hit, at| LlmCall {
        at,
        task: task.into(),
        model: "m".into(),
        input: "lampe".into(),
        output: None,
        input_tokens: Some(100),
        output_tokens: Some(10),
        latency_ms,
        success,
        error: (!success).then(|| "HTTP 500".into()),
        cache_hit,
    };
    for c in [
        call("intent", 300, true, false, now),
        call("intent", 900, false, false, now),
        call("intent", 0, true, true, now),
        call("rerank", 500, true, false, now),
        call("rerank", 500, true, false, now - 3 * 86_400),
    ] {
        catalog.record_llm_call(&c).unwrap();
    }
    let stats = json_out(vivr(dir.path()).args(["stats", "--since", "1d", "--json"]));
    assert_eq!(stats[0]["task"], "intent");
    assert_eq!(stats[0]["requests"], 3);
    assert_eq!(stats[0]["calls"], 2);
    assert_eq!(stats[0]["errors"], 1);
    assert_eq!(stats[0]["cacheHits"], 1);
    assert_eq!(stats[0]["avgLatencyMs"], 600.0);
    assert_eq!(
        stats[1]["requests"], 1,
        "the 3-day-old call is outside the period"
    );
    let out = vivr(dir.path())
        .args(["stats", "--since", "7d"])
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("50.0 %"), "error rate of intent: {table}");
}

/// Kills a spawned server when the test ends, however it ends.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `vivr-search eval` on the built fixture and the query set in `sets`, without a Claude key.
fn eval_cmd(built: &common::Built, sets: &std::path::Path) -> Command {
    let mut cmd = vivr(built.dir.path());
    cmd.env_remove("ANTHROPIC_API_KEY")
        .args(["eval", "--queries"])
        .arg(sets.join("queries.tsv"))
        .arg("--qrels")
        .arg(sets.join("qrels.tsv"));
    cmd
}

/// The JSON a successful command printed.
fn json_out(cmd: &mut Command) -> serde_json::Value {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `vivr-search eval … --json`: the report.
fn eval_json(built: &common::Built, sets: &std::path::Path, extra: &[&str]) -> serde_json::Value {
    json_out(eval_cmd(built, sets).arg("--json").args(extra))
}

/// Query id → reciprocal rank, from a report.
fn rr(report: &serde_json::Value) -> std::collections::BTreeMap<String, f64> {
    report["queries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| {
            (
                q["id"].as_str().unwrap().to_owned(),
                q["rr"].as_f64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn eval_scores_the_engine_in_process_over_http_beside_fts5_and_with_claude() {
    use common::fake_claude::{FakeClaude, Recorded, Reply, intent, ranking};
    use vivr_search::eval;
    use vivr_search::search::Mode;

    let built = common::build("mini");
    let sets = tempfile::tempdir().unwrap();
    // Each query's judged product is the engine's own first hit: a reciprocal rank of 1 locally,
    // and of less once a reranker reverses the candidates.
    let first = |q: &str| -> String {
        let out = vivr(built.dir.path())
            .args(["search", "--json", "--mode", "instant", q])
            .output()
            .unwrap();
        let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(r["hits"].as_array().unwrap().len() >= 2, "{r}");
        r["hits"][0]["id"].as_str().unwrap().to_owned()
    };
    std::fs::write(
        sets.path().join("queries.tsv"),
        "id\ttext\tclass\nq1\tcanapé\ttype\nq2\tlampe\ttype\n",
    )
    .unwrap();
    std::fs::write(
        sets.path().join("qrels.tsv"),
        format!(
            "query_id\tproduct_id\tgrade\nq1\t{}\t3\nq2\t{}\t3\n",
            first("canapé"),
            first("lampe")
        ),
    )
    .unwrap();

    // In-process: the command reports what the library computes.
    let report = eval_json(&built, sets.path(), &["--mode", "instant"]);
    let queries = eval::read_queries(&sets.path().join("queries.tsv")).unwrap();
    let qrels = eval::read_qrels(&sets.path().join("qrels.tsv")).unwrap();
    let library = eval::evaluate_engine(&built.engine, Mode::Instant, &queries, &qrels).unwrap();
    assert_eq!(
        report["overall"],
        serde_json::to_value(&library.overall).unwrap()
    );
    assert_eq!(report["overall"]["queries"], 2);
    assert_eq!(report["overall"]["mrr"], 1.0);

    // Beside FTS5: both reports, same queries.
    let both = eval_json(
        &built,
        sets.path(),
        &["--mode", "instant", "--compare-fts5"],
    );
    assert_eq!(both["vivr"]["overall"], report["overall"]);
    assert_eq!(both["fts5"]["overall"]["queries"], 2);

    // Over HTTP: a running server gives the same figures.
    // Port 0: the server picks a free port and prints the address it bound.
    let mut server = Child(
        vivr(built.dir.path())
            .env_remove("ANTHROPIC_API_KEY")
            .args(["serve", "--bind", "127.0.0.1:0"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(server.0.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("the server printed {line:?}"))
        .to_owned();
    let remote = eval_json(&built, sets.path(), &["--mode", "instant", "--url", &url]);
    assert_eq!(remote["overall"], report["overall"]);

    // With Claude (a fake that reverses the candidates): submitted searches ask it, and the
    // scores are of the reranked answers.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let fake = runtime.block_on(FakeClaude::start(std::sync::Arc::new(
        |r: &Recorded, _| match r.task() {
            "intent" => Reply::Tool(intent(serde_json::json!({}))),
            _ => {
                let mut ids = r.candidate_ids();
                ids.reverse();
                Reply::Tool(ranking(&ids))
            }
        },
    )));
    let with_claude = json_out(
        eval_cmd(&built, sets.path())
            .env("ANTHROPIC_API_KEY", "test-key")
            .env("ANTHROPIC_BASE_URL", fake.base_url())
            .env("VIVR_MODELS_DIR", "/nonexistent")
            .args(["--json", "--mode", "full", "--ai", "on"]),
    );
    assert_eq!(fake.count("rerank"), 2, "one rerank per query");
    for (id, rr) in rr(&with_claude) {
        assert!(
            rr < 1.0,
            "{id}: the reversed order puts the judged product lower: {rr}"
        );
    }
    // Without a key, --ai on refuses rather than quietly scoring the local engine.
    let out = eval_cmd(&built, sets.path())
        .args(["--ai", "on"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--ai on"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn tickets_lists_the_state_database_and_backup_copies_it() {
    use vivr_search::state::{NewTicket, Priority, State};
    let dir = tempfile::tempdir().unwrap();
    // The state database sits beside the replica by default.
    let state = State::open(&dir.path().join("state.db")).unwrap();
    let (ticket, _) = state
        .escalate(
            &NewTicket {
                conversation_id: Some("conv-1"),
                reason: "colis perdu",
                priority: Priority::Urgent,
                subject: None,
            },
            1_700_000_000,
        )
        .unwrap();

    let listed = vivr(dir.path())
        .args(["tickets", "--status", "open", "--json"])
        .output()
        .unwrap();
    assert!(listed.status.success(), "{listed:?}");
    let line: serde_json::Value =
        serde_json::from_slice(listed.stdout.split(|b| *b == b'\n').next().unwrap()).unwrap();
    assert_eq!(line["ticketId"], ticket.id.as_str());
    assert_eq!(line["priority"], "urgent");

    let copy = dir.path().join("backups");
    let backup = vivr(dir.path()).arg("backup").arg(&copy).output().unwrap();
    assert!(backup.status.success(), "{backup:?}");
    let restored = State::open(&copy.join("state.db")).unwrap();
    assert_eq!(
        restored.tickets(None).unwrap(),
        state.tickets(None).unwrap()
    );
}

#[test]
fn report_prints_the_analytics_and_their_json() {
    let built = common::build("mini");
    let out = vivr(built.dir.path())
        .args(["report", "--since", "30d"])
        .env("VIVR_TODAY", "2026-06-30")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(
        text.starts_with("VIVR, du 01/06/2026 au 30/06/2026"),
        "{text}"
    );
    for line in [
        "Ventes",
        "Catégories",
        "Stocks",
        "Clients",
        "Paniers",
        "Prévision",
        "Recherches",
    ] {
        assert!(text.contains(line), "{line} missing: {text}");
    }
    let out = vivr(built.dir.path())
        .args(["report", "--json"])
        .env("VIVR_TODAY", "2026-06-30")
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["sales"]["endDate"], "2026-06-30");
    assert_eq!(json["cartAbandonment"]["hasCartData"], false);
    let bad = vivr(built.dir.path())
        .args(["report", "--since", "30"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("30d"));
}

#[test]
fn lexicon_lists_accepts_and_rejects_proposed_words() {
    let built = common::build("mini");
    let dir = built.dir.path();
    let state = vivr_search::state::State::open(&dir.join("state.db")).unwrap();
    state
        .record_proposals(&[
            ("zorblatte".into(), "lampes".into(), 1_000),
            ("zorblatte".into(), "lampes".into(), 2_000),
            ("plonk".into(), "canapes".into(), 3_000),
        ])
        .unwrap();
    drop(state);
    let run = |args: &[&str]| {
        let out = vivr(dir).args(args).output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, stdout, _) = run(&["lexicon", "proposals", "--json"]);
    assert_eq!(code, Some(0));
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["word"], "zorblatte");
    assert_eq!(lines[0]["count"], 2);
    // Before review the word finds nothing.
    let (_, stdout, _) = run(&["search", "--mode", "instant", "--json", "zorblatte"]);
    let before: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(before["hits"].as_array().unwrap().len(), 0);
    let (code, stdout, _) = run(&["lexicon", "accept", "Zorblatte"]);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(
        stdout.contains("accepted \"zorblatte\" → lampes"),
        "{stdout}"
    );
    let (_, stdout, _) = run(&["search", "--mode", "instant", "--json", "zorblatte"]);
    let after: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let hits = after["hits"].as_array().unwrap();
    assert!(!hits.is_empty());
    assert!(
        hits.iter().all(|h| h["category"]["slug"] == "lampes"),
        "{after}"
    );
    let (_, stdout, _) = run(&["lexicon", "words"]);
    assert!(
        stdout.contains("zorblatte") && stdout.contains("lampes"),
        "{stdout}"
    );
    let (code, _, _) = run(&["lexicon", "reject", "plonk"]);
    assert_eq!(code, Some(0));
    let (_, stdout, _) = run(&["lexicon", "proposals"]);
    assert_eq!(stdout.trim(), "no proposals");
    let (code, _, stderr) = run(&["lexicon", "accept", "inconnu"]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("no proposal for \"inconnu\""), "{stderr}");
    // Forgotten: the word finds nothing again.
    let (code, stdout, _) = run(&["lexicon", "forget", "zorblatte"]);
    assert_eq!(code, Some(0), "{stdout}");
    let (_, stdout, _) = run(&["search", "--mode", "instant", "--json", "zorblatte"]);
    let forgotten: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(forgotten["hits"].as_array().unwrap().len(), 0);
    let (_, stdout, _) = run(&["lexicon", "words"]);
    assert_eq!(stdout.trim(), "no accepted words");
}
