//! A pass over a CSV file's rows parsed in two halves at once ([`Table::for_each_row_split`]).
//!
//! The file is cut in two where a record is likely to start: after the first line end past its
//! middle ([`cut_after`]). One thread parses the first half from the table's own reader (which also hashes the
//! file and knows its UTF-8 prefix), a second parses the second half from its own handle on
//! the same open file, both in batches; this thread runs `f` on the rows of the first half,
//! then on those of the second, numbering them as it goes.
//!
//! The cut is only a guess: a quoted cell may hold a line end there. The first thread finds
//! out: a record's reading starts at the cut if, once its reading position has reached the
//! line ends just before the cut, it is not yet past the cut (reading there skips the line
//! ends up to the cut, as the second thread's reading skips those after it, so both read the
//! same records from there). If the first thread's position jumps past the cut instead, it
//! stops the second thread and reads on to the end itself: the pass is the one-threaded pass.
//!
//! The second thread cannot number rows, nor count lines from the start of the file. It stops
//! at the first record that would need them or could make an error: one not UTF-8, or with a
//! quoted cell over several lines (whose quotes are judged by their lines). The first thread
//! then reads on from the cut, passing over the records the second has given, and sends the
//! rest as the one-threaded pass would, errors included. So the rows, their numbers and
//! locators, and the first error are those of the one-threaded pass in every case; only the
//! work is shared. The two halves are read through two handles, and the hash through the
//! first: a file written to during the pass is refused at its end ([`Table::unchanged`]).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use super::reader::{CsvReader, Record};
use super::utf8::utf8_fields;
use super::{Cells, Delimiter, Positioned, Row, Source, Table, read_checked};
use crate::error::{Error, Result};

/// Rows per batch.
const BATCH: usize = 2048;

/// Files smaller than this are read on one parsing thread ([`Table::for_each_row_prepared`]):
/// a second would cost more than it saves.
pub(super) const SPLIT_FROM: u64 = 8 << 20;

/// Rows parsed, with where each was read and what `prepare` made of it.
struct Batch<P> {
    records: Vec<Record>,
    locators: Vec<u64>,
    prepared: Vec<P>,
}

impl<P> Batch<P> {
    fn new() -> Batch<P> {
        Batch {
            records: Vec::new(),
            locators: Vec::new(),
            prepared: Vec::with_capacity(BATCH),
        }
    }

    /// The slot for the next record, at `len`.
    fn slot(&mut self, len: usize) -> &mut Record {
        if self.records.len() == len {
            self.records.push(Record::default());
            self.locators.push(0);
        }
        &mut self.records[len]
    }
}

/// The second half's rows, packed: they are kept until `f` reaches them, so each batch is a
/// few allocations rather than a few per row, and as small as it can be (most of its memory is
/// fresh, and paid for in page faults).
struct Packed<P> {
    text: Vec<u8>,
    /// Each cell's place in its row's text, a pair of offsets of one byte each for a row of
    /// fewer than 256 bytes and of four bytes (little-endian) for a longer row
    /// ([`packed_span`]).
    spans: Vec<u8>,
    /// Where each row's text and spans start; each ends where the next starts.
    starts: Vec<(usize, usize)>,
    locators: Vec<u64>,
    prepared: Vec<P>,
}

/// The width of each offset in a packed row's spans, by the length of its text.
fn span_width(text_len: usize) -> usize {
    if text_len < 256 { 1 } else { 4 }
}

/// How many cells a packed row of `text_len` bytes with `spans` has.
pub(super) fn packed_len(text_len: usize, spans: &[u8]) -> usize {
    spans.len() / (2 * span_width(text_len))
}

/// Cell `i`'s place in a packed row of `text_len` bytes with `spans`.
#[inline]
pub(super) fn packed_span(text_len: usize, spans: &[u8], i: usize) -> Option<(usize, usize)> {
    if span_width(text_len) == 1 {
        let pair = spans.get(2 * i..2 * i + 2)?;
        Some((pair[0] as usize, pair[1] as usize))
    } else {
        let pair = spans.get(8 * i..8 * i + 8)?;
        let offset = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
        Some((offset(&pair[..4]), offset(&pair[4..])))
    }
}

impl<P> Packed<P> {
    fn new() -> Packed<P> {
        Packed {
            text: Vec::with_capacity(BATCH * 64),
            spans: Vec::with_capacity(BATCH * 64),
            starts: Vec::with_capacity(BATCH),
            locators: Vec::with_capacity(BATCH),
            prepared: Vec::with_capacity(BATCH),
        }
    }

