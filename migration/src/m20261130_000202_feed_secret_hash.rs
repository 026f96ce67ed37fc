//! Calendar feed secrets are stored as their SHA-256 only.
//!
//! `mediators.feed_secret` becomes `feed_secret_hash`, and every stored
//! secret is replaced by its hash here (hex, as the service computes it),
//! so the feed addresses mediators already subscribed to keep working. The
//! hashing is done in Rust because SQLite has no SHA-256 function.
//!
//! Going down cannot recover a secret: the hashes stay as the secrets, and
//! each mediator rotates their feed to get a usable address again.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};
use sha2::{Digest, Sha256};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        let rows = db
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT feed_secret FROM mediators",
            ))
            .await?;
        for row in rows {
            // Secrets are unique, so each one names its row.
            let secret: String = row.try_get("", "feed_secret")?;
            let hash = hex::encode(Sha256::digest(secret.as_bytes()));
            let update = Query::update()
                .table(Mediators::Table)
                .value(Mediators::FeedSecret, hash)
                .and_where(Expr::col(Mediators::FeedSecret).eq(secret))
                .to_owned();
            manager.exec_stmt(update).await?;
        }
        rename(
            manager,
            "uq_mediators_feed_secret",
            Mediators::FeedSecret,
            Mediators::FeedSecretHash,
            "uq_mediators_feed_secret_hash",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        rename(
            manager,
            "uq_mediators_feed_secret_hash",
            Mediators::FeedSecretHash,
            Mediators::FeedSecret,
            "uq_mediators_feed_secret",
        )
        .await
    }
}

/// Renames the unique column `from` to `to`, with its index.
async fn rename(
    manager: &SchemaManager<'_>,
    old_index: &str,
    from: Mediators,
    to: Mediators,
    new_index: &str,
) -> Result<(), DbErr> {
    manager
        .drop_index(
            Index::drop()
                .name(old_index)
                .table(Mediators::Table)
                .to_owned(),
        )
        .await?;
    manager
        .alter_table(
            Table::alter()
                .table(Mediators::Table)
                .rename_column(from, to.clone())
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name(new_index)
                .table(Mediators::Table)
                .col(to)
                .unique()
                .to_owned(),
        )
        .await
}

#[derive(DeriveIden, Clone)]
enum Mediators {
    Table,
    FeedSecret,
    FeedSecretHash,
}
