//! The re-check (phúc tra) subsample: after fieldwork, a share of the completed forms of every
//! stratum (or of every interviewer) is drawn to be checked again, and optionally a share of
//! the refusals and non-contacts to be contacted again (`docs/draw-algorithm.md` §9).
//!
//! Every form gets a 64-bit re-check key from ChaCha20 keyed by the seed, on a stream derived
//! from its stratum and applicant (`random::recheck_key`, `random::recheck_form`, stream
//! `chiso-recheck-v1`); a group's forms are taken in order of their keys. Keys depend on
//! nothing but (seed, stratum, applicant), so the list does not depend on the order of the
//! responses' rows, and the forms of one group never move another's list.
//!
//! A group with `n` forms in a pool gets `ceil(share × n)` of them, computed in whole numbers
//! on the share in millionths ([`Settings::new`]): at least one form of every group that has
//! one.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use rand_core::Rng;
use serde::Serialize;

use crate::disposition::Disposition;
use crate::error::{Error, Result};
use crate::files::recheck::{COMPLETED, NOT_COMPLETED, RecheckRow};
use crate::files::sample::{SampleDir, SampleFile};
use crate::output::Staged;
use crate::provenance::FileDigest;
use crate::random;
use crate::table::Table;

/// The stream's name, recorded in `recheck.json`.
pub const STREAM: &str = random::domain::RECHECK;

/// What the forms are grouped by: every group gets its own share, and at least one form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum By {
    /// The stratum of the form.
    Stratum,
    /// The interviewer who filled it in (`interviewer_id`).
    Interviewer,
}

impl By {
    /// Reads `stratum` or `interviewer`.
    pub fn parse(text: &str) -> Result<By> {
        match text {
            "stratum" => Ok(By::Stratum),
            "interviewer" => Ok(By::Interviewer),
            _ => Err(Error::setting(
                "by",
                text,
                "expected stratum or interviewer",
            )),
        }
    }

    /// The name used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            By::Stratum => "stratum",
            By::Interviewer => "interviewer",
        }
    }
}

/// A share above 0 and at most 1, kept as the number of millionths it rounds to.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Share {
    /// The share as given.
    pub value: f64,
    /// `round(value × 10^6)`, what the counts are computed from.
    #[serde(skip)]
    pub millionths: u64,
}

impl Share {
    fn new(name: &'static str, value: f64) -> Result<Share> {
        let scaled = value * 1e6;
        let millionths = scaled.round();
        if !value.is_finite() || !(1.0..=1e6).contains(&millionths) || value > 1.0 {
            return Err(Error::setting(
                name,
                value,
                "expected a share above 0 and at most 1, such as 0.1",
            ));
        }
        if (scaled - millionths).abs() > 1e-6 {
            return Err(Error::setting(
                name,
                value,
                "expected a share with at most 6 decimals, such as 0.1",
            ));
        }
        Ok(Share {
            value,
            millionths: millionths as u64,
        })
    }

    /// `ceil(share × n)`, in whole numbers: `ceil(millionths × n / 10^6)`.
    pub fn of(&self, n: u64) -> u64 {
        let t = u128::from(self.millionths) * u128::from(n);
        t.div_ceil(1_000_000) as u64
    }
}

/// The settings of a re-check, validated.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Settings {
    /// The share of completed forms to check.
    pub share: Share,
    /// The share of refusals and non-contacts to contact again, if any.
    pub refusals: Option<Share>,
    /// What the forms are grouped by.
    pub by: By,
}

impl Settings {
    /// Validated settings: shares above 0 and at most 1, with at most 6 decimals.
    pub fn new(share: f64, refusals: Option<f64>, by: By) -> Result<Settings> {
        Ok(Settings {
            share: Share::new("share", share)?,
            refusals: refusals.map(|r| Share::new("refusals", r)).transpose()?,
            by,
        })
    }
}

/// What `chiso recheck` needs, validated.
#[derive(Clone, Debug)]
pub struct RecheckRequest {
    /// The responses file (CSV or a spreadsheet) with `applicant_id` and `disposition`, and
    /// `stratum` unless `sample` is given.
    pub responses: PathBuf,
    /// How the responses file is laid out: the sheet of a spreadsheet, a CSV file's delimiter,
    /// the header's row (found unless given: the first row holding `applicant_id`).
    pub layout: crate::Layout,
    /// The responses' headers for the named columns ([`RESPONSE_COLUMNS`]), when they are
    /// not the contract's names.
    pub columns: crate::ColumnMap,
    /// A sample directory (`sample.csv` with its manifest) giving the stratum of each
    /// applicant whose row has none.
    pub sample: Option<PathBuf>,
    /// The seed as given; it is used in its published form ([`crate::draw::normalize_seed`]).
    pub seed: String,
    /// The shares and grouping.
    pub settings: Settings,
    /// The output directory.
    pub out: PathBuf,
}

/// The columns `chiso recheck` reads from the responses (`--columns` may give their headers).
pub const RESPONSE_COLUMNS: [&str; 4] =
    ["applicant_id", "stratum", "interviewer_id", "disposition"];