    fn len(&self) -> usize {
        self.starts.len()
    }

    /// Adds `record`, or leaves it out if it is 4 GiB or more long (its spans would not fit).
    fn push(&mut self, record: &Record, locator: u64, prepared: P) -> bool {
        let text = record.text();
        let Ok(_) = u32::try_from(text.len()) else {
            return false;
        };
        self.starts.push((self.text.len(), self.spans.len()));
        self.text.extend_from_slice(text);
        // Within the record's text, whose length fits in the width.
        if span_width(text.len()) == 1 {
            let spans = record.spans().iter().flat_map(|&(a, b)| [a as u8, b as u8]);
            self.spans.extend(spans);
        } else {
            for &(a, b) in record.spans() {
                self.spans.extend_from_slice(&(a as u32).to_le_bytes());
                self.spans.extend_from_slice(&(b as u32).to_le_bytes());
            }
        }
        self.locators.push(locator);
        self.prepared.push(prepared);
        true
    }

    /// Row `i`'s cells.
    fn cells(&self, i: usize) -> Cells<'_> {
        let (text, spans) = self.starts[i];
        let (text_end, spans_end) = self
            .starts
            .get(i + 1)
            .copied()
            .unwrap_or((self.text.len(), self.spans.len()));
        Cells::Packed {
            text: &self.text[text..text_end],
            spans: &self.spans[spans..spans_end],
        }
    }
}

/// What the first thread sends.
enum First<P> {
    Rows(Batch<P>),
    Error(Error),
    /// The rows so far end where the second half starts: its rows come next, the first of
    /// them read from this position.
    Cut(u64),
}

/// What the second thread sends.
enum Second<P> {
    Rows(Packed<P>),
    /// The second half has been read to the end of the file.
    End,
    /// The second thread stopped before a record it could not judge: the first thread sends
    /// the rest.
    Stopped,
}

/// Where the second half starts: `start`, just after a line end, and `from`, where the line
/// ends before `start` begin (a reading position between `from` and `start` reads on from
/// `start`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Cut {
    pub(super) from: u64,
    pub(super) start: u64,
}

/// The cut of a file of `len` bytes whose bytes `read_at` reads: after the first `\n` at or
/// past `at`, if one comes before the end (`None` otherwise: no second half).
pub(super) fn cut_after(
    mut at: u64,
    len: u64,
    mut read_at: impl FnMut(u64, &mut [u8]) -> std::io::Result<usize>,
) -> std::io::Result<Option<Cut>> {
    let mut buf = vec![0u8; 64 << 10];
    // The `\n` that ends the line holding `at`.
    let start = loop {
        if at >= len {
            return Ok(None);
        }
        let n = read_at(at, &mut buf)?;
        if n == 0 {
            return Ok(None);
        }
        if let Some(i) = buf[..n].iter().position(|&b| b == b'\n') {
            break at + i as u64 + 1;
        }
        at += n as u64;
    };
    if start >= len {
        return Ok(None);
    }
    // Back over the line ends just before it.
    let mut from = start;
    let mut byte = [0u8; 1];
    while from > 0 {
        if read_at(from - 1, &mut byte)? == 0 || !matches!(byte[0], b'\r' | b'\n') {
            break;
        }
        from -= 1;
    }
    Ok(Some(Cut { from, start }))
}

