//! Office files back into Excel: the byte-order mark of the files people open, the
//! interviewers' list as `sample.xlsx`, and identifiers a spreadsheet stripped of their
//! leading zeros (said to be so, never matched in silence).

use calamine::{Data, Reader, Xlsx, open_workbook};

use crate::util::*;

/// Records with 12-digit CCCD numbers (`001085…`, `002085…`: leading zeros), phones starting
/// with 0, unit names with characters a sheet name may not hold, and a name that a
/// spreadsheet would run as a formula.
fn cccd_records() -> String {
    let mut s = format!("{HEADER},unit_name\n");
    let mut id = 0;
    for u in 0..3 {
        for a in 0..8 {
            id += 1;
            let name = if id == 2 {
                "=HYPERLINK(\"http://x\",\"y\")".to_string()
            } else {
                format!("Nguyễn Văn {a}")
            };
            s.push_str(&format!(
                "R{id:05},U{u:02},{:03}0850{:05},2024-0{}-15,citizen,\"{}\",09{id:08},Sở Nội vụ/Tư pháp {u}\n",
                u + 1,
                12340 + a,
                1 + a % 9,
                name.replace('"', "\"\"")
            ));
        }
    }
    s
}

/// `sample.csv` as rows of cells (the csv crate takes the byte-order mark off), header first.
fn sample_rows(dir: &Dir, out: &str) -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(dir.path(&format!("{out}/sample.csv")))
        .unwrap();
    r.records()
        .map(|rec| rec.unwrap().iter().map(String::from).collect())
        .collect()
}

fn drawn(dir: &Dir, out: &str) {
    dir.write("records.csv", &cccd_records());
    let o = sample_cli(dir, "records.csv", DESIGN, "KQXS 2024-10-01", out, &[]);
    assert!(o.status.success(), "{:?}", text(&o));
}

#[test]
fn the_files_people_open_start_with_the_byte_order_mark_and_machine_files_do_not() {
    let dir = Dir::new();
    drawn(&dir, "out");
    for f in ["out/sample.csv", "out/rejected.csv"] {
        let bytes = std::fs::read(dir.path(f)).unwrap();
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "{f}");
        // Once only.
        assert!(!bytes[3..].starts_with(b"\xEF\xBB\xBF"), "{f}");
    }
    // The manifest's digest of the lists is over rows, not bytes; the file's SHA-256 is of the
    // bytes as written, the mark included.
    let m: serde_json::Value = serde_json::from_str(&dir.read("out/manifest.json")).unwrap();
    assert_eq!(
        m["sample_file_sha256"],
        file_sha(&dir.path("out/sample.csv"))
    );
    let lists = draw_file(&dir.path("records.csv"), DESIGN, "KQXS 2024-10-01");
    assert_eq!(m["sample_digest"], lists.digest());
    // chiso verify reads it back.
    let (rec, man, smp) = (
        dir.path("records.csv"),
        dir.path("out/manifest.json"),
        dir.path("out/sample.csv"),
    );
    let o = chiso(&[
        "verify",
        "--records",
        p(&rec),
        "--manifest",
        p(&man),
        "--sample",
        p(&smp),
    ]);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    // The index reads the sample through the same reader: its files for machines have no mark.
    let resp = responses(&dir, "out", |id| id.to_string());
    let o = index(&dir, &resp, "idx");
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    let indices = std::fs::read(dir.path("idx/indices.csv")).unwrap();
    assert!(!indices.starts_with(b"\xEF\xBB\xBF"));
}

