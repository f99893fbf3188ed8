//! The `chiso` command: parses arguments, calls the library, prints errors (exit 2) and
//! verification differences (exit 1).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressFinish, ProgressStyle};

use chiso::design::Design;
use chiso::records::ColumnMap;
use chiso::sample::{SampleRequest, draw_sample};
use chiso::{ErrorKind, demo, index, par, report, timeliness, verify};

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
    /// Fix the records and design of a draw before its seed is known: commitment.json and a
    /// printable record (biên bản); with --manifest, the record after the draw.
    Commit(CommitArgs),
    /// Build the frame from transaction records and draw official and reserve lists.
    Sample(SampleArgs),
    /// Rebuild a sample from the records and its manifest, or re-compute an index, PAR or
    /// report directory from its inputs, and compare (exit 0 identical, 1 different).
    Verify(VerifyArgs),
    /// Weighted satisfaction indices with standard errors and intervals.
    Index(IndexArgs),
    /// Check real fieldwork against the rule of substitution (exit 0 kept, 1 broken).
    Fieldwork(FieldworkArgs),
    /// Draw the re-check (phúc tra) subsample of completed forms: recheck.csv, recheck.json.
    Recheck(RecheckArgs),
    /// Compare two data entries of the same forms, answer by answer: discrepancies.csv,
    /// agreement.csv (exit 0 identical, 1 different).
    EntryCompare(EntryCompareArgs),
    /// Change of every index between two index runs (year on year), with its interval:
    /// comparison.csv, comparison.json.
    Compare(CompareArgs),
    /// A data-entry workbook for the forms of a sample (drop-down answers, protected ids),
    /// which index, fieldwork and entry-compare read back as it is.
    EntrySheet(EntrySheetArgs),
    /// Early, on-time and late records per unit and officer, from the records themselves.
    Timeliness(TimelinessArgs),
    /// PAR INDEX (Chỉ số CCHC): points, index, interval and rank interval per unit.
    Par(ParArgs),
    /// Publication reports: report.xlsx and report.html (Vietnamese) from published results.
    Report(ReportArgs),
    /// Run the whole pipeline on a built-in synthetic province.
    Demo(DemoArgs),
}

#[derive(Args)]
struct EntryCompareArgs {
    /// The first entry: a responses file (CSV or XLSX) with applicant_id and the items.
    #[arg(long)]
    first: PathBuf,
    /// The second entry of the same forms.
    #[arg(long)]
    second: PathBuf,
    /// Questionnaire file (TOML): the items and the scale the answers are read with.
    #[arg(long)]
    questionnaire: PathBuf,
    /// Output directory for discrepancies.csv and agreement.csv.
    #[arg(long)]
    out: PathBuf,
    /// Sheet to read from spreadsheets (default: the first).
    #[arg(long)]
    sheet: Option<String>,
    #[command(flatten)]
    csv: CsvLayout,
    /// The second entry is the re-check (phúc tra) of some of the first's forms, as `chiso
    /// recheck` chose them: forms only in the first were not re-checked, and are no difference.
    #[arg(long)]
    recheck: bool,
    /// The discrepancies.csv of these entries with a column `resolved` filled in (the answer
    /// as it should be, first, second; keep or drop for a form in one entry): writes
    /// merged.csv, the entries with every difference resolved (exit 0).
    #[arg(long)]
    resolved: Option<PathBuf>,
    /// Map column names and item codes to both entries' headers:
    /// applicant_id=MaNguoiDan,Q01=Cau1 (repeat the option for a header that holds a comma).
    #[arg(long)]
    columns: Vec<String>,
}

#[derive(Args)]
struct CompareArgs {
    /// The earlier run: a directory written by `chiso index` (indices.csv, indices.json).
    #[arg(long)]
    previous: PathBuf,
    /// The later run: a directory written by `chiso index`.
    #[arg(long)]
    current: PathBuf,
    /// Output directory for comparison.csv and comparison.json.
    #[arg(long)]
    out: PathBuf,
    /// Confidence level of the differences' intervals (default: the runs' level, which must
    /// then be the same in both).
    #[arg(long)]
    level: Option<f64>,
}

#[derive(Args)]
struct EntrySheetArgs {
    /// The sample's directory, as `chiso sample --out DIR` wrote it (sample.csv and
    /// manifest.json).
    #[arg(long)]
    sample: PathBuf,
    /// Questionnaire file (TOML): the items, and the answers offered.
    #[arg(long)]
    questionnaire: PathBuf,
    /// The workbook to write (.xlsx).
    #[arg(long)]
    out: PathBuf,
    /// Replace an existing workbook at --out.
    #[arg(long)]
    force: bool,
}

