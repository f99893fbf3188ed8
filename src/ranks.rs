//! Ranks of units within their group (`unit_group`: departments, communes), with a
//! rank interval that shows how much of a ranking ("3rd of 17") the sample can support.
//!
//! Ranked: the `overall` index and every element index, measure `satisfied_pct`; rank 1 is the
//! highest share satisfied. Equal estimates share the best of their ranks (1, 2, 2, 4). A unit
//! without an estimate, or whose standard error cannot be estimated (`se_note` of
//! `indices.csv`), is listed without a rank and does not count in `group_size`.
//!
//! # The rank interval
//!
//! A seeded parametric simulation, so that anyone re-running it gets the same numbers:
//!
//! 1. Each unit's estimate `p` (0–1) with standard error `se` is put on the logit scale,
//!    `θ = ln(p / (1 − p))` with standard error `s = se / (p (1 − p))` (the delta method; the
//!    same scale as the default `logit` interval, which keeps simulated shares inside 0–100%
//!    where satisfaction rates of 90–99% would otherwise spill over). When `p` is 0 or 1 or
//!    `se` is 0, the design gives no variance to draw from and `θ` (possibly ±∞) is held fixed;
//!    such an estimate on few answers is marked imprecise by its Clopper–Pearson interval.
//! 2. For each of `R` replicates (default 1000), every unit of the group gets
//!    `θ* = θ + s·z` with `z` a standard normal, and the units are ranked on `θ*` (the logit is
//!    increasing, so this is the ranking of the shares) with ties sharing the best rank.
//!    Units are drawn independently: strata are units by default, so their estimates are
//!    independent; with strata that cut across units this ignores their covariance.
//! 3. The rank interval is `[Q(0.025), Q(0.975)]` of a unit's `R` simulated ranks, with
//!    `Q(q) = r_(k)`, `k = ⌈q·R⌉` (at least 1), the `k`-th smallest (the inverse of the empirical
//!    distribution function, R's `quantile(type = 1)`); for `R = 1000`, the 25th and the 975th.
//!    It is widened, if needed, to contain the rank of the estimates themselves.
//!
//! Random numbers: one ChaCha20 stream (`rand_chacha::ChaCha20Rng`) per indicator and group,
//! keyed by `SHA-256("chiso-rank-interval-v1" ‖ field(seed) ‖ field(indicator) ‖ field(group))`,
//! `field(s) = u32le(len(s)) ‖ s`, with `seed` the `--rank-seed` text (default
//! [`DEFAULT_SEED`]) (`random::satisfaction_ranks`); so adding an element or a group
//! does not move another's intervals. A uniform is `u = ((x >> 11) + 1)·2⁻⁵³ ∈ (0, 1]` from
//! one `next_u64` `x`. Normals come in pairs by Box–Muller from two consecutive uniforms
//! `u₁, u₂`: `√(−2 ln u₁)·cos(2π u₂)`, then `√(−2 ln u₁)·sin(2π u₂)`
//! (`random::normal_pair`); they are used in order, replicate by replicate, units in
//! the order of their codes, one per ranked unit. Ranks are compared as floating-point numbers:
//! the result is the same on every run of a build; across platforms whose `ln`, `cos` or `sin`
//! differ in the last bit, a rank could change only if two simulated values met to the last bit.

use std::collections::{BTreeMap, HashMap};

use rand_chacha::ChaCha20Rng;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::files::indices::IndexRow;
use crate::flags::FlagSettings;
use crate::questionnaire::Questionnaire;
use crate::random;
use crate::responses::ResponseData;

pub use crate::files::ranks::RankRow;

/// The name of the simulation's stream derivation (`chiso-rank-interval-v1`, the prefix of
/// every key: `random::satisfaction_ranks`).
pub const STREAM_PREFIX: &str = random::domain::SATISFACTION_RANKS;

/// The `--rank-seed` used when none is given.
pub const DEFAULT_SEED: &str = "chiso-ranks";

/// The measure ranked.
pub const MEASURE: &str = "satisfied_pct";

