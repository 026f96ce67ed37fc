//! Hostile strings in every text field of a referral (and in the reasons and
//! notes that follow it): line breaks, NUL, 100 kB, bidirectional marks,
//! markup and iCalendar separators. Each is either refused with a 422 that
//! names the field, or stored and then written safely wherever it goes: the
//! party page (HTML-escaped), the emails (no header of its own making, read
//! back from a real SMTP server with mail-parser) and the invitations'
//! calendars (no property or parameter of its own making, read back with
//! calcard). Never a 500.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{Datelike, NaiveDate, TimeZone, Utc, Weekday};
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::ical::Calendar;
use crate::common::smtp::SmtpServer;
use crate::common::{TestApp, error_fields, id, party_link, spawn_app_with, wait_until};

/// The hostile values, by name.
fn hostile() -> Vec<(&'static str, String)> {
    vec![
        (
            "crlf",
            "Aigerim\r\nBcc: victim@evil.test\r\nX-Injected: 1".into(),
        ),
        ("lf", "Aigerim\nBcc: victim@evil.test".into()),
        ("nul", "Aigerim\0Sapar".into()),
        ("100kB", "ә".repeat(50_000)),
        (
            "rtl",
            "\u{202e}Aigerim\u{200f} \u{2066}Sapar\u{2069}".into(),
        ),
        (
            "script",
            "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&".into(),
        ),
        (
            "ical",
            "A;B,C:D\\E\nATTENDEE;CN=evil:mailto:evil@evil.test\nEND:VEVENT".into(),
        ),
        ("param", "Ai\"gerim;ROLE=CHAIR:mailto:evil@evil.test".into()),
    ]
}

/// The text fields of a referral, as JSON pointers into the body, with
/// the field name a 422 must give.
const FIELDS: &[(&str, &str)] = &[
    ("/court_case_number", "court_case_number"),
    ("/summary", "summary"),
    ("/category", "category"),
    ("/language", "language"),
    ("/parties/0/name", "parties[0].name"),
    ("/parties/0/email", "parties[0].email"),
    ("/parties/0/phone", "parties[0].phone"),
    ("/parties/0/iin_bin", "parties[0].iin_bin"),
    (
        "/parties/0/accessibility_needs",
        "parties[0].accessibility_needs",
    ),
    ("/parties/0/role", "parties[0].role"),
    ("/parties/0/language", "parties[0].language"),
    ("/parties/1/name", "parties[1].name"),
];

fn referral(court: Uuid, n: usize) -> Value {
    let deadline = (Utc::now() + chrono::Duration::days(90)).date_naive();
    json!({
        "court_id": court, "court_case_number": format!("2-{n}/2026"), "category": "civil",
        "summary": "Debt of a neighbour", "language": "en", "mediation_deadline": deadline,
        "flags": {"minors_involved": false, "violence_reported": false, "interpreter_needed": false},
        "parties": [
            {"role": "claimant", "name": "Aigerim Saparova", "email": format!("claimant-{n}@example.kz"),
             "phone": "+7 701 123 4567", "iin_bin": "900101300126", "language": "en",
             "accessibility_needs": "step-free access"},
            {"role": "respondent", "name": "Serik Nurlanov", "email": format!("respondent-{n}@example.kz"), "language": "en"}
        ]
    })
}

/// 10:00 Almaty on the `k`-th weekday from a week ahead.
fn slot(k: usize) -> chrono::DateTime<Utc> {
    let mut d: NaiveDate = (Utc::now() + chrono::Duration::days(7)).date_naive();
    let mut left = k;
    loop {
        if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
            if left == 0 {
                break;
            }
            left -= 1;
        }
        d += chrono::Duration::days(1);
    }
    Utc.from_utc_datetime(&d.and_hms_opt(5, 0, 0).expect("time"))
}

fn contains_control(s: &str) -> bool {
    s.chars().any(|c| c.is_control() && c != '\t')
}

