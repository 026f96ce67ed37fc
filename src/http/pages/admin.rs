//! The admin's pages: courts with their rooms and closed days, user
//! accounts, the mediator registry with its CSV import (a preview of every
//! bad row before anything is written), and the outbox with retry.
//!
//! Rule: only an admin reads these (anyone else gets the API's 403); every
//! check is the API's own (`http::courts::parse_court`, `NewUser::parse`,
//! the registry import), shown next to the field it names.

use std::collections::{BTreeMap, BTreeSet};

use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use super::clerk::Choice;
use super::forms::FormErrors;
use super::frame::{Reader, csrf_refused, see_other, v, words};
use super::session;
use crate::domain::outbox::DeliveryStatus;
use crate::domain::{Language, Role};
use crate::error::{AppError, AppResult};
use crate::http::courts::{CreateCourt, CreateRoom, check_closed_days, parse_court, parse_room};
use crate::i18n::dates;
use crate::mail::templates;
use crate::services::audit::Actor;
use crate::services::auth::Caller;
use crate::services::page::PageRequest;
use crate::services::users::{self, NewUser, NewUserInput};
use crate::services::{courts, mediators, outbox, registry_import};
use crate::state::AppState;

/// Rows on one page of a list.
const PER_PAGE: u64 = 50;
/// Largest CSV pasted into the import form (the body limit applies too).
const MAX_CSV_BYTES: usize = 1_000_000;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/courts", get(courts_page).post(create_court))
        .route("/admin/courts/{id}", get(court_page))
        .route("/admin/courts/{id}/rooms", post(create_room))
        .route("/admin/courts/{id}/closed-days", post(set_closed_days))
        .route("/admin/users", get(users_page).post(create_user))
        .route("/admin/mediators", get(mediators_page))
        .route("/admin/mediators/import", post(import))
        .route("/admin/outbox", get(outbox_page))
        .route("/admin/outbox/{id}/retry", post(retry))
}

/// The reader, when an admin; else the login page or the API's 403.
async fn admin(
    state: &AppState,
    headers: &HeaderMap,
) -> AppResult<Result<(Reader, Caller), Response>> {
    let reader = Reader::of(state, headers).await?;
    match reader.caller.clone() {
        Some(c) if c.role == Role::Admin => Ok(Ok((reader, c))),
        Some(_) => Err(AppError::Forbidden("only an admin may do this".into())),
        None => Ok(Err(see_other("/login"))),
    }
}

macro_rules! admin_or_return {
    ($state:expr, $headers:expr) => {
        match admin(&$state, &$headers).await? {
            Ok(v) => v,
            Err(r) => return Ok(r),
        }
    };
}

fn page_of(cursor: Option<&str>) -> AppResult<PageRequest> {
    PageRequest::parse(Some(PER_PAGE), cursor.filter(|c| !c.is_empty()))
}

fn role_words(lang: Language, role: Role) -> &'static str {
    match role {
        Role::Admin => words(lang, "әкімші", "администратор", "administrator"),
        Role::Clerk => words(lang, "сот хатшысы", "секретарь суда", "court clerk"),
        Role::Mediator => words(lang, "медиатор", "медиатор", "mediator"),
    }
}

fn delivery_words(lang: Language, status: &str) -> &'static str {
    match status {
        "pending" => words(lang, "кезекте", "в очереди", "waiting"),
        "sending" => words(lang, "жіберілуде", "отправляется", "being sent"),
        "sent" => words(lang, "жіберілді", "отправлено", "sent"),
        "failed" => words(lang, "жеткізілмеді", "не доставлено", "failed"),
        _ => words(lang, "белгісіз", "неизвестно", "unknown"),
    }
}

fn mediator_status_words(lang: Language, status: &str) -> &'static str {
    match status {
        "active" => words(lang, "жұмыс істейді", "работает", "active"),
        "suspended" => words(lang, "тоқтатылған", "приостановлен", "suspended"),
        "retired" => words(lang, "тізілімнен шыққан", "выбыл из реестра", "retired"),
        _ => words(lang, "белгісіз", "неизвестно", "unknown"),
    }
}

