//! Fieldwork: who was reached, who answered, and who stood in for whom.
//!
//! The sample gives every stratum an official list and an ordered reserve list (`sample.csv`, ranks
//! from 1). The rule of substitution (README, "Fieldwork and the rule of substitution") is
//! strict so that nobody can pick a convenient replacement: an official respondent who cannot
//! be reached (`non_contact`), refuses (`refusal`) or turns out not to belong to the
//! population (`ineligible`) is replaced by the **next unused reserve of the same stratum, in
//! reserve rank order**; a reserve who fails in turn is replaced by the next one; when the
//! reserves of a stratum run out, the remaining places stay empty and the stratum ends
//! **short**. Nobody is ever re-drawn. A `partial` interview (a
//! questionnaire broken off after some items) is a respondent: its answers are kept and it is not
//! replaced.
//!
//! [`walk`] applies that rule, stratum by stratum and official by official in rank order, to
//! any source of outcomes (the real disposition of each contact, or a simulation), and keeps
//! every attempt. [`audit`] checks recorded contacts against the rule (`chiso fieldwork`,
//! [`run`]); the demo's simulated contacts go through the same audit. From the walk come
//! three files:
//!
//! - the **substitution log** ([`Fieldwork::substitutions_csv`], [`SUBSTITUTION_COLUMNS`]):
//!   one row per failed contact, with its outcome and the reserve who took the place (empty
//!   when none was left). It is a published audit file, so it names people only by their
//!   `record_id` (the transaction record that put them in the frame) and their list and rank,
//!   never by applicant id, name, phone or address;
//! - the **per-stratum summary** ([`Fieldwork::summary_csv`], [`SUMMARY_COLUMNS`]): officials,
//!   reserves, the outcomes of every contact, places filled by a reserve, reserves used,
//!   respondents and places left empty (`short`);
//! - the **responses** ([`Fieldwork::responses_csv`]): one row per contact with its
//!   `disposition`; refusals, non-contacts and ineligibles carry their `applicant_id` and
//!   empty answers, so that response rates can be computed from the same file.
//!
//! ## The simulation used by the demo
//!
//! [`Simulation`] draws each contact's outcome from ChaCha20 (`rand_chacha::ChaCha20Rng`)
//! with our own uniform draws (no `rand` distributions, whose output may change between
//! versions), so the same seed gives byte-identical files on every platform. The algorithm,
//! `chiso-fieldwork-v1`:
//!
//! 1. the key of stratum `s` is `SHA-256("chiso-fieldwork-v1" || 0x00 || seed as 8 bytes
//!    little-endian || len(s) as 4 bytes little-endian || s in UTF-8)`
//!    (`random::fieldwork`);
//! 2. a uniform draw `u = (x >> 11) · 2^-53` turns a 64-bit output `x` into `[0, 1)`;
//! 3. the stratum's factor is `1 - spread + 2·spread·u` with `u` the first draw of stream 0
//!    of that key: contact is harder in some strata than in others;
//! 4. the person of rank `r` uses stream `2r` (official) or `2r + 1` (reserve). Its first
//!    draw `u` gives the outcome: `non_contact` if `u < a`, `refusal` if `u < a + b`,
//!    `ineligible` if `u < a + b + c`, `partial` if `u < a + b + c + d`, otherwise
//!    `complete`, with `a = factor·non_contact`, `b = factor·refusal`, `c = ineligible` and
//!    `d = partial` (the [`Rates`]). Its second draw is the share of the questionnaire a
//!    partial respondent answered before breaking off.
//!
//! Every person's outcome depends only on (seed, stratum, list, rank): the same people fail
//! whatever the order in which fieldwork is walked, and one stratum never moves another.

use std::path::Path;

use crate::sample::Role;

mod audit;
mod lists;
mod simulation;

pub use audit::{
    Audit, Breach, Contact, FieldworkOutput, FieldworkRequest, RESPONSE_COLUMNS, RateSettings,
    SampleLists, audit, run,
};
pub use lists::{Person, StratumLists, read_sample};
pub use simulation::{Rates, SIMULATION, Simulation};

/// The columns of the substitution log, `fieldwork/substitutions.csv` (defined with the file).
pub use crate::files::substitutions::COLUMNS as SUBSTITUTION_COLUMNS;

/// The columns of the per-stratum summary, `fieldwork/summary.csv` (defined with the file).
pub use crate::files::fieldwork_summary::COLUMNS as SUMMARY_COLUMNS;
pub use crate::files::fieldwork_summary::StratumSummary;

