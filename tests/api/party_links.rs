//! Parties' personal links: random tokens stored only as hashes, replaced
//! one party at a time, expiring after the case closes; and sent message
//! bodies (which carry the links) dropped after the retention period.

use std::time::Duration;

use chrono::{Duration as Days, Utc};
use reqwest::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use sha2::Digest;
use uuid::Uuid;

use crate::common::{TestApp, eml_files, id, problem, spawn_app, wait_until_all_sent};

fn referral(court: Uuid, number: &str) -> Value {
    let deadline = (Utc::now() + Days::days(40)).date_naive().to_string();
    json!({
        "court_id": court, "court_case_number": number, "category": "family",
        "summary": "Dispute over the division of property", "language": "ru",
        "mediation_deadline": deadline,
        "parties": [
            {"role": "claimant", "name": "Aigerim Saparova", "email": "aigerim@example.kz", "language": "ru"},
            {"role": "respondent", "name": "Serik Nurlanov", "email": "serik@example.kz", "language": "kk"}
        ]
    })
}

/// A court, its clerk's token and a referred case.
async fn referred(app: &TestApp, code: &str) -> (Uuid, String, Value) {
    let court = app.create_court(code).await;
    let (_, clerk) = app.clerk_of(court).await;
    let resp = app
        .post(
            "/api/v1/cases",
            Some(&clerk),
            referral(court, &format!("2-{code}/2026")),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    (court, clerk, resp.json().await.expect("json"))
}

fn party_id(case: &Value, email: &str) -> Uuid {
    case["parties"]
        .as_array()
        .expect("parties")
        .iter()
        .find(|p| p["email"] == email)
        .map(id)
        .expect("party")
}

/// The personal link in the latest email of `kind` to `email`.
pub(crate) async fn link_in_mail(app: &TestApp, kind: &str, email: &str) -> String {
    let mail = entity::outbox_messages::Entity::find()
        .filter(entity::outbox_messages::Column::Kind.eq(kind))
        .filter(entity::outbox_messages::Column::Recipient.eq(email))
        .order_by_desc(entity::outbox_messages::Column::Id)
        .one(&app.db)
        .await
        .expect("outbox")
        .expect("an email to the party");
    let message = mail_parser::MessageParser::default()
        .parse(mail.raw_message.as_bytes())
        .expect("a MIME message");
    let text = message.body_text(0).expect("a text part").into_owned();
    let at = text.find("/p/p_").expect("a link in the email");
    let token: String = text[at + 3..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    format!("/p/{token}")
}

async fn status_of(app: &TestApp, path: &str) -> StatusCode {
    app.get(path, None).await.status()
}

#[tokio::test]
async fn replacing_a_partys_link_kills_every_link_they_had_and_mails_one_that_works() {
    let app = spawn_app().await;
    let (_, clerk, case) = referred(&app, "LNK-1").await;
    let aigerim = party_id(&case, "aigerim@example.kz");
    let first = link_in_mail(&app, "case_referred", "aigerim@example.kz").await;
    let serik_link = link_in_mail(&app, "case_referred", "serik@example.kz").await;
    // A later email carries a link of its own; the first one keeps working.
    let second = format!(
        "/p/{}",
        kelisim::services::links::party_token(&app.db, aigerim)
            .await
            .expect("a token")
    );
    assert_ne!(first, second);
    assert_eq!(status_of(&app, &first).await, StatusCode::OK);
    assert_eq!(status_of(&app, &second).await, StatusCode::OK);

    // Only the court may replace it: a clerk of another court does not see
    // the party, a mediator may not.
    let other_court = app.create_court("LNK-2").await;
    let (_, stranger) = app.clerk_of(other_court).await;
    let path = format!("/api/v1/parties/{aigerim}/link/rotate");
    problem(
        app.post(&path, Some(&stranger), json!({})).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(
        app.post(&path, None, json!({})).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(status_of(&app, &first).await, StatusCode::OK);

    let resp = app.post(&path, Some(&clerk), json!({})).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["party_id"], json!(aigerim));
    assert_eq!(body["link_version"], 1);
    assert!(
        !body.to_string().contains("p_"),
        "the answer holds no link: {body}"
    );

    assert_eq!(status_of(&app, &first).await, StatusCode::NOT_FOUND);
    assert_eq!(status_of(&app, &second).await, StatusCode::NOT_FOUND);
    let new = link_in_mail(&app, "party_link_replaced", "aigerim@example.kz").await;
    assert_eq!(status_of(&app, &new).await, StatusCode::OK);
    // The other party's link is untouched.
    assert_eq!(status_of(&app, &serik_link).await, StatusCode::OK);

    // An admin may replace it too, and each replacement is audited.
    let resp = app.post(&path, Some(&app.admin_token), json!({})).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(status_of(&app, &new).await, StatusCode::NOT_FOUND);
    let audit: Value = app
        .get(
            &format!("/api/v1/cases/{}/audit?limit=200", id(&case)),
            Some(&clerk),
        )
        .await
        .json()
        .await
        .expect("json");
    let replaced = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["action"] == "party.link_replaced" && e["entity_id"] == json!(aigerim))
        .count();
    assert_eq!(replaced, 2);
}

#[tokio::test]
async fn a_link_stops_working_the_set_time_after_its_case_closes_like_an_unknown_one() {
    let app = spawn_app_with_link_days(10).await;
    let (_, clerk, case) = referred(&app, "EXP-1").await;
    let link = link_in_mail(&app, "case_referred", "aigerim@example.kz").await;
    let resp = app
        .post(
            &format!("/api/v1/cases/{}/withdraw", id(&case)),
            Some(&clerk),
            json!({"reason": "The parties settled out of court"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let closed = entity::cases::Entity::find_by_id(id(&case))
        .one(&app.db)
        .await
        .expect("case")
        .expect("case")
        .closed_at
        .expect("withdrawing closes the case");
    assert!(Utc::now() - closed < Days::minutes(1));
    // Closed, but not long ago: the party can still read their page.
    assert_eq!(status_of(&app, &link).await, StatusCode::OK);

    // Nine days later it still works; ten days later it is gone.
    for (days, expected) in [(9, StatusCode::OK), (10, StatusCode::NOT_FOUND)] {
        entity::cases::Entity::update_many()
            .col_expr(
                entity::cases::Column::ClosedAt,
                Expr::value(Utc::now() - Days::days(days)),
            )
            .filter(entity::cases::Column::Id.eq(id(&case)))
            .exec(&app.db)
            .await
            .expect("move the closing back");
        assert_eq!(status_of(&app, &link).await, expected, "{days} days");
    }
    let expired = app.get(&link, None).await;
    let unknown = app
        .get("/p/p_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", None)
        .await;
    assert_eq!(expired.status(), unknown.status());
    assert_eq!(
        expired.text().await.expect("body"),
        unknown.text().await.expect("body"),
        "an expired link is answered exactly like an unknown one"
    );
    // Every other use of the link is refused too.
    let resp = app
        .post(&format!("{link}/voluntary-participation"), None, json!({}))
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

async fn spawn_app_with_link_days(days: i64) -> TestApp {
    crate::common::spawn_app_with(|s| s.party_link_days_after_close = days).await
}

/// Every row of every table that could hold a party's token, as text; the
/// outbox (whose messages must carry the links until they are sent and
/// the retention has passed) only when asked.
async fn every_row(app: &TestApp, with_outbox: bool) -> String {
    macro_rules! dump {
        ($($table:ident),+) => {{
            let mut out = String::new();
            $(
                out.push_str(&format!(
                    "{:?}\n",
                    entity::$table::Entity::find().all(&app.db).await.expect(stringify!($table))
                ));
            )+
            out
        }};
    }
    let mut rows = dump!(
        api_tokens,
        assignments,
        audit_log,
        cases,
        idempotency_keys,
        invitations,
        job_locks,
        mediators,
        parties,
        party_links,
        service_secrets,
        sessions,
        users
    );
    if with_outbox {
        rows.push_str(&dump!(outbox_messages));
    }
    rows
}

#[tokio::test]
async fn tokens_are_stored_only_as_hashes_and_sent_bodies_are_dropped_after_the_retention() {
    let app = spawn_app().await;
    let (_, _, case) = referred(&app, "RET-1").await;
    let links = [
        link_in_mail(&app, "case_referred", "aigerim@example.kz").await,
        link_in_mail(&app, "case_referred", "serik@example.kz").await,
    ];
    wait_until_all_sent(&app.db, 2, Duration::from_secs(30)).await;
    assert_eq!(eml_files(&app.spool_dir()), 2);
    let before: Vec<entity::outbox_messages::Model> = entity::outbox_messages::Entity::find()
        .order_by_asc(entity::outbox_messages::Column::Id)
        .all(&app.db)
        .await
        .expect("outbox");

    // The token is in the message being delivered, and nowhere else.
    let rows = every_row(&app, false).await;
    for link in &links {
        let token = link.trim_start_matches("/p/");
        assert!(
            !rows.contains(token),
            "no token in clear outside the outbox"
        );
        let stored = entity::party_links::Entity::find()
            .filter(
                entity::party_links::Column::TokenHash
                    .eq(hex::encode(sha2::Sha256::digest(token.as_bytes()))),
            )
            .one(&app.db)
            .await
            .expect("links");
        assert!(stored.is_some(), "its hash is stored");
    }

    // Within the retention nothing is purged.
    let purged =
        kelisim::services::retention::purge_message_bodies(&app.db, &app.settings, Utc::now())
            .await
            .expect("purge");
    assert_eq!(purged.bodies, 0);
    assert_eq!(eml_files(&app.spool_dir()), 2);

    // Sent 31 days ago (the default retention is 30), written to the spool
    // as long ago: the bodies and the files go.
    entity::outbox_messages::Entity::update_many()
        .col_expr(
            entity::outbox_messages::Column::SentAt,
            Expr::value(Utc::now() - Days::days(31)),
        )
        .exec(&app.db)
        .await
        .expect("age the messages");
    let old = std::time::SystemTime::now() - Duration::from_secs(31 * 24 * 3600);
    for entry in std::fs::read_dir(app.spool_dir()).expect("spool") {
        let file = std::fs::File::options()
            .write(true)
            .open(entry.expect("entry").path())
            .expect("a spool file");
        file.set_modified(old).expect("age the file");
    }
    // A later message (to the claimant, replacing her link) stays whole.
    let aigerim = party_id(&case, "aigerim@example.kz");
    let resp = app
        .post(
            &format!("/api/v1/parties/{aigerim}/link/rotate"),
            Some(&app.admin_token),
            json!({}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);

    let purged =
        kelisim::services::retention::purge_message_bodies(&app.db, &app.settings, Utc::now())
            .await
            .expect("purge");
    assert_eq!(purged.bodies, 2);
    assert_eq!(purged.spool_files, 2);

    for was in &before {
        let now = entity::outbox_messages::Entity::find_by_id(was.id)
            .one(&app.db)
            .await
            .expect("outbox")
            .expect("the record stays");
        assert_eq!(now.status, "sent");
        assert_eq!(now.recipient, was.recipient);
        assert_eq!(now.subject, was.subject);
        assert_eq!(now.message_id, was.message_id);
        assert_eq!(
            now.raw_sha256.as_deref(),
            Some(hex::encode(sha2::Sha256::digest(was.raw_message.as_bytes())).as_str()),
            "the hash of the whole message is kept"
        );
        assert!(now.raw_purged_at.is_some());
        let headers_end = was.raw_message.find("\r\n\r\n").expect("headers") + 2;
        assert_eq!(now.raw_message, was.raw_message[..headers_end]);
        assert!(now.raw_message.contains("Message-ID"));
    }
    let replaced = entity::outbox_messages::Entity::find()
        .filter(entity::outbox_messages::Column::Kind.eq("party_link_replaced"))
        .one(&app.db)
        .await
        .expect("outbox")
        .expect("the replacement email");
    assert!(replaced.raw_purged_at.is_none());
    assert!(replaced.raw_message.len() > 1000, "its body is whole");

    // The first links are now nowhere in the database.
    let rows = every_row(&app, true).await;
    for link in &links {
        assert!(!rows.contains(link.trim_start_matches("/p/")));
    }
    // Purging again changes nothing.
    let again =
        kelisim::services::retention::purge_message_bodies(&app.db, &app.settings, Utc::now())
            .await
            .expect("purge");
    assert_eq!(again.bodies, 0);
}
