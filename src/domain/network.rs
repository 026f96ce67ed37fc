//! Who a client is on the network: the address a request came from, behind
//! the proxies the service trusts, and the network that address is counted
//! in by the login limits.
//!
//! Rule: `X-Forwarded-For` is believed only as far as it was written by a
//! trusted proxy. It is read from the right (the entry the nearest proxy
//! added) and the first address that is not a trusted proxy is the client;
//! anything a client wrote further left is ignored.

use std::net::{IpAddr, Ipv6Addr};

/// Entries of `X-Forwarded-For` read at most, from the right.
pub const MAX_FORWARDED_HOPS: usize = 16;

/// A network such as `10.0.0.0/8`, `fd00::/8` or a single address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    address: IpAddr,
    prefix: u8,
}

impl Network {
    /// Parses `address` or `address/prefix`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (address, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let address: IpAddr = address
            .parse()
            .map_err(|_| format!("{text:?} is not an IP address or network"))?;
        let max = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{text:?} has a prefix longer than {max}"))?,
            None => max,
        };
        Ok(Self { address, prefix })
    }

    pub fn contains(&self, address: IpAddr) -> bool {
        match (self.address, canonical(address)) {
            (IpAddr::V4(net), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// The proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<Network>);

impl TrustedProxies {
    pub fn parse(networks: &[String]) -> Result<Self, String> {
        networks
            .iter()
            .map(|n| Network::parse(n))
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    fn trusts(&self, address: IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(address))
    }

    /// The client's address: the peer of the connection, or, when the peer
    /// is a trusted proxy, the nearest address in `forwarded_for` (the
    /// values of every `X-Forwarded-For` header, in order) that is not a
    /// trusted proxy. An entry that is not an address stops the walk at the
    /// proxy that wrote it.
    pub fn client_address<'a>(
        &self,
        peer: IpAddr,
        forwarded_for: impl IntoIterator<Item = &'a str>,
    ) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let entries: Vec<&str> = forwarded_for
            .into_iter()
            .flat_map(|v| v.split(','))
            .collect();
        let mut client = peer;
        for entry in entries.iter().rev().take(MAX_FORWARDED_HOPS) {
            let Some(address) = parse_forwarded(entry) else {
                return client;
            };
            client = address;
            if !self.trusts(address) {
                return address;
            }
        }
        client
    }
}

/// An IPv4 address carried in IPv6 (`::ffff:1.2.3.4`) is that IPv4 address.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// One `X-Forwarded-For` entry: an address, maybe with a port
/// (`1.2.3.4:5678`, `[2001:db8::1]:5678`).
fn parse_forwarded(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    if let Ok(a) = entry.parse::<IpAddr>() {
        return Some(canonical(a));
    }
    if let Some(rest) = entry.strip_prefix('[') {
        return rest
            .split_once(']')
            .and_then(|(a, _)| a.parse::<Ipv6Addr>().ok())
            .map(|a| canonical(IpAddr::V6(a)));
    }
    entry
        .rsplit_once(':')
        .and_then(|(a, port)| port.parse::<u16>().ok().and(a.parse::<IpAddr>().ok()))
        .map(canonical)
}

/// The network a client is counted in by the login limits: its IPv4
/// address, or the /64 of its IPv6 address (one subscriber usually holds a
/// whole /64, so counting single IPv6 addresses would count nothing).
pub fn counted_network(address: IpAddr) -> String {
    match canonical(address) {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let network = u128::from(v6) & (u128::MAX << 64);
            format!("{}/64", Ipv6Addr::from(network))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    fn proxies(list: &[&str]) -> TrustedProxies {
        TrustedProxies::parse(&list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
            .expect("valid")
    }

    #[test]
    fn networks_parse_and_contain() {
        let n = Network::parse("10.0.0.0/8").expect("valid");
        assert!(n.contains(ip("10.200.3.4")));
        assert!(!n.contains(ip("11.0.0.1")));
        assert!(n.contains(ip("::ffff:10.1.2.3")));
        let one = Network::parse("192.168.1.7").expect("valid");
        assert!(one.contains(ip("192.168.1.7")));
        assert!(!one.contains(ip("192.168.1.8")));
        let v6 = Network::parse("fd00::/8").expect("valid");
        assert!(v6.contains(ip("fd12::1")));
        assert!(!v6.contains(ip("fe80::1")));
        assert!(
            Network::parse("0.0.0.0/0")
                .expect("valid")
                .contains(ip("8.8.8.8"))
        );
        assert!(Network::parse("10.0.0.0/33").is_err());
        assert!(Network::parse("proxy.local").is_err());
        assert!(Network::parse("10.0.0.0/x").is_err());
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client() {
        let none = TrustedProxies::default();
        assert_eq!(
            none.client_address(ip("203.0.113.9"), ["198.51.100.1"]),
            ip("203.0.113.9")
        );
        let trusted = proxies(&["10.0.0.1"]);
        assert_eq!(
            trusted.client_address(ip("203.0.113.9"), ["198.51.100.1"]),
            ip("203.0.113.9"),
            "an untrusted peer's header is ignored"
        );
    }

    #[test]
    fn behind_trusted_proxies_the_nearest_untrusted_entry_is_the_client() {
        let trusted = proxies(&["10.0.0.0/8"]);
        // The client wrote a fake entry on the left; the proxies appended.
        assert_eq!(
            trusted.client_address(ip("10.0.0.1"), ["6.6.6.6, 198.51.100.7, 10.0.0.2"]),
            ip("198.51.100.7")
        );
        assert_eq!(
            trusted.client_address(ip("10.0.0.1"), ["6.6.6.6", "198.51.100.7:4433"]),
            ip("198.51.100.7")
        );
        assert_eq!(
            trusted.client_address(ip("10.0.0.1"), ["[2001:db8::5]:443"]),
            ip("2001:db8::5")
        );
        // No header, or garbage: the proxy itself.
        assert_eq!(
            trusted.client_address(ip("10.0.0.1"), std::iter::empty()),
            ip("10.0.0.1")
        );
        assert_eq!(
            trusted.client_address(ip("10.0.0.1"), ["not an address"]),
            ip("10.0.0.1")
        );
        // Only trusted entries: the farthest one read.
        assert_eq!(
            trusted.client_address(ip("10.0.0.1"), ["10.0.0.3, 10.0.0.2"]),
            ip("10.0.0.3")
        );
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64() {
        assert_eq!(counted_network(ip("198.51.100.7")), "198.51.100.7");
        assert_eq!(counted_network(ip("::ffff:198.51.100.7")), "198.51.100.7");
        assert_eq!(
            counted_network(ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd")),
            "2001:db8:1:2::/64"
        );
        assert_eq!(
            counted_network(ip("2001:db8:1:2::1")),
            counted_network(ip("2001:db8:1:2:ffff::9"))
        );
    }
}
