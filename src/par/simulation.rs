//! Ranks, their quantiles, and the seeded normal deviates of the rank simulation
//! (`chiso-par-ranks-v1`, specified in the module documentation of [`crate::par`] and in
//! `docs/par.md`).

use crate::random::{self, standard_normal};

use super::{QUANTILE_ALLOWANCE, TIE_TOLERANCE};

/// Ranks `members` by `values`, highest first; values within [`TIE_TOLERANCE`] share the best
/// rank.
pub(super) fn rank_group(values: &[f64], members: &[usize], ranks: &mut [u32]) {
    for &u in members {
        let above = members
            .iter()
            .filter(|&&v| values[v] > values[u] + TIE_TOLERANCE)
            .count();
        ranks[u] = 1 + above as u32;
    }
}

/// The `⌈q·R⌉`-th smallest of the sorted `draws` (R's quantile type 1).
pub(super) fn quantile(sorted: &[u32], q: f64) -> u32 {
    let r = sorted.len();
    let k = ((q * r as f64 - QUANTILE_ALLOWANCE).ceil() as usize).clamp(1, r);
    sorted[k - 1]
}

/// The first `count` deviates of unit `unit_code` under `seed`, as the rank simulation draws
/// them (for auditors re-implementing the simulation, and for tests).
///
/// ```
/// let z = chiso::par::deviates("2025", "SO-01", 3);
/// assert_eq!(z.len(), 3);
/// assert_eq!(z, chiso::par::deviates("2025", "SO-01", 3));
/// ```
pub fn deviates(seed: &str, unit_code: &str, count: usize) -> Vec<f64> {
    let mut rng = random::par_unit(&random::par_ranks_key(seed), unit_code);
    (0..count).map(|_| standard_normal(&mut rng)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_follow_type_one() {
        let d: Vec<u32> = (1..=1000).collect();
        assert_eq!(quantile(&d, (1.0 - 0.95) / 2.0), 25);
        assert_eq!(quantile(&d, 1.0 - (1.0 - 0.95) / 2.0), 975);
        assert_eq!(quantile(&[3, 4, 9], 0.025), 3);
        assert_eq!(quantile(&[3, 4, 9], 0.975), 9);
        assert_eq!(quantile(&[3, 4, 9], 0.5), 4);
    }

    #[test]
    fn ties_share_the_best_rank() {
        let mut ranks = vec![0; 5];
        rank_group(
            &[80.0, 90.0, 80.0 + 1e-12, 70.0, 99.0],
            &[0, 1, 2, 3],
            &mut ranks,
        );
        assert_eq!(ranks, [2, 1, 2, 4, 0]);
    }

    #[test]
    fn deviates_are_standard_normal_and_pinned() {
        let z = deviates("test", "U1", 20_000);
        let mean = z.iter().sum::<f64>() / z.len() as f64;
        let var = z.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (z.len() - 1) as f64;
        assert!(mean.abs() < 0.03, "{mean}");
        assert!((var - 1.0).abs() < 0.04, "{var}");
        assert_eq!(
            deviates("golden-2025", "U1", 3),
            [1.391537771852575, -0.6275480571566912, 1.1740553458152538]
        );
        // Independent units, same seed: different streams.
        assert_ne!(deviates("test", "U2", 1), deviates("test", "U1", 1));
    }
}
