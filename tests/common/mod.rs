//! Test harness: `spawn_app()` starts the real application on a random port
//! against a fresh database — a new SQLite file, or, when
//! `KELISIM_TEST_POSTGRES_URL` is set, a new PostgreSQL database that is
//! dropped when the test ends. Beside it, the helpers more than one test
//! file needs: waiting for a condition ([`wait_until`], never a fixed sleep),
//! the `kelisim` binary as a process ([`Kelisim`]), a real SMTP server
//! ([`smtp`]) and an independent iCalendar reader ([`ical`]).
//!
//! Rule: a helper two test files need lives here, once; and whatever a test
//! needs comes through cargo, so `cargo test` runs on a machine that has only
//! the Rust toolchain.

#![allow(dead_code)]

pub mod ical;
pub mod proxy;
pub mod smtp;
pub mod world;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus};
use std::time::{Duration, Instant};

use kelisim::config::Settings;
use kelisim::domain::{EmailAddress, Language, Role};
use kelisim::services::audit::Actor;
use kelisim::services::users::{self, NewUser};
use reqwest::{Method, Response, StatusCode};
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};
use uuid::Uuid;

pub const PASSWORD: &str = "correct horse battery staple";

pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub db: DatabaseConnection,
    pub client: reqwest::Client,
    pub settings: Settings,
    pub admin_token: String,
    pub database: TestDatabase,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

/// A database made for one test; a PostgreSQL one is dropped with it.
pub struct TestDatabase {
    pub url: String,
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    pub async fn create(dir: &std::path::Path) -> Self {
        match std::env::var("KELISIM_TEST_POSTGRES_URL") {
            Ok(admin_url) if !admin_url.is_empty() => {
                let name = format!("kelisim_test_{}", Uuid::new_v4().simple());
                let admin = sea_orm::Database::connect(admin_url.as_str())
                    .await
                    .expect("connect to KELISIM_TEST_POSTGRES_URL");
                use sea_orm::ConnectionTrait;
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create the test database");
                admin.close().await.ok();
                let mut url = url::Url::parse(&admin_url).expect("postgres url");
                url.set_path(&format!("/{name}"));
                Self {
                    url: url.to_string(),
                    postgres: Some((admin_url, name)),
                }
            }
            _ => Self {
                url: format!("sqlite://{}", dir.join("kelisim.db").display()),
                postgres: None,
            },
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.postgres.is_some()
    }
}

impl TestDatabase {
    /// The same database, for another instance: dropping it leaves the
    /// database to its owner.
    pub fn borrowed(&self) -> TestDatabase {
        TestDatabase {
            url: self.url.clone(),
            postgres: None,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.postgres.take() {
            // Drop runs inside the test's runtime; use a thread with its own.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async move {
                    use sea_orm::ConnectionTrait;
                    if let Ok(admin) = sea_orm::Database::connect(admin_url.as_str()).await {
                        let _ = admin
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            ))
                            .await;
                        admin.close().await.ok();
                    }
                });
            })
            .join();
        }
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    kelisim::telemetry::init(
        &std::env::var("TEST_LOG").unwrap_or_else(|_| "off".into()),
        "text",
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let database = TestDatabase::create(dir.path()).await;
    let mut settings = Settings {
        database_url: database.url.clone(),
        bind: "127.0.0.1:0".parse().expect("addr"),
        mail_spool_dir: dir.path().join("mail"),
        database_max_connections: 5,
        ..Settings::default()
    };
    configure(&mut settings);
    let app = kelisim::Application::build(settings.clone())
        .await
        .expect("build the app");
    let port = app.port();
    settings.bind.set_port(port);
    let db = app.db();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until_stopped(async move {
        let _ = rx.await;
    }));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let mut test_app = TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        db,
        client,
        settings,
        admin_token: String::new(),
        database,
        shutdown: Some(tx),
        _dir: dir,
    };
    test_app
        .create_user_directly(Role::Admin, "admin@kelisim.test", None)
        .await;
    test_app.admin_token = test_app.login("admin@kelisim.test", PASSWORD).await;
    test_app
}

