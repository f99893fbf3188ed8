//! Timeliness from the records themselves: the shares of records returned early (trước hạn),
//! on time (đúng hạn) and late (trễ hạn), for the whole file, every unit and every officer.
//!
//! These are counts of the whole population of records, not estimates: there is no sampling
//! error. A record is
//!
//! - **early** when it is returned on a day before the day of its `due_date`,
//! - **on time** when it is returned on the due day, by the due time,
//! - **late** when it is returned after the due day, or on the due day after the due time.
//!
//! A time of day counts where both dates have one: returned at 17:30 on a day due at 16:00 is
//! late, at 15:00 on time. A due date without a time means the end of its day (returned at
//! any time that day is on time); a returned date without a time, on a day due at a time, is
//! on time (the day is all it says). Early is a matter of days: returned at 09:00 on a day due
//! at 16:00 is on time, not early ([`classify`]). A record without
//! a returned date (not yet returned) or without a due date cannot be classified: it is counted
//! in `not_returned` or `no_due_date` of its unit and officer, and left out of the shares'
//! denominator `records`, never dropped silently. With a design, only records returned inside
//! its window count (records not returned are still counted as such); the others are counted
//! as outside the window.
//!
//! Rows are checked as `chiso sample` checks them (section 2 of `docs/draw-algorithm.md`: a
//! date that is not a date, an empty id, a row of the wrong length) plus an empty `unit_code`;
//! every copy of a duplicated `record_id` is rejected. Rejected rows are listed with their
//! reasons in `timeliness_rejected.csv`.
//!
//! A unit or officer whose late share is above the ceiling (2% by default: the Hoài Thanh plan
//! keeps late records "không quá 2%") is marked `above_ceiling`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use rustc_hash::FxHashSet;
use serde::Serialize;

use crate::error::{CellProblem, Error, Result};
use crate::output::Staged;
use crate::records::{
    ApplicantTypes, ColumnMap, DateMemo, DuplicateCopies, IdHashes, RecordLayout, Stamp, id_hash,
};
use crate::table::{Row, Table};

pub use crate::files::timeliness::{Tally, TimelinessRow};

/// Settings of a timeliness run.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct TimelinessSettings {
    /// Largest acceptable share of late records, in percent.
    pub late_ceiling_pct: f64,
}

impl Default for TimelinessSettings {
    fn default() -> TimelinessSettings {
        TimelinessSettings {
            late_ceiling_pct: 2.0,
        }
    }
}

impl TimelinessSettings {
    /// Validated settings: a ceiling from 0 to 100.
    pub fn new(late_ceiling_pct: f64) -> Result<TimelinessSettings> {
        if !(0.0..=100.0).contains(&late_ceiling_pct) {
            return Err(Error::setting(
                "late_ceiling",
                late_ceiling_pct,
                "expected a percentage from 0 to 100, such as 2",
            ));
        }
        Ok(TimelinessSettings { late_ceiling_pct })
    }
}

/// Whether a record returned at `returned` and due at `due` is early (`Less`), on time
/// (`Equal`) or late (`Greater`), by the rules of the module documentation.
///
/// ```
/// use std::cmp::Ordering::{Equal, Greater, Less};
/// use chiso::records::parse_stamp;
/// use chiso::timeliness::classify;
/// let at = |r: &str, d: &str| classify(parse_stamp(r).unwrap(), parse_stamp(d).unwrap());
/// assert_eq!(at("2025-03-15 17:30", "2025-03-15 16:00"), Greater);
/// assert_eq!(at("2025-03-15 15:00", "2025-03-15 16:00"), Equal);
/// assert_eq!(at("2025-03-15 23:59", "15/03/2025"), Equal); // due: the end of the day
/// assert_eq!(at("15/03/2025", "2025-03-15 16:00"), Equal); // returned: the day only
/// assert_eq!(at("2025-03-14 18:00", "2025-03-15 08:00"), Less);
/// assert_eq!(at("2025-03-16 07:00", "15/03/2025"), Greater);
/// ```
pub fn classify(returned: Stamp, due: Stamp) -> std::cmp::Ordering {
    use std::cmp::Ordering::{Equal, Greater};
    match returned.date.cmp(&due.date) {
        Equal => match (returned.time, due.time) {
            (Some(r), Some(d)) if r > d => Greater,
            _ => Equal,
        },
        other => other,
    }
}

