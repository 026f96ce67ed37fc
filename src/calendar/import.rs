//! Busy times from a mediator's own calendar (an `.ics` feed or upload).
//!
//! [`busy_blocks`] reads the text with the `icalendar` crate's parser,
//! expands recurring events with the `rrule` crate, applies `EXDATE`,
//! `RDATE` and `RECURRENCE-ID` overrides, and returns the times inside a
//! window that the mediator is not available. It does no I/O and never reads
//! the calendar clock: the caller passes the window and the mediator's time
//! zone. The only clock it looks at is the monotonic one, to stop after
//! [`MAX_EXPANSION_TIME`].
//!
//! Rules a newcomer must not break:
//! - Every input is hostile until counted: the size, nesting depth, number of
//!   events, number of recurring events, rules per event, how densely a rule
//!   repeats, recurrence steps, instances, the length of an event and the
//!   time spent are all capped (see the `MAX_*` constants), and the nesting
//!   check runs *before* the recursive parser sees the text, so a crafted
//!   file cannot overflow the stack, fill the memory or keep a worker busy.
//! - Every busy time is clipped to the window and overlapping ones are
//!   merged, so what the caller stores is bounded by the window, not by the
//!   file: an event from year 1 to 9999 must never become millions of rows.
//! - Never guess a time zone silently: an unknown `TZID` is an error naming
//!   the event. Floating times and all-day dates are, by RFC 5545, in the
//!   calendar owner's zone, which is why the caller must pass `local_tz`.
//! - An event that cannot be understood is an error, not skipped: a busy time
//!   dropped without a word would let a session be booked over it.

use std::collections::{HashMap, HashSet};

use chrono::{
    DateTime, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeDelta, TimeZone, Utc,
};
use chrono_tz::Tz;
use icalendar::parser::{self, Component, Property};

use super::text;

/// Largest calendar text accepted, in bytes.
pub const MAX_ICS_BYTES: usize = 10 * 1024 * 1024;
/// Most `VEVENT`s (masters and overrides together) in one calendar.
pub const MAX_EVENTS: usize = 5_000;
/// Most `VEVENT`s with an `RRULE`. A rule that can never match (e.g. 30
/// February) costs the `rrule` crate up to 100,000 idle loops, about 30 ms
/// in a release build, which is why [`MAX_EXPANSION_TIME`] also applies.
pub const MAX_RECURRING_EVENTS: usize = 1_000;
/// Most busy instances returned for one window.
pub const MAX_INSTANCES: usize = 20_000;
/// Most occurrences walked over all recurring events together, counting
/// those before the window: `COUNT` is counted from `DTSTART`, so a series
/// cannot be entered in the middle.
pub const MAX_RECURRENCE_STEPS: usize = 1_000_000;
/// Deepest `BEGIN:` nesting (VCALENDAR > VEVENT > VALARM is 3).
const MAX_NESTING: usize = 8;
/// Longest event, in days. Real absences are long (a six-week holiday, a
/// sabbatical, a year of parental leave) and must block every one of their
/// days, so the bound is a year, not a month. A longer event is refused with
/// its UID rather than cut short: cutting would silently make the mediator
/// bookable during an absence they entered, and an event of more than a
/// year is nearly always a mistyped year or a hostile file.
pub const MAX_EVENT_DAYS: i64 = 366;
/// Most `RRULE`s in one event. RFC 5545 says an event SHOULD have one; each
/// more is another iterator stepped for every instance.
pub const MAX_RULES_PER_EVENT: usize = 4;
/// Most instances one period of a rule may make (a year of a `YEARLY` rule,
/// a month of a `MONTHLY` one…), estimated from its `BY…` parts. The
/// `rrule` crate builds a whole period in memory before yielding any of it:
/// `FREQ=YEARLY` with every hour, minute and second is 31 million instances
/// at once, about a gigabyte.
pub const MAX_PERIOD_INSTANCES: usize = 3_000;
/// Longest time one import may spend parsing and expanding. A rule that can
/// never match (30 February) costs the `rrule` crate up to 100,000 idle
/// loops before it gives up, and a file may hold a thousand of them: that
/// would be half a minute of a core per upload without this bound.
pub const MAX_EXPANSION_TIME: std::time::Duration = std::time::Duration::from_millis(500);

/// A time the mediator is not available: `[start, end)`, in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BusyBlock {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// Why a calendar could not be imported. Messages are written for the
/// mediator who supplied the calendar, and quote no event text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("the calendar is {size} bytes; at most {limit} bytes can be imported")]
    TooLarge { size: usize, limit: usize },
    #[error("this is not an iCalendar file: it must start with BEGIN:VCALENDAR")]
    NotACalendar,
    #[error("the calendar could not be read: {0}")]
    Malformed(String),
    #[error("the calendar has more than {limit} events")]
    TooManyEvents { limit: usize },
    #[error("the calendar has more than {limit} recurring events")]
    TooManyRecurringEvents { limit: usize },
    #[error("the calendar has more than {limit} busy times in the requested period")]
    TooManyInstances { limit: usize },
    #[error(
        "the recurring events of the calendar repeat more than {limit} times before or within the requested period"
    )]
    RecurrenceTooLong { limit: usize },
    #[error("event {uid:?} uses the unknown time zone {tzid:?}")]
    UnknownTimeZone { uid: String, tzid: String },
    #[error("event {uid:?}: {reason}")]
    InvalidEvent { uid: String, reason: String },
    #[error("event {uid:?} lasts {days} days; an event may last at most {limit} days")]
    EventTooLong { uid: String, days: i64, limit: i64 },
    #[error("event {uid:?} has more than {limit} RRULEs")]
    TooManyRules { uid: String, limit: usize },
    #[error(
        "event {uid:?} repeats too densely ({reason}); repeat at most hourly, with at most {limit} times in one period of the rule"
    )]
    RuleTooDense {
        uid: String,
        reason: String,
        limit: usize,
    },
    #[error(
        "the calendar took longer than {limit_ms} ms to read; it has too many or too unusual recurring events"
    )]
    TooSlow { limit_ms: u128 },
}

/// The busy times of `ics` inside `[window_start, window_end)`: cut at the
/// window's edges, overlapping and touching ones merged, sorted by start.
///
/// Transparent (`TRANSP:TRANSPARENT`) and cancelled (`STATUS:CANCELLED`)
/// events block nothing. Floating times and all-day dates are read in
/// `local_tz`, the mediator's zone; an all-day event blocks from local
/// midnight to local midnight.
pub fn busy_blocks(
    ics: &str,
    window_start: DateTime<Utc>,
    window_end: DateTime<Utc>,
    local_tz: Tz,
) -> Result<Vec<BusyBlock>, ImportError> {
    let window = Window {
        start: window_start,
        end: window_end,
    };
    import(ics, window, local_tz, &LIMITS)
}

/// A start and an end.
pub type Span = (DateTime<Utc>, DateTime<Utc>);

/// The start and end of the first `VEVENT` of `ics` (a `COUNTER`'s
/// proposed time), read like every imported event: `TZID`s, Windows zone
/// names and `VTIMEZONE`s as [`busy_blocks`] reads them, floating times in
/// `local_tz`. `Ok(None)` for an event without `DTSTART`.
pub fn first_event_span(ics: &str, local_tz: Tz) -> Result<Option<Span>, ImportError> {
    let text = prepare(ics)?;
    let roots = parser::read_components(&text).map_err(|e| syntax_error(&e))?;
    let calendar = match roots.as_slice() {
        [root] if root.name.as_str().eq_ignore_ascii_case("VCALENDAR") => root,
        _ => return Err(ImportError::NotACalendar),
    };
    let zones = Zones::from_calendar(calendar);
    let Some(component) = calendar
        .components
        .iter()
        .find(|c| c.name.as_str().eq_ignore_ascii_case("VEVENT"))
    else {
        return Ok(None);
    };
    let Some(event) = Vevent::parse(component, &zones, local_tz)? else {
        return Ok(None);
    };
    let Some(start) = event.start.instant_in(local_tz) else {
        return Ok(None);
    };
    let end = match event.length {
        Length::Exact(delta) => start + delta,
        Length::Nominal { days, exact } => start + TimeDelta::days(days) + exact,
    };
    Ok(Some((start, end)))
}

/// `ics` checked against the limits and ready for the parser: unfolded,
/// CRLF throughout, nested no deeper than the parser's stack allows.
pub(super) fn prepare(ics: &str) -> Result<String, ImportError> {
    if ics.len() > LIMITS.bytes {
        return Err(ImportError::TooLarge {
            size: ics.len(),
            limit: LIMITS.bytes,
        });
    }
    let text = normalize(ics);
    prescan(&text, &LIMITS)?;
    Ok(text)
}

/// The parser's error, without the quoted line (it may hold an address).
pub(super) fn parse_error(message: &str) -> ImportError {
    syntax_error(message)
}

/// The caps in one place, so tests can exercise them with small numbers.
#[derive(Debug, Clone, Copy)]
struct Limits {
    bytes: usize,
    events: usize,
    recurring_events: usize,
    instances: usize,
    recurrence_steps: usize,
    event_days: i64,
    rules_per_event: usize,
    period_instances: usize,
    time: std::time::Duration,
}

const LIMITS: Limits = Limits {
    bytes: MAX_ICS_BYTES,
    events: MAX_EVENTS,
    recurring_events: MAX_RECURRING_EVENTS,
    instances: MAX_INSTANCES,
    recurrence_steps: MAX_RECURRENCE_STEPS,
    event_days: MAX_EVENT_DAYS,
    rules_per_event: MAX_RULES_PER_EVENT,
    period_instances: MAX_PERIOD_INSTANCES,
    time: MAX_EXPANSION_TIME,
};

