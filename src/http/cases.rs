//! Cases: referral, reading, the life cycle, matching and assignment.

use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::auth::Auth;
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::list::{ListParams, ListResponse};
use super::response::created;
use crate::domain::case::{
    CaseCategory, CaseNumber, CaseStatus, LegalCapacity, PartyRole, default_session_format,
};
use crate::domain::iin::IinBin;
use crate::domain::primitives::{self, FreeText, Phone, parse_name};
use crate::domain::{EmailAddress, Language};
use crate::error::{AppError, AppResult, Fields, Problem, checked};
use crate::services::audit::AuditRow;
use crate::services::cases::{self, CaseFilter, CaseRecord, NewCase, NewParty};
use crate::services::page::PageRequest;
use crate::services::records::Case;
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(refer_case, list_cases))
        .routes(routes!(waiting_to_be_scheduled))
        .routes(routes!(get_case))
        .routes(routes!(withdraw_case))
        .routes(routes!(allow_joint_sessions))
        .routes(routes!(case_audit))
        .routes(routes!(case_matches))
        .routes(routes!(propose_mediator))
        .routes(routes!(accept_assignment))
        .routes(routes!(decline_assignment))
}

// ---- input ----------------------------------------------------------------------

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct CaseFlags {
    #[serde(default)]
    pub minors_involved: bool,
    #[serde(default)]
    pub violence_reported: bool,
    #[serde(default)]
    pub interpreter_needed: bool,
    /// A criminal case concerning corruption or crimes against public
    /// service; such cases are refused (Law on Mediation, art. 1).
    #[serde(default)]
    pub corruption_or_public_service: bool,
}

#[derive(Deserialize, ToSchema)]
pub struct PartyInput {
    /// `claimant`, `respondent`, `representative`, `guardian` or `interpreter`.
    pub role: String,
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    /// Kazakh IIN or BIN, 12 digits with a valid control digit.
    pub iin_bin: Option<String>,
    /// `kk`, `ru` or `en`.
    pub language: String,
    #[serde(default)]
    pub is_minor: bool,
    pub accessibility_needs: Option<String>,
    /// `full` (default), `limited` or `incapable`, as declared by a court.
    pub legal_capacity: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct ReferCase {
    pub court_id: Uuid,
    /// The court's own number, e.g. `2-1234/2026`; unique per court.
    pub court_case_number: String,
    /// `civil`, `family`, `labour`, `commercial`, `administrative` or `criminal-minor`.
    pub category: String,
    #[serde(default)]
    pub summary: String,
    /// `kk`, `ru` or `en`.
    pub language: String,
    /// Last day of mediation (`YYYY-MM-DD`), in the court's time zone.
    pub mediation_deadline: NaiveDate,
    #[serde(default)]
    pub flags: CaseFlags,
    pub parties: Vec<PartyInput>,
}

#[derive(Deserialize, ToSchema)]
pub struct Reason {
    pub reason: String,
}

pub const MAX_PARTIES: usize = 20;

fn parse_party(f: &mut Fields, i: usize, p: &PartyInput) -> Option<NewParty> {
    let at = |name: &str| format!("parties[{i}].{name}");
    let role = f.check(&at("role"), p.role.parse::<PartyRole>());
    let name = f.check(&at("name"), parse_name(&p.name, 200));
    let email = f.check(&at("email"), EmailAddress::parse(&p.email));
    let phone = p
        .phone
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|s| f.check(&at("phone"), Phone::parse(s)));
    let iin_bin = p
        .iin_bin
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|s| f.check(&at("iin_bin"), IinBin::parse(s)));
    let language = f.check(&at("language"), p.language.parse::<Language>());
    let accessibility_needs = p
        .accessibility_needs
        .as_deref()
        .map(|s| f.check(&at("accessibility_needs"), FreeText::parse(s, 1000)));
    let legal_capacity = f.check(
        &at("legal_capacity"),
        p.legal_capacity
            .as_deref()
            .map_or(Ok(LegalCapacity::Full), str::parse::<LegalCapacity>),
    );
    Some(NewParty {
        role: role?,
        name: name?,
        email: email?,
        phone: phone.map(|p| p.ok_or(())).transpose().ok()?,
        iin_bin: iin_bin.map(|p| p.ok_or(())).transpose().ok()?,
        language: language?,
        is_minor: p.is_minor,
        accessibility_needs: accessibility_needs
            .map(|p| p.ok_or(()))
            .transpose()
            .ok()?
            .filter(|s| !s.is_empty()),
        legal_capacity: legal_capacity?,
    })
}

