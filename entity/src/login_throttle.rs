//! `login_throttle` table: counters of login attempts per account, per client
//! address and per both, and the addresses an account last logged in from.
//!
//! Mirrors the schema created by the `migration` crate; keep the two in step.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "login_throttle")]
pub struct Model {
    /// `account:`, `address:`, `pair:` or `known:` and a SHA-256 in hex.
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    /// When the counter's window began (for `known:` rows, the last
    /// successful login), in Unix seconds.
    pub window_start: i64,
    pub attempts: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
