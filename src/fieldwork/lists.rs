//! The sample's lists as fieldwork sees them: every stratum's official and reserve lists, in
//! rank order, read from `sample.csv`.

use std::path::Path;

use crate::error::{Error, Result};
use crate::files::sample::{LISTS, SampleFile};
use crate::sample::Role;

/// One person on a list of the sample.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    /// Rank within the stratum and list, from 1.
    pub rank: u64,
    /// The applicant's identifier (personal data: written only to the responses file).
    pub applicant_id: String,
    /// The transaction record that put the applicant in the frame.
    pub record_id: String,
}

#[cfg(test)]
impl Person {
    /// A person for tests: rank `rank`, record `HS-{prefix}{rank}`.
    pub(crate) fn example(prefix: &str, rank: u64) -> Person {
        Person {
            rank,
            applicant_id: format!("0123456789{rank:02}"),
            record_id: format!("HS-{prefix}{rank}"),
        }
    }
}

/// The official and reserve lists of one stratum, each in rank order (ranks 1, 2, 3, …).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StratumLists {
    pub(super) stratum: String,
    pub(super) officials: Vec<Person>,
    pub(super) reserves: Vec<Person>,
}

impl StratumLists {
    /// The lists of stratum `stratum`. Each list must hold ranks 1, 2, 3, … in this order,
    /// since substitution follows them.
    ///
    /// ```
    /// use chiso::fieldwork::{Person, StratumLists};
    /// let p = |rank: u64| Person { rank, applicant_id: format!("A{rank}"), record_id: format!("R{rank}") };
    /// assert!(StratumLists::new("XA01".into(), vec![p(1), p(2)], vec![p(1)]).is_ok());
    /// assert!(StratumLists::new("XA01".into(), vec![p(2), p(1)], vec![]).is_err());
    /// ```
    pub fn new(stratum: String, officials: Vec<Person>, reserves: Vec<Person>) -> Result<Self> {
        for (role, list) in [(Role::Official, &officials), (Role::Reserve, &reserves)] {
            if let Some((i, p)) = list
                .iter()
                .enumerate()
                .find(|(i, p)| p.rank != *i as u64 + 1)
            {
                return Err(Error::usage(format!(
                    "stratum {stratum:?}: the {} list must hold ranks 1, 2, 3, … in order; place {} holds rank {}",
                    role.as_str(),
                    i + 1,
                    p.rank
                )));
            }
        }
        Ok(StratumLists {
            stratum,
            officials,
            reserves,
        })
    }

    /// The stratum's label, as in `sample.csv`.
    pub fn stratum(&self) -> &str {
        &self.stratum
    }

    /// The official list.
    pub fn officials(&self) -> &[Person] {
        &self.officials
    }

    /// The reserve list, used in this order.
    pub fn reserves(&self) -> &[Person] {
        &self.reserves
    }
}

/// Reads the lists of a `sample.csv` (CSV or spreadsheet): columns `stratum, role, rank,
/// applicant_id, record_id` (others are ignored). Strata keep the order of their first row.
///
/// Every row must have a role `official` or `reserve`, a rank that is a whole number from 1,
/// a non-empty `applicant_id` and `record_id`; within each stratum and role the ranks must be
/// exactly 1, 2, 3, … (no gap, no repetition), because substitution follows them. Errors name
/// the file, row and column; they never print an applicant id.
pub fn read_sample(path: &Path) -> Result<Vec<StratumLists>> {
    let sample = SampleFile::open(path, &LISTS)?;
    let file = sample.name().to_string();
    // Per stratum and list: (rank, row number, person).
    type Entries = Vec<(u64, u64, Person)>;
    let mut strata: Vec<(String, Entries, Entries)> = Vec::new();
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    sample.rows(|row| {
        let role = row.role()?;
        let rank = row.rank()?;
        let applicant_id = row.identifier("applicant_id")?.to_string();
        let record_id = row.identifier("record_id")?.to_string();
        let stratum = row.text("stratum");
        let s = match index.get(stratum) {
            Some(&s) => s,
            None => {
                index.insert(stratum.to_string(), strata.len());
                strata.push((stratum.to_string(), Vec::new(), Vec::new()));
                strata.len() - 1
            }
        };
        let person = Person {
            rank,
            applicant_id,
            record_id,
        };
        let list = match role {
            Role::Official => &mut strata[s].1,
            Role::Reserve => &mut strata[s].2,
        };
        list.push((rank, row.number(), person));
        Ok(())
    })?;
    let mut out = Vec::with_capacity(strata.len());
    for (stratum, officials, reserves) in strata {
        let officials = in_rank_order(&file, &stratum, Role::Official, officials)?;
        let reserves = in_rank_order(&file, &stratum, Role::Reserve, reserves)?;
        out.push(StratumLists {
            stratum,
            officials,
            reserves,
        });
    }
    Ok(out)
}

/// Sorts a list by rank and checks that the ranks are 1, 2, 3, ….
fn in_rank_order(
    file: &str,
    stratum: &str,
    role: Role,
    mut list: Vec<(u64, u64, Person)>,
) -> Result<Vec<Person>> {
    list.sort_by_key(|&(rank, row, _)| (rank, row));
    for (i, (rank, row, _)) in list.iter().enumerate() {
        let expected = i as u64 + 1;
        if *rank != expected {
            let reason = if *rank < expected {
                format!(
                    "rank {rank} appears twice in the {} list of stratum {stratum:?}",
                    role.as_str()
                )
            } else {
                format!(
                    "the {} list of stratum {stratum:?} has no rank {expected}: ranks must run 1, 2, 3, … because substitution follows them",
                    role.as_str()
                )
            };
            return Err(Error::cell(file, *row, "rank", &rank.to_string(), reason));
        }
    }
    Ok(list.into_iter().map(|(_, _, p)| p).collect())
}
