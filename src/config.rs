//! Typed settings: defaults < `kelisim.toml` < `KELISIM_*` environment variables.
//!
//! Rule: the defaults alone must give a working service on a fresh machine
//! (embedded SQLite under `./data`, email into a spool folder).

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// Every setting of the service. Each field is also `KELISIM_<FIELD>` in the
/// environment and `<field>` in `kelisim.toml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// `sqlite://path/to/file.db` or `postgres://user@host/db`.
    pub database_url: String,
    /// Connections in the database pool.
    pub database_max_connections: u32,
    /// Address the HTTP server listens on.
    pub bind: SocketAddr,
    /// The address people reach the service at; used for links in emails.
    pub public_url: String,
    /// `smtp://host:port`, `smtps://user:pass@host`; empty or unset writes `.eml`
    /// files to the spool folder instead.
    pub smtp_url: Option<String>,
    /// From address of every email.
    pub mail_from: String,
    /// Folder for `.eml` files when no SMTP server is configured.
    pub mail_spool_dir: PathBuf,
    /// First retry delay of a failed delivery; it doubles after each attempt.
    pub delivery_retry_base_seconds: u64,
    /// Attempts before a message is marked `failed`.
    pub delivery_max_attempts: u32,
    /// How long a claimed message stays reserved for the instance sending it;
    /// a message of an instance that died is sent again after this.
    pub delivery_lease_seconds: u64,
    /// Tracing filter, e.g. `info` or `kelisim=debug,tower_http=info`.
    pub log: String,
    /// Log format: `text` or `json`.
    pub log_format: String,
    /// Lifetime of an API bearer token.
    pub token_ttl_hours: i64,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Login attempts not yet proven right for one account from one client
    /// network (an IPv4 address or an IPv6 /64) within
    /// `login_window_seconds` before 429.
    pub login_max_failures: u32,
    /// The same from one client network, whatever the accounts.
    pub login_max_failures_per_address: u32,
    /// The same for one account from networks it has not logged in from
    /// within `login_known_address_days` (a known network is not refused by
    /// this limit, so an attack from elsewhere does not lock the owner out).
    pub login_max_failures_per_account: u32,
    pub login_window_seconds: u64,
    /// How long a network an account logged in from stays known.
    pub login_known_address_days: u32,
    /// Password checks (argon2, ~19 MiB each) running at once in one
    /// instance; 0: one per core.
    pub login_max_concurrent_checks: usize,
    /// Logins that may wait for a password check (for at most 5 s); past
    /// this a login is answered 503 with `Retry-After` at once.
    pub login_max_waiting_checks: usize,
    /// Addresses or networks (`10.0.0.0/8`, `fd00::/8`, `192.0.2.7`) of
    /// reverse proxies whose `X-Forwarded-For` names the client. Empty: the
    /// client is the peer of the connection and the header is ignored.
    pub trusted_proxies: Vec<String>,
    /// Free slots start on this grid of minutes after local midnight.
    pub slot_grid_minutes: u32,
    /// Gap kept free between a mediator's sessions.
    pub session_buffer_minutes: u32,
    /// Timeout of fetching a mediator's external calendar.
    pub external_calendar_timeout_seconds: u64,
    /// Largest external calendar accepted, in bytes.
    pub external_calendar_max_bytes: usize,
    /// Origins (`scheme://host:port`) of calendar servers that may be
    /// fetched although they are not https on port 443 of a public address,
    /// such as a court's own server: `["http://10.0.0.5:8080"]`.
    pub external_calendar_allowed_origins: Vec<String>,
    /// When external calendars are fetched again (six fields, seconds first);
    /// empty turns the job off.
    pub calendar_refresh_cron: String,
    /// When certifications are checked (warn 30 days ahead, suspend after).
    pub certification_cron: String,
    /// When due session reminders are sent.
    pub reminder_cron: String,
    /// How many hours before a session reminders go, e.g. `[48, 2]`.
    pub reminder_hours: Vec<u32>,
    /// How long an instance remembers a successful token check (0: never,
    /// the default). A token revoked on another instance, or by another
    /// process such as the command line, works here for at most this long, so
    /// it is off unless a single instance is the only thing that revokes.
    pub auth_cache_seconds: u64,
    /// When mediation deadlines are checked (warn the clerk 5 days ahead,
    /// expire cases past their deadline).
    pub deadline_watch_cron: String,
    /// When set, `/metrics` answers only a request bearing this token
    /// (`Authorization: Bearer …`); unset, it answers anyone who reaches it.
    pub metrics_token: Option<String>,
    /// After SIGTERM: how long requests in flight and the delivery round in
    /// progress may take to finish before the process exits anyway.
    pub shutdown_grace_seconds: u64,
    /// Days after a case closes (registered, withdrawn, expired) that its
    /// parties' personal links keep working.
    pub party_link_days_after_close: i64,
    /// Days after sending that a message's full body (with the party's
    /// link) is kept in the outbox and the spool folder; then only its
    /// headers, status and hash remain.
    pub raw_message_retention_days: i64,
    /// Hours an `Idempotency-Key` and the response it replays are kept.
    pub idempotency_key_hours: i64,
    /// When old message bodies, spool files, idempotency keys and expired or
    /// revoked API tokens are purged; empty turns it off.
    pub purge_cron: String,
    /// The mailbox answers to invitations go to: named as ORGANIZER in every
    /// invitation (with the mediator's name as CN), so that Accept, Decline
    /// and Propose new time in a mail client come back there. A plain
    /// `local@domain`. Unset: the address of `mail_from`.
    pub reply_address: Option<String>,
    /// Where that mailbox is read: `imaps://user:pass@host:993/INBOX` (or
    /// `imap://` for a server on this machine). Unset: no mail is read.
    pub imap_url: Option<String>,
    /// How often the mailbox is looked at when the server offers no IDLE,
    /// and the longest an IDLE waits before looking anyway.
    pub imap_poll_seconds: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            database_url: "sqlite://./data/kelisim.db".into(),
            database_max_connections: 8,
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: "http://127.0.0.1:8080".into(),
            smtp_url: None,
            mail_from: "Kelisim <no-reply@kelisim.local>".into(),
            mail_spool_dir: PathBuf::from("./data/mail"),
            delivery_retry_base_seconds: 30,
            delivery_max_attempts: 8,
            delivery_lease_seconds: 60,
            log: "info".into(),
            log_format: "text".into(),
            token_ttl_hours: 12,
            max_body_bytes: 1024 * 1024,
            login_max_failures: 10,
            login_max_failures_per_address: 30,
            login_max_failures_per_account: 100,
            login_window_seconds: 300,
            login_known_address_days: 90,
            login_max_concurrent_checks: 0,
            login_max_waiting_checks: 32,
            trusted_proxies: Vec::new(),
            slot_grid_minutes: 15,
            session_buffer_minutes: 15,
            external_calendar_timeout_seconds: 10,
            external_calendar_max_bytes: 5 * 1024 * 1024,
            external_calendar_allowed_origins: Vec::new(),
            calendar_refresh_cron: "0 */30 * * * *".into(),
            certification_cron: "0 0 1 * * *".into(),
            deadline_watch_cron: "0 15 * * * *".into(),
            auth_cache_seconds: 0,
            reminder_cron: "0 */5 * * * *".into(),
            reminder_hours: vec![48, 2],
            metrics_token: None,
            shutdown_grace_seconds: 20,
            party_link_days_after_close: 90,
            raw_message_retention_days: 30,
            idempotency_key_hours: 24,
            purge_cron: "0 20 * * * *".into(),
            reply_address: None,
            imap_url: None,
            imap_poll_seconds: 60,
        }
    }
}

