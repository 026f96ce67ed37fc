//! Courts and rooms.

use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::auth::{Admin, Auth, VisibleCourt};
use super::extract::{ApiJson, ApiQuery};
use super::list::{ListParams, ListResponse};
use super::response::created;
use crate::domain::primitives::parse_name;
use crate::domain::{CourtCode, Language, TimeZoneName};
use crate::error::{AppResult, Fields, Problem, checked};
use crate::services::courts::{self, Court, CourtChanges, NewCourt, NewRoom, Room};
use crate::services::page::PageRequest;
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_court, list_courts))
        .routes(routes!(get_court, update_court))
        .routes(routes!(create_room, list_rooms))
        .routes(routes!(get_closed_days, put_closed_days))
}

/// The one check of a new court, for the API and the admin's page.
pub fn parse_court(body: &CreateCourt) -> crate::error::AppResult<NewCourt> {
    let mut f = Fields::default();
    let code = f.check("code", CourtCode::parse(&body.code));
    let name = f.check("name", parse_name(&body.name, 200));
    let timezone = f.check("timezone", TimeZoneName::parse(&body.timezone));
    let default_language = f.check("default_language", parse_language(&body.default_language));
    f.finish()?;
    Ok(NewCourt {
        code: checked(code)?,
        name: checked(name)?,
        timezone: checked(timezone)?,
        default_language: checked(default_language)?,
    })
}

/// The one check of a new room, for the API and the admin's page.
pub fn parse_room(body: &CreateRoom) -> crate::error::AppResult<NewRoom> {
    let mut f = Fields::default();
    let name = f.check("name", parse_name(&body.name, 200));
    if !(1..=500).contains(&body.capacity) {
        f.push("capacity", "must be between 1 and 500");
    }
    f.finish()?;
    Ok(NewRoom {
        name: checked(name)?,
        capacity: body.capacity,
        step_free: body.step_free,
    })
}

/// Most closed days a court may have listed.
pub const MAX_CLOSED_DAYS: usize = 2000;

pub fn check_closed_days(days: &[chrono::NaiveDate]) -> crate::error::AppResult<()> {
    if days.len() > MAX_CLOSED_DAYS {
        return Err(crate::error::AppError::field("days", "at most 2000 days"));
    }
    Ok(())
}

#[derive(Deserialize, Serialize, ToSchema)]
pub struct ClosedDays {
    /// Dates (`YYYY-MM-DD`) on which the court holds no sessions.
    pub days: Vec<chrono::NaiveDate>,
}

