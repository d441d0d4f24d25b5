//! From registers to values. Nothing is fabricated: a register holding a "not implemented"
//! marker, or a float that is not finite, yields no value.

use crate::config::{DataType, WordOrder};

/// SunSpec's "not implemented" markers (SunSpec Information Model Reference, type table).
const NI_INT16: u16 = 0x8000;
const NI_UINT16: u16 = 0xFFFF;
const NI_ACC: u32 = 0;
const NI_UINT32: u32 = 0xFFFF_FFFF;
const NI_INT32: u32 = 0x8000_0000;
const NI_FLOAT32: u32 = 0x7FC0_0000;

/// The 4 bytes A B C D (A most significant) of a 32-bit value spread over two registers.
fn bytes32(w: [u16; 2], order: WordOrder) -> u32 {
    let [a0, a1] = w[0].to_be_bytes();
    let [b0, b1] = w[1].to_be_bytes();
    let be = match order {
        WordOrder::ABCD => [a0, a1, b0, b1],
        WordOrder::CDAB => [b0, b1, a0, a1],
        WordOrder::BADC => [a1, a0, b1, b0],
        WordOrder::DCBA => [b1, b0, a1, a0],
    };
    u32::from_be_bytes(be)
}

/// A SunSpec scale factor from its register: `None` when not implemented or beyond
/// SunSpec's −10…10 (garbage).
fn scale_factor(sf: u16) -> Option<i32> {
    let sf = sf as i16;
    (sf as u16 != NI_INT16 && (-10..=10).contains(&sf)).then_some(i32::from(sf))
}

/// Decodes a point from its registers (`words` starts at the point's address); `scale` is
/// the scale-factor register of a SunSpec integer that has one (`None`: unscaled).
pub fn decode(words: &[u16], ty: DataType, order: WordOrder, scale: Option<u16>) -> Option<f64> {
    use DataType::*;
    let one = || words.first().copied();
    let two = || -> Option<u32> {
        let w: [u16; 2] = words.get(..2)?.try_into().ok()?;
        Some(bytes32(w, order))
    };
    let float = |raw: u32| {
        let f = f32::from_bits(raw);
        f.is_finite().then_some(f64::from(f))
    };
    // (the raw value, whether it is SunSpec's not-implemented marker)
    let (raw, not_implemented) = match ty {
        U16 => (f64::from(one()?), false),
        I16 => (f64::from(one()? as i16), false),
        U32 => (f64::from(two()?), false),
        I32 => (f64::from(two()? as i32), false),
        F32 => return float(two()?),
        SunspecFloat32 => {
            let raw = two()?;
            return if raw == NI_FLOAT32 { None } else { float(raw) };
        }
        SunspecInt16 => {
            let w = one()?;
            (f64::from(w as i16), w == NI_INT16)
        }
        SunspecUint16 => {
            let w = one()?;
            (f64::from(w), w == NI_UINT16)
        }
        SunspecAcc16 => {
            let w = one()?;
            (f64::from(w), u32::from(w) == NI_ACC)
        }
        SunspecInt32 => {
            let w = two()?;
            (f64::from(w as i32), w == NI_INT32)
        }
        SunspecUint32 => {
            let w = two()?;
            (f64::from(w), w == NI_UINT32)
        }
        SunspecAcc32 => {
            let w = two()?;
            (f64::from(w), w == NI_ACC)
        }
    };
    if not_implemented {
        return None;
    }
    match scale {
        Some(sf) if ty.scalable() => Some(raw * 10f64.powi(scale_factor(sf)?)),
        _ => Some(raw),
    }
}

