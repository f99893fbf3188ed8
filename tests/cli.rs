//! The command line as a user meets it: each test in its own directory, the real binary.

use crate::util::*;

fn sample(dir: &Dir, records: &str, extra: &[&str]) -> std::process::Output {
    sample_with(dir, records, DESIGN, "out", extra)
}

/// `chiso sample` with `design_text` written to `design.toml` and the output in `out`.
fn sample_with(
    dir: &Dir,
    records: &str,
    design_text: &str,
    out: &str,
    extra: &[&str],
) -> std::process::Output {
    sample_cli(dir, records, design_text, "KQXS 2024-10-01", out, extra)
}

fn verify(dir: &Dir, records: &str, with_sample: bool) -> std::process::Output {
    let rec = dir.path(records);
    let man = dir.path("out/manifest.json");
    let smp = dir.path("out/sample.csv");
    let mut args = vec!["verify", "--records", p(&rec), "--manifest", p(&man)];
    if with_sample {
        args.extend(["--sample", p(&smp)]);
    }
    chiso(&args)
}

#[test]
fn sample_then_verify_is_identical() {
    let dir = Dir::new();
    dir.write("records.csv", &records(4));
    let o = sample(&dir, "records.csv", &[]);
    assert!(o.status.success(), "{:?}", text(&o));
    assert_eq!(
        dir.files("out"),
        ["manifest.json", "rejected.csv", "sample.csv", "sample.xlsx"]
    );
    let s = dir.read("out/sample.csv");
    // With the UTF-8 byte-order mark, for spreadsheets.
    assert!(s.starts_with(
        "\u{feff}stratum,role,rank,applicant_id,record_id,unit_code,frame_size,sample_size,inclusion_prob,base_weight,"
    ));
    // 4 strata × (3 official + 2 reserves).
    assert_eq!(s.lines().count(), 1 + 4 * 5);
    let m: serde_json::Value = serde_json::from_str(&dir.read("out/manifest.json")).unwrap();
    for key in [
        "algorithm",
        "engine_version",
        "seed",
        "design",
        "frame_digest",
        "sample_digest",
        "strata",
    ] {
        assert!(m.get(key).is_some(), "manifest has {key}");
    }
    assert_eq!(m["records"]["sha256"], file_sha(&dir.path("records.csv")));
    // No personal data in the manifest.
    assert!(!dir.read("out/manifest.json").contains("Nguyễn"));
    let o = verify(&dir, "records.csv", true);
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("IDENTICAL"), "{out}");
}

#[test]
fn an_existing_sample_is_never_overwritten_without_force() {
    let dir = Dir::new();
    dir.write("records.csv", &records(2));
    assert!(sample(&dir, "records.csv", &[]).status.success());
    let before = dir.read("out/sample.csv");
    dir.write("records.csv", &records(3));
    let o = sample(&dir, "records.csv", &[]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err.contains("already exists") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(dir.read("out/sample.csv"), before);
    let o = sample(&dir, "records.csv", &["--force"]);
    assert!(o.status.success());
    assert_ne!(dir.read("out/sample.csv"), before);
}

#[test]
fn verify_reports_a_changed_records_file_by_stratum() {
    let dir = Dir::new();
    let text0 = records(3);
    dir.write("records.csv", &text0);
    assert!(sample(&dir, "records.csv", &[]).status.success());
    // Remove one applicant of unit U01: its stratum changes, the others do not.
    let edited: String = text0
        .lines()
        .filter(|l| !l.contains(",A01-001,"))
        .map(|l| format!("{l}\n"))
        .collect();
    dir.write("records.csv", &edited);
    let o = verify(&dir, "records.csv", false);
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("stratum's records changed: U01"), "{out}");
    assert!(
        !out.contains("changed: U00") && !out.contains("changed: U02"),
        "{out}"
    );
}

#[test]
fn reordered_rows_are_a_note_not_a_difference() {
    let dir = Dir::new();
    let text0 = records(3);
    dir.write("records.csv", &text0);
    assert!(sample(&dir, "records.csv", &[]).status.success());
    let mut lines: Vec<&str> = text0.lines().collect();
    lines[1..].reverse();
    dir.write("records.csv", &(lines.join("\n") + "\n"));
    let o = verify(&dir, "records.csv", true);
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains("note:") && out.contains("not byte-for-byte"),
        "{out}"
    );
}

