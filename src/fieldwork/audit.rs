//! Real fieldwork checked against the rule of substitution: `chiso fieldwork`.
//!
//! The responses file has one row per contact, with its `disposition` (and optionally the
//! `interviewer_id` who made it and its `contact_date`). [`audit`] compares the contacts
//! with the rule of the module documentation, stratum by stratum, and lists every breach:
//!
//! - a respondent outside the sample (a row whose `applicant_id` is on neither list);
//! - a reserve used while an earlier reserve of its stratum was not tried (reserves are used
//!   in rank order);
//! - a reserve used with no failed official (or failed reserve) to replace;
//! - an official replaced without a failure outcome (no row for the official, while a reserve
//!   took a place no recorded failure accounts for);
//! - an official with no outcome at all (every official is contacted first);
//! - a failure not replaced although reserves of the stratum were left.
//!
//! The reserves used are matched to the places to fill in rank order: the number of recorded
//! failures of the stratum's officials, plus one for every failed reserve, is the number of
//! reserves the rule allows; a reserve beyond them is put first on an official with no row
//! (replaced without a failure outcome), then counted as used with nobody to replace.
//!
//! When no rule was broken, the contacts are exactly those of [`walk`] on their outcomes,
//! and the substitution log and the per-stratum summary are written from that walk, by the
//! same code as the demo's. The refusal and substitution rates per interviewer and per unit
//! ([`RateSettings`]) are computed in either case.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use super::{Disposition, Fieldwork, Outcome, StratumLists, read_sample, walk};
use crate::error::{Error, Result, mask};
use crate::files::interviewers::Row as RateRow;
use crate::files::sample::{LISTS, SampleDir, SampleFile, ZeroPadded};
use crate::output::Staged;
use crate::sample::Role;
use crate::table::Table;

/// One recorded contact: a row of the responses file, linked to its place in the sample.
#[derive(Clone, Debug, PartialEq)]
pub struct Contact {
    /// The stratum's label.
    pub stratum: String,
    /// The list of the person contacted.
    pub role: Role,
    /// Their rank on it.
    pub rank: u64,
    /// What happened.
    pub outcome: Outcome,
    /// Who made the contact (`interviewer_id`; empty when not recorded).
    pub interviewer: String,
    /// The unit of the person's record (`unit_code` of `sample.csv`).
    pub unit: String,
}

/// A breach of the rule of substitution. Applicants appear by stratum, list, rank and
/// record id, or by their masked `applicant_id` (its first three characters)
/// when they are not in the sample; never by name or phone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Breach {
    /// A row of the responses whose applicant is on neither list of the sample.
    OutsideSample {
        /// The row of the responses file (the header is row 1).
        row: u64,
        /// The applicant id, masked.
        applicant: String,
        /// Why the identifier looks like one a spreadsheet changed (stripped of its leading
        /// zeros, or in scientific notation), when it does
        /// ([`crate::files::sample::stripped_zeros`]): it is not matched, but said to be so.
        spreadsheet: Option<String>,
    },
    /// A reserve used while an earlier reserve of the stratum was not tried.
    ReserveOutOfOrder {
        /// The stratum's label.
        stratum: String,
        /// The reserve used.
        rank: u64,
        /// Their record id.
        record_id: String,
        /// The first earlier reserve with no contact.
        skipped: u64,
    },
    /// A reserve used with no failed contact to replace.
    ReserveWithoutFailure {
        /// The stratum's label.
        stratum: String,
        /// The reserve used.
        rank: u64,
        /// Their record id.
        record_id: String,
    },
    /// An official with no recorded outcome whose place a reserve took.
    OfficialReplacedWithoutFailure {
        /// The stratum's label.
        stratum: String,
        /// The official's rank.
        rank: u64,
        /// Their record id.
        record_id: String,
        /// The reserve who took the place.
        by: u64,
    },
    /// An official with no recorded outcome.
    OfficialWithoutOutcome {
        /// The stratum's label.
        stratum: String,
        /// The official's rank.
        rank: u64,
        /// Their record id.
        record_id: String,
    },
    /// Failed contacts not replaced although the stratum had reserves left.
    FailureNotReplaced {
        /// The stratum's label.
        stratum: String,
        /// How many places were left unfilled while reserves remained.
        places: u64,
        /// The first reserve not tried.
        next: u64,
    },
}

