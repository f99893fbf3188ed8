//! The inputs of a PAR run besides the framework: the units' self-assessed and appraised
//! scores, checked row by row against the framework, and the survey's `indices.csv`.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::Serialize;

use super::POINTS_TOLERANCE;
use super::framework::{Criterion, Framework, Source};
use crate::error::{Error, ErrorKind, Result};
use crate::records::ColumnMap;
use crate::table::{self, Table, text};

// ---------------------------------------------------------------------------------------------
// Scores.

/// One self-assessed score of a unit.
#[derive(Clone, Debug, PartialEq)]
pub struct Score {
    /// The unit's own score (may be absent when the appraised one is given).
    pub self_score: Option<f64>,
    /// The appraisal council's score, which takes precedence.
    pub appraised_score: Option<f64>,
    /// The note of the row (may be empty).
    pub note: String,
    /// The row it was read from.
    pub row: u64,
}

impl Score {
    /// The points: the appraised score if there is one, else the self-assessed one.
    pub fn points(&self) -> f64 {
        self.appraised_score.or(self.self_score).unwrap_or(0.0)
    }
}

/// A unit and its self-assessed scores.
#[derive(Clone, Debug, PartialEq)]
pub struct ScoredUnit {
    /// Its code.
    pub code: String,
    /// Its name (empty without a `unit_name` column).
    pub name: String,
    /// Its group (empty without a `unit_group` column: then all units form one group).
    pub group: String,
    /// Per scored item of the framework: its score, for applicable self-assessed items.
    pub scores: Vec<Option<Score>>,
    /// The first row that names the unit.
    pub first_row: u64,
}

/// The scores file, checked against the framework.
#[derive(Clone, Debug, PartialEq)]
pub struct Scores {
    /// The file (for messages).
    pub file: String,
    /// The units in order of first appearance.
    pub units: Vec<ScoredUnit>,
    /// The layout it was read in.
    pub layout: Layout,
    /// SHA-256 of the file.
    pub sha256: String,
}

/// How a scores file is laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// One row per unit and self-assessed scored item: `unit_code, criterion, self_score,
    /// appraised_score`, optionally `unit_name, unit_group, note`.
    Long,
    /// One row per unit (`unit_code`, optionally `unit_name, unit_group`) and one column per
    /// self-assessed scored item, headed by its code or its name, holding the unit's
    /// self-assessed score.
    Wide,
}

impl Layout {
    /// `long` or `wide`.
    pub fn parse(text: &str) -> Result<Layout> {
        match text {
            "long" => Ok(Layout::Long),
            "wide" => Ok(Layout::Wide),
            _ => Err(Error::setting(
                "layout",
                text,
                "expected long (one row per unit and criterion) or wide (one row per unit, one \
                 column per criterion)",
            )),
        }
    }

    /// Its name, as [`Layout::parse`] reads it.
    pub fn as_str(self) -> &'static str {
        match self {
            Layout::Long => "long",
            Layout::Wide => "wide",
        }
    }
}

/// The columns of a scores file that a [`ColumnMap`] may give another header: the long
/// layout's, of which the wide layout reads `unit_code`, `unit_name` and `unit_group`.
pub const SCORES_COLUMNS: [&str; 7] = [
    "unit_code",
    "criterion",
    "self_score",
    "appraised_score",
    "unit_name",
    "unit_group",
    "note",
];

/// The columns of the long layout that the wide layout does not read.
const LONG_ONLY: [&str; 4] = ["criterion", "self_score", "appraised_score", "note"];

/// How to read a scores file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReadOptions {
    /// Its layout; `None`: found from the header.
    pub layout: Option<Layout>,
    /// The file's headers for the columns of [`SCORES_COLUMNS`] it names otherwise.
    pub columns: ColumnMap,
    /// A CSV file's delimiter; `None`: found.
    pub delimiter: Option<crate::Delimiter>,
    /// The header's row, below title rows; `None`: found (the first row holding the
    /// `unit_code` column, under its mapped name).
    pub header_row: Option<u64>,
}

