//! Connections at the edge: the r2d2 pool, and the one trait that lets every repository
//! method run either on a pooled connection or on a caller's `&mut PgConnection` (inside the
//! caller's transaction).

use std::time::Duration;

use diesel::PgConnection;
use diesel::connection::Connection;
use diesel::r2d2::{ConnectionManager, Pool, PooledConnection};

use crate::error::{StoreError, StoreResult};
use crate::session::{ApplyLimits, SessionLimits};

/// An r2d2 pool of PostgreSQL connections.
pub type PgPool = Pool<ConnectionManager<PgConnection>>;
/// A connection checked out of a [`PgPool`].
pub type PgPooled = PooledConnection<ConnectionManager<PgConnection>>;

/// Something a repository method can run on.
pub trait WithConnection {
    /// Runs `f` on a connection.
    fn with_conn<T>(
        &mut self,
        f: impl FnOnce(&mut PgConnection) -> StoreResult<T>,
    ) -> StoreResult<T>;
}

impl WithConnection for PgConnection {
    fn with_conn<T>(
        &mut self,
        f: impl FnOnce(&mut PgConnection) -> StoreResult<T>,
    ) -> StoreResult<T> {
        f(self)
    }
}

/// The PostgreSQL store: a pool, cheap to clone and share between threads.
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    /// What error texts are scrubbed of (libpq echoes a password in some errors).
    url: Option<grid_secrets::DatabaseUrl>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.pool.state();
        f.debug_struct("PgStore")
            .field("connections", &state.connections)
            .field("idle", &state.idle_connections)
            .finish()
    }
}

impl PgStore {
    /// Opens a pool of at most `max_size` connections to `url`, waiting up to 10 s for the
    /// first connection; [`StoreError::Unavailable`] if none can be made.
    ///
    /// Blocking (it waits for a first connection): in async code open it with
    /// `tokio::task::spawn_blocking`, or use grid-service's `Sentinel`, which does.
    ///
    /// ```no_run
    /// use grid_store::{PgStore, SensorRepository};
    ///
    /// let mut store = PgStore::connect(&std::env::var("DATABASE_URL")?, 8)?;
    /// let sensors = store.sensors()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn connect(url: &str, max_size: u32) -> StoreResult<PgStore> {
        Self::connect_with_timeout(url, max_size, Duration::from_secs(10))
    }

    /// As [`PgStore::connect`], waiting at most `timeout` for a connection (here and on every
    /// later checkout).
    pub fn connect_with_timeout(
        url: &str,
        max_size: u32,
        timeout: Duration,
    ) -> StoreResult<PgStore> {
        Self::connect_with_limits(url, max_size, timeout, SessionLimits::default())
    }

    /// As [`PgStore::connect_with_timeout`], with `limits` set on every connection.
    pub fn connect_with_limits(
        url: &str,
        max_size: u32,
        timeout: Duration,
        limits: SessionLimits,
    ) -> StoreResult<PgStore> {
        let url = grid_secrets::DatabaseUrl::new(url);
        let pool = Pool::builder()
            .max_size(max_size)
            .connection_timeout(timeout)
            .connection_customizer(Box::new(ApplyLimits(limits)))
            .build(ConnectionManager::<PgConnection>::new(url.expose()))
            .map_err(|e| StoreError::Unavailable(url.scrub(&e.to_string())))?;
        Ok(PgStore {
            pool,
            url: Some(url),
        })
    }

    /// Wraps an existing pool.
    pub fn from_pool(pool: PgPool) -> PgStore {
        PgStore { pool, url: None }
    }

    fn unavailable(&self, e: diesel::r2d2::PoolError) -> StoreError {
        let text = e.to_string();
        StoreError::Unavailable(match &self.url {
            Some(u) => u.scrub(&text),
            None => text,
        })
    }

    /// The pool.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Checks a connection out of the pool.
    pub fn conn(&self) -> StoreResult<PgPooled> {
        self.pool.get().map_err(|e| self.unavailable(e))
    }

    /// Runs `f` in one transaction on a pooled connection: all of it or nothing.
    pub fn transaction<T>(
        &self,
        f: impl FnOnce(&mut PgConnection) -> StoreResult<T>,
    ) -> StoreResult<T> {
        let mut conn = self.conn()?;
        let conn: &mut PgConnection = &mut conn;
        conn.transaction(f)
    }
}

impl WithConnection for PgStore {
    fn with_conn<T>(
        &mut self,
        f: impl FnOnce(&mut PgConnection) -> StoreResult<T>,
    ) -> StoreResult<T> {
        let mut conn = self.pool.get().map_err(|e| self.unavailable(e))?;
        f(&mut conn)
    }
}

/// Declares a repository trait whose methods delegate to the module's query functions, and
/// implements it for everything that can provide a connection.
macro_rules! repository {
    (
        $(#[$meta:meta])*
        pub trait $name:ident {
            $(
                $(#[$mmeta:meta])*
                fn $method:ident(&mut self $(, $arg:ident : $ty:ty)* ) -> $ret:ty => $func:path;
            )+
        }
    ) => {
        $(#[$meta])*
        pub trait $name: $crate::store::WithConnection {
            $(
                $(#[$mmeta])*
                fn $method(&mut self $(, $arg: $ty)*) -> $ret {
                    self.with_conn(|c| $func(c $(, $arg)*))
                }
            )+
        }

        impl<T: $crate::store::WithConnection + ?Sized> $name for T {}
    };
}
pub(crate) use repository;

/// Opens one connection to `url`; an error says why without the password (libpq echoes it
/// in some errors: a malformed percent escape, a bad `options=`).
pub fn establish(url: &str) -> StoreResult<PgConnection> {
    PgConnection::establish(url)
        .map_err(|e| StoreError::Unavailable(grid_secrets::scrub(&e.to_string(), url)))
}

/// As [`establish`], with `limits` set on the session.
pub fn establish_with(url: &str, limits: SessionLimits) -> StoreResult<PgConnection> {
    let mut conn = establish(url)?;
    limits.apply(&mut conn)?;
    Ok(conn)
}
