//! Scheduled jobs: plain async functions, wired to cron strings from the
//! configuration (six fields, seconds first; an empty string turns a job off).
//!
//! Rule: jobs coordinate through the database, never through memory, because
//! several instances may run on one PostgreSQL: each run first takes the job's
//! lease (`services::leases`), and only the instance that gets it does the
//! work. The lease names the tick (the instant the cron string fired at), so
//! a tick runs once however many instances fire for it. A job is that lease
//! and one service call; its queries, rules and emails live in `services/`.

pub mod calendar_refresh;
pub mod certification;
pub mod deadlines;
pub mod idempotency_cleanup;
pub mod mail_intake;
pub mod message_retention;
pub mod reminders;
pub mod token_cleanup;

use std::sync::Arc;

use chrono::Timelike;
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
        let schedule = parse_cron(&cron)
            .map_err(|e| anyhow::anyhow!("the cron string of {name} ({cron:?}) is invalid: {e}"))?;
        let state = state.clone();
        let job = Job::new_async(cron.as_str(), move |_, _| {
            let state = state.clone();
            let tick = tick_of(&schedule, chrono::Utc::now());
            Box::pin(async move {
                let db = state.db.clone();
                let result = leases::exclusively(&db, name, tick, || async {
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

/// Parses a six-field cron string as the scheduler does.
pub fn parse_cron(cron: &str) -> Result<croner::Cron, croner::errors::CronError> {
    croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Required)
        .dom_and_dow(true)
        .build()
        .parse(cron)
}

/// The tick a job firing at `at` runs for: the latest instant at or before
/// `at` that the schedule names (the scheduler fires up to half a second
/// late). Whole seconds, so that every instance names it alike.
pub fn tick_of(
    schedule: &croner::Cron,
    at: chrono::DateTime<chrono::Utc>,
) -> chrono::DateTime<chrono::Utc> {
    schedule
        .find_previous_occurrence(&at, true)
        .unwrap_or(at)
        .with_nanosecond(0)
        .unwrap_or(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_tick_is_the_scheduled_instant_however_late_the_job_fires() {
        let every_five = parse_cron("*/5 * * * * *").expect("cron");
        let at = |s: u32, ms: i64| {
            chrono::Utc
                .with_ymd_and_hms(2026, 12, 1, 10, 0, s)
                .single()
                .expect("instant")
                + chrono::Duration::milliseconds(ms)
        };
        assert_eq!(tick_of(&every_five, at(10, 0)), at(10, 0));
        assert_eq!(tick_of(&every_five, at(10, 480)), at(10, 0));
        assert_eq!(tick_of(&every_five, at(11, 200)), at(10, 0));
        assert_eq!(tick_of(&every_five, at(15, 1)), at(15, 0));
    }
}
