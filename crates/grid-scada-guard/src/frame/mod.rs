//! Modbus TCP frames: the MBAP header, the request PDUs a guard must understand, their
//! description in words, and exception replies. Bounded: nothing here allocates more than
//! one ADU (260 bytes), and every length is checked before it is used.
//!
//! Sources: Modbus Application Protocol Specification V1.1b3 (function codes, PDU layouts,
//! exception codes; a PDU is at most 253 bytes) and Modbus Messaging on TCP/IP
//! Implementation Guide V1.0b (MBAP: transaction id, protocol id 0, length = unit id + PDU).

/// The longest PDU (function code and data) Modbus allows.
pub const MAX_PDU: usize = 253;
/// The MBAP header's length.
pub const MBAP_LEN: usize = 7;

/// Why bytes are not a Modbus TCP frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The protocol id is not 0 (Modbus).
    #[error("protocol id {0} is not Modbus (0)")]
    Protocol(u16),
    /// The MBAP length field cannot hold a unit id and a function code.
    #[error("MBAP length {0} is too short")]
    TooShort(u16),
    /// The MBAP length field announces a PDU longer than 253 bytes.
    #[error("MBAP length {0} announces a PDU over 253 bytes")]
    Oversized(u16),
}

/// One Modbus TCP frame (ADU).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The transaction id.
    pub tid: u16,
    /// The unit id.
    pub unit: u8,
    /// Function code and data.
    pub pdu: Vec<u8>,
}

impl Frame {
    /// The frame's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(MBAP_LEN + self.pdu.len());
        out.extend_from_slice(&self.tid.to_be_bytes());
        out.extend_from_slice(&0u16.to_be_bytes());
        out.extend_from_slice(&((self.pdu.len() + 1) as u16).to_be_bytes());
        out.push(self.unit);
        out.extend_from_slice(&self.pdu);
        out
    }

    /// The function code (0 for an empty PDU).
    pub fn function(&self) -> u8 {
        self.pdu.first().copied().unwrap_or(0)
    }
}

/// Reads one frame from the front of `buf`: `Ok(None)` when more bytes are needed,
/// `Ok(Some((frame, used)))` when one is complete, an error when the header is not Modbus.
pub fn parse(buf: &[u8]) -> Result<Option<(Frame, usize)>, FrameError> {
    if buf.len() < MBAP_LEN {
        return Ok(None);
    }
    let tid = u16::from_be_bytes([buf[0], buf[1]]);
    let protocol = u16::from_be_bytes([buf[2], buf[3]]);
    let length = u16::from_be_bytes([buf[4], buf[5]]);
    if protocol != 0 {
        return Err(FrameError::Protocol(protocol));
    }
    if length < 2 {
        return Err(FrameError::TooShort(length));
    }
    if usize::from(length) - 1 > MAX_PDU {
        return Err(FrameError::Oversized(length));
    }
    let total = MBAP_LEN - 1 + usize::from(length);
    if buf.len() < total {
        return Ok(None);
    }
    Ok(Some((
        Frame {
            tid,
            unit: buf[6],
            pdu: buf[MBAP_LEN..total].to_vec(),
        },
        total,
    )))
}

/// Modbus exception codes a guard answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exception {
    /// 01: the function is not allowed.
    IllegalFunction = 1,
    /// 02: the address (or range) is not allowed.
    IllegalDataAddress = 2,
    /// 03: a value (or the request's shape) is not allowed.
    IllegalDataValue = 3,
    /// 0A: no path to that unit id here.
    GatewayPathUnavailable = 0x0A,
    /// 0B: the device did not answer (properly).
    GatewayTargetFailed = 0x0B,
}

/// An exception reply to `request`.
pub fn exception(request: &Frame, code: Exception) -> Frame {
    Frame {
        tid: request.tid,
        unit: request.unit,
        pdu: vec![request.function() | 0x80, code as u8],
    }
}

/// A register table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Table {
    /// Coils (0xxxx).
    Coil,
    /// Discrete inputs (1xxxx).
    DiscreteInput,
    /// Input registers (3xxxx).
    Input,
    /// Holding registers (4xxxx).
    Holding,
}

impl Table {
    /// A 0-based address in the conventional 1-based numbering (holding 0 → 40001).
    pub fn number(self, address: u16) -> String {
        let prefix = match self {
            Table::Coil => 0,
            Table::DiscreteInput => 1,
            Table::Input => 3,
            Table::Holding => 4,
        };
        let n = u32::from(address) + 1;
        if n <= 9999 {
            format!("{prefix}{n:04}")
        } else {
            format!("{prefix}{n:05}")
        }
    }

    fn name(self) -> &'static str {
        match self {
            Table::Coil => "coil",
            Table::DiscreteInput => "discrete input",
            Table::Input => "input",
            Table::Holding => "holding",
        }
    }
}

