//! The calendar part of an answer as Gmail, Outlook and Apple Mail write it,
//! built with a calendar library (`calcard`, independent of the `icalendar`
//! crate that writes and reads Kelisim's own calendars) and written by its
//! writer, which folds and escapes. What makes each client's shape is
//! reproduced: its PRODID, which properties it sends and in what order, how
//! it names the attendee (Gmail's `X-NUM-GUESTS`, Apple's `EMAIL=`),
//! Outlook's Windows zone with its `VTIMEZONE`, and Apple Mail's
//! quoted-printable transfer encoding (done by the `quoted_printable` crate).
//! The mail around it (headers, MIME parts, boundaries) is the fixture
//! message of that client in `tests/fixtures/imip/`.

use calcard::common::PartialDateTime;
use calcard::icalendar::{
    ICalendar, ICalendarClassification, ICalendarComponent, ICalendarComponentType, ICalendarEntry,
    ICalendarMethod, ICalendarParameter, ICalendarParameterName, ICalendarParticipationRole,
    ICalendarParticipationStatus, ICalendarProperty, ICalendarStatus, ICalendarTransparency,
    ICalendarUserTypes, ICalendarValue, Uri,
};
use chrono::{DateTime, Datelike, NaiveDateTime, Timelike, Utc};

/// Outlook's name for UTC+5 (Almaty, Astana), as Exchange writes it.
pub const WEST_ASIA: &str = "West Asia Standard Time";

/// What an answer says, whichever client writes it.
#[derive(Debug, Clone)]
pub struct Answer {
    pub uid: String,
    pub attendee: String,
    pub attendee_name: String,
    pub organizer: String,
    pub organizer_name: String,
    pub sequence: i64,
    pub partstat: String,
    pub summary: String,
    pub location: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// The same times on the wall clock of UTC+5, as Outlook writes them.
    pub local_start: NaiveDateTime,
    pub local_end: NaiveDateTime,
    /// When the client wrote the answer (DTSTAMP).
    pub stamp: DateTime<Utc>,
    pub comment: Option<String>,
    /// Outlook's "Propose new time", in local time of UTC+5.
    pub proposed: Option<(NaiveDateTime, NaiveDateTime)>,
}

fn utc(t: DateTime<Utc>) -> PartialDateTime {
    PartialDateTime::from_utc_timestamp(t.timestamp())
}

fn local(t: NaiveDateTime) -> PartialDateTime {
    PartialDateTime {
        year: u16::try_from(t.year()).ok(),
        month: u8::try_from(t.month()).ok(),
        day: u8::try_from(t.day()).ok(),
        hour: u8::try_from(t.hour()).ok(),
        minute: u8::try_from(t.minute()).ok(),
        second: u8::try_from(t.second()).ok(),
        ..PartialDateTime::default()
    }
}

fn offset(hours: u8) -> PartialDateTime {
    PartialDateTime {
        tz_hour: Some(hours),
        tz_minute: Some(0),
        ..PartialDateTime::default()
    }
}

fn mailto(address: &str) -> ICalendarValue {
    ICalendarValue::Uri(Uri::Location(format!("mailto:{address}")))
}

fn partstat(value: &str) -> ICalendarParticipationStatus {
    match value {
        "ACCEPTED" => ICalendarParticipationStatus::Accepted,
        "DECLINED" => ICalendarParticipationStatus::Declined,
        "TENTATIVE" => ICalendarParticipationStatus::Tentative,
        other => panic!("no answer is {other}"),
    }
}

fn x(name: &str) -> ICalendarProperty {
    ICalendarProperty::Other(name.to_owned())
}

fn language(tag: &str) -> ICalendarParameter {
    ICalendarParameter::language(tag.to_owned())
}

fn tzid() -> ICalendarParameter {
    ICalendarParameter::tzid(WEST_ASIA.to_owned())
}

/// A calendar of one VCALENDAR whose children are `children`, in order.
fn calendar(root: Vec<ICalendarEntry>, children: Vec<ICalendarComponent>) -> ICalendar {
    let mut vcalendar = ICalendarComponent::new(ICalendarComponentType::VCalendar);
    vcalendar.entries = root;
    let mut components = vec![vcalendar];
    for child in children {
        let id = u32::try_from(components.len()).expect("few components");
        components[0].component_ids.push(id);
        components.push(child);
    }
    ICalendar { components }
}

fn entry(name: ICalendarProperty, value: impl Into<ICalendarValue>) -> ICalendarEntry {
    ICalendarEntry::new(name).with_value(value)
}

fn written(calendar: &ICalendar) -> String {
    let text = calendar.to_string();
    assert!(text.ends_with("\r\n"), "the writer ends lines with CRLF");
    text
}

