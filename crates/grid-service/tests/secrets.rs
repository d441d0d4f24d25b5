//! No piece of a database password in anything `sentinel` prints, whatever the command and
//! the log format: the attack run's raw password (characters a URL cannot hold unescaped,
//! which libpq refuses and used to quote in part) and the same password properly encoded
//! against a live server that refuses it.

use std::process::Command;

use grid_testdb::TestDb;
use grid_testkit::MIGRATED;

/// The attack run's password: `&`, `:`, `@`, `/`, a bad `%` escape, quotes and a space.
const PASSWORD: &str = "Tr0ub4dor&3:p@ss/w%rd 'q\"x";

fn encoded(p: &str) -> String {
    p.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[test]
fn no_piece_of_the_password_in_any_command_or_format() {
    let db = TestDb::new(&MIGRATED);
    let live = db
        .url()
        .split('@')
        .nth(1)
        .and_then(|h| h.split('/').next())
        .unwrap()
        .to_owned();
    let urls = [
        format!("postgres://u:{PASSWORD}@127.0.0.1:5432/db"),
        format!("postgres://postgres:{}@{live}/postgres", encoded(PASSWORD)),
    ];
    let dir = std::env::temp_dir().join(format!("gs-secrets-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("sentinel.toml");
    std::fs::write(&config, "[database]\nconnect_timeout_s = 1\n").unwrap();
    let csv = dir.join("r.csv");
    std::fs::write(
        &csv,
        "sensor_tag,timestamp,value\nX,2026-11-01T00:00:00Z,1\n",
    )
    .unwrap();
    let csv = csv.display().to_string();
    let commands: Vec<Vec<&str>> = vec![
        vec!["migrate"],
        vec!["health"],
        vec!["health", "--format", "json"],
        vec!["ingest", &csv, "--quiet"],
        vec!["refresh"],
        vec!["retention", "--keep-days", "30"],
        vec!["report", "--from", "2026-11-01", "--to", "2026-11-02"],
        vec!["detect", "--from", "2026-11-01", "--to", "2026-11-01"],
        vec!["thermal", "--day", "2026-11-01"],
        vec!["export", "--day", "2026-11-01"],
        vec!["serve"],
    ];
    let mut runs = 0;
    for url in &urls {
        for format in ["human", "json"] {
            for args in &commands {
                let out = Command::new(env!("CARGO_BIN_EXE_sentinel"))
                    .args(["--config", &config.display().to_string()])
                    .args(["--log-format", format])
                    .args(args)
                    .env_remove("SENTINEL_CONFIG")
                    .env("DATABASE_URL", url)
                    .env("RUST_LOG", "debug")
                    .output()
                    .unwrap();
                let all = format!(
                    "{}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
                assert!(!out.status.success(), "{args:?} connected?\n{all}");
                assert!(all.contains("error"), "{args:?} says nothing:\n{all}");
                let shown = grid_secrets::pieces_shown(&all, PASSWORD);
                assert!(shown.is_empty(), "{args:?} {format}: {shown:?} in\n{all}");
                runs += 1;
            }
        }
    }
    assert_eq!(runs, 44);
    let _ = std::fs::remove_dir_all(dir);
}
