//! Courts and their rooms.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use uuid::Uuid;

use super::audit::{self, Actor, Entry};
use super::auth::Caller;
use super::page::{self, PageRequest};
use crate::db::{begin_write, new_id, now};
use crate::domain::{CourtCode, Language, TimeZoneName};
use crate::error::{AppError, AppResult, unique_violation};

/// A court as stored.
#[derive(Debug, Clone)]
pub struct Court {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    /// IANA zone name.
    pub timezone: String,
    pub default_language: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<entity::courts::Model> for Court {
    fn from(c: entity::courts::Model) -> Self {
        Self {
            id: c.id,
            code: c.code,
            name: c.name,
            timezone: c.timezone,
            default_language: c.default_language,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// A room of a court as stored.
#[derive(Debug, Clone)]
pub struct Room {
    pub id: Uuid,
    pub court_id: Uuid,
    pub name: String,
    pub capacity: i32,
    pub step_free: bool,
    pub created_at: DateTime<Utc>,
}

impl From<entity::rooms::Model> for Room {
    fn from(r: entity::rooms::Model) -> Self {
        Self {
            id: r.id,
            court_id: r.court_id,
            name: r.name,
            capacity: r.capacity,
            step_free: r.step_free,
            created_at: r.created_at,
        }
    }
}

pub struct NewCourt {
    pub code: CourtCode,
    pub name: String,
    pub timezone: TimeZoneName,
    pub default_language: Language,
}

#[derive(Default)]
pub struct CourtChanges {
    pub name: Option<String>,
    pub timezone: Option<TimeZoneName>,
    pub default_language: Option<Language>,
}

pub struct NewRoom {
    pub name: String,
    pub capacity: i32,
    pub step_free: bool,
}

pub async fn create(db: &DatabaseConnection, actor: &Caller, new: NewCourt) -> AppResult<Court> {
    let txn = begin_write(db).await?;
    let at = now();
    let court = entity::courts::ActiveModel {
        id: Set(new_id()),
        code: Set(new.code.as_str().to_owned()),
        name: Set(new.name),
        timezone: Set(new.timezone.name().to_owned()),
        default_language: Set(new.default_language.as_str().to_owned()),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if unique_violation(&e) {
            AppError::conflict_on(
                "code",
                format!("a court with code {} already exists", new.code.as_str()),
            )
        } else {
            e.into()
        }
    })?;
    audit::record(
        &txn,
        Entry::new(
            Actor::User(actor.user_id),
            "court.created",
            "court",
            court.id,
        )
        .court(Some(court.id))
        .details(serde_json::json!({"code": court.code})),
    )
    .await?;
    txn.commit().await?;
    Ok(court.into())
}

/// How many courts there are.
pub async fn count(db: &DatabaseConnection) -> AppResult<u64> {
    Ok(entity::courts::Entity::find().count(db).await?)
}

/// The court, if `caller` may see it; otherwise not found.
pub async fn get_visible(db: &DatabaseConnection, caller: &Caller, id: Uuid) -> AppResult<Court> {
    if !caller.sees_court(id) {
        return Err(AppError::not_found("court"));
    }
    entity::courts::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(Court::from)
        .ok_or_else(|| AppError::not_found("court"))
}

pub async fn list_visible(
    db: &DatabaseConnection,
    caller: &Caller,
    page: PageRequest,
) -> AppResult<(Vec<Court>, Option<String>)> {
    use entity::courts::{Column, Entity, Model};
    let mut q = Entity::find();
    match caller.role {
        crate::domain::Role::Admin => {}
        _ => q = q.filter(Column::Id.eq(caller.court_id.unwrap_or_default())),
    }
    let (rows, next) = page::fetch(db, q, Column::Id, page, |c: &Model| c.id).await?;
    Ok((rows.into_iter().map(Court::from).collect(), next))
}

pub async fn update(
    db: &DatabaseConnection,
    actor: &Caller,
    id: Uuid,
    changes: CourtChanges,
) -> AppResult<Court> {
    let txn = begin_write(db).await?;
    let court = entity::courts::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("court"))?;
    let mut active: entity::courts::ActiveModel = court.into();
    if let Some(name) = changes.name {
        active.name = Set(name);
    }
    if let Some(tz) = changes.timezone {
        active.timezone = Set(tz.name().to_owned());
    }
    if let Some(lang) = changes.default_language {
        active.default_language = Set(lang.as_str().to_owned());
    }
    active.updated_at = Set(now());
    let court = active.update(&txn).await?;
    audit::record(
        &txn,
        Entry::new(
            Actor::User(actor.user_id),
            "court.updated",
            "court",
            court.id,
        )
        .court(Some(court.id)),
    )
    .await?;
    txn.commit().await?;
    Ok(court.into())
}

pub async fn create_room(
    db: &DatabaseConnection,
    actor: &Caller,
    court_id: Uuid,
    new: NewRoom,
) -> AppResult<Room> {
    let txn = begin_write(db).await?;
    entity::courts::Entity::find_by_id(court_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("court"))?;
    let room = entity::rooms::ActiveModel {
        id: Set(new_id()),
        court_id: Set(court_id),
        name: Set(new.name.clone()),
        capacity: Set(new.capacity),
        step_free: Set(new.step_free),
        created_at: Set(now()),
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if unique_violation(&e) {
            AppError::conflict_on(
                "name",
                format!("this court already has a room named {:?}", new.name),
            )
        } else {
            e.into()
        }
    })?;
    audit::record(
        &txn,
        Entry::new(Actor::User(actor.user_id), "room.created", "room", room.id)
            .court(Some(court_id)),
    )
    .await?;
    txn.commit().await?;
    Ok(room.into())
}

pub async fn list_rooms(
    db: &DatabaseConnection,
    court_id: Uuid,
    page: PageRequest,
) -> AppResult<(Vec<Room>, Option<String>)> {
    use entity::rooms::{Column, Entity, Model};
    let q = Entity::find().filter(Column::CourtId.eq(court_id));
    let (rows, next) = page::fetch(db, q, Column::Id, page, |r: &Model| r.id).await?;
    Ok((rows.into_iter().map(Room::from).collect(), next))
}

/// Days on which a court holds no sessions (holidays), ascending.
pub async fn closed_days(
    db: &DatabaseConnection,
    court_id: Uuid,
) -> AppResult<Vec<chrono::NaiveDate>> {
    use entity::court_closed_days::Column;
    Ok(entity::court_closed_days::Entity::find()
        .filter(Column::CourtId.eq(court_id))
        .order_by_asc(Column::Day)
        .all(db)
        .await?
        .into_iter()
        .map(|d| d.day)
        .collect())
}

/// Replaces the closed days of a court with the list given.
pub async fn set_closed_days(
    db: &DatabaseConnection,
    actor: &Caller,
    court_id: Uuid,
    days: std::collections::BTreeSet<chrono::NaiveDate>,
) -> AppResult<Vec<chrono::NaiveDate>> {
    use entity::court_closed_days::{ActiveModel, Column, Entity};
    let txn = begin_write(db).await?;
    Entity::delete_many()
        .filter(Column::CourtId.eq(court_id))
        .exec(&txn)
        .await?;
    let list: Vec<chrono::NaiveDate> = days.into_iter().collect();
    for chunk in list.chunks(500) {
        Entity::insert_many(chunk.iter().map(|d| ActiveModel {
            court_id: Set(court_id),
            day: Set(*d),
            note: Set(None),
        }))
        .exec(&txn)
        .await?;
    }
    super::availability::touch_court(&txn, court_id).await?;
    audit::record(
        &txn,
        Entry::new(
            Actor::User(actor.user_id),
            "court.closed_days_set",
            "court",
            court_id,
        )
        .court(Some(court_id))
        .details(serde_json::json!({"days": list.len()})),
    )
    .await?;
    txn.commit().await?;
    Ok(list)
}
