//! The smoke test of each server mode: the server is what the run asked for, and the
//! features that tell the modes apart behave as documented.

use grid_testdb::{EMPTY, Mode, TestDb, count, sqlstate_of};
use grid_timescale::capabilities::{ServerMode, detect};

fn prepare_hypertable(conn: &mut diesel::PgConnection) {
    use diesel::connection::SimpleConnection;
    conn.batch_execute(
        "CREATE TABLE smoke (t timestamptz NOT NULL, v double precision);
         SELECT create_hypertable('smoke', 't', chunk_time_interval => INTERVAL '1 day');
         INSERT INTO smoke
              SELECT ts, 1 FROM generate_series(timestamptz '2026-01-01 00:00+00',
                                                timestamptz '2026-01-03 23:00+00',
                                                INTERVAL '1 hour') AS ts;",
    )
    .expect("a hypertable with 1-day chunks");
    let chunks = count(conn, "SELECT count(*) AS n FROM show_chunks('smoke')");
    assert_eq!(
        chunks, 3,
        "three days of data must land in three 1-day chunks"
    );
}

const CAGG: &str = "CREATE MATERIALIZED VIEW smoke_hourly WITH (timescaledb.continuous) AS
    SELECT time_bucket(INTERVAL '1 hour', t) AS bucket, avg(v) FROM smoke GROUP BY 1
    WITH NO DATA";

#[test]
fn the_server_is_in_the_requested_mode() {
    let db = TestDb::new(&EMPTY);
    let mut conn = db.conn();
    let caps = detect(&mut conn).expect("detecting capabilities");
    eprintln!("server mode: {caps}");
    let expected = match db.mode() {
        Mode::Plain => ServerMode::Plain,
        Mode::Apache => ServerMode::Apache,
        Mode::Community => ServerMode::Community,
    };
    assert_eq!(caps.mode, expected, "the run asked for {}", db.mode());

    match caps.mode {
        ServerMode::Plain => {
            let ext = count(
                &mut conn,
                "SELECT count(*) AS n FROM pg_extension WHERE extname = 'timescaledb'",
            );
            assert_eq!(ext, 0);
            assert!(caps.timescaledb_version.is_none());
            let err = sqlstate_of(&mut conn, "SELECT create_hypertable('x', 't')")
                .expect("create_hypertable must not exist without the extension");
            assert!(err.starts_with("42883"), "{err}"); // undefined_function
        }
        ServerMode::Apache => {
            prepare_hypertable(&mut conn);
            let err = sqlstate_of(&mut conn, CAGG)
                .expect("the Apache edition must refuse continuous aggregates");
            assert!(err.starts_with("0A000"), "{err}"); // feature_not_supported
            assert!(err.contains("apache"), "{err}");
        }
        ServerMode::Community => {
            prepare_hypertable(&mut conn);
            assert_eq!(sqlstate_of(&mut conn, CAGG), None);
        }
    }
}
