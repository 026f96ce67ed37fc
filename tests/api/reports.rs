//! Reports: the summary's figures on a known data set, exactly; who may read
//! it; its 422s; and the CSV form, whose cells a spreadsheet cannot run.
//!
//! The data is written directly through `entity`, so that referral and
//! outcome instants can be placed on the edges of the period and of days
//! in Almaty.

use chrono::{DateTime, NaiveDate, Utc};
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::{TestApp, error_fields, problem, spawn_app};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("an instant")
        .with_timezone(&Utc)
}

/// Mediators with fixed ids, so that the order of the report is known.
const M1: Uuid = Uuid::from_u128(0x0001_0000_0000_0000_0000_0000_0000_0001);
const M2: Uuid = Uuid::from_u128(0x0002_0000_0000_0000_0000_0000_0000_0002);
/// A name and a registry number a spreadsheet would run as formulas.
const M2_NAME: &str = "=HYPERLINK(\"http://evil.example\",\"x\")";
const M2_REGISTRY: &str = "@R-2";

struct Data<'a> {
    db: &'a DatabaseConnection,
    clerk: Uuid,
    n: u32,
    /// Sessions of one mediator must not overlap: each gets its own day.
    session_day: i64,
}

impl Data<'_> {
    async fn mediator(&self, id: Uuid, name: &str, registry: &str) {
        let now = Utc::now();
        entity::mediators::ActiveModel {
            id: Set(id),
            user_id: Set(None),
            name: Set(name.into()),
            email: Set(format!("{}@mediators.kz", id.simple())),
            registry_number: Set(registry.into()),
            kind: Set("professional".into()),
            certified_until: Set(NaiveDate::from_ymd_opt(2031, 12, 31).expect("date")),
            max_active_cases: Set(10),
            timezone: Set("Asia/Almaty".into()),
            status: Set("active".into()),
            feed_secret_hash: Set(format!("feed-{}", Uuid::new_v4().simple())),
            external_calendar_url: Set(None),
            external_calendar_error: Set(None),
            external_calendar_fetched_at: Set(None),
            certification_warned_at: Set(None),
            calendar_version: Set(0),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(self.db)
        .await
        .expect("insert mediator");
    }

    /// A case referred at `referred_at`, with the mediator's assignment in
    /// `assignment` status when one is given.
    async fn case(
        &mut self,
        court: Uuid,
        category: &str,
        status: &str,
        referred_at: &str,
        mediator: Option<(Uuid, &str)>,
    ) -> Uuid {
        self.n += 1;
        let id = Uuid::now_v7();
        let created = at(referred_at);
        entity::cases::ActiveModel {
            id: Set(id),
            court_id: Set(court),
            court_case_number: Set(format!("2-{}/2026", self.n)),
            category: Set(category.into()),
            summary: Set("A dispute".into()),
            language: Set("ru".into()),
            mediation_deadline: Set(NaiveDate::from_ymd_opt(2026, 12, 31).expect("date")),
            minors_involved: Set(false),
            violence_reported: Set(false),
            interpreter_needed: Set(false),
            joint_session_override: Set(false),
            status: Set(status.into()),
            referred_by: Set(self.clerk),
            deadline_warned_at: Set(None),
            closed_at: Set(None),
            created_at: Set(created),
            updated_at: Set(created),
        }
        .insert(self.db)
        .await
        .expect("insert case");
        if let Some((mediator, assignment)) = mediator {
            entity::assignments::ActiveModel {
                id: Set(Uuid::now_v7()),
                case_id: Set(id),
                mediator_id: Set(mediator),
                status: Set(assignment.into()),
                chosen_by_parties: Set(false),
                proposed_by: Set(self.clerk),
                proposed_at: Set(created),
                answered_at: Set((assignment == "accepted").then_some(created)),
                decline_reason: Set(None),
            }
            .insert(self.db)
            .await
            .expect("insert assignment");
        }
        id
    }

    async fn outcome(&self, case: Uuid, version: i32, result: &str, created_at: &str) {
        entity::outcomes::ActiveModel {
            id: Set(Uuid::now_v7()),
            case_id: Set(case),
            version: Set(version),
            result: Set(result.into()),
            terms: Set(json!([])),
            signed_on: Set(at(created_at).date_naive()),
            signed_at_place: Set("Almaty".into()),
            document_html: Set(None),
            document_sha256: Set(None),
            document_pdf: Set(None),
            document_pdf_sha256: Set(None),
            unresolved: Set(None),
            status: Set("draft".into()),
            submitted_at: Set(None),
            court_registration_number: Set(None),
            return_reason: Set(None),
            decided_at: Set(None),
            decided_by: Set(None),
            created_by: Set(None),
            created_at: Set(at(created_at)),
        }
        .insert(self.db)
        .await
        .expect("insert outcome");
    }

    async fn party(&self, case: Uuid, role: &str) -> Uuid {
        let id = Uuid::now_v7();
        entity::parties::ActiveModel {
            id: Set(id),
            case_id: Set(case),
            role: Set(role.into()),
            name: Set(format!("Party {}", id.simple())),
            email: Set(format!("{}@example.kz", id.simple())),
            phone: Set(None),
            iin_bin: Set(None),
            language: Set("ru".into()),
            is_minor: Set(false),
            accessibility_needs: Set(None),
            legal_capacity: Set("full".into()),
            represents_party_id: Set(None),
            voluntary_confirmed_at: Set(None),
            link_version: Set(0),
            created_at: Set(Utc::now()),
        }
        .insert(self.db)
        .await
        .expect("insert party");
        id
    }

    /// A session of `case` with `mediator`; `attended` per invited party,
    /// and `recorded` whether its attendance was recorded.
    async fn session(
        &mut self,
        case: Uuid,
        mediator: Uuid,
        recorded: bool,
        attended: &[(Uuid, bool)],
    ) {
        self.session_day += 1;
        let start = at("2026-02-01T05:00:00Z") + chrono::Duration::days(self.session_day);
        let id = Uuid::now_v7();
        entity::sessions::ActiveModel {
            id: Set(id),
            case_id: Set(case),
            mediator_id: Set(mediator),
            starts_at: Set(start),
            ends_at: Set(start + chrono::Duration::hours(1)),
            timezone: Set("Asia/Almaty".into()),
            room_id: Set(None),
            online_url: Set(Some("https://video.example.kz/r".into())),
            format: Set("joint".into()),
            status: Set(if recorded { "held" } else { "scheduled" }.into()),
            sequence: Set(0),
            cancel_reason: Set(None),
            created_by: Set(None),
            created_at: Set(start),
            updated_at: Set(start),
            attendance_recorded_at: Set(recorded.then_some(start + chrono::Duration::hours(1))),
            attendance_recorded_by: Set(None),
        }
        .insert(self.db)
        .await
        .expect("insert session");
        for (party, present) in attended {
            entity::session_parties::ActiveModel {
                session_id: Set(id),
                party_id: Set(*party),
                attended: Set(recorded.then_some(*present)),
            }
            .insert(self.db)
            .await
            .expect("insert session party");
        }
    }
}

