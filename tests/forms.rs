//! Online-form exports (Google Forms, Microsoft Forms): a timestamp and an e-mail column,
//! question texts as headers, answers as labels, units by name, dispositions in Vietnamese.
//! They give exactly the indices of the same answers coded.

use unicode_normalization::UnicodeNormalization;

use crate::util::*;

const LABELS: [&str; 5] = [
    "Rất không hài lòng",
    "Không hài lòng",
    "Bình thường",
    "Hài lòng",
    "Rất hài lòng",
];

const TEXTS: [&str; 6] = [
    "Câu 1. Nơi ngồi chờ có đủ chỗ ngồi",
    "Câu 2. Thủ tục được niêm yết công khai, đầy đủ",
    "Câu 3. Công chức có thái độ giao tiếp lịch sự",
    "Câu 4. Công chức hướng dẫn kê khai hồ sơ tận tình",
    "Câu 5. Hồ sơ được trả đúng hẹn",
    "Câu 6. Phí, lệ phí đúng quy định",
];

const UNIT_HEADER: &str = "Cơ quan, đơn vị ông/bà đến giao dịch";
const DISPOSITION_HEADER: &str = "Tình trạng phiếu";

/// Unit code → (name, group) of the units file.
const UNITS: [(&str, &str, &str); 5] = [
    ("A", "Sở Tư pháp", "so"),
    ("B", "Sở Y tế", "so"),
    ("C", "UBND huyện Kim Sơn", "huyen"),
    ("D", "Sở Tài nguyên và Môi trường", "so"),
    ("E", "UBND xã Ninh Hải", "xa"),
];

/// The oracle's questionnaire with labels, no-answer label, item texts and the export's
/// headers.
fn forms_questionnaire() -> String {
    let labels: Vec<String> = LABELS.iter().map(|l| format!("{l:?}")).collect();
    let mut q = ORACLE_QUESTIONNAIRE.replace(
        "missing = [9]",
        &format!(
            "missing = [9]\nlabels = [{}]\nmissing_labels = [\"Không ý kiến\"]",
            labels.join(", ")
        ),
    );
    q += "\n[items]\n";
    for (k, t) in TEXTS.iter().enumerate() {
        q += &format!("Q{:02} = {t:?}\n", k + 1);
    }
    q += &format!(
        "\n[columns]\nunit_code = {UNIT_HEADER:?}\ndisposition = {DISPOSITION_HEADER:?}\n"
    );
    q
}

/// A text as people type it, varied by `i`: case, spacing, NFD.
fn typed(text: &str, i: usize) -> String {
    match i % 5 {
        0 => text.to_string(),
        1 => text.to_uppercase(),
        2 => format!("  {}  ", text.replace(' ', "   ")),
        3 => text.nfd().collect(),
        _ => text
            .to_lowercase()
            .nfd()
            .collect::<String>()
            .replace(' ', "\u{a0}"),
    }
}

fn quote(cell: &str) -> String {
    format!("\"{}\"", cell.replace('"', "\"\""))
}