/// Checks one raw message as a mail client reads it: the headers are the
/// ones Kelisim writes, each once, with no line break or NUL in a value,
/// one recipient, and every calendar in it has only the properties and
/// parameters of `shape`.
fn check_message(raw: &[u8], shape: &CalendarShape, what: &str) {
    let text = String::from_utf8_lossy(raw);
    let header_end = text.find("\r\n\r\n").expect("headers end");
    let names: Vec<String> = text[..header_end]
        .split("\r\n")
        .filter(|l| !l.starts_with([' ', '\t']))
        .map(|l| l.split(':').next().unwrap_or("").to_ascii_lowercase())
        .collect();
    for name in &names {
        assert!(
            !["bcc", "x-injected", "cc"].contains(&name.as_str()),
            "{what}: a header of the input's making: {name}\n{}",
            &text[..header_end]
        );
    }
    let message = mail_parser::MessageParser::default()
        .parse(raw)
        .expect("a MIME message");
    let to = message.to().expect("To");
    assert_eq!(to.iter().count(), 1, "{what}: one recipient");
    let subject = message.subject().unwrap_or_default();
    assert!(!contains_control(subject), "{what}: subject {subject:?}");
    for addr in to.iter() {
        assert!(
            !contains_control(addr.name().unwrap_or_default()),
            "{what}: To name"
        );
        assert!(
            !addr.address().unwrap_or_default().contains("evil"),
            "{what}: To address"
        );
    }
    for part in message.parts.iter() {
        let is_calendar = part
            .content_type()
            .is_some_and(|ct| ct.ctype() == "text" && ct.subtype() == Some("calendar"));
        if is_calendar {
            let ics = String::from_utf8_lossy(part.contents()).into_owned();
            shape.check(&Calendar::parse(&ics), what);
        }
    }
}

use mail_parser::MimeHeaders;

/// The properties of a calendar and its events, and the parameters each
/// property was seen with (`ATTENDEE;CN`).
#[derive(Debug, Default)]
struct CalendarShape(BTreeSet<String>);

impl CalendarShape {
    fn of(cal: &Calendar) -> Self {
        let mut set = BTreeSet::new();
        for p in &cal.properties {
            set.insert(format!("VCALENDAR {}", p.name));
        }
        for e in &cal.events {
            for p in &e.properties {
                set.insert(p.name.clone());
                for (param, _) in &p.params {
                    set.insert(format!("{};{param}", p.name));
                }
            }
        }
        Self(set)
    }

    fn add(&mut self, cal: &Calendar) {
        self.0.extend(Self::of(cal).0);
    }

    fn check(&self, cal: &Calendar, what: &str) {
        let seen = Self::of(cal);
        let extra: Vec<_> = seen.0.difference(&self.0).collect();
        assert!(
            extra.is_empty(),
            "{what}: properties or parameters a benign calendar does not have: {extra:?}"
        );
        for e in &cal.events {
            for p in &e.properties {
                if p.name == "ATTENDEE" || p.name == "ORGANIZER" {
                    let v = p.text().to_ascii_lowercase();
                    assert!(!v.contains("evil"), "{what}: {} {v}", p.name);
                }
            }
            assert_eq!(e.all("ATTENDEE").len(), 1, "{what}: one attendee");
        }
    }
}

struct Flow {
    app: TestApp,
    smtp: SmtpServer,
    clerk: String,
    court: Uuid,
    mediator: Uuid,
    mediator_token: String,
    _dir: tempfile::TempDir,
}

