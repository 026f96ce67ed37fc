//! Where outbox messages go: an SMTP server, through lettre connections
//! kept open in a pool here ([`SmtpPool`]), or `.eml` files in the spool
//! folder when no SMTP server is configured.
//!
//! Rule: no database here. The delivery worker (`services::delivery`)
//! claims messages, hands each to [`Transport::send`] and records the
//! result; `Ok` from a send means the server (or the folder) took the
//! message, and [`SendError::transient`] says whether trying again later can
//! help.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lettre::Address;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use uuid::Uuid;

use crate::config::Settings;

/// Messages handed to SMTP at once (and connections kept in the SMTP pool).
pub const CONCURRENCY: usize = 8;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// A pooled connection idle this long is closed.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// A pooled connection idle this long is checked with `NOOP` before use.
const CHECK_AFTER: Duration = Duration::from_secs(2);

/// Where messages go.
#[derive(Clone)]
pub enum Transport {
    Smtp(Arc<SmtpPool>),
    Spool(std::path::PathBuf),
}

/// Why a send did not succeed.
#[derive(Debug)]
pub struct SendError {
    /// Worth trying again later (a 4xx, a network error, a timeout).
    pub transient: bool,
    pub text: String,
}

impl SendError {
    pub fn transient(text: impl Into<String>) -> Self {
        Self {
            transient: true,
            text: text.into(),
        }
    }

    pub fn permanent(text: impl Into<String>) -> Self {
        Self {
            transient: false,
            text: text.into(),
        }
    }
}

impl From<lettre::transport::smtp::Error> for SendError {
    fn from(e: lettre::transport::smtp::Error) -> Self {
        Self {
            transient: !e.is_permanent(),
            text: e.to_string(),
        }
    }
}

impl Transport {
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        match settings.smtp() {
            Some(url) => Ok(Self::Smtp(Arc::new(SmtpPool::from_url(url)?))),
            None => Ok(Self::Spool(settings.mail_spool_dir.clone())),
        }
    }

    /// Hands message `id`, formatted as `raw`, to the SMTP server (envelope
    /// from `from` to `recipient`) or writes it into the spool folder. `Ok`
    /// means it was taken.
    pub async fn send(
        &self,
        from: Option<&str>,
        id: Uuid,
        recipient: &str,
        raw: &str,
    ) -> Result<(), SendError> {
        match self {
            Self::Spool(dir) => {
                let path = dir.join(format!("{id}.eml"));
                let tmp = dir.join(format!(".{id}.eml.tmp"));
                // Write then rename, so a reader never sees half a message.
                tokio::fs::write(&tmp, raw.as_bytes())
                    .await
                    .and(tokio::fs::rename(&tmp, &path).await)
                    .map_err(|e| SendError::transient(format!("writing to the spool folder: {e}")))
            }
            Self::Smtp(pool) => {
                let from: Address = from
                    .ok_or_else(|| SendError::permanent("mail_from is not an email address"))?
                    .parse()
                    .map_err(|e| SendError::permanent(format!("bad from address: {e}")))?;
                let to: Address = recipient
                    .parse()
                    .map_err(|e| SendError::permanent(format!("bad recipient address: {e}")))?;
                pool.send(&from, &to, raw).await
            }
        }
    }

    /// Says goodbye (`QUIT`) on the pooled SMTP connections.
    pub async fn close(&self) {
        if let Self::Smtp(pool) = self {
            pool.close().await;
        }
    }
}

/// TLS as `smtp_url` asks for it.
#[derive(Clone)]
enum TlsMode {
    None,
    /// `smtp://…?tls=opportunistic`: STARTTLS when offered.
    Opportunistic(TlsParameters),
    /// `smtp://…?tls=required`: STARTTLS or nothing.
    Required(TlsParameters),
    /// `smtps://`: TLS from the first byte.
    Wrapper(TlsParameters),
}

/// SMTP connections to one server, kept open between messages.
///
/// lettre does the connecting (TLS, STARTTLS, EHLO, AUTH) and speaks each
/// command; this pool replaces lettre's own pool and `send` for one reason:
/// lettre writes a message's content and its final `CRLF.CRLF` as two
/// separate small writes on a socket without `TCP_NODELAY`, so Nagle's
/// algorithm holds the terminator until the server's delayed ACK (40 ms on
/// Linux): about 20 messages per second per connection. Here the content,
/// dot-stuffed, and the terminator go out in one write.
pub struct SmtpPool {
    host: String,
    port: u16,
    tls: TlsMode,
    hello: ClientId,
    credentials: Option<Credentials>,
    idle: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
}

