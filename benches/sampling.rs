//! Frame building, drawing and the complete `chiso sample` (minus writing files) against the
//! time to merely parse the same CSV with the `csv` crate.
//!
//! The records files are generated once with `chiso::demo::write_records` into
//! `chiso-bench` in the system's temporary directory (or `$CHISO_BENCH_DIR`) and reused while they exist:
//!
//! * `records-1m.csv`: about 1,000,000 records, 20 departments and 159 communes (179 strata),
//!   seed 2024, survey year 2024;
//! * `records-10m.csv`: about 10,000,000 records, 20 departments and 1,009 communes (1,029
//!   strata), seed 2024, survey year 2024; only with `CHISO_BENCH_10M=1`, because one 10M
//!   iteration of the complete sample takes 15-45 s and criterion needs eleven of them.
//!
//! The design (also written to `design.toml` there, for the CLI) is one stratum per unit,
//! Yamane with e = 0.05 and one reserve for every two official respondents.
//!
//! ```text
//! cargo bench --bench sampling                       # 1M only
//! CHISO_BENCH_10M=1 cargo bench --bench sampling     # 1M and 10M
//! cargo bench --bench sampling -- complete_sample    # one group
//! ```
//!
//! Groups: `parse_csv` (the baseline, and chiso's own reader alone: `table_rows`),
//! `frame_build`, `draw`, `complete_sample`, `sample_steps` (the other steps of
//! `draw_sample` one by one, to see where the time goes), and `write_csv` (the cells of
//! 100,000 records written as `sample.csv` is, by the `csv` crate alone and by chiso's
//! writer, which checks every cell for a formula).
//!
//! See `docs/benchmarks.md` for the numbers and how to read them.

use std::cell::OnceCell;
use std::fs::{self, File};
use std::hint::black_box;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chiso::bench::{CsvWriter, Table, file_sha256};
use chiso::demo::{ProvinceSpec, write_records};
use chiso::design::{Design, DesignSpec};
use chiso::frame::Frame;
use chiso::records::ColumnMap;
use chiso::sample::{Lists, SampleRequest, draw_sample, read_frame};
use criterion::{
    BatchSize, BenchmarkGroup, BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group,
    criterion_main, measurement::WallTime,
};

/// The design of every benchmark.
const DESIGN: &str = r#"# chiso benchmark design: one stratum per unit, Yamane e = 0.05, half as many reserves.
[frame]
window = ["2024-01-01", "2024-09-30"]
strata = ["unit_code"]

[size]
mode = "yamane"
e = 0.05

[reserve]
ratio = 0.5
"#;

/// The published seed of every benchmark draw.
const SEED: &str = "bench";

/// One generated records file.
struct Dataset {
    /// `1M` or `10M`.
    label: &'static str,
    path: PathBuf,
    /// Data rows in the file (header excluded).
    rows: u64,
    /// Size of the file in bytes.
    bytes: u64,
}

