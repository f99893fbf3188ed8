//! Double data entry (`chiso entry-compare`): two clerks enter the same paper forms, and the
//! two entries are compared answer by answer.
//!
//! Both files are responses files as `chiso index` reads them. Forms are matched by
//! `applicant_id`, and by `stratum` too when both files have that column. Every item of the
//! questionnaire is read with the questionnaire's scale ([`crate::questionnaire::Scale::read`])
//! and compared as an answer: a value on the scale, or no answer, so that an empty cell and a
//! no-answer code are the same answer. The disposition is compared when either file has a
//! `disposition` column (a file without one, or an empty cell, reads `complete`). A cell that
//! is neither on the scale nor no answer, a disposition that is not one, an empty
//! `applicant_id` and an applicant entered twice in one file are refused: the comparison
//! would not say what the forms hold.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use crate::disposition::Disposition;
use crate::error::{Error, ErrorKind, Result, mask};
use crate::files::discrepancies::{Agreement, Discrepancy, ENTERED};
use crate::output::Staged;
use crate::provenance::FileDigest;
use crate::questionnaire::{Answer, Questionnaire};
use crate::table::Table;

/// The `item` of a disposition that differs.
pub const DISPOSITION: &str = "disposition";

/// The columns that name the clerk who entered a form, the first one present being used.
pub const CLERK_COLUMNS: [&str; 2] = ["clerk_id", "entered_by"];

/// How many discrepancies the summary lists.
pub const SHOWN: usize = 10;

/// What `chiso entry-compare` needs.
#[derive(Clone, Debug)]
pub struct EntryCompareRequest {
    /// The first entry (CSV or a spreadsheet).
    pub first: PathBuf,
    /// The second entry.
    pub second: PathBuf,
    /// How both entries are laid out: the sheet of a spreadsheet, a CSV file's delimiter, the
    /// header's row (found unless given: the first row holding `applicant_id`).
    pub layout: crate::Layout,
    /// Both entries' headers for the named columns ([`ENTRY_COLUMNS`]) and the items (by
    /// code), when they are not the contract's names and codes.
    pub columns: crate::ColumnMap,
    /// The questionnaire whose items and scale the entries are read with.
    pub questionnaire: Questionnaire,
    /// The second entry is a re-check (phúc tra) of some of the first's forms (`chiso
    /// recheck`): a form only in the first was not re-checked, and is no difference (it is
    /// counted); a form only in the second still is.
    pub recheck: bool,
    /// A `discrepancies.csv` of these entries with the column `resolved` filled in
    /// ([`crate::files::discrepancies::RESOLVED`]): with it, `merged.csv` is written, the
    /// first entry with every difference resolved.
    pub resolved: Option<PathBuf>,
    /// The output directory.
    pub out: PathBuf,
}

/// What was compared and written.
#[derive(Clone, Debug)]
pub struct EntryCompareOutput {
    /// The rows of `discrepancies.csv`.
    pub discrepancies: Vec<Discrepancy>,
    /// The rows of `agreement.csv`.
    pub agreement: Vec<Agreement>,
    /// Forms in each entry.
    pub forms: (u64, u64),
    /// Forms in both entries.
    pub compared: u64,
    /// With [`EntryCompareRequest::recheck`]: the first entry's forms that the re-check did
    /// not cover.
    pub not_rechecked: Option<u64>,
    /// With [`EntryCompareRequest::resolved`]: the forms written to `merged.csv`.
    pub merged: Option<u64>,
    /// The two files and their SHA-256.
    pub sources: (FileDigest, FileDigest),
    /// The files written.
    pub written: Vec<PathBuf>,
}

/// One form of an entry, as read.
struct Form {
    row: u64,
    stratum: String,
    clerk: String,
    /// The disposition, and each item's answer as written in `discrepancies.csv`.
    values: Vec<String>,
}

struct Entry {
    has_stratum: bool,
    has_disposition: bool,
    forms: BTreeMap<(String, String), Form>,
    digest: FileDigest,
}

/// The text of an answer: its code, or empty for no answer.
fn answer_text(a: Answer) -> String {
    match a {
        Answer::Valid(v) => v.to_string(),
        Answer::Missing => String::new(),
    }
}

