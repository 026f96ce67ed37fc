//! Booking benchmark: sustained bookings per second, each through
//! `services::sessions::book` with its invitations and outbox emails, as a
//! ratio to bare single-row insert transactions on the same database and
//! disk.
//!
//! Run it through `bench/bookings.sh`, which builds it in release, gives it
//! a fresh SQLite file or a fresh PostgreSQL database and prints its JSON:
//!
//! ```sh
//! bench/bookings.sh sqlite
//! SKIP_BUILD=1 BOOKINGS=1000 ROUNDS=1 HISTORY=0 bench/bookings.sh postgres
//! ```
//!
//! What it does, in one process, one operation at a time (sequential, like
//! a steady stream) or, with `--concurrency N`, N at once (N bookers, each
//! booking again as soon as its previous booking is answered):
//!
//! 1. migrates and seeds through the services: an admin, one court
//!    (Asia/Almaty), a clerk, `--mediators` mediators (each with a login,
//!    serving the court, Monday to Sunday 00:00–24:00) and
//!    `--cases-per-mediator` cases per mediator, each with two parties
//!    (claimant, respondent), referred by the clerk, proposed and accepted
//!    (`cases::refer`, `assignments::propose`, `assignments::answer`);
//! 2. opens one pool per setting (`--settings`; SQLite: `full` =
//!    `db::connect` as is, `normal` = the same with `synchronous = NORMAL`;
//!    PostgreSQL: `on` = `db::connect` as is, `off` = `synchronous_commit =
//!    off`) on the same database, warms each up, then for each of
//!    `--rounds` rounds and each setting (order alternating per round):
//!    - (a) `--bookings` bookings by the clerk through `sessions::book`,
//!      round robin over the cases (consecutive ones on different
//!      mediators), 60 minutes every 90 minutes of the coming days so none
//!      conflicts (30 minutes apart, the buffer is 15), each its own
//!      transaction with 3 invitations and 3 outbox emails;
//!    - (b) as many bare transactions, each inserting one small row into
//!      `bench_bare` (created here) and committing;
//! 3. `--history N`: N past sessions per mediator are bulk-inserted and one
//!    more round is run (a mediator with years of sessions behind them);
//! 4. counts the SQL statements of one booking and one bare insert (sqlx's
//!    statement log) and checks the rows every booking left.
//!
//! Prints one JSON document on stdout; progress goes to stderr.

mod common;

use std::collections::BTreeSet;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration as StdDuration, Instant};

use anyhow::Context;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use clap::Parser;
use kelisim::config::Settings;
use kelisim::domain::case::{CaseCategory, CaseNumber, LegalCapacity, PartyRole};
use kelisim::domain::mediator::{MediatorKind, MediatorStatus, Specialty};
use kelisim::domain::primitives::FreeText;
use kelisim::domain::slots::WeeklyInterval;
use kelisim::domain::{CourtCode, EmailAddress, Language, Role, TimeZoneName};
use kelisim::services::assignments::{self, Answer};
use kelisim::services::audit::Actor;
use kelisim::services::auth::Caller;
use kelisim::services::availability::{self, cache::CalendarCache};
use kelisim::services::cases::{self, NewCase, NewParty};
use kelisim::services::courts::{self, NewCourt};
use kelisim::services::mediators::{self, MediatorInput};
use kelisim::services::sessions::{self, Booking, Place};
use kelisim::services::users::{self, NewUser};
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, EntityTrait,
    Statement, TransactionTrait, Value,
};
use uuid::Uuid;

#[derive(Parser)]
#[command(about = "Bookings per second against bare insert transactions")]
struct Args {
    /// `sqlite://…` file (deleted first) or a fresh, empty PostgreSQL database.
    #[arg(long)]
    database_url: String,
    /// Mediators.
    #[arg(long, default_value_t = 20)]
    mediators: usize,
    /// Accepted cases (two parties each) per mediator; bookings go round
    /// robin over them. With one case, every booking of a mediator would be
    /// for the same two parties, which no real case looks like (a case has
    /// a handful of sessions).
    #[arg(long, default_value_t = 50)]
    cases_per_mediator: usize,
    /// Bookings (and bare inserts) per round.
    #[arg(long, default_value_t = 2_000)]
    bookings: usize,
    /// Rounds of (a) then (b) per setting.
    #[arg(long, default_value_t = 2)]
    rounds: usize,
    /// Settings to measure, comma separated; the first one also counts the
    /// statements. SQLite: `full,normal` (default; `full` is `db::connect`
    /// as is); PostgreSQL: `on,off` (synchronous_commit; default).
    #[arg(long)]
    settings: Option<String>,
    /// Past sessions bulk-inserted per mediator before one more round (0
    /// skips that round).
    #[arg(long, default_value_t = 1_000)]
    history: usize,
    /// Bookers (and bare inserters) running at once, each one operation
    /// after another; 1 is a steady one-at-a-time stream.
    #[arg(long, default_value_t = 1)]
    concurrency: usize,
}

