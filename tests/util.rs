//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chiso::design::{Design, DesignSpec};
use chiso::records::ColumnMap;
use chiso::sample::Lists;

pub const HEADER: &str =
    "record_id,unit_code,applicant_id,returned_date,applicant_type,applicant_name,phone";

/// The R oracle's fixtures (`oracle/make-fixtures.R`).
pub const ORACLE_FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/oracle");

/// The questionnaire of the oracle's responses: six items in two elements.
pub const ORACLE_QUESTIONNAIRE: &str = r#"
name = "oracle"
[scale]
min = 1
max = 5
satisfied = [4, 5]
dissatisfied = [1, 2]
missing = [9]
[[element]]
code = "E1"
name = "E1"
items = ["Q01", "Q02", "Q03"]
[[element]]
code = "E2"
name = "E2"
items = ["Q04", "Q05", "Q06"]
"#;

pub const DESIGN: &str = r#"
[frame]
window = ["2024-01-01", "2024-09-30"]
strata = ["unit_code"]
[size]
mode = "fixed"
n = 3
[reserve]
count = 2
"#;

/// Runs the independent re-draw, `tools/redraw.py`, with `args`.
pub fn redraw(args: &[&str]) -> Output {
    Command::new("python3")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tools/redraw.py"))
        .args(args)
        .output()
        .expect("python3 is needed for the auditor tests")
}

/// A temporary directory for one test.
pub struct Dir(pub tempfile::TempDir);

impl Dir {
    pub fn new() -> Dir {
        Dir(tempfile::tempdir().unwrap())
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.path().join(name)
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap()
    }

    /// The names of the files in `sub` (empty if it does not exist).
    pub fn files(&self, sub: &str) -> Vec<String> {
        match std::fs::read_dir(self.path(sub)) {
            Err(_) => Vec::new(),
            Ok(rd) => {
                let mut v: Vec<String> = rd
                    .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect();
                v.sort();
                v
            }
        }
    }
}

/// Runs the real binary.
pub fn chiso(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chiso"))
        .args(args)
        .output()
        .expect("the chiso binary runs")
}

/// `chiso index --responses R --questionnaire Q --population P --out O`, then `extra`.
pub fn index_with_population(
    responses: &Path,
    questionnaire: &Path,
    population: &Path,
    out: &Path,
    extra: &[&str],
) -> Output {
    let mut args = vec![
        "index",
        "--responses",
        p(responses),
        "--questionnaire",
        p(questionnaire),
        "--population",
        p(population),
        "--out",
        p(out),
    ];
    args.extend_from_slice(extra);
    chiso(&args)
}

pub fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

pub fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A records CSV: `n_units` units, unit `u` has `5 + 3u` applicants, some with two records.
pub fn records(n_units: usize) -> String {
    let mut s = String::from(HEADER);
    s.push('\n');
    let mut id = 0;
    for u in 0..n_units {
        for a in 0..(5 + 3 * u) {
            for r in 0..(1 + (a % 3 == 0) as usize) {
                id += 1;
                s.push_str(&format!(
                    "R{id:05},U{u:02},A{u:02}-{a:03},2024-0{}-1{},citizen,Nguyễn Văn {a},09{id:08}\n",
                    1 + (a + r) % 9,
                    r
                ));
            }
        }
    }
    s
}

/// [`records`] with an `address` column: every tenth address quoted (with a comma in it),
/// and that of the seventh row quoted over two lines (legal: the row has the header's number
/// of cells), so that row `r` is on line `r` up to row 8 and on line `r + 1` after it.
pub fn records_with_addresses(n_units: usize) -> String {
    let mut s = String::new();
    for (i, line) in records(n_units).lines().enumerate() {
        let address = match i {
            0 => "address",
            7 => "\"12 Lý Thường Kiệt,\nHuế\"",
            _ if i % 10 == 0 => "\"3, Lê Lợi\"",
            _ => "Huế",
        };
        s.push_str(&format!("{line},{address}\n"));
    }
    s
}

pub fn design(text: &str) -> Design {
    Design::from_spec(toml::from_str::<DesignSpec>(text).unwrap(), "design.toml").unwrap()
}

/// Draws with the library from a records file.
pub fn draw_file(path: &Path, design_text: &str, seed: &str) -> Lists {
    let d = design(design_text);
    let frame = chiso::sample::read_frame(path, None, &ColumnMap::default(), &d).unwrap();
    Lists::draw(frame, &d, seed, 1).unwrap()
}

/// The lists as `stratum/role/rank/applicant/record` lines.
pub fn lines(lists: &Lists) -> Vec<String> {
    lists
        .picks()
        .map(|pk| {
            let s = &lists.frame.strata[pk.stratum];
            let m = &s.members[pk.member];
            format!(
                "{}/{}/{}/{}/{}",
                s.label(),
                pk.role.as_str(),
                pk.rank,
                m.applicant_id,
                m.record_id
            )
        })
        .collect()
}

