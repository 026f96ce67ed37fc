//! Security headers on every response: API answers, pages, files, errors
//! and 404s alike.
//!
//! - `X-Content-Type-Options: nosniff`: a browser never runs a response as
//!   something other than its declared type.
//! - `Content-Security-Policy`: scripts, styles and everything else only
//!   from this service, never inline; no plugins; no `<base>`; forms post
//!   only here; no page may frame ours. Images may also be `data:` URLs
//!   (the API browser's icons).
//! - `Referrer-Policy: no-referrer`: a party's personal link is a secret in
//!   the URL and must not leave with a click.
//! - `Strict-Transport-Security`, only when `public_url` is `https`: a
//!   browser that reached the service once over https never tries plain
//!   http again. Never over plain http, where it would mean nothing or lock
//!   out a service that has no certificate.
//!
//! A header a handler set itself is kept.

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use tower_http::set_header::SetResponseHeaderLayer;

pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; \
frame-ancestors 'none'; form-action 'self'";

pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000";

fn always(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}

/// `router` with the security headers on every response; HSTS when
/// `https` is true.
pub fn secure(router: Router, https: bool) -> Router {
    let router = router
        .layer(always(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(always(
            header::CONTENT_SECURITY_POLICY,
            CONTENT_SECURITY_POLICY,
        ))
        .layer(always(header::REFERRER_POLICY, "no-referrer"));
    if https {
        router.layer(always(
            header::STRICT_TRANSPORT_SECURITY,
            STRICT_TRANSPORT_SECURITY,
        ))
    } else {
        router
    }
}
