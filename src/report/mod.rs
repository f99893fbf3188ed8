//! Publication reports: a workbook (`report.xlsx`) for analysts and one self-contained web page
//! (`report.html`) for the province's web site, both in Vietnamese, made from the files the
//! other commands publish.
//!
//! # Inputs
//! The report reads only published files, by column name, so that it can be re-made by anyone
//! who holds them and so that columns added later do not break it:
//! - from the `--indices` directory (`chiso index --out DIR`): `indices.csv` and `indices.json`
//!   (required), `flags.csv` and `ranks.csv` (used when present);
//! - from `--par DIR` (`chiso par --out DIR`): `par.csv` (required there) and `par_fields.csv`
//!   (when present). The option may be repeated, one directory per framework (departments
//!   and districts are scored on different frameworks): the results are shown together, each
//!   group ranked on its own, so a unit may appear in one directory only and a group in one
//!   run only (ranks within a group come from one `chiso par` run);
//! - from `--timeliness DIR`: `timeliness.csv`;
//! - `--manifest FILE`: the sample's `manifest.json`, for the seed, the digests and the design.
//!
//! Every cell is checked once, on loading, into typed rows ([`Inputs`]); a cell that cannot be
//! used stops the report with the file, row, column, the value and the form expected. Nothing
//! is left out silently: every row of `indices.csv` appears in the workbook, and every unit in
//! the web page. The inputs are aggregates and codes; no name, telephone number or applicant
//! identifier is read, so none can be published, and columns other than the agreed ones are
//! ignored.
//!
//! # Numbers
//! The workbook stores numbers as numbers with full precision (a spreadsheet reads back exactly
//! the values of `indices.csv`, percentages on 0–100) and displays them with the number format
//! `0.00"%"`. A number format cannot force a decimal separator: spreadsheet programs draw the
//! `.` of a format as the reader's own separator, so a computer set to Vietnamese shows
//! `98,80%` and one set to English `98.80%`; the value underneath is the same. The web page
//! writes numbers itself, in Vietnamese notation (`98,80%`, `1.234`), whatever the reader's
//! settings.
//!
//! # Reading the web page
//! The page has no script and loads nothing from the network (inline CSS and SVG). Bar charts
//! are sorted from best to worst, with the interval drawn as a whisker and the province's
//! overall result as a vertical line; units above the dissatisfaction threshold are red, and
//! units whose estimate is too imprecise to rank are pale. Ranks are shown with their rank
//! interval ("3/17, khoảng 2–5") because a rank estimated from a sample is uncertain.
//!
//! ```
//! # fn main() -> chiso::Result<()> {
//! let dir = tempfile::tempdir().unwrap();
//! let idx = dir.path().join("indices");
//! std::fs::create_dir(&idx).unwrap();
//! std::fs::write(idx.join("indices.csv"), "domain,indicator,measure,estimate,std_error,ci_lower,ci_upper,ci_method,n,df\n\
//!     ALL,overall,satisfied_pct,90.5,1.2,87.9,92.6,logit,400,398\n\
//!     XA01,overall,satisfied_pct,88,2,83.5,91.4,logit,200,199\n\
//!     XA02,overall,satisfied_pct,93,1.5,89.4,95.4,logit,200,199\n").unwrap();
//! std::fs::write(idx.join("indices.json"), r#"{"questionnaire": "SIPAS",
//!     "settings": {"ci_method": "logit", "level": 0.95},
//!     "weights": "N_h / m_h from the sample", "engine_version": "0.1.0", "rows": []}"#).unwrap();
//! let inputs = chiso::report::Inputs::load(&chiso::report::Sources::new(&idx))?;
//! assert!(chiso::report::html(&inputs).contains("90,50%"));
//! chiso::report::write(&dir.path().join("report"), &inputs)?;
//! # Ok(()) }
//! ```

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook, Worksheet};

use crate::error::{CellProblem, Error, ErrorKind, Result};
use crate::output::Staged;
use crate::table::Table;

/// The measure codes of `indices.csv`.
pub const MEASURES: [&str; 3] = ["satisfied_pct", "dissatisfied_pct", "mean_score"];

/// Where the report's inputs are.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    /// The directory written by `chiso index --out DIR`.
    pub indices: PathBuf,
    /// The directories written by `chiso par --out DIR` (none, one, or one per framework).
    pub par: Vec<PathBuf>,
    /// The directory holding `timeliness.csv`.
    pub timeliness: Option<PathBuf>,
    /// The sample's `manifest.json` (or the directory holding it).
    pub manifest: Option<PathBuf>,
    /// The page's title (default: a generic Vietnamese title).
    pub title: Option<String>,
}

impl Sources {
    /// Sources with only the indices directory.
    pub fn new(indices: &Path) -> Sources {
        Sources {
            indices: indices.to_path_buf(),
            ..Sources::default()
        }
    }
}

/// One row of `indices.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct IndexEntry {
    /// A unit code, or `ALL`.
    pub domain: String,
    /// `item:<code>`, `element:<code>`, `overall` (or a later kind).
    pub indicator: String,
    /// `satisfied_pct`, `dissatisfied_pct`, `mean_score` (or a later measure).
    pub measure: String,
    /// The estimate.
    pub estimate: Option<f64>,
    /// Its standard error.
    pub std_error: Option<f64>,
    /// Lower end of the interval.
    pub ci_lower: Option<f64>,
    /// Upper end of the interval.
    pub ci_upper: Option<f64>,
    /// How the interval was computed.
    pub ci_method: String,
    /// Answers used.
    pub n: u64,
    /// Design degrees of freedom (when the file has the column).
    pub df: Option<u64>,
}

/// `indices.csv` with the settings from `indices.json`.
#[derive(Clone, Debug, PartialEq)]
pub struct Indices {
    /// The questionnaire's name.
    pub questionnaire: String,
    /// Interval method for shares.
    pub ci_method: String,
    /// Confidence level, e.g. 0.95.
    pub level: f64,
    /// How the weights were made.
    pub weights: String,
    /// The engine version that computed the indices.
    pub engine_version: String,
    /// The rows, in file order.
    pub rows: Vec<IndexEntry>,
}

impl Indices {
    /// The row for a domain, indicator and measure.
    pub fn get(&self, domain: &str, indicator: &str, measure: &str) -> Option<&IndexEntry> {
        self.rows
            .iter()
            .find(|r| r.domain == domain && r.indicator == indicator && r.measure == measure)
    }

    /// The unit codes (every domain but `ALL`), in file order.
    pub fn units(&self) -> Vec<&str> {
        let mut seen = Vec::new();
        for r in &self.rows {
            if r.domain != "ALL" && !seen.contains(&r.domain.as_str()) {
                seen.push(r.domain.as_str());
            }
        }
        seen
    }

    /// The element codes (`element:<code>`), in file order.
    pub fn elements(&self) -> Vec<&str> {
        let mut seen = Vec::new();
        for r in &self.rows {
            if let Some(code) = r.indicator.strip_prefix("element:")
                && !seen.contains(&code)
            {
                seen.push(code);
            }
        }
        seen
    }
}

/// One row of `flags.csv`: a unit or officer compared with the dissatisfaction threshold.
#[derive(Clone, Debug, PartialEq)]
pub struct Flag {
    /// `unit` or `officer`.
    pub level: String,
    /// The unit (for an officer, the officer's unit).
    pub domain: String,
    /// The officer's code (officers only).
    pub officer_id: Option<String>,
    /// The unit's group.
    pub unit_group: Option<String>,
    /// The indicator compared.
    pub indicator: String,
    /// Share dissatisfied, percent.
    pub dissatisfied_pct: Option<f64>,
    /// Its standard error.
    pub std_error: Option<f64>,
    /// Lower end of the interval.
    pub ci_lower: Option<f64>,
    /// Upper end of the interval.
    pub ci_upper: Option<f64>,
    /// Answers used.
    pub n: u64,
    /// The threshold, percent.
    pub threshold_pct: Option<f64>,
    /// The estimate is above the threshold.
    pub above: Option<bool>,
    /// The whole interval is above the threshold.
    pub certain: Option<bool>,
    /// Too few answers or too wide an interval.
    pub imprecise: Option<bool>,
}

/// One row of `ranks.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct Rank {
    /// The ranking group (`so`, `huyen`, `xa`, …).
    pub unit_group: String,
    /// The unit code.
    pub domain: String,
    /// The unit's display name.
    pub unit_name: String,
    /// The indicator ranked.
    pub indicator: String,
    /// The measure ranked.
    pub measure: String,
    /// The estimate.
    pub estimate: Option<f64>,
    /// Lower end of the interval.
    pub ci_lower: Option<f64>,
    /// Upper end of the interval.
    pub ci_upper: Option<f64>,
    /// Answers used.
    pub n: u64,
    /// Rank, 1 = best in the group (empty when not ranked).
    pub rank: Option<u64>,
    /// Best plausible rank.
    pub rank_lower: Option<u64>,
    /// Worst plausible rank.
    pub rank_upper: Option<u64>,
    /// Units in the group.
    pub group_size: Option<u64>,
    /// Too imprecise to rank as if exact.
    pub imprecise: Option<bool>,
}

/// One row of `timeliness.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct Timeliness {
    /// `unit`, `officer` (or a wider level such as the province).
    pub level: String,
    /// The unit code (or `ALL`).
    pub domain: String,
    /// The officer's code (officers only).
    pub officer_id: Option<String>,
    /// Records counted.
    pub records: u64,
    /// Returned before the due date.
    pub early: u64,
    /// Returned on the due date.
    pub on_time: u64,
    /// Returned after the due date.
    pub late: u64,
    /// Percent early.
    pub early_pct: Option<f64>,
    /// Percent on time.
    pub on_time_pct: Option<f64>,
    /// Percent late.
    pub late_pct: Option<f64>,
    /// The ceiling on late records, percent.
    pub late_ceiling_pct: Option<f64>,
    /// Late share above the ceiling.
    pub above_ceiling: Option<bool>,
}

/// One row of `par.csv`: a unit's PAR INDEX.
#[derive(Clone, Debug, PartialEq)]
pub struct ParUnit {
    /// The unit code.
    pub unit_code: String,
    /// The unit's display name.
    pub unit_name: String,
    /// The ranking group.
    pub unit_group: String,
    /// Points achieved.
    pub points: Option<f64>,
    /// Maximum points of the criteria that apply.
    pub max_points: Option<f64>,
    /// The index, 0–100.
    pub index: Option<f64>,
    /// Its standard error (from the survey part).
    pub std_error: Option<f64>,
    /// Lower end of the interval.
    pub ci_lower: Option<f64>,
    /// Upper end of the interval.
    pub ci_upper: Option<f64>,
    /// Rank, 1 = best in the group.
    pub rank: Option<u64>,
    /// Best plausible rank.
    pub rank_lower: Option<u64>,
    /// Worst plausible rank.
    pub rank_upper: Option<u64>,
    /// Units in the group.
    pub group_size: Option<u64>,
}

/// One row of `par_fields.csv`: a unit's points in one field.
#[derive(Clone, Debug, PartialEq)]
pub struct ParField {
    /// The unit code.
    pub unit_code: String,
    /// The field's code.
    pub field: String,
    /// The field's name.
    pub field_name: String,
    /// Points achieved.
    pub points: Option<f64>,
    /// Maximum points.
    pub max_points: Option<f64>,
}

/// The PAR INDEX files: of one `chiso par` run, or of several (one per framework) with
/// disjoint units and groups, in the order given.
#[derive(Clone, Debug, PartialEq)]
pub struct Par {
    /// `par.csv` (the rows of every run, one run after the other).
    pub units: Vec<ParUnit>,
    /// `par_fields.csv` of the runs that have one, when any has.
    pub fields: Option<Vec<ParField>>,
}

/// What the sample's manifest says about how the sample was drawn.
#[derive(Clone, Debug, PartialEq)]
pub struct SampleInfo {
    /// The draw algorithm's id.
    pub algorithm: String,
    /// The published seed.
    pub seed: String,
    /// SHA-256 of the lists.
    pub sample_digest: String,
    /// SHA-256 of the frame.
    pub frame_digest: String,
    /// Engine version that drew the sample.
    pub engine_version: String,
    /// The design, as written in the manifest.
    pub design: serde_json::Value,
    /// Frame members, when the manifest has totals.
    pub frame_size: Option<u64>,
    /// Official sample size, when the manifest has totals.
    pub sample_size: Option<u64>,
}

/// A unit's display name and group, gathered from the files that carry them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UnitInfo {
    /// Display name.
    pub name: Option<String>,
    /// Ranking group.
    pub group: Option<String>,
}

/// Everything a report shows, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct Inputs {
    /// The page's title.
    pub title: String,
    /// The indices.
    pub indices: Indices,
    /// `flags.csv`, when present.
    pub flags: Option<Vec<Flag>>,
    /// `ranks.csv`, when present.
    pub ranks: Option<Vec<Rank>>,
    /// `timeliness.csv`, when given.
    pub timeliness: Option<Vec<Timeliness>>,
    /// The PAR INDEX, when given.
    pub par: Option<Par>,
    /// The sample's manifest, when given.
    pub sample: Option<SampleInfo>,
    /// Names and groups by unit code.
    pub units: BTreeMap<String, UnitInfo>,
}

/// The creation date written into the workbook's document properties (year, month, day): a
/// constant, so that the same inputs always give a byte-identical `report.xlsx`.
pub const WORKBOOK_DATE: (u16, u8, u8) = (2000, 1, 1);