const PASSWORD: &str = "bench password 123";
/// Every booking is this long, and they start this far apart.
const SESSION_MINUTES: i64 = 60;
const SPACING_MINUTES: i64 = 90;
const SLOTS_PER_DAY: i64 = 24 * 60 / SPACING_MINUTES;
const BARE_PAYLOAD: &str = "a small row: one uuid, one timestamp and about a hundred bytes of text, \
                            committed on its own";

fn app(e: kelisim::error::AppError) -> anyhow::Error {
    anyhow::anyhow!("{e:?}")
}

fn log(msg: impl AsRef<str>) {
    eprintln!("[bench_bookings] {}", msg.as_ref());
}

// ---- statement counting (sqlx's statement log, only where it is switched on)

/// Counts sqlx's `sqlx::query` events. Installed globally with a filter that
/// lets nothing else through, so callsites elsewhere stay disabled; pools
/// opened with `sqlx_logging(false)` (all but the counting one) emit nothing.
struct StatementCounter(Arc<AtomicUsize>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for StatementCounter {
    fn on_event(
        &self,
        event: &tracing::Event<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        if event.metadata().target() == "sqlx::query" {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
}

// ---- connections --------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Setting {
    /// `db::connect` as is (WAL, synchronous = FULL: every commit fsyncs
    /// the WAL).
    SqliteFull,
    /// The same with synchronous = NORMAL.
    SqliteNormal,
    /// PostgreSQL defaults (synchronous_commit = on), `db::connect` as is.
    PgOn,
    /// synchronous_commit = off on the pool's connections.
    PgOff,
}

impl Setting {
    fn name(self) -> &'static str {
        match self {
            Setting::SqliteFull => "sqlite synchronous=FULL (as db::connect)",
            Setting::SqliteNormal => "sqlite synchronous=NORMAL",
            Setting::PgOn => "postgresql synchronous_commit=on (as db::connect)",
            Setting::PgOff => "postgresql synchronous_commit=off",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Setting::SqliteFull => "sqlite_full",
            Setting::SqliteNormal => "sqlite_normal",
            Setting::PgOn => "postgres_sync_on",
            Setting::PgOff => "postgres_sync_off",
        }
    }

    fn parse(sqlite: bool, raw: &str) -> anyhow::Result<Self> {
        Ok(match (sqlite, raw.trim()) {
            (true, "full") => Setting::SqliteFull,
            (true, "normal") => Setting::SqliteNormal,
            (false, "on") => Setting::PgOn,
            (false, "off") => Setting::PgOff,
            (_, other) => anyhow::bail!("unknown setting {other:?} for this database"),
        })
    }

    /// `db::connect` opens the database this way.
    fn is_service_default(self) -> bool {
        matches!(self, Setting::SqliteFull | Setting::PgOn)
    }
}

/// Opens the database as the service does (`db::connect`), or with the same
/// options and the one pragma or parameter of `setting` changed.
/// `log_statements` turns sqlx's statement log on (for counting).
async fn connect(
    settings: &Settings,
    setting: Setting,
    log_statements: bool,
) -> anyhow::Result<DatabaseConnection> {
    if setting.is_service_default() && !log_statements {
        return kelisim::db::connect(settings).await;
    }
    let url = settings.database_url.as_str();
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(settings.database_max_connections.max(1))
        .min_connections(1)
        .acquire_timeout(StdDuration::from_secs(10))
        .connect_timeout(StdDuration::from_secs(10))
        .sqlx_logging(log_statements);
    match setting {
        Setting::SqliteFull | Setting::SqliteNormal => {
            SqliteConnectOptions::from_str(url).context("parsing the SQLite URL")?;
            let synchronous = if setting == Setting::SqliteFull {
                SqliteSynchronous::Full
            } else {
                SqliteSynchronous::Normal
            };
            options.test_before_acquire(false);
            options.map_sqlx_sqlite_opts(move |opts| {
                opts.create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(synchronous)
                    .foreign_keys(true)
                    .busy_timeout(StdDuration::from_secs(10))
            });
        }
        Setting::PgOn => {}
        Setting::PgOff => {
            options.map_sqlx_postgres_opts(|opts| opts.options([("synchronous_commit", "off")]));
        }
    }
    Ok(Database::connect(options).await?)
}

// ---- seeding --------------------------------------------------------------------

#[derive(Clone)]
struct World {
    tz: Tz,
    clerk: Caller,
    mediators: usize,
    /// (case, mediator), case-major: `cases[i]` is a case of mediator
    /// `i % mediators`.
    cases: Vec<(Uuid, Uuid)>,
    /// First local day bookings go on.
    first_day: NaiveDate,
    /// Bookings made so far (the next one takes this slot index).
    booked: usize,
    /// Past sessions bulk-inserted per mediator.
    past: usize,
}

async fn user(
    db: &DatabaseConnection,
    email: &str,
    role: Role,
    court_id: Option<Uuid>,
) -> anyhow::Result<users::User> {
    users::create(
        db,
        Actor::System,
        NewUser {
            email: EmailAddress::parse(email).map_err(anyhow::Error::msg)?,
            name: format!("Bench {email}"),
            role,
            court_id,
            language: Language::Ru,
            password: PASSWORD.into(),
        },
    )
    .await
    .map_err(app)
}

fn party(role: PartyRole, name: &str, email: &str) -> anyhow::Result<NewParty> {
    Ok(NewParty {
        role,
        name: name.into(),
        email: EmailAddress::parse(email).map_err(anyhow::Error::msg)?,
        phone: None,
        iin_bin: None,
        language: Language::Ru,
        is_minor: false,
        accessibility_needs: None,
        legal_capacity: LegalCapacity::Full,
    })
}

async fn seed(
    db: &DatabaseConnection,
    settings: &Settings,
    mediators: usize,
    cases_per_mediator: usize,
) -> anyhow::Result<World> {
    let tz = chrono_tz::Asia::Almaty;
    let admin = user(db, "bench-admin@kelisim.test", Role::Admin, None).await?;
    let admin = admin.caller();
    let court = courts::create(
        db,
        &admin,
        NewCourt {
            code: CourtCode::parse("BENCH-BOOK").map_err(anyhow::Error::msg)?,
            name: "Benchmark district court".into(),
            timezone: TimeZoneName::parse(tz.name()).map_err(anyhow::Error::msg)?,
            default_language: Language::Ru,
        },
    )
    .await
    .map_err(app)?;
    let clerk = user(db, "bench-clerk@kelisim.test", Role::Clerk, Some(court.id)).await?;
    let clerk = clerk.caller();
    let today = Utc::now().with_timezone(&tz).date_naive();
    let cache = CalendarCache::default();
    let all_week: Vec<WeeklyInterval> = (1..=7u8)
        .map(|weekday| WeeklyInterval {
            weekday,
            start_minute: 0,
            end_minute: 1440,
        })
        .collect();
    // (case, mediator), case-major: consecutive bookings go to different mediators.
    let mut cases_out = vec![Vec::with_capacity(mediators); cases_per_mediator];
    for i in 0..mediators {
        let login = user(
            db,
            &format!("bench-mediator-{i:03}@kelisim.test"),
            Role::Mediator,
            None,
        )
        .await?;
        let mediator = mediators::create(
            db,
            &admin,
            MediatorInput {
                name: format!("Bench Mediator {i:03}"),
                email: EmailAddress::parse(&login.email).map_err(anyhow::Error::msg)?,
                user_id: Some(login.id),
                registry_number: format!("BENCH-{i:04}"),
                kind: MediatorKind::Professional,
                certified_until: today + Duration::days(5 * 365),
                specialties: BTreeSet::from([Specialty::Civil, Specialty::Family]),
                languages: BTreeSet::from([Language::Ru, Language::Kk]),
                court_ids: BTreeSet::from([court.id]),
                max_active_cases: 200,
                timezone: TimeZoneName::parse(tz.name()).map_err(anyhow::Error::msg)?,
                status: MediatorStatus::Active,
            },
        )
        .await
        .map_err(app)?
        .0
        .mediator;
        availability::hours::set_weekly(db, &admin, mediator.id, all_week.clone())
            .await
            .map_err(app)?;
        for (c, out) in cases_out.iter_mut().enumerate() {
            let case = cases::refer(
                db,
                settings,
                &clerk,
                NewCase {
                    court_id: court.id,
                    court_case_number: CaseNumber::parse(&format!(
                        "2-{:04}/2027",
                        i * cases_per_mediator + c + 1
                    ))
                    .map_err(anyhow::Error::msg)?,
                    category: CaseCategory::Civil,
                    summary: FreeText::parse("Dispute over a loan between neighbours", 5000)
                        .map_err(anyhow::Error::msg)?,
                    language: Language::Ru,
                    mediation_deadline: today + Duration::days(3 * 365),
                    minors_involved: false,
                    violence_reported: false,
                    interpreter_needed: false,
                    corruption_or_public_service: false,
                    parties: vec![
                        party(
                            PartyRole::Claimant,
                            &format!("Claimant {i:03}-{c:03}"),
                            &format!("claimant-{i:03}-{c:03}@example.kz"),
                        )?,
                        party(
                            PartyRole::Respondent,
                            &format!("Respondent {i:03}-{c:03}"),
                            &format!("respondent-{i:03}-{c:03}@example.kz"),
                        )?,
                    ],
                },
            )
            .await
            .map_err(app)?;
            assignments::propose(
                db,
                &cache,
                settings,
                &clerk,
                case.case.id,
                mediator.id,
                false,
            )
            .await
            .map_err(app)?;
            assignments::answer(db, settings, &login.caller(), case.case.id, Answer::Accept)
                .await
                .map_err(app)?;
            out.push((case.case.id, mediator.id));
        }
    }
    Ok(World {
        tz,
        clerk,
        mediators,
        cases: cases_out.into_iter().flatten().collect(),
        first_day: today + Duration::days(2),
        booked: 0,
        past: 0,
    })
}

/// The table of the bare transactions.
async fn create_bare_table(db: &DatabaseConnection) -> anyhow::Result<()> {
    let ddl = match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            "CREATE TABLE bench_bare (id uuid PRIMARY KEY, at timestamptz NOT NULL, \
             payload text NOT NULL)"
        }
        _ => {
            "CREATE TABLE bench_bare (id blob PRIMARY KEY NOT NULL, at text NOT NULL, \
              payload text NOT NULL)"
        }
    };
    db.execute_unprepared(ddl).await?;
    Ok(())
}

