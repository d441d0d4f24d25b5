//! From registers to values. Nothing is fabricated: a register holding a "not implemented"
//! marker, or a float that is not finite, yields no value.

use crate::config::{DataType, WordOrder};

/// SunSpec's "not implemented" markers.
const NI_I16: u16 = 0x8000;
const NI_U16: u16 = 0xFFFF;
const NI_U32: u32 = 0xFFFF_FFFF;
const NI_I32: u32 = 0x8000_0000;
const NI_F32: u32 = 0x7FC0_0000;

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

/// Decodes a point from its registers (`words` starts at the point's address); `scale` is
/// the scale-factor register for SunSpec points.
pub fn decode(words: &[u16], ty: DataType, order: WordOrder, scale: Option<u16>) -> Option<f64> {
    match ty {
        DataType::U16 => {
            let w = *words.first()?;
            (w != NI_U16).then_some(f64::from(w))
        }
        DataType::I16 => {
            let w = *words.first()?;
            (w != NI_I16).then_some(f64::from(w as i16))
        }
        DataType::SunspecI16 => {
            let w = *words.first()?;
            let sf = scale?;
            if w == NI_I16 || sf == NI_I16 {
                return None;
            }
            let sf = sf as i16;
            // SunSpec scale factors are small (−10..10); anything else is garbage.
            if !(-10..=10).contains(&sf) {
                return None;
            }
            Some(f64::from(w as i16) * 10f64.powi(i32::from(sf)))
        }
        DataType::U32 | DataType::I32 | DataType::F32 => {
            let w: [u16; 2] = words.get(..2)?.try_into().ok()?;
            let raw = bytes32(w, order);
            match ty {
                DataType::U32 => (raw != NI_U32).then_some(f64::from(raw)),
                DataType::I32 => (raw != NI_I32).then_some(f64::from(raw as i32)),
                _ => {
                    let f = f32::from_bits(raw);
                    (raw != NI_F32 && f.is_finite()).then_some(f64::from(f))
                }
            }
        }
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
        assert_eq!(
            decode(&[0x8000], DataType::I16, WordOrder::ABCD, None),
            None
        );
        assert_eq!(
            decode(&[0xFFFF], DataType::U16, WordOrder::ABCD, None),
            None
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
                DataType::SunspecI16,
                WordOrder::ABCD,
                Some((-1i16) as u16)
            ),
            Some(230.5)
        );
        assert_eq!(
            decode(
                &[(-5i16) as u16],
                DataType::SunspecI16,
                WordOrder::ABCD,
                Some(2)
            ),
            Some(-500.0)
        );
        assert_eq!(
            decode(&[2305], DataType::SunspecI16, WordOrder::ABCD, Some(0x8000)),
            None
        );
        assert_eq!(
            decode(&[0x8000], DataType::SunspecI16, WordOrder::ABCD, Some(1)),
            None
        );
    }
}
