//! The synthetic responses of the index benchmark (shared with `examples/index_bench_data.rs`,
//! which writes them to files for other tools): 1,000,000 respondents in 1,000 units (one
//! stratum per unit, `N_h` between 2,000 and 40,000), 22 items, about 5% of answers missing,
//! from a fixed SplitMix64 seed.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use chiso::questionnaire::Questionnaire;
use chiso::responses::{NO_ANSWER, NO_OFFICER, ResponseData};

/// The benchmarks' questionnaire: the shipped five-element one (22 items), whatever the demo
/// answers.
pub const FIVE_ELEMENTS: &str = include_str!("../../questionnaires/sipas-5-elements.toml");

/// [`FIVE_ELEMENTS`], read.
pub fn questionnaire() -> Questionnaire {
    Questionnaire::from_spec(
        toml::from_str(FIVE_ELEMENTS).expect("the shipped questionnaire"),
        "sipas-5-elements.toml",
    )
    .expect("the shipped questionnaire is valid")
}

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

/// The responses to `q` (22 items): the benchmark's data set, [`RESPONDENTS`] in [`UNITS`].
pub fn responses(q: &Questionnaire) -> ResponseData {
    responses_sized(q, RESPONDENTS, UNITS)
}

/// The responses to `q` for `respondents` in `units` units, drawn as [`responses`] draws them
/// (the same stream of numbers; with the default sizes the same data).
pub fn responses_sized(q: &Questionnaire, respondents: usize, units: usize) -> ResponseData {
    let mut g = SplitMix(2024);
    let items = q.items.len();
    let mut answers: Vec<Vec<u8>> = (0..items)
        .map(|_| Vec::with_capacity(respondents))
        .collect();
    let mut unit_of = Vec::with_capacity(respondents);
    for _ in 0..respondents {
        let u = (g.next() % units as u64) as u32;
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
    let population: Vec<f64> = (0..units)
        .map(|_| 2_000.0 + (g.next() % 38_001) as f64)
        .collect();
    let weight = chiso::weights::stratum_weights(&unit_of, &population);
    ResponseData {
        strata: (0..units).map(|u| format!("U{u:04}")).collect(),
        population,
        stratum_of: unit_of.clone(),
        units: (0..units).map(|u| format!("U{u:04}")).collect(),
        unit_of,
        answers,
        officers: Vec::new(),
        officer_of: vec![NO_OFFICER; respondents],
        unit_groups: vec![String::new(); units],
        rows: (2..2 + respondents as u64).collect(),
        weight,
        calibration: None,
        auxiliary: Default::default(),
        invalid: None,
        response_rates: None,
        unit_names: vec![String::new(); units],
        source: Default::default(),
        not_entered: None,
        dates: Vec::new(),
    }
}

/// Writes `data` (responses to [`FIVE_ELEMENTS`]) into `dir` as `chiso index --population`
/// reads it: `responses.csv` (`unit_code,Q01,...,Q22`, one row per respondent in the
/// generator's order, an empty cell for no answer), `population.csv` (`stratum,population`)
/// and `questionnaire.toml`. The message of a failure names the file.
pub fn write_files(q: &Questionnaire, data: &ResponseData, dir: &Path) -> Result<(), String> {
    let create = |path: &Path| {
        File::create(path)
            .map(|f| BufWriter::with_capacity(1 << 20, f))
            .map_err(|e| format!("{}: cannot create: {e}", path.display()))
    };
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |e: std::io::Error| format!("{path}: {e}")
    };
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: cannot create: {e}", dir.display()))?;

    let path = dir.join("responses.csv");
    let mut out = create(&path)?;
    let mut line = String::from("unit_code");
    for item in &q.items {
        line.push(',');
        line.push_str(item);
    }
    line.push('\n');
    out.write_all(line.as_bytes()).map_err(io(&path))?;
    for (i, &u) in data.unit_of.iter().enumerate() {
        line.clear();
        line.push_str(&data.units[u as usize]);
        for col in &data.answers {
            line.push(',');
            let a = col[i];
            if a != NO_ANSWER {
                // The generator's answers are 1..5: one digit each.
                debug_assert!(a <= 9);
                line.push(char::from(b'0' + a));
            }
        }
        line.push('\n');
        out.write_all(line.as_bytes()).map_err(io(&path))?;
    }
    out.flush().map_err(io(&path))?;

    let path = dir.join("population.csv");
    let mut out = create(&path)?;
    writeln!(out, "stratum,population").map_err(io(&path))?;
    for (stratum, n) in data.strata.iter().zip(&data.population) {
        // N_h is a whole number below 2^53, so `{}` writes it exactly and without a fraction.
        writeln!(out, "{stratum},{n}").map_err(io(&path))?;
    }
    out.flush().map_err(io(&path))?;

    let path = dir.join("questionnaire.toml");
    std::fs::write(&path, FIVE_ELEMENTS).map_err(io(&path))?;
    Ok(())
}
