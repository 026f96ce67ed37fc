//! The browser's session: a cookie carrying the same stored, hashed,
//! expiring token the API issues, and the CSRF token of every form.
//!
//! Rule: every form carries a CSRF token, an HMAC of the cookie that keys
//! the browser (the session token once signed in, before that a random
//! pre-session value); a POST whose token does not match is refused (403).
//! A page on another site cannot read either cookie, so cannot forge it.

use axum::http::{HeaderMap, HeaderValue, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::domain::Language;
use crate::services::auth::{self as auth_service, Caller};
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "kelisim_session";
pub const PRE_SESSION_COOKIE: &str = "kelisim_pre";
pub const LANGUAGE_COOKIE: &str = "kelisim_lang";

/// Longest cookie value read; longer ones are ignored.
const MAX_COOKIE_VALUE: usize = 200;
/// Seconds the pre-session and language cookies are kept.
const YEAR_SECONDS: i64 = 365 * 86_400;

/// The value of cookie `name` in the request, if any (and not too long).
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty() && v.len() <= MAX_COOKIE_VALUE)
}

/// Whether the service is reached over https (cookies are then `Secure`).
pub fn https(state: &AppState) -> bool {
    url::Url::parse(&state.settings.public_url).is_ok_and(|u| u.scheme() == "https")
}

/// A `Set-Cookie` value: `HttpOnly`, `SameSite=Lax`, `Path=/`, `Secure`
/// over https; `max_age` 0 clears it.
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age: i64) -> HeaderValue {
    let secure = if https(state) { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; HttpOnly; SameSite=Lax; Path=/; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("kelisim_invalid=; Max-Age=0"))
}

/// The session cookie for `token`, living as long as the token.
pub fn session_cookie(state: &AppState, token: &str, seconds: i64) -> HeaderValue {
    set_cookie(state, SESSION_COOKIE, token, seconds.max(0))
}

pub fn clear_session_cookie(state: &AppState) -> HeaderValue {
    set_cookie(state, SESSION_COOKIE, "", 0)
}

pub fn language_cookie(state: &AppState, language: Language) -> HeaderValue {
    set_cookie(state, LANGUAGE_COOKIE, language.as_str(), YEAR_SECONDS)
}

/// The caller the session cookie belongs to, if it is a live token.
pub async fn signed_in(state: &AppState, headers: &HeaderMap) -> Option<Caller> {
    let token = cookie(headers, SESSION_COOKIE)?;
    auth_service::authenticate_cached(&state.db, &state.auth_cache, token)
        .await
        .ok()
}

/// The secret that keys this browser's CSRF tokens, and the cookie to set
/// when it had none yet (a fresh pre-session value).
pub struct BrowserKey {
    secret: String,
    pub new_cookie: Option<HeaderValue>,
}

impl BrowserKey {
    pub fn of(state: &AppState, headers: &HeaderMap) -> Self {
        if let Some(s) =
            cookie(headers, SESSION_COOKIE).or_else(|| cookie(headers, PRE_SESSION_COOKIE))
        {
            return Self {
                secret: s.to_owned(),
                new_cookie: None,
            };
        }
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let secret = URL_SAFE_NO_PAD.encode(bytes);
        let new_cookie = Some(set_cookie(state, PRE_SESSION_COOKIE, &secret, YEAR_SECONDS));
        Self { secret, new_cookie }
    }

    /// The CSRF token of the forms on this browser's pages.
    pub fn csrf(&self) -> String {
        csrf_token(&self.secret)
    }
}

fn mac(secret: &str) -> Hmac<Sha256> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(b"kelisim page form");
    mac
}

pub fn csrf_token(secret: &str) -> String {
    hex::encode(mac(secret).finalize().into_bytes())
}

/// Whether `given` is the CSRF token of the browser that sent `headers`
/// (compared in constant time). A browser without a key cookie has no
/// valid token.
pub fn csrf_ok(headers: &HeaderMap, given: &str) -> bool {
    let Some(secret) =
        cookie(headers, SESSION_COOKIE).or_else(|| cookie(headers, PRE_SESSION_COOKIE))
    else {
        return false;
    };
    let Ok(given) = hex::decode(given) else {
        return false;
    };
    mac(secret).verify_slice(&given).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_depend_on_the_browser_and_are_checked() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; kelisim_pre=abc"),
        );
        let good = csrf_token("abc");
        assert!(csrf_ok(&headers, &good));
        assert!(!csrf_ok(&headers, &csrf_token("abd")));
        assert!(!csrf_ok(&headers, ""));
        assert!(!csrf_ok(&HeaderMap::new(), &good));
        assert_eq!(cookie(&headers, "kelisim_pre"), Some("abc"));
    }
}
