//! Files as offices have them: the one-stop software's exports (semicolons, tabs, title rows
//! above the header, Vietnamese headers in either Unicode form), read with no hand editing.

use unicode_normalization::UnicodeNormalization;

use crate::util::*;

/// The Vietnamese headers of an export, for the columns of the demo's records.
const HEADERS: [(&str, &str); 8] = [
    ("record_id", "Mã hồ sơ"),
    ("unit_code", "Mã đơn vị"),
    ("unit_name", "Tên đơn vị"),
    ("applicant_id", "Số CCCD/MST"),
    ("applicant_name", "Họ và tên"),
    ("phone", "Số điện thoại"),
    ("address", "Địa chỉ"),
    ("returned_date", "Ngày trả kết quả"),
];

/// `--columns` options mapping the contract's names to [`HEADERS`], one option per pair.
fn columns_args() -> Vec<String> {
    HEADERS
        .iter()
        .flat_map(|(name, header)| ["--columns".to_string(), format!("{name}={header}")])
        .collect()
}

/// `rows` with every `YYYY-MM-DD` date below the header written as `DD{sep}MM{sep}YYYY`,
/// followed by a time of day when `time` is given (as the one-stop software writes them).
fn dates_as(mut rows: Vec<Vec<String>>, sep: char, time: Option<&str>) -> Vec<Vec<String>> {
    for row in rows.iter_mut().skip(1) {
        for cell in row.iter_mut() {
            if let Some(d) = chiso::records::parse_date(cell).filter(|_| cell.len() == 10) {
                use chrono::Datelike;
                let mut text = format!("{:02}{sep}{:02}{sep}{}", d.day(), d.month(), d.year());
                if let Some(t) = time {
                    text = format!("{text} {t}");
                }
                *cell = text;
            }
        }
    }
    rows
}

/// The rows of a CSV text, the header renamed to [`HEADERS`] (in NFD when `nfd`).
fn office_rows(plain: &str, nfd: bool) -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(plain.as_bytes());
    let mut rows: Vec<Vec<String>> = r
        .records()
        .map(|rec| rec.unwrap().iter().map(String::from).collect())
        .collect();
    for h in rows[0].iter_mut() {
        if let Some((_, vi)) = HEADERS.iter().find(|(name, _)| name == h) {
            *h = if nfd {
                vi.nfd().collect()
            } else {
                vi.to_string()
            };
        }
    }
    rows
}

/// The title rows of an export above its header, each as wide as the header.
fn title_rows(width: usize) -> Vec<Vec<String>> {
    ["UBND TỈNH QUẢNG TRỊ", "DANH SÁCH HỒ SƠ ĐÃ TRẢ KẾT QUẢ", ""]
        .iter()
        .map(|t| {
            let mut row = vec![String::new(); width];
            row[0] = t.to_string();
            row
        })
        .collect()
}

/// `rows` as CSV text separated by `delimiter`, with CRLF line ends and a byte-order mark.
fn written_with(rows: &[Vec<String>], delimiter: u8) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .terminator(csv::Terminator::CRLF)
        .from_writer(b"\xef\xbb\xbf".to_vec());
    for row in rows {
        w.write_record(row).unwrap();
    }
    w.into_inner().unwrap()
}

/// The rows of a `sample.csv`, each date (with or without a time of day) as `YYYY-MM-DD`.
fn as_iso(sample_csv: &[u8]) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(sample_csv)
        .records()
        .map(|r| {
            r.unwrap()
                .iter()
                .map(|c| match chiso::records::parse_date(c) {
                    Some(d) if c.len() >= 10 => d.to_string(),
                    _ => c.to_string(),
                })
                .collect()
        })
        .collect()
}

/// Draws from `records` in `dir` into `out` (with `extra` options) and checks it succeeded;
/// returns `sample.csv` and the manifest.
fn drawn(dir: &Dir, records: &str, out: &str, extra: &[String]) -> (Vec<u8>, serde_json::Value) {
    let design = std::fs::read_to_string(dir.path("design.toml")).unwrap();
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    let o = sample_cli(dir, records, &design, "KQXS 01-12-2026", out, &extra);
    let (stdout, stderr) = text(&o);
    assert!(o.status.success(), "{records}: {stdout}{stderr}");
    let manifest = std::fs::read_to_string(dir.path(&format!("{out}/manifest.json"))).unwrap();
    (
        std::fs::read(dir.path(&format!("{out}/sample.csv"))).unwrap(),
        serde_json::from_str(&manifest).unwrap(),
    )
}

