//! `counter_proposals` table: a party's proposal of another time for a
//! session (iTIP COUNTER) and the mediator's one-click decision.
//!
//! Mirrors the schema created by the `migration` crate; keep the two in step.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "counter_proposals")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub invitation_id: Uuid,
    pub session_id: Uuid,
    /// The session's SEQUENCE the proposal answered.
    pub sequence: i32,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    /// SHA-256 (hex) of the decision link's token.
    #[sea_orm(unique)]
    pub token_hash: String,
    pub expires_at: DateTimeUtc,
    /// `moved` or `declined`, once decided.
    pub decision: Option<String>,
    pub decided_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
