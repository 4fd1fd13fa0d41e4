//! Errors as `application/problem+json` (RFC 9457), one shape for every route.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An error response.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// A short code (e.g. `forbidden`), stable for clients.
    #[serde(rename = "type")]
    pub kind: String,
    /// Human-readable summary.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// What exactly went wrong and what to do.
    pub detail: String,
    /// The governance rule that refused, where one did: its stable code (an extension
    /// member, RFC 9457 §3.2), and on a page its sentence in the reader's language.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "rule_code")]
    pub rule: Option<Box<waarborg_govern::rule::Rule>>,
}

fn rule_code<S: serde::Serializer>(
    rule: &Option<Box<waarborg_govern::rule::Rule>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match rule {
        Some(r) => s.serialize_str(r.code()),
        None => s.serialize_none(),
    }
}

impl Problem {
    /// A problem with `status`, `kind` and `detail`.
    pub fn new(status: StatusCode, kind: &str, detail: impl Into<String>) -> Problem {
        Problem {
            kind: kind.to_string(),
            title: status.canonical_reason().unwrap_or("error").to_string(),
            status: status.as_u16(),
            detail: detail.into(),
            rule: None,
        }
    }

    /// 400.
    pub fn bad_request(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, "bad_request", detail)
    }

    /// 401.
    pub fn unauthenticated() -> Problem {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "log in first (POST /api/login)",
        )
    }

    /// 403.
    pub fn forbidden(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    /// 404.
    pub fn not_found(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, "not_found", detail)
    }

    /// 409: someone else changed it.
    pub fn conflict(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::CONFLICT, "conflict", detail)
    }

    /// 422: the rules refuse it.
    pub fn refused(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "refused", detail)
    }

    /// 429.
    pub fn too_many(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts", detail)
    }

    /// 500, with a detail safe to show.
    pub fn internal(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", detail)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_string(&self).unwrap_or_default();
        let mut response = (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body,
        )
            .into_response();
        // Kept beside the body, so that a page's answer is said as a page
        // (`routes::errors_as_pages`).
        response.extensions_mut().insert(self);
        response
    }
}

impl From<waarborg_app::AppError> for Problem {
    /// The one mapping of the application layer's errors to HTTP. A 5xx is logged here,
    /// with its cause, so that no internal failure leaves the server without a record.
    fn from(e: waarborg_app::AppError) -> Problem {
        use waarborg_app::AppError as E;
        let status = match &e {
            E::Refused { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            E::Forbidden { .. } => StatusCode::FORBIDDEN,
            E::NotFound(_) => StatusCode::NOT_FOUND,
            E::Conflict { .. } => StatusCode::CONFLICT,
            E::Invalid {
                code: "unsupported_media_type",
                ..
            } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            E::Invalid { .. } => StatusCode::BAD_REQUEST,
            E::Unauthenticated { .. } => StatusCode::UNAUTHORIZED,
            E::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
            E::Unavailable {
                code: "insufficient_storage",
                ..
            } => StatusCode::INSUFFICIENT_STORAGE,
            E::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            E::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if status.is_server_error() {
            tracing::error!(code = e.code(), error = %e, "request failed");
        }
        Problem {
            rule: e.rule().cloned().map(Box::new),
            ..Problem::new(status, e.code(), e.to_string())
        }
    }
}

impl From<waarborg_store::StoreError> for Problem {
    fn from(e: waarborg_store::StoreError) -> Problem {
        waarborg_app::AppError::from(e).into()
    }
}

impl From<waarborg_govern::GovernError> for Problem {
    fn from(e: waarborg_govern::GovernError) -> Problem {
        waarborg_app::AppError::from(e).into()
    }
}

impl From<waarborg_refdb::RefDbError> for Problem {
    fn from(e: waarborg_refdb::RefDbError) -> Problem {
        waarborg_app::AppError::from(e).into()
    }
}
