//! Who may see or manage a mediator: the rule is `domain::mediator::Access`;
//! here it is applied to a stored entry.
//!
//! Rule: what a caller may not even see is reported as not found, never as
//! forbidden, so its existence does not leak.

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::auth::Caller;
use super::mediators::{MediatorRecord, load_lists};
pub use crate::domain::mediator::Access;
use crate::error::{AppError, AppResult};

/// The mediator, the courts it serves, and how far `caller` may go with it;
/// not found when the caller may not even read it. Two queries: the hot path
/// of free slots uses this rather than [`load_for`].
pub async fn access_for(
    db: &DatabaseConnection,
    caller: &Caller,
    id: Uuid,
) -> AppResult<(entity::mediators::Model, Vec<Uuid>, Access)> {
    let not_found = || AppError::not_found("mediator");
    let (m, court_ids) = tokio::try_join!(
        async {
            entity::mediators::Entity::find_by_id(id)
                .one(db)
                .await
                .map_err(AppError::from)
        },
        async {
            use entity::mediator_courts::{Column, Entity};
            Entity::find()
                .select_only()
                .column(Column::CourtId)
                .filter(Column::MediatorId.eq(id))
                .order_by_asc(Column::CourtId)
                .into_tuple::<Uuid>()
                .all(db)
                .await
                .map_err(AppError::from)
        },
    )?;
    let m = m.ok_or_else(not_found)?;
    let access = caller
        .access_to_mediator(m.user_id, &court_ids)
        .ok_or_else(not_found)?;
    Ok((m, court_ids, access))
}

/// The whole registry entry and how far `caller` may go with it.
pub async fn load_for(
    db: &DatabaseConnection,
    caller: &Caller,
    id: Uuid,
) -> AppResult<(MediatorRecord, Access)> {
    let (m, _, access) = access_for(db, caller, id).await?;
    Ok((load_lists(db, m).await?, access))
}

/// Like [`load_for`], but the caller must be allowed to manage the mediator:
/// a clerk who can read it gets 403.
pub async fn load_managed(
    db: &DatabaseConnection,
    caller: &Caller,
    id: Uuid,
) -> AppResult<MediatorRecord> {
    managed(db, caller, id, "change").await
}

/// What only those who manage the mediator may read (time off, conflicts
/// of interest): a clerk who can read the entry gets 403.
pub async fn load_private(
    db: &DatabaseConnection,
    caller: &Caller,
    id: Uuid,
) -> AppResult<MediatorRecord> {
    managed(db, caller, id, "see").await
}

async fn managed(
    db: &DatabaseConnection,
    caller: &Caller,
    id: Uuid,
    verb: &str,
) -> AppResult<MediatorRecord> {
    match load_for(db, caller, id).await? {
        (record, Access::Manage) => Ok(record),
        (_, Access::Read) => Err(AppError::Forbidden(format!(
            "only the mediator or an admin may {verb} this"
        ))),
    }
}
