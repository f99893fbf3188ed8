//! The hashed read-ahead of a CSV file: its chunks read on a thread of their own, checked for
//! UTF-8 and hashed (SHA-256) once the parser has consumed them; and the SHA-256 of a whole
//! file.

use std::fs::File;
use std::io;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::reader::{self, Swapped};
use crate::error::{Error, Result};

/// The SHA-256 of a file's bytes, as lowercase hexadecimal.
pub fn file_sha256(path: &Path) -> Result<String> {
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = io::Read::read(&mut file, &mut buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// A reader that computes the SHA-256 of the bytes read from the start of the file to its
/// end, so that the records file is hashed during the pass that parses it, and finds on the
/// way how much of the file is UTF-8.
pub(super) struct HashingReader {
    /// The file. While a read-ahead runs, it reads the file through a handle of its own that
    /// shares this one's position, and this one is not used.
    pub(super) file: File,
    ahead: Option<ReadAhead>,
    pub(super) digest: Option<[u8; 32]>,
    /// The bytes from the start of the file to this offset are UTF-8 ([`Utf8Prefix`]).
    utf8_through: u64,
}

impl HashingReader {
    pub(super) fn new(file: File, hashed: bool) -> io::Result<HashingReader> {
        let ahead = if hashed {
            Some(ReadAhead::new(file.try_clone()?))
        } else {
            None
        };
        Ok(HashingReader {
            file,
            ahead,
            digest: None,
            utf8_through: 0,
        })
    }

    /// How far from the start the file is known to be UTF-8: a record that ends there or
    /// before is UTF-8 ([`reader::Record::text`]), and need not be checked again.
    pub(super) fn utf8_through(&self) -> u64 {
        self.utf8_through
    }
}

impl reader::Source for HashingReader {
    fn refill(&mut self, buf: &mut Vec<u8>, keep: std::ops::Range<usize>) -> io::Result<Swapped> {
        let Some(ahead) = &mut self.ahead else {
            return reader::refill_from(&mut self.file, buf, keep);
        };
        let swapped = ahead.swap_in(buf, keep);
        self.utf8_through = ahead.utf8_through;
        if let Ok(Swapped { eof: true, .. }) = swapped {
            // The end of the file: every chunk has been given back, and hashed.
            self.digest = self.ahead.take().and_then(ReadAhead::finish);
        }
        swapped
    }
}

impl io::Seek for HashingReader {
    fn seek(&mut self, pos: io::SeekFrom) -> io::Result<u64> {
        // A seek breaks the sequence: a read-ahead still running is stopped (its digest
        // abandoned) before this handle's position moves.
        if let Some(ahead) = self.ahead.take() {
            ahead.stop();
        }
        self.utf8_through = 0;
        self.file.seek(pos)
    }
}

/// Reads a file ahead on a thread of its own, in chunks of 1 MiB, checks that they are UTF-8
/// as it reads them, and computes the SHA-256 of each chunk once the parser has consumed it
/// (so of exactly the bytes parsed, in order). Each chunk becomes the parser's buffer in turn
/// ([`ReadAhead::swap_in`]; the start of a record cut by the end of the previous chunk is
/// copied into the room before its bytes): the parsing thread pays neither the system call's
/// copy, nor a copy into a buffer of its own, nor the hash, nor the UTF-8 check of every
/// record.
struct ReadAhead {
    /// Each chunk, with how far the file is UTF-8 from its start once the chunk is read.
    chunks: std::sync::mpsc::Receiver<io::Result<(Vec<u8>, u64)>>,
    consumed: std::sync::mpsc::Sender<Vec<u8>>,
    /// Whether the parser's buffer is a chunk, handed out by [`ReadAhead::swap_in`].
    lent: bool,
    /// What the last chunk received says of the file's UTF-8 prefix.
    utf8_through: u64,
    /// The digest, or `None` if the reading stopped before the end.
    thread: std::thread::JoinHandle<Option<[u8; 32]>>,
}

impl ReadAhead {
    const CHUNK: usize = 1 << 20;
    /// Room before each chunk's bytes, for the end of the previous chunk that the parser has
    /// not read yet (the start of a record): then the chunk itself becomes the parser's buffer.
    const HEAD: usize = 64 << 10;
    /// Chunks read ahead of the parser at most.
    const AHEAD: usize = 4;

    fn new(mut file: File) -> ReadAhead {
        let (send, chunks) =
            std::sync::mpsc::sync_channel::<io::Result<(Vec<u8>, u64)>>(Self::AHEAD);
        let (consumed, back) = std::sync::mpsc::channel::<Vec<u8>>();
        let thread = std::thread::spawn(move || {
            use io::Read as _;
            let mut hash = Sha256::new();
            let mut utf8 = Utf8Prefix::default();
            // Chunks sent and not yet back (hashed once back, in the order they were sent).
            let mut out = 0usize;
            loop {
                let mut chunk = if out <= Self::AHEAD {
                    Vec::with_capacity(Self::HEAD + Self::CHUNK)
                } else {
                    let chunk = back.recv().ok()?;
                    hash.update(&chunk[Self::HEAD..]);
                    out -= 1;
                    chunk
                };
                chunk.clear();
                chunk.resize(Self::HEAD, 0);
                match (&mut file).take(Self::CHUNK as u64).read_to_end(&mut chunk) {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) => {
                        let _ = send.send(Err(e));
                        return None;
                    }
                }
                let through = utf8.update(&chunk[Self::HEAD..]);
                // The reader may have stopped: then so does this thread.
                send.send(Ok((chunk, through))).ok()?;
                out += 1;
            }
            drop(send);
            for _ in 0..out {
                hash.update(&back.recv().ok()?[Self::HEAD..]);
            }
            Some(hash.finalize().into())
        });
        ReadAhead {
            chunks,
            consumed,
            lent: false,
            utf8_through: 0,
            thread,
        }
    }

    /// [`reader::Source::refill`]: the next chunk becomes `buf`, with `buf[keep]` copied into
    /// the room before its bytes (or, if that is too small, both copied into a new buffer);
    /// the chunk that `buf` was goes back to be hashed. At the end of the file, `buf` becomes
    /// a copy of `buf[keep]` alone.
    fn swap_in(&mut self, buf: &mut Vec<u8>, keep: std::ops::Range<usize>) -> io::Result<Swapped> {
        let tail = keep.len();
        let (new, eof) = match self.chunks.recv() {
            Ok(Ok((mut chunk, through))) => {
                self.utf8_through = through;
                if tail <= Self::HEAD {
                    chunk[Self::HEAD - tail..Self::HEAD].copy_from_slice(&buf[keep]);
                    (chunk, false)
                } else {
                    let mut merged = Vec::with_capacity(tail + chunk.len() - Self::HEAD);
                    merged.extend_from_slice(&buf[keep]);
                    merged.extend_from_slice(&chunk[Self::HEAD..]);
                    // After the chunk `buf` was, if it was one: hashed in order.
                    self.give_back(buf);
                    let _ = self.consumed.send(chunk);
                    *buf = merged;
                    return Ok(Swapped {
                        bytes: 0..buf.len(),
                        eof: false,
                    });
                }
            }
            Ok(Err(e)) => return Err(e),
            // The thread has sent the last chunk.
            Err(_) => (buf[keep].to_vec(), true),
        };
        self.give_back(buf);
        *buf = new;
        self.lent = !eof;
        let start = if eof { 0 } else { Self::HEAD - tail };
        Ok(Swapped {
            bytes: start..buf.len(),
            eof,
        })
    }

    /// Sends `buf` back to be hashed if it is a chunk (leaving an empty buffer in its place).
    fn give_back(&mut self, buf: &mut Vec<u8>) {
        if std::mem::take(&mut self.lent) {
            // The thread waits for it; if it has stopped, its digest is lost anyway.
            let _ = self.consumed.send(std::mem::take(buf));
        }
    }

    /// The digest, once every chunk has been read and given back.
    fn finish(self) -> Option<[u8; 32]> {
        self.thread.join().expect("reading ahead does not panic")
    }

    /// Stops the thread (its next send or receive fails) and waits for it, so that it no
    /// longer moves the file's position.
    fn stop(self) {
        let ReadAhead {
            chunks,
            consumed,
            thread,
            ..
        } = self;
        drop((chunks, consumed));
        let _ = thread.join();
    }
}

/// How much of a stream read chunk by chunk is UTF-8, from its start.
#[derive(Debug, Default)]
struct Utf8Prefix {
    /// The offset up to which it is.
    through: u64,
    /// The first bytes of a character cut by the end of the last chunk (at most three).
    pending: Vec<u8>,
    /// Whether a byte that is not UTF-8 has been met: `through` then stays where it is.
    broken: bool,
}

impl Utf8Prefix {
    /// Takes the next chunk; returns how far the stream is UTF-8 now.
    fn update(&mut self, chunk: &[u8]) -> u64 {
        if self.broken {
            return self.through;
        }
        let mut rest = chunk;
        if let Some(&lead) = self.pending.first() {
            // A cut character is a valid start of two to four bytes.
            let width = match lead {
                0xc0..=0xdf => 2,
                0xe0..=0xef => 3,
                _ => 4,
            };
            let take = (width - self.pending.len()).min(rest.len());
            self.pending.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.pending.len() < width {
                return self.through;
            }
            if std::str::from_utf8(&self.pending).is_err() {
                self.broken = true;
                return self.through;
            }
            self.through += width as u64;
            self.pending.clear();
        }
        if simdutf8::basic::from_utf8(rest).is_ok() {
            self.through += rest.len() as u64;
            return self.through;
        }
        let e = simdutf8::compat::from_utf8(rest).expect_err("not UTF-8");
        self.through += e.valid_up_to() as u64;
        match e.error_len() {
            // Cut by the end of the chunk: the next one says.
            None => self.pending.extend_from_slice(&rest[e.valid_up_to()..]),
            Some(_) => self.broken = true,
        }
        self.through
    }
}

#[cfg(test)]
mod tests {
    use super::super::Table;
    use super::super::tests::written;
    use super::*;

    /// Reads every remaining row of `t`; how many there were.
    fn count_rows(t: &mut Table) -> usize {
        let mut n = 0;
        t.for_each_row(|_| {
            n += 1;
            Ok(())
        })
        .unwrap();
        n
    }

    #[test]
    fn a_hashed_table_hashes_exactly_the_file_read_whatever_its_size() {
        let dir = tempfile::tempdir().unwrap();
        // Empty of rows, within one chunk, and over several chunks (1 MiB each) with a
        // partial last one.
        for rows in [0usize, 10, 40_000] {
            let path = dir.path().join(format!("r{rows}.csv"));
            let mut text = String::from("a,b\n");
            for i in 0..rows {
                text.push_str(&format!("{i},\"x{}\"\n", "é".repeat(i % 50)));
            }
            std::fs::write(&path, &text).unwrap();
            let mut t = Table::open_hashed(&path, None).unwrap();
            assert_eq!(count_rows(&mut t), rows);
            assert_eq!(t.sha256(), Some(file_sha256(&path).unwrap()), "{rows} rows");
            // A second pass after a rewind reads the same rows (the digest stays that of the
            // first, complete pass).
            t.rewind().unwrap();
            assert_eq!(count_rows(&mut t), rows);
            assert_eq!(t.sha256(), Some(file_sha256(&path).unwrap()));
        }
    }

    /// Every remaining row of `t`: its number, locator and cells.
    fn all_rows(t: &mut Table) -> Vec<(u64, u64, Vec<String>)> {
        let mut rows = Vec::new();
        t.for_each_row(|r| {
            let cells = (0..r.len()).map(|i| r.get(i).to_string()).collect();
            rows.push((r.number(), r.locator(), cells));
            Ok(())
        })
        .unwrap();
        rows
    }

    #[test]
    fn records_across_chunks_read_the_same_from_a_hashed_table() {
        // Short records, and every 40 rows one of 20 to 200 KiB (more than the room before a
        // chunk's bytes), quoted, with commas, line ends and doubled quotes: over eight
        // chunks, the ends of chunks fall inside records of both kinds.
        let mut text = String::from("\u{feff}a,b,c\r\n");
        for i in 0..4_000 {
            if i % 40 == 7 {
                let long = "x,\"y\"\r\n\u{e9}".repeat(2_000 + (i * 37) % 18_000);
                text.push_str(&format!("{i},\"{}\",z\r\n", long.replace('"', "\"\"")));
            } else {
                text.push_str(&format!("{i},\"p, q\",\u{e9}{}\n", "r".repeat(i % 90)));
            }
        }
        let (_dir, path) = written(&text);
        assert!(text.len() > 8 << 20, "{}", text.len());
        let plain = all_rows(&mut Table::open(&path, None).unwrap());
        assert_eq!(plain.len(), 4_000);
        let mut t = Table::open_hashed(&path, None).unwrap();
        assert_eq!(all_rows(&mut t), plain);
        assert_eq!(t.sha256(), Some(file_sha256(&path).unwrap()));
        t.rewind().unwrap();
        assert_eq!(all_rows(&mut t), plain);
        // And every seventh row, read again by its locator.
        let mut f = t.fetcher().unwrap();
        for (number, locator, cells) in plain.iter().rev().step_by(7) {
            let row = f.fetch(*locator, *number).unwrap();
            let again: Vec<String> = (0..row.len()).map(|i| row.get(i).to_string()).collect();
            assert_eq!(&again, cells, "row {number}");
        }
    }

    #[test]
    fn a_hashed_table_reports_a_non_utf8_row_past_its_first_chunks() {
        let mut text = b"a,b\n".to_vec();
        for i in 0..40_000 {
            text.extend_from_slice(format!("{i},\"x{}\"\n", "\u{e9}".repeat(i % 50)).as_bytes());
            if i == 30_000 {
                text.extend_from_slice(b"bad,\"x\xff\"\n");
            }
        }
        let (_dir, path) = written(&text);
        let mut t = Table::open_hashed(&path, None).unwrap();
        let err = t
            .for_each_row_prepared(|r| r.get(1).len(), |_, _| Ok(()))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("row 30003: the text is not UTF-8 (field 2)"),
            "{err}"
        );
    }

    #[test]
    fn a_hashed_table_names_the_lines_of_a_stray_quote_past_its_first_chunks() {
        // Every thousandth row has a quoted cell over two lines (legal); a stray quote on row
        // 30,002 runs to the opening quote of row 30,012, past the first chunk (1 MiB).
        let mut text = String::from("a,b\n");
        for i in 0..40_000 {
            let b = match i {
                30_000 => "\"x".to_string(),
                30_010 => "\"y\",z".to_string(),
                _ if i % 1000 == 500 => "\"p\r\nq\"".to_string(),
                _ => format!("x{}", "\u{e9}".repeat(20)),
            };
            text.push_str(&format!("{i},{b}\n"));
        }
        let (_dir, path) = written(&text);
        assert!(text.find("30000,\"x").unwrap() > 1 << 20);
        let mut t = Table::open_hashed(&path, None).unwrap();
        let err = t
            .for_each_row_prepared(|r| r.get(1).len(), |_, _| Ok(()))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(
                "r.csv: line 30032: a quote opens a cell here (row 30002, column `b`) that \
                 closes only on line 30042: lines 30032 to 30042 read as one row of 3 cells"
            ),
            "{err}"
        );
        // Without the stray quote, every row is read.
        let (_dir, path) = written(text.replace("30000,\"x", "30000,x"));
        let mut t = Table::open_hashed(&path, None).unwrap();
        assert_eq!(count_rows(&mut t), 40_000);
    }

    #[test]
    fn the_utf8_prefix_is_found_whatever_the_chunks() {
        let texts: [&[u8]; 5] = [
            "a\u{e9}\u{20ac}\u{1f600}b".as_bytes(),
            b"ab\xc3\xa9\xffcd",
            b"\xe2\x82",
            b"ok\xe0\x80\x80",
            b"x\xf0\x9f\x98\x80\xa9",
        ];
        for text in texts {
            let want = match std::str::from_utf8(text) {
                Ok(_) => text.len(),
                Err(e) => e.valid_up_to(),
            } as u64;
            // Two chunks, cut anywhere; and one byte at a time.
            for cut in 0..=text.len() {
                let mut p = Utf8Prefix::default();
                p.update(&text[..cut]);
                assert_eq!(p.update(&text[cut..]), want, "{text:?} cut at {cut}");
            }
            let mut p = Utf8Prefix::default();
            let mut through = 0;
            for b in text {
                through = p.update(std::slice::from_ref(b));
            }
            assert_eq!(through, want, "{text:?} byte by byte");
        }
    }

    #[test]
    fn a_pass_abandoned_midway_has_no_digest_and_can_start_again() {
        let mut text = String::from("a\n");
        for i in 0..300_000 {
            text.push_str(&format!("{i}\n"));
        }
        let (_dir, path) = written(&text);
        let mut t = Table::open_hashed(&path, None).unwrap();
        let mut n = 0;
        let stopped = t.for_each_row(|_| {
            n += 1;
            if n == 5 {
                return Err(Error::usage("stop".to_string()));
            }
            Ok(())
        });
        assert!(stopped.is_err());
        assert_eq!(t.sha256(), None);
        t.rewind().unwrap();
        assert_eq!(count_rows(&mut t), 300_000);
    }
}