#[derive(Args)]
struct RecheckArgs {
    /// Responses file (CSV or XLSX) with applicant_id, disposition and stratum.
    #[arg(long)]
    responses: PathBuf,
    /// The published seed of the re-check (any text).
    #[arg(long)]
    seed: String,
    /// Share of the completed forms of each group to check again (above 0, at most 1).
    #[arg(long)]
    share: f64,
    /// Output directory for recheck.csv and recheck.json.
    #[arg(long)]
    out: PathBuf,
    /// Share of the refusals and non-contacts of each group to contact again.
    #[arg(long)]
    refusals: Option<f64>,
    /// Group the forms by stratum or by interviewer (interviewer_id).
    #[arg(long, default_value = "stratum")]
    by: String,
    /// A sample directory (sample.csv, manifest.json) giving each applicant's stratum.
    #[arg(long)]
    sample: Option<PathBuf>,
    /// Sheet to read from a spreadsheet (default: the first).
    #[arg(long)]
    sheet: Option<String>,
    #[command(flatten)]
    csv: CsvLayout,
    /// Map column names to the responses' headers: applicant_id=MaNguoiDan,stratum=DonVi
    /// (repeat the option for a header that holds a comma).
    #[arg(long)]
    columns: Vec<String>,
}

#[derive(Args)]
struct SampleArgs {
    /// Records file (CSV or XLSX).
    #[arg(long)]
    records: PathBuf,
    /// Design file (TOML).
    #[arg(long)]
    design: PathBuf,
    /// The published seed (any text, e.g. a lottery result).
    #[arg(long)]
    seed: String,
    /// Output directory for sample.csv, sample.xlsx, manifest.json and rejected.csv.
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    reading: RecordsReading,
    /// Replace an existing sample in --out.
    #[arg(long)]
    force: bool,
    /// Threads for the draw (the lists do not depend on it).
    #[arg(long)]
    threads: Option<usize>,
    /// The commitment.json written by `chiso commit` before the seed: the draw is refused
    /// unless it is made from exactly the records and design committed.
    #[arg(long)]
    commitment: Option<PathBuf>,
}

/// How a records file is read, by `sample` and `commit` alike (so that a commitment reads
/// the records as the draw will).
#[derive(Args)]
struct RecordsReading {
    /// Sheet to read from a spreadsheet (default: the first).
    #[arg(long)]
    sheet: Option<String>,
    #[command(flatten)]
    csv: CsvLayout,
    /// Map engine column names to your export's headers: record_id=MaHoSo,unit_code=MaDV
    /// (repeat the option for a header that holds a comma: --columns "applicant_name=Họ, tên").
    #[arg(long)]
    columns: Vec<String>,
    /// Refuse the records file if any row is rejected.
    #[arg(long)]
    strict: bool,
    /// Refuse the records file if more than this share of its rows is rejected.
    #[arg(long, default_value_t = chiso::sample::DEFAULT_MAX_REJECTED)]
    max_rejected: f64,
}

/// How a CSV file from an office is laid out, when it is not found (`chiso::Layout`).
#[derive(Args, Clone, Default)]
struct CsvLayout {
    /// What separates the cells of a CSV file: `,` `;` or `tab` (default: found).
    #[arg(long, value_parser = parse_delimiter)]
    delimiter: Option<chiso::Delimiter>,
    /// The row of the header, below title rows (default: the first row, among the first
    /// 30, that holds the columns needed; else row 1).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    header_row: Option<u64>,
}

impl CsvLayout {
    /// The layout of a file read from `sheet` (for a spreadsheet).
    fn with_sheet(&self, sheet: Option<String>) -> chiso::Layout {
        chiso::Layout {
            sheet,
            delimiter: self.delimiter,
            header_row: self.header_row,
        }
    }
}

fn parse_delimiter(text: &str) -> Result<chiso::Delimiter, String> {
    chiso::Delimiter::parse(text).map_err(|_| "expected `,` `;` or `tab`".to_string())
}

impl RecordsReading {
    /// The sample request these options read `records` with, for `design` and `seed`.
    fn request(
        self,
        records: PathBuf,
        design: &std::path::Path,
        seed: String,
        threads: usize,
        commitment: Option<(chiso::commitment::Commitment, PathBuf)>,
    ) -> chiso::Result<SampleRequest> {
        Ok(SampleRequest {
            columns: ColumnMap::parse_all(&self.columns)?,
            design: Design::load(design)?,
            threads,
            records,
            layout: self.csv.with_sheet(self.sheet),
            seed,
            strict: self.strict,
            max_rejected: self.max_rejected,
            commitment,
        })
    }
}

