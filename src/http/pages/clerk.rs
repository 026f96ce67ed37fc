//! The clerk's pages: the court's cases, the referral form, the matches of
//! a case and the proposal of a mediator, and the case page with the
//! outcome to register or return.
//!
//! Rule: every check is the API's own (`http::cases::parse_referral`,
//! `matches_view`, the services); a refusal is shown next to the field the
//! problem names. Every POST checks the CSRF token first and answers a
//! success with 303 to a page (POST-redirect-GET).

use std::collections::HashMap;

use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use super::forms::FormErrors;
use super::frame::{Reader, csrf_refused, see_other, v, words};
use super::session;
use crate::domain::case::{CaseCategory, CaseStatus, OPEN_BEFORE_OUTCOME, PartyRole};
use crate::domain::outcome::{OutcomeStatus, RegistrationDecision};
use crate::domain::{Language, TimeZoneName};
use crate::error::{AppError, AppResult};
use crate::http::cases::{CaseFlags, MAX_PARTIES, PartyInput, ReferCase};
use crate::i18n::{self, dates};
use crate::mail::templates;
use crate::services::auth::Caller;
use crate::services::cases::{self, CaseFilter};
use crate::services::deadlines::WARN_DAYS_BEFORE;
use crate::services::outcomes::{self, DocumentFormat};
use crate::services::page::PageRequest;
use crate::services::{assignments, courts, sessions};
use crate::state::AppState;

/// Longest case number searched for.
const MAX_SEARCH: usize = 64;
/// Cases on one page of the clerk's list: a page stays far below 150 KB.
const CASES_PER_PAGE: u64 = 50;
/// Party blocks the referral form shows at first.
const DEFAULT_PARTY_BLOCKS: usize = 2;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/cases/new", get(new_case_page).post(refer))
        .route("/cases/{id}", get(case_page))
        .route("/cases/{id}/matches", get(matches_page))
        .route("/cases/{id}/assignment", post(propose))
        .route("/cases/{id}/register", post(register))
        .route("/cases/{id}/return", post(return_outcome))
        .route("/cases/{id}/agreement.pdf", get(agreement))
}

/// A choice of a `<select>`.
#[derive(Serialize)]
pub(crate) struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

fn blank_is_none(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|s| !s.is_empty())
}

fn language_name(lang: Language) -> &'static str {
    match lang {
        Language::Kk => "Қазақша",
        Language::Ru => "Русский",
        Language::En => "English",
    }
}

fn language_choices(selected: &str) -> Vec<Choice> {
    Language::ALL
        .iter()
        .map(|l| Choice {
            value: l.as_str().to_owned(),
            label: language_name(*l).to_owned(),
            selected: l.as_str() == selected,
        })
        .collect()
}

fn category_choices(lang: Language, selected: &str) -> Vec<Choice> {
    CaseCategory::ALL
        .iter()
        .map(|c| Choice {
            value: c.as_str().to_owned(),
            label: i18n::words::category(lang, *c).to_owned(),
            selected: c.as_str() == selected,
        })
        .collect()
}

fn role_choices(lang: Language, selected: &str) -> Vec<Choice> {
    PartyRole::ALL
        .iter()
        .map(|r| Choice {
            value: r.as_str().to_owned(),
            label: i18n::words::party_role(lang, *r).to_owned(),
            selected: r.as_str() == selected,
        })
        .collect()
}

fn parse_id(raw: &str) -> AppResult<Uuid> {
    raw.parse().map_err(|_| AppError::not_found("case"))
}

// ---- the list -------------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct CaseQuery {
    status: Option<String>,
    category: Option<String>,
    number: Option<String>,
    /// `1`: only cases under way whose deadline is near or past.
    soon: Option<String>,
    cursor: Option<String>,
}

/// The date on the clock of `zone` now.
fn today_in(zone: chrono_tz::Tz) -> NaiveDate {
    date_at(crate::db::now(), zone)
}

/// The date on the clock of `zone` at `instant`.
fn date_at(instant: chrono::DateTime<chrono::Utc>, zone: chrono_tz::Tz) -> NaiveDate {
    instant.with_timezone(&zone).date_naive()
}

