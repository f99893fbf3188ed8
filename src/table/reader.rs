//! The CSV reader of a pass over a table's rows: records read exactly as the `csv` crate reads
//! them with its default dialect (or that dialect with `;` or a tab in place of the comma), in
//! about half the time.
//!
//! The `csv` crate's parser (`csv_core`) is a byte-at-a-time automaton; on a records file it was
//! most of the pass's critical path. The dialect it implements for us is small enough to read
//! by looking only at the bytes that can change the reading (`,` `"` `\r` `\n`), found 64 bytes
//! at a time with vector comparisons, and copying each record's bytes once. Below, "comma" is
//! the reader's delimiter ([`CsvReader::with_delimiter`]: `,`, `;` or a tab):
//!
//! * a record starts after any number of `\r` and `\n` (blank lines are skipped), and a UTF-8
//!   byte-order mark at the start of the file is ignored;
//! * a field that starts with `"` is quoted: its text runs to the next `"` (commas, `\r` and
//!   `\n` included); `""` there is one `"`; after the closing quote, a comma ends the field,
//!   `\r` or `\n` ends the record, and anything else continues the field unquoted
//!   (`"ab"c` reads `abc`);
//! * any other field runs to the next comma (next field), `\r` or `\n` (end of the record); a
//!   `"` inside it is an ordinary character;
//! * the end of the file ends the last record, even inside quotes.
//!
//! The reader also counts lines, so that the table can judge a record's quotes
//! ([`Record::line`], [`Record::long_quotes`], [`Record::unclosed`]): a line ends at `\n`, at
//! `\r\n` or at a lone `\r` (as editors and Python's universal newlines count them). The
//! count looks only at what the reading did already: the line ends that end records or are
//! skipped between them, and those met inside quotes (marks anyway), whose places are noted;
//! only a record with such a cell has its bytes counted again, to turn them into lines.
//!
//! These are the transitions of `csv_core`'s reader for a comma, a double quote, doubled quotes,
//! no escape character, no comments and the `\r`/`\n`/`\r\n` terminator (`csv_core` 0.1,
//! `NfaState`); a property test compares both readers record by record on random text made of
//! those characters, for each delimiter (the `csv` crate built with the same one). Rows read again by their locators ([`super::Fetcher`]) go through the
//! same reader.

use std::io;
use std::ops::Range;

/// One record: its text, where each cell is in it, and on which lines its quotes are.
#[derive(Clone, Debug, Default)]
pub(super) struct Record {
    /// The record's bytes as read (quotes and separators included), then the text of the
    /// cells that are not one piece of them (doubled quotes, text after a closing quote).
    text: Vec<u8>,
    /// Each cell's place in `text`.
    spans: Vec<(usize, usize)>,
    /// The line on which the record starts.
    line: u64,
    /// The quoted cells that hold a line end, in order, and the last cell if the input
    /// ended inside its quotes (usually none).
    long_quotes: Vec<QuotedLines>,
    /// Whether the input ended inside the quotes of the last cell.
    unclosed: bool,
}

/// Where a quoted cell is: which cell of its record, the line on which its quote opens and
/// the line on which the cell ends (that of its closing quote, or of the last byte of the
/// input if the quotes never close).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct QuotedLines {
    /// The cell's index in the record.
    pub(super) cell: usize,
    /// The line of the opening quote.
    pub(super) opened: u64,
    /// The line on which the cell ends.
    pub(super) ended: u64,
}

impl Record {
    /// How many cells.
    pub(super) fn len(&self) -> usize {
        self.spans.len()
    }

    /// Cell `i`.
    #[inline]
    pub(super) fn get(&self, i: usize) -> Option<&[u8]> {
        self.spans.get(i).map(|&(a, b)| &self.text[a..b])
    }

    /// Each cell's place in [`Record::text`].
    pub(super) fn spans(&self) -> &[(usize, usize)] {
        &self.spans
    }

    /// The cells in order.
    pub(super) fn iter(&self) -> impl Iterator<Item = &[u8]> {
        self.spans.iter().map(|&(a, b)| &self.text[a..b])
    }

    /// All the bytes the cells are taken from: if these are UTF-8, so is every cell (each is
    /// made of pieces that start and end next to an ASCII byte or at an end of them). The
    /// converse does not hold: `"\xc3"\xa9` reads as `é`.
    pub(super) fn text(&self) -> &[u8] {
        &self.text
    }

    /// The line on which the record starts (its first byte), counting from 1 at the start
    /// of the stream ([`CsvReader::seek`] says what the count is after a seek).
    pub(super) fn line(&self) -> u64 {
        self.line
    }

    /// The quoted cells of the record that hold a line end, in order, and its last cell if
    /// the input ended inside its quotes ([`Record::unclosed`]).
    pub(super) fn long_quotes(&self) -> &[QuotedLines] {
        &self.long_quotes
    }

    /// Whether the input ended inside the quotes of the record's last cell (the last of
    /// [`Record::long_quotes`]; the record is then the last).
    pub(super) fn unclosed(&self) -> bool {
        self.unclosed
    }