impl Tally {
    fn add(&mut self, returned: Option<Stamp>, due: Option<Stamp>) {
        match (returned, due) {
            (None, _) => self.not_returned += 1,
            (Some(_), None) => self.no_due_date += 1,
            (Some(r), Some(d)) => {
                self.records += 1;
                match classify(r, d) {
                    std::cmp::Ordering::Less => self.early += 1,
                    std::cmp::Ordering::Equal => self.on_time += 1,
                    std::cmp::Ordering::Greater => self.late += 1,
                }
            }
        }
    }

    /// `100 · part / records`, `None` when no record is classified.
    pub fn pct(&self, part: u64) -> Option<f64> {
        (self.records > 0).then(|| 100.0 * part as f64 / self.records as f64)
    }
}

/// What happened to the rows of the records file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RowCounts {
    /// Data rows read (blank rows excluded).
    pub rows: u64,
    /// Blank rows skipped.
    pub blank: u64,
    /// Rows rejected (listed in `timeliness_rejected.csv`).
    pub rejected: u64,
    /// Accepted rows returned outside the design's window: not counted.
    pub outside_window: u64,
}

/// The result of a timeliness run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Timeliness {
    /// The settings.
    pub settings: TimelinessSettings,
    /// The window applied, if any.
    pub window: Option<(NaiveDate, NaiveDate)>,
    /// Row counts.
    pub counts: RowCounts,
    /// `ALL`, then units by code, then officers by unit and id.
    pub rows: Vec<TimelinessRow>,
    /// Rejected rows, in row order.
    #[serde(skip)]
    pub rejections: Vec<CellProblem>,
    /// Per unit, per day: the records received that day (`received_date`, or the returned
    /// day when the records have no received date), for the coverage of a continuous survey
    /// (`index --period --records`).
    #[serde(skip)]
    pub received: BTreeMap<String, BTreeMap<NaiveDate, u64>>,
}

/// What the parsing thread finds out about an accepted row.
struct Prepared {
    returned: Option<Stamp>,
    due: Option<Stamp>,
    received: Option<NaiveDate>,
    id_hash: u128,
}

#[derive(Default)]
struct Pass {
    counts: RowCounts,
    all: Tally,
    /// Per unit: its tally and its officers' tallies.
    units: BTreeMap<String, (Tally, BTreeMap<String, Tally>)>,
    rejections: Vec<CellProblem>,
    received: BTreeMap<String, BTreeMap<NaiveDate, u64>>,
}

/// Reads the records file and counts early, on-time and late records. `window`, when given,
/// keeps the records returned inside it (both ends included, by the returned day); `types`
/// reads the `applicant_type` cells (the design's, or [`ApplicantTypes::default`]).
///
/// ```
/// use chiso::records::{ApplicantTypes, ColumnMap};
/// use chiso::timeliness::{compute, TimelinessSettings};
///
/// # fn main() -> chiso::Result<()> {
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("records.csv");
/// std::fs::write(&path, "record_id,unit_code,applicant_id,returned_date,due_date\n\
///     R1,XA01,A,2024-03-01,2024-03-04\nR2,XA01,B,2024-03-05,2024-03-04\nR3,XA01,C,2024-03-05,\n").unwrap();
/// let layout = chiso::Layout::default();
/// let types = ApplicantTypes::default();
/// let t = compute(&path, &layout, &ColumnMap::default(), None, &types, TimelinessSettings::default())?;
/// let all = t.all();
/// assert_eq!((all.records, all.early, all.late, all.no_due_date), (2, 1, 1, 1));
/// assert_eq!(all.pct(all.late), Some(50.0));
/// assert_eq!(t.rows[1].above_ceiling, Some(true)); // XA01: 50% late > 2%
/// # Ok(()) }
/// ```
pub fn compute(
    records: &Path,
    file_layout: &crate::Layout,
    columns: &ColumnMap,
    window: Option<(NaiveDate, NaiveDate)>,
    types: &ApplicantTypes,
    settings: TimelinessSettings,
) -> Result<Timeliness> {
    // The header is the row that holds the required columns, under their mapped names.
    let wanted = crate::records::REQUIRED.map(|c| columns.header(c));
    let mut table = Table::open_layout(records, file_layout, &wanted, false)?;
    let layout = RecordLayout::new(table.name(), table.headers(), columns, &[])?;
    let scope = Scope {
        columns,
        window,
        types,
    };
    let (mut pass, duplicated) = scan(&mut table, &layout, &scope, None)?;
    if !duplicated.is_empty() {
        table.rewind()?;
        pass = scan(&mut table, &layout, &scope, Some(&duplicated))?.0;
    }
    pass.counts.rejected = pass.rejections.len() as u64;
    let ceiling = settings.late_ceiling_pct;
    let row = |level, domain: &str, officer: &str, tally: Tally| TimelinessRow {
        level,
        domain: domain.to_string(),
        officer_id: officer.to_string(),
        tally,
        above_ceiling: tally.pct(tally.late).map(|p| p > ceiling),
    };
    let mut rows = vec![row("all", "ALL", "", pass.all)];
    rows.extend(pass.units.iter().map(|(u, (t, _))| row("unit", u, "", *t)));
    for (u, (_, officers)) in &pass.units {
        rows.extend(officers.iter().map(|(o, t)| row("officer", u, o, *t)));
    }
    Ok(Timeliness {
        settings,
        window,
        counts: pass.counts,
        rows,
        rejections: pass.rejections,
        received: pass.received,
    })
}

