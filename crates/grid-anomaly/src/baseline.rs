//! The comparison baseline of the evaluation: a rolling 3-sigma z-score (the mean and
//! standard deviation of the previous `window` readings; a reading more than 3 of them away is
//! anomalous), grouped into episodes with the same off-delay as the engine. It is what a
//! historian's "deviation alarm" usually is.

use std::collections::VecDeque;

use crate::episode::{Detector, EpisodeEvent, EpisodeTracker, Reading};

/// The rolling z-score detector.
#[derive(Debug, Clone)]
pub struct RollingZScore {
    window: usize,
    sigmas: f64,
    hold: u32,
    values: VecDeque<f64>,
    episodes: EpisodeTracker,
}

impl RollingZScore {
    /// `window` readings, `sigmas` standard deviations, `hold` normal readings to close.
    pub fn new(window: usize, sigmas: f64, hold: u32) -> Self {
        RollingZScore {
            window,
            sigmas,
            hold,
            values: VecDeque::with_capacity(window + 1),
            episodes: EpisodeTracker::default(),
        }
    }

    /// Scores `x` at `t_ms`; returns the episode it opened or closed.
    pub fn observe(&mut self, t_ms: i64, x: f64) -> Option<EpisodeEvent> {
        let n = self.values.len();
        let u = if n == self.window {
            let mean = self.values.iter().sum::<f64>() / n as f64;
            let var = self.values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
            let sd = var.sqrt();
            if sd > 0.0 {
                (x - mean).abs() / sd / self.sigmas
            } else {
                0.0
            }
        } else {
            0.0
        };
        if n == self.window {
            self.values.pop_front();
        }
        self.values.push_back(x);
        let ratios = [(Detector::Spike, u)];
        self.episodes.observe(
            Reading {
                t_ms,
                x,
                expected: None,
                residual: 0.0,
                scale: 1.0,
                score: u / (1.0 + u),
                ratios: &ratios,
            },
            self.hold,
        )
    }

    /// Closes the open episode, if any.
    pub fn close_episode(&mut self) -> Option<crate::Episode> {
        self.episodes.close()
    }
}
