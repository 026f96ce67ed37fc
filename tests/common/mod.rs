//! Test harness: `spawn_app()` starts the real application on a random port
//! against a fresh database — a new SQLite file, or, when
//! `KELISIM_TEST_POSTGRES_URL` is set, a new PostgreSQL database that is
//! dropped when the test ends.

#![allow(dead_code)]

pub mod smtp;

use std::path::PathBuf;

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
