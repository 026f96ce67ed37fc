//! The mediator registry, availability, free slots, external busy times and
//! the calendar feed.

use chrono::{DateTime, Duration, TimeZone, Utc};
use reqwest::{Method, StatusCode};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::{Value, json};
use sha2::Digest;
use uuid::Uuid;

use crate::common::ical::Calendar;
use crate::common::{TestApp, error_fields, problem, spawn_app, spawn_app_with};

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .expect("valid instant")
}

pub(crate) fn mediator_body(registry: &str, court: Uuid) -> Value {
    json!({
        "name": "Dana Mediator", "email": format!("{registry}@mediators.kz"), "registry_number": registry,
        "kind": "professional", "certified_until": "2030-12-31",
        "specialties": ["civil", "family"], "languages": ["kk", "ru"], "court_ids": [court],
        "max_active_cases": 10, "timezone": "Asia/Almaty"
    })
}

/// A court, and a mediator serving it who has a user account; returns
/// (court, mediator id, mediator's token).
async fn court_and_mediator(app: &TestApp, registry: &str) -> (Uuid, Uuid, String) {
    let court = app.create_court(&format!("C-{registry}")).await;
    let email = format!("user-{registry}@mediators.kz");
    let (mediator, token) = app
        .mediator_with_login(&email, mediator_body(registry, court))
        .await;
    (court, mediator, token)
}

