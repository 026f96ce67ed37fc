//! Parties' personal link tokens.
//!
//! A token is `p_` + base64url of 32 random bytes (256 bits). The database
//! keeps only its SHA-256 in `party_links`, with the party's link version at
//! the time it was minted. Because the token cannot be read back, a new one
//! is minted whenever an email to the party is composed ([`party_token`]):
//! a party holds one live link per email they were sent, and an older
//! invitation's link keeps working until the party's link is replaced
//! ([`replace`]: the version goes up and every older link is dead) or until
//! the set time after the case closed has passed.
//!
//! Rule: tokens are never logged and never stored in plain text; a dead,
//! expired or unknown token is the same "not found".

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use uuid::Uuid;

use super::auth::hash_token;
use crate::db::{new_id, now};
use crate::error::{AppError, AppResult};

/// What every party link token starts with.
pub const TOKEN_PREFIX: &str = "p_";
/// Longer strings are not tokens of ours and are not even hashed.
const MAX_TOKEN_LEN: usize = 100;

/// A new random token.
fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// The party's current link version.
async fn version_of<C: ConnectionTrait>(db: &C, party_id: Uuid) -> AppResult<i32> {
    use entity::parties::{Column, Entity};
    Entity::find_by_id(party_id)
        .select_only()
        .column(Column::LinkVersion)
        .into_tuple::<i32>()
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("party"))
}

/// Stores the hash of a new token under `version` and returns the token.
async fn mint<C: ConnectionTrait>(db: &C, party_id: Uuid, version: i32) -> AppResult<String> {
    let token = new_token();
    entity::party_links::Entity::insert(entity::party_links::ActiveModel {
        id: Set(new_id()),
        party_id: Set(party_id),
        token_hash: Set(hash_token(&token)),
        version: Set(version),
        created_at: Set(now()),
        revoked_at: Set(None),
    })
    .exec_without_returning(db)
    .await?;
    Ok(token)
}

/// A new personal link token for a party, for the email being composed:
/// call it inside the transaction that writes the email. Older links of the
/// party keep working.
pub async fn party_token<C: ConnectionTrait>(db: &C, party_id: Uuid) -> AppResult<String> {
    let version = version_of(db, party_id).await?;
    mint(db, party_id, version).await
}

/// Replaces a party's links: raises the party's link version, marks every
/// live link revoked, and mints the one new link, which is returned with the
/// new version. Run it inside a write transaction.
///
/// The version is what kills the old links: a link minted by a transaction
/// that read the old version but committed after this one is dead too,
/// which the `revoked_at` stamp alone could not guarantee.
pub async fn replace<C: ConnectionTrait>(db: &C, party_id: Uuid) -> AppResult<(String, i32)> {
    let at = now();
    let bumped = entity::parties::Entity::update_many()
        .col_expr(
            entity::parties::Column::LinkVersion,
            Expr::col(entity::parties::Column::LinkVersion).add(1),
        )
        .filter(entity::parties::Column::Id.eq(party_id))
        .exec(db)
        .await?;
    if bumped.rows_affected == 0 {
        return Err(AppError::not_found("party"));
    }
    entity::party_links::Entity::update_many()
        .col_expr(entity::party_links::Column::RevokedAt, Expr::value(at))
        .filter(entity::party_links::Column::PartyId.eq(party_id))
        .filter(entity::party_links::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    let version = version_of(db, party_id).await?;
    Ok((mint(db, party_id, version).await?, version))
}

/// The party a token belongs to, if the link is live: known, not revoked and
/// minted under the party's current version. Whether the case has closed
/// too long ago is the caller's check (it reads the case anyway).
pub async fn party_of<C: ConnectionTrait>(db: &C, token: &str) -> AppResult<Option<Uuid>> {
    if !token.starts_with(TOKEN_PREFIX) || token.len() > MAX_TOKEN_LEN {
        return Ok(None);
    }
    let found = entity::party_links::Entity::find()
        .filter(entity::party_links::Column::TokenHash.eq(hash_token(token)))
        .filter(entity::party_links::Column::RevokedAt.is_null())
        .find_also_related(entity::parties::Entity)
        .one(db)
        .await?;
    Ok(match found {
        Some((link, Some(party))) if link.version == party.link_version => Some(party.id),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_carries_256_random_bits_in_url_safe_characters() {
        let a = new_token();
        let b = new_token();
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX));
        // 32 bytes are 43 base64url characters without padding.
        assert_eq!(a.len(), TOKEN_PREFIX.len() + 43);
        assert!(
            a[TOKEN_PREFIX.len()..]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
    }
}
