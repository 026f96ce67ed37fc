//! Courts and their rooms.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use uuid::Uuid;

use super::audit::{self, Actor, Entry};
use super::auth::Caller;
use super::page::{self, PageRequest};
use crate::db::{new_id, now};
use crate::domain::{CourtCode, Language, TimeZoneName};
use crate::error::{AppError, AppResult, unique_violation};

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

pub async fn create(
    db: &DatabaseConnection,
    actor: &Caller,
    new: NewCourt,
) -> AppResult<entity::courts::Model> {
    let txn = db.begin().await?;
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
    Ok(court)
}

/// How many courts there are.
pub async fn count(db: &DatabaseConnection) -> AppResult<u64> {
    Ok(entity::courts::Entity::find().count(db).await?)
}

/// The court, if `caller` may see it; otherwise not found.
pub async fn get_visible(
    db: &DatabaseConnection,
    caller: &Caller,
    id: Uuid,
) -> AppResult<entity::courts::Model> {
    if !caller.sees_court(id) {
        return Err(AppError::not_found("court"));
    }
    entity::courts::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("court"))
}

pub async fn list_visible(
    db: &DatabaseConnection,
    caller: &Caller,
    page: PageRequest,
) -> AppResult<(Vec<entity::courts::Model>, Option<String>)> {
    use entity::courts::Column;
    let mut q = entity::courts::Entity::find().order_by_asc(Column::Id);
    match caller.role {
        crate::domain::Role::Admin => {}
        _ => q = q.filter(Column::Id.eq(caller.court_id.unwrap_or_default())),
    }
    if let Some(after) = page.after {
        q = q.filter(Column::Id.gt(after));
    }
    let rows = q.limit(page.limit + 1).all(db).await?;
    Ok(page::finish(rows, page.limit, |c| c.id))
}

pub async fn update(
    db: &DatabaseConnection,
    actor: &Caller,
    id: Uuid,
    changes: CourtChanges,
) -> AppResult<entity::courts::Model> {
    let txn = db.begin().await?;
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
    Ok(court)
}

pub async fn create_room(
    db: &DatabaseConnection,
    actor: &Caller,
    court_id: Uuid,
    new: NewRoom,
) -> AppResult<entity::rooms::Model> {
    let txn = db.begin().await?;
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
    Ok(room)
}

pub async fn list_rooms(
    db: &DatabaseConnection,
    court_id: Uuid,
    page: PageRequest,
) -> AppResult<(Vec<entity::rooms::Model>, Option<String>)> {
    use entity::rooms::Column;
    let mut q = entity::rooms::Entity::find()
        .filter(Column::CourtId.eq(court_id))
        .order_by_asc(Column::Id);
    if let Some(after) = page.after {
        q = q.filter(Column::Id.gt(after));
    }
    let rows = q.limit(page.limit + 1).all(db).await?;
    Ok(page::finish(rows, page.limit, |r| r.id))
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
    let txn = db.begin().await?;
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