impl SmtpPool {
    /// Reads the URL forms lettre's `from_url` reads: `smtp://host[:25]`,
    /// `smtp://host[:587]?tls=required|opportunistic`, `smtps://host[:465]`,
    /// with optional `user:password@` and `/ehlo-name`.
    pub fn from_url(raw: &str) -> anyhow::Result<Self> {
        let url = url::Url::parse(raw).map_err(|e| anyhow::anyhow!("reading smtp_url: {e}"))?;
        let host = url
            .host_str()
            .ok_or_else(|| anyhow::anyhow!("smtp_url has no host"))?
            .trim_matches(['[', ']'])
            .to_owned();
        let tls_param = url
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.into_owned());
        let params = || {
            TlsParameters::new(host.clone()).map_err(|e| anyhow::anyhow!("TLS for smtp_url: {e}"))
        };
        let (tls, default_port) = match (url.scheme(), tls_param.as_deref()) {
            ("smtp", None) => (TlsMode::None, 25),
            ("smtp", Some("opportunistic")) => (TlsMode::Opportunistic(params()?), 587),
            ("smtp", Some("required")) => (TlsMode::Required(params()?), 587),
            ("smtps", _) => (TlsMode::Wrapper(params()?), 465),
            (scheme, tls) => anyhow::bail!(
                "smtp_url: unknown scheme {scheme:?} or tls={tls:?} (smtp, smtps; tls=required|opportunistic)"
            ),
        };
        let path = url.path().trim_matches('/');
        let hello = if path.is_empty() {
            ClientId::default()
        } else {
            ClientId::Domain(path.to_owned())
        };
        let credentials = match url.password() {
            Some(password) => Some(Credentials::new(
                percent_decode(url.username())?,
                percent_decode(password)?,
            )),
            None => None,
        };
        Ok(Self {
            port: url.port().unwrap_or(default_port),
            host,
            tls,
            hello,
            credentials,
            idle: Mutex::new(Vec::new()),
        })
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, lettre::transport::smtp::Error> {
        let wrapper = match &self.tls {
            TlsMode::Wrapper(p) => Some(p.clone()),
            _ => None,
        };
        let mut conn = AsyncSmtpConnection::connect_tokio1(
            (self.host.as_str(), self.port),
            Some(CONNECT_TIMEOUT),
            &self.hello,
            wrapper,
            None,
        )
        .await?;
        match &self.tls {
            TlsMode::Opportunistic(p) if conn.can_starttls() => {
                conn.starttls(p.clone(), &self.hello).await?;
            }
            TlsMode::Required(p) => conn.starttls(p.clone(), &self.hello).await?,
            _ => {}
        }
        if let Some(credentials) = &self.credentials {
            conn.auth(DEFAULT_MECHANISMS, credentials).await?;
        }
        Ok(conn)
    }

    /// An idle connection (checked with `NOOP` if it idled a while), or a new
    /// one; `true` when reused.
    async fn checkout(
        &self,
    ) -> Result<(AsyncSmtpConnection, bool), lettre::transport::smtp::Error> {
        loop {
            let idle = self.idle.lock().ok().and_then(|mut v| v.pop());
            match idle {
                None => return Ok((self.connect().await?, false)),
                Some((mut conn, since)) => {
                    let idled = since.elapsed();
                    if idled >= IDLE_TIMEOUT
                        || (idled >= CHECK_AFTER && !conn.test_connected().await)
                    {
                        conn.abort().await;
                        continue;
                    }
                    return Ok((conn, true));
                }
            }
        }
    }

    fn checkin(&self, conn: AsyncSmtpConnection) {
        if conn.has_broken() {
            return;
        }
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < CONCURRENCY
        {
            idle.push((conn, Instant::now()));
        }
    }

    async fn send(&self, from: &Address, to: &Address, raw: &str) -> Result<(), SendError> {
        let (mut conn, reused) = self.checkout().await?;
        let result = match transact(&mut conn, from, to, raw).await {
            // A pooled connection the server had closed fails at MAIL, before
            // anything was handed over: try once more on a new connection.
            Err(Failure::AtMail(e)) if reused && !e.is_permanent() && !e.is_transient() => {
                conn.abort().await;
                conn = self.connect().await?;
                transact(&mut conn, from, to, raw).await
            }
            other => other,
        };
        match result {
            Ok(()) => {
                self.checkin(conn);
                Ok(())
            }
            Err(failure) => {
                conn.abort().await;
                Err(failure.into())
            }
        }
    }

