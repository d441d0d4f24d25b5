//! Writing a validated batch in one transaction: COPY or staging and merge, then the latest
//! values, `last_reading_at` and the invalidation log.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, TimeZone, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::result::DatabaseErrorKind;
use diesel::sql_types::{Array, BigInt, Bool, Double, Timestamptz};
use uuid::Uuid;

use super::copy::{Target, column_list, copy_rows, staging_ddl};
use super::validate::Row;
use super::{Conflict, ConflictPolicy, IngestReport, WritePath};
use crate::chunks::Probe;

/// Deadlocks and serialization failures: the server rolled the transaction back, and the
/// same transaction may succeed when tried again. Diesel reports a deadlock (SQLSTATE 40P01)
/// only by its message, which servers send in English unless `lc_messages` says otherwise.
pub(super) fn is_transient(e: &diesel::result::Error) -> bool {
    match e {
        diesel::result::Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => true,
        diesel::result::Error::DatabaseError(_, info) => {
            info.message().contains("deadlock detected")
        }
        _ => false,
    }
}

/// What writing a batch's rows did.
pub(super) struct Outcome {
    path: WritePath,
    inserted: u64,
    /// Stored with another value: kept (conflicts) or replaced, per the policy.
    changed: u64,
    /// Keys of the first kept conflicts.
    conflicting: Vec<(Uuid, DateTime<Utc>)>,
}

impl Outcome {
    pub(super) fn apply(
        &self,
        report: &mut IngestReport,
        policy: ConflictPolicy,
        rows: &[Row],
        cap: usize,
    ) {
        report.path = self.path;
        if !self.conflicting.is_empty() {
            let index: HashMap<(Uuid, DateTime<Utc>), u64> = rows
                .iter()
                .map(|r| ((r.sensor_id, r.timestamp), r.index))
                .collect();
            let room = cap.saturating_sub(report.conflict_details.len());
            report.conflict_details.extend(
                self.conflicting
                    .iter()
                    .filter_map(|&(sensor_id, timestamp)| {
                        Some(Conflict {
                            index: *index.get(&(sensor_id, timestamp))?,
                            sensor_id,
                            timestamp,
                        })
                    })
                    .take(room),
            );
            report.conflict_details.sort_by_key(|c| c.index);
        }
        let rows = rows.len() as u64;
        report.inserted = self.inserted;
        match policy {
            ConflictPolicy::KeepFirst => report.conflicts += self.changed,
            ConflictPolicy::Replace => report.replaced += self.changed,
        }
        report.duplicates += rows - self.inserted - self.changed;
    }
}

/// One attempt at writing a batch's rows, sorted by (sensor, time), in the caller's
/// transaction: straight COPY under a savepoint (the fast path) or, when a key is already
/// stored, staging and a merge; then the side effects.
pub(super) fn write_batch(
    conn: &mut PgConnection,
    rows: &[Row],
    policy: ConflictPolicy,
    cap: usize,
) -> QueryResult<Outcome> {
    let outcome = match policy {
        ConflictPolicy::KeepFirst => {
            match conn.transaction(|c| copy_rows(c, Target::Readings, rows)) {
                Ok(n) => Outcome {
                    path: WritePath::Direct,
                    inserted: n as u64,
                    changed: 0,
                    conflicting: Vec::new(),
                },
                Err(diesel::result::Error::DatabaseError(
                    DatabaseErrorKind::UniqueViolation,
                    _,
                )) => {
                    conn.batch_execute(&staging_ddl())?;
                    copy_rows(conn, Target::Staging, rows)?;
                    merge(conn, policy, cap)?
                }
                Err(e) => return Err(e),
            }
        }
        ConflictPolicy::Replace => {
            conn.batch_execute(&staging_ddl())?;
            copy_rows(conn, Target::Staging, rows)?;
            merge(conn, policy, cap)?
        }
    };
    after_write(conn, rows, policy)?;
    Ok(outcome)
}

/// The UTC day (a 1-day chunk's start) of `t`.
fn day_of(t: DateTime<Utc>) -> DateTime<Utc> {
    let d = t.timestamp().div_euclid(86_400) * 86_400;
    Utc.timestamp_opt(d, 0).single().unwrap_or(t)
}

/// The first row of each UTC day (1-day chunk) the rows touch, as probes, in day order. A
/// batch spans few days: a short list beats a map here.
pub(super) fn day_probes(rows: &[Row]) -> Vec<Probe> {
    let mut probes: Vec<Probe> = Vec::new();
    for r in rows {
        let day = day_of(r.timestamp);
        if !probes.iter().any(|p| p.day == day) {
            probes.push(Probe {
                day,
                sensor_id: r.sensor_id,
                timestamp: r.timestamp,
                value: r.value,
            });
        }
    }
    probes.sort_by_key(|p| p.day);
    probes
}

