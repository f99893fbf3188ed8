//! Transaction records (hồ sơ) from the one-stop software: which columns mean what, and the
//! checks that accept or reject one row.
//!
//! The column names are those of `docs/contract.md`; an export that names them differently is read
//! through a [`ColumnMap`]. Unknown columns are kept (they may be stratum columns), never
//! refused.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};
use std::collections::hash_map::Entry;
use xxhash_rust::xxh3::xxh3_128;

use crate::error::{CellProblem, Error, ErrorKind, Result};
use crate::table::Row;

/// Columns every records file must have.
pub const REQUIRED: [&str; 4] = ["record_id", "unit_code", "applicant_id", "returned_date"];

/// Columns with personal data: written only to the interviewers' list (`sample.csv`).
pub const CONTACT: [&str; 3] = ["applicant_name", "phone", "address"];

/// The columns that hold personal data: the applicant's identifier (an ID card or tax
/// number) and the contact columns. They appear only in the interviewers' list
/// (`sample.csv`): never as strata (published in the manifest), margins or in a message.
pub const PERSONAL: [&str; 4] = ["applicant_id", "applicant_name", "phone", "address"];

/// Optional descriptive columns carried from the evaluated record into `sample.csv`.
pub const DESCRIPTIVE: [&str; 10] = [
    "unit_name",
    "unit_group",
    "applicant_type",
    "officer_id",
    "procedure_code",
    "field",
    "channel",
    "received_date",
    "returned_date",
    "due_date",
];

/// Refuses an input of which every row, or more than `max_share` of the rows, was
/// rejected.
pub(crate) fn check_rejected(
    file: &str,
    rows: u64,
    rejections: &[CellProblem],
    max_share: f64,
) -> Result<()> {
    let rejected = rejections.len() as u64;
    if rows > 0 && (rejected == rows || rejected as f64 > max_share * rows as f64) {
        return Err(ErrorKind::TooManyRejected {
            file: file.to_string(),
            rejected,
            rows,
            max_share,
            first: rejections.iter().take(3).cloned().collect(),
        }
        .into());
    }
    Ok(())
}

/// What a spreadsheet shows in a cell whose formula failed (`calamine` reads error cells as
/// these texts, and a CSV saved from such a sheet holds them too).
pub const SPREADSHEET_ERRORS: [&str; 8] = [
    "#DIV/0!",
    "#N/A",
    "#NAME?",
    "#NULL!",
    "#NUM!",
    "#REF!",
    "#VALUE!",
    "#GETTING_DATA",
];

/// What a spreadsheet shows in a boolean cell (`calamine` reads boolean cells as these texts,
/// and a CSV saved from such a sheet holds them too).
pub const SPREADSHEET_BOOLEANS: [&str; 2] = ["TRUE", "FALSE"];

/// Why `id` (non-empty) cannot identify a record or an applicant, if it cannot: it holds a
/// control character (a NUL byte, say), or it is a spreadsheet error or a boolean. The
/// spreadsheet texts are compared in any ASCII letter case (`#n/a`, `True`, `false`: what
/// other programs write for the same cells).
fn not_an_identifier(id: &str) -> Option<&'static str> {
    let is = |texts: &[&str]| texts.iter().any(|t| t.eq_ignore_ascii_case(id));
    if id.bytes().any(|b| b < 0x20 || b == 0x7F) {
        Some("contains a control character (such as a NUL byte): not an identifier")
    } else if is(&SPREADSHEET_ERRORS) {
        Some("a spreadsheet error (a formula that failed), not an identifier")
    } else if is(&SPREADSHEET_BOOLEANS) {
        Some("a spreadsheet boolean (TRUE or FALSE), not an identifier")
    } else {
        None
    }
}

/// Every column name a records file may have, each once: the required ones, the descriptive
/// ones, the contact details.
fn known_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = REQUIRED.to_vec();
    for n in DESCRIPTIVE.iter().chain(CONTACT.iter()) {
        if !names.contains(n) {
            names.push(n);
        }
    }
    names
}

/// Maps the engine's column names to the headers of an export (`record_id=MaHoSo`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ColumnMap(BTreeMap<String, String>);

impl ColumnMap {
    /// Parses `name=Header,name=Header`. An empty text is the identity map.
    pub fn parse(spec: &str) -> Result<ColumnMap> {
        ColumnMap::parse_all(&[spec])
    }

