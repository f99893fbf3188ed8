//! Verification: rebuild a sample's published files from the records and its manifest and
//! say whether they are the same, field by field, and if not, exactly what differs. Rows are
//! named by stratum, role, rank and `record_id`; an applicant's identifier (which may be an ID
//! card number) is shown masked, contact details never.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::Write as _;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::design::Design;
use crate::draw::ALGORITHM;
use crate::error::{Error, ErrorKind, Result, mask};
use crate::files::sample::{COLUMNS, LISTS, NUMBERS, SampleFile};
use crate::manifest::{Manifest, StratumEntry};
use crate::records::DESCRIPTIVE;
use crate::sample::{SampleOutput, SampleRequest};
use crate::table;

mod indices;
mod par;
mod report;
pub use indices::verify_indices;
pub use par::{ParInputs, verify_par};
pub use report::verify_report;

/// At most this many rows of one kind of difference are listed (the rest are counted).
const LISTED: usize = 20;

/// The outcome of a verification.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Differences: any one means the sample cannot be reproduced as published.
    pub differences: Vec<String>,
    /// Facts worth knowing that do not change the lists (e.g. a re-saved records file).
    pub notes: Vec<String>,
    /// Number of strata compared.
    pub strata: usize,
    /// Number of list rows compared.
    pub rows: usize,
    /// What was compared, for the verdict (empty: the strata and rows of a sample).
    pub checked: String,
}

impl Report {
    /// Whether the re-draw is identical.
    pub fn identical(&self) -> bool {
        self.differences.is_empty()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for n in &self.notes {
            writeln!(f, "note: {n}")?;
        }
        for d in &self.differences {
            writeln!(f, "DIFFERENT: {d}")?;
        }
        if self.identical() && !self.checked.is_empty() {
            writeln!(f, "IDENTICAL: {}", self.checked)
        } else if self.identical() {
            writeln!(
                f,
                "IDENTICAL: {} strata and {} list rows rebuilt from the records exactly as published",
                self.strata, self.rows
            )
        } else {
            writeln!(f, "{} difference(s) found", self.differences.len())
        }
    }
}

