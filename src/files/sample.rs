//! `sample.csv`: one row per selected applicant, written by `chiso sample`, read by `chiso
//! verify` (the published lists), `chiso index` (strata, frame sizes, units, officers and
//! auxiliary columns) and the fieldwork (the official and reserve lists in rank order).
//!
//! Columns, in order ([`COLUMNS`]): `stratum` (the stratum's label), `role` (`official` or
//! `reserve`), `rank` (from 1 within each stratum and role; reserves are used in rank order),
//! `applicant_id`, `record_id` (the record evaluated), `unit_code`, `frame_size` (`N_h`),
//! `sample_size` (`n_h`), `inclusion_prob`, `base_weight`, `reserve_size`, `record_count` (the
//! applicant's records in the window), `applicant_type`, `draw_key`; then the record's
//! descriptive columns (`unit_name`, `unit_group`, `officer_id`, …) and its contact columns
//! (`applicant_name`, `phone`, `address`: the interviewers' list holds personal data).
//!
//! The rows are written by [`crate::sample`], which re-reads the picked records for them;
//! this module defines the columns and reads the file back for every consumer, by header
//! name: extra columns are ignored, and every cell that cannot be used is an error naming
//! the file, row and column (never an applicant's identifier or contact details). Cells are
//! read as they were before the `'` that keeps a spreadsheet from running them as formulas
//! ([`crate::files::restore`]): `=HYPERLINK(…)` in the records is `'=HYPERLINK(…)` in the
//! file and `=HYPERLINK(…)` again for `verify`, `index` and the fieldwork.

use std::path::Path;

use crate::error::{Error, Result};
use crate::records::DESCRIPTIVE;
use crate::table::{Row, Table};

/// The role of a selected applicant: the `role` column of `sample.csv`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// On the official list.
    Official,
    /// On the reserve list, used in rank order.
    Reserve,
}

impl Role {
    /// `official` or `reserve`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Official => "official",
            Role::Reserve => "reserve",
        }
    }
}

/// The fixed columns of `sample.csv`, in order, before the record's own.
pub const COLUMNS: [&str; 14] = [
    "stratum",
    "role",
    "rank",
    "applicant_id",
    "record_id",
    "unit_code",
    "frame_size",
    "sample_size",
    "inclusion_prob",
    "base_weight",
    "reserve_size",
    "record_count",
    "applicant_type",
    "draw_key",
];

/// The columns of [`COLUMNS`] that hold numbers.
pub const NUMBERS: [&str; 7] = [
    "rank",
    "frame_size",
    "sample_size",
    "inclusion_prob",
    "base_weight",
    "reserve_size",
    "record_count",
];

/// The columns that say who is on which list: stratum, role, rank and the two identifiers.
pub const LISTS: [&str; 5] = ["stratum", "role", "rank", "applicant_id", "record_id"];

/// The columns a reader may take by name: the fixed ones, then the record's descriptive ones
/// (never its contact details).
fn readable() -> impl Iterator<Item = &'static str> {
    COLUMNS
        .into_iter()
        .chain(DESCRIPTIVE.into_iter().filter(|c| !COLUMNS.contains(c)))
}

/// `sample.csv` opened for reading, its required columns checked.
pub struct SampleFile {
    table: Table,
}

impl SampleFile {
    /// Opens `path` (CSV or a spreadsheet that went through an office) and checks that the
    /// columns `required` are there.
    pub fn open(path: &Path, required: &[&str]) -> Result<SampleFile> {
        let table = Table::open(path, None)?;
        table.require(required)?;
        Ok(SampleFile { table })
    }

    /// The file's name, as the user gave it.
    pub fn name(&self) -> &str {
        self.table.name()
    }

    /// The header, in file order.
    pub fn headers(&self) -> &[String] {
        self.table.headers()
    }

    /// The index of a column (agreed or not) by its header.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.table.column(name)
    }

    /// Calls `f` on every non-blank row, in file order.
    pub fn rows(mut self, mut f: impl FnMut(&SampleRow<'_, '_>) -> Result<()>) -> Result<()> {
        let name = self.table.name().to_string();
        let columns: Vec<(&'static str, Option<usize>)> =
            readable().map(|c| (c, self.table.column(c))).collect();
        while let Some(row) = self.table.next_row()? {
            if row.is_blank() {
                continue;
            }
            f(&SampleRow {
                file: &name,
                columns: &columns,
                row,
            })?;
        }
        Ok(())
    }
}

