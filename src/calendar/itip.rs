//! Invitations (iTIP, RFC 5546) for one recipient of one mediation session.
//!
//! [`build`] writes one `VCALENDAR` with a `METHOD` and one `VEVENT` whose only
//! `ATTENDEE` is the recipient: no party ever sees another party's address.
//! The email around it (iMIP, RFC 6047) is built in [`crate::mail`].
//!
//! Rules a newcomer must not break:
//! - `uid` is stable per session and recipient, `sequence` goes up on every
//!   reschedule and on cancellation, and `dtstamp` is fresh. Clients match an
//!   update or a cancel to the invitation they hold by UID, and ignore it
//!   unless its SEQUENCE is higher.
//! - Times are UTC (`…Z`): always valid, and no `VTIMEZONE` is needed (the
//!   `icalendar` crate cannot build a correct one).
//! - The summary stays neutral ("Mediation session, case 2-1234/2026"); no
//!   dispute details go into an invitation.
//! - User text reaches the crate only through [`param_value`] (CN) and
//!   [`text_value`] (SUMMARY, LOCATION). Values the crate does not escape
//!   at all (CAL-ADDRESS and URI values: `mailto:`, `URL`) are cleaned here.
//!
//! The crate does all of the serializing (CRLF, folding at 75 octets on
//! character boundaries, TEXT escaping, quoting of parameter values). What is
//! hand-written is only what it lacks: it has no typed ORGANIZER, METHOD or
//! TRANSP (generic `Property`s are used), it quotes a parameter value only
//! when it holds `:`, `;` or `,` (CN is quoted always, so every name looks
//! the same on the wire), it writes URI and CAL-ADDRESS values verbatim
//! (so addresses and the URL are cleaned here), and its SEQUENCE is a `u32`.

use chrono::{DateTime, Utc};
use icalendar::{
    Attendee, Calendar, Class, Component, Event, EventLike, EventStatus, Parameter, PartStat,
    Property, Role,
};

use super::feed::PRODID;
use super::text::{param_value, text_value};

/// The iTIP method of an invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// A new or moved session.
    Request,
    /// A cancelled session.
    Cancel,
    /// The mediator keeps the session's time: a party's proposal of
    /// another (their COUNTER) is declined.
    DeclineCounter,
}

impl Method {
    /// The value of `METHOD:` and of the MIME `method=` parameter.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Request => "REQUEST",
            Method::Cancel => "CANCEL",
            Method::DeclineCounter => "DECLINECOUNTER",
        }
    }
}

/// One session as one recipient is invited to it.
#[derive(Debug, Clone)]
pub struct Invitation<'a> {
    /// Stable per session and recipient, e.g. `<session>-<party>@kelisim`.
    pub uid: &'a str,
    /// Goes up on every reschedule and on cancellation. Negative is written
    /// as 0.
    pub sequence: i32,
    pub method: Method,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// When this version of the invitation was made ("now").
    pub dtstamp: DateTime<Utc>,
    /// Neutral, e.g. "Mediation session, case 2-1234/2026".
    pub summary: &'a str,
    /// Room name or the online link.
    pub location: Option<&'a str>,
    /// The recipient's personal page. Written only if it is an absolute
    /// `http`/`https` URL; anything else is left out.
    pub url: Option<&'a str>,
    /// The service's From address: a plain `local@domain`, not
    /// `Name <local@domain>`.
    pub organizer_email: &'a str,
    /// The mediator's name (the organizer's CN).
    pub organizer_name: &'a str,
    /// The only attendee: this recipient. A plain address.
    pub attendee_email: &'a str,
    pub attendee_name: &'a str,
    /// `NEEDS-ACTION` normally; `ACCEPTED`, `DECLINED`, `TENTATIVE` and
    /// `DELEGATED` are kept too, anything else becomes `NEEDS-ACTION`.
    pub partstat: crate::domain::session::PartStat,
}

