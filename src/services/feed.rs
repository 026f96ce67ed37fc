//! A mediator's private calendar feed (`/calendar/<secret>.ics`): its
//! secret, and the feed itself.
//!
//! Rule: the secret is the only credential of the feed; only its SHA-256 is
//! stored, so the address is shown once, when it is made (the mediator's
//! creation or a rotation); rotating it stops the old address at once.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::audit::{self, Actor, Entry};
use super::auth::{Caller, hash_token};
use crate::calendar::feed::{FeedEvent, build_feed};
use crate::db::{begin_write, now};
use crate::domain::session::SessionStatus;
use crate::error::{AppError, AppResult};

/// A new feed secret: 256 random bits.
pub fn new_feed_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Gives a mediator a new feed secret; the old address stops working at once.
pub async fn rotate_feed_secret(
    db: &DatabaseConnection,
    actor: &Caller,
    mediator_id: Uuid,
) -> AppResult<String> {
    use entity::mediators::{Column, Entity};
    let txn = begin_write(db).await?;
    let secret = new_feed_secret();
    Entity::update_many()
        .col_expr(Column::FeedSecretHash, Expr::value(hash_token(&secret)))
        .col_expr(Column::UpdatedAt, Expr::value(now()))
        .filter(Column::Id.eq(mediator_id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        Entry::new(
            Actor::User(actor.user_id),
            "mediator.feed_rotated",
            "mediator",
            mediator_id,
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(secret)
}

/// The iCalendar feed of the mediator holding `secret`, or not found.
pub async fn feed(db: &DatabaseConnection, secret: &str) -> AppResult<String> {
    if secret.len() < 20 || secret.len() > 100 {
        return Err(AppError::not_found("calendar"));
    }
    let mediator = entity::mediators::Entity::find()
        .filter(entity::mediators::Column::FeedSecretHash.eq(hash_token(secret)))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("calendar"))?;
    let sessions = entity::sessions::Entity::find()
        .filter(entity::sessions::Column::MediatorId.eq(mediator.id))
        .find_also_related(entity::cases::Entity)
        .order_by_asc(entity::sessions::Column::StartsAt)
        .all(db)
        .await?;
    let rooms: Vec<Uuid> = sessions.iter().filter_map(|(s, _)| s.room_id).collect();
    let room_names: HashMap<Uuid, String> = entity::rooms::Entity::find()
        .filter(entity::rooms::Column::Id.is_in(rooms))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r.name))
        .collect();
    let events: Vec<FeedEvent> = sessions
        .into_iter()
        .map(|(s, case)| {
            let number = case.map(|c| c.court_case_number).unwrap_or_default();
            FeedEvent {
                uid: format!("session-{}@kelisim", s.id),
                starts_at: s.starts_at,
                ends_at: s.ends_at,
                // Neutral: dispute details never go into a calendar.
                summary: format!("Mediation session, case {number}"),
                location: s
                    .room_id
                    .and_then(|r| room_names.get(&r).cloned())
                    .or(s.online_url.clone()),
                description: None,
                cancelled: s.status == SessionStatus::Cancelled.as_str(),
                sequence: u32::try_from(s.sequence).unwrap_or(0),
                last_modified: s.updated_at,
            }
        })
        .collect();
    // DTSTAMP follows the data, not the clock, so an unchanged calendar gives
    // the same bytes and the same ETag.
    let stamp = events
        .iter()
        .map(|e| e.last_modified)
        .chain([mediator.updated_at])
        .max()
        .unwrap_or(mediator.updated_at);
    Ok(build_feed(
        &format!("Kelisim — {}", mediator.name),
        &events,
        stamp,
    ))
}
