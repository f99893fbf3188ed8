//! `chiso entry-compare`: two data entries of the same forms compared answer by answer.

use std::collections::BTreeSet;

use crate::util::*;

const HEADER: &str = "applicant_id,stratum,disposition,clerk_id,Q01,Q02,Q03,Q04,Q05,Q06";

/// Forms of three strata: every seventh answer a no-answer code (9), every eleventh empty.
fn forms() -> Vec<Vec<String>> {
    (0..45)
        .map(|i| {
            let mut row = vec![
                format!("A{i:04}"),
                format!("S{}", i % 3),
                if i % 13 == 0 { "partial" } else { "complete" }.to_string(),
                format!("C{}", i % 2),
            ];
            for k in 0..6 {
                let n = i * 6 + k;
                row.push(match n {
                    _ if n % 7 == 0 => "9".to_string(),
                    _ if n % 11 == 0 => String::new(),
                    _ => (1 + n % 5).to_string(),
                });
            }
            row
        })
        .collect()
}

fn file(rows: &[Vec<String>]) -> String {
    let mut s = format!("{HEADER}\n");
    for r in rows {
        s.push_str(&r.join(","));
        s.push('\n');
    }
    s
}

fn compare(dir: &Dir, first: &str, second: &str, out: &str) -> std::process::Output {
    compare_with(dir, first, second, out, &[])
}

/// [`compare`] with more options.
fn compare_with(
    dir: &Dir,
    first: &str,
    second: &str,
    out: &str,
    extra: &[&str],
) -> std::process::Output {
    let q = dir.write("q.toml", ORACLE_QUESTIONNAIRE);
    let (first, second, out) = (dir.path(first), dir.path(second), dir.path(out));
    let mut args = vec![
        "entry-compare",
        "--first",
        p(&first),
        "--second",
        p(&second),
        "--questionnaire",
        p(&q),
        "--out",
        p(&out),
    ];
    args.extend_from_slice(extra);
    chiso(&args)
}

/// The rows of a CSV file, header first.
fn rows(text: &str) -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    r.records()
        .map(|x| x.unwrap().iter().map(String::from).collect())
        .collect()
}

/// The second entry with its planted differences, and the discrepancies they are.
fn planted() -> (Vec<Vec<String>>, Vec<Vec<String>>) {
    let mut second = forms();
    let mut expected = Vec::new();
    let mut plant = |second: &mut Vec<Vec<String>>, i: usize, col: usize, value: &str| {
        let row = &mut second[i];
        let item = HEADER.split(',').nth(col).unwrap().to_string();
        let read = |v: &str| {
            if v == "9" {
                String::new()
            } else {
                v.to_string()
            }
        };
        expected.push(vec![
            row[0].clone(),
            row[1].clone(),
            item,
            read(&row[col]),
            read(value),
        ]);
        row[col] = value.to_string();
    };
    // A different answer, an answer left out, an answer added, a disposition mistyped.
    assert_eq!(second[3][4], "4");
    plant(&mut second, 3, 4, "5");
    assert_eq!(second[10][5], "2");
    plant(&mut second, 10, 5, "");
    assert_eq!(second[8][5], "9");
    plant(&mut second, 8, 5, "1");
    plant(&mut second, 20, 2, "refusal");
    plant(&mut second, 20, 9, "3");
    // Not differences: a no-answer code entered as an empty cell, another clerk.
    assert_eq!(second[0][4], "9");
    second[0][4] = String::new();
    second[5][3] = "C9".into();
    // A form only in the first entry, one only in the second.
    let gone = second.remove(30);
    expected.push(vec![
        gone[0].clone(),
        gone[1].clone(),
        String::new(),
        "entered".into(),
        String::new(),
    ]);
    second.push(
        ["A9999", "S1", "complete", "C1", "1", "2", "3", "4", "5", ""]
            .map(String::from)
            .to_vec(),
    );
    expected.push(
        ["A9999", "S1", "", "", "entered"]
            .map(String::from)
            .to_vec(),
    );
    (second, expected)
}

