//! Where a mediator's calendar may be fetched from: the rule that keeps the
//! external-calendar URL from reaching the service's own network.
//!
//! By default only `https` on port 443 of a public address may be fetched.
//! An installation may allow more [`Origin`]s (a court's own calendar server
//! at `http://10.0.0.5:8080`, say), which may then be on any address. This
//! module is pure; [`super::fetch`] applies it to the URL asked for, to every
//! redirect, and to every address a name resolves to, right before
//! connecting to that very address.
//!
//! Rules a newcomer must not break:
//! - An address is refused unless it is plainly public: loopback, private,
//!   link-local, shared (CGNAT), unique-local, multicast, unspecified,
//!   broadcast, documentation, benchmarking and reserved ranges are refused,
//!   and so are the IPv6 forms that carry an IPv4 address (mapped,
//!   compatible, NAT64, 6to4) when the address they carry is refused.
//! - A host named in an allowed origin is trusted on that origin only (its
//!   scheme and port), never on another port of the same host.
//! - What is refused is said in [`Refused`] for the log only; the person who
//!   gave the URL gets one message for every failure (see `fetch`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use url::{Host, Url};

/// Why a URL, a redirect or an address may not be fetched. For the log at
/// debug level; it names hosts and addresses, never paths or queries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("not an http(s) URL with a host")]
    NotAUrl,
    #[error("{origin}: only https on port 443 is allowed, or an allowed origin")]
    SchemeOrPort { origin: String },
    #[error("{origin}: this host is allowed only on its listed origins")]
    HostOnOtherOrigin { origin: String },
    #[error("{host}: {address} is a {range} address")]
    Address {
        host: String,
        address: IpAddr,
        range: &'static str,
    },
    #[error("{host}: the name resolves to no address")]
    NoAddress { host: String },
    #[error("more than {limit} redirects")]
    TooManyRedirects { limit: usize },
}

/// `scheme://host:port` of an allowed calendar server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    scheme: String,
    host: Host<String>,
    port: u16,
}

impl Origin {
    /// Reads `https://calendar.court.kz:8443` or `http://10.0.0.5:8080`: an
    /// http or https URL with a host and nothing after it but `/`.
    pub fn parse(text: &str) -> Result<Origin, String> {
        let url = Url::parse(text.trim()).map_err(|e| format!("{text:?} is not a URL: {e}"))?;
        let bare = url.username().is_empty()
            && url.password().is_none()
            && url.path() == "/"
            && url.query().is_none()
            && url.fragment().is_none();
        if !bare {
            return Err(format!(
                "{text:?} must be an origin only (scheme://host:port), without user, path or query"
            ));
        }
        Origin::of(&url).ok_or_else(|| format!("{text:?} must be an http or https origin"))
    }

    /// The origin of an http(s) URL with a host.
    fn of(url: &Url) -> Option<Origin> {
        let scheme = url.scheme();
        if scheme != "http" && scheme != "https" {
            return None;
        }
        Some(Origin {
            scheme: scheme.to_owned(),
            host: url.host()?.to_owned(),
            port: url.port_or_known_default()?,
        })
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
    }
}

/// The origin of `url` for a log line: no user, password, path or query.
pub fn origin_for_log(url: &Url) -> String {
    Origin::of(url).map_or_else(|| format!("{}:…", url.scheme()), |o| o.to_string())
}

/// The destinations allowed to calendar fetches.
#[derive(Debug, Clone, Default)]
pub struct Destinations {
    allowed: Vec<Origin>,
}

impl Destinations {
    pub fn new(allowed: Vec<Origin>) -> Self {
        Destinations { allowed }
    }

    /// From the `external_calendar_allowed_origins` setting.
    pub fn from_setting(origins: &[String]) -> Result<Self, String> {
        origins
            .iter()
            .map(|o| Origin::parse(o))
            .collect::<Result<Vec<_>, _>>()
            .map(Destinations::new)
    }