    /// Parses the values of a `--columns` option given once or more: each is
    /// `name=Header,name=Header`, or one pair `name=Header` whose header holds a comma
    /// (`applicant_name=Họ, tên`): a value whose pieces after the first have no `=` is one pair.
    /// No name may be mapped twice across all of them.
    pub fn parse_all<S: AsRef<str>>(specs: &[S]) -> Result<ColumnMap> {
        let mut map = BTreeMap::new();
        for spec in specs {
            let spec = spec.as_ref();
            let pairs: Vec<&str> = if spec.split(',').skip(1).all(|p| !p.contains('=')) {
                vec![spec.trim()]
            } else {
                spec.split(',').map(str::trim).collect()
            };
            ColumnMap::insert_pairs(&mut map, pairs)?;
        }
        Ok(ColumnMap(map))
    }

    fn insert_pairs(map: &mut BTreeMap<String, String>, pairs: Vec<&str>) -> Result<()> {
        for pair in pairs.into_iter().filter(|p| !p.is_empty()) {
            let (name, header) = pair.split_once('=').ok_or_else(|| {
                Error::setting(
                    "columns",
                    format!("{pair:?}"),
                    "not of the form name=Header (e.g. record_id=MaHoSo)",
                )
            })?;
            let (name, header) = (name.trim(), header.trim());
            if name.is_empty() || header.is_empty() {
                return Err(Error::setting(
                    "columns",
                    format!("{pair:?}"),
                    "an empty name or header",
                ));
            }
            if map.insert(name.to_string(), header.to_string()).is_some() {
                return Err(Error::setting("columns", name, "mapped twice"));
            }
        }
        Ok(())
    }

    /// The header that holds the column `name`.
    pub fn header<'a>(&'a self, name: &'a str) -> &'a str {
        self.0.get(name).map(String::as_str).unwrap_or(name)
    }

    /// Refuses a mapping that would be ignored or ambiguous: a name that is not a column chiso
    /// reads from a records file (nor a stratum column of the design), a header that `file`
    /// does not have, or one header given to two names.
    pub fn check(&self, file: &str, headers: &[String], strata: &[String]) -> Result<()> {
        let known = |name: &str| {
            REQUIRED.contains(&name)
                || DESCRIPTIVE.contains(&name)
                || CONTACT.contains(&name)
                || strata.iter().any(|s| s == name)
        };
        let mut used: BTreeMap<&str, &str> = BTreeMap::new();
        for (name, header) in &self.0 {
            let pair = format!("{name}={header}");
            if !known(name) {
                return Err(Error::setting(
                    "columns",
                    pair,
                    format!(
                        "`{name}` is not a column chiso reads from a records file (those are {} \
                         and the design's strata)",
                        known_names().join(", ")
                    ),
                ));
            }
            if !headers.iter().any(|h| crate::text::same(h, header)) {
                return Err(Error::setting(
                    "columns",
                    pair,
                    format!("{file} has no column `{header}` in its header"),
                ));
            }
            if let Some(other) = used.insert(header, name) {
                return Err(Error::setting(
                    "columns",
                    pair,
                    format!("the header `{header}` is already given to `{other}`"),
                ));
            }
        }
        Ok(())
    }

    /// Whether no column is renamed.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Each name with its header, in order of names.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, h)| (n.as_str(), h.as_str()))
    }
}

/// Whether an applicant is a person or an organisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApplicantType {
    /// A person (cá nhân).
    Citizen,
    /// An organisation (tổ chức).
    Organization,
}

impl ApplicantType {
    /// Reads the accepted spellings (any letter case); `None` if it is none of them.
    pub fn parse(s: &str) -> Option<ApplicantType> {
        match s {
            "citizen" => return Some(ApplicantType::Citizen),
            "organization" => return Some(ApplicantType::Organization),
            _ => {}
        }
        match s.to_lowercase().as_str() {
            "citizen" | "individual" | "person" | "ca_nhan" | "cá nhân" | "canhan" => {
                Some(ApplicantType::Citizen)
            }
            "organization" | "organisation" | "org" | "to_chuc" | "tổ chức" | "tochuc" => {
                Some(ApplicantType::Organization)
            }
            _ => None,
        }
    }

    /// The canonical spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ApplicantType::Citizen => "citizen",
            ApplicantType::Organization => "organization",
        }
    }
}

