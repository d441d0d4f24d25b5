//! `grid-testdb`: throwaway servers from the command line.
//!
//! - `grid-testdb modes`: the server modes this machine can run, one per line.
//! - `grid-testdb version MODE`: the TimescaleDB version that mode runs (`-` for plain).
//! - `grid-testdb serve [plain|apache|community]`: starts a throwaway cluster, prints its
//!   URL, postmaster and watchdog pids and directory, and keeps it until standard input
//!   closes (Ctrl-D) or the process is killed; then the watchdog removes it.

use std::io::Read;

use anyhow::Context;
use grid_testdb::{
    Cluster, ClusterOptions, Mode, PgInstall, best_local_mode, ensure_mode_available,
};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("modes") => {
            for mode in Mode::ALL {
                if ensure_mode_available(mode).is_ok() {
                    println!("{mode}");
                }
            }
            Ok(())
        }
        Some("version") => {
            let mode: Mode = args
                .get(1)
                .context("usage: grid-testdb version MODE")?
                .parse()?;
            let install = PgInstall::locate()?;
            println!(
                "{}",
                install
                    .timescaledb_version_for(mode)
                    .unwrap_or_else(|| "-".to_owned())
            );
            Ok(())
        }
        Some("serve") => {
            let mode = match args.get(1) {
                Some(m) => m.parse()?,
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
        _ => anyhow::bail!(
            "usage: grid-testdb modes | grid-testdb version MODE | grid-testdb serve [plain|apache|community]"
        ),
    }
}
