//! The mediator registry and everything about a mediator's time: weekly
//! availability, time off, conflicts of interest, external busy blocks, free
//! slots and the private calendar feed.
//!
//! Rule: admins manage every mediator; a mediator manages only their own
//! calendar; clerks read the mediators who serve their court. Anything else is
//! reported as not found.

use std::collections::BTreeSet;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use uuid::Uuid;

use super::audit::{self, Actor, Entry};
use super::auth::Caller;
use super::availability;
use super::page::{self, PageRequest};
use crate::db::{new_id, now};
use crate::domain::iin::IinBin;
use crate::domain::mediator::{MediatorKind, MediatorStatus, Specialty};
use crate::domain::slots::{Interval, WeeklyInterval};
use crate::domain::{EmailAddress, Language, Role, TimeZoneName};
use crate::error::{AppError, AppResult, unique_violation};

/// A registry entry as given by an admin or an import row, already valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediatorInput {
    pub name: String,
    pub email: EmailAddress,
    pub user_id: Option<Uuid>,
    pub registry_number: String,
    pub kind: MediatorKind,
    pub certified_until: NaiveDate,
    pub specialties: BTreeSet<Specialty>,
    pub languages: BTreeSet<Language>,
    pub court_ids: BTreeSet<Uuid>,
    pub max_active_cases: i32,
    pub timezone: TimeZoneName,
    pub status: MediatorStatus,
}

/// A mediator with the lists kept in their own tables.
#[derive(Debug, Clone)]
pub struct MediatorRecord {
    pub mediator: entity::mediators::Model,
    pub specialties: Vec<String>,
    pub languages: Vec<String>,
    pub court_ids: Vec<Uuid>,
}

/// How far a caller may go with a mediator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Read the registry entry (clerks of a court the mediator serves).
    Read,
    /// Also manage availability, time off, conflicts and the feed (the
    /// mediator themself, admins).
    Manage,
}

pub fn new_feed_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub(crate) async fn load_lists<C: ConnectionTrait>(
    db: &C,
    m: entity::mediators::Model,
) -> AppResult<MediatorRecord> {
    let specialties = entity::mediator_specialties::Entity::find()
        .filter(entity::mediator_specialties::Column::MediatorId.eq(m.id))
        .order_by_asc(entity::mediator_specialties::Column::Specialty)
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.specialty)
        .collect();
    let languages = entity::mediator_languages::Entity::find()
        .filter(entity::mediator_languages::Column::MediatorId.eq(m.id))
        .order_by_asc(entity::mediator_languages::Column::Language)
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.language)
        .collect();
    let court_ids = entity::mediator_courts::Entity::find()
        .filter(entity::mediator_courts::Column::MediatorId.eq(m.id))
        .order_by_asc(entity::mediator_courts::Column::CourtId)
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.court_id)
        .collect();
    Ok(MediatorRecord {
        mediator: m,
        specialties,
        languages,
        court_ids,
    })
}

/// The mediator, the courts it serves, and how far `caller` may go with it;
/// not found when the caller may not even read it. Two queries: the hot path
/// of free slots uses this rather than [`load_for`].
pub async fn access_for(
    db: &DatabaseConnection,
    caller: &Caller,
    id: Uuid,
) -> AppResult<(entity::mediators::Model, Vec<Uuid>, Access)> {
    let not_found = || AppError::not_found("mediator");
    let (m, court_ids) = tokio::try_join!(
        async {
            entity::mediators::Entity::find_by_id(id)
                .one(db)
                .await
                .map_err(AppError::from)
        },
        async {
            use entity::mediator_courts::{Column, Entity};
            Entity::find()
                .select_only()
                .column(Column::CourtId)
                .filter(Column::MediatorId.eq(id))
                .order_by_asc(Column::CourtId)
                .into_tuple::<Uuid>()
                .all(db)
                .await
                .map_err(AppError::from)
        },
    )?;
    let m = m.ok_or_else(not_found)?;
    let access = access_of(caller, m.user_id, &court_ids).ok_or_else(not_found)?;
    Ok((m, court_ids, access))
}

