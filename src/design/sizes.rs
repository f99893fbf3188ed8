//! The size formulas of a design: Yamane's, the margin of error's, and the allocation of a
//! total among strata within bounds; real-valued sizes rounded up after [`ROUNDING_SLACK`].

/// Subtracted before rounding a real-valued size up (see the [`crate::design`] documentation).
pub const ROUNDING_SLACK: f64 = 1e-9;

/// `ceil(x − ROUNDING_SLACK)`, at least 0.
pub(super) fn ceil_slack(x: f64) -> u64 {
    (x - ROUNDING_SLACK).ceil().max(0.0) as u64
}

/// The Ministry's formula: `ceil(N / (1 + N·e²))`.
///
/// ```
/// assert_eq!(chiso::design::yamane(400, 0.05), 200);
/// assert_eq!(chiso::design::yamane(10_000, 0.05), 385);
/// ```
pub fn yamane(big_n: u64, e: f64) -> u64 {
    let nn = big_n as f64;
    ceil_slack(nn / (1.0 + nn * e * e)).min(big_n)
}

/// The size for a target margin of error `e` on a proportion `p` at level `confidence`:
/// `n0 = z² p (1 − p) / e² · deff`, then the finite-population correction
/// `n = n0 / (1 + (n0 − 1) / N)`, then divided by the response rate, rounded up, at most `N`.
///
/// ```
/// // ±5 points at 95% for p = 0.5 in a large population: the textbook 385.
/// assert_eq!(chiso::design::margin(1_000_000_000, 0.05, 0.95, 0.5, 1.0, 1.0), 385);
/// ```
pub fn margin(big_n: u64, e: f64, confidence: f64, p: f64, deff: f64, response_rate: f64) -> u64 {
    use statrs::distribution::{ContinuousCDF, Normal};
    let z = Normal::standard().inverse_cdf(1.0 - (1.0 - confidence) / 2.0);
    let n0 = z * z * p * (1.0 - p) / (e * e) * deff;
    let nn = big_n as f64;
    let n = n0 / (1.0 + (n0 - 1.0) / nn);
    ceil_slack(n / response_rate).min(big_n)
}

/// Shares `total` in proportion to `weights` (all > 0) within `[lo_h, hi_h]`, keeping the total
/// (`Σ lo ≤ total ≤ Σ hi`). The real-valued allocation `clamp(λ·w_h, lo_h, hi_h)` is found by
/// bisection on `λ`; it is rounded down and the units left over go to the largest fractional
/// parts (ties to the first stratum).
pub fn allocate_bounded(total: u64, weights: &[f64], lo: &[u64], hi: &[u64]) -> Vec<u64> {
    let at = |lambda: f64| -> Vec<f64> {
        weights
            .iter()
            .zip(lo.iter().zip(hi))
            .map(|(w, (l, h))| (lambda * w).clamp(*l as f64, *h as f64))
            .collect()
    };
    let t = total as f64;
    let (mut a, mut b) = (0.0f64, 1.0f64);
    while at(b).iter().sum::<f64>() < t && b < 1e300 {
        b *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (a + b);
        if mid <= a || mid >= b {
            break;
        }
        if at(mid).iter().sum::<f64>() < t {
            a = mid;
        } else {
            b = mid;
        }
    }
    let x = at(b);
    let mut n: Vec<u64> = x.iter().map(|v| v.floor() as u64).collect();
    let assigned: u64 = n.iter().sum();
    let mut left = total.saturating_sub(assigned);
    let mut order: Vec<usize> = (0..n.len()).filter(|&i| n[i] < hi[i]).collect();
    order.sort_by(|&i, &j| {
        let (fi, fj) = (x[i] - x[i].floor(), x[j] - x[j].floor());
        fj.total_cmp(&fi).then(i.cmp(&j))
    });
    for i in order {
        if left == 0 {
            break;
        }
        n[i] += 1;
        left -= 1;
    }
    // Over-assignment cannot happen: floors never sum above the total.
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yamane_known_values() {
        assert_eq!(yamane(400, 0.05), 200);
        assert_eq!(yamane(1, 0.05), 1);
        assert_eq!(yamane(0, 0.05), 0);
        assert_eq!(yamane(1000, 0.05), 286);
    }

    #[test]
    fn margin_applies_fpc_deff_and_response() {
        // n0 = 1.959964² · 0.25 / 0.0025 = 384.146; FPC at N = 1000: 384.146 / 1.383 = 277.7 → 278.
        assert_eq!(margin(1000, 0.05, 0.95, 0.5, 1.0, 1.0), 278);
        assert!(margin(1000, 0.05, 0.95, 0.5, 2.0, 1.0) > 278);
        assert_eq!(margin(1000, 0.05, 0.95, 0.5, 1.0, 0.5), 556);
        assert_eq!(margin(10, 0.05, 0.95, 0.5, 1.0, 0.5), 10);
    }

    #[test]
    fn allocation_keeps_total_and_bounds() {
        let n = allocate_bounded(10, &[1.0, 1.0, 1.0], &[0, 0, 0], &[100, 100, 100]);
        assert_eq!(n, vec![4, 3, 3]);
        let n = allocate_bounded(100, &[1000.0, 10.0, 10.0], &[0, 0, 0], &[50, 100, 100]);
        assert_eq!(n, vec![50, 25, 25]);
        let n = allocate_bounded(30, &[1000.0, 1.0, 1.0], &[0, 5, 5], &[100, 100, 100]);
        assert_eq!(n, vec![20, 5, 5]);
    }
}
