//! Every email the service sends, one function each: the function takes
//! the email's own context struct (`mail::templates`), renders it and
//! writes it to the outbox inside the caller's transaction.
//!
//! Rule: call these inside the transaction of the change the email is
//! about, never after it; and add a function here (with its context struct
//! and template folder) for a new email, rather than rendering one by name.

use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::outbox::{self, Outgoing};
use crate::config::Settings;
use crate::db::new_id;
use crate::domain::{EmailAddress, Language};
use crate::error::AppResult;
use crate::mail::templates::{
    AssignmentAnswered, AssignmentProposed, CaseDeadlineNear, CaseExpired, CaseReferred,
    CertificationExpiring, CertificationSuspended, CounterDeclined, CounterProposed,
    OutcomeDecided, OutcomeRegistered, OutcomeSubmitted, PartyLinkReplaced, PartyMessageForwarded,
    SessionCancelled, SessionInvitation, SessionReminder, Template,
};
use crate::mail::{self, CalendarPart, Email};

/// Who an email goes to.
#[derive(Debug, Clone, Copy)]
pub struct Addressee<'a> {
    pub address: &'a EmailAddress,
    pub name: &'a str,
    pub language: Language,
}

/// What an email is about, for the outbox.
#[derive(Debug, Clone, Copy, Default)]
struct About {
    case_id: Option<Uuid>,
    session_id: Option<Uuid>,
}

