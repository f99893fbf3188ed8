//! Tried as a hostile insider would: each published file edited (and its digest updated where
//! the manifest records one), and `chiso verify` says what changed, where.

use crate::util::*;

/// A drawn sample in `dir/out` from four units, with the records in `dir/records.csv`.
fn drawn() -> Dir {
    let dir = Dir::new();
    dir.write("records.csv", &records(4));
    let o = sample_cli(&dir, "records.csv", DESIGN, "KQXS 2024-10-01", "out", &[]);
    assert!(o.status.success(), "{:?}", text(&o));
    dir
}

fn verify(dir: &Dir) -> (i32, String) {
    let o = chiso(&[
        "verify",
        "--records",
        p(&dir.path("records.csv")),
        "--manifest",
        p(&dir.path("out/manifest.json")),
        "--sample",
        p(&dir.path("out/sample.csv")),
    ]);
    let (out, err) = text(&o);
    (o.status.code().unwrap(), format!("{out}{err}"))
}

fn manifest(dir: &Dir) -> serde_json::Value {
    serde_json::from_str(&dir.read("out/manifest.json")).unwrap()
}

fn write_manifest(dir: &Dir, m: &serde_json::Value) {
    dir.write(
        "out/manifest.json",
        &(serde_json::to_string_pretty(m).unwrap() + "\n"),
    );
}

/// Rewrites `sample.csv` with `edit` applied to each row's cells (by column name), and
/// updates the manifest's digest of the file, as a forger would.
fn forge_sample(dir: &Dir, edit: impl Fn(&mut Vec<String>, &[String])) {
    let text = dir.read("out/sample.csv");
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
    let mut out = header.join(",") + "\n";
    for l in lines {
        let mut cells: Vec<String> = l.split(',').map(String::from).collect();
        edit(&mut cells, &header);
        out += &(cells.join(",") + "\n");
    }
    dir.write("out/sample.csv", &out);
    let mut m = manifest(dir);
    m["sample_file_sha256"] = file_sha(&dir.path("out/sample.csv")).into();
    write_manifest(dir, &m);
}

fn col(header: &[String], name: &str) -> usize {
    header.iter().position(|h| h == name).unwrap()
}

#[test]
fn the_untouched_sample_verifies() {
    let dir = drawn();
    let (code, out) = verify(&dir);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("IDENTICAL"), "{out}");
}

#[test]
fn a_forged_frame_size_and_weight_with_the_digest_updated_is_found() {
    let dir = drawn();
    forge_sample(&dir, |c, h| {
        if c[0] == "U01" {
            c[col(h, "frame_size")] = "800".into();
            c[col(h, "base_weight")] = "266.6666666666667".into();
            c[col(h, "inclusion_prob")] = "0.00375".into();
        }
    });
    let (code, out) = verify(&dir);
    assert_eq!(code, 1, "{out}");
    // One line per forged row (3 official, 2 reserve), naming the columns and both values.
    let changed: Vec<&str> = out.lines().filter(|l| l.contains("changed: row")).collect();
    assert_eq!(changed.len(), 5, "{out}");
    assert!(
        changed[0].contains("stratum U01 official rank 1")
            && changed[0].contains("frame_size `8` rebuilt, `800` in the file")
            && changed[0].contains("base_weight"),
        "{out}"
    );
    // The manifest's digest was updated, so only the rebuilt file tells.
    assert!(!out.contains("edited or replaced"), "{out}");
}

#[test]
fn one_changed_applicant_is_one_changed_line_with_no_personal_data() {
    let dir = drawn();
    forge_sample(&dir, |c, h| {
        if c[0] == "U02" && c[1] == "official" && c[2] == "2" {
            c[col(h, "applicant_id")] = "079301009999".into();
            c[col(h, "applicant_name")] = "Trần Thị Giả".into();
            c[col(h, "phone")] = "0912345678".into();
        }
    });
    let (code, out) = verify(&dir);
    assert_eq!(code, 1, "{out}");
    // The rows: one changed line, not a missing and an extra one. (The manifest's digest
    // of the file was updated, and differs from the rebuilt file's.)
    let rows: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("DIFFERENT") && !l.contains("manifest field"))
        .collect();
    assert_eq!(rows.len(), 1, "{out}");
    assert!(
        rows[0].contains("changed: row")
            && rows[0].contains("stratum U02 official rank 2")
            && rows[0].contains("applicant_id `A02…` rebuilt, `079…` in the file")
            && rows[0].contains("applicant_name differs (not shown: personal data)"),
        "{out}"
    );
    assert!(out.contains("manifest field sample_file_sha256"), "{out}");
    for secret in ["079301009999", "Trần Thị Giả", "0912345678", "Nguyễn"] {
        assert!(!out.contains(secret), "{secret} printed: {out}");
    }
}

