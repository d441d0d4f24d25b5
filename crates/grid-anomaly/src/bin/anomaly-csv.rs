//! Scores any series from a CSV file, without a database and without per-series parameters.
//!
//! ```text
//! anomaly-csv [INPUT.csv] [OUTPUT.csv]      # standard input / output when left out
//! ```
//!
//! Input: a header, then `timestamp,value` rows in time order (any cadence, gaps allowed).
//! A timestamp is RFC 3339 (`2026-01-05T10:00:00Z`), `YYYY-MM-DD HH:MM:SS[.fff]` (taken as
//! UTC), or seconds since the Unix epoch. Output: `timestamp,value,anomaly_score,label,flag`
//! with the input's text, one row per input row, in order: `anomaly_score` is the ranking
//! score in [0, 1) ([`grid_anomaly::surprise`]), `label` 1 for a reading at or past a
//! detector's threshold. Every row is scored, and a row that is not what it should be says
//! so in `flag` and on standard error:
//!
//! | flag | the row | scored as |
//! |---|---|---|
//! | `repeated_time` | its timestamp equals the one before | the next reading, 1 ms after the one before |
//! | `backwards_time` | its timestamp is before the one before | likewise |
//! | `bad_time` | its timestamp is not a time | likewise |
//! | `not_a_number` | its value is not a finite number | 0, label 0: it says nothing of the quantity, and the detector does not learn from it |
//!
//! Exit status 1 only when the input cannot be read or the output cannot be written.

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

/// What is wrong with a row that is still scored.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Flag {
    RepeatedTime,
    BackwardsTime,
    BadTime,
    NotANumber,
}

impl Flag {
    fn as_str(self) -> &'static str {
        match self {
            Flag::RepeatedTime => "repeated_time",
            Flag::BackwardsTime => "backwards_time",
            Flag::BadTime => "bad_time",
            Flag::NotANumber => "not_a_number",
        }
    }
}

fn run(input: Box<dyn Read>, output: Box<dyn Write>) -> Result<(usize, usize), String> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let mut writer = csv::Writer::from_writer(output);
    let io = |e: csv::Error| e.to_string();
    writer
        .write_record(["timestamp", "value", "anomaly_score", "label", "flag"])
        .map_err(io)?;
    let mut detector = SeriesDetector::new(Config::default());
    let (mut rows, mut flagged) = (0, 0);
    let mut record = csv::StringRecord::new();
    let mut line = 1;
    let mut previous_time = None;
    loop {
        line += 1;
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            // A row the CSV reader cannot take (invalid UTF-8, say) is still a row: scored as a
            // value that is not a number, so the output keeps one row per input row.
            Err(e) => {
                eprintln!("line {line}: unreadable row ({e}); scored 0, flagged not_a_number");
                record.clear();
            }
        }
        rows += 1;
        let (time_text, value_text) = (record.get(0).unwrap_or(""), record.get(1).unwrap_or(""));
        // Repeated: the same time as the row before; backwards: before the last time scored.
        // Either is scored as the next reading, a millisecond after the last one scored.
        let last = detector.last_ms();
        let parsed = parse_time(time_text);
        let (t_ms, time_flag) = match (parsed, last) {
            (Some(t), Some(l)) if Some(t) == previous_time => (l + 1, Some(Flag::RepeatedTime)),
            (Some(t), Some(l)) if t <= l => (l + 1, Some(Flag::BackwardsTime)),
            (Some(t), _) => (t, None),
            (None, l) => (l.map_or(0, |l| l + 1), Some(Flag::BadTime)),
        };
        previous_time = parsed;
        let value = value_text
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite());
        let (score, label, flag) = match value {
            None => (0.0, false, Some(Flag::NotANumber)),
            Some(v) => match detector.observe(t_ms, v) {
                Ok(s) => (s.surprise, s.anomalous, time_flag),
                // Unreachable for a finite value at a later time; scored 0 and named if not.
                Err(e) => {
                    eprintln!("line {line}: {e}; scored 0");
                    (0.0, false, time_flag.or(Some(Flag::NotANumber)))
                }
            },
        };
        if let Some(f) = flag {
            flagged += 1;
            eprintln!(
                "line {line}: {} (timestamp {time_text:?}, value {value_text:?}); scored {score:.6}",
                f.as_str()
            );
        }
        writer
            .write_record([
                time_text,
                value_text,
                &format!("{score:.6}"),
                if label { "1" } else { "0" },
                flag.map_or("", Flag::as_str),
            ])
            .map_err(io)?;
    }
    writer.flush().map_err(|e| e.to_string())?;
    Ok((rows, flagged))
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
        Ok((rows, flagged)) => {
            eprintln!("anomaly-csv: {rows} rows scored, {flagged} flagged");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("anomaly-csv: {e}");
            ExitCode::FAILURE
        }
    }
}
