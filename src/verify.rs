//! Verification: re-draw a sample from the records and its manifest and say whether it is
//! the same, and if not, exactly what differs. Rows are named by stratum, role, rank and
//! `record_id`, never by the applicant's identifier (which may be an ID card number).

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;

use crate::design::Design;
use crate::draw::ALGORITHM;
use crate::error::{ErrorKind, Result};
use crate::files::sample::{LISTS, SampleFile};
use crate::manifest::Manifest;
use crate::sample::{Lists, read_records};
use crate::table;

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
        if self.identical() {
            writeln!(
                f,
                "IDENTICAL: {} strata and {} list rows re-drawn exactly as in the manifest",
                self.strata, self.rows
            )
        } else {
            writeln!(f, "{} difference(s) found", self.differences.len())
        }
    }
}

/// Re-draws from `records` with the manifest's design, seed and column mapping and compares
/// with the manifest, and with the published `sample` file when one is given.
pub fn verify(
    records: &Path,
    manifest_path: &Path,
    sample: Option<&Path>,
    sheet: Option<&str>,
    threads: usize,
) -> Result<Report> {
    let manifest = Manifest::load(manifest_path)?;
    let mname = manifest_path.display().to_string();
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
    let sheet = sheet.or(manifest.records.sheet.as_deref());
    let (table, _layout, frame) = read_records(records, sheet, &manifest.columns, &design)?;

    let sha = match table.sha256() {
        Some(h) => h,
        None => table::file_sha256(records)?,
    };
    if sha != manifest.records.sha256 {
        report.notes.push(format!(
            "{} is not byte-for-byte the file the sample was drawn from (SHA-256 {} , manifest {}); what matters is the frame, compared below",
            records.display(),
            short(&sha),
            short(&manifest.records.sha256)
        ));
    }
    if frame.counts != manifest.records.counts {
        report.notes.push(format!(
            "row counts differ: now {:?}, manifest {:?}",
            frame.counts, manifest.records.counts
        ));
    }

    let lists = Lists::draw(frame, &design, &manifest.seed, threads)?;
    let (entries, frame_digest) = lists.entries();
    report.strata = entries.len();

    // The frame, stratum by stratum.
    let published: BTreeMap<&str, _> = manifest
        .strata
        .iter()
        .map(|e| (e.stratum.as_str(), e))
        .collect();
    let now: BTreeMap<&str, _> = entries.iter().map(|e| (e.stratum.as_str(), e)).collect();
    if frame_digest != manifest.frame_digest {
        report.differences.push(format!(
            "the frame differs from the one the sample was drawn from (frame_digest {} , manifest {})",
            short(&frame_digest),
            short(&manifest.frame_digest)
        ));
    }
    let mut listed = Listed::default();
    for (label, p) in &published {
        match now.get(label) {
            None => listed.push(
                &mut report,
                "stratum in the manifest has no eligible record now",
                label,
            ),
            Some(n) => {
                if n.frame_digest != p.frame_digest {
                    listed.push(
                        &mut report,
                        "stratum's records changed",
                        &format!(
                            "{label} (frame size now {}, manifest {})",
                            n.frame_size, p.frame_size
                        ),
                    );
                }
                if (n.sample_size, n.reserve_size) != (p.sample_size, p.reserve_size) {
                    listed.push(
                        &mut report,
                        "stratum's sizes differ",
                        &format!(
                            "{label}: design gives n = {}, reserves = {}; manifest says {}, {}",
                            n.sample_size, n.reserve_size, p.sample_size, p.reserve_size
                        ),
                    );
                }
            }
        }
    }
    for label in now.keys() {
        if !published.contains_key(label) {
            listed.push(&mut report, "stratum not in the manifest", label);
        }
    }
    listed.finish(&mut report);

    let digest = lists.digest();
    report.rows = lists.picks().count();
    if digest != manifest.sample_digest {
        report.differences.push(format!(
            "the re-drawn lists differ from the manifest (sample_digest {} , manifest {})",
            short(&digest),
            short(&manifest.sample_digest)
        ));
    }

    if let Some(path) = sample {
        compare_sample_file(&mut report, &lists, path, &manifest)?;
    }
    Ok(report)
}

