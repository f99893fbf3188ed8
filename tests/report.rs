//! `chiso report`: the workbook holds exactly the numbers of `indices.csv`, the web page shows
//! every unit in Vietnamese notation, escapes text, publishes no personal data, and renders in
//! a real browser without a console error.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use calamine::{Data, Reader, Xlsx, open_workbook};

use crate::util::*;

const UNITS: [&str; 3] = ["SO01", "HUYEN01", "HUYEN02"];
const INDICATORS: [&str; 4] = ["item:Q01", "item:Q02", "element:E1", "overall"];
const MEASURES: [&str; 3] = ["satisfied_pct", "dissatisfied_pct", "mean_score"];

/// A hand-made `indices.csv`: full-precision numbers that no rounding could reproduce, the
/// province's overall satisfaction 91.23456789012345 (91,23% in Vietnamese notation), and one
/// indicator without answers (HUYEN02, item:Q02: empty cells, n = 0).
fn indices_csv() -> String {
    let mut s = String::from(
        "domain,indicator,measure,estimate,std_error,ci_lower,ci_upper,ci_method,n,df\n",
    );
    let domains = std::iter::once("ALL").chain(UNITS);
    for (d, domain) in domains.enumerate() {
        for (i, indicator) in INDICATORS.iter().enumerate() {
            for (m, measure) in MEASURES.iter().enumerate() {
                if domain == "HUYEN02" && *indicator == "item:Q02" {
                    let method = if m < 2 { "logit" } else { "wald" };
                    s.push_str(&format!(
                        "{domain},{indicator},{measure},,,,,{method},0,0\n"
                    ));
                    continue;
                }
                let k = (d * 12 + i * 3 + m) as f64;
                let (est, se) = match m {
                    0 => (70.0 + k / 3.0 + 1.0 / 7.0, 1.0 + k / 97.0),
                    1 => (2.0 + k / 11.0 + 1.0 / 13.0, 0.5 + k / 89.0),
                    _ => (3.5 + k / 101.0, 0.01 + k / 1009.0),
                };
                let (est, se) = if domain == "ALL" && *indicator == "overall" && m == 0 {
                    (91.23456789012345, 0.5123456789)
                } else {
                    (est, se)
                };
                let method = if m < 2 { "logit" } else { "wald" };
                let n = 100 + d * 10 + i;
                s.push_str(&format!(
                    "{domain},{indicator},{measure},{est},{se},{},{},{method},{n},{}\n",
                    est - 1.96 * se,
                    est + 1.96 * se,
                    n - 1
                ));
            }
        }
    }
    s
}

const INDICES_JSON: &str = r#"{
  "questionnaire": "SIPAS <thử> & \"năm\"",
  "settings": {"ci_method": "logit", "level": 0.95},
  "weights": "N_h / m_h from the sample",
  "engine_version": "0.1.0",
  "rows": []
}"#;

/// A unit name that must be escaped, and personal columns that must never be published.
const RANKS_CSV: &str = "\
unit_group,domain,unit_name,indicator,measure,estimate,ci_lower,ci_upper,n,rank,rank_lower,rank_upper,group_size,imprecise
so,SO01,<script>alert('x')</script> Sở Tư pháp & Hộ tịch,overall,satisfied_pct,84.1,83,85,133,1,1,1,1,false
huyen,HUYEN01,UBND huyện An Bình,overall,satisfied_pct,83.66,80,86,143,1,1,2,2,false
huyen,HUYEN02,UBND huyện Bình Minh,overall,satisfied_pct,87.66,82,92,153,2,1,2,2,true
";

const FLAGS_CSV: &str = "\
level,domain,officer_id,unit_group,indicator,dissatisfied_pct,std_error,ci_lower,ci_upper,n,threshold_pct,above,certain,imprecise,applicant_name,phone,applicant_id
unit,SO01,,so,overall,4.5,1,2.6,6.8,133,25,false,false,false,Nguyễn Thị Riêng,0912345678,APPL-778899
unit,HUYEN01,,huyen,overall,31.25,2,27.5,35.1,143,25,true,true,false,Nguyễn Thị Riêng,0912345678,APPL-778899
unit,HUYEN02,,huyen,overall,26.5,4,19,35,153,25,true,false,true,Nguyễn Thị Riêng,0912345678,APPL-778899
officer,HUYEN01,HUYEN01-CB07,huyen,overall,40.5,6,29,53,30,25,true,true,false,Trần Văn Kín,0987654321,APPL-112233
officer,SO01,SO01-CB02,so,overall,3,1,1,7,50,25,false,false,false,Lê Văn Ẩn,0900000001,APPL-445566
";

const TIMELINESS_CSV: &str = "\
level,domain,officer_id,records,early,on_time,late,early_pct,on_time_pct,late_pct,late_ceiling_pct,above_ceiling
unit,SO01,,1200,900,290,10,75,24.166666666666668,0.8333333333333334,2,false
unit,HUYEN01,,800,500,260,40,62.5,32.5,5,2,true
unit,HUYEN02,,400,300,94,6,75,23.5,1.5,2,false
officer,HUYEN01,HUYEN01-CB07,100,50,40,10,50,40,10,2,true
all,ALL,,2900,2050,756,94,70.6896551724138,26.06896551724138,3.2413793103448274,2,true
unit,HUYEN03,,500,350,140,10,70,28.000000000000004,2.0004,2,true
";

const PAR_CSV: &str = "\
unit_code,unit_name,unit_group,points,max_points,index,std_error,ci_lower,ci_upper,rank,rank_lower,rank_upper,group_size
HUYEN01,UBND huyện An Bình,huyen,85.5,100,85.5,0.7,84.1,86.9,2,1,2,2
HUYEN02,UBND huyện Bình Minh,huyen,88.25,100,88.25,0.9,86.5,90,1,1,2,2
";

const PAR_FIELDS_CSV: &str = "\
unit_code,field,field_name,points,max_points
HUYEN01,L1,Công tác chỉ đạo điều hành,9.5,10
HUYEN02,L1,Công tác chỉ đạo điều hành,10,10
";

const MANIFEST: &str = r#"{
  "format": "chiso-manifest-v1",
  "algorithm": "chiso-keyed-chacha20-v1",
  "engine_version": "0.1.0",
  "seed": "XSKT 2024-10-01: 123456",
  "design": {"frame": {"window": ["2024-01-01", "2024-09-30"], "strata": ["unit_code"]},
             "size": {"mode": "fixed", "n": 200}},
  "records": {"file": "records.csv", "sha256": "0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d",
              "rows": 9000, "rejected": 0, "not_returned": 100, "outside_window": 200,
              "eligible": 8700, "blank": 0},
  "frame_digest": "f00dfeedf00dfeedf00dfeedf00dfeedf00dfeedf00dfeedf00dfeedf00dfeed",
  "sample_digest": "5a3b1e0c9d8f7a6b5a3b1e0c9d8f7a6b5a3b1e0c9d8f7a6b5a3b1e0c9d8f7a6b",
  "sample_file_sha256": "1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e",
  "totals": {"strata": 3, "frame_size": 5000, "sample_size": 600, "reserve_size": 300},
  "strata": []
}"#;

/// Writes the inputs; `full` adds flags, ranks, timeliness, PAR and the manifest.
fn inputs(dir: &Dir, full: bool) -> Vec<String> {
    std::fs::create_dir_all(dir.path("indices")).unwrap();
    dir.write("indices/indices.csv", &indices_csv());
    dir.write("indices/indices.json", INDICES_JSON);
    let mut args = vec![
        "report".to_string(),
        "--indices".into(),
        p(&dir.path("indices")).into(),
        "--out".into(),
        p(&dir.path("report")).into(),
    ];
    if full {
        dir.write("indices/ranks.csv", RANKS_CSV);
        dir.write("indices/flags.csv", FLAGS_CSV);
        std::fs::create_dir_all(dir.path("time")).unwrap();
        dir.write("time/timeliness.csv", TIMELINESS_CSV);
        std::fs::create_dir_all(dir.path("par")).unwrap();
        dir.write("par/par.csv", PAR_CSV);
        dir.write("par/par_fields.csv", PAR_FIELDS_CSV);
        dir.write("manifest.json", MANIFEST);
        // The indices name the sample they were computed from.
        let mut json: serde_json::Value = serde_json::from_str(INDICES_JSON).unwrap();
        let m: serde_json::Value = serde_json::from_str(MANIFEST).unwrap();
        json["provenance"] = serde_json::json!({
            "engine_version": "0.1.0",
            "inputs": [],
            "sample": {
                "seed": m["seed"],
                "frame_digest": m["frame_digest"],
                "sample_digest": m["sample_digest"],
                "sample_file_sha256": m["sample_file_sha256"],
                "manifest_sha256": file_sha(&dir.path("manifest.json")),
            }
        });
        dir.write(
            "indices/indices.json",
            &serde_json::to_string_pretty(&json).unwrap(),
        );
        for (opt, path) in [
            ("--timeliness", "time"),
            ("--par", "par"),
            ("--manifest", "manifest.json"),
        ] {
            args.push(opt.into());
            args.push(p(&dir.path(path)).into());
        }
    }
    args
}

