//! Detection in the ingest path: an [`OnlineDetector`] is the [`Scorer`] of an
//! [`Ingester`](grid_timescale::ingest::Ingester) batch, so each reading is stored with its
//! score, and the batch's episodes, detector states and alerts commit with its readings or
//! not at all (a batch that rolls back leaves the detectors as they were before it).
//!
//! A sensor's state is checkpointed with a batch when one of its episodes opened or closed
//! in it, and otherwise every [`CHECKPOINT_EVERY`] of its readings' time (a state is a few
//! KiB: writing every sensor's with every batch would cost more than the readings). Loading
//! first catches up over the stored readings after each checkpoint (the history path, which
//! finds the episodes those readings already opened), so a restart resumes exactly where the
//! last committed batch left off.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use grid_anomaly::EpisodeEvent;
use grid_model::EpisodeMetadata;
use grid_store::anomaly_states;
use grid_timescale::ingest::{ScoreInput, Scorer};
use uuid::Uuid;

use crate::alerts::{self, AlertCounts};
use crate::config::AlertPolicy;
use crate::error::DetectResult;
use crate::fleet::{self, FleetSubstation};
use crate::subject::{GroupSlot, SensorSlot, write_events};

/// How much reading time may pass between two checkpoints of a sensor's state.
pub const CHECKPOINT_EVERY: Duration = Duration::minutes(10);

/// Times of a group seen but not yet complete (members in a later batch), kept at most.
const PENDING_TIMES: usize = 16;

/// (substation index, group index) in the fleet.
type GroupKey = (usize, usize);
/// A group's sums per time not yet complete: (Σ incomers, Σ feeders, members seen).
type Pending = BTreeMap<DateTime<Utc>, (f64, f64, usize)>;

/// Where a sensor is in the fleet.
#[derive(Debug, Clone)]
struct Place {
    substation: usize,
    /// The imbalance groups it is in, and whether as an incomer.
    groups: Vec<(GroupKey, bool)>,
}

/// The engine in the ingest path, with every sensor's detector in memory.
pub struct OnlineDetector {
    fleet: Vec<FleetSubstation>,
    index: HashMap<Uuid, Place>,
    slots: HashMap<Uuid, SensorSlot>,
    /// The reading time each sensor's state was last stored at.
    checkpoints: HashMap<Uuid, DateTime<Utc>>,
    groups: HashMap<GroupKey, GroupSlot>,
    pending: HashMap<GroupKey, Pending>,
    policy: AlertPolicy,
    batch: Batch,
    totals: AlertCounts,
}

/// What the current batch changed, to store or to undo.
#[derive(Default)]
struct Batch {
    before_slots: HashMap<Uuid, Option<SensorSlot>>,
    before_groups: HashMap<GroupKey, GroupSlot>,
    before_pending: HashMap<GroupKey, Pending>,
    events: HashMap<Uuid, Vec<EpisodeEvent>>,
    group_events: HashMap<GroupKey, Vec<EpisodeEvent>>,
}

