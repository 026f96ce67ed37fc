//! Indexes for reports. A report selects the cases referred in a period
//! (`cases.created_at`), of one court or of every court, and follows each to
//! its accepted assignment, its outcome versions and its sessions' invited
//! parties.
//!
//! Each index holds every column the report reads from its table, so the
//! report never visits the tables themselves: over 20,000 cases that is
//! the difference between about 150 and 400 ms of SQLite's time
//! (`benches/reports.rs`). The narrower indexes on `assignments(case_id)`
//! and `sessions(case_id)` stay: other queries use them.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (_, index) in indexes() {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, index) in indexes().into_iter().rev() {
            let name = index.get_index_spec().get_name().unwrap_or_default();
            manager
                .drop_index(Index::drop().name(name).table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// Each index with the table it is on.
fn indexes() -> Vec<(DynIden, IndexCreateStatement)> {
    vec![
        (
            Cases::Table.into_iden(),
            Index::create()
                .name("idx_cases_court_id_created_at")
                .table(Cases::Table)
                .col(Cases::CourtId)
                .col(Cases::CreatedAt)
                .col(Cases::Category)
                .col(Cases::Status)
                .col(Cases::Id)
                .to_owned(),
        ),
        (
            Cases::Table.into_iden(),
            Index::create()
                .name("idx_cases_created_at")
                .table(Cases::Table)
                .col(Cases::CreatedAt)
                .col(Cases::CourtId)
                .col(Cases::Category)
                .col(Cases::Status)
                .col(Cases::Id)
                .to_owned(),
        ),
        (
            Assignments::Table.into_iden(),
            Index::create()
                .name("idx_assignments_case_id_status")
                .table(Assignments::Table)
                .col(Assignments::CaseId)
                .col(Assignments::Status)
                .col(Assignments::MediatorId)
                .to_owned(),
        ),
        (
            Outcomes::Table.into_iden(),
            Index::create()
                .name("idx_outcomes_case_id_version_result")
                .table(Outcomes::Table)
                .col(Outcomes::CaseId)
                .col(Outcomes::Version)
                .col(Outcomes::Result)
                .col(Outcomes::CreatedAt)
                .to_owned(),
        ),
        (
            Sessions::Table.into_iden(),
            Index::create()
                .name("idx_sessions_case_id_attendance_recorded_at")
                .table(Sessions::Table)
                .col(Sessions::CaseId)
                .col(Sessions::AttendanceRecordedAt)
                .col(Sessions::Id)
                .to_owned(),
        ),
        (
            SessionParties::Table.into_iden(),
            Index::create()
                .name("idx_session_parties_session_id_attended")
                .table(SessionParties::Table)
                .col(SessionParties::SessionId)
                .col(SessionParties::Attended)
                .to_owned(),
        ),
    ]
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    Id,
    CourtId,
    Category,
    Status,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Assignments {
    Table,
    CaseId,
    Status,
    MediatorId,
}

#[derive(DeriveIden)]
enum Outcomes {
    Table,
    CaseId,
    Version,
    Result,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    CaseId,
    AttendanceRecordedAt,
}

#[derive(DeriveIden)]
enum SessionParties {
    Table,
    SessionId,
    Attended,
}
