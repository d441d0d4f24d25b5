//! The alarm engine over the store. An [`AlarmEngine`] is a [`Scorer`] of grid-timescale's
//! ingest: every ingest path (the facade's and `sentinel ingest`'s batches, the SCADA
//! poller) evaluates each point's limit alarm on the batch's calibrated values, and the
//! alerts, states and floods it derives commit with the batch's readings or not at all. The
//! history run ([`crate::history`]) feeds it stored readings the same way.
//!
//! Per batch: the points' stored states are loaded once and kept (a batch that rolls back
//! drops those it touched, so the next loads them again; an operator's shelving or
//! out-of-service action reloads its point with the next batch); a point out of service is not
//! evaluated; a voltage or frequency point of a substation with an outage open at a reading's
//! time is suppressed (ISA-18.2 state-based suppression: a dead bus reads nothing
//! meaningful, and the outage is alarmed already); a reading not later than its point's last
//! evaluated one is skipped (evaluated already: a re-run raises nothing twice). A reading
//! older than `late_after` when evaluated is late: its alarms are recorded as history
//! (`metadata.alarm.late`), never announced as new.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use grid_alarms::{AlarmEvent, PointAlarm, policy};
use grid_model::GridZone;
use grid_timescale::ingest::{ScoreInput, Scorer, SensorStamp};
use uuid::Uuid;

use crate::error::AlarmResult;
use crate::fleet::{self, Point};
use crate::points;
use crate::settings::AlarmSettings;
pub use crate::state::AlarmCounts;

/// How often the engine checks whether the sensors or substations changed (a batch naming a
/// sensor it does not know reloads them at once).
pub const FLEET_CHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(10);
use crate::state::{Cached, Derived, State};
use crate::write;

/// The alarm engine (see the module docs).
pub struct AlarmEngine {
    settings: AlarmSettings,
    stamp: Option<SensorStamp>,
    checked_at: Option<std::time::Instant>,
    /// The last operator action seen (alarm_actions' id).
    last_action: Option<i64>,
    /// Why the last batch's evaluation failed (its persist refuses the batch).
    failed: Option<String>,
    st: State,
    counts: AlarmCounts,
}

impl std::fmt::Debug for AlarmEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlarmEngine")
            .field("points", &self.st.fleet.len())
            .field("counts", &self.counts)
            .finish()
    }
}

impl AlarmEngine {
    /// An engine with `settings`; points load with the first batch.
    pub fn new(settings: AlarmSettings) -> AlarmEngine {
        AlarmEngine {
            settings,
            stamp: None,
            checked_at: None,
            last_action: None,
            failed: None,
            st: State::default(),
            counts: AlarmCounts::default(),
        }
    }

    /// What the engine did in committed batches.
    pub fn counts(&self) -> AlarmCounts {
        self.counts
    }

    /// The points that alarm, as last loaded.
    pub fn points(&self) -> impl Iterator<Item = &Point> {
        self.st.fleet.values()
    }

    /// Reloads the points when the sensors or substations changed: at once for a batch
    /// naming a sensor added since the last load (its first readings are evaluated), else
    /// checked at most every [`FLEET_CHECK_EVERY`] (a few aggregate reads; a changed limit
    /// or level applies from then, as the ingester's own sensor cache does).
    fn refresh_fleet(
        &mut self,
        conn: &mut PgConnection,
        readings: &[ScoreInput],
    ) -> AlarmResult<()> {
        let unknown = readings
            .chunk_by(|a, b| a.sensor_id == b.sensor_id)
            .any(|run| !self.st.sensors.contains(&run[0].sensor_id));
        let due = self
            .checked_at
            .is_none_or(|t| t.elapsed() >= FLEET_CHECK_EVERY);
        if !unknown && !due {
            return Ok(());
        }
        let now = SensorStamp::read(conn)?;
        self.checked_at = Some(std::time::Instant::now());
        if self.stamp == Some(now) {
            return Ok(());
        }
        (self.st.fleet, self.st.sensors) = fleet::load(conn, &self.settings)?;
        self.stamp = Some(now);
        for (id, c) in &mut self.st.cache {
            if let Some(p) = self.st.fleet.get(id) {
                c.alarm.set_rule(p.rule);
            }
        }
        Ok(())
    }