impl Settings {
    /// Reads the defaults, then `config_file` if it exists, then the environment.
    pub fn load(config_file: Option<&std::path::Path>) -> anyhow::Result<Self> {
        let file = config_file
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("kelisim.toml"));
        if config_file.is_some() && !file.exists() {
            anyhow::bail!("configuration file {} does not exist", file.display());
        }
        // Only our own keys are taken from the environment: other KELISIM_* variables
        // (the test suite's, say) are not settings and must not be refused.
        let known: Vec<String> = match serde_json::to_value(Settings::default()) {
            Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
            _ => Vec::new(),
        };
        let settings: Settings = Figment::from(Serialized::defaults(Settings::default()))
            .merge(Toml::file(&file))
            .merge(
                Env::prefixed("KELISIM_")
                    .filter(move |key| known.iter().any(|k| key == k.as_str())),
            )
            .extract()
            .context("reading configuration (kelisim.toml and KELISIM_* variables)")?;
        settings.check()?;
        Ok(settings)
    }

    fn check(&self) -> anyhow::Result<()> {
        url::Url::parse(&self.public_url).context("public_url is not a valid URL")?;
        if let Some(smtp) = self.smtp_url.as_deref().filter(|s| !s.is_empty()) {
            url::Url::parse(smtp).context("smtp_url is not a valid URL")?;
        }
        if !(self.database_url.starts_with("sqlite:") || self.database_url.starts_with("postgres"))
        {
            anyhow::bail!("database_url must start with sqlite: or postgres://");
        }
        if !(1..=240).contains(&self.slot_grid_minutes) {
            anyhow::bail!("slot_grid_minutes must be between 1 and 240");
        }
        if self.delivery_lease_seconds < 2 {
            anyhow::bail!("delivery_lease_seconds must be at least 2");
        }
        if self.token_ttl_hours <= 0 {
            anyhow::bail!("token_ttl_hours must be positive");
        }
        for (name, value) in [
            (
                "party_link_days_after_close",
                self.party_link_days_after_close,
            ),
            (
                "raw_message_retention_days",
                self.raw_message_retention_days,
            ),
            ("idempotency_key_hours", self.idempotency_key_hours),
        ] {
            if !(1..=36_500).contains(&value) {
                anyhow::bail!("{name} must be between 1 and 36500");
            }
        }
        if let Some(reply) = self.reply_address() {
            crate::domain::EmailAddress::parse(reply)
                .map_err(|e| anyhow::anyhow!("reply_address: {e}"))?;
        }
        if let Some(imap) = self.imap() {
            crate::domain::imip::MailboxUrl::parse(imap)
                .map_err(|e| anyhow::anyhow!("imap_url: {e}"))?;
        }
        if self.imap_poll_seconds == 0 {
            anyhow::bail!("imap_poll_seconds must be positive");
        }
        if self.login_window_seconds == 0 {
            anyhow::bail!("login_window_seconds must be positive");
        }
        crate::domain::network::TrustedProxies::parse(&self.trusted_proxies)
            .map_err(|e| anyhow::anyhow!("trusted_proxies: {e}"))?;
        crate::calendar::destination::Destinations::from_setting(
            &self.external_calendar_allowed_origins,
        )
        .map_err(|e| anyhow::anyhow!("external_calendar_allowed_origins: {e}"))?;
        Ok(())
    }

    /// The configured SMTP URL, treating an empty string as none.
    pub fn smtp(&self) -> Option<&str> {
        self.smtp_url.as_deref().filter(|s| !s.trim().is_empty())
    }

    /// The configured reply mailbox, treating an empty string as none.
    pub fn reply_address(&self) -> Option<&str> {
        self.reply_address
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }

    /// The configured IMAP URL, treating an empty string as none.
    pub fn imap(&self) -> Option<&str> {
        self.imap_url.as_deref().filter(|s| !s.trim().is_empty())
    }

    /// How long parties' links keep working after their case closes.
    pub fn party_link_lifetime(&self) -> chrono::Duration {
        chrono::Duration::days(self.party_link_days_after_close)
    }

    /// `public_url` without a trailing slash.
    pub fn public_base(&self) -> &str {
        self.public_url.trim_end_matches('/')
    }
}

