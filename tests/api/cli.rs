//! The `kelisim` binary itself: `user add`, `migrate`, `demo`, and `serve` with a
//! graceful stop on SIGTERM.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{Kelisim, TestDatabase, eml_files, free_port, kelisim_command, wait_until};

fn user_add(
    db_url: &str,
    dir: &std::path::Path,
    args: &[&str],
    password: &str,
) -> std::process::Output {
    let mut child = kelisim_command(dir, db_url)
        .args(["user", "add"])
        .args(args)
        .arg("--password-stdin")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start kelisim");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{password}\n").as_bytes())
        .expect("write password");
    child.wait_with_output().expect("kelisim ran")
}

async fn wait_until_healthy(client: &reqwest::Client, base: &str) {
    wait_until(
        "the server to answer /healthz",
        Duration::from_secs(30),
        || async move {
            client
                .get(format!("{base}/healthz"))
                .send()
                .await
                .is_ok_and(|r| r.status() == StatusCode::OK)
        },
    )
    .await;
}

#[tokio::test]
async fn user_add_then_token_then_court_and_clerk_work_end_to_end() {
    let dir = tempfile::tempdir().expect("dir");
    let db = TestDatabase::create(dir.path()).await;

    let migrate = kelisim_command(dir.path(), &db.url)
        .arg("migrate")
        .output()
        .expect("migrate ran");
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );

    let out = user_add(
        &db.url,
        dir.path(),
        &[
            "--role",
            "admin",
            "--email",
            "root@court.kz",
            "--name",
            "Root Admin",
        ],
        "a long admin password",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let bad = user_add(
        &db.url,
        dir.path(),
        &["--role", "admin", "--email", "x@court.kz", "--name", "X"],
        "short",
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--password"));

    let port = free_port();
    let mut server = Kelisim::spawn(
        kelisim_command(dir.path(), &db.url)
            .arg("serve")
            .env("KELISIM_BIND", format!("127.0.0.1:{port}")),
    );
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    wait_until_healthy(&client, &base).await;

    let token: Value = client
        .post(format!("{base}/api/v1/auth/token"))
        .json(&json!({"email": "root@court.kz", "password": "a long admin password"}))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let token = token["token"].as_str().expect("token").to_owned();
    let court: Value = client
        .post(format!("{base}/api/v1/courts"))
        .bearer_auth(&token)
        .json(&json!({"code": "ALM-1", "name": "Almaly district court", "timezone": "Asia/Almaty", "default_language": "kk"}))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let clerk = client
        .post(format!("{base}/api/v1/users"))
        .bearer_auth(&token)
        .json(&json!({"email": "clerk@court.kz", "name": "Clerk", "role": "clerk", "court_id": court["id"], "language": "ru", "password": "another long password"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(clerk.status(), StatusCode::CREATED);

    // SIGTERM stops the server gracefully, with a successful exit.
    let status = server.terminate(Duration::from_secs(20)).await;
    assert!(status.success(), "exit status {status:?}");
}

#[test]
fn help_explains_each_command() {
    let out = Command::new(env!("CARGO_BIN_EXE_kelisim"))
        .arg("--help")
        .output()
        .expect("ran");
    let text = String::from_utf8_lossy(&out.stdout);
    for word in ["serve", "migrate", "user"] {
        assert!(text.contains(word), "--help mentions {word}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_kelisim"))
        .args(["user", "add", "--help"])
        .output()
        .expect("ran");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("--password-stdin") && text.contains("--role"));
}

/// Rows of the tables `demo` fills, to see that a refused second run
/// changes nothing.
async fn demo_table_counts(db: &sea_orm::DatabaseConnection) -> Vec<u64> {
    use sea_orm::{EntityTrait, PaginatorTrait};
    vec![
        entity::courts::Entity::find()
            .count(db)
            .await
            .expect("courts"),
        entity::users::Entity::find()
            .count(db)
            .await
            .expect("users"),
        entity::mediators::Entity::find()
            .count(db)
            .await
            .expect("mediators"),
        entity::cases::Entity::find()
            .count(db)
            .await
            .expect("cases"),
        entity::parties::Entity::find()
            .count(db)
            .await
            .expect("parties"),
        entity::sessions::Entity::find()
            .count(db)
            .await
            .expect("sessions"),
        entity::outbox_messages::Entity::find()
            .count(db)
            .await
            .expect("outbox"),
        entity::audit_log::Entity::find()
            .count(db)
            .await
            .expect("audit"),
    ]
}

#[tokio::test]
async fn demo_loads_courts_mediators_and_cases_once_and_its_clerk_can_log_in() {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

    let dir = tempfile::tempdir().expect("dir");
    let db = TestDatabase::create(dir.path()).await;
    let started = chrono::Utc::now();

    let out = kelisim_command(dir.path(), &db.url)
        .arg("demo")
        .output()
        .expect("demo ran");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    for expected in [
        "admin@kelisim.example",
        "clerk.almaty@kelisim.example",
        "clerk.astana@kelisim.example",
        "a.sadykova@kelisim.example",
        "/api/v1/auth/token",
        "spool folder",
        "/document.pdf",
    ] {
        assert!(
            stdout.contains(expected),
            "the output names {expected}:\n{stdout}"
        );
    }

    // The password is made for this run and printed once.
    let password = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Every demo account has the password: "))
        .expect("the password is printed")
        .trim()
        .to_owned();
    assert!(
        password.starts_with("demo-") && password.len() >= 20,
        "{password}"
    );
    assert!(!stdout.contains("demo-password-2026"));

    let conn = sea_orm::Database::connect(db.url.as_str())
        .await
        .expect("open the database");
    let counts = demo_table_counts(&conn).await;
    assert_eq!(counts[0], 2, "courts");
    assert!(counts[2] >= 30, "mediators: {}", counts[2]);
    let cases = entity::cases::Entity::find()
        .all(&conn)
        .await
        .expect("cases");
    assert_eq!(cases.len(), 24);
    // The report's facts of every case are what its rows say.
    let facts = crate::report_facts::facts_hold(&conn, "demo").await;
    assert!(facts.iter().any(|f| f.days_to_outcome.is_some()));
    assert!(facts.iter().any(|f| f.invited_parties > 0));
    let statuses: std::collections::BTreeSet<&str> =
        cases.iter().map(|c| c.status.as_str()).collect();
    for status in [
        "referred",
        "mediator_proposed",
        "mediator_accepted",
        "scheduled",
        "withdrawn",
        "outcome_recorded",
        "submitted_to_court",
        "registered",
        "returned",
    ] {
        assert!(
            statuses.contains(status),
            "a case is {status}: {statuses:?}"
        );
    }
    assert!(
        cases
            .iter()
            .any(|c| c.violence_reported && c.status == "scheduled")
    );
    let parties = entity::parties::Entity::find()
        .all(&conn)
        .await
        .expect("parties");
    assert!(
        parties.iter().all(|p| p.email.ends_with(".example")),
        "every party address is on a reserved domain"
    );
    assert!(parties.iter().any(|p| p.is_minor) && parties.iter().any(|p| p.role == "guardian"));

    // Sessions in the coming week, each invitation emailed once to its recipient.
    let sessions = entity::sessions::Entity::find()
        .all(&conn)
        .await
        .expect("sessions");
    assert!(sessions.len() >= 5, "sessions: {}", sessions.len());
    let week = started + chrono::Duration::days(7);
    for s in &sessions {
        // Sessions of the settled cases are played as held.
        assert!(
            s.status == "scheduled" || s.status == "held",
            "{}",
            s.status
        );
        assert!(
            s.starts_at > started && s.starts_at < week,
            "{} is in the coming week",
            s.starts_at
        );
    }
    assert!(sessions.iter().any(|s| s.room_id.is_some()));
    assert!(sessions.iter().any(|s| s.online_url.is_some()));
    assert!(sessions.iter().any(|s| s.format == "separate"));
    let invitations = entity::invitations::Entity::find()
        .all(&conn)
        .await
        .expect("invitations");
    assert!(invitations.len() > sessions.len());
    for inv in &invitations {
        let sent = entity::outbox_messages::Entity::find()
            .filter(entity::outbox_messages::Column::SessionId.eq(inv.session_id))
            .filter(entity::outbox_messages::Column::Recipient.eq(inv.email.as_str()))
            .all(&conn)
            .await
            .expect("outbox");
        assert_eq!(sent.len(), 1, "one invitation email to {}", inv.email);
    }
    // Settlements at every stage, each with its agreement stored and hashed.
    let outcomes = entity::outcomes::Entity::find()
        .all(&conn)
        .await
        .expect("outcomes");
    assert_eq!(outcomes.len(), 4);
    for o in &outcomes {
        let pdf = o.document_pdf.as_deref().expect("a PDF");
        assert!(pdf.starts_with(b"%PDF-"));
        use sha2::Digest;
        assert_eq!(
            o.document_pdf_sha256.as_deref(),
            Some(hex::encode(sha2::Sha256::digest(pdf)).as_str())
        );
    }

    // Without SMTP the emails are already in the spool folder.
    let spooled = eml_files(&dir.path().join("mail")) as u64;
    assert_eq!(spooled, counts[6], "every outbox message is in the spool");

    // A second run refuses, says why, and changes nothing.
    let again = kelisim_command(dir.path(), &db.url)
        .arg("demo")
        .output()
        .expect("demo ran again");
    assert!(!again.status.success());
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("already holds"), "{stderr}");
    assert!(!String::from_utf8_lossy(&again.stdout).contains("password"));
    assert_eq!(demo_table_counts(&conn).await, counts);
    conn.close().await.ok();

    // The printed clerk logs in and sees the cases of their court.
    let port = free_port();
    let mut server = Kelisim::spawn(
        kelisim_command(dir.path(), &db.url)
            .arg("serve")
            .env("KELISIM_BIND", format!("127.0.0.1:{port}")),
    );
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    wait_until_healthy(&client, &base).await;
    let resp = client
        .post(format!("{base}/api/v1/auth/token"))
        .json(&json!({"email": "clerk.almaty@kelisim.example", "password": password}))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::OK);
    let token: Value = resp.json().await.expect("json");
    let token = token["token"].as_str().expect("token").to_owned();
    let listed: Value = client
        .get(format!("{base}/api/v1/cases?limit=100"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(12));
    // The registered agreement printed by `demo` opens as a PDF.
    let printed = stdout
        .lines()
        .find(|l| l.trim_end().ends_with("/document.pdf"))
        .expect("a document link");
    let path = &printed[printed.find("/p/").expect("a party link")..];
    let pdf = client
        .get(format!("{base}{}", path.trim()))
        .send()
        .await
        .expect("sent");
    assert_eq!(pdf.status(), StatusCode::OK);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    assert!(pdf.bytes().await.expect("body").starts_with(b"%PDF-"));
    let status = server.terminate(Duration::from_secs(20)).await;
    assert!(status.success(), "exit status {status:?}");
}

/// A server on a fresh migrated database, with `grace` seconds to stop.
async fn serve_with_grace(dir: &std::path::Path, db: &TestDatabase, grace: u64) -> (Kelisim, u16) {
    let migrate = kelisim_command(dir, &db.url)
        .arg("migrate")
        .output()
        .expect("migrate ran");
    assert!(migrate.status.success());
    let port = free_port();
    let server = Kelisim::spawn(
        kelisim_command(dir, &db.url)
            .arg("serve")
            .env("KELISIM_BIND", format!("127.0.0.1:{port}"))
            .env("KELISIM_SHUTDOWN_GRACE_SECONDS", grace.to_string()),
    );
    wait_until_healthy(&reqwest::Client::new(), &format!("http://127.0.0.1:{port}")).await;
    (server, port)
}

/// Sends a login request whose body is only half written yet.
async fn half_sent_login(port: u16) -> (tokio::net::TcpStream, &'static [u8]) {
    use tokio::io::AsyncWriteExt;
    let body: &'static [u8] = br#"{"email":"nobody@court.kz","password":"not the password"}"#;
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let head = format!(
        "POST /api/v1/auth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("head");
    stream.write_all(&body[..10]).await.expect("half the body");
    // The server accepts the connection and starts reading the request.
    tokio::time::sleep(Duration::from_millis(300)).await;
    (stream, &body[10..])
}

#[tokio::test]
async fn a_request_in_flight_at_sigterm_is_answered_before_the_process_exits() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().expect("dir");
    let db = TestDatabase::create(dir.path()).await;
    let (mut server, port) = serve_with_grace(dir.path(), &db, 20).await;
    let (mut stream, rest) = half_sent_login(port).await;
    server.send_sigterm();
    tokio::time::sleep(Duration::from_millis(300)).await;
    stream.write_all(rest).await.expect("the rest of the body");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut answer))
        .await
        .expect("an answer in time")
        .expect("read");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    let status = server.wait_for_exit(Duration::from_secs(20)).await;
    assert!(status.success(), "exit status {status:?}");
}

#[tokio::test]
async fn a_request_that_never_finishes_does_not_hold_the_process_past_its_grace_period() {
    let dir = tempfile::tempdir().expect("dir");
    let db = TestDatabase::create(dir.path()).await;
    let (mut server, port) = serve_with_grace(dir.path(), &db, 1).await;
    let (_stream, _never_sent) = half_sent_login(port).await;
    let asked = std::time::Instant::now();
    server.send_sigterm();
    let status = server.wait_for_exit(Duration::from_secs(15)).await;
    assert!(status.success(), "exit status {status:?}");
    let took = asked.elapsed();
    assert!(took >= Duration::from_millis(900), "left after {took:?}");
}