/// Writes a CSV text as an XLSX file, with cells that look like dates written as dates.
pub fn csv_to_xlsx(csv_text: &str, path: &Path) {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let date_fmt = Format::new().set_num_format("dd/mm/yyyy");
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(csv_text.as_bytes());
    for (r, rec) in rdr.records().enumerate() {
        for (c, v) in rec.unwrap().iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            match chiso::records::parse_date(v) {
                Some(d) if r > 0 => {
                    use chrono::Datelike;
                    let dt =
                        ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
                            .unwrap();
                    ws.write_datetime_with_format(r, c, &dt, &date_fmt).unwrap();
                }
                _ => {
                    ws.write_string(r, c, v).unwrap();
                }
            }
        }
    }
    wb.save(path).unwrap();
}

/// The SHA-256 of a file, computed here independently of the library.
pub fn file_sha(path: &Path) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(std::fs::read(path).unwrap()))
}

/// The records CSV of a synthetic province of about `records` rows, received from December
/// 2023 to October 2024 (the tests' designs have 2024 windows).
pub fn province(records: usize) -> String {
    province_of(chiso::demo::ProvinceSpec {
        records,
        year: 2024,
        ..Default::default()
    })
}

/// The records CSV of the demo's province (its survey year) of about `records` rows.
pub fn demo_province(records: usize) -> String {
    province_of(chiso::demo::ProvinceSpec {
        records,
        ..Default::default()
    })
}

fn province_of(spec: chiso::demo::ProvinceSpec) -> String {
    let mut t = Vec::new();
    chiso::demo::write_records(&spec, &mut t).unwrap();
    String::from_utf8(t).unwrap()
}

/// `chiso sample` on `dir/records` with `design_text` written to `dir/design.toml`, the
/// output in `dir/out`.
pub fn sample_cli(
    dir: &Dir,
    records: &str,
    design_text: &str,
    seed: &str,
    out: &str,
    extra: &[&str],
) -> Output {
    let design = dir.write("design.toml", design_text);
    let (rec, out) = (dir.path(records), dir.path(out));
    let mut args = vec![
        "sample",
        "--records",
        p(&rec),
        "--design",
        p(&design),
        "--seed",
        seed,
        "--out",
        p(&out),
    ];
    args.extend_from_slice(extra);
    chiso(&args)
}

/// Writes `dir/manifest.json` for a `dir/sample.csv` written by hand, with the strata
/// `(label, N_h, n_h)`: what `chiso index --sample` checks (the file's SHA-256, the strata's
/// sizes). Such a manifest does not come from records: only `chiso verify` could tell.
pub fn manifest_for(dir: &Path, strata: &[(&str, u64, u64)]) {
    use chiso::manifest::{FORMAT, RecordsInfo, StratumEntry, Totals};
    let entries: Vec<StratumEntry> = strata
        .iter()
        .map(|&(label, big_n, n)| StratumEntry {
            stratum: label.to_string(),
            values: vec![label.to_string()],
            frame_size: big_n,
            sample_size: n,
            reserve_size: 0,
            frame_digest: String::new(),
        })
        .collect();
    let m = chiso::Manifest {
        format: FORMAT.to_string(),
        algorithm: chiso::draw::ALGORITHM.to_string(),
        engine_version: env!("CARGO_PKG_VERSION").to_string(),
        seed: "by hand".to_string(),
        design: toml::from_str(DESIGN).unwrap(),
        columns: Default::default(),
        records: RecordsInfo {
            file: "records.csv".to_string(),
            sheet: None,
            delimiter: None,
            header_row: None,
            sha256: String::new(),
            counts: Default::default(),
        },
        frame_digest: String::new(),
        sample_digest: String::new(),
        sample_file_sha256: file_sha(&dir.join("sample.csv")),
        totals: Totals {
            strata: entries.len() as u64,
            frame_size: entries.iter().map(|e| e.frame_size).sum(),
            sample_size: entries.iter().map(|e| e.sample_size).sum(),
            reserve_size: 0,
        },
        strata: entries,
    };
    std::fs::write(dir.join("manifest.json"), m.to_json()).unwrap();
}

/// A cell that a spreadsheet would run as a formula: its first character is `=`, `+`, `@`,
/// a tab or a carriage return, or `-` when the cell is not a number.
fn runs_as_formula(cell: &str) -> bool {
    match cell.chars().next() {
        Some('=' | '+' | '@' | '\t' | '\r') => true,
        Some('-') => !cell.parse::<f64>().is_ok_and(f64::is_finite),
        _ => false,
    }
}

/// Every CSV file under `root`, with its cells (header included).
pub fn csv_files(root: &Path) -> Vec<(String, Vec<Vec<String>>)> {
    let mut out = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|x| x == "csv") {
                let mut r = csv::ReaderBuilder::new()
                    .has_headers(false)
                    .flexible(true)
                    .from_path(&path)
                    .unwrap();
                let rows = r
                    .records()
                    .map(|rec| rec.unwrap().iter().map(String::from).collect())
                    .collect();
                out.push((path.display().to_string(), rows));
            }
        }
    }
    out.sort();
    out
}

/// Asserts that no cell of any CSV file under `root` would run as a formula; returns the
/// files' names.
pub fn assert_no_formula_cells(root: &Path) -> Vec<String> {
    let files = csv_files(root);
    for (name, rows) in &files {
        for (r, row) in rows.iter().enumerate() {
            for cell in row {
                assert!(
                    !runs_as_formula(cell),
                    "{name}, line {}: {cell:?} would run as a formula",
                    r + 1
                );
            }
        }
    }
    files.into_iter().map(|(name, _)| name).collect()
}