#[derive(Args)]
struct CommitArgs {
    /// Records file (CSV or XLSX) the draw will be made from.
    #[arg(long, required_unless_present = "manifest", requires = "design")]
    records: Option<PathBuf>,
    /// Design file (TOML).
    #[arg(long, requires = "records")]
    design: Option<PathBuf>,
    /// After the draw: the sample's manifest.json, to print the record with the seed and the
    /// sample digest filled in.
    #[arg(long, conflicts_with_all = ["records", "design"])]
    manifest: Option<PathBuf>,
    /// Where the seed will come from, as announced (e.g. the lottery draw of a named day).
    #[arg(long, default_value = "")]
    seed_source: String,
    /// Output directory for commitment.json and bien-ban.html.
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    reading: RecordsReading,
    /// Replace an existing commitment in --out.
    #[arg(long)]
    force: bool,
}

#[derive(Args)]
struct VerifyArgs {
    /// Records file (CSV or XLSX), to rebuild a sample from (with --manifest); with --indices,
    /// the records a run per period counted its coverage from.
    #[arg(long, required_unless_present_any = ["indices", "par", "report"])]
    records: Option<PathBuf>,
    /// The manifest.json written by `chiso sample`.
    #[arg(long, required_unless_present_any = ["indices", "par", "report"], requires = "records")]
    manifest: Option<PathBuf>,
    /// The published sample.csv to compare too; with --indices, the sample (its directory or
    /// its sample.csv) the indices were computed from.
    #[arg(long)]
    sample: Option<PathBuf>,
    /// A directory written by `chiso index`: re-compute it from the inputs given
    /// (--responses, --questionnaire, --sample or --population, --margins) and compare.
    #[arg(long, conflicts_with = "manifest", requires_all = ["responses", "questionnaire"])]
    indices: Option<PathBuf>,
    /// With --indices: the responses the indices were computed from.
    #[arg(long, requires = "indices")]
    responses: Option<PathBuf>,
    /// With --indices: the questionnaire.
    #[arg(long, requires = "indices")]
    questionnaire: Option<PathBuf>,
    /// With --indices: the stratum populations, for a survey without a drawn sample.
    #[arg(long, requires = "indices", conflicts_with = "sample")]
    population: Option<PathBuf>,
    /// With --indices: the margins the weights were calibrated to.
    #[arg(long, requires = "indices")]
    margins: Option<PathBuf>,
    /// With --indices: the units file the responses' units were read by.
    #[arg(long, requires = "indices")]
    units: Option<PathBuf>,
    /// With --indices: the domains file the indices were published on.
    #[arg(long, requires = "indices")]
    domains: Option<PathBuf>,
    /// A directory written by `chiso par`: re-compute it from the inputs given (--framework,
    /// --scores, --survey) and compare.
    #[arg(long, conflicts_with_all = ["records", "manifest", "indices"], requires_all = ["framework", "scores"])]
    par: Option<PathBuf>,
    /// With --par: the framework (TOML).
    #[arg(long, requires = "par")]
    framework: Option<PathBuf>,
    /// With --par: the scores.
    #[arg(long, requires = "par")]
    scores: Option<PathBuf>,
    /// With --par: the survey's indices.csv (or its directory).
    #[arg(long, requires = "par")]
    survey: Option<PathBuf>,
    /// A directory written by `chiso report`: render it again from the inputs given
    /// (--from-indices, --from-par, --from-timeliness, --from-manifest, --from-compare) and
    /// compare; a public report is rendered again as the public version.
    #[arg(long, conflicts_with_all = ["records", "manifest", "indices", "par"], requires = "from_indices")]
    report: Option<PathBuf>,
    /// With --report: the indices directory the report was made from.
    #[arg(long, requires = "report")]
    from_indices: Option<PathBuf>,
    /// With --report: each PAR directory the report was made from.
    #[arg(long, requires = "report")]
    from_par: Vec<PathBuf>,
    /// With --report: the timeliness directory.
    #[arg(long, requires = "report")]
    from_timeliness: Option<PathBuf>,
    /// With --report: the sample's manifest.json.
    #[arg(long, requires = "report")]
    from_manifest: Option<PathBuf>,
    /// With --report: the comparison directory (written by `chiso compare`).
    #[arg(long, requires = "report")]
    from_compare: Option<PathBuf>,
    /// Sheet to read from a spreadsheet (default: the manifest's, or the first).
    #[arg(long)]
    sheet: Option<String>,
    #[command(flatten)]
    csv: CsvLayout,
    /// Threads for the re-draw.
    #[arg(long)]
    threads: Option<usize>,
}

