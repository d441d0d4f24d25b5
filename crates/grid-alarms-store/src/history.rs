//! The engine over stored readings (`sentinel alarms --from --to`): the readings of every
//! point that alarms, an hour at a time in (sensor, time) order, through the same engine as
//! ingest, each hour in one transaction. Resumable and idempotent: a reading not later than
//! its point's last evaluated one is skipped, so a second run over the same days raises
//! nothing twice and a run stopped half-way goes on where it stopped.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use grid_store::schema::sensor_readings;
use grid_timescale::ingest::{ScoreInput, Scorer};
use uuid::Uuid;

use crate::engine::{AlarmCounts, AlarmEngine};
use crate::error::AlarmResult;

/// Readings read per chunk of time at most (a national fleet's hour at 1 Hz is more).
const CHUNK: Duration = Duration::hours(1);

/// Runs `engine` over the stored readings in `[from, to)`; what it did.
pub fn evaluate_range(
    conn: &mut PgConnection,
    engine: &mut AlarmEngine,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> AlarmResult<AlarmCounts> {
    let before = engine.counts();
    // The points as of now (a first empty batch loads them).
    engine.evaluate_or_forget(conn, &[])?;
    let ids: Vec<Uuid> = engine.points().map(|p| p.id).collect();
    let mut t = from;
    while t < to {
        let end = (t + CHUNK).min(to);
        let rows: Vec<(Uuid, DateTime<Utc>, f64)> = sensor_readings::table
            .filter(sensor_readings::sensor_id.eq_any(&ids))
            .filter(sensor_readings::timestamp.ge(t))
            .filter(sensor_readings::timestamp.lt(end))
            .order((sensor_readings::sensor_id, sensor_readings::timestamp))
            .select((
                sensor_readings::sensor_id,
                sensor_readings::timestamp,
                sensor_readings::value,
            ))
            .load(conn)?;
        let inputs: Vec<ScoreInput> = rows
            .into_iter()
            .map(|(sensor_id, timestamp, value)| ScoreInput {
                sensor_id,
                timestamp,
                value,
            })
            .collect();
        // Here a failure stops the run (it is resumable), never skips an hour.
        engine.evaluate_or_forget(conn, &inputs)?;
        if let Err(e) = conn.transaction(|c| engine.persist(c)) {
            engine.rollback();
            return Err(e.into());
        }
        t = end;
    }
    let after = engine.counts();
    Ok(AlarmCounts {
        raised: after.raised - before.raised,
        late: after.late - before.late,
        regraded: after.regraded - before.regraded,
        cleared: after.cleared - before.cleared,
        shelved: after.shelved - before.shelved,
        reannounced: after.reannounced - before.reannounced,
        floods: after.floods - before.floods,
        not_evaluated: after.not_evaluated - before.not_evaluated,
        already_evaluated: after.already_evaluated - before.already_evaluated,
    })
}
