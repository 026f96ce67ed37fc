//! The reply mailbox: what each message read from it causes.
//!
//! An iMIP `REPLY` is recorded exactly like an answer on the party page
//! ([`invitations::record_answer`]); a `COUNTER` asks the mediator, by email
//! with one-click links, whether to move the session
//! ([`sessions::move_session`], which sends the usual updated invitations)
//! or to decline (a `DECLINECOUNTER` to the party); free text from a party
//! is forwarded to the mediator of their case. Everything else is kept
//! aside for an admin with its reason (`GET /api/v1/admin/inbox`).
//!
//! Rules a newcomer must not break:
//! - A message is claimed by inserting its `inbox_messages` row (unique
//!   `message_key`) in the same transaction as what it causes, so of two
//!   instances reading one mailbox only one applies it, and a crash between
//!   the two leaves neither.
//! - Whether an answer is trusted is `domain::imip::judge`'s call, never
//!   decided here.
//! - One-click links change nothing on GET (mail systems follow links to
//!   scan them): the page they open asks for a POST. A link works once and
//!   only until it expires; only its SHA-256 is stored.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, Set,
};
use serde::Serialize;
use uuid::Uuid;

use super::audit::{self, Actor, Entry};
use super::auth::{Caller, hash_token};
use super::emails::{self, Addressee};
use super::invitations::{self, AnsweredVia, Occasion};
use super::page::{self, PageRequest};
use super::records::{Case, Party, Session};
use super::sessions::{self, Move};
use super::users;
use crate::calendar::itip::Method;
use crate::calendar::reply;
use crate::config::Settings;
use crate::db::{begin_write, new_id, now};
use crate::domain::case::AssignmentStatus;
use crate::domain::imip::{
    self, AnswerMethod, CalendarAnswer, InboxStatus, Issued, OpenCase, SetAsideReason, Verdict,
};
use crate::domain::session::SessionStatus;
use crate::domain::{EmailAddress, Language, Role};
use crate::error::{AppError, AppResult};
use crate::i18n::dates;
use crate::mail::CalendarPart;
use crate::mail::inbound::{self, Inbound};
use crate::mail::templates::{CounterDeclined, CounterProposed, PartyMessageForwarded};

/// How long the mediator's one-click links on a proposed time work.
pub const COUNTER_LINK_DAYS: i64 = 7;
/// What every one-click link token starts with.
const COUNTER_TOKEN_PREFIX: &str = "c_";
/// Longest body kept of a message set aside, in characters.
const MAX_KEPT_CHARS: usize = 20_000;

/// What became of one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    /// This instance applied it, with this result.
    Now(InboxStatus, Option<SetAsideReason>),
    /// Another instance (or an earlier round) already did.
    Before,
}

/// The row that records a message and claims it.
struct Claim {
    key: String,
    from: Option<String>,
    subject: String,
    kind: &'static str,
    status: InboxStatus,
    reason: Option<SetAsideReason>,
    invitation_id: Option<Uuid>,
    session_id: Option<Uuid>,
    case_id: Option<Uuid>,
    body: String,
}

impl Claim {
    fn new(key: &str, message: &Inbound, kind: &'static str) -> Self {
        Self {
            key: key.to_owned(),
            from: message.from.clone(),
            subject: message.subject.chars().take(998).collect(),
            kind,
            status: InboxStatus::SetAside,
            reason: None,
            invitation_id: None,
            session_id: None,
            case_id: None,
            body: String::new(),
        }
    }

    fn set_aside(mut self, reason: SetAsideReason, body: &str) -> Self {
        self.status = InboxStatus::SetAside;
        self.reason = Some(reason);
        self.body = body.chars().take(MAX_KEPT_CHARS).collect();
        self
    }

    fn about(mut self, invitation_id: Uuid, session_id: Uuid, case_id: Uuid) -> Self {
        self.invitation_id = Some(invitation_id);
        self.session_id = Some(session_id);
        self.case_id = Some(case_id);
        self
    }
}

