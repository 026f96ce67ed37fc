//! Cases: referral, visibility, matching, assignment, the life cycle and the
//! safeguards for violence and minors.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use reqwest::{Method, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::{TestApp, error_fields, id, problem, spawn_app};

const IIN_A: &str = "900101300126";
const IIN_B: &str = "850712400320";

fn deadline(days: i64) -> String {
    (Utc::now() + Duration::days(days))
        .date_naive()
        .format("%Y-%m-%d")
        .to_string()
}

pub(crate) fn case_body(court: Uuid, number: &str) -> Value {
    json!({
        "court_id": court,
        "court_case_number": number,
        "category": "family",
        "summary": "Dispute over the division of property",
        "language": "ru",
        "mediation_deadline": deadline(40),
        "parties": [
            {"role": "claimant", "name": "Айгерим Сапарова", "email": "aigerim@example.kz", "iin_bin": IIN_A, "language": "ru"},
            {"role": "respondent", "name": "Serik Nurlanov", "email": "serik@example.kz", "iin_bin": IIN_B, "language": "kk", "phone": "+7 701 123 4567"}
        ]
    })
}

pub(crate) async fn refer(app: &TestApp, token: &str, body: Value) -> Value {
    let resp = app.post("/api/v1/cases", Some(token), body).await;
    assert_eq!(resp.status(), StatusCode::CREATED, "referral");
    assert!(resp.headers().get("location").is_some());
    resp.json().await.expect("json")
}

/// A mediator with a login, Monday-to-Friday 09:00–18:00 in Almaty; returns
/// (mediator id, their token).
async fn mediator(app: &TestApp, registry: &str, patch: Value) -> (Uuid, String) {
    let mut body = json!({
        "name": format!("Mediator {registry}"), "email": format!("{}@mediators.kz", registry.to_lowercase()),
        "registry_number": registry,
        "kind": "professional", "certified_until": "2030-12-31",
        "specialties": ["civil", "family", "juvenile", "domestic_violence"],
        "languages": ["kk", "ru"], "court_ids": [],
        "max_active_cases": 10, "timezone": "Asia/Almaty"
    });
    if let (Some(b), Some(p)) = (body.as_object_mut(), patch.as_object()) {
        for (k, v) in p {
            b.insert(k.clone(), v.clone());
        }
    }
    let email = format!("user-{}@mediators.kz", registry.to_lowercase());
    let (mid, token) = app.mediator_with_login(&email, body).await;
    app.set_weekday_hours(mid, &token, "09:00", "18:00").await;
    (mid, token)
}

