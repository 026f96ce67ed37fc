//! The client's network address, for the login limits.

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use crate::state::AppState;

/// How many `X-Forwarded-For` headers are read at most.
const MAX_FORWARDED_HEADERS: usize = 8;

/// The address of the client: the peer of the connection, or behind a
/// trusted proxy (`trusted_proxies`) the address that proxy forwarded
/// (see [`crate::domain::network::TrustedProxies::client_address`]).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        // Without connection information (a router called directly, not
        // served), every client is one unknown address.
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .take(MAX_FORWARDED_HEADERS)
            .filter_map(|v| v.to_str().ok());
        Ok(Self(state.trusted_proxies.client_address(peer, forwarded)))
    }
}
