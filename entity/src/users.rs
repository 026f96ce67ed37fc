//! `users` table: staff accounts: admins, clerks and mediators.
//!
//! Mirrors the schema created by the `migration` crate; keep the two in step.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Stored lower-case.
    #[sea_orm(unique)]
    pub email: String,
    pub name: String,
    /// `admin` | `clerk` | `mediator`.
    pub role: String,
    pub court_id: Option<Uuid>,
    pub language: String,
    pub password_hash: String,
    /// Defaults to `true` in the database.
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::courts::Entity",
        from = "Column::CourtId",
        to = "super::courts::Column::Id",
        on_delete = "SetNull"
    )]
    Court,
    #[sea_orm(has_one = "super::mediators::Entity")]
    Mediator,
    #[sea_orm(has_many = "super::api_tokens::Entity")]
    ApiTokens,
    #[sea_orm(has_many = "super::idempotency_keys::Entity")]
    IdempotencyKeys,
}

impl Related<super::courts::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Court.def()
    }
}

impl Related<super::mediators::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Mediator.def()
    }
}

impl Related<super::api_tokens::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ApiTokens.def()
    }
}

impl Related<super::idempotency_keys::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::IdempotencyKeys.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