/// The invitation as iCalendar text: CRLF line ends, lines folded at 75
/// octets, exactly one VEVENT with exactly one ATTENDEE.
pub fn build(inv: &Invitation<'_>) -> String {
    let mut calendar = Calendar::empty();
    calendar
        .append_property(Property::new("VERSION", "2.0"))
        .append_property(Property::new("PRODID", PRODID))
        .append_property(Property::new("CALSCALE", "GREGORIAN"))
        .append_property(Property::new("METHOD", inv.method.as_str()));

    let mut event = Event::new();
    event
        .uid(&text_value(inv.uid))
        // The crate's SEQUENCE is a u32; a negative one is meaningless.
        .sequence(u32::try_from(inv.sequence).unwrap_or(0))
        .timestamp(inv.dtstamp)
        .starts(inv.starts_at)
        .ends(inv.ends_at)
        .summary(&text_value(inv.summary))
        .class(Class::Confidential)
        .status(match inv.method {
            Method::Request | Method::DeclineCounter => EventStatus::Confirmed,
            Method::Cancel => EventStatus::Cancelled,
        })
        // No typed TRANSP in the crate.
        .add_property("TRANSP", "OPAQUE");
    if let Some(location) = inv.location {
        event.location(&text_value(location));
    }
    if let Some(url) = inv.url.and_then(http_url) {
        event.url(&url);
    }

    // No typed ORGANIZER in the crate.
    let mut organizer = Property::new("ORGANIZER", mailto(inv.organizer_email));
    if let Some(cn) = quoted_cn(inv.organizer_name) {
        organizer.append_parameter(Parameter::new("CN", &cn));
    }
    event.append_property(organizer.done());

    let mut attendee = Attendee::new(mailto(inv.attendee_email))
        .role(Role::ReqParticipant)
        .partstat(partstat(inv.partstat));
    if inv.method == Method::Request {
        attendee = attendee.rsvp(true);
    }
    if let Some(cn) = quoted_cn(inv.attendee_name) {
        attendee = attendee.cn(cn);
    }
    event.attendee(attendee);

    calendar.push(event.done());
    calendar.to_string()
}

/// A CN parameter value: cleaned by [`param_value`] (no `"`, no control
/// characters) and always wrapped in double quotes. The crate writes a value
/// that starts and ends with `"` as it is, and since nothing inside can be a
/// `"` any more, `;`, `:` and `,` stay inside the quotes. `None` for a name
/// that is empty once cleaned.
fn quoted_cn(name: &str) -> Option<String> {
    let cleaned = param_value(name);
    (!cleaned.is_empty()).then(|| format!("\"{cleaned}\""))
}

/// `mailto:` plus the address with everything a plain `local@domain` cannot
/// hold removed: whitespace, control characters, quotes, and the
/// separators of display-name syntax and of iCalendar (`<>()[]\,;:`). The
/// crate writes CAL-ADDRESS values verbatim, so this is what keeps a hostile
/// address from ending the line. Callers pass addresses that are already
/// valid ([`crate::domain::EmailAddress`]); for those nothing changes.
fn mailto(address: &str) -> String {
    let plain: String = address
        .chars()
        .filter(|c| {
            !(c.is_whitespace()
                || c.is_control()
                || matches!(
                    c,
                    '"' | '<' | '>' | '(' | ')' | '[' | ']' | '\\' | ',' | ';' | ':'
                ))
        })
        .collect();
    format!("mailto:{plain}")
}

