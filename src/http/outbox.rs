//! Delivery problems (admin): every outbox message's state, and a retry of
//! the ones that ended `failed`.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::auth::Admin;
use super::extract::{ApiPath, ApiQuery};
use super::list::ListResponse;
use crate::domain::outbox::DeliveryStatus;
use crate::error::{AppError, AppResult, Problem};
use crate::services::audit::Actor;
use crate::services::outbox::{self, OutboxRow};
use crate::services::page::PageRequest;
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_outbox))
        .routes(routes!(retry_message))
}

/// One email and where its delivery stands.
#[derive(Serialize, ToSchema)]
pub struct OutboxMessageView {
    pub id: Uuid,
    /// The template it was made from, e.g. `case_referred`.
    pub kind: String,
    /// The recipient's address, in full.
    pub recipient: String,
    pub subject: String,
    /// `pending`, `sending`, `sent` or `failed`.
    pub status: String,
    /// Delivery attempts so far.
    pub attempts: i32,
    /// The last SMTP (or spool) error, if any.
    pub last_error: Option<String>,
    /// When the next attempt is due (for `pending`).
    pub next_attempt_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub case_id: Option<Uuid>,
    pub session_id: Option<Uuid>,
}

impl From<OutboxRow> for OutboxMessageView {
    fn from(r: OutboxRow) -> Self {
        Self {
            id: r.id,
            kind: r.kind,
            recipient: r.recipient,
            subject: r.subject,
            status: r.status,
            attempts: r.attempts,
            last_error: r.last_error,
            next_attempt_at: r.next_attempt_at,
            sent_at: r.sent_at,
            created_at: r.created_at,
            case_id: r.case_id,
            session_id: r.session_id,
        }
    }
}

#[derive(Deserialize, IntoParams)]
pub struct OutboxListParams {
    /// `pending`, `sending`, `sent` or `failed`; all when absent.
    pub status: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Outbox messages, oldest first, optionally in one delivery state (admin).
/// Each listing is written to the audit log, since it shows recipients.
#[utoipa::path(get, path = "/api/v1/admin/outbox", tag = "outbox", params(OutboxListParams),
    security(("bearer" = [])), responses(
    (status = 200, body = ListResponse<OutboxMessageView>),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
async fn list_outbox(
    State(state): State<AppState>,
    Admin(caller): Admin,
    ApiQuery(q): ApiQuery<OutboxListParams>,
) -> AppResult<Json<ListResponse<OutboxMessageView>>> {
    let status = q
        .status
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|s| {
            DeliveryStatus::exactly(s).ok_or_else(|| {
                AppError::field("status", "must be pending, sending, sent or failed")
            })
        })
        .transpose()?;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let (items, next_cursor) =
        outbox::list(&state.db, Actor::User(caller.user_id), status, page).await?;
    Ok(Json(ListResponse::new(items, next_cursor)))
}

/// Puts a `failed` message back to `pending`, due now, with its attempts
/// reset (admin); audited.
#[utoipa::path(post, path = "/api/v1/admin/outbox/{id}/retry", tag = "outbox",
    params(("id" = Uuid, Path)), security(("bearer" = [])), responses(
    (status = 200, body = OutboxMessageView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "the message is not failed", body = Problem, content_type = "application/problem+json"),
))]
async fn retry_message(
    State(state): State<AppState>,
    Admin(caller): Admin,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<OutboxMessageView>> {
    Ok(Json(
        outbox::retry(&state.db, Actor::User(caller.user_id), id)
            .await?
            .into(),
    ))
}