impl std::fmt::Display for Breach {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Breach::OutsideSample {
                row,
                applicant,
                spreadsheet,
            } => {
                write!(
                    f,
                    "responses row {row}: applicant {applicant} is not in the sample (official \
                     or reserve list)"
                )?;
                match spreadsheet {
                    Some(why) => write!(f, ": {why}"),
                    None => Ok(()),
                }
            }
            Breach::ReserveOutOfOrder {
                stratum,
                rank,
                record_id,
                skipped,
            } => write!(
                f,
                "stratum {stratum}: reserve {rank} ({record_id}) used while reserve {skipped} \
                 was not tried: reserves are used in rank order"
            ),
            Breach::ReserveWithoutFailure {
                stratum,
                rank,
                record_id,
            } => write!(
                f,
                "stratum {stratum}: reserve {rank} ({record_id}) used with no failed official \
                 to replace"
            ),
            Breach::OfficialReplacedWithoutFailure {
                stratum,
                rank,
                record_id,
                by,
            } => write!(
                f,
                "stratum {stratum}: official {rank} ({record_id}) replaced (by reserve {by}) \
                 without a failure outcome: the official has no row"
            ),
            Breach::OfficialWithoutOutcome {
                stratum,
                rank,
                record_id,
            } => write!(
                f,
                "stratum {stratum}: official {rank} ({record_id}) has no outcome: every \
                 official is contacted first"
            ),
            Breach::FailureNotReplaced {
                stratum,
                places,
                next,
            } => write!(
                f,
                "stratum {stratum}: {places} failed contact(s) not replaced although reserve \
                 {next} and after were left"
            ),
        }
    }
}

/// How rates far above the rest are marked in `interviewers.csv`.
///
/// Within each group (interviewers, units), let `p` be the share over all the group's
/// contacts (refusals, or substitutions, per contact). An interviewer or unit with `n`
/// contacts and share `p_g` is marked when `n ≥ min_contacts` and
/// `p_g > p + 2·sqrt(p·(1 − p)/n)`: more than two binomial standard errors above the overall
/// share, as a share drawn from `n` contacts at the overall rate would rarely be (about 2.3%
/// of the time, one-sided, in the normal approximation). Fewer contacts are never marked:
/// a few refusals say little.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateSettings {
    /// The fewest contacts for a mark (default 20).
    pub min_contacts: u64,
}

impl Default for RateSettings {
    fn default() -> RateSettings {
        RateSettings { min_contacts: 20 }
    }
}

impl RateSettings {
    /// Settings with `min_contacts` (at least 1).
    pub fn new(min_contacts: u64) -> Result<RateSettings> {
        if min_contacts == 0 {
            return Err(Error::setting(
                "min_contacts",
                min_contacts,
                "expected a whole number from 1",
            ));
        }
        Ok(RateSettings { min_contacts })
    }

    /// Whether `k` of `n` is far above the overall share `p`.
    fn marks(&self, k: u64, n: u64, p: f64) -> bool {
        n >= self.min_contacts && n > 0 && {
            let se = (p * (1.0 - p) / n as f64).sqrt();
            k as f64 / n as f64 > p + 2.0 * se
        }
    }
}

/// The result of an audit.
#[derive(Clone, Debug, PartialEq)]
pub struct Audit {
    /// Every breach, in the order found (responses rows first, then stratum by stratum).
    pub breaches: Vec<Breach>,
    /// The walk of the rule over the recorded outcomes, when no rule was broken.
    pub fieldwork: Option<Fieldwork>,
    /// The rows of `interviewers.csv`: interviewers, then units, each with its `ALL` row
    /// last.
    pub rates: Vec<RateRow>,
}

/// A sample's lists and each person's unit, read through its manifest.
pub struct SampleLists {
    /// The official and reserve lists.
    pub lists: Vec<StratumLists>,
    units: HashMap<(String, Role, u64), String>,
    by_applicant: HashMap<String, Vec<(String, Role, u64)>>,
}

impl SampleLists {
    /// Reads the lists of the sample in `dir` (opened and checked with
    /// [`SampleDir::open`]): every row is checked against the manifest.
    pub fn read(dir: &SampleDir) -> Result<SampleLists> {
        let mut units = HashMap::new();
        let mut by_applicant: HashMap<String, Vec<(String, Role, u64)>> = HashMap::new();
        SampleFile::open(&dir.csv, &LISTS)?.rows(|row| {
            dir.stratum_of(row)?;
            let key = (row.text("stratum").to_string(), row.role()?, row.rank()?);
            by_applicant
                .entry(row.identifier("applicant_id")?.to_string())
                .or_default()
                .push(key.clone());
            units.insert(key, row.text("unit_code").to_string());
            Ok(())
        })?;
        Ok(SampleLists {
            lists: read_sample(&dir.csv)?,
            units,
            by_applicant,
        })
    }

