//! Gathers what `domain::matching` needs — the case, every mediator of the
//! registry with their caseload and conflicts, and the calendars of those who
//! pass the other rules — and runs it.
//!
//! A matches request covers the whole registry (every excluded mediator is
//! listed with their reasons), so what rarely changes is kept in memory per
//! instance ([`RegistryCache`]): each mediator's registry fields,
//! specialties, languages, courts and declared conflicts, checked on every
//! use against `registry_version`, which database triggers raise in the
//! transaction of every change to them, whoever writes. Caseloads come from
//! `mediator_caseloads`, also kept by triggers: only the rows of the
//! mediators who pass the other rules, and of those who might be at their
//! maximum, are read. Rotation counts and calendars are read only for the
//! mediators who pass every rule but availability.
//!
//! Rule: this module only reads; the rules and the ranking live in
//! `domain::matching`, so that the same data always gives the same answer.
//! The cache is never trusted without its version: a change made on another
//! instance is seen by the next request here.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QuerySelect,
    RelationTrait,
};
use uuid::Uuid;

use super::availability::cache::{self, CalendarCache};
use super::cases::CaseRecord;
use crate::domain::TimeZoneName;
use crate::domain::case::{ACTIVE_FOR_MEDIATOR, AssignmentStatus};
use crate::domain::iin::IinBin;
use crate::domain::matching::{
    self, CaseFacts, Conflict, Exclusion, MatchRequest, MatchResult, MediatorCalendar,
    MediatorFacts, PartyFacts,
};
use crate::domain::slots::{Busy, Interval, SlotRules};
use crate::error::{AppError, AppResult};

/// Assignments older than this no longer count for fair rotation.
pub const ROTATION_WINDOW: Duration = Duration::days(90);

fn internal(what: &'static str) -> impl Fn(String) -> AppError {
    move |e| AppError::internal(what, anyhow::anyhow!(e))
}

/// The facts of a case that matching looks at.
pub async fn case_facts<C: ConnectionTrait>(db: &C, record: &CaseRecord) -> AppResult<CaseFacts> {
    let court = entity::courts::Entity::find_by_id(record.case.court_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("court"))?;
    let court_tz = TimeZoneName::parse(&court.timezone)
        .map_err(internal("reading a court's zone"))?
        .tz();
    let mut parties = Vec::with_capacity(record.parties.len());
    for p in &record.parties {
        parties.push(PartyFacts {
            name: p.name.clone(),
            iin_bin: p.iin_bin.as_deref().and_then(|i| IinBin::parse(i).ok()),
            language: p.language,
            email: p.email.clone(),
        });
    }
    Ok(CaseFacts {
        court_id: record.case.court_id,
        category: record.case.category.specialty(),
        minors_involved: record.case.minors_involved,
        violence_reported: record.case.violence_reported,
        interpreter_needed: record.case.interpreter_needed,
        mediation_deadline: record.case.mediation_deadline,
        court_tz,
        parties,
    })
}

fn no_calendar() -> MediatorCalendar {
    MediatorCalendar {
        tz: chrono_tz::UTC,
        weekly: Vec::new(),
        busy: Busy::default(),
        closed_days: Vec::new(),
    }
}

/// The registry as matching sees it (`only`: one mediator), with empty
/// calendars: see [`with_calendars`].
async fn registry<C: ConnectionTrait>(
    db: &C,
    only: Option<Uuid>,
    now: DateTime<Utc>,
) -> AppResult<Vec<MediatorFacts>> {
    let mut lists = registry_facts(db, only).await?;
    counts(db, only, now, &mut lists).await?;
    Ok(lists.into_values().collect())
}