fn language_choices(selected: &str) -> Vec<Choice> {
    [("kk", "Қазақша"), ("ru", "Русский"), ("en", "English")]
        .iter()
        .map(|(v, l)| Choice {
            value: (*v).into(),
            label: (*l).into(),
            selected: *v == selected,
        })
        .collect()
}

fn errors_with(errors: &FormErrors, names: &[&str]) -> BTreeMap<String, String> {
    names
        .iter()
        .map(|n| {
            (
                (*n).to_owned(),
                errors.fields.get(*n).cloned().unwrap_or_default(),
            )
        })
        .collect()
}

fn render(
    reader: &Reader,
    status: StatusCode,
    name: &str,
    here: &str,
    ctx: Value,
) -> AppResult<Response> {
    let html = templates::render_page(
        name,
        minijinja::context! { frame => v(&reader.frame(here)), ..v(&ctx) },
    )?;
    Ok(reader.answer(status, html))
}

// ---- home -----------------------------------------------------------------------------

/// `GET /home` of an admin: what they look after, with the failed messages.
pub(crate) async fn home(state: &AppState, reader: &Reader) -> AppResult<Response> {
    let failed = outbox::depth_by_status(&state.db)
        .await?
        .into_iter()
        .find(|(s, _)| s == DeliveryStatus::Failed.as_str())
        .map_or(0, |(_, n)| n);
    let html = templates::render_page(
        templates::HOME_PAGE,
        minijinja::context! { frame => v(&reader.frame("/home")), cases => false, failed => failed },
    )?;
    Ok(reader.answer(StatusCode::OK, html))
}

// ---- courts ---------------------------------------------------------------------------

#[derive(Deserialize, Default)]
struct CursorQuery {
    cursor: Option<String>,
}

#[derive(Deserialize, Default, Serialize)]
struct CourtForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    timezone: String,
    #[serde(default)]
    default_language: String,
}

async fn render_courts(
    state: &AppState,
    reader: &Reader,
    caller: &Caller,
    cursor: Option<&str>,
    form: &CourtForm,
    errors: &FormErrors,
    status: StatusCode,
) -> AppResult<Response> {
    let (list, next) = courts::list_visible(&state.db, caller, page_of(cursor)?).await?;
    let rows: Vec<Value> = list
        .iter()
        .map(|c| json!({"id": c.id, "code": c.code, "name": c.name, "timezone": c.timezone}))
        .collect();
    let language = if form.default_language.is_empty() {
        "kk"
    } else {
        form.default_language.as_str()
    };
    render(
        reader,
        status,
        templates::ADMIN_COURTS_PAGE,
        "/admin/courts",
        json!({
            "rows": rows,
            "next_page": next.map(|c| format!("/admin/courts?cursor={c}")).unwrap_or_default(),
            "form": form,
            "timezone": if form.timezone.is_empty() { "Asia/Almaty" } else { form.timezone.as_str() },
            "languages": language_choices(language),
            "errors": errors_with(errors, &["code", "name", "timezone", "default_language"]),
            "form_error": errors.form,
        }),
    )
}