fn run(args: &[String]) -> std::process::Output {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    chiso(&args)
}

fn ok(args: &[String]) {
    let o = run(args);
    assert!(o.status.success(), "{:?}", text(&o));
}

/// Every cell of every sheet, as text (numbers in Rust's shortest form).
fn all_cells(path: &Path) -> Vec<(String, String)> {
    let mut book: Xlsx<_> = open_workbook(path).unwrap();
    let mut out = Vec::new();
    for name in book.sheet_names() {
        let range = book.worksheet_range(&name).unwrap();
        for row in range.rows() {
            for c in row {
                let v = match c {
                    Data::String(s) => s.clone(),
                    Data::Float(f) => format!("{f}"),
                    Data::Int(i) => format!("{i}"),
                    Data::Bool(b) => format!("{b}"),
                    _ => String::new(),
                };
                out.push((name.clone(), v));
            }
        }
    }
    out
}

fn opt(s: &str) -> Option<f64> {
    (!s.is_empty()).then(|| s.parse().unwrap())
}

fn cell_num(c: &Data) -> Option<f64> {
    match c {
        Data::Float(f) => Some(*f),
        Data::Int(i) => Some(*i as f64),
        Data::Empty => None,
        other => panic!("expected a number or an empty cell, found {other:?}"),
    }
}

/// The workbook's sheet with every row of `indices.csv`.
pub(crate) const DETAIL_SHEET: &str = "Chi tiết chỉ số";

/// How the workbook names an indicator code of `indices.csv`: `Yếu tố E1` (with `: name`
/// when `indices.json` has one), `Tiêu chí Q01` (likewise), `Chỉ số chung`.
fn indicator_named(code: &str, label: &str) -> bool {
    let prefix = if let Some(c) = code.strip_prefix("element:") {
        format!("Yếu tố {c}")
    } else if let Some(c) = code.strip_prefix("item:") {
        format!("Tiêu chí {c}")
    } else if code == "overall" {
        "Chỉ số chung".to_string()
    } else {
        code.to_string()
    };
    label == prefix || label.starts_with(&format!("{prefix}: "))
}

/// Reads the detail sheet back and compares every row with `indices.csv`, exactly: the row
/// number, the unit, the indicator by name, the measure in words and every number.
pub(crate) fn assert_workbook_matches(xlsx: &Path, indices_csv: &Path) {
    let mut book: Xlsx<_> = open_workbook(xlsx).unwrap();
    let label = |m: &str| match m {
        "satisfied_pct" => "Tỷ lệ hài lòng (%)",
        "dissatisfied_pct" => "Tỷ lệ không hài lòng (%)",
        "mean_score" => "Điểm trung bình",
        other => panic!("unknown measure {other}"),
    };
    let range = book.worksheet_range(DETAIL_SHEET).unwrap();
    let mut rows = range.rows();
    let header: Vec<String> = rows.next().unwrap().iter().map(|c| c.to_string()).collect();
    let col = |h: &str| {
        header
            .iter()
            .position(|x| x == h)
            .unwrap_or_else(|| panic!("no column {h:?} in {header:?}"))
    };
    let (cr, cd, cn, ci, cm) = (
        col("Dòng trong indices.csv"),
        col("Mã đơn vị"),
        col("Tên đơn vị"),
        col("Chỉ tiêu"),
        col("Thước đo"),
    );
    let numbers = [
        col("Ước lượng"),
        col("Sai số chuẩn"),
        col("Cận dưới"),
        col("Cận trên"),
        col("Số câu trả lời (n)"),
        col("Bậc tự do"),
    ];
    type Read = (String, String, String, String, Vec<Option<f64>>);
    let mut read: HashMap<u64, Read> = HashMap::new();
    for r in rows {
        let row = cell_num(&r[cr]).expect("a row number") as u64;
        let values = numbers.iter().map(|&c| cell_num(&r[c])).collect();
        let cells = (
            r[cd].to_string(),
            r[cn].to_string(),
            r[ci].to_string(),
            r[cm].to_string(),
            values,
        );
        assert!(read.insert(row, cells).is_none(), "row {row} twice");
    }
    let mut rdr = csv::Reader::from_path(indices_csv).unwrap();
    let mut count = 0;
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.unwrap();
        let row = i as u64 + 2;
        let (domain, name, indicator, measure, got) = read
            .get(&row)
            .unwrap_or_else(|| panic!("row {row} of indices.csv not in the workbook"));
        assert_eq!(domain, &rec[0], "row {row}");
        assert!(
            !name.is_empty() || rec[0] != *"ALL",
            "row {row}: the province unnamed"
        );
        assert!(
            indicator_named(&rec[1], indicator),
            "row {row}: {:?} shown as {indicator:?}",
            &rec[1]
        );
        assert_eq!(measure, label(&rec[2]), "row {row}");
        let want: Vec<Option<f64>> = [3, 4, 5, 6, 8, 9].iter().map(|&i| opt(&rec[i])).collect();
        // Exact: the workbook stores the same f64 as the CSV's shortest decimal form.
        assert_eq!(got, &want, "row {row}");
        count += 1;
    }
    assert_eq!(
        read.len(),
        count,
        "the workbook has rows that indices.csv has not"
    );
}

#[test]
fn workbook_holds_exactly_the_numbers_of_indices_csv() {
    let dir = Dir::new();
    ok(&inputs(&dir, false));
    assert_eq!(dir.files("report"), ["report.html", "report.xlsx"]);
    assert_workbook_matches(
        &dir.path("report/report.xlsx"),
        &dir.path("indices/indices.csv"),
    );

    // The summary: the province's overall index and its interval, as numbers.
    let mut book: Xlsx<_> = open_workbook(dir.path("report/report.xlsx")).unwrap();
    let summary = book.worksheet_range("Thông tin chung").unwrap();
    let value = |label: &str| -> Data {
        summary
            .rows()
            .find(|r| r[0] == label)
            .unwrap_or_else(|| panic!("no line {label:?}"))[1]
            .clone()
    };
    assert_eq!(
        value("Chỉ số hài lòng chung toàn tỉnh (%)"),
        Data::Float(91.23456789012345)
    );
    assert_eq!(
        value("Cận dưới khoảng tin cậy 95% (%)"),
        Data::Float(91.23456789012345 - 1.96 * 0.5123456789)
    );
    assert_eq!(value("Số đơn vị có kết quả"), Data::Float(3.0));
    assert_eq!(
        value("Phương pháp khoảng tin cậy"),
        Data::String("logit".into())
    );
    assert_eq!(value("Mức tin cậy"), Data::Float(0.95));
}

#[test]
fn workbook_of_a_real_index_run_matches_its_csv() {
    // `chiso index` on the oracle data, then the report on its output.
    let dir = Dir::new();
    let mut rdr = csv::Reader::from_path(format!("{ORACLE_FIXTURES}/responses.csv")).unwrap();
    let mut resp = String::from("unit_code,Q01,Q02,Q03,Q04,Q05,Q06\n");
    let mut pop = std::collections::BTreeMap::new();
    for r in rdr.records() {
        let r = r.unwrap();
        let cells: Vec<&str> = r.iter().collect();
        resp.push_str(&format!("{},{}\n", cells[0], cells[3..].join(",")));
        pop.insert(cells[0].to_string(), cells[1].to_string());
    }
    let popcsv: String = std::iter::once("stratum,population\n".to_string())
        .chain(pop.iter().map(|(k, v)| format!("{k},{v}\n")))
        .collect();
    let (r, q, pp) = (
        dir.write("r.csv", &resp),
        dir.write("q.toml", ORACLE_QUESTIONNAIRE),
        dir.write("p.csv", &popcsv),
    );
    let idx = dir.path("idx");
    let o = index_with_population(&r, &q, &pp, &idx, &[]);
    assert!(o.status.success(), "{:?}", text(&o));
    let out = dir.path("rep");
    let o = chiso(&["report", "--indices", p(&idx), "--out", p(&out)]);
    assert!(o.status.success(), "{:?}", text(&o));
    assert_workbook_matches(&out.join("report.xlsx"), &idx.join("indices.csv"));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    for unit in pop.keys() {
        assert!(html.contains(&format!("<code>{unit}</code>")), "{unit}");
    }

    // indices.json and indices.csv from different runs are refused: one estimate edited.
    let csv_text = std::fs::read_to_string(idx.join("indices.csv")).unwrap();
    let mut lines: Vec<String> = csv_text.lines().map(str::to_string).collect();
    let mut cells: Vec<String> = lines[5].split(',').map(str::to_string).collect();
    cells[3] = format!("{}", cells[3].parse::<f64>().unwrap() + 1e-9);
    lines[5] = cells.join(",");
    std::fs::write(idx.join("indices.csv"), lines.join("\n") + "\n").unwrap();
    let out2 = dir.path("rep2");
    let o = chiso(&["report", "--indices", p(&idx), "--out", p(&out2)]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("indices.json: row 5 (") && err.contains("differs from indices.csv row 6"),
        "{err}"
    );
    assert!(!out2.exists());
}