/// A request, decoded as far as a guard needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// 01–04: a read of `count` items from `start`.
    Read {
        /// Function code.
        function: u8,
        /// Which table.
        table: Table,
        /// First address.
        start: u16,
        /// How many.
        count: u16,
    },
    /// 05, 06, 15, 16: a write of `values` from `start` (coils as 0/1).
    Write {
        /// Function code.
        function: u8,
        /// Which table.
        table: Table,
        /// First address.
        start: u16,
        /// The values written.
        values: Vec<u16>,
    },
    /// 22: mask write of one holding register (the result depends on its current value).
    MaskWrite {
        /// The register.
        address: u16,
        /// AND mask.
        and: u16,
        /// OR mask.
        or: u16,
    },
    /// 23: read and write holding registers in one request.
    ReadWrite {
        /// First register read.
        read_start: u16,
        /// Registers read.
        read_count: u16,
        /// First register written.
        write_start: u16,
        /// The values written.
        values: Vec<u16>,
    },
    /// 08: diagnostics, with its sub-function.
    Diagnostics {
        /// Sub-function (1 restarts communications, 4 forces listen-only mode…).
        sub: u16,
    },
    /// 43/14: read device identification.
    DeviceIdentification {
        /// Read device id code (1 basic … 4 one object).
        code: u8,
    },
    /// Any other function (20, 21, 24, 17, 43 with another MEI type, user codes…).
    Other {
        /// Function code.
        function: u8,
    },
}

/// What is wrong with a frame or a request PDU: the closed list a malformed-frame event is
/// folded by (two frames wrong in different ways are different events), with its words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Malformation {
    /// The MBAP protocol id is not 0.
    Protocol,
    /// The MBAP length cannot hold a unit id and a function code.
    TooShort,
    /// The MBAP length announces a PDU over 253 bytes.
    Oversized,
    /// A PDU with no function code.
    EmptyPdu,
    /// The PDU's length does not fit its function.
    WrongLength,
    /// A read's quantity is 0 or over the function's limit.
    QuantityOutOfRange,
    /// The addressed range runs past address 65535.
    RangePastEnd,
    /// A single coil written with a value other than FF00 or 0000.
    CoilValue,
    /// A write's quantity and byte count disagree (or exceed the function's limit).
    ByteCount,
}

impl Malformation {
    /// Its stable name (the fold key's part).
    pub fn as_str(self) -> &'static str {
        match self {
            Malformation::Protocol => "protocol",
            Malformation::TooShort => "too_short",
            Malformation::Oversized => "oversized",
            Malformation::EmptyPdu => "empty_pdu",
            Malformation::WrongLength => "wrong_length",
            Malformation::QuantityOutOfRange => "quantity_out_of_range",
            Malformation::RangePastEnd => "range_past_end",
            Malformation::CoilValue => "coil_value",
            Malformation::ByteCount => "byte_count",
        }
    }

    /// In words.
    pub fn words(self) -> &'static str {
        match self {
            Malformation::Protocol => "protocol id is not Modbus (0)",
            Malformation::TooShort => "MBAP length too short",
            Malformation::Oversized => "MBAP length announces a PDU over 253 bytes",
            Malformation::EmptyPdu => "empty PDU",
            Malformation::WrongLength => "wrong length for its function",
            Malformation::QuantityOutOfRange => "quantity out of range",
            Malformation::RangePastEnd => "range past address 65535",
            Malformation::CoilValue => "a coil is written with FF00 or 0000",
            Malformation::ByteCount => "quantity and byte count disagree",
        }
    }
}

impl FrameError {
    /// Which malformation.
    pub fn malformation(self) -> Malformation {
        match self {
            FrameError::Protocol(_) => Malformation::Protocol,
            FrameError::TooShort(_) => Malformation::TooShort,
            FrameError::Oversized(_) => Malformation::Oversized,
        }
    }
}

/// Why a PDU is not a well-formed request of its function.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("function {function}: {}", reason.words())]
pub struct PduError {
    /// The function code.
    pub function: u8,
    /// What is wrong.
    pub reason: Malformation,
}

fn u16_at(pdu: &[u8], i: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*pdu.get(i)?, *pdu.get(i + 1)?]))
}

