//! The async facade for tokio services. Diesel is synchronous: every call here checks a
//! connection out of the pool and runs on tokio's blocking pool (`spawn_blocking`), so a
//! handler awaiting it never blocks a runtime thread, however long the query.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::{Connection, PgConnection};
use grid_alarms_store::AlarmEngine;
use grid_model::{Alert, AlertAction, AlertTransition, DailyStatistics, GridZone, Sensor, User};
use grid_store::PgStore;
use grid_timescale::ingest::{IngestOptions, IngestReport, Ingester, Reading};
use grid_timescale::query::{Latest, Scope, Series, SeriesTarget, SourcePreference};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::bootstrap::{BootstrapReport, bootstrap};
use crate::config::SentinelConfig;
use crate::error::{ServiceError, ServiceResult};
use crate::health::{Health, PoolState};

/// A page of a list: at most `limit` items after skipping `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PageRequest {
    /// Items to skip.
    pub offset: u32,
    /// At most this many items (1–1000).
    pub limit: u32,
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest {
            offset: 0,
            limit: 100,
        }
    }
}

/// One page of a list and whether more follow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// The offset of the next page, when there is one.
    pub next_offset: Option<u32>,
}

/// SmartGrid Sentinel for async services: the store's pool, the configuration, and each
/// capability as an `async fn` (see the module docs). Cheap to clone.
#[derive(Clone, Debug)]
pub struct Sentinel {
    store: PgStore,
    config: Arc<SentinelConfig>,
    ingesters: Arc<IdleIngesters>,
    /// The limit alarms' engine every ingest goes through (one at a time: a point's
    /// readings are evaluated in order).
    alarms: Arc<std::sync::Mutex<Option<AlarmEngine>>>,
}

/// Ingesters kept between [`Sentinel::ingest`] calls, so a service ingesting batch by batch
/// loads the sensor table once, not per batch: each is taken by one call at a time, checked
/// for a changed sensor table ([`Ingester::reload_if_changed`]) and put back after a batch
/// that committed (one that failed drops its ingester). At most the pool's size are kept.
#[derive(Debug, Default)]
struct IdleIngesters(std::sync::Mutex<Vec<Ingester>>);

impl IdleIngesters {
    fn take(&self, options: &IngestOptions) -> Option<Ingester> {
        let mut idle = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let i = idle.iter().position(|i| i.options() == options)?;
        Some(idle.swap_remove(i))
    }

    fn put(&self, ingester: Ingester, max: usize) {
        let mut idle = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < max {
            idle.push(ingester);
        }
    }
}

impl Sentinel {
    /// Opens the pool and readies the database ([`bootstrap`]) off the runtime threads, and
    /// installs the metrics recorder ([`grid_telemetry::prometheus::install`]) so that
    /// everything from here on is counted.
    pub async fn bootstrap(config: SentinelConfig) -> ServiceResult<(Sentinel, BootstrapReport)> {
        grid_telemetry::prometheus::install();
        let config = Arc::new(config);
        let c = config.clone();
        let (store, report) = tokio::task::spawn_blocking(move || bootstrap(&c))
            .await
            .map_err(|e| ServiceError::Task(e.to_string()))??;
        Ok((
            Sentinel {
                store,
                config,
                ingesters: Default::default(),
                alarms: Default::default(),
            },
            report,
        ))
    }

    /// A facade over an existing pool.
    pub fn new(store: PgStore, config: SentinelConfig) -> Sentinel {
        Sentinel {
            store,
            config: Arc::new(config),
            ingesters: Default::default(),
            alarms: Default::default(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &SentinelConfig {
        &self.config
    }

    /// The pool.
    pub fn store(&self) -> &PgStore {
        &self.store
    }

    /// Runs `f` on a pooled connection on the blocking pool: the way to call any of the
    /// crates' `&mut PgConnection` functions from async code.
    ///
    /// ```
    /// # #[tokio::main(flavor = "multi_thread", worker_threads = 2)]
    /// # async fn main() -> Result<(), grid_service::ServiceError> {
    /// # let db = grid_testdb::TestDb::new(&grid_testkit::READY);
    /// use grid_service::{Sentinel, SentinelConfig};
    ///
    /// let config = SentinelConfig::default().with_database_url(db.url());
    /// let (sentinel, _) = Sentinel::bootstrap(config).await?;
    /// let n = sentinel
    ///     .interact(|c| Ok(grid_store::substations::list(c)?.len()))
    ///     .await?;
    /// assert_eq!(n, 0);
    /// # Ok(()) }
    /// ```
    pub async fn interact<T, F>(&self, f: F) -> ServiceResult<T>
    where
        F: FnOnce(&mut PgConnection) -> ServiceResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = store.conn()?;
            f(&mut conn)
        })
        .await
        .map_err(|e| ServiceError::Task(e.to_string()))?
    }