/// Rebuilds `manifest.json` (and `sample.csv`, when `sample` is given) from `records` with
/// the manifest's design, seed and column mapping, exactly as `chiso sample` wrote them, and
/// compares them field by field with the published files.
///
/// Every field of the manifest is compared. Five of them describe the records file rather
/// than its content, so a difference there is a note: its name, its sheet, its delimiter, its
/// header row and its SHA-256 (an
/// export sorted otherwise or re-saved draws the same lists; the frame digest and the row
/// counts, compared as differences, say whether the content is the same). The engine version
/// is a note too: the algorithm is what must agree.
pub fn verify(
    records: &Path,
    manifest_path: &Path,
    sample: Option<&Path>,
    layout: &crate::Layout,
    threads: usize,
) -> Result<Report> {
    let manifest = Manifest::load(manifest_path)?;
    let mname = manifest_path.display().to_string();
    // Every key as written, for the comparison (the typed reading drops unknown keys).
    let raw: serde_json::Value = std::fs::read_to_string(manifest_path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .ok_or_else(|| ErrorKind::Manifest {
            file: mname.clone(),
            message: "changed while it was being read".into(),
        })?;
    if manifest.algorithm != ALGORITHM {
        return Err(ErrorKind::Manifest {
            file: mname,
            message: format!(
                "the sample was drawn with algorithm {:?}; this chiso draws with {ALGORITHM:?}: use the chiso version named in engine_version ({})",
                manifest.algorithm, manifest.engine_version
            ),
        }
        .into());
    }
    let design = Design::from_spec(manifest.design.clone(), &format!("{mname} (design)"))?;
    let mut report = Report::default();
    if manifest.engine_version != env!("CARGO_PKG_VERSION") {
        report.notes.push(format!(
            "the sample was drawn by chiso {}; this is chiso {}",
            manifest.engine_version,
            env!("CARGO_PKG_VERSION")
        ));
    }
    let req = SampleRequest {
        records: records.to_path_buf(),
        // The manifest's sheet unless told otherwise; the delimiter and the header row are
        // found again unless given (the same file gives the same ones; an export saved
        // otherwise may have others, and draws the same lists).
        layout: crate::Layout {
            sheet: layout.sheet.clone().or(manifest.records.sheet.clone()),
            ..layout.clone()
        },
        columns: manifest.columns.clone(),
        design,
        seed: manifest.seed.clone(),
        threads,
        strict: false,
        // The counts of rejected rows are compared with the manifest's instead.
        max_rejected: 1.0,
        commitment: None,
    };
    // The manifest's seed as it is: a manifest written before seeds were normalised keeps
    // re-drawing its own lists.
    let rebuilt = crate::sample::draw_with_seed(&req, &manifest.seed)?;
    report.strata = rebuilt.manifest.strata.len();
    report.rows = rebuilt.lists.picks().count();

    if rebuilt.manifest.records.sha256 != manifest.records.sha256 {
        report.notes.push(format!(
            "{} is not byte-for-byte the file the sample was drawn from (SHA-256 {} , manifest {}); what matters is the frame, compared below",
            records.display(),
            short(&rebuilt.manifest.records.sha256),
            short(&manifest.records.sha256)
        ));
    }
    compare_strata(&mut report, &rebuilt.manifest.strata, &manifest.strata);
    let mut want = serde_json::to_value(&rebuilt.manifest).expect("a manifest serialises");
    // A sample written before sample.csv had its byte-order mark: the same rows, the file's
    // SHA-256 that of the bytes after the mark.
    let without_bom = rebuilt
        .sample_csv
        .strip_prefix(crate::output::BOM)
        .map(|rows| hex::encode(Sha256::digest(rows)));
    if without_bom.as_deref() == Some(manifest.sample_file_sha256.as_str()) {
        report.notes.push(
            "manifest field sample_file_sha256 is that of sample.csv without the byte-order \
             mark that this chiso writes in front of it (contract §14); the rows are what \
             is compared"
                .to_string(),
        );
        want["sample_file_sha256"] = manifest.sample_file_sha256.clone().into();
    }
    let mut got = raw;
    for v in [&mut want, &mut got] {
        if let Some(o) = v.as_object_mut() {
            o.remove("strata");
            o.remove("engine_version");
            if let Some(r) = o.get_mut("records").and_then(|r| r.as_object_mut()) {
                r.remove("sha256");
            }
        }
    }
    let mut fields = Vec::new();
    diff_json("", &want, &got, &mut fields);
    for (path, w, g) in fields {
        let line = format!("{path}: {w} rebuilt from the records, {g} in {mname}");
        if [
            "records.file",
            "records.sheet",
            "records.delimiter",
            "records.header_row",
        ]
        .contains(&path.as_str())
        {
            report.notes.push(format!("manifest {line}"));
        } else {
            report.differences.push(format!("manifest field {line}"));
        }
    }
    if let Some(path) = sample {
        compare_sample_file(&mut report, &rebuilt, path, &manifest)?;
    }
    Ok(report)
}

/// Compares the strata rebuilt from the records with the manifest's, by label: every field.
fn compare_strata(report: &mut Report, rebuilt: &[StratumEntry], published: &[StratumEntry]) {
    let now: BTreeMap<&str, &StratumEntry> =
        rebuilt.iter().map(|e| (e.stratum.as_str(), e)).collect();
    let then: BTreeMap<&str, &StratumEntry> =
        published.iter().map(|e| (e.stratum.as_str(), e)).collect();
    let mut listed = Listed::default();
    for (label, p) in &then {
        let Some(n) = now.get(label) else {
            listed.push(
                report,
                "stratum in the manifest has no eligible record now",
                label,
            );
            continue;
        };
        if n.frame_digest != p.frame_digest || n.frame_size != p.frame_size {
            listed.push(
                report,
                "stratum's records changed",
                &format!(
                    "{label} (frame size now {}, manifest {})",
                    n.frame_size, p.frame_size
                ),
            );
        }
        if (n.sample_size, n.reserve_size) != (p.sample_size, p.reserve_size) {
            listed.push(
                report,
                "stratum's sizes differ",
                &format!(
                    "{label}: design gives n = {}, reserves = {}; manifest says {}, {}",
                    n.sample_size, n.reserve_size, p.sample_size, p.reserve_size
                ),
            );
        }
        if n.values != p.values {
            listed.push(
                report,
                "stratum's values differ",
                &format!(
                    "{label}: {:?} rebuilt, {:?} in the manifest",
                    n.values, p.values
                ),
            );
        }
    }
    for label in now.keys() {
        if !then.contains_key(label) {
            listed.push(report, "stratum not in the manifest", label);
        }
    }
    if rebuilt
        .iter()
        .map(|e| &e.stratum)
        .ne(published.iter().map(|e| &e.stratum))
    {
        listed.push(
            report,
            "strata in another order",
            "the manifest lists its strata in another order than the frame's",
        );
    }
    listed.finish(report);
}

/// The differences between two JSON values, as (path, rebuilt, published); a key absent on
/// one side is `(absent)`.
pub(crate) fn diff_json(
    path: &str,
    want: &serde_json::Value,
    got: &serde_json::Value,
    out: &mut Vec<(String, String, String)>,
) {
    use serde_json::Value;
    let at = |k: &str| {
        if path.is_empty() {
            k.to_string()
        } else {
            format!("{path}.{k}")
        }
    };
    let show = |v: Option<&Value>| match v {
        None => "(absent)".to_string(),
        Some(v) => {
            let t = v.to_string();
            if t.chars().count() > 80 {
                format!("{}…", t.chars().take(80).collect::<String>())
            } else {
                t
            }
        }
    };
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            for (k, wv) in w {
                match g.get(k) {
                    Some(gv) => diff_json(&at(k), wv, gv, out),
                    None => out.push((at(k), show(Some(wv)), show(None))),
                }
            }
            for (k, gv) in g {
                if !w.contains_key(k) {
                    out.push((at(k), show(None), show(Some(gv))));
                }
            }
        }
        (Value::Array(w), Value::Array(g)) if w.len() == g.len() => {
            for (i, (wv, gv)) in w.iter().zip(g).enumerate() {
                diff_json(&format!("{path}[{i}]"), wv, gv, out);
            }
        }
        _ if want == got => {}
        _ => out.push((path.to_string(), show(Some(want)), show(Some(got)))),
    }
}

