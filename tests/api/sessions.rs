//! Sessions: booking without double-booking, and one iTIP invitation per
//! recipient, read back with independent parsers (mail-parser for MIME,
//! calcard for the calendar, `tests/common/ical.rs`).

use chrono::{DateTime, Duration, Utc};
use mail_parser::MimeHeaders;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::ical::Calendar;
use crate::common::smtp::{SmtpOptions, SmtpServer};
use crate::common::{
    TestApp, error_fields, id, problem, require_postgres, spawn_app, spawn_app_with, wait_until,
    wait_until_delivered,
};

pub(crate) use crate::common::world::{Setup, accepted_case, book, rfc, tuesday_at_ten};

/// Session emails of a session, oldest first.
async fn emails(app: &TestApp, session: Uuid) -> Vec<entity::outbox_messages::Model> {
    entity::outbox_messages::Entity::find()
        .filter(entity::outbox_messages::Column::SessionId.eq(session))
        .order_by_asc(entity::outbox_messages::Column::Id)
        .all(&app.db)
        .await
        .expect("outbox")
}

/// What an independent reading of one email finds.
#[derive(Debug)]
struct Read {
    to: String,
    /// `method=` of the text/calendar part.
    mime_method: String,
    /// That part, read by an independent parser.
    ical: Calendar,
    attachment_matches: bool,
}

fn read(raw: &str) -> Read {
    let m = mail_parser::MessageParser::default()
        .parse(raw.as_bytes())
        .expect("MIME");
    let to = m
        .to()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .expect("to")
        .to_owned();
    let mut calendar = None;
    let mut attachment = None;
    for part in &m.parts {
        let Some(ct) = part.content_type() else {
            continue;
        };
        let full = format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or(""));
        if full == "text/calendar" {
            calendar = Some((
                ct.attribute("method").unwrap_or_default().to_owned(),
                String::from_utf8_lossy(part.contents()).into_owned(),
            ));
        } else if full == "application/ics" {
            attachment = Some(String::from_utf8_lossy(part.contents()).into_owned());
        }
    }
    let (mime_method, ics) = calendar.expect("a text/calendar part");
    Read {
        to,
        mime_method,
        ical: Calendar::parse(&ics),
        attachment_matches: attachment.as_deref() == Some(&*ics),
    }
}

