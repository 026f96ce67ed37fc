//! A real SMTP server for tests, listening on loopback in the test process and
//! writing each message it accepts, byte for byte, as a `.eml` file into a
//! folder, in arrival order.
//!
//! The protocol (commands, replies, the state machine, dot-unstuffing) is the
//! `mailin` crate's; what is written here is the glue it leaves to its user:
//! the listener, one thread per connection, and the test behaviours. The
//! server can be stopped and started again on the same port and folder (an
//! SMTP outage: the listener is closed and every open connection dropped, so
//! the port refuses connections), made slow, made to hold every message after
//! the first few (it never answers them, so the sender cannot know whether
//! they were taken), and made to refuse some recipients with a permanent
//! `550`. `mailin-embedded` runs the same engine but can be neither stopped
//! nor made to drop its connections, hence the glue.
//!
//! Rules a newcomer must not break:
//! - A message is answered `250` only after its file is in place (written to
//!   a temporary name, then renamed), so a sender that saw `250` finds it.
//! - Lines are split at CRLF only, as RFC 5321 defines them: a bare LF inside
//!   a message is content, and a `.` after it is not unstuffed.
//! - A stopped server answers nothing more, not even a message it was in the
//!   middle of accepting.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, ErrorKind, Write};
use std::net::{IpAddr, Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use mailin::{Action, Handler, Response, SessionBuilder};

/// How the server behaves.
#[derive(Debug, Clone, Default)]
pub struct SmtpOptions {
    /// Wait this long before accepting each message.
    pub delay_ms: u64,
    /// After this many accepted messages, never answer another one.
    pub hold_after: Option<usize>,
    /// Refuse (550) recipients containing any of these.
    pub reject: Vec<String>,
}

/// A running server; stopped when dropped.
pub struct SmtpServer {
    dir: PathBuf,
    port: u16,
    /// Number of the next file, kept across restarts so names stay in
    /// arrival order.
    next_file: Arc<Mutex<u64>>,
    running: Option<Running>,
}

struct Running {
    shared: Arc<Shared>,
    acceptor: JoinHandle<()>,
}

/// What the listener and the connections of one run share.
struct Shared {
    dir: PathBuf,
    options: SmtpOptions,
    next_file: Arc<Mutex<u64>>,
    /// Messages accepted in this run (for `hold_after`).
    accepted: Mutex<usize>,
    stopped: Mutex<bool>,
    /// Signalled when the server stops: wakes held and delayed messages.
    stopping: Condvar,
    /// Open connections, to be shut down on stop.
    connections: Mutex<HashMap<u64, (TcpStream, JoinHandle<()>)>>,
    next_connection: AtomicU64,
}

impl SmtpServer {
    /// Starts a server that accepts everything, writing into `dir`.
    pub fn start(dir: &Path) -> Self {
        Self::start_with(dir, SmtpOptions::default())
    }

    pub fn start_with(dir: &Path, options: SmtpOptions) -> Self {
        std::fs::create_dir_all(dir).expect("create the SMTP folder");
        let listener = TcpListener::bind("127.0.0.1:0").expect("listen on a free loopback port");
        let port = listener.local_addr().expect("the listening address").port();
        let mut server = Self {
            dir: dir.to_owned(),
            port,
            next_file: Arc::new(Mutex::new(0)),
            running: None,
        };
        // After whatever the folder already holds.
        *lock(&server.next_file) = server
            .files()
            .iter()
            .filter_map(|p| p.file_stem()?.to_str()?.parse::<u64>().ok())
            .max()
            .map_or(0, |n| n + 1);
        server.run(listener, options);
        server
    }

    /// Starts the server again on the same port and folder (after [`stop`]).
    ///
    /// [`stop`]: Self::stop
    pub fn start_again(&mut self, options: SmtpOptions) {
        assert!(self.running.is_none(), "the SMTP server is already running");
        // std sets SO_REUSEADDR, so connections of the last run that linger
        // in TIME_WAIT do not keep the port.
        let listener = TcpListener::bind(("127.0.0.1", self.port))
            .unwrap_or_else(|e| panic!("listen again on port {}: {e}", self.port));
        self.run(listener, options);
    }

    fn run(&mut self, listener: TcpListener, options: SmtpOptions) {
        // Polled, so that a stop needs nothing from outside to wake it.
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let shared = Arc::new(Shared {
            dir: self.dir.clone(),
            options,
            next_file: self.next_file.clone(),
            accepted: Mutex::new(0),
            stopped: Mutex::new(false),
            stopping: Condvar::new(),
            connections: Mutex::new(HashMap::new()),
            next_connection: AtomicU64::new(0),
        });
        let acceptor = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name(format!("smtp-{}", self.port))
                .spawn(move || accept(listener, &shared))
                .expect("start the SMTP listener thread")
        };
        self.running = Some(Running { shared, acceptor });
    }

    /// Stops the server: closes the listener, so the port refuses
    /// connections, and drops every open connection without another word.
    /// Returns once all of that has happened.
    pub fn stop(&mut self) {
        let Some(Running { shared, acceptor }) = self.running.take() else {
            return;
        };
        *lock(&shared.stopped) = true;
        shared.stopping.notify_all();
        // The listener is dropped when its thread ends.
        acceptor.join().expect("the SMTP listener thread");
        let open: Vec<_> = lock(&shared.connections).drain().map(|(_, c)| c).collect();
        for (stream, _) in &open {
            let _ = stream.shutdown(Shutdown::Both);
        }
        for (_, thread) in open {
            thread.join().expect("an SMTP connection thread");
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `smtp://127.0.0.1:<port>` (plain SMTP, no TLS).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every message received so far, in arrival order, as received.
    pub fn messages(&self) -> Vec<Vec<u8>> {
        self.files()
            .iter()
            .map(|p| std::fs::read(p).expect("read a received message"))
            .collect()
    }

    /// How many messages have been received.
    pub fn count(&self) -> usize {
        self.files().len()
    }

    /// Waits until at least `n` messages have been received; fails the test
    /// if they have not within `within`.
    pub async fn wait_for_count(&self, n: usize, within: Duration) {
        super::wait_until(&format!("{n} messages at the SMTP server"), within, || {
            std::future::ready(self.count() >= n)
        })
        .await;
    }

    fn files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.extension().is_some_and(|e| e == "eml")
                        && !p
                            .file_name()
                            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
                })
                .collect(),
            Err(e) if e.kind() == ErrorKind::NotFound => Vec::new(),
            Err(e) => panic!("reading {}: {e}", self.dir.display()),
        };
        files.sort();
        files
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking connection thread must not take the whole server down.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Shared {
    fn is_stopped(&self) -> bool {
        *lock(&self.stopped)
    }

    /// Waits until the server stops or `limit` passes; `true` if stopped.
    fn wait_for_stop(&self, limit: Option<Duration>) -> bool {
        let stopped = lock(&self.stopped);
        match limit {
            Some(limit) => {
                let (stopped, _) = self
                    .stopping
                    .wait_timeout_while(stopped, limit, |s| !*s)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                *stopped
            }
            None => {
                let stopped = self
                    .stopping
                    .wait_while(stopped, |s| !*s)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                *stopped
            }
        }
    }
}

