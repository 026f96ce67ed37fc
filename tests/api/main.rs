//! Black-box tests of the HTTP API and the command line. Every test starts the
//! real application against its own fresh database (SQLite, or PostgreSQL when
//! `KELISIM_TEST_POSTGRES_URL` is set).

#[path = "../common/mod.rs"]
mod common;

mod access_matrix;
mod auth;
mod calendar_limits;
mod calendar_urls;
mod cases;
mod cli;
mod courts;
mod delivery;
mod errors;
mod faults;
mod headers;
mod health;
mod hostile;
mod idempotency;
mod instances;
mod jobs;
mod login_limits;
mod logs;
mod mediators;
mod outcomes;
mod party_links;
mod privacy;
mod registry_import;
mod report_facts;
mod reports;
mod sessions;
mod smtp_server;
mod users;
mod web;
mod web_admin;
mod web_clerk;
mod web_mediator;
