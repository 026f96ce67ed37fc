//! The web pages for staff: login and logout, the language switch, the
//! home of each role; the clerk's, the admin's and the report pages live in
//! their own modules, merged here by one line each.
//!
//! Rule: a page handler reads its form or query, calls the same service the
//! API handler calls, and renders a template of `templates/pages/`; it
//! holds no rule of its own. Every POST checks the CSRF token first.

pub mod admin;
pub mod assets;
pub mod clerk;
pub mod forms;
pub mod frame;
pub mod reports;
pub mod session;

use axum::Form;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

pub(crate) use self::frame::{CsrfForm, Reader, csrf_refused, see_other, v, words};
use super::client::ClientAddress;
use crate::domain::{Language, Role};
use crate::error::{AppError, AppResult};
use crate::mail::templates;
use crate::services::auth as auth_service;
use crate::services::users;
use crate::state::AppState;

/// Longest email and password read from the login form.
const MAX_EMAIL: usize = 320;
const MAX_PASSWORD: usize = 1024;
/// Longest path a language switch returns to.
const MAX_NEXT: usize = 512;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(root))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/language", post(switch_language))
        .route("/home", get(home))
        .merge(clerk::routes())
        .merge(admin::routes())
        .merge(reports::routes())
        .merge(assets::routes())
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

/// `GET /home`: the reader's home, by role.
async fn home(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Query<clerk::CaseQuery>,
) -> AppResult<Response> {
    let reader = Reader::of(&state, &headers).await?;
    let Some(caller) = reader.caller.clone() else {
        return Ok(see_other("/login"));
    };
    match caller.role {
        Role::Clerk => clerk::home(&state, &reader, &caller, query.0).await,
        Role::Admin => admin::home(&state, &reader).await,
        Role::Mediator => {
            let html = templates::render_page(
                templates::HOME_PAGE,
                minijinja::context! { frame => v(&reader.frame("/home")), cases => false },
            )?;
            Ok(reader.answer(StatusCode::OK, html))
        }
    }
}