/// The default title of the page and the workbook.
pub const DEFAULT_TITLE: &str = "Báo cáo kết quả đo lường sự hài lòng của người dân, tổ chức";

impl Inputs {
    /// Reads and checks every input named in `sources`.
    pub fn load(sources: &Sources) -> Result<Inputs> {
        let dir = &sources.indices;
        let indices = load_indices(&dir.join("indices.csv"), &dir.join("indices.json"))?;
        let flags_path = dir.join("flags.csv");
        let flags = flags_path
            .exists()
            .then(|| load_flags(&flags_path))
            .transpose()?;
        let ranks_path = dir.join("ranks.csv");
        let ranks = ranks_path
            .exists()
            .then(|| load_ranks(&ranks_path))
            .transpose()?;
        let timeliness = sources
            .timeliness
            .as_ref()
            .map(|d| load_timeliness(&required(d, "timeliness.csv", "--timeliness")?))
            .transpose()?;
        // Each unit's par.csv and row index there, for the catalogue below.
        let mut par_origin: Vec<(PathBuf, usize)> = Vec::new();
        let par = load_pars(&sources.par, &mut par_origin)?;
        let sample = sources
            .manifest
            .as_ref()
            .map(|m| {
                if m.is_dir() {
                    load_manifest(&m.join("manifest.json"))
                } else {
                    load_manifest(m)
                }
            })
            .transpose()?;
        let mut units: BTreeMap<String, UnitInfo> = BTreeMap::new();
        for code in indices.units() {
            units.insert(code.to_string(), UnitInfo::default());
        }
        let mut catalogue = Catalogue::default();
        if let Some(ranks) = &ranks {
            for (i, r) in ranks.iter().enumerate() {
                catalogue.learn(
                    &mut units,
                    &ranks_path,
                    i,
                    &r.domain,
                    Some(&r.unit_name),
                    Some(&r.unit_group),
                )?;
            }
        }
        if let Some(par) = &par {
            for (u, (path, i)) in par.units.iter().zip(&par_origin) {
                catalogue.learn(
                    &mut units,
                    path,
                    *i,
                    &u.unit_code,
                    Some(&u.unit_name),
                    Some(&u.unit_group),
                )?;
            }
        }
        if let Some(flags) = &flags {
            for (i, f) in flags.iter().enumerate() {
                catalogue.learn(
                    &mut units,
                    &flags_path,
                    i,
                    &f.domain,
                    None,
                    f.unit_group.as_deref(),
                )?;
            }
        }
        Ok(Inputs {
            title: sources
                .title
                .clone()
                .filter(|t| !t.trim().is_empty())
                .unwrap_or_else(|| DEFAULT_TITLE.to_string()),
            indices,
            flags,
            ranks,
            timeliness,
            par,
            sample,
            units,
        })
    }

    /// The province's (domain `ALL`) overall share satisfied.
    pub fn overall(&self) -> Option<&IndexEntry> {
        self.indices.get("ALL", "overall", "satisfied_pct")
    }

    /// The unit-level flag above the threshold for `domain` and `indicator`, if any.
    fn unit_flag(&self, domain: &str, indicator: &str) -> Option<&Flag> {
        self.flags.as_ref()?.iter().find(|f| {
            f.level == "unit"
                && f.domain == domain
                && f.indicator == indicator
                && f.above == Some(true)
        })
    }

    /// Whether `domain` is flagged above the threshold on any indicator.
    fn unit_flagged(&self, domain: &str) -> Option<&Flag> {
        self.flags
            .as_ref()?
            .iter()
            .find(|f| f.level == "unit" && f.domain == domain && f.above == Some(true))
    }

    /// The ranking rows shown in the page: `overall` / `satisfied_pct` when `ranks.csv` has
    /// them, otherwise its first indicator and measure.
    fn headline_ranks(&self) -> Vec<&Rank> {
        let Some(ranks) = &self.ranks else {
            return Vec::new();
        };
        let (ind, meas) = if ranks
            .iter()
            .any(|r| r.indicator == "overall" && r.measure == "satisfied_pct")
        {
            ("overall", "satisfied_pct")
        } else if let Some(r) = ranks.first() {
            (r.indicator.as_str(), r.measure.as_str())
        } else {
            return Vec::new();
        };
        ranks
            .iter()
            .filter(|r| r.indicator == ind && r.measure == meas)
            .collect()
    }

    fn name_of(&self, code: &str) -> &str {
        self.units
            .get(code)
            .and_then(|u| u.name.as_deref())
            .unwrap_or("")
    }

    fn group_of(&self, code: &str) -> Option<&str> {
        self.units.get(code).and_then(|u| u.group.as_deref())
    }

    fn imprecise(&self, code: &str) -> bool {
        self.headline_ranks()
            .iter()
            .any(|r| r.domain == code && r.imprecise == Some(true))
    }
}

/// Writes `report.xlsx` and `report.html` into `out_dir`, atomically (both or neither).
/// Reports are made from published files and are replaced when made again.
pub fn write(out_dir: &Path, inputs: &Inputs) -> Result<Vec<PathBuf>> {
    let xlsx_bytes = xlsx(inputs).map_err(|e| {
        Error::io(
            &out_dir.join("report.xlsx"),
            std::io::Error::other(e.to_string()),
        )
    })?;
    let mut staged = Staged::new(out_dir, true, &[])?;
    staged.add("report.xlsx", xlsx_bytes);
    staged.add("report.html", html(inputs).into_bytes());
    staged.commit()
}

// ---------------------------------------------------------------------------------------------
// Reading

/// Names unit names and groups once, refusing two files (or rows) that disagree.
#[derive(Default)]
struct Catalogue {
    /// Where a unit's name or group was first read: (unit, column) → (file, row).
    seen: HashMap<(String, &'static str), (String, u64)>,
}

impl Catalogue {
    fn learn(
        &mut self,
        units: &mut BTreeMap<String, UnitInfo>,
        path: &Path,
        index: usize,
        code: &str,
        name: Option<&str>,
        group: Option<&str>,
    ) -> Result<()> {
        let file = path.display().to_string();
        // Rows are numbered from 2 (header = row 1); blank rows are not read.
        let row = index as u64 + 2;
        let info = units.entry(code.to_string()).or_default();
        for (column, new, old) in [
            ("unit_name", name, &mut info.name),
            ("unit_group", group, &mut info.group),
        ] {
            let Some(new) = new.filter(|v| !v.is_empty()) else {
                continue;
            };
            let origin = self
                .seen
                .entry((code.to_string(), column))
                .or_insert_with(|| (file.clone(), row));
            match old {
                Some(o) if o != new => {
                    return Err(cell(
                        &file,
                        row,
                        column,
                        new,
                        &format!(
                            "unit {code} is {o:?} in {} row {}; a unit has one {column}",
                            origin.0, origin.1
                        ),
                    ));
                }
                Some(_) => {}
                None => *old = Some(new.to_string()),
            }
        }
        Ok(())
    }
}

fn cell(file: &str, row: u64, column: &str, value: &str, reason: &str) -> Error {
    ErrorKind::Cell(CellProblem {
        file: file.to_string(),
        row,
        column: column.to_string(),
        value: value.to_string(),
        reason: reason.to_string(),
    })
    .into()
}

fn required(dir: &Path, name: &str, option: &str) -> Result<PathBuf> {
    let path = dir.join(name);
    if path.is_file() {
        Ok(path)
    } else {
        Err(Error::usage(format!(
            "{}: not found; {option} must name the directory that holds {name}",
            path.display()
        )))
    }
}

/// A CSV file read by column name.
struct Csv {
    table: Table,
    file: String,
    columns: HashMap<&'static str, usize>,
}

/// One row of a [`Csv`], with typed accessors that name the cell on error.
struct Fields<'r> {
    file: &'r str,
    row: u64,
    get: Box<dyn Fn(&str) -> &'r str + 'r>,
}