#[derive(Debug, Clone, Copy)]
struct Window {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

fn import(
    ics: &str,
    window: Window,
    local_tz: Tz,
    limits: &Limits,
) -> Result<Vec<BusyBlock>, ImportError> {
    let deadline = std::time::Instant::now() + limits.time;
    if ics.len() > limits.bytes {
        return Err(ImportError::TooLarge {
            size: ics.len(),
            limit: limits.bytes,
        });
    }
    let text = normalize(ics);
    prescan(&text, limits)?;
    let roots = parser::read_components(&text).map_err(|e| syntax_error(&e))?;
    let calendar = match roots.as_slice() {
        [root] if root.name.as_str().eq_ignore_ascii_case("VCALENDAR") => root,
        _ => return Err(ImportError::NotACalendar),
    };

    let zones = Zones::from_calendar(calendar);
    let mut events = Vec::new();
    for component in &calendar.components {
        if component.name.as_str().eq_ignore_ascii_case("VEVENT")
            && let Some(event) = Vevent::parse(component, &zones, local_tz)?
        {
            events.push(event);
        }
    }
    let recurring = events
        .iter()
        .filter(|e| e.recurrence_id.is_none() && !e.rrules.is_empty())
        .count();
    if recurring > limits.recurring_events {
        return Err(ImportError::TooManyRecurringEvents {
            limit: limits.recurring_events,
        });
    }

    // An override replaces one instance of its master whether or not either
    // time lies in the window, so collect every RECURRENCE-ID first.
    let mut overridden: HashMap<&str, Vec<Stamp>> = HashMap::new();
    for event in &events {
        if let Some(rid) = event.recurrence_id {
            overridden.entry(&event.uid).or_default().push(rid);
        }
    }

    let mut expansion = Expansion {
        window,
        local_tz,
        limits,
        deadline,
        steps: 0,
        blocks: Vec::new(),
    };
    for event in &events {
        if !event.blocks {
            continue;
        }
        expansion.in_time()?;
        if event.recurrence_id.is_some() {
            // The override's own DTSTART/DTEND apply; its RRULE, if any, is
            // ignored as RFC 5545 has overrides describe a single instance.
            expansion.single(event)?;
        } else {
            let rids = overridden
                .get(event.uid.as_str())
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            expansion.master(event, rids)?;
        }
    }

    Ok(merge(expansion.blocks))
}

/// Sorts blocks and merges those that overlap or touch, so that many long
/// events over the same days cost no more than the days themselves.
fn merge(mut blocks: Vec<BusyBlock>) -> Vec<BusyBlock> {
    blocks.sort_unstable();
    let mut merged: Vec<BusyBlock> = Vec::with_capacity(blocks.len());
    for block in blocks {
        match merged.last_mut() {
            Some(last) if block.start <= last.end => last.end = last.end.max(block.end),
            _ => merged.push(block),
        }
    }
    merged
}

// ---------------------------------------------------------------------------
// Text preparation

/// Unfolds and normalises line ends to CRLF, dropping blank lines and
/// trailing blanks. The parser searches for `\r\n` before `\n` at every
/// property, which rescans the whole rest of an LF-only file for each line;
/// CRLF throughout keeps parsing linear. Trailing blanks after `END:VEVENT`
/// are common in hand-made files and would otherwise fail the parse.
fn normalize(ics: &str) -> String {
    let ics = ics.strip_prefix('\u{feff}').unwrap_or(ics);
    let lf = ics.replace("\r\n", "\n").replace('\r', "\n");
    let unfolded = parser::unfold(&lf);
    let mut out = String::with_capacity(unfolded.len() + unfolded.len() / 32);
    for line in unfolded.split('\n') {
        let line = line.trim_end_matches([' ', '\t']);
        if line.is_empty() {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out
}

/// Checks the shape of the text before the recursive parser runs: it must
/// open with `BEGIN:VCALENDAR`, nest no deeper than [`MAX_NESTING`] (each
/// level is a stack frame in the parser) and hold at most `limits.events`
/// events.
fn prescan(text: &str, limits: &Limits) -> Result<(), ImportError> {
    let mut lines = text.split("\r\n");
    match lines.next() {
        Some(first) if first.eq_ignore_ascii_case("BEGIN:VCALENDAR") => {}
        _ => return Err(ImportError::NotACalendar),
    }
    let mut depth = 1usize;
    let mut events = 0usize;
    for line in lines {
        if let Some(name) = strip_prefix_ignore_case(line, "BEGIN:") {
            depth += 1;
            if depth > MAX_NESTING {
                return Err(ImportError::Malformed(format!(
                    "components are nested more than {MAX_NESTING} deep"
                )));
            }
            if name.eq_ignore_ascii_case("VEVENT") {
                events += 1;
                if events > limits.events {
                    return Err(ImportError::TooManyEvents {
                        limit: limits.events,
                    });
                }
            }
        } else if strip_prefix_ignore_case(line, "END:").is_some() {
            depth = depth.saturating_sub(1);
        }
    }
    Ok(())
}

fn strip_prefix_ignore_case<'a>(line: &'a str, prefix: &str) -> Option<&'a str> {
    let head = line.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &line[prefix.len()..])
}

/// The parser's message quotes the offending line, which may hold names or
/// addresses; keep only its line number.
fn syntax_error(message: &str) -> ImportError {
    let line = message
        .split("at line ")
        .nth(1)
        .map(|rest| {
            rest.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .filter(|digits| !digits.is_empty());
    ImportError::Malformed(match line {
        Some(n) => format!("syntax error at line {n} (counting after unfolding)"),
        None => "syntax error".to_owned(),
    })
}

// ---------------------------------------------------------------------------
// Time zones

/// Windows zone names that Outlook and Exchange write as `TZID`, mapped as
/// CLDR's `windowsZones.xml` does for territory 001. "Central Asia Standard
/// Time" is Asia/Bishkek, not Asia/Almaty: since Kazakhstan moved to UTC+5
/// on 1 March 2024, Windows keeps that zone at UTC+6 and lists Astana under
/// "West Asia Standard Time".
const WINDOWS_ZONES: &[(&str, Tz)] = &[
    ("Central Asia Standard Time", chrono_tz::Asia::Bishkek),
    ("West Asia Standard Time", chrono_tz::Asia::Tashkent),
    ("Qyzylorda Standard Time", chrono_tz::Asia::Qyzylorda),
    ("Ekaterinburg Standard Time", chrono_tz::Asia::Yekaterinburg),
    ("Omsk Standard Time", chrono_tz::Asia::Omsk),
    (
        "N. Central Asia Standard Time",
        chrono_tz::Asia::Novosibirsk,
    ),
    ("Russian Standard Time", chrono_tz::Europe::Moscow),
    ("Belarus Standard Time", chrono_tz::Europe::Minsk),
    ("Turkey Standard Time", chrono_tz::Europe::Istanbul),
    ("Azerbaijan Standard Time", chrono_tz::Asia::Baku),
    ("Georgian Standard Time", chrono_tz::Asia::Tbilisi),
    ("Arabian Standard Time", chrono_tz::Asia::Dubai),
    ("China Standard Time", chrono_tz::Asia::Shanghai),
    ("Korea Standard Time", chrono_tz::Asia::Seoul),
    ("Tokyo Standard Time", chrono_tz::Asia::Tokyo),
    ("India Standard Time", chrono_tz::Asia::Kolkata),
    ("Pakistan Standard Time", chrono_tz::Asia::Karachi),
    ("UTC", chrono_tz::UTC),
    ("GMT Standard Time", chrono_tz::Europe::London),
    ("W. Europe Standard Time", chrono_tz::Europe::Berlin),
    ("Central Europe Standard Time", chrono_tz::Europe::Budapest),
    ("Romance Standard Time", chrono_tz::Europe::Paris),
    ("FLE Standard Time", chrono_tz::Europe::Kyiv),
    ("Eastern Standard Time", chrono_tz::America::New_York),
    ("Pacific Standard Time", chrono_tz::America::Los_Angeles),
];

/// Resolves `TZID`s: IANA names (also behind a path prefix such as
/// `/mozilla.org/20050126_1/Asia/Almaty`), then Windows names, then a
/// `VTIMEZONE` of the file that has one fixed whole-hour offset (Outlook's
/// "Customized Time Zone"), which maps to an `Etc/GMT±N` zone. A
/// `VTIMEZONE` with daylight-saving rules is not interpreted: that would
/// need a rule engine of its own for a case no Kazakh zone needs.
struct Zones {
    fixed: HashMap<String, Tz>,
}

impl Zones {
    fn from_calendar(calendar: &Component<'_>) -> Self {
        let mut fixed = HashMap::new();
        for vtimezone in &calendar.components {
            if !vtimezone.name.as_str().eq_ignore_ascii_case("VTIMEZONE") {
                continue;
            }
            let Some(tzid) = find_prop(vtimezone, "TZID") else {
                continue;
            };
            if let Some(tz) = fixed_offset(vtimezone).and_then(etc_zone) {
                fixed.insert(tzid.val.as_str().trim().to_owned(), tz);
            }
        }
        Zones { fixed }
    }

    fn resolve(&self, tzid: &str) -> Option<Tz> {
        let tzid = tzid.trim().trim_matches('"');
        if let Some(tz) = iana(tzid) {
            return Some(tz);
        }
        for (slash, _) in tzid.match_indices('/') {
            if let Some(tz) = iana(&tzid[slash + 1..]) {
                return Some(tz);
            }
        }
        WINDOWS_ZONES
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(tzid))
            .map(|&(_, tz)| tz)
            .or_else(|| self.fixed.get(tzid).copied())
    }
}

/// The offset of a VTIMEZONE whose every STANDARD/DAYLIGHT part has the
/// same TZOFFSETTO, i.e. a zone without daylight saving.
fn fixed_offset(vtimezone: &Component<'_>) -> Option<i32> {
    let mut offsets = vtimezone
        .components
        .iter()
        .filter_map(|part| find_prop(part, "TZOFFSETTO"))
        .map(|p| parse_utc_offset(p.val.as_str()));
    let first = offsets.next()??;
    offsets.all(|o| o == Some(first)).then_some(first)
}

/// An IANA name, exact or in other letter case (`asia/almaty`). chrono-tz's
/// own case-insensitive lookup needs a feature this crate does not enable;
/// the linear scan runs only for names that did not match exactly.
fn iana(name: &str) -> Option<Tz> {
    name.parse::<Tz>().ok().or_else(|| {
        chrono_tz::TZ_VARIANTS
            .iter()
            .find(|tz| tz.name().eq_ignore_ascii_case(name))
            .copied()
    })
}

/// `+0500`, `-0330` or `+050000` as seconds east of UTC.
fn parse_utc_offset(value: &str) -> Option<i32> {
    let value = value.trim();
    let (sign, digits) = match value.as_bytes().first()? {
        b'+' => (1, &value[1..]),
        b'-' => (-1, &value[1..]),
        _ => return None,
    };
    if !(digits.len() == 4 || digits.len() == 6) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: i32 = digits[0..2].parse().ok()?;
    let minutes: i32 = digits[2..4].parse().ok()?;
    let seconds: i32 = digits.get(4..6).map_or(Some(0), |s| s.parse().ok())?;
    Some(sign * (hours * 3600 + minutes * 60 + seconds))
}

/// The `Etc/GMT±N` zone for a whole-hour offset; POSIX signs are inverted,
/// so UTC+5 is `Etc/GMT-5`.
fn etc_zone(seconds_east: i32) -> Option<Tz> {
    if seconds_east % 3600 != 0 {
        return None;
    }
    let hours = seconds_east / 3600;
    let name = match hours {
        0 => "Etc/UTC".to_owned(),
        h if h > 0 => format!("Etc/GMT-{h}"),
        h => format!("Etc/GMT+{}", -h),
    };
    name.parse().ok()
}

/// A local time in `tz` as an instant. RFC 5545 (3.3.5) reads a time that
/// falls in a spring-forward gap with the offset in force before the gap; a
/// repeated autumn hour is taken at its first occurrence.
fn resolve_local(naive: NaiveDateTime, tz: Tz) -> Option<DateTime<Tz>> {
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(dt) => Some(dt),
        LocalResult::Ambiguous(first, _) => Some(first),
        LocalResult::None => {
            let before_gap = naive.checked_sub_signed(TimeDelta::days(1))?;
            let offset = tz.offset_from_utc_datetime(&before_gap).fix();
            let utc = naive
                .checked_sub_signed(TimeDelta::seconds(i64::from(offset.local_minus_utc())))?;
            Some(tz.from_utc_datetime(&utc))
        }
    }
}

