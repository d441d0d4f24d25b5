//! The connections to one device: capped by a semaphore, reused, and every request sent
//! under a transaction id of the guard's own, its reply matched by that id.

use std::net::SocketAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

use crate::frame::{self, Frame};

/// The connections to one device.
pub(super) struct Upstream {
    pub(super) addr: SocketAddr,
    pub(super) permits: Semaphore,
    pub(super) idle: Mutex<Vec<TcpStream>>,
    pub(super) next_tid: AtomicU16,
    pub(super) timeout: Duration,
}

#[derive(Debug)]
pub(super) enum UpstreamError {
    Timeout,
    Io,
}

impl Upstream {
    pub(super) async fn call(&self, request: &Frame) -> Result<Frame, UpstreamError> {
        let _permit = tokio::time::timeout(self.timeout, self.permits.acquire())
            .await
            .map_err(|_| UpstreamError::Timeout)?
            .map_err(|_| UpstreamError::Io)?;
        let pooled = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let reused = pooled.is_some();
        match self.exchange(pooled, request).await {
            // A pooled connection the device closed meanwhile: once more on a fresh one.
            Err(UpstreamError::Io) if reused => self.exchange(None, request).await,
            other => other,
        }
    }

    async fn exchange(
        &self,
        conn: Option<TcpStream>,
        request: &Frame,
    ) -> Result<Frame, UpstreamError> {
        let deadline = tokio::time::Instant::now() + self.timeout;
        let mut conn = match conn {
            Some(c) => c,
            None => {
                let c = tokio::time::timeout_at(deadline, TcpStream::connect(self.addr))
                    .await
                    .map_err(|_| UpstreamError::Timeout)?
                    .map_err(|_| UpstreamError::Io)?;
                let _ = c.set_nodelay(true);
                c
            }
        };
        let tid = self.next_tid.fetch_add(1, Ordering::Relaxed);
        let out = Frame {
            tid,
            unit: request.unit,
            pdu: request.pdu.clone(),
        }
        .encode();
        let reply = tokio::time::timeout_at(deadline, async {
            conn.write_all(&out).await.map_err(|_| UpstreamError::Io)?;
            let mut buf = Vec::with_capacity(frame::MBAP_LEN + frame::MAX_PDU);
            let mut chunk = [0u8; 512];
            loop {
                match frame::parse(&buf) {
                    Ok(Some((f, used))) => {
                        buf.drain(..used);
                        if f.tid == tid {
                            return Ok(f);
                        }
                        continue;
                    }
                    Ok(None) => {}
                    Err(_) => return Err(UpstreamError::Io),
                }
                let n = conn.read(&mut chunk).await.map_err(|_| UpstreamError::Io)?;
                if n == 0 {
                    return Err(UpstreamError::Io);
                }
                buf.extend_from_slice(&chunk[..n]);
            }
        })
        .await
        .map_err(|_| UpstreamError::Timeout)??;
        self.idle
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(conn);
        Ok(reply)
    }
}