impl Table {
    /// Calls `f` on every remaining row with what `prepare` computed from its cells, in
    /// order, stopping at the first error, as [`Table::for_each_row_prepared`] does; but a
    /// large CSV file is parsed, and `prepare` run, in two halves at once (see the module
    /// `split`), while `f` runs on this thread. `prepare` sees a row's cells only: its number
    /// and locator are 0 (they are not known in the second half). The rows `f` sees, their
    /// numbers and locators, and the first error are those of [`Table::next_row`].
    pub fn for_each_row_split<P: Send>(
        &mut self,
        prepare: impl Fn(&Row<'_>) -> P + Sync,
        f: impl FnMut(&Row<'_>, P) -> Result<()>,
    ) -> Result<()> {
        let cut = match &self.source {
            Source::Csv { reader, .. } => {
                let file = &reader.get_ref().file;
                let len = file.metadata().map_err(|e| Error::io(&self.path, e))?.len();
                if len < SPLIT_FROM {
                    None
                } else {
                    cut_after(len / 2, len, |at, buf| read_at(file, buf, at))
                        .map_err(|e| Error::io(&self.path, e))?
                }
            }
            Source::Sheet { .. } => None,
        };
        self.for_each_row_cut(cut, prepare, f)
    }

    /// [`Table::for_each_row_split`] with the second half starting at `cut` (`None`: one
    /// half).
    pub(super) fn for_each_row_cut<P: Send>(
        &mut self,
        cut: Option<Cut>,
        prepare: impl Fn(&Row<'_>) -> P + Sync,
        mut f: impl FnMut(&Row<'_>, P) -> Result<()>,
    ) -> Result<()> {
        let cells_only = |r: &Row<'_>| {
            prepare(&Row {
                number: 0,
                locator: 0,
                cells: r.cells,
                sheet: r.sheet,
            })
        };
        let cut = match (&self.source, cut) {
            (Source::Csv { reader, .. }, Some(c)) if reader.position() <= c.from => c,
            _ => return self.for_each_row_prepared(cells_only, f),
        };
        let Source::Csv { reader, row, .. } = &mut self.source else {
            unreachable!("a CSV file, matched above");
        };
        let second_file = reader
            .get_ref()
            .file
            .try_clone()
            .map_err(|e| Error::io(&self.path, e))?;
        let delimiter = self.delimiter.unwrap_or(Delimiter::Comma).byte();
        let name = &self.name;
        let path = &self.path;
        let headers = &self.headers;
        let first_number = *row;
        let cancel = AtomicBool::new(false);
        let (first_tx, first_rx) = mpsc::sync_channel::<First<P>>(4);
        let (empty_tx, empty_rx) = mpsc::sync_channel::<Batch<P>>(8);
        // The second half's batches are kept until `f` reaches them: unbounded.
        let (second_tx, second_rx) = mpsc::channel::<Second<P>>();
        // To the first thread: how many records the second gave, if it stopped early.
        let (given_tx, given_rx) = mpsc::sync_channel::<Option<u64>>(1);
        for _ in 0..6 {
            empty_tx.send(Batch::new()).expect("the receiver is alive");
        }
        let result = std::thread::scope(|scope| {
            let cancel = &cancel;
            let prepare = &cells_only;
            // The second half.
            scope.spawn(move || {
                let mut reader = CsvReader::with_delimiter(
                    Positioned {
                        file: second_file,
                        pos: 0,
                    },
                    1 << 20,
                    delimiter,
                );
                let mut given = 0u64;
                let mut record = Record::default();
                let stopped = 'read: {
                    if reader.seek(cut.start).is_err() {
                        break 'read true;
                    }
                    loop {
                        if cancel.load(Ordering::Relaxed) {
                            break 'read true;
                        }
                        let mut b = Packed::new();
                        let mut end = false;
                        let mut judged = true;
                        while b.len() < BATCH {
                            let locator = reader.position();
                            match reader.read_record(&mut record) {
                                Ok(true) => {}
                                Ok(false) => {
                                    end = true;
                                    break;
                                }
                                // The first thread meets it again, and reports it.
                                Err(_) => {
                                    judged = false;
                                    break;
                                }
                            }
                            // Numbers and lines would be needed to judge these.
                            if record.has_long_quotes() || utf8_fields(&record).is_err() {
                                judged = false;
                                break;
                            }
                            let p = prepare(&Row {
                                number: 0,
                                locator: 0,
                                cells: Cells::Bytes(&record),
                                sheet: None,
                            });
                            if !b.push(&record, locator, p) {
                                judged = false;
                                break;
                            }
                        }
                        given += b.len() as u64;
                        if b.len() > 0 && second_tx.send(Second::Rows(b)).is_err() {
                            break 'read true;
                        }
                        if !judged {
                            break 'read true;
                        }
                        if end {
                            break 'read false;
                        }
                    }
                };
                let _ = given_tx.send(stopped.then_some(given));
                let _ = second_tx.send(if stopped {
                    Second::Stopped
                } else {
                    Second::End
                });
            });
            // The first half, and the rest if the second thread stopped.
            scope.spawn(move || {
                let mut number = first_number;
                // Records to pass over: those the second thread gave.
                let mut skip = 0u64;
                let mut cut = Some(cut);
                while let Ok(mut b) = empty_rx.recv() {
                    b.prepared.clear();
                    let mut len = 0;
                    let mut at_cut = None;
                    while len < BATCH {
                        let locator = reader.position();
                        if let Some(c) = cut
                            && locator >= c.from
                        {
                            cut = None;
                            if locator <= c.start {
                                at_cut = Some(locator);
                                break;
                            }
                            // A record runs over the cut: the second half is not one.
                            cancel.store(true, Ordering::Relaxed);
                        }
                        let record = b.slot(len);
                        match read_checked(reader, record, path, name, number + 1, headers) {
                            Ok(true) => {
                                number += 1;
                                if skip > 0 {
                                    skip -= 1;
                                    continue;
                                }
                                b.locators[len] = locator;
                                b.prepared.push(prepare(&Row {
                                    number: 0,
                                    locator: 0,
                                    cells: Cells::Bytes(&b.records[len]),
                                    sheet: None,
                                }));
                                len += 1;
                            }
                            Ok(false) => break,
                            Err(e) => {
                                // The rows before it first: `f` may refuse one of them.
                                if first_tx.send(First::Rows(b)).is_ok() {
                                    let _ = first_tx.send(First::Error(e));
                                }
                                return;
                            }
                        }
                    }
                    let last = len < BATCH && at_cut.is_none();
                    if (len > 0 || last) && first_tx.send(First::Rows(b)).is_err() {
                        return;
                    }
                    if last {
                        return;
                    }
                    if let Some(at) = at_cut {
                        if first_tx.send(First::Cut(at)).is_err() {
                            return;
                        }
                        match given_rx.recv() {
                            // The second half was read to the end: the rest of the file is
                            // only read through, to be hashed.
                            Ok(None) => {
                                let _ = reader.read_through();
                                return;
                            }
                            // The second thread stopped: read on from the cut.
                            Ok(Some(given)) => skip = given,
                            Err(_) => return,
                        }
                    }
                }
            });
            // Runs until the first thread hangs up (end of file or error), or `f` fails;
            // dropping the channels on the way out stops the parsers wherever they wait.
            let mut number = first_number;
            let result = 'pass: {
                while let Ok(msg) = first_rx.recv() {
                    match msg {
                        First::Rows(mut b) => {
                            for (i, p) in b.prepared.drain(..).enumerate() {
                                number += 1;
                                let r = Row {
                                    number,
                                    locator: b.locators[i],
                                    cells: Cells::Bytes(&b.records[i]),
                                    sheet: None,
                                };
                                if let Err(e) = f(&r, p) {
                                    break 'pass Err(e);
                                }
                            }
                            let _ = empty_tx.try_send(b);
                        }
                        First::Error(e) => break 'pass Err(e),
                        First::Cut(at) => {
                            // The second half's first row is read from the first thread's
                            // position, as a one-threaded pass reads it.
                            let mut locator = Some(at);
                            loop {
                                match second_rx.recv() {
                                    Ok(Second::Rows(mut b)) => {
                                        let prepared = std::mem::take(&mut b.prepared);
                                        for (i, p) in prepared.into_iter().enumerate() {
                                            number += 1;
                                            let r = Row {
                                                number,
                                                locator: locator.take().unwrap_or(b.locators[i]),
                                                cells: b.cells(i),
                                                sheet: None,
                                            };
                                            if let Err(e) = f(&r, p) {
                                                break 'pass Err(e);
                                            }
                                        }
                                    }
                                    Ok(Second::End) => break 'pass Ok(()),
                                    // The first thread sends the rest.
                                    Ok(Second::Stopped) | Err(_) => break,
                                }
                            }
                        }
                    }
                }
                Ok(())
            };
            cancel.store(true, Ordering::Relaxed);
            drop(first_rx);
            drop(second_rx);
            drop(empty_tx);
            result
        });
        result?;
        // The halves were read through two handles, and the hash through the first: a file
        // written to during the pass could have given them different bytes.
        self.unchanged()
    }
}

/// Reads `buf.len()` bytes or fewer of `file` at `offset`, leaving its position.
fn read_at(file: &std::fs::File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    #[cfg(unix)]
    return std::os::unix::fs::FileExt::read_at(file, buf, offset);
    #[cfg(windows)]
    return std::os::windows::fs::FileExt::seek_read(file, buf, offset);
}

#[cfg(test)]
mod tests {
    use super::super::tests::written;
    use super::*;
    use proptest::prelude::*;

