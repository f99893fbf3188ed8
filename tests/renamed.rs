//! `--columns` for the commands that read a fieldwork's responses (`fieldwork`, `recheck`,
//! `entry-compare`): a file whose headers are the office's own, mapped to the contract's
//! names, gives the same results as the file with the contract's names; a mapping that would
//! be ignored is refused.

use crate::util::*;

/// The demo's responses with the office's headers instead of the contract's names.
const RENAMED: [(&str, &str); 4] = [
    ("applicant_id", "Mã người được khảo sát"),
    ("stratum", "Đơn vị"),
    ("disposition", "Kết quả liên hệ"),
    ("DV01", "Câu 1"),
];

fn columns() -> String {
    RENAMED
        .iter()
        .map(|(n, h)| format!("{n}={h}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// A small demo, and its responses again with the headers renamed.
fn demo(dir: &Dir) -> (std::path::PathBuf, std::path::PathBuf) {
    let out = dir.path("demo");
    let o = chiso(&["demo", "--records", "4000", "--out", p(&out)]);
    assert!(o.status.success(), "{:?}", text(&o));
    let responses = std::fs::read_to_string(out.join("responses.csv")).unwrap();
    let (header, rest) = responses.split_once('\n').unwrap();
    let renamed: Vec<&str> = header
        .split(',')
        .map(|h| RENAMED.iter().find(|(n, _)| *n == h).map_or(h, |(_, r)| *r))
        .collect();
    assert!(renamed.contains(&"Câu 1") && !renamed.contains(&"applicant_id"));
    let path = dir.write("khao-sat.csv", &format!("{}\n{rest}", renamed.join(",")));
    (out, path)
}

#[test]
fn fieldwork_recheck_and_entry_compare_read_renamed_headers_through_columns() {
    let dir = Dir::new();
    let (demo, renamed) = demo(&dir);
    let plain = demo.join("responses.csv");
    let sample = demo.join("sample");
    let map = columns();
    // The map without the item: fieldwork and recheck read no answers.
    let named: String = map.split(",DV01=").next().unwrap().to_string();

    // fieldwork
    for (responses, out, extra) in [(&plain, "fw-a", None), (&renamed, "fw-b", Some(&named))] {
        let mut args = vec![
            "fieldwork",
            "--sample",
            p(&sample),
            "--responses",
            p(responses),
            "--out",
        ];
        let out = dir.path(out);
        args.push(p(&out));
        if let Some(m) = extra {
            args.extend(["--columns", m.as_str()]);
        }
        let o = chiso(&args);
        assert!(o.status.code().is_some_and(|c| c <= 1), "{:?}", text(&o));
    }
    for f in ["substitutions.csv", "summary.csv", "interviewers.csv"] {
        assert_eq!(
            dir.read(&format!("fw-a/{f}")),
            dir.read(&format!("fw-b/{f}")),
            "{f}"
        );
    }

    // recheck
    for (responses, out, extra) in [(&plain, "rc-a", None), (&renamed, "rc-b", Some(&named))] {
        let out = dir.path(out);
        let mut args = vec![
            "recheck",
            "--responses",
            p(responses),
            "--seed",
            "KQXS 15/11/2026",
            "--share",
            "0.1",
            "--out",
            p(&out),
        ];
        if let Some(m) = extra {
            args.extend(["--columns", m.as_str()]);
        }
        let o = chiso(&args);
        assert!(o.status.success(), "{:?}", text(&o));
    }
    assert_eq!(dir.read("rc-a/recheck.csv"), dir.read("rc-b/recheck.csv"));
    // The auditor's re-draw reads the same map.
    let python = dir.path("python.csv");
    let o = redraw(&[
        "--recheck",
        "--responses",
        p(&renamed),
        "--seed",
        "KQXS 15/11/2026",
        "--share",
        "0.1",
        "--columns",
        &named,
        "--out",
        p(&python),
    ]);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    assert_eq!(dir.read("python.csv"), dir.read("rc-a/recheck.csv"));

    // entry-compare: the renamed entry against the plain one, the item mapped too.
    let q = demo.join("questionnaire.toml");
    let o = chiso(&[
        "entry-compare",
        "--first",
        p(&renamed),
        "--second",
        p(&renamed),
        "--questionnaire",
        p(&q),
        "--columns",
        &map,
        "--out",
        p(&dir.path("ec")),
    ]);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    // Without the map, the renamed entry lacks the contract's columns.
    let o = chiso(&[
        "entry-compare",
        "--first",
        p(&renamed),
        "--second",
        p(&plain),
        "--questionnaire",
        p(&q),
        "--out",
        p(&dir.path("ec-none")),
    ]);
    assert_eq!(o.status.code(), Some(2), "{:?}", text(&o));
    assert!(text(&o).1.contains("applicant_id"), "{:?}", text(&o));
}

#[test]
fn a_mapping_that_would_be_ignored_is_refused() {
    let dir = Dir::new();
    let (demo, renamed) = demo(&dir);
    let cases: [(&str, &[&str]); 3] = [
        // Not a column the command reads.
        (
            "unit_name=Tên đơn vị",
            &["`unit_name` is not a column chiso reads", "applicant_id"],
        ),
        // A header the file does not have.
        ("applicant_id=Mã số", &["has no column `Mã số`"]),
        // One header for two names.
        (
            "applicant_id=Đơn vị,stratum=Đơn vị",
            &["the header `Đơn vị` is already given to"],
        ),
    ];
    for (map, want) in cases {
        let o = chiso(&[
            "recheck",
            "--responses",
            p(&renamed),
            "--seed",
            "KQXS",
            "--share",
            "0.1",
            "--columns",
            map,
            "--out",
            p(&dir.path("rc")),
        ]);
        assert_eq!(o.status.code(), Some(2), "{map}: {:?}", text(&o));
        let (_, err) = text(&o);
        for w in want {
            assert!(err.contains(w), "{map}: {err}");
        }
        assert!(!dir.path("rc/recheck.csv").exists());
    }
    // fieldwork refuses an item code (it reads no answers); entry-compare takes it.
    let o = chiso(&[
        "fieldwork",
        "--sample",
        p(&demo.join("sample")),
        "--responses",
        p(&renamed),
        "--columns",
        "DV01=Câu 1",
        "--out",
        p(&dir.path("fw")),
    ]);
    assert_eq!(o.status.code(), Some(2), "{:?}", text(&o));
    assert!(
        text(&o).1.contains("`DV01` is not a column"),
        "{:?}",
        text(&o)
    );
}
