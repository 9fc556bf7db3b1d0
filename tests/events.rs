//! What the engine records from its traffic, in the state database (never the replica):
//! shopper events (`POST /v1/events`) and the log of searches, with their retention.

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::send;
use serde_json::{Value, json};
use vivr_search::api::{AppState, router};
use vivr_search::config::Config;
use vivr_search::state::State;

struct Served {
    app: axum::Router,
    state: Arc<State>,
    recorder: Arc<vivr_search::state::Recorder>,
    _dir: tempfile::TempDir,
}

fn serve(built: &common::Built) -> Served {
    let dir = tempfile::tempdir().unwrap();
    let state = Arc::new(State::open(&dir.path().join("state.db")).unwrap());
    let engine = Arc::new(
        vivr_search::search::Engine::open(
            vivr_search::catalog::Catalog::open(&built.db()).unwrap(),
            &built.index_dir(),
        )
        .unwrap(),
    );
    let app_state = AppState::new(
        engine,
        Arc::new(vivr_search::llm::Claude::new(Default::default(), None)),
        &Config::default(),
    )
    .with_state_db(state.clone());
    let recorder = app_state.recorder().unwrap();
    Served {
        app: router(app_state),
        state,
        recorder,
        _dir: dir,
    }
}

fn post(path: &str, body: Value) -> Request<Body> {
    Request::post(path)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[tokio::test]
async fn events_are_validated_batched_and_stored_once() {
    let built = common::build("mini");
    let s = serve(&built);
    let at = now_ms() - 1_000;
    let batch = json!({"events": [
        {"type": "click", "queryId": "q-1", "productId": "p01", "position": 1, "sessionId": "s-1", "timestamp": at},
        {"type": "add-to-cart", "queryId": "q-1", "productId": "p01", "sessionId": "s-1", "timestamp": at + 5},
        {"type": "purchase", "productId": "p01", "userId": "alice"},
    ]});
    let (status, body) = send(&s.app, post("/v1/events", batch.clone())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["accepted"], 3);
    s.recorder.flush().await;
    assert_eq!(s.state.analytics_counts().unwrap().0, 3);
    // The same events again (a storefront's retry): nothing new. Only the third, stamped by
    // the server on arrival, differs.
    let retry = json!({"events": [batch["events"][0].clone(), batch["events"][1].clone()]});
    let (status, _) = send(&s.app, post("/v1/events", retry)).await;
    assert_eq!(status, StatusCode::OK);
    s.recorder.flush().await;
    assert_eq!(
        s.state.analytics_counts().unwrap().0,
        3,
        "duplicates are ignored"
    );
}

#[tokio::test]
async fn bad_events_get_400_with_a_stable_code_and_nothing_is_stored() {
    let built = common::build("mini");
    let s = serve(&built);
    let good = json!({"type": "click", "productId": "p01"});
    let many: Vec<Value> = (0..1001).map(|_| good.clone()).collect();
    let old = now_ms() - 200 * 86_400_000;
    for (events, code, needle) in [
        (
            json!([{"type": "view", "productId": "p01"}]),
            "invalid_event",
            "events[0].type",
        ),
        (
            json!([good, {"type": "click", "productId": ""}]),
            "invalid_event",
            "events[1].productId",
        ),
        (
            json!([{"type": "click", "productId": "p01", "position": 0}]),
            "invalid_event",
            "position",
        ),
        (
            json!([{"type": "click", "productId": "p01", "timestamp": old}]),
            "invalid_event",
            "timestamp",
        ),
        (json!([]), "invalid_event", "1 to 1000"),
        (json!(many), "invalid_event", "1 to 1000"),
        (
            json!([{"type": "click", "productId": "p01", "price": 3}]),
            "unknown_field",
            "price",
        ),
        (json!([{"type": "click"}]), "invalid_field", "productId"),
    ] {
        let (status, body) = send(&s.app, post("/v1/events", json!({"events": events}))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["code"], code, "{body}");
        assert!(body["message"].as_str().unwrap().contains(needle), "{body}");
    }
    s.recorder.flush().await;
    assert_eq!(s.state.analytics_counts().unwrap().0, 0);
}

#[tokio::test]
async fn without_a_state_database_events_are_refused_and_searches_still_served() {
    let built = common::build("mini");
    let app = common::router(&built, &Config::default());
    let (status, body) = send(
        &app,
        post(
            "/v1/events",
            json!({"events": [{"type": "click", "productId": "p01"}]}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["code"], "events_unavailable");
    let (status, _) = send(&app, post("/v1/search", json!({"q": "lampe"}))).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn searches_are_logged_masked_with_their_request_uid() {
    let built = common::build("mini");
    let s = serve(&built);
    let (status, body) = send(
        &s.app,
        post(
            "/v1/search",
            json!({"q": "lampe pour jean.dupont@example.fr 0612345678", "mode": "instant", "sessionId": "visitor-7"}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let uid = body["requestUid"].as_str().unwrap().to_owned();
    let (status, _) = send(&s.app, post("/api/ai/search", json!({"query": "canapé"}))).await;
    assert_eq!(status, StatusCode::OK);
    s.recorder.flush().await;
    assert_eq!(s.state.analytics_counts().unwrap().1, 2);
    let conn = rusqlite::Connection::open(s.state.path()).unwrap();
    let (query, mode, session, user): (String, String, Option<String>, Option<String>) = conn
        .query_row(
            "SELECT query, mode, session_id, user_id FROM searches WHERE request_uid = ?1",
            [&uid],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert!(query.starts_with("lampe pour"), "{query}");
    assert!(
        !query.contains("dupont") && !query.contains("0612345678"),
        "{query}"
    );
    assert_eq!(
        (mode.as_str(), session.as_deref(), user),
        ("instant", Some("visitor-7"), None)
    );
    // "pour" found nothing and was dropped; the e-mail's and the phone's pieces never stored.
    let dropped: Option<String> = conn
        .query_row(
            "SELECT dropped FROM searches WHERE request_uid = ?1",
            [&uid],
            |r| r.get(0),
        )
        .unwrap();
    let dropped = dropped.unwrap_or_default();
    assert!(
        !dropped.contains("dupont") && !dropped.contains("0612345678") && !dropped.contains("jean"),
        "{dropped}"
    );
    let full: String = conn
        .query_row(
            "SELECT mode FROM searches WHERE request_uid != ?1",
            [&uid],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(full, "full");
}

#[test]
fn events_and_search_logs_past_their_retention_are_purged() {
    use vivr_search::state::{Event, EventKind, SearchLog};
    let dir = tempfile::tempdir().unwrap();
    let state = State::open(&dir.path().join("state.db")).unwrap();
    let day = 86_400_000;
    let now = 1_800_000_000_000;
    let event = |at_ms| Event {
        kind: EventKind::Click,
        query_id: None,
        product_id: "p01".into(),
        position: None,
        session_id: None,
        user_id: None,
        at_ms,
    };
    assert_eq!(
        state
            .record_events(&[event(now - 100 * day), event(now - day)])
            .unwrap(),
        2
    );
    let log = |uid: &str, at_ms| SearchLog {
        request_uid: uid.into(),
        at_ms,
        query: "lampe".into(),
        mode: "full",
        hits: 3,
        latency_ms: 1.0,
        session_id: None,
        user_id: None,
        dropped: Vec::new(),
    };
    state
        .record_searches(&[log("a", now - 40 * day), log("b", now - 10 * day)])
        .unwrap();
    assert_eq!(state.purge(now, 90, 30).unwrap(), (1, 1));
    assert_eq!(state.analytics_counts().unwrap(), (1, 1));
}