#[test]
fn planted_differences_are_found_exactly() {
    let dir = Dir::new();
    dir.write("first.csv", &file(&forms()));
    let (second, expected) = planted();
    dir.write("second.csv", &file(&second));
    let o = compare(&dir, "first.csv", "second.csv", "out");
    let (stdout, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{stdout}{stderr}");
    let found = rows(&dir.read("out/discrepancies.csv"));
    assert_eq!(
        found[0],
        ["applicant_id", "stratum", "item", "first", "second"]
    );
    let found: BTreeSet<Vec<String>> = found[1..].iter().cloned().collect();
    let expected: BTreeSet<Vec<String>> = expected.into_iter().collect();
    assert_eq!(found, expected);
    assert_eq!(dir.read("out/discrepancies.csv").lines().count(), 1 + 7);
    // The summary counts by item and masks the applicants.
    assert!(
        stdout.contains("5 answers differ, 2 forms are in only one entry"),
        "{stdout}"
    );
    assert!(stdout.contains("Q01: 1 of 44 differ"), "{stdout}");
    assert!(stdout.contains("disposition: 1 of 44 differ"), "{stdout}");
    assert!(
        !stdout.contains("A0003") && stdout.contains("A00…"),
        "{stdout}"
    );
    // Agreement per item, in total and per clerk.
    let agreement = rows(&dir.read("out/agreement.csv"));
    assert_eq!(
        agreement[0],
        [
            "clerk",
            "item",
            "forms",
            "answers",
            "differing",
            "agreement_rate"
        ]
    );
    let row = |clerk: &str, item: &str| {
        agreement
            .iter()
            .find(|r| r[0] == clerk && r[1] == item)
            .unwrap_or_else(|| panic!("{clerk} {item}"))
            .clone()
    };
    assert_eq!(
        row("ALL", "Q01")[2..],
        ["44", "44", "1", &(1.0 - 1.0 / 44.0).to_string()]
    );
    assert_eq!(row("ALL", "Q02")[2..5], ["44", "44", "2"]);
    assert_eq!(row("ALL", "Q03")[2..5], ["44", "44", "0"]);
    assert_eq!(row("ALL", "ALL")[2..5], ["44", "308", "5"]);
    assert_eq!(row("C9", "ALL")[2..5], ["1", "7", "0"]);
    let c0 = row("C0", "ALL");
    let c1 = row("C1", "ALL");
    assert_eq!(
        c0[4].parse::<u64>().unwrap() + c1[4].parse::<u64>().unwrap(),
        5
    );
}

#[test]
fn identical_entries_exit_0() {
    let dir = Dir::new();
    dir.write("first.csv", &file(&forms()));
    // The same forms, a no-answer code typed as an empty cell and rows in another order.
    let mut second = forms();
    second[0][4] = String::new();
    second.reverse();
    dir.write("second.csv", &file(&second));
    let o = compare(&dir, "first.csv", "second.csv", "out");
    let (stdout, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("identical"), "{stdout}");
    assert_eq!(
        dir.read("out/discrepancies.csv"),
        "\u{feff}applicant_id,stratum,item,first,second\n"
    );
    assert!(
        dir.read("out/agreement.csv")
            .contains("ALL,ALL,45,315,0,1\n")
    );
}

#[test]
fn a_form_in_only_one_entry() {
    let dir = Dir::new();
    let all = forms();
    dir.write("first.csv", &file(&all[..3]));
    dir.write("second.csv", &file(&all[..2]));
    let o = compare(&dir, "first.csv", "second.csv", "out");
    assert_eq!(o.status.code(), Some(1), "{:?}", text(&o));
    assert_eq!(
        dir.read("out/discrepancies.csv"),
        "\u{feff}applicant_id,stratum,item,first,second\nA0002,S2,,entered,\n"
    );
    assert!(text(&o).0.contains("only in the first entry"));
    // The other way round.
    let o = compare(&dir, "second.csv", "first.csv", "back");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        dir.read("back/discrepancies.csv"),
        "\u{feff}applicant_id,stratum,item,first,second\nA0002,S2,,,entered\n"
    );
}

