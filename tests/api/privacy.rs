//! Contact details only where needed and every read of them audited; no
//! stored answer, key or token kept longer than it is of use.

use chrono::{Duration, Utc};
use reqwest::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::{TestApp, id, spawn_app};

const IIN: &str = "900101300126";

struct Setup {
    clerk: String,
    mediator: Uuid,
    mediator_token: String,
    case: Uuid,
}

/// A referred case (violence reported, so the clerk's override applies) and
/// an eligible mediator, not yet proposed.
async fn referred(app: &TestApp, tag: &str) -> Setup {
    let court = app.create_court(&format!("P-{tag}")).await;
    let (_, clerk) = app.clerk_of(court).await;
    let email = format!("med-{}@mediators.kz", tag.to_lowercase());
    let (mediator, mediator_token) = app
        .mediator_with_login(
            &email,
            json!({
                "name": "Dana Mediator", "email": email,
                "registry_number": format!("R-{tag}"), "kind": "professional",
                "certified_until": "2031-12-31",
                "specialties": ["civil", "family", "domestic_violence"], "languages": ["kk", "ru"],
                "court_ids": [court], "max_active_cases": 10, "timezone": "Asia/Almaty"
            }),
        )
        .await;
    app.set_weekday_hours(mediator, &mediator_token, "09:00", "18:00")
        .await;
    let deadline = (Utc::now() + Duration::days(60)).date_naive();
    let resp = app
        .post(
            "/api/v1/cases",
            Some(&clerk),
            json!({
                "court_id": court, "court_case_number": format!("2-{tag}/2026"), "category": "family",
                "summary": "Property", "language": "ru", "mediation_deadline": deadline,
                "flags": {"violence_reported": true},
                "parties": [
                    {"role": "claimant", "name": "Aigerim Saparova", "email": format!("aigerim-{tag}@example.kz"),
                     "iin_bin": IIN, "phone": "+7 701 123 4567", "language": "ru"},
                    {"role": "respondent", "name": "Serik Nurlanov", "email": format!("serik-{tag}@example.kz"), "language": "kk"}
                ]
            }),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let case = id(&resp.json().await.expect("json"));
    Setup {
        clerk,
        mediator,
        mediator_token,
        case,
    }
}

/// The `case.read` rows of a case: (actor, what they came with).
async fn reads(app: &TestApp, case: Uuid) -> Vec<(Option<Uuid>, Option<String>)> {
    entity::audit_log::Entity::find()
        .filter(entity::audit_log::Column::CaseId.eq(case))
        .filter(entity::audit_log::Column::Action.eq("case.read"))
        .all(&app.db)
        .await
        .expect("audit")
        .into_iter()
        .map(|r| {
            let after = r
                .details
                .as_ref()
                .and_then(|d| d["after"].as_str())
                .map(str::to_owned);
            (r.actor_user_id, after)
        })
        .collect()
}

async fn user_of(app: &TestApp, token: &str) -> Uuid {
    let me: Value = app
        .get("/api/v1/auth/me", Some(token))
        .await
        .json()
        .await
        .expect("json");
    me["id"].as_str().expect("id").parse().expect("uuid")
}

fn contacts(case: &Value) -> Vec<(Value, Value, Value)> {
    case["parties"]
        .as_array()
        .expect("parties")
        .iter()
        .map(|p| (p["email"].clone(), p["phone"].clone(), p["iin_bin"].clone()))
        .collect()
}

#[tokio::test]
async fn a_proposed_mediator_sees_no_contacts_and_every_answer_with_contacts_is_audited() {
    let app = spawn_app().await;
    let s = referred(&app, "CON").await;
    let clerk_id = user_of(&app, &s.clerk).await;
    let mediator_user = user_of(&app, &s.mediator_token).await;
    let case = s.case;

    let resp = app
        .post(
            &format!("/api/v1/cases/{case}/assignment"),
            Some(&s.clerk),
            json!({"mediator_id": s.mediator}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let proposed: Value = resp.json().await.expect("json");
    assert_eq!(proposed["parties"][0]["email"], "aigerim-con@example.kz");

    // Proposed only: names, no way to reach anyone.
    let seen: Value = app
        .get(&format!("/api/v1/cases/{case}"), Some(&s.mediator_token))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(seen["contacts_hidden"], true);
    assert_eq!(seen["parties"][0]["name"], "Aigerim Saparova");
    assert_eq!(
        contacts(&seen),
        vec![(Value::Null, Value::Null, Value::Null); 2]
    );
    assert!(!seen.to_string().contains(IIN));
    assert!(!seen.to_string().contains("@example.kz"));

    let resp = app
        .post(
            &format!("/api/v1/cases/{case}/joint-session-override"),
            Some(&s.clerk),
            json!({"reason": "Both parties asked for a joint meeting in writing"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);

    // Accepted: the contacts, and the read of them, in the audit log.
    let resp = app
        .post(
            &format!("/api/v1/cases/{case}/assignment/accept"),
            Some(&s.mediator_token),
            json!({}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let accepted: Value = resp.json().await.expect("json");
    assert_eq!(accepted["contacts_hidden"], false);
    assert_eq!(
        contacts(&accepted)[0],
        (
            json!("aigerim-con@example.kz"),
            json!("+7 701 123 4567"),
            json!(IIN)
        )
    );

    let resp = app
        .post(
            &format!("/api/v1/cases/{case}/withdraw"),
            Some(&s.clerk),
            json!({"reason": "The parties settled out of court"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);

    let mut got = reads(&app, case).await;
    got.sort();
    let mut expected = vec![
        (Some(clerk_id), Some("case.mediator_proposed".to_owned())),
        (Some(mediator_user), None),
        (
            Some(clerk_id),
            Some("case.joint_session_override".to_owned()),
        ),
        (
            Some(mediator_user),
            Some("case.mediator_accepted".to_owned()),
        ),
        (Some(clerk_id), Some("case.withdrawn".to_owned())),
    ];
    expected.sort();
    assert_eq!(got, expected);
}

#[tokio::test]
async fn a_declining_mediator_gets_no_contacts_and_a_session_view_is_audited() {
    let app = spawn_app().await;
    let s = referred(&app, "DEC").await;
    let case = s.case;
    let resp = app
        .post(
            &format!("/api/v1/cases/{case}/assignment"),
            Some(&s.clerk),
            json!({"mediator_id": s.mediator}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = app
        .post(
            &format!("/api/v1/cases/{case}/assignment/decline"),
            Some(&s.mediator_token),
            json!({"reason": "Conflict of interest with the respondent"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let declined: Value = resp.json().await.expect("json");
    assert_eq!(declined["contacts_hidden"], true);
    assert!(!declined.to_string().contains("@example.kz"));
    let mediator_user = user_of(&app, &s.mediator_token).await;
    assert!(
        reads(&app, case)
            .await
            .iter()
            .all(|(who, _)| *who != Some(mediator_user)),
        "no read of contacts by the mediator who declined"
    );

    // A session's invitations name every address: reading it is audited.
    let session_id = Uuid::now_v7();
    let now = Utc::now();
    let case_row = entity::cases::Entity::find_by_id(case)
        .one(&app.db)
        .await
        .expect("case")
        .expect("case");
    sea_orm::ActiveModelTrait::insert(
        entity::sessions::ActiveModel {
            id: sea_orm::Set(session_id),
            case_id: sea_orm::Set(case),
            mediator_id: sea_orm::Set(s.mediator),
            starts_at: sea_orm::Set(now + Duration::days(3)),
            ends_at: sea_orm::Set(now + Duration::days(3) + Duration::hours(1)),
            timezone: sea_orm::Set("Asia/Almaty".into()),
            room_id: sea_orm::Set(None),
            online_url: sea_orm::Set(Some("https://video.example.kz/r/1".into())),
            format: sea_orm::Set("separate".into()),
            status: sea_orm::Set("scheduled".into()),
            sequence: sea_orm::Set(0),
            cancel_reason: sea_orm::Set(None),
            created_by: sea_orm::Set(None),
            created_at: sea_orm::Set(now),
            updated_at: sea_orm::Set(now),
            attendance_recorded_at: sea_orm::Set(None),
            attendance_recorded_by: sea_orm::Set(None),
        },
        &app.db,
    )
    .await
    .expect("a session");
    let resp = app
        .get(&format!("/api/v1/sessions/{session_id}"), Some(&s.clerk))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let clerk_id = user_of(&app, &s.clerk).await;
    let session_reads = entity::audit_log::Entity::find()
        .filter(entity::audit_log::Column::Action.eq("session.read"))
        .filter(entity::audit_log::Column::EntityId.eq(session_id))
        .filter(entity::audit_log::Column::ActorUserId.eq(clerk_id))
        .filter(entity::audit_log::Column::CourtId.eq(case_row.court_id))
        .count(&app.db)
        .await
        .expect("audit");
    assert_eq!(session_reads, 1);
}

async fn idempotency_rows(app: &TestApp, path: &str) -> u64 {
    entity::idempotency_keys::Entity::find()
        .filter(entity::idempotency_keys::Column::Path.eq(path))
        .count(&app.db)
        .await
        .expect("keys")
}

#[tokio::test]
async fn answers_with_tokens_are_never_kept_and_other_kept_answers_go_after_a_day() {
    let app = spawn_app().await;
    let login = || {
        app.client
            .post(format!("{}/api/v1/auth/token", app.address))
            .bearer_auth(&app.admin_token)
            .header("idempotency-key", "login-1")
            .json(&json!({"email": "admin@kelisim.test", "password": crate::common::PASSWORD}))
            .send()
    };
    let first: Value = login().await.expect("sent").json().await.expect("json");
    let second = login().await.expect("sent");
    assert!(second.headers().get("idempotent-replayed").is_none());
    let second: Value = second.json().await.expect("json");
    assert_ne!(first["token"], second["token"], "a new login, not a replay");
    assert_eq!(idempotency_rows(&app, "/api/v1/auth/token").await, 0);

    // Any other keyed answer is kept for replay, then purged after a day.
    for (key, code) in [("court-1", "IDEM-1"), ("court-2", "IDEM-2")] {
        let resp = app
            .client
            .post(format!("{}/api/v1/courts", app.address))
            .bearer_auth(&app.admin_token)
            .header("idempotency-key", key)
            .json(&json!({"code": code, "name": "Court", "timezone": "Asia/Almaty", "default_language": "kk"}))
            .send()
            .await
            .expect("sent");
        assert_eq!(resp.status(), StatusCode::CREATED);
    }
    assert_eq!(idempotency_rows(&app, "/api/v1/courts").await, 2);
    entity::idempotency_keys::Entity::update_many()
        .col_expr(
            entity::idempotency_keys::Column::CreatedAt,
            Expr::value(Utc::now() - Duration::hours(25)),
        )
        .filter(entity::idempotency_keys::Column::Key.eq("court-1"))
        .exec(&app.db)
        .await
        .expect("age a key");
    let purged = kelisim::services::idempotency::purge(
        &app.db,
        Utc::now() - Duration::hours(app.settings.idempotency_key_hours),
    )
    .await
    .expect("purge");
    assert_eq!(purged, 1);
    let left: Vec<String> = entity::idempotency_keys::Entity::find()
        .all(&app.db)
        .await
        .expect("keys")
        .into_iter()
        .map(|k| k.key)
        .collect();
    assert_eq!(left, ["court-2"]);
}

#[tokio::test]
async fn expired_and_revoked_tokens_are_purged_and_a_live_one_keeps_working() {
    let app = spawn_app().await;
    let revoked = app
        .login("admin@kelisim.test", crate::common::PASSWORD)
        .await;
    let expired = app
        .login("admin@kelisim.test", crate::common::PASSWORD)
        .await;
    let resp = app
        .request(
            reqwest::Method::DELETE,
            "/api/v1/auth/token",
            Some(&revoked),
            None,
        )
        .await;
    assert!(resp.status().is_success(), "{}", resp.status());
    let hash = |t: &str| {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(t.as_bytes()))
    };
    entity::api_tokens::Entity::update_many()
        .col_expr(
            entity::api_tokens::Column::ExpiresAt,
            Expr::value(Utc::now() - Duration::minutes(1)),
        )
        .filter(entity::api_tokens::Column::TokenHash.eq(hash(&expired)))
        .exec(&app.db)
        .await
        .expect("expire a token");
    let before = entity::api_tokens::Entity::find()
        .count(&app.db)
        .await
        .expect("tokens");

    let purged = kelisim::services::expired_tokens::purge(&app.db, Utc::now())
        .await
        .expect("purge");
    assert_eq!(purged, 2);
    let left: Vec<String> = entity::api_tokens::Entity::find()
        .all(&app.db)
        .await
        .expect("tokens")
        .into_iter()
        .map(|t| t.token_hash)
        .collect();
    assert_eq!(left.len() as u64, before - 2);
    assert!(!left.contains(&hash(&revoked)) && !left.contains(&hash(&expired)));
    assert!(left.contains(&hash(&app.admin_token)));
    let me = app.get("/api/v1/auth/me", Some(&app.admin_token)).await;
    assert_eq!(me.status(), StatusCode::OK);
}