/// The mediators' registry fields, specialties, languages, courts and
/// conflicts (`only`: one mediator), with no caseload and empty calendars.
async fn registry_facts<C: ConnectionTrait>(
    db: &C,
    only: Option<Uuid>,
) -> AppResult<HashMap<Uuid, MediatorFacts>> {
    // Only the columns the rules and the answer read.
    type MediatorRow = (Uuid, String, String, String, String, NaiveDate, i32);
    let rows: Vec<MediatorRow> = {
        use entity::mediators::{Column, Entity};
        let mut q = Entity::find().select_only().columns([
            Column::Id,
            Column::Name,
            Column::Email,
            Column::RegistryNumber,
            Column::Status,
            Column::CertifiedUntil,
            Column::MaxActiveCases,
        ]);
        if let Some(id) = only {
            q = q.filter(Column::Id.eq(id));
        }
        q.into_tuple().all(db).await?
    };
    let mut lists: HashMap<Uuid, MediatorFacts> = HashMap::with_capacity(rows.len());
    for (id, name, email, registry_number, status, certified_until, max_active_cases) in rows {
        lists.insert(
            id,
            MediatorFacts {
                id,
                name,
                email,
                registry_number,
                status: status
                    .parse()
                    .map_err(internal("reading a mediator status"))?,
                certified_until,
                specialties: Vec::new(),
                languages: Vec::new(),
                court_ids: Vec::new(),
                max_active_cases,
                active_cases: 0,
                assignments_last_90_days: 0,
                conflicts: Vec::new(),
                calendar: no_calendar(),
            },
        );
    }
    macro_rules! for_mediators {
        ($entity:ident, $ty:ty, [$($col:ident),+]) => {{
            use entity::$entity::{Column, Entity};
            let mut q = Entity::find().select_only().columns([$(Column::$col),+]);
            if let Some(id) = only {
                q = q.filter(Column::MediatorId.eq(id));
            }
            q.into_tuple::<$ty>().all(db).await?
        }};
    }
    for (id, s) in for_mediators!(
        mediator_specialties,
        (Uuid, String),
        [MediatorId, Specialty]
    ) {
        if let (Some(m), Ok(s)) = (lists.get_mut(&id), s.parse()) {
            m.specialties.push(s);
        }
    }
    for (id, l) in for_mediators!(mediator_languages, (Uuid, String), [MediatorId, Language]) {
        if let (Some(m), Ok(l)) = (lists.get_mut(&id), l.parse()) {
            m.languages.push(l);
        }
    }
    for (id, c) in for_mediators!(mediator_courts, (Uuid, Uuid), [MediatorId, CourtId]) {
        if let Some(m) = lists.get_mut(&id) {
            m.court_ids.push(c);
        }
    }
    for (id, iin, name) in for_mediators!(
        conflicts,
        (Uuid, Option<String>, Option<String>),
        [MediatorId, PartyIinBin, PartyName]
    ) {
        if let Some(m) = lists.get_mut(&id) {
            if let Some(iin) = iin.as_deref().and_then(|i| IinBin::parse(i).ok()) {
                m.conflicts.push(Conflict::IinBin(iin));
            }
            if let Some(name) = name {
                m.conflicts.push(Conflict::Name(name));
            }
        }
    }
    Ok(lists)
}

/// Caseload and rotation of the mediators in `lists` (`only`: one of them),
/// counted from the assignments.
async fn counts<C: ConnectionTrait>(
    db: &C,
    only: Option<Uuid>,
    now: DateTime<Utc>,
    lists: &mut HashMap<Uuid, MediatorFacts>,
) -> AppResult<()> {
    // Caseload and rotation, counted by the database: holding assignments
    // (not declined or withdrawn) whose case is still with its mediator, and
    // those proposed within the rotation window.
    let holding = AssignmentStatus::HOLDING.map(AssignmentStatus::as_str);
    let active: Vec<(Uuid, i64)> = {
        use entity::assignments::{Column, Entity, Relation};
        let mut q = Entity::find()
            .select_only()
            .column(Column::MediatorId)
            .column_as(Column::MediatorId.count(), "n")
            .join(JoinType::InnerJoin, Relation::Case.def())
            .filter(Column::Status.is_in(holding))
            .filter(
                entity::cases::Column::Status.is_in(ACTIVE_FOR_MEDIATOR.iter().map(|s| s.as_str())),
            )
            .group_by(Column::MediatorId);
        if let Some(id) = only {
            q = q.filter(Column::MediatorId.eq(id));
        }
        q.into_tuple().all(db).await?
    };
    for (id, n) in active {
        if let Some(m) = lists.get_mut(&id) {
            m.active_cases = i32::try_from(n).unwrap_or(i32::MAX);
        }
    }
    let recent: Vec<(Uuid, i64)> = {
        use entity::assignments::{Column, Entity};
        let mut q = Entity::find()
            .select_only()
            .column(Column::MediatorId)
            .column_as(Column::MediatorId.count(), "n")
            .filter(Column::Status.is_in(holding))
            .filter(Column::ProposedAt.gte(now - ROTATION_WINDOW))
            .group_by(Column::MediatorId);
        if let Some(id) = only {
            q = q.filter(Column::MediatorId.eq(id));
        }
        q.into_tuple().all(db).await?
    };
    for (id, n) in recent {
        if let Some(m) = lists.get_mut(&id) {
            m.assignments_last_90_days = i32::try_from(n).unwrap_or(i32::MAX);
        }
    }
    Ok(())
}