/// How rank intervals are simulated (recorded in `ranks.json`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RankSettings {
    /// Replicates `R`.
    pub replicates: u32,
    /// The seed text.
    pub seed: String,
}

impl Default for RankSettings {
    fn default() -> RankSettings {
        RankSettings {
            replicates: 1000,
            seed: DEFAULT_SEED.to_string(),
        }
    }
}

/// The most replicates a rank simulation may have (the bound keeps a run's time and memory
/// in proportion; 1000 is the default).
pub const MAX_REPLICATES: u32 = 100_000;

impl RankSettings {
    /// Validated settings: at least 1 replicate (40 or more for the 2.5% and 97.5% quantiles
    /// to be distinct order statistics; 1000 is the default).
    pub fn new(replicates: u32, seed: &str) -> Result<RankSettings> {
        if replicates == 0 {
            return Err(Error::setting(
                "rank_replicates",
                0,
                "expected a whole number of replicates, such as 1000",
            ));
        }
        if replicates > MAX_REPLICATES {
            return Err(Error::setting(
                "rank_replicates",
                replicates,
                format!(
                    "expected at most {MAX_REPLICATES}: each replicate ranks every unit of every \
                     indicator, and beyond that the 2.5% and 97.5% quantiles no longer move"
                ),
            ));
        }
        Ok(RankSettings {
            replicates,
            seed: seed.to_string(),
        })
    }
}

/// Standard normals from a ChaCha20 stream, by Box–Muller on 53-bit uniforms
/// (`random::normal_pair`, used in order).
pub struct Normals {
    rng: ChaCha20Rng,
    spare: Option<f64>,
}

impl Normals {
    /// The stream of `seed`, `indicator` and `group` (see the module documentation,
    /// `random::satisfaction_ranks`).
    pub fn new(seed: &str, indicator: &str, group: &str) -> Normals {
        Normals {
            rng: random::satisfaction_ranks(seed, indicator, group),
            spare: None,
        }
    }

    /// The next standard normal.
    pub fn next_normal(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        let (cos, sin) = random::normal_pair(&mut self.rng);
        self.spare = Some(sin);
        cos
    }
}

/// Competition ranks (1 = largest; equal values share the best rank) of `values`.
pub fn ranks(values: &[f64]) -> Vec<u32> {
    let mut order = Order::default();
    let mut out = vec![0u32; values.len()];
    ranks_into(values, &mut order, &mut out);
    out
}

/// The scratch space of [`ranks_into`]: each value's sort item and room to sort them.
#[derive(Default)]
struct Order {
    items: Vec<u64>,
    spare: Vec<u64>,
}

/// [`ranks`] into `out`, with `order` as scratch space (both reused across calls).
///
/// The values are sorted with their positions, largest first (in the order of
/// [`f64::total_cmp`]) and equal values by position: a total order, with one result. Each
/// value becomes an integer key ([`descending_key`]) whose ascending order is that order. The
/// high 32 bits of the keys, with the positions below them, are sorted by a stable radix sort
/// ([`radix_sort_high`]) from the order of the positions; the rare runs of equal high bits
/// are then sorted by the whole key and position. The order is that of sorting by key and
/// position at once, in half the passes.
fn ranks_into(values: &[f64], order: &mut Order, out: &mut [u32]) {
    debug_assert!(values.len() <= u32::MAX as usize);
    order.items.clear();
    order.items.extend(
        values
            .iter()
            .enumerate()
            .map(|(i, &v)| (descending_key(v) & HIGH) | i as u64),
    );
    radix_sort_high(&mut order.items, &mut order.spare);
    let key_of = |item: u64| descending_key(values[(item & !HIGH) as usize]);
    let items = &mut order.items;
    let mut start = 0;
    while start < items.len() {
        let high = items[start] & HIGH;
        let end = start
            + 1
            + items[start + 1..]
                .iter()
                .take_while(|&&item| item & HIGH == high)
                .count();
        if end - start > 1 {
            items[start..end].sort_unstable_by_key(|&item| (key_of(item), item));
        }
        start = end;
    }
    let mut previous: Option<(f64, u32)> = None;
    for (pos, &item) in items.iter().enumerate() {
        let i = (item & !HIGH) as usize;
        let v = values[i];
        out[i] = match previous {
            Some((p, rank)) if p == v => rank,
            _ => pos as u32 + 1,
        };
        previous = Some((v, out[i]));
    }
}

