//! Answers from mail clients, through a real IMAP server: Dovecot, started
//! for each test with a configuration of its own (`dovecot.rs`). Messages in
//! the shapes Gmail, Outlook and Apple Mail send (`tests/fixtures/imip/`,
//! their UID, ATTENDEE and SEQUENCE filled in, their calendar part written
//! by a calendar library in each client's shape, `clients.rs`) are put into
//! the mailbox by IMAP APPEND, and the service reads them as it would in a
//! court.
//!
//! Run: `cargo test --test imap -- --ignored` (Debian: `apt-get install -y
//! dovecot-imapd` first); on PostgreSQL with `KELISIM_TEST_POSTGRES_URL`
//! set. Without Dovecot these tests fail, saying how to install it; plain
//! `cargo test` lists them as ignored and runs only the fixture check.

mod clients;
#[path = "../common/mod.rs"]
mod common;
mod dovecot;

use std::time::Duration;

use chrono::{DateTime, Duration as Span, Utc};
use chrono_tz::Tz;
use mail_parser::{MessageParser, MimeHeaders};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use common::smtp::SmtpServer;
use common::world::{Setup, accepted_case, book, rfc, tuesday_at_ten};
use common::{TestApp, spawn_app_with, wait_until};
use dovecot::Dovecot;

const REPLY_ADDRESS: &str = "replies@kelisim.test";
const WITHIN: Duration = Duration::from_secs(30);

/// A fixture message from `tests/fixtures/imip/`, CRLF throughout, with its
/// placeholders filled in and, where it has one, its calendar part written
/// by a calendar library in that client's shape (`clients.rs`).
fn fixture(name: &str, values: &[(&str, String)]) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/imip/{name}", env!("CARGO_MANIFEST_DIR"));
    let mut text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .replace("\r\n", "\n")
        .replace('\n', "\r\n");
    if text.contains("{{CALENDAR") {
        let answer = answer_of(name, values);
        let ics = match name {
            "gmail_reply.eml" => clients::gmail(&answer),
            "outlook_reply.eml" | "outlook_counter.eml" => clients::outlook(&answer),
            "apple_mail_reply.eml" => clients::apple(&answer),
            other => panic!("{other}: which client writes its calendar?"),
        };
        let ics = ics.trim_end();
        text = text
            .replace("{{CALENDAR_QP}}", &clients::quoted_printable(ics))
            .replace("{{CALENDAR}}", ics);
    }
    for (key, value) in values {
        text = text.replace(&format!("{{{{{key}}}}}"), value);
    }
    assert!(
        !text.contains("{{"),
        "{name}: a placeholder is left: {text}"
    );
    text.into_bytes()
}

/// What the answer in fixture `name` says, from the values it is filled
/// with (`World::values`).
fn answer_of(name: &str, values: &[(&str, String)]) -> clients::Answer {
    let value = |key: &str| {
        values
            .iter()
            .rev()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.clone())
    };
    let must = |key: &str| value(key).unwrap_or_else(|| panic!("{name} needs {key}"));
    let utc = |key: &str| {
        chrono::NaiveDateTime::parse_from_str(&must(key), "%Y%m%dT%H%M%SZ")
            .unwrap_or_else(|e| panic!("{key}: {e}"))
            .and_utc()
    };
    let local = |key: &str| {
        chrono::NaiveDateTime::parse_from_str(&must(key), "%Y%m%dT%H%M%S")
            .unwrap_or_else(|e| panic!("{key}: {e}"))
    };
    let (client, stamp, comment) = match name {
        "gmail_reply.eml" => ("Gmail", "20261201T041403Z", None),
        "outlook_reply.eml" => (
            "Outlook",
            "20261201T042011Z",
            Some("I cannot come that day."),
        ),
        "outlook_counter.eml" => (
            "Outlook",
            "20261201T042011Z",
            Some("Could we meet an hour later?"),
        ),
        _ => ("Apple", "20261201T043000Z", None),
    };
    clients::Answer {
        uid: must("UID"),
        attendee: must("ATTENDEE"),
        attendee_name: format!("Party {client}"),
        organizer: must("ORGANIZER"),
        organizer_name: "Dana Mediator".to_owned(),
        sequence: must("SEQUENCE").parse().expect("a number"),
        partstat: must("PARTSTAT"),
        summary: format!("Mediation session, case {}", must("CASE")),
        location: "Room 4".to_owned(),
        starts_at: utc("DTSTART"),
        ends_at: utc("DTEND"),
        local_start: local("LOCAL_START"),
        local_end: local("LOCAL_END"),
        stamp: chrono::NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%M%SZ")
            .expect("a stamp")
            .and_utc(),
        comment: comment.map(str::to_owned),
        proposed: (name == "outlook_counter.eml")
            .then(|| (local("PROPOSED_START"), local("PROPOSED_END"))),
    }
}

