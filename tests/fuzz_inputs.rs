//! A seeded fuzz loop, on stable Rust, over what operators hand the sentinel as text: the
//! readings CSV parser (grid-timescale's `parse_all`, the part of `sentinel ingest` before
//! the database) and the configuration loaders (SmartGrid Sentinel's, the SCADA poller's,
//! the guard's policy). Valid seeds are mutated — bits flipped, bytes set, inserted, deleted,
//! repeated, spliced with the formats' own tokens, cut — and random bytes are tried too. No
//! input may panic, and a refusal quotes no more than a bounded piece of its input.
//!
//! `GRID_FUZZ_INPUTS` sets the inputs per target (default 20,000, seconds in a debug build);
//! `scripts/fuzz` runs a million each in a release build.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn inputs() -> u64 {
    std::env::var("GRID_FUZZ_INPUTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000)
}

/// Mutations of seeds, from one seeded generator (a failure is replayed by its seed and
/// input number, both printed).
struct Mutator {
    rng: ChaCha8Rng,
    tokens: &'static [&'static [u8]],
}

impl Mutator {
    fn new(seed: u64, tokens: &'static [&'static [u8]]) -> Self {
        Mutator {
            rng: ChaCha8Rng::seed_from_u64(seed),
            tokens,
        }
    }

    fn input(&mut self, seeds: &[&[u8]]) -> Vec<u8> {
        if self.rng.random_ratio(1, 20) {
            let n = self.rng.random_range(0..200);
            return (0..n).map(|_| self.rng.random()).collect();
        }
        let mut v = seeds[self.rng.random_range(0..seeds.len())].to_vec();
        for _ in 0..self.rng.random_range(1..8) {
            let at = if v.is_empty() {
                0
            } else {
                self.rng.random_range(0..v.len())
            };
            match self.rng.random_range(0..7) {
                0 if !v.is_empty() => v[at] ^= 1 << self.rng.random_range(0..8),
                1 if !v.is_empty() => v[at] = self.rng.random(),
                2 => {
                    let b = [
                        0u8, 0xFF, b'"', b',', b'\n', b'\r', b'=', b'[', b']', b'\\', b'#',
                    ];
                    v.insert(at, b[self.rng.random_range(0..b.len())]);
                }
                3 if !v.is_empty() => {
                    let end = (at + self.rng.random_range(1..16)).min(v.len());
                    v.drain(at..end);
                }
                4 if !v.is_empty() => {
                    let end = (at + self.rng.random_range(1..32)).min(v.len());
                    let piece = v[at..end].to_vec();
                    for _ in 0..self.rng.random_range(1..50) {
                        v.splice(at..at, piece.iter().copied());
                    }
                }
                5 => {
                    let t = self.tokens[self.rng.random_range(0..self.tokens.len())];
                    v.splice(at..at, t.iter().copied());
                }
                _ => v.truncate(at),
            }
        }
        v
    }
}

/// Runs `check` over `n` inputs; a panic names its input.
fn fuzz(
    name: &str,
    seed: u64,
    seeds: &[&[u8]],
    tokens: &'static [&'static [u8]],
    check: impl Fn(&[u8]),
) {
    let mut m = Mutator::new(seed, tokens);
    let n = inputs();
    for i in 0..n {
        let input = m.input(seeds);
        if catch_unwind(AssertUnwindSafe(|| check(&input))).is_err() {
            panic!(
                "{name}: input {i} of seed {seed} panicked: {:?}",
                String::from_utf8_lossy(&input)
            );
        }
    }
    eprintln!("{name}: {n} inputs, no panic");
}

const CSV_TOKENS: &[&[u8]] = &[
    b"sensor_tag,timestamp,value,quality\n",
    b"NRB-T1-LOAD,",
    b"2026-11-20T06:00:00Z",
    b"0000-01-01T00:00:00Z",
    b"+262143-12-31T23:59:59Z",
    b"1e308",
    b"NaN",
    b"-inf",
    b"\"quoted, field\"",
    b"\xEF\xBB\xBF",
    b"\xC3\x28",
];

