#![doc = include_str!("../README.md")]
//!
//! One configuration for every program: a TOML file, then the environment over it, then
//! validated. Each setting has one place here; the crates below take their parts.

pub mod logging;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use grid_access::Role;
use grid_access::RoleNames;
use grid_alarms::{FloodRule, ThresholdPolicy};
use grid_detect::AlertPolicy;
use grid_health::ThermalAlarmConfig;
use grid_secrets::DatabaseUrl;
use grid_store::SessionLimits;
use grid_timescale::{OperatingLimits, PhysicalBounds, ServerMode};
use serde::{Deserialize, Serialize};

/// Everything a program of SmartGrid Sentinel is configured with (see the module docs).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SentinelConfig {
    /// The database connection.
    pub database: DatabaseConfig,
    /// Bootstrap: time zone seed, extension, required mode, roles.
    pub setup: SetupConfig,
    /// Ingest.
    pub ingest: IngestConfig,
    /// Operating limits (voltage bands per level, frequency, temperatures…).
    pub limits: OperatingLimits,
    /// The alarm settings: deadbands and delays of threshold alarms, the anomaly alerts'
    /// hygiene, thermal alarms.
    pub alarms: AlarmsConfig,
    /// The HTTP endpoints of `sentinel serve`.
    pub http: HttpConfig,
    /// The thermal assessment: what is known of transformers' insulation.
    pub thermal: ThermalConfig,
    /// The database URL, from the environment or `url_file` (never serialised).
    #[serde(skip)]
    url: Option<DatabaseUrl>,
}

/// The database connection (the URL itself is never part of the file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// A file whose first line is the URL.
    pub url_file: Option<PathBuf>,
    /// Connections in the pool.
    pub pool_size: u32,
    /// How long to wait for a pooled connection, seconds.
    pub connect_timeout_s: u64,
    /// The grid-access role this program runs as (sets its session limits).
    pub role: Option<Role>,
    /// `statement_timeout`, seconds (overrides the role's).
    pub statement_timeout_s: Option<u64>,
    /// `idle_in_transaction_session_timeout`, seconds (overrides the role's).
    pub idle_in_transaction_timeout_s: Option<u64>,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url_file: None,
            pool_size: 8,
            connect_timeout_s: 10,
            role: None,
            statement_timeout_s: None,
            idle_in_transaction_timeout_s: None,
        }
    }
}

/// What bootstrap does besides migrating and setting up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SetupConfig {
    /// IANA zone of local days: seeds the first setup only.
    pub time_zone: String,
    /// Create the TimescaleDB extension when the server has it and the database does not.
    pub create_extension: bool,
    /// Refuse to start unless the server runs this mode.
    pub require: Option<ServerMode>,
    /// Apply grid-access's roles and grants (the owner's job).
    pub apply_roles: bool,
    /// The roles' prefix.
    pub role_prefix: String,
}

impl Default for SetupConfig {
    fn default() -> Self {
        SetupConfig {
            time_zone: grid_timescale::TimescaleConfig::default().time_zone,
            create_extension: false,
            require: None,
            apply_roles: false,
            role_prefix: grid_access::DEFAULT_PREFIX.to_owned(),
        }
    }
}

/// Ingest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IngestConfig {
    /// Readings per atomic batch.
    pub batch_size: usize,
    /// Values no instrument can report.
    pub physical_bounds: PhysicalBounds,
}

impl Default for IngestConfig {
    fn default() -> Self {
        IngestConfig {
            batch_size: 10_000,
            physical_bounds: PhysicalBounds::default(),
        }
    }
}

/// The alarm settings; each part is owned by the crate whose alarms it tunes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlarmsConfig {
    /// Limit alarms on the operating limits (grid-alarms): per quantity a deadband and
    /// on/off delays (ISA-18.2 / IEC 62682).
    pub threshold: ThresholdPolicy,
    /// Alarm floods per operator area (EEMUA 191).
    pub flood: FloodRule,
    /// A reading older than this when evaluated is late: its alarms are history, never
    /// announced as new (seconds).
    pub late_after_s: u64,
    /// The anomaly engine's alerts (grid-detect): least severity, least readings, storms.
    pub anomaly: AlertPolicy,
    /// Thermal alarms of the transformer assessment (grid-health): loading category
    /// (C57.91 Table 7 / IEC 60076-7 Table 3), delays, deadband.
    pub thermal: ThermalAlarmConfig,
}

impl Default for AlarmsConfig {
    fn default() -> Self {
        AlarmsConfig {
            threshold: ThresholdPolicy::default(),
            flood: FloodRule::default(),
            late_after_s: 300,
            anomaly: AlertPolicy::default(),
            thermal: ThermalAlarmConfig::default(),
        }
    }
}

impl SentinelConfig {
    /// The limit alarms' settings (grid-alarms-store's engine).
    pub fn alarm_settings(&self) -> grid_alarms_store::AlarmSettings {
        grid_alarms_store::AlarmSettings {
            limits: self.limits.clone(),
            threshold: self.alarms.threshold,
            flood: self.alarms.flood,
            late_after: chrono::Duration::seconds(
                i64::try_from(self.alarms.late_after_s).unwrap_or(i64::MAX),
            ),
        }
    }
}

