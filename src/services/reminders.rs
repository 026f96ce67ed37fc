//! Session reminders: `reminder_hours` before a session (48 and 2 by
//! default) each recipient of its invitations gets a reminder email.
//!
//! Rule: a reminder is recorded in `reminders_sent` (invitation, kind, the
//! session's start) in the same transaction as its email, so it goes once
//! per session, kind and recipient; a moved session has a new start and so
//! is reminded again; cancelled sessions are never reminded. Only the
//! nearest kind is sent (see [`due_reminder`]), and none at all when the
//! invitation itself went out inside that window.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

use super::emails::{self, Addressee};
use super::invitations::{location, recipients_of, start_in_words};
use crate::config::Settings;
use crate::db::{begin_write, new_id, now};
use crate::domain::EmailAddress;
use crate::domain::session::{SessionStatus, due_reminder};
use crate::error::{AppResult, unique_violation};
use crate::mail::templates::SessionReminder;
use crate::services::records::Session;

/// Sends the reminders due at `at`; returns how many were written.
pub async fn send_due(
    db: &DatabaseConnection,
    settings: &Settings,
    at: DateTime<Utc>,
) -> AppResult<usize> {
    let Some(widest) = settings.reminder_hours.iter().copied().max() else {
        return Ok(0);
    };
    let sessions = entity::sessions::Entity::find()
        .filter(entity::sessions::Column::Status.eq(SessionStatus::Scheduled.as_str()))
        .filter(entity::sessions::Column::StartsAt.gt(at))
        .filter(entity::sessions::Column::StartsAt.lte(at + Duration::hours(i64::from(widest))))
        .find_also_related(entity::cases::Entity)
        .all(db)
        .await?;
    let mut written = 0;
    for (session, case) in sessions {
        let Some(case) = case else { continue };
        let session = Session::try_from(session)?;
        let Some(hours) = due_reminder(&settings.reminder_hours, session.starts_at, at) else {
            continue;
        };
        let kind = format!("{hours}h");
        let window_start = session.starts_at - Duration::hours(i64::from(hours));
        let Some(mediator) = entity::mediators::Entity::find_by_id(session.mediator_id)
            .one(db)
            .await?
        else {
            continue;
        };
        let place = location(db, &session).await?;
        for r in recipients_of(db, settings, session.id, &mediator).await? {
            // The invitation itself went out inside this window: no reminder.
            if r.invitation.last_sent_at.is_some_and(|t| t >= window_start) {
                continue;
            }
            let already = entity::reminders_sent::Entity::find()
                .filter(entity::reminders_sent::Column::InvitationId.eq(r.invitation.id))
                .filter(entity::reminders_sent::Column::Kind.eq(kind.as_str()))
                .filter(entity::reminders_sent::Column::SessionStartsAt.eq(session.starts_at))
                .one(db)
                .await?;
            if already.is_some() {
                continue;
            }
            let Ok(to) = EmailAddress::parse(&r.invitation.email) else {
                continue;
            };
            let txn = begin_write(db).await?;
            let recorded = entity::reminders_sent::ActiveModel {
                id: Set(new_id()),
                invitation_id: Set(r.invitation.id),
                kind: Set(kind.clone()),
                session_starts_at: Set(session.starts_at),
                sent_at: Set(now()),
            }
            .insert(&txn)
            .await;
            match recorded {
                Ok(_) => {}
                // Another run recorded it first (the unique index is the last
                // word, whatever the leases did): it has its email; go on.
                Err(e) if unique_violation(&e) => {
                    txn.rollback().await?;
                    continue;
                }
                Err(e) => return Err(e.into()),
            }
            emails::send_session_reminder(
                &txn,
                settings,
                (case.id, session.id),
                Addressee {
                    address: &to,
                    name: &r.name,
                    language: r.language,
                },
                SessionReminder {
                    name: r.name.clone(),
                    court_case_number: case.court_case_number.clone(),
                    starts_local: start_in_words(&r, &session, &mediator),
                    duration_minutes: (session.ends_at - session.starts_at).num_minutes(),
                    location: place.clone(),
                    party_link: r.party_link.clone().unwrap_or_default(),
                },
            )
            .await?;
            txn.commit().await?;
            written += 1;
        }
    }
    Ok(written)
}
