//! Kazakh individual and business identification numbers (IIN / BIN).
//!
//! Both are 12 digits whose last digit is a control digit computed from the
//! first eleven (the same algorithm for people and for organisations), so one
//! type covers both. Conflict-of-interest checks compare parties by this
//! number, which is why a mistyped one must be refused at the door rather
//! than silently never matching.
//!
//! Rule a newcomer must not break: an IIN identifies a person (it encodes the
//! birth date and sex), so it is never logged in full. `Display` and `Debug`
//! are masked on purpose; call [`IinBin::as_str`] only where the whole number
//! is really needed (storage, comparison, a document the party signs).

use std::fmt;

/// A 12-digit IIN or BIN whose control digit is correct.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IinBin(String);

/// Weights of the first pass of the control digit algorithm.
const FIRST_WEIGHTS: [u32; 11] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
/// Weights of the second pass, used only when the first pass gives 10
/// (10 cannot be written as one digit, so the standard re-weights once).
const SECOND_WEIGHTS: [u32; 11] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2];

impl IinBin {
    /// Parses an IIN or BIN typed by a person: surrounding spaces are
    /// ignored, everything else must be exactly 12 ASCII digits with a
    /// correct control digit.
    ///
    /// The error is a short phrase meant to follow the field name in a
    /// validation message ("iin must be exactly 12 digits").
    pub fn parse(raw: &str) -> Result<Self, String> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err("must not be empty".into());
        }
        // Checked before the length so that "12345678901A" says what is
        // wrong with it instead of "must be 12 digits".
        if !trimmed.bytes().all(|b| b.is_ascii_digit()) {
            return Err("must contain only the digits 0-9".into());
        }
        let digits: Vec<u32> = trimmed.bytes().map(|b| u32::from(b - b'0')).collect();
        if digits.len() != 12 {
            return Err(format!("must be exactly 12 digits, not {}", digits.len()));
        }
        let Some((last, body)) = digits.split_last() else {
            return Err("must not be empty".into());
        };
        match control_digit(body) {
            Some(expected) if expected == *last => Ok(Self(trimmed.to_owned())),
            // Same message whether the check is impossible (both passes give
            // 10) or merely different: either way the number was mistyped.
            _ => Err("is not a valid IIN/BIN: its control digit does not match".into()),
        }
    }

    /// The full 12 digits. Do not log this (see the module documentation).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A form safe for logs: `********0126` (only the last four digits).
    pub fn masked(&self) -> String {
        let tail = self.0.get(8..).unwrap_or("");
        format!("********{tail}")
    }
}

/// The control digit for the first eleven digits, or `None` when both passes
/// give 10 (such numbers are never issued, so they are invalid).
fn control_digit(body: &[u32]) -> Option<u32> {
    let weighted = |weights: &[u32; 11]| -> u32 {
        body.iter().zip(weights).map(|(d, w)| d * w).sum::<u32>() % 11
    };
    match weighted(&FIRST_WEIGHTS) {
        10 => match weighted(&SECOND_WEIGHTS) {
            10 => None,
            digit => Some(digit),
        },
        digit => Some(digit),
    }
}

impl fmt::Display for IinBin {
    /// Masked, so that a stray `{}` in a log line never leaks the number.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for IinBin {
    /// Masked too: `{:?}` of a struct holding an IIN ends up in logs and
    /// panic messages just as easily as `{}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("IinBin").field(&self.masked()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_whose_first_pass_gives_the_control_digit_is_accepted() {
        for raw in ["900101300126", "850712400320", "190401400013"] {
            let parsed = IinBin::parse(raw);
            assert_eq!(parsed.as_ref().map(IinBin::as_str), Ok(raw), "{raw}");
        }
    }

    #[test]
    fn a_number_that_needs_the_second_pass_is_accepted() {
        // For both, the first pass sums to 10 mod 11.
        for raw in ["000603500119", "981231450558", "900101300811"] {
            assert!(IinBin::parse(raw).is_ok(), "{raw}");
        }
    }

    #[test]
    fn surrounding_spaces_are_ignored() {
        let parsed = IinBin::parse("  900101300126 ").expect("valid IIN");
        assert_eq!(parsed.as_str(), "900101300126");
    }

    #[test]
    fn a_wrong_control_digit_is_refused() {
        let err = IinBin::parse("900101300127").expect_err("wrong control digit");
        assert!(err.contains("control digit"), "{err}");
    }

    #[test]
    fn a_single_mistyped_digit_is_refused() {
        // Swapping one digit in the body changes the weighted sum.
        assert!(IinBin::parse("900101310126").is_err());
    }

    #[test]
    fn a_number_whose_both_passes_give_ten_is_refused_whatever_its_last_digit() {
        for last in 0..=9 {
            let raw = format!("90010130080{last}");
            assert!(IinBin::parse(&raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn eleven_digits_are_refused() {
        let err = IinBin::parse("90010130012").expect_err("too short");
        assert!(err.contains("12 digits"), "{err}");
    }

    #[test]
    fn thirteen_digits_are_refused() {
        assert!(IinBin::parse("9001013001260").is_err());
    }

    #[test]
    fn letters_are_refused() {
        let err = IinBin::parse("90010130012A").expect_err("letter");
        assert!(err.contains("digits"), "{err}");
    }

    #[test]
    fn inner_spaces_and_non_ascii_digits_are_refused() {
        assert!(IinBin::parse("900101 300126").is_err());
        // Arabic-Indic digits are digits to Unicode but not to the registry.
        assert!(IinBin::parse("٩٠٠١٠١٣٠٠١٢٦").is_err());
    }

    #[test]
    fn an_empty_string_is_refused() {
        assert!(IinBin::parse("   ").is_err());
    }

    #[test]
    fn display_and_debug_never_show_the_whole_number() {
        let iin = IinBin::parse("900101300126").expect("valid IIN");
        assert_eq!(iin.to_string(), "********0126");
        assert!(!format!("{iin:?}").contains("900101"));
    }
}
