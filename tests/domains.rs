//! `chiso index --domains`: the indices published on reporting domains, each a union of the
//! units (and so of the strata) the survey was drawn and weighted on.

use crate::util::*;

/// The oracle's responses (`tests/fixtures/oracle/responses.csv`, strata A–E) as a survey
/// without a drawn sample: `unit_code` (= stratum) and the answers, and the populations.
fn oracle_survey(dir: &Dir) -> (std::path::PathBuf, std::path::PathBuf) {
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
    (dir.write("r.csv", &resp), dir.write("p.csv", &popcsv))
}

/// `chiso index` on the oracle survey into `dir/out`, with `extra` options.
fn index(dir: &Dir, out: &str, extra: &[&str]) -> std::process::Output {
    let (r, pop) = oracle_survey(dir);
    let q = dir.write("q.toml", ORACLE_QUESTIONNAIRE);
    let out = dir.path(out);
    let mut args = vec![
        "index",
        "--responses",
        p(&r),
        "--questionnaire",
        p(&q),
        "--population",
        p(&pop),
        "--out",
        p(&out),
        "--rank-replicates",
        "200",
    ];
    args.extend_from_slice(extra);
    chiso(&args)
}

const UNITS: &str = "unit_code,unit_name,unit_group\nA,Xã A,xa\nB,Xã B,xa\nC,Phường C,phuong\n\
                     D,Phường D,phuong\nE,Xã E,xa\n";

#[test]
fn one_domain_per_unit_gives_the_same_bytes() {
    let dir = Dir::new();
    let units = dir.write("units.csv", UNITS);
    // In another order, with a title row and semicolons: found as every office's file is.
    let identity = dir.write(
        "identity.csv",
        "Bảng ánh xạ đơn vị\nMã đơn vị cũ;x\nunit_code;domain\nE;E\nC;C\nA;A\nB;B\nD;D\n",
    );
    let o = index(&dir, "plain", &["--units", p(&units)]);
    assert!(o.status.success(), "{:?}", text(&o));
    let o = index(
        &dir,
        "mapped",
        &["--units", p(&units), "--domains", p(&identity)],
    );
    assert!(o.status.success(), "{:?}", text(&o));
    assert!(
        text(&o)
            .0
            .contains("the 5 unit(s) of the responses in 5 domain(s)"),
        "{:?}",
        text(&o)
    );
    for file in ["indices.csv", "flags.csv", "ranks.csv"] {
        assert_eq!(
            std::fs::read(dir.path("plain").join(file)).unwrap(),
            std::fs::read(dir.path("mapped").join(file)).unwrap(),
            "{file}"
        );
    }
    // The names and groups of the units file are kept for domains of one unit.
    assert!(dir.read("mapped/ranks.csv").contains("Phường C"));
    // indices.json differs by the request, the domains file and what the run made of it.
    let json = |d: &str| -> serde_json::Value {
        serde_json::from_str(&dir.read(&format!("{d}/indices.json"))).unwrap()
    };
    let (plain, mapped) = (json("plain"), json("mapped"));
    assert_eq!(plain["rows"], mapped["rows"]);
    assert!(plain["request"].get("domains").is_none());
    assert_eq!(mapped["request"]["domains"], true);
    assert_eq!(mapped["reporting_domains"]["domains"][0]["units"][0], "A");
    let inputs = mapped["provenance"]["inputs"].as_array().unwrap();
    assert!(
        inputs
            .iter()
            .any(|i| i["input"] == "domains" && i["sha256"] == file_sha(&identity)),
        "{inputs:?}"
    );
}

