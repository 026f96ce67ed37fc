//! Scheduled jobs: certification watch, external calendar refresh, the job
//! lease, and delivery of what they write to the outbox.

use std::time::Duration;

use chrono::{NaiveDate, Utc};
use kelisim::AppState;
use reqwest::{Method, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::{TestApp, eml_files, spawn_app, spawn_app_with, wait_until};

async fn mediator_certified_until(
    app: &TestApp,
    registry: &str,
    court: Uuid,
    until: NaiveDate,
) -> Uuid {
    let body = json!({
        "name": "Dana Mediator", "email": format!("{}@mediators.kz", registry.to_lowercase()), "registry_number": registry,
        "kind": "professional", "certified_until": until.to_string(),
        "specialties": ["civil"], "languages": ["ru"], "court_ids": [court],
        "max_active_cases": 10, "timezone": "Asia/Almaty"
    });
    let resp = app
        .post("/api/v1/mediators", Some(&app.admin_token), body)
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let m: Value = resp.json().await.expect("json");
    m["id"].as_str().expect("id").parse().expect("uuid")
}

async fn outbox_for(app: &TestApp, recipient: &str) -> Vec<entity::outbox_messages::Model> {
    entity::outbox_messages::Entity::find()
        .filter(entity::outbox_messages::Column::Recipient.eq(recipient))
        .all(&app.db)
        .await
        .expect("query")
}

#[tokio::test]
async fn a_mediator_is_warned_once_30_days_ahead_and_suspended_the_day_after_the_end() {
    let app = spawn_app_with(|s| s.certification_cron = String::new()).await;
    let court = app.create_court("CERT-1").await;
    let today = Utc::now()
        .with_timezone(&chrono_tz::Asia::Almaty)
        .date_naive();
    let soon =
        mediator_certified_until(&app, "KZ-S1", court, today + chrono::Duration::days(10)).await;
    let later =
        mediator_certified_until(&app, "KZ-S2", court, today + chrono::Duration::days(60)).await;
    let ended =
        mediator_certified_until(&app, "KZ-S3", court, today - chrono::Duration::days(1)).await;
    let ends_today = mediator_certified_until(&app, "KZ-S4", court, today).await;

    let (warned, suspended) =
        kelisim::services::certification::watch(&app.db, &app.settings, Utc::now())
            .await
            .expect("job");
    assert_eq!(
        (warned, suspended),
        (2, 1),
        "KZ-S1 and KZ-S4 warned, KZ-S3 suspended"
    );
    let again = kelisim::services::certification::watch(&app.db, &app.settings, Utc::now())
        .await
        .expect("job");
    assert_eq!(again, (0, 0), "a second run changes nothing");

    let status = |id: Uuid| {
        let app = &app;
        async move {
            let m: Value = app
                .get(&format!("/api/v1/mediators/{id}"), Some(&app.admin_token))
                .await
                .json()
                .await
                .expect("json");
            m["status"].as_str().expect("status").to_owned()
        }
    };
    assert_eq!(status(soon).await, "active");
    assert_eq!(status(later).await, "active");
    assert_eq!(status(ends_today).await, "active");
    assert_eq!(status(ended).await, "suspended");

    let warning = outbox_for(&app, "kz-s1@mediators.kz").await;
    assert_eq!(warning.len(), 1);
    assert_eq!(warning[0].kind, "certification_expiring");
    assert!(warning[0].raw_message.contains("multipart/alternative"));
    assert!(outbox_for(&app, "kz-s2@mediators.kz").await.is_empty());
    assert_eq!(
        outbox_for(&app, "kz-s3@mediators.kz").await[0].kind,
        "certification_suspended"
    );

    let audit = entity::audit_log::Entity::find()
        .filter(entity::audit_log::Column::EntityId.eq(ended))
        .filter(entity::audit_log::Column::Action.eq("mediator.suspended_certification_ended"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("an audit entry");
    assert_eq!(
        (audit.from_state.as_deref(), audit.to_state.as_deref()),
        (Some("active"), Some("suspended"))
    );
    assert_eq!(audit.actor_kind, "system");

    // The delivery worker of the running app writes them to the spool folder.
    let spool = app.spool_dir();
    wait_until(
        "3 emails in the spool folder",
        Duration::from_secs(5),
        || std::future::ready(eml_files(&spool) >= 3),
    )
    .await;
    assert_eq!(eml_files(&spool), 3);
}

#[tokio::test]
async fn only_one_of_several_instances_gets_a_jobs_lease() {
    let app = spawn_app().await;
    let attempts = (0..8).map(|i| {
        let db = app.db.clone();
        tokio::spawn(async move {
            kelisim::services::leases::try_lock(
                &db,
                "race",
                &format!("instance-{i}"),
                chrono::Duration::minutes(5),
            )
            .await
            .expect("lock")
        })
    });
    let mut won = 0;
    for a in attempts {
        if a.await.expect("joined") {
            won += 1;
        }
    }
    assert_eq!(won, 1);
    // After the holder gives it back, the next run can take it.
    kelisim::services::leases::unlock(&app.db, "race", "nobody")
        .await
        .expect("unlock");
    assert!(
        !kelisim::services::leases::try_lock(&app.db, "race", "x", chrono::Duration::minutes(5))
            .await
            .expect("lock")
    );
}

#[tokio::test]
async fn the_refresh_job_follows_the_calendar_and_keeps_the_last_good_blocks_when_it_fails() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    // The calendar server is on loopback, which only an allowed origin may be.
    let app = spawn_app_with(|s| {
        s.external_calendar_allowed_origins = vec![format!("http://127.0.0.1:{port}")];
    })
    .await;
    let court = app.create_court("REF-1").await;
    let mediator = mediator_certified_until(
        &app,
        "KZ-R1",
        court,
        NaiveDate::from_ymd_opt(2031, 1, 1).expect("date"),
    )
    .await;
    let one_event = |day: &str| {
        format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//T//EN\r\nBEGIN:VEVENT\r\nUID:a@t\r\nDTSTAMP:20261101T000000Z\r\n\
             DTSTART:{day}T050000Z\r\nDTEND:{day}T060000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        )
    };
    let calendar = std::sync::Arc::new(std::sync::Mutex::new(one_event("20270104")));
    let served = calendar.clone();
    let server = tokio::spawn(async move {
        let router = axum::Router::new().route(
            "/c.ics",
            axum::routing::get(move || {
                let body = served.lock().map(|c| c.clone()).unwrap_or_default();
                async move { body }
            }),
        );
        axum::serve(listener, router).await.ok();
    });
    let url = format!("http://127.0.0.1:{port}/c.ics");
    let resp = app
        .request(
            Method::PUT,
            &format!("/api/v1/mediators/{mediator}/external-calendar"),
            Some(&app.admin_token),
            Some(json!({"ics_url": url})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);

    let blocks = |app: &TestApp| {
        let db = app.db.clone();
        async move {
            entity::busy_blocks::Entity::find()
                .filter(entity::busy_blocks::Column::MediatorId.eq(mediator))
                .all(&db)
                .await
                .expect("query")
                .into_iter()
                .map(|b| b.starts_at.to_rfc3339())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(blocks(&app).await, ["2027-01-04T05:00:00+00:00"]);

    let state = AppState::new(app.db.clone(), app.settings.clone()).expect("state");
    *calendar.lock().expect("lock") = one_event("20270111");
    assert_eq!(
        kelisim::services::availability::busy::refresh_all(&state.db, &state.calendar_fetcher)
            .await
            .expect("job"),
        (1, 0)
    );
    assert_eq!(blocks(&app).await, ["2027-01-11T05:00:00+00:00"]);

    server.abort();
    let _ = server.await;
    assert_eq!(
        kelisim::services::availability::busy::refresh_all(&state.db, &state.calendar_fetcher)
            .await
            .expect("job"),
        (0, 1)
    );
    assert_eq!(
        blocks(&app).await,
        ["2027-01-11T05:00:00+00:00"],
        "last good blocks kept"
    );
    let m: Value = app
        .get(
            &format!("/api/v1/mediators/{mediator}"),
            Some(&app.admin_token),
        )
        .await
        .json()
        .await
        .expect("json");
    assert!(
        m["external_calendar"]["last_error"]
            .as_str()
            .is_some_and(|e| !e.is_empty())
    );
}

#[tokio::test]
async fn a_jobs_tick_is_run_once_even_after_its_lease_was_given_back() {
    use kelisim::services::leases::{try_lock_tick, unlock};
    let app = spawn_app().await;
    let tick = chrono::Utc::now() - chrono::Duration::milliseconds(300);
    let lease = chrono::Duration::minutes(5);
    assert!(
        try_lock_tick(&app.db, "tick", "a", tick, lease)
            .await
            .expect("lock")
    );
    assert!(
        !try_lock_tick(&app.db, "tick", "b", tick, lease)
            .await
            .expect("lock")
    );
    unlock(&app.db, "tick", "a").await.expect("unlock");
    // A late instance firing for the same tick finds it taken.
    assert!(
        !try_lock_tick(&app.db, "tick", "b", tick, lease)
            .await
            .expect("lock")
    );
    // The next tick is free, and only once.
    let next = tick + chrono::Duration::seconds(1);
    assert!(
        try_lock_tick(&app.db, "tick", "b", next, lease)
            .await
            .expect("lock")
    );
    unlock(&app.db, "tick", "b").await.expect("unlock");
    assert!(
        !try_lock_tick(&app.db, "tick", "c", next, lease)
            .await
            .expect("lock")
    );
    assert!(
        !try_lock_tick(&app.db, "tick", "c", tick, lease)
            .await
            .expect("an older tick")
    );
}
