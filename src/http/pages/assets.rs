//! The pages' static files, embedded in the binary and named by their
//! content (`/assets/page.<first 8 hex of SHA-256>.css`), so a browser may
//! keep them for a year: a changed file has a new name.
//!
//! Rule: a page links a file only through [`css_url`]; an old or bare name
//! (`/assets/page.css`, a previous hash) is redirected to the current one,
//! anything else is a 404.

use std::sync::OnceLock;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};

use crate::error::AppError;
use crate::state::AppState;

const PAGE_CSS: &str = include_str!("../../../templates/pages/page.css");

pub fn routes() -> Router<AppState> {
    Router::new().route("/assets/{name}", get(asset))
}

/// `/assets/page.<hash8>.css`, computed once from the embedded file.
pub fn css_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        let hash = hex::encode(Sha256::digest(PAGE_CSS.as_bytes()));
        format!("/assets/page.{}.css", &hash[..8])
    })
}

async fn asset(Path(name): Path<String>) -> Response {
    let current = css_url();
    if current.strip_prefix("/assets/") == Some(name.as_str()) {
        let mut response = (StatusCode::OK, PAGE_CSS).into_response();
        let h = response.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/css; charset=utf-8"),
        );
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        );
        return response;
    }
    let old_name = name.starts_with("page.")
        && name.ends_with(".css")
        && name.len() <= 20
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.');
    if old_name {
        // Not permanent: the next version has yet another name.
        let mut response = Redirect::temporary(current).into_response();
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        return response;
    }
    AppError::not_found("file").into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stylesheet_is_named_by_its_content() {
        let url = css_url();
        assert!(url.starts_with("/assets/page.") && url.ends_with(".css"));
        assert_eq!(url.len(), "/assets/page.12345678.css".len());
    }
}
