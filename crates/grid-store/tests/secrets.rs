//! No password in any error, whatever form the connection string takes: a bad password, a
//! host that refuses, a malformed URL, a `%` in the password raw and as `%25`, key=value
//! strings with quotes and `options`, through `establish` and the pool alike.

use std::time::Duration;

use grid_store::{PgStore, establish};
use grid_testdb::TestDb;
use grid_testkit::MIGRATED;

/// Every error text and `Debug` of a failed connection to `conninfo`.
fn failures(conninfo: &str) -> Vec<String> {
    let mut out = Vec::new();
    match establish(conninfo) {
        Ok(_) => panic!("connected with {}", grid_secrets::redact(conninfo)),
        Err(e) => out.extend([e.to_string(), format!("{e:?}")]),
    }
    match PgStore::connect_with_timeout(conninfo, 1, Duration::from_secs(2)) {
        Ok(_) => panic!("a pool with {}", grid_secrets::redact(conninfo)),
        Err(e) => out.extend([e.to_string(), format!("{e:?}")]),
    }
    out
}

#[test]
fn no_connection_error_shows_the_password() {
    let db = TestDb::new(&MIGRATED);
    let url = db.url();
    let live = url
        .split('@')
        .nth(1)
        .and_then(|h| h.split('/').next())
        .unwrap()
        .to_owned();
    let (host, port) = live.split_once(':').unwrap();
    let cases = [
        // A wrong password on the live server.
        (
            format!("postgres://postgres:Sekr1tWrong@{live}/postgres"),
            "Sekr1tWrong",
        ),
        // Nothing listening.
        (
            "postgres://grid:Sekr1tRefused@127.0.0.1:1/grid".into(),
            "Sekr1tRefused",
        ),
        // Malformed URLs: a raw '%' libpq refuses (and used to echo), a bad port.
        (
            "postgres://grid:Sekr1t%sure@127.0.0.1:1/grid".into(),
            "Sekr1t%sure",
        ),
        (
            "postgres://grid:Sekr1t%25sure@127.0.0.1:1/grid".into(),
            "Sekr1t%sure",
        ),
        (
            "postgres://grid:Sekr1tPort@127.0.0.1:notaport/grid".into(),
            "Sekr1tPort",
        ),
        // The password as a query parameter, and key=value forms with quotes and options.
        (
            format!("postgres://postgres@{live}/postgres?password=Sekr1tQuery"),
            "Sekr1tQuery",
        ),
        (
            format!(
                "host={host} port={port} user=postgres password='Sekr1t kv' dbname=postgres options='-c no_such.setting=Sekr1t'"
            ),
            "Sekr1t kv",
        ),
        (
            format!(
                "host={host} port={port} user=postgres password=Sekr1tOpts dbname=postgres options='-c statement_timeout=Sekr1tOpts'"
            ),
            "Sekr1tOpts",
        ),
    ];
    for (conninfo, secret) in &cases {
        for text in failures(conninfo) {
            assert!(
                !text.contains(secret),
                "{secret:?} shown for {}: {text}",
                grid_secrets::redact(conninfo)
            );
        }
    }
}
