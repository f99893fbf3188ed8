//! The synthetic responses of the index benchmark (shared with `examples/index_bench_data.rs`,
//! which writes them to files for other tools): 1,000,000 respondents in 1,000 units (one
//! stratum per unit, `N_h` between 2,000 and 40,000), 22 items, about 5% of answers missing,
//! from a fixed SplitMix64 seed.

use chiso::questionnaire::Questionnaire;
use chiso::responses::{NO_ANSWER, NO_OFFICER, ResponseData};

/// Respondents.
pub const RESPONDENTS: usize = 1_000_000;
/// Units (= strata).
pub const UNITS: usize = 1_000;

/// A fixed-seed generator (SplitMix64) for the synthetic answers.
pub struct SplitMix(pub u64);

impl SplitMix {
    /// The next number.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// The responses to `q` (22 items).
pub fn responses(q: &Questionnaire) -> ResponseData {
    let mut g = SplitMix(2024);
    let items = q.items.len();
    let mut answers: Vec<Vec<u8>> = (0..items)
        .map(|_| Vec::with_capacity(RESPONDENTS))
        .collect();
    let mut unit_of = Vec::with_capacity(RESPONDENTS);
    for _ in 0..RESPONDENTS {
        let u = (g.next() % UNITS as u64) as u32;
        unit_of.push(u);
        let r = g.next();
        for (k, col) in answers.iter_mut().enumerate() {
            let bits = (r >> (2 * k)) & 0xff;
            col.push(if bits < 13 {
                NO_ANSWER
            } else {
                // Mostly 4 and 5, some 3, few 1 and 2.
                [1, 2, 3, 3, 4, 4, 4, 4, 5, 5, 5, 4, 5, 4, 5, 3][(bits % 16) as usize]
            });
        }
    }
    let population: Vec<f64> = (0..UNITS)
        .map(|_| 2_000.0 + (g.next() % 38_001) as f64)
        .collect();
    let weight = chiso::weights::stratum_weights(&unit_of, &population);
    ResponseData {
        strata: (0..UNITS).map(|u| format!("U{u:04}")).collect(),
        population,
        stratum_of: unit_of.clone(),
        units: (0..UNITS).map(|u| format!("U{u:04}")).collect(),
        unit_of,
        answers,
        officers: Vec::new(),
        officer_of: vec![NO_OFFICER; RESPONDENTS],
        unit_groups: vec![String::new(); UNITS],
        rows: (2..2 + RESPONDENTS as u64).collect(),
        weight,
        calibration: None,
        auxiliary: Default::default(),
        invalid: None,
        response_rates: None,
        unit_names: vec![String::new(); UNITS],
    }
}
