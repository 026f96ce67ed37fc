//! Reading an answer to an invitation (iTIP `REPLY` or `COUNTER`, RFC 5546)
//! as a mail client sends it back: Gmail, Outlook and Apple Mail each write
//! it a little differently (quoted or bare parameters, `mailto:` in any
//! case, Windows zone names in Outlook's proposed times), so nothing here
//! depends on one shape.
//!
//! Rule: this only reads. Whether the answer is trusted is decided in
//! [`crate::domain::imip::judge`], from what the database knows.

use chrono_tz::Tz;
use icalendar::parser::{self, Component, Property};

use super::import::{self, ImportError, Span};
use crate::domain::imip::{AnswerMethod, CalendarAnswer, plain_address};

/// Why a calendar part could not be read as an answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("the calendar cannot be read: {0}")]
    Calendar(String),
    #[error("the calendar has no event with a UID")]
    NoEvent,
    #[error("the event names no attendee")]
    NoAttendee,
}

impl From<ImportError> for ReadError {
    fn from(e: ImportError) -> Self {
        ReadError::Calendar(e.to_string())
    }
}

/// The answer in `ics`: its METHOD, the UID, SEQUENCE, COMMENT and the
/// first ATTENDEE with its PARTSTAT. A COUNTER's proposed time is read
/// separately by [`proposed_time`], once the session's zone is known.
pub fn read(ics: &str) -> Result<CalendarAnswer, ReadError> {
    let text = import::prepare(ics)?;
    let roots = parser::read_components(&text).map_err(|e| import::parse_error(&e))?;
    let calendar = match roots.as_slice() {
        [root] if root.name.as_str().eq_ignore_ascii_case("VCALENDAR") => root,
        _ => return Err(ImportError::NotACalendar.into()),
    };
    let method = match find_prop(calendar, "METHOD").map(|p| p.val.as_str().trim()) {
        Some(m) if m.eq_ignore_ascii_case("REPLY") => AnswerMethod::Reply,
        Some(m) if m.eq_ignore_ascii_case("COUNTER") => AnswerMethod::Counter,
        _ => AnswerMethod::Other,
    };
    let event = calendar
        .components
        .iter()
        .find(|c| c.name.as_str().eq_ignore_ascii_case("VEVENT"))
        .ok_or(ReadError::NoEvent)?;
    let uid = find_prop(event, "UID")
        .map(|p| p.val.as_str().trim().to_owned())
        .filter(|u| !u.is_empty())
        .ok_or(ReadError::NoEvent)?;
    let attendee = find_prop(event, "ATTENDEE").ok_or(ReadError::NoAttendee)?;
    let sequence = find_prop(event, "SEQUENCE")
        .and_then(|p| p.val.as_str().trim().parse::<i32>().ok())
        .unwrap_or(0);
    Ok(CalendarAnswer {
        method,
        uid,
        attendee: plain_address(attendee.val.as_str()),
        partstat: find_param(attendee, "PARTSTAT").map(|p| p.trim().to_uppercase()),
        sequence,
        proposed: None,
        comment: find_prop(event, "COMMENT")
            .map(|p| unescape(p.val.as_str()))
            .filter(|c| !c.trim().is_empty()),
    })
}

/// The time a COUNTER proposes, floating times read in `session_zone`.
pub fn proposed_time(ics: &str, session_zone: Tz) -> Result<Option<Span>, ReadError> {
    Ok(import::first_event_span(ics, session_zone)?)
}

fn find_prop<'c, 'a>(component: &'c Component<'a>, name: &str) -> Option<&'c Property<'a>> {
    component
        .properties
        .iter()
        .find(|p| p.name.as_str().eq_ignore_ascii_case(name))
}

fn find_param<'p>(property: &'p Property<'_>, key: &str) -> Option<&'p str> {
    property
        .params
        .iter()
        .find(|p| p.key.as_str().eq_ignore_ascii_case(key))
        .and_then(|p| p.val.as_ref())
        .map(|v| v.as_str().trim_matches('"'))
}

/// RFC 5545 3.3.11 TEXT, unescaped.
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n' | 'N') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, TimeZone, Utc};

    fn utc(d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, d, h, mi, 0)
            .single()
            .expect("a time")
    }

    #[test]
    fn a_gmail_style_reply_is_read_with_its_attendee_partstat_and_sequence() {
        let ics = "BEGIN:VCALENDAR\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\n\
VERSION:2.0\r\nCALSCALE:GREGORIAN\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\n\
DTSTART:20261208T050000Z\r\nDTEND:20261208T063000Z\r\nDTSTAMP:20261201T090000Z\r\n\
ORGANIZER;CN=Dana Mediator:mailto:replies@kelisim.test\r\nUID:abc-def@kelisim\r\n\
ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;CN=Party\r\n \
One;X-NUM-GUESTS=0:mailto:Party.One@Example.kz\r\nSEQUENCE:2\r\nSTATUS:CONFIRMED\r\n\
SUMMARY:Mediation session\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

        let answer = read(ics).expect("a reply");

        assert_eq!(answer.method, AnswerMethod::Reply);
        assert_eq!(answer.uid, "abc-def@kelisim");
        assert_eq!(answer.attendee, "party.one@example.kz");
        assert_eq!(answer.partstat.as_deref(), Some("ACCEPTED"));
        assert_eq!(answer.sequence, 2);
    }

    #[test]
    fn an_outlook_counter_with_a_windows_zone_gives_its_proposed_time_in_utc() {
        let ics = "BEGIN:VCALENDAR\r\nMETHOD:COUNTER\r\nPRODID:Microsoft Exchange Server 2010\r\n\
VERSION:2.0\r\nBEGIN:VTIMEZONE\r\nTZID:West Asia Standard Time\r\nBEGIN:STANDARD\r\n\
DTSTART:16010101T000000\r\nTZOFFSETFROM:+0500\r\nTZOFFSETTO:+0500\r\nEND:STANDARD\r\n\
END:VTIMEZONE\r\nBEGIN:VEVENT\r\nATTENDEE;PARTSTAT=TENTATIVE;CN=Party One:mailto:party@example.kz\r\n\
COMMENT;LANGUAGE=en-US:Can we meet an hour later?\\nThanks\r\nUID:abc-def@kelisim\r\n\
SEQUENCE:0\r\nDTSTART;TZID=West Asia Standard Time:20261208T110000\r\n\
DTEND;TZID=West Asia Standard Time:20261208T123000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

        let answer = read(ics).expect("a counter");
        let proposed = proposed_time(ics, chrono_tz::Asia::Almaty).expect("a time");

        assert_eq!(answer.method, AnswerMethod::Counter);
        assert_eq!(answer.partstat.as_deref(), Some("TENTATIVE"));
        assert_eq!(answer.sequence, 0);
        assert_eq!(
            answer.comment.as_deref(),
            Some("Can we meet an hour later?\nThanks")
        );
        assert_eq!(proposed, Some((utc(8, 6, 0), utc(8, 7, 30))));
    }

    #[test]
    fn a_calendar_without_an_event_or_attendee_is_an_error_and_a_request_is_other() {
        let no_event = "BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nEND:VCALENDAR\r\n";
        assert_eq!(read(no_event), Err(ReadError::NoEvent));
        let no_attendee = "BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        assert_eq!(read(no_attendee), Err(ReadError::NoAttendee));
        let request = "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:x\r\n\
ATTENDEE:mailto:a@b.kz\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        assert_eq!(read(request).map(|a| a.method), Ok(AnswerMethod::Other));
        assert!(matches!(read("garbage"), Err(ReadError::Calendar(_))));
    }
}
