//! The API's one error answer: `{"error": "…", "retryable": bool}` (and `"limit"`, the
//! configuration key, when a bound refused the request), with the status that fits and
//! `Retry-After` on 503. Every refusal of the API takes this shape — a bad query string or
//! path, a body too large, a missing login — never a plain-text one.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::ServiceError;

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The status.
    pub status: StatusCode,
    /// What went wrong, in words.
    pub error: String,
    /// Whether the same request may work later.
    pub retryable: bool,
    /// The configuration key of the bound that refused the request.
    pub limit: Option<&'static str>,
}

impl ApiError {
    /// Bad input: 400.
    pub fn bad_request(error: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            error: error.into(),
            retryable: false,
            limit: None,
        }
    }

    /// A request over the bound `limit` (a configuration key): 400.
    pub fn over(limit: &'static str, error: impl Into<String>) -> Self {
        ApiError {
            limit: Some(limit),
            ..ApiError::bad_request(error)
        }
    }

    /// The server is busy or cannot reach the database: 503, retry later.
    pub fn unavailable(error: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            error: error.into(),
            retryable: true,
            limit: None,
        }
    }

    /// No valid login: 401.
    pub fn unauthorized(error: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::UNAUTHORIZED,
            error: error.into(),
            retryable: false,
            limit: None,
        }
    }

    /// With another status (a rejection of axum's: 404, 405, 413, 415, 422…).
    pub fn with_status(status: StatusCode, error: impl Into<String>) -> Self {
        ApiError {
            status,
            error: error.into(),
            retryable: status == StatusCode::SERVICE_UNAVAILABLE,
            limit: None,
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        let status =
            StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        ApiError {
            status,
            error: e.to_string(),
            retryable: e.is_retryable(),
            limit: None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = serde_json::json!({"error": self.error, "retryable": self.retryable});
        if let Some(limit) = self.limit {
            body["limit"] = limit.into();
        }
        let mut response = (self.status, Json(body)).into_response();
        let headers = response.headers_mut();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl IntoResponse for ServiceError {
    fn into_response(self) -> Response {
        ApiError::from(self).into_response()
    }
}
