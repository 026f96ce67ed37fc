//! The web pages over HTTP: the redirect of `/`, login with the session
//! cookie (the API's own token, throttled as the API login is), CSRF on
//! every form, logout, the language switch, and the clerk's cases in words.

use std::collections::BTreeMap;

use kelisim::domain::Role;
use reqwest::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::cases::{case_body, refer};
use crate::common::{PASSWORD, TestApp, id, spawn_app, spawn_app_with};

/// A browser without JavaScript: keeps cookies, reads the CSRF token of the
/// last page.
pub(crate) struct Browser<'a> {
    pub(crate) app: &'a TestApp,
    pub(crate) cookies: BTreeMap<String, String>,
    pub(crate) csrf: String,
}

pub(crate) struct Page {
    pub(crate) status: StatusCode,
    pub(crate) location: String,
    pub(crate) set_cookies: Vec<String>,
    pub(crate) html: String,
}

impl<'a> Browser<'a> {
    pub(crate) fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            cookies: BTreeMap::new(),
            csrf: String::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn read(&mut self, resp: reqwest::Response) -> Page {
        let status = resp.status();
        let location = resp
            .headers()
            .get("location")
            .map(|v| v.to_str().expect("ascii").to_owned())
            .unwrap_or_default();
        let set_cookies: Vec<String> = resp
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().expect("ascii").to_owned())
            .collect();
        for c in &set_cookies {
            let pair = c.split(';').next().expect("a pair");
            let (k, v) = pair.split_once('=').expect("name=value");
            if c.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), v.to_owned());
            }
        }
        let html = resp.text().await.expect("body");
        if let Some(at) = html.find("name=\"csrf\" value=\"") {
            let rest = &html[at + 19..];
            self.csrf = rest[..rest.find('"').expect("end")].to_owned();
        }
        Page {
            status,
            location,
            set_cookies,
            html,
        }
    }

    pub(crate) async fn get(&mut self, path: &str) -> Page {
        let resp = self
            .app
            .client
            .get(format!("{}{path}", self.app.address))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .expect("sent");
        self.read(resp).await
    }

    pub(crate) async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let resp = self
            .app
            .client
            .post(format!("{}{path}", self.app.address))
            .header("cookie", self.cookie_header())
            .form(form)
            .send()
            .await
            .expect("sent");
        self.read(resp).await
    }

    /// Opens the login page and signs in.
    pub(crate) async fn log_in(&mut self, email: &str, password: &str) -> Page {
        self.get("/login").await;
        let csrf = self.csrf.clone();
        self.post(
            "/login",
            &[("csrf", &csrf), ("email", email), ("password", password)],
        )
        .await
    }

    pub(crate) async fn switch_language(&mut self, language: &str, next: &str) -> Page {
        let csrf = self.csrf.clone();
        self.post(
            "/language",
            &[("csrf", &csrf), ("language", language), ("next", next)],
        )
        .await
    }
}

/// The text a reader sees: the page without its tags.
pub(crate) fn visible_text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

pub(crate) fn has_iso_date(text: &str) -> bool {
    let b = text.as_bytes();
    b.windows(10).any(|w| {
        w[..4].iter().all(u8::is_ascii_digit)
            && w[4] == b'-'
            && w[5..7].iter().all(u8::is_ascii_digit)
            && w[7] == b'-'
            && w[8..].iter().all(u8::is_ascii_digit)
    })
}

pub(crate) async fn clerk_email(app: &TestApp, court: Uuid) -> String {
    let email = format!("clerk-{}@court.test", Uuid::new_v4().simple());
    app.create_user_directly(Role::Clerk, &email, Some(court))
        .await;
    email
}

#[tokio::test]
async fn the_root_leads_to_login_or_home() {
    let app = spawn_app().await;
    let mut browser = Browser::new(&app);
    let page = browser.get("/").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location, "/login");
    let page = browser.get("/home").await;
    assert_eq!(page.location, "/login");
    browser.log_in("admin@kelisim.test", PASSWORD).await;
    let page = browser.get("/").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location, "/home");
    let page = browser.get("/home").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("<html lang=\"en\">"), "{}", page.html);
    assert!(page.html.contains("<title>Home — Kelisim</title>"));
    assert!(page.html.contains("The mediator registry"));
    for landmark in ["<header>", "<nav ", "<main id=\"main\">"] {
        assert!(page.html.contains(landmark), "{landmark}");
    }
}

