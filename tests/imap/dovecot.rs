//! A real IMAP server for the tests: Dovecot from Debian's packages
//! (`apt-get install -y dovecot-imapd`), started with a configuration of
//! its own in a temporary folder — its own port on loopback, its own mail
//! folder, one user from a passwd-file — and stopped when dropped.
//!
//! Rule: a machine without Dovecot fails these tests with the command that
//! installs it; they never pass without having run.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use tokio::net::TcpStream;

use crate::common::free_port;

pub const USER: &str = "replies@kelisim.test";
const PASSWORD: &str = "a-test-mailbox-password";

/// A running Dovecot; stopped (SIGTERM, then SIGKILL) when dropped.
pub struct Dovecot {
    child: Child,
    pub port: u16,
    dir: tempfile::TempDir,
}

fn dovecot_binary() -> PathBuf {
    let mut places: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    places.extend(["/usr/sbin".into(), "/usr/local/sbin".into()]);
    places
        .into_iter()
        .map(|d| d.join("dovecot"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "these tests need Dovecot, an IMAP server: apt-get install -y dovecot-imapd \
                 (then run cargo test --test imap -- --ignored)"
            )
        })
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run a command");
    assert!(out.status.success(), "{cmd:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

impl Dovecot {
    pub async fn start() -> Self {
        let binary = dovecot_binary();
        let dir = tempfile::tempdir().expect("a temporary folder");
        let root = dir.path();
        for sub in ["run", "state", "mail"] {
            std::fs::create_dir_all(root.join(sub)).expect("a folder");
        }
        std::fs::write(root.join("passwd"), format!("{USER}:{{PLAIN}}{PASSWORD}\n"))
            .expect("the passwd-file");
        let port = free_port();
        let uid = run(Command::new("id").arg("-u"));
        // Dovecot runs as the current user. As root it will not run its
        // login processes or touch mail as root: those run as the users
        // the package made (dovenull, dovecot), who must reach the folder.
        let users = if uid == "0" {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755))
                .expect("open the folder to Dovecot's users");
            run(Command::new("chown")
                .args(["-R", "dovecot:dovecot"])
                .arg(root.join("mail")));
            "default_internal_user = dovecot\ndefault_internal_group = dovecot\n\
             default_login_user = dovenull\nmail_uid = dovecot\nmail_gid = dovecot\n"
                .to_owned()
        } else {
            let user = run(Command::new("id").arg("-un"));
            let group = run(Command::new("id").arg("-gn"));
            format!(
                "default_internal_user = {user}\ndefault_internal_group = {group}\n\
                 default_login_user = {user}\n"
            )
        };
        let r = root.display();
        let conf = format!(
            "base_dir = {r}/run\nstate_dir = {r}/state\nlog_path = {r}/dovecot.log\n\
             protocols = imap\nlisten = 127.0.0.1\nssl = no\ndisable_plaintext_auth = no\n\
             auth_mechanisms = plain login\nmail_location = maildir:{r}/mail/%n\n\
             first_valid_uid = 1\nfirst_valid_gid = 1\n{users}\
             service imap-login {{\n  chroot =\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n  inet_listener imaps {{\n    port = 0\n  }}\n}}\n\
             service anvil {{\n  chroot =\n}}\n\
             passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {r}/passwd\n}}\n\
             userdb {{\n  driver = static\n  args = home={r}/mail/%n\n}}\n"
        );
        let conf_path = root.join("dovecot.conf");
        std::fs::write(&conf_path, conf).expect("the configuration");
        let child = Command::new(binary)
            .arg("-F")
            .arg("-c")
            .arg(&conf_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dovecot");
        let server = Dovecot { child, port, dir };
        server.wait_until_ready().await;
        server
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }

    async fn wait_until_ready(&self) {
        let start = Instant::now();
        loop {
            if let Ok(mut session) = self.try_session().await {
                session.logout().await.ok();
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "Dovecot did not answer within 20 s; its log:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn try_session(
        &self,
    ) -> Result<async_imap::Session<TcpStream>, Box<dyn std::error::Error>> {
        let tcp = TcpStream::connect(("127.0.0.1", self.port)).await?;
        let mut client = async_imap::Client::new(tcp);
        client.read_response().await?.ok_or("no greeting")?;
        let mut session = client.login(USER, PASSWORD).await.map_err(|(e, _)| e)?;
        session.select("INBOX").await?;
        Ok(session)
    }

    /// What the service's `imap_url` names.
    pub fn url(&self) -> String {
        format!(
            "imap://{}:{PASSWORD}@127.0.0.1:{}/INBOX",
            USER.replace('@', "%40"),
            self.port
        )
    }

    /// Puts a message into the mailbox (IMAP APPEND), as a mail server
    /// delivering it would.
    pub async fn append(&self, raw: &[u8]) {
        let mut session = self.try_session().await.expect("an IMAP session");
        session
            .append("INBOX", None, None, raw)
            .await
            .expect("APPEND a message");
        session.logout().await.ok();
    }

    /// The keywords and flags of every message, by UID.
    pub async fn flags(&self) -> Vec<(u32, Vec<String>)> {
        let mut session = self.try_session().await.expect("an IMAP session");
        let fetches: Vec<_> = session
            .uid_fetch("1:*", "FLAGS")
            .await
            .expect("FETCH FLAGS")
            .try_collect()
            .await
            .expect("read FLAGS");
        let out = fetches
            .iter()
            .map(|f| {
                (
                    f.uid.unwrap_or(0),
                    f.flags().map(|flag| format!("{flag:?}")).collect(),
                )
            })
            .collect();
        session.logout().await.ok();
        out
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
