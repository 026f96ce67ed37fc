//! Gathers what `domain::matching` needs — the case, every mediator of the
//! registry with their caseload and conflicts, and the calendars of those who
//! pass the other rules — and runs it.
//!
//! Rule: this module only reads; the rules and the ranking live in
//! `domain::matching`, so that the same data always gives the same answer.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QuerySelect, RelationTrait,
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
    Ok(lists.into_values().collect())
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
        let only_availability = matches!(
            matching::check(case, m, request),
            Err(reasons) if reasons == [Exclusion::NoAvailability]
        );
        if !only_availability {
            continue;
        }
        if let Some(calendar) = cache::calendar(db, cache, m.id).await? {
            m.calendar = MediatorCalendar {
                tz: calendar.tz,
                weekly: calendar.weekly.clone(),
                busy: calendar.busy.clone(),
                closed_days: calendar.closed_days_for(Some(case.court_id)),
            };
        }
    }
    Ok(())
}

/// Every mediator of the registry, ranked or excluded for the case.
pub async fn matches<C: ConnectionTrait>(
    db: &C,
    cache: &CalendarCache,
    record: &CaseRecord,
    rules: SlotRules,
    now: DateTime<Utc>,
) -> AppResult<MatchResult> {
    let case = case_facts(db, record).await?;
    let request = MatchRequest { now, rules };
    let mut mediators = registry(db, None, now).await?;
    with_calendars(db, cache, &case, &request, &mut mediators).await?;
    Ok(matching::rank(&case, &mediators, &request))
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
