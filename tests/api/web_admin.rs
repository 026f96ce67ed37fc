//! The admin's pages over HTTP: courts, rooms and closed days, users, the
//! registry import with its preview, and the outbox with retry.

use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::common::{PASSWORD, TestApp, spawn_app};
use crate::registry_import::good_file;
use crate::web::{Browser, has_iso_date, visible_text};

async fn admin(app: &TestApp) -> Browser<'_> {
    let mut browser = Browser::new(app);
    browser.log_in("admin@kelisim.test", PASSWORD).await;
    browser.get("/home").await;
    browser
}

#[tokio::test]
async fn an_admin_adds_a_court_a_room_and_closed_days_with_errors_at_their_fields() {
    let app = spawn_app().await;
    let mut browser = admin(&app).await;
    let page = browser.get("/admin/courts").await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = browser.csrf.clone();

    let page = browser
        .post(
            "/admin/courts",
            &[
                ("csrf", &csrf),
                ("code", "WA-1"),
                ("name", "Медеуский районный суд"),
                ("timezone", "Mars/Olympus"),
                ("default_language", "ru"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.html.contains(r#"id="timezone-error""#));
    assert!(page.html.contains("Медеуский районный суд"), "kept");

    let page = browser
        .post(
            "/admin/courts",
            &[
                ("csrf", &csrf),
                ("code", "WA-1"),
                ("name", "Медеуский районный суд"),
                ("timezone", "Asia/Almaty"),
                ("default_language", "ru"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let court_page = page.location.clone();
    assert!(court_page.starts_with("/admin/courts/"));
    let court: Uuid = court_page["/admin/courts/".len()..].parse().expect("id");

    browser.get(&court_page).await;
    let csrf = browser.csrf.clone();
    let page = browser
        .post(
            &format!("{court_page}/rooms"),
            &[("csrf", &csrf), ("name", "Зал 1"), ("capacity", "many")],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.html.contains(r#"id="capacity-error""#));
    let page = browser
        .post(
            &format!("{court_page}/rooms"),
            &[
                ("csrf", &csrf),
                ("name", "Зал 1"),
                ("capacity", "12"),
                ("step_free", "1"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);

    let page = browser
        .post(
            &format!("{court_page}/closed-days"),
            &[("csrf", &csrf), ("days", "2026-12-16\nsoon")],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.html.contains(r#"id="days-error""#));
    let page = browser
        .post(
            &format!("{court_page}/closed-days"),
            &[("csrf", &csrf), ("days", "2026-12-16\n2026-12-17\n")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);

    browser.switch_language("kk", &court_page).await;
    let page = browser.get(&court_page).await;
    let text = visible_text(&page.html);
    assert!(text.contains("Зал 1"));
    assert!(text.contains("16 желтоқсан 2026"), "{text}");
    let days = entity::court_closed_days::Entity::find()
        .filter(entity::court_closed_days::Column::CourtId.eq(court))
        .all(&app.db)
        .await
        .expect("read");
    assert_eq!(days.len(), 2);
}

#[tokio::test]
async fn an_admin_creates_users_and_a_clerk_needs_a_court() {
    let app = spawn_app().await;
    let court = app.create_court("WU-1").await;
    let mut browser = admin(&app).await;
    browser.get("/admin/users").await;
    let csrf = browser.csrf.clone();
    let form = |court: &str| -> Vec<(String, String)> {
        [
            ("csrf", csrf.as_str()),
            ("name", "Гульнар Ахметова"),
            ("email", "gulnar@court.test"),
            ("role", "clerk"),
            ("court_id", court),
            ("language", "kk"),
            ("password", PASSWORD),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
    };
    let f = form("");
    let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let page = browser.post("/admin/users", &pairs).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.html.contains(r#"id="court_id-error""#),
        "{}",
        page.html
    );
    assert!(
        !page.html.contains(PASSWORD),
        "a password is never shown back"
    );

    let f = form(&court.to_string());
    let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let page = browser.post("/admin/users", &pairs).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let page = browser.get("/admin/users").await;
    let text = visible_text(&page.html);
    assert!(
        text.contains("Гульнар Ахметова") && text.contains("court clerk"),
        "{text}"
    );

    // The new clerk signs in; the admin pages are not theirs.
    let mut clerk = Browser::new(&app);
    clerk.log_in("gulnar@court.test", PASSWORD).await;
    for path in [
        "/admin/courts",
        "/admin/users",
        "/admin/mediators",
        "/admin/outbox",
    ] {
        assert_eq!(
            clerk.get(path).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
}

#[tokio::test]
async fn the_registry_import_previews_bad_rows_and_writes_nothing_until_applied() {
    let app = spawn_app().await;
    app.create_court("IMP-1").await;
    let mut browser = admin(&app).await;
    browser.get("/admin/mediators").await;
    let csrf = browser.csrf.clone();
    let file = format!(
        "{}KZ-A4,Bad Email,nope,professional,2030-01-31,civil,kk,IMP-1,10,Asia/Almaty,active\n",
        good_file()
    );
    let count = || async {
        entity::mediators::Entity::find()
            .all(&app.db)
            .await
            .expect("read")
            .len()
    };

    let page = browser
        .post(
            "/admin/mediators/import",
            &[("csrf", &csrf), ("csv", &file), ("step", "preview")],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains(r#"id="bad-rows""#));
    let text = visible_text(&page.html);
    assert!(text.contains("New: 3"), "{text}");
    assert!(text.contains("5 email"), "{text}");
    assert_eq!(count().await, 0, "a preview writes nothing");

    // Applied without leaving the bad row out: refused, still nothing.
    let page = browser
        .post(
            "/admin/mediators/import",
            &[("csrf", &csrf), ("csv", &file), ("step", "apply")],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(count().await, 0);

    let page = browser
        .post(
            "/admin/mediators/import",
            &[
                ("csrf", &csrf),
                ("csv", &file),
                ("step", "apply"),
                ("skip_bad_rows", "1"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(count().await, 3);
    let page = browser.get(&page.location).await;
    let text = visible_text(&page.html);
    assert!(text.contains("Imported: new 3"), "{text}");
    assert!(text.contains("Dana Serikova"));
    assert!(!has_iso_date(&text), "{text}");
}

#[tokio::test]
async fn a_failed_message_is_listed_in_words_and_retried() {
    let app = spawn_app().await;
    let court = app.create_court("OBX").await;
    let (_, token) = app.clerk_of(court).await;
    crate::web::case_in(&app, &token, court, "2-1201/2026", "family").await;
    let message = entity::outbox_messages::Entity::find()
        .one(&app.db)
        .await
        .expect("read")
        .expect("a message");
    // A copy that failed for good (the delivery worker leaves it alone).
    let message = entity::outbox_messages::Model {
        id: Uuid::now_v7(),
        status: "failed".into(),
        last_error: Some("554 rejected".into()),
        message_id: format!("<{}@kelisim.test>", Uuid::new_v4()),
        ..message
    };
    let failed: entity::outbox_messages::ActiveModel = message.clone().into();
    failed.insert(&app.db).await.expect("a failed message");

    let mut browser = admin(&app).await;
    let page = browser.get("/home").await;
    assert!(visible_text(&page.html).contains("failed: 1"));
    browser.switch_language("ru", "/admin/outbox").await;
    let page = browser.get("/admin/outbox").await;
    assert_eq!(page.status, StatusCode::OK);
    let text = visible_text(&page.html);
    assert!(
        text.contains("не доставлено") && text.contains("554 rejected"),
        "{text}"
    );
    assert!(!has_iso_date(&text));
    let action = format!("/admin/outbox/{}/retry", message.id);
    assert!(page.html.contains(&action));
    let page = browser.post(&action, &[("csrf", "")]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let csrf = browser.csrf.clone();
    let page = browser.post(&action, &[("csrf", &csrf)]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let stored = entity::outbox_messages::Entity::find_by_id(message.id)
        .one(&app.db)
        .await
        .expect("read")
        .expect("the message");
    assert_ne!(stored.status, "failed");
}
