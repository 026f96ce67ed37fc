//! Busy blocks imported from a mediator's own calendar (an ICS URL fetched
//! now and on schedule, or an uploaded file), with recurrences expanded.
//!
//! Rules: a calendar that cannot be read changes nothing: the last good
//! blocks stay, and the error is recorded for the mediator to see. A URL is
//! stored only once a calendar was fetched and read from it. Calendars are
//! read only through [`expand`], which bounds how many are read at once.

use std::sync::{Arc, LazyLock};

use chrono::Duration;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::touch;
use crate::calendar::fetch::CalendarFetcher;
use crate::calendar::import::{self, BusyBlock};
use crate::db::{begin_write, new_id, now};
use crate::domain::TimeZoneName;
use crate::domain::slots::Interval;
use crate::error::{AppError, AppResult};

/// Busy blocks are stored cut into pieces of at most a day, so that a query
/// of a time range can bound `starts_at` from below and use its index.
pub const LONGEST_BUSY_PIECE: Duration = Duration::days(1);

/// How far ahead external calendars are expanded into busy blocks.
pub const BUSY_HORIZON_DAYS: i64 = 400;

/// Replaces a mediator's busy blocks with those of `ics`, expanded from a
/// week ago to [`BUSY_HORIZON_DAYS`] ahead, and stores `url` as the
/// calendar's address. A calendar that cannot be read changes nothing and
/// is reported as the error (see [`record_error`] for where it is kept).
pub async fn import(
    db: &DatabaseConnection,
    mediator_id: Uuid,
    timezone: &str,
    ics: String,
    source: &'static str,
    url: Option<String>,
) -> AppResult<usize> {
    let tz = TimeZoneName::stored(timezone);
    let at = now();
    let (from, to) = (
        at - Duration::days(7),
        at + Duration::days(BUSY_HORIZON_DAYS),
    );
    let parsed = expand(ics, from, to, tz).await?;
    let blocks = match parsed {
        Ok(b) => split_into_days(b),
        Err(e) => {
            record_error(db, mediator_id, url.as_deref(), &e.to_string()).await?;
            return Err(AppError::field("calendar", e.to_string()));
        }
    };
    let txn = begin_write(db).await?;
    entity::busy_blocks::Entity::delete_many()
        .filter(entity::busy_blocks::Column::MediatorId.eq(mediator_id))
        .exec(&txn)
        .await?;
    for chunk in blocks.chunks(500) {
        entity::busy_blocks::Entity::insert_many(chunk.iter().map(|b| {
            entity::busy_blocks::ActiveModel {
                id: Set(new_id()),
                mediator_id: Set(mediator_id),
                starts_at: Set(b.start),
                ends_at: Set(b.end),
                source: Set(source.to_owned()),
                summary: Set(None),
                created_at: Set(at),
            }
        }))
        .exec(&txn)
        .await?;
    }
    {
        use entity::mediators::{Column, Entity};
        Entity::update_many()
            .col_expr(Column::ExternalCalendarUrl, Expr::value(url))
            .col_expr(
                Column::ExternalCalendarError,
                Expr::value(Option::<String>::None),
            )
            .col_expr(Column::ExternalCalendarFetchedAt, Expr::value(at))
            .col_expr(Column::UpdatedAt, Expr::value(at))
            .filter(Column::Id.eq(mediator_id))
            .exec(&txn)
            .await?;
    }
    touch(&txn, mediator_id).await?;
    txn.commit().await?;
    Ok(blocks.len())
}

/// Calendars read at the same time: half the cores, at least one, so that
/// uploads of hostile files queue here instead of taking every core from
/// the requests and jobs of everyone else.
static EXPANSIONS: LazyLock<Arc<tokio::sync::Semaphore>> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    Arc::new(tokio::sync::Semaphore::new((cores / 2).max(1)))
});

