//! One configuration and one bootstrap: the file and the environment, every bad key named,
//! the URL never printed, a server without the extension refused when a mode is required.

use std::collections::HashMap;

use diesel::connection::SimpleConnection;
use grid_service::{SentinelConfig, ServiceError, bootstrap};
use grid_testdb::{EMPTY, Mode, TestDb};
use grid_timescale::ServerMode;

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| map.get(k).cloned()
}

fn file(text: &str) -> tempfile_path::Path {
    tempfile_path::write(text)
}

/// A file in the temporary directory, removed when dropped.
mod tempfile_path {
    pub struct Path(pub std::path::PathBuf);
    impl Drop for Path {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
    pub fn write(text: &str) -> Path {
        let p = std::env::temp_dir().join(format!("gs-config-{}.toml", uuid::Uuid::new_v4()));
        std::fs::write(&p, text).unwrap();
        Path(p)
    }
}

#[test]
fn the_file_then_the_environment_then_validation() {
    let f = file(
        r#"
[database]
pool_size = 4
role = "writer"

[setup]
time_zone = "Africa/Nairobi"
require = "plain"

[ingest]
batch_size = 5000

[http]
listen = "127.0.0.1:9999"
"#,
    );
    let c = SentinelConfig::load_with(
        Some(&f.0),
        env(&[
            ("DATABASE_URL", "postgres://svc:s3cret@db/grid"),
            ("SENTINEL_POOL_SIZE", "12"),
        ]),
    )
    .unwrap();
    assert_eq!(c.database.pool_size, 12, "the environment wins");
    assert_eq!(c.ingest.batch_size, 5000);
    assert_eq!(c.setup.require, Some(ServerMode::Plain));
    assert_eq!(c.http.listen.port(), 9999);
    // The writer role's limits, the URL present but never printed.
    assert_eq!(
        c.session_limits().statement_timeout,
        Some(std::time::Duration::from_secs(60))
    );
    assert_eq!(
        c.database_url().unwrap().expose(),
        "postgres://svc:s3cret@db/grid"
    );
    assert!(!format!("{c:?}").contains("s3cret"));

    // Each bad setting is named.
    for (text, key) in [
        ("[database]\npool_size = 0\n", "database.pool_size"),
        ("[setup]\ntime_zone = \"Mars/Olympus\"\n", "setup.time_zone"),
        ("[setup]\nrole_prefix = \"Grid-\"\n", "setup.role_prefix"),
        ("[ingest]\nbatch_size = 0\n", "ingest.batch_size"),
        (
            "[database]\nurl = \"postgres://x:y@h/d\"\n",
            "unknown field `url`",
        ),
        (
            "[setup]\nrequire = \"enterprise\"\n",
            "unknown variant `enterprise`",
        ),
    ] {
        let f = file(text);
        let e = SentinelConfig::load_with(Some(&f.0), env(&[])).unwrap_err();
        assert!(matches!(e, ServiceError::Config(_)), "{e:?}");
        assert!(e.to_string().contains(key), "{key}: {e}");
    }
    let e = SentinelConfig::load_with(None, env(&[("SENTINEL_POOL_SIZE", "many")])).unwrap_err();
    assert!(e.to_string().contains("SENTINEL_POOL_SIZE"), "{e}");
    // No URL anywhere: the error says where to put one.
    let c = SentinelConfig::load_with(None, env(&[])).unwrap();
    let e = c.database_url().unwrap_err().to_string();
    assert!(e.contains("DATABASE_URL") && e.contains("url_file"), "{e}");
    // The URL from a file.
    let u = file("postgres://svc:filepass@db/grid\n");
    let c = SentinelConfig::load_with(
        None,
        env(&[("SENTINEL_DATABASE_URL_FILE", u.0.to_str().unwrap())]),
    )
    .unwrap();
    assert_eq!(
        c.database_url().unwrap().expose(),
        "postgres://svc:filepass@db/grid"
    );
}

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