impl Csv {
    fn open(path: &Path, required: &[&'static str], optional: &[&'static str]) -> Result<Csv> {
        let table = Table::open(path, None)?;
        let file = table.name().to_string();
        let missing: Vec<&str> = required
            .iter()
            .copied()
            .filter(|c| table.column(c).is_none())
            .collect();
        if !missing.is_empty() {
            return Err(ErrorKind::Malformed {
                file,
                location: String::new(),
                message: format!(
                    "missing required column(s) {}; the header has: {}",
                    missing
                        .iter()
                        .map(|c| format!("`{c}`"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    table
                        .headers()
                        .iter()
                        .map(|c| format!("`{c}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }
            .into());
        }
        let columns = required
            .iter()
            .chain(optional)
            .filter_map(|&c| table.column(c).map(|i| (c, i)))
            .collect();
        Ok(Csv {
            table,
            file,
            columns,
        })
    }

    /// Calls `f` on every non-blank row.
    fn rows<T>(mut self, mut f: impl FnMut(&Fields<'_>) -> Result<T>) -> Result<Vec<T>> {
        let mut out = Vec::new();
        let columns = self.columns;
        let file = self.file;
        while let Some(row) = self.table.next_row()? {
            if row.is_blank() {
                continue;
            }
            let number = row.number();
            let fields = Fields {
                file: &file,
                row: number,
                get: Box::new(|c: &str| columns.get(c).map_or("", |&i| row.get(i))),
            };
            out.push(f(&fields)?);
        }
        Ok(out)
    }
}

impl Fields<'_> {
    fn err(&self, column: &str, value: &str, reason: &str) -> Error {
        cell(self.file, self.row, column, value, reason)
    }

    /// Text, possibly empty.
    fn text(&self, column: &str) -> String {
        (self.get)(column).to_string()
    }

    /// Text that must not be empty.
    fn code(&self, column: &str) -> Result<String> {
        let v = (self.get)(column);
        if v.is_empty() {
            Err(self.err(column, v, "expected a value, found an empty cell"))
        } else {
            Ok(v.to_string())
        }
    }

    /// A finite number, or `None` for an empty cell.
    fn number(&self, column: &str) -> Result<Option<f64>> {
        let v = (self.get)(column);
        if v.is_empty() {
            return Ok(None);
        }
        match v.parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(Some(x)),
            _ => Err(self.err(
                column,
                v,
                "expected a number with a decimal point (e.g. 98.8) or an empty cell",
            )),
        }
    }

    /// A whole number ≥ 0, or `None` for an empty cell.
    fn count(&self, column: &str) -> Result<Option<u64>> {
        let v = (self.get)(column);
        if v.is_empty() {
            return Ok(None);
        }
        v.parse::<u64>()
            .map(Some)
            .map_err(|_| self.err(column, v, "expected a whole number ≥ 0 or an empty cell"))
    }

    /// A whole number ≥ 0 that must be there.
    fn required_count(&self, column: &str) -> Result<u64> {
        let v = (self.get)(column);
        v.parse::<u64>()
            .map_err(|_| self.err(column, v, "expected a whole number ≥ 0"))
    }

    /// `true`, `false`, or `None` for an empty cell.
    fn flag(&self, column: &str) -> Result<Option<bool>> {
        let v = (self.get)(column);
        match v {
            "" => Ok(None),
            "true" => Ok(Some(true)),
            "false" => Ok(Some(false)),
            _ => Err(self.err(column, v, "expected true, false or an empty cell")),
        }
    }

    /// An interval whose ends are in order.
    fn interval(&self, lower: &str, upper: &str) -> Result<(Option<f64>, Option<f64>)> {
        let (lo, hi) = (self.number(lower)?, self.number(upper)?);
        if let (Some(l), Some(h)) = (lo, hi)
            && l > h
        {
            return Err(self.err(
                lower,
                (self.get)(lower),
                &format!("the interval's lower end is above its upper end ({h})"),
            ));
        }
        Ok((lo, hi))
    }

    /// A percentage on 0–100.
    fn percent(&self, column: &str) -> Result<Option<f64>> {
        let x = self.number(column)?;
        if let Some(v) = x
            && !(-PCT_SLACK..=100.0 + PCT_SLACK).contains(&v)
        {
            return Err(self.err(
                column,
                (self.get)(column),
                "expected a percentage between 0 and 100",
            ));
        }
        Ok(x)
    }
}

/// Rounding slack allowed around 0 and 100 for percentages computed as ratios.
const PCT_SLACK: f64 = 1e-9;

fn is_share(measure: &str) -> bool {
    measure.ends_with("_pct")
}

fn load_indices(csv_path: &Path, json_path: &Path) -> Result<Indices> {
    for p in [csv_path, json_path] {
        if !p.is_file() {
            return Err(Error::usage(format!(
                "{}: not found; --indices must name the directory written by `chiso index --out DIR`",
                p.display()
            )));
        }
    }
    let text = std::fs::read_to_string(json_path).map_err(|e| Error::io(json_path, e))?;
    let json_name = json_path.display().to_string();
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| -> Error {
        ErrorKind::Malformed {
            file: json_name.clone(),
            location: format!("line {}: ", e.line()),
            message: e.to_string(),
        }
        .into()
    })?;
    let key_err = |key: &str, expected: &str| -> Error {
        ErrorKind::Malformed {
            file: json_name.clone(),
            location: String::new(),
            message: format!("key `{key}`: expected {expected}, as `chiso index` writes it"),
        }
        .into()
    };
    let string = |pointer: &str, key: &str| -> Result<String> {
        json.pointer(pointer)
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .ok_or_else(|| key_err(key, "a string"))
    };
    let questionnaire = string("/questionnaire", "questionnaire")?;
    let ci_method = string("/settings/ci_method", "settings.ci_method")?;
    let weights = string("/weights", "weights")?;
    let engine_version = string("/engine_version", "engine_version")?;
    let level = json
        .pointer("/settings/level")
        .and_then(|v| v.as_f64())
        .filter(|l| *l > 0.0 && *l < 1.0)
        .ok_or_else(|| key_err("settings.level", "a confidence level between 0 and 1"))?;

    let csv = Csv::open(
        csv_path,
        &[
            "domain",
            "indicator",
            "measure",
            "estimate",
            "std_error",
            "ci_lower",
            "ci_upper",
            "ci_method",
            "n",
        ],
        &["df"],
    )?;
    let mut first_row: HashMap<(String, String, String), u64> = HashMap::new();
    let rows = csv.rows(|f| {
        let measure = f.code("measure")?;
        let (ci_lower, ci_upper) = f.interval("ci_lower", "ci_upper")?;
        let estimate = if is_share(&measure) {
            f.percent("estimate")?
        } else {
            f.number("estimate")?
        };
        let entry = IndexEntry {
            domain: f.code("domain")?,
            indicator: f.code("indicator")?,
            measure,
            estimate,
            std_error: f.number("std_error")?,
            ci_lower,
            ci_upper,
            ci_method: f.text("ci_method"),
            n: f.required_count("n")?,
            df: f.count("df")?,
        };
        let key = (
            entry.domain.clone(),
            entry.indicator.clone(),
            entry.measure.clone(),
        );
        if let Some(first) = first_row.insert(key, f.row) {
            return Err(f.err(
                "measure",
                &entry.measure,
                &format!(
                    "domain {}, indicator {} and measure {} already appear in row {first}; \
                     each combination must appear once",
                    entry.domain, entry.indicator, entry.measure
                ),
            ));
        }
        Ok(entry)
    })?;
    same_run(&json, &json_name, &rows)?;
    Ok(Indices {
        questionnaire,
        ci_method,
        level,
        weights,
        engine_version,
        rows,
    })
}

/// Equal within a few ulps (or both absent): a different run differs by far more.
fn same_number(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => (a - b).abs() <= 4.0 * f64::EPSILON * a.abs().max(b.abs()),
        _ => false,
    }
}

/// Checks that `indices.json` (when it carries its rows) and `indices.csv` come from the same
/// run: the same rows in the same order with the same estimates. Both files write each number
/// in its shortest exact decimal form, but `serde_json` reads decimals with a fast parser that
/// may miss the nearest `f64` by an ulp, hence [`same_number`].
fn same_run(json: &serde_json::Value, json_name: &str, rows: &[IndexEntry]) -> Result<()> {
    let Some(published) = json.get("rows").and_then(|r| r.as_array()) else {
        return Ok(());
    };
    if published.is_empty() {
        return Ok(());
    }
    let differ = |message: String| -> Error {
        ErrorKind::Malformed {
            file: json_name.to_string(),
            location: String::new(),
            message: format!(
                "{message}: indices.json and indices.csv come from different runs; \
                 publish the two files written together by `chiso index`"
            ),
        }
        .into()
    };
    if published.len() != rows.len() {
        return Err(differ(format!(
            "{} rows, but indices.csv has {}",
            published.len(),
            rows.len()
        )));
    }
    for (i, (p, r)) in published.iter().zip(rows).enumerate() {
        let text = |k: &str| p.get(k).and_then(|v| v.as_str()).unwrap_or("");
        let estimate = p.get("estimate").and_then(|v| v.as_f64());
        if text("domain") != r.domain
            || text("indicator") != r.indicator
            || text("measure") != r.measure
            || !same_number(estimate, r.estimate)
        {
            return Err(differ(format!(
                "row {} ({} {} {}) differs from indices.csv row {} ({} {} {}, estimate {})",
                i + 1,
                text("domain"),
                text("indicator"),
                text("measure"),
                i + 2,
                r.domain,
                r.indicator,
                r.measure,
                r.estimate.map_or(String::from("empty"), |e| e.to_string())
            )));
        }
    }
    Ok(())
}

fn load_flags(path: &Path) -> Result<Vec<Flag>> {
    let csv = Csv::open(
        path,
        &[
            "level",
            "domain",
            "indicator",
            "dissatisfied_pct",
            "n",
            "above",
        ],
        &[
            "officer_id",
            "unit_group",
            "std_error",
            "ci_lower",
            "ci_upper",
            "threshold_pct",
            "certain",
            "imprecise",
        ],
    )?;
    csv.rows(|f| {
        let level = f.code("level")?;
        let officer_id = Some(f.text("officer_id")).filter(|o| !o.is_empty());
        match level.as_str() {
            "unit" => {}
            "officer" if officer_id.is_none() => {
                return Err(f.err(
                    "officer_id",
                    "",
                    "an officer's row needs the officer's code",
                ));
            }
            "officer" => {}
            other => return Err(f.err("level", other, "expected `unit` or `officer`")),
        }
        let (ci_lower, ci_upper) = f.interval("ci_lower", "ci_upper")?;
        Ok(Flag {
            level,
            domain: f.code("domain")?,
            officer_id,
            unit_group: Some(f.text("unit_group")).filter(|g| !g.is_empty()),
            indicator: f.code("indicator")?,
            dissatisfied_pct: f.percent("dissatisfied_pct")?,
            std_error: f.number("std_error")?,
            ci_lower,
            ci_upper,
            n: f.required_count("n")?,
            threshold_pct: f.percent("threshold_pct")?,
            above: f.flag("above")?,
            certain: f.flag("certain")?,
            imprecise: f.flag("imprecise")?,
        })
    })
}

/// Rank, best rank, worst rank and group size.
type RankCells = (Option<u64>, Option<u64>, Option<u64>, Option<u64>);

fn rank_interval(f: &Fields<'_>) -> Result<RankCells> {
    let rank = f.count("rank")?;
    let lower = f.count("rank_lower")?;
    let upper = f.count("rank_upper")?;
    let size = f.count("group_size")?;
    if let (Some(l), Some(u)) = (lower, upper)
        && l > u
    {
        return Err(f.err(
            "rank_lower",
            &l.to_string(),
            &format!("the rank interval's best rank is after its worst ({u})"),
        ));
    }
    if let (Some(r), Some(s)) = (rank, size)
        && (r == 0 || r > s)
    {
        return Err(f.err(
            "rank",
            &r.to_string(),
            &format!("expected a rank between 1 and group_size ({s})"),
        ));
    }
    Ok((rank, lower, upper, size))
}

fn load_ranks(path: &Path) -> Result<Vec<Rank>> {
    let csv = Csv::open(
        path,
        &[
            "unit_group",
            "domain",
            "indicator",
            "measure",
            "estimate",
            "rank",
        ],
        &[
            "unit_name",
            "ci_lower",
            "ci_upper",
            "n",
            "rank_lower",
            "rank_upper",
            "group_size",
            "imprecise",
        ],
    )?;
    csv.rows(|f| {
        let (ci_lower, ci_upper) = f.interval("ci_lower", "ci_upper")?;
        let (rank, rank_lower, rank_upper, group_size) = rank_interval(f)?;
        Ok(Rank {
            // Empty when the units' groups are not known (one group of every unit).
            unit_group: f.text("unit_group"),
            domain: f.code("domain")?,
            unit_name: f.text("unit_name"),
            indicator: f.code("indicator")?,
            measure: f.code("measure")?,
            estimate: f.number("estimate")?,
            ci_lower,
            ci_upper,
            n: f.count("n")?.unwrap_or(0),
            rank,
            rank_lower,
            rank_upper,
            group_size,
            imprecise: f.flag("imprecise")?,
        })
    })
}

fn load_timeliness(path: &Path) -> Result<Vec<Timeliness>> {
    let csv = Csv::open(
        path,
        &["level", "domain", "records", "early", "on_time", "late"],
        &[
            "officer_id",
            "early_pct",
            "on_time_pct",
            "late_pct",
            "late_ceiling_pct",
            "above_ceiling",
        ],
    )?;
    csv.rows(|f| {
        let records = f.required_count("records")?;
        let early = f.required_count("early")?;
        let on_time = f.required_count("on_time")?;
        let late = f.required_count("late")?;
        if early + on_time + late > records {
            return Err(f.err(
                "records",
                &records.to_string(),
                &format!(
                    "early + on_time + late = {} is more than the records counted",
                    early + on_time + late
                ),
            ));
        }
        Ok(Timeliness {
            level: f.code("level")?,
            domain: f.code("domain")?,
            officer_id: Some(f.text("officer_id")).filter(|o| !o.is_empty()),
            records,
            early,
            on_time,
            late,
            early_pct: f.percent("early_pct")?,
            on_time_pct: f.percent("on_time_pct")?,
            late_pct: f.percent("late_pct")?,
            late_ceiling_pct: f.percent("late_ceiling_pct")?,
            above_ceiling: f.flag("above_ceiling")?,
        })
    })
}

/// Reads every `--par` directory and joins them into one [`Par`], refusing a unit or a group
/// that two directories both rank. `origin` receives each unit's file and row index.
fn load_pars(dirs: &[PathBuf], origin: &mut Vec<(PathBuf, usize)>) -> Result<Option<Par>> {
    if dirs.is_empty() {
        return Ok(None);
    }
    let mut all = Par {
        units: Vec::new(),
        fields: None,
    };
    // Unit code → (file, row); group → file.
    let mut unit_seen: HashMap<String, (PathBuf, usize)> = HashMap::new();
    let mut group_seen: HashMap<String, PathBuf> = HashMap::new();
    for d in dirs {
        let path = required(d, "par.csv", "--par")?;
        let units = load_par(&path)?;
        let mut groups_here: Vec<&str> = Vec::new();
        for (i, u) in units.iter().enumerate() {
            if let Some((file, row)) = unit_seen.get(&u.unit_code) {
                return Err(cell(
                    &path.display().to_string(),
                    i as u64 + 2,
                    "unit_code",
                    &u.unit_code,
                    &format!(
                        "unit {} is also in {} row {}: give each unit's PAR result once",
                        u.unit_code,
                        file.display(),
                        row + 2
                    ),
                ));
            }
            if let Some(file) = group_seen.get(&u.unit_group) {
                return Err(cell(
                    &path.display().to_string(),
                    i as u64 + 2,
                    "unit_group",
                    &u.unit_group,
                    &format!(
                        "group {} is also ranked in {}; the ranks of a group come from one \
                         `chiso par` run, so give each group in one --par directory only",
                        u.unit_group,
                        file.display()
                    ),
                ));
            }
            unit_seen.insert(u.unit_code.clone(), (path.clone(), i));
            if !groups_here.contains(&u.unit_group.as_str()) {
                groups_here.push(&u.unit_group);
            }
            origin.push((path.clone(), i));
        }
        for g in groups_here {
            group_seen.insert(g.to_string(), path.clone());
        }
        let fields_path = d.join("par_fields.csv");
        if fields_path.exists() {
            let fields = load_par_fields(&fields_path)?;
            all.fields.get_or_insert_with(Vec::new).extend(fields);
        }
        all.units.extend(units);
    }
    Ok(Some(all))
}

fn load_par(path: &Path) -> Result<Vec<ParUnit>> {
    let csv = Csv::open(
        path,
        &["unit_code", "unit_group", "points", "max_points", "index"],
        &[
            "unit_name",
            "std_error",
            "ci_lower",
            "ci_upper",
            "rank",
            "rank_lower",
            "rank_upper",
            "group_size",
        ],
    )?;
    csv.rows(|f| {
        let (ci_lower, ci_upper) = f.interval("ci_lower", "ci_upper")?;
        let (rank, rank_lower, rank_upper, group_size) = rank_interval(f)?;
        Ok(ParUnit {
            unit_code: f.code("unit_code")?,
            unit_name: f.text("unit_name"),
            unit_group: f.code("unit_group")?,
            points: f.number("points")?,
            max_points: f.number("max_points")?,
            index: f.number("index")?,
            std_error: f.number("std_error")?,
            ci_lower,
            ci_upper,
            rank,
            rank_lower,
            rank_upper,
            group_size,
        })
    })
}

fn load_par_fields(path: &Path) -> Result<Vec<ParField>> {
    let csv = Csv::open(
        path,
        &["unit_code", "field", "points", "max_points"],
        &["field_name"],
    )?;
    csv.rows(|f| {
        Ok(ParField {
            unit_code: f.code("unit_code")?,
            field: f.code("field")?,
            field_name: f.text("field_name"),
            points: f.number("points")?,
            max_points: f.number("max_points")?,
        })
    })
}

fn load_manifest(path: &Path) -> Result<SampleInfo> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let bad = |message: String| -> Error {
        ErrorKind::Manifest {
            file: file.clone(),
            message,
        }
        .into()
    };
    let json: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| bad(format!("not a JSON manifest (line {}): {e}", e.line())))?;
    let string = |key: &str| -> Result<String> {
        json.get(key)
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .ok_or_else(|| {
                bad(format!(
                    "key `{key}`: expected a string, as in the manifest.json written by `chiso sample`"
                ))
            })
    };
    let design = json
        .get("design")
        .filter(|d| d.is_object())
        .cloned()
        .ok_or_else(|| bad("key `design`: expected the sample design (an object)".into()))?;
    let total = |key: &str| {
        json.pointer(&format!("/totals/{key}"))
            .and_then(|v| v.as_u64())
    };
    Ok(SampleInfo {
        algorithm: string("algorithm")?,
        seed: string("seed")?,
        sample_digest: string("sample_digest")?,
        frame_digest: string("frame_digest")?,
        engine_version: string("engine_version")?,
        design,
        frame_size: total("frame_size"),
        sample_size: total("sample_size"),
    })
}

// ---------------------------------------------------------------------------------------------
// Vietnamese words and numbers

/// A number in Vietnamese notation: `.` between thousands, `,` before the decimals.
///
/// ```
/// assert_eq!(chiso::report::vi_number(1234.5, 2), "1.234,50");
/// assert_eq!(chiso::report::vi_number(-0.001, 2), "0,00");
/// ```
pub fn vi_number(x: f64, decimals: usize) -> String {
    let s = format!("{:.*}", decimals, x.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let mut out = String::new();
    let negative = x < 0.0 && s.bytes().any(|b| b.is_ascii_digit() && b != b'0');
    if negative {
        out.push('-');
    }
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push('.');
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push(',');
        out.push_str(frac);
    }
    out
}

/// A percentage (0–100) with two decimals in Vietnamese notation, e.g. `98,80%`.
///
/// ```
/// assert_eq!(chiso::report::vi_percent(98.8), "98,80%");
/// ```
pub fn vi_percent(x: f64) -> String {
    format!("{}%", vi_number(x, 2))
}

fn vi_opt_pct(x: Option<f64>) -> String {
    x.map(vi_percent).unwrap_or_else(|| "—".into())
}

fn vi_count(n: u64) -> String {
    vi_number(n as f64, 0)
}

fn vi_interval(lo: Option<f64>, hi: Option<f64>, pct: bool) -> String {
    match (lo, hi) {
        (Some(l), Some(h)) if pct => format!("{} – {}", vi_percent(l), vi_percent(h)),
        (Some(l), Some(h)) => format!("{} – {}", vi_number(l, 2), vi_number(h, 2)),
        _ => "—".into(),
    }
}

/// The level as a percentage without needless decimals: 0.95 → `95%`, 0.975 → `97,5%`.
fn vi_level(level: f64) -> String {
    let s = vi_number(level * 100.0, 2);
    let s = s.trim_end_matches('0').trim_end_matches(',');
    format!("{s}%")
}

fn measure_label(measure: &str) -> &str {
    match measure {
        "satisfied_pct" => "Tỷ lệ hài lòng (%)",
        "dissatisfied_pct" => "Tỷ lệ không hài lòng (%)",
        "mean_score" => "Điểm trung bình",
        other => other,
    }
}

fn indicator_label(indicator: &str) -> String {
    if let Some(c) = indicator.strip_prefix("item:") {
        format!("Tiêu chí {c}")
    } else if let Some(c) = indicator.strip_prefix("element:") {
        format!("Yếu tố {c}")
    } else if indicator == "overall" {
        "Chỉ số chung".into()
    } else {
        indicator.to_string()
    }
}

fn ci_method_label(method: &str) -> String {
    match method {
        "logit" => "logit (khoảng tin cậy tính trên thang logit, như hàm svyciprop của R)".into(),
        "beta" => "beta (Korn–Graubard)".into(),
        "wilson" => "Wilson".into(),
        "wald" => "Wald (đối xứng quanh ước lượng)".into(),
        other => other.into(),
    }
}

fn group_label(group: Option<&str>) -> String {
    match group {
        Some("so") => "Sở, ban, ngành".into(),
        Some("huyen") => "Huyện, thị xã, thành phố".into(),
        Some("xa") => "Xã, phường, thị trấn".into(),
        Some("") | None => "Chưa phân nhóm".into(),
        Some(g) => format!("Nhóm {g}"),
    }
}

/// The weights' description in Vietnamese for the descriptions `chiso index` writes.
fn weights_label(weights: &str) -> String {
    match weights {
        "N_h / m_h from the sample" => {
            "N_h / m_h: số người trong tầng chia cho số phiếu thu được (N_h lấy từ mẫu)".into()
        }
        "N_h / m_h from --population" => {
            "N_h / m_h: số người trong tầng chia cho số phiếu thu được (N_h lấy từ tệp dân số)"
                .into()
        }
        other => other.into(),
    }
}

/// A date `YYYY-MM-DD` as `DD/MM/YYYY`; other text unchanged.
fn vi_date(d: &str) -> String {
    match d.split('-').collect::<Vec<_>>()[..] {
        [y, m, day] if y.len() == 4 && m.len() == 2 && day.len() == 2 => format!("{day}/{m}/{y}"),
        _ => d.to_string(),
    }
}

/// The main lines of a design in words: window, strata, size rule, reserves.
fn design_words(design: &serde_json::Value) -> String {
    let mut parts = Vec::new();
    if let Some([a, b]) = design
        .pointer("/frame/window")
        .and_then(|w| w.as_array())
        .map(Vec::as_slice)
        && let (Some(a), Some(b)) = (a.as_str(), b.as_str())
    {
        parts.push(format!(
            "hồ sơ trả kết quả từ {} đến {}",
            vi_date(a),
            vi_date(b)
        ));
    }
    if let Some(strata) = design.pointer("/frame/strata").and_then(|s| s.as_array()) {
        let names: Vec<&str> = strata.iter().filter_map(|s| s.as_str()).collect();
        parts.push(format!("phân tầng theo {}", names.join(", ")));
    }
    let num = |p: &str| design.pointer(p).map(|v| v.to_string());
    match design.pointer("/size/mode").and_then(|m| m.as_str()) {
        Some("fixed") => parts.push(format!(
            "cỡ mẫu cố định {} mỗi tầng",
            num("/size/n").unwrap_or_default()
        )),
        Some("yamane") => parts.push(format!(
            "cỡ mẫu theo công thức n = N / (1 + N·e²), e = {}",
            num("/size/e").unwrap_or_default().replace('.', ",")
        )),
        Some(other) => parts.push(format!("cỡ mẫu: {other}")),
        None => {}
    }
    if let Some(min) = num("/size/min").filter(|m| m != "0" && m != "null") {
        parts.push(format!("tối thiểu {min} mỗi tầng"));
    }
    if let Some(r) = num("/reserve/ratio").filter(|r| r != "null") {
        parts.push(format!("dự phòng {} lần cỡ mẫu", r.replace('.', ",")));
    } else if let Some(c) = num("/reserve/count").filter(|c| c != "null") {
        parts.push(format!("{c} phiếu dự phòng mỗi tầng"));
    }
    parts.join("; ")
}

fn yes_no(b: Option<bool>) -> &'static str {
    match b {
        Some(true) => "có",
        Some(false) => "không",
        None => "",
    }
}