/// Gmail (Google Calendar): UTC times, `CN` unquoted, `X-NUM-GUESTS`.
pub fn gmail(a: &Answer) -> String {
    let mut event = ICalendarComponent::new(ICalendarComponentType::VEvent);
    event.entries = vec![
        entry(ICalendarProperty::Dtstart, utc(a.starts_at)),
        entry(ICalendarProperty::Dtend, utc(a.ends_at)),
        entry(ICalendarProperty::Dtstamp, utc(a.stamp)),
        ICalendarEntry::new(ICalendarProperty::Organizer)
            .with_param(ICalendarParameter::cn(a.organizer_name.clone()))
            .with_value(mailto(&a.organizer)),
        entry(ICalendarProperty::Uid, a.uid.as_str()),
        ICalendarEntry::new(ICalendarProperty::Attendee)
            .with_param(ICalendarParameter::cutype(ICalendarUserTypes::Individual))
            .with_param(ICalendarParameter::role(
                ICalendarParticipationRole::ReqParticipant,
            ))
            .with_param(ICalendarParameter::partstat(partstat(&a.partstat)))
            .with_param(ICalendarParameter::cn(a.attendee_name.clone()))
            .with_param(ICalendarParameter::new(
                ICalendarParameterName::Other("X-NUM-GUESTS".to_owned()),
                "0".to_owned(),
            ))
            .with_value(mailto(&a.attendee)),
        entry(
            ICalendarProperty::Created,
            utc(a.stamp - chrono::Duration::minutes(14)),
        ),
        entry(ICalendarProperty::LastModified, utc(a.stamp)),
        entry(ICalendarProperty::Location, a.location.as_str()),
        entry(ICalendarProperty::Sequence, a.sequence),
        entry(ICalendarProperty::Status, ICalendarStatus::Confirmed),
        entry(ICalendarProperty::Summary, a.summary.as_str()),
        entry(ICalendarProperty::Transp, ICalendarTransparency::Opaque),
    ];
    written(&calendar(
        vec![
            entry(
                ICalendarProperty::Prodid,
                "-//Google Inc//Google Calendar 70.9054//EN",
            ),
            entry(ICalendarProperty::Version, "2.0"),
            entry(
                ICalendarProperty::Calscale,
                calcard::common::CalendarScale::Gregorian,
            ),
            entry(ICalendarProperty::Method, ICalendarMethod::Reply),
        ],
        vec![event],
    ))
}

/// Exchange's `VTIMEZONE` for a zone without daylight saving time: both
/// rules from 1601 with the same offset.
fn west_asia_zone() -> Vec<ICalendarComponent> {
    let rule = |kind| {
        let mut c = ICalendarComponent::new(kind);
        c.entries = vec![
            entry(
                ICalendarProperty::Dtstart,
                local(
                    chrono::NaiveDate::from_ymd_opt(1601, 1, 1)
                        .and_then(|d| d.and_hms_opt(0, 0, 0))
                        .expect("a date"),
                ),
            ),
            entry(ICalendarProperty::Tzoffsetfrom, offset(5)),
            entry(ICalendarProperty::Tzoffsetto, offset(5)),
        ];
        c
    };
    let mut zone = ICalendarComponent::new(ICalendarComponentType::VTimezone);
    zone.entries = vec![entry(ICalendarProperty::Tzid, WEST_ASIA)];
    vec![
        zone,
        rule(ICalendarComponentType::Standard),
        rule(ICalendarComponentType::Daylight),
    ]
}