#[test]
fn optional_columns_and_files_may_be_absent() {
    let dir = Dir::new();
    let args = inputs(&dir, false);
    // No `df` column; flags with the required columns only.
    let no_df: String = indices_csv()
        .lines()
        .map(|l| l.rsplit_once(',').unwrap().0.to_string() + "\n")
        .collect();
    dir.write("indices/indices.csv", &no_df);
    dir.write(
        "indices/flags.csv",
        "level,domain,indicator,dissatisfied_pct,n,above\nunit,HUYEN02,overall,30,20,true\n",
    );
    ok(&args);
    let mut book: Xlsx<_> = open_workbook(dir.path("report/report.xlsx")).unwrap();
    assert!(!book.sheet_names().contains(&"Xếp hạng".to_string()));
    let detail = book.worksheet_range(DETAIL_SHEET).unwrap();
    let row = detail
        .rows()
        .find(|r| r[1] == "HUYEN02" && r[3] == "Chỉ số chung")
        .unwrap();
    assert_eq!(row[11], Data::Empty, "no df");
    assert_eq!(row[12], Data::String("Vượt ngưỡng không hài lòng".into()));
    let html = dir.read("report/report.html");
    assert!(html.contains("Chưa có tệp xếp hạng (ranks.csv)"));
    assert!(html.contains("chưa ghi (báo cáo được lập không kèm manifest.json"));
    for unit in UNITS {
        assert!(html.contains(&format!("<code>{unit}</code>")), "{unit}");
    }
}

#[test]
fn page_shows_every_unit_in_vietnamese_notation_and_escapes_text() {
    let dir = Dir::new();
    ok(&inputs(&dir, true));
    let html = dir.read("report/report.html");
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"vi\">"));
    assert!(html.contains("<meta charset=\"utf-8\">"));
    // The province: 91.23456789012345 with its interval, in Vietnamese notation.
    assert!(html.contains(">91,23%<"), "overall index");
    let lo = 91.23456789012345 - 1.96 * 0.5123456789;
    let hi = 91.23456789012345 + 1.96 * 0.5123456789;
    assert!(html.contains(&format!(
        "{} – {}",
        format!("{lo:.2}%").replace('.', ","),
        format!("{hi:.2}%").replace('.', ",")
    )));
    assert!(
        !html.contains("91.23"),
        "a decimal point in a published number"
    );
    for unit in UNITS {
        assert!(html.contains(&format!("<code>{unit}</code>")), "{unit}");
    }
    // Ranks with their intervals, units by name with their code beside it, linked to their
    // cards; the imprecise unit is marked.
    let row = |rank: &str, code: &str, name: &str| {
        format!(
            "<td class=\"num\">{rank}</td><td class=\"num\">1–2</td><td class=\"name\">\
             <a href=\"#the-{code}\">{name} <code>{code}</code></a></td>"
        )
    };
    let second_row = row("2/2", "HUYEN02", "UBND huyện Bình Minh");
    assert!(html.contains(&second_row), "{second_row}");
    assert!(html.contains("<article class=\"scorecard\" id=\"the-HUYEN02\">"));
    assert!(html.contains("chưa đủ chính xác để xếp hạng"));
    // The table follows the ranks, although HUYEN02's estimate is the higher (the chart's order).
    let first = html
        .find(&row("1/2", "HUYEN01", "UBND huyện An Bình"))
        .unwrap();
    let second = html.find(&second_row).unwrap();
    assert!(first < second);
    // Flags: units and the officer by code; the officer below the threshold is not listed.
    assert!(html.contains("HUYEN01-CB07"));
    assert!(!html.contains("SO01-CB02"));
    assert!(html.contains("Đơn vị: 2 vượt ngưỡng trong 3 được xét"));
    // Timeliness, PAR, method and seed.
    assert!(html.contains("0,83%") && html.contains("<b>5,00%</b>"));
    // The province's own row is not one of the units over the ceiling, which are named; a rate
    // just over the ceiling is not shown as the ceiling.
    assert!(
        html.contains("<b>2 đơn vị có tỷ lệ trễ hạn vượt trần</b>"),
        "ALL is not a unit"
    );
    let timeliness = &html[html.find("id=\"tien-do\"").unwrap()..];
    let timeliness = &timeliness[..timeliness.find("</section>").unwrap()];
    assert!(timeliness.contains(
        "UBND huyện An Bình <code>HUYEN01</code></a></td><td class=\"num\">800</td>\
         <td class=\"num\">40</td><td class=\"num\"><b>5,00%</b>"
    ));
    assert!(html.contains("<b>2,0004%</b>") && !html.contains("<b>2,00%</b>"));
    // The units within the ceiling are counted, not listed; SO01's rate is on its card.
    assert!(
        timeliness.contains("<h3>2 đơn vị trong trần</h3>"),
        "{timeliness}"
    );
    assert!(!timeliness.contains("SO01"));
    let card = &html[html.find("id=\"the-SO01\"").unwrap()..];
    let card = &card[..card.find("</article>").unwrap()];
    assert!(card.contains("0,83% (trong trần)"), "{card}");
    assert!(html.contains("<b>88,25%</b>") && html.contains("86,50% – 90,00%"));
    assert!(html.contains("XSKT 2024-10-01: 123456"));
    assert!(html.contains("5a3b1e0c9d8f7a6b5a3b1e0c9d8f7a6b5a3b1e0c9d8f7a6b5a3b1e0c9d8f7a6b"));
    assert!(html.contains("chiso-keyed-chacha20-v1"));
    assert!(html.contains("95%, phương pháp lôgit"));
    // Text is escaped: the unit name and the questionnaire's name.
    assert!(
        html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Sở Tư pháp &amp; Hộ tịch")
    );
    assert!(html.contains("SIPAS &lt;thử&gt; &amp; &quot;năm&quot;"));
    assert!(!html.to_lowercase().contains("<script"), "no script at all");
    // Self-contained: nothing is loaded from anywhere.
    for loader in ["src=", "<link", "@import", "url(", "<iframe", "<object"] {
        assert!(!html.contains(loader), "{loader}");
    }
}

#[test]
fn no_personal_data_is_published() {
    let dir = Dir::new();
    ok(&inputs(&dir, true));
    let html = dir.read("report/report.html");
    let cells = all_cells(&dir.path("report/report.xlsx"));
    for secret in [
        "Riêng",
        "Trần Văn Kín",
        "Lê Văn Ẩn",
        "0912345678",
        "0987654321",
        "APPL-",
    ] {
        assert!(!html.contains(secret), "{secret} in the page");
        assert!(
            !cells.iter().any(|(_, v)| v.contains(secret)),
            "{secret} in the workbook"
        );
    }
}