impl fmt::Display for ApplicantType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Parses `YYYY-MM-DD` or `DD/MM/YYYY` (day and month of one or two digits in the second form).
/// A time of day after a space or `T` is ignored.
///
/// ```
/// use chiso::records::parse_date;
/// assert_eq!(parse_date("2024-09-30"), parse_date("30/9/2024"));
/// assert_eq!(parse_date("2024-09-30 14:05:00"), parse_date("2024-09-30"));
/// assert!(parse_date("2024-02-30").is_none());
/// ```
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    // Byte-level: this runs three times per record.
    let b = s.as_bytes();
    let end = b
        .iter()
        .position(|&c| c == b' ' || c == b'T')
        .unwrap_or(b.len());
    let d = &b[..end];
    let num = |p: &[u8], min: usize, max: usize| -> Option<u32> {
        if !(min..=max).contains(&p.len()) {
            return None;
        }
        p.iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let (y, m, day) = if d.len() == 10 && d[4] == b'-' && d[7] == b'-' {
        (
            num(&d[..4], 4, 4)?,
            num(&d[5..7], 2, 2)?,
            num(&d[8..], 2, 2)?,
        )
    } else {
        let mut parts = d.split(|&c| c == b'/');
        let (day, m, y) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        (num(y, 4, 4)?, num(m, 1, 2)?, num(day, 1, 2)?)
    };
    NaiveDate::from_ymd_opt(y as i32, m, day)
}

/// Dates already read, by their text ([`parse_date`] of the same text gives the same
/// answer): a year of records holds a few hundred distinct dates, each read again and again,
/// three times per row. A small table (64 KiB) indexed by a multiplicative hash of the text,
/// held in two words (a date's text fits in 11 bytes), two places per text; a text that is
/// not there is parsed and put in (on the records of the benchmarks, one date text in 350 is
/// parsed).
#[derive(Clone, Debug)]
pub struct DateMemo {
    slots: Vec<Remembered>,
}

/// A date text, as [`DateMemo::key`] writes it, and what it reads as; an empty slot has length 0.
#[derive(Clone, Copy, Debug, Default)]
struct Remembered {
    low: u64,
    high: u32,
    date: Option<NaiveDate>,
}

impl Default for DateMemo {
    fn default() -> DateMemo {
        DateMemo {
            slots: vec![Remembered::default(); DateMemo::SLOTS],
        }
    }
}

impl DateMemo {
    /// Texts longer than this (dates with a time of day) are parsed each time.
    const KEY: usize = 11;
    /// A power of two.
    const SLOTS: usize = 4096;

    /// [`parse_date`] of `s`.
    pub fn parse(&mut self, s: &str) -> Option<NaiveDate> {
        let b = s.as_bytes();
        if b.is_empty() || b.len() > Self::KEY {
            return parse_date(s);
        }
        let (low, high) = Self::key(b);
        // Two places for each text, its slot and the one next to it: the latest text read
        // takes the slot, the one it displaces moves next door.
        let slot = Self::slot(low, high);
        for i in [slot, slot ^ 1] {
            let r = &self.slots[i];
            if r.low == low && r.high == high {
                return r.date;
            }
        }
        let date = parse_date(s);
        self.slots[slot ^ 1] = self.slots[slot];
        self.slots[slot] = Remembered { low, high, date };
        date
    }

    /// A text of 1 to [`DateMemo::KEY`] bytes in two words: its first eight bytes, and the
    /// others with its length in the top byte.
    fn key(b: &[u8]) -> (u64, u32) {
        let (first, rest) = b.split_at(b.len().min(8));
        let low = match first.try_into() {
            Ok(eight) => u64::from_le_bytes(eight),
            Err(_) => first
                .iter()
                .enumerate()
                .fold(0, |w, (i, &x)| w | u64::from(x) << (8 * i)),
        };
        let high = rest
            .iter()
            .enumerate()
            .fold((b.len() as u32) << 24, |w, (i, &x)| {
                w | u32::from(x) << (8 * i)
            });
        (low, high)
    }

    /// The slot of a key.
    fn slot(low: u64, high: u32) -> usize {
        // Two rounds of multiplying, so that every byte of the text moves the top bits.
        let h = low.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let mixed = (h ^ (h >> 29) ^ u64::from(high)).wrapping_mul(0xc2b2_ae3d_27d4_eb4f);
        // The top bits, as many as `SLOTS` needs.
        (mixed >> (64 - Self::SLOTS.trailing_zeros())) as usize
    }

