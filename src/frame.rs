//! The frame: who may be surveyed. Eligible records (returned inside the window) grouped by
//! stratum, applicants de-duplicated within a stratum (the latest record is the one they
//! evaluate; the count of their records is kept).
//!
//! The frame is built in one streaming pass over the records; a second pass happens only when
//! the file holds a duplicated `record_id`, so that every copy can be rejected whatever their
//! order. Memory grows with the number of frame members, plus 16 bytes per row for the
//! duplicate check (the 128-bit [`crate::records::id_hash`] of every record id, sorted when
//! the pass ends).

use chrono::NaiveDate;
use compact_str::CompactString;
use rustc_hash::{FxHashMap, FxHashSet};
use sha2::{Digest, Sha256};
use xxhash_rust::xxh3::xxh3_64;

use crate::error::{CellProblem, Result};
use crate::records::{
    ApplicantType, ApplicantTypes, Checked, DateMemo, DuplicateCopies, IdHashes, RecordLayout,
    id_hash,
};
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
    /// The applicant's identifier (stored inline up to 24 bytes: a frame of millions of
    /// members then needs no allocation per identifier).
    pub applicant_id: CompactString,
    /// The record they evaluate: their latest in the stratum.
    pub record_id: CompactString,
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

    /// Builds the frame from a records table. Rows are checked with `layout`, their
    /// applicant types read with `types`; records returned inside `window` (both ends
    /// included, by their day) are eligible.
    pub(crate) fn build(
        table: &mut Table,
        layout: &RecordLayout,
        window: (NaiveDate, NaiveDate),
        types: &ApplicantTypes,
    ) -> Result<Frame> {
        let (pass, ids) = scan(table, layout, window, types, None)?;
        // The duplicate check (a sort of the ids' hashes) runs beside the finishing of the
        // members, which is wasted only when a record id comes twice.
        let (frame, duplicated) = std::thread::scope(|scope| {
            let check = scope.spawn(|| ids.duplicated());
            let frame = pass.finish();
            (
                frame,
                check.join().expect("the duplicate check does not panic"),
            )
        });
        if duplicated.is_empty() {
            return Ok(frame);
        }
        // Every copy of a duplicated record_id is rejected, wherever it stands: build again
        // without them, reporting each copy (the other rejections come out the same).
        drop(frame);
        table.rewind()?;
        Ok(scan(table, layout, window, types, Some(&duplicated))?
            .0
            .finish())
    }
}

/// Appends `u32le(len) || bytes`.
fn put(buf: &mut Vec<u8>, s: &str) {
    buf.extend_from_slice(&(s.len() as u32).to_le_bytes());
    buf.extend_from_slice(s.as_bytes());
}

/// A place in a stratum's text arena.
#[derive(Clone, Copy)]
struct Span {
    start: usize,
    len: u32,
}

/// What is kept of one applicant of a stratum while the rows go by.
struct Acc {
    applicant_id: Span,
    record_id: Span,
    returned: NaiveDate,
    record_count: u32,
    applicant_type: Option<ApplicantType>,
    row: u64,
    locator: u64,
    /// The next applicant whose identifier has the same 64-bit hash, or `NONE`.
    next: u32,
}

/// The end of a chain of applicants that share a hash.
const NONE: u32 = u32::MAX;

/// The applicants of one stratum while the rows go by. Their identifiers live in one text
/// arena (two small allocations per applicant would cost more than the rest of the row's work,
/// and scatter them); the map goes from the 64-bit hash of an `applicant_id`, computed on the
/// parsing thread, to the first applicant with that hash, and applicants that share a hash are
/// chained, so that two different identifiers are never merged.
#[derive(Default)]
struct StratumAcc {
    values: Vec<String>,
    by_hash: FxHashMap<u64, u32>,
    accs: Vec<Acc>,
    arena: String,
}

impl StratumAcc {
    fn put(&mut self, bytes: &str) -> Span {
        let start = self.arena.len();
        self.arena.push_str(bytes);
        Span {
            start,
            len: bytes.len() as u32,
        }
    }

    fn text(&self, span: Span) -> &str {
        &self.arena[span.start..span.start + span.len as usize]
    }

    fn bytes(&self, span: Span) -> &[u8] {
        self.text(span).as_bytes()
    }

