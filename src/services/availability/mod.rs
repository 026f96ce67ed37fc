//! A mediator's calendar: weekly hours ([`hours`]), time off ([`time_off`]),
//! declared conflicts of interest ([`conflicts`]), busy blocks imported from
//! their own calendar ([`busy`]), and all of it as the slot engine sees it,
//! cached per instance ([`cache`]).
//!
//! The cache is never trusted blindly: every use first reads the mediator's
//! `calendar_version` (one indexed row), and a snapshot taken at another
//! version is reloaded. So a change made by any instance, or by the command
//! line, is seen by the very next request.
//!
//! Rule: every write that changes what decides a mediator's free time calls
//! [`touch`] (or [`touch_court`]) in the same transaction. Forgetting it
//! serves stale slots; the tests of each write path read slots before and
//! after the write to catch that.

pub mod busy;
pub mod cache;
pub mod conflicts;
pub mod hours;
pub mod time_off;

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, IntoActiveModel, QueryFilter, QuerySelect, QueryTrait,
};
use uuid::Uuid;

use super::audit::{self, Entry};
use crate::db::begin_write;
use crate::error::AppResult;

/// The update that raises calendar versions; callers add the filter.
fn raise_versions() -> sea_orm::UpdateMany<entity::mediators::Entity> {
    use entity::mediators::{Column, Entity};
    Entity::update_many().col_expr(
        Column::CalendarVersion,
        Expr::col(Column::CalendarVersion).add(1),
    )
}

/// Marks a mediator's calendar as changed. Call inside the transaction that
/// changes it.
pub async fn touch<C: ConnectionTrait>(db: &C, mediator_id: Uuid) -> AppResult<()> {
    raise_versions()
        .filter(entity::mediators::Column::Id.eq(mediator_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Marks the calendars of every mediator serving a court as changed (its
/// closed days changed).
pub async fn touch_court<C: ConnectionTrait>(db: &C, court_id: Uuid) -> AppResult<()> {
    let serving = entity::mediator_courts::Entity::find()
        .select_only()
        .column(entity::mediator_courts::Column::MediatorId)
        .filter(entity::mediator_courts::Column::CourtId.eq(court_id))
        .into_query();
    raise_versions()
        .filter(entity::mediators::Column::Id.in_subquery(serving))
        .exec(db)
        .await?;
    Ok(())
}

/// Marks a mediator's calendar as changed, like [`touch`], and returns the
/// mediator as the update left them; `None` when there is no such mediator.
/// A booking starts its transaction with this: the write takes SQLite's
/// write lock, or the mediator's row lock on PostgreSQL.
pub async fn lock<C: ConnectionTrait>(
    db: &C,
    mediator_id: Uuid,
) -> AppResult<Option<entity::mediators::Model>> {
    Ok(raise_versions()
        .filter(entity::mediators::Column::Id.eq(mediator_id))
        .exec_with_returning(db)
        .await?
        .pop())
}

/// Inserts `row`, an entry of mediator `mediator_id`'s calendar, with its
/// audit entry in one transaction; `touch` when it changes their free time.
async fn add_entry<A>(
    db: &DatabaseConnection,
    mediator_id: Uuid,
    touch_calendar: bool,
    row: A,
    entry: Entry,
) -> AppResult<<A::Entity as EntityTrait>::Model>
where
    A: ActiveModelTrait + ActiveModelBehavior + Send,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
{
    let txn = begin_write(db).await?;
    let row = row.insert(&txn).await?;
    if touch_calendar {
        touch(&txn, mediator_id).await?;
    }
    audit::record(&txn, entry).await?;
    txn.commit().await?;
    Ok(row)
}
