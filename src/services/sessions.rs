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
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use super::audit::{self, Actor, Entry};
use super::auth::Caller;
use super::availability;
use super::cases::{self, CaseAccess, CaseRecord, transition};
use super::invitations::{self, Change, Occasion};
use super::records::{self, Case, Invitation, Session};
use crate::config::Settings;
use crate::db::{begin_write, new_id, now};
use crate::domain::case::{self as case_rules, CaseAction, CaseStatus};
use crate::domain::primitives::Reason;
use crate::domain::session::{PartStat, SessionFormat, SessionStatus};
use crate::domain::slots::SlotRules;
use crate::domain::{Role, TimeZoneName};
use crate::error::{AppError, AppResult, FieldError};

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
    /// `None` takes the case's default.
    pub format: Option<SessionFormat>,
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
    pub session: Session,
    pub party_ids: Vec<Uuid>,
    pub invitations: Vec<Invitation>,
    /// Once recorded (see `services::attendance`): when, and for each party
    /// of `party_ids` whether they were present.
    pub attendance: Option<Attendance>,
}

/// Who was present at a session, as its mediator recorded it.
#[derive(Debug, Clone)]
pub struct Attendance {
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: Option<Uuid>,
    /// (party, present), in the order of `party_ids`.
    pub parties: Vec<(Uuid, bool)>,
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
fn deadline_end(case: &Case, tz: Tz) -> DateTime<Utc> {
    crate::domain::matching::deadline_instant(case.mediation_deadline, tz)
}

/// The zone of a case's court.
async fn court_zone<C: ConnectionTrait>(db: &C, case: &Case) -> AppResult<Tz> {
    let court = entity::courts::Entity::find_by_id(case.court_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("court"))?;
    Ok(TimeZoneName::parse(&court.timezone)
        .map_err(|e| AppError::internal("reading a court's zone", anyhow::anyhow!(e)))?
        .tz())
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
    format: SessionFormat,
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
        let principal = record
            .parties
            .iter()
            .any(|p| p.id == *id && p.role.is_principal());
        if !principal {
            errors.push(FieldError::new(
                format!("party_ids[{i}]"),
                "is not a claimant or respondent of this case",
            ));
        }
    }
    if format == SessionFormat::Separate && party_ids.len() != 1 {
        errors.push(FieldError::new(
            "party_ids",
            "a separate session names the one party it is with",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let waiting = record.awaiting_confirmation();
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
    if format == SessionFormat::Joint
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
/// room is free and no party has another session then. Reads only what lies
/// near the session, so its cost does not grow with anyone's history.
#[allow(clippy::too_many_arguments)]
async fn check_free(
    txn: &DatabaseTransaction,
    settings: &Settings,
    record: &CaseRecord,
    mediator: &entity::mediators::Model,
    starts_at: DateTime<Utc>,
    minutes: i64,
    place: &Place,
    party_ids: &[Uuid],
    moving: Option<Uuid>,
) -> AppResult<()> {
    let ends_at = starts_at + Duration::minutes(minutes);
    let rules = SlotRules {
        duration: Duration::minutes(minutes),
        grid_minutes: settings.slot_grid_minutes,
        buffer: Duration::minutes(i64::from(settings.session_buffer_minutes)),
    };
    let calendar = availability::cache::window_for_booking(
        txn,
        mediator,
        record.case.court_id,
        starts_at,
        ends_at,
        rules.buffer,
        Duration::minutes(MAX_MINUTES),
        moving,
    )
    .await?;
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
            .filter(entity::sessions::Column::Status.ne(SessionStatus::Cancelled.as_str()))
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

/// Takes the lock that serialises changes to a mediator's sessions (see the
/// module doc): must be the transaction's first statement.
async fn lock_mediator(
    txn: &DatabaseTransaction,
    mediator_id: Uuid,
) -> AppResult<entity::mediators::Model> {
    availability::lock(txn, mediator_id)
        .await?
        .ok_or_else(|| AppError::not_found("mediator"))
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
    let bookable = |status: CaseStatus| {
        if matches!(status, CaseStatus::MediatorAccepted | CaseStatus::Scheduled) {
            Ok(())
        } else {
            Err(conflict(
                format!(
                    "the case is {status}; sessions are booked once a mediator has accepted it"
                ),
                "case_status",
            ))
        }
    };
    bookable(record.case.status)?;
    let tz = court_zone(db, &record.case).await?;
    let format = booking.format.unwrap_or_else(|| {
        case_rules::default_session_format(
            record.case.violence_reported && !record.case.joint_session_override,
        )
    });
    let party_ids: Vec<Uuid> = booking.party_ids.clone().unwrap_or_else(|| {
        record
            .parties
            .iter()
            .filter(|p| p.role.is_principal())
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
        format,
        &party_ids,
    )
    .await?;

    let txn = begin_write(db).await?;
    let mediator = lock_mediator(&txn, mediator_id).await?;
    // The case as it is now, under the lock: it may have been withdrawn.
    let case = Case::try_from(
        entity::cases::Entity::find_by_id(case_id)
            .one(&txn)
            .await?
            .ok_or_else(|| AppError::not_found("case"))?,
    )?;
    bookable(case.status)?;
    check_free(
        &txn,
        settings,
        &record,
        &mediator,
        booking.starts_at,
        booking.minutes,
        &booking.place,
        &party_ids,
        None,
    )
    .await?;
    let at = now();
    let (room_id, online_url) = match &booking.place {
        Place::Room(r) => (Some(*r), None),
        Place::Online(u) => (None, Some(u.clone())),
    };
    let session = Session {
        id: new_id(),
        case_id,
        mediator_id,
        starts_at: booking.starts_at,
        ends_at: booking.starts_at + Duration::minutes(booking.minutes),
        timezone: tz.name().to_owned(),
        room_id,
        online_url,
        format,
        status: SessionStatus::Scheduled,
        sequence: 0,
        cancel_reason: None,
        created_by: Some(caller.user_id),
        created_at: at,
        updated_at: at,
    };
    let id = session.id;
    entity::sessions::Entity::insert(entity::sessions::ActiveModel::from(&session))
        .exec_without_returning(&txn)
        .await
        .map_err(overlap_violation)?;
    entity::session_parties::Entity::insert_many(party_ids.iter().map(|pid| {
        entity::session_parties::ActiveModel {
            session_id: Set(id),
            party_id: Set(*pid),
            attended: Set(None),
        }
    }))
    .exec_without_returning(&txn)
    .await?;
    if case.status == CaseStatus::MediatorAccepted {
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
    let mut invited: Vec<Invitation> = invitations::invited_parties(&record, format, &party_ids)
        .into_iter()
        .map(|p| invitations::new_invitation(&session, Some(p), &mediator))
        .collect();
    invited.push(invitations::new_invitation(&session, None, &mediator));
    invitations::insert_all(&txn, &invited).await?;
    audit::record(
        &txn,
        Entry {
            case_id: Some(case_id),
            ..Entry::new(Actor::User(caller.user_id), "session.booked", "session", id)
                .court(Some(case.court_id))
                .details(serde_json::json!({
                    "starts_at": session.starts_at,
                    "ends_at": session.ends_at,
                    "format": format.as_str(),
                }))
        },
    )
    .await?;
    let occasion = Occasion {
        session: &session,
        case: &case,
        mediator: &mediator,
        location: invitations::location(&txn, &session).await?,
    };
    let recipients =
        invitations::recipients(&txn, settings, invited.clone(), &record.parties, &mediator)
            .await?;
    invitations::send(&txn, settings, &occasion, &recipients, Change::Booked).await?;
    txn.commit().await.map_err(overlap_violation)?;
    invited.sort_by_key(|i| i.id);
    Ok(SessionRecord {
        session,
        party_ids,
        invitations: invited,
        attendance: None,
    })
}

/// A session with its parties and invitations.
pub async fn load<C: ConnectionTrait>(db: &C, id: Uuid) -> AppResult<SessionRecord> {
    let row = entity::sessions::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("session"))?;
    let (recorded_at, recorded_by) = (row.attendance_recorded_at, row.attendance_recorded_by);
    let session = Session::try_from(row)?;
    let invited = entity::session_parties::Entity::find()
        .filter(entity::session_parties::Column::SessionId.eq(id))
        .order_by_asc(entity::session_parties::Column::PartyId)
        .all(db)
        .await?;
    let party_ids = invited.iter().map(|p| p.party_id).collect();
    let attendance = recorded_at.map(|recorded_at| Attendance {
        recorded_at,
        recorded_by,
        parties: invited
            .iter()
            .map(|p| (p.party_id, p.attended.unwrap_or(false)))
            .collect(),
    });
    let invitations = records::all(
        entity::invitations::Entity::find()
            .filter(entity::invitations::Column::SessionId.eq(id))
            .order_by_asc(entity::invitations::Column::Id)
            .all(db)
            .await?,
    )?;
    Ok(SessionRecord {
        session,
        party_ids,
        invitations,
        attendance,
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

/// A session as its reader sees it, with the read in the audit log: the
/// answer lists every invited person's address.
pub async fn read(db: &DatabaseConnection, caller: &Caller, id: Uuid) -> AppResult<SessionRecord> {
    let (record, case, _) = load_visible(db, caller, id).await?;
    audit::record(
        db,
        Entry {
            case_id: Some(case.case.id),
            ..Entry::new(Actor::User(caller.user_id), "session.read", "session", id)
                .court(Some(case.case.court_id))
        },
    )
    .await?;
    Ok(record)
}

/// A session that `caller` may change and that is still scheduled.
async fn changeable(
    db: &DatabaseConnection,
    caller: &Caller,
    id: Uuid,
    verb: &str,
) -> AppResult<(SessionRecord, CaseRecord)> {
    let (current, record, may_change) = load_visible(db, caller, id).await?;
    if !may_change {
        return Err(AppError::Forbidden(format!(
            "only the case's mediator or a clerk of its court {verb} its sessions"
        )));
    }
    if current.session.status != SessionStatus::Scheduled {
        return Err(conflict(
            format!("the session is {}", current.session.status),
            "session_status",
        ));
    }
    Ok((current, record))
}

/// Writes a move or a cancellation of `before` as `after`, on condition
/// that the session is still scheduled at the sequence it was read with:
/// of two racing changes one succeeds and the other is a 409.
async fn write_change(
    txn: &DatabaseTransaction,
    before: &Session,
    after: &Session,
) -> AppResult<()> {
    use entity::sessions::{Column, Entity};
    let res = Entity::update_many()
        .col_expr(Column::StartsAt, Expr::value(after.starts_at))
        .col_expr(Column::EndsAt, Expr::value(after.ends_at))
        .col_expr(Column::RoomId, Expr::value(after.room_id))
        .col_expr(Column::OnlineUrl, Expr::value(after.online_url.clone()))
        .col_expr(Column::Status, Expr::value(after.status.as_str()))
        .col_expr(
            Column::CancelReason,
            Expr::value(after.cancel_reason.clone()),
        )
        .col_expr(Column::Sequence, Expr::value(after.sequence))
        .col_expr(Column::UpdatedAt, Expr::value(after.updated_at))
        .filter(Column::Id.eq(before.id))
        .filter(Column::Status.eq(SessionStatus::Scheduled.as_str()))
        .filter(Column::Sequence.eq(before.sequence))
        .exec(txn)
        .await
        .map_err(overlap_violation)?;
    if res.rows_affected == 0 {
        return Err(conflict(
            "the session changed meanwhile; reload it and try again",
            "session_status",
        ));
    }
    Ok(())
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
    let (current, record) = changeable(db, caller, id, "moves").await?;
    let s = &current.session;
    let tz = court_zone(db, &record.case).await?;
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
        s.format,
        &current.party_ids,
    )
    .await?;
    let txn = begin_write(db).await?;
    let mediator = lock_mediator(&txn, s.mediator_id).await?;
    check_free(
        &txn,
        settings,
        &record,
        &mediator,
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
    let session = Session {
        starts_at,
        ends_at: starts_at + Duration::minutes(minutes),
        room_id,
        online_url,
        sequence: s.sequence + 1,
        updated_at: now(),
        ..s.clone()
    };
    write_change(&txn, s, &session).await?;
    // A new time asks everyone again.
    let at = now();
    entity::invitations::Entity::update_many()
        .col_expr(
            entity::invitations::Column::Partstat,
            Expr::value(PartStat::NeedsAction.as_str()),
        )
        .col_expr(
            entity::invitations::Column::Sequence,
            Expr::value(session.sequence),
        )
        .col_expr(entity::invitations::Column::LastSentAt, Expr::value(at))
        .filter(entity::invitations::Column::SessionId.eq(id))
        .exec(&txn)
        .await?;
    let invited: Vec<Invitation> = current
        .invitations
        .into_iter()
        .map(|i| Invitation {
            partstat: PartStat::NeedsAction,
            sequence: session.sequence,
            last_sent_at: Some(at),
            ..i
        })
        .collect();
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
        mediator: &mediator,
        location: invitations::location(&txn, &session).await?,
    };
    let recipients =
        invitations::recipients(&txn, settings, invited.clone(), &record.parties, &mediator)
            .await?;
    invitations::send(&txn, settings, &occasion, &recipients, Change::Moved).await?;
    txn.commit().await.map_err(overlap_violation)?;
    Ok(SessionRecord {
        session,
        party_ids: current.party_ids,
        invitations: invited,
        attendance: None,
    })
}

/// Cancels a session, with a reason: everyone invited gets `METHOD:CANCEL`.
pub async fn cancel(
    db: &DatabaseConnection,
    settings: &Settings,
    caller: &Caller,
    id: Uuid,
    reason: Reason,
) -> AppResult<SessionRecord> {
    let (current, record) = changeable(db, caller, id, "cancels").await?;
    let s = &current.session;
    let txn = begin_write(db).await?;
    let mediator = lock_mediator(&txn, s.mediator_id).await?;
    let session = Session {
        status: SessionStatus::Cancelled,
        cancel_reason: Some(reason.as_str().to_owned()),
        sequence: s.sequence + 1,
        updated_at: now(),
        ..s.clone()
    };
    write_change(&txn, s, &session).await?;
    invitations::mark_sent(&txn, id, session.sequence).await?;
    let at = now();
    let invited: Vec<Invitation> = current
        .invitations
        .into_iter()
        .map(|i| Invitation {
            sequence: session.sequence,
            last_sent_at: Some(at),
            ..i
        })
        .collect();
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
            .details(serde_json::json!({ "reason": reason.as_str() }))
        },
    )
    .await?;
    let occasion = Occasion {
        session: &session,
        case: &record.case,
        mediator: &mediator,
        location: invitations::location(&txn, &session).await?,
    };
    let recipients =
        invitations::recipients(&txn, settings, invited.clone(), &record.parties, &mediator)
            .await?;
    invitations::send(
        &txn,
        settings,
        &occasion,
        &recipients,
        Change::Cancelled {
            reason: reason.as_str(),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(SessionRecord {
        session,
        party_ids: current.party_ids,
        invitations: invited,
        attendance: None,
    })
}

/// Most sessions read for one case's page.
const MAX_SESSIONS_OF_CASE: u64 = 500;

/// The sessions of a case its reader already may see (a record from
/// [`cases::read`] or [`cases::load_visible`]), earliest first.
pub async fn of_case(db: &DatabaseConnection, record: &CaseRecord) -> AppResult<Vec<Session>> {
    use sea_orm::QuerySelect;
    let rows = entity::sessions::Entity::find()
        .filter(entity::sessions::Column::CaseId.eq(record.case.id))
        .order_by_asc(entity::sessions::Column::StartsAt)
        .limit(MAX_SESSIONS_OF_CASE)
        .all(db)
        .await?;
    records::all(rows)
}