/// The outcome of one contact: the dispositions of the responses file.
pub use crate::disposition::Disposition;

/// The outcome of one contact.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Outcome {
    /// Its disposition.
    pub disposition: Disposition,
    /// For a partial interview, the share of the questionnaire answered before breaking off,
    /// in `[0, 1)`; ignored otherwise. See [`answered_items`].
    pub answered_share: f64,
}

impl Outcome {
    /// An outcome with nothing answered before a break-off (for outcomes that are not
    /// partial, the share does not matter).
    pub fn of(disposition: Disposition) -> Outcome {
        Outcome {
            disposition,
            answered_share: 0.0,
        }
    }
}

/// How many of `items` items a partial respondent with `share` answered: the first
/// `1 + ⌊share·(items − 1)⌋`, at least one and, when there are two items or more, at most
/// `items − 1` (a partial interview answers something, but not everything).
///
/// ```
/// use chiso::fieldwork::answered_items;
/// assert_eq!(answered_items(22, 0.0), 1);
/// assert_eq!(answered_items(22, 0.5), 11);
/// assert_eq!(answered_items(22, 0.999), 21);
/// assert_eq!(answered_items(1, 0.7), 1);
/// ```
pub fn answered_items(items: usize, share: f64) -> usize {
    if items <= 1 {
        return items;
    }
    let k = 1 + (share.clamp(0.0, 1.0) * (items - 1) as f64) as usize;
    k.min(items - 1)
}

/// One contact made during fieldwork.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Attempt {
    /// Index of the stratum in [`Fieldwork::lists`].
    pub stratum: usize,
    /// The rank of the official whose place this contact fills.
    pub official_rank: u64,
    /// 1 for the official, 2 for the first reserve tried in that place, and so on.
    pub step: u32,
    /// The list of the person contacted.
    pub role: Role,
    /// Their rank in that list.
    pub rank: u64,
    /// What happened.
    pub outcome: Outcome,
}

/// One failed contact and who replaced them: a row of the substitution log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Substitution {
    /// Index of the stratum in [`Fieldwork::lists`].
    pub stratum: usize,
    /// The rank of the official whose place is being filled.
    pub official_rank: u64,
    /// The step of the failed contact in that place (1 = the official).
    pub step: u32,
    /// The list of the person who failed.
    pub role: Role,
    /// Their rank.
    pub rank: u64,
    /// Why they were replaced: `refusal`, `non_contact` or `ineligible`.
    pub outcome: Disposition,
    /// The rank of the reserve who was contacted instead; `None` when the stratum had no
    /// reserve left (the place stays empty).
    pub replaced_by: Option<u64>,
}

impl StratumSummary {
    /// Contacts with outcome `d`.
    pub fn count(&self, d: Disposition) -> u64 {
        self.outcomes[d.index()]
    }

    fn add(&mut self, o: &StratumSummary) {
        self.officials += o.officials;
        self.reserves += o.reserves;
        self.attempted += o.attempted;
        for (a, b) in self.outcomes.iter_mut().zip(o.outcomes) {
            *a += b;
        }
        self.substituted += o.substituted;
        self.reserves_used += o.reserves_used;
        self.respondents += o.respondents;
        self.short += o.short;
    }
}

/// The result of fieldwork: the lists, every contact, every substitution and the counts.
#[derive(Clone, Debug, PartialEq)]
pub struct Fieldwork {
    lists: Vec<StratumLists>,
    attempts: Vec<Attempt>,
    substitutions: Vec<Substitution>,
    summary: Vec<StratumSummary>,
}

