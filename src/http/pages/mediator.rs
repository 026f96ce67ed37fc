//! The mediator's pages: their home (referrals to answer, cases, the next
//! sessions), the week and month calendar, weekly hours and time off with
//! the calendar feed and their own calendar's address, booking by picking a
//! free slot, a session (answers, move, cancel, attendance) and the outcome.
//!
//! Rule: every form is read here and handed to the very parser and service
//! the JSON API uses (`http::sessions::parse_place`,
//! `http::outcomes::parse_outcome`, `slots::parse_weekly`, …); field errors
//! shown next to a field are those the API would answer. Every POST checks
//! the CSRF token first and answers with a redirect (POST-redirect-GET),
//! except when it shows the form again with its errors.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike, Utc,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, OnceLock};
use uuid::Uuid;

use super::frame::{Reader, csrf_refused, see_other, v, words};
use super::session;
use crate::domain::case::CaseStatus;
use crate::domain::outcome::{OutcomeResult, OutcomeStatus};
use crate::domain::session::{SessionFormat, SessionStatus};
use crate::domain::slots;
use crate::domain::{Language, TimeZoneName};
use crate::error::{AppError, AppResult, FieldError, Fields};
use crate::http::outcomes::{OutcomeBody, TermBody, parse_outcome};
use crate::http::sessions::parse_place;
use crate::i18n::dates::{self, WeekdayWidth};
use crate::i18n::{self, outcomes as outcome_words};
use crate::mail::templates;
use crate::services::agenda;
use crate::services::assignments::{self, Answer};
use crate::services::attendance::{self, AttendanceInput};
use crate::services::auth::Caller;
use crate::services::availability::{busy, cache, hours, time_off};
use crate::services::cases::{self, CaseFilter, CaseRecord};
use crate::services::mediators::Mediator;
use crate::services::outcomes::{self, DocumentFormat};
use crate::services::page::PageRequest;
use crate::services::sessions::{self, Booking, Move};
use crate::services::{courts, feed};
use crate::state::AppState;

/// Entries shown in one day of the month view; the rest are counted and
/// linked to the week.
const MONTH_DAY_ENTRIES: usize = 4;
/// Days of free slots offered when booking or moving.
const SLOT_DAYS: i64 = 21;
/// Free slots offered at most.
const MAX_SLOTS: usize = 48;
/// Rows of the weekly-hours editor per weekday.
const ROWS_PER_DAY: usize = 2;
/// Most terms the outcome form shows.
const MAX_TERM_ROWS: usize = 100;
/// The cookie that carries a freshly rotated feed address to the next page,
/// once (the address is stored only as a hash).
const FEED_FLASH_COOKIE: &str = "kelisim_feed";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/calendar", get(calendar))
        .route("/availability", get(availability_page))
        .route("/availability/weekly", post(save_weekly))
        .route("/availability/time-off", post(add_time_off))
        .route("/availability/time-off/{id}/delete", post(delete_time_off))
        .route("/availability/feed", post(rotate_feed))
        .route(
            "/availability/external-calendar",
            post(set_external_calendar),
        )
        .route("/cases/{id}/assignment/accept", post(accept))
        .route("/cases/{id}/assignment/decline", post(decline))
        .route("/cases/{id}/book", get(book_page))
        .route("/cases/{id}/sessions", post(book))
        .route("/sessions/{id}", get(session_page))
        .route("/sessions/{id}/move", post(move_session))
        .route("/sessions/{id}/cancel", post(cancel_session))
        .route("/sessions/{id}/attendance", post(record_attendance))
        .route("/cases/{id}/outcome", get(outcome_page).post(save_outcome))
        .route("/cases/{id}/outcome/submit", post(submit_outcome))
        .route("/cases/{id}/outcome/{file}", get(outcome_document))
}

// ---- helpers ---------------------------------------------------------------------

/// A urlencoded form body, keeping repeated names (`present=…&present=…`).
struct FormData(Vec<(String, String)>);

impl FormData {
    fn parse(body: &[u8]) -> Self {
        Self(
            form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    fn all(&self, name: &str) -> impl Iterator<Item = &str> {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }
}

/// The signed-in mediator reading a page, with their registry entry and
/// zone; `Err(response)` when the reader must go elsewhere first.
struct Me {
    reader: Reader,
    caller: Caller,
    record: Mediator,
    tz: Tz,
}

impl Me {
    async fn of(state: &AppState, headers: &HeaderMap) -> AppResult<Result<Self, Response>> {
        let reader = Reader::of(state, headers).await?;
        let Some(caller) = reader.caller.clone() else {
            return Ok(Err(see_other("/login")));
        };
        let record = match agenda::own_mediator(&state.db, &caller).await {
            Ok(r) => r,
            Err(e) => return Ok(Err(error_page(&reader, &e)?)),
        };
        let tz = zone(&record.timezone);
        Ok(Ok(Self {
            reader,
            caller,
            record,
            tz,
        }))
    }

    fn lang(&self) -> Language {
        self.reader.language
    }

    fn id(&self) -> Uuid {
        self.record.id
    }
}

/// Opens a handler as the signed-in mediator, or answers with where to go.
macro_rules! me_or_return {
    ($state:expr, $headers:expr) => {
        match Me::of(&$state, &$headers).await? {
            Ok(me) => me,
            Err(response) => return Ok(response),
        }
    };
}

/// Checks the form's CSRF token, or answers 403.
macro_rules! csrf_or_return {
    ($me:expr, $headers:expr, $form:expr) => {
        if !session::csrf_ok(&$headers, $form.get("csrf")) {
            return Ok(csrf_refused(&$me.reader));
        }
    };
}

fn zone(name: &str) -> Tz {
    TimeZoneName::stored(name)
}

/// An error a person can act on, as a page in their words; anything else
/// stays an error of the service.
fn error_page(reader: &Reader, e: &AppError) -> AppResult<Response> {
    let lang = reader.language;
    let (status, text) = match e {
        AppError::NotFound(_) => (
            StatusCode::NOT_FOUND,
            words(
                lang,
                "Мұндай бет жоқ немесе ол сізге арналмаған.",
                "Такой страницы нет, или она не для вас.",
                "There is no such page, or it is not yours to see.",
            )
            .to_owned(),
        ),
        AppError::Forbidden(_) => (
            StatusCode::FORBIDDEN,
            words(
                lang,
                "Бұл әрекет сізге рұқсат етілмеген.",
                "Это действие вам не разрешено.",
                "You may not do this.",
            )
            .to_owned(),
        ),
        AppError::Conflict { detail, .. } | AppError::Refused { detail, .. } => {
            (StatusCode::CONFLICT, detail.clone())
        }
        AppError::Validation(errors) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        _ => return Err(clone_error(e)),
    };
    let html = templates::render_page(
        templates::MESSAGE_PAGE,
        minijinja::context! { frame => v(&reader.frame("/home")), message => text },
    )?;
    Ok(reader.answer(status, html))
}

fn clone_error(e: &AppError) -> AppError {
    AppError::internal("showing a page", anyhow::anyhow!("{e}"))
}

/// The errors a refused form is shown again with: per field (named as the
/// form names it) and for the whole form.
#[derive(Default)]
struct FormErrors {
    fields: serde_json::Map<String, Value>,
    form: String,
}

impl FormErrors {
    /// From a service's answer: field errors by `rename`d field, a conflict
    /// as the form's error; `None` when the error is not about the input.
    fn from_error(e: &AppError, rename: impl Fn(&str) -> String) -> Option<Self> {
        let mut out = Self::default();
        match e {
            AppError::Validation(errors) => out.add(errors, rename),
            AppError::Conflict { detail, errors, .. }
            | AppError::Refused { detail, errors, .. } => {
                out.form = detail.clone();
                out.add(errors, rename);
            }
            _ => return None,
        }
        Some(out)
    }

    fn add(&mut self, errors: &[FieldError], rename: impl Fn(&str) -> String) {
        for e in errors {
            let name = rename(&e.field);
            match self.fields.get_mut(&name) {
                Some(Value::String(s)) => {
                    s.push_str("; ");
                    s.push_str(&e.message);
                }
                _ => {
                    self.fields.insert(name, Value::String(e.message.clone()));
                }
            }
        }
        if self.form.is_empty() && !self.fields.is_empty() {
            self.form = errors
                .iter()
                .map(|e| e.message.as_str())
                .next()
                .unwrap_or_default()
                .to_owned();
        }
    }

    fn value(&self) -> Value {
        json!({ "fields": self.fields, "form": self.form })
    }
}

fn no_errors() -> Value {
    FormErrors::default().value()
}

/// Local midnight of `day` in `tz`, as an instant.
fn midnight(tz: Tz, day: NaiveDate) -> DateTime<Utc> {
    let naive = day.and_time(NaiveTime::MIN);
    tz.from_local_datetime(&naive)
        .earliest()
        .map_or_else(|| Utc.from_utc_datetime(&naive), |t| t.with_timezone(&Utc))
}

/// A `datetime-local` value (`2026-12-03T10:00`) read on the clock of `tz`.
fn local_input(tz: Tz, raw: &str) -> Result<DateTime<Utc>, String> {
    let naive = NaiveDateTime::parse_from_str(raw.trim(), "%Y-%m-%dT%H:%M")
        .map_err(|_| "must be a date and a time".to_owned())?;
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| "this time does not exist on that day's clock".to_owned())
}

fn date_input(raw: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| "must be a date".to_owned())
}