fn local_midnight(date: NaiveDate, tz: Tz) -> Option<DateTime<Utc>> {
    resolve_local(date.and_time(NaiveTime::MIN), tz).map(|dt| dt.with_timezone(&Utc))
}

// ---------------------------------------------------------------------------
// Events

/// One value of DTSTART, DTEND, EXDATE, RDATE or RECURRENCE-ID, as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stamp {
    Utc(DateTime<Utc>),
    Zoned(NaiveDateTime, Tz),
    Floating(NaiveDateTime),
    Date(NaiveDate),
}

impl Stamp {
    /// The instant, reading floating times and dates (at midnight) in `tz`.
    fn instant_in(self, tz: Tz) -> Option<DateTime<Utc>> {
        match self {
            Stamp::Utc(dt) => Some(dt),
            Stamp::Zoned(naive, zone) => resolve_local(naive, zone).map(|d| d.with_timezone(&Utc)),
            Stamp::Floating(naive) => resolve_local(naive, tz).map(|d| d.with_timezone(&Utc)),
            Stamp::Date(date) => local_midnight(date, tz),
        }
    }

    /// The calendar date, reading UTC times in `tz`.
    fn date_in(self, tz: Tz) -> NaiveDate {
        match self {
            Stamp::Utc(dt) => dt.with_timezone(&tz).date_naive(),
            Stamp::Zoned(naive, _) | Stamp::Floating(naive) => naive.date(),
            Stamp::Date(date) => date,
        }
    }
}

/// How long each instance lasts. RFC 5545 (3.8.5.3): a length given by
/// DTEND is the same exact duration for every instance; a DURATION's days
/// and weeks, and the days between two DATE values, are calendar days, which
/// differ from 24 hours across a daylight-saving change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Length {
    Exact(TimeDelta),
    Nominal { days: i64, exact: TimeDelta },
}

#[derive(Debug, Clone, Copy)]
enum Rdate {
    At(Stamp),
    Period(Stamp, Length),
}

#[derive(Debug)]
struct Vevent {
    uid: String,
    start: Stamp,
    length: Length,
    rrules: Vec<String>,
    rdates: Vec<Rdate>,
    exdates: Vec<Stamp>,
    recurrence_id: Option<Stamp>,
    blocks: bool,
}

impl Vevent {
    /// `None` for an event without DTSTART: it has no time to block.
    fn parse(
        component: &Component<'_>,
        zones: &Zones,
        local_tz: Tz,
    ) -> Result<Option<Vevent>, ImportError> {
        let uid = find_prop(component, "UID")
            .map(|p| p.val.as_str().trim().to_owned())
            .unwrap_or_default();
        let ctx = EventContext {
            uid: &uid,
            zones,
            local_tz,
        };

        let Some(dtstart) = find_prop(component, "DTSTART") else {
            return Ok(None);
        };
        let start = ctx.single_stamp(dtstart)?;
        let end = find_prop(component, "DTEND")
            .map(|p| ctx.single_stamp(p))
            .transpose()?;
        let duration = find_prop(component, "DURATION")
            .map(|p| {
                parse_duration(p.val.as_str()).ok_or_else(|| {
                    ctx.invalid(format!("DURATION {:?} is not valid", short(p.val.as_str())))
                })
            })
            .transpose()?;
        let length = match (end, duration) {
            (Some(end), _) => ctx.length_between(start, end)?,
            (None, Some(duration)) => duration,
            (None, None) => match start {
                // RFC 5545 (3.6.1): an all-day event without an end lasts a day.
                Stamp::Date(_) => Length::Nominal {
                    days: 1,
                    exact: TimeDelta::zero(),
                },
                _ => Length::Exact(TimeDelta::zero()),
            },
        };

        let mut rrules = Vec::new();
        let mut rdates = Vec::new();
        let mut exdates = Vec::new();
        for property in &component.properties {
            let name = property.name.as_str();
            if name.eq_ignore_ascii_case("RRULE") {
                rrules.push(property.val.as_str().trim().to_owned());
            } else if name.eq_ignore_ascii_case("EXDATE") {
                exdates.extend(ctx.stamp_list(property)?);
            } else if name.eq_ignore_ascii_case("RDATE") {
                rdates.extend(ctx.rdate_list(property)?);
            }
        }
        let recurrence_id = find_prop(component, "RECURRENCE-ID")
            .map(|p| ctx.single_stamp(p))
            .transpose()?;

        let cancelled = find_prop(component, "STATUS")
            .is_some_and(|p| p.val.as_str().trim().eq_ignore_ascii_case("CANCELLED"));
        let transparent = find_prop(component, "TRANSP")
            .is_some_and(|p| p.val.as_str().trim().eq_ignore_ascii_case("TRANSPARENT"));

        Ok(Some(Vevent {
            uid,
            start,
            length,
            rrules,
            rdates,
            exdates,
            recurrence_id,
            blocks: !cancelled && !transparent,
        }))
    }
}

struct EventContext<'a> {
    uid: &'a str,
    zones: &'a Zones,
    local_tz: Tz,
}

impl EventContext<'_> {
    fn invalid(&self, reason: String) -> ImportError {
        ImportError::InvalidEvent {
            uid: label(self.uid),
            reason,
        }
    }

    fn zone_of(&self, property: &Property<'_>) -> Result<Option<Tz>, ImportError> {
        let Some(tzid) = find_param(property, "TZID") else {
            return Ok(None);
        };
        self.zones
            .resolve(tzid)
            .map(Some)
            .ok_or_else(|| ImportError::UnknownTimeZone {
                uid: label(self.uid),
                tzid: label(tzid),
            })
    }

    fn single_stamp(&self, property: &Property<'_>) -> Result<Stamp, ImportError> {
        let tz = self.zone_of(property)?;
        let value = property.val.as_str();
        parse_stamp(value, tz).ok_or_else(|| {
            self.invalid(format!(
                "{} {:?} is not a date or date-time",
                property.name.as_str(),
                short(value)
            ))
        })
    }

    fn stamp_list(&self, property: &Property<'_>) -> Result<Vec<Stamp>, ImportError> {
        let tz = self.zone_of(property)?;
        property
            .val
            .as_str()
            .split(',')
            .filter(|v| !v.trim().is_empty())
            .map(|value| {
                parse_stamp(value, tz).ok_or_else(|| {
                    self.invalid(format!(
                        "{} {:?} is not a date or date-time",
                        property.name.as_str(),
                        short(value)
                    ))
                })
            })
            .collect()
    }

    fn rdate_list(&self, property: &Property<'_>) -> Result<Vec<Rdate>, ImportError> {
        let tz = self.zone_of(property)?;
        let bad = |value: &str| self.invalid(format!("RDATE {:?} is not valid", short(value)));
        let mut out = Vec::new();
        for value in property.val.as_str().split(',') {
            if value.trim().is_empty() {
                continue;
            }
            match value.split_once('/') {
                None => out.push(Rdate::At(parse_stamp(value, tz).ok_or_else(|| bad(value))?)),
                Some((from, to)) => {
                    let start = parse_stamp(from, tz).ok_or_else(|| bad(value))?;
                    let length = match parse_duration(to) {
                        Some(length) => length,
                        None => {
                            let end = parse_stamp(to, tz).ok_or_else(|| bad(value))?;
                            self.length_between(start, end)?
                        }
                    };
                    out.push(Rdate::Period(start, length));
                }
            }
        }
        Ok(out)
    }

    fn length_between(&self, start: Stamp, end: Stamp) -> Result<Length, ImportError> {
        if let (Stamp::Date(s), Stamp::Date(e)) = (start, end) {
            return Ok(Length::Nominal {
                days: (e - s).num_days(),
                exact: TimeDelta::zero(),
            });
        }
        match (
            start.instant_in(self.local_tz),
            end.instant_in(self.local_tz),
        ) {
            (Some(s), Some(e)) => Ok(Length::Exact(e - s)),
            _ => Err(self.invalid("DTSTART or DTEND is out of range".to_owned())),
        }
    }
}

/// A DATE (`20240304`), UTC (`20240304T100000Z`) or local
/// (`20240304T100000`) value; a local one is zoned when the property has a
/// TZID, floating otherwise. A TZID beside a UTC value is ignored, as the
/// value says which instant it means.
fn parse_stamp(value: &str, tz: Option<Tz>) -> Option<Stamp> {
    let value = value.trim();
    if value.len() == 8 {
        return NaiveDate::parse_from_str(value, "%Y%m%d")
            .ok()
            .map(Stamp::Date);
    }
    if let Some(utc) = value.strip_suffix(['Z', 'z']) {
        let naive = NaiveDateTime::parse_from_str(utc, "%Y%m%dT%H%M%S").ok()?;
        return Some(Stamp::Utc(naive.and_utc()));
    }
    let naive = NaiveDateTime::parse_from_str(value, "%Y%m%dT%H%M%S").ok()?;
    Some(match tz {
        Some(tz) => Stamp::Zoned(naive, tz),
        None => Stamp::Floating(naive),
    })
}