/// How far `caller` may go with the mediator whose login is `user_id` and who
/// serves `court_ids`; `None` when they may not even see it.
pub fn access_of(caller: &Caller, user_id: Option<Uuid>, court_ids: &[Uuid]) -> Option<Access> {
    match caller.role {
        Role::Admin => Some(Access::Manage),
        Role::Mediator if user_id == Some(caller.user_id) => Some(Access::Manage),
        Role::Clerk if caller.court_id.is_some_and(|c| court_ids.contains(&c)) => {
            Some(Access::Read)
        }
        _ => None,
    }
}

/// The whole registry entry and how far `caller` may go with it.
pub async fn load_for(
    db: &DatabaseConnection,
    caller: &Caller,
    id: Uuid,
) -> AppResult<(MediatorRecord, Access)> {
    let (m, _, access) = access_for(db, caller, id).await?;
    Ok((load_lists(db, m).await?, access))
}

/// Like [`load_for`], but the caller must be allowed to manage the mediator:
/// a clerk who can read it gets 403.
pub async fn load_managed(
    db: &DatabaseConnection,
    caller: &Caller,
    id: Uuid,
) -> AppResult<MediatorRecord> {
    match load_for(db, caller, id).await? {
        (record, Access::Manage) => Ok(record),
        (_, Access::Read) => Err(AppError::Forbidden(
            "only the mediator or an admin may change this".into(),
        )),
    }
}

async fn check_references<C: ConnectionTrait>(
    db: &C,
    input: &MediatorInput,
    field_prefix: &str,
) -> AppResult<()> {
    let mut f = crate::error::Fields::default();
    for court_id in &input.court_ids {
        if entity::courts::Entity::find_by_id(*court_id)
            .one(db)
            .await?
            .is_none()
        {
            f.push(
                format!("{field_prefix}court_ids"),
                format!("no court has the id {court_id}"),
            );
        }
    }
    if let Some(user_id) = input.user_id {
        match entity::users::Entity::find_by_id(user_id).one(db).await? {
            Some(u) if u.role == Role::Mediator.as_str() => {}
            Some(_) => f.push(
                format!("{field_prefix}user_id"),
                "is not a mediator's account",
            ),
            None => f.push(format!("{field_prefix}user_id"), "no user has this id"),
        }
    }
    f.finish()
}

async fn write_lists<C: ConnectionTrait>(db: &C, id: Uuid, input: &MediatorInput) -> AppResult<()> {
    entity::mediator_specialties::Entity::delete_many()
        .filter(entity::mediator_specialties::Column::MediatorId.eq(id))
        .exec(db)
        .await?;
    entity::mediator_languages::Entity::delete_many()
        .filter(entity::mediator_languages::Column::MediatorId.eq(id))
        .exec(db)
        .await?;
    entity::mediator_courts::Entity::delete_many()
        .filter(entity::mediator_courts::Column::MediatorId.eq(id))
        .exec(db)
        .await?;
    if !input.specialties.is_empty() {
        entity::mediator_specialties::Entity::insert_many(input.specialties.iter().map(|s| {
            entity::mediator_specialties::ActiveModel {
                mediator_id: Set(id),
                specialty: Set(s.as_str().to_owned()),
            }
        }))
        .exec(db)
        .await?;
    }
    if !input.languages.is_empty() {
        entity::mediator_languages::Entity::insert_many(input.languages.iter().map(|l| {
            entity::mediator_languages::ActiveModel {
                mediator_id: Set(id),
                language: Set(l.as_str().to_owned()),
            }
        }))
        .exec(db)
        .await?;
    }
    if !input.court_ids.is_empty() {
        entity::mediator_courts::Entity::insert_many(input.court_ids.iter().map(|c| {
            entity::mediator_courts::ActiveModel {
                mediator_id: Set(id),
                court_id: Set(*c),
            }
        }))
        .exec(db)
        .await?;
    }
    Ok(())
}

fn registry_conflict(e: sea_orm::DbErr, number: &str) -> AppError {
    if unique_violation(&e) {
        AppError::conflict_on(
            "registry_number",
            format!("registry number {number} or its user account is already in the registry"),
        )
    } else {
        e.into()
    }
}

