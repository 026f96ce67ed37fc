//! `POST /api/v1/auth/token` and friends: bearer tokens for the JSON API.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::Auth;
use super::client::ClientAddress;
use super::extract::ApiJson;
use super::users::UserView;
use crate::error::{AppResult, Problem};
use crate::services::{auth as auth_service, users};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(issue_token, revoke_token))
        .routes(routes!(me))
}

#[derive(Deserialize, ToSchema)]
pub struct TokenRequest {
    pub email: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// Exchanges email and password for a bearer token.
#[utoipa::path(post, path = "/api/v1/auth/token", tag = "auth", request_body = TokenRequest, responses(
    (status = 200, body = TokenResponse),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 429, description = "too many attempts; `Retry-After` says when to try again", body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "too many password checks at once; `Retry-After` says when to try again", body = Problem, content_type = "application/problem+json"),
))]
async fn issue_token(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    ApiJson(body): ApiJson<TokenRequest>,
) -> AppResult<Json<TokenResponse>> {
    let issued = auth_service::issue_token(
        &state.db,
        &state.login_guard,
        &body.email,
        &body.password,
        client,
        chrono::Duration::hours(state.settings.token_ttl_hours),
    )
    .await?;
    Ok(Json(TokenResponse {
        token: issued.token,
        expires_at: issued.expires_at,
    }))
}

/// Revokes the token of this request; it stops working at once.
#[utoipa::path(delete, path = "/api/v1/auth/token", tag = "auth", security(("bearer" = [])), responses(
    (status = 204),
    (status = 401, body = Problem, content_type = "application/problem+json"),
))]
async fn revoke_token(State(state): State<AppState>, Auth(caller): Auth) -> AppResult<StatusCode> {
    auth_service::revoke(&state.db, caller.token_id).await?;
    state.auth_cache.forget_token(caller.token_id);
    Ok(StatusCode::NO_CONTENT)
}

/// The user the token belongs to.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth", security(("bearer" = [])), responses(
    (status = 200, body = UserView),
    (status = 401, body = Problem, content_type = "application/problem+json"),
))]
async fn me(State(state): State<AppState>, Auth(caller): Auth) -> AppResult<Json<UserView>> {
    let user = users::get_visible(&state.db, &caller, caller.user_id).await?;
    Ok(Json(user.into()))
}