/// The thermal assessment's knowledge of the fleet.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ThermalConfig {
    /// By transformer ("SUBSTATION NAME"): the life consumed at a date, or a degree of
    /// polymerisation measured then (grid-health's `StartingCondition`). Without one (and
    /// without history since manufacture) remaining life and health are unknown.
    pub starting_conditions: grid_health::StartingConditions,
}

/// The HTTP endpoints, and what bounds every answer before work starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// Where to listen.
    pub listen: SocketAddr,
    /// Buckets one `/series` answer may hold (its range over its width).
    pub max_buckets: u32,
    /// Rows one answer may hold (`/latest`: the sensors of its scope).
    pub max_rows: u32,
    /// Bytes one answer may hold.
    pub max_response_bytes: u64,
    /// Bytes a request's body may hold.
    pub max_body_bytes: u64,
    /// A request still running after this many seconds is answered 503 (retry later).
    pub request_timeout_s: u64,
    /// Database queries of the API running at once; others wait for their turn.
    pub max_concurrent_queries: u32,
    /// How long a request waits for its turn before it is answered 503, milliseconds.
    pub queue_timeout_ms: u64,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 9187)),
            max_buckets: 10_000,
            max_rows: 100_000,
            max_response_bytes: 32 << 20,
            max_body_bytes: 64 << 10,
            request_timeout_s: 30,
            max_concurrent_queries: 4,
            queue_timeout_ms: 5_000,
        }
    }
}

/// A setting that cannot be used: the key (or file, or variable) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration: {key}: {reason}")]
pub struct ConfigError {
    /// The key, file or environment variable.
    pub key: String,
    /// What is wrong with it.
    pub reason: String,
}

fn bad(key: &str, reason: impl std::fmt::Display) -> ConfigError {
    ConfigError {
        key: key.to_owned(),
        reason: reason.to_string(),
    }
}

impl SentinelConfig {
    /// The file at `path` (if any), then the process environment over it, validated.
    pub fn load(path: Option<&Path>) -> Result<SentinelConfig, ConfigError> {
        Self::load_with(path, |k| std::env::var(k).ok())
    }

