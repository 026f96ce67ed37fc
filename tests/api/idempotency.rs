use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{error_fields, problem, spawn_app};

async fn post_with_key(app: &crate::common::TestApp, key: &str, body: Value) -> reqwest::Response {
    app.client
        .post(format!("{}/api/v1/courts", app.address))
        .bearer_auth(&app.admin_token)
        .header("idempotency-key", key)
        .json(&body)
        .send()
        .await
        .expect("sent")
}

#[tokio::test]
async fn a_retried_create_with_the_same_key_returns_the_first_response_and_creates_once() {
    let app = spawn_app().await;
    let body = json!({"code": "IDEM-1", "name": "Court", "timezone": "Asia/Almaty", "default_language": "ru"});
    let first = post_with_key(&app, "key-1", body.clone()).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let location = first.headers()["location"].clone();
    let first: Value = first.json().await.expect("json");
    let second = post_with_key(&app, "key-1", body).await;
    assert_eq!(second.status(), StatusCode::CREATED);
    assert_eq!(second.headers()["location"], location);
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    let second: Value = second.json().await.expect("json");
    assert_eq!(first, second);
    let list: Value = app
        .get("/api/v1/courts", Some(&app.admin_token))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn reusing_a_key_for_a_different_request_is_refused() {
    let app = spawn_app().await;
    let a = json!({"code": "IDEM-2", "name": "Court", "timezone": "Asia/Almaty", "default_language": "ru"});
    let b = json!({"code": "IDEM-3", "name": "Court", "timezone": "Asia/Almaty", "default_language": "ru"});
    assert_eq!(
        post_with_key(&app, "key-2", a).await.status(),
        StatusCode::CREATED
    );
    let resp = post_with_key(&app, "key-2", b).await;
    assert_eq!(
        error_fields(&problem(resp, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["Idempotency-Key"]
    );
}

#[tokio::test]
async fn an_error_response_is_replayed_too_and_changes_nothing() {
    let app = spawn_app().await;
    let bad =
        json!({"code": "IDEM-4", "name": "Court", "timezone": "Nowhere", "default_language": "ru"});
    let first = post_with_key(&app, "key-3", bad.clone()).await;
    assert_eq!(first.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let second = post_with_key(&app, "key-3", bad).await;
    problem(second, StatusCode::UNPROCESSABLE_ENTITY).await;
}