#[test]
fn workbook_has_a_sheet_per_family_and_marks_flagged_rows() {
    let dir = Dir::new();
    ok(&inputs(&dir, true));
    let mut book: Xlsx<_> = open_workbook(dir.path("report/report.xlsx")).unwrap();
    assert_eq!(
        book.sheet_names(),
        [
            "Tổng hợp",
            "Thông tin chung",
            DETAIL_SHEET,
            "Xếp hạng",
            "Cảnh báo",
            "Tiến độ hồ sơ",
            "Chỉ số CCHC",
            "CCHC theo lĩnh vực"
        ]
    );
    let detail = book.worksheet_range(DETAIL_SHEET).unwrap();
    let note = |unit: &str| -> String {
        let r = detail
            .rows()
            .find(|r| r[1] == unit && r[3] == "Chỉ số chung")
            .unwrap();
        r[12].to_string()
    };
    assert_eq!(note("HUYEN01"), "Vượt ngưỡng không hài lòng (chắc chắn)");
    assert_eq!(note("HUYEN02"), "Vượt ngưỡng không hài lòng");
    assert_eq!(note("SO01"), "");
    // Flags and timeliness name their units, and say the level in Vietnamese.
    let flags = book.worksheet_range("Cảnh báo").unwrap();
    let row = flags.rows().find(|r| r[1] == "HUYEN01").unwrap();
    assert_eq!(
        (row[0].to_string(), row[2].to_string()),
        ("Đơn vị".into(), "UBND huyện An Bình".into())
    );
    let timeliness = book.worksheet_range("Tiến độ hồ sơ").unwrap();
    let header: Vec<String> = timeliness
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(header[..3], ["Cấp", "Mã đơn vị", "Tên đơn vị"]);
    let levels: Vec<(String, String)> = timeliness
        .rows()
        .skip(1)
        .map(|r| (r[0].to_string(), r[2].to_string()))
        .collect();
    assert!(
        levels.contains(&("Toàn tỉnh".into(), "Toàn tỉnh".into())),
        "{levels:?}"
    );
    assert!(
        levels.contains(&("Đơn vị".into(), "UBND huyện An Bình".into())),
        "{levels:?}"
    );
    assert!(levels.iter().any(|(l, _)| l == "Cán bộ"));
    let par = book.worksheet_range("Chỉ số CCHC").unwrap();
    let row = par.rows().find(|r| r[0] == "HUYEN02").unwrap();
    assert_eq!(row[5], Data::Float(88.25));
    let summary = book.worksheet_range("Thông tin chung").unwrap();
    let seed = summary
        .rows()
        .find(|r| r[0] == "Hạt giống ngẫu nhiên (seed)")
        .unwrap();
    assert_eq!(seed[1], Data::String("XSKT 2024-10-01: 123456".into()));
}

/// The full inputs, with the names of the element and items in `indices.json`.
fn named_inputs(dir: &Dir) -> Vec<String> {
    let args = inputs(dir, true);
    let mut json: serde_json::Value =
        serde_json::from_str(&dir.read("indices/indices.json")).unwrap();
    json["element_names"] = serde_json::json!({"E1": "Tiếp cận dịch vụ"});
    json["item_texts"] = serde_json::json!({
        "Q01": "Nơi ngồi chờ có đủ chỗ ngồi",
        "Q02": "Công chức có thái độ giao tiếp lịch sự",
    });
    dir.write(
        "indices/indices.json",
        &serde_json::to_string_pretty(&json).unwrap(),
    );
    args
}

#[test]
fn summary_has_one_row_per_unit_with_names_sorted_by_group_then_rank() {
    let dir = Dir::new();
    ok(&named_inputs(&dir));
    let mut book: Xlsx<_> = open_workbook(dir.path("report/report.xlsx")).unwrap();
    assert_eq!(book.sheet_names()[0], "Tổng hợp");
    let summary = book.worksheet_range("Tổng hợp").unwrap();
    let rows: Vec<&[Data]> = summary.rows().collect();
    // The title, then the header row.
    assert!(rows[0][0].to_string().starts_with("Báo cáo kết quả"));
    let header: Vec<String> = rows[1].iter().map(|c| c.to_string()).collect();
    let col = |h: &str| {
        header
            .iter()
            .position(|x| x == h)
            .unwrap_or_else(|| panic!("no column {h:?} in {header:?}"))
    };
    assert_eq!(header[..3], ["Nhóm", "Mã đơn vị", "Tên đơn vị"]);
    let element = col("Yếu tố E1: Tiếp cận dịch vụ (% hài lòng)");
    let (overall, lower, upper) = (
        col("Chỉ số hài lòng chung (%)"),
        col("Cận dưới khoảng tin cậy 95% (%)"),
        col("Cận trên khoảng tin cậy 95% (%)"),
    );
    let (rank, best, worst) = (
        col("Hạng trong nhóm"),
        col("Hạng tốt nhất có thể"),
        col("Hạng kém nhất có thể"),
    );
    let (par, late) = (col("Chỉ số CCHC (%)"), col("Tỷ lệ hồ sơ trễ hạn (%)"));
    // One row per unit (HUYEN03 is in timeliness.csv only), the province first, then the
    // departments, then the districts by rank; units without a group last.
    let units: Vec<(String, String, String)> = rows[2..]
        .iter()
        .take_while(|r| !r[1].to_string().is_empty())
        .map(|r| (r[0].to_string(), r[1].to_string(), r[2].to_string()))
        .collect();
    let want = [
        ("", "ALL", "Toàn tỉnh"),
        (
            "Sở, ban, ngành",
            "SO01",
            "<script>alert('x')</script> Sở Tư pháp & Hộ tịch",
        ),
        (
            "Huyện, thị xã, thành phố (trước 01/7/2025)",
            "HUYEN01",
            "UBND huyện An Bình",
        ),
        (
            "Huyện, thị xã, thành phố (trước 01/7/2025)",
            "HUYEN02",
            "UBND huyện Bình Minh",
        ),
        ("Chưa phân nhóm", "HUYEN03", ""),
    ];
    let want: Vec<(String, String, String)> = want
        .iter()
        .map(|(g, c, n)| (g.to_string(), c.to_string(), n.to_string()))
        .collect();
    assert_eq!(units, want);
    // Numbers as numbers, at full precision.
    let all = rows[2];
    assert_eq!(all[overall], Data::Float(91.23456789012345));
    assert_eq!(
        all[lower],
        Data::Float(91.23456789012345 - 1.96 * 0.5123456789)
    );
    assert_eq!(all[late], Data::Float(3.2413793103448274));
    assert_eq!(all[rank], Data::Empty);
    let csv = indices_csv();
    let estimate = |domain: &str, indicator: &str| -> f64 {
        let line = csv
            .lines()
            .find(|l| l.starts_with(&format!("{domain},{indicator},satisfied_pct,")))
            .unwrap();
        line.split(',').nth(3).unwrap().parse().unwrap()
    };
    let huyen02 = rows.iter().find(|r| r[1] == "HUYEN02").unwrap();
    assert_eq!(
        huyen02[overall],
        Data::Float(estimate("HUYEN02", "overall"))
    );
    assert_eq!(
        huyen02[element],
        Data::Float(estimate("HUYEN02", "element:E1"))
    );
    assert!(matches!(huyen02[upper], Data::Float(_)));
    assert_eq!(
        (&huyen02[rank], &huyen02[best], &huyen02[worst]),
        (&Data::Float(2.0), &Data::Float(1.0), &Data::Float(2.0))
    );
    assert_eq!(huyen02[par], Data::Float(88.25));
    assert_eq!(huyen02[late], Data::Float(1.5));
    let huyen01 = rows.iter().find(|r| r[1] == "HUYEN01").unwrap();
    assert_eq!(huyen01[late], Data::Float(5.0));
    let so01 = rows.iter().find(|r| r[1] == "SO01").unwrap();
    assert_eq!(so01[par], Data::Empty, "SO01 has no PAR result");
    // Notes below the table say how it is sorted.
    assert!(
        rows.iter()
            .any(|r| r[0].to_string().contains("theo hạng chỉ số hài lòng chung"))
    );
}

/// The XML parts of the workbook, by name.
fn xlsx_parts(path: &Path) -> Vec<(String, String)> {
    use std::io::Read as _;
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut out = Vec::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let name = f.name().unwrap().to_string();
        let mut text = String::new();
        if name.ends_with(".xml") {
            f.read_to_string(&mut text).unwrap();
            out.push((name, text));
        }
    }
    out
}