    async fn close(&self) {
        let idle: Vec<_> = self
            .idle
            .lock()
            .map(|mut v| v.drain(..).collect())
            .unwrap_or_default();
        for (mut conn, _) in idle {
            let _ = tokio::time::timeout(Duration::from_secs(2), conn.quit()).await;
        }
    }
}

/// Where an SMTP transaction failed.
enum Failure {
    AtMail(lettre::transport::smtp::Error),
    Later(lettre::transport::smtp::Error),
    Refused(String),
}

impl From<Failure> for SendError {
    fn from(f: Failure) -> Self {
        match f {
            Failure::AtMail(e) | Failure::Later(e) => e.into(),
            Failure::Refused(text) => SendError::permanent(text),
        }
    }
}

/// `MAIL FROM`, `RCPT TO`, `DATA`, then the content and its terminator in
/// one write.
async fn transact(
    conn: &mut AsyncSmtpConnection,
    from: &Address,
    to: &Address,
    raw: &str,
) -> Result<(), Failure> {
    let mut options = Vec::new();
    if !(AsRef::<str>::as_ref(from).is_ascii() && AsRef::<str>::as_ref(to).is_ascii()) {
        if !conn.server_info().supports_feature(Extension::SmtpUtfEight) {
            return Err(Failure::Refused(
                "the SMTP server does not take non-ASCII addresses (no SMTPUTF8)".into(),
            ));
        }
        options.push(MailParameter::SmtpUtfEight);
    }
    if !raw.is_ascii() {
        if !conn.server_info().supports_feature(Extension::EightBitMime) {
            return Err(Failure::Refused(
                "the SMTP server does not take 8-bit content (no 8BITMIME)".into(),
            ));
        }
        options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
    }
    conn.command(Mail::new(Some(from.clone()), options))
        .await
        .map_err(Failure::AtMail)?;
    conn.command(Rcpt::new(to.clone(), Vec::new()))
        .await
        .map_err(Failure::Later)?;
    conn.command(Data).await.map_err(Failure::Later)?;
    conn.command(dot_stuffed(raw))
        .await
        .map_err(Failure::Later)?;
    Ok(())
}

/// The content as sent after `DATA`: a `.` starting a line doubled, then
/// `CRLF.CRLF`.
fn dot_stuffed(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 64);
    let mut line_start = true;
    let mut prev = '\0';
    for c in raw.chars() {
        if line_start && c == '.' {
            out.push('.');
        }
        out.push(c);
        line_start = prev == '\r' && c == '\n';
        prev = c;
    }
    if !out.ends_with("\r\n") {
        out.push_str("\r\n");
    }
    out.push_str(".\r\n");
    out
}

/// `%XX` escapes of the user name and password in `smtp_url`.
fn percent_decode(s: &str) -> anyhow::Result<String> {
    let hex = |b: u8| (b as char).to_digit(16);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) => hex(h).zip(hex(l)).map(|(h, l)| (h * 16 + l) as u8),
            _ => None,
        };
        match escaped {
            Some(b) => {
                out.push(b);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| anyhow::anyhow!("smtp_url: credentials are not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_is_dot_stuffed_and_terminated_once() {
        assert_eq!(dot_stuffed("a\r\n.b\r\n"), "a\r\n..b\r\n.\r\n");
        assert_eq!(dot_stuffed(".x"), "..x\r\n.\r\n");
        assert_eq!(dot_stuffed("a.\r\nb"), "a.\r\nb\r\n.\r\n");
        assert_eq!(dot_stuffed("a\n.b"), "a\n.b\r\n.\r\n");
    }

    #[test]
    fn smtp_urls_are_read_like_lettre_reads_them() {
        let p = SmtpPool::from_url("smtp://127.0.0.1:2525").expect("plain");
        assert_eq!((p.host.as_str(), p.port), ("127.0.0.1", 2525));
        assert!(matches!(p.tls, TlsMode::None) && p.credentials.is_none());
        let p = SmtpPool::from_url("smtp://u%40x:p%3Aw@mail.court.kz?tls=required").expect("tls");
        assert_eq!(p.port, 587);
        assert!(matches!(p.tls, TlsMode::Required(_)));
        assert_eq!(
            p.credentials,
            Some(Credentials::new("u@x".into(), "p:w".into()))
        );
        assert_eq!(
            SmtpPool::from_url("smtps://mail.court.kz")
                .expect("smtps")
                .port,
            465
        );
        assert!(SmtpPool::from_url("http://mail.court.kz").is_err());
    }
}