fn clock_sentence(lang: Language, tz: Tz) -> String {
    dates::clock_sentence(lang, tz, Utc::now())
}

/// "10:00–11:00" on the clock of `tz`.
fn time_range(lang: Language, tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    format!(
        "{}–{}",
        clock_time(lang, from.with_timezone(&tz).time()),
        clock_time(lang, to.with_timezone(&tz).time())
    )
}

/// `dates::time`, each minute of the day formatted once per language: a
/// busy month page writes some two hundred times on every request.
fn clock_time(lang: Language, time: NaiveTime) -> &'static str {
    static TIMES: [OnceLock<Vec<String>>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let index = match lang {
        Language::Kk => 0,
        Language::Ru => 1,
        Language::En => 2,
    };
    let table = TIMES[index].get_or_init(|| {
        (0..24 * 60)
            .map(|m| {
                let t = NaiveTime::from_hms_opt(m / 60, m % 60, 0).unwrap_or(NaiveTime::MIN);
                dates::time(lang, t)
            })
            .collect()
    });
    let minute = (time.hour() * 60 + time.minute()) as usize;
    table.get(minute).map_or("", String::as_str)
}

/// The words of the days of a calendar page (long date, long weekday) and
/// of the weekday headings, per language and run of days, kept once
/// written: a month page shows up to 42 days on every request.
struct DayWords {
    days: Vec<(String, String)>,
    weekdays: Vec<String>,
}

fn day_words(lang: Language, first: NaiveDate, count: i64) -> Arc<DayWords> {
    /// Runs of days kept; past this the cache starts again (a few years of
    /// months and weeks in three languages).
    const KEPT: usize = 1_000;
    type Kept = HashMap<(Language, NaiveDate, i64), Arc<DayWords>>;
    static CACHE: LazyLock<Mutex<Kept>> = LazyLock::new(Mutex::default);
    let key = (lang, first, count);
    if let Some(hit) = CACHE.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
        return hit.clone();
    }
    let words = Arc::new(DayWords {
        days: (0..count)
            .map(|i| {
                let d = first + Duration::days(i);
                (
                    dates::long_date(lang, d),
                    dates::weekday(lang, d.weekday(), WeekdayWidth::Long),
                )
            })
            .collect(),
        weekdays: [
            chrono::Weekday::Mon,
            chrono::Weekday::Tue,
            chrono::Weekday::Wed,
            chrono::Weekday::Thu,
            chrono::Weekday::Fri,
            chrono::Weekday::Sat,
            chrono::Weekday::Sun,
        ]
        .iter()
        .map(|d| dates::weekday(lang, *d, WeekdayWidth::Short))
        .collect(),
    });
    let mut cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
    if cache.len() >= KEPT {
        cache.clear();
    }
    cache.insert(key, words.clone());
    words
}

fn minutes_word(lang: Language) -> &'static str {
    words(lang, "мин.", "мин.", "min")
}

// ---- home ------------------------------------------------------------------------

/// `GET /home` for a mediator: referrals to answer, their cases, and the
/// sessions of the next two weeks.
pub(super) async fn home(
    state: &AppState,
    reader: &Reader,
    caller: &Caller,
) -> AppResult<Response> {
    let lang = reader.language;
    let record = match agenda::own_mediator(&state.db, caller).await {
        Ok(r) => r,
        Err(e) => return error_page(reader, &e),
    };
    let tz = zone(&record.timezone);
    let (items, _) = cases::list(
        &state.db,
        caller,
        CaseFilter::default(),
        PageRequest::parse(Some(100), None)?,
    )
    .await?;
    let mut referrals = Vec::new();
    let mut active = Vec::new();
    for c in &items {
        let row = json!({
            "id": c.id,
            "number": c.court_case_number,
            "category": i18n::words::category(lang, c.category),
            "status": i18n::words::case_status(lang, c.status),
            "deadline": dates::long_date(lang, c.mediation_deadline),
            "can_book": matches!(c.status, CaseStatus::MediatorAccepted | CaseStatus::Scheduled),
            "can_record": matches!(c.status, CaseStatus::Scheduled | CaseStatus::OutcomeRecorded | CaseStatus::SubmittedToCourt | CaseStatus::Registered | CaseStatus::Returned),
        });
        if c.status == CaseStatus::MediatorProposed {
            referrals.push(row);
        } else {
            active.push(row);
        }
    }
    let now = Utc::now();
    let soon = agenda::of_mediator(&state.db, record.id, now, now + Duration::days(14)).await?;
    let upcoming: Vec<Value> = soon
        .sessions
        .iter()
        .filter(|s| s.status == SessionStatus::Scheduled)
        .take(50)
        .map(|s| {
            json!({
                "id": s.id,
                "when": dates::instant(lang, s.starts_at, tz, tz),
                "number": s.court_case_number,
                "format": i18n::words::session_format(lang, s.format),
            })
        })
        .collect();
    let html = templates::render_page(
        templates::MEDIATOR_HOME_PAGE,
        minijinja::context! {
            frame => v(&reader.frame("/home")),
            referrals => v(&referrals),
            active => v(&active),
            upcoming => v(&upcoming),
            clock => clock_sentence(lang, tz),
            today => now.with_timezone(&tz).date_naive().to_string(),
        },
    )?;
    Ok(reader.answer(StatusCode::OK, html))
}

async fn accept(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> AppResult<Response> {
    let me = me_or_return!(state, headers);
    let form = FormData::parse(&body);
    csrf_or_return!(me, headers, form);
    match assignments::answer(&state.db, &state.settings, &me.caller, id, Answer::Accept).await {
        Ok(_) => Ok(see_other(&format!("/cases/{id}/book"))),
        Err(e) => error_page(&me.reader, &e),
    }
}

async fn decline(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> AppResult<Response> {
    let me = me_or_return!(state, headers);
    let form = FormData::parse(&body);
    csrf_or_return!(me, headers, form);
    let result = async {
        let reason = crate::http::cases::parse_reason(form.get("reason"))?;
        assignments::answer(
            &state.db,
            &state.settings,
            &me.caller,
            id,
            Answer::Decline { reason },
        )
        .await
    }
    .await;
    match result {
        Ok(_) => Ok(see_other("/home")),
        Err(e) => error_page(&me.reader, &e),
    }
}

// ---- calendar --------------------------------------------------------------------

#[derive(Deserialize)]
struct CalendarQuery {
    view: Option<String>,
    date: Option<String>,
    /// The week view: the case whose free times are offered for booking.
    case: Option<String>,
    /// The week view: the length of the free times offered, in minutes.
    duration_minutes: Option<String>,
}

/// What the free times of a week view book: a session of `minutes` for a
/// case of the mediator.
struct BookFor<'a> {
    case: &'a crate::services::records::Case,
    minutes: i64,
}

/// An entry of a calendar day before it is written in words.
struct Entry<'a> {
    /// Seconds after local midnight it begins that day (0 for all day).
    order: u32,
    kind: &'static str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    all_day: bool,
    session: Option<&'a agenda::AgendaSession>,
}

/// A day of the calendar being filled.
struct DayCell<'a> {
    date: NaiveDate,
    entries: Vec<Entry<'a>>,
}

