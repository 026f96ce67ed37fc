//! Invitations: who is invited to a session, the email each of them gets
//! (iTIP over iMIP, written to the outbox), and the parties' answers.
//!
//! Rule: one invitation per recipient and session, with a UID stable for
//! the session's life; every email about the session carries the
//! session's current SEQUENCE, and the invitation row records it.

use chrono_tz::Tz;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use std::collections::HashMap;
use uuid::Uuid;

use super::audit::{self, Actor, Entry};
use super::cases::{self, CaseRecord};
use super::emails::{self, Addressee};
use super::links;
use super::records::{self, Case, Invitation, Party, Session};
use super::users;
use crate::calendar::itip::{self, Method};
use crate::config::Settings;
use crate::db::{begin_write, new_id, now};
use crate::domain::case::PartyRole;
use crate::domain::session::{PartStat, SessionFormat, SessionStatus};
use crate::domain::{EmailAddress, Language, TimeZoneName};
use crate::error::{AppError, AppResult};
use crate::i18n::dates;
use crate::mail::CalendarPart;
use crate::mail::templates::{SessionCancelled, SessionInvitation};

/// A session's start as its recipient reads it: in words of their language,
/// on the session's clock, with the place of that clock named when the
/// reader's own differs (a mediator elsewhere).
pub(crate) fn start_in_words(
    r: &Recipient,
    session: &Session,
    mediator: &entity::mediators::Model,
) -> String {
    let zone = zone_of(session);
    let reader_zone = if r.invitation.party_id.is_some() {
        zone
    } else {
        TimeZoneName::stored(&mediator.timezone)
    };
    dates::instant(r.language, session.starts_at, zone, reader_zone)
}

/// The zone a session was booked in (its court's).
pub fn zone_of(session: &Session) -> Tz {
    TimeZoneName::stored(&session.timezone)
}

/// What an invitation email needs besides its recipient.
pub(crate) struct Occasion<'a> {
    pub session: &'a Session,
    pub case: &'a Case,
    pub mediator: &'a entity::mediators::Model,
    pub location: String,
}

/// One recipient of a session's emails.
pub(crate) struct Recipient {
    pub invitation: Invitation,
    pub name: String,
    pub language: Language,
    pub party_link: Option<String>,
}

/// The people invited to a session besides the mediator: the parties taking
/// part, every guardian when a minor takes part, and interpreters when the
/// case needs one. In a joint session, everyone.
pub(crate) fn invited_parties<'r>(
    record: &'r CaseRecord,
    format: SessionFormat,
    party_ids: &[Uuid],
) -> Vec<&'r Party> {
    let minor_present = record
        .parties
        .iter()
        .any(|p| p.is_minor && party_ids.contains(&p.id));
    record
        .parties
        .iter()
        .filter(|p| {
            if party_ids.contains(&p.id) || format == SessionFormat::Joint {
                return true;
            }
            match p.role {
                PartyRole::Guardian => minor_present,
                PartyRole::Interpreter => record.case.interpreter_needed,
                _ => false,
            }
        })
        .collect()
}

/// A new invitation row: `party` or, when `None`, the mediator.
pub(crate) fn new_invitation(
    session: &Session,
    party: Option<&Party>,
    mediator: &entity::mediators::Model,
) -> Invitation {
    let (party_id, mediator_id, email, who) = match party {
        Some(p) => (Some(p.id), None, p.email.clone(), p.id),
        None => (None, Some(mediator.id), mediator.email.clone(), mediator.id),
    };
    Invitation {
        id: new_id(),
        session_id: session.id,
        party_id,
        mediator_id,
        email,
        uid: format!("{}-{}@kelisim", session.id, who.simple()),
        sequence: session.sequence,
        partstat: PartStat::NeedsAction,
        response_note: None,
        responded_at: None,
        // Written in the same transaction as the emails that send them.
        last_sent_at: Some(session.updated_at),
        created_at: session.updated_at,
    }
}