/// An RFC 5545 DURATION (`PT1H30M`, `P1D`, `-P2W`). Written by hand because
/// the crate's own parser is private; weeks and days stay calendar days.
fn parse_duration(value: &str) -> Option<Length> {
    const MAX_PART: i64 = 1_000_000;
    let value = value.trim();
    let (sign, rest) = match value.as_bytes().first()? {
        b'-' => (-1, &value[1..]),
        b'+' => (1, &value[1..]),
        _ => (1, value),
    };
    let rest = rest.strip_prefix(['P', 'p'])?;
    let (mut days, mut seconds) = (0i64, 0i64);
    let mut in_time = false;
    let mut number: Option<i64> = None;
    let mut parts = 0;
    for c in rest.chars() {
        if let Some(digit) = c.to_digit(10) {
            let n = number.unwrap_or(0) * 10 + i64::from(digit);
            if n > MAX_PART {
                return None;
            }
            number = Some(n);
            continue;
        }
        match c.to_ascii_uppercase() {
            'T' if !in_time && number.is_none() => {
                in_time = true;
                continue;
            }
            'W' if !in_time => days += number? * 7,
            'D' if !in_time => days += number?,
            'H' if in_time => seconds += number? * 3600,
            'M' if in_time => seconds += number? * 60,
            'S' if in_time => seconds += number?,
            _ => return None,
        }
        number = None;
        parts += 1;
    }
    if number.is_some() || parts == 0 {
        return None;
    }
    Some(Length::Nominal {
        days: sign * days,
        exact: TimeDelta::try_seconds(sign * seconds)?,
    })
}

// ---------------------------------------------------------------------------
// Expansion

/// How an instance is identified for RECURRENCE-ID matching: its original
/// start instant for timed series, its date for all-day series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Key {
    Instant(DateTime<Utc>),
    Date(NaiveDate),
}

/// Where a series lives. Timed series recur in their own zone (so a weekly
/// 10:00 stays at 10:00 across DST changes); all-day series recur over
/// plain dates, modelled as UTC midnights so that `rrule` never meets a
/// midnight missing in some zone, and become local days only at the end.
#[derive(Debug, Clone, Copy)]
enum Series {
    Timed { zone: Tz, start: DateTime<Tz> },
    AllDay { date: NaiveDate },
}

/// The original start of one instance, in the terms of its series.
#[derive(Debug, Clone, Copy)]
enum At {
    Timed(DateTime<Tz>),
    Day(NaiveDate),
}

impl At {
    fn key(self) -> Key {
        match self {
            At::Timed(dt) => Key::Instant(dt.with_timezone(&Utc)),
            At::Day(date) => Key::Date(date),
        }
    }
}

struct Expansion<'l> {
    window: Window,
    local_tz: Tz,
    limits: &'l Limits,
    deadline: std::time::Instant,
    steps: usize,
    blocks: Vec<BusyBlock>,
}

impl Expansion<'_> {
    /// Adds one instance of `event`, cut to the window. Only instances that
    /// reach into the window are held to the length bound: an odd event
    /// years ago, never read, should not stop a calendar from importing.
    fn push(
        &mut self,
        event: &Vevent,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<(), ImportError> {
        // Zero-length events (a timed DTSTART alone) block nothing.
        if end <= start || start >= self.window.end || end <= self.window.start {
            return Ok(());
        }
        // An hour of slack: a day of a whole-day event can be 25 hours long
        // where the clocks go back.
        let longest = TimeDelta::days(self.limits.event_days) + TimeDelta::hours(1);
        if end - start > longest {
            return Err(ImportError::EventTooLong {
                uid: label(&event.uid),
                days: (end - start).num_days(),
                limit: self.limits.event_days,
            });
        }
        if self.blocks.len() >= self.limits.instances {
            return Err(ImportError::TooManyInstances {
                limit: self.limits.instances,
            });
        }
        self.blocks.push(BusyBlock {
            start: start.max(self.window.start),
            end: end.min(self.window.end),
        });
        Ok(())
    }

    fn step(&mut self) -> Result<(), ImportError> {
        self.steps += 1;
        if self.steps > self.limits.recurrence_steps {
            return Err(ImportError::RecurrenceTooLong {
                limit: self.limits.recurrence_steps,
            });
        }
        self.in_time()
    }

    /// Reading the monotonic clock costs tens of nanoseconds, against
    /// microseconds for a step of a rule, so it is read at every step.
    fn in_time(&self) -> Result<(), ImportError> {
        if std::time::Instant::now() > self.deadline {
            return Err(ImportError::TooSlow {
                limit_ms: self.limits.time.as_millis(),
            });
        }
        Ok(())
    }

    fn series(&self, event: &Vevent) -> Result<Series, ImportError> {
        let (naive, zone) = match event.start {
            Stamp::Date(date) => return Ok(Series::AllDay { date }),
            Stamp::Utc(dt) => (dt.naive_utc(), chrono_tz::UTC),
            Stamp::Zoned(naive, zone) => (naive, zone),
            Stamp::Floating(naive) => (naive, self.local_tz),
        };
        let start = resolve_local(naive, zone).ok_or_else(|| ImportError::InvalidEvent {
            uid: label(&event.uid),
            reason: "DTSTART is out of range".to_owned(),
        })?;
        Ok(Series::Timed { zone, start })
    }

    fn first(series: Series) -> At {
        match series {
            Series::Timed { start, .. } => At::Timed(start),
            Series::AllDay { date } => At::Day(date),
        }
    }

    /// An EXDATE, RDATE or RECURRENCE-ID in the terms of `series`. A DATE on
    /// a timed series means that day at the series' time of day; a time on
    /// an all-day series means the day it falls on for the mediator.
    fn at(&self, series: Series, stamp: Stamp) -> Option<At> {
        match series {
            Series::Timed { zone, start } => {
                let instant = match stamp {
                    Stamp::Date(date) => resolve_local(date.and_time(start.time()), zone)?,
                    other => other.instant_in(zone)?.with_timezone(&zone),
                };
                Some(At::Timed(instant))
            }
            Series::AllDay { .. } => Some(At::Day(stamp.date_in(self.local_tz))),
        }
    }

    /// Start and end of the instance that begins at `at` and lasts `length`.
    fn instance(&self, at: At, length: Length) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let (start, end) = match at {
            At::Timed(start) => {
                let end = match length {
                    Length::Exact(d) => start.checked_add_signed(d)?,
                    Length::Nominal { days, exact } => {
                        let day = start
                            .naive_local()
                            .checked_add_signed(TimeDelta::try_days(days)?)?;
                        resolve_local(day, start.timezone())?.checked_add_signed(exact)?
                    }
                };
                (start.with_timezone(&Utc), end.with_timezone(&Utc))
            }
            At::Day(date) => {
                let start = local_midnight(date, self.local_tz)?;
                let end = match length {
                    Length::Exact(d) => start.checked_add_signed(d)?,
                    Length::Nominal { days, exact } => {
                        let day = date.checked_add_signed(TimeDelta::try_days(days)?)?;
                        local_midnight(day, self.local_tz)?.checked_add_signed(exact)?
                    }
                };
                (start, end)
            }
        };
        Some((start, end))
    }

    fn single(&mut self, event: &Vevent) -> Result<(), ImportError> {
        let series = self.series(event)?;
        if let Some((start, end)) = self.instance(Self::first(series), event.length) {
            self.push(event, start, end)?;
        }
        Ok(())
    }

    fn master(&mut self, event: &Vevent, overridden: &[Stamp]) -> Result<(), ImportError> {
        let series = self.series(event)?;
        // EXDATEs are applied here rather than handed to `rrule`: one set of
        // keys covers overrides, RDATE periods and DATE-valued EXDATEs on
        // timed series, and COUNT (below) must count instances before
        // exclusion, as RFC 5545 does.
        let excluded: HashSet<Key> = overridden
            .iter()
            .chain(&event.exdates)
            .filter_map(|&stamp| self.at(series, stamp).map(At::key))
            .collect();

        // RDATE periods carry their own length, which `rrule` cannot hold.
        for rdate in &event.rdates {
            if let Rdate::Period(stamp, length) = *rdate {
                let Some(at) = self.at(series, stamp) else {
                    continue;
                };
                if excluded.contains(&at.key()) {
                    continue;
                }
                if let Some((start, end)) = self.instance(at, length) {
                    self.push(event, start, end)?;
                }
            }
        }

        let has_rdates = event.rdates.iter().any(|r| matches!(r, Rdate::At(_)));
        if event.rrules.is_empty() && !has_rdates {
            let at = Self::first(series);
            if !excluded.contains(&at.key())
                && let Some((start, end)) = self.instance(at, event.length)
            {
                self.push(event, start, end)?;
            }
            return Ok(());
        }

        // RFC 5545 counts DTSTART as the first of COUNT instances even when
        // the rule would not produce it; `rrule` counts only its own, so a
        // DTSTART off the rule would add one instance too many. Capping is
        // exact for the usual single RRULE without RDATEs; with several rules
        // or RDATEs the set is `rrule`'s, which RFC 5545 leaves undefined
        // for a DTSTART off the rule anyway.
        let count = match event.rrules.as_slice() {
            [rule] if !has_rdates => rule_count(rule),
            _ => None,
        };
        let set = self.rrule_set(event, series)?;
        let mut last: Option<Key> = None;
        let mut seen: u64 = 0;
        for occurrence in &set {
            self.step()?;
            let at = match series {
                Series::Timed { zone, .. } => At::Timed(occurrence.with_timezone(&zone)),
                Series::AllDay { .. } => At::Day(occurrence.date_naive()),
            };
            let key = at.key();
            // DTSTART is added as an RDATE and also comes out of the rule
            // when it matches; the set merges the two without deduplicating.
            if last == Some(key) {
                continue;
            }
            last = Some(key);
            seen += 1;
            if count.is_some_and(|count| seen > count) {
                break;
            }
            let Some((start, end)) = self.instance(at, event.length) else {
                continue;
            };
            if start >= self.window.end {
                break;
            }
            if excluded.contains(&key) {
                continue;
            }
            self.push(event, start, end)?;
        }
        Ok(())
    }

    /// The RRULEs and RDATEs of a series as an `rrule` set, starting at
    /// DTSTART in the series' zone. EXDATEs are left to [`Self::master`].
    fn rrule_set(&self, event: &Vevent, series: Series) -> Result<rrule::RRuleSet, ImportError> {
        let invalid = |reason: String| ImportError::InvalidEvent {
            uid: label(&event.uid),
            reason,
        };
        let rrule_tz = match series {
            Series::Timed { zone, .. } => rrule::Tz::from(zone),
            Series::AllDay { .. } => rrule::Tz::UTC,
        };
        let to_rrule = |at: At| -> DateTime<rrule::Tz> {
            match at {
                At::Timed(dt) => dt.with_timezone(&rrule_tz),
                At::Day(date) => rrule::Tz::UTC.from_utc_datetime(&date.and_time(NaiveTime::MIN)),
            }
        };
        let dt_start = to_rrule(Self::first(series));

        // RFC 5545: DTSTART is always the first instance, even when it does
        // not match the rule; `rrule` (like python-dateutil) would skip it.
        // `limit()` makes `rrule` give up on a rule that can never match
        // (30 February) after 100,000 idle loops instead of spinning forever.
        let mut set = rrule::RRuleSet::new(dt_start).rdate(dt_start).limit();
        if event.rrules.len() > self.limits.rules_per_event {
            return Err(ImportError::TooManyRules {
                uid: label(&event.uid),
                limit: self.limits.rules_per_event,
            });
        }
        for value in &event.rrules {
            let (rule, until) = split_until(value);
            let parsed: rrule::RRule<rrule::Unvalidated> = rule
                .parse()
                .map_err(|e| invalid(format!("RRULE {:?}: {e}", short(value))))?;
            self.check_density(event, &parsed)?;
            let parsed = match until {
                None => parsed,
                Some(until) => {
                    let until = self.until_instant(series, until).ok_or_else(|| {
                        invalid(format!("RRULE UNTIL {:?} is not valid", short(until)))
                    })?;
                    if until < dt_start.with_timezone(&Utc) {
                        // The rule ends before it starts: only DTSTART remains.
                        continue;
                    }
                    parsed.until(until.with_timezone(&rrule::Tz::UTC))
                }
            };
            let validated = parsed
                .validate(dt_start)
                .map_err(|e| invalid(format!("RRULE {:?}: {e}", short(value))))?;
            set = set.rrule(validated);
        }
        for rdate in &event.rdates {
            if let Rdate::At(stamp) = *rdate
                && let Some(at) = self.at(series, stamp)
            {
                set = set.rdate(to_rrule(at));
            }
        }
        Ok(set)
    }

    /// Refuses a rule that repeats more often than hourly, or whose one
    /// period (a year of a yearly rule, a day of a daily one) may hold more
    /// than `limits.period_instances` instances: the `rrule` crate builds a
    /// whole period in memory at once. The estimate takes every day of the
    /// period, which over-counts a rule that also narrows the days; such a
    /// rule with many times a day is not a busy calendar anyway.
    fn check_density<S>(&self, event: &Vevent, rule: &rrule::RRule<S>) -> Result<(), ImportError> {
        use rrule::Frequency;
        let refuse = |reason: String| ImportError::RuleTooDense {
            uid: label(&event.uid),
            reason,
            limit: self.limits.period_instances,
        };
        let count = |len: usize| len.max(1);
        let (hours, minutes, seconds) = (
            count(rule.get_by_hour().len()),
            count(rule.get_by_minute().len()),
            count(rule.get_by_second().len()),
        );
        let (days, times) = match rule.get_freq() {
            Frequency::Yearly => (366, hours * minutes * seconds),
            Frequency::Monthly => (31, hours * minutes * seconds),
            Frequency::Weekly => (7, hours * minutes * seconds),
            Frequency::Daily => (1, hours * minutes * seconds),
            Frequency::Hourly => (1, minutes * seconds),
            freq @ (Frequency::Minutely | Frequency::Secondly) => {
                return Err(refuse(format!("FREQ={freq}")));
            }
        };
        let per_period = days * times;
        if per_period > self.limits.period_instances {
            return Err(refuse(format!(
                "up to {per_period} times in one period of FREQ={}",
                rule.get_freq()
            )));
        }
        Ok(())
    }

    /// UNTIL as an instant the `rrule` crate accepts. RFC 5545 wants UTC
    /// with a zoned DTSTART, but floating values and plain dates are common
    /// in exported files and `rrule` would read them in the machine's local
    /// zone; read them in the series' zone instead. A date ends at the end of
    /// that day, since UNTIL is inclusive.
    fn until_instant(&self, series: Series, value: &str) -> Option<DateTime<Utc>> {
        let stamp = parse_stamp(value, None)?;
        match series {
            Series::Timed { zone, .. } => match stamp {
                Stamp::Date(date) => {
                    let next = date.succ_opt()?;
                    local_midnight(next, zone)?.checked_sub_signed(TimeDelta::seconds(1))
                }
                other => other.instant_in(zone),
            },
            // All-day series run on UTC midnights standing for local dates.
            Series::AllDay { .. } => {
                let naive = match stamp {
                    Stamp::Utc(dt) => dt.with_timezone(&self.local_tz).naive_local(),
                    Stamp::Zoned(naive, _) | Stamp::Floating(naive) => naive,
                    Stamp::Date(date) => date.and_time(NaiveTime::MIN),
                };
                Some(naive.and_utc())
            }
        }
    }
}

