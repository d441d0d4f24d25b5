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
//! last committed batch left off. A batch that rolls back is undone the same way: the
//! detectors are reloaded and caught up before the next batch (rare, and so cheaper than a
//! copy of every touched detector with every batch).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

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
use crate::subject::{GroupSlot, SensorSlot, write_events, write_group_events};

/// How much reading time may pass between two checkpoints of a sensor's state.
pub const CHECKPOINT_EVERY: Duration = Duration::minutes(10);
/// States checkpointed per batch at most, beyond those of sensors whose episodes opened or
/// closed in it (which always are): a fleet first seen in one second is checkpointed over
/// the next few batches, not in one burst.
pub const CHECKPOINTS_PER_BATCH: usize = 500;

/// Times of a group seen but not yet complete (members in a later batch), kept at most.
const PENDING_TIMES: usize = 16;

/// (substation index, group index) in the fleet.
type GroupKey = (usize, usize);
/// A group's sums per time not yet complete: (Σ incomers, Σ feeders, members seen).
type Pending = BTreeMap<DateTime<Utc>, (f64, f64, usize)>;

/// One sensor: where it is, its detector, and what the current batch did to it.
struct Entry {
    id: Uuid,
    substation: usize,
    /// The imbalance groups it is in, and whether as an incomer.
    groups: Vec<(GroupKey, bool)>,
    slot: SensorSlot,
    /// The reading time its state was last stored at.
    checkpoint: Option<DateTime<Utc>>,
    /// The batch (its number) in which this sensor was last found to have something to
    /// store: episode events, an open episode, or a checkpoint due.
    marked_in: u64,
    events: Vec<EpisodeEvent>,
}

impl Entry {
    /// Whether the persist step has anything to do for this sensor after a reading at
    /// `last`: what `persist_substation` checks again, found here while the sensor's state is
    /// in the cache (so the persist step visits only these, not every sensor read).
    fn has_work(&self, last: DateTime<Utc>) -> bool {
        !self.events.is_empty()
            || self.slot.detector.has_open_episode()
            || self
                .checkpoint
                .is_none_or(|at| last - at >= CHECKPOINT_EVERY)
    }
}

