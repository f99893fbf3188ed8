//! Completed questionnaires: one row per respondent, linked to the sample (stratum and
//! weight come from `sample.csv`) or, for a survey without a drawn sample, to stratum
//! populations (`--population`). Answers are decoded once into one byte per answer.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crate::disposition::{self, Disposition, ResponseRate};
use crate::error::{Error, Result, mask};
use crate::files::sample::{SampleDir, SampleFile};
use crate::questionnaire::{Answer, Questionnaire};
use crate::table::Table;

pub use crate::questionnaire::NO_ANSWER;

/// Where strata and populations come from.
#[derive(Clone, Debug)]
pub enum Link<'a> {
    /// A drawn sample: `DIR/sample.csv` with its manifest, whose sizes and weights are the
    /// ones used.
    Sample(&'a SampleDir),
    /// A file with columns `stratum, population`; responses carry `unit_code`.
    Population(&'a Path),
}

/// Decoded responses with their strata and domains.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ResponseData {
    /// Stratum labels.
    pub strata: Vec<String>,
    /// `N_h` per stratum.
    pub population: Vec<f64>,
    /// Each respondent's stratum.
    pub stratum_of: Vec<u32>,
    /// Unit codes (the published domains), sorted.
    pub units: Vec<String>,
    /// Each respondent's unit.
    pub unit_of: Vec<u32>,
    /// Per item (questionnaire order), per respondent: the answer or [`NO_ANSWER`].
    pub answers: Vec<Vec<u8>>,
    /// Officer ids (`officer_id` of the sample, or of the responses with `--population`),
    /// sorted; empty when no respondent has one.
    pub officers: Vec<String>,
    /// Each respondent's officer (an index into `officers`), or [`NO_OFFICER`].
    pub officer_of: Vec<u32>,
    /// Each unit's group for ranking (`unit_group`), parallel to `units`; empty when unknown.
    pub unit_groups: Vec<String>,
    /// Each unit's display name (`unit_name`), parallel to `units`; empty when unknown.
    pub unit_names: Vec<String>,
    /// Each respondent's row in the responses file (the header is row 1).
    pub rows: Vec<u64>,
    /// Each respondent's weight: `N_h / m_h` as read, or the calibrated weights of
    /// [`ResponseData::calibrated`].
    pub weight: Vec<f64>,
    /// The groups the weights were calibrated on, when they were (for the variance).
    pub calibration: Option<crate::estimate::CalibrationGroups>,
    /// The auxiliary columns asked for in [`ReadOptions::auxiliary`]: per column, each
    /// respondent's value (from the responses file, or else from `sample.csv`).
    pub auxiliary: BTreeMap<String, Vec<String>>,
    /// Answers outside the scale read as no answer, when [`ReadOptions::invalid_as_missing`]
    /// was set.
    pub invalid: Option<InvalidAnswers>,
    /// Dispositions and response rates per stratum then `ALL`, when the responses file has a
    /// `disposition` column.
    pub response_rates: Option<Vec<ResponseRate>>,
    /// The responses file's name and the SHA-256 of the bytes read.
    pub source: crate::provenance::FileDigest,
    /// For an entry workbook (`chiso entry-sheet`): the rows left out as not entered yet
    /// (neither a disposition nor an answer); `None` for any other file.
    pub not_entered: Option<u64>,
    /// Each respondent's date, when [`ReadOptions::date_column`] was given (else empty).
    pub dates: Vec<chrono::NaiveDate>,
}

/// How a responses file is read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// Read an answer that is neither on the scale nor a no-answer code as no answer (and
    /// count it) instead of refusing the file.
    pub invalid_as_missing: bool,
    /// Columns to keep for each respondent (e.g. margins for calibration): looked up in the
    /// responses file first, then in `sample.csv`.
    pub auxiliary: Vec<String>,
    /// A units file: the responses' unit column may name a unit by its name, and the units'
    /// names and groups come from it.
    pub units: Option<crate::units::Units>,
    /// The file's headers for named columns (`unit_code`, `applicant_id`, `stratum`,
    /// `disposition`) and items (by code), before the questionnaire's `[columns]`.
    pub columns: crate::ColumnMap,
    /// A CSV file's delimiter; `None`: found.
    pub delimiter: Option<crate::Delimiter>,
    /// The header's row below title rows; `None`: found (the first row holding the column
    /// that links the responses: `applicant_id` or `unit_code`).
    pub header_row: Option<u64>,
    /// A column of dates to read for every row (`index --period`): a row whose date is
    /// missing or not a date is an error.
    pub date_column: Option<String>,
}

/// Answers outside the scale that were read as no answer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InvalidAnswers {
    /// Per item (questionnaire order): how many.
    pub counts: Vec<u64>,
    /// The first few, as (item index, row, value found).
    pub first: Vec<(usize, u64, String)>,
}

impl InvalidAnswers {
    /// How many of the first invalid answers are kept for the message.
    pub const FIRST: usize = 10;

    /// The total number of invalid answers.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }
}

