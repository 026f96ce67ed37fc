//! `mediator_specialties` table: specialties of a mediator (one row per specialty).
//!
//! Mirrors the schema created by the `migration` crate; keep the two in step.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "mediator_specialties")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub mediator_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub specialty: String,
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