// ---- the two operations ---------------------------------------------------------

impl World {
    /// The case and start of booking number `k`: round robin over the
    /// mediators, then 90-minute steps from local midnight of `first_day`.
    fn slot(&self, k: usize) -> (Uuid, DateTime<Utc>) {
        let (case_id, _mediator_id) = self.cases[k % self.cases.len()];
        let index = (k / self.mediators) as i64;
        let day = self.first_day + Duration::days(index / SLOTS_PER_DAY);
        let minute = (index % SLOTS_PER_DAY) * SPACING_MINUTES;
        let local = day.and_hms_opt(0, 0, 0).expect("midnight") + Duration::minutes(minute);
        let starts_at = self
            .tz
            .from_local_datetime(&local)
            .single()
            .expect("Almaty has no DST")
            .with_timezone(&Utc);
        (case_id, starts_at)
    }

    /// The next booking: its number, case and start.
    fn next(&mut self) -> (usize, Uuid, DateTime<Utc>) {
        let k = self.booked;
        self.booked += 1;
        let (case_id, starts_at) = self.slot(k);
        (k, case_id, starts_at)
    }

    /// Sessions in each mediator's calendar, past ones included.
    fn sessions_per_mediator(&self) -> usize {
        self.booked / self.mediators + self.past
    }
}