/// Days the court is closed (admin, or a clerk of that court).
#[utoipa::path(get, path = "/api/v1/courts/{id}/closed-days", tag = "courts",
    params(("id" = Uuid, Path)), security(("bearer" = [])), responses(
    (status = 200, body = ClosedDays),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
async fn get_closed_days(
    State(state): State<AppState>,
    access: VisibleCourt,
) -> AppResult<Json<ClosedDays>> {
    let days = courts::closed_days(&state.db, access.court.id).await?;
    Ok(Json(ClosedDays { days }))
}

/// Replaces the days the court is closed (admin); free slots leave them out.
#[utoipa::path(put, path = "/api/v1/courts/{id}/closed-days", tag = "courts",
    params(("id" = Uuid, Path)), request_body = ClosedDays, security(("bearer" = [])), responses(
    (status = 200, body = ClosedDays),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
async fn put_closed_days(
    State(state): State<AppState>,
    Admin(_admin): Admin,
    access: VisibleCourt,
    ApiJson(body): ApiJson<ClosedDays>,
) -> AppResult<Json<ClosedDays>> {
    check_closed_days(&body.days)?;
    let days = courts::set_closed_days(
        &state.db,
        &access.caller,
        access.court.id,
        body.days.into_iter().collect(),
    )
    .await?;
    Ok(Json(ClosedDays { days }))
}

#[derive(Serialize, ToSchema)]
pub struct CourtView {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    /// IANA time zone, e.g. `Asia/Almaty`.
    pub timezone: String,
    pub default_language: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Court> for CourtView {
    fn from(c: Court) -> Self {
        Self {
            id: c.id,
            code: c.code,
            name: c.name,
            timezone: c.timezone,
            default_language: c.default_language,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct CreateCourt {
    /// Letters, digits and dashes; unique regardless of case.
    pub code: String,
    pub name: String,
    /// IANA time zone name, e.g. `Asia/Almaty`.
    pub timezone: String,
    /// `kk`, `ru` or `en`.
    pub default_language: String,
}

#[derive(Deserialize, ToSchema)]
pub struct UpdateCourt {
    pub name: Option<String>,
    pub timezone: Option<String>,
    pub default_language: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RoomView {
    pub id: Uuid,
    pub court_id: Uuid,
    pub name: String,
    pub capacity: i32,
    /// Reachable without steps.
    pub step_free: bool,
    pub created_at: DateTime<Utc>,
}

impl From<Room> for RoomView {
    fn from(r: Room) -> Self {
        Self {
            id: r.id,
            court_id: r.court_id,
            name: r.name,
            capacity: r.capacity,
            step_free: r.step_free,
            created_at: r.created_at,
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct CreateRoom {
    pub name: String,
    /// People the room seats, 1 to 500.
    pub capacity: i32,
    #[serde(default)]
    pub step_free: bool,
}

fn parse_language(raw: &str) -> Result<Language, String> {
    raw.parse()
}

/// Creates a court (admin).
#[utoipa::path(post, path = "/api/v1/courts", tag = "courts", request_body = CreateCourt,
    security(("bearer" = [])), responses(
    (status = 201, body = CourtView, headers(("Location" = String))),
    (status = 409, description = "duplicate code", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
async fn create_court(
    State(state): State<AppState>,
    Admin(caller): Admin,
    ApiJson(body): ApiJson<CreateCourt>,
) -> AppResult<impl IntoResponse> {
    let court = courts::create(&state.db, &caller, parse_court(&body)?).await?;
    let location = format!("/api/v1/courts/{}", court.id);
    Ok(created(location, CourtView::from(court)))
}

/// Courts the caller may see: all for an admin, their own for a clerk.
#[utoipa::path(get, path = "/api/v1/courts", tag = "courts", params(ListParams),
    security(("bearer" = [])), responses((status = 200, body = ListResponse<CourtView>)))]
async fn list_courts(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiQuery(q): ApiQuery<ListParams>,
) -> AppResult<Json<ListResponse<CourtView>>> {
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let (items, next_cursor) = courts::list_visible(&state.db, &caller, page).await?;
    Ok(Json(ListResponse::new(items, next_cursor)))
}

/// One court (admin, or a clerk of that court).
#[utoipa::path(get, path = "/api/v1/courts/{id}", tag = "courts", params(("id" = Uuid, Path)),
    security(("bearer" = [])), responses(
    (status = 200, body = CourtView),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
async fn get_court(access: VisibleCourt) -> Json<CourtView> {
    Json(access.court.into())
}

/// Changes a court's name, time zone or default language (admin).
#[utoipa::path(patch, path = "/api/v1/courts/{id}", tag = "courts", params(("id" = Uuid, Path)),
    request_body = UpdateCourt, security(("bearer" = [])), responses(
    (status = 200, body = CourtView),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
async fn update_court(
    State(state): State<AppState>,
    Admin(_admin): Admin,
    access: VisibleCourt,
    ApiJson(body): ApiJson<UpdateCourt>,
) -> AppResult<Json<CourtView>> {
    let mut f = Fields::default();
    let changes = CourtChanges {
        name: body.name.and_then(|n| f.check("name", parse_name(&n, 200))),
        timezone: body
            .timezone
            .and_then(|t| f.check("timezone", TimeZoneName::parse(&t))),
        default_language: body
            .default_language
            .and_then(|l| f.check("default_language", parse_language(&l))),
    };
    f.finish()?;
    let court = courts::update(&state.db, &access.caller, access.court.id, changes).await?;
    Ok(Json(court.into()))
}

/// Adds a room to a court (admin).
#[utoipa::path(post, path = "/api/v1/courts/{id}/rooms", tag = "courts", params(("id" = Uuid, Path)),
    request_body = CreateRoom, security(("bearer" = [])), responses(
    (status = 201, body = RoomView, headers(("Location" = String))),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "duplicate name", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
async fn create_room(
    State(state): State<AppState>,
    Admin(_admin): Admin,
    access: VisibleCourt,
    ApiJson(body): ApiJson<CreateRoom>,
) -> AppResult<impl IntoResponse> {
    let room = courts::create_room(
        &state.db,
        &access.caller,
        access.court.id,
        parse_room(&body)?,
    )
    .await?;
    let location = format!("/api/v1/courts/{}/rooms/{}", room.court_id, room.id);
    Ok(created(location, RoomView::from(room)))
}

/// Rooms of a court (admin, or a clerk of that court).
#[utoipa::path(get, path = "/api/v1/courts/{id}/rooms", tag = "courts",
    params(("id" = Uuid, Path), ListParams), security(("bearer" = [])), responses(
    (status = 200, body = ListResponse<RoomView>),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
async fn list_rooms(
    State(state): State<AppState>,
    access: VisibleCourt,
    ApiQuery(q): ApiQuery<ListParams>,
) -> AppResult<Json<ListResponse<RoomView>>> {
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let (items, next_cursor) = courts::list_rooms(&state.db, access.court.id, page).await?;
    Ok(Json(ListResponse::new(items, next_cursor)))
}
