//! A mediator's agenda over a range of time, as their calendar pages show
//! it: their sessions (with the case number), their time off and the busy
//! blocks imported from their own calendar, each kept apart — unlike the
//! slot engine's merged busy list (`availability::cache`), which cannot say
//! which is which.
//!
//! Rule: read-only; what a mediator may book is decided by the slot engine
//! and the booking transaction, never by what this returns.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QueryResult, QuerySelect, Statement, Value,
};
use uuid::Uuid;

use super::auth::Caller;
use super::mediators::Mediator;
use crate::domain::Role;
use crate::domain::session::{SessionFormat, SessionStatus};
use crate::error::{AppError, AppResult};

/// At most this many sessions are read for one range (a month of a very
/// busy mediator fits many times over).
const MAX_SESSIONS: u64 = 5_000;
/// At most this many time-off spans or busy blocks for one range.
const MAX_BLOCKS: u64 = 5_000;

/// A session as a calendar shows it, with the number of its case.
#[derive(Debug, Clone)]
pub struct AgendaSession {
    pub id: Uuid,
    pub case_id: Uuid,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub status: SessionStatus,
    pub format: SessionFormat,
    pub court_case_number: String,
}

/// A span in which the mediator is away: time off, or a busy block.
#[derive(Debug, Clone)]
pub struct Block {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default)]
pub struct Agenda {
    /// Earliest first; cancelled ones included (shown as such).
    pub sessions: Vec<AgendaSession>,
    pub time_off: Vec<Block>,
    pub busy: Vec<Block>,
}

/// The sessions that begin on one day of a [`Summary`].
#[derive(Debug, Clone, Default)]
pub struct DaySessions {
    /// How many begin that day, cancelled ones included.
    pub total: u64,
    /// The earliest of them, at most the number asked for, earliest first.
    pub first: Vec<AgendaSession>,
}

/// A run of days of a mediator's calendar as a month page shows it: per
/// day only the count of sessions and the first few, with every span of
/// time off and busy block (few, unlike sessions).
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// One per day, in the order of the bounds given.
    pub days: Vec<DaySessions>,
    pub time_off: Vec<Block>,
    pub busy: Vec<Block>,
}

/// The registry entry of the signed-in mediator; not found for anyone
/// else, or for a mediator account not linked to an entry.
pub async fn own_mediator(db: &DatabaseConnection, caller: &Caller) -> AppResult<Mediator> {
    if caller.role != Role::Mediator {
        return Err(AppError::not_found("mediator"));
    }
    super::cases::mediator_of_user(db, caller.user_id)
        .await?
        .ok_or_else(|| AppError::not_found("mediator"))?
        .try_into()
}