/// (a) The next booking, through `sessions::book` as the clerk: online,
/// joint, with both parties; 3 invitations and 3 outbox emails.
async fn book_one(
    db: &DatabaseConnection,
    settings: &Settings,
    world: &mut World,
) -> anyhow::Result<()> {
    let (k, _, _) = world.next();
    book_at(db, settings, world, k).await
}

/// (a) Booking number `k` (see [`World::slot`]).
async fn book_at(
    db: &DatabaseConnection,
    settings: &Settings,
    world: &World,
    k: usize,
) -> anyhow::Result<()> {
    let (case_id, starts_at) = world.slot(k);
    let record = sessions::book(
        db,
        settings,
        &world.clerk,
        case_id,
        Booking {
            starts_at,
            minutes: SESSION_MINUTES,
            place: Place::Online(format!("https://meet.example.kz/kelisim-bench-{k}")),
            format: None,
            party_ids: None,
        },
    )
    .await
    .map_err(app)
    .with_context(|| format!("booking {k} at {starts_at}"))?;
    anyhow::ensure!(record.invitations.len() == 3, "3 invitations expected");
    Ok(())
}

/// (b) A bare transaction: BEGIN, one small row into `bench_bare`, COMMIT.
async fn bare_one(db: &DatabaseConnection) -> anyhow::Result<()> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Postgres => "INSERT INTO bench_bare (id, at, payload) VALUES ($1, $2, $3)",
        _ => "INSERT INTO bench_bare (id, at, payload) VALUES (?, ?, ?)",
    };
    let txn = db.begin().await?;
    txn.execute_raw(Statement::from_sql_and_values(
        backend,
        sql,
        [
            Value::from(Uuid::now_v7()),
            Value::from(Utc::now()),
            Value::from(BARE_PAYLOAD),
        ],
    ))
    .await?;
    txn.commit().await?;
    Ok(())
}

