//! Black-box tests of the HTTP API and the command line. Every test starts the
//! real application against its own fresh database (SQLite, or PostgreSQL when
//! `KELISIM_TEST_POSTGRES_URL` is set).

#[path = "../common/mod.rs"]
mod common;

mod auth;
mod calendar_limits;
mod calendar_urls;
mod cases;
mod cli;
mod courts;
mod delivery;
mod errors;
mod headers;
mod health;
mod idempotency;
mod jobs;
mod login_limits;
mod logs;
mod mediators;
mod registry_import;
mod sessions;
mod smtp_server;
mod users;
