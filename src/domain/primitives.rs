//! Small value types shared by every part of the domain.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A language Kelisim speaks: Kazakh, Russian or English.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    Kk,
    Ru,
    En,
}

impl Language {
    pub const ALL: [Language; 3] = [Language::Kk, Language::Ru, Language::En];

    /// The language of what a person reads when theirs is not known (no
    /// login, or a stored value that no longer reads): Russian, which every
    /// court in Kazakhstan reads. The one place this choice is made.
    pub const FALLBACK: Language = Language::Ru;

    /// A stored language, or [`Language::FALLBACK`].
    pub fn stored(raw: &str) -> Language {
        raw.parse().unwrap_or(Self::FALLBACK)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Language::Kk => "kk",
            Language::Ru => "ru",
            Language::En => "en",
        }
    }
}

impl FromStr for Language {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "kk" => Ok(Language::Kk),
            "ru" => Ok(Language::Ru),
            "en" => Ok(Language::En),
            other => Err(format!("unknown language {other:?}; expected kk, ru or en")),
        }
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a user account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Clerk,
    Mediator,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Clerk => "clerk",
            Role::Mediator => "mediator",
        }
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "admin" => Ok(Role::Admin),
            "clerk" => Ok(Role::Clerk),
            "mediator" => Ok(Role::Mediator),
            other => Err(format!(
                "unknown role {other:?}; expected admin, clerk or mediator"
            )),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An IANA time zone name known to the bundled tz database (2024a or newer, so
/// that `Asia/Almaty` is UTC+5 from 1 March 2024).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZoneName(chrono_tz::Tz);

impl TimeZoneName {
    /// The zone of a stored row whose own zone no longer reads: Kazakhstan's
    /// (UTC+5). The one place this choice is made.
    pub const FALLBACK: chrono_tz::Tz = chrono_tz::Asia::Almaty;

    /// A stored zone, or [`TimeZoneName::FALLBACK`].
    pub fn stored(raw: &str) -> chrono_tz::Tz {
        Self::parse(raw).map_or(Self::FALLBACK, Self::tz)
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        raw.parse::<chrono_tz::Tz>()
            .map(Self)
            .map_err(|_| format!("{raw:?} is not an IANA time zone name such as Asia/Almaty"))
    }

    pub fn tz(self) -> chrono_tz::Tz {
        self.0
    }

    pub fn name(self) -> &'static str {
        self.0.name()
    }
}

/// A court's short code, e.g. `ALM-SMAS-2`: letters, digits and dashes, stored
/// upper-case so that codes are unique regardless of case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourtCode(String);

impl CourtCode {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let s = raw.trim();
        if s.is_empty() || s.len() > 32 {
            return Err("must be 1 to 32 characters long".into());
        }
        if !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err("may contain only Latin letters, digits and dashes".into());
        }
        Ok(Self(s.to_ascii_uppercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A required human-readable name: trimmed, not empty, no control characters,
/// at most `max` characters.
pub fn parse_name(raw: &str, max: usize) -> Result<String, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Err("must not be empty".into());
    }
    if s.chars().count() > max {
        return Err(format!("must be at most {max} characters long"));
    }
    if s.chars().any(char::is_control) {
        return Err("must not contain control characters or line breaks".into());
    }
    Ok(s.to_owned())
}

/// Free text a person typed (a summary, accessibility needs): trimmed, at
/// most a given number of characters, line breaks and tabs allowed but no
/// other control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreeText(String);

