//! Security headers on every kind of response, and a party page that works
//! under the content security policy.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::cases::{case_body, link_of, refer};
use crate::common::{TestApp, id, spawn_app, spawn_app_with};

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// A request of each kind: JSON, page, calendar file, stylesheet, API
/// browser, problem answers (401, 404 of a route and of a record, 405, 413,
/// 415, 422) and a redirect.
async fn responses(app: &TestApp) -> Vec<(String, reqwest::Response)> {
    let court = app.create_court("HDR-1").await;
    let (_, clerk) = app.clerk_of(court).await;
    let case = refer(app, &clerk, case_body(court, "2-7001/2026")).await;
    let page = link_of(app, id(&case), "aigerim@example.kz").await;
    let mut out = Vec::new();
    let mut add = |what: &str, resp: reqwest::Response| out.push((what.to_owned(), resp));
    add(
        "json",
        app.get("/api/v1/auth/me", Some(&app.admin_token)).await,
    );
    add("healthz", app.get("/healthz", None).await);
    add("openapi", app.get("/api/openapi.json", None).await);
    add("docs", app.get("/api/docs/", None).await);
    add("party page", app.get(&page, None).await);
    add(
        "stylesheet",
        app.get(kelisim::http::pages::assets::css_url(), None).await,
    );
    add("401", app.get("/api/v1/courts", None).await);
    add("404 route", app.get("/no/such/route", None).await);
    add("404 party", app.get("/p/p_not-a-real-token", None).await);
    add(
        "404 record",
        app.get(
            "/api/v1/cases/0190f5f4-6e9b-7cc0-8a55-2f1d2c3b4a59",
            Some(&app.admin_token),
        )
        .await,
    );
    add(
        "405",
        app.request(Method::PUT, "/healthz", None, None).await,
    );
    add(
        "415",
        app.client
            .post(format!("{}/api/v1/courts", app.address))
            .bearer_auth(&app.admin_token)
            .body("x")
            .send()
            .await
            .expect("sent"),
    );
    add(
        "422",
        app.post("/api/v1/courts", Some(&app.admin_token), json!({"code": 1}))
            .await,
    );
    add(
        "413",
        app.client
            .post(format!("{}/api/v1/courts", app.address))
            .bearer_auth(&app.admin_token)
            .header("content-type", "application/json")
            .body(vec![b' '; app.settings.max_body_bytes + 1])
            .send()
            .await
            .expect("sent"),
    );
    add(
        "form post",
        app.client
            .post(format!("{}{page}/voluntary-participation", app.address))
            .form(&[("confirm", "yes")])
            .send()
            .await
            .expect("sent"),
    );
    out
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app().await;
    let all = responses(&app).await;
    let statuses: Vec<(String, u16)> = all
        .iter()
        .map(|(what, r)| (what.clone(), r.status().as_u16()))
        .collect();
    for (what, expected) in [
        ("json", 200),
        ("party page", 200),
        ("stylesheet", 200),
        ("401", 401),
        ("404 route", 404),
        ("404 party", 404),
        ("404 record", 404),
        ("405", 405),
        ("413", 413),
        ("415", 415),
        ("422", 422),
    ] {
        assert!(
            statuses.contains(&(what.to_owned(), expected)),
            "{what}: {statuses:?}"
        );
    }
    for (what, resp) in &all {
        let h = resp.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{what}");
        assert_eq!(h["content-security-policy"], CSP, "{what}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{what}");
        assert!(
            h.get("strict-transport-security").is_none(),
            "{what}: no HSTS over plain http"
        );
    }
}

#[tokio::test]
async fn hsts_is_sent_when_the_public_url_is_https() {
    let app = spawn_app_with(|s| s.public_url = "https://kelisim.court.kz".into()).await;
    for (what, resp) in responses(&app).await {
        let h = resp.headers();
        assert_eq!(h["strict-transport-security"], "max-age=31536000", "{what}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{what}");
        assert_eq!(h["content-security-policy"], CSP, "{what}");
    }
}

#[tokio::test]
async fn the_party_page_needs_nothing_inline() {
    let app = spawn_app().await;
    let court = app.create_court("HDR-2").await;
    let (_, clerk) = app.clerk_of(court).await;
    let case = refer(&app, &clerk, case_body(court, "2-7002/2026")).await;
    let page = link_of(&app, id(&case), "aigerim@example.kz").await;
    let resp = app.get(&page, None).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.expect("text").to_lowercase();
    // What `script-src 'self'` and `style-src 'self'` would block.
    for blocked in [
        "<script",
        "<style",
        " style=",
        "javascript:",
        " onclick=",
        " onload=",
        " onsubmit=",
    ] {
        assert!(!html.contains(blocked), "the page has {blocked:?}");
    }
    // Its stylesheet and its forms are this service's own.
    // The party page links the stylesheet by its content's name, as every
    // other page does, so a new release is never read with an old file.
    let named = format!(
        r#"<link rel="stylesheet" href="{}">"#,
        kelisim::http::pages::assets::css_url()
    );
    assert!(
        html.contains(&named.to_lowercase()),
        "the party page links {named}"
    );
    for action in html.split("action=\"").skip(1) {
        assert!(action.starts_with("/p/"), "form posts to {action:.20}");
    }
    // The bare name leads to the file named by its content, kept a year.
    let bare = app.get("/assets/page.css", None).await;
    assert_eq!(bare.status(), StatusCode::TEMPORARY_REDIRECT);
    let location = bare.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(location.starts_with("/assets/page.") && location.ends_with(".css"));
    let css = app.get(&location, None).await;
    assert_eq!(css.status(), StatusCode::OK);
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
    assert_eq!(
        css.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert!(css.text().await.expect("text").contains("form.inline"));
    let unknown = app.get("/assets/other.js", None).await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}
