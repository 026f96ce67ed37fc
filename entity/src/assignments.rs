//! `assignments` table: mediator assignment proposals for a case.
//!
//! Mirrors the schema created by the `migration` crate; keep the two in step.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "assignments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub case_id: Uuid,
    pub mediator_id: Uuid,
    /// `proposed` | `accepted` | `declined` | `withdrawn`.
    pub status: String,
    pub chosen_by_parties: bool,
    pub proposed_by: Uuid,
    pub proposed_at: DateTimeUtc,
    pub answered_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text")]
    pub decline_reason: Option<String>,
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
        belongs_to = "super::users::Entity",
        from = "Column::ProposedBy",
        to = "super::users::Column::Id",
        on_delete = "Restrict"
    )]
    ProposedBy,
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

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ProposedBy.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
