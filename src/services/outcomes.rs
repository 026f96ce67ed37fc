//! Outcomes of mediation: recording (and correcting) how it ended, the
//! agreement document of a settlement, submission to the court, the
//! court's registration or return, and who may read the terms.
//!
//! Rules a newcomer must not break:
//! - A version is changed only while it is a draft; every write is
//!   conditional on that, so a frozen version (submitted, registered or
//!   returned) refuses every change with a 409, even in a race. A correction
//!   after a return is a new version; the old one keeps its document and
//!   hashes.
//! - Terms are confidential: the assigned mediator and the case's parties
//!   read them; the court's clerks and admins only once submitted. Every
//!   read of terms (JSON, HTML, PDF, a party's download) writes an audit
//!   row. Emails and audit details never carry terms, only their hashes.
//! - The document is rendered once, when the version is written, and
//!   served from the stored bytes with the stored hash.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use super::audit::{self, Actor, Entry};
use super::auth::Caller;
use super::cases::{self, CaseAccess, CaseRecord, case_link, party_link, transition};
use super::emails::{self, Addressee};
use super::records::{Case, Party};
use crate::config::Settings;
use crate::db::{begin_write, new_id, now};
use crate::documents::agreement::{
    self, AgreementError, AgreementInput, AgreementMediator, AgreementParty, AgreementResult,
    AgreementTerm, RenderedAgreement,
};
use crate::domain::case::{CaseAction, PartyRole};
use crate::domain::outcome::{
    self as rules, CaseFacts, OutcomeInput, OutcomeProblem, OutcomeResult, OutcomeStatus,
    Registration, RegistrationDecision, Term,
};
use crate::domain::session::SessionStatus;
use crate::domain::{EmailAddress, Language, Role, TimeZoneName};
use crate::error::{AppError, AppResult, FieldError, stored, unique_violation};
use crate::i18n;
use crate::mail::templates::{OutcomeDecided, OutcomeRegistered, OutcomeSubmitted};

/// One version of a case's outcome (without its document bytes).
#[derive(Debug, Clone)]
pub struct OutcomeVersion {
    pub id: Uuid,
    pub version: i32,
    pub result: OutcomeResult,
    pub status: OutcomeStatus,
    pub terms: Vec<Term>,
    pub signed_on: NaiveDate,
    pub signed_at_place: String,
    pub unresolved: Option<String>,
    /// SHA-256 of the stored HTML and PDF (settlements only).
    pub html_sha256: Option<String>,
    pub pdf_sha256: Option<String>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub court_registration_number: Option<String>,
    pub return_reason: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<Uuid>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<&entity::outcomes::Model> for OutcomeVersion {
    type Error = AppError;
    fn try_from(o: &entity::outcomes::Model) -> AppResult<Self> {
        Ok(Self {
            id: o.id,
            version: o.version,
            result: stored("reading an outcome result", &o.result)?,
            status: stored("reading an outcome status", &o.status)?,
            terms: serde_json::from_value(o.terms.clone())
                .map_err(|e| AppError::internal("reading the terms of an outcome", e))?,
            signed_on: o.signed_on,
            signed_at_place: o.signed_at_place.clone(),
            unresolved: o.unresolved.clone(),
            html_sha256: o.document_sha256.clone(),
            pdf_sha256: o.document_pdf_sha256.clone(),
            submitted_at: o.submitted_at,
            court_registration_number: o.court_registration_number.clone(),
            return_reason: o.return_reason.clone(),
            decided_at: o.decided_at,
            decided_by: o.decided_by,
            created_by: o.created_by,
            created_at: o.created_at,
        })
    }
}

/// A case's outcome as one reader may see it: the current version and the
/// versions before it, oldest first (the current one last).
#[derive(Debug, Clone)]
pub struct OutcomeRecord {
    pub case: Case,
    pub current: OutcomeVersion,
    pub versions: Vec<OutcomeVersion>,
}

/// The formats in which terms are read (for the audit log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentFormat {
    Html,
    Pdf,
}

impl DocumentFormat {
    fn as_str(self) -> &'static str {
        match self {
            DocumentFormat::Html => "html",
            DocumentFormat::Pdf => "pdf",
        }
    }
}