    #[cfg(test)]
    fn slot_of(&self, s: &str) -> usize {
        let (low, high) = Self::key(s.as_bytes());
        Self::slot(low, high)
    }
}

/// A column used as (part of) the stratum.
#[derive(Clone, Debug)]
struct StratumColumn {
    index: usize,
    normalise_type: bool,
}

/// Where the columns of a records file are, resolved once from its header.
#[derive(Clone, Debug)]
pub struct RecordLayout {
    file: String,
    headers: Vec<String>,
    /// Index of `record_id`.
    pub record_id: usize,
    /// Index of `unit_code`.
    pub unit_code: usize,
    /// Index of `applicant_id`.
    pub applicant_id: usize,
    /// Index of `returned_date`.
    pub returned_date: usize,
    applicant_type: Option<usize>,
    received_date: Option<usize>,
    due_date: Option<usize>,
    strata: Vec<StratumColumn>,
}

/// What the checks of one accepted row found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checked {
    /// The returned date, if any.
    pub returned: Option<NaiveDate>,
    /// The applicant type, if the column is present and filled.
    pub applicant_type: Option<ApplicantType>,
}

impl RecordLayout {
    /// Resolves the columns of a header. `strata` names the stratum columns (engine names,
    /// mapped through `map`, or any header of the file).
    pub fn new(
        file: &str,
        headers: &[String],
        map: &ColumnMap,
        strata: &[String],
    ) -> Result<RecordLayout> {
        map.check(file, headers, strata)?;
        let find = |name: &str| {
            let header = map.header(name);
            headers.iter().position(|h| crate::text::same(h, header))
        };
        let missing: Vec<String> = REQUIRED
            .iter()
            .filter(|c| find(c).is_none())
            .map(|c| map.header(c).to_string())
            .collect();
        if !missing.is_empty() {
            return Err(ErrorKind::MissingColumns {
                file: file.to_string(),
                missing,
                found: headers.to_vec(),
            }
            .into());
        }
        let applicant_type = find("applicant_type");
        let mut strata_cols = Vec::with_capacity(strata.len());
        for s in strata {
            let index = find(s).ok_or_else(|| {
                Error::design(
                    "design",
                    "[frame] strata",
                    format!(
                        "stratum column `{s}` is not in {file}; its columns are: {}",
                        headers.join(", ")
                    ),
                )
            })?;
            if let Some(p) = PERSONAL.iter().find(|p| find(p) == Some(index)) {
                return Err(Error::design(
                    "design",
                    "[frame] strata",
                    format!(
                        "stratum column `{s}` is the `{p}` column of {file}, which holds personal \
                         data: strata are published in the manifest; stratify by unit, applicant \
                         type, channel or another category"
                    ),
                ));
            }
            strata_cols.push(StratumColumn {
                index,
                normalise_type: Some(index) == applicant_type,
            });
        }
        Ok(RecordLayout {
            file: file.to_string(),
            headers: headers.to_vec(),
            record_id: find("record_id").expect("checked"),
            unit_code: find("unit_code").expect("checked"),
            applicant_id: find("applicant_id").expect("checked"),
            returned_date: find("returned_date").expect("checked"),
            applicant_type,
            received_date: find("received_date"),
            due_date: find("due_date"),
            strata: strata_cols,
        })
    }

    /// The header of the file.
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The index of the column named `name` (an engine name or a header), if present.
    pub fn find(&self, map: &ColumnMap, name: &str) -> Option<usize> {
        let header = map.header(name);
        self.headers
            .iter()
            .position(|h| crate::text::same(h, header))
    }

    /// How many stratum columns there are.
    pub fn strata_len(&self) -> usize {
        self.strata.len()
    }

    /// A problem at `column` of `row`.
    pub(crate) fn problem(
        &self,
        row: &Row<'_>,
        column: usize,
        reason: impl Into<String>,
    ) -> CellProblem {
        let header = self.headers.get(column).map_or("", String::as_str);
        // An applicant's identifier is personal: masked in messages and in rejected.csv.
        let value = if column == self.applicant_id {
            crate::error::mask(row.get(column))
        } else {
            row.get(column).to_string()
        };
        CellProblem::new(&self.file, row.number(), header, &value, reason)
    }

