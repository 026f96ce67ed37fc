//! Logging in, bearer tokens, and who the caller is.
//!
//! Tokens are 256 random bits shown once; only their SHA-256 is stored, so a
//! leaked database does not leak usable tokens. Rule: a clerk reaches only their
//! own court; what is not theirs is reported as not found.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use rand::RngCore;
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set, TryGetable,
};
use sha2::{Digest, Sha256};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use uuid::Uuid;

use crate::config::Settings;
use crate::db::{new_id, now};
use crate::domain::email::mask_email;
use crate::domain::mediator::Access;
use crate::domain::{Role, password};
use crate::error::{AppError, AppResult};
use crate::services::login_throttle::{Attempt, Limits, Throttle};

const TOKEN_PREFIX: &str = "kls_";

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: Uuid,
    pub token_id: Uuid,
    pub role: Role,
    pub court_id: Option<Uuid>,
}

impl Caller {
    /// How far this caller may go with the mediator whose login is
    /// `mediator_login` and who serves `courts` (see [`Access::of`]).
    pub fn access_to_mediator(
        &self,
        mediator_login: Option<Uuid>,
        courts: &[Uuid],
    ) -> Option<Access> {
        Access::of(
            self.role,
            self.user_id,
            self.court_id,
            mediator_login,
            courts,
        )
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Whether this caller may see data of `court_id`: admins see every court,
    /// clerks only their own. Mediators see courts through their registry entry,
    /// which the mediator services check.
    pub fn sees_court(&self, court_id: Uuid) -> bool {
        match self.role {
            Role::Admin => true,
            Role::Clerk => self.court_id == Some(court_id),
            Role::Mediator => false,
        }
    }
}

/// A freshly issued token, shown to its owner once.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// What stands between a login and its password check: the shared
/// counters ([`login_throttle`](super::login_throttle)) and a cap on the
/// password checks running at once in this instance.
#[derive(Debug)]
pub struct LoginGuard {
    pub throttle: Throttle,
    pub checks: PasswordChecks,
}

impl LoginGuard {
    pub fn from_settings(settings: &Settings) -> Self {
        let running = match settings.login_max_concurrent_checks {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        };
        Self {
            throttle: Throttle::new(Limits {
                per_pair: settings.login_max_failures,
                per_address: settings.login_max_failures_per_address,
                per_account: settings.login_max_failures_per_account,
                window_seconds: i64::try_from(settings.login_window_seconds).unwrap_or(i64::MAX),
                known_for_seconds: i64::from(settings.login_known_address_days) * 86_400,
            }),
            checks: PasswordChecks::new(
                running,
                settings.login_max_waiting_checks,
                Duration::from_secs(5),
            ),
        }
    }
}

/// At most `running` argon2 checks at once (each takes ~19 MiB and a core
/// for tens of milliseconds), and at most `waiting` more waiting for their
/// turn, each for at most `wait`; past that a login is answered 503 with
/// `Retry-After` at once instead of queueing memory.
#[derive(Debug)]
pub struct PasswordChecks {
    running: Arc<Semaphore>,
    admitted: Arc<Semaphore>,
    wait: Duration,
}

/// A turn to check a password; the next one may start when it is dropped.
#[derive(Debug)]
pub struct CheckTurn {
    _running: OwnedSemaphorePermit,
    _admitted: OwnedSemaphorePermit,
}

impl PasswordChecks {
    pub fn new(running: usize, waiting: usize, wait: Duration) -> Self {
        let running = running.max(1);
        Self {
            running: Arc::new(Semaphore::new(running)),
            admitted: Arc::new(Semaphore::new(running + waiting)),
            wait,
        }
    }

