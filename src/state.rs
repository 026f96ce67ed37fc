//! What every request handler and job can reach: the database, the
//! settings, and the per-instance caches.
//!
//! Rule: nothing here is the truth; the database is. The caches check it
//! (calendars and the matching registry by version) or are short by design
//! (authentications).

use std::sync::Arc;
use std::time::Duration;

use sea_orm::DatabaseConnection;

use crate::calendar::fetch::CalendarFetcher;
use crate::config::Settings;
use crate::domain::network::TrustedProxies;
use crate::metrics::Metrics;
use crate::services;
use crate::services::auth::LoginGuard;

/// What every request handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    /// Login limits (shared through the database) and the cap on password
    /// checks running at once here.
    pub login_guard: Arc<LoginGuard>,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Arc<TrustedProxies>,
    /// Fetches mediators' external calendars, only from allowed places.
    pub calendar_fetcher: CalendarFetcher,
    /// Mediators' calendars, checked against the database before each use.
    pub calendars: Arc<services::availability::cache::CalendarCache>,
    /// The mediator registry as matching reads it, checked against the
    /// database's registry version before each use.
    pub registry: Arc<services::matching::RegistryCache>,
    /// Recent successful authentications (see `AuthCache` for the trade).
    pub auth_cache: Arc<services::auth::AuthCache>,
    /// What `/metrics` reports for this instance.
    pub metrics: Arc<Metrics>,
}

impl AppState {
    pub fn new(db: DatabaseConnection, settings: Settings) -> anyhow::Result<Self> {
        let login_guard = Arc::new(LoginGuard::from_settings(&settings));
        let trusted_proxies = Arc::new(
            TrustedProxies::parse(&settings.trusted_proxies)
                .map_err(|e| anyhow::anyhow!("trusted_proxies: {e}"))?,
        );
        let settings_auth_cache = settings.auth_cache_seconds;
        let calendar_fetcher = CalendarFetcher::new(
            &settings.external_calendar_allowed_origins,
            Duration::from_secs(settings.external_calendar_timeout_seconds),
            settings.external_calendar_max_bytes,
        )?;
        Ok(Self {
            db,
            settings: Arc::new(settings),
            login_guard,
            trusted_proxies,
            calendar_fetcher,
            calendars: Arc::default(),
            registry: Arc::default(),
            auth_cache: Arc::new(services::auth::AuthCache::new(Duration::from_secs(
                settings_auth_cache,
            ))),
            metrics: Arc::default(),
        })
    }
}