/// Inserts a mediator inside `db` (a transaction); the caller writes the audit row.
pub(crate) async fn insert<C: ConnectionTrait>(
    db: &C,
    input: &MediatorInput,
) -> AppResult<entity::mediators::Model> {
    let at = now();
    let id = new_id();
    let m = entity::mediators::ActiveModel {
        id: Set(id),
        user_id: Set(input.user_id),
        name: Set(input.name.clone()),
        email: Set(input.email.as_str().to_owned()),
        registry_number: Set(input.registry_number.clone()),
        kind: Set(input.kind.as_str().to_owned()),
        certified_until: Set(input.certified_until),
        max_active_cases: Set(input.max_active_cases),
        timezone: Set(input.timezone.name().to_owned()),
        status: Set(input.status.as_str().to_owned()),
        feed_secret: Set(new_feed_secret()),
        external_calendar_url: Set(None),
        external_calendar_error: Set(None),
        external_calendar_fetched_at: Set(None),
        certification_warned_at: Set(None),
        calendar_version: Set(0),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(db)
    .await
    .map_err(|e| registry_conflict(e, &input.registry_number))?;
    write_lists(db, id, input).await?;
    Ok(m)
}

/// Overwrites a mediator's registry fields inside `db`.
pub(crate) async fn overwrite<C: ConnectionTrait>(
    db: &C,
    current: entity::mediators::Model,
    input: &MediatorInput,
) -> AppResult<entity::mediators::Model> {
    let id = current.id;
    let recertified = current.certified_until != input.certified_until;
    let mut active: entity::mediators::ActiveModel = current.into();
    if recertified {
        // A new date deserves a new warning when it, too, draws near.
        active.certification_warned_at = Set(None);
    }
    active.user_id = Set(input.user_id);
    active.name = Set(input.name.clone());
    active.email = Set(input.email.as_str().to_owned());
    active.registry_number = Set(input.registry_number.clone());
    active.kind = Set(input.kind.as_str().to_owned());
    active.certified_until = Set(input.certified_until);
    active.max_active_cases = Set(input.max_active_cases);
    active.timezone = Set(input.timezone.name().to_owned());
    active.status = Set(input.status.as_str().to_owned());
    active.updated_at = Set(now());
    let m = active
        .update(db)
        .await
        .map_err(|e| registry_conflict(e, &input.registry_number))?;
    // Courts, zone and login may have changed.
    availability::touch(db, id).await?;
    write_lists(db, id, input).await?;
    Ok(m)
}

/// The registry fields of a stored mediator, for comparison with an input.
pub(crate) fn as_input(r: &MediatorRecord) -> Option<MediatorInput> {
    let m = &r.mediator;
    Some(MediatorInput {
        name: m.name.clone(),
        email: EmailAddress::parse(&m.email).ok()?,
        user_id: m.user_id,
        registry_number: m.registry_number.clone(),
        kind: m.kind.parse().ok()?,
        certified_until: m.certified_until,
        specialties: r
            .specialties
            .iter()
            .filter_map(|s| s.parse().ok())
            .collect(),
        languages: r.languages.iter().filter_map(|s| s.parse().ok()).collect(),
        court_ids: r.court_ids.iter().copied().collect(),
        max_active_cases: m.max_active_cases,
        timezone: TimeZoneName::parse(&m.timezone).ok()?,
        status: m.status.parse().ok()?,
    })
}

pub async fn create(
    db: &DatabaseConnection,
    actor: &Caller,
    input: MediatorInput,
) -> AppResult<MediatorRecord> {
    let txn = db.begin().await?;
    check_references(&txn, &input, "").await?;
    let m = insert(&txn, &input).await?;
    audit::record(
        &txn,
        Entry::new(
            Actor::User(actor.user_id),
            "mediator.created",
            "mediator",
            m.id,
        )
        .details(serde_json::json!({"registry_number": m.registry_number})),
    )
    .await?;
    let record = load_lists(&txn, m).await?;
    txn.commit().await?;
    Ok(record)
}

pub async fn update(
    db: &DatabaseConnection,
    actor: &Caller,
    id: Uuid,
    input: MediatorInput,
) -> AppResult<MediatorRecord> {
    let txn = db.begin().await?;
    let current = entity::mediators::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("mediator"))?;
    check_references(&txn, &input, "").await?;
    let from_status = current.status.clone();
    let m = overwrite(&txn, current, &input).await?;
    let mut entry = Entry::new(
        Actor::User(actor.user_id),
        "mediator.updated",
        "mediator",
        m.id,
    );
    if from_status != m.status {
        entry.from_state = Some(from_status);
        entry.to_state = Some(m.status.clone());
    }
    audit::record(&txn, entry).await?;
    let record = load_lists(&txn, m).await?;
    txn.commit().await?;
    Ok(record)
}

