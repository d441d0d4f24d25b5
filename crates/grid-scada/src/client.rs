//! A Modbus TCP client that can only read.
//!
//! [`ReadOnlyClient`] holds the `tokio-modbus` context privately and exposes reads of
//! holding and input registers and nothing else: no write function code can be sent
//! through it, by construction.

use std::net::SocketAddr;
use std::time::Duration;

use tokio_modbus::client::{Context, Reader};
use tokio_modbus::prelude::*;

use crate::config::RegisterKind;
use crate::plan::Read;

/// Why a read failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// The device answered with a Modbus exception (e.g. illegal data address): the device
    /// is there, the request was wrong for it.
    #[error("device exception {code} for {count} {kind:?} registers at {start}")]
    Exception {
        /// The exception, e.g. `Illegal data address`.
        code: String,
        /// The table read.
        kind: RegisterKind,
        /// First register.
        start: u16,
        /// How many.
        count: u16,
    },
    /// No answer in time.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    /// The connection failed or broke.
    #[error("transport: {0}")]
    Transport(String),
    /// The reply's header did not match the request's (another transaction id, or another
    /// unit id: a device answering for a unit it should not). The connection is dropped.
    #[error("reply header mismatch (unit {asked:?} asked, {answered:?} answered): {message}")]
    HeaderMismatch {
        /// The unit id asked, as the header read.
        asked: Option<u8>,
        /// The unit id in the reply.
        answered: Option<u8>,
        /// tokio-modbus's description.
        message: String,
    },
}

impl ReadError {
    /// A tokio-modbus error: a header mismatch kept apart, the rest transport.
    fn from_modbus(e: tokio_modbus::Error) -> ReadError {
        match e {
            tokio_modbus::Error::Protocol(ProtocolError::HeaderMismatch { message, .. }) => {
                // "expected/request = Header { transaction_id: 1, unit_id: 1 }, actual/
                // response = Header { …, unit_id: 9 }" (tokio-modbus 0.17's wording).
                let unit = |part: &str| {
                    part.split("unit_id: ")
                        .nth(1)?
                        .split(|c: char| !c.is_ascii_digit())
                        .next()?
                        .parse()
                        .ok()
                };
                let (req, rsp) = message.split_once("actual").unwrap_or((&message, ""));
                ReadError::HeaderMismatch {
                    asked: unit(req),
                    answered: unit(rsp),
                    message,
                }
            }
            other => ReadError::Transport(other.to_string()),
        }
    }

    /// Whether the device is unreachable (as opposed to refusing a request).
    pub fn is_transport(&self) -> bool {
        !matches!(self, ReadError::Exception { .. })
    }
}

/// A read-only Modbus TCP connection to one unit.
pub struct ReadOnlyClient {
    ctx: Context,
    timeout: Duration,
}

impl std::fmt::Debug for ReadOnlyClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadOnlyClient")
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl ReadOnlyClient {
    /// Connects to `addr`, unit `unit`, with `timeout` for the connection and each read.
    pub async fn connect(
        addr: SocketAddr,
        unit: u8,
        timeout: Duration,
    ) -> Result<ReadOnlyClient, ReadError> {
        let ctx = tokio::time::timeout(timeout, tcp::connect_slave(addr, Slave(unit)))
            .await
            .map_err(|_| ReadError::Timeout(timeout))?
            .map_err(|e| ReadError::Transport(e.to_string()))?;
        Ok(ReadOnlyClient { ctx, timeout })
    }

    /// Reads the registers of `r`.
    pub async fn read(&mut self, r: &Read) -> Result<Vec<u16>, ReadError> {
        let call = async {
            match r.kind {
                RegisterKind::Holding => self.ctx.read_holding_registers(r.start, r.count).await,
                RegisterKind::Input => self.ctx.read_input_registers(r.start, r.count).await,
            }
        };
        match tokio::time::timeout(self.timeout, call).await {
            Err(_) => Err(ReadError::Timeout(self.timeout)),
            Ok(Err(e)) => Err(ReadError::from_modbus(e)),
            Ok(Ok(Err(code))) => Err(ReadError::Exception {
                code: code.to_string(),
                kind: r.kind,
                start: r.start,
                count: r.count,
            }),
            Ok(Ok(Ok(words))) if words.len() == usize::from(r.count) => Ok(words),
            Ok(Ok(Ok(words))) => Err(ReadError::Transport(format!(
                "asked for {} registers, got {}",
                r.count,
                words.len()
            ))),
        }
    }
}

impl ReadOnlyClient {
    /// The device's basic identification (function 43/14: vendor, product code, revision),
    /// as `vendor / product / revision`; `Ok(None)` when the device does not support it (it
    /// answers with an exception). A read, like every request of this client.
    pub async fn identify(&mut self) -> Result<Option<String>, ReadError> {
        let call = self.ctx.read_device_identification(ReadCode::Basic, 0);
        match tokio::time::timeout(self.timeout, call).await {
            Err(_) => Err(ReadError::Timeout(self.timeout)),
            Ok(Err(e)) => Err(ReadError::from_modbus(e)),
            Ok(Ok(Err(_))) => Ok(None),
            Ok(Ok(Ok(r))) => {
                let mut objects = r.device_id_objects;
                objects.sort_by_key(|o| o.id);
                Ok(Some(
                    objects
                        .iter()
                        .map(|o| String::from_utf8_lossy(&o.value).trim().to_owned())
                        .collect::<Vec<_>>()
                        .join(" / "),
                ))
            }
        }
    }
}
