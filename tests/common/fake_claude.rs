//! A local fake of the Anthropic Messages API (an axum server on 127.0.0.1): records every
//! request and answers as the test scripts it (a tool call, an error status, a delay, a hang,
//! nonsense).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// A recorded request.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub headers: HeaderMap,
    pub body: Value,
}

impl Recorded {
    /// `intent` or `rerank`, from the forced tool.
    pub fn task(&self) -> &str {
        match self.body["tool_choice"]["name"].as_str() {
            Some("record_intent") => "intent",
            Some("record_ranking") => "rerank",
            _ => "other",
        }
    }

    /// The JSON document of the user message.
    pub fn payload(&self) -> Value {
        serde_json::from_str(self.body["messages"][0]["content"].as_str().unwrap()).unwrap()
    }

    /// The candidate ids of a rerank request.
    pub fn candidate_ids(&self) -> Vec<String> {
        self.payload()["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect()
    }
}

/// What the fake answers.
pub enum Reply {
    /// 200 with a forced tool call whose input is this.
    Tool(Value),
    /// An error status, with an optional `retry-after` in seconds.
    Status(u16, Option<f64>),
    /// 200 with a body that is not JSON.
    NotJson,
    /// Waits, then answers.
    After(Duration, Box<Reply>),
    /// Never answers (within any test's patience).
    Hang,
}

/// Decides the reply to a request, given how many requests of its task came before.
pub type Script = Arc<dyn Fn(&Recorded, usize) -> Reply + Send + Sync>;

#[derive(Clone)]
struct FakeState {
    script: Arc<Mutex<Script>>,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

/// A running fake.
pub struct FakeClaude {
    pub addr: SocketAddr,
    state: FakeState,
}

impl FakeClaude {
    /// Starts a fake on a free loopback port, on the current tokio runtime.
    pub async fn start(script: Script) -> FakeClaude {
        let state = FakeState {
            script: Arc::new(Mutex::new(script)),
            requests: Arc::default(),
        };
        let app = axum::Router::new()
            .route("/v1/messages", axum::routing::post(messages))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FakeClaude { addr, state }
    }

    /// The base URL to configure.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.state.requests.lock().unwrap().clone()
    }

    /// Requests of one task so far.
    pub fn count(&self, task: &str) -> usize {
        self.requests().iter().filter(|r| r.task() == task).count()
    }

    /// Replaces the script.
    pub fn script(&self, script: Script) {
        *self.state.script.lock().unwrap() = script;
    }
}

async fn messages(
    State(state): State<FakeState>,
    headers: HeaderMap,
    body: Json<Value>,
) -> Response {
    let recorded = Recorded {
        headers,
        body: body.0,
    };
    let (reply, task) = {
        let mut requests = state.requests.lock().unwrap();
        let n = requests
            .iter()
            .filter(|r| r.task() == recorded.task())
            .count();
        requests.push(recorded.clone());
        let script = state.script.lock().unwrap().clone();
        (script(&recorded, n), recorded.task().to_owned())
    };
    answer(reply, &task).await
}

fn answer(
    reply: Reply,
    task: &str,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Response> + Send + '_>> {
    Box::pin(async move {
        match reply {
            Reply::Tool(input) => {
                let name = if task == "intent" {
                    "record_intent"
                } else {
                    "record_ranking"
                };
                Json(json!({
                    "id": "msg_fake",
                    "type": "message",
                    "role": "assistant",
                    "model": "fake",
                    "content": [{"type": "tool_use", "id": "toolu_1", "name": name, "input": input}],
                    "stop_reason": "tool_use",
                    "usage": {"input_tokens": 321, "output_tokens": 45}
                }))
                .into_response()
            }
            Reply::Status(status, retry_after) => {
                let mut response = (
                    StatusCode::from_u16(status).unwrap(),
                    Json(json!({"type": "error", "error": {"type": "fake_error", "message": format!("fake {status}")}})),
                )
                    .into_response();
                if let Some(seconds) = retry_after {
                    response
                        .headers_mut()
                        .insert("retry-after", seconds.to_string().parse().unwrap());
                }
                response
            }
            Reply::NotJson => (StatusCode::OK, "I think you want a lamp!").into_response(),
            Reply::After(delay, then) => {
                tokio::time::sleep(delay).await;
                answer(*then, task).await
            }
            Reply::Hang => {
                tokio::time::sleep(Duration::from_secs(600)).await;
                StatusCode::GATEWAY_TIMEOUT.into_response()
            }
        }
    })
}

/// An intent answer with every field (nulls and empty lists unless given).
pub fn intent(fields: Value) -> Value {
    let mut base = json!({
        "category": null, "productType": null, "minPrice": null, "maxPrice": null,
        "colors": [], "materials": [], "styles": [], "rooms": [], "inStock": null
    });
    for (k, v) in fields.as_object().unwrap() {
        base[k] = v.clone();
    }
    base
}

/// A ranking answer: these ids, scores decreasing.
pub fn ranking(ids: &[String]) -> Value {
    let n = ids.len().max(1) as f64;
    json!({"ranking": ids.iter().enumerate().map(|(i, id)| json!({"id": id, "score": 1.0 - i as f64 / n})).collect::<Vec<_>>()})
}
