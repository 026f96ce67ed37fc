//! Property tests of the parsers of outside input: IIN/BIN, names, free
//! text, reasons, phones, case numbers, the registry CSV and the calendar
//! import. For arbitrary input none panics, and what one accepts keeps its
//! promise (no control characters, a valid control digit, busy times inside
//! the window, sorted and merged).
//!
//! Rule: every case count and input size here is bounded, so the whole
//! module runs in seconds; a failure prints the smallest input proptest
//! found, which becomes a unit test beside the parser when it is fixed.

use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;

use crate::calendar::import::{MAX_INSTANCES, busy_blocks};
use crate::domain::case::CaseNumber;
use crate::domain::iin::IinBin;
use crate::domain::primitives::{FreeText, Phone, Reason, parse_name};
use crate::domain::registry_csv;

/// Characters hostile input is made of: control characters (NUL, CR, LF,
/// TAB, ESC, DEL, C1), iCalendar and CSV separators, quotes, markup,
/// bidirectional marks, a BOM, letters of three scripts and digits.
fn hostile_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => any::<char>(),
        4 => prop::sample::select(vec![
            '\0', '\r', '\n', '\t', '\u{1b}', '\u{7f}', '\u{85}', '\u{9b}', ';', ',', ':', '"',
            '\'', '\\', '<', '>', '&', '=', '|', '+', '-', '(', ')', '/', '.', ' ', '\u{a0}',
            '\u{200e}', '\u{200f}', '\u{202e}', '\u{2066}', '\u{feff}', '\u{2028}', 'ә', 'Қ',
            'ж', 'a', 'Z', '0', '7', '9',
        ]),
    ]
}

fn hostile_string(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(hostile_char(), 0..max).prop_map(|v| v.into_iter().collect())
}

/// The control digit as the standard computes it, written again here
/// independently of `domain::iin`: weights 1..11, and when that gives 10,
/// weights 3..11,1,2; 10 again means no valid number.
fn control_digit(digits: &[u32]) -> Option<u32> {
    let pass = |first: u32| -> u32 {
        digits
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let w = (first - 1 + i as u32) % 11 + 1;
                d * w
            })
            .sum::<u32>()
            % 11
    };
    match pass(1) {
        10 => match pass(3) {
            10 => None,
            d => Some(d),
        },
        d => Some(d),
    }
}

fn no_control(s: &str) -> bool {
    !s.chars().any(char::is_control)
}

