//! `chiso entry-sheet`: the data-entry workbook of a sample, filled in as clerks would and
//! read back by `index`, `fieldwork` and `entry-compare` as it is.

use std::collections::HashMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use calamine::{Data, Reader, Xlsx, open_workbook};

use crate::util::*;

const LABELS: [&str; 5] = [
    "Rất không hài lòng",
    "Không hài lòng",
    "Bình thường",
    "Hài lòng",
    "Rất hài lòng",
];
const NO_ANSWER: &str = "Không ý kiến";

/// A demo province (its sample, questionnaire and simulated responses), and the
/// questionnaire again with answer labels.
struct Demo {
    dir: Dir,
    sample: PathBuf,
    plain: PathBuf,
    labelled: PathBuf,
}

fn demo() -> Demo {
    let dir = Dir::new();
    let out = dir.path("demo");
    let o = chiso(&["demo", "--records", "12000", "--out", p(&out)]);
    assert!(o.status.success(), "{:?}", text(&o));
    // The demo's questionnaire gives the answers' labels; the same without them is the
    // questionnaire of coded answers.
    let q = std::fs::read_to_string(out.join("questionnaire.toml")).unwrap();
    let labels: Vec<String> = LABELS.iter().map(|l| format!("{l:?}")).collect();
    assert!(q.contains(&format!("\nlabels = [{}]\n", labels.join(", "))));
    assert!(q.contains(&format!("\nmissing_labels = [{NO_ANSWER:?}]\n")));
    let without: String = q
        .lines()
        .filter(|l| !l.starts_with("labels = ") && !l.starts_with("missing_labels = "))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(q, without);
    let plain = dir.write("plain.toml", &without);
    let with_labels = q;
    let labelled = dir.write("labelled.toml", &with_labels);
    Demo {
        sample: out.join("sample"),
        plain,
        labelled,
        dir,
    }
}

fn entry_sheet(d: &Demo, q: &Path, name: &str) -> PathBuf {
    let out = d.dir.path(name);
    let o = chiso(&[
        "entry-sheet",
        "--sample",
        p(&d.sample),
        "--questionnaire",
        p(q),
        "--out",
        p(&out),
    ]);
    assert!(o.status.success(), "{:?}", text(&o));
    out
}

/// Forms by (stratum, applicant): disposition and answers, as written.
type Forms = HashMap<(String, String), Vec<String>>;

/// The demo's item codes, and its responses.
fn responses(d: &Demo) -> (Vec<String>, Forms) {
    let text = std::fs::read_to_string(d.dir.path("demo/responses.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .trim_start_matches('\u{feff}')
        .split(',')
        .map(String::from)
        .collect();
    let items = header[3..].to_vec();
    let mut by = HashMap::new();
    for l in lines {
        let cells: Vec<String> = l.split(',').map(String::from).collect();
        by.insert((cells[1].clone(), cells[0].clone()), cells[2..].to_vec());
    }
    (items, by)
}

fn vietnamese(disposition: &str) -> &'static str {
    match disposition {
        "complete" => "Hoàn thành",
        "partial" => "Trả lời một phần",
        "refusal" => "Từ chối",
        "non_contact" => "Không liên lạc được",
        "ineligible" => "Không thuộc đối tượng khảo sát",
        other => panic!("{other}"),
    }
}

/// An answer as a clerk picks it: the label of a code (no-answer codes as the no-answer
/// label), or the code itself without labels.
fn answer(code: &str, labelled: bool) -> String {
    match (code, labelled) {
        ("", _) => String::new(),
        (c, false) => c.to_string(),
        ("0" | "9", true) => NO_ANSWER.to_string(),
        (c, true) => LABELS[c.parse::<usize>().unwrap() - 1].to_string(),
    }
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) => format!("{f}"),
        Data::Int(i) => i.to_string(),
        other => panic!("{other:?}"),
    }
}

/// The sheets of a workbook: name and rows of cells.
fn sheets(path: &Path) -> Vec<(String, Vec<Vec<Data>>)> {
    let mut book: Xlsx<_> = open_workbook(path).unwrap();
    book.sheet_names()
        .iter()
        .map(|n| {
            let range = book.worksheet_range(n).unwrap();
            (n.clone(), range.rows().map(|r| r.to_vec()).collect())
        })
        .collect()
}

