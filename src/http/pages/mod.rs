//! The web pages for staff: login and logout, the language switch, the
//! homes, and the clerk's cases.
//!
//! Rule: a page handler reads its form or query, calls the same service the
//! API handler calls, and renders a template of `templates/pages/`; it
//! holds no rule of its own. Every POST checks the CSRF token first.

pub mod frame;
pub mod mediator;
pub mod session;

use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use self::frame::{Reader, csrf_refused, see_other, v, words};
use super::client::ClientAddress;
use crate::domain::case::{CaseCategory, CaseStatus};
use crate::domain::{Language, Role};
use crate::error::{AppError, AppResult};
use crate::i18n::{self, dates};
use crate::mail::templates;
use crate::services::auth as auth_service;
use crate::services::cases::{self, CaseFilter};
use crate::services::page::PageRequest;
use crate::services::{outcomes, sessions, users};
use crate::state::AppState;

/// Longest email and password read from the login form.
const MAX_EMAIL: usize = 320;
const MAX_PASSWORD: usize = 1024;
/// Longest case number searched for.
const MAX_SEARCH: usize = 64;
/// Longest path a language switch returns to.
const MAX_NEXT: usize = 512;
/// Cases on one page of the clerk's list.
const CASES_PER_PAGE: u64 = 50;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(root))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/language", post(switch_language))
        .route("/home", get(home))
        .route("/cases/{id}", get(case_page))
        .merge(mediator::routes())
}

