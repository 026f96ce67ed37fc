//! User accounts (admin), and each user's own record.

use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::auth::{Admin, Auth};
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::list::ListResponse;
use super::response::created;
use crate::domain::primitives::parse_name;
use crate::domain::{Language, Role, password};
use crate::error::{AppResult, Fields, Problem};
use crate::services::audit::Actor;
use crate::services::page::PageRequest;
use crate::services::users::{self, NewUser, NewUserInput, User, UserChanges};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_user, list_users))
        .routes(routes!(get_user, update_user))
}

#[derive(Serialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: String,
    pub court_id: Option<Uuid>,
    pub language: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        Self {
            id: u.id,
            email: u.email,
            name: u.name,
            role: u.role.as_str().to_owned(),
            court_id: u.court_id,
            language: u.language.as_str().to_owned(),
            active: u.active,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct CreateUser {
    pub email: String,
    pub name: String,
    /// `admin`, `clerk` or `mediator`.
    pub role: String,
    /// Required for a clerk: the court they work for.
    pub court_id: Option<Uuid>,
    /// `kk`, `ru` or `en`.
    pub language: String,
    /// At least 10 characters.
    pub password: String,
}

#[derive(Deserialize, ToSchema)]
pub struct UpdateUser {
    pub name: Option<String>,
    pub language: Option<String>,
    /// `false` disables the account and revokes its tokens.
    pub active: Option<bool>,
    /// A new password; revokes every token of the account.
    pub password: Option<String>,
}

#[derive(Deserialize, IntoParams)]
pub struct UserListParams {
    pub court_id: Option<Uuid>,
    pub role: Option<String>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// Creates a user account (admin).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = CreateUser,
    security(("bearer" = [])), responses(
    (status = 201, body = UserView, headers(("Location" = String))),
    (status = 409, description = "duplicate email", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
async fn create_user(
    State(state): State<AppState>,
    Admin(caller): Admin,
    ApiJson(body): ApiJson<CreateUser>,
) -> AppResult<impl IntoResponse> {
    let new = NewUser::parse(NewUserInput {
        email: body.email,
        name: body.name,
        role: body.role,
        court_id: body.court_id,
        language: body.language,
        password: body.password,
    })?;
    let user = users::create(&state.db, Actor::User(caller.user_id), new).await?;
    let location = format!("/api/v1/users/{}", user.id);
    Ok(created(location, UserView::from(user)))
}

/// User accounts, optionally of one court or role (admin).
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(UserListParams),
    security(("bearer" = [])), responses((status = 200, body = ListResponse<UserView>)))]
async fn list_users(
    State(state): State<AppState>,
    Admin(_admin): Admin,
    ApiQuery(q): ApiQuery<UserListParams>,
) -> AppResult<Json<ListResponse<UserView>>> {
    let mut f = Fields::default();
    let role = q
        .role
        .as_deref()
        .and_then(|r| f.check("role", r.parse::<Role>()));
    f.finish()?;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let (items, next_cursor) = users::list(&state.db, q.court_id, role, page).await?;
    Ok(Json(ListResponse::new(items, next_cursor)))
}

/// A user account: admins see any, everyone else only their own.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = Uuid, Path)),
    security(("bearer" = [])), responses(
    (status = 200, body = UserView),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
async fn get_user(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<UserView>> {
    Ok(Json(
        users::get_visible(&state.db, &caller, id).await?.into(),
    ))
}

/// Changes a user's name, language, password or whether the account is active (admin).
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = Uuid, Path)),
    request_body = UpdateUser, security(("bearer" = [])), responses(
    (status = 200, body = UserView),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
async fn update_user(
    State(state): State<AppState>,
    Admin(caller): Admin,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<UpdateUser>,
) -> AppResult<Json<UserView>> {
    let mut f = Fields::default();
    let changes = UserChanges {
        name: body.name.and_then(|n| f.check("name", parse_name(&n, 200))),
        language: body
            .language
            .and_then(|l| f.check("language", l.parse::<Language>())),
        active: body.active,
        password: body
            .password
            .and_then(|p| f.check("password", password::check_strength(&p).map(|()| p))),
    };
    f.finish()?;
    let user = users::update(&state.db, &caller, id, changes).await?;
    // Role, court, activity or password may have changed.
    state.auth_cache.forget_user(user.id);
    Ok(Json(user.into()))
}