    /// Counts one eligible record of `applicant` (whose hash is `hash`), keeping the latest.
    fn add(&mut self, hash: u64, applicant: &str, record: Record<'_>) {
        let found = match self.by_hash.entry(hash) {
            Entry::Vacant(v) => {
                v.insert(self.accs.len() as u32);
                None
            }
            Entry::Occupied(o) => {
                let mut i = *o.get();
                loop {
                    let acc = &self.accs[i as usize];
                    if self.bytes(acc.applicant_id) == applicant.as_bytes() {
                        break Some(i as usize);
                    }
                    if acc.next == NONE {
                        // A new applicant that shares the hash: chain it after the last one.
                        let n = self.accs.len() as u32;
                        self.accs[i as usize].next = n;
                        break None;
                    }
                    i = acc.next;
                }
            }
        };
        match found {
            Some(i) => {
                let acc = &self.accs[i];
                let newer = (record.returned, record.record_id.as_bytes())
                    > (acc.returned, self.bytes(acc.record_id));
                let record_id = if newer {
                    Some(self.put(record.record_id))
                } else {
                    None
                };
                let acc = &mut self.accs[i];
                acc.record_count += 1;
                if let Some(record_id) = record_id {
                    acc.record_id = record_id;
                    acc.returned = record.returned;
                    acc.applicant_type = record.applicant_type;
                    acc.row = record.row;
                    acc.locator = record.locator;
                }
            }
            None => {
                let applicant_id = self.put(applicant);
                let record_id = self.put(record.record_id);
                self.accs.push(Acc {
                    applicant_id,
                    record_id,
                    returned: record.returned,
                    record_count: 1,
                    applicant_type: record.applicant_type,
                    row: record.row,
                    locator: record.locator,
                    next: NONE,
                });
            }
        }
    }

    /// The stratum, its members ordered by `applicant_id`. Their identifiers are allocated in
    /// that order, so that the draw and the digests read them in sequence.
    fn finish(self) -> Stratum {
        let mut order: Vec<u32> = (0..self.accs.len() as u32).collect();
        order.sort_unstable_by(|&a, &b| {
            self.bytes(self.accs[a as usize].applicant_id)
                .cmp(self.bytes(self.accs[b as usize].applicant_id))
        });
        let members = order
            .into_iter()
            .map(|i| {
                let a = &self.accs[i as usize];
                Member {
                    applicant_id: self.text(a.applicant_id).into(),
                    record_id: self.text(a.record_id).into(),
                    returned: a.returned,
                    record_count: a.record_count,
                    applicant_type: a.applicant_type,
                    row: a.row,
                    locator: a.locator,
                }
            })
            .collect();
        Stratum {
            values: self.values,
            members,
        }
    }
}

/// One eligible record, as the frame keeps it.
struct Record<'a> {
    record_id: &'a str,
    returned: NaiveDate,
    applicant_type: Option<ApplicantType>,
    row: u64,
    locator: u64,
}

/// The strata as the parsing thread numbers them, in order of first appearance, by their key
/// ([`RecordLayout::stratum_key`], which no two different strata share).
#[derive(Default)]
struct StrataIndex {
    by_key: FxHashMap<Box<str>, u32>,
}

impl StrataIndex {
    /// The number of the stratum whose key is `key`, given if it is new.
    fn number(&mut self, key: &str) -> u32 {
        if let Some(&n) = self.by_key.get(key) {
            return n;
        }
        let n = self.by_key.len() as u32;
        self.by_key.insert(key.into(), n);
        n
    }
}

#[derive(Default)]
struct Pass {
    /// By the stratum numbers of [`StrataIndex`]; a stratum none of whose rows is eligible
    /// stays `None`.
    strata: Vec<Option<StratumAcc>>,
    counts: RecordCounts,
    rejections: Vec<CellProblem>,
}

impl Pass {
    /// The stratum numbered `number`, created with the values of `row` if new.
    fn stratum(
        &mut self,
        number: u32,
        layout: &RecordLayout,
        row: &Row<'_>,
        checked: &Checked,
    ) -> &mut StratumAcc {
        let i = number as usize;
        if self.strata.len() <= i {
            self.strata.resize_with(i + 1, || None);
        }
        self.strata[i].get_or_insert_with(|| StratumAcc {
            values: layout.stratum_values(row, checked),
            ..StratumAcc::default()
        })
    }