struct Fixture {
    court_a: Uuid,
    court_b: Uuid,
    clerk_a: String,
}

/// The known data set. Court A, period 2026-01-01 … 2026-03-31 (Almaty):
///
/// | case | category | mediator | status | outcome versions | days |
/// |---|---|---|---|---|---|
/// | c1 | civil | M1 | registered | v1 not_settled at day 10, v2 settled at day 15 | 10 |
/// | c2 | civil | M1 | outcome_recorded | partially_settled; referred 31 Jan 23:30, outcome 2 Feb 00:30 local | 2 |
/// | c3 | family | M2 | outcome_recorded | not_settled | 30 |
/// | c4 | family | M2 | withdrawn | withdrawn | 4 |
/// | c5 | labour | — | referred, 31 Mar 23:59 local | — | |
/// | c6 | civil | M2 proposed only (counts as none) | mediator_proposed | — | |
///
/// Outside: c7 (1 Apr 00:00 local) and c8 (31 Dec 2025 23:59 local), both
/// with outcomes and recorded absences; c9 in court B (civil, M1, settled,
/// 1 day).
///
/// Attendance (recorded sessions): c1 — {p1 present, p2 absent},
/// {p1 present, p2 present}; c2 — {p5 present}; c3 — {p3 absent, p4
/// absent}, and one session not recorded. Invited 7, absent 3.
async fn known_data(app: &TestApp) -> Fixture {
    let court_a = app.create_court("REP-A").await;
    let court_b = app.create_court("REP-B").await;
    let (clerk_id, clerk_a) = app.clerk_of(court_a).await;
    let mut d = Data {
        db: &app.db,
        clerk: clerk_id,
        n: 0,
        session_day: 0,
    };
    d.mediator(M1, "Aigerim Mediator", "R-1").await;
    d.mediator(M2, M2_NAME, M2_REGISTRY).await;

    let c1 = d
        .case(
            court_a,
            "civil",
            "registered",
            "2026-01-10T04:00:00Z",
            Some((M1, "accepted")),
        )
        .await;
    d.outcome(c1, 1, "not_settled", "2026-01-20T10:00:00Z")
        .await;
    d.outcome(c1, 2, "settled", "2026-01-25T10:00:00Z").await;
    let (p1, p2) = (
        d.party(c1, "claimant").await,
        d.party(c1, "respondent").await,
    );
    d.session(c1, M1, true, &[(p1, true), (p2, false)]).await;
    d.session(c1, M1, true, &[(p1, true), (p2, true)]).await;

    let c2 = d
        .case(
            court_a,
            "civil",
            "outcome_recorded",
            "2026-01-31T18:30:00Z",
            Some((M1, "accepted")),
        )
        .await;
    d.outcome(c2, 1, "partially_settled", "2026-02-01T19:30:00Z")
        .await;
    let p5 = d.party(c2, "claimant").await;
    d.session(c2, M1, true, &[(p5, true)]).await;

    let c3 = d
        .case(
            court_a,
            "family",
            "outcome_recorded",
            "2026-02-01T05:00:00Z",
            Some((M2, "accepted")),
        )
        .await;
    d.outcome(c3, 1, "not_settled", "2026-03-03T05:00:00Z")
        .await;
    let (p3, p4) = (
        d.party(c3, "claimant").await,
        d.party(c3, "respondent").await,
    );
    d.session(c3, M2, true, &[(p3, false), (p4, false)]).await;
    d.session(c3, M2, false, &[(p3, false), (p4, false)]).await;

    let c4 = d
        .case(
            court_a,
            "family",
            "withdrawn",
            "2026-02-10T05:00:00Z",
            Some((M2, "accepted")),
        )
        .await;
    d.outcome(c4, 1, "withdrawn", "2026-02-14T05:00:00Z").await;

    d.case(court_a, "labour", "referred", "2026-03-31T18:59:00Z", None)
        .await;
    d.case(
        court_a,
        "civil",
        "mediator_proposed",
        "2026-03-01T05:00:00Z",
        Some((M2, "proposed")),
    )
    .await;

    // Outside the period, one instant on each side.
    for referred in ["2026-03-31T19:00:00Z", "2025-12-31T18:59:00Z"] {
        let c = d
            .case(
                court_a,
                "civil",
                "registered",
                referred,
                Some((M1, "accepted")),
            )
            .await;
        d.outcome(c, 1, "settled", "2026-04-05T05:00:00Z").await;
        let p = d.party(c, "claimant").await;
        d.session(c, M1, true, &[(p, false)]).await;
    }

    // Court B.
    let c9 = d
        .case(
            court_b,
            "civil",
            "registered",
            "2026-02-05T05:00:00Z",
            Some((M1, "accepted")),
        )
        .await;
    d.outcome(c9, 1, "settled", "2026-02-06T05:00:00Z").await;

    Fixture {
        court_a,
        court_b,
        clerk_a,
    }
}

