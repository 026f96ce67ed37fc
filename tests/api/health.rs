use reqwest::StatusCode;
use serde_json::Value;

use crate::common::{spawn_app, spawn_app_with};

#[tokio::test]
async fn healthz_answers_without_credentials() {
    let app = spawn_app().await;
    let resp = app.get("/healthz", None).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers().contains_key("x-request-id"));
}

#[tokio::test]
async fn readyz_checks_the_database() {
    let app = spawn_app().await;
    let resp = app.get("/readyz", None).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["status"], "ready");
}

#[tokio::test]
async fn a_request_id_sent_by_the_client_is_echoed() {
    let app = spawn_app().await;
    let resp = app
        .client
        .get(format!("{}/healthz", app.address))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.headers()["x-request-id"], "abc-123");
}

#[tokio::test]
async fn the_openapi_document_is_3_1_and_lists_the_endpoints() {
    let app = spawn_app().await;
    let resp = app.get("/api/openapi.json", None).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let doc: Value = resp.json().await.expect("json");
    assert!(
        doc["openapi"]
            .as_str()
            .unwrap_or_default()
            .starts_with("3.1")
    );
    for path in [
        "/healthz",
        "/readyz",
        "/api/v1/auth/token",
        "/api/v1/courts",
        "/api/v1/courts/{id}/rooms",
        "/api/v1/users",
        "/api/v1/mediators",
        "/api/v1/mediators/{id}/availability",
        "/api/v1/mediators/{id}/free-slots",
        "/api/v1/mediators/{id}/external-calendar",
        "/api/v1/admin/mediators/import",
        "/calendar/{file}",
        "/api/v1/cases",
        "/api/v1/cases/{id}",
        "/api/v1/cases/{id}/matches",
        "/api/v1/cases/{id}/assignment",
        "/api/v1/cases/{id}/assignment/accept",
        "/api/v1/cases/{id}/assignment/decline",
        "/api/v1/cases/{id}/audit",
        "/api/v1/cases/{id}/sessions",
        "/api/v1/sessions/{id}",
        "/api/v1/sessions/{id}/cancel",
        "/p/{token}",
        "/p/{token}/sessions/{id}/rsvp",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} is documented");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test]
async fn the_api_browser_page_works_offline() {
    let app = spawn_app().await;
    let resp = app.get("/api/docs/", None).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.expect("text");
    assert!(html.contains("swagger-ui"));
    // Every script and stylesheet comes from this service, none from a CDN.
    for attr in ["src=\"http", "href=\"http", "src='http", "href='http"] {
        assert!(
            !html.contains(attr),
            "page loads an external resource: {attr}"
        );
    }
    let js = app.get("/api/docs/swagger-ui-bundle.js", None).await;
    assert_eq!(js.status(), StatusCode::OK);
    let config = app.get("/api/docs/swagger-initializer.js", None).await;
    assert_eq!(config.status(), StatusCode::OK);
}

#[tokio::test]
async fn metrics_report_latency_by_route_template_and_the_outbox_and_never_a_raw_path() {
    let app = spawn_app().await;
    let secret = "p_ThisIsNotARealTokenButMustNotAppear";
    let resp = app.get(&format!("/p/{secret}"), None).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get("/healthz", None).await.status(), StatusCode::OK);
    let resp = app.get("/metrics", None).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("application/openmetrics-text")
    );
    let text = resp.text().await.expect("text");
    assert!(!text.contains(secret), "{text}");
    assert!(
        text.contains(
            "kelisim_http_request_duration_seconds_count{method=\"GET\",route=\"/p/{token}\",status=\"4xx\"} 1"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "kelisim_http_request_duration_seconds_count{method=\"GET\",route=\"/healthz\",status=\"2xx\"} 1"
        ),
        "{text}"
    );
    assert!(
        text.contains("kelisim_outbox_messages{status=\"pending\"} 0"),
        "{text}"
    );
    assert!(text.contains("kelisim_db_pool_connections "), "{text}");
}

#[tokio::test]
async fn metrics_answer_only_the_configured_token_when_one_is_set() {
    let app = spawn_app_with(|s| s.metrics_token = Some("scrape-me-0123456789".into())).await;
    let resp = app.get("/metrics", None).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let body = resp.text().await.expect("body");
    assert!(!body.contains("scrape-me"), "{body}");
    let resp = app.get("/metrics", Some("wrong-token")).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let resp = app.get("/metrics", Some("scrape-me-0123456789")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.text().await.expect("text").contains("# EOF"));
}