fn utc_stamp(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// Local time in Outlook's "West Asia Standard Time" (UTC+5, as Almaty).
fn west_asia(t: DateTime<Utc>) -> String {
    let tz: Tz = "Asia/Almaty".parse().expect("a zone");
    t.with_timezone(&tz).format("%Y%m%dT%H%M%S").to_string()
}

/// One invitation of the session, as the session view shows it.
struct Invited {
    uid: String,
    email: String,
    sequence: i32,
}

struct World {
    app: TestApp,
    smtp: SmtpServer,
    mailbox: Dovecot,
    setup: Setup,
    session: Uuid,
    starts_at: DateTime<Utc>,
    _smtp_dir: tempfile::TempDir,
}

impl World {
    async fn new(tag: &str) -> World {
        let mailbox = Dovecot::start().await;
        let smtp_dir = tempfile::tempdir().expect("a folder");
        let smtp = SmtpServer::start(smtp_dir.path());
        let (imap, smtp_url) = (mailbox.url(), smtp.url());
        let app = spawn_app_with(move |s| {
            s.reply_address = Some(REPLY_ADDRESS.to_owned());
            s.imap_url = Some(imap);
            s.imap_poll_seconds = 1;
            s.smtp_url = Some(smtp_url);
        })
        .await;
        let setup = accepted_case(&app, tag, json!({})).await;
        let starts_at = tuesday_at_ten(8);
        let resp = book(
            &app,
            &setup,
            json!({"starts_at": rfc(starts_at), "duration_minutes": 90, "online_url": "https://meet.example.kz/r/1", "format": "joint"}),
        )
        .await;
        assert_eq!(resp.status(), StatusCode::CREATED, "book a session");
        let session = common::id(&resp.json::<Value>().await.expect("json"));
        World {
            app,
            smtp,
            mailbox,
            setup,
            session,
            starts_at,
            _smtp_dir: smtp_dir,
        }
    }

    fn party_email(&self, i: usize) -> String {
        self.setup.parties[i]["email"]
            .as_str()
            .expect("email")
            .to_owned()
    }

    async fn view(&self) -> Value {
        let resp = self
            .app
            .get(
                &format!("/api/v1/sessions/{}", self.session),
                Some(&self.setup.mediator_token),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::OK);
        resp.json().await.expect("json")
    }

    async fn invited(&self, email: &str) -> Invited {
        let view = self.view().await;
        let i = view["invitations"]
            .as_array()
            .expect("invitations")
            .iter()
            .find(|i| i["email"] == email)
            .unwrap_or_else(|| panic!("{email} is invited: {view}"));
        Invited {
            uid: i["uid"].as_str().expect("uid").to_owned(),
            email: email.to_owned(),
            sequence: i32::try_from(i["sequence"].as_i64().expect("sequence")).expect("i32"),
        }
    }

    async fn partstat(&self, email: &str) -> String {
        let view = self.view().await;
        view["invitations"]
            .as_array()
            .expect("invitations")
            .iter()
            .find(|i| i["email"] == email)
            .and_then(|i| i["partstat"].as_str())
            .expect("partstat")
            .to_owned()
    }

    /// The values a fixture is filled with: an answer of `to` (sent from
    /// `from`) with `partstat`.
    fn values(&self, to: &Invited, from: &str, partstat: &str) -> Vec<(&'static str, String)> {
        let ends = self.starts_at + Span::minutes(90);
        vec![
            ("UID", to.uid.clone()),
            ("ATTENDEE", to.email.clone()),
            ("FROM", from.to_owned()),
            ("SEQUENCE", to.sequence.to_string()),
            ("PARTSTAT", partstat.to_owned()),
            ("ORGANIZER", REPLY_ADDRESS.to_owned()),
            ("MESSAGE_ID", format!("{}@mail.example.kz", Uuid::new_v4())),
            ("CASE", "2-1234/2026".to_owned()),
            ("DTSTART", utc_stamp(self.starts_at)),
            ("DTEND", utc_stamp(ends)),
            ("LOCAL_START", west_asia(self.starts_at)),
            ("LOCAL_END", west_asia(ends)),
        ]
    }

    async fn inbox(&self, status: &str) -> Vec<Value> {
        let resp = self
            .app
            .get(
                &format!("/api/v1/admin/inbox?status={status}"),
                Some(&self.app.admin_token),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::OK);
        let body: Value = resp.json().await.expect("json");
        body["items"].as_array().expect("items").clone()
    }

    async fn inbox_rows(&self) -> usize {
        entity::inbox_messages::Entity::find()
            .all(&self.app.db)
            .await
            .expect("inbox rows")
            .len()
    }

    async fn wait_for_rows(&self, n: usize) {
        wait_until(&format!("{n} messages handled"), WITHIN, || async move {
            self.inbox_rows().await >= n
        })
        .await;
    }

    async fn answers_by_email(&self) -> Vec<Value> {
        entity::audit_log::Entity::find()
            .filter(entity::audit_log::Column::Action.eq("invitation.answered"))
            .all(&self.app.db)
            .await
            .expect("audit")
            .into_iter()
            .filter_map(|row| row.details)
            .filter(|d| d["via"] == "email")
            .collect()
    }

    /// Messages the SMTP server received whose subject contains `needle`.
    fn mails_with_subject(&self, needle: &str) -> Vec<Vec<u8>> {
        self.smtp
            .messages()
            .into_iter()
            .filter(|raw| {
                MessageParser::default()
                    .parse(raw)
                    .and_then(|m| m.subject().map(|s| s.contains(needle)))
                    .unwrap_or(false)
            })
            .collect()
    }
}

/// The text of the `text/calendar` part of a message, if it has one.
fn calendar_part(raw: &[u8]) -> Option<String> {
    let message = MessageParser::default().parse(raw)?;
    message
        .parts
        .iter()
        .find(|p| {
            p.content_type().is_some_and(|c| {
                c.ctype() == "text" && c.subtype().is_some_and(|s| s == "calendar")
            })
        })
        .and_then(|p| p.text_contents().map(str::to_owned))
}

fn text_of(raw: &[u8]) -> String {
    MessageParser::default()
        .parse(raw)
        .and_then(|m| m.body_text(0).map(|t| t.into_owned()))
        .expect("a text part")
}

/// The path (with its query) of the first link in `text` whose path starts
/// with `prefix` (links carry `public_url`, not the test server's address).
fn link_in(text: &str, prefix: &str) -> String {
    let at = text
        .find(prefix)
        .unwrap_or_else(|| panic!("{prefix} in {text}"));
    text[at..]
        .split_whitespace()
        .next()
        .expect("a link")
        .to_owned()
}

/// The values the sample messages in `tests/fixtures/imip/samples/` are
/// filled with: an answer to a session on Tuesday 8 December 2026, 10:00
/// in Almaty.
fn sample_values() -> Vec<(&'static str, String)> {
    let t = DateTime::parse_from_rfc3339("2026-12-08T05:00:00Z")
        .expect("a time")
        .to_utc();
    vec![
        ("UID", "session-3f1c-party-2@kelisim".to_owned()),
        ("ATTENDEE", "party@example.kz".to_owned()),
        ("FROM", "party@example.kz".to_owned()),
        ("FROM_NAME", "Party".to_owned()),
        ("SUBJECT", "Late".to_owned()),
        ("SEQUENCE", "3".to_owned()),
        ("PARTSTAT", "ACCEPTED".to_owned()),
        ("ORGANIZER", REPLY_ADDRESS.to_owned()),
        ("MESSAGE_ID", "m@example.kz".to_owned()),
        ("CASE", "2-1/2026".to_owned()),
        ("DTSTART", utc_stamp(t)),
        ("DTEND", utc_stamp(t + Span::minutes(90))),
        ("LOCAL_START", west_asia(t)),
        ("LOCAL_END", west_asia(t + Span::minutes(90))),
        ("PROPOSED_START", west_asia(t + Span::hours(1))),
        ("PROPOSED_END", west_asia(t + Span::minutes(150))),
    ]
}

/// Each client's message, with its calendar written by the library, is the
/// sample kept in the repository (`KELISIM_WRITE_FIXTURES=1` rewrites the
/// samples), an independent parser (calcard's) reads it back as an answer,
/// and so does the service's own reader, with the client's marks intact.
#[test]
fn the_fixtures_are_calendars_an_independent_parser_reads_as_answers() {
    let values = sample_values();
    let samples = format!("{}/tests/fixtures/imip/samples", env!("CARGO_MANIFEST_DIR"));
    for (name, method, mark) in [
        ("gmail_reply.eml", "REPLY", "X-NUM-GUESTS=0"),
        (
            "outlook_reply.eml",
            "REPLY",
            "TZID=\"West Asia Standard Time\"",
        ),
        (
            "apple_mail_reply.eml",
            "REPLY",
            "REQUEST-STATUS:2.0;Success",
        ),
        ("outlook_counter.eml", "COUNTER", "X-MS-OLK-ORIGINALSTART"),
    ] {
        let raw = fixture(name, &values);
        let sample = format!("{samples}/{name}");
        if std::env::var_os("KELISIM_WRITE_FIXTURES").is_some() {
            std::fs::create_dir_all(&samples).expect("the samples folder");
            std::fs::write(&sample, &raw).expect("a sample written");
        }
        let kept = std::fs::read(&sample).unwrap_or_else(|e| panic!("{sample}: {e}"));
        assert!(
            kept == raw,
            "{name}: the message differs from {sample}; if the change is meant, \
             rewrite it with KELISIM_WRITE_FIXTURES=1"
        );

        let message = MessageParser::default().parse(&raw).expect("a message");
        let part = message
            .parts
            .iter()
            .find(|p| {
                p.content_type().is_some_and(|c| {
                    c.subtype()
                        .is_some_and(|s| s.eq_ignore_ascii_case("calendar"))
                })
            })
            .unwrap_or_else(|| panic!("{name} has a text/calendar part"));
        let ics = part.text_contents().expect("calendar text");
        let mut parser = calcard::Parser::new(ics);
        let calendar = match parser.entry() {
            calcard::Entry::ICalendar(c) => c,
            other => panic!("{name}: calcard could not read the calendar: {other:?}"),
        };
        let text = format!("{calendar}").replace("\r\n ", "");
        assert!(text.contains(&format!("METHOD:{method}")), "{name}: {text}");
        assert!(
            text.contains("UID:session-3f1c-party-2@kelisim"),
            "{name}: {text}"
        );
        assert!(
            text.to_lowercase().contains("mailto:party@example.kz"),
            "{name}: {text}"
        );
        assert!(text.contains(mark), "{name}: {mark} in {text}");
        let kinds: Vec<&str> = calendar
            .components
            .iter()
            .map(|c| c.component_type.as_str())
            .collect();
        assert!(kinds.contains(&"VEVENT"), "{name}: {kinds:?}");

        let answer = kelisim::calendar::reply::read(ics)
            .unwrap_or_else(|e| panic!("{name}: the service cannot read it: {e}"));
        assert_eq!(answer.uid, "session-3f1c-party-2@kelisim", "{name}");
        assert_eq!(answer.attendee, "party@example.kz", "{name}");
        assert_eq!(answer.sequence, 3, "{name}");
        assert_eq!(answer.partstat.as_deref(), Some("ACCEPTED"), "{name}");
        let almaty: Tz = "Asia/Almaty".parse().expect("a zone");
        let (starts, _) = kelisim::calendar::reply::proposed_time(ics, almaty)
            .expect("a time")
            .expect("an event with a time");
        let expected = if method == "COUNTER" {
            "2026-12-08T06:00:00Z"
        } else {
            "2026-12-08T05:00:00Z"
        };
        assert_eq!(rfc(starts), expected, "{name}");
    }
    let apple = String::from_utf8(fixture("apple_mail_reply.eml", &values)).expect("text");
    assert!(
        apple.contains("=3D") && apple.contains("=\r\n"),
        "Apple Mail's calendar part is quoted-printable with soft breaks: {apple}"
    );
    let raw = fixture("free_text.eml", &values);
    assert!(String::from_utf8_lossy(&raw).contains("15 minutes late"));
}

#[tokio::test]
#[ignore = "needs Dovecot: cargo test --test imap -- --ignored"]
async fn accept_decline_and_tentative_from_gmail_outlook_and_apple_mail_are_recorded_as_on_the_party_page()
 {
    let w = World::new("IM1").await;
    let (claimant, respondent) = (w.party_email(0), w.party_email(1));
    let c = w.invited(&claimant).await;
    let r = w.invited(&respondent).await;

    // The invitation names the reply mailbox as ORGANIZER, the mediator as CN.
    let calendars = || -> Vec<String> {
        w.smtp
            .messages()
            .iter()
            .filter(|m| String::from_utf8_lossy(m).contains(&claimant))
            .filter_map(|m| calendar_part(m))
            .collect()
    };
    wait_until("the claimant's invitation is delivered", WITHIN, || {
        std::future::ready(!calendars().is_empty())
    })
    .await;
    let calendars = calendars();
    let unfolded = calendars
        .first()
        .expect("the claimant's invitation")
        .replace("\r\n ", "");
    assert!(
        unfolded.contains(&format!(
            "ORGANIZER;CN=\"Dana Mediator\":mailto:{REPLY_ADDRESS}"
        )),
        "{unfolded}"
    );

    w.mailbox
        .append(&fixture(
            "gmail_reply.eml",
            &w.values(&c, &claimant, "ACCEPTED"),
        ))
        .await;
    w.mailbox
        .append(&fixture(
            "outlook_reply.eml",
            &w.values(&r, &respondent.to_uppercase(), "DECLINED"),
        ))
        .await;
    w.wait_for_rows(2).await;
    assert_eq!(w.partstat(&claimant).await, "ACCEPTED");
    assert_eq!(w.partstat(&respondent).await, "DECLINED");

    w.mailbox
        .append(&fixture(
            "apple_mail_reply.eml",
            &w.values(&c, &claimant, "TENTATIVE"),
        ))
        .await;
    w.wait_for_rows(3).await;
    assert_eq!(w.partstat(&claimant).await, "TENTATIVE");

    let answers = w.answers_by_email().await;
    let partstats: Vec<&str> = answers
        .iter()
        .filter_map(|d| d["partstat"].as_str())
        .collect();
    assert_eq!(partstats, ["ACCEPTED", "DECLINED", "TENTATIVE"]);
    assert_eq!(w.inbox("applied").await.len(), 3);
    let view = w.view().await;
    let answered = view["invitations"]
        .as_array()
        .expect("invitations")
        .iter()
        .find(|i| i["email"] == respondent.as_str())
        .expect("the respondent");
    assert_eq!(answered["response_note"], "I cannot come that day.\n");
    wait_until("every message is marked done", WITHIN, || async {
        let flags = w.mailbox.flags().await;
        flags.len() == 3
            && flags
                .iter()
                .all(|(_, f)| f.iter().any(|x| x.contains("$KelisimDone")))
    })
    .await;
}

#[tokio::test]
#[ignore = "needs Dovecot: cargo test --test imap -- --ignored"]
async fn two_instances_reading_one_mailbox_apply_each_message_once() {
    let w = World::new("IM2").await;
    let second = w.app.another_instance().await;
    let claimant = w.party_email(0);
    let c = w.invited(&claimant).await;

    let mut ids = Vec::new();
    for (i, partstat) in ["ACCEPTED", "DECLINED", "TENTATIVE", "ACCEPTED"]
        .iter()
        .enumerate()
    {
        let mut values = w.values(&c, &claimant, partstat);
        let id = format!("twice-{i}@mail.example.kz");
        values.retain(|(k, _)| *k != "MESSAGE_ID");
        values.push(("MESSAGE_ID", id.clone()));
        let raw = fixture("gmail_reply.eml", &values);
        // Each message twice, as a mail server retrying a delivery would.
        w.mailbox.append(&raw).await;
        w.mailbox.append(&raw).await;
        ids.push(id);
    }
    wait_until("all eight copies are marked done", WITHIN, || async {
        let flags = w.mailbox.flags().await;
        flags.len() == 8
            && flags
                .iter()
                .all(|(_, f)| f.iter().any(|x| x.contains("$KelisimDone")))
    })
    .await;

    assert_eq!(w.inbox_rows().await, 4, "one row per message");
    assert_eq!(
        w.answers_by_email().await.len(),
        4,
        "one answer per message"
    );
    assert_eq!(w.partstat(&claimant).await, "ACCEPTED");
    drop(second);
}

#[tokio::test]
#[ignore = "needs Dovecot: cargo test --test imap -- --ignored"]
async fn a_spoofed_sender_an_unknown_uid_and_an_answer_to_an_old_time_are_kept_aside() {
    let w = World::new("IM3").await;
    let claimant = w.party_email(0);
    let c = w.invited(&claimant).await;

    w.mailbox
        .append(&fixture(
            "gmail_reply.eml",
            &w.values(&c, "mallory@evil.example", "DECLINED"),
        ))
        .await;
    let unknown = Invited {
        uid: format!("{}-nobody@kelisim", Uuid::new_v4()),
        ..w.invited(&claimant).await
    };
    w.mailbox
        .append(&fixture(
            "outlook_reply.eml",
            &w.values(&unknown, &claimant, "DECLINED"),
        ))
        .await;
    w.wait_for_rows(2).await;

    // The session moves; an answer to the old time arrives after.
    let resp = w
        .app
        .patch(
            &format!("/api/v1/sessions/{}", w.session),
            Some(&w.setup.mediator_token),
            json!({"starts_at": rfc(w.starts_at + Span::hours(2))}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    w.mailbox
        .append(&fixture(
            "apple_mail_reply.eml",
            &w.values(&c, &claimant, "ACCEPTED"),
        ))
        .await;
    w.wait_for_rows(3).await;

    assert_eq!(w.partstat(&claimant).await, "NEEDS-ACTION");
    assert!(w.answers_by_email().await.is_empty());
    let aside = w.inbox("set_aside").await;
    let mut reasons: Vec<&str> = aside.iter().filter_map(|m| m["reason"].as_str()).collect();
    reasons.sort_unstable();
    assert_eq!(reasons, ["sender_mismatch", "unknown_uid"]);
    assert!(aside.iter().all(|m| {
        m["body"]
            .as_str()
            .is_some_and(|b| b.contains("BEGIN:VCALENDAR"))
    }));
    let stale = w.inbox("stale").await;
    assert_eq!(stale.len(), 1);
    assert_eq!(stale[0]["session_id"], w.session.to_string());
}

#[tokio::test]
#[ignore = "needs Dovecot: cargo test --test imap -- --ignored"]
async fn a_counter_from_outlook_asks_the_mediator_who_moves_the_session_with_one_click() {
    let w = World::new("IM4").await;
    let claimant = w.party_email(0);
    let c = w.invited(&claimant).await;
    let proposed = w.starts_at + Span::hours(2);
    let mut values = w.values(&c, &claimant, "TENTATIVE");
    values.push(("PROPOSED_START", west_asia(proposed)));
    values.push(("PROPOSED_END", west_asia(proposed + Span::minutes(90))));

    w.mailbox
        .append(&fixture("outlook_counter.eml", &values))
        .await;
    wait_until("the mediator is asked", WITHIN, || {
        std::future::ready(!w.mails_with_subject("proposes another time").is_empty())
    })
    .await;
    let notice = w.mails_with_subject("proposes another time").remove(0);
    let text = text_of(&notice);
    assert!(text.contains("Could we meet an hour later?"), "{text}");
    let path = link_in(&text, "/counter/");
    assert!(path.ends_with("?decision=move"), "{path}");

    // Opening the link (as a mail system's scanner would) changes nothing.
    let page = w.app.get(&path, None).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    assert!(html.contains("method=\"post\""), "{html}");
    assert_eq!(w.view().await["starts_at"], rfc(w.starts_at));

    let form_path = path.split('?').next().expect("path").to_owned();
    let click = w
        .app
        .client
        .post(format!("{}{form_path}", w.app.address))
        .form(&[("decision", "move")])
        .send()
        .await
        .expect("POST");
    assert_eq!(click.status(), StatusCode::OK);
    let view = w.view().await;
    assert_eq!(view["starts_at"], rfc(proposed));
    assert_eq!(view["sequence"], 1);

    let again = w
        .app
        .client
        .post(format!("{}{form_path}", w.app.address))
        .form(&[("decision", "move")])
        .send()
        .await
        .expect("POST");
    assert_eq!(again.status(), StatusCode::CONFLICT, "a link works once");

    // A second proposal, for the new time, is declined: the party gets a
    // DECLINECOUNTER.
    let c = w.invited(&claimant).await;
    let later = proposed + Span::hours(3);
    let mut values = w.values(&c, &claimant, "TENTATIVE");
    values.push(("PROPOSED_START", west_asia(later)));
    values.push(("PROPOSED_END", west_asia(later + Span::minutes(90))));
    w.mailbox
        .append(&fixture("outlook_counter.eml", &values))
        .await;
    wait_until("the mediator is asked again", WITHIN, || {
        std::future::ready(w.mails_with_subject("proposes another time").len() >= 2)
    })
    .await;
    let second = w
        .mails_with_subject("proposes another time")
        .into_iter()
        .find(|m| !text_of(m).contains(&form_path))
        .expect("the second notice");
    let decline = link_in(&text_of(&second), "/counter/c_");
    let decline_path = decline.split('?').next().expect("path").to_owned();
    let click = w
        .app
        .post(&decline_path, None, json!({"decision": "decline"}))
        .await;
    assert_eq!(click.status(), StatusCode::OK);
    assert_eq!(w.view().await["starts_at"], rfc(proposed));
    wait_until("the party is told", WITHIN, || {
        std::future::ready(w.smtp.messages().iter().any(|m| {
            String::from_utf8_lossy(m).contains(&claimant)
                && calendar_part(m).is_some_and(|c| c.contains("METHOD:DECLINECOUNTER"))
        }))
    })
    .await;
    let audit = entity::audit_log::Entity::find()
        .filter(entity::audit_log::Column::Action.is_in([
            "invitation.countered",
            "session.moved",
            "session.counter_declined",
        ]))
        .all(&w.app.db)
        .await
        .expect("audit");
    assert_eq!(audit.len(), 4, "two proposals, one move, one decline");
}

#[tokio::test]
#[ignore = "needs Dovecot: cargo test --test imap -- --ignored"]
async fn free_text_from_a_party_reaches_the_mediator_and_from_a_stranger_is_kept_aside() {
    let w = World::new("IM5").await;
    let respondent = w.party_email(1);
    let late = |from: &str, subject: &str| {
        fixture(
            "free_text.eml",
            &[
                ("FROM", from.to_owned()),
                ("FROM_NAME", "Serik".to_owned()),
                ("SUBJECT", subject.to_owned()),
                ("ORGANIZER", REPLY_ADDRESS.to_owned()),
                ("MESSAGE_ID", format!("{}@mail.example.kz", Uuid::new_v4())),
            ],
        )
    };
    w.mailbox.append(&late(&respondent, "Re: Reminder")).await;
    w.mailbox
        .append(&late("stranger@example.org", "About case 2-IM5/2026"))
        .await;
    w.wait_for_rows(2).await;

    wait_until("the mediator gets the message", WITHIN, || {
        std::future::ready(!w.mails_with_subject("Re: Reminder").is_empty())
    })
    .await;
    let forwarded = w.mails_with_subject("Re: Reminder").remove(0);
    let text = text_of(&forwarded);
    assert!(text.contains("15 minutes late"), "{text}");
    assert!(
        String::from_utf8_lossy(&forwarded).contains("med-im5@mediators.kz"),
        "to the case's mediator"
    );
    assert_eq!(w.inbox("forwarded").await.len(), 1);
    let aside = w.inbox("set_aside").await;
    assert_eq!(aside.len(), 1);
    assert_eq!(aside[0]["reason"], "unmatched_sender");
    assert!(
        aside[0]["body"]
            .as_str()
            .is_some_and(|b| b.contains("15 minutes late"))
    );
    assert!(w.mailbox.dir().exists());
}

#[tokio::test]
#[ignore = "needs Dovecot: cargo test --test imap -- --ignored"]
async fn a_message_too_large_to_read_is_kept_aside_for_an_admin_with_only_its_start() {
    let w = World::new("IM6").await;
    // A reply of 3 MiB (the limit is 2 MiB): a party's attachment, say.
    let mut big = fixture(
        "free_text.eml",
        &[
            ("FROM", w.party_email(1)),
            ("FROM_NAME", "Serik".to_owned()),
            ("SUBJECT", "Re: Documents".to_owned()),
            ("ORGANIZER", REPLY_ADDRESS.to_owned()),
            ("MESSAGE_ID", format!("{}@mail.example.kz", Uuid::new_v4())),
        ],
    );
    while big.len() < 3 * 1024 * 1024 {
        big.extend_from_slice(&[b'x'; 76]);
        big.extend_from_slice(b"\r\n");
    }
    w.mailbox.append(&big).await;
    w.wait_for_rows(1).await;

    let aside = w.inbox("set_aside").await;
    assert_eq!(aside.len(), 1, "{aside:?}");
    assert_eq!(aside[0]["reason"], "unreadable");
    // What an admin sees is its start, not megabytes.
    let body = aside[0]["body"].as_str().unwrap_or_default();
    assert!(body.len() < 100_000, "kept {} bytes", body.len());
    assert!(
        w.mails_with_subject("Re: Documents").is_empty(),
        "not forwarded"
    );
    // Marked done: later rounds leave it alone.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(w.inbox_rows().await, 1);
}
