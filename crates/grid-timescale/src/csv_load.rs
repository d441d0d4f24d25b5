//! Loading readings from a CSV file, every refused line accounted for.
//!
//! The file has a header naming its columns, `sensor_tag,timestamp,value` and optionally
//! `quality` (in that order), then one reading per record: the sensor's tag, an RFC 3339
//! timestamp, the value as the device reported it (before calibration), and a quality in
//! [0, 1] (default 1). Fields may be quoted (RFC 4180, through the `csv` crate) and a UTF-8
//! byte-order mark is ignored. A file whose first line is not that header is refused as a
//! whole, naming the header expected: a headerless file would otherwise lose its first
//! reading as a "header".
//!
//! Each record that cannot become a reading (a missing or extra column, bytes that are not
//! UTF-8, an unknown tag, a timestamp, value or quality that does not parse) is refused with
//! its line number and reason, and the others load; a field quoted in a reason is cut to
//! [`SHOWN_CHARS`] characters with its length (a 10 MB tag is not echoed). Readings ingest refuses or finds in conflict are traced back
//! to their lines as well. [`load_csv`] counts every refusal by reason, keeps the first
//! [`SHOWN_LINES`] for the screen, and writes all of them to a report file when given one.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use uuid::Uuid;

use crate::ingest::{Ingester, Reading, StreamError, StreamReport};

/// The columns a readings file has, in order; the last is optional.
pub const COLUMNS: [&str; 4] = ["sensor_tag", "timestamp", "value", "quality"];
/// How many refused lines a [`CsvLoadReport`] keeps for the screen.
pub const SHOWN_LINES: usize = 20;
/// How many characters of a field a refusal quotes.
pub const SHOWN_CHARS: usize = 64;

/// `field` as a refusal quotes it: whole when short, else its first [`SHOWN_CHARS`]
/// characters and its length.
pub fn shown(field: &str) -> String {
    if field.chars().count() <= SHOWN_CHARS {
        format!("{field:?}")
    } else {
        let head: String = field.chars().take(SHOWN_CHARS).collect();
        format!("{head:?}… ({} bytes)", field.len())
    }
}

/// Why a whole file cannot be loaded.
#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    /// The first line is not the expected header.
    #[error(
        "line 1 is not the header: expected \"sensor_tag,timestamp,value\" or \"sensor_tag,timestamp,value,quality\", found {found:?}"
    )]
    Header {
        /// The first line's fields (each cut as [`shown`] cuts it).
        found: Vec<String>,
    },
    /// The file could not be read.
    #[error("reading the file: {0}")]
    Read(#[from] csv::Error),
    /// The report file could not be written.
    #[error("writing the report file: {0}")]
    Report(#[from] std::io::Error),
    /// Ingest stopped (a database error); everything before its position is stored.
    #[error(transparent)]
    Ingest(#[from] Box<StreamError>),
}

/// One line that did not become a stored reading, and why.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RefusedLine {
    /// The line number in the file (1 is the header).
    pub line: u64,
    /// The reason, as counted (e.g. `bad_timestamp`, `UnknownSensor`, `conflict`).
    pub reason: String,
    /// What exactly was wrong.
    pub detail: String,
}

/// What a CSV load did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct CsvLoadReport {
    /// Records read after the header.
    pub records: u64,
    /// The ingest totals of the readings the records became.
    pub ingest: StreamReport,
    /// Every refused line counted by reason (the file's own and ingest's), conflicts
    /// included.
    pub refused_by_reason: BTreeMap<String, u64>,
    /// All refused lines.
    pub refused: u64,
    /// The first [`SHOWN_LINES`] refused lines, in line order within each batch.
    pub first_refused: Vec<RefusedLine>,
}

/// Maps each reading's position in the stream to its line in the file. Most records take
/// one line each, so only the points where that stops holding are stored: memory grows
/// with the refused and multi-line records, not with the file.
#[derive(Debug, Default)]
struct LineMap {
    /// (reading index, its line) wherever the line is not the previous one's plus 1.
    anchors: Vec<(u64, u64)>,
    next_index: u64,
    last_line: u64,
}

