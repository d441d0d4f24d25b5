//! The project's scripts find cargo's binaries where cargo puts them (defect 5 of the
//! hardening issue: `scripts/test` ran `target/debug/grid-testdb` and exited 127 when
//! `CARGO_TARGET_DIR` was set).

use std::path::Path;
use std::process::Command;

fn target_dir(env: Option<&str>) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut cmd = Command::new(root.join("scripts/target-dir"));
    match env {
        Some(dir) => cmd.env("CARGO_TARGET_DIR", dir),
        None => cmd.env_remove("CARGO_TARGET_DIR"),
    };
    let out = cmd.output().expect("running scripts/target-dir");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[test]
fn the_scripts_follow_cargo_target_dir() {
    let elsewhere = std::env::temp_dir().join("gs-elsewhere-target");
    assert_eq!(
        target_dir(Some(elsewhere.to_str().unwrap())),
        elsewhere.to_str().unwrap()
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // Without the variable: cargo's default (or a config's choice), never a guess.
    assert!(Path::new(&target_dir(None)).is_absolute());
    // Every script that runs a built binary asks scripts/target-dir.
    for script in ["scripts/test", "scripts/print-schema"] {
        let text = std::fs::read_to_string(root.join(script)).unwrap();
        assert!(
            !text.contains("target/debug"),
            "{script} names target/debug"
        );
        assert!(text.contains("scripts/target-dir"), "{script}");
    }
}
