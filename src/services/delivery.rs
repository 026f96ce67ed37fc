//! The delivery worker: claims outbox messages and hands them to the
//! transport (`mail::transport`: SMTP, or the spool folder when no SMTP
//! server is configured), then records each result.
//!
//! Rules:
//! - A message is **claimed** before it is sent: its status becomes `sending`
//!   with a lease (`lease_until`). On PostgreSQL the due rows are picked with
//!   `SELECT … FOR UPDATE SKIP LOCKED` in a short transaction that also writes
//!   the lease, so instances never wait for each other and never pick the same
//!   row; on SQLite one conditional `UPDATE … RETURNING` does both (the
//!   database has one writer at a time). Sending happens outside any
//!   transaction.
//! - Each message is marked `sent` right after its own SMTP acceptance, so a
//!   crash can repeat at most the messages in flight (at-least-once, never
//!   lost): their leases run out and another round sends them again.
//! - A send that cannot finish well before its lease ends is abandoned (and
//!   retried), so a slow instance never overlaps with the one that takes the
//!   message over after the lease. Results are written only while the claim
//!   is still ours (same status and lease), except `sent`, which always wins.
//! - Transient failures are retried with exponential backoff and jitter,
//!   `failed` after `delivery_max_attempts`; permanent SMTP failures (5xx) go
//!   straight to `failed`, where an admin can retry them.
//! - The worker polls every second and keeps going without waiting while
//!   rounds come back full, so a backlog drains at full speed.
//! - On shutdown the round in progress hands nothing more to the transport:
//!   sends in flight finish and are recorded, the rest of the claim is given
//!   back at once (see [`deliver_round_until`]).
//!
//! What is guaranteed, and the one window left: a message is never lost (it
//! stays `pending` or `sending` until a `sent` is recorded) and is sent again
//! only when its sender died, or gave up waiting, *after* handing it to the
//! SMTP server and *before* recording `sent`. A claim whose message was never
//! handed over is simply sent once, after its lease. The window is one SMTP
//! transaction's final reply plus one UPDATE (milliseconds); closing it fully
//! would need the server to deduplicate, which SMTP cannot ask for. A repeat
//! carries the same `Message-ID`, so mail clients show it once.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait,
};

use crate::config::Settings;
use crate::db::{begin_write, now};
use crate::domain::email::mask_email;
use crate::domain::outbox::DeliveryStatus;
use crate::mail::transport::{CONCURRENCY, SendError, Transport};

use entity::outbox_messages::{Column, Entity, Model};

/// Messages claimed by one round.
pub const BATCH: u64 = 64;
/// A send is abandoned this long before its lease ends.
const LEASE_MARGIN: chrono::Duration = chrono::Duration::seconds(1);
/// Longest one SMTP transaction (connecting included) may take.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// Delay before attempt `attempts + 1`: base × 2^(attempts-1), ±20 % jitter.
pub fn backoff(base_seconds: u64, attempts: u32) -> chrono::Duration {
    let exp = Ord::min(attempts.saturating_sub(1), 16);
    let secs = Ord::max(base_seconds, 1).saturating_mul(1u64 << exp) as f64;
    let jitter = rand::rng().random_range(0.8..1.2);
    chrono::Duration::milliseconds((secs * jitter * 1000.0) as i64)
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    /// Messages claimed (at most [`BATCH`]).
    pub claimed: usize,
    /// Of those, accepted by the SMTP server (or written to the spool folder).
    pub sent: usize,
}

/// Everything a sender needs, cheap to clone into tasks.
#[derive(Clone)]
struct Sender {
    db: DatabaseConnection,
    transport: Transport,
    /// The envelope sender: the address of `mail_from`.
    from: Option<String>,
    retry_base_seconds: u64,
    max_attempts: i32,
}

/// Claims and sends the messages that are due, one round of at most
/// [`BATCH`]; returns how many were sent.
pub async fn deliver_due(
    db: &DatabaseConnection,
    settings: &Settings,
    transport: &Transport,
) -> anyhow::Result<usize> {
    Ok(deliver_round(db, settings, transport).await?.sent)
}

