//! Faults the service must survive without a restart and without losing or
//! half-writing anything.

use std::process::Stdio;
use std::time::Duration;

use chrono::Datelike;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::common::proxy::Proxy;
use crate::common::{
    Kelisim, TestApp, free_port, id, kelisim_command, require_postgres, spawn_app, spawn_app_with,
    wait_until,
};
use crate::sessions::{accepted_case, rfc, tuesday_at_ten};

#[tokio::test]
#[ignore = "needs PostgreSQL: run with KELISIM_TEST_POSTGRES_URL set and -- --include-ignored"]
async fn postgresql_unreachable_for_seconds_answers_503_with_retry_after_and_recovers_by_itself() {
    require_postgres();
    let admin_url = std::env::var("KELISIM_TEST_POSTGRES_URL").expect("url");
    let target = url::Url::parse(&admin_url).expect("postgres url");
    let target = format!(
        "{}:{}",
        target.host_str().expect("host"),
        target.port().unwrap_or(5432)
    );
    let proxy = Proxy::start(target.parse().expect("socket address")).await;
    let port = proxy.port;
    let app = spawn_app_with(move |s| {
        let mut url = url::Url::parse(&s.database_url).expect("url");
        url.set_port(Some(port)).expect("port");
        s.database_url = url.to_string();
    })
    .await;
    let token = app.admin_token.clone();
    assert_eq!(app.get("/readyz", None).await.status(), StatusCode::OK);

    proxy.cut();
    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_retry_after(&ready);
    let create = app
        .post(
            "/api/v1/courts",
            Some(&token),
            json!({"code": "AST-9", "name": "Astana court", "timezone": "Asia/Almaty", "default_language": "kk"}),
        )
        .await;
    assert_eq!(create.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_retry_after(&create);
    let problem: Value = create.json().await.expect("problem");
    assert_eq!(problem["status"], 503);
    let list = app.get("/api/v1/courts", Some(&token)).await;
    assert_eq!(list.status(), StatusCode::SERVICE_UNAVAILABLE);

    tokio::time::sleep(Duration::from_secs(3)).await;
    proxy.restore();
    let app_ref = &app;
    wait_until("ready again", Duration::from_secs(20), || async move {
        app_ref.get("/readyz", None).await.status() == StatusCode::OK
    })
    .await;
    let list = app.get("/api/v1/courts", Some(&token)).await;
    assert_eq!(list.status(), StatusCode::OK);
    let body: Value = list.json().await.expect("json");
    assert_eq!(body["items"], json!([]), "nothing was half-written: {body}");
    let create = app
        .post(
            "/api/v1/courts",
            Some(&token),
            json!({"code": "AST-9", "name": "Astana court", "timezone": "Asia/Almaty", "default_language": "kk"}),
        )
        .await;
    assert_eq!(create.status(), StatusCode::CREATED);
}

/// A 503 says, in whole seconds, when to try again.
fn assert_retry_after(resp: &reqwest::Response) {
    let seconds: u64 = resp.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("whole seconds");
    assert!((1..=60).contains(&seconds), "{seconds}");
}

/// The starts of `n` one-hour sessions a mediator working 09:00–18:00
/// (Almaty) on weekdays can all have: 10:00, 12:00 and 14:00 of the weekdays
/// from a week ahead.
fn slots(n: usize) -> Vec<chrono::DateTime<chrono::Utc>> {
    let mut out = Vec::new();
    let mut day = tuesday_at_ten(7);
    while out.len() < n {
        if !matches!(day.weekday(), chrono::Weekday::Sat | chrono::Weekday::Sun) {
            for h in [0, 2, 4] {
                out.push(day + chrono::Duration::hours(h));
            }
        }
        day += chrono::Duration::days(1);
    }
    out.truncate(n);
    out
}

/// `kelisim serve` killed with SIGKILL while bookings are in flight: each
/// booking is afterwards either whole (session, its three invitations, their
/// three emails, its audit row) or absent; every 201 a client saw is there;
/// and clients that retry after the restart end with each slot booked once.
#[tokio::test]
async fn a_process_killed_during_bookings_leaves_each_booking_whole_or_absent() {
    let app = spawn_app().await;
    let s = accepted_case(&app, "KILL", json!({})).await;
    let dir = tempfile::tempdir().expect("dir");
    let port = free_port();
    let mut server = Kelisim::spawn(
        kelisim_command(dir.path(), &app.database.url)
            .arg("serve")
            .env("KELISIM_BIND", format!("127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let (client_ref, base_ref) = (&client, base.as_str());
    wait_until(
        "the server to answer",
        Duration::from_secs(30),
        || async move {
            client_ref
                .get(format!("{base_ref}/healthz"))
                .send()
                .await
                .is_ok_and(|r| r.status() == StatusCode::OK)
        },
    )
    .await;

    let starts = slots(30);
    let book = |start: chrono::DateTime<chrono::Utc>| {
        let request = client
            .post(format!("{base}/api/v1/cases/{}/sessions", s.case))
            .bearer_auth(&s.mediator_token)
            .json(&json!({"starts_at": rfc(start), "duration_minutes": 60, "online_url": "https://video.example.kz/r/k"}));
        async move {
            match request.send().await {
                Ok(r) if r.status() == StatusCode::CREATED => {
                    Some(id(&r.json::<Value>().await.expect("json")))
                }
                Ok(r) => panic!("booking answered {}", r.status()),
                Err(_) => None,
            }
        }
    };
    let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel();
    let mut inflight = tokio::task::JoinSet::new();
    for start in starts.clone() {
        let attempt = book(start);
        let done = done_tx.clone();
        inflight.spawn(async move {
            let created = attempt.await;
            let _ = done.send(());
            created
        });
    }
    // Kill it once a few have been answered, with the others in flight.
    for _ in 0..3 {
        done_rx.recv().await.expect("an answer");
    }
    server.kill();
    let mut answered = Vec::new();
    while let Some(joined) = inflight.join_next().await {
        if let Some(session) = joined.expect("joined") {
            answered.push(session);
        }
    }
    assert!(
        answered.len() >= 3 && answered.len() < starts.len(),
        "{}",
        answered.len()
    );

    let sessions = entity::sessions::Entity::find()
        .filter(entity::sessions::Column::CaseId.eq(s.case))
        .all(&app.db)
        .await
        .expect("sessions");
    for session in &answered {
        assert!(sessions.iter().any(|x| x.id == *session), "a 201 was kept");
    }
    for session in &sessions {
        assert_booking_whole(&app, session.id).await;
    }
    let stray = entity::outbox_messages::Entity::find()
        .filter(entity::outbox_messages::Column::Kind.eq("session_invitation"))
        .all(&app.db)
        .await
        .expect("outbox")
        .into_iter()
        .filter(|m| !sessions.iter().any(|x| Some(x.id) == m.session_id))
        .count();
    assert_eq!(stray, 0, "no email of a booking that is not there");

    // After a restart the clients that got no answer try again; a booking
    // that did commit answers 409 (its slot is taken by itself).
    let mut server = Kelisim::spawn(
        kelisim_command(dir.path(), &app.database.url)
            .arg("serve")
            .env("KELISIM_BIND", format!("127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    wait_until(
        "the server to answer again",
        Duration::from_secs(30),
        || async move {
            client_ref
                .get(format!("{base_ref}/healthz"))
                .send()
                .await
                .is_ok_and(|r| r.status() == StatusCode::OK)
        },
    )
    .await;
    for start in &starts {
        let resp = client
            .post(format!("{base}/api/v1/cases/{}/sessions", s.case))
            .bearer_auth(&s.mediator_token)
            .json(&json!({"starts_at": rfc(*start), "duration_minutes": 60, "online_url": "https://video.example.kz/r/k"}))
            .send()
            .await
            .expect("an answer");
        let booked = sessions.iter().any(|x| x.starts_at == *start);
        let expected = if booked {
            StatusCode::CONFLICT
        } else {
            StatusCode::CREATED
        };
        assert_eq!(resp.status(), expected, "{start}");
    }
    let sessions = entity::sessions::Entity::find()
        .filter(entity::sessions::Column::CaseId.eq(s.case))
        .all(&app.db)
        .await
        .expect("sessions");
    assert_eq!(sessions.len(), starts.len(), "each slot booked once");
    for session in &sessions {
        assert_booking_whole(&app, session.id).await;
    }
    server.kill();
}

/// A booked session has its three invitations, their three emails and its
/// audit row.
async fn assert_booking_whole(app: &TestApp, session: uuid::Uuid) {
    let invitations = entity::invitations::Entity::find()
        .filter(entity::invitations::Column::SessionId.eq(session))
        .count(&app.db)
        .await
        .expect("invitations");
    let emails = entity::outbox_messages::Entity::find()
        .filter(entity::outbox_messages::Column::SessionId.eq(session))
        .count(&app.db)
        .await
        .expect("emails");
    let audit = entity::audit_log::Entity::find()
        .filter(entity::audit_log::Column::EntityId.eq(session))
        .filter(entity::audit_log::Column::Action.eq("session.booked"))
        .count(&app.db)
        .await
        .expect("audit");
    assert_eq!((invitations, emails, audit), (3, 3, 1), "session {session}");
}
