//! Sessions of a case: booking, reading, moving and cancelling.

use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::auth::Auth;
use super::cases::parse_reason;
use super::extract::{ApiJson, ApiPath};
use super::response::created;
use crate::domain::session::SessionFormat;
use crate::error::{AppError, AppResult, Fields, Problem};
use crate::services::attendance::{self, AttendanceInput};
use crate::services::sessions::{self, Booking, Move, Place, SessionRecord};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(book_session))
        .routes(routes!(get_session, move_session))
        .routes(routes!(cancel_session))
        .routes(routes!(record_attendance))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordAttendance {
    /// Whether the session took place.
    pub held: bool,
    /// The invited parties who were present; every other invited party is
    /// recorded absent.
    #[serde(default)]
    pub present_party_ids: Vec<Uuid>,
}

/// An invited party and, once attendance is recorded, whether they came.
#[derive(Serialize, ToSchema)]
pub struct PartyAttendanceView {
    pub party_id: Uuid,
    /// None until the mediator records attendance.
    pub attended: Option<bool>,
}

#[derive(Deserialize, ToSchema)]
pub struct BookSession {
    pub starts_at: DateTime<Utc>,
    /// 15 to 480.
    pub duration_minutes: i64,
    /// A room of the case's court; or give `online_url`.
    pub room_id: Option<Uuid>,
    /// An `https://` video link; or give `room_id`.
    pub online_url: Option<String>,
    /// `joint` or `separate`; by default separate where violence was
    /// reported (unless the clerk overrode it), joint otherwise.
    pub format: Option<String>,
    /// Claimants or respondents taking part (a separate session names one);
    /// all of them by default.
    pub party_ids: Option<Vec<Uuid>>,
}

