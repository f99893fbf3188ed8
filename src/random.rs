//! Numbers from a seeded ChaCha20 stream that the simulations share (the demo's synthetic
//! province, the fieldwork simulation, the PAR rank intervals). Each stream's seed is derived
//! where it is used and documented there; these are only the conversions of its 64-bit
//! outputs, defined here once so that every simulation draws them the same way. Their outputs
//! are pinned by the tests of the modules that use them.
//!
//! (The satisfaction rank intervals, [`crate::ranks::Normals`], have a definition of their own,
//! with uniforms on `(0, 1]` and both halves of each Box–Muller pair.)

use rand_chacha::ChaCha20Rng;
use rand_core::Rng;

/// Uniform on `[0, 1)`: the top 53 bits of one 64-bit output, times `2^-53`.
pub fn uniform53(rng: &mut ChaCha20Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A standard normal deviate by Box–Muller, cosine half: `u1 = 1 − uniform53`, then
/// `u2 = uniform53`, and `sqrt(−2 ln u1) · cos(2π u2)` (two outputs per deviate).
pub fn standard_normal(rng: &mut ChaCha20Rng) -> f64 {
    let u1 = 1.0 - uniform53(rng);
    let u2 = uniform53(rng);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}