/// A stored agreement document, as served.
#[derive(Debug, Clone)]
pub struct Document {
    pub bytes: Vec<u8>,
    /// The SHA-256 stored with the version.
    pub sha256: String,
    pub format: DocumentFormat,
    /// `agreement-2-1234-2026-v1.pdf`
    pub filename: String,
}

// ---- reading --------------------------------------------------------------------

async fn versions_of<C: ConnectionTrait>(
    db: &C,
    case_id: Uuid,
) -> AppResult<Vec<entity::outcomes::Model>> {
    Ok(entity::outcomes::Entity::find()
        .filter(entity::outcomes::Column::CaseId.eq(case_id))
        .order_by_asc(entity::outcomes::Column::Version)
        .all(db)
        .await?)
}

/// Who is reading: the case's mediator sees every version, the court only
/// what has been submitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reader {
    Mediator,
    Court,
}

/// The case if `caller` may read its outcome, and as whom.
async fn reader<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    case_id: Uuid,
) -> AppResult<(CaseRecord, Reader)> {
    let (record, access) = cases::load_visible(db, caller, case_id).await?;
    let reader = match access {
        CaseAccess::Mediator(m) if record.accepted_mediator() == Some(m) => Reader::Mediator,
        CaseAccess::Mediator(_) => {
            return Err(AppError::Forbidden(
                "only the mediator who accepted the case reads its outcome".into(),
            ));
        }
        CaseAccess::Court => Reader::Court,
    };
    Ok((record, reader))
}

/// The versions `reader` may see, oldest first; a 404 when there is no
/// outcome, a 403 when the court asks before submission.
fn visible_versions(
    rows: &[entity::outcomes::Model],
    reader: Reader,
) -> AppResult<Vec<&entity::outcomes::Model>> {
    if rows.is_empty() {
        return Err(AppError::not_found("outcome"));
    }
    let seen: Vec<&entity::outcomes::Model> = match reader {
        Reader::Mediator => rows.iter().collect(),
        Reader::Court => rows.iter().filter(|o| o.submitted_at.is_some()).collect(),
    };
    if seen.is_empty() {
        return Err(AppError::Forbidden(
            "the outcome is confidential until the mediator submits it to the court".into(),
        ));
    }
    Ok(seen)
}

fn record_of(case: Case, rows: &[&entity::outcomes::Model]) -> AppResult<OutcomeRecord> {
    let versions = rows
        .iter()
        .map(|o| OutcomeVersion::try_from(*o))
        .collect::<AppResult<Vec<_>>>()?;
    let current = versions
        .last()
        .cloned()
        .ok_or_else(|| AppError::not_found("outcome"))?;
    Ok(OutcomeRecord {
        case,
        current,
        versions,
    })
}

async fn audit_read<C: ConnectionTrait>(
    db: &C,
    actor: Actor,
    case: &Case,
    version: &entity::outcomes::Model,
    format: &'static str,
) -> AppResult<()> {
    audit_read_of(db, actor, case, version.id, version.version, format).await
}

/// A read of the terms of version `number` (row `id`) of `case`'s outcome.
async fn audit_read_of<C: ConnectionTrait>(
    db: &C,
    actor: Actor,
    case: &Case,
    id: Uuid,
    number: i32,
    format: &'static str,
) -> AppResult<()> {
    audit::record(
        db,
        Entry {
            case_id: Some(case.id),
            ..Entry::new(actor, "outcome.read", "outcome", id)
                .court(Some(case.court_id))
                .details(serde_json::json!({ "version": number, "format": format }))
        },
    )
    .await
}

/// The outcome of a case with its terms, as `caller` may see it; the read
/// is audited.
pub async fn read(
    db: &DatabaseConnection,
    caller: &Caller,
    case_id: Uuid,
) -> AppResult<OutcomeRecord> {
    let (record, reader) = reader(db, caller, case_id).await?;
    let rows = versions_of(db, case_id).await?;
    let seen = visible_versions(&rows, reader)?;
    let outcome = record_of(record.case, &seen)?;
    if let Some(current) = seen.last() {
        audit_read(
            db,
            Actor::User(caller.user_id),
            &outcome.case,
            current,
            "json",
        )
        .await?;
    }
    Ok(outcome)
}