async fn set_monday_mornings(app: &TestApp, mediator: Uuid, token: &str) {
    let resp = app
        .request(
            Method::PUT,
            &format!("/api/v1/mediators/{mediator}/availability"),
            Some(token),
            Some(json!({"weekly": [{"weekday": 1, "start": "09:00", "end": "13:00"}]})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
}

async fn slot_starts(
    app: &TestApp,
    mediator: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<DateTime<Utc>> {
    let resp = app
        .get(
            &format!(
                "/api/v1/mediators/{mediator}/free-slots?from={}&to={}&duration_minutes=60",
                from.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                to.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
            Some(&app.admin_token),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.expect("json");
    body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|s| {
            let start: DateTime<Utc> = s["starts_at"]
                .as_str()
                .expect("start")
                .parse()
                .expect("instant");
            let end: DateTime<Utc> = s["ends_at"]
                .as_str()
                .expect("end")
                .parse()
                .expect("instant");
            assert_eq!(end - start, Duration::minutes(60));
            start
        })
        .collect()
}

/// Starts every 15 minutes from `first` to `last` inclusive.
fn every_quarter(first: DateTime<Utc>, last: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let mut out = Vec::new();
    let mut t = first;
    while t <= last {
        out.push(t);
        t += Duration::minutes(15);
    }
    out
}

#[tokio::test]
async fn an_admin_adds_a_mediator_and_bad_fields_are_named() {
    let app = spawn_app().await;
    let court = app.create_court("MED-1").await;
    let resp = app
        .post(
            "/api/v1/mediators",
            Some(&app.admin_token),
            mediator_body("KZ-0001", court),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let m: Value = resp.json().await.expect("json");
    assert_eq!(m["specialties"], json!(["civil", "family"]));
    assert_eq!(m["status"], "active");
    assert!(
        m["calendar_feed_url"]
            .as_str()
            .expect("feed url")
            .ends_with(".ics")
    );

    let dup = app
        .post(
            "/api/v1/mediators",
            Some(&app.admin_token),
            mediator_body("KZ-0001", court),
        )
        .await;
    assert_eq!(
        error_fields(&problem(dup, StatusCode::CONFLICT).await),
        ["registry_number"]
    );

    let mut bad = mediator_body("KZ-0002", court);
    bad["specialties"] = json!(["civil", "plumbing"]);
    bad["timezone"] = json!("Asia/Atlantis");
    bad["kind"] = json!("amateur");
    let p = problem(
        app.post("/api/v1/mediators", Some(&app.admin_token), bad)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let mut fields = error_fields(&p);
    fields.sort();
    assert_eq!(fields, ["kind", "specialties[1]", "timezone"]);
}

#[tokio::test]
async fn clerks_read_only_mediators_of_their_court_and_mediators_manage_only_themselves() {
    let app = spawn_app().await;
    let (court, mediator, token) = court_and_mediator(&app, "KZ-0100").await;
    let (_, other_mediator, _) = court_and_mediator(&app, "KZ-0101").await;
    let (_, own_clerk) = app.clerk_of(court).await;
    let elsewhere = app.create_court("ELSE-1").await;
    let (_, other_clerk) = app.clerk_of(elsewhere).await;

    let seen: Value = app
        .get(&format!("/api/v1/mediators/{mediator}"), Some(&own_clerk))
        .await
        .json()
        .await
        .expect("json");
    assert!(
        seen.get("calendar_feed_url").is_none(),
        "clerks do not see the private feed"
    );
    problem(
        app.get(&format!("/api/v1/mediators/{mediator}"), Some(&other_clerk))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let avail = json!({"weekly": [{"weekday": 2, "start": "10:00", "end": "12:00"}]});
    let path = format!("/api/v1/mediators/{mediator}/availability");
    problem(
        app.request(Method::PUT, &path, Some(&own_clerk), Some(avail.clone()))
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(
        app.request(Method::PUT, &path, Some(&token), Some(avail.clone()))
            .await
            .status(),
        StatusCode::OK
    );
    let other_path = format!("/api/v1/mediators/{other_mediator}/availability");
    problem(
        app.request(Method::PUT, &other_path, Some(&token), Some(avail))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[tokio::test]
async fn overlapping_or_inverted_availability_is_422() {
    let app = spawn_app().await;
    let (_, mediator, token) = court_and_mediator(&app, "KZ-0200").await;
    let path = format!("/api/v1/mediators/{mediator}/availability");
    let overlap = json!({"weekly": [
        {"weekday": 1, "start": "09:00", "end": "13:00"},
        {"weekday": 1, "start": "12:00", "end": "15:00"}]});
    let p = problem(
        app.request(Method::PUT, &path, Some(&token), Some(overlap))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&p), ["weekly[1].start"]);
    let inverted = json!({"weekly": [{"weekday": 3, "start": "15:00", "end": "09:00"}]});
    let p = problem(
        app.request(Method::PUT, &path, Some(&token), Some(inverted))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&p), ["weekly[0].end"]);
}

#[tokio::test]
async fn monday_mornings_in_almaty_are_04_to_08_utc_since_march_2024_and_03_to_07_before() {
    let app = spawn_app().await;
    let (_, mediator, token) = court_and_mediator(&app, "KZ-0300").await;
    set_monday_mornings(&app, mediator, &token).await;

    for (y, m, d) in [(2025, 6, 2), (2026, 3, 2), (2026, 12, 7)] {
        let starts = slot_starts(&app, mediator, utc(y, m, d, 0, 0), utc(y, m, d + 1, 0, 0)).await;
        assert_eq!(
            starts,
            every_quarter(utc(y, m, d, 4, 0), utc(y, m, d, 7, 0)),
            "{y}-{m}-{d}"
        );
    }
    let feb_2024 = slot_starts(&app, mediator, utc(2024, 2, 5, 0, 0), utc(2024, 2, 6, 0, 0)).await;
    assert_eq!(
        feb_2024,
        every_quarter(utc(2024, 2, 5, 3, 0), utc(2024, 2, 5, 6, 0))
    );
    // A whole week holds only the Monday.
    let week = slot_starts(&app, mediator, utc(2025, 6, 2, 0, 0), utc(2025, 6, 9, 0, 0)).await;
    assert_eq!(week.len(), 13);
}

#[tokio::test]
async fn time_off_removes_exactly_the_overlapping_slots() {
    let app = spawn_app().await;
    let (court, mediator, token) = court_and_mediator(&app, "KZ-0400").await;
    set_monday_mornings(&app, mediator, &token).await;
    let resp = app
        .post(
            &format!("/api/v1/mediators/{mediator}/time-off"),
            Some(&token),
            json!({"starts_at": "2025-06-02T10:30:00+05:00", "ends_at": "2025-06-02T11:00:00+05:00", "note": "dentist"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let starts = slot_starts(&app, mediator, utc(2025, 6, 2, 0, 0), utc(2025, 6, 3, 0, 0)).await;
    // Blocked 05:30–06:00Z: 60-minute slots starting 04:45 … 05:45 overlap it.
    let mut expected = every_quarter(utc(2025, 6, 2, 4, 0), utc(2025, 6, 2, 4, 30));
    expected.extend(every_quarter(utc(2025, 6, 2, 6, 0), utc(2025, 6, 2, 7, 0)));
    assert_eq!(starts, expected);

    let bad = app
        .post(
            &format!("/api/v1/mediators/{mediator}/time-off"),
            Some(&token),
            json!({"starts_at": "2025-06-02T11:00:00+05:00", "ends_at": "2025-06-02T10:00:00+05:00"}),
        )
        .await;
    assert_eq!(
        error_fields(&problem(bad, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["ends_at"]
    );

    // A clerk of the court reads the mediator but not its time off, and is
    // told so in words of reading, not of changing.
    let (_, clerk) = app.clerk_of(court).await;
    let path = format!("/api/v1/mediators/{mediator}/time-off");
    let read = problem(app.get(&path, Some(&clerk)).await, StatusCode::FORBIDDEN).await;
    assert_eq!(read["detail"], "only the mediator or an admin may see this");
    let change = app
        .post(
            &path,
            Some(&clerk),
            json!({"starts_at": "2025-06-09T10:00:00+05:00", "ends_at": "2025-06-09T11:00:00+05:00"}),
        )
        .await;
    let change = problem(change, StatusCode::FORBIDDEN).await;
    assert_eq!(
        change["detail"],
        "only the mediator or an admin may change this"
    );
}

/// Inserts a case of `court` and a session of `mediator` directly.
async fn insert_session(
    app: &TestApp,
    court: Uuid,
    mediator: Uuid,
    start: DateTime<Utc>,
    minutes: i64,
    status: &str,
) -> Uuid {
    let now = Utc::now();
    let admin_id = {
        let me: Value = app
            .get("/api/v1/auth/me", Some(&app.admin_token))
            .await
            .json()
            .await
            .expect("json");
        me["id"]
            .as_str()
            .expect("id")
            .parse::<Uuid>()
            .expect("uuid")
    };
    let case_id = Uuid::now_v7();
    entity::cases::ActiveModel {
        id: Set(case_id),
        court_id: Set(court),
        court_case_number: Set(format!("2-{}/2025", &case_id.simple().to_string()[24..])),
        category: Set("civil".into()),
        summary: Set("Dispute over a loan".into()),
        language: Set("ru".into()),
        mediation_deadline: Set(chrono::NaiveDate::from_ymd_opt(2027, 12, 31).expect("date")),
        minors_involved: Set(false),
        violence_reported: Set(false),
        interpreter_needed: Set(false),
        joint_session_override: Set(false),
        status: Set("scheduled".into()),
        referred_by: Set(admin_id),
        deadline_warned_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        closed_at: Set(None),
    }
    .insert(&app.db)
    .await
    .expect("case");
    let id = Uuid::now_v7();
    entity::sessions::ActiveModel {
        id: Set(id),
        case_id: Set(case_id),
        mediator_id: Set(mediator),
        starts_at: Set(start),
        ends_at: Set(start + Duration::minutes(minutes)),
        timezone: Set("Asia/Almaty".into()),
        room_id: Set(None),
        online_url: Set(Some("https://video.example.kz/room/1".into())),
        format: Set("joint".into()),
        status: Set(status.into()),
        sequence: Set(0),
        cancel_reason: Set(None),
        created_by: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        attendance_recorded_at: Set(None),
        attendance_recorded_by: Set(None),
    }
    .insert(&app.db)
    .await
    .expect("session");
    // As booking does: the mediator's calendar changed.
    kelisim::services::availability::touch(&app.db, mediator)
        .await
        .expect("calendar version");
    id
}

#[tokio::test]
async fn a_booked_session_removes_its_slots_and_the_buffer_around_it() {
    let app = spawn_app().await;
    let (court, mediator, token) = court_and_mediator(&app, "KZ-0500").await;
    set_monday_mornings(&app, mediator, &token).await;
    insert_session(
        &app,
        court,
        mediator,
        utc(2025, 6, 2, 5, 0),
        60,
        "scheduled",
    )
    .await;
    insert_session(
        &app,
        court,
        mediator,
        utc(2025, 6, 9, 5, 0),
        60,
        "cancelled",
    )
    .await;
    let starts = slot_starts(&app, mediator, utc(2025, 6, 2, 0, 0), utc(2025, 6, 3, 0, 0)).await;
    // Blocked 04:45–06:15Z with the 15-minute buffer: only 06:15 … 07:00 remain.
    assert_eq!(
        starts,
        every_quarter(utc(2025, 6, 2, 6, 15), utc(2025, 6, 2, 7, 0))
    );
    // A cancelled session blocks nothing.
    let next_week = slot_starts(
        &app,
        mediator,
        utc(2025, 6, 9, 0, 0),
        utc(2025, 6, 10, 0, 0),
    )
    .await;
    assert_eq!(next_week.len(), 13);
}

const WEEKLY_WITH_EXDATE: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\n\
BEGIN:VEVENT\r\nUID:weekly-1@test\r\nDTSTAMP:20261101T000000Z\r\n\
DTSTART;TZID=Asia/Almaty:20270104T100000\r\nDTEND;TZID=Asia/Almaty:20270104T110000\r\n\
RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=10\r\nEXDATE;TZID=Asia/Almaty:20270111T100000\r\n\
SUMMARY:Teaching\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

#[tokio::test]
async fn an_imported_weekly_busy_event_with_one_exdate_removes_exactly_its_slots() {
    let app = spawn_app().await;
    let (_, mediator, token) = court_and_mediator(&app, "KZ-0600").await;
    set_monday_mornings(&app, mediator, &token).await;
    let resp = app
        .client
        .put(format!(
            "{}/api/v1/mediators/{mediator}/external-calendar",
            app.address
        ))
        .bearer_auth(&token)
        .header("content-type", "text/calendar")
        .body(WEEKLY_WITH_EXDATE)
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["busy_blocks"], 9);

    // Busy 05:00–06:00Z: slots starting 04:15 … 05:45 overlap it.
    let mut busy_day = vec![utc(2027, 1, 4, 4, 0)];
    busy_day.extend(every_quarter(utc(2027, 1, 4, 6, 0), utc(2027, 1, 4, 7, 0)));
    assert_eq!(
        slot_starts(&app, mediator, utc(2027, 1, 4, 0, 0), utc(2027, 1, 5, 0, 0)).await,
        busy_day
    );
    // The excluded Monday is entirely free.
    assert_eq!(
        slot_starts(
            &app,
            mediator,
            utc(2027, 1, 11, 0, 0),
            utc(2027, 1, 12, 0, 0)
        )
        .await,
        every_quarter(utc(2027, 1, 11, 4, 0), utc(2027, 1, 11, 7, 0))
    );
    assert_eq!(
        slot_starts(
            &app,
            mediator,
            utc(2027, 1, 18, 0, 0),
            utc(2027, 1, 19, 0, 0)
        )
        .await
        .len(),
        busy_day.len()
    );
}

#[tokio::test]
async fn a_broken_calendar_url_keeps_the_last_good_busy_times_and_shows_the_error() {
    // Serve the calendar from a little local server, then take it away. It
    // is on loopback, which only an allowed origin may be.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let app = spawn_app_with(|s| {
        s.external_calendar_allowed_origins = vec![format!("http://127.0.0.1:{port}")];
    })
    .await;
    let (_, mediator, token) = court_and_mediator(&app, "KZ-0700").await;
    set_monday_mornings(&app, mediator, &token).await;
    let server = tokio::spawn(async move {
        let router = axum::Router::new().route(
            "/cal.ics",
            axum::routing::get(|| async {
                ([("content-type", "text/calendar")], WEEKLY_WITH_EXDATE)
            }),
        );
        axum::serve(listener, router).await.ok();
    });
    let path = format!("/api/v1/mediators/{mediator}/external-calendar");
    let url = format!("http://127.0.0.1:{port}/cal.ics");
    let resp = app
        .request(
            Method::PUT,
            &path,
            Some(&token),
            Some(json!({"ics_url": url})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    server.abort();
    let _ = server.await;

    let resp = app
        .request(
            Method::PUT,
            &path,
            Some(&token),
            Some(json!({"ics_url": url})),
        )
        .await;
    assert_eq!(
        error_fields(&problem(resp, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["ics_url"]
    );
    let m: Value = app
        .get(&format!("/api/v1/mediators/{mediator}"), Some(&token))
        .await
        .json()
        .await
        .expect("json");
    assert!(
        m["external_calendar"]["last_error"]
            .as_str()
            .is_some_and(|e| !e.is_empty())
    );
    // The busy times of the last good fetch still apply.
    assert_eq!(
        slot_starts(&app, mediator, utc(2027, 1, 4, 0, 0), utc(2027, 1, 5, 0, 0))
            .await
            .len(),
        6
    );

    let garbage = app
        .client
        .put(format!("{}{path}", app.address))
        .bearer_auth(&token)
        .header("content-type", "text/calendar")
        .body("this is not a calendar")
        .send()
        .await
        .expect("sent");
    problem(garbage, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(
        slot_starts(&app, mediator, utc(2027, 1, 4, 0, 0), utc(2027, 1, 5, 0, 0))
            .await
            .len(),
        6
    );
}

#[tokio::test]
async fn free_slot_ranges_over_92_days_and_bad_durations_are_refused() {
    let app = spawn_app().await;
    let (_, mediator, _) = court_and_mediator(&app, "KZ-0800").await;
    let resp = app
        .get(
            &format!("/api/v1/mediators/{mediator}/free-slots?from=2026-01-01T00:00:00Z&to=2026-06-01T00:00:00Z&duration_minutes=60"),
            Some(&app.admin_token),
        )
        .await;
    assert_eq!(
        error_fields(&problem(resp, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["to"]
    );
    let resp = app
        .get(
            &format!("/api/v1/mediators/{mediator}/free-slots?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z&duration_minutes=abc"),
            Some(&app.admin_token),
        )
        .await;
    assert_eq!(
        error_fields(&problem(resp, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["duration_minutes"]
    );
}

/// The token is checked before anything else of a free-slots request: a
/// caller without a valid token learns nothing of the mediator or the query.
#[tokio::test]
async fn free_slots_check_the_token_first() {
    let app = spawn_app().await;
    let (_, mediator, _) = court_and_mediator(&app, "KZ-0810").await;
    let good = "from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z&duration_minutes=60";
    let bad = "from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z&duration_minutes=abc";
    let unknown = Uuid::now_v7();
    for (path, query) in [
        (format!("{mediator}"), good),
        (format!("{mediator}"), bad),
        (format!("{unknown}"), good),
        ("not-an-id".to_owned(), good),
        (
            format!("{mediator}"),
            "from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z&duration_minutes=60",
        ),
    ] {
        let url = format!("/api/v1/mediators/{path}/free-slots?{query}");
        for token in [None, Some("kls_not-a-token")] {
            problem(app.get(&url, token).await, StatusCode::UNAUTHORIZED).await;
        }
    }
    // With a valid token: the query's fault, then an unknown mediator.
    let url = format!("/api/v1/mediators/{mediator}/free-slots?{bad}");
    problem(
        app.get(&url, Some(&app.admin_token)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    for path in [format!("{unknown}"), "not-an-id".to_owned()] {
        let url = format!("/api/v1/mediators/{path}/free-slots?{good}");
        problem(
            app.get(&url, Some(&app.admin_token)).await,
            StatusCode::NOT_FOUND,
        )
        .await;
    }
}

#[tokio::test]
async fn conflicts_need_a_valid_iin_or_a_name() {
    let app = spawn_app().await;
    let (_, mediator, token) = court_and_mediator(&app, "KZ-0900").await;
    let path = format!("/api/v1/mediators/{mediator}/conflicts");
    let bad = app
        .post(
            &path,
            Some(&token),
            json!({"party_iin_bin": "123456789012"}),
        )
        .await;
    assert_eq!(
        error_fields(&problem(bad, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["party_iin_bin"]
    );
    let ok = app
        .post(
            &path,
            Some(&token),
            json!({"party_name": "TOO Kelisim Trade", "note": "former client"}),
        )
        .await;
    assert_eq!(ok.status(), StatusCode::CREATED);
    let list: Value = app
        .get(&path, Some(&token))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list.as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn the_calendar_feed_is_read_by_an_independent_parser_and_can_be_rotated() {
    let app = spawn_app().await;
    let (court, mediator, token) = court_and_mediator(&app, "KZ-1000").await;
    let held = insert_session(
        &app,
        court,
        mediator,
        utc(2026, 12, 7, 5, 0),
        90,
        "scheduled",
    )
    .await;
    let cancelled = insert_session(
        &app,
        court,
        mediator,
        utc(2026, 12, 8, 5, 0),
        60,
        "cancelled",
    )
    .await;
    // The secret is stored hashed: reading the mediator does not show the
    // address; making a new one does, once.
    let m: Value = app
        .get(&format!("/api/v1/mediators/{mediator}"), Some(&token))
        .await
        .json()
        .await
        .expect("json");
    assert!(m.get("calendar_feed_url").is_none(), "{m}");
    let made: Value = app
        .post(
            &format!("/api/v1/mediators/{mediator}/calendar-feed/rotate"),
            Some(&token),
            json!({}),
        )
        .await
        .json()
        .await
        .expect("json");
    let feed_url = made["calendar_feed_url"]
        .as_str()
        .expect("feed url")
        .to_owned();
    let path = url::Url::parse(&feed_url).expect("url").path().to_owned();
    let secret = path
        .trim_start_matches("/calendar/")
        .trim_end_matches(".ics")
        .to_owned();
    let row = entity::mediators::Entity::find_by_id(mediator)
        .one(&app.db)
        .await
        .expect("mediator")
        .expect("mediator");
    assert_eq!(
        row.feed_secret_hash,
        hex::encode(sha2::Sha256::digest(secret.as_bytes()))
    );
    assert!(
        !format!("{row:?}").contains(&secret),
        "the secret is not stored in clear"
    );

    let resp = app.get(&path, None).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/calendar")
    );
    assert!(
        resp.headers()["cache-control"]
            .to_str()
            .expect("ascii")
            .contains("private")
    );
    let etag = resp.headers()["etag"].clone();
    let ics = resp.text().await.expect("text");
    assert!(
        ics.contains("\r\n") && !ics.replace("\r\n", "").contains('\n'),
        "CRLF lines"
    );

    let parsed = Calendar::parse(&ics);
    assert_eq!(parsed.events.len(), 2);
    let by_uid = |id: Uuid| {
        let uid = format!("session-{id}@kelisim");
        let found: Vec<_> = parsed
            .events
            .iter()
            .filter(|e| e.text("UID") == uid)
            .collect();
        assert_eq!(found.len(), 1, "one event {uid}");
        found[0]
    };
    let h = by_uid(held);
    assert_eq!(h.utc("DTSTART"), utc(2026, 12, 7, 5, 0));
    assert_eq!(h.utc("DTEND"), utc(2026, 12, 7, 6, 30));
    assert_eq!(h.text("STATUS"), "CONFIRMED");
    assert_eq!(h.text("CLASS"), "CONFIDENTIAL");
    assert!(h.text("SUMMARY").starts_with("Mediation session, case "));
    assert!(
        !ics.contains("Dispute over a loan"),
        "no dispute details in calendars"
    );
    assert_eq!(by_uid(cancelled).text("STATUS"), "CANCELLED");

    // Unchanged data gives the same ETag, and a conditional GET is 304.
    let again = app
        .client
        .get(format!("{}{path}", app.address))
        .header("if-none-match", etag.clone())
        .send()
        .await
        .expect("sent");
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

    // Rotation: the new address works, the old one is gone.
    let resp = app
        .post(
            &format!("/api/v1/mediators/{mediator}/calendar-feed/rotate"),
            Some(&token),
            json!({}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let rotated: Value = resp.json().await.expect("json");
    let new_path = url::Url::parse(rotated["calendar_feed_url"].as_str().expect("url"))
        .expect("url")
        .path()
        .to_owned();
    assert_ne!(new_path, path);
    problem(app.get(&path, None).await, StatusCode::NOT_FOUND).await;
    assert_eq!(app.get(&new_path, None).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_court_closed_day_has_no_free_slots() {
    let app = spawn_app().await;
    let (court, mediator, token) = court_and_mediator(&app, "KZ-1100").await;
    set_monday_mornings(&app, mediator, &token).await;
    let resp = app
        .request(
            Method::PUT,
            &format!("/api/v1/courts/{court}/closed-days"),
            Some(&app.admin_token),
            Some(json!({"days": ["2025-06-02"]})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        slot_starts(&app, mediator, utc(2025, 6, 2, 0, 0), utc(2025, 6, 3, 0, 0))
            .await
            .is_empty()
    );
    assert_eq!(
        slot_starts(
            &app,
            mediator,
            utc(2025, 6, 9, 0, 0),
            utc(2025, 6, 10, 0, 0)
        )
        .await
        .len(),
        13
    );
    let bad = app
        .request(
            Method::PUT,
            &format!("/api/v1/courts/{court}/closed-days"),
            Some(&app.admin_token),
            Some(json!({"days": ["2025-13-01"]})),
        )
        .await;
    assert_eq!(
        error_fields(&problem(bad, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["days[0]"]
    );
}

#[tokio::test]
async fn a_busy_event_of_several_days_blocks_every_one_of_them() {
    let app = spawn_app().await;
    let (_, mediator, token) = court_and_mediator(&app, "KZ-1200").await;
    set_monday_mornings(&app, mediator, &token).await;
    // Friday 1 January to Wednesday 6 January 2027, all day: covers Monday the 4th.
    let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//T//EN\r\nBEGIN:VEVENT\r\nUID:v@t\r\n\
DTSTAMP:20261101T000000Z\r\nDTSTART;VALUE=DATE:20270101\r\nDTEND;VALUE=DATE:20270106\r\n\
SUMMARY:Holiday\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let resp = app
        .client
        .put(format!(
            "{}/api/v1/mediators/{mediator}/external-calendar",
            app.address
        ))
        .bearer_auth(&token)
        .header("content-type", "text/calendar")
        .body(ics)
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        slot_starts(&app, mediator, utc(2027, 1, 4, 0, 0), utc(2027, 1, 5, 0, 0))
            .await
            .is_empty()
    );
    assert_eq!(
        slot_starts(
            &app,
            mediator,
            utc(2027, 1, 11, 0, 0),
            utc(2027, 1, 12, 0, 0)
        )
        .await
        .len(),
        13
    );
}

/// First slot start on Monday 7 June 2027 (UTC), or none.
async fn first_slot_on_june_7(app: &TestApp, mediator: Uuid) -> Option<DateTime<Utc>> {
    slot_starts(app, mediator, utc(2027, 6, 7, 0, 0), utc(2027, 6, 8, 0, 0))
        .await
        .first()
        .copied()
}

#[tokio::test]
async fn every_change_to_a_calendar_is_seen_by_the_very_next_free_slots_request() {
    let app = spawn_app().await;
    let (court, mediator, token) = court_and_mediator(&app, "KZ-1200").await;
    set_monday_mornings(&app, mediator, &token).await;
    // Each step first reads (so a cached calendar exists), then changes.
    assert_eq!(
        first_slot_on_june_7(&app, mediator).await,
        Some(utc(2027, 6, 7, 4, 0))
    );

    // Weekly hours.
    let resp = app
        .request(
            Method::PUT,
            &format!("/api/v1/mediators/{mediator}/availability"),
            Some(&token),
            Some(json!({"weekly": [{"weekday": 1, "start": "10:00", "end": "13:00"}]})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        first_slot_on_june_7(&app, mediator).await,
        Some(utc(2027, 6, 7, 5, 0))
    );

    // Time off, added and removed.
    let resp = app
        .post(
            &format!("/api/v1/mediators/{mediator}/time-off"),
            Some(&token),
            json!({"starts_at": "2027-06-07T10:00:00+05:00", "ends_at": "2027-06-07T11:00:00+05:00"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let off: Value = resp.json().await.expect("json");
    assert_eq!(
        first_slot_on_june_7(&app, mediator).await,
        Some(utc(2027, 6, 7, 6, 0))
    );
    let resp = app
        .request(
            Method::DELETE,
            &format!(
                "/api/v1/mediators/{mediator}/time-off/{}",
                off["id"].as_str().expect("id")
            ),
            Some(&token),
            None,
        )
        .await;
    assert!(resp.status().is_success());
    assert_eq!(
        first_slot_on_june_7(&app, mediator).await,
        Some(utc(2027, 6, 7, 5, 0))
    );

    // Busy time from the mediator's own calendar.
    let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\n\
UID:one@t\r\nDTSTAMP:20250101T000000Z\r\nDTSTART:20270607T050000Z\r\nDTEND:20270607T070000Z\r\n\
SUMMARY:Lecture\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let resp = app
        .client
        .put(format!(
            "{}/api/v1/mediators/{mediator}/external-calendar",
            app.address
        ))
        .bearer_auth(&token)
        .header("content-type", "text/calendar")
        .body(ics)
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        first_slot_on_june_7(&app, mediator).await,
        Some(utc(2027, 6, 7, 7, 0))
    );

    // A booked session.
    insert_session(
        &app,
        court,
        mediator,
        utc(2027, 6, 7, 7, 0),
        60,
        "scheduled",
    )
    .await;
    assert_eq!(first_slot_on_june_7(&app, mediator).await, None);

    // The registry entry: in Moscow the same hours are 07:00–10:00Z, and the
    // session (07:00–08:00Z) with its buffer leaves 08:15 first.
    let resp = app
        .patch(
            &format!("/api/v1/mediators/{mediator}"),
            Some(&app.admin_token),
            json!({"timezone": "Europe/Moscow"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        first_slot_on_june_7(&app, mediator).await,
        Some(utc(2027, 6, 7, 8, 15))
    );

    // The court's closed days.
    let resp = app
        .request(
            Method::PUT,
            &format!("/api/v1/courts/{court}/closed-days"),
            Some(&app.admin_token),
            Some(json!({"days": ["2027-06-07"]})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(first_slot_on_june_7(&app, mediator).await, None);
}