#[test]
fn verify_reports_missing_extra_and_reordered_rows_of_an_edited_sample() {
    let dir = Dir::new();
    dir.write("records.csv", &records(2));
    assert!(sample(&dir, "records.csv", &[]).status.success());
    let s = dir.read("out/sample.csv");
    let mut lines: Vec<String> = s.lines().map(String::from).collect();
    // Swap the ranks of the first two officials of the first stratum.
    let swap = |l: &str, to: &str| {
        let mut f: Vec<String> = l.split(',').map(String::from).collect();
        f[2] = to.into();
        f.join(",")
    };
    lines[1] = swap(&lines[1], "2");
    lines[2] = swap(&lines[2], "1");
    // Drop one row and invent another.
    lines.remove(3);
    let mut fake: Vec<String> = lines[4].split(',').map(String::from).collect();
    fake[3] = "INVENTED".into();
    lines.push(fake.join(","));
    dir.write("out/sample.csv", &(lines.join("\n") + "\n"));
    let o = verify(&dir, "records.csv", true);
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    for want in [
        "re-ordered",
        "missing from the sample file",
        "extra in the sample file",
        "edited or replaced",
    ] {
        assert!(out.contains(want), "{want}: {out}");
    }
}

#[test]
fn broken_rows_are_rejected_with_row_and_column_and_counted() {
    let dir = Dir::new();
    let mut t = records(2);
    t.push_str("R90001,U00,,2024-03-01,citizen,X,1\n"); // row: empty applicant_id
    t.push_str("R90002,U00,B1,2024-13-01,citizen,X,1\n"); // bad date
    t.push_str("R00001,U01,B2,2024-03-01,citizen,X,1\n"); // duplicate of the first record
    t.push_str("R90003,U00,B3,2024-03-01,company,X,1\n"); // unknown applicant type
    t.push_str("R90004,U00,B4\n"); // too few cells
    dir.write("records.csv", &t);
    let rows = t.lines().count() as u64; // header is row 1, so the last row's number
    // 6 rows of 16 rejected is more than a run accepts unless told.
    let o = sample(&dir, "records.csv", &[]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("records.csv: 6 of ") && err.contains("more than the 10% a run accepts"),
        "{err}"
    );
    assert!(err.contains("--max-rejected 1"), "{err}");
    assert!(!dir.path("out").exists(), "nothing written");
    let o = sample(&dir, "records.csv", &["--max-rejected", "1"]);
    assert!(o.status.success(), "{:?}", text(&o));
    let rej = dir.read("out/rejected.csv");
    let lines: Vec<&str> = rej.lines().collect();
    assert_eq!(lines[0], "\u{feff}row,column,value,reason");
    assert_eq!(lines.len(), 1 + 6, "{rej}");
    assert!(
        rej.contains("\n2,record_id,R00001,"),
        "the first copy is rejected too: {rej}"
    );
    assert!(
        rej.contains(&format!(
            "\n{},applicant_id,,applicant_id is empty",
            rows - 4
        )),
        "{rej}"
    );
    assert!(
        rej.contains(&format!(
            "\n{},returned_date,2024-13-01,\"not a date: expected a date such as 2025-03-15, \
             15/03/2025, 15-03-2025 or 15.03.2025, optionally with a time such as 17:30\"\n",
            rows - 3
        )),
        "{rej}"
    );
    assert!(
        rej.contains(&format!(
            "\n{},record_id,R00001,record_id already on row 2",
            rows - 2
        )),
        "{rej}"
    );
    assert!(
        rej.contains(&format!("\n{},applicant_type,company,", rows - 1)),
        "{rej}"
    );
    assert!(
        rej.contains(&format!(
            "\n{},,,the row has 3 cells but the header has 7",
            rows
        )),
        "{rej}"
    );
    let m: serde_json::Value = serde_json::from_str(&dir.read("out/manifest.json")).unwrap();
    assert_eq!(m["records"]["rejected"], 6);
    assert_eq!(m["records"]["sha256"], file_sha(&dir.path("records.csv")));
    assert_eq!(m["records"]["rows"], rows - 1);
    // The auditor re-draws the same lists from the same (broken) file.
    assert_eq!(verify(&dir, "records.csv", true).status.code(), Some(0));
}

