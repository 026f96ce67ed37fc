//! What a request leaves in the logs: its route, never its secrets.
//!
//! A party's page (`/p/{token}`) and a mediator's calendar feed
//! (`/calendar/{secret}.ics`) carry their credential in the path. The
//! request span therefore records the matched route *template* (axum's
//! [`MatchedPath`], e.g. `/p/{token}`), never the raw URI; a path that
//! matched no route is recorded with its secret-looking segments masked.
//! The query string is never recorded.
//!
//! Every request has an id (`X-Request-Id`): a client's own id is kept when
//! it is short and plain (see [`acceptable_request_id`]), otherwise a fresh
//! one is made. The id is a field of the request span, so every line logged
//! while the request runs carries it, and it is returned in the response.

use axum::body::Body;
use axum::extract::MatchedPath;
use axum::http::Request;

/// The request header and response header holding the request id.
pub const REQUEST_ID: &str = "x-request-id";

/// Longest client-chosen request id kept.
pub const MAX_REQUEST_ID_LEN: usize = 64;

/// What a segment is replaced with when it may be a secret.
const MASK: &str = "***";

/// Whether a client's `X-Request-Id` is kept: 1 to 64 characters, letters,
/// digits and `-_.:` only (so a log line cannot be forged or bloated
/// through it).
pub fn acceptable_request_id(value: &[u8]) -> bool {
    (1..=MAX_REQUEST_ID_LEN).contains(&value.len())
        && value
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// Drops a request id the client sent that is not acceptable, so that a
/// fresh one is made for the request instead.
pub async fn drop_unacceptable_request_id(mut req: Request<Body>) -> Request<Body> {
    let bad = req
        .headers()
        .get_all(REQUEST_ID)
        .iter()
        .enumerate()
        .any(|(i, v)| i > 0 || !acceptable_request_id(v.as_bytes()));
    if bad {
        req.headers_mut().remove(REQUEST_ID);
    }
    req
}

/// A path as it may be logged when it matched no route: every segment
/// after `/p/` or `/calendar/`, and every segment long enough to be a token
/// that is not a UUID, is masked. The query is dropped.
pub fn masked_path(path: &str) -> String {
    let path = path.split('?').next().unwrap_or_default();
    let mut out = String::with_capacity(path.len().min(256));
    let mut secret_follows = false;
    for (i, segment) in path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        let looks_secret =
            segment.len() >= 20 && uuid::Uuid::try_parse(segment.trim_end_matches(".ics")).is_err();
        if (secret_follows && !segment.is_empty()) || looks_secret {
            out.push_str(MASK);
        } else {
            out.push_str(segment);
        }
        if i == 1 {
            secret_follows = matches!(segment, "p" | "calendar");
        }
        if out.len() > 200 {
            out.push_str("/…");
            break;
        }
    }
    out
}

/// The span of one request: its id, method and route, and (later) the
/// authenticated user.
pub fn make_span(req: &Request<Body>) -> tracing::Span {
    let request_id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    match req.extensions().get::<MatchedPath>() {
        Some(route) => tracing::info_span!(
            "request",
            request_id,
            method = %req.method(),
            route = route.as_str(),
            user_id = tracing::field::Empty,
        ),
        None => tracing::info_span!(
            "request",
            request_id,
            method = %req.method(),
            route = "(none)",
            path = masked_path(req.uri().path()),
            user_id = tracing::field::Empty,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_segments_of_unmatched_paths_are_masked() {
        assert_eq!(masked_path("/p/p_abcdefghij/extra"), "/p/***/***");
        assert_eq!(masked_path("/p/x"), "/p/***");
        assert_eq!(masked_path("/calendar/s3cr3t.ics/x"), "/calendar/***/***");
        assert_eq!(
            masked_path("/api/v1/nothing/abcdefghijklmnopqrstuvwxyz0123"),
            "/api/v1/nothing/***"
        );
        assert_eq!(
            masked_path("/api/v1/cases/0190f5f4-6e9b-7cc0-8a55-2f1d2c3b4a59/nothing"),
            "/api/v1/cases/0190f5f4-6e9b-7cc0-8a55-2f1d2c3b4a59/nothing"
        );
        assert_eq!(masked_path("/api/v1/x?token=abc"), "/api/v1/x");
        assert_eq!(masked_path("/"), "/");
        assert!(masked_path(&"/a".repeat(1000)).len() < 220);
    }

    #[test]
    fn only_short_plain_request_ids_are_kept() {
        assert!(acceptable_request_id(b"abc-123"));
        assert!(acceptable_request_id(
            b"0190f5f4-6e9b-7cc0-8a55-2f1d2c3b4a59"
        ));
        assert!(acceptable_request_id(&[b'a'; 64]));
        assert!(!acceptable_request_id(&[b'a'; 65]));
        assert!(!acceptable_request_id(b""));
        assert!(!acceptable_request_id(b"a b"));
        assert!(!acceptable_request_id(b"a\"}{\"x"));
        assert!(!acceptable_request_id("é".as_bytes()));
    }
}