    /// Whether the record's quotes need a look: a quoted cell holds a line end, or the input
    /// ended inside quotes.
    #[inline]
    pub(super) fn has_long_quotes(&self) -> bool {
        !self.long_quotes.is_empty()
    }
}

/// Where a [`CsvReader`] reads from: any reader (read into the reader's buffer), or a source
/// that hands out whole buffers of the stream (so that they need not be copied).
pub(super) trait Source {
    /// Makes `buf` hold `buf[keep]` followed by the next bytes of the stream, in `buf` itself
    /// or in a buffer of the source's own that replaces it.
    fn refill(&mut self, buf: &mut Vec<u8>, keep: Range<usize>) -> io::Result<Swapped>;
}

/// What [`Source::refill`] put in the buffer.
pub(super) struct Swapped {
    /// Where the kept bytes now are, followed by the new ones.
    pub(super) bytes: Range<usize>,
    /// Whether the stream has ended (the bytes are all there is).
    pub(super) eof: bool,
}

impl<R: io::Read> Source for R {
    fn refill(&mut self, buf: &mut Vec<u8>, keep: Range<usize>) -> io::Result<Swapped> {
        refill_from(self, buf, keep)
    }
}

/// [`Source::refill`] for a reader: the kept bytes moved to the front of `buf`, which is
/// doubled if they fill it (so that a long record is parsed again only a few times), then
/// filled.
pub(super) fn refill_from(
    reader: &mut impl io::Read,
    buf: &mut Vec<u8>,
    keep: Range<usize>,
) -> io::Result<Swapped> {
    let mut end = keep.len();
    buf.copy_within(keep, 0);
    if end == buf.len() {
        buf.resize((buf.len() * 2).max(64 << 10), 0);
    }
    while end < buf.len() {
        match reader.read(&mut buf[end..]) {
            Ok(0) => {
                return Ok(Swapped {
                    bytes: 0..end,
                    eof: true,
                });
            }
            Ok(n) => end += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(Swapped {
        bytes: 0..end,
        eof: false,
    })
}

/// Reads records from `R`.
pub(super) struct CsvReader<R> {
    inner: R,
    /// `buf[start..end]` is read and not yet parsed; `buf[valid..start]` was parsed; before
    /// `valid`, the buffer holds nothing of the stream.
    buf: Vec<u8>,
    valid: usize,
    start: usize,
    end: usize,
    /// The offset in the stream of `buf[0]` (modulo 2^64: it is "negative" when the stream
    /// starts after `buf[0]`).
    base: u64,
    /// Whether `inner` has reported its end.
    eof: bool,
    /// Whether the byte-order mark has been looked for.
    started: bool,
    /// Records read so far.
    records: u64,
    /// The text of the cells of a record that are not one piece of it.
    scratch: Vec<u8>,
    /// Which of the record's cells are in `scratch`.
    moved: Vec<usize>,
    /// The marks of the buffer found and not yet passed: one record's search goes on into
    /// the next.
    marks: Marks,
    /// The line count where the next record's reading starts.
    lines: Lines,
    /// The byte that separates cells.
    delimiter: u8,
}

/// The line count at an offset of the stream.
#[derive(Clone, Copy, Debug)]
struct Lines {
    /// The line of the byte at the offset.
    line: u64,
    /// Whether the byte before the offset is a `\r` (then a `\n` there ends no line).
    after_cr: bool,
}

impl Default for Lines {
    /// The start of the stream: line 1.
    fn default() -> Lines {
        Lines {
            line: 1,
            after_cr: false,
        }
    }
}

/// What parsing at a record's start found.
enum Step {
    /// A record; the next one's reading starts at this offset.
    Record(usize),
    /// The end of the input: no more records.
    End,
    /// The input ends inside the record, and more may come.
    More,
}

impl<R: Source> CsvReader<R> {
    /// A reader of comma-separated records.
    #[cfg(test)]
    pub(super) fn new(inner: R, capacity: usize) -> CsvReader<R> {
        CsvReader::with_delimiter(inner, capacity, b',')
    }

    /// A reader of records whose cells are separated by `delimiter`, which must be one of
    /// [`DELIMITERS`].
    pub(super) fn with_delimiter(inner: R, capacity: usize, delimiter: u8) -> CsvReader<R> {
        assert!(DELIMITERS.contains(&delimiter), "a delimiter chiso reads");
        CsvReader {
            inner,
            buf: vec![0; capacity.max(4)],
            valid: 0,
            start: 0,
            end: 0,
            base: 0,
            eof: false,
            started: false,
            records: 0,
            scratch: Vec::new(),
            moved: Vec::new(),
            marks: Marks::new(delimiter),
            lines: Lines::default(),
            delimiter,
        }
    }

    /// The underlying reader.
    pub(super) fn get_ref(&self) -> &R {
        &self.inner
    }

    /// Goes back to the start of the stream, to read it again from its first record.
    pub(super) fn rewind(&mut self) -> io::Result<()>
    where
        R: io::Seek,
    {
        self.seek(0)?;
        self.records = 0;
        Ok(())
    }

    /// Reads on from `offset` in the stream, which must be where a record's reading starts
    /// (a [`CsvReader::position`]): inside the buffer, without calling the system. The
    /// byte-order mark is looked for at offset 0 only. Lines are counted again from 1 at
    /// `offset`: they are the file's own after a seek to its start only.
    pub(super) fn seek(&mut self, offset: u64) -> io::Result<()>
    where
        R: io::Seek,
    {
        self.marks = Marks::new(self.delimiter);
        self.lines = Lines::default();
        let k = offset.wrapping_sub(self.base);
        if (self.valid as u64..=self.end as u64).contains(&k) {
            self.start = k as usize;
        } else {
            self.inner.seek(io::SeekFrom::Start(offset))?;
            self.base = offset;
            self.valid = 0;
            self.start = 0;
            self.end = 0;
            self.eof = false;
        }
        self.started = offset != 0;
        Ok(())
    }

    /// The offset in the stream where the next record's reading starts.
    pub(super) fn position(&self) -> u64 {
        self.base.wrapping_add(self.start as u64)
    }

    /// How many records have been read (a header included).
    pub(super) fn records(&self) -> u64 {
        self.records
    }

    /// Reads the next record into `out`; `false` at the end of the input.
    pub(super) fn read_record(&mut self, out: &mut Record) -> io::Result<bool> {
        if !self.started {
            while self.end - self.start < 3 && !self.eof {
                self.refill()?;
            }
            if self.buf[self.start..self.end].starts_with(b"\xef\xbb\xbf") {
                self.start += 3;
            }
            self.started = true;
        }
        loop {
            let input = &self.buf[..self.end];
            let work = (
                &mut self.scratch,
                &mut self.moved,
                &mut self.marks,
                &mut self.lines,
            );
            match parse_record(input, self.start, self.eof, out, work) {
                Step::Record(next) => {
                    self.start = next;
                    self.records += 1;
                    return Ok(true);
                }
                Step::End => {
                    self.start = self.end;
                    return Ok(false);
                }
                Step::More => self.refill()?,
            }
        }
    }

    /// Reads the rest of the stream through without parsing it, so that the source sees all
    /// of it (a [`super::HashingReader`] then has its digest); no record is read after.
    pub(super) fn read_through(&mut self) -> io::Result<()> {
        while !self.eof {
            self.start = self.end;
            self.refill()?;
        }
        self.start = self.end;
        Ok(())
    }

    /// More bytes after `buf[start..end]`.
    fn refill(&mut self) -> io::Result<()> {
        self.marks = Marks::new(self.delimiter);
        let Swapped { bytes, eof } = self.inner.refill(&mut self.buf, self.start..self.end)?;
        let at = self.position();
        self.base = at.wrapping_sub(bytes.start as u64);
        self.valid = bytes.start;
        self.start = bytes.start;
        self.end = bytes.end;
        self.eof = eof;
        Ok(())
    }
}

/// Parses the record whose reading starts at `input[at..]` into `out` (see the module's
/// documentation). `eof`: nothing follows `input`. `scratch` and `moved` are working space;
/// `marks` goes on from where the last record left it, in the same `input`; `lines` is the
/// line count at `at`, moved past the record if one is read.
fn parse_record(
    input: &[u8],
    at: usize,
    eof: bool,
    out: &mut Record,
    (scratch, moved, marks, lines): (&mut Vec<u8>, &mut Vec<usize>, &mut Marks, &mut Lines),
) -> Step {
    /// Where the reading is inside a cell. `start`: the first byte of a quoted cell's text;
    /// `from`: the first byte of it not yet in `scratch`; `copied`: where in `scratch` the
    /// cell's text starts, once some of it had to be copied there.
    enum Cell {
        /// Unquoted, from this offset (a quote here opens a quoted cell; anywhere else it is
        /// text).
        Plain(usize),
        Quoted {
            start: usize,
            from: usize,
            copied: Option<usize>,
        },
        /// After the quote at `close`, which closed the quotes.
        Closed {
            start: usize,
            from: usize,
            copied: Option<usize>,
            close: usize,
        },
    }
    out.text.clear();
    out.spans.clear();
    out.long_quotes.clear();
    out.unclosed = false;
    scratch.clear();
    moved.clear();
    let len = input.len();
    let mut first = at;
    // A line ends at `\r`, and at `\n` unless it follows a `\r`.
    let Lines {
        mut line,
        mut after_cr,
    } = *lines;
    while first < len && matches!(input[first], b'\r' | b'\n') {
        let cr = input[first] == b'\r';
        line += u64::from(cr || !after_cr);
        after_cr = cr;
        first += 1;
    }
    if first == len {
        return if eof { Step::End } else { Step::More };
    }
    out.line = line;
    // Spans are pushed from the record's first byte; those of the cells in `scratch`, from
    // the start of `scratch` (moved after the record's bytes at the end).
    let spans = &mut out.spans;
    let long_quotes = &mut out.long_quotes;
    let mut cell = Cell::Plain(first);
    // A copy, kept in registers, given back at the end of the record.
    let mut m = *marks;
    let delimiter = m.delimiter;
    m.skip_to(input, first);
    // The end of the record's text, and the offset after its terminator.
    let (end, next) = loop {
        let Some(p) = m.next(input) else {
            if !eof {
                return Step::More;
            }
            // The end of the file ends the record.
            if let Cell::Quoted { start, .. } = cell {
                // Unclosed quotes: the cell ends with the input.
                note_line_end(long_quotes, spans.len(), start - 1, len - 1);
                out.unclosed = true;
            }
            match cell {
                Cell::Plain(from) => spans.push((from - first, len - first)),
                // Unclosed quotes: the text runs to the end.
                Cell::Quoted {
                    start,
                    copied: None,
                    ..
                } => spans.push((start - first, len - first)),
                Cell::Quoted {
                    from,
                    copied: Some(at),
                    ..
                } => {
                    scratch.extend_from_slice(&input[from..]);
                    moved.push(spans.len());
                    spans.push((at, scratch.len()));
                }
                Cell::Closed {
                    start,
                    from,
                    copied,
                    close,
                } => finish_quoted(
                    input,
                    first,
                    (start, from, copied, close),
                    len,
                    spans,
                    scratch,
                    moved,
                ),
            }
            break (len, len);
        };
        let c = input[p];
        cell = match cell {
            Cell::Plain(from) => match c {
                c if c == delimiter => {
                    spans.push((from - first, p - first));
                    Cell::Plain(p + 1)
                }
                b'"' if p == from => Cell::Quoted {
                    start: p + 1,
                    from: p + 1,
                    copied: None,
                },
                b'"' => Cell::Plain(from),
                _ => {
                    spans.push((from - first, p - first));
                    break (p, p + 1);
                }
            },
            Cell::Quoted {
                start,
                from,
                copied,
            } if c == b'"' => match input.get(p + 1) {
                // A doubled quote: one quote of text, and the second mark is passed.
                Some(b'"') => {
                    let at = copied.unwrap_or(scratch.len());
                    scratch.extend_from_slice(&input[from..=p]);
                    m.next(input);
                    Cell::Quoted {
                        start,
                        from: p + 2,
                        copied: Some(at),
                    }
                }
                // The closing quote or the first of a pair: the next byte says.
                None if !eof => return Step::More,
                _ => Cell::Closed {
                    start,
                    from,
                    copied,
                    close: p,
                },
            },
            // A comma, or a line end inside quotes: noted.
            Cell::Quoted {
                start,
                from,
                copied,
            } => {
                if c != delimiter {
                    note_line_end(long_quotes, spans.len(), start - 1, p);
                }
                Cell::Quoted {
                    start,
                    from,
                    copied,
                }
            }
            Cell::Closed {
                start,
                from,
                copied,
                close,
            } => match c {
                // Text after the closing quote, where a quote is text.
                b'"' => Cell::Closed {
                    start,
                    from,
                    copied,
                    close,
                },
                _ => {
                    finish_quoted(
                        input,
                        first,
                        (start, from, copied, close),
                        p,
                        spans,
                        scratch,
                        moved,
                    );
                    if c != delimiter {
                        break (p, p + 1);
                    }
                    Cell::Plain(p + 1)
                }
            },
        };
    };
    *marks = m;
    if !long_quotes.is_empty() {
        line = lines_of_quotes(input, first, end, line, long_quotes, out.unclosed);
    }
    if next > end {
        // A line end ended the record (never a `\n` after a `\r`: the `\r` would have).
        line += 1;
        after_cr = input[end] == b'\r';
    }
    *lines = Lines { line, after_cr };
    // The record's bytes, then the moved cells' text.
    out.text.extend_from_slice(&input[first..end]);
    let raw = end - first;
    out.text.extend_from_slice(scratch);
    for &i in moved.iter() {
        let span = &mut out.spans[i];
        *span = (span.0 + raw, span.1 + raw);
    }
    Step::Record(next)
}

/// Notes a line end at `at` inside the quoted cell `cell` whose quote is at `quote` (or, for
/// an unclosed cell, the input's last byte): in `quotes`, the offsets of the cell's quote and
/// of its last line end so far, for [`lines_of_quotes`] to turn into lines.
#[inline]
fn note_line_end(quotes: &mut Vec<QuotedLines>, cell: usize, quote: usize, at: usize) {
    match quotes.last_mut() {
        Some(q) if q.cell == cell => q.ended = at as u64,
        _ => quotes.push(QuotedLines {
            cell,
            opened: quote as u64,
            ended: at as u64,
        }),
    }
}

/// Counts the lines of the record `input[first..end]`, which starts on line `line`, and turns
/// the offsets [`note_line_end`] put in `quotes` into lines: the line of each opening quote,
/// and the line after each cell's last line end (that of its closing quote), or for the
/// unclosed last cell (`unclosed`), the line of the input's last byte. Returns the line at
/// `end`. Only records with quoted cells over lines come here.
#[cold]
#[inline(never)]
fn lines_of_quotes(
    input: &[u8],
    first: usize,
    end: usize,
    mut line: u64,
    quotes: &mut [QuotedLines],
    unclosed: bool,
) -> u64 {
    let n = quotes.len();
    let (mut k, mut open) = (0, false);
    for i in first..end {
        if k < n && !open && quotes[k].opened == i as u64 {
            quotes[k].opened = line;
            open = true;
        }
        // A line ends at `\r`, and at `\n` unless it follows a `\r` (the record's first
        // byte is neither).
        let c = input[i];
        line += u64::from(c == b'\r' || (c == b'\n' && input[i - 1] != b'\r'));
        if open && quotes[k].ended == i as u64 {
            quotes[k].ended = line;
            (k, open) = (k + 1, false);
        }
    }
    if unclosed {
        // The line of the last byte, not the one after it.
        quotes[n - 1].ended -= u64::from(matches!(input[end - 1], b'\r' | b'\n'));
    }
    line
}

/// Ends a quoted cell closed at `close`, whose text after the closing quote runs to `end`.
fn finish_quoted(
    input: &[u8],
    first: usize,
    (start, from, copied, close): (usize, usize, Option<usize>, usize),
    end: usize,
    spans: &mut Vec<(usize, usize)>,
    scratch: &mut Vec<u8>,
    moved: &mut Vec<usize>,
) {
    if copied.is_none() && end == close + 1 {
        // `"text"`: the text as it stands.
        spans.push((start - first, close - first));
        return;
    }
    let at = copied.unwrap_or(scratch.len());
    scratch.extend_from_slice(&input[from..close]);
    scratch.extend_from_slice(&input[close + 1..end]);
    moved.push(spans.len());
    spans.push((at, scratch.len()));
}

/// The delimiters a [`CsvReader`] reads: comma, semicolon (what Excel writes for "CSV" where
/// the decimal sign is a comma) and tab.
pub(super) const DELIMITERS: [u8; 3] = [b',', b';', b'\t'];

/// The offsets of the bytes that can change the reading (the delimiter, `"` `\r` `\n`) in an
/// input, in order: found 64 bytes at a time, as a bit mask.
#[derive(Clone, Copy, Debug)]
struct Marks {
    /// The offset of bit 0 of `bits`.
    block: usize,
    /// The marks of the block not yet passed.
    bits: u64,
    /// The delimiter.
    delimiter: u8,
}

impl Marks {
    /// Marks that know nothing yet: the first [`Marks::skip_to`] searches.
    fn new(delimiter: u8) -> Marks {
        Marks {
            block: usize::MAX,
            bits: 0,
            delimiter,
        }
    }

    /// Passes the marks before `from` (searching from there unless `from` is in the block
    /// already searched).
    #[inline]
    fn skip_to(&mut self, input: &[u8], from: usize) {
        match from.checked_sub(self.block) {
            Some(k) if k < 64 => self.bits &= u64::MAX << k,
            _ => {
                self.block = from;
                self.bits = block_marks(input, from, self.delimiter);
            }
        }
    }

    /// The next mark.
    #[inline]
    fn next(&mut self, input: &[u8]) -> Option<usize> {
        while self.bits == 0 {
            if self.block.saturating_add(64) >= input.len() {
                return None;
            }
            self.block += 64;
            self.bits = block_marks(input, self.block, self.delimiter);
        }
        let p = self.block + self.bits.trailing_zeros() as usize;
        self.bits &= self.bits - 1;
        Some(p)
    }
}

/// Bit `k` set when `input[at + k]` is `delimiter`, `"`, `\r` or `\n`, for `k` in `0..64` (bytes
/// past the end count as none of them).
#[inline]
fn block_marks(input: &[u8], at: usize, delimiter: u8) -> u64 {
    match input.get(at..at + 64) {
        Some(block) => marks64(block.try_into().expect("64 bytes"), delimiter),
        None => {
            let mut block = [0u8; 64];
            let rest = &input[at.min(input.len())..];
            block[..rest.len()].copy_from_slice(rest);
            marks64(&block, delimiter)
        }
    }
}

/// [`block_marks`] of 64 bytes, with SSE2 (part of every x86-64 processor).
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
fn marks64(block: &[u8; 64], delimiter: u8) -> u64 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    let mut bits = 0u64;
    for (k, chunk) in block.chunks_exact(16).enumerate() {
        // SAFETY: the target has SSE2 (the `cfg` above), and `chunk` is 16 readable bytes,
        // which `_mm_loadu_si128` reads from any alignment.
        let mask = unsafe {
            let v = _mm_loadu_si128(chunk.as_ptr().cast::<__m128i>());
            let hit = _mm_or_si128(
                _mm_or_si128(
                    _mm_cmpeq_epi8(v, _mm_set1_epi8(delimiter as i8)),
                    _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8)),
                ),
                _mm_or_si128(
                    _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\r' as i8)),
                    _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\n' as i8)),
                ),
            );
            _mm_movemask_epi8(hit)
        };
        bits |= u64::from(mask as u16) << (16 * k);
    }
    bits
}

