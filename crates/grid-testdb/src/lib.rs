#![doc = include_str!("../README.md")]

mod bench;
pub mod cluster;
pub mod inspect;
pub mod install;
pub mod mode;
mod process;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use anyhow::{Context, bail};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool};

pub use bench::BenchDatabase;
pub use cluster::{Cluster, ClusterOptions};
pub use inspect::{count, schema_facts, schema_snapshot, sqlstate_of, text};
pub use install::PgInstall;
pub use mode::Mode;

/// The server a test run uses: a throwaway cluster, or the one `TEST_DATABASE_URL` names.
pub struct Server {
    admin_url: String,
    mode: Mode,
    cluster: Option<Cluster>,
    /// Drops our databases on an external server when the process ends.
    watchdog: Option<cluster::Watchdog>,
    version_num: i64,
    templates: Mutex<HashMap<&'static str, String>>,
    counter: AtomicU64,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the URL: it holds a password.
        f.debug_struct("Server")
            .field("mode", &self.mode)
            .field("throwaway", &self.cluster.is_some())
            .finish()
    }
}

static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();

/// The process-wide test server, started on first use.
///
/// With `TEST_DATABASE_URL` (a superuser URL) the suite runs against that server, in the mode
/// `GRID_TEST_MODE` asks for (default: with TimescaleDB when the server preloads it).
/// Otherwise a throwaway cluster is started in the `GRID_TEST_MODE` mode (default: the best the
/// local installation offers). Panics with the reason when no server can be had: a test that
/// cannot reach its database must fail, not skip.
pub fn server() -> &'static Server {
    match SERVER.get_or_init(|| Server::start().map_err(|e| format!("{e:#}"))) {
        Ok(s) => s,
        Err(e) => panic!("grid-testdb: no test server: {e}"),
    }
}

impl Server {
    fn start() -> anyhow::Result<Server> {
        let requested = Mode::from_env()?;
        let (admin_url, mode, cluster, watchdog) = match std::env::var("TEST_DATABASE_URL") {
            Ok(url) if !url.trim().is_empty() => {
                let mut conn =
                    PgConnection::establish(&url).context("connecting to TEST_DATABASE_URL")?;
                let mode = match requested {
                    Some(m) => m,
                    None if server_preloads_timescaledb(&mut conn)? => Mode::Apache,
                    None => Mode::Plain,
                };
                let psql = PgInstall::locate()
                    .map(|i| i.bin("psql"))
                    .unwrap_or_else(|_| "psql".into());
                let watchdog = cluster::Watchdog::for_external_server(&psql, &url)?;
                (url, mode, None, Some(watchdog))
            }
            _ => {
                let mode = match requested {
                    Some(m) => m,
                    None => best_local_mode()?,
                };
                let cluster = Cluster::start(&ClusterOptions::for_tests(mode))?;
                (cluster.url("postgres"), mode, Some(cluster), None)
            }
        };
        let mut conn = PgConnection::establish(&admin_url).context("connecting as admin")?;
        let version_num = diesel::select(diesel::dsl::sql::<BigInt>(
            "current_setting('server_version_num')::bigint",
        ))
        .get_result(&mut conn)?;
        Ok(Server {
            admin_url,
            mode,
            cluster,
            watchdog,
            version_num,
            templates: Mutex::new(HashMap::new()),
            counter: AtomicU64::new(0),
        })
    }

    /// The mode this run asked for. Tests check the server really is in it
    /// (see grid-timescale's capability detection).
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The throwaway cluster, when the run is not against `TEST_DATABASE_URL`.
    pub fn cluster(&self) -> Option<&Cluster> {
        self.cluster.as_ref()
    }

    /// A superuser URL for `database` on this server.
    pub fn url(&self, database: &str) -> String {
        with_database(&self.admin_url, database)
    }

    fn admin(&self) -> anyhow::Result<PgConnection> {
        PgConnection::establish(&self.admin_url).context("connecting as admin")
    }