#[derive(Args)]
struct IndexArgs {
    /// Completed questionnaires (CSV or XLSX): `applicant_id` (with --sample) or
    /// `unit_code` (with --population), then one column per item code (or headed by the
    /// item's text); the questionnaire's `[columns]` may give other headers.
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
    /// Strata of one respondent in the variances: adjust (centred at the sample's mean:
    /// cautious), average (the other strata's average), remove or certainty (left out), or
    /// fail (refuse the run); R's survey.lonely.psu.
    #[arg(long, default_value = "adjust")]
    lonely_psu: String,
    /// Sheet to read from a spreadsheet (default: the first).
    #[arg(long)]
    sheet: Option<String>,
    #[command(flatten)]
    csv: CsvLayout,
    /// Map column names to your export's headers: applicant_id=Mã hồ sơ, unit_code, stratum,
    /// disposition, officer_id, or an item code (repeat the option for a header that holds a
    /// comma); before the questionnaire's [columns].
    #[arg(long)]
    columns: Vec<String>,
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
    /// Units (columns `unit_code, unit_name`, optionally `unit_group`; CSV or XLSX): the
    /// responses' unit column may hold a unit's name (as online forms have it), and reports
    /// name and group the units by it.
    #[arg(long)]
    units: Option<PathBuf>,
    /// Reporting domains (columns `unit_code, domain`, optionally `domain_name,
    /// domain_group`; CSV or XLSX): each unit of the responses belongs to one domain, and the
    /// indices, flags and ranks are published per domain instead of per unit (last year's
    /// survey re-estimated on this year's units). Weights are unchanged.
    #[arg(long)]
    domains: Option<PathBuf>,
    /// Indices per calendar period, month or quarter, by the date of each row (a continuous
    /// survey: desk forms, QR ratings, telephone interviews); a row without a readable date
    /// is an error. Flags and ranks are not computed per period.
    #[arg(long)]
    period: Option<String>,
    /// With --period: the responses' column of dates (default contact_date).
    #[arg(long, requires = "period")]
    date_column: Option<String>,
    /// With --period: the one-stop records (as `chiso timeliness` reads them), for the share
    /// of each period's records rated per unit (coverage.csv).
    #[arg(long, requires = "period")]
    records: Option<PathBuf>,
}

#[derive(Args)]
struct FieldworkArgs {
    /// The sample directory (sample.csv with its manifest.json).
    #[arg(long)]
    sample: PathBuf,
    /// The responses: one row per contact, `applicant_id` and `disposition`, optionally
    /// `stratum`, `interviewer_id` and `contact_date`.
    #[arg(long)]
    responses: PathBuf,
    /// Output directory for substitutions.csv, summary.csv and interviewers.csv.
    #[arg(long)]
    out: PathBuf,
    /// Sheet to read from a responses spreadsheet (default: the first).
    #[arg(long)]
    sheet: Option<String>,
    #[command(flatten)]
    csv: CsvLayout,
    /// Interviewers and units with fewer contacts are never marked as far above the rest.
    #[arg(long, default_value_t = 20)]
    min_contacts: u64,
    /// Map column names to the responses' headers: applicant_id=MaNguoiDan,disposition=KetQua
    /// (repeat the option for a header that holds a comma).
    #[arg(long)]
    columns: Vec<String>,
}

#[derive(Args)]
struct TimelinessArgs {
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
    /// Refuse the records file if more than this share of its rows is rejected.
    #[arg(long, default_value_t = chiso::sample::DEFAULT_MAX_REJECTED)]
    max_rejected: f64,
    /// Sheet to read from a spreadsheet (default: the first).
    #[arg(long)]
    sheet: Option<String>,
    #[command(flatten)]
    csv: CsvLayout,
    /// Map engine column names to your export's headers: due_date=HanTra,officer_id=MaCB
    /// (repeat the option for a header that holds a comma).
    #[arg(long)]
    columns: Vec<String>,
}

