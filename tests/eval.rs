//! The relevance gate: the French judged set (`data/eval/`, written by `tools/gen_eval.py`) on
//! the demo catalog must not fall below `data/eval/baseline.json`, class by class: NDCG@10 at
//! most 0.01 under the baseline, the zero-result rate no higher, except for the `nothing` class
//! (things the store does not sell), where an empty answer is right and its rate must not fall;
//! similar products' precision@10 at most 0.01 under it. Raising the baseline is a deliberate
//! commit.

mod common;

use std::path::{Path, PathBuf};

use vivr_search::eval::{self, Report};
use vivr_search::search::Mode;

fn data(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data/eval")
        .join(file)
}

/// The class whose right answer is no hit.
const NOTHING: &str = "nothing";

fn gate(mode: &str, report: &Report) {
    let text = std::fs::read_to_string(data("baseline.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let baseline = &json[mode];
    eprintln!("{mode}:\n{}", eval::table(report));
    let ndcg = baseline["overall"]["ndcg10"].as_f64().unwrap();
    assert!(
        report.overall.ndcg10 >= ndcg - 0.01,
        "{mode}: NDCG@10 fell to {:.4} from the baseline {ndcg:.4}",
        report.overall.ndcg10
    );
    for (class, now) in &report.classes {
        let was = &baseline["classes"][class];
        assert!(
            was.is_object(),
            "{mode}: class {class} is not in the baseline: write it (a deliberate commit)"
        );
        let zero = was["zeroResultRate"].as_f64().unwrap();
        if class == NOTHING {
            assert!(
                now.zero_result_rate >= zero - 1e-9,
                "{mode}: {class}: fewer empty answers, {:.4} from {zero:.4}",
                now.zero_result_rate
            );
            continue;
        }
        let ndcg = was["ndcg10"].as_f64().unwrap();
        assert!(
            now.ndcg10 >= ndcg - 0.01,
            "{mode}: {class}: NDCG@10 fell to {:.4} from the baseline {ndcg:.4}",
            now.ndcg10
        );
        assert!(
            now.zero_result_rate <= zero + 1e-9,
            "{mode}: {class}: the zero-result rate rose to {:.4} from {zero:.4}",
            now.zero_result_rate
        );
    }
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
