//! The free-slot engine: when can this mediator hold a session of this length?
//!
//! A mediator's availability is their weekly working hours in *their own*
//! time zone, minus time off, minus sessions already booked (kept apart by a
//! buffer), minus busy blocks imported from their external calendar, minus
//! closed days (see DESIGN.md, "Calendars of mediators" and "Scheduling
//! rules"). This module turns that into a sorted list of bookable
//! [`Interval`]s in UTC.
//!
//! Rules a newcomer must not break:
//!
//! - Weekly hours are *local* and are expanded day by day in local time,
//!   through the tz database. Never turn them into a fixed UTC offset: Asia/
//!   Almaty was UTC+6 until 1 March 2024 and is UTC+5 since, and European
//!   zones move twice a year, so "Monday 09:00" is a different UTC instant
//!   from one season (or year) to the next.
//! - Everything else is in UTC; busy intervals are half-open `[start, end)`,
//!   so a slot ending at 10:00 and a session starting at 10:00 do not clash.
//! - This is pure code: no clock, no database. "Now" is whatever the caller
//!   passes as `from`.
//! - It must stay fast (ranking mediators asks for the earliest slot of every
//!   candidate): the busy data is sorted and merged once in [`Busy::new`],
//!   then each query sweeps it with a moving index. Do not add per-slot scans
//!   of the busy lists or per-slot allocations.

use std::borrow::Cow;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// Minutes in a local day; a weekly interval may end exactly here ("24:00").
pub const MINUTES_PER_DAY: u16 = 1440;

/// The grid slots start on unless the caller says otherwise: a quarter hour,
/// so offered times look like 09:00, 09:15, … rather than 09:07.
pub const DEFAULT_GRID_MINUTES: u32 = 15;

/// One period of a mediator's weekly working hours, in their own time zone.
///
/// Build it with [`parse_weekly`], which guarantees `1 <= weekday <= 7` and
/// `start_minute < end_minute <= 1440`. The fields are public for reading;
/// [`free_slots`] ignores values outside those bounds rather than panicking.
///
/// The field order matters: the derived `Ord` sorts by weekday, then start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct WeeklyInterval {
    /// ISO weekday: 1 = Monday … 7 = Sunday.
    pub weekday: u8,
    /// Minutes after local midnight, `0..1440`.
    pub start_minute: u16,
    /// Minutes after local midnight, `start_minute + 1 ..= 1440` (1440 = the
    /// end of the day, so an interval never crosses midnight).
    pub end_minute: u16,
}

impl WeeklyInterval {
    /// Whether the fields are within the bounds [`parse_weekly`] guarantees.
    fn is_well_formed(&self) -> bool {
        (1..=7).contains(&self.weekday)
            && self.start_minute < self.end_minute
            && self.end_minute <= MINUTES_PER_DAY
    }
}

/// Parses weekly working hours as they come from a form or the JSON API:
/// `(weekday, "HH:MM" start, "HH:MM" end)`, weekday 1 = Monday … 7 = Sunday.
///
/// Every problem is reported, each with the field it concerns (such as
/// `weekly[2].end`), so the caller can answer 422 with all of them at once:
/// a weekday outside 1..=7, a time that is not `HH:MM`, `24:00` anywhere but
/// as an end, an end not after its start ("inverted"), and two intervals of
/// the same weekday that overlap (the later-starting one is named). Intervals
/// that merely touch (09:00–13:00 and 13:00–17:00) are fine.
///
/// On success the intervals are returned sorted by weekday, then start.
pub fn parse_weekly(
    items: &[(i64, &str, &str)],
) -> Result<Vec<WeeklyInterval>, Vec<(String, String)>> {
    // (index of the item, field, message): sorted by index at the end so the
    // errors read in the order of the form.
    let mut errors: Vec<(usize, String, String)> = Vec::new();
    let mut parsed: Vec<(usize, WeeklyInterval)> = Vec::with_capacity(items.len());

    for (i, &(weekday, start, end)) in items.iter().enumerate() {
        let weekday = match u8::try_from(weekday) {
            Ok(w @ 1..=7) => Some(w),
            _ => {
                errors.push((
                    i,
                    format!("weekly[{i}].weekday"),
                    "must be 1 (Monday) to 7 (Sunday)".into(),
                ));
                None
            }
        };
        let start_minute = match parse_hhmm(start) {
            Some(MINUTES_PER_DAY) => {
                errors.push((
                    i,
                    format!("weekly[{i}].start"),
                    "24:00 is allowed only as an end".into(),
                ));
                None
            }
            Some(m) => Some(m),
            None => {
                errors.push((i, format!("weekly[{i}].start"), bad_time_message(start)));
                None
            }
        };
        let end_minute = parse_hhmm(end);
        if end_minute.is_none() {
            errors.push((i, format!("weekly[{i}].end"), bad_time_message(end)));
        }
        if let (Some(weekday), Some(start_minute), Some(end_minute)) =
            (weekday, start_minute, end_minute)
        {
            if end_minute <= start_minute {
                errors.push((
                    i,
                    format!("weekly[{i}].end"),
                    format!("must be after the start {start} (the interval is inverted)"),
                ));
            } else {
                parsed.push((
                    i,
                    WeeklyInterval {
                        weekday,
                        start_minute,
                        end_minute,
                    },
                ));
            }
        }
    }

    // Overlaps: after sorting by (weekday, start), an interval overlaps an
    // earlier one exactly when it starts before the furthest end reached so
    // far on that weekday. Ties on the start go by position in the input, so
    // "the later one" is well defined.
    parsed.sort_by_key(|&(i, w)| (w.weekday, w.start_minute, i));
    let mut reach: Option<(u8, u16, usize)> = None; // (weekday, furthest end, its item)
    for &(i, w) in &parsed {
        match reach {
            Some((weekday, end, earlier)) if weekday == w.weekday && w.start_minute < end => {
                errors.push((
                    i,
                    format!("weekly[{i}].start"),
                    format!(
                        "overlaps weekly[{earlier}] on the same weekday (it ends at {})",
                        format_hhmm(end)
                    ),
                ));
                if w.end_minute > end {
                    reach = Some((weekday, w.end_minute, i));
                }
            }
            _ => reach = Some((w.weekday, w.end_minute, i)),
        }
    }

    if errors.is_empty() {
        Ok(parsed.into_iter().map(|(_, w)| w).collect())
    } else {
        errors.sort_by_key(|(i, _, _)| *i); // stable: keeps weekday/start/end order
        Err(errors
            .into_iter()
            .map(|(_, field, msg)| (field, msg))
            .collect())
    }
}