#[derive(Args)]
struct ParArgs {
    /// Scoring framework (TOML), e.g. frameworks/par-so.toml.
    #[arg(long)]
    framework: PathBuf,
    /// Self-assessed and appraised scores (CSV or XLSX): `unit_code, criterion,
    /// self_score, appraised_score`, optionally `unit_name, unit_group, note` (long layout);
    /// or `unit_code` and one column per criterion, headed by its code (wide layout).
    #[arg(long)]
    scores: PathBuf,
    /// The scores' layout, long or wide (default: found from the header).
    #[arg(long)]
    layout: Option<String>,
    /// Map the scores' column names to your file's headers: unit_code=MaDV,criterion=TieuChi
    /// (repeat the option for a header that holds a comma).
    #[arg(long)]
    columns: Vec<String>,
    /// The survey's indices.csv (or its directory), for survey criteria.
    #[arg(long)]
    survey: Option<PathBuf>,
    /// Output directory for par.csv, par_fields.csv, par_criteria.csv and par.json.
    #[arg(long)]
    out: PathBuf,
    /// Sheet to read from a spreadsheet of scores (default: the first).
    #[arg(long)]
    sheet: Option<String>,
    #[command(flatten)]
    csv: CsvLayout,
    /// Seed text of the rank-interval simulation (recorded in par.json).
    #[arg(long, default_value = chiso::par::DEFAULT_SEED)]
    seed: String,
    /// Confidence level of the index and rank intervals.
    #[arg(long, default_value_t = 0.95)]
    level: f64,
    /// Replicates of the rank-interval simulation.
    #[arg(long, default_value_t = chiso::par::DEFAULT_REPLICATES)]
    replicates: u32,
}

#[derive(Args)]
struct ReportArgs {
    /// The directory written by `chiso index` (indices.csv, indices.json; flags.csv and
    /// ranks.csv when present).
    #[arg(long)]
    indices: PathBuf,
    /// The directory written by `chiso par` (par.csv; par_fields.csv when present).
    /// Repeat it for results on different frameworks, e.g. departments and communes.
    #[arg(long)]
    par: Vec<PathBuf>,
    /// The directory holding timeliness.csv.
    #[arg(long)]
    timeliness: Option<PathBuf>,
    /// The sample's manifest.json (for the seed, digests and design).
    #[arg(long)]
    manifest: Option<PathBuf>,
    /// The directory written by `chiso compare` (comparison.csv) whose current run is
    /// --indices: the page shows each unit's change since last year.
    #[arg(long)]
    compare: Option<PathBuf>,
    /// The public version, for the province's web site: no officer (neither in the page nor
    /// in the workbook), and no estimate on fewer than 30 answers (shown as "–"). Without
    /// it, the internal report, with everything.
    #[arg(long)]
    public: bool,
    /// Title of the report (default: a generic Vietnamese title).
    #[arg(long)]
    title: Option<String>,
    /// Output directory for report.xlsx and report.html.
    #[arg(long)]
    out: PathBuf,
}

#[derive(Args)]
struct DemoArgs {
    /// Output directory (re-created files are the demo's own).
    #[arg(long, default_value = "chiso-demo")]
    out: PathBuf,
    /// Approximate number of records to generate.
    #[arg(long, default_value_t = 300_000)]
    records: usize,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    clean_up_when_stopped();
    let maps_columns = matches!(cli.command, Command::Sample(_) | Command::Timeliness(_));
    match run(cli.command) {
        Ok(code) => code,
        Err(e) => {
            // The library says what is wrong; the command line adds which option helps.
            let message = match e.kind() {
                ErrorKind::Setting {
                    name,
                    value,
                    expected,
                } => format!("--{} {value}: {expected}", name.replace('_', "-")),
                ErrorKind::Input { input, .. } => format!("{e} (--{input})"),
                ErrorKind::TooManyRejected { .. } => format!(
                    "{e}. Fix the file, or run again with --max-rejected 1 to have every \
                     rejected row listed with its reason"
                ),
                ErrorKind::OutputExists { .. } => {
                    format!("{e}: choose another --out or pass --force")
                }
                ErrorKind::OutputBusy { .. } => {
                    format!("{e}: wait for it to end, or choose another --out")
                }
                ErrorKind::MissingColumns { .. } if maps_columns => format!(
                    "{e}. If your export names them differently, map them with --columns \
                     (e.g. --columns record_id=MaHoSo); if its header is below more than 30 \
                     title rows, give the header's row with --header-row N"
                ),
                _ => e.to_string(),
            };
            warn(&format!("error: {message}\n"));
            ExitCode::from(2)
        }
    }
}