    /// A turn, or `None` when too many checks are running and waiting.
    pub async fn enter(&self) -> Option<CheckTurn> {
        let admitted = self.admitted.clone().try_acquire_owned().ok()?;
        let running = tokio::time::timeout(self.wait, self.running.clone().acquire_owned())
            .await
            .ok()?
            .ok()?;
        Some(CheckTurn {
            _running: running,
            _admitted: admitted,
        })
    }
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn generate_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// Checks email and password from `client` and issues a bearer token
/// valid for `ttl`. The attempt is counted before the password is checked
/// (see [`login_throttle`](super::login_throttle)); a refused attempt is a
/// 429, a service too busy to check a 503.
pub async fn issue_token(
    db: &DatabaseConnection,
    guard: &LoginGuard,
    email: &str,
    password_attempt: &str,
    client: IpAddr,
    ttl: chrono::Duration,
) -> AppResult<IssuedToken> {
    let email = email.trim().to_lowercase();
    let attempt = match guard.throttle.begin(db, Attempt::new(&email, client)).await {
        Ok(a) => a,
        Err(e) => {
            if matches!(e, AppError::TooManyRequests { .. }) {
                tracing::warn!(
                    email = mask_email(&email),
                    "login refused: too many attempts"
                );
            }
            return Err(e);
        }
    };
    let Some(turn) = guard.checks.enter().await else {
        guard.throttle.give_back(db, &attempt).await?;
        tracing::warn!("login refused: too many password checks at once");
        return Err(AppError::Unavailable(
            "too many logins are being checked; try again in a moment".into(),
        ));
    };
    let user = entity::users::Entity::find()
        .filter(entity::users::Column::Email.eq(email.as_str()))
        .one(db)
        .await?;
    let stored_hash = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| password::dummy_hash().to_owned());
    let attempt_password = password_attempt.to_owned();
    // argon2 is deliberately slow: keep it off the async workers.
    let checked =
        tokio::task::spawn_blocking(move || password::verify(&attempt_password, &stored_hash))
            .await;
    drop(turn);
    let matches = match checked {
        Ok(m) => m,
        Err(e) => {
            guard.throttle.give_back(db, &attempt).await?;
            return Err(AppError::internal("verifying a password", e));
        }
    };
    let user = match user {
        Some(u) if matches && u.active => u,
        _ => {
            tracing::info!(email = mask_email(&email), "login failed");
            return Err(AppError::Unauthorized(
                "the email or password is wrong, or the account is disabled".into(),
            ));
        }
    };
    guard.throttle.succeeded(db, &attempt).await?;
    let token = generate_token();
    let created = now();
    let expires_at = created + ttl;
    entity::api_tokens::ActiveModel {
        id: Set(new_id()),
        user_id: Set(user.id),
        token_hash: Set(hash_token(&token)),
        kind: Set("api".into()),
        created_at: Set(created),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
        last_used_at: Set(None),
    }
    .insert(db)
    .await?;
    tracing::info!(user_id = %user.id, "token issued");
    Ok(IssuedToken { token, expires_at })
}

/// Resolves a bearer token to its caller; expired, revoked or unknown tokens
/// and disabled users are all a 401.
pub async fn authenticate(db: &DatabaseConnection, token: &str) -> AppResult<Caller> {
    authenticate_until(db, token)
        .await
        .map(|(caller, _)| caller)
}

/// The caller and when their token expires.
async fn authenticate_until(
    db: &DatabaseConnection,
    token: &str,
) -> AppResult<(Caller, chrono::DateTime<chrono::Utc>)> {
    let (caller, expires_at, _) = authenticate_with::<i64>(db, token, None).await?;
    Ok((caller, expires_at))
}

fn unauthorized() -> AppError {
    AppError::Unauthorized("the token is unknown, expired or revoked".into())
}

/// The caller, when their token expires, and what `along` (a query of one
/// column and at most one row) reads, all in one statement: the token
/// joined to its user, with `along` as a scalar subquery. Expired, revoked
/// or unknown tokens and disabled users are all a 401.
async fn authenticate_with<T: TryGetable>(
    db: &DatabaseConnection,
    token: &str,
    along: Option<SelectStatement>,
) -> AppResult<(Caller, chrono::DateTime<chrono::Utc>, Option<T>)> {
    use entity::{api_tokens as t, users as u};
    if !token.starts_with(TOKEN_PREFIX) || token.len() > 200 {
        return Err(unauthorized());
    }
    let mut query = Query::select();
    query
        .expr_as(Expr::col((t::Entity, t::Column::Id)), "token_id")
        .expr_as(Expr::col((t::Entity, t::Column::ExpiresAt)), "expires_at")
        .expr_as(Expr::col((t::Entity, t::Column::RevokedAt)), "revoked_at")
        .expr_as(Expr::col((u::Entity, u::Column::Id)), "user_id")
        .expr_as(Expr::col((u::Entity, u::Column::Role)), "role")
        .expr_as(Expr::col((u::Entity, u::Column::CourtId)), "court_id")
        .expr_as(Expr::col((u::Entity, u::Column::Active)), "active")
        .from(t::Entity)
        .inner_join(
            u::Entity,
            Expr::col((u::Entity, u::Column::Id)).equals((t::Entity, t::Column::UserId)),
        )
        .and_where(Expr::col((t::Entity, t::Column::TokenHash)).eq(hash_token(token)));
    let has_along = along.is_some();
    if let Some(along) = along {
        query.expr_as(Expr::from(along), "along");
    }
    let Some(row) = db.query_one(&query).await? else {
        return Err(unauthorized());
    };
    let revoked_at: Option<DateTime<Utc>> = row.try_get("", "revoked_at")?;
    let expires_at: DateTime<Utc> = row.try_get("", "expires_at")?;
    let active: bool = row.try_get("", "active")?;
    if revoked_at.is_some() || expires_at <= now() || !active {
        return Err(unauthorized());
    }
    let role = row
        .try_get::<String>("", "role")?
        .parse::<Role>()
        .map_err(|e| AppError::internal("reading a user's role", anyhow::anyhow!(e)))?;
    let caller = Caller {
        user_id: row.try_get("", "user_id")?,
        token_id: row.try_get("", "token_id")?,
        role,
        court_id: row.try_get("", "court_id")?,
    };
    let along = if has_along {
        row.try_get::<Option<T>>("", "along")?
    } else {
        None
    };
    Ok((caller, expires_at, along))
}

/// Successful authentications remembered for a few seconds per instance, so
/// that a busy client's requests skip the token lookup.
///
/// The trade: a token revoked, or a user disabled or changed, on *another*
/// instance keeps working here for at most the time to live; on this
/// instance the entry is dropped at once. `auth_cache_seconds = 0` turns it
/// off. An entry never outlives its token's expiry.
#[derive(Debug)]
pub struct AuthCache {
    ttl: std::time::Duration,
    entries: std::sync::Mutex<std::collections::HashMap<String, (Caller, std::time::Instant)>>,
}

/// Entries kept at most; past this the cache starts afresh.
const AUTH_CACHE_CAPACITY: usize = 10_000;

impl AuthCache {
    pub fn new(ttl: std::time::Duration) -> Self {
        Self {
            ttl,
            entries: Default::default(),
        }
    }