/// A row of `sample.csv` as read: its number and its cells by column.
struct FileRow {
    number: u64,
    cells: HashMap<String, String>,
}

impl FileRow {
    fn get(&self, column: &str) -> &str {
        self.cells.get(column).map_or("", String::as_str)
    }

    /// Stratum, role and rank: the row's place in the lists.
    fn place(&self) -> (String, String, String) {
        (
            self.get("stratum").to_string(),
            self.get("role").to_string(),
            self.get("rank").to_string(),
        )
    }

    fn describe(&self) -> String {
        format!(
            "stratum {} {} rank {} (record {})",
            self.get("stratum"),
            self.get("role"),
            self.get("rank"),
            self.get("record_id")
        )
    }
}

/// Reads every row of a `sample.csv` through [`SampleFile`], with its header.
fn read_rows(path: &Path) -> Result<(Vec<String>, Vec<FileRow>)> {
    let file = SampleFile::open(path, &LISTS)?;
    let headers = file.headers().to_vec();
    let mut rows = Vec::new();
    file.rows(|row| {
        rows.push(FileRow {
            number: row.number(),
            cells: headers
                .iter()
                .enumerate()
                .map(|(i, h)| (h.clone(), row.get(i).to_string()))
                .collect(),
        });
        Ok(())
    })?;
    Ok((headers, rows))
}

/// A rebuilt cell's value for a message: identifiers masked; `None` for contact and unknown
/// columns, whose values are never shown.
fn shown(column: &str, value: &str) -> Option<String> {
    if column == "applicant_id" {
        Some(format!("`{}`", mask(value)))
    } else if COLUMNS.contains(&column) || DESCRIPTIVE.contains(&column) {
        Some(format!("`{value}`"))
    } else {
        None
    }
}

/// A published cell's value for a message. The file may hold anything in any column (an
/// edited or shifted row can put a name or a phone where a size belongs), so a value is shown
/// whole only when it has the form of its column and cannot be personal: a short number, a
/// role, an applicant type, a draw key. Anything else is masked to its first characters.
fn shown_published(column: &str, value: &str) -> Option<String> {
    shown(column, value)?;
    let whole = match column {
        c if NUMBERS.contains(&c) => value.len() <= 8 && value.parse::<f64>().is_ok(),
        "role" => matches!(value, "official" | "reserve"),
        "applicant_type" => matches!(value, "" | "citizen" | "organization"),
        "draw_key" => value.len() == 16 && value.bytes().all(|b| b.is_ascii_hexdigit()),
        _ => value.is_empty(),
    };
    Some(if whole {
        format!("`{value}`")
    } else {
        format!("`{}`", mask(value))
    })
}

