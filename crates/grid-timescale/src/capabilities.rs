//! What the connected server can do, read from the database itself.

use std::fmt;

use diesel::prelude::*;
use diesel::sql_types::{Bool, Integer, Nullable, Text};

/// The server mode, from the best to the plainest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerMode {
    /// PostgreSQL without the TimescaleDB extension in this database.
    Plain,
    /// TimescaleDB, Apache-2 edition: hypertables, chunks, `time_bucket`; no continuous
    /// aggregates, compression or policies.
    Apache,
    /// TimescaleDB community (TSL) edition: everything, including continuous aggregates,
    /// columnstore/compression and policies.
    Community,
}

impl ServerMode {
    /// The mode's short name, as the test command and reports print it.
    pub fn as_str(self) -> &'static str {
        match self {
            ServerMode::Plain => "plain",
            ServerMode::Apache => "apache",
            ServerMode::Community => "community",
        }
    }
}

impl fmt::Display for ServerMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What was detected on a connection.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Capabilities {
    /// The mode the features below follow.
    pub mode: ServerMode,
    /// PostgreSQL's `server_version`, e.g. `15.18 (Debian 15.18-0+deb12u1)`.
    pub postgres_version: String,
    /// PostgreSQL's `server_version_num`, e.g. 150018.
    pub postgres_version_num: i32,
    /// The installed extension version in this database, e.g. `2.19.3`.
    pub timescaledb_version: Option<String>,
    /// `timescaledb.license` as configured, for reports only (it proves nothing alone).
    pub license: Option<String>,
}

impl fmt::Display for Capabilities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (PostgreSQL {}", self.mode, self.postgres_version)?;
        if let Some(v) = &self.timescaledb_version {
            write!(f, ", TimescaleDB {v}")?;
        }
        f.write_str(")")
    }
}

#[derive(QueryableByName)]
struct Versions {
    #[diesel(sql_type = Integer)]
    version_num: i32,
    #[diesel(sql_type = Text)]
    version: String,
    #[diesel(sql_type = Nullable<Text>)]
    ts_version: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    license: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    tsl_schema: Option<String>,
}

/// Detects the server mode and versions.
pub fn detect(conn: &mut PgConnection) -> QueryResult<Capabilities> {
    // tsl_loaded() moved from _timescaledb_internal to _timescaledb_functions in 2.12.
    let v: Versions = diesel::sql_query(include_str!("capabilities.sql")).get_result(conn)?;
    let mode = match (&v.ts_version, &v.tsl_schema) {
        (None, _) => ServerMode::Plain,
        (Some(_), None) => ServerMode::Apache,
        (Some(_), Some(schema)) => {
            let loaded: bool =
                diesel::select(diesel::dsl::sql::<Bool>(&format!("{schema}.tsl_loaded()")))
                    .get_result(conn)?;
            if loaded {
                ServerMode::Community
            } else {
                ServerMode::Apache
            }
        }
    };
    Ok(Capabilities {
        mode,
        postgres_version: v.version,
        postgres_version_num: v.version_num,
        timescaledb_version: v.ts_version,
        license: v.license.filter(|l| !l.is_empty()),
    })
}
