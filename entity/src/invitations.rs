//! `invitations` table: calendar invitations (iTIP REQUEST) sent to a party or the mediator.
//!
//! Mirrors the schema created by the `migration` crate; keep the two in step.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "invitations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub session_id: Uuid,
    pub party_id: Option<Uuid>,
    pub mediator_id: Option<Uuid>,
    pub email: String,
    /// iCalendar UID.
    #[sea_orm(unique)]
    pub uid: String,
    pub sequence: i32,
    /// iCalendar PARTSTAT; defaults to `NEEDS-ACTION` in the database.
    pub partstat: String,
    #[sea_orm(column_type = "Text")]
    pub response_note: Option<String>,
    pub responded_at: Option<DateTimeUtc>,
    pub last_sent_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::sessions::Entity",
        from = "Column::SessionId",
        to = "super::sessions::Column::Id",
        on_delete = "Cascade"
    )]
    Session,
    #[sea_orm(
        belongs_to = "super::parties::Entity",
        from = "Column::PartyId",
        to = "super::parties::Column::Id",
        on_delete = "Cascade"
    )]
    Party,
    #[sea_orm(
        belongs_to = "super::mediators::Entity",
        from = "Column::MediatorId",
        to = "super::mediators::Column::Id",
        on_delete = "Restrict"
    )]
    Mediator,
    #[sea_orm(has_many = "super::reminders_sent::Entity")]
    RemindersSent,
}

impl Related<super::sessions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Session.def()
    }
}

impl Related<super::parties::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Party.def()
    }
}

impl Related<super::mediators::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Mediator.def()
    }
}

impl Related<super::reminders_sent::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::RemindersSent.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
