//! `busy_blocks` table: busy times imported from a mediator's external calendar.
//!
//! Mirrors the schema created by the `migration` crate; keep the two in step.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "busy_blocks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub mediator_id: Uuid,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    /// `url` | `upload`.
    pub source: String,
    pub summary: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::mediators::Entity",
        from = "Column::MediatorId",
        to = "super::mediators::Column::Id",
        on_delete = "Cascade"
    )]
    Mediator,
}

impl Related<super::mediators::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Mediator.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