    /// Whether `url` (the one asked for, or a redirect) may be requested.
    /// A host given by name is checked again, address by address, by
    /// [`Destinations::check_resolved`] when it is resolved.
    pub fn check_url(&self, url: &Url) -> Result<(), Refused> {
        let origin = Origin::of(url).ok_or(Refused::NotAUrl)?;
        if self.allowed.contains(&origin) {
            return Ok(());
        }
        if self.allowed.iter().any(|o| o.host == origin.host) {
            return Err(Refused::HostOnOtherOrigin {
                origin: origin.to_string(),
            });
        }
        if origin.scheme != "https" || origin.port != 443 {
            return Err(Refused::SchemeOrPort {
                origin: origin.to_string(),
            });
        }
        let address = match origin.host {
            Host::Ipv4(v4) => IpAddr::V4(v4),
            Host::Ipv6(v6) => IpAddr::V6(v6),
            Host::Domain(_) => return Ok(()),
        };
        match refused_range(address) {
            Some(range) => Err(Refused::Address {
                host: origin.host.to_string(),
                address,
                range,
            }),
            None => Ok(()),
        }
    }

    /// The addresses `host` resolved to, if every one of them may be
    /// connected to. One refused address refuses the name: a name that
    /// points both outside and inside is not a calendar server, and
    /// connecting to the good ones only would still let it probe which
    /// answer. A host of an allowed origin may be anywhere.
    pub fn check_resolved(
        &self,
        host: &str,
        addresses: Vec<SocketAddr>,
    ) -> Result<Vec<SocketAddr>, Refused> {
        if addresses.is_empty() {
            return Err(Refused::NoAddress {
                host: host.to_owned(),
            });
        }
        let trusted = self
            .allowed
            .iter()
            .any(|o| matches!(&o.host, Host::Domain(d) if d == host));
        if !trusted {
            for address in &addresses {
                if let Some(range) = refused_range(address.ip()) {
                    return Err(Refused::Address {
                        host: host.to_owned(),
                        address: address.ip(),
                        range,
                    });
                }
            }
        }
        Ok(addresses)
    }
}

/// The IPv4 ranges that are not public, from IANA's special-purpose
/// address registry: (network, prefix length, name).
const V4_REFUSED: &[(Ipv4Addr, u8, &str)] = &[
    (
        Ipv4Addr::new(0, 0, 0, 0),
        8,
        "\"this network\" or unspecified",
    ),
    (Ipv4Addr::new(10, 0, 0, 0), 8, "private"),
    (Ipv4Addr::new(100, 64, 0, 0), 10, "shared (CGNAT)"),
    (Ipv4Addr::new(127, 0, 0, 0), 8, "loopback"),
    (Ipv4Addr::new(169, 254, 0, 0), 16, "link-local"),
    (Ipv4Addr::new(172, 16, 0, 0), 12, "private"),
    (Ipv4Addr::new(192, 0, 0, 0), 24, "protocol assignment"),
    (Ipv4Addr::new(192, 0, 2, 0), 24, "documentation"),
    (Ipv4Addr::new(192, 88, 99, 0), 24, "6to4 relay"),
    (Ipv4Addr::new(192, 168, 0, 0), 16, "private"),
    (Ipv4Addr::new(198, 18, 0, 0), 15, "benchmarking"),
    (Ipv4Addr::new(198, 51, 100, 0), 24, "documentation"),
    (Ipv4Addr::new(203, 0, 113, 0), 24, "documentation"),
    (Ipv4Addr::new(224, 0, 0, 0), 4, "multicast"),
    (Ipv4Addr::new(240, 0, 0, 0), 4, "reserved or broadcast"),
];

/// The IPv6 ranges that are not public, inside or beside global unicast
/// (2000::/3, outside which everything is refused).
const V6_REFUSED: &[(Ipv6Addr, u8, &str)] = &[
    (
        Ipv6Addr::new(0x64, 0xff9b, 1, 0, 0, 0, 0, 0),
        48,
        "local NAT64",
    ),
    (
        Ipv6Addr::new(0x100, 0, 0, 0, 0, 0, 0, 0),
        64,
        "discard-only",
    ),
    (
        Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0),
        23,
        "protocol assignment",
    ),
    (
        Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0),
        32,
        "documentation",
    ),
    (
        Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0),
        20,
        "documentation",
    ),
    (
        Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0),
        7,
        "unique-local",
    ),
    (Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0), 10, "link-local"),
    (Ipv6Addr::new(0xfec0, 0, 0, 0, 0, 0, 0, 0), 10, "site-local"),
    (Ipv6Addr::new(0xff00, 0, 0, 0, 0, 0, 0, 0), 8, "multicast"),
];

