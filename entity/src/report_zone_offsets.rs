//! `report_zone_offsets` table: Asia/Almaty's UTC offset from each instant
//! on, as the report facts' triggers read it to count calendar days.
//!
//! Mirrors the schema created by the `migration` crate; keep the two in step.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "report_zone_offsets")]
pub struct Model {
    /// Epoch second from which the offset holds (the first row: `i64::MIN`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub starts_at: i64,
    pub offset_seconds: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
