//! The fieldwork's `summary.csv`: one row per stratum, then the totals labelled `ALL`, written
//! by the demo under `fieldwork/` (the rule is in [`crate::fieldwork`]).
//!
//! Columns, in order ([`COLUMNS`]): `stratum`, `officials` and `reserves` (places on each
//! list), `attempted` (contacts made), the contacts by outcome (`complete`, `partial`,
//! `refusal`, `non_contact`, `ineligible`), `substituted` (places filled by a reserve who
//! answered), `reserves_used` (reserves contacted), `respondents` and `short` (places left
//! empty because the reserves ran out); all but the first are whole numbers.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::files::fields::{Csv, Fields};

/// The fieldwork of one stratum in numbers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StratumSummary {
    /// The stratum's label (`ALL` for the totals).
    pub stratum: String,
    /// Places on the official list.
    pub officials: u64,
    /// Reserves drawn.
    pub reserves: u64,
    /// Contacts made, officials and reserves.
    pub attempted: u64,
    /// Contacts by outcome, in the order of [`crate::fieldwork::Disposition::ALL`].
    pub outcomes: [u64; 5],
    /// Places filled by a reserve who answered.
    pub substituted: u64,
    /// Reserves contacted.
    pub reserves_used: u64,
    /// Respondents: complete plus partial, one per filled place.
    pub respondents: u64,
    /// Places left empty because the reserves ran out.
    pub short: u64,
}

/// The columns of the per-stratum summary, `fieldwork/summary.csv` (one row per stratum,
/// then `ALL`).
pub const COLUMNS: [&str; 13] = [
    "stratum",
    "officials",
    "reserves",
    "attempted",
    "complete",
    "partial",
    "refusal",
    "non_contact",
    "ineligible",
    "substituted",
    "reserves_used",
    "respondents",
    "short",
];

/// The bytes of the summary: one row per stratum of `strata`, then `totals` (the row `ALL`).
/// The file starts with the UTF-8 byte-order mark ([`crate::files::BOM`]): people open it
/// in a spreadsheet.
pub fn to_csv(strata: &[StratumSummary], totals: &StratumSummary) -> Vec<u8> {
    let mut w = crate::output::csv_writer_with_bom();
    w.write_record(COLUMNS).expect("memory");
    for s in strata.iter().chain(std::iter::once(totals)) {
        let mut rec = vec![
            s.stratum.clone(),
            s.officials.to_string(),
            s.reserves.to_string(),
            s.attempted.to_string(),
        ];
        rec.extend(s.outcomes.iter().map(u64::to_string));
        rec.extend([s.substituted, s.reserves_used, s.respondents, s.short].map(|v| v.to_string()));
        w.write_record(&rec).expect("memory");
    }
    w.into_inner().expect("memory")
}

/// One row of the fieldwork's `summary.csv` as read back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    /// The stratum's label, or `ALL` for the totals.
    pub stratum: String,
    /// Places on the official list.
    pub officials: u64,
    /// Reserves drawn.
    pub reserves: u64,
    /// Contacts made, officials and reserves.
    pub attempted: u64,
    /// Contacts that answered the whole questionnaire.
    pub complete: u64,
    /// Contacts that broke the questionnaire off after some items.
    pub partial: u64,
    /// Contacts who declined.
    pub refusal: u64,
    /// Contacts who could not be reached.
    pub non_contact: u64,
    /// Contacts not in the population surveyed.
    pub ineligible: u64,
    /// Places filled by a reserve who answered.
    pub substituted: u64,
    /// Reserves contacted.
    pub reserves_used: u64,
    /// Respondents: complete plus partial.
    pub respondents: u64,
    /// Places left empty because the reserves ran out.
    pub short: u64,
    /// The row it was read from (the header is row 1).
    #[serde(skip)]
    pub row: u64,
}

/// Refuses `column` unless its value is `expected`, with `why` as the reason.
fn agrees(f: &Fields<'_>, column: &str, value: u64, expected: u64, why: &str) -> Result<()> {
    if value == expected {
        Ok(())
    } else {
        Err(f.err(
            column,
            &f.text(column),
            &format!("expected {expected}: {why}"),
        ))
    }
}

