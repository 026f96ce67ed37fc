//! Email delivery against a real SMTP server (`tests/common/smtp.rs`):
//! every message arrives exactly once — counted by Message-ID — through an
//! SMTP outage, a delivery process killed mid-batch, and several workers on
//! one database; permanent refusals end `failed` and an admin can retry them.

use std::collections::HashMap;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use kelisim::config::Settings;
use kelisim::domain::{EmailAddress, Language, Role};
use kelisim::mail::templates::CertificationExpiring;
use kelisim::mail::transport::Transport;
use kelisim::services::delivery;
use kelisim::services::emails::{self, Addressee};
use mail_parser::{MessageParser, PartType};
use reqwest::StatusCode;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, TransactionTrait,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::smtp::{SmtpOptions, SmtpServer};
use crate::common::{
    Kelisim, PASSWORD, TestDatabase, kelisim_command, problem, spawn_app_with, wait_until,
    wait_until_delivered,
};

use entity::outbox_messages::{Column, Entity, Model};

fn recipient(i: usize) -> String {
    format!("mediator{i:04}@court.test")
}

/// Enqueues one `certification_expiring` email per recipient, all in one
/// transaction, the way the jobs do; returns their ids.
async fn enqueue(db: &DatabaseConnection, settings: &Settings, recipients: &[String]) -> Vec<Uuid> {
    let txn = db.begin().await.expect("begin");
    let mut ids = Vec::new();
    for (i, to) in recipients.iter().enumerate() {
        let address = EmailAddress::parse(to).expect("address");
        let language = [Language::En, Language::Ru, Language::Kk][i % 3];
        let name = format!("Mediator {i}");
        let id = emails::send_certification_expiring(
            &txn,
            settings,
            Addressee {
                address: &address,
                name: &name,
                language,
            },
            CertificationExpiring {
                name: name.clone(),
                registry_number: format!("MED-{i:05}"),
                certified_until: "2027-01-31".into(),
            },
        )
        .await
        .expect("enqueue");
        ids.push(id);
    }
    txn.commit().await.expect("commit");
    ids
}

async fn enqueue_n(db: &DatabaseConnection, settings: &Settings, n: usize) -> Vec<Uuid> {
    let recipients: Vec<String> = (0..n).map(recipient).collect();
    enqueue(db, settings, &recipients).await
}

async fn rows(db: &DatabaseConnection) -> Vec<Model> {
    Entity::find().all(db).await.expect("outbox rows")
}

async fn count_status(db: &DatabaseConnection, status: &str) -> u64 {
    Entity::find()
        .filter(Column::Status.eq(status))
        .count(db)
        .await
        .expect("count")
}

/// How many times each Message-ID arrived.
fn arrivals(smtp: &SmtpServer) -> HashMap<String, usize> {
    let mut seen = HashMap::new();
    for raw in smtp.messages() {
        let parsed = MessageParser::default()
            .parse(&raw)
            .expect("a parsable message");
        let id = parsed.message_id().expect("a Message-ID").to_owned();
        *seen.entry(id).or_insert(0) += 1;
    }
    seen
}

/// Every outbox message arrived exactly once, and nothing else did.
fn assert_each_arrived_once(smtp: &SmtpServer, outbox: &[Model]) {
    let seen = arrivals(smtp);
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        twice.is_empty(),
        "{} messages arrived more than once, e.g. {:?}",
        twice.len(),
        &twice[..twice.len().min(3)]
    );
    for m in outbox {
        let id = m.message_id.trim_matches(['<', '>']);
        assert_eq!(seen.get(id), Some(&1), "message {} ({id})", m.id);
    }
    assert_eq!(
        seen.len(),
        outbox.len(),
        "no message that is not in the outbox"
    );
}