/// Loads the calendars of the mediators who pass every rule but
/// availability (the others keep an empty one: their slots are never asked).
async fn with_calendars<C: ConnectionTrait>(
    db: &C,
    cache: &CalendarCache,
    case: &CaseFacts,
    request: &MatchRequest,
    mediators: &mut [MediatorFacts],
) -> AppResult<()> {
    for m in mediators.iter_mut() {
        if only_availability(case, m, request) {
            set_calendar(db, cache, case, m).await?;
        }
    }
    Ok(())
}

/// Every mediator of the registry, ranked or excluded for the case.
pub async fn matches<C: ConnectionTrait>(
    db: &C,
    calendars: &CalendarCache,
    registry_cache: &RegistryCache,
    record: &CaseRecord,
    rules: SlotRules,
    now: DateTime<Utc>,
) -> AppResult<MatchResult> {
    let case = case_facts(db, record).await?;
    let request = MatchRequest { now, rules };
    let registry = registry_cache.current(db).await?;

    // Those who pass every rule that reads neither caseload nor calendar
    // (the registry holds no caseload, so `capacity` passes unless the
    // maximum is zero). Sorted by id, as the registry is.
    let open: Vec<Uuid> = registry
        .mediators
        .iter()
        .filter(|m| only_availability(&case, m, &request))
        .map(|m| m.id)
        .collect();

    // Caseloads: of those, and of anyone at or above the smallest maximum
    // in the registry (who may fail `capacity` besides their other rules).
    // Everyone else is below their maximum, which is all the answer says
    // of them.
    let caseloads: HashMap<Uuid, i32> = {
        use entity::mediator_caseloads::{Column, Entity};
        Entity::find()
            .select_only()
            .columns([Column::MediatorId, Column::ActiveCases])
            .filter(
                Condition::any()
                    .add(Column::ActiveCases.gte(registry.least_maximum))
                    .add(Column::MediatorId.is_in(open.iter().copied())),
            )
            .into_tuple::<(Uuid, i32)>()
            .all(db)
            .await?
            .into_iter()
            .collect()
    };
    // The mediators this request adds to (the registry is shared): those
    // open, and those with a caseload read.
    let mut changed: HashMap<Uuid, MediatorFacts> = HashMap::new();
    for m in &registry.mediators {
        let n = caseloads.get(&m.id).copied();
        if n.is_some() || open.binary_search(&m.id).is_ok() {
            let mut m = m.clone();
            m.active_cases = n.unwrap_or(0);
            changed.insert(m.id, m);
        }
    }

    // Rotation and calendars: only for those who pass every rule but
    // availability, now that their caseload is known.
    let eligible: Vec<Uuid> = open
        .iter()
        .filter(|id| {
            changed
                .get(id)
                .is_some_and(|m| only_availability(&case, m, &request))
        })
        .copied()
        .collect();
    if !eligible.is_empty() {
        use entity::assignments::{Column, Entity};
        let holding = AssignmentStatus::HOLDING.map(AssignmentStatus::as_str);
        let recent: Vec<(Uuid, i64)> = Entity::find()
            .select_only()
            .column(Column::MediatorId)
            .column_as(Column::MediatorId.count(), "n")
            .filter(Column::Status.is_in(holding))
            .filter(Column::MediatorId.is_in(eligible.iter().copied()))
            .filter(Column::ProposedAt.gte(now - ROTATION_WINDOW))
            .group_by(Column::MediatorId)
            .into_tuple()
            .all(db)
            .await?;
        for (id, n) in recent {
            if let Some(m) = changed.get_mut(&id) {
                m.assignments_last_90_days = i32::try_from(n).unwrap_or(i32::MAX);
            }
        }
    }
    for (id, calendar) in cache::calendars(db, calendars, &eligible).await? {
        if let Some(m) = changed.get_mut(&id) {
            m.calendar = calendar_for(&calendar, &case);
        }
    }

    let mediators: Vec<Cow<'_, MediatorFacts>> = registry
        .mediators
        .iter()
        .map(|m| match changed.remove(&m.id) {
            Some(owned) => Cow::Owned(owned),
            None => Cow::Borrowed(m),
        })
        .collect();
    Ok(matching::rank(&case, &mediators, &request))
}

/// Whether `m` fails no rule but (perhaps) availability: their calendar
/// decides.
fn only_availability(case: &CaseFacts, m: &MediatorFacts, request: &MatchRequest) -> bool {
    // With the empty calendar the slot search ends at once.
    matches!(
        matching::check(case, m, request),
        Err(reasons) if reasons == [Exclusion::NoAvailability]
    )
}

