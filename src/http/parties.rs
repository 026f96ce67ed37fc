//! Parties' personal links: `/p/{token}` is a party's own page, reached
//! without an account. The token in the URL is the credential: long, random,
//! stored only as a hash, and good for one party of one case.
//!
//! Rule: a page shows only what belongs to that party — never another
//! party's contact details. A replaced or expired link is the same 404 as
//! an unknown one.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::Auth;
use super::extract::ApiPath;
use crate::domain::session::{RsvpAnswer, SessionStatus};
use crate::error::{AppError, AppResult, Problem};
use crate::i18n;
use crate::mail::templates;
use crate::services::outcomes::{self, DocumentFormat};
use crate::services::{cases, invitations};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(party_page))
        .routes(routes!(confirm_voluntary))
        .routes(routes!(session_ics))
        .routes(routes!(answer_invitation))
        .routes(routes!(party_document_pdf))
        .routes(routes!(party_document_html))
        .routes(routes!(replace_link))
}

/// Pages behind a personal link must not be cached or leak the link onward.
pub(super) fn private(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store, private"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        "x-robots-tag",
        HeaderValue::from_static("noindex, nofollow"),
    );
    response
}

/// A party's own page: their case, their mediator, and the confirmation of
/// voluntary participation where violence was reported.
#[utoipa::path(get, path = "/p/{token}", tag = "parties",
    params(("token" = String, Path, description = "the party's personal link token")), responses(
    (status = 200, content_type = "text/html", body = String),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
async fn party_page(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
) -> AppResult<Response> {
    let (party, case) = cases::party_by_token(&state.db, &state.settings, &token).await?;
    let view = cases::party_view(&state.db, &case).await?;
    let outcome = outcomes::for_party(&state.db, &case).await?.map(|o| {
        let (pdf, html) = if o.document {
            (
                format!("/p/{token}/document.pdf"),
                format!("/p/{token}/document.html"),
            )
        } else {
            (String::new(), String::new())
        };
        serde_json::json!({
            "version": o.version,
            "result": i18n::outcomes::result(party.language, o.result),
            "status": i18n::outcomes::status(party.language, o.status),
            "court_registration_number": o.court_registration_number.unwrap_or_default(),
            "decided_on": o.decided_at.map(|t| {
                i18n::dates::long_date(party.language, t.with_timezone(&view.court_tz).date_naive())
            }).unwrap_or_default(),
            "pdf": pdf,
            "html": html,
        })
    });
    let court_tz = view.court_tz;
    let sessions: Vec<serde_json::Value> = invitations::of_party(&state.db, party.id)
        .await?
        .into_iter()
        .map(|(s, i)| {
            let lang = party.language;
            serde_json::json!({
                "id": s.id,
                "starts_local": i18n::dates::instant(lang, s.starts_at, court_tz, court_tz),
                "minutes": (s.ends_at - s.starts_at).num_minutes(),
                "cancelled": s.status == SessionStatus::Cancelled,
                "status": i18n::words::session_status(lang, s.status),
                "format": i18n::words::session_format(lang, s.format),
                "answer": i18n::words::partstat(lang, i.partstat),
                "ics": format!("/p/{token}/sessions/{}.ics", s.id),
                "rsvp": format!("/p/{token}/sessions/{}/rsvp", s.id),
            })
        })
        .collect();
    let html = templates::render_page(
        templates::PARTY_PAGE,
        minijinja::context! {
            css => super::pages::assets::css_url(),
            language => party.language.as_str(),
            name => party.name,
            court_name => view.court_name,
            court_case_number => case.court_case_number,
            mediation_deadline => i18n::dates::long_date(party.language, case.mediation_deadline),
            mediator_name => view.mediator_name.unwrap_or_default(),
            confirmation_needed => case.violence_reported,
            voluntary_confirmed_at => party
                .voluntary_confirmed_at
                .map(|t| i18n::dates::instant(party.language, t, court_tz, court_tz)),
            confirm_action => format!("/p/{token}/voluntary-participation"),
            clock => i18n::dates::clock_sentence(party.language, court_tz, chrono::Utc::now()),
            sessions => minijinja::value::Serde(&sessions),
            outcome => minijinja::value::Serde(&outcome),
        },
    )?;
    Ok(private(Html(html).into_response()))
}

#[derive(Serialize, ToSchema)]
pub struct VoluntaryConfirmed {
    pub party_id: uuid::Uuid,
    pub voluntary_confirmed_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The party confirms that they take part voluntarily (needed before any
/// session where violence was reported). A browser form is sent back to the
/// page; other clients get JSON.
#[utoipa::path(post, path = "/p/{token}/voluntary-participation", tag = "parties",
    params(("token" = String, Path)), responses(
    (status = 200, body = VoluntaryConfirmed),
    (status = 303, description = "from the page's form: back to the page"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
))]
async fn confirm_voluntary(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
    headers: axum::http::HeaderMap,
) -> AppResult<Response> {
    let party = cases::confirm_voluntary(&state.db, &state.settings, &token).await?;
    let from_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if from_form {
        return Ok(private(
            Redirect::to(&format!("/p/{token}")).into_response(),
        ));
    }
    Ok(private(
        (
            StatusCode::OK,
            axum::Json(VoluntaryConfirmed {
                party_id: party.id,
                voluntary_confirmed_at: party.voluntary_confirmed_at,
            }),
        )
            .into_response(),
    ))
}

/// The `.ics` of one of the party's sessions (a cancelled one as
/// `METHOD:CANCEL`), to add to any calendar by hand.
#[utoipa::path(get, path = "/p/{token}/sessions/{file}", tag = "parties",
    params(("token" = String, Path), ("file" = String, Path, description = "`<session id>.ics`")),
    responses(
    (status = 200, content_type = "text/calendar", body = String),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
async fn session_ics(
    State(state): State<AppState>,
    ApiPath((token, file)): ApiPath<(String, String)>,
) -> AppResult<Response> {
    let id = file
        .strip_suffix(".ics")
        .and_then(|s| s.parse::<uuid::Uuid>().ok())
        .ok_or_else(|| AppError::not_found("session"))?;
    let ics = invitations::party_ics(&state.db, &state.settings, &token, id).await?;
    let mut response = private(ics.into_response());
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    response.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"invite.ics\""),
    );
    Ok(response)
}

#[derive(serde::Deserialize, ToSchema)]
pub struct Rsvp {
    /// `accepted`, `declined` or `tentative`.
    pub response: String,
    pub note: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RsvpRecorded {
    pub session_id: uuid::Uuid,
    /// As iCalendar says it: `ACCEPTED`, `DECLINED` or `TENTATIVE`.
    pub partstat: String,
}

/// The party answers an invitation; the mediator and the clerk see it on the
/// session. A browser form is sent back to the page.
#[utoipa::path(post, path = "/p/{token}/sessions/{id}/rsvp", tag = "parties",
    params(("token" = String, Path), ("id" = uuid::Uuid, Path)), request_body = Rsvp, responses(
    (status = 200, body = RsvpRecorded),
    (status = 303, description = "from the page's form: back to the page"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
async fn answer_invitation(
    State(state): State<AppState>,
    ApiPath((token, id)): ApiPath<(String, uuid::Uuid)>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> AppResult<Response> {
    let from_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let rsvp: Rsvp = if from_form {
        serde_urlencoded::from_bytes(&body)
            .map_err(|_| AppError::field("response", "is required"))?
    } else {
        super::extract::parse_json(&body)?
    };
    let partstat = RsvpAnswer::exactly(&rsvp.response)
        .ok_or_else(|| AppError::field("response", "must be accepted, declined or tentative"))?
        .partstat();
    let note = rsvp
        .note
        .map(|n| {
            n.trim()
                .chars()
                .filter(|c| !c.is_control())
                .take(1000)
                .collect::<String>()
        })
        .filter(|n| !n.is_empty());
    invitations::rsvp(&state.db, &state.settings, &token, id, partstat, note).await?;
    if from_form {
        return Ok(private(
            Redirect::to(&format!("/p/{token}")).into_response(),
        ));
    }
    Ok(private(
        axum::Json(RsvpRecorded {
            session_id: id,
            partstat: partstat.as_str().to_owned(),
        })
        .into_response(),
    ))
}

/// The agreement as PDF, for the party: once the mediator has submitted it
/// to the court (the frozen text the parties signed), and not while the
/// court has returned it. Every download is in the case's audit log.
#[utoipa::path(get, path = "/p/{token}/document.pdf", tag = "parties",
    params(("token" = String, Path)), responses(
    (status = 200, content_type = "application/pdf", body = Vec<u8>,
        headers(("X-Content-SHA256" = String, description = "SHA-256 (hex) of the body"))),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
async fn party_document_pdf(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
) -> AppResult<Response> {
    let document =
        outcomes::party_document(&state.db, &state.settings, &token, DocumentFormat::Pdf).await?;
    Ok(private(super::outcomes::document_response(document)?))
}

/// The agreement as HTML, for the party (as the PDF).
#[utoipa::path(get, path = "/p/{token}/document.html", tag = "parties",
    params(("token" = String, Path)), responses(
    (status = 200, content_type = "text/html", body = String,
        headers(("X-Content-SHA256" = String, description = "SHA-256 (hex) of the body"))),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
async fn party_document_html(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
) -> AppResult<Response> {
    let document =
        outcomes::party_document(&state.db, &state.settings, &token, DocumentFormat::Html).await?;
    Ok(private(super::outcomes::document_response(document)?))
}

#[derive(Serialize, ToSchema)]
pub struct LinkReplacedView {
    pub party_id: uuid::Uuid,
    /// The party's new link version: every link of an older one is dead.
    pub link_version: i32,
    pub replaced_at: chrono::DateTime<chrono::Utc>,
}

/// Replaces a party's personal link (an admin or a clerk of the case's
/// court), for example when an email was seen by someone else: every link
/// the party was sent stops working at once and the party is emailed a new
/// one, which this answer does not contain. Audited.
#[utoipa::path(post, path = "/api/v1/parties/{id}/link/rotate", tag = "parties",
    params(("id" = uuid::Uuid, Path)), security(("bearer" = [])), responses(
    (status = 200, body = LinkReplacedView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
async fn replace_link(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> AppResult<axum::Json<LinkReplacedView>> {
    let done = cases::replace_party_link(&state.db, &state.settings, &caller, id).await?;
    Ok(axum::Json(LinkReplacedView {
        party_id: done.party_id,
        link_version: done.link_version,
        replaced_at: done.replaced_at,
    }))
}
