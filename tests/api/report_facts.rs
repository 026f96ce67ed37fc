//! Report facts: the one row per case that the summary report counts
//! (`case_facts`) stays equal to what the case's own rows say, through
//! every change that moves a figure — an outcome corrected, submitted,
//! returned and recorded again as a new version, a referral withdrawn, a
//! mediator who declines and another who accepts, attendance with a
//! no-show — and the report shows those figures.
//!
//! After each step every case's facts are compared with an independent
//! computation from the cases, assignments, outcome versions, sessions and
//! invited parties read through `entity`.

use chrono::{Duration, Utc};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::{TestApp, id, spawn_app};
use crate::outcomes::{
    Setup, accepted_case, action, attendance, book, held_case, json_of, post_outcome, set_start,
    settlement, today, tuesday_at_ten,
};

const ALMATY: chrono_tz::Tz = chrono_tz::Asia::Almaty;

/// What the facts of `case` must be, from its own rows.
async fn expected(
    db: &DatabaseConnection,
    case: &entity::cases::Model,
) -> entity::case_facts::Model {
    let accepted = entity::assignments::Entity::find()
        .filter(entity::assignments::Column::CaseId.eq(case.id))
        .filter(entity::assignments::Column::Status.eq("accepted"))
        .all(db)
        .await
        .expect("assignments");
    assert!(accepted.len() <= 1, "at most one accepted assignment");
    let versions = entity::outcomes::Entity::find()
        .filter(entity::outcomes::Column::CaseId.eq(case.id))
        .order_by_asc(entity::outcomes::Column::Version)
        .all(db)
        .await
        .expect("outcomes");
    let day = |t: chrono::DateTime<Utc>| t.with_timezone(&ALMATY).date_naive();
    let (mut invited, mut absent) = (0, 0);
    let sessions = entity::sessions::Entity::find()
        .filter(entity::sessions::Column::CaseId.eq(case.id))
        .all(db)
        .await
        .expect("sessions");
    for session in sessions
        .iter()
        .filter(|s| s.attendance_recorded_at.is_some())
    {
        let parties = entity::session_parties::Entity::find()
            .filter(entity::session_parties::Column::SessionId.eq(session.id))
            .all(db)
            .await
            .expect("session parties");
        invited += parties.len() as i32;
        absent += parties.iter().filter(|p| p.attended == Some(false)).count() as i32;
    }
    entity::case_facts::Model {
        case_id: case.id,
        court_id: case.court_id,
        category: case.category.clone(),
        status: case.status.clone(),
        referred_at: case.created_at,
        mediator_id: accepted.first().map(|a| a.mediator_id),
        result: versions.last().map(|o| o.result.clone()),
        days_to_outcome: versions
            .first()
            .map(|o| (day(o.created_at) - day(case.created_at)).num_days() as i32),
        invited_parties: invited,
        absent_parties: absent,
    }
}

/// Every case's facts are what its rows say; returns them by case. (The
/// demo's test calls this too.)
pub(crate) async fn facts_hold(
    db: &DatabaseConnection,
    step: &str,
) -> Vec<entity::case_facts::Model> {
    let cases = entity::cases::Entity::find()
        .order_by_asc(entity::cases::Column::Id)
        .all(db)
        .await
        .expect("cases");
    let facts = entity::case_facts::Entity::find()
        .order_by_asc(entity::case_facts::Column::CaseId)
        .all(db)
        .await
        .expect("facts");
    assert_eq!(facts.len(), cases.len(), "{step}: one row per case");
    for (case, fact) in cases.iter().zip(&facts) {
        assert_eq!(*fact, expected(db, case).await, "{step}");
    }
    facts
}

async fn fact_of(app: &TestApp, case: Uuid, step: &str) -> entity::case_facts::Model {
    facts_hold(&app.db, step)
        .await
        .into_iter()
        .find(|f| f.case_id == case)
        .expect("the case's facts")
}