/// The forms of one group, counted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct GroupCount {
    /// The stratum or interviewer.
    pub group: String,
    /// Completed forms (complete or partial).
    pub completed: u64,
    /// Completed forms chosen.
    pub completed_chosen: u64,
    /// Refusals and non-contacts.
    pub not_completed: u64,
    /// Refusals and non-contacts chosen (0 without a refusals share).
    pub not_completed_chosen: u64,
}

/// What `chiso recheck` computed and wrote.
#[derive(Clone, Debug)]
pub struct RecheckOutput {
    /// The seed in its published form.
    pub seed: String,
    /// The rows of `recheck.csv`.
    pub rows: Vec<RecheckRow>,
    /// Per group, in order.
    pub groups: Vec<GroupCount>,
    /// Rows of the responses read (blank rows not counted), and ineligible rows among them.
    pub read: (u64, u64),
    /// The responses file and its SHA-256.
    pub responses: FileDigest,
    /// The files written.
    pub written: Vec<PathBuf>,
}

/// A form that may be chosen.
struct Form {
    key: u64,
    applicant: String,
    stratum: String,
    interviewer: String,
    disposition: Disposition,
    row: u64,
}

/// Each applicant's strata in the sample.
fn sample_strata(dir: &Path) -> Result<HashMap<String, Vec<String>>> {
    let sample = SampleDir::open(dir)?;
    let file = SampleFile::open(&sample.csv, &["stratum", "applicant_id"])?;
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    file.rows(|r| {
        let strata = out.entry(r.text("applicant_id").to_string()).or_default();
        let s = r.text("stratum");
        if !strata.iter().any(|t| t == s) {
            strata.push(s.to_string());
        }
        Ok(())
    })?;
    Ok(out)
}

/// Draws the re-check subsample and writes `recheck.csv` and `recheck.json` together.
pub fn run(req: &RecheckRequest) -> Result<RecheckOutput> {
    let seed = crate::draw::normalize_seed(&req.seed);
    if seed.is_empty() {
        return Err(Error::setting(
            "seed",
            format!("{:?}", req.seed),
            "expected a published seed text, not an empty one",
        ));
    }
    let settings = req.settings;
    let key = random::recheck_key(&seed);
    let by_sample = req.sample.as_deref().map(sample_strata).transpose()?;

    let map = &req.columns;
    let mut table = Table::open_layout(
        &req.responses,
        &req.layout,
        &[map.header("applicant_id")],
        true,
    )?;
    map.check_table(&table, &RESPONSE_COLUMNS, "the responses to re-check")?;
    let file = table.name().to_string();
    let applicant_col = map.require_in(&table, &["applicant_id"])?[0];
    let stratum_col = match by_sample {
        Some(_) => map.column_in(&table, "stratum"),
        None => Some(map.require_in(&table, &["stratum"])?[0]),
    };
    let interviewer_col = match settings.by {
        By::Interviewer => Some(map.require_in(&table, &["interviewer_id"])?[0]),
        By::Stratum => map.column_in(&table, "interviewer_id"),
    };
    let disposition_col = map.column_in(&table, "disposition");
    let (applicant_header, stratum_header) = (map.header("applicant_id"), map.header("stratum"));

    let mut forms: Vec<Form> = Vec::new();
    let mut seen: HashSet<(String, String)> = HashSet::new();
    let (mut rows, mut ineligible) = (0u64, 0u64);
    table.for_each_row(|r| {
        if r.is_blank() {
            return Ok(());
        }
        rows += 1;
        let n = r.number();
        let at = r.file(&file);
        let applicant = r.get(applicant_col);
        if applicant.is_empty() {
            return Err(Error::cell(
                &at,
                n,
                applicant_header,
                "",
                "every form needs its applicant",
            ));
        }
        let disposition = match disposition_col {
            Some(c) => Disposition::read(&at, n, r.get(c))?,
            None => Disposition::Complete,
        };
        let given = stratum_col.map_or("", |c| r.get(c));
        let stratum = if !given.is_empty() {
            given.to_string()
        } else if let Some(strata) = &by_sample {
            match strata.get(applicant).map(Vec::as_slice) {
                Some([one]) => one.clone(),
                Some(_) => {
                    return Err(Error::cell(
                        &at,
                        n,
                        stratum_header,
                        "",
                        "the applicant is in several strata of the sample: the row must name one",
                    ));
                }
                None => {
                    return Err(Error::cell(
                        &at,
                        n,
                        applicant_header,
                        &crate::error::mask(applicant),
                        "not in the sample",
                    ));
                }
            }
        } else {
            return Err(Error::cell(
                &at,
                n,
                stratum_header,
                "",
                "every form needs its stratum",
            ));
        };
        if !seen.insert((stratum.clone(), applicant.to_string())) {
            return Err(Error::cell(
                &at,
                n,
                applicant_header,
                &crate::error::mask(applicant),
                format!("a second form of this applicant in stratum {stratum}"),
            ));
        }
        if disposition == Disposition::Ineligible {
            ineligible += 1;
            return Ok(());
        }
        forms.push(Form {
            key: random::recheck_form(&key, &stratum, applicant).next_u64(),
            applicant: applicant.to_string(),
            stratum,
            interviewer: interviewer_col.map_or("", |c| r.get(c)).to_string(),
            disposition,
            row: n,
        });
        Ok(())
    })?;
    let responses = match table.sha256() {
        Some(sha) => FileDigest::new(&req.responses, sha),
        None => FileDigest::of(&req.responses)?,
    };

    // Per group, per pool (completed, then not completed): the forms.
    let mut groups: BTreeMap<String, [Vec<Form>; 2]> = BTreeMap::new();
    for f in forms {
        let group = match settings.by {
            By::Stratum => f.stratum.clone(),
            By::Interviewer => f.interviewer.clone(),
        };
        let pool = usize::from(!f.disposition.is_respondent());
        groups.entry(group).or_default()[pool].push(f);
    }
    let mut out_rows = Vec::new();
    let mut counts = Vec::new();
    for (group, pools) in groups {
        let mut count = GroupCount {
            group: group.clone(),
            completed: pools[0].len() as u64,
            not_completed: pools[1].len() as u64,
            ..GroupCount::default()
        };
        for (pool, mut forms) in pools.into_iter().enumerate() {
            let share = if pool == 0 {
                Some(settings.share)
            } else {
                settings.refusals
            };
            let Some(share) = share else { continue };
            let take = share.of(forms.len() as u64) as usize;
            forms.sort_by(|a, b| {
                (a.key, &a.applicant, &a.stratum).cmp(&(b.key, &b.applicant, &b.stratum))
            });
            forms.truncate(take);
            if pool == 0 {
                count.completed_chosen = take as u64;
            } else {
                count.not_completed_chosen = take as u64;
            }
            for (i, f) in forms.into_iter().enumerate() {
                out_rows.push(RecheckRow {
                    applicant_id: f.applicant,
                    stratum: f.stratum,
                    interviewer_id: f.interviewer,
                    disposition: f.disposition.as_str(),
                    group: group.clone(),
                    pool: if pool == 0 { COMPLETED } else { NOT_COMPLETED },
                    rank: i as u64 + 1,
                    row: f.row,
                });
            }
        }
        counts.push(count);
    }

    let mut output = RecheckOutput {
        seed,
        rows: out_rows,
        groups: counts,
        read: (rows, ineligible),
        responses,
        written: Vec::new(),
    };
    let mut staged = Staged::new(&req.out, true, &[])?;
    staged.add("recheck.csv", crate::files::recheck::to_csv(&output.rows));
    staged.add("recheck.json", output.to_json(&settings).into_bytes());
    output.written = staged.commit()?;
    Ok(output)
}

