//! PostgreSQL's binary COPY format for validated rows, into the table or into staging.

use std::io::Write;

use diesel::pg::CopyFormat;
use diesel::prelude::*;
use grid_store::schema::sensor_readings;

use super::validate::Row;
use crate::relations::sensor_readings_staging;

/// The columns ingest writes, in the order [`encode_row`] encodes them: the one list that
/// the COPY into either table, the staging table's definition and the merge all follow.
macro_rules! copy_columns {
    ($t:ident) => {
        (
            $t::sensor_id,
            $t::timestamp,
            $t::value,
            $t::value_raw,
            $t::quality_indicator,
            $t::is_anomaly,
            $t::anomaly_score,
            $t::is_out_of_range,
            $t::metadata,
        )
    };
}

/// The names of [`copy_columns!`] over `table`, from Diesel's declaration of it.
macro_rules! copy_column_names {
    ($t:ident) => {{
        use diesel::Column;
        fn name<C: Column>(_: C) -> &'static str {
            C::NAME
        }
        let (a, b, c, d, e, f, g, h, i) = copy_columns!($t);
        [
            name(a),
            name(b),
            name(c),
            name(d),
            name(e),
            name(f),
            name(g),
            name(h),
            name(i),
        ]
    }};
}

/// The names of [`copy_columns!`], from Diesel's declaration of `sensor_readings`.
pub(super) fn column_names() -> [&'static str; 9] {
    use sensor_readings as r;
    copy_column_names!(r)
}

/// The column list for SQL text, each name quoted.
pub(super) fn column_list() -> String {
    column_names().map(|c| format!("\"{c}\"")).join(", ")
}

/// The connection's staging table: the copied columns of `sensor_readings`, their types
/// taken from the table itself, emptied at every commit.
pub(super) fn staging_ddl() -> String {
    format!(
        "CREATE TEMP TABLE IF NOT EXISTS sensor_readings_staging ON COMMIT DELETE ROWS AS
             SELECT {} FROM sensor_readings WITH NO DATA;
         TRUNCATE sensor_readings_staging;",
        column_list()
    )
}

#[derive(Clone, Copy)]
pub(super) enum Target {
    Readings,
    Staging,
}

/// Microseconds between the Unix epoch and PostgreSQL's (2000-01-01).
const PG_EPOCH_OFFSET_MICROS: i64 = 946_684_800_000_000;
/// Bytes buffered before each `PQputCopyData` call.
const COPY_CHUNK: usize = 64 * 1024;

/// Appends one row in PostgreSQL's binary COPY format (big-endian), its fields in the
/// order of [`copy_columns!`] (a test decodes it back against [`column_names`]).
fn encode_row(buf: &mut Vec<u8>, row: &Row, fields: i16) {
    fn field(buf: &mut Vec<u8>, bytes: &[u8]) {
        buf.extend_from_slice(&(bytes.len() as i32).to_be_bytes());
        buf.extend_from_slice(bytes);
    }
    buf.extend_from_slice(&fields.to_be_bytes());
    field(buf, row.sensor_id.as_bytes());
    let micros = row.timestamp.timestamp_micros() - PG_EPOCH_OFFSET_MICROS;
    field(buf, &micros.to_be_bytes());
    field(buf, &row.value.to_bits().to_be_bytes());
    field(buf, &row.value_raw.to_bits().to_be_bytes());
    field(buf, &row.quality.to_bits().to_be_bytes());
    // The anomaly engine's score, when a scorer saw the batch (grid-detect); is_anomaly
    // follows from it (0.5 is a detector's threshold).
    field(
        buf,
        &[u8::from(row.anomaly_score.is_some_and(|s| s >= 0.5))],
    );
    match row.anomaly_score {
        None => buf.extend_from_slice(&(-1i32).to_be_bytes()),
        Some(score) => field(buf, &score.to_bits().to_be_bytes()),
    }
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
    let fields = column_names().len() as i16;
    for row in rows {
        encode_row(&mut buf, row, fields);
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
                .from_raw_data(copy_columns!(r), callback)
                .with_format(CopyFormat::Binary)
                .execute(conn)
        }
        Target::Staging => {
            use sensor_readings_staging as s;
            diesel::copy_from(s::table)
                .from_raw_data(copy_columns!(s), callback)
                .with_format(CopyFormat::Binary)
                .execute(conn)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    /// The staging table Diesel knows must list the copied columns in the same order.
    #[test]
    fn staging_and_readings_copy_the_same_columns() {
        use sensor_readings_staging as s;
        assert_eq!(copy_column_names!(s), column_names());
    }

    /// A row encodes as exactly one field per copied column.
    #[test]
    fn a_row_encodes_one_field_per_column() {
        let row = Row {
            index: 0,
            degraded: false,
            sensor_id: uuid::Uuid::new_v4(),
            timestamp: Utc::now(),
            value: 1.0,
            value_raw: 2.0,
            quality: 1.0,
            out_of_range: false,
            anomaly_score: Some(0.7),
            metadata: Some(serde_json::json!({"a": 1})),
        };
        let mut buf = Vec::new();
        encode_row(&mut buf, &row, column_names().len() as i16);
        let count = i16::from_be_bytes([buf[0], buf[1]]) as usize;
        let mut at = 2;
        let mut fields = 0;
        while at < buf.len() {
            let len = i32::from_be_bytes(buf[at..at + 4].try_into().unwrap());
            at += 4 + len.max(0) as usize;
            fields += 1;
        }
        assert_eq!(at, buf.len());
        assert_eq!(
            (count, fields),
            (column_names().len(), column_names().len())
        );
    }
}