#[test]
fn every_manifest_field_is_checked() {
    type Edit = fn(&mut serde_json::Value);
    let edits: [(&str, Edit); 6] = [
        ("totals.frame_size", |m| {
            m["totals"]["frame_size"] = 9999.into()
        }),
        ("records.rows", |m| m["records"]["rows"] = 1.into()),
        ("stratum's values differ", |m| {
            m["strata"][1]["values"][0] = "U09".into()
        }),
        ("stratum's sizes differ", |m| {
            m["strata"][0]["sample_size"] = 4.into()
        }),
        // The design is the manifest's: the strata drawn with it say what changed.
        ("stratum's sizes differ: U00: design gives n = 4", |m| {
            m["design"]["size"]["n"] = 4.into()
        }),
        ("approved_by", |m| m["approved_by"] = "someone".into()),
    ];
    for (want, edit) in edits {
        let dir = drawn();
        let mut m = manifest(&dir);
        edit(&mut m);
        write_manifest(&dir, &m);
        let (code, out) = verify(&dir);
        assert_eq!(code, 1, "{want}: {out}");
        assert!(out.contains(want), "{want}: {out}");
    }
}

/// `chiso index` on the drawn sample, every official answering 4 to every item.
fn index(dir: &Dir) -> (i32, String) {
    let mut resp = String::from("applicant_id,Q01,Q02,Q03,Q04,Q05,Q06\n");
    let sample = dir.read("out/sample.csv");
    let mut seen = std::collections::HashSet::new();
    for l in sample.lines().skip(1) {
        let c: Vec<&str> = l.split(',').collect();
        if c[1] == "official" && seen.insert(c[3].to_string()) {
            resp += &format!("{},4,4,4,4,5,2\n", c[3]);
        }
    }
    let (r, q) = (
        dir.write("responses.csv", &resp),
        dir.write("q.toml", ORACLE_QUESTIONNAIRE),
    );
    let o = chiso(&[
        "index",
        "--responses",
        p(&r),
        "--questionnaire",
        p(&q),
        "--sample",
        p(&dir.path("out")),
        "--out",
        p(&dir.path("idx")),
    ]);
    let (out, err) = text(&o);
    (o.status.code().unwrap(), format!("{out}{err}"))
}

#[test]
fn index_refuses_a_sample_that_disagrees_with_its_manifest() {
    // Untouched: the index runs.
    let dir = drawn();
    let (code, out) = index(&dir);
    assert_eq!(code, 0, "{out}");
    // A forged weight with the digest updated: refused, naming row and column.
    let dir = drawn();
    forge_sample(&dir, |c, h| {
        if c[0] == "U01" {
            c[col(h, "frame_size")] = "800".into();
            c[col(h, "base_weight")] = "266.6666666666667".into();
        }
    });
    let (code, out) = index(&dir);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("sample.csv: row ")
            && out.contains("`frame_size`")
            && out.contains("the manifest gives stratum U01 frame_size 8"),
        "{out}"
    );
    assert!(!dir.path("idx").exists());
    // The file edited and the digest left: refused before any row is read.
    let dir = drawn();
    let s = dir.read("out/sample.csv").replacen(",8,3,", ",80,3,", 1);
    dir.write("out/sample.csv", &s);
    let (code, out) = index(&dir);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("edited or replaced"), "{out}");
    // A manifest whose totals are not the sums of its strata.
    let dir = drawn();
    let mut m = manifest(&dir);
    m["totals"]["frame_size"] = 9999.into();
    write_manifest(&dir, &m);
    let (code, out) = index(&dir);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("not the sums over its strata"), "{out}");
    // No manifest at all.
    let dir = drawn();
    std::fs::remove_file(dir.path("out/manifest.json")).unwrap();
    let (code, out) = index(&dir);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("manifest.json: not found"), "{out}");
}

