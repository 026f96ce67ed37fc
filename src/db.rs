//! Opening the database: embedded SQLite (WAL, synchronous FULL, foreign keys
//! on, busy timeout) or PostgreSQL, chosen by the URL alone; and the two
//! values every stored row takes from here, [`now`] and [`new_id`].
//!
//! Rule: this module depends on nothing of the application but its
//! settings, so that every layer may stamp rows without an import cycle.

use std::collections::HashMap;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use anyhow::Context;
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, ExecResult, QueryResult, SqliteTransactionMode, Statement, TransactionOptions,
    TransactionTrait,
};

use crate::config::Settings;

/// Connects to the configured database; for SQLite, creates the file and its
/// folder when missing.
pub async fn connect(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    let url = settings.database_url.as_str();
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(settings.database_max_connections.max(1))
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .connect_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    if url.starts_with("sqlite:") {
        // Validate the URL and create the folder before sqlx tries to open it.
        let parsed = SqliteConnectOptions::from_str(url)
            .with_context(|| "parsing the SQLite database_url".to_owned())?;
        if let Some(parent) = parsed.get_filename().parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating the database folder {}", parent.display()))?;
        }
        // The database is in this process: there is no connection to test
        // before handing it out, and the test would cost a round trip to
        // the connection's thread on every acquire.
        options.test_before_acquire(false);
        // FULL: a commit is on disk before it is answered. With NORMAL a
        // power cut could take back a booking whose invitations have
        // already been sent.
        options.map_sqlx_sqlite_opts(|opts| {
            opts.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
        });
    } else {
        // Every connection is tested (one round trip) before it is handed
        // out, sqlx's default: a connection the server or a proxy closed
        // meanwhile is replaced before a request uses it, instead of
        // failing that request. Testing only connections idle for a while
        // saves the round trip under load but fails one request per stale
        // connection after a database restart (tests/api/faults.rs).
        options.test_before_acquire(true);
    }
    let db = Database::connect(options)
        .await
        .context("connecting to the database")?;
    Ok(db)
}

/// Begins a transaction that will write. On SQLite it takes the write lock
/// at once (`BEGIN IMMEDIATE`), waiting its turn under the busy timeout: a
/// transaction that reads first and writes later cannot wait for the lock,
/// SQLite refuses its first write at once ("database is locked") whenever
/// another connection holds the lock or has written since its read, which
/// turned an ordinary race with another writer (a delivery round, another
/// request) into a 500. PostgreSQL ignores the mode.
///
/// On SQLite, writers of this process first queue for their turn in
/// order ([`WriteTransaction`]) and hold it until they commit or roll back,
/// so that at most one of them asks SQLite for the lock at a time. Left to
/// SQLite's busy timeout, eight writers at once poll for the lock with
/// sleeps of 1 to 100 ms, in no order: a booking among them waited tens of
/// milliseconds for a lock held for two. A writer that has waited for its
/// turn as long as the busy timeout goes on without it (SQLite still
/// serialises the writes; another process, such as the command line,
/// never had a turn here).
pub async fn begin_write(db: &DatabaseConnection) -> Result<WriteTransaction, DbErr> {
    let turn = match write_gate(db) {
        Some(gate) => tokio::time::timeout(WRITE_TURN_WAIT, gate.lock_owned())
            .await
            .ok(),
        None => None,
    };
    let txn = db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        })
        .await?;
    Ok(WriteTransaction { txn, _turn: turn })
}

/// How long a writer waits for its turn in this process, as long as
/// SQLite's busy timeout.
const WRITE_TURN_WAIT: Duration = Duration::from_secs(10);

/// The queue of this process's writers to one SQLite file (none for
/// PostgreSQL, whose row locks order writers to the same rows and let
/// others run at once).
fn write_gate(db: &DatabaseConnection) -> Option<Arc<tokio::sync::Mutex<()>>> {
    type Gates = Mutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>;
    static GATES: LazyLock<Gates> = LazyLock::new(Gates::default);
    if db.get_database_backend() != DbBackend::Sqlite {
        return None;
    }
    let file = db
        .get_sqlite_connection_pool()
        .connect_options()
        .get_filename()
        .to_path_buf();
    let mut gates = GATES.lock().unwrap_or_else(|p| p.into_inner());
    Some(gates.entry(file).or_default().clone())
}