/// A score cell: a finite number, with a point or a comma as decimal separator (`1.75`,
/// `1,75`), or `None` for an empty cell; otherwise why not.
fn number(text: &str) -> std::result::Result<Option<f64>, &'static str> {
    if text.is_empty() {
        return Ok(None);
    }
    let commas = text.matches(',').count();
    let points = text.matches('.').count();
    if commas + points > 1 {
        return Err(
            "more than one separator (a thousands separator, as in 1.234,5 or 1,234.5, \
                    is not read: scores are small numbers)",
        );
    }
    let decimal;
    let text = if commas == 1 {
        decimal = text.replace(',', ".");
        decimal.as_str()
    } else {
        text
    };
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(Some(v)),
        _ => Err("not a number"),
    }
}

/// Reads the score `text` of `criterion` at row `n`, column `header`: a number from 0 to its
/// maximum, or `None` for an empty cell.
fn read_score(
    file: &str,
    n: u64,
    header: &str,
    text: &str,
    criterion: &Criterion,
) -> Result<Option<f64>> {
    let bad = |why: &str| {
        Error::cell(
            file,
            n,
            header,
            text,
            format!(
                "{why}; expected a number of points from 0 to {} (the maximum of criterion `{}`), \
                 with a point or a comma as decimal separator, e.g. 1.5 or 1,5",
                criterion.max, criterion.code
            ),
        )
    };
    match number(text) {
        Err(why) => Err(bad(why)),
        Ok(Some(v)) if v < 0.0 => Err(bad("negative")),
        Ok(Some(v)) if v > criterion.max + POINTS_TOLERANCE => {
            Err(bad("above the criterion's maximum"))
        }
        Ok(v) => Ok(v),
    }
}

/// Refuses a column map that would be ignored or ambiguous: a name that is not a column of a
/// scores file, a header that the file does not have, one header given to two names.
fn check_columns(map: &ColumnMap, table: &Table) -> Result<()> {
    // The map serialises as the map of names to headers it is (it lists no pairs otherwise).
    let pairs: BTreeMap<String, String> =
        serde_json::from_value(serde_json::to_value(map).expect("a map of texts"))
            .expect("a map of texts");
    let mut used: BTreeMap<usize, &str> = BTreeMap::new();
    for (name, header) in &pairs {
        let pair = format!("{name}={header}");
        if !SCORES_COLUMNS.contains(&name.as_str()) {
            return Err(Error::setting(
                "columns",
                pair,
                format!(
                    "`{name}` is not a column of a scores file (those are {})",
                    SCORES_COLUMNS.join(", ")
                ),
            ));
        }
        let Some(col) = table.column(header) else {
            return Err(Error::setting(
                "columns",
                pair,
                format!(
                    "{} has no column `{header}` in its header ({})",
                    table.name(),
                    table.headers().join(", ")
                ),
            ));
        };
        if let Some(other) = used.insert(col, name) {
            return Err(Error::setting(
                "columns",
                pair,
                format!("the header `{header}` is already given to `{other}`"),
            ));
        }
    }
    Ok(())
}

/// What a header of a wide scores file stands for, besides the unit's columns.
enum Heading {
    /// The self-assessed scored item `k` of the framework.
    Item(usize),
    /// A header that is a code of the framework, or has the form of one, but is not the code
    /// of a self-assessed scored item: why it cannot be read.
    Refused(String),
    /// Not a score (neither a code nor the name of a scored item): not read.
    NotScore,
}

/// The code a header stands for: the header, or its first word, without a final `.`, when it
/// is a code of the framework or has the form of one (digits joined by points: `2.3.1`).
fn header_code<'h>(header: &'h str, fw: &Framework) -> Option<&'h str> {
    let word = header.split_whitespace().next()?.trim_end_matches('.');
    let code_like = word.starts_with(|c: char| c.is_ascii_digit())
        && word.chars().all(|c| c.is_ascii_digit() || c == '.')
        && !word.contains("..");
    let known = fw.criteria.iter().any(|c| text::same(&c.code, word))
        || fw.parents.iter().any(|(p, _)| text::same(p, word))
        || fw.fields.iter().any(|f| text::same(&f.code, word));
    (code_like || known).then_some(word)
}

