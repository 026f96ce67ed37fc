//! Who may call what: every operation of the OpenAPI document, called by
//! every kind of caller, against one world, with the status each must get.
//!
//! The world (built through the API): courts A and B; a clerk of each; three
//! mediators serving court A — M1 accepted case X (which has a session S),
//! M2 is proposed on case Y and has not answered, M3 has nothing; each case
//! has two parties, each with their personal link.
//!
//! The callers, by column of [`TABLE`]:
//! - `anon`: no credentials;
//! - `admin`;
//! - `clerk`: clerk of court A, which referred X and Y;
//! - `clerk_b`: clerk of court B;
//! - `proposed`: M2; wherever a path names a case, M2 gets case Y (the case
//!   it is proposed on), everyone else case X;
//! - `assigned`: M1, the mediator of X, and the mediator whose `{id}` the
//!   mediator routes name;
//! - `other_med`: M3;
//! - `link`: the first party of X; `other_link`: the first party of Y. On the
//!   party routes (`/p/{token}…`) the token in the path is their link (the
//!   other callers get a made-up one); on every other route they send their
//!   link token as a bearer token, which must get them nothing (401).
//!
//! The outcome routes (`/api/v1/cases/{id}/outcome…`) name case Z instead
//! of X: M1 accepted it, its session was held and its settlement was
//! submitted to the court, so that its terms and documents can be read.
//! On `/p/{token}/document.*`, `link` is the first party of Z (X has no
//! agreement to download). The party routes (`/api/v1/parties/{id}…`)
//! name the respondent of X (of Y for M2).
//!
//! `/calendar/{file}` is reached by holding the feed secret, which only the
//! answer that makes it shows (to the mediator and the admins): `assigned`
//! and `admin` use a new one, made by rotating it, the others a made-up one.
//!
//! `/counter/{token}` opens with a one-click link that only a mediator's
//! email about a party's proposed time carries (`cargo test --test imap`
//! covers it); no such link exists in this world, so everyone gets 404.
//!
//! Requests carry a valid body, so the status says what the caller may do,
//! not what the body lacks. A request expected to succeed changes things,
//! so where that would disturb later requests the row names a [`Fresh`]
//! object: each caller expected to succeed gets a new one of its own (a new
//! case, session, time off or token), everyone else the shared one.
//!
//! Rule: every operation of the document has exactly one row, and a row
//! for an operation the document no longer has fails the test. A new
//! endpoint is one new line in [`TABLE`].

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::{PASSWORD, TestApp, id, party_link, spawn_app};

/// The callers, in the order of the columns of [`TABLE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    Anonymous,
    Admin,
    Clerk,
    OtherClerk,
    ProposedMediator,
    AssignedMediator,
    OtherMediator,
    PartyLink,
    OtherPartyLink,
}

const CALLERS: [Caller; 9] = [
    Caller::Anonymous,
    Caller::Admin,
    Caller::Clerk,
    Caller::OtherClerk,
    Caller::ProposedMediator,
    Caller::AssignedMediator,
    Caller::OtherMediator,
    Caller::PartyLink,
    Caller::OtherPartyLink,
];

/// What a caller expected to succeed gets for itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fresh {
    /// Nothing: the shared world (the request changes nothing that matters).
    No,
    /// A case just referred by the clerk of court A.
    Case,
    /// A case with M2 proposed (for M2 too: it is "the proposed mediator").
    Proposed,
    /// A case where violence was reported (joint sessions need an override).
    Violence,
    /// A new session of case X.
    Session,
    /// A new time off of M1.
    TimeOff,
    /// A new bearer token of the caller's own account.
    Token,
    /// A case M1 accepted whose session was held (no outcome yet).
    Held,
    /// Like [`Fresh::Held`], with a settlement recorded (a draft).
    Draft,
    /// Like [`Fresh::Draft`], submitted to the court.
    Submitted,
    /// The claimant of a case just referred by the clerk of court A.
    Party,
}

/// The body a row sends.
#[derive(Clone, Copy)]
enum Body {
    None,
    Json(fn(&Target) -> Value),
    Csv(fn(&Target) -> String),
    Calendar,
}

/// One operation: method, path as the OpenAPI document writes it, a query
/// string (with `{court}`, `{from}`, `{to}` filled in), the [`Fresh`]
/// object for callers expected to succeed, the body, and the status for
/// each caller in the order of [`CALLERS`].
struct Row(
    &'static str,
    &'static str,
    &'static str,
    Fresh,
    Body,
    [u16; 9],
);

use Body::{Calendar as Ics, Csv, Json, None as NoBody};
use Fresh::{Case, Draft, Held, No, Party, Proposed, Session, Submitted, TimeOff, Token, Violence};