    /// Drops from the cache the points operators shelved, unshelved, took out of or put back
    /// in service since the last batch, so that they load again with their marks (one
    /// indexed read per batch). The first call only notes where the actions stand: every
    /// point loads after it.
    fn refresh_marks(&mut self, conn: &mut PgConnection) -> AlarmResult<()> {
        match self.last_action {
            None => self.last_action = Some(points::last_action(conn)?),
            Some(after) => {
                let (acted, last) = points::acted_since(conn, after)?;
                for id in acted {
                    self.st.cache.remove(&id);
                }
                self.last_action = Some(last);
            }
        }
        Ok(())
    }

    /// Loads the stored points of `ids` not cached yet, and the areas of their zones.
    fn load(&mut self, conn: &mut PgConnection, ids: &[Uuid]) -> AlarmResult<()> {
        let missing: Vec<Uuid> = ids
            .iter()
            .filter(|id| !self.st.cache.contains_key(id))
            .copied()
            .collect();
        if !missing.is_empty() {
            let mut stored = points::load(conn, &missing)?;
            for id in missing {
                let Some(p) = self.st.fleet.get(&id) else {
                    continue;
                };
                let s = stored.remove(&id);
                let s = s.unwrap_or_default();
                let stored_quiet = s.alarm.as_ref().is_some_and(PointAlarm::quiet);
                let mut alarm = s.alarm.clone().unwrap_or_else(|| PointAlarm::new(p.rule));
                alarm.set_rule(p.rule);
                self.st.cache.insert(
                    id,
                    Cached {
                        alarm,
                        stored: s,
                        stored_quiet,
                    },
                );
            }
        }
        let zones: HashSet<GridZone> = ids
            .iter()
            .filter_map(|id| self.st.fleet.get(id).map(|p| p.zone))
            .filter(|z| !self.st.areas.contains_key(z))
            .collect();
        for zone in zones {
            let area = write::load_area(conn, zone, self.settings.flood)?;
            self.st.areas.insert(zone, area);
        }
        Ok(())
    }

    /// Evaluates `readings` (in (sensor, time) order) into what [`Scorer::persist`] stores;
    /// on an error nothing moved (the points it touched load again).
    pub(crate) fn evaluate_or_forget(
        &mut self,
        conn: &mut PgConnection,
        readings: &[ScoreInput],
    ) -> AlarmResult<()> {
        let r = self.evaluate(conn, readings);
        if r.is_err() {
            self.forget();
        }
        r
    }

