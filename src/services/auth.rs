//! Logging in, bearer tokens, and who the caller is.
//!
//! Tokens are 256 random bits shown once; only their SHA-256 is stored, so a
//! leaked database does not leak usable tokens. Rule: a clerk reaches only their
//! own court; what is not theirs is reported as not found.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set,
    sea_query::Expr,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::db::{new_id, now};
use crate::domain::email::mask_email;
use crate::domain::mediator::Access;
use crate::domain::{Role, password};
use crate::error::{AppError, AppResult};

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

/// Counts failed logins per email in this process, to slow down guessing.
#[derive(Debug)]
pub struct LoginLimiter {
    max_failures: u32,
    window: Duration,
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl LoginLimiter {
    pub fn new(max_failures: u32, window: Duration) -> Self {
        Self {
            max_failures,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn is_blocked(&self, key: &str) -> bool {
        let Ok(map) = self.failures.lock() else {
            return false;
        };
        map.get(key)
            .is_some_and(|(n, since)| *n >= self.max_failures && since.elapsed() < self.window)
    }

    fn failed(&self, key: &str) {
        if let Ok(mut map) = self.failures.lock() {
            if map.len() > 100_000 {
                map.retain(|_, (_, since)| since.elapsed() < self.window);
            }
            let entry = map.entry(key.to_owned()).or_insert((0, Instant::now()));
            if entry.1.elapsed() >= self.window {
                *entry = (0, Instant::now());
            }
            entry.0 += 1;
        }
    }

    fn succeeded(&self, key: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(key);
        }
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

/// Checks email and password and issues a bearer token valid for `ttl`.
pub async fn issue_token(
    db: &DatabaseConnection,
    limiter: &LoginLimiter,
    email: &str,
    password_attempt: &str,
    ttl: chrono::Duration,
) -> AppResult<IssuedToken> {
    let email = email.trim().to_lowercase();
    if limiter.is_blocked(&email) {
        tracing::warn!(
            email = mask_email(&email),
            "login refused: too many failures"
        );
        return Err(AppError::TooManyRequests);
    }
    let user = entity::users::Entity::find()
        .filter(entity::users::Column::Email.eq(email.as_str()))
        .one(db)
        .await?;
    let stored_hash = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| password::dummy_hash().to_owned());
    let attempt = password_attempt.to_owned();
    // argon2 is deliberately slow: keep it off the async workers.
    let matches = tokio::task::spawn_blocking(move || password::verify(&attempt, &stored_hash))
        .await
        .map_err(|e| AppError::internal("verifying a password", e))?;
    let user = match user {
        Some(u) if matches && u.active => u,
        _ => {
            limiter.failed(&email);
            tracing::info!(email = mask_email(&email), "login failed");
            return Err(AppError::Unauthorized(
                "the email or password is wrong, or the account is disabled".into(),
            ));
        }
    };
    limiter.succeeded(&email);
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
    let unauthorized = || AppError::Unauthorized("the token is unknown, expired or revoked".into());
    if !token.starts_with(TOKEN_PREFIX) || token.len() > 200 {
        return Err(unauthorized());
    }
    let found = entity::api_tokens::Entity::find()
        .filter(entity::api_tokens::Column::TokenHash.eq(hash_token(token)))
        .find_also_related(entity::users::Entity)
        .one(db)
        .await?;
    let Some((tok, Some(user))) = found else {
        return Err(unauthorized());
    };
    if tok.revoked_at.is_some() || tok.expires_at <= now() || !user.active {
        return Err(unauthorized());
    }
    let role = user
        .role
        .parse::<Role>()
        .map_err(|e| AppError::internal("reading a user's role", anyhow::anyhow!(e)))?;
    Ok((
        Caller {
            user_id: user.id,
            token_id: tok.id,
            role,
            court_id: user.court_id,
        },
        tok.expires_at,
    ))
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
    let key = hash_token(token);
    let now_instant = std::time::Instant::now();
    if let Some((caller, _)) = cache
        .lock()
        .get(&key)
        .filter(|(_, until)| *until > now_instant)
    {
        return Ok(caller.clone());
    }
    let (caller, expires_at) = authenticate_until(db, token).await?;
    let left = (expires_at - now()).to_std().unwrap_or_default();
    let until = now_instant + cache.ttl.min(left);
    let mut entries = cache.lock();
    if entries.len() >= AUTH_CACHE_CAPACITY {
        entries.clear();
    }
    entries.insert(key, (caller.clone(), until));
    Ok(caller)
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

    #[test]
    fn the_limiter_blocks_after_the_allowed_failures() {
        let l = LoginLimiter::new(2, Duration::from_secs(60));
        l.failed("a@b.kz");
        assert!(!l.is_blocked("a@b.kz"));
        l.failed("a@b.kz");
        assert!(l.is_blocked("a@b.kz"));
        l.succeeded("a@b.kz");
        assert!(!l.is_blocked("a@b.kz"));
    }
}
