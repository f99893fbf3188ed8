//! Periods of a continuous survey (`index --period month|quarter`): answers collected all
//! year (desk forms, QR ratings, telephone interviews) published per calendar month or
//! quarter, by the date of each row (`--date-column`, by default `contact_date`).

use chrono::{Datelike, NaiveDate};

use crate::error::{Error, Result};

/// The date column read when none is given.
pub const DEFAULT_DATE_COLUMN: &str = "contact_date";

/// The forms a date may take, for messages ([`crate::records::parse_stamp`]'s).
pub const DATE_FORMS: &str = "a date as YYYY-MM-DD, DD-MM-YYYY, DD/MM/YYYY or DD.MM.YYYY, \
                              optionally with a time of day (2026-03-15 17:30)";

/// A calendar period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    /// A calendar month: `2026-03`.
    Month,
    /// A calendar quarter: `2026-Q1`.
    Quarter,
}

impl Period {
    /// `month` or `quarter`.
    pub fn parse(text: &str) -> Result<Period> {
        match text {
            "month" => Ok(Period::Month),
            "quarter" => Ok(Period::Quarter),
            _ => Err(Error::setting(
                "period",
                format!("{text:?}"),
                "expected month or quarter",
            )),
        }
    }

    /// The name [`Period::parse`] reads.
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Month => "month",
            Period::Quarter => "quarter",
        }
    }

    /// The label of the period holding `date`: `2026-03` or `2026-Q1`. Labels sort in time
    /// order.
    ///
    /// ```
    /// use chiso::period::Period;
    /// let d = chrono::NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
    /// assert_eq!(Period::Month.label(d), "2026-03");
    /// assert_eq!(Period::Quarter.label(d), "2026-Q1");
    /// ```
    pub fn label(self, date: NaiveDate) -> String {
        match self {
            Period::Month => format!("{:04}-{:02}", date.year(), date.month()),
            Period::Quarter => format!("{:04}-Q{}", date.year(), date.month0() / 3 + 1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_names() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(Period::Month.label(d(2025, 12, 1)), "2025-12");
        assert_eq!(Period::Quarter.label(d(2025, 12, 1)), "2025-Q4");
        assert_eq!(Period::Quarter.label(d(2026, 4, 1)), "2026-Q2");
        assert_eq!(Period::parse("quarter").unwrap(), Period::Quarter);
        let e = Period::parse("week").unwrap_err().to_string();
        assert!(e.contains("month or quarter"), "{e}");
    }
}
