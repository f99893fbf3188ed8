//! The satisfaction indices: for the whole population (`ALL`) and every unit, each item's,
//! element's and the overall share satisfied, share dissatisfied and mean score, with standard
//! errors (Taylor linearisation, [`crate::estimate`]) and confidence intervals ([`crate::ci`]).
//!
//! An element index is the mean of its item indices and the overall index the (weighted) mean
//! of the element indices, each linearised as one combination of ratios. Degrees of freedom:
//! the respondents who answered (at least one of the indicator's items) minus the strata they
//! come from, as R's `degf` counts them on the subset of answers. Intervals for shares use the
//! chosen method; mean scores use a Wald interval on the same degrees of freedom. A domain with
//! no answer gets `n = 0` and empty estimates.
//!
//! The domains are `ALL` and the units of the responses, or, with a domains file, the
//! reporting domains it maps the units to ([`crate::domains::apply`] puts them in the units'
//! place, so that both estimators, flags and ranks work on them unchanged).
//!
//! Per period (`--period`), each period's respondents are estimated as responses of their own
//! ([`ResponseData::subset`]: their strata, units and weights `N_h / m_h` within the period),
//! and their rows carry the period; flags and ranks are not computed.

use std::path::PathBuf;

use serde::Serialize;

use crate::flags::{FlagRow, FlagSettings};
use crate::ranks::{RankRow, RankSettings};
use crate::responses::{Link, ReadOptions};
use crate::weights::{Base, Calibrated, Calibration, Margins, Weighting};

use crate::ci;
use crate::error::Result;
use crate::estimate::{Estimate, LonelyPsu, RatioTerm, StratifiedSample};
use crate::files::sample::SampleDir;
use crate::kernel::{self, Columns};
use crate::output::{Staged, Writing};
use crate::provenance::{FileDigest, Provenance, SampleRef};
use crate::questionnaire::Questionnaire;
use crate::responses::{NO_ANSWER, ResponseData};

pub use crate::ci::Settings;
pub use crate::files::indices::IndexRow;

const MEASURES: [&str; 3] = ["satisfied_pct", "dissatisfied_pct", "mean_score"];

/// The indicator names in output order: items, elements, overall; and each one's terms
/// `(item, coefficient)` of the combination of item ratios.
fn indicators(q: &Questionnaire) -> Vec<(String, Vec<(usize, f64)>)> {
    let mut indicators: Vec<(String, Vec<(usize, f64)>)> = q
        .items
        .iter()
        .enumerate()
        .map(|(k, code)| (format!("item:{code}"), vec![(k, 1.0)]))
        .collect();
    for e in &q.elements {
        indicators.push((
            format!("element:{}", e.code),
            e.items
                .iter()
                .copied()
                .zip(e.item_weights.iter().copied())
                .collect(),
        ));
    }
    indicators.push((
        "overall".into(),
        q.elements
            .iter()
            .flat_map(|e| {
                e.items
                    .iter()
                    .zip(&e.item_weights)
                    .map(move |(&k, c)| (k, e.weight * c))
            })
            .collect(),
    ));
    indicators
}

/// The number of threads [`compute`] uses: what the machine offers.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Computes every row with the columnar kernel ([`crate::compute_kernel`]): domains `ALL`
/// then units in order; indicators items, elements, overall; measures satisfied,
/// dissatisfied, mean score.
///
/// Weights calibrated to margins (post-stratification, raking) change the variance: the
/// linearised values are replaced by their residuals from the calibration groups
/// (`data.calibration`), which the kernel forms from per-(stratum, group) sums;
/// [`compute_reference`] forms them respondent by respondent and is the check.
pub fn compute(q: &Questionnaire, data: &ResponseData, settings: Settings) -> Vec<IndexRow> {
    compute_with_threads(q, data, settings, default_threads())
}

/// [`compute`] on `threads` threads; the result does not depend on `threads`.
pub fn compute_with_threads(
    q: &Questionnaire,
    data: &ResponseData,
    settings: Settings,
    threads: usize,
) -> Vec<IndexRow> {
    let columns = Columns::with_threads(q, data, &data.weights(), threads);
    let estimates = kernel::compute(q, &columns, settings.lonely_psu, threads);
    rows(q, data, settings, &estimates, threads)
}

/// The same rows as [`compute`], from the reference estimator ([`crate::estimate`]), one
/// domain and indicator at a time: slow, plain, and what the kernel is tested against.
pub fn compute_reference(
    q: &Questionnaire,
    data: &ResponseData,
    settings: Settings,
) -> Vec<IndexRow> {
    let n = data.len();
    let sample = StratifiedSample::new(
        data.stratum_of.clone(),
        data.weights(),
        data.population.clone(),
    )
    .with_calibration(data.calibration.clone())
    .with_lonely_psu(settings.lonely_psu);
    // Per item: satisfied, dissatisfied, score and answered, as numbers per respondent.
    let columns: Vec<[Vec<f64>; 4]> = data
        .answers
        .iter()
        .map(|a| {
            let col = |f: &dyn Fn(u8) -> f64| -> Vec<f64> {
                a.iter()
                    .map(|&v| if v == NO_ANSWER { 0.0 } else { f(v) })
                    .collect()
            };
            [
                col(&|v| f64::from(u8::from(q.scale.is_satisfied(v)))),
                col(&|v| f64::from(u8::from(q.scale.is_dissatisfied(v)))),
                col(&|v| f64::from(v)),
                col(&|_| 1.0),
            ]
        })
        .collect();
    let mut domains: Vec<Vec<usize>> = vec![(0..n).collect()];
    for u in 0..data.units.len() {
        domains.push((0..n).filter(|&i| data.unit_of[i] as usize == u).collect());
    }
    let mut estimates = Vec::new();
    for rows in &domains {
        for (_, terms) in indicators(q) {
            for m in 0..MEASURES.len() {
                let scale = if m < 2 { 100.0 } else { 1.0 };
                let ratio_terms: Vec<RatioTerm<'_>> = terms
                    .iter()
                    .map(|&(k, c)| RatioTerm {
                        numerator: &columns[k][m],
                        denominator: &columns[k][3],
                        coefficient: c * scale,
                    })
                    .collect();
                // With the respondents who answered at least one item of the indicator (the
                // denominators), and their strata.
                estimates.push(sample.ratio_combination(&ratio_terms, rows));
            }
        }
    }
    rows(q, data, settings, &estimates, 1)
}

