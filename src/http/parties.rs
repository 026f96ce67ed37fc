//! Parties' personal links: `/p/{token}` is a party's own page, reached
//! without an account. The token in the URL is the credential: long, random,
//! stored only as a hash, and good for one party of one case.
//!
//! Rule: a page shows only what belongs to that party — never another
//! party's contact details.

use std::sync::OnceLock;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use minijinja::Environment;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::ApiPath;
use crate::AppState;
use crate::domain::Language;
use crate::error::{AppError, AppResult, Problem};
use crate::services::cases;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(party_page))
        .routes(routes!(confirm_voluntary))
}

fn pages() -> AppResult<&'static Environment<'static>> {
    static ENV: OnceLock<Result<Environment<'static>, String>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        env.add_template(
            "party.html",
            include_str!("../../templates/pages/party.html.j2"),
        )
        .map_err(|e| e.to_string())?;
        Ok(env)
    })
    .as_ref()
    .map_err(|e| AppError::internal("loading page templates", anyhow::anyhow!(e.clone())))
}

/// Pages behind a personal link must not be cached or leak the link onward.
fn private(mut response: Response) -> Response {
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
    let (party, case) = cases::party_by_token(&state.db, &token).await?;
    let view = cases::party_view(&state.db, &party, &case).await?;
    let language: Language = party.language.parse().unwrap_or(Language::Ru);
    let html = pages()?
        .get_template("party.html")
        .and_then(|t| {
            t.render(minijinja::context! {
                language => language.as_str(),
                name => party.name,
                court_name => view.court_name,
                court_case_number => case.court_case_number,
                mediation_deadline => case.mediation_deadline.to_string(),
                mediator_name => view.mediator_name.unwrap_or_default(),
                confirmation_needed => case.violence_reported,
                voluntary_confirmed_at => party.voluntary_confirmed_at.map(|t| t.to_rfc3339()),
                confirm_action => format!("/p/{token}/voluntary-participation"),
            })
        })
        .map_err(|e| AppError::internal("rendering the party page", e))?;
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
    let party = cases::confirm_voluntary(&state.db, &token).await?;
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
