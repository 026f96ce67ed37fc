//! Rows of the tables several services share, read as typed records:
//! statuses, roles, formats and languages as the enums of `domain/`, so
//! that no service compares a status as a string.
//!
//! Rule: a stored value that no longer parses is a fault of ours (a 500),
//! never silently replaced, except languages, which fall back to
//! [`Language::FALLBACK`] as everywhere else.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{NotSet, Set};
use uuid::Uuid;

use crate::domain::Language;
use crate::domain::case::{AssignmentStatus, CaseCategory, CaseStatus, PartyRole};
use crate::domain::session::{PartStat, SessionFormat, SessionStatus};
use crate::error::{AppError, AppResult, stored};

/// A case.
#[derive(Debug, Clone)]
pub struct Case {
    pub id: Uuid,
    pub court_id: Uuid,
    pub court_case_number: String,
    pub category: CaseCategory,
    pub summary: String,
    pub language: Language,
    pub mediation_deadline: NaiveDate,
    pub minors_involved: bool,
    pub violence_reported: bool,
    pub interpreter_needed: bool,
    pub joint_session_override: bool,
    pub status: CaseStatus,
    pub referred_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When the case reached a final status.
    pub closed_at: Option<DateTime<Utc>>,
}

impl TryFrom<entity::cases::Model> for Case {
    type Error = AppError;
    fn try_from(c: entity::cases::Model) -> AppResult<Self> {
        Ok(Self {
            category: stored("reading a case category", &c.category)?,
            status: stored("reading a case status", &c.status)?,
            language: Language::stored(&c.language),
            id: c.id,
            court_id: c.court_id,
            court_case_number: c.court_case_number,
            summary: c.summary,
            mediation_deadline: c.mediation_deadline,
            minors_involved: c.minors_involved,
            violence_reported: c.violence_reported,
            interpreter_needed: c.interpreter_needed,
            joint_session_override: c.joint_session_override,
            referred_by: c.referred_by,
            created_at: c.created_at,
            updated_at: c.updated_at,
            closed_at: c.closed_at,
        })
    }
}

/// A party of a case (without their link token's hash).
#[derive(Debug, Clone)]
pub struct Party {
    pub id: Uuid,
    pub case_id: Uuid,
    pub role: PartyRole,
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub iin_bin: Option<String>,
    pub language: Language,
    pub is_minor: bool,
    pub accessibility_needs: Option<String>,
    pub voluntary_confirmed_at: Option<DateTime<Utc>>,
}

impl TryFrom<entity::parties::Model> for Party {
    type Error = AppError;
    fn try_from(p: entity::parties::Model) -> AppResult<Self> {
        Ok(Self {
            role: stored("reading a party role", &p.role)?,
            language: Language::stored(&p.language),
            id: p.id,
            case_id: p.case_id,
            name: p.name,
            email: p.email,
            phone: p.phone,
            iin_bin: p.iin_bin,
            is_minor: p.is_minor,
            accessibility_needs: p.accessibility_needs,
            voluntary_confirmed_at: p.voluntary_confirmed_at,
        })
    }
}

/// A mediator proposed for, or assigned to, a case.
#[derive(Debug, Clone)]
pub struct Assignment {
    pub id: Uuid,
    pub case_id: Uuid,
    pub mediator_id: Uuid,
    pub status: AssignmentStatus,
    pub chosen_by_parties: bool,
    pub proposed_by: Uuid,
    pub proposed_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub decline_reason: Option<String>,
}

impl TryFrom<entity::assignments::Model> for Assignment {
    type Error = AppError;
    fn try_from(a: entity::assignments::Model) -> AppResult<Self> {
        Ok(Self {
            status: stored("reading an assignment status", &a.status)?,
            id: a.id,
            case_id: a.case_id,
            mediator_id: a.mediator_id,
            chosen_by_parties: a.chosen_by_parties,
            proposed_by: a.proposed_by,
            proposed_at: a.proposed_at,
            answered_at: a.answered_at,
            decline_reason: a.decline_reason,
        })
    }
}

