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
//! * `kernel`: [`chiso::compute_kernel`] on decoded columns, on 1 and 2 threads: every
//!   estimate and standard error;
//! * `decode`: [`chiso::KernelColumns::new`] (answers to one code per pair of items,
//!   grouped by unit, stratum and weight);
//! * `index`: [`chiso::index::compute`]: decode + kernel + intervals + output rows;
//! * `ranks`: [`chiso::ranks::compute_with_threads`] on 1 and 2 threads: the rank intervals
//!   of the overall index and the five elements, 1,000 replicates each;
//! * `command`: [`chiso::index::run`], all of `chiso index --population` from the files
//!   (responses 48.9 MB written once to a temporary directory): read and check, weights,
//!   indices, flags, rank intervals, and the six output files written; on the machine's
//!   threads;
//! * `kernel_poststratified`, `decode_poststratified`: the same responses post-stratified on
//!   eight groups that cut across the units (think sex × four age bands, each respondent's
//!   drawn from a second fixed seed): the calibrated standard errors, whose residuals from
//!   the post-strata the kernel forms per (stratum, post-stratum).
//!
//! See `docs/benchmarks-index.md` for the numbers and how to read them.

use std::hint::black_box;
use std::time::Duration;

use chiso::estimate::CalibrationGroups;
use chiso::index::{self, Settings};
use chiso::questionnaire::Questionnaire;
use chiso::{KernelColumns, LonelyPsu, compute_kernel};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

#[path = "support/index_data.rs"]
mod index_data;

use chiso::responses::ResponseData;
use index_data::{RESPONDENTS, SplitMix, questionnaire, responses};

/// Post-strata of the benchmark: each one's share of the population.
const POST_STRATA: [f64; 8] = [0.08, 0.12, 0.14, 0.16, 0.09, 0.13, 0.13, 0.15];

/// `data` post-stratified on [`POST_STRATA`]: each respondent's post-stratum drawn from a
/// second fixed seed, its weight `N_h/m_h` scaled so that each post-stratum's weights add up
/// to its share of the population (what `--calibrate poststratify` gives).
fn post_stratified(data: &ResponseData) -> ResponseData {
    let mut g = SplitMix(7);
    let group: Vec<u32> = (0..data.len())
        .map(|_| (g.next() % POST_STRATA.len() as u64) as u32)
        .collect();
    let total: f64 = data.population.iter().sum();
    let mut sums = [0.0f64; POST_STRATA.len()];
    for (&k, w) in group.iter().zip(&data.weight) {
        sums[k as usize] += w;
    }
    let weight = group
        .iter()
        .zip(&data.weight)
        .map(|(&k, w)| w * total * POST_STRATA[k as usize] / sums[k as usize])
        .collect();
    ResponseData {
        weight,
        calibration: Some(CalibrationGroups::PostStrata(group)),
        ..data.clone()
    }
}

/// `chiso index --population` on the benchmark's data written as files: the whole command.
fn bench_command(c: &mut Criterion, q: &Questionnaire, data: &ResponseData) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    index_data::write_files(q, data, dir.path()).expect("the benchmark's files");
    let inputs = index::RunInputs {
        responses: dir.path().join("responses.csv"),
        questionnaire: dir.path().join("questionnaire.toml"),
        population: index::Population::File(dir.path().join("population.csv")),
        margins: None,
        units: None,
        domains: None,
        records: None,
    };
    let request = index::IndexRequest::new(
        inputs,
        &index::RunOptions::default(),
        dir.path().join("out"),
    )
    .expect("the benchmark's request");
    let bytes = std::fs::metadata(&request.responses)
        .expect("the responses file")
        .len();
    let mut g = c.benchmark_group("index_1m_22_items_1000_units");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(20))
        .throughput(Throughput::Bytes(bytes));
    g.bench_function("command", |b| {
        b.iter(|| black_box(index::run(&request).expect("the run")))
    });
    g.finish();
}

fn bench(c: &mut Criterion) {
    let q = questionnaire();
    let data = responses(&q);
    bench_command(c, &q, &data);
    let weights = data.weights();
    let columns = KernelColumns::new(&q, &data, &weights);
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
            b.iter(|| black_box(compute_kernel(&q, &columns, LonelyPsu::default(), t)))
        });
    }
    g.bench_function("decode", |b| {
        b.iter(|| black_box(KernelColumns::new(&q, &data, &weights)))
    });
    g.bench_function("index", |b| {
        b.iter(|| black_box(index::compute(&q, &data, Settings::default())))
    });
    // The rank intervals of the overall index and the five elements (1,000 replicates).
    let rows = index::compute(&q, &data, Settings::default());
    for threads in [1, 2] {
        g.bench_with_input(BenchmarkId::new("ranks", threads), &threads, |b, &t| {
            b.iter(|| {
                black_box(chiso::ranks::compute_with_threads(
                    &q,
                    &data,
                    &rows,
                    &chiso::FlagSettings::default(),
                    &chiso::RankSettings::default(),
                    t,
                ))
            })
        });
    }
    let post = post_stratified(&data);
    let post_weights = post.weights();
    let post_columns = KernelColumns::new(&q, &post, &post_weights);
    for threads in [1, 2] {
        g.bench_with_input(
            BenchmarkId::new("kernel_poststratified", threads),
            &threads,
            |b, &t| {
                b.iter(|| black_box(compute_kernel(&q, &post_columns, LonelyPsu::default(), t)))
            },
        );
    }
    g.bench_function("decode_poststratified", |b| {
        b.iter(|| black_box(KernelColumns::new(&q, &post, &post_weights)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