    /// The latest reading of each sensor in `scope`.
    pub async fn latest(&self, scope: Scope) -> ServiceResult<Vec<Latest>> {
        self.interact(move |c| Ok(grid_timescale::query::latest(c, scope)?))
            .await
    }

    /// A series (see [`grid_timescale::query::series`]).
    pub async fn series(
        &self,
        target: SeriesTarget,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        width: chrono::Duration,
    ) -> ServiceResult<Series> {
        self.interact(move |c| {
            Ok(grid_timescale::query::series(
                c,
                target,
                from,
                to,
                width,
                SourcePreference::Auto,
            )?)
        })
        .await
    }

    /// A page of the active alerts, worst first.
    pub async fn open_alerts(&self, page: PageRequest) -> ServiceResult<Page<Alert>> {
        self.paged(page, grid_store::alerts::open_page).await
    }

    /// A page of the sensors, by tag.
    pub async fn sensors(&self, page: PageRequest) -> ServiceResult<Page<Sensor>> {
        self.paged(page, grid_store::sensors::list_page).await
    }

    /// One page through a `(conn, offset, limit)` query: one item more than asked tells
    /// whether another page follows.
    async fn paged<T: Send + 'static>(
        &self,
        page: PageRequest,
        query: fn(&mut PgConnection, i64, i64) -> grid_store::StoreResult<Vec<T>>,
    ) -> ServiceResult<Page<T>> {
        let limit = page.limit.clamp(1, 1000);
        self.interact(move |c| {
            let mut items = query(c, i64::from(page.offset), i64::from(limit) + 1)?;
            let more = items.len() > limit as usize;
            items.truncate(limit as usize);
            Ok(Page {
                items,
                next_offset: more.then_some(page.offset + limit),
            })
        })
        .await
    }

    /// The user a bearer token belongs to, when the token is live
    /// ([`grid_store::users::by_token`]).
    pub async fn user_by_token(&self, token: String) -> ServiceResult<Option<User>> {
        self.interact(move |c| Ok(grid_store::users::by_token(c, &token)?))
            .await
    }

    /// Acknowledges an alert as `user`, who must act on alarms and work in every zone the
    /// alert names (else [`StoreError::PermissionDenied`], or [`StoreError::NotFound`] for an
    /// alert outside its zones, as the database's row policy would answer).
    ///
    /// [`StoreError::PermissionDenied`]: grid_store::StoreError::PermissionDenied
    /// [`StoreError::NotFound`]: grid_store::StoreError::NotFound
    pub async fn acknowledge_as(
        &self,
        user: User,
        id: Uuid,
        notes: Option<String>,
    ) -> ServiceResult<Alert> {
        use grid_store::StoreError;
        if !user.role.acts_on_alarms() {
            return Err(StoreError::PermissionDenied(format!(
                "{} is a {}: only operators and engineers acknowledge alarms",
                user.name, user.role
            ))
            .into());
        }
        self.interact(move |c| {
            c.transaction(|c| {
                if !user.zones.is_empty() {
                    let zones = grid_store::alerts::zones_of(c, id)?;
                    if zones.is_empty() || !zones.iter().all(|z| user.sees(*z)) {
                        return Err(StoreError::NotFound {
                            entity: "alert",
                            key: id.to_string(),
                        }
                        .into());
                    }
                }
                let mut step = AlertTransition::now(AlertAction::Acknowledge, user.name.clone());
                step.note = notes;
                Ok(grid_store::alerts::transition(c, id, &step)?)
            })
        })
        .await
    }

    /// Shelves, unshelves, takes out of service or puts back in service the limit alarm of
    /// sensor `key` (its tag or id) as `user`, who must act on alarms and work in the
    /// sensor's zone (another zone's point is not found). The mark and the action's record
    /// commit together (grid-alarms-store's `act`); the engines see it with their next batch.
    pub async fn act_on_point_as(
        &self,
        user: User,
        key: String,
        action: grid_alarms_store::Action,
    ) -> ServiceResult<Uuid> {
        use grid_store::StoreError;
        if !user.role.acts_on_alarms() {
            return Err(StoreError::PermissionDenied(format!(
                "{} is a {}: only operators and engineers shelve or take alarms out of service",
                user.name, user.role
            ))
            .into());
        }
        self.interact(move |c| {
            let sensor = match key.parse::<Uuid>() {
                Ok(id) => grid_store::sensors::get(c, id)?,
                Err(_) => grid_store::sensors::get_by_tag(c, &key)?,
            };
            let zone = grid_store::substations::get(c, sensor.substation_id)?.zone;
            if !user.sees(zone) {
                return Err(StoreError::NotFound {
                    entity: "sensor",
                    key,
                }
                .into());
            }
            grid_alarms_store::act(c, sensor.id, &user.name, &action, Utc::now())?;
            Ok(sensor.id)
        })
        .await
    }

    /// How many sensors there are in `zone` (every zone when `None`).
    pub async fn sensor_count(&self, zone: Option<GridZone>) -> ServiceResult<i64> {
        self.interact(move |c| Ok(grid_store::sensors::count_in(c, zone)?))
            .await
    }

    /// A sensor's id from its tag, or from its id written out.
    pub async fn sensor_id(&self, key: String) -> ServiceResult<Uuid> {
        if let Ok(id) = key.parse::<Uuid>() {
            return Ok(id);
        }
        self.interact(move |c| Ok(grid_store::sensors::get_by_tag(c, &key)?.id))
            .await
    }

    /// Acknowledges an alert as `by`.
    pub async fn acknowledge(
        &self,
        id: Uuid,
        by: String,
        notes: Option<String>,
    ) -> ServiceResult<Alert> {
        self.interact(move |c| {
            let mut step = AlertTransition::now(AlertAction::Acknowledge, by);
            step.note = notes;
            Ok(grid_store::alerts::transition(c, id, &step)?)
        })
        .await
    }

    /// The stored daily statistics of `date` (every zone).
    pub async fn daily_statistics(&self, date: NaiveDate) -> ServiceResult<Vec<DailyStatistics>> {
        self.interact(move |c| Ok(grid_store::statistics::range(c, date, date)?))
            .await
    }

    /// Ingests one batch atomically with the configured limits and bounds, evaluating every
    /// point's limit alarm on it (grid-alarms-store: the alerts and states commit with the
    /// batch). The sensor table is loaded once and reloaded when it changes
    /// ([`Ingester::reload_if_changed`]), so a sensor added before this call is known to it.
    pub async fn ingest(
        &self,
        readings: Vec<Reading>,
        options: IngestOptions,
    ) -> ServiceResult<IngestReport> {
        let limits = self.config.limits.clone();
        let bounds = self.config.ingest.physical_bounds.clone();
        let idle = self.ingesters.clone();
        let keep = self.config.database.pool_size as usize;
        let alarms = self.alarms.clone();
        let settings = self.config.alarm_settings();
        self.interact(move |c| {
            let options = IngestOptions {
                physical_bounds: bounds,
                ..options
            };
            let mut ingester = match idle.take(&options) {
                Some(mut i) => {
                    i.reload_if_changed(c)?;
                    i
                }
                None => Ingester::new(c, limits, options)?,
            };
            let mut engine = alarms.lock().unwrap_or_else(|p| p.into_inner());
            let engine = engine.get_or_insert_with(|| AlarmEngine::new(settings));
            let report = ingester.ingest_batch_scored(c, readings, engine)?;
            idle.put(ingester, keep);
            Ok(report)
        })
        .await
    }

    /// The database's health, with the pool's state.
    pub async fn health(&self) -> ServiceResult<Health> {
        let state = self.store.pool().state();
        let mut h = self
            .interact(|c| crate::health::health(c, Utc::now()))
            .await?;
        h.pool = Some(PoolState {
            connections: state.connections,
            idle: state.idle_connections,
        });
        Ok(h)
    }
}