fn filename(case: &Case, version: i32, format: DocumentFormat) -> String {
    let slug: String = case
        .court_case_number
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("agreement-{slug}-v{version}.{}", format.as_str())
}

fn document_of(
    case: &Case,
    row: &entity::outcomes::Model,
    format: DocumentFormat,
) -> AppResult<Document> {
    let no_document = || AppError::not_found("document");
    let (bytes, sha256) = match format {
        DocumentFormat::Html => (
            row.document_html.clone().map(String::into_bytes),
            row.document_sha256.clone(),
        ),
        DocumentFormat::Pdf => (row.document_pdf.clone(), row.document_pdf_sha256.clone()),
    };
    Ok(Document {
        bytes: bytes.ok_or_else(no_document)?,
        sha256: sha256.ok_or_else(no_document)?,
        format,
        filename: filename(case, row.version, format),
    })
}

/// The agreement document of a case (its current version, or `version`),
/// as `caller` may see it; the read is audited.
pub async fn document(
    db: &DatabaseConnection,
    caller: &Caller,
    case_id: Uuid,
    version: Option<i32>,
    format: DocumentFormat,
) -> AppResult<Document> {
    let (record, reader) = reader(db, caller, case_id).await?;
    let rows = versions_of(db, case_id).await?;
    let seen = visible_versions(&rows, reader)?;
    let row = match version {
        Some(n) => seen.iter().find(|o| o.version == n),
        None => seen.last(),
    }
    .ok_or_else(|| AppError::not_found("outcome version"))?;
    let document = document_of(&record.case, row, format)?;
    audit_read(
        db,
        Actor::User(caller.user_id),
        &record.case,
        row,
        format.as_str(),
    )
    .await?;
    Ok(document)
}

/// What a party's page shows of the outcome (no terms).
#[derive(Debug, Clone)]
pub struct PartyOutcome {
    pub version: i32,
    pub result: OutcomeResult,
    pub status: OutcomeStatus,
    pub court_registration_number: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    /// Whether the party can download the agreement: a settlement submitted
    /// to the court (and not returned).
    pub document: bool,
}

/// The version a party may download: the current one, once submitted to
/// the court and not returned. A draft may still change, and a returned
/// version is not what the court holds.
fn downloadable(row: &entity::outcomes::Model) -> bool {
    (row.status == OutcomeStatus::Submitted.as_str()
        || row.status == OutcomeStatus::Registered.as_str())
        && row.document_pdf.is_some()
}

/// The outcome as a party's page shows it, if one has been recorded.
pub async fn for_party<C: ConnectionTrait>(db: &C, case: &Case) -> AppResult<Option<PartyOutcome>> {
    let rows = versions_of(db, case.id).await?;
    let Some(row) = rows.last() else {
        return Ok(None);
    };
    let v = OutcomeVersion::try_from(row)?;
    Ok(Some(PartyOutcome {
        version: v.version,
        result: v.result,
        status: v.status,
        court_registration_number: v.court_registration_number,
        decided_at: v.decided_at,
        document: downloadable(row),
    }))
}

/// The agreement for the party holding `token`; the read is audited.
pub async fn party_document(
    db: &DatabaseConnection,
    settings: &Settings,
    token: &str,
    format: DocumentFormat,
) -> AppResult<Document> {
    let (party, case) = cases::party_by_token(db, settings, token).await?;
    let rows = versions_of(db, case.id).await?;
    let row = rows
        .last()
        .filter(|r| downloadable(r))
        .ok_or_else(|| AppError::not_found("document"))?;
    let document = document_of(&case, row, format)?;
    audit_read(db, Actor::Party(party.id), &case, row, format.as_str()).await?;
    Ok(document)
}

// ---- recording ------------------------------------------------------------------

/// The case if `caller` is the mediator who accepted it.
async fn as_mediator(
    db: &DatabaseConnection,
    caller: &Caller,
    case_id: Uuid,
    verb: &str,
) -> AppResult<CaseRecord> {
    match reader(db, caller, case_id).await? {
        (record, Reader::Mediator) => Ok(record),
        (_, Reader::Court) => Err(AppError::Forbidden(format!(
            "only the case's mediator {verb}"
        ))),
    }
}

