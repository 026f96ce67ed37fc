//! `audit_log` table: append-only audit trail.
//!
//! Mirrors the schema created by the `migration` crate; keep the two in step.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub at: DateTimeUtc,
    pub actor_user_id: Option<Uuid>,
    /// `user` | `party` | `system`.
    pub actor_kind: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<Uuid>,
    pub case_id: Option<Uuid>,
    pub court_id: Option<Uuid>,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    #[sea_orm(column_type = "JsonBinary")]
    pub details: Option<Json>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::ActorUserId",
        to = "super::users::Column::Id",
        on_delete = "SetNull"
    )]
    ActorUser,
    #[sea_orm(
        belongs_to = "super::cases::Entity",
        from = "Column::CaseId",
        to = "super::cases::Column::Id",
        on_delete = "SetNull"
    )]
    Case,
    #[sea_orm(
        belongs_to = "super::courts::Entity",
        from = "Column::CourtId",
        to = "super::courts::Column::Id",
        on_delete = "SetNull"
    )]
    Court,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ActorUser.def()
    }
}

impl Related<super::cases::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Case.def()
    }
}

impl Related<super::courts::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Court.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
