//! Cases: referral, who may see them, the life cycle, assignment of a
//! mediator, and the safeguards parties act on through their personal link.
//!
//! Rule: every status change goes through [`transition`], which checks it
//! against `domain::case`, writes it with a condition on the old status (so
//! two racing requests cannot both succeed) and records the audit row in the
//! same transaction.

use chrono::NaiveDate;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Set,
};
use uuid::Uuid;

use super::audit::{self, Actor, AuditRow, Entry};
use super::auth::Caller;
use super::emails::{self, Addressee};
use super::links;
use super::page::{self, PageRequest};
use super::records::{self, Assignment, Case, Party};
use crate::config::Settings;
use crate::db::{begin_write, new_id, now};
use crate::domain::TimeZoneName;
use crate::domain::case::{
    self, AssignmentStatus, CaseAction, CaseCategory, CaseNumber, CaseStatus, LegalCapacity,
    PartiesProblem, PartyRole,
};
use crate::domain::iin::IinBin;
use crate::domain::primitives::{FreeText, Phone, Reason};
use crate::domain::{EmailAddress, Language, Role};
use crate::error::{AppError, AppResult, FieldError, unique_violation};
use crate::i18n::dates;
use crate::mail::templates::{CaseReferred, PartyLinkReplaced};

/// A party as given in a referral, already valid.
#[derive(Debug, Clone)]
pub struct NewParty {
    pub role: PartyRole,
    pub name: String,
    pub email: EmailAddress,
    pub phone: Option<Phone>,
    pub iin_bin: Option<IinBin>,
    pub language: Language,
    pub is_minor: bool,
    /// Not empty when given.
    pub accessibility_needs: Option<FreeText>,
    pub legal_capacity: LegalCapacity,
}

/// A referral, already valid field by field; the rules that look at the
/// whole of it are checked by [`refer`].
#[derive(Debug, Clone)]
pub struct NewCase {
    pub court_id: Uuid,
    pub court_case_number: CaseNumber,
    pub category: CaseCategory,
    pub summary: FreeText,
    pub language: Language,
    pub mediation_deadline: NaiveDate,
    pub minors_involved: bool,
    pub violence_reported: bool,
    pub interpreter_needed: bool,
    /// A criminal case concerning corruption or crimes against public
    /// service: excluded from mediation by law.
    pub corruption_or_public_service: bool,
    pub parties: Vec<NewParty>,
}

/// A case with its parties and its current (latest) assignment.
#[derive(Debug, Clone)]
pub struct CaseRecord {
    pub case: Case,
    pub parties: Vec<Party>,
    pub assignment: Option<Assignment>,
    /// Name and registry number of the mediator of that assignment.
    pub mediator: Option<(String, String)>,
    /// The parties' email, phone and IIN/BIN were left out (blank): the
    /// reader is a mediator who has only been proposed.
    pub contacts_hidden: bool,
}

impl CaseRecord {
    /// The mediator who accepted the case, if one has.
    pub fn accepted_mediator(&self) -> Option<Uuid> {
        self.assignment
            .as_ref()
            .filter(|a| a.status == AssignmentStatus::Accepted)
            .map(|a| a.mediator_id)
    }

    /// Principal parties who still have to confirm voluntary participation
    /// before a session of the case can be booked.
    pub fn awaiting_confirmation(&self) -> Vec<&Party> {
        let facts: Vec<(PartyRole, bool)> = self
            .parties
            .iter()
            .map(|p| (p.role, p.voluntary_confirmed_at.is_some()))
            .collect();
        case::awaiting_voluntary_confirmation(self.case.violence_reported, &facts)
            .into_iter()
            .filter_map(|i| self.parties.get(i))
            .collect()
    }
}

/// How far a caller may go with a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseAccess {
    /// Admins, and clerks of the case's court.
    Court,
    /// The mediator proposed for or assigned to the case.
    Mediator(Uuid),
}