#[test]
fn strict_turns_a_rejection_into_an_error_and_leaves_nothing() {
    let dir = Dir::new();
    let mut t = records(2);
    t.push_str("R90002,U00,B1,31/02/2024,citizen,X,1\n");
    dir.write("records.csv", &t);
    let o = sample(&dir, "records.csv", &["--strict"]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2));
    let row = t.lines().count();
    assert!(
        err.contains(&format!("row {row}, column `returned_date`")),
        "{err}"
    );
    assert!(
        err.contains("31/02/2024") && err.contains("2025-03-15, 15/03/2025, 15-03-2025"),
        "{err}"
    );
    assert!(
        dir.files("out").is_empty(),
        "no output: {:?}",
        dir.files("out")
    );
}

#[test]
fn missing_columns_are_named_with_what_was_found() {
    let dir = Dir::new();
    dir.write("records.csv", "record_id,unit,applicant_id\nR1,U1,A1\n");
    let o = sample(&dir, "records.csv", &[]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err.contains("records.csv")
            && err.contains("`unit_code`")
            && err.contains("`returned_date`"),
        "{err}"
    );
    assert!(
        err.contains("the header has: `record_id`, `unit`, `applicant_id`"),
        "{err}"
    );
    assert!(dir.files("out").is_empty());
}

#[test]
fn an_export_with_other_headers_is_read_through_a_column_map() {
    let dir = Dir::new();
    let t = records(2)
        .replacen("record_id", "MaHoSo", 1)
        .replacen("unit_code", "MaDonVi", 1);
    dir.write("export.csv", &t);
    dir.write("records.csv", &records(2));
    let o = sample(
        &dir,
        "export.csv",
        &["--columns", "record_id=MaHoSo,unit_code=MaDonVi"],
    );
    assert!(o.status.success(), "{:?}", text(&o));
    let mapped = dir.read("out/manifest.json");
    assert!(mapped.contains("\"record_id\": \"MaHoSo\""));
    let m: serde_json::Value = serde_json::from_str(&mapped).unwrap();
    // The same records under the engine's names give the same lists.
    let lists = draw_file(&dir.path("records.csv"), DESIGN, "KQXS 2024-10-01");
    assert_eq!(m["sample_digest"], lists.digest());
    assert_eq!(verify(&dir, "export.csv", true).status.code(), Some(0));
}

#[test]
fn invalid_designs_and_strata_are_refused_and_nothing_is_written() {
    let dir = Dir::new();
    dir.write("records.csv", &records(2));
    for (design, words) in [
        (
            DESIGN.replace("n = 3", "n = -3"),
            "[size] n: -3 is negative",
        ),
        (
            DESIGN.replace("\"unit_code\"]", "\"district\"]"),
            "stratum column `district` is not in",
        ),
        (
            DESIGN.replace("n = 3", "n = 3\nnn = 4"),
            "unknown field `nn`",
        ),
    ] {
        let out = dir.path("out");
        let o = sample_with(&dir, "records.csv", &design, "out", &[]);
        let (_, err) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains(words), "{words}: {err}");
        assert!(!out.exists());
    }
}

#[test]
fn a_bom_and_a_spreadsheet_give_the_same_lists_as_plain_csv() {
    let dir = Dir::new();
    let t = records(3);
    dir.write("records.csv", &t);
    dir.write("bom.csv", &format!("\u{feff}{t}"));
    csv_to_xlsx(&t, &dir.path("records.xlsx"));
    let a = draw_file(&dir.path("records.csv"), DESIGN, "s");
    let b = draw_file(&dir.path("bom.csv"), DESIGN, "s");
    let c = draw_file(&dir.path("records.xlsx"), DESIGN, "s");
    assert_eq!(a.frame.counts.eligible, c.frame.counts.eligible);
    assert_eq!(lines(&a), lines(&b));
    assert_eq!(lines(&a), lines(&c));
    assert_eq!(a.digest(), c.digest());
    // And through the command line, verified against the CSV.
    assert!(sample(&dir, "records.xlsx", &[]).status.success());
    assert_eq!(verify(&dir, "records.csv", false).status.code(), Some(0));
}

