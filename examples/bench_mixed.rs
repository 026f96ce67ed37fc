//! The mixed-load benchmark (`bench/mixed.sh`): seeds a country-sized data
//! set, starts one or more real `kelisim serve` processes on it and runs
//! many concurrent clients mixing the requests courts make all day.
//!
//! Data (deterministic, inserted directly as rows, in seconds): `--courts`
//! courts (50), `--mediators` mediators (2,000) each serving one court,
//! working Monday to Friday 09:00–18:00 in Asia/Almaty, and `--cases` cases
//! (20,000) with two parties each, an accepted mediator and one scheduled
//! session with its three invitations; one clerk per court with an API token.
//!
//! Then, for each instance: start to ready (spawn to the first 200 on
//! `/readyz`) and its resident memory once idle; then `--clients` clients
//! (100), spread over the instances, each sending one request after another
//! for `--seconds` (60), the kind drawn at random (with `--think-ms`, each
//! client pauses between an answer and its next request):
//!
//! | kind | share | request |
//! |---|---|---|
//! | `free_slots` | 30 % | a mediator's free 60-minute slots over one week |
//! | `read_case` | 20 % | `GET /api/v1/cases/{id}` |
//! | `read_session` | 15 % | `GET /api/v1/sessions/{id}` |
//! | `booking` | 15 % | a session at a random grid time in the next weeks (201, or 409 when taken) |
//! | `move` | 10 % | a seeded session moved to a random grid time (200, or 409) |
//! | `matches` | 10 % | `GET /api/v1/cases/{id}/matches` |
//!
//! Reported as one JSON document on stdout: throughput, p50/p90/p99/max per
//! kind (exact, from every sample), statuses per kind, errors (anything but
//! 2xx, and 409 for bookings and moves), start to ready, idle and peak
//! resident memory per instance (`VmRSS`, `VmHWM` from `/proc`).
//!
//! ```sh
//! cargo run --release --example bench_mixed -- \
//!     --database-url postgres://postgres@127.0.0.1:5432/kelisim_mixed \
//!     --bin target/release/kelisim --instances 2
//! ```
//!
//! For SQLite the file is deleted first; for PostgreSQL point it at a fresh,
//! empty database.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration as StdDuration, Instant};

use anyhow::Context;
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use clap::Parser;
use kelisim::config::Settings;
use kelisim::services::auth::hash_token;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, Set, TransactionTrait};
use serde_json::{Value, json};
use uuid::Uuid;

#[derive(Parser, Clone)]
#[command(about = "Mixed-load benchmark against real `kelisim serve` processes")]
struct Args {
    /// SQLite file URL or PostgreSQL URL of an empty database.
    #[arg(long)]
    database_url: String,
    /// The `kelisim` binary to start.
    #[arg(long, default_value = "target/release/kelisim")]
    bin: PathBuf,
    /// `kelisim serve` processes on the database.
    #[arg(long, default_value_t = 1)]
    instances: usize,
    #[arg(long, default_value_t = 50)]
    courts: usize,
    #[arg(long, default_value_t = 2_000)]
    mediators: usize,
    #[arg(long, default_value_t = 20_000)]
    cases: usize,
    /// Concurrent clients.
    #[arg(long, default_value_t = 100)]
    clients: usize,
    /// Length of the measured run.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// First port; instance `i` listens on `port + i`.
    #[arg(long, default_value_t = 18_300)]
    port: u16,
    /// Seconds of warm-up (not measured) before the run.
    #[arg(long, default_value_t = 3)]
    warmup: u64,
    /// Mean pause of a client between an answer and its next request, in
    /// milliseconds, each drawn evenly from 0 to twice this. 0 (the
    /// default): back to back, which measures the service at saturation,
    /// where every latency is mostly queueing (Little's law: clients ÷
    /// throughput). A pause models people and systems that read an answer
    /// before asking again; the latencies are then the service's at the
    /// offered rate the report states.
    #[arg(long, default_value_t = 0)]
    think_ms: u64,
}

/// Asia/Almaty is UTC+5 all year (since March 2024).
const UTC_OFFSET_HOURS: i64 = 5;
const KINDS: [&str; 6] = [
    "free_slots",
    "read_case",
    "read_session",
    "booking",
    "move",
    "matches",
];
/// Cumulative shares (per cent) of [`KINDS`].
const SHARES: [u64; 6] = [30, 50, 65, 80, 90, 100];