/// Delivers every due message now, round after round, until a round sends
/// nothing (all done, or a failure that a later round retries); returns how
/// many were sent. For the command line, which has no worker running.
pub async fn drain(
    db: &DatabaseConnection,
    settings: &Settings,
    transport: &Transport,
) -> anyhow::Result<usize> {
    let mut sent = 0;
    // A bound, so that a stream of new messages cannot keep it going.
    for _ in 0..1000 {
        let n = deliver_due(db, settings, transport).await?;
        if n == 0 {
            break;
        }
        sent += n;
    }
    Ok(sent)
}

/// One round: claim up to [`BATCH`] due messages, send them
/// [`CONCURRENCY`] at a time, record each result as soon as it is known.
pub async fn deliver_round(
    db: &DatabaseConnection,
    settings: &Settings,
    transport: &Transport,
) -> anyhow::Result<Round> {
    deliver_round_until(db, settings, transport, None).await
}

/// [`deliver_round`], stopping early when `stop` turns true: the sends
/// already handed to the transport finish and are recorded, and every claimed
/// message not yet handed over is given back (`pending`, no lease, no attempt
/// counted), so that another instance sends it at once rather than after the
/// lease.
pub async fn deliver_round_until(
    db: &DatabaseConnection,
    settings: &Settings,
    transport: &Transport,
    stop: Option<tokio::sync::watch::Receiver<bool>>,
) -> anyhow::Result<Round> {
    let at = now();
    let lease = chrono::Duration::seconds(
        i64::try_from(Ord::max(settings.delivery_lease_seconds, 2)).unwrap_or(60),
    );
    let lease_until = at + lease;
    let claimed = claim(db, at, lease_until, BATCH).await?;
    if claimed.is_empty() {
        return Ok(Round::default());
    }
    let count = claimed.len();
    let sender = Sender {
        db: db.clone(),
        transport: transport.clone(),
        from: settings
            .mail_from
            .parse::<lettre::message::Mailbox>()
            .map(|m| m.email.to_string())
            .ok(),
        retry_base_seconds: settings.delivery_retry_base_seconds,
        max_attempts: i32::try_from(settings.delivery_max_attempts).unwrap_or(8),
    };
    let queue = Arc::new(Mutex::new(claimed.into_iter()));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..CONCURRENCY.min(count) {
        let queue = queue.clone();
        let sender = sender.clone();
        let stop = stop.clone();
        workers.spawn(async move {
            let mut sent = 0;
            loop {
                if stop.as_ref().is_some_and(|s| *s.borrow()) {
                    let left: Vec<Model> = queue.lock().map(|mut q| q.by_ref().collect()).unwrap_or_default();
                    if !left.is_empty()
                        && let Err(e) = sender.release_all(&left, lease_until).await
                    {
                        tracing::warn!(error = %e, "giving back claimed messages failed; they go out after their lease");
                    }
                    break;
                }
                let next = queue.lock().map(|mut q| q.next()).unwrap_or(None);
                let Some(msg) = next else { break };
                match sender.deliver(msg, lease_until).await {
                    Ok(true) => sent += 1,
                    Ok(false) => {}
                    Err(e) => {
                        // The rest keeps its lease and is sent again after it.
                        tracing::warn!(error = %e, "recording a delivery result failed");
                        break;
                    }
                }
            }
            sent
        });
    }
    let mut sent = 0;
    while let Some(joined) = workers.join_next().await {
        match joined {
            Ok(n) => sent += n,
            Err(e) => tracing::error!(error = %e, "a delivery task panicked"),
        }
    }
    Ok(Round {
        claimed: count,
        sent,
    })
}

/// A message may be claimed: pending and due, or `sending` with a lease that
/// ran out (its sender died).
fn claimable(at: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(
            Column::Status
                .eq(DeliveryStatus::Pending.as_str())
                .and(Column::NextAttemptAt.lte(at)),
        )
        .add(
            Column::Status
                .eq(DeliveryStatus::Sending.as_str())
                .and(Column::LeaseUntil.lt(at)),
        )
}

