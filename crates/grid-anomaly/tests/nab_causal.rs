//! On real series from outside the project (NAB's, in the benchmark folder `GRID_BENCH_DIR`
//! names, which `.ci/run` sets): `anomaly-csv` scores every row, and is causal for real:
//! scoring the first half of a file gives exactly the scores the whole run gives those rows.
//! The whole benchmark and its scorer are `scripts/nab` (minutes, not a test).

use std::path::{Path, PathBuf};
use std::process::Command;

const FILES: [&str; 4] = [
    "realKnownCause/nyc_taxi.csv",
    "realAWSCloudwatch/ec2_cpu_utilization_5f5533.csv",
    "realTweets/Twitter_volume_AAPL.csv",
    "artificialWithAnomaly/art_daily_jumpsup.csv",
];

fn nab_data() -> PathBuf {
    let bench = std::env::var_os("GRID_BENCH_DIR").expect(
        "GRID_BENCH_DIR is not set: it names the outside benchmarks' folder, NAB in its nab/ \
         (.ci/run sets it); this test does not skip",
    );
    let dir = Path::new(&bench).join("nab/data");
    assert!(dir.is_dir(), "NAB's data is not at {}", dir.display());
    dir
}

fn scores(input: &Path, output: &Path) -> Vec<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_anomaly-csv"))
        .arg(input)
        .arg(output)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    csv::Reader::from_path(output)
        .unwrap()
        .records()
        .map(|r| r.unwrap()[2].to_string())
        .collect()
}

#[test]
fn scoring_the_first_half_of_a_nab_file_gives_the_whole_runs_scores() {
    let data = nab_data();
    let dir = tempfile::tempdir().unwrap();
    for file in FILES {
        let path = data.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let rows = lines.len() - 1;
        let whole = scores(&path, &dir.path().join("whole.csv"));
        assert_eq!(whole.len(), rows, "{file}: one score per row");
        assert!(whole.iter().all(|s| s.parse::<f64>().is_ok()), "{file}");

        let half = dir.path().join("half-in.csv");
        std::fs::write(&half, lines[..1 + rows / 2].join("\n") + "\n").unwrap();
        let first = scores(&half, &dir.path().join("half.csv"));
        assert_eq!(first.len(), rows / 2, "{file}");
        assert_eq!(
            first[..],
            whole[..rows / 2],
            "{file}: the first half's scores"
        );
    }
}