/// The URL of a party's personal page.
pub fn party_link(settings: &Settings, token: &str) -> String {
    format!("{}/p/{token}", settings.public_base())
}

/// The URL of a case in the API, for staff emails.
pub fn case_link(settings: &Settings, case_id: Uuid) -> String {
    format!("{}/api/v1/cases/{case_id}", settings.public_base())
}

/// Checks the referral as a whole: both sides, minors with a guardian, and
/// the exclusions of the Law on Mediation (a 422 with `reasons`).
fn check_referral(input: &NewCase) -> AppResult<()> {
    let facts: Vec<case::PartyFacts> = input
        .parties
        .iter()
        .map(|p| case::PartyFacts {
            role: p.role,
            is_minor: p.is_minor,
            legal_capacity: p.legal_capacity,
        })
        .collect();
    let mut errors = Vec::new();
    let mut reasons: Vec<String> = Vec::new();
    if input.corruption_or_public_service {
        reasons.push(
            case::ReferralRefusal::CorruptionOrPublicService
                .as_str()
                .into(),
        );
        errors.push(FieldError::new(
            "flags.corruption_or_public_service",
            "a criminal case concerning corruption or crimes against public service cannot \
             go to mediation (Law on Mediation, art. 1)",
        ));
    }
    for problem in case::check_parties(&facts) {
        let message = problem.to_string();
        match problem {
            PartiesProblem::Refused(i, code) => {
                if !reasons.iter().any(|r| r == code.as_str()) {
                    reasons.push(code.as_str().into());
                }
                errors.push(FieldError::new(
                    format!("parties[{i}].legal_capacity"),
                    message,
                ));
            }
            PartiesProblem::MinorActingForOthers(i) => {
                errors.push(FieldError::new(format!("parties[{i}].is_minor"), message));
            }
            PartiesProblem::MissingSide(_) | PartiesProblem::MinorWithoutGuardian => {
                errors.push(FieldError::new("parties", message));
            }
        }
    }
    if !reasons.is_empty() {
        return Err(AppError::Refused {
            detail: "this case cannot be referred to mediation".into(),
            reasons,
            errors,
        });
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    Ok(())
}

/// Refers a case: the case, its parties (each with a personal link), the
/// audit row and an email to every party, in one transaction.
pub async fn refer(
    db: &DatabaseConnection,
    settings: &Settings,
    caller: &Caller,
    input: NewCase,
) -> AppResult<CaseRecord> {
    if caller.role != Role::Clerk {
        return Err(AppError::Forbidden(
            "only a clerk of the court refers cases".into(),
        ));
    }
    check_referral(&input)?;
    let court = entity::courts::Entity::find_by_id(input.court_id)
        .one(db)
        .await?
        .filter(|c| caller.court_id == Some(c.id))
        .ok_or_else(|| AppError::field("court_id", "is not the court you refer cases for"))?;
    let today = crate::domain::TimeZoneName::parse(&court.timezone)
        .map(|tz| now().with_timezone(&tz.tz()).date_naive())
        .unwrap_or_else(|_| now().date_naive());
    if input.mediation_deadline <= today {
        return Err(AppError::field(
            "mediation_deadline",
            format!("must be after today ({today}) in the court's time zone"),
        ));
    }
    let at = now();
    let id = new_id();
    let minors_involved = input.minors_involved || input.parties.iter().any(|p| p.is_minor);
    let txn = begin_write(db).await?;
    let case = entity::cases::ActiveModel {
        id: Set(id),
        court_id: Set(court.id),
        court_case_number: Set(input.court_case_number.as_str().to_owned()),
        category: Set(input.category.as_str().to_owned()),
        summary: Set(input.summary.into_string()),
        language: Set(input.language.as_str().to_owned()),
        mediation_deadline: Set(input.mediation_deadline),
        minors_involved: Set(minors_involved),
        violence_reported: Set(input.violence_reported),
        interpreter_needed: Set(input.interpreter_needed),
        joint_session_override: Set(false),
        status: Set(CaseStatus::Referred.as_str().to_owned()),
        referred_by: Set(caller.user_id),
        deadline_warned_at: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
        closed_at: Set(None),
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if unique_violation(&e) {
            AppError::conflict_on(
                "court_case_number",
                format!(
                    "case {} of this court has already been referred",
                    input.court_case_number.as_str()
                ),
            )
        } else {
            e.into()
        }
    })?;
    let mut parties = Vec::with_capacity(input.parties.len());
    for p in &input.parties {
        let party_id = new_id();
        let party = entity::parties::ActiveModel {
            id: Set(party_id),
            case_id: Set(id),
            role: Set(p.role.as_str().to_owned()),
            name: Set(p.name.clone()),
            email: Set(p.email.as_str().to_owned()),
            phone: Set(p.phone.as_ref().map(|p| p.as_str().to_owned())),
            iin_bin: Set(p.iin_bin.as_ref().map(|i| i.as_str().to_owned())),
            language: Set(p.language.as_str().to_owned()),
            is_minor: Set(p.is_minor),
            accessibility_needs: Set(p
                .accessibility_needs
                .as_ref()
                .map(|t| t.as_str().to_owned())),
            legal_capacity: Set(p.legal_capacity.as_str().to_owned()),
            represents_party_id: Set(None),
            voluntary_confirmed_at: Set(None),
            link_version: Set(0),
            created_at: Set(at),
        }
        .insert(&txn)
        .await?;
        let party = Party::try_from(party)?;
        let token = links::party_token(&txn, party_id).await?;
        emails::send_case_referred(
            &txn,
            settings,
            id,
            Addressee {
                address: &p.email,
                name: &p.name,
                language: p.language,
            },
            CaseReferred {
                name: p.name.clone(),
                court_name: court.name.clone(),
                court_case_number: case.court_case_number.clone(),
                mediation_deadline: dates::long_date(p.language, case.mediation_deadline),
                party_link: party_link(settings, &token),
                violence_reported: case.violence_reported,
            },
        )
        .await?;
        parties.push(party);
    }
    audit::record(
        &txn,
        Entry {
            case_id: Some(id),
            to_state: Some(CaseStatus::Referred.as_str().into()),
            ..Entry::new(Actor::User(caller.user_id), "case.referred", "case", id)
                .court(Some(court.id))
                .details(serde_json::json!({
                    "parties": parties.len(),
                    "minors_involved": minors_involved,
                    "violence_reported": input.violence_reported,
                }))
        },
    )
    .await?;
    txn.commit().await?;
    Ok(CaseRecord {
        case: case.try_into()?,
        parties,
        assignment: None,
        mediator: None,
        contacts_hidden: false,
    })
}

