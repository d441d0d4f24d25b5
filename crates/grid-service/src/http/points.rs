//! Operators' actions on a point's limit alarm (ISA-18.2 / IEC 62682 shelving and
//! out-of-service), as the bearer token's user: `POST /alarms/{sensor}/shelve`
//! `{"until": "…", "reason": "…"}`, `…/unshelve` `{}`, `…/out-of-service` `{"reason": "…"}`,
//! `…/in-service` `{}`. Who acts is the caller; the time is the server's.

use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, Datelike, Utc};
use grid_alarms_store::Action;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::extract::{Body, Caller, PathParam};
use super::{Api, ApiError, plausible};

/// A shelving: until when (a shelving always ends), and why.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Shelve {
    until: DateTime<Utc>,
    reason: String,
}

/// Taking a point out of service: why.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct OutOfService {
    reason: String,
}

/// An action with nothing to say (`{}`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Nothing {}

/// What was done.
#[derive(Serialize)]
struct Done {
    sensor_id: Uuid,
    action: &'static str,
    by: String,
}

async fn act(
    api: Api,
    user: grid_model::User,
    sensor: String,
    (name, action): (&'static str, Action),
) -> Result<Response, ApiError> {
    let _turn = api.turn().await?;
    let by = user.name.clone();
    let sensor_id = api.sentinel.act_on_point_as(user, sensor, action).await?;
    api.json(&Done {
        sensor_id,
        action: name,
        by,
    })
}

pub(super) async fn shelve(
    State(api): State<Api>,
    Caller(user): Caller,
    PathParam(sensor): PathParam<String>,
    Body(b): Body<Shelve>,
) -> Result<Response, ApiError> {
    plausible("until", b.until.year())?;
    let action = Action::Shelve {
        until: b.until,
        reason: b.reason,
    };
    act(api, user, sensor, ("shelve", action)).await
}

pub(super) async fn unshelve(
    State(api): State<Api>,
    Caller(user): Caller,
    PathParam(sensor): PathParam<String>,
    Body(Nothing {}): Body<Nothing>,
) -> Result<Response, ApiError> {
    act(api, user, sensor, ("unshelve", Action::Unshelve)).await
}

pub(super) async fn out_of_service(
    State(api): State<Api>,
    Caller(user): Caller,
    PathParam(sensor): PathParam<String>,
    Body(b): Body<OutOfService>,
) -> Result<Response, ApiError> {
    let action = Action::OutOfService { reason: b.reason };
    act(api, user, sensor, ("out_of_service", action)).await
}

pub(super) async fn in_service(
    State(api): State<Api>,
    Caller(user): Caller,
    PathParam(sensor): PathParam<String>,
    Body(Nothing {}): Body<Nothing>,
) -> Result<Response, ApiError> {
    act(api, user, sensor, ("in_service", Action::InService)).await
}
