//! Publication reports: a workbook (`report.xlsx`) for analysts and one self-contained web page
//! (`report.html`) for the province's web site, both in Vietnamese, made from the files the
//! other commands publish.
//!
//! # Inputs
//! The report reads only published files, by column name, so that it can be re-made by anyone
//! who holds them and so that columns added later do not break it:
//! - from the `--indices` directory (`chiso index --out DIR`): `indices.csv` and `indices.json`
//!   (required), `flags.csv`, `ranks.csv` and `response_rates.csv` (used when present);
//! - from `--par DIR` (`chiso par --out DIR`): `par.csv` (required there) and `par_fields.csv`
//!   (when present). The option may be repeated, one directory per framework (departments
//!   and communes are scored on different frameworks): the results are shown together, each
//!   group ranked on its own, so a unit may appear in one directory only and a group in one
//!   run only (ranks within a group come from one `chiso par` run);
//! - from `--timeliness DIR`: `timeliness.csv` (a row whose `above_ceiling` is not what its
//!   rate and ceiling give, strictly above, is refused);
//! - from `--compare DIR` (`chiso compare --out DIR`): `comparison.csv`, whose current run
//!   must be these indices (each row's `current` the estimate of `indices.csv`);
//! - `--manifest FILE`: the sample's `manifest.json`, for the seed, the digests and the design.
//!
//! Every cell is checked once, on loading, into typed rows ([`Inputs`]); a cell that cannot be
//! used stops the report with the file, row, column, the value and the form expected. Nothing
//! is left out silently: every row of `indices.csv` appears in the workbook, and every unit in
//! the web page. The inputs are aggregates and codes; no name, telephone number or applicant
//! identifier is read, so none can be published, and columns other than the agreed ones are
//! ignored.
//!
//! # The public version
//! The default report is the internal one, with everything. [`Sources::public`] (`chiso
//! report --public`) makes the version for the web site, from the inputs as loaded, once
//! ([`Inputs::for_public`]), so that the page and the workbook follow alike: no officer's row
//! (of `flags.csv` or `timeliness.csv`) is kept, and an estimate on fewer than
//! [`PUBLIC_MIN_ANSWERS`] answers is suppressed (shown as `–` with a note in the page, an
//! empty cell in the workbook), with its ranks, flags and change. The page says which version
//! it is, and records it in its provenance (`public`), by which `chiso verify --report`
//! renders it again.
//!
//! # Numbers
//! The workbook stores numbers as numbers with full precision (a spreadsheet reads back exactly
//! the values of `indices.csv`, percentages on 0–100) and displays them with the number format
//! `0.00"%"`. A number format cannot force a decimal separator: spreadsheet programs draw the
//! `.` of a format as the reader's own separator, so a computer set to Vietnamese shows
//! `98,80%` and one set to English `98.80%`; the value underneath is the same. The web page
//! writes numbers itself, in Vietnamese notation (`98,80%`, `1.234`), whatever the reader's
//! settings. A late rate is written with as many decimals as it takes not to contradict its
//! mark: over a 2% ceiling, `2,0004%`, never `2,00%`.
//!
//! # Reading the web page
//! The page has no script and loads nothing from the network (inline CSS; bar charts in HTML
//! and CSS, so that their text stays readable on a phone). It names units, elements and items
//! by their names, the code beside, and says everything in Vietnamese. Its sections
//! ([`SECTION_IDS`]): the province's results, the units by group (bar charts sorted from best
//! to worst, the interval drawn as a whisker and the province's result as a dashed line; units
//! above the dissatisfaction threshold red, units too imprecise to rank pale; ranks with their
//! rank interval, "3/17, khoảng 2–5", because a rank estimated from a sample is uncertain; the
//! change since last year, bold only where it exceeds the sampling error, `mới` for a unit
//! new this year), the flags, the response rates, the timeliness of records (the rule, the
//! units over the ceiling by name, the others counted, officers counted only among those with
//! at least [`OFFICER_MIN_RECORDS`] records), the PAR INDEX, one card per unit (printed, each
//! on a page of its own) and the method. Tables scroll sideways within their own frame, so
//! that the page is never wider than a phone's screen.
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

mod inputs;
mod page;
mod vi;
mod workbook;

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::output::Staged;

pub use inputs::{
    Change, Flag, IndexEntry, Indices, Inputs, Par, ParField, ParUnit, Rank, ResponseRate,
    SampleInfo, Sources, Timeliness, UnitInfo,
};
pub use page::{Recorded, SECTION_IDS, escape, html, read_provenance};
pub(crate) use vi::{design_words, vi_count};
pub use vi::{vi_number, vi_percent};
pub use workbook::xlsx;

/// The measure codes of `indices.csv`.
pub const MEASURES: [&str; 3] = ["satisfied_pct", "dissatisfied_pct", "mean_score"];

/// The fewest answers on which the public version (`Sources::public`) publishes an
/// estimate: the default `min_answers` of `chiso index`, under which an estimate is already
/// marked imprecise. An estimate on fewer answers is shown as `–` with a note.
pub const PUBLIC_MIN_ANSWERS: u64 = 30;

/// The fewest classified records on which the page judges an officer's late rate against the
/// ceiling: an officer with fewer records is counted apart and not marked (a few late records
/// would make a rate of chance). The workbook lists every officer as `timeliness.csv` has it.
pub const OFFICER_MIN_RECORDS: u64 = 20;

/// The creation date written into the workbook's document properties (year, month, day): a
/// constant, so that the same inputs always give a byte-identical `report.xlsx`.
pub const WORKBOOK_DATE: (u16, u8, u8) = (2000, 1, 1);

/// The default title of the page and the workbook.
pub const DEFAULT_TITLE: &str = "Báo cáo kết quả đo lường sự hài lòng của người dân, tổ chức";

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

/// What `chiso report` needs: the published results to read and where to write.
#[derive(Clone, Debug)]
pub struct ReportRequest {
    /// The published results.
    pub sources: Sources,
    /// The output directory for `report.xlsx` and `report.html`.
    pub out: PathBuf,
}

/// What `chiso report` read and wrote.
#[derive(Clone, Debug)]
pub struct ReportOutput {
    /// The results as read and checked.
    pub inputs: Inputs,
    /// The files written.
    pub written: Vec<PathBuf>,
}

/// Reads and checks the published results, then writes the workbook and the page together.
pub fn run(req: &ReportRequest) -> Result<ReportOutput> {
    let inputs = Inputs::load(&req.sources)?;
    let written = write(&req.out, &inputs)?;
    Ok(ReportOutput { inputs, written })
}

impl ReportOutput {
    /// How many units and index rows the report shows, for standard output.
    pub fn summary(&self) -> String {
        format!(
            "{} units, {} index rows\n",
            self.inputs.indices.units().len(),
            self.inputs.indices.rows.len()
        )
    }
}