/// Reads the fieldwork's `summary.csv` by column name: every column of [`COLUMNS`] must be
/// there, any other column is ignored. Every count is a whole number ≥ 0 and each row must
/// add up (the outcomes to the contacts made, complete and partial to the respondents, the
/// respondents and the empty places to the officials, the officials and the reserves used
/// to the contacts made, no more reserves used than drawn nor places substituted than
/// reserves used); a stratum given twice is refused.
pub fn read(path: &Path) -> Result<Vec<Row>> {
    let csv = Csv::open(path, &COLUMNS, &[])?;
    let mut first_row: HashMap<String, u64> = HashMap::new();
    csv.rows(|f| {
        let r = Row {
            stratum: f.code("stratum")?,
            officials: f.required_count("officials")?,
            reserves: f.required_count("reserves")?,
            attempted: f.required_count("attempted")?,
            complete: f.required_count("complete")?,
            partial: f.required_count("partial")?,
            refusal: f.required_count("refusal")?,
            non_contact: f.required_count("non_contact")?,
            ineligible: f.required_count("ineligible")?,
            substituted: f.required_count("substituted")?,
            reserves_used: f.required_count("reserves_used")?,
            respondents: f.required_count("respondents")?,
            short: f.required_count("short")?,
            row: f.row,
        };
        if r.reserves_used > r.reserves {
            return Err(f.err(
                "reserves_used",
                &f.text("reserves_used"),
                &format!("more reserves used than the {} drawn", r.reserves),
            ));
        }
        agrees(
            f,
            "attempted",
            r.attempted,
            r.officials + r.reserves_used,
            "every official and every reserve used is contacted once",
        )?;
        agrees(
            f,
            "attempted",
            r.attempted,
            r.complete + r.partial + r.refusal + r.non_contact + r.ineligible,
            "every contact has one outcome",
        )?;
        if r.substituted > r.reserves_used {
            return Err(f.err(
                "substituted",
                &f.text("substituted"),
                &format!(
                    "more places substituted than the {} reserves used",
                    r.reserves_used
                ),
            ));
        }
        agrees(
            f,
            "respondents",
            r.respondents,
            r.complete + r.partial,
            "the respondents are the complete and partial contacts",
        )?;
        if r.respondents > r.officials {
            return Err(f.err(
                "respondents",
                &f.text("respondents"),
                &format!("more respondents than the {} official places", r.officials),
            ));
        }
        agrees(
            f,
            "short",
            r.short,
            r.officials.saturating_sub(r.respondents),
            "every official place is filled by a respondent or left empty",
        )?;
        if let Some(first) = first_row.insert(r.stratum.clone(), f.row) {
            return Err(f.err(
                "stratum",
                &r.stratum,
                &format!("already appears in row {first}; each stratum must appear once"),
            ));
        }
        Ok(r)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fieldwork::{Disposition, Outcome, Person, StratumLists, walk};
    use crate::sample::Role;

    fn person(rank: u64) -> Person {
        Person::example("", rank)
    }

    #[test]
    fn the_summary_reads_back_as_written() {
        // XA01: official 2 is not reached and reserve 1 answers for them. XB02: both
        // officials refuse, reserve 1 is partial, and the second place stays empty.
        let lists = vec![
            StratumLists::new(
                "XA01".into(),
                (1..=3).map(person).collect(),
                vec![person(1), person(2)],
            )
            .unwrap(),
            StratumLists::new(
                "XB02".into(),
                (1..=2).map(person).collect(),
                vec![person(1)],
            )
            .unwrap(),
        ];
        let fw = walk(lists, |s, role, p| {
            Outcome::of(match (s, role, p.rank) {
                ("XA01", Role::Official, 2) => Disposition::NonContact,
                ("XB02", Role::Official, _) => Disposition::Refusal,
                ("XB02", Role::Reserve, _) => Disposition::Partial,
                _ => Disposition::Complete,
            })
        });
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("summary.csv");
        std::fs::write(&path, to_csv(fw.summary(), &fw.totals())).unwrap();
        let rows = read(&path).unwrap();
        let counts: Vec<(&str, [u64; 12], u64)> = rows
            .iter()
            .map(|r| {
                (
                    r.stratum.as_str(),
                    [
                        r.officials,
                        r.reserves,
                        r.attempted,
                        r.complete,
                        r.partial,
                        r.refusal,
                        r.non_contact,
                        r.ineligible,
                        r.substituted,
                        r.reserves_used,
                        r.respondents,
                        r.short,
                    ],
                    r.row,
                )
            })
            .collect();
        assert_eq!(
            counts,
            [
                ("XA01", [3, 2, 4, 3, 0, 0, 1, 0, 1, 1, 3, 0], 2),
                ("XB02", [2, 1, 3, 0, 1, 2, 0, 0, 1, 1, 1, 1], 3),
                ("ALL", [5, 3, 7, 3, 1, 2, 1, 0, 2, 2, 4, 1], 4),
            ]
        );
    }

    #[test]
    fn extra_columns_are_ignored_and_bad_cells_named() {
        let dir = tempfile::tempdir().unwrap();
        let good = "stratum,officials,reserves,attempted,complete,partial,refusal,non_contact,\
                    ineligible,substituted,reserves_used,respondents,short,note\n\
                    XA01,3,2,4,3,0,0,1,0,1,1,3,0,checked\n";
        let path = dir.path().join("summary.csv");
        std::fs::write(&path, good).unwrap();
        assert_eq!(read(&path).unwrap()[0].attempted, 4);

        for (bad, column, value) in [
            (good.replace(",4,3,0", ",four,3,0"), "attempted", "four"),
            (good.replace(",4,3,0", ",5,3,0"), "attempted", "5"),
            (
                good.replace(",3,0,checked", ",2,0,checked"),
                "respondents",
                "2",
            ),
            (
                format!("{good}XA01,3,2,4,3,0,0,1,0,1,1,3,0,again\n"),
                "stratum",
                "XA01",
            ),
        ] {
            std::fs::write(&path, &bad).unwrap();
            let e = read(&path).unwrap_err().to_string();
            assert!(
                e.contains("summary.csv")
                    && e.contains(&format!("column `{column}`"))
                    && e.contains(&format!("(found {value:?})")),
                "{e}"
            );
        }
    }
}