/// The oracle's responses coded (`unit_code, Q01…Q06, disposition`), with some refusals and
/// non-contacts added, and the same as a Google-Forms export.
fn coded_and_export() -> (String, String, String) {
    let mut rdr = csv::Reader::from_path(format!("{ORACLE_FIXTURES}/responses.csv")).unwrap();
    let mut coded = String::from("unit_code,Q01,Q02,Q03,Q04,Q05,Q06,disposition\n");
    let mut export = String::from("Dấu thời gian,Địa chỉ email");
    export += &format!(",{}", quote(&typed(UNIT_HEADER, 3)));
    for (k, t) in TEXTS.iter().enumerate() {
        export += &format!(",{}", quote(&typed(t, k)));
    }
    export += &format!(",{}\n", quote(&typed(DISPOSITION_HEADER, 1)));
    let mut pop = std::collections::BTreeMap::new();
    for (i, r) in rdr.records().enumerate() {
        let r = r.unwrap();
        let cells: Vec<&str> = r.iter().collect();
        pop.insert(cells[0].to_string(), cells[1].to_string());
        let unit = cells[0];
        let (name, _, _) = UNITS.iter().find(|u| u.0 == unit).unwrap();
        // Every seventh contact a refusal, every eleventh not reached: no answers.
        let (disposition, vi, answers): (&str, &str, Vec<&str>) = if i % 7 == 6 {
            ("refusal", "Từ chối", vec![""; 6])
        } else if i % 11 == 10 {
            ("non_contact", "Không liên lạc được", vec![""; 6])
        } else if i % 2 == 0 {
            ("complete", "Hoàn thành", cells[3..].to_vec())
        } else {
            ("complete", "Đã trả lời", cells[3..].to_vec())
        };
        coded += &format!("{unit},{},{disposition}\n", answers.join(","));
        let second = i % 60;
        export += &format!(
            "15/03/2025 10:{:02}:{second:02},nguoi{i}@example.vn,{}",
            (i / 60) % 60,
            quote(&if i % 9 == 4 {
                unit.to_string() // a code is accepted as itself
            } else {
                typed(name, i)
            })
        );
        for (k, a) in answers.iter().enumerate() {
            let cell = match *a {
                "" => String::new(),
                "9" => typed("Không ý kiến", i + k),
                v => typed(LABELS[v.parse::<usize>().unwrap() - 1], i + k),
            };
            export += &format!(",{}", quote(&cell));
        }
        export += &format!(",{}\n", quote(&typed(vi, i)));
    }
    let popcsv: String = std::iter::once("stratum,population\n".to_string())
        .chain(pop.iter().map(|(k, v)| format!("{k},{v}\n")))
        .collect();
    (coded, export, popcsv)
}

fn units_csv() -> String {
    let mut s = String::from("unit_code,unit_name,unit_group\n");
    for (c, n, g) in UNITS {
        s += &format!("{c},{n},{g}\n");
    }
    s
}

fn rows(path: &std::path::Path) -> Vec<csv::StringRecord> {
    csv::Reader::from_path(path)
        .unwrap()
        .records()
        .map(|r| r.unwrap())
        .collect()
}