/// The entry workbook at `from` filled in with the demo's responses, saved at `to` as a
/// spreadsheet program saves it (the same sheets, cells and defined names; `change` may
/// alter a filled row's cells first), and the same forms as a responses CSV file in the
/// workbook's order.
fn fill(
    from: &Path,
    to: &Path,
    d: &Demo,
    labelled: bool,
    mut change: impl FnMut(&str, &mut Vec<String>),
) -> String {
    let (items, by) = responses(d);
    let mut csv = format!("applicant_id,stratum,disposition,{}\n", items.join(","));
    let mut book = rust_xlsxwriter::Workbook::new();
    for (k, (name, rows)) in sheets(from).into_iter().enumerate() {
        let ws = book.add_worksheet();
        ws.set_name(&name).unwrap();
        let header: Vec<String> = rows
            .first()
            .map_or(Vec::new(), |h| h.iter().map(cell_text).collect());
        let at = |c: &str| header.iter().position(|h| h == c);
        for (r, row) in rows.iter().enumerate() {
            let mut cells: Vec<String> = row.iter().map(cell_text).collect();
            if k > 0 && r > 0 {
                let (id, stratum) = (at("applicant_id").unwrap(), at("stratum").unwrap());
                let key = (cells[stratum].clone(), cells[id].clone());
                if let Some(found) = by.get(&key) {
                    let disposition = at("disposition").unwrap();
                    cells[disposition] = vietnamese(&found[0]).to_string();
                    for (i, item) in items.iter().enumerate() {
                        cells[at(item).unwrap()] = answer(&found[1 + i], labelled);
                    }
                    change(&name, &mut cells);
                    csv.push_str(&format!("{},{}", cells[id], cells[stratum]));
                    for c in std::iter::once("disposition").chain(items.iter().map(|s| s.as_str()))
                    {
                        csv.push(',');
                        csv.push_str(&cells[at(c).unwrap()]);
                    }
                    csv.push('\n');
                }
            }
            for (c, v) in cells.iter().enumerate() {
                match &row.get(c) {
                    Some(Data::Float(f)) => ws.write_number(r as u32, c as u16, *f),
                    _ if v.is_empty() => continue,
                    _ => ws.write_string(r as u32, c as u16, v),
                }
                .unwrap();
            }
        }
    }
    book.define_name("chiso_entry_sheet", "='Hướng dẫn'!$A$1")
        .unwrap();
    book.save(to).unwrap();
    csv
}

fn index(d: &Demo, responses: &Path, q: &Path, out: &str) -> std::process::Output {
    chiso(&[
        "index",
        "--responses",
        p(responses),
        "--questionnaire",
        p(q),
        "--sample",
        p(&d.sample),
        "--out",
        p(&d.dir.path(out)),
    ])
}

const COMPARED: [&str; 4] = [
    "indices.csv",
    "flags.csv",
    "ranks.csv",
    "response_rates.csv",
];

#[test]
fn a_filled_entry_workbook_gives_the_indices_of_the_same_forms_as_csv() {
    let d = demo();
    for (q, labelled) in [(&d.labelled, true), (&d.plain, false)] {
        let entry = entry_sheet(&d, q, &format!("entry-{labelled}.xlsx"));
        let filled = d.dir.path(&format!("filled-{labelled}.xlsx"));
        let csv = fill(&entry, &filled, &d, labelled, |_, _| {});
        let csv_path = d.dir.write(&format!("filled-{labelled}.csv"), &csv);
        // Some rows of the workbook are left untouched: reserves nobody contacted.
        let listed = std::fs::read_to_string(d.sample.join("sample.csv"))
            .unwrap()
            .lines()
            .count()
            - 1;
        assert!(csv.lines().count() - 1 < listed);
        let o = index(&d, &filled, q, &format!("from-xlsx-{labelled}"));
        assert!(o.status.success(), "{:?}", text(&o));
        let o = index(&d, &csv_path, q, &format!("from-csv-{labelled}"));
        assert!(o.status.success(), "{:?}", text(&o));
        for f in COMPARED {
            let a = d.dir.read(&format!("from-xlsx-{labelled}/{f}"));
            let b = d.dir.read(&format!("from-csv-{labelled}/{f}"));
            assert!(a.lines().count() > 1, "{f}");
            assert_eq!(a, b, "{f}");
        }
        // The labelled and coded entries of the same forms give the same indices.
        if !labelled {
            for f in COMPARED {
                assert_eq!(
                    d.dir.read(&format!("from-xlsx-true/{f}")),
                    d.dir.read(&format!("from-xlsx-false/{f}")),
                    "{f}"
                );
            }
        }
    }
    // fieldwork reads the workbook as the CSV file of the same contacts.
    let filled = d.dir.path("filled-true.xlsx");
    for (responses, out) in [
        (filled, "fw-xlsx"),
        (d.dir.path("filled-true.csv"), "fw-csv"),
    ] {
        let o = chiso(&[
            "fieldwork",
            "--sample",
            p(&d.sample),
            "--responses",
            p(&responses),
            "--out",
            p(&d.dir.path(out)),
        ]);
        assert!(o.status.success(), "{:?}", text(&o));
    }
    for f in ["substitutions.csv", "summary.csv"] {
        assert_eq!(
            d.dir.read(&format!("fw-xlsx/{f}")),
            d.dir.read(&format!("fw-csv/{f}"))
        );
    }
}