#[tokio::test]
async fn login_sets_the_apis_token_in_a_strict_cookie() {
    let app = spawn_app().await;
    let mut browser = Browser::new(&app);
    let page = browser.get("/login").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("<label for=\"email\">"));
    assert!(page.html.contains("<label for=\"password\">"));
    let page = browser.log_in("admin@kelisim.test", PASSWORD).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location, "/home");
    let session: Vec<&String> = page
        .set_cookies
        .iter()
        .filter(|c| c.starts_with("kelisim_session="))
        .collect();
    assert_eq!(session.len(), 1);
    let cookie = session[0];
    let ttl = app.settings.token_ttl_hours * 3600;
    let token = cookie
        .trim_start_matches("kelisim_session=")
        .split(';')
        .next()
        .expect("value");
    let max_age: i64 = cookie
        .split("Max-Age=")
        .nth(1)
        .expect("Max-Age")
        .parse()
        .expect("seconds");
    assert!((ttl - 5..=ttl).contains(&max_age), "{max_age}");
    assert_eq!(
        cookie,
        &format!("kelisim_session={token}; HttpOnly; SameSite=Lax; Path=/; Max-Age={max_age}")
    );
    // The same token as the API's: stored hashed, it works as a bearer.
    let me = app.get("/api/v1/auth/me", Some(token)).await;
    assert_eq!(me.status(), StatusCode::OK);
    let stored = entity::api_tokens::Entity::find()
        .filter(
            entity::api_tokens::Column::TokenHash.eq(kelisim::services::auth::hash_token(token)),
        )
        .one(&app.db)
        .await
        .expect("query");
    assert!(stored.is_some());

    // Over https the cookie is also Secure.
    let https = spawn_app_with(|s| s.public_url = "https://kelisim.example".into()).await;
    let mut browser = Browser::new(&https);
    let page = browser.log_in("admin@kelisim.test", PASSWORD).await;
    let cookie = page
        .set_cookies
        .iter()
        .find(|c| c.starts_with("kelisim_session="))
        .expect("a session cookie");
    assert!(cookie.ends_with("; Secure"), "{cookie}");
    assert!(cookie.contains("; HttpOnly; SameSite=Lax; Path=/;"));
}

#[tokio::test]
async fn a_wrong_password_is_shown_at_the_field_and_sets_no_cookie() {
    let app = spawn_app().await;
    let mut browser = Browser::new(&app);
    let page = browser
        .log_in("admin@kelisim.test", "not the password")
        .await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert!(
        page.set_cookies
            .iter()
            .all(|c| !c.starts_with("kelisim_session=")),
        "{:?}",
        page.set_cookies
    );
    // Before login the page speaks the fallback language, Russian.
    assert!(page.html.contains(
        "<p class=\"error\" id=\"password-error\">Неверная электронная почта или пароль, либо учётная запись отключена.</p>"
    ), "{}", page.html);
    assert!(page.html.contains("aria-describedby=\"password-error\""));
    assert!(page.html.contains("value=\"admin@kelisim.test\""));
    // In English once chosen.
    browser.switch_language("en", "/login").await;
    let page = browser.log_in("admin@kelisim.test", "").await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.html
            .contains("<p class=\"error\" id=\"password-error\">Enter your password.</p>")
    );
    assert!(page.html.contains("<html lang=\"en\">"));
}