fn threads(t: Option<usize>) -> usize {
    t.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Writes to standard output; a reader that has gone away (a closed pipe) is no error, and
/// the command's own outcome and exit status stand.
fn say(text: &str) {
    let _ = std::io::stdout().write_all(text.as_bytes());
}

/// Writes to standard error, likewise.
fn warn(text: &str) {
    let _ = std::io::stderr().write_all(text.as_bytes());
}

/// Prints a command's summary and the files it wrote.
fn done(summary: &str, written: &[PathBuf]) -> chiso::Result<ExitCode> {
    say(summary);
    for p in written {
        say(&format!("wrote {}\n", p.display()));
    }
    Ok(ExitCode::SUCCESS)
}

fn run(command: Command) -> chiso::Result<ExitCode> {
    match command {
        Command::Commit(a) => {
            let _held = chiso::lock_output(&a.out)?;
            let written = match (a.manifest, a.records, a.design) {
                (Some(m), _, _) => {
                    let manifest = chiso::Manifest::load(&m)?;
                    chiso::commitment::write_after(&a.out, &manifest, &a.seed_source)?
                }
                (None, Some(records), Some(design)) => {
                    let req = chiso::commitment::CommitRequest {
                        // The seed is not used: the draw is not made.
                        sample: a
                            .reading
                            .request(records, &design, String::new(), 1, None)?,
                        seed_source: a.seed_source,
                    };
                    let c = chiso::commitment::commit(&req)?;
                    let written = chiso::commitment::write(&a.out, &c, a.force)?;
                    say(&format!(
                        "committed: records SHA-256 {}, frame_digest {}, {} strata, {} official and \
                         {} reserve to draw\n",
                        &c.records.sha256[..16],
                        &c.frame_digest[..16],
                        c.totals.strata,
                        c.totals.sample_size,
                        c.totals.reserve_size
                    ));
                    written
                }
                _ => unreachable!("clap requires --manifest or --records and --design"),
            };
            done("", &written)
        }
        Command::Sample(a) => {
            // Refuse before any work if the sample exists, and keep the folder until the
            // sample is written.
            let _held = chiso::sample::refuse_existing(&a.out, a.force)?;
            let commitment = match &a.commitment {
                Some(p) => Some((chiso::commitment::Commitment::load(p)?, p.clone())),
                None => None,
            };
            let req =
                a.reading
                    .request(a.records, &a.design, a.seed, threads(a.threads), commitment)?;
            let started = Instant::now();
            let drawn = draw_sample(&req)?;
            drawn.write(&a.out, a.force)?;
            if let Some(p) = &a.commitment {
                say(&format!(
                    "commitment: drawn from exactly the records and design committed in {}\n",
                    p.display()
                ));
            }
            say(&drawn.summary(&a.out, started.elapsed().as_secs_f64()));
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify(a) => {
            let check = match (a.indices, a.records, a.manifest) {
                _ if a.report.is_some() => verify::verify_report(
                    a.report.as_deref().expect("matched"),
                    report::Sources {
                        indices: a.from_indices.expect("required by clap"),
                        par: a.from_par,
                        timeliness: a.from_timeliness,
                        manifest: a.from_manifest,
                        compare: a.from_compare,
                        title: None,
                        public: false,
                    },
                )?,
                _ if a.par.is_some() => verify::verify_par(
                    a.par.as_deref().expect("matched"),
                    verify::ParInputs {
                        framework: a.framework.expect("required by clap"),
                        scores: a.scores.expect("required by clap"),
                        survey: a.survey,
                    },
                )?,
                (Some(dir), records, _) => {
                    let population = match (a.sample, a.population) {
                        (Some(s), _) if s.is_file() => index::Population::Sample(
                            s.parent().map(PathBuf::from).unwrap_or_default(),
                        ),
                        (Some(s), _) => index::Population::Sample(s),
                        (None, Some(p)) => index::Population::File(p),
                        (None, None) => {
                            return Err(chiso::Error::from(ErrorKind::Usage(
                                "verify --indices needs the sample (--sample DIR) or the \
                                 populations (--population FILE) the indices were computed from"
                                    .into(),
                            )));
                        }
                    };
                    let inputs = index::RunInputs {
                        responses: a.responses.expect("required by clap"),
                        questionnaire: a.questionnaire.expect("required by clap"),
                        population,
                        margins: a.margins,
                        units: a.units,
                        domains: a.domains,
                        records,
                    };
                    verify::verify_indices(&dir, inputs)?
                }
                (None, Some(records), Some(manifest)) => verify::verify(
                    &records,
                    &manifest,
                    a.sample.as_deref(),
                    &a.csv.with_sheet(a.sheet.clone()),
                    threads(a.threads),
                )?,
                (None, Some(_), None) => {
                    return Err(chiso::Error::from(ErrorKind::Usage(
                        "verify --records rebuilds a sample: give its manifest too \
                         (--manifest DIR/manifest.json)"
                            .into(),
                    )));
                }
                _ => unreachable!("clap requires --indices or --records and --manifest"),
            };
            say(&check.to_string());
            Ok(exit(check.identical()))
        }
        Command::Index(a) => {
            let _held = chiso::lock_output(&a.out)?;
            let req = a.request()?;
            let out = index::run(&req)?;
            warn(&out.notes(&req.questionnaire));
            done(&out.summary(&req.flags), &out.written)
        }
        Command::Fieldwork(a) => {
            let _held = chiso::lock_output(&a.out)?;
            let req = chiso::fieldwork::FieldworkRequest {
                rates: chiso::fieldwork::RateSettings::new(a.min_contacts)?,
                sample: a.sample,
                responses: a.responses,
                layout: a.csv.with_sheet(a.sheet),
                columns: ColumnMap::parse_all(&a.columns)?,
                out: a.out,
            };
            let out = chiso::fieldwork::run(&req)?;
            done(&out.audit.report(), &out.written)?;
            Ok(exit(out.audit.breaches.is_empty()))
        }
        Command::Timeliness(a) => {
            let _held = chiso::lock_output(&a.out)?;
            let design = a.design.map(|d| Design::load(&d)).transpose()?;
            let req = timeliness::TimelinessRequest {
                settings: timeliness::TimelinessSettings::new(a.late_ceiling)?,
                max_rejected: a.max_rejected,
                window: design.as_ref().map(|d| d.window),
                applicant_types: design.map(|d| d.applicant_types).unwrap_or_default(),
                columns: ColumnMap::parse_all(&a.columns)?,
                records: a.records,
                layout: a.csv.with_sheet(a.sheet),
                out: a.out,
            };
            let (t, written) = timeliness::run(&req)?;
            done(&t.summary(), &written)
        }
        Command::Par(a) => {
            let _held = chiso::lock_output(&a.out)?;
            let req = par::ParRequest {
                settings: par::Settings::new(a.level, a.replicates, &a.seed)?,
                framework: par::Framework::load(&a.framework)?,
                scores: a.scores,
                sheet: a.sheet,
                reading: par::ReadOptions {
                    layout: a.layout.as_deref().map(par::Layout::parse).transpose()?,
                    columns: ColumnMap::parse_all(&a.columns)?,
                    delimiter: a.csv.delimiter,
                    header_row: a.csv.header_row,
                },
                survey: a.survey,
                out: a.out,
            };
            let (result, written) = par::run(&req)?;
            done(&result.summary(&req.framework), &written)
        }
        Command::Report(a) => {
            let _held = chiso::lock_output(&a.out)?;
            let sources = report::Sources {
                indices: a.indices,
                par: a.par,
                timeliness: a.timeliness,
                manifest: a.manifest,
                compare: a.compare,
                title: a.title,
                public: a.public,
            };
            let req = report::ReportRequest {
                sources,
                out: a.out,
            };
            let out = report::run(&req)?;
            done(&out.summary(), &out.written)
        }
        Command::Recheck(a) => {
            let _held = chiso::lock_output(&a.out)?;
            let by = chiso::recheck::By::parse(&a.by)?;
            let req = chiso::RecheckRequest {
                settings: chiso::recheck::Settings::new(a.share, a.refusals, by)?,
                responses: a.responses,
                layout: a.csv.with_sheet(a.sheet),
                columns: ColumnMap::parse_all(&a.columns)?,
                sample: a.sample,
                seed: a.seed,
                out: a.out,
            };
            let out = chiso::recheck::run(&req)?;
            done(&out.summary(), &out.written)
        }
        Command::EntryCompare(a) => {
            let _held = chiso::lock_output(&a.out)?;
            let req = chiso::EntryCompareRequest {
                questionnaire: chiso::Questionnaire::load(&a.questionnaire)?,
                first: a.first,
                second: a.second,
                recheck: a.recheck,
                resolved: a.resolved,
                layout: a.csv.with_sheet(a.sheet),
                columns: ColumnMap::parse_all(&a.columns)?,
                out: a.out,
            };
            let out = chiso::entry::run(&req)?;
            done(&out.summary(), &out.written)?;
            Ok(exit(out.identical() || out.merged.is_some()))
        }
        Command::Compare(a) => {
            let _held = chiso::lock_output(&a.out)?;
            let req = chiso::CompareRequest::new(a.previous, a.current, a.level, a.out)?;
            let out = chiso::compare::run(&req)?;
            done(&out.summary(), &out.written)
        }
        Command::EntrySheet(a) => {
            let req = chiso::EntrySheetRequest {
                sample: a.sample,
                questionnaire: chiso::Questionnaire::load(&a.questionnaire)?,
                out: a.out,
                force: a.force,
            };
            let out = chiso::entry_sheet::run(&req)?;
            done(&out.summary(), std::slice::from_ref(&out.written))
        }
        Command::Demo(a) => {
            let _held = chiso::lock_output(&a.out)?;
            let req = demo::DemoRequest {
                out: a.out,
                records: a.records,
                threads: threads(None),
            };
            Ok(exit(
                demo::run(
                    &req,
                    &mut Progress {
                        shown: std::io::stderr().is_terminal(),
                        bar: None,
                    },
                )?
                .verified,
            ))
        }
    }
}

/// On SIGINT, SIGTERM or SIGHUP: removes the unfinished output files of this run (after
/// letting a set of files being put in place finish), says so, and ends the process as the
/// signal would have. Unix only; elsewhere, the next run into the folder clears them.
fn clean_up_when_stopped() {
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
            return;
        };
        std::thread::spawn(move || {
            if let Some(signal) = signals.forever().next() {
                let stopped = chiso::abandon_unfinished();
                for dir in &stopped.written {
                    warn(&format!(
                        "interrupted: the files already written in {} are complete\n",
                        dir.display()
                    ));
                }
                for dir in &stopped.removed {
                    warn(&format!(
                        "interrupted: the unfinished output in {} was removed; the folder is \
                         as it was before this run\n",
                        dir.display()
                    ));
                }
                let _ = signal_hook::low_level::emulate_default_handler(signal);
            }
        });
    }
}