#[test]
fn every_sheet_prints_on_a4_landscape_one_page_wide_with_its_header_row_repeated() {
    let dir = Dir::new();
    ok(&named_inputs(&dir));
    let path = dir.path("report/report.xlsx");
    let book: Xlsx<_> = open_workbook(&path).unwrap();
    let names = book.sheet_names();
    let parts = xlsx_parts(&path);
    let part = |name: &str| {
        &parts
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no {name}"))
            .1
    };
    let workbook = part("xl/workbook.xml");
    for (i, name) in names.iter().enumerate() {
        let xml = part(&format!("xl/worksheets/sheet{}.xml", i + 1));
        let setup = &xml[xml.find("<pageSetup ").unwrap_or_else(|| panic!("{name}"))..];
        let setup = &setup[..setup.find("/>").unwrap()];
        assert!(
            setup.contains("orientation=\"landscape\""),
            "{name}: {setup}"
        );
        assert!(setup.contains("paperSize=\"9\""), "{name}: A4: {setup}");
        // One page wide (fitToWidth is 1 when not written), as many tall as it takes.
        assert!(xml.contains("<pageSetUpPr fitToPage=\"1\"/>"), "{name}");
        assert!(
            !setup.contains("fitToWidth") || setup.contains("fitToWidth=\"1\""),
            "{name}: {setup}"
        );
        assert!(setup.contains("fitToHeight=\"0\""), "{name}: {setup}");
        assert!(xml.contains("state=\"frozen\""), "{name}: frozen header");
        assert!(xml.contains("gridLines=\"1\""), "{name}: gridlines");
        assert!(xml.contains("<pageMargins "), "{name}");
        assert!(
            xml.contains("Trang &amp;P/&amp;N"),
            "{name}: page numbers in the footer"
        );
        assert!(
            xml.contains("Báo cáo kết quả đo lường"),
            "{name}: the title in the header"
        );
        // The header row repeated on every page: row 2 under the summary's title line.
        let header_row = if i < 2 { 2 } else { 1 };
        let quoted = if name.contains(' ') {
            format!("'{name}'")
        } else {
            name.clone()
        };
        let titles = format!(
            "<definedName name=\"_xlnm.Print_Titles\" localSheetId=\"{i}\">{quoted}!${header_row}:${header_row}</definedName>"
        );
        assert!(workbook.contains(&titles), "{titles} in {workbook}");
    }
    // The same inputs give the same bytes.
    let first = std::fs::read(&path).unwrap();
    std::fs::remove_dir_all(dir.path("report")).unwrap();
    ok(&named_inputs(&dir));
    assert!(std::fs::read(&path).unwrap() == first, "not byte-identical");
}

#[test]
fn no_sheet_shows_a_code_where_a_name_exists() {
    let dir = Dir::new();
    ok(&named_inputs(&dir));
    let path = dir.path("report/report.xlsx");
    let cells = all_cells(&path);
    for (sheet, v) in &cells {
        for code in ["element:", "item:"] {
            assert!(!v.contains(code), "{sheet}: {v:?}");
        }
        for level in ["all", "unit", "officer", "so", "huyen", "overall"] {
            assert_ne!(v, level, "{sheet}: a code in a cell");
        }
    }
    // Named where the inputs have names, and every row of indices.csv still there.
    let detail: Vec<&str> = cells
        .iter()
        .filter(|(s, _)| s == DETAIL_SHEET)
        .map(|(_, v)| v.as_str())
        .collect();
    assert!(detail.contains(&"Yếu tố E1: Tiếp cận dịch vụ"));
    assert!(detail.contains(&"Tiêu chí Q01: Nơi ngồi chờ có đủ chỗ ngồi"));
    assert!(detail.contains(&"UBND huyện Bình Minh"));
    assert_workbook_matches(&path, &dir.path("indices/indices.csv"));
    // Units named beside their codes on the other sheets.
    let mut book: Xlsx<_> = open_workbook(&path).unwrap();
    for (sheet, code_col, name_col) in [
        ("Xếp hạng", 1, 2),
        ("Cảnh báo", 1, 2),
        ("Tiến độ hồ sơ", 1, 2),
        ("Chỉ số CCHC", 0, 1),
        ("CCHC theo lĩnh vực", 0, 1),
    ] {
        let range = book.worksheet_range(sheet).unwrap();
        let header: Vec<String> = range
            .rows()
            .next()
            .unwrap()
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(
            (header[code_col].as_str(), header[name_col].as_str()),
            ("Mã đơn vị", "Tên đơn vị"),
            "{sheet}"
        );
        let row = range.rows().find(|r| r[code_col] == "HUYEN02").unwrap();
        assert_eq!(
            row[name_col],
            Data::String("UBND huyện Bình Minh".into()),
            "{sheet}"
        );
    }
}

/// The departments' PAR result, a second `chiso par` run on another framework. The group's
/// mean index is (79.75 + 70 + 60) / 3 = 69.916…: SO07's whole interval lies above it, SO08's
/// below, and SO09's interval holds it.
const PAR_SO_CSV: &str = "\
unit_code,unit_name,unit_group,points,max_points,index,std_error,ci_lower,ci_upper,rank,rank_lower,rank_upper,group_size
SO07,Sở Công Thương,so,79.75,100,79.75,1.1,77.6,81.9,1,1,1,3
SO09,Sở Y tế,so,70,100,70,0.25,69.5,70.5,2,2,2,3
SO08,Sở Nông nghiệp,so,54,90,60,1,58,62,3,3,3,3
";

#[test]
fn par_may_be_given_once_per_framework() {
    let dir = Dir::new();
    let mut args = inputs(&dir, true);
    std::fs::create_dir_all(dir.path("par-so")).unwrap();
    dir.write("par-so/par.csv", PAR_SO_CSV);
    args.extend(["--par".to_string(), p(&dir.path("par-so")).into()]);
    ok(&args);
    // Both results, each group under its own heading, in the page and in the workbook.
    let html = dir.read("report/report.html");
    let cchc = &html[html.find("id=\"cchc\"").unwrap()..];
    let cchc = &cchc[..cchc.find("</section>").unwrap()];
    let so = cchc
        .find("<h3>Sở, ban, ngành</h3>")
        .expect("a heading for the departments");
    let huyen = cchc
        .find("<h3>Huyện, thị xã, thành phố (trước 01/7/2025)</h3>")
        .expect("a heading for the districts, of the time before the two tiers");
    assert!(huyen < so, "in the order of --par");
    assert!(cchc[so..].contains("79,75%"));
    assert!(cchc[huyen..so].contains("88,25%"));
    // Leaders and laggards against the group's mean, computed by hand.
    assert!(cchc[huyen..so].contains("Trung bình nhóm 86,88%"));
    assert!(cchc[huyen..so].contains("0 đơn vị cao hơn và 0 đơn vị thấp hơn"));
    let so_part = &cchc[so..];
    assert!(so_part.contains("Trung bình nhóm 69,92%"), "{so_part}");
    assert!(so_part.contains("1 đơn vị cao hơn và 1 đơn vị thấp hơn"));
    let bar = |code: &str| -> &str {
        // The bar's tooltip names the unit: "Sở Công Thương (SO07): 79,75% (…)".
        let at = so_part.find(&format!("({code}): ")).unwrap();
        let start = so_part[..at].rfind("<li class=\"bar\"").unwrap();
        &so_part[start..at + so_part[at..].find("</li>").unwrap()]
    };
    assert!(bar("SO07").contains("#2f9e44") && bar("SO07").contains("cao hơn trung bình"));
    assert!(bar("SO08").contains("#d64541") && bar("SO08").contains("thấp hơn trung bình"));
    assert!(bar("SO09").contains("#2563eb"));
    let mut book: Xlsx<_> = open_workbook(dir.path("report/report.xlsx")).unwrap();
    let par = book.worksheet_range("Chỉ số CCHC").unwrap();
    let codes: Vec<String> = par.rows().skip(1).map(|r| r[0].to_string()).collect();
    assert_eq!(codes, ["HUYEN01", "HUYEN02", "SO07", "SO09", "SO08"]);
    let so_row = par.rows().find(|r| r[0] == "SO07").unwrap();
    assert_eq!(so_row[5], Data::Float(79.75));
    assert_eq!(so_row[9], Data::Float(1.0));
    // Fields come from the runs that have them.
    let fields = book.worksheet_range("CCHC theo lĩnh vực").unwrap();
    assert_eq!(fields.rows().count(), 1 + 2);

    // The same group from two runs cannot be ranked together: refused, nothing written.
    std::fs::remove_dir_all(dir.path("report")).unwrap();
    dir.write(
        "par-so/par.csv",
        &PAR_SO_CSV.replace(
            "SO07,Sở Công Thương,so,",
            "HUYEN09,UBND huyện Gia Lộc,huyen,",
        ),
    );
    fails(
        &args,
        &dir,
        &[
            "par-so/par.csv: row 2, column `unit_group`",
            "\"huyen\"",
            "from one directory only",
        ],
    );
    // Nor can a unit have two results.
    dir.write(
        "par-so/par.csv",
        &PAR_SO_CSV.replace(
            "SO07,Sở Công Thương,so,",
            "HUYEN02,UBND huyện Bình Minh,so,",
        ),
    );
    fails(
        &args,
        &dir,
        &[
            "par-so/par.csv: row 2, column `unit_code`",
            "also in",
            "par/par.csv row 3",
        ],
    );
}

fn fails(args: &[String], dir: &Dir, needles: &[&str]) {
    let o = run(args);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    for n in needles {
        assert!(err.contains(n), "{n:?} not in {err}");
    }
    assert!(
        dir.files("report").is_empty(),
        "partial output: {:?}",
        dir.files("report")
    );
}

