//! A mediator's subscribable calendar feed (`/calendar/<secret>.ics`).
//!
//! [`build_feed`] turns the mediator's sessions into one `METHOD:PUBLISH`
//! calendar that Outlook, Google Calendar and Apple Calendar poll. Times are
//! written in UTC (`…Z`), which every client understands and which needs no
//! `VTIMEZONE` (the `icalendar` crate cannot build a correct one).
//!
//! Rules a newcomer must not break:
//! - The output depends only on the arguments: pass `now` for DTSTAMP and a
//!   stable UID per session, so the crate never fills either in from the
//!   clock or a random number, and clients do not see every poll as changed.
//! - All text goes through [`text_value`]; the feed is confidential
//!   (`CLASS:CONFIDENTIAL`) and its summaries stay neutral, as in invitations:
//!   what a caller puts in `summary`, `location` and `description` is what
//!   anyone holding the feed's secret URL reads.
//! - Cancelled sessions stay in the feed with `STATUS:CANCELLED` and a
//!   higher SEQUENCE, so subscribed clients remove them rather than keep a
//!   stale copy.

use chrono::{DateTime, Utc};
use icalendar::{Calendar, Class, Component, Event, EventLike, EventStatus, Parameter, Property};

use super::text::text_value;

/// The PRODID of everything Kelisim publishes.
pub const PRODID: &str = "-//Kelisim//Mediation//EN";

/// How often subscribed clients should poll, as an RFC 5545 DURATION.
const REFRESH: &str = "PT15M";

/// One session as it appears in a mediator's feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEvent {
    /// Stable for the session, e.g. `<session uuid>@kelisim`.
    pub uid: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub summary: String,
    pub location: Option<String>,
    pub description: Option<String>,
    pub cancelled: bool,
    /// Goes up on every reschedule or cancellation.
    pub sequence: u32,
    pub last_modified: DateTime<Utc>,
}

/// The feed as iCalendar text: CRLF line ends, lines folded at 75 octets.
pub fn build_feed(calendar_name: &str, events: &[FeedEvent], now: DateTime<Utc>) -> String {
    let mut calendar = Calendar::empty();
    calendar
        .append_property(Property::new("VERSION", "2.0"))
        .append_property(Property::new("PRODID", PRODID))
        .append_property(Property::new("CALSCALE", "GREGORIAN"))
        .append_property(Property::new("METHOD", "PUBLISH"))
        // A calendar name is one line in every client; keep it so.
        .append_property(Property::new(
            "X-WR-CALNAME",
            text_value(calendar_name).replace('\n', " "),
        ))
        .append_property(Property::new("X-PUBLISHED-TTL", REFRESH))
        // RFC 7986's standard twin of X-PUBLISHED-TTL. Written by hand:
        // the crate's `ttl()` formats 15 minutes as "PT900S".
        .append_property(
            Property::new("REFRESH-INTERVAL", REFRESH)
                .append_parameter(Parameter::new("VALUE", "DURATION"))
                .done(),
        );
    for event in events {
        calendar.push(feed_event(event, now));
    }
    calendar.to_string()
}

