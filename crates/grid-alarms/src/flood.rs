//! Alarm floods of one operator area (EEMUA 191: about one alarm in 10 minutes is
//! manageable; more than 10 in 10 minutes is a flood). A flood begins with the alarm that
//! makes it more than `begin_above` raised in `window`, and is one alert that counts its
//! alarms and names the first (the first-out); it ends when fewer than `end_below` were
//! raised in the last `window`. Alarms raised during a flood are still recorded, marked as
//! the flood's members, and shown individually once it ends.

use std::collections::VecDeque;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// When an area is in flood.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FloodRule {
    /// The sliding window.
    #[serde(rename = "window_s", with = "grid_model::serde_seconds")]
    pub window: Duration,
    /// More alarms than this in the window begin a flood.
    pub begin_above: usize,
    /// Fewer alarms than this in the window end it.
    pub end_below: usize,
}

impl Default for FloodRule {
    /// EEMUA 191's figures: more than 10 in 10 minutes begins one; it ends below 5.
    fn default() -> Self {
        FloodRule {
            window: Duration::minutes(10),
            begin_above: 10,
            end_below: 5,
        }
    }
}

impl FloodRule {
    /// Checks the rule; names what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        if self.window <= Duration::zero() {
            return Err("window_s: must be above 0".into());
        }
        if self.end_below == 0 || self.end_below > self.begin_above {
            return Err(format!(
                "end_below: must be 1 to begin_above ({})",
                self.begin_above
            ));
        }
        Ok(())
    }
}

/// What the tracker decided.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FloodEvent<K> {
    /// A flood began at the alarm that made it one.
    Began {
        /// That alarm's time.
        at: DateTime<Utc>,
        /// The first alarm of the window (the first-out) and its time.
        first_out: (K, DateTime<Utc>),
        /// Alarms in the window.
        count: usize,
    },
    /// The flood ended.
    Ended {
        /// When the window's count fell below `end_below`.
        at: DateTime<Utc>,
        /// Alarms raised from its first-out to its end.
        count: usize,
    },
}

/// One area's alarms in the window and its flood, if any. Fed in time order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FloodTracker<K> {
    rule: FloodRule,
    raised: VecDeque<(DateTime<Utc>, K)>,
    /// The flood under way: its first-out's time and its count so far.
    flood: Option<(DateTime<Utc>, usize)>,
}

impl<K: Clone> FloodTracker<K> {
    /// An area without alarms.
    pub fn new(rule: FloodRule) -> Self {
        FloodTracker {
            rule,
            raised: VecDeque::new(),
            flood: None,
        }
    }

    /// Whether a flood is under way.
    pub fn in_flood(&self) -> bool {
        self.flood.is_some()
    }

    /// Time passes to `at`: the flood ends if the window's count fell below `end_below`
    /// (stamped when it did).
    pub fn advance(&mut self, at: DateTime<Utc>) -> Option<FloodEvent<K>> {
        let mut ended = None;
        while let Some((t, _)) = self.raised.front() {
            if *t > at - self.rule.window {
                break;
            }
            let gone = *t + self.rule.window;
            self.raised.pop_front();
            if ended.is_none()
                && self.raised.len() < self.rule.end_below
                && let Some((_, count)) = self.flood.take()
            {
                ended = Some(FloodEvent::Ended { at: gone, count });
            }
        }
        ended
    }

    /// An alarm `key` raised at `at`: the flood events it brings (an end of the previous
    /// flood found on the way, a new flood's beginning), and whether it is a member of a
    /// flood (raised during one).
    pub fn raised(&mut self, at: DateTime<Utc>, key: K) -> (Vec<FloodEvent<K>>, bool) {
        let mut events: Vec<FloodEvent<K>> = self.advance(at).into_iter().collect();
        self.raised.push_back((at, key.clone()));
        // Memory stays bounded: a window far over the threshold counts the same.
        while self.raised.len() > 10 * self.rule.begin_above.max(1) + 1 {
            self.raised.pop_front();
        }
        match &mut self.flood {
            Some((_, count)) => *count += 1,
            None if self.raised.len() > self.rule.begin_above => {
                let (t, k) = self.raised.front().cloned().unwrap_or((at, key));
                self.flood = Some((t, self.raised.len()));
                events.push(FloodEvent::Began {
                    at,
                    first_out: (k, t),
                    count: self.raised.len(),
                });
            }
            None => {}
        }
        (events, self.flood.is_some())
    }
}