/// The current registry fields of a mediator as an input, to apply a partial
/// change on top of.
pub fn current_input(record: &MediatorRecord) -> AppResult<MediatorInput> {
    as_input(record).ok_or_else(|| {
        AppError::internal(
            "reading a stored mediator",
            anyhow::anyhow!("stored values do not parse"),
        )
    })
}

pub async fn list_for(
    db: &DatabaseConnection,
    caller: &Caller,
    court_id: Option<Uuid>,
    status: Option<MediatorStatus>,
    page: PageRequest,
) -> AppResult<(Vec<MediatorRecord>, Option<String>)> {
    use entity::mediators::Column;
    let court_filter = match caller.role {
        Role::Admin => court_id,
        Role::Clerk => {
            let own = caller.court_id;
            if court_id.is_some() && court_id != own {
                return Ok((Vec::new(), None));
            }
            own
        }
        Role::Mediator => None,
    };
    let mut q = entity::mediators::Entity::find().order_by_asc(Column::Id);
    if let Some(court) = court_filter {
        let ids: Vec<Uuid> = entity::mediator_courts::Entity::find()
            .filter(entity::mediator_courts::Column::CourtId.eq(court))
            .all(db)
            .await?
            .into_iter()
            .map(|mc| mc.mediator_id)
            .collect();
        q = q.filter(Column::Id.is_in(ids));
    }
    if caller.role == Role::Mediator {
        q = q.filter(Column::UserId.eq(caller.user_id));
    }
    if let Some(s) = status {
        q = q.filter(Column::Status.eq(s.as_str()));
    }
    if let Some(after) = page.after {
        q = q.filter(Column::Id.gt(after));
    }
    let rows = q.limit(page.limit + 1).all(db).await?;
    let (rows, next) = page::finish(rows, page.limit, |m| m.id);
    let mut out = Vec::with_capacity(rows.len());
    for m in rows {
        out.push(load_lists(db, m).await?);
    }
    Ok((out, next))
}

// ---- availability, time off, conflicts -------------------------------------

pub async fn weekly(
    db: &impl ConnectionTrait,
    mediator_id: Uuid,
) -> AppResult<Vec<WeeklyInterval>> {
    let rows = entity::availability_intervals::Entity::find()
        .filter(entity::availability_intervals::Column::MediatorId.eq(mediator_id))
        .all(db)
        .await?;
    let mut out: Vec<WeeklyInterval> = rows
        .into_iter()
        .filter_map(|r| {
            Some(WeeklyInterval {
                weekday: u8::try_from(r.weekday).ok()?,
                start_minute: u16::try_from(r.start_minute).ok()?,
                end_minute: u16::try_from(r.end_minute).ok()?,
            })
        })
        .collect();
    out.sort();
    Ok(out)
}

