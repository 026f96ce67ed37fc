//! The mediator registry and mediators' calendars.

use std::collections::BTreeSet;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::auth::{Admin, Auth, Bearer, authenticated_by, record_caller};
use super::extract::{ApiJson, ApiPath, ApiQuery, parse_json};
use super::list::ListResponse;
use super::response::created;
use crate::domain::iin::IinBin;
use crate::domain::mediator::{
    MediatorKind, MediatorStatus, Specialty, TimeOffSpan, parse_max_active_cases,
    parse_registry_number,
};
use crate::domain::primitives::parse_name;
use crate::domain::slots::{self, SlotRules};
use crate::domain::{EmailAddress, Language, TimeZoneName};
use crate::error::{AppError, AppResult, Fields, Problem, checked};
use crate::services::access::{self, Access};
use crate::services::availability::conflicts::{self, Conflict};
use crate::services::availability::time_off::{self, TimeOff};
use crate::services::availability::{busy, cache, hours};
use crate::services::feed;
use crate::services::mediators::{self, MediatorInput, MediatorRecord};
use crate::services::page::PageRequest;
use crate::state::AppState;

/// Longest range of one free-slots request.
pub const MAX_SLOT_RANGE_DAYS: i64 = 92;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_mediator, list_mediators))
        .routes(routes!(get_mediator, update_mediator))
        .routes(routes!(get_availability, put_availability))
        .routes(routes!(list_time_off, add_time_off))
        .routes(routes!(delete_time_off))
        .routes(routes!(list_conflicts, add_conflict))
        .routes(routes!(put_external_calendar))
        .routes(routes!(free_slots))
        .routes(routes!(rotate_feed))
        .routes(routes!(calendar_feed))
        .routes(routes!(import_registry))
}

