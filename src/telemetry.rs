//! Structured logs with `tracing`, written to standard output.
//!
//! Rule: never log a full email address, phone number, IIN or settlement terms;
//! use [`crate::domain::email::mask_email`] and friends. Never log a secret
//! from a URL: requests are logged by route template (`crate::http::trace`).
//!
//! Text logs are coloured only when standard output is a terminal, so a log
//! file or a pipe holds no escape codes. JSON logs carry the fields of the
//! request span (its `request_id` among them) on every line written while a
//! request runs.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

/// Installs the global subscriber. Safe to call more than once (later calls do
/// nothing), which the test suite relies on.
pub fn init(filter: &str, format: &str) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(FmtSpan::NONE)
        .with_target(true)
        .with_ansi(std::io::stdout().is_terminal());
    let _ = if format == "json" {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init()
    } else {
        builder.try_init()
    };
}