const PERIOD: &str = "from=2026-01-01&to=2026-03-31";

async fn report(app: &TestApp, token: &str, query: &str) -> Value {
    let resp = app
        .get(&format!("/api/v1/reports/summary?{query}"), Some(token))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json().await.expect("json")
}

/// The statuses of a `by_status` object that are not zero.
fn statuses(f: &Value) -> Vec<(String, u64)> {
    let all = f["by_status"].as_object().expect("by_status");
    assert_eq!(all.len(), 10, "every status is listed");
    all.iter()
        .filter(|(_, n)| n.as_u64() != Some(0))
        .map(|(s, n)| (s.clone(), n.as_u64().expect("count")))
        .collect()
}

fn pairs(list: &[(&str, u64)]) -> Vec<(String, u64)> {
    list.iter().map(|(s, n)| ((*s).to_owned(), *n)).collect()
}

/// The figures of `f` other than `by_status`, as one comparable value.
fn figures(f: &Value) -> Value {
    json!({
        "referrals": f["referrals"],
        "outcomes": f["outcomes"],
        "settlement_rate_percent": f["settlement_rate_percent"],
        "days_to_outcome": f["days_to_outcome"],
        "attendance": f["attendance"],
    })
}

#[allow(clippy::too_many_arguments)]
fn expected(
    referrals: u64,
    [settled, partially, not_settled, withdrawn]: [u64; 4],
    rate: Value,
    days: (u64, Value, Value),
    (invited, absent, no_show): (u64, u64, Value),
) -> Value {
    json!({
        "referrals": referrals,
        "outcomes": {
            "total": settled + partially + not_settled + withdrawn,
            "settled": settled, "partially_settled": partially,
            "not_settled": not_settled, "withdrawn": withdrawn,
        },
        "settlement_rate_percent": rate,
        "days_to_outcome": {"cases": days.0, "median": days.1, "p90": days.2},
        "attendance": {"invited_parties": invited, "absent_parties": absent, "no_show_rate_percent": no_show},
    })
}

