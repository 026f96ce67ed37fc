//! Seeds a database for the free-slots benchmark (`bench/free_slots.sh`).
//!
//! One admin (bench-admin@kelisim.test / "bench password 123"), one court, one
//! mediator in Asia/Almaty available Monday to Friday 09:00–13:00 and
//! 14:00–18:00, 1,000 booked 60-minute sessions (each under its own case of
//! the court) and 500 external busy blocks (15 min to 4 h), spread over
//! ±180 days around Monday 1 March 2027, plus the court's public holidays in
//! that range. The data is deterministic (a small LCG, fixed seed), so runs
//! compare. Prints `{"mediator_id": ..., ...}` on stdout.
//!
//! ```sh
//! cargo run --release --example bench_seed -- --database-url sqlite:///tmp/bench.db
//! ```
//!
//! For SQLite the file (and its WAL files) is deleted first; for PostgreSQL
//! point it at a fresh, empty database (it is `ANALYZE`d after seeding).
//! `--profile N` then times every database read of a free-slots request in
//! this process, N times each (see `profile`).

mod common;

use std::collections::BTreeSet;

use anyhow::Context;
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use clap::Parser;
use kelisim::config::Settings;
use kelisim::domain::{EmailAddress, Language, Role};
use kelisim::services::audit::Actor;
use kelisim::services::users::{self, NewUser};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, EntityTrait, Set, TransactionTrait,
};
use uuid::Uuid;

#[derive(Parser)]
#[command(about = "Seeds a database for the free-slots benchmark")]
struct Args {
    /// SQLite file URL or PostgreSQL URL of an empty database.
    #[arg(long, default_value = "sqlite://./data/bench.db")]
    database_url: String,
    /// Booked sessions of the mediator.
    #[arg(long, default_value_t = 1_000)]
    sessions: usize,
    /// External busy blocks of the mediator.
    #[arg(long, default_value_t = 500)]
    busy_blocks: usize,
    /// After seeding, time each step of a free-slots request in this process
    /// (no HTTP) this many times and print medians on stderr; 0 skips it.
    #[arg(long, default_value_t = 0)]
    profile: usize,
}

/// The middle of the data: Monday 1 March 2027 (local date, Asia/Almaty).
const CENTER: (i32, u32, u32) = (2027, 3, 1);
/// Data spans CENTER ± this many days.
const HALF_SPAN_DAYS: i64 = 180;
/// Asia/Almaty is UTC+5 all year (since March 2024).
const UTC_OFFSET_HOURS: i64 = 5;

pub const ADMIN_EMAIL: &str = "bench-admin@kelisim.test";
pub const ADMIN_PASSWORD: &str = "bench password 123";

/// A 64-bit linear congruential generator (Knuth's MMIX constants), as in
/// `benches/slots.rs`.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> i64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        i64::try_from((self.0 >> 33) % n).unwrap_or(0)
    }
}

fn center() -> NaiveDate {
    NaiveDate::from_ymd_opt(CENTER.0, CENTER.1, CENTER.2).expect("a valid date")
}

/// The UTC instant of local (Almaty) `day` at `minute` after midnight.
fn local(day: NaiveDate, minute: i64) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight"))
        + Duration::minutes(minute - UTC_OFFSET_HOURS * 60)
}

fn is_weekday(day: NaiveDate) -> bool {
    !matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    common::remove_sqlite_files(&args.database_url)?;
    let settings = Settings {
        database_url: args.database_url.clone(),
        ..Settings::default()
    };
    let db = kelisim::db::connect(&settings).await?;
    kelisim::migrate(&db).await?;
    let mut out = seed(&db, &args).await?;
    if !args.database_url.starts_with("sqlite:") {
        // PostgreSQL's autovacuum would analyse the fresh tables a little
        // later, possibly in the middle of a run; do it now so runs compare.
        db.execute_unprepared("ANALYZE").await?;
    }
    if args.profile > 0 {
        let mediator_id: Uuid = out["mediator_id"]
            .as_str()
            .context("mediator id")?
            .parse()?;
        out["profile"] = profile(&db, &settings, mediator_id, args.profile).await?;
    }
    db.close().await.ok();
    println!("{out}");
    Ok(())
}

