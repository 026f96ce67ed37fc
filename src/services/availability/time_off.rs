//! A mediator's time off: spans in which they take no sessions.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use super::{add_entry, touch};
use crate::db::{begin_write, new_id, now};
use crate::domain::mediator::TimeOffSpan;
use crate::error::{AppError, AppResult};
use crate::services::audit::{self, Actor, Entry};
use crate::services::auth::Caller;

/// Time off as stored.
#[derive(Debug, Clone)]
pub struct TimeOff {
    pub id: Uuid,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub note: Option<String>,
}

impl From<entity::time_off::Model> for TimeOff {
    fn from(t: entity::time_off::Model) -> Self {
        Self {
            id: t.id,
            starts_at: t.starts_at,
            ends_at: t.ends_at,
            note: t.note,
        }
    }
}

/// Adds time off to a mediator's calendar.
pub async fn add(
    db: &DatabaseConnection,
    actor: &Caller,
    mediator_id: Uuid,
    span: TimeOffSpan,
    note: Option<String>,
) -> AppResult<TimeOff> {
    let id = new_id();
    let row = entity::time_off::ActiveModel {
        id: Set(id),
        mediator_id: Set(mediator_id),
        starts_at: Set(span.starts_at),
        ends_at: Set(span.ends_at),
        note: Set(note),
        created_at: Set(now()),
    };
    let entry = Entry::new(
        Actor::User(actor.user_id),
        "mediator.time_off_added",
        "time_off",
        id,
    );
    Ok(add_entry(db, mediator_id, true, row, entry).await?.into())
}

/// A mediator's time off, earliest first.
pub async fn list(db: &DatabaseConnection, mediator_id: Uuid) -> AppResult<Vec<TimeOff>> {
    Ok(entity::time_off::Entity::find()
        .filter(entity::time_off::Column::MediatorId.eq(mediator_id))
        .order_by_asc(entity::time_off::Column::StartsAt)
        .all(db)
        .await?
        .into_iter()
        .map(TimeOff::from)
        .collect())
}

/// Removes time off; not found unless it is this mediator's.
pub async fn delete(
    db: &DatabaseConnection,
    actor: &Caller,
    mediator_id: Uuid,
    id: Uuid,
) -> AppResult<()> {
    let txn = begin_write(db).await?;
    let res = entity::time_off::Entity::delete_many()
        .filter(entity::time_off::Column::Id.eq(id))
        .filter(entity::time_off::Column::MediatorId.eq(mediator_id))
        .exec(&txn)
        .await?;
    if res.rows_affected == 0 {
        return Err(AppError::not_found("time off"));
    }
    touch(&txn, mediator_id).await?;
    audit::record(
        &txn,
        Entry::new(
            Actor::User(actor.user_id),
            "mediator.time_off_removed",
            "time_off",
            id,
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