/// Compares a published `sample.csv` with the one rebuilt from the records, field by field.
fn compare_sample_file(
    report: &mut Report,
    rebuilt: &SampleOutput,
    path: &Path,
    manifest: &Manifest,
) -> Result<()> {
    let sha = table::file_sha256(path)?;
    if sha != manifest.sample_file_sha256 {
        let damage = crate::files::sample::spreadsheet_damage(path)
            .map(|d| format!("; {d}"))
            .unwrap_or_default();
        report.differences.push(format!(
            "{} is not the file written with this manifest (SHA-256 {} , manifest {}): it was edited or replaced{damage}",
            path.display(),
            short(&sha),
            short(&manifest.sample_file_sha256)
        ));
    }
    let rebuilt_sha = hex::encode(Sha256::digest(&rebuilt.sample_csv));
    if sha == rebuilt_sha {
        return Ok(());
    }
    // The rebuilt file is read back through the same reader as the published one.
    let mut tmp = tempfile::Builder::new()
        .prefix("chiso-rebuilt-sample")
        .suffix(".csv")
        .tempfile()
        .map_err(|e| Error::io(path, e))?;
    tmp.write_all(&rebuilt.sample_csv)
        .and_then(|()| tmp.flush())
        .map_err(|e| Error::io(tmp.path(), e))?;
    let (want_headers, want) = read_rows(tmp.path())?;
    let (got_headers, got) = read_rows(path)?;
    let name = path.display().to_string();
    if want_headers != got_headers {
        report.differences.push(format!(
            "{name}: the columns differ: rebuilt {}; in the file {}",
            want_headers.join(","),
            got_headers.join(",")
        ));
    }
    let columns: Vec<&String> = want_headers
        .iter()
        .filter(|h| got_headers.contains(h))
        .collect();
    let by_place: HashMap<(String, String, String), usize> = want
        .iter()
        .enumerate()
        .map(|(i, r)| (r.place(), i))
        .collect();
    let by_record: HashMap<(String, String), usize> = want
        .iter()
        .enumerate()
        .map(|(i, r)| ((r.get("stratum").into(), r.get("record_id").into()), i))
        .collect();
    let mut matched = vec![false; want.len()];
    let mut listed = Listed::default();
    for g in &got {
        let record = (g.get("stratum").to_string(), g.get("record_id").to_string());
        let (i, moved) = match by_record.get(&record) {
            Some(&i) if !matched[i] => (i, want[i].place() != g.place()),
            Some(_) => {
                listed.push(
                    report,
                    "extra in the sample file (not drawn)",
                    &format!("row {}: {} appears again", g.number, g.describe()),
                );
                continue;
            }
            None => match by_place.get(&g.place()) {
                Some(&i) if !matched[i] => (i, false),
                _ => {
                    listed.push(
                        report,
                        "extra in the sample file (not drawn)",
                        &format!("row {}: {}", g.number, g.describe()),
                    );
                    continue;
                }
            },
        };
        matched[i] = true;
        let w = &want[i];
        if moved {
            let kind = if w.get("role") != g.get("role") {
                "role changed"
            } else {
                "re-ordered"
            };
            listed.push(
                report,
                kind,
                &format!(
                    "row {}: record {} in stratum {}: {} rank {} in the file, {} rank {} rebuilt",
                    g.number,
                    g.get("record_id"),
                    g.get("stratum"),
                    g.get("role"),
                    g.get("rank"),
                    w.get("role"),
                    w.get("rank")
                ),
            );
        }
        let changed: Vec<String> = columns
            .iter()
            .filter(|c| !(moved && (**c == "role" || **c == "rank")))
            .filter(|c| w.get(c) != g.get(c))
            .map(
                |c| match (shown(c, w.get(c)), shown_published(c, g.get(c))) {
                    (Some(w), Some(g)) => format!("{c} {w} rebuilt, {g} in the file"),
                    _ => format!("{c} differs (not shown: personal data)"),
                },
            )
            .collect();
        if !changed.is_empty() {
            listed.push(
                report,
                "changed",
                &format!("row {}: {}: {}", g.number, w.describe(), changed.join("; ")),
            );
        }
    }
    for (w, _) in want.iter().zip(&matched).filter(|(_, m)| !**m) {
        listed.push(report, "missing from the sample file", &w.describe());
    }
    listed.finish(report);
    Ok(())
}

/// Lists the first [`LISTED`] differences of each kind and counts the rest.
#[derive(Default)]
pub(crate) struct Listed {
    counts: BTreeMap<&'static str, usize>,
}

impl Listed {
    pub(crate) fn push(&mut self, report: &mut Report, kind: &'static str, what: &str) {
        let c = self.counts.entry(kind).or_default();
        *c += 1;
        if *c <= LISTED {
            report.differences.push(format!("{kind}: {what}"));
        }
    }

    pub(crate) fn finish(self, report: &mut Report) {
        for (kind, c) in self.counts {
            if c > LISTED {
                report
                    .differences
                    .push(format!("{kind}: … and {} more ({c} in all)", c - LISTED));
            }
        }
    }
}

fn short(hex: &str) -> &str {
    &hex[..hex.len().min(16)]
}
