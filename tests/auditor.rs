//! The independent re-implementation (`tools/redraw.py`, Python standard library only) must
//! re-draw byte-identical lists from the same inputs.

use crate::util::*;

#[test]
fn python_chacha20_passes_its_self_test() {
    let o = redraw(&["--self-test"]);
    assert!(o.status.success(), "{:?}", text(&o));
}

#[test]
fn python_and_rust_keys_agree() {
    let k = chiso::draw::SeedKey::new("KQXS 01/10/2024 — giải đặc biệt 123456");
    for (values, applicant) in [
        (vec!["XA001"], "079201001234"),
        (vec!["SO01", "organization"], "MST0101234567"),
        (vec!["Huyện Đắk Song", "a|b"], "Nguyễn, \"Văn\" A"),
        (vec![], ""),
    ] {
        let mut args = vec!["--keys", "--seed", "KQXS 01/10/2024 — giải đặc biệt 123456"];
        for v in &values {
            args.extend(["--value", v]);
        }
        args.extend(["--applicant", applicant]);
        let o = redraw(&args);
        let (out, err) = text(&o);
        assert!(o.status.success(), "{err}");
        assert_eq!(out.trim(), k.member_key(&values, applicant).to_string());
    }
}

/// Draws with the binary, re-draws with Python, and compares the lists byte for byte.
fn same_lists(records_text: &str, design: &str) {
    let dir = Dir::new();
    let rec = dir.write("records.csv", records_text);
    let o = sample_cli(
        &dir,
        "records.csv",
        design,
        "kiểm tra 42",
        "out",
        &["--max-rejected", "1"],
    );
    assert!(o.status.success(), "{:?}", text(&o));
    let lists = dir.path("lists.csv");
    let o = redraw(&[
        "--records",
        p(&rec),
        "--manifest",
        p(&dir.path("out/manifest.json")),
        "--sample",
        p(&dir.path("out/sample.csv")),
        "--out",
        p(&lists),
    ]);
    let (stdout, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{stdout}{err}");
    assert!(stdout.contains("IDENTICAL"), "{stdout}");
    assert!(stdout.contains("list rows match"), "{stdout}");
    // sample.csv starts with the byte-order mark, which the Python re-draw reads past.
    let bytes = std::fs::read(dir.path("out/sample.csv")).unwrap();
    assert_eq!(&bytes[..4], b"\xEF\xBB\xBFs");
    // The first five columns of sample.csv, written the same way, are the Python lists.
    let mut rdr = csv::Reader::from_path(dir.path("out/sample.csv")).unwrap();
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    w.write_record(["stratum", "role", "rank", "applicant_id", "record_id"])
        .unwrap();
    for r in rdr.records() {
        let r = r.unwrap();
        w.write_record(r.iter().take(5)).unwrap();
    }
    let ours = String::from_utf8(w.into_inner().unwrap()).unwrap();
    assert_eq!(ours, dir.read("lists.csv"));
}

#[test]
fn python_redraws_the_test_vector_frame() {
    same_lists(&records(3), DESIGN);
}

#[test]
fn python_redraws_a_generated_province_with_two_strata_columns_and_rejections() {
    let mut t = province(6_000);
    // A few broken rows: both implementations must reject the same ones.
    let first_id = t
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .to_string();
    let dup = t.lines().nth(2).unwrap().replacen(
        t.lines().nth(2).unwrap().split(',').next().unwrap(),
        &first_id,
        1,
    );
    t.push_str(&dup);
    t.push('\n');
    t.push_str("X1,SO01,,,,,,,,,,,,,,2024-02-02\nX2,SO01,Z,,,,,,,,,,,,,2024-02-31\nX3,SO01\n");
    let design = r#"
[frame]
window = ["2024-01-01", "2024-09-30"]
strata = ["unit_group", "applicant_type"]
[size]
mode = "allocate"
total = 500
allocation = "neyman"
min = 10
[reserve]
ratio = 0.3
"#;
    same_lists(&t, design);
}

#[test]
fn python_redraws_the_documented_test_vectors() {
    let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/test-vectors"));
    let tmp = Dir::new();
    let out = tmp.path("out");
    let o = chiso(&[
        "sample",
        "--records",
        p(&dir.join("records.csv")),
        "--design",
        p(&dir.join("design.toml")),
        "--seed",
        "chiso test vector 1",
        "--out",
        p(&out),
    ]);
    assert!(o.status.success(), "{:?}", text(&o));
    let lists = tmp.path("lists.csv");
    let o = redraw(&[
        "--records",
        p(&dir.join("records.csv")),
        "--manifest",
        p(&out.join("manifest.json")),
        "--out",
        p(&lists),
    ]);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    assert_eq!(
        std::fs::read_to_string(&lists).unwrap(),
        std::fs::read_to_string(dir.join("lists.csv")).unwrap()
    );
}

#[test]
fn stratum_values_that_would_make_labels_collide_are_rejected_alike() {
    // With two stratum columns, (U1, direct|online) and (U1|direct, online) would both be
    // labelled `U1|direct|online`: both rows are rejected, by the binary and by Python.
    let text_ = "record_id,unit_code,applicant_id,returned_date,channel\n\
                 R1,U1,A,2024-03-01,direct|online\nR2,U1|direct,B,2024-03-02,online\n\
                 R3,U1,C,2024-03-03,direct\nR4,U1,D,2024-03-04,online\nR5,U2,E,2024-03-05,direct\n";
    let design = "[frame]\nwindow = [\"2024-01-01\", \"2024-09-30\"]\nstrata = [\"unit_code\", \"channel\"]\n\
                  [size]\nmode = \"fixed\"\nn = 1\n[reserve]\ncount = 1\n";
    let dir = Dir::new();
    dir.write("records.csv", text_);
    let o = sample_cli(
        &dir,
        "records.csv",
        design,
        "s",
        "out",
        &["--max-rejected", "1"],
    );
    assert!(o.status.success(), "{:?}", text(&o));
    let rejected = dir.read("out/rejected.csv");
    assert_eq!(rejected.lines().count(), 3, "{rejected}");
    assert!(
        rejected.contains("2,channel,direct|online") && rejected.contains("3,unit_code,U1|direct"),
        "{rejected}"
    );
    assert!(!dir.read("out/sample.csv").contains("U1|direct|online"));
    same_lists(text_, design);
}

#[test]
fn identifiers_with_control_characters_or_spreadsheet_errors_are_rejected_alike() {
    let text_ = "record_id,unit_code,applicant_id,returned_date\n\
                 R1,U1,A\u{0}1,2024-03-01\n#N/A,U1,B,2024-03-02\nR3,U1,#ref!,2024-03-03\n\
                 R4,U1,D,2024-03-04\nR5,U1,E,2024-03-05\nR6,U1,F,2024-03-06\nR7,U2,G,2024-03-07\n";
    let dir = Dir::new();
    dir.write("records.csv", text_);
    let o = sample_cli(
        &dir,
        "records.csv",
        DESIGN,
        "s",
        "out",
        &["--max-rejected", "1"],
    );
    assert!(o.status.success(), "{:?}", text(&o));
    let rejected = dir.read("out/rejected.csv");
    assert_eq!(rejected.lines().count(), 4, "{rejected}");
    assert!(
        rejected.contains("control character") && rejected.contains("spreadsheet error"),
        "{rejected}"
    );
    let sample = dir.read("out/sample.csv");
    assert!(!sample.contains('\0') && !sample.contains("#N/A") && !sample.contains("#ref!"));
    same_lists(text_, DESIGN);
}

#[test]
fn boolean_identifiers_are_rejected_alike_from_a_csv_and_from_boolean_cells() {
    // TRUE/FALSE is what a sheet shows in a boolean cell; other programs write True, false.
    let text_ = "record_id,unit_code,applicant_id,returned_date\n\
                 TRUE,U1,A,2024-03-01\nR2,U1,FALSE,2024-03-02\nR3,U1,true,2024-03-03\n\
                 False,U1,D,2024-03-04\nR5,U1,E,2024-03-05\nR6,U1,TRUE1,2024-03-06\n\
                 R7,U1,G,2024-03-07\nR8,U1,H,2024-03-08\nR9,U2,I,2024-03-09\n";
    let dir = Dir::new();
    dir.write("records.csv", text_);
    // The same rows as a workbook whose TRUE and FALSE are boolean cells.
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (r, line) in text_.lines().enumerate() {
        for (c, v) in line.split(',').enumerate() {
            let (r, c) = (r as u32, c as u16);
            match v {
                "TRUE" | "FALSE" => ws.write_boolean(r, c, v == "TRUE").map(|_| ()),
                _ => ws.write_string(r, c, v).map(|_| ()),
            }
            .unwrap();
        }
    }
    wb.save(dir.path("records.xlsx")).unwrap();
    let mut book = calamine::open_workbook_auto(dir.path("records.xlsx")).unwrap();
    let range = calamine::Reader::worksheet_range_at(&mut book, 0)
        .unwrap()
        .unwrap();
    assert_eq!(range.get((1, 0)), Some(&calamine::Data::Bool(true)));

    for (records, out) in [("records.csv", "csv"), ("records.xlsx", "xlsx")] {
        let o = sample_cli(&dir, records, DESIGN, "s", out, &["--max-rejected", "1"]);
        assert!(o.status.success(), "{:?}", text(&o));
        let rejected = dir.read(&format!("{out}/rejected.csv"));
        assert_eq!(rejected.lines().count(), 5, "{rejected}");
        assert_eq!(
            rejected.matches("spreadsheet boolean").count(),
            4,
            "{rejected}"
        );
        assert!(!rejected.contains("TRUE1"), "{rejected}");
        let sample = dir.read(&format!("{out}/sample.csv"));
        assert!(sample.contains("TRUE1"), "{sample}");
        assert!(
            !sample.contains(",TRUE,") && !sample.contains(",FALSE,"),
            "{sample}"
        );
    }
    assert_eq!(dir.read("csv/sample.csv"), dir.read("xlsx/sample.csv"));
    assert_eq!(dir.read("csv/rejected.csv"), dir.read("xlsx/rejected.csv"));
    same_lists(text_, DESIGN);
}

/// Identifiers, stratum values and names that a spreadsheet would run as formulas: chiso and
/// Python write the same `'` in front of the same cells, and both read them back as the
/// records have them.
#[test]
fn cells_that_look_like_formulas_are_written_and_read_back_alike() {
    let ids = [
        "=HYPERLINK(\"http://x\",\"y\")",
        "+SUM(A1)",
        "@cmd",
        "-2+3",
        "-5",
        "'=x",
        "''@y",
        "'plain",
        "-cmd",
        "=1+1",
    ];
    let mut t = String::from("record_id,unit_code,applicant_id,returned_date,applicant_name\n");
    for (u, unit) in ["=U1", "@U2", "U3"].iter().enumerate() {
        for (a, id) in ids.iter().enumerate() {
            let cells = [
                format!("-R{u}{a}"),
                unit.to_string(),
                id.to_string(),
                format!("2024-03-{:02}", a + 1),
                format!("+{id}"),
            ];
            let quoted: Vec<String> = cells
                .iter()
                .map(|c| format!("\"{}\"", c.replace('"', "\"\"")))
                .collect();
            t.push_str(&quoted.join(","));
            t.push('\n');
        }
    }
    same_lists(&t, DESIGN);
    let dir = Dir::new();
    dir.write("records.csv", &t);
    let o = sample_cli(&dir, "records.csv", DESIGN, "s", "out", &[]);
    assert!(o.status.success(), "{:?}", text(&o));
    let sample = dir.read("out/sample.csv");
    assert!(sample.contains("'=U1,"), "{sample}");
    assert!(
        sample.contains(",\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\","),
        "{sample}"
    );
    assert!(!sample.contains(",=") && !sample.contains(",+") && !sample.contains(",@"));
    // An edited list is found by Python too.
    dir.write(
        "edited.csv",
        &sample.replacen(",official,1,", ",official,9,", 1),
    );
    let o = redraw(&[
        "--records",
        p(&dir.path("records.csv")),
        "--manifest",
        p(&dir.path("out/manifest.json")),
        "--sample",
        p(&dir.path("edited.csv")),
    ]);
    let (stdout, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{stdout}{err}");
    assert!(stdout.contains("official rank 9"), "{stdout}");
}

/// The message of a refusal: the line that names the file.
fn error_line(err: &str) -> &str {
    err.lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or(err)
}

/// `damaged` is refused by the binary and by Python alike: exit 2, the same message naming
/// the line where a stray quote opens (Python given the manifest of an undamaged draw).
fn refused_alike(damaged: &str, want: &str) {
    let dir = Dir::new();
    dir.write("good.csv", &records_with_addresses(3));
    let o = sample_cli(&dir, "good.csv", DESIGN, "s", "good", &[]);
    assert!(o.status.success(), "{:?}", text(&o));
    let rec = dir.write("records.csv", damaged);
    let o = sample_cli(
        &dir,
        "records.csv",
        DESIGN,
        "s",
        "out",
        &["--max-rejected", "1"],
    );
    let (_, ours) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{ours}");
    let o = redraw(&[
        "--records",
        p(&rec),
        "--manifest",
        p(&dir.path("good/manifest.json")),
    ]);
    let (out, theirs) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}{theirs}");
    assert_eq!(error_line(&theirs), error_line(&ours));
    assert!(error_line(&ours).contains(want), "{ours}");
}

#[test]
fn stray_quotes_that_swallow_lines_are_refused_alike() {
    // In a file without quotes, an unclosed quote in the last column of the first row, and
    // one in the header.
    let plain = records(3);
    let first = plain.lines().nth(1).unwrap();
    let at = first.rfind(',').unwrap() + 1;
    let damaged = plain.replacen(first, &format!("{}\"{}", &first[..at], &first[at..]), 1);
    refused_alike(
        &damaged,
        "line 2: a quote opens a cell here (row 2, column `phone`) that never closes: the rest \
         of the file (33 lines) would be one cell; remove the stray quote, or close the cell \
         where it should end",
    );
    let damaged = plain.replacen(",phone", ",\"phone", 1);
    refused_alike(
        &damaged,
        "line 1: a quote opens a cell here (row 1, cell 7) that never closes: the rest of the \
         file (34 lines)",
    );
    // With quoted addresses: an unclosed quote on the last line (CRLF), and stray quotes
    // that the next quoted address closes, in rows then of another shape.
    let t = records_with_addresses(3);
    let line = |k: usize| t.lines().nth(k).unwrap();
    let damaged = format!("{}\"Huế\r\n", t.strip_suffix("Huế\n").unwrap());
    refused_alike(
        &damaged,
        "line 35: a quote opens a cell here (row 34, column `address`) that never closes: the \
         rest of the file (1 line)",
    );
    let damaged = t.replacen(line(1), &line(1).replacen(",Huế", ",\"Huế", 1), 1);
    refused_alike(
        &damaged,
        "line 2: a quote opens a cell here (row 2, column `address`) that closes only on line \
         8: lines 2 to 8 read as one row of 9 cells where the header has 8; remove the stray \
         quote, or close the cell where it should end",
    );
    let damaged = t.replacen(line(3), &line(3).replacen(",Nguyễn", ",\"Nguyễn", 1), 1);
    refused_alike(
        &damaged,
        "line 4: a quote opens a cell here (row 4, column `applicant_name`) that closes only \
         on line 8: lines 4 to 8 read as one row of 7 cells where the header has 8",
    );
    // The same with CRLF line ends and two blank lines before it.
    let damaged = damaged
        .replace('\n', "\r\n")
        .replacen("\r\n", "\r\n\r\n", 2);
    refused_alike(
        &damaged,
        "line 6: a quote opens a cell here (row 4, column `applicant_name`) that closes only \
         on line 10: lines 6 to 10 read as one row of 7 cells",
    );
}

#[test]
fn python_redraws_records_with_a_quoted_address_over_several_lines() {
    same_lists(&records_with_addresses(3), DESIGN);
}

#[test]
fn python_redraws_the_recheck_subsample() {
    let dir = Dir::new();
    // Formula-like ids and a non-ASCII stratum are written alike.
    let mut rows = crate::recheck::responses();
    rows.push("=HYPERLINK(1),Sở Nội vụ,IV0,,4".to_string());
    rows.push("-2+3,Sở Nội vụ,IV1,refusal,".to_string());
    rows.push("B-1,Sở Nội vụ,IV1,Non-Contact,".to_string());
    // Dispositions in Vietnamese, as interviewers enter them, in other case and spacing.
    rows.push("C-1,Sở Nội vụ,IV0,TỪ  chối,".to_string());
    rows.push("C-2,Sở Nội vụ,IV1,không liên lạc được,".to_string());
    rows.push("C-3,Sở Nội vụ,IV1,Hoàn thành,5".to_string());
    rows.push("C-4,Sở Nội vụ,IV0,Không thuộc đối tượng,".to_string());
    // Saved by Excel as "CSV" with semicolons, below a title row.
    let semicolons = crate::recheck::file(&rows)
        .lines()
        .map(|l| {
            let mut r = csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(l.as_bytes());
            let cells = r.records().next().unwrap().unwrap();
            let mut w = csv::WriterBuilder::new()
                .delimiter(b';')
                .from_writer(Vec::new());
            w.write_record(&cells).unwrap();
            String::from_utf8(w.into_inner().unwrap()).unwrap()
        })
        .collect::<String>();
    dir.write(
        "responses.csv",
        &format!("DANH SÁCH PHIẾU;;;;\n{semicolons}"),
    );
    for (share, extra) in [
        ("0.1", vec![]),
        ("0.35", vec!["--refusals", "0.5"]),
        ("1", vec!["--by", "interviewer", "--refusals", "1"]),
    ] {
        let o = crate::recheck::recheck(&dir, "responses.csv", "KQXS 01/10/2024", share, &extra);
        assert!(o.status.success(), "{:?}", text(&o));
        let (mine, responses) = (dir.path("python.csv"), dir.path("responses.csv"));
        let mut args = vec![
            "--recheck",
            "--responses",
            p(&responses),
            "--seed",
            "KQXS 01/10/2024",
            "--share",
            share,
            "--out",
            p(&mine),
        ];
        args.extend(&extra);
        let o = redraw(&args);
        assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
        assert!(dir.read("out/recheck.csv").starts_with('\u{feff}'));
        assert_eq!(
            dir.read("out/recheck.csv"),
            dir.read("python.csv"),
            "{share} {extra:?}"
        );
    }
}

/// Records whose dates take every accepted form (with and without a time of day, the time
/// before or after the date) and some that are not dates, and whose applicant types are
/// written as offices write them: `types[i % types.len()]` on row `i`.
fn office_records(types: &[&str]) -> String {
    let dates = [
        "2024-03-05",
        "5/3/2024",
        "05-03-2024",
        "5.3.2024",
        "2024-03-06 17:30",
        "2024-03-06T08:00:00",
        "06/03/2024 7:05",
        "17:30 07.03.2024",
        "08:15:00 2024-03-07",
        "2024-03-08 09:30:00.000",
        "31-12-2023",
        "2024-10-01 08:00",
        // Not dates: both reject these rows.
        "2024-03-05 24:00",
        "2024-03-05 08:60",
        "2024-03-05  08:00",
        "05/03-2024",
        "2024-03-05 8h",
    ];
    let mut t = String::from("record_id,unit_code,applicant_id,returned_date,applicant_type\n");
    for i in 0..120 {
        // A few applicants come more than once: the latest return is kept, by its day.
        let applicant = format!("A{:03}", i % 97);
        let date = dates[(i * 7) % dates.len()];
        let kind = types[i % types.len()];
        t.push_str(&format!("R{i:04},U{},{applicant},{date},{kind}\n", i % 2));
    }
    t
}

#[test]
fn python_redraws_office_dates_and_applicant_types_alike() {
    let nfd = "Ca\u{0301} nha\u{0302}n"; // "Cá nhân" decomposed
    let mut defaults: Vec<String> = chiso::records::DEFAULT_CITIZEN
        .iter()
        .chain(chiso::records::DEFAULT_ORGANIZATION.iter())
        .map(|s| s.to_string())
        .collect();
    // As offices type them: capitals, spacing, another Unicode form; and one unknown.
    defaults.extend(
        [
            "CÔNG  DÂN",
            " Hộ Kinh Doanh ",
            "DOANH NGHIỆP",
            nfd,
            "Citizen",
            "Công an",
        ]
        .map(String::from),
    );
    let defaults: Vec<&str> = defaults.iter().map(String::as_str).collect();
    let strata = r#"
[frame]
window = ["01/01/2024", "30.09.2024"]
strata = ["unit_code", "applicant_type"]
[size]
mode = "fixed"
n = 4
[reserve]
count = 2
"#;
    same_lists(&office_records(&defaults), strata);
    // The design's own lists, recorded in the manifest: the household business is an
    // organisation here, and the defaults are not read.
    let own = format!(
        "{strata}[applicant_types]\ncitizen = [\"Công dân\", \"Cá nhân\"]\n\
         organization = [\"Doanh nghiệp\", \"Hộ kinh doanh\", \"Hợp tác xã\"]\n"
    );
    let types = [
        "công dân",
        "HỘ KINH DOANH",
        "Doanh  nghiệp",
        nfd,
        "hợp tác xã",
        "Tổ chức",
        "organization",
    ];
    same_lists(&office_records(&types), &own);

    // The binary and its verify agree on what was rejected, and why.
    let dir = Dir::new();
    dir.write("records.csv", &office_records(&types));
    let o = sample_cli(
        &dir,
        "records.csv",
        &own,
        "s",
        "out",
        &["--max-rejected", "1"],
    );
    assert!(o.status.success(), "{:?}", text(&o));
    let manifest = dir.read("out/manifest.json");
    assert!(manifest.contains("\"applicant_types\""), "{manifest}");
    let rejected = dir.read("out/rejected.csv");
    assert!(rejected.contains("2024-03-05 24:00"), "{rejected}");
    assert!(rejected.contains("expected a date such as 2025-03-15, 15/03/2025, 15-03-2025 or 15.03.2025, optionally with a time such as 17:30"), "{rejected}");
    // "Tổ chức" is not in the design's lists: rejected, where the defaults would read it.
    assert!(rejected.contains("Tổ chức"), "{rejected}");
    assert!(
        !rejected.contains("Hộ kinh doanh") && !rejected.contains("HỘ KINH DOANH"),
        "{rejected}"
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
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    // Without the table the manifest's design is as before: no key for it.
    let dir = Dir::new();
    dir.write("records.csv", &office_records(&defaults));
    let o = sample_cli(
        &dir,
        "records.csv",
        strata,
        "s",
        "out",
        &["--max-rejected", "1"],
    );
    assert!(o.status.success(), "{:?}", text(&o));
    assert!(!dir.read("out/manifest.json").contains("applicant_types"));
}
