//! The store's one error policy.
//!
//! - Functions that can fail only inside Diesel return [`diesel::QueryResult`]; everything
//!   else returns [`StoreResult`], whose [`StoreError`] a caller can act on:
//!   - [`StoreError::NotFound`]: the row asked for does not exist;
//!   - [`StoreError::Conflict`]: a unique key is taken, or a concurrent change won (retrying
//!     the same request will not help; re-read and decide);
//!   - [`StoreError::Invalid`]: bad input, naming every offending field — whether grid-model's
//!     validation caught it or a database CHECK, NOT NULL or foreign key did (mapped back to
//!     the field through [`CHECK_CONSTRAINTS`] and the error's column);
//!   - [`StoreError::Transition`]: the alert lifecycle forbids the step;
//!   - [`StoreError::Unavailable`]: no connection (pool exhausted, server down): retry later;
//!   - [`StoreError::Timeout`]: the server cancelled a statement that ran past its
//!     `statement_timeout` or waited too long for a lock (nothing of it is kept): retry later
//!     or ask for less;
//!   - [`StoreError::PermissionDenied`]: the session's role may not do this (a missing grant,
//!     or a row outside its zones): retrying will not help, another role or a grant will;
//!   - [`StoreError::Database`]: anything else, a bug to report.
//! - Bad input never panics, and a failed call writes nothing (multi-statement operations run
//!   in one transaction, nested as a savepoint inside the caller's).
//! - `anyhow` is for examples, tools and tests only.

use diesel::result::{DatabaseErrorInformation, DatabaseErrorKind, Error as DieselError};
use grid_model::{FieldError, TransitionError, ValidationErrors};

/// The result of a store operation.
pub type StoreResult<T> = Result<T, StoreError>;

/// What went wrong in a store operation (see the module docs for the policy).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row does not exist.
    #[error("{entity} {key} not found")]
    NotFound {
        /// The entity, e.g. `substation`.
        entity: &'static str,
        /// How it was looked up.
        key: String,
    },
    /// A unique key is taken, or a concurrent change came first.
    #[error("conflict on {entity}: {reason}")]
    Conflict {
        /// The entity.
        entity: &'static str,
        /// What conflicted.
        reason: String,
    },
    /// Bad input: every offending field with its reason.
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    /// The alert lifecycle does not allow this step.
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// No database connection could be had.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The server cancelled the statement: `statement_timeout` or `lock_timeout` (SQLSTATE
    /// 57014 or 55P03). Nothing it did is kept.
    #[error("timed out: {0}")]
    Timeout(String),
    /// The session's role lacks the privilege (SQLSTATE 42501: a missing grant, an object it
    /// does not own, or a row-level policy of the zones it may reach).
    #[error("permission denied: {0}")]
    PermissionDenied(String),
    /// Any other database error.
    #[error("database error: {0}")]
    Database(DieselError),
}

impl StoreError {
    /// The offending field names, when this is [`StoreError::Invalid`].
    pub fn invalid_fields(&self) -> Vec<&'static str> {
        match self {
            StoreError::Invalid(v) => v.fields(),
            _ => Vec::new(),
        }
    }

    /// Whether the same call may succeed later unchanged: no connection, a statement
    /// cancelled by its timeout, a concurrent change (serialization failure or deadlock).
    /// Bad input, a refusal, a missing row or a bug will not.
    pub fn is_retryable(&self) -> bool {
        match self {
            StoreError::Unavailable(_) | StoreError::Timeout(_) => true,
            StoreError::Conflict { reason, .. } => reason.starts_with("concurrent change"),
            _ => false,
        }
    }

    pub(crate) fn not_found(entity: &'static str, key: impl std::fmt::Display) -> Self {
        StoreError::NotFound {
            entity,
            key: key.to_string(),
        }
    }
}

pub use crate::constraints::{CHECK_CONSTRAINTS, entity_of};

fn invalid(entity: &'static str, field: &'static str, reason: String) -> StoreError {
    StoreError::Invalid(ValidationErrors {
        entity,
        errors: vec![FieldError { field, reason }],
    })
}

/// Column names are not `'static` in Diesel's error, but field names are. Each distinct
/// column name is interned once, so memory stays bounded by the schema's columns.
fn static_field(column: &str) -> &'static str {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    static NAMES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut names = NAMES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(name) = names.get(column) {
        return name;
    }
    let name: &'static str = Box::leak(column.to_owned().into_boxed_str());
    names.insert(name);
    name
}

fn map_database_error(
    kind: DatabaseErrorKind,
    info: &dyn DatabaseErrorInformation,
) -> Option<StoreError> {
    let table = info.table_name().unwrap_or_default();
    let entity = entity_of(table);
    let constraint = info.constraint_name().unwrap_or_default();
    Some(match kind {
        DatabaseErrorKind::CheckViolation => {
            let (_, table, field) = CHECK_CONSTRAINTS
                .iter()
                .find(|(name, _, _)| *name == constraint)?;
            invalid(
                entity_of(table),
                field,
                format!("violates {constraint}: {}", info.message()),
            )
        }
        DatabaseErrorKind::NotNullViolation => {
            let column = info.column_name().unwrap_or("?");
            invalid(entity, static_field(column), "must not be null".into())
        }
        DatabaseErrorKind::ForeignKeyViolation => {
            // Our foreign keys keep PostgreSQL's default name: <table>_<column>_fkey.
            let column = constraint
                .strip_prefix(table)
                .and_then(|c| c.strip_prefix('_'))
                .and_then(|c| c.strip_suffix("_fkey"))
                .unwrap_or(constraint);
            invalid(
                entity,
                static_field(column),
                format!("refers to a row that does not exist ({})", info.message()),
            )
        }
        DatabaseErrorKind::UniqueViolation => StoreError::Conflict {
            entity,
            reason: format!(
                "{constraint} is already taken: {}",
                info.details().unwrap_or(info.message())
            ),
        },
        DatabaseErrorKind::SerializationFailure => StoreError::Conflict {
            entity,
            reason: format!("concurrent change: {}", info.message()),
        },
        DatabaseErrorKind::ClosedConnection => StoreError::Unavailable(info.message().to_owned()),
        // Diesel does not expose the SQLSTATE; PostgreSQL's texts for 42501 are stable.
        DatabaseErrorKind::Unknown
            if info
                .message()
                .starts_with("canceling statement due to statement timeout")
                || info
                    .message()
                    .starts_with("canceling statement due to lock timeout") =>
        {
            StoreError::Timeout(info.message().to_owned())
        }
        DatabaseErrorKind::Unknown if is_permission_denied(info.message()) => {
            StoreError::PermissionDenied(info.message().to_owned())
        }
        _ => return None,
    })
}

/// Whether a server message is one of PostgreSQL's refusals of SQLSTATE 42501.
pub fn is_permission_denied(message: &str) -> bool {
    message.starts_with("permission denied")
        || message.starts_with("must be owner of")
        || message.contains("violates row-level security policy")
}

impl From<DieselError> for StoreError {
    fn from(e: DieselError) -> Self {
        match &e {
            DieselError::DatabaseError(kind, info) => {
                map_database_error(*kind, info.as_ref()).unwrap_or(StoreError::Database(e))
            }
            DieselError::NotFound => StoreError::NotFound {
                entity: "row",
                key: "?".into(),
            },
            DieselError::BrokenTransactionManager => {
                StoreError::Unavailable("the connection's transaction state is broken".into())
            }
            _ => StoreError::Database(e),
        }
    }
}

impl From<diesel::r2d2::PoolError> for StoreError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        StoreError::Unavailable(e.to_string())
    }
}