fn in_v4(address: Ipv4Addr, network: Ipv4Addr, prefix: u8) -> bool {
    let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
    u32::from(address) & mask == u32::from(network) & mask
}

fn in_v6(address: Ipv6Addr, network: Ipv6Addr, prefix: u8) -> bool {
    let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
    u128::from(address) & mask == u128::from(network) & mask
}

/// The name of the non-public range `address` is in, or `None` for a
/// public address.
pub fn refused_range(address: IpAddr) -> Option<&'static str> {
    match address {
        IpAddr::V4(v4) => V4_REFUSED
            .iter()
            .find(|&&(network, prefix, _)| in_v4(v4, network, prefix))
            .map(|&(_, _, name)| name),
        IpAddr::V6(v6) => refused_v6(v6),
    }
}

fn refused_v6(v6: Ipv6Addr) -> Option<&'static str> {
    let bits = u128::from(v6);
    if v6.is_unspecified() {
        return Some("unspecified");
    }
    if v6.is_loopback() {
        return Some("loopback");
    }
    // Forms that carry an IPv4 address reach that address: judge it.
    if let Some(v4) = v6.to_ipv4_mapped() {
        return refused_range(IpAddr::V4(v4));
    }
    if in_v6(v6, Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0), 96) {
        return refused_range(IpAddr::V4(Ipv4Addr::from(bits as u32)));
    }
    if in_v6(v6, Ipv6Addr::new(0x2002, 0, 0, 0, 0, 0, 0, 0), 16) {
        return refused_range(IpAddr::V4(Ipv4Addr::from((bits >> 80) as u32)));
    }
    // IPv4-compatible (::a.b.c.d) is deprecated and never a real server.
    if in_v6(v6, Ipv6Addr::UNSPECIFIED, 96) {
        return Some("IPv4-compatible");
    }
    if let Some(&(_, _, name)) = V6_REFUSED
        .iter()
        .find(|&&(network, prefix, _)| in_v6(v6, network, prefix))
    {
        return Some(name);
    }
    if !in_v6(v6, Ipv6Addr::new(0x2000, 0, 0, 0, 0, 0, 0, 0), 3) {
        return Some("reserved");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).expect("test URL")
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("test address")
    }

    #[test]
    fn every_non_public_range_is_refused_in_every_form() {
        for address in [
            "0.0.0.0",
            "0.1.2.3",
            "127.0.0.1",
            "127.255.255.254",
            "10.0.0.1",
            "10.255.255.255",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.0.1",
            "192.168.255.255",
            "100.64.0.1",
            "100.127.255.255",
            "169.254.169.254",
            "192.0.0.8",
            "192.0.2.1",
            "198.18.0.1",
            "198.19.255.255",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:10.1.2.3",
            "::ffff:169.254.169.254",
            "::ffff:0.0.0.0",
            "::127.0.0.1",
            "::8.8.8.8",
            "64:ff9b::a00:1",
            "64:ff9b::7f00:1",
            "64:ff9b:1::1",
            "2002:7f00:1::1",
            "2002:a9fe:a9fe::1",
            "100::1",
            "2001::1",
            "2001:2::1",
            "2001:db8::1",
            "3fff::1",
            "fc00::1",
            "fd12:3456:789a::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "4000::1",
            "5f00::1",
        ] {
            assert!(
                refused_range(ip(address)).is_some(),
                "{address} must be refused"
            );
        }
    }

    #[test]
    fn public_addresses_in_every_form_are_allowed() {
        for address in [
            "8.8.8.8",
            "1.1.1.1",
            "95.56.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "172.15.255.255",
            "172.32.0.1",
            "169.253.0.1",
            "198.17.255.255",
            "198.20.0.1",
            "223.255.255.255",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
            "2a00:1450:4001:80b::200e",
            "2606:4700::6810:84e5",
        ] {
            assert_eq!(refused_range(ip(address)), None, "{address}");
        }
    }

    #[test]
    fn by_default_only_https_on_port_443_of_a_public_host_is_allowed() {
        let none = Destinations::default();

        for good in [
            "https://calendar.google.com/calendar/ical/x/basic.ics",
            "https://outlook.office365.com:443/owa/calendar.ics",
            "https://8.8.8.8/cal.ics",
            "https://user:secret@calendar.example.org/cal.ics",
        ] {
            assert_eq!(none.check_url(&url(good)), Ok(()), "{good}");
        }
        for bad in [
            "http://calendar.example.org/cal.ics",
            "https://calendar.example.org:8443/cal.ics",
            "https://calendar.example.org:22/",
            "ftp://calendar.example.org/cal.ics",
            "file:///etc/passwd",
            "https://127.0.0.1/cal.ics",
            "https://[::1]/cal.ics",
            "https://[::ffff:127.0.0.1]/cal.ics",
            "https://169.254.169.254/latest/meta-data/",
            "https://10.1.2.3/",
            "https://172.16.5.4/",
            "https://192.168.1.1/",
            "https://100.64.0.1/",
            "https://[fc00::1]/",
            "https://2130706433/",
            "https://0x7f.1/",
        ] {
            assert!(none.check_url(&url(bad)).is_err(), "{bad} must be refused");
        }
    }

    #[test]
    fn an_allowed_origin_may_be_internal_but_only_on_its_own_scheme_and_port() {
        let court = Destinations::from_setting(&[
            "https://calendar.court.kz:8443".to_owned(),
            "http://10.0.0.5:8080/".to_owned(),
        ])
        .expect("origins");

        assert_eq!(
            court.check_url(&url("https://calendar.court.kz:8443/c.ics")),
            Ok(())
        );
        assert_eq!(
            court.check_url(&url("http://10.0.0.5:8080/c.ics?k=1")),
            Ok(())
        );
        for bad in [
            "https://calendar.court.kz/c.ics",
            "http://calendar.court.kz:8443/c.ics",
            "https://calendar.court.kz:22/",
            "http://10.0.0.5:22/",
            "https://10.0.0.5/",
            "http://10.0.0.6:8080/",
        ] {
            assert!(court.check_url(&url(bad)).is_err(), "{bad} must be refused");
        }
    }

    #[test]
    fn a_resolved_name_is_refused_if_any_of_its_addresses_is_not_public() {
        let court = Destinations::from_setting(&["https://calendar.court.kz:8443".to_owned()])
            .expect("origins");
        let at = |a: &str| SocketAddr::new(ip(a), 443);

        assert_eq!(
            court.check_resolved("example.org", vec![at("93.184.215.14"), at("2606:2800::1")]),
            Ok(vec![at("93.184.215.14"), at("2606:2800::1")])
        );
        assert!(matches!(
            court.check_resolved("rebind.example", vec![at("93.184.215.14"), at("127.0.0.1")]),
            Err(Refused::Address {
                range: "loopback",
                ..
            })
        ));
        assert!(
            court
                .check_resolved("localhost", vec![at("::1"), at("127.0.0.1")])
                .is_err()
        );
        assert!(court.check_resolved("empty.example", vec![]).is_err());
        // The court's own server resolves inside its network, as allowed.
        assert_eq!(
            court.check_resolved("calendar.court.kz", vec![at("10.0.0.7")]),
            Ok(vec![at("10.0.0.7")])
        );
    }

    #[test]
    fn an_allowed_origin_must_be_an_http_origin_and_nothing_more() {
        for good in [
            "https://calendar.court.kz:8443",
            "http://10.0.0.5:8080/",
            "http://[fd00::5]:8080",
        ] {
            assert!(Origin::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "calendar.court.kz",
            "ftp://calendar.court.kz",
            "https://calendar.court.kz/path",
            "https://calendar.court.kz/?q=1",
            "https://user:pw@calendar.court.kz",
            "",
        ] {
            assert!(Origin::parse(bad).is_err(), "{bad} must be refused");
        }
    }

    #[test]
    fn the_origin_in_a_log_line_has_no_credentials_path_or_query() {
        let logged = origin_for_log(&url(
            "https://mediator%40mail.kz:secret@calendar.example.org/private-token/basic.ics?key=k",
        ));

        assert_eq!(logged, "https://calendar.example.org:443");
    }
}
