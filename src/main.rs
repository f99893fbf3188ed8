//! The `chiso` command: parses arguments, calls the library, prints errors (exit 2) and
//! verification differences (exit 1).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};

use chiso::design::Design;
use chiso::records::ColumnMap;
use chiso::sample::{SampleRequest, draw_sample};
use chiso::{demo, verify};

#[derive(Parser)]
#[command(
    name = "chiso",
    version,
    about = "SIPAS sampling and satisfaction indices (chỉ số)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the frame from transaction records and draw official and reserve lists.
    Sample {
        /// Records file (CSV or XLSX).
        #[arg(long)]
        records: PathBuf,
        /// Design file (TOML).
        #[arg(long)]
        design: PathBuf,
        /// The published seed (any text, e.g. a lottery result).
        #[arg(long)]
        seed: String,
        /// Output directory for sample.csv, manifest.json and rejected.csv.
        #[arg(long)]
        out: PathBuf,
        /// Sheet to read from a spreadsheet (default: the first).
        #[arg(long)]
        sheet: Option<String>,
        /// Map engine column names to your export's headers: record_id=MaHoSo,unit_code=MaDV.
        #[arg(long, default_value = "")]
        columns: String,
        /// Refuse the records file if any row is rejected.
        #[arg(long)]
        strict: bool,
        /// Replace an existing sample in --out.
        #[arg(long)]
        force: bool,
        /// Threads for the draw (the lists do not depend on it).
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Re-draw a sample from its manifest and compare (exit 0 identical, 1 different).
    Verify {
        /// Records file (CSV or XLSX).
        #[arg(long)]
        records: PathBuf,
        /// The manifest.json written by `chiso sample`.
        #[arg(long)]
        manifest: PathBuf,
        /// The published sample.csv to compare too.
        #[arg(long)]
        sample: Option<PathBuf>,
        /// Sheet to read from a spreadsheet (default: the manifest's, or the first).
        #[arg(long)]
        sheet: Option<String>,
        /// Threads for the re-draw.
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Weighted satisfaction indices with standard errors and intervals.
    Index {
        /// Completed questionnaires (CSV or XLSX): `applicant_id` (with --sample) or
        /// `unit_code` (with --population), then one column per item code.
        #[arg(long)]
        responses: PathBuf,
        /// Questionnaire (TOML).
        #[arg(long)]
        questionnaire: PathBuf,
        /// The sample directory (its sample.csv gives strata and frame sizes).
        #[arg(
            long,
            conflicts_with = "population",
            required_unless_present = "population"
        )]
        sample: Option<PathBuf>,
        /// Stratum populations (columns `stratum, population`), for a survey without a drawn sample.
        #[arg(long)]
        population: Option<PathBuf>,
        /// Output directory for indices.csv and indices.json.
        #[arg(long)]
        out: PathBuf,
        /// Interval method for shares: logit, beta (Korn–Graubard), wilson or wald.
        #[arg(long, default_value = "logit")]
        ci: String,
        /// Confidence level.
        #[arg(long, default_value_t = 0.95)]
        level: f64,
        /// Sheet to read from a spreadsheet (default: the first).
        #[arg(long)]
        sheet: Option<String>,
        /// Read answers outside the scale as no answer (counted per item and reported)
        /// instead of refusing the file.
        #[arg(long)]
        invalid_as_missing: bool,
        /// Known population margins (columns `variable, category, population`) to calibrate
        /// the weights to; `variable` is a column of the responses or of sample.csv.
        #[arg(long, requires = "calibrate")]
        margins: Option<PathBuf>,
        /// Calibration to --margins: poststratify (one variable or a cross `a:b`) or rake.
        #[arg(long, requires = "margins")]
        calibrate: Option<String>,
    },
    /// Run the whole pipeline on a built-in synthetic province.
    Demo {
        /// Output directory (re-created files are the demo's own).
        #[arg(long, default_value = "chiso-demo")]
        out: PathBuf,
        /// Approximate number of records to generate.
        #[arg(long, default_value_t = 300_000)]
        records: usize,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn threads(t: Option<usize>) -> usize {
    t.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

fn run(command: Command) -> chiso::Result<ExitCode> {
    match command {
        Command::Sample {
            records,
            design,
            seed,
            out,
            sheet,
            columns,
            strict,
            force,
            threads: t,
        } => {
            // Refuse before any work if the sample exists.
            chiso::output::Staged::new(&out, force, &["sample.csv", "manifest.json"])?;
            let req = SampleRequest {
                records,
                sheet,
                columns: ColumnMap::parse(&columns)?,
                design: Design::load(&design)?,
                seed,
                threads: threads(t),
                strict,
            };
            let started = Instant::now();
            let drawn = draw_sample(&req)?;
            drawn.write(&out, force)?;
            print_sample_summary(&drawn, &out, started);
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify {
            records,
            manifest,
            sample,
            sheet,
            threads: t,
        } => {
            let report = verify::verify(
                &records,
                &manifest,
                sample.as_deref(),
                sheet.as_deref(),
                threads(t),
            )?;
            print!("{report}");
            Ok(if report.identical() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Index {
            responses,
            questionnaire,
            sample,
            population,
            out,
            ci,
            level,
            sheet,
            invalid_as_missing,
            margins,
            calibrate,
        } => {
            let ci_method = chiso::ci::Method::from_name(&ci).ok_or_else(|| {
                chiso::Error::from(chiso::ErrorKind::Usage(format!(
                    "--ci {ci:?}: expected logit, beta, wilson or wald"
                )))
            })?;
            if !(level > 0.0 && level < 1.0) {
                return Err(chiso::Error::from(chiso::ErrorKind::Usage(format!(
                    "--level {level}: expected a proportion such as 0.95"
                ))));
            }
            let q = chiso::questionnaire::Questionnaire::load(&questionnaire)?;
            let sample_csv = sample.map(|d| d.join("sample.csv"));
            let (link, weights) = match (&sample_csv, &population) {
                (Some(s), _) => (
                    chiso::responses::Link::Sample(s),
                    "N_h / m_h from the sample",
                ),
                (None, Some(p)) => (
                    chiso::responses::Link::Population(p),
                    "N_h / m_h from --population",
                ),
                (None, None) => unreachable!("clap requires one of them"),
            };
            let calibration = match calibrate.as_deref() {
                None => None,
                Some(name) => {
                    Some(chiso::weights::Calibration::from_name(name).ok_or_else(|| {
                        chiso::Error::from(chiso::ErrorKind::Usage(format!(
                            "--calibrate {name:?}: expected poststratify or rake"
                        )))
                    })?)
                }
            };
            let margins = margins
                .as_deref()
                .map(chiso::weights::Margins::load)
                .transpose()?;
            let options = chiso::responses::ReadOptions {
                invalid_as_missing,
                auxiliary: margins.as_ref().map(|m| m.columns()).unwrap_or_default(),
            };
            let mut data =
                chiso::responses::read_with(&responses, sheet.as_deref(), &q, &link, &options)?;
            report_responses(&q, &data);
            let calibrated = match (&margins, calibration) {
                (Some(m), Some(c)) => Some(chiso::weights::calibrate(&mut data, m, c)?),
                _ => None,
            };
            let weights = match &calibrated {
                None => weights.to_string(),
                Some(c) => format!(
                    "{weights}, calibrated ({}) to {}",
                    c.method,
                    c.margins.join(", ")
                ),
            };
            report_weights(&data, calibrated.as_ref());
            let settings = chiso::index::Settings { ci_method, level };
            let rows = chiso::index::compute(&q, &data, settings);
            let extras = chiso::index::Extras::describe(&q, &data, calibrated.as_ref());
            let written = chiso::index::write_with(&out, &q, settings, &weights, &rows, extras)?;
            println!(
                "{} responses in {} strata and {} units: {} index rows",
                data.len(),
                data.strata.len(),
                data.units.len(),
                rows.len()
            );
            for p in written {
                println!("wrote {}", p.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo { out, records } => run_demo(&out, records),
    }
}

/// Reports on stderr what the responses file held besides answers: invalid answers read as
/// no answer, and response rates.
fn report_responses(
    q: &chiso::questionnaire::Questionnaire,
    data: &chiso::responses::ResponseData,
) {
    if let Some(inv) = &data.invalid {
        if inv.total() > 0 {
            let per_item: Vec<String> = q
                .items
                .iter()
                .zip(&inv.counts)
                .filter(|(_, n)| **n > 0)
                .map(|(item, n)| format!("{item}: {n}"))
                .collect();
            eprintln!(
                "warning: {} answer(s) outside the scale read as no answer ({})",
                inv.total(),
                per_item.join(", ")
            );
            let first: Vec<String> = inv
                .first
                .iter()
                .map(|(k, row, v)| format!("row {row} `{}` {v:?}", q.items[*k]))
                .collect();
            eprintln!("  first: {}", first.join("; "));
        }
    }
    if let Some(rates) = &data.response_rates {
        if let Some(all) = rates.last() {
            let pct = |r: Option<f64>| r.map_or("-".to_string(), |r| format!("{:.1}%", 100.0 * r));
            eprintln!(
                "response rates (AAPOR): RR1 {}, RR2 {} ({} complete, {} partial, {} refusal, \
                 {} non-contact, {} ineligible, {} officials with no row)",
                pct(all.rr1),
                pct(all.rr2),
                all.complete,
                all.partial,
                all.refusal,
                all.non_contact,
                all.ineligible,
                all.unknown
            );
        }
    }
}

/// Reports the weight summary on stderr.
fn report_weights(
    data: &chiso::responses::ResponseData,
    calibrated: Option<&chiso::weights::CalibrationReport>,
) {
    if let Some(c) = calibrated {
        eprintln!(
            "weights calibrated ({}) to {} in {} cycle(s)",
            c.method,
            c.margins.join(", "),
            c.iterations
        );
    }
    if let Some(s) = chiso::weights::WeightSummary::of(&data.weight) {
        eprintln!(
            "weights: n {}, sum {:.1}, min {:.4}, max {:.4}, mean {:.4}, CV {:.4}, \
             design effect of weighting {:.4}",
            s.n, s.sum, s.min, s.max, s.mean, s.cv, s.deff_weighting
        );
    }
}

fn print_sample_summary(drawn: &chiso::sample::SampleOutput, out: &Path, started: Instant) {
    let m = &drawn.manifest;
    let c = &m.records.counts;
    println!(
        "records: {} rows read, {} rejected, {} not returned, {} outside the window, {} eligible",
        c.rows, c.rejected, c.not_returned, c.outside_window, c.eligible
    );
    println!(
        "frame:   {} applicants in {} strata (frame_digest {})",
        m.totals.frame_size,
        m.totals.strata,
        &m.frame_digest[..16]
    );
    println!(
        "sample:  {} official and {} reserve (seed {:?}, sample_digest {})",
        m.totals.sample_size,
        m.totals.reserve_size,
        m.seed,
        &m.sample_digest[..16]
    );
    if c.rejected > 0 {
        println!(
            "rejected rows are listed with their reasons in {}",
            out.join("rejected.csv").display()
        );
    }
    println!(
        "wrote {} and {} in {:.1} s",
        out.join("sample.csv").display(),
        out.join("manifest.json").display(),
        started.elapsed().as_secs_f64()
    );
}

fn run_demo(out: &Path, records: usize) -> chiso::Result<ExitCode> {
    let started = Instant::now();
    std::fs::create_dir_all(out).map_err(|e| chiso::ErrorKind::Io {
        path: out.to_path_buf(),
        source: e,
    })?;
    let spec = demo::ProvinceSpec {
        records,
        ..demo::ProvinceSpec::default()
    };
    let records_path = out.join("records.csv");
    let design_path = out.join("design.toml");
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |e| chiso::Error::from(chiso::ErrorKind::Io { path: p, source: e })
    };
    let file = std::fs::File::create(&records_path).map_err(io(&records_path))?;
    let n = demo::write_records(&spec, std::io::BufWriter::new(file)).map_err(io(&records_path))?;
    std::fs::write(&design_path, demo::DEMO_DESIGN).map_err(io(&design_path))?;
    println!(
        "demo province: {} departments, {} districts, {} communes; {n} records in {}",
        spec.departments,
        spec.districts,
        spec.communes,
        records_path.display()
    );

    let sample_dir = out.join("sample");
    let req = SampleRequest {
        records: records_path.clone(),
        sheet: None,
        columns: ColumnMap::default(),
        design: Design::load(&design_path)?,
        seed: demo::DEMO_SEED.to_string(),
        threads: threads(None),
        strict: true,
    };
    let drawn = draw_sample(&req)?;
    // The demo's own files: re-running the demo replaces them.
    drawn.write(&sample_dir, true)?;
    print_sample_summary(&drawn, &sample_dir, started);

    let report = verify::verify(
        &records_path,
        &sample_dir.join("manifest.json"),
        Some(&sample_dir.join("sample.csv")),
        None,
        threads(None),
    )?;
    print!("verify:  {report}");

    // Simulated fieldwork and the indices.
    let q_path = out.join("questionnaire.toml");
    std::fs::write(&q_path, demo::DEMO_QUESTIONNAIRE).map_err(io(&q_path))?;
    let q = chiso::questionnaire::Questionnaire::load(&q_path)?;
    let responses_path = out.join("responses.csv");
    let file = std::fs::File::create(&responses_path).map_err(io(&responses_path))?;
    let m = demo::write_responses(
        &drawn.sample_csv,
        &q.items,
        spec.seed,
        std::io::BufWriter::new(file),
    )
    .map_err(io(&responses_path))?;
    let sample_csv = sample_dir.join("sample.csv");
    let data = chiso::responses::read(
        &responses_path,
        None,
        &q,
        &chiso::responses::Link::Sample(&sample_csv),
    )?;
    let settings = chiso::index::Settings::default();
    let rows = chiso::index::compute(&q, &data, settings);
    let indices_dir = out.join("indices");
    chiso::index::write(
        &indices_dir,
        &q,
        settings,
        "N_h / m_h from the sample",
        &rows,
    )?;
    let overall = |domain: &str| {
        rows.iter().find(|r| {
            r.domain == domain && r.indicator == "overall" && r.measure == "satisfied_pct"
        })
    };
    if let Some(r) = overall("ALL") {
        println!(
            "indices: {m} simulated responses; overall satisfaction {:.2}% (95% CI {:.2}–{:.2}%) in {}",
            r.estimate.unwrap_or(f64::NAN),
            r.ci_lower.unwrap_or(f64::NAN),
            r.ci_upper.unwrap_or(f64::NAN),
            indices_dir.join("indices.csv").display()
        );
    }
    println!("\nan auditor re-draws the same lists with:");
    println!(
        "  chiso verify --records {} --manifest {} --sample {}",
        records_path.display(),
        sample_dir.join("manifest.json").display(),
        sample_dir.join("sample.csv").display()
    );
    Ok(if report.identical() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
