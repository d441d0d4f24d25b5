//! Making a hypertable's chunks before the data that needs them arrives.
//!
//! TimescaleDB creates a chunk on the first insert into its range, inside the inserting
//! transaction. Creating a chunk of `sensor_readings` adds its foreign key to `grid_sensors`,
//! which takes a lock on `grid_sensors` that conflicts with a concurrent batch's update of
//! `last_reading_at`; taken in the middle of a batch that already holds row locks, it made
//! two writers deadlock. Ingest therefore creates the chunks of a batch's days first, each in
//! a transaction of its own, where waiting for that lock holds nothing another writer wants:
//! with `create_chunk` in the community edition, and in the Apache edition (which refuses
//! that function) by a probe row inserted and deleted again.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::Timestamptz;

/// A day a batch writes to, and one of its readings that may stand in for it while the
/// chunk is made (Apache edition).
pub(crate) struct Probe {
    /// The UTC midnight starting the day.
    pub(crate) day: DateTime<Utc>,
    pub(crate) sensor_id: uuid::Uuid,
    pub(crate) timestamp: DateTime<Utc>,
    pub(crate) value: f64,
}

/// The days (UTC midnights, the 1-day chunks' bounds) a session knows have a chunk.
#[derive(Debug, Default)]
pub(crate) struct KnownChunks {
    known: HashSet<i64>,
    /// Whether `create_chunk` is available (the community edition); else probe rows.
    community: bool,
}

impl KnownChunks {
    pub(crate) fn new(community: bool) -> Self {
        KnownChunks {
            known: HashSet::new(),
            community,
        }
    }

    /// Creates the 1-day chunks of the probes' days that do not exist yet; a chunk another
    /// session creates meanwhile is found, not duplicated.
    pub(crate) fn ensure(&mut self, conn: &mut PgConnection, probes: &[Probe]) -> QueryResult<()> {
        let missing: Vec<&Probe> = probes
            .iter()
            .filter(|p| !self.known.contains(&p.day.timestamp()))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        if self.community {
            // One chunk per statement, each its own transaction: a statement making several
            // would hold the first new chunk's locks while it waits to make the next, and a
            // writer already using the first would wait for it in turn.
            for p in &missing {
                // Slices are in TimescaleDB's internal time: microseconds since the Unix epoch.
                diesel::sql_query(
                    "SELECT count(*) FROM _timescaledb_functions.create_chunk('sensor_readings',
                         jsonb_build_object('timestamp', jsonb_build_array(
                             (extract(epoch FROM $1::timestamptz) * 1000000)::bigint,
                             (extract(epoch FROM $1::timestamptz + INTERVAL '1 day') * 1000000)::bigint)))",
                )
                .bind::<Timestamptz, _>(p.day)
                .execute(conn)?;
            }
        } else {
            // The Apache edition refuses create_chunk: a probe row per day (one of the
            // batch's own), inserted and deleted again in a transaction of its own, makes
            // the chunk and leaves nothing else behind (setup's `grid_timescale_make_chunk`,
            // so the ingest role needs no DELETE).
            for row in &missing {
                conn.transaction(|c| {
                    diesel::sql_query("SELECT grid_timescale_make_chunk($1, $2, $3)")
                        .bind::<diesel::sql_types::Uuid, _>(row.sensor_id)
                        .bind::<Timestamptz, _>(row.timestamp)
                        .bind::<diesel::sql_types::Double, _>(row.value)
                        .execute(c)
                })?;
            }
        }
        self.known.extend(missing.iter().map(|p| p.day.timestamp()));
        Ok(())
    }

    /// Forgets every known chunk (retention may have dropped some).
    pub(crate) fn clear(&mut self) {
        self.known.clear();
    }
}
