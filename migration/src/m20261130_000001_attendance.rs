//! Attendance: whether a session was held and which parties were present.
//!
//! `session_parties.attended` stays NULL until the mediator records the
//! session's attendance; then it is true or false for every invited party.
//! `sessions.attendance_recorded_at` / `_by` say when and by whom. SQLite
//! adds one column per statement, so each column is its own ALTER.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(SessionParties::Table)
                    .add_column(ColumnDef::new(SessionParties::Attended).boolean().null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .add_column(
                        ColumnDef::new(Sessions::AttendanceRecordedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .add_column(ColumnDef::new(Sessions::AttendanceRecordedBy).uuid().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, column) in [
            (
                Sessions::Table.into_iden(),
                Sessions::AttendanceRecordedBy.into_iden(),
            ),
            (
                Sessions::Table.into_iden(),
                Sessions::AttendanceRecordedAt.into_iden(),
            ),
            (
                SessionParties::Table.into_iden(),
                SessionParties::Attended.into_iden(),
            ),
        ] {
            manager
                .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    AttendanceRecordedAt,
    AttendanceRecordedBy,
}

#[derive(DeriveIden)]
enum SessionParties {
    Table,
    Attended,
}