impl TestApp {
    /// Another `serve` instance on the same database and settings, as behind
    /// a load balancer; the admin's token works on both. Drop it before the
    /// first instance, which owns the database.
    pub async fn another_instance(&self) -> TestApp {
        let mut settings = self.settings.clone();
        settings.bind.set_port(0);
        let app = kelisim::Application::build(settings.clone())
            .await
            .expect("build the second instance");
        let port = app.port();
        settings.bind.set_port(port);
        let db = app.db();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(app.run_until_stopped(async move {
            let _ = rx.await;
        }));
        TestApp {
            address: format!("http://127.0.0.1:{port}"),
            port,
            db,
            client: self.client.clone(),
            settings,
            admin_token: self.admin_token.clone(),
            database: self.database.borrowed(),
            shutdown: Some(tx),
            _dir: tempfile::tempdir().expect("temp dir"),
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl TestApp {
    pub fn spool_dir(&self) -> PathBuf {
        self.settings.mail_spool_dir.clone()
    }

    /// Creates a user through the service layer, bypassing HTTP.
    pub async fn create_user_directly(
        &self,
        role: Role,
        email: &str,
        court_id: Option<Uuid>,
    ) -> Uuid {
        users::create(
            &self.db,
            Actor::System,
            NewUser {
                email: EmailAddress::parse(email).expect("email"),
                name: format!("Test {role}"),
                role,
                court_id,
                language: Language::En,
                password: PASSWORD.into(),
            },
        )
        .await
        .expect("create user")
        .id
    }

    pub async fn login(&self, email: &str, password: &str) -> String {
        let resp = self
            .post(
                "/api/v1/auth/token",
                None,
                json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::OK, "login of {email}");
        let body: Value = resp.json().await.expect("json");
        body["token"].as_str().expect("token").to_owned()
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        let mut req = self
            .client
            .request(method, format!("{}{}", self.address, path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.expect("request sent")
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        self.request(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Response {
        self.request(Method::POST, path, token, Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: Value) -> Response {
        self.request(Method::PATCH, path, token, Some(body)).await
    }

    /// Creates a court as admin and returns its id.
    pub async fn create_court(&self, code: &str) -> Uuid {
        let resp = self
            .post(
                "/api/v1/courts",
                Some(&self.admin_token),
                json!({"code": code, "name": format!("Court {code}"), "timezone": "Asia/Almaty", "default_language": "kk"}),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::CREATED);
        let body: Value = resp.json().await.expect("json");
        body["id"].as_str().expect("id").parse().expect("uuid")
    }

    /// Registers a mediator (`body` as `POST /api/v1/mediators` takes it)
    /// linked to a new mediator account `user_email`, and logs that account
    /// in; returns (mediator id, token).
    pub async fn mediator_with_login(&self, user_email: &str, mut body: Value) -> (Uuid, String) {
        let user = self
            .create_user_directly(Role::Mediator, user_email, None)
            .await;
        body["user_id"] = json!(user);
        let resp = self
            .post("/api/v1/mediators", Some(&self.admin_token), body.clone())
            .await;
        assert_eq!(resp.status(), StatusCode::CREATED, "mediator {body}");
        let mediator: Value = resp.json().await.expect("json");
        (id(&mediator), self.login(user_email, PASSWORD).await)
    }

    /// Sets a mediator's weekly hours to `start`–`end` (in their time zone)
    /// on each day from Monday to Friday.
    pub async fn set_weekday_hours(&self, mediator: Uuid, token: &str, start: &str, end: &str) {
        let weekly: Vec<Value> = (1..=5)
            .map(|d| json!({"weekday": d, "start": start, "end": end}))
            .collect();
        let resp = self
            .request(
                Method::PUT,
                &format!("/api/v1/mediators/{mediator}/availability"),
                Some(token),
                Some(json!({ "weekly": weekly })),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::OK, "weekly hours");
    }

    /// A clerk of `court_id`, logged in; returns (user id, token).
    pub async fn clerk_of(&self, court_id: Uuid) -> (Uuid, String) {
        let email = format!("clerk-{}@court.test", Uuid::new_v4().simple());
        let id = self
            .create_user_directly(Role::Clerk, &email, Some(court_id))
            .await;
        let token = self.login(&email, PASSWORD).await;
        (id, token)
    }
}

/// Reads a problem+json response, checking its media type and status member.
pub async fn problem(resp: Response, status: StatusCode) -> Value {
    assert_eq!(resp.status(), status, "status");
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(ct, "application/problem+json", "content type");
    let body: Value = resp.json().await.expect("problem body is JSON");
    assert_eq!(body["status"], status.as_u16());
    assert!(body["type"].is_string() && body["title"].is_string() && body["detail"].is_string());
    body
}

/// The `field`s named in a problem's `errors`.
pub fn error_fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The `id` member of a JSON object, as a UUID.
pub fn id(v: &Value) -> Uuid {
    v["id"].as_str().expect("id").parse().expect("uuid")
}

/// Checks `check` every 25 ms until it holds; fails the test, saying what it
/// waited for and how long, if it does not hold within `within`. Tests wait
/// for what they need with this, never with a fixed sleep.
pub async fn wait_until<F, Fut>(what: &str, within: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let start = Instant::now();
    while !check().await {
        assert!(
            start.elapsed() < within,
            "waited {within:?} for {what}, in vain"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// How many `.eml` files `dir` holds (none if it does not exist).
pub fn eml_files(dir: &Path) -> usize {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "eml"))
            })
            .count(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
        Err(e) => panic!("reading {}: {e}", dir.display()),
    }
}

/// Fails, with the reason, unless `KELISIM_TEST_POSTGRES_URL` is set. For
/// tests that only PostgreSQL can run: they are marked
/// `#[ignore = "needs PostgreSQL: ..."]`, so a plain `cargo test` lists them
/// as ignored, and `.ci/run` runs them on PostgreSQL with
/// `-- --include-ignored`; run that way on SQLite they fail here instead of
/// passing without having checked anything.
pub fn require_postgres() {
    let url = std::env::var("KELISIM_TEST_POSTGRES_URL").unwrap_or_default();
    assert!(
        !url.is_empty(),
        "this test needs PostgreSQL: run it with \
         KELISIM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres"
    );
}

/// A free loopback port (free when this returns; bind it soon).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The `kelisim` binary run in `dir` against `db_url`, writing mail into
/// `dir/mail` and logging only warnings.
pub fn kelisim_command(dir: &Path, db_url: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kelisim"));
    cmd.current_dir(dir)
        .env("KELISIM_DATABASE_URL", db_url)
        .env("KELISIM_MAIL_SPOOL_DIR", dir.join("mail"))
        .env("KELISIM_LOG", "warn");
    cmd
}

/// A running `kelisim` process; killed (SIGKILL) if still running when
/// dropped, so a failing test leaves no server behind.
pub struct Kelisim(Child);

impl Kelisim {
    pub fn spawn(cmd: &mut Command) -> Self {
        Self(cmd.spawn().expect("start kelisim"))
    }

    pub fn id(&self) -> u32 {
        self.0.id()
    }

    /// SIGKILL: no graceful shutdown, nothing flushed.
    pub fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }

    /// SIGTERM, then waits for the process to exit; fails the test if it is
    /// still running after `within`.
    pub async fn terminate(&mut self, within: Duration) -> ExitStatus {
        self.send_sigterm();
        self.wait_for_exit(within).await
    }

    /// SIGTERM, without waiting.
    pub fn send_sigterm(&self) {
        let sent = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -TERM {}", self.0.id());
    }

    /// Waits for the process to exit; fails the test if it is still running
    /// after `within`.
    pub async fn wait_for_exit(&mut self, within: Duration) -> ExitStatus {
        let mut status = None;
        let child = &mut self.0;
        wait_until("kelisim to exit after SIGTERM", within, || {
            status = child.try_wait().expect("wait for kelisim");
            std::future::ready(status.is_some())
        })
        .await;
        status.expect("an exit status")
    }
}

impl Drop for Kelisim {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Waits until the outbox holds exactly `n` messages and each is `sent`,
/// that is, until a delivery worker has recorded every message it delivered
/// (the SMTP server has a message before the worker records it).
pub async fn wait_until_all_sent(db: &DatabaseConnection, n: usize, within: Duration) {
    use sea_orm::EntityTrait;
    wait_until(
        &format!("{n} outbox messages, all sent"),
        within,
        || async move {
            let rows = entity::outbox_messages::Entity::find()
                .all(db)
                .await
                .expect("outbox rows");
            rows.len() == n && rows.iter().all(|m| m.status == "sent")
        },
    )
    .await;
}

/// Waits until every one of the `n` outbox messages is recorded `sent` and
/// has reached `smtp`, then runs the round a worker's next poll would run: it
/// must find nothing to send, so no message can arrive twice later.
pub async fn wait_until_delivered(db: &DatabaseConnection, smtp: &smtp::SmtpServer, n: usize) {
    wait_until_all_sent(db, n, Duration::from_secs(30)).await;
    smtp.wait_for_count(n, Duration::from_secs(5)).await;
    assert_next_round_sends_nothing(db, &smtp.url()).await;
}

/// Runs one delivery round now, as a worker's next poll would, against the
/// SMTP server at `smtp_url`, and checks that it claims nothing: no message
/// is left that could go out (again).
pub async fn assert_next_round_sends_nothing(db: &DatabaseConnection, smtp_url: &str) {
    use kelisim::mail::transport::Transport;
    use kelisim::services::delivery::{self, Round};
    let settings = Settings {
        smtp_url: Some(smtp_url.to_owned()),
        ..Settings::default()
    };
    let transport = Transport::from_settings(&settings).expect("an SMTP transport");
    let round = delivery::deliver_round(db, &settings, &transport)
        .await
        .expect("a delivery round");
    assert_eq!(
        round,
        Round::default(),
        "the next round finds nothing to send"
    );
}

/// The personal link (`/p/{token}`, path only) a party was sent at `email`,
/// read from the first email to that address, as the party would read it.
pub async fn party_link(app: &TestApp, email: &str) -> String {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let mail = entity::outbox_messages::Entity::find()
        .filter(entity::outbox_messages::Column::Recipient.eq(email))
        .order_by_asc(entity::outbox_messages::Column::CreatedAt)
        .one(&app.db)
        .await
        .expect("outbox")
        .unwrap_or_else(|| panic!("no email to {email}"));
    let message = mail_parser::MessageParser::default()
        .parse(mail.raw_message.as_bytes())
        .expect("a MIME message");
    let text = message.body_text(0).expect("a text part").into_owned();
    let at = text.find("/p/").expect("a personal link in the email");
    let token: String = text[at + 3..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    format!("/p/{token}")
}