#[test]
fn a_sheet_too_large_to_hold_is_refused_with_what_to_do() {
    // The records and one stray cell at XFD1048576: a used range of 2^34 cells, which was
    // allocated whole (and failed) before a row was read; refused at once now.
    let dir = Dir::new();
    let t = records(1);
    csv_to_xlsx(&t, &dir.path("records.xlsx"));
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (r, line) in t.lines().enumerate() {
        for (c, v) in line.split(',').enumerate() {
            ws.write_string(r as u32, c as u16, v).unwrap();
        }
    }
    ws.write_string(1_048_575, 16_383, "x").unwrap();
    wb.save(dir.path("stray.xlsx")).unwrap();
    for command in ["sample", "timeliness"] {
        let o = if command == "sample" {
            sample(&dir, "stray.xlsx", &[])
        } else {
            let design = dir.write("design.toml", DESIGN);
            let (rec, out) = (dir.path("stray.xlsx"), dir.path("out"));
            chiso(&[
                "timeliness",
                "--records",
                p(&rec),
                "--design",
                p(&design),
                "--out",
                p(&out),
            ])
        };
        let (_, err) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(
            err.contains("stray.xlsx: sheet \"Sheet1\" is too large")
                && err.contains("reach row 1048576 and column XFD")
                && err.contains("delete the empty rows and columns after them")
                && err.contains("save the sheet as CSV UTF-8"),
            "{err}"
        );
        assert!(dir.files("out").is_empty());
    }
    // Without the stray cell, the same records draw.
    assert!(sample(&dir, "records.xlsx", &[]).status.success());
}

#[test]
fn the_demo_runs_and_verifies() {
    let dir = Dir::new();
    let out = dir.path("demo");
    let o = chiso(&["demo", "--out", p(&out), "--records", "4000"]);
    let (stdout, err) = text(&o);
    assert!(o.status.success(), "{stdout}{err}");
    assert!(stdout.contains("IDENTICAL"), "{stdout}");
    assert_eq!(
        dir.files("demo/sample"),
        ["manifest.json", "rejected.csv", "sample.csv", "sample.xlsx"]
    );
    assert!(stdout.contains("overall satisfaction"), "{stdout}");
    let files = dir.files("demo/indices");
    for f in ["indices.csv", "indices.json", "flags.csv", "ranks.csv"] {
        assert!(files.iter().any(|g| g == f), "{files:?}");
    }
    assert_eq!(
        dir.files("demo/timeliness"),
        ["timeliness.csv", "timeliness_rejected.csv"]
    );
    assert!(stdout.contains("timeliness:"), "{stdout}");
    let indices = dir.read("demo/indices/indices.csv");
    assert!(indices.contains("\nALL,overall,satisfied_pct,"));
}

#[test]
fn an_overrides_file_sets_one_stratum_and_is_recorded_in_the_manifest() {
    let dir = Dir::new();
    dir.write("records.csv", &records(3));
    dir.write("overrides.csv", "stratum,n,reserve\nU02,6,1\n");
    let design = format!("{DESIGN}\n[overrides]\nfile = \"overrides.csv\"\n");
    let o = sample_with(&dir, "records.csv", &design, "out", &[]);
    assert!(o.status.success(), "{:?}", text(&o));
    let m: serde_json::Value = serde_json::from_str(&dir.read("out/manifest.json")).unwrap();
    assert_eq!(m["strata"][2]["sample_size"], 6);
    assert_eq!(m["strata"][2]["reserve_size"], 1);
    assert_eq!(m["strata"][0]["sample_size"], 3);
    assert_eq!(m["design"]["override"][0]["stratum"], "U02");
    // The auditor needs only the records and the manifest.
    std::fs::remove_file(dir.path("overrides.csv")).unwrap();
    assert_eq!(verify(&dir, "records.csv", true).status.code(), Some(0));
    // A bad overrides cell names its row and column.
    dir.write("overrides.csv", "n,reserve,stratum\nsix,1,U02\n");
    let o = sample_with(&dir, "records.csv", &design, "o2", &[]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err.contains("overrides.csv: row 2, column `n`") && err.contains("whole number"),
        "{err}"
    );
}

