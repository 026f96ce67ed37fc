//! The delivery worker: sends outbox messages through SMTP (lettre
//! connections, kept in a pool here, see [`SmtpPool`]) or writes them into the
//! spool folder when no SMTP server is configured.
//!
//! Rules:
//! - A message is **claimed** before it is sent: its status becomes `sending`
//!   with a lease (`lease_until`). On PostgreSQL the due rows are picked with
//!   `SELECT … FOR UPDATE SKIP LOCKED` in a short transaction that also writes
//!   the lease, so instances never wait for each other and never pick the same
//!   row; on SQLite one conditional `UPDATE … RETURNING` does both (the
//!   database has one writer at a time). Sending happens outside any
//!   transaction.
//! - Each message is marked `sent` right after its own SMTP acceptance, so a
//!   crash can repeat at most the messages in flight (at-least-once, never
//!   lost): their leases run out and another round sends them again.
//! - A send that cannot finish well before its lease ends is abandoned (and
//!   retried), so a slow instance never overlaps with the one that takes the
//!   message over after the lease. Results are written only while the claim
//!   is still ours (same status and lease), except `sent`, which always wins.
//! - Transient failures are retried with exponential backoff and jitter,
//!   `failed` after `delivery_max_attempts`; permanent SMTP failures (5xx) go
//!   straight to `failed`, where an admin can retry them.
//! - The worker polls every second and keeps going without waiting while
//!   rounds come back full, so a backlog drains at full speed.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use lettre::Address;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use rand::Rng;
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, TransactionTrait,
};

use crate::config::Settings;
use crate::db::now;
use crate::domain::email::mask_email;

use entity::outbox_messages::{Column, Entity, Model};

/// Messages claimed by one round.
pub const BATCH: u64 = 64;
/// Messages handed to SMTP at once (and connections kept in the SMTP pool).
pub const CONCURRENCY: usize = 8;
/// A send is abandoned this long before its lease ends.
const LEASE_MARGIN: chrono::Duration = chrono::Duration::seconds(1);
/// Longest one SMTP transaction (connecting included) may take.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);
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
struct SendError {
    /// Worth trying again later (a 4xx, a network error, a timeout).
    transient: bool,
    text: String,
}

impl SendError {
    fn transient(text: impl Into<String>) -> Self {
        Self {
            transient: true,
            text: text.into(),
        }
    }

