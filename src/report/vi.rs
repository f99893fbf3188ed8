//! Vietnamese words and number formatting, shared by the workbook and the web page.

use crate::weights::{Base, Calibration, Weighting};

/// A number in Vietnamese notation: `.` between thousands, `,` before the decimals.
///
/// ```
/// assert_eq!(chiso::report::vi_number(1234.5, 2), "1.234,50");
/// assert_eq!(chiso::report::vi_number(-0.001, 2), "0,00");
/// ```
pub fn vi_number(x: f64, decimals: usize) -> String {
    let s = format!("{:.*}", decimals, x.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let mut out = String::new();
    let negative = x < 0.0 && s.bytes().any(|b| b.is_ascii_digit() && b != b'0');
    if negative {
        out.push('-');
    }
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push('.');
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push(',');
        out.push_str(frac);
    }
    out
}

/// A percentage (0–100) with two decimals in Vietnamese notation, e.g. `98,80%`.
///
/// ```
/// assert_eq!(chiso::report::vi_percent(98.8), "98,80%");
/// ```
pub fn vi_percent(x: f64) -> String {
    format!("{}%", vi_number(x, 2))
}

pub(super) fn vi_opt_pct(x: Option<f64>) -> String {
    x.map(vi_percent).unwrap_or_else(|| "—".into())
}

/// A late rate `x` (percent) beside a ceiling `ceiling` that it is (`above`) or is not over:
/// with two decimals, or as many more as it takes (up to six) for the number shown not to
/// contradict the mark, else as `> ` the ceiling: a rate over a 2% ceiling is never shown as
/// `2,00%`, and a rate within a ceiling of 2,996% never as `3,00%` (a rate within 2% may show
/// as `2,00%`: "không quá 2%" holds it).
pub(super) fn vi_pct_against(x: Option<f64>, ceiling: Option<f64>, above: Option<bool>) -> String {
    let (Some(x), Some(c), Some(above)) = (x, ceiling, above) else {
        return vi_opt_pct(x);
    };
    for decimals in 2..=6usize {
        let scale = 10f64.powi(decimals as i32);
        let shown = (x * scale).round() / scale;
        if (shown > c) == above {
            return format!("{}%", vi_number(x, decimals));
        }
    }
    // Over (or under) by less than a millionth of a point: said so.
    if above {
        format!("> {}", vi_percent(c))
    } else {
        format!("< {}", vi_percent(c))
    }
}

/// A percentage without needless decimals: 2 → `2%`, 2,5 → `2,5%` (for rules and ceilings).
pub(super) fn vi_pct_short(x: f64) -> String {
    let s = vi_number(x, 6);
    let s = s.trim_end_matches('0').trim_end_matches(',');
    format!("{s}%")
}

/// A share on 0–1 (a response rate) as a percentage with one decimal, e.g. `86,9%`.
pub(super) fn vi_share(x: Option<f64>) -> String {
    x.map_or_else(|| "—".into(), |v| format!("{}%", vi_number(v * 100.0, 1)))
}

pub(crate) fn vi_count(n: u64) -> String {
    vi_number(n as f64, 0)
}

pub(super) fn vi_interval(lo: Option<f64>, hi: Option<f64>, pct: bool) -> String {
    match (lo, hi) {
        (Some(l), Some(h)) if pct => format!("{} – {}", vi_percent(l), vi_percent(h)),
        (Some(l), Some(h)) => format!("{} – {}", vi_number(l, 2), vi_number(h, 2)),
        _ => "—".into(),
    }
}

/// The level as a percentage without needless decimals: 0.95 → `95%`, 0.975 → `97,5%`.
pub(super) fn vi_level(level: f64) -> String {
    let s = vi_number(level * 100.0, 2);
    let s = s.trim_end_matches('0').trim_end_matches(',');
    format!("{s}%")
}

pub(super) fn measure_label(measure: &str) -> &str {
    match measure {
        "satisfied_pct" => "Tỷ lệ hài lòng (%)",
        "dissatisfied_pct" => "Tỷ lệ không hài lòng (%)",
        "mean_score" => "Điểm trung bình",
        other => other,
    }
}

