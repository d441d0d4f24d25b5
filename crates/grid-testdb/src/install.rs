//! Finding the local PostgreSQL binaries and what TimescaleDB they can load.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

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
    }

    /// Whether the community (TSL) module of TimescaleDB is installed beside it.
    pub fn has_timescaledb_tsl(&self) -> bool {
        std::fs::read_dir(&self.pkglibdir)
            .into_iter()
            .flatten()
            .flatten()
            .any(|e| {
                let name = e.file_name();
                let name = name.to_string_lossy();
                name.starts_with("timescaledb-tsl-") && name.ends_with(".so")
            })
    }
}