    fn unique_name(&self, kind: &str) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let rand = uuid::Uuid::new_v4().simple().to_string();
        format!("gs_{kind}_{}_{n}_{}", std::process::id(), &rand[..6])
    }

    fn forget_on_exit(&self, database: &str) -> anyhow::Result<()> {
        if let Some(w) = &self.watchdog {
            w.drop_on_exit(database)?;
        }
        Ok(())
    }

    /// The template for `spec`, created and set up on first use in this process.
    fn template(&self, spec: &Template) -> anyhow::Result<String> {
        // Held while the template is built: tests needing it wait instead of racing.
        let mut templates = self.templates.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(name) = templates.get(spec.name) {
            return Ok(name.clone());
        }
        let name = self.unique_name(&format!("tpl_{}", spec.name));
        self.forget_on_exit(&name)?;
        let mut admin = self.admin()?;
        admin.batch_execute(&format!("CREATE DATABASE \"{name}\""))?;
        {
            let mut conn = PgConnection::establish(&self.url(&name))?;
            if self.mode.has_timescaledb() {
                create_timescaledb(&mut conn)
                    .context("CREATE EXTENSION timescaledb in the template")?;
            }
            (spec.setup)(&mut conn)
                .with_context(|| format!("setting up template {}", spec.name))?;
        }
        // Nobody may connect to a template while it is cloned; TimescaleDB's scheduler on an
        // external server would otherwise block CREATE DATABASE … TEMPLATE.
        admin.batch_execute(&format!(
            "ALTER DATABASE \"{name}\" WITH ALLOW_CONNECTIONS false IS_TEMPLATE true;
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}';"
        ))?;
        templates.insert(spec.name, name.clone());
        Ok(name)
    }

    fn clone_template(&self, template: &str) -> anyhow::Result<String> {
        let name = self.unique_name("t");
        self.forget_on_exit(&name)?;
        let strategy = if self.version_num >= 150000 {
            " STRATEGY = FILE_COPY"
        } else {
            ""
        };
        let sql = format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"{strategy}");
        let mut admin = self.admin()?;
        // A backend we just terminated may linger for a moment.
        for attempt in 0.. {
            match admin.batch_execute(&sql) {
                Ok(()) => return Ok(name),
                Err(e) if attempt < 50 && e.to_string().contains("accessed by other users") => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(e) => return Err(e).context(format!("cloning {template}")),
            }
        }
        unreachable!()
    }
}

/// Creates TimescaleDB in the connected database when the server preloads it, at the version
/// the server's mode runs (see [`PgInstall::timescaledb_version_for`]: under the apache licence
/// Debian's Apache-only build where installed, under the community licence the newest build
/// with the TSL module); on a server whose versions this machine does not know, the control
/// file's default. Returns the version now installed, `None` without TimescaleDB.
pub fn create_timescaledb(conn: &mut PgConnection) -> anyhow::Result<Option<String>> {
    if !server_preloads_timescaledb(conn)? {
        return Ok(None);
    }
    let license = text(
        conn,
        "SELECT coalesce(current_setting('timescaledb.license', true), 'timescale') AS v",
    );
    let mode = if license == "apache" {
        Mode::Apache
    } else {
        Mode::Community
    };
    let wanted = PgInstall::locate()
        .ok()
        .and_then(|i| i.timescaledb_version_for(mode));
    // Only a version this server has scripts for (an external server is another install).
    let wanted = wanted.filter(|v| {
        count(
            conn,
            &format!(
                "SELECT count(*) AS n FROM pg_available_extension_versions
                  WHERE name = 'timescaledb' AND version = '{}'",
                v.replace('\'', "''")
            ),
        ) > 0
    });
    conn.batch_execute(&install::create_timescaledb_sql(wanted.as_deref()))?;
    Ok(Some(text(
        conn,
        "SELECT extversion AS v FROM pg_extension WHERE extname = 'timescaledb'",
    )))
}

fn server_preloads_timescaledb(conn: &mut PgConnection) -> anyhow::Result<bool> {
    Ok(diesel::select(diesel::dsl::sql::<Bool>(
        "current_setting('shared_preload_libraries') LIKE '%timescaledb%'",
    ))
    .get_result(conn)?)
}

/// The best mode the local installation can run.
pub fn best_local_mode() -> anyhow::Result<Mode> {
    let install = PgInstall::locate()?;
    Ok(if install.has_timescaledb_tsl() {
        Mode::Community
    } else if install.has_timescaledb() {
        Mode::Apache
    } else {
        Mode::Plain
    })
}

/// Replaces the database of a `postgres://` URL, keeping user, host and parameters.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_start = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_end = base[authority_start..]
        .find('/')
        .map(|i| authority_start + i)
        .unwrap_or(base.len());
    let mut out = format!("{}/{database}", &base[..host_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// How to build a template database: a name (one template per name and process) and the
/// setup run once in it, e.g. the migrations.
#[derive(Clone, Copy)]
pub struct Template {
    /// Short identifier, part of the template database's name.
    pub name: &'static str,
    /// Runs once in the new template (after `CREATE EXTENSION timescaledb` in modes 2 and 3).
    pub setup: fn(&mut PgConnection) -> anyhow::Result<()>,
}

/// A template with nothing in it but the extension of the mode.
pub const EMPTY: Template = Template {
    name: "empty",
    setup: |_| Ok(()),
};

/// A fresh database for one test, cloned from a template; dropped when this value is.
pub struct TestDb {
    name: String,
    server: &'static Server,
}

impl std::fmt::Debug for TestDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestDb").field("name", &self.name).finish()
    }
}