impl FreeText {
    pub fn parse(raw: &str, max: usize) -> Result<Self, String> {
        let s = raw.trim();
        if s.chars().count() > max {
            return Err(format!("must be at most {max} characters long"));
        }
        if s.chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
        {
            return Err("must not contain control characters".into());
        }
        Ok(Self(s.to_owned()))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Why someone did something (withdrew a case, cancelled a session,
/// declined a proposal): free text of 1 to [`Reason::MAX`] characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason(String);

impl Reason {
    pub const MAX: usize = 2000;

    pub fn parse(raw: &str) -> Result<Self, String> {
        let text = FreeText::parse(raw, Self::MAX)?;
        if text.is_empty() {
            return Err("must not be empty".into());
        }
        Ok(Self(text.into_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A phone number as people write it: 5 to 15 digits, with `+`, `-`,
/// brackets and spaces allowed between them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let s = raw.trim();
        let digits = s.chars().filter(char::is_ascii_digit).count();
        if !(5..=15).contains(&digits)
            || !s.chars().all(|c| c.is_ascii_digit() || "+-() ".contains(c))
        {
            return Err("must be a phone number of 5 to 15 digits, e.g. +7 701 123 4567".into());
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn almaty_is_utc_plus_five_since_march_2024() {
        let tz = TimeZoneName::parse("Asia/Almaty").expect("known zone").tz();
        let summer_2025 = tz
            .with_ymd_and_hms(2025, 6, 2, 9, 0, 0)
            .single()
            .expect("exists");
        assert_eq!(
            summer_2025.with_timezone(&Utc),
            Utc.with_ymd_and_hms(2025, 6, 2, 4, 0, 0)
                .single()
                .expect("exists")
        );
        let feb_2024 = tz
            .with_ymd_and_hms(2024, 2, 5, 9, 0, 0)
            .single()
            .expect("exists");
        assert_eq!(
            feb_2024.with_timezone(&Utc),
            Utc.with_ymd_and_hms(2024, 2, 5, 3, 0, 0)
                .single()
                .expect("exists")
        );
    }

    #[test]
    fn unknown_zones_and_languages_are_refused() {
        assert!(TimeZoneName::parse("Asia/Nowhere").is_err());
        assert!(TimeZoneName::parse("UTC+5").is_err());
        assert!("de".parse::<Language>().is_err());
        assert_eq!("kk".parse::<Language>(), Ok(Language::Kk));
    }

    #[test]
    fn court_codes_are_upper_case_and_plain() {
        assert_eq!(
            CourtCode::parse(" alm-1 ").expect("valid").as_str(),
            "ALM-1"
        );
        assert!(CourtCode::parse("ALM 1").is_err());
        assert!(CourtCode::parse("").is_err());
    }

    #[test]
    fn free_text_keeps_line_breaks_but_no_other_control_characters() {
        assert_eq!(
            FreeText::parse(" a\nb\tc ", 10).map(FreeText::into_string),
            Ok("a\nb\tc".to_owned())
        );
        assert!(FreeText::parse("a\u{7}b", 10).is_err());
        assert!(FreeText::parse("abcdefghijk", 10).is_err());
        assert!(FreeText::parse("   ", 10).is_ok_and(|t| t.is_empty()));
    }

    #[test]
    fn a_reason_is_free_text_that_says_something() {
        assert_eq!(
            Reason::parse(" The mediator is ill ").map(|r| r.as_str().to_owned()),
            Ok("The mediator is ill".to_owned())
        );
        assert!(Reason::parse("  ").is_err());
        assert!(Reason::parse(&"x".repeat(2001)).is_err());
        assert!(Reason::parse(&"x".repeat(2000)).is_ok());
        assert!(Reason::parse("a\u{0}b").is_err());
    }

    #[test]
    fn phones_have_5_to_15_digits_and_only_phone_punctuation() {
        assert_eq!(
            Phone::parse(" +7 (701) 123-45-67 ").map(|p| p.as_str().to_owned()),
            Ok("+7 (701) 123-45-67".to_owned())
        );
        assert!(Phone::parse("1234").is_err());
        assert!(Phone::parse("1234567890123456").is_err());
        assert!(Phone::parse("+7 701 CALL ME").is_err());
    }

    #[test]
    fn names_are_trimmed_and_single_line() {
        assert_eq!(parse_name("  Room 1 ", 10).as_deref(), Ok("Room 1"));
        assert!(parse_name("a\nb", 10).is_err());
        assert!(parse_name("   ", 10).is_err());
        assert!(parse_name("abcdefghijk", 10).is_err());
    }
}