fn trimmed(s: &str) -> bool {
    s.trim() == s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn an_accepted_iin_is_twelve_digits_with_a_valid_control_digit(raw in hostile_string(20)) {
        if let Ok(iin) = IinBin::parse(&raw) {
            let s = iin.as_str();
            prop_assert_eq!(s.len(), 12);
            prop_assert!(s.bytes().all(|b| b.is_ascii_digit()));
            let digits: Vec<u32> = s.bytes().map(|b| u32::from(b - b'0')).collect();
            prop_assert_eq!(control_digit(&digits[..11]), Some(digits[11]));
            prop_assert!(!iin.masked().contains(&s[..8]));
        }
    }

    #[test]
    fn an_iin_is_accepted_exactly_when_its_control_digit_is_right(
        body in prop::collection::vec(0u32..10, 11),
        last in 0u32..10,
        pad in "[ ]{0,3}",
    ) {
        let text: String = body.iter().chain(std::iter::once(&last)).map(|d| char::from_digit(*d, 10).unwrap_or('0')).collect();
        let accepted = IinBin::parse(&format!("{pad}{text}{pad}")).is_ok();
        prop_assert_eq!(accepted, control_digit(&body) == Some(last));
    }

    #[test]
    fn an_accepted_name_is_trimmed_bounded_and_free_of_control_characters(raw in hostile_string(300), max in 1usize..200) {
        if let Ok(name) = parse_name(&raw, max) {
            prop_assert!(!name.is_empty());
            prop_assert!(name.chars().count() <= max);
            prop_assert!(no_control(&name), "{:?}", name);
            prop_assert!(trimmed(&name));
        }
    }

    #[test]
    fn accepted_free_text_has_no_control_characters_but_line_breaks_and_tabs(raw in hostile_string(300), max in 0usize..200) {
        if let Ok(text) = FreeText::parse(&raw, max) {
            let s = text.as_str();
            prop_assert!(s.chars().count() <= max);
            prop_assert!(s.chars().all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t')), "{:?}", s);
            prop_assert!(trimmed(s));
        }
        if let Ok(reason) = Reason::parse(&raw) {
            prop_assert!(!reason.as_str().is_empty());
            prop_assert!(reason.as_str().chars().count() <= Reason::MAX);
        }
    }

    #[test]
    fn an_accepted_phone_is_five_to_fifteen_digits_and_separators(raw in hostile_string(40)) {
        if let Ok(phone) = Phone::parse(&raw) {
            let s = phone.as_str();
            let digits = s.chars().filter(char::is_ascii_digit).count();
            prop_assert!((5..=15).contains(&digits));
            prop_assert!(s.chars().all(|c| c.is_ascii_digit() || "+-() ".contains(c)), "{:?}", s);
        }
    }

    #[test]
    fn an_accepted_case_number_cannot_break_a_header_or_a_calendar_line(raw in hostile_string(60)) {
        if let Ok(number) = CaseNumber::parse(&raw) {
            let s = number.as_str();
            prop_assert!((1..=40).contains(&s.chars().count()));
            prop_assert!(no_control(s), "{:?}", s);
            prop_assert!(!s.contains([';', ',', ':', '"', '\\', '<', '>']), "{:?}", s);
            prop_assert!(trimmed(s));
        }
    }

    #[test]
    fn the_registry_csv_reader_never_panics_on_arbitrary_text(raw in hostile_string(600)) {
        let (rows, errors) = registry_csv::parse(&raw);
        check_registry(&rows, &errors)?;
    }

    #[test]
    fn the_registry_csv_reader_keeps_every_promise_on_hostile_rows(
        fields in prop::collection::vec(prop::collection::vec(hostile_string(24), 0..13), 0..8),
    ) {
        let mut text = String::from("registry_number,name,email,kind,certified_until,specialties,languages,court_codes,max_active_cases,timezone,status\n");
        for row in &fields {
            let cells: Vec<String> = row.iter().map(|c| format!("\"{}\"", c.replace('"', "\"\""))).collect();
            text.push_str(&cells.join(","));
            text.push('\n');
        }
        // And one good row, which must come through whatever surrounds it.
        text.push_str("R-OK-1,Good Mediator,good@mediators.kz,professional,2031-12-31,civil;family,kk;ru,ALM-1,5,Asia/Almaty,active\n");
        let (rows, errors) = registry_csv::parse(&text);
        check_registry(&rows, &errors)?;
        prop_assert!(rows.iter().any(|r| r.registry_number == "R-OK-1") || errors.iter().any(|e| e.column == "registry_number"));
    }
}

fn check_registry(
    rows: &[registry_csv::RegistryRow],
    errors: &[registry_csv::RowError],
) -> Result<(), TestCaseError> {
    for row in rows {
        prop_assert!(row.line >= 2, "a row is below the header");
        prop_assert!(no_control(&row.name) && !row.name.is_empty());
        prop_assert!(no_control(&row.registry_number) && !row.registry_number.is_empty());
        prop_assert!(
            row.court_codes
                .iter()
                .all(|c| no_control(c) && !c.is_empty())
        );
        prop_assert!(row.max_active_cases >= 0);
    }
    for error in errors {
        prop_assert!(!error.column.is_empty() && !error.message.is_empty());
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Calendar import

fn window() -> (DateTime<Utc>, DateTime<Utc>) {
    let start = Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).single();
    let start = start.unwrap_or_default();
    (start, start + chrono::Duration::days(400))
}

/// A date-time value as calendars write it, from year 1 to 9999, in UTC,
/// floating, with a zone or as a date; sometimes not a date at all.
fn ical_time(well_formed: bool) -> impl Strategy<Value = (String, String)> {
    let forms = if well_formed { 0u32..4 } else { 0u32..5 };
    (
        prop_oneof![1 => Just(1i32), 1 => Just(9999i32), 2 => 1990i32..2030, 8 => 2026i32..2028],
        1u32..13,
        1u32..29,
        0u32..24,
        prop_oneof![Just(0u32), 0u32..60],
        forms,
    )
        .prop_map(|(y, mo, d, h, mi, form)| match form {
            0 => (
                String::new(),
                format!("{y:04}{mo:02}{d:02}T{h:02}{mi:02}00Z"),
            ),
            1 => (
                String::new(),
                format!("{y:04}{mo:02}{d:02}T{h:02}{mi:02}00"),
            ),
            2 => (
                ";TZID=Asia/Almaty".into(),
                format!("{y:04}{mo:02}{d:02}T{h:02}{mi:02}00"),
            ),
            3 => (";VALUE=DATE".into(), format!("{y:04}{mo:02}{d:02}")),
            _ => (String::new(), format!("{y}-{mo}-{d} {h}:{mi}")),
        })
}

fn rrule(well_formed: bool) -> impl Strategy<Value = Option<String>> {
    let mut freqs = vec!["HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY"];
    if !well_formed {
        freqs.extend(["SECONDLY", "BOGUS"]);
    }
    prop::option::of(
        (
            prop::sample::select(freqs),
            1u32..4,
            prop::option::of(prop_oneof![
                (1u32..50).prop_map(|c| format!(";COUNT={c}")),
                Just(";UNTIL=20270101T000000Z".to_owned()),
                Just(";BYDAY=MO,WE,FR".to_owned()),
                Just(";BYMONTHDAY=31;BYMONTH=2".to_owned()),
                Just(";BYSETPOS=-1;BYDAY=MO".to_owned()),
            ]),
        )
            .prop_map(|(freq, interval, extra)| {
                format!(
                    "RRULE:FREQ={freq};INTERVAL={interval}{}",
                    extra.unwrap_or_default()
                )
            }),
    )
}

/// One VEVENT; a `well_formed` one has only valid dates, durations and
/// rules (it may still be refused, e.g. for lasting from year 1 to 9999).
fn event(well_formed: bool) -> impl Strategy<Value = String> {
    let mut durations = vec![
        "DURATION:PT1H",
        "DURATION:P400D",
        "DURATION:P1W",
        "DURATION:PT30M",
    ];
    if !well_formed {
        durations.extend(["DURATION:-PT1H", "DURATION:nonsense"]);
    }
    (
        ical_time(well_formed),
        prop_oneof![
            1 => ical_time(well_formed).prop_map(|(p, v)| format!("DTEND{p}:{v}")),
            1 => prop::sample::select(durations).prop_map(str::to_owned),
            3 => (1u32..200).prop_map(|h| format!("DURATION:PT{h}H")),
            1 => Just(String::new()),
        ],
        rrule(well_formed),
        hostile_string(30),
        prop::sample::select(vec![
            "",
            "TRANSP:TRANSPARENT",
            "STATUS:CANCELLED",
            "RECURRENCE-ID:20261201T100000Z",
            "EXDATE:20261202T100000Z",
        ]),
    )
        .prop_map(|((p, start), end, rule, summary, extra)| {
            let summary: String = summary
                .chars()
                .filter(|c| !matches!(c, '\r' | '\n'))
                .collect();
            let mut lines = vec![
                "BEGIN:VEVENT".to_owned(),
                "UID:e@x".to_owned(),
                format!("DTSTART{p}:{start}"),
                end,
                format!("SUMMARY:{summary}"),
                extra.to_owned(),
            ];
            lines.extend(rule);
            lines.push("END:VEVENT".to_owned());
            lines.retain(|l| !l.is_empty());
            lines.join("\r\n")
        })
}

fn check_blocks(ics: &str) -> Result<(), TestCaseError> {
    let (start, end) = window();
    let started = std::time::Instant::now();
    let result = busy_blocks(ics, start, end, chrono_tz::Asia::Almaty);
    prop_assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    if let Ok(blocks) = result {
        prop_assert!(blocks.len() <= MAX_INSTANCES);
        for b in &blocks {
            prop_assert!(b.start < b.end, "{:?}", b);
            prop_assert!(
                b.start >= start && b.end <= end,
                "{:?} outside the window",
                b
            );
        }
        for pair in blocks.windows(2) {
            prop_assert!(
                pair[0].end < pair[1].start,
                "not sorted and merged: {:?}",
                pair
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_calendar_import_never_panics_on_arbitrary_text(raw in hostile_string(400)) {
        check_blocks(&raw)?;
        check_blocks(&format!("BEGIN:VCALENDAR\r\n{raw}\r\nEND:VCALENDAR\r\n"))?;
    }

    #[test]
    fn imported_busy_times_are_inside_the_window_sorted_and_merged(
        well_formed in any::<bool>(),
        events in prop::collection::vec(event(true), 0..6),
        hostile in prop::collection::vec(event(false), 0..6),
        zone in any::<bool>(),
    ) {
        let events = if well_formed { events } else { [events, hostile].concat() };
        let mut ics = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//p//EN\r\n");
        if zone {
            ics.push_str("BEGIN:VTIMEZONE\r\nTZID:Asia/Almaty\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\nTZOFFSETFROM:+0500\r\nTZOFFSETTO:+0500\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n");
        }
        for e in &events {
            ics.push_str(e);
            ics.push_str("\r\n");
        }
        ics.push_str("END:VCALENDAR\r\n");
        check_blocks(&ics)?;
    }
}