/// How near a deadline is, in words, for a case still under way.
fn deadline_warning(
    lang: Language,
    status: CaseStatus,
    deadline: NaiveDate,
    today: NaiveDate,
) -> String {
    if !OPEN_BEFORE_OUTCOME.contains(&status) {
        return String::new();
    }
    let days = (deadline - today).num_days();
    if days < 0 {
        words(lang, "мерзімі өтті", "срок прошёл", "deadline passed").to_owned()
    } else if days == 0 {
        words(lang, "бүгін аяқталады", "истекает сегодня", "ends today").to_owned()
    } else if days <= WARN_DAYS_BEFORE {
        match lang {
            Language::Kk => format!("{days} күн қалды"),
            Language::Ru => format!("осталось дней: {days}"),
            Language::En if days == 1 => "1 day left".to_owned(),
            Language::En => format!("{days} days left"),
        }
    } else {
        String::new()
    }
}

/// `GET /home` of a clerk: the court's cases with filters.
pub(crate) async fn home(
    state: &AppState,
    reader: &Reader,
    caller: &Caller,
    q: CaseQuery,
) -> AppResult<Response> {
    let lang = reader.language;
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
    let soon = blank_is_none(q.soon.as_deref()).is_some();
    // Deadlines are court days: "today" is the day on the national clock,
    // not in UTC (from 19:00 UTC it is already tomorrow in Kazakhstan).
    let today = today_in(TimeZoneName::FALLBACK);
    let page = PageRequest::parse(Some(CASES_PER_PAGE), q.cursor.as_deref())?;
    let (items, next) = cases::list(
        &state.db,
        caller,
        CaseFilter {
            court_id: None,
            status,
            category,
            number: number.map(str::to_owned),
            deadline_by: soon.then(|| today + chrono::Duration::days(WARN_DAYS_BEFORE)),
        },
        page,
    )
    .await?;
    let rows: Vec<Value> = items
        .iter()
        .map(|c| {
            json!({
                "id": c.id,
                "number": c.court_case_number,
                "category": i18n::words::category(lang, c.category),
                "status": i18n::words::case_status(lang, c.status),
                "deadline": dates::long_date(lang, c.mediation_deadline),
                "warning": deadline_warning(lang, c.status, c.mediation_deadline, today),
            })
        })
        .collect();
    let statuses: Vec<Choice> = CaseStatus::ALL
        .iter()
        .map(|s| Choice {
            value: s.as_str().to_owned(),
            label: i18n::words::case_status(lang, *s).to_owned(),
            selected: Some(*s) == status,
        })
        .collect();
    let categories = category_choices(lang, category.map_or("", |c| c.as_str()));
    let next_page = next.map(|cursor| {
        let mut pairs = url::form_urlencoded::Serializer::new(String::new());
        if let Some(s) = status {
            pairs.append_pair("status", s.as_str());
        }
        if let Some(c) = category {
            pairs.append_pair("category", c.as_str());
        }
        if let Some(n) = number {
            pairs.append_pair("number", n);
        }
        if soon {
            pairs.append_pair("soon", "1");
        }
        pairs.append_pair("cursor", &cursor);
        format!("/home?{}", pairs.finish())
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
            soon => soon,
            warn_days => WARN_DAYS_BEFORE,
            next_page => next_page.unwrap_or_default(),
        },
    )?;
    Ok(reader.answer(StatusCode::OK, html))
}

// ---- the referral form ------------------------------------------------------------

/// The fields of a posted form, by name (a name given twice: the last).
struct Posted(HashMap<String, String>);

impl Posted {
    fn new(pairs: Vec<(String, String)>) -> Self {
        Self(pairs.into_iter().collect())
    }

    fn get(&self, name: &str) -> &str {
        self.0.get(name).map_or("", |s| s.as_str())
    }

    fn on(&self, name: &str) -> bool {
        !self.get(name).is_empty()
    }

    fn opt(&self, name: &str) -> Option<String> {
        let s = self.get(name).trim();
        (!s.is_empty()).then(|| s.to_owned())
    }
}