/// The named columns `chiso entry-compare` reads from an entry (`--columns` may give their
/// headers, and those of the items), beside the clerk's column.
pub const ENTRY_COLUMNS: [&str; 3] = ["applicant_id", "stratum", "disposition"];

fn read_entry(
    path: &std::path::Path,
    layout: &crate::Layout,
    map: &crate::ColumnMap,
    q: &Questionnaire,
) -> Result<Entry> {
    let mut table = Table::open_layout(path, layout, &[map.header("applicant_id")], true)?;
    let known: Vec<&str> = ENTRY_COLUMNS
        .iter()
        .copied()
        .chain(CLERK_COLUMNS.iter().copied())
        .chain(q.items.iter().map(String::as_str))
        .collect();
    map.check_table(&table, &known, "an entry of the forms (or an item code)")?;
    let file = table.name().to_string();
    let applicant_col = map.require_in(&table, &["applicant_id"])?[0];
    let items = map.require_in(
        &table,
        &q.items.iter().map(String::as_str).collect::<Vec<_>>(),
    )?;
    let stratum_col = map.column_in(&table, "stratum");
    let disposition_col = map.column_in(&table, "disposition");
    let clerk_col = CLERK_COLUMNS.iter().find_map(|c| map.column_in(&table, c));
    let applicant_header = map.header("applicant_id");
    let codes = q
        .scale
        .missing()
        .iter()
        .map(|m| m.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let mut forms: BTreeMap<(String, String), Form> = BTreeMap::new();
    table.for_each_row(|r| {
        if r.is_blank() {
            return Ok(());
        }
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
        let stratum = stratum_col.map_or("", |c| r.get(c)).to_string();
        let disposition = match disposition_col {
            Some(c) => Disposition::read(&at, n, r.get(c))?,
            None => Disposition::Complete,
        };
        let mut values = vec![disposition.as_str().to_string()];
        for (k, &c) in items.iter().enumerate() {
            let v = r.get(c);
            let a = q.scale.read(v).ok_or_else(|| {
                Error::cell(
                    &at,
                    n,
                    map.header(&q.items[k]),
                    v,
                    format!(
                        "not an answer: expected a whole number from {} to {}, a no-answer code ({}) or an empty cell",
                        q.scale.min, q.scale.max, codes
                    ),
                )
            })?;
            values.push(answer_text(a));
        }
        let key = (stratum.clone(), applicant.to_string());
        if let Some(first) = forms.get(&key).map(|f| f.row) {
            return Err(Error::cell(
                &at,
                n,
                applicant_header,
                &mask(applicant),
                format!("this applicant was already entered on row {first}"),
            ));
        }
        forms.insert(
            key,
            Form {
                row: n,
                stratum,
                clerk: clerk_col.map_or("", |c| r.get(c)).to_string(),
                values,
            },
        );
        Ok(())
    })?;
    let digest = match table.sha256() {
        Some(sha) => FileDigest::new(path, sha),
        None => FileDigest::of(path)?,
    };
    Ok(Entry {
        has_stratum: stratum_col.is_some(),
        has_disposition: disposition_col.is_some(),
        forms,
        digest,
    })
}

/// The forms of an entry by (stratum, applicant), or by applicant alone (stratum empty) when
/// the other entry has no stratum column; an applicant in several strata of one entry is
/// then refused.
fn keyed(entry: Entry, by_stratum: bool) -> Result<BTreeMap<(String, String), Form>> {
    if by_stratum || !entry.has_stratum {
        return Ok(entry.forms);
    }
    let mut out = BTreeMap::new();
    for ((_, applicant), form) in entry.forms {
        let key = (String::new(), applicant);
        if out.contains_key(&key) {
            return Err(Error::cell(
                &entry.digest.file,
                form.row,
                "applicant_id",
                &mask(&key.1),
                "this applicant is entered in several strata, and the other entry has no \
                 `stratum` column to tell the forms apart",
            ));
        }
        out.insert(key, form);
    }
    Ok(out)
}

/// Compares the two entries and writes `discrepancies.csv` and `agreement.csv` together.
pub fn run(req: &EntryCompareRequest) -> Result<EntryCompareOutput> {
    let q = &req.questionnaire;
    let first = read_entry(&req.first, &req.layout, &req.columns, q)?;
    let second = read_entry(&req.second, &req.layout, &req.columns, q)?;
    let by_stratum = first.has_stratum && second.has_stratum;
    let has_stratum = first.has_stratum || second.has_stratum;
    let with_disposition = first.has_disposition || second.has_disposition;
    let sources = (first.digest.clone(), second.digest.clone());
    let a = keyed(first, by_stratum)?;
    let b = keyed(second, by_stratum)?;
    let forms = (a.len() as u64, b.len() as u64);

    // Answer 0 is the disposition, then the items in questionnaire order.
    let names: Vec<&str> = std::iter::once(DISPOSITION)
        .chain(q.items.iter().map(String::as_str))
        .collect();
    let compared_from = usize::from(!with_disposition);
    let mut differing = vec![0u64; names.len()];
    // Per clerk: forms, answers, differing.
    let mut clerks: BTreeMap<String, (u64, u64, u64)> = BTreeMap::new();
    let mut rows = Vec::new();
    let mut compared = 0u64;
    let mut not_rechecked = req.recheck.then_some(0u64);
    let keys: BTreeSet<&(String, String)> = a.keys().chain(b.keys()).collect();
    for key in keys {
        let applicant = key.1.clone();
        match (a.get(key), b.get(key)) {
            (Some(f), Some(s)) => {
                compared += 1;
                let stratum = if f.stratum.is_empty() {
                    &s.stratum
                } else {
                    &f.stratum
                };
                let mut found = 0u64;
                for k in compared_from..names.len() {
                    if f.values[k] != s.values[k] {
                        differing[k] += 1;
                        found += 1;
                        rows.push(Discrepancy {
                            applicant_id: applicant.clone(),
                            stratum: stratum.clone(),
                            item: names[k].to_string(),
                            first: f.values[k].clone(),
                            second: s.values[k].clone(),
                        });
                    }
                }
                let answers = (names.len() - compared_from) as u64;
                let mut who: Vec<&str> = vec![&f.clerk, &s.clerk];
                who.dedup();
                for c in who.into_iter().filter(|c| !c.is_empty()) {
                    let e = clerks.entry(c.to_string()).or_default();
                    e.0 += 1;
                    e.1 += answers;
                    e.2 += found;
                }
            }
            (Some(_), None) if req.recheck => {
                *not_rechecked.as_mut().expect("with recheck") += 1;
            }
            (f, s) => {
                let form = f.or(s).expect("a key of one entry");
                rows.push(Discrepancy {
                    applicant_id: applicant,
                    stratum: form.stratum.clone(),
                    item: String::new(),
                    first: if f.is_some() { ENTERED } else { "" }.to_string(),
                    second: if s.is_some() { ENTERED } else { "" }.to_string(),
                });
            }
        }
    }
    rows.sort_by(|x, y| (&x.stratum, &x.applicant_id).cmp(&(&y.stratum, &y.applicant_id)));

    let mut agreement: Vec<Agreement> = (compared_from..names.len())
        .map(|k| Agreement {
            clerk: "ALL".into(),
            item: names[k].to_string(),
            forms: compared,
            answers: compared,
            differing: differing[k],
        })
        .collect();
    agreement.push(Agreement {
        clerk: "ALL".into(),
        item: "ALL".into(),
        forms: compared,
        answers: compared * (names.len() - compared_from) as u64,
        differing: differing.iter().sum(),
    });
    agreement.extend(
        clerks
            .into_iter()
            .map(|(clerk, (forms, answers, differing))| Agreement {
                clerk,
                item: "ALL".into(),
                forms,
                answers,
                differing,
            }),
    );

    let mut output = EntryCompareOutput {
        discrepancies: rows,
        agreement,
        forms,
        compared,
        not_rechecked,
        merged: None,
        sources,
        written: Vec::new(),
    };
    let merged = match &req.resolved {
        Some(path) => {
            let columns = MergedColumns {
                stratum: has_stratum,
                disposition: with_disposition,
            };
            let (bytes, n) = merge(q, &a, &b, &output.discrepancies, path, columns)?;
            output.merged = Some(n);
            Some(bytes)
        }
        None => None,
    };
    let mut staged = Staged::new(&req.out, true, &[])?;
    if let Some(bytes) = merged {
        staged.add("merged.csv", bytes);
    }
    staged.add(
        "discrepancies.csv",
        crate::files::discrepancies::to_csv(&output.discrepancies),
    );
    staged.add(
        "agreement.csv",
        crate::files::discrepancies::agreement_csv(&output.agreement),
    );
    output.written = staged.commit()?;
    Ok(output)
}

/// Which of the columns of [`crate::files::discrepancies::MERGED_COLUMNS`] after
/// `applicant_id` `merged.csv` has.
#[derive(Clone, Copy)]
struct MergedColumns {
    stratum: bool,
    disposition: bool,
}

/// `merged.csv` (its bytes and its forms): the forms of the first entry, and those of the
/// second that the first lacks, with each difference resolved as the resolved
/// `discrepancies.csv` at `path` says. Every difference must be resolved, and every row of
/// the file must be one of these entries' differences.
fn merge(
    q: &Questionnaire,
    a: &BTreeMap<(String, String), Form>,
    b: &BTreeMap<(String, String), Form>,
    differences: &[Discrepancy],
    path: &std::path::Path,
    columns: MergedColumns,
) -> Result<(Vec<u8>, u64)> {
    use crate::files::discrepancies::RESOLVED;
    let file = path.display().to_string();
    let resolutions = crate::files::discrepancies::read_resolved(path)?;
    let key = |d: &Discrepancy| (d.stratum.clone(), d.applicant_id.clone(), d.item.clone());
    let mut given: BTreeMap<(String, String, String), (String, u64)> = BTreeMap::new();
    let wanted: BTreeSet<_> = differences.iter().map(key).collect();
    for (d, resolved, row) in resolutions {
        if !wanted.contains(&key(&d)) {
            return Err(Error::cell(
                &file,
                row,
                "applicant_id",
                &mask(&d.applicant_id),
                "no such difference between these entries: resolve the discrepancies.csv that \
                 chiso entry-compare wrote for them",
            ));
        }
        given.insert(key(&d), (resolved, row));
    }
    let unresolved: Vec<&Discrepancy> = differences
        .iter()
        .filter(|d| given.get(&key(d)).is_none_or(|(r, _)| r.trim().is_empty()))
        .collect();
    if let Some(d) = unresolved.first() {
        let what = if d.item.is_empty() {
            "the form".to_string()
        } else {
            format!("`{}`", d.item)
        };
        return Err(ErrorKind::Malformed {
            at: crate::Position::file(file.clone()),
            message: format!(
                "{} of the {} differences are not resolved, the first: {what} of applicant {}: \
                 fill the column `{RESOLVED}` of every row",
                unresolved.len(),
                differences.len(),
                mask(&d.applicant_id)
            ),
        }
        .into());
    }
    // The value of answer `k` (0: the disposition) as resolved.
    let resolve = |d: &Discrepancy, k: usize, resolved: &str, row: u64| -> Result<String> {
        let r = resolved.trim();
        if r.eq_ignore_ascii_case("first") {
            return Ok(d.first.clone());
        }
        if r.eq_ignore_ascii_case("second") {
            return Ok(d.second.clone());
        }
        if k == 0 {
            return Disposition::read(&file, row, r).map(|x| x.as_str().to_string());
        }
        q.scale.read(r).map(answer_text).ok_or_else(|| {
            Error::cell(
                &file,
                row,
                RESOLVED,
                r,
                format!(
                    "not an answer of {}: expected first, second, or {}",
                    d.item,
                    q.scale.expected()
                ),
            )
        })
    };
    let names: Vec<&str> = std::iter::once(DISPOSITION)
        .chain(q.items.iter().map(String::as_str))
        .collect();
    let mut w = crate::output::csv_writer_with_bom();
    let mut header: Vec<&str> = vec!["applicant_id"];
    if columns.stratum {
        header.push("stratum");
    }
    if columns.disposition {
        header.push(DISPOSITION);
    }
    header.extend(q.items.iter().map(String::as_str));
    w.write_record(&header).expect("memory");
    let mut written = 0u64;
    // Each form's differences, by applicant (a form keyed by applicant alone has an empty
    // stratum in its key, the stratum of its entry in its differences).
    let mut of_applicant: BTreeMap<&str, Vec<&Discrepancy>> = BTreeMap::new();
    for d in differences {
        of_applicant.entry(&d.applicant_id).or_default().push(d);
    }
    let keys: BTreeSet<&(String, String)> = a.keys().chain(b.keys()).collect();
    for k in keys {
        let (f, s) = (a.get(k), b.get(k));
        let form = f.or(s).expect("a key of one entry");
        let mut values = form.values.clone();
        let mut mine = of_applicant
            .get(k.1.as_str())
            .into_iter()
            .flatten()
            .filter(|d| k.0.is_empty() || d.stratum == k.0);
        if f.is_none() || s.is_none() {
            if let Some(d) = mine.find(|d| d.item.is_empty()) {
                let (r, row) = &given[&key(d)];
                match r.trim().to_lowercase().as_str() {
                    "keep" => {}
                    "drop" => continue,
                    other => {
                        return Err(Error::cell(
                            &file,
                            *row,
                            RESOLVED,
                            other,
                            "a form in only one entry: expected keep or drop",
                        ));
                    }
                }
            }
        } else {
            for d in mine.filter(|d| !d.item.is_empty()) {
                let i = names
                    .iter()
                    .position(|n| *n == d.item)
                    .expect("a compared item");
                let (r, row) = &given[&key(d)];
                values[i] = resolve(d, i, r, *row)?;
            }
        }
        let mut record: Vec<&str> = vec![&k.1];
        if columns.stratum {
            record.push(&form.stratum);
        }
        if columns.disposition {
            record.push(&values[0]);
        }
        record.extend(values[1..].iter().map(String::as_str));
        w.write_record(&record).expect("memory");
        written += 1;
    }
    Ok((w.into_inner().expect("memory"), written))
}

impl EntryCompareOutput {
    /// Whether the two entries hold the same forms with the same answers.
    pub fn identical(&self) -> bool {
        self.discrepancies.is_empty()
    }

    /// What was compared, the counts of differing answers by item and the first few
    /// discrepancies (applicant ids masked), for standard output.
    pub fn summary(&self) -> String {
        let mut out = format!(
            "entries: {} forms in the first ({}), {} in the second ({}), {} in both\n",
            self.forms.0, self.sources.0.file, self.forms.1, self.sources.1.file, self.compared
        );
        if let Some(n) = self.merged {
            out += &format!("merged: {n} forms written to merged.csv, every difference resolved\n");
            return out;
        }
        if let Some(n) = self.not_rechecked {
            out += &format!(
                "re-check: {} of the first entry's forms re-checked, {n} not (not differences)\n",
                self.compared
            );
        }
        if self.identical() {
            out += "identical: every form has the same answers in both entries\n";
            return out;
        }
        let only = self
            .discrepancies
            .iter()
            .filter(|d| d.item.is_empty())
            .count();
        out += &format!(
            "different: {} answers differ, {} forms are in only one entry\n",
            self.discrepancies.len() - only,
            only
        );
        for a in self
            .agreement
            .iter()
            .filter(|a| a.clerk == "ALL" && a.item != "ALL" && a.differing > 0)
        {
            out += &format!("  {}: {} of {} differ\n", a.item, a.differing, a.answers);
        }
        for d in self.discrepancies.iter().take(SHOWN) {
            let id = mask(&d.applicant_id);
            let place = if d.stratum.is_empty() {
                id
            } else {
                format!("{id} in {}", d.stratum)
            };
            if d.item.is_empty() {
                let side = if d.first.is_empty() {
                    "second"
                } else {
                    "first"
                };
                out += &format!("  {place}: only in the {side} entry\n");
            } else {
                out += &format!(
                    "  {place}, {}: first {:?}, second {:?}\n",
                    d.item, d.first, d.second
                );
            }
        }
        if self.discrepancies.len() > SHOWN {
            out += &format!(
                "  … and {} more in discrepancies.csv\n",
                self.discrepancies.len() - SHOWN
            );
        }
        out
    }
}