pub(super) fn indicator_label(indicator: &str) -> String {
    if let Some(c) = indicator.strip_prefix("item:") {
        format!("Tiêu chí {c}")
    } else if let Some(c) = indicator.strip_prefix("element:") {
        format!("Yếu tố {c}")
    } else if indicator == "overall" {
        "Chỉ số chung".into()
    } else {
        indicator.to_string()
    }
}

/// How an interval was computed, in Vietnamese (`ci_method` of `indices.csv`).
pub(super) fn ci_method_label(method: &str) -> String {
    match method {
        "logit" => "lôgit (khoảng tính trên thang lôgit của tỷ lệ rồi đổi về phần trăm, \
                    nên luôn nằm trong 0–100%, như phần mềm thống kê R)"
            .into(),
        "beta" => "bêta (Korn–Graubard, theo phân phối bêta)".into(),
        "wilson" => "Wilson (khoảng điểm số)".into(),
        "wald" => "Wald (đối xứng quanh ước lượng)".into(),
        other => format!("“{other}”"),
    }
}

/// A column of the records (a stratum, a calibration margin) in words: `unit_code` →
/// `đơn vị`; a column chiso does not know is quoted as it is.
pub(super) fn column_words(column: &str) -> String {
    let words = match column {
        "unit_code" => "đơn vị",
        "unit_group" => "nhóm đơn vị",
        "applicant_type" => "loại người nộp hồ sơ (công dân, tổ chức)",
        "channel" => "kênh nộp hồ sơ",
        "field" => "lĩnh vực",
        "procedure_code" => "thủ tục",
        "officer_id" => "cán bộ",
        other => return format!("“{other}”"),
    };
    words.to_string()
}

/// Margins such as `channel:applicant_type` (columns crossed) in words.
fn margin_words(margin: &str) -> String {
    margin
        .split(':')
        .map(column_words)
        .collect::<Vec<_>>()
        .join(" × ")
}

/// A ranking group's heading: the province's two tiers since 01/7/2025 (`so`, `xa`), and
/// the districts (`huyen`) of data from before.
pub(super) fn group_label(group: Option<&str>) -> String {
    match group {
        Some("so") => "Sở, ban, ngành".into(),
        Some("huyen") => "Huyện, thị xã, thành phố (trước 01/7/2025)".into(),
        Some("xa") => "Xã, phường, đặc khu".into(),
        Some("") | None => "Chưa phân nhóm".into(),
        Some(g) => format!("Nhóm {g}"),
    }
}

/// Where the weights came from, in Vietnamese (`weights` of `indices.json`, which reads
/// `N_h / m_h from the sample` and the like).
pub(super) fn weights_label(weights: &Weighting) -> String {
    let mut text = String::from(
        "mỗi phiếu có trọng số N_h / m_h: số người trong tầng chia cho số phiếu thu được \
         (N_h lấy từ ",
    );
    text += match weights.base {
        Base::Sample => "mẫu)",
        Base::Population => "tệp dân số)",
    };
    if let Some((method, margins)) = &weights.calibration {
        text += match method {
            Calibration::PostStratify => ", hiệu chỉnh hậu phân tầng theo ",
            Calibration::Rake => ", hiệu chỉnh lặp theo ",
        };
        text += &margins
            .iter()
            .map(|m| margin_words(m))
            .collect::<Vec<_>>()
            .join(", ");
    }
    text
}

/// A date `YYYY-MM-DD` as `DD/MM/YYYY`; other text unchanged.
fn vi_date(d: &str) -> String {
    match d.split('-').collect::<Vec<_>>()[..] {
        [y, m, day] if y.len() == 4 && m.len() == 2 && day.len() == 2 => format!("{day}/{m}/{y}"),
        _ => d.to_string(),
    }
}

