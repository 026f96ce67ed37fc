//! The mediator registry: entries created, changed and listed by admins and
//! the registry import. A mediator's calendar is `services::availability`,
//! who may see or manage an entry `services::access`, the private feed
//! `services::feed`.
//!
//! Rule: a change of an entry that may move a mediator's free time (courts,
//! zone, login) touches their calendar version in the same transaction.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use uuid::Uuid;

use super::audit::{self, Actor, Entry};
use super::auth::Caller;
use super::auth::hash_token;
use super::availability;
use super::feed::new_feed_secret;
use super::page::{self, PageRequest};
use crate::db::{begin_write, new_id, now};
use crate::domain::mediator::{MediatorKind, MediatorStatus, Specialty};
use crate::domain::{EmailAddress, Language, Role, TimeZoneName};
use crate::error::{AppError, AppResult, stored, unique_violation};

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

/// A registry entry as stored.
#[derive(Debug, Clone)]
pub struct Mediator {
    pub id: Uuid,
    pub user_id: Option<Uuid>,
    pub name: String,
    pub email: String,
    pub registry_number: String,
    pub kind: MediatorKind,
    pub certified_until: NaiveDate,
    pub max_active_cases: i32,
    /// IANA zone name.
    pub timezone: String,
    pub status: MediatorStatus,
    pub external_calendar_url: Option<String>,
    pub external_calendar_error: Option<String>,
    pub external_calendar_fetched_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<entity::mediators::Model> for Mediator {
    type Error = AppError;
    fn try_from(m: entity::mediators::Model) -> AppResult<Self> {
        Ok(Self {
            kind: stored("reading a mediator's kind", &m.kind)?,
            status: stored("reading a mediator's status", &m.status)?,
            id: m.id,
            user_id: m.user_id,
            name: m.name,
            email: m.email,
            registry_number: m.registry_number,
            certified_until: m.certified_until,
            max_active_cases: m.max_active_cases,
            timezone: m.timezone,
            external_calendar_url: m.external_calendar_url,
            external_calendar_error: m.external_calendar_error,
            external_calendar_fetched_at: m.external_calendar_fetched_at,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

/// A mediator with the lists kept in their own tables.
#[derive(Debug, Clone)]
pub struct MediatorRecord {
    pub mediator: Mediator,
    pub specialties: Vec<String>,
    pub languages: Vec<String>,
    pub court_ids: Vec<Uuid>,
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
        mediator: m.try_into()?,
        specialties,
        languages,
        court_ids,
    })
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

/// Inserts a mediator inside `db` (a transaction) and returns it with the
/// secret of its calendar feed, which is stored only hashed; the caller
/// writes the audit row.
pub(crate) async fn insert<C: ConnectionTrait>(
    db: &C,
    input: &MediatorInput,
) -> AppResult<(entity::mediators::Model, String)> {
    let at = now();
    let id = new_id();
    let feed_secret = new_feed_secret();
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
        feed_secret_hash: Set(hash_token(&feed_secret)),
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
    Ok((m, feed_secret))
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
        kind: m.kind,
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
        status: m.status,
    })
}

/// Registers a mediator; returns the entry and the secret of its calendar
/// feed, which is shown this once.
pub async fn create(
    db: &DatabaseConnection,
    actor: &Caller,
    input: MediatorInput,
) -> AppResult<(MediatorRecord, String)> {
    let txn = begin_write(db).await?;
    check_references(&txn, &input, "").await?;
    let (m, feed_secret) = insert(&txn, &input).await?;
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
    Ok((record, feed_secret))
}

pub async fn update(
    db: &DatabaseConnection,
    actor: &Caller,
    id: Uuid,
    input: MediatorInput,
) -> AppResult<MediatorRecord> {
    let txn = begin_write(db).await?;
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
    let mut q = entity::mediators::Entity::find();
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
    let (rows, next) =
        page::fetch(db, q, Column::Id, page, |m: &entity::mediators::Model| m.id).await?;
    let mut out = Vec::with_capacity(rows.len());
    for m in rows {
        out.push(load_lists(db, m).await?);
    }
    Ok((out, next))
}