    /// A row as `f` saw it: number, locator, cells, and what `prepare` made of the cells.
    type Seen = (u64, u64, Vec<String>, String);

    /// An error's message from the file's name on (each way reads its own copy).
    fn message(e: Error) -> Option<String> {
        let e = e.to_string();
        Some(e[e.find("r.csv").unwrap_or(0)..].to_string())
    }

    fn cells(r: &Row<'_>) -> Vec<String> {
        (0..r.len()).map(|i| r.get(i).to_string()).collect()
    }

    /// The rows of the CSV `text` read one by one ([`Table::next_row`]), up to the first error
    /// (or to row `fail_at`, refused by `f`), and that error.
    fn one_by_one(text: &[u8], fail_at: Option<u64>) -> (Vec<Seen>, Option<String>) {
        let (_dir, path) = written(text);
        let mut t = match Table::open(&path, None) {
            Ok(t) => t,
            Err(e) => return (Vec::new(), message(e)),
        };
        let mut seen = Vec::new();
        loop {
            match t.next_row() {
                Ok(Some(r)) => {
                    if Some(r.number()) == fail_at {
                        return (seen, Some(format!("refused row {}", r.number())));
                    }
                    let c = cells(&r);
                    let joined = c.join("|");
                    seen.push((r.number(), r.locator(), c, joined));
                }
                Ok(None) => return (seen, None),
                Err(e) => return (seen, message(e)),
            }
        }
    }

