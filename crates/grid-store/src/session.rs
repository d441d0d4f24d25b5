//! Server-side limits on a session: how long one statement may run and how long a
//! transaction may sit idle holding its locks. PostgreSQL applies `ALTER ROLE … SET` only to
//! the role a session logs in as, not to the group roles it is a member of, so the limits
//! are set here on each connection (and a DBA may also set them on the login roles).

use std::time::Duration;

use diesel::PgConnection;
use diesel::connection::SimpleConnection;

/// The limits set on every connection a store opens (`None`: the server's setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct SessionLimits {
    /// `statement_timeout`: a statement running longer is cancelled
    /// ([`crate::StoreError::Timeout`]); nothing it did is kept.
    pub statement_timeout: Option<Duration>,
    /// `idle_in_transaction_session_timeout`: a session idle inside a transaction longer is
    /// closed by the server, releasing its locks.
    pub idle_in_transaction_timeout: Option<Duration>,
}

impl SessionLimits {
    /// The `SET` statements for these limits.
    pub fn sql(&self) -> String {
        let mut sql = String::new();
        if let Some(t) = self.statement_timeout {
            sql.push_str(&format!("SET statement_timeout = {};", t.as_millis()));
        }
        if let Some(t) = self.idle_in_transaction_timeout {
            sql.push_str(&format!(
                "SET idle_in_transaction_session_timeout = {};",
                t.as_millis()
            ));
        }
        sql
    }

    /// Sets the limits on `conn` (for the rest of the session).
    pub fn apply(&self, conn: &mut PgConnection) -> diesel::QueryResult<()> {
        let sql = self.sql();
        if sql.is_empty() {
            return Ok(());
        }
        conn.batch_execute(&sql)
    }
}

/// Sets a store's [`SessionLimits`] on each connection its pool opens.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ApplyLimits(pub(crate) SessionLimits);

impl diesel::r2d2::CustomizeConnection<PgConnection, diesel::r2d2::Error> for ApplyLimits {
    fn on_acquire(&self, conn: &mut PgConnection) -> Result<(), diesel::r2d2::Error> {
        self.0.apply(conn).map_err(diesel::r2d2::Error::QueryError)
    }
}