/// The decoded text and HTML parts of a raw message (an independent MIME
/// parser: the bodies may be base64 or quoted-printable).
fn bodies(raw: &str) -> String {
    let message = mail_parser::MessageParser::default()
        .parse(raw.as_bytes())
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

/// Messages of one kind written for a case, with their recipients.
async fn outbox(app: &TestApp, case: Uuid, kind: &str) -> Vec<entity::outbox_messages::Model> {
    entity::outbox_messages::Entity::find()
        .filter(entity::outbox_messages::Column::CaseId.eq(case))
        .filter(entity::outbox_messages::Column::Kind.eq(kind))
        .all(&app.db)
        .await
        .expect("outbox")
}

async fn audit_actions(app: &TestApp, case: Uuid, token: &str) -> Vec<String> {
    let resp = app
        .get(
            &format!("/api/v1/cases/{case}/audit?limit=200"),
            Some(token),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.expect("json");
    body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["action"].as_str().expect("action").to_owned())
        .collect()
}

#[tokio::test]
async fn a_clerk_refers_a_case_and_every_party_gets_their_personal_link() {
    let app = spawn_app().await;
    let court = app.create_court("REF-1").await;
    let (_, clerk) = app.clerk_of(court).await;

    let case = refer(&app, &clerk, case_body(court, "2-1001/2026")).await;

    assert_eq!(case["status"], "referred");
    assert_eq!(case["parties"].as_array().expect("parties").len(), 2);
    assert_eq!(case["default_session_format"], "joint");
    let mails = outbox(&app, id(&case), "case_referred").await;
    let mut to: Vec<&str> = mails.iter().map(|m| m.recipient.as_str()).collect();
    to.sort_unstable();
    assert_eq!(to, ["aigerim@example.kz", "serik@example.kz"]);
    for m in &mails {
        let text = bodies(&m.raw_message);
        assert!(text.contains("/p/p_"), "personal link in the email");
        assert!(text.contains("2-1001/2026"));
        let other = if m.recipient.starts_with("aigerim") {
            "serik@"
        } else {
            "aigerim@"
        };
        assert!(
            !m.raw_message.contains(other) && !text.contains(other),
            "no other party's address"
        );
    }
    let actions = audit_actions(&app, id(&case), &clerk).await;
    assert_eq!(actions.first().map(String::as_str), Some("case.referred"));
}

#[tokio::test]
async fn bad_referrals_name_their_fields_and_the_law_refuses_with_reasons() {
    let app = spawn_app().await;
    let court = app.create_court("REF-2").await;
    let (_, clerk) = app.clerk_of(court).await;

    let mut bad = case_body(court, "2-1002/2026");
    bad["category"] = json!("plumbing");
    bad["parties"][0]["iin_bin"] = json!("900101300127");
    bad["parties"][1]["role"] = json!("witness");
    bad["parties"][1]["email"] = json!("not-an-email");
    let p = problem(
        app.post("/api/v1/cases", Some(&clerk), bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let mut fields = error_fields(&p);
    fields.sort();
    assert_eq!(
        fields,
        [
            "category",
            "parties[0].iin_bin",
            "parties[1].email",
            "parties[1].role"
        ]
    );

    let mut minor = case_body(court, "2-1003/2026");
    minor["parties"][0]["is_minor"] = json!(true);
    let p = problem(
        app.post("/api/v1/cases", Some(&clerk), minor).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&p), ["parties"]);
    assert!(p["detail"].as_str().expect("detail").contains("guardian"));

    let mut incapable = case_body(court, "2-1004/2026");
    incapable["parties"][1]["legal_capacity"] = json!("limited");
    let p = problem(
        app.post("/api/v1/cases", Some(&clerk), incapable).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(p["reasons"], json!(["party_legal_capacity"]));
    assert_eq!(error_fields(&p), ["parties[1].legal_capacity"]);

    let mut corruption = case_body(court, "2-1005/2026");
    corruption["category"] = json!("criminal-minor");
    corruption["flags"] = json!({"corruption_or_public_service": true});
    let p = problem(
        app.post("/api/v1/cases", Some(&clerk), corruption).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(p["reasons"], json!(["corruption_or_public_service"]));

    let mut past = case_body(court, "2-1006/2026");
    past["mediation_deadline"] = json!(deadline(-1));
    let p = problem(
        app.post("/api/v1/cases", Some(&clerk), past).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&p), ["mediation_deadline"]);

    // Nothing was stored by any of these.
    let list: Value = app
        .get("/api/v1/cases", Some(&clerk))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list["items"], json!([]));

    refer(&app, &clerk, case_body(court, "2-1007/2026")).await;
    let p = problem(
        app.post(
            "/api/v1/cases",
            Some(&clerk),
            case_body(court, "2-1007/2026"),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(error_fields(&p), ["court_case_number"]);
}

#[tokio::test]
async fn a_clerk_of_another_court_cannot_see_the_case_its_matches_or_its_audit() {
    let app = spawn_app().await;
    let court = app.create_court("VIS-1").await;
    let other = app.create_court("VIS-2").await;
    let (_, clerk) = app.clerk_of(court).await;
    let (_, stranger) = app.clerk_of(other).await;
    let case = id(&refer(&app, &clerk, case_body(court, "2-2001/2026")).await);
    let missing = Uuid::now_v7();

    for path in [
        format!("/api/v1/cases/{case}"),
        format!("/api/v1/cases/{case}/matches"),
        format!("/api/v1/cases/{case}/audit"),
    ] {
        let hidden = problem(app.get(&path, Some(&stranger)).await, StatusCode::NOT_FOUND).await;
        let unknown = problem(
            app.get(
                &path.replace(&case.to_string(), &missing.to_string()),
                Some(&stranger),
            )
            .await,
            StatusCode::NOT_FOUND,
        )
        .await;
        assert_eq!(
            hidden, unknown,
            "{path}: indistinguishable from a missing case"
        );
    }
    // Referring for another court is refused too.
    let p = problem(
        app.post(
            "/api/v1/cases",
            Some(&stranger),
            case_body(court, "2-2002/2026"),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&p), ["court_id"]);
    let list: Value = app
        .get("/api/v1/cases", Some(&stranger))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list["items"], json!([]));
}

#[tokio::test]
async fn matching_reports_every_exclusion_code_and_ranks_the_eligible_deterministically() {
    let app = spawn_app().await;
    let court = app.create_court("MAT-1").await;
    let elsewhere = app.create_court("MAT-2").await;
    let (_, clerk) = app.clerk_of(court).await;
    let c = json!([court]);

    let (early, _) = mediator(&app, "M-EARLY", json!({"court_ids": c})).await;
    let (late, late_token) = mediator(&app, "M-LATE", json!({"court_ids": c})).await;
    // Busy for the next two weeks: their first slot comes later.
    let back = Utc::now() + Duration::days(14);
    let resp = app
        .post(
            &format!("/api/v1/mediators/{late}/time-off"),
            Some(&late_token),
            json!({"starts_at": Utc::now().to_rfc3339(), "ends_at": back.to_rfc3339()}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let (inactive, _) = mediator(
        &app,
        "M-INACTIVE",
        json!({"court_ids": c, "status": "suspended"}),
    )
    .await;
    let (expired, _) = mediator(
        &app,
        "M-EXPIRED",
        json!({"court_ids": c, "certified_until": deadline(10)}),
    )
    .await;
    let (specialty, _) = mediator(
        &app,
        "M-SPECIALTY",
        json!({"court_ids": c, "specialties": ["labour"]}),
    )
    .await;
    let (language, _) = mediator(
        &app,
        "M-LANGUAGE",
        json!({"court_ids": c, "languages": ["ru"]}),
    )
    .await;
    let (wrong_court, _) = mediator(&app, "M-COURT", json!({"court_ids": [elsewhere]})).await;
    let (conflicted, conflicted_token) =
        mediator(&app, "M-CONFLICT", json!({"court_ids": c})).await;
    let resp = app
        .post(
            &format!("/api/v1/mediators/{conflicted}/conflicts"),
            Some(&conflicted_token),
            json!({"party_iin_bin": IIN_B}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let (full, full_token) = mediator(
        &app,
        "M-FULL",
        json!({"court_ids": c, "max_active_cases": 1}),
    )
    .await;
    let (busy, busy_token) = mediator(&app, "M-NOHOURS", json!({"court_ids": c})).await;
    let resp = app
        .request(
            Method::PUT,
            &format!("/api/v1/mediators/{busy}/availability"),
            Some(&busy_token),
            Some(json!({"weekly": []})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);

    // M-FULL takes another case, which fills their only place.
    let other_case = id(&refer(&app, &clerk, case_body(court, "2-3000/2026")).await);
    let resp = app
        .post(
            &format!("/api/v1/cases/{other_case}/assignment"),
            Some(&clerk),
            json!({"mediator_id": full}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = app
        .post(
            &format!("/api/v1/cases/{other_case}/assignment/accept"),
            Some(&full_token),
            json!({}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);

    let case = id(&refer(&app, &clerk, case_body(court, "2-3001/2026")).await);
    let path = format!("/api/v1/cases/{case}/matches?duration_minutes=60");
    let first: Value = app
        .get(&path, Some(&clerk))
        .await
        .json()
        .await
        .expect("json");
    let second: Value = app
        .get(&path, Some(&clerk))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(first, second, "same data, same answer");

    let candidates: Vec<&str> = first["candidates"]
        .as_array()
        .expect("candidates")
        .iter()
        .map(|c| c["registry_number"].as_str().expect("registry"))
        .collect();
    assert_eq!(candidates, ["M-EARLY", "M-LATE"]);
    let top = &first["candidates"][0];
    assert_eq!(top["mediator_id"], json!(early));
    for part in [
        "active_cases",
        "assignments_last_90_days",
        "earliest_slot_hours",
    ] {
        assert!(top["score_parts"].get(part).is_some(), "score part {part}");
    }
    // The earliest slot is `{start, end}`, as long as the duration asked for.
    let slot = |candidate: &Value| -> (DateTime<Utc>, DateTime<Utc>) {
        let slot = candidate["earliest_slot"]
            .as_object()
            .expect("an earliest slot");
        let mut keys: Vec<&str> = slot.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["end", "start"], "{candidate}");
        let at = |key: &str| {
            slot[key]
                .as_str()
                .expect("an RFC 3339 instant")
                .parse::<DateTime<Utc>>()
                .expect("an RFC 3339 instant")
        };
        (at("start"), at("end"))
    };
    let (start, end) = slot(top);
    assert_eq!(end - start, Duration::minutes(60));
    let second = &first["candidates"][1];
    assert_eq!(second["mediator_id"], json!(late));
    let (late_start, _) = slot(second);
    assert!(
        late_start >= back && late_start > start,
        "M-LATE is free only after the time off: {late_start}"
    );

    let excluded: std::collections::BTreeMap<String, Value> = first["excluded"]
        .as_array()
        .expect("excluded")
        .iter()
        .map(|e| {
            (
                e["mediator_id"].as_str().expect("id").to_owned(),
                e["reasons"].clone(),
            )
        })
        .collect();
    let expect = [
        (inactive, "inactive"),
        (expired, "certification_expired"),
        (specialty, "specialty"),
        (language, "language"),
        (wrong_court, "court"),
        (conflicted, "conflict_of_interest"),
        (full, "capacity"),
        (busy, "no_availability"),
    ];
    assert_eq!(excluded.len(), expect.len());
    for (mediator, code) in expect {
        assert_eq!(
            excluded.get(&mediator.to_string()),
            Some(&json!([code])),
            "{code}"
        );
    }
}

/// The reasons `mediator` is excluded for, in the matches of `case` asked
/// of `app`; `None` when they are a candidate.
async fn exclusion(app: &TestApp, clerk: &str, case: Uuid, mediator: Uuid) -> Option<Value> {
    let resp = app
        .get(&format!("/api/v1/cases/{case}/matches"), Some(clerk))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.expect("json");
    let listed = |list: &str| -> Vec<Value> {
        body[list]
            .as_array()
            .expect("a list")
            .iter()
            .filter(|m| m["mediator_id"] == json!(mediator))
            .cloned()
            .collect()
    };
    let (candidates, excluded) = (listed("candidates"), listed("excluded"));
    assert_eq!(
        candidates.len() + excluded.len(),
        1,
        "listed exactly once: {body}"
    );
    excluded.first().map(|e| e["reasons"].clone())
}

#[tokio::test]
async fn a_registry_change_on_one_instance_or_by_hand_is_seen_by_the_next_matches_on_another() {
    let first = spawn_app().await;
    let second = first.another_instance().await;
    let court = first.create_court("REG-1").await;
    let (_, clerk) = first.clerk_of(court).await;
    let (m, m_token) = mediator(&first, "R-ONE", json!({"court_ids": [court]})).await;
    let case = id(&refer(&first, &clerk, case_body(court, "2-4000/2026")).await);
    // The second instance reads (and keeps) the registry first.
    assert_eq!(exclusion(&second, &clerk, case, m).await, None);

    // A declared conflict, on the first instance.
    let resp = first
        .post(
            &format!("/api/v1/mediators/{m}/conflicts"),
            Some(&m_token),
            json!({"party_name": "  serik NURLANOV "}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert_eq!(
        exclusion(&second, &clerk, case, m).await,
        Some(json!(["conflict_of_interest"]))
    );

    // Registry fields and lists, changed by an admin on the first instance.
    let resp = first
        .patch(
            &format!("/api/v1/mediators/{m}"),
            Some(&first.admin_token),
            json!({"specialties": ["labour"], "languages": ["ru"]}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        exclusion(&second, &clerk, case, m).await,
        Some(json!(["specialty", "language", "conflict_of_interest"]))
    );

    // A fix made by hand in the database, past every service.
    entity::mediators::Entity::update_many()
        .col_expr(
            entity::mediators::Column::Status,
            sea_orm::sea_query::Expr::value("suspended"),
        )
        .filter(entity::mediators::Column::Id.eq(m))
        .exec(&first.db)
        .await
        .expect("suspend by hand");
    entity::conflicts::Entity::delete_many()
        .filter(entity::conflicts::Column::MediatorId.eq(m))
        .exec(&first.db)
        .await
        .expect("drop the conflict by hand");
    assert_eq!(
        exclusion(&second, &clerk, case, m).await,
        Some(json!(["inactive", "specialty", "language"]))
    );
    assert_eq!(
        exclusion(&first, &clerk, case, m).await,
        Some(json!(["inactive", "specialty", "language"]))
    );
}

/// The caseload kept by the database for `mediator`, and the same counted
/// from the assignments.
async fn caseload(app: &TestApp, mediator: Uuid) -> (i32, usize) {
    let kept = entity::mediator_caseloads::Entity::find_by_id(mediator)
        .one(&app.db)
        .await
        .expect("caseload")
        .map_or(0, |c| c.active_cases);
    let assignments = entity::assignments::Entity::find()
        .filter(entity::assignments::Column::MediatorId.eq(mediator))
        .filter(entity::assignments::Column::Status.is_in(["proposed", "accepted"]))
        .all(&app.db)
        .await
        .expect("assignments");
    let mut counted = 0;
    for a in assignments {
        let case = entity::cases::Entity::find_by_id(a.case_id)
            .one(&app.db)
            .await
            .expect("case")
            .expect("a case");
        if [
            "mediator_proposed",
            "mediator_accepted",
            "scheduled",
            "outcome_recorded",
            "returned",
        ]
        .contains(&case.status.as_str())
        {
            counted += 1;
        }
    }
    (kept, counted)
}

async fn propose(app: &TestApp, clerk: &str, case: Uuid, mediator: Uuid) {
    let resp = app
        .post(
            &format!("/api/v1/cases/{case}/assignment"),
            Some(clerk),
            json!({"mediator_id": mediator}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK, "proposal");
}

#[tokio::test]
async fn capacity_follows_proposals_declines_and_withdrawals_on_every_instance() {
    let first = spawn_app().await;
    let second = first.another_instance().await;
    let court = first.create_court("CAP-1").await;
    let (_, clerk) = first.clerk_of(court).await;
    let (m, m_token) = mediator(
        &first,
        "C-ONE",
        json!({"court_ids": [court], "max_active_cases": 1}),
    )
    .await;
    let (other, _) = mediator(
        &first,
        "C-OTHER",
        json!({"court_ids": [court], "max_active_cases": 1}),
    )
    .await;
    let taken = id(&refer(&first, &clerk, case_body(court, "2-4100/2026")).await);
    let asked = id(&refer(&first, &clerk, case_body(court, "2-4101/2026")).await);
    assert_eq!(exclusion(&second, &clerk, asked, m).await, None);
    assert_eq!(caseload(&first, m).await, (0, 0));

    // Proposed on one case: at the maximum, on both instances.
    propose(&first, &clerk, taken, m).await;
    assert_eq!(caseload(&first, m).await, (1, 1));
    assert_eq!(
        exclusion(&second, &clerk, asked, m).await,
        Some(json!(["capacity"]))
    );
    // Also listed among other reasons where the mediator fails others.
    let resp = first
        .patch(
            &format!("/api/v1/mediators/{m}"),
            Some(&first.admin_token),
            json!({"languages": ["kk"]}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        exclusion(&second, &clerk, asked, m).await,
        Some(json!(["language", "capacity"]))
    );
    let resp = first
        .patch(
            &format!("/api/v1/mediators/{m}"),
            Some(&first.admin_token),
            json!({"languages": ["kk", "ru"]}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);

    // Declined: free again.
    let resp = first
        .post(
            &format!("/api/v1/cases/{taken}/assignment/decline"),
            Some(&m_token),
            json!({"reason": "I know the respondent's family"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(caseload(&first, m).await, (0, 0));
    assert_eq!(exclusion(&second, &clerk, asked, m).await, None);

    // Proposed again, then the case withdrawn: free again.
    propose(&first, &clerk, taken, other).await;
    assert_eq!(caseload(&first, other).await, (1, 1));
    assert_eq!(
        exclusion(&second, &clerk, asked, other).await,
        Some(json!(["capacity"]))
    );
    let resp = first
        .post(
            &format!("/api/v1/cases/{taken}/withdraw"),
            Some(&clerk),
            json!({"reason": "The parties settled on their own"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(caseload(&first, other).await, (0, 0));
    assert_eq!(exclusion(&second, &clerk, asked, other).await, None);
}

#[tokio::test]
async fn an_ineligible_mediator_is_refused_and_the_proposal_runs_its_course() {
    let app = spawn_app().await;
    let court = app.create_court("ASG-1").await;
    let (_, clerk) = app.clerk_of(court).await;
    let (good, good_token) = mediator(&app, "A-GOOD", json!({"court_ids": [court]})).await;
    let (second, second_token) = mediator(&app, "A-SECOND", json!({"court_ids": [court]})).await;
    let (no_ru, _) = mediator(
        &app,
        "A-NORU",
        json!({"court_ids": [court], "languages": ["kk"]}),
    )
    .await;
    let case = id(&refer(&app, &clerk, case_body(court, "2-4001/2026")).await);
    let assign = |m: Uuid, by_parties: bool| {
        let app = &app;
        let clerk = clerk.clone();
        async move {
            app.post(
                &format!("/api/v1/cases/{case}/assignment"),
                Some(&clerk),
                json!({"mediator_id": m, "chosen_by_parties": by_parties}),
            )
            .await
        }
    };

    // Even the parties' joint choice cannot override the hard rules.
    let p = problem(assign(no_ru, true).await, StatusCode::CONFLICT).await;
    assert_eq!(p["reasons"], json!(["language"]));

    // A mediator cannot answer a proposal that was never made to them.
    problem(
        app.post(
            &format!("/api/v1/cases/{case}/assignment/accept"),
            Some(&good_token),
            json!({}),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;

    let resp = assign(good, false).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["status"], "mediator_proposed");
    assert_eq!(outbox(&app, case, "assignment_proposed").await.len(), 1);

    // A second proposal while one is pending is a wrong state.
    let p = problem(assign(second, false).await, StatusCode::CONFLICT).await;
    assert_eq!(p["reasons"], json!(["case_status"]));
    assert!(
        p["detail"]
            .as_str()
            .expect("detail")
            .contains("mediator_proposed")
    );

    // The proposed mediator sees the case; declining needs a reason.
    let seen = app
        .get(&format!("/api/v1/cases/{case}"), Some(&good_token))
        .await;
    assert_eq!(seen.status(), StatusCode::OK);
    let p = problem(
        app.post(
            &format!("/api/v1/cases/{case}/assignment/decline"),
            Some(&good_token),
            json!({"reason": "  "}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&p), ["reason"]);
    let resp = app
        .post(
            &format!("/api/v1/cases/{case}/assignment/decline"),
            Some(&good_token),
            json!({"reason": "I know the respondent's family"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["status"], "referred");
    let answered = outbox(&app, case, "assignment_answered").await;
    assert_eq!(answered.len(), 1);
    // After declining the mediator no longer sees the case.
    problem(
        app.get(&format!("/api/v1/cases/{case}"), Some(&good_token))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;

    // The clerk proposes the second mediator, who accepts.
    assert_eq!(assign(second, false).await.status(), StatusCode::OK);
    let resp = app
        .post(
            &format!("/api/v1/cases/{case}/assignment/accept"),
            Some(&second_token),
            json!({}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["status"], "mediator_accepted");
    assert_eq!(body["assignment"]["registry_number"], "A-SECOND");
    assert_eq!(outbox(&app, case, "assignment_answered").await.len(), 2);

    // Answering twice is refused.
    let p = problem(
        app.post(
            &format!("/api/v1/cases/{case}/assignment/accept"),
            Some(&second_token),
            json!({}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(p["reasons"], json!(["assignment_status"]));

    let actions = audit_actions(&app, case, &clerk).await;
    for a in [
        "case.referred",
        "case.mediator_proposed",
        "case.mediator_declined",
        "case.mediator_accepted",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
    // The audit is the court's: the mediator may not read it.
    problem(
        app.get(&format!("/api/v1/cases/{case}/audit"), Some(&second_token))
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
}

#[tokio::test]
async fn illegal_transitions_are_409_with_a_reason() {
    let app = spawn_app().await;
    let court = app.create_court("TRN-1").await;
    let (_, clerk) = app.clerk_of(court).await;
    let case = id(&refer(&app, &clerk, case_body(court, "2-5001/2026")).await);

    let withdraw = |reason: &'static str| {
        let app = &app;
        let clerk = clerk.clone();
        async move {
            app.post(
                &format!("/api/v1/cases/{case}/withdraw"),
                Some(&clerk),
                json!({ "reason": reason }),
            )
            .await
        }
    };
    let resp = withdraw("The parties settled in court").await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["status"], "withdrawn");

    let p = problem(withdraw("again").await, StatusCode::CONFLICT).await;
    assert_eq!(p["reasons"], json!(["case_status"]));
    assert!(
        p["detail"]
            .as_str()
            .expect("detail")
            .starts_with("the case is withdrawn;")
    );
    let (m, _) = mediator(&app, "T-ONE", json!({"court_ids": [court]})).await;
    let p = problem(
        app.post(
            &format!("/api/v1/cases/{case}/assignment"),
            Some(&clerk),
            json!({ "mediator_id": m }),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(p["reasons"], json!(["case_status"]));
    let p = problem(
        app.post(
            &format!("/api/v1/cases/{case}/joint-session-override"),
            Some(&clerk),
            json!({ "reason": "x" }),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(!p["reasons"].as_array().expect("reasons").is_empty());
}

/// The personal link of a party, read from the email they were sent.
pub(crate) async fn link_of(app: &TestApp, case: Uuid, email: &str) -> String {
    let mails = outbox(app, case, "case_referred").await;
    let flat = bodies(
        &mails
            .iter()
            .find(|m| m.recipient == email)
            .expect("email to the party")
            .raw_message,
    );
    let at = flat.find("/p/p_").expect("link in the email");
    let token: String = flat[at + 3..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    format!("/p/{token}")
}

#[tokio::test]
async fn with_violence_reported_nobody_is_auto_assigned_and_each_party_must_confirm() {
    let app = spawn_app().await;
    let court = app.create_court("VIO-1").await;
    let (_, clerk) = app.clerk_of(court).await;
    let (_, _) = mediator(&app, "V-TRAINED", json!({"court_ids": [court]})).await;
    let (_, _) = mediator(
        &app,
        "V-UNTRAINED",
        json!({"court_ids": [court], "specialties": ["family"]}),
    )
    .await;
    let mut body = case_body(court, "2-6001/2026");
    body["flags"] = json!({"violence_reported": true});
    let case = refer(&app, &clerk, body).await;
    let case_id = id(&case);

    assert_eq!(case["default_session_format"], "separate");
    let parties: Vec<Value> = case["parties"].as_array().expect("parties").clone();
    assert_eq!(
        case["awaiting_voluntary_confirmation"]
            .as_array()
            .expect("awaiting")
            .len(),
        2
    );
    let matches: Value = app
        .get(&format!("/api/v1/cases/{case_id}/matches"), Some(&clerk))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(matches["automatic_assignment_allowed"], false);
    let untrained = matches["excluded"]
        .as_array()
        .expect("excluded")
        .iter()
        .find(|e| e["registry_number"] == "V-UNTRAINED")
        .expect("untrained mediator excluded");
    assert_eq!(untrained["reasons"], json!(["specialty"]));

    // Each party confirms through their own link (the page shows the form).
    let link = link_of(&app, case_id, "aigerim@example.kz").await;
    let page = app.get(&link, None).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(
        page.headers().get("cache-control").expect("cache-control"),
        "no-store, private"
    );
    let html = page.text().await.expect("html");
    assert!(html.contains("2-6001"), "the case number");
    assert!(html.contains("voluntary-participation"));
    assert!(
        !html.contains("serik@example.kz"),
        "no other party's contact"
    );
    let resp = app
        .post(&format!("{link}/voluntary-participation"), None, json!({}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let after: Value = app
        .get(&format!("/api/v1/cases/{case_id}"), Some(&clerk))
        .await
        .json()
        .await
        .expect("json");
    let waiting = after["awaiting_voluntary_confirmation"]
        .as_array()
        .expect("awaiting")
        .clone();
    let serik = parties
        .iter()
        .find(|p| p["email"] == "serik@example.kz")
        .expect("serik");
    assert_eq!(waiting, vec![serik["id"].clone()]);

    // A wrong token is simply not found.
    problem(
        app.get("/p/p_not-a-real-token-at-all", None).await,
        StatusCode::NOT_FOUND,
    )
    .await;

    // A joint session needs the clerk's explicit override, which is audited.
    let resp = app
        .post(
            &format!("/api/v1/cases/{case_id}/joint-session-override"),
            Some(&clerk),
            json!({"reason": "Both parties asked for a joint meeting in writing"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["joint_session_override"], true);
    assert_eq!(body["default_session_format"], "joint");
    let actions = audit_actions(&app, case_id, &clerk).await;
    assert!(actions.iter().any(|a| a == "case.joint_session_override"));
    assert!(actions.iter().any(|a| a == "party.voluntary_confirmed"));

    // Without violence no override is needed.
    let plain = id(&refer(&app, &clerk, case_body(court, "2-6002/2026")).await);
    let p = problem(
        app.post(
            &format!("/api/v1/cases/{plain}/joint-session-override"),
            Some(&clerk),
            json!({"reason": "no need"}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(p["reasons"], json!(["no_override_needed"]));
}

#[tokio::test]
async fn cases_with_minors_need_a_guardian_juvenile_training_and_are_scheduled_first() {
    let app = spawn_app().await;
    let court = app.create_court("MIN-1").await;
    let (_, clerk) = app.clerk_of(court).await;
    let (trained, token) = mediator(&app, "J-TRAINED", json!({"court_ids": [court]})).await;
    let (untrained, _) = mediator(
        &app,
        "J-UNTRAINED",
        json!({"court_ids": [court], "specialties": ["family"]}),
    )
    .await;

    let mut body = case_body(court, "2-7001/2026");
    body["mediation_deadline"] = json!(deadline(50));
    body["parties"][0]["is_minor"] = json!(true);
    body["parties"]
        .as_array_mut()
        .expect("parties")
        .push(json!({"role": "guardian", "name": "Гульнара Сапарова", "email": "gulnara@example.kz", "language": "ru"}));
    let minors = refer(&app, &clerk, body).await;
    assert_eq!(
        minors["flags"]["minors_involved"], true,
        "set from the parties"
    );
    let minors = id(&minors);
    let plain = id(&refer(&app, &clerk, case_body(court, "2-7002/2026")).await);

    let p = problem(
        app.post(
            &format!("/api/v1/cases/{minors}/assignment"),
            Some(&clerk),
            json!({"mediator_id": untrained}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(p["reasons"], json!(["specialty"]));

    // The same mediator accepts both; the case with minors waits first even
    // though its deadline is later.
    for case in [plain, minors] {
        let resp = app
            .post(
                &format!("/api/v1/cases/{case}/assignment"),
                Some(&clerk),
                json!({"mediator_id": trained}),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::OK);
        let resp = app
            .post(
                &format!("/api/v1/cases/{case}/assignment/accept"),
                Some(&token),
                json!({}),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::OK);
    }
    let queue: Value = app
        .get("/api/v1/cases/waiting-to-be-scheduled", Some(&token))
        .await
        .json()
        .await
        .expect("json");
    let order: Vec<Value> = queue["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|c| c["id"].clone())
        .collect();
    assert_eq!(order, vec![json!(minors), json!(plain)]);
}

#[tokio::test]
async fn the_deadline_watch_warns_the_clerk_once_and_expires_cases_past_their_deadline() {
    let app = spawn_app().await;
    let court = app.create_court("DL-1").await;
    let (_, clerk) = app.clerk_of(court).await;
    let mut near = case_body(court, "2-8001/2026");
    near["mediation_deadline"] = json!(deadline(4));
    let near = id(&refer(&app, &clerk, near).await);
    let far = id(&refer(&app, &clerk, case_body(court, "2-8002/2026")).await);

    let now = Utc::now();
    for _ in 0..2 {
        kelisim::services::deadlines::watch(&app.db, &app.settings, now)
            .await
            .expect("job");
    }
    assert_eq!(outbox(&app, near, "case_deadline_near").await.len(), 1);
    assert!(outbox(&app, far, "case_deadline_near").await.is_empty());

    // Five days later the near case is past its deadline.
    let later = now + Duration::days(6);
    for _ in 0..2 {
        kelisim::services::deadlines::watch(&app.db, &app.settings, later)
            .await
            .expect("job");
    }
    assert_eq!(outbox(&app, near, "case_expired").await.len(), 1);
    let case: Value = app
        .get(&format!("/api/v1/cases/{near}"), Some(&clerk))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(case["status"], "expired");
    let actions = audit_actions(&app, near, &clerk).await;
    assert!(actions.iter().any(|a| a == "case.expired"));
    let deadline_of_far = NaiveDate::parse_from_str(&deadline(40), "%Y-%m-%d").expect("date");
    assert!(deadline_of_far > later.date_naive());
    let far_case: Value = app
        .get(&format!("/api/v1/cases/{far}"), Some(&clerk))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(far_case["status"], "referred");
}