impl LineMap {
    fn push(&mut self, line: u64) {
        if self.anchors.is_empty() || line != self.last_line + 1 {
            self.anchors.push((self.next_index, line));
        }
        self.last_line = line;
        self.next_index += 1;
    }

    fn line_of(&self, index: u64) -> u64 {
        let at = self.anchors.partition_point(|(i, _)| *i <= index);
        match at.checked_sub(1).map(|k| self.anchors[k]) {
            Some((i, line)) => line + (index - i),
            None => 0,
        }
    }
}

/// The refusals found while reading, and the line map.
#[derive(Debug, Default)]
struct Log {
    lines: LineMap,
    refused: Vec<RefusedLine>,
    records: u64,
    error: Option<csv::Error>,
}

/// The readings of a CSV file, refusing what cannot be a reading into the shared log.
struct Records<'a, R: Read> {
    records: csv::ByteRecordsIntoIter<R>,
    tags: &'a HashMap<String, Uuid>,
    log: &'a RefCell<Log>,
}

impl<R: Read> Iterator for Records<'_, R> {
    type Item = Reading;

    fn next(&mut self) -> Option<Reading> {
        loop {
            let bytes = match self.records.next()? {
                Ok(r) => r,
                Err(e) => {
                    // A file that cannot be read further (an I/O error) stops the load.
                    self.log.borrow_mut().error = Some(e);
                    return None;
                }
            };
            let line = bytes.position().map_or(0, |p| p.line());
            let mut log = self.log.borrow_mut();
            log.records += 1;
            match reading_of(bytes, self.tags) {
                Ok(reading) => {
                    log.lines.push(line);
                    return Some(reading);
                }
                Err((reason, detail)) => log.refused.push(RefusedLine {
                    line,
                    reason: reason.to_owned(),
                    detail,
                }),
            }
        }
    }
}

/// One record's reading, or why not. Bytes that are not UTF-8 refuse their line alone,
/// like any other bad line.
fn reading_of(
    bytes: csv::ByteRecord,
    tags: &HashMap<String, Uuid>,
) -> Result<Reading, (&'static str, String)> {
    let record = csv::StringRecord::from_byte_record(bytes).map_err(|e| {
        let at = e.utf8_error();
        (
            "invalid_utf8",
            format!(
                "field {} is not UTF-8 after its first {} bytes",
                at.field() + 1,
                at.valid_up_to()
            ),
        )
    })?;
    parse(&record, tags)
}

/// Every record of a readings file as its reading or its line's refusal, without a
/// database: what [`load_csv`] reads before ingest (the same header check, the same
/// reasons). For tools and tests; a load goes through [`load_csv`], which streams.
pub fn parse_all<R: Read>(
    input: R,
    tags: &HashMap<String, Uuid>,
) -> Result<Vec<Result<Reading, RefusedLine>>, CsvError> {
    let mut reader = reader(input);
    check_header(reader.byte_headers()?)?;
    let mut out = Vec::new();
    for bytes in reader.into_byte_records() {
        let bytes = bytes?;
        let line = bytes.position().map_or(0, |p| p.line());
        out.push(
            reading_of(bytes, tags).map_err(|(reason, detail)| RefusedLine {
                line,
                reason: reason.to_owned(),
                detail,
            }),
        );
    }
    Ok(out)
}

/// The CSV reader of a readings file: a header, records of varying length, fields trimmed.
fn reader<R: Read>(input: R) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(input)
}

fn parse(
    record: &csv::StringRecord,
    tags: &HashMap<String, Uuid>,
) -> Result<Reading, (&'static str, String)> {
    if record.len() > COLUMNS.len() {
        return Err((
            "extra_columns",
            format!(
                "{} fields, at most {} expected",
                record.len(),
                COLUMNS.len()
            ),
        ));
    }
    let field = |i: usize| record.get(i).filter(|f| !f.is_empty());
    let tag = field(0).ok_or(("missing_field", "no sensor_tag".to_owned()))?;
    let ts = field(1).ok_or(("missing_field", "no timestamp".to_owned()))?;
    let value = field(2).ok_or(("missing_field", "no value".to_owned()))?;
    let sensor_id = *tags
        .get(tag)
        .ok_or_else(|| ("unknown_tag", format!("no sensor is tagged {}", shown(tag))))?;
    let timestamp: DateTime<Utc> = ts
        .parse()
        .map_err(|e| ("bad_timestamp", format!("{}: {e}", shown(ts))))?;
    let value_raw: f64 = value
        .parse()
        .map_err(|e| ("bad_value", format!("{}: {e}", shown(value))))?;
    let quality = match field(3) {
        Some(q) => q
            .parse()
            .map_err(|e| ("bad_quality", format!("{}: {e}", shown(q))))?,
        None => 1.0,
    };
    Ok(Reading {
        quality,
        ..Reading::new(sensor_id, timestamp, value_raw)
    })
}

