use kelisim::domain::Role;
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::common::{PASSWORD, problem, spawn_app, spawn_app_with};

#[tokio::test]
async fn a_user_gets_a_token_that_expires_and_works() {
    let app = spawn_app().await;
    let resp = app
        .post(
            "/api/v1/auth/token",
            None,
            json!({"email": "ADMIN@kelisim.test", "password": PASSWORD}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.expect("json");
    let token = body["token"].as_str().expect("token");
    let expires: chrono::DateTime<chrono::FixedOffset> =
        chrono::DateTime::parse_from_rfc3339(body["expires_at"].as_str().expect("expires_at"))
            .expect("RFC 3339");
    assert!(expires > chrono::Utc::now() + chrono::Duration::hours(11));

    let me = app.get("/api/v1/auth/me", Some(token)).await;
    assert_eq!(me.status(), StatusCode::OK);
    let me: Value = me.json().await.expect("json");
    assert_eq!(me["email"], "admin@kelisim.test");
    assert_eq!(me["role"], "admin");
    assert!(me.get("password_hash").is_none());
}

#[tokio::test]
async fn a_wrong_password_or_unknown_email_is_401_problem() {
    let app = spawn_app().await;
    for body in [
        json!({"email": "admin@kelisim.test", "password": "wrong password!"}),
        json!({"email": "nobody@kelisim.test", "password": PASSWORD}),
    ] {
        let resp = app.post("/api/v1/auth/token", None, body).await;
        problem(resp, StatusCode::UNAUTHORIZED).await;
    }
}

#[tokio::test]
async fn tokens_are_stored_hashed() {
    let app = spawn_app().await;
    let backend = app.db.get_database_backend();
    let rows = app
        .db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT token_hash FROM api_tokens",
        ))
        .await
        .expect("query");
    assert!(!rows.is_empty());
    for row in rows {
        let stored: String = row.try_get("", "token_hash").expect("column");
        assert_ne!(stored, app.admin_token);
        assert_eq!(stored.len(), 64);
    }
}

#[tokio::test]
async fn missing_garbage_and_wrong_scheme_credentials_are_401() {
    let app = spawn_app().await;
    let resp = app.get("/api/v1/courts", None).await;
    assert_eq!(resp.headers()["www-authenticate"], "Bearer");
    problem(resp, StatusCode::UNAUTHORIZED).await;
    problem(
        app.get("/api/v1/courts", Some("kls_not-a-real-token"))
            .await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let basic = app
        .client
        .get(format!("{}/api/v1/courts", app.address))
        .basic_auth("admin@kelisim.test", Some(PASSWORD))
        .send()
        .await
        .expect("sent");
    problem(basic, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn a_revoked_token_stops_working_at_once() {
    let app = spawn_app().await;
    let token = app.login("admin@kelisim.test", PASSWORD).await;
    let resp = app
        .request(Method::DELETE, "/api/v1/auth/token", Some(&token), None)
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    problem(
        app.get("/api/v1/auth/me", Some(&token)).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    // Other tokens of the same user still work.
    assert_eq!(
        app.get("/api/v1/auth/me", Some(&app.admin_token))
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let app = spawn_app().await;
    let token = app.login("admin@kelisim.test", PASSWORD).await;
    let hash = kelisim::services::auth::hash_token(&token);
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    entity::api_tokens::Entity::update_many()
        .col_expr(
            entity::api_tokens::Column::ExpiresAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::minutes(1)),
        )
        .filter(entity::api_tokens::Column::TokenHash.eq(hash))
        .exec(&app.db)
        .await
        .expect("update");
    problem(
        app.get("/api/v1/auth/me", Some(&token)).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

#[tokio::test]
async fn disabling_a_user_revokes_their_tokens() {
    let app = spawn_app().await;
    let court = app.create_court("DIS-1").await;
    let (clerk, token) = app.clerk_of(court).await;
    let resp = app
        .patch(
            &format!("/api/v1/users/{clerk}"),
            Some(&app.admin_token),
            json!({"active": false}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    problem(
        app.get("/api/v1/auth/me", Some(&token)).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

#[tokio::test]
async fn repeated_failed_logins_are_throttled() {
    let app = spawn_app_with(|s| s.login_max_failures = 3).await;
    for _ in 0..3 {
        let resp = app
            .post(
                "/api/v1/auth/token",
                None,
                json!({"email": "admin@kelisim.test", "password": "wrong password"}),
            )
            .await;
        problem(resp, StatusCode::UNAUTHORIZED).await;
    }
    let resp = app
        .post(
            "/api/v1/auth/token",
            None,
            json!({"email": "admin@kelisim.test", "password": PASSWORD}),
        )
        .await;
    problem(resp, StatusCode::TOO_MANY_REQUESTS).await;
}

#[tokio::test]
async fn roles_limit_what_a_user_may_do() {
    let app = spawn_app().await;
    let court = app.create_court("ROLE-1").await;
    let (_, clerk) = app.clerk_of(court).await;
    app.create_user_directly(Role::Mediator, "med@kelisim.test", None)
        .await;
    let mediator = app.login("med@kelisim.test", PASSWORD).await;
    let new_court =
        json!({"code": "X-1", "name": "X", "timezone": "Asia/Almaty", "default_language": "ru"});
    problem(
        app.post("/api/v1/courts", Some(&clerk), new_court.clone())
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    problem(
        app.post("/api/v1/courts", Some(&mediator), new_court).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    problem(
        app.get("/api/v1/users", Some(&clerk)).await,
        StatusCode::FORBIDDEN,
    )
    .await;
}