#[test]
fn a_forms_export_gives_exactly_the_indices_of_the_coded_answers() {
    let dir = Dir::new();
    let (coded, export, popcsv) = coded_and_export();
    let (c, f, q_coded, q_forms, pop, units) = (
        dir.write("coded.csv", &coded),
        dir.write("forms.csv", &export),
        dir.write("coded.toml", ORACLE_QUESTIONNAIRE),
        dir.write("forms.toml", &forms_questionnaire()),
        dir.write("p.csv", &popcsv),
        dir.write("units.csv", &units_csv()),
    );
    let run = |responses: &std::path::Path, q: &std::path::Path, extra: &[&str], out: &str| {
        let out = dir.path(out);
        let mut args = vec![
            "index",
            "--responses",
            p(responses),
            "--questionnaire",
            p(q),
            "--population",
            p(&pop),
            "--out",
            p(&out),
        ];
        args.extend_from_slice(extra);
        let o = chiso(&args);
        assert!(o.status.success(), "{:?}", text(&o));
        out
    };
    let coded_out = run(&c, &q_coded, &[], "coded");
    let forms_out = run(&f, &q_forms, &["--units", p(&units)], "forms");
    let (want, got) = (
        rows(&coded_out.join("indices.csv")),
        rows(&forms_out.join("indices.csv")),
    );
    assert_eq!(want.len(), 6 * 9 * 3);
    assert_eq!(got, want, "estimates, standard errors and n as coded");
    // The same export and units file as workbooks.
    let (fx, ux) = (dir.path("forms.xlsx"), dir.path("units.xlsx"));
    csv_to_xlsx(&export, &fx);
    csv_to_xlsx(&units_csv(), &ux);
    let xlsx_out = run(&fx, &q_forms, &["--units", p(&ux)], "forms-xlsx");
    assert_eq!(rows(&xlsx_out.join("indices.csv")), want, "from XLSX");
    // The export saved by Excel as "CSV" with semicolons, below a title row.
    let mut semi = csv::WriterBuilder::new()
        .delimiter(b';')
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let mut records = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(export.as_bytes());
    let width = records.headers().unwrap().len();
    let mut title = vec![String::new(); width];
    title[0] = "KẾT QUẢ KHẢO SÁT SỰ HÀI LÒNG".into();
    semi.write_record(&title).unwrap();
    for r in records.records() {
        semi.write_record(&r.unwrap()).unwrap();
    }
    let fs = dir.path("forms-semicolons.csv");
    std::fs::write(&fs, semi.into_inner().unwrap()).unwrap();
    let semi_out = run(&fs, &q_forms, &["--units", p(&units)], "forms-semi");
    assert_eq!(
        rows(&semi_out.join("indices.csv")),
        want,
        "from a semicolon export"
    );
    // The coded file with its unit under another header, mapped with --columns.
    let renamed = coded.replacen("unit_code", "Mã đơn vị", 1);
    assert_ne!(renamed, coded);
    let cr = dir.write("coded-renamed.csv", &renamed);
    let mapped = run(
        &cr,
        &q_coded,
        &["--columns", "unit_code=Mã đơn vị"],
        "coded-mapped",
    );
    assert_eq!(rows(&mapped.join("indices.csv")), want, "through --columns");
    let json = std::fs::read_to_string(mapped.join("indices.json")).unwrap();
    assert!(
        json.contains("\"unit_code\": \"Mã đơn vị\""),
        "the mapping is recorded"
    );
    let o = chiso(&[
        "verify",
        "--indices",
        p(&mapped),
        "--responses",
        p(&cr),
        "--questionnaire",
        p(&q_coded),
        "--population",
        p(&pop),
    ]);
    assert!(
        o.status.success(),
        "verify re-runs with the mapping: {:?}",
        text(&o)
    );
    // Some estimates rest on answers, and the no-answer labels stayed out of n.
    assert!(got.iter().any(|r| &r[0] == "D" && !r[3].is_empty()));
    // The same flags, which now carry the units' groups.
    let without_group = |out: &std::path::Path| -> (Vec<String>, Vec<String>) {
        rows(&out.join("flags.csv"))
            .iter()
            .map(|r| {
                let mut cells: Vec<&str> = r.iter().collect();
                let group = cells.remove(3).to_string();
                (cells.join(","), group)
            })
            .unzip()
    };
    let (coded_flags, coded_groups) = without_group(&coded_out);
    let (forms_flags, forms_groups) = without_group(&forms_out);
    assert!(!coded_flags.is_empty());
    assert_eq!(forms_flags, coded_flags);
    assert!(coded_groups.iter().all(String::is_empty));
    assert_eq!(forms_groups[..5], ["so", "so", "huyen", "so", "xa"]);
    assert_eq!(
        std::fs::read(coded_out.join("response_rates.csv")).unwrap(),
        std::fs::read(forms_out.join("response_rates.csv")).unwrap()
    );
    // The units file gives the reports' names and groups, and is an input of the result.
    let ranks = rows(&forms_out.join("ranks.csv"));
    let header = csv::Reader::from_path(forms_out.join("ranks.csv"))
        .unwrap()
        .headers()
        .unwrap()
        .clone();
    let name_col = header.iter().position(|h| h == "unit_name").unwrap();
    let group_col = header.iter().position(|h| h == "unit_group").unwrap();
    assert!(
        ranks
            .iter()
            .any(|r| &r[name_col] == "UBND huyện Kim Sơn" && &r[group_col] == "huyen"),
        "{ranks:?}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(forms_out.join("indices.json")).unwrap())
            .unwrap();
    let inputs = json["provenance"]["inputs"].as_array().unwrap();
    assert!(
        inputs
            .iter()
            .any(|i| i["input"] == "units" && i["sha256"] == file_sha(&units)),
        "{inputs:?}"
    );
    assert_eq!(json["request"]["units"], true);
    let coded_json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(coded_out.join("indices.json")).unwrap())
            .unwrap();
    assert!(coded_json["request"].get("units").is_none());

    // The report names the units and shows the item texts, on the page and in the workbook.
    let report = dir.path("report");
    let o = chiso(&["report", "--indices", p(&forms_out), "--out", p(&report)]);
    assert!(o.status.success(), "{:?}", text(&o));
    let html = std::fs::read_to_string(report.join("report.html")).unwrap();
    assert!(
        html.contains("Nội dung tiêu chí"),
        "no item texts on the page"
    );
    for t in TEXTS {
        assert!(html.contains(t), "{t} not on the page");
    }
    assert!(html.contains("UBND huyện Kim Sơn"));
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(report.join("report.xlsx")).unwrap();
    let sheet = book.worksheet_range("Nội dung tiêu chí").unwrap();
    let listed: Vec<(String, String)> = sheet
        .rows()
        .skip(1)
        .map(|r| (r[0].to_string(), r[1].to_string()))
        .collect();
    let want: Vec<(String, String)> = TEXTS
        .iter()
        .enumerate()
        .map(|(k, t)| (format!("Q{:02}", k + 1), t.to_string()))
        .collect();
    assert_eq!(listed, want);
    // Without texts there is no such sheet (the coded run's questionnaire has none).
    let coded_report = dir.path("coded-report");
    let o = chiso(&[
        "report",
        "--indices",
        p(&coded_out),
        "--out",
        p(&coded_report),
    ]);
    assert!(o.status.success(), "{:?}", text(&o));
    let book: calamine::Xlsx<_> =
        calamine::open_workbook(coded_report.join("report.xlsx")).unwrap();
    assert!(
        !book
            .sheet_names()
            .contains(&"Nội dung tiêu chí".to_string())
    );

    // The auditor re-runs it with the units file; without it the run cannot be repeated.
    let verify = |extra: &[&str]| {
        let mut args = vec![
            "verify",
            "--indices",
            p(&forms_out),
            "--responses",
            p(&f),
            "--questionnaire",
            p(&q_forms),
            "--population",
            p(&pop),
        ];
        args.extend_from_slice(extra);
        chiso(&args)
    };
    let o = verify(&["--units", p(&units)]);
    assert!(o.status.success(), "{:?}", text(&o));
    let o = verify(&[]);
    assert_eq!(o.status.code(), Some(2), "{:?}", text(&o));
    assert!(text(&o).1.contains("--units"), "{:?}", text(&o));
}

