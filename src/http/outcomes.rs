//! Outcomes of a case: recording and correcting, reading (with every
//! version's hashes), the agreement document, submission and the court's
//! decision.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::auth::Auth;
use super::extract::{ApiJson, ApiPath, ApiQuery};
use crate::domain::outcome::{self, OutcomeInput, OutcomeResult, RegistrationDecision, TermInput};
use crate::error::{AppError, AppResult, Fields, Problem};
use crate::services::outcomes::{self, Document, DocumentFormat, OutcomeRecord, OutcomeVersion};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(record_outcome, get_outcome))
        .routes(routes!(outcome_pdf))
        .routes(routes!(outcome_html))
        .routes(routes!(submit_outcome))
        .routes(routes!(register_outcome))
}

// ---- input ----------------------------------------------------------------------

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TermBody {
    /// What is to be done: 1 to 4,000 characters, at most 60 line breaks.
    pub text: String,
    /// The last day for performing it; not before `signed_on`.
    pub due_date: Option<NaiveDate>,
    /// The claimant or respondent who owes it; jointly when absent.
    pub owed_by_party_id: Option<Uuid>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutcomeBody {
    /// `settled`, `partially_settled`, `not_settled` or `withdrawn`.
    pub result: String,
    /// 1 to 100 terms for a settlement; none otherwise.
    #[serde(default)]
    pub terms: Vec<TermBody>,
    /// Not in the future (the court's date).
    pub signed_on: NaiveDate,
    /// 1 to 300 characters, one line.
    pub signed_at_place: String,
    /// A partial settlement: what stays with the court (a standard sentence
    /// when absent).
    pub unresolved: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrationBody {
    /// `registered` or `returned`.
    pub decision: String,
    /// The court's registration number; required when registered.
    pub court_registration_number: Option<String>,
    /// Why it is returned; required when returned.
    pub reason: Option<String>,
}

#[derive(Deserialize, IntoParams)]
pub struct VersionParam {
    /// A version number; the current version when absent.
    pub version: Option<i32>,
}

// ---- output ---------------------------------------------------------------------

#[derive(Serialize, ToSchema)]
pub struct TermView {
    pub text: String,
    pub due_date: Option<NaiveDate>,
    pub owed_by_party_id: Option<Uuid>,
}

/// One version, with the hashes of its stored documents.
#[derive(Serialize, ToSchema)]
pub struct VersionSummary {
    pub version: i32,
    /// `draft`, `submitted`, `registered` or `returned`.
    pub status: String,
    pub result: String,
    /// SHA-256 (hex) of the stored HTML and PDF; none without an agreement.
    pub html_sha256: Option<String>,
    pub pdf_sha256: Option<String>,
    pub created_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    pub court_registration_number: Option<String>,
    pub return_reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct OutcomeView {
    pub case_id: Uuid,
    /// The case's status.
    pub case_status: String,
    pub id: Uuid,
    pub version: i32,
    /// `draft`, `submitted`, `registered` or `returned`.
    pub status: String,
    pub result: String,
    pub terms: Vec<TermView>,
    pub signed_on: NaiveDate,
    pub signed_at_place: String,
    pub unresolved: Option<String>,
    pub html_sha256: Option<String>,
    pub pdf_sha256: Option<String>,
    /// Where the agreement of this version is served; none without one.
    pub document_pdf_url: Option<String>,
    pub document_html_url: Option<String>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub court_registration_number: Option<String>,
    pub return_reason: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    /// Every version the caller may see, oldest first (this one last).
    pub versions: Vec<VersionSummary>,
}

fn summary(v: &OutcomeVersion) -> VersionSummary {
    VersionSummary {
        version: v.version,
        status: v.status.as_str().to_owned(),
        result: v.result.as_str().to_owned(),
        html_sha256: v.html_sha256.clone(),
        pdf_sha256: v.pdf_sha256.clone(),
        created_at: v.created_at,
        submitted_at: v.submitted_at,
        decided_at: v.decided_at,
        court_registration_number: v.court_registration_number.clone(),
        return_reason: v.return_reason.clone(),
    }
}

impl From<OutcomeRecord> for OutcomeView {
    fn from(r: OutcomeRecord) -> Self {
        let c = &r.current;
        let base = format!("/api/v1/cases/{}/outcome/document", r.case.id);
        let url = |ext: &str| {
            c.pdf_sha256
                .as_ref()
                .map(|_| format!("{base}.{ext}?version={}", c.version))
        };
        Self {
            case_id: r.case.id,
            case_status: r.case.status.as_str().to_owned(),
            id: c.id,
            version: c.version,
            status: c.status.as_str().to_owned(),
            result: c.result.as_str().to_owned(),
            terms: c
                .terms
                .iter()
                .map(|t| TermView {
                    text: t.text.clone(),
                    due_date: t.due_date,
                    owed_by_party_id: t.owed_by_party_id,
                })
                .collect(),
            signed_on: c.signed_on,
            signed_at_place: c.signed_at_place.clone(),
            unresolved: c.unresolved.clone(),
            html_sha256: c.html_sha256.clone(),
            pdf_sha256: c.pdf_sha256.clone(),
            document_pdf_url: url("pdf"),
            document_html_url: url("html"),
            submitted_at: c.submitted_at,
            court_registration_number: c.court_registration_number.clone(),
            return_reason: c.return_reason.clone(),
            decided_at: c.decided_at,
            versions: r.versions.iter().map(summary).collect(),
        }
    }
}

/// A stored document as a download: its bytes, its media type, its stored
/// SHA-256 in `X-Content-SHA256`, a file name, and no caching.
pub fn document_response(d: Document) -> AppResult<Response> {
    let content_type = match d.format {
        DocumentFormat::Pdf => "application/pdf",
        DocumentFormat::Html => "text/html; charset=utf-8",
    };
    let disposition = match d.format {
        DocumentFormat::Pdf => format!("attachment; filename=\"{}\"", d.filename),
        DocumentFormat::Html => format!("inline; filename=\"{}\"", d.filename),
    };
    let header_value =
        |v: &str| HeaderValue::from_str(v).map_err(|e| AppError::internal("writing a header", e));
    let mut response = (StatusCode::OK, d.bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CONTENT_DISPOSITION, header_value(&disposition)?);
    headers.insert(
        HeaderName::from_static("x-content-sha256"),
        header_value(&d.sha256)?,
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store, private"),
    );
    // The HTML is shown as a page of this origin: it may load and run
    // nothing, only its own inline style.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(response)
}

pub(crate) fn parse_outcome(body: OutcomeBody) -> AppResult<OutcomeInput> {
    let mut f = Fields::default();
    let result = f.check(
        "result",
        OutcomeResult::exactly(&body.result).ok_or_else(|| {
            "must be settled, partially_settled, not_settled or withdrawn".to_owned()
        }),
    );
    if body.terms.len() > outcome::MAX_TERMS {
        f.push(
            "terms",
            format!(
                "at most {} terms (has {})",
                outcome::MAX_TERMS,
                body.terms.len()
            ),
        );
    }
    f.finish()?;
    let result = crate::error::checked(result)?;
    Ok(OutcomeInput {
        result,
        terms: body
            .terms
            .into_iter()
            .map(|t| TermInput {
                text: t.text,
                due_date: t.due_date,
                owed_by_party_id: t.owed_by_party_id,
            })
            .collect(),
        signed_on: body.signed_on,
        signed_at_place: body.signed_at_place,
        unresolved: body.unresolved,
    })
}

// ---- handlers -------------------------------------------------------------------

/// Records how mediation ended (the case's mediator). The first outcome, or
/// the correction after the court returned one, is a new version (201);
/// a correction before submission replaces the draft (200). A settlement
/// needs a held session; its agreement is rendered as HTML and PDF.
#[utoipa::path(post, path = "/api/v1/cases/{id}/outcome", tag = "outcomes",
    params(("id" = Uuid, Path)), request_body = OutcomeBody, security(("bearer" = [])), responses(
    (status = 201, body = OutcomeView, headers(("Location" = String))),
    (status = 200, body = OutcomeView, description = "the draft was corrected"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
async fn record_outcome(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(case_id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<OutcomeBody>,
) -> AppResult<Response> {
    let input = parse_outcome(body)?;
    let (record, created) =
        outcomes::record(&state.db, &caller, case_id, input, crate::db::now()).await?;
    let view = OutcomeView::from(record);
    if created {
        Ok(super::response::created(
            format!("/api/v1/cases/{case_id}/outcome"),
            view,
        ))
    } else {
        Ok(Json(view).into_response())
    }
}

/// The current outcome with its terms and every version's hashes: the
/// case's mediator; the court's clerks and admins once submitted (before,
/// 403). Every read is in the audit log.
#[utoipa::path(get, path = "/api/v1/cases/{id}/outcome", tag = "outcomes",
    params(("id" = Uuid, Path)), security(("bearer" = [])), responses(
    (status = 200, body = OutcomeView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
async fn get_outcome(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(case_id): ApiPath<Uuid>,
) -> AppResult<Json<OutcomeView>> {
    let record = outcomes::read(&state.db, &caller, case_id).await?;
    Ok(Json(record.into()))
}

/// The agreement as PDF, byte for byte as stored, with `X-Content-SHA256`.
#[utoipa::path(get, path = "/api/v1/cases/{id}/outcome/document.pdf", tag = "outcomes",
    params(("id" = Uuid, Path), VersionParam), security(("bearer" = [])), responses(
    (status = 200, content_type = "application/pdf", body = Vec<u8>,
        headers(("X-Content-SHA256" = String, description = "SHA-256 (hex) of the body"))),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
async fn outcome_pdf(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(case_id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<VersionParam>,
) -> AppResult<Response> {
    document_response(
        outcomes::document(&state.db, &caller, case_id, q.version, DocumentFormat::Pdf).await?,
    )
}

/// The agreement as HTML, byte for byte as stored, with `X-Content-SHA256`.
#[utoipa::path(get, path = "/api/v1/cases/{id}/outcome/document.html", tag = "outcomes",
    params(("id" = Uuid, Path), VersionParam), security(("bearer" = [])), responses(
    (status = 200, content_type = "text/html", body = String,
        headers(("X-Content-SHA256" = String, description = "SHA-256 (hex) of the body"))),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
async fn outcome_html(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(case_id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<VersionParam>,
) -> AppResult<Response> {
    document_response(
        outcomes::document(&state.db, &caller, case_id, q.version, DocumentFormat::Html).await?,
    )
}

/// Submits the current draft to the court (the case's mediator): the
/// version is frozen and the court's clerks are emailed.
#[utoipa::path(post, path = "/api/v1/cases/{id}/outcome/submit", tag = "outcomes",
    params(("id" = Uuid, Path)), security(("bearer" = [])), responses(
    (status = 200, body = OutcomeView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
))]
async fn submit_outcome(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(case_id): ApiPath<Uuid>,
) -> AppResult<Json<OutcomeView>> {
    let record = outcomes::submit(&state.db, &state.settings, &caller, case_id).await?;
    Ok(Json(record.into()))
}

/// The court's decision on the submitted agreement (a clerk of that
/// court): registered with its number, or returned with a reason.
#[utoipa::path(post, path = "/api/v1/cases/{id}/outcome/registration", tag = "outcomes",
    params(("id" = Uuid, Path)), request_body = RegistrationBody, security(("bearer" = [])), responses(
    (status = 200, body = OutcomeView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
async fn register_outcome(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(case_id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<RegistrationBody>,
) -> AppResult<Json<OutcomeView>> {
    let decision = RegistrationDecision::exactly(&body.decision)
        .ok_or_else(|| AppError::field("decision", "must be registered or returned"))?;
    let record = outcomes::decide(
        &state.db,
        &state.settings,
        &caller,
        case_id,
        decision,
        body.court_registration_number.as_deref(),
        body.reason.as_deref(),
    )
    .await?;
    Ok(Json(record.into()))
}
