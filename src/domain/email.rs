//! Email addresses, and how to show them in logs without revealing them.

use std::fmt;

/// A syntactically valid email address, stored lower-case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let trimmed = raw.trim();
        if trimmed.len() > 254 {
            return Err("is longer than 254 characters".into());
        }
        if trimmed.chars().any(|c| c.is_control() || c == '"') {
            return Err("contains characters an email address cannot have".into());
        }
        if !email_address::EmailAddress::is_valid(trimmed) {
            return Err("is not a valid email address".into());
        }
        let (_, domain) = trimmed
            .rsplit_once('@')
            .ok_or("is not a valid email address")?;
        if !domain.contains('.') && domain != "localhost" {
            return Err("must have a domain such as example.kz".into());
        }
        Ok(Self(trimmed.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A form safe for logs: `a***@example.kz`.
    pub fn masked(&self) -> String {
        mask_email(&self.0)
    }
}

impl fmt::Display for EmailAddress {
    /// Displays masked, so that a stray `{}` in a log line never leaks the
    /// address. Use [`EmailAddress::as_str`] where the real address is needed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// Masks anything that may be an email address: keeps the first character of the
/// local part and the domain.
pub fn mask_email(raw: &str) -> String {
    match raw.rsplit_once('@') {
        Some((local, domain)) => {
            let first = local.chars().next().unwrap_or('*');
            format!("{first}***@{domain}")
        }
        None => "***".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_address_is_kept_lower_case() {
        let e = EmailAddress::parse("  Aigerim.S@Court.KZ ").expect("valid");
        assert_eq!(e.as_str(), "aigerim.s@court.kz");
    }

    #[test]
    fn invalid_addresses_are_refused() {
        for bad in [
            "",
            "plain",
            "a@",
            "@b.kz",
            "a b@c.kz",
            "a@b",
            "x\r\n@b.kz",
            "\"q\"@b.kz",
        ] {
            assert!(
                EmailAddress::parse(bad).is_err(),
                "{bad:?} should be refused"
            );
        }
    }

    #[test]
    fn display_never_shows_the_whole_address() {
        let e = EmailAddress::parse("aigerim@court.kz").expect("valid");
        assert_eq!(format!("{e}"), "a***@court.kz");
        assert_eq!(mask_email("not-an-address"), "***");
    }
}