/// Checks the header: `sensor_tag,timestamp,value[,quality]`.
fn check_header(header: &csv::ByteRecord) -> Result<(), CsvError> {
    let found: Vec<String> = header
        .iter()
        .take(COLUMNS.len() + 1)
        .enumerate()
        .map(|(i, f)| {
            let f = String::from_utf8_lossy(f);
            // A UTF-8 byte-order mark may precede the first name.
            let f = if i == 0 {
                f.trim_start_matches('\u{feff}')
            } else {
                &f
            };
            if f.chars().count() <= SHOWN_CHARS {
                f.to_owned()
            } else {
                shown(f)
            }
        })
        .collect();
    let ok =
        (found.len() == 3 || found.len() == 4) && found.iter().zip(COLUMNS).all(|(f, c)| f == c);
    if ok {
        Ok(())
    } else {
        Err(CsvError::Header { found })
    }
}

/// Loads a readings file through `ingester` in batches of `batch_size`, each atomic. `tags`
/// maps sensor tags to ids. Every refused line is counted, the first [`SHOWN_LINES`] kept,
/// and all written as CSV (`line,reason,detail`) to `report_file` when given. `progress`
/// sees the ingest totals after each batch. The ingester's
/// [`max_rejection_details`](crate::ingest::IngestOptions::max_rejection_details) should be
/// at least `batch_size`, so that each batch describes every refusal.
pub fn load_csv<R: Read>(
    conn: &mut PgConnection,
    ingester: &mut Ingester,
    input: R,
    tags: &HashMap<String, Uuid>,
    batch_size: usize,
    report_file: Option<&mut dyn Write>,
    progress: impl FnMut(&StreamReport),
) -> Result<CsvLoadReport, CsvError> {
    load_csv_scored(
        conn,
        ingester,
        (input, tags),
        batch_size,
        report_file,
        None,
        progress,
    )
}

/// [`load_csv`] with `scorer` (the alarm engine, the anomaly engine, both) evaluating each
/// batch in its transaction.
pub fn load_csv_scored<R: Read>(
    conn: &mut PgConnection,
    ingester: &mut Ingester,
    (input, tags): (R, &HashMap<String, Uuid>),
    batch_size: usize,
    mut report_file: Option<&mut dyn Write>,
    scorer: Option<&mut dyn crate::ingest::Scorer>,
    mut progress: impl FnMut(&StreamReport),
) -> Result<CsvLoadReport, CsvError> {
    let mut reader = reader(input);
    check_header(reader.byte_headers()?)?;
    if let Some(w) = report_file.as_deref_mut() {
        writeln!(w, "line,reason,detail")?;
    }
    let log = RefCell::new(Log::default());
    let records = Records {
        records: reader.into_byte_records(),
        tags,
        log: &log,
    };
    let mut out = CsvLoadReport::default();
    let mut write_error: Option<std::io::Error> = None;
    let mut settle = |batch: Option<&crate::ingest::IngestReport>,
                      out: &mut CsvLoadReport,
                      report_file: &mut Option<&mut dyn Write>| {
        let mut log = log.borrow_mut();
        let mut lines = std::mem::take(&mut log.refused);
        if let Some(b) = batch {
            lines.extend(b.rejections.iter().map(|r| RefusedLine {
                line: log.lines.line_of(r.index),
                reason: format!("{:?}", r.reason),
                detail: format!("sensor {} at {}", r.sensor_id, r.timestamp.to_rfc3339()),
            }));
            lines.extend(b.conflict_details.iter().map(|c| RefusedLine {
                line: log.lines.line_of(c.index),
                reason: "conflict".to_owned(),
                detail: format!(
                    "sensor {} at {} is stored with another value (kept)",
                    c.sensor_id,
                    c.timestamp.to_rfc3339()
                ),
            }));
        }
        lines.sort_by_key(|l| l.line);
        for l in lines {
            *out.refused_by_reason.entry(l.reason.clone()).or_default() += 1;
            out.refused += 1;
            if let Some(w) = report_file.as_deref_mut()
                && write_error.is_none()
                && let Err(e) = writeln!(w, "{},{},{}", l.line, l.reason, csv_field(&l.detail))
            {
                write_error = Some(e);
            }
            if out.first_refused.len() < SHOWN_LINES {
                out.first_refused.push(l);
            }
        }
    };
    let stream = ingester.ingest_stream_with(conn, records, batch_size, scorer, |totals| {
        settle(Some(&totals.last_batch), &mut out, &mut report_file);
        progress(totals);
    });
    // Refusals after the last batch (a file ending in bad records).
    settle(None, &mut out, &mut report_file);
    out.ingest = stream?;
    // Counts the ingest kept apart from the details (beyond the cap) stay exact.
    let log = log.into_inner();
    if let Some(e) = log.error {
        return Err(e.into());
    }
    out.records = log.records;
    if let Some(e) = write_error {
        return Err(e.into());
    }
    Ok(out)
}