/// Moves staged rows into the table, counting what happened to each.
fn merge(conn: &mut PgConnection, policy: ConflictPolicy, cap: usize) -> QueryResult<Outcome> {
    #[derive(QueryableByName)]
    struct Counts {
        #[diesel(sql_type = BigInt)]
        inserted: i64,
        #[diesel(sql_type = BigInt)]
        changed: i64,
    }
    let columns = column_list();
    let sql = match policy {
        ConflictPolicy::KeepFirst => {
            let inserted = diesel::sql_query(format!(
                "INSERT INTO sensor_readings ({columns})
                 SELECT {columns} FROM sensor_readings_staging ORDER BY sensor_id, \"timestamp\"
                 ON CONFLICT (sensor_id, \"timestamp\") DO NOTHING"
            ))
            .execute(conn)?;
            // A statement of its own, with a new snapshot: a key another writer committed
            // while the INSERT ran conflicted there, but that INSERT's snapshot could not
            // see it. Now every key that conflicted is visible, and the batch's own rows
            // hold the staged values.
            // Only the first `cap` keys are fetched; the count is always exact.
            #[derive(QueryableByName)]
            struct Changed {
                #[diesel(sql_type = BigInt)]
                changed: i64,
                #[diesel(sql_type = Array<diesel::sql_types::Uuid>)]
                ids: Vec<Uuid>,
                #[diesel(sql_type = Array<Timestamptz>)]
                times: Vec<DateTime<Utc>>,
            }
            let changed: Changed = diesel::sql_query(
                "WITH c AS (SELECT s.sensor_id, s.\"timestamp\" FROM sensor_readings_staging s
                              JOIN sensor_readings r USING (sensor_id, \"timestamp\")
                             WHERE r.value IS DISTINCT FROM s.value)
                 SELECT (SELECT count(*) FROM c) AS changed,
                        coalesce((SELECT array_agg(sensor_id) FROM (SELECT * FROM c LIMIT $1) x), '{}') AS ids,
                        coalesce((SELECT array_agg(\"timestamp\") FROM (SELECT * FROM c LIMIT $1) x), '{}') AS times",
            )
            .bind::<BigInt, _>(i64::try_from(cap).unwrap_or(i64::MAX))
            .get_result(conn)?;
            return Ok(Outcome {
                path: WritePath::Staged,
                inserted: inserted as u64,
                changed: changed.changed as u64,
                conflicting: changed.ids.into_iter().zip(changed.times).collect(),
            });
        }
        ConflictPolicy::Replace => format!(
            "WITH up AS (
                 INSERT INTO sensor_readings ({columns})
                 SELECT {columns} FROM sensor_readings_staging ORDER BY sensor_id, \"timestamp\"
                 ON CONFLICT (sensor_id, \"timestamp\") DO UPDATE
                    SET value = excluded.value, value_raw = excluded.value_raw,
                        quality_indicator = excluded.quality_indicator,
                        is_out_of_range = excluded.is_out_of_range, metadata = excluded.metadata,
                        is_anomaly = excluded.is_anomaly, anomaly_score = excluded.anomaly_score
                  WHERE sensor_readings.value IS DISTINCT FROM excluded.value
                 RETURNING (xmax = 0) AS fresh)
             SELECT count(*) FILTER (WHERE fresh) AS inserted,
                    count(*) FILTER (WHERE NOT fresh) AS changed FROM up"
        ),
    };
    let counts: Counts = diesel::sql_query(sql).get_result(conn)?;
    Ok(Outcome {
        path: WritePath::Staged,
        inserted: counts.inserted as u64,
        changed: counts.changed as u64,
        conflicting: Vec::new(),
    })
}

/// The batch's side effects: latest values, `last_reading_at`, the invalidation log.
fn after_write(conn: &mut PgConnection, rows: &[Row], policy: ConflictPolicy) -> QueryResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut latest: HashMap<Uuid, &Row> = HashMap::new();
    let mut hours: HashSet<i64> = HashSet::new();
    for row in rows {
        let e = latest.entry(row.sensor_id).or_insert(row);
        if row.timestamp > e.timestamp {
            *e = row;
        }
        hours.insert(row.timestamp.timestamp().div_euclid(3600));
    }
    // Sorted by sensor so concurrent batches lock rows in one order.
    let mut latest: Vec<&Row> = latest.into_values().collect();
    latest.sort_by_key(|r| r.sensor_id);
    // A key stored with another value (kept under KeepFirst) is never newer than the stored
    // latest; under Replace a replaced reading at the latest time must update it.
    let newer = match policy {
        ConflictPolicy::KeepFirst => ">",
        ConflictPolicy::Replace => ">=",
    };
    // One statement over arrays (six parameters whatever the batch's sensors), not a
    // multi-row VALUES list: the latter cost ~10 % of streaming ingest in the benchmark.
    diesel::sql_query(include_str!("latest_upsert.sql").replace("{NEWER}", newer))
        .bind::<Array<diesel::sql_types::Uuid>, _>(
            latest.iter().map(|r| r.sensor_id).collect::<Vec<_>>(),
        )
        .bind::<Array<Timestamptz>, _>(latest.iter().map(|r| r.timestamp).collect::<Vec<_>>())
        .bind::<Array<Double>, _>(latest.iter().map(|r| r.value).collect::<Vec<_>>())
        .bind::<Array<Double>, _>(latest.iter().map(|r| r.quality).collect::<Vec<_>>())
        .bind::<Array<Bool>, _>(latest.iter().map(|r| r.out_of_range).collect::<Vec<_>>())
        .bind::<Array<Bool>, _>(
            latest
                .iter()
                .map(|r| r.anomaly_score.is_some_and(|s| s >= 0.5))
                .collect::<Vec<_>>(),
        )
        .execute(conn)?;
    let pairs: Vec<(Uuid, DateTime<Utc>)> =
        latest.iter().map(|r| (r.sensor_id, r.timestamp)).collect();
    grid_store::sensors::advance_last_reading_at(conn, &pairs)?;
    let mut hours: Vec<DateTime<Utc>> = hours
        .into_iter()
        .filter_map(|h| Utc.timestamp_opt(h * 3600, 0).single())
        .collect();
    hours.sort();
    crate::rollup::invalidate_hours(conn, &hours)
}
