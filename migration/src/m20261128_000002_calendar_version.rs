//! Adds `mediators.calendar_version`: a counter raised in the same transaction
//! as every change to what decides a mediator's free time (weekly hours, time
//! off, sessions, busy blocks, courts and their closed days, time zone).
//!
//! Instances cache a mediator's calendar and check this one number before
//! using the cache, so a change made by any instance is seen at once.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Mediators::Table)
                    .add_column(
                        ColumnDef::new(Mediators::CalendarVersion)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Mediators::Table)
                    .drop_column(Mediators::CalendarVersion)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Mediators {
    Table,
    CalendarVersion,
}
