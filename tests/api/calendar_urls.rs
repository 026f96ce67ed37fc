//! Where an external calendar may be fetched from: never the service's own
//! network (loopback, private, link-local and the like), only https on port
//! 443 unless an origin is allowed in the settings, on every redirect too,
//! and every refusal answered alike.

use reqwest::{Method, StatusCode};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::{TestApp, problem, spawn_app_with};

const CALENDAR: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//T//EN\r\nBEGIN:VEVENT\r\n\
UID:one@t\r\nDTSTAMP:20261101T000000Z\r\nDTSTART:20270104T050000Z\r\nDTEND:20270104T060000Z\r\n\
END:VEVENT\r\nEND:VCALENDAR\r\n";

/// Serves `router` on `address` (port 0); `None` where the address cannot
/// be bound (a machine without IPv6).
async fn serve_on(address: &str, router: impl FnOnce(u16) -> axum::Router) -> Option<u16> {
    let listener = tokio::net::TcpListener::bind(address).await.ok()?;
    let port = listener.local_addr().ok()?.port();
    let router = router(port);
    tokio::spawn(async move { axum::serve(listener, router).await.ok() });
    Some(port)
}

fn calendar_router(_: u16) -> axum::Router {
    axum::Router::new().route(
        "/cal.ics",
        axum::routing::get(|| async { ([("content-type", "text/calendar")], CALENDAR) }),
    )
}

async fn serve_calendar() -> u16 {
    serve_on("127.0.0.1:0", calendar_router)
        .await
        .expect("a loopback port")
}

