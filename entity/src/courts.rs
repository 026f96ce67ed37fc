//! `courts` table: courts (the referring court and its calendar settings).
//!
//! Mirrors the schema created by the `migration` crate; keep the two in step.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "courts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Short unique court code.
    #[sea_orm(unique)]
    pub code: String,
    pub name: String,
    /// IANA time zone name, e.g. `Asia/Almaty`.
    pub timezone: String,
    pub default_language: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::rooms::Entity")]
    Rooms,
    #[sea_orm(has_many = "super::court_closed_days::Entity")]
    CourtClosedDays,
    #[sea_orm(has_many = "super::users::Entity")]
    Users,
    #[sea_orm(has_many = "super::cases::Entity")]
    Cases,
    #[sea_orm(has_many = "super::mediator_courts::Entity")]
    MediatorCourts,
}

impl Related<super::rooms::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Rooms.def()
    }
}

impl Related<super::court_closed_days::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CourtClosedDays.def()
    }
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Users.def()
    }
}

impl Related<super::cases::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Cases.def()
    }
}

impl Related<super::mediator_courts::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::MediatorCourts.def()
    }
}

impl Related<super::mediators::Entity> for Entity {
    fn to() -> RelationDef {
        super::mediator_courts::Relation::Mediator.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::mediator_courts::Relation::Court.def().rev())
    }
}

impl ActiveModelBehavior for ActiveModel {}
