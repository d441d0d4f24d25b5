//! The standards' formulas against values computed by hand (the arithmetic is in the comments).

use grid_model::{InsulationPaper, ThermalMethod};
use grid_thermal::{
    AgeingTotals, C5791, CoolingMode, Iec600767, ModelParameters, RunOptions, Sample, ThermalError,
    ThermalModel, ageing_factor, run, run_with,
};

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

#[test]
fn ageing_factors_of_upgraded_and_non_upgraded_paper() {
    let up = |t| ageing_factor(InsulationPaper::ThermallyUpgraded, t);
    // F_AA = exp(15000/383 − 15000/(θ+273)); 15000/383 = 39.16449.
    // 110 °C: 15000/383 − 15000/383 = 0 → 1.000.
    assert!(close(up(110.0), 1.000, 0.01));
    // 140 °C: 39.16449 − 15000/413 (= 36.31961) = 2.84488 → e^2.84488 = 17.20.
    assert!(close(up(140.0), 17.20, 0.01));
    // The other check values, at 98, 120 and 130 °C.
    assert!(close(up(98.0), 0.282, 0.001));
    assert!(close(up(120.0), 2.709, 0.001));
    assert!(close(up(130.0), 6.984, 0.001));
    let non = |t| ageing_factor(InsulationPaper::NonUpgraded, t);
    // V = 2^((θ − 98)/6): 2^0 = 1 at 98 °C, 2^1 = 2 at 104 °C.
    assert!(close(non(98.0), 1.0, 1e-12));
    assert!(close(non(104.0), 2.0, 1e-12));
}

#[test]
fn steady_state_at_k_1_5_onaf_ambient_30() {
    // Defaults: Δθ_TO,R = 55 K, Δθ_H,R = 25 K, R = 6; ONAF n = 0.9, m = 0.8 (C57.91),
    // x = 0.8, y = 1.3 (IEC).
    // (K²R + 1)/(R + 1) = (2.25·6 + 1)/7 = 14.5/7 = 2.071429.
    // C57.91: Δθ_TO,U = 55 · 2.071429^0.9 = 55 · 1.925941 = 105.93 K → θ_TO = 135.93 °C;
    //         Δθ_H,U = 25 · 1.5^1.6 = 25 · 1.913137 = 47.83 K → θ_H = 183.76 °C.
    let p = ModelParameters::defaults(CoolingMode::Onaf, ThermalMethod::IeeeC5791);
    let m = C5791::new(&p);
    let s = m.steady(1.5, 30.0);
    assert!(close(m.top_oil_c(&s), 135.93, 0.01), "{}", m.top_oil_c(&s));
    assert!(
        close(m.hot_spot_c(&s), 183.76, 0.01),
        "{}",
        m.hot_spot_c(&s)
    );
    // IEC: Δθ_o = 55 · 2.071429^0.8 = 55 · 1.790672 = 98.49 K → θ_o = 128.49 °C;
    //      Δθ_h = 25 · 1.5^1.3 = 25 · 1.694020 = 42.35 K → θ_h = 170.84 °C.
    let p = ModelParameters::defaults(CoolingMode::Onaf, ThermalMethod::Iec600767);
    let m = Iec600767::new(&p);
    let s = m.steady(1.5, 30.0);
    assert!(close(m.top_oil_c(&s), 128.49, 0.01), "{}", m.top_oil_c(&s));
    assert!(
        close(m.hot_spot_c(&s), 170.84, 0.01),
        "{}",
        m.hot_spot_c(&s)
    );
    // A long run at that load converges on the steady state from a rated start.
    for method in [ThermalMethod::IeeeC5791, ThermalMethod::Iec600767] {
        let p = ModelParameters::defaults(CoolingMode::Onaf, method);
        let mut samples: Vec<Sample> = vec![sample(0.0, 1.0, 30.0)];
        samples.extend((1..=48 * 60).map(|m| sample(m as f64, 1.5, 30.0)));
        let mut last = None;
        run_with(&p, &samples, RunOptions::default(), |pt| last = Some(*pt)).unwrap();
        let want = if method == ThermalMethod::IeeeC5791 {
            183.76
        } else {
            170.84
        };
        assert!(
            close(last.unwrap().hot_spot_c, want, 0.01),
            "{method}: {last:?}"
        );
    }
}

fn sample(minutes: f64, load_pu: f64, ambient_c: f64) -> Sample {
    Sample {
        minutes,
        load_pu,
        ambient_c,
        top_oil_c: None,
        hot_spot_c: None,
    }
}

