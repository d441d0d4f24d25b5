//! PostgreSQL's binary COPY format for validated rows, into the table or into staging.

use std::io::Write;

use diesel::pg::CopyFormat;
use diesel::prelude::*;
use grid_store::schema::sensor_readings;

use super::validate::Row;
use crate::relations::sensor_readings_staging;

pub(super) const STAGING_DDL: &str = "CREATE TEMP TABLE IF NOT EXISTS sensor_readings_staging (
        sensor_id uuid NOT NULL, \"timestamp\" timestamptz NOT NULL, value float8 NOT NULL,
        value_raw float8, quality_indicator float8 NOT NULL, is_anomaly boolean NOT NULL,
        is_out_of_range boolean NOT NULL, metadata jsonb) ON COMMIT DELETE ROWS;
    TRUNCATE sensor_readings_staging;";

#[derive(Clone, Copy)]
pub(super) enum Target {
    Readings,
    Staging,
}

/// Microseconds between the Unix epoch and PostgreSQL's (2000-01-01).
const PG_EPOCH_OFFSET_MICROS: i64 = 946_684_800_000_000;
/// Bytes buffered before each `PQputCopyData` call.
const COPY_CHUNK: usize = 64 * 1024;

/// Appends one row in PostgreSQL's binary COPY format (8 fields, big-endian).
fn encode_row(buf: &mut Vec<u8>, row: &Row) {
    fn field(buf: &mut Vec<u8>, bytes: &[u8]) {
        buf.extend_from_slice(&(bytes.len() as i32).to_be_bytes());
        buf.extend_from_slice(bytes);
    }
    buf.extend_from_slice(&8i16.to_be_bytes());
    field(buf, row.sensor_id.as_bytes());
    let micros = row.timestamp.timestamp_micros() - PG_EPOCH_OFFSET_MICROS;
    field(buf, &micros.to_be_bytes());
    field(buf, &row.value.to_bits().to_be_bytes());
    field(buf, &row.value_raw.to_bits().to_be_bytes());
    field(buf, &row.quality.to_bits().to_be_bytes());
    field(buf, &[0]); // is_anomaly: set later by anomaly detection
    field(buf, &[u8::from(row.out_of_range)]);
    match &row.metadata {
        None => buf.extend_from_slice(&(-1i32).to_be_bytes()),
        Some(m) => {
            // jsonb's binary form: a version byte, then the JSON text.
            let text = m.to_string();
            buf.extend_from_slice(&(text.len() as i32 + 1).to_be_bytes());
            buf.push(1);
            buf.extend_from_slice(text.as_bytes());
        }
    }
}

fn copy_header(buf: &mut Vec<u8>) {
    buf.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
    buf.extend_from_slice(&0i32.to_be_bytes()); // flags
    buf.extend_from_slice(&0i32.to_be_bytes()); // header extension length
}

fn write_rows(out: &mut dyn Write, rows: &[Row]) -> Result<(), diesel::result::Error> {
    let io = |e: std::io::Error| diesel::result::Error::SerializationError(Box::new(e));
    let mut buf = Vec::with_capacity(COPY_CHUNK + 1024);
    copy_header(&mut buf);
    for row in rows {
        encode_row(&mut buf, row);
        if buf.len() >= COPY_CHUNK {
            out.write_all(&buf).map_err(io)?;
            buf.clear();
        }
    }
    buf.extend_from_slice(&(-1i16).to_be_bytes());
    out.write_all(&buf).map_err(io)?;
    Ok(())
}

/// COPY of validated rows into `target`.
pub(super) fn copy_rows(
    conn: &mut PgConnection,
    target: Target,
    rows: &[Row],
) -> QueryResult<usize> {
    run_copy(conn, target, |out: &mut dyn Write| write_rows(out, rows))
}

fn run_copy(
    conn: &mut PgConnection,
    target: Target,
    callback: impl Fn(&mut dyn Write) -> Result<(), diesel::result::Error>,
) -> QueryResult<usize> {
    match target {
        Target::Readings => {
            use sensor_readings as r;
            diesel::copy_from(r::table)
                .from_raw_data(
                    (
                        r::sensor_id,
                        r::timestamp,
                        r::value,
                        r::value_raw,
                        r::quality_indicator,
                        r::is_anomaly,
                        r::is_out_of_range,
                        r::metadata,
                    ),
                    callback,
                )
                .with_format(CopyFormat::Binary)
                .execute(conn)
        }
        Target::Staging => {
            use sensor_readings_staging as s;
            diesel::copy_from(s::table)
                .from_raw_data(
                    (
                        s::sensor_id,
                        s::timestamp,
                        s::value,
                        s::value_raw,
                        s::quality_indicator,
                        s::is_anomaly,
                        s::is_out_of_range,
                        s::metadata,
                    ),
                    callback,
                )
                .with_format(CopyFormat::Binary)
                .execute(conn)
        }
    }
}
