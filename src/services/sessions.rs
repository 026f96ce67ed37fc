//! Sessions: booking, moving and cancelling, each with one invitation email
//! per recipient (iTIP over iMIP) written to the outbox in the same
//! transaction.
//!
//! Rule: a booking transaction starts by raising the mediator's calendar
//! version. That first write takes SQLite's single write lock, and on
//! PostgreSQL the mediator's row lock, so two bookings for one mediator run
//! one after the other and the second sees the first; PostgreSQL's
//! exclusion constraints (migration 3) back this up for mediators and rooms.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use uuid::Uuid;

use super::audit::{self, Actor, Entry};
use super::auth::Caller;
use super::cases::{self, CaseAccess, CaseRecord, transition};
use super::{availability, links, new_id, now};
use crate::calendar::itip::{self, Method};
use crate::config::Settings;
use crate::domain::case::{self as case_rules, CaseAction, CaseStatus, PartyRole};
use crate::domain::slots::SlotRules;
use crate::domain::{EmailAddress, Language, Role, TimeZoneName};
use crate::error::{AppError, AppResult, FieldError};
use crate::mail::{self, CalendarPart, Email};

/// Shortest and longest session, in minutes.
pub const MIN_MINUTES: i64 = 15;
pub const MAX_MINUTES: i64 = 480;

/// Where a session takes place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    Room(Uuid),
    Online(String),
}

/// A booking, valid field by field.
#[derive(Debug, Clone)]
pub struct Booking {
    pub starts_at: DateTime<Utc>,
    pub minutes: i64,
    pub place: Place,
    /// `joint` or `separate`; `None` takes the case's default.
    pub format: Option<String>,
    /// Principal parties taking part; `None` means all of them.
    pub party_ids: Option<Vec<Uuid>>,
}

/// A move: what changes.
#[derive(Debug, Clone, Default)]
pub struct Move {
    pub starts_at: Option<DateTime<Utc>>,
    pub minutes: Option<i64>,
    pub place: Option<Place>,
}

/// A session with its invitations.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub session: entity::sessions::Model,
    pub party_ids: Vec<Uuid>,
    pub invitations: Vec<entity::invitations::Model>,
}

fn conflict(detail: impl Into<String>, reason: &str) -> AppError {
    AppError::conflict_with_reasons(detail, vec![reason.to_owned()])
}

/// Maps PostgreSQL's exclusion-constraint violation (SQLSTATE 23P01) to the
/// 409 it means; anything else stays a database error.
fn overlap_violation(e: sea_orm::DbErr) -> AppError {
    let text = e.to_string();
    if text.contains("ex_sessions_room_overlap") {
        conflict("the room is taken at that time", "room_busy")
    } else if text.contains("ex_sessions_mediator_overlap") {
        conflict(
            "the mediator has another session at that time",
            "mediator_unavailable",
        )
    } else {
        e.into()
    }
}

/// The instant a case's mediation deadline ends: midnight after the
/// deadline date in the court's zone.
fn deadline_end(case: &entity::cases::Model, tz: Tz) -> DateTime<Utc> {
    crate::domain::matching::deadline_instant(case.mediation_deadline, tz)
}

async fn court_of<C: ConnectionTrait>(
    db: &C,
    case: &entity::cases::Model,
) -> AppResult<(entity::courts::Model, Tz)> {
    let court = entity::courts::Entity::find_by_id(case.court_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("court"))?;
    let tz = TimeZoneName::parse(&court.timezone)
        .map_err(|e| AppError::internal("reading a court's zone", anyhow::anyhow!(e)))?
        .tz();
    Ok((court, tz))
}