/// The published rows: names, and intervals for the estimates (in [`compute`]'s order).
fn rows(
    q: &Questionnaire,
    data: &ResponseData,
    settings: Settings,
    estimates: &[Estimate],
    threads: usize,
) -> Vec<IndexRow> {
    let indicators = indicators(q);
    let domains: Vec<&str> = std::iter::once("ALL")
        .chain(data.units.iter().map(String::as_str))
        .collect();
    let per_domain = indicators.len() * MEASURES.len();
    // The row of estimate `j`: domains in order, each with its indicators and measures.
    let row = |j: usize, e: &Estimate| {
        let domain = domains[j / per_domain];
        let (indicator, _) = &indicators[j % per_domain / MEASURES.len()];
        let m = j % MEASURES.len();
        let mut row = IndexRow {
            period: None,
            domain: domain.to_string(),
            indicator: indicator.clone(),
            measure: MEASURES[m],
            estimate: None,
            std_error: None,
            ci_lower: None,
            ci_upper: None,
            ci_method: if m < 2 {
                settings.ci_method.as_str()
            } else {
                "wald"
            },
            n: e.n,
            df: e.df,
            se_note: "",
        };
        if let Some(p) = ci::publish(e, m < 2, &settings) {
            row.estimate = Some(p.estimate);
            row.std_error = p.std_error;
            row.se_note = crate::files::indices::se_note(e.precision);
            if let Some(i) = p.interval {
                row.ci_lower = Some(i.lower);
                row.ci_upper = Some(i.upper);
            }
        }
        row
    };
    let estimates = &estimates[..estimates.len().min(domains.len() * per_domain)];
    let rows_of = |from: usize, part: &[Estimate]| -> Vec<IndexRow> {
        part.iter()
            .enumerate()
            .map(|(j, e)| row(from + j, e))
            .collect()
    };
    if threads <= 1 || estimates.len() < 1 << 14 {
        return rows_of(0, estimates);
    }
    // On each thread, a share of the rows, joined in order.
    let per = estimates.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let parts: Vec<_> = estimates
            .chunks(per)
            .enumerate()
            .map(|(t, part)| {
                let rows_of = &rows_of;
                scope.spawn(move || rows_of(t * per, part))
            })
            .collect();
        let mut out = Vec::with_capacity(estimates.len());
        for p in parts {
            out.extend(p.join().expect("making rows does not panic"));
        }
        out
    })
}

/// What an index run publishes besides the rows: more keys of `indices.json` and more files
/// written together with `indices.csv` (all or none of them).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Extras {
    /// Keys added to `indices.json` (e.g. `weight_summary`, `response_rates`).
    pub json: serde_json::Map<String, serde_json::Value>,
    /// Files added to the output directory, as (name, content).
    pub files: Vec<(String, Vec<u8>)>,
}

impl Extras {
    /// What the responses and their weights add: `weight_summary`; `lonely_strata` (the
    /// strata of one respondent, each with its population); `calibration` when the
    /// weights were calibrated; `invalid_answers` (per item) when invalid answers were read as
    /// no answer; `item_texts` (item code → text) when the questionnaire gives texts;
    /// `element_names` (element code → name);
    /// `response_rates` and the file `response_rates.csv` when the responses had
    /// dispositions.
    pub fn describe(
        q: &Questionnaire,
        data: &ResponseData,
        calibration: Option<&crate::weights::CalibrationReport>,
    ) -> Extras {
        let mut e = Extras::default();
        e.json.insert(
            "weight_summary".into(),
            to_json(&crate::weights::WeightSummary::of(&data.weight)),
        );
        e.json
            .insert("lonely_strata".into(), to_json(&data.lonely_strata()));
        if let Some(c) = calibration {
            e.json.insert("calibration".into(), to_json(c));
        }
        if let Some(inv) = &data.invalid {
            let counts: serde_json::Map<String, serde_json::Value> = q
                .items
                .iter()
                .zip(&inv.counts)
                .map(|(item, &n)| (item.clone(), n.into()))
                .collect();
            e.json
                .insert("invalid_answers".into(), serde_json::Value::Object(counts));
        }
        let texts: serde_json::Map<String, serde_json::Value> = (0..q.items.len())
            .filter_map(|k| Some((q.items[k].clone(), q.item_text(k)?.into())))
            .collect();
        if !texts.is_empty() {
            e.json
                .insert("item_texts".into(), serde_json::Value::Object(texts));
        }
        let names: serde_json::Map<String, serde_json::Value> = q
            .elements
            .iter()
            .map(|el| (el.code.clone(), el.name.clone().into()))
            .collect();
        if !names.is_empty() {
            e.json
                .insert("element_names".into(), serde_json::Value::Object(names));
        }
        if let Some(rates) = &data.response_rates {
            e.json.insert("response_rates".into(), to_json(rates));
            e.files.push((
                "response_rates.csv".into(),
                crate::files::response_rates::to_csv(rates),
            ));
        }
        e
    }
}