/// Inserts the message's row unless another instance did: `false` when
/// its key is already there (the caller then rolls back).
async fn claim<C: ConnectionTrait>(txn: &C, c: &Claim) -> AppResult<bool> {
    use entity::inbox_messages::{ActiveModel, Column, Entity};
    let inserted = Entity::insert(ActiveModel {
        id: Set(new_id()),
        message_key: Set(c.key.clone()),
        from_address: Set(c.from.clone()),
        subject: Set(c.subject.clone()),
        kind: Set(c.kind.to_owned()),
        status: Set(c.status.as_str().to_owned()),
        reason: Set(c.reason.map(|r| r.as_str().to_owned())),
        invitation_id: Set(c.invitation_id),
        session_id: Set(c.session_id),
        case_id: Set(c.case_id),
        body: Set(c.body.clone()),
        received_at: Set(now()),
    })
    .on_conflict(
        OnConflict::column(Column::MessageKey)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    Ok(inserted == 1)
}

/// Records a message that causes nothing but its row.
async fn record_only(db: &DatabaseConnection, c: Claim) -> AppResult<Handled> {
    let txn = begin_write(db).await?;
    if !claim(&txn, &c).await? {
        return Ok(Handled::Before);
    }
    txn.commit().await?;
    Ok(Handled::Now(c.status, c.reason))
}

/// The key a message is claimed under: its Message-ID, or `fallback` (the
/// mailbox's UIDVALIDITY and UID) when it has none.
pub fn message_key(message_id: Option<&str>, fallback: &str) -> String {
    match message_id {
        Some(id) => format!("mid:{}", id.chars().take(380).collect::<String>()),
        None => fallback.to_owned(),
    }
}

/// Whether a message was already handled (by any instance).
pub async fn is_handled(db: &DatabaseConnection, key: &str) -> AppResult<bool> {
    use entity::inbox_messages::{Column, Entity};
    Ok(Entity::find()
        .select_only()
        .column(Column::Id)
        .filter(Column::MessageKey.eq(key))
        .into_tuple::<Uuid>()
        .one(db)
        .await?
        .is_some())
}

/// Handles one message read from the reply mailbox (`raw`, as the server
/// holds it); `fallback_key` names it when it has no Message-ID.
pub async fn handle(
    db: &DatabaseConnection,
    settings: &Settings,
    fallback_key: &str,
    raw: &[u8],
) -> AppResult<Handled> {
    let Some(message) = inbound::read(raw) else {
        let unread = Inbound {
            subject: String::new(),
            ..Inbound::default()
        };
        let lossy = String::from_utf8_lossy(&raw[..raw.len().min(MAX_KEPT_CHARS)]).into_owned();
        return record_only(
            db,
            Claim::new(fallback_key, &unread, "unreadable")
                .set_aside(SetAsideReason::Unreadable, &lossy),
        )
        .await;
    };
    let key = message_key(message.message_id.as_deref(), fallback_key);
    if is_handled(db, &key).await? {
        return Ok(Handled::Before);
    }
    match message.calendar.clone() {
        Some(ics) => handle_calendar(db, settings, &key, &message, &ics).await,
        None => handle_text(db, settings, &key, &message).await,
    }
}

/// What the database knows of the invitation a UID names.
struct Known {
    invitation: entity::invitations::Model,
    session: Session,
    case: Case,
}

async fn known<C: ConnectionTrait>(db: &C, uid: &str) -> AppResult<Option<Known>> {
    let Some((invitation, Some(session))) = entity::invitations::Entity::find()
        .filter(entity::invitations::Column::Uid.eq(uid))
        .find_also_related(entity::sessions::Entity)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let session = Session::try_from(session)?;
    let case = entity::cases::Entity::find_by_id(session.case_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("case"))?;
    Ok(Some(Known {
        invitation,
        session,
        case: Case::try_from(case)?,
    }))
}

async fn handle_calendar(
    db: &DatabaseConnection,
    settings: &Settings,
    key: &str,
    message: &Inbound,
    ics: &str,
) -> AppResult<Handled> {
    let mut answer: CalendarAnswer = match reply::read(ics) {
        Ok(answer) => answer,
        Err(_) => {
            return record_only(
                db,
                Claim::new(key, message, "calendar").set_aside(SetAsideReason::Unreadable, ics),
            )
            .await;
        }
    };
    let kind = match answer.method {
        AnswerMethod::Reply => "reply",
        AnswerMethod::Counter => "counter",
        AnswerMethod::Other => "calendar",
    };
    let found = known(db, &answer.uid).await?;
    if let (AnswerMethod::Counter, Some(k)) = (answer.method, &found) {
        answer.proposed = reply::proposed_time(ics, invitations::zone_of(&k.session))
            .ok()
            .flatten();
    }
    let issued = found.as_ref().map(|k| Issued {
        recipient: k.invitation.email.to_lowercase(),
        party: k.invitation.party_id.is_some(),
        current_sequence: k.session.sequence,
        scheduled: k.session.status == SessionStatus::Scheduled,
    });
    let verdict = imip::judge(&answer, message.from.as_deref(), issued.as_ref());
    let mut claim_row = Claim::new(key, message, kind);
    if let Some(k) = &found {
        claim_row = claim_row.about(k.invitation.id, k.session.id, k.case.id);
    }
    let (found, verdict) = match (found, verdict) {
        (_, Verdict::SetAside(reason)) => {
            return record_only(db, claim_row.set_aside(reason, ics)).await;
        }
        (None, _) => {
            return record_only(db, claim_row.set_aside(SetAsideReason::UnknownUid, ics)).await;
        }
        (Some(found), verdict) => (found, verdict),
    };
    match verdict {
        Verdict::Answer(partstat) => {
            let txn = begin_write(db).await?;
            let c = Claim {
                status: InboxStatus::Applied,
                ..claim_row
            };
            if !claim(&txn, &c).await? {
                return Ok(Handled::Before);
            }
            invitations::record_answer(
                &txn,
                found.invitation,
                &found.case,
                partstat,
                answer.comment.clone(),
                AnsweredVia::Email,
            )
            .await?;
            txn.commit().await?;
            Ok(Handled::Now(InboxStatus::Applied, None))
        }
        Verdict::Stale => {
            let c = Claim {
                status: InboxStatus::Stale,
                body: ics.chars().take(MAX_KEPT_CHARS).collect(),
                ..claim_row
            };
            record_only(db, c).await
        }
        Verdict::Counter { starts_at, ends_at } => {
            counter(
                db,
                settings,
                claim_row,
                found,
                &answer,
                (starts_at, ends_at),
            )
            .await
        }
        // Returned above.
        Verdict::SetAside(reason) => record_only(db, claim_row.set_aside(reason, ics)).await,
    }
}

/// A new one-click token and its hash.
fn new_counter_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = format!("{COUNTER_TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
    let hash = hash_token(&token);
    (token, hash)
}

/// The mediator of a session, with the language they read.
async fn mediator_of<C: ConnectionTrait>(
    db: &C,
    mediator_id: Uuid,
) -> AppResult<(entity::mediators::Model, Language)> {
    let mediator = entity::mediators::Entity::find_by_id(mediator_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("mediator"))?;
    let language = users::language_of(db, mediator.user_id).await?;
    Ok((mediator, language))
}

async fn party<C: ConnectionTrait>(db: &C, id: Option<Uuid>) -> AppResult<Party> {
    let id = id.ok_or_else(|| AppError::not_found("party"))?;
    entity::parties::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("party"))?
        .try_into()
}