impl TestDb {
    /// A new database cloned from `template` on the process-wide [`server`].
    pub fn new(template: &Template) -> TestDb {
        let server = server();
        let created = server
            .template(template)
            .and_then(|tpl| server.clone_template(&tpl));
        match created {
            Ok(name) => TestDb { name, server },
            Err(e) => panic!("grid-testdb: cannot create a test database: {e:#}"),
        }
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A superuser URL to this database.
    pub fn url(&self) -> String {
        self.server.url(&self.name)
    }

    /// The mode of the server this database lives on.
    pub fn mode(&self) -> Mode {
        self.server.mode
    }

    /// A new connection to this database.
    pub fn conn(&self) -> PgConnection {
        PgConnection::establish(&self.url())
            .unwrap_or_else(|e| panic!("connecting to test database {}: {e}", self.name))
    }
}

impl TestDb {
    /// A new login role (random name and password) that is a member of `member_of`, with a
    /// URL to this database as it; the role is dropped with the returned value.
    pub fn login(&self, member_of: &[String]) -> Login {
        let name = self.server.unique_name("login");
        let password = uuid::Uuid::new_v4().simple().to_string();
        let mut sql = format!("CREATE ROLE \"{name}\" LOGIN PASSWORD '{password}';");
        for group in member_of {
            sql.push_str(&format!("GRANT \"{group}\" TO \"{name}\";"));
        }
        self.conn()
            .batch_execute(&sql)
            .unwrap_or_else(|e| panic!("creating login {name}: {e}"));
        let url = with_user(&self.url(), &name, &password);
        Login {
            name,
            url,
            server: self.server,
        }
    }
}

/// A login role made by [`TestDb::login`], dropped with this value.
pub struct Login {
    /// The role's name.
    pub name: String,
    url: String,
    server: &'static Server,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login").field("name", &self.name).finish()
    }
}

impl Login {
    /// A URL to the test database as this login (holds its password).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A new connection as this login.
    pub fn conn(&self) -> PgConnection {
        PgConnection::establish(&self.url)
            .unwrap_or_else(|e| panic!("connecting as {}: {e}", self.name))
    }
}

impl Drop for Login {
    fn drop(&mut self) {
        let dropped = self.server.admin().and_then(|mut c| {
            // Its sessions first (a test may still hold one), then the role.
            c.batch_execute(&format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{0}';
                 DROP ROLE IF EXISTS \"{0}\"",
                self.name
            ))
            .map_err(Into::into)
        });
        if let Err(e) = dropped {
            eprintln!("grid-testdb: could not drop login {}: {e:#}", self.name);
        }
    }
}

/// Replaces the user and password of a `postgres://` URL.
pub fn with_user(url: &str, user: &str, password: &str) -> String {
    let start = url.find("://").map(|i| i + 3).unwrap_or(0);
    let end = url[start..]
        .find('/')
        .map(|i| start + i)
        .unwrap_or(url.len());
    let host = match url[start..end].rfind('@') {
        Some(at) => &url[start + at + 1..end],
        None => &url[start..end],
    };
    format!("{}{user}:{password}@{host}{}", &url[..start], &url[end..])
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let dropped = self.server.admin().and_then(|mut c| {
            c.batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ))
            .map_err(Into::into)
        });
        if let Err(e) = dropped {
            // Not a panic inside drop; the watchdog or the cluster's end removes it anyway.
            eprintln!("grid-testdb: could not drop {}: {e:#}", self.name);
        }
    }
}

/// Fails unless `mode` is one the local installation can run (used by the test command to
/// decide which modes to run).
pub fn ensure_mode_available(mode: Mode) -> anyhow::Result<()> {
    let install = PgInstall::locate()?;
    let ok = match mode {
        Mode::Plain => true,
        Mode::Apache => install.has_timescaledb(),
        Mode::Community => install.has_timescaledb_tsl(),
    };
    if !ok {
        bail!(
            "mode {mode} is not available for PostgreSQL {}",
            install.major
        );
    }
    Ok(())
}

/// A database for a program (examples, tools): `DATABASE_URL` when set, otherwise a
/// throwaway cluster in the best mode installed (TimescaleDB created in its `postgres`
/// database), kept as long as the returned [`Cluster`] lives — and removed when the process
/// ends, however it ends. Says which on standard output, without the password.
pub fn database_url_or_throwaway() -> anyhow::Result<(Option<Cluster>, String)> {
    if let Ok(url) = std::env::var("DATABASE_URL")
        && !url.trim().is_empty()
    {
        println!("Using the database in DATABASE_URL ({})", redact(&url));
        return Ok((None, url));
    }
    let mode =
        best_local_mode().context("no PostgreSQL server binaries: run scripts/install-deps")?;
    let cluster = Cluster::start(&ClusterOptions {
        mode,
        timescaledb_background_workers: 8,
    })
    .context("starting the embedded PostgreSQL (run scripts/install-deps first)")?;
    println!(
        "No DATABASE_URL: started a throwaway PostgreSQL {} ({mode}) on 127.0.0.1:{}; it is removed when this program ends",
        cluster.install().major,
        cluster.port()
    );
    let url = cluster.url("postgres");
    if mode.has_timescaledb() {
        create_timescaledb(&mut PgConnection::establish(&url)?)?;
    }
    Ok((Some(cluster), url))
}

/// The URL without its password, for messages (grid-secrets' one redaction).
pub use grid_secrets::redact;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_database_keeps_everything_but_the_path() {
        assert_eq!(
            with_database("postgres://u:p@h:5/old?sslmode=disable", "new"),
            "postgres://u:p@h:5/new?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h", "db"), "postgres://h/db");
        assert_eq!(
            with_database("postgres://u@h:1/x", "y"),
            "postgres://u@h:1/y"
        );
    }
}