// ---- timing ---------------------------------------------------------------------

/// CPU time of this process and of the whole machine, from /proc, in clock
/// ticks (100 per second here; `getconf CLK_TCK`).
#[derive(Clone, Copy)]
struct Cpu {
    own: u64,
    busy: u64,
}

const CLK_TCK: f64 = 100.0;

impl Cpu {
    fn now() -> Self {
        let own = std::fs::read_to_string("/proc/self/stat")
            .ok()
            .and_then(|s| {
                let rest = s.rsplit_once(')')?.1.to_owned();
                let f: Vec<u64> = rest
                    .split_whitespace()
                    .map(|x| x.parse().unwrap_or(0))
                    .collect();
                Some(f.get(11)? + f.get(12)?)
            })
            .unwrap_or(0);
        let busy = std::fs::read_to_string("/proc/stat")
            .ok()
            .and_then(|s| {
                let line = s.lines().next()?.to_owned();
                let f: Vec<u64> = line
                    .split_whitespace()
                    .skip(1)
                    .map(|x| x.parse().unwrap_or(0))
                    .collect();
                // user nice system idle iowait irq softirq steal
                Some(f[0] + f[1] + f[2] + f[5] + f[6] + f.get(7).copied().unwrap_or(0))
            })
            .unwrap_or(0);
        Self { own, busy }
    }
}

/// Latencies (µs) of `n` operations, the wall time of all of them, and the
/// CPU used meanwhile by this process and by everything else.
struct Run {
    us: Vec<f64>,
    wall: f64,
    own_cpu_s: f64,
    others_cpu_s: f64,
}

impl Run {
    fn summary(mut self) -> serde_json::Value {
        self.us.sort_by(f64::total_cmp);
        let at = |q: f64| self.us[((self.us.len() - 1) as f64 * q).round() as usize];
        let n = self.us.len() as f64;
        let mean = self.us.iter().sum::<f64>() / n;
        let r1 = |x: f64| (x * 10.0).round() / 10.0;
        let r2 = |x: f64| (x * 100.0).round() / 100.0;
        serde_json::json!({
            "n": self.us.len(),
            "seconds": r2(self.wall),
            "per_s": r1(n / self.wall),
            "median_us": r1(at(0.5)),
            "p90_us": r1(at(0.9)),
            "p99_us": r1(at(0.99)),
            "max_us": r1(at(1.0)),
            "mean_us": r1(mean),
            // This process's CPU (all its threads: async, sqlx workers) per operation.
            "cpu_us_per_op": r1(self.own_cpu_s * 1e6 / n),
            // Cores kept busy on average by other processes (PostgreSQL's
            // backends, anything else on the machine) during the run.
            "others_busy_cores": r2(self.others_cpu_s / self.wall),
        })
    }
}

/// Runs `op` `n` times, one after the other.
async fn measure<F>(n: usize, mut op: F) -> anyhow::Result<Run>
where
    F: AsyncFnMut() -> anyhow::Result<()>,
{
    let mut us = Vec::with_capacity(n);
    let cpu0 = Cpu::now();
    let start = Instant::now();
    for _ in 0..n {
        let t = Instant::now();
        op().await?;
        us.push(t.elapsed().as_secs_f64() * 1e6);
    }
    let wall = start.elapsed().as_secs_f64();
    let cpu1 = Cpu::now();
    let own = (cpu1.own - cpu0.own) as f64 / CLK_TCK;
    let all = (cpu1.busy - cpu0.busy) as f64 / CLK_TCK;
    Ok(Run {
        us,
        wall,
        own_cpu_s: own,
        others_cpu_s: (all - own).max(0.0),
    })
}

