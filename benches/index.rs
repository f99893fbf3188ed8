//! The hot aggregation path: every per-unit and `ALL` index (22 items, 5 elements, overall;
//! satisfied, dissatisfied, mean score) with its standard error, for 1,000,000 respondents in
//! 1,000 units, against the time of one sequential read of the answer bytes.
//!
//! The responses are generated in memory with a fixed seed (one stratum per unit, `N_h`
//! between 2,000 and 40,000, 5% of answers missing), decoded as `chiso index` decodes them.
//!
//! ```text
//! cargo bench --bench index
//! ```
//!
//! Groups:
//! * `read_answers`: sums every answer byte once (22 MB): the floor;
//! * `kernel`: [`chiso::kernel::compute`] on decoded columns, on 1 and 2 threads: every
//!   estimate and standard error;
//! * `decode`: [`chiso::kernel::Columns::new`] (answers to one byte per answer, grouped by
//!   unit, stratum and weight);
//! * `index`: [`chiso::index::compute`]: decode + kernel + intervals + output rows.
//!
//! See `docs/benchmarks.md` for the numbers and how to read them.

use std::hint::black_box;
use std::time::Duration;

use chiso::index::{self, Settings};
use chiso::kernel::{self, Columns};
use chiso::questionnaire::Questionnaire;
use chiso::responses::{NO_ANSWER, NO_OFFICER, ResponseData};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

const RESPONDENTS: usize = 1_000_000;
const UNITS: usize = 1_000;

/// A fixed-seed generator (SplitMix64) for the synthetic answers.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

fn responses(q: &Questionnaire) -> ResponseData {
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

fn bench(c: &mut Criterion) {
    let q = Questionnaire::from_spec(
        toml::from_str(chiso::demo::DEMO_QUESTIONNAIRE).expect("the shipped questionnaire"),
        "sipas-5-elements.toml",
    )
    .expect("the shipped questionnaire is valid");
    let data = responses(&q);
    let weights = data.weights();
    let columns = Columns::new(&q, &data, &weights);
    let answer_bytes = (RESPONDENTS * q.items.len()) as u64;

    let mut g = c.benchmark_group("index_1m_22_items_1000_units");
    g.sample_size(20)
        .measurement_time(Duration::from_secs(8))
        .throughput(Throughput::Bytes(answer_bytes));
    g.bench_function("read_answers", |b| {
        b.iter(|| {
            let mut sum = 0u64;
            for col in &data.answers {
                sum += col.iter().map(|&a| u64::from(a)).sum::<u64>();
            }
            black_box(sum)
        })
    });
    for threads in [1, 2] {
        g.bench_with_input(BenchmarkId::new("kernel", threads), &threads, |b, &t| {
            b.iter(|| black_box(kernel::compute(&q, &columns, t)))
        });
    }
    g.bench_function("decode", |b| {
        b.iter(|| black_box(Columns::new(&q, &data, &weights)))
    });
    g.bench_function("index", |b| {
        b.iter(|| black_box(index::compute(&q, &data, Settings::default())))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