/// Who may book for a case: the mediator who accepted it, or a clerk of
/// its court. Returns the mediator's id.
fn booking_mediator(record: &CaseRecord, access: CaseAccess, caller: &Caller) -> AppResult<Uuid> {
    let accepted = record.accepted_mediator();
    match access {
        CaseAccess::Mediator(m) if accepted == Some(m) => Ok(m),
        CaseAccess::Mediator(_) => Err(AppError::Forbidden(
            "only the mediator who accepted the case books its sessions".into(),
        )),
        CaseAccess::Court if caller.role == Role::Clerk => accepted.ok_or_else(|| {
            conflict(
                format!(
                    "the case is {}; sessions are booked once a mediator has accepted it",
                    record.case.status
                ),
                "case_status",
            )
        }),
        CaseAccess::Court => Err(AppError::Forbidden(
            "sessions are booked by the mediator or a clerk of the court".into(),
        )),
    }
}

/// Checks of a booking against the case that need no lock: time window,
/// place, parties, format and the safeguards.
#[allow(clippy::too_many_arguments)]
async fn check_booking<C: ConnectionTrait>(
    db: &C,
    record: &CaseRecord,
    tz: Tz,
    starts_at: DateTime<Utc>,
    minutes: i64,
    place: &Place,
    format: &str,
    party_ids: &[Uuid],
) -> AppResult<()> {
    let mut errors = Vec::new();
    if !(MIN_MINUTES..=MAX_MINUTES).contains(&minutes) {
        errors.push(FieldError::new(
            "duration_minutes",
            format!("must be between {MIN_MINUTES} and {MAX_MINUTES}"),
        ));
    }
    if starts_at <= now() {
        errors.push(FieldError::new("starts_at", "must be in the future"));
    }
    if starts_at + Duration::minutes(minutes) > deadline_end(&record.case, tz) {
        errors.push(FieldError::new(
            "starts_at",
            format!(
                "the session must end by the mediation deadline ({})",
                record.case.mediation_deadline
            ),
        ));
    }
    if let Place::Room(room) = place {
        let in_court = entity::rooms::Entity::find_by_id(*room)
            .one(db)
            .await?
            .is_some_and(|r| r.court_id == record.case.court_id);
        if !in_court {
            errors.push(FieldError::new(
                "room_id",
                "is not a room of the case's court",
            ));
        }
    }
    for (i, id) in party_ids.iter().enumerate() {
        let principal = record.parties.iter().any(|p| {
            p.id == *id
                && p.role
                    .parse::<PartyRole>()
                    .is_ok_and(PartyRole::is_principal)
        });
        if !principal {
            errors.push(FieldError::new(
                format!("party_ids[{i}]"),
                "is not a claimant or respondent of this case",
            ));
        }
    }
    if format == "separate" && party_ids.len() != 1 {
        errors.push(FieldError::new(
            "party_ids",
            "a separate session names the one party it is with",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let waiting = cases::awaiting_confirmation(&record.case, &record.parties);
    if !waiting.is_empty() {
        return Err(conflict(
            format!(
                "{} of the parties must first confirm through their link that they take part \
                 voluntarily",
                waiting.len()
            ),
            "voluntary_confirmation_missing",
        ));
    }
    if format == "joint"
        && !case_rules::joint_session_allowed(
            record.case.violence_reported,
            record.case.joint_session_override,
        )
    {
        return Err(conflict(
            "violence was reported: sessions are separate unless a clerk allows joint ones",
            "joint_session_not_allowed",
        ));
    }
    Ok(())
}

/// Checks, inside the locked transaction, that the mediator is free (on the
/// slot grid, inside their hours, clear of everything with the buffer), the
/// room is free and no party has another session then.
#[allow(clippy::too_many_arguments)]
async fn check_free(
    txn: &DatabaseTransaction,
    settings: &Settings,
    record: &CaseRecord,
    mediator_id: Uuid,
    starts_at: DateTime<Utc>,
    minutes: i64,
    place: &Place,
    party_ids: &[Uuid],
    moving: Option<Uuid>,
) -> AppResult<()> {
    let ends_at = starts_at + Duration::minutes(minutes);
    let calendar = availability::for_booking(txn, mediator_id, moving)
        .await?
        .ok_or_else(|| AppError::not_found("mediator"))?;
    let rules = SlotRules {
        duration: Duration::minutes(minutes),
        grid_minutes: settings.slot_grid_minutes,
        buffer: Duration::minutes(i64::from(settings.session_buffer_minutes)),
    };
    let slot = calendar.free_slots(
        starts_at,
        ends_at,
        &rules,
        Some(record.case.court_id),
        Some(1),
    );
    if slot.first().map(|s| s.start) != Some(starts_at) {
        return Err(conflict(
            "the mediator is not free then (outside their hours, away, busy, another session \
             too close, a closed day, or off the slot grid)",
            "mediator_unavailable",
        ));
    }
    let overlapping = |q: sea_orm::Select<entity::sessions::Entity>| {
        let mut q = q
            .filter(entity::sessions::Column::Status.ne("cancelled"))
            .filter(entity::sessions::Column::StartsAt.lt(ends_at))
            .filter(entity::sessions::Column::EndsAt.gt(starts_at));
        if let Some(id) = moving {
            q = q.filter(entity::sessions::Column::Id.ne(id));
        }
        q
    };
    if let Place::Room(room) = place {
        let taken = overlapping(
            entity::sessions::Entity::find().filter(entity::sessions::Column::RoomId.eq(*room)),
        )
        .one(txn)
        .await?;
        if taken.is_some() {
            return Err(conflict("the room is taken at that time", "room_busy"));
        }
    }
    let busy_party = overlapping(
        entity::sessions::Entity::find()
            .inner_join(entity::session_parties::Entity)
            .filter(entity::session_parties::Column::PartyId.is_in(party_ids.to_vec())),
    )
    .one(txn)
    .await?;
    if busy_party.is_some() {
        return Err(conflict(
            "a party of the case has another session at that time",
            "party_busy",
        ));
    }
    Ok(())
}

/// The people invited to a session besides the mediator: the parties taking
/// part, every guardian when a minor takes part, and interpreters when the
/// case needs one. In a joint session, everyone.
fn recipients(
    record: &CaseRecord,
    format: &str,
    party_ids: &[Uuid],
) -> Vec<entity::parties::Model> {
    let minor_present = record
        .parties
        .iter()
        .any(|p| p.is_minor && party_ids.contains(&p.id));
    record
        .parties
        .iter()
        .filter(|p| {
            if party_ids.contains(&p.id) || format == "joint" {
                return true;
            }
            match p.role.parse::<PartyRole>() {
                Ok(PartyRole::Guardian) => minor_present,
                Ok(PartyRole::Interpreter) => record.case.interpreter_needed,
                _ => false,
            }
        })
        .cloned()
        .collect()
}

/// "2026-12-03 10:00 (Asia/Almaty)".
pub fn local_time(at: DateTime<Utc>, tz: Tz) -> String {
    format!(
        "{} ({})",
        at.with_timezone(&tz).format("%Y-%m-%d %H:%M"),
        tz.name()
    )
}

/// What an invitation email needs besides its recipient.
pub(crate) struct Occasion<'a> {
    pub session: &'a entity::sessions::Model,
    pub case: &'a entity::cases::Model,
    pub tz: Tz,
    pub mediator: &'a entity::mediators::Model,
    pub location: String,
}

/// One recipient of a session's emails.
pub(crate) struct Recipient {
    pub invitation: entity::invitations::Model,
    pub name: String,
    pub language: Language,
    pub party_link: Option<String>,
}

pub(crate) async fn location<C: ConnectionTrait>(
    db: &C,
    s: &entity::sessions::Model,
) -> AppResult<String> {
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

/// The recipients of a session, from its invitations.
pub(crate) async fn recipients_of<C: ConnectionTrait>(
    db: &C,
    settings: &Settings,
    session_id: Uuid,
    mediator: &entity::mediators::Model,
) -> AppResult<Vec<Recipient>> {
    let invitations = entity::invitations::Entity::find()
        .filter(entity::invitations::Column::SessionId.eq(session_id))
        .order_by_asc(entity::invitations::Column::Id)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(invitations.len());
    for inv in invitations {
        let (name, language, party_link) = match inv.party_id {
            Some(pid) => {
                let party = entity::parties::Entity::find_by_id(pid)
                    .one(db)
                    .await?
                    .ok_or_else(|| AppError::not_found("party"))?;
                let token = links::party_token(db, pid).await?;
                (
                    party.name,
                    party.language.parse().unwrap_or(Language::Ru),
                    Some(cases::party_link(settings, &token)),
                )
            }
            None => {
                let language = match mediator.user_id {
                    Some(uid) => entity::users::Entity::find_by_id(uid)
                        .one(db)
                        .await?
                        .and_then(|u| u.language.parse().ok())
                        .unwrap_or(Language::Ru),
                    None => Language::Ru,
                };
                (mediator.name.clone(), language, None)
            }
        };
        out.push(Recipient {
            invitation: inv,
            name,
            language,
            party_link,
        });
    }
    Ok(out)
}

/// The calendar object of one invitation.
pub(crate) fn calendar_of(
    settings: &Settings,
    occasion: &Occasion<'_>,
    recipient: &Recipient,
    method: Method,
) -> AppResult<String> {
    let from: lettre::message::Mailbox = settings
        .mail_from
        .parse()
        .map_err(|e| AppError::internal("reading mail_from", anyhow::anyhow!("{e}")))?;
    let organizer = from.email.to_string();
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
        partstat: &recipient.invitation.partstat,
    }))
}

