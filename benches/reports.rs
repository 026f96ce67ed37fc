//! How fast the summary report answers over 20,000 cases.
//!
//! A clerk or an admin opens the report and waits for it: over a court's
//! 20,000 cases of a year it must answer in under 100 ms on SQLite and on
//! PostgreSQL. The data is generated deterministically (a small LCG, as in
//! `benches/matching.rs`) into a fresh SQLite file and, when
//! `KELISIM_BENCH_POSTGRES_URL` is set (e.g.
//! `postgres://postgres@127.0.0.1:5432/postgres`), a fresh PostgreSQL
//! database that is dropped at the end. Timed: `services::reports::summary`
//! as the handler calls it, for the court and for every court (an admin).
//! Run with `cargo bench --bench reports` (add `-- --quick` for a short run).

use std::hint::black_box;
use std::time::Instant;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use kelisim::config::Settings;
use kelisim::domain::Role;
use kelisim::domain::reports::Period;
use kelisim::services::auth::Caller;
use kelisim::services::reports;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, Set, TransactionTrait};
use uuid::Uuid;

const CASES: usize = 20_000;
const MEDIATORS: usize = 200;
const CATEGORIES: [&str; 6] = [
    "civil",
    "family",
    "labour",
    "commercial",
    "administrative",
    "criminal-minor",
];
const RESULTS: [&str; 4] = ["settled", "partially_settled", "not_settled", "withdrawn"];

/// A 64-bit linear congruential generator (Knuth's MMIX constants).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }

    fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// The rows of the data set, built once and inserted into each database.
