//! A commitment before the seed exists: what the draw will be made from (the records file's
//! SHA-256, the frame digest, the design and each stratum's size), fixed and signed before
//! anyone can know the seed, so that nobody can choose records, design or sizes to suit a
//! seed once it is published. `chiso commit` writes it (`commitment.json`) with a printable
//! Vietnamese record of it (`bien-ban.html`, biên bản chọn mẫu); `chiso sample --commitment`
//! refuses to draw from anything else; after the draw, the same page is printed from the
//! manifest with the seed and the sample digest filled in. The ceremony is described in
//! `docs/ceremony.md`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::design::DesignSpec;
use crate::error::{Error, ErrorKind, Result};
use crate::manifest::{Manifest, RecordsInfo, StratumEntry, Totals};
use crate::output::Staged;
use crate::records::ColumnMap;
use crate::sample::SampleRequest;

/// The commitment format's identifier.
pub const FORMAT: &str = "chiso-commitment-v1";

/// What a draw will be made from, fixed before the seed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Commitment {
    /// Always [`FORMAT`].
    pub format: String,
    /// The draw algorithm that will be used ([`crate::draw::ALGORITHM`]).
    pub algorithm: String,
    /// The chiso version that wrote it.
    pub engine_version: String,
    /// Where the seed will come from (e.g. the lottery draw of a named day), as announced.
    pub seed_source: String,
    /// The full design.
    pub design: DesignSpec,
    /// Column mapping used to read the records.
    #[serde(default, skip_serializing_if = "ColumnMap::is_empty")]
    pub columns: ColumnMap,
    /// The records file: name, SHA-256 and row counts.
    pub records: RecordsInfo,
    /// SHA-256 of the frame (`docs/draw-algorithm.md` §7).
    pub frame_digest: String,
    /// Totals over strata.
    pub totals: Totals,
    /// Each stratum: its size, and the sizes of its lists.
    pub strata: Vec<StratumEntry>,
}

/// What `chiso commit` needs: the records and design of a draw to come, and where its seed
/// will come from.
#[derive(Clone, Debug)]
pub struct CommitRequest {
    /// The records, design and column mapping, read as `chiso sample` will read them (the
    /// seed is not used).
    pub sample: SampleRequest,
    /// Where the seed will come from.
    pub seed_source: String,
}

/// Reads the records as the draw will, and fixes what it will be made from.
pub fn commit(req: &CommitRequest) -> Result<Commitment> {
    let s = &req.sample;
    let (_table, _layout, frame, records) = crate::sample::read_checked(s)?;
    let labelled: Vec<(String, u64)> = frame.strata.iter().map(|x| (x.label(), x.size())).collect();
    let sizes = s.design.sizes(&labelled)?;
    let (strata, frame_digest) = crate::sample::stratum_entries(&frame, &sizes);
    Ok(Commitment {
        format: FORMAT.to_string(),
        algorithm: crate::draw::ALGORITHM.to_string(),
        engine_version: env!("CARGO_PKG_VERSION").to_string(),
        seed_source: req.seed_source.trim().to_string(),
        design: s.design.spec().clone(),
        columns: s.columns.clone(),
        records,
        frame_digest,
        totals: crate::sample::totals(&strata),
        strata,
    })
}