    /// The same rows read in two halves cut after `at` (the file hashed), and whether the
    /// digest is the file's.
    fn in_halves(text: &[u8], at: u64, fail_at: Option<u64>) -> (Vec<Seen>, Option<String>) {
        let (_dir, path) = written(text);
        let mut t = match Table::open_hashed(&path, None) {
            Ok(t) => t,
            Err(e) => return (Vec::new(), message(e)),
        };
        let file = std::fs::File::open(&path).unwrap();
        let cut = cut_after(at, text.len() as u64, |at, buf| read_at(&file, buf, at)).unwrap();
        let mut seen = Vec::new();
        let prepare = |r: &Row<'_>| {
            assert_eq!((r.number(), r.locator()), (0, 0), "prepare sees cells only");
            cells(r).join("|")
        };
        let result = t.for_each_row_cut(cut, prepare, |r, p| {
            if Some(r.number()) == fail_at {
                return Err(Error::from(crate::error::ErrorKind::Malformed {
                    at: crate::Position::row("x".to_string(), r.number()),
                    message: String::new(),
                }));
            }
            seen.push((r.number(), r.locator(), cells(r), p));
            Ok(())
        });
        let error = match result {
            Ok(()) => {
                let digest = t.sha256().expect("the whole file was read, and hashed");
                assert_eq!(digest, crate::table::file_sha256(&path).unwrap());
                None
            }
            Err(e) if fail_at.is_some() && e.to_string().starts_with("x:") => {
                Some(format!("refused row {}", fail_at.unwrap()))
            }
            Err(e) => message(e),
        };
        (seen, error)
    }

    #[test]
    fn the_cut_follows_the_first_line_end_past_the_point() {
        let text = b"h\na,b\r\n\r\nc,d\ne";
        let file = written(text);
        let f = std::fs::File::open(&file.1).unwrap();
        let cut = |at| cut_after(at, text.len() as u64, |at, buf| read_at(&f, buf, at)).unwrap();
        assert_eq!(cut(0), Some(Cut { from: 1, start: 2 }));
        // After `\r\n\r\n`: the line ends before it are passed over.
        assert_eq!(cut(3), Some(Cut { from: 5, start: 7 }));
        assert_eq!(cut(7), Some(Cut { from: 5, start: 9 }));
        assert_eq!(
            cut(11),
            Some(Cut {
                from: 12,
                start: 13
            })
        );
        // No line end at or after the point, or only the last byte.
        assert_eq!(cut(13), None);
        assert_eq!(cut(99), None);
        assert_eq!(
            cut_after(0, 2, |at, buf| read_at(&f, buf, at)).unwrap(),
            None
        );
    }

    #[test]
    fn both_halves_read_as_one_pass_reads() {
        let mut text = String::from("title\n\nid,name,score\n");
        for i in 0..5000 {
            let end = if i % 7 == 0 { "\r\n" } else { "\n" };
            text += &format!("{i},\"Nguyễn, {i}\",{}{end}", i % 5);
            if i % 11 == 0 {
                text += ",,\n\n";
            }
        }
        let text = text.as_bytes();
        let want = one_by_one(text, None);
        assert!(want.1.is_none() && want.0.len() > 5000);
        for at in [
            0,
            1,
            30,
            text.len() as u64 / 3,
            text.len() as u64 / 2,
            text.len() as u64 - 3,
        ] {
            assert_eq!(in_halves(text, at, None), want, "cut after {at}");
        }
        // `f` refuses a row of the second half, or of the first.
        for fail in [4000, 17] {
            assert_eq!(
                in_halves(text, text.len() as u64 / 2, Some(fail)),
                one_by_one(text, Some(fail))
            );
        }
    }