/// How often the listener looks for a new connection or a stop. Senders keep
/// their connections open between messages, so this delays few of them.
const ACCEPT_POLL: Duration = Duration::from_millis(10);

/// Accepts connections until the server stops, then drops the listener.
fn accept(listener: TcpListener, shared: &Arc<Shared>) {
    while !shared.is_stopped() {
        match listener.accept() {
            Ok((stream, peer)) => {
                let _ = stream.set_nonblocking(false);
                let _ = stream.set_nodelay(true);
                let Ok(handle) = stream.try_clone() else {
                    continue;
                };
                let id = shared.next_connection.fetch_add(1, Ordering::Relaxed);
                let thread = {
                    let shared = shared.clone();
                    std::thread::spawn(move || {
                        converse(stream, peer.ip(), &shared);
                        lock(&shared.connections).remove(&id);
                    })
                };
                lock(&shared.connections).insert(id, (handle, thread));
            }
            // Nothing waiting (or a connection gone before it was taken).
            Err(_) => std::thread::sleep(ACCEPT_POLL),
        }
    }
}

/// One SMTP conversation: lines in, `mailin` decides, replies out.
fn converse(stream: TcpStream, peer: IpAddr, shared: &Arc<Shared>) {
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut writer = stream;
    let handler = Receiver {
        shared: shared.clone(),
        message: Vec::new(),
    };
    let mut session = SessionBuilder::new("smtp.kelisim.test").build(peer, handler);
    if reply(&mut writer, &session.greeting()).is_err() {
        return;
    }
    let mut line = Vec::new();
    loop {
        line.clear();
        match read_line(&mut reader, &mut line) {
            Ok(true) => {}
            Ok(false) | Err(_) => return,
        }
        let response = session.process(&line);
        if shared.is_stopped() {
            return;
        }
        match response.action {
            Action::Reply => {
                if reply(&mut writer, &response).is_err() {
                    return;
                }
            }
            Action::Close => {
                let _ = reply(&mut writer, &response);
                return;
            }
            Action::NoReply => {}
            // STARTTLS is not offered.
            Action::UpgradeTls => return,
        }
    }
}