fn frozen(row: &entity::outcomes::Model) -> AppError {
    AppError::conflict_with_reasons(
        format!(
            "version {} of the outcome is {} and can no longer change",
            row.version, row.status
        ),
        vec!["outcome_frozen".into()],
    )
}

async fn court_of<C: ConnectionTrait>(db: &C, case: &Case) -> AppResult<entity::courts::Model> {
    entity::courts::Entity::find_by_id(case.court_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("court"))
}

/// The agreement's parties in the order the document lists them (claimants,
/// respondents, then those who act for them), with each party's index.
fn agreement_parties(parties: &[Party]) -> (Vec<AgreementParty>, Vec<Uuid>) {
    let rank = |r: PartyRole| match r {
        PartyRole::Claimant => 0,
        PartyRole::Respondent => 1,
        PartyRole::Guardian => 2,
        PartyRole::Representative => 3,
        PartyRole::Interpreter => 4,
    };
    let mut ordered: Vec<&Party> = parties.iter().collect();
    ordered.sort_by_key(|p| (rank(p.role), p.id));
    let ids: Vec<Uuid> = ordered.iter().map(|p| p.id).collect();
    let index = |role: PartyRole, minor: Option<bool>| {
        ordered
            .iter()
            .position(|p| p.role == role && minor.is_none_or(|m| p.is_minor == m))
    };
    // A referral does not say whom a guardian, representative or
    // interpreter acts for: a guardian acts for the minor, the others for
    // the first claimant (the document names them next to that party).
    let minor = index(PartyRole::Claimant, Some(true)).or(index(PartyRole::Respondent, Some(true)));
    let claimant = index(PartyRole::Claimant, None).or(index(PartyRole::Respondent, None));
    let list = ordered
        .iter()
        .map(|p| AgreementParty {
            role: p.role,
            name: p.name.clone(),
            minor: p.is_minor,
            acts_for: match p.role {
                PartyRole::Claimant | PartyRole::Respondent => None,
                PartyRole::Guardian => minor.or(claimant),
                PartyRole::Representative | PartyRole::Interpreter => claimant,
            },
        })
        .collect();
    (list, ids)
}

/// Everything the agreement of `outcome` shows, from the case.
pub fn agreement_input(
    record: &CaseRecord,
    court_name: &str,
    version: i32,
    outcome: &rules::Outcome,
) -> AppResult<AgreementInput> {
    let case = &record.case;
    let (parties, ids) = agreement_parties(&record.parties);
    let (mediator_name, registry_number) = record
        .mediator
        .clone()
        .ok_or_else(|| AppError::conflict("the case has no mediator"))?;
    let result = match outcome.result {
        OutcomeResult::PartiallySettled => AgreementResult::PartiallySettled {
            unresolved: outcome
                .unresolved
                .clone()
                .unwrap_or_else(|| rules::default_unresolved(case.language).to_owned()),
        },
        _ => AgreementResult::Settled,
    };
    let subject = if case.summary.trim().is_empty() {
        case.court_case_number.clone()
    } else {
        case.summary.clone()
    };
    Ok(AgreementInput {
        language: case.language,
        version: u32::try_from(version).unwrap_or(0),
        court_name: court_name.to_owned(),
        case_number: case.court_case_number.clone(),
        category: case.category,
        subject,
        parties,
        mediator: AgreementMediator {
            name: mediator_name,
            registry_number,
        },
        result,
        terms: outcome
            .terms
            .iter()
            .map(|t| AgreementTerm {
                text: t.text.clone(),
                due_on: t.due_date,
                owed_by: t
                    .owed_by_party_id
                    .and_then(|p| ids.iter().position(|i| *i == p)),
            })
            .collect(),
        signed_on: outcome.signed_on,
        signing_place: outcome.signed_at_place.clone(),
    })
}