/// Compares a published `sample.csv` with the re-drawn lists.
fn compare_sample_file(
    report: &mut Report,
    lists: &Lists,
    path: &Path,
    manifest: &Manifest,
) -> Result<()> {
    let sha = table::file_sha256(path)?;
    if sha != manifest.sample_file_sha256 {
        report.differences.push(format!(
            "{} is not the file written with this manifest (SHA-256 {} , manifest {}): it was edited or replaced",
            path.display(),
            short(&sha),
            short(&manifest.sample_file_sha256)
        ));
    }
    // The published text of each row, compared as it is (a rank written `03` differs).
    let sample = SampleFile::open(path, &LISTS)?;
    let tname = sample.name().to_string();
    // (stratum, applicant) -> (role, rank, record) in the file, and in the re-draw.
    type Entry = (String, String, String);
    let mut file: HashMap<(String, String), Entry> = HashMap::new();
    let mut file_order: Vec<(String, String)> = Vec::new();
    sample.rows(|row| {
        let key = (
            row.text("stratum").to_string(),
            row.text("applicant_id").to_string(),
        );
        let val = (
            row.text("role").to_string(),
            row.text("rank").to_string(),
            row.text("record_id").to_string(),
        );
        if file.insert(key.clone(), val).is_some() {
            report.differences.push(format!(
                "{}: row {}: an applicant appears twice in stratum {}",
                tname,
                row.number(),
                key.0
            ));
        }
        file_order.push(key);
        Ok(())
    })?;
    let mut listed = Listed::default();
    for p in lists.picks() {
        let s = &lists.frame.strata[p.stratum];
        let m = &s.members[p.member];
        let key = (s.label(), m.applicant_id.to_string());
        let want = (
            p.role.as_str().to_string(),
            p.rank.to_string(),
            m.record_id.to_string(),
        );
        match file.remove(&key) {
            None => listed.push(
                report,
                "missing from the sample file",
                &format!(
                    "record {} ({} rank {}) in stratum {}",
                    want.2, want.0, want.1, key.0
                ),
            ),
            Some(got) if got.0 != want.0 => listed.push(
                report,
                "role changed",
                &format!(
                    "record {} in stratum {}: {} in the file, {} in the re-draw",
                    want.2, key.0, got.0, want.0
                ),
            ),
            Some(got) if got.1 != want.1 => listed.push(
                report,
                "re-ordered",
                &format!(
                    "record {} in stratum {}: {} rank {} in the file, rank {} in the re-draw",
                    want.2, key.0, got.0, got.1, want.1
                ),
            ),
            Some(got) if got.2 != want.2 => listed.push(
                report,
                "evaluated record changed",
                &format!(
                    "{} rank {} in stratum {}: record {} in the file, {} in the re-draw",
                    want.0, want.1, key.0, got.2, want.2
                ),
            ),
            Some(_) => {}
        }
    }
    for key in file_order {
        if let Some(got) = file.get(&key) {
            listed.push(
                report,
                "extra in the sample file (not drawn)",
                &format!(
                    "record {} ({} rank {}) in stratum {}",
                    got.2, got.0, got.1, key.0
                ),
            );
        }
    }
    listed.finish(report);
    Ok(())
}

/// Lists the first [`LISTED`] differences of each kind and counts the rest.
#[derive(Default)]
struct Listed {
    counts: BTreeMap<&'static str, usize>,
}

impl Listed {
    fn push(&mut self, report: &mut Report, kind: &'static str, what: &str) {
        let c = self.counts.entry(kind).or_default();
        *c += 1;
        if *c <= LISTED {
            report.differences.push(format!("{kind}: {what}"));
        }
    }

    fn finish(self, report: &mut Report) {
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