/// A stratum with one respondent ([`ResponseData::lonely_strata`]).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct LonelyStratum<'a> {
    /// The stratum's label.
    pub stratum: &'a str,
    /// Its population `N_h`.
    pub population: f64,
}

/// The officer index of a respondent whose record names no officer.
pub const NO_OFFICER: u32 = u32::MAX;

impl ResponseData {
    /// The number of respondents.
    pub fn len(&self) -> usize {
        self.stratum_of.len()
    }

    /// Whether there is no respondent.
    pub fn is_empty(&self) -> bool {
        self.stratum_of.is_empty()
    }

    /// Each respondent's weight: `N_h / m_h` with `m_h` the respondents of stratum `h`
    /// ([`crate::weights::stratum_weights`]), or the calibrated weights of
    /// [`ResponseData::calibrated`].
    pub fn weights(&self) -> Vec<f64> {
        self.weight.clone()
    }

    /// The strata with one respondent out of a population of more (lonely strata, whose
    /// variance follows [`crate::estimate::LonelyPsu`]), in stratum order.
    pub fn lonely_strata(&self) -> Vec<LonelyStratum<'_>> {
        let mut m = vec![0u64; self.strata.len()];
        for &h in &self.stratum_of {
            m[h as usize] += 1;
        }
        (0..self.strata.len())
            .filter(|&h| m[h] == 1 && self.population[h] > 1.0)
            .map(|h| LonelyStratum {
                stratum: &self.strata[h],
                population: self.population[h],
            })
            .collect()
    }

    /// The weights, rows and auxiliary columns a calibration works on.
    pub fn respondents(&self) -> crate::weights::Respondents<'_> {
        crate::weights::Respondents {
            weight: &self.weight,
            rows: &self.rows,
            auxiliary: &self.auxiliary,
        }
    }

    /// The respondents `chosen` (indices, in order) as responses of their own, as if the
    /// file held only their rows: their strata in order of first appearance, their units
    /// sorted, weights `N_h / m_h` with `m_h` the chosen respondents of stratum `h` (the
    /// populations unchanged). Response rates, calibration and invalid answers are left out
    /// (they describe the whole file).
    pub fn subset(&self, chosen: &[usize]) -> ResponseData {
        let mut stratum_place = vec![u32::MAX; self.strata.len()];
        let (mut strata, mut population) = (Vec::new(), Vec::new());
        let stratum_of: Vec<u32> = chosen
            .iter()
            .map(|&i| {
                let h = self.stratum_of[i] as usize;
                if stratum_place[h] == u32::MAX {
                    stratum_place[h] = strata.len() as u32;
                    strata.push(self.strata[h].clone());
                    population.push(self.population[h]);
                }
                stratum_place[h]
            })
            .collect();
        let mut present = vec![false; self.units.len()];
        for &i in chosen {
            present[self.unit_of[i] as usize] = true;
        }
        let mut unit_place = vec![u32::MAX; self.units.len()];
        let mut kept = 0u32;
        for (u, p) in present.iter().enumerate() {
            if *p {
                unit_place[u] = kept;
                kept += 1;
            }
        }
        let keep = |v: &[String]| -> Vec<String> {
            v.iter()
                .enumerate()
                .filter(|&(u, _)| present.get(u) == Some(&true))
                .map(|(_, x)| x.clone())
                .collect()
        };
        let pick =
            |v: &[u64]| -> Vec<u64> { chosen.iter().filter_map(|&i| v.get(i).copied()).collect() };
        ResponseData {
            weight: crate::weights::stratum_weights(&stratum_of, &population),
            strata,
            population,
            stratum_of,
            units: keep(&self.units),
            unit_of: chosen
                .iter()
                .map(|&i| unit_place[self.unit_of[i] as usize])
                .collect(),
            answers: self
                .answers
                .iter()
                .map(|a| chosen.iter().map(|&i| a[i]).collect())
                .collect(),
            officers: self.officers.clone(),
            officer_of: chosen
                .iter()
                .filter_map(|&i| self.officer_of.get(i).copied())
                .collect(),
            unit_groups: keep(&self.unit_groups),
            unit_names: keep(&self.unit_names),
            rows: pick(&self.rows),
            calibration: None,
            auxiliary: self
                .auxiliary
                .iter()
                .map(|(k, v)| (k.clone(), chosen.iter().map(|&i| v[i].clone()).collect()))
                .collect(),
            invalid: None,
            response_rates: None,
            source: self.source.clone(),
            not_entered: self.not_entered,
            dates: chosen
                .iter()
                .filter_map(|&i| self.dates.get(i).copied())
                .collect(),
        }
    }

    /// The same responses with the weights of a calibration
    /// ([`crate::weights::calibrate`]), whose groups the standard errors then account for.
    pub fn calibrated(self, calibration: crate::weights::Calibrated) -> ResponseData {
        ResponseData {
            weight: calibration.weight,
            calibration: Some(calibration.groups),
            ..self
        }
    }
}

