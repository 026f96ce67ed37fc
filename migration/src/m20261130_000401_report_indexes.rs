//! Indexes for reports: a report selects the cases referred in a period
//! (`cases.created_at`), of one court or of every court.
//!
//! Without them, a report over one court's year reads every case of every
//! year; with them, it reads the period's cases only.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const COURT_CREATED: &str = "idx_cases_court_id_created_at";
const CREATED: &str = "idx_cases_created_at";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(COURT_CREATED)
                    .table(Cases::Table)
                    .col(Cases::CourtId)
                    .col(Cases::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(CREATED)
                    .table(Cases::Table)
                    .col(Cases::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in [CREATED, COURT_CREATED] {
            manager
                .drop_index(Index::drop().name(name).table(Cases::Table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    CourtId,
    CreatedAt,
}