/// The mediator entry whose login is `user_id`, if any.
pub async fn mediator_of_user<C: ConnectionTrait>(
    db: &C,
    user_id: Uuid,
) -> AppResult<Option<entity::mediators::Model>> {
    Ok(entity::mediators::Entity::find()
        .filter(entity::mediators::Column::UserId.eq(user_id))
        .one(db)
        .await?)
}

async fn latest_assignment<C: ConnectionTrait>(
    db: &C,
    case_id: Uuid,
) -> AppResult<Option<Assignment>> {
    entity::assignments::Entity::find()
        .filter(entity::assignments::Column::CaseId.eq(case_id))
        .order_by_desc(entity::assignments::Column::Id)
        .one(db)
        .await?
        .map(Assignment::try_from)
        .transpose()
}

/// Loads a case with its parties and latest assignment, if `caller` may see
/// it: admins, clerks of its court, and the mediator proposed for or
/// assigned to it. Anyone else gets not found.
pub async fn load_visible<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    id: Uuid,
) -> AppResult<(CaseRecord, CaseAccess)> {
    let not_found = || AppError::not_found("case");
    let case = Case::try_from(
        entity::cases::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or_else(not_found)?,
    )?;
    let assignment = latest_assignment(db, id).await?;
    let mut contacts_hidden = false;
    let access = match caller.role {
        Role::Admin => CaseAccess::Court,
        Role::Clerk if caller.court_id == Some(case.court_id) => CaseAccess::Court,
        Role::Mediator => {
            let mediator = mediator_of_user(db, caller.user_id)
                .await?
                .ok_or_else(not_found)?;
            match &assignment {
                Some(a)
                    if a.mediator_id == mediator.id
                        && AssignmentStatus::HOLDING.contains(&a.status) =>
                {
                    // A mediator who has only been proposed sees who the
                    // parties are (to spot a conflict of interest), not how
                    // to reach them.
                    contacts_hidden = a.status != AssignmentStatus::Accepted;
                    CaseAccess::Mediator(mediator.id)
                }
                _ => return Err(not_found()),
            }
        }
        Role::Clerk => return Err(not_found()),
    };
    let mut parties: Vec<Party> = records::all(
        entity::parties::Entity::find()
            .filter(entity::parties::Column::CaseId.eq(id))
            .order_by_asc(entity::parties::Column::Id)
            .all(db)
            .await?,
    )?;
    if contacts_hidden {
        for p in &mut parties {
            p.email.clear();
            p.phone = None;
            p.iin_bin = None;
        }
    }
    let mediator = match &assignment {
        Some(a) => entity::mediators::Entity::find_by_id(a.mediator_id)
            .one(db)
            .await?
            .map(|m| (m.name, m.registry_number)),
        None => None,
    };
    Ok((
        CaseRecord {
            case,
            parties,
            assignment,
            mediator,
            contacts_hidden,
        },
        access,
    ))
}

