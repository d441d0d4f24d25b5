//! The hook through which an anomaly engine scores a batch's readings before they are
//! written, and stores what it derives in the batch's own transaction: a reading is stored
//! with its score, and the episodes and detector states move with the batch or not at all.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

/// A validated reading as a scorer sees it: the calibrated value ingest stores.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreInput {
    /// The sensor.
    pub sensor_id: Uuid,
    /// When it was measured (truncated to microseconds, as stored).
    pub timestamp: DateTime<Utc>,
    /// The calibrated value.
    pub value: f64,
}

/// Scores a batch's readings and stores what it derives with the batch.
pub trait Scorer {
    /// Scores `readings` (the batch's validated readings, in (sensor, time) order): one
    /// entry each, `Some(score)` in [0, 1] to store with the reading, `None` for unscored.
    /// `conn` is outside the batch's transaction (a scorer may read what it needs).
    fn score(&mut self, conn: &mut PgConnection, readings: &[ScoreInput]) -> Vec<Option<f64>>;

    /// Inside the batch's transaction, after its readings are written: stores what
    /// [`Scorer::score`] derived (episodes, detector states). An error rolls the batch back.
    fn persist(&mut self, conn: &mut PgConnection) -> QueryResult<()>;

    /// The batch's transaction rolled back: forget what the last [`Scorer::score`] derived,
    /// so a retry scores the same readings from the same state (by the next
    /// [`Scorer::score`] at the latest).
    fn rollback(&mut self);
}

/// Two scorers on one batch (the anomaly engine and the alarm engine): each reading stored
/// with the higher of their scores, both persisting in the batch's transaction, both rolled
/// back with it.
pub struct Both<'a>(pub &'a mut dyn Scorer, pub &'a mut dyn Scorer);

impl Scorer for Both<'_> {
    fn score(&mut self, conn: &mut PgConnection, readings: &[ScoreInput]) -> Vec<Option<f64>> {
        let a = self.0.score(conn, readings);
        let b = self.1.score(conn, readings);
        a.into_iter()
            .zip(b)
            .map(|(x, y)| match (x, y) {
                (Some(x), Some(y)) => Some(x.max(y)),
                (x, y) => x.or(y),
            })
            .collect()
    }

    fn persist(&mut self, conn: &mut PgConnection) -> QueryResult<()> {
        self.0.persist(conn)?;
        self.1.persist(conn)
    }

    fn rollback(&mut self) {
        self.0.rollback();
        self.1.rollback();
    }
}