/// The agreement's field names are the document's; a request names them
/// as the outcome endpoint does.
fn request_field(field: String) -> String {
    if field == "signing_place" {
        return "signed_at_place".into();
    }
    if field == "result.unresolved" {
        return "unresolved".into();
    }
    if let Some(rest) = field.strip_prefix("terms[") {
        if let Some(i) = rest.strip_suffix("].due_on") {
            return format!("terms[{i}].due_date");
        }
        if let Some(i) = rest.strip_suffix("].owed_by") {
            return format!("terms[{i}].owed_by_party_id");
        }
    }
    field
}

/// Renders the agreement off the async threads (Typst takes tens of
/// milliseconds).
async fn render(input: AgreementInput) -> AppResult<RenderedAgreement> {
    tokio::task::spawn_blocking(move || agreement::render(&input))
        .await
        .map_err(|e| AppError::internal("rendering the agreement", e))?
        .map_err(|e| match e {
            AgreementError::Invalid(fields) => AppError::Validation(
                fields
                    .into_iter()
                    .map(|f| FieldError::new(request_field(f.field), f.message))
                    .collect(),
            ),
            other => other.into(),
        })
}

/// Today in the court's zone.
fn court_today(court: &entity::courts::Model, at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&TimeZoneName::stored(&court.timezone))
        .date_naive()
}

