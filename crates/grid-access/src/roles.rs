//! The roles: one per component, named with a configurable prefix, `NOLOGIN` (a DBA grants
//! them to login roles), created idempotently. Roles are cluster-wide, so they are made here
//! and not in a per-database migration.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use grid_model::GridZone;

use crate::error::{AccessError, AccessResult};

/// The prefix when none is configured.
pub const DEFAULT_PREFIX: &str = "grid_";

/// What a role is for.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Runs migrations, setup, refresh, retention and compression; may create in `public`.
    Owner,
    /// Ingest: readings in, nothing else changed.
    Writer,
    /// The SCADA poller and guard: ingest, their alerts, the security events they write.
    Poller,
    /// Reads everything; writes daily statistics, forecasts, anomaly and health results.
    Analyst,
    /// Dashboards: reads the grid's data, no bookkeeping or security tables.
    Reader,
    /// A regional control centre: its zones only (with `zone_*` membership), alerts
    /// acknowledged, readings through the zone views.
    Regional,
}

impl Role {
    /// Every role, in the order of the README's matrix.
    pub const ALL: [Role; 6] = [
        Role::Owner,
        Role::Writer,
        Role::Poller,
        Role::Analyst,
        Role::Reader,
        Role::Regional,
    ];

    /// The role's name without the prefix.
    pub fn suffix(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Writer => "writer",
            Role::Poller => "poller",
            Role::Analyst => "analyst",
            Role::Reader => "reader",
            Role::Regional => "regional",
        }
    }

    /// The session limits a program of this role sets on its connections
    /// ([`grid_store::SessionLimits`]): long enough for its largest regular statement (an
    /// ingest batch, a day's statistics, a dashboard query), short enough that a runaway
    /// statement or a forgotten transaction cannot hold locks that stop ingest. The owner's
    /// migrations have no statement limit.
    pub fn session_limits(self) -> grid_store::SessionLimits {
        let (statement, idle) = match self {
            Role::Owner => (None, 600),
            Role::Writer => (Some(60), 60),
            Role::Poller => (Some(30), 30),
            Role::Analyst => (Some(900), 300),
            Role::Reader | Role::Regional => (Some(30), 30),
        };
        grid_store::SessionLimits {
            statement_timeout: statement.map(std::time::Duration::from_secs),
            idle_in_transaction_timeout: Some(std::time::Duration::from_secs(idle)),
        }
    }

    /// Whether it sees every zone (members of the national marker role).
    pub fn is_national(self) -> bool {
        self != Role::Regional
    }
}

/// The names of the roles under one prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleNames {
    prefix: String,
}

impl Default for RoleNames {
    fn default() -> Self {
        RoleNames {
            prefix: DEFAULT_PREFIX.to_owned(),
        }
    }
}

impl RoleNames {
    /// Names under `prefix`: lowercase ASCII letters, digits and `_`, starting with a letter,
    /// at most 40 characters (so every name fits PostgreSQL's 63).
    pub fn new(prefix: &str) -> AccessResult<RoleNames> {
        let ok = !prefix.is_empty()
            && prefix.len() <= 40
            && prefix.starts_with(|c: char| c.is_ascii_lowercase())
            && prefix
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !ok {
            return Err(AccessError::Config(format!(
                "role prefix {prefix:?}: lowercase letters, digits and _, starting with a \
                 letter, at most 40 characters"
            )));
        }
        Ok(RoleNames {
            prefix: prefix.to_owned(),
        })
    }

    /// The prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The name of `role`.
    pub fn of(&self, role: Role) -> String {
        format!("{}{}", self.prefix, role.suffix())
    }

    /// The marker role whose members see every zone.
    pub fn national(&self) -> String {
        format!("{}national", self.prefix)
    }

    /// The marker role whose members see `zone`.
    pub fn zone(&self, zone: GridZone) -> String {
        format!("{}{}", self.zone_prefix(), zone.as_str())
    }

    /// What every zone role's name starts with.
    pub fn zone_prefix(&self) -> String {
        format!("{}zone_", self.prefix)
    }

    /// Every name this prefix owns: the roles, the national marker, the zones.
    pub fn all(&self) -> Vec<String> {
        let mut v: Vec<String> = Role::ALL.iter().map(|r| self.of(*r)).collect();
        v.push(self.national());
        v.extend(GridZone::ALL.iter().map(|z| self.zone(*z)));
        v
    }
}

#[derive(QueryableByName)]
struct Exists {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    e: bool,
}

fn role_exists(conn: &mut PgConnection, name: &str) -> QueryResult<bool> {
    Ok(
        diesel::sql_query("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AS e")
            .bind::<diesel::sql_types::Text, _>(name)
            .get_result::<Exists>(conn)?
            .e,
    )
}

fn is_member(conn: &mut PgConnection, member: &str, group: &str) -> QueryResult<bool> {
    Ok(diesel::sql_query(
        "SELECT EXISTS (SELECT 1 FROM pg_auth_members m
                          JOIN pg_roles g ON g.oid = m.roleid
                          JOIN pg_roles u ON u.oid = m.member
                         WHERE g.rolname = $1 AND u.rolname = $2) AS e",
    )
    .bind::<diesel::sql_types::Text, _>(group)
    .bind::<diesel::sql_types::Text, _>(member)
    .get_result::<Exists>(conn)?
    .e)
}

/// Creates the roles that do not exist yet and makes the national ones members of the
/// national marker; returns the roles created now. Looks before it writes, so it needs
/// `CREATEROLE` only when something is missing; two processes doing it at once both succeed
/// (role names are unique cluster-wide: the loser's duplicate is ignored).
pub fn ensure(conn: &mut PgConnection, names: &RoleNames) -> AccessResult<Vec<String>> {
    let mut created = Vec::new();
    for name in names.all() {
        if role_exists(conn, &name)? {
            continue;
        }
        conn.batch_execute(&format!(
            "DO $$ BEGIN CREATE ROLE \"{name}\" NOLOGIN;
             EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
        ))
        .map_err(|e| AccessError::denied("create the roles", "CREATEROLE", e))?;
        created.push(name);
    }
    let national = names.national();
    for role in Role::ALL.into_iter().filter(|r| r.is_national()) {
        let member = names.of(role);
        if !is_member(conn, &member, &national)? {
            conn.batch_execute(&format!(
                "DO $$ BEGIN GRANT \"{national}\" TO \"{member}\";
                 EXCEPTION WHEN unique_violation THEN NULL; END $$"
            ))
            .map_err(|e| AccessError::denied("grant the national role", "CREATEROLE", e))?;
        }
    }
    Ok(created)
}