/// Codes numbered in order of first appearance, renumbered in sorted order at the end.
#[derive(Default)]
struct Interner {
    index: HashMap<String, u32>,
    names: Vec<String>,
}

impl Interner {
    fn id(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let i = self.names.len() as u32;
        self.names.push(name.to_string());
        self.index.insert(name.to_string(), i);
        i
    }

    /// The names sorted, and each first-appearance number's place among them.
    fn sorted(self) -> (Vec<String>, Vec<u32>) {
        let mut order: Vec<u32> = (0..self.names.len() as u32).collect();
        order.sort_by(|&a, &b| self.names[a as usize].cmp(&self.names[b as usize]));
        let mut rank = vec![0u32; order.len()];
        for (r, &i) in order.iter().enumerate() {
            rank[i as usize] = r as u32;
        }
        let mut names = self.names;
        let sorted = order
            .iter()
            .map(|&i| std::mem::take(&mut names[i as usize]))
            .collect();
        (sorted, rank)
    }
}

struct SampleEntry {
    stratum: String,
    /// The stratum's number in [`LinkStrata`].
    stratum_id: u32,
    unit: String,
    frame_size: f64,
    officer: String,
    official: bool,
    auxiliary: Vec<String>,
}

/// The strata of the sample or of the population file, numbered in the order first listed,
/// each with its dispositions counted (every stratum, so that one nobody answered in still
/// shows in the response rates).
#[derive(Default)]
struct LinkStrata {
    id: HashMap<String, u32>,
    rates: Vec<ResponseRate>,
}

impl LinkStrata {
    /// The number of the stratum labelled `label`, listed now if it is new.
    fn id(&mut self, label: &str) -> u32 {
        if let Some(&i) = self.id.get(label) {
            return i;
        }
        let i = self.rates.len() as u32;
        self.rates.push(ResponseRate::new(label));
        self.id.insert(label.to_string(), i);
        i
    }

    /// The response rates in the order of the strata's labels.
    fn by_label(mut self) -> Vec<ResponseRate> {
        self.rates.sort_by(|a, b| a.stratum.cmp(&b.stratum));
        self.rates
    }
}

/// What the parsing threads work out of a row that is not blank before the row is checked in
/// order ([`read_with`]): every answer read against the scale, and with `--population` (units
/// by code) the number of the unit in the population file.
struct Prepared {
    answers: PreparedAnswers,
    population: Option<u32>,
}

/// A row's answers as read: for up to [`PreparedAnswers::INLINE`] items in place (no
/// allocation per row), each as its byte ([`NO_ANSWER`] for none) with a bit for an answer
/// that is not one; for more items, in a vector.
enum PreparedAnswers {
    /// Up to [`PreparedAnswers::INLINE`] items.
    Inline { codes: [u8; 32], invalid: u32 },
    /// More items.
    Spilled(Vec<Option<Answer>>),
}

impl PreparedAnswers {
    const INLINE: usize = 32;

    fn read<'c>(
        scale: &crate::questionnaire::Scale,
        cells: impl ExactSizeIterator<Item = &'c str>,
    ) -> Self {
        if cells.len() > Self::INLINE {
            return PreparedAnswers::Spilled(cells.map(|v| scale.read(v)).collect());
        }
        let (mut codes, mut invalid) = ([NO_ANSWER; 32], 0u32);
        for (k, v) in cells.enumerate() {
            match scale.read(v) {
                Some(Answer::Valid(x)) => codes[k] = x,
                Some(Answer::Missing) => {}
                None => invalid |= 1 << k,
            }
        }
        PreparedAnswers::Inline { codes, invalid }
    }

    /// Item `k`'s answer, as [`crate::questionnaire::Scale::read`] read it.
    fn get(&self, k: usize) -> Option<Answer> {
        match self {
            PreparedAnswers::Inline { codes, invalid } => {
                if invalid & (1 << k) != 0 {
                    None
                } else if codes[k] == NO_ANSWER {
                    Some(Answer::Missing)
                } else {
                    Some(Answer::Valid(codes[k]))
                }
            }
            PreparedAnswers::Spilled(v) => v[k],
        }
    }
}

/// The columns of a table of `width` bytes a row, stored row after row.
fn columns_of(by_row: &[u8], width: usize) -> Vec<Vec<u8>> {
    if width == 0 {
        return Vec::new();
    }
    let rows = by_row.len() / width;
    let mut columns: Vec<Vec<u8>> = (0..width).map(|_| Vec::with_capacity(rows)).collect();
    // A block of rows at a time, which stays in the cache while each column takes its part;
    // the columns `from..` of `part`.
    let fill = |from: usize, part: &mut [Vec<u8>]| {
        for block in by_row.chunks(width * 4096) {
            for (k, column) in part.iter_mut().enumerate() {
                column.extend(block.iter().skip(from + k).step_by(width));
            }
        }
    };
    let threads = crate::index::default_threads().min(width);
    if threads <= 1 || rows < 1 << 16 {
        fill(0, &mut columns);
        return columns;
    }
    // On each thread, its share of the columns.
    std::thread::scope(|scope| {
        let per = width.div_ceil(threads);
        for (t, part) in columns.chunks_mut(per).enumerate() {
            let fill = &fill;
            scope.spawn(move || fill(t * per, part));
        }
    });
    columns
}