/// Decodes a request PDU. Lengths, counts and byte counts are checked against each other
/// and against the specification's limits (reads of at most 2000 bits or 125 registers,
/// writes of at most 1968 bits or 123 registers).
pub fn decode(pdu: &[u8]) -> Result<Request, PduError> {
    let function = *pdu.first().ok_or(PduError {
        function: 0,
        reason: Malformation::EmptyPdu,
    })?;
    let bad = |reason: Malformation| PduError { function, reason };
    let exact = |n: usize| {
        if pdu.len() == n {
            Ok(())
        } else {
            Err(bad(Malformation::WrongLength))
        }
    };
    let table = |f: u8| match f {
        1 | 5 | 15 => Table::Coil,
        2 => Table::DiscreteInput,
        4 => Table::Input,
        _ => Table::Holding,
    };
    match function {
        1..=4 => {
            exact(5)?;
            let (start, count) = (u16_at(pdu, 1).unwrap_or(0), u16_at(pdu, 3).unwrap_or(0));
            let max = if function <= 2 { 2000 } else { 125 };
            if count == 0 || count > max {
                return Err(bad(Malformation::QuantityOutOfRange));
            }
            if u32::from(start) + u32::from(count) > 65_536 {
                return Err(bad(Malformation::RangePastEnd));
            }
            Ok(Request::Read {
                function,
                table: table(function),
                start,
                count,
            })
        }
        5 | 6 => {
            exact(5)?;
            let (address, raw) = (u16_at(pdu, 1).unwrap_or(0), u16_at(pdu, 3).unwrap_or(0));
            let value = if function == 5 {
                match raw {
                    0xFF00 => 1,
                    0x0000 => 0,
                    _ => return Err(bad(Malformation::CoilValue)),
                }
            } else {
                raw
            };
            Ok(Request::Write {
                function,
                table: table(function),
                start: address,
                values: vec![value],
            })
        }
        15 | 16 => {
            if pdu.len() < 6 {
                return Err(bad(Malformation::WrongLength));
            }
            let (start, count, bytes) = (
                u16_at(pdu, 1).unwrap_or(0),
                u16_at(pdu, 3).unwrap_or(0),
                usize::from(pdu[5]),
            );
            let (max, need) = if function == 15 {
                (1968, usize::from(count).div_ceil(8))
            } else {
                (123, usize::from(count) * 2)
            };
            if count == 0 || count > max || bytes != need || pdu.len() != 6 + bytes {
                return Err(bad(Malformation::ByteCount));
            }
            if u32::from(start) + u32::from(count) > 65_536 {
                return Err(bad(Malformation::RangePastEnd));
            }
            let data = &pdu[6..];
            let values = if function == 15 {
                (0..usize::from(count))
                    .map(|i| u16::from((data[i / 8] >> (i % 8)) & 1))
                    .collect()
            } else {
                data.chunks_exact(2)
                    .map(|c| u16::from_be_bytes([c[0], c[1]]))
                    .collect()
            };
            Ok(Request::Write {
                function,
                table: table(function),
                start,
                values,
            })
        }
        22 => {
            exact(7)?;
            Ok(Request::MaskWrite {
                address: u16_at(pdu, 1).unwrap_or(0),
                and: u16_at(pdu, 3).unwrap_or(0),
                or: u16_at(pdu, 5).unwrap_or(0),
            })
        }
        23 => {
            if pdu.len() < 10 {
                return Err(bad(Malformation::WrongLength));
            }
            let read_start = u16_at(pdu, 1).unwrap_or(0);
            let read_count = u16_at(pdu, 3).unwrap_or(0);
            let write_start = u16_at(pdu, 5).unwrap_or(0);
            let write_count = u16_at(pdu, 7).unwrap_or(0);
            let bytes = usize::from(pdu[9]);
            if read_count == 0
                || read_count > 125
                || write_count == 0
                || write_count > 121
                || bytes != usize::from(write_count) * 2
                || pdu.len() != 10 + bytes
            {
                return Err(bad(Malformation::ByteCount));
            }
            if u32::from(read_start) + u32::from(read_count) > 65_536
                || u32::from(write_start) + u32::from(write_count) > 65_536
            {
                return Err(bad(Malformation::RangePastEnd));
            }
            Ok(Request::ReadWrite {
                read_start,
                read_count,
                write_start,
                values: pdu[10..]
                    .chunks_exact(2)
                    .map(|c| u16::from_be_bytes([c[0], c[1]]))
                    .collect(),
            })
        }
        8 => {
            if pdu.len() < 3 {
                return Err(bad(Malformation::WrongLength));
            }
            Ok(Request::Diagnostics {
                sub: u16_at(pdu, 1).unwrap_or(0),
            })
        }
        43 if pdu.get(1) == Some(&14) => {
            exact(4)?;
            Ok(Request::DeviceIdentification { code: pdu[2] })
        }
        _ => Ok(Request::Other { function }),
    }
}

impl Request {
    /// The function code.
    pub fn function(&self) -> u8 {
        match self {
            Request::Read { function, .. }
            | Request::Write { function, .. }
            | Request::Other { function } => *function,
            Request::MaskWrite { .. } => 22,
            Request::ReadWrite { .. } => 23,
            Request::Diagnostics { .. } => 8,
            Request::DeviceIdentification { .. } => 43,
        }
    }

    /// Whether it changes anything in the device.
    pub fn writes(&self) -> bool {
        matches!(
            self,
            Request::Write { .. } | Request::MaskWrite { .. } | Request::ReadWrite { .. }
        )
    }

    /// What makes two refused requests of one client the same event (the fold key's part):
    /// the function code, and for diagnostics the sub-function, for device identification
    /// the read code. FC08 sub-function 4 (listen-only mode) is not sub-function 1
    /// (restart) again.
    pub fn fold_detail(&self) -> String {
        match self {
            Request::Diagnostics { sub } => format!("8.{sub}"),
            Request::DeviceIdentification { code } => format!("43.14.{code}"),
            r => r.function().to_string(),
        }
    }

    /// The request in words for an analyst, e.g. `FC06 write holding 40001 = 1234, unit 1`.
    pub fn describe(&self, unit: u8) -> String {
        format!("{self}, unit {unit}")
    }
}

mod words;
pub use words::diagnostic_name;

#[cfg(test)]
mod tests;
