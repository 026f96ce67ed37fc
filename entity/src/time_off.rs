//! `time_off` table: time off (vacation, sick leave) of a mediator.
//!
//! Mirrors the schema created by the `migration` crate; keep the two in step.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "time_off")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub mediator_id: Uuid,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    pub note: Option<String>,
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