#[test]
fn the_workbook_is_protected_with_drop_downs_text_ids_and_the_same_bytes() {
    let d = demo();
    let entry = entry_sheet(&d, &d.labelled, "entry.xlsx");
    let sheets = sheets(&entry);
    assert_eq!(sheets[0].0, "Hướng dẫn");
    let instructions: Vec<String> = sheets[0].1.iter().flatten().map(cell_text).collect();
    for want in [
        "Hoàn thành",
        "Trả lời một phần",
        "Từ chối",
        "Không liên lạc được",
        "Không thuộc đối tượng khảo sát",
        "Rất hài lòng",
        NO_ANSWER,
    ] {
        assert!(instructions.iter().any(|c| c == want), "{want}");
    }
    assert!(
        instructions
            .iter()
            .any(|c| c.contains("chiso index --responses"))
    );
    // Every applicant of sample.csv, in its stratum's sheet, officials then reserves in rank
    // order, its identifier a text cell as written (leading zeros kept).
    let sample = std::fs::read_to_string(d.sample.join("sample.csv")).unwrap();
    let mut listed: Vec<(String, String, String, String)> = Vec::new();
    for l in sample.lines().skip(1) {
        let c: Vec<&str> = l.split(',').collect();
        listed.push((c[0].into(), c[1].into(), c[2].into(), c[3].into()));
    }
    assert!(listed.iter().any(|r| r.3.starts_with('0')));
    let mut found = Vec::new();
    for (name, rows) in &sheets[1..] {
        let header: Vec<String> = rows[0].iter().map(cell_text).collect();
        assert_eq!(
            &header[..4],
            ["applicant_id", "stratum", "role", "rank"],
            "{name}"
        );
        assert!(header.contains(&"phone".to_string()));
        let disposition = header.iter().position(|h| h == "disposition").unwrap();
        assert_eq!(header[disposition + 1], "DV01");
        assert_eq!(header.len(), disposition + 21);
        for row in &rows[1..] {
            let Data::String(id) = &row[0] else {
                panic!("{:?}", row[0])
            };
            let role = match cell_text(&row[2]).as_str() {
                "chính thức" => "official",
                "dự phòng" => "reserve",
                other => panic!("{other}"),
            };
            found.push((
                cell_text(&row[1]),
                role.to_string(),
                cell_text(&row[3]),
                id.clone(),
            ));
            assert!(row[disposition..].iter().all(|c| *c == Data::Empty));
        }
    }
    assert_eq!(found, listed);
    // The sheets' XML: protected, entry cells unlocked, drop-down lists.
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&entry).unwrap()).unwrap();
    let mut part = |name: &str| {
        let mut s = String::new();
        zip.by_name(name).unwrap().read_to_string(&mut s).unwrap();
        s
    };
    let workbook = part("xl/workbook.xml");
    assert!(
        workbook.contains("<definedName name=\"chiso_entry_sheet\">"),
        "{workbook}"
    );
    let styles = part("xl/styles.xml");
    assert!(styles.contains("locked=\"0\""));
    for k in 1..=sheets.len() {
        let xml = part(&format!("xl/worksheets/sheet{k}.xml"));
        assert!(xml.contains("<sheetProtection"), "sheet {k}");
        if k > 1 {
            assert_eq!(xml.matches("<dataValidation ").count(), 2, "sheet {k}");
            assert!(xml.contains("type=\"list\""));
            assert!(xml.contains("&apos;Hướng dẫn&apos;!$A$") || xml.contains("'Hướng dẫn'!$A$"));
        }
    }
    // The same bytes again; an existing workbook is not replaced without --force.
    let again = d.dir.path("again.xlsx");
    let o = chiso(&[
        "entry-sheet",
        "--sample",
        p(&d.sample),
        "--questionnaire",
        p(&d.labelled),
        "--out",
        p(&again),
    ]);
    assert!(o.status.success());
    assert_eq!(
        std::fs::read(&entry).unwrap(),
        std::fs::read(&again).unwrap()
    );
    let o = chiso(&[
        "entry-sheet",
        "--sample",
        p(&d.sample),
        "--questionnaire",
        p(&d.labelled),
        "--out",
        p(&again),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("--force"), "{:?}", text(&o));
    // Untouched, the workbook holds no form: every row is left out as not entered, none
    // read as a complete form without answers.
    let o = index(&d, &entry, &d.labelled, "untouched");
    assert!(o.status.success(), "{:?}", text(&o));
    let (out, _) = text(&o);
    assert!(
        out.contains(&format!(
            "entry workbook: {} row(s) not entered yet (no disposition, no answer) left out\n0 responses",
            listed.len()
        )),
        "{out}"
    );
}

