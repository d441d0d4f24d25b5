//! The sensors detection runs over, per substation, and each substation's imbalance groups
//! (its incomer and feeder load sensors, per phase set where every one names its phase).

use std::collections::BTreeMap;

use diesel::prelude::*;
use grid_model::{MeasurementRole, SensorMetadata, SensorStatus, SensorType};
use grid_store::enums::{DbSensorStatus, DbSensorType};
use grid_store::schema::{grid_sensors, grid_substations};
use uuid::Uuid;

/// A sensor as detection sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetSensor {
    /// Its id.
    pub id: Uuid,
    /// Its tag (for titles).
    pub tag: String,
    /// What it measures.
    pub kind: SensorType,
}

/// A substation's feeders against its incomers, for one phase set.
#[derive(Debug, Clone, PartialEq)]
pub struct ImbalanceGroup {
    /// `all`, or the phase every member names.
    pub phase_set: String,
    /// The incomer load sensors.
    pub incomers: Vec<Uuid>,
    /// The feeder load sensors.
    pub feeders: Vec<Uuid>,
}

impl ImbalanceGroup {
    /// Every member.
    pub fn members(&self) -> impl Iterator<Item = Uuid> + '_ {
        self.incomers.iter().chain(&self.feeders).copied()
    }
}

/// A substation's sensors.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetSubstation {
    /// Its id.
    pub id: Uuid,
    /// Its code (for titles).
    pub code: String,
    /// Its sensors in service (not `inactive`).
    pub sensors: Vec<FleetSensor>,
    /// Its imbalance groups (none without both an incomer and a feeder load sensor).
    pub groups: Vec<ImbalanceGroup>,
}

/// Every substation with a sensor in service, by code.
pub fn load(conn: &mut PgConnection) -> QueryResult<Vec<FleetSubstation>> {
    let rows: Vec<(
        Uuid,
        String,
        Uuid,
        String,
        DbSensorType,
        DbSensorStatus,
        serde_json::Value,
    )> = grid_sensors::table
        .inner_join(grid_substations::table)
        .order((grid_substations::code, grid_sensors::sensor_id))
        .select((
            grid_substations::id,
            grid_substations::code,
            grid_sensors::id,
            grid_sensors::sensor_id,
            grid_sensors::sensor_type,
            grid_sensors::status,
            grid_sensors::metadata,
        ))
        .load(conn)?;
    let mut by_code: BTreeMap<String, FleetSubstation> = BTreeMap::new();
    let mut loads: BTreeMap<Uuid, Vec<(Uuid, MeasurementRole, Option<String>)>> = BTreeMap::new();
    for (sub_id, code, id, tag, kind, status, meta) in rows {
        if SensorStatus::from(status) == SensorStatus::Inactive {
            continue;
        }
        let kind = SensorType::from(kind);
        let s = by_code
            .entry(code.clone())
            .or_insert_with(|| FleetSubstation {
                id: sub_id,
                code,
                sensors: Vec::new(),
                groups: Vec::new(),
            });
        s.sensors.push(FleetSensor { id, tag, kind });
        if kind == SensorType::Load {
            let meta = SensorMetadata::from_json(&meta);
            loads
                .entry(sub_id)
                .or_default()
                .push((id, meta.role(), meta.phase));
        }
    }
    for s in by_code.values_mut() {
        s.groups = groups(loads.get(&s.id).map_or(&[][..], Vec::as_slice));
    }
    Ok(by_code.into_values().collect())
}

/// The imbalance groups of one substation's load sensors: per phase when every incomer and
/// feeder names one, else one group of the totals.
fn groups(loads: &[(Uuid, MeasurementRole, Option<String>)]) -> Vec<ImbalanceGroup> {
    let members: Vec<_> = loads
        .iter()
        .filter(|(_, r, _)| matches!(r, MeasurementRole::Incomer | MeasurementRole::Feeder))
        .collect();
    let phased = !members.is_empty() && members.iter().all(|(_, _, p)| p.is_some());
    let mut sets: BTreeMap<String, ImbalanceGroup> = BTreeMap::new();
    for (id, role, phase) in members {
        let set = if phased {
            phase.clone().unwrap_or_default()
        } else {
            "all".to_owned()
        };
        let g = sets.entry(set.clone()).or_insert_with(|| ImbalanceGroup {
            phase_set: set,
            incomers: Vec::new(),
            feeders: Vec::new(),
        });
        match role {
            MeasurementRole::Incomer => g.incomers.push(*id),
            _ => g.feeders.push(*id),
        }
    }
    sets.into_values()
        .filter(|g| !g.incomers.is_empty() && !g.feeders.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_split_groups_only_when_every_member_names_one() {
        let (i, f1, f2) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let g = groups(&[
            (i, MeasurementRole::Incomer, Some("a".into())),
            (f1, MeasurementRole::Feeder, Some("a".into())),
            (f2, MeasurementRole::Feeder, None),
        ]);
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].phase_set, "all");
        assert_eq!(g[0].feeders, vec![f1, f2]);
        let g = groups(&[
            (i, MeasurementRole::Incomer, Some("a".into())),
            (f1, MeasurementRole::Feeder, Some("a".into())),
            (f2, MeasurementRole::Feeder, Some("b".into())),
        ]);
        // Phase b has no incomer: no group.
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].phase_set, "a");
        assert!(groups(&[(f1, MeasurementRole::Feeder, None)]).is_empty());
    }
}
