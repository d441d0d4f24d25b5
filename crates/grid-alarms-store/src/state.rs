//! What the engine holds between batches and what one batch derived: the ground floor
//! the engine and its writer share.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use grid_alarms::{AlarmEvent, FloodEvent, FloodTracker, PointAlarm};
use grid_model::GridZone;
use uuid::Uuid;

use crate::fleet::Point;
use crate::points::Stored;

/// What the engine did since it was made (committed batches only).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct AlarmCounts {
    /// Alarms raised (an alert each).
    pub raised: u64,
    /// Of those, late (recorded as history, not announced).
    pub late: u64,
    /// Raised alarms that escalated or de-escalated.
    pub regraded: u64,
    /// Alarms cleared.
    pub cleared: u64,
    /// Alarms raised while shelved (no alert; announced when the shelving ends if still
    /// raised).
    pub shelved: u64,
    /// Alarms announced when their shelving ended.
    pub reannounced: u64,
    /// Floods begun.
    pub floods: u64,
    /// Readings not evaluated: out of service, or suppressed during an outage.
    pub not_evaluated: u64,
    /// Readings not later than their point's last evaluated one (evaluated before).
    pub already_evaluated: u64,
}

/// A point loaded from the store.
#[derive(Debug, Clone)]
pub(crate) struct Cached {
    pub(crate) alarm: PointAlarm,
    pub(crate) stored: Stored,
    /// Whether its row holds a quiet state ([`PointAlarm::quiet`]): a point still quiet
    /// after a batch without events need not be written again (a new point, or one whose
    /// excursion is pending, raised or just ended, is).
    pub(crate) stored_quiet: bool,
}

/// An operator area's flood tracker and its open flood alert.
#[derive(Debug, Clone)]
pub(crate) struct Area {
    pub(crate) tracker: FloodTracker<Uuid>,
    pub(crate) flood_alert: Option<Uuid>,
}

/// What the last scored batch derived, for [`Scorer::persist`].
#[derive(Debug, Default)]
pub(crate) struct Derived {
    /// Per point, in time order: its events and whether each came of a late reading.
    pub(crate) events: Vec<(Uuid, AlarmEvent, bool)>,
    /// Raised alarms to announce now that their shelving ended: (point, when).
    pub(crate) reannounce: Vec<(Uuid, DateTime<Utc>)>,
    /// Flood events per area, in time order.
    pub(crate) floods: Vec<(GridZone, FloodEvent<Uuid>)>,
    /// Raises that are members of a flood: (point, raised at).
    pub(crate) members: HashSet<(Uuid, DateTime<Utc>)>,
    /// Points and areas to store.
    pub(crate) touched: HashSet<Uuid>,
    pub(crate) areas: HashSet<GridZone>,
    pub(crate) counts: AlarmCounts,
}

/// The points, their loaded states, the areas and the last batch's derivations.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) fleet: HashMap<Uuid, Point>,
    /// Every sensor at the fleet's last load, alarming or not.
    pub(crate) sensors: HashSet<Uuid>,
    pub(crate) cache: HashMap<Uuid, Cached>,
    pub(crate) areas: HashMap<GridZone, Area>,
    pub(crate) derived: Derived,
}
