//! `inbox_messages` table: every message read from the reply mailbox, what
//! became of it, and why it was kept aside when it was.
//!
//! Mirrors the schema created by the `migration` crate; keep the two in step.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "inbox_messages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Message-ID, or `imap:<uidvalidity>:<uid>` when there is none.
    #[sea_orm(unique)]
    pub message_key: String,
    pub from_address: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub subject: String,
    /// `reply`, `counter`, `calendar` (another method) or `text`.
    pub kind: String,
    /// `applied`, `stale`, `countered`, `forwarded` or `set_aside`.
    pub status: String,
    pub reason: Option<String>,
    pub invitation_id: Option<Uuid>,
    pub session_id: Option<Uuid>,
    pub case_id: Option<Uuid>,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub received_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
