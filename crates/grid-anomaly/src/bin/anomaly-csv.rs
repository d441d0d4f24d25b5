//! Scores any series from a CSV file, without a database and without per-series parameters.
//!
//! ```text
//! anomaly-csv [INPUT.csv] [OUTPUT.csv]      # standard input / output when left out
//! ```
//!
//! Input: a header, then `timestamp,value` rows in time order (any cadence, gaps allowed).
//! A timestamp is RFC 3339 (`2026-01-05T10:00:00Z`), `YYYY-MM-DD HH:MM:SS[.fff]` (taken as
//! UTC), or seconds since the Unix epoch. Output: `timestamp,value,anomaly_score,label`
//! with the input's timestamp text; `label` is 1 for a reading at or past a detector's
//! threshold. A row that cannot be used (bad timestamp, bad or non-finite value, not after
//! the row before) is written with an empty score and label and named on standard error;
//! the rows around it are scored as usual. Exit status 1 only when the input cannot be read
//! or the output cannot be written.

use std::fs::File;
use std::io::{self, Read, Write};
use std::process::ExitCode;

use chrono::{DateTime, NaiveDateTime};
use grid_anomaly::{Config, SeriesDetector};

fn parse_time(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.timestamp_millis());
    }
    for format in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Some(t.and_utc().timestamp_millis());
        }
    }
    text.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite())
        .map(|s| (s * 1000.0).round() as i64)
}

fn run(input: Box<dyn Read>, output: Box<dyn Write>) -> Result<(usize, usize), String> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let mut writer = csv::Writer::from_writer(output);
    let io = |e: csv::Error| e.to_string();
    writer
        .write_record(["timestamp", "value", "anomaly_score", "label"])
        .map_err(io)?;
    let mut detector = SeriesDetector::new(Config::default());
    let (mut rows, mut refused) = (0, 0);
    for (n, record) in reader.records().enumerate() {
        let line = n + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                eprintln!("line {line}: unreadable row ({e}); skipped");
                refused += 1;
                continue;
            }
        };
        rows += 1;
        let (time_text, value_text) = (record.get(0).unwrap_or(""), record.get(1).unwrap_or(""));
        let verdict = match (parse_time(time_text), value_text.trim().parse::<f64>()) {
            (None, _) => Err(format!("timestamp {time_text:?} is not a time")),
            (_, Err(_)) => Err(format!("value {value_text:?} is not a number")),
            (Some(t), Ok(v)) => detector.observe(t, v).map_err(|e| e.to_string()),
        };
        match verdict {
            Ok(s) => writer
                .write_record([
                    time_text,
                    value_text,
                    &format!("{:.6}", s.score),
                    if s.anomalous { "1" } else { "0" },
                ])
                .map_err(io)?,
            Err(why) => {
                eprintln!("line {line}: {why}; not scored");
                refused += 1;
                writer
                    .write_record([time_text, value_text, "", ""])
                    .map_err(io)?;
            }
        }
    }
    writer.flush().map_err(|e| e.to_string())?;
    Ok((rows, refused))
}

/// Scores any series from a CSV file (`timestamp,value`), without a database and without
/// per-series parameters; writes `timestamp,value,anomaly_score,label`.
#[derive(Debug, clap::Parser)]
#[command(version)]
struct Args {
    /// The input file (standard input when left out).
    input: Option<std::path::PathBuf>,
    /// The output file (standard output when left out).
    output: Option<std::path::PathBuf>,
    /// Log lines (to stderr) as human text or JSON (filter with RUST_LOG; default warn).
    #[arg(long, value_enum, default_value_t = grid_telemetry::logging::LogFormat::Human)]
    log_format: grid_telemetry::logging::LogFormat,
}

fn main() -> ExitCode {
    let args = <Args as clap::Parser>::parse();
    grid_telemetry::logging::init_logging_at(args.log_format, "warn");
    let args = [args.input, args.output].map(|p| p.map(|p| p.display().to_string()));
    let input: Box<dyn Read> = match &args[0] {
        Some(path) => match File::open(path) {
            Ok(f) => Box::new(f),
            Err(e) => {
                eprintln!("cannot open {path}: {e}");
                return ExitCode::FAILURE;
            }
        },
        None => Box::new(io::stdin()),
    };
    let output: Box<dyn Write> = match &args[1] {
        Some(path) => match File::create(path) {
            Ok(f) => Box::new(io::BufWriter::new(f)),
            Err(e) => {
                eprintln!("cannot create {path}: {e}");
                return ExitCode::FAILURE;
            }
        },
        None => Box::new(io::BufWriter::new(io::stdout())),
    };
    match run(input, output) {
        Ok((rows, refused)) => {
            eprintln!("anomaly-csv: {rows} rows, {refused} not scored");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("anomaly-csv: {e}");
            ExitCode::FAILURE
        }
    }
}