#[test]
fn rows_in_another_order_give_the_same_files() {
    let dir = Dir::new();
    let first = forms();
    let (second, _) = planted();
    dir.write("first.csv", &file(&first));
    dir.write("second.csv", &file(&second));
    let mut first_shuffled = first.clone();
    first_shuffled.reverse();
    first_shuffled.rotate_left(7);
    let mut second_shuffled = second.clone();
    second_shuffled.rotate_left(11);
    dir.write("first_shuffled.csv", &file(&first_shuffled));
    dir.write("second_shuffled.csv", &file(&second_shuffled));
    assert_eq!(
        compare(&dir, "first.csv", "second.csv", "a").status.code(),
        Some(1)
    );
    let o = compare(&dir, "first_shuffled.csv", "second_shuffled.csv", "b");
    assert_eq!(o.status.code(), Some(1));
    for f in ["discrepancies.csv", "agreement.csv"] {
        assert_eq!(
            dir.read(&format!("a/{f}")),
            dir.read(&format!("b/{f}")),
            "{f}"
        );
    }
}

#[test]
fn a_spreadsheet_entry_is_read_as_its_csv() {
    let dir = Dir::new();
    let (second, _) = planted();
    dir.write("first.csv", &file(&forms()));
    dir.write("second.csv", &file(&second));
    csv_to_xlsx(&file(&second), &dir.path("second.xlsx"));
    assert_eq!(
        compare(&dir, "first.csv", "second.csv", "a").status.code(),
        Some(1)
    );
    assert_eq!(
        compare(&dir, "first.csv", "second.xlsx", "b").status.code(),
        Some(1)
    );
    assert_eq!(
        dir.read("a/discrepancies.csv"),
        dir.read("b/discrepancies.csv")
    );
}

#[test]
fn an_off_scale_answer_is_refused() {
    let dir = Dir::new();
    dir.write("first.csv", &file(&forms()));
    let mut second = forms();
    second[4][6] = "6".into();
    dir.write("second.csv", &file(&second));
    let o = compare(&dir, "first.csv", "second.csv", "out");
    let (_, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    for part in ["second.csv", "row 6", "Q03", "\"6\""] {
        assert!(stderr.contains(part), "{part}: {stderr}");
    }
    assert!(!dir.path("out/discrepancies.csv").exists());
}

#[test]
fn an_applicant_entered_twice_is_refused() {
    let dir = Dir::new();
    let mut first = forms();
    first.push(first[2].clone());
    dir.write("first.csv", &file(&first));
    dir.write("second.csv", &file(&forms()));
    let o = compare(&dir, "first.csv", "second.csv", "out");
    let (_, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("first.csv") && stderr.contains("already entered on row 4"),
        "{stderr}"
    );
    assert!(!stderr.contains("A0002"), "{stderr}");
}

#[test]
fn a_recheck_is_compared_with_the_original_forms_it_covers() {
    let dir = Dir::new();
    let original = forms();
    // The re-check team's entry: every fifth form, one answer heard otherwise, and one form
    // that the original entry does not have.
    let mut rechecked: Vec<Vec<String>> = original.iter().step_by(5).cloned().collect();
    rechecked[2][4] = if rechecked[2][4] == "5" { "1" } else { "5" }.to_string();
    let mut stranger = original[0].clone();
    stranger[0] = "Z0001".into();
    rechecked.push(stranger);
    dir.write("original.csv", &file(&original));
    dir.write("recheck.csv", &file(&rechecked));
    let run =
        |extra: &[&str], out: &str| compare_with(&dir, "original.csv", "recheck.csv", out, extra);
    let o = run(&["--recheck"], "re");
    let (stdout, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains("re-check: 9 of the first entry's forms re-checked, 36 not"),
        "{stdout}"
    );
    let found = rows(&dir.read("re/discrepancies.csv"));
    // The header, the answer heard otherwise, and the form the original lacks; nothing for the
    // 36 forms the re-check did not cover.
    assert_eq!(found.len(), 3, "{found:?}");
    let mut got: Vec<(&str, &str)> = found[1..]
        .iter()
        .map(|r| (r[0].as_str(), r[2].as_str()))
        .collect();
    got.sort();
    assert_eq!(got, [("A0010", "Q01"), ("Z0001", "")]);
    // Without --recheck, each form not re-checked is a form in only one entry.
    let o = run(&[], "plain");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        rows(&dir.read("plain/discrepancies.csv")).len(),
        1 + 1 + 36 + 1
    );
    // A re-check that agrees exits 0.
    dir.write(
        "recheck.csv",
        &file(&original.iter().step_by(5).cloned().collect::<Vec<_>>()),
    );
    let o = run(&["--recheck"], "agree");
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
}