/// A unit's group and name, as the sample or population file gives them: the first non-empty
/// value of each; a different non-empty value for the same unit is an error, since a unit
/// cannot be ranked in two groups.
#[derive(Default)]
struct UnitInfo {
    group: String,
    name: String,
}

/// Records a unit's group and name (`[unit_group, unit_name]` of row `row`, empty when not
/// given), refusing a second, different value.
fn unit_info(
    info: &mut BTreeMap<String, UnitInfo>,
    file: &str,
    row: u64,
    unit: &str,
    values: [&str; 2],
) -> Result<()> {
    let entry = info.entry(unit.to_string()).or_default();
    for (v, (slot, label)) in values.into_iter().zip([
        (&mut entry.group, "unit_group"),
        (&mut entry.name, "unit_name"),
    ]) {
        if v.is_empty() {
            continue;
        }
        if slot.is_empty() {
            *slot = v.to_string();
        } else if slot != v {
            return Err(Error::cell(
                file,
                row,
                label,
                v,
                format!("unit {unit} already has {label} {slot:?}: one value per unit expected"),
            ));
        }
    }
    Ok(())
}

/// The header given for the named column `name` (`unit_code`, `applicant_id`, `stratum`,
/// `disposition`): by `--columns` (`map`), else by the questionnaire's `[columns]`.
fn given_header<'a>(
    map: &'a crate::ColumnMap,
    q: &'a Questionnaire,
    name: &'a str,
) -> Option<&'a str> {
    let mapped = map.header(name);
    if mapped != name {
        return Some(mapped);
    }
    q.columns().header(name)
}

/// The column of the named column `name`: the header given for it ([`given_header`]), or
/// else its own name.
fn named_column(
    table: &Table,
    map: &crate::ColumnMap,
    q: &Questionnaire,
    name: &str,
) -> Option<usize> {
    given_header(map, q, name)
        .and_then(|h| table.column(h))
        .or_else(|| table.column(name))
}

/// Refuses a `--columns` name that is neither a named column of the responses nor an item
/// code, and a header the file does not have.
fn check_columns(map: &crate::ColumnMap, table: &Table, q: &Questionnaire) -> Result<()> {
    const NAMED: [&str; 5] = [
        "unit_code",
        "applicant_id",
        "stratum",
        "disposition",
        "officer_id",
    ];
    for (name, header) in map.pairs() {
        if !NAMED.contains(&name) && !q.items.iter().any(|i| i == name) {
            return Err(Error::setting(
                "columns",
                format!("{name}={header}"),
                format!(
                    "`{name}` is not a column of the responses: expected one of {} or an item \
                     code of the questionnaire",
                    NAMED.join(", ")
                ),
            ));
        }
        if table.column(header).is_none() {
            return Err(Error::setting(
                "columns",
                format!("{name}={header}"),
                format!("{} has no column `{header}` in its header", table.name()),
            ));
        }
    }
    Ok(())
}

/// Each item's column: the one headed by its code, or else by its text (`[items]`), both
/// compared after [`crate::text::fold`]. An item with neither is an error naming the codes
/// missing and the header found.
fn item_columns(table: &Table, map: &crate::ColumnMap, q: &Questionnaire) -> Result<Vec<usize>> {
    let found: Vec<Option<usize>> = (0..q.items.len())
        .map(|k| {
            table
                .column(map.header(&q.items[k]))
                .or_else(|| q.item_text(k).and_then(|t| table.column(t)))
        })
        .collect();
    if found.iter().any(Option::is_none) {
        // Each missing item by its code, and its text when it has one: `Q01` or `Câu 1. …`.
        let missing: Vec<String> = (0..q.items.len())
            .filter(|&k| found[k].is_none())
            .map(|k| match q.item_text(k) {
                Some(t) => format!("{}` or `{t}", q.items[k]),
                None => q.items[k].clone(),
            })
            .collect();
        return Err(crate::error::ErrorKind::MissingColumns {
            file: table.name().to_string(),
            missing,
            found: table.headers().to_vec(),
        }
        .into());
    }
    Ok(found.into_iter().flatten().collect())
}

/// What to add to the message of an answer that is not one, when it is a text and the
/// questionnaire has no labels to read it by.
fn text_hint(q: &Questionnaire, value: &str) -> &'static str {
    if !q.scale.has_labels() && value.trim().parse::<f64>().is_err() {
        "; the answer is a text and the questionnaire has no [scale] labels to read answers \
         given as labels by"
    } else {
        ""
    }
}

/// Reads the responses file, checks every answer against the questionnaire's scale and
/// links every respondent to a stratum (with the default [`ReadOptions`]).
pub fn read(
    path: &Path,
    sheet: Option<&str>,
    q: &Questionnaire,
    link: &Link<'_>,
) -> Result<ResponseData> {
    read_with(path, sheet, q, link, &ReadOptions::default())
}