/// The main lines of a design in words: window, strata, size rule, reserves.
pub(crate) fn design_words(design: &serde_json::Value) -> String {
    let mut parts = Vec::new();
    if let Some([a, b]) = design
        .pointer("/frame/window")
        .and_then(|w| w.as_array())
        .map(Vec::as_slice)
        && let (Some(a), Some(b)) = (a.as_str(), b.as_str())
    {
        parts.push(format!(
            "hồ sơ trả kết quả từ {} đến {}",
            vi_date(a),
            vi_date(b)
        ));
    }
    if let Some(strata) = design.pointer("/frame/strata").and_then(|s| s.as_array()) {
        let names: Vec<String> = strata
            .iter()
            .filter_map(|s| s.as_str())
            .map(column_words)
            .collect();
        parts.push(format!("phân tầng theo {}", names.join(", ")));
    }
    let num = |p: &str| design.pointer(p).map(|v| v.to_string());
    match design.pointer("/size/mode").and_then(|m| m.as_str()) {
        Some("fixed") => parts.push(format!(
            "cỡ mẫu cố định {} mỗi tầng",
            num("/size/n").unwrap_or_default()
        )),
        Some("yamane") => parts.push(format!(
            "cỡ mẫu theo công thức n = N / (1 + N·e²), e = {}",
            num("/size/e").unwrap_or_default().replace('.', ",")
        )),
        Some(other) => parts.push(format!("cỡ mẫu theo cách “{other}”")),
        None => {}
    }
    if let Some(min) = num("/size/min").filter(|m| m != "0" && m != "null") {
        parts.push(format!("tối thiểu {min} mỗi tầng"));
    }
    if let Some(r) = num("/reserve/ratio").filter(|r| r != "null") {
        parts.push(format!("dự phòng {} lần cỡ mẫu", r.replace('.', ",")));
    } else if let Some(c) = num("/reserve/count").filter(|c| c != "null") {
        parts.push(format!("{c} phiếu dự phòng mỗi tầng"));
    }
    parts.join("; ")
}

/// What an input of a published result is, in Vietnamese (the file's role in
/// `provenance.inputs`).
pub(super) fn input_label(input: &str) -> String {
    let words = match input {
        "responses" => "Phiếu khảo sát đã nhập",
        "questionnaire" => "Bộ câu hỏi",
        "sample" => "Danh sách mẫu",
        "manifest" => "Biên bản chọn mẫu",
        "population" => "Quy mô tổng thể theo tầng",
        "margins" => "Tổng số biết trước để hiệu chỉnh trọng số",
        "indices" => "Kết quả chỉ số",
        "indices_json" => "Thông tin kèm kết quả chỉ số",
        "flags" => "Cảnh báo vượt ngưỡng",
        "ranks" => "Xếp hạng",
        "response_rates" => "Tỷ lệ trả lời",
        "timeliness" => "Tiến độ hồ sơ",
        "comparison" => "So sánh với năm trước",
        "par" => "Chỉ số CCHC",
        "par_fields" => "Chỉ số CCHC theo lĩnh vực",
        other => return other.to_string(),
    };
    words.to_string()
}

/// The input files of the indices and their SHA-256, as (label, file, digest): the indices
/// file itself first, then each input `indices.json` records.
pub(super) fn input_digests(ix: &crate::files::indices::Indices) -> Vec<(String, String, String)> {
    let mut out = vec![(
        "Kết quả chỉ số".to_string(),
        "indices.csv".to_string(),
        ix.csv_sha256.clone(),
    )];
    if let Some(p) = &ix.provenance {
        for i in &p.inputs {
            out.push((
                input_label(&i.input),
                i.digest.file.clone(),
                i.digest.sha256.clone(),
            ));
        }
    }
    out
}