fn to_json<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).expect("plain data serialises")
}

/// The files of an index run besides flags and ranks ([`write_index_files`]), in order.
fn index_names(extras: &Extras) -> impl Iterator<Item = &str> {
    ["indices.csv", "indices.json"]
        .into_iter()
        .chain(extras.files.iter().map(|(n, _)| n.as_str()))
}

/// Writes the files of an index run besides flags and ranks: `indices.csv`, `indices.json`
/// and the `extras` files ([`index_names`]), each as it is made.
fn write_index_files(
    writing: &Writing,
    q: &Questionnaire,
    settings: Settings,
    weights: &Weighting,
    provenance: &Provenance,
    rows: &[IndexRow],
    extras: &Extras,
) -> Result<()> {
    let mut names = index_names(extras);
    let mut next = || names.next().expect("a name per file");
    writing.write_with(next(), |w| crate::files::indices::write_csv(rows, w))?;
    let published = crate::files::indices::Published {
        questionnaire: &q.name,
        settings,
        weights,
        engine_version: env!("CARGO_PKG_VERSION"),
        provenance,
        extra: &extras.json,
        rows,
    };
    writing.write_with(next(), |w| crate::files::indices::write_json(&published, w))?;
    for (name, bytes) in &extras.files {
        writing.write(name, bytes)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The command: `chiso index`.

/// Where the strata and their populations come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Population {
    /// A drawn sample: the directory holding its `sample.csv`.
    Sample(PathBuf),
    /// A file with columns `stratum, population`, for a survey without a drawn sample; the
    /// responses then carry `unit_code`.
    File(PathBuf),
}

/// What `chiso index` needs, validated: the responses, the questionnaire, where the weights
/// come from, and every setting of the indices, flags and ranks.
#[derive(Clone, Debug)]
pub struct IndexRequest {
    /// Completed questionnaires (CSV or a spreadsheet).
    pub responses: PathBuf,
    /// The sheet, for a spreadsheet.
    pub sheet: Option<String>,
    /// A CSV file's delimiter and the header's row (`None`: found).
    pub delimiter: Option<crate::Delimiter>,
    /// The header's row below title rows (`None`: found).
    pub header_row: Option<u64>,
    /// The responses' headers for named columns and items (`--columns`).
    pub columns: crate::ColumnMap,
    /// The questionnaire.
    pub questionnaire: Questionnaire,
    /// Where strata and populations come from.
    pub population: Population,
    /// Interval method and level.
    pub settings: Settings,
    /// Flag threshold and precision rules.
    pub flags: FlagSettings,
    /// The rank-interval simulation.
    pub ranks: RankSettings,
    /// Read answers off the scale as no answer (counted) instead of refusing the file.
    pub invalid_as_missing: bool,
    /// Calibrate the weights to these margins by this method.
    pub calibration: Option<(Margins, Calibration)>,
    /// The units' codes, names and groups: the responses may name a unit by its name.
    pub units: Option<crate::units::Units>,
    /// The reporting domains: the indices are published on them instead of the units.
    pub domains: Option<crate::domains::Domains>,
    /// Indices per period, by the dates of this column of the responses.
    pub period: Option<(crate::period::Period, String)>,
    /// The one-stop records, for the share of the records of each period rated
    /// (`coverage.csv`), with a period.
    pub records: Option<PathBuf>,
    /// The output directory.
    pub out: PathBuf,
}

/// The options of an index run as the command line gives them and `indices.json` records
/// them (`request`), so that `chiso verify --indices` can run it again. Every one is checked
/// by [`IndexRequest::new`].
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct RunOptions {
    /// Interval method for shares (`--ci`).
    pub ci: String,
    /// Confidence level.
    pub level: f64,
    /// Strata of one respondent (`--lonely-psu`).
    pub lonely_psu: String,
    /// The sheet of a spreadsheet of responses.
    pub sheet: Option<String>,
    /// Flag threshold (percent dissatisfied).
    pub flag_threshold: f64,
    /// Fewer answers make an estimate imprecise.
    pub min_answers: u64,
    /// A wider interval makes an estimate imprecise.
    pub max_ci_width: f64,
    /// Seed text of the rank simulation.
    pub rank_seed: String,
    /// Replicates of the rank simulation.
    pub rank_replicates: u32,
    /// Answers off the scale read as no answer.
    pub invalid_as_missing: bool,
    /// Calibration to margins: `poststratify` or `rake` (with a margins file).
    pub calibrate: Option<String>,
    /// Whether a units file was given ([`RunInputs::units`]); recorded only when one was.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub units: bool,
    /// Whether a domains file was given ([`RunInputs::domains`]); recorded only when one was.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub domains: bool,
    /// Indices per period: `month` or `quarter`; recorded when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<String>,
    /// The column of the responses' dates, with a period (`None`:
    /// [`crate::period::DEFAULT_DATE_COLUMN`]); recorded when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_column: Option<String>,
    /// Whether the records were given ([`RunInputs::records`]); recorded only when they were.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub records: bool,
    /// The responses' headers for named columns and items; recorded when given.
    #[serde(default, skip_serializing_if = "crate::ColumnMap::is_empty")]
    pub columns: crate::ColumnMap,
    /// A CSV file's delimiter, when given (else found).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<crate::Delimiter>,
    /// The header's row, when given (else found).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_row: Option<u64>,
}

impl Default for RunOptions {
    fn default() -> RunOptions {
        RunOptions {
            ci: "logit".into(),
            level: 0.95,
            lonely_psu: LonelyPsu::default().as_str().into(),
            sheet: None,
            flag_threshold: 25.0,
            min_answers: 30,
            max_ci_width: 20.0,
            rank_seed: crate::ranks::DEFAULT_SEED.into(),
            rank_replicates: 1000,
            invalid_as_missing: false,
            calibrate: None,
            units: false,
            domains: false,
            period: None,
            date_column: None,
            records: false,
            columns: crate::ColumnMap::default(),
            delimiter: None,
            header_row: None,
        }
    }
}

/// The input files of an index run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunInputs {
    /// Completed questionnaires.
    pub responses: PathBuf,
    /// The questionnaire (TOML).
    pub questionnaire: PathBuf,
    /// Where strata and populations come from.
    pub population: Population,
    /// Known margins, to calibrate to (with [`RunOptions::calibrate`]).
    pub margins: Option<PathBuf>,
    /// The units file (`unit_code, unit_name, unit_group`), with [`RunOptions::units`].
    pub units: Option<PathBuf>,
    /// The domains file (`unit_code, domain`, optionally `domain_name, domain_group`), with
    /// [`RunOptions::domains`].
    pub domains: Option<PathBuf>,
    /// The one-stop records (as `chiso timeliness` reads them), with
    /// [`RunOptions::records`] and a period.
    pub records: Option<PathBuf>,
}

