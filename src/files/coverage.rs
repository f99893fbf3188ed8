//! `coverage.csv`: how many of the records received in each period were rated, per unit
//! (`chiso index --period --records`), for a continuous survey whose answers are collected at
//! the desk, by QR code or by telephone all year.
//!
//! Columns, in order: `period` (`2026-03`, `2026-Q1`), `domain` (`ALL`, then every unit, or
//! reporting domain, met in the answers or the records, by code), `answers` (respondents of
//! the period), `records` (records received in the period: by `received_date`, or the
//! returned day when the records have none) and `rated_pct` (`100 · answers / records`, empty
//! when no record was received; above 100 when more answers than records were counted).

use crate::output::cell;

/// The columns of `coverage.csv`, in order.
pub const COLUMNS: [&str; 5] = ["period", "domain", "answers", "records", "rated_pct"];

/// One row of `coverage.csv`.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct CoverageRow {
    /// The period's label.
    pub period: String,
    /// `ALL`, or a unit's (a reporting domain's) code.
    pub domain: String,
    /// Respondents of the period.
    pub answers: u64,
    /// Records received in the period.
    pub records: u64,
    /// `100 · answers / records`, when a record was received.
    pub rated_pct: Option<f64>,
}

impl CoverageRow {
    /// The row of `domain` in `period` with these counts.
    pub fn new(period: &str, domain: &str, answers: u64, records: u64) -> CoverageRow {
        CoverageRow {
            period: period.to_string(),
            domain: domain.to_string(),
            answers,
            records,
            rated_pct: (records > 0).then(|| 100.0 * answers as f64 / records as f64),
        }
    }
}

/// The bytes of `coverage.csv` for `rows`.
pub fn to_csv(rows: &[CoverageRow]) -> Vec<u8> {
    let mut w = crate::output::csv_writer();
    w.write_record(COLUMNS).expect("memory");
    for r in rows {
        w.write_record([
            r.period.as_str(),
            &r.domain,
            &r.answers.to_string(),
            &r.records.to_string(),
            &cell(r.rated_pct),
        ])
        .expect("memory");
    }
    w.into_inner().expect("memory")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_are_empty_without_records() {
        let rows = [
            CoverageRow::new("2026-03", "ALL", 3, 12),
            CoverageRow::new("2026-03", "X1", 2, 0),
        ];
        assert_eq!(
            String::from_utf8(to_csv(&rows)).unwrap(),
            "period,domain,answers,records,rated_pct\n2026-03,ALL,3,12,25\n2026-03,X1,2,0,\n"
        );
    }
}
