//! Every failure is application/problem+json with the documented status.

use reqwest::StatusCode;
use serde_json::json;

use crate::common::{error_fields, problem, spawn_app, spawn_app_with};

#[tokio::test]
async fn malformed_json_is_400() {
    let app = spawn_app().await;
    let resp = app
        .client
        .post(format!("{}/api/v1/courts", app.address))
        .bearer_auth(&app.admin_token)
        .header("content-type", "application/json")
        .body("{\"code\": \"A\",")
        .send()
        .await
        .expect("sent");
    problem(resp, StatusCode::BAD_REQUEST).await;
}

#[tokio::test]
async fn a_value_of_the_wrong_type_is_422_naming_the_field() {
    let app = spawn_app().await;
    let court = app.create_court("T-1").await;
    let resp = app
        .post(
            &format!("/api/v1/courts/{court}/rooms"),
            Some(&app.admin_token),
            json!({"name": "Room", "capacity": "six"}),
        )
        .await;
    assert_eq!(
        error_fields(&problem(resp, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["capacity"]
    );
}

#[tokio::test]
async fn a_missing_field_is_422_naming_it() {
    let app = spawn_app().await;
    let resp = app
        .post(
            "/api/v1/courts",
            Some(&app.admin_token),
            json!({"code": "A", "name": "B", "timezone": "Asia/Almaty"}),
        )
        .await;
    assert_eq!(
        error_fields(&problem(resp, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["default_language"]
    );
}

#[tokio::test]
async fn a_body_that_is_not_json_is_415() {
    let app = spawn_app().await;
    let resp = app
        .client
        .post(format!("{}/api/v1/courts", app.address))
        .bearer_auth(&app.admin_token)
        .header("content-type", "text/plain")
        .body("code=A")
        .send()
        .await
        .expect("sent");
    problem(resp, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let app = spawn_app_with(|s| s.max_body_bytes = 1024).await;
    let big = "x".repeat(4096);
    let resp = app
        .post(
            "/api/v1/courts",
            Some(&app.admin_token),
            json!({"code": "A", "name": big, "timezone": "Asia/Almaty", "default_language": "kk"}),
        )
        .await;
    problem(resp, StatusCode::PAYLOAD_TOO_LARGE).await;
}

#[tokio::test]
async fn an_unknown_route_is_404_problem() {
    let app = spawn_app().await;
    problem(
        app.get("/api/v1/nothing-here", Some(&app.admin_token))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(app.get("/nothing", None).await, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn a_wrong_method_is_405_problem() {
    let app = spawn_app().await;
    let resp = app
        .request(reqwest::Method::PUT, "/healthz", None, Some(json!({})))
        .await;
    problem(resp, StatusCode::METHOD_NOT_ALLOWED).await;
}

#[tokio::test]
async fn a_validation_problem_has_the_rfc_9457_members() {
    let app = spawn_app().await;
    let resp = app
        .post(
            "/api/v1/courts",
            Some(&app.admin_token),
            json!({"code": "A", "name": "B", "timezone": "x", "default_language": "kk"}),
        )
        .await;
    let p = problem(resp, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(
        p["type"]
            .as_str()
            .expect("type")
            .starts_with("urn:kelisim:problem:")
    );
    assert_eq!(p["title"], "Unprocessable Entity");
    assert!(p["detail"].as_str().expect("detail").contains("timezone"));
    assert!(p["errors"][0]["message"].is_string());
}
