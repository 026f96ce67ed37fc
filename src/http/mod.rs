//! The HTTP surface: routes, extractors and middleware.
//!
//! Rule: handlers parse and check input, call one service, and shape the
//! response. They hold no SQL and no business rules.

pub mod auth;
pub mod cases;
pub mod client;
pub mod courts;
pub mod extract;
pub mod headers;
pub mod health;
pub mod idempotency;
pub mod inbox;
pub mod list;
pub mod mediators;
pub mod metrics;
pub mod openapi;
pub mod outbox;
pub mod outcomes;
pub mod pages;
pub mod parties;
pub mod reports;
pub mod response;
pub mod sessions;
pub mod tokens;
pub mod trace;
pub mod users;

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Response, StatusCode, header};
use axum::middleware;
use axum::response::IntoResponse;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use utoipa_axum::router::OpenApiRouter;

use crate::error::{AppError, PROBLEM_JSON, Problem};
use crate::state::AppState;

/// Seconds a client is asked to wait after a 503.
const RETRY_AFTER_SECONDS: &str = "5";

/// The whole application router, with OpenAPI collected from the handlers.
pub fn router(state: AppState) -> Router {
    let (api_router, api) = OpenApiRouter::with_openapi(openapi::base())
        .merge(health::routes())
        .merge(tokens::routes())
        .merge(courts::routes())
        .merge(users::routes())
        .merge(mediators::routes())
        .merge(cases::routes())
        .merge(parties::routes())
        .merge(outbox::routes())
        .merge(inbox::routes())
        .merge(sessions::routes())
        .merge(outcomes::routes())
        .merge(reports::routes())
        .split_for_parts();

    let max_body = state.settings.max_body_bytes;
    let https = url::Url::parse(&state.settings.public_url).is_ok_and(|u| u.scheme() == "https");
    let timing = state.metrics.clone();
    let app = api_router
        .merge(openapi::docs_router(api))
        .route("/metrics", axum::routing::get(metrics::scrape))
        .merge(pages::routes())
        .fallback(|| async { AppError::not_found("route") })
        .method_not_allowed_fallback(|| async {
            Problem::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "this method is not allowed on this path",
            )
        })
        .layer(middleware::from_fn_with_state(
            state.clone(),
            idempotency::middleware,
        ))
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(state)
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(30),
        ))
        .layer(CatchPanicLayer::custom(|_| {
            tracing::error!("a handler panicked");
            AppError::Internal(anyhow::anyhow!("handler panicked")).into_response()
        }))
        .layer(middleware::map_response(ensure_problem));
    headers::secure(app, https)
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http()
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO))
                .make_span_with(trace::make_span),
        )
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(middleware::from_fn_with_state(timing, metrics::record))
        .layer(middleware::map_request(trace::drop_unacceptable_request_id))
}

/// Every error response is problem+json, including those made by layers and by
/// axum itself (timeouts, panics, unknown methods); and every 503 (database
/// unreachable, timeout) says when to try again.
async fn ensure_problem(mut response: Response<Body>) -> Response<Body> {
    let status = response.status();
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response
            .headers_mut()
            .entry(header::RETRY_AFTER)
            .or_insert(HeaderValue::from_static(RETRY_AFTER_SECONDS));
    }
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    let is_page = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if is_problem || is_page {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    let detail = status.canonical_reason().unwrap_or("error").to_lowercase();
    let problem = Problem::new(status, "http", detail);
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body))
}