/// Writes one email per recipient: a new or moved session (`REQUEST`) or a
/// cancelled one (`CANCEL`).
async fn send_all(
    txn: &DatabaseTransaction,
    settings: &Settings,
    occasion: &Occasion<'_>,
    method: Method,
    moved: bool,
    reason: Option<&str>,
) -> AppResult<()> {
    let recipients = recipients_of(txn, settings, occasion.session.id, occasion.mediator).await?;
    let minutes = (occasion.session.ends_at - occasion.session.starts_at).num_minutes();
    for r in recipients {
        let Ok(to) = EmailAddress::parse(&r.invitation.email) else {
            continue;
        };
        let ics = calendar_of(settings, occasion, &r, method)?;
        let (template, context) = match method {
            Method::Request => (
                "session_invitation",
                serde_json::json!({
                    "name": r.name,
                    "court_case_number": occasion.case.court_case_number,
                    "starts_local": local_time(occasion.session.starts_at, occasion.tz),
                    "duration_minutes": minutes,
                    "location": occasion.location,
                    "moved": moved,
                    "format": occasion.session.format,
                    "party_link": r.party_link.clone().unwrap_or_default(),
                }),
            ),
            Method::Cancel => (
                "session_cancelled",
                serde_json::json!({
                    "name": r.name,
                    "court_case_number": occasion.case.court_case_number,
                    "starts_local": local_time(occasion.session.starts_at, occasion.tz),
                    "reason": reason.unwrap_or_default(),
                    "party_link": r.party_link.clone().unwrap_or_default(),
                }),
            ),
        };
        mail::enqueue(
            txn,
            settings,
            Email {
                template,
                to: &to,
                to_name: &r.name,
                language: r.language,
                context,
                case_id: Some(occasion.case.id),
                session_id: Some(occasion.session.id),
                calendar: Some(CalendarPart { method, ics }),
            },
        )
        .await?;
        entity::invitations::Entity::update_many()
            .col_expr(
                entity::invitations::Column::Sequence,
                Expr::value(occasion.session.sequence),
            )
            .col_expr(entity::invitations::Column::LastSentAt, Expr::value(now()))
            .filter(entity::invitations::Column::Id.eq(r.invitation.id))
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// Books a session of a case.
pub async fn book(
    db: &DatabaseConnection,
    settings: &Settings,
    caller: &Caller,
    case_id: Uuid,
    booking: Booking,
) -> AppResult<SessionRecord> {
    let (record, access) = cases::load_visible(db, caller, case_id).await?;
    let mediator_id = booking_mediator(&record, access, caller)?;
    let status = record.status()?;
    if !matches!(status, CaseStatus::MediatorAccepted | CaseStatus::Scheduled) {
        return Err(conflict(
            format!("the case is {status}; sessions are booked once a mediator has accepted it"),
            "case_status",
        ));
    }
    let (_, tz) = court_of(db, &record.case).await?;
    let format = booking.format.clone().unwrap_or_else(|| {
        case_rules::default_session_format(
            record.case.violence_reported && !record.case.joint_session_override,
        )
        .to_owned()
    });
    let party_ids: Vec<Uuid> = booking.party_ids.clone().unwrap_or_else(|| {
        record
            .parties
            .iter()
            .filter(|p| {
                p.role
                    .parse::<PartyRole>()
                    .is_ok_and(PartyRole::is_principal)
            })
            .map(|p| p.id)
            .collect()
    });
    check_booking(
        db,
        &record,
        tz,
        booking.starts_at,
        booking.minutes,
        &booking.place,
        &format,
        &party_ids,
    )
    .await?;
    let mediator = entity::mediators::Entity::find_by_id(mediator_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("mediator"))?;

    let txn = db.begin().await?;
    // First statement: the lock that serialises bookings (see the module doc).
    availability::touch(&txn, mediator_id).await?;
    let case = entity::cases::Entity::find_by_id(case_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("case"))?;
    check_free(
        &txn,
        settings,
        &record,
        mediator_id,
        booking.starts_at,
        booking.minutes,
        &booking.place,
        &party_ids,
        None,
    )
    .await?;
    let at = now();
    let id = new_id();
    let (room_id, online_url) = match &booking.place {
        Place::Room(r) => (Some(*r), None),
        Place::Online(u) => (None, Some(u.clone())),
    };
    let session = entity::sessions::ActiveModel {
        id: Set(id),
        case_id: Set(case_id),
        mediator_id: Set(mediator_id),
        starts_at: Set(booking.starts_at),
        ends_at: Set(booking.starts_at + Duration::minutes(booking.minutes)),
        timezone: Set(tz.name().to_owned()),
        room_id: Set(room_id),
        online_url: Set(online_url),
        format: Set(format.clone()),
        status: Set("scheduled".into()),
        sequence: Set(0),
        cancel_reason: Set(None),
        created_by: Set(Some(caller.user_id)),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(&txn)
    .await
    .map_err(overlap_violation)?;
    for pid in &party_ids {
        entity::session_parties::ActiveModel {
            session_id: Set(id),
            party_id: Set(*pid),
        }
        .insert(&txn)
        .await?;
    }
    if parse_status(&case.status)? == CaseStatus::MediatorAccepted {
        transition(
            &txn,
            &case,
            CaseAction::Schedule,
            Actor::User(caller.user_id),
            "case.scheduled",
            Some(serde_json::json!({ "session_id": id })),
        )
        .await?;
    }
    // One invitation per recipient, with a UID stable for the session's life.
    for p in recipients(&record, &format, &party_ids) {
        insert_invitation(&txn, id, Some(p.id), None, &p.email, at).await?;
    }
    insert_invitation(&txn, id, None, Some(mediator_id), &mediator.email, at).await?;
    audit::record(
        &txn,
        Entry {
            case_id: Some(case_id),
            ..Entry::new(Actor::User(caller.user_id), "session.booked", "session", id)
                .court(Some(case.court_id))
                .details(serde_json::json!({
                    "starts_at": session.starts_at,
                    "ends_at": session.ends_at,
                    "format": format,
                }))
        },
    )
    .await?;
    let occasion = Occasion {
        session: &session,
        case: &case,
        tz,
        mediator: &mediator,
        location: location(&txn, &session).await?,
    };
    send_all(&txn, settings, &occasion, Method::Request, false, None).await?;
    txn.commit().await.map_err(overlap_violation)?;
    load(db, id).await
}

fn parse_status(raw: &str) -> AppResult<CaseStatus> {
    raw.parse()
        .map_err(|e| AppError::internal("reading a case status", anyhow::anyhow!("{e}")))
}

async fn insert_invitation(
    txn: &DatabaseTransaction,
    session_id: Uuid,
    party_id: Option<Uuid>,
    mediator_id: Option<Uuid>,
    email: &str,
    at: DateTime<Utc>,
) -> AppResult<()> {
    let who = party_id.or(mediator_id).unwrap_or_default();
    entity::invitations::ActiveModel {
        id: Set(new_id()),
        session_id: Set(session_id),
        party_id: Set(party_id),
        mediator_id: Set(mediator_id),
        email: Set(email.to_owned()),
        uid: Set(format!("{session_id}-{}@kelisim", who.simple())),
        sequence: Set(0),
        partstat: Set("NEEDS-ACTION".into()),
        response_note: Set(None),
        responded_at: Set(None),
        last_sent_at: Set(None),
        created_at: Set(at),
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// A session with its parties and invitations.
pub async fn load<C: ConnectionTrait>(db: &C, id: Uuid) -> AppResult<SessionRecord> {
    let session = entity::sessions::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("session"))?;
    let party_ids = entity::session_parties::Entity::find()
        .filter(entity::session_parties::Column::SessionId.eq(id))
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.party_id)
        .collect();
    let invitations = entity::invitations::Entity::find()
        .filter(entity::invitations::Column::SessionId.eq(id))
        .order_by_asc(entity::invitations::Column::Id)
        .all(db)
        .await?;
    Ok(SessionRecord {
        session,
        party_ids,
        invitations,
    })
}

/// A session, if `caller` may see its case; and whether they may change it.
pub async fn load_visible(
    db: &DatabaseConnection,
    caller: &Caller,
    id: Uuid,
) -> AppResult<(SessionRecord, CaseRecord, bool)> {
    let record = load(db, id).await?;
    let (case, access) = cases::load_visible(db, caller, record.session.case_id)
        .await
        .map_err(|e| match e {
            AppError::NotFound(_) => AppError::not_found("session"),
            other => other,
        })?;
    let may_change = booking_mediator(&case, access, caller).is_ok();
    Ok((record, case, may_change))
}

/// Moves a session: new time, length or place. Everyone invited gets the
/// invitation again with the same UID and a higher SEQUENCE.
pub async fn move_session(
    db: &DatabaseConnection,
    settings: &Settings,
    caller: &Caller,
    id: Uuid,
    change: Move,
) -> AppResult<SessionRecord> {
    let (current, record, may_change) = load_visible(db, caller, id).await?;
    if !may_change {
        return Err(AppError::Forbidden(
            "only the case's mediator or a clerk of its court moves its sessions".into(),
        ));
    }
    let s = &current.session;
    if s.status != "scheduled" {
        return Err(conflict(
            format!("the session is {}", s.status),
            "session_status",
        ));
    }
    let (_, tz) = court_of(db, &record.case).await?;
    let starts_at = change.starts_at.unwrap_or(s.starts_at);
    let minutes = change
        .minutes
        .unwrap_or_else(|| (s.ends_at - s.starts_at).num_minutes());
    let place = change
        .place
        .clone()
        .unwrap_or_else(|| match (&s.room_id, &s.online_url) {
            (Some(r), _) => Place::Room(*r),
            (None, u) => Place::Online(u.clone().unwrap_or_default()),
        });
    check_booking(
        db,
        &record,
        tz,
        starts_at,
        minutes,
        &place,
        &s.format,
        &current.party_ids,
    )
    .await?;
    let mediator = entity::mediators::Entity::find_by_id(s.mediator_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("mediator"))?;
    let txn = db.begin().await?;
    availability::touch(&txn, s.mediator_id).await?;
    check_free(
        &txn,
        settings,
        &record,
        s.mediator_id,
        starts_at,
        minutes,
        &place,
        &current.party_ids,
        Some(id),
    )
    .await?;
    let (room_id, online_url) = match &place {
        Place::Room(r) => (Some(*r), None),
        Place::Online(u) => (None, Some(u.clone())),
    };
    let res = entity::sessions::Entity::update_many()
        .col_expr(entity::sessions::Column::StartsAt, Expr::value(starts_at))
        .col_expr(
            entity::sessions::Column::EndsAt,
            Expr::value(starts_at + Duration::minutes(minutes)),
        )
        .col_expr(entity::sessions::Column::RoomId, Expr::value(room_id))
        .col_expr(entity::sessions::Column::OnlineUrl, Expr::value(online_url))
        .col_expr(
            entity::sessions::Column::Sequence,
            Expr::col(entity::sessions::Column::Sequence).add(1),
        )
        .col_expr(entity::sessions::Column::UpdatedAt, Expr::value(now()))
        .filter(entity::sessions::Column::Id.eq(id))
        .filter(entity::sessions::Column::Status.eq("scheduled"))
        .filter(entity::sessions::Column::Sequence.eq(s.sequence))
        .exec(&txn)
        .await
        .map_err(overlap_violation)?;
    if res.rows_affected == 0 {
        return Err(conflict(
            "the session changed meanwhile; reload it and try again",
            "session_status",
        ));
    }
    // A new time asks everyone again.
    entity::invitations::Entity::update_many()
        .col_expr(
            entity::invitations::Column::Partstat,
            Expr::value("NEEDS-ACTION"),
        )
        .filter(entity::invitations::Column::SessionId.eq(id))
        .exec(&txn)
        .await?;
    let session = entity::sessions::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("session"))?;
    audit::record(
        &txn,
        Entry {
            case_id: Some(record.case.id),
            ..Entry::new(Actor::User(caller.user_id), "session.moved", "session", id)
                .court(Some(record.case.court_id))
                .details(serde_json::json!({
                    "from": s.starts_at, "to": session.starts_at, "sequence": session.sequence,
                }))
        },
    )
    .await?;
    let occasion = Occasion {
        session: &session,
        case: &record.case,
        tz,
        mediator: &mediator,
        location: location(&txn, &session).await?,
    };
    send_all(&txn, settings, &occasion, Method::Request, true, None).await?;
    txn.commit().await.map_err(overlap_violation)?;
    load(db, id).await
}

/// Cancels a session, with a reason: everyone invited gets `METHOD:CANCEL`.
pub async fn cancel(
    db: &DatabaseConnection,
    settings: &Settings,
    caller: &Caller,
    id: Uuid,
    reason: String,
) -> AppResult<SessionRecord> {
    let (current, record, may_change) = load_visible(db, caller, id).await?;
    if !may_change {
        return Err(AppError::Forbidden(
            "only the case's mediator or a clerk of its court cancels its sessions".into(),
        ));
    }
    let s = &current.session;
    if s.status != "scheduled" {
        return Err(conflict(
            format!("the session is {}", s.status),
            "session_status",
        ));
    }
    let (_, tz) = court_of(db, &record.case).await?;
    let mediator = entity::mediators::Entity::find_by_id(s.mediator_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("mediator"))?;
    let txn = db.begin().await?;
    availability::touch(&txn, s.mediator_id).await?;
    let res = entity::sessions::Entity::update_many()
        .col_expr(entity::sessions::Column::Status, Expr::value("cancelled"))
        .col_expr(
            entity::sessions::Column::CancelReason,
            Expr::value(reason.clone()),
        )
        .col_expr(
            entity::sessions::Column::Sequence,
            Expr::col(entity::sessions::Column::Sequence).add(1),
        )
        .col_expr(entity::sessions::Column::UpdatedAt, Expr::value(now()))
        .filter(entity::sessions::Column::Id.eq(id))
        .filter(entity::sessions::Column::Status.eq("scheduled"))
        .exec(&txn)
        .await?;
    if res.rows_affected == 0 {
        return Err(conflict(
            "the session changed meanwhile; reload it and try again",
            "session_status",
        ));
    }
    let session = entity::sessions::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("session"))?;
    audit::record(
        &txn,
        Entry {
            case_id: Some(record.case.id),
            ..Entry::new(
                Actor::User(caller.user_id),
                "session.cancelled",
                "session",
                id,
            )
            .court(Some(record.case.court_id))
            .details(serde_json::json!({ "reason": reason }))
        },
    )
    .await?;
    let occasion = Occasion {
        session: &session,
        case: &record.case,
        tz,
        mediator: &mediator,
        location: location(&txn, &session).await?,
    };
    send_all(
        &txn,
        settings,
        &occasion,
        Method::Cancel,
        false,
        Some(&reason),
    )
    .await?;
    txn.commit().await?;
    load(db, id).await
}

/// A party's answer to an invitation.
pub async fn rsvp(
    db: &DatabaseConnection,
    token: &str,
    session_id: Uuid,
    partstat: &'static str,
    note: Option<String>,
) -> AppResult<entity::invitations::Model> {
    let (party, case) = cases::party_by_token(db, token).await?;
    let invitation = entity::invitations::Entity::find()
        .filter(entity::invitations::Column::SessionId.eq(session_id))
        .filter(entity::invitations::Column::PartyId.eq(party.id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("session"))?;
    let session = entity::sessions::Entity::find_by_id(session_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("session"))?;
    if session.status != "scheduled" {
        return Err(conflict(
            format!("the session is {}", session.status),
            "session_status",
        ));
    }
    let txn = db.begin().await?;
    let mut active: entity::invitations::ActiveModel = invitation.into();
    active.partstat = Set(partstat.to_owned());
    active.response_note = Set(note);
    active.responded_at = Set(Some(now()));
    let invitation = active.update(&txn).await?;
    audit::record(
        &txn,
        Entry {
            case_id: Some(case.id),
            ..Entry::new(
                Actor::Party(party.id),
                "invitation.answered",
                "session",
                session_id,
            )
            .court(Some(case.court_id))
            .details(serde_json::json!({ "partstat": partstat }))
        },
    )
    .await?;
    txn.commit().await?;
    Ok(invitation)
}

/// The sessions a party is invited to, with their invitation.
pub async fn of_party<C: ConnectionTrait>(
    db: &C,
    party_id: Uuid,
) -> AppResult<Vec<(entity::sessions::Model, entity::invitations::Model)>> {
    let invitations = entity::invitations::Entity::find()
        .filter(entity::invitations::Column::PartyId.eq(party_id))
        .find_also_related(entity::sessions::Entity)
        .all(db)
        .await?;
    let mut out: Vec<_> = invitations
        .into_iter()
        .filter_map(|(i, s)| s.map(|s| (s, i)))
        .collect();
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
    let (party, case) = cases::party_by_token(db, token).await?;
    let (session, invitation) = of_party(db, party.id)
        .await?
        .into_iter()
        .find(|(s, _)| s.id == session_id)
        .ok_or_else(|| AppError::not_found("session"))?;
    let (_, tz) = court_of(db, &case).await?;
    let mediator = entity::mediators::Entity::find_by_id(session.mediator_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("mediator"))?;
    let method = if session.status == "cancelled" {
        Method::Cancel
    } else {
        Method::Request
    };
    let occasion = Occasion {
        session: &session,
        case: &case,
        tz,
        mediator: &mediator,
        location: location(db, &session).await?,
    };
    let recipient = Recipient {
        invitation,
        name: party.name.clone(),
        language: party.language.parse().unwrap_or(Language::Ru),
        party_link: Some(cases::party_link(
            settings,
            &links::party_token(db, party.id).await?,
        )),
    };
    calendar_of(settings, &occasion, &recipient, method)
}
