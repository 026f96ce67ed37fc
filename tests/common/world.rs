//! A small world the API and the mail tests share: a court, a mediator
//! with weekday hours who accepted a case with two parties, and booking.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{TestApp, id};

/// 10:00 in Almaty (05:00Z) on the first Tuesday at least `days` ahead.
pub fn tuesday_at_ten(days: i64) -> DateTime<Utc> {
    let mut d: NaiveDate = (Utc::now() + Duration::days(days)).date_naive();
    while d.weekday() != Weekday::Tue {
        d += Duration::days(1);
    }
    Utc.from_utc_datetime(&d.and_hms_opt(5, 0, 0).expect("time"))
}

pub fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub struct Setup {
    pub court: Uuid,
    pub clerk: String,
    pub mediator: Uuid,
    pub mediator_token: String,
    pub case: Uuid,
    pub parties: Vec<Value>,
}

/// A court, a mediator (weekdays 09:00–18:00 Almaty) who accepted a case
/// with a claimant, a respondent and (when `flags` says so) more.
pub async fn accepted_case(app: &TestApp, tag: &str, flags: Value) -> Setup {
    let court = app.create_court(&format!("S-{tag}")).await;
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
                "flags": flags,
                "parties": [
                    {"role": "claimant", "name": "Айгерим Сапарова", "email": format!("aigerim-{tag}@example.kz"), "language": "ru"},
                    {"role": "respondent", "name": "Serik Nurlanov", "email": format!("serik-{tag}@example.kz"), "language": "kk"}
                ]
            }),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let c: Value = resp.json().await.expect("json");
    let case = id(&c);
    let parties = c["parties"].as_array().expect("parties").clone();
    for step in ["assignment", "assignment/accept"] {
        let (token, body) = if step == "assignment" {
            (&clerk, json!({"mediator_id": mediator}))
        } else {
            (&mediator_token, json!({}))
        };
        let resp = app
            .post(&format!("/api/v1/cases/{case}/{step}"), Some(token), body)
            .await;
        assert_eq!(resp.status(), StatusCode::OK, "{step}");
    }
    Setup {
        court,
        clerk,
        mediator,
        mediator_token,
        case,
        parties,
    }
}

pub async fn book(app: &TestApp, s: &Setup, body: Value) -> reqwest::Response {
    app.post(
        &format!("/api/v1/cases/{}/sessions", s.case),
        Some(&s.mediator_token),
        body,
    )
    .await
}