fn feed_event(event: &FeedEvent, now: DateTime<Utc>) -> Event {
    let mut out = Event::new();
    out.uid(&text_value(&event.uid))
        .timestamp(now)
        .starts(event.starts_at)
        .ends(event.ends_at)
        .summary(&text_value(&event.summary))
        .sequence(event.sequence)
        .last_modified(event.last_modified)
        .class(Class::Confidential)
        .status(if event.cancelled {
            EventStatus::Cancelled
        } else {
            EventStatus::Confirmed
        });
    if let Some(location) = &event.location {
        out.location(&text_value(location));
    }
    if let Some(description) = &event.description {
        out.description(&text_value(description));
    }
    out.done()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::import::{BusyBlock, busy_blocks};
    use chrono::TimeZone;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .single()
            .expect("valid test time")
    }

    fn session(n: u32, start: DateTime<Utc>, minutes: i64) -> FeedEvent {
        FeedEvent {
            uid: format!("0190f5c2-0000-7000-8000-00000000000{n}@kelisim"),
            starts_at: start,
            ends_at: start + chrono::TimeDelta::minutes(minutes),
            summary: format!("Mediation session, case 2-{n}/2026"),
            location: Some("Room 4, Almaty District Court No. 2".to_owned()),
            description: None,
            cancelled: false,
            sequence: 0,
            last_modified: utc(2026, 1, 10, 9, 0),
        }
    }

    fn now() -> DateTime<Utc> {
        utc(2026, 1, 15, 12, 0)
    }

    /// Unfolded content lines, split the way RFC 5545 (3.1) readers split.
    fn content_lines(ics: &str) -> Vec<String> {
        icalendar::parser::unfold(ics)
            .split("\r\n")
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    }

    fn lines_named(ics: &str, name: &str) -> Vec<String> {
        content_lines(ics)
            .into_iter()
            .filter(|line| {
                let end = line.find([';', ':']).unwrap_or(line.len());
                line[..end].eq_ignore_ascii_case(name)
            })
            .collect()
    }

    #[test]
    fn the_feed_has_the_calendar_properties_subscribers_need() {
        let ics = build_feed("Aigerim Seitova — sessions", &[], now());

        let lines = content_lines(&ics);

        assert_eq!(
            lines,
            vec![
                "BEGIN:VCALENDAR",
                "VERSION:2.0",
                "PRODID:-//Kelisim//Mediation//EN",
                "CALSCALE:GREGORIAN",
                "METHOD:PUBLISH",
                "X-WR-CALNAME:Aigerim Seitova — sessions",
                "X-PUBLISHED-TTL:PT15M",
                "REFRESH-INTERVAL;VALUE=DURATION:PT15M",
                "END:VCALENDAR",
            ]
        );
    }

    #[test]
    fn each_session_becomes_one_confidential_vevent_in_utc() {
        let mut cancelled = session(2, utc(2026, 2, 3, 9, 0), 90);
        cancelled.cancelled = true;
        cancelled.sequence = 3;
        cancelled.description = Some("Moved; see the new invitation".to_owned());
        let events = [session(1, utc(2026, 2, 2, 5, 0), 60), cancelled];

        let ics = build_feed("Sessions", &events, now());

        assert_eq!(lines_named(&ics, "BEGIN").len(), 3);
        assert_eq!(
            lines_named(&ics, "UID"),
            vec![
                "UID:0190f5c2-0000-7000-8000-000000000001@kelisim",
                "UID:0190f5c2-0000-7000-8000-000000000002@kelisim",
            ]
        );
        assert_eq!(
            lines_named(&ics, "DTSTAMP"),
            vec!["DTSTAMP:20260115T120000Z"; 2]
        );
        assert_eq!(
            lines_named(&ics, "DTSTART"),
            vec!["DTSTART:20260202T050000Z", "DTSTART:20260203T090000Z"]
        );
        assert_eq!(
            lines_named(&ics, "DTEND"),
            vec!["DTEND:20260202T060000Z", "DTEND:20260203T103000Z"]
        );
        assert_eq!(
            lines_named(&ics, "STATUS"),
            vec!["STATUS:CONFIRMED", "STATUS:CANCELLED"]
        );
        assert_eq!(
            lines_named(&ics, "SEQUENCE"),
            vec!["SEQUENCE:0", "SEQUENCE:3"]
        );
        assert_eq!(lines_named(&ics, "CLASS"), vec!["CLASS:CONFIDENTIAL"; 2]);
        assert_eq!(
            lines_named(&ics, "LAST-MODIFIED"),
            vec!["LAST-MODIFIED:20260110T090000Z"; 2]
        );
        assert_eq!(
            lines_named(&ics, "LOCATION"),
            vec!["LOCATION:Room 4\\, Almaty District Court No. 2"; 2]
        );
        assert_eq!(
            lines_named(&ics, "DESCRIPTION"),
            vec!["DESCRIPTION:Moved\\; see the new invitation"]
        );
        assert!(lines_named(&ics, "VTIMEZONE").is_empty());
    }

    #[test]
    fn the_feed_depends_only_on_its_arguments() {
        let events = [session(1, utc(2026, 2, 2, 5, 0), 60)];

        assert_eq!(
            build_feed("Sessions", &events, now()),
            build_feed("Sessions", &events, now())
        );
    }

    #[test]
    fn long_cyrillic_text_is_folded_at_75_octets_on_character_boundaries_with_crlf() {
        let description = "Медиативная сессия по делу 2-1234/2026. ".repeat(12)
            + "Сот отырысы: Алматы қаласының №2 аудандық соты, 4-зал. Медиатор: Айгерім Сейітова.";
        let mut event = session(1, utc(2026, 2, 2, 5, 0), 60);
        event.description = Some(description.clone());
        event.summary = "Медиация, дело 2-1234/2026 — ".repeat(4);

        let ics = build_feed(
            "Календарь медиатора Айгерім Сейітова — все сессии",
            &[event],
            now(),
        );

        assert!(ics.ends_with("\r\n"));
        let physical: Vec<&str> = ics.trim_end_matches("\r\n").split("\r\n").collect();
        for line in &physical {
            assert!(line.len() <= 75, "{} octets: {line}", line.len());
            assert!(!line.contains(['\r', '\n']), "bare line break in {line:?}");
        }
        assert!(
            physical.iter().filter(|l| l.starts_with(' ')).count() > 10,
            "long lines were folded"
        );
        // Unfolding and unescaping gives back every character: none was split.
        let unfolded = icalendar::parser::unfold(&ics);
        let parsed = icalendar::parser::read_calendar(&unfolded).expect("feed parses");
        let vevent = &parsed.components[0];
        let value = |name: &str| {
            vevent
                .find_prop(name)
                .map(|p| p.val.as_str().to_owned())
                .expect("property present")
        };
        assert_eq!(value("DESCRIPTION"), description);
        assert_eq!(value("SUMMARY"), "Медиация, дело 2-1234/2026 — ".repeat(4));
    }

    #[test]
    fn hostile_text_cannot_add_properties_to_the_feed() {
        let mut event = session(1, utc(2026, 2, 2, 5, 0), 60);
        event.summary = "Case\r\nATTENDEE:mailto:x@y".to_owned();
        event.location = Some("Room\rEND:VEVENT".to_owned());
        event.description = Some("a\nBEGIN:VALARM".to_owned());

        let ics = build_feed("Name\r\nMETHOD:REQUEST", &[event], now());

        assert!(lines_named(&ics, "ATTENDEE").is_empty(), "{ics}");
        assert_eq!(lines_named(&ics, "METHOD"), vec!["METHOD:PUBLISH"]);
        assert_eq!(lines_named(&ics, "END").len(), 2);
        assert_eq!(lines_named(&ics, "BEGIN").len(), 2);
        assert_eq!(ics.matches('\r').count(), ics.matches("\r\n").count());
        assert_eq!(ics.matches('\n').count(), ics.matches("\r\n").count());
    }

    #[test]
    fn the_feed_round_trips_through_the_importer() {
        let mut cancelled = session(2, utc(2026, 2, 3, 9, 0), 90);
        cancelled.cancelled = true;
        let mut long = session(3, utc(2026, 2, 4, 4, 30), 150);
        long.description = Some("Очень длинное описание. ".repeat(20));
        let events = [session(1, utc(2026, 2, 2, 5, 0), 60), cancelled, long];
        let ics = build_feed("Sessions", &events, now());

        let blocks = busy_blocks(
            &ics,
            utc(2026, 2, 1, 0, 0),
            utc(2026, 3, 1, 0, 0),
            chrono_tz::Asia::Almaty,
        )
        .expect("own feed imports");

        assert_eq!(
            blocks,
            vec![
                BusyBlock {
                    start: utc(2026, 2, 2, 5, 0),
                    end: utc(2026, 2, 2, 6, 0)
                },
                BusyBlock {
                    start: utc(2026, 2, 4, 4, 30),
                    end: utc(2026, 2, 4, 7, 0)
                },
            ]
        );
    }
}
