//! Database migrations for Kelisim.
//!
//! `Migrator` lists every migration in the order it must be applied. The same
//! migrations run unchanged on SQLite and PostgreSQL, so they are written with
//! the portable sea-query builder API rather than raw SQL.
//!
//! A migration that has landed is never edited: a schema change always goes into
//! a new `mYYYYMMDD_NNNNNN_<name>.rs` file appended to the list below.

pub use sea_orm_migration::prelude::*;

mod m20261128_000001_initial;
mod m20261128_000002_calendar_version;
mod m20261128_000003_sessions_and_links;
mod m20261130_000001_attendance;
mod m20261130_000100_outcome_documents;
mod m20261130_000201_party_links;
mod m20261130_000202_feed_secret_hash;
mod m20261130_000301_login_throttle;
mod m20261130_000401_report_indexes;
mod m20261201_000100_case_facts;
mod m20261201_000200_inbox;
mod m20261201_000600_matching_indexes;
mod m20261202_200001_case_list_indexes;
mod m20261202_300001_matching_facts;

/// Runs the Kelisim migrations (`Migrator::up(&db, None)`).
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261128_000001_initial::Migration),
            Box::new(m20261128_000002_calendar_version::Migration),
            Box::new(m20261128_000003_sessions_and_links::Migration),
            Box::new(m20261130_000001_attendance::Migration),
            Box::new(m20261130_000100_outcome_documents::Migration),
            Box::new(m20261130_000201_party_links::Migration),
            Box::new(m20261130_000202_feed_secret_hash::Migration),
            Box::new(m20261130_000301_login_throttle::Migration),
            Box::new(m20261130_000401_report_indexes::Migration),
            Box::new(m20261201_000100_case_facts::Migration),
            Box::new(m20261201_000200_inbox::Migration),
            Box::new(m20261201_000600_matching_indexes::Migration),
            Box::new(m20261202_200001_case_list_indexes::Migration),
            Box::new(m20261202_300001_matching_facts::Migration),
        ]
    }
}