#[test]
fn resolved_differences_give_the_merged_entry() {
    let dir = Dir::new();
    let (second, _) = planted();
    dir.write("first.csv", &file(&forms()));
    dir.write("second.csv", &file(&second));
    let o = compare(&dir, "first.csv", "second.csv", "out");
    assert_eq!(o.status.code(), Some(1));
    // The supervisor's decisions, in a column added to discrepancies.csv: the first entry's
    // value, except form A0003's Q01, which the paper form shows as 2; the form only the first
    // entry has is kept, the one only the second has dropped.
    let found = rows(&dir.read("out/discrepancies.csv"));
    let mut resolved = String::from("applicant_id,stratum,item,first,second,resolved\n");
    for r in &found[1..] {
        let decision = match (r[0].trim_start_matches('\u{feff}'), r[2].as_str()) {
            ("A0003", "Q01") => "2",
            (_, "") if r[3] == "entered" => "keep",
            (_, "") => "drop",
            _ => "first",
        };
        resolved += &format!("{},{},{},{},{},{decision}\n", r[0], r[1], r[2], r[3], r[4]);
    }
    let resolved_path = dir.write("resolved.csv", &resolved);
    let resolved_arg = p(&resolved_path).to_string();
    let merge = |out: &str| {
        compare_with(
            &dir,
            "first.csv",
            "second.csv",
            out,
            &["--resolved", &resolved_arg],
        )
    };
    let o = merge("merged");
    let (stdout, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("merged: 45 forms"), "{stdout}");
    // The first entry, as codes (9 is no answer), with A0003's Q01 corrected.
    let mut want = vec![
        [
            "applicant_id",
            "stratum",
            "disposition",
            "Q01",
            "Q02",
            "Q03",
            "Q04",
            "Q05",
            "Q06",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for f in forms() {
        let mut row = vec![f[0].clone(), f[1].clone(), f[2].clone()];
        row.extend(
            f[4..]
                .iter()
                .map(|a| if a == "9" { String::new() } else { a.clone() }),
        );
        if row[0] == "A0003" {
            row[3] = "2".into();
        }
        want.push(row);
    }
    want[1..].sort_by(|x, y| (&x[1], &x[0]).cmp(&(&y[1], &y[0])));
    let mut got = rows(&dir.read("merged/merged.csv"));
    got[0][0] = got[0][0].trim_start_matches('\u{feff}').to_string();
    assert_eq!(got, want);
    // A difference left unresolved: refused, nothing written.
    let blank = resolved.replacen(",first\n", ",\n", 1);
    assert_ne!(blank, resolved);
    std::fs::write(&resolved_path, &blank).unwrap();
    let o = merge("refused");
    let (_, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("1 of the 7 differences are not resolved"),
        "{stderr}"
    );
    assert!(!dir.path("refused").exists());
}