/// One row of `sample.csv`, with typed readings of its agreed cells.
pub struct SampleRow<'f, 'r> {
    file: &'f str,
    columns: &'f [(&'static str, Option<usize>)],
    row: Row<'r>,
}

impl SampleRow<'_, '_> {
    /// The row number (the header is row 1).
    pub fn number(&self) -> u64 {
        self.row.number()
    }

    /// The text of an agreed column ([`COLUMNS`], or one of the record's descriptive columns
    /// such as `unit_name`, `unit_group`, `officer_id`); `""` when the file has no such column.
    /// Contact columns are not read this way.
    pub fn text(&self, column: &str) -> &str {
        self.columns
            .iter()
            .find(|(c, _)| *c == column)
            .and_then(|(_, i)| *i)
            .map_or("", |i| self.get(i))
    }

    /// The text of column `i` (found with [`SampleFile::column`]).
    pub fn get(&self, i: usize) -> &str {
        crate::output::restore(self.row.get(i))
    }

    pub(crate) fn problem(&self, column: &str, value: &str, reason: &str) -> Error {
        Error::cell(self.file, self.number(), column, value, reason)
    }

    /// `role`: official or reserve.
    pub fn role(&self) -> Result<Role> {
        match self.text("role") {
            "official" => Ok(Role::Official),
            "reserve" => Ok(Role::Reserve),
            other => Err(self.problem("role", other, "expected `official` or `reserve`")),
        }
    }

    /// `rank`: a whole number from 1.
    pub fn rank(&self) -> Result<u64> {
        let text = self.text("rank");
        text.parse::<u64>()
            .ok()
            .filter(|&r| r >= 1)
            .ok_or_else(|| self.problem("rank", text, "expected a whole number from 1"))
    }

    /// `frame_size`: the stratum's size `N_h`, a whole number.
    pub fn frame_size(&self) -> Result<f64> {
        let text = self.text("frame_size");
        text.parse()
            .map_err(|_| self.problem("frame_size", text, "expected a whole number"))
    }

    /// An identifier column (`applicant_id`, `record_id`) that must not be empty; the error
    /// names the column, never a value.
    pub fn identifier(&self, column: &str) -> Result<&str> {
        match self.text(column) {
            "" => Err(self.problem(column, "", "expected an identifier, found an empty cell")),
            id => Ok(id),
        }
    }
}

/// How to open a CSV file without a spreadsheet changing its identifiers, for the messages
/// of [`spreadsheet_damage`] and [`stripped_zeros`].
pub const OPEN_AS_TEXT: &str = "open the CSV file in the spreadsheet through Data › From \
     Text/CSV with the identifier column set to Text (or use sample.xlsx, whose identifiers \
     are text cells), and do not save a list over the file chiso wrote";

/// Whether `id` is written the way a spreadsheet shows a long number: in scientific notation
/// (`1.08501E+11`, `1,08501E+11`), which keeps only its first digits.
fn scientific(id: &str) -> bool {
    let s = id.trim();
    let Some((mantissa, exponent)) = s.split_once(['E', 'e']) else {
        return false;
    };
    let exponent = exponent.strip_prefix('+').unwrap_or(exponent);
    let (whole, fraction) = mantissa.split_once(['.', ',']).unwrap_or((mantissa, ""));
    whole.len() == 1
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
        && !exponent.is_empty()
        && exponent.bytes().all(|b| b.is_ascii_digit())
}

fn digits(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())
}

/// Why an identifier that is in no list of a sample looks like one that went through a
/// spreadsheet, for the message that refuses it: written in scientific notation, or, padded
/// with zeros in front to the length of the sample's identifiers, exactly one of `listed` (or
/// several). `None` when it looks like neither. The identifier itself is never in the text.
/// A spreadsheet-stripped identifier is never matched in silence: the caller refuses it.
/// ([`ZeroPadded`] answers the same for many identifiers against one sample.)
pub fn stripped_zeros<'a>(id: &str, listed: impl IntoIterator<Item = &'a str>) -> Option<String> {
    ZeroPadded::new(listed).hint(id)
}