async fn seed(db: &DatabaseConnection, args: &Args) -> anyhow::Result<serde_json::Value> {
    let now = Utc::now();
    let admin = users::create(
        db,
        Actor::System,
        NewUser {
            email: EmailAddress::parse(ADMIN_EMAIL).map_err(anyhow::Error::msg)?,
            name: "Bench Admin".into(),
            role: Role::Admin,
            court_id: None,
            language: Language::En,
            password: ADMIN_PASSWORD.into(),
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("creating the admin: {e:?}"))?;

    let txn = db.begin().await?;
    let court_id = Uuid::now_v7();
    entity::courts::ActiveModel {
        id: Set(court_id),
        code: Set("BENCH-1".into()),
        name: Set("Benchmark district court".into()),
        timezone: Set("Asia/Almaty".into()),
        default_language: Set("kk".into()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;

    let mediator_id = Uuid::now_v7();
    entity::mediators::ActiveModel {
        id: Set(mediator_id),
        user_id: Set(None),
        name: Set("Bench Mediator".into()),
        email: Set("bench-mediator@kelisim.test".into()),
        registry_number: Set("BENCH-0001".into()),
        kind: Set("professional".into()),
        certified_until: Set(NaiveDate::from_ymd_opt(2030, 12, 31).expect("date")),
        max_active_cases: Set(200),
        timezone: Set("Asia/Almaty".into()),
        status: Set("active".into()),
        feed_secret_hash: Set(format!("bench-feed-{}", Uuid::new_v4().simple())),
        external_calendar_url: Set(None),
        external_calendar_error: Set(None),
        external_calendar_fetched_at: Set(None),
        certification_warned_at: Set(None),
        calendar_version: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    entity::mediator_courts::ActiveModel {
        mediator_id: Set(mediator_id),
        court_id: Set(court_id),
    }
    .insert(&txn)
    .await?;
    for language in ["kk", "ru"] {
        entity::mediator_languages::ActiveModel {
            mediator_id: Set(mediator_id),
            language: Set(language.into()),
        }
        .insert(&txn)
        .await?;
    }
    for specialty in ["civil", "family"] {
        entity::mediator_specialties::ActiveModel {
            mediator_id: Set(mediator_id),
            specialty: Set(specialty.into()),
        }
        .insert(&txn)
        .await?;
    }
    // Monday to Friday, 09:00–13:00 and 14:00–18:00 local.
    let weekly: Vec<entity::availability_intervals::ActiveModel> = (1..=5i16)
        .flat_map(|weekday| {
            [(9 * 60, 13 * 60), (14 * 60, 18 * 60)].map(|(start, end)| {
                entity::availability_intervals::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    mediator_id: Set(mediator_id),
                    weekday: Set(weekday),
                    start_minute: Set(start),
                    end_minute: Set(end),
                }
            })
        })
        .collect();
    entity::availability_intervals::Entity::insert_many(weekly)
        .exec(&txn)
        .await?;

    // Public holidays of Kazakhstan inside the data range: closed days.
    let holidays = [
        (2026, 10, 25),
        (2026, 12, 16),
        (2027, 1, 1),
        (2027, 1, 2),
        (2027, 1, 7),
        (2027, 3, 8),
        (2027, 3, 22),
        (2027, 3, 23),
        (2027, 5, 7),
        (2027, 5, 10),
        (2027, 7, 6),
    ];
    for (y, m, d) in holidays {
        entity::court_closed_days::ActiveModel {
            court_id: Set(court_id),
            day: Set(NaiveDate::from_ymd_opt(y, m, d).expect("date")),
            note: Set(Some("Public holiday".into())),
        }
        .insert(&txn)
        .await?;
    }

    let first_day = center() - Duration::days(HALF_SPAN_DAYS);
    let days: Vec<NaiveDate> = (0..2 * HALF_SPAN_DAYS)
        .map(|i| first_day + Duration::days(i))
        .collect();
    let weekdays: Vec<NaiveDate> = days.iter().copied().filter(|d| is_weekday(*d)).collect();

    // "kelisim" in ASCII, as in benches/slots.rs.
    let mut rng = Lcg(0x006b_656c_6973_696d);

    // Sessions: an hour long, on weekdays, starting on the hour inside the
    // mediator's hours (09..12 and 14..17 local), never two at once.
    let starts_of_day: [i64; 8] = [9, 10, 11, 12, 14, 15, 16, 17].map(|h| h * 60);
    let capacity = weekdays.len() * starts_of_day.len();
    anyhow::ensure!(
        args.sessions <= capacity / 2,
        "at most {} sessions fit in the range",
        capacity / 2
    );
    let mut taken = BTreeSet::new();
    let mut cases = Vec::with_capacity(args.sessions);
    let mut sessions = Vec::with_capacity(args.sessions);
    while taken.len() < args.sessions {
        let day = weekdays[usize::try_from(rng.below(weekdays.len() as u64))?];
        let minute = starts_of_day[usize::try_from(rng.below(starts_of_day.len() as u64))?];
        if !taken.insert((day, minute)) {
            continue;
        }
        let n = taken.len();
        let case_id = Uuid::now_v7();
        let start = local(day, minute);
        cases.push(entity::cases::ActiveModel {
            id: Set(case_id),
            court_id: Set(court_id),
            court_case_number: Set(format!("2-{n:04}/2027")),
            category: Set("civil".into()),
            summary: Set("Dispute over a loan".into()),
            language: Set("ru".into()),
            mediation_deadline: Set(NaiveDate::from_ymd_opt(2028, 12, 31).expect("date")),
            minors_involved: Set(false),
            violence_reported: Set(false),
            interpreter_needed: Set(false),
            joint_session_override: Set(false),
            status: Set("scheduled".into()),
            referred_by: Set(admin.id),
            deadline_warned_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            closed_at: Set(None),
        });
        sessions.push(entity::sessions::ActiveModel {
            id: Set(Uuid::now_v7()),
            case_id: Set(case_id),
            mediator_id: Set(mediator_id),
            starts_at: Set(start),
            ends_at: Set(start + Duration::minutes(60)),
            timezone: Set("Asia/Almaty".into()),
            room_id: Set(None),
            online_url: Set(Some(format!("https://video.example.kz/room/{n}"))),
            format: Set("joint".into()),
            status: Set("scheduled".into()),
            sequence: Set(0),
            cancel_reason: Set(None),
            created_by: Set(Some(admin.id)),
            created_at: Set(now),
            updated_at: Set(now),
            attendance_recorded_at: Set(None),
            attendance_recorded_by: Set(None),
        });
    }
    for chunk in cases.chunks(100) {
        entity::cases::Entity::insert_many(chunk.to_vec())
            .exec(&txn)
            .await?;
    }
    for chunk in sessions.chunks(100) {
        entity::sessions::Entity::insert_many(chunk.to_vec())
            .exec(&txn)
            .await?;
    }

    // Busy blocks from an external calendar: any day of the range, starting
    // on the quarter hour between 08:00 and 18:00 local, 15 min to 4 h; they
    // may overlap sessions and each other, as imported calendars do.
    let blocks: Vec<entity::busy_blocks::ActiveModel> = (0..args.busy_blocks)
        .map(|_| {
            let day = days[usize::try_from(rng.below(days.len() as u64)).unwrap_or(0)];
            let start = local(day, 8 * 60 + 15 * rng.below(40));
            let length = Duration::minutes(15 * (1 + rng.below(16)));
            entity::busy_blocks::ActiveModel {
                id: Set(Uuid::now_v7()),
                mediator_id: Set(mediator_id),
                starts_at: Set(start),
                ends_at: Set(start + length),
                source: Set("url".into()),
                summary: Set(Some("Busy".into())),
                created_at: Set(now),
            }
        })
        .collect();
    for chunk in blocks.chunks(100) {
        entity::busy_blocks::Entity::insert_many(chunk.to_vec())
            .exec(&txn)
            .await?;
    }

    // One week of time off in the middle of the range.
    let off = center() + Duration::days(14);
    entity::time_off::ActiveModel {
        id: Set(Uuid::now_v7()),
        mediator_id: Set(mediator_id),
        starts_at: Set(local(off, 0)),
        ends_at: Set(local(off + Duration::days(7), 0)),
        note: Set(Some("Leave".into())),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;

    Ok(serde_json::json!({
        "mediator_id": mediator_id,
        "court_id": court_id,
        "admin_email": ADMIN_EMAIL,
        "sessions": sessions.len(),
        "busy_blocks": blocks.len(),
        "closed_days": holidays.len(),
        "first_day": first_day,
        "last_day": first_day + Duration::days(2 * HALF_SPAN_DAYS - 1),
    }))
}

/// Median, 99th percentile and mean of `n` runs of `f`, in microseconds.
async fn time<F, Fut, T>(n: usize, mut f: F) -> anyhow::Result<serde_json::Value>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    // Warm the statement cache and every pooled connection first.
    for _ in 0..n.min(20) {
        f().await?;
    }
    let mut us: Vec<f64> = Vec::with_capacity(n);
    for _ in 0..n {
        let t = std::time::Instant::now();
        std::hint::black_box(f().await?);
        us.push(t.elapsed().as_secs_f64() * 1e6);
    }
    us.sort_by(f64::total_cmp);
    let at = |q: f64| us[((us.len() - 1) as f64 * q).round() as usize];
    let mean = us.iter().sum::<f64>() / us.len() as f64;
    Ok(serde_json::json!({
        "median_us": (at(0.5) * 10.0).round() / 10.0,
        "p99_us": (at(0.99) * 10.0).round() / 10.0,
        "mean_us": (mean * 10.0).round() / 10.0,
    }))
}

fn app(e: kelisim::error::AppError) -> anyhow::Error {
    anyhow::anyhow!("{e:?}")
}

/// Times, in this process and one at a time, the parts of a free-slots
/// request: authentication, the calendar version check (what a cached
/// calendar costs), loading the whole calendar (what a change costs the next
/// request), the slot computation, and the whole request minus HTTP (then
/// JSON), for one weekday (Tuesday 2 March 2027) and for 60 days from Monday
/// 1 March 2027. Each step runs `n` times; medians in microseconds.
async fn profile(
    db: &DatabaseConnection,
    settings: &Settings,
    mediator_id: Uuid,
    n: usize,
) -> anyhow::Result<serde_json::Value> {
    use kelisim::domain::slots::SlotRules;
    use kelisim::services::auth;
    use kelisim::services::availability::cache::{self as availability, CalendarCache};

    let guard = auth::LoginGuard::from_settings(settings);
    let token = auth::issue_token(
        db,
        &guard,
        ADMIN_EMAIL,
        ADMIN_PASSWORD,
        std::net::Ipv4Addr::LOCALHOST.into(),
        Duration::hours(1),
    )
    .await
    .map_err(app)?
    .token;
    let rules = SlotRules {
        duration: Duration::minutes(60),
        grid_minutes: settings.slot_grid_minutes,
        buffer: Duration::minutes(i64::from(settings.session_buffer_minutes)),
    };
    let cache = CalendarCache::default();
    let calendar = availability::calendar(db, &cache, mediator_id)
        .await
        .map_err(app)?
        .context("the seeded mediator")?;
    let day = NaiveDate::from_ymd_opt(2027, 3, 2).expect("date");
    let day_range = (local(day, 0), local(day + Duration::days(1), 0));
    let first = NaiveDate::from_ymd_opt(2027, 3, 1).expect("date");
    let range60 = (local(first, 0), local(first + Duration::days(60), 0));

    let mut out = serde_json::Map::new();
    out.insert(
        "iterations".into(),
        serde_json::json!({"n": n, "day": day, "range60_first_day": first}),
    );
    out.insert(
        "select_1".into(),
        time(n, || async { Ok(kelisim::db::ping(db).await) }).await?,
    );
    out.insert(
        "authenticate".into(),
        time(n, || async {
            auth::authenticate(db, &token).await.map_err(app)
        })
        .await?,
    );
    out.insert(
        "calendar, cached (version check)".into(),
        time(n, || async {
            availability::calendar(db, &cache, mediator_id)
                .await
                .map_err(app)
        })
        .await?,
    );
    let no_auth_cache = auth::AuthCache::new(std::time::Duration::ZERO);
    out.insert(
        "token and calendar version in one statement, calendar cached".into(),
        time(n, || async {
            availability::calendar_for_caller(db, &cache, &no_auth_cache, &token, mediator_id)
                .await
                .map_err(app)
        })
        .await?,
    );
    out.insert(
        "calendar, loaded (after a change)".into(),
        time(n, || async {
            availability::calendar(db, &CalendarCache::default(), mediator_id)
                .await
                .map_err(app)
        })
        .await?,
    );
    for (label, (from, to)) in [("day", day_range), ("60d", range60)] {
        out.insert(
            format!("slot computation {label}"),
            time(n, || async {
                Ok(calendar.free_slots(from, to, &rules, None, None))
            })
            .await?,
        );
        // What the handler does, minus HTTP: the token and the calendar's
        // version in one statement, the cached calendar, compute, serialise.
        out.insert(
            format!("whole request without HTTP {label}"),
            time(n, || async {
                let (caller, calendar) = availability::calendar_for_caller(
                    db,
                    &cache,
                    &no_auth_cache,
                    &token,
                    mediator_id,
                )
                .await
                .map_err(app)?;
                let calendar = calendar
                    .filter(|c| c.access(&caller).is_some())
                    .context("the seeded mediator")?;
                let slots = calendar.free_slots(from, to, &rules, None, None);
                let items: Vec<serde_json::Value> = slots
                    .iter()
                    .map(|s| serde_json::json!({"starts_at": s.start, "ends_at": s.end}))
                    .collect();
                Ok(serde_json::to_vec(&serde_json::json!({ "items": items }))?.len())
            })
            .await?,
        );
    }
    Ok(serde_json::Value::Object(out))
}