/// An absolute `http`/`https` URL in its normalized form, which holds no
/// whitespace or control characters (the parser drops tabs and line breaks
/// and percent-encodes the rest); `None` for anything else. URI values are
/// written verbatim by the crate.
fn http_url(input: &str) -> Option<String> {
    let url = url::Url::parse(input.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let out = url.as_str();
    (!out.contains(|c: char| c.is_whitespace() || c.is_control())).then(|| out.to_owned())
}

fn partstat(answer: crate::domain::session::PartStat) -> PartStat {
    use crate::domain::session::PartStat as Answer;
    match answer {
        Answer::NeedsAction => PartStat::NeedsAction,
        Answer::Accepted => PartStat::Accepted,
        Answer::Declined => PartStat::Declined,
        Answer::Tentative => PartStat::Tentative,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .single()
            .expect("valid test time")
    }

    fn request() -> Invitation<'static> {
        Invitation {
            uid: "session-0190f5c2-party-0190f5c3@kelisim",
            sequence: 0,
            method: Method::Request,
            starts_at: utc(2026, 12, 7, 5, 0),
            ends_at: utc(2026, 12, 7, 6, 30),
            dtstamp: utc(2026, 11, 28, 9, 15),
            summary: "Mediation session, case 2-1234/2026",
            location: Some("Room 4, Almaty District Court No. 2"),
            url: Some("https://kelisim.example.kz/p/abc123"),
            organizer_email: "no-reply@kelisim.example.kz",
            organizer_name: "Aigerim Seitova",
            attendee_email: "party@example.kz",
            attendee_name: "Nurlan Abenov",
            partstat: crate::domain::session::PartStat::NeedsAction,
        }
    }

    /// One content line, read the way RFC 5545 (3.1) defines it: the name
    /// runs to the first `;` or `:`, a parameter value in double quotes runs
    /// to the closing quote, the value is everything after the first `:`
    /// outside quotes. Written here so the check does not depend on the
    /// crate that wrote the text.
    #[derive(Debug, PartialEq, Eq)]
    struct Line {
        name: String,
        params: Vec<(String, String)>,
        value: String,
    }

    fn parse_line(line: &str) -> Line {
        let name_end = line.find([';', ':']).unwrap_or(line.len());
        let name = line[..name_end].to_owned();
        let mut rest = &line[name_end..];
        let mut params = Vec::new();
        while let Some(after) = rest.strip_prefix(';') {
            let eq = after.find('=').expect("parameter has '='");
            let key = after[..eq].to_owned();
            let after_eq = &after[eq + 1..];
            let (val, tail) = if let Some(quoted) = after_eq.strip_prefix('"') {
                let close = quoted.find('"').expect("closing quote");
                (quoted[..close].to_owned(), &quoted[close + 1..])
            } else {
                let end = after_eq.find([';', ':']).unwrap_or(after_eq.len());
                (after_eq[..end].to_owned(), &after_eq[end..])
            };
            params.push((key, val));
            rest = tail;
        }
        let value = rest
            .strip_prefix(':')
            .unwrap_or_else(|| panic!("no value in {line:?}"))
            .to_owned();
        Line {
            name,
            params,
            value,
        }
    }

    /// Unfolded content lines (RFC 5545 3.1: CRLF followed by one space or
    /// tab is removed), each parsed.
    fn lines(ics: &str) -> Vec<Line> {
        unfold(ics)
            .split("\r\n")
            .filter(|l| !l.is_empty())
            .map(parse_line)
            .collect()
    }

    fn unfold(ics: &str) -> String {
        ics.replace("\r\n ", "").replace("\r\n\t", "")
    }

    fn named<'l>(lines: &'l [Line], name: &str) -> Vec<&'l Line> {
        lines.iter().filter(|l| l.name == name).collect()
    }

    fn only<'l>(lines: &'l [Line], name: &str) -> &'l Line {
        let found = named(lines, name);
        assert_eq!(found.len(), 1, "exactly one {name}: {lines:#?}");
        found[0]
    }

    fn param<'l>(line: &'l Line, key: &str) -> Option<&'l str> {
        line.params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn param_keys(line: &Line) -> Vec<&str> {
        line.params.iter().map(|(k, _)| k.as_str()).collect()
    }

    /// RFC 5545 3.3.11, reversed.
    fn unescape(text: &str) -> String {
        let mut out = String::new();
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some('n' | 'N') => out.push('\n'),
                    Some(other) => out.push(other),
                    None => out.push('\\'),
                }
            } else {
                out.push(c);
            }
        }
        out
    }

    #[test]
    fn a_request_invites_only_the_recipient_asks_for_a_reply_and_is_in_utc() {
        let ics = build(&request());

        let unfolded: Vec<String> = unfold(&ics)
            .split("\r\n")
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect();
        assert_eq!(
            unfolded,
            vec![
                "BEGIN:VCALENDAR",
                "VERSION:2.0",
                "PRODID:-//Kelisim//Mediation//EN",
                "CALSCALE:GREGORIAN",
                "METHOD:REQUEST",
                "BEGIN:VEVENT",
                "CLASS:CONFIDENTIAL",
                "DTEND:20261207T063000Z",
                "DTSTAMP:20261128T091500Z",
                "DTSTART:20261207T050000Z",
                "LOCATION:Room 4\\, Almaty District Court No. 2",
                "ORGANIZER;CN=\"Aigerim Seitova\":mailto:no-reply@kelisim.example.kz",
                "SEQUENCE:0",
                "STATUS:CONFIRMED",
                "SUMMARY:Mediation session\\, case 2-1234/2026",
                "TRANSP:OPAQUE",
                "UID:session-0190f5c2-party-0190f5c3@kelisim",
                "URL:https://kelisim.example.kz/p/abc123",
                "ATTENDEE;CN=\"Nurlan Abenov\";PARTSTAT=NEEDS-ACTION;ROLE=REQ-PARTICIPANT;RSVP=TRUE:mailto:party@example.kz",
                "END:VEVENT",
                "END:VCALENDAR",
            ],
            "{ics}"
        );
        let lines = lines(&ics);
        let attendee = only(&lines, "ATTENDEE");
        assert_eq!(attendee.value, "mailto:party@example.kz");
        assert_eq!(param(attendee, "CN"), Some("Nurlan Abenov"));
        assert_eq!(param(attendee, "RSVP"), Some("TRUE"));
        assert_eq!(param(attendee, "PARTSTAT"), Some("NEEDS-ACTION"));
        assert_eq!(param(attendee, "ROLE"), Some("REQ-PARTICIPANT"));
        assert!(named(&lines, "VTIMEZONE").is_empty());
        assert!(
            named(&lines, "BEGIN")
                .iter()
                .all(|l| l.value != "VTIMEZONE")
        );
        assert_eq!(ics.matches('\n').count(), ics.matches("\r\n").count());
        assert_eq!(ics.matches('\r').count(), ics.matches("\r\n").count());
    }

    #[test]
    fn the_same_invitation_always_gives_the_same_text() {
        assert_eq!(build(&request()), build(&request()));
    }

    #[test]
    fn a_cancel_has_method_cancel_status_cancelled_and_the_same_uid_with_a_higher_sequence() {
        let original = request();
        let cancel = Invitation {
            method: Method::Cancel,
            sequence: original.sequence + 1,
            dtstamp: utc(2026, 12, 1, 10, 0),
            ..original.clone()
        };

        let first = lines(&build(&original));
        let second = lines(&build(&cancel));

        assert_eq!(only(&second, "METHOD").value, "CANCEL");
        assert_eq!(only(&second, "STATUS").value, "CANCELLED");
        assert_eq!(only(&second, "UID").value, only(&first, "UID").value);
        let sequence = |lines: &[Line]| -> i64 {
            only(lines, "SEQUENCE")
                .value
                .parse()
                .expect("SEQUENCE is a number")
        };
        assert!(sequence(&second) > sequence(&first));
        assert_eq!(only(&second, "DTSTAMP").value, "20261201T100000Z");
        let attendee = only(&second, "ATTENDEE");
        assert_eq!(attendee.value, "mailto:party@example.kz");
        assert_eq!(param(attendee, "RSVP"), None, "no reply to a cancel");
        assert_eq!(Method::Cancel.as_str(), "CANCEL");
        assert_eq!(Method::Request.as_str(), "REQUEST");
    }

    #[test]
    fn a_negative_sequence_is_written_as_zero_and_each_answer_as_its_partstat() {
        let inv = Invitation {
            sequence: -3,
            ..request()
        };
        let accepted = Invitation {
            partstat: crate::domain::session::PartStat::Accepted,
            ..request()
        };

        assert_eq!(only(&lines(&build(&inv)), "SEQUENCE").value, "0");
        let parsed = lines(&build(&inv));
        assert_eq!(
            param(only(&parsed, "ATTENDEE"), "PARTSTAT"),
            Some("NEEDS-ACTION")
        );
        let parsed = lines(&build(&accepted));
        assert_eq!(
            param(only(&parsed, "ATTENDEE"), "PARTSTAT"),
            Some("ACCEPTED")
        );
    }

    #[test]
    fn long_cyrillic_lines_are_folded_at_75_octets_and_unfolding_restores_the_text() {
        let summary = "Медиативная сессия, дело 2-1234/2026 — Алматы қаласының №2 аудандық соты";
        let location = "Сот отырысы залы №4; Алматы қаласы, Әуезов ауданы, Жандосов көшесі 2";
        let name = "Айгерім Сейітқызы Сейітова-Нұрланқызы, медиатор Алматы облысы";
        let inv = Invitation {
            summary,
            location: Some(location),
            organizer_name: name,
            attendee_name: name,
            ..request()
        };

        let ics = build(&inv);

        assert!(ics.ends_with("\r\n"));
        let physical: Vec<&str> = ics.trim_end_matches("\r\n").split("\r\n").collect();
        for line in &physical {
            assert!(line.len() <= 75, "{} octets: {line}", line.len());
            assert!(!line.contains(['\r', '\n']), "bare line break in {line:?}");
        }
        assert!(
            physical.iter().filter(|l| l.starts_with(' ')).count() >= 4,
            "the long lines were folded: {ics}"
        );
        // Splitting a character would have made the folded text not UTF-8
        // (a String cannot hold that) or would change it after unfolding.
        let lines = lines(&ics);
        assert_eq!(unescape(&only(&lines, "SUMMARY").value), summary);
        assert_eq!(unescape(&only(&lines, "LOCATION").value), location);
        assert_eq!(param(only(&lines, "ATTENDEE"), "CN"), Some(name));
        assert_eq!(param(only(&lines, "ORGANIZER"), "CN"), Some(name));
    }

    const HOSTILE: [&str; 5] = [
        "Evil\r\nATTENDEE:mailto:x@evil.kz",
        "A\"; ROLE=CHAIR; X=\"",
        "Name:with;semi,colon",
        "Eve\rEND:VEVENT\nBEGIN:VEVENT",
        "Bob\u{0}\u{1b}[31m\u{85}\u{2028}Smith\t\u{b}",
    ];

    const EXPECTED_PROPERTIES: [&str; 18] = [
        "BEGIN",
        "VERSION",
        "PRODID",
        "CALSCALE",
        "METHOD",
        "BEGIN",
        "CLASS",
        "DTEND",
        "DTSTAMP",
        "DTSTART",
        "LOCATION",
        "ORGANIZER",
        "SEQUENCE",
        "STATUS",
        "SUMMARY",
        "TRANSP",
        "UID",
        "URL",
    ];

    fn assert_no_property_or_parameter_was_added(ics: &str) {
        assert_eq!(ics.matches('\n').count(), ics.matches("\r\n").count());
        assert_eq!(ics.matches('\r').count(), ics.matches("\r\n").count());
        let lines = lines(ics);
        let names: Vec<&str> = lines.iter().map(|l| l.name.as_str()).collect();
        let mut expected = EXPECTED_PROPERTIES.to_vec();
        expected.extend(["ATTENDEE", "END", "END"]);
        assert_eq!(names, expected, "{ics}");
        let attendee = only(&lines, "ATTENDEE");
        assert_eq!(attendee.value, "mailto:party@example.kz", "{ics}");
        assert_eq!(
            param_keys(attendee),
            vec!["CN", "PARTSTAT", "ROLE", "RSVP"],
            "{ics}"
        );
        assert_eq!(param(attendee, "ROLE"), Some("REQ-PARTICIPANT"));
        assert_eq!(param(attendee, "PARTSTAT"), Some("NEEDS-ACTION"));
        let organizer = only(&lines, "ORGANIZER");
        assert_eq!(param_keys(organizer), vec!["CN"], "{ics}");
        assert_eq!(organizer.value, "mailto:no-reply@kelisim.example.kz");
    }

    #[test]
    fn hostile_names_summaries_and_locations_cannot_add_a_property_or_a_parameter() {
        for hostile in HOSTILE {
            let inv = Invitation {
                summary: hostile,
                location: Some(hostile),
                organizer_name: hostile,
                attendee_name: hostile,
                ..request()
            };

            let ics = build(&inv);

            assert_no_property_or_parameter_was_added(&ics);
            let lines = lines(&ics);
            let cn = param_value(hostile);
            assert_eq!(param(only(&lines, "ATTENDEE"), "CN"), Some(cn.as_str()));
            assert_eq!(param(only(&lines, "ORGANIZER"), "CN"), Some(cn.as_str()));
            assert_eq!(
                unescape(&only(&lines, "SUMMARY").value),
                text_value(hostile)
            );
            assert_eq!(
                unescape(&only(&lines, "LOCATION").value),
                text_value(hostile)
            );
        }
        // The cleaned names keep what they can, and a quote-only name has
        // no CN at all.
        assert_eq!(param_value("Name:with;semi,colon"), "Name:with;semi,colon");
        let ics = build(&Invitation {
            attendee_name: "\"\"",
            ..request()
        });
        assert_eq!(param(only(&lines(&ics), "ATTENDEE"), "CN"), None);
    }

    #[test]
    fn hostile_addresses_and_urls_cannot_add_a_property_or_a_parameter() {
        let inv = Invitation {
            attendee_email: "party@example.kz\r\nATTENDEE:mailto:x@evil.kz",
            organizer_email: "no-reply@kelisim.example.kz\"; ROLE=CHAIR",
            url: Some("https://kelisim.example.kz/p/abc\r\nATTENDEE:mailto:y@evil.kz"),
            ..request()
        };

        let ics = build(&inv);

        let parsed = lines(&ics);
        assert_eq!(named(&parsed, "ATTENDEE").len(), 1, "{ics}");
        assert!(
            parsed
                .iter()
                .all(|l| !l.name.starts_with("X-") && l.name != "ROLE"),
            "{ics}"
        );
        let attendee = only(&parsed, "ATTENDEE");
        assert_eq!(
            attendee.value,
            "mailto:party@example.kzATTENDEEmailtox@evil.kz"
        );
        assert_eq!(param_keys(attendee), vec!["CN", "PARTSTAT", "ROLE", "RSVP"]);
        assert_eq!(param(attendee, "ROLE"), Some("REQ-PARTICIPANT"));
        assert_eq!(param(attendee, "PARTSTAT"), Some("NEEDS-ACTION"));
        let organizer = only(&parsed, "ORGANIZER");
        assert_eq!(param_keys(organizer), vec!["CN"]);
        assert_eq!(
            organizer.value,
            "mailto:no-reply@kelisim.example.kzROLE=CHAIR"
        );
        let url = only(&parsed, "URL");
        assert!(!url.value.contains(char::is_whitespace), "{ics}");
        assert_eq!(ics.matches('\n').count(), ics.matches("\r\n").count());
        assert_eq!(ics.matches('\r').count(), ics.matches("\r\n").count());

        for bad in ["javascript:alert(1)", "not a url", "/relative/path"] {
            let ics = build(&Invitation {
                url: Some(bad),
                ..request()
            });
            assert!(named(&lines(&ics), "URL").is_empty(), "{bad}: {ics}");
        }
    }

    /// Reads `ics` with `calcard`, a parser written independently of the
    /// `icalendar` crate that wrote it, as a mail client would. Its lenient
    /// mode skips a line it cannot read (its strict mode refuses every nested
    /// BEGIN), so every content line must come back as a property or as the
    /// BEGIN / END of a component, and nothing may follow the calendar.
    fn parse_independently(ics: &str) -> calcard::icalendar::ICalendar {
        let mut parser = calcard::Parser::new(ics);
        let calendar = match parser.entry() {
            calcard::Entry::ICalendar(calendar) => calendar,
            other => panic!("calcard could not read the calendar ({other:?}):\n{ics}"),
        };
        let after = parser.entry();
        assert!(
            matches!(after, calcard::Entry::Eof),
            "{after:?} after:\n{ics}"
        );
        let read: usize = calendar
            .components
            .iter()
            .map(|c| c.entries.len() + 2)
            .sum();
        assert_eq!(read, lines(ics).len(), "every line was read:\n{ics}");
        calendar
    }

    /// One property as `calcard` decoded it: parameters sorted, a DATE-TIME
    /// as RFC 3339 (and only when it was written in UTC).
    #[derive(Debug, PartialEq)]
    struct Decoded {
        name: String,
        params: Vec<(String, String)>,
        value: String,
    }

    fn decoded(component: &calcard::icalendar::ICalendarComponent) -> Vec<Decoded> {
        use calcard::icalendar::ICalendarValue;
        component
            .entries
            .iter()
            .map(|entry| {
                let mut params: Vec<(String, String)> = entry
                    .params
                    .iter()
                    .map(|p| {
                        let value = p.value.clone().into_text().map(|v| v.into_owned());
                        (
                            p.name.as_str().to_owned(),
                            value.expect("a parameter value"),
                        )
                    })
                    .collect();
                params.sort();
                assert_eq!(entry.values.len(), 1, "one value: {entry:?}");
                let value = match &entry.values[0] {
                    ICalendarValue::PartialDateTime(at) => {
                        assert_eq!(
                            (at.tz_hour, at.tz_minute, at.tz_minus),
                            (Some(0), Some(0), false),
                            "{} in UTC",
                            entry.name.as_str()
                        );
                        at.to_rfc3339().expect("a date-time")
                    }
                    ICalendarValue::Integer(n) => n.to_string(),
                    other => other.as_text().expect("a text value").to_owned(),
                };
                Decoded {
                    name: entry.name.as_str().to_owned(),
                    params,
                    value,
                }
            })
            .collect()
    }

    fn property(name: &str, params: &[(&str, &str)], value: &str) -> Decoded {
        Decoded {
            name: name.to_owned(),
            params: params
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            value: value.to_owned(),
        }
    }

    #[test]
    fn an_independent_parser_reads_a_hostile_cyrillic_invitation_as_one_event_for_one_attendee() {
        let name = "Evil\r\nATTENDEE:mailto:x@evil.kz Айгерім \"; ROLE=CHAIR; X=\"";
        let summary = "Медиативная сессия, дело 2-1234/2026; зал №4\r\nATTENDEE:mailto:y@evil.kz";
        let inv = Invitation {
            summary,
            location: Some("Сот отырысы залы №4, Алматы"),
            organizer_name: "Сейітова, Айгерім",
            attendee_name: name,
            ..request()
        };

        let parsed = parse_independently(&build(&inv));

        let kinds: Vec<&str> = parsed
            .components
            .iter()
            .map(|c| c.component_type.as_str())
            .collect();
        assert_eq!(kinds, ["VCALENDAR", "VEVENT"]);
        let calendar = decoded(&parsed.components[0]);
        for (name, value) in [("METHOD", "REQUEST"), ("VERSION", "2.0")] {
            let found: Vec<&Decoded> = calendar.iter().filter(|p| p.name == name).collect();
            assert_eq!(found, [&property(name, &[], value)]);
        }
        let event = decoded(&parsed.components[1]);
        let cn = param_value(name);
        // Each property once, in the order written, nothing added; one
        // attendee, with exactly its own parameters.
        assert_eq!(
            event,
            [
                property("CLASS", &[], "CONFIDENTIAL"),
                property("DTEND", &[], "2026-12-07T06:30:00Z"),
                property("DTSTAMP", &[], "2026-11-28T09:15:00Z"),
                property("DTSTART", &[], "2026-12-07T05:00:00Z"),
                property("LOCATION", &[], "Сот отырысы залы №4, Алматы"),
                property(
                    "ORGANIZER",
                    &[("CN", "Сейітова, Айгерім")],
                    "mailto:no-reply@kelisim.example.kz"
                ),
                property("SEQUENCE", &[], "0"),
                property("STATUS", &[], "CONFIRMED"),
                property("SUMMARY", &[], &text_value(summary)),
                property("TRANSP", &[], "OPAQUE"),
                property("UID", &[], "session-0190f5c2-party-0190f5c3@kelisim"),
                property("URL", &[], "https://kelisim.example.kz/p/abc123"),
                property(
                    "ATTENDEE",
                    &[
                        ("CN", cn.as_str()),
                        ("PARTSTAT", "NEEDS-ACTION"),
                        ("ROLE", "REQ-PARTICIPANT"),
                        ("RSVP", "TRUE"),
                    ],
                    "mailto:party@example.kz"
                ),
            ]
        );
    }
}
