//! `rooms` table: court rooms where sessions can be held.
//!
//! Mirrors the schema created by the `migration` crate; keep the two in step.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "rooms")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique_key = "court_id_name")]
    pub court_id: Uuid,
    #[sea_orm(unique_key = "court_id_name")]
    pub name: String,
    pub capacity: i32,
    /// Wheelchair / step-free access.
    pub step_free: bool,
    pub created_at: DateTimeUtc,
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
    #[sea_orm(has_many = "super::sessions::Entity")]
    Sessions,
}

impl Related<super::courts::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Court.def()
    }
}

impl Related<super::sessions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Sessions.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
