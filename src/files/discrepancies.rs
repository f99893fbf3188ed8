//! `discrepancies.csv` and `agreement.csv`: the comparison of two data entries of the same
//! paper forms, written by `chiso entry-compare` (with [`crate::entry`]). `discrepancies.csv`
//! holds applicant ids, as the responses do, and is to be kept like them.
//!
//! `discrepancies.csv`, columns in order ([`COLUMNS`]): `applicant_id`, `stratum` (empty when
//! neither entry has a `stratum` column), `item` (an item code of the questionnaire, or
//! `disposition`; empty for a form present in only one entry), `first` and `second` (the
//! answer of each entry as its code on the scale, empty for no answer, whether the cell was
//! empty or held a no-answer code; the disposition's name; for a form present in one entry
//! only, [`ENTERED`] on its side and empty on the other). Rows are in order of `stratum`,
//! `applicant_id` (UTF-8 bytes), then the form's own row before its `disposition` before its
//! items in questionnaire order.
//!
//! `agreement.csv`, columns in order ([`AGREEMENT_COLUMNS`]): `clerk` (`ALL`, or a clerk's
//! id from a `clerk_id` or `entered_by` column), `item` (an item code, `disposition`, or
//! `ALL` for every answer together), `forms` (forms present in both entries, entered by the
//! clerk in either entry), `answers` (answers compared), `differing` (answers that differ)
//! and `agreement_rate` (`1 − differing / answers`, empty with no answer compared). The rows
//! of clerk `ALL` come first, one per item then `ALL`; then one `ALL` row per clerk, in
//! order of their ids.

/// The columns of `discrepancies.csv`, in order.
pub const COLUMNS: [&str; 5] = ["applicant_id", "stratum", "item", "first", "second"];

/// The columns of `agreement.csv`, in order.
pub const AGREEMENT_COLUMNS: [&str; 6] = [
    "clerk",
    "item",
    "forms",
    "answers",
    "differing",
    "agreement_rate",
];

/// The side of a form that only one entry has.
pub const ENTERED: &str = "entered";

/// The column a supervisor adds to `discrepancies.csv` to say how each difference is
/// resolved (`chiso entry-compare --resolved`): the answer as it should be (a code or a label
/// of the scale, a no-answer code, or a disposition), `first` or `second` for that entry's
/// value; for a form in only one entry, `keep` or `drop`.
pub const RESOLVED: &str = "resolved";

/// One row of a resolved `discrepancies.csv`: the difference, its resolution (the text of
/// [`RESOLVED`], possibly empty) and its row.
pub(crate) type Resolution = (Discrepancy, String, u64);

/// Reads a `discrepancies.csv` to which the [`RESOLVED`] column was added (as written by
/// chiso, or saved again by a spreadsheet).
pub(crate) fn read_resolved(path: &std::path::Path) -> crate::Result<Vec<Resolution>> {
    let mut all: Vec<&'static str> = COLUMNS.to_vec();
    all.push(RESOLVED);
    let required = ["applicant_id", "item", "first", "second", RESOLVED];
    crate::files::fields::Csv::agreed(path, &all, &required)?.rows(|f| {
        Ok((
            Discrepancy {
                applicant_id: f.text("applicant_id"),
                stratum: f.text("stratum"),
                item: f.text("item"),
                first: f.text("first"),
                second: f.text("second"),
            },
            f.text(RESOLVED),
            f.row,
        ))
    })
}

/// One row of `discrepancies.csv`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Discrepancy {
    /// The applicant.
    pub applicant_id: String,
    /// The stratum, or empty.
    pub stratum: String,
    /// The item code, `disposition`, or empty for a form in only one entry.
    pub item: String,
    /// The first entry's value.
    pub first: String,
    /// The second entry's value.
    pub second: String,
}

/// One row of `agreement.csv`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Agreement {
    /// `ALL` or a clerk's id.
    pub clerk: String,
    /// An item code, `disposition` or `ALL`.
    pub item: String,
    /// Forms compared.
    pub forms: u64,
    /// Answers compared.
    pub answers: u64,
    /// Answers differing.
    pub differing: u64,
}

impl Agreement {
    /// `1 − differing / answers`, or `None` with no answer compared.
    pub fn rate(&self) -> Option<f64> {
        (self.answers > 0).then(|| 1.0 - self.differing as f64 / self.answers as f64)
    }
}

/// The columns of `merged.csv` before the items: the form's applicant, its stratum (when an
/// entry has one) and its disposition (when an entry has one); then one column per item,
/// holding its code on the scale, empty for no answer.
pub const MERGED_COLUMNS: [&str; 3] = ["applicant_id", "stratum", "disposition"];

/// The bytes of `discrepancies.csv` for `rows`, in the order given.
/// The file starts with the UTF-8 byte-order mark ([`crate::files::BOM`]): people open it
/// in a spreadsheet.
pub fn to_csv(rows: &[Discrepancy]) -> Vec<u8> {
    let mut w = crate::output::csv_writer_with_bom();
    w.write_record(COLUMNS).expect("memory");
    for r in rows {
        w.write_record([&r.applicant_id, &r.stratum, &r.item, &r.first, &r.second])
            .expect("memory");
    }
    w.into_inner().expect("memory")
}

/// The bytes of `agreement.csv` for `rows`, in the order given.
/// The file starts with the UTF-8 byte-order mark ([`crate::files::BOM`]): people open it
/// in a spreadsheet.
pub fn agreement_csv(rows: &[Agreement]) -> Vec<u8> {
    let mut w = crate::output::csv_writer_with_bom();
    w.write_record(AGREEMENT_COLUMNS).expect("memory");
    for r in rows {
        w.write_record([
            r.clerk.clone(),
            r.item.clone(),
            r.forms.to_string(),
            r.answers.to_string(),
            r.differing.to_string(),
            crate::output::cell(r.rate()),
        ])
        .expect("memory");
    }
    w.into_inner().expect("memory")
}
