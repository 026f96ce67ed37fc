//! The `kelisim` binary itself: `user add`, `migrate`, and `serve` with a
//! graceful stop on SIGTERM.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::TestDatabase;

fn kelisim(db_url: &str, dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kelisim"));
    cmd.current_dir(dir)
        .env("KELISIM_DATABASE_URL", db_url)
        .env("KELISIM_MAIL_SPOOL_DIR", dir.join("mail"))
        .env("KELISIM_LOG", "warn");
    cmd
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn user_add(
    db_url: &str,
    dir: &std::path::Path,
    args: &[&str],
    password: &str,
) -> std::process::Output {
    let mut child = kelisim(db_url, dir)
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
    let start = Instant::now();
    loop {
        if let Ok(r) = client.get(format!("{base}/healthz")).send().await
            && r.status() == StatusCode::OK
        {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "server did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn user_add_then_token_then_court_and_clerk_work_end_to_end() {
    let dir = tempfile::tempdir().expect("dir");
    let db = TestDatabase::create(dir.path()).await;

    let migrate = kelisim(&db.url, dir.path())
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
    let mut server = kelisim(&db.url, dir.path())
        .arg("serve")
        .env("KELISIM_BIND", format!("127.0.0.1:{port}"))
        .spawn()
        .expect("serve");
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
    let pid = server.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    let start = Instant::now();
    let status = loop {
        if let Some(status) = server.try_wait().expect("wait") {
            break status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "server did not stop on SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
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