#[test]
fn exports_in_each_dialect_and_layout_draw_the_same_lists_as_the_plain_file() {
    let dir = Dir::new();
    let plain = province(3_000);
    dir.write("records.csv", &plain);
    dir.write(
        "design.toml",
        "[frame]\nwindow = [\"2024-01-01\", \"2024-09-30\"]\nstrata = [\"unit_code\"]\n\
         [size]\nmode = \"fixed\"\nn = 8\n[reserve]\ncount = 3\n",
    );
    let (want_csv, want) = drawn(&dir, "records.csv", "plain", &[]);

    let mut variants: Vec<(&str, Vec<String>)> = Vec::new();
    // Semicolons, title rows, CRLF, NFD headers.
    // Dates as DD-MM-YYYY.
    let mut rows = title_rows(office_rows(&plain, true)[0].len());
    rows.extend(dates_as(office_rows(&plain, true), '-', None));
    assert!(
        rows[4]
            .iter()
            .any(|c| c.len() == 10 && c.as_bytes()[2] == b'-')
    );
    std::fs::write(dir.path("semicolons.csv"), written_with(&rows, b';')).unwrap();
    variants.push(("semicolons.csv", columns_args()));
    // Tabs, no title rows, NFC headers, dates as DD.MM.YYYY with a time of day.
    let tabs = dates_as(office_rows(&plain, false), '.', Some("17:30"));
    std::fs::write(dir.path("tabs.txt"), written_with(&tabs, b'\t')).unwrap();
    variants.push(("tabs.txt", columns_args()));
    // Given rather than found.
    let mut given = columns_args();
    given.extend(["--delimiter", ";", "--header-row", "4"].map(String::from));
    variants.push(("semicolons.csv", given));
    // A workbook with title rows above the header.
    let mut as_csv = Vec::new();
    {
        let mut w = csv::Writer::from_writer(&mut as_csv);
        for row in &rows {
            w.write_record(row).unwrap();
        }
    }
    csv_to_xlsx(
        &String::from_utf8(as_csv).unwrap(),
        &dir.path("export.xlsx"),
    );
    variants.push(("export.xlsx", columns_args()));

    for (k, (file, extra)) in variants.iter().enumerate() {
        let out = format!("v{k}");
        let (got_csv, got) = drawn(&dir, file, &out, extra);
        // The same rows; the dates as the export wrote them.
        assert_eq!(as_iso(&got_csv), as_iso(&want_csv), "{file} {extra:?}");
        if !file.starts_with("semi") && !file.starts_with("tabs") {
            assert_eq!(got_csv, want_csv, "{file}: byte for byte");
        }
        for key in ["frame_digest", "sample_digest", "totals", "strata"] {
            assert_eq!(got[key], want[key], "{file}: {key}");
        }
        let expect_row = if file.ends_with(".xlsx") || file.starts_with("semi") {
            Some(4)
        } else {
            None
        };
        assert_eq!(got["records"]["header_row"].as_u64(), expect_row, "{file}");
        // The auditor's check finds the same layout again.
        let records = dir.path(file);
        let manifest = dir.path(&format!("{out}/manifest.json"));
        let sample = dir.path(&format!("{out}/sample.csv"));
        let o = chiso(&[
            "verify",
            "--records",
            p(&records),
            "--manifest",
            p(&manifest),
            "--sample",
            p(&sample),
        ]);
        let (stdout, stderr) = text(&o);
        assert!(o.status.success(), "{file}: {stdout}{stderr}");
        // And so does the independent re-draw, for a CSV file.
        if !file.ends_with(".xlsx") {
            let o = redraw(&[
                "--records",
                p(&records),
                "--manifest",
                p(&manifest),
                "--sample",
                p(&sample),
            ]);
            let (stdout, stderr) = text(&o);
            assert!(
                o.status.success() && stdout.contains("IDENTICAL"),
                "{file}: {stdout}{stderr}"
            );
        }
    }
    let (_, m) = drawn(&dir, "semicolons.csv", "again", &columns_args());
    assert_eq!(m["records"]["delimiter"], ";");
}

