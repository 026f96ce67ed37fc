//! A mediator's calendar as the slot engine sees it — weekly hours, time off,
//! booked sessions, busy blocks and the closed days of their courts — loaded
//! once into a [`Calendar`] and kept in a per-instance cache checked against
//! the calendar version (see the parent module).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use super::hours::weekly;
use crate::domain::TimeZoneName;
use crate::domain::mediator::Access;
use crate::domain::session::SessionStatus;
use crate::domain::slots::{self, Busy, Interval, SlotRules, WeeklyInterval};
use crate::error::{AppError, AppResult};
use crate::services::auth::{self, AuthCache, Caller};

/// How many mediators' calendars one instance keeps. Past this the cache is
/// emptied and refills with whoever is asked for next: simple, and a country's
/// whole registry (thousands) fits below it.
const CACHE_CAPACITY: usize = 20_000;

/// Everything about a mediator that decides their free time, at one version.
#[derive(Debug)]
pub struct Calendar {
    pub mediator_id: Uuid,
    pub version: i64,
    /// The mediator's login, for access checks.
    pub user_id: Option<Uuid>,
    pub tz: Tz,
    /// Courts the mediator serves, ascending.
    pub court_ids: Vec<Uuid>,
    pub weekly: Vec<WeeklyInterval>,
    /// Time off and busy blocks, and sessions that are not cancelled.
    pub busy: Busy,
    /// Closed days of the courts above, as (court, day), sorted.
    pub closed_days: Vec<(Uuid, NaiveDate)>,
}

impl Calendar {
    /// How far `caller` may go with this mediator's calendar; `None` when the
    /// caller may not even see the mediator (reported as not found).
    pub fn access(&self, caller: &Caller) -> Option<Access> {
        caller.access_to_mediator(self.user_id, &self.court_ids)
    }

    /// Closed days that apply: those of `court` when given, else those of
    /// every court the mediator serves.
    pub fn closed_days_for(&self, court: Option<Uuid>) -> Vec<NaiveDate> {
        let mut days: Vec<NaiveDate> = self
            .closed_days
            .iter()
            .filter(|(c, _)| court.is_none_or(|want| *c == want))
            .map(|(_, d)| *d)
            .collect();
        days.dedup();
        days
    }

    /// Free slots in `[from, to)`; the closed days of `court` (or of all the
    /// mediator's courts) are not offered.
    pub fn free_slots(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        rules: &SlotRules,
        court: Option<Uuid>,
        limit: Option<usize>,
    ) -> Vec<Interval> {
        slots::free_slots(
            self.tz,
            &self.weekly,
            &self.busy,
            &self.closed_days_for(court),
            from,
            to,
            rules,
            limit,
        )
    }
}

/// Per-instance cache of [`Calendar`]s, checked against the database version
/// on every use.
#[derive(Debug, Default)]
pub struct CalendarCache {
    entries: Mutex<HashMap<Uuid, Arc<Calendar>>>,
}

impl CalendarCache {
    fn get(&self, id: Uuid, version: i64) -> Option<Arc<Calendar>> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.get(&id).filter(|c| c.version == version).cloned()
    }

    fn put(&self, calendar: Arc<Calendar>) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= CACHE_CAPACITY && !entries.contains_key(&calendar.mediator_id) {
            entries.clear();
        }
        // A slower loader of an older version must not replace a newer one.
        match entries.get(&calendar.mediator_id) {
            Some(held) if held.version > calendar.version => {}
            _ => {
                entries.insert(calendar.mediator_id, calendar);
            }
        }
    }
}

/// The current calendar of a mediator, or `None` when there is no such
/// mediator. One query when the cache holds the current version.
pub async fn calendar<C: ConnectionTrait>(
    db: &C,
    cache: &CalendarCache,
    mediator_id: Uuid,
) -> AppResult<Option<Arc<Calendar>>> {
    // The version is read before anything else, so a snapshot is never
    // labelled newer than its data: a change committed meanwhile at worst
    // makes the next request load again.
    let Some(version) = db
        .query_one(&version_query(mediator_id))
        .await?
        .map(|row| row.try_get_by_index::<i64>(0))
        .transpose()?
    else {
        return Ok(None);
    };
    calendar_at(db, cache, mediator_id, version).await
}