#[tokio::test]
async fn the_summary_of_a_court_gives_every_figure_exactly() {
    let app = spawn_app().await;
    let fx = known_data(&app).await;

    let r = report(&app, &fx.clerk_a, PERIOD).await;

    assert_eq!(r["court_id"], json!(fx.court_a));
    assert_eq!(r["from"], "2026-01-01");
    assert_eq!(r["to"], "2026-03-31");
    assert_eq!(r["timezone"], "Asia/Almaty");
    // Days [2, 4, 10, 30]: median (4 + 10) / 2, p90 at 2.7 → 10 + 0.7 × 20.
    assert_eq!(
        figures(&r["total"]),
        expected(
            6,
            [1, 1, 1, 1],
            json!(50.0),
            (4, json!(7.0), json!(24.0)),
            (7, 3, json!(42.9)),
        )
    );
    assert_eq!(
        statuses(&r["total"]),
        pairs(&[
            ("mediator_proposed", 1),
            ("outcome_recorded", 2),
            ("referred", 1),
            ("registered", 1),
            ("withdrawn", 1),
        ])
    );

    let categories: Vec<&str> = r["by_category"]
        .as_array()
        .expect("by_category")
        .iter()
        .map(|c| c["category"].as_str().expect("category"))
        .collect();
    assert_eq!(categories, ["civil", "family", "labour"]);
    let civil = &r["by_category"][0];
    // Days [2, 10]: median 6, p90 at 0.9 → 2 + 0.9 × 8.
    assert_eq!(
        figures(civil),
        expected(
            3,
            [1, 1, 0, 0],
            json!(100.0),
            (2, json!(6.0), json!(9.2)),
            (5, 1, json!(20.0)),
        )
    );
    assert_eq!(
        statuses(civil),
        pairs(&[
            ("mediator_proposed", 1),
            ("outcome_recorded", 1),
            ("registered", 1)
        ])
    );
    let family = &r["by_category"][1];
    // Days [4, 30]: median 17, p90 4 + 0.9 × 26.
    let family_figures = expected(
        2,
        [0, 0, 1, 1],
        json!(0.0),
        (2, json!(17.0), json!(27.4)),
        (2, 2, json!(100.0)),
    );
    assert_eq!(figures(family), family_figures);
    assert_eq!(
        statuses(family),
        pairs(&[("outcome_recorded", 1), ("withdrawn", 1)])
    );
    let labour = &r["by_category"][2];
    let nothing_yet = |referrals| {
        expected(
            referrals,
            [0, 0, 0, 0],
            Value::Null,
            (0, Value::Null, Value::Null),
            (0, 0, Value::Null),
        )
    };
    assert_eq!(figures(labour), nothing_yet(1));
    assert_eq!(statuses(labour), pairs(&[("referred", 1)]));

    let mediators = r["by_mediator"].as_array().expect("by_mediator");
    assert_eq!(mediators.len(), 3);
    assert_eq!(mediators[0]["mediator_id"], json!(M1));
    assert_eq!(mediators[0]["name"], "Aigerim Mediator");
    assert_eq!(mediators[0]["registry_number"], "R-1");
    assert_eq!(
        figures(&mediators[0]),
        expected(
            2,
            [1, 1, 0, 0],
            json!(100.0),
            (2, json!(6.0), json!(9.2)),
            (5, 1, json!(20.0)),
        )
    );
    assert_eq!(mediators[1]["mediator_id"], json!(M2));
    assert_eq!(mediators[1]["name"], M2_NAME);
    assert_eq!(figures(&mediators[1]), family_figures);
    // c5 (no mediator) and c6 (only proposed): no accepted mediator.
    assert_eq!(mediators[2]["mediator_id"], Value::Null);
    assert_eq!(mediators[2]["name"], Value::Null);
    assert_eq!(figures(&mediators[2]), nothing_yet(2));
    assert_eq!(
        statuses(&mediators[2]),
        pairs(&[("mediator_proposed", 1), ("referred", 1)])
    );

    // An admin naming the court gets the same answer.
    let admin = report(
        &app,
        &app.admin_token,
        &format!("court_id={}&{PERIOD}", fx.court_a),
    )
    .await;
    assert_eq!(admin, r);
}