async fn mediator(app: &TestApp) -> Uuid {
    let court = app
        .create_court(&format!("U-{}", &Uuid::new_v4().simple().to_string()[..6]))
        .await;
    let resp = app
        .post(
            "/api/v1/mediators",
            Some(&app.admin_token),
            json!({
                "name": "Dana Mediator", "email": "dana@mediators.kz", "registry_number": "KZ-URL",
                "kind": "professional", "certified_until": "2030-12-31",
                "specialties": ["civil"], "languages": ["kk"], "court_ids": [court],
                "max_active_cases": 10, "timezone": "Asia/Almaty"
            }),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let body: Value = resp.json().await.expect("json");
    body["id"].as_str().expect("id").parse().expect("uuid")
}

async fn put_url(app: &TestApp, mediator: Uuid, url: &str) -> reqwest::Response {
    app.request(
        Method::PUT,
        &format!("/api/v1/mediators/{mediator}/external-calendar"),
        Some(&app.admin_token),
        Some(json!({"ics_url": url})),
    )
    .await
}

async fn external_calendar(app: &TestApp, mediator: Uuid) -> Value {
    let m: Value = app
        .get(
            &format!("/api/v1/mediators/{mediator}"),
            Some(&app.admin_token),
        )
        .await
        .json()
        .await
        .expect("json");
    m["external_calendar"].clone()
}

async fn busy_rows(app: &TestApp, mediator: Uuid) -> u64 {
    entity::busy_blocks::Entity::find()
        .filter(entity::busy_blocks::Column::MediatorId.eq(mediator))
        .count(&app.db)
        .await
        .expect("count")
}

#[tokio::test]
async fn every_refused_calendar_url_gets_the_same_answer_and_changes_nothing() {
    let allowed = serve_calendar().await;
    let other = serve_calendar().await;
    let v6 = serve_on("[::1]:0", calendar_router).await;
    let app = spawn_app_with(|s| {
        s.external_calendar_allowed_origins = vec![format!("http://127.0.0.1:{allowed}")];
        s.external_calendar_timeout_seconds = 2;
    })
    .await;
    let mediator = mediator(&app).await;
    let stored = format!("http://127.0.0.1:{allowed}/cal.ics");
    assert_eq!(
        put_url(&app, mediator, &stored).await.status(),
        StatusCode::OK
    );
    let before = external_calendar(&app, mediator).await;
    assert_eq!(before["ics_url"], json!(stored));
    assert_eq!(busy_rows(&app, mediator).await, 1);

    let mut refused = vec![
        format!("http://127.0.0.1:{other}/cal.ics"),
        format!("http://localhost:{other}/cal.ics"),
        format!("http://[::ffff:127.0.0.1]:{other}/cal.ics"),
        format!("http://2130706433:{other}/cal.ics"),
        format!("https://127.0.0.1:{allowed}/cal.ics"),
        format!("http://localhost:{allowed}/cal.ics"),
        "https://127.0.0.1/cal.ics".to_owned(),
        "https://localhost/cal.ics".to_owned(),
        "https://[::1]/cal.ics".to_owned(),
        "https://[::ffff:127.0.0.1]/cal.ics".to_owned(),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "https://169.254.169.254/latest/meta-data/".to_owned(),
        "https://10.0.0.1/cal.ics".to_owned(),
        "https://172.16.0.1/cal.ics".to_owned(),
        "https://192.168.0.1/cal.ics".to_owned(),
        "https://100.64.0.1/cal.ics".to_owned(),
        "https://[fc00::1]/cal.ics".to_owned(),
        "https://[fd00::1]/cal.ics".to_owned(),
        "http://calendar.example.com/cal.ics".to_owned(),
        "https://calendar.example.com:22/cal.ics".to_owned(),
        "https://127.0.0.1:22/".to_owned(),
        "ftp://calendar.example.com/cal.ics".to_owned(),
        "not a URL at all".to_owned(),
    ];
    if let Some(port) = v6 {
        refused.push(format!("http://[::1]:{port}/cal.ics"));
    }

    let mut answers = Vec::new();
    for url in &refused {
        let resp = put_url(&app, mediator, url).await;
        assert_eq!(
            resp.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{url} must be refused"
        );
        let body = problem(resp, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(
            external_calendar(&app, mediator).await,
            before,
            "{url} changed the stored calendar"
        );
        answers.push((url, body));
    }

    let (_, first) = &answers[0];
    assert_eq!(first["errors"][0]["field"], "ics_url");
    for (url, body) in &answers {
        assert_eq!(body, first, "{url} is answered differently");
    }
    assert_eq!(busy_rows(&app, mediator).await, 1);
}

#[tokio::test]
async fn an_allowed_calendar_server_may_redirect_only_to_allowed_places() {
    let other = serve_calendar().await;
    let allowed = serve_on("127.0.0.1:0", move |own| {
        let to = |location: String| {
            axum::routing::get(
                move || async move { (StatusCode::FOUND, [("location", location)], "") },
            )
        };
        calendar_router(own)
            .route("/moved", to("/cal.ics".to_owned()))
            .route(
                "/to-other-port",
                to(format!("http://127.0.0.1:{other}/cal.ics")),
            )
            .route("/to-name", to(format!("http://localhost:{own}/cal.ics")))
            .route(
                "/to-plain-http",
                to("http://calendar.example.com/cal.ics".to_owned()),
            )
            .route(
                "/to-metadata",
                to("http://169.254.169.254/latest/meta-data/".to_owned()),
            )
            .route("/loop", to("/loop".to_owned()))
    })
    .await
    .expect("a loopback port");
    let app = spawn_app_with(|s| {
        s.external_calendar_allowed_origins = vec![format!("http://127.0.0.1:{allowed}")];
        s.external_calendar_timeout_seconds = 2;
    })
    .await;
    let mediator = mediator(&app).await;
    let base = format!("http://127.0.0.1:{allowed}");

    let resp = put_url(&app, mediator, &format!("{base}/moved")).await;
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "a redirect on the allowed origin"
    );

    let mut answers = Vec::new();
    for path in [
        "/to-other-port",
        "/to-name",
        "/to-plain-http",
        "/to-metadata",
        "/loop",
    ] {
        let resp = put_url(&app, mediator, &format!("{base}{path}")).await;
        assert_eq!(
            resp.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path} must be refused"
        );
        answers.push((path, problem(resp, StatusCode::UNPROCESSABLE_ENTITY).await));
        assert_eq!(
            external_calendar(&app, mediator).await["ics_url"],
            json!(format!("{base}/moved"))
        );
    }
    for (path, body) in &answers {
        assert_eq!(body, &answers[0].1, "{path} is answered differently");
    }
}

#[tokio::test]
async fn the_refresh_job_refuses_a_stored_url_that_is_not_allowed() {
    let other = serve_calendar().await;
    let app = spawn_app_with(|_| {}).await;
    let mediator = mediator(&app).await;
    // As stored before addresses were checked.
    let stored = format!("http://127.0.0.1:{other}/cal.ics");
    entity::mediators::ActiveModel {
        id: Set(mediator),
        external_calendar_url: Set(Some(stored.clone())),
        ..Default::default()
    }
    .update(&app.db)
    .await
    .expect("store the URL");

    let state =
        kelisim::AppState::new(app.db.clone(), app.settings.clone()).expect("application state");
    let outcome =
        kelisim::services::availability::busy::refresh_all(&state.db, &state.calendar_fetcher)
            .await
            .expect("job");

    assert_eq!(outcome, (0, 1));
    assert_eq!(busy_rows(&app, mediator).await, 0);
    let calendar = external_calendar(&app, mediator).await;
    assert_eq!(calendar["ics_url"], json!(stored));
    let refused = put_url(&app, mediator, &stored).await;
    let body = problem(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(calendar["last_error"], body["errors"][0]["message"]);
}