    /// The unit of the person of rank `rank` on list `role` of `stratum`.
    pub fn unit(&self, stratum: &str, role: Role, rank: u64) -> &str {
        self.units
            .get(&(stratum.to_string(), role, rank))
            .map_or("", String::as_str)
    }
}

/// Checks the contacts against the rule of substitution on `lists`, and computes the rates
/// per interviewer and unit. `breaches` holds those found while reading (respondents outside
/// the sample); the audit adds its own.
pub fn audit(
    lists: Vec<StratumLists>,
    contacts: &[Contact],
    mut breaches: Vec<Breach>,
    settings: &RateSettings,
) -> Audit {
    let mut recorded: HashMap<(&str, Role, u64), Outcome> = HashMap::new();
    for c in contacts {
        recorded.insert((c.stratum.as_str(), c.role, c.rank), c.outcome);
    }
    for l in &lists {
        let s = l.stratum();
        let got = |role, rank| recorded.get(&(s, role, rank)).map(|o| o.disposition);
        let used: Vec<u64> = l
            .reserves()
            .iter()
            .map(|p| p.rank)
            .filter(|&r| got(Role::Reserve, r).is_some())
            .collect();
        for &r in &used {
            if let Some(skipped) = (1..r).find(|&q| got(Role::Reserve, q).is_none()) {
                breaches.push(Breach::ReserveOutOfOrder {
                    stratum: s.to_string(),
                    rank: r,
                    record_id: l.reserves()[(r - 1) as usize].record_id.clone(),
                    skipped,
                });
            }
        }
        let mut needs = l
            .officials()
            .iter()
            .filter(|p| got(Role::Official, p.rank).is_some_and(|d| !d.is_respondent()))
            .count();
        let mut missing = l
            .officials()
            .iter()
            .filter(|p| got(Role::Official, p.rank).is_none());
        for &r in &used {
            let reserve = &l.reserves()[(r - 1) as usize];
            let place = if needs > 0 {
                needs -= 1;
                true
            } else if let Some(o) = missing.next() {
                breaches.push(Breach::OfficialReplacedWithoutFailure {
                    stratum: s.to_string(),
                    rank: o.rank,
                    record_id: o.record_id.clone(),
                    by: r,
                });
                true
            } else {
                breaches.push(Breach::ReserveWithoutFailure {
                    stratum: s.to_string(),
                    rank: r,
                    record_id: reserve.record_id.clone(),
                });
                false
            };
            if place && got(Role::Reserve, r).is_some_and(|d| !d.is_respondent()) {
                needs += 1;
            }
        }
        for o in missing {
            breaches.push(Breach::OfficialWithoutOutcome {
                stratum: s.to_string(),
                rank: o.rank,
                record_id: o.record_id.clone(),
            });
        }
        let left: Vec<u64> = l
            .reserves()
            .iter()
            .map(|p| p.rank)
            .filter(|&r| got(Role::Reserve, r).is_none())
            .collect();
        if needs > 0 && !left.is_empty() {
            breaches.push(Breach::FailureNotReplaced {
                stratum: s.to_string(),
                places: needs.min(left.len()) as u64,
                next: left[0],
            });
        }
    }
    let rates = rates(contacts, settings);
    let fieldwork = breaches.is_empty().then(|| {
        walk(lists, |s, role, p| {
            recorded
                .get(&(s, role, p.rank))
                .copied()
                // With no breach, everyone the rule contacts has a row.
                .unwrap_or(Outcome::of(Disposition::NonContact))
        })
    });
    Audit {
        breaches,
        fieldwork,
        rates,
    }
}