/// Reads the responses file as [`read`] does, with options: invalid answers read as no
/// answer, auxiliary columns kept. A `disposition` column, when present, says which rows are
/// respondents ([`crate::disposition`]); the others must carry no answer.
pub fn read_with(
    path: &Path,
    sheet: Option<&str>,
    q: &Questionnaire,
    link: &Link<'_>,
    options: &ReadOptions,
) -> Result<ResponseData> {
    let map = &options.columns;
    let key_name = match link {
        Link::Sample(_) => "applicant_id",
        Link::Population(_) => "unit_code",
    };
    let file_layout = crate::Layout {
        sheet: sheet.map(String::from),
        delimiter: options.delimiter,
        header_row: options.header_row,
    };
    // The header is the row that holds the column linking the responses.
    let wanted = [given_header(map, q, key_name).unwrap_or(key_name)];
    let mut table = Table::open_layout(path, &file_layout, &wanted, true)?;
    check_columns(map, &table, q)?;
    let file = table.name().to_string();
    let item_cols = item_columns(&table, map, q)?;
    // What messages call each item's column: its code, with the header when that differs.
    let item_label: Vec<String> = q
        .items
        .iter()
        .zip(&item_cols)
        .map(|(code, &c)| {
            let header = &table.headers()[c];
            if crate::text::same(header, code) {
                code.clone()
            } else {
                format!("{code} ({header})")
            }
        })
        .collect();
    let label_of = |name: &'static str| given_header(map, q, name).unwrap_or(name).to_string();
    let disposition_col = named_column(&table, map, q, "disposition");
    let disposition_label = label_of("disposition");
    // Each respondent's answers in item order (one code each, or `NO_ANSWER`), turned into a
    // column per item at the end.
    let mut by_row: Vec<u8> = Vec::new();
    let mut stratum_names: Vec<String> = Vec::new();
    let mut population: Vec<f64> = Vec::new();
    let mut stratum_of = Vec::new();
    let mut unit_names: Vec<String> = Vec::new();
    let mut rows = Vec::new();
    // Room for the rows at once: a large file's columns are not copied as they grow.
    let hint = table.rows_hint();
    by_row.reserve(hint.saturating_mul(q.items.len()));
    stratum_of.reserve(hint);
    rows.reserve(hint);
    let mut invalid = InvalidAnswers {
        counts: vec![0; q.items.len()],
        first: Vec::new(),
    };
    let mut link_strata = LinkStrata::default();

    // Auxiliary columns: from the responses file, or else from the sample.
    let aux_in_responses: Vec<Option<usize>> =
        options.auxiliary.iter().map(|a| table.column(a)).collect();
    let mut aux_in_sample: Vec<Option<usize>> = vec![None; options.auxiliary.len()];

    // The sample, or the populations.
    let mut by_applicant: HashMap<String, Vec<SampleEntry>> = HashMap::new();
    // The population file's strata (in NFC, as the responses' unit codes are compared), in
    // its order: the number of each is its number in `link_strata`.
    // Looked up for every row (on the parsing threads): a fast hash of the user's own labels.
    let mut populations: rustc_hash::FxHashMap<String, u32> = Default::default();
    let mut population_list: Vec<(String, f64)> = Vec::new();
    let mut info: BTreeMap<String, UnitInfo> = BTreeMap::new();
    let mut sample_name = String::new();
    if let Some(units) = &options.units {
        for u in &units.units {
            let values = [u.group.as_str(), u.name.as_str()];
            unit_info(&mut info, &units.source.file, u.row, &u.code, values)?;
        }
    }
    match link {
        Link::Sample(dir) => {
            let p = &dir.csv;
            let s = SampleFile::open(p, &["stratum", "applicant_id", "unit_code", "frame_size"])?;
            let sname = s.name().to_string();
            let has_role = s.column("role").is_some();
            if disposition_col.is_some() && !has_role {
                // Without roles the officials with no row cannot be counted.
                SampleFile::open(p, &["role"])?;
            }
            for (k, a) in options.auxiliary.iter().enumerate() {
                if aux_in_responses[k].is_none() {
                    aux_in_sample[k] = s.column(a);
                }
            }
            s.rows(|r| {
                let unit = r.text("unit_code");
                let values = [r.text("unit_group"), r.text("unit_name")];
                unit_info(&mut info, &sname, r.number(), unit, values)?;
                let n = dir.stratum_of(r)?.frame_size as f64;
                let stratum = r.text("stratum").to_string();
                let stratum_id = link_strata.id(&stratum);
                by_applicant
                    .entry(r.text("applicant_id").to_string())
                    .or_default()
                    .push(SampleEntry {
                        stratum,
                        stratum_id,
                        unit: unit.to_string(),
                        frame_size: n,
                        officer: r.text("officer_id").to_string(),
                        official: has_role && r.text("role") == "official",
                        auxiliary: aux_in_sample
                            .iter()
                            .map(|c| c.map(|c| r.get(c).to_string()).unwrap_or_default())
                            .collect(),
                    });
                Ok(())
            })?;
            sample_name = sname;
        }
        Link::Population(p) => {
            let mut s = Table::open(p, None)?;
            let c = s.require(&["stratum", "population"])?;
            let sname = s.name().to_string();
            let info_cols = [s.column("unit_group"), s.column("unit_name")];
            while let Some(r) = s.next_row()? {
                if r.is_blank() {
                    continue;
                }
                let values = info_cols.map(|c| c.map_or("", |c| r.get(c)));
                unit_info(&mut info, &sname, r.number(), r.get(c[0]), values)?;
                let n: u64 = r.get(c[1]).parse().map_err(|_| {
                    Error::cell(
                        &sname,
                        r.number(),
                        "population",
                        r.get(c[1]),
                        "expected a whole number ≥ 1",
                    )
                })?;
                if n == 0 {
                    return Err(Error::cell(
                        &sname,
                        r.number(),
                        "population",
                        r.get(c[1]),
                        "expected a whole number ≥ 1",
                    ));
                }
                let stratum = crate::text::nfc(r.get(c[0])).into_owned();
                if populations.contains_key(&stratum) {
                    return Err(Error::cell(
                        &sname,
                        r.number(),
                        "stratum",
                        r.get(c[0]),
                        "this stratum is listed twice",
                    ));
                }
                let id = link_strata.id(&stratum);
                debug_assert_eq!(id as usize, population_list.len());
                populations.insert(stratum.clone(), id);
                population_list.push((stratum, n as f64));
            }
        }
    }
    let missing_aux: Vec<&String> = options
        .auxiliary
        .iter()
        .enumerate()
        .filter(|&(k, _)| aux_in_responses[k].is_none() && aux_in_sample[k].is_none())
        .map(|(_, a)| a)
        .collect();
    if let Some(a) = missing_aux.first() {
        let where_ = if sample_name.is_empty() {
            format!("a column of {file}")
        } else {
            format!("a column of {file} or of {sample_name}")
        };
        return Err(Error::calibration(format!(
            "the margin variable `{a}` is not {where_}; the responses' header has: {}",
            table.headers().join(", ")
        )));
    }
    let mut auxiliary: Vec<Vec<String>> = vec![Vec::new(); options.auxiliary.len()];

    let key_label = label_of(key_name);
    let key_col = match named_column(&table, map, q, key_name) {
        Some(c) => c,
        None => table.require(&[key_label.as_str()])?[0],
    };
    let stratum_col = named_column(&table, map, q, "stratum");
    // With --population, the officer comes from the responses themselves.
    let response_officer_col = match link {
        Link::Sample(_) => None,
        Link::Population(_) => named_column(&table, map, q, "officer_id"),
    };
    let mut officer_of_rows: Vec<u32> = Vec::with_capacity(hint);
    let mut officer_names = Interner::default();
    let mut seen: HashMap<(String, String), String> = HashMap::new();
    let mut units_of_rows: Vec<u32> = Vec::with_capacity(hint);
    let date_col = match &options.date_column {
        None => None,
        Some(name) => Some(match table.column(name) {
            Some(c) => c,
            None => table.require(&[name.as_str()])?[0],
        }),
    };
    let date_label = date_col
        .map(|c| table.headers()[c].clone())
        .unwrap_or_default();
    let mut dates: Vec<chrono::NaiveDate> = Vec::new();
    let mut unit_codes = Interner::default();
    // Each unit's number in `unit_codes`, by its number in the population file.
    let mut population_unit: Vec<u32> = vec![u32::MAX; population_list.len()];
    // Each stratum's number among the respondents' strata, by its number in `link_strata`.
    let mut stratum_place: Vec<u32> = Vec::new();
    // On the parsing threads: the answers read, and the unit found in the population file.
    let scale = &q.scale;
    let item_columns = &item_cols;
    let population_col = match (link, &options.units) {
        (Link::Population(_), None) => Some(key_col),
        _ => None,
    };
    let population_index = &populations;
    let prepare = move |row: &crate::table::Row<'_>| {
        if row.is_blank() {
            return None;
        }
        Some(Prepared {
            answers: PreparedAnswers::read(scale, item_columns.iter().map(|&c| row.get(c))),
            population: population_col
                .and_then(|c| population_index.get(crate::text::nfc(row.get(c)).as_ref()))
                .copied(),
        })
    };
    table.for_each_row_split(prepare, |row, prepared| {
        let Some(prepared) = prepared else {
            // A blank row.
            return Ok(());
        };
        // The applicant, with a sample; empty with a population file, whose unit's cell is
        // read only where it is needed (the usual row's unit was found on the parsing thread).
        let key = match link {
            Link::Sample(_) => {
                let key = row.get(key_col);
                if !by_applicant.contains_key(key)
                    && by_applicant.contains_key(crate::output::restore(key))
                {
                    // An identifier copied from sample.csv as it is written there: `'=…` for
                    // `=…`.
                    crate::output::restore(key)
                } else {
                    key
                }
            }
            Link::Population(_) => "",
        };
        let date = match date_col {
            None => None,
            Some(c) => {
                let v = row.get(c);
                match crate::records::parse_date(v) {
                    Some(d) => Some(d),
                    None => {
                        let what = if v.is_empty() {
                            "no date"
                        } else {
                            "not a date"
                        };
                        return Err(Error::cell(
                            &row.file(&file),
                            row.number(),
                            &date_label,
                            v,
                            format!(
                                "{what}: every row needs its date to be given a period; \
                                 expected {}",
                                crate::period::DATE_FORMS
                            ),
                        ));
                    }
                }
            }
        };
        let disposition = match disposition_col {
            None => Disposition::Complete,
            Some(c) => Disposition::read_in(
                &row.file(&file),
                row.number(),
                &disposition_label,
                row.get(c),
            )?,
        };
        // The stratum (its number in `link_strata`), the unit (its code, and its number in
        // the population file), `N_h`, the officer and the auxiliary values from the sample.
        let (stratum, (unit, unit_in_population), big_n, officer, entry_aux) = match link {
            Link::Sample(_) => {
                let entries = by_applicant.get(key).map(Vec::as_slice).unwrap_or(&[]);
                // The sample's strata are in NFC (records' stratum values are).
                let wanted_nfc = stratum_col
                    .map(|c| crate::text::nfc(row.get(c)))
                    .filter(|s| !s.is_empty());
                let wanted = wanted_nfc.as_deref().map(|w| {
                    if entries.iter().any(|e| e.stratum == w) {
                        w
                    } else {
                        crate::output::restore(w)
                    }
                });
                let chosen: Vec<&SampleEntry> = entries
                    .iter()
                    .filter(|e| wanted.is_none_or(|w| w == e.stratum))
                    .collect();
                match chosen.as_slice() {
                    [e] => (
                        e.stratum_id,
                        (e.unit.as_str(), None),
                        e.frame_size,
                        e.officer.as_str(),
                        e.auxiliary.as_slice(),
                    ),
                    [] => {
                        let mut reason =
                            "this applicant is not in the sample (official or reserve list)"
                                .to_string();
                        // An identifier a spreadsheet changed is said to be one, not matched.
                        let ids = by_applicant.keys().map(String::as_str);
                        if let Some(why) = crate::files::sample::stripped_zeros(key, ids) {
                            reason = format!("{reason}: {why}");
                        }
                        return Err(Error::cell(
                            &row.file(&file),
                            row.number(),
                            &key_label,
                            &mask(key),
                            reason,
                        ));
                    }
                    _ => {
                        return Err(Error::cell(
                            &row.file(&file),
                            row.number(),
                            &key_label,
                            &mask(key),
                            "this applicant is in several strata of the sample: add a `stratum` column saying which",
                        ));
                    }
                }
            }
            Link::Population(_) => match match &options.units {
                // A unit named by its name, as online forms have it.
                Some(units) => populations
                    .get(units.code_of(
                        &row.file(&file),
                        row.number(),
                        &key_label,
                        row.get(key_col),
                    )?)
                    .copied(),
                // In NFC, as the population file's strata are: found on the parsing thread.
                None => prepared.population,
            } {
                Some(p) => {
                    let (code, n) = &population_list[p as usize];
                    (
                        p,
                        (code.as_str(), Some(p)),
                        *n,
                        response_officer_col.map_or("", |o| row.get(o)),
                        &[][..],
                    )
                }
                None => {
                    return Err(Error::cell(
                        &row.file(&file),
                        row.number(),
                        &key_label,
                        row.get(key_col),
                        "this unit is not in the population file",
                    ));
                }
            },
        };
        let stratum_label = &link_strata.rates[stratum as usize].stratum;
        if let Link::Sample(_) = link
            && let Some(first) = seen.insert(
                (stratum_label.clone(), key.to_string()),
                match row.sheet() {
                    Some(sheet) => format!("{} of sheet {sheet:?}", row.number()),
                    None => row.number().to_string(),
                },
            )
        {
            return Err(Error::cell(
                &row.file(&file),
                row.number(),
                &key_label,
                &mask(key),
                format!("this applicant already answered on row {first}"),
            ));
        }
        link_strata.rates[stratum as usize].add(disposition);
        if !disposition.is_respondent() {
            // A refusal, non-contact or ineligible case: no answer may be recorded.
            for (k, &c) in item_cols.iter().enumerate() {
                let v = row.get(c);
                if prepared.answers.get(k) != Some(Answer::Missing) {
                    return Err(Error::cell(
                        &row.file(&file),
                        row.number(),
                        &item_label[k],
                        v,
                        format!(
                            "a `{}` row carries no answers: leave the item cells empty (or a \
                             no-answer code), or mark the row complete or partial",
                            disposition.as_str()
                        ),
                    ));
                }
            }
            return Ok(());
        }
        if let PreparedAnswers::Inline { codes, invalid: 0 } = &prepared.answers {
            // Every answer read (the usual row): its codes at once.
            by_row.extend_from_slice(&codes[..item_cols.len()]);
        } else {
            for (k, &c) in item_cols.iter().enumerate() {
                let a = match prepared.answers.get(k) {
                    Some(a) => a,
                    None if options.invalid_as_missing => {
                        let v = row.get(c);
                        invalid.counts[k] += 1;
                        if invalid.first.len() < InvalidAnswers::FIRST {
                            invalid.first.push((k, row.number(), v.to_string()));
                        }
                        Answer::Missing
                    }
                    None => {
                        let v = row.get(c);
                        return Err(Error::cell(
                            &row.file(&file),
                            row.number(),
                            &item_label[k],
                            v,
                            format!(
                                "not an answer: expected {}{}",
                                q.scale.expected(),
                                text_hint(q, v)
                            ),
                        ));
                    }
                };
                by_row.push(match a {
                    Answer::Valid(x) => x,
                    Answer::Missing => NO_ANSWER,
                });
            }
        }
        for (k, values) in auxiliary.iter_mut().enumerate() {
            values.push(match aux_in_responses[k] {
                Some(c) => row.get(c).to_string(),
                None => entry_aux[k].clone(),
            });
        }
        if stratum_place.len() <= stratum as usize {
            stratum_place.resize(link_strata.rates.len(), u32::MAX);
        }
        let h = &mut stratum_place[stratum as usize];
        if *h == u32::MAX {
            *h = stratum_names.len() as u32;
            stratum_names.push(link_strata.rates[stratum as usize].stratum.clone());
            population.push(big_n);
        }
        stratum_of.push(*h);
        // A unit is listed once it has a respondent.
        units_of_rows.push(match unit_in_population {
            Some(p) => {
                let id = &mut population_unit[p as usize];
                if *id == u32::MAX {
                    *id = unit_codes.id(unit);
                }
                *id
            }
            None => unit_codes.id(unit),
        });
        officer_of_rows.push(if officer.is_empty() {
            NO_OFFICER
        } else {
            officer_names.id(officer)
        });
        rows.push(row.number());
        dates.extend(date);
        Ok(())
    })?;
    let answers = columns_of(&by_row, q.items.len());
    drop(by_row);
    // Officials with no row: unknown outcome (AAPOR UH).
    for (applicant, entries) in &by_applicant {
        for e in entries.iter().filter(|e| e.official) {
            if !seen.contains_key(&(e.stratum.clone(), applicant.clone())) {
                link_strata.rates[e.stratum_id as usize].unknown += 1;
            }
        }
    }
    let (sorted_units, unit_rank) = unit_codes.sorted();
    unit_names.extend(sorted_units);
    let unit_of = units_of_rows
        .iter()
        .map(|&u| unit_rank[u as usize])
        .collect();
    let (officers, officer_rank) = officer_names.sorted();
    let officer_of = officer_of_rows
        .iter()
        .map(|&o| {
            if o == NO_OFFICER {
                NO_OFFICER
            } else {
                officer_rank[o as usize]
            }
        })
        .collect();
    let (unit_groups, unit_display) = unit_names
        .iter()
        .map(|u| {
            info.get(u)
                .map(|i| (i.group.clone(), i.name.clone()))
                .unwrap_or_default()
        })
        .unzip();
    let weight = crate::weights::stratum_weights(&stratum_of, &population);
    let sha256 = match table.sha256() {
        Some(h) => h,
        None => crate::table::file_sha256(path)?,
    };
    Ok(ResponseData {
        source: crate::provenance::FileDigest::new(path, sha256),
        not_entered: table.not_entered(),
        dates,
        strata: stratum_names,
        population,
        stratum_of,
        units: unit_names,
        unit_of,
        answers,
        officers,
        officer_of,
        unit_groups,
        unit_names: unit_display,
        rows,
        weight,
        calibration: None,
        auxiliary: options.auxiliary.iter().cloned().zip(auxiliary).collect(),
        invalid: options.invalid_as_missing.then_some(invalid),
        response_rates: disposition_col.map(|_| disposition::with_total(link_strata.by_label())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_columns_of_rows_are_each_items_answers_in_row_order() {
        // 70,000 rows: the columns are shared between threads.
        for (width, rows) in [
            (1usize, 3usize),
            (3, 10_000),
            (22, 4_097),
            (40, 0),
            (7, 70_000),
        ] {
            let by_row: Vec<u8> = (0..width * rows).map(|i| (i * 7 % 251) as u8).collect();
            let columns = columns_of(&by_row, width);
            assert_eq!(columns.len(), width);
            for (k, column) in columns.iter().enumerate() {
                let want: Vec<u8> = (0..rows).map(|r| by_row[r * width + k]).collect();
                assert_eq!(column, &want, "item {k} of {width}");
            }
        }
        assert!(columns_of(&[], 0).is_empty());
    }
}