#[test]
fn a_header_that_is_not_found_is_named_with_what_to_do() {
    let dir = Dir::new();
    let plain = province(300);
    let mut rows = title_rows(office_rows(&plain, false)[0].len());
    rows.extend(office_rows(&plain, false));
    std::fs::write(dir.path("r.csv"), written_with(&rows, b';')).unwrap();
    dir.write("design.toml", DESIGN);
    // Without the mapping, no row holds the required columns: the first row is the header,
    // read with the delimiter that splits it most, and the message says what is missing.
    let o = sample_cli(&dir, "r.csv", DESIGN, "x", "out", &[]);
    let (_, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("record_id") && stderr.contains("--columns"),
        "{stderr}"
    );
    assert!(!dir.path("out").exists());
    let o = sample_cli(&dir, "r.csv", DESIGN, "x", "out", &["--delimiter", "|"]);
    let (_, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("expected `,` `;` or `tab`"), "{stderr}");
}

#[test]
fn a_unit_written_in_either_unicode_form_is_one_stratum() {
    let dir = Dir::new();
    let unit = "XÃ-ĐỨC-HÒA";
    let mut csv_text = String::from("record_id,unit_code,applicant_id,returned_date\n");
    for i in 0..40 {
        let code: String = if i % 2 == 0 {
            unit.to_string()
        } else {
            unit.nfd().collect()
        };
        csv_text += &format!("R{i},{code},A{i},2024-03-01\n");
    }
    dir.write("r.csv", &csv_text);
    let o = sample_cli(&dir, "r.csv", DESIGN, "x", "out", &[]);
    assert!(o.status.success(), "{:?}", text(&o));
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path("out/manifest.json")).unwrap())
            .unwrap();
    assert_eq!(m["strata"].as_array().unwrap().len(), 1);
    assert_eq!(m["strata"][0]["stratum"], unit);
    assert_eq!(m["strata"][0]["frame_size"], 40);
    let records = dir.path("r.csv");
    let manifest = dir.path("out/manifest.json");
    let o = redraw(&["--records", p(&records), "--manifest", p(&manifest)]);
    assert!(o.status.success(), "{:?}", text(&o));
}

#[test]
fn paths_with_vietnamese_letters_and_spaces_work() {
    let dir = Dir::new();
    std::fs::create_dir(dir.path("Sở Nội vụ")).unwrap();
    dir.write("Sở Nội vụ/hồ sơ một cửa 2026.csv", &records(3));
    let o = sample_cli(
        &dir,
        "Sở Nội vụ/hồ sơ một cửa 2026.csv",
        DESIGN,
        "KQXS 01-12-2026",
        "Sở Nội vụ/mẫu ngày 1",
        &[],
    );
    assert!(o.status.success(), "{:?}", text(&o));
    let records = dir.path("Sở Nội vụ/hồ sơ một cửa 2026.csv");
    let manifest = dir.path("Sở Nội vụ/mẫu ngày 1/manifest.json");
    let o = chiso(&[
        "verify",
        "--records",
        p(&records),
        "--manifest",
        p(&manifest),
    ]);
    let (stdout, stderr) = text(&o);
    assert!(o.status.success(), "{stdout}{stderr}");
    // The manifest names the file without its folder.
    let m = std::fs::read_to_string(&manifest).unwrap();
    assert!(m.contains("\"file\": \"hồ sơ một cửa 2026.csv\""), "{m}");
}

/// The Vietnamese headers a one-stop export has for the demo's records columns.
const DEMO_HEADERS: [(&str, &str); 16] = [
    ("record_id", "Mã hồ sơ"),
    ("unit_code", "Mã đơn vị"),
    ("unit_name", "Tên đơn vị"),
    ("unit_group", "Cấp"),
    ("applicant_id", "Số CCCD/MST"),
    ("applicant_type", "Đối tượng"),
    ("applicant_name", "Họ, tên người nộp"),
    ("phone", "Số điện thoại"),
    ("address", "Địa chỉ"),
    ("officer_id", "Cán bộ tiếp nhận"),
    ("procedure_code", "Mã thủ tục"),
    ("field", "Lĩnh vực"),
    ("channel", "Hình thức nộp"),
    ("received_date", "Ngày tiếp nhận"),
    ("due_date", "Ngày hẹn trả"),
    ("returned_date", "Ngày trả kết quả"),
];

