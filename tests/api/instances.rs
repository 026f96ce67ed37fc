//! Several `serve` instances on one database, with clients spread across
//! them, as a country runs Kelisim behind a load balancer.

use std::collections::HashMap;

use chrono::{Duration, Timelike, Utc};
use reqwest::{Method, StatusCode};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::common::smtp::SmtpServer;
use crate::common::{
    PASSWORD, TestApp, id, spawn_app, spawn_app_with, wait_until, wait_until_delivered,
};
use crate::sessions::{Setup, accepted_case, book, futures_join_all, rfc, tuesday_at_ten};

#[tokio::test]
async fn twenty_bookings_of_one_slot_spread_over_two_instances_give_exactly_one_success() {
    let first = spawn_app().await;
    let second = first.another_instance().await;
    let s = accepted_case(&first, "TWO", json!({})).await;
    let start = tuesday_at_ten(8);
    let body = json!({"starts_at": rfc(start), "duration_minutes": 60, "online_url": "https://video.example.kz/r/9"});
    let attempts = (0..20).map(|i| {
        let app = if i % 2 == 0 { &first } else { &second };
        book(app, &s, body.clone())
    });
    let results = futures_join_all(attempts).await;
    let created = results
        .iter()
        .filter(|r| **r == StatusCode::CREATED)
        .count();
    let conflicts = results
        .iter()
        .filter(|r| **r == StatusCode::CONFLICT)
        .count();
    assert_eq!((created, conflicts), (1, 19), "{results:?}");
    let stored = entity::sessions::Entity::find()
        .filter(entity::sessions::Column::CaseId.eq(s.case))
        .all(&first.db)
        .await
        .expect("sessions");
    assert_eq!(stored.len(), 1);
}

