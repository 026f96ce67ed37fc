//! Hostile calendar files against the real `kelisim` binary: each is
//! refused or clipped within a second, and the process never holds more
//! than 100 MB, read from the kernel's high-water mark of its resident
//! memory (`VmHWM` in `/proc/<pid>/status`) after every upload.

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{Datelike, Days, NaiveDate, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::TestDatabase;

/// Peak resident memory allowed to the whole process.
const MAX_PEAK_RSS_KB: u64 = 100 * 1024;
/// Longest answer to one upload.
const MAX_ANSWER: Duration = Duration::from_secs(1);

/// `kelisim serve` on a free port, stopped when dropped.
struct Served {
    child: Child,
    base: String,
    client: reqwest::Client,
    _db: TestDatabase,
    _dir: tempfile::TempDir,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    async fn start() -> Self {
        let dir = tempfile::tempdir().expect("dir");
        let db = TestDatabase::create(dir.path()).await;
        let command = |args: &[&str]| {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_kelisim"));
            cmd.current_dir(dir.path())
                .env("KELISIM_DATABASE_URL", &db.url)
                .env("KELISIM_MAIL_SPOOL_DIR", dir.path().join("mail"))
                .env("KELISIM_LOG", "warn")
                .args(args);
            cmd
        };
        let mut add = command(&[
            "user",
            "add",
            "--role",
            "admin",
            "--email",
            "root@court.kz",
            "--name",
            "Root",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("user add");
        add.stdin
            .take()
            .expect("stdin")
            .write_all(b"a long admin password\n")
            .expect("password");
        assert!(add.wait().expect("user add ran").success());

        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let child = command(&["serve"])
            .env("KELISIM_BIND", format!("127.0.0.1:{port}"))
            .env("KELISIM_CALENDAR_REFRESH_CRON", "")
            .spawn()
            .expect("serve");
        let served = Served {
            child,
            base: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("client"),
            _db: db,
            _dir: dir,
        };
        let start = Instant::now();
        loop {
            if let Ok(r) = served
                .client
                .get(format!("{}/healthz", served.base))
                .send()
                .await
                && r.status() == StatusCode::OK
            {
                break;
            }
            assert!(start.elapsed() < Duration::from_secs(30), "server started");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        served
    }

    async fn json(&self, path: &str, token: Option<&str>, body: Value) -> Value {
        let mut req = self.client.post(format!("{}{path}", self.base)).json(&body);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        let resp = req.send().await.expect("sent");
        assert!(resp.status().is_success(), "{path}: {}", resp.status());
        resp.json().await.expect("json")
    }

    /// `VmHWM`, the peak resident set of the server process, in kB.
    fn peak_rss_kb(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("/proc/<pid>/status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM in kB")
    }
}

fn calendar(events: &str) -> String {
    format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Hostile//EN\r\n{events}END:VCALENDAR\r\n")
}

fn ymd(date: NaiveDate) -> String {
    date.format("%Y%m%d").to_string()
}

/// The hostile files, by name. Dates are relative to today so that every
/// event falls inside the window the service imports.
fn hostile_files() -> Vec<(&'static str, String)> {
    let today = Utc::now().date_naive();
    let soon = ymd(today + Days::new(3));
    let new_year = ymd(today.with_ordinal(1).expect("1 January"));
    let mut files = Vec::new();

    files.push((
        "one event from year 1 to 9999",
        calendar(
            "BEGIN:VEVENT\r\nUID:forever@h\r\nDTSTART:00010101T000000Z\r\n\
             DTEND:99991231T000000Z\r\nEND:VEVENT\r\n",
        ),
    ));

    let mut long = String::new();
    for i in 0..5_000u64 {
        let start = ymd(today + Days::new(i % 300));
        let _ = write!(
            long,
            "BEGIN:VEVENT\r\nUID:long-{i}@h\r\nDTSTART;VALUE=DATE:{start}\r\nDURATION:P300D\r\nEND:VEVENT\r\n"
        );
    }
    files.push(("5,000 events of 300 days each", calendar(&long)));

    let mut many = String::new();
    for i in 0..5_001u64 {
        let _ = write!(
            many,
            "BEGIN:VEVENT\r\nUID:e{i}@h\r\nDTSTART:{soon}T0{}0000Z\r\nDURATION:PT30M\r\nEND:VEVENT\r\n",
            i % 10
        );
    }
    files.push(("5,001 events", calendar(&many)));

    let every = |n: u32| (0..n).map(|v| v.to_string()).collect::<Vec<_>>().join(",");
    let (hours, minutes) = (every(24), every(60));
    files.push((
        "every second of every day, by a secondly rule",
        calendar(&format!(
            "BEGIN:VEVENT\r\nUID:secondly@h\r\nDTSTART:{soon}T000000Z\r\nDURATION:PT1S\r\n\
             RRULE:FREQ=SECONDLY;BYHOUR={hours};BYMINUTE={minutes};BYSECOND={minutes}\r\nEND:VEVENT\r\n"
        )),
    ));
    files.push((
        "every second of a year, by a yearly rule",
        calendar(&format!(
            "BEGIN:VEVENT\r\nUID:dense@h\r\nDTSTART:{new_year}T000000Z\r\nDURATION:PT1S\r\n\
             RRULE:FREQ=YEARLY;BYHOUR={hours};BYMINUTE={minutes};BYSECOND={minutes}\r\nEND:VEVENT\r\n"
        )),
    ));

    let mut never = String::new();
    for i in 0..1_000 {
        let _ = write!(
            never,
            "BEGIN:VEVENT\r\nUID:never-{i}@h\r\nDTSTART:{soon}T080000Z\r\nDURATION:PT1H\r\n\
             RRULE:FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30\r\nEND:VEVENT\r\n"
        );
    }
    files.push(("1,000 rules that never match", calendar(&never)));

    let mut old = String::new();
    for i in 0..1_000 {
        let _ = write!(
            old,
            "BEGIN:VEVENT\r\nUID:old-{i}@h\r\nDTSTART:19000101T0{}0000Z\r\nDURATION:PT1H\r\n\
             RRULE:FREQ=DAILY\r\nEND:VEVENT\r\n",
            i % 10
        );
    }
    files.push(("1,000 daily rules since 1900", calendar(&old)));
    files
}

#[tokio::test]
async fn hostile_calendars_are_answered_within_a_second_and_the_process_stays_under_100_mb() {
    let served = Served::start().await;
    let token: Value = served
        .json(
            "/api/v1/auth/token",
            None,
            json!({"email": "root@court.kz", "password": "a long admin password"}),
        )
        .await;
    let token = token["token"].as_str().expect("token").to_owned();
    let court = served
        .json(
            "/api/v1/courts",
            Some(&token),
            json!({"code": "HOS-1", "name": "Court", "timezone": "Asia/Almaty", "default_language": "kk"}),
        )
        .await;
    let mediator = served
        .json(
            "/api/v1/mediators",
            Some(&token),
            json!({
                "name": "Dana Mediator", "email": "dana@mediators.kz", "registry_number": "KZ-HOS",
                "kind": "professional", "certified_until": "2030-12-31",
                "specialties": ["civil"], "languages": ["kk"], "court_ids": [court["id"]],
                "max_active_cases": 10, "timezone": "Asia/Almaty"
            }),
        )
        .await;
    let url = format!(
        "{}/api/v1/mediators/{}/external-calendar",
        served.base,
        mediator["id"].as_str().expect("id")
    );

    for (name, text) in hostile_files() {
        let started = Instant::now();
        let resp = served
            .client
            .put(&url)
            .bearer_auth(&token)
            .header("content-type", "text/calendar")
            .body(text)
            .send()
            .await;
        let elapsed = started.elapsed();
        let peak = served.peak_rss_kb();
        let resp = resp.unwrap_or_else(|e| panic!("{name}: no answer: {e}"));
        let status = resp.status();
        let body: Value = resp.json().await.expect("json");
        // Shown with --nocapture: the figures quoted in SECURITY.md.
        eprintln!("{name}: {status} in {elapsed:?}, peak resident {peak} kB");
        assert!(
            status == StatusCode::OK || status == StatusCode::UNPROCESSABLE_ENTITY,
            "{name}: {status} {body}"
        );
        if status == StatusCode::OK {
            // Clipped to the window and merged: about one row per day of it.
            let rows = body["busy_blocks"].as_u64().expect("busy_blocks");
            assert!(rows <= 500, "{name}: {rows} rows");
        }
        assert!(
            elapsed < MAX_ANSWER,
            "{name}: answered in {elapsed:?} ({status} {body})"
        );
        assert!(
            peak < MAX_PEAK_RSS_KB,
            "{name}: peak resident memory {peak} kB"
        );
    }
}