/// `GET /`: the login page, or the reader's home once signed in.
async fn root(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match session::signed_in(&state, &headers).await {
        Some(_) => see_other("/home"),
        None => see_other("/login"),
    }
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

#[derive(Serialize, Default)]
struct LoginErrors {
    email: &'static str,
    password: &'static str,
    form: &'static str,
}

fn render_login(reader: &Reader, email: &str, errors: &LoginErrors) -> AppResult<String> {
    templates::render_page(
        templates::LOGIN_PAGE,
        minijinja::context! {
            frame => v(&reader.frame("/login")),
            email => email,
            errors => v(errors),
        },
    )
}

/// `GET /login`.
async fn login_page(State(state): State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    let reader = Reader::of(&state, &headers).await?;
    if reader.caller.is_some() {
        return Ok(see_other("/home"));
    }
    let html = render_login(&reader, "", &LoginErrors::default())?;
    Ok(reader.answer(StatusCode::OK, html))
}

/// `POST /login`: the same login, throttling and token as
/// `POST /api/v1/auth/token`; the token goes into the session cookie.
async fn login(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> AppResult<Response> {
    let reader = Reader::of(&state, &headers).await?;
    if !session::csrf_ok(&headers, &form.csrf) {
        return Ok(csrf_refused(&reader));
    }
    let lang = reader.language;
    let email = form.email.trim();
    let mut errors = LoginErrors::default();
    if email.is_empty() || email.len() > MAX_EMAIL {
        errors.email = words(
            lang,
            "Электрондық поштаны енгізіңіз.",
            "Введите электронную почту.",
            "Enter your email.",
        );
    }
    if form.password.is_empty() || form.password.len() > MAX_PASSWORD {
        errors.password = words(
            lang,
            "Құпиясөзді енгізіңіз.",
            "Введите пароль.",
            "Enter your password.",
        );
    }
    let shown_email = if email.len() > MAX_EMAIL { "" } else { email };
    if !errors.email.is_empty() || !errors.password.is_empty() {
        let html = render_login(&reader, shown_email, &errors)?;
        return Ok(reader.answer(StatusCode::UNPROCESSABLE_ENTITY, html));
    }
    let issued = auth_service::issue_token(
        &state.db,
        &state.login_guard,
        email,
        &form.password,
        client,
        chrono::Duration::hours(state.settings.token_ttl_hours),
    )
    .await;
    let (status, retry_after) = match issued {
        Ok(issued) => {
            let seconds = (issued.expires_at - chrono::Utc::now()).num_seconds();
            let mut response = see_other("/home");
            response.headers_mut().append(
                header::SET_COOKIE,
                session::session_cookie(&state, &issued.token, seconds),
            );
            return Ok(response);
        }
        Err(AppError::Unauthorized(_)) => {
            errors.password = words(
                lang,
                "Электрондық пошта немесе құпиясөз қате, не тіркелгі өшірілген.",
                "Неверная электронная почта или пароль, либо учётная запись отключена.",
                "The email or password is wrong, or the account is disabled.",
            );
            (StatusCode::UNAUTHORIZED, None)
        }
        Err(AppError::TooManyRequests {
            retry_after_seconds,
        }) => {
            errors.form = words(
                lang,
                "Кіру әрекеттері тым көп. Біраз уақыттан кейін қайталаңыз.",
                "Слишком много попыток входа. Попробуйте позже.",
                "Too many login attempts. Please try again later.",
            );
            (StatusCode::TOO_MANY_REQUESTS, Some(retry_after_seconds))
        }
        Err(AppError::Unavailable(_)) => {
            errors.form = words(
                lang,
                "Қызмет бос емес. Бір сәттен кейін қайталаңыз.",
                "Сервис занят. Попробуйте через минуту.",
                "The service is busy. Please try again in a moment.",
            );
            (StatusCode::SERVICE_UNAVAILABLE, Some(5))
        }
        Err(e) => return Err(e),
    };
    let html = render_login(&reader, shown_email, &errors)?;
    let mut response = reader.answer(status, html);
    if let Some(seconds) = retry_after
        && let Ok(v) = HeaderValue::from_str(&seconds.to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
    Ok(response)
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /logout`: revokes the session's token and clears the cookie.
async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> AppResult<Response> {
    let reader = Reader::of(&state, &headers).await?;
    if !session::csrf_ok(&headers, &form.csrf) {
        return Ok(csrf_refused(&reader));
    }
    if let Some(caller) = &reader.caller {
        auth_service::revoke(&state.db, caller.token_id).await?;
        state.auth_cache.forget_token(caller.token_id);
    }
    let mut response = see_other("/login");
    response
        .headers_mut()
        .append(header::SET_COOKIE, session::clear_session_cookie(&state));
    Ok(response)
}

#[derive(Deserialize)]
struct LanguageForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    next: String,
}

/// `POST /language`: remembered in the user's account when signed in, and
/// in a cookie for the pages before login.
async fn switch_language(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<LanguageForm>,
) -> AppResult<Response> {
    let reader = Reader::of(&state, &headers).await?;
    if !session::csrf_ok(&headers, &form.csrf) {
        return Ok(csrf_refused(&reader));
    }
    let language: Language = form
        .language
        .parse()
        .map_err(|e| AppError::field("language", e))?;
    if let Some(caller) = &reader.caller {
        users::update(
            &state.db,
            caller,
            caller.user_id,
            users::UserChanges {
                language: Some(language),
                ..Default::default()
            },
        )
        .await?;
    }
    let mut response = see_other(safe_next(&form.next));
    response.headers_mut().append(
        header::SET_COOKIE,
        session::language_cookie(&state, language),
    );
    Ok(response)
}

/// A path of this site to return to: relative, not to another host.
fn safe_next(next: &str) -> &str {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && next.len() <= MAX_NEXT
        && next.chars().all(|c| c.is_ascii_graphic());
    if ok { next } else { "/" }
}

#[derive(Deserialize)]
struct CaseQuery {
    status: Option<String>,
    category: Option<String>,
    number: Option<String>,
    cursor: Option<String>,
}

#[derive(Serialize)]
struct Choice {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

fn blank_is_none(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|s| !s.is_empty())
}

/// `GET /home`: a clerk's cases, or what an admin or a mediator can do.
async fn home(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<CaseQuery>,
) -> AppResult<Response> {
    let reader = Reader::of(&state, &headers).await?;
    let Some(caller) = reader.caller.clone() else {
        return Ok(see_other("/login"));
    };
    let lang = reader.language;
    if caller.role == Role::Mediator {
        return mediator::home(&state, &reader, &caller).await;
    }
    if caller.role != Role::Clerk {
        let html = templates::render_page(
            templates::HOME_PAGE,
            minijinja::context! { frame => v(&reader.frame("/home")), cases => false },
        )?;
        return Ok(reader.answer(StatusCode::OK, html));
    }
    let status = blank_is_none(q.status.as_deref())
        .map(str::parse::<CaseStatus>)
        .transpose()
        .map_err(|e| AppError::field("status", e))?;
    let category = blank_is_none(q.category.as_deref())
        .map(str::parse::<CaseCategory>)
        .transpose()
        .map_err(|e| AppError::field("category", e))?;
    let number = blank_is_none(q.number.as_deref());
    if number.is_some_and(|n| n.chars().count() > MAX_SEARCH) {
        return Err(AppError::field(
            "number",
            format!("must be at most {MAX_SEARCH} characters"),
        ));
    }
    let page = PageRequest::parse(Some(CASES_PER_PAGE), q.cursor.as_deref())?;
    let (items, next) = cases::list(
        &state.db,
        &caller,
        CaseFilter {
            court_id: None,
            status,
            category,
            number: number.map(str::to_owned),
        },
        page,
    )
    .await?;
    let rows: Vec<serde_json::Value> = items
        .iter()
        .map(|c| {
            serde_json::json!({
                "id": c.id,
                "number": c.court_case_number,
                "category": i18n::words::category(lang, c.category),
                "status": i18n::words::case_status(lang, c.status),
                "deadline": dates::long_date(lang, c.mediation_deadline),
            })
        })
        .collect();
    let statuses: Vec<Choice> = CaseStatus::ALL
        .iter()
        .map(|s| Choice {
            value: s.as_str(),
            label: i18n::words::case_status(lang, *s),
            selected: Some(*s) == status,
        })
        .collect();
    let categories: Vec<Choice> = CaseCategory::ALL
        .iter()
        .map(|c| Choice {
            value: c.as_str(),
            label: i18n::words::category(lang, *c),
            selected: Some(*c) == category,
        })
        .collect();
    let next_page = next.map(|cursor| {
        let mut url = url::Url::parse("http://x/home").expect("a fixed URL");
        {
            let mut pairs = url.query_pairs_mut();
            if let Some(s) = status {
                pairs.append_pair("status", s.as_str());
            }
            if let Some(c) = category {
                pairs.append_pair("category", c.as_str());
            }
            if let Some(n) = number {
                pairs.append_pair("number", n);
            }
            pairs.append_pair("cursor", &cursor);
        }
        format!("/home?{}", url.query().unwrap_or_default())
    });
    let html = templates::render_page(
        templates::HOME_PAGE,
        minijinja::context! {
            frame => v(&reader.frame("/home")),
            cases => true,
            rows => v(&rows),
            statuses => v(&statuses),
            categories => v(&categories),
            number => number.unwrap_or_default(),
            next_page => next_page.unwrap_or_default(),
        },
    )?;
    Ok(reader.answer(StatusCode::OK, html))
}

/// `GET /cases/{id}`: a case with its parties, sessions, assignment and
/// outcome, for those who may read it through the API.
async fn case_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let reader = Reader::of(&state, &headers).await?;
    let Some(caller) = reader.caller.clone() else {
        return Ok(see_other("/login"));
    };
    let id: Uuid = id.parse().map_err(|_| AppError::not_found("case"))?;
    let lang = reader.language;
    let record = cases::read(&state.db, &caller, id).await?;
    let view = cases::party_view(&state.db, &record.case).await?;
    let court_tz = view.court_tz;
    let case_sessions = sessions::of_case(&state.db, &record).await?;
    let outcome = match outcomes::read(&state.db, &caller, id).await {
        Ok(o) => Some(serde_json::json!({
            "result": i18n::outcomes::result(lang, o.current.result),
            "status": i18n::outcomes::status(lang, o.current.status),
        })),
        Err(AppError::NotFound(_) | AppError::Forbidden(_)) => None,
        Err(e) => return Err(e),
    };
    let parties: Vec<serde_json::Value> = record
        .parties
        .iter()
        .map(|p| {
            serde_json::json!({
                "name": p.name,
                "role": i18n::words::party_role(lang, p.role),
            })
        })
        .collect();
    let session_rows: Vec<serde_json::Value> = case_sessions
        .iter()
        .map(|s| {
            let zone = crate::services::invitations::zone_of(s);
            serde_json::json!({
                "starts": dates::instant(lang, s.starts_at, zone, court_tz),
                "minutes": (s.ends_at - s.starts_at).num_minutes(),
                "status": i18n::words::session_status(lang, s.status),
                "format": i18n::words::session_format(lang, s.format),
            })
        })
        .collect();
    let assignment = record.assignment.as_ref().map(|a| {
        serde_json::json!({
            "status": i18n::words::assignment_status(lang, a.status),
            "mediator": record.mediator.as_ref().map(|(name, _)| name.clone()).unwrap_or_default(),
        })
    });
    let c = &record.case;
    let html = templates::render_page(
        templates::CASE_PAGE,
        minijinja::context! {
            frame => v(&reader.frame(&format!("/cases/{id}"))),
            number => c.court_case_number.clone(),
            court_name => view.court_name,
            category => i18n::words::category(lang, c.category),
            status => i18n::words::case_status(lang, c.status),
            deadline => dates::long_date(lang, c.mediation_deadline),
            parties => v(&parties),
            sessions => v(&session_rows),
            assignment => v(&assignment),
            outcome => v(&outcome),
        },
    )?;
    Ok(reader.answer(StatusCode::OK, html))
}
