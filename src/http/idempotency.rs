//! `Idempotency-Key` on write requests: a retried request with the same key
//! returns the first response and changes nothing.
//!
//! Keys are scoped to the authenticated user; the request's method, path and
//! body are hashed so that reusing a key for a different request is refused
//! rather than silently answered with an unrelated response.

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::{AppError, unique_violation};
use crate::services::auth as auth_service;

const HEADER: &str = "idempotency-key";
/// Responses larger than this are not kept for replay.
const MAX_STORED_BODY: usize = 256 * 1024;
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
    if !is_write {
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
    let token = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim().to_owned());
    let Some(caller) = (match token {
        Some(t) => auth_service::authenticate(&state.db, &t).await.ok(),
        None => None,
    }) else {
        return Ok(next.run(req).await);
    };

    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, state.settings.max_body_bytes)
        .await
        .map_err(|_| AppError::PayloadTooLarge)?;
    let method = parts.method.to_string();
    let path = parts.uri.path().to_owned();
    let request_hash = {
        let mut h = Sha256::new();
        h.update(method.as_bytes());
        h.update([0]);
        h.update(path.as_bytes());
        h.update([0]);
        h.update(&bytes);
        hex::encode(h.finalize())
    };

    use entity::idempotency_keys::{ActiveModel, Column, Entity};
    let existing = Entity::find()
        .filter(Column::UserId.eq(caller.user_id))
        .filter(Column::Key.eq(key.as_str()))
        .one(&state.db)
        .await?;
    if let Some(stored) = existing {
        if stored.request_hash != request_hash {
            return Err(AppError::field(
                "Idempotency-Key",
                "was already used for a different request",
            ));
        }
        return Ok(replay(&stored));
    }

    let mut req = Request::from_parts(parts, Body::from(bytes));
    req.extensions_mut().insert(caller.clone());
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
    let headers = kept_headers(&parts.headers);
    let row = ActiveModel {
        user_id: Set(caller.user_id),
        key: Set(key),
        method: Set(method),
        path: Set(path),
        request_hash: Set(request_hash),
        response_status: Set(i32::from(parts.status.as_u16())),
        response_headers: Set(headers),
        response_body: Set(body.to_vec()),
        created_at: Set(crate::db::now()),
    };
    if let Err(e) = row.insert(&state.db).await
        && !unique_violation(&e)
    {
        tracing::warn!(error = %e, "could not store an idempotency key");
    }
    Ok(Response::from_parts(parts, Body::from(body)))
}

fn kept_headers(headers: &HeaderMap) -> serde_json::Value {
    let map: serde_json::Map<String, serde_json::Value> = KEPT_HEADERS
        .iter()
        .filter_map(|name| {
            headers
                .get(*name)
                .and_then(|v| v.to_str().ok())
                .map(|v| ((*name).to_owned(), serde_json::Value::from(v)))
        })
        .collect();
    serde_json::Value::Object(map)
}

fn replay(stored: &entity::idempotency_keys::Model) -> Response {
    let status = u16::try_from(stored.response_status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let mut response = (status, Bytes::from(stored.response_body.clone())).into_response();
    if let Some(map) = stored.response_headers.as_object() {
        for (name, value) in map {
            if let (Ok(n), Some(Ok(v))) = (
                HeaderName::try_from(name.as_str()),
                value.as_str().map(HeaderValue::from_str),
            ) {
                response.headers_mut().insert(n, v);
            }
        }
    }
    response
        .headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}
