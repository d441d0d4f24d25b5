//! The demo grid: 23 substations in the 8 zones at their towns' coordinates and voltage
//! levels, transformers with ratings and cooling classes, 299 sensors of every type.

use grid_model::*;
use grid_store::{SensorRepository, StoreResult, SubstationRepository, TransformerRepository};

/// (code, name, zone, latitude, longitude, kV, customers served)
pub const SUBSTATIONS: [(&str, &str, GridZone, f64, f64, i32, i32); 23] = [
    (
        "NRB-EMB",
        "Embakasi",
        GridZone::Nairobi,
        -1.3192,
        36.8947,
        220,
        182_000,
    ),
    (
        "NRB-JUJ",
        "Juja Road",
        GridZone::Nairobi,
        -1.2612,
        36.8722,
        66,
        96_000,
    ),
    (
        "NRB-DAN",
        "Dandora",
        GridZone::Nairobi,
        -1.2475,
        36.9125,
        220,
        140_000,
    ),
    (
        "NRB-RUA",
        "Ruaraka",
        GridZone::Nairobi,
        -1.2345,
        36.8815,
        132,
        88_000,
    ),
    (
        "MSA-RAB",
        "Rabai",
        GridZone::Mombasa,
        -3.9285,
        39.5688,
        220,
        120_000,
    ),
    (
        "MSA-KIP",
        "Kipevu",
        GridZone::Mombasa,
        -4.0434,
        39.6463,
        132,
        75_000,
    ),
    (
        "MSA-LIK",
        "Likoni",
        GridZone::Mombasa,
        -4.0833,
        39.6667,
        33,
        41_000,
    ),
    (
        "KSM-KIS",
        "Kisumu",
        GridZone::Kisumu,
        -0.0917,
        34.7680,
        132,
        18_000,
    ),
    (
        "KSM-MUH",
        "Muhoroni",
        GridZone::Kisumu,
        -0.1580,
        35.1960,
        132,
        36_000,
    ),
    (
        "NKR-LAN",
        "Lanet",
        GridZone::Nakuru,
        -0.2960,
        36.1450,
        132,
        64_000,
    ),
    (
        "NKR-OLK",
        "Olkaria",
        GridZone::Nakuru,
        -0.8830,
        36.3040,
        220,
        12_000,
    ),
    (
        "NKR-SUS",
        "Suswa",
        GridZone::Nakuru,
        -1.0500,
        36.3500,
        400,
        9_000,
    ),
    (
        "ELD-ELD",
        "Eldoret",
        GridZone::Eldoret,
        0.5143,
        35.2698,
        132,
        71_000,
    ),
    (
        "ELD-KIT",
        "Kitale",
        GridZone::Eldoret,
        1.0157,
        35.0062,
        33,
        38_000,
    ),
    (
        "WST-MUS",
        "Musaga",
        GridZone::Western,
        0.5667,
        34.6167,
        132,
        52_000,
    ),
    (
        "WST-KAK",
        "Kakamega",
        GridZone::Western,
        0.2827,
        34.7519,
        33,
        33_000,
    ),
    (
        "WST-BUN",
        "Bungoma",
        GridZone::Western,
        0.5635,
        34.5606,
        33,
        29_000,
    ),
    (
        "CEN-KIG",
        "Kiganjo",
        GridZone::Central,
        -0.3964,
        36.9917,
        132,
        58_000,
    ),
    (
        "CEN-THI",
        "Thika",
        GridZone::Central,
        -1.0333,
        37.0693,
        66,
        67_000,
    ),
    (
        "CEN-NYE",
        "Nyeri",
        GridZone::Central,
        -0.4201,
        36.9476,
        33,
        31_000,
    ),
    (
        "CST-MAL",
        "Malindi",
        GridZone::Coastal,
        -3.2175,
        40.1191,
        33,
        27_000,
    ),
    (
        "CST-KIL",
        "Kilifi",
        GridZone::Coastal,
        -3.6305,
        39.8499,
        33,
        22_000,
    ),
    (
        "CST-GAR",
        "Garsen",
        GridZone::Coastal,
        -2.2700,
        40.1167,
        220,
        8_000,
    ),
];