async fn send<C: ConnectionTrait, T: Template>(
    db: &C,
    settings: &Settings,
    about: About,
    emails: Vec<(Addressee<'_>, T, Option<CalendarPart>)>,
) -> AppResult<Vec<Uuid>> {
    let mut messages = Vec::with_capacity(emails.len());
    for (to, context, calendar) in emails {
        let id = new_id();
        let email = Email {
            to: to.address,
            to_name: to.name,
            language: to.language,
            context,
            calendar,
        };
        messages.push(Outgoing {
            id,
            composed: mail::compose(settings, &email, id)?,
            case_id: about.case_id,
            session_id: about.session_id,
        });
    }
    let ids = messages.iter().map(|m| m.id).collect();
    outbox::insert(db, messages).await?;
    Ok(ids)
}

async fn send_one<C: ConnectionTrait, T: Template>(
    db: &C,
    settings: &Settings,
    about: About,
    to: Addressee<'_>,
    context: T,
) -> AppResult<Uuid> {
    let ids = send(db, settings, about, vec![(to, context, None)]).await?;
    Ok(ids.first().copied().unwrap_or_default())
}

fn case(case_id: Uuid) -> About {
    About {
        case_id: Some(case_id),
        session_id: None,
    }
}

pub async fn send_certification_expiring<C: ConnectionTrait>(
    db: &C,
    settings: &Settings,
    to: Addressee<'_>,
    context: CertificationExpiring,
) -> AppResult<Uuid> {
    send_one(db, settings, About::default(), to, context).await
}

pub async fn send_certification_suspended<C: ConnectionTrait>(
    db: &C,
    settings: &Settings,
    to: Addressee<'_>,
    context: CertificationSuspended,
) -> AppResult<Uuid> {
    send_one(db, settings, About::default(), to, context).await
}

pub async fn send_case_referred<C: ConnectionTrait>(
    db: &C,
    settings: &Settings,
    case_id: Uuid,
    to: Addressee<'_>,
    context: CaseReferred,
) -> AppResult<Uuid> {
    send_one(db, settings, case(case_id), to, context).await
}

pub async fn send_party_link_replaced<C: ConnectionTrait>(
    db: &C,
    settings: &Settings,
    case_id: Uuid,
    to: Addressee<'_>,
    context: PartyLinkReplaced,
) -> AppResult<Uuid> {
    send_one(db, settings, case(case_id), to, context).await
}

pub async fn send_assignment_proposed<C: ConnectionTrait>(
    db: &C,
    settings: &Settings,
    case_id: Uuid,
    to: Addressee<'_>,
    context: AssignmentProposed,
) -> AppResult<Uuid> {
    send_one(db, settings, case(case_id), to, context).await
}

pub async fn send_assignment_answered<C: ConnectionTrait>(
    db: &C,
    settings: &Settings,
    case_id: Uuid,
    to: Addressee<'_>,
    context: AssignmentAnswered,
) -> AppResult<Uuid> {
    send_one(db, settings, case(case_id), to, context).await
}

pub async fn send_case_deadline_near<C: ConnectionTrait>(
    db: &C,
    settings: &Settings,
    case_id: Uuid,
    to: Addressee<'_>,
    context: CaseDeadlineNear,
) -> AppResult<Uuid> {
    send_one(db, settings, case(case_id), to, context).await
}

pub async fn send_case_expired<C: ConnectionTrait>(
    db: &C,
    settings: &Settings,
    case_id: Uuid,
    to: Addressee<'_>,
    context: CaseExpired,
) -> AppResult<Uuid> {
    send_one(db, settings, case(case_id), to, context).await
}

pub async fn send_outcome_submitted<C: ConnectionTrait>(
    db: &C,
    settings: &Settings,
    case_id: Uuid,
    to: Addressee<'_>,
    context: OutcomeSubmitted,
) -> AppResult<Uuid> {
    send_one(db, settings, case(case_id), to, context).await
}

pub async fn send_outcome_decided<C: ConnectionTrait>(
    db: &C,
    settings: &Settings,
    case_id: Uuid,
    to: Addressee<'_>,
    context: OutcomeDecided,
) -> AppResult<Uuid> {
    send_one(db, settings, case(case_id), to, context).await
}

pub async fn send_outcome_registered<C: ConnectionTrait>(
    db: &C,
    settings: &Settings,
    case_id: Uuid,
    to: Addressee<'_>,
    context: OutcomeRegistered,
) -> AppResult<Uuid> {
    send_one(db, settings, case(case_id), to, context).await
}

pub async fn send_session_reminder<C: ConnectionTrait>(
    db: &C,
    settings: &Settings,
    (case_id, session_id): (Uuid, Uuid),
    to: Addressee<'_>,
    context: SessionReminder,
) -> AppResult<Uuid> {
    let about = About {
        case_id: Some(case_id),
        session_id: Some(session_id),
    };
    send_one(db, settings, about, to, context).await
}

/// The invitations of a booked or moved session, one per recipient, each
/// with its calendar part.
pub async fn send_session_invitations<C: ConnectionTrait>(
    db: &C,
    settings: &Settings,
    (case_id, session_id): (Uuid, Uuid),
    emails: Vec<(Addressee<'_>, SessionInvitation, CalendarPart)>,
) -> AppResult<Vec<Uuid>> {
    let about = About {
        case_id: Some(case_id),
        session_id: Some(session_id),
    };
    let emails = emails
        .into_iter()
        .map(|(to, c, cal)| (to, c, Some(cal)))
        .collect();
    send(db, settings, about, emails).await
}

/// The cancellations of a session, one per recipient, each with its
/// calendar part (`METHOD:CANCEL`).
pub async fn send_session_cancellations<C: ConnectionTrait>(
    db: &C,
    settings: &Settings,
    (case_id, session_id): (Uuid, Uuid),
    emails: Vec<(Addressee<'_>, SessionCancelled, CalendarPart)>,
) -> AppResult<Vec<Uuid>> {
    let about = About {
        case_id: Some(case_id),
        session_id: Some(session_id),
    };
    let emails = emails
        .into_iter()
        .map(|(to, c, cal)| (to, c, Some(cal)))
        .collect();
    send(db, settings, about, emails).await
}

/// To the mediator: a party proposed another time (iTIP COUNTER).
pub async fn send_counter_proposed<C: ConnectionTrait>(
    db: &C,
    settings: &Settings,
    (case_id, session_id): (Uuid, Uuid),
    to: Addressee<'_>,
    context: CounterProposed,
) -> AppResult<Uuid> {
    let about = About {
        case_id: Some(case_id),
        session_id: Some(session_id),
    };
    send_one(db, settings, about, to, context).await
}

/// To a party: their proposed time was declined, with the
/// `METHOD:DECLINECOUNTER` calendar part their client acts on.
pub async fn send_counter_declined<C: ConnectionTrait>(
    db: &C,
    settings: &Settings,
    (case_id, session_id): (Uuid, Uuid),
    to: Addressee<'_>,
    context: CounterDeclined,
    calendar: CalendarPart,
) -> AppResult<Uuid> {
    let about = About {
        case_id: Some(case_id),
        session_id: Some(session_id),
    };
    let ids = send(db, settings, about, vec![(to, context, Some(calendar))]).await?;
    Ok(ids.first().copied().unwrap_or_default())
}

/// To the mediator: a party's message to the reply mailbox, forwarded.
pub async fn send_party_message_forwarded<C: ConnectionTrait>(
    db: &C,
    settings: &Settings,
    case_id: Uuid,
    to: Addressee<'_>,
    context: PartyMessageForwarded,
) -> AppResult<Uuid> {
    send_one(db, settings, case(case_id), to, context).await
}
