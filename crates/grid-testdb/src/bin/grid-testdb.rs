//! `grid-testdb`: throwaway servers from the command line.
//!
//! - `grid-testdb modes`: the server modes this machine can run, one per line.
//! - `grid-testdb version MODE`: the TimescaleDB version that mode runs (`-` for plain).
//! - `grid-testdb serve [plain|apache|community]`: starts a throwaway cluster, prints its
//!   URL, postmaster and watchdog pids and directory, and keeps it until standard input
//!   closes (Ctrl-D) or the process is killed; then the watchdog removes it.

use std::io::Read;

use anyhow::Context;
use clap::{Parser, Subcommand};
use grid_telemetry::logging::{LogFormat, init_logging};
use grid_testdb::{
    Cluster, ClusterOptions, Mode, PgInstall, best_local_mode, ensure_mode_available,
};

/// Throwaway PostgreSQL servers (plain, TimescaleDB Apache or community) for tests and
/// manual work.
#[derive(Debug, Parser)]
#[command(name = "grid-testdb", version)]
struct Cli {
    /// Log lines (to stderr) as human text or JSON (filter with RUST_LOG).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Human)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The server modes this machine can run, one per line.
    Modes,
    /// The TimescaleDB version a mode runs (`-` for plain).
    Version {
        /// plain, apache or community.
        mode: Mode,
    },
    /// Start a throwaway cluster, print its URL, pids and directory, and keep it until
    /// standard input closes or the process is killed.
    Serve {
        /// plain, apache or community (default: the best this machine has).
        mode: Option<Mode>,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    match cli.command {
        Command::Modes => {
            for mode in Mode::ALL {
                if ensure_mode_available(mode).is_ok() {
                    println!("{mode}");
                }
            }
            Ok(())
        }
        Command::Version { mode } => {
            let install = PgInstall::locate()?;
            println!(
                "{}",
                install
                    .timescaledb_version_for(mode)
                    .unwrap_or_else(|| "-".to_owned())
            );
            Ok(())
        }
        Command::Serve { mode } => {
            let mode = match mode {
                Some(m) => m,
                None => best_local_mode()?,
            };
            let cluster = Cluster::start(&ClusterOptions::for_tests(mode))
                .with_context(|| format!("starting a {mode} cluster"))?;
            println!("mode={mode}");
            println!("url={}", cluster.url("postgres"));
            println!(
                "postmaster_pid={}",
                cluster.postmaster_pid().context("no postmaster.pid")?
            );
            println!("watchdog_pid={}", cluster.watchdog().pid());
            println!("base={}", cluster.base_dir().display());
            println!("ready");
            let mut sink = Vec::new();
            std::io::stdin().read_to_end(&mut sink)?;
            Ok(())
        }
    }
}