#[derive(Deserialize, ToSchema)]
pub struct MoveSession {
    pub starts_at: Option<DateTime<Utc>>,
    pub duration_minutes: Option<i64>,
    pub room_id: Option<Uuid>,
    pub online_url: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct CancelSession {
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct InvitationView {
    /// The party invited, or none for the mediator.
    pub party_id: Option<Uuid>,
    pub mediator_id: Option<Uuid>,
    pub email: String,
    /// iCalendar UID, stable for the session's life.
    pub uid: String,
    pub sequence: i32,
    /// `NEEDS-ACTION`, `ACCEPTED`, `DECLINED` or `TENTATIVE`.
    pub partstat: String,
    pub response_note: Option<String>,
    pub responded_at: Option<DateTime<Utc>>,
    pub last_sent_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct SessionView {
    pub id: Uuid,
    pub case_id: Uuid,
    pub mediator_id: Uuid,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// The zone the session was booked in (the court's).
    pub timezone: String,
    pub room_id: Option<Uuid>,
    pub online_url: Option<String>,
    pub format: String,
    /// `scheduled`, `cancelled`, `held` or `not_held`.
    pub status: String,
    pub sequence: i32,
    pub cancel_reason: Option<String>,
    pub party_ids: Vec<Uuid>,
    pub invitations: Vec<InvitationView>,
    /// When the mediator recorded attendance; none before.
    pub attendance_recorded_at: Option<DateTime<Utc>>,
    /// Each invited party: present, absent (a no-show), or not yet recorded.
    pub attendance: Vec<PartyAttendanceView>,
}

impl From<SessionRecord> for SessionView {
    fn from(r: SessionRecord) -> Self {
        let s = r.session;
        let attendance = r
            .party_ids
            .iter()
            .map(|p| PartyAttendanceView {
                party_id: *p,
                attended: r
                    .attendance
                    .as_ref()
                    .map(|a| a.parties.iter().any(|(id, present)| id == p && *present)),
            })
            .collect();
        Self {
            attendance_recorded_at: r.attendance.as_ref().map(|a| a.recorded_at),
            attendance,
            id: s.id,
            case_id: s.case_id,
            mediator_id: s.mediator_id,
            starts_at: s.starts_at,
            ends_at: s.ends_at,
            timezone: s.timezone,
            room_id: s.room_id,
            online_url: s.online_url,
            format: s.format.as_str().to_owned(),
            status: s.status.as_str().to_owned(),
            sequence: s.sequence,
            cancel_reason: s.cancel_reason,
            party_ids: r.party_ids,
            invitations: r
                .invitations
                .into_iter()
                .map(|i| InvitationView {
                    party_id: i.party_id,
                    mediator_id: i.mediator_id,
                    email: i.email,
                    uid: i.uid,
                    sequence: i.sequence,
                    partstat: i.partstat.as_str().to_owned(),
                    response_note: i.response_note,
                    responded_at: i.responded_at,
                    last_sent_at: i.last_sent_at,
                })
                .collect(),
        }
    }
}

fn parse_online_url(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    let ok = s.len() <= 500
        && s.starts_with("https://")
        && s.len() > "https://".len()
        && !s.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(s.to_owned())
    } else {
        Err("must be an https:// link without spaces".into())
    }
}

/// The place of a booking or move: a room or an online link, never both.
pub(crate) fn parse_place(
    f: &mut Fields,
    room_id: Option<Uuid>,
    online_url: Option<&str>,
    required: bool,
) -> Option<Place> {
    match (room_id, online_url) {
        (Some(_), Some(_)) => {
            f.push("online_url", "give either room_id or online_url, not both");
            None
        }
        (Some(r), None) => Some(Place::Room(r)),
        (None, Some(u)) => f
            .check("online_url", parse_online_url(u))
            .map(Place::Online),
        (None, None) => {
            if required {
                f.push("room_id", "give a room_id or an online_url");
            }
            None
        }
    }
}

/// Books a session (the case's mediator, or a clerk of its court). Every
/// party invited and the mediator get their own invitation email. 409 with
/// `reasons` when the mediator, the room or a party is not free, or a
/// safeguard is not met.
#[utoipa::path(post, path = "/api/v1/cases/{id}/sessions", tag = "sessions",
    params(("id" = Uuid, Path)), request_body = BookSession, security(("bearer" = [])), responses(
    (status = 201, body = SessionView, headers(("Location" = String))),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
async fn book_session(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(case_id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<BookSession>,
) -> AppResult<impl IntoResponse> {
    let mut f = Fields::default();
    let place = parse_place(&mut f, body.room_id, body.online_url.as_deref(), true);
    let format = body.format.as_deref().and_then(|format| {
        f.check(
            "format",
            SessionFormat::exactly(format).ok_or_else(|| "must be joint or separate".to_owned()),
        )
    });
    f.finish()?;
    let place =
        place.ok_or_else(|| AppError::field("room_id", "give a room_id or an online_url"))?;
    let record = sessions::book(
        &state.db,
        &state.settings,
        &caller,
        case_id,
        Booking {
            starts_at: body.starts_at,
            minutes: body.duration_minutes,
            place,
            format,
            party_ids: body.party_ids,
        },
    )
    .await?;
    let location = format!("/api/v1/sessions/{}", record.session.id);
    Ok(created(location, SessionView::from(record)))
}

/// A session with each recipient's invitation and answer (as the case).
/// Each read of the recipients' addresses is written to the audit log.
#[utoipa::path(get, path = "/api/v1/sessions/{id}", tag = "sessions",
    params(("id" = Uuid, Path)), security(("bearer" = [])), responses(
    (status = 200, body = SessionView),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
async fn get_session(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<SessionView>> {
    let record = sessions::read(&state.db, &caller, id).await?;
    Ok(Json(record.into()))
}

/// Moves a session: time, length or place. Everyone gets the invitation
/// again, same UID, higher SEQUENCE.
#[utoipa::path(patch, path = "/api/v1/sessions/{id}", tag = "sessions",
    params(("id" = Uuid, Path)), request_body = MoveSession, security(("bearer" = [])), responses(
    (status = 200, body = SessionView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
async fn move_session(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<MoveSession>,
) -> AppResult<Json<SessionView>> {
    let mut f = Fields::default();
    let place = parse_place(&mut f, body.room_id, body.online_url.as_deref(), false);
    f.finish()?;
    let record = sessions::move_session(
        &state.db,
        &state.settings,
        &caller,
        id,
        Move {
            starts_at: body.starts_at,
            minutes: body.duration_minutes,
            place,
        },
    )
    .await?;
    Ok(Json(record.into()))
}

/// Cancels a session, with a reason; everyone gets `METHOD:CANCEL`.
#[utoipa::path(post, path = "/api/v1/sessions/{id}/cancel", tag = "sessions",
    params(("id" = Uuid, Path)), request_body = CancelSession, security(("bearer" = [])), responses(
    (status = 200, body = SessionView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
))]
async fn cancel_session(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<CancelSession>,
) -> AppResult<Json<SessionView>> {
    let reason = parse_reason(&body.reason)?;
    let record = sessions::cancel(&state.db, &state.settings, &caller, id, reason).await?;
    Ok(Json(record.into()))
}

/// Records whether the session was held and which invited parties were
/// present (the case's mediator, after the start, once). A party's absence
/// shows on the session for the clerk; a held session allows a settlement
/// to be recorded and is never reminded again.
#[utoipa::path(post, path = "/api/v1/sessions/{id}/attendance", tag = "sessions",
    params(("id" = Uuid, Path)), request_body = RecordAttendance, security(("bearer" = [])), responses(
    (status = 200, body = SessionView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
async fn record_attendance(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<RecordAttendance>,
) -> AppResult<Json<SessionView>> {
    if body.present_party_ids.len() > 100 {
        return Err(AppError::field("present_party_ids", "at most 100 parties"));
    }
    let record = attendance::record(
        &state.db,
        &caller,
        id,
        AttendanceInput {
            held: body.held,
            present_party_ids: body.present_party_ids,
        },
        crate::db::now(),
    )
    .await?;
    Ok(Json(record.into()))
}
