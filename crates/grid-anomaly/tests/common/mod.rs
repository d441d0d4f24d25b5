//! What the engine's tests share.

/// Deterministic white noise, σ = 1 (splitmix64 of the index, three uniforms summed).
pub fn wiggle(i: usize) -> f64 {
    let mut z = (i as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut u = 0.0;
    for _ in 0..3 {
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        u += (z >> 11) as f64 / (1u64 << 53) as f64;
    }
    2.0 * (u - 1.5)
}