/// What a pass reads the rows with.
struct Scope<'a> {
    columns: &'a ColumnMap,
    window: Option<(NaiveDate, NaiveDate)>,
    types: &'a ApplicantTypes,
}

/// One pass over the rows; returns it and the hashes of the duplicated record ids (first
/// pass, `skip` = `None`). With `skip`, every copy of those ids is rejected.
fn scan(
    table: &mut Table,
    layout: &RecordLayout,
    scope: &Scope<'_>,
    skip: Option<&FxHashSet<u128>>,
) -> Result<(Pass, FxHashSet<u128>)> {
    let (columns, window) = (scope.columns, scope.window);
    let officer_col = layout.find(columns, "officer_id");
    let due_col = layout.find(columns, "due_date");
    let received_col = layout.find(columns, "received_date");
    let mut pass = Pass::default();
    // The record ids (first pass, noted on the parsing thread) or their duplicated copies
    // (second pass).
    let mut ids = IdHashes::default();
    let mut copies = skip.map(DuplicateCopies::new);
    let byte_len = table.byte_len();
    let mut dates = DateMemo::default();
    // Checks, date parsing and hashing need nothing but the row: done on the parsing thread.
    let prepare = |row: &Row<'_>| -> Option<std::result::Result<Prepared, CellProblem>> {
        if row.is_blank() {
            return None;
        }
        let checked = layout
            .check_shape(row)
            .and_then(|()| layout.check_with(row, &mut dates, scope.types));
        Some(checked.and_then(|c| {
            if row.get(layout.unit_code).is_empty() {
                return Err(layout.problem(row, layout.unit_code, "unit_code is empty"));
            }
            let h = id_hash(row.get(layout.record_id));
            if skip.is_none() {
                ids.note(h, row, byte_len);
            }
            // Both were checked to be dates (the returned date is one when `c.returned` is);
            // read again with their times of day.
            let returned = c
                .returned
                .and_then(|_| dates.stamp(row.get(layout.returned_date)));
            let received = received_col
                .and_then(|c| dates.parse(row.get(c)))
                .or(c.returned);
            Ok(Prepared {
                returned,
                due: due_col.and_then(|c| dates.stamp(row.get(c))),
                received,
                id_hash: h,
            })
        }))
    };
    table.for_each_row_prepared(prepare, |row, prepared| {
        let Some(prepared) = prepared else {
            pass.counts.blank += 1;
            return Ok(());
        };
        pass.counts.rows += 1;
        let Prepared {
            returned,
            due,
            received,
            id_hash: h,
        } = match prepared {
            Ok(p) => p,
            Err(p) => {
                pass.rejections.push(p);
                return Ok(());
            }
        };
        // A pass that meets a duplicated id is done again; the second one rejects every copy.
        if let Some(copies) = copies.as_mut()
            && let Some(p) = copies.reject(layout, row, h)
        {
            pass.rejections.push(p);
            return Ok(());
        }
        if let (Some(r), Some((from, to))) = (returned, window)
            && (r.date < from || r.date > to)
        {
            pass.counts.outside_window += 1;
            return Ok(());
        }
        let unit = row.get(layout.unit_code);
        pass.all.add(returned, due);
        // Look up by `&str` first: no allocation for a unit or officer already met.
        if !pass.units.contains_key(unit) {
            pass.units.insert(unit.to_string(), Default::default());
        }
        if let Some(day) = received {
            if !pass.received.contains_key(unit) {
                pass.received.insert(unit.to_string(), BTreeMap::new());
            }
            let days = pass.received.get_mut(unit).expect("inserted");
            *days.entry(day).or_default() += 1;
        }
        let (tally, officers) = pass.units.get_mut(unit).expect("inserted");
        tally.add(returned, due);
        if let Some(o) = officer_col.map(|c| row.get(c)).filter(|o| !o.is_empty()) {
            if !officers.contains_key(o) {
                officers.insert(o.to_string(), Tally::default());
            }
            officers.get_mut(o).expect("inserted").add(returned, due);
        }
        Ok(())
    })?;
    Ok((pass, ids.duplicated()))
}

