//! An auditor's check of the published page and workbook: `chiso verify --report DIR`
//! renders the report again from the inputs it is given (checked against the digests the page
//! records) and compares `report.html` and `report.xlsx` with the published ones, the page
//! line by line and the workbook cell by cell.

use std::path::Path;

use super::indices::check_inputs;
use super::{Listed, Report};
use crate::error::{Error, ErrorKind, Result};
use crate::report::{ReportRequest, Sources};

/// Renders the report published in `dir` again from `sources` (their title is the page's)
/// and compares.
pub fn verify_report(dir: &Path, sources: Sources) -> Result<Report> {
    let page_path = dir.join("report.html");
    let html = std::fs::read_to_string(&page_path).map_err(|e| Error::io(&page_path, e))?;
    let recorded = crate::report::read_provenance(&html).ok_or_else(|| -> Error {
        ErrorKind::Malformed {
            at: crate::Position::file(page_path.display().to_string()),
            message: "the page records no provenance as `chiso report` writes it: it cannot be \
                      rendered again (was it written by an older chiso?)"
                .into(),
        }
        .into()
    })?;
    let mut report = Report::default();
    check_inputs(&mut report, &recorded.provenance, &sources.files())?;
    let tmp = tempfile::Builder::new()
        .prefix("chiso-verify-report")
        .tempdir()
        .map_err(|e| Error::io(dir, e))?;
    let req = ReportRequest {
        sources: Sources {
            title: Some(recorded.title),
            public: recorded.public,
            ..sources
        },
        out: tmp.path().join("out"),
    };
    let out = crate::report::run(&req)?;
    let mut listed = Listed::default();
    for path in &out.written {
        let file = path
            .file_name()
            .expect("a file")
            .to_string_lossy()
            .into_owned();
        let again = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let published = dir.join(&file);
        let Ok(was) = std::fs::read(&published) else {
            report.differences.push(format!(
                "{file}: rendered again, but not in {}",
                dir.display()
            ));
            continue;
        };
        if again == was {
            continue;
        }
        if file.ends_with(".xlsx") {
            compare_workbooks(&mut report, &mut listed, &file, path, &published);
        } else {
            let (a, w) = (
                String::from_utf8_lossy(&again).into_owned(),
                String::from_utf8_lossy(&was).into_owned(),
            );
            let (al, wl): (Vec<&str>, Vec<&str>) = (a.lines().collect(), w.lines().collect());
            for (i, (x, y)) in al.iter().zip(&wl).enumerate() {
                if x != y {
                    listed.push(
                        &mut report,
                        "the page differs",
                        &format!(
                            "{file} line {}: rendered again {:?}, published {:?}",
                            i + 1,
                            snippet(x, y),
                            snippet(y, x)
                        ),
                    );
                }
            }
            if al.len() != wl.len() {
                report.differences.push(format!(
                    "{file}: {} lines rendered again, {} published",
                    al.len(),
                    wl.len()
                ));
            }
        }
    }
    listed.finish(&mut report);
    report.checked = format!(
        "report.html and report.xlsx rendered again from the inputs exactly as published in {}",
        dir.display()
    );
    Ok(report)
}

/// The part of `a` around its first difference with `b` (at most 80 characters).
fn snippet(a: &str, b: &str) -> String {
    let at = a
        .char_indices()
        .zip(b.chars())
        .find(|((_, x), y)| x != y)
        .map_or(a.len().min(b.len()), |((i, _), _)| i);
    let start = a[..at].char_indices().rev().nth(30).map_or(0, |(i, _)| i);
    a[start..].chars().take(80).collect()
}

/// Compares two workbooks sheet by sheet, cell by cell.
fn compare_workbooks(
    report: &mut Report,
    listed: &mut Listed,
    file: &str,
    again: &Path,
    was: &Path,
) {
    use calamine::Reader as _;
    let open = |p: &Path| calamine::open_workbook::<calamine::Xlsx<_>, _>(p).ok();
    let (Some(mut a), Some(mut w)) = (open(again), open(was)) else {
        report
            .differences
            .push(format!("{file}: not a workbook that can be read"));
        return;
    };
    let sheets = a.sheet_names();
    if sheets != w.sheet_names() {
        report.differences.push(format!(
            "{file}: sheets rendered again {:?}, published {:?}",
            sheets,
            w.sheet_names()
        ));
        return;
    }
    let mut any = false;
    for name in &sheets {
        let (Ok(ra), Ok(rw)) = (a.worksheet_range(name), w.worksheet_range(name)) else {
            continue;
        };
        let cells = |r: &calamine::Range<calamine::Data>| -> std::collections::BTreeMap<(u32, u32), String> {
            r.cells()
                .map(|(i, j, c)| {
                    let (r0, c0) = r.start().unwrap_or((0, 0));
                    ((r0 + i as u32, c0 + j as u32), c.to_string())
                })
                .filter(|(_, v)| !v.is_empty())
                .collect()
        };
        let (ca, cw) = (cells(&ra), cells(&rw));
        for key in ca
            .keys()
            .chain(cw.keys())
            .collect::<std::collections::BTreeSet<_>>()
        {
            let (x, y) = (ca.get(key), cw.get(key));
            if x != y {
                any = true;
                listed.push(
                    report,
                    "the workbook differs",
                    &format!(
                        "{file} sheet {name:?} cell {}{}: {} rendered again, {} published",
                        column_name(key.1),
                        key.0 + 1,
                        x.map_or("(empty)", String::as_str),
                        y.map_or("(empty)", String::as_str)
                    ),
                );
            }
        }
    }
    if !any {
        report.differences.push(format!(
            "{file}: the cells are the same but the file's bytes differ (formatting or layout)"
        ));
    }
}

/// A spreadsheet column's letters (0 → A).
fn column_name(mut c: u32) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (c % 26) as u8);
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).expect("letters")
}
