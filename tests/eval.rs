//! The relevance gate: the French judged set (`data/eval/`, written by `tools/gen_eval.py`) on
//! the demo catalog must not fall below `data/eval/baseline.json`: NDCG@10 at most 0.01 under
//! the baseline, the zero-result rate no higher; similar products' precision@10 at most 0.01
//! under it. Raising the baseline is a deliberate commit.

mod common;

use std::path::{Path, PathBuf};

use vivr_search::eval::{self, Report};
use vivr_search::search::Mode;

fn data(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data/eval")
        .join(file)
}

fn baseline(mode: &str) -> (f64, f64) {
    let text = std::fs::read_to_string(data("baseline.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let m = &json[mode]["overall"];
    (
        m["ndcg10"].as_f64().unwrap(),
        m["zeroResultRate"].as_f64().unwrap(),
    )
}

fn gate(mode: &str, report: &Report) {
    let (ndcg, zero) = baseline(mode);
    let now = &report.overall;
    eprintln!("{mode}:\n{}", eval::table(report));
    assert!(
        now.ndcg10 >= ndcg - 0.01,
        "{mode}: NDCG@10 fell to {:.4} from the baseline {ndcg:.4}",
        now.ndcg10
    );
    assert!(
        now.zero_result_rate <= zero + 1e-9,
        "{mode}: the zero-result rate rose to {:.4} from {zero:.4}",
        now.zero_result_rate
    );
}

fn judged_set() -> (
    Vec<eval::EvalQuery>,
    std::collections::HashMap<String, std::collections::HashMap<String, u8>>,
) {
    let queries = eval::read_queries(&data("queries.tsv")).unwrap();
    let qrels = eval::read_qrels(&data("qrels.tsv")).unwrap();
    assert!(queries.len() >= 150, "{} queries", queries.len());
    (queries, qrels)
}

#[test]
fn the_judged_set_follows_the_demo_catalog() {
    let status = std::process::Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/gen_eval.py"))
        .arg("--check")
        .status()
        .expect("python3 runs tools/gen_eval.py");
    assert!(
        status.success(),
        "data/eval/ is stale: run python3 tools/gen_eval.py"
    );
}

#[test]
fn instant_mode_holds_the_baseline() {
    let (queries, qrels) = judged_set();
    let report =
        eval::evaluate_engine(&common::demo().engine, Mode::Instant, &queries, &qrels).unwrap();
    gate("instant", &report);
}

#[test]
fn full_mode_holds_the_baseline() {
    let (queries, qrels) = judged_set();
    let export = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/demo");
    let built = common::build_export(tempfile::tempdir().unwrap(), &export, Some(common::model()));
    let report = eval::evaluate_engine(&built.engine, Mode::Full, &queries, &qrels).unwrap();
    gate("full", &report);
    // Similar products against their judged neighbours (same type; same type and style).
    let judgments = eval::read_qrels(&data("similar.tsv")).unwrap();
    let similar = eval::evaluate_similar(&built.engine, &judgments, 10).unwrap();
    let text = std::fs::read_to_string(data("baseline.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let baseline = json["similar"]["precision"].as_f64().unwrap();
    eprintln!("similar: {similar:?}");
    assert_eq!(similar.degraded, 0);
    assert!(
        similar.precision >= baseline - 0.01,
        "similar precision@10 fell to {:.3} from {baseline:.3}",
        similar.precision
    );
}