/// A mediator serving `court` who may take civil cases on weekdays.
async fn mediator(app: &TestApp, court: Uuid, tag: &str) -> (Uuid, String) {
    let email = format!("med-{}@mediators.kz", tag.to_lowercase());
    let (m, token) = app
        .mediator_with_login(
            &email,
            json!({
                "name": format!("Mediator {tag}"), "email": email,
                "registry_number": format!("F-{tag}"), "kind": "professional",
                "certified_until": "2031-12-31",
                "specialties": ["civil"], "languages": ["kk", "ru"],
                "court_ids": [court], "max_active_cases": 10, "timezone": "Asia/Almaty"
            }),
        )
        .await;
    app.set_weekday_hours(m, &token, "09:00", "18:00").await;
    (m, token)
}

/// A new civil case of `s`'s court, referred by its clerk; returns it.
async fn refer(app: &TestApp, s: &Setup, number: &str) -> Value {
    let deadline = (Utc::now() + Duration::days(60)).date_naive();
    json_of(
        app.post(
            "/api/v1/cases",
            Some(&s.clerk),
            json!({
                "court_id": s.court, "court_case_number": number, "category": "civil",
                "summary": "Взыскание долга", "language": "ru", "mediation_deadline": deadline,
                "flags": {},
                "parties": [
                    {"role": "claimant", "name": "Әсел Нұрланова", "email": format!("a-{number}@example.kz"), "language": "kk"},
                    {"role": "respondent", "name": "Сергей Иванов", "email": format!("s-{number}@example.kz"), "language": "ru"}
                ]
            }),
        )
        .await,
        StatusCode::CREATED,
    )
    .await
}

async fn step(app: &TestApp, token: &str, path: String, body: Value) {
    let resp = app.post(&path, Some(token), body).await;
    assert_eq!(resp.status(), StatusCode::OK, "{path}");
}