// ---------------------------------------------------------------------------------------------
// The workbook

/// How a row of the workbook is highlighted.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mark {
    Plain,
    /// Above the threshold, with the whole interval above it.
    Certain,
    /// Above the threshold (the estimate).
    Above,
    /// Too imprecise to rank.
    Imprecise,
}

const RED: u32 = 0xF8CBAD;
const AMBER: u32 = 0xFFE699;
const GREY: u32 = 0xE7E6E6;
const HEADER: u32 = 0xDDEBF7;

/// Cell formats for one kind of row.
struct Formats {
    text: Format,
    pct: Format,
    num: Format,
    se: Format,
    int: Format,
    level: Format,
}

impl Formats {
    fn new(mark: Mark) -> Formats {
        let fill = match mark {
            Mark::Plain => None,
            Mark::Certain => Some(RED),
            Mark::Above => Some(AMBER),
            Mark::Imprecise => Some(GREY),
        };
        let base = |f: Format| match fill {
            Some(c) => f.set_background_color(Color::RGB(c)),
            None => f,
        };
        Formats {
            text: base(Format::new()),
            pct: base(Format::new().set_num_format("0.00\"%\"")),
            num: base(Format::new().set_num_format("0.00")),
            se: base(Format::new().set_num_format("0.000")),
            int: base(Format::new().set_num_format("#,##0")),
            level: base(Format::new().set_num_format("0.0#%")),
        }
    }
}

/// A cell of the workbook.
enum Cell<'a> {
    Text(&'a str),
    Pct(Option<f64>),
    Num(Option<f64>),
    Se(Option<f64>),
    Int(Option<u64>),
    /// A confidence level (0.95 shown as 95%).
    Level(f64),
}

struct Book {
    workbook: Workbook,
    formats: [Formats; 4],
    header: Format,
}

fn mark_index(m: Mark) -> usize {
    match m {
        Mark::Plain => 0,
        Mark::Certain => 1,
        Mark::Above => 2,
        Mark::Imprecise => 3,
    }
}

type XResult<T> = std::result::Result<T, rust_xlsxwriter::XlsxError>;

impl Book {
    fn new() -> Book {
        Book {
            workbook: Workbook::new(),
            formats: [
                Formats::new(Mark::Plain),
                Formats::new(Mark::Certain),
                Formats::new(Mark::Above),
                Formats::new(Mark::Imprecise),
            ],
            header: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter)
                .set_background_color(Color::RGB(HEADER))
                .set_border_bottom(FormatBorder::Thin),
        }
    }

    /// A sheet with a frozen, filtered header row and the given column widths.
    fn table<'a>(
        &mut self,
        name: &str,
        columns: &[(&str, f64)],
        rows: impl IntoIterator<Item = (Vec<Cell<'a>>, Mark)>,
    ) -> XResult<()> {
        let header = self.header.clone();
        let ws = self.workbook.add_worksheet();
        ws.set_name(name)?;
        for (c, (title, width)) in columns.iter().enumerate() {
            let c = c as u16;
            ws.write_string_with_format(0, c, *title, &header)?;
            ws.set_column_width(c, *width)?;
        }
        ws.set_row_height(0, 32)?;
        let mut r = 0u32;
        for (cells, mark) in rows {
            r += 1;
            write_cells(ws, r, &cells, &self.formats[mark_index(mark)])?;
        }
        ws.set_freeze_panes(1, 0)?;
        if !columns.is_empty() {
            ws.autofilter(0, 0, r.max(1), columns.len() as u16 - 1)?;
        }
        Ok(())
    }
}