#[test]
fn the_csv_parser_never_panics_and_quotes_little() {
    let tags: HashMap<String, uuid::Uuid> = [("NRB-T1-LOAD", 1u128), ("A", 2)]
        .into_iter()
        .map(|(t, n)| (t.to_owned(), uuid::Uuid::from_u128(n)))
        .collect();
    let seeds: &[&[u8]] = &[
        b"sensor_tag,timestamp,value\nNRB-T1-LOAD,2026-11-20T06:00:00Z,41.5\nA,2026-11-20T06:01:00Z,1\n",
        b"sensor_tag,timestamp,value,quality\nA,2026-11-20T06:00:00+05:30,230.5,0.9\nA,bad,1,1\n",
        b"\xEF\xBB\xBFsensor_tag,timestamp,value\n\"A\",\"2026-11-20T06:00:00Z\",\"7\"\n",
    ];
    fuzz("csv", 20261207, seeds, CSV_TOKENS, |input| {
        if let Ok(rows) = grid_timescale::csv_load::parse_all(input, &tags) {
            for r in rows.iter().filter_map(|r| r.as_ref().err()) {
                assert!(r.detail.len() < 400, "a long refusal: {}", r.detail.len());
            }
        }
    });
}

const TOML_TOKENS: &[&[u8]] = &[
    b"[database]\n",
    b"[http]\n",
    b"[[device]]\n",
    b"[[device.point]]\n",
    b"[[device.client]]\n",
    b"max_buckets = ",
    b"pool_size = ",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"1e400",
    b"nan",
    b"\"\\u0000\"",
    b"[1, 2, 3]",
    b"{ table = \"holding\", from = 0, to = 65535 }",
    b"addresses = [\"0.0.0.0/0\"]",
];

#[test]
fn the_configuration_loaders_never_panic() {
    let sentinel: &[&[u8]] = &[
        b"[database]\npool_size = 4\nconnect_timeout_s = 5\nrole = \"reader\"\n[setup]\ntime_zone = \"Africa/Nairobi\"\nrequire = \"community\"\n[ingest]\nbatch_size = 5000\n[http]\nlisten = \"127.0.0.1:9187\"\nmax_buckets = 5000\n[alarms.threshold.frequency]\ndeadband = 0.05\non_delay_s = 5\noff_delay_s = 60\n[alarms.anomaly]\nmin_readings = 3\n",
        b"[limits]\n[alarms.thermal]\ncategory = \"normal\"\non_delay_s = 60\noff_delay_s = 60\ndeadband_k = 2.0\n",
    ];
    fuzz("sentinel config", 1, sentinel, TOML_TOKENS, |input| {
        let text = String::from_utf8_lossy(input);
        let env = |k: &str| match k {
            "SENTINEL_POOL_SIZE" if input.len() % 3 == 0 => Some(format!("{}", input.len())),
            "SENTINEL_LISTEN" if input.len() % 5 == 0 => Some(text.chars().take(20).collect()),
            _ => None,
        };
        let _ = grid_config::SentinelConfig::from_toml_with(&text, "fuzz", env);
    });
    let scada: &[&[u8]] = &[
        b"[batch]\nmax_readings = 1000\nmax_delay_ms = 200\n[[device]]\nname = \"rtu\"\naddress = \"127.0.0.1:502\"\nunit_id = 1\npoll_interval_ms = 100\ntimeout_ms = 300\nword_order = \"CDAB\"\n[[device.point]]\ntag = \"X\"\nregister = \"holding\"\naddress = 0\ntype = \"f32\"\n[[device.point]]\ntag = \"Y\"\nregister = \"input\"\naddress = 10\ntype = \"sunspec_int16\"\nscale_factor_address = 11\n",
    ];
    fuzz("scada config", 2, scada, TOML_TOKENS, |input| {
        let _ = grid_scada::config::ScadaConfig::from_toml(&String::from_utf8_lossy(input));
    });
    let guard: &[&[u8]] = &[
        b"[guard]\nidle_timeout_ms = 60000\ntime_zone = \"Africa/Nairobi\"\n[scan]\nwindow_ms = 10000\n[[device]]\nname = \"rtu\"\nlisten = \"127.0.0.1:1502\"\nupstream = \"127.0.0.1:502\"\nunit_ids = [1]\n[[device.client]]\nname = \"eng\"\naddresses = [\"10.1.5.0/24\"]\nfunctions = [3, 6]\nread = [{ table = \"holding\", from = 0, to = 99 }]\nwrite = [{ table = \"holding\", from = 10, to = 19, min = 0, max = 5000, window = \"22:00-04:00\" }]\n",
    ];
    fuzz("guard policy", 3, guard, TOML_TOKENS, |input| {
        let _ = grid_scada_guard::policy::GuardPolicy::from_toml(&String::from_utf8_lossy(input));
    });
}