/// 0 when a check found the files identical, 1 when it found a difference.
fn exit(identical: bool) -> ExitCode {
    ExitCode::from(u8::from(!identical))
}

impl IndexArgs {
    /// The request, settings first: a wrong one is reported before any file is read.
    fn request(self) -> chiso::Result<index::IndexRequest> {
        let options = index::RunOptions {
            ci: self.ci,
            level: self.level,
            lonely_psu: self.lonely_psu,
            sheet: self.sheet,
            flag_threshold: self.flag_threshold,
            min_answers: self.min_answers,
            max_ci_width: self.max_ci_width,
            rank_seed: self.rank_seed,
            rank_replicates: self.rank_replicates,
            invalid_as_missing: self.invalid_as_missing,
            calibrate: self.calibrate,
            units: self.units.is_some(),
            domains: self.domains.is_some(),
            period: self.period,
            date_column: self.date_column,
            records: self.records.is_some(),
            columns: ColumnMap::parse_all(&self.columns)?,
            delimiter: self.csv.delimiter,
            header_row: self.csv.header_row,
        };
        let inputs = index::RunInputs {
            responses: self.responses,
            questionnaire: self.questionnaire,
            population: match (self.sample, self.population) {
                (Some(dir), _) => index::Population::Sample(dir),
                (None, Some(file)) => index::Population::File(file),
                (None, None) => unreachable!("clap requires one of them"),
            },
            margins: self.margins,
            units: self.units,
            domains: self.domains,
            records: self.records,
        };
        index::IndexRequest::new(inputs, &options, self.out)
    }
}

