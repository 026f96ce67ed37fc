//! Reading the reply mailbox (`imap_url`) over IMAP: every message not yet
//! marked done is handed to `services::inbox::handle`, then marked `\Seen`
//! and [`DONE_KEYWORD`]. Between rounds the connection waits in IDLE where
//! the server offers it (at most `imap_poll_seconds`), else sleeps that
//! long; a lost connection is opened again after the same pause.
//!
//! Rules a newcomer must not break:
//! - Unlike the cron jobs this one takes no lease: every instance reads the
//!   mailbox, and the database's unique claim (`inbox_messages`) makes sure
//!   each message is applied once. A message is marked done only after it
//!   was handled; one whose handling failed stays for the next round.
//! - TLS is rustls with ring and the Mozilla roots; plain `imap://` is for a
//!   server on this machine (and tests). The URL holds a password: it is
//!   never logged, only its host and folder.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use async_imap::Session;
use futures_util::TryStreamExt;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};

use crate::domain::imip::MailboxUrl;
use crate::mail::inbound;
use crate::services::inbox::{self, Handled};
use crate::state::AppState;

/// The keyword a handled message gets, beside `\Seen` (which a person
/// reading the mailbox may clear again).
pub const DONE_KEYWORD: &str = "$KelisimDone";
/// Most messages fetched in one round; the rest wait for the next.
const MAX_PER_ROUND: usize = 200;
/// The longest a connection, login or command may take.
const IO_TIMEOUT: Duration = Duration::from_secs(60);

/// Starts reading the mailbox when `imap_url` is set; stops when `stop`
/// turns true.
pub fn spawn(state: AppState, stop: watch::Receiver<bool>) -> Option<tokio::task::JoinHandle<()>> {
    let raw = state.settings.imap()?.to_owned();
    let url = match MailboxUrl::parse(&raw) {
        Ok(url) => url,
        Err(e) => {
            tracing::error!(error = %e, "imap_url is not usable; the reply mailbox is not read");
            return None;
        }
    };
    Some(tokio::spawn(run(state, url, stop)))
}

async fn run(state: AppState, url: MailboxUrl, mut stop: watch::Receiver<bool>) {
    let pause = Duration::from_secs(state.settings.imap_poll_seconds.max(1));
    while !*stop.borrow() {
        let result = read_mailbox(&state, &url, &mut stop).await;
        match result {
            Ok(()) => {}
            Err(e) => {
                state.metrics.job_ran("mail_intake", true);
                tracing::warn!(host = %url.host, mailbox = %url.mailbox, error = %format!("{e:#}"),
                    "reading the reply mailbox failed; trying again");
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = stop.wait_for(|s| *s) => {}
        }
    }
}

/// One connection: log in, then rounds until `stop` or an error.
async fn read_mailbox(
    state: &AppState,
    url: &MailboxUrl,
    stop: &mut watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let tcp = tokio::time::timeout(
        IO_TIMEOUT,
        TcpStream::connect((url.host.as_str(), url.port)),
    )
    .await
    .context("connecting to the IMAP server timed out")?
    .context("connecting to the IMAP server")?;
    if url.tls {
        let connector = TlsConnector::from(tls_config()?);
        let name = rustls::pki_types::ServerName::try_from(url.host.clone())
            .context("the IMAP host is not a valid TLS server name")?;
        let tls = tokio::time::timeout(IO_TIMEOUT, connector.connect(name, tcp))
            .await
            .context("the TLS handshake with the IMAP server timed out")?
            .context("the TLS handshake with the IMAP server")?;
        with_stream(state, url, tls, stop).await
    } else {
        with_stream(state, url, tcp, stop).await
    }
}

fn tls_config() -> anyhow::Result<Arc<ClientConfig>> {
    let roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let config =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .context("TLS protocol versions")?
            .with_root_certificates(roots)
            .with_no_client_auth();
    Ok(Arc::new(config))
}

async fn with_stream<T>(
    state: &AppState,
    url: &MailboxUrl,
    stream: T,
    stop: &mut watch::Receiver<bool>,
) -> anyhow::Result<()>
where
    T: AsyncRead + AsyncWrite + Unpin + std::fmt::Debug + Send + 'static,
{
    let mut client = async_imap::Client::new(stream);
    tokio::time::timeout(IO_TIMEOUT, client.read_response())
        .await
        .context("the IMAP server sent no greeting")?
        .context("reading the IMAP greeting")?;
    let mut session = tokio::time::timeout(IO_TIMEOUT, client.login(&url.user, &url.password))
        .await
        .context("logging in to the IMAP server timed out")?
        // The error names the server's answer, never the password.
        .map_err(|(e, _)| anyhow::anyhow!("logging in to the IMAP server: {e}"))?;
    let idle = session
        .capabilities()
        .await
        .context("asking the IMAP server's capabilities")?
        .has_str("IDLE");
    let mailbox = session
        .select(&url.mailbox)
        .await
        .with_context(|| format!("opening the folder {}", url.mailbox))?;
    let validity = mailbox.uid_validity.unwrap_or(0);
    let wait = Duration::from_secs(state.settings.imap_poll_seconds.max(1));
    loop {
        round(state, &mut session, validity).await?;
        state.metrics.job_ran("mail_intake", false);
        if *stop.borrow() {
            break;
        }
        if idle {
            let mut handle = session.idle();
            handle.init().await.context("starting IDLE")?;
            let (waiting, interrupt) = handle.wait_with_timeout(wait);
            let stopped = tokio::select! {
                r = waiting => { r.context("waiting in IDLE")?; false }
                _ = stop.wait_for(|s| *s) => true,
            };
            drop(interrupt);
            session = handle.done().await.context("ending IDLE")?;
            if stopped {
                break;
            }
        } else {
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = stop.wait_for(|s| *s) => break,
            }
        }
    }
    session.logout().await.ok();
    Ok(())
}

