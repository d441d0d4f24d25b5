//! The API's extractors: axum's own (query string, path, JSON body) with their refusals
//! turned into the API's JSON error, and the caller's identity from a bearer token.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::header;
use axum::http::request::Parts;
use grid_model::User;
use serde::de::DeserializeOwned;

use super::Api;
use super::error::ApiError;

/// The query string as `T` (whose `deny_unknown_fields` refuses what it does not know);
/// a refusal names the parameter.
pub struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(t)| Params(t))
            .map_err(|r| ApiError::bad_request(r.body_text()))
    }
}

/// A path parameter as `T`.
pub struct PathParam<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for PathParam<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(t)| PathParam(t))
            .map_err(|r| ApiError::with_status(r.status(), r.body_text()))
    }
}

/// A JSON body as `T`, within `http.max_body_bytes` (413 beyond).
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        axum::Json::<T>::from_request(req, state)
            .await
            .map(|axum::Json(t)| Body(t))
            .map_err(|r: JsonRejection| {
                let limit = (r.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE)
                    .then_some("http.max_body_bytes");
                ApiError {
                    limit,
                    ..ApiError::with_status(r.status(), r.body_text())
                }
            })
    }
}

/// Who calls: the live user of the request's `Authorization: Bearer <token>` (a token of
/// `sentinel users token`). Never what a request body says of itself.
pub struct Caller(pub User);

impl FromRequestParts<Api> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, api: &Api) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| {
                ApiError::unauthorized("log in: an Authorization: Bearer token is needed")
            })?;
        match api.sentinel.user_by_token(token.to_owned()).await? {
            Some(user) => Ok(Caller(user)),
            None => Err(ApiError::unauthorized(
                "the token is not valid (unknown, expired, revoked, or its user disabled)",
            )),
        }
    }
}