/// Runs `index` on the forms export `export` with the forms questionnaire `q` and the units
/// file; returns standard error when it fails.
fn refused(export: &str, q: &str, extra: &[&str]) -> String {
    let dir = Dir::new();
    let (_, _, popcsv) = coded_and_export();
    let (f, q, pop, units) = (
        dir.write("forms.csv", export),
        dir.write("forms.toml", q),
        dir.write("p.csv", &popcsv),
        dir.write("units.csv", &units_csv()),
    );
    let out = dir.path("out");
    let mut args = vec![
        "index",
        "--responses",
        p(&f),
        "--questionnaire",
        p(&q),
        "--population",
        p(&pop),
        "--units",
        p(&units),
        "--out",
        p(&out),
    ];
    args.extend_from_slice(extra);
    let o = chiso(&args);
    assert_eq!(o.status.code(), Some(2), "{:?}", text(&o));
    assert!(!out.join("indices.csv").exists());
    text(&o).1
}

/// The export's header and its `n`-th data row (row `n + 2` of the file) changed by `edit`.
fn with_row(n: usize, edit: impl Fn(&str) -> String) -> String {
    let (_, export, _) = coded_and_export();
    export
        .lines()
        .enumerate()
        .map(|(i, l)| if i == n + 1 { edit(l) } else { l.to_string() })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

#[test]
fn an_unknown_label_names_its_row_column_value_and_the_labels() {
    // Row 2 (the first answer row) is complete: its first answer becomes a label of no scale.
    let export = with_row(0, |l| {
        let mut cells: Vec<String> = l.split(',').map(String::from).collect();
        cells[3] = "\"Rất rất hài lòng\"".into();
        cells.join(",")
    });
    let e = refused(&export, &forms_questionnaire(), &[]);
    for words in [
        "forms.csv",
        "row 2",
        "Q01 (Câu 1. Nơi ngồi chờ có đủ chỗ ngồi)",
        "\"Rất rất hài lòng\"",
        "\"Rất không hài lòng\", \"Không hài lòng\", \"Bình thường\", \"Hài lòng\", \"Rất hài lòng\"",
        "\"Không ý kiến\"",
    ] {
        assert!(e.contains(words), "{words}: {e}");
    }
    // No e-mail address (personal data) is shown.
    assert!(!e.contains("@example.vn"), "{e}");

    // With --invalid-as-missing it is counted, and the rest is used.
    let dir = Dir::new();
    let (_, _, popcsv) = coded_and_export();
    let out = dir.path("out");
    let o = chiso(&[
        "index",
        "--responses",
        p(&dir.write("forms.csv", &export)),
        "--questionnaire",
        p(&dir.write("forms.toml", &forms_questionnaire())),
        "--population",
        p(&dir.write("p.csv", &popcsv)),
        "--units",
        p(&dir.write("units.csv", &units_csv())),
        "--invalid-as-missing",
        "--out",
        p(&out),
    ]);
    assert!(o.status.success(), "{:?}", text(&o));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("indices.json")).unwrap()).unwrap();
    assert_eq!(json["invalid_answers"]["Q01"], 1);
    assert_eq!(json["invalid_answers"]["Q02"], 0);
}

