//! One configuration: the file and the environment over it, every bad key named, the URL
//! never printed.

use std::collections::HashMap;

use grid_config::SentinelConfig;
use grid_timescale::ServerMode;

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| map.get(k).cloned()
}

fn file(text: &str) -> tempfile_path::Path {
    tempfile_path::write(text)
}

/// A file in the temporary directory, removed when dropped.
mod tempfile_path {
    pub struct Path(pub std::path::PathBuf);
    impl Drop for Path {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
    pub fn write(text: &str) -> Path {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("gs-config-{}-{n}.toml", std::process::id()));
        std::fs::write(&p, text).unwrap();
        Path(p)
    }
}

#[test]
fn the_file_then_the_environment_then_validation() {
    let f = file(
        r#"
[database]
pool_size = 4
role = "writer"

[setup]
time_zone = "Africa/Nairobi"
require = "plain"

[ingest]
batch_size = 5000

[http]
listen = "127.0.0.1:9999"
"#,
    );
    let c = SentinelConfig::load_with(
        Some(&f.0),
        env(&[
            ("DATABASE_URL", "postgres://svc:s3cret@db/grid"),
            ("SENTINEL_POOL_SIZE", "12"),
        ]),
    )
    .unwrap();
    assert_eq!(c.database.pool_size, 12, "the environment wins");
    assert_eq!(c.ingest.batch_size, 5000);
    assert_eq!(c.setup.require, Some(ServerMode::Plain));
    assert_eq!(c.http.listen.port(), 9999);
    // The writer role's limits, the URL present but never printed.
    assert_eq!(
        c.session_limits().statement_timeout,
        Some(std::time::Duration::from_secs(60))
    );
    assert_eq!(
        c.database_url().unwrap().expose(),
        "postgres://svc:s3cret@db/grid"
    );
    assert!(!format!("{c:?}").contains("s3cret"));

    // Each bad setting is named.
    for (text, key) in [
        ("[database]\npool_size = 0\n", "database.pool_size"),
        ("[setup]\ntime_zone = \"Mars/Olympus\"\n", "setup.time_zone"),
        ("[setup]\nrole_prefix = \"Grid-\"\n", "setup.role_prefix"),
        ("[ingest]\nbatch_size = 0\n", "ingest.batch_size"),
        (
            "[database]\nurl = \"postgres://x:y@h/d\"\n",
            "unknown field `url`",
        ),
        (
            "[setup]\nrequire = \"enterprise\"\n",
            "unknown variant `enterprise`",
        ),
    ] {
        let f = file(text);
        let e = SentinelConfig::load_with(Some(&f.0), env(&[])).unwrap_err();
        assert!(e.to_string().contains(key), "{key}: {e}");
    }
    let e = SentinelConfig::load_with(None, env(&[("SENTINEL_POOL_SIZE", "many")])).unwrap_err();
    assert!(e.to_string().contains("SENTINEL_POOL_SIZE"), "{e}");
    // No URL anywhere: the error says where to put one.
    let c = SentinelConfig::load_with(None, env(&[])).unwrap();
    let e = c.database_url().unwrap_err().to_string();
    assert!(e.contains("DATABASE_URL") && e.contains("url_file"), "{e}");
    // The URL from a file.
    let u = file("postgres://svc:filepass@db/grid\n");
    let c = SentinelConfig::load_with(
        None,
        env(&[("SENTINEL_DATABASE_URL_FILE", u.0.to_str().unwrap())]),
    )
    .unwrap();
    assert_eq!(
        c.database_url().unwrap().expose(),
        "postgres://svc:filepass@db/grid"
    );
}