#[test]
fn a_merged_domain_is_the_pooled_weighted_estimate_of_its_strata() {
    let dir = Dir::new();
    let domains = dir.write(
        "domains.csv",
        "unit_code,domain,domain_name,domain_group\nA,M1,Phường Mới,phuong\nB,M1,,\n\
         C,M2,Xã Hai,xa\nD,M3,Phường Ba,phuong\nE,M3,,\nF,M3,,\nG,M9,Xã Chín,xa\n",
    );
    let o = index(&dir, "plain", &[]);
    assert!(o.status.success(), "{:?}", text(&o));
    let o = index(&dir, "merged", &["--domains", p(&domains)]);
    assert!(o.status.success(), "{:?}", text(&o));
    // Mapped units without responses are said, and the domain with none is not published.
    let (stdout, _) = text(&o);
    assert!(
        stdout.contains("2 unit(s) mapped with no responses: F, G")
            && stdout.contains("1 domain(s) with no responses, not published: M9")
            && stdout.contains("and 3 reporting domains"),
        "{stdout}"
    );
    let rows = |d: &str| -> Vec<csv::StringRecord> {
        csv::Reader::from_path(dir.path(d).join("indices.csv"))
            .unwrap()
            .records()
            .map(|r| r.unwrap())
            .collect()
    };
    let merged = rows("merged");
    let domains_published: std::collections::BTreeSet<&str> =
        merged.iter().map(|r| r.get(0).unwrap()).collect();
    assert_eq!(
        domains_published.into_iter().collect::<Vec<_>>(),
        ["ALL", "M1", "M2", "M3"]
    );
    // The pooled estimate over the respondents of A and B, each weighted N_h/m_h.
    let mut rdr = csv::Reader::from_path(format!("{ORACLE_FIXTURES}/responses.csv")).unwrap();
    let mut by_stratum: std::collections::BTreeMap<String, (f64, Vec<Option<u8>>)> =
        Default::default();
    for r in rdr.records() {
        let r = r.unwrap();
        let e = by_stratum
            .entry(r[0].to_string())
            .or_insert((r[1].parse().unwrap(), Vec::new()));
        e.1.push(match &r[3] {
            "" | "9" => None,
            v => Some(v.parse().unwrap()),
        });
    }
    let (mut y, mut x) = (0.0f64, 0.0f64);
    for h in ["A", "B"] {
        let (big_n, answers) = &by_stratum[h];
        let w = big_n / answers.len() as f64;
        for a in answers.iter().flatten() {
            x += w;
            y += w * f64::from(u8::from(*a >= 4));
        }
    }
    let pooled = 100.0 * y / x;
    let got = merged
        .iter()
        .find(|r| &r[0] == "M1" && &r[1] == "item:Q01" && &r[2] == "satisfied_pct")
        .unwrap();
    let est: f64 = got[3].parse().unwrap();
    assert!(((est - pooled) / pooled).abs() < 1e-12, "{est} vs {pooled}");
    // A domain of one stratum is that stratum's row; ALL is the run without domains (up to
    // the order of the sums).
    let plain = rows("plain");
    for (ours, theirs) in [("M2", "C"), ("ALL", "ALL")] {
        let a: Vec<_> = merged.iter().filter(|r| &r[0] == ours).collect();
        let b: Vec<_> = plain.iter().filter(|r| &r[0] == theirs).collect();
        assert_eq!(a.len(), b.len());
        for (a, b) in a.iter().zip(&b) {
            for c in [3, 4] {
                let (a, b): (f64, f64) = (a[c].parse().unwrap(), b[c].parse().unwrap());
                assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{a} vs {b}");
            }
        }
    }
    // Flags and ranks are per domain, named and grouped by the domains file.
    let flags = dir.read("merged/flags.csv");
    assert!(flags.contains("M1") && !flags.contains(",A,"), "{flags}");
    let ranks = dir.read("merged/ranks.csv");
    assert!(
        ranks.contains("Phường Mới") && ranks.contains("phuong") && !ranks.contains("Xã Chín"),
        "{ranks}"
    );
}

#[test]
fn an_unmapped_or_twice_mapped_unit_is_refused() {
    let dir = Dir::new();
    let unmapped = dir.write("unmapped.csv", "unit_code,domain\nA,M1\nB,M1\nC,M2\nD,M3\n");
    let o = index(&dir, "out", &["--domains", p(&unmapped)]);
    assert_eq!(o.status.code(), Some(2), "{:?}", text(&o));
    let err = text(&o).1;
    assert!(
        err.contains("r.csv")
            && err.contains("row ")
            && err.contains("unit_code")
            && err.contains("\"E\"")
            && err.contains("unmapped.csv"),
        "{err}"
    );
    let twice = dir.write(
        "twice.csv",
        "unit_code,domain\nA,M1\nB,M1\nC,M2\nD,M3\nE,M3\nb,M2\n",
    );
    let o = index(&dir, "out", &["--domains", p(&twice)]);
    assert_eq!(o.status.code(), Some(2), "{:?}", text(&o));
    let err = text(&o).1;
    assert!(
        err.contains("twice.csv")
            && err.contains("row 7")
            && err.contains("unit_code")
            && err.contains("row 3"),
        "{err}"
    );
    let no_column = dir.write("none.csv", "unit_code,new_unit\nA,M1\n");
    let o = index(&dir, "out", &["--domains", p(&no_column)]);
    assert_eq!(o.status.code(), Some(2), "{:?}", text(&o));
    assert!(text(&o).1.contains("domain"), "{:?}", text(&o));
    assert!(!dir.path("out").exists(), "nothing is written");
}

