//! Sessions and parties' links.
//!
//! `service_secrets` holds keys the service generates for itself on first
//! use, such as the key that derives parties' personal link tokens (so that
//! every email can carry the link while the database keeps only its hash).
//!
//! On PostgreSQL, the database itself refuses overlapping sessions: an
//! exclusion constraint per mediator and per room over the session's time
//! range, ignoring cancelled sessions (needs the `btree_gist` extension,
//! which ships with PostgreSQL).
//!
//! SQLite has no such constraint; there the booking transaction takes the
//! database's single write lock before it checks, which serialises bookings.
//! On both, the service checks first and reports which rule failed; the
//! constraint is the guarantee under concurrency.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ServiceSecrets::Table)
                    .col(
                        ColumnDef::new(ServiceSecrets::Name)
                            .string()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(ServiceSecrets::Value).string().not_null())
                    .col(
                        ColumnDef::new(ServiceSecrets::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared("CREATE EXTENSION IF NOT EXISTS btree_gist")
            .await?;
        db.execute_unprepared(
            "ALTER TABLE sessions ADD CONSTRAINT ex_sessions_mediator_overlap \
             EXCLUDE USING gist (mediator_id WITH =, tstzrange(starts_at, ends_at) WITH &&) \
             WHERE (status <> 'cancelled')",
        )
        .await?;
        db.execute_unprepared(
            "ALTER TABLE sessions ADD CONSTRAINT ex_sessions_room_overlap \
             EXCLUDE USING gist (room_id WITH =, tstzrange(starts_at, ends_at) WITH &&) \
             WHERE (status <> 'cancelled' AND room_id IS NOT NULL)",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ServiceSecrets::Table).to_owned())
            .await?;
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared(
            "ALTER TABLE sessions DROP CONSTRAINT IF EXISTS ex_sessions_room_overlap",
        )
        .await?;
        db.execute_unprepared(
            "ALTER TABLE sessions DROP CONSTRAINT IF EXISTS ex_sessions_mediator_overlap",
        )
        .await?;
        Ok(())
    }
}

#[derive(DeriveIden)]
enum ServiceSecrets {
    Table,
    Name,
    Value,
    CreatedAt,
}