/// The demo's progress on standard error, drawn only when standard error is a terminal (a
/// piped or redirected run stays quiet, and no output file depends on it), and its summary
/// on standard output.
struct Progress {
    shown: bool,
    bar: Option<ProgressBar>,
}

impl Progress {
    fn show(&mut self, pb: ProgressBar, template: &str, message: &'static str) {
        if self.shown {
            // Cleared when dropped too, so that an error is printed on a clean line.
            let pb = pb.with_finish(ProgressFinish::AndClear);
            let style = ProgressStyle::with_template(template).expect("a valid template");
            pb.set_style(style.progress_chars("=> "));
            pb.set_message(message);
            self.bar = Some(pb);
        }
    }
}

impl demo::Observer for Progress {
    fn step(&mut self, message: &'static str) {
        let pb = ProgressBar::new_spinner();
        pb.enable_steady_tick(Duration::from_millis(100));
        self.show(pb, "{spinner} {msg} ({elapsed})", message);
    }

    fn bar(&mut self, message: &'static str, len: u64) {
        let template = "{msg} [{bar:40}] {human_pos}/{human_len} ({eta})";
        self.show(ProgressBar::new(len), template, message);
    }

    fn advance(&mut self, position: u64) {
        if let Some(pb) = &self.bar {
            pb.set_position(position);
        }
    }

    fn done(&mut self) {
        if let Some(pb) = self.bar.take() {
            pb.finish_and_clear();
        }
    }

    fn say(&mut self, text: &str) {
        say(text);
    }
}