// Where the answers go beyond API.md's "who" column, on purpose or not:
// - `GET /api/v1/cases/{id}/matches`: admins too, not only the court's clerk;
// - `POST /api/v1/cases` by a clerk of another court: 422 naming
//   `court_id` (tests/api/cases.rs), not 403/404;
// - `GET /api/v1/cases/{id}`: the proposed mediator reads the case (to
//   decide), with its parties;
// - a role that may never do something gets 403 even where the object is
//   out of its scope (a clerk of another court changing court A); a role
//   that may, 404 for what it cannot see;
// - lists (`GET /api/v1/cases`, `…/waiting-to-be-scheduled`) answer 200
//   with only what the caller may see, for every signed-in role;
// - `POST /api/v1/sessions/{id}/attendance`: session S is in the future,
//   so its mediator is refused with 409 (`session_not_started`), the
//   answer documented for attendance before the session's start;
// - `POST /api/v1/cases/{id}/outcome/registration`: admins see the case
//   (and the submitted outcome) but only a clerk of the court decides: 403.
#[rustfmt::skip]
const TABLE: &[Row] = &[
    //   method    path                                              query                                  fresh     body                                                                                          anon admin clerk clerk_b proposed assigned other_med link other_link
    Row("GET",    "/healthz",                                        "",                                    No,       NoBody,                                                                                        [200, 200, 200, 200, 200, 200, 200, 200, 200]),
    Row("GET",    "/readyz",                                         "",                                    No,       NoBody,                                                                                        [200, 200, 200, 200, 200, 200, 200, 200, 200]),
    Row("POST",   "/api/v1/auth/token",                              "",                                    No,       Json(|_| json!({"email": LOGIN_EMAIL, "password": PASSWORD})),                                 [200, 200, 200, 200, 200, 200, 200, 200, 200]),
    Row("DELETE", "/api/v1/auth/token",                              "",                                    Token,    NoBody,                                                                                        [401, 204, 204, 204, 204, 204, 204, 401, 401]),
    Row("GET",    "/api/v1/auth/me",                                 "",                                    No,       NoBody,                                                                                        [401, 200, 200, 200, 200, 200, 200, 401, 401]),
    Row("POST",   "/api/v1/courts",                                  "",                                    No,       Json(|t| json!({"code": format!("N-{}", t.n), "name": "New court", "timezone": "Asia/Almaty", "default_language": "ru"})), [401, 201, 403, 403, 403, 403, 403, 401, 401]),
    Row("GET",    "/api/v1/courts",                                  "",                                    No,       NoBody,                                                                                        [401, 200, 200, 200, 200, 200, 200, 401, 401]),
    Row("GET",    "/api/v1/courts/{id}",                             "",                                    No,       NoBody,                                                                                        [401, 200, 200, 404, 404, 404, 404, 401, 401]),
    Row("PATCH",  "/api/v1/courts/{id}",                             "",                                    No,       Json(|_| json!({"name": "Court A"})),                                                          [401, 200, 403, 403, 403, 403, 403, 401, 401]),
    Row("GET",    "/api/v1/courts/{id}/closed-days",                 "",                                    No,       NoBody,                                                                                        [401, 200, 200, 404, 404, 404, 404, 401, 401]),
    Row("PUT",    "/api/v1/courts/{id}/closed-days",                 "",                                    No,       Json(|_| json!({"days": []})),                                                                 [401, 200, 403, 403, 403, 403, 403, 401, 401]),
    Row("POST",   "/api/v1/courts/{id}/rooms",                       "",                                    No,       Json(|t| json!({"name": format!("Room {}", t.n), "capacity": 6})),                             [401, 201, 403, 403, 403, 403, 403, 401, 401]),
    Row("GET",    "/api/v1/courts/{id}/rooms",                       "",                                    No,       NoBody,                                                                                        [401, 200, 200, 404, 404, 404, 404, 401, 401]),
    Row("POST",   "/api/v1/users",                                   "",                                    No,       Json(|t| json!({"email": format!("new-{}@court.test", t.n), "name": "New Clerk", "role": "clerk", "court_id": t.court, "language": "ru", "password": PASSWORD})), [401, 201, 403, 403, 403, 403, 403, 401, 401]),
    Row("GET",    "/api/v1/users",                                   "",                                    No,       NoBody,                                                                                        [401, 200, 403, 403, 403, 403, 403, 401, 401]),
    Row("GET",    "/api/v1/users/{id}",                              "",                                    No,       NoBody,                                                                                        [401, 200, 200, 404, 404, 404, 404, 401, 401]),
    Row("PATCH",  "/api/v1/users/{id}",                              "",                                    No,       Json(|_| json!({"name": "Clerk of A"})),                                                       [401, 200, 403, 403, 403, 403, 403, 401, 401]),
    Row("POST",   "/api/v1/mediators",                               "",                                    No,       Json(mediator_body),                                                                             [401, 201, 403, 403, 403, 403, 403, 401, 401]),
    Row("GET",    "/api/v1/mediators",                               "",                                    No,       NoBody,                                                                                        [401, 200, 200, 200, 200, 200, 200, 401, 401]),
    Row("GET",    "/api/v1/mediators/{id}",                          "",                                    No,       NoBody,                                                                                        [401, 200, 200, 404, 404, 200, 404, 401, 401]),
    Row("PATCH",  "/api/v1/mediators/{id}",                          "",                                    No,       Json(|_| json!({"max_active_cases": 100})),                                                   [401, 200, 403, 403, 403, 403, 403, 401, 401]),
    Row("GET",    "/api/v1/mediators/{id}/availability",             "",                                    No,       NoBody,                                                                                        [401, 200, 200, 404, 404, 200, 404, 401, 401]),
    Row("PUT",    "/api/v1/mediators/{id}/availability",             "",                                    No,       Json(|_| weekdays()),                                                                          [401, 200, 403, 404, 404, 200, 404, 401, 401]),
    Row("GET",    "/api/v1/mediators/{id}/time-off",                 "",                                    No,       NoBody,                                                                                        [401, 200, 403, 404, 404, 200, 404, 401, 401]),
    Row("POST",   "/api/v1/mediators/{id}/time-off",                 "",                                    No,       Json(|t| time_off_body(t.n)),                                                                  [401, 201, 403, 404, 404, 201, 404, 401, 401]),
    Row("DELETE", "/api/v1/mediators/{id}/time-off/{time_off_id}",   "",                                    TimeOff,  NoBody,                                                                                        [401, 204, 403, 404, 404, 204, 404, 401, 401]),
    Row("GET",    "/api/v1/mediators/{id}/conflicts",                "",                                    No,       NoBody,                                                                                        [401, 200, 403, 404, 404, 200, 404, 401, 401]),
    Row("POST",   "/api/v1/mediators/{id}/conflicts",                "",                                    No,       Json(|t| json!({"party_name": format!("Nobody Here {}", t.n)})),                               [401, 201, 403, 404, 404, 201, 404, 401, 401]),
    Row("PUT",    "/api/v1/mediators/{id}/external-calendar",        "",                                    No,       Ics,                                                                                           [401, 200, 403, 404, 404, 200, 404, 401, 401]),
    Row("GET",    "/api/v1/mediators/{id}/free-slots",               "?from={from}&to={to}&duration_minutes=60", No,  NoBody,                                                                                        [401, 200, 200, 404, 404, 200, 404, 401, 401]),
    Row("POST",   "/api/v1/mediators/{id}/calendar-feed/rotate",     "",                                    No,       NoBody,                                                                                        [401, 200, 403, 404, 404, 200, 404, 401, 401]),
    Row("GET",    "/calendar/{file}",                                "",                                    No,       NoBody,                                                                                        [404, 200, 404, 404, 404, 200, 404, 404, 404]),
    Row("POST",   "/api/v1/admin/mediators/import",                  "",                                    No,       Csv(|t| registry_csv(t.n)),                                                                    [401, 200, 403, 403, 403, 403, 403, 401, 401]),
    Row("POST",   "/api/v1/cases",                                   "",                                    No,       Json(|t| case_body(t.court, t.n, false)),                                                      [401, 403, 201, 422, 403, 403, 403, 401, 401]),
    Row("GET",    "/api/v1/cases",                                   "?court_id={court}",                   No,       NoBody,                                                                                        [401, 200, 200, 200, 200, 200, 200, 401, 401]),
    Row("GET",    "/api/v1/cases/waiting-to-be-scheduled",           "",                                    No,       NoBody,                                                                                        [401, 200, 200, 200, 200, 200, 200, 401, 401]),
    Row("GET",    "/api/v1/cases/{id}",                              "",                                    No,       NoBody,                                                                                        [401, 200, 200, 404, 200, 200, 404, 401, 401]),
    Row("POST",   "/api/v1/cases/{id}/withdraw",                     "",                                    Case,     Json(|_| json!({"reason": "the parties settled by themselves"})),                             [401, 403, 200, 404, 403, 403, 404, 401, 401]),
    Row("POST",   "/api/v1/cases/{id}/joint-session-override",       "",                                    Violence, Json(|_| json!({"reason": "both parties asked for it"})),                                      [401, 403, 200, 404, 403, 403, 404, 401, 401]),
    Row("GET",    "/api/v1/cases/{id}/audit",                        "",                                    No,       NoBody,                                                                                        [401, 200, 200, 404, 403, 403, 404, 401, 401]),
    Row("GET",    "/api/v1/cases/{id}/matches",                      "?duration_minutes=60",                No,       NoBody,                                                                                        [401, 200, 200, 404, 403, 403, 404, 401, 401]),
    Row("POST",   "/api/v1/cases/{id}/assignment",                   "",                                    Case,     Json(|t| json!({"mediator_id": t.free_mediator})),                                             [401, 403, 200, 404, 403, 403, 404, 401, 401]),
    Row("POST",   "/api/v1/cases/{id}/assignment/accept",            "",                                    Proposed, NoBody,                                                                                        [401, 403, 403, 404, 200, 409, 404, 401, 401]),
    Row("POST",   "/api/v1/cases/{id}/assignment/decline",           "",                                    Proposed, Json(|_| json!({"reason": "too many cases this month"})),                                      [401, 403, 403, 404, 200, 409, 404, 401, 401]),
    Row("POST",   "/api/v1/cases/{id}/sessions",                     "",                                    No,       Json(|t| session_body(t.slot)),                                                                [401, 403, 201, 404, 403, 201, 404, 401, 401]),
    Row("GET",    "/api/v1/sessions/{id}",                           "",                                    No,       NoBody,                                                                                        [401, 200, 200, 404, 404, 200, 404, 401, 401]),
    Row("PATCH",  "/api/v1/sessions/{id}",                           "",                                    Session,  Json(|t| json!({"starts_at": rfc(t.slot)})),                                                   [401, 403, 200, 404, 404, 200, 404, 401, 401]),
    Row("POST",   "/api/v1/sessions/{id}/cancel",                    "",                                    Session,  Json(|_| json!({"reason": "the mediator is ill"})),                                            [401, 403, 200, 404, 404, 200, 404, 401, 401]),
    Row("GET",    "/p/{token}",                                      "",                                    No,       NoBody,                                                                                        [404, 404, 404, 404, 404, 404, 404, 200, 200]),
    Row("POST",   "/p/{token}/voluntary-participation",              "",                                    No,       NoBody,                                                                                        [404, 404, 404, 404, 404, 404, 404, 200, 200]),
    Row("GET",    "/p/{token}/sessions/{file}",                      "",                                    No,       NoBody,                                                                                        [404, 404, 404, 404, 404, 404, 404, 200, 404]),
    Row("POST",   "/p/{token}/sessions/{id}/rsvp",                   "",                                    No,       Json(|_| json!({"response": "accepted"})),                                                     [404, 404, 404, 404, 404, 404, 404, 200, 404]),
    Row("POST",   "/api/v1/sessions/{id}/attendance",                "",                                    No,       Json(|_| json!({"held": true, "present_party_ids": []})),                                      [401, 403, 403, 404, 404, 409, 404, 401, 401]),
    Row("POST",   "/api/v1/cases/{id}/outcome",                      "",                                    Held,     Json(|_| outcome_body()),                                                                      [401, 403, 403, 404, 403, 201, 404, 401, 401]),
    Row("GET",    "/api/v1/cases/{id}/outcome",                      "",                                    No,       NoBody,                                                                                        [401, 200, 200, 404, 403, 200, 404, 401, 401]),
    Row("GET",    "/api/v1/cases/{id}/outcome/document.html",        "",                                    No,       NoBody,                                                                                        [401, 200, 200, 404, 403, 200, 404, 401, 401]),
    Row("GET",    "/api/v1/cases/{id}/outcome/document.pdf",         "",                                    No,       NoBody,                                                                                        [401, 200, 200, 404, 403, 200, 404, 401, 401]),
    Row("POST",   "/api/v1/cases/{id}/outcome/submit",               "",                                    Draft,    NoBody,                                                                                        [401, 403, 403, 404, 403, 200, 404, 401, 401]),
    Row("POST",   "/api/v1/cases/{id}/outcome/registration",         "",                                    Submitted, Json(|t| json!({"decision": "registered", "court_registration_number": format!("MK-{}", t.n)})), [401, 403, 200, 404, 403, 403, 404, 401, 401]),
    Row("GET",    "/p/{token}/document.html",                        "",                                    No,       NoBody,                                                                                        [404, 404, 404, 404, 404, 404, 404, 200, 404]),
    Row("GET",    "/p/{token}/document.pdf",                         "",                                    No,       NoBody,                                                                                        [404, 404, 404, 404, 404, 404, 404, 200, 404]),
    Row("POST",   "/api/v1/parties/{id}/link/rotate",                "",                                    Party,    NoBody,                                                                                        [401, 200, 200, 404, 403, 403, 404, 401, 401]),
    Row("GET",    "/api/v1/reports/summary",                         "?court_id={court}&from={from_day}&to={to_day}", No, NoBody,                                                                             [401, 200, 200, 404, 403, 403, 403, 401, 401]),
    Row("GET",    "/api/v1/admin/outbox",                            "",                                    No,       NoBody,                                                                                        [401, 200, 403, 403, 403, 403, 403, 401, 401]),
    Row("POST",   "/api/v1/admin/outbox/{id}/retry",                 "",                                    No,       NoBody,                                                                                        [401, 409, 403, 403, 403, 403, 403, 401, 401]),
    Row("GET",    "/api/v1/admin/inbox",                             "",                                    No,       NoBody,                                                                                        [401, 200, 403, 403, 403, 403, 403, 401, 401]),
    Row("GET",    "/counter/{token}",                                "",                                    No,       NoBody,                                                                                        [404, 404, 404, 404, 404, 404, 404, 404, 404]),
    Row("POST",   "/counter/{token}",                                "",                                    No,       Json(|_| json!({"decision": "move"})),                                                         [404, 404, 404, 404, 404, 404, 404, 404, 404]),
];

