//! Responses kept for `Idempotency-Key` replay, per user and key.
//!
//! Rule: a key is bound to the request it was first used with (method, path
//! and body, hashed): the same key with another request is refused, never
//! answered with an unrelated response. Kept responses hold personal data,
//! so they are purged after `idempotency_key_hours` ([`purge`]).

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::db::now;
use crate::error::{AppResult, unique_violation};

/// A response as first given, kept for replay.
#[derive(Debug, Clone)]
pub struct StoredResponse {
    pub status: u16,
    /// The headers worth replaying, by name.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// A request as far as keys are concerned.
#[derive(Debug, Clone)]
pub struct KeyedRequest {
    pub user_id: Uuid,
    pub key: String,
    pub method: String,
    pub path: String,
    /// See [`request_hash`].
    pub request_hash: String,
}

/// The SHA-256 of method, path and body.
pub fn request_hash(method: &str, path: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(method.as_bytes());
    h.update([0]);
    h.update(path.as_bytes());
    h.update([0]);
    h.update(body);
    hex::encode(h.finalize())
}

/// What an earlier use of the key says about this request.
#[derive(Debug, Clone)]
pub enum Earlier {
    /// The key is new.
    None,
    /// The same request was answered: replay this.
    Same(StoredResponse),
    /// The key was used for a different request.
    Different,
}

/// Looks the key of `request` up.
pub async fn earlier(db: &DatabaseConnection, request: &KeyedRequest) -> AppResult<Earlier> {
    use entity::idempotency_keys::{Column, Entity};
    let Some(stored) = Entity::find()
        .filter(Column::UserId.eq(request.user_id))
        .filter(Column::Key.eq(request.key.as_str()))
        .one(db)
        .await?
    else {
        return Ok(Earlier::None);
    };
    if stored.request_hash != request.request_hash {
        return Ok(Earlier::Different);
    }
    let headers = stored
        .response_headers
        .as_object()
        .map(|map| {
            map.iter()
                .filter_map(|(name, value)| Some((name.clone(), value.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    Ok(Earlier::Same(StoredResponse {
        status: u16::try_from(stored.response_status).unwrap_or(200),
        headers,
        body: stored.response_body,
    }))
}

/// Keeps `response` as the answer to `request`. A key stored meanwhile by a
/// racing request wins; a failure to store is logged, never the caller's
/// problem (their request did succeed).
pub async fn remember(db: &DatabaseConnection, request: KeyedRequest, response: &StoredResponse) {
    let headers: serde_json::Map<String, serde_json::Value> = response
        .headers
        .iter()
        .map(|(n, v)| (n.clone(), serde_json::Value::from(v.as_str())))
        .collect();
    let row = entity::idempotency_keys::ActiveModel {
        user_id: Set(request.user_id),
        key: Set(request.key),
        method: Set(request.method),
        path: Set(request.path),
        request_hash: Set(request.request_hash),
        response_status: Set(i32::from(response.status)),
        response_headers: Set(serde_json::Value::Object(headers)),
        response_body: Set(response.body.clone()),
        created_at: Set(now()),
    };
    if let Err(e) = row.insert(db).await
        && !unique_violation(&e)
    {
        tracing::warn!(error = %e, "could not store an idempotency key");
    }
}

/// Deletes the keys first used before `before`, with their responses;
/// returns how many.
pub async fn purge(db: &DatabaseConnection, before: DateTime<Utc>) -> AppResult<u64> {
    use entity::idempotency_keys::{Column, Entity};
    Ok(Entity::delete_many()
        .filter(Column::CreatedAt.lt(before))
        .exec(db)
        .await?
        .rows_affected)
}