/// `"HH:MM"` (or `"H:MM"`) to minutes after midnight, `0..=1440`; `24:00` is
/// returned as 1440 and the caller decides where it is allowed.
fn parse_hhmm(raw: &str) -> Option<u16> {
    let (hours, minutes) = raw.split_once(':')?;
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !(1..=2).contains(&hours.len()) || minutes.len() != 2 {
        return None;
    }
    if !all_digits(hours) || !all_digits(minutes) {
        return None;
    }
    let hours: u16 = hours.parse().ok()?;
    let minutes: u16 = minutes.parse().ok()?;
    match (hours, minutes) {
        (24, 0) => Some(MINUTES_PER_DAY),
        (0..=23, 0..=59) => Some(hours * 60 + minutes),
        _ => None,
    }
}

fn bad_time_message(raw: &str) -> String {
    format!("{raw:?} is not a time of day HH:MM (00:00 to 24:00)")
}

fn format_hhmm(minute: u16) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// A half-open span of time `[start, end)` in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Interval {
    /// First instant inside the interval.
    pub start: DateTime<Utc>,
    /// First instant after it.
    pub end: DateTime<Utc>,
}

impl Interval {
    /// No check that `start < end`: busy data comes from outside (imported
    /// calendars) and may hold empty entries, which [`Busy::new`] drops
    /// rather than refusing the whole list.
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Self {
        Self { start, end }
    }

    /// Whether the two share any instant; touching intervals do not.
    pub fn overlaps(&self, other: &Interval) -> bool {
        self.start < other.end && other.start < self.end
    }
}

/// What kind of slot is wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotRules {
    /// Length of the session. Zero or negative gives no slots.
    pub duration: Duration,
    /// Slots start where the local minutes since local midnight are a
    /// multiple of this. 0 is read as 1 (any minute) rather than dividing by
    /// zero; [`DEFAULT_GRID_MINUTES`] is the usual value.
    pub grid_minutes: u32,
    /// Gap required between a slot and an already booked session, on either
    /// side, so that a mediator's sessions are never back to back. Time off
    /// and busy blocks get no buffer: they are the mediator's own, exact,
    /// statement of when they are away. Negative is read as zero.
    pub buffer: Duration,
}

impl SlotRules {
    /// Slots of `duration` on the default 15-minute grid, with no buffer.
    pub fn new(duration: Duration) -> Self {
        Self {
            duration,
            grid_minutes: DEFAULT_GRID_MINUTES,
            buffer: Duration::zero(),
        }
    }
}

/// Everything that blocks a mediator's weekly hours, sorted and merged once
/// so that any number of queries can sweep it in linear time.
///
/// Time off and busy blocks are merged into one timeline. Booked sessions are
/// merged into a second one and widened by [`SlotRules::buffer`] at query
/// time: the buffer belongs to the query, so one `Busy` serves any rules, and
/// widening a sorted, merged list by a constant keeps it sorted, so the sweep
/// needs no second sort. Together they are one blocked timeline (see
/// [`Busy::timeline`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Busy {
    fixed: Vec<Interval>,
    sessions: Vec<Interval>,
}

impl Busy {
    /// Builds the blocked timelines from unsorted, possibly overlapping
    /// lists. Empty or inverted intervals (`end <= start`) block nothing and
    /// are dropped. Takes the vectors by value to reuse their memory.
    pub fn new(
        mut time_off: Vec<Interval>,
        sessions: Vec<Interval>,
        mut busy_blocks: Vec<Interval>,
    ) -> Self {
        time_off.append(&mut busy_blocks);
        Self {
            fixed: merge(time_off),
            sessions: merge(sessions),
        }
    }

    /// Time off and busy blocks, sorted and merged.
    pub fn fixed(&self) -> &[Interval] {
        &self.fixed
    }

    /// Booked sessions, sorted and merged, without the buffer.
    pub fn sessions(&self) -> &[Interval] {
        &self.sessions
    }

    /// The single blocked timeline for a given buffer: sessions widened by
    /// `buffer` on each side, merged with time off and busy blocks. Meant for
    /// display and checks; [`free_slots`] sweeps the two lists directly and
    /// does not allocate this.
    pub fn timeline(&self, buffer: Duration) -> Vec<Interval> {
        let pad = non_negative(buffer);
        let mut all = Vec::with_capacity(self.fixed.len() + self.sessions.len());
        all.extend_from_slice(&self.fixed);
        all.extend(self.sessions.iter().map(|s| Interval {
            start: minus(s.start, pad),
            end: plus(s.end, pad),
        }));
        merge(all)
    }
}

/// Sorts by start and joins overlapping or touching intervals. Afterwards
/// both starts and ends are strictly increasing, which the sweep relies on.
fn merge(mut intervals: Vec<Interval>) -> Vec<Interval> {
    intervals.retain(|i| i.start < i.end);
    intervals.sort_unstable();
    // `dedup_by` hands us (later, kept earlier): fold the later into the
    // earlier when they meet.
    intervals.dedup_by(|later, earlier| {
        if later.start <= earlier.end {
            earlier.end = earlier.end.max(later.end);
            true
        } else {
            false
        }
    });
    intervals
}

fn non_negative(d: Duration) -> Duration {
    d.max(Duration::zero())
}

// Saturating arithmetic: `DateTime + Duration` panics on overflow, and a
// far-future "until further notice" busy block must not bring a request down.
fn plus(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    t.checked_add_signed(d).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

fn minus(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    t.checked_sub_signed(d).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// A moving position in one sorted, merged blocked list, each interval
/// widened by `pad`.
struct Sweep<'a> {
    blocks: &'a [Interval],
    pad: Duration,
    next: usize,
    /// `blocks[next]` widened by `pad`, computed once per block rather than
    /// once per candidate slot: date arithmetic is the costly part of a
    /// check, comparisons are nearly free.
    current: Option<Interval>,
}

impl<'a> Sweep<'a> {
    fn new(blocks: &'a [Interval], pad: Duration, from: DateTime<Utc>) -> Self {
        // Ends are increasing, so a binary search skips all history before
        // the range; only what follows is swept.
        let next = blocks.partition_point(|b| plus(b.end, pad) <= from);
        Self {
            blocks,
            pad,
            next,
            current: None,
        }
    }

    /// Whether `[start, end)` overlaps a blocked interval. `start` must not
    /// decrease from one call to the next: intervals ending before it are
    /// passed for good, which is what keeps the whole query linear.
    fn hits(&mut self, start: DateTime<Utc>, end: DateTime<Utc>) -> bool {
        loop {
            let block = match self.current {
                Some(block) => block,
                None => match self.blocks.get(self.next) {
                    Some(b) => {
                        let widened = Interval {
                            start: minus(b.start, self.pad),
                            end: plus(b.end, self.pad),
                        };
                        self.current = Some(widened);
                        widened
                    }
                    None => return false,
                },
            };
            if block.end <= start {
                self.next += 1;
                self.current = None;
            } else {
                // Starts are increasing too: if this one begins after the
                // slot, so does every later one.
                return block.start < end;
            }
        }
    }
}

/// What the caller of [`Collector::offer`] should do next.
enum Next {
    /// Try the next grid point.
    Candidate,
    /// No later grid point fits this availability interval.
    Interval,
    /// Nothing more is wanted: past `to`, or `limit` reached.
    Stop,
}

/// The state of one query: bounds, sweeps over the busy lists, the result.
struct Collector<'a> {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    duration: Duration,
    limit: usize,
    fixed: Sweep<'a>,
    sessions: Sweep<'a>,
    /// The latest start checked against the busy sweeps. The sweeps only
    /// move forward, so a candidate at or before it must not be checked
    /// again (it would miss busy intervals already passed); it has been
    /// decided anyway, by an earlier interval whose window contains it. This
    /// keeps the output strictly increasing and free of duplicates even for
    /// hand-built overlapping weekly intervals or odd time-zone histories.
    swept: Option<DateTime<Utc>>,
    slots: Vec<Interval>,
}

