//! Reads iCalendar text back with `calcard`, a parser written independently of
//! the `icalendar` crate that writes Kelisim's invitations and feeds, so a test
//! sees what a mail or calendar client would read rather than what the writer
//! meant.
//!
//! The parser is lenient and skips a line it cannot read (its strict mode
//! refuses every nested `BEGIN`), so [`Calendar::parse`] checks that every
//! content line came back as a property or as the `BEGIN` / `END` of a
//! component, and that nothing follows the calendar. Values come back
//! decoded (unfolded, unescaped, parameter quotes removed), and a DATE-TIME
//! is only a [`Value::Utc`] when it was written in UTC (`…Z`).
//!
//! Rule: a test checks iCalendar text through [`Calendar::parse`] (or, in the
//! unit tests under `src/`, through `calcard` directly), never with the crate
//! that wrote it.

use calcard::icalendar::{ICalendar, ICalendarComponentType, ICalendarEntry, ICalendarValue};
use calcard::{Entry, Parser};
use chrono::{DateTime, NaiveDate, Utc};

/// One calendar as the independent parser read it.
#[derive(Debug, Clone)]
pub struct Calendar {
    /// Every component in the order written, e.g. `["VCALENDAR", "VEVENT"]`.
    pub components: Vec<String>,
    /// The properties of the `VCALENDAR` itself (`METHOD`, `VERSION`, ...).
    pub properties: Vec<Property>,
    /// The `VEVENT`s, in the order written.
    pub events: Vec<Component>,
}

/// The properties of one component, in the order written.
#[derive(Debug, Clone)]
pub struct Component {
    pub properties: Vec<Property>,
}

/// One property: upper-case name, parameters as written (upper-case names,
/// decoded values, duplicates kept), and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Property {
    pub name: String,
    pub params: Vec<(String, String)>,
    pub value: Value,
}

/// A property value, decoded.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// TEXT (unescaped), URI, CAL-ADDRESS and enumerated values
    /// (`CONFIRMED`, `REQUEST`, ...).
    Text(String),
    Integer(i64),
    /// A DATE-TIME written in UTC (`…Z`).
    Utc(DateTime<Utc>),
    /// A DATE, or a DATE-TIME without `Z` (floating or with `TZID`), as the
    /// parser read it.
    Local(String),
    /// Anything else, or several values, in the parser's debug form.
    Other(String),
}

impl Calendar {
    /// Parses `ics`, which must hold exactly one `VCALENDAR` and nothing the
    /// parser cannot read.
    pub fn parse(ics: &str) -> Calendar {
        let mut parser = Parser::new(ics);
        let calendar = match parser.entry() {
            Entry::ICalendar(calendar) => calendar,
            other => panic!("calcard could not read the calendar ({other:?}):\n{ics}"),
        };
        match parser.entry() {
            Entry::Eof => {}
            other => panic!("something follows the calendar ({other:?}):\n{ics}"),
        }
        let read: usize = calendar
            .components
            .iter()
            .map(|c| c.entries.len() + 2)
            .sum();
        assert_eq!(
            read,
            content_lines(ics),
            "every content line was read as a property, BEGIN or END:\n{ics}"
        );
        Self::from_calcard(&calendar, ics)
    }

    fn from_calcard(calendar: &ICalendar, ics: &str) -> Calendar {
        let root = calendar
            .components
            .first()
            .unwrap_or_else(|| panic!("no component in:\n{ics}"));
        assert_eq!(
            root.component_type,
            ICalendarComponentType::VCalendar,
            "the outer component is a VCALENDAR:\n{ics}"
        );
        Calendar {
            components: calendar
                .components
                .iter()
                .map(|c| c.component_type.as_str().to_owned())
                .collect(),
            properties: root.entries.iter().map(Property::from_calcard).collect(),
            events: calendar
                .components
                .iter()
                .filter(|c| c.component_type == ICalendarComponentType::VEvent)
                .map(|c| Component {
                    properties: c.entries.iter().map(Property::from_calcard).collect(),
                })
                .collect(),
        }
    }

    /// The only value of a calendar property (`METHOD`, `VERSION`) as text.
    pub fn text(&self, name: &str) -> &str {
        only(&self.properties, name).text()
    }

    /// `METHOD`.
    pub fn method(&self) -> &str {
        self.text("METHOD")
    }

    /// The only `VEVENT`; fails the test if there are none or several.
    pub fn event(&self) -> &Component {
        assert_eq!(self.events.len(), 1, "exactly one VEVENT: {self:#?}");
        &self.events[0]
    }
}

impl Component {
    /// Every property called `name`.
    pub fn all(&self, name: &str) -> Vec<&Property> {
        self.properties.iter().filter(|p| p.name == name).collect()
    }