    fn finish(self) -> Frame {
        // Two threads, each taking the next stratum when done with one, the largest first
        // (sorting and allocating the members is most of this step's time; the duplicate
        // check may be running beside them).
        let mut accs: Vec<StratumAcc> = self.strata.into_iter().flatten().collect();
        accs.sort_by_key(|s| std::cmp::Reverse(s.accs.len()));
        let queue = std::sync::Mutex::new(accs.into_iter());
        let work = || {
            let mut done = Vec::new();
            loop {
                let next = queue
                    .lock()
                    .expect("finishing a stratum does not panic")
                    .next();
                match next {
                    Some(acc) => done.push(acc.finish()),
                    None => return done,
                }
            }
        };
        let mut strata: Vec<Stratum> = std::thread::scope(|scope| {
            let other = scope.spawn(work);
            let mut strata = work();
            strata.extend(other.join().expect("finishing a stratum does not panic"));
            strata
        });
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

/// What the parsing thread finds out about a row by itself. Rejections are boxed: they are
/// rare, and every row's `Prepared` is moved into its batch and out again.
enum Prepared {
    Blank,
    Rejected(Box<CellProblem>),
    Row {
        /// The 128-bit hash of the `record_id`, unless it is empty.
        id_hash: Option<u128>,
        checked: std::result::Result<Checked, Box<CellProblem>>,
        /// What the frame keeps of an accepted row returned inside the window.
        eligible: Option<Eligible>,
    },
}

/// What the frame keeps of an eligible row, read on the parsing thread: the consumer then
/// reads it from the batch in sequence instead of the record's cells (which the other core
/// wrote, so that every first touch would miss the cache).
struct Eligible {
    /// The number of its stratum ([`StrataIndex`]).
    stratum: u32,
    /// The 64-bit hash of the `applicant_id`.
    applicant_hash: u64,
    applicant_id: CompactString,
    record_id: CompactString,
}

/// One pass over the rows. Returns the pass and, on a first pass (no `skip`), the hashes of
/// the record ids.
fn scan(
    table: &mut Table,
    layout: &RecordLayout,
    (from, to): (NaiveDate, NaiveDate),
    types: &ApplicantTypes,
    skip: Option<&FxHashSet<u128>>,
) -> Result<(Pass, IdHashes)> {
    let mut pass = Pass::default();
    // The record ids (first pass, noted on the parsing thread) or their duplicated copies
    // (second pass).
    let mut ids = IdHashes::default();
    let mut copies = skip.map(DuplicateCopies::new);
    let byte_len = table.byte_len();
    let mut key = String::new();
    let mut strata = StrataIndex::default();
    let mut dates = DateMemo::default();
    let first_pass = skip.is_none();
    let prepare = |row: &Row<'_>| -> Prepared {
        // Only a row without a record id can be blank.
        if row.is_empty_at(layout.record_id) && row.is_blank() {
            return Prepared::Blank;
        }
        if let Err(p) = layout.check_shape(row) {
            return Prepared::Rejected(Box::new(p));
        }
        let record_id = row.get(layout.record_id);
        let id_hash = (!record_id.is_empty()).then(|| id_hash(record_id));
        if let (Some(h), true) = (id_hash, first_pass) {
            ids.note(h, row, byte_len);
        }
        let checked = layout.check_with(row, &mut dates, types).map_err(Box::new);
        let eligible = match &checked {
            Ok(c) if c.returned.is_some_and(|r| from <= r && r <= to) => {
                layout.stratum_key(row, c, &mut key);
                let applicant_id = row.get(layout.applicant_id);
                Some(Eligible {
                    stratum: strata.number(&key),
                    applicant_hash: xxh3_64(applicant_id.as_bytes()),
                    applicant_id: applicant_id.into(),
                    record_id: record_id.into(),
                })
            }
            _ => None,
        };
        Prepared::Row {
            id_hash,
            checked,
            eligible,
        }
    };
    table.for_each_row_prepared(prepare, |row, prepared| {
        let (id_hash, checked, eligible) = match prepared {
            Prepared::Blank => {
                pass.counts.blank += 1;
                return Ok(());
            }
            Prepared::Rejected(p) => {
                pass.counts.rows += 1;
                pass.rejections.push(*p);
                return Ok(());
            }
            Prepared::Row {
                id_hash,
                checked,
                eligible,
            } => (id_hash, checked, eligible),
        };
        pass.counts.rows += 1;
        // A pass that meets a duplicated id is done again; the second one rejects every copy.
        if let (Some(h), Some(copies)) = (id_hash, copies.as_mut())
            && let Some(p) = copies.reject(layout, row, h)
        {
            pass.rejections.push(p);
            return Ok(());
        }
        let checked = match checked {
            Ok(c) => c,
            Err(p) => {
                pass.rejections.push(*p);
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
        let e = eligible.expect("an accepted row returned inside the window is eligible");
        pass.stratum(e.stratum, layout, row, &checked).add(
            e.applicant_hash,
            &e.applicant_id,
            Record {
                record_id: &e.record_id,
                returned,
                applicant_type: checked.applicant_type,
                row: row.number(),
                locator: row.locator(),
            },
        );
        Ok(())
    })?;
    Ok((pass, ids))
}