#[test]
fn bad_inputs_name_the_file_row_column_and_value() {
    let dir = Dir::new();
    let args = inputs(&dir, true);
    let good = indices_csv();
    let good_json = dir.read("indices/indices.json");

    let bad = good.replacen(
        ",logit,100,99\n",
        ",logit,100,99\nALL,overall,satisfied_pct,9o.5,1,1,2,logit,3,2\n",
        1,
    );
    dir.write("indices/indices.csv", &bad);
    fails(
        &args,
        &dir,
        &[
            "indices.csv: row 3, column `estimate`",
            "\"9o.5\"",
            "number",
        ],
    );

    let dup: String = good
        .lines()
        .take(2)
        .chain(good.lines().skip(1).take(1))
        .collect::<Vec<_>>()
        .join("\n");
    dir.write("indices/indices.csv", &(dup + "\n"));
    fails(&args, &dir, &["row 3", "already appear in row 2"]);

    dir.write(
        "indices/indices.csv",
        &good.replacen(
            ",100,99\n",
            ",100,99\nSO01,overall,dissatisfied_pct,101,1,1,2,logit,3,2\n",
            1,
        ),
    );
    fails(&args, &dir, &["column `estimate`", "between 0 and 100"]);

    dir.write("indices/indices.csv", &good);
    dir.write(
        "indices/flags.csv",
        &FLAGS_CSV.replacen(",true,true,false,", ",yes,true,false,", 1),
    );
    fails(
        &args,
        &dir,
        &["flags.csv: row 3, column `above`", "\"yes\"", "true, false"],
    );

    dir.write("indices/flags.csv", &FLAGS_CSV.replace("HUYEN01-CB07", ""));
    fails(&args, &dir, &["flags.csv: row 5, column `officer_id`"]);
    dir.write("indices/flags.csv", FLAGS_CSV);

    dir.write("indices/ranks.csv", &RANKS_CSV.replace(",rank,", ",place,"));
    fails(
        &args,
        &dir,
        &["ranks.csv", "missing required column(s) `rank`"],
    );

    dir.write(
        "indices/ranks.csv",
        &RANKS_CSV.replace("huyen,HUYEN02,", "xa,HUYEN02,"),
    );
    fails(
        &args,
        &dir,
        &["column `unit_group`", "\"huyen\"", "one unit_group"],
    );
    dir.write("indices/ranks.csv", RANKS_CSV);

    dir.write(
        "time/timeliness.csv",
        &TIMELINESS_CSV.replace("unit,HUYEN02,,400,", "unit,HUYEN02,,399,"),
    );
    fails(
        &args,
        &dir,
        &[
            "timeliness.csv: row 4, column `records`",
            "more than the records",
        ],
    );
    dir.write("time/timeliness.csv", TIMELINESS_CSV);

    dir.write(
        "par/par.csv",
        &PAR_CSV.replace(",84.1,86.9,", ",86.9,84.1,"),
    );
    fails(
        &args,
        &dir,
        &["par.csv: row 2, column `ci_lower`", "lower end is above"],
    );
    dir.write("par/par.csv", PAR_CSV);

    dir.write("manifest.json", &MANIFEST.replace("\"seed\"", "\"seeds\""));
    fails(
        &args,
        &dir,
        &["manifest.json", "not a chiso manifest", "`seed`"],
    );
    dir.write("manifest.json", MANIFEST);

    dir.write("indices/indices.json", "{\"questionnaire\": \"q\"}");
    fails(&args, &dir, &["indices.json", "settings.ci_method"]);
    std::fs::remove_file(dir.path("indices/indices.json")).unwrap();
    fails(
        &args,
        &dir,
        &["indices.json: not found", "chiso index --out DIR"],
    );
    dir.write("indices/indices.json", &good_json);

    std::fs::remove_file(dir.path("par/par.csv")).unwrap();
    fails(&args, &dir, &["par.csv: not found", "--par"]);
    dir.write("par/par.csv", PAR_CSV);

    // All good again: both files appear.
    ok(&args);
    assert_eq!(dir.files("report"), ["report.html", "report.xlsx"]);
}

/// The browser's binary, or `None` (the test then skips, unless `CI` is set).
fn chromium() -> Option<PathBuf> {
    let found = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists());
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromium is required in CI (apt-get install chromium)"
        );
        eprintln!("note: chromium not found; the browser test is skipped");
    }
    found
}

/// Loads `page` in headless Chromium; returns the rendered DOM and the console lines.
fn render(browser: &Path, page: &Path, profile: &Path) -> (String, Vec<String>) {
    let o = std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            &format!("--user-data-dir={}", profile.display()),
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
            &format!("file://{}", page.display()),
        ])
        .output()
        .expect("chromium runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let console = String::from_utf8_lossy(&o.stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught"))
        .map(str::to_string)
        .collect();
    (String::from_utf8_lossy(&o.stdout).into_owned(), console)
}

#[test]
fn page_renders_in_a_browser_without_console_errors() {
    let Some(browser) = chromium() else { return };
    let dir = Dir::new();
    // The check can fail: a page with a broken script logs to the console.
    let broken = dir.write(
        "broken.html",
        "<!DOCTYPE html><html><body><script>console.error('boom'); nosuchfn();</script></body></html>",
    );
    let (_, console) = render(&browser, &broken, &dir.path("profile-a"));
    assert!(
        console.iter().any(|l| l.contains("nosuchfn")),
        "{console:?}"
    );

    ok(&inputs(&dir, true));
    let page = dir.path("report/report.html");
    let (dom, console) = render(&browser, &page, &dir.path("profile-b"));
    assert!(console.is_empty(), "console: {console:?}");
    assert!(dom.contains("<html lang=\"vi\">"), "{dom}");
    for unit in UNITS {
        assert!(dom.contains(&format!("<code>{unit}</code>")), "{unit}");
    }
    assert!(dom.contains("91,23%"));
    assert!(dom.contains("<li class=\"bar\""));
}

/// The arguments of `chiso verify --report` for the report that `args` (of `inputs`) made.
fn verify_args(dir: &Dir, extra: &[(&str, &str)]) -> Vec<String> {
    let mut v: Vec<String> = vec![
        "verify".into(),
        "--report".into(),
        p(&dir.path("report")).into(),
        "--from-indices".into(),
        p(&dir.path("indices")).into(),
        "--from-par".into(),
        p(&dir.path("par")).into(),
        "--from-timeliness".into(),
        p(&dir.path("time")).into(),
        "--from-manifest".into(),
        p(&dir.path("manifest.json")).into(),
    ];
    for (opt, path) in extra {
        v.push(opt.to_string());
        v.push(p(&dir.path(path)).into());
    }
    v
}

/// The part of `html` from the element with `id` to the end of its section (or article).
fn part<'a>(html: &'a str, id: &str, end: &str) -> &'a str {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no {id}"));
    let rest = &html[at..];
    &rest[..rest.find(end).unwrap()]
}

/// `indices_csv()` with the rows of `domain`'s overall indicator on `n` answers.
fn with_answers(csv: &str, domain: &str, n: u64) -> String {
    csv.lines()
        .map(|l| {
            if l.starts_with(&format!("{domain},overall,")) {
                let mut cells: Vec<String> = l.split(',').map(str::to_string).collect();
                cells[8] = n.to_string();
                cells[9] = (n - 1).to_string();
                cells.join(",") + "\n"
            } else {
                format!("{l}\n")
            }
        })
        .collect()
}

