//! The `sentinel` command line: every capability behind one program and one configuration
//! ([`crate::SentinelConfig`]). The database URL comes from `DATABASE_URL` or
//! `database.url_file`, never from an argument (`ps` shows arguments to every user).
//!
//! Exit codes: 0 done; 1 failed (the error says why); 2 bad arguments (clap's); 3 the
//! configuration or the server does not fit (a bad key, no URL, the wrong server mode).

mod commands;
mod demo;
mod engines;

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Parser, Subcommand, ValueEnum};

use crate::config::SentinelConfig;
use crate::error::ServiceError;
pub use grid_config::logging::{LogFormat, init_logging};

/// SmartGrid Sentinel: the grid's readings, rollups, statistics and health.
#[derive(Debug, Parser)]
#[command(name = "sentinel", version, about, propagate_version = true)]
pub struct Cli {
    /// A configuration file (TOML; the environment overrides it).
    #[arg(long, global = true, env = "SENTINEL_CONFIG")]
    pub config: Option<PathBuf>,
    /// Log lines as human text or JSON (filter with RUST_LOG).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Human)]
    pub log_format: LogFormat,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// How a result is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// An aligned table.
    Table,
    /// JSON.
    Json,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply pending migrations and the time-series setup (and the roles when configured).
    Migrate,
    /// Load readings from a CSV file (`sensor_tag,timestamp,value[,quality]`). A bad line
    /// (bytes that are not UTF-8, an unknown tag, a field that does not parse, a reading
    /// ingest refuses) is refused alone, named by its number, and the rest stored: the exit
    /// status is 0 when the file was read to its end, whatever was refused, and 1 when it
    /// could not be (unreadable, or the database failed; what came before is stored).
    Ingest {
        /// The file.
        file: PathBuf,
        /// Accept readings from this instant on (RFC 3339); with --to, a backfill window.
        #[arg(long, requires = "to")]
        from: Option<chrono::DateTime<chrono::Utc>>,
        /// Accept readings up to this instant (RFC 3339).
        #[arg(long, requires = "from")]
        to: Option<chrono::DateTime<chrono::Utc>>,
        /// Write every refused line (line,reason,detail) to this CSV file.
        #[arg(long)]
        refused: Option<PathBuf>,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Bring the rollups up to date with everything ingested.
    Refresh,
    /// Drop raw readings older than the given number of days.
    Retention {
        /// Days of raw readings to keep.
        #[arg(long)]
        keep_days: u32,
    },
    /// Daily statistics and IEEE 1366 reliability over a period (computed, then reported).
    Report {
        /// First local day.
        #[arg(long)]
        from: NaiveDate,
        /// Last local day (inclusive).
        #[arg(long)]
        to: NaiveDate,
        /// One zone (default: the whole grid).
        #[arg(long)]
        zone: Option<grid_model::GridZone>,
        /// Table or JSON.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Run the anomaly engine over stored local days (alarms.anomaly: which episodes alert);
    /// resumable: each sensor goes on from where its stored state stopped.
    Detect {
        /// First local day.
        #[arg(long)]
        from: NaiveDate,
        /// Last local day (inclusive).
        #[arg(long)]
        to: NaiveDate,
        /// Table or JSON.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Run the limit alarms over stored local days (alarms.threshold, limits; resumable and
    /// idempotent: a reading already evaluated is skipped, so nothing is raised twice).
    Alarms {
        /// First local day.
        #[arg(long)]
        from: NaiveDate,
        /// Last local day (inclusive).
        #[arg(long)]
        to: NaiveDate,
        /// Table or JSON.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Assess every transformer's thermal ageing for a local day (IEEE C57.91; alarms by
    /// alarms.thermal), riskiest first.
    Thermal {
        /// The local day.
        #[arg(long)]
        day: NaiveDate,
        /// Table or JSON.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Write a sensor's series, or a local day's readings, as CSV to standard output.
    Export {
        /// The sensor's tag (a series); without it, every reading of --day.
        #[arg(long, requires_all = ["from", "to"], conflicts_with = "day")]
        sensor: Option<String>,
        /// Series start (RFC 3339).
        #[arg(long)]
        from: Option<chrono::DateTime<chrono::Utc>>,
        /// Series end (RFC 3339).
        #[arg(long)]
        to: Option<chrono::DateTime<chrono::Utc>>,
        /// Bucket width in seconds (60 to 86400).
        #[arg(long, default_value_t = 3600)]
        width_s: i64,
        /// A local day whose raw readings to export.
        #[arg(long, required_unless_present = "sensor")]
        day: Option<NaiveDate>,
    },
    /// The database's health: setup, rollup lag, newest reading, server mode.
    Health {
        /// Table or JSON.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Serve /health, /metrics and the JSON API on http.listen until stopped (Ctrl-C or
    /// SIGTERM: requests under way finish first).
    Serve,
    /// The users of the API (the owner's job): add, list, disable, and their tokens.
    Users {
        /// What to do.
        #[command(subcommand)]
        action: UsersAction,
    },
    /// The sentinel demo: a simulated day of a Kenyan grid through every crate, with the
    /// configuration's limits and alarm settings (a throwaway server when no database URL is
    /// configured).
    Demo {
        /// The local day to simulate (default: yesterday).
        #[arg(long)]
        date: Option<NaiveDate>,
        /// Where to write the load-by-zone picture.
        #[arg(long, default_value = "target/sentinel-load-by-zone.svg")]
        svg: PathBuf,
        /// Use a database that already holds another grid.
        #[arg(long)]
        force: bool,
        /// No progress bar.
        #[arg(long)]
        no_progress: bool,
    },
}

/// What `sentinel users` does.
#[derive(Debug, Subcommand)]
pub enum UsersAction {
    /// Add a user.
    Add {
        /// Its name: letters, digits and ._@-, starting with a letter or digit.
        name: String,
        /// What it may do.
        #[arg(long, value_enum)]
        role: RoleArg,
        /// The zones it works in, comma separated (default: every zone).
        #[arg(long, value_delimiter = ',')]
        zones: Vec<grid_model::GridZone>,
    },
    /// List the users.
    List,
    /// Disable a user: its tokens stop working at once.
    Disable {
        /// The user.
        name: String,
    },
    /// Issue a bearer token for the API, printed once (the database keeps only its hash).
    Token {
        /// The user.
        name: String,
        /// Days it stays valid (default: until revoked).
        #[arg(long)]
        expires_days: Option<u32>,
    },
    /// Revoke every token of a user.
    Revoke {
        /// The user.
        name: String,
    },
}

/// A user's role on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    /// Reads.
    Viewer,
    /// Also acknowledges alarms.
    Operator,
    /// Also changes settings.
    Engineer,
}

impl From<RoleArg> for grid_model::UserRole {
    fn from(r: RoleArg) -> Self {
        match r {
            RoleArg::Viewer => grid_model::UserRole::Viewer,
            RoleArg::Operator => grid_model::UserRole::Operator,
            RoleArg::Engineer => grid_model::UserRole::Engineer,
        }
    }
}

/// Runs the command line of `args` (the program name first).
///
/// ```no_run
/// // What the `sentinel` binary does; a program of one's own may run a command the same way.
/// let code = grid_service::cli::run(["sentinel", "health", "--format", "json"]);
/// # let _ = code;
/// ```
pub fn run<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    init_logging(cli.log_format);
    let outcome = SentinelConfig::load(cli.config.as_deref())
        .map_err(anyhow::Error::from)
        .and_then(|config| match &cli.command {
            // The demo starts its own server when none is configured.
            Command::Demo {
                date,
                svg,
                force,
                no_progress,
            } => demo::run(&config, *date, svg, *force, !*no_progress),
            command => commands::run(command, &config),
        });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            let config = e.downcast_ref::<grid_config::ConfigError>().is_some()
                || e.downcast_ref::<ServiceError>().is_some_and(|s| {
                    matches!(
                        s,
                        ServiceError::Config(_) | ServiceError::ModeMismatch { .. }
                    )
                });
            ExitCode::from(if config { 3 } else { 1 })
        }
    }
}