#[tokio::test]
async fn an_admin_without_a_court_gets_every_court_and_the_period_bounds_are_days_in_almaty() {
    let app = spawn_app().await;
    let fx = known_data(&app).await;

    let all = report(&app, &app.admin_token, PERIOD).await;
    assert_eq!(all["court_id"], Value::Null);
    // c9 of court B adds a settled case of 1 day: days [1, 2, 4, 10, 30].
    assert_eq!(
        figures(&all["total"]),
        expected(
            7,
            [2, 1, 1, 1],
            json!(60.0),
            (5, json!(4.0), json!(22.0)),
            (7, 3, json!(42.9)),
        )
    );

    let b = report(
        &app,
        &app.admin_token,
        &format!("court_id={}&{PERIOD}", fx.court_b),
    )
    .await;
    assert_eq!(
        figures(&b["total"]),
        expected(
            1,
            [1, 0, 0, 0],
            json!(100.0),
            (1, json!(1.0), json!(1.0)),
            (0, 0, Value::Null),
        )
    );

    // The last day alone holds c5, referred at 23:59 local; the day after
    // holds c7, referred at 00:00 local.
    let last = report(&app, &fx.clerk_a, "from=2026-03-31&to=2026-03-31").await;
    assert_eq!(last["total"]["referrals"], 1);
    assert_eq!(last["by_category"][0]["category"], "labour");
    let next = report(&app, &fx.clerk_a, "from=2026-04-01&to=2026-04-01").await;
    assert_eq!(next["total"]["referrals"], 1);
    assert_eq!(next["total"]["outcomes"]["settled"], 1);
    assert_eq!(next["total"]["attendance"]["absent_parties"], 1);
    let before = report(&app, &fx.clerk_a, "from=2025-12-31&to=2025-12-31").await;
    assert_eq!(before["total"]["referrals"], 1);

    // A period with no cases: zeros, and rates over nothing are null.
    let empty = report(&app, &fx.clerk_a, "from=2020-01-01&to=2020-12-31").await;
    assert_eq!(
        figures(&empty["total"]),
        expected(
            0,
            [0, 0, 0, 0],
            Value::Null,
            (0, Value::Null, Value::Null),
            (0, 0, Value::Null),
        )
    );
    assert_eq!(empty["by_category"], json!([]));
    assert_eq!(empty["by_mediator"], json!([]));
}

