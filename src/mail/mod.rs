//! Email: rendering from templates, the transactional outbox, and delivery.
//!
//! Rule: an email is never sent from a request or a job directly. It is
//! rendered and written to `outbox_messages` in the same transaction as the
//! change that caused it, and the delivery worker sends it afterwards, so a
//! crash can neither lose it nor send it for a change that was rolled back.

pub mod delivery;
pub mod templates;

use lettre::message::{Mailbox, Message, MultiPart};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use uuid::Uuid;

use crate::config::Settings;
use crate::domain::{EmailAddress, Language};
use crate::error::{AppError, AppResult};
use crate::services::{new_id, now};

/// One email to write to the outbox.
pub struct Email<'a> {
    /// Template folder under `templates/email/`.
    pub template: &'static str,
    pub to: &'a EmailAddress,
    pub to_name: &'a str,
    pub language: Language,
    /// Template variables; `language` is added.
    pub context: serde_json::Value,
    pub case_id: Option<Uuid>,
    pub session_id: Option<Uuid>,
}

/// Renders `email` and writes it to the outbox inside `db` (a transaction).
pub async fn enqueue<C: ConnectionTrait>(
    db: &C,
    settings: &Settings,
    email: Email<'_>,
) -> AppResult<Uuid> {
    let mut context = email.context;
    if let Some(map) = context.as_object_mut() {
        map.insert("language".into(), email.language.as_str().into());
    }
    let rendered = templates::render(email.template, &context)?;
    let from: Mailbox = settings
        .mail_from
        .parse()
        .map_err(|e| AppError::internal("reading mail_from", anyhow::anyhow!("{e}")))?;
    let to = Mailbox::new(
        Some(crate::calendar::text::param_value(email.to_name)),
        email.to.as_str().parse().map_err(|e| {
            AppError::internal("reading a recipient address", anyhow::anyhow!("{e}"))
        })?,
    );
    let id = new_id();
    let domain = from.email.domain().to_owned();
    let message_id = format!("<{id}@{domain}>");
    let message = Message::builder()
        .from(from)
        .to(to)
        .subject(rendered.subject.clone())
        .message_id(Some(message_id.clone()))
        .multipart(MultiPart::alternative_plain_html(
            rendered.text,
            rendered.html,
        ))
        .map_err(|e| AppError::internal("building an email", e))?;
    let raw = String::from_utf8(message.formatted())
        .map_err(|e| AppError::internal("formatting an email", e))?;
    let at = now();
    entity::outbox_messages::ActiveModel {
        id: Set(id),
        kind: Set(email.template.to_owned()),
        recipient: Set(email.to.as_str().to_owned()),
        subject: Set(rendered.subject),
        raw_message: Set(raw),
        case_id: Set(email.case_id),
        session_id: Set(email.session_id),
        status: Set("pending".into()),
        attempts: Set(0),
        next_attempt_at: Set(at),
        lease_until: Set(None),
        last_error: Set(None),
        message_id: Set(message_id),
        created_at: Set(at),
        sent_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(id)
}