const PARTY_FIELDS: [&str; 7] = [
    "role", "name", "email", "phone", "iin_bin", "language", "is_minor",
];
const CASE_FIELDS: [&str; 10] = [
    "court_id",
    "court_case_number",
    "category",
    "summary",
    "language",
    "mediation_deadline",
    "minors_involved",
    "violence_reported",
    "interpreter_needed",
    "parties",
];

/// How many party blocks a posted form had (at least the default).
fn party_blocks(posted: &Posted) -> usize {
    (0..MAX_PARTIES)
        .rev()
        .find(|i| {
            PARTY_FIELDS
                .iter()
                .any(|f| posted.0.contains_key(&format!("party{i}_{f}")))
        })
        .map_or(0, |i| i + 1)
        .max(DEFAULT_PARTY_BLOCKS)
}

async fn court_choices(
    state: &AppState,
    caller: &Caller,
    selected: &str,
) -> AppResult<Option<Vec<Choice>>> {
    if caller.court_id.is_some() {
        return Ok(None);
    }
    let (list, _) =
        courts::list_visible(&state.db, caller, PageRequest::parse(Some(100), None)?).await?;
    Ok(Some(
        list.into_iter()
            .map(|c| Choice {
                selected: c.id.to_string() == selected,
                value: c.id.to_string(),
                label: c.name,
            })
            .collect(),
    ))
}

async fn render_referral(
    state: &AppState,
    reader: &Reader,
    caller: &Caller,
    posted: &Posted,
    blocks: usize,
    errors: &FormErrors,
    status: StatusCode,
) -> AppResult<Response> {
    let lang = reader.language;
    let error = |name: &str| errors.fields.get(name).cloned().unwrap_or_default();
    let mut e: HashMap<&str, String> = HashMap::new();
    for f in CASE_FIELDS {
        e.insert(f, error(f));
    }
    let case_language = posted
        .opt("language")
        .unwrap_or_else(|| lang.as_str().to_owned());
    let parties: Vec<Value> = (0..blocks)
        .map(|i| {
            let name = |f: &str| format!("party{i}_{f}");
            let default_role = match i {
                0 => "claimant",
                1 => "respondent",
                _ => "",
            };
            let role = posted
                .opt(&name("role"))
                .unwrap_or_else(|| default_role.to_owned());
            let language = posted
                .opt(&name("language"))
                .unwrap_or_else(|| case_language.clone());
            let mut errs = serde_json::Map::new();
            for f in PARTY_FIELDS {
                errs.insert(f.to_owned(), json!(error(&name(f))));
            }
            errs.insert(
                "legal_capacity".into(),
                json!(error(&name("legal_capacity"))),
            );
            json!({
                "i": i,
                "number": i + 1,
                "roles": role_choices(lang, &role),
                "name": posted.get(&name("name")),
                "email": posted.get(&name("email")),
                "phone": posted.get(&name("phone")),
                "iin_bin": posted.get(&name("iin_bin")),
                "languages": language_choices(&language),
                "is_minor": posted.on(&name("is_minor")),
                "errors": errs,
            })
        })
        .collect();
    let courts = court_choices(state, caller, posted.get("court_id")).await?;
    let html = templates::render_page(
        templates::NEW_CASE_PAGE,
        minijinja::context! {
            frame => v(&reader.frame("/cases/new")),
            courts => v(&courts),
            court_case_number => posted.get("court_case_number"),
            categories => v(&category_choices(lang, posted.get("category"))),
            summary => posted.get("summary"),
            languages => v(&language_choices(&case_language)),
            mediation_deadline => posted.get("mediation_deadline"),
            minors_involved => posted.on("minors_involved"),
            violence_reported => posted.on("violence_reported"),
            interpreter_needed => posted.on("interpreter_needed"),
            parties => v(&parties),
            more_parties => blocks < MAX_PARTIES,
            errors => v(&e),
            form_error => errors.form.clone(),
        },
    )?;
    Ok(reader.answer(status, html))
}