/// How long a calendar waits for its turn before the request is answered
/// "try again": several times the time one calendar may take
/// ([`import::MAX_EXPANSION_TIME`]).
const EXPANSION_QUEUE_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Parses and expands a calendar on a blocking thread, one of a bounded
/// number at once. The import stops itself after
/// [`import::MAX_EXPANSION_TIME`]; the permit is held by the thread, so a
/// caller that gives up early does not let another expansion start while
/// this one still runs.
async fn expand(
    ics: String,
    from: chrono::DateTime<chrono::Utc>,
    to: chrono::DateTime<chrono::Utc>,
    tz: chrono_tz::Tz,
) -> AppResult<Result<Vec<BusyBlock>, import::ImportError>> {
    let permit = tokio::time::timeout(EXPANSION_QUEUE_WAIT, EXPANSIONS.clone().acquire_owned())
        .await
        .map_err(|_| {
            AppError::Unavailable(
                "too many calendars are being read right now; try again in a minute".into(),
            )
        })?
        .map_err(|e| AppError::internal("waiting to read a calendar", e))?;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        import::busy_blocks(&ics, from, to, tz)
    })
    .await
    .map_err(|e| AppError::internal("expanding a calendar", e))
}

/// Cuts blocks longer than [`LONGEST_BUSY_PIECE`] into consecutive pieces.
/// The blocks come clipped to the import window and merged, so this makes
/// at most about one piece per day of the window plus one per event.
fn split_into_days(blocks: Vec<BusyBlock>) -> Vec<Interval> {
    let mut out = Vec::with_capacity(blocks.len());
    for b in blocks {
        let mut start = b.start;
        while b.end - start > LONGEST_BUSY_PIECE {
            out.push(Interval::new(start, start + LONGEST_BUSY_PIECE));
            start += LONGEST_BUSY_PIECE;
        }
        out.push(Interval::new(start, b.end));
    }
    out
}

/// Keeps the last good busy blocks and records why the newest read failed,
/// so the mediator sees it. A failure of a calendar fetched from `url` is
/// the stored calendar's only when `url` is the stored address: a new URL
/// that fails is not stored, and leaves the stored calendar's state alone.
pub async fn record_error(
    db: &DatabaseConnection,
    mediator_id: Uuid,
    url: Option<&str>,
    error: &str,
) -> AppResult<()> {
    use entity::mediators::{Column, Entity};
    let mut update = Entity::update_many()
        .col_expr(Column::ExternalCalendarError, Expr::value(error.to_owned()))
        .filter(Column::Id.eq(mediator_id));
    if let Some(url) = url {
        update = update.filter(Column::ExternalCalendarUrl.eq(url));
    }
    update.exec(db).await?;
    Ok(())
}

/// Fetches every mediator's external calendar again and replaces their
/// busy blocks; a feed that fails keeps the last good blocks and records the
/// error for the mediator to see. Returns (refreshed, failed).
pub async fn refresh_all(
    db: &DatabaseConnection,
    fetcher: &CalendarFetcher,
) -> AppResult<(usize, usize)> {
    let with_url = entity::mediators::Entity::find()
        .filter(entity::mediators::Column::ExternalCalendarUrl.is_not_null())
        .all(db)
        .await?;
    let (mut ok, mut failed) = (0, 0);
    for m in with_url {
        let Some(url) = m.external_calendar_url.clone() else {
            continue;
        };
        let outcome = match fetcher.fetch(&url).await {
            Ok((_, text)) => import(db, m.id, &m.timezone, text, "url", Some(url))
                .await
                .map(|_| ()),
            Err(failed) => {
                record_error(db, m.id, Some(&url), &failed.to_string()).await?;
                Err(AppError::field("ics_url", failed.to_string()))
            }
        };
        match outcome {
            Ok(()) => ok += 1,
            Err(e) => {
                failed += 1;
                tracing::info!(mediator_id = %m.id, error = %e, "external calendar not refreshed");
            }
        }
    }
    Ok((ok, failed))
}
