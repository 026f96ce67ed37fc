//! Fetching a mediator's own calendar from its ICS URL: the one place in
//! `calendar/` that does I/O, bounded in time (the client's timeout), size,
//! redirects, and above all in where it may connect ([`super::destination`]).
//!
//! The destination rule is applied at three points, so that the address
//! checked is the address connected to: to the URL asked for, to every
//! redirect (a custom redirect policy), and to every address a name resolves
//! to (a checking DNS resolver, whose answer is what the client connects
//! to; a host given as an IP address is never resolved, and the first two
//! checks cover it). The client ignores proxy settings from the
//! environment, since a proxy would resolve and connect on its own.
//!
//! Rules a newcomer must not break:
//! - Every failure, whatever its cause, is the one [`FetchFailed`]: distinct
//!   messages ("could not connect", "timed out", the remote status) would
//!   make the service a port scanner of its own network. The cause goes to
//!   the log at debug level.
//! - Nothing logged or returned quotes the URL beyond its origin (scheme,
//!   host, port): paths and queries of calendar links hold secret tokens and
//!   sometimes the owner's email address.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use url::Url;

use super::destination::{self, Destinations, Refused};

/// Most redirects followed.
const MAX_REDIRECTS: usize = 5;

/// The one answer to every failed fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the calendar could not be fetched from this address: it must be an https:// address of a public calendar server (or of a server this installation allows) that answers with an iCalendar file"
)]
pub struct FetchFailed;

/// Fetches external calendars, only from allowed destinations.
#[derive(Clone)]
pub struct CalendarFetcher {
    client: reqwest::Client,
    destinations: Arc<Destinations>,
    max_bytes: usize,
}

impl CalendarFetcher {
    /// A fetcher that gives up after `timeout`, reads at most `max_bytes`
    /// and reaches public https servers plus `allowed_origins`.
    pub fn new(
        allowed_origins: &[String],
        timeout: Duration,
        max_bytes: usize,
    ) -> anyhow::Result<Self> {
        let destinations = Arc::new(
            Destinations::from_setting(allowed_origins)
                .map_err(anyhow::Error::msg)
                .context("external_calendar_allowed_origins")?,
        );
        let for_redirects = destinations.clone();
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .no_proxy()
            .dns_resolver(Arc::new(CheckingResolver {
                destinations: destinations.clone(),
            }))
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() > MAX_REDIRECTS {
                    return attempt.error(Refused::TooManyRedirects {
                        limit: MAX_REDIRECTS,
                    });
                }
                match for_redirects.check_url(attempt.url()) {
                    Ok(()) => attempt.follow(),
                    Err(refused) => attempt.error(refused),
                }
            }))
            .user_agent(concat!("Kelisim/", env!("CARGO_PKG_VERSION")))
            .build()
            .context("building the HTTP client for external calendars")?;
        Ok(Self {
            client,
            destinations,
            max_bytes,
        })
    }

    /// The calendar text at `url`, and the URL as it should be stored.
    pub async fn fetch(&self, url: &str) -> Result<(Url, String), FetchFailed> {
        let Ok(parsed) = Url::parse(url.trim()) else {
            tracing::debug!(reason = %Refused::NotAUrl, "external calendar not fetched");
            return Err(FetchFailed);
        };
        match self.try_fetch(&parsed).await {
            Ok(text) => Ok((parsed, text)),
            Err(reason) => {
                tracing::debug!(
                    origin = %destination::origin_for_log(&parsed),
                    %reason,
                    "external calendar not fetched"
                );
                Err(FetchFailed)
            }
        }
    }

    async fn try_fetch(&self, url: &Url) -> Result<String, String> {
        self.destinations
            .check_url(url)
            .map_err(|e| e.to_string())?;
        let mut resp = self
            .client
            .get(url.clone())
            .header("accept", "text/calendar")
            .send()
            .await
            .map_err(cause)?;
        if !resp.status().is_success() {
            return Err(format!("the server answered {}", resp.status()));
        }
        if resp
            .content_length()
            .is_some_and(|n| n > self.max_bytes as u64)
        {
            return Err(format!("larger than {} bytes", self.max_bytes));
        }
        let mut body: Vec<u8> = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(cause)? {
            if body.len() + chunk.len() > self.max_bytes {
                return Err(format!("larger than {} bytes", self.max_bytes));
            }
            body.extend_from_slice(&chunk);
        }
        String::from_utf8(body).map_err(|_| "not UTF-8 text".to_owned())
    }
}

/// The cause of a failed request for the log: reqwest's message without
/// the URL, then each underlying error (a refusal of ours among them).
fn cause(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

/// Resolves names as the system does, then hands the client only addresses
/// that [`Destinations::check_resolved`] allows.
struct CheckingResolver {
    destinations: Arc<Destinations>,
}

impl reqwest::dns::Resolve for CheckingResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let destinations = self.destinations.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<std::net::SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed = destinations.check_resolved(&host, found)?;
            let addresses: reqwest::dns::Addrs = Box::new(allowed.into_iter());
            Ok(addresses)
        })
    }
}
