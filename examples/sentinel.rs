//! The main job of SmartGrid Sentinel (work in progress: issue "The main job").
//!
//! Uses `DATABASE_URL` when set; otherwise starts a throwaway PostgreSQL (with TimescaleDB
//! when installed) and says so. Today it migrates and reports the server mode and the applied
//! migrations.

use anyhow::Context;
use diesel::{Connection, PgConnection, RunQueryDsl};
use grid_testdb::{Cluster, ClusterOptions, best_local_mode};

fn main() -> anyhow::Result<()> {
    let (_cluster, url) = match std::env::var("DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => {
            println!("Using the database in DATABASE_URL ({})", redact(&url));
            (None, url)
        }
        _ => {
            let mode = best_local_mode()?;
            let cluster = Cluster::start(&ClusterOptions {
                mode,
                timescaledb_background_workers: 8,
            })
            .context("starting the embedded PostgreSQL (run scripts/install-deps first)")?;
            println!(
                "No DATABASE_URL: started a throwaway PostgreSQL {} ({mode}) on 127.0.0.1:{}; \
                 it is removed when this program ends",
                cluster.install().major,
                cluster.port()
            );
            let url = cluster.url("postgres");
            let mut conn = PgConnection::establish(&url)?;
            if mode.has_timescaledb() {
                diesel::sql_query("CREATE EXTENSION IF NOT EXISTS timescaledb")
                    .execute(&mut conn)?;
            }
            (Some(cluster), url)
        }
    };
    let mut conn = PgConnection::establish(&url).context("connecting to the database")?;
    let applied_now = grid_store::migrations::run_pending(&mut conn)?;
    let caps = grid_timescale::capabilities::detect(&mut conn)?;
    println!("Server mode: {caps}");
    println!("Migrations applied now: {}", applied_now.len());
    for v in grid_store::migrations::applied(&mut conn)? {
        println!("  {v}");
    }
    Ok(())
}

/// The URL without its password.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..s + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}