#[test]
fn public_version_leaves_out_officers_and_suppresses_estimates_on_few_answers() {
    let dir = Dir::new();
    let mut args = inputs(&dir, true);
    // HUYEN01's overall indicator rests on 25 answers, fewer than the 30 a public estimate
    // needs; its overall share satisfied is 81.14285714285714 (81,14%).
    let few = with_answers(&indices_csv(), "HUYEN01", 25);
    dir.write("indices/indices.csv", &few);
    dir.write(
        "indices/ranks.csv",
        &RANKS_CSV.replace(",83.66,80,86,143,1,1,2,2,", ",83.66,80,86,25,1,1,2,2,"),
    );

    // The internal report (the default) keeps everything and says what it is.
    ok(&args);
    let html = dir.read("report/report.html");
    assert!(html.contains("<b>Bản nội bộ.</b>"));
    assert!(html.contains("HUYEN01-CB07"));
    assert!(part(&html, "the-HUYEN01", "</article>").contains("<b>81,14%</b>"));
    assert!(html.contains("&quot;public&quot;:false"));

    args.push("--public".into());
    ok(&args);
    let html = dir.read("report/report.html");
    assert!(html.contains("<b>Bản công khai.</b>"));
    assert!(html.contains("công khai: không nêu cán bộ; không công bố ước lượng dựa trên dưới 30"));
    assert!(
        html.contains("&quot;public&quot;:true"),
        "the provenance says so"
    );
    // No officer, anywhere: neither the flagged officer nor the late one.
    assert!(!html.contains("CB07"));
    assert!(!html.contains("Cán bộ: "));
    let card = part(&html, "the-HUYEN01", "</article>");
    assert!(!card.contains("81,14%"), "{card}");
    assert!(card.contains("<span class=\"supp\">–</span>"), "{card}");
    let units = part(&html, "don-vi", "</section>");
    assert!(units.contains("dưới 30 câu trả lời, quá ít để đáng tin, nên không công bố"));
    assert!(!units.contains("81,14%"));
    // The suppressed unit is still listed, and its rank is not published.
    assert!(units.contains(
        "<td class=\"num\">—</td><td class=\"num\">—</td><td class=\"name\"><a href=\"#the-HUYEN01\">"
    ));
    // Other units keep their numbers.
    assert!(html.contains(">91,23%<"));

    // The workbook follows: no officer, and the suppressed cells empty.
    let cells = all_cells(&dir.path("report/report.xlsx"));
    assert!(!cells.iter().any(|(_, v)| v.contains("CB07")));
    let expected: String = few
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let mut c: Vec<&str> = l.split(',').collect();
            if i > 0 && c[8].parse::<u64>().unwrap() < 30 {
                c[3..7].copy_from_slice(&["", "", "", ""]);
            }
            c.join(",") + "\n"
        })
        .collect();
    let expected_path = dir.write("expected.csv", &expected);
    assert_workbook_matches(&dir.path("report/report.xlsx"), &expected_path);
    let mut book: Xlsx<_> = open_workbook(dir.path("report/report.xlsx")).unwrap();
    let timeliness = book.worksheet_range("Tiến độ hồ sơ").unwrap();
    assert!(!timeliness.rows().any(|r| r[0] == "Cán bộ"));

    // `verify --report` renders the public version again, as the page records it.
    let o = run(&verify_args(&dir, &[]));
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}");
}

/// `comparison.csv` of last year's run against `indices_csv()`: the province up
/// significantly, SO01 down significantly, HUYEN01 up within the sampling error, HUYEN02
/// not in last year's run.
fn comparison_csv() -> String {
    let current = |domain: &str| -> String {
        indices_csv()
            .lines()
            .find(|l| l.starts_with(&format!("{domain},overall,satisfied_pct,")))
            .unwrap()
            .split(',')
            .nth(3)
            .unwrap()
            .to_string()
    };
    let mut s = String::from(
        "domain,indicator,measure,previous,current,difference,std_error,ci_lower,ci_upper,significant\n",
    );
    for (domain, diff, sig) in [
        ("ALL", 2.234, true),
        ("SO01", -4.5, true),
        ("HUYEN01", 1.25, false),
    ] {
        let cur: f64 = current(domain).parse().unwrap();
        let (lo, hi) = if sig {
            (diff - 1.0, diff + 1.0)
        } else {
            (diff - 3.0, diff + 3.0)
        };
        let (lo, hi) = if diff < 0.0 && sig {
            (diff - 1.0, diff + 1.0)
        } else {
            (lo, hi)
        };
        s.push_str(&format!(
            "{domain},overall,satisfied_pct,{},{},{diff},0.5,{lo},{hi},{sig}\n",
            cur - diff,
            current(domain)
        ));
    }
    s
}

#[test]
fn year_on_year_change_is_shown_with_its_significance() {
    let dir = Dir::new();
    let mut args = inputs(&dir, true);
    std::fs::create_dir_all(dir.path("change")).unwrap();
    dir.write("change/comparison.csv", &comparison_csv());
    args.extend(["--compare".to_string(), p(&dir.path("change")).into()]);
    ok(&args);
    let html = dir.read("report/report.html");
    let head = part(&html, "tong-hop", "</section>");
    assert!(
        head.contains("So với năm trước: <span class=\"chg up\">▲ +2,23 điểm</span>"),
        "{head}"
    );
    let units = part(&html, "don-vi", "</section>");
    let row = |code: &str| -> &str {
        let at = units
            .find(&format!("<td class=\"name\"><a href=\"#the-{code}\">"))
            .unwrap();
        &units[at..at + units[at..].find("</tr>").unwrap()]
    };
    assert!(units.contains("<th class=\"num\">So với năm trước</th>"));
    assert!(row("SO01").contains("<span class=\"chg down\">▼ −4,50 điểm</span>"));
    assert!(row("HUYEN01").contains("<span class=\"chg plain\">▲ +1,25 điểm*</span>"));
    assert!(row("HUYEN02").contains("<span class=\"chg new\">mới</span>"));
    assert!(units.contains("*: thay đổi nằm trong sai số chọn mẫu"));
    assert!(part(&html, "the-SO01", "</article>").contains("▼ −4,50 điểm"));
    // The comparison is an input of the report, recorded and checked again by verify.
    assert!(html.contains("&quot;comparison&quot;"));
    let o = run(&verify_args(&dir, &[("--from-compare", "change")]));
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}");
    let o = run(&verify_args(&dir, &[]));
    assert_eq!(o.status.code(), Some(1), "{:?}", text(&o));

    // A comparison whose current run is not these indices is refused, nothing written.
    std::fs::remove_dir_all(dir.path("report")).unwrap();
    dir.write(
        "change/comparison.csv",
        &comparison_csv()
            .lines()
            .enumerate()
            .map(|(i, l)| {
                let mut c: Vec<&str> = l.split(',').collect();
                if i == 1 {
                    c[4] = "91.2";
                }
                c.join(",") + "\n"
            })
            .collect::<String>(),
    );
    fails(
        &args,
        &dir,
        &[
            "comparison.csv: row 2, column `current`",
            "not the one of the report's indices.csv",
        ],
    );
    dir.write(
        "change/comparison.csv",
        &(comparison_csv() + "XA99,overall,satisfied_pct,1,2,1,0.5,0,2,true\n"),
    );
    fails(
        &args,
        &dir,
        &["row 5", "XA99 overall satisfied_pct is not a row"],
    );
}

#[test]
fn response_rates_are_shown_lowest_first_and_recorded() {
    let dir = Dir::new();
    let args = inputs(&dir, true);
    let rate = |c: u64, pa: u64, r: u64, nc: u64| {
        let d = (c + pa + r + nc) as f64;
        format!(
            "{c},{pa},{r},{nc},0,{},{},0",
            c as f64 / d,
            (c + pa) as f64 / d
        )
    };
    let rates = format!(
        "stratum,complete,partial,refusal,non_contact,ineligible,rr1,rr2,unknown\n\
         SO01,{}\nHUYEN01,{}\nHUYEN02,{}\nALL,{}\n",
        rate(90, 5, 5, 0),
        rate(60, 0, 30, 10),
        rate(80, 0, 20, 0),
        rate(230, 5, 55, 10)
    );
    dir.write("indices/response_rates.csv", &rates);
    ok(&args);
    let html = dir.read("report/report.html");
    let section = part(&html, "tra-loi", "</section>");
    assert!(section.contains("Toàn tỉnh: <b>78,3%</b>"), "{section}");
    let (a, b, c) = (
        section.find("<code>HUYEN01</code>").unwrap(),
        section.find("<code>HUYEN02</code>").unwrap(),
        section.find("<code>SO01</code>").unwrap(),
    );
    assert!(a < b && b < c, "lowest first");
    assert!(section.contains("50% đến dưới 70%: <b>1</b> đơn vị"));
    assert!(section.contains("từ 90%: <b>1</b> đơn vị"));
    assert!(part(&html, "the-HUYEN01", "</article>").contains("60,0%"));
    assert!(html.contains("&quot;response_rates&quot;"));
    // A rate that its counts do not give is refused.
    std::fs::remove_dir_all(dir.path("report")).unwrap();
    dir.write(
        "indices/response_rates.csv",
        &rates.replacen(",0.6,", ",0.65,", 1),
    );
    fails(
        &args,
        &dir,
        &["response_rates.csv: row 3, column `rr1`", "\"0.65\""],
    );
}

