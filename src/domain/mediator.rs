//! The mediator registry's vocabulary (kinds, statuses and specialties),
//! who may see or manage a mediator, and the limits of their entries.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::primitives::Role;

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize, ::utoipa::ToSchema)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// The value written exactly as `raw` (no trimming), for request
            /// fields whose own message names the choices.
            pub fn exactly(raw: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == raw)
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s.trim() {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!(
                        "unknown {} {:?}; expected one of: {}",
                        $what,
                        other,
                        [$($text),+].join(", ")
                    )),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// Also used for the vocabulary of cases (`domain::case`).
pub(crate) use string_enum;

string_enum!(
    /// Professional mediators are paid and certified by training; public
    /// mediators serve without pay under a community council.
    MediatorKind, "kind" {
        Professional => "professional",
        Public => "public",
    }
);

string_enum!(
    /// Only `active` mediators may be proposed for a case.
    MediatorStatus, "status" {
        Active => "active",
        Suspended => "suspended",
        Retired => "retired",
    }
);

string_enum!(
    /// Case categories a mediator may take, plus the safeguarding trainings
    /// (`juvenile` for cases with minors, `domestic_violence` where violence was
    /// reported).
    Specialty, "specialty" {
        Civil => "civil",
        Family => "family",
        Labour => "labour",
        Commercial => "commercial",
        Administrative => "administrative",
        CriminalMinor => "criminal-minor",
        Juvenile => "juvenile",
        DomesticViolence => "domestic_violence",
    }
);

/// How far someone may go with a mediator's registry entry and calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Read the registry entry (clerks of a court the mediator serves).
    Read,
    /// Also manage availability, time off, conflicts and the feed (the
    /// mediator themself, admins).
    Manage,
}

impl Access {
    /// The access of a user of `role` (login `user_id`, working for
    /// `court_id`) to the mediator whose login is `mediator_login` and who
    /// serves `courts`: admins manage every mediator, a mediator manages
    /// only themself, clerks read the mediators of their court. `None`:
    /// they may not even see it (reported as not found).
    pub fn of(
        role: Role,
        user_id: Uuid,
        court_id: Option<Uuid>,
        mediator_login: Option<Uuid>,
        courts: &[Uuid],
    ) -> Option<Access> {
        match role {
            Role::Admin => Some(Access::Manage),
            Role::Mediator if mediator_login == Some(user_id) => Some(Access::Manage),
            Role::Clerk if court_id.is_some_and(|c| courts.contains(&c)) => Some(Access::Read),
            _ => None,
        }
    }

    /// The access to each mediator of a list, whose query already keeps to
    /// what the caller may see: a clerk reads, an admin or the mediator
    /// themself manages.
    pub fn in_list(role: Role) -> Access {
        if role == Role::Clerk {
            Access::Read
        } else {
            Access::Manage
        }
    }
}

/// The longest time off at once.
pub const LONGEST_TIME_OFF: Duration = Duration::days(366);

/// A span of time off: it ends after it starts and lasts at most
/// [`LONGEST_TIME_OFF`]. The error is about the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeOffSpan {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

impl TimeOffSpan {
    pub fn new(starts_at: DateTime<Utc>, ends_at: DateTime<Utc>) -> Result<Self, String> {
        if ends_at <= starts_at {
            return Err("must be after starts_at".into());
        }
        if ends_at - starts_at > LONGEST_TIME_OFF {
            return Err("time off may last at most a year".into());
        }
        Ok(Self { starts_at, ends_at })
    }
}

/// Most cases a mediator may carry at once.
pub const MAX_ACTIVE_CASES_LIMIT: i32 = 200;

/// A registry number: letters, digits, dashes, dots and slashes.
pub fn parse_registry_number(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    if s.is_empty() || s.len() > 40 {
        return Err("must be 1 to 40 characters long".into());
    }
    if !s.chars().all(|c| c.is_alphanumeric() || "-./".contains(c)) {
        return Err("may contain only letters, digits, dashes, dots and slashes".into());
    }
    Ok(s.to_owned())
}

/// The maximum number of active cases: 1 to [`MAX_ACTIVE_CASES_LIMIT`].
pub fn parse_max_active_cases(n: i32) -> Result<i32, String> {
    if (1..=MAX_ACTIVE_CASES_LIMIT).contains(&n) {
        Ok(n)
    } else {
        Err(format!("must be between 1 and {MAX_ACTIVE_CASES_LIMIT}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admins_manage_mediators_manage_themselves_and_clerks_read_their_courts() {
        let (me, court, other) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let courts = [court];
        assert_eq!(
            Access::of(Role::Admin, me, None, None, &[]),
            Some(Access::Manage)
        );
        assert_eq!(
            Access::of(Role::Mediator, me, None, Some(me), &courts),
            Some(Access::Manage)
        );
        assert_eq!(
            Access::of(Role::Mediator, me, None, Some(other), &courts),
            None
        );
        assert_eq!(
            Access::of(Role::Clerk, me, Some(court), Some(other), &courts),
            Some(Access::Read)
        );
        assert_eq!(
            Access::of(Role::Clerk, me, Some(other), None, &courts),
            None
        );
        assert_eq!(Access::in_list(Role::Clerk), Access::Read);
        assert_eq!(Access::in_list(Role::Mediator), Access::Manage);
    }

    #[test]
    fn time_off_ends_after_it_starts_and_lasts_at_most_a_year() {
        let start = DateTime::<Utc>::UNIX_EPOCH;
        assert!(TimeOffSpan::new(start, start + Duration::days(366)).is_ok());
        assert!(TimeOffSpan::new(start, start).is_err());
        assert!(TimeOffSpan::new(start, start - Duration::hours(1)).is_err());
        assert!(TimeOffSpan::new(start, start + Duration::days(367)).is_err());
    }

    #[test]
    fn specialties_round_trip_through_their_names() {
        for s in Specialty::ALL {
            assert_eq!(s.as_str().parse::<Specialty>(), Ok(*s));
        }
        assert!("plumbing".parse::<Specialty>().is_err());
        assert_eq!(
            "criminal-minor".parse::<Specialty>(),
            Ok(Specialty::CriminalMinor)
        );
    }
}