/// The COUNT of an RRULE value, if it has one.
fn rule_count(value: &str) -> Option<u64> {
    value.split(';').find_map(|part| {
        let (key, val) = part.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("COUNT")
            .then(|| val.trim().parse().ok())
            .flatten()
    })
}

/// Splits `UNTIL=...` off an RRULE value (handled by [`Expansion::until_instant`])
/// and drops `X-` extension parts, which the `rrule` parser refuses.
fn split_until(value: &str) -> (String, Option<&str>) {
    let mut until = None;
    let mut kept = Vec::new();
    for part in value.split(';').filter(|p| !p.trim().is_empty()) {
        let (key, val) = part.split_once('=').unwrap_or((part, ""));
        let key = key.trim();
        if key.eq_ignore_ascii_case("UNTIL") {
            until = Some(val.trim());
        } else if !key.to_ascii_uppercase().starts_with("X-") {
            kept.push(part.trim());
        }
    }
    (kept.join(";"), until)
}

// ---------------------------------------------------------------------------
// Small helpers

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
        .map(|v| v.as_str())
}

/// A UID or TZID fit for an error message: one line, at most 80 characters.
fn label(value: &str) -> String {
    text::param_value(value).chars().take(80).collect()
}

/// A property value fit for an error message.
fn short(value: &str) -> String {
    text::param_value(value).chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Asia::Almaty;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .single()
            .expect("valid test time")
    }

    fn block(start: DateTime<Utc>, end: DateTime<Utc>) -> BusyBlock {
        BusyBlock { start, end }
    }

    /// Wraps VEVENT lines into a calendar with CRLF line ends, as servers send it.
    fn calendar(body: &str) -> String {
        let text = format!(
            "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Test//Test//EN\n{}\nEND:VCALENDAR\n",
            body.trim()
        );
        text.replace('\n', "\r\n")
    }

    fn september(body: &str) -> Result<Vec<BusyBlock>, ImportError> {
        busy_blocks(
            &calendar(body),
            utc(2024, 9, 1, 0, 0),
            utc(2024, 10, 1, 0, 0),
            Almaty,
        )
    }

    fn starts(blocks: &[BusyBlock]) -> Vec<DateTime<Utc>> {
        blocks.iter().map(|b| b.start).collect()
    }

    const WEEKLY_MONDAY_10_ALMATY: &str = "BEGIN:VEVENT