/// Puts sessions, time off and busy blocks into the days (`first`
/// onwards) on the clock of `tz`, each day in the order its entries begin.
fn fill_days<'a>(
    tz: Tz,
    first: NaiveDate,
    days: &mut [DayCell<'a>],
    sessions: impl Iterator<Item = &'a agenda::AgendaSession>,
    time_off: &'a [agenda::Block],
    busy: &'a [agenda::Block],
) {
    let n = days.len();
    let index = |d: NaiveDate| -> Option<usize> {
        usize::try_from((d - first).num_days())
            .ok()
            .filter(|i| *i < n)
    };
    for s in sessions {
        let start = s.starts_at.with_timezone(&tz);
        let Some(i) = index(start.date_naive()) else {
            continue;
        };
        days[i].entries.push(Entry {
            order: start.num_seconds_from_midnight(),
            kind: "session",
            from: s.starts_at,
            to: s.ends_at,
            all_day: false,
            session: Some(s),
        });
    }
    let blocks = time_off
        .iter()
        .map(|b| (b, "time_off"))
        .chain(busy.iter().map(|b| (b, "busy")));
    for (b, kind) in blocks {
        let start_day = b.starts_at.with_timezone(&tz).date_naive();
        let end_day = (b.ends_at - Duration::seconds(1))
            .with_timezone(&tz)
            .date_naive();
        let mut day = start_day.max(first);
        while day <= end_day {
            let Some(i) = index(day) else { break };
            let (day_start, day_end) = (midnight(tz, day), midnight(tz, day + Duration::days(1)));
            let (from, to) = (b.starts_at.max(day_start), b.ends_at.min(day_end));
            days[i].entries.push(Entry {
                order: from.with_timezone(&tz).num_seconds_from_midnight(),
                kind,
                from,
                to,
                all_day: from == day_start && to == day_end,
                session: None,
            });
            day += Duration::days(1);
        }
    }
    for d in days.iter_mut() {
        d.entries.sort_by_key(|e| e.order);
    }
}

/// Puts free times into the days they begin in, in order among the
/// other entries (at the same minute after them).
fn add_free_times(tz: Tz, first: NaiveDate, days: &mut [DayCell<'_>], free: &[slots::Interval]) {
    for s in free {
        let start = s.start.with_timezone(&tz);
        let Some(day) = usize::try_from((start.date_naive() - first).num_days())
            .ok()
            .and_then(|i| days.get_mut(i))
        else {
            continue;
        };
        day.entries.push(Entry {
            order: start.num_seconds_from_midnight(),
            kind: "free",
            from: s.start,
            to: s.end,
            all_day: false,
            session: None,
        });
    }
    for d in days.iter_mut() {
        d.entries.sort_by_key(|e| e.order);
    }
}

/// An entry in words, as the calendar template shows it; a free time
/// links to the booking page of `book`'s case with that time picked.
fn entry_words(lang: Language, tz: Tz, e: &Entry<'_>, book: Option<&BookFor<'_>>) -> EntryView {
    let time = if e.all_day {
        words(lang, "Күні бойы", "Весь день", "All day").to_owned()
    } else {
        time_range(lang, tz, e.from, e.to)
    };
    let view = |label: String, href: String, note: &'static str| EntryView {
        kind: e.kind,
        time: time.clone(),
        label,
        href,
        note,
    };
    match (e.session, e.kind) {
        (Some(s), _) => view(
            s.court_case_number.clone(),
            format!("/sessions/{}", s.id),
            if s.status == SessionStatus::Cancelled {
                i18n::words::session_status(lang, s.status)
            } else {
                ""
            },
        ),
        (None, "free") => {
            let free = words(lang, "Бос уақыт", "Свободно", "Free time");
            match book {
                Some(b) => view(
                    format!(
                        "{free}: {} {}",
                        words(lang, "белгілеу, іс", "назначить, дело", "book for case"),
                        b.case.court_case_number
                    ),
                    format!(
                        "/cases/{}/book?duration_minutes={}&starts_at={}",
                        b.case.id,
                        b.minutes,
                        form_urlencoded::byte_serialize(e.from.to_rfc3339().as_bytes())
                            .collect::<String>()
                    ),
                    "",
                ),
                None => view(free.to_owned(), String::new(), ""),
            }
        }
        (None, kind) => view(
            match kind {
                "time_off" => words(lang, "Демалыс", "Нерабочее время", "Time off"),
                _ => words(
                    lang,
                    "Бос емес (өз күнтізбеңіз)",
                    "Занят (ваш календарь)",
                    "Busy (your own calendar)",
                ),
            }
            .to_owned(),
            String::new(),
            "",
        ),
    }
}

/// An entry as the calendar template shows it.
#[derive(Serialize)]
struct EntryView {
    kind: &'static str,
    time: String,
    label: String,
    href: String,
    note: &'static str,
}

/// A day as the calendar template shows it.
#[derive(Serialize)]
struct DayView<'a> {
    label: &'a str,
    weekday: &'a str,
    day: u32,
    date: String,
    in_month: bool,
    today: bool,
    more: u64,
    entries: Vec<EntryView>,
}

/// Free times drawn on a week: the engine's slots of `minutes`, each
/// shown only when it begins after the one shown before it ends, so the
/// week reads as a row of bookable times rather than one every grid step.
fn shown_free_times(found: &[slots::Interval]) -> Vec<slots::Interval> {
    let mut out: Vec<slots::Interval> = Vec::new();
    for s in found {
        if out.last().is_none_or(|last| s.start >= last.end) {
            out.push(*s);
        }
    }
    out
}

