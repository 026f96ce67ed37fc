//! Conflicts of interest a mediator declares: a party (by IIN/BIN or exact
//! name) whose cases they may not take. Matching reads them.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use super::add_entry;
use crate::db::{new_id, now};
use crate::domain::iin::IinBin;
use crate::error::AppResult;
use crate::services::audit::{Actor, Entry};
use crate::services::auth::Caller;

/// A declared conflict as stored.
#[derive(Debug, Clone)]
pub struct Conflict {
    pub id: Uuid,
    pub party_iin_bin: Option<String>,
    pub party_name: Option<String>,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<entity::conflicts::Model> for Conflict {
    fn from(c: entity::conflicts::Model) -> Self {
        Self {
            id: c.id,
            party_iin_bin: c.party_iin_bin,
            party_name: c.party_name,
            note: c.note,
            created_at: c.created_at,
        }
    }
}

/// Declares a conflict of interest. It is no part of the calendar, so the
/// calendar version is not touched; the registry version matching checks is
/// raised by the database itself (a trigger on `conflicts`).
pub async fn add(
    db: &DatabaseConnection,
    actor: &Caller,
    mediator_id: Uuid,
    iin_bin: Option<IinBin>,
    party_name: Option<String>,
    note: Option<String>,
) -> AppResult<Conflict> {
    let id = new_id();
    let row = entity::conflicts::ActiveModel {
        id: Set(id),
        mediator_id: Set(mediator_id),
        party_iin_bin: Set(iin_bin.map(|i| i.as_str().to_owned())),
        party_name: Set(party_name),
        note: Set(note),
        created_at: Set(now()),
    };
    let entry = Entry::new(
        Actor::User(actor.user_id),
        "mediator.conflict_declared",
        "conflict",
        id,
    );
    Ok(add_entry(db, mediator_id, false, row, entry).await?.into())
}

/// A mediator's declared conflicts, oldest first.
pub async fn list(db: &DatabaseConnection, mediator_id: Uuid) -> AppResult<Vec<Conflict>> {
    Ok(entity::conflicts::Entity::find()
        .filter(entity::conflicts::Column::MediatorId.eq(mediator_id))
        .order_by_asc(entity::conflicts::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(Conflict::from)
        .collect())
}