#[test]
fn published_indices_name_their_inputs_and_the_report_refuses_another_samples_manifest() {
    let dir = drawn();
    let (code, out) = index(&dir);
    assert_eq!(code, 0, "{out}");
    let json: serde_json::Value = serde_json::from_str(&dir.read("idx/indices.json")).unwrap();
    let prov = &json["provenance"];
    assert_eq!(prov["engine_version"], env!("CARGO_PKG_VERSION"));
    let sha_of = |input: &str| -> String {
        prov["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["input"] == input)
            .unwrap_or_else(|| panic!("{input} in {prov}"))["sha256"]
            .as_str()
            .unwrap()
            .to_string()
    };
    for (input, file) in [
        ("responses", "responses.csv"),
        ("questionnaire", "q.toml"),
        ("sample", "out/sample.csv"),
        ("manifest", "out/manifest.json"),
    ] {
        assert_eq!(sha_of(input), file_sha(&dir.path(file)), "{input}");
    }
    let m = manifest(&dir);
    assert_eq!(prov["sample"]["sample_digest"], m["sample_digest"]);
    assert_eq!(prov["sample"]["seed"], m["seed"]);
    // The same provenance in flags.json and ranks.json.
    for f in ["idx/flags.json", "idx/ranks.json"] {
        let j: serde_json::Value = serde_json::from_str(&dir.read(f)).unwrap();
        assert_eq!(&j["provenance"], prov, "{f}");
    }

    let report = |manifest: &str, out: &str| {
        let o = chiso(&[
            "report",
            "--indices",
            p(&dir.path("idx")),
            "--manifest",
            p(&dir.path(manifest)),
            "--out",
            p(&dir.path(out)),
        ]);
        let (a, b) = text(&o);
        (o.status.code().unwrap(), format!("{a}{b}"))
    };
    let (code, out) = report("out/manifest.json", "rep");
    assert_eq!(code, 0, "{out}");
    // The page and the workbook's sheet `Thông tin chung` name every input by its SHA-256.
    let page = dir.read("rep/report.html");
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(dir.path("rep/report.xlsx")).unwrap();
    use calamine::Reader as _;
    let summary = book.worksheet_range("Thông tin chung").unwrap();
    let cells: Vec<String> = summary.cells().map(|(_, _, c)| c.to_string()).collect();
    for file in [
        "idx/indices.csv",
        "responses.csv",
        "q.toml",
        "out/sample.csv",
        "out/manifest.json",
    ] {
        let sha = file_sha(&dir.path(file));
        assert!(page.contains(&sha), "{file} on the page");
        assert!(cells.contains(&sha), "{file} in the workbook: {cells:?}");
    }
    // Another sample of the same records (another seed): its manifest is refused.
    let o = sample_cli(&dir, "records.csv", DESIGN, "another seed", "out2", &[]);
    assert!(o.status.success(), "{:?}", text(&o));
    let (code, out) = report("out2/manifest.json", "rep2");
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("not the manifest of the sample the indices") && out.contains("--manifest"),
        "{out}"
    );
    assert!(!dir.path("rep2").exists());
}

#[test]
fn no_message_or_manifest_holds_personal_data() {
    // Every name, phone and identifier of the records.
    let recs = records(3);
    let secrets: Vec<String> = recs
        .lines()
        .skip(1)
        .flat_map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            [c[2].to_string(), c[5].to_string(), c[6].to_string()]
        })
        .filter(|s| s.len() > 3)
        .collect();
    let leaks = |what: &str, text: &str| {
        for s in &secrets {
            assert!(!text.contains(s.as_str()), "{what} prints {s}: {text}");
        }
    };
    let dir = Dir::new();
    dir.write("records.csv", &recs);
    // Contact columns and the applicant's id cannot be strata.
    for column in ["phone", "applicant_name", "applicant_id"] {
        let design = DESIGN.replace(
            "strata = [\"unit_code\"]",
            &format!("strata = [\"{column}\"]"),
        );
        let o = sample_cli(&dir, "records.csv", &design, "s", "bad", &[]);
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{column}: {err}");
        assert!(
            err.contains("personal data") && err.contains(column),
            "{err}"
        );
        leaks(column, &format!("{out}{err}"));
        assert!(!dir.path("bad").exists());
    }
    // A rejected row's applicant id is masked, in the message and in rejected.csv.
    let mut with_bad = recs.clone();
    with_bad.push_str("R99999,U00,079301\u{1}12345,2024-03-01,citizen,Lê Văn Bí,0987654321\n");
    dir.write("records.csv", &with_bad);
    let o = sample_cli(&dir, "records.csv", DESIGN, "s", "out", &["--strict"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("079…"), "{err}");
    for s in ["079301", "Lê Văn Bí", "0987654321"] {
        assert!(!format!("{out}{err}").contains(s), "{s}: {err}");
    }
    let o = sample_cli(&dir, "records.csv", DESIGN, "s", "out", &[]);
    assert!(o.status.success(), "{:?}", text(&o));
    let rejected = dir.read("out/rejected.csv");
    assert!(
        rejected.contains(",applicant_id,079…,") && !rejected.contains("079301"),
        "{rejected}"
    );
    leaks("manifest.json", &dir.read("out/manifest.json"));
    // Margins on a contact column are refused, naming no respondent.
    dir.write("records.csv", &recs);
    let dir2 = drawn();
    let (code, out) = index(&dir2);
    assert_eq!(code, 0, "{out}");
    let margins = dir2.write(
        "margins.csv",
        "variable,category,population\napplicant_name,Nguyễn Văn 1,3\napplicant_name,Nguyễn Văn 2,5\n",
    );
    let o = chiso(&[
        "index",
        "--responses",
        p(&dir2.path("responses.csv")),
        "--questionnaire",
        p(&dir2.path("q.toml")),
        "--sample",
        p(&dir2.path("out")),
        "--margins",
        p(&margins),
        "--calibrate",
        "poststratify",
        "--out",
        p(&dir2.path("idx2")),
    ]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("personal data"), "{err}");
    assert!(!format!("{out}{err}").contains("Nguyễn Văn 3"), "{err}");
}

