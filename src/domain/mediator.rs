//! The mediator registry's vocabulary: kinds, statuses and specialties.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
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

        impl FromStr for $name {
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

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

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
