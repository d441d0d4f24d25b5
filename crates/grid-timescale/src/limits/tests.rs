//! The limits' rules at every level and their refusals.
use super::*;

#[test]
fn every_default_limit_warns_before_um_at_every_level_of_iec_60038() {
    let l = VoltageLimits::default();
    assert_eq!(l.validate(), Ok(()));
    for &(kv, um) in &IEC_60038_UM {
        let g = l.graded_kv(kv);
        let (lolo, lo, hi, hihi) = (
            g.lolo.unwrap(),
            g.lo.unwrap(),
            g.hi.unwrap(),
            g.hihi.unwrap(),
        );
        assert!(
            hihi < um && hihi <= um - 0.005 * kv + 1e-9,
            "{kv} kV: HiHi {hihi} vs Um {um}"
        );
        assert!(hi <= hihi - 0.005 * kv + 1e-9, "{kv} kV: Hi {hi}");
        assert!(lolo < lo && lo < hi, "{kv} kV");
    }
    // 400 kV: HiHi 418, Hi 416 (the +5 % band, 420, is over HiHi less the margin).
    let g = l.graded_kv(400.0);
    assert!((g.hihi.unwrap() - 418.0).abs() < 1e-9 && (g.hi.unwrap() - 416.0).abs() < 1e-9);
    assert!((g.lo.unwrap() - 380.0).abs() < 1e-9 && (g.lolo.unwrap() - 360.0).abs() < 1e-9);
    // 132 kV: the ±5 % band inside Um 145: 125.4–138.6, LoLo 118.8, HiHi 144.34.
    let g = l.graded_kv(132.0);
    assert!((g.hi.unwrap() - 138.6).abs() < 1e-9 && (g.lo.unwrap() - 125.4).abs() < 1e-9);
    assert!((g.hihi.unwrap() - 144.34).abs() < 1e-9 && (g.lolo.unwrap() - 118.8).abs() < 1e-9);
    // The statutory band is the out-of-range band.
    let b = OperatingLimits::default().band_for(SensorType::Voltage, Some(400.0), None);
    assert!(b.excludes(416.1) && !b.excludes(416.0) && b.excludes(379.9));
    // 11 kV: EN 50160's +10 % (12.1 kV) would reach Um 12: Hi 11.89, HiHi 11.945.
    let g = l.graded_kv(11.0);
    assert!((g.hihi.unwrap() - 11.945).abs() < 1e-9 && (g.hi.unwrap() - 11.89).abs() < 1e-9);
    // An 11 kV secondary-side sensor in a 132 kV substation.
    let meta = SensorMetadata {
        nominal_kv: Some(11.0),
        ..Default::default()
    };
    let kv = OperatingLimits::nominal_kv(&meta, 132);
    assert!(
        !OperatingLimits::default()
            .band_for(SensorType::Voltage, Some(kv), None)
            .excludes(11.2)
    );
    assert_eq!(
        OperatingLimits::default().band_for(SensorType::Vibration, None, None),
        Band {
            min: None,
            max: None
        },
        "no default band for a transformer's vibration"
    );
}

#[test]
fn a_limit_at_or_above_um_is_refused_by_its_key() {
    let mut l = VoltageLimits::default();
    l.by_level.insert(
        "400".into(),
        LevelLimits {
            hihi: Some(420.0 / 400.0),
            ..Default::default()
        },
    );
    let e = l.validate().unwrap_err();
    assert!(e.starts_with("limits.voltage.by_level.400.hihi"), "{e}");
    // Between Um less the margin and Um: refused too (HiHi warns before Um).
    l.by_level.get_mut("400").unwrap().hihi = Some(419.0 / 400.0);
    assert!(l.validate().unwrap_err().contains("less the margin"));
    // Below: accepted, and it wins.
    l.by_level.get_mut("400").unwrap().hihi = Some(417.0 / 400.0);
    assert_eq!(l.validate(), Ok(()));
    assert!((l.graded_kv(400.0).hihi.unwrap() - 417.0).abs() < 1e-9);
    // A statutory band reaching Um at 132 kV (+10 %: 145.2 kV) is capped below HiHi.
    let mut wide = VoltageLimits::default();
    wide.transmission.hi = 1.10;
    assert!(wide.graded_kv(132.0).hi.unwrap() < 145.0 - 0.66);
    let mut bad = VoltageLimits::default();
    bad.by_level.insert(
        "132".into(),
        LevelLimits {
            hi: Some(1.10),
            ..Default::default()
        },
    );
    assert!(
        bad.validate()
            .unwrap_err()
            .starts_with("limits.voltage.by_level.132.hi")
    );
}

#[test]
fn defaults_and_overrides() {
    let l = OperatingLimits::default();
    assert!(l.band_for(SensorType::Frequency, None, None).excludes(49.4));
    assert!(!l.band_for(SensorType::Frequency, None, None).excludes(50.0));
    let own = OperatingLimits::own_band(&SensorMetadata {
        limits: Some(grid_model::MetadataBand {
            min: None,
            max: Some(400.0),
        }),
        ..Default::default()
    });
    let b = l.band_for(SensorType::Current, None, own);
    assert!(b.excludes(401.0) && !b.excludes(-5.0));
}