#[test]
fn alarm_settings_reach_each_crates_own_policy() {
    let f = file(
        r#"
[alarms.threshold.frequency]
deadband = 0.1
on_delay_s = 30
off_delay_s = 120

[alarms.anomaly]
min_severity = "critical"
storm_window_s = 300

[alarms.thermal]
category = "long_time_emergency"
deadband_k = 3.0
"#,
    );
    let c = SentinelConfig::load_with(Some(&f.0), env(&[])).unwrap();
    let a = &c.alarms;
    // The quantity named is replaced whole; the others keep their defaults.
    let rule = a
        .threshold
        .rule_for(
            grid_model::SensorType::Frequency,
            grid_model::alarm::GradedLimits {
                lo: Some(49.5),
                hi: Some(50.5),
                ..Default::default()
            },
            0.0,
        )
        .unwrap();
    assert_eq!(rule.deadband, 0.1);
    assert_eq!(rule.on_delay, chrono::Duration::seconds(30));
    assert_eq!(rule.off_delay, chrono::Duration::seconds(120));
    let voltage = a
        .threshold
        .tuning(grid_model::SensorType::Voltage, 66.0)
        .unwrap();
    assert!((voltage.deadband - 0.66).abs() < 1e-12, "1 % of 66 kV");
    assert_eq!(a.anomaly.min_severity, grid_model::AlertSeverity::Critical);
    assert_eq!(a.anomaly.storm_window, chrono::Duration::minutes(5));
    assert_eq!(a.anomaly.min_readings, 5, "unnamed: the default");
    assert_eq!(
        a.thermal.category,
        grid_thermal::LoadingCategory::LongTimeEmergency
    );
    assert_eq!(
        (a.thermal.deadband_k, a.thermal.on_delay.num_seconds()),
        (3.0, 60)
    );

    // Each bad alarm setting is named by its key.
    for (text, key) in [
        (
            "[alarms.threshold.voltage]\ndeadband = -1.0\non_delay_s = 10\noff_delay_s = 60\n",
            "alarms.threshold.voltage.deadband",
        ),
        (
            "[alarms.threshold.voltage]\ndeadband = 1.0\n",
            "missing field `on_delay_s`",
        ),
        (
            "[alarms.anomaly]\nmin_readings = 0\n",
            "alarms.anomaly.min_readings",
        ),
        (
            "[alarms.anomaly]\nstorm_sensors = 1\n",
            "alarms.anomaly.storm_sensors",
        ),
        ("[alarms.anomaly]\nstorm_window_s = -5\n", "storm_window_s"),
        (
            "[alarms.thermal]\ndeadband_k = 80.0\n",
            "alarms.thermal.deadband_k",
        ),
        (
            "[alarms.thermal]\ncategory = \"extreme\"\n",
            "unknown variant `extreme`",
        ),
        ("[alarms]\nsirens = true\n", "unknown field `sirens`"),
    ] {
        let f = file(text);
        let e = SentinelConfig::load_with(Some(&f.0), env(&[])).unwrap_err();
        assert!(e.to_string().contains(key), "{key}: {e}");
    }
}

/// Voltage limits that would alarm only at Um (or above it) are refused at load, by key.
#[test]
fn a_voltage_limit_at_um_is_refused_by_its_key() {
    let dir = std::env::temp_dir().join(format!("gs-config-um-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("sentinel.toml");
    std::fs::write(&file, "[limits.voltage.by_level.400]\nhihi = 1.05\n").unwrap();
    let e = SentinelConfig::load_with(Some(&file), |_| None).unwrap_err();
    assert_eq!(e.key, "limits.voltage.by_level.400.hihi", "{e}");
    assert!(e.reason.contains("Um 420.00 kV"), "{e}");
    // A tighter band is taken.
    std::fs::write(
        &file,
        "[limits.voltage]\nmargin_pu = 0.01\n[limits.voltage.transmission]\nlo = 0.96\nhi = 1.04\n",
    )
    .unwrap();
    let c = SentinelConfig::load_with(Some(&file), |_| None).unwrap();
    let g = c.limits.voltage.graded_kv(400.0);
    assert!((g.hihi.unwrap() - 416.0).abs() < 1e-9 && (g.hi.unwrap() - 412.0).abs() < 1e-9);
    let _ = std::fs::remove_dir_all(dir);
}