#[tokio::test]
async fn each_recipient_gets_their_own_invitation_which_moves_and_cancels_in_place() {
    let app = spawn_app().await;
    let s = accepted_case(&app, "INV1", json!({})).await;
    let start = tuesday_at_ten(7);

    let resp = book(
        &app,
        &s,
        json!({"starts_at": rfc(start), "duration_minutes": 90, "online_url": "https://video.example.kz/r/1"}),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert!(resp.headers().get("location").is_some());
    let session: Value = resp.json().await.expect("json");
    let sid = id(&session);
    assert_eq!(session["format"], "joint");
    assert_eq!(session["invitations"].as_array().expect("inv").len(), 3);

    let case: Value = app
        .get(&format!("/api/v1/cases/{}", s.case), Some(&s.clerk))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(case["status"], "scheduled");

    let first = emails(&app, sid).await;
    assert_eq!(first.len(), 3, "one email per recipient");
    let everyone: Vec<String> = first.iter().map(|m| m.recipient.clone()).collect();
    let mut uids = std::collections::BTreeMap::new();
    for m in &first {
        let r = read(&m.raw_message);
        assert_eq!(r.to, m.recipient);
        assert_eq!(r.mime_method, "REQUEST");
        assert_eq!(r.ical.method(), "REQUEST", "METHOD matches method=");
        assert_eq!(r.ical.events.len(), 1);
        let event = r.ical.event();
        assert_eq!(event.texts("ATTENDEE"), [format!("mailto:{}", m.recipient)]);
        let partstats: Vec<Option<&str>> = event
            .all("ATTENDEE")
            .iter()
            .map(|a| a.param("PARTSTAT"))
            .collect();
        assert_eq!(partstats, [Some("NEEDS-ACTION")]);
        assert_eq!(event.text("CLASS"), "CONFIDENTIAL");
        assert_eq!(event.integer("SEQUENCE"), 0);
        assert_eq!(event.utc("DTSTART"), start, "DTSTART in UTC");
        assert!(event.text("SUMMARY").contains("2-INV1/2026"));
        assert!(r.attachment_matches, "invite.ics is the same calendar");
        for other in everyone.iter().filter(|o| **o != m.recipient) {
            assert!(
                !m.raw_message.contains(other.as_str()),
                "{} sees {other}",
                m.recipient
            );
        }
        uids.insert(m.recipient.clone(), event.text("UID").to_owned());
    }

    // Moved: same UIDs, SEQUENCE 1, REQUEST again; 10:00 Almaty is 05:00Z.
    let later = start + Duration::days(1) + Duration::hours(1);
    let resp = app
        .patch(
            &format!("/api/v1/sessions/{sid}"),
            Some(&s.mediator_token),
            json!({"starts_at": rfc(later)}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let moved: Value = resp.json().await.expect("json");
    assert_eq!(moved["sequence"], 1);
    let all = emails(&app, sid).await;
    assert_eq!(all.len(), 6);
    for m in &all[3..] {
        let r = read(&m.raw_message);
        let event = r.ical.event();
        assert_eq!(
            event.text("UID"),
            uids[&m.recipient],
            "UID stable across a move"
        );
        assert_eq!(event.integer("SEQUENCE"), 1);
        assert_eq!(r.mime_method, "REQUEST");
        assert_eq!(event.utc("DTSTART"), later, "DTSTART in UTC");
    }

    // Cancelled: METHOD:CANCEL, STATUS:CANCELLED, SEQUENCE 2, same UIDs.
    let resp = app
        .post(
            &format!("/api/v1/sessions/{sid}/cancel"),
            Some(&s.clerk),
            json!({"reason": "The mediator is ill"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let all = emails(&app, sid).await;
    assert_eq!(all.len(), 9);
    for m in &all[6..] {
        let r = read(&m.raw_message);
        assert_eq!(r.mime_method, "CANCEL");
        assert_eq!(r.ical.method(), "CANCEL");
        let event = r.ical.event();
        assert_eq!(event.text("STATUS"), "CANCELLED");
        assert_eq!(event.integer("SEQUENCE"), 2);
        assert_eq!(
            event.text("UID"),
            uids[&m.recipient],
            "UID stable across a cancel"
        );
    }
    // A cancelled session cannot be moved or cancelled again.
    let p = problem(
        app.post(
            &format!("/api/v1/sessions/{sid}/cancel"),
            Some(&s.clerk),
            json!({"reason": "again"}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(p["reasons"], json!(["session_status"]));
}

#[tokio::test]
async fn twenty_simultaneous_bookings_of_one_slot_give_exactly_one_success() {
    let app = spawn_app().await;
    let s = accepted_case(&app, "RACE", json!({})).await;
    let start = tuesday_at_ten(8);
    let body = json!({"starts_at": rfc(start), "duration_minutes": 60, "online_url": "https://video.example.kz/r/2"});
    let attempts = (0..20).map(|_| book(&app, &s, body.clone()));
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
        .all(&app.db)
        .await
        .expect("sessions");
    assert_eq!(stored.len(), 1);
}

/// Runs the requests at once and returns their statuses.
pub(crate) async fn futures_join_all(
    requests: impl Iterator<Item = impl std::future::Future<Output = reqwest::Response>>,
) -> Vec<StatusCode> {
    let mut set = Vec::new();
    for r in requests {
        set.push(r);
    }
    let responses = futures_util_join(set).await;
    responses.into_iter().map(|r| r.status()).collect()
}

async fn futures_util_join<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    // Polled together on this task: all requests are in flight at once.
    let mut pinned: Vec<std::pin::Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut out: Vec<Option<F::Output>> = (0..pinned.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in pinned.iter_mut().enumerate() {
            if out[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => out[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter().map(|o| o.expect("done")).collect()
}

#[tokio::test]
async fn bookings_outside_the_rules_are_refused_with_reasons() {
    let app = spawn_app().await;
    let s = accepted_case(&app, "RULE", json!({})).await;
    let start = tuesday_at_ten(9);
    let online = "https://video.example.kz/r/3";

    // Field problems are 422 and name the field.
    for (body, field) in [
        (
            json!({"starts_at": rfc(Utc::now() - Duration::days(1)), "duration_minutes": 60, "online_url": online}),
            "starts_at",
        ),
        (
            json!({"starts_at": rfc(start + Duration::days(90)), "duration_minutes": 60, "online_url": online}),
            "starts_at",
        ),
        (
            json!({"starts_at": rfc(start), "duration_minutes": 5, "online_url": online}),
            "duration_minutes",
        ),
        (
            json!({"starts_at": rfc(start), "duration_minutes": 60}),
            "room_id",
        ),
        (
            json!({"starts_at": rfc(start), "duration_minutes": 60, "online_url": "ftp://x"}),
            "online_url",
        ),
        (
            json!({"starts_at": rfc(start), "duration_minutes": 60, "room_id": Uuid::now_v7()}),
            "room_id",
        ),
    ] {
        let p = problem(book(&app, &s, body).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(error_fields(&p), [field]);
    }
    // Outside the mediator's hours (20:00 Almaty) and off the grid.
    for at in [start + Duration::hours(10), start + Duration::minutes(7)] {
        let p = problem(
            book(
                &app,
                &s,
                json!({"starts_at": rfc(at), "duration_minutes": 60, "online_url": online}),
            )
            .await,
            StatusCode::CONFLICT,
        )
        .await;
        assert_eq!(p["reasons"], json!(["mediator_unavailable"]));
    }

    // A room is free for one case only.
    let room: Value = app
        .post(
            &format!("/api/v1/courts/{}/rooms", s.court),
            Some(&app.admin_token),
            json!({"name": "Room 1", "capacity": 6, "step_free": true}),
        )
        .await
        .json()
        .await
        .expect("json");
    let room = id(&room);
    let resp = book(
        &app,
        &s,
        json!({"starts_at": rfc(start), "duration_minutes": 60, "room_id": room}),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    // The same mediator is busy then, and within the buffer after.
    let p = problem(
        book(&app, &s, json!({"starts_at": rfc(start + Duration::minutes(60)), "duration_minutes": 60, "online_url": online})).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(p["reasons"], json!(["mediator_unavailable"]));
    let other = accepted_case(&app, "RUL2", json!({})).await;
    // Another mediator, but the first court's room: not a room of their court.
    let p = problem(
        book(
            &app,
            &other,
            json!({"starts_at": rfc(start), "duration_minutes": 60, "room_id": room}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&p), ["room_id"]);
}

#[tokio::test]
async fn with_violence_reported_booking_waits_for_every_party_and_sessions_are_separate() {
    let app = spawn_app().await;
    let s = accepted_case(&app, "VIOL", json!({"violence_reported": true})).await;
    let start = tuesday_at_ten(10);
    let online = "https://video.example.kz/r/4";
    let claimant = s.parties[0]["id"].as_str().expect("id").to_owned();

    let p = problem(
        book(&app, &s, json!({"starts_at": rfc(start), "duration_minutes": 60, "online_url": online, "party_ids": [claimant]})).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(p["reasons"], json!(["voluntary_confirmation_missing"]));

    // Both confirm through their own links.
    for party in &s.parties {
        let token = kelisim::services::links::party_token(
            &app.db,
            party["id"].as_str().expect("id").parse().expect("uuid"),
        )
        .await
        .expect("token");
        let resp = app
            .post(
                &format!("/p/{token}/voluntary-participation"),
                None,
                json!({}),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::OK);
    }
    // Joint is refused without the clerk's override; separate needs one party.
    let p = problem(
        book(&app, &s, json!({"starts_at": rfc(start), "duration_minutes": 60, "online_url": online, "format": "joint"})).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(p["reasons"], json!(["joint_session_not_allowed"]));
    let p = problem(
        book(
            &app,
            &s,
            json!({"starts_at": rfc(start), "duration_minutes": 60, "online_url": online}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&p), ["party_ids"]);

    let resp = book(&app, &s, json!({"starts_at": rfc(start), "duration_minutes": 60, "online_url": online, "party_ids": [claimant]})).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let session: Value = resp.json().await.expect("json");
    assert_eq!(session["format"], "separate");
    // The respondent is not invited to the claimant's separate session.
    let invited: Vec<String> = session["invitations"]
        .as_array()
        .expect("inv")
        .iter()
        .map(|i| i["email"].as_str().expect("email").to_owned())
        .collect();
    assert!(invited.iter().any(|e| e.starts_with("aigerim")));
    assert!(!invited.iter().any(|e| e.starts_with("serik")));
}

#[tokio::test]
async fn a_party_answers_through_their_link_and_the_mediator_sees_it() {
    let app = spawn_app().await;
    let s = accepted_case(&app, "RSVP", json!({})).await;
    let start = tuesday_at_ten(11);
    let session: Value = book(
        &app,
        &s,
        json!({"starts_at": rfc(start), "duration_minutes": 60, "online_url": "https://video.example.kz/r/5"}),
    )
    .await
    .json()
    .await
    .expect("json");
    let sid = id(&session);
    let party: Uuid = s.parties[0]["id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("uuid");
    let token = kelisim::services::links::party_token(&app.db, party)
        .await
        .expect("token");

    let page = app
        .get(&format!("/p/{token}"), None)
        .await
        .text()
        .await
        .expect("html");
    // The page links the session's .ics (HTML-escaped, so `/` is `&#x2f;`).
    assert!(page.contains(&format!("{sid}.ics")));
    // In the party's words (Russian): the time, the format, the answer.
    let almaty = chrono_tz::Asia::Almaty;
    let when = kelisim::i18n::dates::instant(kelisim::domain::Language::Ru, start, almaty, almaty);
    assert!(
        page.contains(&format!("<h3>{when}</h3>\n<p>60 мин., совместная</p>")),
        "{page}"
    );
    assert!(
        page.contains("Ваш ответ: <strong class=\"answer\">ответа нет</strong>"),
        "{page}"
    );
    assert!(
        !page.contains("NEEDS-ACTION") && !page.contains("joint"),
        "{page}"
    );
    let ics = app
        .get(&format!("/p/{token}/sessions/{sid}.ics"), None)
        .await;
    assert_eq!(ics.status(), StatusCode::OK);
    let parsed = Calendar::parse(&ics.text().await.expect("ics"));
    assert_eq!(
        parsed.event().texts("ATTENDEE"),
        [format!(
            "mailto:{}",
            s.parties[0]["email"].as_str().expect("email")
        )]
    );

    let resp = app
        .post(
            &format!("/p/{token}/sessions/{sid}/rsvp"),
            None,
            json!({"response": "tentative", "note": "I may be late"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let p = problem(
        app.post(
            &format!("/p/{token}/sessions/{sid}/rsvp"),
            None,
            json!({"response": "perhaps"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&p), ["response"]);

    let seen: Value = app
        .get(&format!("/api/v1/sessions/{sid}"), Some(&s.mediator_token))
        .await
        .json()
        .await
        .expect("json");
    let mine = seen["invitations"]
        .as_array()
        .expect("inv")
        .iter()
        .find(|i| i["party_id"] == json!(party))
        .expect("the party's invitation");
    assert_eq!(mine["partstat"], "TENTATIVE");
    assert_eq!(mine["response_note"], "I may be late");
    let page = app
        .get(&format!("/p/{token}"), None)
        .await
        .text()
        .await
        .expect("html");
    assert!(
        page.contains("Ваш ответ: <strong class=\"answer\">возможно, придёт</strong>"),
        "{page}"
    );
}

async fn reminders(app: &TestApp, session: Uuid) -> usize {
    emails(app, session)
        .await
        .iter()
        .filter(|m| m.kind == "session_reminder")
        .count()
}

#[tokio::test]
async fn reminders_go_once_per_kind_and_recipient_follow_a_move_and_skip_cancelled_sessions() {
    let app = spawn_app().await;
    let s = accepted_case(&app, "REM", json!({})).await;
    let start = tuesday_at_ten(7);
    let session: Value = book(
        &app,
        &s,
        json!({"starts_at": rfc(start), "duration_minutes": 60, "online_url": "https://video.example.kz/r/6"}),
    )
    .await
    .json()
    .await
    .expect("json");
    let sid = id(&session);
    let run = |at: DateTime<Utc>| {
        let app = &app;
        async move {
            kelisim::services::reminders::send_due(&app.db, &app.settings, at)
                .await
                .expect("reminders")
        }
    };

    assert_eq!(run(start - Duration::hours(50)).await, 0, "too early");
    assert_eq!(run(start - Duration::hours(47)).await, 3, "48 h: everyone");
    assert_eq!(run(start - Duration::hours(46)).await, 0, "once");
    assert_eq!(run(start - Duration::minutes(90)).await, 3, "2 h");
    assert_eq!(run(start - Duration::minutes(60)).await, 0);
    assert_eq!(reminders(&app, sid).await, 6);

    // Moved two days later: reminded again for the new time.
    let later = start + Duration::days(2);
    let resp = app
        .patch(
            &format!("/api/v1/sessions/{sid}"),
            Some(&s.mediator_token),
            json!({"starts_at": rfc(later)}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(run(later - Duration::hours(47)).await, 3);

    // Cancelled: no more reminders.
    let resp = app
        .post(
            &format!("/api/v1/sessions/{sid}/cancel"),
            Some(&s.clerk),
            json!({"reason": "Settled"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(run(later - Duration::minutes(90)).await, 0);
    assert_eq!(reminders(&app, sid).await, 9);
}

/// SQLite has no exclusion constraints; there bookings are serialised by its
/// write lock instead (see the concurrency test).
#[tokio::test]
#[ignore = "needs PostgreSQL: run with KELISIM_TEST_POSTGRES_URL set and -- --include-ignored"]
async fn postgresql_only_the_database_itself_refuses_overlapping_sessions() {
    use sea_orm::{ActiveModelTrait, DatabaseBackend, Set};
    require_postgres();
    let app = spawn_app().await;
    assert_eq!(app.db.get_database_backend(), DatabaseBackend::Postgres);
    let s = accepted_case(&app, "EXCL", json!({})).await;
    let start = tuesday_at_ten(7);
    let insert = |offset: i64| {
        let db = app.db.clone();
        let (case, mediator) = (s.case, s.mediator);
        async move {
            let at = Utc::now();
            entity::sessions::ActiveModel {
                id: Set(Uuid::now_v7()),
                case_id: Set(case),
                mediator_id: Set(mediator),
                starts_at: Set(start + Duration::minutes(offset)),
                ends_at: Set(start + Duration::minutes(offset + 60)),
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
            .insert(&db)
            .await
        }
    };
    insert(0).await.expect("the first session");
    let err = insert(30).await.expect_err("an overlapping session");
    assert!(
        err.to_string().contains("ex_sessions_mediator_overlap"),
        "{err}"
    );
    insert(60).await.expect("touching is not overlapping");
}

/// Messages the SMTP server received that carry an invitation, read.
fn invitations_received(smtp: &SmtpServer) -> Vec<(String, Read)> {
    smtp.messages()
        .into_iter()
        .map(|raw| String::from_utf8(raw).expect("UTF-8 message"))
        .filter(|raw| raw.contains("text/calendar"))
        .map(|raw| {
            let r = read(&raw);
            (raw, r)
        })
        .collect()
}

#[tokio::test]
async fn invitations_booked_while_smtp_is_down_arrive_once_each_through_a_real_smtp_server() {
    let dir = tempfile::tempdir().expect("dir");
    let mut smtp = SmtpServer::start(&dir.path().join("smtp"));
    let url = smtp.url();
    let app = spawn_app_with(|s| {
        s.smtp_url = Some(url);
        s.delivery_retry_base_seconds = 1;
    })
    .await;
    let s = accepted_case(&app, "SMTP", json!({})).await;
    // Referral (2) and assignment (2) emails first.
    wait_until_delivered(&app.db, &smtp, 4).await;

    smtp.stop();
    let start = tuesday_at_ten(7);
    let resp = book(
        &app,
        &s,
        json!({"starts_at": rfc(start), "duration_minutes": 60, "online_url": "https://video.example.kz/r/7"}),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let sid = id(&resp.json::<Value>().await.expect("json"));
    // The worker tried each invitation while the server was down, and will
    // try again.
    let app_ref = &app;
    wait_until(
        "the three invitations tried and put back",
        std::time::Duration::from_secs(15),
        || async move {
            let tried = emails(app_ref, sid).await;
            tried.len() == 3
                && tried
                    .iter()
                    .all(|m| m.attempts >= 1 && m.status == "pending" && m.last_error.is_some())
        },
    )
    .await;
    smtp.start_again(SmtpOptions::default());
    wait_until_delivered(&app.db, &smtp, 7).await;

    let all = entity::outbox_messages::Entity::find()
        .all(&app.db)
        .await
        .expect("outbox");
    assert_eq!(smtp.count(), all.len(), "every message exactly once");
    let received = invitations_received(&smtp);
    assert_eq!(received.len(), 3, "one invitation per recipient");
    let recipients: Vec<String> = received.iter().map(|(_, r)| r.to.clone()).collect();
    let mut uids = std::collections::BTreeMap::new();
    for (raw, r) in &received {
        assert_eq!(r.mime_method, "REQUEST");
        assert_eq!(r.ical.method(), "REQUEST");
        let event = r.ical.event();
        assert_eq!(event.texts("ATTENDEE"), [format!("mailto:{}", r.to)]);
        // 10:00 in Almaty is 05:00Z: UTC+5 since March 2024.
        assert_eq!(event.utc("DTSTART"), start, "DTSTART in UTC");
        assert_eq!(start.format("%H:%M").to_string(), "05:00");
        for other in recipients.iter().filter(|o| **o != r.to) {
            assert!(!raw.contains(other.as_str()), "{} sees {other}", r.to);
        }
        uids.insert(
            r.to.clone(),
            (event.text("UID").to_owned(), event.integer("SEQUENCE")),
        );
    }

    // Moved, then cancelled: the same UIDs with rising SEQUENCE arrive.
    let resp = app
        .patch(
            &format!("/api/v1/sessions/{sid}"),
            Some(&s.mediator_token),
            json!({"starts_at": rfc(start + Duration::hours(2))}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    wait_until_delivered(&app.db, &smtp, 10).await;
    let resp = app
        .post(
            &format!("/api/v1/sessions/{sid}/cancel"),
            Some(&s.clerk),
            json!({"reason": "Settled before the session"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    wait_until_delivered(&app.db, &smtp, 13).await;
    let received = invitations_received(&smtp);
    assert_eq!(received.len(), 9);
    for (_, r) in &received {
        let (uid, _) = &uids[&r.to];
        let event = r.ical.event();
        assert_eq!(event.text("UID"), uid, "UID stable for {}", r.to);
        let expected = match event.integer("SEQUENCE") {
            0 => "REQUEST",
            1 => "REQUEST",
            2 => "CANCEL",
            other => panic!("unexpected SEQUENCE {other}"),
        };
        assert_eq!(r.mime_method, expected);
        assert_eq!(r.ical.method(), expected);
    }
}

/// A booking reads only the part of the calendar near the session: these
/// are the edges of that part. Time off that began weeks before, a session
/// as long as sessions get that began hours before, and the buffer exactly.
#[tokio::test]
async fn a_booking_sees_long_time_off_long_sessions_and_the_buffer_exactly() {
    let app = spawn_app().await;
    let s = accepted_case(&app, "EDGE", json!({})).await;
    let online = "https://video.example.kz/r/9";
    let at = |start: DateTime<Utc>, minutes: i64| json!({"starts_at": rfc(start), "duration_minutes": minutes, "online_url": online});
    let refused_because = |resp: reqwest::Response| async move {
        problem(resp, StatusCode::CONFLICT).await["reasons"].clone()
    };

    // Time off from three weeks before the Tuesday to its 11:00.
    let tuesday = tuesday_at_ten(21);
    let resp = app
        .post(
            &format!("/api/v1/mediators/{}/time-off", s.mediator),
            Some(&s.mediator_token),
            json!({"starts_at": rfc(tuesday - Duration::days(21)), "ends_at": rfc(tuesday + Duration::hours(1)), "note": "leave"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert_eq!(
        refused_because(book(&app, &s, at(tuesday + Duration::minutes(30), 60)).await).await,
        json!(["mediator_unavailable"])
    );
    let resp = book(&app, &s, at(tuesday + Duration::hours(1), 60)).await;
    assert_eq!(resp.status(), StatusCode::CREATED);

    // The longest session, 09:00–17:00 on the next Tuesday. An hour at
    // 16:00 meets it (the mediator, not only the parties, is taken).
    let next = tuesday + Duration::days(7) - Duration::hours(1);
    let resp = book(&app, &s, at(next, 480)).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert_eq!(
        refused_because(book(&app, &s, at(next + Duration::hours(7), 60)).await).await,
        json!(["mediator_unavailable"])
    );

    // The buffer is 15 minutes: a session may start 15 minutes after the
    // one before ends, not 14 (off the grid anyway) and not at its end.
    let wednesday = tuesday + Duration::days(1);
    let resp = book(&app, &s, at(wednesday, 60)).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert_eq!(
        refused_because(book(&app, &s, at(wednesday + Duration::minutes(60), 30)).await).await,
        json!(["mediator_unavailable"])
    );
    let resp = book(&app, &s, at(wednesday + Duration::minutes(75), 30)).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    // And before: ending 15 minutes before the first is fine, 0 is not.
    assert_eq!(
        refused_because(book(&app, &s, at(wednesday - Duration::minutes(30), 30)).await).await,
        json!(["mediator_unavailable"])
    );
    let resp = book(&app, &s, at(wednesday - Duration::minutes(45), 30)).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
}