/// Runs `op(0)` … `op(n - 1)` from `clients` tasks at once, each taking the
/// next number when its previous operation is done (a closed loop, as
/// `clients` users would).
async fn measure_concurrent<F, Fut>(n: usize, clients: usize, op: F) -> anyhow::Result<Run>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let op = Arc::new(op);
    let next = Arc::new(AtomicUsize::new(0));
    let cpu0 = Cpu::now();
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..clients.max(1) {
        let (op, next) = (op.clone(), next.clone());
        tasks.spawn(async move {
            let mut us = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let t = Instant::now();
                op(i).await?;
                us.push(t.elapsed().as_secs_f64() * 1e6);
            }
            anyhow::Ok(us)
        });
    }
    let mut us = Vec::with_capacity(n);
    while let Some(done) = tasks.join_next().await {
        us.extend(done??);
    }
    let wall = start.elapsed().as_secs_f64();
    let cpu1 = Cpu::now();
    let own = (cpu1.own - cpu0.own) as f64 / CLK_TCK;
    let all = (cpu1.busy - cpu0.busy) as f64 / CLK_TCK;
    Ok(Run {
        us,
        wall,
        own_cpu_s: own,
        others_cpu_s: (all - own).max(0.0),
    })
}

/// `a[key] / b[key]`, or `b[key] / a[key]` with `inverse` (for latencies,
/// so that both ratios read "bookings as a fraction of bare inserts").
fn ratio(a: &serde_json::Value, b: &serde_json::Value, key: &str, inverse: bool) -> f64 {
    let (x, y) = (
        a[key].as_f64().unwrap_or(0.0),
        b[key].as_f64().unwrap_or(1.0),
    );
    let r = if inverse { y / x } else { x / y };
    (r * 1000.0).round() / 1000.0
}

/// Connections the pool has open (sqlx opens another when none is idle at
/// the moment of an acquire; a dropped connection goes back by a spawned task).
fn pool_size(db: &DatabaseConnection) -> u32 {
    match db.get_database_backend() {
        DatabaseBackend::Postgres => db.get_postgres_connection_pool().size(),
        _ => db.get_sqlite_connection_pool().size(),
    }
}

/// Compiler processes running on the machine: a build alongside skews a run.
fn rustc_running() -> usize {
    std::fs::read_dir("/proc")
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| {
                    std::fs::read_to_string(e.path().join("comm"))
                        .is_ok_and(|c| c.trim() == "rustc")
                })
                .count()
        })
        .unwrap_or(0)
}

/// One round: (a) `n` bookings, then (b) `n` bare inserts, with the ratios.
async fn round(
    db: &DatabaseConnection,
    settings: &Settings,
    world: &mut World,
    n: usize,
    concurrency: usize,
    label: &str,
) -> anyhow::Result<serde_json::Value> {
    let before = world.sessions_per_mediator();
    let rustc_before = rustc_running();
    let (a, b) = if concurrency <= 1 {
        (
            measure(n, async || book_one(db, settings, world).await)
                .await?
                .summary(),
            measure(n, async || bare_one(db).await).await?.summary(),
        )
    } else {
        let shared = Arc::new(world.clone());
        let first = world.booked;
        let (pool, config) = (db.clone(), Arc::new(settings.clone()));
        let a = measure_concurrent(n, concurrency, move |i| {
            let (db, settings, world) = (pool.clone(), config.clone(), shared.clone());
            async move { book_at(&db, &settings, &world, first + i).await }
        })
        .await?
        .summary();
        world.booked += n;
        let pool = db.clone();
        let b = measure_concurrent(n, concurrency, move |_| {
            let db = pool.clone();
            async move { bare_one(&db).await }
        })
        .await?
        .summary();
        (a, b)
    };
    let rustc_after = rustc_running();
    let ratio_rate = ratio(&a, &b, "per_s", false);
    let ratio_median = ratio(&a, &b, "median_us", true);
    log(format!(
        "{label} ({before} sessions/mediator): book {} /s (median {} µs), \
         bare {} /s (median {} µs), ratio {ratio_rate} (medians {ratio_median}); \
         others busy {} / {} cores",
        a["per_s"],
        a["median_us"],
        b["per_s"],
        b["median_us"],
        a["others_busy_cores"],
        b["others_busy_cores"],
    ));
    let out = serde_json::json!({
        "round": label,
        "concurrency": concurrency,
        "calendar_sessions_per_mediator_before": before,
        "bookings": a,
        "bare_inserts": b,
        "ratio_rate": ratio_rate,
        "ratio_median_latency": ratio_median,
        "rustc_processes_at_start_and_end": [rustc_before, rustc_after],
        "pool_connections_open": pool_size(db),
    });
    Ok(out)
}