#[tokio::test]
async fn time_off_added_on_one_instance_is_seen_by_the_next_free_slots_request_on_the_other() {
    let first = spawn_app().await;
    let second = first.another_instance().await;
    let s = accepted_case(&first, "SEEN", json!({})).await;
    let day = tuesday_at_ten(8) - Duration::hours(5);
    // The second instance reads (and caches) the calendar first.
    let before = slots(&second, &s, day).await;
    assert!(before > 0);
    let resp = first
        .post(
            &format!("/api/v1/mediators/{}/time-off", s.mediator),
            Some(&s.mediator_token),
            json!({"starts_at": rfc(day), "ends_at": rfc(day + Duration::days(1)), "note": "ill"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert_eq!(slots(&second, &s, day).await, 0, "the whole day is off now");
    assert_eq!(slots(&first, &s, day).await, 0);
}

#[tokio::test]
async fn a_token_revoked_on_one_instance_is_refused_by_free_slots_on_the_other_at_once() {
    let first = spawn_app().await;
    let second = first.another_instance().await;
    let s = accepted_case(&first, "REVOKE", json!({})).await;
    let day = tuesday_at_ten(8) - Duration::hours(5);
    let token = second.login("admin@kelisim.test", PASSWORD).await;
    let url = format!(
        "/api/v1/mediators/{}/free-slots?from={}&to={}&duration_minutes=60",
        s.mediator,
        rfc(day),
        rfc(day + Duration::days(1))
    );
    // The second instance has answered this token (and cached the calendar).
    assert_eq!(
        second.get(&url, Some(&token)).await.status(),
        StatusCode::OK
    );
    let resp = first
        .request(Method::DELETE, "/api/v1/auth/token", Some(&token), None)
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        second.get(&url, Some(&token)).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // A user disabled on the first instance is refused on the second at once.
    let resp = second.get(&url, Some(&s.mediator_token)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let login = entity::mediators::Entity::find_by_id(s.mediator)
        .one(&first.db)
        .await
        .expect("mediator")
        .and_then(|m| m.user_id)
        .expect("a login");
    let resp = first
        .patch(
            &format!("/api/v1/users/{login}"),
            Some(&first.admin_token),
            json!({"active": false}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        second.get(&url, Some(&s.mediator_token)).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

/// How many free 60-minute slots the mediator has on `day`, asked of `app`.
async fn slots(app: &TestApp, s: &Setup, day: chrono::DateTime<chrono::Utc>) -> usize {
    let url = format!(
        "/api/v1/mediators/{}/free-slots?from={}&to={}&duration_minutes=60",
        s.mediator,
        rfc(day),
        rfc(day + Duration::days(1))
    );
    let resp = app.get(&url, Some(&s.mediator_token)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.expect("json");
    body["items"].as_array().expect("items").len()
}

/// Three instances on one database, each with its own delivery worker and
/// scheduler, as behind a load balancer: bookings made on each of them and
/// the reminders their schedulers send reach the SMTP server exactly once
/// per message, and exactly one of each per session, kind and recipient.
#[tokio::test]
async fn invitations_and_reminders_from_three_instances_reach_smtp_exactly_once() {
    let dir = tempfile::tempdir().expect("dir");
    let smtp = SmtpServer::start(&dir.path().join("smtp"));
    let url = smtp.url();
    let first = spawn_app_with(|s| {
        s.smtp_url = Some(url);
        // Every instance's scheduler tries the reminders every second.
        s.reminder_cron = "* * * * * *".into();
        s.purge_cron = String::new();
        s.calendar_refresh_cron = String::new();
        s.certification_cron = String::new();
        s.deadline_watch_cron = String::new();
    })
    .await;
    let second = first.another_instance().await;
    let third = first.another_instance().await;
    let instances = [&first, &second, &third];

    // One case per instance, each booked on its own instance.
    let mut sessions = Vec::new();
    for (i, app) in instances.iter().enumerate() {
        let s = accepted_case(app, &format!("X{i}"), json!({})).await;
        let resp = book(
            app,
            &s,
            json!({"starts_at": rfc(tuesday_at_ten(8)), "duration_minutes": 60, "online_url": "https://video.example.kz/r/3"}),
        )
        .await;
        assert_eq!(
            resp.status(),
            StatusCode::CREATED,
            "booking on instance {i}"
        );
        sessions.push(id(&resp.json::<Value>().await.expect("json")));
    }
    // Time passes: the sessions are 47 hours away, inside the 48-hour
    // window, and their invitations went out days ago, before it opened (a
    // reminder never follows an invitation sent inside its window).
    let soon = Utc::now().with_nanosecond(0).expect("whole seconds") + Duration::hours(47);
    for (k, sid) in sessions.iter().enumerate() {
        let starts = soon - Duration::minutes(10 * k as i64);
        entity::sessions::Entity::update_many()
            .col_expr(entity::sessions::Column::StartsAt, Expr::value(starts))
            .col_expr(
                entity::sessions::Column::EndsAt,
                Expr::value(starts + Duration::hours(1)),
            )
            .filter(entity::sessions::Column::Id.eq(*sid))
            .exec(&first.db)
            .await
            .expect("move the session closer");
    }
    entity::invitations::Entity::update_many()
        .col_expr(
            entity::invitations::Column::LastSentAt,
            Expr::value(Utc::now() - Duration::days(3)),
        )
        .filter(entity::invitations::Column::SessionId.is_in(sessions.clone()))
        .exec(&first.db)
        .await
        .expect("backdate the invitations");

    // Per session: 3 invitations and 3 reminders; per case 2 referral and
    // 2 assignment emails.
    let expected = sessions.len() * (3 + 3 + 4);
    let db = &first.db;
    wait_until(
        "every reminder written",
        std::time::Duration::from_secs(8),
        || async move {
            entity::outbox_messages::Entity::find()
                .filter(entity::outbox_messages::Column::Kind.eq("session_reminder"))
                .count(db)
                .await
                .expect("count")
                == 9
        },
    )
    .await;
    wait_until_delivered(&first.db, &smtp, expected).await;
    // A few more ticks of every scheduler change nothing.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let outbox = entity::outbox_messages::Entity::find()
        .all(&first.db)
        .await
        .expect("outbox");
    assert_eq!(outbox.len(), expected, "no reminder written twice");
    assert_eq!(smtp.count(), expected, "no message sent twice");
    let mut per_message = HashMap::new();
    for raw in smtp.messages() {
        let parsed = mail_parser::MessageParser::default()
            .parse(&raw)
            .expect("a message");
        *per_message
            .entry(parsed.message_id().expect("Message-ID").to_owned())
            .or_insert(0) += 1;
    }
    for m in &outbox {
        assert_eq!(m.status, "sent");
        assert_eq!(
            per_message.get(m.message_id.trim_matches(['<', '>'])),
            Some(&1),
            "{} arrived once",
            m.kind
        );
    }
    let mut per_session_kind_recipient = HashMap::new();
    for m in outbox.iter().filter(|m| m.session_id.is_some()) {
        *per_session_kind_recipient
            .entry((m.session_id, m.kind.clone(), m.recipient.clone()))
            .or_insert(0) += 1;
    }
    assert_eq!(
        per_session_kind_recipient.len(),
        18,
        "{per_session_kind_recipient:?}"
    );
    assert!(per_session_kind_recipient.values().all(|n| *n == 1));
}

/// Each scheduler fires every second; whichever instance gets there first
/// runs the tick, and the others, firing a few hundred milliseconds later,
/// find the tick taken, even though the run gave its lease back long before.
#[tokio::test]
async fn each_scheduled_job_runs_once_per_tick_across_three_instances() {
    let began = std::time::Instant::now();
    let first = spawn_app_with(|s| {
        s.purge_cron = "* * * * * *".into();
        s.reminder_cron = String::new();
        s.calendar_refresh_cron = String::new();
        s.certification_cron = String::new();
        s.deadline_watch_cron = String::new();
    })
    .await;
    let second = first.another_instance().await;
    let third = first.another_instance().await;
    tokio::time::sleep(std::time::Duration::from_millis(3500)).await;
    let mut runs = HashMap::<&str, u64>::new();
    for app in [&first, &second, &third] {
        let text = app
            .get("/metrics", None)
            .await
            .text()
            .await
            .expect("metrics");
        for job in ["token_cleanup", "idempotency_cleanup", "message_retention"] {
            *runs.entry(job).or_default() += job_runs(&text, job);
        }
    }
    // Ticks (whole seconds) that can have passed since the first scheduler
    // started: at most one per second, plus the one in progress.
    let ticks = began.elapsed().as_secs() + 1;
    for (job, n) in runs {
        assert!(
            (1..=ticks).contains(&n),
            "{job} ran {n} times in at most {ticks} ticks"
        );
    }
}

/// `kelisim_job_runs_total` of `job` in a scrape.
fn job_runs(scrape: &str, job: &str) -> u64 {
    let prefix = format!("kelisim_job_runs_total{{job=\"{job}\"}} ");
    scrape
        .lines()
        .find_map(|l| l.strip_prefix(prefix.as_str()))
        .map(|n| n.trim().parse().expect("a count"))
        .unwrap_or(0)
}
