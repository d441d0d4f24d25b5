//! Which substation feeds which, on one day: what a zone's load and its interrupted
//! customers are counted from. Pure: built from rows the loader reads.
//!
//! - **Customers**: each substation's count is of its own feeders' customers, in effect that
//!   day; a zone's N_T is the sum over its substations, so a cascade counts each customer
//!   once.
//! - **Load**: a substation fed (directly or through others) by a substation of the same
//!   zone whose load is measured is already inside that one's load and is left out of the
//!   zone's sum. A zone's load includes what its substations feed into another zone (the
//!   grid total is therefore not the sum of the zones' loads).
//! - **Outages**: an outage of a whole substation (one naming no device) interrupts every
//!   substation it feeds, directly or not, with the customers in effect that day.

use std::collections::{HashMap, HashSet};

use grid_model::GridZone;
use uuid::Uuid;

/// One substation on one day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Node {
    /// The substation.
    pub id: Uuid,
    /// Its zone.
    pub zone: GridZone,
    /// The substation that feeds it.
    pub fed_from: Option<Uuid>,
    /// Customers of its own feeders in effect that day.
    pub customers: i64,
}

/// The grid's substations on one day.
#[derive(Debug, Clone, Default)]
pub struct Topology {
    nodes: HashMap<Uuid, Node>,
    children: HashMap<Uuid, Vec<Uuid>>,
}

impl Topology {
    /// From every substation's row. A `fed_from` naming no known substation is ignored (the
    /// database refuses loops, and a walk stops at one anyway).
    pub fn new(nodes: impl IntoIterator<Item = Node>) -> Topology {
        let nodes: HashMap<Uuid, Node> = nodes.into_iter().map(|n| (n.id, n)).collect();
        let mut children: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        for n in nodes.values() {
            if let Some(up) = n.fed_from.filter(|u| nodes.contains_key(u)) {
                children.entry(up).or_default().push(n.id);
            }
        }
        for c in children.values_mut() {
            c.sort();
        }
        Topology { nodes, children }
    }

    /// A substation on that day.
    pub fn node(&self, id: Uuid) -> Option<&Node> {
        self.nodes.get(&id)
    }

    /// N_T per zone: Σ customers of its substations (zones without any absent).
    pub fn customers_by_zone(&self) -> HashMap<GridZone, i64> {
        let mut out: HashMap<GridZone, i64> = HashMap::new();
        for n in self.nodes.values() {
            *out.entry(n.zone).or_default() += n.customers.max(0);
        }
        out
    }

    /// Every substation `id` feeds, directly or through others, nearest first.
    pub fn downstream(&self, id: Uuid) -> Vec<Uuid> {
        let mut seen: HashSet<Uuid> = HashSet::from([id]);
        let mut out = Vec::new();
        let mut queue = std::collections::VecDeque::from([id]);
        while let Some(u) = queue.pop_front() {
            for &c in self.children.get(&u).map_or(&[][..], Vec::as_slice) {
                if seen.insert(c) {
                    out.push(c);
                    queue.push_back(c);
                }
            }
        }
        out
    }

    /// The substations whose own load counts in their zone, of those with a measured load
    /// (`measured`): the ones no measured substation of the same zone feeds, directly or
    /// through others.
    pub fn counted_for_load(&self, measured: &HashSet<Uuid>) -> HashSet<Uuid> {
        measured
            .iter()
            .copied()
            .filter(|&id| {
                let Some(zone) = self.nodes.get(&id).map(|n| n.zone) else {
                    return true;
                };
                let mut seen = HashSet::from([id]);
                let mut up = self.nodes.get(&id).and_then(|n| n.fed_from);
                while let Some(u) = up.filter(|u| seen.insert(*u)) {
                    let Some(n) = self.nodes.get(&u) else { break };
                    if n.zone == zone && measured.contains(&u) {
                        return false;
                    }
                    up = n.fed_from;
                }
                true
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    /// 1 (220 kV, Nairobi) feeds 2 (66 kV, Nairobi), which feeds 3 (Central); 4 stands alone.
    fn grid() -> Topology {
        let n = |i, zone, fed_from: Option<u128>, customers| Node {
            id: id(i),
            zone,
            fed_from: fed_from.map(id),
            customers,
        };
        Topology::new([
            n(1, GridZone::Nairobi, None, 1000),
            n(2, GridZone::Nairobi, Some(1), 4000),
            n(3, GridZone::Central, Some(2), 2500),
            n(4, GridZone::Nairobi, None, 500),
        ])
    }

    #[test]
    fn customers_are_counted_once_and_outages_reach_downstream() {
        let t = grid();
        let nt = t.customers_by_zone();
        // Nairobi: 1,000 + 4,000 + 500 (each substation's own feeders); Central 2,500.
        assert_eq!(nt[&GridZone::Nairobi], 5500);
        assert_eq!(nt[&GridZone::Central], 2500);
        assert_eq!(t.downstream(id(1)), [id(2), id(3)]);
        assert_eq!(t.downstream(id(3)), Vec::<Uuid>::new());
    }

    #[test]
    fn a_fed_substation_of_the_same_zone_is_inside_its_feeders_load() {
        let t = grid();
        let all: HashSet<Uuid> = [1, 2, 3, 4].map(id).into();
        // 2 is inside 1's load; 3 is in another zone and counts there.
        assert_eq!(t.counted_for_load(&all), [1, 3, 4].map(id).into());
        // Without a measured load at 1, 2 counts.
        let no_1: HashSet<Uuid> = [2, 3, 4].map(id).into();
        assert_eq!(t.counted_for_load(&no_1), no_1);
    }
}