/// Encodes a value as a device with this word order would hold it (for simulators and tests).
pub fn encode_f32(v: f32, order: WordOrder) -> [u16; 2] {
    let [a, b, c, d] = v.to_bits().to_be_bytes();
    let (w0, w1) = match order {
        WordOrder::ABCD => ([a, b], [c, d]),
        WordOrder::CDAB => ([c, d], [a, b]),
        WordOrder::BADC => ([b, a], [d, c]),
        WordOrder::DCBA => ([d, c], [b, a]),
    };
    [u16::from_be_bytes(w0), u16::from_be_bytes(w1)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_float() {
        // DOMAIN.md: 230.5 → [0x4366, 0x8000] in ABCD.
        assert_eq!(
            decode(&[0x4366, 0x8000], DataType::F32, WordOrder::ABCD, None),
            Some(230.5)
        );
        assert_eq!(encode_f32(230.5, WordOrder::ABCD), [0x4366, 0x8000]);
        assert_eq!(encode_f32(230.5, WordOrder::CDAB), [0x8000, 0x4366]);
        assert_eq!(encode_f32(230.5, WordOrder::BADC), [0x6643, 0x0080]);
        assert_eq!(encode_f32(230.5, WordOrder::DCBA), [0x0080, 0x6643]);
        for order in [
            WordOrder::ABCD,
            WordOrder::CDAB,
            WordOrder::BADC,
            WordOrder::DCBA,
        ] {
            let w = encode_f32(-49.875, order);
            assert_eq!(
                decode(&w, DataType::F32, order, None),
                Some(-49.875),
                "{order:?}"
            );
        }
    }

    #[test]
    fn integers_and_markers() {
        assert_eq!(
            decode(&[0xFFFE], DataType::I16, WordOrder::ABCD, None),
            Some(-2.0)
        );
        assert_eq!(
            decode(&[0xFFFE], DataType::U16, WordOrder::ABCD, None),
            Some(65534.0)
        );
        // Plain types have no marker: a real 65535 or −32768 is a reading.
        assert_eq!(
            decode(&[0x8000], DataType::I16, WordOrder::ABCD, None),
            Some(-32768.0)
        );
        assert_eq!(
            decode(&[0xFFFF], DataType::U16, WordOrder::ABCD, None),
            Some(65535.0)
        );
        assert_eq!(
            decode(&[0xFFFF, 0xFFFF], DataType::U32, WordOrder::ABCD, None),
            Some(4_294_967_295.0)
        );
        assert_eq!(
            decode(&[0x0001, 0x0002], DataType::U32, WordOrder::ABCD, None),
            Some(65538.0)
        );
        assert_eq!(
            decode(&[0x0002, 0x0001], DataType::U32, WordOrder::CDAB, None),
            Some(65538.0)
        );
        assert_eq!(
            decode(&[0xFFFF, 0xFFFE], DataType::I32, WordOrder::ABCD, None),
            Some(-2.0)
        );
        assert_eq!(
            decode(&[0x7FC0, 0x0000], DataType::F32, WordOrder::ABCD, None),
            None
        );
        assert_eq!(
            decode(&[0x7F80, 0x0000], DataType::F32, WordOrder::ABCD, None),
            None,
            "infinity"
        );
        assert_eq!(
            decode(&[0x0001], DataType::U32, WordOrder::ABCD, None),
            None,
            "short"
        );
    }

    #[test]
    fn sunspec_scale_factors() {
        // 2305 × 10^-1 = 230.5; −5 × 10^2 = −500.
        assert_eq!(
            decode(
                &[2305],
                DataType::SunspecInt16,
                WordOrder::ABCD,
                Some((-1i16) as u16)
            ),
            Some(230.5)
        );
        assert_eq!(
            decode(
                &[(-5i16) as u16],
                DataType::SunspecInt16,
                WordOrder::ABCD,
                Some(2)
            ),
            Some(-500.0)
        );
        assert_eq!(
            decode(
                &[2305],
                DataType::SunspecInt16,
                WordOrder::ABCD,
                Some(0x8000)
            ),
            None
        );
        assert_eq!(
            decode(&[0x8000], DataType::SunspecInt16, WordOrder::ABCD, Some(1)),
            None
        );
    }

    #[test]
    fn sunspec_unsigned_accumulators_and_markers() {
        let d = |w: &[u16], ty, sf| decode(w, ty, WordOrder::ABCD, sf);
        // uint16 40000 with SF −2 is 40000 × 10^−2 = 400.00 (read as int16 it was
        // −25536 × 0.01 = −255.36).
        assert_eq!(
            d(&[40000], DataType::SunspecUint16, Some((-2i16) as u16)),
            Some(400.0)
        );
        // uint16's marker 0xFFFF is no value (as int16 × 0.01 it read −0.01).
        assert_eq!(
            d(&[0xFFFF], DataType::SunspecUint16, Some((-2i16) as u16)),
            None
        );
        // acc32: 0 means not accumulated; 0x0001_0000 = 65536 Wh × 10^3 = 65,536,000.
        assert_eq!(d(&[0, 0], DataType::SunspecAcc32, Some(3)), None);
        assert_eq!(
            d(&[1, 0], DataType::SunspecAcc32, Some(3)),
            Some(65_536_000.0)
        );
        assert_eq!(d(&[0], DataType::SunspecAcc16, None), None);
        assert_eq!(d(&[0x8000, 0], DataType::SunspecInt32, None), None);
        assert_eq!(d(&[0xFFFF, 0xFFFF], DataType::SunspecUint32, None), None);
        assert_eq!(d(&[0x7FC0, 0], DataType::SunspecFloat32, None), None);
        assert_eq!(
            d(&[0x4366, 0x8000], DataType::SunspecFloat32, None),
            Some(230.5)
        );
        // A SunSpec integer without a scale factor is unscaled.
        assert_eq!(d(&[1234], DataType::SunspecUint16, None), Some(1234.0));
    }
}
