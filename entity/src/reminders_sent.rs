//! `reminders_sent` table: reminders already sent, so each is sent once per invitation, kind and session start.
//!
//! Mirrors the schema created by the `migration` crate; keep the two in step.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "reminders_sent")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique_key = "invitation_id_kind_session_starts_at")]
    pub invitation_id: Uuid,
    #[sea_orm(unique_key = "invitation_id_kind_session_starts_at")]
    pub kind: String,
    #[sea_orm(unique_key = "invitation_id_kind_session_starts_at")]
    pub session_starts_at: DateTimeUtc,
    pub sent_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::invitations::Entity",
        from = "Column::InvitationId",
        to = "super::invitations::Column::Id",
        on_delete = "Cascade"
    )]
    Invitation,
}

impl Related<super::invitations::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Invitation.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