#[derive(Serialize, ToSchema)]
pub struct MediatorView {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub user_id: Option<Uuid>,
    pub registry_number: String,
    pub kind: String,
    pub certified_until: NaiveDate,
    pub specialties: Vec<String>,
    pub languages: Vec<String>,
    pub court_ids: Vec<Uuid>,
    pub max_active_cases: i32,
    pub timezone: String,
    pub status: String,
    /// The private calendar feed, in the answer that made it only (the
    /// mediator's creation; later `POST …/calendar-feed/rotate` makes a new
    /// one): its secret is stored hashed and cannot be shown again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calendar_feed_url: Option<String>,
    /// The external calendar URL and the error of its last fetch, if any;
    /// shown to the mediator and admins only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_calendar: Option<ExternalCalendarView>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct ExternalCalendarView {
    pub ics_url: Option<String>,
    pub last_fetched_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

pub(crate) fn feed_url(state: &AppState, secret: &str) -> String {
    format!("{}/calendar/{secret}.ics", state.settings.public_base())
}

fn view(r: MediatorRecord, access: Access) -> MediatorView {
    let m = r.mediator;
    let manage = access == Access::Manage;
    MediatorView {
        calendar_feed_url: None,
        external_calendar: manage.then(|| ExternalCalendarView {
            ics_url: m.external_calendar_url.clone(),
            last_fetched_at: m.external_calendar_fetched_at,
            last_error: m.external_calendar_error.clone(),
        }),
        id: m.id,
        name: m.name,
        email: m.email,
        user_id: m.user_id,
        registry_number: m.registry_number,
        kind: m.kind.as_str().to_owned(),
        certified_until: m.certified_until,
        specialties: r.specialties,
        languages: r.languages,
        court_ids: r.court_ids,
        max_active_cases: m.max_active_cases,
        timezone: m.timezone,
        status: m.status.as_str().to_owned(),
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

#[derive(Deserialize, ToSchema)]
pub struct CreateMediator {
    pub name: String,
    pub email: String,
    /// The mediator's own user account (role mediator), if they have one.
    pub user_id: Option<Uuid>,
    pub registry_number: String,
    /// `professional` or `public`.
    pub kind: String,
    pub certified_until: NaiveDate,
    /// civil, family, labour, commercial, administrative, criminal-minor,
    /// juvenile, domestic_violence.
    pub specialties: Vec<String>,
    /// kk, ru, en; at least one.
    pub languages: Vec<String>,
    pub court_ids: Vec<Uuid>,
    pub max_active_cases: i32,
    /// IANA zone, e.g. `Asia/Almaty`.
    pub timezone: String,
    /// active (default), suspended or retired.
    pub status: Option<String>,
}

#[derive(Deserialize, ToSchema, Default)]
pub struct UpdateMediator {
    pub name: Option<String>,
    pub email: Option<String>,
    pub user_id: Option<Uuid>,
    pub registry_number: Option<String>,
    pub kind: Option<String>,
    pub certified_until: Option<NaiveDate>,
    pub specialties: Option<Vec<String>>,
    pub languages: Option<Vec<String>>,
    pub court_ids: Option<Vec<Uuid>>,
    pub max_active_cases: Option<i32>,
    pub timezone: Option<String>,
    pub status: Option<String>,
}

fn parse_set<T: Ord + std::str::FromStr<Err = String>>(
    f: &mut Fields,
    field: &str,
    raw: &[String],
) -> BTreeSet<T> {
    let mut out = BTreeSet::new();
    for (i, item) in raw.iter().enumerate() {
        if let Some(v) = f.check(&format!("{field}[{i}]"), item.parse::<T>()) {
            out.insert(v);
        }
    }
    out
}

/// Validates a full registry entry, naming every bad field.
pub fn parse_mediator(body: CreateMediator, f: &mut Fields) -> Option<MediatorInput> {
    let name = f.check("name", parse_name(&body.name, 200));
    let email = f.check("email", EmailAddress::parse(&body.email));
    let registry_number = f.check(
        "registry_number",
        parse_registry_number(&body.registry_number),
    );
    let kind = f.check("kind", body.kind.parse::<MediatorKind>());
    let specialties = parse_set::<Specialty>(f, "specialties", &body.specialties);
    let languages = parse_set::<Language>(f, "languages", &body.languages);
    if body.languages.is_empty() {
        f.push("languages", "must name at least one language");
    }
    let max_active_cases = f.check(
        "max_active_cases",
        parse_max_active_cases(body.max_active_cases),
    );
    let timezone = f.check("timezone", TimeZoneName::parse(&body.timezone));
    let status = f.check(
        "status",
        body.status
            .as_deref()
            .unwrap_or("active")
            .parse::<MediatorStatus>(),
    );
    Some(MediatorInput {
        name: name?,
        email: email?,
        user_id: body.user_id,
        registry_number: registry_number?,
        kind: kind?,
        certified_until: body.certified_until,
        specialties,
        languages,
        court_ids: body.court_ids.into_iter().collect(),
        max_active_cases: max_active_cases?,
        timezone: timezone?,
        status: status?,
    })
}

/// Adds a mediator to the registry (admin).
#[utoipa::path(post, path = "/api/v1/mediators", tag = "mediators", request_body = CreateMediator,
    security(("bearer" = [])), responses(
    (status = 201, body = MediatorView, headers(("Location" = String))),
    (status = 409, description = "registry number taken", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
async fn create_mediator(
    State(state): State<AppState>,
    Admin(caller): Admin,
    ApiJson(body): ApiJson<CreateMediator>,
) -> AppResult<impl IntoResponse> {
    let mut f = Fields::default();
    let input = parse_mediator(body, &mut f);
    f.finish()?;
    let (record, feed_secret) = mediators::create(&state.db, &caller, checked(input)?).await?;
    let location = format!("/api/v1/mediators/{}", record.mediator.id);
    let mut answer = view(record, Access::Manage);
    answer.calendar_feed_url = Some(feed_url(&state, &feed_secret));
    Ok(created(location, answer))
}

#[derive(Deserialize, IntoParams)]
pub struct MediatorListParams {
    pub court_id: Option<Uuid>,
    pub status: Option<String>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// Mediators: all for an admin, those serving the clerk's court for a clerk,
/// themself for a mediator.
#[utoipa::path(get, path = "/api/v1/mediators", tag = "mediators", params(MediatorListParams),
    security(("bearer" = [])), responses((status = 200, body = ListResponse<MediatorView>)))]
async fn list_mediators(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiQuery(q): ApiQuery<MediatorListParams>,
) -> AppResult<Json<ListResponse<MediatorView>>> {
    let mut f = Fields::default();
    let status = q
        .status
        .as_deref()
        .and_then(|s| f.check("status", s.parse::<MediatorStatus>()));
    f.finish()?;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let (items, next_cursor) =
        mediators::list_for(&state.db, &caller, q.court_id, status, page).await?;
    let access = Access::in_list(caller.role);
    Ok(Json(ListResponse {
        items: items.into_iter().map(|r| view(r, access)).collect(),
        next_cursor,
    }))
}

/// One mediator (admin, clerks of a court they serve, the mediator).
#[utoipa::path(get, path = "/api/v1/mediators/{id}", tag = "mediators", params(("id" = Uuid, Path)),
    security(("bearer" = [])), responses(
    (status = 200, body = MediatorView),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
async fn get_mediator(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<MediatorView>> {
    let (record, access) = access::load_for(&state.db, &caller, id).await?;
    Ok(Json(view(record, access)))
}

/// Changes registry fields of a mediator (admin); only the fields sent change.
#[utoipa::path(patch, path = "/api/v1/mediators/{id}", tag = "mediators", params(("id" = Uuid, Path)),
    request_body = UpdateMediator, security(("bearer" = [])), responses(
    (status = 200, body = MediatorView),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
async fn update_mediator(
    State(state): State<AppState>,
    Admin(caller): Admin,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<UpdateMediator>,
) -> AppResult<Json<MediatorView>> {
    let (record, _) = access::load_for(&state.db, &caller, id).await?;
    let cur = mediators::current_input(&record)?;
    let full = CreateMediator {
        name: body.name.unwrap_or(cur.name),
        email: body.email.unwrap_or_else(|| cur.email.as_str().to_owned()),
        user_id: body.user_id.or(cur.user_id),
        registry_number: body.registry_number.unwrap_or(cur.registry_number),
        kind: body.kind.unwrap_or_else(|| cur.kind.as_str().to_owned()),
        certified_until: body.certified_until.unwrap_or(cur.certified_until),
        specialties: body.specialties.unwrap_or_else(|| {
            cur.specialties
                .iter()
                .map(|s| s.as_str().to_owned())
                .collect()
        }),
        languages: body.languages.unwrap_or_else(|| {
            cur.languages
                .iter()
                .map(|s| s.as_str().to_owned())
                .collect()
        }),
        court_ids: body
            .court_ids
            .unwrap_or_else(|| cur.court_ids.into_iter().collect()),
        max_active_cases: body.max_active_cases.unwrap_or(cur.max_active_cases),
        timezone: body
            .timezone
            .unwrap_or_else(|| cur.timezone.name().to_owned()),
        status: Some(
            body.status
                .unwrap_or_else(|| cur.status.as_str().to_owned()),
        ),
    };
    let mut f = Fields::default();
    let input = parse_mediator(full, &mut f);
    f.finish()?;
    let record = mediators::update(&state.db, &caller, id, checked(input)?).await?;
    Ok(Json(view(record, Access::Manage)))
}

// ---- availability ----------------------------------------------------------------

#[derive(Deserialize, Serialize, ToSchema)]
pub struct WeeklyItem {
    /// 1 = Monday … 7 = Sunday.
    pub weekday: i64,
    /// `HH:MM` in the mediator's zone.
    pub start: String,
    /// `HH:MM` (or `24:00`) in the mediator's zone.
    pub end: String,
}

#[derive(Deserialize, Serialize, ToSchema)]
pub struct Availability {
    pub weekly: Vec<WeeklyItem>,
}

fn hhmm(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

fn availability_view(weekly: &[slots::WeeklyInterval]) -> Availability {
    Availability {
        weekly: weekly
            .iter()
            .map(|w| WeeklyItem {
                weekday: i64::from(w.weekday),
                start: hhmm(w.start_minute),
                end: hhmm(w.end_minute),
            })
            .collect(),
    }
}

/// Weekly availability in the mediator's own zone.
#[utoipa::path(get, path = "/api/v1/mediators/{id}/availability", tag = "mediators",
    params(("id" = Uuid, Path)), security(("bearer" = [])), responses(
    (status = 200, body = Availability),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
async fn get_availability(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<Availability>> {
    access::load_for(&state.db, &caller, id).await?;
    Ok(Json(availability_view(
        &hours::weekly(&state.db, id).await?,
    )))
}

/// Replaces the weekly availability (the mediator, admin). Overlapping or
/// inverted intervals are a 422.
#[utoipa::path(put, path = "/api/v1/mediators/{id}/availability", tag = "mediators",
    params(("id" = Uuid, Path)), request_body = Availability, security(("bearer" = [])), responses(
    (status = 200, body = Availability),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
async fn put_availability(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<Availability>,
) -> AppResult<Json<Availability>> {
    access::load_managed(&state.db, &caller, id).await?;
    if body.weekly.len() > 100 {
        return Err(AppError::field("weekly", "at most 100 intervals"));
    }
    let items: Vec<(i64, &str, &str)> = body
        .weekly
        .iter()
        .map(|w| (w.weekday, w.start.as_str(), w.end.as_str()))
        .collect();
    let weekly = slots::parse_weekly(&items).map_err(|errs| {
        AppError::Validation(
            errs.into_iter()
                .map(|(field, message)| crate::error::FieldError::new(field, message))
                .collect(),
        )
    })?;
    let weekly = hours::set_weekly(&state.db, &caller, id, weekly).await?;
    Ok(Json(availability_view(&weekly)))
}

// ---- time off ----------------------------------------------------------------------

#[derive(Deserialize, ToSchema)]
pub struct NewTimeOff {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub note: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct TimeOffView {
    pub id: Uuid,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub note: Option<String>,
}

impl From<TimeOff> for TimeOffView {
    fn from(t: TimeOff) -> Self {
        Self {
            id: t.id,
            starts_at: t.starts_at,
            ends_at: t.ends_at,
            note: t.note,
        }
    }
}

/// Time off of a mediator.
#[utoipa::path(get, path = "/api/v1/mediators/{id}/time-off", tag = "mediators",
    params(("id" = Uuid, Path)), security(("bearer" = [])), responses(
    (status = 200, body = [TimeOffView]),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
async fn list_time_off(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<Vec<TimeOffView>>> {
    access::load_private(&state.db, &caller, id).await?;
    let rows = time_off::list(&state.db, id).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

/// Adds time off (the mediator, admin).
#[utoipa::path(post, path = "/api/v1/mediators/{id}/time-off", tag = "mediators",
    params(("id" = Uuid, Path)), request_body = NewTimeOff, security(("bearer" = [])), responses(
    (status = 201, body = TimeOffView),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
async fn add_time_off(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<NewTimeOff>,
) -> AppResult<impl IntoResponse> {
    access::load_managed(&state.db, &caller, id).await?;
    let (span, note) = parse_time_off(body.starts_at, body.ends_at, body.note.as_deref())?;
    let row = time_off::add(&state.db, &caller, id, span, note).await?;
    let location = format!("/api/v1/mediators/{id}/time-off/{}", row.id);
    Ok(created(location, TimeOffView::from(row)))
}

/// Time off as a request gives it (the API and the mediator's page).
pub(crate) fn parse_time_off(
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    note: Option<&str>,
) -> AppResult<(TimeOffSpan, Option<String>)> {
    let mut f = Fields::default();
    let span = f.check("ends_at", TimeOffSpan::new(starts_at, ends_at));
    let note = note.and_then(|n| f.check("note", parse_name(n, 500)));
    f.finish()?;
    Ok((checked(span)?, note))
}

/// Removes time off (the mediator, admin).
#[utoipa::path(delete, path = "/api/v1/mediators/{id}/time-off/{time_off_id}", tag = "mediators",
    params(("id" = Uuid, Path), ("time_off_id" = Uuid, Path)), security(("bearer" = [])), responses(
    (status = 204),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
async fn delete_time_off(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath((id, time_off_id)): ApiPath<(Uuid, Uuid)>,
) -> AppResult<StatusCode> {
    access::load_managed(&state.db, &caller, id).await?;
    time_off::delete(&state.db, &caller, id, time_off_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- conflicts ---------------------------------------------------------------------

#[derive(Deserialize, ToSchema)]
pub struct NewConflict {
    /// 12-digit IIN or BIN, checked by its control digit.
    pub party_iin_bin: Option<String>,
    /// Exact name of the person or organisation.
    pub party_name: Option<String>,
    pub note: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ConflictView {
    pub id: Uuid,
    pub party_iin_bin: Option<String>,
    pub party_name: Option<String>,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<Conflict> for ConflictView {
    fn from(c: Conflict) -> Self {
        Self {
            id: c.id,
            party_iin_bin: c.party_iin_bin,
            party_name: c.party_name,
            note: c.note,
            created_at: c.created_at,
        }
    }
}

/// Declared conflicts of interest (the mediator, admin).
#[utoipa::path(get, path = "/api/v1/mediators/{id}/conflicts", tag = "mediators",
    params(("id" = Uuid, Path)), security(("bearer" = [])), responses(
    (status = 200, body = [ConflictView]),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
async fn list_conflicts(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<Vec<ConflictView>>> {
    access::load_private(&state.db, &caller, id).await?;
    let rows = conflicts::list(&state.db, id).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

/// Declares a conflict of interest by IIN/BIN or by name (the mediator, admin).
#[utoipa::path(post, path = "/api/v1/mediators/{id}/conflicts", tag = "mediators",
    params(("id" = Uuid, Path)), request_body = NewConflict, security(("bearer" = [])), responses(
    (status = 201, body = ConflictView),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
async fn add_conflict(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<NewConflict>,
) -> AppResult<impl IntoResponse> {
    access::load_managed(&state.db, &caller, id).await?;
    let mut f = Fields::default();
    let iin = body
        .party_iin_bin
        .as_deref()
        .and_then(|s| f.check("party_iin_bin", IinBin::parse(s)));
    let name = body
        .party_name
        .as_deref()
        .and_then(|s| f.check("party_name", parse_name(s, 300)));
    let note = body
        .note
        .as_deref()
        .and_then(|s| f.check("note", parse_name(s, 500)));
    if body.party_iin_bin.is_none() && body.party_name.is_none() {
        f.push("party_iin_bin", "give an IIN/BIN or a party_name");
    }
    f.finish()?;
    let row = conflicts::add(&state.db, &caller, id, iin, name, note).await?;
    let location = format!("/api/v1/mediators/{id}/conflicts/{}", row.id);
    Ok(created(location, ConflictView::from(row)))
}

// ---- external calendar -------------------------------------------------------------

#[derive(Deserialize, ToSchema)]
pub struct ExternalCalendarUrl {
    /// An `https://` address (port 443, public server) of an `.ics`
    /// calendar, or one on an origin the installation allows.
    pub ics_url: String,
}

#[derive(Serialize, ToSchema)]
pub struct ExternalCalendarResult {
    /// Busy blocks now known from the calendar.
    pub busy_blocks: usize,
    pub ics_url: Option<String>,
}

/// Sets the mediator's own calendar as a source of busy times: either
/// `{ics_url}` as JSON (fetched now and refreshed on schedule) or an uploaded
/// `text/calendar` body. A calendar that cannot be read is a 422 and keeps
/// the busy times already known; a URL that cannot be fetched, for whatever
/// reason, is always the same 422 and is not stored.
#[utoipa::path(put, path = "/api/v1/mediators/{id}/external-calendar", tag = "mediators",
    params(("id" = Uuid, Path)),
    request_body(content((ExternalCalendarUrl = "application/json"), (String = "text/calendar"))),
    security(("bearer" = [])), responses(
    (status = 200, body = ExternalCalendarResult),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
async fn put_external_calendar(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<Json<ExternalCalendarResult>> {
    let record = access::load_managed(&state.db, &caller, id).await?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let (ics, url, source) = if content_type.starts_with("text/calendar") {
        let text = String::from_utf8(body.to_vec())
            .map_err(|_| AppError::field("calendar", "is not UTF-8 text"))?;
        (text, None, "upload")
    } else if content_type.starts_with("application/json") {
        let req: ExternalCalendarUrl = parse_json(&body)?;
        let (url, text) = fetch_external_calendar(&state, id, &req.ics_url).await?;
        (text, Some(url), "url")
    } else {
        return Err(AppError::UnsupportedMediaType(
            "send {\"ics_url\": …} as application/json, or the calendar as text/calendar".into(),
        ));
    };
    let n = busy::import(
        &state.db,
        id,
        &record.mediator.timezone,
        ics,
        source,
        url.clone(),
    )
    .await?;
    Ok(Json(ExternalCalendarResult {
        busy_blocks: n,
        ics_url: url,
    }))
}

/// Fetches the calendar at `raw_url` for mediator `id` (the API and the
/// mediator's page both set it this way): the address as stored and the
/// calendar's text, or the one 422 on `ics_url` for any failure, which is
/// recorded if this is the stored address.
pub(crate) async fn fetch_external_calendar(
    state: &AppState,
    id: Uuid,
    raw_url: &str,
) -> AppResult<(String, String)> {
    match state.calendar_fetcher.fetch(raw_url).await {
        Ok((url, text)) => Ok((url.to_string(), text)),
        Err(failed) => {
            // Recorded only if this is the stored address, compared as stored.
            let raw = raw_url.trim();
            let url = url::Url::parse(raw).map_or_else(|_| raw.to_owned(), String::from);
            busy::record_error(&state.db, id, Some(&url), &failed.to_string()).await?;
            Err(AppError::field("ics_url", failed.to_string()))
        }
    }
}

// ---- free slots -----------------------------------------------------------------------

#[derive(Deserialize, IntoParams)]
pub struct FreeSlotParams {
    /// Start of the range (RFC 3339).
    pub from: DateTime<Utc>,
    /// End of the range (RFC 3339), at most 92 days after `from`.
    pub to: DateTime<Utc>,
    /// Length of the wanted session, 15 to 480 minutes.
    pub duration_minutes: i64,
    /// Apply the closed days of this court only (default: of every court the
    /// mediator serves).
    pub court_id: Option<Uuid>,
}

#[derive(Serialize, ToSchema)]
pub struct SlotView {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct FreeSlots {
    pub items: Vec<SlotView>,
}

/// Free slots of a mediator: inside weekly availability, minus time off,
/// booked sessions (with the configured buffer), external busy times and
/// court closed days, starting on the configured grid.
#[utoipa::path(get, path = "/api/v1/mediators/{id}/free-slots", tag = "mediators",
    params(("id" = Uuid, Path), FreeSlotParams), security(("bearer" = [])), responses(
    (status = 200, body = FreeSlots),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
async fn free_slots(
    State(state): State<AppState>,
    Bearer(token): Bearer,
    path: Result<ApiPath<Uuid>, AppError>,
    query: Result<ApiQuery<FreeSlotParams>, AppError>,
) -> AppResult<Json<FreeSlots>> {
    // The token first, as every route checks it: a caller without a valid
    // one learns nothing of the mediator or of the query's faults. With a
    // well-formed request it is checked in the statement that reads the
    // calendar's version.
    let (id, q) = match (path, query) {
        (Ok(ApiPath(id)), Ok(ApiQuery(q))) => (id, q),
        (Err(e), _) | (Ok(_), Err(e)) => {
            record_caller(&authenticated_by(&state, &token).await?);
            return Err(e);
        }
    };
    let (caller, calendar) =
        cache::calendar_for_caller(&state.db, &state.calendars, &state.auth_cache, &token, id)
            .await?;
    record_caller(&caller);
    let mut f = Fields::default();
    if q.to <= q.from {
        f.push("to", "must be after from");
    } else if q.to - q.from > chrono::Duration::days(MAX_SLOT_RANGE_DAYS) {
        f.push(
            "to",
            format!("the range may span at most {MAX_SLOT_RANGE_DAYS} days"),
        );
    }
    if !(15..=480).contains(&q.duration_minutes) {
        f.push("duration_minutes", "must be between 15 and 480");
    }
    f.finish()?;
    let rules = SlotRules {
        duration: chrono::Duration::minutes(q.duration_minutes),
        grid_minutes: state.settings.slot_grid_minutes,
        buffer: chrono::Duration::minutes(i64::from(state.settings.session_buffer_minutes)),
    };
    let calendar = calendar
        .filter(|c| c.access(&caller).is_some())
        .ok_or_else(|| AppError::not_found("mediator"))?;
    let slots = calendar.free_slots(q.from, q.to, &rules, q.court_id, None);
    Ok(Json(FreeSlots {
        items: slots
            .into_iter()
            .map(|s| SlotView {
                starts_at: s.start,
                ends_at: s.end,
            })
            .collect(),
    }))
}

// ---- calendar feed ------------------------------------------------------------------

#[derive(Serialize, ToSchema)]
pub struct FeedUrl {
    pub calendar_feed_url: String,
}

/// Gives the mediator a new private feed address; the old one stops working.
#[utoipa::path(post, path = "/api/v1/mediators/{id}/calendar-feed/rotate", tag = "mediators",
    params(("id" = Uuid, Path)), security(("bearer" = [])), responses(
    (status = 200, body = FeedUrl),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
async fn rotate_feed(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<FeedUrl>> {
    access::load_managed(&state.db, &caller, id).await?;
    let secret = feed::rotate_feed_secret(&state.db, &caller, id).await?;
    Ok(Json(FeedUrl {
        calendar_feed_url: feed_url(&state, &secret),
    }))
}

/// A mediator's sessions as a subscribable iCalendar feed (cancelled ones as
/// `STATUS:CANCELLED`). Whoever holds the secret address may read it.
#[utoipa::path(get, path = "/calendar/{file}", tag = "mediators",
    params(("file" = String, Path, description = "`<feed secret>.ics`")), responses(
    (status = 200, content_type = "text/calendar", body = String),
    (status = 304),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
async fn calendar_feed(
    State(state): State<AppState>,
    ApiPath(file): ApiPath<String>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let secret = file
        .strip_suffix(".ics")
        .ok_or_else(|| AppError::not_found("calendar"))?;
    let body = feed::feed(&state.db, secret).await?;
    let etag = {
        use sha2::Digest;
        format!(
            "\"{}\"",
            hex::encode(&sha2::Sha256::digest(body.as_bytes())[..16])
        )
    };
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let common = [
        (header::ETAG, etag),
        (header::CACHE_CONTROL, "private, max-age=300".to_owned()),
    ];
    if matches {
        return Ok((StatusCode::NOT_MODIFIED, common).into_response());
    }
    Ok((
        StatusCode::OK,
        common,
        [(header::CONTENT_TYPE, "text/calendar; charset=utf-8")],
        body,
    )
        .into_response())
}

// ---- registry import ------------------------------------------------------------------

#[derive(Deserialize, IntoParams)]
pub struct ImportParams {
    /// Import the good rows and report the bad ones (default: all or nothing).
    #[serde(default)]
    pub skip_bad_rows: bool,
}

/// Imports the registry from a `text/csv` body (admin). Bad rows are named by
/// line and column; nothing is written when any row is bad unless
/// `skip_bad_rows=true`. Importing the same file twice changes nothing.
#[utoipa::path(post, path = "/api/v1/admin/mediators/import", tag = "mediators",
    params(ImportParams), request_body(content = String, content_type = "text/csv"),
    security(("bearer" = [])), responses(
    (status = 200, body = crate::services::registry_import::ImportReport),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
async fn import_registry(
    State(state): State<AppState>,
    Admin(caller): Admin,
    ApiQuery(q): ApiQuery<ImportParams>,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<Json<crate::services::registry_import::ImportReport>> {
    let is_csv = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("text/csv"));
    if !is_csv {
        return Err(AppError::UnsupportedMediaType(
            "send the registry as text/csv".into(),
        ));
    }
    let text = String::from_utf8(body.to_vec())
        .map_err(|_| AppError::field("body", "is not UTF-8 text"))?;
    let report = crate::services::registry_import::import(
        &state.db,
        crate::services::audit::Actor::User(caller.user_id),
        &text,
        q.skip_bad_rows,
        &|_, _| {},
    )
    .await?;
    if !report.applied {
        return Err(AppError::Validation(
            report
                .errors
                .into_iter()
                .map(|e| {
                    crate::error::FieldError::new(
                        format!("line {}: {}", e.line, e.column),
                        e.message,
                    )
                })
                .collect(),
        ));
    }
    Ok(Json(report))
}
