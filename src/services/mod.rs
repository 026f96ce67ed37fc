//! Use cases, and the only place with SQL. Each public function owns its
//! transaction (begun with `db::begin_write`), calls into `domain/` for
//! rules, and writes the audit row and its emails (`emails`) in that same
//! transaction.
//!
//! Rule: handlers, jobs and the command line call services; services never
//! see HTTP types, and return their own types (`records`, and the record
//! types of each module), never a handler's view.

pub mod access;
pub mod agenda;
pub mod assignments;
pub mod attendance;
pub mod audit;
pub mod auth;
pub mod availability;
pub mod cases;
pub mod certification;
pub mod courts;
pub mod deadlines;
pub mod delivery;
pub mod emails;
pub mod expired_tokens;
pub mod feed;
pub mod idempotency;
pub mod inbox;
pub mod invitations;
pub mod leases;
pub mod links;
pub mod login_throttle;
pub mod matching;
pub mod mediators;
pub mod outbox;
pub mod outcomes;
pub mod page;
pub mod records;
pub mod registry_import;
pub mod reminders;
pub mod reports;
pub mod retention;
pub mod sessions;
pub mod users;