#[test]
fn labels_without_labels_in_the_questionnaire_are_not_published_as_empty_indices() {
    // The export read with a questionnaire that knows the texts and headers but no labels.
    let (_, export, _) = coded_and_export();
    let q = forms_questionnaire();
    let start = q.find("labels = [").unwrap();
    let end = q[start..].find("\n[[element]]").unwrap() + start;
    let without = format!("{}{}", &q[..start], &q[end..]);
    assert!(!without.contains("labels"));
    let e = refused(&export, &without, &[]);
    assert!(e.contains("no [scale] labels"), "{e}");
    let e = refused(&export, &without, &["--invalid-as-missing"]);
    assert!(
        e.contains("no answer is on the questionnaire's scale") && e.contains("labels"),
        "{e}"
    );
}

#[test]
fn an_export_where_nobody_answered_on_the_scale_is_refused() {
    let (_, export, _) = coded_and_export();
    let mut lines = export.lines();
    let mut none = format!("{}\n", lines.next().unwrap());
    for l in lines {
        let cells: Vec<&str> = l.split(',').collect();
        let n = cells.len();
        let mut out: Vec<String> = cells[..3].iter().map(|c| c.to_string()).collect();
        out.extend((3..n - 1).map(|_| "\"KHÔNG Ý KIẾN\"".to_string()));
        out.push(cells[n - 1].to_string());
        none += &(out.join(",") + "\n");
    }
    // Refusals and non-contacts carry a no-answer label too, which they may.
    let e = refused(&none, &forms_questionnaire(), &[]);
    assert!(
        e.contains("none of the")
            && e.contains("respondents has an answer on the questionnaire's scale"),
        "{e}"
    );
}

