//! The `chiso` command: parses arguments, calls the library, prints errors (exit 2) and
//! verification differences (exit 1).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressFinish, ProgressStyle};

use chiso::design::Design;
use chiso::output::Staged;
use chiso::records::ColumnMap;
use chiso::sample::{SampleRequest, draw_sample};
use chiso::{demo, fieldwork, verify};

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
        /// Flag units and officers whose share dissatisfied (percent) is above this.
        #[arg(long, default_value_t = 25.0)]
        flag_threshold: f64,
        /// Estimates on fewer answers are marked imprecise.
        #[arg(long, default_value_t = 30)]
        min_answers: u64,
        /// Estimates whose interval is wider than this (percentage points) are marked imprecise.
        #[arg(long, default_value_t = 20.0)]
        max_ci_width: f64,
        /// Seed text of the rank-interval simulation.
        #[arg(long, default_value = chiso::ranks::DEFAULT_SEED)]
        rank_seed: String,
        /// Replicates of the rank-interval simulation.
        #[arg(long, default_value_t = 1000)]
        rank_replicates: u32,
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
    /// Early, on-time and late records per unit and officer, from the records themselves.
    Timeliness {
        /// Records file (CSV or XLSX) with `due_date`.
        #[arg(long)]
        records: PathBuf,
        /// A design file: only records returned inside its window count.
        #[arg(long)]
        design: Option<PathBuf>,
        /// Output directory for timeliness.csv and timeliness_rejected.csv.
        #[arg(long)]
        out: PathBuf,
        /// Largest acceptable share of late records (percent).
        #[arg(long, default_value_t = 2.0)]
        late_ceiling: f64,
        /// Sheet to read from a spreadsheet (default: the first).
        #[arg(long)]
        sheet: Option<String>,
        /// Map engine column names to your export's headers: due_date=HanTra,officer_id=MaCB.
        #[arg(long, default_value = "")]
        columns: String,
    },
    /// PAR INDEX (Chỉ số CCHC): points, index, interval and rank interval per unit.
    Par {
        /// Scoring framework (TOML), e.g. frameworks/par-so.toml.
        #[arg(long)]
        framework: PathBuf,
        /// Self-assessed and appraised scores (CSV or XLSX): `unit_code, criterion,
        /// self_score, appraised_score`, optionally `unit_name, unit_group, note`.
        #[arg(long)]
        scores: PathBuf,
        /// The survey's indices.csv (or its directory), for survey criteria.
        #[arg(long)]
        survey: Option<PathBuf>,
        /// Output directory for par.csv, par_fields.csv, par_criteria.csv and par.json.
        #[arg(long)]
        out: PathBuf,
        /// Sheet to read from a spreadsheet of scores (default: the first).
        #[arg(long)]
        sheet: Option<String>,
        /// Seed text of the rank-interval simulation (recorded in par.json).
        #[arg(long, default_value = chiso::par::DEFAULT_SEED)]
        seed: String,
        /// Confidence level of the index and rank intervals.
        #[arg(long, default_value_t = 0.95)]
        level: f64,
        /// Replicates of the rank-interval simulation.
        #[arg(long, default_value_t = chiso::par::DEFAULT_REPLICATES)]
        replicates: u32,
    },
    /// Publication reports: report.xlsx and report.html (Vietnamese) from published results.
    Report {
        /// The directory written by `chiso index` (indices.csv, indices.json; flags.csv and
        /// ranks.csv when present).
        #[arg(long)]
        indices: PathBuf,
        /// The directory written by `chiso par` (par.csv; par_fields.csv when present).
        /// Repeat it for results on different frameworks, e.g. departments and districts.
        #[arg(long)]
        par: Vec<PathBuf>,
        /// The directory holding timeliness.csv.
        #[arg(long)]
        timeliness: Option<PathBuf>,
        /// The sample's manifest.json (for the seed, digests and design).
        #[arg(long)]
        manifest: Option<PathBuf>,
        /// Title of the report (default: a generic Vietnamese title).
        #[arg(long)]
        title: Option<String>,
        /// Output directory for report.xlsx and report.html.
        #[arg(long)]
        out: PathBuf,
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
            flag_threshold,
            min_answers,
            max_ci_width,
            rank_seed,
            rank_replicates,
            invalid_as_missing,
            margins,
            calibrate,
        } => {
            let flag_settings =
                chiso::flags::FlagSettings::new(flag_threshold, min_answers, max_ci_width)?;
            let rank_settings = chiso::ranks::RankSettings::new(rank_replicates, &rank_seed)?;
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
            let flags = chiso::flags::compute(&q, &data, &rows, settings, &flag_settings);
            let ranks = chiso::ranks::compute(&q, &data, &rows, &flag_settings, &rank_settings);
            let mut staged = chiso::output::Staged::new(&out, true, &[])?;
            chiso::index::stage(&mut staged, &q, settings, &weights, &rows, extras);
            chiso::flags::stage(&mut staged, &flag_settings, &flags);
            chiso::ranks::stage(&mut staged, &rank_settings, &flag_settings, &ranks);
            let written = staged.commit()?;
            println!(
                "{} responses in {} strata and {} units: {} index rows",
                data.len(),
                data.strata.len(),
                data.units.len(),
                rows.len()
            );
            print_flag_summary(&data, &flags, &flag_settings);
            for p in written {
                println!("wrote {}", p.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Timeliness {
            records,
            design,
            out,
            late_ceiling,
            sheet,
            columns,
        } => {
            let settings = chiso::timeliness::TimelinessSettings::new(late_ceiling)?;
            let window = match design {
                Some(d) => Some(Design::load(&d)?.window),
                None => None,
            };
            let t = chiso::timeliness::compute(
                &records,
                sheet.as_deref(),
                &ColumnMap::parse(&columns)?,
                window,
                settings,
            )?;
            let written = chiso::timeliness::write(&out, &t)?;
            print_timeliness_summary(&t);
            for p in written {
                println!("wrote {}", p.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Par {
            framework,
            scores,
            survey,
            out,
            sheet,
            seed,
            level,
            replicates,
        } => {
            let fw = chiso::par::Framework::load(&framework)?;
            let scores = chiso::par::Scores::read(&scores, sheet.as_deref(), &fw)?;
            let survey = match survey {
                Some(s) if s.is_dir() => Some(chiso::par::Survey::read(&s.join("indices.csv"))?),
                Some(s) => Some(chiso::par::Survey::read(&s)?),
                None => None,
            };
            let settings = chiso::par::Settings {
                level,
                replicates,
                seed,
            };
            let result = chiso::par::compute(&fw, &scores, survey.as_ref(), &settings)?;
            let written = chiso::par::write(&out, &fw, &result)?;
            println!(
                "{} units in {} group(s) scored on {:?} ({} points)",
                result.units.len(),
                result
                    .units
                    .iter()
                    .map(|u| u.unit_group.as_str())
                    .collect::<std::collections::BTreeSet<_>>()
                    .len(),
                fw.name,
                fw.total
            );
            for p in written {
                println!("wrote {}", p.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Report {
            indices,
            par,
            timeliness,
            manifest,
            title,
            out,
        } => {
            let inputs = chiso::report::Inputs::load(&chiso::report::Sources {
                indices,
                par,
                timeliness,
                manifest,
                title,
            })?;
            let written = chiso::report::write(&out, &inputs)?;
            println!(
                "{} units, {} index rows",
                inputs.indices.units().len(),
                inputs.indices.rows.len()
            );
            for p in written {
                println!("wrote {}", p.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo { out, records } => run_demo(&out, records),
    }
}

fn print_flag_summary(
    data: &chiso::responses::ResponseData,
    flags: &[chiso::flags::FlagRow],
    s: &chiso::flags::FlagSettings,
) {
    use chiso::flags::Level;
    for level in [Level::Unit, Level::Officer] {
        let rows: Vec<_> = flags.iter().filter(|f| f.level == level).collect();
        if rows.is_empty() {
            continue;
        }
        println!(
            "flags:   {} {}s, {} above {}% dissatisfied ({} certainly), {} imprecise",
            rows.len(),
            level.as_str(),
            rows.iter().filter(|f| f.above).count(),
            s.threshold_pct,
            rows.iter().filter(|f| f.certain).count(),
            rows.iter().filter(|f| f.imprecise).count()
        );
    }
    let without = data
        .officer_of
        .iter()
        .filter(|&&o| o == chiso::responses::NO_OFFICER)
        .count();
    if !data.officers.is_empty() && without > 0 {
        println!("flags:   {without} respondents name no officer: they count in their unit only");
    }
}

fn print_timeliness_summary(t: &chiso::timeliness::Timeliness) {
    let c = &t.counts;
    let a = t.all();
    println!(
        "records: {} rows read, {} rejected, {} outside the window",
        c.rows, c.rejected, c.outside_window
    );
    println!(
        "timeliness: {} classified: {} early, {} on time, {} late ({}% late, ceiling {}%); \
         {} without due date and {} not returned, not classified",
        a.records,
        a.early,
        a.on_time,
        a.late,
        a.pct(a.late)
            .map_or_else(|| "-".to_string(), |p| format!("{p:.2}")),
        t.settings.late_ceiling_pct,
        a.no_due_date,
        a.not_returned
    );
    let over = t
        .rows
        .iter()
        .filter(|r| r.level == "unit" && r.above_ceiling == Some(true))
        .count();
    let units = t.rows.iter().filter(|r| r.level == "unit").count();
    println!("timeliness: {over} of {units} units above the late ceiling");
    if c.rejected > 0 {
        println!("rejected rows are listed with their reasons in timeliness_rejected.csv");
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

/// Progress on standard error for the demo's long steps, drawn only when standard error is a
/// terminal: a piped or redirected run stays quiet, and no output file depends on it.
struct Progress {
    shown: bool,
}

impl Progress {
    fn new() -> Progress {
        Progress {
            shown: std::io::stderr().is_terminal(),
        }
    }

    /// A spinner for a step of unknown length.
    fn step(&self, message: &'static str) -> ProgressBar {
        if !self.shown {
            return ProgressBar::hidden();
        }
        // Cleared when dropped too, so that an error is printed on a clean line.
        let pb = ProgressBar::new_spinner().with_finish(ProgressFinish::AndClear);
        pb.set_style(
            ProgressStyle::with_template("{spinner} {msg} ({elapsed})").expect("a valid template"),
        );
        pb.set_message(message);
        pb.enable_steady_tick(Duration::from_millis(100));
        pb
    }

    /// A bar for a step of about `len` units.
    fn bar(&self, message: &'static str, len: u64) -> ProgressBar {
        if !self.shown {
            return ProgressBar::hidden();
        }
        let pb = ProgressBar::new(len).with_finish(ProgressFinish::AndClear);
        pb.set_style(
            ProgressStyle::with_template("{msg} [{bar:40}] {human_pos}/{human_len} ({eta})")
                .expect("a valid template")
                .progress_chars("=> "),
        );
        pb.set_message(message);
        pb
    }
}

fn run_demo(out: &Path, records: usize) -> chiso::Result<ExitCode> {
    let started = Instant::now();
    let progress = Progress::new();
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
    let pb = progress.bar("generating records", records as u64);
    let n = demo::write_records_with_progress(&spec, std::io::BufWriter::new(file), |k| {
        pb.set_position(k)
    })
    .map_err(io(&records_path))?;
    pb.finish_and_clear();
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
    let pb = progress.step("building the frame and drawing the sample");
    let drawn = draw_sample(&req)?;
    // The demo's own files: re-running the demo replaces them.
    drawn.write(&sample_dir, true)?;
    pb.finish_and_clear();
    print_sample_summary(&drawn, &sample_dir, started);

    let pb = progress.step("re-drawing the sample from its manifest");
    let report = verify::verify(
        &records_path,
        &sample_dir.join("manifest.json"),
        Some(&sample_dir.join("sample.csv")),
        None,
        threads(None),
    )?;
    pb.finish_and_clear();
    print!("verify:  {report}");

    // Simulated fieldwork: officials in rank order, those who fail replaced from the
    // reserves of their stratum in rank order, every substitution logged.
    let pb = progress.step("simulating fieldwork");
    let q_path = out.join("questionnaire.toml");
    std::fs::write(&q_path, demo::DEMO_QUESTIONNAIRE).map_err(io(&q_path))?;
    let q = chiso::questionnaire::Questionnaire::load(&q_path)?;
    let sample_csv = sample_dir.join("sample.csv");
    let lists = fieldwork::read_sample(&sample_csv)?;
    let fw = fieldwork::Simulation::new(spec.seed, fieldwork::Rates::default()).run(lists);
    let answers =
        demo::simulate_answers(&drawn.sample_csv, &q.items, spec.seed).map_err(io(&sample_csv))?;
    let answer = |stratum: &str, role, rank| {
        answers
            .get(stratum, role, rank)
            .expect("everyone on the lists has simulated answers")
            .to_vec()
    };
    let fieldwork_dir = out.join("fieldwork");
    let mut staged = Staged::new(&fieldwork_dir, true, &[])?;
    staged.add("substitutions.csv", fw.substitutions_csv());
    staged.add("summary.csv", fw.summary_csv());
    staged.commit()?;
    let mut staged = Staged::new(out, true, &[])?;
    staged.add("responses.csv", fw.responses_csv(&q.items, answer));
    staged.commit()?;
    pb.finish_and_clear();
    print_fieldwork_summary(&fw, out);

    let pb = progress.step("computing the indices");
    // Every contact's row: the disposition column says who responded (complete, partial),
    // and gives the response rates.
    let data = chiso::responses::read(
        &out.join("responses.csv"),
        None,
        &q,
        &chiso::responses::Link::Sample(&sample_csv),
    )?;
    let settings = chiso::index::Settings::default();
    let rows = chiso::index::compute(&q, &data, settings);
    let indices_dir = out.join("indices");
    let flag_settings = chiso::flags::FlagSettings::default();
    let rank_settings = chiso::ranks::RankSettings::default();
    let flags = chiso::flags::compute(&q, &data, &rows, settings, &flag_settings);
    let ranks = chiso::ranks::compute(&q, &data, &rows, &flag_settings, &rank_settings);
    let mut staged = chiso::output::Staged::new(&indices_dir, true, &[])?;
    let extras = chiso::index::Extras::describe(&q, &data, None);
    chiso::index::stage(
        &mut staged,
        &q,
        settings,
        "N_h / m_h from the sample",
        &rows,
        extras,
    );
    chiso::flags::stage(&mut staged, &flag_settings, &flags);
    chiso::ranks::stage(&mut staged, &rank_settings, &flag_settings, &ranks);
    staged.commit()?;
    pb.finish_and_clear();
    print_flag_summary(&data, &flags, &flag_settings);
    let pb = progress.step("timeliness from the records");
    let timeliness = chiso::timeliness::compute(
        &records_path,
        None,
        &ColumnMap::default(),
        Some(req.design.window),
        chiso::timeliness::TimelinessSettings::default(),
    )?;
    chiso::timeliness::write(&out.join("timeliness"), &timeliness)?;
    pb.finish_and_clear();
    print_timeliness_summary(&timeliness);

    let overall = |domain: &str| {
        rows.iter().find(|r| {
            r.domain == domain && r.indicator == "overall" && r.measure == "satisfied_pct"
        })
    };
    if let Some(r) = overall("ALL") {
        println!(
            "indices: {} respondents (complete and partial); overall satisfaction {:.2}% (95% CI {:.2}–{:.2}%) in {}",
            data.len(),
            r.estimate.unwrap_or(f64::NAN),
            r.ci_lower.unwrap_or(f64::NAN),
            r.ci_upper.unwrap_or(f64::NAN),
            indices_dir.join("indices.csv").display()
        );
    }

    // PAR INDEX: the departments on par-so.toml, the districts on par-huyen.toml, their survey
    // criteria from the demo's indices. The frameworks and the scores are written first and
    // read back as `chiso par` reads them, so the printed commands give the same files.
    let pb = progress.step("scoring the PAR INDEX");
    let par_dir = out.join("par");
    let survey_path = indices_dir.join("indices.csv");
    let survey = chiso::par::Survey::read(&survey_path)?;
    let province = demo::units(&spec);
    let mut staged = Staged::new(&par_dir, true, &[])?;
    let mut par_runs: Vec<ParRun> = Vec::new();
    for (group, text) in [("so", demo::DEMO_PAR_SO), ("huyen", demo::DEMO_PAR_HUYEN)] {
        let framework = format!("framework-{group}.toml");
        let fw = chiso::par::Framework::from_toml(text, &framework)?;
        let (scored, unscored): (Vec<&demo::Unit>, Vec<&demo::Unit>) = province
            .iter()
            .filter(|u| u.group == group)
            .partition(|u| demo::par_surveyed(&fw, &survey, &u.code, group));
        if !unscored.is_empty() {
            let codes: Vec<&str> = unscored.iter().map(|u| u.code.as_str()).collect();
            println!(
                "par:     {} not scored: too few respondents for the survey criteria",
                codes.join(", ")
            );
        }
        if scored.is_empty() {
            continue;
        }
        let scores = format!("scores-{group}.csv");
        let mut bytes = Vec::new();
        demo::write_par_scores(&fw, &scored, group, spec.seed, &mut bytes)
            .map_err(io(&par_dir.join(&scores)))?;
        staged.add(&framework, text.as_bytes().to_vec());
        staged.add(&scores, bytes);
        par_runs.push(ParRun {
            framework: par_dir.join(framework),
            scores: par_dir.join(scores),
            out: par_dir.join(group),
        });
    }
    staged.commit()?;
    pb.finish_and_clear();
    let pb = progress.bar("ranking the PAR INDEX", par_runs.len() as u64);
    for run in &par_runs {
        let fw = chiso::par::Framework::load(&run.framework)?;
        let scores = chiso::par::Scores::read(&run.scores, None, &fw)?;
        let result = chiso::par::compute(
            &fw,
            &scores,
            Some(&survey),
            &chiso::par::Settings::default(),
        )?;
        chiso::par::write(&run.out, &fw, &result)?;
        pb.inc(1);
        print_par_summary(&fw, &result, &run.out);
    }
    pb.finish_and_clear();

    let pb = progress.step("writing the report");
    let report_dir = out.join("report");
    let timeliness_dir = out.join("timeliness");
    let manifest_path = sample_dir.join("manifest.json");
    let inputs = chiso::report::Inputs::load(&chiso::report::Sources {
        indices: indices_dir.clone(),
        par: par_runs.iter().map(|r| r.out.clone()).collect(),
        timeliness: Some(timeliness_dir.clone()),
        manifest: Some(manifest_path.clone()),
        title: Some(demo::DEMO_TITLE.to_string()),
    })?;
    chiso::report::write(&report_dir, &inputs)?;
    pb.finish_and_clear();

    println!(
        "\nopen the report: {} (web page), {} (workbook)",
        report_dir.join("report.html").display(),
        report_dir.join("report.xlsx").display()
    );
    println!("\nan auditor re-draws the same lists with:");
    println!(
        "  chiso verify --records {} --manifest {} --sample {}",
        sh(&records_path),
        sh(&manifest_path),
        sh(&sample_csv)
    );
    println!("each step again by hand (the same files result):");
    println!(
        "  chiso sample --records {} --design {} --seed {} --out {} --force",
        sh(&records_path),
        sh(&design_path),
        sh_text(demo::DEMO_SEED),
        sh(&sample_dir)
    );
    println!(
        "  chiso index --responses {} --questionnaire {} --sample {} --out {}",
        sh(&out.join("responses.csv")),
        sh(&q_path),
        sh(&sample_dir),
        sh(&indices_dir)
    );
    println!(
        "  chiso timeliness --records {} --design {} --out {}",
        sh(&records_path),
        sh(&design_path),
        sh(&timeliness_dir)
    );
    for run in &par_runs {
        println!(
            "  chiso par --framework {} --scores {} --survey {} --out {}",
            sh(&run.framework),
            sh(&run.scores),
            sh(&survey_path),
            sh(&run.out)
        );
    }
    let pars: String = par_runs
        .iter()
        .map(|r| format!(" --par {}", sh(&r.out)))
        .collect();
    println!(
        "  chiso report --indices {}{pars} --timeliness {} --manifest {} --title {} --out {}",
        sh(&indices_dir),
        sh(&timeliness_dir),
        sh(&manifest_path),
        sh_text(demo::DEMO_TITLE),
        sh(&report_dir)
    );
    Ok(if report.identical() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// One PAR run of the demo: its framework and scores files, and its output directory.
struct ParRun {
    framework: PathBuf,
    scores: PathBuf,
    out: PathBuf,
}

/// A path as a shell word (see [`sh_text`]).
fn sh(path: &Path) -> String {
    sh_text(&path.display().to_string())
}

/// Text as one shell word for the commands the demo prints: as it is when it holds only
/// characters no shell treats specially, else in single quotes (a quote inside as `'\''`).
fn sh_text(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c));
    if plain {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

/// One line per PAR group: how many units, the range of the index, who leads and who lags.
fn print_par_summary(fw: &chiso::par::Framework, result: &chiso::par::ParResult, dir: &Path) {
    let mut groups: Vec<&str> = result.units.iter().map(|u| u.unit_group.as_str()).collect();
    groups.dedup();
    for g in groups {
        // Units come ordered by group and rank.
        let units: Vec<&chiso::par::UnitResult> =
            result.units.iter().filter(|u| u.unit_group == g).collect();
        let (first, last) = (units[0], units[units.len() - 1]);
        println!(
            "par:     {} {g} units on {:?}: index {:.2} ({}) to {:.2} ({}) in {}",
            units.len(),
            fw.name,
            first.index,
            first.unit_code,
            last.index,
            last.unit_code,
            dir.join("par.csv").display()
        );
    }
}

fn print_fieldwork_summary(fw: &fieldwork::Fieldwork, out: &Path) {
    use fieldwork::Disposition as D;
    let t = fw.totals();
    println!(
        "fieldwork: {} contacts for {} official places: {} complete, {} partial, {} refusals, {} not reached, {} ineligible",
        t.attempted,
        t.officials,
        t.count(D::Complete),
        t.count(D::Partial),
        t.count(D::Refusal),
        t.count(D::NonContact),
        t.count(D::Ineligible)
    );
    let short: Vec<&fieldwork::StratumSummary> = fw.short_strata().collect();
    println!(
        "           {} places filled from the reserves ({} reserves contacted); {}",
        t.substituted,
        t.reserves_used,
        if short.is_empty() {
            "no stratum ran out of reserves".to_string()
        } else {
            format!(
                "{} strata ran out of reserves, {} places left empty",
                short.len(),
                t.short
            )
        }
    );
    let dir = out.join("fieldwork");
    println!(
        "           substitution log {}, per-stratum summary {}, responses with their disposition {}",
        dir.join("substitutions.csv").display(),
        dir.join("summary.csv").display(),
        out.join("responses.csv").display()
    );
}
