//! The delivery worker: sends outbox messages through SMTP (lettre, pooled)
//! or writes them into the spool folder when no SMTP server is configured.
//!
//! Rule: a message is claimed before it is sent, by one conditional UPDATE
//! that only one process can win (status `pending`, or a `sending` whose
//! lease ran out), so several instances on one database never send it twice;
//! a process that dies mid-send leaves a lease that expires, and the message
//! is sent again later (at-least-once, never lost).

use std::path::PathBuf;
use std::time::Duration;

use chrono::Utc;
use lettre::address::Envelope;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use rand::Rng;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::config::Settings;
use crate::services::now;

/// How long a claimed message stays reserved for its sender.
const LEASE: chrono::Duration = chrono::Duration::seconds(120);
const BATCH: u64 = 50;

/// Where messages go.
#[derive(Clone)]
pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Spool(PathBuf),
}

impl Transport {
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        match settings.smtp() {
            Some(url) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| anyhow::anyhow!("reading smtp_url: {e}"))?
                    .timeout(Some(Duration::from_secs(20)))
                    .build();
                Ok(Self::Smtp(transport))
            }
            None => Ok(Self::Spool(settings.mail_spool_dir.clone())),
        }
    }

    async fn send(
        &self,
        from: &str,
        msg: &entity::outbox_messages::Model,
    ) -> Result<(), (bool, String)> {
        match self {
            Self::Spool(dir) => {
                let path = dir.join(format!("{}.eml", msg.id));
                let tmp = dir.join(format!(".{}.eml.tmp", msg.id));
                // Write then rename, so a reader never sees half a message.
                tokio::fs::write(&tmp, msg.raw_message.as_bytes())
                    .await
                    .and(tokio::fs::rename(&tmp, &path).await)
                    .map_err(|e| (true, format!("writing to the spool folder: {e}")))
            }
            Self::Smtp(smtp) => {
                let from = from
                    .parse()
                    .map_err(|e| (false, format!("bad from address: {e}")))?;
                let to = msg
                    .recipient
                    .parse()
                    .map_err(|e| (false, format!("bad recipient address: {e}")))?;
                let envelope =
                    Envelope::new(Some(from), vec![to]).map_err(|e| (false, e.to_string()))?;
                smtp.send_raw(&envelope, msg.raw_message.as_bytes())
                    .await
                    .map(|_| ())
                    .map_err(|e| (!e.is_permanent(), e.to_string()))
            }
        }
    }
}

/// Delay before attempt `attempts + 1`: base × 2^(attempts-1), ±20 % jitter.
pub fn backoff(base_seconds: u64, attempts: u32) -> chrono::Duration {
    let exp = Ord::min(attempts.saturating_sub(1), 16);
    let secs = Ord::max(base_seconds, 1).saturating_mul(1u64 << exp) as f64;
    let jitter = rand::rng().random_range(0.8..1.2);
    chrono::Duration::milliseconds((secs * jitter * 1000.0) as i64)
}

/// Claims and sends the messages that are due; returns how many were sent.
pub async fn deliver_due(
    db: &DatabaseConnection,
    settings: &Settings,
    transport: &Transport,
) -> anyhow::Result<usize> {
    use entity::outbox_messages::{Column, Entity};
    let at = now();
    let due = Entity::find()
        .filter(
            Condition::any()
                .add(
                    Column::Status
                        .eq("pending")
                        .and(Column::NextAttemptAt.lte(at)),
                )
                .add(Column::Status.eq("sending").and(Column::LeaseUntil.lt(at))),
        )
        .order_by_asc(Column::NextAttemptAt)
        .limit(BATCH)
        .all(db)
        .await?;
    let from = settings
        .mail_from
        .parse::<lettre::message::Mailbox>()
        .map(|m| m.email.to_string())
        .unwrap_or_default();
    let mut sent = 0;
    for msg in due {
        // The claim: only one process's UPDATE matches.
        let claimed = Entity::update_many()
            .col_expr(Column::Status, Expr::value("sending"))
            .col_expr(Column::LeaseUntil, Expr::value(at + LEASE))
            .filter(Column::Id.eq(msg.id))
            .filter(
                Condition::any()
                    .add(Column::Status.eq("pending"))
                    .add(Column::Status.eq("sending").and(Column::LeaseUntil.lt(at))),
            )
            .exec(db)
            .await?
            .rows_affected
            == 1;
        if !claimed {
            continue;
        }
        match transport.send(&from, &msg).await {
            Ok(()) => {
                Entity::update_many()
                    .col_expr(Column::Status, Expr::value("sent"))
                    .col_expr(Column::SentAt, Expr::value(now()))
                    .col_expr(Column::Attempts, Expr::value(msg.attempts + 1))
                    .col_expr(
                        Column::LeaseUntil,
                        Expr::value(Option::<chrono::DateTime<Utc>>::None),
                    )
                    .filter(Column::Id.eq(msg.id))
                    .exec(db)
                    .await?;
                sent += 1;
            }
            Err((transient, error)) => {
                let attempts = msg.attempts + 1;
                let give_up = !transient
                    || attempts >= i32::try_from(settings.delivery_max_attempts).unwrap_or(8);
                let next = now()
                    + backoff(
                        settings.delivery_retry_base_seconds,
                        u32::try_from(attempts).unwrap_or(1),
                    );
                tracing::warn!(message_id = %msg.id, attempts, give_up, error = %error, "delivery failed");
                Entity::update_many()
                    .col_expr(
                        Column::Status,
                        Expr::value(if give_up { "failed" } else { "pending" }),
                    )
                    .col_expr(Column::Attempts, Expr::value(attempts))
                    .col_expr(Column::NextAttemptAt, Expr::value(next))
                    .col_expr(Column::LastError, Expr::value(error))
                    .col_expr(
                        Column::LeaseUntil,
                        Expr::value(Option::<chrono::DateTime<Utc>>::None),
                    )
                    .filter(Column::Id.eq(msg.id))
                    .exec(db)
                    .await?;
            }
        }
    }
    Ok(sent)
}

/// Runs [`deliver_due`] every second until `stop` resolves.
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
            _ = tick.tick() => {
                if let Err(e) = deliver_due(&db, &settings, &transport).await {
                    tracing::warn!(error = format!("{e:#}"), "delivery round failed");
                }
            }
            _ = stop.changed() => break,
        }
    }
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
}
