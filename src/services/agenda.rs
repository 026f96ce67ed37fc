//! A mediator's agenda over a range of time, as their calendar pages show
//! it: their sessions (with the case number), their time off and the busy
//! blocks imported from their own calendar, each kept apart — unlike the
//! slot engine's merged busy list (`availability::cache`), which cannot say
//! which is which.
//!
//! Rule: read-only; what a mediator may book is decided by the slot engine
//! and the booking transaction, never by what this returns.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
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