    /// The first check of a non-blank row: it has as many cells as the header. It comes before
    /// every other check (the duplicate `record_id` check included).
    pub(crate) fn check_shape(&self, row: &Row<'_>) -> std::result::Result<(), CellProblem> {
        if row.len() != self.headers.len() {
            let reason = format!(
                "the row has {} cells but the header has {}",
                row.len(),
                self.headers.len()
            );
            return Err(CellProblem::new(&self.file, row.number(), "", "", reason));
        }
        Ok(())
    }

    /// The checks of section 2 of `docs/draw-algorithm.md` after [`RecordLayout::check_shape`],
    /// other than the duplicate `record_id` check, which needs the whole file; the dates are
    /// read through `dates` (a pass over many rows keeps one).
    pub(crate) fn check_with(
        &self,
        row: &Row<'_>,
        dates: &mut DateMemo,
    ) -> std::result::Result<Checked, CellProblem> {
        self.check_by(row, |s| dates.parse(s))
    }

    fn check_by(
        &self,
        row: &Row<'_>,
        mut read_date: impl FnMut(&str) -> Option<NaiveDate>,
    ) -> std::result::Result<Checked, CellProblem> {
        if row.get(self.record_id).is_empty() {
            return Err(self.problem(row, self.record_id, "record_id is empty"));
        }
        if row.get(self.applicant_id).is_empty() {
            return Err(self.problem(row, self.applicant_id, "applicant_id is empty"));
        }
        for col in [self.record_id, self.applicant_id] {
            if let Some(reason) = not_an_identifier(row.get(col)) {
                return Err(self.problem(row, col, reason));
            }
        }
        let mut date = |col: usize| -> std::result::Result<Option<NaiveDate>, CellProblem> {
            let v = row.get(col);
            if v.is_empty() {
                return Ok(None);
            }
            read_date(v).map(Some).ok_or_else(|| {
                self.problem(row, col, "not a date: expected YYYY-MM-DD or DD/MM/YYYY")
            })
        };
        let returned = date(self.returned_date)?;
        for col in [self.received_date, self.due_date].into_iter().flatten() {
            date(col)?;
        }
        let applicant_type = match self.applicant_type {
            Some(col) if !row.get(col).is_empty() => {
                Some(ApplicantType::parse(row.get(col)).ok_or_else(|| {
                    self.problem(
                        row,
                        col,
                        "unknown applicant_type: expected citizen or organization",
                    )
                })?)
            }
            _ => None,
        };
        for s in &self.strata {
            let v = row.get(s.index);
            if v.is_empty() {
                return Err(self.problem(row, s.index, "stratum column is empty"));
            }
            if self.strata.len() > 1 && v.contains('|') {
                return Err(self.problem(
                    row,
                    s.index,
                    "contains `|`, which joins the values of a stratum in its label: with \
                     several stratum columns two strata could get the same label",
                ));
            }
        }
        Ok(Checked {
            returned,
            applicant_type,
        })
    }

    /// The stratum value in column position `i` (in the design's order) of an accepted row.
    pub(crate) fn stratum_value<'r>(
        &self,
        row: &Row<'r>,
        checked: &Checked,
        i: usize,
    ) -> std::borrow::Cow<'r, str> {
        let s = &self.strata[i];
        match (s.normalise_type, checked.applicant_type) {
            (true, Some(t)) => std::borrow::Cow::Borrowed(t.as_str()),
            // In NFC, so that a unit written in either Unicode form is one stratum.
            _ => crate::text::nfc(row.get(s.index)),
        }
    }

    /// Writes an unambiguous key of the stratum of an accepted row into `key`.
    pub(crate) fn stratum_key(&self, row: &Row<'_>, checked: &Checked, key: &mut String) {
        key.clear();
        for i in 0..self.strata.len() {
            let v = self.stratum_value(row, checked, i);
            // Length-prefixed, so that no choice of values can make two strata collide.
            key.push_str(itoa::Buffer::new().format(v.len()));
            key.push(':');
            key.push_str(&v);
        }
    }

    /// The stratum values of an accepted row.
    pub(crate) fn stratum_values(&self, row: &Row<'_>, checked: &Checked) -> Vec<String> {
        (0..self.strata.len())
            .map(|i| self.stratum_value(row, checked, i).into_owned())
            .collect()
    }
}

/// The 128-bit XXH3 hash by which a `record_id` is compared with the others: two different
/// ids share one with a probability of about `rows² / 2^129` (10^-25 for ten million rows).
pub fn id_hash(record_id: &str) -> u128 {
    xxh3_128(record_id.as_bytes())
}

