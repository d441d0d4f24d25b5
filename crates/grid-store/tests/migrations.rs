//! Migrations: each down.sql reverses its up.sql, all down leaves nothing of ours, and the
//! committed schema.rs is what `diesel print-schema` makes of the migrations.

mod common;

use diesel_migrations::MigrationHarness;
use grid_store::migrations::{MIGRATIONS, applied, revert_all, run_pending};

use grid_testdb::schema_snapshot as snapshot;

#[test]
fn every_down_reverses_its_up_and_all_down_leaves_nothing() {
    let db = common::db();
    let conn = &mut db.conn();
    let full = snapshot(conn);
    let versions = applied(conn).unwrap();
    let dirs = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../migrations"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().join("up.sql").exists())
        .count();
    assert_eq!(versions.len(), dirs, "{versions:?}");

    // All down: nothing of ours is left.
    let reverted = revert_all(conn).unwrap();
    assert_eq!(reverted.len(), versions.len());
    let empty = snapshot(conn);
    assert!(empty.is_empty(), "left after all down: {empty:?}");

    // Step by step: up then down of each migration returns exactly the state before it.
    let mut states = vec![empty];
    for _ in &versions {
        let before = states.last().unwrap().clone();
        conn.run_next_migration(MIGRATIONS).unwrap();
        let after_up = snapshot(conn);
        assert_ne!(after_up, before, "a migration that changes nothing");
        conn.revert_last_migration(MIGRATIONS).unwrap();
        assert_eq!(
            snapshot(conn),
            before,
            "down.sql does not reverse its up.sql"
        );
        conn.run_next_migration(MIGRATIONS).unwrap();
        assert_eq!(snapshot(conn), after_up, "up after down is not clean");
        states.push(after_up);
    }
    assert_eq!(
        states.last().unwrap(),
        &full,
        "up, down, up differs from the first up"
    );
    assert!(run_pending(conn).unwrap().is_empty());
}

#[test]
fn schema_rs_is_what_print_schema_makes_of_the_migrations() {
    let db = common::db();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = std::process::Command::new("diesel")
        .args(["print-schema", "--database-url", &db.url()])
        .current_dir(&root)
        .output()
        .expect("diesel_cli is needed for this check: run scripts/install-deps");
    assert!(
        out.status.success(),
        "diesel print-schema failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let generated = String::from_utf8(out.stdout).unwrap();
    let committed = std::fs::read_to_string(root.join("crates/grid-store/src/schema.rs")).unwrap();
    assert!(
        generated == committed,
        "crates/grid-store/src/schema.rs has drifted from the migrations: run scripts/print-schema\n\
         --- generated ---\n{generated}"
    );
}
