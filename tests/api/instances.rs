//! Several `serve` instances on one database, with clients spread across
//! them, as a country runs Kelisim behind a load balancer.

use chrono::Duration;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::common::{TestApp, spawn_app};
use crate::sessions::{Setup, accepted_case, book, futures_join_all, rfc, tuesday_at_ten};

#[tokio::test]
async fn twenty_bookings_of_one_slot_spread_over_two_instances_give_exactly_one_success() {
    let first = spawn_app().await;
    let second = first.another_instance().await;
    let s = accepted_case(&first, "TWO", json!({})).await;
    let start = tuesday_at_ten(8);
    let body = json!({"starts_at": rfc(start), "duration_minutes": 60, "online_url": "https://video.example.kz/r/9"});
    let attempts = (0..20).map(|i| {
        let app = if i % 2 == 0 { &first } else { &second };
        book(app, &s, body.clone())
    });
    let results = futures_join_all(attempts).await;
    let created = results
        .iter()
        .filter(|r| **r == StatusCode::CREATED)
        .count();
    let conflicts = results
        .iter()
        .filter(|r| **r == StatusCode::CONFLICT)
        .count();
    assert_eq!((created, conflicts), (1, 19), "{results:?}");
    let stored = entity::sessions::Entity::find()
        .filter(entity::sessions::Column::CaseId.eq(s.case))
        .all(&first.db)
        .await
        .expect("sessions");
    assert_eq!(stored.len(), 1);
}

#[tokio::test]
async fn time_off_added_on_one_instance_is_seen_by_the_next_free_slots_request_on_the_other() {
    let first = spawn_app().await;
    let second = first.another_instance().await;
    let s = accepted_case(&first, "SEEN", json!({})).await;
    let day = tuesday_at_ten(8) - Duration::hours(5);
    // The second instance reads (and caches) the calendar first.
    let before = slots(&second, &s, day).await;
    assert!(before > 0);
    let resp = first
        .post(
            &format!("/api/v1/mediators/{}/time-off", s.mediator),
            Some(&s.mediator_token),
            json!({"starts_at": rfc(day), "ends_at": rfc(day + Duration::days(1)), "note": "ill"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert_eq!(slots(&second, &s, day).await, 0, "the whole day is off now");
    assert_eq!(slots(&first, &s, day).await, 0);
}

/// How many free 60-minute slots the mediator has on `day`, asked of `app`.
async fn slots(app: &TestApp, s: &Setup, day: chrono::DateTime<chrono::Utc>) -> usize {
    let url = format!(
        "/api/v1/mediators/{}/free-slots?from={}&to={}&duration_minutes=60",
        s.mediator,
        rfc(day),
        rfc(day + Duration::days(1))
    );
    let resp = app.get(&url, Some(&s.mediator_token)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.expect("json");
    body["items"].as_array().expect("items").len()
}