#[test]
fn sample_xlsx_is_the_interviewers_list_with_identifiers_as_text() {
    let dir = Dir::new();
    drawn(&dir, "out");
    let rows = sample_rows(&dir, "out");
    let header = &rows[0];
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let mut book: Xlsx<_> = open_workbook(dir.path("out/sample.xlsx")).unwrap();
    let sheets = book.sheet_names();
    // One sheet per stratum, named by the unit's code and name, `/` replaced.
    assert_eq!(
        sheets,
        [
            "U00 Sở Nội vụ-Tư pháp 0",
            "U01 Sở Nội vụ-Tư pháp 1",
            "U02 Sở Nội vụ-Tư pháp 2"
        ]
    );
    let mut seen = 0;
    for (k, sheet) in sheets.iter().enumerate() {
        let range = book.worksheet_range(sheet).unwrap();
        let titles: Vec<String> = range
            .rows()
            .next()
            .unwrap()
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(
            titles,
            [
                "Danh sách",
                "Thứ tự",
                "Số định danh (CCCD/MST)",
                "Họ và tên",
                "Số điện thoại",
                "Mã hồ sơ",
                "Mã đơn vị",
                "Tên đơn vị",
                "Ngày trả kết quả",
                "Loại người nộp",
                "Tầng mẫu"
            ]
        );
        let want: Vec<&Vec<String>> = rows[1..]
            .iter()
            .filter(|r| r[col("stratum")] == format!("U{k:02}"))
            .collect();
        let got: Vec<&[Data]> = range.rows().skip(1).collect();
        assert_eq!(got.len(), want.len(), "{sheet}");
        for (g, w) in got.iter().zip(&want) {
            let role = match w[col("role")].as_str() {
                "official" => "chính thức",
                "reserve" => "dự phòng",
                other => panic!("{other}"),
            };
            assert_eq!(g[0], Data::String(role.into()));
            assert_eq!(g[1], Data::Float(w[col("rank")].parse().unwrap()));
            // Identifiers and phones are text cells, their leading zeros kept.
            let id = &w[col("applicant_id")];
            assert!(id.starts_with("00") && id.len() == 12, "{id}");
            assert_eq!(g[2], Data::String(id.clone()));
            let name = chiso::files::restore(&w[col("applicant_name")]);
            assert_eq!(g[3], Data::String(name.to_string()));
            let phone = &w[col("phone")];
            assert!(phone.starts_with('0'));
            assert_eq!(g[4], Data::String(phone.clone()));
            assert_eq!(g[5], Data::String(w[col("record_id")].clone()));
            assert_eq!(g[6], Data::String(w[col("unit_code")].clone()));
            assert_eq!(g[7], Data::String(w[col("unit_name")].clone()));
            assert_eq!(g[8], Data::String(w[col("returned_date")].clone()));
            assert_eq!(g[10], Data::String(w[col("stratum")].clone()));
            seen += 1;
        }
        // Officials first, then reserves, each in rank order: as in sample.csv.
        let order: Vec<(String, String)> = want
            .iter()
            .map(|w| (w[col("role")].clone(), w[col("rank")].clone()))
            .collect();
        assert_eq!(order[0], ("official".into(), "1".into()));
        assert_eq!(order[3], ("reserve".into(), "1".into()));
        // No cell is a formula, the name that looks like one included.
        let formulas = book.worksheet_formula(sheet).unwrap();
        assert!(
            formulas.used_cells().all(|(_, _, f)| f.is_empty()),
            "{sheet}"
        );
    }
    assert_eq!(seen, rows.len() - 1);
    assert!(
        rows.iter()
            .any(|r| r[col("applicant_name")].starts_with("'=HYPERLINK")),
        "the test has a formula-like name on the lists"
    );
    // The same input and seed give the same bytes.
    let o = sample_cli(&dir, "records.csv", DESIGN, "KQXS 2024-10-01", "again", &[]);
    assert!(o.status.success(), "{:?}", text(&o));
    assert_eq!(
        std::fs::read(dir.path("out/sample.xlsx")).unwrap(),
        std::fs::read(dir.path("again/sample.xlsx")).unwrap()
    );
    // Another seed, other lists, another workbook.
    let o = sample_cli(&dir, "records.csv", DESIGN, "another seed", "other", &[]);
    assert!(o.status.success(), "{:?}", text(&o));
    assert_ne!(
        std::fs::read(dir.path("out/sample.xlsx")).unwrap(),
        std::fs::read(dir.path("other/sample.xlsx")).unwrap()
    );
}