/// The first pass of the duplicate-`record_id` rule (`docs/draw-algorithm.md` §2: every copy
/// of an id that occurs more than once is rejected, wherever the copies stand): the hashes of
/// the ids, appended as the rows go by (on the parsing thread: appending costs less than a
/// set's insert, whose table outgrows the caches) and sorted at the end.
#[derive(Debug, Default)]
pub(crate) struct IdHashes {
    hashes: Vec<u128>,
}

impl IdHashes {
    /// Notes the id hash `h` of `row`. After 4,096 rows the list is sized for the whole file,
    /// from its length in bytes (`byte_len`, if known) and the bytes per row so far, so that
    /// it is not copied as it grows.
    pub(crate) fn note(&mut self, h: u128, row: &Row<'_>, byte_len: Option<u64>) {
        if self.hashes.len() == 4096
            && let Some(len) = byte_len
        {
            let per_row = (row.locator() / 4096).max(1);
            self.hashes
                .reserve((len / per_row + len / per_row / 8) as usize);
        }
        self.hashes.push(h);
    }

    /// The hashes noted more than once: each half of the list sorted on its own thread, then
    /// the halves merged in one walk.
    pub fn duplicated(mut self) -> FxHashSet<u128> {
        let half = self.hashes.len() / 2;
        let (a, b) = self.hashes.split_at_mut(half);
        std::thread::scope(|scope| {
            scope.spawn(|| a.sort_unstable());
            b.sort_unstable();
        });
        let mut found = FxHashSet::default();
        let (mut i, mut j) = (0, 0);
        let mut last: Option<u128> = None;
        while i < a.len() || j < b.len() {
            let next = if j == b.len() || (i < a.len() && a[i] <= b[j]) {
                i += 1;
                a[i - 1]
            } else {
                j += 1;
                b[j - 1]
            };
            if last == Some(next) {
                found.insert(next);
            }
            last = Some(next);
        }
        found
    }
}

/// The second pass of the duplicate-`record_id` rule: rejects every copy of the duplicated
/// ids, saying of the first that the id comes again and of the others where the first is.
#[derive(Debug)]
pub(crate) struct DuplicateCopies<'a> {
    duplicated: &'a FxHashSet<u128>,
    first_rows: FxHashMap<u128, u64>,
}

