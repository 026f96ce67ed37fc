//! `/metrics` for Prometheus, and the layer that times every request by its
//! route template.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{MatchedPath, State};
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::error::{AppError, AppResult};
use crate::metrics::{Metrics, Snapshot};
use crate::services;
use crate::state::AppState;

/// Times the request; labels it with the matched route template, never the
/// raw path (which may carry a party's token or a feed secret).
pub async fn record(
    State(metrics): State<Arc<Metrics>>,
    req: Request<Body>,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned());
    let response = next.run(req).await;
    metrics.observe_request(
        method.as_str(),
        route.as_deref(),
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

/// The Prometheus scrape.
pub async fn scrape(State(state): State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    if let Some(expected) = state.settings.metrics_token.as_deref() {
        let given = super::auth::bearer_token(&headers).unwrap_or_default();
        // Compared as digests, so the time taken says nothing of the token.
        if Sha256::digest(given.as_bytes()) != Sha256::digest(expected.as_bytes()) {
            return Err(AppError::Unauthorized(
                "a valid metrics token is required".into(),
            ));
        }
    }
    let (pool_size, pool_idle) = crate::db::pool_usage(&state.db);
    let snapshot = Snapshot {
        outbox: services::outbox::depth_by_status(&state.db).await?,
        pool_size,
        pool_idle,
    };
    let body = state.metrics.render(&snapshot);
    Ok((
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
        )],
        body,
    )
        .into_response())
}
