//! Who is calling: bearer-token authentication and role and court scoping, as
//! extractors.
//!
//! Rule: a handler that takes [`Auth`], [`Admin`], [`Staff`] or [`VisibleCourt`]
//! cannot run for a caller who may not reach it. Things a caller may not see are
//! reported as not found (404), never as forbidden, so their existence does not
//! leak.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use uuid::Uuid;

use super::extract::ApiPath;
use crate::domain::Role;
use crate::error::AppError;
use crate::services::auth::{self as auth_service, Caller};
use crate::services::courts::{self, Court};
use crate::state::AppState;

/// Any authenticated user.
#[derive(Debug, Clone)]
pub struct Auth(pub Caller);

/// An authenticated admin; anyone else gets 403.
#[derive(Debug, Clone)]
pub struct Admin(pub Caller);

/// An admin or a clerk; a mediator gets 403.
#[derive(Debug, Clone)]
pub struct Staff(pub Caller);

/// The court named by the `{id}` path parameter, when the caller may see it:
/// admins every court, clerks their own. Otherwise 404.
#[derive(Debug, Clone)]
pub struct VisibleCourt {
    pub caller: Caller,
    pub court: Court,
}

/// The raw bearer token of a request, if any.
pub(crate) fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
}

/// The caller a request's bearer token belongs to, through the instance's
/// cache of recent authentications.
pub async fn authenticated(state: &AppState, headers: &HeaderMap) -> Result<Caller, AppError> {
    let token = bearer_token(headers).ok_or_else(|| {
        AppError::Unauthorized("send a token as Authorization: Bearer <token>".into())
    })?;
    authenticated_by(state, token).await
}

/// The caller `token` belongs to, through the instance's cache of recent
/// authentications.
pub async fn authenticated_by(state: &AppState, token: &str) -> Result<Caller, AppError> {
    auth_service::authenticate_cached(&state.db, &state.auth_cache, token).await
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(Auth(caller.clone()));
        }
        let caller = authenticated(state, &parts.headers).await?;
        record_caller(&caller);
        parts.extensions.insert(caller.clone());
        Ok(Auth(caller))
    }
}

/// The bearer token of a request, for a handler that checks it together
/// with what it reads in one statement (the free slots); none is a 401.
/// The handler must check it before answering anything else, and record
/// the caller with [`record_caller`].
#[derive(Debug, Clone)]
pub struct Bearer(pub String);

impl FromRequestParts<AppState> for Bearer {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> Result<Self, AppError> {
        bearer_token(&parts.headers)
            .map(|t| Bearer(t.to_owned()))
            .ok_or_else(|| {
                AppError::Unauthorized("send a token as Authorization: Bearer <token>".into())
            })
    }
}

/// Names the caller on the request's log line, as [`Auth`] does.
pub fn record_caller(caller: &Caller) {
    tracing::Span::current().record("user_id", tracing::field::display(caller.user_id));
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let Auth(caller) = Auth::from_request_parts(parts, state).await?;
        if caller.role != Role::Admin {
            return Err(AppError::Forbidden("only an admin may do this".into()));
        }
        Ok(Admin(caller))
    }
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let Auth(caller) = Auth::from_request_parts(parts, state).await?;
        if !matches!(caller.role, Role::Admin | Role::Clerk) {
            return Err(AppError::Forbidden(
                "only an admin or a clerk may do this".into(),
            ));
        }
        Ok(Staff(caller))
    }
}

impl FromRequestParts<AppState> for VisibleCourt {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let Auth(caller) = Auth::from_request_parts(parts, state).await?;
        let ApiPath(id) = ApiPath::<Uuid>::from_request_parts(parts, state).await?;
        let court = courts::get_visible(&state.db, &caller, id).await?;
        Ok(VisibleCourt { caller, court })
    }
}