impl Collector<'_> {
    /// Considers a slot starting at `start` inside the availability window
    /// `[window_start, window_end)`. Candidates must come in non-decreasing
    /// order of `start`.
    fn offer(
        &mut self,
        start: DateTime<Utc>,
        window_start: DateTime<Utc>,
        window_end: DateTime<Utc>,
    ) -> Next {
        let Some(end) = start.checked_add_signed(self.duration) else {
            return Next::Stop;
        };
        if end > window_end {
            return Next::Interval;
        }
        if end > self.to {
            // Every later candidate starts no earlier, so ends past `to` too.
            return Next::Stop;
        }
        if start < self.from || start < window_start || self.swept.is_some_and(|l| start <= l) {
            return Next::Candidate;
        }
        self.swept = Some(start);
        if self.fixed.hits(start, end) || self.sessions.hits(start, end) {
            return Next::Candidate;
        }
        self.slots.push(Interval { start, end });
        if self.slots.len() >= self.limit {
            Next::Stop
        } else {
            Next::Candidate
        }
    }
}

/// The local date and minute as a naive date-time (minute 1440 is the next
/// midnight).
fn local_at(day: NaiveDate, minute: u32) -> Option<NaiveDateTime> {
    day.and_time(NaiveTime::MIN)
        .checked_add_signed(Duration::minutes(i64::from(minute)))
}

/// The instant a local slot start means: the earliest one when the local
/// time happens twice (clocks set back), none when it never happens (clocks
/// set forward) — a slot is not offered at a time that does not exist.
fn slot_start(tz: Tz, day: NaiveDate, minute: u32) -> Option<DateTime<Utc>> {
    let local = local_at(day, minute)?;
    tz.from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// The instant an availability bound means, and whether it was unambiguous.
/// Ambiguous: the earliest. Nonexistent (inside a gap where clocks jump
/// forward): the end of the gap, i.e. the first local minute that exists —
/// the mediator said "from 02:30" on a day that skips from 02:00 to 03:00,
/// and the sensible reading is "from when the clock shows 03:00".
fn bound(tz: Tz, day: NaiveDate, minute: u32) -> Option<(DateTime<Utc>, bool)> {
    let local = local_at(day, minute)?;
    let mapped = tz.from_local_datetime(&local);
    if let Some(t) = mapped.single() {
        return Some((t.with_timezone(&Utc), true));
    }
    if let Some(t) = mapped.earliest() {
        return Some((t.with_timezone(&Utc), false));
    }
    // Gaps are an hour, rarely two, in the tz database; a day covers any.
    (1..=u32::from(MINUTES_PER_DAY)).find_map(|step| {
        let later = local.checked_add_signed(Duration::minutes(i64::from(step)))?;
        tz.from_local_datetime(&later)
            .earliest()
            .map(|t| (t.with_timezone(&Utc), false))
    })
}

/// Free slots of a mediator between `from` and `to`, sorted by start.
///
/// A slot `[s, s + rules.duration)` is returned when all of these hold:
///
/// - it lies entirely inside one of the `weekly` intervals of a local day in
///   `tz` (touching intervals are not joined: the mediator entered them as
///   separate periods, and a session straddling the boundary is not what
///   either of them offers);
/// - that local date is not in `closed_days` (holidays, court closures);
/// - `s >= from` and `s + duration <= to`;
/// - `s` is on the grid: its local minutes since local midnight are a
///   multiple of `rules.grid_minutes`; a local start that does not exist
///   (clocks set forward) is skipped, one that happens twice (clocks set
///   back) is taken the first time;
/// - it overlaps no time off, no busy block, and no booked session widened
///   by `rules.buffer` on each side.
///
/// `limit` stops the search after that many slots (`Some(1)` is
/// [`earliest_slot`]), so looking for the earliest slot costs only the days
/// up to it. `weekly` should come from [`parse_weekly`]; malformed entries
/// are ignored.
///
/// Cost: one pass over the days of the range and one over the busy data from
/// `from` onward (found by binary search), no per-slot allocation.
// Eight arguments because each is a distinct input of the rule above and the
// callers (matching, the free-slots endpoint) hold them separately; a
// wrapper struct would only move the list elsewhere.
#[allow(clippy::too_many_arguments)]
pub fn free_slots(
    tz: Tz,
    weekly: &[WeeklyInterval],
    busy: &Busy,
    closed_days: &[NaiveDate],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    rules: &SlotRules,
    limit: Option<usize>,
) -> Vec<Interval> {
    let limit = limit.unwrap_or(usize::MAX);
    if limit == 0 || rules.duration <= Duration::zero() || from >= to {
        return Vec::new();
    }
    // Past a day only midnight is on the grid, same as exactly a day.
    let grid = rules.grid_minutes.clamp(1, u32::from(MINUTES_PER_DAY));

    // Stored calendars come sorted and valid: borrow them as they are, and
    // copy only when they are not (matching calls this for thousands of
    // mediators per request).
    let week: Cow<'_, [WeeklyInterval]> =
        if weekly.is_sorted() && weekly.iter().all(WeeklyInterval::is_well_formed) {
            Cow::Borrowed(weekly)
        } else {
            let mut w: Vec<WeeklyInterval> = weekly
                .iter()
                .copied()
                .filter(WeeklyInterval::is_well_formed)
                .collect();
            w.sort_unstable();
            Cow::Owned(w)
        };
    if week.is_empty() {
        // Also stops a long range from walking its days for nothing.
        return Vec::new();
    }
    let closed: Cow<'_, [NaiveDate]> = if closed_days.is_sorted() {
        Cow::Borrowed(closed_days)
    } else {
        let mut c = closed_days.to_vec();
        c.sort_unstable();
        Cow::Owned(c)
    };

    let mut collector = Collector {
        from,
        to,
        duration: rules.duration,
        limit,
        fixed: Sweep::new(&busy.fixed, Duration::zero(), from),
        sessions: Sweep::new(&busy.sessions, non_negative(rules.buffer), from),
        swept: None,
        slots: Vec::with_capacity(limit.min(64)),
    };

    // Local days whose hours can meet [from, to): hours of an earlier day
    // end by the local midnight that begins `from`'s local date.
    let first_day = from.with_timezone(&tz).date_naive();
    let last_day = to.with_timezone(&tz).date_naive();

    for day in first_day.iter_days().take_while(|d| *d <= last_day) {
        if closed.binary_search(&day).is_ok() {
            continue;
        }
        let weekday = u8::try_from(day.weekday().number_from_monday()).unwrap_or(0);
        let lo = week.partition_point(|w| w.weekday < weekday);
        let hi = week.partition_point(|w| w.weekday <= weekday);
        for w in week.get(lo..hi).unwrap_or_default() {
            if let Next::Stop = slots_of_interval(&mut collector, tz, day, w, grid) {
                return collector.slots;
            }
        }
    }
    collector.slots
}