    #[test]
    fn rows_short_and_long_read_as_one_pass_reads() {
        // Rows on both sides of 256 bytes (the width of their packed spans) and one far
        // longer, with quoted and trimmed cells, in both halves.
        let mut text = String::from("id,note,score\n");
        for len in (240..270).chain([1000, 70_000]).chain(240..270) {
            let note = "x".repeat(len - 12);
            text += &format!("{len},\"{note}\", 4 \n");
        }
        let text = text.as_bytes();
        let want = one_by_one(text, None);
        assert_eq!(want.0.len(), 62);
        assert!(want.0.iter().any(|r| r.2[1].len() == 69_988));
        for at in [100, text.len() as u64 / 2, text.len() as u64 - 2000] {
            assert_eq!(in_halves(text, at, None), want, "cut after {at}");
        }
    }

    #[test]
    fn a_cut_inside_quotes_is_found_out() {
        // The middle falls inside a quoted cell over many lines: the first thread reads
        // past the cut, and reads the rest itself.
        let mut text = String::from("id,note\n1,\"");
        for i in 0..2000 {
            text += &format!("line {i}\n");
        }
        text += "\"\n2,x\n";
        let text = text.as_bytes();
        let want = one_by_one(text, None);
        assert_eq!(want.0.len(), 2);
        assert_eq!(in_halves(text, text.len() as u64 / 2, None), want);
    }

    #[test]
    fn errors_past_the_cut_are_those_of_one_pass() {
        let mut rows = String::from("id,name\n");
        for i in 0..3000 {
            rows += &format!("{i},An {i}\n");
        }
        let half = rows.len() as u64 / 2;
        // Not UTF-8, a quote that never closes, a quoted cell over lines in a row of the wrong
        // shape, and a legal one: each after the cut.
        let tails: [&[u8]; 4] = [
            b"9,\xff\n10,b\n",
            b"9,\"open\n10,b\n",
            b"9,\"a\nb\",c\n10,b\n",
            b"9,\"a\nb\"\n10,b\n",
        ];
        for tail in tails {
            let mut text = rows.clone().into_bytes();
            text.extend_from_slice(tail);
            text.extend_from_slice(b"11,c\n");
            let want = one_by_one(&text, None);
            assert_eq!(
                in_halves(&text, half, None),
                want,
                "{:?}",
                String::from_utf8_lossy(tail)
            );
        }
    }

    #[test]
    fn a_file_written_to_during_the_pass_is_refused() {
        let mut text = String::from("id,name\n");
        for i in 0..3000 {
            text += &format!("{i},An {i}\n");
        }
        let (_dir, path) = written(&text);
        let mut t = Table::open_hashed(&path, None).unwrap();
        let file = std::fs::File::open(&path).unwrap();
        let len = text.len() as u64;
        let cut = cut_after(len / 2, len, |at, buf| read_at(&file, buf, at)).unwrap();
        let mut appended = false;
        let e = t
            .for_each_row_cut(
                cut,
                |_| (),
                |_, ()| {
                    if !appended {
                        use std::io::Write;
                        let mut f = std::fs::OpenOptions::new()
                            .append(true)
                            .open(&path)
                            .unwrap();
                        f.write_all(b"3000,An 3000\n").unwrap();
                        appended = true;
                    }
                    Ok(())
                },
            )
            .unwrap_err()
            .to_string();
        assert!(e.contains("changed while it was being read"), "{e}");
    }

    proptest! {
        #[test]
        fn any_text_cut_anywhere_reads_as_one_pass_reads(
            chars in proptest::collection::vec(
                prop::sample::select(vec![b'a', b' ', b',', b'"', b'\r', b'\n', 0xc3, 0xa9, 0xff]),
                0..160,
            ),
            at in 0u64..170,
            fail_at in proptest::option::of(1u64..20),
        ) {
            let mut text = b"h1,h2\n".to_vec();
            text.extend_from_slice(&chars);
            prop_assert_eq!(in_halves(&text, at, fail_at), one_by_one(&text, fail_at));
        }
    }
}