    fn permanent(text: impl Into<String>) -> Self {
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

    async fn send(&self, from: Option<&str>, msg: &Model) -> Result<(), SendError> {
        match self {
            Self::Spool(dir) => {
                let path = dir.join(format!("{}.eml", msg.id));
                let tmp = dir.join(format!(".{}.eml.tmp", msg.id));
                // Write then rename, so a reader never sees half a message.
                tokio::fs::write(&tmp, msg.raw_message.as_bytes())
                    .await
                    .and(tokio::fs::rename(&tmp, &path).await)
                    .map_err(|e| SendError::transient(format!("writing to the spool folder: {e}")))
            }
            Self::Smtp(pool) => {
                let from: Address = from
                    .ok_or_else(|| SendError::permanent("mail_from is not an email address"))?
                    .parse()
                    .map_err(|e| SendError::permanent(format!("bad from address: {e}")))?;
                let to: Address = msg
                    .recipient
                    .parse()
                    .map_err(|e| SendError::permanent(format!("bad recipient address: {e}")))?;
                pool.send(&from, &to, &msg.raw_message).await
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

/// Delay before attempt `attempts + 1`: base × 2^(attempts-1), ±20 % jitter.
pub fn backoff(base_seconds: u64, attempts: u32) -> chrono::Duration {
    let exp = Ord::min(attempts.saturating_sub(1), 16);
    let secs = Ord::max(base_seconds, 1).saturating_mul(1u64 << exp) as f64;
    let jitter = rand::rng().random_range(0.8..1.2);
    chrono::Duration::milliseconds((secs * jitter * 1000.0) as i64)
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    /// Messages claimed (at most [`BATCH`]).
    pub claimed: usize,
    /// Of those, accepted by the SMTP server (or written to the spool folder).
    pub sent: usize,
}

/// Everything a sender needs, cheap to clone into tasks.
#[derive(Clone)]
struct Sender {
    db: DatabaseConnection,
    transport: Transport,
    /// The envelope sender: the address of `mail_from`.
    from: Option<String>,
    retry_base_seconds: u64,
    max_attempts: i32,
}

/// Claims and sends the messages that are due, one round of at most
/// [`BATCH`]; returns how many were sent.
pub async fn deliver_due(
    db: &DatabaseConnection,
    settings: &Settings,
    transport: &Transport,
) -> anyhow::Result<usize> {
    Ok(deliver_round(db, settings, transport).await?.sent)
}

/// One round: claim up to [`BATCH`] due messages, send them
/// [`CONCURRENCY`] at a time, record each result as soon as it is known.
pub async fn deliver_round(
    db: &DatabaseConnection,
    settings: &Settings,
    transport: &Transport,
) -> anyhow::Result<Round> {
    let at = now();
    let lease = chrono::Duration::seconds(
        i64::try_from(Ord::max(settings.delivery_lease_seconds, 2)).unwrap_or(60),
    );
    let lease_until = at + lease;
    let claimed = claim(db, at, lease_until, BATCH).await?;
    if claimed.is_empty() {
        return Ok(Round::default());
    }
    let count = claimed.len();
    let sender = Sender {
        db: db.clone(),
        transport: transport.clone(),
        from: settings
            .mail_from
            .parse::<lettre::message::Mailbox>()
            .map(|m| m.email.to_string())
            .ok(),
        retry_base_seconds: settings.delivery_retry_base_seconds,
        max_attempts: i32::try_from(settings.delivery_max_attempts).unwrap_or(8),
    };
    let queue = Arc::new(Mutex::new(claimed.into_iter()));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..CONCURRENCY.min(count) {
        let queue = queue.clone();
        let sender = sender.clone();
        workers.spawn(async move {
            let mut sent = 0;
            loop {
                let next = queue.lock().map(|mut q| q.next()).unwrap_or(None);
                let Some(msg) = next else { break };
                match sender.deliver(msg, lease_until).await {
                    Ok(true) => sent += 1,
                    Ok(false) => {}
                    Err(e) => {
                        // The rest keeps its lease and is sent again after it.
                        tracing::warn!(error = %e, "recording a delivery result failed");
                        break;
                    }
                }
            }
            sent
        });
    }
    let mut sent = 0;
    while let Some(joined) = workers.join_next().await {
        match joined {
            Ok(n) => sent += n,
            Err(e) => tracing::error!(error = %e, "a delivery task panicked"),
        }
    }
    Ok(Round {
        claimed: count,
        sent,
    })
}

/// A message may be claimed: pending and due, or `sending` with a lease that
/// ran out (its sender died).
fn claimable(at: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(
            Column::Status
                .eq("pending")
                .and(Column::NextAttemptAt.lte(at)),
        )
        .add(Column::Status.eq("sending").and(Column::LeaseUntil.lt(at)))
}

/// Claims up to `limit` due messages for this process until `lease_until`.
async fn claim(
    db: &DatabaseConnection,
    at: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<Model>, DbErr> {
    let mut rows = match db.get_database_backend() {
        DbBackend::Postgres => {
            let txn = db.begin().await?;
            let mut rows = Entity::find()
                .filter(claimable(at))
                .order_by_asc(Column::NextAttemptAt)
                .limit(limit)
                .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
                .all(&txn)
                .await?;
            if !rows.is_empty() {
                Entity::update_many()
                    .col_expr(Column::Status, Expr::value("sending"))
                    .col_expr(Column::LeaseUntil, Expr::value(lease_until))
                    .filter(Column::Id.is_in(rows.iter().map(|m| m.id)))
                    .exec(&txn)
                    .await?;
            }
            txn.commit().await?;
            for m in &mut rows {
                m.status = "sending".into();
                m.lease_until = Some(lease_until);
            }
            rows
        }
        _ => {
            // One statement: SQLite runs it under its single write lock, so two
            // processes can never both match a row.
            let due = Entity::find()
                .select_only()
                .column(Column::Id)
                .filter(claimable(at))
                .order_by_asc(Column::NextAttemptAt)
                .limit(limit)
                .into_query();
            Entity::update_many()
                .col_expr(Column::Status, Expr::value("sending"))
                .col_expr(Column::LeaseUntil, Expr::value(lease_until))
                .filter(Column::Id.in_subquery(due))
                .filter(claimable(at))
                .exec_with_returning(db)
                .await?
        }
    };
    rows.sort_by_key(|m| (m.next_attempt_at, m.id));
    Ok(rows)
}

impl Sender {
    /// Sends one claimed message and records the result; `Ok(true)` if sent.
    async fn deliver(&self, msg: Model, lease_until: DateTime<Utc>) -> Result<bool, DbErr> {
        let deadline = lease_until - LEASE_MARGIN;
        let Some(left) = (deadline - now()).to_std().ok().filter(|d| !d.is_zero()) else {
            // Too late to start: hand it back untouched, no attempt counted.
            self.release(&msg, lease_until).await?;
            return Ok(false);
        };
        let limit = left.min(SEND_TIMEOUT);
        let send = self.transport.send(self.from.as_deref(), &msg);
        let result = match tokio::time::timeout(limit, send).await {
            Ok(r) => r,
            Err(_) => Err(SendError::transient(format!(
                "no answer from the SMTP server within {:.1} s",
                limit.as_secs_f64()
            ))),
        };
        match result {
            Ok(()) => {
                self.mark_sent(&msg).await?;
                Ok(true)
            }
            Err(e) => {
                self.mark_failed(&msg, lease_until, e).await?;
                Ok(false)
            }
        }
    }

    async fn mark_sent(&self, msg: &Model) -> Result<(), DbErr> {
        // Unconditional but for `sent` itself: the message did go out, whatever
        // another instance decided after our lease.
        Entity::update_many()
            .col_expr(Column::Status, Expr::value("sent"))
            .col_expr(Column::SentAt, Expr::value(now()))
            .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
            .col_expr(
                Column::LeaseUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(Column::Id.eq(msg.id))
            .filter(Column::Status.ne("sent"))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    async fn mark_failed(
        &self,
        msg: &Model,
        lease_until: DateTime<Utc>,
        error: SendError,
    ) -> Result<(), DbErr> {
        let attempts = msg.attempts + 1;
        let give_up = !error.transient || attempts >= self.max_attempts;
        let next = now()
            + backoff(
                self.retry_base_seconds,
                u32::try_from(attempts).unwrap_or(1),
            );
        tracing::warn!(
            message_id = %msg.id,
            kind = %msg.kind,
            recipient = %mask_email(&msg.recipient),
            attempts,
            give_up,
            error = %scrub(&error.text),
            "delivery failed"
        );
        let updated = Entity::update_many()
            .col_expr(
                Column::Status,
                Expr::value(if give_up { "failed" } else { "pending" }),
            )
            .col_expr(Column::Attempts, Expr::value(attempts))
            .col_expr(Column::NextAttemptAt, Expr::value(next))
            .col_expr(Column::LastError, Expr::value(error.text))
            .col_expr(
                Column::LeaseUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(ours(msg.id, lease_until))
            .exec(&self.db)
            .await?;
        if updated.rows_affected == 0 {
            tracing::warn!(message_id = %msg.id, "the claim had been taken over; result not recorded");
        }
        Ok(())
    }

    /// Gives a claimed message back without an attempt.
    async fn release(&self, msg: &Model, lease_until: DateTime<Utc>) -> Result<(), DbErr> {
        Entity::update_many()
            .col_expr(Column::Status, Expr::value("pending"))
            .col_expr(
                Column::LeaseUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(ours(msg.id, lease_until))
            .exec(&self.db)
            .await?;
        Ok(())
    }
}

/// The message is still claimed by this round (its lease is our token).
fn ours(id: uuid::Uuid, lease_until: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(Column::Id.eq(id))
        .add(Column::Status.eq("sending"))
        .add(Column::LeaseUntil.eq(lease_until))
}

/// Masks every word of an SMTP error that looks like an email address, so
/// the log never carries one (servers echo recipients in their replies).
fn scrub(text: &str) -> String {
    text.split(' ')
        .map(|word| {
            if word.contains('@') {
                let inner = word.trim_matches(|c: char| "<>()[]\"',;:".contains(c));
                word.replace(inner, &mask_email(inner))
            } else {
                word.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs delivery rounds every second until `stop` changes; while rounds come
/// back full it goes on without waiting.
pub async fn run(
    db: DatabaseConnection,
    settings: std::sync::Arc<Settings>,
    transport: Transport,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => break,
        }
        loop {
            match deliver_round(&db, &settings, &transport).await {
                Ok(round) if round.claimed as u64 == BATCH && !*stop.borrow() => {}
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = format!("{e:#}"), "delivery round failed");
                    break;
                }
            }
        }
    }
    transport.close().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_base_with_bounded_jitter() {
        for (attempts, base) in [(1u32, 30.0), (2, 60.0), (3, 120.0)] {
            let d = backoff(30, attempts).num_milliseconds() as f64 / 1000.0;
            assert!(
                d >= base * 0.8 && d <= base * 1.2,
                "attempt {attempts}: {d}"
            );
        }
    }

    #[test]
    fn addresses_in_smtp_errors_are_masked_for_the_log() {
        let s = scrub("permanent error (550): 5.1.1 <aigerim@court.kz>: Recipient rejected");
        assert_eq!(
            s,
            "permanent error (550): 5.1.1 <a***@court.kz>: Recipient rejected"
        );
        assert_eq!(scrub("connection refused"), "connection refused");
    }

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
