//! The outbox as admins see it: the delivery state of every message, and a
//! retry of the ones that ended `failed`.
//!
//! Rule: listing shows recipients in full, so each listing is audited like
//! any other read of contact data; a retry is audited in its own transaction.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult, PaginatorTrait,
    QueryFilter, QuerySelect, Set,
};
use uuid::Uuid;

use super::audit::{self, Actor, Entry};
use super::page::{self, PageRequest};
use crate::db::{begin_write, now};
use crate::domain::outbox::DeliveryStatus;
use crate::error::{AppError, AppResult};
use crate::mail::Composed;
use sha2::Digest;

use entity::outbox_messages::{Column, Entity};

/// One message without its body.
#[derive(Debug, Clone, FromQueryResult)]
pub struct OutboxRow {
    pub id: Uuid,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub next_attempt_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub case_id: Option<Uuid>,
    pub session_id: Option<Uuid>,
}

/// Writes composed messages to the outbox inside `db` (a transaction), in
/// order, one multi-row insert per hundred.
pub(crate) async fn insert<C: ConnectionTrait>(db: &C, messages: Vec<Outgoing>) -> AppResult<()> {
    let at = now();
    let mut rows = messages
        .into_iter()
        .map(|m| entity::outbox_messages::ActiveModel {
            id: Set(m.id),
            kind: Set(m.composed.kind.to_owned()),
            recipient: Set(m.composed.recipient),
            subject: Set(m.composed.subject),
            raw_sha256: Set(Some(hex::encode(sha2::Sha256::digest(
                m.composed.raw.as_bytes(),
            )))),
            raw_message: Set(m.composed.raw),
            raw_purged_at: Set(None),
            case_id: Set(m.case_id),
            session_id: Set(m.session_id),
            status: Set(DeliveryStatus::Pending.as_str().to_owned()),
            attempts: Set(0),
            next_attempt_at: Set(at),
            lease_until: Set(None),
            last_error: Set(None),
            message_id: Set(m.composed.message_id),
            created_at: Set(at),
            sent_at: Set(None),
        })
        .peekable();
    while rows.peek().is_some() {
        Entity::insert_many(rows.by_ref().take(100))
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// A composed message and what it is about.
pub(crate) struct Outgoing {
    pub id: Uuid,
    pub composed: Composed,
    pub case_id: Option<Uuid>,
    pub session_id: Option<Uuid>,
}

/// How many messages the outbox holds, whatever their state.
pub async fn count(db: &DatabaseConnection) -> AppResult<u64> {
    Ok(Entity::find().count(db).await?)
}

/// How many messages are in each delivery status (every status, zeros
/// included), for monitoring.
pub async fn depth_by_status(db: &DatabaseConnection) -> AppResult<Vec<(String, u64)>> {
    let rows: Vec<(String, i64)> = Entity::find()
        .select_only()
        .column(Column::Status)
        .column_as(Column::Id.count(), "n")
        .group_by(Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    let mut depth: Vec<(String, u64)> = DeliveryStatus::ALL
        .iter()
        .map(|s| (s.as_str().to_owned(), 0))
        .collect();
    for (status, n) in rows {
        let n = u64::try_from(n).unwrap_or(0);
        match depth.iter_mut().find(|(s, _)| *s == status) {
            Some(entry) => entry.1 = n,
            None => depth.push((status, n)),
        }
    }
    Ok(depth)
}

/// Messages, oldest first, optionally in one status.
pub async fn list(
    db: &DatabaseConnection,
    actor: Actor,
    status: Option<DeliveryStatus>,
    page: PageRequest,
) -> AppResult<(Vec<OutboxRow>, Option<String>)> {
    let mut q = Entity::find().select_only().columns([
        Column::Id,
        Column::Kind,
        Column::Recipient,
        Column::Subject,
        Column::Status,
        Column::Attempts,
        Column::LastError,
        Column::NextAttemptAt,
        Column::SentAt,
        Column::CreatedAt,
        Column::CaseId,
        Column::SessionId,
    ]);
    if let Some(status) = status {
        q = q.filter(Column::Status.eq(status.as_str()));
    }
    let txn = begin_write(db).await?;
    let (rows, next) = page::fetch(&txn, q, Column::Id, page, |r: &OutboxRow| r.id).await?;
    // Recipients are contact data: record who read which messages.
    audit::record(
        &txn,
        Entry {
            entity_id: None,
            ..Entry::new(actor, "outbox.listed", "outbox_message", Uuid::nil())
        }
        .details(serde_json::json!({
            "status": status.map(DeliveryStatus::as_str),
            "message_ids": rows.iter().map(|r| r.id).collect::<Vec<_>>(),
        })),
    )
    .await?;
    txn.commit().await?;
    Ok((rows, next))
}

/// Puts a `failed` message back to `pending`, due now, with its attempts
/// reset; 404 if there is no such message, 409 if it is not `failed`.
pub async fn retry(db: &DatabaseConnection, actor: Actor, id: Uuid) -> AppResult<OutboxRow> {
    let txn = begin_write(db).await?;
    let message = Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("outbox message"))?;
    if message.status != DeliveryStatus::Failed.as_str() {
        return Err(AppError::conflict(format!(
            "only a failed message can be retried; this one is {}",
            message.status
        )));
    }
    let at = now();
    // Conditional, so two admins retrying at once give one retry and one 409.
    let updated = Entity::update_many()
        .col_expr(
            Column::Status,
            Expr::value(DeliveryStatus::Pending.as_str()),
        )
        .col_expr(Column::Attempts, Expr::value(0))
        .col_expr(Column::NextAttemptAt, Expr::value(at))
        .col_expr(
            Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(Column::Id.eq(id))
        .filter(Column::Status.eq(DeliveryStatus::Failed.as_str()))
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(AppError::conflict("the message is no longer failed"));
    }
    audit::record(
        &txn,
        Entry {
            case_id: message.case_id,
            from_state: Some(DeliveryStatus::Failed.as_str().into()),
            to_state: Some(DeliveryStatus::Pending.as_str().into()),
            ..Entry::new(actor, "outbox.retried", "outbox_message", id)
        }
        .details(serde_json::json!({
            "kind": message.kind,
            "attempts": message.attempts,
            "last_error": message.last_error,
        })),
    )
    .await?;
    txn.commit().await?;
    Ok(OutboxRow {
        id: message.id,
        kind: message.kind,
        recipient: message.recipient,
        subject: message.subject,
        status: DeliveryStatus::Pending.as_str().into(),
        attempts: 0,
        last_error: message.last_error,
        next_attempt_at: at,
        sent_at: message.sent_at,
        created_at: message.created_at,
        case_id: message.case_id,
        session_id: message.session_id,
    })
}