/// The columns of `timeliness.csv` (defined with the file, in [`crate::files::timeliness`]).
pub use crate::files::timeliness::COLUMNS;

impl Timeliness {
    /// `timeliness.csv` as bytes ([`crate::files::timeliness::to_csv`]).
    pub fn to_csv(&self) -> Vec<u8> {
        crate::files::timeliness::to_csv(&self.rows, self.settings.late_ceiling_pct)
    }

    /// `timeliness_rejected.csv` as bytes: `row, column, value, reason`.
    /// It starts with the UTF-8 byte-order mark ([`crate::files::BOM`]), as `rejected.csv`.
    pub fn rejected_csv(&self) -> Vec<u8> {
        let mut w = crate::output::csv_writer_with_bom();
        w.write_record(["row", "column", "value", "reason"])
            .expect("memory");
        for p in &self.rejections {
            w.write_record([p.row.to_string().as_str(), &p.column, &p.value, &p.reason])
                .expect("memory");
        }
        w.into_inner().expect("memory")
    }

    /// The `ALL` row.
    pub fn all(&self) -> &Tally {
        &self.rows[0].tally
    }
}

/// Adds `timeliness.csv` and `timeliness_rejected.csv` to `staged`.
pub(crate) fn stage(staged: &mut Staged, t: &Timeliness) {
    staged.add("timeliness.csv", t.to_csv());
    staged.add("timeliness_rejected.csv", t.rejected_csv());
}

/// Writes `timeliness.csv` and `timeliness_rejected.csv` into `dir`, atomically.
pub fn write(dir: &Path, t: &Timeliness) -> Result<Vec<PathBuf>> {
    let mut staged = Staged::new(dir, true, &[])?;
    stage(&mut staged, t);
    staged.commit()
}

/// What `chiso timeliness` needs, validated.
#[derive(Clone, Debug)]
pub struct TimelinessRequest {
    /// The records file (CSV or a spreadsheet) with `due_date`.
    pub records: PathBuf,
    /// How the records file is laid out (sheet, delimiter, header row; found unless given).
    pub layout: crate::Layout,
    /// Column mapping.
    pub columns: ColumnMap,
    /// Only records returned inside this window count (a design's window), when given.
    pub window: Option<(NaiveDate, NaiveDate)>,
    /// How the `applicant_type` cells are read (a design's, or the defaults).
    pub applicant_types: ApplicantTypes,
    /// The late ceiling.
    pub settings: TimelinessSettings,
    /// The largest share of rejected rows (0–1) accepted
    /// ([`crate::sample::DEFAULT_MAX_REJECTED`]); a file whose every row is rejected is
    /// refused whatever it is.
    pub max_rejected: f64,
    /// The output directory.
    pub out: PathBuf,
}

/// Counts the records early, on time and late, and writes `timeliness.csv` and
/// `timeliness_rejected.csv` together; returns the counts and the files written.
pub fn run(req: &TimelinessRequest) -> Result<(Timeliness, Vec<PathBuf>)> {
    if !(0.0..=1.0).contains(&req.max_rejected) {
        return Err(Error::setting(
            "max_rejected",
            req.max_rejected,
            "expected a share from 0 to 1, such as 0.1",
        ));
    }
    let t = compute(
        &req.records,
        &req.layout,
        &req.columns,
        req.window,
        &req.applicant_types,
        req.settings,
    )?;
    let file = req.records.display().to_string();
    crate::records::check_rejected(&file, t.counts.rows, &t.rejections, req.max_rejected)?;
    let written = write(&req.out, &t)?;
    Ok((t, written))
}

