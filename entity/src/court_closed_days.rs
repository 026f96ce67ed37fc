//! `court_closed_days` table: days on which a court is closed (holidays, closures).
//!
//! Mirrors the schema created by the `migration` crate; keep the two in step.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "court_closed_days")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub court_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: Date,
    pub note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::courts::Entity",
        from = "Column::CourtId",
        to = "super::courts::Column::Id",
        on_delete = "Cascade"
    )]
    Court,
}

impl Related<super::courts::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Court.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
