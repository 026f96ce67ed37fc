use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::{error_fields, problem, spawn_app};

#[tokio::test]
async fn an_admin_creates_a_court_and_gets_its_location() {
    let app = spawn_app().await;
    let resp = app
        .post(
            "/api/v1/courts",
            Some(&app.admin_token),
            json!({"code": "alm-smas-2", "name": "Specialised inter-district court, Almaty", "timezone": "Asia/Almaty", "default_language": "kk"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let location = resp.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["code"], "ALM-SMAS-2");
    assert_eq!(body["timezone"], "Asia/Almaty");
    assert_eq!(
        location,
        format!("/api/v1/courts/{}", body["id"].as_str().expect("id"))
    );
    let again: Value = app
        .get(&location, Some(&app.admin_token))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(again, body);
}

#[tokio::test]
async fn a_duplicate_court_code_is_409_naming_the_code() {
    let app = spawn_app().await;
    app.create_court("AST-1").await;
    let resp = app
        .post(
            "/api/v1/courts",
            Some(&app.admin_token),
            json!({"code": "ast-1", "name": "Other", "timezone": "Asia/Almaty", "default_language": "ru"}),
        )
        .await;
    let p = problem(resp, StatusCode::CONFLICT).await;
    assert_eq!(error_fields(&p), ["code"]);
}

#[tokio::test]
async fn a_bad_time_zone_is_422_naming_the_field() {
    let app = spawn_app().await;
    let resp = app
        .post(
            "/api/v1/courts",
            Some(&app.admin_token),
            json!({"code": "TZ-1", "name": "Court", "timezone": "Asia/Atlantis", "default_language": "kk"}),
        )
        .await;
    let p = problem(resp, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(error_fields(&p), ["timezone"]);
}

#[tokio::test]
async fn an_unknown_language_is_422_naming_the_field() {
    let app = spawn_app().await;
    let resp = app
        .post(
            "/api/v1/courts",
            Some(&app.admin_token),
            json!({"code": "L-1", "name": "Court", "timezone": "Asia/Almaty", "default_language": "de"}),
        )
        .await;
    let p = problem(resp, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(error_fields(&p), ["default_language"]);
}

#[tokio::test]
async fn every_invalid_field_is_named_at_once_and_nothing_is_stored() {
    let app = spawn_app().await;
    let resp = app
        .post(
            "/api/v1/courts",
            Some(&app.admin_token),
            json!({"code": "bad code!", "name": "  ", "timezone": "UTC+5", "default_language": "fr"}),
        )
        .await;
    let p = problem(resp, StatusCode::UNPROCESSABLE_ENTITY).await;
    let mut fields = error_fields(&p);
    fields.sort();
    assert_eq!(fields, ["code", "default_language", "name", "timezone"]);
    let list: Value = app
        .get("/api/v1/courts", Some(&app.admin_token))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list["items"].as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn a_clerk_sees_only_their_own_court() {
    let app = spawn_app().await;
    let mine = app.create_court("MINE-1").await;
    let other = app.create_court("OTHER-1").await;
    let (_, clerk) = app.clerk_of(mine).await;

    assert_eq!(
        app.get(&format!("/api/v1/courts/{mine}"), Some(&clerk))
            .await
            .status(),
        StatusCode::OK
    );
    problem(
        app.get(&format!("/api/v1/courts/{other}"), Some(&clerk))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(
        app.get(&format!("/api/v1/courts/{other}/rooms"), Some(&clerk))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;

    let list: Value = app
        .get("/api/v1/courts", Some(&clerk))
        .await
        .json()
        .await
        .expect("json");
    let ids: Vec<&str> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert_eq!(ids, [mine.to_string()]);
}

#[tokio::test]
async fn another_courts_resource_looks_exactly_like_a_missing_one() {
    let app = spawn_app().await;
    let mine = app.create_court("M-2").await;
    let other = app.create_court("O-2").await;
    let (_, clerk) = app.clerk_of(mine).await;
    let hidden = problem(
        app.get(&format!("/api/v1/courts/{other}"), Some(&clerk))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let missing = problem(
        app.get(&format!("/api/v1/courts/{}", Uuid::now_v7()), Some(&clerk))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(hidden, missing);
}

#[tokio::test]
async fn an_unknown_or_malformed_court_id_is_404() {
    let app = spawn_app().await;
    for path in [
        format!("/api/v1/courts/{}", Uuid::now_v7()),
        "/api/v1/courts/not-a-uuid".to_owned(),
        format!("/api/v1/courts/{}/rooms", Uuid::now_v7()),
    ] {
        problem(
            app.get(&path, Some(&app.admin_token)).await,
            StatusCode::NOT_FOUND,
        )
        .await;
    }
}

#[tokio::test]
async fn rooms_are_created_in_a_court_and_listed_for_its_clerk() {
    let app = spawn_app().await;
    let court = app.create_court("R-1").await;
    let resp = app
        .post(
            &format!("/api/v1/courts/{court}/rooms"),
            Some(&app.admin_token),
            json!({"name": "Mediation room 1", "capacity": 6, "step_free": true}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert!(resp.headers().contains_key("location"));
    let room: Value = resp.json().await.expect("json");
    assert_eq!(room["court_id"], court.to_string());
    assert_eq!(room["step_free"], true);

    let dup = app
        .post(
            &format!("/api/v1/courts/{court}/rooms"),
            Some(&app.admin_token),
            json!({"name": "Mediation room 1", "capacity": 4}),
        )
        .await;
    assert_eq!(
        error_fields(&problem(dup, StatusCode::CONFLICT).await),
        ["name"]
    );

    let bad = app
        .post(
            &format!("/api/v1/courts/{court}/rooms"),
            Some(&app.admin_token),
            json!({"name": "Room 2", "capacity": 0}),
        )
        .await;
    assert_eq!(
        error_fields(&problem(bad, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["capacity"]
    );

    let (_, clerk) = app.clerk_of(court).await;
    let list: Value = app
        .get(&format!("/api/v1/courts/{court}/rooms"), Some(&clerk))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
    // A clerk reads rooms but may not add them.
    let resp = app
        .post(
            &format!("/api/v1/courts/{court}/rooms"),
            Some(&clerk),
            json!({"name": "R", "capacity": 2}),
        )
        .await;
    problem(resp, StatusCode::FORBIDDEN).await;
}

#[tokio::test]
async fn a_court_can_be_renamed_and_its_zone_changed() {
    let app = spawn_app().await;
    let court = app.create_court("U-1").await;
    let resp = app
        .patch(
            &format!("/api/v1/courts/{court}"),
            Some(&app.admin_token),
            json!({"name": "Renamed", "timezone": "Asia/Aqtobe"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["name"], "Renamed");
    assert_eq!(body["timezone"], "Asia/Aqtobe");
    let bad = app
        .patch(
            &format!("/api/v1/courts/{court}"),
            Some(&app.admin_token),
            json!({"timezone": "Mars/Olympus"}),
        )
        .await;
    assert_eq!(
        error_fields(&problem(bad, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["timezone"]
    );
}

#[tokio::test]
async fn lists_are_paged_with_a_cursor() {
    let app = spawn_app().await;
    for i in 0..5 {
        app.create_court(&format!("P-{i}")).await;
    }
    let first: Value = app
        .get("/api/v1/courts?limit=3", Some(&app.admin_token))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(first["items"].as_array().map(Vec::len), Some(3));
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let second: Value = app
        .get(
            &format!("/api/v1/courts?limit=3&cursor={cursor}"),
            Some(&app.admin_token),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(second["items"].as_array().map(Vec::len), Some(2));
    assert!(second["next_cursor"].is_null());
    let codes: Vec<String> = first["items"]
        .as_array()
        .into_iter()
        .chain(second["items"].as_array())
        .flatten()
        .filter_map(|c| c["code"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(codes, ["P-0", "P-1", "P-2", "P-3", "P-4"]);

    let bad = app
        .get("/api/v1/courts?limit=abc", Some(&app.admin_token))
        .await;
    assert_eq!(
        error_fields(&problem(bad, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["limit"]
    );
    let bad = app
        .get("/api/v1/courts?cursor=zzz", Some(&app.admin_token))
        .await;
    assert_eq!(
        error_fields(&problem(bad, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["cursor"]
    );
}

#[tokio::test]
async fn creating_a_court_is_audited() {
    let app = spawn_app().await;
    let court = app.create_court("AUD-1").await;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let rows = entity::audit_log::Entity::find()
        .filter(entity::audit_log::Column::EntityId.eq(court))
        .all(&app.db)
        .await
        .expect("query");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].action, "court.created");
    assert_eq!(rows[0].actor_kind, "user");
    assert!(rows[0].actor_user_id.is_some());
}