/// A sample's digits-only identifiers that begin with a zero, by what is left of them without
/// their leading zeros: what [`stripped_zeros`] looks up, made once for many identifiers.
#[derive(Debug, Default)]
pub struct ZeroPadded {
    /// For each identifier without its leading zeros, the lengths of the identifiers it is.
    by_rest: std::collections::HashMap<String, Vec<usize>>,
}

impl ZeroPadded {
    /// The digits-only identifiers of `listed` that begin with a zero.
    pub fn new<'a>(listed: impl IntoIterator<Item = &'a str>) -> ZeroPadded {
        let mut by_rest: std::collections::HashMap<String, Vec<usize>> = Default::default();
        for l in listed {
            if l.starts_with('0') && digits(l) {
                by_rest
                    .entry(l.trim_start_matches('0').to_string())
                    .or_default()
                    .push(l.len());
            }
        }
        ZeroPadded { by_rest }
    }

    /// [`stripped_zeros`] of `id`.
    pub fn hint(&self, id: &str) -> Option<String> {
        let id = id.trim();
        if scientific(id) {
            return Some(format!(
                "the identifier looks like one that a spreadsheet wrote in scientific notation, \
                 which keeps only its first digits (and strips leading zeros): {OPEN_AS_TEXT}"
            ));
        }
        if !digits(id) {
            return None;
        }
        let lengths: Vec<usize> = self
            .by_rest
            .get(id.trim_start_matches('0'))
            .map(|ls| ls.iter().copied().filter(|&l| l > id.len()).collect())
            .unwrap_or_default();
        let padded = match lengths.as_slice() {
            [] => return None,
            [length] => format!(
                "with {} zero(s) in front ({length} digits) it is exactly one identifier of the \
                 sample; it is not matched to it",
                length - id.len()
            ),
            several => format!(
                "with zeros in front it is any of {} identifiers of the sample",
                several.len()
            ),
        };
        Some(format!(
            "the identifier looks like one that a spreadsheet stripped of its leading zeros \
             ({padded}): {OPEN_AS_TEXT}"
        ))
    }
}

/// The first identifier of `sample.csv` at `path` (its `applicant_id` column) that looks like
/// one a spreadsheet changed, with its row, for the message that refuses a `sample.csv`
/// saved again by a spreadsheet: one in scientific notation; or one of 10 or 11 digits
/// without a leading zero, in a file whose other digits-only identifiers are longer or begin
/// with a zero (a 12-digit CCCD number begins with its province's code, 001–096, so a
/// spreadsheet leaves it 10 or 11 digits long). `None` when the file cannot be read or holds
/// no such identifier.
pub fn spreadsheet_damage(path: &Path) -> Option<String> {
    let file = SampleFile::open(path, &["applicant_id"]).ok()?;
    let mut ids: Vec<(u64, String)> = Vec::new();
    let _ = file.rows(|r| {
        ids.push((r.number(), r.text("applicant_id").trim().to_string()));
        Ok(())
    });
    if let Some((row, _)) = ids.iter().find(|(_, id)| scientific(id)) {
        return Some(format!(
            "row {row}: the identifier looks like one that a spreadsheet wrote in scientific \
             notation, which keeps only its first digits: {OPEN_AS_TEXT}"
        ));
    }
    let zero_led = ids.iter().any(|(_, id)| digits(id) && id.starts_with('0'));
    let longest = ids
        .iter()
        .filter(|(_, id)| digits(id))
        .map(|(_, id)| id.len())
        .max()?;
    let (row, id) = ids.iter().find(|(_, id)| {
        digits(id)
            && !id.starts_with('0')
            && (matches!(id.len(), 10 | 11) || (zero_led && id.len() < longest))
    })?;
    let width = if id.len() < longest { longest } else { 12 };
    Some(format!(
        "row {row}: the identifier looks like one that a spreadsheet stripped of its leading \
         zeros ({} digits where {width} are expected): {OPEN_AS_TEXT}",
        id.len()
    ))
}

