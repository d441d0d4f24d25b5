//! The three server modes every test suite of this project runs in.

use std::fmt;
use std::str::FromStr;

/// What kind of server a test run asks for.
///
/// Mode 1 (`Plain`) is a server started **without** the TimescaleDB library preloaded: the
/// truest stand-in for a customer's stock PostgreSQL. Two templates on one server would be
/// cheaper, but a database without the extension on a server that preloads the library still
/// runs TimescaleDB's hooks, and each test binary starts its own cluster anyway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// PostgreSQL without TimescaleDB.
    Plain,
    /// TimescaleDB, Apache-2 edition (`timescaledb.license = 'apache'`).
    Apache,
    /// TimescaleDB community (TSL) edition.
    Community,
}

impl Mode {
    /// Every mode, in the order the test command runs them.
    pub const ALL: [Mode; 3] = [Mode::Plain, Mode::Apache, Mode::Community];

    /// The name used in `GRID_TEST_MODE` and in test output.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Plain => "plain",
            Mode::Apache => "apache",
            Mode::Community => "community",
        }
    }

    /// Whether this mode has the TimescaleDB extension.
    pub fn has_timescaledb(self) -> bool {
        self != Mode::Plain
    }

    /// The mode named by `GRID_TEST_MODE`, if the variable is set.
    pub fn from_env() -> anyhow::Result<Option<Mode>> {
        match std::env::var("GRID_TEST_MODE") {
            Ok(s) if s.trim().is_empty() => Ok(None),
            Ok(s) => Ok(Some(s.parse()?)),
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(e) => anyhow::bail!("GRID_TEST_MODE: {e}"),
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Mode {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Mode::ALL
            .into_iter()
            .find(|m| m.as_str() == s.trim())
            .ok_or_else(|| {
                anyhow::anyhow!("unknown server mode {s:?}: expected plain, apache or community")
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_is_refused() {
        for m in Mode::ALL {
            assert_eq!(m.as_str().parse::<Mode>().unwrap(), m);
        }
        let err = "tsl".parse::<Mode>().unwrap_err().to_string();
        assert!(err.contains("\"tsl\""), "{err}");
    }
}
