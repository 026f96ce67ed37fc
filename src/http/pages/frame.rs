//! What every staff page shares: the reader (who, in which language, with
//! which CSRF key), the frame the layout shows, and the small answers
//! (redirect, refused form).
//!
//! Rule: this module names none of the page modules, so each of them can
//! use it while `pages` names their routes (no import cycle).

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use super::assets;
use super::session::{self, BrowserKey};
use crate::domain::Language;
use crate::error::AppResult;
use crate::mail::templates;
use crate::services::auth::Caller;
use crate::services::users;
use crate::state::AppState;

/// What every page's frame shows.
#[derive(Serialize)]
pub(crate) struct Frame {
    language: &'static str,
    csrf: String,
    signed_in: bool,
    user_name: String,
    role: &'static str,
    /// The path the language switch returns to.
    here: String,
    /// The stylesheet's address, named by its content.
    css: &'static str,
}

/// The reader of a page: who they are (if signed in), in which language,
/// and their browser's CSRF key.
pub(crate) struct Reader {
    pub(crate) caller: Option<Caller>,
    user_name: String,
    pub(crate) language: Language,
    key: BrowserKey,
}

impl Reader {
    pub(crate) async fn of(state: &AppState, headers: &HeaderMap) -> AppResult<Self> {
        let key = BrowserKey::of(state, headers);
        let caller = session::signed_in(state, headers).await;
        let (language, user_name) = match &caller {
            Some(c) => {
                let user = users::get_visible(&state.db, c, c.user_id).await?;
                (user.language, user.name)
            }
            None => (anonymous_language(headers), String::new()),
        };
        Ok(Self {
            caller,
            user_name,
            language,
            key,
        })
    }

    pub(crate) fn frame(&self, here: &str) -> Frame {
        Frame {
            language: self.language.as_str(),
            csrf: self.key.csrf(),
            signed_in: self.caller.is_some(),
            user_name: self.user_name.clone(),
            role: self.caller.as_ref().map_or("", |c| c.role.as_str()),
            here: here.to_owned(),
            css: assets::css_url(),
        }
    }

    /// `html` as a page answer with `status`, setting the pre-session cookie
    /// when the browser had none.
    pub(crate) fn answer(&self, status: StatusCode, html: String) -> Response {
        let mut response = (status, Html(html)).into_response();
        private(&mut response);
        if let Some(c) = &self.key.new_cookie {
            response.headers_mut().append(header::SET_COOKIE, c.clone());
        }
        response
    }
}

/// Pages are about one person: never stored by a shared cache.
pub(crate) fn private(response: &mut Response) {
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
}

pub(crate) fn anonymous_language(headers: &HeaderMap) -> Language {
    session::cookie(headers, session::LANGUAGE_COOKIE)
        .and_then(|l| l.parse().ok())
        .unwrap_or(Language::FALLBACK)
}

pub(crate) fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// Refused: the form carried no valid CSRF token.
pub(crate) fn csrf_refused(reader: &Reader) -> Response {
    let text = match reader.language {
        Language::Kk => "Форма ескірген. Бетті жаңартып, қайталап көріңіз.",
        Language::Ru => "Форма устарела. Обновите страницу и попробуйте снова.",
        Language::En => "The form has expired. Reload the page and try again.",
    };
    let html = templates::render_page(
        templates::MESSAGE_PAGE,
        minijinja::context! { frame => v(&reader.frame("/")), message => text },
    )
    .unwrap_or_else(|_| text.to_owned());
    reader.answer(StatusCode::FORBIDDEN, html)
}

#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    pub(crate) csrf: String,
}

pub(crate) fn words(
    lang: Language,
    kk: &'static str,
    ru: &'static str,
    en: &'static str,
) -> &'static str {
    match lang {
        Language::Kk => kk,
        Language::Ru => ru,
        Language::En => en,
    }
}

/// A serializable value for a template.
pub(crate) fn v<T: Serialize>(value: &T) -> minijinja::Value {
    minijinja::Value::from(minijinja::value::Serde(value))
}