/// The rows of `interviewers.csv`.
fn rates(contacts: &[Contact], settings: &RateSettings) -> Vec<RateRow> {
    let mut out = Vec::new();
    for group in ["interviewer", "unit"] {
        let mut by: BTreeMap<&str, (u64, u64, u64)> = BTreeMap::new();
        for c in contacts {
            let id = if group == "interviewer" {
                c.interviewer.as_str()
            } else {
                c.unit.as_str()
            };
            if id.is_empty() {
                continue;
            }
            let e = by.entry(id).or_default();
            e.0 += 1;
            e.1 += u64::from(c.outcome.disposition == Disposition::Refusal);
            e.2 += u64::from(!c.outcome.disposition.is_respondent());
        }
        if by.is_empty() {
            continue;
        }
        let total = by
            .values()
            .fold((0, 0, 0), |a, b| (a.0 + b.0, a.1 + b.1, a.2 + b.2));
        let p = |k: u64| k as f64 / total.0 as f64;
        for (id, (n, refusals, substitutions)) in &by {
            out.push(RateRow {
                group,
                id: id.to_string(),
                contacts: *n,
                refusals: *refusals,
                substitutions: *substitutions,
                refusal_flag: settings.marks(*refusals, *n, p(total.1)),
                substitution_flag: settings.marks(*substitutions, *n, p(total.2)),
            });
        }
        out.push(RateRow {
            group,
            id: "ALL".into(),
            contacts: total.0,
            refusals: total.1,
            substitutions: total.2,
            refusal_flag: false,
            substitution_flag: false,
        });
    }
    out
}

impl Audit {
    /// Adds the audit's files to `staged`: `substitutions.csv` and `summary.csv` (when no
    /// rule was broken) and `interviewers.csv`.
    pub fn stage(&self, staged: &mut Staged<'_>) {
        if let Some(fw) = &self.fieldwork {
            staged.add("substitutions.csv", fw.substitutions_csv());
            staged.add("summary.csv", fw.summary_csv());
        }
        staged.add(
            "interviewers.csv",
            crate::files::interviewers::to_csv(&self.rates),
        );
    }

    /// What the audit found, for standard output: the breaches (one line each) or the
    /// counts of the fieldwork, then the rates marked far above the rest. Each line ends
    /// with a newline.
    pub fn report(&self) -> String {
        let mut text = String::new();
        match &self.fieldwork {
            Some(fw) => {
                text += "fieldwork: the rule of substitution was kept\n";
                text += &fw.counts();
            }
            None => {
                text += &format!(
                    "fieldwork: {} breach(es) of the rule of substitution:\n",
                    self.breaches.len()
                );
                for b in &self.breaches {
                    text += &format!("  {b}\n");
                }
                text += "           nothing written: the substitution log and summary are those of \
                         fieldwork that kept the rule\n";
            }
        }
        for group in ["interviewer", "unit"] {
            let rows: Vec<&RateRow> = self.rates.iter().filter(|r| r.group == group).collect();
            let Some(all) = rows.iter().find(|r| r.id == "ALL") else {
                continue;
            };
            let marked: Vec<String> = rows
                .iter()
                .filter(|r| r.id != "ALL" && (r.refusal_flag || r.substitution_flag))
                .map(|r| {
                    let mut what = Vec::new();
                    if r.refusal_flag {
                        what.push(format!("refusals {:.1}%", 100.0 * r.refusal_rate()));
                    }
                    if r.substitution_flag {
                        what.push(format!(
                            "substitutions {:.1}%",
                            100.0 * r.substitution_rate()
                        ));
                    }
                    format!("{} ({} of {} contacts)", r.id, what.join(", "), r.contacts)
                })
                .collect();
            text += &format!(
                "{group}s: {} with {} contacts; refusals {:.1}%, substitutions {:.1}% overall; {}\n",
                rows.len() - 1,
                all.contacts,
                100.0 * all.refusal_rate(),
                100.0 * all.substitution_rate(),
                if marked.is_empty() {
                    "none far above the rest".to_string()
                } else {
                    format!("far above the rest: {}", marked.join("; "))
                }
            );
        }
        text
    }
}

/// A validated request for `chiso fieldwork`.
#[derive(Clone, Debug)]
pub struct FieldworkRequest {
    /// The sample's directory (`sample.csv` and `manifest.json`).
    pub sample: PathBuf,
    /// The responses: one row per contact, with `applicant_id` and `disposition`.
    pub responses: PathBuf,
    /// How the responses file is laid out: the sheet of a spreadsheet, a CSV file's delimiter,
    /// the header's row (found unless given: the first row holding `applicant_id`).
    pub layout: crate::Layout,
    /// The responses' headers for the named columns ([`RESPONSE_COLUMNS`]), when they are
    /// not the contract's names.
    pub columns: crate::ColumnMap,
    /// How rates far above the rest are marked.
    pub rates: RateSettings,
    /// Where the files are written.
    pub out: PathBuf,
}

/// What `chiso fieldwork` found and wrote.
#[derive(Clone, Debug)]
pub struct FieldworkOutput {
    /// The audit.
    pub audit: Audit,
    /// The files written, in order: none when a rule was broken.
    pub written: Vec<PathBuf>,
}