#[tokio::test]
async fn the_login_form_is_throttled_with_the_api_login() {
    let app = spawn_app_with(|s| s.login_max_failures = 3).await;
    let mut browser = Browser::new(&app);
    for _ in 0..2 {
        let page = browser.log_in("admin@kelisim.test", "wrong").await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    }
    // A third failure through the API: the counters are the same.
    let resp = app
        .post(
            "/api/v1/auth/token",
            None,
            json!({"email": "admin@kelisim.test", "password": "wrong"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let resp = app
        .client
        .post(format!("{}/login", app.address))
        .header("cookie", browser.cookie_header())
        .form(&[
            ("csrf", browser.csrf.as_str()),
            ("email", "admin@kelisim.test"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(resp.headers().get("retry-after").is_some());
    assert!(resp.headers().get("set-cookie").is_none());
    let html = resp.text().await.expect("body");
    assert!(html.contains("Слишком много попыток входа. Попробуйте позже."));
}

#[tokio::test]
async fn a_post_without_the_csrf_token_is_refused() {
    let app = spawn_app().await;
    let mut browser = Browser::new(&app);
    browser.get("/login").await;
    let page = browser
        .post(
            "/login",
            &[("email", "admin@kelisim.test"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.set_cookies.is_empty());
    let page = browser
        .post(
            "/login",
            &[
                ("csrf", "00"),
                ("email", "admin@kelisim.test"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);

    browser.log_in("admin@kelisim.test", PASSWORD).await;
    // The token of the page before login does not serve after it.
    let stale = browser.csrf.clone();
    let page = browser.post("/logout", &[("csrf", &stale)]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let page = browser.post("/logout", &[]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let page = browser
        .post("/language", &[("language", "kk"), ("next", "/home")])
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let page = browser.get("/home").await;
    assert_eq!(page.status, StatusCode::OK, "still signed in");
    assert!(
        page.html.contains("<html lang=\"en\">"),
        "language unchanged"
    );
}

#[tokio::test]
async fn logout_revokes_the_token() {
    let app = spawn_app().await;
    let mut browser = Browser::new(&app);
    browser.log_in("admin@kelisim.test", PASSWORD).await;
    let token = browser.cookies["kelisim_session"].clone();
    browser.get("/home").await;
    let csrf = browser.csrf.clone();
    let page = browser.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location, "/login");
    assert!(
        page.set_cookies
            .iter()
            .any(|c| c.starts_with("kelisim_session=;") && c.contains("Max-Age=0"))
    );
    assert!(!browser.cookies.contains_key("kelisim_session"));
    // The old cookie no longer works, in a page or as a bearer token.
    browser
        .cookies
        .insert("kelisim_session".into(), token.clone());
    let page = browser.get("/home").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location, "/login");
    let me = app.get("/api/v1/auth/me", Some(&token)).await;
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_language_is_remembered_per_user_and_before_login_by_cookie() {
    let app = spawn_app().await;
    let court = app.create_court("LNG").await;
    let email = clerk_email(&app, court).await;
    let mut browser = Browser::new(&app);
    browser.get("/login").await;
    let page = browser.switch_language("kk", "/login").await;
    assert_eq!(page.location, "/login");
    let page = browser.get("/login").await;
    assert!(page.html.contains("<html lang=\"kk\">"));
    assert!(page.html.contains("<title>Кіру — Kelisim</title>"));
    // A path elsewhere is not followed.
    let page = browser.switch_language("kk", "//evil.example/").await;
    assert_eq!(page.location, "/");

    browser.log_in(&email, PASSWORD).await;
    let page = browser.get("/home").await;
    assert!(
        page.html.contains("<html lang=\"en\">"),
        "the account's own"
    );
    browser.switch_language("ru", "/home").await;
    let stored = entity::users::Entity::find()
        .filter(entity::users::Column::Email.eq(email.as_str()))
        .one(&app.db)
        .await
        .expect("query")
        .expect("user");
    assert_eq!(stored.language, "ru");
    // Another browser: the account's language follows the user.
    let mut other = Browser::new(&app);
    other.log_in(&email, PASSWORD).await;
    let page = other.get("/home").await;
    assert!(page.html.contains("<html lang=\"ru\">"));
    assert!(page.html.contains("<title>Дела — Kelisim</title>"));
}

/// Refers a case as `token` with `number`, `category` and a deadline of
/// 30 December 2026.
pub(crate) async fn case_in(
    app: &TestApp,
    token: &str,
    court: Uuid,
    number: &str,
    category: &str,
) -> Uuid {
    let mut body = case_body(court, number);
    body["category"] = json!(category);
    let case: Value = refer(app, token, body).await;
    let case_id = id(&case);
    entity::cases::Entity::update_many()
        .col_expr(
            entity::cases::Column::MediationDeadline,
            Expr::value(chrono::NaiveDate::from_ymd_opt(2026, 12, 30).expect("date")),
        )
        .filter(entity::cases::Column::Id.eq(case_id))
        .exec(&app.db)
        .await
        .expect("set the deadline");
    case_id
}

#[tokio::test]
async fn a_clerk_sees_their_courts_cases_in_words_with_filters() {
    let app = spawn_app().await;
    let court = app.create_court("WEB").await;
    let other_court = app.create_court("OTH").await;
    let (_, clerk_token) = app.clerk_of(court).await;
    let (_, other_token) = app.clerk_of(other_court).await;
    let family = case_in(&app, &clerk_token, court, "2-101/2026", "family").await;
    case_in(&app, &clerk_token, court, "2-202/2026", "civil").await;
    case_in(&app, &other_token, other_court, "9-999/2026", "family").await;
    let email = clerk_email(&app, court).await;
    let mut browser = Browser::new(&app);
    browser.log_in(&email, PASSWORD).await;
    browser.get("/home").await;
    browser.switch_language("ru", "/home").await;

    let page = browser.get("/home").await;
    assert_eq!(page.status, StatusCode::OK);
    let text = visible_text(&page.html);
    assert!(text.contains("2-101/2026"));
    assert!(text.contains("2-202/2026"));
    assert!(!text.contains("9-999/2026"), "another court's case");
    assert!(
        text.contains("2-101/2026 семейный направлено на медиацию 30 декабря 2026 г."),
        "{text}"
    );
    assert!(!has_iso_date(&text), "{text}");
    for raw in ["family", "civil", "referred"] {
        assert!(!text.contains(raw), "{raw} in {text}");
    }

    let page = browser.get("/home?category=civil").await;
    let text = visible_text(&page.html);
    assert!(
        text.contains("2-202/2026") && !text.contains("2-101/2026"),
        "{text}"
    );
    let page = browser.get("/home?number=101").await;
    let text = visible_text(&page.html);
    assert!(
        text.contains("2-101/2026") && !text.contains("2-202/2026"),
        "{text}"
    );
    let page = browser.get("/home?status=withdrawn").await;
    let text = visible_text(&page.html);
    assert!(
        !text.contains("2-101/2026") && text.contains("Дел не найдено."),
        "{text}"
    );
    let page = browser
        .get("/home?status=referred&category=family&number=2-1")
        .await;
    let text = visible_text(&page.html);
    assert!(
        text.contains("2-101/2026") && !text.contains("2-202/2026"),
        "{text}"
    );

    browser.switch_language("kk", "/home").await;
    let page = browser.get("/home").await;
    let text = visible_text(&page.html);
    assert!(page.html.contains("<html lang=\"kk\">"));
    assert!(
        text.contains("2-101/2026 отбасылық медиацияға жіберілді 2026 ж. 30 желтоқсан"),
        "{text}"
    );
    assert!(!has_iso_date(&text), "{text}");

    // The case page: parties' roles, status and deadline in words.
    let page = browser.get(&format!("/cases/{family}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let text = visible_text(&page.html);
    assert!(text.contains("Айгерим Сапарова — "), "{text}");
    assert!(!has_iso_date(&text), "{text}");
    for raw in ["family", "claimant", "respondent", "referred"] {
        assert!(!text.contains(raw), "{raw} in {text}");
    }
    // Another court's case is not found.
    let others = browser.get("/home").await;
    drop(others);
    let other_case = case_in(&app, &other_token, other_court, "9-998/2026", "civil").await;
    let page = browser.get(&format!("/cases/{other_case}")).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_partys_link_page_still_works() {
    let app = spawn_app().await;
    let court = app.create_court("PTY").await;
    let (_, clerk) = app.clerk_of(court).await;
    refer(&app, &clerk, case_body(court, "2-303/2026")).await;
    let link = crate::party_links::link_in_mail(&app, "case_referred", "aigerim@example.kz").await;
    let resp = app.get(&link, None).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.expect("body");
    assert!(visible_text(&html).contains("2-303/2026"));
    assert!(html.contains("<html lang=\"ru\">"));
}

#[tokio::test]
async fn the_case_page_shows_sessions_and_the_assignment_in_words() {
    use crate::sessions::{accepted_case, book, rfc, tuesday_at_ten};
    use kelisim::domain::Language;
    let app = spawn_app().await;
    let s = accepted_case(&app, "WEBS", json!({})).await;
    let start = tuesday_at_ten(7);
    let resp = book(
        &app,
        &s,
        json!({"starts_at": rfc(start), "duration_minutes": 90, "online_url": "https://video.example.kz/r/1"}),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let email = clerk_email(&app, s.court).await;
    let mut browser = Browser::new(&app);
    browser.log_in(&email, PASSWORD).await;
    browser.get("/home").await;
    browser.switch_language("ru", "/home").await;
    let page = browser.get(&format!("/cases/{}", s.case)).await;
    assert_eq!(page.status, StatusCode::OK);
    let text = visible_text(&page.html);
    let almaty = chrono_tz::Asia::Almaty;
    let when = kelisim::i18n::dates::instant(Language::Ru, start, almaty, almaty);
    let when = when.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(when.ends_with(", 10:00"), "{when}");
    assert!(text.contains(&format!("{when} (90 мин.)")), "{text}");
    assert!(text.contains("Dana Mediator — "), "{text}");
    assert!(text.contains("Айгерим Сапарова — "), "{text}");
    assert!(!has_iso_date(&text), "{text}");
    for raw in ["scheduled", "joint", "accepted", "claimant", "family"] {
        assert!(!text.contains(raw), "{raw} in {text}");
    }
}
