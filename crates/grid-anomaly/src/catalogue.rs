//! What each kind of anomaly usually means on a grid sensor and what to do about it, and how
//! severe an episode is. This table is the one place these strings live; the store copies
//! them into `anomaly_detections.potential_causes` / `recommended_actions`.
//!
//! Severity follows the alarm-prioritisation idea of ISA-18.2 / IEC 62682 (priority by
//! consequence and by how far past its limit the condition is): a fault of the measurement
//! chain (stuck, noise, spike) is a warning to maintenance, a change in the measured
//! quantity itself (shift, drift, imbalance) is critical once it is four times past its
//! detector's threshold, a displaced daily shape is information.

use grid_model::{AlertSeverity, AnomalyKind};

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    /// Probable causes, most likely first.
    pub causes: &'static [&'static str],
    /// What the operator or maintenance should do, first step first.
    pub actions: &'static [&'static str],
}

/// The table's row for `kind`.
pub fn entry(kind: AnomalyKind) -> Entry {
    match kind {
        AnomalyKind::Spike => Entry {
            causes: &[
                "electrical transient or switching surge",
                "communication glitch or corrupted register read",
                "loose connection in the measurement circuit",
            ],
            actions: &[
                "check the disturbance recorder and event log at that time",
                "if it repeats, inspect the transducer wiring",
            ],
        },
        AnomalyKind::Drift => Entry {
            causes: &[
                "transducer or CT/VT calibration drift",
                "gradual load growth or transfer between feeders",
                "ambient temperature effect on the sensor",
            ],
            actions: &[
                "compare with a redundant or neighbouring measurement",
                "schedule a calibration check",
            ],
        },
        AnomalyKind::LevelShift => Entry {
            causes: &[
                "switching: load transfer, feeder reconfiguration or tap change",
                "loss of supply or a tripped circuit",
                "change of CT/VT ratio or scaling in the front end",
            ],
            actions: &[
                "check switching and protection events at the substation",
                "confirm the measurement's scaling if no switching explains it",
            ],
        },
        AnomalyKind::Stuck => Entry {
            causes: &[
                "frozen transducer or RTU/front-end channel",
                "communication path returning a cached value",
            ],
            actions: &[
                "mark the measurement suspect; do not act on its value",
                "check the RTU channel and communication status",
                "dispatch maintenance to the transducer",
            ],
        },
        AnomalyKind::Noise => Entry {
            causes: &[
                "loose or corroded connection",
                "failing transducer or power supply",
                "electromagnetic interference",
            ],
            actions: &[
                "inspect the measurement circuit's terminations",
                "compare with a redundant measurement",
            ],
        },
        AnomalyKind::PatternBreak => Entry {
            causes: &[
                "unusual consumption (holiday, event, industrial shift change)",
                "clock or time-zone error in the device",
            ],
            actions: &[
                "check the device clock against the station clock",
                "confirm with the load dispatch centre",
            ],
        },
        AnomalyKind::Imbalance => Entry {
            causes: &[
                "an unmetered or mis-metered feeder",
                "CT ratio or wiring error on a feeder or incomer",
                "non-technical losses (tampering, illegal connection)",
            ],
            actions: &[
                "compare each feeder's meter with the incomer's",
                "check CT ratios and polarity on the station's feeders",
                "refer persistent imbalance to revenue protection",
            ],
        },
    }
}

/// The severity of an episode of `kind` whose detectors peaked at `peak` times their
/// threshold.
pub fn severity(kind: AnomalyKind, peak: f64) -> AlertSeverity {
    match kind {
        AnomalyKind::PatternBreak => AlertSeverity::Info,
        AnomalyKind::Spike | AnomalyKind::Stuck | AnomalyKind::Noise => AlertSeverity::Warning,
        AnomalyKind::LevelShift | AnomalyKind::Drift | AnomalyKind::Imbalance => {
            if peak >= 4.0 {
                AlertSeverity::Critical
            } else {
                AlertSeverity::Warning
            }
        }
    }
}