/// Every message is `sent`, once, with no lease left.
async fn assert_all_sent_once(db: &DatabaseConnection, n: usize) -> Vec<Model> {
    let all = rows(db).await;
    assert_eq!(all.len(), n);
    for m in &all {
        assert_eq!(m.status, "sent", "{} ({:?})", m.id, m.last_error);
        assert!(m.sent_at.is_some() && m.lease_until.is_none(), "{m:?}");
    }
    all
}

#[tokio::test]
async fn every_message_reaches_smtp_once_within_seconds_with_from_to_subject_text_and_html() {
    let dir = tempfile::tempdir().expect("dir");
    let smtp = SmtpServer::start(&dir.path().join("smtp"));
    let url = smtp.url();
    let app = spawn_app_with(|s| s.smtp_url = Some(url)).await;

    let n = 30;
    enqueue_n(&app.db, &app.settings, n).await;
    let committed = Instant::now();
    smtp.wait_for_count(n, Duration::from_secs(20)).await;
    let elapsed = committed.elapsed();
    // The worker polls every second; a fresh batch goes out right away.
    assert!(
        elapsed < Duration::from_secs(5),
        "{n} messages took {elapsed:?}"
    );
    wait_until_delivered(&app.db, &smtp, n).await;

    let outbox = assert_all_sent_once(&app.db, n).await;
    assert!(outbox.iter().all(|m| m.attempts == 1));
    assert_each_arrived_once(&smtp, &outbox);

    let by_id: HashMap<String, &Model> = outbox
        .iter()
        .map(|m| (m.message_id.trim_matches(['<', '>']).to_owned(), m))
        .collect();
    for raw in smtp.messages() {
        let parsed = MessageParser::default().parse(&raw).expect("parsable");
        let m = by_id[parsed.message_id().expect("Message-ID")];
        // Byte for byte what was enqueued (dot-stuffing undone by the server).
        assert_eq!(
            String::from_utf8_lossy(&raw).trim_end_matches("\r\n"),
            m.raw_message.trim_end_matches("\r\n")
        );
        let from = parsed.from().and_then(|a| a.first()).expect("From");
        assert_eq!(from.address(), Some("no-reply@kelisim.local"));
        let to = parsed.to().and_then(|a| a.first()).expect("To");
        assert_eq!(to.address(), Some(m.recipient.as_str()));
        assert_eq!(parsed.subject(), Some(m.subject.as_str()));
        assert!(m.subject.contains("2027-01-31"), "{}", m.subject);
        let text = parsed
            .parts
            .iter()
            .find_map(|p| match &p.body {
                PartType::Text(t) => Some(t.to_string()),
                _ => None,
            })
            .expect("a text/plain part");
        let html = parsed
            .parts
            .iter()
            .find_map(|p| match &p.body {
                PartType::Html(h) => Some(h.to_string()),
                _ => None,
            })
            .expect("a text/html part");
        assert!(text.contains("MED-"), "{text}");
        assert!(html.contains("<strong>2027-01-31</strong>"), "{html}");
    }
}

#[tokio::test]
async fn nothing_is_lost_while_the_smtp_server_is_down_and_each_arrives_once_after() {
    let dir = tempfile::tempdir().expect("dir");
    let mut smtp = SmtpServer::start(&dir.path().join("smtp"));
    smtp.stop();
    let url = smtp.url();
    let app = spawn_app_with(|s| {
        s.smtp_url = Some(url);
        s.delivery_retry_base_seconds = 1;
    })
    .await;

    let n = 20;
    enqueue_n(&app.db, &app.settings, n).await;
    // Every message has been tried and put back, none given up.
    let db = &app.db;
    wait_until(
        "every message tried once",
        Duration::from_secs(15),
        || async move {
            rows(db)
                .await
                .iter()
                .all(|m| m.attempts >= 1 && m.status == "pending" && m.last_error.is_some())
        },
    )
    .await;
    assert_eq!(count_status(&app.db, "failed").await, 0);

    smtp.start_again(SmtpOptions::default());
    smtp.wait_for_count(n, Duration::from_secs(20)).await;
    wait_until_delivered(&app.db, &smtp, n).await;

    let outbox = assert_all_sent_once(&app.db, n).await;
    assert_each_arrived_once(&smtp, &outbox);
}