impl IndexRequest {
    /// The request for `inputs` with `options`, every option checked first (a wrong one is
    /// reported before any file is read), written to `out`.
    pub fn new(inputs: RunInputs, options: &RunOptions, out: PathBuf) -> Result<IndexRequest> {
        let flags = FlagSettings::new(
            options.flag_threshold,
            options.min_answers,
            options.max_ci_width,
        )?;
        let ranks = RankSettings::new(options.rank_replicates, &options.rank_seed)?;
        let settings = Settings::new(
            ci::Method::parse(&options.ci)?,
            options.level,
            LonelyPsu::parse(&options.lonely_psu)?,
        )?;
        let method = options
            .calibrate
            .as_deref()
            .map(Calibration::parse)
            .transpose()?;
        let calibration = match (inputs.margins, method) {
            (Some(m), Some(c)) => Some((Margins::load(&m)?, c)),
            (None, None) => None,
            (Some(_), None) => {
                return Err(crate::Error::setting(
                    "calibrate",
                    "(none)",
                    "margins are given: say how to calibrate to them, poststratify or rake",
                ));
            }
            (None, Some(_)) => {
                return Err(crate::Error::setting(
                    "margins",
                    "(none)",
                    "a calibration needs the file of known margins",
                ));
            }
        };
        let units = match (inputs.units, options.units) {
            (Some(u), _) => Some(crate::units::Units::load(&u)?),
            (None, false) => None,
            (None, true) => {
                return Err(crate::Error::input(
                    "units",
                    "the run reads its units' names from a units file: give it",
                ));
            }
        };
        let domains = match (inputs.domains, options.domains) {
            (Some(d), _) => Some(crate::domains::Domains::load(&d)?),
            (None, false) => None,
            (None, true) => {
                return Err(crate::Error::input(
                    "domains",
                    "the run publishes its indices on the reporting domains of a domains file: \
                     give it",
                ));
            }
        };
        let period = options
            .period
            .as_deref()
            .map(crate::period::Period::parse)
            .transpose()?;
        let period = match (period, &options.date_column) {
            (Some(p), c) => Some((
                p,
                c.clone()
                    .unwrap_or_else(|| crate::period::DEFAULT_DATE_COLUMN.to_string()),
            )),
            (None, None) => None,
            (None, Some(c)) => {
                return Err(crate::Error::setting(
                    "period",
                    "(none)",
                    format!(
                        "the date column {c:?} is read to give each row its period: give the period, month or quarter"
                    ),
                ));
            }
        };
        if period.is_some() && calibration.is_some() {
            return Err(crate::Error::setting(
                "calibrate",
                options.calibrate.as_deref().unwrap_or_default(),
                "the indices of each period are weighted within the period by the design \
                 (N_h / m_h); calibration to the year's margins per period is not done: \
                 calibrate a run without a period",
            ));
        }
        let records = match (inputs.records, options.records) {
            (Some(_), _) if period.is_none() => {
                return Err(crate::Error::setting(
                    "period",
                    "(none)",
                    "the records are read for the share of each period's records rated: \
                     give the period, month or quarter",
                ));
            }
            (Some(r), _) => Some(r),
            (None, false) => None,
            (None, true) => {
                return Err(crate::Error::input(
                    "records",
                    "the run counted the records of each period rated from a records file: \
                     give it",
                ));
            }
        };
        Ok(IndexRequest {
            questionnaire: Questionnaire::load(&inputs.questionnaire)?,
            units,
            domains,
            period,
            records,
            calibration,
            population: inputs.population,
            responses: inputs.responses,
            sheet: options.sheet.clone(),
            delimiter: options.delimiter,
            header_row: options.header_row,
            columns: options.columns.clone(),
            settings,
            flags,
            ranks,
            invalid_as_missing: options.invalid_as_missing,
            out,
        })
    }