/// A case as its reader sees it, with the read written to the audit log:
/// the record holds the parties' contact data, and every read of contact
/// data is audited.
pub async fn read(db: &DatabaseConnection, caller: &Caller, id: Uuid) -> AppResult<CaseRecord> {
    let (record, _) = load_visible(db, caller, id).await?;
    audit_read(db, caller, &record, None).await?;
    Ok(record)
}

/// Writes a `case.read` row for `record` as given to `caller`: every answer
/// that shows the parties' contact data is audited, the answers of changes
/// (`after`, the change's own action) included. A record without contacts
/// was not a read of contact data and is not written.
pub(crate) async fn audit_read<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    record: &CaseRecord,
    after: Option<&str>,
) -> AppResult<()> {
    if record.contacts_hidden && after.is_some() {
        return Ok(());
    }
    let id = record.case.id;
    let mut entry = Entry {
        case_id: Some(id),
        ..Entry::new(Actor::User(caller.user_id), "case.read", "case", id)
            .court(Some(record.case.court_id))
    };
    if let Some(after) = after {
        entry.details = Some(serde_json::json!({ "after": after }));
    }
    audit::record(db, entry).await
}

/// [`load_for_court`] for the answer of a change: the record, its read
/// audited.
async fn answer_for_court(
    db: &DatabaseConnection,
    caller: &Caller,
    id: Uuid,
    after: &str,
) -> AppResult<CaseRecord> {
    let record = load_for_court(db, caller, id).await?;
    audit_read(db, caller, &record, Some(after)).await?;
    Ok(record)
}

/// Like [`load_visible`], but only for admins and clerks of the case's court;
/// the case's mediator gets 403.
pub async fn load_for_court<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    id: Uuid,
) -> AppResult<CaseRecord> {
    match load_visible(db, caller, id).await? {
        (record, CaseAccess::Court) => Ok(record),
        (_, CaseAccess::Mediator(_)) => Err(AppError::Forbidden(
            "only the court's clerks may do this".into(),
        )),
    }
}

