//! The poller's configuration: a TOML file of devices and their point maps, validated with
//! errors that name the line or the field.
//!
//! ```toml
//! [batch]
//! max_readings = 5000        # write a batch at this size…
//! max_delay_ms = 1000        # …or this old, whichever comes first
//!
//! [[device]]
//! name = "rtu-nrb-emb"
//! address = "10.20.0.15:502"
//! unit_id = 1
//! poll_interval_ms = 1000
//! timeout_ms = 500
//! word_order = "CDAB"        # ABCD (default), CDAB, BADC, DCBA: how a 32-bit value spans two registers
//! failures_before_alert = 3
//!
//! [[device.point]]
//! tag = "NRB-EMB-V-BUS"      # the sensor's tag (stored as grid_sensors.sensor_id)
//! register = "holding"       # holding or input
//! address = 0
//! type = "f32"               # plain: u16, i16, u32, i32, f32; SunSpec: sunspec_int16, sunspec_uint16,
//!                            # sunspec_acc16, sunspec_int32, sunspec_uint32, sunspec_acc32,
//!                            # sunspec_float32 (integers take an optional scale_factor_address)
//! ```

use std::collections::HashSet;
use std::net::SocketAddr;

use serde::Deserialize;

/// Which register table a point lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegisterKind {
    /// Holding registers (function code 3).
    Holding,
    /// Input registers (function code 4).
    Input,
}

/// How the bytes of a 32-bit value are laid over two registers (A is the most significant).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub enum WordOrder {
    /// Big-endian words, big-endian bytes (the Modbus convention).
    #[default]
    ABCD,
    /// Word-swapped.
    CDAB,
    /// Byte-swapped within each word.
    BADC,
    /// Both swapped (little-endian).
    DCBA,
}

/// How a point's registers encode its value.
///
/// Plain types read every bit pattern as a value (a real 65535 or −32768 is a reading).
/// SunSpec types (SunSpec Information Model Reference) reserve one pattern as "not
/// implemented", which yields no reading: int16 0x8000, uint16 0xFFFF, acc16 and acc32 0,
/// int32 0x80000000, uint32 0xFFFFFFFF, float32 0x7FC00000; their integers may be scaled by
/// 10^SF, SF a signed int16 register (`sunssf`) of the same model whose own marker is 0x8000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataType {
    /// One register, unsigned.
    U16,
    /// One register, signed.
    I16,
    /// Two registers, unsigned.
    U32,
    /// Two registers, signed.
    I32,
    /// Two registers, IEEE 754 single precision (a NaN or infinity is no value).
    F32,
    /// SunSpec `int16` (`sunspec_i16` is the older spelling).
    #[serde(alias = "sunspec_i16")]
    SunspecInt16,
    /// SunSpec `uint16`.
    SunspecUint16,
    /// SunSpec `acc16`: an unsigned accumulator, 0 when not accumulated.
    SunspecAcc16,
    /// SunSpec `int32`.
    SunspecInt32,
    /// SunSpec `uint32`.
    SunspecUint32,
    /// SunSpec `acc32`: an unsigned accumulator, 0 when not accumulated.
    SunspecAcc32,
    /// SunSpec `float32`.
    SunspecFloat32,
}

impl DataType {
    /// Registers the value occupies.
    pub fn words(self) -> u16 {
        use DataType::*;
        match self {
            U16 | I16 | SunspecInt16 | SunspecUint16 | SunspecAcc16 => 1,
            U32 | I32 | F32 | SunspecInt32 | SunspecUint32 | SunspecAcc32 | SunspecFloat32 => 2,
        }
    }

    /// Whether a scale-factor register may apply (SunSpec integers).
    pub fn scalable(self) -> bool {
        use DataType::*;
        matches!(
            self,
            SunspecInt16
                | SunspecUint16
                | SunspecAcc16
                | SunspecInt32
                | SunspecUint32
                | SunspecAcc32
        )
    }
}

/// One measured point of a device.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PointConfig {
    /// The tag of the sensor it feeds (`sensor`, the older spelling, is accepted).
    #[serde(alias = "sensor")]
    pub tag: String,
    /// Holding or input.
    pub register: RegisterKind,
    /// First register (0-based protocol address).
    pub address: u16,
    /// Encoding.
    #[serde(rename = "type")]
    pub data_type: DataType,
    /// Where the scale factor (`sunssf`) is, for SunSpec integers that have one.
    #[serde(default)]
    pub scale_factor_address: Option<u16>,
}