impl OnlineDetector {
    /// Catches the stored states up with the stored readings, then loads the fleet and
    /// every state.
    pub fn load(conn: &mut PgConnection, policy: AlertPolicy) -> DetectResult<OnlineDetector> {
        if let Some(from) = anomaly_states::oldest_sensor_state(conn)? {
            let report = crate::detect_range(conn, from, Utc::now() + Duration::days(1), &policy)?;
            for (code, day, error) in &report.failed {
                tracing::warn!(substation = %code, %day, %error, "anomaly detectors not caught up: they resume from their last checkpoint");
            }
        }
        let fleet = fleet::load(conn)?;
        let mut index = HashMap::new();
        let mut slots = HashMap::new();
        let mut checkpoints = HashMap::new();
        let mut groups = HashMap::new();
        for (si, sub) in fleet.iter().enumerate() {
            let ids: Vec<Uuid> = sub.sensors.iter().map(|s| s.id).collect();
            let stored: HashMap<Uuid, _> = anomaly_states::sensor_states(conn, &ids)?
                .into_iter()
                .map(|r| (r.sensor_id, r))
                .collect();
            for s in &sub.sensors {
                let memberships = sub
                    .groups
                    .iter()
                    .enumerate()
                    .flat_map(|(gi, g)| {
                        let incomer = g.incomers.contains(&s.id);
                        (incomer || g.feeders.contains(&s.id)).then_some(((si, gi), incomer))
                    })
                    .collect();
                index.insert(
                    s.id,
                    Place {
                        substation: si,
                        groups: memberships,
                    },
                );
                let slot = match stored.get(&s.id) {
                    Some(row) => {
                        checkpoints.insert(s.id, row.last_reading_at);
                        SensorSlot::from_row(row)?
                    }
                    None => SensorSlot::fresh(s.kind),
                };
                slots.insert(s.id, slot);
            }
            let stored_groups: HashMap<String, _> = anomaly_states::imbalance_states(conn, sub.id)?
                .into_iter()
                .map(|r| (r.phase_set.clone(), r))
                .collect();
            for (gi, g) in sub.groups.iter().enumerate() {
                let slot = match stored_groups.get(&g.phase_set) {
                    Some(row) => GroupSlot::from_row(row)?,
                    None => GroupSlot::default(),
                };
                groups.insert((si, gi), slot);
            }
        }
        Ok(OnlineDetector {
            fleet,
            index,
            slots,
            checkpoints,
            groups,
            pending: HashMap::new(),
            policy,
            batch: Batch::default(),
            totals: AlertCounts::default(),
        })
    }

    /// The alert counts of every batch committed so far.
    pub fn alert_counts(&self) -> AlertCounts {
        self.totals
    }

    fn touch_group(&mut self, key: GroupKey) {
        if !self.batch.before_groups.contains_key(&key) {
            self.batch
                .before_groups
                .insert(key, self.groups.get(&key).cloned().unwrap_or_default());
            self.batch
                .before_pending
                .insert(key, self.pending.get(&key).cloned().unwrap_or_default());
        }
    }

    /// Adds the batch's member readings to their groups and compares every complete time.
    fn compare_groups(&mut self, readings: &[ScoreInput]) {
        for r in readings {
            let Some(place) = self.index.get(&r.sensor_id) else {
                continue;
            };
            for (key, incomer) in place.groups.clone() {
                self.touch_group(key);
                let e = self
                    .pending
                    .entry(key)
                    .or_default()
                    .entry(r.timestamp)
                    .or_default();
                if incomer {
                    e.0 += r.value
                } else {
                    e.1 += r.value
                }
                e.2 += 1;
            }
        }
        let keys: Vec<GroupKey> = self.batch.before_groups.keys().copied().collect();
        for key in keys {
            let (si, gi) = key;
            let members = {
                let g = &self.fleet[si].groups[gi];
                g.incomers.len() + g.feeders.len()
            };
            let pending = self.pending.entry(key).or_default();
            let slot = self.groups.entry(key).or_default();
            let complete: Vec<DateTime<Utc>> = pending
                .iter()
                .filter(|(_, v)| v.2 >= members)
                .map(|(t, _)| *t)
                .collect();
            for t in complete {
                let (incomers, feeders, _) = pending.remove(&t).unwrap_or_default();
                if slot.last.is_some_and(|l| t <= l) {
                    continue;
                }
                slot.last = Some(t);
                if let Ok(Some(s)) = slot
                    .detector
                    .observe(t.timestamp_millis(), incomers, feeders)
                {
                    self.batch
                        .group_events
                        .entry(key)
                        .or_default()
                        .extend(s.event);
                }
            }
            // Times older than the last compared can never complete; keep the rest bounded.
            if let Some(last) = slot.last {
                pending.retain(|t, _| *t > last);
            }
            while pending.len() > PENDING_TIMES {
                pending.pop_first();
            }
        }
    }