/// `kelisim serve` as a separate process, delivering from `db_url`.
fn serve(dir: &Path, db_url: &str, smtp_url: &str, log: &str) -> Kelisim {
    let log = std::fs::File::create(dir.join(log)).expect("log file");
    Kelisim::spawn(
        kelisim_command(dir, db_url)
            .arg("serve")
            .env("KELISIM_BIND", "127.0.0.1:0")
            .env("KELISIM_SMTP_URL", smtp_url)
            .env("KELISIM_DELIVERY_LEASE_SECONDS", "4")
            .env("KELISIM_DELIVERY_RETRY_BASE_SECONDS", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log)),
    )
}

#[tokio::test]
async fn a_delivery_process_killed_mid_batch_loses_nothing_and_sends_nothing_twice() {
    let dir = tempfile::tempdir().expect("dir");
    let database = TestDatabase::create(dir.path()).await;
    let settings = Settings {
        database_url: database.url.clone(),
        database_max_connections: 2,
        ..Settings::default()
    };
    let db = kelisim::db::connect(&settings).await.expect("connect");
    kelisim::migrate(&db).await.expect("migrate");

    // The server takes 40 messages, then never answers again: the kill lands
    // while messages are in flight (claimed, handed over, not answered), and
    // never between an acceptance and the `sent` that follows it.
    let accepted_before_kill = 40;
    let mut smtp = SmtpServer::start_with(
        &dir.path().join("smtp"),
        SmtpOptions {
            hold_after: Some(accepted_before_kill),
            ..SmtpOptions::default()
        },
    );
    let n = 300;
    enqueue_n(&db, &settings, n).await;

    let mut first = serve(dir.path(), &database.url, &smtp.url(), "first.log");
    smtp.wait_for_count(accepted_before_kill, Duration::from_secs(30))
        .await;
    // The accepted ones are recorded `sent`; the held ones stay unanswered.
    let db_ref = &db;
    wait_until(
        "the accepted messages recorded as sent",
        Duration::from_secs(10),
        || async move { count_status(db_ref, "sent").await == accepted_before_kill as u64 },
    )
    .await;
    first.kill();

    assert_eq!(smtp.count(), accepted_before_kill);
    assert_eq!(count_status(&db, "sent").await, accepted_before_kill as u64);
    let in_flight = count_status(&db, "sending").await;
    assert!(
        in_flight > 0,
        "the kill should leave claimed messages behind"
    );

    smtp.stop();
    smtp.start_again(SmtpOptions::default());
    let _second = serve(dir.path(), &database.url, &smtp.url(), "second.log");
    smtp.wait_for_count(n, Duration::from_secs(30)).await;
    wait_until_delivered(&db, &smtp, n).await;

    let outbox = assert_all_sent_once(&db, n).await;
    assert_each_arrived_once(&smtp, &outbox);
    db.close().await.ok();
}

