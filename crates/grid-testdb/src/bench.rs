//! Databases for benchmarks.

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

use crate::{Cluster, ClusterOptions, best_local_mode, create_timescaledb, with_database};

/// A fresh database for a benchmark, named `name`: on `DATABASE_URL`'s server (a superuser
/// URL) or a throwaway cluster in `GRID_BENCH_MODE` (`plain|apache|community`, else the best
/// mode installed), TimescaleDB created in it when the server preloads it. Dropped when the
/// value is dropped (the cluster, if any, with it).
pub struct BenchDatabase {
    /// Its URL.
    pub url: String,
    admin_url: String,
    name: String,
    _cluster: Option<Cluster>,
}

impl BenchDatabase {
    /// Creates it (dropping one of the same name first).
    pub fn create(name: &str) -> anyhow::Result<BenchDatabase> {
        let (cluster, admin_url) = match std::env::var("DATABASE_URL") {
            Ok(u) if !u.trim().is_empty() => (None, u),
            _ => {
                let mode = match std::env::var("GRID_BENCH_MODE") {
                    Ok(m) => m.parse()?,
                    Err(_) => best_local_mode()?,
                };
                let c = Cluster::start(&ClusterOptions::for_tests(mode))?;
                let u = c.url("postgres");
                (Some(c), u)
            }
        };
        let mut admin = PgConnection::establish(&admin_url)?;
        admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))?;
        admin.batch_execute(&format!("CREATE DATABASE {name}"))?;
        let url = with_database(&admin_url, name);
        create_timescaledb(&mut PgConnection::establish(&url)?)?;
        Ok(BenchDatabase {
            url,
            admin_url,
            name: name.to_owned(),
            _cluster: cluster,
        })
    }

    /// A new connection to it.
    pub fn conn(&self) -> anyhow::Result<PgConnection> {
        Ok(PgConnection::establish(&self.url)?)
    }
}

impl Drop for BenchDatabase {
    fn drop(&mut self) {
        if let Ok(mut admin) = PgConnection::establish(&self.admin_url) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}