fn default_unit() -> u8 {
    1
}
fn default_interval() -> u64 {
    1000
}
fn default_timeout() -> u64 {
    1000
}
fn default_failures() -> u32 {
    3
}

/// One field device (RTU, meter, transformer monitor).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceConfig {
    /// A name for logs and alerts.
    pub name: String,
    /// `host:port`.
    pub address: String,
    /// Modbus unit id.
    #[serde(default = "default_unit")]
    pub unit_id: u8,
    /// Time between polls.
    #[serde(default = "default_interval")]
    pub poll_interval_ms: u64,
    /// Time allowed for each request.
    #[serde(default = "default_timeout")]
    pub timeout_ms: u64,
    /// 32-bit word order of this device.
    #[serde(default)]
    pub word_order: WordOrder,
    /// Consecutive failed polls before a communication alert.
    #[serde(default = "default_failures")]
    pub failures_before_alert: u32,
    /// Its points.
    #[serde(default, rename = "point")]
    pub points: Vec<PointConfig>,
}

impl DeviceConfig {
    /// The socket address.
    pub fn socket_addr(&self) -> Result<SocketAddr, String> {
        self.address
            .parse()
            .map_err(|e| format!("{:?} is not host:port ({e})", self.address))
    }
}

fn default_batch() -> usize {
    5000
}
fn default_delay() -> u64 {
    1000
}

/// When readings are written.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchConfig {
    /// Write when this many readings are waiting.
    #[serde(default = "default_batch")]
    pub max_readings: usize,
    /// Write when the oldest waiting reading is this old.
    #[serde(default = "default_delay")]
    pub max_delay_ms: u64,
}

impl Default for BatchConfig {
    fn default() -> Self {
        BatchConfig {
            max_readings: default_batch(),
            max_delay_ms: default_delay(),
        }
    }
}

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScadaConfig {
    /// Batching.
    #[serde(default)]
    pub batch: BatchConfig,
    /// Devices.
    #[serde(default, rename = "device")]
    pub devices: Vec<DeviceConfig>,
}

/// A configuration that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// Not valid TOML, or a field of the wrong type or name.
    #[error("line {line}, column {column}: {message}")]
    Syntax {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// A value that cannot work.
    #[error("{field}: {reason}")]
    Invalid {
        /// Where, e.g. `device[0].point[2].scale_factor_address`.
        field: String,
        /// What is wrong with its value.
        reason: String,
    },
}

impl ConfigError {
    /// A TOML error of `text`, with the line and column it points at.
    pub fn syntax(text: &str, e: &toml::de::Error) -> ConfigError {
        let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((0, 0));
        ConfigError::Syntax {
            line,
            column,
            message: e.message().to_owned(),
        }
    }

    /// A value that cannot work, at `field`.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl ScadaConfig {
    /// Parses and validates a TOML configuration.
    ///
    /// ```
    /// use grid_scada::config::ScadaConfig;
    ///
    /// let good = r#"
    /// [[device]]
    /// name = "rtu-nrb-emb"
    /// address = "10.20.0.15:502"
    /// [[device.point]]
    /// tag = "NRB-EMB-V-BUS"
    /// register = "holding"
    /// address = 0
    /// type = "f32"
    /// "#;
    /// let config = ScadaConfig::from_toml(good).unwrap();
    /// assert_eq!(config.devices[0].points.len(), 1);
    /// // A point type no decoder knows is refused, naming it.
    /// let bad = good.replace("\"f32\"", "\"f128\"");
    /// assert!(ScadaConfig::from_toml(&bad).unwrap_err().to_string().contains("f128"));
    /// ```
    pub fn from_toml(text: &str) -> Result<ScadaConfig, ConfigError> {
        let config: ScadaConfig =
            toml::from_str(text).map_err(|e| ConfigError::syntax(text, &e))?;
        config.validate()?;
        Ok(config)
    }

