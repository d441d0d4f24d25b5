//! Users of the API and pages, and their bearer tokens (migration `users_and_tokens`).
//!
//! A token is `gst_` and 32 random bytes from the operating system (base64url, 47
//! characters in all), shown once when issued; the database keeps only its SHA-256. Only the
//! owner role reads or writes the tables; a service finds a token's user through the
//! security-definer function `grid_user_by_token`, which answers nothing for a revoked or
//! expired token or a disabled user.

use base64::Engine as _;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Bytea, Nullable, Uuid as SqlUuid, Varchar};
use grid_model::{FieldError, GridZone, User, UserRole, ValidationErrors, valid_user_name};
use sha2::Digest as _;
use uuid::Uuid;

use crate::enums::DbGridZone;
use crate::error::{StoreError, StoreResult};
use crate::schema::{grid_user_tokens, grid_users};

const ENTITY: &str = "user";
/// What every token starts with (so a leaked one is recognisable to secret scanners).
pub const TOKEN_PREFIX: &str = "gst_";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = grid_users, check_for_backend(diesel::pg::Pg))]
struct UserRow {
    id: Uuid,
    name: String,
    role: String,
    zones: Vec<Option<DbGridZone>>,
    disabled_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

fn user(
    id: Uuid,
    name: String,
    role: &str,
    zones: Vec<Option<DbGridZone>>,
) -> (Uuid, String, UserRole, Vec<GridZone>) {
    (
        id,
        name,
        // The CHECK admits only the three roles.
        role.parse().unwrap_or(UserRole::Viewer),
        zones.into_iter().flatten().map(Into::into).collect(),
    )
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        let (id, name, role, zones) = user(r.id, r.name, &r.role, r.zones);
        User {
            id,
            name,
            role,
            zones,
            disabled_at: r.disabled_at,
            created_at: r.created_at,
        }
    }
}

fn invalid(field: &'static str, reason: impl Into<String>) -> StoreError {
    StoreError::Invalid(ValidationErrors {
        entity: ENTITY,
        errors: vec![FieldError {
            field,
            reason: reason.into(),
        }],
    })
}

/// Adds a user (the owner's job).
pub fn add(
    conn: &mut PgConnection,
    name: &str,
    role: UserRole,
    zones: &[GridZone],
) -> StoreResult<User> {
    if !valid_user_name(name) {
        return Err(invalid(
            "name",
            "1 to 100 of letters, digits and ._@-, starting with a letter or digit",
        ));
    }
    let zones: Vec<DbGridZone> = zones.iter().map(|z| (*z).into()).collect();
    Ok(diesel::insert_into(grid_users::table)
        .values((
            grid_users::name.eq(name),
            grid_users::role.eq(role.as_str()),
            grid_users::zones.eq(zones.into_iter().map(Some).collect::<Vec<_>>()),
        ))
        .returning(UserRow::as_returning())
        .get_result(conn)?
        .into())
}

/// The user called `name`.
pub fn get(conn: &mut PgConnection, name: &str) -> StoreResult<User> {
    grid_users::table
        .filter(grid_users::name.eq(name))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?
        .map(Into::into)
        .ok_or_else(|| StoreError::not_found(ENTITY, name))
}

/// Every user, by name.
pub fn list(conn: &mut PgConnection) -> StoreResult<Vec<User>> {
    Ok(grid_users::table
        .order(grid_users::name)
        .select(UserRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Disables a user now: its tokens stop working at once. Disabling again changes nothing.
pub fn disable(conn: &mut PgConnection, name: &str) -> StoreResult<User> {
    diesel::update(grid_users::table.filter(grid_users::name.eq(name)))
        .set(grid_users::disabled_at.eq(
            diesel::dsl::sql::<Nullable<diesel::sql_types::Timestamptz>>(
                "coalesce(disabled_at, now())",
            ),
        ))
        .returning(UserRow::as_returning())
        .get_result(conn)
        .optional()?
        .map(Into::into)
        .ok_or_else(|| StoreError::not_found(ENTITY, name))
}

/// A new token for `name`, valid until `expires_at` (or until revoked): the token itself,
/// which is never stored and cannot be shown again.
pub fn issue_token(
    conn: &mut PgConnection,
    name: &str,
    expires_at: Option<DateTime<Utc>>,
) -> StoreResult<String> {
    let user = get(conn, name)?;
    if user.disabled_at.is_some() {
        return Err(invalid("name", format!("user {name} is disabled")));
    }
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret)
        .map_err(|e| StoreError::Unavailable(format!("no randomness from the system: {e}")))?;
    let token = format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret)
    );
    diesel::insert_into(grid_user_tokens::table)
        .values((
            grid_user_tokens::user_id.eq(user.id),
            grid_user_tokens::token_sha256.eq(token_digest(&token).to_vec()),
            grid_user_tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(token)
}

/// Revokes every token of `name`; how many were live.
pub fn revoke_tokens(conn: &mut PgConnection, name: &str) -> StoreResult<usize> {
    let user = get(conn, name)?;
    Ok(diesel::update(
        grid_user_tokens::table
            .filter(grid_user_tokens::user_id.eq(user.id))
            .filter(grid_user_tokens::revoked_at.is_null()),
    )
    .set(grid_user_tokens::revoked_at.eq(diesel::dsl::now))
    .execute(conn)?)
}

/// The SHA-256 a token is kept as.
pub fn token_digest(token: &str) -> [u8; 32] {
    sha2::Sha256::digest(token.as_bytes()).into()
}

#[derive(QueryableByName)]
struct TokenUser {
    #[diesel(sql_type = SqlUuid)]
    user_id: Uuid,
    #[diesel(sql_type = Varchar)]
    name: String,
    #[diesel(sql_type = Varchar)]
    role: String,
    #[diesel(sql_type = Array<Nullable<crate::schema::sql_types::GridZone>>)]
    zones: Vec<Option<DbGridZone>>,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    created_at: DateTime<Utc>,
}

/// The user `token` belongs to, when it is live (not revoked or expired, its user not
/// disabled); `None` otherwise, and for anything that is not a token at all. Works for any
/// role granted `EXECUTE` on `grid_user_by_token`.
pub fn by_token(conn: &mut PgConnection, token: &str) -> StoreResult<Option<User>> {
    if !token.starts_with(TOKEN_PREFIX) || token.len() > 100 {
        return Ok(None);
    }
    let row: Option<TokenUser> = diesel::sql_query(
        "SELECT user_id, name, role, zones, created_at FROM grid_user_by_token($1)",
    )
    .bind::<Bytea, _>(token_digest(token).to_vec())
    .get_result(conn)
    .optional()?;
    Ok(row.map(|r| {
        let (id, name, role, zones) = user(r.user_id, r.name, &r.role, r.zones);
        User {
            id,
            name,
            role,
            zones,
            // The function answers only for users that are not disabled.
            disabled_at: None,
            created_at: r.created_at,
        }
    }))
}
