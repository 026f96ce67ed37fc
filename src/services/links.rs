//! Parties' personal link tokens.
//!
//! A token is `p_` + base64url(HMAC-SHA256(key, party id)), where the key is
//! generated once per installation and kept in `service_secrets`. The
//! database stores only the token's SHA-256 (for lookup), yet every email to
//! a party can carry their link again. Without the key a token cannot be
//! guessed; replacing the key changes every link at once.
//!
//! Rule: tokens are never logged and never stored in plain text.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sea_orm::{ConnectionTrait, EntityTrait, Set, sea_query::OnConflict};
use sha2::Sha256;
use uuid::Uuid;

use crate::db::now;
use crate::error::{AppError, AppResult};

const KEY_NAME: &str = "party_link_key";

/// The installation's link key, created on first use. Two instances racing
/// to create it agree: the insert does nothing on conflict and both read
/// back the one stored.
async fn key<C: ConnectionTrait>(db: &C) -> AppResult<Vec<u8>> {
    use entity::service_secrets::{ActiveModel, Column, Entity};
    let found = Entity::find_by_id(KEY_NAME.to_owned()).one(db).await?;
    let stored = match found {
        Some(row) => row.value,
        None => {
            let mut bytes = [0u8; 32];
            rand::rng().fill_bytes(&mut bytes);
            Entity::insert(ActiveModel {
                name: Set(KEY_NAME.to_owned()),
                value: Set(URL_SAFE_NO_PAD.encode(bytes)),
                created_at: Set(now()),
            })
            .on_conflict(OnConflict::column(Column::Name).do_nothing().to_owned())
            .exec_without_returning(db)
            .await?;
            Entity::find_by_id(KEY_NAME.to_owned())
                .one(db)
                .await?
                .ok_or_else(|| {
                    AppError::internal("creating the link key", anyhow::anyhow!("not stored"))
                })?
                .value
        }
    };
    URL_SAFE_NO_PAD
        .decode(stored)
        .map_err(|e| AppError::internal("reading the link key", e))
}

/// The installation's link key, read once for several tokens.
pub struct LinkKey(Vec<u8>);

impl LinkKey {
    /// Reads (or on first use creates) the key.
    pub async fn load<C: ConnectionTrait>(db: &C) -> AppResult<Self> {
        Ok(Self(key(db).await?))
    }

    /// The personal link token of a party.
    pub fn token(&self, party_id: Uuid) -> AppResult<String> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0)
            .map_err(|e| AppError::internal("keying the link", anyhow::anyhow!("{e}")))?;
        mac.update(b"party:");
        mac.update(party_id.as_bytes());
        Ok(format!(
            "p_{}",
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        ))
    }
}

/// The personal link token of a party.
pub async fn party_token<C: ConnectionTrait>(db: &C, party_id: Uuid) -> AppResult<String> {
    LinkKey::load(db).await?.token(party_id)
}
