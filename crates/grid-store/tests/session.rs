//! Session limits on every pooled connection: a statement past `statement_timeout` is
//! cancelled with a typed error, a transaction left idle past
//! `idle_in_transaction_session_timeout` loses its session.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use grid_store::{PgStore, SessionLimits, StoreError, WithConnection};
use grid_testdb::{EMPTY, TestDb};

#[test]
fn a_statement_past_its_timeout_is_cancelled_with_a_typed_error() {
    let db = TestDb::new(&EMPTY);
    let limits = SessionLimits {
        statement_timeout: Some(Duration::from_millis(200)),
        idle_in_transaction_timeout: Some(Duration::from_millis(500)),
    };
    let mut store =
        PgStore::connect_with_limits(&db.url(), 1, Duration::from_secs(10), limits).unwrap();
    let setting = store
        .with_conn(|c| {
            Ok(grid_testdb::text(
                c,
                "SELECT current_setting('statement_timeout') AS v",
            ))
        })
        .unwrap();
    assert_eq!(setting, "200ms");
    let err = store
        .with_conn(|c| {
            c.batch_execute("SELECT pg_sleep(2)")?;
            Ok(())
        })
        .unwrap_err();
    assert!(matches!(err, StoreError::Timeout(_)), "{err:?}");
    // A quick statement on the same connection still works.
    store
        .with_conn(|c| Ok(c.batch_execute("SELECT 1")?))
        .unwrap();

    // Idle inside a transaction past its limit: the server closes the session.
    let mut conn = grid_store::establish_with(&db.url(), limits).unwrap();
    conn.batch_execute("BEGIN; SELECT 1").unwrap();
    std::thread::sleep(Duration::from_millis(1200));
    let err = conn.batch_execute("SELECT 1").unwrap_err();
    let err = StoreError::from(err);
    assert!(
        matches!(err, StoreError::Unavailable(_) | StoreError::Database(_)),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("idle-in-transaction") || err.to_string().contains("closed"),
        "{err}"
    );
}
