//! `case_facts` table: one row per case with what the summary report counts,
//! recomputed by database triggers whenever the case, its assignments, its
//! outcome versions or its sessions' attendance change.
//!
//! Mirrors the schema created by the `migration` crate; keep the two in step.
//! Never written by the application: the triggers own it.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "case_facts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub case_id: Uuid,
    pub court_id: Uuid,
    pub category: String,
    pub status: String,
    /// The case's `created_at`.
    pub referred_at: DateTimeUtc,
    /// The mediator whose assignment the case accepted.
    pub mediator_id: Option<Uuid>,
    /// The result of the latest outcome version.
    pub result: Option<String>,
    /// Calendar days in Asia/Almaty from referral to the first outcome version.
    pub days_to_outcome: Option<i32>,
    /// Invited parties of the sessions whose attendance was recorded.
    pub invited_parties: i32,
    /// Those of them absent.
    pub absent_parties: i32,
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
}

impl Related<super::cases::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Case.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
