//! Scheduled jobs: plain async functions, wired to cron strings from the
//! configuration (six fields, seconds first; an empty string turns a job off).
//!
//! Rule: jobs coordinate through the database, never through memory, because
//! several instances may run on one PostgreSQL: each run first takes the job's
//! lease in `job_locks`, and only the instance that gets it does the work.

pub mod calendar_refresh;
pub mod certification;
pub mod deadlines;
pub mod reminders;

use std::sync::Arc;

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use tokio_cron_scheduler::{Job, JobScheduler};

use crate::AppState;
use crate::db::now;
use crate::error::{AppResult, unique_violation};

/// Takes the lease of job `name` for `lease` if nobody holds it; true when
/// this caller got it. One conditional UPDATE decides, on SQLite and
/// PostgreSQL alike.
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

/// Runs `work` under the lease of `name`, or not at all when another
/// instance holds it.
pub async fn exclusively<F, Fut>(db: &DatabaseConnection, name: &str, work: F) -> AppResult<bool>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = AppResult<()>>,
{
    let holder = uuid::Uuid::new_v4().to_string();
    if !try_lock(db, name, &holder, chrono::Duration::minutes(30)).await? {
        return Ok(false);
    }
    let result = work().await;
    unlock(db, name, &holder).await?;
    result.map(|()| true)
}

/// Starts the scheduler with every job whose cron string is not empty.
pub async fn start(state: AppState) -> anyhow::Result<JobScheduler> {
    let sched = JobScheduler::new().await?;
    let state = Arc::new(state);
    let jobs: [(&str, String); 4] = [
        (
            "calendar_refresh",
            state.settings.calendar_refresh_cron.clone(),
        ),
        ("certification", state.settings.certification_cron.clone()),
        ("deadlines", state.settings.deadline_watch_cron.clone()),
        ("reminders", state.settings.reminder_cron.clone()),
    ];
    for (name, cron) in jobs {
        if cron.trim().is_empty() {
            continue;
        }
        let state = state.clone();
        let job = Job::new_async(cron.as_str(), move |_, _| {
            let state = state.clone();
            Box::pin(async move {
                let db = state.db.clone();
                let result = exclusively(&db, name, || async {
                    match name {
                        "calendar_refresh" => calendar_refresh::run(&state).await.map(|_| ()),
                        "reminders" => reminders::run(&state.db, &state.settings, now())
                            .await
                            .map(|_| ()),
                        "deadlines" => deadlines::run(&state.db, &state.settings, now())
                            .await
                            .map(|_| ()),
                        _ => certification::run(&state.db, &state.settings, now())
                            .await
                            .map(|_| ()),
                    }
                })
                .await;
                if let Err(e) = result {
                    tracing::warn!(job = name, error = ?e, "scheduled job failed");
                }
            })
        })
        .map_err(|e| anyhow::anyhow!("the cron string of {name} ({cron:?}) is invalid: {e}"))?;
        sched.add(job).await?;
    }
    sched.start().await?;
    Ok(sched)
}