/// Records the outcome of a case (the mediator who accepted it), or
/// corrects the draft not yet submitted; after a return from court, the
/// correction is a new version. `at` is the request's time (the demo
/// passes the time it plays): the signing date may not be after its day.
/// Returns the outcome and whether a new version was made.
pub async fn record(
    db: &DatabaseConnection,
    caller: &Caller,
    case_id: Uuid,
    input: OutcomeInput,
    at: DateTime<Utc>,
) -> AppResult<(OutcomeRecord, bool)> {
    let record = as_mediator(db, caller, case_id, "records its outcome").await?;
    let case = &record.case;
    let rows = versions_of(db, case_id).await?;
    let latest = rows.last();
    let (action, version, replaces) = match latest {
        None => (CaseAction::RecordOutcome, 1, None),
        Some(row) if row.status == OutcomeStatus::Draft.as_str() => {
            (CaseAction::CorrectOutcome, row.version, Some(row.id))
        }
        Some(row) if row.status == OutcomeStatus::Returned.as_str() => {
            (CaseAction::RecordOutcome, row.version + 1, None)
        }
        Some(row) => return Err(frozen(row)),
    };
    case.status
        .apply(action)
        .map_err(|e| AppError::conflict_with_reasons(e.to_string(), vec!["case_status".into()]))?;

    let held = entity::sessions::Entity::find()
        .filter(entity::sessions::Column::CaseId.eq(case_id))
        .filter(entity::sessions::Column::Status.eq(SessionStatus::Held.as_str()))
        .count(db)
        .await?;
    let court = court_of(db, case).await?;
    let principals: Vec<Uuid> = record
        .parties
        .iter()
        .filter(|p| p.role.is_principal())
        .map(|p| p.id)
        .collect();
    let outcome = rules::check(
        &input,
        CaseFacts {
            held_sessions: usize::try_from(held).unwrap_or(usize::MAX),
            principal_party_ids: &principals,
            today: court_today(&court, at),
        },
    )
    .map_err(|p| match p {
        OutcomeProblem::Fields(errors) => AppError::Validation(errors),
        OutcomeProblem::ResultNotAllowed { code, message } => AppError::Refused {
            detail: message.clone(),
            reasons: vec![code.into()],
            errors: vec![FieldError::new("result", message)],
        },
    })?;
    let rendered = if outcome.result.is_agreement() {
        Some(render(agreement_input(&record, &court.name, version, &outcome)?).await?)
    } else {
        None
    };

    let terms = serde_json::to_value(&outcome.terms)
        .map_err(|e| AppError::internal("storing the terms", e))?;
    let written_at = now();
    let txn = begin_write(db).await?;
    let id = match replaces {
        Some(id) => {
            use entity::outcomes::{Column, Entity};
            let res = Entity::update_many()
                .col_expr(Column::Result, Expr::value(outcome.result.as_str()))
                .col_expr(Column::Terms, Expr::value(terms))
                .col_expr(Column::SignedOn, Expr::value(outcome.signed_on))
                .col_expr(
                    Column::SignedAtPlace,
                    Expr::value(outcome.signed_at_place.clone()),
                )
                .col_expr(Column::Unresolved, Expr::value(outcome.unresolved.clone()))
                .col_expr(
                    Column::DocumentHtml,
                    Expr::value(rendered.as_ref().map(|r| r.html.clone())),
                )
                .col_expr(
                    Column::DocumentSha256,
                    Expr::value(rendered.as_ref().map(|r| r.html_sha256.clone())),
                )
                .col_expr(
                    Column::DocumentPdf,
                    Expr::value(rendered.as_ref().map(|r| r.pdf.clone())),
                )
                .col_expr(
                    Column::DocumentPdfSha256,
                    Expr::value(rendered.as_ref().map(|r| r.pdf_sha256.clone())),
                )
                .filter(Column::Id.eq(id))
                .filter(Column::Status.eq(OutcomeStatus::Draft.as_str()))
                .exec(&txn)
                .await?;
            if res.rows_affected == 0 {
                return Err(AppError::conflict_with_reasons(
                    "the outcome was submitted meanwhile and can no longer change",
                    vec!["outcome_frozen".into()],
                ));
            }
            id
        }
        None => {
            let id = new_id();
            entity::outcomes::ActiveModel {
                id: Set(id),
                case_id: Set(case_id),
                version: Set(version),
                result: Set(outcome.result.as_str().to_owned()),
                terms: Set(terms),
                signed_on: Set(outcome.signed_on),
                signed_at_place: Set(outcome.signed_at_place.clone()),
                document_html: Set(rendered.as_ref().map(|r| r.html.clone())),
                document_sha256: Set(rendered.as_ref().map(|r| r.html_sha256.clone())),
                status: Set(OutcomeStatus::Draft.as_str().to_owned()),
                submitted_at: Set(None),
                court_registration_number: Set(None),
                return_reason: Set(None),
                decided_at: Set(None),
                decided_by: Set(None),
                created_by: Set(Some(caller.user_id)),
                created_at: Set(written_at),
                document_pdf: Set(rendered.as_ref().map(|r| r.pdf.clone())),
                document_pdf_sha256: Set(rendered.as_ref().map(|r| r.pdf_sha256.clone())),
                unresolved: Set(outcome.unresolved.clone()),
            }
            .insert(&txn)
            .await
            .map_err(|e| {
                if unique_violation(&e) {
                    AppError::conflict_with_reasons(
                        "the outcome changed meanwhile; reload it and try again",
                        vec!["outcome_frozen".into()],
                    )
                } else {
                    e.into()
                }
            })?;
            id
        }
    };
    let audit_action = if replaces.is_some() {
        "outcome.corrected"
    } else {
        "outcome.recorded"
    };
    transition(
        &txn,
        case,
        action,
        Actor::User(caller.user_id),
        audit_action,
        Some(serde_json::json!({
            "outcome_id": id,
            "version": version,
            "result": outcome.result.as_str(),
            "terms": outcome.terms.len(),
            "html_sha256": rendered.as_ref().map(|r| r.html_sha256.clone()),
            "pdf_sha256": rendered.as_ref().map(|r| r.pdf_sha256.clone()),
        })),
    )
    .await?;
    // The answer carries the terms back to the mediator: a read, audited
    // like every other, in the transaction that wrote them.
    audit_read_of(&txn, Actor::User(caller.user_id), case, id, version, "json").await?;
    txn.commit().await?;
    let (record, _) = cases::load_visible(db, caller, case_id).await?;
    let rows = versions_of(db, case_id).await?;
    let all: Vec<&entity::outcomes::Model> = rows.iter().collect();
    Ok((record_of(record.case, &all)?, replaces.is_none()))
}

