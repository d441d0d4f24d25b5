#![doc = include_str!("../README.md")]

pub mod error;
pub mod grants;
pub mod roles;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;
use grid_timescale::RollupKind;

pub use error::{AccessError, AccessResult};
pub use roles::{DEFAULT_PREFIX, Role, RoleNames};

/// The advisory lock that serialises two applies on one database (any constant of ours).
const ACCESS_LOCK: i64 = 0x6772_6964_6163_0001;

/// What [`apply`] did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AccessReport {
    /// Roles created now (the others existed).
    pub created_roles: Vec<String>,
    /// Relations granted from the matrix.
    pub granted: usize,
    /// Relations of schema `public` without a row in [`grants::MATRIX`]: nobody but their
    /// owner may use them (a migration forgot its grants).
    pub unlisted: Vec<String>,
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

/// Creates the roles that are missing, then (in one transaction) the zone functions, the
/// row-level policies and zone views, and every grant of the matrix, revoking whatever else
/// the roles held in schema `public`. Idempotent; run it after migrations and
/// [`grid_timescale::setup()`] (it needs the rollups), and again after every migration.
/// Needs `CREATEROLE` when a role is missing, and ownership of the tables.
pub fn apply(conn: &mut PgConnection, names: &RoleNames) -> AccessResult<AccessReport> {
    let _span = tracing::info_span!("access", prefix = names.prefix()).entered();
    let created_roles = roles::ensure(conn, names)?;
    let kind = grid_timescale::state(conn)?.rollups;
    conn.batch_execute(&format!("SELECT pg_advisory_lock({ACCESS_LOCK})"))?;
    let result = conn.transaction(|c| {
        c.batch_execute(&zones_sql(names))
            .map_err(|e| AccessError::denied("set up access by zone", "ownership", e))?;
        grant_all(c, names, kind)
    });
    let unlocked = conn.batch_execute(&format!("SELECT pg_advisory_unlock({ACCESS_LOCK})"));
    let (granted, unlisted) = result?;
    unlocked?;
    if !unlisted.is_empty() {
        tracing::warn!(?unlisted, "relations without grants");
    }
    Ok(AccessReport {
        created_roles,
        granted,
        unlisted,
    })
}

/// Reverses [`apply`] in this database: the views, policies and functions dropped, every
/// privilege of the roles in it revoked. The roles stay (they are cluster-wide and may
/// serve other databases).
pub fn remove(conn: &mut PgConnection, names: &RoleNames) -> AccessResult<()> {
    conn.transaction(|c| {
        c.batch_execute(include_str!("zones_down.sql"))?;
        revoke_all(c, names)?;
        // PostgreSQL's default, which apply revoked.
        c.batch_execute(
            "DO $$ BEGIN
                 EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO PUBLIC', current_database());
             END $$;",
        )?;
        Ok(())
    })
}

fn zones_sql(names: &RoleNames) -> String {
    include_str!("zones.sql")
        .replace("{NATIONAL}", &names.national())
        .replace("{ZONE_PREFIX}", &names.zone_prefix())
        .replace("{POLLER}", &quoted(&names.of(Role::Poller)))
        .replace("{ANALYST}", &quoted(&names.of(Role::Analyst)))
        .replace("{OWNER}", &quoted(&names.of(Role::Owner)))
}

fn quoted(name: &str) -> String {
    format!("\"{name}\"")
}

fn revoke_all(conn: &mut PgConnection, names: &RoleNames) -> AccessResult<()> {
    let roles: Vec<String> = Role::ALL.iter().map(|r| quoted(&names.of(*r))).collect();
    let roles = roles.join(", ");
    conn.batch_execute(&format!(
        "REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {roles};
         REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {roles};
         REVOKE ALL ON SCHEMA public FROM {roles};
         REVOKE ALL ON ALL FUNCTIONS IN SCHEMA public FROM {roles};
         DO $$ BEGIN
             EXECUTE format('REVOKE ALL ON DATABASE %I FROM {roles}', current_database());
         END $$;"
    ))?;
    Ok(())
}