impl<'a> DuplicateCopies<'a> {
    /// The rule for the ids whose hashes are `duplicated` ([`IdHashes::duplicated`]).
    pub fn new(duplicated: &'a FxHashSet<u128>) -> DuplicateCopies<'a> {
        DuplicateCopies {
            duplicated,
            first_rows: FxHashMap::default(),
        }
    }

    /// The rejection of `row`, whose id hashes to `h`, if that id is duplicated.
    pub(crate) fn reject(
        &mut self,
        layout: &RecordLayout,
        row: &Row<'_>,
        h: u128,
    ) -> Option<CellProblem> {
        if !self.duplicated.contains(&h) {
            return None;
        }
        let reason = match self.first_rows.entry(h) {
            Entry::Vacant(v) => {
                v.insert(row.number());
                "record_id comes again later in the file: every copy is rejected".to_string()
            }
            Entry::Occupied(o) => format!(
                "record_id already on row {}: every copy is rejected",
                o.get()
            ),
        };
        Some(layout.problem(row, layout.record_id, reason))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_are_found_within_and_across_the_halves() {
        let naive = |ids: &[u128]| -> FxHashSet<u128> {
            let mut count: FxHashMap<u128, u32> = FxHashMap::default();
            for &i in ids {
                *count.entry(i).or_default() += 1;
            }
            count
                .into_iter()
                .filter(|&(_, n)| n > 1)
                .map(|(i, _)| i)
                .collect()
        };
        let cases: Vec<Vec<u128>> = vec![
            vec![],
            vec![7],
            vec![7, 7],
            vec![1, 2, 3, 4],
            vec![5, 1, 5, 2],
            vec![1, 2, 3, 1],
            vec![9, 3, 9, 9, 3, 4, 8],
            (0..1000).map(|i| (i * 7919 % 613) as u128).collect(),
        ];
        for ids in cases {
            let list = IdHashes {
                hashes: ids.clone(),
            };
            assert_eq!(list.duplicated(), naive(&ids), "{ids:?}");
        }
    }

    #[test]
    fn dates_in_both_forms_and_nothing_else() {
        let d = NaiveDate::from_ymd_opt(2024, 3, 5);
        for ok in [
            "2024-03-05",
            "05/03/2024",
            "5/3/2024",
            "2024-03-05T08:00",
            "05/03/2024 08:00:00",
        ] {
            assert_eq!(parse_date(ok), d, "{ok}");
        }
        for bad in [
            "",
            "2024-3-5",
            "2024-03-5",
            "24-03-05",
            "2024/03/05",
            "05-03-2024",
            "05/03/24",
            "005/03/2024",
            "2024-02-30",
            "31/04/2024",
            "2024-03-05x",
            "x2024-03-05",
            "05/03/2024/1",
            "+024-03-05",
            "٢٠٢٤-03-05",
        ] {
            assert_eq!(parse_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn remembered_dates_are_the_dates() {
        let mut memo = DateMemo::default();
        let texts = [
            "2024-03-05",
            "05/03/2024",
            "5/3/2024",
            "2024-02-30",
            "x",
            "",
            "2024-03-05 08:00:00",
            "31/12/2023",
            // Texts that differ only in their length or their last bytes.
            "1/1/2024",
            "01/1/2024",
            "1/1/2024\0",
            "2024-03-05\0",
            "2024-3-5",
            "12/12/20244",
            "12/12/20245",
        ];
        for _ in 0..3 {
            for t in texts {
                assert_eq!(memo.parse(t), parse_date(t), "{t:?}");
            }
        }
        // Three years of dates, as both forms write them, spread over the table (a poor hash
        // would make dates a few days or months apart share slots, and be parsed again and
        // again).
        let mut slots = std::collections::HashSet::new();
        let mut n = 0;
        let mut day = NaiveDate::from_ymd_opt(2023, 1, 1).unwrap();
        while day < NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() {
            for text in [
                day.format("%Y-%m-%d").to_string(),
                day.format("%d/%m/%Y").to_string(),
            ] {
                memo.parse(&text);
                slots.insert(memo.slot_of(&text));
                n += 1;
            }
            day = day.succ_opt().unwrap();
        }
        // A random function would fill about 4096 (1 - e^(-n/4096)) slots: 1,678 for 2,192
        // texts.
        assert!(slots.len() > 1_600, "{} slots for {n} dates", slots.len());
        // Many distinct texts through the same small table: each answer still its own.
        for d in 0..5000u32 {
            let t = format!("{}/{}/20{:02}", 1 + d % 28, 1 + d % 12, d % 100);
            assert_eq!(memo.parse(&t), parse_date(&t), "{t:?}");
        }
    }

    #[test]
    fn applicant_types_normalise() {
        assert_eq!(
            ApplicantType::parse("Cá nhân"),
            Some(ApplicantType::Citizen)
        );
        assert_eq!(
            ApplicantType::parse("ORGANISATION"),
            Some(ApplicantType::Organization)
        );
        assert_eq!(ApplicantType::parse("company"), None);
    }

    #[test]
    fn spreadsheet_texts_are_not_identifiers_in_any_letter_case() {
        for id in [
            "TRUE", "False", "false", "#N/A", "#ref!", "A\u{0}1", "x\u{7f}",
        ] {
            assert!(not_an_identifier(id).is_some(), "{id:?}");
        }
        assert!(not_an_identifier("TRUE").unwrap().contains("boolean"));
        // Only the whole text: an identifier may contain the words.
        for id in ["TRUE1", "FALSEHOOD", "N/A", "TRUÉ", "079201001234"] {
            assert_eq!(not_an_identifier(id), None, "{id:?}");
        }
    }

    #[test]
    fn column_maps_parse_and_refuse_nonsense() {
        let m = ColumnMap::parse("record_id=MaHoSo, unit_code = MaDV").unwrap();
        assert_eq!(m.header("record_id"), "MaHoSo");
        assert_eq!(m.header("phone"), "phone");
        assert!(ColumnMap::parse("record_id").is_err());
        assert!(ColumnMap::parse("a=b,a=c").is_err());
        // Given more than once; a header that holds a comma is one pair of its own.
        let m =
            ColumnMap::parse_all(&["record_id=MaHoSo,unit_code=MaDV", "applicant_name=Họ, tên"])
                .unwrap();
        assert_eq!(m.header("applicant_name"), "Họ, tên");
        assert_eq!(m.header("unit_code"), "MaDV");
        assert!(ColumnMap::parse_all(&["a=b", "a=c"]).is_err());
    }
}