    /// The options this request was made from, as `indices.json` records them.
    pub fn options(&self) -> RunOptions {
        RunOptions {
            ci: self.settings.ci_method.as_str().into(),
            level: self.settings.level,
            lonely_psu: self.settings.lonely_psu.as_str().into(),
            sheet: self.sheet.clone(),
            flag_threshold: self.flags.threshold_pct,
            min_answers: self.flags.min_answers,
            max_ci_width: self.flags.max_ci_width,
            rank_seed: self.ranks.seed.clone(),
            rank_replicates: self.ranks.replicates,
            invalid_as_missing: self.invalid_as_missing,
            calibrate: self.calibration.as_ref().map(|(_, c)| c.as_str().into()),
            units: self.units.is_some(),
            domains: self.domains.is_some(),
            period: self.period.as_ref().map(|(p, _)| p.as_str().to_string()),
            date_column: self.period.as_ref().map(|(_, c)| c.clone()),
            records: self.records.is_some(),
            columns: self.columns.clone(),
            delimiter: self.delimiter,
            header_row: self.header_row,
        }
    }
}

/// What `chiso index` computed and wrote.
#[derive(Clone, Debug)]
pub struct IndexOutput {
    /// The responses as used (calibrated weights when asked).
    pub data: ResponseData,
    /// The estimation settings used.
    pub settings: Settings,
    /// Where the weights came from.
    pub weighting: Weighting,
    /// What the calibration did, when there was one.
    pub calibration: Option<crate::weights::CalibrationReport>,
    /// The reporting domains, when the indices are published on a domains file's.
    pub domains: Option<crate::domains::Used>,
    /// The periods, in order, when the indices are per period (`indices.json`, `periods`).
    pub periods: Vec<PeriodInfo>,
    /// The rows of `coverage.csv` (with a period and the records).
    pub coverage: Vec<crate::files::coverage::CoverageRow>,
    /// The rows of `indices.csv`.
    pub rows: Vec<IndexRow>,
    /// The rows of `flags.csv`.
    pub flags: Vec<FlagRow>,
    /// The rows of `ranks.csv`.
    pub ranks: Vec<RankRow>,
    /// Where the results come from, as `indices.json`, `flags.json` and `ranks.json` record
    /// it.
    pub provenance: Provenance,
    /// The files written, in order.
    pub written: Vec<PathBuf>,
}