/// The one check of a referral, for the API and the referral form alike:
/// every invalid field is named (`parties[1].email`).
pub fn parse_referral(body: &ReferCase) -> AppResult<NewCase> {
    let mut f = Fields::default();
    let number = f.check(
        "court_case_number",
        CaseNumber::parse(&body.court_case_number),
    );
    let category = f.check("category", body.category.parse::<CaseCategory>());
    let summary = f.check("summary", FreeText::parse(&body.summary, 5000));
    let language = f.check("language", body.language.parse::<Language>());
    if body.parties.is_empty() || body.parties.len() > MAX_PARTIES {
        f.push("parties", format!("must list 2 to {MAX_PARTIES} parties"));
    }
    let parties: Vec<Option<NewParty>> = body
        .parties
        .iter()
        .take(MAX_PARTIES)
        .enumerate()
        .map(|(i, p)| parse_party(&mut f, i, p))
        .collect();
    f.finish()?;
    let parties = parties
        .into_iter()
        .map(checked)
        .collect::<AppResult<Vec<_>>>()?;
    Ok(NewCase {
        court_id: body.court_id,
        court_case_number: checked(number)?,
        category: checked(category)?,
        summary: checked(summary)?,
        language: checked(language)?,
        mediation_deadline: body.mediation_deadline,
        minors_involved: body.flags.minors_involved,
        violence_reported: body.flags.violence_reported,
        interpreter_needed: body.flags.interpreter_needed,
        corruption_or_public_service: body.flags.corruption_or_public_service,
        parties,
    })
}

/// The one check of every reason (withdrawal, decline, cancellation).
pub fn parse_reason(raw: &str) -> AppResult<primitives::Reason> {
    primitives::Reason::parse(raw).map_err(|e| AppError::field("reason", e))
}

// ---- output ---------------------------------------------------------------------

#[derive(Serialize, ToSchema)]
pub struct FlagsView {
    pub minors_involved: bool,
    pub violence_reported: bool,
    pub interpreter_needed: bool,
}