/// The account every caller logs in as in the `POST /api/v1/auth/token` row.
const LOGIN_EMAIL: &str = "login-check@court.test";

/// The ids a request is made with.
#[derive(Clone)]
struct Target {
    /// Unique per request, for codes, emails and names that must not repeat.
    n: u32,
    /// Court A.
    court: Uuid,
    /// The clerk of court A's account.
    user: Uuid,
    /// M1.
    mediator: Uuid,
    /// M3, who may be proposed on a new case.
    free_mediator: Uuid,
    case: Uuid,
    session: Uuid,
    time_off: Uuid,
    outbox: Uuid,
    /// Case Z, whose settlement was submitted.
    outcome_case: Uuid,
    /// The respondent of X.
    party: Uuid,
    /// A free hour of M1, for booking and moving sessions.
    slot: DateTime<Utc>,
}

struct World {
    app: TestApp,
    court_b: Uuid,
    base: Target,
    /// Case Y, where M2 is proposed.
    case_y: Uuid,
    /// The respondent of Y.
    party_y: Uuid,
    /// Bearer token of each caller with an account.
    tokens: HashMap<&'static str, String>,
    /// `/p/{token}` of the first party of X and of Y.
    link_x: String,
    link_y: String,
    /// `/p/{token}` of the first party of Z.
    link_z: String,
    next: u32,
    next_slot: DateTime<Utc>,
}

fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn weekdays() -> Value {
    let weekly: Vec<Value> = (1..=5)
        .map(|d| json!({"weekday": d, "start": "09:00", "end": "18:00"}))
        .collect();
    json!({ "weekly": weekly })
}

fn time_off_body(n: u32) -> Value {
    let start = Utc::now() + Duration::days(300 + i64::from(n % 50));
    json!({"starts_at": rfc(start), "ends_at": rfc(start + Duration::hours(2)), "note": "leave"})
}

/// A settlement with one term, signed yesterday.
fn outcome_body() -> Value {
    let signed_on = (Utc::now() - Duration::days(1)).date_naive();
    json!({
        "result": "settled", "terms": [{"text": "The respondent pays 100 000 tenge."}],
        "signed_on": signed_on, "signed_at_place": "Almaty"
    })
}

fn mediator_body(t: &Target) -> Value {
    json!({
        "name": format!("Mediator {}", t.n), "email": format!("med-{}@mediators.kz", t.n),
        "registry_number": format!("R-NEW-{}", t.n), "kind": "professional",
        "certified_until": "2031-12-31", "specialties": ["civil"], "languages": ["ru"],
        "court_ids": [t.court], "max_active_cases": 5, "timezone": "Asia/Almaty"
    })
}

fn registry_csv(n: u32) -> String {
    format!(
        "registry_number,name,email,kind,certified_until,specialties,languages,court_codes,max_active_cases,timezone,status\n\
         R-IMP-{n},Imported Mediator,imported-{n}@mediators.kz,professional,2031-12-31,civil,ru,MX-A,5,Asia/Almaty,active\n"
    )
}