/// Walks the lists: in every stratum, the officials in rank order; an official who is not a
/// respondent is replaced by the next unused reserve of the stratum in rank order, who may be
/// replaced in turn; when no reserve is left, the place stays empty. `outcome` says what
/// happened at each contact.
///
/// ```
/// use chiso::fieldwork::{walk, Disposition, Outcome, Person, StratumLists};
/// use chiso::sample::Role;
/// let p = |rank: u64| Person { rank, applicant_id: format!("A{rank}"), record_id: format!("R{rank}") };
/// let lists = vec![StratumLists::new("XA01".into(), vec![p(1), p(2)], vec![p(1), p(2)])?];
/// // Official 1 refuses and reserve 1 cannot be reached: reserve 2 answers in their place.
/// let fw = walk(lists, |_, role, person| match (role, person.rank) {
///     (Role::Official, 1) => Outcome::of(Disposition::Refusal),
///     (Role::Reserve, 1) => Outcome::of(Disposition::NonContact),
///     _ => Outcome::of(Disposition::Complete),
/// });
/// assert_eq!(fw.substitutions().len(), 2);
/// assert_eq!(fw.substitutions()[1].replaced_by, Some(2));
/// assert_eq!(fw.summary()[0].respondents, 2);
/// assert_eq!(fw.summary()[0].short, 0);
/// # Ok::<(), chiso::Error>(())
/// ```
pub fn walk(
    lists: Vec<StratumLists>,
    mut outcome: impl FnMut(&str, Role, &Person) -> Outcome,
) -> Fieldwork {
    let mut attempts = Vec::new();
    let mut substitutions = Vec::new();
    let mut summary = Vec::with_capacity(lists.len());
    for (s, l) in lists.iter().enumerate() {
        let mut sum = StratumSummary {
            stratum: l.stratum.clone(),
            officials: l.officials.len() as u64,
            reserves: l.reserves.len() as u64,
            ..StratumSummary::default()
        };
        let mut next_reserve = 0usize;
        for official in &l.officials {
            let (mut role, mut person, mut step) = (Role::Official, official, 1u32);
            loop {
                let o = outcome(&l.stratum, role, person);
                attempts.push(Attempt {
                    stratum: s,
                    official_rank: official.rank,
                    step,
                    role,
                    rank: person.rank,
                    outcome: o,
                });
                sum.attempted += 1;
                sum.outcomes[o.disposition.index()] += 1;
                if o.disposition.is_respondent() {
                    sum.respondents += 1;
                    if role == Role::Reserve {
                        sum.substituted += 1;
                    }
                    break;
                }
                let replacement = l.reserves.get(next_reserve);
                substitutions.push(Substitution {
                    stratum: s,
                    official_rank: official.rank,
                    step,
                    role,
                    rank: person.rank,
                    outcome: o.disposition,
                    replaced_by: replacement.map(|r| r.rank),
                });
                match replacement {
                    Some(r) => {
                        next_reserve += 1;
                        (role, person, step) = (Role::Reserve, r, step + 1);
                    }
                    None => {
                        sum.short += 1;
                        break;
                    }
                }
            }
        }
        sum.reserves_used = next_reserve as u64;
        summary.push(sum);
    }
    Fieldwork {
        lists,
        attempts,
        substitutions,
        summary,
    }
}

fn csv_writer() -> crate::output::CsvWriter<Vec<u8>> {
    crate::output::csv_writer()
}

impl Fieldwork {
    /// The lists walked.
    pub fn lists(&self) -> &[StratumLists] {
        &self.lists
    }

    /// Every contact, in the order made: stratum by stratum, place by place.
    pub fn attempts(&self) -> &[Attempt] {
        &self.attempts
    }

    /// Every failed contact, in the same order.
    pub fn substitutions(&self) -> &[Substitution] {
        &self.substitutions
    }

    /// One summary per stratum, in the order of [`Fieldwork::lists`].
    pub fn summary(&self) -> &[StratumSummary] {
        &self.summary
    }

    /// The person of rank `rank` on list `role` of stratum `stratum`.
    pub(crate) fn person(&self, stratum: usize, role: Role, rank: u64) -> &Person {
        let l = &self.lists[stratum];
        let list = match role {
            Role::Official => &l.officials,
            Role::Reserve => &l.reserves,
        };
        &list[(rank - 1) as usize]
    }

    /// The counts over all strata, labelled `ALL`.
    pub fn totals(&self) -> StratumSummary {
        let mut t = StratumSummary {
            stratum: "ALL".into(),
            ..StratumSummary::default()
        };
        for s in &self.summary {
            t.add(s);
        }
        t
    }

    /// The strata that ended short, with how many places stayed empty.
    pub fn short_strata(&self) -> impl Iterator<Item = &StratumSummary> {
        self.summary.iter().filter(|s| s.short > 0)
    }

    /// The substitution log ([`SUBSTITUTION_COLUMNS`]): record ids and ranks only, no personal
    /// data.
    pub fn substitutions_csv(&self) -> Vec<u8> {
        crate::files::substitutions::to_csv(&self.substitution_rows())
    }

