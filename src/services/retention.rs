//! Message bodies kept only for a while: a sent email holds the recipient's
//! personal link, so after `raw_message_retention_days` its body is dropped
//! from the outbox (the headers, the delivery status and the SHA-256 of the
//! whole message stay for the record) and `.eml` files of that age are
//! deleted from the spool folder.
//!
//! Rule: only messages that were sent are purged; a pending or failed one
//! still has to be delivered (or retried by an admin) and keeps its body.

use std::path::Path;
use std::time::SystemTime;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::config::Settings;
use crate::db::begin_write;
use crate::domain::outbox::DeliveryStatus;
use crate::error::{AppError, AppResult};

/// Messages purged in one transaction.
const BATCH: u64 = 200;
/// Spool entries looked at in one run, so a huge folder cannot stall it.
const MAX_SPOOL_ENTRIES: usize = 100_000;

/// What one purge did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    /// Outbox messages whose body was dropped.
    pub bodies: u64,
    /// `.eml` files deleted from the spool folder.
    pub spool_files: u64,
}

/// The header block of an RFC 5322 message: everything before the first
/// empty line.
fn headers_of(raw: &str) -> &str {
    raw.find("\r\n\r\n")
        .map(|i| &raw[..i + 2])
        .or_else(|| raw.find("\n\n").map(|i| &raw[..i + 1]))
        .unwrap_or("")
}

/// Drops the bodies of messages sent before `at` minus the retention, and
/// the spool files as old.
pub async fn purge_message_bodies(
    db: &DatabaseConnection,
    settings: &Settings,
    at: DateTime<Utc>,
) -> AppResult<Purged> {
    let before = at - chrono::Duration::days(settings.raw_message_retention_days);
    let mut purged = Purged::default();
    use entity::outbox_messages::{Column, Entity};
    loop {
        let rows: Vec<(Uuid, String)> = Entity::find()
            .select_only()
            .column(Column::Id)
            .column(Column::RawMessage)
            .filter(Column::Status.eq(DeliveryStatus::Sent.as_str()))
            .filter(Column::SentAt.lt(before))
            .filter(Column::RawPurgedAt.is_null())
            .order_by_asc(Column::Id)
            .limit(BATCH)
            .into_tuple()
            .all(db)
            .await?;
        if rows.is_empty() {
            break;
        }
        let txn = begin_write(db).await?;
        for (id, raw) in &rows {
            Entity::update_many()
                .col_expr(Column::RawMessage, Expr::value(headers_of(raw)))
                .col_expr(
                    Column::RawSha256,
                    Expr::value(hex::encode(Sha256::digest(raw.as_bytes()))),
                )
                .col_expr(Column::RawPurgedAt, Expr::value(at))
                .filter(Column::Id.eq(*id))
                .filter(Column::RawPurgedAt.is_null())
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        purged.bodies += rows.len() as u64;
        if (rows.len() as u64) < BATCH {
            break;
        }
    }
    let dir = settings.mail_spool_dir.clone();
    let cutoff = SystemTime::from(before);
    purged.spool_files = tokio::task::spawn_blocking(move || purge_spool(&dir, cutoff))
        .await
        .map_err(|e| AppError::internal("purging the spool folder", e))??;
    Ok(purged)
}

/// Deletes the `.eml` files last written before `cutoff`. A folder that does
/// not exist has nothing to purge.
fn purge_spool(dir: &Path, cutoff: SystemTime) -> AppResult<u64> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(AppError::internal("reading the spool folder", e)),
    };
    let mut deleted = 0;
    for entry in entries.take(MAX_SPOOL_ENTRIES).flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "eml") {
            continue;
        }
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|modified| modified < cutoff);
        if old && std::fs::remove_file(&path).is_ok() {
            deleted += 1;
        }
    }
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_headers_of_a_message_end_at_its_first_empty_line() {
        let raw = "Subject: Hi\r\nTo: a@b.kz\r\n\r\nBody with /p/p_secret\r\n";
        assert_eq!(headers_of(raw), "Subject: Hi\r\nTo: a@b.kz\r\n");
        assert_eq!(headers_of("Subject: Hi\n\nbody"), "Subject: Hi\n");
        assert_eq!(headers_of("no separator"), "");
    }
}