/// Quotes a report field when it holds a comma or a quote.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_follow_readings_through_gaps() {
        let mut m = LineMap::default();
        for line in [2, 3, 4, 7, 8, 12] {
            m.push(line);
        }
        let lines: Vec<u64> = (0..6).map(|i| m.line_of(i)).collect();
        assert_eq!(lines, [2, 3, 4, 7, 8, 12]);
        assert_eq!(m.anchors.len(), 3, "only where the line jumps");
    }

    #[test]
    fn the_header_is_checked_and_a_bom_ignored() {
        let rec = |fields: &[&str]| csv::ByteRecord::from(fields.to_vec());
        assert!(check_header(&rec(&["\u{feff}sensor_tag", "timestamp", "value"])).is_ok());
        assert!(check_header(&rec(&["sensor_tag", "timestamp", "value", "quality"])).is_ok());
        let e = check_header(&rec(&["CSV-LAN-V", "2026-11-24T10:05:00Z", "1e308"]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("expected \"sensor_tag,timestamp,value\""), "{e}");
        assert!(e.contains("CSV-LAN-V"), "{e}");
    }

    #[test]
    fn records_are_refused_with_their_reason() {
        let id = Uuid::new_v4();
        let tags = HashMap::from([("A".to_owned(), id)]);
        let rec = |fields: &[&str]| csv::StringRecord::from(fields.to_vec());
        let reason = |fields: &[&str]| parse(&rec(fields), &tags).unwrap_err().0;
        assert_eq!(
            reason(&["A", "2026-01-01T00:00:00Z", "1", "1", "x"]),
            "extra_columns"
        );
        assert_eq!(reason(&["A", "2026-01-01T00:00:00Z"]), "missing_field");
        assert_eq!(reason(&["B", "2026-01-01T00:00:00Z", "1"]), "unknown_tag");
        assert_eq!(reason(&["A", "yesterday", "1"]), "bad_timestamp");
        assert_eq!(reason(&["A", "2026-01-01T00:00:00Z", "1,5"]), "bad_value");
        assert_eq!(
            reason(&["A", "2026-01-01T00:00:00Z", "1", "high"]),
            "bad_quality"
        );
        let ok = parse(&rec(&["A", "2026-01-01T00:00:00Z", "230.5"]), &tags).unwrap();
        assert_eq!((ok.sensor_id, ok.value_raw, ok.quality), (id, 230.5, 1.0));
        // A 10 MB tag is named by its start and its length, not echoed.
        let huge = "T".repeat(10_000_000);
        let (reason, detail) =
            parse(&rec(&[&huge, "2026-01-01T00:00:00Z", "1"]), &tags).unwrap_err();
        assert_eq!(reason, "unknown_tag");
        assert!(
            detail.len() < 200 && detail.contains("(10000000 bytes)"),
            "{detail}"
        );
    }
}