/// A sample's directory as `chiso sample` wrote it: `sample.csv` and `manifest.json`,
/// checked to belong together. Consumers take the strata's sizes and weights from the
/// manifest and refuse a `sample.csv` row that says otherwise ([`SampleDir::stratum_of`]).
#[derive(Clone, Debug)]
pub struct SampleDir {
    /// `DIR/sample.csv`.
    pub csv: std::path::PathBuf,
    /// `DIR/manifest.json`.
    pub manifest_path: std::path::PathBuf,
    /// The manifest.
    pub manifest: crate::manifest::Manifest,
    /// SHA-256 of `manifest.json`.
    pub manifest_sha256: String,
    strata: std::collections::HashMap<String, usize>,
}

impl SampleDir {
    /// Opens the sample in `dir`: both files must be there, `sample.csv` must be the file
    /// written with the manifest (its SHA-256), and the manifest's totals must be the sums of
    /// its strata.
    pub fn open(dir: &Path) -> Result<SampleDir> {
        let (csv, manifest_path) = (dir.join("sample.csv"), dir.join("manifest.json"));
        for p in [&csv, &manifest_path] {
            if !p.is_file() {
                return Err(Error::input(
                    "sample",
                    format!(
                        "{}: not found; expected the directory written by `chiso sample --out DIR` \
                         (sample.csv with its manifest.json)",
                        p.display()
                    ),
                ));
            }
        }
        let manifest = crate::manifest::Manifest::load(&manifest_path)?;
        let manifest_sha256 = crate::table::file_sha256(&manifest_path)?;
        let refuse = |message: String| -> Error {
            crate::error::ErrorKind::Manifest {
                file: manifest_path.display().to_string(),
                message,
            }
            .into()
        };
        let sha = crate::table::file_sha256(&csv)?;
        if sha != manifest.sample_file_sha256 {
            let damage = spreadsheet_damage(&csv)
                .map(|d| format!("; {d}"))
                .unwrap_or_default();
            return Err(refuse(format!(
                "{} is not the file written with this manifest (its SHA-256 is {}, the manifest \
                 says {}): it was edited or replaced after the draw; `chiso verify` says \
                 how{damage}",
                csv.display(),
                &sha[..16],
                &manifest.sample_file_sha256[..manifest.sample_file_sha256.len().min(16)]
            )));
        }
        let t = &manifest.totals;
        let sums = (
            manifest.strata.len() as u64,
            manifest.strata.iter().map(|s| s.frame_size).sum::<u64>(),
            manifest.strata.iter().map(|s| s.sample_size).sum::<u64>(),
            manifest.strata.iter().map(|s| s.reserve_size).sum::<u64>(),
        );
        if (t.strata, t.frame_size, t.sample_size, t.reserve_size) != sums {
            return Err(refuse(format!(
                "the totals (strata {}, frame_size {}, sample_size {}, reserve_size {}) are not \
                 the sums over its strata ({}, {}, {}, {}): the manifest was edited",
                t.strata,
                t.frame_size,
                t.sample_size,
                t.reserve_size,
                sums.0,
                sums.1,
                sums.2,
                sums.3
            )));
        }
        let mut strata = std::collections::HashMap::new();
        for (i, s) in manifest.strata.iter().enumerate() {
            if strata.insert(s.stratum.clone(), i).is_some() {
                return Err(refuse(format!(
                    "stratum {:?} is listed twice: the manifest was edited",
                    s.stratum
                )));
            }
        }
        Ok(SampleDir {
            csv,
            manifest_path,
            manifest,
            manifest_sha256,
            strata,
        })
    }

