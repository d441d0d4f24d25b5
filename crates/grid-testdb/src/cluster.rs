//! A private, throwaway PostgreSQL cluster that lives exactly as long as its owning process.
//!
//! Why not the `pgtemp` crate: it runs as root by chowning to `postgres`, but it stops the
//! server in `Drop`, which never runs for a `static` (Rust does not drop statics, and the test
//! harness leaves through `process::exit`), and it cannot reap clusters of a killed run. Here a
//! *watchdog* process holds the read end of a pipe whose write end only the owning process
//! holds; when the owner ends in any way (return, panic, `process::exit`, SIGKILL) the kernel
//! closes the pipe, the watchdog reads EOF, stops the server and deletes its files. Clusters
//! whose watchdog was killed too are reaped by the next [`Cluster::start`] through the owner
//! record in their directory.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::Mutex;

use anyhow::{Context, bail};

use crate::install::PgInstall;
use crate::mode::Mode;

/// Directory-name prefix of every cluster this crate makes under the temp directory.
const BASE_PREFIX: &str = "gridsentinel-pg-";
/// How many free-probed ports a start tries before giving up.
const PORT_ATTEMPTS: usize = 20;
/// The database superuser of a throwaway cluster.
pub const SUPERUSER: &str = "postgres";
/// The unprivileged OS user the server runs as when the caller is root (initdb refuses root).
const OS_USER_WHEN_ROOT: &str = "postgres";

/// How to configure a throwaway cluster.
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// Which server to start. `Apache` and `Community` preload TimescaleDB.
    pub mode: Mode,
    /// `timescaledb.max_background_workers`. Tests use 0: the job scheduler connects to every
    /// database and would block `CREATE DATABASE … TEMPLATE`. Long-running services want more.
    pub timescaledb_background_workers: u32,
}

impl ClusterOptions {
    /// Options for a test run in `mode`.
    pub fn for_tests(mode: Mode) -> Self {
        ClusterOptions {
            mode,
            timescaledb_background_workers: 0,
        }
    }
}

/// The watchdog's script. It collects database names to drop (used for external servers),
/// waits for EOF on stdin (the owner is gone), then cleans up. Settings come from the
/// environment so that no password appears in a process listing.
const WATCHDOG_SCRIPT: &str = r#"
dbs=''
while IFS= read -r line; do dbs="$dbs $line"; done
if [ -n "${GS_ADMIN_URL:-}" ]; then
  for db in $dbs; do
    # A template must stop being one before it can be dropped.
    PGCONNECT_TIMEOUT=5 "$GS_PSQL" -X -q -d "$GS_ADMIN_URL" \
      -c "ALTER DATABASE \"$db\" IS_TEMPLATE false" \
      -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1
  done
fi
if [ -n "${GS_BASE:-}" ]; then
  if [ -f "$GS_BASE/data/postmaster.pid" ]; then
    $GS_RUNAS "$GS_PGCTL" -D "$GS_BASE/data" stop -m immediate -w -t 60 >/dev/null 2>&1
  fi
  rm -rf "$GS_BASE"
fi
if [ -n "${GS_RECORD:-}" ]; then rm -f "$GS_RECORD"; fi
"#;

/// A cleanup process that acts when its owner's end of a pipe closes.
#[derive(Debug)]
pub struct Watchdog {
    stdin: Mutex<ChildStdin>,
    pid: u32,
}

impl Watchdog {
    fn spawn(envs: &[(&str, String)]) -> anyhow::Result<Watchdog> {
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(WATCHDOG_SCRIPT)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Own process group: a Ctrl-C in the terminal must reach the owner, not the
            // watchdog, so that the watchdog lives on to clean up after it.
            .process_group(0);
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().context("starting the cleanup watchdog (sh)")?;
        let stdin = child.stdin.take().context("watchdog stdin")?;
        Ok(Watchdog {
            stdin: Mutex::new(stdin),
            pid: child.id(),
        })
        // `child` is dropped without waiting: the watchdog must outlive us.
    }

    /// Spawns a watchdog that drops the registered databases on `admin_url` when this process
    /// ends (used with an external server, where there is no cluster to throw away).
    pub fn for_external_server(psql: &Path, admin_url: &str) -> anyhow::Result<Watchdog> {
        Self::spawn(&[
            ("GS_ADMIN_URL", admin_url.to_owned()),
            ("GS_PSQL", psql.display().to_string()),
        ])
    }

    /// Asks the watchdog to drop `database` when the owner ends, if it still exists then.
    pub fn drop_on_exit(&self, database: &str) -> anyhow::Result<()> {
        let mut stdin = self.stdin.lock().unwrap_or_else(|e| e.into_inner());
        writeln!(stdin, "{database}").context("telling the watchdog")?;
        Ok(())
    }

    /// The watchdog's process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }
}