/// The engine in the ingest path, with every sensor's detector in memory.
pub struct OnlineDetector {
    fleet: Arc<Vec<FleetSubstation>>,
    entries: Vec<Entry>,
    index: HashMap<Uuid, usize>,
    groups: HashMap<GroupKey, GroupSlot>,
    pending: HashMap<GroupKey, Pending>,
    policy: AlertPolicy,
    /// The current batch's number (entries marked with it have work in it).
    batch: u64,
    /// Entries with something to store in the current batch ([`Entry::has_work`]); the
    /// groups the batch touched, and the groups' episode events.
    marked: Vec<usize>,
    touched_groups: HashSet<GroupKey>,
    group_events: HashMap<GroupKey, Vec<EpisodeEvent>>,
    /// A batch rolled back since the detectors were loaded: reload before the next.
    stale: bool,
    totals: AlertCounts,
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
        let mut entries = Vec::new();
        let mut index = HashMap::new();
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
                let (slot, checkpoint) = match stored.get(&s.id) {
                    Some(row) => (
                        SensorSlot::from_row(row, s.kind)?,
                        Some(row.last_reading_at),
                    ),
                    None => (SensorSlot::fresh(s.kind), None),
                };
                index.insert(s.id, entries.len());
                entries.push(Entry {
                    id: s.id,
                    substation: si,
                    groups: memberships,
                    slot,
                    checkpoint,
                    marked_in: 0,
                    events: Vec::new(),
                });
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
            fleet: Arc::new(fleet),
            entries,
            index,
            groups,
            pending: HashMap::new(),
            policy,
            batch: 1,
            marked: Vec::new(),
            touched_groups: HashSet::new(),
            group_events: HashMap::new(),
            stale: false,
            totals: AlertCounts::default(),
        })
    }

    /// The alert counts of every batch committed so far.
    pub fn alert_counts(&self) -> AlertCounts {
        self.totals
    }

    /// Adds a member reading to its groups' sums.
    fn add_to_groups(&mut self, i: usize, r: &ScoreInput) {
        for &(key, incomer) in &self.entries[i].groups {
            self.touched_groups.insert(key);
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

    /// Compares every group time the batch completed.
    fn compare_groups(&mut self) {
        for &key in &self.touched_groups {
            let (si, gi) = key;
            let g = &self.fleet[si].groups[gi];
            let members = g.incomers.len() + g.feeders.len();
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
                    self.group_events.entry(key).or_default().extend(s.event);
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

    /// Stores one substation's part of the batch: its sensors' episodes and due
    /// checkpoints, its groups' episodes and states, and the alerts.
    fn persist_substation(
        &mut self,
        conn: &mut PgConnection,
        si: usize,
        sensors: &[usize],
        group_keys: &[GroupKey],
        budget: &mut usize,
    ) -> DetectResult<()> {
        let fleet = Arc::clone(&self.fleet);
        let sub = &fleet[si];
        let mut written = Vec::new();
        let mut rows = Vec::new();
        for &i in sensors {
            let e = &mut self.entries[i];
            let events = std::mem::take(&mut e.events);
            let due = match (e.checkpoint, e.slot.last()) {
                (Some(at), Some(last)) => last - at >= CHECKPOINT_EVERY,
                _ => true,
            };
            let checkpoint = !events.is_empty() || (due && *budget > 0);
            if !checkpoint && !e.slot.detector.has_open_episode() {
                continue;
            }
            let still_open = e.slot.detector.open_episode();
            written.extend(write_events(
                conn,
                e.id,
                &mut e.slot.open_id,
                &events,
                still_open,
                &EpisodeMetadata::default(),
            )?);
            if checkpoint {
                if events.is_empty() {
                    *budget -= 1;
                }
                if let Some(row) = e.slot.to_row(e.id) {
                    e.checkpoint = Some(row.last_reading_at);
                    rows.push(row);
                }
            }
        }
        if !rows.is_empty() {
            anomaly_states::save_sensor_states(conn, &rows)?;
        }
        let mut group_rows = Vec::new();
        for key in group_keys {
            let g = &sub.groups[key.1];
            let events = self.group_events.remove(key).unwrap_or_default();
            let slot = self.groups.entry(*key).or_default();
            written.extend(write_group_events(conn, sub, g, slot, &events)?);
            group_rows.extend(slot.to_row(sub.id, &g.phase_set));
        }
        if !group_rows.is_empty() {
            anomaly_states::save_imbalance_states(conn, &group_rows)?;
        }
        if written.is_empty() {
            return Ok(());
        }
        let c = alerts::apply(conn, sub, &mut written, &self.policy)?;
        self.totals.raised += c.raised;
        self.totals.storms += c.storms;
        self.totals.joined_storm += c.joined_storm;
        self.totals.resolved += c.resolved;
        Ok(())
    }

    /// Forgets what the current batch touched.
    fn clear_batch(&mut self) {
        for &i in &self.marked {
            self.entries[i].events.clear();
        }
        self.marked.clear();
        self.batch += 1;
        self.touched_groups.clear();
        self.group_events.clear();
    }
}

impl Scorer for OnlineDetector {
    fn score(&mut self, conn: &mut PgConnection, readings: &[ScoreInput]) -> Vec<Option<f64>> {
        if self.stale {
            match OnlineDetector::load(conn, self.policy) {
                Ok(fresh) => *self = fresh,
                Err(e) => {
                    // Not scored; the batch is stored as it would be without the engine.
                    tracing::warn!(error = %e, "anomaly detectors not reloaded after a rolled-back batch");
                    return vec![None; readings.len()];
                }
            }
        }
        let mut scores = Vec::with_capacity(readings.len());
        for r in readings {
            // A sensor added since the detector loaded the fleet is not scored.
            let Some(&i) = self.index.get(&r.sensor_id) else {
                scores.push(None);
                continue;
            };
            let e = &mut self.entries[i];
            match e
                .slot
                .detector
                .observe(r.timestamp.timestamp_millis(), r.value)
            {
                Ok(s) => {
                    scores.push(Some(s.score));
                    e.events.extend(s.events);
                    if e.marked_in != self.batch && e.has_work(r.timestamp) {
                        e.marked_in = self.batch;
                        self.marked.push(i);
                    }
                }
                // A reading at or before the last one taken (a replay): stored unscored.
                Err(_) => scores.push(None),
            }
            if !self.entries[i].groups.is_empty() {
                self.add_to_groups(i, r);
            }
        }
        self.compare_groups();
        scores
    }

    fn persist(&mut self, conn: &mut PgConnection) -> QueryResult<()> {
        let mut by_sub: BTreeMap<usize, (Vec<usize>, Vec<GroupKey>)> = BTreeMap::new();
        for &i in &self.marked {
            by_sub
                .entry(self.entries[i].substation)
                .or_default()
                .0
                .push(i);
        }
        for key in &self.touched_groups {
            by_sub.entry(key.0).or_default().1.push(*key);
        }
        let mut budget = CHECKPOINTS_PER_BATCH;
        for (si, (mut sensors, mut groups)) in by_sub {
            sensors.sort_unstable();
            groups.sort_unstable();
            self.persist_substation(conn, si, &sensors, &groups, &mut budget)
                .map_err(|e| match e {
                    crate::DetectError::Store(grid_store::StoreError::Database(d)) => d,
                    other => diesel::result::Error::QueryBuilderError(Box::new(other)),
                })?;
        }
        self.clear_batch();
        Ok(())
    }

    fn rollback(&mut self) {
        self.clear_batch();
        self.stale = true;
    }
}