/// A session of a case.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: Uuid,
    pub case_id: Uuid,
    pub mediator_id: Uuid,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// The zone it was booked in (its court's).
    pub timezone: String,
    pub room_id: Option<Uuid>,
    pub online_url: Option<String>,
    pub format: SessionFormat,
    pub status: SessionStatus,
    pub sequence: i32,
    pub cancel_reason: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<entity::sessions::Model> for Session {
    type Error = AppError;
    fn try_from(s: entity::sessions::Model) -> AppResult<Self> {
        Ok(Self {
            format: stored("reading a session format", &s.format)?,
            status: stored("reading a session status", &s.status)?,
            id: s.id,
            case_id: s.case_id,
            mediator_id: s.mediator_id,
            starts_at: s.starts_at,
            ends_at: s.ends_at,
            timezone: s.timezone,
            room_id: s.room_id,
            online_url: s.online_url,
            sequence: s.sequence,
            cancel_reason: s.cancel_reason,
            created_by: s.created_by,
            created_at: s.created_at,
            updated_at: s.updated_at,
        })
    }
}

impl From<&Session> for entity::sessions::ActiveModel {
    fn from(s: &Session) -> Self {
        Self {
            id: Set(s.id),
            case_id: Set(s.case_id),
            mediator_id: Set(s.mediator_id),
            starts_at: Set(s.starts_at),
            ends_at: Set(s.ends_at),
            timezone: Set(s.timezone.clone()),
            room_id: Set(s.room_id),
            online_url: Set(s.online_url.clone()),
            format: Set(s.format.as_str().to_owned()),
            status: Set(s.status.as_str().to_owned()),
            sequence: Set(s.sequence),
            cancel_reason: Set(s.cancel_reason.clone()),
            created_by: Set(s.created_by),
            created_at: Set(s.created_at),
            updated_at: Set(s.updated_at),
            // Attendance is written only by its own service.
            attendance_recorded_at: NotSet,
            attendance_recorded_by: NotSet,
        }
    }
}

/// One recipient's invitation to a session: a party's, or (with no party)
/// the mediator's.
#[derive(Debug, Clone)]
pub struct Invitation {
    pub id: Uuid,
    pub session_id: Uuid,
    pub party_id: Option<Uuid>,
    pub mediator_id: Option<Uuid>,
    pub email: String,
    /// iCalendar UID, stable for the session's life.
    pub uid: String,
    pub sequence: i32,
    pub partstat: PartStat,
    pub response_note: Option<String>,
    pub responded_at: Option<DateTime<Utc>>,
    pub last_sent_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<entity::invitations::Model> for Invitation {
    type Error = AppError;
    fn try_from(i: entity::invitations::Model) -> AppResult<Self> {
        Ok(Self {
            partstat: stored("reading an invitation's answer", &i.partstat)?,
            id: i.id,
            session_id: i.session_id,
            party_id: i.party_id,
            mediator_id: i.mediator_id,
            email: i.email,
            uid: i.uid,
            sequence: i.sequence,
            response_note: i.response_note,
            responded_at: i.responded_at,
            last_sent_at: i.last_sent_at,
            created_at: i.created_at,
        })
    }
}

impl From<&Invitation> for entity::invitations::ActiveModel {
    fn from(i: &Invitation) -> Self {
        Self {
            id: Set(i.id),
            session_id: Set(i.session_id),
            party_id: Set(i.party_id),
            mediator_id: Set(i.mediator_id),
            email: Set(i.email.clone()),
            uid: Set(i.uid.clone()),
            sequence: Set(i.sequence),
            partstat: Set(i.partstat.as_str().to_owned()),
            response_note: Set(i.response_note.clone()),
            responded_at: Set(i.responded_at),
            last_sent_at: Set(i.last_sent_at),
            created_at: Set(i.created_at),
        }
    }
}

/// Reads every row of `rows` as `T`.
pub fn all<M, T: TryFrom<M, Error = AppError>>(rows: Vec<M>) -> AppResult<Vec<T>> {
    rows.into_iter().map(T::try_from).collect()
}
