//! `sessions` table: scheduled mediation sessions.
//!
//! Mirrors the schema created by the `migration` crate; keep the two in step.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub case_id: Uuid,
    pub mediator_id: Uuid,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    pub timezone: String,
    pub room_id: Option<Uuid>,
    pub online_url: Option<String>,
    /// `joint` | `separate`.
    pub format: String,
    /// `scheduled` | `cancelled` | `held` | `not_held`.
    pub status: String,
    /// iCalendar SEQUENCE; defaults to 0 in the database.
    pub sequence: i32,
    #[sea_orm(column_type = "Text")]
    pub cancel_reason: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// When the mediator recorded whether the session was held.
    pub attendance_recorded_at: Option<DateTimeUtc>,
    pub attendance_recorded_by: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::cases::Entity",
        from = "Column::CaseId",
        to = "super::cases::Column::Id",
        on_delete = "Cascade"
    )]
    Case,
    #[sea_orm(
        belongs_to = "super::mediators::Entity",
        from = "Column::MediatorId",
        to = "super::mediators::Column::Id",
        on_delete = "Restrict"
    )]
    Mediator,
    #[sea_orm(
        belongs_to = "super::rooms::Entity",
        from = "Column::RoomId",
        to = "super::rooms::Column::Id",
        on_delete = "Restrict"
    )]
    Room,
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::CreatedBy",
        to = "super::users::Column::Id",
        on_delete = "Restrict"
    )]
    CreatedBy,
    #[sea_orm(has_many = "super::session_parties::Entity")]
    SessionParties,
    #[sea_orm(has_many = "super::invitations::Entity")]
    Invitations,
    #[sea_orm(has_many = "super::outbox_messages::Entity")]
    OutboxMessages,
}

impl Related<super::cases::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Case.def()
    }
}

impl Related<super::mediators::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Mediator.def()
    }
}

impl Related<super::rooms::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Room.def()
    }
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CreatedBy.def()
    }
}

impl Related<super::session_parties::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SessionParties.def()
    }
}

impl Related<super::invitations::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Invitations.def()
    }
}

impl Related<super::outbox_messages::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::OutboxMessages.def()
    }
}

impl Related<super::parties::Entity> for Entity {
    fn to() -> RelationDef {
        super::session_parties::Relation::Party.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::session_parties::Relation::Session.def().rev())
    }
}

impl ActiveModelBehavior for ActiveModel {}
