//! Faults the service must survive without a restart and without losing or
//! half-writing anything.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::proxy::Proxy;
use crate::common::{require_postgres, spawn_app_with, wait_until};

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
