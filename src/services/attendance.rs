//! Attendance: after a session has started its mediator records whether it
//! was held and which invited parties were present. A held session is what
//! lets a settlement be recorded; a party's absence is shown to the clerk
//! on the session.
//!
//! Rule: attendance is written once, conditionally on the session still
//! being scheduled, with its audit row in the same transaction; a session
//! that is no longer scheduled is never reminded again (`reminders` picks
//! only scheduled ones).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::audit::{self, Actor, Entry};
use super::auth::Caller;
use super::cases::{self, CaseAccess};
use super::sessions::{self, SessionRecord};
use crate::db::begin_write;
use crate::domain::outcome::{AttendanceProblem, check_attendance};
use crate::domain::session::SessionStatus;
use crate::error::{AppError, AppResult};

/// What the mediator records.
#[derive(Debug, Clone)]
pub struct AttendanceInput {
    pub held: bool,
    pub present_party_ids: Vec<Uuid>,
}

/// Records the attendance of session `id` as seen at `at` (the request's
/// time; the demo passes the time it plays).
pub async fn record(
    db: &DatabaseConnection,
    caller: &Caller,
    id: Uuid,
    input: AttendanceInput,
    at: DateTime<Utc>,
) -> AppResult<SessionRecord> {
    let current = sessions::load(db, id).await?;
    let (case, access) = cases::load_visible(db, caller, current.session.case_id)
        .await
        .map_err(|e| match e {
            AppError::NotFound(_) => AppError::not_found("session"),
            other => other,
        })?;
    match access {
        CaseAccess::Mediator(m)
            if case.accepted_mediator() == Some(m) && current.session.mediator_id == m => {}
        _ => {
            return Err(AppError::Forbidden(
                "only the case's mediator records who attended a session".into(),
            ));
        }
    }
    let parties = check_attendance(
        current.session.status,
        current.session.starts_at,
        at,
        &current.party_ids,
        &input.present_party_ids,
    )
    .map_err(|p| match p {
        AttendanceProblem::NotScheduled(status) => AppError::conflict_with_reasons(
            format!("the session is {status}; attendance is recorded for a scheduled session"),
            vec!["session_status".into()],
        ),
        AttendanceProblem::NotStarted => AppError::conflict_with_reasons(
            "the session has not started yet; attendance is recorded after its start",
            vec!["session_not_started".into()],
        ),
        AttendanceProblem::Fields(errors) => AppError::Validation(errors),
    })?;
    let to = if input.held {
        SessionStatus::Held
    } else {
        SessionStatus::NotHeld
    };

    let txn = begin_write(db).await?;
    {
        use entity::sessions::{Column, Entity};
        let res = Entity::update_many()
            .col_expr(Column::Status, Expr::value(to.as_str()))
            .col_expr(Column::AttendanceRecordedAt, Expr::value(Some(at)))
            .col_expr(
                Column::AttendanceRecordedBy,
                Expr::value(Some(caller.user_id)),
            )
            .col_expr(Column::UpdatedAt, Expr::value(at))
            .filter(Column::Id.eq(id))
            .filter(Column::Status.eq(SessionStatus::Scheduled.as_str()))
            .exec(&txn)
            .await?;
        if res.rows_affected == 0 {
            return Err(AppError::conflict_with_reasons(
                "the session changed meanwhile; reload it and try again",
                vec!["session_status".into()],
            ));
        }
    }
    for present in [true, false] {
        let ids: Vec<Uuid> = parties
            .iter()
            .filter(|(_, p)| *p == present)
            .map(|(id, _)| *id)
            .collect();
        if ids.is_empty() {
            continue;
        }
        use entity::session_parties::{Column, Entity};
        Entity::update_many()
            .col_expr(Column::Attended, Expr::value(Some(present)))
            .filter(Column::SessionId.eq(id))
            .filter(Column::PartyId.is_in(ids))
            .exec(&txn)
            .await?;
    }
    let absent: Vec<Uuid> = parties
        .iter()
        .filter(|(_, p)| !p)
        .map(|(id, _)| *id)
        .collect();
    let present: Vec<Uuid> = parties
        .iter()
        .filter(|(_, p)| *p)
        .map(|(id, _)| *id)
        .collect();
    audit::record(
        &txn,
        Entry {
            case_id: Some(case.case.id),
            from_state: Some(SessionStatus::Scheduled.as_str().into()),
            to_state: Some(to.as_str().into()),
            ..Entry::new(
                Actor::User(caller.user_id),
                "session.attendance_recorded",
                "session",
                id,
            )
            .court(Some(case.case.court_id))
            .details(serde_json::json!({
                "held": input.held,
                "present_party_ids": present,
                "absent_party_ids": absent,
            }))
        },
    )
    .await?;
    txn.commit().await?;
    sessions::load(db, id).await
}