/// What is on `mediator_id`'s calendar in `[from, to)`.
pub async fn of_mediator(
    db: &DatabaseConnection,
    mediator_id: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> AppResult<Agenda> {
    let (sessions, time_off, busy) = tokio::try_join!(
        async {
            use entity::sessions::{Column, Entity};
            // Only what a calendar shows: a month of a busy mediator is a
            // thousand rows.
            Entity::find()
                .select_only()
                .columns([
                    Column::Id,
                    Column::CaseId,
                    Column::StartsAt,
                    Column::EndsAt,
                    Column::Status,
                    Column::Format,
                ])
                .filter(Column::MediatorId.eq(mediator_id))
                .filter(Column::StartsAt.lt(to))
                .filter(Column::EndsAt.gt(from))
                .order_by_asc(Column::StartsAt)
                .limit(MAX_SESSIONS)
                .into_tuple::<(Uuid, Uuid, DateTime<Utc>, DateTime<Utc>, String, String)>()
                .all(db)
                .await
                .map_err(AppError::from)
        },
        async {
            use entity::time_off::{Column, Entity};
            Entity::find()
                .select_only()
                .columns([Column::StartsAt, Column::EndsAt])
                .filter(Column::MediatorId.eq(mediator_id))
                .filter(Column::StartsAt.lt(to))
                .filter(Column::EndsAt.gt(from))
                .order_by_asc(Column::StartsAt)
                .limit(MAX_BLOCKS)
                .into_tuple::<(DateTime<Utc>, DateTime<Utc>)>()
                .all(db)
                .await
                .map_err(AppError::from)
        },
        async {
            use entity::busy_blocks::{Column, Entity};
            Entity::find()
                .select_only()
                .columns([Column::StartsAt, Column::EndsAt])
                .filter(Column::MediatorId.eq(mediator_id))
                .filter(Column::StartsAt.lt(to))
                .filter(Column::EndsAt.gt(from))
                .order_by_asc(Column::StartsAt)
                .limit(MAX_BLOCKS)
                .into_tuple::<(DateTime<Utc>, DateTime<Utc>)>()
                .all(db)
                .await
                .map_err(AppError::from)
        },
    )?;
    let case_ids: Vec<Uuid> = {
        let mut ids: Vec<Uuid> = sessions.iter().map(|s| s.1).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    };
    let mut numbers: Vec<(Uuid, String)> = Vec::new();
    // Bounded batches keep the statement's parameter count small.
    for chunk in case_ids.chunks(500) {
        use entity::cases::{Column, Entity};
        numbers.extend(
            Entity::find()
                .select_only()
                .columns([Column::Id, Column::CourtCaseNumber])
                .filter(Column::Id.is_in(chunk.to_vec()))
                .into_tuple::<(Uuid, String)>()
                .all(db)
                .await?,
        );
    }
    numbers.sort_unstable_by_key(|(id, _)| *id);
    let number_of = |id: Uuid| {
        numbers
            .binary_search_by_key(&id, |(i, _)| *i)
            .map(|at| numbers[at].1.clone())
            .unwrap_or_default()
    };
    let stored = |what: &str, e: String| {
        AppError::internal("reading a session", anyhow::anyhow!("{what}: {e}"))
    };
    let sessions = sessions
        .into_iter()
        .map(|(id, case_id, starts_at, ends_at, status, format)| {
            Ok(AgendaSession {
                id,
                case_id,
                starts_at,
                ends_at,
                status: status.parse().map_err(|e| stored("status", e))?,
                format: format.parse().map_err(|e| stored("format", e))?,
                court_case_number: number_of(case_id),
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let block = |(starts_at, ends_at): (DateTime<Utc>, DateTime<Utc>)| Block { starts_at, ends_at };
    Ok(Agenda {
        sessions,
        time_off: time_off.into_iter().map(block).collect(),
        busy: busy.into_iter().map(block).collect(),
    })
}

/// The days `[bounds[i], bounds[i + 1])` of `mediator_id`'s calendar (the
/// bounds are local midnights, so a day of a clock change is 23 or 25
/// hours): per day the number of sessions that begin in it and the first
/// `per_day` of them with their case numbers, and the time off and busy
/// blocks over the whole run.
///
/// Two statements whatever the number of sessions: the database counts a
/// day's sessions on the `(mediator_id, starts_at)` index and returns only
/// the shown rows; a month of a busy mediator is a thousand sessions, of
/// which a page shows four a day.
pub async fn summary_of_mediator(
    db: &DatabaseConnection,
    mediator_id: Uuid,
    bounds: &[DateTime<Utc>],
    per_day: u64,
) -> AppResult<Summary> {
    let n = bounds.len().saturating_sub(1);
    if n == 0 {
        return Ok(Summary::default());
    }
    let (from, to) = (bounds[0], bounds[n]);
    let backend = db.get_database_backend();
    // `$1` the mediator, `$2` how many a day, then each day's two bounds.
    let per_day = i64::try_from(per_day).unwrap_or(i64::MAX);
    let mut values: Vec<Value> = vec![mediator_id.into(), per_day.into()];
    let days: Vec<String> = (0..n)
        .map(|i| {
            values.push(bounds[i].into());
            values.push(bounds[i + 1].into());
            format!("(CAST({i} AS BIGINT), ${}, ${})", 2 * i + 3, 2 * i + 4)
        })
        .collect();
    let sessions_sql = format!(
        "WITH days(d, lo, hi) AS (VALUES {days})
         SELECT days.d AS d, s.id AS id, s.case_id AS case_id, s.starts_at AS starts_at,
                s.ends_at AS ends_at, s.status AS status, s.format AS format,
                c.court_case_number AS number,
                (SELECT COUNT(*) FROM sessions t
                  WHERE t.mediator_id = $1 AND t.starts_at >= days.lo AND t.starts_at < days.hi)
                  AS total
           FROM days
           {first}
           JOIN cases c ON c.id = s.case_id
          ORDER BY days.d, s.starts_at, s.id",
        days = days.join(", "),
        first = match backend {
            // A lateral join walks each day's index range and stops after
            // `$2`; PostgreSQL would run the correlated `IN` below once per
            // row of the table.
            DbBackend::Postgres => {
                "CROSS JOIN LATERAL (
                    SELECT f.id, f.case_id, f.starts_at, f.ends_at, f.status, f.format
                      FROM sessions f
                     WHERE f.mediator_id = $1 AND f.starts_at >= days.lo AND f.starts_at < days.hi
                     ORDER BY f.starts_at, f.id
                     LIMIT $2) s"
            }
            // SQLite has no lateral join; it runs the subquery once per day
            // and finds the rows by their key.
            _ => {
                "JOIN sessions s ON s.id IN (
                    SELECT f.id FROM sessions f
                     WHERE f.mediator_id = $1 AND f.starts_at >= days.lo AND f.starts_at < days.hi
                     ORDER BY f.starts_at, f.id
                     LIMIT $2)"
            }
        }
    );
    // `$1` the mediator, `$2` from, `$3` to; kind 0 is time off, 1 busy.
    let blocks_sql = format!(
        "SELECT CAST(0 AS BIGINT) AS kind, starts_at, ends_at FROM time_off
          WHERE mediator_id = $1 AND starts_at < $3 AND ends_at > $2
         UNION ALL
         SELECT CAST(1 AS BIGINT) AS kind, starts_at, ends_at FROM busy_blocks
          WHERE mediator_id = $1 AND starts_at < $3 AND ends_at > $2
         ORDER BY 2
         LIMIT {}",
        2 * MAX_BLOCKS
    );
    let (session_rows, block_rows) = tokio::try_join!(
        db.query_all_raw(Statement::from_sql_and_values(
            backend,
            sessions_sql,
            values
        )),
        db.query_all_raw(Statement::from_sql_and_values(
            backend,
            blocks_sql,
            vec![Value::from(mediator_id), Value::from(from), Value::from(to)]
        )),
    )?;
    let mut summary = Summary {
        days: vec![DaySessions::default(); n],
        ..Summary::default()
    };
    for row in &session_rows {
        let d: i64 = row.try_get("", "d")?;
        let Some(day) = usize::try_from(d)
            .ok()
            .and_then(|d| summary.days.get_mut(d))
        else {
            continue;
        };
        let total: i64 = row.try_get("", "total")?;
        day.total = u64::try_from(total).unwrap_or_default();
        day.first.push(session_of_row(row)?);
    }
    for row in &block_rows {
        let kind: i64 = row.try_get("", "kind")?;
        let block = Block {
            starts_at: row.try_get("", "starts_at")?,
            ends_at: row.try_get("", "ends_at")?,
        };
        if kind == 0 {
            summary.time_off.push(block);
        } else {
            summary.busy.push(block);
        }
    }
    Ok(summary)
}

/// A session of [`summary_of_mediator`]'s rows.
fn session_of_row(row: &QueryResult) -> AppResult<AgendaSession> {
    let stored = |what: &str, e: String| {
        AppError::internal("reading a session", anyhow::anyhow!("{what}: {e}"))
    };
    let status: String = row.try_get("", "status")?;
    let format: String = row.try_get("", "format")?;
    Ok(AgendaSession {
        id: row.try_get("", "id")?,
        case_id: row.try_get("", "case_id")?,
        starts_at: row.try_get("", "starts_at")?,
        ends_at: row.try_get("", "ends_at")?,
        status: status.parse().map_err(|e| stored("status", e))?,
        format: format.parse().map_err(|e| stored("format", e))?,
        court_case_number: row.try_get("", "number")?,
    })
}