    /// Evaluates `readings` (in (sensor, time) order) into `self.st.derived`.
    fn evaluate(&mut self, conn: &mut PgConnection, readings: &[ScoreInput]) -> AlarmResult<()> {
        self.st.derived = Derived::default();
        self.refresh_fleet(conn, readings)?;
        self.refresh_marks(conn)?;
        // The batch is in (sensor, time) order: one run of readings per sensor.
        let ids: Vec<Uuid> = readings
            .chunk_by(|a, b| a.sensor_id == b.sensor_id)
            .map(|run| run[0].sensor_id)
            .filter(|id| self.st.fleet.contains_key(id))
            .collect();
        if ids.is_empty() {
            return Ok(());
        }
        self.load(conn, &ids)?;
        let (from, to) = readings.iter().fold(
            (DateTime::<Utc>::MAX_UTC, DateTime::<Utc>::MIN_UTC),
            |(a, b), r| (a.min(r.timestamp), b.max(r.timestamp)),
        );
        let outages = write::outages(conn, &ids, &self.st.fleet, (from, to))?;
        let late_before = Utc::now() - self.settings.late_after;
        let d = &mut self.st.derived;
        for run in readings.chunk_by(|a, b| a.sensor_id == b.sensor_id) {
            let id = run[0].sensor_id;
            let Some(p) = self.st.fleet.get(&id) else {
                continue;
            };
            let Some(c) = self.st.cache.get_mut(&id) else {
                continue;
            };
            if c.stored.out_of_service_since.is_some() {
                d.counts.not_evaluated += run.len() as u64;
                continue;
            }
            let outage_spans = policy::suppressed_during_outage(p.kind)
                .then(|| outages.get(&p.substation_id))
                .flatten();
            let mut evaluated = false;
            for r in run {
                if outage_spans.is_some_and(|spans| {
                    spans
                        .iter()
                        .any(|(a, b)| r.timestamp >= *a && b.is_none_or(|b| r.timestamp < b))
                }) {
                    d.counts.not_evaluated += 1;
                    continue;
                }
                if c.alarm.last_at().is_some_and(|l| r.timestamp <= l) {
                    d.counts.already_evaluated += 1;
                    continue;
                }
                let late = r.timestamp < late_before;
                for e in c.alarm.observe(r.timestamp, r.value) {
                    d.events.push((id, e, late));
                }
                evaluated = true;
                // A raised alarm silenced by a shelving that has ended: announce it now.
                if c.alarm.active().is_some()
                    && c.stored.alert_id.is_none()
                    && c.stored.shelved_until.is_some_and(|u| u <= r.timestamp)
                    && !d.reannounce.iter().any(|(i, _)| *i == id)
                    && !d
                        .events
                        .iter()
                        .any(|(i, e, _)| *i == id && matches!(e, AlarmEvent::Raised { .. }))
                {
                    d.reannounce.push((id, r.timestamp));
                }
            }
            if evaluated {
                d.touched.insert(id);
            }
        }
        // Floods per area, over the announced raises in time order.
        let mut raises: Vec<(DateTime<Utc>, Uuid)> = d
            .events
            .iter()
            .filter_map(|(id, e, _)| match e {
                AlarmEvent::Raised { at, .. } => {
                    let shelved = self.st.cache[id]
                        .stored
                        .shelved_until
                        .is_some_and(|u| u > *at);
                    (!shelved).then_some((*at, *id))
                }
                _ => None,
            })
            .collect();
        raises.extend(d.reannounce.iter().map(|(id, at)| (*at, *id)));
        raises.sort();
        for (at, id) in raises {
            let zone = self.st.fleet[&id].zone;
            if let Some(area) = self.st.areas.get_mut(&zone) {
                let (events, member) = area.tracker.raised(at, id);
                d.floods.extend(events.into_iter().map(|e| (zone, e)));
                if member {
                    d.members.insert((id, at));
                }
                d.areas.insert(zone);
            }
        }
        let zones: HashSet<GridZone> = ids.iter().map(|id| self.st.fleet[id].zone).collect();
        for zone in zones {
            if let Some(area) = self.st.areas.get_mut(&zone)
                && let Some(end) = area.tracker.advance(to)
            {
                d.floods.push((zone, end));
                d.areas.insert(zone);
            }
        }
        Ok(())
    }

    /// Forgets what the last batch touched: the next batch loads it from the store again.
    fn forget(&mut self) {
        for id in self.st.derived.touched.drain() {
            self.st.cache.remove(&id);
        }
        for zone in self.st.derived.areas.drain() {
            self.st.areas.remove(&zone);
        }
        self.st.derived = Derived::default();
    }
}

impl Scorer for AlarmEngine {
    fn score(&mut self, conn: &mut PgConnection, readings: &[ScoreInput]) -> Vec<Option<f64>> {
        if let Err(e) = self.evaluate_or_forget(conn, readings) {
            // Never stored unevaluated (a later batch would move the points past these
            // readings and no run would evaluate them again): `persist` fails the batch, which
            // rolls back whole, and the caller's retry (the poller's spool, a rerun of an
            // idempotent ingest) evaluates it again.
            tracing::error!(error = %e, "alarm evaluation failed; the batch is refused");
            self.failed = Some(e.to_string());
        }
        vec![None; readings.len()]
    }

    fn persist(&mut self, conn: &mut PgConnection) -> QueryResult<()> {
        if let Some(why) = self.failed.take() {
            return Err(diesel::result::Error::QueryBuilderError(
                format!("limit alarm evaluation failed: {why}").into(),
            ));
        }
        let counts = write::persist(conn, &mut self.st).map_err(|e| match e {
            crate::error::AlarmError::Store(grid_store::StoreError::Database(d)) => d,
            other => diesel::result::Error::QueryBuilderError(other.to_string().into()),
        })?;
        let c = &mut self.counts;
        c.raised += counts.raised;
        c.late += counts.late;
        c.regraded += counts.regraded;
        c.cleared += counts.cleared;
        c.shelved += counts.shelved;
        c.reannounced += counts.reannounced;
        c.floods += counts.floods;
        c.not_evaluated += self.st.derived.counts.not_evaluated;
        c.already_evaluated += self.st.derived.counts.already_evaluated;
        self.st.derived.touched.clear();
        self.st.derived.areas.clear();
        Ok(())
    }

    fn rollback(&mut self) {
        self.failed = None;
        self.forget();
    }
}
