//! SCADA polling, end to end: a simulated substation RTU speaks Modbus TCP, the poller reads
//! it every 200 ms for five seconds, and what it stored is printed.
//!
//! ```text
//! cargo run --example scada_poll          # a throwaway PostgreSQL, or DATABASE_URL
//! ```
//!
//! The RTU holds a bus voltage as f32 (word order CDAB), a frequency as SunSpec int16 with a
//! scale factor of −2, a current as u16 (the CT reports a tenth: the sensor's calibration
//! scale is 10) and a top-oil temperature as i16.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use grid_model::*;
use grid_scada::ScadaConfig;
use grid_scada::config::WordOrder;
use grid_scada::decode::encode_f32;
use grid_scada::runtime::{Counters, PollerOptions, run};
use grid_store::{SensorRepository, SubstationRepository};
use grid_timescale::query::{Scope, latest};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (_server, url) = grid_testdb::database_url_or_throwaway()?;
    let mut conn = grid_store::establish(&url)?;
    grid_store::migrations::run_pending(&mut conn)?;
    grid_timescale::setup(&mut conn, &Default::default())?;

    // The substation and its sensors, as the store knows them.
    let d = SubstationDraft::new(
        "Ruaraka Substation",
        "SCADA-RUA",
        GridZone::Nairobi,
        (-1.2345, 36.8815),
        132,
        90.0,
    );
    let substation = conn.insert_substation(&NewSubstation::new(d)?)?;
    for (tag, kind, scale) in [
        ("RUA-V-BUS", SensorType::Voltage, 1.0),
        ("RUA-HZ", SensorType::Frequency, 1.0),
        ("RUA-I-1", SensorType::Current, 10.0),
        ("RUA-OIL", SensorType::TransformerOil, 1.0),
    ] {
        let mut s = SensorDraft::new(substation.id, tag, kind);
        s.calibration_scale = scale;
        s.protocol = Some("Modbus".into());
        conn.insert_sensor(&NewSensor::new(s)?)?;
    }

    // The simulated RTU: registers 0–1 voltage (f32, CDAB), 2 frequency, 3 its scale factor,
    // 4 current, 5 oil temperature. A task moves the values as a live substation would.
    let registers = Arc::new(Mutex::new(vec![0u16; 6]));
    let addr = grid_scada::simulator::spawn(registers.clone()).await?;
    let regs = registers.clone();
    tokio::spawn(async move {
        for tick in 0u32.. {
            let x = f64::from(tick) / 10.0;
            let v = encode_f32((132.0 + 1.5 * x.sin()) as f32, WordOrder::CDAB);
            let hz = (5000.0 + 4.0 * (x * 0.7).cos()) as i16;
            {
                let mut r = regs.lock().unwrap_or_else(|e| e.into_inner());
                r[0] = v[0];
                r[1] = v[1];
                r[2] = hz as u16;
                r[3] = (-2i16) as u16;
                r[4] = (30.0 + 3.0 * x.sin()) as u16;
                r[5] = (62.0 + x / 5.0) as i16 as u16;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });

    let config = ScadaConfig::from_toml(&format!(
        r#"
[batch]
max_readings = 100
max_delay_ms = 500

[[device]]
name = "rtu-ruaraka"
address = "{addr}"
poll_interval_ms = 200
timeout_ms = 500
word_order = "CDAB"
[[device.point]]
tag = "RUA-V-BUS"
register = "holding"
address = 0
type = "f32"
[[device.point]]
tag = "RUA-HZ"
register = "holding"
address = 2
type = "sunspec_i16"
scale_factor_address = 3
[[device.point]]
tag = "RUA-I-1"
register = "input"
address = 4
type = "u16"
[[device.point]]
tag = "RUA-OIL"
register = "holding"
address = 5
type = "i16"
"#
    ))?;
    let spool = std::env::temp_dir().join(format!("scada-poll-spool-{}", std::process::id()));
    let opts = PollerOptions {
        database_url: url.clone(),
        spool_dir: spool.clone(),
        spool_max_bytes: 64 << 20,
        limits: Default::default(),
        anomaly_detection: None,
        alarms: None,
        session_limits: Default::default(),
    };
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let counters = Arc::new(Counters::default());
    println!("Polling {addr} every 200 ms for 5 s…");
    let poller = tokio::spawn(run(config, opts, stop_rx, counters.clone()));
    tokio::time::sleep(Duration::from_secs(5)).await;
    stop_tx.send(true)?;
    poller.await??;
    println!("Poller: {}", counters.line());

    for l in latest(&mut conn, Scope::Substation(substation.id))? {
        println!(
            "  {:<10} latest {:>9.3} at {}{}",
            l.tag,
            l.value,
            l.timestamp.format("%H:%M:%S%.3f"),
            if l.is_out_of_range {
                "  (out of range)"
            } else {
                ""
            }
        );
    }
    let stored: i64 = {
        use diesel::prelude::*;
        grid_store::schema::sensor_readings::table
            .count()
            .get_result(&mut conn)?
    };
    println!("Stored {stored} readings.");
    let _ = std::fs::remove_dir_all(spool);
    Ok(())
}