/// One seeded sensor and what the simulation needs to know of it.
#[derive(Debug, Clone)]
pub struct DemoSensor {
    /// The stored sensor.
    pub sensor: Sensor,
    /// Its substation's code.
    pub substation: &'static str,
    /// Its zone.
    pub zone: GridZone,
    /// Nominal value in the sensor's unit (kV, Hz, MW, °C, …) after calibration.
    pub nominal: f64,
}

/// The seeded grid.
#[derive(Debug, Clone)]
pub struct DemoGrid {
    /// Substations, in [`SUBSTATIONS`] order.
    pub substations: Vec<Substation>,
    /// Transformers, two per substation.
    pub transformers: Vec<Transformer>,
    /// Every sensor.
    pub sensors: Vec<DemoSensor>,
}

impl DemoGrid {
    /// The substation with this code.
    pub fn substation(&self, code: &str) -> &Substation {
        self.substations
            .iter()
            .find(|s| s.code == code)
            .expect("a demo substation code")
    }

    /// The sensors of a substation of one type.
    pub fn sensors_of<'a>(
        &'a self,
        code: &'a str,
        kind: SensorType,
    ) -> impl Iterator<Item = &'a DemoSensor> + 'a {
        self.sensors
            .iter()
            .filter(move |s| s.substation == code && s.sensor.sensor_type == kind)
    }
}

/// The peak load of a substation, MW, from its customers (about 1.4 kW each at peak).
pub fn peak_mw(customers: i32) -> f64 {
    (customers as f64 * 1.4e-3).max(5.0)
}

