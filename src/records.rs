//! Transaction records (hồ sơ) from the one-stop software: which columns mean what, and the
//! checks that accept or reject one row.
//!
//! The column names are those of `docs/contract.md`; an export that names them differently is read
//! through a [`ColumnMap`]. Unknown columns are kept (they may be stratum columns), never
//! refused.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{NaiveDate, NaiveTime};
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
        self.check_against(file, headers, known, || {
            format!(
                "a column chiso reads from a records file (those are {} and the design's strata)",
                known_names().join(", ")
            )
        })
    }

    /// [`ColumnMap::check`] for a command that reads the named columns `known` of `table`
    /// (`what` says what the file is, for the message: "the responses").
    pub fn check_table(
        &self,
        table: &crate::table::Table,
        known: &[&str],
        what: &str,
    ) -> Result<()> {
        self.check_against(
            table.name(),
            table.headers(),
            |name| known.contains(&name),
            || {
                format!(
                    "a column chiso reads from {what} (those are {})",
                    known.join(", ")
                )
            },
        )
    }

    fn check_against(
        &self,
        file: &str,
        headers: &[String],
        known: impl Fn(&str) -> bool,
        expected: impl Fn() -> String,
    ) -> Result<()> {
        let mut used: BTreeMap<&str, &str> = BTreeMap::new();
        for (name, header) in &self.0 {
            let pair = format!("{name}={header}");
            if !known(name) {
                return Err(Error::setting(
                    "columns",
                    pair,
                    format!("`{name}` is not {}", expected()),
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

    /// The column of `table` that holds `name`: the one headed by its mapped header, or by
    /// its own name when it is not mapped.
    pub fn column_in(&self, table: &crate::table::Table, name: &str) -> Option<usize> {
        table.column(self.header(name))
    }

    /// The columns of `table` holding `names`, each by its header ([`ColumnMap::column_in`]),
    /// or the error naming the headers missing.
    pub fn require_in(&self, table: &crate::table::Table, names: &[&str]) -> Result<Vec<usize>> {
        let headers: Vec<&str> = names.iter().map(|n| self.header(n)).collect();
        table.require(&headers)
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
    /// Reads the default spellings ([`ApplicantTypes::default`]); `None` if it is none of
    /// them.
    pub fn parse(s: &str) -> Option<ApplicantType> {
        static DEFAULTS: std::sync::LazyLock<ApplicantTypes> =
            std::sync::LazyLock::new(ApplicantTypes::default);
        DEFAULTS.parse(s)
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

/// The spellings of the applicant types that a design without `[applicant_types]` reads
/// (`docs/contract.md` §4), besides the canonical `citizen` and `organization`: English and
/// unaccented forms, and what Vietnamese offices write. A household business (hộ kinh doanh)
/// is registered by a person or a household and has no legal personality: read as a
/// citizen (a design may list it under `organization`).
pub const DEFAULT_CITIZEN: [&str; 9] = [
    "individual",
    "person",
    "ca_nhan",
    "canhan",
    "cá nhân",
    "công dân",
    "người dân",
    "hộ gia đình",
    "hộ kinh doanh",
];

/// The spellings read as `organization` by default ([`DEFAULT_CITIZEN`]).
pub const DEFAULT_ORGANIZATION: [&str; 11] = [
    "organisation",
    "org",
    "to_chuc",
    "tochuc",
    "tổ chức",
    "doanh nghiệp",
    "công ty",
    "hợp tác xã",
    "cơ quan",
    "cơ quan nhà nước",
    "đơn vị sự nghiệp",
];

/// How the `applicant_type` cells are read: each spelling, after [`crate::text::fold`]
/// (NFC, trimmed, spacing, lower case), to its type. The canonical `citizen` and
/// `organization` are always read; the other spellings are a design's `[applicant_types]`,
/// or [`DEFAULT_CITIZEN`] and [`DEFAULT_ORGANIZATION`].
///
/// ```
/// use chiso::records::{ApplicantType, ApplicantTypes};
/// let types = ApplicantTypes::default();
/// assert_eq!(types.parse("  CÔNG  dân"), Some(ApplicantType::Citizen));
/// assert_eq!(types.parse("Doanh nghiệp"), Some(ApplicantType::Organization));
/// let mine = ApplicantTypes::new(&["Cá nhân"], &["Hộ kinh doanh"]).unwrap();
/// assert_eq!(mine.parse("hộ kinh doanh"), Some(ApplicantType::Organization));
/// assert_eq!(mine.parse("Công dân"), None);
/// assert!(ApplicantTypes::new(&["Tổ chức"], &["TỔ CHỨC"]).is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApplicantTypes {
    by_fold: FxHashMap<String, ApplicantType>,
}

impl Default for ApplicantTypes {
    fn default() -> ApplicantTypes {
        ApplicantTypes::new(&DEFAULT_CITIZEN, &DEFAULT_ORGANIZATION).expect("distinct defaults")
    }
}

impl ApplicantTypes {
    /// The spellings `citizen` and `organization` read as each type (besides the canonical
    /// words). Refused, with the reason: an empty spelling, or one that is in both lists
    /// once folded (the canonical word of the other type included).
    pub fn new<S: AsRef<str>>(
        citizen: &[S],
        organization: &[S],
    ) -> std::result::Result<ApplicantTypes, String> {
        let both = [
            (ApplicantType::Citizen, citizen),
            (ApplicantType::Organization, organization),
        ];
        // The canonical words first, so that one listed under the other type is refused.
        let mut by_fold: FxHashMap<String, ApplicantType> = both
            .iter()
            .map(|&(t, _)| (t.as_str().to_string(), t))
            .collect();
        for (t, list) in both {
            for s in list {
                let s = s.as_ref();
                let folded = crate::text::fold(s);
                if folded.is_empty() {
                    return Err(format!("an empty spelling in `{t}`"));
                }
                match by_fold.insert(folded.into_owned(), t) {
                    Some(other) if other != t => {
                        return Err(format!(
                            "{s:?} is in both `citizen` and `organization` (spellings are \
                             compared after Unicode NFC, spacing and letter case)"
                        ));
                    }
                    _ => {}
                }
            }
        }
        Ok(ApplicantTypes { by_fold })
    }

    /// The type `s` is a spelling of, if any.
    pub fn parse(&self, s: &str) -> Option<ApplicantType> {
        match s {
            "citizen" => return Some(ApplicantType::Citizen),
            "organization" => return Some(ApplicantType::Organization),
            _ => {}
        }
        self.by_fold.get(crate::text::fold(s).as_ref()).copied()
    }
}

/// A date with the time of day written with it, if any: what a date cell of the records holds
/// ([`parse_stamp`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Stamp {
    /// The day.
    pub date: NaiveDate,
    /// The time of day, when the cell has one.
    pub time: Option<NaiveTime>,
}

/// The forms of a date, for messages.
pub const DATE_FORMS: &str = "a date such as 2025-03-15, 15/03/2025, 15-03-2025 or 15.03.2025, \
                              optionally with a time such as 17:30";

/// Parses a date with its time of day, if any (`docs/draw-algorithm.md` §2):
///
/// - the date `YYYY-MM-DD`, or `DD/MM/YYYY`, `DD-MM-YYYY` or `DD.MM.YYYY` (day and month of
///   one or two digits, the same separator twice);
/// - optionally a time of day `H:MM`, `H:MM:SS` or `H:MM:SS.fraction` (24-hour, the hour of
///   one or two digits, up to nine digits of a fraction of a second) after the date and one
///   space (or a `T`, after `YYYY-MM-DD` only, as ISO 8601 writes it), or before the date and
///   one space (`17:30 15/03/2025`, as some one-stop software writes it).
///
/// Digits are ASCII digits. Nothing else is a date: not `24:00`, not a minute or second of 60,
/// not a time zone, not two spaces.
///
/// ```
/// use chiso::records::parse_stamp;
/// let s = parse_stamp("17:30 15/03/2025").unwrap();
/// assert_eq!(s, parse_stamp("2025-03-15T17:30:00").unwrap());
/// assert_eq!(s.time.unwrap().to_string(), "17:30:00");
/// assert_eq!(parse_stamp("15.03.2025").unwrap().time, None);
/// assert!(parse_stamp("2025-03-15 24:00").is_none());
/// ```
pub fn parse_stamp(s: &str) -> Option<Stamp> {
    stamp_of(s.as_bytes())
}

/// [`parse_stamp`] of the bytes of a text.
fn stamp_of(b: &[u8]) -> Option<Stamp> {
    let (date, time) = split_stamp(b)?;
    let time = match time {
        Some(t) => Some(parse_time(t)?),
        None => None,
    };
    Some(Stamp {
        date: parse_day(date)?,
        time,
    })
}

/// Parses a date of [`parse_stamp`]'s forms and keeps its day: a time of day, if any, is
/// checked and dropped.
///
/// ```
/// use chiso::records::parse_date;
/// assert_eq!(parse_date("2024-09-30"), parse_date("30/9/2024"));
/// assert_eq!(parse_date("30-09-2024"), parse_date("30.09.2024"));
/// assert_eq!(parse_date("2024-09-30 14:05:00"), parse_date("2024-09-30"));
/// assert!(parse_date("2024-02-30").is_none());
/// assert!(parse_date("2024-09-30 25:00").is_none());
/// ```
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    parse_stamp(s).map(|s| s.date)
}

/// The date part and the time part of a date text, by the first space or `T`.
fn split_stamp(b: &[u8]) -> Option<(&[u8], Option<&[u8]>)> {
    let Some(at) = b.iter().position(|&c| c == b' ' || c == b'T') else {
        return Some((b, None));
    };
    let (left, right) = (&b[..at], &b[at + 1..]);
    if b[at] == b'T' {
        // Only after YYYY-MM-DD.
        let iso = left.len() == 10 && left[4] == b'-' && left[7] == b'-';
        iso.then_some((left, Some(right)))
    } else if left.contains(&b':') {
        Some((right, Some(left)))
    } else {
        Some((left, Some(right)))
    }
}

/// The number written by the ASCII digits `p`, of `min` to `max` of them.
fn digits(p: &[u8], min: usize, max: usize) -> Option<u32> {
    if !(min..=max).contains(&p.len()) {
        return None;
    }
    p.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

/// The day of a date part: `YYYY-MM-DD`, `D/M/YYYY`, `D-M-YYYY` or `D.M.YYYY`.
fn parse_day(d: &[u8]) -> Option<NaiveDate> {
    // Byte-level: this runs three times per record (less the texts a `DateMemo` remembers).
    let (y, m, day) = if d.len() == 10 && d[4] == b'-' && d[7] == b'-' {
        (
            digits(&d[..4], 4, 4)?,
            digits(&d[5..7], 2, 2)?,
            digits(&d[8..], 2, 2)?,
        )
    } else {
        let sep = *d.iter().find(|c| !c.is_ascii_digit())?;
        if !matches!(sep, b'/' | b'-' | b'.') {
            return None;
        }
        let mut parts = d.split(|&c| c == sep);
        let (day, m, y) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        (digits(y, 4, 4)?, digits(m, 1, 2)?, digits(day, 1, 2)?)
    };
    NaiveDate::from_ymd_opt(y as i32, m, day)
}

/// A time of day `H:MM`, `H:MM:SS` or `H:MM:SS.fraction`, 24-hour.
fn parse_time(t: &[u8]) -> Option<NaiveTime> {
    let (hms, fraction) = match t.iter().position(|&c| c == b'.') {
        Some(at) => (&t[..at], Some(&t[at + 1..])),
        None => (t, None),
    };
    let mut parts = hms.split(|&c| c == b':');
    let (h, m, s) = (parts.next()?, parts.next()?, parts.next());
    if parts.next().is_some() || (fraction.is_some() && s.is_none()) {
        return None;
    }
    let (h, m) = (digits(h, 1, 2)?, digits(m, 2, 2)?);
    let s = s.map_or(Some(0), |s| digits(s, 2, 2))?;
    let nanos = match fraction {
        Some(f) => digits(f, 1, 9)? * 10u32.pow(9 - f.len() as u32),
        None => 0,
    };
    if h > 23 || m > 59 || s > 59 {
        return None;
    }
    NaiveTime::from_hms_nano_opt(h, m, s, nanos)
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
    /// Texts longer than this (dates with a time of day) are split, and their date part
    /// remembered.
    const KEY: usize = 11;
    /// A power of two.
    const SLOTS: usize = 4096;

    /// [`parse_date`] of `s`.
    pub fn parse(&mut self, s: &str) -> Option<NaiveDate> {
        let b = s.as_bytes();
        if b.len() > Self::KEY {
            return self.stamp(s).map(|s| s.date);
        }
        self.day(b)
    }

    /// [`parse_stamp`] of `s`: its date part through the memo, a time of day read each time.
    pub fn stamp(&mut self, s: &str) -> Option<Stamp> {
        let b = s.as_bytes();
        if b.len() <= Self::KEY {
            // Too short for a date with a time of day (13 bytes at the least).
            return self.day(b).map(|date| Stamp { date, time: None });
        }
        let (date, time) = split_stamp(b)?;
        let time = match time {
            Some(t) => Some(parse_time(t)?),
            None => None,
        };
        if date.len() > Self::KEY {
            return None;
        }
        Some(Stamp {
            date: self.day(date)?,
            time,
        })
    }

    /// The date that the text `b`, of at most [`DateMemo::KEY`] bytes, reads as: one without
    /// a time of day, since a time does not fit in so few bytes.
    fn day(&mut self, b: &[u8]) -> Option<NaiveDate> {
        if b.is_empty() {
            return None;
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
        let date = stamp_of(b).map(|s| s.date);
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
    /// `types` reads the `applicant_type` cells.
    pub(crate) fn check_with(
        &self,
        row: &Row<'_>,
        dates: &mut DateMemo,
        types: &ApplicantTypes,
    ) -> std::result::Result<Checked, CellProblem> {
        self.check_by(row, |s| dates.parse(s), types)
    }

    fn check_by(
        &self,
        row: &Row<'_>,
        mut read_date: impl FnMut(&str) -> Option<NaiveDate>,
        types: &ApplicantTypes,
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
            read_date(v)
                .map(Some)
                .ok_or_else(|| self.problem(row, col, format!("not a date: expected {DATE_FORMS}")))
        };
        let returned = date(self.returned_date)?;
        for col in [self.received_date, self.due_date].into_iter().flatten() {
            date(col)?;
        }
        let applicant_type = match self.applicant_type {
            Some(col) if !row.get(col).is_empty() => {
                Some(types.parse(row.get(col)).ok_or_else(|| {
                    self.problem(
                        row,
                        col,
                        "unknown applicant_type: expected citizen or organization, or a \
                         spelling of one ([applicant_types] of the design)",
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
    fn dates_in_their_forms_and_nothing_else() {
        let d = NaiveDate::from_ymd_opt(2024, 3, 5);
        for ok in [
            "2024-03-05",
            "05/03/2024",
            "5/3/2024",
            "05-03-2024",
            "5-3-2024",
            "05.03.2024",
            "5.3.2024",
            "2024-03-05T08:00",
            "05/03/2024 08:00:00",
            "05.03.2024 8:00",
            "8:00 05-03-2024",
            "17:30:59 2024-03-05",
            "2024-03-05 17:30:00.000",
            "2024-03-05T17:30:00.123456789",
            "2024-03-05 0:00",
            "2024-03-05 23:59:59",
        ] {
            assert_eq!(parse_date(ok), d, "{ok}");
        }
        for bad in [
            "",
            "2024-3-5",
            "2024-03-5",
            "24-03-05",
            "2024/03/05",
            "2024.03.05",
            "05/03-2024",
            "05.03/2024",
            "05-03.2024",
            "05/03/24",
            "05,03,2024",
            "05 03 2024",
            // Times that are not times of day, or not written as one.
            "2024-03-05 24:00",
            "2024-03-05 23:60",
            "2024-03-05 23:59:60",
            "2024-03-05 123:00",
            "2024-03-05 08:0",
            "2024-03-05 08",
            "2024-03-05 08:00:0",
            "2024-03-05 08:00.5",
            "2024-03-05 08:00:00.",
            "2024-03-05 08:00:00.1234567890",
            "2024-03-05 08:00:00:00",
            "2024-03-05 08:00 ",
            "2024-03-05  08:00",
            "2024-03-05 08:00Z",
            "2024-03-05T08:00+07:00",
            "2024-03-05 8h30",
            "2024-03-05 08:00 SA",
            "2024-03-05T",
            "2024-03-05 ",
            "05/03/2024T08:00",
            "08:00T2024-03-05",
            "08:00 2024-03-05 09:00",
            "08:00 2024-03-05T09:00",
            "08:00",
            "005/03/2024",
            "2024-02-30",
            "31/04/2024",
            "2024-03-05x",
            "x2024-03-05",
            "05/03/2024/1",
            "+024-03-05",
            "٢٠٢٤-03-05",
            "2024-03-05 ٠٨:00",
        ] {
            assert_eq!(parse_date(bad), None, "{bad:?}");
            assert_eq!(parse_stamp(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_time_of_day_is_kept_with_its_date() {
        let t = |h, m, s, n| Some(NaiveTime::from_hms_nano_opt(h, m, s, n).unwrap());
        let d = NaiveDate::from_ymd_opt(2025, 3, 15).unwrap();
        for (text, time) in [
            ("2025-03-15", None),
            ("15.03.2025", None),
            ("2025-03-15 17:30", t(17, 30, 0, 0)),
            ("2025-03-15T17:30:05", t(17, 30, 5, 0)),
            ("15/03/2025 7:05", t(7, 5, 0, 0)),
            ("17:30 15/03/2025", t(17, 30, 0, 0)),
            ("2025-03-15 17:30:00.25", t(17, 30, 0, 250_000_000)),
            ("15-3-2025 00:00:00", t(0, 0, 0, 0)),
        ] {
            assert_eq!(parse_stamp(text), Some(Stamp { date: d, time }), "{text}");
        }
    }

    #[test]
    fn remembered_dates_are_the_dates() {
        let mut memo = DateMemo::default();
        let texts = [
            "2024-03-05",
            "05/03/2024",
            "5/3/2024",
            "05-03-2024",
            "5.3.2024",
            "2024-03-05T17:30",
            "17:30 05/03/2024",
            "17:30 05/03/2024x",
            "24:00 05/03/2024",
            "2024-03-05 24:00",
            "2024-03-05 17:30:00.000",
            "2024-03-05 17:30:00.000000000000",
            "2024-03-05T",
            "2024-03-0517:30 5",
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
                assert_eq!(memo.stamp(t), parse_stamp(t), "{t:?}");
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
            let sep = ["-", ".", "/"][d as usize % 3];
            let t = format!(
                "{}{sep}{}{sep}20{:02} {}:{:02}",
                1 + d % 31,
                1 + d % 13,
                d % 100,
                d % 25,
                d % 61
            );
            assert_eq!(memo.stamp(&t), parse_stamp(&t), "{t:?}");
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
        // What offices write, in any case, spacing and Unicode form.
        let nfd = "Ca\u{0301} nha\u{0302}n"; // "Cá nhân" decomposed
        for (text, t) in [
            ("Công dân", ApplicantType::Citizen),
            (" HỘ  KINH DOANH ", ApplicantType::Citizen),
            (nfd, ApplicantType::Citizen),
            ("Doanh nghiệp", ApplicantType::Organization),
            ("Hợp tác xã", ApplicantType::Organization),
            ("CƠ QUAN NHÀ NƯỚC", ApplicantType::Organization),
            ("Tổ\u{a0}chức", ApplicantType::Organization),
        ] {
            assert_eq!(ApplicantType::parse(text), Some(t), "{text:?}");
        }
        for (t, list) in [
            (ApplicantType::Citizen, &DEFAULT_CITIZEN[..]),
            (ApplicantType::Organization, &DEFAULT_ORGANIZATION[..]),
        ] {
            for s in list {
                assert_eq!(ApplicantType::parse(s), Some(t), "{s}");
                // Every default is written folded.
                assert_eq!(crate::text::fold(s), *s);
            }
        }
    }

    #[test]
    fn applicant_types_of_a_design_replace_the_defaults() {
        let types = ApplicantTypes::new(&["Công dân"], &["Hộ kinh doanh", "Doanh nghiệp"]).unwrap();
        assert_eq!(
            types.parse("hộ kinh doanh"),
            Some(ApplicantType::Organization)
        );
        assert_eq!(types.parse("CÔNG DÂN"), Some(ApplicantType::Citizen));
        // The canonical words always; the defaults not.
        assert_eq!(
            types.parse("Organization"),
            Some(ApplicantType::Organization)
        );
        assert_eq!(types.parse("citizen"), Some(ApplicantType::Citizen));
        assert_eq!(types.parse("Cá nhân"), None);
        // One spelling for both types, once folded; a canonical word under the other type; an
        // empty spelling.
        let none: [&str; 0] = [];
        for (citizen, organization) in [
            (&["Tổ chức"][..], &[" tổ  CHỨC"][..]),
            (&["organization"][..], &none[..]),
            (&none[..], &["Citizen"][..]),
            (&["  "][..], &none[..]),
        ] {
            assert!(
                ApplicantTypes::new(citizen, organization).is_err(),
                "{citizen:?} {organization:?}"
            );
        }
        // The same spelling twice in one list is no conflict.
        assert!(ApplicantTypes::new(&["Cá nhân", "cá nhân"], &none).is_ok());
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