/// Handles every message not yet marked done.
async fn round<T>(state: &AppState, session: &mut Session<T>, validity: u32) -> anyhow::Result<()>
where
    T: AsyncRead + AsyncWrite + Unpin + std::fmt::Debug + Send,
{
    let mut uids: Vec<u32> = session
        .uid_search(format!("UNKEYWORD {DONE_KEYWORD}"))
        .await
        .context("searching the mailbox")?
        .into_iter()
        .collect();
    uids.sort_unstable();
    uids.truncate(MAX_PER_ROUND);
    // At most one byte more than a message may have: a larger message is
    // never downloaded whole, and what arrived is too long to be read, so
    // it is kept aside (unreadable, with its start) for an admin.
    let query = format!("BODY.PEEK[]<0.{}>", inbound::MAX_MESSAGE_BYTES + 1);
    for uid in uids {
        let raw = {
            let fetches: Vec<_> = session
                .uid_fetch(uid.to_string(), &query)
                .await
                .context("fetching a message")?
                .try_collect()
                .await
                .context("reading a message")?;
            fetches.iter().find_map(|f| f.body().map(<[u8]>::to_vec))
        };
        let Some(raw) = raw else { continue };
        let key = format!("imap:{validity}:{uid}");
        match inbox::handle(&state.db, &state.settings, &key, &raw).await {
            Ok(handled) => {
                if let Handled::Now(status, reason) = handled {
                    tracing::info!(
                        status = status.as_str(),
                        reason = reason.map(|r| r.as_str()),
                        "a message of the reply mailbox was handled"
                    );
                }
                let _: Vec<_> = session
                    .uid_store(uid.to_string(), format!("+FLAGS (\\Seen {DONE_KEYWORD})"))
                    .await
                    .context("marking a message done")?
                    .try_collect()
                    .await
                    .context("marking a message done")?;
            }
            Err(e) => {
                // Left unmarked: the next round tries again.
                tracing::warn!(error = ?e, "a message of the reply mailbox could not be handled");
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tls_configuration_builds_with_ring_and_the_mozilla_roots() {
        let config = tls_config().expect("a TLS configuration");
        assert!(!config.alpn_protocols.contains(&b"h2".to_vec()));
    }
}