/// Reads the responses, weights them (and calibrates the weights when asked), computes the
/// indices, flags and ranks, and writes `indices.csv`, `indices.json`, `flags.*`, `ranks.*`
/// (and `response_rates.csv` when the responses have dispositions) together. With a period:
/// the indices of each period, no flags or ranks, and `coverage.csv` with the records.
pub fn run(req: &IndexRequest) -> Result<IndexOutput> {
    let q = &req.questionnaire;
    let sample_dir;
    let mut provenance = Provenance::default();
    let (link, base) = match &req.population {
        Population::Sample(dir) => {
            sample_dir = SampleDir::open(dir)?;
            (Link::Sample(&sample_dir), Base::Sample)
        }
        Population::File(path) => (Link::Population(path), Base::Population),
    };
    let options = ReadOptions {
        invalid_as_missing: req.invalid_as_missing,
        auxiliary: req
            .calibration
            .as_ref()
            .map(|(m, _)| m.columns())
            .unwrap_or_default(),
        units: req.units.clone(),
        columns: req.columns.clone(),
        delimiter: req.delimiter,
        header_row: req.header_row,
        date_column: req.period.as_ref().map(|(_, c)| c.clone()),
    };
    let mut data =
        crate::responses::read_with(&req.responses, req.sheet.as_deref(), q, &link, &options)?;
    let mut domains = None;
    if let Some(d) = &req.domains {
        let (mapped, used) = crate::domains::apply(data, d, &req.responses.display().to_string())?;
        data = mapped;
        domains = Some(used);
    }
    refuse_if_nothing_answered(&req.responses, q, &data)?;
    let mut weighting = Weighting {
        base,
        calibration: None,
    };
    let mut calibration = None;
    if let Some((margins, method)) = &req.calibration {
        let calibrated: Calibrated =
            crate::weights::calibrate(data.respondents(), margins, *method)?;
        weighting.calibration = Some((*method, calibrated.report.margins.clone()));
        calibration = Some(calibrated.report.clone());
        data = data.calibrated(calibrated);
    }
    refuse_lonely_strata(&data, req.settings.lonely_psu)?;
    provenance.add("responses", data.source.clone());
    if let Some(source) = &q.source {
        provenance.add("questionnaire", source.clone());
    }
    match &link {
        Link::Sample(dir) => {
            let m = &dir.manifest;
            provenance.add(
                "sample",
                FileDigest::new(&dir.csv, m.sample_file_sha256.clone()),
            );
            provenance.add(
                "manifest",
                FileDigest::new(&dir.manifest_path, dir.manifest_sha256.clone()),
            );
            provenance.sample = Some(SampleRef::of(m, &dir.manifest_sha256));
        }
        Link::Population(path) => provenance.add("population", FileDigest::of(path)?),
    }
    if let Some((margins, _)) = &req.calibration {
        provenance.add("margins", margins.source.clone());
    }
    if let Some(units) = &req.units {
        provenance.add("units", units.source.clone());
    }
    if let Some(d) = &req.domains {
        provenance.add("domains", d.source.clone());
    }
    let mut extras = Extras::describe(q, &data, calibration.as_ref());
    extras
        .json
        .insert("request".into(), to_json(&req.options()));
    if let Some(used) = &domains {
        extras
            .json
            .insert("reporting_domains".into(), to_json(used));
    }
    let mut periods = Vec::new();
    let mut coverage = Vec::new();
    let (rows, flags, ranks, written) = match &req.period {
        None => {
            let rows = compute(q, &data, req.settings);
            let flags = crate::flags::compute(q, &data, &rows, req.settings, &req.flags);
            let names: Vec<&str> = index_names(&extras)
                .chain(crate::flags::FILES)
                .chain(crate::ranks::FILES)
                .collect();
            let writing = Staged::new(&req.out, true, &[])?.writing(&names)?;
            // The indices and flags are written while the ranks are simulated: neither needs
            // the other.
            let ranks = std::thread::scope(|s| {
                let written = s.spawn(|| {
                    let (settings, w) = (req.settings, &weighting);
                    write_index_files(&writing, q, settings, w, &provenance, &rows, &extras)?;
                    for (name, bytes) in crate::flags::files(&req.flags, &provenance, &flags) {
                        writing.write(name, &bytes)?;
                    }
                    Ok::<_, crate::Error>(())
                });
                let ranks = crate::ranks::compute(q, &data, &rows, &req.flags, &req.ranks);
                written.join().expect("writing does not panic")?;
                Ok::<_, crate::Error>(ranks)
            })?;
            let (rs, fs) = (&req.ranks, &req.flags);
            for (name, bytes) in crate::ranks::files(rs, fs, &provenance, &ranks) {
                writing.write(name, &bytes)?;
            }
            (rows, flags, ranks, writing.commit()?)
        }
        Some((period, _)) => {
            let mut rows = Vec::new();
            for (label, chosen) in split_periods(&data, *period) {
                let sub = data.subset(&chosen);
                refuse_lonely_strata(&sub, req.settings.lonely_psu)?;
                let mut r = compute(q, &sub, req.settings);
                for row in &mut r {
                    row.period = Some(label.clone());
                }
                rows.extend(r);
                periods.push(PeriodInfo {
                    answers: chosen.len() as u64,
                    first_date: sub.dates.iter().min().map(|d| d.to_string()),
                    last_date: sub.dates.iter().max().map(|d| d.to_string()),
                    lonely_strata: sub
                        .lonely_strata()
                        .iter()
                        .map(|l| l.stratum.to_string())
                        .collect(),
                    per_unit: {
                        let mut n = vec![0u64; sub.units.len()];
                        for &u in &sub.unit_of {
                            n[u as usize] += 1;
                        }
                        sub.units.iter().cloned().zip(n).collect()
                    },
                    records: None,
                    rated_pct: None,
                    period: label,
                });
            }
            if let Some(path) = &req.records {
                coverage = coverage_rows(path, *period, req.domains.as_ref(), &data, &mut periods)?;
                provenance.add("records", FileDigest::of(path)?);
            }
            extras.json.insert("periods".into(), to_json(&periods));
            extras.json.insert(
                "sampling".into(),
                match req.population {
                    Population::Sample(_) => "probability sample",
                    Population::File(_) => "not a probability sample",
                }
                .into(),
            );
            if req.records.is_some() {
                extras.files.push((
                    "coverage.csv".into(),
                    crate::files::coverage::to_csv(&coverage),
                ));
            }
            let names: Vec<&str> = index_names(&extras).collect();
            let writing = Staged::new(&req.out, true, &[])?.writing(&names)?;
            let w = &weighting;
            write_index_files(&writing, q, req.settings, w, &provenance, &rows, &extras)?;
            (rows, Vec::new(), Vec::new(), writing.commit()?)
        }
    };
    Ok(IndexOutput {
        data,
        settings: req.settings,
        weighting,
        calibration,
        domains,
        periods,
        coverage,
        rows,
        flags,
        ranks,
        provenance,
        written,
    })
}

/// One period of a run per period (`indices.json`, `periods`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PeriodInfo {
    /// Its label: `2026-03`, `2026-Q1`.
    pub period: String,
    /// Its respondents (the answers its indices rest on).
    pub answers: u64,
    /// The first and last dates of its answers.
    pub first_date: Option<String>,
    /// See `first_date`.
    pub last_date: Option<String>,
    /// Its strata of one respondent.
    pub lonely_strata: Vec<String>,
    /// Per unit (or reporting domain) with answers: how many.
    pub per_unit: std::collections::BTreeMap<String, u64>,
    /// The records received in the period, with the records.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub records: Option<u64>,
    /// `100 · answers / records`, with the records (when a record was received).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rated_pct: Option<f64>,
}

