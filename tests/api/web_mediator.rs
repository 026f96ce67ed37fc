//! The mediator's pages over HTTP (the browser tests in tests/browser drive
//! them in Chromium): answering a referral, booking a free slot, the
//! session in words, attendance, the outcome form with the API's field
//! errors next to its fields, CSRF on every form, and the month calendar of
//! a busy mediator within its size budget.

use std::time::Instant;

use chrono::{Datelike, Duration, Utc};
use reqwest::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::{PASSWORD, TestApp, id, spawn_app};
use crate::web::{Browser, has_iso_date, visible_text};
use kelisim::domain::Role;

const MEDIATOR_EMAIL: &str = "mediator@mediators.kz";

struct Setup {
    case: Uuid,
    mediator: Uuid,
}

/// A court with a room, a mediator free every day, a clerk, and a case
/// referred and proposed to the mediator through the API.
async fn proposed_case(app: &TestApp) -> Setup {
    let court = app.create_court("WMD").await;
    let resp = app
        .post(
            &format!("/api/v1/courts/{court}/rooms"),
            Some(&app.admin_token),
            json!({"name": "Room 1", "capacity": 6, "step_free": true}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let (mediator, token) = app
        .mediator_with_login(
            MEDIATOR_EMAIL,
            json!({
                "name": "Dana Mediator", "email": "dana@mediators.kz",
                "registry_number": "KZ-WMD-1", "kind": "professional",
                "certified_until": "2030-12-31", "specialties": ["civil", "family"],
                "languages": ["kk", "ru", "en"], "court_ids": [court],
                "max_active_cases": 10, "timezone": "Asia/Almaty"
            }),
        )
        .await;
    let weekly: Vec<Value> = (1..=7)
        .map(|d| json!({"weekday": d, "start": "00:00", "end": "24:00"}))
        .collect();
    let resp = app
        .request(
            reqwest::Method::PUT,
            &format!("/api/v1/mediators/{mediator}/availability"),
            Some(&token),
            Some(json!({ "weekly": weekly })),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let clerk = format!("clerk-{}@court.test", Uuid::new_v4().simple());
    app.create_user_directly(Role::Clerk, &clerk, Some(court))
        .await;
    let clerk_token = app.login(&clerk, PASSWORD).await;
    let deadline = (Utc::now() + Duration::days(40)).date_naive();
    let resp = app
        .post(
            "/api/v1/cases",
            Some(&clerk_token),
            json!({
                "court_id": court, "court_case_number": "2-501/2026", "category": "family",
                "summary": "Division of property", "language": "ru",
                "mediation_deadline": deadline,
                "parties": [
                    {"role": "claimant", "name": "Айгерим Сапарова", "email": "aigerim@example.kz", "iin_bin": "900101300126", "language": "ru"},
                    {"role": "respondent", "name": "Serik Nurlanov", "email": "serik@example.kz", "iin_bin": "850712400320", "language": "en"}
                ]
            }),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let case = id(&resp.json::<Value>().await.expect("json"));
    let resp = app
        .post(
            &format!("/api/v1/cases/{case}/assignment"),
            Some(&clerk_token),
            json!({ "mediator_id": mediator }),
        )
        .await;
    assert!(resp.status().is_success(), "proposal: {}", resp.status());
    Setup { case, mediator }
}

/// The value of the first `name="…" value="…"` input in `html`.
fn input_value(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} input"));
    let rest = &html[at + marker.len()..];
    rest[..rest.find('"').expect("end of value")]
        .replace("&#x2b;", "+")
        .replace("&#x3a;", ":")
}

#[tokio::test]
async fn a_mediator_accepts_books_a_free_slot_and_reads_the_session_in_words() {
    let app = spawn_app().await;
    let s = proposed_case(&app).await;
    let mut browser = Browser::new(&app);
    let page = browser.log_in(MEDIATOR_EMAIL, PASSWORD).await;
    assert_eq!(page.location, "/home");
    let home = browser.get("/home").await;
    assert_eq!(home.status, StatusCode::OK);
    let accept = format!("/cases/{}/assignment/accept", s.case);
    assert!(
        home.html.contains(&format!(
            "<form class=\"accept\" method=\"post\" action=\"{}\">",
            accept.replace('/', "&#x2f;")
        )) || home.html.contains(&format!("action=\"{accept}\""))
    );

    // Every form needs its CSRF token.
    let refused = browser.post(&accept, &[]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    let csrf = browser.csrf.clone();
    let accepted = browser.post(&accept, &[("csrf", &csrf)]).await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER);
    assert_eq!(accepted.location, format!("/cases/{}/book", s.case));

    let book = browser.get(&accepted.location).await;
    assert_eq!(book.status, StatusCode::OK);
    assert!(book.html.contains("<form class=\"book\" method=\"post\""));
    let starts_at = input_value(&book.html, "starts_at");
    let room = input_value(&book.html, "room_id");
    let csrf = browser.csrf.clone();
    let booked = browser
        .post(
            &format!("/cases/{}/sessions", s.case),
            &[
                ("csrf", &csrf),
                ("starts_at", &starts_at),
                ("duration_minutes", "60"),
                ("room_id", &room),
                ("format", "joint"),
            ],
        )
        .await;
    assert_eq!(booked.status, StatusCode::SEE_OTHER, "{}", booked.html);
    assert!(booked.location.starts_with("/sessions/"));

    // The same slot again: the API's 409, in the page.
    let csrf = browser.csrf.clone();
    let again = browser
        .post(
            &format!("/cases/{}/sessions", s.case),
            &[
                ("csrf", &csrf),
                ("starts_at", &starts_at),
                ("duration_minutes", "60"),
                ("room_id", &room),
                ("format", "joint"),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.html.contains("role=\"alert\""));

    let session = browser.get(&booked.location).await;
    assert_eq!(session.status, StatusCode::OK);
    let text = visible_text(&session.html);
    assert!(text.contains("no answer yet"), "{text}");
    assert!(text.contains("Room 1"), "{text}");
    assert!(text.contains("Times are shown on Almaty time."), "{text}");
    assert!(!has_iso_date(&text), "no ISO dates: {text}");
    assert!(!text.contains("NEEDS-ACTION"), "{text}");

    // After the start, attendance; then the outcome form.
    let sid: Uuid = booked
        .location
        .trim_start_matches("/sessions/")
        .parse()
        .expect("uuid");
    let start = Utc::now() - Duration::hours(2);
    entity::sessions::Entity::update_many()
        .col_expr(entity::sessions::Column::StartsAt, Expr::value(start))
        .col_expr(
            entity::sessions::Column::EndsAt,
            Expr::value(start + Duration::hours(1)),
        )
        .filter(entity::sessions::Column::Id.eq(sid))
        .exec(&app.db)
        .await
        .expect("moved into the past");
    let session = browser.get(&booked.location).await;
    assert!(session.html.contains("<form id=\"attendance\""));
    let party = input_value(&session.html, "present");
    let csrf = browser.csrf.clone();
    let done = browser
        .post(
            &format!("/sessions/{sid}/attendance"),
            &[("csrf", &csrf), ("held", "true"), ("present", &party)],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    let session = browser.get(&booked.location).await;
    assert!(
        visible_text(&session.html).contains("Serik Nurlanov — respondent — absent")
            || visible_text(&session.html).contains("— absent")
    );

    // The outcome form: the API's field errors beside the fields.
    let outcome = format!("/cases/{}/outcome", s.case);
    let form = browser.get(&outcome).await;
    assert!(form.html.contains("<form id=\"outcome\" method=\"post\""));
    // Enter in a field presses the form's first submit button: the one that
    // saves, not "add a term".
    let first = first_submit_button(&form.html, "outcome");
    assert!(!first.contains("add_term"), "{first}");
    assert!(form.html.contains("name=\"add_term\""));
    let csrf = browser.csrf.clone();
    let today = Utc::now().date_naive().to_string();
    let bad = browser
        .post(
            &outcome,
            &[
                ("csrf", &csrf),
                ("result", "settled"),
                ("term0_text", ""),
                ("term0_due_date", "not a date"),
                ("term0_party", ""),
                ("signed_on", &today),
                ("signed_at_place", ""),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.html);
    assert!(
        bad.html.contains("id=\"term0_due_date-error\""),
        "{}",
        bad.html
    );
    let csrf = browser.csrf.clone();
    let bad = browser
        .post(
            &outcome,
            &[
                ("csrf", &csrf),
                ("result", "settled"),
                ("term0_text", "Pays 100 tenge."),
                ("term0_due_date", ""),
                ("term0_party", ""),
                ("signed_on", &today),
                ("signed_at_place", ""),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.html);
    assert!(
        bad.html.contains("id=\"signed_at_place-error\""),
        "{}",
        bad.html
    );
    let csrf = browser.csrf.clone();
    let good = browser
        .post(
            &outcome,
            &[
                ("csrf", &csrf),
                ("result", "settled"),
                ("term0_text", "Pays 100 tenge."),
                ("term0_due_date", ""),
                ("term0_party", ""),
                ("signed_on", &today),
                ("signed_at_place", "Almaty"),
            ],
        )
        .await;
    assert_eq!(good.status, StatusCode::SEE_OTHER, "{}", good.html);
    let page = browser.get(&outcome).await;
    assert!(
        page.html
            .contains("<form id=\"submit-outcome\" method=\"post\"")
    );
    let csrf = browser.csrf.clone();
    let submitted = browser
        .post(&format!("{outcome}/submit"), &[("csrf", &csrf)])
        .await;
    assert_eq!(submitted.status, StatusCode::SEE_OTHER);
    let page = browser.get(&outcome).await;
    assert!(!page.html.contains("id=\"submit-outcome\""));
    let pdf = browser.get(&format!("{outcome}/document.pdf")).await;
    assert_eq!(pdf.status, StatusCode::OK);
    let _ = s.mediator;
}

#[tokio::test]
async fn the_weekly_hours_and_time_off_forms_show_the_apis_errors_next_to_the_fields() {
    let app = spawn_app().await;
    proposed_case(&app).await;
    let mut browser = Browser::new(&app);
    browser.log_in(MEDIATOR_EMAIL, PASSWORD).await;
    let page = browser.get("/availability").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("value=\"00:00\""));
    let csrf = browser.csrf.clone();
    let bad = browser
        .post(
            "/availability/weekly",
            &[
                ("csrf", &csrf),
                ("w1_0_start", "10:00"),
                ("w1_0_end", "09:00"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.html.contains("id=\"w1_0_end-error\"") || bad.html.contains("id=\"w1_0_start-error\""),
        "{}",
        bad.html
    );
    let csrf = browser.csrf.clone();
    let ok = browser
        .post(
            "/availability/weekly",
            &[
                ("csrf", &csrf),
                ("w1_0_start", "09:00"),
                ("w1_0_end", "13:00"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let page = browser.get("/availability").await;
    assert!(page.html.contains("value=\"13:00\""));
    assert!(!page.html.contains("value=\"00:00\""));

    let csrf = browser.csrf.clone();
    let bad = browser
        .post(
            "/availability/time-off",
            &[
                ("csrf", &csrf),
                ("starts_at", "2030-01-10T18:00"),
                ("ends_at", "2030-01-10T09:00"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.html.contains("id=\"ends_at-error\""), "{}", bad.html);
    let csrf = browser.csrf.clone();
    let ok = browser
        .post(
            "/availability/time-off",
            &[
                ("csrf", &csrf),
                ("starts_at", "2030-01-10T09:00"),
                ("ends_at", "2030-01-10T18:00"),
                ("note", "Conference"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let page = browser.get("/availability").await;
    let text = visible_text(&page.html);
    assert!(text.contains("10 January 2030, 09:00"), "{text}");
    assert!(text.contains("Conference"));

    // A new feed address is shown once.
    let csrf = browser.csrf.clone();
    let rotated = browser.post("/availability/feed", &[("csrf", &csrf)]).await;
    assert_eq!(rotated.status, StatusCode::SEE_OTHER);
    let page = browser.get("/availability").await;
    assert!(page.html.contains("id=\"feed-url\""));
    assert!(page.html.contains(".ics\""));
    let page = browser.get("/availability").await;
    assert!(!page.html.contains("id=\"feed-url\""), "shown once");
}

#[tokio::test]
async fn the_month_calendar_of_a_thousand_sessions_is_in_words_and_under_150_kb() {
    let app = spawn_app().await;
    let s = proposed_case(&app).await;
    let first = Utc::now().date_naive().with_day(1).expect("day 1");
    let at = Utc::now();
    for i in 0..1000i64 {
        // 1,000 sessions over the month's first 28 days, 40 minutes apart.
        let start = first.and_hms_opt(3, 0, 0).expect("time").and_utc()
            + Duration::minutes(40 * (i % 36))
            + Duration::days(i / 36);
        entity::sessions::ActiveModel {
            id: Set(Uuid::now_v7()),
            case_id: Set(s.case),
            mediator_id: Set(s.mediator),
            starts_at: Set(start),
            ends_at: Set(start + Duration::minutes(30)),
            timezone: Set("Asia/Almaty".into()),
            room_id: Set(None),
            online_url: Set(Some("https://video.example.kz/x".into())),
            format: Set("joint".into()),
            status: Set("scheduled".into()),
            sequence: Set(0),
            cancel_reason: Set(None),
            created_by: Set(None),
            created_at: Set(at),
            updated_at: Set(at),
            attendance_recorded_at: Set(None),
            attendance_recorded_by: Set(None),
        }
        .insert(&app.db)
        .await
        .expect("a session");
    }
    let mut browser = Browser::new(&app);
    browser.log_in(MEDIATOR_EMAIL, PASSWORD).await;
    let started = Instant::now();
    let month = browser
        .get(&format!("/calendar?view=month&date={first}"))
        .await;
    let took = started.elapsed();
    assert_eq!(month.status, StatusCode::OK);
    assert!(month.html.len() < 150 * 1024, "{} bytes", month.html.len());
    let text = visible_text(&month.html);
    assert!(text.contains("Times are shown on Almaty time."));
    assert!(text.contains("2-501/2026"));
    assert!(!has_iso_date(&text), "no ISO dates in the text");
    // Each day shows its first four sessions and counts the rest ("+N"),
    // by the day each begins on the mediator's clock (UTC+5).
    let mut per_day = std::collections::BTreeMap::new();
    for i in 0..1000i64 {
        let start = first.and_hms_opt(3, 0, 0).expect("time").and_utc()
            + Duration::minutes(40 * (i % 36))
            + Duration::days(i / 36);
        *per_day
            .entry((start + Duration::hours(5)).date_naive())
            .or_insert(0usize) += 1;
    }
    let shown: usize = per_day.values().map(|n| (*n).min(4)).sum();
    assert_eq!(month.html.matches("<li class=\"session\">").count(), shown);
    let mut more: Vec<usize> = month
        .html
        .match_indices(">+")
        .map(|(at, _)| {
            let rest = &month.html[at + 2..];
            rest[..rest.find('<').expect("end of the count")]
                .parse()
                .expect("a count")
        })
        .collect();
    let mut expected: Vec<usize> = per_day
        .values()
        .filter(|n| **n > 4)
        .map(|n| n - 4)
        .collect();
    more.sort_unstable();
    expected.sort_unstable();
    assert_eq!(more, expected, "the sessions not shown are counted per day");
    eprintln!(
        "month calendar, 1,000 sessions: {} bytes in {took:?} (debug build)",
        month.html.len()
    );
    let week = browser
        .get(&format!("/calendar?view=week&date={first}"))
        .await;
    assert_eq!(week.status, StatusCode::OK);
    assert!(week.html.len() < 150 * 1024, "{} bytes", week.html.len());
    let bad = browser.get("/calendar?view=year").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// The free-time links of a week page: (starts_at, href) of each.
fn free_links(html: &str) -> Vec<(chrono::DateTime<Utc>, String)> {
    let marker = "<a class=\"free\" href=\"";
    html.match_indices(marker)
        .map(|(at, _)| {
            let rest = &html[at + marker.len()..];
            let href = rest[..rest.find('"').expect("end of href")]
                .replace("&#x2f;", "/")
                .replace("&amp;", "&");
            let raw = href
                .split("starts_at=")
                .nth(1)
                .expect("a picked time in the link");
            let decoded: String = form_urlencoded::parse(format!("t={raw}").as_bytes())
                .map(|(_, v)| v.into_owned())
                .collect();
            let at = chrono::DateTime::parse_from_rfc3339(&decoded)
                .expect("an RFC 3339 time")
                .with_timezone(&Utc);
            (at, href)
        })
        .collect()
}

#[tokio::test]
async fn the_week_calendar_draws_free_times_that_lead_to_booking_the_one_picked() {
    let app = spawn_app().await;
    let s = proposed_case(&app).await;
    let mut browser = Browser::new(&app);
    browser.log_in(MEDIATOR_EMAIL, PASSWORD).await;
    browser.get("/home").await;
    let csrf = browser.csrf.clone();
    let accepted = browser
        .post(
            &format!("/cases/{}/assignment/accept", s.case),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER);
    // Three days ahead, on the mediator's clock (Almaty, UTC+5): a session
    // 10:00–11:00 and time off 14:00–16:00.
    let token = app.login(MEDIATOR_EMAIL, PASSWORD).await;
    let day = (Utc::now() + Duration::hours(5)).date_naive() + Duration::days(3);
    let local =
        |h: u32, m: u32| day.and_hms_opt(h, m, 0).expect("a time").and_utc() - Duration::hours(5);
    let resp = app
        .post(
            &format!("/api/v1/cases/{}/sessions", s.case),
            Some(&token),
            json!({"starts_at": local(10, 0), "duration_minutes": 60,
                   "online_url": "https://video.example.kz/a", "format": "joint"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let resp = app
        .post(
            &format!("/api/v1/mediators/{}/time-off", s.mediator),
            Some(&token),
            json!({"starts_at": local(14, 0), "ends_at": local(16, 0), "note": "Court"}),
        )
        .await;
    assert!(resp.status().is_success(), "time off: {}", resp.status());

    let week = browser
        .get(&format!("/calendar?view=week&date={day}"))
        .await;
    assert_eq!(week.status, StatusCode::OK);
    assert!(week.html.len() < 150 * 1024, "{} bytes", week.html.len());
    let free = free_links(&week.html);
    let on_day: Vec<_> = free
        .iter()
        .filter(|(at, _)| *at >= local(0, 0) && *at < local(0, 0) + Duration::days(1))
        .collect();
    assert!(!on_day.is_empty(), "free times drawn on the day");
    // The first free hour after the session and its 15-minute buffer.
    let after = on_day
        .iter()
        .find(|(at, _)| *at == local(11, 15))
        .expect("a free time at 11:15");
    for (at, _) in &free {
        let end = *at + Duration::minutes(60);
        assert!(
            !(*at < local(11, 0) && end > local(10, 0)),
            "no free time over the session: {at}"
        );
        assert!(
            !(*at < local(16, 0) && end > local(14, 0)),
            "no free time over the time off: {at}"
        );
    }
    let text = visible_text(&week.html);
    assert!(text.contains("11:15–12:15 — Free time: book for case 2-501/2026"));
    assert!(!has_iso_date(&text), "no ISO dates in the text");
    assert!(week.html.contains("<label for=\"free-case\">"));

    // The link leads to the booking page with that time picked.
    let book = browser.get(&after.1).await;
    assert_eq!(book.status, StatusCode::OK);
    assert!(book.html.contains("id=\"picked-slot\""), "the picked time");
    assert!(visible_text(&book.html).contains("11:15–12:15"));
    let starts_at = input_value(&book.html, "starts_at");
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(&starts_at).expect("a time"),
        local(11, 15)
    );
    let room = input_value(&book.html, "room_id");
    let booked = browser
        .post(
            &format!("/cases/{}/sessions", s.case),
            &[
                ("csrf", &csrf),
                ("starts_at", &starts_at),
                ("duration_minutes", "60"),
                ("room_id", &room),
                ("format", "joint"),
            ],
        )
        .await;
    assert_eq!(booked.status, StatusCode::SEE_OTHER, "{}", booked.html);
    assert!(booked.location.starts_with("/sessions/"));

    // Booked now: the week no longer offers it, and the link says so.
    let week = browser
        .get(&format!("/calendar?view=week&date={day}"))
        .await;
    assert!(
        free_links(&week.html)
            .iter()
            .all(|(at, _)| *at != local(11, 15)),
        "the booked time is not free any more"
    );
    let again = browser.get(&after.1).await;
    assert_eq!(again.status, StatusCode::OK);
    assert!(!again.html.contains("id=\"picked-slot\""));
    let text = visible_text(&again.html);
    assert!(text.contains("no longer free"), "{text}");
}

/// The first `<button type="submit">` (or `<input type="submit">`) inside the
/// `<form id="{form}">`, in tree order: the form's default button.
fn first_submit_button(html: &str, form: &str) -> String {
    let start = html
        .find(&format!("<form id=\"{form}\""))
        .unwrap_or_else(|| panic!("no form {form}"));
    let body = &html[start..];
    let body = &body[..body.find("</form>").expect("the form ends")];
    let at = ["<button", "<input"]
        .iter()
        .flat_map(|tag| body.match_indices(tag).map(|(i, _)| i))
        .filter(|&i| {
            let tag = &body[i..i + body[i..].find('>').expect("tag end")];
            tag.contains("type=\"submit\"")
                || (tag.starts_with("<button") && !tag.contains("type="))
        })
        .min()
        .expect("a submit button");
    body[at..at + body[at..].find('>').expect("tag end") + 1].to_owned()
}