#[tokio::test]
async fn several_delivery_workers_on_one_database_never_send_a_message_twice() {
    let dir = tempfile::tempdir().expect("dir");
    let smtp = SmtpServer::start(&dir.path().join("smtp"));
    let url = smtp.url();
    // The app's own worker, plus three more, each with its own connection
    // pool and SMTP pool, like separate instances.
    let app = spawn_app_with(|s| s.smtp_url = Some(url)).await;
    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for _ in 0..3 {
        let db = kelisim::db::connect(&app.settings).await.expect("connect");
        let settings = app.settings.clone();
        let transport = Transport::from_settings(&settings).expect("transport");
        let stop = stop.clone();
        workers.push(tokio::spawn(async move {
            let mut sent = 0;
            while !stop.load(Ordering::Relaxed) {
                let round = delivery::deliver_round(&db, &settings, &transport)
                    .await
                    .expect("a round");
                sent += round.sent;
                if round.claimed == 0 {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
            db.close().await.ok();
            sent
        }));
    }

    let n = 400;
    enqueue_n(&app.db, &app.settings, n).await;
    smtp.wait_for_count(n, Duration::from_secs(30)).await;
    wait_until_delivered(&app.db, &smtp, n).await;
    stop.store(true, Ordering::Relaxed);
    let mut per_worker = Vec::new();
    for w in workers {
        per_worker.push(w.await.expect("worker"));
    }

    let outbox = assert_all_sent_once(&app.db, n).await;
    assert!(
        outbox.iter().all(|m| m.attempts == 1),
        "each recorded one attempt"
    );
    assert_each_arrived_once(&smtp, &outbox);
    assert!(
        per_worker.iter().filter(|s| **s > 0).count() >= 2,
        "the workers shared the work: {per_worker:?}"
    );
}

#[tokio::test]
async fn a_permanent_refusal_ends_failed_is_listed_for_admins_and_sent_after_a_retry() {
    let dir = tempfile::tempdir().expect("dir");
    let mut smtp = SmtpServer::start_with(
        &dir.path().join("smtp"),
        SmtpOptions {
            reject: vec!["refuse".into()],
            ..SmtpOptions::default()
        },
    );
    let url = smtp.url();
    let app = spawn_app_with(|s| {
        s.smtp_url = Some(url);
        s.delivery_retry_base_seconds = 1;
    })
    .await;
    let admin = app.admin_token.clone();

    let ids = enqueue(
        &app.db,
        &app.settings,
        &[recipient(1), "refuse.me@court.test".into()],
    )
    .await;
    let (good, refused) = (ids[0], ids[1]);
    let db = &app.db;
    wait_until("the refusal recorded", Duration::from_secs(15), || async move {
        count_status(db, "failed").await == 1 && count_status(db, "sent").await == 1
    })
    .await;
    let failed = Entity::find_by_id(refused)
        .one(&app.db)
        .await
        .expect("read")
        .expect("row");
    // 5xx: no retries.
    assert_eq!(failed.attempts, 1);
    assert!(
        failed
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("550"),
        "{:?}",
        failed.last_error
    );

    // Listed for admins, recipient in full.
    let resp = app
        .get("/api/v1/admin/outbox?status=failed", Some(&admin))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.expect("json");
    let items = body["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{body}");
    let item = &items[0];
    assert_eq!(item["id"], refused.to_string());
    assert_eq!(item["recipient"], "refuse.me@court.test");
    assert_eq!(item["kind"], "certification_expiring");
    assert_eq!(item["subject"], failed.subject);
    assert_eq!(item["status"], "failed");
    assert_eq!(item["attempts"], 1);
    assert!(item["last_error"].as_str().expect("error").contains("550"));
    assert!(item["next_attempt_at"].is_string() && item["created_at"].is_string());
    assert!(item["sent_at"].is_null() && item["case_id"].is_null() && item["session_id"].is_null());
    assert!(body["next_cursor"].is_null());
    // All messages, one page at a time.
    let resp = app.get("/api/v1/admin/outbox?limit=1", Some(&admin)).await;
    let page: Value = resp.json().await.expect("json");
    assert_eq!(page["items"][0]["id"], good.to_string());
    let cursor = page["next_cursor"].as_str().expect("a next page");
    let resp = app
        .get(
            &format!("/api/v1/admin/outbox?limit=1&cursor={cursor}"),
            Some(&admin),
        )
        .await;
    let page: Value = resp.json().await.expect("json");
    assert_eq!(page["items"][0]["id"], refused.to_string());
    problem(
        app.get("/api/v1/admin/outbox?status=lost", Some(&admin))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;

    // Only admins.
    app.create_user_directly(Role::Mediator, "m@court.test", None)
        .await;
    let mediator = app.login("m@court.test", PASSWORD).await;
    problem(
        app.get("/api/v1/admin/outbox", Some(&mediator)).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let retry = format!("/api/v1/admin/outbox/{refused}/retry");
    problem(
        app.post(&retry, Some(&mediator), json!({})).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    problem(
        app.post(
            &format!("/api/v1/admin/outbox/{good}/retry"),
            Some(&admin),
            json!({}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    problem(
        app.post(
            &format!("/api/v1/admin/outbox/{}/retry", Uuid::now_v7()),
            Some(&admin),
            json!({}),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;

    // The server now takes it; the retry sends it, once.
    smtp.stop();
    smtp.start_again(SmtpOptions::default());
    let resp = app.post(&retry, Some(&admin), json!({})).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["status"], "pending");
    assert_eq!(body["attempts"], 0);
    problem(
        app.post(&retry, Some(&admin), json!({})).await,
        StatusCode::CONFLICT,
    )
    .await;
    smtp.wait_for_count(2, Duration::from_secs(15)).await;
    wait_until_delivered(&app.db, &smtp, 2).await;
    let outbox = assert_all_sent_once(&app.db, 2).await;
    assert_each_arrived_once(&smtp, &outbox);

    let audited = entity::audit_log::Entity::find()
        .filter(entity::audit_log::Column::Action.eq("outbox.retried"))
        .all(&app.db)
        .await
        .expect("audit");
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0].entity_id, Some(refused));
    assert_eq!(audited[0].from_state.as_deref(), Some("failed"));
    assert_eq!(audited[0].to_state.as_deref(), Some("pending"));
}

#[tokio::test]
async fn sigterm_during_a_delivery_round_finishes_the_sends_in_flight_and_gives_the_rest_back() {
    let dir = tempfile::tempdir().expect("dir");
    let database = TestDatabase::create(dir.path()).await;
    let settings = Settings {
        database_url: database.url.clone(),
        database_max_connections: 2,
        ..Settings::default()
    };
    let db = kelisim::db::connect(&settings).await.expect("connect");
    kelisim::migrate(&db).await.expect("migrate");
    // A slow server: each message takes 300 ms, so when SIGTERM comes most
    // of the round's claim has not been handed over yet.
    let mut smtp = SmtpServer::start_with(
        &dir.path().join("smtp"),
        SmtpOptions {
            delay_ms: 300,
            ..SmtpOptions::default()
        },
    );
    let n = delivery::BATCH as usize;
    enqueue_n(&db, &settings, n).await;

    let mut first = serve(dir.path(), &database.url, &smtp.url(), "first.log");
    smtp.wait_for_count(4, Duration::from_secs(30)).await;
    let asked = Instant::now();
    first.send_sigterm();
    let status = first.wait_for_exit(Duration::from_secs(10)).await;
    assert!(status.success(), "exit status {status:?}");
    assert!(asked.elapsed() < Duration::from_secs(3), "left promptly");

    // Whatever reached the server is recorded sent; nothing stays claimed
    // (no lease to wait for); the rest is pending with no attempt counted.
    let after = rows(&db).await;
    let sent = after.iter().filter(|m| m.status == "sent").count();
    assert_eq!(sent, smtp.count(), "each accepted message recorded sent");
    assert!(sent < n, "SIGTERM came mid-round");
    for m in after.iter().filter(|m| m.status != "sent") {
        assert_eq!(m.status, "pending", "{m:?}");
        assert!(m.lease_until.is_none() && m.attempts == 0, "{m:?}");
    }

    // The next instance sends the rest at once, each message once.
    smtp.stop();
    smtp.start_again(SmtpOptions::default());
    let _second = serve(dir.path(), &database.url, &smtp.url(), "second.log");
    smtp.wait_for_count(n, Duration::from_secs(10)).await;
    wait_until_delivered(&db, &smtp, n).await;
    let outbox = assert_all_sent_once(&db, n).await;
    assert_each_arrived_once(&smtp, &outbox);
    db.close().await.ok();
}