#[derive(Serialize, ToSchema)]
pub struct PartyView {
    pub id: Uuid,
    pub role: String,
    pub name: String,
    /// Null, like `phone` and `iin_bin`, for a mediator who has only been
    /// proposed (see `contacts_hidden`).
    pub email: Option<String>,
    pub phone: Option<String>,
    pub iin_bin: Option<String>,
    pub language: String,
    pub is_minor: bool,
    pub accessibility_needs: Option<String>,
    /// When the party confirmed through their link that they take part
    /// voluntarily.
    pub voluntary_confirmed_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct AssignmentView {
    pub mediator_id: Uuid,
    pub mediator_name: String,
    pub registry_number: String,
    /// `proposed`, `accepted`, `declined` or `withdrawn`.
    pub status: String,
    pub chosen_by_parties: bool,
    pub proposed_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub decline_reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CaseView {
    pub id: Uuid,
    pub court_id: Uuid,
    pub court_case_number: String,
    pub category: String,
    pub summary: String,
    pub language: String,
    pub mediation_deadline: NaiveDate,
    pub flags: FlagsView,
    /// The clerk allowed joint sessions although violence was reported.
    pub joint_session_override: bool,
    /// Format a new session gets unless the booking says otherwise.
    pub default_session_format: String,
    pub status: String,
    pub referred_by: Uuid,
    pub parties: Vec<PartyView>,
    /// The parties' email, phone and IIN/BIN are left out: the reader is a
    /// mediator who has been proposed and has not accepted yet.
    pub contacts_hidden: bool,
    pub assignment: Option<AssignmentView>,
    /// Parties who must still confirm voluntary participation before any
    /// session can be booked (violence reported).
    pub awaiting_voluntary_confirmation: Vec<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<CaseRecord> for CaseView {
    fn from(r: CaseRecord) -> Self {
        let awaiting = r
            .awaiting_confirmation()
            .into_iter()
            .map(|p| p.id)
            .collect();
        let c = r.case;
        let hidden = r.contacts_hidden;
        let (mediator_name, registry_number) = r.mediator.unwrap_or_default();
        Self {
            id: c.id,
            court_id: c.court_id,
            court_case_number: c.court_case_number,
            category: c.category.as_str().to_owned(),
            summary: c.summary,
            language: c.language.as_str().to_owned(),
            mediation_deadline: c.mediation_deadline,
            default_session_format: default_session_format(
                c.violence_reported && !c.joint_session_override,
            )
            .as_str()
            .to_owned(),
            flags: FlagsView {
                minors_involved: c.minors_involved,
                violence_reported: c.violence_reported,
                interpreter_needed: c.interpreter_needed,
            },
            joint_session_override: c.joint_session_override,
            status: c.status.as_str().to_owned(),
            referred_by: c.referred_by,
            parties: r
                .parties
                .into_iter()
                .map(|p| PartyView {
                    id: p.id,
                    role: p.role.as_str().to_owned(),
                    name: p.name,
                    email: (!hidden).then_some(p.email),
                    phone: p.phone.filter(|_| !hidden),
                    iin_bin: p.iin_bin.filter(|_| !hidden),
                    language: p.language.as_str().to_owned(),
                    is_minor: p.is_minor,
                    accessibility_needs: p.accessibility_needs,
                    voluntary_confirmed_at: p.voluntary_confirmed_at,
                })
                .collect(),
            contacts_hidden: hidden,
            assignment: r.assignment.map(|a| AssignmentView {
                mediator_id: a.mediator_id,
                mediator_name,
                registry_number,
                status: a.status.as_str().to_owned(),
                chosen_by_parties: a.chosen_by_parties,
                proposed_at: a.proposed_at,
                answered_at: a.answered_at,
                decline_reason: a.decline_reason,
            }),
            awaiting_voluntary_confirmation: awaiting,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// A case in a list: no parties, no summary.
#[derive(Serialize, ToSchema)]
pub struct CaseSummaryView {
    pub id: Uuid,
    pub court_id: Uuid,
    pub court_case_number: String,
    pub category: String,
    pub language: String,
    pub mediation_deadline: NaiveDate,
    pub flags: FlagsView,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

impl From<Case> for CaseSummaryView {
    fn from(c: Case) -> Self {
        Self {
            id: c.id,
            court_id: c.court_id,
            court_case_number: c.court_case_number,
            category: c.category.as_str().to_owned(),
            language: c.language.as_str().to_owned(),
            mediation_deadline: c.mediation_deadline,
            flags: FlagsView {
                minors_involved: c.minors_involved,
                violence_reported: c.violence_reported,
                interpreter_needed: c.interpreter_needed,
            },
            status: c.status.as_str().to_owned(),
            created_at: c.created_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AuditView {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    /// `user`, `party` or `system`.
    pub actor_kind: String,
    pub actor_user_id: Option<Uuid>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<Uuid>,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub details: Option<serde_json::Value>,
}

impl From<AuditRow> for AuditView {
    fn from(a: AuditRow) -> Self {
        Self {
            id: a.id,
            at: a.at,
            actor_kind: a.actor_kind,
            actor_user_id: a.actor_user_id,
            action: a.action,
            entity_type: a.entity_type,
            entity_id: a.entity_id,
            from_state: a.from_state,
            to_state: a.to_state,
            details: a.details,
        }
    }
}

// ---- handlers -------------------------------------------------------------------

/// Refers a case to mediation (a clerk of that court). Every party gets an
/// email with their personal link.
#[utoipa::path(post, path = "/api/v1/cases", tag = "cases", request_body = ReferCase,
    security(("bearer" = [])), responses(
    (status = 201, body = CaseView, headers(("Location" = String))),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "case number already referred", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "invalid fields, or refused by the Law on Mediation (with `reasons`)", body = Problem, content_type = "application/problem+json"),
))]
async fn refer_case(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiJson(body): ApiJson<ReferCase>,
) -> AppResult<impl IntoResponse> {
    let new_case = parse_referral(&body)?;
    let record = cases::refer(&state.db, &state.settings, &caller, new_case).await?;
    let location = format!("/api/v1/cases/{}", record.case.id);
    Ok(created(location, CaseView::from(record)))
}

#[derive(Deserialize, IntoParams)]
pub struct CaseListParams {
    pub court_id: Option<Uuid>,
    /// A case status, e.g. `referred`.
    pub status: Option<String>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// Cases the caller may see, oldest first: all for an admin, their court's
/// for a clerk, those proposed to or accepted by a mediator.
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", params(CaseListParams),
    security(("bearer" = [])), responses(
    (status = 200, body = ListResponse<CaseSummaryView>),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
async fn list_cases(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiQuery(q): ApiQuery<CaseListParams>,
) -> AppResult<Json<ListResponse<CaseSummaryView>>> {
    let status = q
        .status
        .as_deref()
        .map(str::parse::<CaseStatus>)
        .transpose()
        .map_err(|e| AppError::field("status", e))?;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let (items, next) = cases::list(
        &state.db,
        &caller,
        CaseFilter {
            court_id: q.court_id,
            status,
            ..CaseFilter::default()
        },
        page,
    )
    .await?;
    Ok(Json(ListResponse::new(items, next)))
}

/// Accepted cases waiting for their first session, in the order to schedule
/// them: cases with minors first, then the nearest deadline.
#[utoipa::path(get, path = "/api/v1/cases/waiting-to-be-scheduled", tag = "cases",
    security(("bearer" = [])), responses((status = 200, body = ListResponse<CaseSummaryView>)))]
async fn waiting_to_be_scheduled(
    State(state): State<AppState>,
    Auth(caller): Auth,
) -> AppResult<Json<ListResponse<CaseSummaryView>>> {
    let items = cases::waiting_to_be_scheduled(&state.db, &caller).await?;
    Ok(Json(ListResponse::new(items, None)))
}

/// One case with its parties and assignment (the court's clerks, admins, and
/// the mediator proposed or assigned). Each read of the parties' contact
/// data is written to the audit log.
#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases",
    params(("id" = Uuid, Path)), security(("bearer" = [])), responses(
    (status = 200, body = CaseView),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
async fn get_case(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<CaseView>> {
    let record = cases::read(&state.db, &caller, id).await?;
    Ok(Json(CaseView::from(record)))
}

/// Withdraws the referral (a clerk of the court), with a reason.
#[utoipa::path(post, path = "/api/v1/cases/{id}/withdraw", tag = "cases",
    params(("id" = Uuid, Path)), request_body = Reason, security(("bearer" = [])), responses(
    (status = 200, body = CaseView),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
))]
async fn withdraw_case(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<Reason>,
) -> AppResult<Json<CaseView>> {
    let reason = parse_reason(&body.reason)?;
    let record = cases::withdraw(&state.db, &caller, id, reason).await?;
    Ok(Json(record.into()))
}

/// Allows joint sessions on a case where violence was reported (a clerk of
/// the court, with a reason; audited). Without it sessions are separate.
#[utoipa::path(post, path = "/api/v1/cases/{id}/joint-session-override", tag = "cases",
    params(("id" = Uuid, Path)), request_body = Reason, security(("bearer" = [])), responses(
    (status = 200, body = CaseView),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
))]
async fn allow_joint_sessions(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<Reason>,
) -> AppResult<Json<CaseView>> {
    let reason = parse_reason(&body.reason)?;
    let record = cases::allow_joint_sessions(&state.db, &caller, id, reason).await?;
    Ok(Json(record.into()))
}

/// The audit trail of a case, oldest first (admins and the court's clerks).
#[utoipa::path(get, path = "/api/v1/cases/{id}/audit", tag = "cases",
    params(("id" = Uuid, Path), ListParams), security(("bearer" = [])), responses(
    (status = 200, body = ListResponse<AuditView>),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
async fn case_audit(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<ListParams>,
) -> AppResult<Json<ListResponse<AuditView>>> {
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let (items, next) = cases::audit_trail(&state.db, &caller, id, page).await?;
    Ok(Json(ListResponse::new(items, next)))
}

// ---- matching and assignment ------------------------------------------------------

#[derive(Deserialize, IntoParams)]
pub struct MatchParams {
    /// Length of the first session to find a slot for, 15 to 480 (default 60).
    pub duration_minutes: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct MatchesView {
    /// Eligible mediators, best first.
    pub candidates: Vec<crate::domain::matching::Candidate>,
    /// Everyone else, each with the codes of the rules they fail.
    pub excluded: Vec<crate::domain::matching::Excluded>,
    /// Where violence was reported nobody is assigned automatically: the
    /// clerk chooses, and the parties must confirm voluntary participation.
    pub automatic_assignment_allowed: bool,
}

/// Who may mediate the case: the eligible ranked by earliest free slot
/// before the deadline, caseload, recent assignments and registry number,
/// with the score in parts; the rest with the rules they fail (a clerk of the
/// court, or an admin).
#[utoipa::path(get, path = "/api/v1/cases/{id}/matches", tag = "cases",
    params(("id" = Uuid, Path), MatchParams), security(("bearer" = [])), responses(
    (status = 200, body = MatchesView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
async fn case_matches(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<MatchParams>,
) -> AppResult<Json<MatchesView>> {
    Ok(Json(
        matches_view(&state, &caller, id, q.duration_minutes).await?,
    ))
}

/// The matches of a case for the API and the matches page alike.
pub async fn matches_view(
    state: &AppState,
    caller: &crate::services::auth::Caller,
    id: Uuid,
    duration_minutes: Option<i64>,
) -> AppResult<MatchesView> {
    let minutes = duration_minutes.unwrap_or(crate::services::assignments::DEFAULT_SESSION_MINUTES);
    if !(15..=480).contains(&minutes) {
        return Err(AppError::field(
            "duration_minutes",
            "must be between 15 and 480",
        ));
    }
    let record = cases::load_for_court(&state.db, caller, id).await?;
    let violence = record.case.violence_reported;
    let result = crate::services::matching::matches(
        &state.db,
        &state.calendars,
        &state.registry,
        &record,
        crate::services::assignments::rules(&state.settings, minutes),
        crate::db::now(),
    )
    .await?;
    Ok(MatchesView {
        candidates: result.candidates,
        excluded: result.excluded,
        automatic_assignment_allowed: !violence,
    })
}

#[derive(Deserialize, ToSchema)]
pub struct ProposeMediator {
    pub mediator_id: Uuid,
    /// The parties chose this mediator jointly: the ranking gives way, the
    /// hard rules do not.
    #[serde(default)]
    pub chosen_by_parties: bool,
}

/// Proposes a mediator for the case (a clerk of the court). An ineligible
/// mediator is a 409 whose `reasons` are the codes of the rules they fail.
#[utoipa::path(post, path = "/api/v1/cases/{id}/assignment", tag = "cases",
    params(("id" = Uuid, Path)), request_body = ProposeMediator, security(("bearer" = [])), responses(
    (status = 200, body = CaseView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
))]
async fn propose_mediator(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<ProposeMediator>,
) -> AppResult<Json<CaseView>> {
    let record = crate::services::assignments::propose(
        &state.db,
        &state.calendars,
        &state.settings,
        &caller,
        id,
        body.mediator_id,
        body.chosen_by_parties,
    )
    .await?;
    Ok(Json(record.into()))
}

/// The proposed mediator accepts the case.
#[utoipa::path(post, path = "/api/v1/cases/{id}/assignment/accept", tag = "cases",
    params(("id" = Uuid, Path)), security(("bearer" = [])), responses(
    (status = 200, body = CaseView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
))]
async fn accept_assignment(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<CaseView>> {
    let record = crate::services::assignments::answer(
        &state.db,
        &state.settings,
        &caller,
        id,
        crate::services::assignments::Answer::Accept,
    )
    .await?;
    Ok(Json(record.into()))
}

/// The proposed mediator declines the case, with a reason; the case goes
/// back to the clerk.
#[utoipa::path(post, path = "/api/v1/cases/{id}/assignment/decline", tag = "cases",
    params(("id" = Uuid, Path)), request_body = Reason, security(("bearer" = [])), responses(
    (status = 200, body = CaseView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
))]
async fn decline_assignment(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<Reason>,
) -> AppResult<Json<CaseView>> {
    let reason = parse_reason(&body.reason)?;
    let record = crate::services::assignments::answer(
        &state.db,
        &state.settings,
        &caller,
        id,
        crate::services::assignments::Answer::Decline { reason },
    )
    .await?;
    Ok(Json(record.into()))
}