UID:weekly-1@example.com
DTSTAMP:20240801T000000Z
SUMMARY:Lecture
DTSTART;TZID=Asia/Almaty:20240902T100000
DTEND;TZID=Asia/Almaty:20240902T113000
RRULE:FREQ=WEEKLY;BYDAY=MO
END:VEVENT";

    #[test]
    fn a_weekly_event_in_almaty_blocks_every_monday_but_the_excluded_one() {
        let body = WEEKLY_MONDAY_10_ALMATY.replace(
            "RRULE:FREQ=WEEKLY;BYDAY=MO",
            "RRULE:FREQ=WEEKLY;BYDAY=MO\nEXDATE;TZID=Asia/Almaty:20240909T100000",
        );

        let blocks = september(&body).expect("imports");

        // 10:00 in Almaty is 05:00 UTC: UTC+5 since 1 March 2024.
        assert_eq!(
            blocks,
            vec![
                block(utc(2024, 9, 2, 5, 0), utc(2024, 9, 2, 6, 30)),
                block(utc(2024, 9, 16, 5, 0), utc(2024, 9, 16, 6, 30)),
                block(utc(2024, 9, 23, 5, 0), utc(2024, 9, 23, 6, 30)),
                block(utc(2024, 9, 30, 5, 0), utc(2024, 9, 30, 6, 30)),
            ]
        );
    }

    #[test]
    fn a_weekly_event_in_almaty_keeps_its_wall_clock_time_across_the_2024_change() {
        let body = "BEGIN:VEVENT
UID:across-2024
DTSTART;TZID=Asia/Almaty:20240219T100000
DTEND;TZID=Asia/Almaty:20240219T110000
RRULE:FREQ=WEEKLY;COUNT=4
END:VEVENT";

        let blocks = busy_blocks(
            &calendar(body),
            utc(2024, 2, 1, 0, 0),
            utc(2024, 4, 1, 0, 0),
            Almaty,
        )
        .expect("imports");

        assert_eq!(
            starts(&blocks),
            vec![
                utc(2024, 2, 19, 4, 0),
                utc(2024, 2, 26, 4, 0),
                utc(2024, 3, 4, 5, 0),
                utc(2024, 3, 11, 5, 0),
            ]
        );
    }

    #[test]
    fn a_weekly_event_in_berlin_stays_at_ten_across_daylight_saving() {
        let body = "BEGIN:VEVENT
UID:berlin
DTSTART;TZID=Europe/Berlin:20250324T100000
DURATION:PT1H
RRULE:FREQ=WEEKLY;COUNT=2
END:VEVENT";

        let blocks = busy_blocks(
            &calendar(body),
            utc(2025, 3, 1, 0, 0),
            utc(2025, 4, 30, 0, 0),
            Almaty,
        )
        .expect("imports");

        assert_eq!(
            starts(&blocks),
            vec![utc(2025, 3, 24, 9, 0), utc(2025, 3, 31, 8, 0)]
        );
    }

    #[test]
    fn exdates_in_several_properties_comma_lists_utc_and_dates_are_all_honoured() {
        let body = "BEGIN:VEVENT
UID:daily
DTSTART;TZID=Asia/Almaty:20240902T090000
DTEND;TZID=Asia/Almaty:20240902T100000
RRULE:FREQ=DAILY;COUNT=8
EXDATE;TZID=Asia/Almaty:20240903T090000,20240904T090000
EXDATE:20240905T040000Z
EXDATE;VALUE=DATE:20240906
END:VEVENT";

        let blocks = september(body).expect("imports");

        assert_eq!(
            starts(&blocks),
            vec![
                utc(2024, 9, 2, 4, 0),
                utc(2024, 9, 7, 4, 0),
                utc(2024, 9, 8, 4, 0),
                utc(2024, 9, 9, 4, 0),
            ]
        );
    }

    #[test]
    fn rdates_add_instances_including_periods_with_their_own_length() {
        let body = "BEGIN:VEVENT
UID:rdates
DTSTART:20240902T080000Z
DTEND:20240902T090000Z
RDATE:20240910T080000Z,20240911T080000Z
RDATE;VALUE=PERIOD:20240912T120000Z/PT3H
END:VEVENT";

        let blocks = september(body).expect("imports");

        assert_eq!(
            blocks,
            vec![
                block(utc(2024, 9, 2, 8, 0), utc(2024, 9, 2, 9, 0)),
                block(utc(2024, 9, 10, 8, 0), utc(2024, 9, 10, 9, 0)),
                block(utc(2024, 9, 11, 8, 0), utc(2024, 9, 11, 9, 0)),
                block(utc(2024, 9, 12, 12, 0), utc(2024, 9, 12, 15, 0)),
            ]
        );
    }

    #[test]
    fn an_override_by_recurrence_id_moves_one_instance() {
        let body = format!(
            "{WEEKLY_MONDAY_10_ALMATY}
BEGIN:VEVENT
UID:weekly-1@example.com
RECURRENCE-ID;TZID=Asia/Almaty:20240909T100000
DTSTART;TZID=Asia/Almaty:20240910T150000
DTEND;TZID=Asia/Almaty:20240910T160000
SEQUENCE:1
END:VEVENT"
        );

        let blocks = september(&body).expect("imports");

        assert_eq!(
            starts(&blocks),
            vec![
                utc(2024, 9, 2, 5, 0),
                utc(2024, 9, 10, 10, 0),
                utc(2024, 9, 16, 5, 0),
                utc(2024, 9, 23, 5, 0),
                utc(2024, 9, 30, 5, 0),
            ]
        );
        assert_eq!(blocks[1].end, utc(2024, 9, 10, 11, 0));
    }

    #[test]
    fn an_override_moving_an_instance_out_of_the_window_removes_it_from_the_window() {
        let body = format!(
            "{WEEKLY_MONDAY_10_ALMATY}
BEGIN:VEVENT
UID:weekly-1@example.com
RECURRENCE-ID:20240930T050000Z
DTSTART;TZID=Asia/Almaty:20241003T100000
DTEND;TZID=Asia/Almaty:20241003T113000
END:VEVENT"
        );

        let blocks = september(&body).expect("imports");

        assert_eq!(
            starts(&blocks),
            vec![
                utc(2024, 9, 2, 5, 0),
                utc(2024, 9, 9, 5, 0),
                utc(2024, 9, 16, 5, 0),
                utc(2024, 9, 23, 5, 0),
            ]
        );
    }

    #[test]
    fn a_cancelled_or_transparent_override_removes_its_instance() {
        let body = format!(
            "{WEEKLY_MONDAY_10_ALMATY}
BEGIN:VEVENT
UID:weekly-1@example.com
RECURRENCE-ID;TZID=Asia/Almaty:20240909T100000
DTSTART;TZID=Asia/Almaty:20240909T100000
DTEND;TZID=Asia/Almaty:20240909T113000
STATUS:CANCELLED
END:VEVENT
BEGIN:VEVENT
UID:weekly-1@example.com
RECURRENCE-ID;TZID=Asia/Almaty:20240916T100000
DTSTART;TZID=Asia/Almaty:20240916T100000
DTEND;TZID=Asia/Almaty:20240916T113000
TRANSP:TRANSPARENT
END:VEVENT"
        );

        let blocks = september(&body).expect("imports");

        assert_eq!(
            starts(&blocks),
            vec![
                utc(2024, 9, 2, 5, 0),
                utc(2024, 9, 23, 5, 0),
                utc(2024, 9, 30, 5, 0)
            ]
        );
    }

    #[test]
    fn an_override_without_its_master_still_blocks() {
        let body = "BEGIN:VEVENT
UID:only-invited-once@example.com
RECURRENCE-ID:20240909T050000Z
DTSTART:20240909T050000Z
DTEND:20240909T060000Z
END:VEVENT";

        let blocks = september(body).expect("imports");

        assert_eq!(
            blocks,
            vec![block(utc(2024, 9, 9, 5, 0), utc(2024, 9, 9, 6, 0))]
        );
    }

    #[test]
    fn an_all_day_event_in_almaty_blocks_from_19_utc_the_day_before_to_19_utc() {
        let body = "BEGIN:VEVENT
UID:all-day
DTSTART;VALUE=DATE:20240915
DTEND;VALUE=DATE:20240916
END:VEVENT
BEGIN:VEVENT
UID:all-day-no-end
DTSTART;VALUE=DATE:20240920
END:VEVENT
BEGIN:VEVENT
UID:three-days
DTSTART;VALUE=DATE:20240925
DTEND;VALUE=DATE:20240928
END:VEVENT";

        let blocks = september(body).expect("imports");

        assert_eq!(
            blocks,
            vec![
                block(utc(2024, 9, 14, 19, 0), utc(2024, 9, 15, 19, 0)),
                block(utc(2024, 9, 19, 19, 0), utc(2024, 9, 20, 19, 0)),
                block(utc(2024, 9, 24, 19, 0), utc(2024, 9, 27, 19, 0)),
            ]
        );
    }

    #[test]
    fn a_weekly_all_day_event_skips_its_excluded_date() {
        let body = "BEGIN:VEVENT
UID:all-day-weekly
DTSTART;VALUE=DATE:20240904
DTEND;VALUE=DATE:20240905
RRULE:FREQ=WEEKLY;UNTIL=20240918
EXDATE;VALUE=DATE:20240911
END:VEVENT";

        let blocks = september(body).expect("imports");

        assert_eq!(
            blocks,
            vec![
                block(utc(2024, 9, 3, 19, 0), utc(2024, 9, 4, 19, 0)),
                block(utc(2024, 9, 17, 19, 0), utc(2024, 9, 18, 19, 0)),
            ]
        );
    }

    #[test]
    fn transparent_and_cancelled_events_do_not_block() {
        let body = "BEGIN:VEVENT
UID:free
DTSTART:20240910T080000Z
DTEND:20240910T090000Z
TRANSP:TRANSPARENT
END:VEVENT
BEGIN:VEVENT
UID:cancelled
DTSTART:20240911T080000Z
DTEND:20240911T090000Z
STATUS:CANCELLED
END:VEVENT
BEGIN:VEVENT
UID:cancelled-series
DTSTART:20240901T080000Z
DTEND:20240901T090000Z
RRULE:FREQ=DAILY
status:cancelled
END:VEVENT
BEGIN:VEVENT
UID:busy
DTSTART:20240912T080000Z
DTEND:20240912T090000Z
TRANSP:OPAQUE
END:VEVENT";

        let blocks = september(body).expect("imports");

        assert_eq!(
            blocks,
            vec![block(utc(2024, 9, 12, 8, 0), utc(2024, 9, 12, 9, 0))]
        );
    }

    #[test]
    fn utc_times_are_taken_as_is_and_floating_times_in_the_mediators_zone() {
        let body = "BEGIN:VEVENT
UID:utc
DTSTART:20240910T080000Z
DTEND:20240910T093000Z
END:VEVENT
BEGIN:VEVENT
UID:floating
DTSTART:20240911T090000
DTEND:20240911T100000
END:VEVENT";

        let in_almaty = september(body).expect("imports");
        let in_moscow = busy_blocks(
            &calendar(body),
            utc(2024, 9, 1, 0, 0),
            utc(2024, 10, 1, 0, 0),
            chrono_tz::Europe::Moscow,
        )
        .expect("imports");

        assert_eq!(
            in_almaty,
            vec![
                block(utc(2024, 9, 10, 8, 0), utc(2024, 9, 10, 9, 30)),
                block(utc(2024, 9, 11, 4, 0), utc(2024, 9, 11, 5, 0)),
            ]
        );
        assert_eq!(
            in_moscow[1],
            block(utc(2024, 9, 11, 6, 0), utc(2024, 9, 11, 7, 0))
        );
    }

    #[test]
    fn duration_gives_the_end_and_a_timed_event_without_end_blocks_nothing() {
        let body = "BEGIN:VEVENT
UID:duration
DTSTART;TZID=Asia/Almaty:20240912T090000
DURATION:PT1H30M
END:VEVENT
BEGIN:VEVENT
UID:all-day-duration
DTSTART;VALUE=DATE:20240920
DURATION:P2D
END:VEVENT
BEGIN:VEVENT
UID:reminder
DTSTART:20240913T080000Z
END:VEVENT";

        let blocks = september(body).expect("imports");

        assert_eq!(
            blocks,
            vec![
                block(utc(2024, 9, 12, 4, 0), utc(2024, 9, 12, 5, 30)),
                block(utc(2024, 9, 19, 19, 0), utc(2024, 9, 21, 19, 0)),
            ]
        );
    }

    #[test]
    fn windows_zone_names_are_understood() {
        let body = "BEGIN:VEVENT
UID:outlook-1
DTSTART;TZID=West Asia Standard Time:20240910T100000
DTEND;TZID=West Asia Standard Time:20240910T110000
END:VEVENT
BEGIN:VEVENT
UID:outlook-2
DTSTART;TZID=\"Central Asia Standard Time\":20240911T100000
DTEND;TZID=\"Central Asia Standard Time\":20240911T110000
END:VEVENT
BEGIN:VEVENT
UID:outlook-3
DTSTART;TZID=Ekaterinburg Standard Time:20240912T100000
DTEND;TZID=Ekaterinburg Standard Time:20240912T110000
END:VEVENT
BEGIN:VEVENT
UID:outlook-4
DTSTART;TZID=Russian Standard Time:20240913T100000
DTEND;TZID=Russian Standard Time:20240913T110000
END:VEVENT
BEGIN:VEVENT
UID:outlook-5
DTSTART;TZID=UTC:20240914T100000
DTEND;TZID=UTC:20240914T110000
END:VEVENT";

        let blocks = september(body).expect("imports");

        assert_eq!(
            starts(&blocks),
            vec![
                utc(2024, 9, 10, 5, 0), // UTC+5, Astana since 2024
                utc(2024, 9, 11, 4, 0), // UTC+6, Bishkek
                utc(2024, 9, 12, 5, 0),
                utc(2024, 9, 13, 7, 0),
                utc(2024, 9, 14, 10, 0),
            ]
        );
    }

    #[test]
    fn path_prefixed_and_slash_led_tzids_use_their_trailing_iana_name() {
        let body = "BEGIN:VEVENT
UID:mozilla
DTSTART;TZID=/mozilla.org/20050126_1/Asia/Almaty:20240910T100000
DTEND;TZID=/mozilla.org/20050126_1/Asia/Almaty:20240910T110000
END:VEVENT
BEGIN:VEVENT
UID:slash
DTSTART;TZID=/Asia/Almaty:20240911T100000
DTEND;TZID=/Asia/Almaty:20240911T110000
END:VEVENT";

        let blocks = september(body).expect("imports");

        assert_eq!(
            starts(&blocks),
            vec![utc(2024, 9, 10, 5, 0), utc(2024, 9, 11, 5, 0)]
        );
    }

    #[test]
    fn a_custom_vtimezone_with_one_fixed_offset_is_used() {
        let body = "BEGIN:VTIMEZONE
TZID:Customized Time Zone
BEGIN:STANDARD
DTSTART:16010101T000000
TZOFFSETFROM:+0600
TZOFFSETTO:+0500
END:STANDARD
END:VTIMEZONE
BEGIN:VEVENT
UID:custom
DTSTART;TZID=Customized Time Zone:20240910T100000
DTEND;TZID=Customized Time Zone:20240910T110000
END:VEVENT";

        let blocks = september(body).expect("imports");

        assert_eq!(starts(&blocks), vec![utc(2024, 9, 10, 5, 0)]);
    }

    #[test]
    fn an_unknown_time_zone_is_an_error_naming_the_event() {
        let body = "BEGIN:VEVENT
UID:mystery
DTSTART;TZID=Mars/Olympus_Mons:20240910T100000
DTEND;TZID=Mars/Olympus_Mons:20240910T110000
END:VEVENT";

        let error = september(body).expect_err("refused");

        assert_eq!(
            error,
            ImportError::UnknownTimeZone {
                uid: "mystery".to_owned(),
                tzid: "Mars/Olympus_Mons".to_owned()
            }
        );
    }

    #[test]
    fn until_given_as_floating_time_or_date_is_read_in_the_events_zone() {
        let body = "BEGIN:VEVENT
UID:until-floating
DTSTART;TZID=Asia/Almaty:20240902T100000
DTEND;TZID=Asia/Almaty:20240902T110000
RRULE:FREQ=DAILY;UNTIL=20240904T100000
END:VEVENT
BEGIN:VEVENT
UID:until-date
DTSTART;TZID=Asia/Almaty:20240910T230000
DTEND;TZID=Asia/Almaty:20240910T233000
RRULE:FREQ=DAILY;UNTIL=20240911;X-EXTENSION=1
END:VEVENT";

        let blocks = september(body).expect("imports");

        assert_eq!(
            starts(&blocks),
            vec![
                utc(2024, 9, 2, 5, 0),
                utc(2024, 9, 3, 5, 0),
                utc(2024, 9, 4, 5, 0),
                utc(2024, 9, 10, 18, 0),
                utc(2024, 9, 11, 18, 0),
            ]
        );
    }

    #[test]
    fn dtstart_off_the_rule_is_still_the_first_instance() {
        // Tuesday start, Monday rule: RFC 5545 counts DTSTART regardless.
        let body = "BEGIN:VEVENT
UID:off-rule
DTSTART:20240903T080000Z
DTEND:20240903T090000Z
RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=2
END:VEVENT";

        let blocks = september(body).expect("imports");

        assert_eq!(
            starts(&blocks),
            vec![utc(2024, 9, 3, 8, 0), utc(2024, 9, 9, 8, 0)]
        );
    }

    #[test]
    fn count_includes_an_off_rule_dtstart_and_excluded_instances() {
        // The set is 3 Sep, 9 Sep, 16 Sep; the EXDATE then removes 9 Sep.
        let body = "BEGIN:VEVENT
UID:off-rule-exdate
DTSTART:20240903T080000Z
DTEND:20240903T090000Z
RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=3
EXDATE:20240909T080000Z
END:VEVENT";

        let blocks = september(body).expect("imports");

        assert_eq!(
            starts(&blocks),
            vec![utc(2024, 9, 3, 8, 0), utc(2024, 9, 16, 8, 0)]
        );
    }

    #[test]
    fn an_event_overlapping_the_window_start_is_cut_at_it_and_sorted() {
        let body = "BEGIN:VEVENT
UID:late
DTSTART:20240920T080000Z
DTEND:20240920T090000Z
END:VEVENT
BEGIN:VEVENT
UID:straddles
DTSTART:20240831T220000Z
DTEND:20240901T020000Z
END:VEVENT
BEGIN:VEVENT
UID:before
DTSTART:20240831T080000Z
DTEND:20240831T090000Z
END:VEVENT
BEGIN:VEVENT
UID:after
DTSTART:20241001T000000Z
DTEND:20241001T010000Z
END:VEVENT";

        let blocks = september(body).expect("imports");

        assert_eq!(
            blocks,
            vec![
                block(utc(2024, 9, 1, 0, 0), utc(2024, 9, 1, 2, 0)),
                block(utc(2024, 9, 20, 8, 0), utc(2024, 9, 20, 9, 0)),
            ]
        );
    }

    #[test]
    fn a_series_begun_years_ago_is_expanded_only_inside_the_window() {
        let body = "BEGIN:VEVENT
UID:since-2015
DTSTART;TZID=Asia/Almaty:20150105T100000
DTEND;TZID=Asia/Almaty:20150105T110000
RRULE:FREQ=DAILY
END:VEVENT";

        let blocks = september(body).expect("imports");

        assert_eq!(blocks.len(), 30);
        assert_eq!(blocks[0].start, utc(2024, 9, 1, 5, 0));
    }

    #[test]
    fn folded_lines_are_unfolded_before_parsing() {
        let text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//Test//EN\r\nBEGIN:VEVENT\r\n\
UID:folded-uid-that-is-rather-long-so-that-the-line-has-to-be-folded@exa\r\n mple.com\r\n\
SUMMARY:Семинар по медиации для судей и секретарей судебных заседан\r\n ий\r\n\
DTSTART;TZID=/mozilla.org/20050126_1/Asia/Al\r\n maty:20240902T100000\r\n\
DTEND;TZID=Asia/Almaty:2024090\r\n\t2T110000\r\n\
RRULE:FREQ=WEEKLY;BYD\r\n AY=MO;COUNT=2\r\n\
END:VEVENT\r\nEND:VCALENDAR\r\n";

        let crlf = busy_blocks(text, utc(2024, 9, 1, 0, 0), utc(2024, 10, 1, 0, 0), Almaty)
            .expect("imports");
        let lf = busy_blocks(
            &text.replace("\r\n", "\n"),
            utc(2024, 9, 1, 0, 0),
            utc(2024, 10, 1, 0, 0),
            Almaty,
        )
        .expect("imports");

        assert_eq!(
            crlf,
            vec![
                block(utc(2024, 9, 2, 5, 0), utc(2024, 9, 2, 6, 0)),
                block(utc(2024, 9, 9, 5, 0), utc(2024, 9, 9, 6, 0)),
            ]
        );
        assert_eq!(lf, crlf);
    }

    #[test]
    fn a_byte_order_mark_and_trailing_blanks_are_tolerated() {
        let text = format!(
            "\u{feff}{}",
            calendar(
                "BEGIN:VEVENT\nUID:x\nDTSTART:20240910T080000Z\nDTEND:20240910T090000Z\nEND:VEVENT   "
            )
        );

        let blocks = busy_blocks(&text, utc(2024, 9, 1, 0, 0), utc(2024, 10, 1, 0, 0), Almaty)
            .expect("imports");

        assert_eq!(blocks.len(), 1);
    }

    #[test]
    fn text_that_is_not_a_calendar_is_refused() {
        let window = (utc(2024, 9, 1, 0, 0), utc(2024, 10, 1, 0, 0));
        let cases = [
            "",
            "hello world",
            "<html><body>Not found</body></html>",
            "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Eve\r\nEND:VCARD\r\n",
        ];
        for text in cases {
            assert_eq!(
                busy_blocks(text, window.0, window.1, Almaty),
                Err(ImportError::NotACalendar),
                "{text:?}"
            );
        }
    }

    #[test]
    fn a_broken_calendar_is_refused_without_quoting_its_content() {
        let text = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDESCRIPTION:secret terms\r\nEND:VTODO\r\nEND:VCALENDAR\r\n";

        let error = busy_blocks(text, utc(2024, 9, 1, 0, 0), utc(2024, 10, 1, 0, 0), Almaty)
            .expect_err("refused");

        assert!(matches!(error, ImportError::Malformed(_)), "{error:?}");
        assert!(!error.to_string().contains("secret"), "{error}");
    }

    #[test]
    fn an_unparseable_date_is_an_error_naming_the_event() {
        let body = "BEGIN:VEVENT\nUID:bad-date\nDTSTART:2024-09-10 08:00\nEND:VEVENT";

        let error = september(body).expect_err("refused");

        assert!(
            matches!(&error, ImportError::InvalidEvent { uid, .. } if uid == "bad-date"),
            "{error:?}"
        );
    }

    #[test]
    fn deep_nesting_is_refused_before_parsing() {
        let depth = 100_000;
        let mut text = String::from("BEGIN:VCALENDAR\r\n");
        text.push_str(&"BEGIN:X\r\n".repeat(depth));
        text.push_str(&"END:X\r\n".repeat(depth));
        text.push_str("END:VCALENDAR\r\n");

        let error = busy_blocks(&text, utc(2024, 9, 1, 0, 0), utc(2024, 10, 1, 0, 0), Almaty)
            .expect_err("refused");

        assert!(matches!(error, ImportError::Malformed(_)), "{error:?}");
    }

    fn small_limits() -> Limits {
        Limits {
            bytes: 100_000,
            events: 3,
            recurring_events: 2,
            instances: 10,
            recurrence_steps: 1_000,
            event_days: 366,
            rules_per_event: 2,
            period_instances: 100,
            time: std::time::Duration::from_secs(60),
        }
    }

    fn import_small(body: &str) -> Result<Vec<BusyBlock>, ImportError> {
        let window = Window {
            start: utc(2024, 9, 1, 0, 0),
            end: utc(2024, 10, 1, 0, 0),
        };
        import(&calendar(body), window, Almaty, &small_limits())
    }

    fn events(n: usize, extra: &str) -> String {
        (0..n)
            .map(|i| {
                format!(
                    "BEGIN:VEVENT\nUID:e{i}\nDTSTART:20240910T0{}0000Z\nDTEND:20240910T0{}3000Z\n{extra}END:VEVENT\n",
                    i % 10,
                    i % 10
                )
            })
            .collect()
    }

    #[test]
    fn limits_on_size_events_and_recurring_events_are_enforced() {
        assert_eq!(import_small(&events(3, "")).map(|b| b.len()), Ok(3));
        assert_eq!(
            import_small(&events(4, "")),
            Err(ImportError::TooManyEvents { limit: 3 })
        );
        assert_eq!(
            import_small(&events(3, "RRULE:FREQ=YEARLY\n")),
            Err(ImportError::TooManyRecurringEvents { limit: 2 })
        );
        assert_eq!(
            import_small(&"X".repeat(100_001)),
            Err(ImportError::TooLarge {
                size: calendar(&"X".repeat(100_001)).len(),
                limit: 100_000
            })
        );
    }

    #[test]
    fn limits_on_instances_and_recurrence_steps_are_enforced() {
        assert_eq!(
            import_small(
                "BEGIN:VEVENT\nUID:d\nDTSTART:20240901T080000Z\nDTEND:20240901T090000Z\nRRULE:FREQ=DAILY\nEND:VEVENT"
            ),
            Err(ImportError::TooManyInstances { limit: 10 })
        );
        assert_eq!(
            import_small(
                "BEGIN:VEVENT\nUID:m\nDTSTART:20200101T080000Z\nDTEND:20200101T090000Z\nRRULE:FREQ=DAILY\nEND:VEVENT"
            ),
            Err(ImportError::RecurrenceTooLong { limit: 1_000 })
        );
    }

    #[test]
    fn a_rule_that_can_never_match_ends_instead_of_spinning() {
        let body = "BEGIN:VEVENT
UID:feb-30
DTSTART:20240101T080000Z
DTEND:20240101T090000Z
RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30
END:VEVENT";

        let blocks = busy_blocks(
            &calendar(body),
            utc(2024, 1, 1, 0, 0),
            utc(2024, 2, 1, 0, 0),
            Almaty,
        )
        .expect("imports");

        assert_eq!(starts(&blocks), vec![utc(2024, 1, 1, 8, 0)]);
    }

    #[test]
    fn identical_events_give_one_block() {
        let one =
            "BEGIN:VEVENT\nUID:a\nDTSTART:20240910T080000Z\nDTEND:20240910T090000Z\nEND:VEVENT";
        let body = format!("{one}\n{}", one.replace("UID:a", "UID:b"));

        let blocks = september(&body).expect("imports");

        assert_eq!(blocks.len(), 1);
    }

    #[test]
    fn an_event_from_year_1_to_9999_is_refused_naming_it() {
        let body = "BEGIN:VEVENT\nUID:forever\nDTSTART:00010101T000000Z\nDTEND:99991231T000000Z\nEND:VEVENT";

        let error = september(body).expect_err("refused");

        assert!(
            matches!(&error, ImportError::EventTooLong { uid, limit: 366, .. } if uid == "forever"),
            "{error:?}"
        );
        assert!(error.to_string().contains("\"forever\""), "{error}");
    }

    #[test]
    fn a_six_week_holiday_blocks_every_day_of_it_inside_the_window() {
        // 19 August to 30 September inclusive, all day, in Almaty (UTC+5).
        let body = "BEGIN:VEVENT\nUID:holiday\nDTSTART;VALUE=DATE:20240819\nDTEND;VALUE=DATE:20240930\nEND:VEVENT";

        let blocks = september(body).expect("imports");

        assert_eq!(
            blocks,
            vec![block(utc(2024, 9, 1, 0, 0), utc(2024, 9, 29, 19, 0))]
        );
    }

    #[test]
    fn a_year_long_leave_is_accepted_and_cut_at_both_ends_of_the_window() {
        let body =
            "BEGIN:VEVENT\nUID:leave\nDTSTART;VALUE=DATE:20240301\nDURATION:P366D\nEND:VEVENT";

        let blocks = september(body).expect("imports");

        assert_eq!(
            blocks,
            vec![block(utc(2024, 9, 1, 0, 0), utc(2024, 10, 1, 0, 0))]
        );
    }

    #[test]
    fn an_over_long_event_that_misses_the_window_does_not_stop_the_import() {
        let body =
            "BEGIN:VEVENT\nUID:old\nDTSTART:20000101T000000Z\nDTEND:20100101T000000Z\nEND:VEVENT
BEGIN:VEVENT\nUID:today\nDTSTART:20240910T080000Z\nDTEND:20240910T090000Z\nEND:VEVENT";

        let blocks = september(body).expect("imports");

        assert_eq!(starts(&blocks), vec![utc(2024, 9, 10, 8, 0)]);
    }

    #[test]
    fn overlapping_and_touching_busy_times_become_one() {
        let body =
            "BEGIN:VEVENT\nUID:a\nDTSTART:20240910T080000Z\nDTEND:20240910T100000Z\nEND:VEVENT
BEGIN:VEVENT\nUID:b\nDTSTART:20240910T090000Z\nDTEND:20240910T110000Z\nEND:VEVENT
BEGIN:VEVENT\nUID:c\nDTSTART:20240910T110000Z\nDTEND:20240910T120000Z\nEND:VEVENT
BEGIN:VEVENT\nUID:d\nDTSTART:20240910T130000Z\nDTEND:20240910T140000Z\nEND:VEVENT";

        let blocks = september(body).expect("imports");

        assert_eq!(
            blocks,
            vec![
                block(utc(2024, 9, 10, 8, 0), utc(2024, 9, 10, 12, 0)),
                block(utc(2024, 9, 10, 13, 0), utc(2024, 9, 10, 14, 0)),
            ]
        );
    }

    #[test]
    fn many_long_events_over_the_same_days_cost_no_more_than_the_days() {
        let body: String = (0..300)
            .map(|i| {
                format!(
                    "BEGIN:VEVENT\nUID:long-{i}\nDTSTART:20240801T0000{:02}Z\nDURATION:P300D\nEND:VEVENT\n",
                    i % 60
                )
            })
            .collect();

        let blocks = september(&body).expect("imports");

        assert_eq!(
            blocks,
            vec![block(utc(2024, 9, 1, 0, 0), utc(2024, 10, 1, 0, 0))]
        );
    }

    #[test]
    fn rules_repeating_more_often_than_hourly_are_refused_naming_the_event() {
        for freq in ["SECONDLY", "MINUTELY"] {
            let body = format!(
                "BEGIN:VEVENT\nUID:{freq}\nDTSTART:20240910T080000Z\nDURATION:PT1S\nRRULE:FREQ={freq};COUNT=2\nEND:VEVENT"
            );

            let error = september(&body).expect_err("refused");

            assert!(
                matches!(&error, ImportError::RuleTooDense { uid, .. } if uid == freq),
                "{error:?}"
            );
        }
    }

    #[test]
    fn a_rule_packing_too_many_times_into_one_period_is_refused_before_expanding() {
        let all = |n: u32| (0..n).map(|v| v.to_string()).collect::<Vec<_>>().join(",");
        let body = format!(
            "BEGIN:VEVENT\nUID:dense\nDTSTART:20240101T000000Z\nDURATION:PT1S\n\
             RRULE:FREQ=YEARLY;BYHOUR={};BYMINUTE={};BYSECOND={}\nEND:VEVENT",
            all(24),
            all(60),
            all(60)
        );

        let error = september(&body).expect_err("refused");

        assert!(
            matches!(&error, ImportError::RuleTooDense { uid, limit: MAX_PERIOD_INSTANCES, .. } if uid == "dense"),
            "{error:?}"
        );
    }

    #[test]
    fn a_few_times_a_day_or_an_hourly_rule_is_not_too_dense() {
        let body = "BEGIN:VEVENT\nUID:twice\nDTSTART:20240910T040000Z\nDURATION:PT30M\nRRULE:FREQ=DAILY;BYHOUR=4,9;COUNT=4\nEND:VEVENT
BEGIN:VEVENT\nUID:hourly\nDTSTART:20240920T040000Z\nDURATION:PT15M\nRRULE:FREQ=HOURLY;COUNT=3\nEND:VEVENT";

        let blocks = september(body).expect("imports");

        assert_eq!(blocks.len(), 7);
    }

    #[test]
    fn an_event_with_too_many_rules_is_refused_naming_it() {
        let body = "BEGIN:VEVENT\nUID:rules\nDTSTART:20240910T080000Z\nDTEND:20240910T090000Z
RRULE:FREQ=DAILY;COUNT=2\nRRULE:FREQ=WEEKLY;COUNT=2\nRRULE:FREQ=MONTHLY;COUNT=2\nEND:VEVENT";

        assert_eq!(
            import_small(body),
            Err(ImportError::TooManyRules {
                uid: "rules".to_owned(),
                limit: 2
            })
        );
    }

    #[test]
    fn an_import_over_its_time_budget_is_refused() {
        let limits = Limits {
            time: std::time::Duration::ZERO,
            ..LIMITS
        };
        let window = Window {
            start: utc(2024, 9, 1, 0, 0),
            end: utc(2024, 10, 1, 0, 0),
        };
        let body = "BEGIN:VEVENT\nUID:d\nDTSTART:20240901T080000Z\nDTEND:20240901T090000Z\nRRULE:FREQ=DAILY\nEND:VEVENT";

        assert_eq!(
            import(&calendar(body), window, Almaty, &limits),
            Err(ImportError::TooSlow { limit_ms: 0 })
        );
    }

    #[test]
    fn a_thousand_rules_that_never_match_stop_at_the_time_budget() {
        let body: String = (0..MAX_RECURRING_EVENTS)
            .map(|i| {
                format!(
                    "BEGIN:VEVENT\nUID:never-{i}\nDTSTART:20240101T080000Z\nDURATION:PT1H\n\
                     RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30\nEND:VEVENT\n"
                )
            })
            .collect();

        assert_eq!(
            september(&body),
            Err(ImportError::TooSlow {
                limit_ms: MAX_EXPANSION_TIME.as_millis()
            })
        );
    }
}
