#![doc = include_str!("../README.md")]

pub mod baseline;
pub mod catalogue;
pub mod config;
pub mod detectors;
pub mod episode;
pub mod error;
pub mod imbalance;
pub mod profile;
pub mod series;
pub mod surprise;
pub mod track;

pub use config::Config;
pub use episode::{Detector, DetectorHit, Episode, EpisodeEvent};
pub use error::{AnomalyError, StateError};
pub use imbalance::ImbalanceDetector;
pub use series::{Scored, SeriesDetector};
