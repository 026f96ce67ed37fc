//! Login limits, shared through the database by every instance.
//!
//! Three counters are taken for every login attempt, *before* its password
//! is checked, in one write transaction:
//!
//! - the pair of account and client network (`login_max_failures`), the
//!   tight one: a guesser at one account from one place;
//! - the client network (`login_max_failures_per_address`): one place
//!   guessing at many accounts;
//! - the account (`login_max_failures_per_account`), looser: many places
//!   guessing at one account. It is not taken, and does not refuse, when
//!   the account logged in successfully from the same network within
//!   `login_known_address_days`: an attack from elsewhere does not lock the
//!   owner out of their usual place.
//!
//! An attempt is refused (429) when any counter it takes is already at its
//! limit, and then nothing is counted. A counter only grows by a conditional
//! upsert (`INSERT … ON CONFLICT DO UPDATE … WHERE attempts < limit`), so
//! parallel attempts cannot pass the limit: exactly `limit` of them are let
//! through to the password check. A successful login gives its attempt back
//! and clears the pair's counter.
//!
//! Keys are SHA-256 hashes, so the table does not list emails or addresses
//! in clear. Rows are purged once their window is over (at most once a
//! minute per instance); a `known:` row after `login_known_address_days`.

use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

use entity::login_throttle::{Column, Entity};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};

use crate::db::{begin_write, now};
use crate::domain::network::counted_network;
use crate::error::{AppError, AppResult};

/// The limits, from the settings.
#[derive(Debug, Clone)]
pub struct Limits {
    pub per_pair: u32,
    pub per_address: u32,
    pub per_account: u32,
    pub window_seconds: i64,
    pub known_for_seconds: i64,
}

/// The counters of the service, with when they were last purged here.
#[derive(Debug)]
pub struct Throttle {
    limits: Limits,
    last_purge: Mutex<Option<Instant>>,
}

/// The keys of one attempt's counters.
#[derive(Debug, Clone)]
pub struct Attempt {
    pair: String,
    address: String,
    account: String,
    known: String,
    /// Whether the account's counter was taken (not for a known address).
    account_counted: bool,
}

fn key(kind: &str, parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for p in parts {
        hasher.update(p.as_bytes());
        hasher.update([0u8]);
    }
    format!("{kind}:{}", hex::encode(hasher.finalize()))
}

impl Attempt {
    /// The keys of a login to `email` (already lower-cased) from `client`.
    pub fn new(email: &str, client: IpAddr) -> Self {
        let network = counted_network(client);
        Self {
            pair: key("pair", &[email, &network]),
            address: key("address", &[&network]),
            account: key("account", &[email]),
            known: key("known", &[email, &network]),
            account_counted: false,
        }
    }
}

