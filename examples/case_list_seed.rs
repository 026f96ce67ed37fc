//! Seeds a database for the clerk's case list benchmark
//! (`bench/case_list.sh`): one court, one clerk (bench-clerk@kelisim.test /
//! "bench password 123") and 20,000 cases of that court in every status
//! and category, with deadlines spread over a year, plus 2,000 cases of a
//! second court the clerk must never see. Deterministic (fixed LCG seed).
//! Prints `{"court_id": ..., "cases": ...}` on stdout.
//!
//! ```sh
//! cargo run --release --example case_list_seed -- --database-url sqlite:///tmp/cases.db
//! ```

mod common;

use chrono::{Duration, NaiveDate, Utc};
use clap::Parser;
use kelisim::config::Settings;
use kelisim::domain::case::{CaseCategory, CaseStatus};
use kelisim::domain::{EmailAddress, Language, Role};
use kelisim::services::audit::Actor;
use kelisim::services::users::{self, NewUser};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, EntityTrait, Set, TransactionTrait,
};
use uuid::Uuid;

#[derive(Parser)]
#[command(about = "Seeds a database for the case list benchmark")]
struct Args {
    /// SQLite file URL or PostgreSQL URL of an empty database.
    #[arg(long, default_value = "sqlite://./data/cases.db")]
    database_url: String,
    /// Cases of the clerk's court.
    #[arg(long, default_value_t = 20_000)]
    cases: usize,
}

pub const CLERK_EMAIL: &str = "bench-clerk@kelisim.test";
pub const PASSWORD: &str = "bench password 123";

struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        usize::try_from((self.0 >> 33) % n).unwrap_or(0)
    }
}

async fn court(db: &DatabaseConnection, code: &str) -> anyhow::Result<Uuid> {
    let now = Utc::now();
    let id = Uuid::now_v7();
    entity::courts::ActiveModel {
        id: Set(id),
        code: Set(code.into()),
        name: Set(format!("Benchmark court {code}")),
        timezone: Set("Asia/Almaty".into()),
        default_language: Set("kk".into()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(id)
}

async fn cases(
    db: &DatabaseConnection,
    court_id: Uuid,
    clerk: Uuid,
    n: usize,
    prefix: &str,
    rng: &mut Lcg,
) -> anyhow::Result<()> {
    let now = Utc::now();
    let today = now.date_naive();
    let txn = db.begin().await?;
    let mut batch = Vec::with_capacity(500);
    for i in 0..n {
        let deadline: NaiveDate = today + Duration::days(rng.below(365) as i64 - 30);
        batch.push(entity::cases::ActiveModel {
            id: Set(Uuid::now_v7()),
            court_id: Set(court_id),
            court_case_number: Set(format!("{prefix}-{i}/2026")),
            category: Set(CaseCategory::ALL[rng.below(CaseCategory::ALL.len() as u64)]
                .as_str()
                .into()),
            summary: Set("Benchmark dispute".into()),
            language: Set(["kk", "ru", "en"][rng.below(3)].into()),
            mediation_deadline: Set(deadline),
            minors_involved: Set(false),
            violence_reported: Set(false),
            interpreter_needed: Set(false),
            joint_session_override: Set(false),
            status: Set(CaseStatus::ALL[rng.below(CaseStatus::ALL.len() as u64)]
                .as_str()
                .into()),
            referred_by: Set(clerk),
            deadline_warned_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            closed_at: Set(None),
        });
        if batch.len() == 500 {
            entity::cases::Entity::insert_many(std::mem::take(&mut batch))
                .exec(&txn)
                .await?;
        }
    }
    if !batch.is_empty() {
        entity::cases::Entity::insert_many(batch).exec(&txn).await?;
    }
    txn.commit().await?;
    Ok(())
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
    let own = court(&db, "BENCH-CL").await?;
    let other = court(&db, "BENCH-OT").await?;
    let clerk = users::create(
        &db,
        Actor::System,
        NewUser {
            email: EmailAddress::parse(CLERK_EMAIL).map_err(anyhow::Error::msg)?,
            name: "Bench Clerk".into(),
            role: Role::Clerk,
            court_id: Some(own),
            language: Language::Ru,
            password: PASSWORD.into(),
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("creating the clerk: {e:?}"))?;
    let mut rng = Lcg(20_261_201);
    cases(&db, own, clerk.id, args.cases, "2", &mut rng).await?;
    cases(&db, other, clerk.id, args.cases / 10, "9", &mut rng).await?;
    if !args.database_url.starts_with("sqlite:") {
        db.execute_unprepared("ANALYZE").await?;
    }
    db.close().await.ok();
    println!(
        "{}",
        serde_json::json!({"court_id": own, "cases": args.cases, "clerk": CLERK_EMAIL})
    );
    Ok(())
}
