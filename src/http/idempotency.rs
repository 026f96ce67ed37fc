//! `Idempotency-Key` on write requests: a retried request with the same key
//! returns the first response and changes nothing.
//!
//! Keys are scoped to the authenticated user; the request's method, path and
//! body are hashed so that reusing a key for a different request is refused
//! rather than silently answered with an unrelated response (see
//! `services::idempotency`).

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::auth::authenticated;
use crate::error::AppError;
use crate::services::idempotency::{self, Earlier, KeyedRequest, StoredResponse};
use crate::state::AppState;

const HEADER: &str = "idempotency-key";
/// Responses larger than this are not kept for replay.
const MAX_STORED_BODY: usize = 256 * 1024;
/// Requests under this path are never kept for replay: their answers hold
/// credentials.
const UNKEPT_PREFIX: &str = "/api/v1/auth/";
/// Response headers worth replaying.
const KEPT_HEADERS: [&str; 2] = ["content-type", "location"];

pub async fn middleware(State(state): State<AppState>, req: Request, next: Next) -> Response {
    match handle(state, req, next).await {
        Ok(resp) => resp,
        Err(err) => err.into_response(),
    }
}

async fn handle(state: AppState, req: Request, next: Next) -> Result<Response, AppError> {
    let is_write = matches!(
        *req.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    let Some(key) = req.headers().get(HEADER).cloned() else {
        return Ok(next.run(req).await);
    };
    // Answers under /auth/ hold fresh tokens: they are never kept.
    if !is_write || req.uri().path().starts_with(UNKEPT_PREFIX) {
        return Ok(next.run(req).await);
    }
    let key = key
        .to_str()
        .ok()
        .filter(|k| (1..=255).contains(&k.len()))
        .ok_or_else(|| {
            AppError::field(
                "Idempotency-Key",
                "must be 1 to 255 visible ASCII characters",
            )
        })?
        .to_owned();
    // Only authenticated callers get replay; without a valid token the request
    // goes on and is refused by its handler as usual.
    let Ok(caller) = authenticated(&state, req.headers()).await else {
        return Ok(next.run(req).await);
    };

    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, state.settings.max_body_bytes)
        .await
        .map_err(|_| AppError::PayloadTooLarge)?;
    let method = parts.method.to_string();
    let path = parts.uri.path().to_owned();
    let keyed = KeyedRequest {
        user_id: caller.user_id,
        key,
        request_hash: idempotency::request_hash(&method, &path, &bytes),
        method,
        path,
    };
    match idempotency::earlier(&state.db, &keyed).await? {
        Earlier::Different => {
            return Err(AppError::field(
                "Idempotency-Key",
                "was already used for a different request",
            ));
        }
        Earlier::Same(stored) => return Ok(replay(stored)),
        Earlier::None => {}
    }

    let mut req = Request::from_parts(parts, Body::from(bytes));
    req.extensions_mut().insert(caller);
    let response = next.run(req).await;
    if response.status().is_server_error() {
        return Ok(response);
    }
    let (parts, body) = response.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_STORED_BODY).await else {
        return Err(AppError::internal(
            "buffering a response for idempotent replay",
            anyhow::anyhow!("response too large"),
        ));
    };
    let stored = StoredResponse {
        status: parts.status.as_u16(),
        headers: KEPT_HEADERS
            .iter()
            .filter_map(|name| {
                let value = parts.headers.get(*name)?.to_str().ok()?;
                Some(((*name).to_owned(), value.to_owned()))
            })
            .collect(),
        body: body.to_vec(),
    };
    idempotency::remember(&state.db, keyed, &stored).await;
    Ok(Response::from_parts(parts, Body::from(body)))
}

fn replay(stored: StoredResponse) -> Response {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut response = (status, Bytes::from(stored.body)).into_response();
    for (name, value) in &stored.headers {
        if let (Ok(n), Ok(v)) = (
            HeaderName::try_from(name.as_str()),
            HeaderValue::from_str(value),
        ) {
            response.headers_mut().insert(n, v);
        }
    }
    response
        .headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}