    /// The rows of the substitution log: each failed contact with the record ids of the
    /// official place, of the person who failed and of the reserve contacted next.
    pub fn substitution_rows(&self) -> Vec<crate::files::substitutions::Row> {
        self.substitutions
            .iter()
            .map(|x| {
                let by = x
                    .replaced_by
                    .map(|r| self.person(x.stratum, Role::Reserve, r));
                crate::files::substitutions::Row {
                    stratum: self.lists[x.stratum].stratum().to_string(),
                    official_rank: x.official_rank,
                    official_record_id: self
                        .person(x.stratum, Role::Official, x.official_rank)
                        .record_id
                        .clone(),
                    step: x.step,
                    role: x.role.as_str().to_string(),
                    rank: x.rank,
                    record_id: self.person(x.stratum, x.role, x.rank).record_id.clone(),
                    outcome: x.outcome.as_str().to_string(),
                    replaced_by_reserve_rank: x.replaced_by,
                    replaced_by_record_id: by.map(|p| p.record_id.clone()),
                    row: 0,
                }
            })
            .collect()
    }

    /// The per-stratum summary ([`SUMMARY_COLUMNS`]), one row per stratum then `ALL`.
    pub fn summary_csv(&self) -> Vec<u8> {
        crate::files::fieldwork_summary::to_csv(&self.summary, &self.totals())
    }

    /// The responses file: `applicant_id, stratum, disposition`, then one column per item, one
    /// row per contact in the order made. `answers(stratum, role, rank)` gives the full
    /// answers a person would give (one cell per item); a partial respondent keeps the first
    /// [`answered_items`] of them, and refusals, non-contacts and ineligibles have empty
    /// answers.
    ///
    /// # Panics
    /// If `answers` returns a number of cells other than `items.len()`.
    pub fn responses_csv(
        &self,
        items: &[String],
        answers: impl FnMut(&str, Role, u64) -> Vec<String>,
    ) -> Vec<u8> {
        self.responses(items, answers, false)
    }

    /// The same file as [`Fieldwork::responses_csv`] with the respondents' rows only
    /// (`complete` and `partial`): what an index reader that does not know the `disposition`
    /// column must be given, since a non-respondent's row would count as a respondent with
    /// no answer and change the weights `N_h / m_h`.
    ///
    /// # Panics
    /// As [`Fieldwork::responses_csv`].
    pub fn respondents_csv(
        &self,
        items: &[String],
        answers: impl FnMut(&str, Role, u64) -> Vec<String>,
    ) -> Vec<u8> {
        self.responses(items, answers, true)
    }

    fn responses(
        &self,
        items: &[String],
        mut answers: impl FnMut(&str, Role, u64) -> Vec<String>,
        respondents_only: bool,
    ) -> Vec<u8> {
        let mut w = csv_writer();
        w.write_record(
            ["applicant_id", "stratum", "disposition"]
                .into_iter()
                .chain(items.iter().map(String::as_str)),
        )
        .expect("memory");
        let empty = vec![String::new(); items.len()];
        for a in &self.attempts {
            let d = a.outcome.disposition;
            if respondents_only && !d.is_respondent() {
                continue;
            }
            let stratum = self.lists[a.stratum].stratum.as_str();
            let person = self.person(a.stratum, a.role, a.rank);
            let cells = if d.is_respondent() {
                let mut cells = answers(stratum, a.role, a.rank);
                assert_eq!(cells.len(), items.len(), "one answer per item");
                if d == Disposition::Partial {
                    let k = answered_items(items.len(), a.outcome.answered_share);
                    for c in &mut cells[k..] {
                        c.clear();
                    }
                }
                cells
            } else {
                empty.clone()
            };
            w.write_record(
                [person.applicant_id.as_str(), stratum, d.as_str()]
                    .into_iter()
                    .chain(cells.iter().map(String::as_str)),
            )
            .expect("memory");
        }
        w.into_inner().expect("memory")
    }
}

impl Fieldwork {
    /// The contacts, substitutions and files of the fieldwork (written under `out`), for
    /// standard output. Each line ends with a newline.
    pub fn report(&self, out: &Path) -> String {
        let mut text = self.counts();
        let dir = out.join("fieldwork");
        text += &format!(
            "           substitution log {}, per-stratum summary {}, rates per unit {}, responses with their disposition {}\n",
            dir.join("substitutions.csv").display(),
            dir.join("summary.csv").display(),
            dir.join("interviewers.csv").display(),
            out.join("responses.csv").display()
        );
        text
    }

