//! The ceremony: records and design committed before the seed, the draw refused from anything
//! else, and the printable records before and after.

use crate::util::*;

fn commit(dir: &Dir, out: &str, extra: &[&str]) -> (i32, String) {
    let design = dir.write("design.toml", DESIGN);
    let (records, out) = (dir.path("records.csv"), dir.path(out));
    let mut args = vec![
        "commit",
        "--records",
        p(&records),
        "--design",
        p(&design),
        "--seed-source",
        "giải đặc biệt xổ số kiến thiết ngày 01/10/2024",
        "--out",
        p(&out),
    ];
    args.extend_from_slice(extra);
    let o = chiso(&args);
    let (a, b) = text(&o);
    (o.status.code().unwrap(), format!("{a}{b}"))
}

fn sample_committed(dir: &Dir, design: &str, out: &str) -> (i32, String) {
    let c = dir.path("c/commitment.json");
    let o = sample_cli(
        dir,
        "records.csv",
        design,
        "KQXS 2024-10-01",
        out,
        &["--commitment", p(&c)],
    );
    let (a, b) = text(&o);
    (o.status.code().unwrap(), format!("{a}{b}"))
}

#[test]
fn a_draw_is_made_from_what_was_committed_or_refused() {
    let dir = Dir::new();
    dir.write("records.csv", &records(3));
    let (code, out) = commit(&dir, "c", &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("committed: records SHA-256"), "{out}");
    assert_eq!(dir.files("c"), ["bien-ban.html", "commitment.json"]);
    let c: serde_json::Value = serde_json::from_str(&dir.read("c/commitment.json")).unwrap();
    assert_eq!(c["format"], "chiso-commitment-v1");
    assert_eq!(c["records"]["sha256"], file_sha(&dir.path("records.csv")));
    assert_eq!(c["totals"]["sample_size"], 9);
    assert!(c.get("seed").is_none(), "no seed before the draw");
    // Nothing personal in the commitment or its page.
    for f in ["c/commitment.json", "c/bien-ban.html"] {
        let t = dir.read(f);
        assert!(
            !t.contains("Nguyễn") && !t.contains("A00-001") && !t.contains("0900000"),
            "{f}"
        );
    }
    let page = dir.read("c/bien-ban.html");
    assert!(
        page.contains("BIÊN BẢN XÁC NHẬN DỮ LIỆU TRƯỚC KHI CHỌN MẪU")
            && page.contains(c["frame_digest"].as_str().unwrap())
            && page.contains("giải đặc biệt xổ số kiến thiết ngày 01/10/2024")
            && page.contains("Đại diện Ủy ban Mặt trận Tổ quốc"),
        "{page}"
    );
    // An official commitment is not replaced without --force.
    let (code, out) = commit(&dir, "c", &[]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("--force"), "{out}");

    // The committed records and design: drawn, and the manifest's frame is the committed one.
    let (code, out) = sample_committed(&dir, DESIGN, "s");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("commitment: drawn from exactly"), "{out}");
    let m: serde_json::Value = serde_json::from_str(&dir.read("s/manifest.json")).unwrap();
    assert_eq!(m["frame_digest"], c["frame_digest"]);

    // Another design: refused, nothing written.
    let other = DESIGN.replace("n = 3", "n = 4");
    let (code, out) = sample_committed(&dir, &other, "s2");
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("not be made from what was committed")
            && out.contains("design: committed")
            && out.contains("--commitment"),
        "{out}"
    );
    assert!(!dir.path("s2").exists());

    // One record removed after the commitment: refused, naming the file and the stratum.
    let text0 = dir.read("records.csv");
    let edited: String = text0
        .lines()
        .filter(|l| !l.contains(",A01-001,"))
        .map(|l| format!("{l}\n"))
        .collect();
    dir.write("records.csv", &edited);
    let (code, out) = sample_committed(&dir, DESIGN, "s3");
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("records SHA-256: committed")
            && out.contains("stratum U01: committed N = 8")
            && out.contains("(its records changed)"),
        "{out}"
    );
    assert!(!dir.path("s3").exists());
}

#[test]
fn the_record_after_the_draw_has_the_seed_and_the_digests() {
    let dir = Dir::new();
    dir.write("records.csv", &records(2));
    let o = sample_cli(&dir, "records.csv", DESIGN, "KQXS 2024-10-01", "s", &[]);
    assert!(o.status.success(), "{:?}", text(&o));
    let o = chiso(&[
        "commit",
        "--manifest",
        p(&dir.path("s/manifest.json")),
        "--seed-source",
        "xổ số ngày 01/10/2024",
        "--out",
        p(&dir.path("after")),
    ]);
    assert!(o.status.success(), "{:?}", text(&o));
    let page = dir.read("after/bien-ban.html");
    let m: serde_json::Value = serde_json::from_str(&dir.read("s/manifest.json")).unwrap();
    for key in [
        "seed",
        "sample_digest",
        "sample_file_sha256",
        "frame_digest",
    ] {
        assert!(page.contains(m[key].as_str().unwrap()), "{key}");
    }
    assert!(page.contains("BIÊN BẢN CHỌN MẪU KHẢO SÁT SỰ HÀI LÒNG"));
}
