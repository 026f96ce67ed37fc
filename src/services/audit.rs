//! The audit log: who did what, when, to which thing, from which state.
//!
//! Rule: an audit row is written in the same transaction as the change it
//! describes, never after it.

use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use uuid::Uuid;

use crate::db::{new_id, now};
use crate::error::AppResult;

/// Who caused a change.
#[derive(Debug, Clone, Copy)]
pub enum Actor {
    User(Uuid),
    Party(Uuid),
    System,
}

impl Actor {
    fn parts(self) -> (Option<Uuid>, &'static str) {
        match self {
            Actor::User(id) => (Some(id), "user"),
            Actor::Party(_) => (None, "party"),
            Actor::System => (None, "system"),
        }
    }
}

/// One audit entry, built with the `with_*` methods and written by [`record`].
#[derive(Debug, Clone)]
pub struct Entry {
    pub actor: Actor,
    pub action: &'static str,
    pub entity_type: &'static str,
    pub entity_id: Option<Uuid>,
    pub case_id: Option<Uuid>,
    pub court_id: Option<Uuid>,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub details: Option<serde_json::Value>,
}

impl Entry {
    pub fn new(actor: Actor, action: &'static str, entity_type: &'static str, id: Uuid) -> Self {
        Self {
            actor,
            action,
            entity_type,
            entity_id: Some(id),
            case_id: None,
            court_id: None,
            from_state: None,
            to_state: None,
            details: None,
        }
    }

    pub fn court(mut self, court_id: Option<Uuid>) -> Self {
        self.court_id = court_id;
        self
    }

    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.details = Some(details);
        self
    }
}

/// One stored audit entry, as read back.
#[derive(Debug, Clone)]
pub struct AuditRow {
    pub id: Uuid,
    pub at: chrono::DateTime<chrono::Utc>,
    /// `user`, `party` or `system`.
    pub actor_kind: String,
    pub actor_user_id: Option<Uuid>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<Uuid>,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub details: Option<serde_json::Value>,
}

impl From<entity::audit_log::Model> for AuditRow {
    fn from(a: entity::audit_log::Model) -> Self {
        Self {
            id: a.id,
            at: a.at,
            actor_kind: a.actor_kind,
            actor_user_id: a.actor_user_id,
            action: a.action,
            entity_type: a.entity_type,
            entity_id: a.entity_id,
            from_state: a.from_state,
            to_state: a.to_state,
            details: a.details,
        }
    }
}

pub async fn record<C: ConnectionTrait>(db: &C, entry: Entry) -> AppResult<()> {
    let (actor_user_id, actor_kind) = entry.actor.parts();
    let mut details = entry.details;
    if let Actor::Party(party_id) = entry.actor {
        let obj = details.get_or_insert_with(|| serde_json::json!({}));
        if let Some(map) = obj.as_object_mut() {
            map.insert("party_id".into(), serde_json::json!(party_id));
        }
    }
    entity::audit_log::ActiveModel {
        id: Set(new_id()),
        at: Set(now()),
        actor_user_id: Set(actor_user_id),
        actor_kind: Set(actor_kind.to_owned()),
        action: Set(entry.action.to_owned()),
        entity_type: Set(entry.entity_type.to_owned()),
        entity_id: Set(entry.entity_id),
        case_id: Set(entry.case_id),
        court_id: Set(entry.court_id),
        from_state: Set(entry.from_state),
        to_state: Set(entry.to_state),
        details: Set(details),
    }
    .insert(db)
    .await?;
    Ok(())
}