#[test]
fn equivalent_ageing_over_a_24_hour_cycle() {
    // Hourly hot-spots (measured, so the model does not smooth them): 8 h at 98 °C, 8 h at
    // 110, 4 h at 120, 2 h at 130, 2 h at 140. By hand with the check values:
    // Σ F_AA·Δt = 8·0.28174 + 8·1 + 4·2.70893 + 2·6.98418 + 2·17.19946
    //           = 2.25391 + 8 + 10.83570 + 13.96835 + 34.39893 = 69.45689 h;
    // F_EQA = 69.45689 / 24 = 2.89404; loss of life = 69.457 h = 0.038587 % of 180,000 h.
    let hours: Vec<f64> = [(98.0, 8), (110.0, 8), (120.0, 4), (130.0, 2), (140.0, 2)]
        .iter()
        .flat_map(|&(t, n)| std::iter::repeat_n(t, n))
        .collect();
    // Sample h closes the hour (h − 1, h]; the first only opens the span.
    let mut samples = vec![Sample {
        hot_spot_c: Some(98.0),
        ..sample(0.0, 0.8, 25.0)
    }];
    samples.extend(hours.iter().enumerate().map(|(i, &t)| Sample {
        hot_spot_c: Some(t),
        ..sample(((i + 1) * 60) as f64, 0.8, 25.0)
    }));
    let p = ModelParameters::defaults(CoolingMode::Onan, ThermalMethod::IeeeC5791);
    let mut totals = AgeingTotals::default();
    let summary = run_with(&p, &samples, RunOptions { max_gap_min: 90.0 }, |pt| {
        totals.add(pt.covered_min, pt.hot_spot_c, pt.ageing_factor)
    })
    .unwrap();
    assert_eq!(summary.spans, 1);
    assert_eq!(totals.covered_min, 24.0 * 60.0);
    assert!(close(
        totals.equivalent_ageing_factor().unwrap(),
        2.89404,
        1e-4
    ));
    assert!(close(totals.loss_of_life_hours(), 69.45689, 1e-4));
    assert!(close(
        totals.loss_of_life_percent(180_000.0),
        0.038587,
        1e-6
    ));
    // Hours above 110 / 120 / 140 °C: 8, 4, 0 (140 is not above 140).
    assert_eq!(totals.above_min, [8.0 * 60.0, 4.0 * 60.0, 0.0]);
    // 24 h at F_AA = 1: 24 · 100 / 180,000 = 0.01333 %.
    let one = AgeingTotals {
        covered_min: 1440.0,
        aged_min: 1440.0,
        above_min: [0.0; 3],
    };
    assert!(close(one.loss_of_life_percent(180_000.0), 0.01333, 1e-5));
}

#[test]
fn a_gap_ends_a_span_and_is_not_counted() {
    let p = ModelParameters::defaults(CoolingMode::Onaf, ThermalMethod::IeeeC5791);
    let mut samples: Vec<Sample> = (0..=60).map(|m| sample(m as f64, 1.2, 30.0)).collect();
    samples.extend((120..=180).map(|m| sample(m as f64, 0.5, 30.0)));
    let mut points = Vec::new();
    let s = run_with(&p, &samples, RunOptions::default(), |pt| points.push(*pt)).unwrap();
    assert_eq!(s.spans, 2);
    assert_eq!(s.covered_min, 120.0);
    // The second span starts at the steady state of its own load, not from the first.
    let restart = points.iter().find(|pt| pt.minutes == 120.0).unwrap();
    assert_eq!(restart.covered_min, 0.0);
    let steady = C5791::new(&p).steady(0.5, 30.0);
    assert!(close(
        restart.hot_spot_c,
        C5791::new(&p).hot_spot_c(&steady),
        1e-9
    ));
}

#[test]
fn bad_input_is_a_typed_error_naming_it() {
    let p = ModelParameters::defaults(CoolingMode::Onan, ThermalMethod::Iec600767);
    let samples = [sample(0.0, 1.0, 30.0), sample(1.0, f64::NAN, 30.0)];
    let err = run_with(&p, &samples, RunOptions::default(), |_| {}).unwrap_err();
    assert!(
        matches!(
            err,
            ThermalError::BadInput {
                what: "load (per unit)",
                ..
            }
        ),
        "{err}"
    );
    let samples = [sample(5.0, 1.0, 30.0), sample(5.0, 1.0, 30.0)];
    let err = run(
        &mut C5791::new(&p),
        p.insulation,
        &samples,
        RunOptions::default(),
        |_| {},
    )
    .unwrap_err();
    assert!(err.to_string().contains("strictly increasing"), "{err}");
}

#[test]
fn the_exact_step_does_not_depend_on_the_step_length() {
    // Constant load after a step change: 1-minute and 5-minute series agree at common times.
    for method in [ThermalMethod::IeeeC5791, ThermalMethod::Iec600767] {
        let p = ModelParameters::defaults(CoolingMode::Onan, method);
        let series = |step: usize| {
            let mut v = vec![sample(0.0, 0.6, 25.0)];
            v.extend((1..=240 / step).map(|i| sample((i * step) as f64, 1.3, 25.0)));
            let mut out = Vec::new();
            run_with(&p, &v, RunOptions::default(), |pt| out.push(*pt)).unwrap();
            out
        };
        let (fine, coarse) = (series(1), series(5));
        for c in &coarse {
            let f = fine.iter().find(|f| f.minutes == c.minutes).unwrap();
            // C57.91's top-oil time constant depends on the rise at the step's start, so the
            // C57.91 series agree closely rather than exactly.
            assert!(
                close(f.hot_spot_c, c.hot_spot_c, 0.05),
                "{method} at {}: {} vs {}",
                c.minutes,
                f.hot_spot_c,
                c.hot_spot_c
            );
        }
    }
}