/// Reads the sample (through its manifest) and the responses, audits the fieldwork and,
/// when no rule was broken, writes `substitutions.csv`, `summary.csv` and
/// `interviewers.csv` together; when one was, writes nothing.
pub fn run(req: &FieldworkRequest) -> Result<FieldworkOutput> {
    let dir = SampleDir::open(&req.sample)?;
    let sample = SampleLists::read(&dir)?;
    let (contacts, outside) = read_contacts(req, &sample)?;
    let audit = audit(sample.lists, &contacts, outside, &req.rates);
    let written = if audit.breaches.is_empty() {
        let mut staged = Staged::new(&req.out, true, &[])?;
        audit.stage(&mut staged);
        staged.commit()?
    } else {
        Vec::new()
    };
    Ok(FieldworkOutput { audit, written })
}

/// The columns `chiso fieldwork` reads from the responses (`--columns` may give their
/// headers).
pub const RESPONSE_COLUMNS: [&str; 5] = [
    "applicant_id",
    "disposition",
    "stratum",
    "interviewer_id",
    "contact_date",
];

/// The contacts of the responses file, and the rows outside the sample.
fn read_contacts(
    req: &FieldworkRequest,
    sample: &SampleLists,
) -> Result<(Vec<Contact>, Vec<Breach>)> {
    let map = &req.columns;
    let mut table = Table::open_layout(
        &req.responses,
        &req.layout,
        &[map.header("applicant_id")],
        false,
    )?;
    map.check_table(&table, &RESPONSE_COLUMNS, "the responses of a fieldwork")?;
    let file = table.name().to_string();
    let c = map.require_in(&table, &["applicant_id", "disposition"])?;
    let (id_col, disposition_col) = (c[0], c[1]);
    let stratum_col = map.column_in(&table, "stratum");
    let interviewer_col = map.column_in(&table, "interviewer_id");
    let date_col = map.column_in(&table, "contact_date");
    let mut contacts = Vec::new();
    let mut outside = Vec::new();
    // The sample's identifiers by what is left without their leading zeros, made at the
    // first row that is in no list.
    let mut padded: Option<ZeroPadded> = None;
    let mut seen: HashMap<(String, Role, u64), u64> = HashMap::new();
    while let Some(row) = table.next_row()? {
        if row.is_blank() {
            continue;
        }
        let at = row.file(&file);
        let cell = |column: &str, v: &str, reason: String| {
            Error::cell(&at, row.number(), column, v, reason)
        };
        let disposition = Disposition::read(&at, row.number(), row.get(disposition_col))?;
        if let Some(d) = date_col {
            let v = row.get(d);
            if !v.trim().is_empty() && crate::records::parse_date(v).is_none() {
                return Err(cell(
                    map.header("contact_date"),
                    v,
                    "expected a date".into(),
                ));
            }
        }
        let mut key = row.get(id_col);
        if !sample.by_applicant.contains_key(key)
            && sample
                .by_applicant
                .contains_key(crate::output::restore(key))
        {
            key = crate::output::restore(key);
        }
        let entries = sample.by_applicant.get(key).map_or(&[][..], Vec::as_slice);
        let wanted = stratum_col
            .map(|c| row.get(c))
            .filter(|s| !s.is_empty())
            .map(|w| {
                if entries.iter().any(|e| e.0 == w) {
                    w
                } else {
                    crate::output::restore(w)
                }
            });
        let chosen: Vec<&(String, Role, u64)> = entries
            .iter()
            .filter(|e| wanted.is_none_or(|w| w == e.0))
            .collect();
        let (stratum, role, rank) = match chosen.as_slice() {
            [e] => (*e).clone(),
            [] => {
                outside.push(Breach::OutsideSample {
                    row: row.number(),
                    applicant: mask(key),
                    spreadsheet: padded
                        .get_or_insert_with(|| {
                            ZeroPadded::new(sample.by_applicant.keys().map(String::as_str))
                        })
                        .hint(key),
                });
                continue;
            }
            _ => {
                return Err(cell(
                    map.header("applicant_id"),
                    &mask(key),
                    "this applicant is in several strata of the sample: add a `stratum` \
                     column saying which"
                        .into(),
                ));
            }
        };
        if let Some(first) = seen.insert((stratum.clone(), role, rank), row.number()) {
            return Err(cell(
                map.header("applicant_id"),
                &mask(key),
                format!(
                    "this applicant already has a row (row {first}): give one row per \
                     contact, with its final disposition"
                ),
            ));
        }
        contacts.push(Contact {
            unit: sample.unit(&stratum, role, rank).to_string(),
            stratum,
            role,
            rank,
            outcome: Outcome::of(disposition),
            interviewer: interviewer_col
                .map(|c| row.get(c).trim().to_string())
                .unwrap_or_default(),
        });
    }
    Ok((contacts, outside))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fieldwork::Person;

    fn lists() -> Vec<StratumLists> {
        vec![
            StratumLists::new(
                "XA01".into(),
                (1..=3).map(|r| Person::example("", r)).collect(),
                (1..=3).map(|r| Person::example("R", r)).collect(),
            )
            .unwrap(),
        ]
    }

    fn contact(role: Role, rank: u64, d: Disposition) -> Contact {
        Contact {
            stratum: "XA01".into(),
            role,
            rank,
            outcome: Outcome::of(d),
            interviewer: format!("I{}", rank % 2),
            unit: "U1".into(),
        }
    }

    fn breaches(contacts: &[Contact]) -> Vec<Breach> {
        audit(lists(), contacts, Vec::new(), &RateSettings::default()).breaches
    }

    #[test]
    fn the_walk_of_the_rule_passes_its_own_audit() {
        use Disposition::*;
        let o = |r, d| contact(Role::Official, r, d);
        let z = |r, d| contact(Role::Reserve, r, d);
        let kept = [
            o(1, Refusal),
            z(1, NonContact),
            z(2, Complete),
            o(2, Complete),
            o(3, Ineligible),
            z(3, Partial),
        ];
        let a = audit(lists(), &kept, Vec::new(), &RateSettings::default());
        assert_eq!(a.breaches, []);
        let fw = a.fieldwork.unwrap();
        assert_eq!(fw.attempts().len(), 6);
        assert_eq!(fw.substitutions().len(), 3);

        // Reserve 3 with reserve 2 untried, and with no failure to replace.
        let b = breaches(&[
            o(1, Refusal),
            z(1, NonContact),
            z(3, Complete),
            o(2, Complete),
            o(3, Complete),
        ]);
        assert!(
            matches!(
                b[0],
                Breach::ReserveOutOfOrder {
                    rank: 3,
                    skipped: 2,
                    ..
                }
            ),
            "{b:?}"
        );
        assert_eq!(b.len(), 1, "{b:?}");
        let b = breaches(&[
            o(1, Complete),
            o(2, Complete),
            o(3, Complete),
            z(1, Complete),
        ]);
        assert!(
            matches!(b[..], [Breach::ReserveWithoutFailure { rank: 1, .. }]),
            "{b:?}"
        );
        let b = breaches(&[o(1, Complete), o(3, Complete), z(1, Complete)]);
        assert!(
            matches!(
                b[..],
                [Breach::OfficialReplacedWithoutFailure { rank: 2, by: 1, .. }]
            ),
            "{b:?}"
        );
        let b = breaches(&[o(1, Complete), o(3, Complete)]);
        assert!(
            matches!(b[..], [Breach::OfficialWithoutOutcome { rank: 2, .. }]),
            "{b:?}"
        );
        let b = breaches(&[o(1, Refusal), o(2, Complete), o(3, Complete)]);
        assert!(
            matches!(
                b[..],
                [Breach::FailureNotReplaced {
                    places: 1,
                    next: 1,
                    ..
                }]
            ),
            "{b:?}"
        );
    }

    #[test]
    fn rates_far_above_the_rest_are_marked() {
        // 10 interviewers of 30 contacts; one refuses 12 of 30 where the rest refuse 1.
        let mut contacts = Vec::new();
        for i in 0..10 {
            for k in 0..30 {
                let refused = if i == 0 { k < 12 } else { k < 1 };
                let mut c = contact(
                    Role::Official,
                    1,
                    if refused {
                        Disposition::Refusal
                    } else {
                        Disposition::Complete
                    },
                );
                c.interviewer = format!("I{i:02}");
                contacts.push(c);
            }
        }
        let rows = rates(&contacts, &RateSettings::default());
        let marked: Vec<&str> = rows
            .iter()
            .filter(|r| r.refusal_flag)
            .map(|r| r.id.as_str())
            .collect();
        assert_eq!(marked, ["I00"]);
        assert!(rows.iter().all(|r| r.substitution_flag == r.refusal_flag));
        // With fewer contacts than the minimum, nobody is marked.
        let rows = rates(&contacts, &RateSettings::new(31).unwrap());
        assert!(rows.iter().all(|r| !r.refusal_flag));
    }
}
