//! `mediator_caseloads` table: per mediator, the active cases the `capacity`
//! rule of matching counts, recomputed by database triggers whenever one of
//! their assignments, or the status of one of their cases, changes.
//!
//! Mirrors the schema created by the `migration` crate; keep the two in step.
//! Never written by the application: the triggers own it.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "mediator_caseloads")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub mediator_id: Uuid,
    /// Holding assignments (`proposed`, `accepted`) whose case is still with
    /// its mediator.
    pub active_cases: i32,
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

impl ActiveModelBehavior for ActiveModel {}