/// The mediator submits the current draft to the court: the version is
/// frozen, the case is `submitted_to_court`, and every clerk of the court
/// is emailed.
pub async fn submit(
    db: &DatabaseConnection,
    settings: &Settings,
    caller: &Caller,
    case_id: Uuid,
) -> AppResult<OutcomeRecord> {
    let record = as_mediator(db, caller, case_id, "submits its outcome").await?;
    let case = &record.case;
    let rows = versions_of(db, case_id).await?;
    let row = rows.last().ok_or_else(|| {
        AppError::conflict_with_reasons(
            "no outcome has been recorded yet",
            vec!["no_outcome".into()],
        )
    })?;
    if row.status != OutcomeStatus::Draft.as_str() {
        return Err(frozen(row));
    }
    let court = court_of(db, case).await?;
    let clerks = entity::users::Entity::find()
        .filter(entity::users::Column::Role.eq(Role::Clerk.as_str()))
        .filter(entity::users::Column::CourtId.eq(case.court_id))
        .filter(entity::users::Column::Active.eq(true))
        .order_by_asc(entity::users::Column::Id)
        .all(db)
        .await?;
    let result: OutcomeResult = stored("reading an outcome result", &row.result)?;
    let mediator_name = record
        .mediator
        .as_ref()
        .map(|(n, _)| n.clone())
        .unwrap_or_default();
    let at = now();
    let today = court_today(&court, at);

    let txn = begin_write(db).await?;
    {
        use entity::outcomes::{Column, Entity};
        let res = Entity::update_many()
            .col_expr(
                Column::Status,
                Expr::value(OutcomeStatus::Submitted.as_str()),
            )
            .col_expr(Column::SubmittedAt, Expr::value(Some(at)))
            .filter(Column::Id.eq(row.id))
            .filter(Column::Status.eq(OutcomeStatus::Draft.as_str()))
            .exec(&txn)
            .await?;
        if res.rows_affected == 0 {
            return Err(frozen(row));
        }
    }
    transition(
        &txn,
        case,
        CaseAction::Submit,
        Actor::User(caller.user_id),
        "outcome.submitted",
        Some(serde_json::json!({
            "outcome_id": row.id,
            "version": row.version,
            "html_sha256": row.document_sha256,
            "pdf_sha256": row.document_pdf_sha256,
        })),
    )
    .await?;
    for clerk in &clerks {
        let Ok(address) = EmailAddress::parse(&clerk.email) else {
            continue;
        };
        let language = Language::stored(&clerk.language);
        emails::send_outcome_submitted(
            &txn,
            settings,
            case_id,
            Addressee {
                address: &address,
                name: &clerk.name,
                language,
            },
            OutcomeSubmitted {
                name: clerk.name.clone(),
                court_case_number: case.court_case_number.clone(),
                mediator_name: mediator_name.clone(),
                result: i18n::outcomes::result(language, result).to_owned(),
                version: row.version,
                submitted_on: i18n::dates::long_date(language, today),
                case_link: case_link(settings, case_id),
            },
        )
        .await?;
    }
    // The answer carries the terms back to the mediator: audited as a read.
    audit_read(&txn, Actor::User(caller.user_id), case, row, "json").await?;
    txn.commit().await?;
    let rows = versions_of(db, case_id).await?;
    let all: Vec<&entity::outcomes::Model> = rows.iter().collect();
    let case = cases::load_visible(db, caller, case_id).await?.0.case;
    record_of(case, &all)
}