fn write_cells(ws: &mut Worksheet, r: u32, cells: &[Cell<'_>], f: &Formats) -> XResult<()> {
    for (c, cell) in cells.iter().enumerate() {
        write_cell(ws, r, c as u16, cell, f, "")?;
    }
    Ok(())
}

/// Writes one cell; an absent number is a blank cell with the row's fill, or `absent` text.
fn write_cell(
    ws: &mut Worksheet,
    r: u32,
    c: u16,
    cell: &Cell<'_>,
    f: &Formats,
    absent: &str,
) -> XResult<()> {
    let (value, format) = match cell {
        Cell::Text(s) => {
            ws.write_string_with_format(r, c, *s, &f.text)?;
            return Ok(());
        }
        Cell::Pct(v) => (*v, &f.pct),
        Cell::Num(v) => (*v, &f.num),
        Cell::Se(v) => (*v, &f.se),
        Cell::Int(v) => (v.map(|n| n as f64), &f.int),
        Cell::Level(v) => (Some(*v), &f.level),
    };
    match value {
        Some(x) => ws.write_number_with_format(r, c, x, format)?,
        None if absent.is_empty() => ws.write_blank(r, c, format)?,
        None => ws.write_string_with_format(r, c, absent, &f.text)?,
    };
    Ok(())
}

/// The index sheets' columns.
const INDEX_COLUMNS: [(&str, f64); 12] = [
    ("Mã đơn vị", 12.0),
    ("Tên đơn vị", 34.0),
    ("Chỉ tiêu", 18.0),
    ("Thước đo", 24.0),
    ("Ước lượng", 12.0),
    ("Sai số chuẩn", 12.0),
    ("Cận dưới", 12.0),
    ("Cận trên", 12.0),
    ("Phương pháp khoảng tin cậy", 16.0),
    ("Số câu trả lời (n)", 12.0),
    ("Bậc tự do", 10.0),
    ("Cảnh báo", 26.0),
];

/// The workbook's bytes.
pub fn xlsx(inputs: &Inputs) -> std::result::Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = Book::new();
    // A fixed creation date in the document properties: the workbook would otherwise carry
    // the time it was written, and the same inputs would not give the same bytes.
    let properties = rust_xlsxwriter::DocProperties::new()
        .set_title(&inputs.title)
        .set_creation_datetime(&rust_xlsxwriter::ExcelDateTime::from_ymd(
            WORKBOOK_DATE.0,
            WORKBOOK_DATE.1,
            WORKBOOK_DATE.2,
        )?);
    book.workbook.set_properties(&properties);
    summary_sheet(&mut book, inputs)?;
    type Family = (&'static str, fn(&str) -> bool);
    let families: [Family; 4] = [
        ("Chỉ số chung", |i| i == "overall"),
        ("Yếu tố", |i| i.starts_with("element:")),
        ("Tiêu chí", |i| i.starts_with("item:")),
        ("Chỉ tiêu khác", |i| {
            i != "overall" && !i.starts_with("element:") && !i.starts_with("item:")
        }),
    ];
    for (sheet, belongs) in families {
        let rows: Vec<&IndexEntry> = inputs
            .indices
            .rows
            .iter()
            .filter(|r| belongs(&r.indicator))
            .collect();
        if rows.is_empty() {
            continue;
        }
        let notes: Vec<String> = rows
            .iter()
            .map(|r| match inputs.unit_flag(&r.domain, &r.indicator) {
                Some(f) if f.certain == Some(true) => {
                    "Vượt ngưỡng không hài lòng (chắc chắn)".to_string()
                }
                Some(_) => "Vượt ngưỡng không hài lòng".to_string(),
                None => String::new(),
            })
            .collect();
        let data = rows.iter().zip(&notes).map(|(r, note)| {
            let pct = is_share(&r.measure);
            let value = |v: Option<f64>| if pct { Cell::Pct(v) } else { Cell::Num(v) };
            let mark = match inputs.unit_flag(&r.domain, &r.indicator) {
                Some(f) if f.certain == Some(true) => Mark::Certain,
                Some(_) => Mark::Above,
                None => Mark::Plain,
            };
            let name = if r.domain == "ALL" {
                "Toàn tỉnh"
            } else {
                inputs.name_of(&r.domain)
            };
            (
                vec![
                    Cell::Text(&r.domain),
                    Cell::Text(name),
                    Cell::Text(&r.indicator),
                    Cell::Text(measure_label(&r.measure)),
                    value(r.estimate),
                    Cell::Se(r.std_error),
                    value(r.ci_lower),
                    value(r.ci_upper),
                    Cell::Text(&r.ci_method),
                    Cell::Int(Some(r.n)),
                    Cell::Int(r.df),
                    Cell::Text(note),
                ],
                mark,
            )
        });
        book.table(sheet, &INDEX_COLUMNS, data)?;
    }
    if let Some(ranks) = &inputs.ranks {
        book.table(
            "Xếp hạng",
            &[
                ("Nhóm", 10.0),
                ("Mã đơn vị", 12.0),
                ("Tên đơn vị", 34.0),
                ("Chỉ tiêu", 16.0),
                ("Thước đo", 22.0),
                ("Ước lượng", 12.0),
                ("Cận dưới", 12.0),
                ("Cận trên", 12.0),
                ("Số câu trả lời (n)", 12.0),
                ("Hạng", 8.0),
                ("Hạng tốt nhất có thể", 12.0),
                ("Hạng kém nhất có thể", 12.0),
                ("Số đơn vị trong nhóm", 12.0),
                ("Chưa đủ chính xác", 12.0),
            ],
            ranks.iter().map(|r| {
                let pct = is_share(&r.measure);
                let value = |v: Option<f64>| if pct { Cell::Pct(v) } else { Cell::Num(v) };
                let mark = if r.imprecise == Some(true) {
                    Mark::Imprecise
                } else {
                    Mark::Plain
                };
                (
                    vec![
                        Cell::Text(&r.unit_group),
                        Cell::Text(&r.domain),
                        Cell::Text(&r.unit_name),
                        Cell::Text(&r.indicator),
                        Cell::Text(measure_label(&r.measure)),
                        value(r.estimate),
                        value(r.ci_lower),
                        value(r.ci_upper),
                        Cell::Int(Some(r.n)),
                        Cell::Int(r.rank),
                        Cell::Int(r.rank_lower),
                        Cell::Int(r.rank_upper),
                        Cell::Int(r.group_size),
                        Cell::Text(yes_no(r.imprecise)),
                    ],
                    mark,
                )
            }),
        )?;
    }
    if let Some(flags) = &inputs.flags {
        book.table(
            "Cảnh báo",
            &[
                ("Cấp", 10.0),
                ("Mã đơn vị", 12.0),
                ("Mã cán bộ", 12.0),
                ("Nhóm", 10.0),
                ("Chỉ tiêu", 16.0),
                ("Tỷ lệ không hài lòng (%)", 14.0),
                ("Sai số chuẩn", 12.0),
                ("Cận dưới", 12.0),
                ("Cận trên", 12.0),
                ("Số câu trả lời (n)", 12.0),
                ("Ngưỡng (%)", 10.0),
                ("Vượt ngưỡng", 10.0),
                ("Chắc chắn vượt (cả khoảng tin cậy)", 16.0),
                ("Chưa đủ chính xác", 12.0),
            ],
            flags.iter().map(|f| {
                let mark = match (f.above, f.certain, f.imprecise) {
                    (Some(true), Some(true), _) => Mark::Certain,
                    (Some(true), _, _) => Mark::Above,
                    (_, _, Some(true)) => Mark::Imprecise,
                    _ => Mark::Plain,
                };
                (
                    vec![
                        Cell::Text(if f.level == "unit" {
                            "đơn vị"
                        } else {
                            "cán bộ"
                        }),
                        Cell::Text(&f.domain),
                        Cell::Text(f.officer_id.as_deref().unwrap_or("")),
                        Cell::Text(f.unit_group.as_deref().unwrap_or("")),
                        Cell::Text(&f.indicator),
                        Cell::Pct(f.dissatisfied_pct),
                        Cell::Se(f.std_error),
                        Cell::Pct(f.ci_lower),
                        Cell::Pct(f.ci_upper),
                        Cell::Int(Some(f.n)),
                        Cell::Pct(f.threshold_pct),
                        Cell::Text(yes_no(f.above)),
                        Cell::Text(yes_no(f.certain)),
                        Cell::Text(yes_no(f.imprecise)),
                    ],
                    mark,
                )
            }),
        )?;
    }
    if let Some(rows) = &inputs.timeliness {
        book.table(
            "Tiến độ hồ sơ",
            &[
                ("Cấp", 10.0),
                ("Mã đơn vị", 12.0),
                ("Mã cán bộ", 12.0),
                ("Số hồ sơ", 10.0),
                ("Trước hạn", 10.0),
                ("Đúng hạn", 10.0),
                ("Trễ hạn", 10.0),
                ("Trước hạn (%)", 11.0),
                ("Đúng hạn (%)", 11.0),
                ("Trễ hạn (%)", 11.0),
                ("Trần trễ hạn (%)", 11.0),
                ("Vượt trần", 10.0),
            ],
            rows.iter().map(|t| {
                let mark = if t.above_ceiling == Some(true) {
                    Mark::Certain
                } else {
                    Mark::Plain
                };
                (
                    vec![
                        Cell::Text(&t.level),
                        Cell::Text(&t.domain),
                        Cell::Text(t.officer_id.as_deref().unwrap_or("")),
                        Cell::Int(Some(t.records)),
                        Cell::Int(Some(t.early)),
                        Cell::Int(Some(t.on_time)),
                        Cell::Int(Some(t.late)),
                        Cell::Pct(t.early_pct),
                        Cell::Pct(t.on_time_pct),
                        Cell::Pct(t.late_pct),
                        Cell::Pct(t.late_ceiling_pct),
                        Cell::Text(yes_no(t.above_ceiling)),
                    ],
                    mark,
                )
            }),
        )?;
    }
    if let Some(par) = &inputs.par {
        book.table(
            "Chỉ số CCHC",
            &[
                ("Mã đơn vị", 12.0),
                ("Tên đơn vị", 34.0),
                ("Nhóm", 10.0),
                ("Điểm đạt", 10.0),
                ("Điểm tối đa", 10.0),
                ("Chỉ số (%)", 11.0),
                ("Sai số chuẩn", 11.0),
                ("Cận dưới", 11.0),
                ("Cận trên", 11.0),
                ("Hạng", 8.0),
                ("Hạng tốt nhất có thể", 12.0),
                ("Hạng kém nhất có thể", 12.0),
                ("Số đơn vị trong nhóm", 12.0),
            ],
            par.units.iter().map(|u| {
                (
                    vec![
                        Cell::Text(&u.unit_code),
                        Cell::Text(&u.unit_name),
                        Cell::Text(&u.unit_group),
                        Cell::Num(u.points),
                        Cell::Num(u.max_points),
                        Cell::Pct(u.index),
                        Cell::Se(u.std_error),
                        Cell::Pct(u.ci_lower),
                        Cell::Pct(u.ci_upper),
                        Cell::Int(u.rank),
                        Cell::Int(u.rank_lower),
                        Cell::Int(u.rank_upper),
                        Cell::Int(u.group_size),
                    ],
                    Mark::Plain,
                )
            }),
        )?;
        if let Some(fields) = &par.fields {
            book.table(
                "CCHC theo lĩnh vực",
                &[
                    ("Mã đơn vị", 12.0),
                    ("Lĩnh vực", 10.0),
                    ("Tên lĩnh vực", 40.0),
                    ("Điểm đạt", 10.0),
                    ("Điểm tối đa", 10.0),
                ],
                fields.iter().map(|f| {
                    (
                        vec![
                            Cell::Text(&f.unit_code),
                            Cell::Text(&f.field),
                            Cell::Text(&f.field_name),
                            Cell::Num(f.points),
                            Cell::Num(f.max_points),
                        ],
                        Mark::Plain,
                    )
                }),
            )?;
        }
    }
    book.workbook.save_to_buffer()
}

fn summary_sheet(book: &mut Book, inputs: &Inputs) -> XResult<()> {
    let ix = &inputs.indices;
    let overall = inputs.overall();
    let dis = ix.get("ALL", "overall", "dissatisfied_pct");
    let level_label = vi_level(ix.level);
    let design = inputs.sample.as_ref().map(|s| s.design.to_string());
    // (label, value); `None` is a blank line.
    let mut lines: Vec<Option<(String, Cell<'_>)>> = vec![
        Some(("Bộ câu hỏi".into(), Cell::Text(&ix.questionnaire))),
        Some((
            "Chỉ số hài lòng chung toàn tỉnh (%)".into(),
            Cell::Pct(overall.and_then(|o| o.estimate)),
        )),
        Some((
            format!("Cận dưới khoảng tin cậy {level_label} (%)"),
            Cell::Pct(overall.and_then(|o| o.ci_lower)),
        )),
        Some((
            format!("Cận trên khoảng tin cậy {level_label} (%)"),
            Cell::Pct(overall.and_then(|o| o.ci_upper)),
        )),
        Some((
            "Sai số chuẩn".into(),
            Cell::Se(overall.and_then(|o| o.std_error)),
        )),
        Some((
            "Số phiếu có trả lời (n)".into(),
            Cell::Int(overall.map(|o| o.n)),
        )),
        Some((
            "Tỷ lệ không hài lòng chung toàn tỉnh (%)".into(),
            Cell::Pct(dis.and_then(|o| o.estimate)),
        )),
        Some((
            "Số đơn vị có kết quả".into(),
            Cell::Int(Some(ix.units().len() as u64)),
        )),
        Some((
            "Số dòng chỉ số (indices.csv)".into(),
            Cell::Int(Some(ix.rows.len() as u64)),
        )),
    ];
    if let Some(flags) = &inputs.flags {
        let count = |level: &str| {
            flags
                .iter()
                .filter(|f| f.level == level && f.above == Some(true))
                .count() as u64
        };
        lines.push(Some((
            "Số đơn vị vượt ngưỡng không hài lòng".into(),
            Cell::Int(Some(count("unit"))),
        )));
        lines.push(Some((
            "Số cán bộ vượt ngưỡng không hài lòng".into(),
            Cell::Int(Some(count("officer"))),
        )));
    }
    lines.push(None);
    lines.push(Some((
        "Phương pháp khoảng tin cậy".into(),
        Cell::Text(&ix.ci_method),
    )));
    lines.push(Some(("Mức tin cậy".into(), Cell::Level(ix.level))));
    lines.push(Some(("Trọng số".into(), Cell::Text(&ix.weights))));
    lines.push(Some((
        "Phiên bản chương trình tính chỉ số".into(),
        Cell::Text(&ix.engine_version),
    )));
    if let (Some(s), Some(design)) = (&inputs.sample, &design) {
        lines.extend([
            Some(("Hạt giống ngẫu nhiên (seed)".into(), Cell::Text(&s.seed))),
            Some(("Thuật toán chọn mẫu".into(), Cell::Text(&s.algorithm))),
            Some((
                "Mã băm mẫu (sample_digest)".into(),
                Cell::Text(&s.sample_digest),
            )),
            Some((
                "Mã băm khung mẫu (frame_digest)".into(),
                Cell::Text(&s.frame_digest),
            )),
            Some((
                "Phiên bản chương trình chọn mẫu".into(),
                Cell::Text(&s.engine_version),
            )),
            Some(("Cỡ khung mẫu".into(), Cell::Int(s.frame_size))),
            Some(("Cỡ mẫu chính thức".into(), Cell::Int(s.sample_size))),
            Some(("Thiết kế mẫu".into(), Cell::Text(design))),
        ]);
    } else {
        lines.push(Some((
            "Hạt giống ngẫu nhiên (seed)".into(),
            Cell::Text("chưa ghi (báo cáo lập không kèm manifest.json của mẫu)"),
        )));
    }
    lines.push(None);
    let title = Format::new().set_bold().set_font_size(14);
    let label = Format::new().set_bold().set_text_wrap();
    let value = Format::new().set_align(FormatAlign::Left);
    let plain = &book.formats[0];
    let ws = book.workbook.add_worksheet();
    ws.set_name("Tổng hợp")?;
    ws.set_column_width(0, 46)?;
    ws.set_column_width(1, 72)?;
    ws.write_string_with_format(0, 0, &inputs.title, &title)?;
    ws.set_freeze_panes(1, 0)?;
    let mut r = 1u32;
    for line in &lines {
        r += 1;
        let Some((text, cell)) = line else { continue };
        ws.write_string_with_format(r, 0, text, &label)?;
        match cell {
            Cell::Text(s) => {
                ws.write_string_with_format(r, 1, *s, &value)?;
            }
            other => write_cell(ws, r, 1, other, plain, "—")?,
        }
    }
    for note in [
        "Ghi chú: các ô số giữ nguyên giá trị đầy đủ của indices.csv (tỷ lệ tính trên thang 0–100).",
        "Dấu thập phân hiển thị theo cài đặt ngôn ngữ của máy: máy đặt tiếng Việt hiển thị 98,80%.",
        "Dòng tô đỏ: vượt ngưỡng với cả khoảng tin cậy (hoặc vượt trần trễ hạn); tô vàng: ước lượng vượt ngưỡng; tô xám: chưa đủ chính xác để xếp hạng.",
    ] {
        r += 1;
        ws.write_string(r, 0, note)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The web page

/// Escapes text for HTML and SVG (element content and quoted attributes).
///
/// ```
/// assert_eq!(chiso::report::escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
/// ```
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = "
:root{--ink:#1f2933;--muted:#616e7c;--line:#d9e2ec;--blue:#2563eb;--red:#c62828;--amber:#b7791f;--green:#2f855a}
*{box-sizing:border-box}
body{margin:0;font-family:'Segoe UI',Roboto,'Noto Sans','Helvetica Neue',Arial,sans-serif;color:var(--ink);background:#f5f7fa;line-height:1.45}
main{max-width:1120px;margin:0 auto;padding:24px 20px 48px}
h1{font-size:1.7rem;margin:0 0 4px}
h2{font-size:1.3rem;margin:36px 0 8px;padding-bottom:4px;border-bottom:2px solid var(--line)}
h3{font-size:1.08rem;margin:22px 0 6px}
p.note,.note{color:var(--muted);font-size:.9rem}
.headline{display:flex;flex-wrap:wrap;gap:16px;margin:18px 0}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:14px 18px;min-width:220px;flex:1}
.card .big{font-size:2.3rem;font-weight:700;color:var(--blue)}
.card .label{color:var(--muted);font-size:.9rem}
table{border-collapse:collapse;width:100%;background:#fff;font-size:.92rem;margin:6px 0 10px}
th,td{border:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
th{background:#e8eef6;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
th.num{text-align:right}
.scroll{overflow-x:auto}
tr.flag td{background:#fde4e1}
tr.warn td{background:#fff4d6}
tr.imprecise td{color:var(--muted);font-style:italic}
.badge{display:inline-block;padding:0 6px;border-radius:4px;font-size:.8rem;font-weight:600;white-space:nowrap}
td.name{min-width:170px}\n.nowrap{white-space:nowrap}\nnav{margin:10px 0;font-size:.92rem}\nnav a{margin-right:14px;color:var(--blue)}
.badge.red{background:#fde4e1;color:var(--red)}
.badge.grey{background:#eceff1;color:var(--muted)}
.badge.amber{background:#fff4d6;color:var(--amber)}
.chart{background:#fff;border:1px solid var(--line);border-radius:8px;padding:8px;margin:8px 0 14px;overflow-x:auto}
.chart svg{display:block;max-width:100%;height:auto}
.legend{font-size:.85rem;color:var(--muted);margin:4px 0}
.legend span{display:inline-block;width:12px;height:12px;margin:0 4px -2px 12px;border-radius:2px}
dl.method{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;background:#fff;border:1px solid var(--line);border-radius:8px;padding:12px 16px}
dl.method dt{font-weight:600}
dl.method dd{margin:0;overflow-wrap:anywhere}
code{font-family:ui-monospace,Consolas,monospace;font-size:.85rem}
";

/// The web page.
pub fn html(inputs: &Inputs) -> String {
    let mut h = String::new();
    let ix = &inputs.indices;
    let level = vi_level(ix.level);
    let _ = writeln!(
        h,
        "<!DOCTYPE html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n<h1>{}</h1>\n\
         <p class=\"note\">Bộ câu hỏi: {}. Kết quả ước lượng từ mẫu khảo sát có trọng số; \
         mỗi chỉ số kèm khoảng tin cậy {level}.</p>",
        escape(&inputs.title),
        escape(&inputs.title),
        escape(&ix.questionnaire),
    );
    headline(&mut h, inputs, &level);
    h.push_str("<nav><a href=\"#don-vi\">Theo đơn vị</a><a href=\"#canh-bao\">Cảnh báo</a>");
    if inputs.timeliness.is_some() {
        h.push_str("<a href=\"#tien-do\">Tiến độ hồ sơ</a>");
    }
    if inputs.par.is_some() {
        h.push_str("<a href=\"#cchc\">Chỉ số CCHC</a>");
    }
    h.push_str("<a href=\"#phuong-phap\">Phương pháp</a></nav>\n");
    units_section(&mut h, inputs, &level);
    flags_section(&mut h, inputs);
    if let Some(t) = &inputs.timeliness {
        timeliness_section(&mut h, inputs, t);
    }
    if let Some(p) = &inputs.par {
        par_section(&mut h, inputs, p, &level);
    }
    method_section(&mut h, inputs, &level);
    h.push_str("</main>\n</body>\n</html>\n");
    // Wide tables scroll inside the page on a narrow screen.
    h.replace("<table>", "<div class=\"scroll\"><table>")
        .replace("</table>", "</table></div>")
}

fn headline(h: &mut String, inputs: &Inputs, level: &str) {
    let ix = &inputs.indices;
    h.push_str("<section class=\"headline\" id=\"tong-hop\">\n");
    match inputs.overall() {
        Some(o) if o.estimate.is_some() => {
            let _ = writeln!(
                h,
                "<div class=\"card\"><div class=\"label\">Chỉ số hài lòng chung toàn tỉnh</div>\
                 <div class=\"big\">{}</div><div class=\"label\">Khoảng tin cậy {level}: {}<br>\
                 {} phiếu có trả lời</div></div>",
                vi_opt_pct(o.estimate),
                vi_interval(o.ci_lower, o.ci_upper, true),
                vi_count(o.n)
            );
        }
        _ => h.push_str(
            "<div class=\"card\"><div class=\"label\">Chỉ số hài lòng chung toàn tỉnh</div>\
             <div class=\"big\">—</div><div class=\"label\">Chưa có kết quả toàn tỉnh trong indices.csv</div></div>\n",
        ),
    }
    if let Some(d) = ix.get("ALL", "overall", "dissatisfied_pct")
        && d.estimate.is_some()
    {
        let _ = writeln!(
            h,
            "<div class=\"card\"><div class=\"label\">Tỷ lệ không hài lòng chung</div>\
             <div class=\"big\" style=\"color:var(--red)\">{}</div>\
             <div class=\"label\">Khoảng tin cậy {level}: {}</div></div>",
            vi_opt_pct(d.estimate),
            vi_interval(d.ci_lower, d.ci_upper, true)
        );
    }
    let flagged = inputs.flags.as_ref().map(|f| {
        f.iter()
            .filter(|f| f.level == "unit" && f.above == Some(true))
            .count()
    });
    let _ = writeln!(
        h,
        "<div class=\"card\"><div class=\"label\">Số đơn vị có kết quả</div>\
         <div class=\"big\">{}</div><div class=\"label\">{}</div></div>",
        vi_count(ix.units().len() as u64),
        match flagged {
            Some(k) => format!("{} đơn vị vượt ngưỡng không hài lòng", vi_count(k as u64)),
            None => "Chưa có tệp cảnh báo (flags.csv)".into(),
        }
    );
    h.push_str("</section>\n");
}

/// One bar of a chart.
struct Bar {
    label: String,
    value: f64,
    lower: Option<f64>,
    upper: Option<f64>,
    /// Fill colour.
    colour: &'static str,
    /// Text after the value (e.g. "chưa đủ chính xác").
    note: &'static str,
}

const BLUE: &str = "#2563eb";
const PALE: &str = "#b8c4d6";
const RED_BAR: &str = "#d64541";
const AMBER_BAR: &str = "#e0a526";
const GREEN_BAR: &str = "#2f9e44";

/// A horizontal bar chart, sorted as given, with interval whiskers and an optional reference
/// line. Values are on 0–100; the axis starts at a round number below the smallest value so
/// that differences between units are visible, and says so.
fn bar_chart(h: &mut String, caption: &str, bars: &[Bar], reference: Option<(f64, &str)>) {
    if bars.is_empty() {
        return;
    }
    let lowest = bars
        .iter()
        .map(|b| b.lower.unwrap_or(b.value).min(b.value))
        .chain(reference.map(|r| r.0))
        .fold(100.0_f64, f64::min);
    let axis_min = ((lowest / 10.0).floor() * 10.0).clamp(0.0, 90.0);
    let axis_max = 100.0;
    let span = axis_max - axis_min;
    let step = if span <= 20.0 {
        2.0
    } else if span <= 50.0 {
        5.0
    } else {
        10.0
    };
    let (left, plot, right) = (250.0, 520.0, 210.0);
    let row = 24.0;
    let top = 28.0;
    let height = top + row * bars.len() as f64 + 30.0;
    let width = left + plot + right;
    let x = |v: f64| left + plot * ((v.clamp(axis_min, axis_max) - axis_min) / span);
    let _ = writeln!(
        h,
        "<div class=\"chart\"><svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" \
         width=\"{width}\" height=\"{height}\" role=\"img\" aria-label=\"{}\" font-family=\"inherit\" font-size=\"12\">",
        escape(caption)
    );
    // Grid and axis labels.
    let mut t = axis_min;
    while t <= axis_max + 1e-9 {
        let _ = writeln!(
            h,
            "<line x1=\"{0:.1}\" y1=\"{top}\" x2=\"{0:.1}\" y2=\"{1:.1}\" stroke=\"#e4e9f0\"/>\
             <text x=\"{0:.1}\" y=\"{2:.1}\" text-anchor=\"middle\" fill=\"#616e7c\">{3}%</text>",
            x(t),
            height - 26.0,
            height - 10.0,
            vi_number(t, 0)
        );
        t += step;
    }
    for (i, b) in bars.iter().enumerate() {
        let y = top + row * i as f64;
        let _ = write!(
            h,
            "<g><title>{}: {}{}</title>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#1f2933\">{}</text>\
             <rect x=\"{left}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\" rx=\"2\"/>",
            escape(&b.label),
            vi_percent(b.value),
            match (b.lower, b.upper) {
                (Some(l), Some(u)) =>
                    format!(" (khoảng tin cậy {} – {})", vi_percent(l), vi_percent(u)),
                _ => String::new(),
            },
            left - 8.0,
            y + row * 0.65,
            escape(&b.label),
            y + 4.0,
            (x(b.value) - left).max(1.0),
            row - 8.0,
            b.colour
        );
        if let (Some(l), Some(u)) = (b.lower, b.upper) {
            let ym = y + row / 2.0;
            let _ = write!(
                h,
                "<line x1=\"{0:.1}\" y1=\"{ym:.1}\" x2=\"{1:.1}\" y2=\"{ym:.1}\" stroke=\"#1f2933\" stroke-width=\"1.4\"/>\
                 <line x1=\"{0:.1}\" y1=\"{2:.1}\" x2=\"{0:.1}\" y2=\"{3:.1}\" stroke=\"#1f2933\" stroke-width=\"1.4\"/>\
                 <line x1=\"{1:.1}\" y1=\"{2:.1}\" x2=\"{1:.1}\" y2=\"{3:.1}\" stroke=\"#1f2933\" stroke-width=\"1.4\"/>",
                x(l),
                x(u),
                ym - 5.0,
                ym + 5.0
            );
        }
        let _ = writeln!(
            h,
            "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"#1f2933\" font-weight=\"600\">{}</text>\
             <text x=\"{:.1}\" y=\"{:.1}\" fill=\"#616e7c\">{}</text></g>",
            left + plot + 8.0,
            y + row * 0.65,
            vi_percent(b.value),
            left + plot + 62.0,
            y + row * 0.65,
            escape(b.note)
        );
    }
    if let Some((v, label)) = reference {
        let _ = writeln!(
            h,
            "<line x1=\"{0:.1}\" y1=\"{1:.1}\" x2=\"{0:.1}\" y2=\"{2:.1}\" stroke=\"#1f2933\" stroke-dasharray=\"4 3\"/>\
             <text x=\"{0:.1}\" y=\"{3:.1}\" text-anchor=\"middle\" fill=\"#1f2933\">{4}</text>",
            x(v),
            top - 4.0,
            height - 26.0,
            top - 10.0,
            escape(label)
        );
    }
    h.push_str("</svg></div>\n");
    if axis_min > 0.0 {
        let _ = writeln!(
            h,
            "<p class=\"note\">Trục ngang bắt đầu từ {}% để thấy rõ chênh lệch giữa các đơn vị.</p>",
            vi_number(axis_min, 0)
        );
    }
}

fn unit_label(inputs: &Inputs, code: &str) -> String {
    let name = inputs.name_of(code);
    if name.is_empty() {
        code.to_string()
    } else {
        let short: String = name.chars().take(30).collect();
        let ellipsis = if name.chars().count() > 30 { "…" } else { "" };
        format!("{code} · {short}{ellipsis}")
    }
}

fn rank_text(rank: Option<u64>, size: Option<u64>) -> String {
    match (rank, size) {
        (Some(r), Some(s)) => format!("{r}/{s}"),
        (Some(r), None) => r.to_string(),
        _ => "—".into(),
    }
}

fn rank_range(lo: Option<u64>, hi: Option<u64>) -> String {
    match (lo, hi) {
        (Some(l), Some(u)) if l == u => l.to_string(),
        (Some(l), Some(u)) => format!("{l}–{u}"),
        _ => "—".into(),
    }
}

fn units_section(h: &mut String, inputs: &Inputs, level: &str) {
    let ix = &inputs.indices;
    let province = inputs.overall().and_then(|o| o.estimate);
    h.push_str("<section id=\"don-vi\">\n<h2>Kết quả theo đơn vị</h2>\n");
    let _ = writeln!(
        h,
        "<p class=\"note\">Thanh: chỉ số hài lòng chung của đơn vị; đoạn đen: khoảng tin cậy {level}; \
         đường đứt nét: kết quả toàn tỉnh. Đơn vị xếp từ cao xuống thấp.</p>\
         <p class=\"legend\"><span style=\"background:{BLUE}\"></span>bình thường\
         <span style=\"background:{RED_BAR}\"></span>vượt ngưỡng không hài lòng (cả khoảng tin cậy)\
         <span style=\"background:{AMBER_BAR}\"></span>vượt ngưỡng (ước lượng)\
         <span style=\"background:{PALE}\"></span>chưa đủ chính xác để xếp hạng</p>"
    );
    // Units by group, in order of first appearance.
    let mut groups: Vec<(Option<&str>, Vec<&str>)> = Vec::new();
    for code in ix.units() {
        let g = inputs.group_of(code);
        match groups.iter_mut().find(|(k, _)| *k == g) {
            Some((_, v)) => v.push(code),
            None => groups.push((g, vec![code])),
        }
    }
    let ranks = inputs.headline_ranks();
    for (group, codes) in &groups {
        let _ = writeln!(h, "<h3>{}</h3>", escape(&group_label(*group)));
        // Chart.
        let mut entries: Vec<(&str, &IndexEntry)> = codes
            .iter()
            .filter_map(|c| {
                ix.get(c, "overall", "satisfied_pct")
                    .filter(|e| e.estimate.is_some())
                    .map(|e| (*c, e))
            })
            .collect();
        entries.sort_by(|a, b| {
            b.1.estimate
                .partial_cmp(&a.1.estimate)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then_with(|| a.0.cmp(b.0))
        });
        let bars: Vec<Bar> = entries
            .iter()
            .map(|(code, e)| {
                let flag = inputs.unit_flagged(code);
                let imprecise = inputs.imprecise(code);
                let (colour, note) = match flag {
                    Some(f) if f.certain == Some(true) => (RED_BAR, "vượt ngưỡng"),
                    Some(_) => (AMBER_BAR, "vượt ngưỡng (ước lượng)"),
                    None if imprecise => (PALE, "chưa đủ chính xác"),
                    None => (BLUE, ""),
                };
                Bar {
                    label: unit_label(inputs, code),
                    value: e.estimate.unwrap_or(0.0),
                    lower: e.ci_lower,
                    upper: e.ci_upper,
                    colour,
                    note,
                }
            })
            .collect();
        bar_chart(
            h,
            &format!("Chỉ số hài lòng chung: {}", group_label(*group)),
            &bars,
            province.map(|p| (p, "toàn tỉnh")),
        );
        // Table: ranks when ranks.csv has them, order of the estimate otherwise.
        let have_ranks = codes.iter().any(|c| ranks.iter().any(|r| r.domain == *c));
        let _ = writeln!(
            h,
            "<table>\n<thead><tr>{}<th>Mã</th><th>Tên đơn vị</th><th class=\"num\">Chỉ số hài lòng</th>\
             <th class=\"num\">Khoảng tin cậy {level}</th><th class=\"num\">Không hài lòng</th>\
             <th class=\"num\">Điểm trung bình</th><th class=\"num\">Số phiếu</th><th>Ghi chú</th></tr></thead>\n<tbody>",
            if have_ranks {
                "<th class=\"num\">Hạng</th><th class=\"num\">Khoảng hạng</th>"
            } else {
                "<th class=\"num\">Thứ tự</th>"
            }
        );
        // Every unit of the group: those with an estimate in chart order, then the others.
        let mut ordered: Vec<&str> = entries.iter().map(|(c, _)| *c).collect();
        ordered.extend(
            codes
                .iter()
                .filter(|c| !ordered.contains(c))
                .copied()
                .collect::<Vec<_>>(),
        );
        if have_ranks {
            // By rank (a stable sort keeps the chart order among equal and missing ranks).
            let rank = |c: &str| {
                ranks
                    .iter()
                    .find(|r| r.domain == c)
                    .and_then(|r| r.rank)
                    .unwrap_or(u64::MAX)
            };
            ordered.sort_by_key(|c| rank(c));
        }
        for (pos, code) in ordered.iter().enumerate() {
            let sat = ix.get(code, "overall", "satisfied_pct");
            let dis = ix.get(code, "overall", "dissatisfied_pct");
            let score = ix.get(code, "overall", "mean_score");
            let flag = inputs.unit_flagged(code);
            let imprecise = inputs.imprecise(code);
            let class = match flag {
                Some(f) if f.certain == Some(true) => " class=\"flag\"",
                Some(_) => " class=\"warn\"",
                None if imprecise => " class=\"imprecise\"",
                None => "",
            };
            let mut notes = Vec::new();
            if let Some(f) = flag {
                notes.push(format!(
                    "<span class=\"badge {}\">vượt ngưỡng{}</span>",
                    if f.certain == Some(true) {
                        "red"
                    } else {
                        "amber"
                    },
                    f.threshold_pct
                        .map(|t| format!(" {}", vi_percent(t)))
                        .unwrap_or_default()
                ));
            }
            if imprecise {
                notes
                    .push("<span class=\"badge grey\">chưa đủ chính xác để xếp hạng</span>".into());
            }
            if sat.and_then(|s| s.estimate).is_none() {
                notes.push("chưa có phiếu trả lời".into());
            }
            let rank_cells = if have_ranks {
                let r = ranks.iter().find(|r| r.domain == *code);
                format!(
                    "<td class=\"num\">{}</td><td class=\"num\">{}</td>",
                    r.map_or("—".into(), |r| rank_text(r.rank, r.group_size)),
                    r.map_or("—".into(), |r| rank_range(r.rank_lower, r.rank_upper))
                )
            } else if sat.and_then(|s| s.estimate).is_some() {
                format!("<td class=\"num\">{}</td>", pos + 1)
            } else {
                "<td class=\"num\">—</td>".into()
            };
            let _ = writeln!(
                h,
                "<tr{class}>{rank_cells}<td><code>{}</code></td><td class=\"name\">{}</td><td class=\"num\"><b>{}</b></td>\
                 <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                 <td class=\"num\">{}</td><td>{}</td></tr>",
                escape(code),
                escape(inputs.name_of(code)),
                vi_opt_pct(sat.and_then(|s| s.estimate)),
                sat.map_or("—".into(), |s| vi_interval(s.ci_lower, s.ci_upper, true)),
                vi_opt_pct(dis.and_then(|s| s.estimate)),
                score
                    .and_then(|s| s.estimate)
                    .map_or("—".into(), |v| vi_number(v, 2)),
                vi_count(sat.map_or(0, |s| s.n)),
                notes.join(" ")
            );
        }
        h.push_str("</tbody></table>\n");
        if !have_ranks {
            h.push_str(
                "<p class=\"note\">Chưa có tệp xếp hạng (ranks.csv): đơn vị được sắp theo ước lượng, \
                 chưa kèm khoảng hạng.</p>\n",
            );
        }
    }
    elements_table(h, inputs);
    h.push_str("</section>\n");
}

/// Units × elements: each element's share satisfied.
fn elements_table(h: &mut String, inputs: &Inputs) {
    let ix = &inputs.indices;
    let elements = ix.elements();
    if elements.is_empty() {
        return;
    }
    h.push_str(
        "<h3>Chỉ số hài lòng theo yếu tố</h3>\n<table>\n<thead><tr><th>Mã</th><th>Tên đơn vị</th>",
    );
    for e in &elements {
        let _ = write!(h, "<th class=\"num\">Yếu tố {}</th>", escape(e));
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    let mut domains = vec!["ALL"];
    domains.extend(ix.units());
    for d in domains {
        let name = if d == "ALL" {
            "Toàn tỉnh"
        } else {
            inputs.name_of(d)
        };
        let _ = write!(
            h,
            "<tr><td><code>{}</code></td><td>{}</td>",
            escape(d),
            escape(name)
        );
        for e in &elements {
            let ind = format!("element:{e}");
            let v = ix.get(d, &ind, "satisfied_pct").and_then(|r| r.estimate);
            let class = if inputs.unit_flag(d, &ind).is_some() {
                " style=\"background:#fde4e1\""
            } else {
                ""
            };
            let _ = write!(h, "<td class=\"num\"{class}>{}</td>", vi_opt_pct(v));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody></table>\n");
}

fn flags_section(h: &mut String, inputs: &Inputs) {
    h.push_str("<section id=\"canh-bao\">\n<h2>Đơn vị và cán bộ vượt ngưỡng không hài lòng</h2>\n");
    let Some(flags) = &inputs.flags else {
        h.push_str("<p class=\"note\">Chưa có tệp cảnh báo (flags.csv).</p>\n</section>\n");
        return;
    };
    let threshold = flags.iter().find_map(|f| f.threshold_pct);
    if let Some(t) = threshold {
        let _ = writeln!(
            h,
            "<p class=\"note\">Ngưỡng: tỷ lệ không hài lòng trên {}. \"Chắc chắn\" nghĩa là cả khoảng tin cậy \
             nằm trên ngưỡng. Cán bộ chỉ được nêu bằng mã.</p>",
            vi_percent(t)
        );
    }
    for (level, title) in [("unit", "Đơn vị"), ("officer", "Cán bộ")] {
        let mut rows: Vec<&Flag> = flags
            .iter()
            .filter(|f| f.level == level && f.above == Some(true))
            .collect();
        // Worst first.
        rows.sort_by(|a, b| {
            b.dissatisfied_pct
                .partial_cmp(&a.dissatisfied_pct)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then_with(|| (&a.domain, &a.officer_id).cmp(&(&b.domain, &b.officer_id)))
        });
        let checked = flags.iter().filter(|f| f.level == level).count();
        let _ = writeln!(
            h,
            "<h3>{title}: {} vượt ngưỡng trong {} được xét</h3>",
            vi_count(rows.len() as u64),
            vi_count(checked as u64)
        );
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(
            h,
            "<table>\n<thead><tr><th>Mã đơn vị</th>{}<th>Chỉ tiêu</th><th class=\"num\">Tỷ lệ không hài lòng</th>\
             <th class=\"num\">Khoảng tin cậy</th><th class=\"num\">Số phiếu</th><th>Chắc chắn vượt</th>\
             <th>Chưa đủ chính xác</th></tr></thead>\n<tbody>",
            if level == "officer" {
                "<th>Mã cán bộ</th>"
            } else {
                "<th>Tên đơn vị</th>"
            }
        );
        for f in rows {
            let second = if level == "officer" {
                format!(
                    "<td><code>{}</code></td>",
                    escape(f.officer_id.as_deref().unwrap_or(""))
                )
            } else {
                format!("<td>{}</td>", escape(inputs.name_of(&f.domain)))
            };
            let _ = writeln!(
                h,
                "<tr class=\"{}\"><td><code>{}</code></td>{second}<td class=\"nowrap\">{}</td><td class=\"num\"><b>{}</b></td>\
                 <td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
                if f.certain == Some(true) {
                    "flag"
                } else {
                    "warn"
                },
                escape(&f.domain),
                escape(&indicator_label(&f.indicator)),
                vi_opt_pct(f.dissatisfied_pct),
                vi_interval(f.ci_lower, f.ci_upper, true),
                vi_count(f.n),
                yes_no(f.certain),
                yes_no(f.imprecise)
            );
        }
        h.push_str("</tbody></table>\n");
    }
    h.push_str("</section>\n");
}

fn timeliness_section(h: &mut String, inputs: &Inputs, rows: &[Timeliness]) {
    h.push_str(
        "<section id=\"tien-do\">\n<h2>Tiến độ giải quyết hồ sơ</h2>\n\
         <p class=\"note\">Tính từ toàn bộ hồ sơ (không phải mẫu), nên không có sai số chọn mẫu.</p>\n",
    );
    let ceiling = rows.iter().find_map(|t| t.late_ceiling_pct);
    if let Some(c) = ceiling {
        let _ = writeln!(
            h,
            "<p class=\"note\">Trần hồ sơ trễ hạn: {}.</p>",
            vi_percent(c)
        );
    }
    let mut units: Vec<&Timeliness> = rows.iter().filter(|t| t.level != "officer").collect();
    let mut above: Vec<&&Timeliness> = units
        .iter()
        .filter(|t| t.above_ceiling == Some(true))
        .collect();
    above.sort_by(|a, b| {
        b.late_pct
            .partial_cmp(&a.late_pct)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    if !above.is_empty() {
        let _ = writeln!(
            h,
            "<p><b>{} đơn vị có tỷ lệ trễ hạn vượt trần</b> (cao nhất trước): {}.</p>",
            vi_count(above.len() as u64),
            above
                .iter()
                .map(|t| format!(
                    "<code>{}</code> {}",
                    escape(&t.domain),
                    vi_opt_pct(t.late_pct)
                ))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    units.sort_by(|a, b| {
        let key = |t: &Timeliness| t.late_pct.unwrap_or(f64::INFINITY);
        key(a)
            .partial_cmp(&key(b))
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a.domain.cmp(&b.domain))
    });
    h.push_str(
        "<table>\n<thead><tr><th>Mã đơn vị</th><th>Tên đơn vị</th><th class=\"num\">Số hồ sơ</th>\
         <th class=\"num\">Trước hạn</th><th class=\"num\">Đúng hạn</th><th class=\"num\">Trễ hạn</th>\
         <th>Tỷ lệ (trước hạn / đúng hạn / trễ hạn)</th><th>Vượt trần</th></tr></thead>\n<tbody>\n",
    );
    for t in &units {
        let name = if t.domain == "ALL" {
            "Toàn tỉnh"
        } else {
            inputs.name_of(&t.domain)
        };
        let _ = writeln!(
            h,
            "<tr{}><td><code>{}</code></td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\"><b>{}</b></td><td>{}</td><td>{}</td></tr>",
            if t.above_ceiling == Some(true) {
                " class=\"flag\""
            } else {
                ""
            },
            escape(&t.domain),
            escape(name),
            vi_count(t.records),
            vi_opt_pct(t.early_pct),
            vi_opt_pct(t.on_time_pct),
            vi_opt_pct(t.late_pct),
            stacked(t),
            yes_no(t.above_ceiling)
        );
    }
    h.push_str("</tbody></table>\n");
    let officers: Vec<&Timeliness> = rows
        .iter()
        .filter(|t| t.level == "officer" && t.above_ceiling == Some(true))
        .collect();
    let total = rows.iter().filter(|t| t.level == "officer").count();
    if total > 0 {
        let _ = writeln!(
            h,
            "<h3>Cán bộ có tỷ lệ trễ hạn vượt trần: {} trong {}</h3>",
            vi_count(officers.len() as u64),
            vi_count(total as u64)
        );
        if !officers.is_empty() {
            h.push_str(
                "<table>\n<thead><tr><th>Mã đơn vị</th><th>Mã cán bộ</th><th class=\"num\">Số hồ sơ</th>\
                 <th class=\"num\">Trễ hạn</th><th class=\"num\">Tỷ lệ trễ hạn</th></tr></thead>\n<tbody>\n",
            );
            for t in officers {
                let _ = writeln!(
                    h,
                    "<tr class=\"flag\"><td><code>{}</code></td><td><code>{}</code></td><td class=\"num\">{}</td>\
                     <td class=\"num\">{}</td><td class=\"num\"><b>{}</b></td></tr>",
                    escape(&t.domain),
                    escape(t.officer_id.as_deref().unwrap_or("")),
                    vi_count(t.records),
                    vi_count(t.late),
                    vi_opt_pct(t.late_pct)
                );
            }
            h.push_str("</tbody></table>\n");
        }
    }
    h.push_str("</section>\n");
}

/// A small 100% stacked bar: early (green), on time (blue), late (red).
fn stacked(t: &Timeliness) -> String {
    if t.records == 0 {
        return "—".into();
    }
    let w = 180.0;
    let share = |k: u64| w * k as f64 / t.records as f64;
    let (e, o, l) = (share(t.early), share(t.on_time), share(t.late));
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"14\" viewBox=\"0 0 {w} 14\" role=\"img\" \
         aria-label=\"trước hạn {}, đúng hạn {}, trễ hạn {}\"><rect width=\"{w}\" height=\"14\" fill=\"#eceff1\"/>\
         <rect width=\"{e:.1}\" height=\"14\" fill=\"#2f855a\"/><rect x=\"{e:.1}\" width=\"{o:.1}\" height=\"14\" fill=\"#2563eb\"/>\
         <rect x=\"{:.1}\" width=\"{l:.1}\" height=\"14\" fill=\"#d64541\"/></svg>",
        vi_count(t.early),
        vi_count(t.on_time),
        vi_count(t.late),
        e + o
    )
}

fn par_section(h: &mut String, inputs: &Inputs, par: &Par, level: &str) {
    h.push_str("<section id=\"cchc\">\n<h2>Chỉ số cải cách hành chính (Chỉ số CCHC)</h2>\n");
    let _ = writeln!(
        h,
        "<p class=\"note\">Chỉ số = 100 × điểm đạt / điểm tối đa của các tiêu chí áp dụng cho đơn vị. \
         Phần điểm từ điều tra xã hội học có sai số chọn mẫu, nên chỉ số và hạng có khoảng tin cậy {level}. \
         Mỗi nhóm xếp hạng riêng; đường đứt nét: trung bình chỉ số của nhóm.</p>\
         <p class=\"legend\"><span style=\"background:{GREEN_BAR}\"></span>cao hơn trung bình nhóm \
         (cả khoảng tin cậy)<span style=\"background:{BLUE}\"></span>chưa khác biệt rõ với trung bình nhóm\
         <span style=\"background:{RED_BAR}\"></span>thấp hơn trung bình nhóm (cả khoảng tin cậy)</p>"
    );
    let mut groups: Vec<&str> = Vec::new();
    for u in &par.units {
        if !groups.contains(&u.unit_group.as_str()) {
            groups.push(&u.unit_group);
        }
    }
    for g in groups {
        let _ = writeln!(h, "<h3>{}</h3>", escape(&group_label(Some(g))));
        let mut units: Vec<&ParUnit> = par.units.iter().filter(|u| u.unit_group == g).collect();
        units.sort_by(|a, b| {
            (a.rank.unwrap_or(u64::MAX), &a.unit_code)
                .cmp(&(b.rank.unwrap_or(u64::MAX), &b.unit_code))
        });
        let mut by_value: Vec<&&ParUnit> = units.iter().filter(|u| u.index.is_some()).collect();
        by_value.sort_by(|a, b| {
            b.index
                .partial_cmp(&a.index)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then_with(|| a.unit_code.cmp(&b.unit_code))
        });
        // Leaders and laggards: the units whose whole interval lies above (below) the mean
        // index of their group.
        let mean = (!by_value.is_empty())
            .then(|| by_value.iter().filter_map(|u| u.index).sum::<f64>() / by_value.len() as f64);
        let standing = |u: &ParUnit| -> (&'static str, &'static str) {
            match (mean, u.ci_lower, u.ci_upper) {
                (Some(m), Some(l), _) if l > m => (GREEN_BAR, "cao hơn trung bình"),
                (Some(m), _, Some(h)) if h < m => (RED_BAR, "thấp hơn trung bình"),
                _ => (BLUE, ""),
            }
        };
        let bars: Vec<Bar> = by_value
            .iter()
            .map(|u| {
                let (colour, note) = standing(u);
                Bar {
                    label: if u.unit_name.is_empty() {
                        u.unit_code.clone()
                    } else {
                        unit_label(inputs, &u.unit_code)
                    },
                    value: u.index.unwrap_or(0.0),
                    lower: u.ci_lower,
                    upper: u.ci_upper,
                    colour,
                    note,
                }
            })
            .collect();
        if let (Some(m), Some(first), Some(last)) = (mean, by_value.first(), by_value.last()) {
            let above = by_value
                .iter()
                .filter(|u| standing(u).0 == GREEN_BAR)
                .count();
            let below = by_value.iter().filter(|u| standing(u).0 == RED_BAR).count();
            let _ = writeln!(
                h,
                "<p>Trung bình nhóm {}. Cao nhất: <b>{}</b> ({}); thấp nhất: <b>{}</b> ({}). \
                 {} đơn vị cao hơn và {} đơn vị thấp hơn trung bình nhóm một cách rõ rệt \
                 (cả khoảng tin cậy).</p>",
                vi_percent(m),
                escape(&unit_label(inputs, &first.unit_code)),
                vi_opt_pct(first.index),
                escape(&unit_label(inputs, &last.unit_code)),
                vi_opt_pct(last.index),
                vi_count(above as u64),
                vi_count(below as u64)
            );
        }
        bar_chart(
            h,
            &format!("Chỉ số CCHC: {}", group_label(Some(g))),
            &bars,
            mean.map(|m| (m, "trung bình nhóm")),
        );
        h.push_str(
            "<table>\n<thead><tr><th class=\"num\">Hạng</th><th class=\"num\">Khoảng hạng</th><th>Mã</th>\
             <th>Tên đơn vị</th><th class=\"num\">Điểm đạt</th><th class=\"num\">Điểm tối đa</th>\
             <th class=\"num\">Chỉ số</th><th class=\"num\">Khoảng tin cậy</th></tr></thead>\n<tbody>\n",
        );
        for u in units {
            let _ = writeln!(
                h,
                "<tr><td class=\"num\">{}</td><td class=\"num\">{}</td><td><code>{}</code></td><td>{}</td>\
                 <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\"><b>{}</b></td>\
                 <td class=\"num\">{}</td></tr>",
                rank_text(u.rank, u.group_size),
                rank_range(u.rank_lower, u.rank_upper),
                escape(&u.unit_code),
                escape(&u.unit_name),
                u.points.map_or("—".into(), |v| vi_number(v, 2)),
                u.max_points.map_or("—".into(), |v| vi_number(v, 2)),
                vi_opt_pct(u.index),
                vi_interval(u.ci_lower, u.ci_upper, true)
            );
        }
        h.push_str("</tbody></table>\n");
    }
    h.push_str("</section>\n");
}

fn method_section(h: &mut String, inputs: &Inputs, level: &str) {
    let ix = &inputs.indices;
    h.push_str("<section id=\"phuong-phap\">\n<h2>Phương pháp và khả năng kiểm tra lại</h2>\n<dl class=\"method\">\n");
    let mut item = |k: &str, v: String| {
        let _ = writeln!(h, "<dt>{}</dt><dd>{v}</dd>", escape(k));
    };
    item("Bộ câu hỏi", escape(&ix.questionnaire));
    item(
        "Khoảng tin cậy",
        format!(
            "{level}, phương pháp {}",
            escape(&ci_method_label(&ix.ci_method))
        ),
    );
    item("Trọng số", escape(&weights_label(&ix.weights)));
    item(
        "Ước lượng sai số",
        "tuyến tính hóa Taylor cho mẫu phân tầng, có hiệu chỉnh tổng thể hữu hạn".into(),
    );
    item(
        "Phiên bản chương trình tính chỉ số",
        format!("<code>{}</code>", escape(&ix.engine_version)),
    );
    match &inputs.sample {
        Some(s) => {
            item(
                "Hạt giống ngẫu nhiên (seed)",
                format!("<code>{}</code>", escape(&s.seed)),
            );
            item(
                "Thuật toán chọn mẫu",
                format!("<code>{}</code>", escape(&s.algorithm)),
            );
            item(
                "Mã băm mẫu (sample_digest)",
                format!("<code>{}</code>", escape(&s.sample_digest)),
            );
            item(
                "Mã băm khung mẫu (frame_digest)",
                format!("<code>{}</code>", escape(&s.frame_digest)),
            );
            if let (Some(f), Some(n)) = (s.frame_size, s.sample_size) {
                item(
                    "Khung mẫu và cỡ mẫu",
                    format!(
                        "{} người, tổ chức; chọn {} phiếu chính thức",
                        vi_count(f),
                        vi_count(n)
                    ),
                );
            }
            item(
                "Thiết kế mẫu",
                format!(
                    "{}<br><code>{}</code>",
                    escape(&design_words(&s.design)),
                    escape(&s.design.to_string())
                ),
            );
        }
        None => item(
            "Hạt giống ngẫu nhiên (seed)",
            "chưa ghi (báo cáo được lập không kèm manifest.json của mẫu)".into(),
        ),
    }
    h.push_str("</dl>\n");
    if inputs.sample.is_some() {
        h.push_str(
            "<p class=\"note\">Bất kỳ ai có dữ liệu hồ sơ đều có thể chọn lại đúng danh sách mẫu từ hạt giống \
             đã công bố và so mã băm mẫu với giá trị trên.</p>\n",
        );
    }
    h.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_vietnamese_notation() {
        assert_eq!(vi_number(0.0, 2), "0,00");
        assert_eq!(vi_number(98.8, 2), "98,80");
        assert_eq!(vi_number(100.0, 2), "100,00");
        assert_eq!(vi_number(1234567.0, 0), "1.234.567");
        assert_eq!(vi_number(123456.789, 1), "123.456,8");
        assert_eq!(vi_number(-1234.5, 2), "-1.234,50");
        assert_eq!(vi_percent(7.0 / 3.0), "2,33%");
        assert_eq!(vi_count(6116), "6.116");
        assert_eq!(vi_level(0.95), "95%");
        assert_eq!(vi_level(0.9), "90%");
        assert_eq!(vi_level(0.975), "97,5%");
        assert_eq!(vi_interval(Some(1.0), None, true), "—");
    }

    #[test]
    fn design_in_words() {
        let d: serde_json::Value = serde_json::from_str(
            r#"{"frame":{"strata":["unit_code"],"window":["2024-01-01","2024-09-30"]},
                "reserve":{"ratio":0.5},"size":{"e":0.08,"min":30,"mode":"yamane"}}"#,
        )
        .unwrap();
        assert_eq!(
            design_words(&d),
            "hồ sơ trả kết quả từ 01/01/2024 đến 30/09/2024; phân tầng theo unit_code; \
             cỡ mẫu theo công thức n = N / (1 + N·e²), e = 0,08; tối thiểu 30 mỗi tầng; \
             dự phòng 0,5 lần cỡ mẫu"
        );
    }

    #[test]
    fn bar_chart_escapes_labels_and_starts_the_axis_below_every_value() {
        let mut h = String::new();
        bar_chart(
            &mut h,
            "a <b>",
            &[Bar {
                label: "X & <Y>".into(),
                value: 95.0,
                lower: Some(93.0),
                upper: Some(97.0),
                colour: BLUE,
                note: "",
            }],
            Some((90.0, "toàn tỉnh")),
        );
        assert!(h.contains("aria-label=\"a &lt;b&gt;\""));
        assert!(h.contains(">X &amp; &lt;Y&gt;<"));
        assert!(h.contains("95,00% (khoảng tin cậy 93,00% – 97,00%)"));
        // The axis starts at 90%, below every value and the reference line.
        assert!(h.contains(">90%<") && !h.contains(">80%<"));
        assert!(h.contains("Trục ngang bắt đầu từ 90%"));
    }
}