async fn signed_in_clerk(
    state: &AppState,
    headers: &HeaderMap,
) -> AppResult<Result<(Reader, Caller), Response>> {
    let reader = Reader::of(state, headers).await?;
    match reader.caller.clone() {
        Some(c) => Ok(Ok((reader, c))),
        None => Ok(Err(see_other("/login"))),
    }
}

/// `GET /cases/new`: the referral form.
async fn new_case_page(State(state): State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    let (reader, caller) = match signed_in_clerk(&state, &headers).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let posted = Posted::new(Vec::new());
    render_referral(
        &state,
        &reader,
        &caller,
        &posted,
        DEFAULT_PARTY_BLOCKS,
        &FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

/// `POST /cases/new`: the referral, through the API's own check and
/// service; `more` asks for one more party block instead.
async fn refer(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (reader, caller) = match signed_in_clerk(&state, &headers).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let posted = Posted::new(pairs);
    if !session::csrf_ok(&headers, posted.get("csrf")) {
        return Ok(csrf_refused(&reader));
    }
    let lang = reader.language;
    let blocks = party_blocks(&posted);
    if posted.on("more") {
        let blocks = (blocks + 1).min(MAX_PARTIES);
        return render_referral(
            &state,
            &reader,
            &caller,
            &posted,
            blocks,
            &FormErrors::default(),
            StatusCode::OK,
        )
        .await;
    }
    let mut early = FormErrors::default();
    let court_id = match caller.court_id {
        Some(c) => c,
        None => posted.get("court_id").parse().unwrap_or_else(|_| {
            early.field(
                "court_id",
                words(lang, "Сотты таңдаңыз.", "Выберите суд.", "Choose a court."),
            );
            Uuid::nil()
        }),
    };
    let deadline =
        match NaiveDate::parse_from_str(posted.get("mediation_deadline").trim(), "%Y-%m-%d") {
            Ok(d) => d,
            Err(_) => {
                early.field(
                    "mediation_deadline",
                    words(lang, "Күнді таңдаңыз.", "Выберите дату.", "Choose a date."),
                );
                crate::db::now().date_naive()
            }
        };
    // Blank extra blocks are left out; `used[k]` is the block of party `k`.
    let used: Vec<usize> = (0..blocks)
        .filter(|&i| {
            i < DEFAULT_PARTY_BLOCKS
                || ["name", "email", "phone", "iin_bin"]
                    .iter()
                    .any(|f| posted.opt(&format!("party{i}_{f}")).is_some())
        })
        .collect();
    let parties = used
        .iter()
        .map(|i| {
            let f = |name: &str| format!("party{i}_{name}");
            PartyInput {
                role: posted.get(&f("role")).to_owned(),
                name: posted.get(&f("name")).to_owned(),
                email: posted.get(&f("email")).trim().to_owned(),
                phone: posted.opt(&f("phone")),
                iin_bin: posted.opt(&f("iin_bin")),
                language: posted.get(&f("language")).to_owned(),
                is_minor: posted.on(&f("is_minor")),
                accessibility_needs: None,
                legal_capacity: None,
            }
        })
        .collect();
    let body = ReferCase {
        court_id,
        court_case_number: posted.get("court_case_number").to_owned(),
        category: posted.get("category").to_owned(),
        summary: posted.get("summary").to_owned(),
        language: posted.get("language").to_owned(),
        mediation_deadline: deadline,
        flags: CaseFlags {
            minors_involved: posted.on("minors_involved"),
            violence_reported: posted.on("violence_reported"),
            interpreter_needed: posted.on("interpreter_needed"),
            corruption_or_public_service: false,
        },
        parties,
    };
    let parsed = crate::http::cases::parse_referral(&body);
    let result = match (parsed, early.is_empty()) {
        (Ok(new_case), true) => cases::refer(&state.db, &state.settings, &caller, new_case).await,
        (Ok(_), false) => Err(AppError::Validation(Vec::new())),
        (Err(e), _) => Err(e),
    };
    match result {
        Ok(record) => Ok(see_other(&format!("/cases/{}", record.case.id))),
        Err(error) => {
            let mut errors = FormErrors::from_error(lang, error)?;
            // Party `k` of the request is block `used[k]` of the form.
            errors.fields = errors
                .fields
                .into_iter()
                .map(|(name, message)| (renumber(&name, &used), message))
                .collect();
            for (name, message) in early.fields {
                errors.field(&name, message);
            }
            if errors.form.is_empty() {
                errors.form = words(
                    lang,
                    "Белгіленген өрістерді тексеріңіз.",
                    "Проверьте отмеченные поля.",
                    "Please check the marked fields.",
                )
                .to_owned();
            }
            render_referral(
                &state,
                &reader,
                &caller,
                &posted,
                blocks,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// `party{k}_x` of the request as the form's `party{used[k]}_x`.
fn renumber(name: &str, used: &[usize]) -> String {
    if let Some(rest) = name.strip_prefix("party")
        && let Some((k, field)) = rest.split_once('_')
        && let Ok(k) = k.parse::<usize>()
        && let Some(block) = used.get(k)
    {
        return format!("party{block}_{field}");
    }
    name.to_owned()
}

// ---- matches and the proposal -------------------------------------------------------

#[derive(Deserialize)]
struct MatchQuery {
    duration_minutes: Option<String>,
}

const DURATIONS: [i64; 5] = [30, 60, 90, 120, 180];

async fn render_matches(
    state: &AppState,
    reader: &Reader,
    caller: &Caller,
    id: Uuid,
    minutes: Option<i64>,
    error: &str,
    status: StatusCode,
) -> AppResult<Response> {
    let lang = reader.language;
    let record = cases::load_for_court(&state.db, caller, id).await?;
    let view = cases::party_view(&state.db, &record.case).await?;
    let tz = view.court_tz;
    let matches = crate::http::cases::matches_view(state, caller, id, minutes).await?;
    let candidates: Vec<Value> = matches
        .candidates
        .iter()
        .enumerate()
        .map(|(rank, c)| {
            json!({
                "rank": rank + 1,
                "id": c.mediator_id,
                "name": c.name,
                "registry_number": c.registry_number,
                "earliest": dates::instant(lang, c.earliest_slot.start, tz, tz),
                "hours": c.score_parts.earliest_slot_hours,
                "active_cases": c.score_parts.active_cases,
                "recent": c.score_parts.assignments_last_90_days,
            })
        })
        .collect();
    let excluded: Vec<Value> = matches
        .excluded
        .iter()
        .map(|x| {
            json!({
                "name": x.name,
                "registry_number": x.registry_number,
                "reasons": x.reasons.iter().map(|r| i18n::reasons::exclusion(lang, *r)).collect::<Vec<_>>(),
            })
        })
        .collect();
    let chosen = minutes.unwrap_or(assignments::DEFAULT_SESSION_MINUTES);
    let durations: Vec<Choice> = DURATIONS
        .iter()
        .map(|m| Choice {
            value: m.to_string(),
            label: match lang {
                Language::En => format!("{m} min"),
                _ => format!("{m} мин."),
            },
            selected: *m == chosen,
        })
        .collect();
    let html = templates::render_page(
        templates::MATCHES_PAGE,
        minijinja::context! {
            frame => v(&reader.frame(&format!("/cases/{id}/matches"))),
            id => id.to_string(),
            number => record.case.court_case_number.clone(),
            can_propose => record.case.status == CaseStatus::Referred,
            status => i18n::words::case_status(lang, record.case.status),
            automatic => matches.automatic_assignment_allowed,
            candidates => v(&candidates),
            excluded => v(&excluded),
            durations => v(&durations),
            error => error,
        },
    )?;
    Ok(reader.answer(status, html))
}

/// `GET /cases/{id}/matches`: ranked mediators and the excluded with
/// their reasons, as `GET /api/v1/cases/{id}/matches` gives them.
async fn matches_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<MatchQuery>,
) -> AppResult<Response> {
    let (reader, caller) = match signed_in_clerk(&state, &headers).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let id = parse_id(&id)?;
    let minutes = blank_is_none(q.duration_minutes.as_deref())
        .map(|m| {
            m.parse::<i64>()
                .map_err(|_| AppError::field("duration_minutes", "must be a whole number"))
        })
        .transpose()?;
    render_matches(&state, &reader, &caller, id, minutes, "", StatusCode::OK).await
}

#[derive(Deserialize)]
struct ProposeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    mediator_id: String,
    #[serde(default)]
    chosen_by_parties: String,
}

/// `POST /cases/{id}/assignment`: proposes the mediator, as the API does.
async fn propose(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<ProposeForm>,
) -> AppResult<Response> {
    let (reader, caller) = match signed_in_clerk(&state, &headers).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    if !session::csrf_ok(&headers, &form.csrf) {
        return Ok(csrf_refused(&reader));
    }
    let id = parse_id(&id)?;
    let mediator_id: Uuid = form
        .mediator_id
        .parse()
        .map_err(|_| AppError::field("mediator_id", "is not a mediator id"))?;
    let result = assignments::propose(
        &state.db,
        &state.calendars,
        &state.settings,
        &caller,
        id,
        mediator_id,
        !form.chosen_by_parties.is_empty(),
    )
    .await;
    match result {
        Ok(_) => Ok(see_other(&format!("/cases/{id}"))),
        Err(error) => {
            let errors = FormErrors::from_error(reader.language, error)?;
            let message = match errors.fields.values().next() {
                Some(m) if errors.form.is_empty() => m.clone(),
                _ => errors.form,
            };
            render_matches(
                &state,
                &reader,
                &caller,
                id,
                None,
                &message,
                StatusCode::CONFLICT,
            )
            .await
        }
    }
}

// ---- the case page ------------------------------------------------------------------

async fn render_case(
    state: &AppState,
    reader: &Reader,
    caller: &Caller,
    id: Uuid,
    errors: &FormErrors,
    status: StatusCode,
) -> AppResult<Response> {
    let lang = reader.language;
    let record = cases::read(&state.db, caller, id).await?;
    let view = cases::party_view(&state.db, &record.case).await?;
    let court_tz = view.court_tz;
    let case_sessions = sessions::of_case(&state.db, &record).await?;
    let is_clerk = caller.role == crate::domain::Role::Clerk;
    let outcome = match outcomes::read(&state.db, caller, id).await {
        Ok(o) => {
            let cur = &o.current;
            Some(json!({
                "result": i18n::outcomes::result(lang, cur.result),
                "status": i18n::outcomes::status(lang, cur.status),
                "to_decide": is_clerk && cur.status == OutcomeStatus::Submitted,
                "has_document": cur.pdf_sha256.is_some(),
                "registration_number": cur.court_registration_number.clone().unwrap_or_default(),
                "return_reason": cur.return_reason.clone().unwrap_or_default(),
            }))
        }
        Err(AppError::NotFound(_) | AppError::Forbidden(_)) => None,
        Err(e) => return Err(e),
    };
    let parties: Vec<Value> = record
        .parties
        .iter()
        .map(|p| {
            json!({
                "name": p.name,
                "role": i18n::words::party_role(lang, p.role),
            })
        })
        .collect();
    let session_rows: Vec<Value> = case_sessions
        .iter()
        .map(|s| {
            let zone = crate::services::invitations::zone_of(s);
            json!({
                "starts": dates::instant(lang, s.starts_at, zone, court_tz),
                "minutes": (s.ends_at - s.starts_at).num_minutes(),
                "status": i18n::words::session_status(lang, s.status),
                "format": i18n::words::session_format(lang, s.format),
            })
        })
        .collect();
    let assignment = record.assignment.as_ref().map(|a| {
        json!({
            "status": i18n::words::assignment_status(lang, a.status),
            "mediator": record.mediator.as_ref().map(|(name, _)| name.clone()).unwrap_or_default(),
        })
    });
    let c = &record.case;
    let today = today_in(court_tz);
    let error = |name: &str| errors.fields.get(name).cloned().unwrap_or_default();
    let html = templates::render_page(
        templates::CASE_PAGE,
        minijinja::context! {
            frame => v(&reader.frame(&format!("/cases/{id}"))),
            id => id.to_string(),
            number => c.court_case_number.clone(),
            court_name => view.court_name,
            category => i18n::words::category(lang, c.category),
            status => i18n::words::case_status(lang, c.status),
            deadline => dates::long_date(lang, c.mediation_deadline),
            warning => deadline_warning(lang, c.status, c.mediation_deadline, today),
            can_match => is_clerk && c.status == CaseStatus::Referred,
            parties => v(&parties),
            sessions => v(&session_rows),
            assignment => v(&assignment),
            outcome => v(&outcome),
            form_error => errors.form.clone(),
            number_error => error("court_registration_number"),
            reason_error => error("reason"),
        },
    )?;
    Ok(reader.answer(status, html))
}

/// `GET /cases/{id}`: a case with its parties, sessions, assignment and
/// outcome, for those who may read it through the API.
async fn case_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let (reader, caller) = match signed_in_clerk(&state, &headers).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let id = parse_id(&id)?;
    render_case(
        &state,
        &reader,
        &caller,
        id,
        &FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize)]
struct DecisionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    court_registration_number: String,
    #[serde(default)]
    reason: String,
}

async fn decide(
    state: AppState,
    headers: HeaderMap,
    id: String,
    form: DecisionForm,
    decision: RegistrationDecision,
) -> AppResult<Response> {
    let (reader, caller) = match signed_in_clerk(&state, &headers).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    if !session::csrf_ok(&headers, &form.csrf) {
        return Ok(csrf_refused(&reader));
    }
    let id = parse_id(&id)?;
    let (number, reason) = match decision {
        RegistrationDecision::Registered => (Some(form.court_registration_number.trim()), None),
        RegistrationDecision::Returned => (None, Some(form.reason.as_str())),
    };
    let number = number.filter(|n| !n.is_empty());
    let reason = reason.filter(|r| !r.trim().is_empty());
    match outcomes::decide(
        &state.db,
        &state.settings,
        &caller,
        id,
        decision,
        number,
        reason,
    )
    .await
    {
        Ok(_) => Ok(see_other(&format!("/cases/{id}"))),
        Err(error) => {
            let errors = FormErrors::from_error(reader.language, error)?;
            render_case(
                &state,
                &reader,
                &caller,
                id,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// `POST /cases/{id}/register`: the court registered the agreement.
async fn register(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<DecisionForm>,
) -> AppResult<Response> {
    decide(state, headers, id, form, RegistrationDecision::Registered).await
}

/// `POST /cases/{id}/return`: the court returned the agreement.
async fn return_outcome(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<DecisionForm>,
) -> AppResult<Response> {
    decide(state, headers, id, form, RegistrationDecision::Returned).await
}

/// `GET /cases/{id}/agreement.pdf`: the current agreement, to whoever may
/// read it through the API (the read is audited there).
async fn agreement(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let (_, caller) = match signed_in_clerk(&state, &headers).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let id = parse_id(&id)?;
    let doc = outcomes::document(&state.db, &caller, id, None, DocumentFormat::Pdf).await?;
    let mut response = doc.bytes.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{}\"", doc.filename)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&doc.sha256) {
        h.insert("x-content-sha256", v);
    }
    super::frame::private(&mut response);
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_deadline_day_is_counted_on_the_courts_clock_not_in_utc() {
        // 20:00 UTC on 30 November is 01:00 on 1 December in Kazakhstan.
        let evening = chrono::Utc
            .with_ymd_and_hms(2026, 11, 30, 20, 0, 0)
            .single()
            .expect("a valid instant");
        let today = date_at(evening, TimeZoneName::FALLBACK);
        assert_eq!(today, NaiveDate::from_ymd_opt(2026, 12, 1).expect("date"));
        // A deadline of 1 December therefore ends today, not tomorrow.
        let deadline = NaiveDate::from_ymd_opt(2026, 12, 1).expect("date");
        assert_eq!(
            deadline_warning(Language::En, CaseStatus::Referred, deadline, today),
            "ends today"
        );
    }
}
