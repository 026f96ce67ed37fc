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
    fn names_are_trimmed_and_single_line() {
        assert_eq!(parse_name("  Room 1 ", 10).as_deref(), Ok("Room 1"));
        assert!(parse_name("a\nb", 10).is_err());
        assert!(parse_name("   ", 10).is_err());
        assert!(parse_name("abcdefghijk", 10).is_err());
    }
}