impl Throttle {
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            last_purge: Mutex::new(None),
        }
    }

    /// Counts an attempt before its password is checked; a 429 with the
    /// seconds until the refusing counter's window ends when any counter is
    /// at its limit (and then nothing is counted).
    pub async fn begin(&self, db: &DatabaseConnection, mut attempt: Attempt) -> AppResult<Attempt> {
        self.purge_if_due(db).await;
        let at = now().timestamp();
        let window = self.limits.window_seconds;
        let txn = begin_write(db).await?;
        let known = Entity::find_by_id(attempt.known.clone())
            .one(&txn)
            .await?
            .is_some_and(|k| k.window_start > at - self.limits.known_for_seconds);
        let mut counters = vec![
            (attempt.address.clone(), self.limits.per_address),
            (attempt.pair.clone(), self.limits.per_pair),
        ];
        if !known {
            // Always the same order (account, address, pair): two attempts
            // never wait for each other's rows in a cycle.
            counters.insert(0, (attempt.account.clone(), self.limits.per_account));
        }
        for (key, limit) in &counters {
            if !take(&txn, key, *limit, at, window).await? {
                let started = Entity::find_by_id(key.clone())
                    .one(&txn)
                    .await?
                    .map_or(at, |r| r.window_start);
                txn.rollback().await?;
                let retry_after = (started + window - at).clamp(1, std::cmp::max(window, 1));
                return Err(AppError::TooManyRequests {
                    retry_after_seconds: u64::try_from(retry_after).unwrap_or(1),
                });
            }
        }
        txn.commit().await?;
        attempt.account_counted = !known;
        Ok(attempt)
    }

    /// Gives an attempt back whose password was not checked (the service was
    /// too busy, or the check failed to run).
    pub async fn give_back(&self, db: &DatabaseConnection, attempt: &Attempt) -> AppResult<()> {
        let txn = begin_write(db).await?;
        for key in attempt.counted() {
            decrement(&txn, key).await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// A successful login: the attempt is given back, the pair's counter
    /// cleared, and the network remembered as known for the account.
    pub async fn succeeded(&self, db: &DatabaseConnection, attempt: &Attempt) -> AppResult<()> {
        let at = now().timestamp();
        let txn = begin_write(db).await?;
        if attempt.account_counted {
            decrement(&txn, &attempt.account).await?;
        }
        decrement(&txn, &attempt.address).await?;
        // A counter back at zero counts nothing: no row for it.
        Entity::delete_many()
            .filter(
                Column::Key
                    .is_in([attempt.account.as_str(), attempt.address.as_str()])
                    .and(Column::Attempts.lte(0))
                    .or(Column::Key.eq(attempt.pair.as_str())),
            )
            .exec(&txn)
            .await?;
        let remember = Query::insert()
            .into_table(Entity)
            .columns([Column::Key, Column::WindowStart, Column::Attempts])
            .values_panic([attempt.known.clone().into(), at.into(), 0.into()])
            .on_conflict(
                OnConflict::column(Column::Key)
                    .update_column(Column::WindowStart)
                    .to_owned(),
            )
            .to_owned();
        txn.execute(&remember).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Deletes counters whose window is over and known networks not seen
    /// for `known_for`, at most once a minute per instance.
    async fn purge_if_due(&self, db: &DatabaseConnection) {
        {
            let Ok(mut last) = self.last_purge.lock() else {
                return;
            };
            if last.is_some_and(|t| t.elapsed() < std::time::Duration::from_secs(60)) {
                return;
            }
            *last = Some(Instant::now());
        }
        if let Err(e) = self.purge(db).await {
            tracing::warn!(error = %e, "purging login counters failed");
        }
    }

    /// Deletes every row that no longer counts; returns how many.
    pub async fn purge(&self, db: &DatabaseConnection) -> Result<u64, sea_orm::DbErr> {
        let at = now().timestamp();
        let expired_counter = Column::Key
            .not_like("known:%")
            .and(Column::WindowStart.lte(at - self.limits.window_seconds));
        let forgotten = Column::Key
            .like("known:%")
            .and(Column::WindowStart.lte(at - self.limits.known_for_seconds));
        Ok(Entity::delete_many()
            .filter(expired_counter.or(forgotten))
            .exec(db)
            .await?
            .rows_affected)
    }
}

impl Attempt {
    fn counted(&self) -> Vec<&String> {
        let mut keys = vec![&self.address, &self.pair];
        if self.account_counted {
            keys.insert(0, &self.account);
        }
        keys
    }
}

/// Adds one to counter `key` unless it is at `limit` within its window (a
/// window over starts again at one). True when the attempt was counted.
async fn take<C: ConnectionTrait>(
    db: &C,
    key: &str,
    limit: u32,
    at: i64,
    window: i64,
) -> Result<bool, sea_orm::DbErr> {
    let over = at - window;
    let table = || Expr::col((Entity, Column::WindowStart));
    let attempts = || Expr::col((Entity, Column::Attempts));
    let upsert = Query::insert()
        .into_table(Entity)
        .columns([Column::Key, Column::WindowStart, Column::Attempts])
        .values_panic([key.into(), at.into(), 1.into()])
        .on_conflict(
            OnConflict::column(Column::Key)
                .value(
                    Column::Attempts,
                    Expr::case(table().lte(over), 1).finally(attempts().add(1)),
                )
                .value(
                    Column::WindowStart,
                    Expr::case(table().lte(over), at).finally(table()),
                )
                .action_and_where(table().lte(over).or(attempts().lt(i64::from(limit))))
                .to_owned(),
        )
        .returning_col(Column::Attempts)
        .to_owned();
    if limit == 0 {
        return Ok(false);
    }
    Ok(db.query_one(&upsert).await?.is_some())
}

/// Takes one back from counter `key`, never below zero.
async fn decrement<C: ConnectionTrait>(db: &C, key: &str) -> Result<(), sea_orm::DbErr> {
    Entity::update_many()
        .col_expr(Column::Attempts, Expr::col(Column::Attempts).sub(1))
        .filter(Column::Key.eq(key))
        .filter(Column::Attempts.gt(0))
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_hashed_and_ipv6_neighbours_share_one() {
        let a = Attempt::new("a@b.kz", "2001:db8::1".parse().expect("ip"));
        let b = Attempt::new("a@b.kz", "2001:db8::ffff".parse().expect("ip"));
        let c = Attempt::new("c@b.kz", "2001:db8::1".parse().expect("ip"));
        assert_eq!(a.pair, b.pair);
        assert_eq!(a.address, c.address);
        assert_ne!(a.pair, c.pair);
        assert!(!a.account.contains("a@b.kz"));
        assert_eq!(a.account.len(), "account:".len() + 64);
        assert!(a.known.len() <= 80 && a.pair.len() <= 80);
    }
}