/// A party proposed another time: the mediator is asked, by email, with a
/// link to move the session there and one to decline.
async fn counter(
    db: &DatabaseConnection,
    settings: &Settings,
    claim_row: Claim,
    found: Known,
    answer: &CalendarAnswer,
    (starts_at, ends_at): (DateTime<Utc>, DateTime<Utc>),
) -> AppResult<Handled> {
    let txn = begin_write(db).await?;
    let c = Claim {
        status: InboxStatus::Countered,
        ..claim_row
    };
    if !claim(&txn, &c).await? {
        return Ok(Handled::Before);
    }
    let session = &found.session;
    let (mediator, language) = mediator_of(&txn, session.mediator_id).await?;
    let party = party(&txn, found.invitation.party_id).await?;
    let (token, token_hash) = new_counter_token();
    let expires_at = now() + Duration::days(COUNTER_LINK_DAYS);
    entity::counter_proposals::Entity::insert(entity::counter_proposals::ActiveModel {
        id: Set(new_id()),
        invitation_id: Set(found.invitation.id),
        session_id: Set(session.id),
        sequence: Set(session.sequence),
        starts_at: Set(starts_at),
        ends_at: Set(ends_at),
        token_hash: Set(token_hash),
        expires_at: Set(expires_at),
        decision: Set(None),
        decided_at: Set(None),
        created_at: Set(now()),
    })
    .exec_without_returning(&txn)
    .await?;
    audit::record(
        &txn,
        Entry {
            case_id: Some(found.case.id),
            ..Entry::new(
                Actor::Party(party.id),
                "invitation.countered",
                "session",
                session.id,
            )
            .court(Some(found.case.court_id))
            .details(serde_json::json!({
                "proposed_starts_at": starts_at,
                "proposed_ends_at": ends_at,
                "via": "email",
            }))
        },
    )
    .await?;
    let zone = invitations::zone_of(session);
    let mediator_zone = crate::domain::TimeZoneName::stored(&mediator.timezone);
    let in_words = |at| dates::instant(language, at, zone, mediator_zone);
    let link = |decision: &str| {
        format!(
            "{}/counter/{token}?decision={decision}",
            settings.public_base()
        )
    };
    if let Ok(address) = EmailAddress::parse(&mediator.email) {
        emails::send_counter_proposed(
            &txn,
            settings,
            (found.case.id, session.id),
            Addressee {
                address: &address,
                name: &mediator.name,
                language,
            },
            CounterProposed {
                name: mediator.name.clone(),
                party_name: party.name.clone(),
                court_case_number: found.case.court_case_number.clone(),
                starts_local: in_words(session.starts_at),
                proposed_local: in_words(starts_at),
                duration_minutes: (ends_at - starts_at).num_minutes(),
                comment: answer.comment.clone().unwrap_or_default(),
                move_link: link("move"),
                decline_link: link("decline"),
                expires_local: in_words(expires_at),
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(Handled::Now(InboxStatus::Countered, None))
}

/// Free text: forwarded to the mediator of the one open case its sender is
/// a party of (the subject's case number chooses among several), else
/// kept aside.
async fn handle_text(
    db: &DatabaseConnection,
    settings: &Settings,
    key: &str,
    message: &Inbound,
) -> AppResult<Handled> {
    let row = Claim::new(key, message, "text");
    let Some(from) = message.from.as_deref() else {
        return record_only(
            db,
            row.set_aside(SetAsideReason::UnmatchedSender, &message.text),
        )
        .await;
    };
    let rows = entity::parties::Entity::find()
        .filter(entity::parties::Column::Email.eq(from))
        .find_also_related(entity::cases::Entity)
        .all(db)
        .await?;
    let mut open: Vec<OpenCase<(Uuid, Uuid)>> = Vec::new();
    for (p, c) in rows {
        let Some(c) = c else { continue };
        let case = Case::try_from(c)?;
        if case.status.is_final() {
            continue;
        }
        open.push(OpenCase {
            key: (case.id, p.id),
            court_case_number: case.court_case_number,
            party_addresses: vec![p.email.to_lowercase()],
        });
    }
    let Some(chosen) = imip::case_of_free_text(from, &message.subject, &open) else {
        return record_only(
            db,
            row.set_aside(SetAsideReason::UnmatchedSender, &message.text),
        )
        .await;
    };
    let (case_id, party_id) = chosen.key;
    let mediator_id = entity::assignments::Entity::find()
        .select_only()
        .column(entity::assignments::Column::MediatorId)
        .filter(entity::assignments::Column::CaseId.eq(case_id))
        .filter(entity::assignments::Column::Status.eq(AssignmentStatus::Accepted.as_str()))
        .into_tuple::<Uuid>()
        .one(db)
        .await?;
    let row = Claim {
        case_id: Some(case_id),
        ..row
    };
    let Some(mediator_id) = mediator_id else {
        return record_only(db, row.set_aside(SetAsideReason::NoMediator, &message.text)).await;
    };
    let txn = begin_write(db).await?;
    let c = Claim {
        status: InboxStatus::Forwarded,
        ..row
    };
    if !claim(&txn, &c).await? {
        return Ok(Handled::Before);
    }
    let (mediator, language) = mediator_of(&txn, mediator_id).await?;
    let party = party(&txn, Some(party_id)).await?;
    if let Ok(address) = EmailAddress::parse(&mediator.email) {
        emails::send_party_message_forwarded(
            &txn,
            settings,
            case_id,
            Addressee {
                address: &address,
                name: &mediator.name,
                language,
            },
            PartyMessageForwarded {
                name: mediator.name.clone(),
                party_name: party.name.clone(),
                party_address: party.email.clone(),
                court_case_number: chosen.court_case_number.clone(),
                message_subject: message.subject.clone(),
                message_text: message.text.clone(),
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(Handled::Now(InboxStatus::Forwarded, None))
}

// ---- the admin's view ---------------------------------------------------------

/// One message read from the reply mailbox, as an admin sees it.
#[derive(Debug, Clone, Serialize, sea_orm::FromQueryResult)]
pub struct InboxRow {
    pub id: Uuid,
    pub from_address: Option<String>,
    pub subject: String,
    pub kind: String,
    pub status: String,
    pub reason: Option<String>,
    pub invitation_id: Option<Uuid>,
    pub session_id: Option<Uuid>,
    pub case_id: Option<Uuid>,
    pub body: String,
    pub received_at: DateTime<Utc>,
}

/// Messages, oldest first, optionally in one status; the listing is
/// audited (it shows senders and what they wrote).
pub async fn list(
    db: &DatabaseConnection,
    actor: Actor,
    status: Option<InboxStatus>,
    page: PageRequest,
) -> AppResult<(Vec<InboxRow>, Option<String>)> {
    use entity::inbox_messages::{Column, Entity};
    let mut q = Entity::find().select_only().columns([
        Column::Id,
        Column::FromAddress,
        Column::Subject,
        Column::Kind,
        Column::Status,
        Column::Reason,
        Column::InvitationId,
        Column::SessionId,
        Column::CaseId,
        Column::Body,
        Column::ReceivedAt,
    ]);
    if let Some(status) = status {
        q = q.filter(Column::Status.eq(status.as_str()));
    }
    let txn = begin_write(db).await?;
    let (rows, next) = page::fetch(&txn, q, Column::Id, page, |r: &InboxRow| r.id).await?;
    audit::record(
        &txn,
        Entry {
            entity_id: None,
            ..Entry::new(actor, "inbox.listed", "inbox_message", Uuid::nil())
        }
        .details(serde_json::json!({
            "status": status.map(InboxStatus::as_str),
            "message_ids": rows.iter().map(|r| r.id).collect::<Vec<_>>(),
        })),
    )
    .await?;
    txn.commit().await?;
    Ok((rows, next))
}

// ---- the mediator's one-click decision ------------------------------------------

/// What the mediator decides on a proposed time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CounterDecision {
    Move,
    Decline,
}

impl CounterDecision {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "move" => Some(Self::Move),
            "decline" => Some(Self::Decline),
            _ => None,
        }
    }

    fn stored(self) -> &'static str {
        match self {
            Self::Move => "moved",
            Self::Decline => "declined",
        }
    }
}

/// A proposal as its decision page shows it, in the mediator's words.
#[derive(Debug, Clone, Serialize)]
pub struct CounterView {
    pub language: Language,
    pub court_case_number: String,
    pub party_name: String,
    pub starts_local: String,
    pub proposed_local: String,
    /// `moved` or `declined` once decided.
    pub decided: Option<String>,
    pub expired: bool,
}

async fn proposal_by_token<C: ConnectionTrait>(
    db: &C,
    token: &str,
) -> AppResult<entity::counter_proposals::Model> {
    let not_found = || AppError::not_found("link");
    if !token.starts_with(COUNTER_TOKEN_PREFIX) || token.len() > 100 {
        return Err(not_found());
    }
    entity::counter_proposals::Entity::find()
        .filter(entity::counter_proposals::Column::TokenHash.eq(hash_token(token)))
        .one(db)
        .await?
        .ok_or_else(not_found)
}

/// The page behind a one-click link: reads, never changes anything.
pub async fn counter_view(db: &DatabaseConnection, token: &str) -> AppResult<CounterView> {
    let p = proposal_by_token(db, token).await?;
    let session: Session = entity::sessions::Entity::find_by_id(p.session_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("link"))?
        .try_into()?;
    let case: Case = entity::cases::Entity::find_by_id(session.case_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("link"))?
        .try_into()?;
    let invitation = entity::invitations::Entity::find_by_id(p.invitation_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("link"))?;
    let party = party(db, invitation.party_id).await?;
    let (mediator, language) = mediator_of(db, session.mediator_id).await?;
    let zone = invitations::zone_of(&session);
    let mediator_zone = crate::domain::TimeZoneName::stored(&mediator.timezone);
    Ok(CounterView {
        language,
        court_case_number: case.court_case_number,
        party_name: party.name,
        starts_local: dates::instant(language, session.starts_at, zone, mediator_zone),
        proposed_local: dates::instant(language, p.starts_at, zone, mediator_zone),
        decided: p.decision,
        expired: p.expires_at <= now(),
    })
}

fn link_refused(detail: &str, reason: &str) -> AppError {
    AppError::conflict_with_reasons(detail.to_owned(), vec![reason.to_owned()])
}

/// The mediator's decision through a one-click link (a POST): move the
/// session to the proposed time, or decline and tell the party. The link
/// is spent before anything else happens, so a double click moves once; a
/// move that is refused (the time is taken, past the deadline) gives the
/// link back.
pub async fn decide_counter(
    db: &DatabaseConnection,
    settings: &Settings,
    token: &str,
    decision: CounterDecision,
) -> AppResult<CounterDecision> {
    use entity::counter_proposals::{Column, Entity};
    let p = proposal_by_token(db, token).await?;
    if p.decision.is_some() {
        return Err(link_refused("this link was already used", "link_used"));
    }
    if p.expires_at <= now() {
        return Err(link_refused("this link has expired", "link_expired"));
    }
    let session: Session = entity::sessions::Entity::find_by_id(p.session_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("link"))?
        .try_into()?;
    if session.status != SessionStatus::Scheduled || session.sequence != p.sequence {
        return Err(link_refused(
            "the session changed since the proposal",
            "session_changed",
        ));
    }
    let spend = |txn_decision: Option<&'static str>, only_if: Option<&'static str>| {
        let mut q = Entity::update_many()
            .col_expr(
                Column::Decision,
                Expr::value(txn_decision.map(str::to_owned)),
            )
            .col_expr(Column::DecidedAt, Expr::value(txn_decision.map(|_| now())))
            .filter(Column::Id.eq(p.id));
        q = match only_if {
            None => q.filter(Column::Decision.is_null()),
            Some(d) => q.filter(Column::Decision.eq(d)),
        };
        q
    };
    match decision {
        CounterDecision::Move => {
            let (mediator, _) = mediator_of(db, session.mediator_id).await?;
            let user_id = mediator.user_id.ok_or_else(|| {
                link_refused(
                    "the mediator has no account to move the session with",
                    "no_account",
                )
            })?;
            let spent = spend(Some(decision.stored()), None).exec(db).await?;
            if spent.rows_affected != 1 {
                return Err(link_refused("this link was already used", "link_used"));
            }
            let caller = Caller {
                user_id,
                token_id: Uuid::nil(),
                role: Role::Mediator,
                court_id: None,
            };
            let change = Move {
                starts_at: Some(p.starts_at),
                minutes: Some((p.ends_at - p.starts_at).num_minutes()),
                place: None,
            };
            if let Err(e) = sessions::move_session(db, settings, &caller, session.id, change).await
            {
                spend(None, Some(decision.stored())).exec(db).await?;
                return Err(e);
            }
        }
        CounterDecision::Decline => {
            let txn = begin_write(db).await?;
            let spent = spend(Some(decision.stored()), None).exec(&txn).await?;
            if spent.rows_affected != 1 {
                return Err(link_refused("this link was already used", "link_used"));
            }
            let case: Case = entity::cases::Entity::find_by_id(session.case_id)
                .one(&txn)
                .await?
                .ok_or_else(|| AppError::not_found("link"))?
                .try_into()?;
            let invitation: super::records::Invitation =
                entity::invitations::Entity::find_by_id(p.invitation_id)
                    .one(&txn)
                    .await?
                    .ok_or_else(|| AppError::not_found("link"))?
                    .try_into()?;
            let party = party(&txn, invitation.party_id).await?;
            let (mediator, _) = mediator_of(&txn, session.mediator_id).await?;
            let recipient = invitations::recipients(
                &txn,
                settings,
                vec![invitation],
                std::slice::from_ref(&party),
                &mediator,
            )
            .await?
            .pop()
            .ok_or_else(|| AppError::not_found("party"))?;
            let occasion = Occasion {
                session: &session,
                case: &case,
                mediator: &mediator,
                location: invitations::location(&txn, &session).await?,
            };
            let ics =
                invitations::calendar_of(settings, &occasion, &recipient, Method::DeclineCounter)?;
            let zone = invitations::zone_of(&session);
            if let Ok(address) = EmailAddress::parse(&party.email) {
                emails::send_counter_declined(
                    &txn,
                    settings,
                    (case.id, session.id),
                    Addressee {
                        address: &address,
                        name: &party.name,
                        language: party.language,
                    },
                    CounterDeclined {
                        name: party.name.clone(),
                        court_case_number: case.court_case_number.clone(),
                        starts_local: dates::instant(party.language, session.starts_at, zone, zone),
                        proposed_local: dates::instant(party.language, p.starts_at, zone, zone),
                        party_link: recipient.party_link.clone().unwrap_or_default(),
                    },
                    CalendarPart {
                        method: Method::DeclineCounter,
                        ics,
                    },
                )
                .await?;
            }
            audit::record(
                &txn,
                Entry {
                    case_id: Some(case.id),
                    ..Entry::new(
                        mediator.user_id.map_or(Actor::System, Actor::User),
                        "session.counter_declined",
                        "session",
                        session.id,
                    )
                    .court(Some(case.court_id))
                    .details(serde_json::json!({ "proposed_starts_at": p.starts_at }))
                },
            )
            .await?;
            txn.commit().await?;
        }
    }
    Ok(decision)
}
