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