#[cfg(test)]
// figment's Jail returns its own large error type; that is fine in tests.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;

    #[test]
    fn defaults_need_nothing_installed() {
        let s = Settings::default();
        assert!(s.database_url.starts_with("sqlite:"));
        assert!(s.smtp().is_none());
        s.check().expect("defaults are valid");
    }

    #[test]
    fn environment_overrides_file_which_overrides_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("kelisim.toml", "bind = \"127.0.0.1:9000\"\nlog = \"debug\"")?;
            jail.set_env("KELISIM_LOG", "warn");
            let s = Settings::load(None).map_err(|e| e.to_string())?;
            assert_eq!(s.bind.port(), 9000);
            assert_eq!(s.log, "warn");
            assert_eq!(s.delivery_retry_base_seconds, 30);
            Ok(())
        });
    }

    #[test]
    fn allowed_calendar_origins_are_read_from_the_environment_and_checked() {
        figment::Jail::expect_with(|jail| {
            jail.set_env(
                "KELISIM_EXTERNAL_CALENDAR_ALLOWED_ORIGINS",
                r#"["https://calendar.court.kz:8443", "http://10.0.0.5:8080"]"#,
            );
            let s = Settings::load(None).map_err(|e| e.to_string())?;
            assert_eq!(
                s.external_calendar_allowed_origins,
                ["https://calendar.court.kz:8443", "http://10.0.0.5:8080"]
            );
            jail.set_env(
                "KELISIM_EXTERNAL_CALENDAR_ALLOWED_ORIGINS",
                r#"["https://calendar.court.kz/private/path"]"#,
            );
            assert!(Settings::load(None).is_err());
            Ok(())
        });
    }

    #[test]
    fn a_bad_reply_address_or_mailbox_url_is_refused_without_showing_the_password() {
        let good = Settings {
            reply_address: Some("replies@court.kz".into()),
            imap_url: Some("imaps://replies%40court.kz:s3cret@mail.court.kz/INBOX".into()),
            ..Settings::default()
        };
        good.check().expect("valid");
        assert_eq!(good.reply_address(), Some("replies@court.kz"));
        let bad_reply = Settings {
            reply_address: Some("not an address".into()),
            ..Settings::default()
        };
        assert!(bad_reply.check().is_err());
        let bad_url = Settings {
            imap_url: Some("https://user:s3cret@mail.court.kz/".into()),
            ..Settings::default()
        };
        let err = format!("{:#}", bad_url.check().expect_err("refused"));
        assert!(err.contains("imap_url") && !err.contains("s3cret"), "{err}");
        let blank = Settings {
            reply_address: Some(" ".into()),
            imap_url: Some(String::new()),
            ..Settings::default()
        };
        blank.check().expect("blank is unset");
        assert_eq!((blank.reply_address(), blank.imap()), (None, None));
    }

    #[test]
    fn an_unknown_key_in_the_file_is_an_error() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("kelisim.toml", "bnd = \"127.0.0.1:9000\"")?;
            assert!(Settings::load(None).is_err());
            Ok(())
        });
    }
}
