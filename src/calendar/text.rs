//! Making user-supplied text safe to hand to the `icalendar` crate.
//!
//! The crate escapes `\`, `,`, `;` and `\n` in TEXT values and quotes
//! parameter values that contain `:`, `;` or `,`, but it writes carriage
//! returns, double quotes and (in parameter values) line feeds exactly as
//! given. A line break in a `CN=` value therefore ends the content line and
//! whatever follows becomes a property of its own: a party named
//! `"Eve\r\nATTENDEE:mailto:x@y"` would add herself to someone else's
//! invitation.
//!
//! Rule: every string that came from a user (names, case numbers, room
//! names, addresses, descriptions) goes through [`param_value`] before it
//! becomes a parameter value and through [`text_value`] before it becomes a
//! TEXT property value. Values the service generates itself (UUIDs, formatted
//! times) need neither.

/// Cleans a string for use as a parameter value (`CN=`, `DIR=`, ...).
///
/// Removes double quotes and every control character; line breaks and tabs
/// become a single space so words do not run together. The crate then quotes
/// the result if it holds `:`, `;` or `,`. RFC 6868 `^n`/`^'` escaping
/// would keep the characters, but few clients decode it, and a display name
/// loses nothing important without them.
pub fn param_value(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for c in input.chars() {
        if c == '"' {
            continue;
        }
        if c.is_control() {
            // Whitespace controls separate words; the rest carry nothing.
            if c.is_whitespace() && !out.ends_with(' ') {
                out.push(' ');
            }
            continue;
        }
        out.push(c);
    }
    out.trim().to_owned()
}

/// Cleans a string for use as a TEXT property value (SUMMARY, LOCATION,
/// DESCRIPTION, X-WR-CALNAME, ...).
///
/// Keeps `\n`, which the crate escapes as `\n`. A `\r\n` pair becomes `\n`
/// and a lone `\r` (old Mac line ends) becomes `\n` too, so no carriage
/// return ever reaches the output; a tab becomes a space; every other
/// control character is dropped.
pub fn text_value(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut chars = input.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push('\n');
                }
            }
            '\n' => out.push('\n'),
            '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use icalendar::{Attendee, Calendar, Component, Event, EventLike};

    const HOSTILE_NAME: &str = "Eve\r\nATTENDEE:mailto:x@y";

    fn event_with_attendee_named(cn: String) -> String {
        let now = chrono::DateTime::UNIX_EPOCH;
        let event = Event::new()
            .uid("session-1")
            .timestamp(now)
            .starts(now)
            .ends(now)
            .attendee(Attendee::new("mailto:eve@example.com".to_owned()).cn(cn))
            .done();
        let mut calendar = Calendar::new();
        calendar.push(event);
        calendar.to_string()
    }

    /// Content lines named ATTENDEE, found the way RFC 5545 (3.1) and
    /// line-based readers such as Outlook or Python's `icalendar` find them:
    /// unfold, then split at CRLF. The crate's own parser is no witness here,
    /// as it reads a quoted parameter value across a line break.
    fn attendee_lines(ics: &str) -> usize {
        icalendar::parser::unfold(ics)
            .split("\r\n")
            .filter(|line| {
                let name_end = line.find([';', ':']).unwrap_or(line.len());
                line[..name_end].eq_ignore_ascii_case("ATTENDEE")
            })
            .count()
    }

    fn parsed_attendee_names(ics: &str) -> Vec<String> {
        let unfolded = icalendar::parser::unfold(ics);
        let parsed = icalendar::parser::read_calendar(&unfolded).expect("output parses");
        parsed
            .components
            .iter()
            .flat_map(|c| c.properties.iter())
            .filter(|p| p.name.as_str() == "ATTENDEE")
            .flat_map(|p| p.params.iter())
            .filter(|p| p.key.as_str() == "CN")
            .filter_map(|p| p.val.as_ref().map(|v| v.as_str().to_owned()))
            .collect()
    }

    #[test]
    fn a_raw_newline_in_cn_injects_a_property_which_is_why_this_module_exists() {
        let ics = event_with_attendee_named(HOSTILE_NAME.to_owned());

        assert_eq!(attendee_lines(&ics), 2, "{ics}");
    }

    #[test]
    fn a_name_cleaned_by_param_value_cannot_add_an_attendee() {
        let ics = event_with_attendee_named(param_value(HOSTILE_NAME));

        assert_eq!(attendee_lines(&ics), 1, "{ics}");
        assert_eq!(parsed_attendee_names(&ics), vec!["Eve ATTENDEE:mailto:x@y"]);
    }

    #[test]
    fn param_value_removes_quotes_and_control_characters() {
        assert_eq!(param_value("\"Doe\", John\u{7}\tJr"), "Doe, John Jr");
        assert_eq!(param_value("Айгерім\u{85}Сейітова"), "Айгерім Сейітова");
        assert_eq!(param_value("  \r\n"), "");
    }

    #[test]
    fn a_summary_cleaned_by_text_value_cannot_add_an_attendee_or_a_bare_cr() {
        let now = chrono::DateTime::UNIX_EPOCH;
        let event = Event::new()
            .uid("session-1")
            .timestamp(now)
            .starts(now)
            .ends(now)
            .summary(&text_value(HOSTILE_NAME))
            .description(&text_value("line 1\rline 2\u{0}\u{1b}[31m"))
            .done();
        let mut calendar = Calendar::new();
        calendar.push(event);
        let ics = calendar.to_string();

        assert_eq!(attendee_lines(&ics), 0, "{ics}");
        assert_eq!(ics.matches('\r').count(), ics.matches("\r\n").count());
        assert!(
            ics.contains("SUMMARY:Eve\\nATTENDEE:mailto:x@y\r\n"),
            "{ics}"
        );
        assert!(ics.contains("DESCRIPTION:line 1\\nline 2[31m\r\n"), "{ics}");
    }

    #[test]
    fn text_value_keeps_newlines_and_turns_carriage_returns_into_them() {
        assert_eq!(text_value("a\r\nb\rc\nd\te"), "a\nb\nc\nd e");
        assert_eq!(
            text_value("Сессия; дело 2-1234/2026"),
            "Сессия; дело 2-1234/2026"
        );
    }
}
