//! An oracle from outside the project: the IEC 60076-7 model of the PyPI package
//! `transformer-thermal-model` (installed by scripts/install-deps into target/thermal-venv)
//! on the same 24 h load and ambient profile with the same parameters. Its top-oil and
//! hot-spot series must agree with grid-thermal's within 0.5 K at every step.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use grid_model::ThermalMethod;
use grid_thermal::{CoolingMode, ModelParameters, RunOptions, Sample, run_with};
use serde_json::{Value, json};

fn python() -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/thermal-venv/bin/python");
    assert!(
        p.exists(),
        "{} is missing: scripts/install-deps installs the oracle (transformer-thermal-model)",
        p.display()
    );
    p
}

/// A Kenyan-style day at 1-minute steps: night trough, morning shoulder, an evening peak that
/// overloads to 1.35 pu, and an ambient swinging between 17 and 31 °C.
fn profile() -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let minutes: Vec<f64> = (0..24 * 60).map(f64::from).collect();
    let load = minutes
        .iter()
        .map(|m| {
            let h = m / 60.0;
            0.55 + 0.25 * (-(h - 8.5f64).powi(2) / 5.0).exp()
                + 0.8 * (-(h - 20.0f64).powi(2) / 3.0).exp()
        })
        .collect();
    let ambient = minutes
        .iter()
        .map(|m| 24.0 - 7.0 * ((m / 60.0 - 3.0) / 24.0 * std::f64::consts::TAU).cos())
        .collect();
    (minutes, load, ambient)
}

fn oracle(
    cooling: &str,
    p: &ModelParameters,
    minutes: &[f64],
    load: &[f64],
    ambient: &[f64],
) -> Value {
    let input = json!({
        "cooling": cooling,
        "minutes": minutes, "load_pu": load, "ambient_c": ambient,
        "rated_top_oil_rise_k": p.rated_top_oil_rise_k,
        "rated_hot_spot_gradient_k": p.rated_hot_spot_gradient_k,
        "loss_ratio": p.loss_ratio,
        "oil_exponent": p.oil_exponent, "winding_exponent": p.winding_exponent,
        "oil_time_constant_min": p.oil_time_constant_min,
        "winding_time_constant_min": p.winding_time_constant_min,
        "k11": p.k11, "k21": p.k21, "k22": p.k22,
    });
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/iec_reference.py");
    let mut child = Command::new(python())
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the oracle");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "oracle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn iec_60076_7_agrees_with_transformer_thermal_model_within_half_a_kelvin() {
    let (minutes, load, ambient) = profile();
    for (cooling, mode) in [("ONAN", CoolingMode::Onan), ("ONAF", CoolingMode::Onaf)] {
        let p = ModelParameters::defaults(mode, ThermalMethod::Iec600767);
        let theirs = oracle(cooling, &p, &minutes, &load, &ambient);
        let samples: Vec<Sample> = (0..minutes.len())
            .map(|i| Sample {
                minutes: minutes[i],
                load_pu: load[i],
                ambient_c: ambient[i],
                top_oil_c: None,
                hot_spot_c: None,
            })
            .collect();
        let mut ours = Vec::new();
        run_with(&p, &samples, RunOptions::default(), |pt| ours.push(*pt)).unwrap();
        let top: Vec<f64> = serde_json::from_value(theirs["top_oil_c"].clone()).unwrap();
        let hot: Vec<f64> = serde_json::from_value(theirs["hot_spot_c"].clone()).unwrap();
        assert_eq!((top.len(), hot.len()), (ours.len(), ours.len()));
        let mut worst = (0.0f64, 0.0f64);
        for (i, pt) in ours.iter().enumerate() {
            let (dt, dh) = (
                (pt.top_oil_c - top[i]).abs(),
                (pt.hot_spot_c - hot[i]).abs(),
            );
            assert!(
                dt <= 0.5,
                "{cooling} top oil at minute {i}: ours {} theirs {}",
                pt.top_oil_c,
                top[i]
            );
            assert!(
                dh <= 0.5,
                "{cooling} hot-spot at minute {i}: ours {} theirs {}",
                pt.hot_spot_c,
                hot[i]
            );
            worst = (worst.0.max(dt), worst.1.max(dh));
        }
        // The profile really loads the transformer: the hot-spot passes 110 °C at the peak.
        let peak = ours.iter().map(|p| p.hot_spot_c).fold(f64::MIN, f64::max);
        assert!(peak > 110.0, "{cooling}: peak {peak}");
        eprintln!(
            "{cooling}: largest difference top oil {:.2e} K, hot-spot {:.2e} K, peak {peak:.1} °C",
            worst.0, worst.1
        );
    }
}
