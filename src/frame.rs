//! The frame: who may be surveyed. Eligible records (returned inside the window) grouped by
//! stratum, applicants de-duplicated within a stratum (the latest record is the one they
//! evaluate; the count of their records is kept).
//!
//! The frame is built in one streaming pass over the records; a second pass happens only when
//! the file holds a duplicated `record_id`, so that every copy can be rejected whatever their
//! order. Memory grows with the number of frame members, plus 16 bytes per row for the
//! duplicate check, which compares 128-bit XXH3 hashes of the record ids (two different ids
//! share a hash with a probability of about `rows² / 2^129`, 10^-25 for ten million rows).

use chrono::NaiveDate;
use rustc_hash::{FxHashMap, FxHashSet};
use sha2::{Digest, Sha256};
use xxhash_rust::xxh3::xxh3_128;

use crate::error::{CellProblem, Result};
use crate::records::{ApplicantType, Checked, RecordLayout};
use crate::table::{Row, Table};
use std::collections::hash_map::Entry;

/// What happened to the rows of a records file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RecordCounts {
    /// Data rows read (blank rows excluded).
    pub rows: u64,
    /// Rows rejected (see the rejected-rows report).
    pub rejected: u64,
    /// Accepted rows without a returned date: not eligible.
    pub not_returned: u64,
    /// Accepted rows returned outside the window: not eligible.
    pub outside_window: u64,
    /// Eligible records.
    pub eligible: u64,
    /// Blank rows skipped (every cell empty).
    pub blank: u64,
}

/// One applicant of one stratum.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// The applicant's identifier.
    pub applicant_id: Box<str>,
    /// The record they evaluate: their latest in the stratum.
    pub record_id: Box<str>,
    /// Its returned date.
    pub returned: NaiveDate,
    /// How many eligible records they have in the stratum.
    pub record_count: u32,
    /// Person or organisation, when the records say.
    pub applicant_type: Option<ApplicantType>,
    /// The row of the evaluated record.
    pub row: u64,
    /// Where to read that row again.
    pub locator: u64,
}

/// One stratum of the frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stratum {
    /// The values of the stratum columns, in the design's order.
    pub values: Vec<String>,
    /// The members, ordered by `applicant_id` (UTF-8 bytes).
    pub members: Vec<Member>,
}

impl Stratum {
    /// The label used in output files: the values joined by `|`.
    pub fn label(&self) -> String {
        self.values.join("|")
    }

    /// `N_h`.
    pub fn size(&self) -> u64 {
        self.members.len() as u64
    }

    /// The SHA-256 of this stratum's members (`docs/draw-algorithm.md` §7).
    pub fn digest(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        self.feed(&mut [&mut h]);
        h.finalize().into()
    }

    /// Feeds the encoding of every member to each of `hashers`, one member at a time (the
    /// stratum's values are encoded once).
    fn feed(&self, hashers: &mut [&mut Sha256]) {
        let mut prefix = Vec::new();
        prefix.extend_from_slice(&(self.values.len() as u32).to_le_bytes());
        for v in &self.values {
            put(&mut prefix, v);
        }
        let mut buf = Vec::with_capacity(prefix.len() + 64);
        for m in &self.members {
            buf.clear();
            buf.extend_from_slice(&prefix);
            put(&mut buf, &m.applicant_id);
            put(&mut buf, &m.record_id);
            put(&mut buf, itoa::Buffer::new().format(m.record_count));
            for h in hashers.iter_mut() {
                h.update(&buf);
            }
        }
    }
}

/// The frame: strata ordered by their values.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frame {
    /// The strata, ordered by their values (UTF-8 bytes, component by component).
    pub strata: Vec<Stratum>,
    /// What happened to the rows.
    pub counts: RecordCounts,
    /// Every rejected row, ordered by row, with its reason.
    pub rejections: Vec<CellProblem>,
}

impl Frame {
    /// The SHA-256 of the whole frame (`docs/draw-algorithm.md` §7).
    pub fn digest(&self) -> [u8; 32] {
        self.digests().0
    }

    /// The SHA-256 of the whole frame and of each stratum, in one pass over the members.
    pub fn digests(&self) -> ([u8; 32], Vec<[u8; 32]>) {
        let mut whole = Sha256::new();
        let strata = self
            .strata
            .iter()
            .map(|s| {
                let mut h = Sha256::new();
                s.feed(&mut [&mut whole, &mut h]);
                h.finalize().into()
            })
            .collect();
        (whole.finalize().into(), strata)
    }

    /// The number of frame members over all strata.
    pub fn members(&self) -> u64 {
        self.strata.iter().map(Stratum::size).sum()
    }

    /// Builds the frame from a records table. Rows are checked with `layout`; records returned
    /// inside `window` (both ends included) are eligible.
    pub fn build(
        table: &mut Table,
        layout: &RecordLayout,
        window: (NaiveDate, NaiveDate),
    ) -> Result<Frame> {
        let (mut pass, duplicated) = scan(table, layout, window, None)?;
        if !duplicated.is_empty() {
            // Every copy of a duplicated record_id is rejected, wherever it stands: build again
            // without them, reporting each copy (the other rejections come out the same).
            table.rewind()?;
            pass = scan(table, layout, window, Some(&duplicated))?.0;
        }
        Ok(pass.finish())
    }
}

/// Appends `u32le(len) || bytes`.
fn put(buf: &mut Vec<u8>, s: &str) {
    buf.extend_from_slice(&(s.len() as u32).to_le_bytes());
    buf.extend_from_slice(s.as_bytes());
}

struct Acc {
    record_id: Box<str>,
    returned: NaiveDate,
    record_count: u32,
    applicant_type: Option<ApplicantType>,
    row: u64,
    locator: u64,
}