/// The caller of `token` and the current calendar of a mediator (`None`
/// when there is no such mediator), for a request that needs both: the
/// token check and the calendar version are one statement, so with the
/// calendar cached the whole request is one round trip to the database.
/// The token is checked against the database as [`auth::authenticate_cached`]
/// does: one revoked anywhere stops working at once.
pub async fn calendar_for_caller(
    db: &DatabaseConnection,
    cache: &CalendarCache,
    auth_cache: &AuthCache,
    token: &str,
    mediator_id: Uuid,
) -> AppResult<(Caller, Option<Arc<Calendar>>)> {
    let (caller, version) =
        auth::authenticate_along::<i64>(db, auth_cache, token, version_query(mediator_id)).await?;
    let calendar = match version {
        Some(version) => calendar_at(db, cache, mediator_id, version).await?,
        None => None,
    };
    Ok((caller, calendar))
}

/// `SELECT calendar_version FROM mediators WHERE id = …`.
fn version_query(mediator_id: Uuid) -> SelectStatement {
    use entity::mediators::{Column, Entity};
    Query::select()
        .column((Entity, Column::CalendarVersion))
        .from(Entity)
        .and_where(Expr::col((Entity, Column::Id)).eq(mediator_id))
        .to_owned()
}

/// The calendar at `version`, read from the database when the cache holds
/// an older one.
async fn calendar_at<C: ConnectionTrait>(
    db: &C,
    cache: &CalendarCache,
    mediator_id: Uuid,
    version: i64,
) -> AppResult<Option<Arc<Calendar>>> {
    if let Some(hit) = cache.get(mediator_id, version) {
        return Ok(Some(hit));
    }
    let Some(loaded) = load(db, mediator_id, version).await? else {
        return Ok(None);
    };
    let loaded = Arc::new(loaded);
    cache.put(loaded.clone());
    Ok(Some(loaded))
}

/// The part of a mediator's calendar that decides whether a session in
/// `[from, to)` fits, read inside a booking transaction (after [`lock`]),
/// bypassing the cache: weekly hours, the time off, busy blocks and
/// sessions (but `excluding`, the one being moved) near the range, and the
/// closed days of `court` around it. Three statements, whatever the size
/// of the mediator's history.
///
/// "Near" is within `buffer` and an hour more: the slot engine looks no
/// further than the buffer around a session. Sessions are read through the
/// `(mediator_id, starts_at)` index bounded on both sides, which is exact
/// because no session is longer than `max_session`.
#[allow(clippy::too_many_arguments)]
pub async fn window_for_booking<C: ConnectionTrait>(
    db: &C,
    mediator: &entity::mediators::Model,
    court: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    buffer: Duration,
    max_session: Duration,
    excluding: Option<Uuid>,
) -> AppResult<Calendar> {
    let tz = TimeZoneName::parse(&mediator.timezone)
        .map(|t| t.tz())
        .map_err(|e| AppError::internal("reading a mediator's zone", anyhow::anyhow!(e)))?;
    let margin = buffer.max(Duration::zero()) + Duration::hours(1);
    let (near_from, near_to) = (from - margin, to + margin);
    let weekly = weekly(db, mediator.id).await?;

    let busy = busy_spans(
        db,
        mediator.id,
        Some(Near {
            from: near_from,
            to: near_to,
            max_session,
            excluding,
        }),
    )
    .await?;

    let days = |at: DateTime<Utc>| at.with_timezone(&tz).date_naive();
    let mut closed_days: Vec<(Uuid, NaiveDate)> = {
        use entity::court_closed_days::{Column, Entity};
        Entity::find()
            .select_only()
            .columns([Column::CourtId, Column::Day])
            .filter(Column::CourtId.eq(court))
            .filter(Column::Day.between(
                days(near_from) - Duration::days(1),
                days(near_to) + Duration::days(1),
            ))
            .into_tuple()
            .all(db)
            .await?
    };
    closed_days.sort_unstable_by_key(|(c, d)| (*d, *c));
    Ok(Calendar {
        mediator_id: mediator.id,
        version: mediator.calendar_version,
        user_id: mediator.user_id,
        tz,
        court_ids: vec![court],
        weekly,
        busy,
        closed_days,
    })
}

/// The part of a calendar [`busy_spans`] reads: what overlaps `[from, to)`.
struct Near {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    /// No session is longer: bounds `starts_at` from below, so the
    /// `(mediator_id, starts_at)` index serves the query.
    max_session: Duration,
    /// The session being moved, left out.
    excluding: Option<Uuid>,
}

