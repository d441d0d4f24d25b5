//! A Modbus TCP device simulator on `tokio-modbus`'s server (feature `simulator`): for the
//! example and the benchmark, which need many fast devices. The tests use pymodbus, an
//! independent implementation, as the real peer.
//!
//! A simulated device serves one table of registers for both holding and input reads,
//! refuses writes (illegal function) and reads out of range (illegal data address).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::net::TcpListener;
use tokio_modbus::server::Service;
use tokio_modbus::server::tcp::{Server, accept_tcp_connection};
use tokio_modbus::{ExceptionCode, Request, Response, SlaveRequest};

/// The registers of a simulated device, shared with whoever updates them.
pub type Registers = Arc<Mutex<Vec<u16>>>;

#[derive(Clone)]
struct Device {
    registers: Registers,
}

impl Service for Device {
    type Request = SlaveRequest<'static>;
    type Response = Response;
    type Exception = ExceptionCode;
    type Future = std::future::Ready<Result<Response, ExceptionCode>>;

    fn call(&self, req: Self::Request) -> Self::Future {
        let read = |addr: u16, count: u16| {
            let regs = self.registers.lock().unwrap_or_else(|e| e.into_inner());
            let (a, n) = (usize::from(addr), usize::from(count));
            regs.get(a..a + n)
                .map(<[u16]>::to_vec)
                .ok_or(ExceptionCode::IllegalDataAddress)
        };
        std::future::ready(match req.request {
            Request::ReadHoldingRegisters(a, n) => read(a, n).map(Response::ReadHoldingRegisters),
            Request::ReadInputRegisters(a, n) => read(a, n).map(Response::ReadInputRegisters),
            _ => Err(ExceptionCode::IllegalFunction),
        })
    }
}

/// Starts a simulated device on a free loopback port; it runs until the runtime ends.
pub async fn spawn(registers: Registers) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = Server::new(listener);
    tokio::spawn(async move {
        let on_connected = |stream, socket_addr| {
            let device = Device {
                registers: registers.clone(),
            };
            async move { accept_tcp_connection(stream, socket_addr, move |_| Ok(Some(device.clone()))) }
        };
        let _ = server
            .serve(
                &on_connected,
                |e| tracing::debug!(error = %e, "simulated device"),
            )
            .await;
    });
    Ok(addr)
}