#[test]
fn an_unknown_unit_name_names_its_row_column_and_the_units() {
    let export = with_row(3, |l| {
        let mut cells: Vec<String> = l.split(',').map(String::from).collect();
        cells[2] = "\"Sở Tư Pháp tỉnh\"".into();
        cells.join(",")
    });
    let e = refused(&export, &forms_questionnaire(), &[]);
    for words in [
        "forms.csv",
        "row 5",
        UNIT_HEADER,
        "\"Sở Tư Pháp tỉnh\"",
        "no unit of units.csv",
        "\"Sở Tư pháp\" (A)",
        "\"UBND xã Ninh Hải\" (E)",
    ] {
        assert!(e.contains(words), "{words}: {e}");
    }
}

#[test]
fn a_question_text_that_is_not_the_item_s_names_both_code_and_text() {
    let (_, export, _) = coded_and_export();
    // The form's question lost its number: the header is no item's text any more.
    let header = typed(TEXTS[1], 1);
    let export = export.replacen(&header, &header.replace("CÂU 2. ", ""), 1);
    let e = refused(&export, &forms_questionnaire(), &[]);
    assert!(
        e.contains(
            "missing required column(s) `Q02` or `Câu 2. Thủ tục được niêm yết công khai, đầy đủ`;"
        ),
        "{e}"
    );
}

#[test]
fn a_scale_with_the_wrong_number_of_labels_is_refused() {
    let (_, export, _) = coded_and_export();
    let q = forms_questionnaire().replace("\"Bình thường\", ", "");
    let e = refused(&export, &q, &[]);
    assert!(
        e.contains("forms.toml")
            && e.contains("[scale] labels")
            && e.contains("4 labels for the 5 answers from 1 to 5"),
        "{e}"
    );
}