#[tokio::test]
async fn only_admins_and_the_courts_clerks_read_reports() {
    let app = spawn_app().await;
    let court_a = app.create_court("ACC-A").await;
    let court_b = app.create_court("ACC-B").await;
    let (_, clerk_a) = app.clerk_of(court_a).await;
    let path = |q: &str| format!("/api/v1/reports/summary?{PERIOD}{q}");

    // A clerk: their court by default or by name; another court is not
    // found, as everywhere else.
    let own = report(&app, &clerk_a, PERIOD).await;
    assert_eq!(own["court_id"], json!(court_a));
    let named = report(&app, &clerk_a, &format!("court_id={court_a}&{PERIOD}")).await;
    assert_eq!(named["court_id"], json!(court_a));
    let other = app
        .get(&path(&format!("&court_id={court_b}")), Some(&clerk_a))
        .await;
    problem(other, StatusCode::NOT_FOUND).await;

    // An admin naming a court that does not exist.
    let unknown = app
        .get(
            &path(&format!("&court_id={}", Uuid::new_v4())),
            Some(&app.admin_token),
        )
        .await;
    problem(unknown, StatusCode::NOT_FOUND).await;

    // A mediator is refused; nobody without a token gets in.
    let (_, mediator) = app
        .mediator_with_login(
            "report-mediator@mediators.kz",
            json!({
                "name": "Dana Mediator", "email": "report-mediator@mediators.kz",
                "registry_number": "R-ACC", "kind": "professional",
                "certified_until": "2031-12-31", "specialties": ["civil"], "languages": ["ru"],
                "court_ids": [court_a], "max_active_cases": 10, "timezone": "Asia/Almaty"
            }),
        )
        .await;
    let refused = app.get(&path(""), Some(&mediator)).await;
    problem(refused, StatusCode::FORBIDDEN).await;
    let anonymous = app.get(&path(""), None).await;
    problem(anonymous, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn bad_periods_and_parameters_are_422_naming_the_field() {
    let app = spawn_app().await;
    let token = app.admin_token.clone();
    for (query, field) in [
        ("from=2026-02-01&to=2026-01-31", "to"),
        ("from=2026-01-01&to=2031-01-01", "to"),
        ("from=2026-13-01&to=2026-12-31", "from"),
        ("from=2026-01-01&to=tomorrow", "to"),
        ("to=2026-12-31", "from"),
        ("from=2026-01-01", "to"),
        ("court_id=abc&from=2026-01-01&to=2026-12-31", "court_id"),
    ] {
        let resp = app
            .get(&format!("/api/v1/reports/summary?{query}"), Some(&token))
            .await;
        let p = problem(resp, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(error_fields(&p), [field], "{query}");
    }
    // Five years less a day is the longest period.
    report(&app, &token, "from=2026-01-01&to=2030-12-31").await;
}

#[tokio::test]
async fn the_csv_has_the_same_figures_and_no_cell_a_spreadsheet_would_run() {
    let app = spawn_app().await;
    let fx = known_data(&app).await;

    let resp = app
        .client
        .get(format!("{}/api/v1/reports/summary?{PERIOD}", app.address))
        .bearer_auth(&fx.clerk_a)
        .header("accept", "text/csv")
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.headers()["content-type"].to_str().expect("ascii"),
        "text/csv; charset=utf-8"
    );
    assert_eq!(
        resp.headers()["content-disposition"]
            .to_str()
            .expect("ascii"),
        "attachment; filename=\"kelisim-summary-2026-01-01-2026-03-31.csv\""
    );
    let body = resp.text().await.expect("body");
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect();
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.expect("row").iter().map(str::to_owned).collect())
        .collect();
    let cell = |row: &[String], name: &str| -> String {
        let i = header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}"));
        row[i].clone()
    };

    let sections: Vec<(String, String)> = rows
        .iter()
        .map(|r| (cell(r, "section"), cell(r, "category")))
        .collect();
    assert_eq!(
        sections,
        [
            ("total", ""),
            ("category", "civil"),
            ("category", "family"),
            ("category", "labour"),
            ("mediator", ""),
            ("mediator", ""),
            ("mediator", ""),
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
    let total = &rows[0];
    for (column, value) in [
        ("referrals", "6"),
        ("status_referred", "1"),
        ("status_outcome_recorded", "2"),
        ("status_expired", "0"),
        ("outcomes", "4"),
        ("settled", "1"),
        ("partially_settled", "1"),
        ("not_settled", "1"),
        ("withdrawn", "1"),
        ("settlement_rate_percent", "50.0"),
        ("days_to_outcome_cases", "4"),
        ("median_days_to_outcome", "7.0"),
        ("p90_days_to_outcome", "24.0"),
        ("invited_parties", "7"),
        ("absent_parties", "3"),
        ("no_show_rate_percent", "42.9"),
    ] {
        assert_eq!(cell(total, column), value, "{column}");
    }
    assert_eq!(cell(&rows[2], "p90_days_to_outcome"), "27.4");
    // Undefined rates are empty cells.
    assert_eq!(cell(&rows[3], "settlement_rate_percent"), "");
    assert_eq!(cell(&rows[3], "median_days_to_outcome"), "");

    // The mediators: the formula-like name and registry number are text.
    assert_eq!(cell(&rows[4], "mediator_id"), M1.to_string());
    assert_eq!(cell(&rows[4], "mediator_name"), "Aigerim Mediator");
    assert_eq!(cell(&rows[5], "mediator_id"), M2.to_string());
    assert_eq!(cell(&rows[5], "mediator_name"), format!("'{M2_NAME}"));
    assert_eq!(cell(&rows[5], "registry_number"), format!("'{M2_REGISTRY}"));
    assert_eq!(cell(&rows[6], "mediator_id"), "");
    assert_eq!(cell(&rows[6], "referrals"), "2");
    // No cell anywhere starts a formula.
    for row in &rows {
        for c in row {
            assert!(
                !c.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "a cell a spreadsheet would run: {c:?}"
            );
        }
    }
    // The same request without `Accept: text/csv` is JSON.
    let json = report(&app, &fx.clerk_a, PERIOD).await;
    assert_eq!(json["total"]["referrals"], 6);
}

#[tokio::test]
async fn the_summary_is_documented_as_json_and_as_csv() {
    let app = spawn_app().await;
    let doc: Value = app
        .get("/api/openapi.json", None)
        .await
        .json()
        .await
        .expect("json");
    let op = &doc["paths"]["/api/v1/reports/summary"]["get"];
    let params: Vec<&str> = op["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .map(|p| p["name"].as_str().expect("name"))
        .collect();
    assert_eq!(params, ["court_id", "from", "to"]);
    let content = &op["responses"]["200"]["content"];
    assert!(content["application/json"].is_object(), "{content}");
    assert!(content["text/csv"].is_object(), "{content}");
    for status in ["403", "404", "422"] {
        assert!(op["responses"][status].is_object(), "{status}");
    }
}
