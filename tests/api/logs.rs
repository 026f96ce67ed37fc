//! What the logs hold: the route of each request and its id, never the
//! secret of a personal link or a calendar feed, and no terminal colour
//! codes in a file. The real `kelisim` binary writes its log to a file here,
//! exactly as it would in production.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::cases::{case_body, link_of, refer};
use crate::common::{Kelisim, TestApp, free_port, id, kelisim_command, spawn_app, wait_until};
use crate::mediators::mediator_body;

/// A case with a party link and a mediator with a feed, made through the
/// API; returns (party page path, feed path).
async fn secrets(app: &TestApp) -> (String, String) {
    let court = app.create_court("LOG-1").await;
    let (_, clerk) = app.clerk_of(court).await;
    let case = refer(app, &clerk, case_body(court, "2-5001/2026")).await;
    let page = link_of(app, id(&case), "aigerim@example.kz").await;
    let resp = app
        .post(
            "/api/v1/mediators",
            Some(&app.admin_token),
            mediator_body("LOG-M1", court),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let m: Value = resp.json().await.expect("json");
    let feed = url::Url::parse(m["calendar_feed_url"].as_str().expect("feed url"))
        .expect("url")
        .path()
        .to_owned();
    (page, feed)
}

/// The secret part of `/p/{token}` or `/calendar/{secret}.ics`.
fn secret_of(path: &str) -> &str {
    path.rsplit('/')
        .next()
        .expect("a segment")
        .trim_end_matches(".ics")
}

/// Runs `kelisim serve` on the test's database with its standard output in
/// `log`, makes the requests of a party and a feed reader, stops it and
/// returns the log.
async fn serve_and_read_log(
    app: &TestApp,
    dir: &Path,
    format: &str,
    page: &str,
    feed: &str,
) -> Vec<u8> {
    let log = dir.join(format!("kelisim-{format}.log"));
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = Kelisim::spawn(
        kelisim_command(dir, &app.database.url)
            .arg("serve")
            .env("KELISIM_BIND", format!("127.0.0.1:{port}"))
            .env("KELISIM_LOG", "info")
            .env("KELISIM_LOG_FORMAT", format)
            .env_remove("NO_COLOR")
            .stdout(std::fs::File::create(&log).expect("log file"))
            .stderr(Stdio::null()),
    );
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    wait_until(
        "the server to answer /healthz",
        Duration::from_secs(30),
        || {
            let client = client.clone();
            let base = base.clone();
            async move {
                client
                    .get(format!("{base}/healthz"))
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == StatusCode::OK)
            }
        },
    )
    .await;
    let secret = secret_of(page);
    let get = |path: String, request_id: &'static str| {
        let client = client.clone();
        let base = base.clone();
        async move {
            client
                .get(format!("{base}{path}"))
                .header("x-request-id", request_id)
                .send()
                .await
                .expect("sent")
        }
    };
    assert_eq!(
        get(page.to_owned(), "page-1").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        get(format!("{page}?utm={secret}"), "page-2").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        get(format!("{page}/no-such-thing"), "page-3")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(format!("/p/{secret}x"), "page-4").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(feed.to_owned(), "feed-1").await.status(),
        StatusCode::OK
    );
    // A failed login logs a line of its own inside the request.
    let login = client
        .post(format!("{base}/api/v1/auth/token"))
        .header("x-request-id", "login-1")
        .json(&json!({"email": "admin@kelisim.test", "password": "not the password"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(login.status(), StatusCode::UNAUTHORIZED);
    server.terminate(Duration::from_secs(20)).await;
    std::fs::read(&log).expect("read the log")
}

#[tokio::test]
async fn party_link_tokens_and_feed_secrets_never_reach_the_logs() {
    let app = spawn_app().await;
    let (page, feed) = secrets(&app).await;
    let dir = tempfile::tempdir().expect("dir");
    for format in ["json", "text"] {
        let log = serve_and_read_log(&app, dir.path(), format, &page, &feed).await;
        let text = String::from_utf8(log).expect("UTF-8 log");
        for secret in [secret_of(&page), secret_of(&feed)] {
            assert!(
                !text.contains(secret),
                "a secret is in the {format} log:\n{text}"
            );
        }
        assert!(
            text.contains("/p/{token}"),
            "{format}: the page's route:\n{text}"
        );
        assert!(
            text.contains("/calendar/{file}"),
            "{format}: the feed's route:\n{text}"
        );
        assert!(
            text.contains("/p/***"),
            "{format}: an unmatched path, masked:\n{text}"
        );
    }
}

#[tokio::test]
async fn every_json_line_of_a_request_carries_its_id() {
    let app = spawn_app().await;
    let (page, feed) = secrets(&app).await;
    let dir = tempfile::tempdir().expect("dir");
    let log = serve_and_read_log(&app, dir.path(), "json", &page, &feed).await;
    let lines: Vec<Value> = String::from_utf8(log)
        .expect("UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("every line is JSON"))
        .collect();
    let of = |request_id: &str| -> Vec<&Value> {
        lines
            .iter()
            .filter(|l| l["span"]["request_id"] == request_id)
            .collect()
    };
    let login = of("login-1");
    let messages: Vec<&str> = login
        .iter()
        .map(|l| l["message"].as_str().expect("message"))
        .collect();
    assert_eq!(messages, ["login failed", "finished processing request"]);
    assert!(
        login
            .iter()
            .all(|l| l["span"]["route"] == "/api/v1/auth/token")
    );
    for request_id in ["page-1", "page-2", "feed-1"] {
        assert_eq!(of(request_id).len(), 1, "{request_id}");
    }
    // Every line written inside a request span has an id.
    for l in &lines {
        if l.get("span").is_some() {
            assert!(l["span"]["request_id"].is_string(), "{l}");
        }
    }
}

#[tokio::test]
async fn a_log_file_has_no_colour_codes() {
    let app = spawn_app().await;
    let (page, feed) = secrets(&app).await;
    let dir = tempfile::tempdir().expect("dir");
    let log = serve_and_read_log(&app, dir.path(), "text", &page, &feed).await;
    assert!(log.len() > 200, "the server logged its requests");
    assert!(
        !log.contains(&0x1b),
        "escape codes in the log file:\n{}",
        String::from_utf8_lossy(&log)
    );
}

#[tokio::test]
async fn a_request_id_is_made_kept_or_replaced_and_returned() {
    let app = spawn_app().await;
    let send = |id: Option<&str>| {
        let mut req = app.client.get(format!("{}/healthz", app.address));
        if let Some(id) = id {
            req = req.header("x-request-id", id);
        }
        req.send()
    };
    let header = |r: &reqwest::Response| {
        r.headers()["x-request-id"]
            .to_str()
            .expect("ascii")
            .to_owned()
    };
    let made = header(&send(None).await.expect("sent"));
    assert!(uuid::Uuid::parse_str(&made).is_ok(), "{made}");
    let kept = "a".repeat(64);
    assert_eq!(header(&send(Some(&kept)).await.expect("sent")), kept);
    for refused in ["a".repeat(65), "two words".to_owned(), "x\"}".to_owned()] {
        let got = header(&send(Some(&refused)).await.expect("sent"));
        assert!(
            uuid::Uuid::parse_str(&got).is_ok(),
            "{refused:?} became {got}"
        );
    }
}