/// Inserts invitation rows in one statement.
pub(crate) async fn insert_all<C: ConnectionTrait>(
    db: &C,
    invitations: &[Invitation],
) -> AppResult<()> {
    if invitations.is_empty() {
        return Ok(());
    }
    entity::invitations::Entity::insert_many(
        invitations
            .iter()
            .map(entity::invitations::ActiveModel::from),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Records that every invitation of a session went out again at
/// `sequence`.
pub(crate) async fn mark_sent<C: ConnectionTrait>(
    db: &C,
    session_id: Uuid,
    sequence: i32,
) -> AppResult<()> {
    entity::invitations::Entity::update_many()
        .col_expr(entity::invitations::Column::Sequence, Expr::value(sequence))
        .col_expr(entity::invitations::Column::LastSentAt, Expr::value(now()))
        .filter(entity::invitations::Column::SessionId.eq(session_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Where a session takes place, as a person reads it: the room's name or
/// the online link.
pub(crate) async fn location<C: ConnectionTrait>(db: &C, s: &Session) -> AppResult<String> {
    Ok(match (&s.room_id, &s.online_url) {
        (Some(room), _) => entity::rooms::Entity::find_by_id(*room)
            .one(db)
            .await?
            .map(|r| r.name)
            .unwrap_or_default(),
        (None, Some(url)) => url.clone(),
        (None, None) => String::new(),
    })
}

/// Pairs invitations with their people: `parties` must hold every invited
/// party. Mints a new personal link for every party recipient (call it in
/// the transaction that writes the emails), and reads the mediator's
/// language only when the mediator is invited.
pub(crate) async fn recipients<C: ConnectionTrait>(
    db: &C,
    settings: &Settings,
    invitations: Vec<Invitation>,
    parties: &[Party],
    mediator: &entity::mediators::Model,
) -> AppResult<Vec<Recipient>> {
    let mediator_language = if invitations.iter().any(|i| i.party_id.is_none()) {
        users::language_of(db, mediator.user_id).await?
    } else {
        Language::FALLBACK
    };
    let by_id: HashMap<Uuid, &Party> = parties.iter().map(|p| (p.id, p)).collect();
    let mut out = Vec::with_capacity(invitations.len());
    for invitation in invitations {
        let (name, language, party_link) = match invitation.party_id {
            Some(pid) => {
                let party = by_id
                    .get(&pid)
                    .ok_or_else(|| AppError::not_found("party"))?;
                // Each email carries a link of its own (only hashes are
                // stored, so an earlier one cannot be read back).
                let token = links::party_token(db, pid).await?;
                (
                    party.name.clone(),
                    party.language,
                    Some(cases::party_link(settings, &token)),
                )
            }
            None => (mediator.name.clone(), mediator_language, None),
        };
        out.push(Recipient {
            invitation,
            name,
            language,
            party_link,
        });
    }
    Ok(out)
}

/// The recipients of a stored session, from its invitations: four
/// statements, however many are invited.
pub(crate) async fn recipients_of<C: ConnectionTrait>(
    db: &C,
    settings: &Settings,
    session_id: Uuid,
    mediator: &entity::mediators::Model,
) -> AppResult<Vec<Recipient>> {
    let invitations: Vec<Invitation> = records::all(
        entity::invitations::Entity::find()
            .filter(entity::invitations::Column::SessionId.eq(session_id))
            .order_by_asc(entity::invitations::Column::Id)
            .all(db)
            .await?,
    )?;
    let party_ids: Vec<Uuid> = invitations.iter().filter_map(|i| i.party_id).collect();
    let parties = if party_ids.is_empty() {
        Vec::new()
    } else {
        records::all(
            entity::parties::Entity::find()
                .filter(entity::parties::Column::Id.is_in(party_ids))
                .all(db)
                .await?,
        )?
    };
    recipients(db, settings, invitations, &parties, mediator).await
}

/// The ORGANIZER of every invitation: the reply mailbox where one is
/// configured (so mail clients send their answers where Kelisim reads
/// them), else the From address.
pub(crate) fn organizer_address(settings: &Settings) -> AppResult<String> {
    if let Some(reply) = settings.reply_address() {
        return Ok(reply.to_lowercase());
    }
    let from: lettre::message::Mailbox = settings
        .mail_from
        .parse()
        .map_err(|e| AppError::internal("reading mail_from", anyhow::anyhow!("{e}")))?;
    Ok(from.email.to_string())
}

/// The calendar object of one invitation.
pub(crate) fn calendar_of(
    settings: &Settings,
    occasion: &Occasion<'_>,
    recipient: &Recipient,
    method: Method,
) -> AppResult<String> {
    let organizer = organizer_address(settings)?;
    let summary = format!(
        "Mediation session, case {}",
        occasion.case.court_case_number
    );
    Ok(itip::build(&itip::Invitation {
        uid: &recipient.invitation.uid,
        sequence: occasion.session.sequence,
        method,
        starts_at: occasion.session.starts_at,
        ends_at: occasion.session.ends_at,
        dtstamp: now(),
        summary: &summary,
        location: Some(occasion.location.as_str()).filter(|l| !l.is_empty()),
        url: recipient.party_link.as_deref(),
        organizer_email: &organizer,
        organizer_name: &occasion.mediator.name,
        attendee_email: &recipient.invitation.email,
        attendee_name: &recipient.name,
        partstat: recipient.invitation.partstat,
    }))
}

/// What changed, for the wording of the email.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Change<'a> {
    Booked,
    Moved,
    Cancelled { reason: &'a str },
}

/// Writes one email per recipient to the outbox, in one statement: the
/// invitation (`REQUEST`) of a booked or moved session, or its `CANCEL`.
pub(crate) async fn send<C: ConnectionTrait>(
    db: &C,
    settings: &Settings,
    occasion: &Occasion<'_>,
    recipients: &[Recipient],
    change: Change<'_>,
) -> AppResult<()> {
    let session = occasion.session;
    let minutes = (session.ends_at - session.starts_at).num_minutes();
    let method = match change {
        Change::Booked | Change::Moved => Method::Request,
        Change::Cancelled { .. } => Method::Cancel,
    };
    let mut addresses = Vec::with_capacity(recipients.len());
    for r in recipients {
        // Addresses were checked when stored; one that no longer parses
        // gets no email rather than stopping everyone else's.
        let Ok(to) = EmailAddress::parse(&r.invitation.email) else {
            continue;
        };
        addresses.push((to, r));
    }
    let about = (occasion.case.id, session.id);
    let mut invitations = Vec::new();
    let mut cancellations = Vec::new();
    for (to, r) in &addresses {
        let calendar = CalendarPart {
            method,
            ics: calendar_of(settings, occasion, r, method)?,
        };
        let addressee = Addressee {
            address: to,
            name: &r.name,
            language: r.language,
        };
        let (name, court_case_number, starts_local, party_link) = (
            r.name.clone(),
            occasion.case.court_case_number.clone(),
            start_in_words(r, session, occasion.mediator),
            r.party_link.clone().unwrap_or_default(),
        );
        match change {
            Change::Booked | Change::Moved => invitations.push((
                addressee,
                SessionInvitation {
                    name,
                    court_case_number,
                    starts_local,
                    duration_minutes: minutes,
                    location: occasion.location.clone(),
                    moved: matches!(change, Change::Moved),
                    format: session.format.as_str().to_owned(),
                    party_link,
                },
                calendar,
            )),
            Change::Cancelled { reason } => cancellations.push((
                addressee,
                SessionCancelled {
                    name,
                    court_case_number,
                    starts_local,
                    reason: reason.to_owned(),
                    party_link,
                },
                calendar,
            )),
        }
    }
    emails::send_session_invitations(db, settings, about, invitations).await?;
    emails::send_session_cancellations(db, settings, about, cancellations).await?;
    Ok(())
}

/// Where a party's answer came from, for the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnsweredVia {
    /// The buttons of their personal page.
    PartyPage,
    /// Accept / Decline / Tentative in their mail client (iMIP REPLY).
    Email,
}

impl AnsweredVia {
    fn as_str(self) -> &'static str {
        match self {
            AnsweredVia::PartyPage => "party_page",
            AnsweredVia::Email => "email",
        }
    }
}

/// A party's answer to an invitation, through their personal link.
pub async fn rsvp(
    db: &DatabaseConnection,
    settings: &Settings,
    token: &str,
    session_id: Uuid,
    partstat: PartStat,
    note: Option<String>,
) -> AppResult<Invitation> {
    let (party, case) = cases::party_by_token(db, settings, token).await?;
    let invitation = entity::invitations::Entity::find()
        .filter(entity::invitations::Column::SessionId.eq(session_id))
        .filter(entity::invitations::Column::PartyId.eq(party.id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("session"))?;
    let txn = begin_write(db).await?;
    let invitation = record_answer(
        &txn,
        invitation,
        &case,
        partstat,
        note,
        AnsweredVia::PartyPage,
    )
    .await?;
    txn.commit().await?;
    Ok(invitation)
}

/// Records a party's answer on their invitation, with its audit row, in the
/// caller's transaction: the one rule for an answer whether it came from
/// the party page or from the party's mail client. Only a scheduled
/// session can be answered (409 otherwise).
pub(crate) async fn record_answer<C: ConnectionTrait>(
    txn: &C,
    invitation: entity::invitations::Model,
    case: &Case,
    partstat: PartStat,
    note: Option<String>,
    via: AnsweredVia,
) -> AppResult<Invitation> {
    let session_id = invitation.session_id;
    let party_id = invitation
        .party_id
        .ok_or_else(|| AppError::not_found("session"))?;
    let session = entity::sessions::Entity::find_by_id(session_id)
        .one(txn)
        .await?
        .ok_or_else(|| AppError::not_found("session"))?;
    if session.status != SessionStatus::Scheduled.as_str() {
        return Err(AppError::conflict_with_reasons(
            format!("the session is {}", session.status),
            vec!["session_status".to_owned()],
        ));
    }
    let mut active: entity::invitations::ActiveModel = invitation.into();
    active.partstat = Set(partstat.as_str().to_owned());
    active.response_note = Set(note);
    active.responded_at = Set(Some(now()));
    let invitation = active.update(txn).await?;
    audit::record(
        txn,
        Entry {
            case_id: Some(case.id),
            ..Entry::new(
                Actor::Party(party_id),
                "invitation.answered",
                "session",
                session_id,
            )
            .court(Some(case.court_id))
            .details(serde_json::json!({
                "partstat": partstat.as_str(),
                "via": via.as_str(),
            }))
        },
    )
    .await?;
    invitation.try_into()
}

/// The sessions a party is invited to, with their invitation.
pub async fn of_party<C: ConnectionTrait>(
    db: &C,
    party_id: Uuid,
) -> AppResult<Vec<(Session, Invitation)>> {
    let invitations = entity::invitations::Entity::find()
        .filter(entity::invitations::Column::PartyId.eq(party_id))
        .find_also_related(entity::sessions::Entity)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(invitations.len());
    for (i, s) in invitations {
        if let Some(s) = s {
            out.push((Session::try_from(s)?, Invitation::try_from(i)?));
        }
    }
    out.sort_by_key(|(s, _)| s.starts_at);
    Ok(out)
}

/// The `.ics` of one invitation of a party (REQUEST, or CANCEL once
/// cancelled).
pub async fn party_ics(
    db: &DatabaseConnection,
    settings: &Settings,
    token: &str,
    session_id: Uuid,
) -> AppResult<String> {
    let (party, case) = cases::party_by_token(db, settings, token).await?;
    let (session, invitation) = of_party(db, party.id)
        .await?
        .into_iter()
        .find(|(s, _)| s.id == session_id)
        .ok_or_else(|| AppError::not_found("session"))?;
    let mediator = entity::mediators::Entity::find_by_id(session.mediator_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("mediator"))?;
    let method = if session.status == SessionStatus::Cancelled {
        Method::Cancel
    } else {
        Method::Request
    };
    let occasion = Occasion {
        session: &session,
        case: &case,
        mediator: &mediator,
        location: location(db, &session).await?,
    };
    let recipient = Recipient {
        invitation,
        name: party.name.clone(),
        language: party.language,
        // The link the party opened the page with: a download mints nothing.
        party_link: Some(cases::party_link(settings, token)),
    };
    calendar_of(settings, &occasion, &recipient, method)
}