/// A transaction begun by [`begin_write`]; on SQLite it holds this
/// process's turn to write until it is committed, rolled back or dropped.
/// Used as the [`DatabaseTransaction`] it wraps.
pub struct WriteTransaction {
    txn: DatabaseTransaction,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl WriteTransaction {
    /// Commits, then gives the turn to the next writer.
    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }

    /// Rolls back, then gives the turn to the next writer.
    pub async fn rollback(self) -> Result<(), DbErr> {
        self.txn.rollback().await
    }
}

impl std::ops::Deref for WriteTransaction {
    type Target = DatabaseTransaction;

    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

#[sea_orm::prelude::async_trait::async_trait]
impl ConnectionTrait for WriteTransaction {
    fn get_database_backend(&self) -> DbBackend {
        self.txn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.txn.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.txn.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.txn.query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.txn.support_returning()
    }
}

/// Readiness: the database answers a trivial query.
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.execute_unprepared("SELECT 1").await.is_ok()
}

/// Connections open in the pool, and of those idle.
pub fn pool_usage(db: &DatabaseConnection) -> (u32, u32) {
    let (size, idle) = match db.get_database_backend() {
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
    };
    (size, u32::try_from(idle).unwrap_or(u32::MAX))
}

/// The current instant, truncated to microseconds so that what is stored and
/// what is returned agree on both databases.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    chrono::Utc::now().trunc_subsecs(6)
}

/// A new time-ordered id: ordering by id is ordering by creation.
pub fn new_id() -> uuid::Uuid {
    uuid::Uuid::now_v7()
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn sqlite(dir: &std::path::Path) -> DatabaseConnection {
        let settings = Settings {
            database_url: format!("sqlite://{}", dir.join("t.db").display()),
            database_max_connections: 2,
            ..Settings::default()
        };
        let db = connect(&settings).await.expect("connect");
        db.execute_unprepared("CREATE TABLE t (n INTEGER)")
            .await
            .expect("create");
        db
    }

    #[tokio::test]
    async fn writers_take_turns_in_order_per_file() {
        let (one, two) = (
            tempfile::tempdir().expect("dir"),
            tempfile::tempdir().expect("dir"),
        );
        let (a, b) = (sqlite(one.path()).await, sqlite(two.path()).await);
        let held = begin_write(&a).await.expect("first writer");
        // Another file: no waiting.
        let other = tokio::time::timeout(Duration::from_secs(2), begin_write(&b))
            .await
            .expect("a writer to another file does not wait")
            .expect("begun");
        other.commit().await.expect("commit");
        // The same file: each waits for the one before, and they commit in
        // the order they asked.
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut waiting = Vec::new();
        for n in 1..=4 {
            let (db, order) = (a.clone(), order.clone());
            waiting.push(tokio::spawn(async move {
                let txn = begin_write(&db).await?;
                txn.execute_unprepared(&format!("INSERT INTO t VALUES ({n})"))
                    .await?;
                order.lock().expect("order").push(n);
                txn.commit().await
            }));
            tokio::time::sleep(std::time::Duration::from_millis(30)).await;
        }
        assert!(order.lock().expect("order").is_empty(), "all wait");
        held.commit().await.expect("first commit");
        for w in waiting {
            w.await.expect("joined").expect("committed");
        }
        assert_eq!(*order.lock().expect("order"), [1, 2, 3, 4]);
    }

    #[tokio::test]
    async fn a_write_that_reads_first_waits_for_another_writer_instead_of_failing() {
        let dir = tempfile::tempdir().expect("dir");
        let db = sqlite(dir.path()).await;
        // Another writer holds the lock for a moment.
        let other = begin_write(&db).await.expect("first writer");
        other
            .execute_unprepared("INSERT INTO t VALUES (1)")
            .await
            .expect("insert");
        let db2 = db.clone();
        let second = tokio::spawn(async move {
            let txn = begin_write(&db2).await?;
            txn.execute_unprepared("SELECT count(*) FROM t").await?;
            txn.execute_unprepared("INSERT INTO t VALUES (2)").await?;
            txn.commit().await
        });
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        other.commit().await.expect("first commit");

        second
            .await
            .expect("joined")
            .expect("the second write waited");
    }
}
