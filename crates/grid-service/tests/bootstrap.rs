//! One bootstrap: migrations, setup, roles, the extension when asked, and a server without
//! the extension refused when a mode is required.

use diesel::connection::SimpleConnection;
use grid_service::{SentinelConfig, ServiceError, bootstrap};
use grid_testdb::{EMPTY, Mode, TestDb};
use grid_timescale::ServerMode;

#[test]
fn bootstrap_migrates_sets_up_and_refuses_the_wrong_server_mode() {
    let db = TestDb::new(&EMPTY);
    // A database without the extension, whatever the server.
    db.conn()
        .batch_execute("DROP EXTENSION IF EXISTS timescaledb CASCADE")
        .unwrap();
    let mut config = SentinelConfig::default().with_database_url(db.url());
    config.setup.require = Some(ServerMode::Community);
    match bootstrap(&config) {
        Err(ServiceError::ModeMismatch {
            required,
            found,
            hint,
            ..
        }) => {
            assert_eq!(
                (required, found),
                (ServerMode::Community, ServerMode::Plain)
            );
            assert!(hint.contains("CREATE EXTENSION"), "{hint}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    // Nothing was migrated by the refused bootstrap.
    assert!(
        grid_store::migrations::applied(&mut db.conn())
            .unwrap()
            .is_empty()
    );

    // Asked to create the extension on a server that has it, it bootstraps in its mode.
    config.setup.create_extension = true;
    config.setup.require = Some(match db.mode() {
        Mode::Plain => ServerMode::Plain,
        Mode::Apache => ServerMode::Apache,
        Mode::Community => ServerMode::Community,
    });
    config.setup.apply_roles = true;
    let (store, report) = bootstrap(&config).unwrap();
    assert_eq!(report.created_extension, db.mode() != Mode::Plain);
    assert!(!report.migrations.is_empty());
    assert!(report.access.unwrap().unlisted.is_empty());
    // Again: nothing to do.
    let (_, again) = bootstrap(&config).unwrap();
    assert!(again.migrations.is_empty() && again.setup.applied.is_empty());
    assert!(!again.created_extension);
    drop(store);
}
