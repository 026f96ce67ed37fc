//! `cases` table: court cases referred to mediation.
//!
//! Mirrors the schema created by the `migration` crate; keep the two in step.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "cases")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique_key = "court_id_court_case_number")]
    pub court_id: Uuid,
    #[sea_orm(unique_key = "court_id_court_case_number")]
    pub court_case_number: String,
    pub category: String,
    #[sea_orm(column_type = "Text")]
    pub summary: String,
    pub language: String,
    pub mediation_deadline: Date,
    pub minors_involved: bool,
    pub violence_reported: bool,
    pub interpreter_needed: bool,
    /// Defaults to `false` in the database.
    pub joint_session_override: bool,
    pub status: String,
    /// User who referred the case.
    pub referred_by: Uuid,
    pub deadline_warned_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// When the case reached a final status (registered, withdrawn,
    /// expired); parties' links expire a set time after it.
    pub closed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::courts::Entity",
        from = "Column::CourtId",
        to = "super::courts::Column::Id",
        on_delete = "Restrict"
    )]
    Court,
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::ReferredBy",
        to = "super::users::Column::Id",
        on_delete = "Restrict"
    )]
    ReferredBy,
    #[sea_orm(has_many = "super::parties::Entity")]
    Parties,
    #[sea_orm(has_many = "super::assignments::Entity")]
    Assignments,
    #[sea_orm(has_many = "super::sessions::Entity")]
    Sessions,
    #[sea_orm(has_many = "super::outcomes::Entity")]
    Outcomes,
    #[sea_orm(has_many = "super::outbox_messages::Entity")]
    OutboxMessages,
    #[sea_orm(has_many = "super::audit_log::Entity")]
    AuditLog,
}

impl Related<super::courts::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Court.def()
    }
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ReferredBy.def()
    }
}

impl Related<super::parties::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Parties.def()
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

impl Related<super::outcomes::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Outcomes.def()
    }
}

impl Related<super::outbox_messages::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::OutboxMessages.def()
    }
}

impl Related<super::audit_log::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::AuditLog.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