#[tokio::test]
async fn report_facts_follow_corrections_returns_new_versions_withdrawals_and_reassignments() {
    let app = spawn_app().await;
    let due = today() + Duration::days(20);

    // A: held, both present; settled, corrected to partially settled,
    // submitted, returned, recorded again as not settled, submitted,
    // registered.
    let a = held_case(&app, "FA").await;
    let f = fact_of(&app, a.case, "held").await;
    assert_eq!(
        (f.status.as_str(), f.invited_parties, f.absent_parties),
        ("scheduled", 2, 0)
    );
    json_of(
        post_outcome(&app, &a, settlement(&a, due, "")).await,
        StatusCode::CREATED,
    )
    .await;
    let f = fact_of(&app, a.case, "recorded").await;
    assert_eq!(
        (f.result.as_deref(), f.days_to_outcome),
        (Some("settled"), Some(0))
    );
    let mut partial = settlement(&a, due, "");
    partial["result"] = json!("partially_settled");
    partial["unresolved"] = json!("Судебные расходы");
    let corrected = post_outcome(&app, &a, partial).await;
    assert_eq!(corrected.status(), StatusCode::OK, "correction");
    let f = fact_of(&app, a.case, "corrected").await;
    assert_eq!(f.result.as_deref(), Some("partially_settled"));
    json_of(
        action(&app, &a, "submit", &a.mediator_token, json!({})).await,
        StatusCode::OK,
    )
    .await;
    facts_hold(&app.db, "submitted").await;
    json_of(
        action(
            &app,
            &a,
            "registration",
            &a.clerk,
            json!({"decision": "returned", "reason": "Уточните условия"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let f = fact_of(&app, a.case, "returned").await;
    assert_eq!(
        (f.status.as_str(), f.result.as_deref()),
        ("returned", Some("partially_settled"))
    );
    json_of(
        post_outcome(
            &app,
            &a,
            json!({"result": "not_settled", "terms": [], "signed_on": today(), "signed_at_place": "г. Алматы"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let f = fact_of(&app, a.case, "version 2").await;
    assert_eq!(
        (f.result.as_deref(), f.days_to_outcome),
        (Some("not_settled"), Some(0)),
        "the latest version's result, the first version's days"
    );

    // B: accepted, then withdrawn by the court.
    let b = accepted_case(&app, "FB").await;
    step(
        &app,
        &b.clerk,
        format!("/api/v1/cases/{}/withdraw", b.case),
        json!({"reason": "Стороны примирились сами"}),
    )
    .await;
    let fb = fact_of(&app, b.case, "withdrawn").await;
    assert_eq!(fb.status, "withdrawn");
    assert!(fb.mediator_id.is_some(), "the accepted mediator stays");

    // C: in A's court, one mediator declines, another accepts; a session
    // is held with the respondent absent.
    let (first, first_token) = mediator(&app, a.court, "FC1").await;
    let (second, second_token) = mediator(&app, a.court, "FC2").await;
    let c = id(&refer(&app, &a, "2-FC/2026").await);
    step(
        &app,
        &a.clerk,
        format!("/api/v1/cases/{c}/assignment"),
        json!({"mediator_id": first}),
    )
    .await;
    assert_eq!(fact_of(&app, c, "proposed").await.mediator_id, None);
    step(
        &app,
        &first_token,
        format!("/api/v1/cases/{c}/assignment/decline"),
        json!({"reason": "Конфликт расписания"}),
    )
    .await;
    step(
        &app,
        &a.clerk,
        format!("/api/v1/cases/{c}/assignment"),
        json!({"mediator_id": second}),
    )
    .await;
    step(
        &app,
        &second_token,
        format!("/api/v1/cases/{c}/assignment/accept"),
        json!({}),
    )
    .await;
    assert_eq!(
        fact_of(&app, c, "reassigned").await.mediator_id,
        Some(second)
    );
    let case_c: Value = app
        .get(&format!("/api/v1/cases/{c}"), Some(&a.clerk))
        .await
        .json()
        .await
        .expect("case");
    let party = |role: &str| -> Uuid {
        case_c["parties"]
            .as_array()
            .expect("parties")
            .iter()
            .find(|p| p["role"] == role)
            .map(id)
            .expect("party")
    };
    let sc = Setup {
        case: c,
        mediator_token: second_token.clone(),
        ..a
    };
    let session = book(&app, &sc, tuesday_at_ten(7)).await;
    set_start(&app, session, Utc::now() - Duration::hours(2)).await;
    let resp = attendance(
        &app,
        &second_token,
        session,
        json!({"held": true, "present_party_ids": [party("claimant")]}),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK, "attendance");
    let f = fact_of(&app, c, "attendance").await;
    assert_eq!((f.invited_parties, f.absent_parties), (2, 1));

    // The report of A's court counts A and C (B has a court of its own).
    let report: Value = app
        .get(
            &format!(
                "/api/v1/reports/summary?court_id={}&from={}&to={}",
                sc.court,
                today(),
                today()
            ),
            Some(&app.admin_token),
        )
        .await
        .json()
        .await
        .expect("report");
    let total = &report["total"];
    assert_eq!(total["referrals"], 2);
    assert_eq!(total["outcomes"]["not_settled"], 1);
    assert_eq!(total["outcomes"]["total"], 1);
    assert_eq!(total["days_to_outcome"]["median"], 0.0);
    assert_eq!(total["by_status"]["outcome_recorded"], 1);
    assert_eq!(total["by_status"]["scheduled"], 1);
    assert_eq!(
        (
            total["attendance"]["invited_parties"].clone(),
            total["attendance"]["absent_parties"].clone()
        ),
        (json!(4), json!(1))
    );
    let mediators: Vec<Value> = report["by_mediator"]
        .as_array()
        .expect("by mediator")
        .iter()
        .map(|m| m["mediator_id"].clone())
        .collect();
    assert!(mediators.contains(&json!(second)));
    assert!(
        !mediators.contains(&json!(first)),
        "who declined counts nothing"
    );
}
