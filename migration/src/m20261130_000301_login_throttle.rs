//! `login_throttle`: counters of login attempts, shared by every instance
//! on one database.
//!
//! One row per counter: `key` names what is counted (an account, a client
//! address, or the pair of both, always hashed), `window_start` is when its
//! window began (Unix seconds) and `attempts` how many attempts it has seen
//! since. A row with key `known:…` records the last successful login of an
//! account from an address instead. Rows are purged once their window is
//! over.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, integer, string_len};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LoginThrottle::Table)
                    .col(string_len(LoginThrottle::Key, 80).primary_key())
                    .col(big_integer(LoginThrottle::WindowStart))
                    .col(integer(LoginThrottle::Attempts))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_login_throttle_window_start")
                    .table(LoginThrottle::Table)
                    .col(LoginThrottle::WindowStart)
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(LoginThrottle::Table).take())
            .await
    }
}

#[derive(DeriveIden)]
enum LoginThrottle {
    Table,
    Key,
    WindowStart,
    Attempts,
}