/// The high 32 bits of a sort item (a key's), above its position.
const HIGH: u64 = !0 << 32;

/// Sorts `items` by their high 32 bits, stably (items with equal high bits keep their
/// order): a least-significant digit radix sort, a byte at a time, that passes over the bytes
/// all items share (the sign and exponent of values of one size, mostly). `spare` is room of
/// the same size.
fn radix_sort_high(items: &mut Vec<u64>, spare: &mut Vec<u64>) {
    let n = items.len();
    let mut counts = [[0u32; 256]; 4];
    for &item in items.iter() {
        for (byte, c) in counts.iter_mut().enumerate() {
            c[(item >> (32 + 8 * byte)) as usize & 0xff] += 1;
        }
    }
    spare.clear();
    spare.resize(n, 0);
    for (byte, c) in counts.iter_mut().enumerate() {
        if c.iter().any(|&k| k as usize == n) {
            // Every item has the same byte here: this pass would leave the order as it is.
            continue;
        }
        let mut at = 0u32;
        for k in c.iter_mut() {
            (*k, at) = (at, at + *k);
        }
        let shift = 32 + 8 * byte;
        for &item in items.iter() {
            let d = (item >> shift) as usize & 0xff;
            spare[c[d] as usize] = item;
            c[d] += 1;
        }
        std::mem::swap(items, spare);
    }
}

/// A key whose ascending order is the descending order of [`f64::total_cmp`].
fn descending_key(v: f64) -> u64 {
    let bits = v.to_bits() as i64;
    // As `total_cmp` does: negative values' other bits flipped, then the sign bit.
    let total = bits ^ ((((bits >> 63) as u64) >> 1) as i64);
    !((total as u64) ^ (1 << 63))
}

/// `(Q(0.025), Q(0.975))` of the ranks `s` ([`quantile`]), found by selection rather than by
/// sorting `s` (which they leave reordered).
fn rank_quantiles(s: &mut [u32]) -> (u32, u32) {
    let at = |per_mille: u64| ((s.len() as u64 * per_mille).div_ceil(1000).max(1) - 1) as usize;
    let (lo, hi) = (at(25), at(975));
    let (_, &mut lower, right) = s.select_nth_unstable(lo);
    let upper = if hi == lo {
        lower
    } else {
        *right.select_nth_unstable(hi - lo - 1).1
    };
    (lower, upper)
}

/// `Q(q)` of sorted ranks with `q = per_mille / 1000`: the `⌈q·R⌉`-th smallest (at least the
/// first), computed in integers (the definition [`rank_quantiles`] is tested against).
#[cfg(test)]
fn quantile(sorted: &[u32], per_mille: u64) -> u32 {
    let r = sorted.len() as u64;
    let k = (r * per_mille).div_ceil(1000).max(1);
    sorted[(k - 1) as usize]
}

/// Rank intervals of the values `(θ, s)` of one group: for each, the point rank and the interval.
fn simulate(theta: &[f64], sd: &[f64], normals: &mut Normals, replicates: u32) -> Vec<[u32; 3]> {
    let k = theta.len();
    let point = ranks(theta);
    // Each value's ranks, one replicate after another: value `i`'s in `sims[i * R..][..R]`.
    let r = replicates as usize;
    let mut sims = vec![0u32; k * r];
    let mut draw = vec![0.0f64; k];
    let (mut order, mut drawn) = (Order::default(), vec![0u32; k]);
    for replicate in 0..r {
        for i in 0..k {
            let z = normals.next_normal();
            draw[i] = if sd[i] > 0.0 {
                theta[i] + sd[i] * z
            } else {
                theta[i]
            };
        }
        ranks_into(&draw, &mut order, &mut drawn);
        for (i, &rank) in drawn.iter().enumerate() {
            sims[i * r + replicate] = rank;
        }
    }
    sims.chunks_exact_mut(r.max(1))
        .zip(point)
        .map(|(s, p)| {
            let (lower, upper) = rank_quantiles(s);
            [p, lower.min(p), upper.max(p)]
        })
        .collect()
}