/// `GET /calendar?view=week|month&date=YYYY-MM-DD`.
async fn calendar(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<CalendarQuery>,
) -> AppResult<Response> {
    let me = me_or_return!(state, headers);
    let (lang, tz) = (me.lang(), me.tz);
    let today = Utc::now().with_timezone(&tz).date_naive();
    let date = match q.date.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => date_input(d).map_err(|e| AppError::field("date", e))?,
        None => today,
    };
    let month_view = match q.view.as_deref().unwrap_or("week") {
        "week" => false,
        "month" => true,
        _ => return Err(AppError::field("view", "must be week or month")),
    };
    let monday = |d: NaiveDate| d - Duration::days(i64::from(d.weekday().num_days_from_monday()));
    let (first, count, title, prev, next) = if month_view {
        let first_of_month = date.with_day(1).unwrap_or(date);
        let next_month = first_of_month
            .checked_add_months(chrono::Months::new(1))
            .unwrap_or(first_of_month);
        let prev_month = first_of_month
            .checked_sub_months(chrono::Months::new(1))
            .unwrap_or(first_of_month);
        let grid_first = monday(first_of_month);
        let last = next_month - Duration::days(1);
        let grid_last = last + Duration::days(6 - i64::from(last.weekday().num_days_from_monday()));
        (
            grid_first,
            (grid_last - grid_first).num_days() + 1,
            dates::month_year(lang, first_of_month.year(), first_of_month.month()),
            prev_month,
            next_month,
        )
    } else {
        let first = monday(date);
        let title = format!(
            "{} – {}",
            dates::long_date(lang, first),
            dates::long_date(lang, first + Duration::days(6))
        );
        (
            first,
            7,
            title,
            first - Duration::days(7),
            first + Duration::days(7),
        )
    };
    let (agenda, summary);
    let mut bookable: Vec<crate::services::records::Case> = Vec::new();
    let mut book: Option<BookFor> = None;
    // The length of the free times the week offers, as the booking page
    // takes it.
    let minutes = q
        .duration_minutes
        .as_deref()
        .and_then(|m| m.trim().parse::<i64>().ok())
        .unwrap_or(60)
        .clamp(15, 480);
    let mut days: Vec<DayCell> = (0..count)
        .map(|i| DayCell {
            date: first + Duration::days(i),
            entries: Vec::new(),
        })
        .collect();
    // Sessions of a day not read (the month view reads only the shown
    // ones and counts the rest in the database).
    let mut unread: Vec<u64> = vec![0; days.len()];
    if month_view {
        let bounds: Vec<DateTime<Utc>> = (0..=count)
            .map(|i| midnight(tz, first + Duration::days(i)))
            .collect();
        summary =
            agenda::summary_of_mediator(&state.db, me.id(), &bounds, MONTH_DAY_ENTRIES as u64)
                .await?;
        for (i, d) in summary.days.iter().enumerate() {
            unread[i] = d.total.saturating_sub(d.first.len() as u64);
        }
        fill_days(
            tz,
            first,
            &mut days,
            summary.days.iter().flat_map(|d| d.first.iter()),
            &summary.time_off,
            &summary.busy,
        );
    } else {
        let from = midnight(tz, first);
        let to = midnight(tz, first + Duration::days(count));
        agenda = agenda::of_mediator(&state.db, me.id(), from, to).await?;
        fill_days(
            tz,
            first,
            &mut days,
            agenda.sessions.iter(),
            &agenda.time_off,
            &agenda.busy,
        );
        let (items, _) = cases::list(
            &state.db,
            &me.caller,
            CaseFilter::default(),
            PageRequest::parse(Some(100), None)?,
        )
        .await?;
        bookable = items
            .into_iter()
            .filter(|c| {
                matches!(
                    c.status,
                    CaseStatus::MediatorAccepted | CaseStatus::Scheduled
                )
            })
            .collect();
        bookable.sort_by(|a, b| {
            (a.mediation_deadline, &a.court_case_number)
                .cmp(&(b.mediation_deadline, &b.court_case_number))
        });
        let wanted: Option<Uuid> = q.case.as_deref().and_then(|c| c.trim().parse().ok());
        let picked = bookable
            .iter()
            .find(|c| Some(c.id) == wanted)
            .or(bookable.first());
        let found = match picked {
            Some(case) => free_slots_between(&state, &me, case, minutes, (from, to), None).await?,
            None => match cache::calendar(&state.db, &state.calendars, me.id()).await? {
                Some(calendar) => calendar.free_slots(
                    from.max(Utc::now()),
                    to,
                    &assignments::rules(&state.settings, minutes),
                    None,
                    None,
                ),
                None => Vec::new(),
            },
        };
        let free = shown_free_times(&found);
        add_free_times(tz, first, &mut days, &free);
        book = picked.map(|case| BookFor { case, minutes });
    }
    let view = if month_view { "month" } else { "week" };
    let labels = day_words(lang, first, count);
    let cells: Vec<DayView> = days
        .into_iter()
        .zip(unread)
        .zip(&labels.days)
        .map(|((d, unread), (label, weekday))| {
            let total = d.entries.len();
            // Only what is shown is written in words.
            let limit = if month_view { MONTH_DAY_ENTRIES } else { total };
            let entries: Vec<EntryView> = d
                .entries
                .iter()
                .take(limit)
                .map(|e| entry_words(lang, tz, e, book.as_ref()))
                .collect();
            DayView {
                label,
                weekday,
                day: d.date.day(),
                date: d.date.to_string(),
                in_month: d.date.month() == date.month(),
                today: d.date == today,
                more: (total - entries.len()) as u64 + unread,
                entries,
            }
        })
        .collect();
    // Each view reads one of the two shapes; the other stays empty.
    let weeks: Vec<&[DayView]> = if month_view {
        cells.chunks(7).collect()
    } else {
        Vec::new()
    };
    let week_days: &[DayView] = if month_view { &[] } else { &cells };
    let picked_id = book.as_ref().map(|b| b.case.id);
    let case_choices: Vec<Value> = bookable
        .iter()
        .map(|c| {
            json!({
                "value": c.id,
                "label": c.court_case_number,
                "selected": Some(c.id) == picked_id,
            })
        })
        .collect();
    let durations: Vec<Value> = [30i64, 45, 60, 90, 120, 180]
        .iter()
        .map(|m| json!({ "value": m, "label": format!("{m} {}", minutes_word(lang)), "selected": *m == minutes }))
        .collect();
    let html = templates::render_page(
        templates::CALENDAR_PAGE,
        minijinja::context! {
            frame => v(&me.reader.frame(&format!("/calendar?view={view}&date={date}"))),
            view => view,
            title => title,
            clock => clock_sentence(lang, tz),
            weeks => v(&weeks),
            days => v(&week_days),
            weekdays => v(&labels.weekdays),
            date => date.to_string(),
            prev => prev.to_string(),
            next => next.to_string(),
            today => today.to_string(),
            cases => v(&case_choices),
            minutes => minutes,
            durations => v(&durations),
        },
    )?;
    Ok(me.reader.answer(StatusCode::OK, html))
}

// ---- availability ----------------------------------------------------------------