impl Flow {
    async fn start() -> Flow {
        let dir = tempfile::tempdir().expect("temp dir");
        let smtp = SmtpServer::start(&dir.path().join("smtp"));
        let url = smtp.url();
        let app = spawn_app_with(move |s| s.smtp_url = Some(url)).await;
        let court = app.create_court("HOST-1").await;
        let (_, clerk) = app.clerk_of(court).await;
        let (mediator, mediator_token) = app
            .mediator_with_login(
                "med-hostile@mediators.kz",
                json!({
                    "name": "Dana Mediator", "email": "med-hostile@mediators.kz",
                    "registry_number": "R-HOST-1", "kind": "professional",
                    "certified_until": "2031-12-31", "specialties": ["civil"],
                    "languages": ["kk", "ru", "en"], "court_ids": [court],
                    "max_active_cases": 100, "timezone": "Asia/Almaty"
                }),
            )
            .await;
        app.set_weekday_hours(mediator, &mediator_token, "09:00", "18:00")
            .await;
        Flow {
            app,
            smtp,
            clerk,
            court,
            mediator,
            mediator_token,
            _dir: dir,
        }
    }

    /// Refers `body`; the status and, on 201, the case.
    async fn refer(&self, body: &Value) -> (StatusCode, Value) {
        let resp = self
            .app
            .post("/api/v1/cases", Some(&self.clerk), body.clone())
            .await;
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// Assigns the mediator and books a session at slot `k`; the session id.
    async fn schedule(&self, case: Uuid, k: usize) -> Uuid {
        let r = self
            .app
            .post(
                &format!("/api/v1/cases/{case}/assignment"),
                Some(&self.clerk),
                json!({"mediator_id": self.mediator}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK, "proposed");
        let r = self
            .app
            .post(
                &format!("/api/v1/cases/{case}/assignment/accept"),
                Some(&self.mediator_token),
                json!({}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK, "accepted");
        let r = self
            .app
            .post(
                &format!("/api/v1/cases/{case}/sessions"),
                Some(&self.mediator_token),
                json!({"starts_at": slot(k), "duration_minutes": 60,
                       "online_url": "https://meet.example.kz/r", "format": "joint"}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::CREATED, "booked");
        id(&r.json::<Value>().await.expect("json"))
    }

    /// Waits until every message of the outbox reached the SMTP server.
    async fn all_delivered(&self) -> Vec<Vec<u8>> {
        use sea_orm::{EntityTrait, PaginatorTrait};
        let db = &self.app.db;
        let n = entity::outbox_messages::Entity::find()
            .count(db)
            .await
            .expect("count") as usize;
        wait_until(
            "every message delivered",
            Duration::from_secs(60),
            || async { self.smtp.count() >= n },
        )
        .await;
        self.smtp.messages()
    }
}

#[tokio::test]
async fn hostile_strings_are_refused_by_field_or_come_out_escaped_everywhere() {
    let flow = Flow::start().await;

    // A benign referral taken through to a session: the shape every
    // calendar must keep.
    let (status, benign) = flow.refer(&referral(flow.court, 0)).await;
    assert_eq!(status, StatusCode::CREATED, "{benign}");
    let benign_case = id(&benign);
    let benign_session = flow.schedule(benign_case, 0).await;
    let mut shape = CalendarShape::default();
    let link = party_link(&flow.app, "claimant-0@example.kz").await;
    let ics = flow
        .app
        .get(&format!("{link}/sessions/{benign_session}.ics"), None)
        .await;
    assert_eq!(ics.status(), StatusCode::OK);
    shape.add(&Calendar::parse(&ics.text().await.expect("text")));
    for raw in flow.all_delivered().await {
        let text = String::from_utf8_lossy(&raw).into_owned();
        if let Some(m) = mail_parser::MessageParser::default().parse(&raw) {
            for part in m.parts.iter() {
                if part
                    .content_type()
                    .is_some_and(|ct| ct.subtype() == Some("calendar"))
                {
                    shape.add(&Calendar::parse(&String::from_utf8_lossy(part.contents())));
                }
            }
        }
        drop(text);
    }

    // Every value as a note and as a reason: 200, or 422 naming the field.
    let benign_link = party_link(&flow.app, "claimant-0@example.kz").await;
    for (k, (name, value)) in hostile().into_iter().enumerate() {
        let resp = flow
            .app
            .post(
                &format!("{benign_link}/sessions/{benign_session}/rsvp"),
                None,
                json!({"response": "tentative", "note": value}),
            )
            .await;
        let status = resp.status();
        let answer: Value = resp.json().await.expect("json");
        match status {
            StatusCode::OK => {}
            StatusCode::UNPROCESSABLE_ENTITY => {
                assert_eq!(error_fields(&answer), ["note"], "{name} as a note");
            }
            other => panic!("{name} as a note: {other} {answer}"),
        }
        let (status, case) = flow.refer(&referral(flow.court, 900 + k)).await;
        assert_eq!(status, StatusCode::CREATED, "{case}");
        let resp = flow
            .app
            .post(
                &format!("/api/v1/cases/{}/withdraw", id(&case)),
                Some(&flow.clerk),
                json!({"reason": value}),
            )
            .await;
        let status = resp.status();
        let answer: Value = resp.json().await.expect("json");
        match status {
            StatusCode::OK => {}
            StatusCode::UNPROCESSABLE_ENTITY => {
                assert_eq!(error_fields(&answer), ["reason"], "{name} as a reason");
            }
            other => panic!("{name} as a reason: {other} {answer}"),
        }
    }

    // Each value in each field on its own: 201, or 422 naming the field.
    let mut n = 1;
    let mut accepted: Vec<(&str, String, Vec<&str>)> = Vec::new();
    for (name, value) in hostile() {
        let mut fields = Vec::new();
        for (pointer, field) in FIELDS {
            let mut body = referral(flow.court, n);
            n += 1;
            *body.pointer_mut(pointer).expect("field") = json!(value);
            let (status, answer) = flow.refer(&body).await;
            match status {
                StatusCode::CREATED => fields.push(*pointer),
                StatusCode::UNPROCESSABLE_ENTITY => assert_eq!(
                    error_fields(&answer),
                    [*field],
                    "{name} in {field}: the 422 names the field"
                ),
                other => panic!("{name} in {field}: {other} {answer}"),
            }
        }
        accepted.push((name, value, fields));
    }
    // What each field takes: free text takes line breaks (never written
    // into a header or a calendar), names take markup, quotes and
    // bidirectional marks (escaped wherever they are written), nothing takes
    // NUL or 100 kB, and the codes and numbers take none of it.
    let free = ["/summary", "/parties/0/accessibility_needs"];
    let names = [
        "/summary",
        "/parties/0/name",
        "/parties/0/accessibility_needs",
        "/parties/1/name",
    ];
    let taken: Vec<(&str, Vec<&str>)> = accepted.iter().map(|(n, _, f)| (*n, f.clone())).collect();
    assert_eq!(
        taken,
        vec![
            ("crlf", free.to_vec()),
            ("lf", free.to_vec()),
            ("nul", vec![]),
            ("100kB", vec![]),
            ("rtl", names.to_vec()),
            ("script", names.to_vec()),
            ("ical", free.to_vec()),
            ("param", names.to_vec()),
        ]
    );

    // Then each value in every field that took it, through a session, the
    // party page, the emails and the calendars.
    for (k, (name, value, fields)) in accepted.iter().enumerate() {
        if fields.is_empty() {
            continue;
        }
        let mut body = referral(flow.court, n);
        n += 1;
        for pointer in fields {
            *body.pointer_mut(pointer).expect("field") = json!(value);
        }
        let (status, case) = flow.refer(&body).await;
        assert_eq!(status, StatusCode::CREATED, "{name} in {fields:?}");
        let case_id = id(&case);
        let session = flow.schedule(case_id, k + 1).await;
        let claimant = case["parties"][0]["email"]
            .as_str()
            .expect("email")
            .to_owned();
        let link = party_link(&flow.app, &claimant).await;

        let page = flow.app.get(&link, None).await;
        assert_eq!(page.status(), StatusCode::OK, "{name}: party page");
        let html = page.text().await.expect("html");
        assert!(
            !html.contains("<script>alert"),
            "{name}: raw markup on the page"
        );
        assert!(
            !html.contains("<img src=x"),
            "{name}: raw markup on the page"
        );
        assert!(!html.contains('\0'), "{name}: NUL on the page");
        if value.contains('<') {
            assert!(
                !html.contains(value.as_str()),
                "{name}: the value comes out unescaped on the page"
            );
        }

        let ics = flow
            .app
            .get(&format!("{link}/sessions/{session}.ics"), None)
            .await;
        assert_eq!(ics.status(), StatusCode::OK, "{name}: .ics");
        shape.check(
            &Calendar::parse(&ics.text().await.expect("text")),
            &format!("{name}: .ics download"),
        );

        // A hostile note on the party's answer and a hostile reason on the
        // cancellation: accepted or refused by field, never a 500.
        let rsvp = flow
            .app
            .post(
                &format!("{link}/sessions/{session}/rsvp"),
                None,
                json!({"response": "tentative", "note": value}),
            )
            .await;
        assert!(
            [StatusCode::OK, StatusCode::UNPROCESSABLE_ENTITY].contains(&rsvp.status()),
            "{name}: rsvp note {}",
            rsvp.status()
        );
        let cancel = flow
            .app
            .post(
                &format!("/api/v1/sessions/{session}/cancel"),
                Some(&flow.mediator_token),
                json!({"reason": value}),
            )
            .await;
        let cancel_status = cancel.status();
        assert!(
            [StatusCode::OK, StatusCode::UNPROCESSABLE_ENTITY].contains(&cancel_status),
            "{name}: cancel reason {cancel_status}"
        );
        if cancel_status == StatusCode::UNPROCESSABLE_ENTITY {
            assert_eq!(
                error_fields(&cancel.json().await.expect("json")),
                ["reason"]
            );
        }
        let withdraw = flow
            .app
            .post(
                &format!("/api/v1/cases/{case_id}/withdraw"),
                Some(&flow.clerk),
                json!({"reason": value}),
            )
            .await;
        assert!(
            [StatusCode::OK, StatusCode::UNPROCESSABLE_ENTITY].contains(&withdraw.status()),
            "{name}: withdraw reason {}",
            withdraw.status()
        );
    }

    // Every email sent, for every value: no header injected, no calendar
    // property or parameter injected.
    let messages = flow.all_delivered().await;
    assert!(messages.len() > 20, "emails were sent: {}", messages.len());
    for (i, raw) in messages.iter().enumerate() {
        check_message(raw, &shape, &format!("message {i}"));
    }
}

/// The checks above can fail: a message with an injected header, and a
/// calendar with an injected property, are caught.
#[test]
#[should_panic(expected = "a header of the input's making: bcc")]
fn an_injected_header_is_caught() {
    let raw = "From: a@kelisim.kz\r\nTo: Aigerim\r\nBcc: victim@evil.test <p@example.kz>\r\nSubject: x\r\n\r\nbody\r\n";
    check_message(raw.as_bytes(), &CalendarShape::default(), "crafted");
}

#[test]
#[should_panic(expected = "properties or parameters a benign calendar does not have")]
fn an_injected_calendar_property_is_caught() {
    let benign = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:1\r\nDTSTAMP:20261201T100000Z\r\nDTSTART:20261201T100000Z\r\nATTENDEE;CN=A:mailto:a@example.kz\r\nSUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let injected = benign.replace("SUMMARY:x\r\n", "SUMMARY:x\r\nX-EVIL:1\r\n");
    let mut shape = CalendarShape::default();
    shape.add(&Calendar::parse(benign));
    shape.check(&Calendar::parse(&injected), "crafted");
}