/// Replaces the weekly availability of a mediator.
pub async fn set_weekly(
    db: &DatabaseConnection,
    actor: &Caller,
    mediator_id: Uuid,
    weekly: Vec<WeeklyInterval>,
) -> AppResult<Vec<WeeklyInterval>> {
    let txn = db.begin().await?;
    entity::availability_intervals::Entity::delete_many()
        .filter(entity::availability_intervals::Column::MediatorId.eq(mediator_id))
        .exec(&txn)
        .await?;
    if !weekly.is_empty() {
        entity::availability_intervals::Entity::insert_many(weekly.iter().map(|w| {
            entity::availability_intervals::ActiveModel {
                id: Set(new_id()),
                mediator_id: Set(mediator_id),
                weekday: Set(i16::from(w.weekday)),
                start_minute: Set(i32::from(w.start_minute)),
                end_minute: Set(i32::from(w.end_minute)),
            }
        }))
        .exec(&txn)
        .await?;
    }
    availability::touch(&txn, mediator_id).await?;
    audit::record(
        &txn,
        Entry::new(
            Actor::User(actor.user_id),
            "mediator.availability_set",
            "mediator",
            mediator_id,
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(weekly)
}

pub async fn add_time_off(
    db: &DatabaseConnection,
    actor: &Caller,
    mediator_id: Uuid,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    note: Option<String>,
) -> AppResult<entity::time_off::Model> {
    let txn = db.begin().await?;
    let row = entity::time_off::ActiveModel {
        id: Set(new_id()),
        mediator_id: Set(mediator_id),
        starts_at: Set(starts_at),
        ends_at: Set(ends_at),
        note: Set(note),
        created_at: Set(now()),
    }
    .insert(&txn)
    .await?;
    availability::touch(&txn, mediator_id).await?;
    audit::record(
        &txn,
        Entry::new(
            Actor::User(actor.user_id),
            "mediator.time_off_added",
            "time_off",
            row.id,
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

pub async fn list_time_off(
    db: &DatabaseConnection,
    mediator_id: Uuid,
) -> AppResult<Vec<entity::time_off::Model>> {
    Ok(entity::time_off::Entity::find()
        .filter(entity::time_off::Column::MediatorId.eq(mediator_id))
        .order_by_asc(entity::time_off::Column::StartsAt)
        .all(db)
        .await?)
}

pub async fn delete_time_off(
    db: &DatabaseConnection,
    actor: &Caller,
    mediator_id: Uuid,
    id: Uuid,
) -> AppResult<()> {
    let txn = db.begin().await?;
    let res = entity::time_off::Entity::delete_many()
        .filter(entity::time_off::Column::Id.eq(id))
        .filter(entity::time_off::Column::MediatorId.eq(mediator_id))
        .exec(&txn)
        .await?;
    if res.rows_affected == 0 {
        return Err(AppError::not_found("time off"));
    }
    availability::touch(&txn, mediator_id).await?;
    audit::record(
        &txn,
        Entry::new(
            Actor::User(actor.user_id),
            "mediator.time_off_removed",
            "time_off",
            id,
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

pub async fn add_conflict(
    db: &DatabaseConnection,
    actor: &Caller,
    mediator_id: Uuid,
    iin_bin: Option<IinBin>,
    party_name: Option<String>,
    note: Option<String>,
) -> AppResult<entity::conflicts::Model> {
    let txn = db.begin().await?;
    let row = entity::conflicts::ActiveModel {
        id: Set(new_id()),
        mediator_id: Set(mediator_id),
        party_iin_bin: Set(iin_bin.map(|i| i.as_str().to_owned())),
        party_name: Set(party_name),
        note: Set(note),
        created_at: Set(now()),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        Entry::new(
            Actor::User(actor.user_id),
            "mediator.conflict_declared",
            "conflict",
            row.id,
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

pub async fn list_conflicts(
    db: &DatabaseConnection,
    mediator_id: Uuid,
) -> AppResult<Vec<entity::conflicts::Model>> {
    Ok(entity::conflicts::Entity::find()
        .filter(entity::conflicts::Column::MediatorId.eq(mediator_id))
        .order_by_asc(entity::conflicts::Column::Id)
        .all(db)
        .await?)
}

// ---- external busy blocks ----------------------------------------------------

/// How far ahead external calendars are expanded into busy blocks.
pub const BUSY_HORIZON_DAYS: i64 = 400;

/// Replaces a mediator's busy blocks with those of `ics`, expanded from a
/// week ago to [`BUSY_HORIZON_DAYS`] ahead. A calendar that cannot be read
/// changes nothing and is reported as the error.
pub async fn import_busy(
    db: &DatabaseConnection,
    mediator: &entity::mediators::Model,
    ics: String,
    source: &'static str,
    url: Option<String>,
) -> AppResult<usize> {
    let tz = TimeZoneName::parse(&mediator.timezone)
        .map(|t| t.tz())
        .unwrap_or(chrono_tz::Asia::Almaty);
    let at = now();
    let (from, to) = (
        at - Duration::days(7),
        at + Duration::days(BUSY_HORIZON_DAYS),
    );
    // Expanding recurrences is CPU work that a hostile file can make long.
    let parsed = tokio::task::spawn_blocking(move || {
        crate::calendar::import::busy_blocks(&ics, from, to, tz)
    })
    .await
    .map_err(|e| AppError::internal("expanding a calendar", e))?;
    let blocks = match parsed {
        Ok(b) => split_into_days(b),
        Err(e) => {
            record_calendar_error(db, mediator.id, url, &e.to_string()).await?;
            return Err(AppError::field("calendar", e.to_string()));
        }
    };
    let txn = db.begin().await?;
    entity::busy_blocks::Entity::delete_many()
        .filter(entity::busy_blocks::Column::MediatorId.eq(mediator.id))
        .exec(&txn)
        .await?;
    for chunk in blocks.chunks(500) {
        entity::busy_blocks::Entity::insert_many(chunk.iter().map(|b| {
            entity::busy_blocks::ActiveModel {
                id: Set(new_id()),
                mediator_id: Set(mediator.id),
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
    let mut active: entity::mediators::ActiveModel = mediator.clone().into();
    active.external_calendar_url = Set(url);
    active.external_calendar_error = Set(None);
    active.external_calendar_fetched_at = Set(Some(at));
    active.updated_at = Set(at);
    active.update(&txn).await?;
    availability::touch(&txn, mediator.id).await?;
    txn.commit().await?;
    Ok(blocks.len())
}

/// Cuts blocks longer than [`LONGEST_BUSY_PIECE`] into consecutive pieces.
fn split_into_days(blocks: Vec<crate::calendar::import::BusyBlock>) -> Vec<Interval> {
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
pub async fn record_calendar_error(
    db: &DatabaseConnection,
    mediator_id: Uuid,
    url: Option<String>,
    error: &str,
) -> AppResult<()> {
    let mut update = entity::mediators::Entity::update_many()
        .col_expr(
            entity::mediators::Column::ExternalCalendarError,
            sea_orm::sea_query::Expr::value(error.to_owned()),
        )
        .filter(entity::mediators::Column::Id.eq(mediator_id));
    if let Some(url) = url {
        update = update.col_expr(
            entity::mediators::Column::ExternalCalendarUrl,
            sea_orm::sea_query::Expr::value(url),
        );
    }
    update.exec(db).await?;
    Ok(())
}

/// Fetches every mediator's external calendar again and replaces their
/// busy blocks; a feed that fails keeps the last good blocks and records the
/// error for the mediator to see. Returns (refreshed, failed).
pub async fn refresh_external_calendars(
    db: &DatabaseConnection,
    client: &reqwest::Client,
    settings: &crate::config::Settings,
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
            Ok(text) => import_busy(db, &m, text, "url", Some(url))
                .await
                .map(|_| ()),
            Err(message) => {
                record_calendar_error(db, m.id, None, &message).await?;
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

/// Fetches an ICS URL with a timeout and a size limit.
pub async fn fetch_ics(
    client: &reqwest::Client,
    url: &str,
    max_bytes: usize,
) -> Result<String, String> {
    let mut resp = client
        .get(url)
        .header("accept", "text/calendar")
        .send()
        .await
        .map_err(|e| format!("the calendar could not be fetched: {}", without_url(&e)))?;
    if !resp.status().is_success() {
        return Err(format!("the calendar server answered {}", resp.status()));
    }
    if resp
        .content_length()
        .is_some_and(|n| n as usize > max_bytes)
    {
        return Err(format!("the calendar is larger than {max_bytes} bytes"));
    }
    let mut body: Vec<u8> = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| format!("the calendar could not be read: {}", without_url(&e)))?
    {
        if body.len() + chunk.len() > max_bytes {
            return Err(format!("the calendar is larger than {max_bytes} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    String::from_utf8(body).map_err(|_| "the calendar is not UTF-8 text".to_owned())
}

/// reqwest puts the URL (which may hold a secret token) into its messages.
fn without_url(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "could not connect".into()
    } else {
        // reqwest's Display includes the URL; keep only the kind of failure.
        if e.is_status() {
            "the server refused".into()
        } else if e.is_body() || e.is_decode() {
            "the answer could not be read".into()
        } else {
            "the request failed".into()
        }
    }
}

// ---- free slots --------------------------------------------------------------

/// The longest session that can be booked.
pub const LONGEST_SESSION: Duration = Duration::hours(8);

/// Busy blocks are stored cut into pieces of at most a day, so that a query
/// of a time range can bound `starts_at` from below and use its index.
pub const LONGEST_BUSY_PIECE: Duration = Duration::days(1);

// ---- calendar feed -------------------------------------------------------------

/// Gives a mediator a new feed secret; the old address stops working at once.
pub async fn rotate_feed_secret(
    db: &DatabaseConnection,
    actor: &Caller,
    mediator: &entity::mediators::Model,
) -> AppResult<String> {
    let txn = db.begin().await?;
    let secret = new_feed_secret();
    let mut active: entity::mediators::ActiveModel = mediator.clone().into();
    active.feed_secret = Set(secret.clone());
    active.updated_at = Set(now());
    active.update(&txn).await?;
    audit::record(
        &txn,
        Entry::new(
            Actor::User(actor.user_id),
            "mediator.feed_rotated",
            "mediator",
            mediator.id,
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(secret)
}

/// The iCalendar feed of the mediator holding `secret`, or not found.
pub async fn feed(db: &DatabaseConnection, secret: &str) -> AppResult<String> {
    if secret.len() < 20 {
        return Err(AppError::not_found("calendar"));
    }
    let mediator = entity::mediators::Entity::find()
        .filter(entity::mediators::Column::FeedSecret.eq(secret))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("calendar"))?;
    let sessions = entity::sessions::Entity::find()
        .filter(entity::sessions::Column::MediatorId.eq(mediator.id))
        .find_also_related(entity::cases::Entity)
        .order_by_asc(entity::sessions::Column::StartsAt)
        .all(db)
        .await?;
    let rooms: Vec<Uuid> = sessions.iter().filter_map(|(s, _)| s.room_id).collect();
    let room_names: std::collections::HashMap<Uuid, String> = entity::rooms::Entity::find()
        .filter(entity::rooms::Column::Id.is_in(rooms))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r.name))
        .collect();
    let events: Vec<crate::calendar::feed::FeedEvent> = sessions
        .into_iter()
        .map(|(s, case)| {
            let number = case.map(|c| c.court_case_number).unwrap_or_default();
            crate::calendar::feed::FeedEvent {
                uid: format!("session-{}@kelisim", s.id),
                starts_at: s.starts_at,
                ends_at: s.ends_at,
                // Neutral: dispute details never go into a calendar.
                summary: format!("Mediation session, case {number}"),
                location: s
                    .room_id
                    .and_then(|r| room_names.get(&r).cloned())
                    .or(s.online_url.clone()),
                description: None,
                cancelled: s.status == "cancelled",
                sequence: u32::try_from(s.sequence).unwrap_or(0),
                last_modified: s.updated_at,
            }
        })
        .collect();
    // DTSTAMP follows the data, not the clock, so an unchanged calendar gives
    // the same bytes and the same ETag.
    let stamp = events
        .iter()
        .map(|e| e.last_modified)
        .chain([mediator.updated_at])
        .max()
        .unwrap_or(mediator.updated_at);
    Ok(crate::calendar::feed::build_feed(
        &format!("Kelisim — {}", mediator.name),
        &events,
        stamp,
    ))
}
