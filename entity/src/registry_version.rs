//! `registry_version` table: one row (`id` 1) whose version database
//! triggers raise with every change of what matching reads about mediators
//! apart from their calendars and caseloads (registry fields, specialties,
//! languages, courts, declared conflicts).
//!
//! Mirrors the schema created by the `migration` crate; keep the two in step.
//! Never written by the application: the triggers own it.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "registry_version")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i32,
    pub version: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