/// A 64-bit linear congruential generator (Knuth's MMIX constants), as in
/// the other benches.
#[derive(Clone)]
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n.max(1)
    }
}

fn id(kind: u128, n: usize) -> Uuid {
    Uuid::from_u128((kind << 64) | n as u128)
}
const COURT: u128 = 0xC0;
const CLERK: u128 = 0xC1;
const TOKEN: u128 = 0xC2;
const MEDIATOR: u128 = 0x3E;
const CASE: u128 = 0xCA;
const PARTY: u128 = 0xBA;
const SESSION: u128 = 0x5E;
const INVITATION: u128 = 0x1A;
const OTHER: u128 = 0xFF;

fn clerk_token(court: usize) -> String {
    format!("kls_bench_mixed_clerk_{court:04}")
}

/// The UTC instant of local (Almaty) `day` at `minute` after midnight.
fn local(day: NaiveDate, minute: i64) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight"))
        + Duration::minutes(minute - UTC_OFFSET_HOURS * 60)
}

/// The `n`-th weekday from `first` (which is a Monday), n = 0, 1, ...
fn weekday_after(first: NaiveDate, n: i64) -> NaiveDate {
    first + Duration::days(n / 5 * 7 + n % 5)
}

/// Monday of the week after next (local), where seeded sessions begin.
fn first_day() -> NaiveDate {
    let mut d = (Utc::now() + Duration::hours(UTC_OFFSET_HOURS)).date_naive() + Duration::days(8);
    while d.weekday() != Weekday::Mon {
        d += Duration::days(1);
    }
    d
}

/// Where case `n`'s seeded session is: its mediator's `n / mediators`-th
/// working day, 10:00 local.
fn seeded_start(args: &Args, n: usize) -> DateTime<Utc> {
    local(
        weekday_after(first_day(), (n / args.mediators) as i64),
        10 * 60,
    )
}

async fn insert_all<E, A>(db: &DatabaseConnection, rows: Vec<A>) -> anyhow::Result<()>
where
    E: EntityTrait,
    A: sea_orm::ActiveModelTrait<Entity = E> + Clone + Send,
{
    let txn = db.begin().await?;
    for chunk in rows.chunks(400) {
        E::insert_many(chunk.to_vec()).exec(&txn).await?;
    }
    txn.commit().await?;
    Ok(())
}