/// The labels of the demo's scale, 1 to 5, as a form offers them.
const DEMO_LABELS: [&str; 5] = [
    "Rất không hài lòng",
    "Không hài lòng",
    "Bình thường",
    "Hài lòng",
    "Rất hài lòng",
];

/// A CSV file's rows.
fn csv_rows(path: &std::path::Path) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(path)
        .unwrap()
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect()
}

/// `text` as a person might type it into a form or a sheet: row `i` decides whether in
/// capitals, with doubled spaces, or decomposed (NFD).
fn typed_as(text: &str, i: usize) -> String {
    match i % 4 {
        0 => text.to_string(),
        1 => text.to_uppercase(),
        2 => format!(" {} ", text.replace(' ', "  ")),
        _ => text.nfd().collect(),
    }
}

#[test]
fn the_demo_s_files_as_offices_have_them_give_the_same_lists_and_indices() {
    let dir = Dir::new();
    let demo = dir.path("demo");
    let o = chiso(&["demo", "--records", "12000", "--out", p(&demo)]);
    assert!(o.status.success(), "{:?}", text(&o));
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(demo.join("sample/manifest.json")).unwrap())
            .unwrap();
    let seed = manifest["seed"].as_str().unwrap().to_string();

    // The records as the one-stop software exports them: title rows, semicolons, Vietnamese
    // headers, DD-MM-YYYY dates with a time on the returned date, applicant types in words.
    let plain = csv_rows(&demo.join("records.csv"));
    let width = plain[0].len();
    let mut rows = title_rows(width);
    for (i, row) in plain.iter().enumerate() {
        let mut row = row.clone();
        for (k, cell) in row.iter_mut().enumerate() {
            let column = plain[0][k].as_str();
            if i == 0 {
                let (_, vi) = DEMO_HEADERS.iter().find(|(n, _)| *n == column).unwrap();
                *cell = vi.to_string();
            } else if column == "applicant_type" {
                *cell = match cell.as_str() {
                    "citizen" => typed_as("Công dân", i),
                    _ => typed_as("Doanh nghiệp", i),
                };
            }
        }
        rows.push(row);
    }
    let rows = dates_as(rows, '-', None);
    let records = dir.path("Danh sách hồ sơ.csv");
    std::fs::write(&records, written_with(&rows, b';')).unwrap();
    let mut args = vec![
        "sample".to_string(),
        "--records".into(),
        p(&records).into(),
        "--design".into(),
        p(&demo.join("design.toml")).into(),
        "--seed".into(),
        seed,
        "--out".into(),
        p(&dir.path("sample")).into(),
    ];
    for (name, header) in DEMO_HEADERS {
        args.extend(["--columns".to_string(), format!("{name}={header}")]);
    }
    let o = chiso(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(o.status.success(), "{:?}", text(&o));
    let drawn: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path("sample/manifest.json")).unwrap())
            .unwrap();
    for key in ["frame_digest", "sample_digest", "totals"] {
        assert_eq!(drawn[key], manifest[key], "{key}");
    }
    let read = |p: &std::path::Path| as_iso(&std::fs::read(p).unwrap());
    assert_eq!(
        read(&dir.path("sample/sample.csv")),
        read(&demo.join("sample/sample.csv"))
    );

    // The responses as an online form exports them: a timestamp and an e-mail address, the
    // question texts as headers, the answers and dispositions as words, typed every way.
    let q_text = std::fs::read_to_string(demo.join("questionnaire.toml")).unwrap();
    let q: toml::Table = toml::from_str(&q_text).unwrap();
    let texts = q["items"].as_table().unwrap();
    let coded = csv_rows(&demo.join("responses.csv"));
    let mut export = vec![vec![
        "Dấu thời gian".to_string(),
        "Địa chỉ email".to_string(),
        "Mã số người được khảo sát".to_string(),
        "Đơn vị".to_string(),
        "Tình trạng phiếu".to_string(),
    ]];
    export[0].extend(
        coded[0][3..]
            .iter()
            .map(|c| texts[c].as_str().unwrap().to_string()),
    );
    for (i, row) in coded.iter().enumerate().skip(1) {
        let disposition = match row[2].as_str() {
            "complete" => "Hoàn thành",
            "partial" => "Trả lời một phần",
            "refusal" => "Từ chối",
            "non_contact" => "Không liên lạc được",
            "ineligible" => "Không thuộc đối tượng khảo sát",
            other => panic!("{other}"),
        };
        let mut out = vec![
            format!(
                "{:02}/03/2026 09:{:02}:{:02}",
                1 + i % 28,
                i % 60,
                (i * 7) % 60
            ),
            format!("nguoi{i}@example.vn"),
            row[0].clone(),
            row[1].clone(),
            typed_as(disposition, i),
        ];
        out.extend(row[3..].iter().enumerate().map(|(k, a)| match a.as_str() {
            "" => String::new(),
            "0" | "9" => typed_as("Không ý kiến", i + k),
            code => typed_as(DEMO_LABELS[code.parse::<usize>().unwrap() - 1], i + k),
        }));
        export.push(out);
    }
    let forms = dir.path("Câu trả lời biểu mẫu.csv");
    let mut w = csv::Writer::from_writer(Vec::new());
    for row in &export {
        w.write_record(row).unwrap();
    }
    std::fs::write(&forms, w.into_inner().unwrap()).unwrap();
    // The demo's questionnaire offers the labels already; one without them is given them.
    let labels = DEMO_LABELS.map(|l| format!("{l:?}")).join(", ");
    let q_labelled = if q_text.contains("\nlabels = [") {
        assert!(q_text.contains(&format!("\nlabels = [{labels}]")));
        q_text.clone()
    } else {
        q_text.replacen(
            "missing = [0, 9]",
            &format!("missing = [0, 9]\nlabels = [{labels}]\nmissing_labels = [\"Không ý kiến\"]"),
            1,
        )
    };
    let q_forms = q_labelled
        + "\n[columns]\napplicant_id = \"Mã số người được khảo sát\"\nstratum = \"Đơn vị\"\n\
         disposition = \"Tình trạng phiếu\"\n";
    let q_forms_path = dir.write("forms.toml", &q_forms);
    let index = |responses: &std::path::Path, q: &std::path::Path, out: &str| {
        let out = dir.path(out);
        let o = chiso(&[
            "index",
            "--responses",
            p(responses),
            "--questionnaire",
            p(q),
            "--sample",
            p(&demo.join("sample")),
            "--out",
            p(&out),
        ]);
        assert!(o.status.success(), "{:?}", text(&o));
        out
    };
    let want = index(
        &demo.join("responses.csv"),
        &demo.join("questionnaire.toml"),
        "coded",
    );
    let got = index(&forms, &q_forms_path, "forms");
    for file in [
        "indices.csv",
        "flags.csv",
        "ranks.csv",
        "response_rates.csv",
    ] {
        assert_eq!(
            std::fs::read_to_string(got.join(file)).unwrap(),
            std::fs::read_to_string(want.join(file)).unwrap(),
            "{file}"
        );
    }
}

