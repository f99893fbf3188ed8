//! The UTF-8 checks of a CSV record's cells, and the message that names the first field that
//! is not UTF-8.

use super::reader::Record;
use crate::error::{ErrorKind, Result};

/// [`utf8_fields`] of the record at `row` of the file `name`, the error naming the row and the
/// first field that is not UTF-8 (as the `csv` crate's for a `StringRecord` did).
pub(super) fn check_utf8(record: &Record, name: &str, row: u64) -> Result<()> {
    utf8_fields(record).map_err(|field| {
        ErrorKind::Malformed {
            at: crate::Position::row(name.to_string(), row),
            message: format!(
                "the text is not UTF-8 (field {}); save the file as \"CSV UTF-8\"",
                field + 1
            ),
        }
        .into()
    })
}

/// Checks that every field of `record` is UTF-8; `Err` gives the first that is not. The
/// record's text is checked at once (with `simdutf8`, several times faster than the standard
/// library's check on Vietnamese text): if it is UTF-8, so is every cell ([`Record::text`]);
/// if not, the cells are checked one by one.
pub(super) fn utf8_fields(record: &Record) -> std::result::Result<(), usize> {
    if simdutf8::basic::from_utf8(record.text()).is_ok() {
        return Ok(());
    }
    match record.iter().position(|f| std::str::from_utf8(f).is_err()) {
        Some(field) => Err(field),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::Table;
    use super::super::tests::written;

    /// The error of the batched reader for a file, and that of the row-by-row one
    /// ([`Table::next_row`]).
    fn both_errors(bytes: &[u8]) -> (String, String) {
        let (_dir, path) = written(bytes);
        let mut t = Table::open(&path, None).unwrap();
        let batched = t
            .for_each_row_prepared(|r| r.get(0).to_string(), |_, _| Ok(()))
            .unwrap_err()
            .to_string();
        let mut t = Table::open(&path, None).unwrap();
        let plain = loop {
            match t.next_row() {
                Ok(Some(_)) => {}
                Ok(None) => panic!("no error"),
                Err(e) => break e.to_string(),
            }
        };
        (batched, plain)
    }

    #[test]
    fn non_utf8_fields_are_reported_as_a_string_record_reports_them() {
        for (bytes, want) in [
            // Invalid in the third field of the second data row.
            (
                &b"a,b,c\n1,2,3\n4,5,x\xff\n"[..],
                "row 3: the text is not UTF-8 (field 3)",
            ),
            // A character split between two fields: the whole record is UTF-8, each field
            // is not.
            (
                &b"a,b,c\n1,\xc3,\xa9\n"[..],
                "row 2: the text is not UTF-8 (field 2)",
            ),
            // A lone continuation byte at the start of the first field.
            (
                &b"a,b\n\xa9x,y\n"[..],
                "row 2: the text is not UTF-8 (field 1)",
            ),
            // Quoted fields, and a valid character before the bad one.
            (
                &b"a,b\n\"\xc3\xa9\",\"q\xe1\x80\"\n"[..],
                "row 2: the text is not UTF-8 (field 2)",
            ),
        ] {
            let (batched, plain) = both_errors(bytes);
            assert!(batched.contains(want), "{batched}");
            assert_eq!(batched, plain);
        }
    }
}