#[test]
fn entries_of_two_clerks_are_compared_and_bad_cells_named_by_sheet() {
    let d = demo();
    let entry = entry_sheet(&d, &d.labelled, "entry.xlsx");
    let first = d.dir.path("first.xlsx");
    let second = d.dir.path("second.xlsx");
    fill(&entry, &first, &d, true, |_, _| {});
    // The second clerk picks another answer for the first item of one form.
    let mut planted: Option<(String, String)> = None;
    fill(&entry, &second, &d, true, |sheet, cells| {
        if planted.is_none() && cells[4 + 3] == "Hoàn thành" && cells[4 + 4] == LABELS[3] {
            cells[4 + 4] = LABELS[0].to_string();
            planted = Some((sheet.to_string(), cells[0].clone()));
        }
    });
    let (_, id) = planted.expect("a form to change");
    let compare = |a: &Path, b: &Path, out: &str| {
        chiso(&[
            "entry-compare",
            "--first",
            p(a),
            "--second",
            p(b),
            "--questionnaire",
            p(&d.labelled),
            "--out",
            p(&d.dir.path(out)),
        ])
    };
    let o = compare(&first, &first, "same");
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    let o = compare(&first, &second, "differ");
    assert_eq!(o.status.code(), Some(1), "{:?}", text(&o));
    let discrepancies = d.dir.read("differ/discrepancies.csv");
    let rows: Vec<&str> = discrepancies.lines().skip(1).collect();
    assert_eq!(rows.len(), 1, "{discrepancies}");
    assert!(rows[0].starts_with(&format!("{id},")), "{}", rows[0]);
    assert!(rows[0].ends_with(",DV01,4,1"), "{}", rows[0]);
    // An answer that is none of the choices is named by its sheet and its row there.
    let bad = d.dir.path("bad.xlsx");
    let mut where_: Option<String> = None;
    fill(&entry, &bad, &d, true, |sheet, cells| {
        if where_.is_none() && cells[4 + 3] == "Hoàn thành" {
            cells[4 + 5] = "7".to_string();
            where_ = Some(sheet.to_string());
        }
    });
    let o = index(&d, &bad, &d.labelled, "bad");
    assert_eq!(o.status.code(), Some(2));
    let (_, err) = text(&o);
    let sheet = where_.unwrap();
    // The row of the damaged form in its sheet, counted here (the header is row 1).
    let (_, rows) = sheets(&bad)
        .into_iter()
        .find(|(name, _)| *name == sheet)
        .unwrap();
    let row = 1 + rows
        .iter()
        .position(|r| cell_text(&r[4 + 5]) == "7")
        .unwrap();
    assert!(
        err.contains(&format!(
            "bad.xlsx, sheet {sheet:?}: row {row}, column `DV02`"
        )),
        "{err}"
    );
}