/// Like [`load_for_court`], but only a clerk of the court (not an admin):
/// referrals and their decisions are the court's.
async fn load_for_clerk<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    id: Uuid,
) -> AppResult<CaseRecord> {
    let record = load_for_court(db, caller, id).await?;
    if caller.role != Role::Clerk {
        return Err(AppError::Forbidden(
            "only a clerk of the case's court may do this".into(),
        ));
    }
    Ok(record)
}

/// Filters of the case list.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub court_id: Option<Uuid>,
    pub status: Option<CaseStatus>,
    pub category: Option<CaseCategory>,
    /// A part of the court case number (bounded by the caller); `%` and
    /// `_` in it are matched as themselves.
    pub number: Option<String>,
    /// Only cases still under way whose mediation deadline is on or before
    /// this day.
    pub deadline_by: Option<chrono::NaiveDate>,
}

/// `raw` as a `LIKE` pattern matching it anywhere, with the wildcards and
/// the escape character in it taken literally (escape character `\`,
/// named in the statement: SQLite has no default one).
pub fn contains_pattern(raw: &str) -> sea_orm::sea_query::LikeExpr {
    let mut escaped = String::with_capacity(raw.len() + 2);
    escaped.push('%');
    for c in raw.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped.push('%');
    sea_orm::sea_query::LikeExpr::new(escaped).escape('\\')
}

/// Cases the caller may see, oldest first: all for an admin, their court's
/// for a clerk, those proposed to or accepted by a mediator.
pub async fn list(
    db: &DatabaseConnection,
    caller: &Caller,
    filter: CaseFilter,
    page: PageRequest,
) -> AppResult<(Vec<Case>, Option<String>)> {
    use entity::cases::{Column, Entity, Model};
    let mut q = Entity::find();
    match caller.role {
        Role::Admin => {}
        Role::Clerk => {
            let Some(court) = caller.court_id else {
                return Ok((Vec::new(), None));
            };
            q = q.filter(Column::CourtId.eq(court));
        }
        Role::Mediator => {
            let Some(mediator) = mediator_of_user(db, caller.user_id).await? else {
                return Ok((Vec::new(), None));
            };
            let mine = entity::assignments::Entity::find()
                .select_only()
                .column(entity::assignments::Column::CaseId)
                .filter(entity::assignments::Column::MediatorId.eq(mediator.id))
                .filter(
                    entity::assignments::Column::Status
                        .is_in(AssignmentStatus::HOLDING.map(AssignmentStatus::as_str)),
                )
                .into_query();
            q = q.filter(Column::Id.in_subquery(mine));
        }
    }
    if let Some(court) = filter.court_id {
        q = q.filter(Column::CourtId.eq(court));
    }
    if let Some(status) = filter.status {
        q = q.filter(Column::Status.eq(status.as_str()));
    }
    if let Some(category) = filter.category {
        q = q.filter(Column::Category.eq(category.as_str()));
    }
    if let Some(number) = filter.number.as_deref() {
        q = q.filter(Column::CourtCaseNumber.like(contains_pattern(number)));
    }
    if let Some(day) = filter.deadline_by {
        q = q
            .filter(Column::MediationDeadline.lte(day))
            .filter(Column::Status.is_in(case::OPEN_BEFORE_OUTCOME.iter().map(|s| s.as_str())));
    }
    let (rows, next) = page::fetch(db, q, Column::Id, page, |r: &Model| r.id).await?;
    Ok((records::all(rows)?, next))
}