/// Seeds the demo grid (through the validated model, like any client).
pub fn seed(conn: &mut diesel::PgConnection) -> StoreResult<DemoGrid> {
    let mut grid = DemoGrid {
        substations: Vec::new(),
        transformers: Vec::new(),
        sensors: Vec::new(),
    };
    let coolings = ["ONAN", "ONAF", "OFAF", "ODAF"];
    for (i, &(code, name, zone, lat, lon, kv, customers)) in SUBSTATIONS.iter().enumerate() {
        let mva = (peak_mw(customers) * 1.6).round().max(10.0);
        let mut d = SubstationDraft::new(
            format!("{name} Substation"),
            code,
            zone,
            (lat, lon),
            kv,
            mva,
        );
        d.customers_served = customers;
        d.num_transformers = 2;
        d.num_feeders = 2;
        d.county = Some(name.to_owned());
        let s = conn.insert_substation(&NewSubstation::new(d)?)?;
        let secondary = if kv >= 132 { 33.0 } else { 11.0 };
        let mut trs = Vec::new();
        for k in 0..2 {
            let mut t =
                TransformerDraft::new(s.id, format!("T{}", k + 1), mva / 2.0, kv as f64, secondary);
            t.serial_number = Some(format!("KE-{code}-T{}", k + 1));
            t.manufacturer = Some(["ABB", "Siemens", "TBEA", "Hyosung"][(i + k) % 4].into());
            t.year_manufactured = Some(1995 + ((i * 7 + k * 3) % 28) as i32);
            t.cooling_type = Some(coolings[(i + k) % 4].into());
            let t = conn.insert_transformer(&NewTransformer::new(t)?)?;
            trs.push(t);
        }
        let peak = peak_mw(customers);
        let add = |conn: &mut diesel::PgConnection,
                   grid: &mut DemoGrid,
                   tag: String,
                   kind: SensorType,
                   nominal: f64,
                   configure: &dyn Fn(&mut SensorDraft)|
         -> StoreResult<()> {
            let mut d = SensorDraft::new(s.id, tag, kind);
            d.sampling_rate_hz = 1.0 / 60.0;
            d.protocol = Some("Modbus".into());
            d.last_calibration_date = Some(
                chrono::Utc::now()
                    - chrono::Duration::days(200 + (grid.sensors.len() % 300) as i64),
            );
            d.next_calibration_date = Some(
                chrono::Utc::now()
                    + chrono::Duration::days(165 - (grid.sensors.len() % 300) as i64),
            );
            configure(&mut d);
            let sensor = conn.insert_sensor(&NewSensor::new(d)?)?;
            grid.sensors.push(DemoSensor {
                sensor,
                substation: code,
                zone,
                nominal,
            });
            Ok(())
        };
        add(
            conn,
            &mut grid,
            format!("{code}-LD-IN"),
            SensorType::Load,
            peak,
            &|d| {
                d.measurement_unit = Some("MW".into());
                d.metadata = SensorMetadata {
                    measurement_role: Some(MeasurementRole::Incomer),
                    ..Default::default()
                }
                .to_json();
            },
        )?;
        for f in 1..=2 {
            add(
                conn,
                &mut grid,
                format!("{code}-LD-F{f}"),
                SensorType::Load,
                peak / 2.0,
                &|d| {
                    d.measurement_unit = Some("MW".into());
                    d.metadata = SensorMetadata {
                        measurement_role: Some(MeasurementRole::Feeder),
                        ..Default::default()
                    }
                    .to_json();
                },
            )?;
        }
        add(
            conn,
            &mut grid,
            format!("{code}-V-BUS"),
            SensorType::Voltage,
            kv as f64,
            &|d| {
                d.measurement_unit = Some("kV".into());
                d.is_critical = true;
            },
        )?;
        for (k, t) in trs.iter().enumerate() {
            let tid = t.id;
            add(
                conn,
                &mut grid,
                format!("{code}-V-T{}", k + 1),
                SensorType::Voltage,
                secondary,
                &|d| {
                    d.measurement_unit = Some("kV".into());
                    d.transformer_id = Some(tid);
                    d.metadata = SensorMetadata {
                        nominal_kv: Some(secondary),
                        ..Default::default()
                    }
                    .to_json();
                },
            )?;
        }
        add(
            conn,
            &mut grid,
            format!("{code}-HZ"),
            SensorType::Frequency,
            50.0,
            &|d| {
                d.measurement_unit = Some("Hz".into());
                d.is_critical = true;
            },
        )?;
        // Current transformers report a tenth of the current: calibration scale 10.
        for k in 1..=2 {
            add(
                conn,
                &mut grid,
                format!("{code}-I-{k}"),
                SensorType::Current,
                300.0,
                &|d| {
                    d.measurement_unit = Some("A".into());
                    d.calibration_scale = 10.0;
                },
            )?;
        }
        add(
            conn,
            &mut grid,
            format!("{code}-PF"),
            SensorType::PowerFactor,
            0.95,
            &|d| {
                d.measurement_unit = Some("".into()).filter(|u: &String| !u.is_empty());
            },
        )?;
        let t1 = trs[0].id;
        add(
            conn,
            &mut grid,
            format!("{code}-WDG"),
            SensorType::Temperature,
            75.0,
            &|d| {
                d.measurement_unit = Some("°C".into());
                d.transformer_id = Some(t1);
                d.calibration_offset = -0.5;
                d.metadata = SensorMetadata {
                    measurement_role: Some(MeasurementRole::HotSpot),
                    ..Default::default()
                }
                .to_json();
            },
        )?;
        add(
            conn,
            &mut grid,
            format!("{code}-OIL"),
            SensorType::TransformerOil,
            62.0,
            &|d| {
                d.measurement_unit = Some("°C".into());
                d.transformer_id = Some(t1);
                d.metadata = SensorMetadata {
                    measurement_role: Some(MeasurementRole::TopOil),
                    ..Default::default()
                }
                .to_json();
            },
        )?;
        add(
            conn,
            &mut grid,
            format!("{code}-VIB"),
            SensorType::Vibration,
            2.0,
            &|d| {
                d.measurement_unit = Some(VibrationBasis::VelocityRms.unit().into());
                d.transformer_id = Some(t1);
                d.metadata = SensorMetadata {
                    vibration_basis: Some(VibrationBasis::VelocityRms),
                    ..Default::default()
                }
                .to_json();
            },
        )?;
        grid.substations.push(s);
        grid.transformers.extend(trs);
    }
    Ok(grid)
}