    fn persist_substation(
        &mut self,
        conn: &mut PgConnection,
        si: usize,
        sensors: &[Uuid],
        group_keys: &[GroupKey],
    ) -> DetectResult<()> {
        let sub = self.fleet[si].clone();
        let mut written = Vec::new();
        let mut rows = Vec::new();
        for id in sensors {
            let events = self.batch.events.remove(id).unwrap_or_default();
            let Some(slot) = self.slots.get_mut(id) else {
                continue;
            };
            let due = match (self.checkpoints.get(id), slot.last()) {
                (Some(at), Some(last)) => last - *at >= CHECKPOINT_EVERY,
                _ => true,
            };
            let still_open = slot.detector.open_episode();
            written.extend(write_events(
                conn,
                *id,
                &mut slot.open_id,
                &events,
                still_open,
                &EpisodeMetadata::default(),
            )?);
            if due || !events.is_empty() {
                rows.extend(slot.to_row(*id));
            }
        }
        anomaly_states::save_sensor_states(conn, &rows)?;
        for r in &rows {
            self.checkpoints.insert(r.sensor_id, r.last_reading_at);
        }
        let mut group_rows = Vec::new();
        for key in group_keys {
            let g = &sub.groups[key.1];
            let events = self.batch.group_events.remove(key).unwrap_or_default();
            let slot = self.groups.entry(*key).or_default();
            let meta = EpisodeMetadata {
                alert_id: None,
                substation_id: Some(sub.id),
                phase_set: Some(g.phase_set.clone()),
            };
            let still_open = slot.detector.open_episode();
            written.extend(write_events(
                conn,
                g.incomers[0],
                &mut slot.open_id,
                &events,
                still_open,
                &meta,
            )?);
            group_rows.extend(slot.to_row(sub.id, &g.phase_set));
        }
        anomaly_states::save_imbalance_states(conn, &group_rows)?;
        let c = alerts::apply(conn, &sub, &mut written, &self.policy)?;
        self.totals.raised += c.raised;
        self.totals.storms += c.storms;
        self.totals.joined_storm += c.joined_storm;
        self.totals.resolved += c.resolved;
        Ok(())
    }
}

impl Scorer for OnlineDetector {
    fn score(&mut self, readings: &[ScoreInput]) -> Vec<Option<f64>> {
        let mut scores = Vec::with_capacity(readings.len());
        for r in readings {
            let Some(slot) = self.slots.get_mut(&r.sensor_id) else {
                // A sensor added since the detector loaded the fleet: not scored.
                scores.push(None);
                continue;
            };
            self.batch
                .before_slots
                .entry(r.sensor_id)
                .or_insert_with(|| Some(slot.clone()));
            match slot
                .detector
                .observe(r.timestamp.timestamp_millis(), r.value)
            {
                Ok(s) => {
                    scores.push(Some(s.score));
                    if !s.events.is_empty() {
                        self.batch
                            .events
                            .entry(r.sensor_id)
                            .or_default()
                            .extend(s.events);
                    }
                }
                // A reading at or before the last one taken (a replay): stored unscored.
                Err(_) => scores.push(None),
            }
        }
        self.compare_groups(readings);
        scores
    }

    fn persist(&mut self, conn: &mut PgConnection) -> QueryResult<()> {
        let mut by_sub: BTreeMap<usize, (Vec<Uuid>, Vec<GroupKey>)> = BTreeMap::new();
        for id in self.batch.before_slots.keys() {
            if let Some(place) = self.index.get(id) {
                by_sub.entry(place.substation).or_default().0.push(*id);
            }
        }
        for key in self.batch.before_groups.keys() {
            by_sub.entry(key.0).or_default().1.push(*key);
        }
        for (si, (mut sensors, groups)) in by_sub {
            sensors.sort();
            self.persist_substation(conn, si, &sensors, &groups)
                .map_err(|e| match e {
                    crate::DetectError::Store(grid_store::StoreError::Database(d)) => d,
                    other => diesel::result::Error::QueryBuilderError(Box::new(other)),
                })?;
        }
        self.batch = Batch::default();
        Ok(())
    }

    fn rollback(&mut self) {
        let batch = std::mem::take(&mut self.batch);
        for (id, before) in batch.before_slots {
            match before {
                Some(slot) => {
                    self.slots.insert(id, slot);
                }
                None => {
                    self.slots.remove(&id);
                }
            }
        }
        for (key, slot) in batch.before_groups {
            self.groups.insert(key, slot);
        }
        for (key, pending) in batch.before_pending {
            self.pending.insert(key, pending);
        }
    }
}