    /// The only property called `name`; fails the test if there are none or
    /// several.
    pub fn one(&self, name: &str) -> &Property {
        only(&self.properties, name)
    }

    /// Whether a property called `name` is there.
    pub fn has(&self, name: &str) -> bool {
        self.properties.iter().any(|p| p.name == name)
    }

    /// The text of the only property called `name`.
    pub fn text(&self, name: &str) -> &str {
        self.one(name).text()
    }

    /// The texts of every property called `name` (`ATTENDEE`), in order.
    pub fn texts(&self, name: &str) -> Vec<&str> {
        self.all(name).into_iter().map(Property::text).collect()
    }

    /// The integer of the only property called `name` (`SEQUENCE`).
    pub fn integer(&self, name: &str) -> i64 {
        match &self.one(name).value {
            Value::Integer(n) => *n,
            other => panic!("{name} is not an integer: {other:?}"),
        }
    }

    /// The instant of the only property called `name`; fails the test unless
    /// it was written in UTC.
    pub fn utc(&self, name: &str) -> DateTime<Utc> {
        match &self.one(name).value {
            Value::Utc(at) => *at,
            other => panic!("{name} is not a UTC date-time: {other:?}"),
        }
    }

    /// The property names, sorted (a repeated property appears as often as it
    /// was written).
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.properties.iter().map(|p| p.name.as_str()).collect();
        names.sort_unstable();
        names
    }
}

impl Property {
    fn from_calcard(entry: &ICalendarEntry) -> Property {
        Property {
            name: entry.name.as_str().to_ascii_uppercase(),
            params: entry
                .params
                .iter()
                .map(|p| {
                    let value = p
                        .value
                        .clone()
                        .into_text()
                        .map(|v| v.into_owned())
                        .unwrap_or_else(|| format!("{:?}", p.value));
                    (p.name.as_str().to_ascii_uppercase(), value)
                })
                .collect(),
            value: match entry.values.as_slice() {
                [one] => Value::from_calcard(one),
                several => Value::Other(format!("{several:?}")),
            },
        }
    }

    /// The value as text; fails the test for a number or a date.
    pub fn text(&self) -> &str {
        match &self.value {
            Value::Text(text) => text,
            other => panic!("{} is not text: {other:?}", self.name),
        }
    }

    /// The value of the only parameter `key`, if there is one; fails the
    /// test if it was written twice.
    pub fn param(&self, key: &str) -> Option<&str> {
        let found: Vec<&str> = self
            .params
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect();
        assert!(found.len() <= 1, "{key} written twice in {self:?}");
        found.first().copied()
    }

    /// The parameter names, in the order written.
    pub fn param_names(&self) -> Vec<&str> {
        self.params.iter().map(|(k, _)| k.as_str()).collect()
    }

    /// The parameters sorted by name, for comparing as a whole.
    pub fn sorted_params(&self) -> Vec<(&str, &str)> {
        let mut params: Vec<(&str, &str)> = self
            .params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        params.sort_unstable();
        params
    }
}

impl Value {
    fn from_calcard(value: &ICalendarValue) -> Value {
        match value {
            ICalendarValue::Integer(n) => Value::Integer(*n),
            ICalendarValue::PartialDateTime(at) => {
                let in_utc =
                    at.tz_hour == Some(0) && at.tz_minute.unwrap_or(0) == 0 && !at.tz_minus;
                let instant = NaiveDate::from_ymd_opt(
                    i32::from(at.year.unwrap_or(0)),
                    u32::from(at.month.unwrap_or(0)),
                    u32::from(at.day.unwrap_or(0)),
                )
                .zip(at.hour)
                .and_then(|(day, hour)| {
                    day.and_hms_opt(
                        u32::from(hour),
                        u32::from(at.minute.unwrap_or(0)),
                        u32::from(at.second.unwrap_or(0)),
                    )
                });
                match instant {
                    Some(instant) if in_utc => Value::Utc(instant.and_utc()),
                    _ => Value::Local(format!("{at:?}")),
                }
            }
            other => match other.as_text() {
                Some(text) => Value::Text(text.to_owned()),
                None => Value::Other(format!("{other:?}")),
            },
        }
    }
}

/// Content lines after unfolding (RFC 5545 3.1: a line break followed by a
/// space or a tab continues the line).
fn content_lines(ics: &str) -> usize {
    ics.replace("\r\n", "\n")
        .replace("\n ", "")
        .replace("\n\t", "")
        .lines()
        .filter(|l| !l.is_empty())
        .count()
}

fn only<'p>(properties: &'p [Property], name: &str) -> &'p Property {
    let found: Vec<&Property> = properties.iter().filter(|p| p.name == name).collect();
    assert_eq!(found.len(), 1, "exactly one {name} in {properties:#?}");
    found[0]
}
