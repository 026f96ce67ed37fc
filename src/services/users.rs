//! User accounts: admins, clerks and mediators. Parties have no accounts.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};
use uuid::Uuid;

use super::audit::{self, Actor, Entry};
use super::auth::{self as auth_service, Caller};
use super::page::{self, PageRequest};
use crate::db::{begin_write, new_id, now};
use crate::domain::primitives::parse_name;
use crate::domain::{EmailAddress, Language, Role, password};
use crate::error::{AppError, AppResult, Fields, checked, stored, unique_violation};

/// A user account as stored, without its password hash.
#[derive(Debug, Clone)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub court_id: Option<Uuid>,
    pub language: Language,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<entity::users::Model> for User {
    type Error = AppError;
    fn try_from(u: entity::users::Model) -> AppResult<Self> {
        Ok(Self {
            role: stored("reading a user's role", &u.role)?,
            language: Language::stored(&u.language),
            id: u.id,
            email: u.email,
            name: u.name,
            court_id: u.court_id,
            active: u.active,
            created_at: u.created_at,
            updated_at: u.updated_at,
        })
    }
}

impl User {
    /// This user acting without an API token: for work started from the
    /// command line, such as `kelisim demo`.
    pub fn caller(&self) -> Caller {
        Caller {
            user_id: self.id,
            token_id: Uuid::nil(),
            role: self.role,
            court_id: self.court_id,
        }
    }
}

pub struct NewUser {
    pub email: EmailAddress,
    pub name: String,
    pub role: Role,
    pub court_id: Option<Uuid>,
    pub language: Language,
    /// Already checked against the password rules.
    pub password: String,
}

/// A new user as typed in (an API request or the command line), not yet
/// checked.
#[derive(Debug, Clone)]
pub struct NewUserInput {
    pub email: String,
    pub name: String,
    pub role: String,
    pub court_id: Option<Uuid>,
    pub language: String,
    pub password: String,
}

impl NewUser {
    /// Checks every field of a new user at once, naming each bad one.
    pub fn parse(input: NewUserInput) -> AppResult<Self> {
        let mut f = Fields::default();
        let email = f.check("email", EmailAddress::parse(&input.email));
        let name = f.check("name", parse_name(&input.name, 200));
        let role = f.check("role", input.role.parse::<Role>());
        let language = f.check("language", input.language.parse::<Language>());
        f.check("password", password::check_strength(&input.password));
        if role == Some(Role::Clerk) && input.court_id.is_none() {
            f.push("court_id", "is required for a clerk");
        }
        f.finish()?;
        Ok(NewUser {
            email: checked(email)?,
            name: checked(name)?,
            role: checked(role)?,
            court_id: input.court_id,
            language: checked(language)?,
            password: input.password,
        })
    }
}

#[derive(Default)]
pub struct UserChanges {
    pub name: Option<String>,
    pub language: Option<Language>,
    pub active: Option<bool>,
    pub password: Option<String>,
}

/// Creates a user. A clerk must belong to an existing court.
pub async fn create(db: &DatabaseConnection, actor: Actor, new: NewUser) -> AppResult<User> {
    if new.role == Role::Clerk && new.court_id.is_none() {
        return Err(AppError::field("court_id", "is required for a clerk"));
    }
    let pw = new.password.clone();
    let password_hash = tokio::task::spawn_blocking(move || password::hash(&pw))
        .await
        .map_err(|e| AppError::internal("hashing a password", e))??;
    let txn = begin_write(db).await?;
    if let Some(court_id) = new.court_id
        && entity::courts::Entity::find_by_id(court_id)
            .one(&txn)
            .await?
            .is_none()
    {
        return Err(AppError::field("court_id", "no court has this id"));
    }
    let at = now();
    let user = entity::users::ActiveModel {
        id: Set(new_id()),
        email: Set(new.email.as_str().to_owned()),
        name: Set(new.name),
        role: Set(new.role.as_str().to_owned()),
        court_id: Set(new.court_id),
        language: Set(new.language.as_str().to_owned()),
        password_hash: Set(password_hash),
        active: Set(true),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if unique_violation(&e) {
            AppError::conflict_on("email", "a user with this email already exists")
        } else {
            e.into()
        }
    })?;
    audit::record(
        &txn,
        Entry::new(actor, "user.created", "user", user.id)
            .court(user.court_id)
            .details(serde_json::json!({"role": user.role})),
    )
    .await?;
    txn.commit().await?;
    tracing::info!(user_id = %user.id, role = %new.role, email = new.email.masked(), "user created");
    user.try_into()
}

/// A user visible to `caller`: admins see all, others only themselves.
pub async fn get_visible(db: &DatabaseConnection, caller: &Caller, id: Uuid) -> AppResult<User> {
    if !caller.is_admin() && caller.user_id != id {
        return Err(AppError::not_found("user"));
    }
    entity::users::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("user"))?
        .try_into()
}

pub async fn list(
    db: &DatabaseConnection,
    court_id: Option<Uuid>,
    role: Option<Role>,
    page: PageRequest,
) -> AppResult<(Vec<User>, Option<String>)> {
    use entity::users::{Column, Entity, Model};
    let mut q = Entity::find();
    if let Some(court_id) = court_id {
        q = q.filter(Column::CourtId.eq(court_id));
    }
    if let Some(role) = role {
        q = q.filter(Column::Role.eq(role.as_str()));
    }
    let (rows, next) = page::fetch(db, q, Column::Id, page, |u: &Model| u.id).await?;
    let users = rows
        .into_iter()
        .map(User::try_from)
        .collect::<AppResult<_>>()?;
    Ok((users, next))
}

/// Changes a user; disabling an account or changing its password revokes every
/// token it holds.
pub async fn update(
    db: &DatabaseConnection,
    actor: &Caller,
    id: Uuid,
    changes: UserChanges,
) -> AppResult<User> {
    let new_hash = match changes.password.clone() {
        Some(pw) => Some(
            tokio::task::spawn_blocking(move || password::hash(&pw))
                .await
                .map_err(|e| AppError::internal("hashing a password", e))??,
        ),
        None => None,
    };
    let txn = begin_write(db).await?;
    let user = entity::users::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("user"))?;
    if actor.user_id == id && changes.active == Some(false) {
        return Err(AppError::conflict("you cannot disable your own account"));
    }
    let revoke = changes.active == Some(false) || new_hash.is_some();
    let mut active: entity::users::ActiveModel = user.into();
    if let Some(name) = changes.name {
        active.name = Set(name);
    }
    if let Some(lang) = changes.language {
        active.language = Set(lang.as_str().to_owned());
    }
    if let Some(flag) = changes.active {
        active.active = Set(flag);
    }
    if let Some(hash) = new_hash {
        active.password_hash = Set(hash);
    }
    active.updated_at = Set(now());
    let user = active.update(&txn).await?;
    if revoke {
        auth_service::revoke_all(&txn, user.id).await?;
    }
    audit::record(
        &txn,
        Entry::new(Actor::User(actor.user_id), "user.updated", "user", user.id)
            .court(user.court_id),
    )
    .await?;
    txn.commit().await?;
    user.try_into()
}

/// The language a user's emails are written in: their own, or
/// [`Language::FALLBACK`] for no login (or an unknown one).
pub async fn language_of<C: ConnectionTrait>(db: &C, user_id: Option<Uuid>) -> AppResult<Language> {
    let Some(id) = user_id else {
        return Ok(Language::FALLBACK);
    };
    Ok(entity::users::Entity::find_by_id(id)
        .one(db)
        .await?
        .map_or(Language::FALLBACK, |u| Language::stored(&u.language)))
}