impl Commitment {
    /// Reads a commitment.
    pub fn load(path: &Path) -> Result<Commitment> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let c: Commitment = serde_json::from_str(&text).map_err(|e| ErrorKind::Malformed {
            at: crate::Position::line(name.clone(), e.line() as u64),
            message: format!("not a chiso commitment: {e}"),
        })?;
        if c.format != FORMAT {
            return Err(ErrorKind::Malformed {
                at: crate::Position::file(name),
                message: format!("format {:?} is not {FORMAT:?}", c.format),
            }
            .into());
        }
        Ok(c)
    }

    /// The commitment as pretty JSON with a final newline.
    pub fn to_json(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).expect("a commitment serialises");
        v.push(b'\n');
        v
    }

    /// What in `manifest` (a draw about to be written) differs from this commitment; empty
    /// when the draw was made from exactly what was committed.
    pub fn differences(&self, manifest: &Manifest) -> Vec<String> {
        let mut out = Vec::new();
        let mut differ = |what: &str, committed: String, now: String| {
            if committed != now {
                out.push(format!("{what}: committed {committed}, now {now}"));
            }
        };
        differ(
            "algorithm",
            self.algorithm.clone(),
            manifest.algorithm.clone(),
        );
        differ(
            "records SHA-256",
            self.records.sha256.clone(),
            manifest.records.sha256.clone(),
        );
        differ(
            "records rows",
            format!("{:?}", self.records.counts),
            format!("{:?}", manifest.records.counts),
        );
        differ(
            "design",
            serde_json::to_string(&self.design).unwrap_or_default(),
            serde_json::to_string(&manifest.design).unwrap_or_default(),
        );
        differ(
            "column mapping",
            format!("{:?}", self.columns),
            format!("{:?}", manifest.columns),
        );
        differ(
            "frame digest",
            self.frame_digest.clone(),
            manifest.frame_digest.clone(),
        );
        differ(
            "totals",
            format!("{:?}", self.totals),
            format!("{:?}", manifest.totals),
        );
        let now: std::collections::HashMap<&str, &StratumEntry> = manifest
            .strata
            .iter()
            .map(|s| (s.stratum.as_str(), s))
            .collect();
        for c in &self.strata {
            match now.get(c.stratum.as_str()) {
                None => out.push(format!(
                    "stratum {}: committed, not in the frame now",
                    c.stratum
                )),
                Some(n) if *n != c => out.push(format!(
                    "stratum {}: committed N = {}, n = {}, reserves {}; now {}, {}, {}{}",
                    c.stratum,
                    c.frame_size,
                    c.sample_size,
                    c.reserve_size,
                    n.frame_size,
                    n.sample_size,
                    n.reserve_size,
                    if n.frame_digest != c.frame_digest {
                        " (its records changed)"
                    } else {
                        ""
                    }
                )),
                Some(_) => {}
            }
        }
        for n in &manifest.strata {
            if !self.strata.iter().any(|c| c.stratum == n.stratum) {
                out.push(format!(
                    "stratum {}: in the frame now, not committed",
                    n.stratum
                ));
            }
        }
        out
    }
}

/// Refuses a draw (its `manifest`, before it is written) that was not made from what
/// `commitment` (read from `path`) fixed.
pub(crate) fn refuse_unless_committed(
    commitment: &Commitment,
    path: &Path,
    manifest: &Manifest,
) -> Result<()> {
    let diffs = commitment.differences(manifest);
    if diffs.is_empty() {
        return Ok(());
    }
    let shown: Vec<&str> = diffs.iter().take(10).map(String::as_str).collect();
    Err(Error::input(
        "commitment",
        format!(
            "{}: the draw would not be made from what was committed before the seed ({} \
             difference(s): {}{}); draw from the committed records file and design, or make \
             and sign a new commitment before a new seed is known",
            path.display(),
            diffs.len(),
            shown.join("; "),
            if diffs.len() > 10 { "; …" } else { "" }
        ),
    ))
}

/// What the printable record shows after the draw.
#[derive(Clone, Debug)]
pub struct Drawn<'a> {
    /// The published seed.
    pub seed: &'a str,
    /// The lists' digest.
    pub sample_digest: &'a str,
    /// SHA-256 of `sample.csv`.
    pub sample_file_sha256: &'a str,
}

/// The commitment a manifest implies (what its draw was made from), with `seed_source`.
pub fn of_manifest(m: &Manifest, seed_source: &str) -> Commitment {
    Commitment {
        format: FORMAT.to_string(),
        algorithm: m.algorithm.clone(),
        engine_version: m.engine_version.clone(),
        seed_source: seed_source.trim().to_string(),
        design: m.design.clone(),
        columns: m.columns.clone(),
        records: m.records.clone(),
        frame_digest: m.frame_digest.clone(),
        totals: m.totals,
        strata: m.strata.clone(),
    }
}

