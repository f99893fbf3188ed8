//! An auditor's check of an analysis: `chiso verify --indices DIR` re-computes the indices,
//! flags and ranks of `DIR` from the input files it is given, with the options `indices.json`
//! records (`request`), and compares every published file with the re-computed one, number
//! by number. The inputs are first checked against the digests `indices.json` records
//! (`provenance`).

use std::path::{Path, PathBuf};

use super::{Listed, Report, diff_json, short};
use crate::error::{Error, ErrorKind, Result};
use crate::index::{IndexRequest, Population, RunInputs, RunOptions};
use crate::provenance::{FileDigest, Provenance};

/// Re-computes the index run published in `dir` from `inputs` and compares.
pub fn verify_indices(dir: &Path, inputs: RunInputs) -> Result<Report> {
    let (json, malformed) = published_json(&dir.join("indices.json"), "chiso index")?;
    let options: RunOptions = json
        .get("request")
        .and_then(|r| serde_json::from_value(r.clone()).ok())
        .ok_or_else(|| malformed("request"))?;
    let provenance = Provenance::from_json(&json).ok_or_else(|| malformed("provenance"))?;

    let mut report = Report::default();
    // The inputs given against the digests recorded.
    let mut given: Vec<(&str, PathBuf)> = vec![
        ("responses", inputs.responses.clone()),
        ("questionnaire", inputs.questionnaire.clone()),
    ];
    match &inputs.population {
        Population::Sample(d) => {
            given.push(("sample", d.join("sample.csv")));
            given.push(("manifest", d.join("manifest.json")));
        }
        Population::File(f) => given.push(("population", f.clone())),
    }
    if let Some(m) = &inputs.margins {
        given.push(("margins", m.clone()));
    }
    if let Some(u) = &inputs.units {
        given.push(("units", u.clone()));
    }
    if let Some(d) = &inputs.domains {
        given.push(("domains", d.clone()));
    }
    if let Some(r) = &inputs.records {
        given.push(("records", r.clone()));
    }
    check_inputs(&mut report, &provenance, &given)?;

    // The run again, into a folder of its own.
    let tmp = tempfile::Builder::new()
        .prefix("chiso-verify-indices")
        .tempdir()
        .map_err(|e| Error::io(dir, e))?;
    let out = tmp.path().join("out");
    let req = IndexRequest::new(inputs, &options, out.clone())?;
    let run = crate::index::run(&req)?;
    let rows = compare_outputs(&mut report, dir, &run.written)?;
    report.checked = format!(
        "{} files ({rows} rows) re-computed from the inputs exactly as published in {}",
        run.written.len(),
        dir.display()
    );
    Ok(report)
}

/// A published JSON file, and the error for a key it lacks (the result cannot be re-computed
/// without it) naming `command` as its writer.
pub(crate) fn published_json(
    path: &Path,
    command: &'static str,
) -> Result<(serde_json::Value, impl Fn(&str) -> Error + use<>)> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| -> Error {
        ErrorKind::Malformed {
            at: crate::Position::line(name.clone(), e.line() as u64),
            message: e.to_string(),
        }
        .into()
    })?;
    let malformed = move |key: &str| -> Error {
        ErrorKind::Malformed {
            at: crate::Position::file(name.clone()),
            message: format!(
                "no `{key}` as `{command}` writes it: the result cannot be re-computed (was it \
                 written by an older chiso?)"
            ),
        }
        .into()
    };
    Ok((json, malformed))
}

/// Checks each input file given (`(input, path)`) against the digest `provenance` records
/// for it, and that every input recorded was given.
pub(crate) fn check_inputs(
    report: &mut Report,
    provenance: &Provenance,
    given: &[(&str, PathBuf)],
) -> Result<()> {
    // The k-th input of a kind given is checked against the k-th of that kind recorded (a
    // report may read several PAR runs).
    fn nth(list: &mut Vec<String>, input: &str) -> usize {
        let k = list.iter().filter(|x| *x == input).count();
        list.push(input.to_string());
        k
    }
    let mut seen = Vec::new();
    for (input, path) in given {
        let now = FileDigest::of(path)?;
        let k = nth(&mut seen, input);
        let recorded = provenance
            .inputs
            .iter()
            .filter(|i| i.input == *input)
            .nth(k)
            .map(|i| &i.digest);
        match recorded {
            None => report.differences.push(format!(
                "{input}: {} was given, but the result was computed without it",
                path.display()
            )),
            Some(then) if then.sha256 != now.sha256 => report.differences.push(format!(
                "{input}: {} is not the file the result was computed from (SHA-256 {}, \
                 the published provenance names {} {})",
                path.display(),
                short(&now.sha256),
                then.file,
                short(&then.sha256)
            )),
            Some(_) => {}
        }
    }
    let mut recorded = Vec::new();
    for i in &provenance.inputs {
        let k = nth(&mut recorded, &i.input);
        if given.iter().filter(|(g, _)| *g == i.input).count() <= k {
            report.differences.push(format!(
                "{}: the result was computed with {} (SHA-256 {}), which was not given",
                i.input,
                i.digest.file,
                short(&i.digest.sha256)
            ));
        }
    }
    Ok(())
}

