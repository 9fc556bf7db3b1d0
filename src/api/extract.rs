//! `ApiJson<T>`: a JSON body extractor whose rejections are [`ApiError`]s with precise codes
//! (invalid JSON, unknown field, wrong type, body too large) instead of axum's plain-text ones.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// A JSON request body.
pub(crate) struct ApiJson<T>(pub(crate) T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let limit = req.extensions().get::<BodyLimit>().map_or(0, |l| l.0);
        let bytes = Bytes::from_request(req, state).await.map_err(|e| match e {
            BytesRejection::FailedToBufferBody(_) => ApiError::PayloadTooLarge(limit),
            other => ApiError::InvalidJson(other.body_text()),
        })?;
        let body: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            &bytes
        };
        serde_json::from_slice(body).map(ApiJson).map_err(|e| {
            use serde_json::error::Category;
            let message = e.to_string();
            match e.classify() {
                Category::Data if message.starts_with("unknown field") => {
                    ApiError::UnknownField(message)
                }
                Category::Data => ApiError::InvalidField(message),
                Category::Syntax | Category::Eof | Category::Io => ApiError::InvalidJson(message),
            }
        })
    }
}

/// The configured body limit, put in request extensions so rejections can quote it.
#[derive(Clone, Copy)]
pub(crate) struct BodyLimit(pub(crate) usize);