/// The printable record (biên bản chọn mẫu) of a commitment: what is fixed, the digests,
/// where the seed will come from, and signature lines for the witnesses; after the draw
/// (`drawn`), the seed and the sample's digests are filled in.
pub fn page(c: &Commitment, drawn: Option<&Drawn<'_>>) -> String {
    use crate::report::{escape, vi_count};
    let design = serde_json::to_value(&c.design).expect("a design serialises");
    let mut h = String::new();
    let title = if drawn.is_some() {
        "BIÊN BẢN CHỌN MẪU KHẢO SÁT SỰ HÀI LÒNG"
    } else {
        "BIÊN BẢN XÁC NHẬN DỮ LIỆU TRƯỚC KHI CHỌN MẪU"
    };
    let _ = write!(
        h,
        "<!doctype html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n\
         <p class=\"nation\"><b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b><br>\
         <b>Độc lập – Tự do – Hạnh phúc</b></p>\n<h1>{title}</h1>\n\
         <p class=\"when\">Hôm nay, vào lúc …… giờ …… ngày …… tháng …… năm ……, tại ……………………, \
         chúng tôi gồm những người ký tên dưới đây cùng xác nhận các nội dung sau.</p>\n"
    );
    h.push_str("<h2>1. Dữ liệu hồ sơ dùng để chọn mẫu</h2>\n<table class=\"kv\">\n");
    let mut row = |k: &str, v: String| {
        let _ = writeln!(h, "<tr><th>{}</th><td>{v}</td></tr>", escape(k));
    };
    row("Tệp dữ liệu hồ sơ", escape(&c.records.file));
    if let Some(sheet) = &c.records.sheet {
        row("Trang tính", escape(sheet));
    }
    row(
        "Mã băm SHA-256 của tệp",
        format!("<code>{}</code>", escape(&c.records.sha256)),
    );
    let k = &c.records.counts;
    row(
        "Số dòng",
        format!(
            "{} dòng; {} bị loại (có ghi lý do); {} chưa trả kết quả; {} ngoài thời gian khảo \
             sát; {} hồ sơ đủ điều kiện",
            vi_count(k.rows),
            vi_count(k.rejected),
            vi_count(k.not_returned),
            vi_count(k.outside_window),
            vi_count(k.eligible)
        ),
    );
    row(
        "Mã băm khung mẫu (frame_digest)",
        format!("<code>{}</code>", escape(&c.frame_digest)),
    );
    h.push_str("</table>\n<h2>2. Thiết kế mẫu</h2>\n<table class=\"kv\">\n");
    let mut row = |k: &str, v: String| {
        let _ = writeln!(h, "<tr><th>{}</th><td>{v}</td></tr>", escape(k));
    };
    row("Thiết kế", escape(&crate::report::design_words(&design)));
    row(
        "Nội dung đầy đủ",
        format!("<code>{}</code>", escape(&design.to_string())),
    );
    row(
        "Thuật toán chọn mẫu",
        format!("<code>{}</code>", escape(&c.algorithm)),
    );
    row(
        "Tổng cộng",
        format!(
            "{} tầng; {} người, tổ chức trong khung mẫu; {} phiếu chính thức, {} dự phòng",
            vi_count(c.totals.strata),
            vi_count(c.totals.frame_size),
            vi_count(c.totals.sample_size),
            vi_count(c.totals.reserve_size)
        ),
    );
    h.push_str(
        "</table>\n<h2>3. Khung mẫu và cỡ mẫu từng tầng</h2>\n<table class=\"strata\">\n\
         <thead><tr><th>Tầng</th><th>Khung mẫu (N)</th><th>Mẫu chính thức (n)</th>\
         <th>Dự phòng</th></tr></thead>\n<tbody>\n",
    );
    for s in &c.strata {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&s.stratum),
            vi_count(s.frame_size),
            vi_count(s.sample_size),
            vi_count(s.reserve_size)
        );
    }
    h.push_str("</tbody>\n</table>\n<h2>4. Hạt giống ngẫu nhiên</h2>\n<table class=\"kv\">\n");
    let mut row = |k: &str, v: String| {
        let _ = writeln!(h, "<tr><th>{}</th><td>{v}</td></tr>", escape(k));
    };
    let blank = "………………………………………………………………………………";
    row(
        "Nguồn hạt giống (công bố trước)",
        if c.seed_source.is_empty() {
            blank.to_string()
        } else {
            escape(&c.seed_source)
        },
    );
    match drawn {
        Some(d) => {
            row(
                "Hạt giống đã dùng (seed)",
                format!("<code>{}</code>", escape(d.seed)),
            );
            row(
                "Mã băm danh sách mẫu (sample_digest)",
                format!("<code>{}</code>", escape(d.sample_digest)),
            );
            row(
                "Mã băm tệp sample.csv",
                format!("<code>{}</code>", escape(d.sample_file_sha256)),
            );
        }
        None => {
            row("Hạt giống (điền sau khi công bố)", blank.to_string());
            row(
                "Mã băm danh sách mẫu (điền sau khi chọn)",
                blank.to_string(),
            );
        }
    }
    h.push_str("</table>\n");
    h.push_str(
        "<p class=\"note\">Các mã băm trên cố định dữ liệu và thiết kế trước khi biết hạt giống. \
         Bất kỳ ai có tệp hồ sơ đều kiểm tra được bằng <code>chiso verify</code> rằng danh sách \
         mẫu được chọn đúng từ dữ liệu, thiết kế và hạt giống này.</p>\n",
    );
    h.push_str("<h2>5. Chữ ký</h2>\n<div class=\"signs\">\n");
    for who in [
        "Đại diện Sở Nội vụ",
        "Đại diện Ủy ban Mặt trận Tổ quốc",
        "Đại diện Hội Cựu chiến binh",
        "Người lập biên bản",
    ] {
        let _ = writeln!(
            h,
            "<div class=\"sign\"><b>{}</b><br><i>(ký, ghi rõ họ tên)</i></div>",
            escape(who)
        );
    }
    h.push_str("</div>\n</main>\n</body>\n</html>\n");
    h
}