pub(super) fn yes_no(b: Option<bool>) -> &'static str {
    match b {
        Some(true) => "có",
        Some(false) => "không",
        None => "",
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_rate_over_its_ceiling_is_never_shown_as_the_ceiling() {
        assert_eq!(vi_pct_against(Some(2.004), Some(2.0), Some(true)), "2,004%");
        assert_eq!(
            vi_pct_against(Some(2.000004), Some(2.0), Some(true)),
            "2,000004%"
        );
        assert_eq!(
            vi_pct_against(Some(2.0000004), Some(2.0), Some(true)),
            "> 2,00%"
        );
        assert_eq!(vi_pct_against(Some(2.5), Some(2.0), Some(true)), "2,50%");
        // Not over: two decimals, even where they round up to the ceiling (which holds them),
        // but never above it.
        assert_eq!(vi_pct_against(Some(1.996), Some(2.0), Some(false)), "2,00%");
        assert_eq!(vi_pct_against(Some(2.0), Some(2.0), Some(false)), "2,00%");
        assert_eq!(
            vi_pct_against(Some(2.9951), Some(2.996), Some(false)),
            "2,995%"
        );
        assert_eq!(vi_pct_short(2.0), "2%");
        assert_eq!(vi_pct_short(2.5), "2,5%");
        assert_eq!(vi_share(Some(0.8695903058280439)), "87,0%");
        assert_eq!(vi_pct_against(None, Some(2.0), None), "—");
    }

    use super::*;

    #[test]
    fn weights_are_described_in_vietnamese_from_their_type() {
        // What `chiso index` writes, read back and translated, calibrated runs included.
        for (written, words) in [
            ("N_h / m_h from the sample", "(N_h lấy từ mẫu)"),
            ("N_h / m_h from --population", "(N_h lấy từ tệp dân số)"),
            (
                "N_h / m_h from the sample, calibrated (poststratify) to channel:applicant_type",
                "(N_h lấy từ mẫu), hiệu chỉnh hậu phân tầng theo kênh nộp hồ sơ × loại người nộp hồ sơ (công dân, tổ chức)",
            ),
            (
                "N_h / m_h from --population, calibrated (rake) to channel, field",
                "(N_h lấy từ tệp dân số), hiệu chỉnh lặp theo kênh nộp hồ sơ, lĩnh vực",
            ),
        ] {
            let w = Weighting::parse(written).expect(written);
            assert_eq!(w.to_string(), written);
            let label = weights_label(&w);
            assert!(label.ends_with(words), "{label}");
            assert!(
                !label.contains("calibrated") && !label.contains("from"),
                "{label}"
            );
            assert!(
                !label.contains("channel") && !label.contains("field"),
                "{label}"
            );
        }
        assert_eq!(Weighting::parse("N_h / m_h from somewhere"), None);
        assert_eq!(
            Weighting::parse("N_h / m_h from the sample, calibrated (x) to a"),
            None
        );
    }

    #[test]
    fn numbers_in_vietnamese_notation() {
        assert_eq!(vi_number(0.0, 2), "0,00");
        assert_eq!(vi_number(98.8, 2), "98,80");
        assert_eq!(vi_number(100.0, 2), "100,00");
        assert_eq!(vi_number(1234567.0, 0), "1.234.567");
        assert_eq!(vi_number(123456.789, 1), "123.456,8");
        assert_eq!(vi_number(-1234.5, 2), "-1.234,50");
        assert_eq!(vi_percent(7.0 / 3.0), "2,33%");
        assert_eq!(vi_count(6116), "6.116");
        assert_eq!(vi_level(0.95), "95%");
        assert_eq!(vi_level(0.9), "90%");
        assert_eq!(vi_level(0.975), "97,5%");
        assert_eq!(vi_interval(Some(1.0), None, true), "—");
    }

    #[test]
    fn design_in_words() {
        let d: serde_json::Value = serde_json::from_str(
            r#"{"frame":{"strata":["unit_code"],"window":["2024-01-01","2024-09-30"]},
                "reserve":{"ratio":0.5},"size":{"e":0.08,"min":30,"mode":"yamane"}}"#,
        )
        .unwrap();
        assert_eq!(
            design_words(&d),
            "hồ sơ trả kết quả từ 01/01/2024 đến 30/09/2024; phân tầng theo đơn vị; \
             cỡ mẫu theo công thức n = N / (1 + N·e²), e = 0,08; tối thiểu 30 mỗi tầng; \
             dự phòng 0,5 lần cỡ mẫu"
        );
    }
}