    /// The manifest's entry for the stratum of `row`, after checking that the row's sizes
    /// and weights are the manifest's: `frame_size` = `N_h`, and when present `sample_size`
    /// = `n_h`, `inclusion_prob` = `n_h / N_h`, `base_weight` = `N_h / n_h`,
    /// `reserve_size` = `r_h`.
    pub fn stratum_of(&self, row: &SampleRow<'_, '_>) -> Result<&crate::manifest::StratumEntry> {
        let label = row.text("stratum");
        let entry = self
            .strata
            .get(label)
            .map(|&i| &self.manifest.strata[i])
            .ok_or_else(|| {
                row.problem(
                    "stratum",
                    label,
                    &format!(
                        "this stratum is not in {}: the sample and its manifest do not belong \
                         together",
                        self.manifest_path.display()
                    ),
                )
            })?;
        let (big_n, n) = (entry.frame_size, entry.sample_size);
        let ratio = |a: u64, b: u64| {
            if b == 0 {
                String::new()
            } else {
                (a as f64 / b as f64).to_string()
            }
        };
        let expected = [
            ("frame_size", big_n.to_string()),
            ("sample_size", n.to_string()),
            ("inclusion_prob", ratio(n, big_n)),
            ("base_weight", ratio(big_n, n)),
            ("reserve_size", entry.reserve_size.to_string()),
        ];
        for (column, want) in expected {
            if self.column_present(row, column) && row.text(column) != want {
                return Err(row.problem(
                    column,
                    row.text(column),
                    &format!(
                        "the manifest gives stratum {label} {column} {want}: the sample and its \
                         manifest do not belong together (`chiso verify` says how)"
                    ),
                ));
            }
        }
        Ok(entry)
    }

    fn column_present(&self, row: &SampleRow<'_, '_>, column: &str) -> bool {
        row.columns.iter().any(|(c, i)| *c == column && i.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LISTED: [&str; 4] = ["001085012345", "079190000001", "A-17", "0000123"];

    #[test]
    fn an_identifier_stripped_of_its_zeros_is_said_to_be_one_of_the_sample() {
        let why = stripped_zeros("1085012345", LISTED).unwrap();
        assert!(
            why.starts_with(
                "the identifier looks like one that a spreadsheet stripped of its leading \
                 zeros (with 2 zero(s) in front (12 digits) it is exactly one identifier of \
                 the sample; it is not matched to it)"
            ),
            "{why}"
        );
        assert!(why.contains("Data › From Text/CSV") && why.contains("sample.xlsx"));
        assert!(!why.contains("1085012345"), "{why}");
        assert!(
            stripped_zeros("79190000001", LISTED)
                .unwrap()
                .contains("1 zero(s)")
        );
        // Several identifiers it could be.
        let why = stripped_zeros("123", ["0123", "00123", "9123"]).unwrap();
        assert!(why.contains("any of 2 identifiers"), "{why}");
        // Scientific notation, with a point or a comma.
        for id in ["1.08501E+11", "1,08501E+11", "7.9E11", "1e+11"] {
            let why = stripped_zeros(id, LISTED).unwrap();
            assert!(why.contains("scientific notation"), "{id}: {why}");
        }
    }

    #[test]
    fn other_identifiers_not_in_the_sample_get_no_hint() {
        for id in [
            "",
            "999",
            "1085012346",
            "A-1",
            "17",
            "0085012345",
            "E+11",
            "12.5E+3x",
        ] {
            assert_eq!(stripped_zeros(id, LISTED), None, "{id}");
        }
        // The sample's own identifier as it stands is not a stripped one.
        assert_eq!(stripped_zeros("001085012345", LISTED), None);
    }

    fn file(ids: &[&str]) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sample.csv");
        let mut text = String::from("\u{feff}stratum,applicant_id\n");
        for id in ids {
            text.push_str(&format!("U1,{id}\n"));
        }
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn a_sample_file_a_spreadsheet_saved_is_recognised_by_its_identifiers() {
        let (_d, path) = file(&["001085012345", "079190000001"]);
        assert_eq!(spreadsheet_damage(&path), None);
        let (_d, path) = file(&["001085012345", "79190000001"]);
        let why = spreadsheet_damage(&path).unwrap();
        assert!(
            why.starts_with(
                "row 3: the identifier looks like one that a spreadsheet stripped of its \
                 leading zeros (11 digits where 12 are expected)"
            ),
            "{why}"
        );
        let (_d, path) = file(&["1085012345", "1085012346"]);
        assert!(spreadsheet_damage(&path).unwrap().contains("row 2:"));
        let (_d, path) = file(&["001085012345", "1.08501E+11"]);
        assert!(
            spreadsheet_damage(&path)
                .unwrap()
                .starts_with("row 3: the identifier looks like one that a spreadsheet wrote")
        );
        // Identifiers that are not numbers, or of one length without zeros, are left alone.
        let (_d, path) = file(&["A-1", "B-22", "123456789", "987654321"]);
        assert_eq!(spreadsheet_damage(&path), None);
    }
}
