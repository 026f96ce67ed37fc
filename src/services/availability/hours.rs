//! A mediator's weekly working hours, in their own zone.

use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::touch;
use crate::db::{begin_write, new_id};
use crate::domain::slots::WeeklyInterval;
use crate::error::AppResult;
use crate::services::audit::{self, Actor, Entry};
use crate::services::auth::Caller;

pub async fn weekly(
    db: &impl ConnectionTrait,
    mediator_id: Uuid,
) -> AppResult<Vec<WeeklyInterval>> {
    let rows = entity::availability_intervals::Entity::find()
        .filter(entity::availability_intervals::Column::MediatorId.eq(mediator_id))
        .all(db)
        .await?;
    let mut out: Vec<WeeklyInterval> = rows
        .into_iter()
        .filter_map(|r| {
            Some(WeeklyInterval {
                weekday: u8::try_from(r.weekday).ok()?,
                start_minute: u16::try_from(r.start_minute).ok()?,
                end_minute: u16::try_from(r.end_minute).ok()?,
            })
        })
        .collect();
    out.sort();
    Ok(out)
}

/// Replaces the weekly availability of a mediator.
pub async fn set_weekly(
    db: &DatabaseConnection,
    actor: &Caller,
    mediator_id: Uuid,
    weekly: Vec<WeeklyInterval>,
) -> AppResult<Vec<WeeklyInterval>> {
    let txn = begin_write(db).await?;
    entity::availability_intervals::Entity::delete_many()
        .filter(entity::availability_intervals::Column::MediatorId.eq(mediator_id))
        .exec(&txn)
        .await?;
    if !weekly.is_empty() {
        entity::availability_intervals::Entity::insert_many(weekly.iter().map(|w| {
            entity::availability_intervals::ActiveModel {
                id: Set(new_id()),
                mediator_id: Set(mediator_id),
                weekday: Set(i16::from(w.weekday)),
                start_minute: Set(i32::from(w.start_minute)),
                end_minute: Set(i32::from(w.end_minute)),
            }
        }))
        .exec(&txn)
        .await?;
    }
    touch(&txn, mediator_id).await?;
    audit::record(
        &txn,
        Entry::new(
            Actor::User(actor.user_id),
            "mediator.availability_set",
            "mediator",
            mediator_id,
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(weekly)
}
