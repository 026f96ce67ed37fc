//! The one error type of the service and its mapping to `application/problem+json`
//! (RFC 9457).
//!
//! Rule: every failure a client can see goes through [`AppError`]. Bad input is a
//! 4xx naming the field; only a fault of ours is a 500, and its cause chain goes to
//! the log, never to the client.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sea_orm::{DbErr, SqlErr};
use serde::Serialize;
use utoipa::ToSchema;

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// Path of the field in the request, e.g. `parties[1].email` or `timezone`.
    pub field: String,
    /// What is wrong with it, in plain words.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Stable codes of the rules that refused the request.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
}

impl Problem {
    pub fn new(status: StatusCode, slug: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("urn:kelisim:problem:{slug}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
            reasons: Vec::new(),
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400: the request could not be read at all (malformed JSON, bad encoding).
    #[error("malformed request: {0}")]
    BadRequest(String),
    /// 401: no credentials, or credentials that are wrong, expired or revoked.
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// 403: authenticated, but this role may not do this.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// 404: unknown, or not this caller's to see.
    #[error("not found: {0}")]
    NotFound(String),
    /// 409: conflicts with the current state; `reasons` carries rule codes.
    #[error("conflict: {detail}")]
    Conflict {
        detail: String,
        reasons: Vec<String>,
        errors: Vec<FieldError>,
    },
    /// 413
    #[error("request body too large")]
    PayloadTooLarge,
    /// 415
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    /// 422: fields with invalid values.
    #[error("invalid fields: {0:?}")]
    Validation(Vec<FieldError>),
    /// 422: well-formed, but a rule refuses it; `reasons` carries rule codes.
    #[error("refused: {detail}")]
    Refused {
        detail: String,
        reasons: Vec<String>,
        errors: Vec<FieldError>,
    },
    /// 429, with the seconds to wait (`Retry-After`).
    #[error("too many requests")]
    TooManyRequests { retry_after_seconds: u64 },
    /// 503: the database or another dependency is not available right now,
    /// or the service is too busy; answered with `Retry-After: 1`.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// 500: a fault of ours. Logged with its cause chain, shown opaquely.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::Conflict {
            detail: detail.into(),
            reasons: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// A 409 because rules refused the request, each named by its code.
    pub fn conflict_with_reasons(detail: impl Into<String>, reasons: Vec<String>) -> Self {
        Self::Conflict {
            detail: detail.into(),
            reasons,
            errors: Vec::new(),
        }
    }

    /// A 409 about one field, e.g. a duplicate unique value.
    pub fn conflict_on(field: impl Into<String>, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::Conflict {
            detail: message.clone(),
            reasons: Vec::new(),
            errors: vec![FieldError::new(field, message)],
        }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Self::NotFound(what.into())
    }

    pub fn internal(context: &'static str, err: impl Into<anyhow::Error>) -> Self {
        Self::Internal(err.into().context(context))
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Validation(_) | Self::Refused { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn to_problem(&self) -> Problem {
        let status = self.status();
        match self {
            Self::BadRequest(d) => Problem::new(status, "malformed-request", d.clone()),
            Self::Unauthorized(d) => Problem::new(status, "unauthorized", d.clone()),
            Self::Forbidden(d) => Problem::new(status, "forbidden", d.clone()),
            Self::NotFound(what) => Problem::new(status, "not-found", format!("{what} not found")),
            Self::Conflict {
                detail,
                reasons,
                errors,
            } => Problem {
                reasons: reasons.clone(),
                errors: errors.clone(),
                ..Problem::new(status, "conflict", detail.clone())
            },
            Self::PayloadTooLarge => Problem::new(
                status,
                "payload-too-large",
                "the request body is larger than this service accepts",
            ),
            Self::UnsupportedMediaType(d) => {
                Problem::new(status, "unsupported-media-type", d.clone())
            }
            Self::Validation(errors) => {
                let detail = match errors.as_slice() {
                    [one] => format!("{}: {}", one.field, one.message),
                    many => format!("{} fields are invalid", many.len()),
                };
                Problem {
                    errors: errors.clone(),
                    ..Problem::new(status, "validation", detail)
                }
            }
            Self::Refused {
                detail,
                reasons,
                errors,
            } => Problem {
                reasons: reasons.clone(),
                errors: errors.clone(),
                ..Problem::new(status, "refused", detail.clone())
            },
            Self::TooManyRequests { .. } => Problem::new(
                status,
                "too-many-requests",
                "too many requests; wait a little and try again",
            ),
            Self::Unavailable(d) => Problem::new(status, "unavailable", d.clone()),
            Self::Internal(_) => Problem::new(
                status,
                "internal",
                "an internal error occurred; it has been logged",
            ),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let Self::Internal(err) = &self {
            tracing::error!(error = format!("{err:#}"), "internal error");
        }
        let retry_after = match &self {
            Self::TooManyRequests {
                retry_after_seconds,
            } => Some(*retry_after_seconds),
            Self::Unavailable(_) => Some(1),
            _ => None,
        };
        let mut response = self.to_problem().into_response();
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

/// Database errors are mapped here once: a missing row is a 404, a closed or
/// exhausted pool a 503, anything else a 500. Unique violations are expected to be
/// mapped by the service that knows which field they concern, see
/// [`unique_violation`].
impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        match &err {
            DbErr::RecordNotFound(what) => Self::NotFound(what.clone()),
            DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => {
                tracing::warn!(error = %err, "database unavailable");
                Self::Unavailable("the database is not available right now".into())
            }
            _ => Self::Internal(anyhow::Error::new(err).context("database operation")),
        }
    }
}

/// Whether `err` is a unique-constraint violation.
pub fn unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// Collects field errors so that one response names every invalid field.
#[derive(Debug, Default)]
pub struct Fields(Vec<FieldError>);

impl Fields {
    /// Records the error of `result` under `field`, returning the value if valid.
    pub fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(message) => {
                self.0.push(FieldError::new(field, message));
                None
            }
        }
    }

    pub fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(())` when no field was invalid, else a 422 naming every one.
    pub fn finish(self) -> AppResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(self.0))
        }
    }
}

/// A value this service wrote itself, read back from the database (a
/// status, a role): one that no longer parses is a fault of ours, not the
/// caller's.
pub fn stored<T: std::str::FromStr<Err = String>>(what: &'static str, raw: &str) -> AppResult<T> {
    raw.parse()
        .map_err(|e: String| AppError::internal(what, anyhow::anyhow!(e)))
}

/// The value of a field that [`Fields::finish`] has already accepted. A `None`
/// here is a bug of ours, not the client's.
pub fn checked<T>(value: Option<T>) -> AppResult<T> {
    value.ok_or_else(|| {
        AppError::internal(
            "reading a validated field",
            anyhow::anyhow!("a field passed validation without a value"),
        )
    })
}
