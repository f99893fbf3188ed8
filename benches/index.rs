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
//! * `index`: [`chiso::index::compute`]: decode + kernel + intervals + output rows.
//!
//! See `docs/benchmarks.md` for the numbers and how to read them.

use std::hint::black_box;
use std::time::Duration;

use chiso::index::{self, Settings};
use chiso::questionnaire::Questionnaire;
use chiso::{KernelColumns, LonelyPsu, compute_kernel};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

#[path = "support/index_data.rs"]
mod index_data;

use index_data::{RESPONDENTS, responses};

fn bench(c: &mut Criterion) {
    let q = Questionnaire::from_spec(
        toml::from_str(include_str!("../questionnaires/sipas-5-elements.toml"))
            .expect("the shipped questionnaire"),
        "sipas-5-elements.toml",
    )
    .expect("the shipped questionnaire is valid");
    let data = responses(&q);
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
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