/// A clerk of the referring court registers the submitted agreement (with
/// the court's number) or returns it for correction (with a reason). The
/// mediator is emailed either way; on registration every party is emailed a
/// link to their page (no terms in the email).
pub async fn decide(
    db: &DatabaseConnection,
    settings: &Settings,
    caller: &Caller,
    case_id: Uuid,
    decision: RegistrationDecision,
    number: Option<&str>,
    reason: Option<&str>,
) -> AppResult<OutcomeRecord> {
    let record = cases::load_for_court(db, caller, case_id).await?;
    if caller.role != Role::Clerk {
        return Err(AppError::Forbidden(
            "only a clerk of the case's court registers or returns an agreement".into(),
        ));
    }
    let case = &record.case;
    let rows = versions_of(db, case_id).await?;
    let row = rows.last().ok_or_else(|| AppError::not_found("outcome"))?;
    if row.status != OutcomeStatus::Submitted.as_str() {
        return Err(if row.status == OutcomeStatus::Draft.as_str() {
            AppError::conflict_with_reasons(
                "the outcome has not been submitted to the court",
                vec!["outcome_not_submitted".into()],
            )
        } else {
            frozen(row)
        });
    }
    let decision =
        rules::check_registration(decision, number, reason).map_err(AppError::Validation)?;
    let court = court_of(db, case).await?;
    let mediator = match record.accepted_mediator() {
        Some(m) => entity::mediators::Entity::find_by_id(m).one(db).await?,
        None => None,
    };
    let mediator_language = match mediator.as_ref().and_then(|m| m.user_id) {
        Some(user) => entity::users::Entity::find_by_id(user)
            .one(db)
            .await?
            .map_or(case.language, |u| Language::stored(&u.language)),
        None => case.language,
    };
    let at = now();
    let today = court_today(&court, at);
    let (status, action, audit_action, number, reason) = match &decision {
        Registration::Registered { number } => (
            OutcomeStatus::Registered,
            CaseAction::Register,
            "outcome.registered",
            Some(number.clone()),
            None,
        ),
        Registration::Returned { reason } => (
            OutcomeStatus::Returned,
            CaseAction::Return,
            "outcome.returned",
            None,
            Some(reason.as_str().to_owned()),
        ),
    };

    let txn = begin_write(db).await?;
    {
        use entity::outcomes::{Column, Entity};
        let res = Entity::update_many()
            .col_expr(Column::Status, Expr::value(status.as_str()))
            .col_expr(Column::CourtRegistrationNumber, Expr::value(number.clone()))
            .col_expr(Column::ReturnReason, Expr::value(reason.clone()))
            .col_expr(Column::DecidedAt, Expr::value(Some(at)))
            .col_expr(Column::DecidedBy, Expr::value(Some(caller.user_id)))
            .filter(Column::Id.eq(row.id))
            .filter(Column::Status.eq(OutcomeStatus::Submitted.as_str()))
            .exec(&txn)
            .await?;
        if res.rows_affected == 0 {
            return Err(frozen(row));
        }
    }
    transition(
        &txn,
        case,
        action,
        Actor::User(caller.user_id),
        audit_action,
        Some(serde_json::json!({
            "outcome_id": row.id,
            "version": row.version,
            "court_registration_number": number,
            "reason": reason,
        })),
    )
    .await?;
    // The answer carries the terms: the clerk reads them, and every read of
    // terms is audited, in the transaction of the decision it answers.
    audit_read(&txn, Actor::User(caller.user_id), case, row, "json").await?;
    if let Some(m) = &mediator
        && let Ok(address) = EmailAddress::parse(&m.email)
    {
        emails::send_outcome_decided(
            &txn,
            settings,
            case_id,
            Addressee {
                address: &address,
                name: &m.name,
                language: mediator_language,
            },
            OutcomeDecided {
                name: m.name.clone(),
                court_case_number: case.court_case_number.clone(),
                registered: status == OutcomeStatus::Registered,
                court_registration_number: number.clone().unwrap_or_default(),
                reason: reason.clone().unwrap_or_default(),
                version: row.version,
                decided_on: i18n::dates::long_date(mediator_language, today),
                case_link: case_link(settings, case_id),
            },
        )
        .await?;
    }
    if let Some(number) = &number {
        for party in &record.parties {
            let Ok(address) = EmailAddress::parse(&party.email) else {
                continue;
            };
            let token = super::links::party_token(&txn, party.id).await?;
            emails::send_outcome_registered(
                &txn,
                settings,
                case_id,
                Addressee {
                    address: &address,
                    name: &party.name,
                    language: party.language,
                },
                OutcomeRegistered {
                    name: party.name.clone(),
                    court_name: court.name.clone(),
                    court_case_number: case.court_case_number.clone(),
                    court_registration_number: number.clone(),
                    decided_on: i18n::dates::long_date(party.language, today),
                    party_link: party_link(settings, &token),
                },
            )
            .await?;
        }
    }
    txn.commit().await?;
    let rows = versions_of(db, case_id).await?;
    let seen = visible_versions(&rows, Reader::Court)?;
    let case = cases::load_for_court(db, caller, case_id).await?.case;
    record_of(case, &seen)
}