#[derive(Default)]
struct Pass {
    strata_index: FxHashMap<Box<str>, u32>,
    strata_values: Vec<Vec<String>>,
    members: Vec<FxHashMap<Box<str>, Acc>>,
    counts: RecordCounts,
    rejections: Vec<CellProblem>,
}

impl Pass {
    fn finish(self) -> Frame {
        let mut strata: Vec<Stratum> = self
            .strata_values
            .into_iter()
            .zip(self.members)
            .map(|(values, map)| {
                let mut members: Vec<Member> = map
                    .into_iter()
                    .map(|(applicant_id, a)| Member {
                        applicant_id,
                        record_id: a.record_id,
                        returned: a.returned,
                        record_count: a.record_count,
                        applicant_type: a.applicant_type,
                        row: a.row,
                        locator: a.locator,
                    })
                    .collect();
                members.sort_unstable_by(|a, b| a.applicant_id.cmp(&b.applicant_id));
                Stratum { values, members }
            })
            .collect();
        strata.sort_unstable_by(|a, b| a.values.cmp(&b.values));
        // One rejection per row, pushed in row order.
        let rejections = self.rejections;
        let mut counts = self.counts;
        counts.rejected = rejections.len() as u64;
        Frame {
            strata,
            counts,
            rejections,
        }
    }
}

/// What the parsing thread finds out about a row by itself.
enum Prepared {
    Blank,
    Rejected(CellProblem),
    Row {
        id_hash: Option<u128>,
        checked: std::result::Result<Checked, CellProblem>,
    },
}

/// One pass over the rows. Returns the pass and the hashes of the duplicated record ids.
fn scan(
    table: &mut Table,
    layout: &RecordLayout,
    (from, to): (NaiveDate, NaiveDate),
    skip: Option<&FxHashSet<u128>>,
) -> Result<(Pass, FxHashSet<u128>)> {
    let mut pass = Pass::default();
    // The hashes of the record ids met so far (first pass), and the first row of each
    // duplicated one (second pass).
    let mut seen: FxHashSet<u128> = FxHashSet::default();
    let mut first_rows: FxHashMap<u128, u64> = FxHashMap::default();
    let mut duplicated: FxHashSet<u128> = FxHashSet::default();
    let mut key = String::new();
    let prepare = |row: &Row<'_>| -> Prepared {
        // Only a row without a record id can be blank.
        if row.is_empty_at(layout.record_id) && row.is_blank() {
            return Prepared::Blank;
        }
        if let Err(p) = layout.check_shape(row) {
            return Prepared::Rejected(p);
        }
        let record_id = row.get(layout.record_id);
        Prepared::Row {
            id_hash: (!record_id.is_empty()).then(|| xxh3_128(record_id.as_bytes())),
            checked: layout.check(row),
        }
    };
    table.for_each_row_prepared(prepare, |row, prepared| {
        let (id_hash, checked) = match prepared {
            Prepared::Blank => {
                pass.counts.blank += 1;
                return Ok(());
            }
            Prepared::Rejected(p) => {
                pass.counts.rows += 1;
                pass.rejections.push(p);
                return Ok(());
            }
            Prepared::Row { id_hash, checked } => (id_hash, checked),
        };
        pass.counts.rows += 1;
        let record_id = row.get(layout.record_id);
        if let Some(h) = id_hash {
            match skip {
                // First pass: only note that the id comes again; the second pass reports
                // every copy.
                None => {
                    if !seen.insert(h) {
                        duplicated.insert(h);
                        return Ok(());
                    }
                }
                Some(skip) if skip.contains(&h) => {
                    let reason = match first_rows.entry(h) {
                        Entry::Vacant(v) => {
                            v.insert(row.number());
                            "record_id comes again later in the file: every copy is rejected"
                                .to_string()
                        }
                        Entry::Occupied(o) => format!(
                            "record_id already on row {}: every copy is rejected",
                            o.get()
                        ),
                    };
                    pass.rejections
                        .push(layout.problem(row, layout.record_id, reason));
                    return Ok(());
                }
                Some(_) => {}
            }
        }
        let checked = match checked {
            Ok(c) => c,
            Err(p) => {
                pass.rejections.push(p);
                return Ok(());
            }
        };
        let Some(returned) = checked.returned else {
            pass.counts.not_returned += 1;
            return Ok(());
        };
        if returned < from || returned > to {
            pass.counts.outside_window += 1;
            return Ok(());
        }
        pass.counts.eligible += 1;

        layout.stratum_key(row, &checked, &mut key);
        let s = match pass.strata_index.get(key.as_str()) {
            Some(&s) => s as usize,
            None => {
                let s = pass.strata_values.len();
                pass.strata_index.insert(key.as_str().into(), s as u32);
                pass.strata_values
                    .push(layout.stratum_values(row, &checked));
                pass.members.push(FxHashMap::default());
                s
            }
        };
        let applicant = row.get(layout.applicant_id);
        let fresh = || Acc {
            record_id: record_id.into(),
            returned,
            record_count: 0,
            applicant_type: checked.applicant_type,
            row: row.number(),
            locator: row.locator(),
        };
        let acc = match pass.members[s].get_mut(applicant) {
            Some(acc) => acc,
            None => pass.members[s]
                .entry(applicant.into())
                .or_insert_with(fresh),
        };
        acc.record_count += 1;
        if (returned, record_id) > (acc.returned, &*acc.record_id) {
            *acc = Acc {
                record_count: acc.record_count,
                ..fresh()
            };
        }
        Ok(())
    })?;
    Ok((pass, duplicated))
}