/// Loads `m`'s calendar, with the closed days of the case's court.
async fn set_calendar<C: ConnectionTrait>(
    db: &C,
    cache: &CalendarCache,
    case: &CaseFacts,
    m: &mut MediatorFacts,
) -> AppResult<()> {
    if let Some(calendar) = cache::calendar(db, cache, m.id).await? {
        m.calendar = calendar_for(&calendar, case);
    }
    Ok(())
}

/// A calendar as matching takes it, with the closed days of the case's
/// court.
fn calendar_for(calendar: &cache::Calendar, case: &CaseFacts) -> MediatorCalendar {
    MediatorCalendar {
        tz: calendar.tz,
        weekly: calendar.weekly.clone(),
        busy: calendar.busy.clone(),
        closed_days: calendar.closed_days_for(Some(case.court_id)),
    }
}

/// The registry as matching reads it apart from caseloads and calendars, at
/// one `registry_version`.
#[derive(Debug)]
struct Registry {
    version: i64,
    /// Sorted by id; no caseload, no rotation, empty calendars.
    mediators: Vec<MediatorFacts>,
    /// The smallest `max_active_cases` among them, at least 1: below it
    /// nobody's count decides `capacity`.
    least_maximum: i32,
}

/// The registry, kept per instance and checked against `registry_version`
/// (one row) before every use: a change committed anywhere — another
/// instance, the command line, an import, a fix by hand — raises it in the
/// same transaction, through triggers, so the next request here reloads.
#[derive(Debug, Default)]
pub struct RegistryCache {
    held: Mutex<Option<Arc<Registry>>>,
    /// One load at a time: requests arriving during a load wait for it
    /// rather than each reading the whole registry.
    loading: tokio::sync::Mutex<()>,
}

impl RegistryCache {
    fn at(&self, version: i64) -> Option<Arc<Registry>> {
        let held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        held.as_ref().filter(|r| r.version == version).cloned()
    }

    fn put(&self, registry: Arc<Registry>) {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        // A slower loader of an older version must not replace a newer one.
        if held.as_ref().is_none_or(|h| h.version <= registry.version) {
            *held = Some(registry);
        }
    }

    /// The registry at the current version: one statement when held.
    async fn current<C: ConnectionTrait>(&self, db: &C) -> AppResult<Arc<Registry>> {
        let version = registry_version(db).await?;
        if let Some(hit) = self.at(version) {
            return Ok(hit);
        }
        let _loading = self.loading.lock().await;
        // Read again: the version may have moved while waiting, and the
        // load before may have been of it.
        let version = registry_version(db).await?;
        if let Some(hit) = self.at(version) {
            return Ok(hit);
        }
        // The version is read before the data, so a snapshot is never
        // labelled newer than its data: a change committed meanwhile at
        // worst makes the next request load again.
        let mut mediators: Vec<MediatorFacts> =
            registry_facts(db, None).await?.into_values().collect();
        mediators.sort_unstable_by_key(|m| m.id);
        // A maximum of zero fails `capacity` whatever the count.
        let least_maximum = mediators
            .iter()
            .map(|m| m.max_active_cases.max(1))
            .min()
            .unwrap_or(i32::MAX);
        let registry = Arc::new(Registry {
            version,
            mediators,
            least_maximum,
        });
        self.put(registry.clone());
        Ok(registry)
    }
}

async fn registry_version<C: ConnectionTrait>(db: &C) -> AppResult<i64> {
    use entity::registry_version::{Column, Entity};
    Entity::find_by_id(1)
        .select_only()
        .column(Column::Version)
        .into_tuple::<i64>()
        .one(db)
        .await?
        .ok_or_else(|| {
            AppError::internal(
                "reading the registry version",
                anyhow::anyhow!("the registry_version row is missing"),
            )
        })
}

/// Whether one mediator may take the case: their earliest slot, or every
/// rule they fail. Not found when there is no such mediator.
pub async fn eligibility<C: ConnectionTrait>(
    db: &C,
    cache: &CalendarCache,
    record: &CaseRecord,
    mediator_id: Uuid,
    rules: SlotRules,
    now: DateTime<Utc>,
) -> AppResult<Result<Interval, Vec<Exclusion>>> {
    let case = case_facts(db, record).await?;
    let request = MatchRequest { now, rules };
    let mut mediators = registry(db, Some(mediator_id), now).await?;
    if mediators.is_empty() {
        return Err(AppError::field("mediator_id", "no mediator has this id"));
    }
    with_calendars(db, cache, &case, &request, &mut mediators).await?;
    let mediator = mediators
        .first()
        .ok_or_else(|| AppError::field("mediator_id", "no mediator has this id"))?;
    Ok(matching::check(&case, mediator, &request))
}
