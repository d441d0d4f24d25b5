//! The grid-specific cross-sensor check: at a substation the feeders' load sums to the
//! incomers' less the station's own losses and metering error, a small and steady share.
//! The detector learns that share (the relative mismatch `(Σ feeders − Σ incomers) / Σ
//! incomers`) while normal, and watches the part of the feeders' total it does not explain,
//! as a share of the incomer's usual load, through the same prewhitened two-sided CUSUM as a
//! level shift (the meters' noise has memory): a feeder meter gone wrong, an unmetered tap or
//! a CT fault shows as a lasting departure. A group is only as good as its members: the caller sums one phase set where
//! the sensors' metadata names phases, else the totals.

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::detectors::Ewma;
use crate::episode::{Detector, EpisodeEvent, EpisodeTracker, Reading};
use crate::error::AnomalyError;
use crate::track::Track;

/// The CUSUM's parameters on the prewhitened mismatch: reference value 1σ (a design shift
/// of 2σ; a 10 % imbalance is several times that on class 0.5 to 1 metering), decision
/// interval 15.
const CONFIG: Config = Config {
    shift_k: 1.0,
    shift_h: 15.0,
    // No robust filter: an imbalance is a step of many σ, which the CUSUM must see.
    spike_z: f64::INFINITY,
    ..Config::DEFAULT
};
/// Groups learned before scoring.
const WARMUP: u32 = 200;
/// Forgetting of the learned share and spread per group.
const ALPHA: f64 = 1.0 / 2000.0;
/// Below this share of its usual total the incomer is de-energised: nothing to compare.
const ENERGISED: f64 = 0.05;
/// Normal groups in a row that close an episode.
const HOLD: u32 = 5;

/// The imbalance detector of one substation (or one phase set of it).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImbalanceDetector {
    share: Ewma,
    incomer: Ewma,
    track: Track,
    last_ms: Option<i64>,
    episodes: EpisodeTracker,
}

/// One group's verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct ImbalanceScored {
    /// Score in [0, 1] as for a series (0.5 at the threshold).
    pub score: f64,
    /// The relative mismatch, (Σ feeders − Σ incomers) / Σ incomers.
    pub mismatch: f64,
    /// The episode this group opened or closed.
    pub event: Option<EpisodeEvent>,
}

impl ImbalanceDetector {
    /// Compares the incomers' total with the feeders' at `t_ms`; `None` while de-energised.
    pub fn observe(
        &mut self,
        t_ms: i64,
        incomers: f64,
        feeders: f64,
    ) -> Result<Option<ImbalanceScored>, AnomalyError> {
        for value in [incomers, feeders] {
            if !value.is_finite() {
                return Err(AnomalyError::NotFinite { at_ms: t_ms, value });
            }
        }
        if let Some(previous_ms) = self.last_ms.filter(|&p| t_ms <= p) {
            return Err(AnomalyError::OutOfOrder {
                at_ms: t_ms,
                previous_ms,
            });
        }
        self.last_ms = Some(t_ms);
        if self.incomer.n > 0 && incomers.abs() < ENERGISED * self.incomer.value.abs()
            || incomers.abs() < 1e-9
        {
            return Ok(None);
        }
        let mismatch = (feeders - incomers) / incomers.abs();
        let learning = self.share.n < WARMUP;
        let typical = if self.incomer.n == 0 {
            incomers.abs()
        } else {
            self.incomer.value.abs()
        };
        let residual = (feeders - incomers * (1.0 + self.share.value)) / typical;
        let last = self.track.last_residual();
        let verdict = self.track.score(residual, 0.0, 1.0, 1.0, &CONFIG, 0.0);
        if self.share.n == WARMUP {
            self.track.clear_evidence();
        }
        let u = if learning { 0.0 } else { verdict.shift };
        let ratios = [(Detector::Imbalance, u)];
        let score = u / (1.0 + u);
        let event = self.episodes.observe(
            Reading {
                t_ms,
                x: feeders,
                expected: Some(incomers * (1.0 + self.share.value)),
                residual,
                scale: self.track.residual_var.value.sqrt(),
                score,
                ratios: &ratios,
            },
            HOLD,
        );
        if learning || (u < 1.0 && !self.episodes.is_open()) {
            self.share.learn(mismatch, ALPHA);
            self.incomer.learn(incomers, ALPHA);
            self.track.learn(
                residual,
                residual,
                1.0,
                last,
                verdict.z,
                1.0,
                crate::track::SCALE_ALPHA_PER_READING,
            );
        }
        Ok(Some(ImbalanceScored {
            score,
            mismatch,
            event,
        }))
    }

    /// The whole state, compactly (postcard), for a caller to persist.
    pub fn to_bytes(&self) -> Vec<u8> {
        postcard::to_allocvec(self).unwrap_or_default()
    }

    /// A detector from [`ImbalanceDetector::to_bytes`]'s output.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, crate::StateError> {
        postcard::from_bytes(bytes).map_err(|e| crate::StateError(e.to_string()))
    }

    /// The open episode as it stands, if any.
    pub fn open_episode(&self) -> Option<crate::Episode> {
        self.episodes.snapshot(true)
    }

    /// Closes the open episode, if any.
    pub fn close_episode(&mut self) -> Option<crate::Episode> {
        self.episodes.close()
    }
}