    /// Checks what the types alone cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |field: String, reason: &str| ConfigError::Invalid {
            field,
            reason: reason.to_owned(),
        };
        if self.batch.max_readings == 0 {
            return Err(bad("batch.max_readings".into(), "must be at least 1"));
        }
        let mut names = HashSet::new();
        let mut sensors = HashSet::new();
        for (d, dev) in self.devices.iter().enumerate() {
            let at = |f: &str| format!("device[{d}].{f}");
            if dev.name.trim().is_empty() || !names.insert(dev.name.clone()) {
                return Err(bad(at("name"), "must be present and unique"));
            }
            dev.socket_addr().map_err(|r| bad(at("address"), &r))?;
            if dev.poll_interval_ms == 0 {
                return Err(bad(at("poll_interval_ms"), "must be more than 0"));
            }
            if dev.timeout_ms == 0 {
                return Err(bad(at("timeout_ms"), "must be more than 0"));
            }
            if dev.failures_before_alert == 0 {
                return Err(bad(at("failures_before_alert"), "must be at least 1"));
            }
            if dev.points.is_empty() {
                return Err(bad(at("point"), "a device needs at least one point"));
            }
            for (p, pt) in dev.points.iter().enumerate() {
                let at = |f: &str| format!("device[{d}].point[{p}].{f}");
                if pt.tag.trim().is_empty() {
                    return Err(bad(at("tag"), "must name a sensor tag"));
                }
                if !sensors.insert(pt.tag.clone()) {
                    return Err(bad(at("tag"), "feeds a sensor another point already feeds"));
                }
                if u32::from(pt.address) + u32::from(pt.data_type.words()) > 65_536 {
                    return Err(bad(
                        at("address"),
                        "the value would run past register 65535",
                    ));
                }
                if pt.scale_factor_address.is_some() && !pt.data_type.scalable() {
                    return Err(bad(
                        at("scale_factor_address"),
                        "only SunSpec integer types (sunspec_int16 … sunspec_acc32) take a scale factor",
                    ));
                }
            }
        }
        Ok(())
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before.len(), |i| before.len() - i - 1)
        + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[batch]
max_readings = 100

[[device]]
name = "rtu-1"
address = "127.0.0.1:5020"
word_order = "CDAB"

[[device.point]]
tag = "S-1"
register = "holding"
address = 0
type = "f32"

[[device.point]]
tag = "S-2"
register = "input"
address = 10
type = "sunspec_i16"
scale_factor_address = 11
"#;

    #[test]
    fn a_good_file_parses_with_defaults() {
        let c = ScadaConfig::from_toml(GOOD).unwrap();
        assert_eq!(c.batch.max_readings, 100);
        assert_eq!(c.batch.max_delay_ms, 1000);
        let d = &c.devices[0];
        assert_eq!(
            (d.unit_id, d.poll_interval_ms, d.word_order),
            (1, 1000, WordOrder::CDAB)
        );
        assert_eq!(d.points[1].data_type, DataType::SunspecInt16);
    }

    #[test]
    fn syntax_and_type_errors_name_the_line() {
        let err =
            ScadaConfig::from_toml(&GOOD.replace("type = \"f32\"", "type = \"f64\"")).unwrap_err();
        match err {
            ConfigError::Syntax { line, message, .. } => {
                assert_eq!(line, 14, "{message}");
                assert!(message.contains("f64"), "{message}");
            }
            e => panic!("{e}"),
        }
        let err = ScadaConfig::from_toml(
            &GOOD
                .replace("unit", "unti")
                .replace("word_order", "word_ordr"),
        )
        .unwrap_err();
        assert!(matches!(err, ConfigError::Syntax { line: 8, .. }), "{err}");
    }

    #[test]
    fn invalid_values_name_the_field() {
        let cases = [
            (
                GOOD.replace("127.0.0.1:5020", "nowhere"),
                "device[0].address",
            ),
            (
                // A plain type takes no scale factor.
                GOOD.replace("type = \"sunspec_i16\"", "type = \"u16\""),
                "device[0].point[1].scale_factor_address",
            ),
            (GOOD.replace("\"S-2\"", "\"S-1\""), "device[0].point[1].tag"),
            (
                GOOD.replace("address = 0", "address = 65535"),
                "device[0].point[0].address",
            ),
            (
                GOOD.replace("max_readings = 100", "max_readings = 0"),
                "batch.max_readings",
            ),
        ];
        for (text, field) in cases {
            match ScadaConfig::from_toml(&text) {
                Err(ConfigError::Invalid { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: {other:?}"),
            }
        }
    }
}
