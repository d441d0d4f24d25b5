//! Finding the local PostgreSQL binaries and what TimescaleDB they can load.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use crate::mode::Mode;

/// A local PostgreSQL installation: its binaries and extension directories.
#[derive(Debug, Clone)]
pub struct PgInstall {
    /// Directory holding `initdb`, `pg_ctl`, `postgres`, `psql`.
    pub bindir: PathBuf,
    /// Major version, e.g. 15.
    pub major: u32,
    sharedir: PathBuf,
    pkglibdir: PathBuf,
}

impl PgInstall {
    /// Finds the binaries: `PG_BINDIR`, then `pg_config --bindir`, then `initdb` on `PATH`,
    /// then the newest `/usr/lib/postgresql/*/bin` (Debian keeps server binaries off `PATH`).
    pub fn locate() -> anyhow::Result<PgInstall> {
        let mut candidates: Vec<PathBuf> = Vec::new();
        if let Some(dir) = std::env::var_os("PG_BINDIR") {
            candidates.push(dir.into());
        }
        if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
            && out.status.success()
        {
            candidates.push(String::from_utf8_lossy(&out.stdout).trim().into());
        }
        if let Some(path) = std::env::var_os("PATH") {
            candidates.extend(std::env::split_paths(&path));
        }
        let mut debian: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let v = e.file_name().to_str()?.parse::<u32>().ok()?;
                Some((v, e.path().join("bin")))
            })
            .collect();
        debian.sort();
        candidates.extend(debian.into_iter().rev().map(|(_, p)| p));

        let bindir = candidates
            .into_iter()
            .find(|d| d.join("initdb").is_file() && d.join("pg_ctl").is_file())
            .context(
                "no PostgreSQL server binaries (initdb, pg_ctl) found via PG_BINDIR, pg_config, \
                 PATH or /usr/lib/postgresql/*/bin: run scripts/install-deps",
            )?;
        Self::from_bindir(&bindir)
    }

    fn from_bindir(bindir: &Path) -> anyhow::Result<PgInstall> {
        let pg_config = bindir.join("pg_config");
        let query = |flag: &str| -> anyhow::Result<String> {
            let out = Command::new(&pg_config)
                .arg(flag)
                .output()
                .with_context(|| format!("running {}", pg_config.display()))?;
            if !out.status.success() {
                bail!("{} {flag} failed", pg_config.display());
            }
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
        };
        // "PostgreSQL 15.18 (Debian ...)" -> 15
        let version = query("--version")?;
        let major = version
            .split_whitespace()
            .nth(1)
            .and_then(|v| v.split('.').next())
            .and_then(|v| v.parse().ok())
            .with_context(|| format!("cannot read the major version from {version:?}"))?;
        Ok(PgInstall {
            bindir: bindir.to_owned(),
            major,
            sharedir: query("--sharedir")?.into(),
            pkglibdir: query("--pkglibdir")?.into(),
        })
    }

    /// A binary of this installation.
    pub fn bin(&self, name: &str) -> PathBuf {
        self.bindir.join(name)
    }

    /// Whether the TimescaleDB extension is installed for this server.
    pub fn has_timescaledb(&self) -> bool {
        self.sharedir
            .join("extension/timescaledb.control")
            .is_file()
            && !self.timescaledb_builds().is_empty()
    }

    /// Whether the community (TSL) module of TimescaleDB is installed beside it.
    pub fn has_timescaledb_tsl(&self) -> bool {
        self.timescaledb_builds().iter().any(|b| b.community)
    }

    /// Every TimescaleDB version installed for this server, oldest first. Versions live side
    /// by side: each has its own `timescaledb-X.so` (and `timescaledb-tsl-X.so` when built
    /// with the community module) beside one loader, and `CREATE EXTENSION … VERSION` picks.
    pub fn timescaledb_builds(&self) -> Vec<TimescaleBuild> {
        let names: Vec<String> = std::fs::read_dir(&self.pkglibdir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        let mut builds: Vec<TimescaleBuild> = names
            .iter()
            .filter_map(|n| n.strip_prefix("timescaledb-")?.strip_suffix(".so"))
            .filter(|v| v.starts_with(|c: char| c.is_ascii_digit()))
            .filter(|v| {
                self.sharedir
                    .join(format!("extension/timescaledb--{v}.sql"))
                    .is_file()
            })
            .map(|v| TimescaleBuild {
                version: v.to_owned(),
                community: names.contains(&format!("timescaledb-tsl-{v}.so")),
            })
            .collect();
        builds.sort_by_key(|b| version_key(&b.version));
        builds
    }

    /// The TimescaleDB version a mode runs: community, the newest build with the TSL module;
    /// apache, the newest Apache-only build (Debian's) when there is one, so that both builds
    /// stay tested when both are installed, else the newest build (under the apache licence).
    pub fn timescaledb_version_for(&self, mode: Mode) -> Option<String> {
        let builds = self.timescaledb_builds();
        let newest = |f: &dyn Fn(&TimescaleBuild) -> bool| {
            builds
                .iter()
                .rev()
                .find(|b| f(b))
                .map(|b| b.version.clone())
        };
        match mode {
            Mode::Plain => None,
            Mode::Community => newest(&|b| b.community),
            Mode::Apache => newest(&|b| !b.community).or_else(|| newest(&|_| true)),
        }
    }
}

/// One installed TimescaleDB version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimescaleBuild {
    /// Its version, e.g. `2.26.4`.
    pub version: String,
    /// Whether its community (TSL) module is installed.
    pub community: bool,
}

/// `2.19.3` → `[2, 19, 3]`, for ordering versions numerically.
fn version_key(v: &str) -> Vec<u64> {
    v.split(|c: char| !c.is_ascii_digit())
        .filter_map(|p| p.parse().ok())
        .collect()
}

/// The statement that creates TimescaleDB at `version` (the control file's default when
/// `None`, e.g. on an external server).
pub fn create_timescaledb_sql(version: Option<&str>) -> String {
    match version {
        Some(v) => format!(
            "CREATE EXTENSION IF NOT EXISTS timescaledb VERSION '{}'",
            v.replace('\'', "''")
        ),
        None => "CREATE EXTENSION IF NOT EXISTS timescaledb".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_order_numerically() {
        let mut v = vec!["2.9.1", "2.19.3", "2.26.4", "2.100.0"];
        v.sort_by_key(|s| version_key(s));
        assert_eq!(v, ["2.9.1", "2.19.3", "2.26.4", "2.100.0"]);
    }

    #[test]
    fn create_statement_names_the_version() {
        assert_eq!(
            create_timescaledb_sql(Some("2.19.3")),
            "CREATE EXTENSION IF NOT EXISTS timescaledb VERSION '2.19.3'"
        );
        assert_eq!(
            create_timescaledb_sql(None),
            "CREATE EXTENSION IF NOT EXISTS timescaledb"
        );
    }
}