/// Reads one line ending in CRLF into `line` (a bare LF stays inside the
/// line); `false` at the end of the stream.
fn read_line(reader: &mut impl BufRead, line: &mut Vec<u8>) -> std::io::Result<bool> {
    loop {
        if reader.read_until(b'\n', line)? == 0 {
            return Ok(false);
        }
        if line.ends_with(b"\r\n") {
            return Ok(true);
        }
    }
}

fn reply(writer: &mut TcpStream, response: &Response) -> std::io::Result<()> {
    // One write per reply.
    let bytes = response.buffer()?;
    writer.write_all(&bytes)?;
    writer.flush()
}

/// The decisions of one connection.
struct Receiver {
    shared: Arc<Shared>,
    message: Vec<u8>,
}

impl Handler for Receiver {
    fn rcpt(&mut self, to: &str) -> Response {
        if self.shared.options.reject.iter().any(|r| to.contains(r)) {
            return Response::custom(550, format!("5.1.1 <{to}>: mailbox unavailable"));
        }
        mailin::response::OK
    }

    fn data_start(
        &mut self,
        _domain: &str,
        _from: &str,
        _is8bit: bool,
        _to: &[String],
    ) -> Response {
        self.message.clear();
        mailin::response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.message.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let shared = self.shared.clone();
        let options = &shared.options;
        if options.delay_ms > 0
            && shared.wait_for_stop(Some(Duration::from_millis(options.delay_ms)))
        {
            return NOT_ANSWERED;
        }
        // One message at a time from here: the count for `hold_after` and the
        // file names follow the order of acceptance.
        let mut next_file = lock(&shared.next_file);
        let mut accepted = lock(&shared.accepted);
        if options.hold_after.is_some_and(|n| *accepted >= n) {
            drop(accepted);
            drop(next_file);
            // Never answer: the sender cannot tell whether it was taken.
            shared.wait_for_stop(None);
            return NOT_ANSWERED;
        }
        let name = format!("{:08}.eml", *next_file);
        let temporary = shared.dir.join(format!(".{name}.tmp"));
        let written = std::fs::write(&temporary, &self.message)
            .and_then(|()| std::fs::rename(&temporary, shared.dir.join(&name)));
        self.message.clear();
        match written {
            Ok(()) => {
                *next_file += 1;
                *accepted += 1;
                Response::custom(250, "2.0.0 OK queued".into())
            }
            Err(e) => Response::custom(451, format!("4.3.0 writing the message: {e}")),
        }
    }
}

/// Returned by the handler when the server stopped; [`converse`] sends
/// nothing once stopped, so its text never reaches anyone.
const NOT_ANSWERED: Response = mailin::response::NO_SERVICE;