/// [`block_marks`] of 64 bytes, eight at a time in a `u64`, on other processors.
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
fn marks64(block: &[u8; 64], delimiter: u8) -> u64 {
    marks64_portable(block, delimiter)
}

/// [`block_marks`] of 64 bytes without processor-specific instructions.
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
fn marks64_portable(block: &[u8; 64], delimiter: u8) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const ONES: u64 = 0x0101_0101_0101_0101;
    // The high bit of every byte of `x` that is zero (exactly: no borrow between bytes).
    let zero_bytes = |x: u64| !(((x & LOW7).wrapping_add(LOW7)) | x | LOW7);
    let mut bits = 0u64;
    for (k, chunk) in block.chunks_exact(8).enumerate() {
        let w = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        let high = zero_bytes(w ^ (ONES * u64::from(delimiter)))
            | zero_bytes(w ^ (ONES * u64::from(b'"')))
            | zero_bytes(w ^ (ONES * u64::from(b'\r')))
            | zero_bytes(w ^ (ONES * u64::from(b'\n')));
        // The eight high bits, gathered into the low byte in order.
        let byte = ((high >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56;
        bits |= byte << (8 * k);
    }
    bits
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A reader that hands out at most `step` bytes per read.
    struct Trickle<'a> {
        bytes: &'a [u8],
        step: usize,
    }

    impl io::Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(out.len()).min(self.bytes.len());
            out[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            Ok(n)
        }
    }

    /// Every record of `bytes` as the `csv` crate reads them (flexible, no header), with the
    /// byte offset where each one's reading starts.
    fn by_csv(bytes: &[u8]) -> Vec<Vec<Vec<u8>>> {
        by_csv_with(bytes, b',')
    }

    /// [`by_csv`] with `delimiter` in place of the comma.
    fn by_csv_with(bytes: &[u8], delimiter: u8) -> Vec<Vec<Vec<u8>>> {
        let mut r = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .has_headers(false)
            .from_reader(bytes);
        let mut out = Vec::new();
        let mut rec = csv::ByteRecord::new();
        while r.read_byte_record(&mut rec).unwrap() {
            out.push(rec.iter().map(<[u8]>::to_vec).collect());
        }
        out
    }

    fn by_us(bytes: &[u8], step: usize, capacity: usize) -> Vec<Vec<Vec<u8>>> {
        by_us_with(bytes, step, capacity, b',')
    }

    fn by_us_with(bytes: &[u8], step: usize, capacity: usize, delimiter: u8) -> Vec<Vec<Vec<u8>>> {
        let mut r = CsvReader::with_delimiter(Trickle { bytes, step }, capacity, delimiter);
        let mut out = Vec::new();
        let mut rec = Record::default();
        while r.read_record(&mut rec).unwrap() {
            // If the text is UTF-8, so is every cell (not the converse: `"\xc3"\xa9` reads
            // `é`).
            if std::str::from_utf8(rec.text()).is_ok() {
                assert!(
                    rec.iter().all(|c| std::str::from_utf8(c).is_ok()),
                    "{rec:?}"
                );
            }
            out.push(rec.iter().map(<[u8]>::to_vec).collect());
        }
        assert_eq!(r.records(), out.len() as u64);
        out
    }

    #[test]
    fn reads_the_dialect_as_the_csv_crate_does() {
        for text in [
            &b""[..],
            b"\n\r\n",
            b"a,b\n1,2",
            b"a,b\r\n1,2\r\n",
            b"a\rb\r\rc",
            b"\xef\xbb\xbfa,b\n",
            b"\"x, \"\"y\"\"\",z\n",
            b"\"ab\"c,d\n",
            b"ab\"c\",d\n",
            b"\"multi\nline\",2\n",
            b"\"unterminated,\nquote",
            b"a,\n,\n,,",
            b"\"\"\n\"\"\"\"",
            b"\"a\"\r\"b\"\n",
        ] {
            let want = by_csv(text);
            for (step, capacity) in [(1, 1), (3, 5), (1 << 20, 1 << 20)] {
                assert_eq!(by_us(text, step, capacity), want, "{text:?}");
            }
            // The same text with another delimiter in place of every comma, and as it is
            // (its commas are then text).
            for d in [b';', b'\t'] {
                let other: Vec<u8> = text
                    .iter()
                    .map(|&c| if c == b',' { d } else { c })
                    .collect();
                for bytes in [&other[..], text] {
                    let want = by_csv_with(bytes, d);
                    for (step, capacity) in [(1, 1), (3, 5), (1 << 20, 1 << 20)] {
                        assert_eq!(by_us_with(bytes, step, capacity, d), want, "{bytes:?}");
                    }
                }
            }
        }
        // A semicolon file: decimal commas stay in their cells.
        let text = "Mã;Điểm\r\nA;1,75\r\nB;\"2;5\"\r\n".as_bytes();
        let cells = by_us_with(text, 1 << 20, 1 << 20, b';');
        assert_eq!(cells[1], [b"A".to_vec(), b"1,75".to_vec()]);
        assert_eq!(cells[2], [b"B".to_vec(), b"2;5".to_vec()]);
    }

    /// What each record of `bytes` says of its lines: the line it starts on, its quoted
    /// cells holding a line end or unclosed, whether the last is unclosed.
    type LineInfo = (u64, Vec<QuotedLines>, bool);

    fn lines_by_us(bytes: &[u8], step: usize, capacity: usize) -> Vec<LineInfo> {
        let mut r = CsvReader::new(Trickle { bytes, step }, capacity);
        let mut out = Vec::new();
        let mut rec = Record::default();
        while r.read_record(&mut rec).unwrap() {
            assert_eq!(rec.has_long_quotes(), !rec.long_quotes().is_empty());
            out.push((rec.line(), rec.long_quotes().to_vec(), rec.unclosed()));
        }
        out
    }

    /// [`lines_by_us`], a byte at a time and by definition: a line ends with `\n`, or with a
    /// `\r` that no `\n` follows, and holds the bytes up to its end.
    fn lines_by_definition(text: &[u8]) -> Vec<LineInfo> {
        let ends =
            |j: usize| text[j] == b'\n' || (text[j] == b'\r' && text.get(j + 1) != Some(&b'\n'));
        let mut line_of = Vec::with_capacity(text.len());
        let mut line = 1;
        for j in 0..text.len() {
            line_of.push(line);
            line += u64::from(ends(j));
        }
        let eol = |c: u8| c == b'\r' || c == b'\n';
        #[derive(PartialEq)]
        enum State {
            Start,
            Plain,
            Quoted,
            Closed,
        }
        let mut out = Vec::new();
        let mut i = if text.starts_with(b"\xef\xbb\xbf") {
            3
        } else {
            0
        };
        loop {
            while i < text.len() && eol(text[i]) {
                i += 1;
            }
            if i == text.len() {
                return out;
            }
            let start = line_of[i];
            let (mut cell, mut state, mut opened, mut broken) = (0, State::Start, 0, false);
            let mut long_quotes = Vec::new();
            let mut unclosed = false;
            loop {
                let Some(&c) = text.get(i) else {
                    if state == State::Quoted {
                        let ended = line_of[text.len() - 1];
                        long_quotes.push(QuotedLines {
                            cell,
                            opened,
                            ended,
                        });
                        unclosed = true;
                    }
                    break;
                };
                i += 1;
                match state {
                    State::Quoted if c == b'"' && text.get(i) == Some(&b'"') => i += 1,
                    State::Quoted if c == b'"' => {
                        state = State::Closed;
                        if broken {
                            let ended = line_of[i - 1];
                            long_quotes.push(QuotedLines {
                                cell,
                                opened,
                                ended,
                            });
                        }
                    }
                    State::Quoted => broken |= eol(c),
                    State::Start if c == b'"' => {
                        (state, opened, broken) = (State::Quoted, line_of[i - 1], false);
                    }
                    _ if c == b',' => (cell, state) = (cell + 1, State::Start),
                    _ if eol(c) => break,
                    State::Start => state = State::Plain,
                    _ => {}
                }
            }
            out.push((start, long_quotes, unclosed));
        }
    }

    #[test]
    fn lines_and_quotes_over_lines_are_found() {
        let q = |cell, opened, ended| QuotedLines {
            cell,
            opened,
            ended,
        };
        let text = b"h1,h2\r\n\r\na,\"b\r\nc\"\"\nd\"\n\"e\"\"\",f\rg,\"h\ni\n";
        let want = vec![
            (1, vec![], false),
            (3, vec![q(1, 3, 5)], false),
            (6, vec![], false),
            (7, vec![q(1, 7, 8)], true),
        ];
        for (step, capacity) in [(1, 1), (3, 5), (1 << 20, 1 << 20)] {
            assert_eq!(lines_by_us(text, step, capacity), want);
        }
        assert_eq!(lines_by_definition(text), want);
        // Unclosed on the last line, with no line end in it.
        assert_eq!(
            lines_by_us(b"a,b\n\"c", 4, 4),
            [(1, vec![], false), (2, vec![q(0, 2, 2)], true)]
        );
    }

    /// Every remaining record of `r`, with the position where its reading started.
    fn with_positions<R: Source>(r: &mut CsvReader<R>) -> Vec<(u64, Vec<Vec<u8>>)> {
        let mut rec = Record::default();
        let mut all = Vec::new();
        loop {
            let at = r.position();
            if !r.read_record(&mut rec).unwrap() {
                return all;
            }
            all.push((at, rec.iter().map(<[u8]>::to_vec).collect()));
        }
    }

    #[test]
    fn positions_are_where_each_record_reading_starts() {
        let text = b"h1,h2\n\na,b\r\n\"c\nd\",e\n";
        let starts: Vec<u64> = with_positions(&mut CsvReader::new(&text[..], 4))
            .into_iter()
            .map(|(at, _)| at)
            .collect();
        // The blank line and the `\n` of `\r\n` are read as part of the next record.
        assert_eq!(starts, [0, 6, 11]);
    }

    #[test]
    fn marks_are_the_four_bytes_wherever_they_stand() {
        let mut block = [b'a'; 64];
        for (k, c) in [
            (0, b','),
            (7, b'"'),
            (8, b'\r'),
            (31, b'\n'),
            (63, b','),
            (40, 0xac),
        ] {
            block[k] = c;
        }
        let want = (1u64 << 0) | (1 << 7) | (1 << 8) | (1 << 31) | (1 << 63);
        assert_eq!(marks64(&block, b','), want);
        assert_eq!(marks64_portable(&block, b','), want);
        // With a semicolon, the comma at 0 and 63 is text.
        let want_semicolon = want & !(1 | (1 << 63));
        assert_eq!(marks64(&block, b';'), want_semicolon);
        assert_eq!(marks64_portable(&block, b';'), want_semicolon);
        for d in DELIMITERS {
            for b in 0..=255u8 {
                let block = [b; 64];
                let want = if b == d || matches!(b, b'"' | b'\r' | b'\n') {
                    u64::MAX
                } else {
                    0
                };
                assert_eq!(marks64(&block, d), want, "{b}");
                assert_eq!(marks64_portable(&block, d), want, "{b}");
            }
        }
        // Past the end: none.
        assert_eq!(block_marks(b"a,b\n", 0, b','), 0b1010);
        assert_eq!(block_marks(b"a,b\n", 4, b','), 0);
        assert_eq!(block_marks(b"a;b\t\n", 0, b'\t'), 0b11000);
    }

    #[test]
    fn a_seek_to_a_position_reads_that_record_again() {
        let mut text = Vec::new();
        for i in 0..2_000 {
            text.extend_from_slice(
                format!("{i},\"x\r\n{}\",y\r\n", "\u{e9}".repeat(i % 37)).as_bytes(),
            );
        }
        let all = with_positions(&mut CsvReader::new(io::Cursor::new(&text), 64));
        assert_eq!(all.len(), 2_000);
        let mut rec = Record::default();
        // Forward a little at a time (inside the buffer), backward, and far.
        let order = (0..2_000).step_by(3).chain([1_999, 0, 1_000, 999, 5]);
        let mut f = CsvReader::new(io::Cursor::new(&text), 256);
        for i in order {
            let (at, cells) = &all[i];
            f.seek(*at).unwrap();
            assert!(f.read_record(&mut rec).unwrap());
            assert_eq!(
                &rec.iter().map(<[u8]>::to_vec).collect::<Vec<_>>(),
                cells,
                "{i}"
            );
        }
    }

    proptest! {
        #[test]
        fn any_text_reads_as_the_csv_crate_reads_it(
            chars in proptest::collection::vec(
                prop::sample::select(vec![b'a', b'b', b' ', b',', b'"', b'\r', b'\n', 0xc3, 0xa9]),
                0..120,
            ),
            bom in any::<bool>(),
            step in 1usize..40,
            capacity in 1usize..80,
        ) {
            let mut text = if bom { b"\xef\xbb\xbf".to_vec() } else { Vec::new() };
            text.extend_from_slice(&chars);
            prop_assert_eq!(by_us(&text, step, capacity), by_csv(&text));
        }

        #[test]
        fn any_text_reads_as_the_csv_crate_reads_it_with_another_delimiter(
            chars in proptest::collection::vec(
                prop::sample::select(
                    vec![b'a', b' ', b',', b';', b'\t', b'"', b'\r', b'\n', 0xc3, 0xa9],
                ),
                0..120,
            ),
            bom in any::<bool>(),
            delimiter in prop::sample::select(DELIMITERS.to_vec()),
            step in 1usize..40,
            capacity in 1usize..80,
        ) {
            let mut text = if bom { b"\xef\xbb\xbf".to_vec() } else { Vec::new() };
            text.extend_from_slice(&chars);
            prop_assert_eq!(
                by_us_with(&text, step, capacity, delimiter),
                by_csv_with(&text, delimiter)
            );
        }

        #[test]
        fn lines_are_counted_as_defined_whatever_the_reads(
            chars in proptest::collection::vec(
                prop::sample::select(vec![b'a', b',', b'"', b'"', b'\r', b'\n', b'\n']),
                0..120,
            ),
            bom in any::<bool>(),
            step in 1usize..40,
            capacity in 1usize..80,
        ) {
            let mut text = if bom { b"\xef\xbb\xbf".to_vec() } else { Vec::new() };
            text.extend_from_slice(&chars);
            prop_assert_eq!(lines_by_us(&text, step, capacity), lines_by_definition(&text));
        }
    }
}