fn case_body(court: Uuid, n: u32, violence: bool) -> Value {
    let deadline = (Utc::now() + Duration::days(120)).date_naive();
    json!({
        "court_id": court, "court_case_number": format!("2-{n}/2026"), "category": "civil",
        "summary": "Debt", "language": "ru", "mediation_deadline": deadline,
        "flags": {"minors_involved": false, "violence_reported": violence, "interpreter_needed": false},
        "parties": [
            {"role": "claimant", "name": format!("Claimant {n}"), "email": format!("claimant-{n}@example.kz"), "language": "ru"},
            {"role": "respondent", "name": format!("Respondent {n}"), "email": format!("respondent-{n}@example.kz"), "language": "ru"}
        ]
    })
}

fn session_body(slot: DateTime<Utc>) -> Value {
    json!({"starts_at": rfc(slot), "duration_minutes": 60, "online_url": "https://meet.example.kz/room", "format": "joint"})
}

/// The operations of the document, as `METHOD path`.
fn documented(doc: &Value) -> BTreeSet<String> {
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in [
            "get", "put", "post", "delete", "patch", "head", "options", "trace",
        ] {
            if item.get(method).is_some() {
                ops.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    ops
}

fn tabled() -> BTreeSet<String> {
    let mut ops = BTreeSet::new();
    for Row(method, path, ..) in TABLE {
        assert!(
            ops.insert(format!("{method} {path}")),
            "{method} {path} has two rows in the access matrix"
        );
    }
    ops
}

impl World {
    async fn build() -> World {
        let app = spawn_app().await;
        let court_a = create_court(&app, "MX-A").await;
        let court_b = create_court(&app, "MX-B").await;
        let (clerk_user, clerk) = app.clerk_of(court_a).await;
        let (_, clerk_b) = app.clerk_of(court_b).await;
        app.create_user_directly(kelisim::domain::Role::Clerk, LOGIN_EMAIL, Some(court_a))
            .await;
        let mut mediators = Vec::new();
        for n in 1..=3 {
            let email = format!("m{n}@mediators.kz");
            let (m, token) = app
                .mediator_with_login(
                    &email,
                    json!({
                        "name": format!("Mediator M{n}"), "email": email,
                        "registry_number": format!("R-M{n}"), "kind": "professional",
                        "certified_until": "2031-12-31",
                        "specialties": ["civil", "family", "domestic_violence"], "languages": ["kk", "ru", "en"],
                        "court_ids": [court_a], "max_active_cases": 100, "timezone": "Asia/Almaty"
                    }),
                )
                .await;
            app.set_weekday_hours(m, &token, "09:00", "18:00").await;
            mediators.push((m, token, email));
        }
        let mut tokens = HashMap::new();
        tokens.insert("admin", app.admin_token.clone());
        tokens.insert("clerk", clerk);
        tokens.insert("clerk_b", clerk_b);
        tokens.insert("assigned", mediators[0].1.clone());
        tokens.insert("proposed", mediators[1].1.clone());
        tokens.insert("other_med", mediators[2].1.clone());
        let mut world = World {
            base: Target {
                n: 0,
                court: court_a,
                user: clerk_user,
                mediator: mediators[0].0,
                free_mediator: mediators[2].0,
                case: Uuid::nil(),
                session: Uuid::nil(),
                time_off: Uuid::nil(),
                outbox: Uuid::nil(),
                outcome_case: Uuid::nil(),
                party: Uuid::nil(),
                slot: Utc::now(),
            },
            app,
            court_b,
            case_y: Uuid::nil(),
            party_y: Uuid::nil(),
            tokens,
            link_x: String::new(),
            link_y: String::new(),
            link_z: String::new(),
            next: 0,
            next_slot: first_slot(),
        };
        let (case_x, claimant_x) = world.accepted_case().await;
        world.base.case = case_x;
        world.base.session = world.book(case_x).await;
        let (case_y, claimant_y) = world.proposed_case().await;
        world.case_y = case_y;
        world.link_x = party_link(&world.app, &claimant_x).await;
        world.link_y = party_link(&world.app, &claimant_y).await;
        world.base.party = world.party(case_x, "respondent").await;
        world.party_y = world.party(case_y, "respondent").await;
        let (case_z, claimant_z) = world.submitted_case().await;
        world.base.outcome_case = case_z;
        world.link_z = party_link(&world.app, &claimant_z).await;
        world.base.time_off = world.time_off().await;
        let outbox: Value = world
            .app
            .get("/api/v1/admin/outbox", Some(&world.app.admin_token))
            .await
            .json()
            .await
            .expect("json");
        world.base.outbox = id(&outbox["items"][0]);
        world
    }

    fn n(&mut self) -> u32 {
        self.next += 1;
        self.next
    }

    fn token(&self, who: &str) -> &str {
        &self.tokens[who]
    }

    /// The next free hour of M1, with an hour between sessions: weekdays,
    /// 10:00, 12:00, 14:00 and 16:00 in Almaty.
    fn slot(&mut self) -> DateTime<Utc> {
        let slot = self.next_slot;
        let mut next = slot + Duration::hours(2);
        // 05:00Z is 10:00 in Almaty; the last hour starts at 16:00 (11:00Z).
        if next.time() > chrono::NaiveTime::from_hms_opt(11, 0, 0).expect("time") {
            let mut day = next.date_naive() + Duration::days(1);
            while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
                day += Duration::days(1);
            }
            next = Utc.from_utc_datetime(&day.and_hms_opt(5, 0, 0).expect("time"));
        }
        self.next_slot = next;
        slot
    }

    /// A case referred by the clerk of court A; its id and its claimant's email.
    async fn referred_case(&mut self, violence: bool) -> (Uuid, String) {
        let n = self.n();
        let resp = self
            .app
            .post(
                "/api/v1/cases",
                Some(self.token("clerk")),
                case_body(self.base.court, n, violence),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::CREATED, "a case is referred");
        let case: Value = resp.json().await.expect("json");
        (id(&case), format!("claimant-{n}@example.kz"))
    }

    async fn propose(&self, case: Uuid, mediator: Uuid) {
        let resp = self
            .app
            .post(
                &format!("/api/v1/cases/{case}/assignment"),
                Some(self.token("clerk")),
                json!({ "mediator_id": mediator }),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::OK, "a mediator is proposed");
    }

    /// A case M1 accepted.
    async fn accepted_case(&mut self) -> (Uuid, String) {
        let (case, claimant) = self.referred_case(false).await;
        self.propose(case, self.base.mediator).await;
        let resp = self
            .app
            .post(
                &format!("/api/v1/cases/{case}/assignment/accept"),
                Some(self.token("assigned")),
                json!({}),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::OK, "M1 accepts");
        (case, claimant)
    }

    /// A case with M2 proposed.
    async fn proposed_case(&mut self) -> (Uuid, String) {
        let (case, claimant) = self.referred_case(false).await;
        let m2 = self.mediator_id("proposed").await;
        self.propose(case, m2).await;
        (case, claimant)
    }

    /// The party of `case` in `role`.
    async fn party(&self, case: Uuid, role: &str) -> Uuid {
        let c: Value = self
            .app
            .get(
                &format!("/api/v1/cases/{case}"),
                Some(&self.app.admin_token),
            )
            .await
            .json()
            .await
            .expect("json");
        c["parties"]
            .as_array()
            .expect("parties")
            .iter()
            .find(|p| p["role"] == role)
            .map(id)
            .expect("a party in that role")
    }

    /// A case M1 accepted with a session recorded as held (recorded at
    /// the session's end, as the demo does: the slots are in the future).
    async fn held_case(&mut self) -> (Uuid, String) {
        let (case, claimant) = self.accepted_case().await;
        let session = self.book(case).await;
        let m1 = kelisim::services::auth::authenticate(&self.app.db, self.token("assigned"))
            .await
            .expect("M1 signed in");
        let booked: Value = self
            .app
            .get(
                &format!("/api/v1/sessions/{session}"),
                Some(&self.app.admin_token),
            )
            .await
            .json()
            .await
            .expect("json");
        let ends_at: DateTime<Utc> = booked["ends_at"]
            .as_str()
            .and_then(|t| t.parse().ok())
            .expect("ends_at");
        kelisim::services::attendance::record(
            &self.app.db,
            &m1,
            session,
            kelisim::services::attendance::AttendanceInput {
                held: true,
                present_party_ids: Vec::new(),
            },
            ends_at,
        )
        .await
        .expect("the session is recorded as held");
        (case, claimant)
    }

    /// A case with a settlement recorded by M1, not yet submitted.
    async fn draft_case(&mut self) -> (Uuid, String) {
        let (case, claimant) = self.held_case().await;
        let resp = self
            .app
            .post(
                &format!("/api/v1/cases/{case}/outcome"),
                Some(self.token("assigned")),
                outcome_body(),
            )
            .await;
        assert_eq!(
            resp.status(),
            StatusCode::CREATED,
            "a settlement is recorded"
        );
        (case, claimant)
    }

    /// A case whose settlement M1 submitted to the court.
    async fn submitted_case(&mut self) -> (Uuid, String) {
        let (case, claimant) = self.draft_case().await;
        let resp = self
            .app
            .post(
                &format!("/api/v1/cases/{case}/outcome/submit"),
                Some(self.token("assigned")),
                json!({}),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::OK, "the settlement is submitted");
        (case, claimant)
    }

    async fn mediator_id(&self, who: &str) -> Uuid {
        let me: Value = self
            .app
            .get("/api/v1/auth/me", Some(self.token(who)))
            .await
            .json()
            .await
            .expect("json");
        let user = me["id"].as_str().expect("id").to_owned();
        let list: Value = self
            .app
            .get("/api/v1/mediators?limit=100", Some(&self.app.admin_token))
            .await
            .json()
            .await
            .expect("json");
        list["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|m| m["user_id"].as_str() == Some(&user))
            .map(id)
            .expect("the mediator of that account")
    }

    /// A session of `case`, booked by the clerk at M1's next free hour.
    async fn book(&mut self, case: Uuid) -> Uuid {
        let slot = self.slot();
        let resp = self
            .app
            .post(
                &format!("/api/v1/cases/{case}/sessions"),
                Some(self.token("clerk")),
                session_body(slot),
            )
            .await;
        let status = resp.status();
        let body: Value = resp.json().await.expect("json");
        assert_eq!(
            status,
            StatusCode::CREATED,
            "a session is booked at {slot}: {body}"
        );
        id(&body)
    }

    async fn time_off(&mut self) -> Uuid {
        let n = self.n();
        let resp = self
            .app
            .post(
                &format!("/api/v1/mediators/{}/time-off", self.base.mediator),
                Some(&self.app.admin_token),
                time_off_body(n),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::CREATED, "a time off is added");
        id(&resp.json::<Value>().await.expect("json"))
    }

    /// The file name of a new calendar feed of M1 (only the answer that
    /// makes a feed secret shows it: it is stored hashed).
    async fn feed_file(&self) -> String {
        let m: Value = self
            .app
            .post(
                &format!(
                    "/api/v1/mediators/{}/calendar-feed/rotate",
                    self.base.mediator
                ),
                Some(&self.app.admin_token),
                json!({}),
            )
            .await
            .json()
            .await
            .expect("json");
        let url = m["calendar_feed_url"].as_str().expect("calendar_feed_url");
        url.rsplit('/').next().expect("file").to_owned()
    }

    /// Sends `row` as `caller`; returns the status and the start of the body.
    async fn call(&mut self, row: &Row, caller: Caller, expected: u16) -> (u16, String) {
        let Row(method, path, query, fresh, body, _) = row;
        let succeeds = (200..300).contains(&expected);
        let mut t = self.base.clone();
        t.n = self.n();
        if path.contains("sessions") && matches!(*method, "POST" | "PATCH") {
            t.slot = self.slot();
        }
        let is_case_route = path.starts_with("/api/v1/cases/{id}");
        if path.starts_with("/api/v1/cases/{id}/outcome") {
            t.case = t.outcome_case;
        }
        if caller == Caller::ProposedMediator && path.starts_with("/api/v1/parties/{id}") {
            t.party = self.party_y;
        }
        if caller == Caller::ProposedMediator && is_case_route {
            t.case = if succeeds && *fresh != No {
                self.proposed_case().await.0
            } else {
                self.case_y
            };
        } else if succeeds {
            match fresh {
                Case => t.case = self.referred_case(false).await.0,
                Violence => t.case = self.referred_case(true).await.0,
                Proposed => t.case = self.proposed_case().await.0,
                Session => t.session = self.book(self.base.case).await,
                TimeOff => t.time_off = self.time_off().await,
                Held => t.case = self.held_case().await.0,
                Draft => t.case = self.draft_case().await.0,
                Submitted => t.case = self.submitted_case().await.0,
                Party => {
                    let case = self.referred_case(false).await.0;
                    t.party = self.party(case, "claimant").await;
                }
                No | Token => {}
            }
        }
        let key = match caller {
            Caller::Anonymous | Caller::PartyLink | Caller::OtherPartyLink => None,
            Caller::Admin => Some("admin"),
            Caller::Clerk => Some("clerk"),
            Caller::OtherClerk => Some("clerk_b"),
            Caller::ProposedMediator => Some("proposed"),
            Caller::AssignedMediator => Some("assigned"),
            Caller::OtherMediator => Some("other_med"),
        };
        let made_up_link = "/p/p_made-up-link-of-nobody-at-all".to_owned();
        let own_link = match caller {
            Caller::PartyLink if path.starts_with("/p/{token}/document") => {
                Some(self.link_z.clone())
            }
            Caller::PartyLink => Some(self.link_x.clone()),
            Caller::OtherPartyLink => Some(self.link_y.clone()),
            _ => None,
        };
        let mut bearer = match (key, &own_link) {
            (Some(k), _) => Some(self.token(k).to_owned()),
            // A party link is no API credential.
            (None, Some(link)) if !path.starts_with("/p/") => {
                Some(link.trim_start_matches("/p/").to_owned())
            }
            _ => None,
        };
        if *fresh == Token && succeeds {
            let me: Value = self
                .app
                .get("/api/v1/auth/me", bearer.as_deref())
                .await
                .json()
                .await
                .expect("json");
            let email = me["email"].as_str().expect("email").to_owned();
            bearer = Some(self.app.login(&email, PASSWORD).await);
        }

        let mut url = String::new();
        for segment in path.split('/').skip(1) {
            url.push('/');
            let value = match segment {
                "{id}" => {
                    let v = if path.starts_with("/api/v1/courts/") {
                        t.court
                    } else if path.starts_with("/api/v1/users/") {
                        t.user
                    } else if path.starts_with("/api/v1/mediators/") {
                        t.mediator
                    } else if path.starts_with("/api/v1/cases/") {
                        t.case
                    } else if path.starts_with("/api/v1/sessions/") || path.starts_with("/p/") {
                        t.session
                    } else if path.starts_with("/api/v1/parties/") {
                        t.party
                    } else if path.starts_with("/api/v1/admin/outbox/") {
                        t.outbox
                    } else {
                        panic!("access matrix: say what {{id}} is in {path}")
                    };
                    v.to_string()
                }
                "{time_off_id}" => t.time_off.to_string(),
                "{token}" => own_link
                    .clone()
                    .unwrap_or_else(|| made_up_link.clone())
                    .trim_start_matches("/p/")
                    .to_owned(),
                "{file}" if path.starts_with("/calendar/") => {
                    if matches!(caller, Caller::Admin | Caller::AssignedMediator) {
                        self.feed_file().await
                    } else {
                        "made-up-feed-secret-of-nobody.ics".to_owned()
                    }
                }
                "{file}" if path.starts_with("/p/") => format!("{}.ics", t.session),
                other if other.starts_with('{') => {
                    panic!("access matrix: say what {other} is in {path}")
                }
                other => other.to_owned(),
            };
            url.push_str(&value);
        }
        let from = Utc::now() + Duration::days(1);
        url.push_str(
            &query
                .replace("{court}", &t.court.to_string())
                .replace("{from}", &rfc(from))
                .replace("{to}", &rfc(from + Duration::days(14)))
                .replace(
                    "{from_day}",
                    &(from - Duration::days(31)).date_naive().to_string(),
                )
                .replace("{to_day}", &from.date_naive().to_string()),
        );

        let method: Method = method.parse().expect("method");
        let mut req = self
            .app
            .client
            .request(method, format!("{}{url}", self.app.address));
        if let Some(b) = bearer {
            req = req.bearer_auth(b);
        }
        req = match body {
            NoBody => req,
            Json(f) => req.json(&f(&t)),
            Csv(f) => req.header("content-type", "text/csv").body(f(&t)),
            Ics => req
                .header("content-type", "text/calendar")
                .body("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\nEND:VCALENDAR\r\n"),
        };
        let resp = req.send().await.expect("request sent");
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        (status, text.chars().take(200).collect())
    }
}

async fn create_court(app: &TestApp, code: &str) -> Uuid {
    let resp = app
        .post(
            "/api/v1/courts",
            Some(&app.admin_token),
            json!({"code": code, "name": format!("Court {code}"), "timezone": "Asia/Almaty", "default_language": "ru"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    id(&resp.json::<Value>().await.expect("json"))
}

/// 10:00 in Almaty on the first weekday at least a week ahead.
fn first_slot() -> DateTime<Utc> {
    let mut d: NaiveDate = (Utc::now() + Duration::days(7)).date_naive();
    while matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
        d += Duration::days(1);
    }
    Utc.from_utc_datetime(&d.and_hms_opt(5, 0, 0).expect("time"))
}

#[tokio::test]
async fn every_operation_answers_every_caller_as_the_access_matrix_says() {
    let mut world = World::build().await;

    let doc: Value = world
        .app
        .get("/api/openapi.json", None)
        .await
        .json()
        .await
        .expect("the OpenAPI document");
    let documented = documented(&doc);
    let tabled = tabled();
    let missing: Vec<_> = documented.difference(&tabled).collect();
    assert!(
        missing.is_empty(),
        "operations in the OpenAPI document without a row in the access matrix \
         (tests/api/access_matrix.rs): {missing:?}"
    );
    let gone: Vec<_> = tabled.difference(&documented).collect();
    assert!(
        gone.is_empty(),
        "rows of the access matrix for operations the OpenAPI document no longer has: {gone:?}"
    );

    let mut wrong = Vec::new();
    for row in TABLE {
        let Row(method, path, _, _, _, expect) = row;
        // Callers expected to fail go first: they must change nothing the
        // others then see.
        let mut order: Vec<usize> = (0..CALLERS.len()).collect();
        order.sort_by_key(|&i| (200..300).contains(&expect[i]));
        for i in order {
            let caller = CALLERS[i];
            let (status, body) = world.call(row, caller, expect[i]).await;
            if status >= 500 || status != expect[i] {
                wrong.push(format!(
                    "{method} {path} as {caller:?}: expected {}, got {status} {body}",
                    expect[i]
                ));
            }
        }
    }
    let _ = world.court_b;
    assert!(
        wrong.is_empty(),
        "{} calls answered otherwise than the access matrix says:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
