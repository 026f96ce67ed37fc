//! API and web tokens that can no longer be used: expired or revoked. Only
//! their hashes are stored, but a row per login would pile up forever, so
//! they are deleted.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::ExprTrait;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::error::AppResult;

/// Deletes every token that expired or was revoked before `at`; returns
/// how many.
pub async fn purge(db: &DatabaseConnection, at: DateTime<Utc>) -> AppResult<u64> {
    use entity::api_tokens::{Column, Entity};
    Ok(Entity::delete_many()
        .filter(Column::ExpiresAt.lt(at).or(Column::RevokedAt.lt(at)))
        .exec(db)
        .await?
        .rows_affected)
}