fn hhmm(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// The weekly-hours editor's rows: for each weekday, its intervals and
/// blank rows up to [`ROWS_PER_DAY`].
fn weekly_rows(lang: Language, values: &[(i64, String, String)]) -> Vec<Value> {
    (1..=7i64)
        .map(|weekday| {
            let mut rows: Vec<(String, String)> = values
                .iter()
                .filter(|(d, _, _)| *d == weekday)
                .map(|(_, s, e)| (s.clone(), e.clone()))
                .collect();
            while rows.len() < ROWS_PER_DAY {
                rows.push((String::new(), String::new()));
            }
            let day = chrono::Weekday::try_from(u8::try_from(weekday - 1).unwrap_or(0))
                .unwrap_or(chrono::Weekday::Mon);
            json!({
                "weekday": weekday,
                "name": dates::weekday(lang, day, WeekdayWidth::Long),
                "rows": rows.iter().enumerate().map(|(k, (s, e))| json!({
                    "start_name": format!("w{weekday}_{k}_start"),
                    "end_name": format!("w{weekday}_{k}_end"),
                    "start": s, "end": e,
                })).collect::<Vec<_>>(),
            })
        })
        .collect()
}

struct AvailabilityForm {
    weekly: Option<Vec<(i64, String, String)>>,
    time_off: Option<(String, String, String)>,
    errors: Value,
    ics_url: Option<String>,
}

async fn render_availability(
    state: &AppState,
    me: &Me,
    status: StatusCode,
    form: AvailabilityForm,
    feed_url: Option<String>,
) -> AppResult<Response> {
    let lang = me.lang();
    let tz = me.tz;
    let weekly_values: Vec<(i64, String, String)> = match form.weekly {
        Some(w) => w,
        None => hours::weekly(&state.db, me.id())
            .await?
            .iter()
            .map(|w| {
                (
                    i64::from(w.weekday),
                    hhmm(w.start_minute),
                    hhmm(w.end_minute),
                )
            })
            .collect(),
    };
    let now = Utc::now();
    let offs: Vec<Value> = time_off::list(&state.db, me.id())
        .await?
        .into_iter()
        .filter(|t| t.ends_at > now)
        .take(200)
        .map(|t| {
            json!({
                "id": t.id,
                "from": dates::instant(lang, t.starts_at, tz, tz),
                "to": dates::instant(lang, t.ends_at, tz, tz),
                "note": t.note.unwrap_or_default(),
            })
        })
        .collect();
    let (off_start, off_end, off_note) = form.time_off.unwrap_or_default();
    let m = &me.record;
    let html = templates::render_page(
        templates::AVAILABILITY_PAGE,
        minijinja::context! {
            frame => v(&me.reader.frame("/availability")),
            days => v(&weekly_rows(lang, &weekly_values)),
            time_off => v(&offs),
            off_start => off_start,
            off_end => off_end,
            off_note => off_note,
            errors => v(&form.errors),
            clock => clock_sentence(lang, tz),
            feed_url => feed_url.unwrap_or_default(),
            ics_url => form.ics_url.or_else(|| m.external_calendar_url.clone()).unwrap_or_default(),
        },
    )?;
    Ok(me.reader.answer(status, html))
}

fn blank_form() -> AvailabilityForm {
    AvailabilityForm {
        weekly: None,
        time_off: None,
        errors: no_errors(),
        ics_url: None,
    }
}

/// `GET /availability`: weekly hours, time off, the calendar feed and the
/// mediator's own calendar.
async fn availability_page(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let me = me_or_return!(state, headers);
    let feed = session::cookie(&headers, FEED_FLASH_COOKIE)
        .filter(|s| {
            s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
        .map(|secret| crate::http::mediators::feed_url(&state, secret));
    let mut response =
        render_availability(&state, &me, StatusCode::OK, blank_form(), feed.clone()).await?;
    if feed.is_some() {
        response
            .headers_mut()
            .append(header::SET_COOKIE, flash_cookie(&state, "", 0));
    }
    Ok(response)
}

fn flash_cookie(state: &AppState, value: &str, max_age: i64) -> HeaderValue {
    let secure = if session::https(state) {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{FEED_FLASH_COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/availability; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("kelisim_invalid=; Max-Age=0"))
}

/// `POST /availability/weekly`: the editor's rows through the API's parser.
async fn save_weekly(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<Response> {
    let me = me_or_return!(state, headers);
    let form = FormData::parse(&body);
    csrf_or_return!(me, headers, form);
    // Filled rows, in the form's order, with the names of their inputs.
    let mut values: Vec<(i64, String, String)> = Vec::new();
    let mut names: Vec<(String, String)> = Vec::new();
    for weekday in 1..=7i64 {
        for k in 0..ROWS_PER_DAY {
            let (sn, en) = (
                format!("w{weekday}_{k}_start"),
                format!("w{weekday}_{k}_end"),
            );
            let (s, e) = (form.get(&sn).trim(), form.get(&en).trim());
            if s.is_empty() && e.is_empty() {
                continue;
            }
            values.push((weekday, s.to_owned(), e.to_owned()));
            names.push((sn, en));
        }
    }
    let items: Vec<(i64, &str, &str)> = values
        .iter()
        .map(|(d, s, e)| (*d, s.as_str(), e.as_str()))
        .collect();
    let result = match slots::parse_weekly(&items) {
        Ok(weekly) => hours::set_weekly(&state.db, &me.caller, me.id(), weekly)
            .await
            .map(|_| ()),
        Err(errs) => Err(AppError::Validation(
            errs.into_iter()
                .map(|(field, message)| FieldError::new(field, message))
                .collect(),
        )),
    };
    match result {
        Ok(()) => Ok(see_other("/availability")),
        Err(e) => {
            let rename = |field: &str| weekly_field_name(field, &names);
            let Some(errors) = FormErrors::from_error(&e, rename) else {
                return Err(e);
            };
            let form = AvailabilityForm {
                weekly: Some(values),
                errors: errors.value(),
                ..blank_form()
            };
            render_availability(&state, &me, StatusCode::UNPROCESSABLE_ENTITY, form, None).await
        }
    }
}

/// `weekly[3].start` → the name of that row's input.
fn weekly_field_name(field: &str, names: &[(String, String)]) -> String {
    let parsed = field
        .strip_prefix("weekly[")
        .and_then(|rest| rest.split_once("]."))
        .and_then(|(i, part)| Some((i.parse::<usize>().ok()?, part)));
    match parsed.and_then(|(i, part)| Some((names.get(i)?, part))) {
        Some(((s, _), "start" | "weekday")) => s.clone(),
        Some(((_, e), _)) => e.clone(),
        None => "weekly".to_owned(),
    }
}

/// `POST /availability/time-off`: two local date-times in the mediator's
/// zone and a note, checked as the API checks them.
async fn add_time_off(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<Response> {
    let me = me_or_return!(state, headers);
    let form = FormData::parse(&body);
    csrf_or_return!(me, headers, form);
    let (raw_start, raw_end, raw_note) = (
        form.get("starts_at").to_owned(),
        form.get("ends_at").to_owned(),
        form.get("note").trim().to_owned(),
    );
    let result = async {
        let mut f = Fields::default();
        let starts_at = f.check("starts_at", local_input(me.tz, &raw_start));
        let ends_at = f.check("ends_at", local_input(me.tz, &raw_end));
        f.finish()?;
        let (Some(starts_at), Some(ends_at)) = (starts_at, ends_at) else {
            return Err(AppError::field("starts_at", "must be a date and a time"));
        };
        let note = Some(raw_note.as_str()).filter(|n| !n.is_empty());
        let (span, note) = crate::http::mediators::parse_time_off(starts_at, ends_at, note)?;
        time_off::add(&state.db, &me.caller, me.id(), span, note).await
    }
    .await;
    match result {
        Ok(_) => Ok(see_other("/availability")),
        Err(e) => {
            let Some(errors) = FormErrors::from_error(&e, str::to_owned) else {
                return Err(e);
            };
            let form = AvailabilityForm {
                time_off: Some((raw_start, raw_end, raw_note)),
                errors: errors.value(),
                ..blank_form()
            };
            render_availability(&state, &me, StatusCode::UNPROCESSABLE_ENTITY, form, None).await
        }
    }
}

async fn delete_time_off(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> AppResult<Response> {
    let me = me_or_return!(state, headers);
    let form = FormData::parse(&body);
    csrf_or_return!(me, headers, form);
    match time_off::delete(&state.db, &me.caller, me.id(), id).await {
        Ok(()) => Ok(see_other("/availability")),
        Err(e) => error_page(&me.reader, &e),
    }
}

/// `POST /availability/feed`: a new feed address; the old one stops
/// working. The new address is shown once, on the next page.
async fn rotate_feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<Response> {
    let me = me_or_return!(state, headers);
    let form = FormData::parse(&body);
    csrf_or_return!(me, headers, form);
    let secret = feed::rotate_feed_secret(&state.db, &me.caller, me.id()).await?;
    let mut response = see_other("/availability#feed");
    response
        .headers_mut()
        .append(header::SET_COOKIE, flash_cookie(&state, &secret, 300));
    Ok(response)
}

/// `POST /availability/external-calendar`: the address of the mediator's
/// own calendar, fetched and imported as the API does it.
async fn set_external_calendar(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<Response> {
    let me = me_or_return!(state, headers);
    let form = FormData::parse(&body);
    csrf_or_return!(me, headers, form);
    let raw = form.get("ics_url").trim().to_owned();
    let result = async {
        let (url, text) =
            crate::http::mediators::fetch_external_calendar(&state, me.id(), &raw).await?;
        busy::import(
            &state.db,
            me.id(),
            &me.record.timezone,
            text,
            "url",
            Some(url),
        )
        .await
    }
    .await;
    match result {
        Ok(_) => Ok(see_other("/availability#external")),
        Err(e) => {
            let Some(errors) = FormErrors::from_error(&e, |_| "ics_url".to_owned()) else {
                return Err(e);
            };
            let form = AvailabilityForm {
                ics_url: Some(raw),
                errors: errors.value(),
                ..blank_form()
            };
            render_availability(&state, &me, StatusCode::UNPROCESSABLE_ENTITY, form, None).await
        }
    }
}

// ---- booking ---------------------------------------------------------------------

#[derive(Deserialize)]
struct BookQuery {
    duration_minutes: Option<i64>,
    /// A free time picked on the calendar (RFC 3339), offered first.
    starts_at: Option<String>,
    place: Option<String>,
    online_url: Option<String>,
}

/// The case a mediator books for, with its mediator and court zone.
async fn assigned_case(state: &AppState, me: &Me, id: Uuid) -> AppResult<CaseRecord> {
    let record = cases::read(&state.db, &me.caller, id).await?;
    let mine = record
        .assignment
        .as_ref()
        .is_some_and(|a| a.mediator_id == me.id());
    if !mine {
        return Err(AppError::not_found("case"));
    }
    Ok(record)
}

/// Free slots of the mediator for `record`'s court, from the same engine
/// the API's free-slots endpoint uses, until the deadline.
async fn free_slots(
    state: &AppState,
    me: &Me,
    record: &CaseRecord,
    minutes: i64,
) -> AppResult<Vec<slots::Interval>> {
    let from = Utc::now();
    let to = from + Duration::days(SLOT_DAYS);
    free_slots_between(
        state,
        me,
        &record.case,
        minutes,
        (from, to),
        Some(MAX_SLOTS),
    )
    .await
}

/// Free slots of the mediator for `case` in `range`, from now on and until
/// the case's deadline ends on its court's clock, with the closed days of
/// its court left out: the engine and rules of the API's free-slots
/// endpoint.
async fn free_slots_between(
    state: &AppState,
    me: &Me,
    case: &crate::services::records::Case,
    minutes: i64,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    limit: Option<usize>,
) -> AppResult<Vec<slots::Interval>> {
    let Some(calendar) = cache::calendar(&state.db, &state.calendars, me.id()).await? else {
        return Err(AppError::not_found("mediator"));
    };
    let from = from.max(Utc::now());
    let court_tz = cases::party_view(&state.db, case).await?.court_tz;
    let deadline_end = midnight(court_tz, case.mediation_deadline + Duration::days(1));
    let to = to.min(deadline_end);
    if to <= from {
        return Ok(Vec::new());
    }
    let rules = assignments::rules(&state.settings, minutes);
    Ok(calendar.free_slots(from, to, &rules, Some(case.court_id), limit))
}

/// Slots grouped by day on the mediator's clock, for the templates.
fn slot_days(lang: Language, tz: Tz, slots: &[slots::Interval]) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    let mut current: Option<NaiveDate> = None;
    for s in slots {
        let day = s.start.with_timezone(&tz).date_naive();
        if current != Some(day) {
            current = Some(day);
            out.push(json!({ "label": dates::long_date(lang, day), "slots": [] }));
        }
        if let Some(Value::Array(list)) = out.last_mut().and_then(|d| d.get_mut("slots")) {
            list.push(json!({
                "starts_at": s.start.to_rfc3339(),
                "label": time_range(lang, tz, s.start, s.end),
            }));
        }
    }
    out
}

async fn render_book(
    state: &AppState,
    me: &Me,
    record: &CaseRecord,
    q: &BookQuery,
    status: StatusCode,
    errors: Value,
) -> AppResult<Response> {
    let lang = me.lang();
    let minutes = q.duration_minutes.unwrap_or(60).clamp(15, 480);
    let (rooms, _) = courts::list_rooms(
        &state.db,
        record.case.court_id,
        PageRequest::parse(Some(100), None)?,
    )
    .await?;
    let online_url = q.online_url.clone().unwrap_or_default();
    let place = q.place.clone().unwrap_or_else(|| {
        if online_url.is_empty() {
            rooms
                .first()
                .map(|r| r.id.to_string())
                .unwrap_or_else(|| "online".into())
        } else {
            "online".into()
        }
    });
    let slots = free_slots(state, me, record, minutes).await?;
    // The time picked on the calendar, if it is still free for this
    // length: the engine is asked about exactly that span.
    let picked_at = q
        .starts_at
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc));
    let mut picked = Value::Null;
    let mut picked_gone = false;
    if let Some(at) = picked_at {
        let end = at + Duration::minutes(minutes);
        let free = free_slots_between(state, me, &record.case, minutes, (at, end), Some(1)).await?;
        if free.first().is_some_and(|s| s.start == at) {
            let day = at.with_timezone(&me.tz).date_naive();
            picked = json!({
                "starts_at": at.to_rfc3339(),
                "label": time_range(lang, me.tz, at, end),
                "day": format!(
                    "{}, {}",
                    dates::weekday(lang, day.weekday(), WeekdayWidth::Long),
                    dates::long_date(lang, day)
                ),
            });
        } else {
            picked_gone = true;
        }
    }
    let default_format = if record.case.violence_reported && !record.case.joint_session_override {
        SessionFormat::Separate
    } else {
        SessionFormat::Joint
    };
    let formats: Vec<Value> = SessionFormat::ALL
        .iter()
        .map(|f| {
            json!({
                "value": f.as_str(),
                "label": i18n::words::session_format(lang, *f),
                "selected": *f == default_format,
            })
        })
        .collect();
    let room_choices: Vec<Value> = rooms
        .iter()
        .map(|r| json!({ "value": r.id, "label": r.name, "selected": r.id.to_string() == place }))
        .collect();
    let durations: Vec<Value> = [30i64, 45, 60, 90, 120, 180]
        .iter()
        .map(|m| json!({ "value": m, "label": format!("{m} {}", minutes_word(lang)), "selected": *m == minutes }))
        .collect();
    let c = &record.case;
    let html = templates::render_page(
        templates::BOOK_PAGE,
        minijinja::context! {
            frame => v(&me.reader.frame(&format!("/cases/{}/book", c.id))),
            case_id => c.id.to_string(),
            number => c.court_case_number.clone(),
            deadline => dates::long_date(lang, c.mediation_deadline),
            clock => clock_sentence(lang, me.tz),
            days => v(&slot_days(lang, me.tz, &slots)),
            minutes => minutes,
            durations => v(&durations),
            rooms => v(&room_choices),
            online => place == "online",
            room_id => if place == "online" { String::new() } else { place.clone() },
            online_url => online_url,
            formats => v(&formats),
            errors => v(&errors),
            picked => v(&picked),
            picked_gone => picked_gone,
        },
    )?;
    Ok(me.reader.answer(status, html))
}

/// `GET /cases/{id}/book`: free slots as buttons, for a length and a place.
async fn book_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Query(q): Query<BookQuery>,
) -> AppResult<Response> {
    let me = me_or_return!(state, headers);
    let record = match assigned_case(&state, &me, id).await {
        Ok(r) => r,
        Err(e) => return error_page(&me.reader, &e),
    };
    render_book(&state, &me, &record, &q, StatusCode::OK, no_errors()).await
}

/// `POST /cases/{id}/sessions`: books the slot picked, through the API's
/// parsers and the same booking service.
async fn book(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> AppResult<Response> {
    let me = me_or_return!(state, headers);
    let form = FormData::parse(&body);
    csrf_or_return!(me, headers, form);
    let room_id = form.get("room_id").trim();
    let online_url = form.get("online_url").trim();
    let minutes: Option<i64> = form.get("duration_minutes").trim().parse().ok();
    let result = async {
        let mut f = Fields::default();
        let starts_at = f.check(
            "starts_at",
            DateTime::parse_from_rfc3339(form.get("starts_at").trim())
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| "must be a date and time".to_owned()),
        );
        let minutes = f.check(
            "duration_minutes",
            minutes.ok_or_else(|| "must be a number of minutes".to_owned()),
        );
        let room = if room_id.is_empty() {
            None
        } else {
            f.check(
                "room_id",
                room_id
                    .parse::<Uuid>()
                    .map_err(|_| "no such room".to_owned()),
            )
        };
        let online = Some(online_url).filter(|u| !u.is_empty() && room.is_none());
        let place = parse_place(&mut f, room, online, true);
        let format = Some(form.get("format").trim())
            .filter(|s| !s.is_empty())
            .and_then(|format| {
                f.check(
                    "format",
                    SessionFormat::exactly(format)
                        .ok_or_else(|| "must be joint or separate".to_owned()),
                )
            });
        f.finish()?;
        let (Some(starts_at), Some(minutes), Some(place)) = (starts_at, minutes, place) else {
            return Err(AppError::field("starts_at", "must be a date and time"));
        };
        sessions::book(
            &state.db,
            &state.settings,
            &me.caller,
            id,
            Booking {
                starts_at,
                minutes,
                place,
                format,
                party_ids: None,
            },
        )
        .await
    }
    .await;
    match result {
        Ok(record) => Ok(see_other(&format!("/sessions/{}", record.session.id))),
        Err(e) => {
            let Some(errors) = FormErrors::from_error(&e, str::to_owned) else {
                return error_page(&me.reader, &e);
            };
            let record = match assigned_case(&state, &me, id).await {
                Ok(r) => r,
                Err(e) => return error_page(&me.reader, &e),
            };
            let q = BookQuery {
                duration_minutes: minutes,
                place: Some(if room_id.is_empty() {
                    "online".into()
                } else {
                    room_id.to_owned()
                }),
                online_url: Some(online_url.to_owned()),
                starts_at: Some(form.get("starts_at").to_owned()),
            };
            let status = match e {
                AppError::Conflict { .. } => StatusCode::CONFLICT,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            render_book(&state, &me, &record, &q, status, errors.value()).await
        }
    }
}

// ---- a session -------------------------------------------------------------------

/// `GET /sessions/{id}`: when and where, each recipient's answer in words,
/// move, cancel, and after the start the attendance.
async fn session_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
) -> AppResult<Response> {
    let me = me_or_return!(state, headers);
    render_session(&state, &me, id, StatusCode::OK, no_errors()).await
}

async fn render_session(
    state: &AppState,
    me: &Me,
    id: Uuid,
    status: StatusCode,
    errors: Value,
) -> AppResult<Response> {
    let lang = me.lang();
    let tz = me.tz;
    let s = match sessions::read(&state.db, &me.caller, id).await {
        Ok(s) => s,
        Err(e) => return error_page(&me.reader, &e),
    };
    let record = match assigned_case(state, me, s.session.case_id).await {
        Ok(r) => r,
        Err(e) => return error_page(&me.reader, &e),
    };
    let name_of = |party: Uuid| {
        record
            .parties
            .iter()
            .find(|p| p.id == party)
            .map(|p| (p.name.clone(), i18n::words::party_role(lang, p.role)))
            .unwrap_or_default()
    };
    let recipients: Vec<Value> = s
        .invitations
        .iter()
        .map(|i| {
            let (name, role) = match i.party_id {
                Some(p) => name_of(p),
                None => (
                    me.record.name.clone(),
                    words(lang, "медиатор (сіз)", "медиатор (вы)", "mediator (you)"),
                ),
            };
            json!({
                "name": name,
                "role": role,
                "answer": i18n::words::partstat(lang, i.partstat),
                "note": i.response_note.clone().unwrap_or_default(),
            })
        })
        .collect();
    let place = match (&s.session.room_id, &s.session.online_url) {
        (Some(room), _) => {
            let (rooms, _) = courts::list_rooms(
                &state.db,
                record.case.court_id,
                PageRequest::parse(Some(100), None)?,
            )
            .await?;
            rooms
                .into_iter()
                .find(|r| r.id == *room)
                .map(|r| r.name)
                .unwrap_or_default()
        }
        (None, Some(url)) => url.clone(),
        (None, None) => String::new(),
    };
    let now = Utc::now();
    let scheduled = s.session.status == SessionStatus::Scheduled;
    let started = now >= s.session.starts_at;
    let attendance_open = scheduled && started && s.attendance.is_none();
    let minutes = (s.session.ends_at - s.session.starts_at).num_minutes();
    let move_days = if scheduled && !started {
        slot_days(lang, tz, &free_slots(state, me, &record, minutes).await?)
    } else {
        Vec::new()
    };
    let invited: Vec<Value> = s
        .party_ids
        .iter()
        .map(|p| {
            let (name, role) = name_of(*p);
            let present = s
                .attendance
                .as_ref()
                .map(|a| a.parties.iter().any(|(id, here)| id == p && *here));
            json!({ "id": p, "name": name, "role": role, "present": present })
        })
        .collect();
    let c = &record.case;
    let html = templates::render_page(
        templates::SESSION_PAGE,
        minijinja::context! {
            frame => v(&me.reader.frame(&format!("/sessions/{id}"))),
            id => id.to_string(),
            case_id => c.id.to_string(),
            number => c.court_case_number.clone(),
            when => dates::instant(lang, s.session.starts_at, tz, tz),
            minutes => minutes,
            minutes_word => minutes_word(lang),
            format => i18n::words::session_format(lang, s.session.format),
            status => i18n::words::session_status(lang, s.session.status),
            cancel_reason => s.session.cancel_reason.clone().unwrap_or_default(),
            place => place,
            online => s.session.online_url.is_some(),
            recipients => v(&recipients),
            invited => v(&invited),
            scheduled => scheduled,
            started => started,
            attendance_open => attendance_open,
            attendance_recorded => s.attendance.as_ref().map(|a| dates::instant(lang, a.recorded_at, tz, tz)),
            held => s.session.status == SessionStatus::Held,
            move_days => v(&move_days),
            clock => clock_sentence(lang, tz),
            errors => v(&errors),
        },
    )?;
    Ok(me.reader.answer(status, html))
}

/// After a refused change: the session page with the errors, or the error.
async fn session_refused(state: &AppState, me: &Me, id: Uuid, e: AppError) -> AppResult<Response> {
    let Some(errors) = FormErrors::from_error(&e, str::to_owned) else {
        return error_page(&me.reader, &e);
    };
    let status = match e {
        AppError::Conflict { .. } => StatusCode::CONFLICT,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    render_session(state, me, id, status, errors.value()).await
}

/// `POST /sessions/{id}/move`: to the slot picked.
async fn move_session(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> AppResult<Response> {
    let me = me_or_return!(state, headers);
    let form = FormData::parse(&body);
    csrf_or_return!(me, headers, form);
    let result = async {
        let starts_at = DateTime::parse_from_rfc3339(form.get("starts_at").trim())
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| AppError::field("starts_at", "must be a date and time"))?;
        sessions::move_session(
            &state.db,
            &state.settings,
            &me.caller,
            id,
            Move {
                starts_at: Some(starts_at),
                minutes: None,
                place: None,
            },
        )
        .await
    }
    .await;
    match result {
        Ok(_) => Ok(see_other(&format!("/sessions/{id}"))),
        Err(e) => session_refused(&state, &me, id, e).await,
    }
}

/// `POST /sessions/{id}/cancel`, with a reason.
async fn cancel_session(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> AppResult<Response> {
    let me = me_or_return!(state, headers);
    let form = FormData::parse(&body);
    csrf_or_return!(me, headers, form);
    let result = async {
        let reason = crate::http::cases::parse_reason(form.get("reason"))?;
        sessions::cancel(&state.db, &state.settings, &me.caller, id, reason).await
    }
    .await;
    match result {
        Ok(_) => Ok(see_other(&format!("/sessions/{id}"))),
        Err(e) => session_refused(&state, &me, id, e).await,
    }
}

/// `POST /sessions/{id}/attendance`: `held` (true/false, or a checked box)
/// and a `present` box per party present.
async fn record_attendance(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> AppResult<Response> {
    let me = me_or_return!(state, headers);
    let form = FormData::parse(&body);
    csrf_or_return!(me, headers, form);
    let result = async {
        let held = match form.get("held").trim() {
            "true" | "on" => true,
            "false" | "" => false,
            _ => return Err(AppError::field("held", "must be true or false")),
        };
        let present_party_ids = form
            .all("present")
            .take(100)
            .map(|p| {
                p.trim()
                    .parse::<Uuid>()
                    .map_err(|_| AppError::field("present", "no such party"))
            })
            .collect::<AppResult<Vec<_>>>()?;
        attendance::record(
            &state.db,
            &me.caller,
            id,
            AttendanceInput {
                held,
                present_party_ids,
            },
            crate::db::now(),
        )
        .await
    }
    .await;
    match result {
        Ok(_) => Ok(see_other(&format!("/sessions/{id}"))),
        Err(e) => session_refused(&state, &me, id, e).await,
    }
}

// ---- the outcome -----------------------------------------------------------------

#[derive(Deserialize)]
struct OutcomeQuery {
    terms: Option<usize>,
}

/// What the outcome form shows: its values, as typed or as stored.
#[derive(Default)]
struct OutcomeValues {
    result: String,
    /// (text, due date, party id) per row.
    terms: Vec<(String, String, String)>,
    signed_on: String,
    signed_at_place: String,
}

async fn render_outcome(
    state: &AppState,
    me: &Me,
    case_id: Uuid,
    values: Option<OutcomeValues>,
    rows: usize,
    status: StatusCode,
    errors: Value,
) -> AppResult<Response> {
    let lang = me.lang();
    let tz = me.tz;
    let record = match assigned_case(state, me, case_id).await {
        Ok(r) => r,
        Err(e) => return error_page(&me.reader, &e),
    };
    let stored = match outcomes::read(&state.db, &me.caller, case_id).await {
        Ok(o) => Some(o),
        Err(AppError::NotFound(_)) => None,
        Err(e) => return error_page(&me.reader, &e),
    };
    let editable = stored.as_ref().is_none_or(|o| {
        matches!(
            o.current.status,
            OutcomeStatus::Draft | OutcomeStatus::Returned
        )
    });
    let values = values.unwrap_or_else(|| match &stored {
        Some(o) if o.current.status == OutcomeStatus::Draft => OutcomeValues {
            result: o.current.result.as_str().to_owned(),
            terms: o
                .current
                .terms
                .iter()
                .map(|t| {
                    (
                        t.text.clone(),
                        t.due_date.map(|d| d.to_string()).unwrap_or_default(),
                        t.owed_by_party_id
                            .map(|p| p.to_string())
                            .unwrap_or_default(),
                    )
                })
                .collect(),
            signed_on: o.current.signed_on.to_string(),
            signed_at_place: o.current.signed_at_place.clone(),
        },
        _ => OutcomeValues {
            signed_on: Utc::now().with_timezone(&tz).date_naive().to_string(),
            ..OutcomeValues::default()
        },
    });
    let rows = rows.max(values.terms.len()).clamp(1, MAX_TERM_ROWS);
    let debtors: Vec<(Uuid, String)> = record
        .parties
        .iter()
        .filter(|p| p.role.is_principal())
        .map(|p| {
            (
                p.id,
                format!("{} ({})", p.name, i18n::words::party_role(lang, p.role)),
            )
        })
        .collect();
    let term_rows: Vec<Value> = (0..rows)
        .map(|i| {
            let (text, due, party) = values.terms.get(i).cloned().unwrap_or_default();
            json!({
                "i": i,
                "n": i + 1,
                "text": text,
                "due": due,
                "parties": debtors.iter().map(|(id, name)| json!({
                    "value": id, "label": name, "selected": id.to_string() == party,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let results: Vec<Value> = OutcomeResult::ALL
        .iter()
        .map(|r| {
            json!({
                "value": r.as_str(),
                "label": outcome_words::result(lang, *r),
                "selected": r.as_str() == values.result,
            })
        })
        .collect();
    let current = stored.as_ref().map(|o| {
        let c = &o.current;
        let party_name = |id: Option<Uuid>| {
            id.and_then(|id| record.parties.iter().find(|p| p.id == id))
                .map(|p| p.name.clone())
                .unwrap_or_else(|| words(lang, "бірлесіп", "совместно", "jointly").to_owned())
        };
        json!({
            "version": c.version,
            "result": outcome_words::result(lang, c.result),
            "status": outcome_words::status(lang, c.status),
            "draft": c.status == OutcomeStatus::Draft,
            "terms": c.terms.iter().map(|t| json!({
                "text": t.text,
                "due": t.due_date.map(|d| dates::long_date(lang, d)).unwrap_or_default(),
                "party": party_name(t.owed_by_party_id),
            })).collect::<Vec<_>>(),
            "signed_on": dates::long_date(lang, c.signed_on),
            "signed_at_place": c.signed_at_place,
            "document": c.pdf_sha256.is_some(),
            "return_reason": c.return_reason.clone().unwrap_or_default(),
            "registration": c.court_registration_number.clone().unwrap_or_default(),
        })
    });
    let c = &record.case;
    let html = templates::render_page(
        templates::OUTCOME_PAGE,
        minijinja::context! {
            frame => v(&me.reader.frame(&format!("/cases/{case_id}/outcome"))),
            case_id => case_id.to_string(),
            number => c.court_case_number.clone(),
            case_status => i18n::words::case_status(lang, c.status),
            current => v(&current),
            editable => editable,
            results => v(&results),
            terms => v(&term_rows),
            rows => rows,
            signed_on => values.signed_on,
            signed_at_place => values.signed_at_place,
            errors => v(&errors),
        },
    )?;
    Ok(me.reader.answer(status, html))
}

/// `GET /cases/{id}/outcome`: the outcome recorded so far, the form to
/// record or correct it, and the submission to the court.
async fn outcome_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Query(q): Query<OutcomeQuery>,
) -> AppResult<Response> {
    let me = me_or_return!(state, headers);
    let rows = q.terms.unwrap_or(1);
    render_outcome(&state, &me, id, None, rows, StatusCode::OK, no_errors()).await
}

/// `POST /cases/{id}/outcome`: the form through the API's parser and the
/// same service; `add_term` shows the form again with one more row.
async fn save_outcome(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> AppResult<Response> {
    let me = me_or_return!(state, headers);
    let form = FormData::parse(&body);
    csrf_or_return!(me, headers, form);
    let mut values = OutcomeValues {
        result: form.get("result").trim().to_owned(),
        signed_on: form.get("signed_on").trim().to_owned(),
        signed_at_place: form.get("signed_at_place").to_owned(),
        terms: Vec::new(),
    };
    let mut i = 0;
    while i < MAX_TERM_ROWS && form.has(&format!("term{i}_text")) {
        values.terms.push((
            form.get(&format!("term{i}_text")).to_owned(),
            form.get(&format!("term{i}_due_date")).trim().to_owned(),
            form.get(&format!("term{i}_party")).trim().to_owned(),
        ));
        i += 1;
    }
    if form.has("add_term") {
        let rows = (values.terms.len() + 1).min(MAX_TERM_ROWS);
        return render_outcome(
            &state,
            &me,
            id,
            Some(values),
            rows,
            StatusCode::OK,
            no_errors(),
        )
        .await;
    }
    // Filled rows and the form row each came from.
    let mut rows_of_terms: Vec<usize> = Vec::new();
    let result = async {
        let mut f = Fields::default();
        let signed_on = f.check("signed_on", date_input(&values.signed_on));
        let mut terms = Vec::new();
        for (row, (text, due, party)) in values.terms.iter().enumerate() {
            if text.trim().is_empty() && due.is_empty() && party.is_empty() {
                continue;
            }
            let due_date = if due.is_empty() {
                None
            } else {
                f.check(&format!("term{row}_due_date"), date_input(due))
            };
            let owed_by_party_id = if party.is_empty() {
                None
            } else {
                f.check(
                    &format!("term{row}_party"),
                    party
                        .parse::<Uuid>()
                        .map_err(|_| "no such party".to_owned()),
                )
            };
            rows_of_terms.push(row);
            terms.push(TermBody {
                text: text.clone(),
                due_date,
                owed_by_party_id,
            });
        }
        f.finish()?;
        let Some(signed_on) = signed_on else {
            return Err(AppError::field("signed_on", "must be a date"));
        };
        let input = parse_outcome(OutcomeBody {
            result: values.result.clone(),
            terms,
            signed_on,
            signed_at_place: values.signed_at_place.clone(),
            unresolved: None,
        })?;
        outcomes::record(&state.db, &me.caller, id, input, crate::db::now()).await
    }
    .await;
    match result {
        Ok(_) => Ok(see_other(&format!("/cases/{id}/outcome"))),
        Err(e) => {
            let rename = |field: &str| outcome_field_name(field, &rows_of_terms);
            let Some(errors) = FormErrors::from_error(&e, rename) else {
                return error_page(&me.reader, &e);
            };
            let status = match e {
                AppError::Conflict { .. } => StatusCode::CONFLICT,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            let rows = values.terms.len();
            render_outcome(&state, &me, id, Some(values), rows, status, errors.value()).await
        }
    }
}

/// `terms[2].text` → the form's `term{row}_text` of that term.
fn outcome_field_name(field: &str, rows: &[usize]) -> String {
    let Some((i, part)) = field
        .strip_prefix("terms[")
        .and_then(|rest| rest.split_once("]."))
    else {
        return if field == "terms" {
            "term0_text".into()
        } else {
            field.to_owned()
        };
    };
    let row = i
        .parse::<usize>()
        .ok()
        .and_then(|i| rows.get(i).copied())
        .unwrap_or(0);
    let part = match part {
        "owed_by_party_id" => "party",
        other => other,
    };
    format!("term{row}_{part}")
}

/// `POST /cases/{id}/outcome/submit`: freezes the version and sends it to
/// the court.
async fn submit_outcome(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> AppResult<Response> {
    let me = me_or_return!(state, headers);
    let form = FormData::parse(&body);
    csrf_or_return!(me, headers, form);
    match outcomes::submit(&state.db, &state.settings, &me.caller, id).await {
        Ok(_) => Ok(see_other(&format!("/cases/{id}/outcome"))),
        Err(e) => error_page(&me.reader, &e),
    }
}

/// `GET /cases/{id}/outcome/document.pdf|.html`: the agreement of the
/// current version, for the signed-in reader the API would give it to.
async fn outcome_document(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, file)): Path<(Uuid, String)>,
) -> AppResult<Response> {
    let reader = Reader::of(&state, &headers).await?;
    let Some(caller) = reader.caller.clone() else {
        return Ok(see_other("/login"));
    };
    let format = match file.as_str() {
        "document.pdf" => DocumentFormat::Pdf,
        "document.html" => DocumentFormat::Html,
        _ => return error_page(&reader, &AppError::not_found("document")),
    };
    match outcomes::document(&state.db, &caller, id, None, format).await {
        Ok(d) => crate::http::outcomes::document_response(d),
        Err(e) => error_page(&reader, &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_apis_field_names_become_the_forms_input_names() {
        let names = vec![
            ("w1_0_start".to_owned(), "w1_0_end".to_owned()),
            ("w3_1_start".to_owned(), "w3_1_end".to_owned()),
        ];
        assert_eq!(weekly_field_name("weekly[1].end", &names), "w3_1_end");
        assert_eq!(weekly_field_name("weekly[0].start", &names), "w1_0_start");
        assert_eq!(weekly_field_name("weekly[7].start", &names), "weekly");
        // Terms: the second filled row was the form's fourth.
        let rows = [0, 3];
        assert_eq!(outcome_field_name("terms[1].text", &rows), "term3_text");
        assert_eq!(
            outcome_field_name("terms[0].owed_by_party_id", &rows),
            "term0_party"
        );
        assert_eq!(outcome_field_name("terms", &rows), "term0_text");
        assert_eq!(outcome_field_name("signed_on", &rows), "signed_on");
    }

    #[test]
    fn a_local_date_and_time_is_read_on_the_mediators_clock() {
        let almaty = chrono_tz::Asia::Almaty;
        let at = local_input(almaty, "2026-12-03T10:00").expect("valid");
        assert_eq!(at.to_rfc3339(), "2026-12-03T05:00:00+00:00");
        assert!(local_input(almaty, "3 December").is_err());
        assert_eq!(
            midnight(almaty, NaiveDate::from_ymd_opt(2026, 12, 3).expect("date")).to_rfc3339(),
            "2026-12-02T19:00:00+00:00"
        );
    }
}
