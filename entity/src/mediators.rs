//! `mediators` table: mediators in the registry.
//!
//! Mirrors the schema created by the `migration` crate; keep the two in step.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "mediators")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Login account, if any.
    #[sea_orm(unique)]
    pub user_id: Option<Uuid>,
    pub name: String,
    pub email: String,
    #[sea_orm(unique)]
    pub registry_number: String,
    /// `professional` | `public`.
    pub kind: String,
    pub certified_until: Date,
    pub max_active_cases: i32,
    pub timezone: String,
    /// `active` | `suspended` | `retired`.
    pub status: String,
    /// Secret for the mediator's iCalendar feed URL.
    #[sea_orm(unique)]
    /// Hex SHA-256 of the private calendar feed secret.
    pub feed_secret_hash: String,
    pub external_calendar_url: Option<String>,
    pub external_calendar_error: Option<String>,
    pub external_calendar_fetched_at: Option<DateTimeUtc>,
    pub certification_warned_at: Option<DateTimeUtc>,
    /// Raised with every change to what decides the mediator's free time;
    /// caches of the calendar compare it before use. Defaults to 0.
    pub calendar_version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id",
        on_delete = "SetNull"
    )]
    User,
    #[sea_orm(has_many = "super::mediator_specialties::Entity")]
    MediatorSpecialties,
    #[sea_orm(has_many = "super::mediator_languages::Entity")]
    MediatorLanguages,
    #[sea_orm(has_many = "super::mediator_courts::Entity")]
    MediatorCourts,
    #[sea_orm(has_many = "super::availability_intervals::Entity")]
    AvailabilityIntervals,
    #[sea_orm(has_many = "super::time_off::Entity")]
    TimeOff,
    #[sea_orm(has_many = "super::conflicts::Entity")]
    Conflicts,
    #[sea_orm(has_many = "super::busy_blocks::Entity")]
    BusyBlocks,
    #[sea_orm(has_many = "super::assignments::Entity")]
    Assignments,
    #[sea_orm(has_many = "super::sessions::Entity")]
    Sessions,
    #[sea_orm(has_many = "super::invitations::Entity")]
    Invitations,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl Related<super::mediator_specialties::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::MediatorSpecialties.def()
    }
}

impl Related<super::mediator_languages::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::MediatorLanguages.def()
    }
}

impl Related<super::mediator_courts::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::MediatorCourts.def()
    }
}

impl Related<super::availability_intervals::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::AvailabilityIntervals.def()
    }
}

impl Related<super::time_off::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::TimeOff.def()
    }
}

impl Related<super::conflicts::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Conflicts.def()
    }
}

impl Related<super::busy_blocks::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::BusyBlocks.def()
    }
}

impl Related<super::assignments::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Assignments.def()
    }
}

impl Related<super::sessions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Sessions.def()
    }
}

impl Related<super::invitations::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Invitations.def()
    }
}

impl Related<super::courts::Entity> for Entity {
    fn to() -> RelationDef {
        super::mediator_courts::Relation::Court.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::mediator_courts::Relation::Mediator.def().rev())
    }
}

impl ActiveModelBehavior for ActiveModel {}