/// Bulk-inserts `per_mediator` past sessions (60 minutes, one a day) for
/// every mediator, under their case, as a mediator with history has.
async fn add_history(
    db: &DatabaseConnection,
    world: &World,
    per_mediator: usize,
) -> anyhow::Result<()> {
    let now = Utc::now();
    let txn = db.begin().await?;
    for (case_id, mediator_id) in &world.cases[..world.mediators] {
        let rows: Vec<entity::sessions::ActiveModel> = (0..per_mediator)
            .map(|i| {
                let starts_at = now - Duration::hours(24 * (i as i64 + 1) + 3);
                entity::sessions::ActiveModel {
                    id: sea_orm::Set(Uuid::now_v7()),
                    case_id: sea_orm::Set(*case_id),
                    mediator_id: sea_orm::Set(*mediator_id),
                    starts_at: sea_orm::Set(starts_at),
                    ends_at: sea_orm::Set(starts_at + Duration::minutes(SESSION_MINUTES)),
                    timezone: sea_orm::Set(world.tz.name().into()),
                    room_id: sea_orm::Set(None),
                    online_url: sea_orm::Set(Some("https://meet.example.kz/past".into())),
                    format: sea_orm::Set("joint".into()),
                    status: sea_orm::Set("scheduled".into()),
                    sequence: sea_orm::Set(0),
                    cancel_reason: sea_orm::Set(None),
                    created_by: sea_orm::Set(Some(world.clerk.user_id)),
                    created_at: sea_orm::Set(now),
                    updated_at: sea_orm::Set(now),
                    attendance_recorded_at: sea_orm::Set(None),
                    attendance_recorded_by: sea_orm::Set(None),
                }
            })
            .collect();
        for chunk in rows.chunks(100) {
            entity::sessions::Entity::insert_many(chunk.to_vec())
                .exec(&txn)
                .await?;
        }
    }
    txn.commit().await?;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let sqlite = args.database_url.starts_with("sqlite:");
    common::remove_sqlite_files(&args.database_url)?;
    let counter = Arc::new(AtomicUsize::new(0));
    {
        use tracing_subscriber::Layer;
        use tracing_subscriber::layer::SubscriberExt;
        let filter = tracing_subscriber::filter::Targets::new()
            .with_target("sqlx::query", tracing::Level::TRACE);
        let subscriber = tracing_subscriber::registry()
            .with(StatementCounter(counter.clone()).with_filter(filter));
        tracing::subscriber::set_global_default(subscriber).ok();
    }
    let setting_list: Vec<Setting> = match &args.settings {
        Some(raw) => raw
            .split(',')
            .map(|s| Setting::parse(sqlite, s))
            .collect::<anyhow::Result<_>>()?,
        None if sqlite => vec![Setting::SqliteFull, Setting::SqliteNormal],
        None => vec![Setting::PgOn, Setting::PgOff],
    };
    let settings = Settings {
        database_url: args.database_url.clone(),
        ..Settings::default()
    };

    let t = Instant::now();
    let db = kelisim::db::connect(&settings).await?;
    kelisim::migrate(&db).await?;
    create_bare_table(&db).await?;
    let mut world = seed(&db, &settings, args.mediators, args.cases_per_mediator).await?;
    if !sqlite {
        db.execute_unprepared("ANALYZE").await?;
    }
    db.close().await.ok();
    log(format!(
        "seeded {} mediators with {} accepted cases each in {:.1} s",
        world.mediators,
        args.cases_per_mediator,
        t.elapsed().as_secs_f64()
    ));

    let mut rounds = Vec::new();
    let first = setting_list[0];
    // One pool per setting, all open at once (on the same database), so
    // that every round measures each setting at about the same calendar size.
    let mut pools = Vec::new();
    for &setting in &setting_list {
        pools.push((setting, connect(&settings, setting, false).await?));
    }
    for (_, db) in &pools {
        // Warm-up: statement caches and pooled connections; not reported.
        // At least one booking per case, so that no measured booking is a
        // case's first (which also moves the case to `scheduled`).
        for _ in 0..world.cases.len().max(20) {
            book_one(db, &settings, &mut world).await?;
        }
        for _ in 0..20 {
            bare_one(db).await?;
        }
    }
    let total_rounds = args.rounds + usize::from(args.history > 0);
    for r in 1..=total_rounds {
        let after_history = r > args.rounds;
        if after_history {
            log(format!(
                "adding {} past sessions per mediator",
                args.history
            ));
            add_history(&pools[0].1, &world, args.history).await?;
            world.past += args.history;
            if !sqlite {
                pools[0].1.execute_unprepared("ANALYZE").await?;
            }
        }
        // The order of the settings alternates from round to round, so that
        // none is always measured on the larger calendar.
        let order: Vec<usize> = if r % 2 == 1 {
            (0..pools.len()).collect()
        } else {
            (0..pools.len()).rev().collect()
        };
        for (setting, db) in order.iter().map(|&i| &pools[i]) {
            if !sqlite {
                // Fresh statistics, as autovacuum would keep them; otherwise
                // it analyses the growing tables at some point mid-round.
                db.execute_unprepared("ANALYZE").await?;
            }
            let label = if after_history {
                format!(
                    "{} after +{} past sessions each",
                    setting.key(),
                    args.history
                )
            } else {
                format!("{} round {r}", setting.key())
            };
            let mut out = round(
                db,
                &settings,
                &mut world,
                args.bookings,
                args.concurrency,
                &label,
            )
            .await?;
            out["setting"] = setting.name().into();
            rounds.push(out);
        }
    }
    for (_, db) in pools {
        db.close().await.ok();
    }
    let statements = count_statements(&settings, first, &mut world, &counter).await?;
    let db = connect(&settings, first, false).await?;
    let rows = check_rows(&db, &world).await?;
    db.close().await.ok();

    let out = serde_json::json!({
        "database": if sqlite { "sqlite" } else { "postgresql" },
        "mediators": world.mediators,
        "bookings_per_round": args.bookings,
        "concurrency": args.concurrency,
        "booking": {
            "minutes": SESSION_MINUTES,
            "emails": 3,
            "invitations": 3,
            "parties": 2,
        },
        "cases_per_mediator": args.cases_per_mediator,
        "rounds": rounds,
        "statements_per_operation": statements,
        "rows_check": rows,
    });
    println!("{out}");
    Ok(())
}

