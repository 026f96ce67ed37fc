//! Scheduled jobs: plain async functions, wired to cron strings from the
//! configuration (six fields, seconds first; an empty string turns a job off).
//!
//! Rule: jobs coordinate through the database, never through memory, because
//! several instances may run on one PostgreSQL: each run first takes the job's
//! lease (`services::leases`), and only the instance that gets it does the
//! work. A job is that lease and one service call; its queries, rules and
//! emails live in `services/`.

pub mod calendar_refresh;
pub mod certification;
pub mod deadlines;
pub mod idempotency_cleanup;
pub mod mail_intake;
pub mod message_retention;
pub mod reminders;
pub mod token_cleanup;

use std::sync::Arc;

use tokio_cron_scheduler::{Job, JobScheduler};

use crate::services::leases;
use crate::state::AppState;

/// Starts the scheduler with every job whose cron string is not empty.
pub async fn start(state: AppState) -> anyhow::Result<JobScheduler> {
    let sched = JobScheduler::new().await?;
    let state = Arc::new(state);
    let jobs: [(&str, String); 7] = [
        (
            "calendar_refresh",
            state.settings.calendar_refresh_cron.clone(),
        ),
        ("certification", state.settings.certification_cron.clone()),
        ("deadlines", state.settings.deadline_watch_cron.clone()),
        ("reminders", state.settings.reminder_cron.clone()),
        ("message_retention", state.settings.purge_cron.clone()),
        ("idempotency_cleanup", state.settings.purge_cron.clone()),
        ("token_cleanup", state.settings.purge_cron.clone()),
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
                let result = leases::exclusively(&db, name, || async {
                    match name {
                        "calendar_refresh" => calendar_refresh::run(&state).await,
                        "reminders" => reminders::run(&state).await,
                        "deadlines" => deadlines::run(&state).await,
                        "message_retention" => message_retention::run(&state).await,
                        "idempotency_cleanup" => idempotency_cleanup::run(&state).await,
                        "token_cleanup" => token_cleanup::run(&state).await,
                        _ => certification::run(&state).await,
                    }
                })
                .await;
                match result {
                    Ok(false) => {}
                    Ok(true) => state.metrics.job_ran(name, false),
                    Err(e) => {
                        state.metrics.job_ran(name, true);
                        tracing::warn!(job = name, error = ?e, "scheduled job failed");
                    }
                }
            })
        })
        .map_err(|e| anyhow::anyhow!("the cron string of {name} ({cron:?}) is invalid: {e}"))?;
        sched.add(job).await?;
    }
    sched.start().await?;
    Ok(sched)
}