/// A running throwaway cluster. Only its owner can reach it: its directories (data and
/// socket) are mode 0700, the socket 0700, and every connection, local or TCP, needs the
/// random password (SCRAM); `Debug` hides it.
pub struct Cluster {
    base: PathBuf,
    port: u16,
    password: String,
    install: PgInstall,
    mode: Mode,
    watchdog: Watchdog,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("base", &self.base)
            .field("port", &self.port)
            .field("password", &grid_secrets::HIDDEN)
            .field("mode", &self.mode)
            .finish()
    }
}

/// Makes `dir` readable, writable and searchable by its owner only.
fn owner_only(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .with_context(|| format!("making {} private", dir.display()))
}

impl Cluster {
    /// The directory of the server's socket (owner-only).
    pub fn socket_dir(&self) -> PathBuf {
        self.base.join("sock")
    }

    /// Initialises and starts a private cluster on a free loopback port.
    pub fn start(options: &ClusterOptions) -> anyhow::Result<Cluster> {
        let install = PgInstall::locate()?;
        if options.mode.has_timescaledb() && !install.has_timescaledb() {
            bail!(
                "mode {} needs TimescaleDB, which is not installed for PostgreSQL {} \
                 (run scripts/install-deps)",
                options.mode,
                install.major
            );
        }
        if options.mode == Mode::Community && !install.has_timescaledb_tsl() {
            bail!(
                "mode community needs TimescaleDB's community (TSL) module, which is not installed"
            );
        }
        reap_stale_clusters();

        let as_root = running_as_root();
        let base = std::env::temp_dir().join(format!(
            "{BASE_PREFIX}{}-{}",
            std::process::id(),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        ));
        std::fs::create_dir_all(&base).with_context(|| format!("creating {}", base.display()))?;
        owner_only(&base)?;
        std::fs::write(base.join("owner"), owner_stamp(std::process::id())?)?;
        let record = record_path(&base);
        if let Some(dir) = record.parent() {
            // Best effort: the record only helps a person find the cluster.
            let _ = std::fs::create_dir_all(dir);
            let _ = std::fs::write(&record, format!("{}\n", base.display()));
        }
        let runas = if as_root {
            format!("runuser -u {OS_USER_WHEN_ROOT} --")
        } else {
            String::new()
        };
        // The watchdog exists before the server does, so no exit path can leak the server.
        let watchdog = Watchdog::spawn(&[
            ("GS_BASE", base.display().to_string()),
            ("GS_RUNAS", runas),
            ("GS_PGCTL", install.bin("pg_ctl").display().to_string()),
            ("GS_RECORD", record.display().to_string()),
        ])?;

        let password = uuid::Uuid::new_v4().simple().to_string();
        let data = base.join("data");
        let sock = base.join("sock");
        std::fs::create_dir_all(&sock)?;
        owner_only(&sock)?;
        std::fs::write(base.join("pwfile"), format!("{password}\n"))?;
        if as_root {
            run(Command::new("chown")
                .args(["-R", OS_USER_WHEN_ROOT])
                .arg(&base))
            .context("giving the cluster directory to the postgres OS user (does it exist?)")?;
        }
        let mut cluster = Cluster {
            base,
            port: 0,
            password,
            install,
            mode: options.mode,
            watchdog,
        };
        run(cluster
            .as_server_user(&cluster.install.bin("initdb"))
            .arg("-D")
            .arg(&data)
            .args(["-U", SUPERUSER, "-E", "UTF8", "--no-locale", "--no-sync"])
            // Nothing is `trust`: another local user must not reach the server, even
            // through a socket it could find.
            .args(["--auth-local=scram-sha-256", "--auth-host=scram-sha-256"])
            .arg(format!(
                "--pwfile={}",
                cluster.base.join("pwfile").display()
            )))
        .context("initdb")?;
        let _ = std::fs::remove_file(cluster.base.join("pwfile"));

        let mut conf = std::fs::OpenOptions::new()
            .append(true)
            .open(data.join("postgresql.conf"))?;
        conf.write_all(cluster.settings(options, &sock).as_bytes())?;
        drop(conf);

        // The port is probed free, then bound by the server: should another process take it
        // in between, the server says "Address already in use" and we try another. Any other
        // failure is final.
        let log_path = cluster.base.join("server.log");
        for _ in 0..PORT_ATTEMPTS {
            cluster.port = free_loopback_port()?;
            let log_before = std::fs::metadata(&log_path).map_or(0, |m| m.len() as usize);
            let started = run(cluster
                .as_server_user(&cluster.install.bin("pg_ctl"))
                .arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(&log_path)
                .args(["-w", "-t", "60", "-o"])
                .arg(format!("-p {}", cluster.port))
                .arg("start"));
            let Err(e) = started else {
                return Ok(cluster);
            };
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            let this_attempt = log.get(log_before..).unwrap_or(&log);
            if !this_attempt.contains("Address already in use") {
                return Err(e).with_context(|| format!("starting PostgreSQL; server log:\n{log}"));
            }
            tracing::debug!(port = cluster.port, "port taken meanwhile; trying another");
        }
        bail!(
            "starting PostgreSQL: {PORT_ATTEMPTS} ports in a row were taken before the server could bind them"
        )
    }

