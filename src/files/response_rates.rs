//! `response_rates.csv`: the dispositions of the sample counted per stratum, then `ALL`, with
//! AAPOR's response rates RR1 and RR2; written by `chiso index` when the responses have a
//! `disposition` column, read by `chiso report`.
//!
//! Columns, in order: `stratum` (the stratum's label, or `ALL` for the sums), `complete`,
//! `partial`, `refusal`, `non_contact`, `ineligible` (the counts of each disposition), `rr1`
//! (`complete / (complete + partial + refusal + non_contact + unknown)`), `rr2` (`(complete +
//! partial) / ` the same denominator), as shares on 0–1 at full precision, empty when the
//! denominator is 0, and `unknown` (officials of the sample with no row in the responses,
//! whose eligibility is unknown).

use std::path::Path;

use crate::disposition::ResponseRate;
use crate::error::Result;
use crate::files::fields::Csv;
use crate::output::cell;

/// The columns of `response_rates.csv`, in order.
pub const COLUMNS: [&str; 9] = [
    "stratum",
    "complete",
    "partial",
    "refusal",
    "non_contact",
    "ineligible",
    "rr1",
    "rr2",
    "unknown",
];

/// The bytes of `response_rates.csv` for `rates` (strata, then `ALL`), in the order given.
pub fn to_csv(rates: &[ResponseRate]) -> Vec<u8> {
    let mut w = crate::output::csv_writer();
    w.write_record(COLUMNS).expect("memory");
    for r in rates {
        w.write_record([
            r.stratum.clone(),
            r.complete.to_string(),
            r.partial.to_string(),
            r.refusal.to_string(),
            r.non_contact.to_string(),
            r.ineligible.to_string(),
            cell(r.rr1),
            cell(r.rr2),
            r.unknown.to_string(),
        ])
        .expect("memory");
    }
    w.into_inner().expect("memory")
}

/// How far a rate read back may be from the one its counts give (the file holds the shortest
/// text of the same value, so they agree exactly unless the file was edited).
const RATE_SLACK: f64 = 1e-12;

/// Reads `response_rates.csv` by column name: every column of [`COLUMNS`] must be there, any
/// other is ignored. Counts are whole numbers; `rr1` and `rr2` must be the shares the counts
/// give (empty exactly when their denominator is 0).
pub fn read(path: &Path) -> Result<Vec<ResponseRate>> {
    let csv = Csv::open(path, &COLUMNS, &[])?;
    csv.rows(|f| {
        let mut r = ResponseRate {
            stratum: f.code("stratum")?,
            complete: f.required_count("complete")?,
            partial: f.required_count("partial")?,
            refusal: f.required_count("refusal")?,
            non_contact: f.required_count("non_contact")?,
            ineligible: f.required_count("ineligible")?,
            unknown: f.required_count("unknown")?,
            rr1: None,
            rr2: None,
        };
        let read = [("rr1", f.number("rr1")?), ("rr2", f.number("rr2")?)];
        r.finish();
        for ((column, got), want) in read.into_iter().zip([r.rr1, r.rr2]) {
            let agrees = match (got, want) {
                (Some(g), Some(w)) => (g - w).abs() <= RATE_SLACK,
                (None, None) => true,
                _ => false,
            };
            if !agrees {
                return Err(f.err(
                    column,
                    &f.text(column),
                    &match want {
                        Some(w) => format!(
                            "expected the share the counts of the row give ({w}): \
                             complete (and partial, for rr2) over complete + partial + \
                             refusal + non_contact + unknown"
                        ),
                        None => "expected an empty cell: the row's denominator (complete + \
                                 partial + refusal + non_contact + unknown) is 0"
                            .to_string(),
                    },
                ));
            }
        }
        Ok(r)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_read_back_as_written_and_must_agree_with_their_counts() {
        let mut a = ResponseRate::new("=XA01");
        (
            a.complete,
            a.partial,
            a.refusal,
            a.non_contact,
            a.ineligible,
        ) = (7, 1, 2, 3, 1);
        a.unknown = 1;
        let b = ResponseRate::new("XA02");
        let rates = crate::disposition::with_total(vec![a, b]);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("response_rates.csv");
        std::fs::write(&path, to_csv(&rates)).unwrap();
        assert_eq!(read(&path).unwrap(), rates);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with(&COLUMNS.join(",")), "{text}");
        assert!(text.contains("'=XA01"), "{text}");
        assert_eq!(rates[0].rr1, Some(7.0 / 14.0));

        // A rate that its counts do not give, and one where there is no denominator.
        std::fs::write(&path, text.replacen(",0.5,", ",0.55,", 1)).unwrap();
        let err = read(&path).unwrap_err().to_string();
        assert!(
            err.contains("row 2, column `rr1`") && err.contains("0.55"),
            "{err}"
        );
        std::fs::write(
            &path,
            text.replacen("XA02,0,0,0,0,0,,,0", "XA02,0,0,0,0,0,1,,0", 1),
        )
        .unwrap();
        let err = read(&path).unwrap_err().to_string();
        assert!(
            err.contains("row 3, column `rr1`") && err.contains("is 0"),
            "{err}"
        );
        std::fs::write(&path, text.replace(",unknown", ",unknowns")).unwrap();
        let err = read(&path).unwrap_err().to_string();
        assert!(err.contains("`unknown`"), "{err}");
    }
}