    /// The contacts and substitutions of the fieldwork, for standard output: two lines, each
    /// ending with a newline.
    pub fn counts(&self) -> String {
        use Disposition as D;
        let t = self.totals();
        let mut text = format!(
            "fieldwork: {} contacts for {} official places: {} complete, {} partial, {} refusals, {} not reached, {} ineligible\n",
            t.attempted,
            t.officials,
            t.count(D::Complete),
            t.count(D::Partial),
            t.count(D::Refusal),
            t.count(D::NonContact),
            t.count(D::Ineligible)
        );
        let short: Vec<&StratumSummary> = self.short_strata().collect();
        text += &format!(
            "           {} places filled from the reserves ({} reserves contacted); {}\n",
            t.substituted,
            t.reserves_used,
            if short.is_empty() {
                "no stratum ran out of reserves".to_string()
            } else {
                format!(
                    "{} strata ran out of reserves, {} places left empty",
                    short.len(),
                    t.short
                )
            }
        );
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(rank: u64) -> Person {
        Person::example("", rank)
    }

    fn lists(officials: u64, reserves: u64) -> StratumLists {
        StratumLists::new(
            "XA01".into(),
            (1..=officials).map(person).collect(),
            (1..=reserves)
                .map(|r| Person {
                    rank: r,
                    applicant_id: format!("0987654321{r:02}"),
                    record_id: format!("HS-R{r}"),
                })
                .collect(),
        )
        .unwrap()
    }

    #[test]
    fn every_place_is_filled_in_reserve_rank_order() {
        use Disposition::*;
        // Officials 2 and 4 fail; reserve 1 is ineligible, reserve 2 answers for official 2,
        // reserve 3 for official 4; reserve 4 is never contacted.
        let fw = walk(vec![lists(4, 4)], |_, role, p| {
            Outcome::of(match (role, p.rank) {
                (Role::Official, 2) => NonContact,
                (Role::Official, 4) => Refusal,
                (Role::Reserve, 1) => Ineligible,
                _ => Complete,
            })
        });
        let log: Vec<(u64, u32, Role, u64, Disposition, Option<u64>)> = fw
            .substitutions
            .iter()
            .map(|x| {
                (
                    x.official_rank,
                    x.step,
                    x.role,
                    x.rank,
                    x.outcome,
                    x.replaced_by,
                )
            })
            .collect();
        assert_eq!(
            log,
            [
                (2, 1, Role::Official, 2, NonContact, Some(1)),
                (2, 2, Role::Reserve, 1, Ineligible, Some(2)),
                (4, 1, Role::Official, 4, Refusal, Some(3)),
            ]
        );
        let s = &fw.summary[0];
        assert_eq!(
            (
                s.attempted,
                s.substituted,
                s.reserves_used,
                s.respondents,
                s.short
            ),
            (7, 2, 3, 4, 0)
        );
        assert_eq!(s.outcomes, [4, 0, 1, 1, 1]);
    }

    #[test]
    fn a_stratum_without_reserves_left_ends_short() {
        let fw = walk(vec![lists(3, 1)], |_, _, _| {
            Outcome::of(Disposition::Refusal)
        });
        let s = &fw.summary[0];
        assert_eq!((s.respondents, s.short, s.reserves_used), (0, 3, 1));
        let empty: Vec<_> = fw
            .substitutions
            .iter()
            .filter(|x| x.replaced_by.is_none())
            .map(|x| (x.official_rank, x.step))
            .collect();
        assert_eq!(empty, [(1, 2), (2, 1), (3, 1)]);
    }

    #[test]
    fn partial_respondents_keep_their_first_answers_and_are_not_replaced() {
        let items: Vec<String> = (1..=5).map(|i| format!("Q{i}")).collect();
        let fw = walk(vec![lists(2, 1)], |_, _, p| {
            if p.rank == 1 {
                Outcome {
                    disposition: Disposition::Partial,
                    answered_share: 0.5,
                }
            } else {
                Outcome::of(Disposition::NonContact)
            }
        });
        let csv = fw.responses_csv(&items, |_, _, rank| vec![rank.to_string(); 5]);
        assert_eq!(
            String::from_utf8(csv).unwrap(),
            "applicant_id,stratum,disposition,Q1,Q2,Q3,Q4,Q5\n\
             012345678901,XA01,partial,1,1,1,,\n\
             012345678902,XA01,non_contact,,,,,\n\
             098765432101,XA01,partial,1,1,1,,\n"
        );
        let only = fw.respondents_csv(&items, |_, _, rank| vec![rank.to_string(); 5]);
        assert_eq!(String::from_utf8(only).unwrap().lines().count(), 3);
    }
}