impl Timeliness {
    /// What was read and counted, for standard output (each line ends with a newline).
    pub fn summary(&self) -> String {
        let c = &self.counts;
        let a = self.all();
        let mut out = format!(
            "records: {} rows read, {} rejected, {} outside the window\n",
            c.rows, c.rejected, c.outside_window
        );
        out += &format!(
            "timeliness: {} classified: {} early, {} on time, {} late ({}% late, ceiling {}%); \
             {} without due date and {} not returned, not classified\n",
            a.records,
            a.early,
            a.on_time,
            a.late,
            a.pct(a.late)
                .map_or_else(|| "-".to_string(), |p| format!("{p:.2}")),
            self.settings.late_ceiling_pct,
            a.no_due_date,
            a.not_returned
        );
        let units = self.rows.iter().filter(|r| r.level == "unit");
        let over = units
            .clone()
            .filter(|r| r.above_ceiling == Some(true))
            .count();
        out += &format!(
            "timeliness: {over} of {} units above the late ceiling\n",
            units.count()
        );
        if c.rejected > 0 {
            out += "rejected rows are listed with their reasons in timeliness_rejected.csv\n";
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Option<Stamp> {
        crate::records::parse_stamp(s)
    }

    #[test]
    fn early_on_time_late_and_unclassified() {
        let mut t = Tally::default();
        t.add(d("2024-03-01"), d("2024-03-05"));
        t.add(d("05/03/2024"), d("2024-03-05"));
        t.add(d("2024-03-06"), d("2024-03-05"));
        t.add(d("2024-03-06"), d("2024-03-05"));
        t.add(d("2024-03-06"), None);
        t.add(None, d("2024-03-05"));
        assert_eq!(
            t,
            Tally {
                records: 4,
                early: 1,
                on_time: 1,
                late: 2,
                no_due_date: 1,
                not_returned: 1
            }
        );
        assert_eq!(t.pct(t.late), Some(50.0));
        assert_eq!(Tally::default().pct(0), None);
    }

    #[test]
    fn a_time_of_day_counts_where_both_dates_have_one() {
        use std::cmp::Ordering::{Equal, Greater, Less};
        for (returned, due, want) in [
            // Both with a time.
            ("2025-03-15 17:30", "2025-03-15 16:00", Greater),
            ("17:30 15/03/2025", "15/03/2025 16:00", Greater),
            ("2025-03-15 15:00", "2025-03-15 16:00", Equal),
            ("2025-03-15 16:00", "2025-03-15 16:00", Equal),
            ("2025-03-15 16:00:01", "2025-03-15T16:00:00", Greater),
            ("2025-03-15 16:00:00.5", "2025-03-15T16:00:00", Greater),
            // Early is a matter of days.
            ("2025-03-15 08:00", "2025-03-15 16:00", Equal),
            ("2025-03-14 23:59", "2025-03-15 08:00", Less),
            ("2025-03-16 01:00", "2025-03-15 23:00", Greater),
            // A due date without a time: the end of its day.
            ("2025-03-15 23:59:59", "15/03/2025", Equal),
            ("2025-03-16 00:00", "15.03.2025", Greater),
            ("2025-03-14 23:59", "15-03-2025", Less),
            // A returned date without a time on a day due at a time: the day.
            ("15/03/2025", "2025-03-15 08:00", Equal),
            ("16/03/2025", "2025-03-15 23:59", Greater),
            ("14/03/2025", "2025-03-15 00:00", Less),
        ] {
            let got = classify(d(returned).unwrap(), d(due).unwrap());
            assert_eq!(got, want, "returned {returned}, due {due}");
        }
        let mut t = Tally::default();
        t.add(d("2025-03-15 17:30"), d("2025-03-15 16:00"));
        t.add(d("2025-03-15 15:00"), d("2025-03-15 16:00"));
        t.add(d("2025-03-15 17:30"), d("2025-03-15"));
        t.add(d("2025-03-14 17:30"), d("2025-03-15 08:00"));
        assert_eq!((t.records, t.early, t.on_time, t.late), (4, 1, 2, 1));
    }

    #[test]
    fn the_ceiling_is_validated() {
        assert!(TimelinessSettings::new(2.0).is_ok());
        assert!(TimelinessSettings::new(-1.0).is_err());
        assert!(TimelinessSettings::new(f64::NAN).is_err());
    }
}
