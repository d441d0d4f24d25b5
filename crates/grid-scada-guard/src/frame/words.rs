//! Requests in words, for the analyst reading an event.

use std::fmt;

use super::{Request, Table};

fn values_text(values: &[u16]) -> String {
    const SHOWN: usize = 16;
    let mut s = values
        .iter()
        .take(SHOWN)
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    if values.len() > SHOWN {
        s.push_str(&format!(" … ({} values)", values.len()));
    }
    s
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fc = self.function();
        match self {
            Request::Read {
                table,
                start,
                count,
                ..
            } => write!(
                f,
                "FC{fc:02} read {} {}, {count} item(s)",
                table.name(),
                table.number(*start)
            ),
            Request::Write {
                table,
                start,
                values,
                ..
            } if values.len() == 1 => write!(
                f,
                "FC{fc:02} write {} {} = {}",
                table.name(),
                table.number(*start),
                values[0]
            ),
            Request::Write {
                table,
                start,
                values,
                ..
            } => write!(
                f,
                "FC{fc:02} write {} {} = [{}]",
                table.name(),
                table.number(*start),
                values_text(values)
            ),
            Request::MaskWrite { address, and, or } => write!(
                f,
                "FC22 mask write holding {} AND {and:#06x} OR {or:#06x}",
                Table::Holding.number(*address)
            ),
            Request::ReadWrite {
                read_start,
                read_count,
                write_start,
                values,
            } => write!(
                f,
                "FC23 read holding {} ({read_count}) and write holding {} = [{}]",
                Table::Holding.number(*read_start),
                Table::Holding.number(*write_start),
                values_text(values)
            ),
            Request::Diagnostics { sub } => write!(
                f,
                "FC08 diagnostics sub-function {sub} ({})",
                diagnostic_name(*sub)
            ),
            Request::DeviceIdentification { code } => {
                write!(f, "FC43/14 read device identification (code {code})")
            }
            Request::Other { function } => write!(f, "FC{function:02} (not allowed here)"),
        }
    }
}

/// What a diagnostics sub-function does (the specification's names for the ones that
/// matter).
pub fn diagnostic_name(sub: u16) -> &'static str {
    match sub {
        0 => "return query data",
        1 => "restart communications",
        2 => "return diagnostic register",
        4 => "force listen-only mode",
        10 => "clear counters and diagnostic register",
        _ => "other",
    }
}