    fn lock(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, (Caller, std::time::Instant)>>
    {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Forgets one token (revoked here).
    pub fn forget_token(&self, token_id: Uuid) {
        self.lock().retain(|_, (c, _)| c.token_id != token_id);
    }

    /// Forgets every token of a user (disabled, or changed, here).
    pub fn forget_user(&self, user_id: Uuid) {
        self.lock().retain(|_, (c, _)| c.user_id != user_id);
    }
}

/// [`authenticate`], remembering a success for the cache's time to live.
pub async fn authenticate_cached(
    db: &DatabaseConnection,
    cache: &AuthCache,
    token: &str,
) -> AppResult<Caller> {
    if cache.ttl.is_zero() {
        return authenticate(db, token).await;
    }
    if let Some(caller) = cache.remembered(token) {
        return Ok(caller);
    }
    let (caller, expires_at) = authenticate_until(db, token).await?;
    cache.remember(token, &caller, expires_at);
    Ok(caller)
}

/// [`authenticate_cached`], and what `along` (a query of one column and at
/// most one row, `None` when it finds none) reads, in the same statement:
/// a request that needs both pays one round trip to the database, not
/// two, and the token is still checked against the database on every
/// request (a token revoked on another instance stops working at once).
/// With the cache on and the caller remembered, `along` runs alone.
pub async fn authenticate_along<T: TryGetable>(
    db: &DatabaseConnection,
    cache: &AuthCache,
    token: &str,
    along: SelectStatement,
) -> AppResult<(Caller, Option<T>)> {
    if !cache.ttl.is_zero()
        && let Some(caller) = cache.remembered(token)
    {
        let value = match db.query_one(&along).await? {
            Some(row) => row.try_get_by_index::<Option<T>>(0)?,
            None => None,
        };
        return Ok((caller, value));
    }
    let (caller, expires_at, value) = authenticate_with(db, token, Some(along)).await?;
    if !cache.ttl.is_zero() {
        cache.remember(token, &caller, expires_at);
    }
    Ok((caller, value))
}

impl AuthCache {
    /// The caller of `token` if remembered and not yet stale.
    fn remembered(&self, token: &str) -> Option<Caller> {
        let key = hash_token(token);
        let now_instant = std::time::Instant::now();
        self.lock()
            .get(&key)
            .filter(|(_, until)| *until > now_instant)
            .map(|(caller, _)| caller.clone())
    }

    /// Remembers `caller` for the time to live, never past `expires_at`.
    fn remember(&self, token: &str, caller: &Caller, expires_at: DateTime<Utc>) {
        let left = (expires_at - now()).to_std().unwrap_or_default();
        let until = std::time::Instant::now() + self.ttl.min(left);
        let mut entries = self.lock();
        if entries.len() >= AUTH_CACHE_CAPACITY {
            entries.clear();
        }
        entries.insert(hash_token(token), (caller.clone(), until));
    }
}

/// Revokes one token; it stops working at once.
pub async fn revoke(db: &DatabaseConnection, token_id: Uuid) -> AppResult<()> {
    entity::api_tokens::Entity::update_many()
        .col_expr(entity::api_tokens::Column::RevokedAt, Expr::value(now()))
        .filter(entity::api_tokens::Column::Id.eq(token_id))
        .filter(entity::api_tokens::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Revokes every token of a user (when the account is disabled).
pub async fn revoke_all<C: sea_orm::ConnectionTrait>(db: &C, user_id: Uuid) -> AppResult<()> {
    entity::api_tokens::Entity::update_many()
        .col_expr(entity::api_tokens::Column::RevokedAt, Expr::value(now()))
        .filter(entity::api_tokens::Column::UserId.eq(user_id))
        .filter(entity::api_tokens::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_hashed() {
        let a = generate_token();
        let b = generate_token();
        assert_ne!(a, b);
        assert!(a.len() > 40);
        assert_eq!(hash_token(&a).len(), 64);
        assert_ne!(hash_token(&a), hash_token(&b));
    }

    #[tokio::test]
    async fn password_checks_are_capped_and_waiting_is_bounded() {
        let checks = PasswordChecks::new(1, 1, Duration::from_millis(50));
        let first = checks.enter().await.expect("a free turn");
        // One may wait, for at most 50 ms: it gets no turn while the first runs.
        assert!(checks.enter().await.is_none());
        // While one waits, a third is refused at once.
        let waiting = tokio::spawn({
            let running = checks.running.clone();
            let admitted = checks.admitted.clone();
            async move {
                let a = admitted.try_acquire_owned().expect("room to wait");
                let r = running.acquire_owned().await.expect("a turn");
                (a, r)
            }
        });
        tokio::task::yield_now().await;
        let started = std::time::Instant::now();
        assert!(checks.enter().await.is_none());
        assert!(
            started.elapsed() < Duration::from_millis(40),
            "refused without waiting"
        );
        drop(first);
        drop(waiting.await.expect("joined"));
        assert!(checks.enter().await.is_some(), "free again");
    }
}