/// Outlook / Exchange: `METHOD` first, local times in the Windows zone,
/// `LANGUAGE` on text, the `X-MICROSOFT-CDO-*` properties; for a COUNTER
/// ("Propose new time") the proposed times and `X-MS-OLK-ORIGINALSTART`.
pub fn outlook(a: &Answer) -> String {
    let counter = a.proposed.is_some();
    let (start, end) = a.proposed.unwrap_or((a.local_start, a.local_end));
    let mut event = ICalendarComponent::new(ICalendarComponentType::VEvent);
    event.entries.push(
        ICalendarEntry::new(ICalendarProperty::Attendee)
            .with_param(ICalendarParameter::partstat(partstat(&a.partstat)))
            .with_param(ICalendarParameter::cn(a.attendee_name.clone()))
            .with_value(mailto(&a.attendee)),
    );
    if let Some(comment) = &a.comment {
        event.entries.push(
            ICalendarEntry::new(ICalendarProperty::Comment)
                .with_param(language("en-US"))
                .with_value(format!("{comment}\n")),
        );
    }
    let prefix = match (counter, a.partstat.as_str()) {
        (true, _) => "New Time Proposed",
        (false, "ACCEPTED") => "Accepted",
        (false, "DECLINED") => "Declined",
        (false, _) => "Tentative",
    };
    event.entries.extend([
        ICalendarEntry::new(ICalendarProperty::Summary)
            .with_param(language("en-US"))
            .with_value(format!("{prefix}: {}", a.summary)),
        ICalendarEntry::new(ICalendarProperty::Dtstart)
            .with_param(tzid())
            .with_value(local(start)),
        ICalendarEntry::new(ICalendarProperty::Dtend)
            .with_param(tzid())
            .with_value(local(end)),
        entry(ICalendarProperty::Uid, a.uid.as_str()),
        entry(ICalendarProperty::Class, ICalendarClassification::Public),
        entry(ICalendarProperty::Priority, 5),
        entry(ICalendarProperty::Dtstamp, utc(a.stamp)),
        entry(ICalendarProperty::Transp, ICalendarTransparency::Opaque),
        entry(ICalendarProperty::Status, ICalendarStatus::Confirmed),
        entry(ICalendarProperty::Sequence, a.sequence),
        ICalendarEntry::new(ICalendarProperty::Location)
            .with_param(language("en-US"))
            .with_value(a.location.as_str()),
        entry(x("X-MICROSOFT-CDO-APPT-SEQUENCE"), a.sequence.to_string()),
        entry(x("X-MICROSOFT-CDO-OWNERAPPTID"), "-1538213891"),
        entry(x("X-MICROSOFT-CDO-BUSYSTATUS"), "BUSY"),
        entry(x("X-MICROSOFT-CDO-INTENDEDSTATUS"), "BUSY"),
        entry(x("X-MICROSOFT-CDO-ALLDAYEVENT"), "FALSE"),
        entry(x("X-MICROSOFT-CDO-IMPORTANCE"), "1"),
        entry(x("X-MICROSOFT-CDO-INSTTYPE"), "0"),
        entry(x("X-MICROSOFT-DISALLOW-COUNTER"), "FALSE"),
    ]);
    if counter {
        event.entries.extend([
            ICalendarEntry::new(x("X-MS-OLK-ORIGINALSTART"))
                .with_param(tzid())
                .with_value(local_stamp(a.local_start)),
            ICalendarEntry::new(x("X-MS-OLK-ORIGINALEND"))
                .with_param(tzid())
                .with_value(local_stamp(a.local_end)),
        ]);
    }
    let mut zone = west_asia_zone();
    let (standard, daylight) = (zone.remove(1), zone.remove(1));
    let vtimezone = zone.remove(0);
    // The zone's two rules are its children: ids 2 and 3 after VTIMEZONE (1);
    // the event comes after them (4).
    let mut cal = calendar(
        vec![
            entry(
                ICalendarProperty::Method,
                if counter {
                    ICalendarMethod::Counter
                } else {
                    ICalendarMethod::Reply
                },
            ),
            entry(ICalendarProperty::Prodid, "Microsoft Exchange Server 2010"),
            entry(ICalendarProperty::Version, "2.0"),
        ],
        vec![vtimezone],
    );
    cal.components[1].component_ids = vec![2, 3];
    cal.components.push(standard);
    cal.components.push(daylight);
    cal.components[0].component_ids.push(4);
    cal.components.push(event);
    written(&cal)
}

/// An unknown property's value is text to the writer: the local time as
/// Outlook writes it there.
fn local_stamp(t: NaiveDateTime) -> String {
    t.format("%Y%m%dT%H%M%S").to_string()
}

/// Apple Calendar: properties in alphabetical order, `CN` quoted, an
/// `EMAIL=` parameter, `REQUEST-STATUS`.
pub fn apple(a: &Answer) -> String {
    let mut event = ICalendarComponent::new(ICalendarComponentType::VEvent);
    event.entries = vec![
        ICalendarEntry::new(ICalendarProperty::Attendee)
            .with_param(ICalendarParameter::cn(a.attendee_name.clone()))
            .with_param(ICalendarParameter::cutype(ICalendarUserTypes::Individual))
            .with_param(ICalendarParameter::email(a.attendee.clone()))
            .with_param(ICalendarParameter::partstat(partstat(&a.partstat)))
            .with_param(ICalendarParameter::role(
                ICalendarParticipationRole::ReqParticipant,
            ))
            .with_value(mailto(&a.attendee)),
        entry(ICalendarProperty::Dtend, utc(a.ends_at)),
        entry(ICalendarProperty::Dtstamp, utc(a.stamp)),
        entry(ICalendarProperty::Dtstart, utc(a.starts_at)),
        entry(ICalendarProperty::Location, a.location.as_str()),
        ICalendarEntry::new(ICalendarProperty::Organizer)
            .with_param(ICalendarParameter::cn(a.organizer_name.clone()))
            .with_value(mailto(&a.organizer)),
        ICalendarEntry::new(ICalendarProperty::RequestStatus)
            .with_values(vec!["2.0".into(), "Success".into()]),
        entry(ICalendarProperty::Sequence, a.sequence),
        entry(ICalendarProperty::Summary, a.summary.as_str()),
        entry(ICalendarProperty::Uid, a.uid.as_str()),
    ];
    written(&calendar(
        vec![
            entry(ICalendarProperty::Method, ICalendarMethod::Reply),
            entry(ICalendarProperty::Version, "2.0"),
            entry(ICalendarProperty::Prodid, "-//Apple Inc.//macOS 15.1//EN"),
        ],
        vec![event],
    ))
}

/// Apple Mail sends its calendar part quoted-printable, lines of at most
/// 76 characters with soft breaks (`=` at the end of a line).
pub fn quoted_printable(text: &str) -> String {
    // As text: the calendar's CRLF line ends stay line ends.
    ::quoted_printable::encode_to_str(text.as_bytes())
}