/// Claims up to `limit` due messages for this process until `lease_until`.
async fn claim(
    db: &DatabaseConnection,
    at: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<Model>, DbErr> {
    let mut rows = match db.get_database_backend() {
        DbBackend::Postgres => {
            let txn = begin_write(db).await?;
            let mut rows = Entity::find()
                .filter(claimable(at))
                .order_by_asc(Column::NextAttemptAt)
                .limit(limit)
                .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
                .all(&txn)
                .await?;
            if !rows.is_empty() {
                Entity::update_many()
                    .col_expr(
                        Column::Status,
                        Expr::value(DeliveryStatus::Sending.as_str()),
                    )
                    .col_expr(Column::LeaseUntil, Expr::value(lease_until))
                    .filter(Column::Id.is_in(rows.iter().map(|m| m.id)))
                    .exec(&txn)
                    .await?;
            }
            txn.commit().await?;
            for m in &mut rows {
                m.status = DeliveryStatus::Sending.as_str().into();
                m.lease_until = Some(lease_until);
            }
            rows
        }
        _ => {
            // One statement: SQLite runs it under its single write lock, so two
            // processes can never both match a row.
            let due = Entity::find()
                .select_only()
                .column(Column::Id)
                .filter(claimable(at))
                .order_by_asc(Column::NextAttemptAt)
                .limit(limit)
                .into_query();
            Entity::update_many()
                .col_expr(
                    Column::Status,
                    Expr::value(DeliveryStatus::Sending.as_str()),
                )
                .col_expr(Column::LeaseUntil, Expr::value(lease_until))
                .filter(Column::Id.in_subquery(due))
                .filter(claimable(at))
                .exec_with_returning(db)
                .await?
        }
    };
    rows.sort_by_key(|m| (m.next_attempt_at, m.id));
    Ok(rows)
}

impl Sender {
    /// Sends one claimed message and records the result; `Ok(true)` if sent.
    async fn deliver(&self, msg: Model, lease_until: DateTime<Utc>) -> Result<bool, DbErr> {
        let deadline = lease_until - LEASE_MARGIN;
        let Some(left) = (deadline - now()).to_std().ok().filter(|d| !d.is_zero()) else {
            // Too late to start: hand it back untouched, no attempt counted.
            self.release(&msg, lease_until).await?;
            return Ok(false);
        };
        let limit = left.min(SEND_TIMEOUT);
        let send = self.transport.send(
            self.from.as_deref(),
            msg.id,
            &msg.recipient,
            &msg.raw_message,
        );
        let result = match tokio::time::timeout(limit, send).await {
            Ok(r) => r,
            Err(_) => Err(SendError::transient(format!(
                "no answer from the SMTP server within {:.1} s",
                limit.as_secs_f64()
            ))),
        };
        match result {
            Ok(()) => {
                self.mark_sent(&msg).await?;
                Ok(true)
            }
            Err(e) => {
                self.mark_failed(&msg, lease_until, e).await?;
                Ok(false)
            }
        }
    }

    async fn mark_sent(&self, msg: &Model) -> Result<(), DbErr> {
        // Unconditional but for `sent` itself: the message did go out, whatever
        // another instance decided after our lease.
        Entity::update_many()
            .col_expr(Column::Status, Expr::value(DeliveryStatus::Sent.as_str()))
            .col_expr(Column::SentAt, Expr::value(now()))
            .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
            .col_expr(
                Column::LeaseUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(Column::Id.eq(msg.id))
            .filter(Column::Status.ne(DeliveryStatus::Sent.as_str()))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    async fn mark_failed(
        &self,
        msg: &Model,
        lease_until: DateTime<Utc>,
        error: SendError,
    ) -> Result<(), DbErr> {
        let attempts = msg.attempts + 1;
        let give_up = !error.transient || attempts >= self.max_attempts;
        let next = now()
            + backoff(
                self.retry_base_seconds,
                u32::try_from(attempts).unwrap_or(1),
            );
        tracing::warn!(
            message_id = %msg.id,
            kind = %msg.kind,
            recipient = %mask_email(&msg.recipient),
            attempts,
            give_up,
            error = %scrub(&error.text),
            "delivery failed"
        );
        let updated = Entity::update_many()
            .col_expr(
                Column::Status,
                Expr::value(
                    if give_up {
                        DeliveryStatus::Failed
                    } else {
                        DeliveryStatus::Pending
                    }
                    .as_str(),
                ),
            )
            .col_expr(Column::Attempts, Expr::value(attempts))
            .col_expr(Column::NextAttemptAt, Expr::value(next))
            .col_expr(Column::LastError, Expr::value(error.text))
            .col_expr(
                Column::LeaseUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(ours(msg.id, lease_until))
            .exec(&self.db)
            .await?;
        if updated.rows_affected == 0 {
            tracing::warn!(message_id = %msg.id, "the claim had been taken over; result not recorded");
        }
        Ok(())
    }

    /// Gives a claimed message back without an attempt.
    async fn release(&self, msg: &Model, lease_until: DateTime<Utc>) -> Result<(), DbErr> {
        Entity::update_many()
            .col_expr(
                Column::Status,
                Expr::value(DeliveryStatus::Pending.as_str()),
            )
            .col_expr(
                Column::LeaseUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(ours(msg.id, lease_until))
            .exec(&self.db)
            .await?;
        Ok(())
    }
}

impl Sender {
    /// Gives claimed messages back in one statement, without an attempt.
    async fn release_all(&self, msgs: &[Model], lease_until: DateTime<Utc>) -> Result<(), DbErr> {
        let released = Entity::update_many()
            .col_expr(
                Column::Status,
                Expr::value(DeliveryStatus::Pending.as_str()),
            )
            .col_expr(
                Column::LeaseUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(Column::Id.is_in(msgs.iter().map(|m| m.id)))
            .filter(Column::Status.eq(DeliveryStatus::Sending.as_str()))
            .filter(Column::LeaseUntil.eq(lease_until))
            .exec(&self.db)
            .await?;
        tracing::info!(
            released = released.rows_affected,
            "claimed messages given back at shutdown"
        );
        Ok(())
    }
}

/// The message is still claimed by this round (its lease is our token).
fn ours(id: uuid::Uuid, lease_until: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(Column::Id.eq(id))
        .add(Column::Status.eq(DeliveryStatus::Sending.as_str()))
        .add(Column::LeaseUntil.eq(lease_until))
}

/// Masks every word of an SMTP error that looks like an email address, so
/// the log never carries one (servers echo recipients in their replies).
fn scrub(text: &str) -> String {
    text.split(' ')
        .map(|word| {
            if word.contains('@') {
                let inner = word.trim_matches(|c: char| "<>()[]\"',;:".contains(c));
                word.replace(inner, &mask_email(inner))
            } else {
                word.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs delivery rounds every second until `stop` changes; while rounds come
/// back full it goes on without waiting.
pub async fn run(
    db: DatabaseConnection,
    settings: std::sync::Arc<Settings>,
    transport: Transport,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => break,
        }
        loop {
            match deliver_round_until(&db, &settings, &transport, Some(stop.clone())).await {
                Ok(round) if round.claimed as u64 == BATCH && !*stop.borrow() => {}
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = format!("{e:#}"), "delivery round failed");
                    break;
                }
            }
        }
    }
    transport.close().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_base_with_bounded_jitter() {
        for (attempts, base) in [(1u32, 30.0), (2, 60.0), (3, 120.0)] {
            let d = backoff(30, attempts).num_milliseconds() as f64 / 1000.0;
            assert!(
                d >= base * 0.8 && d <= base * 1.2,
                "attempt {attempts}: {d}"
            );
        }
    }

    #[test]
    fn addresses_in_smtp_errors_are_masked_for_the_log() {
        let s = scrub("permanent error (550): 5.1.1 <aigerim@court.kz>: Recipient rejected");
        assert_eq!(
            s,
            "permanent error (550): 5.1.1 <a***@court.kz>: Recipient rejected"
        );
        assert_eq!(scrub("connection refused"), "connection refused");
    }
}
