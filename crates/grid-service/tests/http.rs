//! The HTTP endpoints over a real listener and a real database: 200 concurrent requests
//! while an ingest runs, the JSON shapes, /metrics after an ingest; and the facade's
//! promise: a 2 s query never stalls the runtime.

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use grid_model::{AlertDraft, AlertKind, AlertSeverity, GridZone, NewAlert, SensorType};
use grid_service::{Sentinel, SentinelConfig};
use grid_store::AlertRepository;
use grid_testdb::TestDb;
use grid_testkit::{READY, sensor, substation};
use grid_timescale::ingest::{IngestOptions, Reading, TimePolicy};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One HTTP/1.1 request over its own connection; the status and the JSON body.
async fn request(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    body: &str,
) -> (u16, String) {
    request_as(addr, None, method, path, body).await
}

/// [`request`] with a bearer token.
async fn request_as(
    addr: std::net::SocketAddr,
    token: Option<&str>,
    method: &str,
    path: &str,
    body: &str,
) -> (u16, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8(raw).unwrap();
    let status: u16 = text[9..12].parse().unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    // Small bodies come whole; a chunked one is de-chunked here.
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        let mut out = String::new();
        let mut rest = body;
        while let Some((size, after)) = rest.split_once("\r\n") {
            let n = usize::from_str_radix(size.trim(), 16).unwrap();
            if n == 0 {
                break;
            }
            out.push_str(&after[..n]);
            rest = &after[n + 2..];
        }
        out
    } else {
        body.to_owned()
    };
    (status, body)
}

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

fn readings(ids: &[uuid::Uuid], from_minute: i64, n: i64) -> Vec<Reading> {
    let t0 = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
    let mut v = Vec::new();
    for m in from_minute..from_minute + n {
        for id in ids {
            v.push(Reading::new(
                *id,
                t0 + chrono::Duration::minutes(m),
                10.0 + (m % 5) as f64,
            ));
        }
    }
    v
}

