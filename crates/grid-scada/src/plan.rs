//! Reading a device's points in as few requests as the protocol allows: registers of one
//! table that touch or overlap are read together, up to 125 registers a request.

use crate::config::{PointConfig, RegisterKind};

/// The most registers one read may ask for (Modbus function codes 3 and 4).
pub const MAX_REGISTERS: u16 = 125;

/// One read request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Read {
    /// Holding or input.
    pub kind: RegisterKind,
    /// First register.
    pub start: u16,
    /// How many.
    pub count: u16,
}

impl Read {
    fn end(&self) -> u32 {
        u32::from(self.start) + u32::from(self.count)
    }

    /// Whether `[addr, addr + words)` lies inside this read.
    pub fn covers(&self, kind: RegisterKind, addr: u16, words: u16) -> bool {
        kind == self.kind && addr >= self.start && u32::from(addr) + u32::from(words) <= self.end()
    }
}

/// The register spans a point needs: its value and, for SunSpec points, its scale factor
/// (in the same table).
fn spans(p: &PointConfig) -> impl Iterator<Item = (RegisterKind, u16, u16)> {
    let value = (p.register, p.address, p.data_type.words());
    let scale = p.scale_factor_address.map(|a| (p.register, a, 1));
    std::iter::once(value).chain(scale)
}

/// Plans the reads for `points`.
pub fn plan(points: &[PointConfig]) -> Vec<Read> {
    let mut spans: Vec<(RegisterKind, u16, u16)> = points.iter().flat_map(spans).collect();
    spans.sort();
    let mut reads: Vec<Read> = Vec::new();
    for (kind, start, words) in spans {
        let end = u32::from(start) + u32::from(words);
        if let Some(last) = reads.last_mut()
            && last.kind == kind
            && u32::from(start) <= last.end()
            && end.max(last.end()) - u32::from(last.start) <= u32::from(MAX_REGISTERS)
        {
            last.count = (end.max(last.end()) - u32::from(last.start)) as u16;
            continue;
        }
        reads.push(Read {
            kind,
            start,
            count: words,
        });
    }
    reads
}

/// The registers of `[addr, addr + words)` from the answers to `reads` (`None` where the
/// read covering them failed).
pub fn registers<'a>(
    reads: &[Read],
    answers: &'a [Option<Vec<u16>>],
    kind: RegisterKind,
    addr: u16,
    words: u16,
) -> Option<&'a [u16]> {
    let (i, r) = reads
        .iter()
        .enumerate()
        .find(|(_, r)| r.covers(kind, addr, words))?;
    let data = answers.get(i)?.as_ref()?;
    let from = usize::from(addr - r.start);
    data.get(from..from + usize::from(words))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DataType;

    fn p(kind: RegisterKind, address: u16, data_type: DataType, sf: Option<u16>) -> PointConfig {
        PointConfig {
            tag: format!("S{address}"),
            register: kind,
            address,
            data_type,
            scale_factor_address: sf,
        }
    }

    #[test]
    fn touching_registers_share_a_read_and_tables_do_not() {
        use DataType::*;
        use RegisterKind::*;
        let points = [
            p(Holding, 0, F32, None),
            p(Holding, 2, U16, None),
            p(Holding, 3, SunspecInt16, Some(4)),
            p(Holding, 10, U32, None), // a hole: a new read
            p(Input, 0, I16, None),
            p(Input, 1, I32, None),
        ];
        let reads = plan(&points);
        assert_eq!(
            reads,
            vec![
                Read {
                    kind: Holding,
                    start: 0,
                    count: 5
                },
                Read {
                    kind: Holding,
                    start: 10,
                    count: 2
                },
                Read {
                    kind: Input,
                    start: 0,
                    count: 3
                },
            ]
        );
        let answers = vec![Some(vec![1, 2, 3, 4, 5]), None, Some(vec![7, 8, 9])];
        assert_eq!(
            registers(&reads, &answers, Holding, 3, 1),
            Some(&[4u16][..])
        );
        assert_eq!(
            registers(&reads, &answers, Holding, 10, 2),
            None,
            "its read failed"
        );
        assert_eq!(
            registers(&reads, &answers, Input, 1, 2),
            Some(&[8u16, 9][..])
        );
    }

    #[test]
    fn no_read_exceeds_125_registers() {
        let points: Vec<PointConfig> = (0..200u16)
            .map(|a| p(RegisterKind::Holding, a * 2, DataType::F32, None))
            .collect();
        let reads = plan(&points);
        assert_eq!(reads.len(), 4); // 400 registers: 124 + 124 + 124 + 28 (f32s never split)
        assert!(
            reads
                .iter()
                .all(|r| r.count <= MAX_REGISTERS && r.count % 2 == 0)
        );
        assert_eq!(reads.iter().map(|r| u32::from(r.count)).sum::<u32>(), 400);
    }
}