fn bench_dir() -> PathBuf {
    std::env::var_os("CHISO_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("chiso-bench"))
}

fn ten_million_enabled() -> bool {
    std::env::var("CHISO_BENCH_10M").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// The file for `spec`, generated unless a non-empty copy exists. Its row count is kept in a
/// `.rows` file next to it (recounted with the `csv` crate if that file is missing).
fn dataset(label: &'static str, file: &str, spec: ProvinceSpec) -> Dataset {
    let dir = bench_dir();
    fs::create_dir_all(&dir).expect("create the benchmark directory");
    let path = dir.join(file);
    let rows_path = path.with_extension("rows");
    let exists = fs::metadata(&path).is_ok_and(|m| m.len() > 0);
    let rows = if exists {
        match fs::read_to_string(&rows_path)
            .ok()
            .and_then(|s| s.trim().parse().ok())
        {
            Some(rows) => rows,
            None => {
                let rows = count_string_records(&path);
                fs::write(&rows_path, format!("{rows}\n")).expect("write the row count");
                rows
            }
        }
    } else {
        eprintln!(
            "generating {} ({} records, {} communes); this happens once",
            path.display(),
            spec.records,
            spec.communes
        );
        // Write beside and rename, so that an interrupted run leaves no partial file.
        let partial = path.with_extension("csv.partial");
        let mut out = BufWriter::with_capacity(1 << 20, File::create(&partial).expect("create"));
        let rows = write_records(&spec, &mut out).expect("generate the records");
        out.flush().expect("flush the records");
        drop(out);
        fs::rename(&partial, &path).expect("rename the records");
        fs::write(&rows_path, format!("{rows}\n")).expect("write the row count");
        rows
    };
    let bytes = fs::metadata(&path).expect("records file").len();
    Dataset {
        label,
        path,
        rows,
        bytes,
    }
}

fn datasets() -> Vec<Dataset> {
    let base = ProvinceSpec {
        departments: 20,
        communes: 159,
        records: 1_000_000,
        seed: 2024,
        year: 2024,
    };
    let mut out = vec![dataset("1M", "records-1m.csv", base)];
    if ten_million_enabled() {
        out.push(dataset(
            "10M",
            "records-10m.csv",
            ProvinceSpec {
                communes: 1_009,
                records: 10_000_000,
                ..base
            },
        ));
    }
    out
}

fn design() -> Design {
    let dir = bench_dir();
    fs::create_dir_all(&dir).expect("create the benchmark directory");
    // For `chiso sample --design` (peak memory is measured on the release binary).
    fs::write(dir.join("design.toml"), DESIGN).expect("write design.toml");
    Design::from_spec(
        toml::from_str::<DesignSpec>(DESIGN).expect("valid design"),
        "bench",
    )
    .expect("valid design")
}

fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn count_string_records(path: &Path) -> u64 {
    let mut reader = csv::ReaderBuilder::new()
        .from_path(path)
        .expect("open the records");
    let mut record = csv::StringRecord::new();
    let mut rows = 0u64;
    while reader.read_record(&mut record).expect("parse") {
        rows += 1;
    }
    rows
}

fn count_byte_records(path: &Path) -> u64 {
    let mut reader = csv::ReaderBuilder::new()
        .from_path(path)
        .expect("open the records");
    let mut record = csv::ByteRecord::new();
    let mut rows = 0u64;
    while reader.read_byte_record(&mut record).expect("parse") {
        rows += 1;
    }
    rows
}

/// The rows of a records file as chiso's own table reader reads them, one by one on this
/// thread (each record checked for UTF-8; no read-ahead, no hash).
fn count_table_rows(path: &Path) -> u64 {
    let mut table = Table::open(path, None).expect("open the records");
    let mut rows = 0u64;
    while table.next_row().expect("parse").is_some() {
        rows += 1;
    }
    rows
}

/// A group for runs of a second or more: ten flat samples (one iteration each when an
/// iteration is slower than the measurement time allows), a short warm-up.
fn slow_group<'a>(c: &'a mut Criterion, name: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(name);
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8));
    g
}

fn parse_csv(c: &mut Criterion) {
    let data = datasets();
    let mut g = slow_group(c, "parse_csv");
    for d in &data {
        g.throughput(Throughput::Elements(d.rows));
        g.bench_with_input(
            BenchmarkId::new("string_record", d.label),
            &d.path,
            |b, p| {
                b.iter(|| {
                    let rows = count_string_records(black_box(p));
                    assert_eq!(rows, d.rows);
                    rows
                })
            },
        );
        g.bench_with_input(BenchmarkId::new("byte_record", d.label), &d.path, |b, p| {
            b.iter(|| {
                let rows = count_byte_records(black_box(p));
                assert_eq!(rows, d.rows);
                rows
            })
        });
        g.bench_with_input(BenchmarkId::new("table_rows", d.label), &d.path, |b, p| {
            b.iter(|| {
                let rows = count_table_rows(black_box(p));
                assert_eq!(rows, d.rows);
                rows
            })
        });
    }
    g.finish();
}

fn frame_build(c: &mut Criterion) {
    let data = datasets();
    let design = design();
    let columns = ColumnMap::default();
    let mut g = slow_group(c, "frame_build");
    for d in &data {
        g.throughput(Throughput::Elements(d.rows));
        g.bench_with_input(BenchmarkId::new("read_frame", d.label), &d.path, |b, p| {
            b.iter(|| read_frame(black_box(p), None, &columns, &design).expect("frame"))
        });
    }
    g.finish();
}

fn draw(c: &mut Criterion) {
    let data = datasets();
    let design = design();
    let columns = ColumnMap::default();
    let mut g = slow_group(c, "draw");
    for d in &data {
        // Built on first use only, so that a filter that skips this group skips the build.
        let cell: OnceCell<Frame> = OnceCell::new();
        let frame = || {
            cell.get_or_init(|| {
                let frame = read_frame(&d.path, None, &columns, &design).expect("frame");
                let lists = Lists::draw(frame.clone(), &design, SEED, 1).expect("draw");
                eprintln!(
                    "{}: {} rows, {} bytes, {} eligible records, {} strata, {} frame members, \
                     {} official + {} reserve picks",
                    d.label,
                    d.rows,
                    d.bytes,
                    frame.counts.eligible,
                    frame.strata.len(),
                    frame.members(),
                    lists.sizes.iter().map(|z| z.n).sum::<u64>(),
                    lists.sizes.iter().map(|z| z.reserve).sum::<u64>(),
                );
                frame
            })
        };
        // Per record, like the other groups (the draw itself computes one key per member).
        g.throughput(Throughput::Elements(d.rows));
        let mut counts = vec![1, threads()];
        counts.dedup();
        for t in counts {
            g.bench_function(BenchmarkId::new(format!("threads_{t}"), d.label), |b| {
                let frame = frame();
                b.iter_batched(
                    || frame.clone(),
                    |f| Lists::draw(f, &design, black_box(SEED), t).expect("draw"),
                    BatchSize::PerIteration,
                )
            });
        }
    }
    g.finish();
}