struct Rows {
    court_id: Uuid,
    user_id: Uuid,
    courts: Vec<entity::courts::ActiveModel>,
    users: Vec<entity::users::ActiveModel>,
    mediators: Vec<entity::mediators::ActiveModel>,
    cases: Vec<entity::cases::ActiveModel>,
    parties: Vec<entity::parties::ActiveModel>,
    assignments: Vec<entity::assignments::ActiveModel>,
    outcomes: Vec<entity::outcomes::ActiveModel>,
    sessions: Vec<entity::sessions::ActiveModel>,
    session_parties: Vec<entity::session_parties::ActiveModel>,
}

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn rows() -> Rows {
    let now = Utc
        .with_ymd_and_hms(2027, 1, 15, 5, 0, 0)
        .single()
        .expect("instant");
    let court_id = id(0xC0_0001);
    let user_id = id(0xAD_0001);
    let court = |id: Uuid, code: &str| entity::courts::ActiveModel {
        id: Set(id),
        code: Set(code.into()),
        name: Set(format!("Court {code}")),
        timezone: Set("Asia/Almaty".into()),
        default_language: Set("kk".into()),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let courts = vec![court(court_id, "BENCH-R1")];
    let users = vec![entity::users::ActiveModel {
        id: Set(user_id),
        email: Set("bench-clerk@kelisim.test".into()),
        name: Set("Bench Clerk".into()),
        role: Set(Role::Clerk.as_str().into()),
        court_id: Set(Some(court_id)),
        language: Set("ru".into()),
        password_hash: Set("not a hash: nobody logs in".into()),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
    }];
    let mediators: Vec<_> = (0..MEDIATORS)
        .map(|i| entity::mediators::ActiveModel {
            id: Set(id(0x3E_0000 + i as u128)),
            user_id: Set(None),
            name: Set(format!("Mediator {i}")),
            email: Set(format!("mediator-{i}@kelisim.test")),
            registry_number: Set(format!("BR-{i:04}")),
            kind: Set("professional".into()),
            certified_until: Set(NaiveDate::from_ymd_opt(2030, 12, 31).expect("date")),
            max_active_cases: Set(200),
            timezone: Set("Asia/Almaty".into()),
            status: Set("active".into()),
            feed_secret_hash: Set(format!("bench-reports-feed-{i}")),
            external_calendar_url: Set(None),
            external_calendar_error: Set(None),
            external_calendar_fetched_at: Set(None),
            certification_warned_at: Set(None),
            calendar_version: Set(0),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .collect();

    // "kelisim" in ASCII, as in the other benches.
    let mut rng = Lcg(0x006b_656c_6973_696d);
    let year_start = Utc
        .with_ymd_and_hms(2025, 12, 31, 19, 0, 0)
        .single()
        .expect("instant");
    let mut rows = Rows {
        court_id,
        user_id,
        courts,
        users,
        mediators,
        cases: Vec::with_capacity(CASES),
        parties: Vec::with_capacity(2 * CASES),
        assignments: Vec::new(),
        outcomes: Vec::new(),
        sessions: Vec::new(),
        session_parties: Vec::new(),
    };
    let mut next = 0x1_0000_0000_u128;
    let mut fresh = || {
        next += 1;
        id(next)
    };
    // Sessions never overlap (PostgreSQL refuses a mediator's overlapping
    // sessions): each starts an hour after the previous one.
    let mut session_start = Utc
        .with_ymd_and_hms(2026, 1, 5, 4, 0, 0)
        .single()
        .expect("instant");
    for n in 0..CASES {
        let case_id = fresh();
        // Referred at any minute of 2026 (Almaty).
        let referred: DateTime<Utc> =
            year_start + Duration::minutes(rng.below(365 * 24 * 60) as i64);
        let category = CATEGORIES[rng.below(CATEGORIES.len() as u64) as usize];
        let mediator = rng
            .percent(85)
            .then(|| id(0x3E_0000 + rng.below(MEDIATORS as u64) as u128));
        let outcome = mediator.is_some() && rng.percent(75);
        let result = RESULTS[rng.below(4) as usize];
        let status = match (mediator, outcome) {
            (None, _) => "referred",
            (Some(_), false) => "scheduled",
            (Some(_), true) if result == "withdrawn" => "withdrawn",
            (Some(_), true) => {
                ["outcome_recorded", "submitted_to_court", "registered"][rng.below(3) as usize]
            }
        };
        rows.cases.push(entity::cases::ActiveModel {
            id: Set(case_id),
            court_id: Set(court_id),
            court_case_number: Set(format!("2-{n:05}/2026")),
            category: Set(category.into()),
            summary: Set("A dispute".into()),
            language: Set("ru".into()),
            mediation_deadline: Set(NaiveDate::from_ymd_opt(2027, 12, 31).expect("date")),
            minors_involved: Set(false),
            violence_reported: Set(false),
            interpreter_needed: Set(false),
            joint_session_override: Set(false),
            status: Set(status.into()),
            referred_by: Set(user_id),
            deadline_warned_at: Set(None),
            closed_at: Set(None),
            created_at: Set(referred),
            updated_at: Set(referred),
        });
        let parties = [fresh(), fresh()];
        for (party, role) in parties.iter().zip(["claimant", "respondent"]) {
            rows.parties.push(entity::parties::ActiveModel {
                id: Set(*party),
                case_id: Set(case_id),
                role: Set(role.into()),
                name: Set(format!("Party {n} {role}")),
                email: Set(format!("party-{n}-{role}@example.kz")),
                phone: Set(None),
                iin_bin: Set(None),
                language: Set("ru".into()),
                is_minor: Set(false),
                accessibility_needs: Set(None),
                legal_capacity: Set("full".into()),
                represents_party_id: Set(None),
                voluntary_confirmed_at: Set(None),
                link_version: Set(0),
                created_at: Set(referred),
            });
        }
        let Some(mediator_id) = mediator else {
            continue;
        };
        rows.assignments.push(entity::assignments::ActiveModel {
            id: Set(fresh()),
            case_id: Set(case_id),
            mediator_id: Set(mediator_id),
            status: Set("accepted".into()),
            chosen_by_parties: Set(false),
            proposed_by: Set(user_id),
            proposed_at: Set(referred + Duration::hours(2)),
            answered_at: Set(Some(referred + Duration::hours(20))),
            decline_reason: Set(None),
        });
        for _ in 0..1 + rng.below(2) {
            let session_id = fresh();
            let recorded = rng.percent(80);
            rows.sessions.push(entity::sessions::ActiveModel {
                id: Set(session_id),
                case_id: Set(case_id),
                mediator_id: Set(mediator_id),
                starts_at: Set(session_start),
                ends_at: Set(session_start + Duration::minutes(60)),
                timezone: Set("Asia/Almaty".into()),
                room_id: Set(None),
                online_url: Set(Some("https://video.example.kz/room".into())),
                format: Set("joint".into()),
                status: Set(if recorded { "held" } else { "scheduled" }.into()),
                sequence: Set(0),
                cancel_reason: Set(None),
                created_by: Set(Some(user_id)),
                created_at: Set(referred),
                updated_at: Set(referred),
                attendance_recorded_at: Set(recorded.then_some(session_start + Duration::hours(1))),
                attendance_recorded_by: Set(None),
            });
            session_start += Duration::hours(1);
            for party in parties {
                rows.session_parties
                    .push(entity::session_parties::ActiveModel {
                        session_id: Set(session_id),
                        party_id: Set(party),
                        attended: Set(recorded.then(|| rng.percent(85))),
                    });
            }
        }
        if outcome {
            let first = referred + Duration::hours(1 + rng.below(120 * 24) as i64);
            let versions = if rng.percent(20) { 2 } else { 1 };
            for version in 1..=versions {
                rows.outcomes.push(entity::outcomes::ActiveModel {
                    id: Set(fresh()),
                    case_id: Set(case_id),
                    version: Set(version),
                    result: Set(result.into()),
                    terms: Set(serde_json::json!([])),
                    signed_on: Set(first.date_naive()),
                    signed_at_place: Set("Almaty".into()),
                    document_html: Set(None),
                    document_sha256: Set(None),
                    document_pdf: Set(None),
                    document_pdf_sha256: Set(None),
                    unresolved: Set(None),
                    status: Set(if version < versions {
                        "returned"
                    } else {
                        "draft"
                    }
                    .into()),
                    submitted_at: Set(None),
                    court_registration_number: Set(None),
                    return_reason: Set(None),
                    decided_at: Set(None),
                    decided_by: Set(None),
                    created_by: Set(None),
                    created_at: Set(first + Duration::days(i64::from(version - 1) * 3)),
                });
            }
        }
    }
    rows
}

async fn insert_all<E, A>(db: &DatabaseConnection, rows: &[A]) -> anyhow::Result<()>
where
    E: EntityTrait,
    A: sea_orm::ActiveModelTrait<Entity = E> + Clone + Send,
{
    let txn = db.begin().await?;
    for chunk in rows.chunks(500) {
        E::insert_many(chunk.to_vec()).exec(&txn).await?;
    }
    txn.commit().await?;
    Ok(())
}

async fn seed(database_url: &str, rows: &Rows) -> anyhow::Result<DatabaseConnection> {
    let settings = Settings {
        database_url: database_url.to_owned(),
        ..Settings::default()
    };
    let db = kelisim::db::connect(&settings).await?;
    kelisim::migrate(&db).await?;
    let started = Instant::now();
    insert_all(&db, &rows.courts).await?;
    insert_all(&db, &rows.users).await?;
    insert_all(&db, &rows.mediators).await?;
    insert_all(&db, &rows.cases).await?;
    insert_all(&db, &rows.parties).await?;
    insert_all(&db, &rows.assignments).await?;
    insert_all(&db, &rows.outcomes).await?;
    insert_all(&db, &rows.sessions).await?;
    insert_all(&db, &rows.session_parties).await?;
    if database_url.starts_with("postgres") {
        // Autovacuum would vacuum and analyse the fresh tables later, maybe
        // mid-run; a database in use has had both. VACUUM also marks the
        // pages all-visible, which lets PostgreSQL answer from the indexes
        // alone, as it would on a database in service.
        db.execute_unprepared("VACUUM ANALYZE").await?;
    }
    // The triggers kept the report's facts while the rows went in.
    eprintln!(
        "seeded {} cases, {} outcomes, {} sessions, {} invited parties in {:.1} s",
        rows.cases.len(),
        rows.outcomes.len(),
        rows.sessions.len(),
        rows.session_parties.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(db)
}

/// A fresh PostgreSQL database next to the one `admin_url` names.
async fn fresh_postgres(admin_url: &str) -> anyhow::Result<(String, String)> {
    let name = format!("kelisim_bench_reports_{}", std::process::id());
    let admin = sea_orm::Database::connect(admin_url).await?;
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await?;
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await?;
    admin.close().await.ok();
    let mut url = url::Url::parse(admin_url)?;
    url.set_path(&format!("/{name}"));
    Ok((url.to_string(), name))
}

async fn drop_postgres(admin_url: &str, name: &str) -> anyhow::Result<()> {
    let admin = sea_orm::Database::connect(admin_url).await?;
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await?;
    admin.close().await.ok();
    Ok(())
}

fn bench_backend(
    c: &mut Criterion,
    rt: &tokio::runtime::Runtime,
    backend: &str,
    db: &DatabaseConnection,
    rows: &Rows,
) {
    let period = Period::new(
        NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
        NaiveDate::from_ymd_opt(2026, 12, 31).expect("date"),
    )
    .expect("a valid period");
    let clerk = Caller {
        user_id: rows.user_id,
        token_id: Uuid::nil(),
        role: Role::Clerk,
        court_id: Some(rows.court_id),
    };
    let admin = Caller {
        role: Role::Admin,
        court_id: None,
        ..clerk.clone()
    };
    // Once, to check the data is what the bench claims to time.
    let started = Instant::now();
    let report = rt
        .block_on(reports::summary(db, &clerk, None, period))
        .expect("the report");
    let first = started.elapsed();
    assert_eq!(report.total.referrals, CASES as u64);
    // The figures the joins over the cases' own rows gave on this data
    // before the report read the per-case facts (bench/README.md).
    assert_eq!(
        (
            report.total.outcomes,
            report.total.median_days_to_outcome,
            report.total.p90_days_to_outcome,
            report.total.no_show_rate_percent
        ),
        (12_716, Some(61.0), Some(108.0), Some(15.0))
    );
    eprintln!(
        "{backend}: first call {:.1} ms; {} referrals, {} with an outcome, median {:?} / p90 {:?} days, no-show {:?} %",
        first.as_secs_f64() * 1000.0,
        report.total.referrals,
        report.total.outcomes,
        report.total.median_days_to_outcome,
        report.total.p90_days_to_outcome,
        report.total.no_show_rate_percent
    );

    let mut group = c.benchmark_group(format!("reports/{backend}"));
    group.sample_size(30);
    group.bench_function("summary of a court, 20000 cases, a year", |b| {
        b.iter(|| {
            rt.block_on(reports::summary(db, &clerk, None, black_box(period)))
                .expect("the report")
        })
    });
    group.bench_function("summary of every court (admin), 20000 cases", |b| {
        b.iter(|| {
            rt.block_on(reports::summary(db, &admin, None, black_box(period)))
                .expect("the report")
        })
    });
    group.finish();
}

fn summary(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let rows = rows();

    let dir = tempfile::tempdir().expect("a temporary folder");
    let sqlite_url = format!("sqlite://{}", dir.path().join("reports.db").display());
    let db = rt
        .block_on(seed(&sqlite_url, &rows))
        .expect("seeding SQLite");
    bench_backend(c, &rt, "sqlite", &db, &rows);
    rt.block_on(db.close()).ok();

    if let Ok(admin_url) = std::env::var("KELISIM_BENCH_POSTGRES_URL")
        && !admin_url.is_empty()
    {
        let (url, name) = rt
            .block_on(fresh_postgres(&admin_url))
            .expect("creating the PostgreSQL database");
        let db = rt.block_on(seed(&url, &rows)).expect("seeding PostgreSQL");
        bench_backend(c, &rt, "postgres", &db, &rows);
        rt.block_on(db.close()).ok();
        rt.block_on(drop_postgres(&admin_url, &name))
            .expect("dropping the PostgreSQL database");
    }
}

criterion_group!(benches, summary);
criterion_main!(benches);