#[test]
fn the_workbook_is_ready_to_print() {
    let dir = Dir::new();
    drawn(&dir, "out");
    let file = std::fs::File::open(dir.path("out/sample.xlsx")).unwrap();
    let mut zip = zip::ZipArchive::new(file).unwrap();
    let mut sheet = String::new();
    std::io::Read::read_to_string(
        &mut zip.by_name("xl/worksheets/sheet1.xml").unwrap(),
        &mut sheet,
    )
    .unwrap();
    for want in [
        "orientation=\"landscape\"",
        "paperSize=\"9\"",
        "fitToPage=\"1\"",
        "fitToHeight=\"0\"",
        "gridLines=\"1\"",
        "<oddHeader>&amp;L&amp;A&amp;RDanh sách phỏng vấn</oddHeader>",
        "<oddFooter>&amp;CTrang &amp;P / &amp;N</oddFooter>",
        "state=\"frozen\"",
    ] {
        assert!(sheet.contains(want), "{want}: {sheet}");
    }
    let mut book = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("xl/workbook.xml").unwrap(), &mut book).unwrap();
    assert!(book.contains("_xlnm.Print_Titles"), "{book}");
    let mut core = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("docProps/core.xml").unwrap(), &mut core)
        .unwrap();
    assert!(core.contains("2000-01-01T00:00:00Z"), "{core}");
}

/// Responses for every official of `sample.csv` in `out`, their ids as `id` makes them.
fn responses(dir: &Dir, out: &str, id: impl Fn(&str) -> String) -> String {
    let rows = sample_rows(dir, out);
    let col = |name: &str| rows[0].iter().position(|h| h == name).unwrap();
    let mut s = String::from("applicant_id,Q01,Q02,Q03,Q04,Q05,Q06\n");
    for r in &rows[1..] {
        if r[col("role")] == "official" {
            s.push_str(&format!("{},4,5,3,4,5,4\n", id(&r[col("applicant_id")])));
        }
    }
    s
}

fn index(dir: &Dir, responses_text: &str, out: &str) -> std::process::Output {
    let q = dir.write("q.toml", ORACLE_QUESTIONNAIRE);
    let r = dir.write("responses.csv", responses_text);
    let (sample, out) = (dir.path("out"), dir.path(out));
    chiso(&[
        "index",
        "--responses",
        p(&r),
        "--questionnaire",
        p(&q),
        "--sample",
        p(&sample),
        "--out",
        p(&out),
    ])
}

/// What a spreadsheet makes of a 12-digit number: its leading zeros gone.
fn stripped(id: &str) -> String {
    id.trim_start_matches('0').to_string()
}

#[test]
fn responses_with_identifiers_stripped_of_their_leading_zeros_are_refused_and_said_so() {
    let dir = Dir::new();
    drawn(&dir, "out");
    let o = index(&dir, &responses(&dir, "out", stripped), "idx");
    let (stdout, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{stdout}{err}");
    assert!(
        err.contains(
            "the identifier looks like one that a spreadsheet stripped of its leading zeros"
        ) && err.contains(
            "with 2 zero(s) in front (12 digits) it is exactly one identifier of the sample"
        ) && err.contains("Data › From Text/CSV")
            && err.contains("sample.xlsx"),
        "{err}"
    );
    // Masked: never the identifier itself, stripped or whole.
    let first = responses(&dir, "out", |s| s.to_string());
    let whole = first
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .to_string();
    assert!(
        !err.contains(&whole) && !err.contains(&stripped(&whole)),
        "{err}"
    );
    assert!(
        err.contains(&format!("{}…", &stripped(&whole)[..3])),
        "{err}"
    );
    assert!(!dir.path("idx").exists());

    // In scientific notation, as a spreadsheet shows a 12-digit number.
    let o = index(
        &dir,
        &responses(&dir, "out", |_| "1.08501E+11".into()),
        "idx",
    );
    let err = text(&o).1;
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains(
            "the identifier looks like one that a spreadsheet wrote in scientific notation"
        ),
        "{err}"
    );

    // An identifier that is simply not in the sample is refused as before, without the hint.
    let o = index(&dir, &responses(&dir, "out", |_| "999999999".into()), "idx");
    let err = text(&o).1;
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("this applicant is not in the sample"), "{err}");
    assert!(!err.contains("spreadsheet"), "{err}");
}

