//! Busy blocks imported from a mediator's own calendar (an ICS URL fetched
//! now and on schedule, or an uploaded file), with recurrences expanded.
//!
//! Rule: a calendar that cannot be read changes nothing: the last good
//! blocks stay, and the error is recorded for the mediator to see.

use chrono::Duration;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::touch;
use crate::calendar::fetch::fetch_ics;
use crate::calendar::import::{self, BusyBlock};
use crate::config::Settings;
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
/// week ago to [`BUSY_HORIZON_DAYS`] ahead. A calendar that cannot be read
/// changes nothing and is reported as the error.
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
    // Expanding recurrences is CPU work that a hostile file can make long.
    let parsed = tokio::task::spawn_blocking(move || import::busy_blocks(&ics, from, to, tz))
        .await
        .map_err(|e| AppError::internal("expanding a calendar", e))?;
    let blocks = match parsed {
        Ok(b) => split_into_days(b),
        Err(e) => {
            record_error(db, mediator_id, url, &e.to_string()).await?;
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

/// Cuts blocks longer than [`LONGEST_BUSY_PIECE`] into consecutive pieces.
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

/// Keeps the last good busy blocks and records why the newest fetch failed,
/// so the mediator sees it.
pub async fn record_error(
    db: &DatabaseConnection,
    mediator_id: Uuid,
    url: Option<String>,
    error: &str,
) -> AppResult<()> {
    let mut update = entity::mediators::Entity::update_many()
        .col_expr(
            entity::mediators::Column::ExternalCalendarError,
            Expr::value(error.to_owned()),
        )
        .filter(entity::mediators::Column::Id.eq(mediator_id));
    if let Some(url) = url {
        update = update.col_expr(
            entity::mediators::Column::ExternalCalendarUrl,
            Expr::value(url),
        );
    }
    update.exec(db).await?;
    Ok(())
}

/// Fetches every mediator's external calendar again and replaces their
/// busy blocks; a feed that fails keeps the last good blocks and records the
/// error for the mediator to see. Returns (refreshed, failed).
pub async fn refresh_all(
    db: &DatabaseConnection,
    client: &reqwest::Client,
    settings: &Settings,
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
        let outcome = match fetch_ics(client, &url, settings.external_calendar_max_bytes).await {
            Ok(text) => import(db, m.id, &m.timezone, text, "url", Some(url))
                .await
                .map(|_| ()),
            Err(message) => {
                record_error(db, m.id, None, &message).await?;
                Err(AppError::field("ics_url", message))
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