fn verify_indices(dir: &Dir, responses: &str) -> (i32, String) {
    let o = chiso(&[
        "verify",
        "--indices",
        p(&dir.path("idx")),
        "--responses",
        p(&dir.path(responses)),
        "--questionnaire",
        p(&dir.path("q.toml")),
        "--sample",
        p(&dir.path("out")),
    ]);
    let (out, err) = text(&o);
    (o.status.code().unwrap(), format!("{out}{err}"))
}

#[test]
fn verify_indices_recomputes_every_number_and_says_which_differs() {
    let dir = drawn();
    let (code, out) = index(&dir);
    assert_eq!(code, 0, "{out}");
    let (code, out) = verify_indices(&dir, "responses.csv");
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("IDENTICAL") && out.contains("re-computed"),
        "{out}"
    );

    // One published number changed: named by file, row, domain, indicator and column.
    let csv_text = dir.read("idx/indices.csv");
    let line = csv_text
        .lines()
        .find(|l| l.starts_with("U01,overall,satisfied_pct,"))
        .unwrap()
        .to_string();
    let mut cells: Vec<&str> = line.split(',').collect();
    let forged = "99.5".to_string();
    let was = cells[3].to_string();
    cells[3] = &forged;
    dir.write(
        "idx/indices.csv",
        &csv_text.replace(&line, &cells.join(",")),
    );
    let (code, out) = verify_indices(&dir, "responses.csv");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("indices.csv row")
            && out.contains("(U01, overall, satisfied_pct): estimate")
            && out.contains(&format!("{was} re-computed, 99.5 published")),
        "{out}"
    );
    dir.write("idx/indices.csv", &csv_text);

    // Other responses than the ones the indices name: said first, then the numbers.
    let other = dir
        .read("responses.csv")
        .replacen(",4,4,4,4,5,2\n", ",1,1,1,1,1,1\n", 1);
    dir.write("other.csv", &other);
    let (code, out) = verify_indices(&dir, "other.csv");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("responses:") && out.contains("is not the file the result was computed from"),
        "{out}"
    );
    assert!(out.contains("number or field differs"), "{out}");
}

#[test]
fn verify_report_renders_the_page_again_and_says_which_line_differs() {
    let dir = drawn();
    let (code, out) = index(&dir);
    assert_eq!(code, 0, "{out}");
    let o = chiso(&[
        "report",
        "--indices",
        p(&dir.path("idx")),
        "--manifest",
        p(&dir.path("out/manifest.json")),
        "--title",
        "Tỉnh <Thử>: kết quả",
        "--out",
        p(&dir.path("rep")),
    ]);
    assert!(o.status.success(), "{:?}", text(&o));
    let verify = || {
        let o = chiso(&[
            "verify",
            "--report",
            p(&dir.path("rep")),
            "--from-indices",
            p(&dir.path("idx")),
            "--from-manifest",
            p(&dir.path("out/manifest.json")),
        ]);
        let (a, b) = text(&o);
        (o.status.code().unwrap(), format!("{a}{b}"))
    };
    let (code, out) = verify();
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("IDENTICAL: report.html and report.xlsx"),
        "{out}"
    );
    // A number changed on the page.
    let page = dir.read("rep/report.html");
    let at = page.find("class=\"big\">").unwrap() + "class=\"big\">".len();
    let end = at + page[at..].find('<').unwrap();
    let forged = format!("{}99,99%{}", &page[..at], &page[end..]);
    dir.write("rep/report.html", &forged);
    let (code, out) = verify();
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("the page differs: report.html line") && out.contains("99,99%"),
        "{out}"
    );
    // A file the report was made from changed afterwards: said first.
    dir.write("rep/report.html", &page);
    let flags = dir.read("idx/flags.csv");
    dir.write("idx/flags.csv", &(flags + "\n"));
    let (code, out) = verify();
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("flags: ") && out.contains("is not the file"),
        "{out}"
    );
}