/// Offers the grid points of one weekly interval on one local day.
/// Returns [`Next::Stop`] when the whole query is done.
fn slots_of_interval(
    collector: &mut Collector<'_>,
    tz: Tz,
    day: NaiveDate,
    w: &WeeklyInterval,
    grid: u32,
) -> Next {
    let (start, end) = (u32::from(w.start_minute), u32::from(w.end_minute));
    let first = start.div_ceil(grid) * grid;
    if first >= end {
        return Next::Interval;
    }
    let (Some((window_start, exact_start)), Some((window_end, exact_end))) =
        (bound(tz, day, start), bound(tz, day, end))
    else {
        return Next::Interval;
    };
    if window_end <= collector.from || window_start >= collector.to || window_end <= window_start {
        return Next::Interval;
    }

    // The usual case: no offset change inside the interval, so local minutes
    // and UTC minutes advance together and one time-zone lookup per bound is
    // enough. A day with two changes that cancel out inside one interval
    // would fool this test; the tz database has none in working hours.
    let regular = exact_start
        && exact_end
        && window_end - window_start == Duration::minutes(i64::from(end - start));

    let mut minute = first;
    while minute < end {
        let candidate = if regular {
            window_start.checked_add_signed(Duration::minutes(i64::from(minute - start)))
        } else {
            slot_start(tz, day, minute)
        };
        if let Some(s) = candidate {
            match collector.offer(s, window_start, window_end) {
                Next::Candidate => {}
                Next::Interval => return Next::Interval,
                Next::Stop => return Next::Stop,
            }
        }
        minute += grid;
    }
    Next::Interval
}

