//! A real SMTP server for tests: a small Python script on aiosmtpd
//! (`pip install -r tests/requirements.txt`) listening on loopback, writing
//! each message it accepts, byte for byte, as a `.eml` file into a folder.
//!
//! It can be stopped and started again on the same port and folder (to play
//! an SMTP outage), made slow, made to hold every message after the first
//! few (it never answers them, so the sender cannot know whether they were
//! taken), and made to refuse some recipients with a permanent `550`.

use std::io::ErrorKind;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SCRIPT: &str = r#"
import argparse, asyncio, os, sys, time
from aiosmtpd.smtp import SMTP

p = argparse.ArgumentParser()
p.add_argument("--port", type=int, required=True)
p.add_argument("--dir", required=True)
p.add_argument("--delay-ms", type=int, default=0)
p.add_argument("--hold-after", type=int, default=-1)
p.add_argument("--reject", action="append", default=[])
args = p.parse_args()

class Handler:
    def __init__(self):
        self.accepted = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if any(r in address for r in args.reject):
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if args.delay_ms:
            await asyncio.sleep(args.delay_ms / 1000)
        if 0 <= args.hold_after <= self.accepted:
            # Never answer: the client cannot tell whether it was taken.
            await asyncio.Event().wait()
        self.accepted += 1
        name = "%020d-%d-%06d.eml" % (time.time_ns(), os.getpid(), self.accepted)
        tmp = os.path.join(args.dir, "." + name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(envelope.original_content)
        os.rename(tmp, os.path.join(args.dir, name))
        return "250 OK queued"

async def main():
    loop = asyncio.get_running_loop()
    handler = Handler()
    await loop.create_server(
        lambda: SMTP(handler, hostname="smtp.kelisim.test", timeout=120),
        host="127.0.0.1", port=args.port, reuse_address=True)
    print("ready", flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"#;

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

/// A running aiosmtpd; killed when dropped.
pub struct SmtpServer {
    dir: PathBuf,
    port: u16,
    child: Option<Child>,
    work: tempfile::TempDir,
}

impl SmtpServer {
    /// Starts a server that accepts everything, writing into `dir`.
    pub fn start(dir: &Path) -> Self {
        Self::start_with(dir, SmtpOptions::default())
    }

    pub fn start_with(dir: &Path, options: SmtpOptions) -> Self {
        std::fs::create_dir_all(dir).expect("create the SMTP folder");
        let work = tempfile::tempdir().expect("temp dir");
        std::fs::write(work.path().join("smtp_server.py"), SCRIPT).expect("write the script");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let mut server = Self {
            dir: dir.to_owned(),
            port,
            child: None,
            work,
        };
        server.start_again(options);
        server
    }

    /// Starts the server again on the same port and folder (after [`stop`]).
    ///
    /// [`stop`]: Self::stop
    pub fn start_again(&mut self, options: SmtpOptions) {
        assert!(self.child.is_none(), "the SMTP server is already running");
        let log = std::fs::File::create(self.work.path().join("smtp.log")).expect("log file");
        let mut cmd = Command::new("python3");
        cmd.arg(self.work.path().join("smtp_server.py"))
            .arg("--port")
            .arg(self.port.to_string())
            .arg("--dir")
            .arg(&self.dir)
            .arg("--delay-ms")
            .arg(options.delay_ms.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log));
        if let Some(n) = options.hold_after {
            cmd.arg("--hold-after").arg(n.to_string());
        }
        for r in &options.reject {
            cmd.arg("--reject").arg(r);
        }
        let mut child = cmd.spawn().expect("start python3 (aiosmtpd)");
        let start = Instant::now();
        loop {
            if let Some(status) = child.try_wait().expect("poll the SMTP server") {
                let log =
                    std::fs::read_to_string(self.work.path().join("smtp.log")).unwrap_or_default();
                panic!("the SMTP server exited ({status}):\n{log}");
            }
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                break;
            }
            if start.elapsed() > Duration::from_secs(15) {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the SMTP server did not listen on port {}", self.port);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.child = Some(child);
    }

    /// Kills the server and waits for it; the port refuses connections after.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
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
