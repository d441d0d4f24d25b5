//! What the poller's tests share: its options and a poller running in the test's runtime.
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;

use grid_scada::ScadaConfig;
use grid_scada::runtime::{Counters, PollerOptions, run};

/// The options of a test poller: `url`, a 1 MiB spool in `spool`, no anomaly detection.
pub fn options(url: impl Into<String>, spool: &Path) -> PollerOptions {
    PollerOptions {
        database_url: url.into(),
        spool_dir: spool.to_owned(),
        spool_max_bytes: 1 << 20,
        limits: Default::default(),
        anomaly_detection: None,
        alarms: None,
        session_limits: Default::default(),
    }
}

/// A poller running until [`Poller::stop`].
pub struct Poller {
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<Result<Arc<Counters>, grid_scada::runtime::PollerError>>,
    /// Its counters, readable while it runs.
    pub counters: Arc<Counters>,
}

impl Poller {
    /// Starts polling `config` with `opts`.
    pub fn start(config: ScadaConfig, opts: PollerOptions) -> Poller {
        let (stop, stop_rx) = tokio::sync::watch::channel(false);
        let counters = Arc::new(Counters::default());
        let task = tokio::spawn(run(config, opts, stop_rx, counters.clone()));
        Poller {
            stop,
            task,
            counters,
        }
    }

    /// Stops it and waits until everything it held is written.
    pub async fn stop(self) -> Arc<Counters> {
        self.stop.send(true).unwrap();
        self.task.await.unwrap().unwrap()
    }
}