/// Compares each re-computed file in `written` with the published file of the same name in
/// `dir`: byte for byte, then number by number (CSV row and column, JSON key). Returns the
/// rows compared.
pub(crate) fn compare_outputs(
    report: &mut Report,
    dir: &Path,
    written: &[PathBuf],
) -> Result<usize> {
    let mut listed = Listed::default();
    let mut rows = 0;
    for path in written {
        let file = path
            .file_name()
            .expect("a file")
            .to_string_lossy()
            .into_owned();
        let published = dir.join(&file);
        let again = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let Ok(was) = std::fs::read(&published) else {
            report
                .differences
                .push(format!("{file}: re-computed, but not in {}", dir.display()));
            continue;
        };
        if file.ends_with(".csv") {
            rows += again
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                .saturating_sub(1);
        }
        if was == again {
            continue;
        }
        if file.ends_with(".json") {
            let parse = |b: &[u8]| serde_json::from_slice::<serde_json::Value>(b).ok();
            match (parse(&again), parse(&was)) {
                (Some(a), Some(w)) => {
                    let mut fields = Vec::new();
                    diff_json("", &a, &w, &mut fields);
                    for (p, a, w) in fields {
                        let line = format!("{file}: {p}: {a} re-computed, {w} published");
                        // A file named otherwise is the same input.
                        if p.ends_with(".file") {
                            report.notes.push(line);
                        } else {
                            listed.push(report, "number or field differs", &line);
                        }
                    }
                }
                _ => report
                    .differences
                    .push(format!("{file}: not the JSON `chiso index` writes")),
            }
        } else {
            compare_csv(report, &mut listed, &file, &again, &was);
        }
    }
    listed.finish(report);
    Ok(rows)
}

/// Compares a re-computed CSV file with the published one, row by row in order, naming each
/// row by its first three cells and each differing cell by its column.
fn compare_csv(report: &mut Report, listed: &mut Listed, file: &str, again: &[u8], was: &[u8]) {
    let read = |b: &[u8]| -> Vec<Vec<String>> {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(b)
            .records()
            .filter_map(|r| r.ok())
            .map(|r| r.iter().map(String::from).collect())
            .collect()
    };
    let (a, w) = (read(again), read(was));
    let header = a.first().cloned().unwrap_or_default();
    if w.first() != Some(&header) {
        report.differences.push(format!(
            "{file}: the columns differ: re-computed {}; published {}",
            header.join(","),
            w.first().map(|h| h.join(",")).unwrap_or_default()
        ));
        return;
    }
    for (i, (ra, rw)) in a.iter().zip(&w).enumerate().skip(1) {
        let cells: Vec<String> = header
            .iter()
            .enumerate()
            .filter(|&(k, _)| ra.get(k) != rw.get(k))
            .map(|(k, h)| {
                format!(
                    "{h} {} re-computed, {} published",
                    ra.get(k).map_or("", String::as_str),
                    rw.get(k).map_or("", String::as_str)
                )
            })
            .collect();
        if !cells.is_empty() {
            let key: Vec<&str> = ra.iter().take(3).map(String::as_str).collect();
            listed.push(
                report,
                "number or field differs",
                &format!(
                    "{file} row {} ({}): {}",
                    i + 1,
                    key.join(", "),
                    cells.join("; ")
                ),
            );
        }
    }
    if a.len() != w.len() {
        report.differences.push(format!(
            "{file}: {} rows re-computed, {} published",
            a.len().saturating_sub(1),
            w.len().saturating_sub(1)
        ));
    }
}