fn complete_sample(c: &mut Criterion) {
    let data = datasets();
    let design = design();
    let mut g = slow_group(c, "complete_sample");
    for d in &data {
        let req = SampleRequest {
            records: d.path.clone(),
            layout: Default::default(),
            columns: ColumnMap::default(),
            design: design.clone(),
            seed: SEED.to_string(),
            threads: threads(),
            strict: false,
            max_rejected: chiso::sample::DEFAULT_MAX_REJECTED,
            commitment: None,
        };
        g.throughput(Throughput::Elements(d.rows));
        g.bench_with_input(BenchmarkId::new("draw_sample", d.label), &req, |b, r| {
            b.iter(|| draw_sample(black_box(r)).expect("sample"))
        });
    }
    g.finish();
}

/// The steps of `draw_sample` other than `read_frame` and `Lists::draw`, one by one, on a frame
/// drawn once: hashing the records file, reading the selected rows again (in file order, as
/// `sample.csv` is built) and the manifest's digests.
fn sample_steps(c: &mut Criterion) {
    let data = datasets();
    let design = design();
    let columns = ColumnMap::default();
    let mut g = slow_group(c, "sample_steps");
    for d in &data {
        let cell: OnceCell<(Lists, Vec<(u64, u64)>)> = OnceCell::new();
        let lists = || {
            cell.get_or_init(|| {
                let frame = read_frame(&d.path, None, &columns, &design).expect("frame");
                let lists = Lists::draw(frame, &design, SEED, threads()).expect("draw");
                let mut rows: Vec<(u64, u64)> = lists
                    .picks()
                    .map(|p| {
                        let m = &lists.frame.strata[p.stratum].members[p.member];
                        (m.locator, m.row)
                    })
                    .collect();
                rows.sort_unstable();
                (lists, rows)
            })
        };
        g.throughput(Throughput::Elements(d.rows));
        g.bench_with_input(BenchmarkId::new("file_sha256", d.label), &d.path, |b, p| {
            b.iter(|| file_sha256(black_box(p)).expect("hash"))
        });
        g.bench_function(BenchmarkId::new("refetch_picks", d.label), |b| {
            let (_, rows) = lists();
            b.iter(|| {
                let table = Table::open(&d.path, None).expect("open");
                let mut fetcher = table.fetcher().expect("open");
                let mut bytes = 0usize;
                for &(locator, row) in rows {
                    let row = fetcher.fetch(locator, row).expect("fetch");
                    bytes += row.get(0).len();
                }
                bytes
            })
        });
        g.bench_function(BenchmarkId::new("digests", d.label), |b| {
            let (lists, _) = lists();
            b.iter(|| {
                let (entries, frame) = lists.entries();
                (frame, entries.len(), lists.digest())
            })
        });
    }
    g.finish();
}

/// Writing CSV into memory, as every output file is: 100,000 records of the 1M file (1.6M
/// cells of identifiers, names, phone numbers, dates) by the `csv` crate with chiso's
/// settings, and by chiso's writer, which looks at every cell's first byte for a formula.
fn write_csv(c: &mut Criterion) {
    let data = datasets();
    let mut g = c.benchmark_group("write_csv");
    g.sample_size(20);
    let d = &data[0];
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(&d.path)
        .expect("open the records");
    let rows: Vec<csv::ByteRecord> = reader
        .byte_records()
        .take(100_000)
        .map(|r| r.expect("parse"))
        .collect();
    let cells: u64 = rows.iter().map(|r| r.len() as u64).sum();
    g.throughput(Throughput::Elements(cells));
    g.bench_function(BenchmarkId::new("csv_crate", d.label), |b| {
        b.iter(|| {
            let mut w = csv::WriterBuilder::new()
                .terminator(csv::Terminator::Any(b'\n'))
                .from_writer(Vec::with_capacity(16 << 20));
            for r in &rows {
                for f in r {
                    w.write_field(f).expect("memory");
                }
                w.write_record(std::iter::empty::<&[u8]>()).expect("memory");
            }
            w.into_inner().expect("memory").len()
        })
    });
    g.bench_function(BenchmarkId::new("chiso_writer", d.label), |b| {
        b.iter(|| {
            let mut w = CsvWriter::new(Vec::with_capacity(16 << 20));
            for r in &rows {
                for f in r {
                    w.write_field(f).expect("memory");
                }
                w.write_record(std::iter::empty::<&[u8]>()).expect("memory");
            }
            w.into_inner().expect("memory").len()
        })
    });
    g.finish();
}

criterion_group!(
    benches,
    parse_csv,
    frame_build,
    draw,
    complete_sample,
    sample_steps,
    write_csv
);
criterion_main!(benches);
