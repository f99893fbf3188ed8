//! The draw (`chiso-keyed-chacha20-v1`, specified in `docs/draw-algorithm.md`): every frame
//! member gets a 64-bit key from ChaCha20 keyed by the seed, on a stream derived from its
//! stratum and identifier (`random::draw_key`, `random::draw_member`); the official list is
//! the `n_h` smallest keys of the stratum, the reserves the next `r_h`.
//!
//! Keys depend on nothing but (seed, stratum, applicant), so the draw does not depend on row
//! order, file format, platform or thread count, and one stratum's records never move
//! another's lists.

use rand_core::Rng;

use crate::design::StratumSize;
use crate::frame::{Frame, Stratum};
use crate::random;

/// The algorithm's identifier, recorded in every manifest.
pub const ALGORITHM: &str = "chiso-keyed-chacha20-v1";

/// The seed text as it is drawn with and published: Unicode NFC (composed accents) with the
/// white space around it removed, so that a seed retyped from a newspaper, in a system that
/// writes Vietnamese decomposed or adds a space, gives the same lists
/// (`docs/draw-algorithm.md` §5).
///
/// ```
/// // "Xổ số" typed with combining accents, and a trailing space.
/// let typed = "Xo\u{0302}\u{0309} so\u{0302}\u{0301} 123456 ";
/// assert_eq!(chiso::draw::normalize_seed(typed), "Xổ số 123456");
/// ```
pub fn normalize_seed(seed: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    seed.trim().nfc().collect()
}

/// The ChaCha20 key derived from a published seed text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeedKey([u8; 32]);

impl SeedKey {
    /// `SHA256("chiso-draw-v1" || 0x00 || seed)` (`random::draw_key`).
    pub fn new(seed: &str) -> SeedKey {
        SeedKey(random::draw_key(seed))
    }

    /// The draw key of applicant `applicant` in the stratum with values `values`: the first
    /// output of its stream (`random::draw_member`).
    ///
    /// ```
    /// use chiso::draw::SeedKey;
    /// let k = SeedKey::new("20240101-12345");
    /// assert_eq!(k.member_key(&["UBND-01"], "A001"), 6897598764896803395);
    /// ```
    pub fn member_key<S: AsRef<str>>(&self, values: &[S], applicant: &str) -> u64 {
        random::draw_member(&self.0, values, applicant).next_u64()
    }
}

/// The lists drawn in one stratum: indices into its members.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StratumDraw {
    /// The official list, in rank order.
    pub official: Vec<u32>,
    /// The reserve list, in rank order.
    pub reserve: Vec<u32>,
    /// The key of every member, in member order.
    pub keys: Vec<u64>,
}

/// Draws one stratum: the `size.n` smallest keys (ties by applicant id) are official, the next
/// `size.reserve` are reserves.
pub fn draw_stratum(seed: &SeedKey, stratum: &Stratum, size: StratumSize) -> StratumDraw {
    let keys: Vec<u64> = stratum
        .members
        .iter()
        .map(|m| seed.member_key(&stratum.values, &m.applicant_id))
        .collect();
    let take = (size.n + size.reserve).min(stratum.size()) as usize;
    let mut order: Vec<u32> = (0..stratum.members.len() as u32).collect();
    // Members are sorted by applicant id, so the index breaks key ties the same way.
    let by_key = |a: &u32, b: &u32| keys[*a as usize].cmp(&keys[*b as usize]).then(a.cmp(b));
    if take < order.len() && take > 0 {
        order.select_nth_unstable_by(take - 1, by_key);
    }
    order.truncate(take);
    order.sort_unstable_by(by_key);
    let reserve = order.split_off((size.n as usize).min(order.len()));
    StratumDraw {
        official: order,
        reserve,
        keys,
    }
}

/// Draws every stratum of `frame` with the sizes in `sizes` (frame order), on up to `threads`
/// threads. The result does not depend on `threads`.
pub fn draw(
    frame: &Frame,
    sizes: &[StratumSize],
    seed: &SeedKey,
    threads: usize,
) -> Vec<StratumDraw> {
    assert_eq!(frame.strata.len(), sizes.len(), "one size per stratum");
    let jobs: Vec<(&Stratum, StratumSize)> =
        frame.strata.iter().zip(sizes.iter().copied()).collect();
    let threads = threads.clamp(1, jobs.len().max(1));
    if threads == 1 {
        return jobs
            .iter()
            .map(|(s, z)| draw_stratum(seed, s, *z))
            .collect();
    }
    // Share the strata among threads by member count; each result goes to its own slot.
    let mut out: Vec<Option<StratumDraw>> = vec![None; jobs.len()];
    let total: u64 = frame.members().max(1);
    let mut bounds = vec![0usize];
    let mut acc = 0u64;
    for (i, (s, _)) in jobs.iter().enumerate() {
        acc += s.size();
        if acc * threads as u64 >= total * bounds.len() as u64 && bounds.len() < threads {
            bounds.push(i + 1);
        }
    }
    bounds.push(jobs.len());
    bounds.dedup();
    std::thread::scope(|scope| {
        let mut rest: &mut [Option<StratumDraw>] = &mut out;
        let mut start = 0;
        for w in bounds.windows(2) {
            let (chunk, tail) = rest.split_at_mut(w[1] - start);
            rest = tail;
            let slice = &jobs[w[0]..w[1]];
            start = w[1];
            scope.spawn(move || {
                for (slot, (s, z)) in chunk.iter_mut().zip(slice) {
                    *slot = Some(draw_stratum(seed, s, *z));
                }
            });
        }
    });
    out.into_iter()
        .map(|d| d.expect("every stratum drawn"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_match_the_independent_implementation() {
        // Values computed by tools/redraw.py (its own ChaCha20) for the same inputs.
        let k = SeedKey::new("20240101-12345");
        assert_eq!(k.member_key(&["UBND-01"], "A001"), 6897598764896803395);
    }
}