/// Grants the matrix; returns how many relations it granted and the relations it has no
/// row for.
fn grant_all(
    conn: &mut PgConnection,
    names: &RoleNames,
    kind: RollupKind,
) -> AccessResult<(usize, Vec<String>)> {
    revoke_all(conn, names)?;
    let q = |r: Role| quoted(&names.of(r));
    let all: Vec<String> = Role::ALL.iter().map(|r| q(*r)).collect();
    conn.batch_execute(&format!(
        "GRANT USAGE ON SCHEMA public TO {all};
         GRANT CREATE ON SCHEMA public TO {owner};
         DO $$ BEGIN
             EXECUTE format('GRANT CONNECT ON DATABASE %I TO {all}', current_database());
             EXECUTE format('GRANT CREATE, TEMPORARY ON DATABASE %I TO {owner}',
                            current_database());
             EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO {ingest}', current_database());
             -- PostgreSQL grants TEMP to PUBLIC by default: the read-only roles (and any
             -- login) would keep creating temporary objects. Only the roles above need it.
             EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
         END $$;",
        all = all.join(", "),
        owner = q(Role::Owner),
        ingest = [q(Role::Writer), q(Role::Poller), q(Role::Analyst)].join(", "),
    ))?;
    let present = relations(conn)?;
    let mut granted = 0;
    for grant in grants::MATRIX {
        if !present.iter().any(|p| p == grant.relation) {
            continue;
        }
        // The relation's sequences, looked up once for every role that inserts.
        let sequences = sequences_of(conn, grant.relation)?;
        let mut sql = String::new();
        for role in Role::ALL {
            let privileges = grants::privileges(grant, role, kind);
            if privileges.is_empty() {
                continue;
            }
            sql.push_str(&format!(
                "GRANT {privileges} ON {} TO {};\n",
                quoted(grant.relation),
                q(role)
            ));
            if role == Role::Owner || privileges.contains("INSERT") {
                for seq in &sequences {
                    sql.push_str(&format!(
                        "GRANT USAGE ON SEQUENCE {} TO {};\n",
                        quoted(seq),
                        q(role)
                    ));
                }
            }
        }
        conn.batch_execute(&sql)?;
        granted += 1;
    }
    for (function, roles) in grants::DEFINER_FUNCTIONS {
        if exists_function(conn, function)? {
            let to: Vec<String> = roles.iter().map(|r| q(*r)).collect();
            conn.batch_execute(&format!(
                "GRANT EXECUTE ON FUNCTION {function} TO {}",
                to.join(", ")
            ))?;
        }
    }
    let unlisted = present
        .into_iter()
        .filter(|p| grants::of(p).is_none())
        .collect();
    Ok((granted, unlisted))
}

/// The tables, views and materialized views of schema `public`.
pub fn relations(conn: &mut PgConnection) -> QueryResult<Vec<String>> {
    Ok(diesel::sql_query(
        "SELECT c.relname AS name FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
          ORDER BY 1",
    )
    .load::<Name>(conn)?
    .into_iter()
    .map(|n| n.name)
    .collect())
}

fn exists_function(conn: &mut PgConnection, signature: &str) -> QueryResult<bool> {
    #[derive(QueryableByName)]
    struct E {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        e: bool,
    }
    Ok(
        diesel::sql_query("SELECT to_regprocedure($1) IS NOT NULL AS e")
            .bind::<Text, _>(signature)
            .get_result::<E>(conn)?
            .e,
    )
}

/// The sequences behind `table`'s serial and identity columns.
fn sequences_of(conn: &mut PgConnection, table: &str) -> QueryResult<Vec<String>> {
    Ok(diesel::sql_query(
        "SELECT s.relname AS name FROM pg_class s
           JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid
                           AND d.deptype IN ('a', 'i')
           JOIN pg_class t ON t.oid = d.refobjid
           JOIN pg_namespace n ON n.oid = s.relnamespace
          WHERE s.relkind = 'S' AND n.nspname = 'public' AND t.relname = $1",
    )
    .bind::<Text, _>(table)
    .load::<Name>(conn)?
    .into_iter()
    .map(|n| n.name)
    .collect())
}