#[test]
fn verify_re_runs_a_domains_run_and_catches_a_changed_domains_file() {
    let dir = Dir::new();
    let domains_text = "unit_code,domain\nA,M1\nB,M1\nC,M2\nD,M3\nE,M3\n";
    let domains = dir.write("domains.csv", domains_text);
    let o = index(&dir, "out", &["--domains", p(&domains)]);
    assert!(o.status.success(), "{:?}", text(&o));
    let q = dir.path("q.toml");
    let (r, pop, out) = (dir.path("r.csv"), dir.path("p.csv"), dir.path("out"));
    let verify = |extra: &[&str]| {
        let mut args = vec![
            "verify",
            "--indices",
            p(&out),
            "--responses",
            p(&r),
            "--questionnaire",
            p(&q),
            "--population",
            p(&pop),
        ];
        args.extend_from_slice(extra);
        chiso(&args)
    };
    let o = verify(&["--domains", p(&domains)]);
    assert!(o.status.success(), "{:?}", text(&o));
    // Without the domains file the run cannot be repeated.
    let o = verify(&[]);
    assert_eq!(o.status.code(), Some(2), "{:?}", text(&o));
    assert!(text(&o).1.contains("--domains"), "{:?}", text(&o));
    // Another mapping: a different file, and different numbers.
    std::fs::write(&domains, "unit_code,domain\nA,M1\nB,M2\nC,M2\nD,M3\nE,M3\n").unwrap();
    let o = verify(&["--domains", p(&domains)]);
    assert_eq!(o.status.code(), Some(1), "{:?}", text(&o));
    let (stdout, _) = text(&o);
    assert!(
        stdout.contains("domains: ") && stdout.contains("is not the file"),
        "{stdout}"
    );
}

#[test]
fn a_drawn_sample_s_units_map_from_a_workbook() {
    let dir = Dir::new();
    // records(3): units U00, U01, U02, each a stratum of the design.
    dir.write("records.csv", &records(3));
    let o = sample_cli(&dir, "records.csv", DESIGN, "s", "sample", &[]);
    assert!(o.status.success(), "{:?}", text(&o));
    let mut resp = String::from("applicant_id,Q01,Q02,Q03,Q04,Q05,Q06\n");
    for (i, r) in csv::Reader::from_path(dir.path("sample/sample.csv"))
        .unwrap()
        .records()
        .enumerate()
    {
        let r = r.unwrap();
        if &r[1] == "official" {
            resp.push_str(&format!("{},{},4,5,3,{},2\n", &r[3], 1 + i % 5, 1 + i % 4));
        }
    }
    let r = dir.write("r.csv", &resp);
    let q = dir.write("q.toml", ORACLE_QUESTIONNAIRE);
    let xlsx = dir.path("domains.xlsx");
    csv_to_xlsx(
        "unit_code,domain,domain_name\nU00,N1,Phường Mới\nU01,N1,Phường Mới\nU02,N2,Xã Mới\n",
        &xlsx,
    );
    let run = |domains: &std::path::Path, out: &str| {
        chiso(&[
            "index",
            "--responses",
            p(&r),
            "--questionnaire",
            p(&q),
            "--sample",
            p(&dir.path("sample")),
            "--domains",
            p(domains),
            "--out",
            p(&dir.path(out)),
            "--rank-replicates",
            "100",
        ])
    };
    let o = run(&xlsx, "out");
    assert!(o.status.success(), "{:?}", text(&o));
    let indices = dir.read("out/indices.csv");
    let domains: std::collections::BTreeSet<&str> = indices
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(domains.into_iter().collect::<Vec<_>>(), ["ALL", "N1", "N2"]);
    let n1 = indices
        .lines()
        .find(|l| l.starts_with("N1,item:Q02,satisfied_pct,"))
        .unwrap();
    // Every official of U00 and U01 answered Q02.
    assert!(n1.ends_with(",6,4,"), "{n1}");
    assert!(dir.read("out/ranks.csv").contains("Xã Mới"));
    // A unit of the sample that is not mapped: named with the responses' row.
    let partial = dir.write("partial.csv", "unit_code,domain\nU00,N1\nU01,N1\n");
    let o = run(&partial, "out2");
    assert_eq!(o.status.code(), Some(2), "{:?}", text(&o));
    let err = text(&o).1;
    assert!(
        err.contains("r.csv") && err.contains("\"U02\"") && err.contains("partial.csv"),
        "{err}"
    );
    let o = chiso(&[
        "verify",
        "--indices",
        p(&dir.path("out")),
        "--responses",
        p(&r),
        "--questionnaire",
        p(&q),
        "--sample",
        p(&dir.path("sample")),
        "--domains",
        p(&xlsx),
    ]);
    assert!(o.status.success(), "{:?}", text(&o));
}
