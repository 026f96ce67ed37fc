//! The clerk's pages over HTTP: the referral form (with the API's own field
//! errors), the matches page and the proposal, the outcome registered or
//! returned from the case page, the case list's search and deadline filter,
//! and the reports page.

use chrono::{Duration, Utc};
use reqwest::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::{PASSWORD, TestApp, spawn_app};
use crate::outcomes::{held_case, post_outcome, settlement};
use crate::web::{Browser, case_in, clerk_email, has_iso_date, visible_text};

/// Most bytes a page may weigh.
const MAX_PAGE_BYTES: usize = 150 * 1024;

fn deadline(days: i64) -> String {
    (Utc::now() + Duration::days(days))
        .date_naive()
        .format("%Y-%m-%d")
        .to_string()
}

/// A browser signed in with an API token (the session cookie carries it).
async fn with_token<'a>(app: &'a TestApp, token: &str, first: &str) -> Browser<'a> {
    let mut browser = Browser::new(app);
    browser
        .cookies
        .insert("kelisim_session".into(), token.to_owned());
    let page = browser.get(first).await;
    assert_eq!(page.status, StatusCode::OK, "{first}");
    browser
}

fn referral_form(csrf: &str, number: &str) -> Vec<(String, String)> {
    [
        ("csrf", csrf),
        ("court_case_number", number),
        ("category", "family"),
        ("summary", "Раздел имущества"),
        ("language", "ru"),
        ("mediation_deadline", &deadline(40)),
        ("interpreter_needed", "1"),
        ("party0_role", "claimant"),
        ("party0_name", "Айгерим Сапарова"),
        ("party0_email", "aigerim@example.kz"),
        ("party0_phone", ""),
        ("party0_iin_bin", "900101300126"),
        ("party0_language", "ru"),
        ("party1_role", "respondent"),
        ("party1_name", "Serik Nurlanov"),
        ("party1_email", "serik@example.kz"),
        ("party1_phone", "+7 701 123 4567"),
        ("party1_iin_bin", ""),
        ("party1_language", "kk"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect()
}

fn pairs(form: &[(String, String)]) -> Vec<(&str, &str)> {
    form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

fn set(form: &mut [(String, String)], name: &str, value: &str) {
    for (k, v) in form.iter_mut() {
        if k == name {
            *v = value.to_owned();
        }
    }
}

#[tokio::test]
async fn the_referral_form_refers_a_case_and_leads_to_its_page() {
    let app = spawn_app().await;
    let court = app.create_court("REF").await;
    let email = clerk_email(&app, court).await;
    let mut browser = Browser::new(&app);
    browser.log_in(&email, PASSWORD).await;

    let page = browser.get("/cases/new").await;
    assert_eq!(page.status, StatusCode::OK);
    for needle in [
        r#"<form id="referral" method="post" action="/cases/new""#,
        r#"name="court_case_number""#,
        r#"<select id="category" name="category""#,
        r#"name="summary""#,
        r#"<select id="language" name="language""#,
        r#"name="mediation_deadline" type="date""#,
        r#"name="minors_involved" type="checkbox""#,
        r#"name="violence_reported" type="checkbox""#,
        r#"name="interpreter_needed" type="checkbox""#,
        r#"<select id="party0_role" name="party0_role""#,
        r#"name="party1_iin_bin""#,
        r#"name="party1_is_minor" type="checkbox""#,
        r#"<select id="party1_language" name="party1_language""#,
        r#"id="refer""#,
        r#"name="more""#,
    ] {
        assert!(page.html.contains(needle), "{needle}");
    }
    // One court: the court is implied, no choice is offered.
    assert!(!page.html.contains(r#"name="court_id""#));
    // Every input has its label.
    for input in page.html.split("<input id=\"").skip(1) {
        let name = &input[..input.find('"').expect("end")];
        assert!(
            page.html.contains(&format!("<label for=\"{name}\">")),
            "no label for {name}"
        );
    }

    // A third party block on request, without losing what was typed.
    let mut form = referral_form(&browser.csrf, "2-555/2026");
    form.push(("more".into(), "1".into()));
    let page = browser.post("/cases/new", &pairs(&form)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains(r#"name="party2_name""#));
    assert!(page.html.contains("Serik Nurlanov"));

    let form = referral_form(&browser.csrf, "2-555/2026");
    let page = browser.post("/cases/new", &pairs(&form)).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.html);
    let case: Uuid = page
        .location
        .strip_prefix("/cases/")
        .expect("a case page")
        .parse()
        .expect("a case id");
    let stored = entity::cases::Entity::find_by_id(case)
        .one(&app.db)
        .await
        .expect("read")
        .expect("the case");
    assert_eq!(stored.court_id, court);
    assert!(stored.interpreter_needed && !stored.violence_reported);
    let page = browser.get(&page.location).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(visible_text(&page.html).contains("2-555/2026"));
    assert!(page.html.contains(r#"id="matches-link""#));
}

#[tokio::test]
async fn the_referral_form_shows_the_apis_errors_next_to_each_field() {
    let app = spawn_app().await;
    let court = app.create_court("RFE").await;
    let email = clerk_email(&app, court).await;
    let mut browser = Browser::new(&app);
    browser.log_in(&email, PASSWORD).await;
    browser.get("/cases/new").await;
    browser.switch_language("en", "/cases/new").await;
    browser.get("/cases/new").await;

    let mut form = referral_form(&browser.csrf, "2-556/2026");
    set(&mut form, "party1_email", "not-an-email");
    set(&mut form, "party0_iin_bin", "900101300127");
    set(&mut form, "mediation_deadline", "");
    let page = browser.post("/cases/new", &pairs(&form)).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["party1_email", "party0_iin_bin", "mediation_deadline"] {
        assert!(
            page.html.contains(&format!(r#"id="{field}-error""#)),
            "no message at {field}: {}",
            page.html
        );
        assert!(page.html.contains(&format!(
            r#"aria-invalid="true" aria-describedby="{field}-error""#
        )));
    }
    assert!(!page.html.contains(r#"id="party0_email-error""#));
    // What was typed stays.
    assert!(page.html.contains("value=\"not-an-email\""));
    assert!(page.html.contains("Айгерим Сапарова"));
    assert_eq!(
        entity::cases::Entity::find()
            .all(&app.db)
            .await
            .expect("read")
            .len(),
        0
    );

    // A value outside the choices is named at its field.
    let mut form = referral_form(&browser.csrf, "2-557/2026");
    set(&mut form, "category", "no-such-category");
    let page = browser.post("/cases/new", &pairs(&form)).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.html.contains(r#"id="category-error""#));

    // A duplicate number is named at its field.
    let form = referral_form(&browser.csrf, "2-558/2026");
    assert_eq!(
        browser.post("/cases/new", &pairs(&form)).await.status,
        StatusCode::SEE_OTHER
    );
    browser.get("/cases/new").await;
    let form = referral_form(&browser.csrf, "2-558/2026");
    let page = browser.post("/cases/new", &pairs(&form)).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.html.contains(r#"id="court_case_number-error""#),
        "{}",
        page.html
    );
}

/// The message shown at `field` (the text of its `<p id="{field}-error">`).
fn field_message(html: &str, field: &str) -> String {
    let start = html
        .find(&format!(r#"id="{field}-error">"#))
        .unwrap_or_else(|| panic!("no message at {field}: {html}"));
    let rest = &html[start..];
    let text = &rest[rest.find('>').expect("tag end") + 1..];
    text[..text.find("</p>").expect("end of the message")].to_owned()
}

#[tokio::test]
async fn a_russian_clerk_reads_the_referral_forms_field_errors_in_russian() {
    let app = spawn_app().await;
    let court = app.create_court("RFR").await;
    let email = clerk_email(&app, court).await;
    let mut browser = Browser::new(&app);
    browser.log_in(&email, PASSWORD).await;
    browser.get("/cases/new").await;
    browser.switch_language("ru", "/cases/new").await;
    browser.get("/cases/new").await;

    let mut form = referral_form(&browser.csrf, "2-560/2026");
    set(&mut form, "party1_email", "not-an-email");
    set(&mut form, "party0_iin_bin", "900101300127");
    set(&mut form, "court_case_number", "2-560;2026");
    let page = browser.post("/cases/new", &pairs(&form)).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    for (field, russian) in [
        ("party1_email", "Неверный адрес электронной почты."),
        (
            "party0_iin_bin",
            "Неверный ИИН/БИН: не сходится контрольная цифра.",
        ),
        (
            "court_case_number",
            "Допустимы только буквы, цифры, пробелы и - / . ( ).",
        ),
    ] {
        assert_eq!(
            visible_text(&field_message(&page.html, field)).trim(),
            russian,
            "{field}"
        );
    }
    // The API still says it in its own words: the check is the same one.
    let text = visible_text(&page.html);
    assert!(!text.contains("is not a valid email address"), "{text}");
    assert!(!text.contains("control digit"), "{text}");
    assert!(text.contains("Проверьте отмеченные поля."), "{text}");
}

#[tokio::test]
async fn every_clerk_form_is_refused_without_its_csrf_token() {
    let app = spawn_app().await;
    let court = app.create_court("CSR").await;
    let (_, token) = app.clerk_of(court).await;
    let case = case_in(&app, &token, court, "2-601/2026", "family").await;
    let mut browser = with_token(&app, &token, "/home").await;
    let mut form = referral_form("", "2-602/2026");
    form.retain(|(k, _)| k != "csrf");
    for (path, body) in [
        ("/cases/new".to_owned(), pairs(&form)),
        (
            format!("/cases/{case}/assignment"),
            vec![("mediator_id", "0190f5f4-6e9b-7cc0-8a55-2f1d2c3b4a59")],
        ),
        (
            format!("/cases/{case}/register"),
            vec![("court_registration_number", "1")],
        ),
        (format!("/cases/{case}/return"), vec![("reason", "x")]),
    ] {
        let page = browser.post(&path, &body).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
        let mut with_wrong = body.clone();
        with_wrong.push(("csrf", "00ff"));
        let page = browser.post(&path, &with_wrong).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(
        entity::cases::Entity::find()
            .all(&app.db)
            .await
            .expect("read")
            .len(),
        1
    );
}

/// A mediator with a login who may take family cases of `court`.
async fn mediator_of(app: &TestApp, court: Uuid, registry: &str, languages: Value) -> Uuid {
    let email = format!("{}@mediators.kz", registry.to_lowercase());
    let (mid, token) = app
        .mediator_with_login(
            &format!("user-{email}"),
            json!({
                "name": format!("Медиатор {registry}"), "email": email,
                "registry_number": registry, "kind": "professional",
                "certified_until": "2031-12-31",
                "specialties": ["civil", "family"], "languages": languages,
                "court_ids": [court], "max_active_cases": 10, "timezone": "Asia/Almaty"
            }),
        )
        .await;
    app.set_weekday_hours(mid, &token, "09:00", "18:00").await;
    mid
}

#[tokio::test]
async fn the_matches_page_ranks_explains_in_words_and_proposes() {
    let app = spawn_app().await;
    let court = app.create_court("MAT").await;
    let (_, token) = app.clerk_of(court).await;
    let case = case_in(&app, &token, court, "2-701/2026", "family").await;
    let good = mediator_of(&app, court, "MAT-1", json!(["kk", "ru"])).await;
    mediator_of(&app, court, "MAT-2", json!(["en"])).await;
    let mut browser = with_token(&app, &token, "/home").await;
    browser.switch_language("ru", "/home").await;

    let page = browser.get(&format!("/cases/{case}")).await;
    assert!(page.html.contains(&format!(
        r#"<a id="matches-link" href="/cases/{case}/matches">"#
    )));
    let page = browser.get(&format!("/cases/{case}/matches")).await;
    assert_eq!(page.status, StatusCode::OK);
    let text = visible_text(&page.html);
    assert!(text.contains("Медиатор MAT-1"));
    // The excluded mediator with the reason in words, not its code.
    assert!(text.contains("не владеет языком одной из сторон"), "{text}");
    assert!(!text.contains("language,") && !text.contains("no_availability"));
    assert!(!has_iso_date(&text), "{text}");
    assert!(page.html.contains(&format!(
        r#"<form class="propose" method="post" action="/cases/{case}/assignment">"#
    )));
    assert!(page.html.contains(&format!(
        r#"<input type="hidden" name="mediator_id" value="{good}">"#
    )));

    let csrf = browser.csrf.clone();
    let good = good.to_string();
    let page = browser
        .post(
            &format!("/cases/{case}/assignment"),
            &[("csrf", &csrf), ("mediator_id", &good)],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location, format!("/cases/{case}"));
    let page = browser.get(&page.location).await;
    assert!(visible_text(&page.html).contains("медиатор предложен"));
    assert!(!page.html.contains("matches-link"));

    // Proposing again: refused, the reason said in words.
    let page = browser.get(&format!("/cases/{case}/matches")).await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = browser.csrf.clone();
    let page = browser
        .post(
            &format!("/cases/{case}/assignment"),
            &[("csrf", &csrf), ("mediator_id", &good)],
        )
        .await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    assert!(visible_text(&page.html).contains("в нынешнем состоянии дела это действие невозможно"));
}

#[tokio::test]
async fn another_courts_case_its_matches_and_its_forms_are_not_found() {
    let app = spawn_app().await;
    let court = app.create_court("OWN").await;
    let other = app.create_court("FAR").await;
    let (_, token) = app.clerk_of(court).await;
    let (_, other_token) = app.clerk_of(other).await;
    let theirs = case_in(&app, &other_token, other, "9-801/2026", "family").await;
    let mut browser = with_token(&app, &token, "/home").await;
    for path in [
        format!("/cases/{theirs}"),
        format!("/cases/{theirs}/matches"),
        format!("/cases/{theirs}/agreement.pdf"),
    ] {
        assert_eq!(
            browser.get(&path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let page = browser.get("/home").await;
    assert!(!page.html.contains("9-801/2026"));
}

#[tokio::test]
async fn the_case_list_searches_wildcards_literally_and_filters_near_deadlines() {
    let app = spawn_app().await;
    let court = app.create_court("SRC").await;
    let (_, token) = app.clerk_of(court).await;
    let near = case_in(&app, &token, court, "2-901/2026", "family").await;
    case_in(&app, &token, court, "2-902/2026", "civil").await;
    entity::cases::Entity::update_many()
        .col_expr(
            entity::cases::Column::MediationDeadline,
            Expr::value((Utc::now() + Duration::days(2)).date_naive()),
        )
        .filter(entity::cases::Column::Id.eq(near))
        .exec(&app.db)
        .await
        .expect("a near deadline");
    let mut browser = with_token(&app, &token, "/home").await;
    browser.switch_language("en", "/home").await;

    let listed = |html: &str| {
        let text = visible_text(html);
        (text.contains("2-901/2026"), text.contains("2-902/2026"))
    };
    let page = browser.get("/home?number=2-90").await;
    assert_eq!(listed(&page.html), (true, true));
    for wildcard in ["%25", "_", "2-90_", "%5C"] {
        let page = browser.get(&format!("/home?number={wildcard}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(
            listed(&page.html),
            (false, false),
            "{wildcard} matched as a wildcard"
        );
    }
    let page = browser.get("/home?soon=1").await;
    assert_eq!(listed(&page.html), (true, false));
    assert!(
        visible_text(&page.html).contains("2 days left"),
        "{}",
        page.html
    );
}

#[tokio::test]
async fn a_long_case_list_is_paginated_and_every_page_stays_small() {
    let app = spawn_app().await;
    let court = app.create_court("BIG").await;
    let (_, token) = app.clerk_of(court).await;
    let first = case_in(&app, &token, court, "2-1000/2026", "family").await;
    let template = entity::cases::Entity::find_by_id(first)
        .one(&app.db)
        .await
        .expect("read")
        .expect("case");
    // Rows straight into the table: the list reads only the cases.
    let rows: Vec<entity::cases::ActiveModel> = (1..120)
        .map(|i| {
            let mut m = template.clone();
            m.id = Uuid::now_v7();
            m.court_case_number = format!("2-{}/2026", 1000 + i);
            m.into()
        })
        .collect();
    entity::cases::Entity::insert_many(rows)
        .exec(&app.db)
        .await
        .expect("insert");
    let mut browser = with_token(&app, &token, "/home").await;
    let mut path = "/home".to_owned();
    let mut pages = 0;
    loop {
        let page = browser.get(&path).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.html.len() < MAX_PAGE_BYTES,
            "{} bytes",
            page.html.len()
        );
        pages += 1;
        // The link to the next page (minijinja escapes `/` in attributes).
        let Some(at) = page.html.find("href=\"&#x2f;home?") else {
            break;
        };
        let rest = &page.html[at + 6..];
        path = rest[..rest.find('"').expect("end")]
            .replace("&#x2f;", "/")
            .replace("&amp;", "&")
            .replace("&#x3d;", "=");
    }
    assert_eq!(pages, 3, "120 cases, 50 a page");
}

#[tokio::test]
async fn the_clerk_registers_or_returns_the_submitted_agreement_from_the_case_page() {
    let app = spawn_app().await;
    let s = held_case(&app, "WREG").await;
    let due = (Utc::now() + Duration::days(30)).date_naive();
    assert_eq!(
        post_outcome(&app, &s, settlement(&s, due, ""))
            .await
            .status(),
        StatusCode::CREATED
    );
    let mut browser = with_token(&app, &s.clerk, "/home").await;
    let case = s.case;
    // Not submitted yet: nothing to decide, no agreement for the clerk.
    let page = browser.get(&format!("/cases/{case}")).await;
    assert!(!page.html.contains(r#"<form id="register""#));
    let resp = app
        .post(
            &format!("/api/v1/cases/{case}/outcome/submit"),
            Some(&s.mediator_token),
            json!({}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);

    browser
        .switch_language("kk", &format!("/cases/{case}"))
        .await;
    let page = browser.get(&format!("/cases/{case}")).await;
    for needle in [
        r#"<form id="register""#,
        r#"name="court_registration_number""#,
        r#"<form id="return""#,
        r#"name="reason""#,
        r#"id="agreement""#,
    ] {
        assert!(page.html.contains(needle), "{needle}");
    }
    let text = visible_text(&page.html);
    assert!(!has_iso_date(&text), "{text}");
    assert!(!text.contains("submitted_to_court") && !text.contains("settled"));

    // The agreement is the stored PDF.
    let pdf = app
        .client
        .get(format!("{}/cases/{case}/agreement.pdf", app.address))
        .header("cookie", format!("kelisim_session={}", s.clerk))
        .send()
        .await
        .expect("sent");
    assert_eq!(pdf.status(), StatusCode::OK);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    assert!(pdf.bytes().await.expect("bytes").starts_with(b"%PDF"));

    // A registration without its number is refused at the field.
    let csrf = browser.csrf.clone();
    let page = browser
        .post(
            &format!("/cases/{case}/register"),
            &[("csrf", &csrf), ("court_registration_number", " ")],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.html
            .contains(r#"id="court_registration_number-error""#)
    );

    let page = browser
        .post(
            &format!("/cases/{case}/register"),
            &[
                ("csrf", &csrf),
                ("court_registration_number", "РЕГ-2026/77"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let page = browser.get(&page.location).await;
    let text = visible_text(&page.html);
    assert!(text.contains("РЕГ-2026/77"), "{text}");
    assert!(!page.html.contains(r#"<form id="register""#));
    let stored = entity::cases::Entity::find_by_id(case)
        .one(&app.db)
        .await
        .expect("read")
        .expect("the case");
    assert_eq!(stored.status, "registered");
}

#[tokio::test]
async fn the_reports_page_draws_each_chart_with_its_table_and_csv() {
    let app = spawn_app().await;
    let court = app.create_court("REP").await;
    let (_, token) = app.clerk_of(court).await;
    case_in(&app, &token, court, "2-1101/2026", "family").await;
    let mut browser = with_token(&app, &token, "/home").await;
    for lang in ["kk", "ru", "en"] {
        browser.switch_language(lang, "/reports").await;
        let page = browser.get("/reports").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.html.len() < MAX_PAGE_BYTES);
        assert_eq!(page.html.matches(r#"<svg role="img""#).count(), 4);
        for chart in ["referrals", "settlement", "days", "caseload"] {
            assert!(
                page.html
                    .contains(&format!(r#"<title id="{chart}-title">"#)),
                "{chart}"
            );
            assert!(
                page.html.contains(&format!(r#"<desc id="{chart}-desc">"#)),
                "{chart}"
            );
        }
        assert!(page.html.contains("<table>"));
        assert!(page.html.contains("/reports/monthly.csv?months=12"));
        let text = visible_text(&page.html);
        assert!(!has_iso_date(&text), "{lang}: {text}");
    }
    let csv = app
        .client
        .get(format!("{}/reports/monthly.csv?months=3", app.address))
        .header("cookie", format!("kelisim_session={token}"))
        .send()
        .await
        .expect("sent");
    assert_eq!(csv.status(), StatusCode::OK);
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let text = csv.text().await.expect("text");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[0].starts_with("month,referrals,"));
    assert!(lines[3].contains(",1,"), "this month's referral: {text}");
    let csv = app
        .client
        .get(format!("{}/reports/mediators.csv", app.address))
        .header("cookie", format!("kelisim_session={token}"))
        .send()
        .await
        .expect("sent");
    assert_eq!(csv.status(), StatusCode::OK);
}
