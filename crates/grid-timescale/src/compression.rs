//! Columnstore (compression) of old chunks, segmented by sensor and ordered by time
//! descending: the columnstore API on TimescaleDB 2.18 and later, compression before; a typed
//! "unsupported here" answer elsewhere, never a silent no-op.

use chrono::Duration;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use crate::capabilities::{ServerMode, detect};
use crate::error::{TimescaleError, TsResult};
use crate::ledger::literal;

/// Which API was used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompressionApi {
    /// `timescaledb.enable_columnstore` and `add_columnstore_policy` (2.18+).
    Columnstore,
    /// `timescaledb.compress` and `add_compression_policy` (before 2.18).
    Compression,
}

fn version_at_least(v: &str, major: u32, minor: u32) -> bool {
    let mut parts = v.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let (a, b) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (a, b) >= (major, minor)
}

/// Converts chunks older than `after` to columnar form, from now on.
pub fn enable_compression(conn: &mut PgConnection, after: Duration) -> TsResult<CompressionApi> {
    let caps = detect(conn)?;
    if caps.mode != ServerMode::Community {
        return Err(TimescaleError::Unsupported {
            feature: "compression",
            mode: caps.mode,
            reason: "columnstore/compression needs the TimescaleDB community edition",
        });
    }
    let interval = literal(&format!("{} seconds", after.num_seconds()));
    let version = caps.timescaledb_version.unwrap_or_default();
    let api = if version_at_least(&version, 2, 18) {
        conn.batch_execute(&format!(
            "ALTER TABLE sensor_readings SET (timescaledb.enable_columnstore = true,
                 timescaledb.segmentby = 'sensor_id', timescaledb.orderby = '\"timestamp\" DESC');
             CALL add_columnstore_policy('sensor_readings', after => {interval}::interval,
                                         if_not_exists => true);"
        ))?;
        CompressionApi::Columnstore
    } else {
        conn.batch_execute(&format!(
            "ALTER TABLE sensor_readings SET (timescaledb.compress,
                 timescaledb.compress_segmentby = 'sensor_id',
                 timescaledb.compress_orderby = '\"timestamp\" DESC');
             SELECT add_compression_policy('sensor_readings', compress_after => {interval}::interval,
                                           if_not_exists => true);"
        ))?;
        CompressionApi::Compression
    };
    diesel::sql_query(
        "INSERT INTO grid_timescale_ledger (component, version, detail)
         VALUES ('compression', 1, '{}') ON CONFLICT (component) DO NOTHING",
    )
    .execute(conn)?;
    Ok(api)
}

/// Reverses [`enable_compression`]: removes the policy, decompresses, turns it off.
pub(crate) fn disable(conn: &mut PgConnection) -> TsResult<()> {
    conn.batch_execute(
        "SELECT remove_compression_policy('sensor_readings', if_exists => true);
         SELECT decompress_chunk(c, true) FROM show_chunks('sensor_readings') c;
         ALTER TABLE sensor_readings SET (timescaledb.compress = false);
         DELETE FROM grid_timescale_ledger WHERE component = 'compression';",
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn versions_compare_numerically() {
        assert!(super::version_at_least("2.19.3", 2, 18));
        assert!(super::version_at_least("2.18.0", 2, 18));
        assert!(!super::version_at_least("2.17.2", 2, 18));
        assert!(super::version_at_least("3.0.0", 2, 18));
    }
}
