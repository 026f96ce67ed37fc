//! The mediator registry's vocabulary: kinds, statuses and specialties.

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