fn replay() -> IngestOptions {
    IngestOptions {
        time_policy: TimePolicy::replay(),
        ..IngestOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_are_served_while_an_ingest_runs() {
    let db = TestDb::new(&READY);
    let (ids, alert_id) = {
        let conn = &mut db.conn();
        let s = substation(conn, "SVC-A", GridZone::Nakuru, 33);
        let ids: Vec<_> = (0..5)
            .map(|i| sensor(conn, &s, &format!("SVC-A-{i}"), SensorType::Load).id)
            .collect();
        let mut d = AlertDraft::new(
            AlertKind::DeviceCommunication,
            AlertSeverity::Warning,
            "rtu silent",
        );
        d.substation_id = Some(s.id);
        let alert = conn.raise_alert(&NewAlert::new(d).unwrap()).unwrap();
        (ids, alert.id)
    };
    let token = {
        let conn = &mut db.conn();
        grid_store::users::add(conn, "nakuru-rcc", grid_model::UserRole::Operator, &[]).unwrap();
        grid_store::users::issue_token(conn, "nakuru-rcc", None).unwrap()
    };
    let mut config = SentinelConfig::default().with_database_url(db.url());
    // 200 requests at once on 4 query turns: none may give up waiting on a loaded machine.
    config.http.queue_timeout_ms = 600_000;
    config.http.request_timeout_s = 600;
    let (sentinel, report) = Sentinel::bootstrap(config).await.unwrap();
    assert!(report.migrations.is_empty());
    sentinel
        .ingest(readings(&ids, 0, 60), replay())
        .await
        .unwrap();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        axum::serve(listener, grid_service::http::router(sentinel.clone()))
            .await
            .unwrap();
    });

    // An ingest of 100 batches runs while 200 requests come in at once.
    let ingesting = {
        let config = SentinelConfig::default().with_database_url(db.url());
        let ids = ids.clone();
        tokio::spawn(async move {
            let (s, _) = Sentinel::bootstrap(config).await.unwrap();
            let mut stored = 0;
            for b in 0..100 {
                stored += s
                    .ingest(readings(&ids, 60 + b * 10, 10), replay())
                    .await
                    .unwrap()
                    .inserted;
            }
            stored
        })
    };
    let paths = [
        "/latest",
        "/latest?zone=nakuru",
        "/alerts?limit=10",
        "/health",
        "/series?sensor=SENSOR&from=2026-11-01T00:00:00Z&to=2026-11-01T02:00:00Z&width_s=600",
    ];
    let mut tasks = Vec::new();
    for i in 0..200 {
        let path = paths[i % paths.len()].replace("SENSOR", &ids[0].to_string());
        tasks.push(tokio::spawn(async move {
            (path.clone(), request(addr, "GET", &path, "").await)
        }));
    }
    for t in tasks {
        let (path, (status, body)) = t.await.unwrap();
        assert_eq!(status, 200, "{path}: {body}");
        let v = json(&body);
        match path.split('?').next().unwrap() {
            "/latest" => {
                let rows = v.as_array().unwrap();
                assert_eq!(rows.len(), 5, "{body}");
                for key in ["sensor_id", "timestamp", "value"] {
                    assert!(rows[0].get(key).is_some(), "{key} in {body}");
                }
            }
            "/alerts" => {
                assert_eq!(v["items"].as_array().unwrap().len(), 1);
                assert!(v["next_offset"].is_null());
            }
            "/health" => {
                assert_eq!(v["status"], "ok");
                assert!(v["pool"]["connections"].as_u64().unwrap() >= 1);
            }
            "/series" => {
                let buckets = v["buckets"].as_array().unwrap();
                assert_eq!(buckets.len(), 12, "{body}");
                assert!(buckets[0]["avg"].is_number());
            }
            other => panic!("{other}"),
        }
    }
    assert_eq!(ingesting.await.unwrap(), 100 * 10 * 5);

    // Acknowledge through the API, as the token's user; a bad id is a typed 404.
    let path = format!("/alerts/{alert_id}/acknowledge");
    let (status, body) = request(addr, "POST", &path, r#"{"notes": "crew sent"}"#).await;
    assert_eq!(status, 401, "no token: {body}");
    let (status, body) = request_as(
        addr,
        Some(&token),
        "POST",
        &path,
        r#"{"by": "someone else", "notes": "crew sent"}"#,
    )
    .await;
    assert_eq!(
        status, 422,
        "who acknowledges is not the body's to say: {body}"
    );
    assert!(
        json(&body)["error"].as_str().unwrap().contains("by"),
        "{body}"
    );
    let (status, body) = request_as(
        addr,
        Some(&token),
        "POST",
        &path,
        r#"{"notes": "crew sent"}"#,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["status"], "acknowledged");
    assert_eq!(json(&body)["acknowledged_by"], "nakuru-rcc");
    let (status, body) = request_as(
        addr,
        Some(&token),
        "POST",
        &format!("/alerts/{}/acknowledge", uuid::Uuid::new_v4()),
        "{}",
    )
    .await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(json(&body)["retryable"], false);
    // Pages of the sensors: two, two, then the last one.
    let (_, body) = request(addr, "GET", "/sensors?limit=2", "").await;
    let first = json(&body);
    assert_eq!(
        (
            first["items"].as_array().unwrap().len(),
            first["next_offset"].as_u64()
        ),
        (2, Some(2))
    );
    let (_, body) = request(addr, "GET", "/sensors?offset=4&limit=2", "").await;
    let last = json(&body);
    assert_eq!(last["items"].as_array().unwrap().len(), 1);
    assert!(last["next_offset"].is_null());
    assert_eq!(last["items"][0]["tag"], "SVC-A-4");
    let (status, body) = request(addr, "GET", "/statistics/2026-11-01", "").await;
    assert_eq!((status, json(&body).as_array().unwrap().len()), (200, 0));

    // The ingest counters are exposed.
    let (status, metrics) = request(addr, "GET", "/metrics", "").await;
    assert_eq!(status, 200);
    let inserted: f64 = metrics
        .lines()
        .find(|l| l.starts_with("grid_ingest_readings_total{outcome=\"inserted\"}"))
        .unwrap_or_else(|| panic!("no ingest counter in {metrics}"))
        .rsplit(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(inserted >= 5300.0, "{inserted}");
    assert!(metrics.contains("grid_http_requests_total"), "{metrics}");
    server.abort();
}

/// The runtime threads a control task ran on.
type Workers = std::sync::Arc<std::sync::Mutex<std::collections::HashSet<std::thread::ThreadId>>>;

/// The largest lag of a 10 ms ticker while `work` runs.
async fn ticker_lag_during<F: Future<Output = ()>>(work: F) -> Duration {
    let (stop_tx, mut stop) = tokio::sync::oneshot::channel::<()>();
    let ticker = tokio::spawn(async move {
        let mut worst = Duration::ZERO;
        let mut last = Instant::now();
        loop {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(10)) => {
                    let now = Instant::now();
                    worst = worst.max((now - last).saturating_sub(Duration::from_millis(10)));
                    last = now;
                }
                // The interval running when the work ended counts too (select! may see the
                // stop before the late tick).
                _ = &mut stop => {
                    return worst.max(last.elapsed().saturating_sub(Duration::from_millis(10)));
                }
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    work.await;
    let _ = stop_tx.send(());
    ticker.await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_query_through_the_facade_never_stalls_the_runtime() {
    let db = TestDb::new(&READY);
    let config = SentinelConfig::default().with_database_url(db.url());
    let (sentinel, _) = Sentinel::bootstrap(config).await.unwrap();
    let sleep = |s: Sentinel| async move {
        s.interact(|c| {
            diesel::connection::SimpleConnection::batch_execute(c, "SELECT pg_sleep(2)")?;
            Ok(())
        })
        .await
        .unwrap()
    };
    // Two at once: on a runtime thread they would take both workers.
    let started = Instant::now();
    let lag = ticker_lag_during(async {
        tokio::join!(sleep(sentinel.clone()), sleep(sentinel.clone()));
    })
    .await;
    assert!(started.elapsed() >= Duration::from_secs(2));
    assert!(lag < Duration::from_millis(50), "the ticker lagged {lag:?}");

    // The control: the same two calls run on the runtime threads do stall it, so the
    // measurement above would have seen it. Each call first waits (yielding) until the two
    // are on different workers, so that both workers block at once.
    let threads: Workers = Default::default();
    let blocking = |s: Sentinel, threads: Workers| async move {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            {
                let mut seen = threads.lock().unwrap();
                seen.insert(std::thread::current().id());
                if seen.len() >= 2 || Instant::now() > deadline {
                    break;
                }
            }
            tokio::task::yield_now().await;
        }
        let mut c = s.store().conn().unwrap();
        diesel::connection::SimpleConnection::batch_execute(&mut *c, "SELECT pg_sleep(2)").unwrap();
    };
    let lag = ticker_lag_during(async {
        let a = tokio::spawn(blocking(sentinel.clone(), threads.clone()));
        let b = tokio::spawn(blocking(sentinel.clone(), threads.clone()));
        let _ = tokio::join!(a, b);
    })
    .await;
    assert_eq!(
        threads.lock().unwrap().len(),
        2,
        "the control ran on both workers"
    );
    assert!(
        lag > Duration::from_millis(500),
        "the control lagged only {lag:?}"
    );
}

/// The facade keeps its ingesters between calls (the sensor table loaded once), yet a sensor
/// added between two batches is known to the second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kept_ingesters_see_a_sensor_added_between_batches() {
    let db = TestDb::new(&READY);
    let first = {
        let conn = &mut db.conn();
        let s = substation(conn, "SVC-K", GridZone::Eldoret, 33);
        sensor(conn, &s, "SVC-K-0", SensorType::Load).id
    };
    let config = SentinelConfig::default().with_database_url(db.url());
    let (sentinel, _) = Sentinel::bootstrap(config).await.unwrap();
    let r = sentinel
        .ingest(readings(&[first], 0, 5), replay())
        .await
        .unwrap();
    assert_eq!(r.inserted, 5);
    let added = {
        let conn = &mut db.conn();
        let s = grid_store::SubstationRepository::substation_by_code(conn, "SVC-K").unwrap();
        sensor(conn, &s, "SVC-K-1", SensorType::Load).id
    };
    let r = sentinel
        .ingest(readings(&[first, added], 5, 5), replay())
        .await
        .unwrap();
    assert_eq!((r.inserted, r.rejected), (10, 0), "{r:?}");
}

/// Operators shelve and take out of service a point's limit alarm through the API, as the
/// token's user, on a server that runs as a control centre's regional login (the role whose
/// grants these actions need): their own zone's points only, with a reason, recorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_shelve_their_zones_points_as_themselves_on_a_regional_login() {
    use diesel::prelude::*;
    use grid_access::{Role, RoleNames};
    use grid_store::schema::{alarm_actions, alarm_points};

    let db = TestDb::new(&READY);
    let (nakuru_v, kisumu_v, operator, viewer) = {
        let conn = &mut db.conn();
        grid_access::apply(conn, &RoleNames::default()).unwrap();
        let nakuru = substation(conn, "SHV-N", GridZone::Nakuru, 132);
        let kisumu = substation(conn, "SHV-K", GridZone::Kisumu, 132);
        let nakuru_v = sensor(conn, &nakuru, "SHV-N-V", SensorType::Voltage);
        let kisumu_v = sensor(conn, &kisumu, "SHV-K-V", SensorType::Voltage);
        // Each point evaluated once (its row made by the engine).
        let mut ingester = grid_timescale::ingest::Ingester::new(
            conn,
            grid_timescale::OperatingLimits::default(),
            replay(),
        )
        .unwrap();
        let mut engine = grid_alarms_store::AlarmEngine::new(Default::default());
        let t0 = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        let batch = vec![
            Reading::new(nakuru_v.id, t0, 132.0),
            Reading::new(kisumu_v.id, t0, 132.0),
        ];
        ingester
            .ingest_batch_scored(conn, batch, &mut engine)
            .unwrap();
        use grid_model::UserRole;
        grid_store::users::add(conn, "nakuru-op", UserRole::Operator, &[GridZone::Nakuru]).unwrap();
        grid_store::users::add(conn, "visitor", UserRole::Viewer, &[]).unwrap();
        let operator = grid_store::users::issue_token(conn, "nakuru-op", None).unwrap();
        let viewer = grid_store::users::issue_token(conn, "visitor", None).unwrap();
        (nakuru_v, kisumu_v, operator, viewer)
    };
    let names = RoleNames::default();
    let login = db.login(&[names.of(Role::Regional), names.zone(GridZone::Nakuru)]);
    let config = SentinelConfig::default().with_database_url(login.url());
    let (sentinel, _) = Sentinel::bootstrap(config).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        axum::serve(listener, grid_service::http::router(sentinel))
            .await
            .unwrap();
    });
    let until = (Utc::now() + chrono::Duration::hours(2)).to_rfc3339();
    let shelve = format!(r#"{{"until": "{until}", "reason": "breaker maintenance"}}"#);
    let post = |token: Option<&'static str>, path: String, body: String| async move {
        request_as(addr, token, "POST", &path, &body).await
    };
    let operator: &'static str = Box::leak(operator.into_boxed_str());
    let viewer: &'static str = Box::leak(viewer.into_boxed_str());

    // Refused: no token; a viewer; another zone's point (not found, as if absent); a body
    // that names who acts, a missing reason, a shelving without end or in the past.
    let (status, body) = post(None, "/alarms/SHV-N-V/shelve".into(), shelve.clone()).await;
    assert_eq!(status, 401, "{body}");
    let (status, body) = post(
        Some(viewer),
        "/alarms/SHV-N-V/shelve".into(),
        shelve.clone(),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = post(
        Some(operator),
        "/alarms/SHV-K-V/shelve".into(),
        shelve.clone(),
    )
    .await;
    assert_eq!(status, 404, "{body}");
    let path = format!("/alarms/{}/shelve", kisumu_v.id);
    let (status, body) = post(Some(operator), path, shelve.clone()).await;
    assert_eq!(status, 404, "{body}");
    // A key that is no tag (a NUL, 10,000 characters) is bad input or absent, never a fault.
    for key in [
        "%00x".to_owned(),
        "T".repeat(10_000),
        "%E2%80%AE".to_owned(),
    ] {
        let (status, body) = post(
            Some(operator),
            format!("/alarms/{key}/shelve"),
            shelve.clone(),
        )
        .await;
        assert!(matches!(status, 400 | 404), "{status}: {body}");
    }
    let by_body = format!(r#"{{"until": "{until}", "reason": "x", "by": "someone"}}"#);
    let (status, body) = post(Some(operator), "/alarms/SHV-N-V/shelve".into(), by_body).await;
    assert_eq!(status, 422, "{body}");
    let blank = format!(r#"{{"until": "{until}", "reason": "  "}}"#);
    let (status, body) = post(Some(operator), "/alarms/SHV-N-V/shelve".into(), blank).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        json(&body)["error"].as_str().unwrap().contains("reason"),
        "{body}"
    );
    let endless = r#"{"reason": "forever"}"#.to_owned();
    let (status, body) = post(Some(operator), "/alarms/SHV-N-V/shelve".into(), endless).await;
    assert_eq!(status, 422, "{body}");
    let past = r#"{"until": "2020-01-01T00:00:00Z", "reason": "late"}"#.to_owned();
    let (status, body) = post(Some(operator), "/alarms/SHV-N-V/shelve".into(), past).await;
    assert_eq!(status, 400, "{body}");
    let far = r#"{"until": "3000-01-01T00:00:00Z", "reason": "far"}"#.to_owned();
    let (status, body) = post(Some(operator), "/alarms/SHV-N-V/shelve".into(), far).await;
    assert_eq!(status, 400, "{body}");

    // Done: shelved, taken out of service and back, each as the token's user.
    let (status, body) = post(Some(operator), "/alarms/SHV-N-V/shelve".into(), shelve).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["by"], "nakuru-op");
    assert_eq!(json(&body)["sensor_id"], nakuru_v.id.to_string());
    let oos = r#"{"reason": "VT fuse replaced"}"#.to_owned();
    let (status, body) = post(Some(operator), "/alarms/SHV-N-V/out-of-service".into(), oos).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = post(
        Some(operator),
        "/alarms/SHV-N-V/in-service".into(),
        "{}".into(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = post(
        Some(operator),
        "/alarms/SHV-N-V/unshelve".into(),
        "{}".into(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    server.abort();

    let conn = &mut db.conn();
    let log: Vec<(String, String, Option<String>)> = alarm_actions::table
        .order(alarm_actions::id)
        .select((
            alarm_actions::action,
            alarm_actions::actor,
            alarm_actions::reason,
        ))
        .load(conn)
        .unwrap();
    let expected = [
        ("shelve", Some("breaker maintenance")),
        ("out_of_service", Some("VT fuse replaced")),
        ("in_service", None),
        ("unshelve", None),
    ];
    assert_eq!(log.len(), expected.len(), "{log:?}");
    for ((action, actor, reason), (want, why)) in log.iter().zip(expected) {
        assert_eq!((action.as_str(), actor.as_str()), (want, "nakuru-op"));
        assert_eq!(reason.as_deref(), why);
    }
    let kisumu_marks: (Option<String>, Option<String>) = alarm_points::table
        .find(kisumu_v.id)
        .select((alarm_points::shelved_by, alarm_points::out_of_service_by))
        .first(conn)
        .unwrap();
    assert_eq!(kisumu_marks, (None, None));
}