#[test]
fn timeliness_states_the_rule_and_summarises_officers() {
    let dir = Dir::new();
    let args = inputs(&dir, true);
    // HUYEN02 exactly at the ceiling (8 of 400: 2%) is within it; an officer with 10
    // records, half late, is not judged; one with 30 records, none late, is.
    let csv = TIMELINESS_CSV.replace(
        "unit,HUYEN02,,400,300,94,6,75,23.5,1.5,2,false",
        "unit,HUYEN02,,400,300,92,8,75,23,2,2,false",
    ) + "officer,HUYEN02,HUYEN02-CB01,10,3,2,5,30,20,50,2,true\n\
         officer,SO01,SO01-CB09,30,20,10,0,66.66666666666667,33.333333333333336,0,2,false\n";
    dir.write("time/timeliness.csv", &csv);
    ok(&args);
    let html = dir.read("report/report.html");
    let section = part(&html, "tien-do", "</section>");
    assert!(section.contains("tỷ lệ hồ sơ trễ hạn không quá 2%"));
    assert!(section.contains("đúng bằng 2% là không vượt"));
    assert!(section.contains("<b>2 đơn vị có tỷ lệ trễ hạn vượt trần</b> trong 4 đơn vị"));
    assert!(section.contains("<h3>2 đơn vị trong trần</h3>"));
    assert!(section.contains("trên 1% đến 2%: <b>1</b>"), "{section}");
    assert!(section.contains(
        "Trong 2 cán bộ có từ 20 hồ sơ trở lên, <b>1 cán bộ</b> có tỷ lệ trễ hạn vượt trần. \
         1 cán bộ có dưới 20 hồ sơ không được đánh giá"
    ));
    assert!(!section.contains("CB0"), "officers are summarised only");
    assert!(part(&html, "the-HUYEN02", "</article>").contains("2,00% (trong trần)"));
    // The province's row is stated, not counted as a unit.
    assert!(section.contains("Toàn tỉnh: 2.900 hồ sơ"));

    // A mark that its rate does not give is refused: exactly the ceiling is not over.
    std::fs::remove_dir_all(dir.path("report")).unwrap();
    dir.write(
        "time/timeliness.csv",
        &csv.replace(",8,75,23,2,2,false", ",8,75,23,2,2,true"),
    );
    fails(
        &args,
        &dir,
        &[
            "timeliness.csv: row 4, column `above_ceiling`",
            "not above the ceiling 2",
        ],
    );
}

#[test]
fn page_has_no_english_words() {
    let dir = Dir::new();
    let mut args = inputs(&dir, true);
    std::fs::create_dir_all(dir.path("change")).unwrap();
    dir.write("change/comparison.csv", &comparison_csv());
    args.extend(["--compare".to_string(), p(&dir.path("change")).into()]);
    let mut json: serde_json::Value =
        serde_json::from_str(&dir.read("indices/indices.json")).unwrap();
    json["element_names"] = serde_json::json!({"E1": "Tiếp cận dịch vụ"});
    json["weights"] = "N_h / m_h from the sample, calibrated (rake) to channel, field".into();
    dir.write("indices/indices.json", &json.to_string());
    ok(&args);
    let html = dir.read("report/report.html");
    // Elements by name, the code beside it.
    assert!(html.contains("Tiếp cận dịch vụ <code>E1</code>"));
    assert!(!html.contains("Yếu tố E1"));
    // What a reader sees: no markup, no style, no provenance, no codes, no file names.
    let mut text = html.clone();
    for (open, close) in [
        ("<template", "</template>"),
        ("<style>", "</style>"),
        ("<code>", "</code>"),
        ("<", ">"),
    ] {
        while let Some(a) = text.find(open) {
            let b = a + text[a..].find(close).unwrap() + close.len();
            text.replace_range(a..b, " ");
        }
    }
    let words: std::collections::BTreeSet<&str> = text
        .split(|c: char| !c.is_alphanumeric() && c != '.' && c != '_')
        .filter(|w| !w.contains('.') && !w.is_empty() && w.chars().all(|c| c.is_ascii_alphabetic()))
        .collect();
    let english = [
        "the",
        "from",
        "of",
        "and",
        "to",
        "sample",
        "all",
        "unit",
        "officer",
        "overall",
        "element",
        "item",
        "satisfied",
        "dissatisfied",
        "mean",
        "score",
        "true",
        "false",
        "seed",
        "digest",
        "weights",
        "calibrated",
        "rake",
        "channel",
        "field",
        "late",
        "ceiling",
        "rank",
        "logit",
        "beta",
        "level",
        "none",
        "null",
        "yes",
        "manifest",
        "svyciprop",
        "frame",
        "size",
        "mode",
        "fixed",
        "unit_code",
        "so",
        "huyen",
    ];
    // `so` is Vietnamese too, but never alone as a group's code: the page names the group.
    let found: Vec<&&str> = english
        .iter()
        .filter(|w| words.iter().any(|x| x.eq_ignore_ascii_case(w)) && **w != "so")
        .collect();
    assert!(found.is_empty(), "English words {found:?} among {words:?}");
    // The check can fail: the same page with an English phrase in it.
    let bad = text.replace("Phương pháp", "Method of the sample");
    assert!(bad.split_whitespace().any(|w| w == "sample"));
}

/// Loads `page` at `width` CSS pixels in headless Chromium, in a frame of that width (a
/// window cannot be narrower than 500 pixels there), and returns the document's scroll
/// width, its visible width, and which of `ids` the page has, read by a script of the test
/// (the published page has none).
fn measure(
    browser: &Path,
    dir: &Dir,
    page: &Path,
    width: u32,
    ids: &[&str],
) -> (u64, u64, Vec<String>) {
    let html = std::fs::read_to_string(page).unwrap();
    let srcdoc = html.replace('&', "&amp;").replace('"', "&quot;");
    let ids: Vec<String> = ids.iter().map(|i| format!("'{i}'")).collect();
    let probe = format!(
        "<!DOCTYPE html><html><body style=\"margin:0\"><p id=\"probe\"></p>\
         <iframe style=\"width:{width}px;height:900px;border:0\" onload=\"var d=this.contentDocument;\
         var ids=[{ids}].filter(function(i){{return d.getElementById(i)}});\
         document.getElementById('probe').textContent=d.documentElement.scrollWidth+' '+\
         d.documentElement.clientWidth+' '+ids.join(',')\" srcdoc=\"{srcdoc}\"></iframe></body></html>",
        ids = ids.join(",")
    );
    let probe_path = dir.write(&format!("probe-{width}.html"), &probe);
    let o = std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--hide-scrollbars",
            &format!(
                "--user-data-dir={}",
                dir.path(&format!("profile-{width}")).display()
            ),
            &format!("--window-size={},900", width.max(500) + 40),
            "--dump-dom",
            &format!("file://{}", probe_path.display()),
        ])
        .output()
        .expect("chromium runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let dom = String::from_utf8_lossy(&o.stdout);
    let at = dom.find("<p id=\"probe\">").expect("the probe") + "<p id=\"probe\">".len();
    let line = &dom[at..at + dom[at..].find("</p>").unwrap()];
    let mut parts = line.split(' ');
    let mut num = || -> u64 {
        parts
            .next()
            .and_then(|x| x.parse().ok())
            .unwrap_or_else(|| panic!("probe wrote {line:?}"))
    };
    let (scroll, visible) = (num(), num());
    let found = parts
        .next()
        .unwrap_or("")
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    (scroll, visible, found)
}

#[test]
fn page_never_scrolls_sideways_on_a_phone_or_a_desktop() {
    let Some(browser) = chromium() else { return };
    let dir = Dir::new();
    // The check can fail: a page with an element wider than a phone.
    let wide = dir.write(
        "wide.html",
        "<!DOCTYPE html><html><body><div id=\"x\" style=\"width:700px\">rộng</div></body></html>",
    );
    let (scroll, visible, found) = measure(&browser, &dir, &wide, 390, &["x", "y"]);
    assert!(scroll > visible, "{scroll} {visible}");
    assert_eq!(found, ["x"]);

    let mut args = inputs(&dir, true);
    std::fs::create_dir_all(dir.path("change")).unwrap();
    dir.write("change/comparison.csv", &comparison_csv());
    args.extend(["--compare".to_string(), p(&dir.path("change")).into()]);
    dir.write(
        "indices/response_rates.csv",
        "stratum,complete,partial,refusal,non_contact,ineligible,rr1,rr2,unknown\n\
         SO01,3,1,0,0,0,0.75,1,0\nALL,3,1,0,0,0,0.75,1,0\n",
    );
    ok(&args);
    let page = dir.path("report/report.html");
    // Every section the page has with all its inputs, the version's note, and a card per unit.
    let mut ids: Vec<&str> = chiso::report::SECTION_IDS.to_vec();
    ids.push("ban-noi-bo");
    ids.extend(["the-SO01", "the-HUYEN01", "the-HUYEN02"]);
    for width in [1280, 390] {
        let (scroll, visible, found) = measure(&browser, &dir, &page, width, &ids);
        assert!(
            scroll <= visible,
            "at {width} px the page is {scroll} px wide, {visible} px visible"
        );
        assert!(
            visible <= width as u64 && visible + 20 >= width as u64,
            "{visible}"
        );
        assert_eq!(found, ids, "sections at {width} px");
    }
}