/// SQL statements of one booking and one bare insert, as sqlx logs them (a
/// pool of its own with the statement log on). Whether BEGIN and COMMIT are
/// among them depends on the driver: the bare insert shows it (1 without,
/// 3 with).
async fn count_statements(
    settings: &Settings,
    setting: Setting,
    world: &mut World,
    counter: &AtomicUsize,
) -> anyhow::Result<serde_json::Value> {
    let db = connect(settings, setting, true).await?;
    // Each once to warm up, then once counted.
    book_one(&db, settings, world).await?;
    bare_one(&db).await?;
    let before = counter.load(Ordering::Relaxed);
    book_one(&db, settings, world).await?;
    let book = counter.load(Ordering::Relaxed) - before;
    let before = counter.load(Ordering::Relaxed);
    bare_one(&db).await?;
    let bare = counter.load(Ordering::Relaxed) - before;
    db.close().await.ok();
    Ok(serde_json::json!({
        "note": "statements sqlx logged; BEGIN and COMMIT only if the driver logs them",
        "book": book,
        "bare_insert": bare,
    }))
}

/// Every booking left the rows it should: sessions, 2 session parties,
/// 3 invitations and 3 outbox emails each.
async fn check_rows(db: &DatabaseConnection, world: &World) -> anyhow::Result<serde_json::Value> {
    use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter};
    let booked = world.booked as u64;
    let sessions = entity::sessions::Entity::find().count(db).await?;
    let parties = entity::session_parties::Entity::find().count(db).await?;
    let invitations = entity::invitations::Entity::find()
        .filter(entity::invitations::Column::LastSentAt.is_not_null())
        .count(db)
        .await?;
    let emails = entity::outbox_messages::Entity::find()
        .filter(entity::outbox_messages::Column::SessionId.is_not_null())
        .count(db)
        .await?;
    let expected_sessions = booked + (world.past * world.mediators) as u64;
    anyhow::ensure!(
        sessions == expected_sessions,
        "sessions {sessions} != {expected_sessions}"
    );
    anyhow::ensure!(parties == 2 * booked, "session parties {parties}");
    anyhow::ensure!(invitations == 3 * booked, "invitations sent {invitations}");
    anyhow::ensure!(emails == 3 * booked, "outbox emails {emails}");
    Ok(serde_json::json!({
        "bookings": booked,
        "sessions": sessions,
        "session_parties": parties,
        "invitations_sent": invitations,
        "outbox_emails": emails,
    }))
}