const CSS: &str = "body{font-family:'Times New Roman',Times,serif;font-size:13pt;color:#000;\
background:#fff;margin:0}main{max-width:760px;margin:0 auto;padding:24px 16px}\
.nation{text-align:center}h1{text-align:center;font-size:15pt;margin:16px 0}\
h2{font-size:13pt;margin:18px 0 6px}table{border-collapse:collapse;width:100%}\
th,td{border:1px solid #000;padding:4px 6px;text-align:left;vertical-align:top}\
table.kv th{width:34%;font-weight:600}code{font-family:monospace;font-size:10pt;\
overflow-wrap:anywhere;word-break:break-all}table.strata td:not(:first-child){text-align:right}\
.signs{display:grid;grid-template-columns:1fr 1fr;gap:24px 32px;margin-top:12px}\
.sign{text-align:center;min-height:110px}.note{font-style:italic}\
@media (max-width:600px){table.kv th{width:auto}.signs{grid-template-columns:1fr}}\
@media print{main{padding:0}@page{size:A4;margin:18mm 16mm}thead{display:table-header-group}\
tr{break-inside:avoid}.signs{break-inside:avoid}}";

/// Writes `commitment.json` and `bien-ban.html` into `dir` together; an existing commitment
/// is never replaced without `force`.
pub fn write(dir: &Path, c: &Commitment, force: bool) -> Result<Vec<PathBuf>> {
    let mut staged = Staged::new(dir, force, &["commitment.json"])?;
    staged.add("commitment.json", c.to_json());
    staged.add("bien-ban.html", page(c, None).into_bytes());
    staged.commit()
}

/// Writes the record after the draw, `bien-ban.html`, into `dir`, from the sample's
/// manifest.
pub fn write_after(dir: &Path, manifest: &Manifest, seed_source: &str) -> Result<Vec<PathBuf>> {
    let c = of_manifest(manifest, seed_source);
    let drawn = Drawn {
        seed: &manifest.seed,
        sample_digest: &manifest.sample_digest,
        sample_file_sha256: &manifest.sample_file_sha256,
    };
    let mut staged = Staged::new(dir, true, &[])?;
    staged.add("bien-ban.html", page(&c, Some(&drawn)).into_bytes());
    staged.commit()
}