impl RecheckOutput {
    /// `recheck.json`: the stream, seed, settings, the responses' SHA-256 and the counts.
    pub fn to_json(&self, settings: &Settings) -> String {
        let total = |f: fn(&GroupCount) -> u64| self.groups.iter().map(f).sum::<u64>();
        let json = serde_json::json!({
            "stream": STREAM,
            "engine_version": env!("CARGO_PKG_VERSION"),
            "seed": self.seed,
            "share": settings.share.value,
            "refusals": settings.refusals.map(|r| r.value),
            "by": settings.by.as_str(),
            "responses": self.responses,
            "rows_read": self.read.0,
            "ineligible": self.read.1,
            "totals": {
                "completed": total(|g| g.completed),
                "completed_chosen": total(|g| g.completed_chosen),
                "not_completed": total(|g| g.not_completed),
                "not_completed_chosen": total(|g| g.not_completed_chosen),
            },
            "groups": self.groups,
        });
        let mut text = serde_json::to_string_pretty(&json).expect("JSON");
        text.push('\n');
        text
    }

    /// What was read and chosen, for standard output (each line ends with a newline).
    pub fn summary(&self) -> String {
        let total = |f: fn(&GroupCount) -> u64| self.groups.iter().map(f).sum::<u64>();
        let mut out = format!(
            "responses: {} rows read, {} ineligible\n",
            self.read.0, self.read.1
        );
        out += &format!(
            "recheck: {} of {} completed forms in {} groups",
            total(|g| g.completed_chosen),
            total(|g| g.completed),
            self.groups.len()
        );
        let chosen = total(|g| g.not_completed_chosen);
        if chosen > 0 {
            out += &format!(
                ", {} of {} refusals and non-contacts",
                chosen,
                total(|g| g.not_completed)
            );
        }
        out += &format!(" (seed {:?})\n", self.seed);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_round_up_in_whole_numbers() {
        let s = Share::new("share", 0.1).unwrap();
        assert_eq!(
            [0, 1, 9, 10, 11, 30, 31].map(|n| s.of(n)),
            [0, 1, 1, 1, 2, 3, 4]
        );
        let s = Share::new("share", 0.07).unwrap();
        assert_eq!(s.of(100), 7);
        assert_eq!(Share::new("share", 1.0).unwrap().of(13), 13);
        for bad in [0.0, -0.1, 1.5, f64::NAN, 0.1234567] {
            assert!(Share::new("share", bad).is_err(), "{bad}");
        }
    }
}