#[test]
fn vietnamese_dispositions_are_read_and_others_refused() {
    // Ineligible and partial rows in Vietnamese count where they belong.
    let last_cell =
        |text: &'static str| move |l: &str| format!("{},{text}", l.rsplit_once(',').unwrap().0);
    let export = with_row(0, last_cell("\"trả lời  MỘT phần\""));
    let export = export
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 7 {
                // Row 8: a refusal (no answers) made not eligible instead.
                let (rest, last) = l.rsplit_once(',').unwrap();
                assert!(chiso::text::same(last.trim_matches('"'), "Từ chối"), "{l}");
                format!("{rest},\"KHÔNG THUỘC ĐỐI TƯỢNG\"")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let dir = Dir::new();
    let (_, _, popcsv) = coded_and_export();
    let out = dir.path("out");
    let o = chiso(&[
        "index",
        "--responses",
        p(&dir.write("forms.csv", &export)),
        "--questionnaire",
        p(&dir.write("forms.toml", &forms_questionnaire())),
        "--population",
        p(&dir.write("p.csv", &popcsv)),
        "--units",
        p(&dir.write("units.csv", &units_csv())),
        "--out",
        p(&out),
    ]);
    assert!(o.status.success(), "{:?}", text(&o));
    let rates = rows(&out.join("response_rates.csv"));
    let all = rates.last().unwrap();
    assert_eq!(&all[0], "ALL");
    let header = csv::Reader::from_path(out.join("response_rates.csv"))
        .unwrap()
        .headers()
        .unwrap()
        .clone();
    let count = |name: &str| -> u64 {
        all[header.iter().position(|h| h == name).unwrap()]
            .parse()
            .unwrap()
    };
    // 232 contacts: every 7th refused (33), of the rest every 11th not reached; one refusal
    // made ineligible, one complete made partial.
    let refusals = (0..232).filter(|i| i % 7 == 6).count() as u64;
    let non_contacts = (0..232).filter(|i| i % 7 != 6 && i % 11 == 10).count() as u64;
    assert_eq!(count("refusal"), refusals - 1);
    assert_eq!(count("ineligible"), 1);
    assert_eq!(count("partial"), 1);
    assert_eq!(count("non_contact"), non_contacts);
    assert_eq!(
        count("complete"),
        232 - refusals - non_contacts - 1,
        "{all:?}"
    );

    // A disposition in no list names the export's header and the Vietnamese names.
    let bad = with_row(1, last_cell("\"Đã xong\""));
    let e = refused(&bad, &forms_questionnaire(), &[]);
    for words in [
        "row 3",
        DISPOSITION_HEADER,
        "\"Đã xong\"",
        "Không liên lạc được",
    ] {
        assert!(e.contains(words), "{words}: {e}");
    }
}

#[test]
fn a_forms_export_linked_to_a_drawn_sample_by_its_own_header() {
    let dir = Dir::new();
    dir.write("records.csv", &records(3));
    let o = sample_cli(&dir, "records.csv", DESIGN, "s", "sample", &[]);
    assert!(o.status.success(), "{:?}", text(&o));
    let mut coded = String::from("applicant_id,Q01,Q02,Q03,Q04,Q05,Q06\n");
    let mut export = String::from("Dấu thời gian,\"Mã hồ sơ\"");
    for t in TEXTS {
        export += &format!(",{}", quote(t));
    }
    export += "\n";
    for (i, r) in csv::Reader::from_path(dir.path("sample/sample.csv"))
        .unwrap()
        .records()
        .enumerate()
    {
        let r = r.unwrap();
        if &r[1] != "official" {
            continue;
        }
        let answers = [
            (1 + i % 5).to_string(),
            "4".into(),
            "5".into(),
            if i % 2 == 0 {
                String::new()
            } else {
                "2".into()
            },
            "3".into(),
            "9".into(),
        ];
        coded += &format!("{},{}\n", &r[3], answers.join(","));
        export += &format!("16/03/2025 08:{:02}:00,{}", i % 60, &r[3]);
        for (k, a) in answers.iter().enumerate() {
            let cell = match a.as_str() {
                "" => String::new(),
                "9" => typed("Không ý kiến", i + k),
                v => typed(LABELS[v.parse::<usize>().unwrap() - 1], i + k),
            };
            export += &format!(",{}", quote(&cell));
        }
        export += "\n";
    }
    let q_forms = forms_questionnaire().replace(
        &format!("unit_code = {UNIT_HEADER:?}"),
        "applicant_id = \"Mã hồ sơ\"",
    );
    let run = |responses: &str, text_: &str, q: &str, out: &str| {
        let r = dir.write(responses, text_);
        let q = dir.write(&format!("{out}.toml"), q);
        chiso(&[
            "index",
            "--responses",
            p(&r),
            "--questionnaire",
            p(&q),
            "--sample",
            p(&dir.path("sample")),
            "--out",
            p(&dir.path(out)),
        ])
    };
    let o = run("coded.csv", &coded, ORACLE_QUESTIONNAIRE, "coded");
    assert!(o.status.success(), "{:?}", text(&o));
    let o = run("forms.csv", &export, &q_forms, "forms");
    assert!(o.status.success(), "{:?}", text(&o));
    let (want, got) = (
        rows(&dir.path("coded/indices.csv")),
        rows(&dir.path("forms/indices.csv")),
    );
    assert!(!want.is_empty());
    assert_eq!(got, want);

    // An applicant not in the sample is named by the export's header, the id masked.
    let unknown = format!("{export}16/03/2025 09:00:00,ZZZ-123456,\"Hài lòng\",,,,,\n");
    let o = run("unknown.csv", &unknown, &q_forms, "unknown");
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o).1;
    assert!(
        err.contains("column `Mã hồ sơ`")
            && err.contains("not in the sample")
            && err.contains("ZZZ…")
            && !err.contains("123456"),
        "{err}"
    );
}
