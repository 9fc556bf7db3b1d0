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
    let out = vivr(dir.path())
        .args(["stats", "--since", "1d", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
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