/// How many cases there are in each status.
pub async fn count_by_status(
    db: &DatabaseConnection,
) -> AppResult<std::collections::BTreeMap<String, usize>> {
    use entity::cases::{Column, Entity};
    let statuses: Vec<String> = Entity::find()
        .select_only()
        .column(Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    let mut counts = std::collections::BTreeMap::new();
    for status in statuses {
        *counts.entry(status).or_insert(0) += 1;
    }
    Ok(counts)
}

/// Accepted cases waiting for their first session, in the order they should
/// be scheduled: cases with minors first, then by deadline.
pub async fn waiting_to_be_scheduled(
    db: &DatabaseConnection,
    caller: &Caller,
) -> AppResult<Vec<Case>> {
    use entity::cases::{Column, Entity};
    let mut q = Entity::find().filter(Column::Status.eq(CaseStatus::MediatorAccepted.as_str()));
    match caller.role {
        Role::Admin => {}
        Role::Clerk => q = q.filter(Column::CourtId.eq(caller.court_id.unwrap_or_default())),
        Role::Mediator => {
            let Some(mediator) = mediator_of_user(db, caller.user_id).await? else {
                return Ok(Vec::new());
            };
            let mine = entity::assignments::Entity::find()
                .select_only()
                .column(entity::assignments::Column::CaseId)
                .filter(entity::assignments::Column::MediatorId.eq(mediator.id))
                .filter(entity::assignments::Column::Status.eq(AssignmentStatus::Accepted.as_str()))
                .into_query();
            q = q.filter(Column::Id.in_subquery(mine));
        }
    }
    let mut rows: Vec<Case> = records::all(q.limit(500).all(db).await?)?;
    rows.sort_by_key(|c| {
        (
            case::scheduling_priority(c.minors_involved),
            c.mediation_deadline,
            c.id,
        )
    });
    Ok(rows)
}

/// Moves a case from `from` by `action`, inside `txn`, with its audit row.
/// The update is conditional on the old status, so of two racing requests
/// only one succeeds; the other gets a 409.
pub(crate) async fn transition<C: ConnectionTrait>(
    txn: &C,
    case: &Case,
    action: CaseAction,
    actor: Actor,
    audit_action: &'static str,
    details: Option<serde_json::Value>,
) -> AppResult<CaseStatus> {
    let from = case.status;
    let to = from
        .apply(action)
        .map_err(|e| AppError::conflict_with_reasons(e.to_string(), vec!["case_status".into()]))?;
    let at = now();
    let mut update = entity::cases::Entity::update_many()
        .col_expr(entity::cases::Column::Status, Expr::value(to.as_str()))
        .col_expr(entity::cases::Column::UpdatedAt, Expr::value(at));
    if to.is_final() {
        // Parties' links expire a set time after this.
        update = update.col_expr(entity::cases::Column::ClosedAt, Expr::value(at));
    }
    let res = update
        .filter(entity::cases::Column::Id.eq(case.id))
        .filter(entity::cases::Column::Status.eq(from.as_str()))
        .exec(txn)
        .await?;
    if res.rows_affected == 0 {
        return Err(AppError::conflict_with_reasons(
            "the case changed meanwhile; reload it and try again",
            vec!["case_status".into()],
        ));
    }
    let mut entry = Entry {
        case_id: Some(case.id),
        from_state: Some(from.as_str().into()),
        to_state: Some(to.as_str().into()),
        ..Entry::new(actor, audit_action, "case", case.id).court(Some(case.court_id))
    };
    entry.details = details;
    audit::record(txn, entry).await?;
    Ok(to)
}

/// Withdraws a referral (clerk of the court), with a reason.
pub async fn withdraw(
    db: &DatabaseConnection,
    caller: &Caller,
    id: Uuid,
    reason: Reason,
) -> AppResult<CaseRecord> {
    let record = load_for_clerk(db, caller, id).await?;
    let txn = begin_write(db).await?;
    transition(
        &txn,
        &record.case,
        CaseAction::Withdraw,
        Actor::User(caller.user_id),
        "case.withdrawn",
        Some(serde_json::json!({ "reason": reason.as_str() })),
    )
    .await?;
    entity::assignments::Entity::update_many()
        .col_expr(
            entity::assignments::Column::Status,
            Expr::value(AssignmentStatus::Withdrawn.as_str()),
        )
        .filter(entity::assignments::Column::CaseId.eq(id))
        .filter(entity::assignments::Column::Status.eq(AssignmentStatus::Proposed.as_str()))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    answer_for_court(db, caller, id, "case.withdrawn").await
}

/// Allows joint sessions on a case where violence was reported: the clerk's
/// explicit decision, with a reason, in the audit log.
pub async fn allow_joint_sessions(
    db: &DatabaseConnection,
    caller: &Caller,
    id: Uuid,
    reason: Reason,
) -> AppResult<CaseRecord> {
    let record = load_for_clerk(db, caller, id).await?;
    if !record.case.violence_reported {
        return Err(AppError::conflict_with_reasons(
            "no violence was reported on this case: joint sessions need no override",
            vec!["no_override_needed".into()],
        ));
    }
    if record.case.status.is_final() {
        return Err(AppError::conflict_with_reasons(
            format!("the case is {}", record.case.status),
            vec!["case_status".into()],
        ));
    }
    let txn = begin_write(db).await?;
    entity::cases::Entity::update_many()
        .col_expr(
            entity::cases::Column::JointSessionOverride,
            Expr::value(true),
        )
        .col_expr(entity::cases::Column::UpdatedAt, Expr::value(now()))
        .filter(entity::cases::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        Entry {
            case_id: Some(id),
            ..Entry::new(
                Actor::User(caller.user_id),
                "case.joint_session_override",
                "case",
                id,
            )
            .court(Some(record.case.court_id))
            .details(serde_json::json!({ "reason": reason.as_str() }))
        },
    )
    .await?;
    txn.commit().await?;
    answer_for_court(db, caller, id, "case.joint_session_override").await
}

/// The audit trail of a case, oldest first (admins and the court's clerks).
pub async fn audit_trail(
    db: &DatabaseConnection,
    caller: &Caller,
    id: Uuid,
    page: PageRequest,
) -> AppResult<(Vec<AuditRow>, Option<String>)> {
    load_for_court(db, caller, id).await?;
    use entity::audit_log::{Column, Entity, Model};
    let q = Entity::find().filter(Column::CaseId.eq(id));
    let (rows, next) = page::fetch(db, q, Column::Id, page, |r: &Model| r.id).await?;
    Ok((rows.into_iter().map(AuditRow::from).collect(), next))
}

// ---- parties' personal links ---------------------------------------------------

/// The party holding a live personal link token, with their case. An
/// unknown, replaced or expired link (the set time after the case closed)
/// is the same "not found".
pub async fn party_by_token<C: ConnectionTrait>(
    db: &C,
    settings: &Settings,
    token: &str,
) -> AppResult<(Party, Case)> {
    let not_found = || AppError::not_found("page");
    let party_id = links::party_of(db, token).await?.ok_or_else(not_found)?;
    let (party, case) = entity::parties::Entity::find_by_id(party_id)
        .find_also_related(entity::cases::Entity)
        .one(db)
        .await?
        .and_then(|(p, c)| c.map(|c| (p, c)))
        .ok_or_else(not_found)?;
    let case = Case::try_from(case)?;
    if case::party_link_expired(case.closed_at, settings.party_link_lifetime(), now()) {
        return Err(not_found());
    }
    Ok((party.try_into()?, case))
}

/// A party confirms through their link that they take part voluntarily.
/// Confirming again changes nothing.
pub async fn confirm_voluntary(
    db: &DatabaseConnection,
    settings: &Settings,
    token: &str,
) -> AppResult<Party> {
    let (party, case) = party_by_token(db, settings, token).await?;
    if party.voluntary_confirmed_at.is_some() {
        return Ok(party);
    }
    if case.status.is_final() {
        return Err(AppError::conflict_with_reasons(
            format!("the case is {}", case.status),
            vec!["case_status".into()],
        ));
    }
    let txn = begin_write(db).await?;
    let party = Party {
        voluntary_confirmed_at: Some(now()),
        ..party
    };
    entity::parties::Entity::update_many()
        .col_expr(
            entity::parties::Column::VoluntaryConfirmedAt,
            Expr::value(party.voluntary_confirmed_at),
        )
        .filter(entity::parties::Column::Id.eq(party.id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        Entry {
            case_id: Some(case.id),
            ..Entry::new(
                Actor::Party(party.id),
                "party.voluntary_confirmed",
                "party",
                party.id,
            )
            .court(Some(case.court_id))
        },
    )
    .await?;
    txn.commit().await?;
    Ok(party)
}

/// What a party's own page shows besides their own record.
#[derive(Debug, Clone)]
pub struct PartyPage {
    pub court_name: String,
    /// The court's zone, in which the page shows times.
    pub court_tz: chrono_tz::Tz,
    /// The mediator who accepted the case, once one has.
    pub mediator_name: Option<String>,
}

pub async fn party_view<C: ConnectionTrait>(db: &C, case: &Case) -> AppResult<PartyPage> {
    let court = entity::courts::Entity::find_by_id(case.court_id)
        .one(db)
        .await?;
    let court_tz = court.as_ref().map_or(TimeZoneName::FALLBACK, |c| {
        TimeZoneName::stored(&c.timezone)
    });
    let court_name = court.map(|c| c.name).unwrap_or_default();
    let mediator_name = match latest_assignment(db, case.id).await? {
        Some(a) if a.status == AssignmentStatus::Accepted => {
            entity::mediators::Entity::find_by_id(a.mediator_id)
                .one(db)
                .await?
                .map(|m| m.name)
        }
        _ => None,
    };
    Ok(PartyPage {
        court_name,
        court_tz,
        mediator_name,
    })
}

/// What replacing a party's link did.
#[derive(Debug, Clone)]
pub struct LinkReplaced {
    pub party_id: Uuid,
    /// The party's new link version; links of older versions are dead.
    pub link_version: i32,
    pub replaced_at: chrono::DateTime<chrono::Utc>,
}

/// Replaces a party's personal link (an admin or a clerk of the case's
/// court): every link the party was sent stops working, and the party is
/// emailed a new one. Audited.
pub async fn replace_party_link(
    db: &DatabaseConnection,
    settings: &Settings,
    caller: &Caller,
    party_id: Uuid,
) -> AppResult<LinkReplaced> {
    let not_found = || AppError::not_found("party");
    let party = Party::try_from(
        entity::parties::Entity::find_by_id(party_id)
            .one(db)
            .await?
            .ok_or_else(not_found)?,
    )?;
    let record = load_for_court(db, caller, party.case_id)
        .await
        .map_err(|e| match e {
            AppError::NotFound(_) => not_found(),
            other => other,
        })?;
    let court_name = entity::courts::Entity::find_by_id(record.case.court_id)
        .one(db)
        .await?
        .map(|c| c.name)
        .unwrap_or_default();
    let address = EmailAddress::parse(&party.email)
        .map_err(|e| AppError::internal("reading a party's address", anyhow::anyhow!(e)))?;
    let at = now();
    let txn = begin_write(db).await?;
    let (token, link_version) = links::replace(&txn, party.id).await?;
    emails::send_party_link_replaced(
        &txn,
        settings,
        record.case.id,
        Addressee {
            address: &address,
            name: &party.name,
            language: party.language,
        },
        PartyLinkReplaced {
            name: party.name.clone(),
            court_name,
            court_case_number: record.case.court_case_number.clone(),
            party_link: party_link(settings, &token),
        },
    )
    .await?;
    audit::record(
        &txn,
        Entry {
            case_id: Some(record.case.id),
            ..Entry::new(
                Actor::User(caller.user_id),
                "party.link_replaced",
                "party",
                party.id,
            )
            .court(Some(record.case.court_id))
            .details(serde_json::json!({ "link_version": link_version }))
        },
    )
    .await?;
    txn.commit().await?;
    Ok(LinkReplaced {
        party_id: party.id,
        link_version,
        replaced_at: at,
    })
}