#[test]
fn fieldwork_names_every_row_whose_identifier_a_spreadsheet_stripped() {
    let dir = Dir::new();
    drawn(&dir, "out");
    let resp =
        responses(&dir, "out", stripped).replace("applicant_id,", "applicant_id,disposition,");
    let resp: String = resp
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("{l}\n")
            } else {
                let (id, rest) = l.split_once(',').unwrap();
                format!("{id},complete,{rest}\n")
            }
        })
        .collect();
    let path = dir.write("fw.csv", &resp);
    let o = chiso(&[
        "fieldwork",
        "--sample",
        p(&dir.path("out")),
        "--responses",
        p(&path),
        "--out",
        p(&dir.path("audit")),
    ]);
    let (stdout, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{stdout}{err}");
    let hinted = stdout
        .lines()
        .filter(|l| {
            l.contains("is not in the sample") && l.contains("stripped of its leading zeros")
        })
        .count();
    // Every official's row, each named (3 strata × 3 officials), none matched in silence.
    assert_eq!(hinted, 9, "{stdout}");
}

#[test]
fn a_sample_csv_saved_again_by_a_spreadsheet_is_refused_with_the_reason() {
    let dir = Dir::new();
    drawn(&dir, "out");
    // What a spreadsheet saves: the identifiers without their leading zeros.
    let rows = sample_rows(&dir, "out");
    let c = rows[0].iter().position(|h| h == "applicant_id").unwrap();
    let mut w = csv::Writer::from_writer(Vec::new());
    for (i, r) in rows.iter().enumerate() {
        let mut r = r.clone();
        if i > 0 {
            r[c] = stripped(&r[c]);
        }
        w.write_record(&r).unwrap();
    }
    std::fs::write(dir.path("out/sample.csv"), w.into_inner().unwrap()).unwrap();
    let o = index(&dir, &responses(&dir, "out", |s| s.to_string()), "idx");
    let err = text(&o).1;
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("edited or replaced after the draw")
            && err.contains("row 2: the identifier looks like one that a spreadsheet stripped of its leading zeros (10 digits where 12 are expected)")
            && err.contains("Data › From Text/CSV"),
        "{err}"
    );
    let o = chiso(&[
        "verify",
        "--records",
        p(&dir.path("records.csv")),
        "--manifest",
        p(&dir.path("out/manifest.json")),
        "--sample",
        p(&dir.path("out/sample.csv")),
    ]);
    let stdout = text(&o).0;
    assert_eq!(o.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("stripped of its leading zeros"), "{stdout}");
    // Identifiers masked in what verify prints.
    let whole = &rows[1][c];
    assert!(
        !stdout.contains(whole.as_str()) && !stdout.contains(&stripped(whole)),
        "{stdout}"
    );
}

#[test]
fn a_sample_written_before_the_byte_order_mark_still_verifies() {
    let dir = Dir::new();
    drawn(&dir, "out");
    // What an earlier chiso wrote: sample.csv without the mark, its manifest naming that file.
    let bytes = std::fs::read(dir.path("out/sample.csv")).unwrap();
    let rows = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap();
    std::fs::write(dir.path("out/sample.csv"), rows).unwrap();
    let mut m: serde_json::Value = serde_json::from_str(&dir.read("out/manifest.json")).unwrap();
    m["sample_file_sha256"] = file_sha(&dir.path("out/sample.csv")).into();
    dir.write(
        "out/manifest.json",
        &serde_json::to_string_pretty(&m).unwrap(),
    );
    let verify = |dir: &Dir| {
        chiso(&[
            "verify",
            "--records",
            p(&dir.path("records.csv")),
            "--manifest",
            p(&dir.path("out/manifest.json")),
            "--sample",
            p(&dir.path("out/sample.csv")),
        ])
    };
    let o = verify(&dir);
    let (stdout, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{stdout}{err}");
    assert!(
        format!("{stdout}{err}").contains("without the byte-order mark"),
        "{stdout}{err}"
    );
    // And the index takes it as it is.
    let o = index(&dir, &responses(&dir, "out", |s| s.to_string()), "idx");
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    // A manifest naming another file is still a difference.
    m["sample_file_sha256"] = "ab".repeat(32).into();
    dir.write(
        "out/manifest.json",
        &serde_json::to_string_pretty(&m).unwrap(),
    );
    let o = verify(&dir);
    assert_eq!(o.status.code(), Some(1), "{:?}", text(&o));
}