    /// As [`SentinelConfig::load`] with `env` in place of the process environment.
    pub fn load_with(
        path: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<SentinelConfig, ConfigError> {
        match path {
            Some(p) => {
                let text =
                    std::fs::read_to_string(p).map_err(|e| bad(&p.display().to_string(), e))?;
                Self::from_toml_with(&text, &p.display().to_string(), env)
            }
            None => {
                let mut config = SentinelConfig::default();
                config.apply_env(&env)?;
                config.validate()?;
                Ok(config)
            }
        }
    }

    /// The configuration a file's `text` holds (`origin` names it in errors), then `env`
    /// over it, validated: [`SentinelConfig::load_with`] without the file system.
    pub fn from_toml_with(
        text: &str,
        origin: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<SentinelConfig, ConfigError> {
        let mut config: SentinelConfig = toml::from_str(text).map_err(|e| bad(origin, e))?;
        config.apply_env(&env)?;
        config.validate()?;
        Ok(config)
    }

    fn apply_env(&mut self, env: &impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        fn parse<T: std::str::FromStr>(key: &str, v: &str) -> Result<T, ConfigError>
        where
            T::Err: std::fmt::Display,
        {
            v.trim().parse().map_err(|e| bad(key, e))
        }
        if let Some(v) = env("SENTINEL_DATABASE_URL_FILE") {
            self.database.url_file = Some(v.into());
        }
        if let Some(v) = env("SENTINEL_POOL_SIZE") {
            self.database.pool_size = parse("SENTINEL_POOL_SIZE", &v)?;
        }
        if let Some(v) = env("SENTINEL_STATEMENT_TIMEOUT_S") {
            self.database.statement_timeout_s = Some(parse("SENTINEL_STATEMENT_TIMEOUT_S", &v)?);
        }
        if let Some(v) = env("SENTINEL_ROLE") {
            self.database.role = Some(
                serde_json::from_value(serde_json::Value::String(v.trim().to_owned()))
                    .map_err(|_| bad("SENTINEL_ROLE", format!("unknown role {v:?}")))?,
            );
        }
        if let Some(v) = env("SENTINEL_TIME_ZONE") {
            self.setup.time_zone = v.trim().to_owned();
        }
        if let Some(v) = env("SENTINEL_REQUIRE") {
            self.setup.require = Some(parse_mode(&v)?);
        }
        if let Some(v) = env("SENTINEL_LISTEN") {
            self.http.listen = parse("SENTINEL_LISTEN", &v)?;
        }
        self.url = match env("DATABASE_URL").filter(|u| !u.trim().is_empty()) {
            Some(u) => Some(DatabaseUrl::new(u.trim())),
            None => match &self.database.url_file {
                Some(f) => Some(read_url_file(f)?),
                None => None,
            },
        };
        Ok(())
    }

    /// Checks every setting; the error names the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(1..=256).contains(&self.database.pool_size) {
            return Err(bad(
                "database.pool_size",
                format!("{} is not in 1..=256", self.database.pool_size),
            ));
        }
        if self.database.connect_timeout_s == 0 {
            return Err(bad("database.connect_timeout_s", "must be at least 1"));
        }
        if self.setup.time_zone.parse::<chrono_tz::Tz>().is_err() {
            return Err(bad(
                "setup.time_zone",
                format!("{:?} is not an IANA time zone", self.setup.time_zone),
            ));
        }
        RoleNames::new(&self.setup.role_prefix).map_err(|e| bad("setup.role_prefix", e))?;
        if self.ingest.batch_size == 0 || self.ingest.batch_size > 1_000_000 {
            return Err(bad("ingest.batch_size", "must be 1 to 1,000,000"));
        }
        let part = |section: &str, r: Result<(), String>| {
            r.map_err(|e| match e.split_once(": ") {
                Some((field, why)) => bad(&format!("alarms.{section}.{field}"), why),
                None => bad(&format!("alarms.{section}"), e),
            })
        };
        self.limits
            .validate()
            .map_err(|e| match e.split_once(": ") {
                Some((key, why)) => bad(key, why),
                None => bad("limits.voltage", e),
            })?;
        for (name, sc) in &self.thermal.starting_conditions {
            sc.validate()
                .map_err(|e| bad(&format!("thermal.starting_conditions.\"{name}\""), e))?;
        }
        let h = &self.http;
        for (key, ok) in [
            ("http.max_buckets", (1..=1_000_000).contains(&h.max_buckets)),
            ("http.max_rows", (1..=10_000_000).contains(&h.max_rows)),
            (
                "http.max_response_bytes",
                (1024..=1 << 30).contains(&h.max_response_bytes),
            ),
            (
                "http.max_body_bytes",
                (64..=16 << 20).contains(&h.max_body_bytes),
            ),
            (
                "http.request_timeout_s",
                (1..=3600).contains(&h.request_timeout_s),
            ),
            (
                "http.max_concurrent_queries",
                (1..=self.database.pool_size).contains(&h.max_concurrent_queries),
            ),
            ("http.queue_timeout_ms", h.queue_timeout_ms <= 600_000),
        ] {
            if !ok {
                return Err(bad(key, "out of range (see grid-config's key table)"));
            }
        }
        part("threshold", self.alarms.threshold.validate())?;
        part("flood", self.alarms.flood.validate())?;
        part("anomaly", self.alarms.anomaly.validate())?;
        part("thermal", self.alarms.thermal.validate())?;
        Ok(())
    }

    /// The database URL; a [`ConfigError`] naming where to put it when there is none.
    pub fn database_url(&self) -> Result<&DatabaseUrl, ConfigError> {
        self.url.as_ref().ok_or_else(|| {
            bad(
                "DATABASE_URL",
                "no database URL: set DATABASE_URL or database.url_file (never on the command line)",
            )
        })
    }

    /// Sets the database URL (for programs and tests that have it from elsewhere).
    pub fn with_database_url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(DatabaseUrl::new(url));
        self
    }

    /// The session limits: the role's, overridden by the explicit settings.
    pub fn session_limits(&self) -> SessionLimits {
        let mut limits = self
            .database
            .role
            .map(Role::session_limits)
            .unwrap_or_default();
        if let Some(s) = self.database.statement_timeout_s {
            limits.statement_timeout = Some(Duration::from_secs(s));
        }
        if let Some(s) = self.database.idle_in_transaction_timeout_s {
            limits.idle_in_transaction_timeout = Some(Duration::from_secs(s));
        }
        limits
    }

    /// What grid-timescale's setup is given.
    pub fn timescale(&self) -> grid_timescale::TimescaleConfig {
        grid_timescale::TimescaleConfig {
            time_zone: self.setup.time_zone.clone(),
        }
    }

    /// The roles' names.
    pub fn role_names(&self) -> RoleNames {
        // Validated in `validate`; the default prefix is always valid.
        RoleNames::new(&self.setup.role_prefix).unwrap_or_default()
    }
}

fn parse_mode(v: &str) -> Result<ServerMode, ConfigError> {
    match v.trim() {
        "plain" => Ok(ServerMode::Plain),
        "apache" => Ok(ServerMode::Apache),
        "community" => Ok(ServerMode::Community),
        other => Err(bad(
            "SENTINEL_REQUIRE",
            format!("{other:?} is not plain, apache or community"),
        )),
    }
}

fn read_url_file(path: &Path) -> Result<DatabaseUrl, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| bad("database.url_file", format!("{}: {e}", path.display())))?;
    let line = text.lines().next().unwrap_or_default().trim();
    if line.is_empty() {
        return Err(bad(
            "database.url_file",
            format!("{} holds no URL", path.display()),
        ));
    }
    Ok(DatabaseUrl::new(line))
}
