//! Leases of scheduled jobs in `job_locks`: how several instances on one
//! database agree which of them runs a job.
//!
//! Rule: one conditional UPDATE decides who holds a lease, on SQLite and
//! PostgreSQL alike; never a read followed by a write.
//!
//! A scheduled job's lease also names its **tick** (the instant its cron
//! string fired at, stored in `last_run_at`): a tick is taken once. Without
//! it, an instance whose scheduler fires a few hundred milliseconds after
//! another's (each checks its clock every 500 ms) would find the lease
//! already given back by a short job and run the same tick again.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

use crate::db::now;
use crate::error::{AppResult, unique_violation};

/// Takes the lease of job `name` for `lease` if nobody holds it; true when
/// this caller got it.
pub async fn try_lock(
    db: &DatabaseConnection,
    name: &str,
    holder: &str,
    lease: chrono::Duration,
) -> AppResult<bool> {
    use entity::job_locks::{ActiveModel, Column, Entity};
    let at = now();
    if let Err(e) = (ActiveModel {
        name: Set(name.to_owned()),
        locked_until: Set(at - chrono::Duration::seconds(1)),
        locked_by: Set(String::new()),
        last_run_at: Set(None),
    })
    .insert(db)
    .await
        && !unique_violation(&e)
    {
        return Err(e.into());
    }
    let won = Entity::update_many()
        .col_expr(Column::LockedUntil, Expr::value(at + lease))
        .col_expr(Column::LockedBy, Expr::value(holder.to_owned()))
        .col_expr(Column::LastRunAt, Expr::value(at))
        .filter(Column::Name.eq(name))
        .filter(Column::LockedUntil.lt(at))
        .exec(db)
        .await?
        .rows_affected
        == 1;
    Ok(won)
}

/// Takes the lease of job `name` for its run at `tick` if nobody holds it
/// and no instance has run that tick (or a later one); true when this caller
/// got it.
pub async fn try_lock_tick(
    db: &DatabaseConnection,
    name: &str,
    holder: &str,
    tick: chrono::DateTime<chrono::Utc>,
    lease: chrono::Duration,
) -> AppResult<bool> {
    use entity::job_locks::{ActiveModel, Column, Entity};
    let at = now();
    if let Err(e) = (ActiveModel {
        name: Set(name.to_owned()),
        locked_until: Set(at - chrono::Duration::seconds(1)),
        locked_by: Set(String::new()),
        last_run_at: Set(None),
    })
    .insert(db)
    .await
        && !unique_violation(&e)
    {
        return Err(e.into());
    }
    let won = Entity::update_many()
        .col_expr(Column::LockedUntil, Expr::value(at + lease))
        .col_expr(Column::LockedBy, Expr::value(holder.to_owned()))
        .col_expr(Column::LastRunAt, Expr::value(tick))
        .filter(Column::Name.eq(name))
        .filter(Column::LockedUntil.lt(at))
        .filter(Column::LastRunAt.is_null().or(Column::LastRunAt.lt(tick)))
        .exec(db)
        .await?
        .rows_affected
        == 1;
    Ok(won)
}

/// Gives the lease back early.
pub async fn unlock(db: &DatabaseConnection, name: &str, holder: &str) -> AppResult<()> {
    use entity::job_locks::{Column, Entity};
    Entity::update_many()
        .col_expr(
            Column::LockedUntil,
            Expr::value(now() - chrono::Duration::seconds(1)),
        )
        .filter(Column::Name.eq(name).and(Column::LockedBy.eq(holder)))
        .exec(db)
        .await?;
    Ok(())
}

/// Runs `work` for the cron tick `tick` under the lease of `name`, or not at
/// all when another instance holds it or has already run that tick.
pub async fn exclusively<F, Fut>(
    db: &DatabaseConnection,
    name: &str,
    tick: chrono::DateTime<chrono::Utc>,
    work: F,
) -> AppResult<bool>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = AppResult<()>>,
{
    let holder = uuid::Uuid::new_v4().to_string();
    if !try_lock_tick(db, name, &holder, tick, chrono::Duration::minutes(30)).await? {
        return Ok(false);
    }
    let result = work().await;
    unlock(db, name, &holder).await?;
    result.map(|()| true)
}