/// `GET /admin/courts`.
async fn courts_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<CursorQuery>,
) -> AppResult<Response> {
    let (reader, caller) = admin_or_return!(state, headers);
    render_courts(
        &state,
        &reader,
        &caller,
        q.cursor.as_deref(),
        &CourtForm::default(),
        &FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

/// `POST /admin/courts`: a new court, as `POST /api/v1/courts`.
async fn create_court(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<CourtForm>,
) -> AppResult<Response> {
    let (reader, caller) = admin_or_return!(state, headers);
    if !session::csrf_ok(&headers, &form.csrf) {
        return Ok(csrf_refused(&reader));
    }
    let body = CreateCourt {
        code: form.code.clone(),
        name: form.name.clone(),
        timezone: form.timezone.trim().to_owned(),
        default_language: form.default_language.clone(),
    };
    let result = match parse_court(&body) {
        Ok(new) => courts::create(&state.db, &caller, new).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(court) => Ok(see_other(&format!("/admin/courts/{}", court.id))),
        Err(e) => {
            let errors = FormErrors::from_error(reader.language, e)?;
            render_courts(
                &state,
                &reader,
                &caller,
                None,
                &form,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

#[derive(Deserialize, Default, Serialize)]
struct RoomForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    capacity: String,
    #[serde(default)]
    step_free: String,
}

#[derive(Deserialize, Default, Serialize)]
struct ClosedDaysForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default)]
    days: String,
}

#[allow(clippy::too_many_arguments)]
async fn render_court(
    state: &AppState,
    reader: &Reader,
    caller: &Caller,
    id: Uuid,
    room: &RoomForm,
    days_text: Option<&str>,
    errors: &FormErrors,
    status: StatusCode,
) -> AppResult<Response> {
    let lang = reader.language;
    let court = courts::get_visible(&state.db, caller, id).await?;
    let (rooms, _) =
        courts::list_rooms(&state.db, id, PageRequest::parse(Some(200), None)?).await?;
    let days = courts::closed_days(&state.db, id).await?;
    let room_rows: Vec<Value> = rooms
        .iter()
        .map(|r| json!({"name": r.name, "capacity": r.capacity, "step_free": r.step_free}))
        .collect();
    let day_words: Vec<String> = days.iter().map(|d| dates::long_date(lang, *d)).collect();
    // The editor lists the days one a line in the form's own format, which
    // `<input type=date>` also uses.
    let days_text = days_text.map_or_else(
        || {
            days.iter()
                .map(|d| d.format("%Y-%m-%d").to_string())
                .collect::<Vec<_>>()
                .join("\n")
        },
        str::to_owned,
    );
    render(
        reader,
        status,
        templates::ADMIN_COURT_PAGE,
        &format!("/admin/courts/{id}"),
        json!({
            "id": id,
            "code": court.code,
            "name": court.name,
            "timezone": court.timezone,
            "rooms": room_rows,
            "room": room,
            "days": day_words,
            "days_text": days_text,
            "errors": errors_with(errors, &["name", "capacity", "days"]),
            "form_error": errors.form,
        }),
    )
}

/// `GET /admin/courts/{id}`: rooms and closed days of a court.
async fn court_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let (reader, caller) = admin_or_return!(state, headers);
    let id: Uuid = id.parse().map_err(|_| AppError::not_found("court"))?;
    render_court(
        &state,
        &reader,
        &caller,
        id,
        &RoomForm::default(),
        None,
        &FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

/// `POST /admin/courts/{id}/rooms`.
async fn create_room(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<RoomForm>,
) -> AppResult<Response> {
    let (reader, caller) = admin_or_return!(state, headers);
    if !session::csrf_ok(&headers, &form.csrf) {
        return Ok(csrf_refused(&reader));
    }
    let id: Uuid = id.parse().map_err(|_| AppError::not_found("court"))?;
    // A capacity that is not a number is refused by the same rule as one
    // out of range.
    let body = CreateRoom {
        name: form.name.clone(),
        capacity: form.capacity.trim().parse().unwrap_or(0),
        step_free: !form.step_free.is_empty(),
    };
    let result = match parse_room(&body) {
        Ok(new) => courts::create_room(&state.db, &caller, id, new).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/admin/courts/{id}"))),
        Err(e) => {
            let errors = FormErrors::from_error(reader.language, e)?;
            render_court(
                &state,
                &reader,
                &caller,
                id,
                &form,
                None,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// `POST /admin/courts/{id}/closed-days`: replaces the list, one date a
/// line (`YYYY-MM-DD`).
async fn set_closed_days(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<ClosedDaysForm>,
) -> AppResult<Response> {
    let (reader, caller) = admin_or_return!(state, headers);
    if !session::csrf_ok(&headers, &form.csrf) {
        return Ok(csrf_refused(&reader));
    }
    let id: Uuid = id.parse().map_err(|_| AppError::not_found("court"))?;
    courts::get_visible(&state.db, &caller, id).await?;
    let mut days = BTreeSet::new();
    let mut bad = Vec::new();
    for line in form.days.lines().map(str::trim).filter(|l| !l.is_empty()) {
        match chrono::NaiveDate::parse_from_str(line, "%Y-%m-%d") {
            Ok(d) => {
                days.insert(d);
            }
            Err(_) => bad.push(line.chars().take(20).collect::<String>()),
        }
    }
    let result = if bad.is_empty() {
        match check_closed_days(&days.iter().copied().collect::<Vec<_>>()) {
            Ok(()) => courts::set_closed_days(&state.db, &caller, id, days)
                .await
                .map(|_| ()),
            Err(e) => Err(e),
        }
    } else {
        Err(AppError::field(
            "days",
            format!("not dates (YYYY-MM-DD): {}", bad.join(", ")),
        ))
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/admin/courts/{id}"))),
        Err(e) => {
            let errors = FormErrors::from_error(reader.language, e)?;
            render_court(
                &state,
                &reader,
                &caller,
                id,
                &RoomForm::default(),
                Some(&form.days),
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

// ---- users ----------------------------------------------------------------------------

#[derive(Deserialize, Default, Serialize)]
struct UserForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    court_id: String,
    #[serde(default)]
    language: String,
    #[serde(default, skip_serializing)]
    password: String,
}

#[allow(clippy::too_many_arguments)]
async fn render_users(
    state: &AppState,
    reader: &Reader,
    caller: &Caller,
    cursor: Option<&str>,
    form: &UserForm,
    errors: &FormErrors,
    status: StatusCode,
) -> AppResult<Response> {
    let lang = reader.language;
    let (list, next) = users::list(&state.db, None, None, page_of(cursor)?).await?;
    let (court_list, _) =
        courts::list_visible(&state.db, caller, PageRequest::parse(Some(100), None)?).await?;
    let court_names: BTreeMap<Uuid, String> =
        court_list.iter().map(|c| (c.id, c.name.clone())).collect();
    let rows: Vec<Value> = list
        .iter()
        .map(|u| {
            json!({
                "name": u.name,
                "email": u.email,
                "role": role_words(lang, u.role),
                "court": u.court_id.and_then(|c| court_names.get(&c).cloned()).unwrap_or_default(),
                "active": u.active,
            })
        })
        .collect();
    let roles: Vec<Choice> = [Role::Clerk, Role::Mediator, Role::Admin]
        .iter()
        .map(|r| Choice {
            value: r.as_str().into(),
            label: role_words(lang, *r).into(),
            selected: r.as_str() == form.role,
        })
        .collect();
    let courts: Vec<Choice> = court_list
        .iter()
        .map(|c| Choice {
            value: c.id.to_string(),
            label: c.name.clone(),
            selected: c.id.to_string() == form.court_id,
        })
        .collect();
    let language = if form.language.is_empty() {
        lang.as_str()
    } else {
        form.language.as_str()
    };
    render(
        reader,
        status,
        templates::ADMIN_USERS_PAGE,
        "/admin/users",
        json!({
            "rows": rows,
            "next_page": next.map(|c| format!("/admin/users?cursor={c}")).unwrap_or_default(),
            "form": form,
            "roles": roles,
            "courts": courts,
            "languages": language_choices(language),
            "errors": errors_with(errors, &["email", "name", "role", "court_id", "language", "password"]),
            "form_error": errors.form,
        }),
    )
}

/// `GET /admin/users`.
async fn users_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<CursorQuery>,
) -> AppResult<Response> {
    let (reader, caller) = admin_or_return!(state, headers);
    render_users(
        &state,
        &reader,
        &caller,
        q.cursor.as_deref(),
        &UserForm::default(),
        &FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

/// `POST /admin/users`: a new account, as `POST /api/v1/users`.
async fn create_user(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<UserForm>,
) -> AppResult<Response> {
    let (reader, caller) = admin_or_return!(state, headers);
    if !session::csrf_ok(&headers, &form.csrf) {
        return Ok(csrf_refused(&reader));
    }
    let court_id = match form.court_id.trim() {
        "" => None,
        c => Some(
            c.parse::<Uuid>()
                .map_err(|_| AppError::field("court_id", "is not a court id")),
        ),
    };
    let result = match court_id.transpose() {
        Err(e) => Err(e),
        Ok(court_id) => match NewUser::parse(NewUserInput {
            email: form.email.trim().to_owned(),
            name: form.name.clone(),
            role: form.role.clone(),
            court_id,
            language: form.language.clone(),
            password: form.password.clone(),
        }) {
            Ok(new) => users::create(&state.db, Actor::User(caller.user_id), new)
                .await
                .map(|_| ()),
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(()) => Ok(see_other("/admin/users")),
        Err(e) => {
            let errors = FormErrors::from_error(reader.language, e)?;
            render_users(
                &state,
                &reader,
                &caller,
                None,
                &form,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

// ---- the mediator registry --------------------------------------------------------------

#[derive(Deserialize, Default)]
struct RegistryQuery {
    cursor: Option<String>,
    created: Option<usize>,
    updated: Option<usize>,
    unchanged: Option<usize>,
    skipped: Option<usize>,
}

#[derive(Deserialize, Default)]
struct ImportForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    csv: String,
    /// `preview` or `apply`.
    #[serde(default)]
    step: String,
    #[serde(default)]
    skip_bad_rows: String,
}

#[allow(clippy::too_many_arguments)]
async fn render_registry(
    state: &AppState,
    reader: &Reader,
    caller: &Caller,
    cursor: Option<&str>,
    csv: &str,
    preview: Option<&registry_import::ImportReport>,
    done: Option<Value>,
    status: StatusCode,
) -> AppResult<Response> {
    let lang = reader.language;
    let (list, next) = mediators::list_for(&state.db, caller, None, None, page_of(cursor)?).await?;
    let rows: Vec<Value> = list
        .iter()
        .map(|r| {
            let m = &r.mediator;
            json!({
                "name": m.name,
                "registry_number": m.registry_number,
                "certified_until": dates::long_date(lang, m.certified_until),
                "status": mediator_status_words(lang, m.status.as_str()),
                "max_active_cases": m.max_active_cases,
            })
        })
        .collect();
    let preview = preview.map(|p| {
        json!({
            "created": p.created,
            "updated": p.updated,
            "unchanged": p.unchanged,
            "bad_lines": p.skipped,
            "errors": p.errors.iter().take(500).map(|e| json!({"line": e.line, "column": e.column, "message": e.message})).collect::<Vec<_>>(),
            "more_errors": p.errors.len().saturating_sub(500),
            "blocked": p.errors.iter().any(|e| e.line <= 1),
        })
    });
    render(
        reader,
        status,
        templates::ADMIN_MEDIATORS_PAGE,
        "/admin/mediators",
        json!({
            "rows": rows,
            "next_page": next.map(|c| format!("/admin/mediators?cursor={c}")).unwrap_or_default(),
            "csv": csv,
            "preview": preview,
            "done": done,
        }),
    )
}

/// `GET /admin/mediators`: the registry, and the import form.
async fn mediators_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<RegistryQuery>,
) -> AppResult<Response> {
    let (reader, caller) = admin_or_return!(state, headers);
    let done = q.created.map(|created| {
        json!({
            "created": created,
            "updated": q.updated.unwrap_or(0),
            "unchanged": q.unchanged.unwrap_or(0),
            "skipped": q.skipped.unwrap_or(0),
        })
    });
    render_registry(
        &state,
        &reader,
        &caller,
        q.cursor.as_deref(),
        "",
        None,
        done,
        StatusCode::OK,
    )
    .await
}

/// `POST /admin/mediators/import`: `step=preview` shows what the file would
/// do and every bad row, writing nothing; `step=apply` imports it (bad rows
/// left out only when asked).
async fn import(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<ImportForm>,
) -> AppResult<Response> {
    let (reader, caller) = admin_or_return!(state, headers);
    if !session::csrf_ok(&headers, &form.csrf) {
        return Ok(csrf_refused(&reader));
    }
    if form.csv.len() > MAX_CSV_BYTES {
        return Err(AppError::PayloadTooLarge);
    }
    let actor = Actor::User(caller.user_id);
    if form.step != "apply" {
        let report = registry_import::preview(&state.db, actor, &form.csv).await?;
        return render_registry(
            &state,
            &reader,
            &caller,
            None,
            &form.csv,
            Some(&report),
            None,
            StatusCode::OK,
        )
        .await;
    }
    let report = registry_import::import(
        &state.db,
        actor,
        &form.csv,
        !form.skip_bad_rows.is_empty(),
        &|_, _| {},
    )
    .await?;
    if !report.applied {
        let preview = registry_import::preview(&state.db, actor, &form.csv).await?;
        return render_registry(
            &state,
            &reader,
            &caller,
            None,
            &form.csv,
            Some(&preview),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    Ok(see_other(&format!(
        "/admin/mediators?created={}&updated={}&unchanged={}&skipped={}",
        report.created, report.updated, report.unchanged, report.skipped
    )))
}

// ---- the outbox -------------------------------------------------------------------------

#[derive(Deserialize, Default)]
struct OutboxQuery {
    status: Option<String>,
    cursor: Option<String>,
}

/// `GET /admin/outbox`: messages in one status (failed first of all).
async fn outbox_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<OutboxQuery>,
) -> AppResult<Response> {
    let (reader, caller) = admin_or_return!(state, headers);
    let lang = reader.language;
    let status = match q.status.as_deref().map(str::trim) {
        None | Some("") => DeliveryStatus::Failed,
        Some(s) => s
            .parse::<DeliveryStatus>()
            .map_err(|e| AppError::field("status", e))?,
    };
    let (list, next) = outbox::list(
        &state.db,
        Actor::User(caller.user_id),
        Some(status),
        page_of(q.cursor.as_deref())?,
    )
    .await?;
    let rows: Vec<Value> = list
        .iter()
        .map(|m| {
            json!({
                "id": m.id,
                "subject": m.subject,
                "recipient": m.recipient,
                "status": delivery_words(lang, &m.status),
                "attempts": m.attempts,
                "error": m.last_error.clone().unwrap_or_default(),
                "created": dates::instant(lang, m.created_at, crate::domain::reports::REPORT_ZONE, crate::domain::reports::REPORT_ZONE),
                "failed": m.status == DeliveryStatus::Failed.as_str(),
            })
        })
        .collect();
    let statuses: Vec<Choice> = DeliveryStatus::ALL
        .iter()
        .map(|s| Choice {
            value: s.as_str().into(),
            label: delivery_words(lang, s.as_str()).into(),
            selected: *s == status,
        })
        .collect();
    render(
        &reader,
        StatusCode::OK,
        templates::ADMIN_OUTBOX_PAGE,
        "/admin/outbox",
        json!({
            "rows": rows,
            "statuses": statuses,
            "next_page": next.map(|c| format!("/admin/outbox?status={}&cursor={c}", status.as_str())).unwrap_or_default(),
        }),
    )
}

/// `POST /admin/outbox/{id}/retry`: as `POST /api/v1/admin/outbox/{id}/retry`.
async fn retry(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<super::frame::CsrfForm>,
) -> AppResult<Response> {
    let (reader, caller) = admin_or_return!(state, headers);
    if !session::csrf_ok(&headers, &form.csrf) {
        return Ok(csrf_refused(&reader));
    }
    let id: Uuid = id
        .parse()
        .map_err(|_| AppError::not_found("outbox message"))?;
    outbox::retry(&state.db, Actor::User(caller.user_id), id).await?;
    Ok(see_other("/admin/outbox"))
}