async fn seed(db: &DatabaseConnection, args: &Args) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.mediators.is_multiple_of(args.courts),
        "--mediators must be a multiple of --courts"
    );
    let now = Utc::now();
    let deadline = (now + Duration::days(180)).date_naive();
    let courts: Vec<_> = (0..args.courts)
        .map(|c| entity::courts::ActiveModel {
            id: Set(id(COURT, c)),
            code: Set(format!("MIX-{c:03}")),
            name: Set(format!("District court {c}")),
            timezone: Set("Asia/Almaty".into()),
            default_language: Set("ru".into()),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .collect();
    insert_all(db, courts).await?;
    let clerks: Vec<_> = (0..args.courts)
        .map(|c| entity::users::ActiveModel {
            id: Set(id(CLERK, c)),
            email: Set(format!("clerk-{c:03}@bench.kz")),
            name: Set(format!("Clerk {c}")),
            role: Set("clerk".into()),
            court_id: Set(Some(id(COURT, c))),
            language: Set("ru".into()),
            password_hash: Set("not a hash: the bench uses tokens".into()),
            active: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .collect();
    insert_all(db, clerks).await?;
    let tokens: Vec<_> = (0..args.courts)
        .map(|c| entity::api_tokens::ActiveModel {
            id: Set(id(TOKEN, c)),
            user_id: Set(id(CLERK, c)),
            token_hash: Set(hash_token(&clerk_token(c))),
            kind: Set("api".into()),
            created_at: Set(now),
            expires_at: Set(now + Duration::days(2)),
            revoked_at: Set(None),
            last_used_at: Set(None),
        })
        .collect();
    insert_all(db, tokens).await?;

    let mut mediators = Vec::new();
    let mut mediator_courts = Vec::new();
    let mut languages = Vec::new();
    let mut specialties = Vec::new();
    let mut hours = Vec::new();
    let mut other = 0usize;
    for m in 0..args.mediators {
        let mid = id(MEDIATOR, m);
        mediators.push(entity::mediators::ActiveModel {
            id: Set(mid),
            user_id: Set(None),
            name: Set(format!("Mediator {m}")),
            email: Set(format!("mediator-{m}@bench.kz")),
            registry_number: Set(format!("MX-{m:05}")),
            kind: Set("professional".into()),
            certified_until: Set(NaiveDate::from_ymd_opt(2031, 12, 31).expect("date")),
            max_active_cases: Set(100),
            timezone: Set("Asia/Almaty".into()),
            status: Set("active".into()),
            feed_secret_hash: Set(format!("bench-mixed-feed-{m}")),
            external_calendar_url: Set(None),
            external_calendar_error: Set(None),
            external_calendar_fetched_at: Set(None),
            certification_warned_at: Set(None),
            calendar_version: Set(0),
            created_at: Set(now),
            updated_at: Set(now),
        });
        mediator_courts.push(entity::mediator_courts::ActiveModel {
            mediator_id: Set(mid),
            court_id: Set(id(COURT, m % args.courts)),
        });
        for l in ["kk", "ru"] {
            languages.push(entity::mediator_languages::ActiveModel {
                mediator_id: Set(mid),
                language: Set(l.into()),
            });
        }
        for s in ["civil", "family", "labour", "commercial"] {
            specialties.push(entity::mediator_specialties::ActiveModel {
                mediator_id: Set(mid),
                specialty: Set(s.into()),
            });
        }
        for weekday in 1..=5i16 {
            other += 1;
            hours.push(entity::availability_intervals::ActiveModel {
                id: Set(id(OTHER, other)),
                mediator_id: Set(mid),
                weekday: Set(weekday),
                start_minute: Set(9 * 60),
                end_minute: Set(18 * 60),
            });
        }
    }
    insert_all(db, mediators).await?;
    insert_all(db, mediator_courts).await?;
    insert_all(db, languages).await?;
    insert_all(db, specialties).await?;
    insert_all(db, hours).await?;

    let categories = ["civil", "family", "labour", "commercial"];
    let mut cases = Vec::with_capacity(args.cases);
    let mut parties = Vec::with_capacity(2 * args.cases);
    let mut assignments = Vec::with_capacity(args.cases);
    let mut sessions = Vec::with_capacity(args.cases);
    let mut session_parties = Vec::with_capacity(2 * args.cases);
    let mut invitations = Vec::with_capacity(3 * args.cases);
    for n in 0..args.cases {
        let m = n % args.mediators;
        let court = m % args.courts;
        let case_id = id(CASE, n);
        cases.push(entity::cases::ActiveModel {
            id: Set(case_id),
            court_id: Set(id(COURT, court)),
            court_case_number: Set(format!("2-{n:05}/2026")),
            category: Set(categories[n % categories.len()].into()),
            summary: Set("A dispute".into()),
            language: Set("ru".into()),
            mediation_deadline: Set(deadline),
            minors_involved: Set(false),
            violence_reported: Set(false),
            interpreter_needed: Set(false),
            joint_session_override: Set(false),
            status: Set("scheduled".into()),
            referred_by: Set(id(CLERK, court)),
            deadline_warned_at: Set(None),
            closed_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        });
        let start = seeded_start(args, n);
        let session_id = id(SESSION, n);
        sessions.push(entity::sessions::ActiveModel {
            id: Set(session_id),
            case_id: Set(case_id),
            mediator_id: Set(id(MEDIATOR, m)),
            starts_at: Set(start),
            ends_at: Set(start + Duration::minutes(60)),
            timezone: Set("Asia/Almaty".into()),
            room_id: Set(None),
            online_url: Set(Some("https://video.example.kz/room".into())),
            format: Set("joint".into()),
            status: Set("scheduled".into()),
            sequence: Set(0),
            cancel_reason: Set(None),
            created_by: Set(Some(id(CLERK, court))),
            created_at: Set(now),
            updated_at: Set(now),
            attendance_recorded_at: Set(None),
            attendance_recorded_by: Set(None),
        });
        for (k, role) in ["claimant", "respondent"].into_iter().enumerate() {
            let party = id(PARTY, 2 * n + k);
            let email = format!("party-{n}-{role}@example.kz");
            parties.push(entity::parties::ActiveModel {
                id: Set(party),
                case_id: Set(case_id),
                role: Set(role.into()),
                name: Set(format!("Party {n} {role}")),
                email: Set(email.clone()),
                phone: Set(None),
                iin_bin: Set(None),
                language: Set("ru".into()),
                is_minor: Set(false),
                accessibility_needs: Set(None),
                legal_capacity: Set("full".into()),
                represents_party_id: Set(None),
                voluntary_confirmed_at: Set(None),
                link_version: Set(0),
                created_at: Set(now),
            });
            session_parties.push(entity::session_parties::ActiveModel {
                session_id: Set(session_id),
                party_id: Set(party),
                attended: Set(None),
            });
            invitations.push(invitation(
                id(INVITATION, 3 * n + k),
                session_id,
                Some(party),
                None,
                email,
                now,
            ));
        }
        invitations.push(invitation(
            id(INVITATION, 3 * n + 2),
            session_id,
            None,
            Some(id(MEDIATOR, m)),
            format!("mediator-{m}@bench.kz"),
            now,
        ));
        other += 1;
        assignments.push(entity::assignments::ActiveModel {
            id: Set(id(OTHER, other)),
            case_id: Set(case_id),
            mediator_id: Set(id(MEDIATOR, m)),
            status: Set("accepted".into()),
            chosen_by_parties: Set(false),
            proposed_by: Set(id(CLERK, court)),
            proposed_at: Set(now),
            answered_at: Set(Some(now)),
            decline_reason: Set(None),
        });
    }
    insert_all(db, cases).await?;
    insert_all(db, parties).await?;
    insert_all(db, assignments).await?;
    insert_all(db, sessions).await?;
    insert_all(db, session_parties).await?;
    insert_all(db, invitations).await?;
    Ok(())
}

fn invitation(
    id: Uuid,
    session_id: Uuid,
    party_id: Option<Uuid>,
    mediator_id: Option<Uuid>,
    email: String,
    now: DateTime<Utc>,
) -> entity::invitations::ActiveModel {
    entity::invitations::ActiveModel {
        id: Set(id),
        session_id: Set(session_id),
        party_id: Set(party_id),
        mediator_id: Set(mediator_id),
        email: Set(email),
        uid: Set(format!("{id}@bench.kelisim")),
        sequence: Set(0),
        partstat: Set("NEEDS-ACTION".into()),
        response_note: Set(None),
        responded_at: Set(None),
        last_sent_at: Set(Some(now)),
        created_at: Set(now),
    }
}

// ---- the servers ----------------------------------------------------------------

struct Server {
    child: Child,
    base: String,
    ready_ms: f64,
    idle_rss_kb: u64,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        for _ in 0..100 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(StdDuration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `/proc/<pid>/status` field in kB.
fn proc_kb(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(field))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

async fn start_server(
    args: &Args,
    i: usize,
    spool: &std::path::Path,
    client: &reqwest::Client,
) -> anyhow::Result<Server> {
    let port = args.port + i as u16;
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    let child = Command::new(&args.bin)
        .arg("serve")
        .env("KELISIM_DATABASE_URL", &args.database_url)
        .env("KELISIM_BIND", format!("127.0.0.1:{port}"))
        .env("KELISIM_MAIL_SPOOL_DIR", spool.join(format!("mail-{i}")))
        .env("KELISIM_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", args.bin.display()))?;
    let mut server = Server {
        child,
        base: base.clone(),
        ready_ms: 0.0,
        idle_rss_kb: 0,
    };
    loop {
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await
            && r.status().is_success()
        {
            break;
        }
        anyhow::ensure!(
            started.elapsed() < StdDuration::from_secs(60),
            "instance {i} not ready in 60 s"
        );
        if let Ok(Some(status)) = server.child.try_wait() {
            anyhow::bail!("instance {i} exited: {status}");
        }
        tokio::time::sleep(StdDuration::from_millis(2)).await;
    }
    server.ready_ms = started.elapsed().as_secs_f64() * 1000.0;
    Ok(server)
}

// ---- the load ---------------------------------------------------------------------

#[derive(Default)]
struct Tally {
    /// Latency in microseconds of every request, per kind.
    micros: BTreeMap<&'static str, Vec<u32>>,
    /// Responses per kind and status.
    statuses: BTreeMap<&'static str, BTreeMap<u16, u64>>,
    /// A few unexpected answers, for the report.
    samples: Vec<String>,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        for (k, v) in other.micros {
            self.micros.entry(k).or_default().extend(v);
        }
        for (k, v) in other.statuses {
            let e = self.statuses.entry(k).or_default();
            for (s, n) in v {
                *e.entry(s).or_default() += n;
            }
        }
        for s in other.samples {
            if self.samples.len() < 10 {
                self.samples.push(s);
            }
        }
    }
}

fn expected(kind: &str, status: u16) -> bool {
    (200..300).contains(&status) || (status == 409 && matches!(kind, "booking" | "move"))
}

/// One request of `kind`; returns its status (0 when no answer came).
async fn one(
    args: &Args,
    http: &reqwest::Client,
    base: &str,
    rng: &mut Lcg,
    kind: &'static str,
) -> (u16, String) {
    let n = rng.below(args.cases as u64) as usize;
    let m = n % args.mediators;
    let court = m % args.courts;
    let token = clerk_token(court);
    let first = first_day();
    // A grid time on one of the 40 working days from the first: 09:00 to
    // 16:45 local, so a 60-minute session ends by 18:00.
    let grid_time = |rng: &mut Lcg| {
        let day = weekday_after(first, rng.below(40) as i64);
        local(day, 9 * 60 + 15 * rng.below(32) as i64)
    };
    let rfc = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let request = match kind {
        "free_slots" => {
            let day = weekday_after(first, rng.below(35) as i64);
            let from = local(
                day - Duration::days(i64::from(day.weekday().num_days_from_monday())),
                0,
            );
            http.get(format!(
                "{base}/api/v1/mediators/{}/free-slots?from={}&to={}&duration_minutes=60",
                id(MEDIATOR, m),
                rfc(from),
                rfc(from + Duration::days(7))
            ))
        }
        "read_case" => http.get(format!("{base}/api/v1/cases/{}", id(CASE, n))),
        "read_session" => http.get(format!("{base}/api/v1/sessions/{}", id(SESSION, n))),
        "matches" => http.get(format!(
            "{base}/api/v1/cases/{}/matches?duration_minutes=60",
            id(CASE, n)
        )),
        "booking" => http
            .post(format!("{base}/api/v1/cases/{}/sessions", id(CASE, n)))
            .json(&json!({
                "starts_at": rfc(grid_time(rng)),
                "duration_minutes": 60,
                "online_url": "https://video.example.kz/r/bench",
            })),
        _ => http
            .patch(format!("{base}/api/v1/sessions/{}", id(SESSION, n)))
            .json(&json!({"starts_at": rfc(grid_time(rng))})),
    };
    match request.bearer_auth(token).send().await {
        Ok(r) => {
            let status = r.status().as_u16();
            let body = if expected(kind, status) {
                // Read the whole body, as a client does.
                let _ = r.bytes().await;
                String::new()
            } else {
                r.text().await.unwrap_or_default()
            };
            (status, body)
        }
        Err(e) => (0, e.to_string()),
    }
}

async fn client_loop(
    args: Arc<Args>,
    http: reqwest::Client,
    base: String,
    seed: u64,
    measuring: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
) -> Tally {
    let mut rng = Lcg(seed);
    let mut tally = Tally::default();
    while !stop.load(Ordering::Relaxed) {
        let draw = rng.below(100);
        let kind = KINDS[SHARES.iter().position(|s| draw < *s).unwrap_or(0)];
        let began = Instant::now();
        let (status, body) = one(&args, &http, &base, &mut rng, kind).await;
        let took = began.elapsed();
        if args.think_ms > 0 {
            let pause = rng.below(2 * args.think_ms + 1);
            tokio::time::sleep(StdDuration::from_millis(pause)).await;
        }
        if !measuring.load(Ordering::Relaxed) || stop.load(Ordering::Relaxed) {
            continue;
        }
        tally
            .micros
            .entry(kind)
            .or_default()
            .push(u32::try_from(took.as_micros()).unwrap_or(u32::MAX));
        *tally
            .statuses
            .entry(kind)
            .or_default()
            .entry(status)
            .or_default() += 1;
        if !expected(kind, status) && tally.samples.len() < 10 {
            tally.samples.push(format!(
                "{kind} {status}: {}",
                body.chars().take(300).collect::<String>()
            ));
        }
    }
    tally
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    f64::from(sorted[i.min(sorted.len() - 1)]) / 1000.0
}

fn ms(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Arc::new(Args::parse());
    let sqlite = args.database_url.starts_with("sqlite:");
    common::remove_sqlite_files(&args.database_url)?;
    let settings = Settings {
        database_url: args.database_url.clone(),
        ..Settings::default()
    };
    let db = kelisim::db::connect(&settings).await?;
    kelisim::migrate(&db).await?;
    let seeding = Instant::now();
    seed(&db, &args).await?;
    if !sqlite {
        db.execute_unprepared("VACUUM ANALYZE").await?;
    } else {
        db.execute_unprepared("ANALYZE").await?;
    }
    db.close().await.ok();
    let seed_seconds = seeding.elapsed().as_secs_f64();
    eprintln!("[bench_mixed] seeded in {seed_seconds:.1} s");

    let spool = tempfile::tempdir()?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(args.clients)
        .timeout(StdDuration::from_secs(30))
        .build()?;
    let mut servers = Vec::new();
    for i in 0..args.instances {
        servers.push(start_server(&args, i, spool.path(), &http).await?);
    }
    // Idle: started, ready, a moment after.
    tokio::time::sleep(StdDuration::from_secs(2)).await;
    for s in &mut servers {
        s.idle_rss_kb = proc_kb(s.child.id(), "VmRSS:");
    }

    let measuring = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = tokio::task::JoinSet::new();
    for c in 0..args.clients {
        clients.spawn(client_loop(
            args.clone(),
            http.clone(),
            servers[c % servers.len()].base.clone(),
            0x006b_656c_6973_696d ^ (c as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            measuring.clone(),
            stop.clone(),
        ));
    }
    tokio::time::sleep(StdDuration::from_secs(args.warmup)).await;
    measuring.store(true, Ordering::Relaxed);
    let began = Instant::now();
    tokio::time::sleep(StdDuration::from_secs(args.seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let elapsed = began.elapsed().as_secs_f64();
    let mut tally = Tally::default();
    while let Some(t) = clients.join_next().await {
        tally.merge(t?);
    }

    let mut per_kind = serde_json::Map::new();
    let mut total = 0u64;
    let mut errors = 0u64;
    let mut conflicts = 0u64;
    for kind in KINDS {
        let mut lat = tally.micros.remove(kind).unwrap_or_default();
        lat.sort_unstable();
        let statuses = tally.statuses.remove(kind).unwrap_or_default();
        let count = lat.len() as u64;
        total += count;
        let kind_errors: u64 = statuses
            .iter()
            .filter(|(s, _)| !expected(kind, **s))
            .map(|(_, n)| n)
            .sum();
        errors += kind_errors;
        conflicts += statuses.get(&409).copied().unwrap_or(0);
        per_kind.insert(
            kind.into(),
            json!({
                "requests": count,
                "per_second": ms(count as f64 / elapsed),
                "p50_ms": ms(percentile(&lat, 50.0)),
                "p90_ms": ms(percentile(&lat, 90.0)),
                "p99_ms": ms(percentile(&lat, 99.0)),
                "max_ms": ms(percentile(&lat, 100.0)),
                "statuses": statuses.iter().map(|(s, n)| (s.to_string(), json!(n))).collect::<serde_json::Map<_, _>>(),
                "errors": kind_errors,
            }),
        );
    }
    let instances: Vec<Value> = servers
        .iter()
        .map(|s| {
            json!({
                "start_to_ready_ms": ms(s.ready_ms),
                "idle_rss_mb": ms(s.idle_rss_kb as f64 / 1024.0),
                "peak_rss_mb": ms(proc_kb(s.child.id(), "VmHWM:") as f64 / 1024.0),
            })
        })
        .collect();
    drop(servers);
    let out = json!({
        "database": if sqlite { "sqlite" } else { "postgresql" },
        "instances": args.instances,
        "clients": args.clients,
        "think_ms": args.think_ms,
        "seconds": ms(elapsed),
        "data": {"courts": args.courts, "mediators": args.mediators, "cases": args.cases, "sessions": args.cases},
        "seed_seconds": ms(seed_seconds),
        "requests": total,
        "per_second": ms(total as f64 / elapsed),
        "errors": errors,
        "expected_409": conflicts,
        "kinds": per_kind,
        "servers": instances,
        "unexpected_samples": tally.samples,
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    if errors > 0 {
        anyhow::bail!("{errors} unexpected answers");
    }
    Ok(())
}
