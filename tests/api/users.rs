use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::{PASSWORD, error_fields, problem, spawn_app};

fn clerk_body(email: &str, court: Uuid) -> Value {
    json!({"email": email, "name": "Aigerim Sadykova", "role": "clerk", "court_id": court, "language": "kk", "password": PASSWORD})
}

#[tokio::test]
async fn an_admin_creates_a_clerk_who_can_then_log_in() {
    let app = spawn_app().await;
    let court = app.create_court("C-1").await;
    let resp = app
        .post(
            "/api/v1/users",
            Some(&app.admin_token),
            clerk_body("Aigerim@Court.kz", court),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert!(resp.headers().contains_key("location"));
    let user: Value = resp.json().await.expect("json");
    assert_eq!(user["email"], "aigerim@court.kz");
    assert_eq!(user["court_id"], court.to_string());
    assert!(user.get("password").is_none() && user.get("password_hash").is_none());
    let token = app.login("aigerim@court.kz", PASSWORD).await;
    assert_eq!(
        app.get(&format!("/api/v1/courts/{court}"), Some(&token))
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_duplicate_email_is_409_naming_the_email() {
    let app = spawn_app().await;
    let court = app.create_court("C-2").await;
    app.post(
        "/api/v1/users",
        Some(&app.admin_token),
        clerk_body("dup@court.kz", court),
    )
    .await;
    let resp = app
        .post(
            "/api/v1/users",
            Some(&app.admin_token),
            clerk_body("DUP@court.kz", court),
        )
        .await;
    assert_eq!(
        error_fields(&problem(resp, StatusCode::CONFLICT).await),
        ["email"]
    );
}

#[tokio::test]
async fn each_invalid_user_field_is_named() {
    let app = spawn_app().await;
    let court = app.create_court("C-3").await;
    let cases: Vec<(Value, &str)> = vec![
        (json!({"email": "not-an-email"}), "email"),
        (json!({"role": "judge"}), "role"),
        (json!({"language": "de"}), "language"),
        (json!({"password": "short"}), "password"),
        (json!({"name": ""}), "name"),
        (json!({"court_id": null}), "court_id"),
    ];
    for (patch, field) in cases {
        let mut body = clerk_body(&format!("{}@court.kz", Uuid::new_v4().simple()), court);
        for (k, v) in patch.as_object().expect("object") {
            body[k] = v.clone();
        }
        let resp = app
            .post("/api/v1/users", Some(&app.admin_token), body)
            .await;
        let p = problem(resp, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(error_fields(&p), [field], "for {field}");
    }
}

#[tokio::test]
async fn a_clerk_of_an_unknown_court_is_refused() {
    let app = spawn_app().await;
    let resp = app
        .post(
            "/api/v1/users",
            Some(&app.admin_token),
            clerk_body("x@court.kz", Uuid::now_v7()),
        )
        .await;
    assert_eq!(
        error_fields(&problem(resp, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["court_id"]
    );
}

#[tokio::test]
async fn a_user_sees_their_own_record_but_not_others() {
    let app = spawn_app().await;
    let court = app.create_court("C-4").await;
    let (me, token) = app.clerk_of(court).await;
    let (other, _) = app.clerk_of(court).await;
    assert_eq!(
        app.get(&format!("/api/v1/users/{me}"), Some(&token))
            .await
            .status(),
        StatusCode::OK
    );
    problem(
        app.get(&format!("/api/v1/users/{other}"), Some(&token))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[tokio::test]
async fn admins_list_users_by_court_and_role() {
    let app = spawn_app().await;
    let a = app.create_court("C-5").await;
    let b = app.create_court("C-6").await;
    app.clerk_of(a).await;
    app.clerk_of(a).await;
    app.clerk_of(b).await;
    let list: Value = app
        .get(
            &format!("/api/v1/users?court_id={a}&role=clerk"),
            Some(&app.admin_token),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list["items"].as_array().map(Vec::len), Some(2));
    let bad = app
        .get("/api/v1/users?role=judge", Some(&app.admin_token))
        .await;
    assert_eq!(
        error_fields(&problem(bad, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["role"]
    );
}