#[test]
fn unreadable_inputs_name_the_file_and_the_row() {
    let dir = Dir::new();
    let mut bytes = records(1).into_bytes();
    bytes.extend_from_slice(b"R9,U00,A\xff,2024-01-02,citizen,x,1\n");
    std::fs::write(dir.path("latin1.csv"), &bytes).unwrap();
    let o = sample(&dir, "latin1.csv", &[]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err.contains("latin1.csv: row 9") && err.contains("UTF-8"),
        "{err}"
    );

    csv_to_xlsx(&records(1), &dir.path("r.xlsx"));
    let o = sample(&dir, "r.xlsx", &["--sheet", "Records"]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err.contains("no sheet named \"Records\"") && err.contains("Sheet1"),
        "{err}"
    );

    dir.write("records.json", "{}");
    let (_, err) = text(&sample(&dir, "records.json", &[]));
    assert!(err.contains("expected a .csv file"), "{err}");
    assert!(dir.files("out").is_empty());
}

#[test]
fn an_empty_seed_and_a_column_named_twice_are_refused() {
    let dir = Dir::new();
    dir.write("records.csv", &records(2));
    for seed in ["", "   "] {
        let o = sample_cli(&dir, "records.csv", DESIGN, seed, "out", &[]);
        let (_, err) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains("--seed") && err.contains("not empty"), "{err}");
    }
    assert!(!dir.path("out").exists(), "nothing is written");
    // A second `applicant_id` column would have been ignored.
    let twice = records(2).replacen("applicant_id", "applicant_id,applicant_id", 1);
    let twice: String = twice
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("{l}\n")
            } else {
                let (a, b) = l.split_once(',').unwrap();
                format!("{a},{b},X\n")
            }
        })
        .collect();
    dir.write("twice.csv", &twice);
    let o = sample(&dir, "twice.csv", &[]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("twice.csv: row 1: the header names the column `applicant_id` twice"),
        "{err}"
    );
}

/// `chiso index` on inputs that do not exist, with one setting: a wrong setting is reported
/// before any file is read.
fn index_with_setting(
    dir: &Dir,
    q: &std::path::Path,
    option: &str,
    value: &str,
) -> std::process::Output {
    chiso(&[
        "index",
        "--responses",
        "r.csv",
        "--questionnaire",
        p(q),
        "--population",
        "p.csv",
        "--out",
        p(&dir.path("o")),
        option,
        value,
    ])
}

#[test]
fn settings_out_of_bounds_name_the_option_and_the_bound() {
    let dir = Dir::new();
    let q = dir.write("q.toml", ORACLE_QUESTIONNAIRE);
    for (option, value, expected) in [
        ("--rank-replicates", "1000000000", "at most 100000"),
        ("--level", "0.9999999999999999", "at most 0.9999"),
        ("--level", "1", "at most 0.9999"),
    ] {
        let o = index_with_setting(&dir, &q, option, value);
        let (_, err) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(
            err.contains(&format!("error: {option} {value}: ")) && err.contains(expected),
            "{err}"
        );
    }
    let o = chiso(&[
        "par",
        "--framework",
        "f.toml",
        "--scores",
        "s.csv",
        "--out",
        p(&dir.path("o")),
        "--replicates",
        "100001",
    ]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--replicates 100001: expected at most 100000"),
        "{err}"
    );
}

#[test]
fn a_closed_pipe_on_standard_output_is_no_crash() {
    let dir = Dir::new();
    dir.write("records.csv", &records(3));
    let o = sample(&dir, "records.csv", &[]);
    assert!(o.status.success(), "{:?}", text(&o));
    // Standard output is a pipe whose reader is already gone.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_chiso"))
        .args([
            "verify",
            "--records",
            p(&dir.path("records.csv")),
            "--manifest",
            p(&dir.path("out/manifest.json")),
        ])
        .stdout(writer)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0), "identical, and no panic (exit 101)");
}

