//! Request extractors whose failures are problem+json naming the field:
//! [`ApiJson`], [`ApiQuery`] and [`ApiPath`] replace axum's own, whose
//! rejections are plain text.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::{AppError, FieldError};

/// A JSON body. Malformed JSON is a 400; a value of the wrong type or a
/// missing field is a 422 naming the field; a body over the limit is a 413.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<mime::Mime>().ok())
            .is_some_and(|m| {
                m.type_() == "application"
                    && (m.subtype() == "json" || m.suffix().is_some_and(|s| s == "json"))
            });
        if !is_json {
            return Err(AppError::UnsupportedMediaType(
                "send the body as JSON with Content-Type: application/json".into(),
            ));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(body_rejection)?;
        parse_json(&bytes).map(ApiJson)
    }
}

pub(crate) fn body_rejection(rejection: axum::extract::rejection::BytesRejection) -> AppError {
    // axum reports a body over `DefaultBodyLimit` as 413 on the rejection.
    if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        AppError::PayloadTooLarge
    } else {
        AppError::BadRequest("the request body could not be read".into())
    }
}

/// Parses JSON, reporting the path of the first field that does not fit.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => data_error(&path, &inner.to_string()),
            _ => AppError::BadRequest(format!("the body is not valid JSON: {inner}")),
        }
    })?;
    de.end()
        .map_err(|e| AppError::BadRequest(format!("the body is not valid JSON: {e}")))?;
    Ok(value)
}

/// Turns serde's message into a field error. serde reports a missing field at
/// the path of its parent object, so the field's own name is taken from the
/// message.
fn data_error(path: &str, message: &str) -> AppError {
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(message)
        .to_owned();
    let parent = if path == "." { "" } else { path };
    if let Some(rest) = message.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or(rest);
        let field = if parent.is_empty() {
            name.to_owned()
        } else {
            format!("{parent}.{name}")
        };
        return AppError::Validation(vec![FieldError::new(field, "is required")]);
    }
    let field = if parent.is_empty() {
        "body".to_owned()
    } else {
        parent.to_owned()
    };
    AppError::Validation(vec![FieldError::new(field, message)])
}

/// Query parameters; a value that does not parse is a 422 naming the parameter.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|err| {
                let path = err.path().to_string();
                data_error(&path, &err.into_inner().to_string())
            })
    }
}

/// Path parameters. An id that does not parse names nothing that exists, so it
/// is a 404 like any unknown id.
#[derive(Debug, Clone, Copy)]
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|_| AppError::not_found("resource"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Room {
        name: String,
        capacity: i32,
        inner: Option<Inner>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        flag: bool,
    }

    fn fields(err: AppError) -> Vec<String> {
        match err {
            AppError::Validation(f) => f.into_iter().map(|f| f.field).collect(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn malformed_json_is_a_bad_request() {
        assert!(matches!(
            parse_json::<Room>(b"{\"name\": "),
            Err(AppError::BadRequest(_))
        ));
        assert!(matches!(
            parse_json::<Room>(br#"{"name":"A","capacity":1} x"#),
            Err(AppError::BadRequest(_))
        ));
    }

    #[test]
    fn wrong_types_and_missing_fields_name_the_field() {
        let e = parse_json::<Room>(br#"{"name":"A","capacity":"ten"}"#).expect_err("invalid");
        assert_eq!(fields(e), ["capacity"]);
        let e = parse_json::<Room>(br#"{"capacity":3}"#).expect_err("invalid");
        assert_eq!(fields(e), ["name"]);
        let e =
            parse_json::<Room>(br#"{"name":"A","capacity":3,"inner":{}}"#).expect_err("invalid");
        assert_eq!(fields(e), ["inner.flag"]);
        let e = parse_json::<Room>(br#""text""#).expect_err("invalid");
        assert_eq!(fields(e), ["body"]);
    }
}