#[test]
fn unit_codes_in_either_unicode_form_are_one_unit_of_the_population() {
    let dir = Dir::new();
    let pop = dir.write("p.csv", "stratum,population\nXÃ-A,100\nXÃ-B,50\n");
    let q = dir.write("q.toml", ORACLE_QUESTIONNAIRE);
    let mut composed = String::from("unit_code,Q01,Q02,Q03,Q04,Q05,Q06\n");
    let mut mixed = composed.clone();
    for i in 0..24 {
        let unit = if i % 3 == 0 { "XÃ-B" } else { "XÃ-A" };
        let answers = format!("{},{},4,5,{},3", 1 + i % 5, 2 + i % 4, 1 + (i * 7) % 5);
        composed += &format!("{unit},{answers}\n");
        let written: String = if i % 2 == 0 {
            unit.nfd().collect()
        } else {
            unit.into()
        };
        mixed += &format!("{written},{answers}\n");
    }
    assert_ne!(composed, mixed);
    let run = |name: &str, body: &str| {
        let responses = dir.write(name, body);
        let out = dir.path(&format!("out-{name}"));
        let o = index_with_population(&responses, &q, &pop, &out, &[]);
        assert!(o.status.success(), "{:?}", text(&o));
        std::fs::read_to_string(out.join("indices.csv")).unwrap()
    };
    assert_eq!(run("mixed.csv", &mixed), run("composed.csv", &composed));
}