/// The logit of a share in percent and the standard error on that scale (0 when the design
/// gives none).
fn logit(estimate: f64, se: f64) -> (f64, f64) {
    let p = estimate / 100.0;
    if p <= 0.0 {
        (f64::NEG_INFINITY, 0.0)
    } else if p >= 1.0 {
        (f64::INFINITY, 0.0)
    } else {
        let s = se / 100.0 / (p * (1.0 - p));
        ((p / (1.0 - p)).ln(), if s.is_finite() { s } else { 0.0 })
    }
}

/// The rank rows: for `overall` then each element (questionnaire order), groups in order of
/// their names, units by rank then code; units without an estimate last. On the machine's
/// threads ([`compute_with_threads`]).
pub fn compute(
    q: &Questionnaire,
    data: &ResponseData,
    rows: &[IndexRow],
    precision: &FlagSettings,
    settings: &RankSettings,
) -> Vec<RankRow> {
    let threads = crate::index::default_threads();
    compute_with_threads(q, data, rows, precision, settings, threads)
}

/// One ranking: an indicator within a group, its units with a rank (and their rows), the
/// others, and the logits and their standard errors to simulate.
struct Ranking<'a> {
    indicator: &'a str,
    group: &'a str,
    ranked: Vec<(usize, &'a IndexRow)>,
    unranked: Vec<RankRow>,
    theta: Vec<f64>,
    sd: Vec<f64>,
}

/// [`compute`] on `threads` threads: each ranking (an indicator within a group) is simulated
/// from its own stream, so the rows do not depend on `threads`.
pub fn compute_with_threads(
    q: &Questionnaire,
    data: &ResponseData,
    rows: &[IndexRow],
    precision: &FlagSettings,
    settings: &RankSettings,
    threads: usize,
) -> Vec<RankRow> {
    let by_key: HashMap<(&str, &str), &IndexRow> = rows
        .iter()
        .filter(|r| r.measure == MEASURE)
        .map(|r| ((r.domain.as_str(), r.indicator.as_str()), r))
        .collect();
    let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for u in 0..data.units.len() {
        let g = data.unit_groups.get(u).map(String::as_str).unwrap_or("");
        groups.entry(g).or_default().push(u);
    }
    let indicators: Vec<String> = std::iter::once("overall".to_string())
        .chain(q.elements.iter().map(|e| format!("element:{}", e.code)))
        .collect();
    let row_of = |group: &str, indicator: &str, u: usize, r: Option<&IndexRow>| RankRow {
        unit_group: group.to_string(),
        domain: data.units[u].clone(),
        unit_name: data.unit_names.get(u).cloned().unwrap_or_default(),
        indicator: indicator.to_string(),
        measure: MEASURE,
        estimate: r.and_then(|r| r.estimate),
        ci_lower: r.and_then(|r| r.ci_lower),
        ci_upper: r.and_then(|r| r.ci_upper),
        n: r.map_or(0, |r| r.n),
        rank: None,
        rank_lower: None,
        rank_upper: None,
        group_size: 0,
        imprecise: precision.imprecise(
            r.map_or(0, |r| r.n),
            r.and_then(|r| r.ci_lower),
            r.and_then(|r| r.ci_upper),
        ),
    };
    let mut rankings: Vec<Ranking<'_>> = Vec::new();
    for indicator in &indicators {
        for (&group, units) in &groups {
            let mut ranked: Vec<(usize, &IndexRow)> = Vec::new();
            let mut unranked: Vec<RankRow> = Vec::new();
            for &u in units {
                match by_key.get(&(data.units[u].as_str(), indicator.as_str())) {
                    // A unit whose standard error cannot be estimated has no rank: its
                    // uncertainty is unknown.
                    Some(r) if r.estimate.is_some() && r.std_error.is_some() => ranked.push((u, r)),
                    r => unranked.push(row_of(group, indicator, u, r.copied())),
                }
            }
            let (theta, sd): (Vec<f64>, Vec<f64>) = ranked
                .iter()
                .map(|(_, r)| logit(r.estimate.expect("ranked"), r.std_error.expect("ranked")))
                .unzip();
            rankings.push(Ranking {
                indicator,
                group,
                ranked,
                unranked,
                theta,
                sd,
            });
        }
    }
    let simulated = in_parallel(&rankings, threads, |r| {
        let mut normals = Normals::new(&settings.seed, r.indicator, r.group);
        simulate(&r.theta, &r.sd, &mut normals, settings.replicates)
    });
    let mut out = Vec::new();
    for (ranking, result) in rankings.into_iter().zip(simulated) {
        let size = ranking.ranked.len() as u32;
        let mut rows: Vec<RankRow> = ranking
            .ranked
            .iter()
            .zip(result)
            .map(|(&(u, r), [p, lo, hi])| RankRow {
                rank: Some(p),
                rank_lower: Some(lo),
                rank_upper: Some(hi),
                group_size: size,
                ..row_of(ranking.group, ranking.indicator, u, Some(r))
            })
            .collect();
        rows.sort_by(|a, b| a.rank.cmp(&b.rank).then_with(|| a.domain.cmp(&b.domain)));
        let mut unranked = ranking.unranked;
        for r in &mut unranked {
            r.group_size = size;
        }
        out.extend(rows);
        out.extend(unranked);
    }
    out
}