/// The self-assessed items' codes, for messages.
fn self_codes(fw: &Framework) -> String {
    fw.criteria
        .iter()
        .filter(|c| matches!(c.source, Source::SelfAssessed))
        .map(|c| c.code.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads a header of a wide file (not one of the unit's columns).
fn heading(header: &str, fw: &Framework) -> Heading {
    let item = |k: usize, named: &str| match &fw.criteria[k].source {
        Source::SelfAssessed => Heading::Item(k),
        Source::Survey { indicator, .. } => Heading::Refused(format!(
            "criterion `{}`{named} is scored from the survey (indicator `{indicator}` of \
             indices.csv), not by the unit: remove this column",
            fw.criteria[k].code
        )),
    };
    if let Some(code) = header_code(header, fw) {
        if let Some(k) = fw.criteria.iter().position(|c| text::same(&c.code, code)) {
            return item(k, "");
        }
        if let Some((p, subs)) = fw.parents.iter().find(|(p, _)| text::same(p, code)) {
            return Heading::Refused(format!(
                "criterion `{p}` is scored through its sub-criteria: give one column for each \
                 of {} (a column of subtotals is not read: remove it)",
                subs.join(", ")
            ));
        }
        if let Some(f) = fw.fields.iter().find(|f| text::same(&f.code, code)) {
            return Heading::Refused(format!(
                "`{}` is the code of field {:?}, whose points chiso adds up from its criteria (a \
                 column of subtotals is not read: remove it)",
                f.code, f.name
            ));
        }
        return Heading::Refused(format!(
            "a header of the form of a criterion code, but `{code}` is not a criterion of the \
             framework; the self-assessed criteria are: {}",
            self_codes(fw)
        ));
    }
    let named: Vec<usize> = (0..fw.criteria.len())
        .filter(|&k| !fw.criteria[k].name.is_empty() && text::same(&fw.criteria[k].name, header))
        .collect();
    match named[..] {
        [] => Heading::NotScore,
        [k] => item(k, &format!(" (named {:?})", fw.criteria[k].name)),
        _ => Heading::Refused(format!(
            "the name of several criteria ({}): head the column by the criterion's code",
            named
                .iter()
                .map(|&k| fw.criteria[k].code.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// What each layout looks like, for the messages of a header that is neither.
const LAYOUTS: &str = "the long layout has one row per unit and criterion, with columns \
                       unit_code, criterion, self_score, appraised_score (optionally unit_name, \
                       unit_group, note); the wide layout has one row per unit, with a column \
                       unit_code (optionally unit_name, unit_group) and one column per \
                       self-assessed criterion, headed by its code (e.g. 1.1.1) or its name";

/// The units read so far, checked as they come.
struct Units<'a> {
    fw: &'a Framework,
    file: String,
    units: Vec<ScoredUnit>,
    index: HashMap<String, usize>,
    /// The headers of the unit's columns, for messages.
    code_header: String,
    name_header: String,
    group_header: Option<String>,
}

impl Units<'_> {
    /// The unit of row `n`: added on its first row; on a later one, its group and name are
    /// checked against the first (`once`: a unit may have one row only).
    fn unit(&mut self, n: u64, code: &str, name: &str, group: &str, once: bool) -> Result<usize> {
        let (fw, file) = (self.fw, self.file.as_str());
        if code.is_empty() {
            return Err(Error::cell(
                file,
                n,
                &self.code_header,
                code,
                "expected a unit code",
            ));
        }
        if let Some(group_header) = &self.group_header {
            if group.is_empty() {
                return Err(Error::cell(
                    file,
                    n,
                    group_header,
                    group,
                    format!(
                        "expected the unit's group{}",
                        if fw.groups.is_empty() {
                            String::new()
                        } else {
                            format!(", one of: {}", fw.groups.join(", "))
                        }
                    ),
                ));
            }
            if !fw.groups.is_empty() && !fw.groups.iter().any(|g| g == group) {
                return Err(Error::cell(
                    file,
                    n,
                    group_header,
                    group,
                    format!(
                        "not a group of the framework; expected one of: {}",
                        fw.groups.join(", ")
                    ),
                ));
            }
        }
        let Some(&u) = self.index.get(code) else {
            self.index.insert(code.to_string(), self.units.len());
            self.units.push(ScoredUnit {
                code: code.to_string(),
                name: name.to_string(),
                group: group.to_string(),
                scores: vec![None; fw.criteria.len()],
                first_row: n,
            });
            return Ok(self.units.len() - 1);
        };
        let unit = &self.units[u];
        if once {
            return Err(Error::cell(
                file,
                n,
                &self.code_header,
                code,
                format!(
                    "unit `{code}` is listed twice (first at row {}): a file of one column per \
                     criterion has one row per unit",
                    unit.first_row
                ),
            ));
        }
        if unit.group != group {
            return Err(Error::cell(
                file,
                n,
                self.group_header.as_deref().unwrap_or("unit_group"),
                group,
                format!(
                    "unit `{code}` is in group `{}` at row {}; a unit has one group",
                    unit.group, unit.first_row
                ),
            ));
        }
        if !name.is_empty() && unit.name != name {
            if unit.name.is_empty() {
                self.units[u].name = name.to_string();
            } else {
                return Err(Error::cell(
                    file,
                    n,
                    &self.name_header,
                    name,
                    format!(
                        "unit `{code}` is named {:?} at row {}; a unit has one name",
                        unit.name, unit.first_row
                    ),
                ));
            }
        }
        Ok(u)
    }
}

impl Scores {
    /// Reads a scores file (CSV or a spreadsheet: the sheet `sheet` or the first) in either
    /// layout, found from its header, with the columns under their own names, and checks every
    /// row against the framework ([`Scores::read_with`]).
    pub fn read(path: &Path, sheet: Option<&str>, fw: &Framework) -> Result<Scores> {
        Scores::read_with(path, sheet, fw, &ReadOptions::default())
    }

    /// Reads a scores file (CSV or a spreadsheet: the sheet `sheet` or the first) and checks
    /// every row against the framework. The [`Layout`] is `options.layout`, or found from the
    /// header: long when it has the `criterion` column, wide when some header is a criterion's
    /// code or name (both, or neither, is an error saying what each layout looks like). The
    /// columns of [`SCORES_COLUMNS`] are found under the headers `options.columns` gives them.
    pub fn read_with(
        path: &Path,
        sheet: Option<&str>,
        fw: &Framework,
        options: &ReadOptions,
    ) -> Result<Scores> {
        let map = &options.columns;
        let file_layout = crate::Layout {
            sheet: sheet.map(String::from),
            delimiter: options.delimiter,
            header_row: options.header_row,
        };
        let mut table = Table::open_layout(path, &file_layout, &[map.header("unit_code")], false)?;
        let file = table.name().to_string();
        check_columns(map, &table)?;
        let find = |name: &str| table.column(map.header(name));
        let unit_columns: Vec<usize> = ["unit_code", "unit_name", "unit_group"]
            .iter()
            .filter_map(|n| find(n))
            .collect();
        let long = find("criterion");
        let headings: Vec<(usize, Heading)> = table
            .headers()
            .iter()
            .enumerate()
            .filter(|(i, h)| !h.is_empty() && !unit_columns.contains(i) && Some(*i) != long)
            .map(|(i, h)| (i, heading(h, fw)))
            .filter(|(_, h)| !matches!(h, Heading::NotScore))
            .collect();
        let layout = match (options.layout, long, headings.is_empty()) {
            (Some(layout), _, _) => layout,
            (None, Some(_), true) => Layout::Long,
            (None, None, false) => Layout::Wide,
            (None, Some(c), false) => {
                return Err(ErrorKind::Malformed {
                    at: crate::Position::file(file),
                    message: format!(
                        "the header has both the column `{}` of the long layout and columns \
                         headed by criteria ({}) of the wide layout: say which layout the file \
                         has (long or wide); {LAYOUTS}",
                        table.headers()[c],
                        headings
                            .iter()
                            .map(|(i, _)| table.headers()[*i].as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                }
                .into());
            }
            (None, None, true) => {
                return Err(ErrorKind::Malformed {
                    at: crate::Position::file(file),
                    message: format!(
                        "the header is of neither layout of a scores file: {LAYOUTS}; its \
                         header is: {}",
                        table.headers().join(", ")
                    ),
                }
                .into());
            }
        };
        let c_unit = table.require(&[map.header("unit_code")])?[0];
        let c_name = find("unit_name");
        let c_group = find("unit_group");
        if c_group.is_none() && fw.has_group_rules() {
            let restricted: Vec<String> = fw
                .criteria
                .iter()
                .filter(|c| c.groups.is_some())
                .map(|c| c.code.clone())
                .collect();
            return Err(ErrorKind::Malformed {
                at: crate::Position::file(file),
                message: format!(
                    "the framework applies criteria {} to some unit groups only, so the scores \
                     need a `{}` column (one of: {})",
                    restricted.join(", "),
                    map.header("unit_group"),
                    fw.groups.join(", ")
                ),
            }
            .into());
        }
        let headers = table.headers().to_vec();
        let header = |i: usize| headers[i].clone();
        let mut units = Units {
            fw,
            file: file.clone(),
            units: Vec::new(),
            index: HashMap::new(),
            code_header: header(c_unit),
            name_header: c_name.map_or_else(|| "unit_name".to_string(), header),
            group_header: c_group.map(header),
        };
        let mut columns: Vec<Option<String>> = vec![None; fw.criteria.len()];
        match layout {
            Layout::Long => {
                let c = table.require(&[
                    map.header("criterion"),
                    map.header("self_score"),
                    map.header("appraised_score"),
                ])?;
                let c_note = find("note");
                let long = LongColumns {
                    crit: c[0],
                    self_score: c[1],
                    appraised: c[2],
                    note: c_note,
                    headers: [header(c[0]), header(c[1]), header(c[2])],
                };
                read_long(&mut table, &mut units, (c_unit, c_name, c_group), &long)?;
            }
            Layout::Wide => {
                if let Some(name) = LONG_ONLY.iter().find(|n| map.header(n) != **n) {
                    return Err(Error::setting(
                        "columns",
                        format!("{name}={}", map.header(name)),
                        format!(
                            "`{name}` is a column of the long layout, and {file} is read in the \
                             wide layout (one column per criterion)"
                        ),
                    ));
                }
                let mut items: Vec<(usize, usize)> = Vec::new();
                for (i, h) in &headings {
                    match h {
                        Heading::Item(k) => {
                            if let Some(other) = &columns[*k] {
                                return Err(Error::cell(
                                    &file,
                                    1,
                                    &header(*i),
                                    &header(*i),
                                    format!(
                                        "a second column for criterion `{}` (the first is \
                                         `{other}`)",
                                        fw.criteria[*k].code
                                    ),
                                ));
                            }
                            columns[*k] = Some(header(*i));
                            items.push((*i, *k));
                        }
                        Heading::Refused(why) => {
                            return Err(Error::cell(&file, 1, &header(*i), &header(*i), why));
                        }
                        Heading::NotScore => {}
                    }
                }
                if items.is_empty() {
                    return Err(ErrorKind::Malformed {
                        at: crate::Position::file(file),
                        message: format!(
                            "no column is headed by a criterion of the framework (its \
                             self-assessed criteria are {}): {LAYOUTS}; its header is: {}",
                            self_codes(fw),
                            table.headers().join(", ")
                        ),
                    }
                    .into());
                }
                read_wide(&mut table, &mut units, (c_unit, c_name, c_group), &items)?;
            }
        }
        let not_read: Vec<&str> = headers
            .iter()
            .enumerate()
            .filter(|(i, h)| {
                !h.is_empty() && !unit_columns.contains(i) && !headings.iter().any(|(j, _)| j == i)
            })
            .map(|(_, h)| h.as_str())
            .collect();
        let Units { units, .. } = units;
        if units.is_empty() {
            return Err(ErrorKind::Malformed {
                at: crate::Position::file(file),
                message: "no scores: the file has no row below its header".into(),
            }
            .into());
        }
        for unit in &units {
            for (k, c) in fw.criteria.iter().enumerate() {
                if matches!(c.source, Source::SelfAssessed)
                    && c.applies_to(&unit.group)
                    && unit.scores[k].is_none()
                {
                    let group = if unit.group.is_empty() {
                        String::new()
                    } else {
                        format!(" (group `{}`)", unit.group)
                    };
                    return Err(match (layout, &columns[k]) {
                        (Layout::Long, _) => Error::cell(
                            &file,
                            unit.first_row,
                            &header(c_unit),
                            &unit.code,
                            format!(
                                "unit `{}`{group}, first listed here, has no row for the \
                                 self-assessed criterion `{}` (maximum {}), which applies to it: \
                                 add one",
                                unit.code, c.code, c.max
                            ),
                        ),
                        (Layout::Wide, Some(column)) => Error::cell(
                            &file,
                            unit.first_row,
                            column,
                            "",
                            format!(
                                "no score: unit `{}`{group} has no score for the self-assessed \
                                 criterion `{}` (maximum {}), which applies to it: give one, \
                                 from 0 to {}",
                                unit.code, c.code, c.max, c.max
                            ),
                        ),
                        (Layout::Wide, None) => Error::cell(
                            &file,
                            unit.first_row,
                            &header(c_unit),
                            &unit.code,
                            format!(
                                "unit `{}`{group} has no score for the self-assessed criterion \
                                 `{}` (maximum {}), which applies to it: the file has no column \
                                 headed by its code or its name{}",
                                unit.code,
                                c.code,
                                c.max,
                                if not_read.is_empty() {
                                    String::new()
                                } else {
                                    format!("; the columns not read are: {}", not_read.join(", "))
                                }
                            ),
                        ),
                    });
                }
            }
        }
        drop(table);
        let sha256 = table::file_sha256(path)?;
        Ok(Scores {
            file,
            units,
            layout,
            sha256,
        })
    }
}

/// The columns of the long layout besides the unit's.
struct LongColumns {
    crit: usize,
    self_score: usize,
    appraised: usize,
    note: Option<usize>,
    /// The headers of `crit`, `self_score`, `appraised`.
    headers: [String; 3],
}

/// Reads the rows of a long scores file: one per unit and self-assessed scored item.
fn read_long(
    table: &mut Table,
    units: &mut Units<'_>,
    (c_unit, c_name, c_group): (usize, Option<usize>, Option<usize>),
    c: &LongColumns,
) -> Result<()> {
    let fw = units.fw;
    let file = units.file.clone();
    let [h_crit, h_self, h_appr] = &c.headers;
    while let Some(row) = table.next_row()? {
        if row.is_blank() {
            continue;
        }
        let n = row.number();
        let code = row.get(c_unit);
        let group = c_group.map(|i| row.get(i)).unwrap_or("");
        let name = c_name.map(|i| row.get(i)).unwrap_or("");
        let u = units.unit(n, code, name, group, false)?;
        let crit = row.get(c.crit);
        let k = match fw.criterion(crit) {
            Some(k) => k,
            None => {
                let reason = match fw.parents.iter().find(|(p, _)| p == crit) {
                    Some((_, subs)) => format!(
                        "criterion `{crit}` is scored through its sub-criteria: give one row \
                         for each of {}",
                        subs.join(", ")
                    ),
                    None => format!(
                        "not a criterion of the framework; expected one of: {}",
                        self_codes(fw)
                    ),
                };
                return Err(Error::cell(&file, n, h_crit, crit, reason));
            }
        };
        let criterion = &fw.criteria[k];
        if let Source::Survey { indicator, .. } = &criterion.source {
            return Err(Error::cell(
                &file,
                n,
                h_crit,
                crit,
                format!(
                    "criterion `{crit}` is scored from the survey (indicator `{indicator}` of \
                     indices.csv), not by the unit: remove this row"
                ),
            ));
        }
        if !criterion.applies_to(group) {
            return Err(Error::cell(
                &file,
                n,
                h_crit,
                crit,
                format!(
                    "criterion `{crit}` applies to group(s) {} only, and unit `{code}` is in \
                     group `{group}`: remove this row or correct the group",
                    criterion.groups.as_deref().unwrap_or_default().join(", ")
                ),
            ));
        }
        if let Some(first) = &units.units[u].scores[k] {
            return Err(Error::cell(
                &file,
                n,
                h_crit,
                crit,
                format!(
                    "criterion `{crit}` is scored twice for unit `{code}` (first at row {})",
                    first.row
                ),
            ));
        }
        let self_score = read_score(&file, n, h_self, row.get(c.self_score), criterion)?;
        let appraised_score = read_score(&file, n, h_appr, row.get(c.appraised), criterion)?;
        if self_score.is_none() && appraised_score.is_none() {
            return Err(Error::cell(
                &file,
                n,
                h_self,
                "",
                format!(
                    "no score: give the self-assessed score (or the appraised score) of \
                     criterion `{crit}`, from 0 to {}",
                    criterion.max
                ),
            ));
        }
        units.units[u].scores[k] = Some(Score {
            self_score,
            appraised_score,
            note: c.note.map(|i| row.get(i)).unwrap_or("").to_string(),
            row: n,
        });
    }
    Ok(())
}

/// Reads the rows of a wide scores file: one per unit, the self-assessed score of item `k` in
/// column `i` for each `(i, k)` of `items`; an empty cell gives no score.
fn read_wide(
    table: &mut Table,
    units: &mut Units<'_>,
    (c_unit, c_name, c_group): (usize, Option<usize>, Option<usize>),
    items: &[(usize, usize)],
) -> Result<()> {
    let fw = units.fw;
    let file = units.file.clone();
    let headers = table.headers().to_vec();
    while let Some(row) = table.next_row()? {
        if row.is_blank() {
            continue;
        }
        let n = row.number();
        let code = row.get(c_unit);
        let group = c_group.map(|i| row.get(i)).unwrap_or("");
        let name = c_name.map(|i| row.get(i)).unwrap_or("");
        let u = units.unit(n, code, name, group, true)?;
        for &(i, k) in items {
            let text = row.get(i);
            if text.is_empty() {
                continue;
            }
            let criterion = &fw.criteria[k];
            if !criterion.applies_to(group) {
                return Err(Error::cell(
                    &file,
                    n,
                    &headers[i],
                    text,
                    format!(
                        "criterion `{}` applies to group(s) {} only, and unit `{code}` is in \
                         group `{group}`: empty this cell or correct the group",
                        criterion.code,
                        criterion.groups.as_deref().unwrap_or_default().join(", ")
                    ),
                ));
            }
            let self_score = read_score(&file, n, &headers[i], text, criterion)?;
            units.units[u].scores[k] = Some(Score {
                self_score,
                appraised_score: None,
                note: String::new(),
                row: n,
            });
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Survey results.

/// One row of `indices.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct SurveyEstimate {
    /// The estimate, when there is one.
    pub estimate: Option<f64>,
    /// Its standard error.
    pub std_error: Option<f64>,
    /// Answers used (`n`), when the column is present.
    pub n: Option<u64>,
    /// Why the standard error is 0 or missing (`se_note`; empty when estimated).
    pub se_note: String,
    /// The row it was read from.
    pub row: u64,
}

/// The survey's indices, as written by `chiso index`.
#[derive(Clone, Debug, PartialEq)]
pub struct Survey {
    /// The file (for messages).
    pub file: String,
    /// (domain, indicator, measure) → estimate.
    pub estimates: HashMap<(String, String, String), SurveyEstimate>,
    /// SHA-256 of the file.
    pub sha256: String,
    /// The `provenance` of the `indices.json` beside it, when there is one.
    pub provenance: Option<crate::provenance::Provenance>,
}

impl Survey {
    /// Reads `indices.csv` through [`crate::files::indices::read`] (columns `domain,
    /// indicator, measure, estimate, std_error`, the others when present).
    pub fn read(path: &Path) -> Result<Survey> {
        let file = path.display().to_string();
        let estimates = crate::files::indices::read(path, &crate::files::indices::KEY_COLUMNS)?
            .into_iter()
            .map(|e| {
                (
                    (e.domain, e.indicator, e.measure),
                    SurveyEstimate {
                        estimate: e.estimate,
                        std_error: e.std_error,
                        n: e.n,
                        se_note: e.se_note,
                        row: e.row,
                    },
                )
            })
            .collect();
        let sha256 = table::file_sha256(path)?;
        let provenance = path
            .parent()
            .map(|d| d.join("indices.json"))
            .and_then(|j| std::fs::read_to_string(j).ok())
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|j| crate::provenance::Provenance::from_json(&j));
        Ok(Survey {
            file,
            estimates,
            sha256,
            provenance,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_take_a_decimal_point_or_comma_and_no_thousands_separator() {
        assert_eq!(number("1.75"), Ok(Some(1.75)));
        assert_eq!(number("1,75"), Ok(Some(1.75)));
        assert_eq!(number(",5"), Ok(Some(0.5)));
        assert_eq!(number("2"), Ok(Some(2.0)));
        assert_eq!(number(""), Ok(None));
        for thousands in ["1.234,5", "1,234.5", "1,234,5", "1.234.5"] {
            assert!(
                number(thousands).unwrap_err().contains("thousands"),
                "{thousands}"
            );
        }
        for bad in ["abc", "1,5x", "inf", "NaN", ","] {
            assert_eq!(number(bad), Err("not a number"), "{bad}");
        }
    }

    #[test]
    fn wide_headers_are_codes_names_or_not_scores() {
        let fw = Framework::from_toml(
            r#"
            name = "t"
            total = 3
            [[field]]
            code = "1"
            name = "F"
            [[field.criterion]]
            code = "1.1"
            name = "Kế hoạch"
            max = 2
            [[field.criterion.sub]]
            code = "1.1.1"
            name = "Ban hành"
            max = 1
            [[field.criterion.sub]]
            code = "1.1.2"
            name = "Ban hành"
            max = 1
            [[field.criterion]]
            code = "1.2"
            name = "Báo cáo"
            max = 1
            "#,
            "t.toml",
        )
        .unwrap();
        let item = |h: &str| match heading(h, &fw) {
            Heading::Item(k) => Some(fw.criteria[k].code.clone()),
            _ => None,
        };
        assert_eq!(item("1.1.1").as_deref(), Some("1.1.1"));
        assert_eq!(item("1.1.2. Mức độ").as_deref(), Some("1.1.2"));
        assert_eq!(item("  BÁO   CÁO ").as_deref(), Some("1.2"));
        for refused in ["1.1", "1", "1.3", "1.2.3 Báo cáo", "Ban hành"] {
            assert!(
                matches!(heading(refused, &fw), Heading::Refused(_)),
                "{refused}"
            );
        }
        for not_score in ["STT", "Tổng điểm", "Kế hoạch", "note"] {
            assert!(
                matches!(heading(not_score, &fw), Heading::NotScore),
                "{not_score}"
            );
        }
    }
}