/// The first free slot, or `None` when there is none in `[from, to)`: the
/// same rules as [`free_slots`], stopping at the first one found. This is
/// what matching uses for its `no_availability` rule and its ranking.
pub fn earliest_slot(
    tz: Tz,
    weekly: &[WeeklyInterval],
    busy: &Busy,
    closed_days: &[NaiveDate],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    rules: &SlotRules,
) -> Option<Interval> {
    free_slots(tz, weekly, busy, closed_days, from, to, rules, Some(1))
        .into_iter()
        .next()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Timelike;

    fn utc(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339)
            .expect("test instant")
            .with_timezone(&Utc)
    }

    fn date(iso: &str) -> NaiveDate {
        iso.parse().expect("test date")
    }

    fn span(start: &str, end: &str) -> Interval {
        Interval::new(utc(start), utc(end))
    }

    fn weekly(items: &[(i64, &str, &str)]) -> Vec<WeeklyInterval> {
        parse_weekly(items).expect("valid weekly hours")
    }

    fn hour() -> SlotRules {
        SlotRules::new(Duration::minutes(60))
    }

    fn starts(slots: &[Interval]) -> Vec<String> {
        slots
            .iter()
            .map(|s| s.start.format("%Y-%m-%dT%H:%MZ").to_string())
            .collect()
    }

    /// Slot starts on one UTC day, `HH:MM` each, for short assertions.
    fn times(slots: &[Interval]) -> Vec<String> {
        slots
            .iter()
            .map(|s| s.start.format("%H:%M").to_string())
            .collect()
    }

    fn quarter_hours(from: &str, to: &str) -> Vec<String> {
        let (mut t, end) = (
            NaiveTime::parse_from_str(from, "%H:%M").expect("time"),
            NaiveTime::parse_from_str(to, "%H:%M").expect("time"),
        );
        let mut out = Vec::new();
        while t <= end {
            out.push(t.format("%H:%M").to_string());
            t += Duration::minutes(15);
        }
        out
    }

    /// Mondays 09:00–13:00 in Almaty, an hour-long slot on a quarter-hour
    /// grid, over the whole UTC day of `monday`.
    fn almaty_monday_morning(monday: &str, busy: &Busy, rules: &SlotRules) -> Vec<Interval> {
        let day = date(monday);
        assert_eq!(
            day.weekday().number_from_monday(),
            1,
            "{monday} is a Monday"
        );
        free_slots(
            chrono_tz::Asia::Almaty,
            &weekly(&[(1, "09:00", "13:00")]),
            busy,
            &[],
            utc(&format!("{monday}T00:00:00Z")),
            utc(&format!("{monday}T23:59:00Z")),
            rules,
            None,
        )
    }

    // ---- time zones ------------------------------------------------------

    #[test]
    fn almaty_monday_morning_in_february_2024_is_three_to_seven_utc() {
        let slots = almaty_monday_morning("2024-02-05", &Busy::default(), &hour());
        assert_eq!(times(&slots), quarter_hours("03:00", "06:00"));
        assert_eq!(
            slots.last().map(|s| s.end),
            Some(utc("2024-02-05T07:00:00Z"))
        );
    }

    #[test]
    fn almaty_monday_morning_in_2025_is_four_to_eight_utc() {
        let slots = almaty_monday_morning("2025-01-06", &Busy::default(), &hour());
        assert_eq!(slots.len(), 13);
        assert_eq!(
            slots.first().map(|s| s.start),
            Some(utc("2025-01-06T04:00:00Z"))
        );
        assert_eq!(
            slots.last().map(|s| s.start),
            Some(utc("2025-01-06T07:00:00Z"))
        );
        assert_eq!(
            slots.last().map(|s| s.end),
            Some(utc("2025-01-06T08:00:00Z"))
        );
        assert_eq!(times(&slots), quarter_hours("04:00", "07:00"));
    }

    #[test]
    fn almaty_monday_morning_in_2026_is_four_to_eight_utc() {
        let slots = almaty_monday_morning("2026-01-05", &Busy::default(), &hour());
        assert_eq!(times(&slots), quarter_hours("04:00", "07:00"));
    }

    #[test]
    fn the_kazakhstan_offset_change_is_followed_inside_one_query() {
        // Mondays 26 February and 4 March 2024 straddle 1 March 2024.
        let slots = free_slots(
            chrono_tz::Asia::Almaty,
            &weekly(&[(1, "09:00", "10:00")]),
            &Busy::default(),
            &[],
            utc("2024-02-25T00:00:00Z"),
            utc("2024-03-10T00:00:00Z"),
            &hour(),
            None,
        );
        assert_eq!(starts(&slots), ["2024-02-26T03:00Z", "2024-03-04T04:00Z"]);
    }

    #[test]
    fn berlin_spring_forward_skips_the_local_hour_that_does_not_exist() {
        // Sunday 30 March 2025: 02:00 CET jumps to 03:00 CEST (01:00Z).
        // Local 01:00–04:00 is two real hours: 00:00Z–02:00Z.
        let rules = SlotRules {
            grid_minutes: 30,
            ..hour()
        };
        let slots = free_slots(
            chrono_tz::Europe::Berlin,
            &weekly(&[(7, "01:00", "04:00")]),
            &Busy::default(),
            &[],
            utc("2025-03-29T00:00:00Z"),
            utc("2025-03-31T00:00:00Z"),
            &rules,
            None,
        );
        // Local 01:00, 01:30, (02:00 and 02:30 do not exist), 03:00.
        assert_eq!(
            starts(&slots),
            [
                "2025-03-30T00:00Z",
                "2025-03-30T00:30Z",
                "2025-03-30T01:00Z"
            ]
        );
    }

    #[test]
    fn berlin_availability_starting_inside_the_gap_starts_when_the_clock_shows_three() {
        let rules = SlotRules {
            grid_minutes: 30,
            ..hour()
        };
        let slots = free_slots(
            chrono_tz::Europe::Berlin,
            &weekly(&[(7, "02:30", "05:00")]),
            &Busy::default(),
            &[],
            utc("2025-03-29T00:00:00Z"),
            utc("2025-03-31T00:00:00Z"),
            &rules,
            None,
        );
        // 03:00, 03:30, 04:00 CEST.
        assert_eq!(
            starts(&slots),
            [
                "2025-03-30T01:00Z",
                "2025-03-30T01:30Z",
                "2025-03-30T02:00Z"
            ]
        );
    }

    #[test]
    fn berlin_fall_back_takes_the_first_of_the_repeated_local_times() {
        // Sunday 26 October 2025: 03:00 CEST goes back to 02:00 CET (01:00Z).
        // Local 01:00 CEST (23:00Z) to 04:00 CET (03:00Z) is four real hours.
        let rules = SlotRules {
            grid_minutes: 30,
            ..hour()
        };
        let slots = free_slots(
            chrono_tz::Europe::Berlin,
            &weekly(&[(7, "01:00", "04:00")]),
            &Busy::default(),
            &[],
            utc("2025-10-25T00:00:00Z"),
            utc("2025-10-27T00:00:00Z"),
            &rules,
            None,
        );
        assert_eq!(
            starts(&slots),
            [
                "2025-10-25T23:00Z", // 01:00 CEST
                "2025-10-25T23:30Z", // 01:30 CEST
                "2025-10-26T00:00Z", // 02:00, first time (CEST)
                "2025-10-26T00:30Z", // 02:30, first time (CEST)
                "2025-10-26T02:00Z", // 03:00 CET, ends 04:00 CET
            ]
        );
    }

    // ---- busy data -------------------------------------------------------

    #[test]
    fn time_off_removes_exactly_the_overlapping_slots() {
        let busy = Busy::new(
            vec![span("2025-01-06T05:00:00Z", "2025-01-06T05:30:00Z")],
            vec![],
            vec![],
        );
        let slots = almaty_monday_morning("2025-01-06", &busy, &hour());
        // 04:00 ends as the time off begins; 05:30 starts as it ends.
        assert_eq!(
            times(&slots),
            [
                "04:00", "05:30", "05:45", "06:00", "06:15", "06:30", "06:45", "07:00"
            ]
        );
    }

    #[test]
    fn a_booked_session_blocks_only_itself_without_a_buffer() {
        let busy = Busy::new(
            vec![],
            vec![span("2025-01-06T05:30:00Z", "2025-01-06T06:00:00Z")],
            vec![],
        );
        let slots = almaty_monday_morning("2025-01-06", &busy, &hour());
        assert_eq!(
            times(&slots),
            [
                "04:00", "04:15", "04:30", "06:00", "06:15", "06:30", "06:45", "07:00"
            ]
        );
    }

    #[test]
    fn a_booked_session_with_a_fifteen_minute_buffer_removes_exactly_the_right_slots() {
        let busy = Busy::new(
            vec![],
            vec![span("2025-01-06T05:30:00Z", "2025-01-06T06:00:00Z")],
            vec![],
        );
        let rules = SlotRules {
            buffer: Duration::minutes(15),
            ..hour()
        };
        let slots = almaty_monday_morning("2025-01-06", &busy, &rules);
        // Blocked is 05:15–06:15: a slot must end by 05:15 or start at 06:15.
        assert_eq!(
            times(&slots),
            ["04:00", "04:15", "06:15", "06:30", "06:45", "07:00"]
        );
    }

    #[test]
    fn the_buffer_does_not_apply_to_time_off_or_busy_blocks() {
        let busy = Busy::new(
            vec![span("2025-01-06T05:30:00Z", "2025-01-06T06:00:00Z")],
            vec![],
            vec![],
        );
        let rules = SlotRules {
            buffer: Duration::minutes(15),
            ..hour()
        };
        let slots = almaty_monday_morning("2025-01-06", &busy, &rules);
        assert_eq!(times(&slots).first().map(String::as_str), Some("04:00"));
        assert!(times(&slots).contains(&"04:30".to_owned()));
        assert!(times(&slots).contains(&"06:00".to_owned()));
    }

    #[test]
    fn a_busy_block_from_the_external_calendar_removes_the_slots_it_overlaps() {
        let busy = Busy::new(
            vec![],
            vec![],
            vec![span("2025-01-06T06:50:00Z", "2025-01-06T07:10:00Z")],
        );
        let slots = almaty_monday_morning("2025-01-06", &busy, &hour());
        // Slots touching 06:50–07:10: those starting after 05:50 and before 07:10.
        assert_eq!(times(&slots), quarter_hours("04:00", "05:45"));
    }

    #[test]
    fn unsorted_and_overlapping_busy_lists_are_merged_into_one_timeline() {
        let busy = Busy::new(
            vec![span("2025-01-06T09:00:00Z", "2025-01-06T10:00:00Z")],
            vec![
                span("2025-01-06T08:00:00Z", "2025-01-06T08:30:00Z"),
                span("2025-01-06T07:00:00Z", "2025-01-06T08:00:00Z"),
            ],
            vec![
                span("2025-01-06T09:30:00Z", "2025-01-06T11:00:00Z"),
                span("2025-01-06T12:00:00Z", "2025-01-06T11:00:00Z"), // inverted: ignored
            ],
        );
        assert_eq!(
            busy.timeline(Duration::minutes(15)),
            [
                span("2025-01-06T06:45:00Z", "2025-01-06T08:45:00Z"),
                span("2025-01-06T09:00:00Z", "2025-01-06T11:00:00Z"),
            ]
        );
        assert_eq!(busy.fixed().len(), 1);
        assert_eq!(busy.sessions().len(), 1);
    }

    #[test]
    fn busy_data_long_before_the_range_is_skipped_and_long_after_is_harmless() {
        let mut sessions: Vec<Interval> = (0..500)
            .map(|d| {
                let start = utc("2024-01-01T04:00:00Z") + Duration::days(d);
                Interval::new(start, start + Duration::hours(4))
            })
            .collect();
        sessions.retain(|s| s.start.date_naive() != date("2025-01-06"));
        let slots =
            almaty_monday_morning("2025-01-06", &Busy::new(vec![], sessions, vec![]), &hour());
        assert_eq!(times(&slots), quarter_hours("04:00", "07:00"));
    }

    // ---- calendar and bounds ---------------------------------------------

    #[test]
    fn closed_days_have_no_slots_and_other_days_keep_theirs() {
        let slots = free_slots(
            chrono_tz::Asia::Almaty,
            &weekly(&[(1, "09:00", "10:00"), (2, "09:00", "10:00")]),
            &Busy::default(),
            &[date("2025-01-06")],
            utc("2025-01-06T00:00:00Z"),
            utc("2025-01-14T00:00:00Z"),
            &hour(),
            None,
        );
        assert_eq!(starts(&slots), ["2025-01-07T04:00Z", "2025-01-13T04:00Z"]);
    }

    #[test]
    fn closed_days_are_local_dates_of_the_mediator() {
        // Monday 00:30–01:30 in Almaty is Sunday 19:30Z: closing the UTC
        // Sunday does nothing, closing the local Monday removes it.
        let week = weekly(&[(1, "00:30", "01:30")]);
        let query = |closed: &[NaiveDate]| {
            free_slots(
                chrono_tz::Asia::Almaty,
                &week,
                &Busy::default(),
                closed,
                utc("2025-01-05T00:00:00Z"),
                utc("2025-01-07T00:00:00Z"),
                &hour(),
                None,
            )
        };
        assert_eq!(starts(&query(&[date("2025-01-05")])), ["2025-01-05T19:30Z"]);
        assert!(query(&[date("2025-01-06")]).is_empty());
    }

    #[test]
    fn slots_start_on_the_local_grid_not_at_the_start_of_the_interval() {
        // 09:10–11:00 with a 20-minute grid: 09:20, 09:40, 10:00, 10:20
        // (10:40 would end at 11:10).
        let rules = SlotRules {
            duration: Duration::minutes(30),
            grid_minutes: 20,
            buffer: Duration::zero(),
        };
        let slots = free_slots(
            chrono_tz::Asia::Almaty,
            &weekly(&[(1, "09:10", "11:00")]),
            &Busy::default(),
            &[],
            utc("2025-01-06T00:00:00Z"),
            utc("2025-01-07T00:00:00Z"),
            &rules,
            None,
        );
        assert_eq!(times(&slots), ["04:20", "04:40", "05:00", "05:20"]);
        assert!(
            slots
                .iter()
                .all(|s| s.end - s.start == Duration::minutes(30))
        );
    }

    #[test]
    fn the_grid_follows_local_midnight_in_a_zone_with_a_half_hour_offset() {
        // India is UTC+05:30: local 09:00 is 03:30Z, and the hourly grid is
        // on local hours.
        let rules = SlotRules {
            grid_minutes: 60,
            ..hour()
        };
        let slots = free_slots(
            chrono_tz::Asia::Kolkata,
            &weekly(&[(1, "08:30", "11:00")]),
            &Busy::default(),
            &[],
            utc("2025-01-06T00:00:00Z"),
            utc("2025-01-07T00:00:00Z"),
            &rules,
            None,
        );
        assert_eq!(times(&slots), ["03:30", "04:30"]);
    }

    #[test]
    fn from_and_to_cut_the_range() {
        let slots = free_slots(
            chrono_tz::Asia::Almaty,
            &weekly(&[(1, "09:00", "13:00")]),
            &Busy::default(),
            &[],
            utc("2025-01-06T04:10:00Z"),
            utc("2025-01-06T06:50:00Z"),
            &hour(),
            None,
        );
        // First on the grid at or after 04:10; last one ending by 06:50.
        assert_eq!(times(&slots), quarter_hours("04:15", "05:45"));
    }

    #[test]
    fn a_slot_never_straddles_two_intervals_even_when_they_touch() {
        let slots = free_slots(
            chrono_tz::Asia::Almaty,
            &weekly(&[(1, "09:00", "10:00"), (1, "10:00", "11:00")]),
            &Busy::default(),
            &[],
            utc("2025-01-06T00:00:00Z"),
            utc("2025-01-07T00:00:00Z"),
            &SlotRules {
                grid_minutes: 30,
                ..hour()
            },
            None,
        );
        assert_eq!(times(&slots), ["04:00", "05:00"]);
    }

    #[test]
    fn a_lunch_break_splits_the_day() {
        let slots = free_slots(
            chrono_tz::Asia::Almaty,
            &weekly(&[(1, "09:00", "13:00"), (1, "14:00", "18:00")]),
            &Busy::default(),
            &[],
            utc("2025-01-06T00:00:00Z"),
            utc("2025-01-07T00:00:00Z"),
            &SlotRules {
                duration: Duration::minutes(120),
                grid_minutes: 60,
                buffer: Duration::zero(),
            },
            None,
        );
        assert_eq!(
            times(&slots),
            ["04:00", "05:00", "06:00", "09:00", "10:00", "11:00"]
        );
    }

    #[test]
    fn an_interval_ending_at_midnight_offers_its_last_hour() {
        let slots = free_slots(
            chrono_tz::Asia::Almaty,
            &weekly(&[(1, "22:00", "24:00")]),
            &Busy::default(),
            &[],
            utc("2025-01-06T00:00:00Z"),
            utc("2025-01-08T00:00:00Z"),
            &SlotRules {
                grid_minutes: 60,
                ..hour()
            },
            None,
        );
        assert_eq!(starts(&slots), ["2025-01-06T17:00Z", "2025-01-06T18:00Z"]);
    }

    #[test]
    fn limit_stops_after_that_many_slots() {
        let week = weekly(&[(1, "09:00", "13:00")]);
        let all = free_slots(
            chrono_tz::Asia::Almaty,
            &week,
            &Busy::default(),
            &[],
            utc("2025-01-01T00:00:00Z"),
            utc("2025-02-01T00:00:00Z"),
            &hour(),
            None,
        );
        let three = free_slots(
            chrono_tz::Asia::Almaty,
            &week,
            &Busy::default(),
            &[],
            utc("2025-01-01T00:00:00Z"),
            utc("2025-02-01T00:00:00Z"),
            &hour(),
            Some(3),
        );
        assert_eq!(all.len(), 4 * 13);
        assert_eq!(three, all[..3]);
        let none = free_slots(
            chrono_tz::Asia::Almaty,
            &week,
            &Busy::default(),
            &[],
            utc("2025-01-01T00:00:00Z"),
            utc("2025-02-01T00:00:00Z"),
            &hour(),
            Some(0),
        );
        assert!(none.is_empty());
    }

    #[test]
    fn the_earliest_slot_skips_closed_and_fully_booked_days() {
        let week = weekly(&[(1, "09:00", "13:00")]);
        let busy = Busy::new(
            vec![],
            vec![span("2025-01-13T04:00:00Z", "2025-01-13T08:00:00Z")],
            vec![],
        );
        let earliest = earliest_slot(
            chrono_tz::Asia::Almaty,
            &week,
            &busy,
            &[date("2025-01-06")],
            utc("2025-01-01T00:00:00Z"),
            utc("2025-03-01T00:00:00Z"),
            &hour(),
        );
        assert_eq!(
            earliest,
            Some(span("2025-01-20T04:00:00Z", "2025-01-20T05:00:00Z"))
        );
    }

    #[test]
    fn there_is_no_earliest_slot_when_nothing_fits_before_to() {
        let earliest = earliest_slot(
            chrono_tz::Asia::Almaty,
            &weekly(&[(1, "09:00", "09:30")]),
            &Busy::default(),
            &[],
            utc("2025-01-01T00:00:00Z"),
            utc("2025-03-01T00:00:00Z"),
            &hour(),
        );
        assert_eq!(earliest, None);
    }

    #[test]
    fn degenerate_queries_give_no_slots() {
        let week = weekly(&[(1, "09:00", "13:00")]);
        let q = |from: &str, to: &str, rules: SlotRules| {
            free_slots(
                chrono_tz::Asia::Almaty,
                &week,
                &Busy::default(),
                &[],
                utc(from),
                utc(to),
                &rules,
                None,
            )
        };
        assert!(q("2025-01-07T00:00:00Z", "2025-01-06T00:00:00Z", hour()).is_empty());
        assert!(
            q(
                "2025-01-06T00:00:00Z",
                "2025-01-07T00:00:00Z",
                SlotRules::new(Duration::zero())
            )
            .is_empty()
        );
        assert!(
            free_slots(
                chrono_tz::Asia::Almaty,
                &[],
                &Busy::default(),
                &[],
                DateTime::<Utc>::MIN_UTC,
                DateTime::<Utc>::MAX_UTC,
                &hour(),
                None,
            )
            .is_empty()
        );
    }

    // ---- parse_weekly ----------------------------------------------------

    #[test]
    fn weekly_hours_are_returned_sorted() {
        let parsed = weekly(&[
            (2, "14:00", "18:00"),
            (1, "14:00", "24:00"),
            (1, "9:00", "13:00"),
        ]);
        assert_eq!(
            parsed,
            [
                WeeklyInterval {
                    weekday: 1,
                    start_minute: 540,
                    end_minute: 780
                },
                WeeklyInterval {
                    weekday: 1,
                    start_minute: 840,
                    end_minute: 1440
                },
                WeeklyInterval {
                    weekday: 2,
                    start_minute: 840,
                    end_minute: 1080
                },
            ]
        );
    }

    #[test]
    fn touching_intervals_are_accepted() {
        assert!(parse_weekly(&[(1, "09:00", "13:00"), (1, "13:00", "17:00")]).is_ok());
    }

    #[test]
    fn the_same_hours_on_different_weekdays_do_not_overlap() {
        assert!(parse_weekly(&[(1, "09:00", "13:00"), (2, "09:00", "13:00")]).is_ok());
    }

    #[test]
    fn overlapping_intervals_name_the_later_one() {
        let errors = parse_weekly(&[
            (3, "12:00", "15:00"),
            (1, "09:00", "13:00"),
            (3, "09:00", "12:30"),
        ])
        .expect_err("overlap");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].0, "weekly[0].start");
        assert!(errors[0].1.contains("weekly[2]"), "{}", errors[0].1);
    }

    #[test]
    fn an_interval_inside_a_long_one_is_an_overlap_even_after_a_short_one() {
        let errors = parse_weekly(&[
            (1, "08:00", "18:00"),
            (1, "09:00", "10:00"),
            (1, "11:00", "12:00"),
        ])
        .expect_err("overlaps");
        let fields: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["weekly[1].start", "weekly[2].start"]);
    }

    #[test]
    fn an_inverted_interval_is_refused() {
        let errors =
            parse_weekly(&[(1, "13:00", "09:00"), (2, "10:00", "10:00")]).expect_err("inverted");
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].0, "weekly[0].end");
        assert!(errors[0].1.contains("inverted"), "{}", errors[0].1);
        assert_eq!(errors[1].0, "weekly[1].end");
    }

    #[test]
    fn a_weekday_outside_one_to_seven_is_refused() {
        let errors = parse_weekly(&[
            (0, "09:00", "10:00"),
            (8, "09:00", "10:00"),
            (-1, "09:00", "10:00"),
        ])
        .expect_err("bad weekdays");
        let fields: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            [
                "weekly[0].weekday",
                "weekly[1].weekday",
                "weekly[2].weekday"
            ]
        );
    }

    #[test]
    fn a_badly_written_time_is_refused() {
        for bad in [
            "9",
            "09:0",
            "09:60",
            "25:00",
            "24:01",
            "9h00",
            "09:00:00",
            "-1:00",
            "",
            "０９:００",
        ] {
            let errors = parse_weekly(&[(1, bad, "18:00")]).expect_err(bad);
            assert_eq!(errors[0].0, "weekly[0].start", "{bad}");
        }
        let errors = parse_weekly(&[(1, "09:00", "18.00")]).expect_err("dot");
        assert_eq!(errors[0].0, "weekly[0].end");
    }

    #[test]
    fn midnight_is_allowed_as_an_end_only() {
        assert!(parse_weekly(&[(1, "00:00", "24:00")]).is_ok());
        let errors = parse_weekly(&[(1, "24:00", "24:00")]).expect_err("24:00 start");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].0, "weekly[0].start");
    }

    #[test]
    fn every_problem_is_reported_in_the_order_of_the_form() {
        let errors = parse_weekly(&[
            (1, "09:00", "13:00"),
            (9, "xx", "10:00"),
            (1, "12:00", "14:00"),
            (2, "11:00", "10:00"),
        ])
        .expect_err("several");
        let fields: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            [
                "weekly[1].weekday",
                "weekly[1].start",
                "weekly[2].start",
                "weekly[3].end"
            ]
        );
    }

    // ---- against a slow, obviously correct version -------------------------

    /// Walks every UTC minute of the range and applies the rules of
    /// [`free_slots`] literally, checking every minute of each slot against
    /// local time and every busy interval. Independent of the sweep, of the
    /// bound resolution and of the regular-day shortcut.
    fn free_slots_by_brute_force(
        tz: Tz,
        weekly: &[WeeklyInterval],
        busy: &Busy,
        closed_days: &[NaiveDate],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        rules: &SlotRules,
    ) -> Vec<Interval> {
        let blocked = busy.timeline(rules.buffer);
        let minutes = rules.duration.num_minutes();
        let grid = i64::from(rules.grid_minutes.max(1));
        let mut out = Vec::new();
        let mut s = from;
        while s + rules.duration <= to {
            let local = s.with_timezone(&tz).naive_local();
            let day = local.date();
            let minute_of_day = i64::from(local.time().num_seconds_from_midnight()) / 60;
            let on_grid = local.second() == 0 && minute_of_day % grid == 0;
            let first_occurrence = tz
                .from_local_datetime(&local)
                .earliest()
                .is_some_and(|t| t.with_timezone(&Utc) == s);
            let inside = weekly.iter().any(|w| {
                i64::from(w.weekday) == i64::from(day.weekday().number_from_monday())
                    && (0..minutes).all(|k| {
                        let l = (s + Duration::minutes(k)).with_timezone(&tz).naive_local();
                        let m = i64::from(l.time().num_seconds_from_midnight()) / 60;
                        l.date() == day
                            && i64::from(w.start_minute) <= m
                            && m < i64::from(w.end_minute)
                    })
            });
            let slot = Interval::new(s, s + rules.duration);
            if on_grid
                && first_occurrence
                && inside
                && !closed_days.contains(&day)
                && !blocked.iter().any(|b| b.overlaps(&slot))
            {
                out.push(slot);
            }
            s += Duration::minutes(1);
        }
        out
    }

    /// A tiny deterministic generator, so the test needs no `rand`.
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self, below: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 33) % below
        }
    }

    fn random_busy(rng: &mut Lcg, around: DateTime<Utc>, days: i64, count: usize) -> Vec<Interval> {
        (0..count)
            .map(|_| {
                let start = around + Duration::minutes(rng.next((days * 1440) as u64) as i64);
                let length = Duration::minutes(5 + rng.next(180) as i64);
                Interval::new(start, start + length)
            })
            .collect()
    }

    #[test]
    fn the_sweep_agrees_with_brute_force_across_offset_changes() {
        let cases = [
            // Kazakhstan's move to UTC+5 (clocks back an hour at midnight).
            (chrono_tz::Asia::Almaty, "2024-02-24T00:00:00Z"),
            // European spring and autumn changes.
            (chrono_tz::Europe::Berlin, "2025-03-26T00:00:00Z"),
            (chrono_tz::Europe::Berlin, "2025-10-22T00:00:00Z"),
            // A zone whose changes happen at local midnight.
            (chrono_tz::America::Havana, "2025-03-06T00:00:00Z"),
        ];
        // Overlapping and touching hours, built by hand (parse_weekly would
        // refuse the overlap), to exercise de-duplication too.
        let mut week = Vec::new();
        for weekday in 1..=7u8 {
            week.push(WeeklyInterval {
                weekday,
                start_minute: 0,
                end_minute: 180,
            });
            week.push(WeeklyInterval {
                weekday,
                start_minute: 60,
                end_minute: 240,
            });
            week.push(WeeklyInterval {
                weekday,
                start_minute: 600,
                end_minute: 700,
            });
            week.push(WeeklyInterval {
                weekday,
                start_minute: 540,
                end_minute: 780,
            });
            week.push(WeeklyInterval {
                weekday,
                start_minute: 780,
                end_minute: 1080,
            });
            week.push(WeeklyInterval {
                weekday,
                start_minute: 1350,
                end_minute: 1440,
            });
        }
        let mut rng = Lcg(7);
        for (tz, start) in cases {
            let start = utc(start);
            let (from, to) = (start + Duration::minutes(7), start + Duration::days(8));
            let busy = Busy::new(
                random_busy(&mut rng, start, 8, 6),
                random_busy(&mut rng, start, 8, 20),
                random_busy(&mut rng, start, 8, 10),
            );
            let closed = [(start + Duration::days(5)).date_naive()];
            for rules in [
                SlotRules {
                    duration: Duration::minutes(60),
                    grid_minutes: 15,
                    buffer: Duration::minutes(15),
                },
                SlotRules {
                    duration: Duration::minutes(45),
                    grid_minutes: 30,
                    buffer: Duration::zero(),
                },
            ] {
                let expected =
                    free_slots_by_brute_force(tz, &week, &busy, &closed, from, to, &rules);
                let actual = free_slots(tz, &week, &busy, &closed, from, to, &rules, None);
                assert!(!expected.is_empty());
                assert_eq!(starts(&actual), starts(&expected), "{tz} {start} {rules:?}");
                let first_five = free_slots(tz, &week, &busy, &closed, from, to, &rules, Some(5));
                assert_eq!(first_five, expected[..5], "{tz} {start}");
            }
        }
    }
}