/// `f` of every task, in the tasks' order, on up to `threads` threads (task `i` on thread
/// `i mod threads`).
fn in_parallel<T: Sync, R: Send>(
    tasks: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let threads = threads.clamp(1, tasks.len().max(1));
    if threads == 1 {
        return tasks.iter().map(&f).collect();
    }
    let mut done: Vec<Option<R>> = (0..tasks.len()).map(|_| None).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let f = &f;
                scope.spawn(move || {
                    (t..tasks.len())
                        .step_by(threads)
                        .map(|i| (i, f(&tasks[i])))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            for (i, r) in h.join().expect("a rank simulation does not panic") {
                done[i] = Some(r);
            }
        }
    });
    done.into_iter()
        .map(|r| r.expect("every task ran"))
        .collect()
}

/// The columns of `ranks.csv` (defined with the file, in [`crate::files::ranks`]).
pub use crate::files::ranks::COLUMNS;

#[derive(Serialize)]
struct Published<'a> {
    settings: &'a RankSettings,
    method: &'a str,
    stream: &'a str,
    interval: &'a str,
    precision: &'a FlagSettings,
    engine_version: &'a str,
    provenance: &'a crate::provenance::Provenance,
    rows: &'a [RankRow],
}

/// The files [`files`] makes.
pub(crate) const FILES: [&str; 2] = ["ranks.csv", "ranks.json"];

