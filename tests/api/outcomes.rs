//! Outcomes: attendance, recording and correcting an outcome, the agreement
//! document (read back with an independent PDF extractor), freezing on
//! submission, the court's registration or return, new versions, who may
//! read the terms (each read audited), and the emails that go with it.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use reqwest::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use sha2::Digest;
use uuid::Uuid;

use crate::common::smtp::SmtpServer;
use crate::common::{
    TestApp, error_fields, id, problem, spawn_app, spawn_app_with, wait_until_delivered,
};

const ALMATY: chrono_tz::Tz = chrono_tz::Asia::Almaty;

/// 10:00 in Almaty (05:00Z) on the first Tuesday at least `days` ahead.
pub(crate) fn tuesday_at_ten(days: i64) -> DateTime<Utc> {
    let mut d: NaiveDate = (Utc::now() + Duration::days(days)).date_naive();
    while d.weekday() != Weekday::Tue {
        d += Duration::days(1);
    }
    Utc.from_utc_datetime(&d.and_hms_opt(5, 0, 0).expect("time"))
}

fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub(crate) fn today() -> NaiveDate {
    Utc::now().with_timezone(&ALMATY).date_naive()
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

pub(crate) struct Setup {
    pub(crate) court: Uuid,
    pub(crate) clerk: String,
    pub(crate) mediator_token: String,
    pub(crate) case: Uuid,
    pub(crate) claimant: Uuid,
    pub(crate) respondent: Uuid,
    pub(crate) claimant_email: String,
    pub(crate) respondent_email: String,
}

/// A court with two clerks (the first refers), a mediator (weekdays
/// 09:00–18:00 Almaty) who accepted a Russian-language case between a
/// Kazakh-speaking claimant and a Russian-speaking respondent.
pub(crate) async fn accepted_case(app: &TestApp, tag: &str) -> Setup {
    let court = app.create_court(&format!("O-{tag}")).await;
    let (_, clerk) = app.clerk_of(court).await;
    app.clerk_of(court).await;
    let email = format!("med-{}@mediators.kz", tag.to_lowercase());
    let (mediator, mediator_token) = app
        .mediator_with_login(
            &email,
            json!({
                "name": "Бақытжан Қожахметов", "email": email,
                "registry_number": format!("М-{tag}"), "kind": "professional",
                "certified_until": "2031-12-31",
                "specialties": ["civil", "family"], "languages": ["kk", "ru"],
                "court_ids": [court], "max_active_cases": 10, "timezone": "Asia/Almaty"
            }),
        )
        .await;
    app.set_weekday_hours(mediator, &mediator_token, "09:00", "18:00")
        .await;
    let claimant_email = format!("asel-{}@example.kz", tag.to_lowercase());
    let respondent_email = format!("sergey-{}@example.kz", tag.to_lowercase());
    let deadline = (Utc::now() + Duration::days(60)).date_naive();
    let resp = app
        .post(
            "/api/v1/cases",
            Some(&clerk),
            json!({
                "court_id": court, "court_case_number": format!("2-{tag}/2026"), "category": "civil",
                "summary": "Взыскание долга по договору займа", "language": "ru", "mediation_deadline": deadline,
                "flags": {},
                "parties": [
                    {"role": "claimant", "name": "Әсел Ғалымқызы Нұрланова", "email": claimant_email, "language": "kk"},
                    {"role": "respondent", "name": "Сергей Петрович Иванов", "email": respondent_email, "language": "ru"}
                ]
            }),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let c: Value = resp.json().await.expect("json");
    let case = id(&c);
    let party = |role: &str| -> Uuid {
        c["parties"]
            .as_array()
            .expect("parties")
            .iter()
            .find(|p| p["role"] == role)
            .map(id)
            .expect("party")
    };
    let (claimant, respondent) = (party("claimant"), party("respondent"));
    for (step, token, body) in [
        ("assignment", &clerk, json!({"mediator_id": mediator})),
        ("assignment/accept", &mediator_token, json!({})),
    ] {
        let resp = app
            .post(&format!("/api/v1/cases/{case}/{step}"), Some(token), body)
            .await;
        assert_eq!(resp.status(), StatusCode::OK, "{step}");
    }
    Setup {
        court,
        clerk,
        mediator_token,
        case,
        claimant,
        respondent,
        claimant_email,
        respondent_email,
    }
}

/// Books an online session `days` ahead; returns its id.
pub(crate) async fn book(app: &TestApp, s: &Setup, start: DateTime<Utc>) -> Uuid {
    let resp = app
        .post(
            &format!("/api/v1/cases/{}/sessions", s.case),
            Some(&s.mediator_token),
            json!({"starts_at": rfc(start), "duration_minutes": 60, "online_url": "https://video.example.kz/r/1"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED, "booking");
    id(&resp.json::<Value>().await.expect("json"))
}

/// Moves a session's time in the database, as if the clock had moved.
pub(crate) async fn set_start(app: &TestApp, session: Uuid, start: DateTime<Utc>) {
    use entity::sessions::{Column, Entity};
    Entity::update_many()
        .col_expr(Column::StartsAt, Expr::value(start))
        .col_expr(Column::EndsAt, Expr::value(start + Duration::hours(1)))
        .filter(Column::Id.eq(session))
        .exec(&app.db)
        .await
        .expect("move the session");
}

pub(crate) async fn attendance(
    app: &TestApp,
    token: &str,
    session: Uuid,
    body: Value,
) -> reqwest::Response {
    app.post(
        &format!("/api/v1/sessions/{session}/attendance"),
        Some(token),
        body,
    )
    .await
}

/// A case with one session that was held, both parties present.
pub(crate) async fn held_case(app: &TestApp, tag: &str) -> Setup {
    let s = accepted_case(app, tag).await;
    let session = book(app, &s, tuesday_at_ten(7)).await;
    set_start(app, session, Utc::now() - Duration::hours(2)).await;
    let resp = attendance(
        app,
        &s.mediator_token,
        session,
        json!({"held": true, "present_party_ids": [s.claimant, s.respondent]}),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK, "attendance");
    s
}

const TERM_KK: &str = "Жауапкер талапкерге 500 000 (бес жүз мың) теңге қарызды қайтарады.";
const TERM_RU: &str = "Стороны не имеют друг к другу иных претензий по договору займа.";

pub(crate) fn settlement(s: &Setup, due: NaiveDate, extra: &str) -> Value {
    json!({
        "result": "settled",
        "terms": [
            {"text": TERM_KK, "due_date": due, "owed_by_party_id": s.respondent},
            {"text": format!("{TERM_RU}{extra}")}
        ],
        "signed_on": today(),
        "signed_at_place": "г. Алматы"
    })
}

pub(crate) async fn post_outcome(app: &TestApp, s: &Setup, body: Value) -> reqwest::Response {
    app.post(
        &format!("/api/v1/cases/{}/outcome", s.case),
        Some(&s.mediator_token),
        body,
    )
    .await
}

pub(crate) async fn action(
    app: &TestApp,
    s: &Setup,
    what: &str,
    token: &str,
    body: Value,
) -> reqwest::Response {
    app.post(
        &format!("/api/v1/cases/{}/outcome/{what}", s.case),
        Some(token),
        body,
    )
    .await
}

pub(crate) async fn json_of(resp: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(resp.status(), status);
    resp.json().await.expect("json")
}

/// Downloads a document; checks its hash header against the body and
/// returns (body, hash, headers).
async fn download(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
) -> (Vec<u8>, String, reqwest::header::HeaderMap) {
    let resp = app.get(path, token).await;
    assert_eq!(resp.status(), StatusCode::OK, "{path}");
    let headers = resp.headers().clone();
    let body = resp.bytes().await.expect("body").to_vec();
    let hash = headers
        .get("x-content-sha256")
        .and_then(|v| v.to_str().ok())
        .expect("X-Content-SHA256")
        .to_owned();
    assert_eq!(hash, sha256(&body), "the served hash is the body's");
    (body, hash, headers)
}

/// The text of a PDF as an independent extractor reads it, white space
/// squashed.
fn pdf_text(pdf: &[u8]) -> String {
    let text = pdf_extract::extract_text_from_mem(pdf).expect("the PDF can be read");
    squash(&text)
}

fn squash(text: &str) -> String {
    text.split(char::is_whitespace)
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

async fn audit_rows(app: &TestApp, case: Uuid, action: &str) -> Vec<entity::audit_log::Model> {
    entity::audit_log::Entity::find()
        .filter(entity::audit_log::Column::CaseId.eq(case))
        .filter(entity::audit_log::Column::Action.eq(action))
        .order_by_asc(entity::audit_log::Column::Id)
        .all(&app.db)
        .await
        .expect("audit")
}

async fn outbox(app: &TestApp, case: Uuid, kind: &str) -> Vec<entity::outbox_messages::Model> {
    entity::outbox_messages::Entity::find()
        .filter(entity::outbox_messages::Column::CaseId.eq(case))
        .filter(entity::outbox_messages::Column::Kind.eq(kind))
        .order_by_asc(entity::outbox_messages::Column::Id)
        .all(&app.db)
        .await
        .expect("outbox")
}

/// The decoded text and HTML parts of a raw message.
fn bodies(raw: &[u8]) -> String {
    let message = mail_parser::MessageParser::default()
        .parse(raw)
        .expect("a MIME message");
    let mut out = String::new();
    for i in 0..message.text_body_count() {
        out.push_str(&message.body_text(i).unwrap_or_default());
    }
    for i in 0..message.html_body_count() {
        out.push_str(&message.body_html(i).unwrap_or_default());
    }
    out
}

fn recipient(raw: &[u8]) -> String {
    mail_parser::MessageParser::default()
        .parse(raw)
        .and_then(|m| {
            m.to()
                .and_then(|a| a.first())
                .and_then(|a| a.address())
                .map(str::to_owned)
        })
        .expect("a recipient")
}

/// A party's page path, read from the referral email they were sent.
async fn link_of(app: &TestApp, case: Uuid, email: &str) -> String {
    let mails = outbox(app, case, "case_referred").await;
    let flat = bodies(
        mails
            .iter()
            .find(|m| m.recipient == email)
            .expect("email to the party")
            .raw_message
            .as_bytes(),
    );
    let at = flat.find("/p/p_").expect("link in the email");
    let token: String = flat[at + 3..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    format!("/p/{token}")
}

#[tokio::test]
async fn attendance_is_recorded_after_the_start_by_the_mediator_and_shows_a_no_show_to_the_clerk() {
    let app = spawn_app().await;
    let s = accepted_case(&app, "ATT").await;
    let start = tuesday_at_ten(7);
    let held = book(&app, &s, start).await;
    let other = book(&app, &s, start + Duration::hours(3)).await;
    let present = json!({"held": true, "present_party_ids": [s.claimant]});

    // Before the start: refused.
    let p = problem(
        attendance(&app, &s.mediator_token, held, present.clone()).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(p["reasons"], json!(["session_not_started"]));

    set_start(&app, held, Utc::now() - Duration::hours(2)).await;
    // Only the mediator records it.
    problem(
        attendance(&app, &s.clerk, held, present.clone()).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    // Only parties invited to the session.
    let p = problem(
        attendance(
            &app,
            &s.mediator_token,
            held,
            json!({"held": true, "present_party_ids": [s.claimant, Uuid::new_v4()]}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&p), ["present_party_ids[1]"]);

    let view = json_of(
        attendance(&app, &s.mediator_token, held, present.clone()).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(view["status"], "held");
    // The clerk sees who came and who did not.
    let seen = json_of(
        app.get(&format!("/api/v1/sessions/{held}"), Some(&s.clerk))
            .await,
        StatusCode::OK,
    )
    .await;
    let mut expected = vec![
        json!({"party_id": s.claimant, "attended": true}),
        json!({"party_id": s.respondent, "attended": false}),
    ];
    expected.sort_by_key(|v| v["party_id"].as_str().map(str::to_owned));
    assert_eq!(seen["attendance"], json!(expected));
    assert!(seen["attendance_recorded_at"].is_string());
    let other_view = json_of(
        app.get(&format!("/api/v1/sessions/{other}"), Some(&s.clerk))
            .await,
        StatusCode::OK,
    )
    .await;
    assert!(
        other_view["attendance"]
            .as_array()
            .expect("attendance")
            .iter()
            .all(|a| a["attended"].is_null())
    );

    // Once only; and audited.
    let p = problem(
        attendance(&app, &s.mediator_token, held, present).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(p["reasons"], json!(["session_status"]));
    let rows = audit_rows(&app, s.case, "session.attendance_recorded").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].to_state.as_deref(), Some("held"));
    assert_eq!(
        rows[0].details.as_ref().expect("details")["absent_party_ids"],
        json!([s.respondent])
    );

    // Reminders stop for the held session, not for the scheduled one: put
    // both two days ahead again, as if invited long ago.
    let later = tuesday_at_ten(14);
    set_start(&app, held, later).await;
    set_start(&app, other, later + Duration::hours(1)).await;
    entity::invitations::Entity::update_many()
        .col_expr(
            entity::invitations::Column::LastSentAt,
            Expr::value(Some(later - Duration::days(10))),
        )
        .exec(&app.db)
        .await
        .expect("invitations");
    let sent =
        kelisim::services::reminders::send_due(&app.db, &app.settings, later - Duration::hours(47))
            .await
            .expect("reminders");
    assert_eq!(sent, 3, "the scheduled session's three recipients only");
    let reminded: Vec<Option<Uuid>> = entity::outbox_messages::Entity::find()
        .filter(entity::outbox_messages::Column::Kind.eq("session_reminder"))
        .all(&app.db)
        .await
        .expect("outbox")
        .into_iter()
        .map(|m| m.session_id)
        .collect();
    assert_eq!(reminded, vec![Some(other); 3]);
}

#[tokio::test]
async fn an_outcome_before_any_held_session_is_refused_and_a_withdrawal_is_recorded_and_registered()
{
    let app = spawn_app().await;
    let s = accepted_case(&app, "WDR").await;

    let p = problem(
        post_outcome(&app, &s, settlement(&s, today(), "")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(p["reasons"], json!(["no_held_session"]));
    assert_eq!(error_fields(&p), ["result"]);
    // A session booked but not held does not count.
    let session = book(&app, &s, tuesday_at_ten(7)).await;
    set_start(&app, session, Utc::now() - Duration::hours(2)).await;
    let resp = attendance(
        &app,
        &s.mediator_token,
        session,
        json!({"held": false, "present_party_ids": [s.claimant]}),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let p = problem(
        post_outcome(&app, &s, settlement(&s, today(), "")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(p["reasons"], json!(["no_held_session"]));
    assert!(
        audit_rows(&app, s.case, "outcome.recorded")
            .await
            .is_empty()
    );

    // A withdrawal has no terms and no document.
    let p = problem(
        post_outcome(
            &app,
            &s,
            json!({"result": "withdrawn", "terms": [{"text": "x"}], "signed_on": today(), "signed_at_place": "Алматы"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&p), ["terms"]);
    let resp = post_outcome(
        &app,
        &s,
        json!({"result": "withdrawn", "signed_on": today(), "signed_at_place": "Алматы"}),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert_eq!(
        resp.headers()["location"],
        format!("/api/v1/cases/{}/outcome", s.case).as_str()
    );
    let o: Value = resp.json().await.expect("json");
    assert_eq!(o["case_status"], "outcome_recorded");
    assert_eq!(o["result"], "withdrawn");
    assert_eq!(o["version"], 1);
    assert!(o["pdf_sha256"].is_null() && o["document_pdf_url"].is_null());
    problem(
        app.get(
            &format!("/api/v1/cases/{}/outcome/document.pdf", s.case),
            Some(&s.mediator_token),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;

    let o = json_of(
        action(&app, &s, "submit", &s.mediator_token, json!({})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(o["case_status"], "submitted_to_court");
    let o = json_of(
        action(
            &app,
            &s,
            "registration",
            &s.clerk,
            json!({"decision": "registered", "court_registration_number": "ВР-15/2026"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(o["case_status"], "registered");
    assert_eq!(o["status"], "registered");
    assert_eq!(o["court_registration_number"], "ВР-15/2026");
}

#[tokio::test]
async fn bad_outcomes_are_refused_field_by_field() {
    let app = spawn_app().await;
    let s = held_case(&app, "BAD").await;
    let base = settlement(&s, today(), "");
    // Only the case's mediator records or submits it.
    let (_, stranger) = app
        .mediator_with_login(
            "other@mediators.kz",
            json!({
                "name": "Other Mediator", "email": "other@mediators.kz",
                "registry_number": "M-OTHER", "kind": "professional", "certified_until": "2031-12-31",
                "specialties": ["civil"], "languages": ["ru"], "court_ids": [s.court],
                "max_active_cases": 5, "timezone": "Asia/Almaty"
            }),
        )
        .await;
    let path = format!("/api/v1/cases/{}/outcome", s.case);
    problem(
        app.post(&path, Some(&s.clerk), base.clone()).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    problem(
        app.post(&path, Some(&app.admin_token), base.clone()).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    problem(
        app.post(&path, Some(&stranger), base.clone()).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(
        app.post(&format!("{path}/submit"), Some(&s.clerk), json!({}))
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    // Nothing recorded yet: nothing to read or submit.
    problem(
        app.get(&path, Some(&s.mediator_token)).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(
        app.post(
            &format!("{path}/submit"),
            Some(&s.mediator_token),
            json!({}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    let with = |f: &dyn Fn(&mut Value)| {
        let mut b = base.clone();
        f(&mut b);
        b
    };
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (with(&|b| b["terms"] = json!([])), vec!["terms"]),
        (with(&|b| b["result"] = json!("partially_settled")), vec![]),
        (with(&|b| b["result"] = json!("maybe")), vec!["result"]),
        (
            with(&|b| b["terms"][0]["due_date"] = json!(today() - Duration::days(1))),
            vec!["terms[0].due_date"],
        ),
        (
            with(&|b| b["signed_on"] = json!(today() + Duration::days(1))),
            // The first term is due today: before that signing date too.
            vec!["signed_on", "terms[0].due_date"],
        ),
        (
            with(&|b| b["terms"][1]["text"] = json!("я".repeat(4_001))),
            vec!["terms[1].text"],
        ),
        (
            with(&|b| b["terms"] = json!(vec![json!({"text": "t"}); 101])),
            vec!["terms"],
        ),
        (
            with(&|b| b["terms"][0]["owed_by_party_id"] = json!(Uuid::new_v4())),
            vec!["terms[0].owed_by_party_id"],
        ),
        (
            with(&|b| b["signed_at_place"] = json!("")),
            vec!["signed_at_place"],
        ),
        (
            with(&|b| b["unresolved"] = json!("The flat")),
            vec!["unresolved"],
        ),
    ];
    for (body, fields) in cases {
        let resp = post_outcome(&app, &s, body.clone()).await;
        if fields.is_empty() {
            // A partial settlement is fine: it leaves a draft, corrected by the next.
            assert!(resp.status().is_success(), "{body}");
            continue;
        }
        let p = problem(resp, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(error_fields(&p), fields, "{body}");
    }
}

#[tokio::test]
async fn a_settlement_is_registered_after_submission_and_only_those_allowed_read_its_terms() {
    let dir = tempfile::tempdir().expect("dir");
    let smtp = SmtpServer::start(&dir.path().join("smtp"));
    let url = smtp.url();
    let app = spawn_app_with(|c| c.smtp_url = Some(url)).await;
    let s = held_case(&app, "REG").await;
    let outsider_court = app.create_court("O-OUT").await;
    let (_, outsider) = app.clerk_of(outsider_court).await;
    let due = today() + Duration::days(30);
    let outcome_path = format!("/api/v1/cases/{}/outcome", s.case);
    let pdf_path = format!("{outcome_path}/document.pdf");
    let html_path = format!("{outcome_path}/document.html");
    let party_page = link_of(&app, s.case, &s.claimant_email).await;
    let mut reads = 0;

    // Recorded, then corrected before submission: the same version. Each
    // answer carries the terms back to the mediator, so each is a read.
    let first = json_of(
        post_outcome(&app, &s, settlement(&s, due, "")).await,
        StatusCode::CREATED,
    )
    .await;
    reads += 1;
    let o = json_of(
        post_outcome(
            &app,
            &s,
            settlement(&s, due, " Расходы каждая сторона несёт сама."),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    reads += 1;
    assert_eq!(
        audit_rows(&app, s.case, "outcome.read").await.len(),
        reads,
        "recording and correcting answer with the terms: both audited as reads"
    );
    assert_eq!(
        (o["version"].clone(), o["status"].clone()),
        (json!(1), json!("draft"))
    );
    assert_eq!(o["versions"].as_array().expect("versions").len(), 1);
    assert_ne!(o["pdf_sha256"], first["pdf_sha256"], "a new document");
    assert_eq!(o["terms"][0]["owed_by_party_id"], json!(s.respondent));
    assert_eq!(audit_rows(&app, s.case, "outcome.recorded").await.len(), 1);
    assert_eq!(audit_rows(&app, s.case, "outcome.corrected").await.len(), 1);

    // Before submission: the mediator and nobody else (parties get it once
    // it is submitted, the frozen text).
    json_of(
        app.get(&outcome_path, Some(&s.mediator_token)).await,
        StatusCode::OK,
    )
    .await;
    reads += 1;
    problem(
        app.get(&outcome_path, Some(&s.clerk)).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    problem(
        app.get(&pdf_path, Some(&app.admin_token)).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    problem(
        app.get(&outcome_path, Some(&outsider)).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(
        app.get(&format!("{party_page}/document.pdf"), None).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let (pdf, pdf_hash, headers) = download(&app, &pdf_path, Some(&s.mediator_token)).await;
    reads += 1;
    assert_eq!(pdf_hash, o["pdf_sha256"].as_str().expect("hash"));
    assert_eq!(headers["content-type"], "application/pdf");
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"agreement-2-REG-2026-v1.pdf\""
    );
    let text = pdf_text(&pdf);
    for needle in [
        TERM_KK,
        TERM_RU,
        "Әсел Ғалымқызы Нұрланова",
        "Сергей Петрович Иванов",
        "Бақытжан Қожахметов",
        "2-REG/2026",
        "г. Алматы",
    ] {
        assert!(
            text.contains(&squash(needle)),
            "missing {needle:?} in:\n{text}"
        );
    }
    for date in [today(), due] {
        let words = kelisim::i18n::dates::long_date(kelisim::domain::Language::Ru, date)
            .replace('\u{202f}', " ");
        assert!(
            text.contains(&squash(&words)),
            "missing {words:?} in:\n{text}"
        );
    }
    let (html, html_hash, headers) = download(&app, &html_path, Some(&s.mediator_token)).await;
    reads += 1;
    assert_eq!(html_hash, o["html_sha256"].as_str().expect("hash"));
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(
        headers["content-security-policy"],
        "default-src 'none'; style-src 'unsafe-inline'"
    );
    assert!(String::from_utf8(html).expect("UTF-8").contains(TERM_KK));

    // Submitted: frozen, and the court's clerks are told.
    let o = json_of(
        action(&app, &s, "submit", &s.mediator_token, json!({})).await,
        StatusCode::OK,
    )
    .await;
    reads += 1;
    assert_eq!(
        (o["status"].clone(), o["case_status"].clone()),
        (json!("submitted"), json!("submitted_to_court"))
    );
    let to_clerks = outbox(&app, s.case, "outcome_submitted").await;
    assert_eq!(to_clerks.len(), 2, "both clerks of the court");
    for (what, token, body) in [
        ("outcome", &s.mediator_token, settlement(&s, due, "")),
        ("submit", &s.mediator_token, json!({})),
    ] {
        let path = if what == "outcome" {
            outcome_path.clone()
        } else {
            format!("{outcome_path}/{what}")
        };
        let p = problem(
            app.post(&path, Some(token), body).await,
            StatusCode::CONFLICT,
        )
        .await;
        assert_eq!(p["reasons"], json!(["outcome_frozen"]), "{what}");
    }

    // Now the court reads it, the outsider still does not.
    let seen = json_of(app.get(&outcome_path, Some(&s.clerk)).await, StatusCode::OK).await;
    reads += 1;
    assert_eq!(seen["terms"][0]["text"], TERM_KK);
    json_of(
        app.get(&outcome_path, Some(&app.admin_token)).await,
        StatusCode::OK,
    )
    .await;
    reads += 1;
    let (_, h, _) = download(&app, &pdf_path, Some(&s.clerk)).await;
    reads += 1;
    assert_eq!(h, pdf_hash);
    problem(
        app.get(&pdf_path, Some(&outsider)).await,
        StatusCode::NOT_FOUND,
    )
    .await;

    // The court decides: registration needs its number, a return a reason.
    let registration = |body: Value, token: &str| {
        let token = token.to_owned();
        let app = &app;
        let s = &s;
        async move { action(app, s, "registration", &token, body).await }
    };
    problem(
        registration(
            json!({"decision": "registered", "court_registration_number": "R-1"}),
            &s.mediator_token,
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    problem(
        registration(
            json!({"decision": "registered", "court_registration_number": "R-1"}),
            &outsider,
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let p = problem(
        registration(json!({"decision": "registered"}), &s.clerk).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&p), ["court_registration_number"]);
    let p = problem(
        registration(json!({"decision": "returned"}), &s.clerk).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&p), ["reason"]);
    let o = json_of(
        registration(
            json!({"decision": "registered", "court_registration_number": "МС-2026/481"}),
            &s.clerk,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (o["status"].clone(), o["case_status"].clone()),
        (json!("registered"), json!("registered"))
    );
    // The answer carries the terms: the clerk's read.
    reads += 1;

    // Registered is frozen too: every change is refused.
    for (what, body) in [
        ("outcome", settlement(&s, due, "")),
        ("submit", json!({})),
        (
            "registration",
            json!({"decision": "returned", "reason": "Again"}),
        ),
    ] {
        let path = if what == "outcome" {
            outcome_path.clone()
        } else {
            format!("{outcome_path}/{what}")
        };
        let token = if what == "registration" {
            &s.clerk
        } else {
            &s.mediator_token
        };
        problem(
            app.post(&path, Some(token), body).await,
            StatusCode::CONFLICT,
        )
        .await;
    }

    // The party's page shows it and offers the document.
    let page = app.get(&party_page, None).await.text().await.expect("page");
    // (minijinja escapes the slash of the number)
    assert!(page.contains("Медиация нәтижесі"), "{page}");
    assert!(page.contains("МС-2026&#x2f;481"), "{page}");
    assert!(page.contains("сотта тіркелді"), "{page}");
    assert!(page.contains("document.pdf"), "{page}");
    let (_, h, _) = download(&app, &format!("{party_page}/document.pdf"), None).await;
    reads += 1;
    assert_eq!(h, pdf_hash);

    // Every read of the terms is in the audit log, the party's as a party.
    let read_rows = audit_rows(&app, s.case, "outcome.read").await;
    assert_eq!(read_rows.len(), reads);
    assert_eq!(
        read_rows.iter().filter(|r| r.actor_kind == "party").count(),
        1
    );
    let formats: Vec<String> = read_rows
        .iter()
        .map(|r| {
            r.details.as_ref().expect("details")["format"]
                .as_str()
                .expect("format")
                .to_owned()
        })
        .collect();
    assert_eq!(
        formats,
        [
            "json", "json", // recorded and corrected: the answers
            "json", "pdf", "html", // the mediator reads it
            "json", // submitted: the answer
            "json", "json", "pdf", "json", "pdf", // after submission, as above
        ]
    );

    // The emails arrive: clerks on submission, the mediator and the parties
    // on registration; the parties' carry their link and no terms.
    let n = entity::outbox_messages::Entity::find()
        .all(&app.db)
        .await
        .expect("outbox")
        .len();
    wait_until_delivered(&app.db, &smtp, n).await;
    let decided = outcome_registered_and_decided(&app, &s).await;
    assert_eq!(decided.0, vec![format!("med-reg@mediators.kz")]);
    let mut to_parties = decided.1.clone();
    to_parties.sort();
    let mut expected = vec![s.claimant_email.clone(), s.respondent_email.clone()];
    expected.sort();
    assert_eq!(to_parties, expected);
    let mut seen_party_mail = 0;
    for raw in smtp.messages() {
        let to = recipient(&raw);
        let text = bodies(&raw);
        if text.contains("МС-2026/481") && (to == s.claimant_email || to == s.respondent_email) {
            seen_party_mail += 1;
            assert!(text.contains("/p/p_"), "a link to the party's page");
            for term in [TERM_KK, TERM_RU, "500 000"] {
                assert!(!text.contains(term), "no terms in the party's email");
            }
        }
    }
    assert_eq!(seen_party_mail, 2);
}

/// Recipients of the mediator's and the parties' emails about the decision.
async fn outcome_registered_and_decided(app: &TestApp, s: &Setup) -> (Vec<String>, Vec<String>) {
    let decided = outbox(app, s.case, "outcome_decided")
        .await
        .into_iter()
        .map(|m| m.recipient)
        .collect();
    let registered = outbox(app, s.case, "outcome_registered")
        .await
        .into_iter()
        .map(|m| m.recipient)
        .collect();
    (decided, registered)
}

#[tokio::test]
async fn a_returned_agreement_is_corrected_as_a_new_version_and_both_are_kept_with_their_hashes() {
    let app = spawn_app().await;
    let api: Value = app
        .get("/api/openapi.json", None)
        .await
        .json()
        .await
        .expect("OpenAPI");
    for path in [
        "/api/v1/sessions/{id}/attendance",
        "/api/v1/cases/{id}/outcome",
        "/api/v1/cases/{id}/outcome/document.pdf",
        "/api/v1/cases/{id}/outcome/document.html",
        "/api/v1/cases/{id}/outcome/submit",
        "/api/v1/cases/{id}/outcome/registration",
        "/p/{token}/document.pdf",
    ] {
        assert!(api["paths"][path].is_object(), "{path} is documented");
    }
    let s = held_case(&app, "RET").await;
    let due = today() + Duration::days(20);
    let outcome_path = format!("/api/v1/cases/{}/outcome", s.case);
    let v1 = json_of(
        post_outcome(&app, &s, settlement(&s, due, "")).await,
        StatusCode::CREATED,
    )
    .await;
    json_of(
        action(&app, &s, "submit", &s.mediator_token, json!({})).await,
        StatusCode::OK,
    )
    .await;
    let returned = json_of(
        action(
            &app,
            &s,
            "registration",
            &s.clerk,
            json!({"decision": "returned", "reason": "Срок исполнения не указан для второго условия"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (returned["status"].clone(), returned["case_status"].clone()),
        (json!("returned"), json!("returned"))
    );
    assert_eq!(outbox(&app, s.case, "outcome_decided").await.len(), 1);
    assert!(outbox(&app, s.case, "outcome_registered").await.is_empty());
    // A returned version is frozen: deciding on it again or submitting it
    // again is refused.
    problem(
        action(
            &app,
            &s,
            "registration",
            &s.clerk,
            json!({"decision": "registered", "court_registration_number": "X-1"}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    problem(
        action(&app, &s, "submit", &s.mediator_token, json!({})).await,
        StatusCode::CONFLICT,
    )
    .await;

    // The correction is version 2; version 1 stays with its hashes.
    let mut corrected = settlement(&s, due, "");
    corrected["terms"][1]["due_date"] = json!(due);
    let v2 = json_of(
        post_outcome(&app, &s, corrected.clone()).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        (
            v2["version"].clone(),
            v2["status"].clone(),
            v2["case_status"].clone()
        ),
        (json!(2), json!("draft"), json!("outcome_recorded"))
    );
    let versions = v2["versions"].as_array().expect("versions");
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["version"], 1);
    assert_eq!(versions[0]["status"], "returned");
    assert_eq!(versions[0]["pdf_sha256"], v1["pdf_sha256"]);
    assert_eq!(versions[0]["html_sha256"], v1["html_sha256"]);
    assert_eq!(
        versions[0]["return_reason"],
        "Срок исполнения не указан для второго условия"
    );
    assert_ne!(versions[1]["pdf_sha256"], v1["pdf_sha256"]);
    // Correcting the new draft keeps version 2.
    json_of(post_outcome(&app, &s, corrected).await, StatusCode::OK).await;

    let (old, h1, headers) = download(
        &app,
        &format!("{outcome_path}/document.pdf?version=1"),
        Some(&s.mediator_token),
    )
    .await;
    assert_eq!(h1, v1["pdf_sha256"].as_str().expect("hash"));
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"agreement-2-RET-2026-v1.pdf\""
    );
    let (new, h2, _) = download(
        &app,
        &format!("{outcome_path}/document.pdf"),
        Some(&s.mediator_token),
    )
    .await;
    assert_ne!(old, new);
    assert_eq!(h2, v2["pdf_sha256"].as_str().expect("hash"));

    // The clerk sees version 1 (submitted once), not the new draft.
    let seen = json_of(app.get(&outcome_path, Some(&s.clerk)).await, StatusCode::OK).await;
    assert_eq!(seen["version"], 1);
    problem(
        app.get(
            &format!("{outcome_path}/document.pdf?version=2"),
            Some(&s.clerk),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;

    json_of(
        action(&app, &s, "submit", &s.mediator_token, json!({})).await,
        StatusCode::OK,
    )
    .await;
    let done = json_of(
        action(
            &app,
            &s,
            "registration",
            &s.clerk,
            json!({"decision": "registered", "court_registration_number": "МС-2026/482"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(done["version"], 2);
    assert_eq!(done["case_status"], "registered");
    let versions = done["versions"].as_array().expect("versions");
    assert_eq!(
        versions
            .iter()
            .map(|v| v["status"].clone())
            .collect::<Vec<_>>(),
        [json!("returned"), json!("registered")]
    );
    assert_eq!(versions[0]["pdf_sha256"], v1["pdf_sha256"]);
    // Version 1's stored bytes still hash to what was recorded.
    let row = entity::outcomes::Entity::find()
        .filter(entity::outcomes::Column::CaseId.eq(s.case))
        .filter(entity::outcomes::Column::Version.eq(1))
        .one(&app.db)
        .await
        .expect("row")
        .expect("version 1");
    assert_eq!(
        Some(sha256(&row.document_pdf.expect("pdf"))),
        row.document_pdf_sha256
    );
}

/// The clerk's answer to a registration or a return carries the terms, so
/// it is a read of them: audited like any other, as the clerk's, of the
/// version decided.
#[tokio::test]
async fn registering_or_returning_an_agreement_audits_the_clerks_read_of_its_terms() {
    let app = spawn_app().await;
    let s = held_case(&app, "RDA").await;
    let due = today() + Duration::days(20);

    for (version, body, decided) in [
        (
            1,
            json!({"decision": "returned", "reason": "Срок исполнения не указан"}),
            "outcome.returned",
        ),
        (
            2,
            json!({"decision": "registered", "court_registration_number": "МС-2026/483"}),
            "outcome.registered",
        ),
    ] {
        let recorded = json_of(
            post_outcome(&app, &s, settlement(&s, due, "")).await,
            StatusCode::CREATED,
        )
        .await;
        assert_eq!(recorded["version"], version);
        json_of(
            action(&app, &s, "submit", &s.mediator_token, json!({})).await,
            StatusCode::OK,
        )
        .await;
        let before = audit_rows(&app, s.case, "outcome.read").await.len();

        let answer = json_of(
            action(&app, &s, "registration", &s.clerk, body).await,
            StatusCode::OK,
        )
        .await;

        assert_eq!(answer["version"], version);
        assert_eq!(
            answer["terms"].as_array().map(Vec::len),
            Some(2),
            "the answer carries the terms"
        );
        let reads = audit_rows(&app, s.case, "outcome.read").await;
        assert_eq!(reads.len(), before + 1, "the read is audited once");
        let read = reads.last().expect("the read");
        let clerk = audit_rows(&app, s.case, decided).await[0].actor_user_id;
        assert!(clerk.is_some());
        assert_eq!(
            (read.actor_kind.as_str(), read.actor_user_id),
            ("user", clerk)
        );
        assert_eq!(read.entity_id, Some(id(&answer)));
        let details = read.details.as_ref().expect("details");
        assert_eq!(
            (details["version"].clone(), details["format"].clone()),
            (json!(version), json!("json"))
        );
    }
}