/// The respondents of each period, by the period of their date: (label, respondents in
/// order), the periods in time order.
fn split_periods(data: &ResponseData, period: crate::period::Period) -> Vec<(String, Vec<usize>)> {
    let mut by: std::collections::BTreeMap<String, Vec<usize>> = Default::default();
    for (i, d) in data.dates.iter().enumerate() {
        by.entry(period.label(*d)).or_default().push(i);
    }
    by.into_iter().collect()
}

/// The rows of `coverage.csv`: per period (of the answers or the records), `ALL` then every
/// unit (or reporting domain) of the answers or the records, with the answers and the
/// records received. Adds the records and the share rated of each period to `periods`.
fn coverage_rows(
    path: &std::path::Path,
    period: crate::period::Period,
    domains: Option<&crate::domains::Domains>,
    data: &ResponseData,
    periods: &mut [PeriodInfo],
) -> Result<Vec<crate::files::coverage::CoverageRow>> {
    use std::collections::{BTreeMap, BTreeSet};
    let t = crate::timeliness::compute(
        path,
        &crate::Layout::default(),
        &crate::ColumnMap::default(),
        None,
        &crate::records::ApplicantTypes::default(),
        crate::TimelinessSettings::default(),
    )?;
    let file = path.display().to_string();
    crate::records::check_rejected(
        &file,
        t.counts.rows,
        &t.rejections,
        crate::sample::DEFAULT_MAX_REJECTED,
    )?;
    // (period, domain) → records received.
    let mut records: BTreeMap<(String, String), u64> = BTreeMap::new();
    for (unit, days) in &t.received {
        let unit = crate::text::nfc(unit).into_owned();
        let domain = match domains {
            None => unit,
            Some(d) => match d.mapping(&unit) {
                Some(m) => d.domains.units[m.domain].code.clone(),
                None => {
                    return Err(crate::error::ErrorKind::Malformed {
                        at: crate::Position::file(file),
                        message: format!(
                            "unit {unit} of the records has no row in {}: the records are \
                             counted per reporting domain, so each of their units needs one",
                            d.source.file
                        ),
                    }
                    .into());
                }
            },
        };
        for (day, n) in days {
            *records
                .entry((period.label(*day), domain.clone()))
                .or_default() += n;
        }
    }
    let mut answers: BTreeMap<(String, String), u64> = BTreeMap::new();
    for (i, d) in data.dates.iter().enumerate() {
        let unit = data.units[data.unit_of[i] as usize].clone();
        *answers.entry((period.label(*d), unit)).or_default() += 1;
    }
    let labels: BTreeSet<&String> = records.keys().chain(answers.keys()).map(|k| &k.0).collect();
    let units: BTreeSet<&String> = records.keys().chain(answers.keys()).map(|k| &k.1).collect();
    let mut rows = Vec::new();
    for label in labels {
        let total = |m: &BTreeMap<(String, String), u64>| -> u64 {
            m.iter()
                .filter(|(k, _)| &k.0 == label)
                .map(|(_, n)| n)
                .sum()
        };
        let all = crate::files::coverage::CoverageRow::new(
            label,
            "ALL",
            total(&answers),
            total(&records),
        );
        if let Some(p) = periods.iter_mut().find(|p| &p.period == label) {
            p.records = Some(all.records);
            p.rated_pct = all.rated_pct;
        }
        rows.push(all);
        for &unit in &units {
            let key = (label.clone(), unit.clone());
            rows.push(crate::files::coverage::CoverageRow::new(
                label,
                unit,
                answers.get(&key).copied().unwrap_or(0),
                records.get(&key).copied().unwrap_or(0),
            ));
        }
    }
    Ok(rows)
}

/// Refuses, under [`LonelyPsu::Fail`], responses with a stratum of one respondent.
fn refuse_lonely_strata(data: &ResponseData, rule: LonelyPsu) -> Result<()> {
    let lonely = data.lonely_strata();
    if rule != LonelyPsu::Fail || lonely.is_empty() {
        return Ok(());
    }
    Err(crate::Error::setting(
        "lonely_psu",
        rule.as_str(),
        format!(
            "{} stratum(s) have one respondent, whose variance cannot be estimated: {}; choose \
             how to treat them: adjust (the default, cautious), average, remove or certainty \
             (see docs/indices.md)",
            lonely.len(),
            describe_lonely(&lonely)
        ),
    ))
}