/// A mediator's time off, sessions that are not cancelled, and busy
/// blocks, in one statement: all of them, or those `near`.
async fn busy_spans<C: ConnectionTrait>(
    db: &C,
    mediator_id: Uuid,
    near: Option<Near>,
) -> AppResult<Busy> {
    use sea_orm::sea_query::{Alias, Query, SelectStatement, UnionType};
    // (kind, starts_at, ends_at) of one table.
    let spans = |kind: i32, table: &str| -> SelectStatement {
        let mut q = Query::select();
        q.expr_as(Expr::val(kind), Alias::new("kind"))
            .column(Alias::new("starts_at"))
            .column(Alias::new("ends_at"))
            .from(Alias::new(table))
            .and_where(Expr::col(Alias::new("mediator_id")).eq(mediator_id));
        if let Some(near) = &near {
            q.and_where(Expr::col(Alias::new("starts_at")).lt(near.to))
                .and_where(Expr::col(Alias::new("ends_at")).gt(near.from));
        }
        q
    };
    let mut sessions = spans(1, "sessions");
    sessions.and_where(Expr::col(Alias::new("status")).ne(SessionStatus::Cancelled.as_str()));
    if let Some(near) = &near {
        sessions.and_where(Expr::col(Alias::new("starts_at")).gte(near.from - near.max_session));
        if let Some(id) = near.excluding {
            sessions.and_where(Expr::col(Alias::new("id")).ne(id));
        }
    }
    let mut query = spans(0, "time_off");
    query
        .union(UnionType::All, sessions)
        .union(UnionType::All, spans(2, "busy_blocks"));
    let rows = db.query_all(&query).await?;
    let (mut off, mut booked, mut blocks) = (Vec::new(), Vec::new(), Vec::new());
    for row in rows {
        let kind: i32 = row.try_get("", "kind")?;
        let span = Interval::new(row.try_get("", "starts_at")?, row.try_get("", "ends_at")?);
        match kind {
            0 => off.push(span),
            1 => booked.push(span),
            _ => blocks.push(span),
        }
    }
    Ok(Busy::new(off, booked, blocks))
}

/// Reads a mediator's whole calendar. Past data is kept too: free slots of a
/// past range are a fair question (and what the tests of 2024 ask).
async fn load<C: ConnectionTrait>(
    db: &C,
    mediator_id: Uuid,
    version: i64,
) -> AppResult<Option<Calendar>> {
    let Some((user_id, timezone)) = entity::mediators::Entity::find_by_id(mediator_id)
        .select_only()
        .columns([
            entity::mediators::Column::UserId,
            entity::mediators::Column::Timezone,
        ])
        .into_tuple::<(Option<Uuid>, String)>()
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let tz = TimeZoneName::parse(&timezone)
        .map(|t| t.tz())
        .map_err(|e| AppError::internal("reading a mediator's zone", anyhow::anyhow!(e)))?;
    let mut court_ids: Vec<Uuid> = entity::mediator_courts::Entity::find()
        .select_only()
        .column(entity::mediator_courts::Column::CourtId)
        .filter(entity::mediator_courts::Column::MediatorId.eq(mediator_id))
        .into_tuple::<Uuid>()
        .all(db)
        .await?;
    court_ids.sort_unstable();
    let weekly = weekly(db, mediator_id).await?;
    let busy = busy_spans(db, mediator_id, None).await?;
    let mut closed_days: Vec<(Uuid, NaiveDate)> = {
        use entity::court_closed_days::{Column, Entity};
        Entity::find()
            .select_only()
            .columns([Column::CourtId, Column::Day])
            .filter(Column::CourtId.is_in(court_ids.clone()))
            .into_tuple()
            .all(db)
            .await?
    };
    closed_days.sort_unstable_by_key(|(c, d)| (*d, *c));
    Ok(Some(Calendar {
        mediator_id,
        version,
        user_id,
        tz,
        court_ids,
        weekly,
        busy,
        closed_days,
    }))
}

/// The current calendars of several mediators (those that exist), as
/// [`calendar`] gives them one by one, with their versions read in one
/// statement: what matching needs for the few dozen mediators who pass its
/// other rules.
pub async fn calendars<C: ConnectionTrait>(
    db: &C,
    cache: &CalendarCache,
    mediator_ids: &[Uuid],
) -> AppResult<HashMap<Uuid, Arc<Calendar>>> {
    use entity::mediators::{Column, Entity};
    let mut out = HashMap::with_capacity(mediator_ids.len());
    if mediator_ids.is_empty() {
        return Ok(out);
    }
    // Versions first, as in `calendar`.
    let versions: Vec<(Uuid, i64)> = Entity::find()
        .select_only()
        .columns([Column::Id, Column::CalendarVersion])
        .filter(Column::Id.is_in(mediator_ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    for (id, version) in versions {
        let current = match cache.get(id, version) {
            Some(hit) => hit,
            None => {
                let Some(loaded) = load(db, id, version).await? else {
                    continue;
                };
                let loaded = Arc::new(loaded);
                cache.put(loaded.clone());
                loaded
            }
        };
        out.insert(id, current);
    }
    Ok(out)
}
