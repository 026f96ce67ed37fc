//! The reply mailbox: what an admin sees of the messages read from it
//! (above all those kept aside), and the mediator's one-click decision on a
//! time a party proposed from their mail client.
//!
//! Rule: `GET /counter/{token}` only shows the proposal and a button; the
//! decision is the button's POST. Mail systems open links to scan them, and
//! that must never move or decline a session.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::auth::Admin;
use super::extract::{ApiPath, ApiQuery};
use super::list::ListResponse;
use super::parties::private;
use crate::domain::Language;
use crate::domain::imip::InboxStatus;
use crate::error::{AppError, AppResult, Problem};
use crate::mail::templates;
use crate::services::audit::Actor;
use crate::services::inbox::{self, CounterDecision, CounterView, InboxRow};
use crate::services::page::PageRequest;
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_inbox))
        .routes(routes!(counter_page, counter_decide))
}

/// One message read from the reply mailbox.
#[derive(Serialize, ToSchema)]
pub struct InboxMessageView {
    pub id: Uuid,
    /// The sender's address, as the message says.
    pub from_address: Option<String>,
    pub subject: String,
    /// `reply`, `counter`, `calendar` (another iTIP method), `text` or
    /// `unreadable`.
    pub kind: String,
    /// `applied`, `stale`, `countered`, `forwarded` or `set_aside`.
    pub status: String,
    /// Why it was kept aside: `unreadable`, `unsupported_method`,
    /// `unknown_uid`, `attendee_mismatch`, `sender_mismatch`, `not_a_party`,
    /// `unsupported_answer`, `no_proposed_time`, `unmatched_sender` or
    /// `no_mediator`.
    pub reason: Option<String>,
    pub invitation_id: Option<Uuid>,
    pub session_id: Option<Uuid>,
    pub case_id: Option<Uuid>,
    /// What the message said (its calendar part or its text), kept for
    /// messages set aside or stale; empty for the others.
    pub body: String,
    pub received_at: DateTime<Utc>,
}

impl From<InboxRow> for InboxMessageView {
    fn from(r: InboxRow) -> Self {
        Self {
            id: r.id,
            from_address: r.from_address,
            subject: r.subject,
            kind: r.kind,
            status: r.status,
            reason: r.reason,
            invitation_id: r.invitation_id,
            session_id: r.session_id,
            case_id: r.case_id,
            body: r.body,
            received_at: r.received_at,
        }
    }
}

#[derive(Deserialize, IntoParams)]
pub struct InboxListParams {
    /// `applied`, `stale`, `countered`, `forwarded` or `set_aside`; all
    /// when absent.
    pub status: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Messages read from the reply mailbox, oldest first, optionally in one
/// status (admin). Each listing is written to the audit log, since it
/// shows senders and what they wrote.
#[utoipa::path(get, path = "/api/v1/admin/inbox", tag = "inbox", params(InboxListParams),
    security(("bearer" = [])), responses(
    (status = 200, body = ListResponse<InboxMessageView>),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
async fn list_inbox(
    State(state): State<AppState>,
    Admin(caller): Admin,
    ApiQuery(q): ApiQuery<InboxListParams>,
) -> AppResult<Json<ListResponse<InboxMessageView>>> {
    let status = q
        .status
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|s| {
            InboxStatus::exactly(s).ok_or_else(|| {
                AppError::field(
                    "status",
                    "must be applied, stale, countered, forwarded or set_aside",
                )
            })
        })
        .transpose()?;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let (items, next_cursor) =
        inbox::list(&state.db, Actor::User(caller.user_id), status, page).await?;
    let items: Vec<InboxMessageView> = items.into_iter().map(Into::into).collect();
    Ok(Json(ListResponse::new(items, next_cursor)))
}

#[derive(Deserialize, IntoParams)]
pub struct CounterPageParams {
    /// `move` or `decline`: the button the page shows.
    pub decision: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct CounterForm {
    /// `move` or `decline`.
    pub decision: String,
}

fn render(view: &CounterView, action: &str, decision: &str, message: &str) -> AppResult<String> {
    templates::render_page(
        templates::COUNTER_PAGE,
        minijinja::context! {
            css => super::pages::assets::css_url(),
            language => view.language.as_str(),
            court_case_number => view.court_case_number.clone(),
            party_name => view.party_name.clone(),
            starts_local => view.starts_local.clone(),
            proposed_local => view.proposed_local.clone(),
            decided => view.decided.is_some(),
            expired => view.expired,
            action => action,
            decision => decision,
            message => message,
        },
    )
}

/// The page behind the mediator's one-click link on a party's proposed
/// time: the proposal and one button, which POSTs the decision. Changes
/// nothing.
#[utoipa::path(get, path = "/counter/{token}", tag = "inbox",
    params(("token" = String, Path, description = "the link's token"), CounterPageParams),
    responses(
    (status = 200, content_type = "text/html", body = String),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
async fn counter_page(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
    ApiQuery(q): ApiQuery<CounterPageParams>,
) -> AppResult<Response> {
    let view = inbox::counter_view(&state.db, &token).await?;
    let decision = match q.decision.as_deref() {
        Some("decline") => "decline",
        _ => "move",
    };
    let html = render(&view, &format!("/counter/{token}"), decision, "")?;
    Ok(private(Html(html).into_response()))
}

/// The mediator's decision on a proposed time (the page's form, or JSON
/// `{decision}`): `move` moves the session there and sends everyone the
/// updated invitation; `decline` keeps it and sends the party a
/// `DECLINECOUNTER`. A link works once, and for a limited time.
#[utoipa::path(post, path = "/counter/{token}", tag = "inbox",
    params(("token" = String, Path, description = "the link's token")),
    request_body = CounterForm,
    responses(
    (status = 200, content_type = "text/html", body = String),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "used, expired, the session changed, or the new time is not free", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
async fn counter_decide(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> AppResult<Response> {
    let from_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let form: CounterForm = if from_form {
        serde_urlencoded::from_bytes(&body)
            .map_err(|_| AppError::field("decision", "is required"))?
    } else {
        super::extract::parse_json(&body)?
    };
    let decision = CounterDecision::parse(&form.decision)
        .ok_or_else(|| AppError::field("decision", "must be move or decline"))?;
    let result = inbox::decide_counter(&state.db, &state.settings, &token, decision).await;
    let view = inbox::counter_view(&state.db, &token).await?;
    let lang = view.language;
    let (status, message) = match result {
        Ok(CounterDecision::Move) => (
            StatusCode::OK,
            match lang {
                Language::Kk => "Кездесу ауыстырылды; барлығына жаңартылған шақыру жіберілді.",
                Language::Ru => "Встреча перенесена; всем отправлены обновлённые приглашения.",
                Language::En => "The session was moved; everyone was sent the updated invitation.",
            }
            .to_owned(),
        ),
        Ok(CounterDecision::Decline) => (
            StatusCode::OK,
            match lang {
                Language::Kk => "Ұсыныс қабылданбады; тарапқа хабар жіберілді.",
                Language::Ru => "Предложение отклонено; сторона получит сообщение.",
                Language::En => "The proposal was declined; the party is told.",
            }
            .to_owned(),
        ),
        // From the page's form, a refusal (used, expired, the time is
        // taken) is shown on the page; anything else is the usual problem.
        Err(AppError::Conflict { detail, .. }) if from_form => (StatusCode::CONFLICT, detail),
        Err(e) => return Err(e),
    };
    let html = render(&view, &format!("/counter/{token}"), "", &message)?;
    Ok(private((status, Html(html)).into_response()))
}