/// `ranks.csv` and `ranks.json` (settings, provenance and rows): names ([`FILES`]) and bytes.
pub(crate) fn files(
    settings: &RankSettings,
    precision: &FlagSettings,
    provenance: &crate::provenance::Provenance,
    rows: &[RankRow],
) -> [(&'static str, Vec<u8>); 2] {
    let csv = crate::files::ranks::to_csv(rows);
    let json = serde_json::to_vec_pretty(&Published {
        settings,
        method: "parametric simulation on the logit scale, units independent",
        stream: STREAM_PREFIX,
        interval: "quantiles 0.025 and 0.975, type 1 (k = ceil(q R))",
        precision,
        engine_version: env!("CARGO_PKG_VERSION"),
        provenance,
        rows,
    })
    .expect("rows serialise");
    [(FILES[0], csv), (FILES[1], json)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_share_the_best_rank() {
        assert_eq!(ranks(&[90.0, 95.0, 95.0, 80.0]), vec![3, 1, 1, 4]);
        assert_eq!(ranks(&[f64::INFINITY, 1.0, 1.0]), vec![1, 2, 2]);
        assert!(ranks(&[]).is_empty());
    }

    /// The ranks by sorting `(value, position)` pairs with [`f64::total_cmp`], as defined.
    fn ranks_by_pairs(values: &[f64]) -> Vec<u32> {
        let mut order: Vec<(f64, u32)> = values
            .iter()
            .enumerate()
            .map(|(i, &v)| (v, i as u32))
            .collect();
        order.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut out = vec![0u32; values.len()];
        for pos in 0..order.len() {
            let (v, i) = order[pos];
            out[i as usize] = if pos > 0 && order[pos - 1].0 == v {
                out[order[pos - 1].1 as usize]
            } else {
                pos as u32 + 1
            };
        }
        out
    }

    #[test]
    fn the_radix_sort_is_a_stable_sort_by_the_high_bits() {
        let mut rng = crate::random::demo(7, "ranks-test-radix");
        let mut next = || rand_core::Rng::next_u64(&mut rng);
        let (mut items, mut spare) = (Vec::new(), Vec::new());
        for n in [0usize, 1, 2, 3, 17, 256, 1000] {
            for _ in 0..20 {
                // High bits that share some bytes (or all), with ties; positions below them.
                let (mask, base) = (next() & next(), next());
                items.clear();
                items.extend((0..n as u64).map(|i| ((base ^ (next() & mask & !0xf0)) & HIGH) | i));
                let mut want = items.clone();
                want.sort_by_key(|&item| item >> 32);
                radix_sort_high(&mut items, &mut spare);
                assert_eq!(items, want);
            }
        }
    }

    #[test]
    fn keyed_ranks_are_the_ranks_of_the_pairs() {
        let special = [
            0.0,
            -0.0,
            1.5,
            -1.5,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            -f64::NAN,
            f64::MIN_POSITIVE,
            -f64::MIN_POSITIVE,
            f64::MAX,
            f64::MIN,
        ];
        let mut rng = crate::random::demo(7, "ranks-test-keys");
        let mut below = |m: usize| (rand_core::Rng::next_u32(&mut rng) as usize) % m;
        for n in [0usize, 1, 2, 5, 40, 300] {
            for _ in 0..20 {
                let values: Vec<f64> = (0..n)
                    .map(|_| {
                        let u = below(special.len() + 4);
                        special
                            .get(u)
                            .copied()
                            .unwrap_or_else(|| below(6) as f64 - 3.0)
                    })
                    .collect();
                assert_eq!(ranks(&values), ranks_by_pairs(&values), "{values:?}");
            }
        }
    }

    #[test]
    fn values_that_differ_only_in_their_low_bits_are_ranked_by_them() {
        // Keys with the same high 32 bits, so that the sort's last step orders them.
        let mut rng = crate::random::demo(7, "ranks-test-low-bits");
        let mut below = |m: u64| rand_core::Rng::next_u64(&mut rng) % m;
        for n in [2usize, 3, 10, 100, 1000] {
            for _ in 0..20 {
                let values: Vec<f64> = (0..n)
                    .map(|_| {
                        let base = [1.0f64, -1.0, 2.5, -0.0][below(4) as usize];
                        f64::from_bits(base.to_bits() ^ below(1 << 12))
                    })
                    .collect();
                assert_eq!(ranks(&values), ranks_by_pairs(&values), "{values:?}");
            }
        }
    }

    #[test]
    fn selected_quantiles_are_the_sorted_ones() {
        let mut rng = crate::random::demo(7, "ranks-test-quantiles");
        for r in [1usize, 2, 3, 39, 40, 41, 999, 1000, 1001] {
            let mut s: Vec<u32> = (0..r)
                .map(|_| 1 + rand_core::Rng::next_u32(&mut rng) % 49)
                .collect();
            let mut sorted = s.clone();
            sorted.sort_unstable();
            let want = (quantile(&sorted, 25), quantile(&sorted, 975));
            assert_eq!(rank_quantiles(&mut s), want, "R = {r}");
        }
    }

    #[test]
    fn quantiles_are_type_1() {
        let s: Vec<u32> = (1..=1000).collect();
        assert_eq!(quantile(&s, 25), 25);
        assert_eq!(quantile(&s, 975), 975);
        assert_eq!(quantile(&[7], 25), 7);
        let s: Vec<u32> = (1..=10).collect();
        // ⌈0.25⌉ = 1, ⌈9.75⌉ = 10.
        assert_eq!((quantile(&s, 25), quantile(&s, 975)), (1, 10));
    }

    #[test]
    fn normals_are_pinned() {
        // value stability: the first normals of a fixed stream.
        let mut n = Normals::new("seed", "overall", "xa");
        let z: Vec<f64> = (0..4).map(|_| n.next_normal()).collect();
        let mut again = Normals::new("seed", "overall", "xa");
        assert_eq!(z, (0..4).map(|_| again.next_normal()).collect::<Vec<_>>());
        let mut other = Normals::new("seed", "overall", "huyen");
        assert_ne!(z[0], other.next_normal());
        let pinned = PINNED_NORMALS;
        for (a, b) in z.iter().zip(pinned) {
            assert_eq!(a.to_bits(), b.to_bits(), "{z:?}");
        }
    }

    /// The first four normals of stream ("seed", "overall", "xa"): a change here changes every
    /// published rank interval and belongs under "Reproducibility-breaking changes".
    const PINNED_NORMALS: [f64; 4] = [
        0.387590107694585,
        -0.08131760822297096,
        0.30177915866805993,
        0.5383036148024101,
    ];

    #[test]
    fn normals_have_mean_zero_and_unit_variance() {
        let mut n = Normals::new("moments", "overall", "");
        let m = 200_000;
        let (mut s, mut s2) = (0.0, 0.0);
        for _ in 0..m {
            let z = n.next_normal();
            s += z;
            s2 += z * z;
        }
        let mean = s / m as f64;
        let var = s2 / m as f64 - mean * mean;
        // Standard errors: 1/√m ≈ 0.0022 for the mean, √(2/m) ≈ 0.0032 for the variance.
        assert!(mean.abs() < 0.01, "{mean}");
        assert!((var - 1.0).abs() < 0.015, "{var}");
    }

    #[test]
    fn the_interval_follows_the_probability_of_a_swap() {
        // Two units with s = 1 on the logit scale: they swap with probability
        // Φ(−d/√2). At d = 2.326 that is 5% (> 2.5%: the interval reaches rank 2); at
        // d = 3.290 it is 0.5% (< 2.5%: rank 1 for certain). Monte Carlo error at R = 4000:
        // ±0.35 and ±0.11 points.
        let mut n = Normals::new("swap", "overall", "");
        let r = simulate(&[2.326, 0.0], &[1.0, 1.0], &mut n, 4000);
        assert_eq!(r, vec![[1, 1, 2], [2, 1, 2]]);
        let r = simulate(&[3.290, 0.0], &[1.0, 1.0], &mut n, 4000);
        assert_eq!(r, vec![[1, 1, 1], [2, 2, 2]]);
    }

    #[test]
    fn far_apart_units_have_point_intervals_and_close_ones_overlap() {
        let mut n = Normals::new("t", "overall", "");
        // Logits 3, 0, −3 with small errors: ranks certain.
        let r = simulate(&[3.0, 0.0, -3.0], &[0.01, 0.01, 0.01], &mut n, 1000);
        assert_eq!(r, vec![[1, 1, 1], [2, 2, 2], [3, 3, 3]]);
        // Two equal estimates with large errors: each may be first or second.
        let r = simulate(&[1.0, 1.0, -5.0], &[0.5, 0.5, 0.0], &mut n, 1000);
        assert_eq!(r, vec![[1, 1, 2], [1, 1, 2], [3, 3, 3]]);
    }
}