#[test]
fn a_seed_retyped_decomposed_or_with_spaces_draws_the_same_lists() {
    let dir = Dir::new();
    dir.write("records.csv", &records(4));
    let composed = "Xổ số 01/10/2024: 123456";
    let typed = " Xo\u{0302}\u{0309} so\u{0302}\u{0301} 01/10/2024: 123456 ";
    assert_ne!(composed, typed);
    let a = sample_cli(&dir, "records.csv", DESIGN, composed, "a", &[]);
    assert!(a.status.success(), "{:?}", text(&a));
    assert!(!text(&a).0.contains("decomposed"));
    let b = sample_cli(&dir, "records.csv", DESIGN, typed, "b", &[]);
    let (out, err) = text(&b);
    assert!(b.status.success(), "{err}");
    assert!(
        out.contains("has decomposed accents or spaces around it: drawn and published as \"Xổ số 01/10/2024: 123456\""),
        "{out}"
    );
    assert_eq!(dir.read("a/sample.csv"), dir.read("b/sample.csv"));
    let seed = |d: &str| -> String {
        let m: serde_json::Value =
            serde_json::from_str(&dir.read(&format!("{d}/manifest.json"))).unwrap();
        m["seed"].as_str().unwrap().to_string()
    };
    assert_eq!(seed("a"), composed);
    assert_eq!(seed("b"), composed);
    let o = chiso(&[
        "verify",
        "--records",
        p(&dir.path("records.csv")),
        "--manifest",
        p(&dir.path("b/manifest.json")),
        "--sample",
        p(&dir.path("b/sample.csv")),
    ]);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
}

#[test]
fn mappings_sheets_outputs_and_encodings_that_would_be_ignored_are_refused() {
    let dir = Dir::new();
    dir.write("records.csv", &records(2));
    for (columns, expected) in [
        ("foo=bar", "`foo` is not a column chiso reads"),
        ("officer_id=MaCB", "has no column `MaCB` in its header"),
        (
            "record_id=unit_code,unit_code=unit_code",
            "the header `unit_code` is already given to `record_id`",
        ),
    ] {
        let o = sample(&dir, "records.csv", &["--columns", columns]);
        let (_, err) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(
            err.contains("error: --columns ") && err.contains(expected),
            "{err}"
        );
    }
    let o = sample(&dir, "records.csv", &["--sheet", "Sheet1"]);
    let (_, err) = text(&o);
    assert!(
        err.contains("--sheet \"Sheet1\": ") && err.contains("CSV file, which has no sheets"),
        "{err}"
    );
    // `--out` naming a file.
    dir.write("taken", "");
    let o = sample_cli(&dir, "records.csv", DESIGN, "s", "taken", &[]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("taken is a file: the output goes into a directory")
            && err.contains("(--out)"),
        "{err}"
    );
    // UTF-16 text.
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(records(2).encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    std::fs::write(dir.path("utf16.csv"), utf16).unwrap();
    let o = sample(&dir, "utf16.csv", &[]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("utf16.csv: the file is UTF-16 text; save it as \"CSV UTF-8\""),
        "{err}"
    );
    assert!(!err.contains('\0'), "no raw NUL bytes in the message");
    // A threshold given as a proportion.
    let q = dir.write("q.toml", ORACLE_QUESTIONNAIRE);
    let o = index_with_setting(&dir, &q, "--flag-threshold", "0.25");
    let (_, err) = text(&o);
    assert!(
        err.contains("--flag-threshold 0.25: this looks like a proportion"),
        "{err}"
    );
}

#[test]
fn a_file_whose_every_row_is_rejected_is_refused() {
    let dir = Dir::new();
    // Dates as an office's export may write them, none of them readable.
    let t = records(2).replace("2024-", "2024.");
    dir.write("records.csv", &t);
    let o = sample(&dir, "records.csv", &["--max-rejected", "1"]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("rows rejected (100.0%)") && err.contains("not a date"),
        "{err}"
    );
    assert!(!dir.path("out").exists(), "no empty sample blocks a re-run");
    let o = chiso(&[
        "timeliness",
        "--records",
        p(&dir.path("records.csv")),
        "--out",
        p(&dir.path("t")),
    ]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("rows rejected (100.0%)"), "{err}");
    let o = sample(&dir, "records.csv", &["--max-rejected", "1.5"]);
    assert!(
        text(&o)
            .1
            .contains("--max-rejected 1.5: expected a share from 0 to 1")
    );
}
