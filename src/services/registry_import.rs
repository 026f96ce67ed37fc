//! Bulk import of the mediator registry from CSV.
//!
//! Rule: all or nothing. When any row is bad nothing is written, unless the
//! admin asked to skip bad rows. The registry number is the key, so importing
//! the same file twice changes nothing the second time.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde::Serialize;
use utoipa::ToSchema;

use super::audit::{self, Actor, Entry};
use super::mediators::{MediatorInput, as_input, insert, load_lists, overwrite};
use crate::db::begin_write;
use crate::domain::registry_csv::{self, RowError};
use crate::error::AppResult;

/// One refused row.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportError {
    pub line: u64,
    pub column: String,
    pub message: String,
}

impl From<RowError> for ImportError {
    fn from(e: RowError) -> Self {
        Self {
            line: e.line,
            column: e.column,
            message: e.message,
        }
    }
}

/// What an import did (or, when `applied` is false, would not do).
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct ImportReport {
    /// False when bad rows stopped the import: nothing was written.
    pub applied: bool,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Bad rows left out because skipping was asked for.
    pub skipped: usize,
    pub errors: Vec<ImportError>,
}

/// Imports `text`; `progress(done, total)` is called after each row.
pub async fn import(
    db: &DatabaseConnection,
    actor: Actor,
    text: &str,
    skip_bad_rows: bool,
    progress: &(dyn Fn(u64, u64) + Send + Sync),
) -> AppResult<ImportReport> {
    run(db, actor, text, skip_bad_rows, progress, Write::Commit).await
}

/// What an import of `text` would do, written nowhere: every bad row, and
/// how many of the good ones would be created, updated or left unchanged
/// (`applied` is false). The same work as [`import`], rolled back.
pub async fn preview(db: &DatabaseConnection, actor: Actor, text: &str) -> AppResult<ImportReport> {
    run(db, actor, text, true, &|_, _| {}, Write::RollBack).await
}

#[derive(PartialEq, Eq)]
enum Write {
    Commit,
    RollBack,
}

async fn run(
    db: &DatabaseConnection,
    actor: Actor,
    text: &str,
    skip_bad_rows: bool,
    progress: &(dyn Fn(u64, u64) + Send + Sync),
    write: Write,
) -> AppResult<ImportReport> {
    let (rows, mut errors) = registry_csv::parse(text);
    let courts: HashMap<String, uuid::Uuid> = entity::courts::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.code, c.id))
        .collect();
    let mut inputs = Vec::with_capacity(rows.len());
    for row in rows {
        let unknown: Vec<&str> = row
            .court_codes
            .iter()
            .filter(|c| !courts.contains_key(c.as_str()))
            .map(String::as_str)
            .collect();
        if !unknown.is_empty() {
            errors.push(RowError {
                line: row.line,
                column: "court_codes".into(),
                message: format!("no court has the code {}", unknown.join(", ")),
            });
            continue;
        }
        let court_ids = row
            .court_codes
            .iter()
            .filter_map(|c| courts.get(c).copied())
            .collect();
        inputs.push(MediatorInput {
            name: row.name,
            email: row.email,
            user_id: None,
            registry_number: row.registry_number,
            kind: row.kind,
            certified_until: row.certified_until,
            specialties: row.specialties,
            languages: row.languages,
            court_ids,
            max_active_cases: row.max_active_cases,
            timezone: row.timezone,
            status: row.status,
        });
    }
    errors.sort_by_key(|e| e.line);
    let mut report = ImportReport {
        errors: errors.into_iter().map(Into::into).collect(),
        ..ImportReport::default()
    };
    // A problem with the file itself (its header) cannot be skipped.
    let file_error = report.errors.iter().any(|e| e.line <= 1);
    if file_error || (!report.errors.is_empty() && !skip_bad_rows) {
        return Ok(report);
    }
    report.skipped = {
        let mut lines: Vec<u64> = report.errors.iter().map(|e| e.line).collect();
        lines.dedup();
        lines.len()
    };

    let total = inputs.len() as u64;
    let txn = begin_write(db).await?;
    for (done, mut input) in inputs.into_iter().enumerate() {
        let existing = entity::mediators::Entity::find()
            .filter(entity::mediators::Column::RegistryNumber.eq(input.registry_number.as_str()))
            .one(&txn)
            .await?;
        match existing {
            None => {
                // The feed address is not shown here: the mediator rotates
                // it to get one.
                let (m, _) = insert(&txn, &input).await?;
                audit::record(
                    &txn,
                    Entry::new(actor, "mediator.imported", "mediator", m.id)
                        .details(serde_json::json!({"registry_number": m.registry_number})),
                )
                .await?;
                report.created += 1;
            }
            Some(current) => {
                // The file carries no user accounts: keep the linked one.
                input.user_id = current.user_id;
                let stored = load_lists(&txn, current.clone()).await?;
                if as_input(&stored).as_ref() == Some(&input) {
                    report.unchanged += 1;
                } else {
                    let id = current.id;
                    overwrite(&txn, current, &input).await?;
                    audit::record(
                        &txn,
                        Entry::new(actor, "mediator.reimported", "mediator", id),
                    )
                    .await?;
                    report.updated += 1;
                }
            }
        }
        progress(done as u64 + 1, total);
    }
    if write == Write::RollBack {
        txn.rollback().await?;
        return Ok(report);
    }
    txn.commit().await?;
    report.applied = true;
    Ok(report)
}