/// The lonely strata as `label (1 of N)`, the first ten.
fn describe_lonely(lonely: &[crate::responses::LonelyStratum<'_>]) -> String {
    let mut text: Vec<String> = lonely
        .iter()
        .take(10)
        .map(|l| format!("{} (1 of {})", l.stratum, l.population))
        .collect();
    if lonely.len() > 10 {
        text.push(format!("and {} more", lonely.len() - 10));
    }
    text.join(", ")
}

/// Refuses responses with respondents in which no answer is on the scale: every indicator
/// would be published empty. With [`IndexRequest::invalid_as_missing`] the answers given
/// were most likely written in another coding (or as labels the questionnaire does not
/// list); without invalid answers every item cell was empty or a no-answer code or label.
fn refuse_if_nothing_answered(
    path: &std::path::Path,
    q: &Questionnaire,
    data: &ResponseData,
) -> Result<()> {
    if data.is_empty() || data.answers.iter().flatten().any(|&a| a != NO_ANSWER) {
        return Ok(());
    }
    let Some(invalid) = data.invalid.as_ref().filter(|i| i.total() > 0) else {
        return Err(crate::error::ErrorKind::Malformed {
            at: crate::Position::file(path.display().to_string()),
            message: format!(
                "none of the {} respondents has an answer on the questionnaire's scale ({} to \
                 {}): every item cell is empty or means no answer, and every index would be \
                 empty",
                data.len(),
                q.scale.min,
                q.scale.max
            ),
        }
        .into());
    };
    let first: Vec<String> = invalid
        .first
        .iter()
        .take(3)
        .map(|(k, row, v)| format!("row {row} `{}` {v:?}", q.items[*k]))
        .collect();
    let texts = invalid
        .first
        .iter()
        .all(|(_, _, v)| v.trim().parse::<f64>().is_err());
    let why = if texts && !q.scale.has_labels() {
        "they look like labels (answers written as text), and the questionnaire has no [scale] \
         labels to read them by: list the answers from min to max in `labels` (and texts \
         meaning no answer in `missing_labels`)"
            .to_string()
    } else if texts {
        format!(
            "they are texts that are not the questionnaire's labels ({})",
            q.scale.labels().collect::<Vec<_>>().join(", ")
        )
    } else {
        "they are probably written in another coding".to_string()
    };
    Err(crate::error::ErrorKind::Malformed {
        at: crate::Position::file(path.display().to_string()),
        message: format!(
            "no answer is on the questionnaire's scale ({} to {}): all {} answers given were \
             read as no answer (first: {}); {why}",
            q.scale.min,
            q.scale.max,
            invalid.total(),
            first.join("; ")
        ),
    }
    .into())
}

impl IndexOutput {
    /// What the run used and found, for standard output: respondents, strata, units and rows,
    /// then the flags.
    pub fn summary(&self, flags: &FlagSettings) -> String {
        let not_entered = match self.data.not_entered {
            Some(n) => format!(
                "entry workbook: {n} row(s) not entered yet (no disposition, no answer) left out\n"
            ),
            None => String::new(),
        };
        let (domains, kind) = match &self.domains {
            Some(used) => (used.summary(), "reporting domains"),
            None => (String::new(), "units"),
        };
        let after = if self.periods.is_empty() {
            crate::flags::summary(&self.data, &self.flags, flags)
        } else {
            let each: Vec<String> = self
                .periods
                .iter()
                .map(|p| match p.rated_pct {
                    Some(r) => format!(
                        "{} ({} answers, {r:.1}% of its records)",
                        p.period, p.answers
                    ),
                    None => format!("{} ({} answers)", p.period, p.answers),
                })
                .collect();
            let sampling = match self.weighting.base {
                Base::Population => "; not a probability sample",
                Base::Sample => "",
            };
            format!(
                "{} period(s): {}{sampling}; flags and ranks are not computed per period\n",
                self.periods.len(),
                each.join(", ")
            )
        };
        format!(
            "{not_entered}{domains}{} responses in {} strata and {} {kind}: {} index rows\n{after}",
            self.data.len(),
            self.data.strata.len(),
            self.data.units.len(),
            self.rows.len(),
        )
    }

    /// What the responses held besides answers, for standard error: invalid answers read as
    /// no answer, response rates, the calibration and the weights.
    pub fn notes(&self, q: &Questionnaire) -> String {
        let mut out = String::new();
        let data = &self.data;
        if let Some(inv) = &data.invalid
            && inv.total() > 0
        {
            let per_item: Vec<String> = q
                .items
                .iter()
                .zip(&inv.counts)
                .filter(|(_, n)| **n > 0)
                .map(|(item, n)| format!("{item}: {n}"))
                .collect();
            out += &format!(
                "warning: {} answer(s) outside the scale read as no answer ({})\n",
                inv.total(),
                per_item.join(", ")
            );
            let first: Vec<String> = inv
                .first
                .iter()
                .map(|(k, row, v)| format!("row {row} `{}` {v:?}", q.items[*k]))
                .collect();
            out += &format!("  first: {}\n", first.join("; "));
        }
        if let Some(all) = data.response_rates.as_ref().and_then(|r| r.last()) {
            let pct = |r: Option<f64>| r.map_or("-".to_string(), |r| format!("{:.1}%", 100.0 * r));
            out += &format!(
                "response rates (AAPOR): RR1 {}, RR2 {} ({} complete, {} partial, {} refusal, \
                 {} non-contact, {} ineligible, {} officials with no row)\n",
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
        let lonely = data.lonely_strata();
        if !lonely.is_empty() {
            out += &format!(
                "warning: {} stratum(s) have one respondent: {}; their variance follows \
                 --lonely-psu {}\n",
                lonely.len(),
                describe_lonely(&lonely),
                self.settings.lonely_psu.as_str()
            );
        }
        if let Some(c) = &self.calibration {
            out += &format!(
                "weights calibrated ({}) to {} in {} cycle(s)\n",
                c.method,
                c.margins.join(", "),
                c.iterations
            );
        }
        if let Some(s) = crate::weights::WeightSummary::of(&data.weight) {
            out += &format!(
                "weights: n {}, sum {:.1}, min {:.4}, max {:.4}, mean {:.4}, CV {:.4}, \
                 design effect of weighting {:.4}\n",
                s.n, s.sum, s.min, s.max, s.mean, s.cv, s.deff_weighting
            );
        }
        out
    }
}