    fn settings(&self, options: &ClusterOptions, sock: &Path) -> String {
        let mut s = format!(
            "\n# grid-testdb: a throwaway cluster; durability is not wanted here\n\
             listen_addresses = '127.0.0.1'\n\
             unix_socket_directories = '{}'\n\
             unix_socket_permissions = 0700\n\
             fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n\
             max_connections = 300\nshared_buffers = 256MB\nmax_wal_size = 4GB\n\
             log_min_messages = warning\n",
            sock.display()
        );
        if options.mode.has_timescaledb() {
            let workers = options.timescaledb_background_workers;
            s.push_str(&format!(
                "shared_preload_libraries = 'timescaledb'\n\
                 timescaledb.telemetry_level = off\n\
                 timescaledb.max_background_workers = {workers}\n\
                 max_worker_processes = {}\n",
                workers + 8
            ));
            // Mode 2 means the Apache edition everywhere, even where the TSL module exists.
            let license = if options.mode == Mode::Apache {
                "apache"
            } else {
                "timescale"
            };
            s.push_str(&format!("timescaledb.license = '{license}'\n"));
        }
        s
    }

    fn as_server_user(&self, program: &Path) -> Command {
        let mut cmd = if running_as_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", OS_USER_WHEN_ROOT, "--"]).arg(program);
            c
        } else {
            Command::new(program)
        };
        // The server must not sit in our process group: a Ctrl-C is for us; the watchdog
        // then stops the server in order.
        cmd.process_group(0);
        cmd
    }

    /// A connection URL for `database` as the superuser.
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://{SUPERUSER}:{}@127.0.0.1:{}/{database}",
            self.password, self.port
        )
    }

    /// The loopback port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The mode the cluster was started in.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The installation the cluster runs from.
    pub fn install(&self) -> &PgInstall {
        &self.install
    }

    /// The directory holding the cluster's data, socket and log.
    pub fn base_dir(&self) -> &Path {
        &self.base
    }

    /// The postmaster's process id, read from `postmaster.pid`.
    pub fn postmaster_pid(&self) -> Option<u32> {
        read_postmaster_pid(&self.base.join("data"))
    }

    /// The watchdog that stops this cluster when the owner ends.
    pub fn watchdog(&self) -> &Watchdog {
        &self.watchdog
    }

    /// Stops the server (fast shutdown), as an outage would; [`Cluster::restart`] brings it
    /// back on the same port. For tests of what clients do while the database is away.
    pub fn stop(&self) -> anyhow::Result<()> {
        run(self
            .as_server_user(&self.install.bin("pg_ctl"))
            .arg("-D")
            .arg(self.base.join("data"))
            .args(["stop", "-m", "fast", "-w", "-t", "60"]))
    }

    /// Starts the server again after [`Cluster::stop`], on the same port.
    pub fn restart(&self) -> anyhow::Result<()> {
        run(self
            .as_server_user(&self.install.bin("pg_ctl"))
            .arg("-D")
            .arg(self.base.join("data"))
            .arg("-l")
            .arg(self.base.join("server.log"))
            .args(["-w", "-t", "60", "-o"])
            .arg(format!("-p {}", self.port))
            .arg("start"))
    }
}

fn read_postmaster_pid(data: &Path) -> Option<u32> {
    std::fs::read_to_string(data.join("postmaster.pid"))
        .ok()?
        .lines()
        .next()?
        .trim()
        .parse()
        .ok()
}

/// Stops and deletes throwaway clusters whose owning process is gone (e.g. its watchdog was
/// killed too). Returns the directories reaped.
pub fn reap_stale_clusters() -> Vec<PathBuf> {
    let mut reaped = Vec::new();
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return reaped;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !name.to_string_lossy().starts_with(BASE_PREFIX) {
            continue;
        }
        let base = entry.path();
        // No owner record yet: a cluster being created right now. Leave it.
        let Ok(stamp) = std::fs::read_to_string(base.join("owner")) else {
            continue;
        };
        if owner_alive(&stamp) {
            continue;
        }
        let data = base.join("data");
        if let Some(pid) = read_postmaster_pid(&data) {
            tracing::warn!(dir = %base.display(), pid, "reaping a cluster left by a killed run");
            let pg_ctl = PgInstall::locate().map(|i| i.bin("pg_ctl"));
            if let Ok(pg_ctl) = pg_ctl {
                let mut cmd = if running_as_root() {
                    let mut c = Command::new("runuser");
                    c.args(["-u", OS_USER_WHEN_ROOT, "--"]).arg(pg_ctl);
                    c
                } else {
                    Command::new(pg_ctl)
                };
                let _ = run(cmd.arg("-D").arg(&data).args([
                    "stop",
                    "-m",
                    "immediate",
                    "-w",
                    "-t",
                    "60",
                ]));
            }
        }
        let _ = std::fs::remove_dir_all(&base);
        let _ = std::fs::remove_file(record_path(&base));
        reaped.push(base);
    }
    reaped
}

use crate::process::*;
pub use crate::process::{process_running, wait_for_exit};
