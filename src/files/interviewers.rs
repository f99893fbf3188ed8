//! The fieldwork's `interviewers.csv`: refusal and substitution rates per interviewer and per
//! unit, written by `chiso fieldwork` (and by the demo under `fieldwork/`); the rule that
//! marks a rate far above the rest is [`crate::fieldwork::RateSettings`].
//!
//! Columns, in order ([`COLUMNS`]): `group` (`interviewer` or `unit`), `id` (the
//! interviewer's `interviewer_id`, or the unit's `unit_code`; `ALL` for every contact of the
//! group together), `contacts` (rows of the responses file), `refusals`, `substitutions`
//! (contacts whose outcome sends the place to a reserve: `refusal`, `non_contact` or
//! `ineligible`), `refusal_rate` and `substitution_rate` (shares from 0 to 1 of the
//! contacts, at full precision), `refusal_flag` and `substitution_flag` (`true` when the
//! rate is far above the group's overall rate).

/// The columns of `interviewers.csv`.
pub const COLUMNS: [&str; 9] = [
    "group",
    "id",
    "contacts",
    "refusals",
    "substitutions",
    "refusal_rate",
    "substitution_rate",
    "refusal_flag",
    "substitution_flag",
];

/// One row of `interviewers.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// `interviewer` or `unit`.
    pub group: &'static str,
    /// The interviewer's id or the unit's code; `ALL` for the group's total.
    pub id: String,
    /// Contacts made.
    pub contacts: u64,
    /// Contacts who refused.
    pub refusals: u64,
    /// Contacts whose outcome sends the place to a reserve.
    pub substitutions: u64,
    /// Whether the refusal rate is far above the group's overall rate.
    pub refusal_flag: bool,
    /// Whether the substitution rate is far above the group's overall rate.
    pub substitution_flag: bool,
}

impl Row {
    /// Refusals per contact, from 0 to 1 (0 with no contact).
    pub fn refusal_rate(&self) -> f64 {
        share(self.refusals, self.contacts)
    }

    /// Substitutions per contact, from 0 to 1 (0 with no contact).
    pub fn substitution_rate(&self) -> f64 {
        share(self.substitutions, self.contacts)
    }
}

fn share(k: u64, n: u64) -> f64 {
    if n == 0 { 0.0 } else { k as f64 / n as f64 }
}

/// The bytes of `interviewers.csv` for `rows`.
/// The file starts with the UTF-8 byte-order mark ([`crate::files::BOM`]): people open it
/// in a spreadsheet.
pub fn to_csv(rows: &[Row]) -> Vec<u8> {
    let mut w = crate::output::csv_writer_with_bom();
    w.write_record(COLUMNS).expect("memory");
    for r in rows {
        w.write_record([
            r.group.to_string(),
            r.id.clone(),
            r.contacts.to_string(),
            r.refusals.to_string(),
            r.substitutions.to_string(),
            r.refusal_rate().to_string(),
            r.substitution_rate().to_string(),
            r.refusal_flag.to_string(),
            r.substitution_flag.to_string(),
        ])
        .expect("memory");
    }
    w.into_inner().expect("memory")
}
