//! The web page (`report.html`): one self-contained page, inline CSS and SVG bar charts, no
//! script.

use std::fmt::Write as _;

use super::inputs::{Flag, IndexEntry, Inputs, Par, ParUnit, Timeliness};
use super::vi::{
    ci_method_label, design_words, group_label, input_digests, vi_count, vi_interval, vi_level,
    vi_number, vi_opt_pct, vi_pct_against, vi_percent, weights_label, yes_no,
};

/// Escapes text for HTML and SVG (element content and quoted attributes).
///
/// ```
/// assert_eq!(chiso::report::escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
/// ```
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = "
:root{--ink:#1f2933;--muted:#616e7c;--line:#d9e2ec;--blue:#2563eb;--red:#c62828;--amber:#b7791f;--green:#2f855a}
*{box-sizing:border-box}
body{margin:0;font-family:'Segoe UI',Roboto,'Noto Sans','Helvetica Neue',Arial,sans-serif;color:var(--ink);background:#f5f7fa;line-height:1.45}
main{max-width:1120px;margin:0 auto;padding:24px 20px 48px}
h1{font-size:1.7rem;margin:0 0 4px}
h2{font-size:1.3rem;margin:36px 0 8px;padding-bottom:4px;border-bottom:2px solid var(--line)}
h3{font-size:1.08rem;margin:22px 0 6px}
p.note,.note{color:var(--muted);font-size:.9rem}
.headline{display:flex;flex-wrap:wrap;gap:16px;margin:18px 0}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:14px 18px;min-width:220px;flex:1}
.card .big{font-size:2.3rem;font-weight:700;color:var(--blue)}
.card .label{color:var(--muted);font-size:.9rem}
table{border-collapse:collapse;width:100%;background:#fff;font-size:.92rem;margin:6px 0 10px}
th,td{border:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
th{background:#e8eef6;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
th.num{text-align:right}
.scroll{overflow-x:auto}
tr.flag td{background:#fde4e1}
tr.warn td{background:#fff4d6}
tr.imprecise td{color:var(--muted);font-style:italic}
.badge{display:inline-block;padding:0 6px;border-radius:4px;font-size:.8rem;font-weight:600;white-space:nowrap}
td.name{min-width:170px}\n.nowrap{white-space:nowrap}\nnav{margin:10px 0;font-size:.92rem}\nnav a{margin-right:14px;color:var(--blue)}
.badge.red{background:#fde4e1;color:var(--red)}
.badge.grey{background:#eceff1;color:var(--muted)}
.badge.amber{background:#fff4d6;color:var(--amber)}
.chart{background:#fff;border:1px solid var(--line);border-radius:8px;padding:8px;margin:8px 0 14px;overflow-x:auto}
.chart svg{display:block;max-width:100%;height:auto}
.legend{font-size:.85rem;color:var(--muted);margin:4px 0}
.legend span{display:inline-block;width:12px;height:12px;margin:0 4px -2px 12px;border-radius:2px}
dl.method{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;background:#fff;border:1px solid var(--line);border-radius:8px;padding:12px 16px}
dl.method dt{font-weight:600}
dl.method dd{margin:0;overflow-wrap:anywhere}
@media (max-width:600px){dl.method{grid-template-columns:1fr}dl.method dd{margin-bottom:6px}}
ul.digests{margin:0;padding-left:18px}ul.digests code{font-size:12px}
code{font-family:ui-monospace,Consolas,monospace;font-size:.85rem}
";

/// The web page.
pub fn html(inputs: &Inputs) -> String {
    let mut h = String::new();
    let ix = &inputs.indices;
    let level = vi_level(ix.level);
    let _ = writeln!(
        h,
        "<!DOCTYPE html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{CSS}</style>\n{}</head>\n<body>\n<main>\n<h1>{}</h1>\n\
         <p class=\"note\">Bộ câu hỏi: {}. Kết quả ước lượng từ mẫu khảo sát có trọng số; \
         mỗi chỉ số kèm khoảng tin cậy {level}.</p>",
        escape(&inputs.title),
        provenance_block(inputs),
        escape(&inputs.title),
        escape(&ix.questionnaire),
    );
    headline(&mut h, inputs, &level);
    h.push_str("<nav><a href=\"#don-vi\">Theo đơn vị</a><a href=\"#canh-bao\">Cảnh báo</a>");
    if inputs.timeliness.is_some() {
        h.push_str("<a href=\"#tien-do\">Tiến độ hồ sơ</a>");
    }
    if inputs.par.is_some() {
        h.push_str("<a href=\"#cchc\">Chỉ số CCHC</a>");
    }
    h.push_str("<a href=\"#phuong-phap\">Phương pháp</a></nav>\n");
    units_section(&mut h, inputs, &level);
    flags_section(&mut h, inputs);
    if let Some(t) = &inputs.timeliness {
        timeliness_section(&mut h, inputs, t);
    }
    if let Some(p) = &inputs.par {
        par_section(&mut h, inputs, p, &level);
    }
    method_section(&mut h, inputs, &level);
    h.push_str("</main>\n</body>\n</html>\n");
    // Wide tables scroll inside the page on a narrow screen.
    h.replace("<table>", "<div class=\"scroll\"><table>")
        .replace("</table>", "</table></div>")
}

fn headline(h: &mut String, inputs: &Inputs, level: &str) {
    let ix = &inputs.indices;
    h.push_str("<section class=\"headline\" id=\"tong-hop\">\n");
    match inputs.overall() {
        Some(o) if o.estimate.is_some() => {
            let _ = writeln!(
                h,
                "<div class=\"card\"><div class=\"label\">Chỉ số hài lòng chung toàn tỉnh</div>\
                 <div class=\"big\">{}</div><div class=\"label\">Khoảng tin cậy {level}: {}<br>\
                 {} phiếu có trả lời</div></div>",
                vi_opt_pct(o.estimate),
                vi_interval(o.ci_lower, o.ci_upper, true),
                vi_count(o.answers())
            );
        }
        _ => h.push_str(
            "<div class=\"card\"><div class=\"label\">Chỉ số hài lòng chung toàn tỉnh</div>\
             <div class=\"big\">—</div><div class=\"label\">Chưa có kết quả toàn tỉnh trong indices.csv</div></div>\n",
        ),
    }
    if let Some(d) = ix.get("ALL", "overall", "dissatisfied_pct")
        && d.estimate.is_some()
    {
        let _ = writeln!(
            h,
            "<div class=\"card\"><div class=\"label\">Tỷ lệ không hài lòng chung</div>\
             <div class=\"big\" style=\"color:var(--red)\">{}</div>\
             <div class=\"label\">Khoảng tin cậy {level}: {}</div></div>",
            vi_opt_pct(d.estimate),
            vi_interval(d.ci_lower, d.ci_upper, true)
        );
    }
    let flagged = inputs.flags.as_ref().map(|f| {
        f.iter()
            .filter(|f| f.level == "unit" && f.above == Some(true))
            .count()
    });
    let _ = writeln!(
        h,
        "<div class=\"card\"><div class=\"label\">Số đơn vị có kết quả</div>\
         <div class=\"big\">{}</div><div class=\"label\">{}</div></div>",
        vi_count(ix.units().len() as u64),
        match flagged {
            Some(k) => format!("{} đơn vị vượt ngưỡng không hài lòng", vi_count(k as u64)),
            None => "Chưa có tệp cảnh báo (flags.csv)".into(),
        }
    );
    h.push_str("</section>\n");
}

/// One bar of a chart.
struct Bar {
    label: String,
    value: f64,
    lower: Option<f64>,
    upper: Option<f64>,
    /// Fill colour.
    colour: &'static str,
    /// Text after the value (e.g. "chưa đủ chính xác").
    note: &'static str,
}

const BLUE: &str = "#2563eb";
const PALE: &str = "#b8c4d6";
const RED_BAR: &str = "#d64541";
const AMBER_BAR: &str = "#e0a526";
const GREEN_BAR: &str = "#2f9e44";

/// A horizontal bar chart, sorted as given, with interval whiskers and an optional reference
/// line. Values are on 0–100; the axis starts at a round number below the smallest value so
/// that differences between units are visible, and says so.
fn bar_chart(h: &mut String, caption: &str, bars: &[Bar], reference: Option<(f64, &str)>) {
    if bars.is_empty() {
        return;
    }
    let lowest = bars
        .iter()
        .map(|b| b.lower.unwrap_or(b.value).min(b.value))
        .chain(reference.map(|r| r.0))
        .fold(100.0_f64, f64::min);
    let axis_min = ((lowest / 10.0).floor() * 10.0).clamp(0.0, 90.0);
    let axis_max = 100.0;
    let span = axis_max - axis_min;
    let step = if span <= 20.0 {
        2.0
    } else if span <= 50.0 {
        5.0
    } else {
        10.0
    };
    let (left, plot, right) = (250.0, 520.0, 210.0);
    let row = 24.0;
    let top = 28.0;
    let height = top + row * bars.len() as f64 + 30.0;
    let width = left + plot + right;
    let x = |v: f64| left + plot * ((v.clamp(axis_min, axis_max) - axis_min) / span);
    let _ = writeln!(
        h,
        "<div class=\"chart\"><svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" \
         width=\"{width}\" height=\"{height}\" role=\"img\" aria-label=\"{}\" font-family=\"inherit\" font-size=\"12\">",
        escape(caption)
    );
    // Grid and axis labels.
    let mut t = axis_min;
    while t <= axis_max + 1e-9 {
        let _ = writeln!(
            h,
            "<line x1=\"{0:.1}\" y1=\"{top}\" x2=\"{0:.1}\" y2=\"{1:.1}\" stroke=\"#e4e9f0\"/>\
             <text x=\"{0:.1}\" y=\"{2:.1}\" text-anchor=\"middle\" fill=\"#616e7c\">{3}%</text>",
            x(t),
            height - 26.0,
            height - 10.0,
            vi_number(t, 0)
        );
        t += step;
    }
    for (i, b) in bars.iter().enumerate() {
        let y = top + row * i as f64;
        let _ = write!(
            h,
            "<g><title>{}: {}{}</title>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#1f2933\">{}</text>\
             <rect x=\"{left}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\" rx=\"2\"/>",
            escape(&b.label),
            vi_percent(b.value),
            match (b.lower, b.upper) {
                (Some(l), Some(u)) =>
                    format!(" (khoảng tin cậy {} – {})", vi_percent(l), vi_percent(u)),
                _ => String::new(),
            },
            left - 8.0,
            y + row * 0.65,
            escape(&b.label),
            y + 4.0,
            (x(b.value) - left).max(1.0),
            row - 8.0,
            b.colour
        );
        if let (Some(l), Some(u)) = (b.lower, b.upper) {
            let ym = y + row / 2.0;
            let _ = write!(
                h,
                "<line x1=\"{0:.1}\" y1=\"{ym:.1}\" x2=\"{1:.1}\" y2=\"{ym:.1}\" stroke=\"#1f2933\" stroke-width=\"1.4\"/>\
                 <line x1=\"{0:.1}\" y1=\"{2:.1}\" x2=\"{0:.1}\" y2=\"{3:.1}\" stroke=\"#1f2933\" stroke-width=\"1.4\"/>\
                 <line x1=\"{1:.1}\" y1=\"{2:.1}\" x2=\"{1:.1}\" y2=\"{3:.1}\" stroke=\"#1f2933\" stroke-width=\"1.4\"/>",
                x(l),
                x(u),
                ym - 5.0,
                ym + 5.0
            );
        }
        let _ = writeln!(
            h,
            "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"#1f2933\" font-weight=\"600\">{}</text>\
             <text x=\"{:.1}\" y=\"{:.1}\" fill=\"#616e7c\">{}</text></g>",
            left + plot + 8.0,
            y + row * 0.65,
            vi_percent(b.value),
            left + plot + 62.0,
            y + row * 0.65,
            escape(b.note)
        );
    }
    if let Some((v, label)) = reference {
        let _ = writeln!(
            h,
            "<line x1=\"{0:.1}\" y1=\"{1:.1}\" x2=\"{0:.1}\" y2=\"{2:.1}\" stroke=\"#1f2933\" stroke-dasharray=\"4 3\"/>\
             <text x=\"{0:.1}\" y=\"{3:.1}\" text-anchor=\"middle\" fill=\"#1f2933\">{4}</text>",
            x(v),
            top - 4.0,
            height - 26.0,
            top - 10.0,
            escape(label)
        );
    }
    h.push_str("</svg></div>\n");
    if axis_min > 0.0 {
        let _ = writeln!(
            h,
            "<p class=\"note\">Trục ngang bắt đầu từ {}% để thấy rõ chênh lệch giữa các đơn vị.</p>",
            vi_number(axis_min, 0)
        );
    }
}

fn unit_label(inputs: &Inputs, code: &str) -> String {
    let name = inputs.name_of(code);
    if name.is_empty() {
        code.to_string()
    } else {
        let short: String = name.chars().take(30).collect();
        let ellipsis = if name.chars().count() > 30 { "…" } else { "" };
        format!("{code} · {short}{ellipsis}")
    }
}

fn rank_text(rank: Option<u64>, size: Option<u64>) -> String {
    match (rank, size) {
        (Some(r), Some(s)) => format!("{r}/{s}"),
        (Some(r), None) => r.to_string(),
        _ => "—".into(),
    }
}

fn rank_range(lo: Option<u64>, hi: Option<u64>) -> String {
    match (lo, hi) {
        (Some(l), Some(u)) if l == u => l.to_string(),
        (Some(l), Some(u)) => format!("{l}–{u}"),
        _ => "—".into(),
    }
}

fn units_section(h: &mut String, inputs: &Inputs, level: &str) {
    let ix = &inputs.indices;
    let province = inputs.overall().and_then(|o| o.estimate);
    h.push_str("<section id=\"don-vi\">\n<h2>Kết quả theo đơn vị</h2>\n");
    let _ = writeln!(
        h,
        "<p class=\"note\">Thanh: chỉ số hài lòng chung của đơn vị; đoạn đen: khoảng tin cậy {level}; \
         đường đứt nét: kết quả toàn tỉnh. Đơn vị xếp từ cao xuống thấp.</p>\
         <p class=\"legend\"><span style=\"background:{BLUE}\"></span>bình thường\
         <span style=\"background:{RED_BAR}\"></span>vượt ngưỡng không hài lòng (cả khoảng tin cậy)\
         <span style=\"background:{AMBER_BAR}\"></span>vượt ngưỡng (ước lượng)\
         <span style=\"background:{PALE}\"></span>chưa đủ chính xác để xếp hạng</p>"
    );
    // Units by group, in order of first appearance.
    let mut groups: Vec<(Option<&str>, Vec<&str>)> = Vec::new();
    for code in ix.units() {
        let g = inputs.group_of(code);
        match groups.iter_mut().find(|(k, _)| *k == g) {
            Some((_, v)) => v.push(code),
            None => groups.push((g, vec![code])),
        }
    }
    let ranks = inputs.headline_ranks();
    for (group, codes) in &groups {
        let _ = writeln!(h, "<h3>{}</h3>", escape(&group_label(*group)));
        // Chart.
        let mut entries: Vec<(&str, &IndexEntry)> = codes
            .iter()
            .filter_map(|c| {
                ix.get(c, "overall", "satisfied_pct")
                    .filter(|e| e.estimate.is_some())
                    .map(|e| (*c, e))
            })
            .collect();
        entries.sort_by(|a, b| {
            b.1.estimate
                .partial_cmp(&a.1.estimate)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then_with(|| a.0.cmp(b.0))
        });
        let bars: Vec<Bar> = entries
            .iter()
            .map(|(code, e)| {
                let flag = inputs.unit_flagged(code);
                let imprecise = inputs.imprecise(code);
                let (colour, note) = match flag {
                    Some(f) if f.certain == Some(true) => (RED_BAR, "vượt ngưỡng"),
                    Some(_) => (AMBER_BAR, "vượt ngưỡng (ước lượng)"),
                    None if imprecise => (PALE, "chưa đủ chính xác"),
                    None => (BLUE, ""),
                };
                Bar {
                    label: unit_label(inputs, code),
                    value: e.estimate.unwrap_or(0.0),
                    lower: e.ci_lower,
                    upper: e.ci_upper,
                    colour,
                    note,
                }
            })
            .collect();
        bar_chart(
            h,
            &format!("Chỉ số hài lòng chung: {}", group_label(*group)),
            &bars,
            province.map(|p| (p, "toàn tỉnh")),
        );
        // Table: ranks when ranks.csv has them, order of the estimate otherwise.
        let have_ranks = codes.iter().any(|c| ranks.iter().any(|r| r.domain == *c));
        let _ = writeln!(
            h,
            "<table>\n<thead><tr>{}<th>Mã</th><th>Tên đơn vị</th><th class=\"num\">Chỉ số hài lòng</th>\
             <th class=\"num\">Khoảng tin cậy {level}</th><th class=\"num\">Không hài lòng</th>\
             <th class=\"num\">Điểm trung bình</th><th class=\"num\">Số phiếu</th><th>Ghi chú</th></tr></thead>\n<tbody>",
            if have_ranks {
                "<th class=\"num\">Hạng</th><th class=\"num\">Khoảng hạng</th>"
            } else {
                "<th class=\"num\">Thứ tự</th>"
            }
        );
        // Every unit of the group: those with an estimate in chart order, then the others.
        let mut ordered: Vec<&str> = entries.iter().map(|(c, _)| *c).collect();
        ordered.extend(
            codes
                .iter()
                .filter(|c| !ordered.contains(c))
                .copied()
                .collect::<Vec<_>>(),
        );
        if have_ranks {
            // By rank (a stable sort keeps the chart order among equal and missing ranks).
            let rank = |c: &str| {
                ranks
                    .iter()
                    .find(|r| r.domain == c)
                    .and_then(|r| r.rank)
                    .unwrap_or(u64::MAX)
            };
            ordered.sort_by_key(|c| rank(c));
        }
        for (pos, code) in ordered.iter().enumerate() {
            let sat = ix.get(code, "overall", "satisfied_pct");
            let dis = ix.get(code, "overall", "dissatisfied_pct");
            let score = ix.get(code, "overall", "mean_score");
            let flag = inputs.unit_flagged(code);
            let imprecise = inputs.imprecise(code);
            let class = match flag {
                Some(f) if f.certain == Some(true) => " class=\"flag\"",
                Some(_) => " class=\"warn\"",
                None if imprecise => " class=\"imprecise\"",
                None => "",
            };
            let mut notes = Vec::new();
            if let Some(f) = flag {
                notes.push(format!(
                    "<span class=\"badge {}\">vượt ngưỡng{}</span>",
                    if f.certain == Some(true) {
                        "red"
                    } else {
                        "amber"
                    },
                    f.threshold_pct
                        .map(|t| format!(" {}", vi_percent(t)))
                        .unwrap_or_default()
                ));
            }
            if imprecise {
                notes
                    .push("<span class=\"badge grey\">chưa đủ chính xác để xếp hạng</span>".into());
            }
            if sat.and_then(|s| s.estimate).is_none() {
                notes.push("chưa có phiếu trả lời".into());
            }
            let rank_cells = if have_ranks {
                let r = ranks.iter().find(|r| r.domain == *code);
                format!(
                    "<td class=\"num\">{}</td><td class=\"num\">{}</td>",
                    r.map_or("—".into(), |r| rank_text(r.rank, r.group_size)),
                    r.map_or("—".into(), |r| rank_range(r.rank_lower, r.rank_upper))
                )
            } else if sat.and_then(|s| s.estimate).is_some() {
                format!("<td class=\"num\">{}</td>", pos + 1)
            } else {
                "<td class=\"num\">—</td>".into()
            };
            let _ = writeln!(
                h,
                "<tr{class}>{rank_cells}<td><code>{}</code></td><td class=\"name\">{}</td><td class=\"num\"><b>{}</b></td>\
                 <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                 <td class=\"num\">{}</td><td>{}</td></tr>",
                escape(code),
                escape(inputs.name_of(code)),
                vi_opt_pct(sat.and_then(|s| s.estimate)),
                sat.map_or("—".into(), |s| vi_interval(s.ci_lower, s.ci_upper, true)),
                vi_opt_pct(dis.and_then(|s| s.estimate)),
                score
                    .and_then(|s| s.estimate)
                    .map_or("—".into(), |v| vi_number(v, 2)),
                vi_count(sat.map_or(0, |s| s.answers())),
                notes.join(" ")
            );
        }
        h.push_str("</tbody></table>\n");
        if !have_ranks {
            h.push_str(
                "<p class=\"note\">Chưa có tệp xếp hạng (ranks.csv): đơn vị được sắp theo ước lượng, \
                 chưa kèm khoảng hạng.</p>\n",
            );
        }
    }
    elements_table(h, inputs);
    items_table(h, inputs);
    h.push_str("</section>\n");
}

/// The items' texts, when `indices.json` gives them, with each item's share satisfied.
fn items_table(h: &mut String, inputs: &Inputs) {
    let ix = &inputs.indices;
    if ix.item_texts.is_empty() {
        return;
    }
    h.push_str(
        "<h3>Nội dung tiêu chí</h3>\n<table>\n<thead><tr><th>Mã</th><th>Tiêu chí</th>\
         <th class=\"num\">Tỷ lệ hài lòng toàn tỉnh (%)</th></tr></thead>\n<tbody>\n",
    );
    for (code, text) in ix.item_texts() {
        let v = ix
            .get("ALL", &format!("item:{code}"), "satisfied_pct")
            .and_then(|r| r.estimate);
        let _ = writeln!(
            h,
            "<tr><td><code>{}</code></td><td>{}</td><td class=\"num\">{}</td></tr>",
            escape(code),
            escape(text),
            vi_opt_pct(v)
        );
    }
    h.push_str("</tbody></table>\n");
}

/// Units × elements: each element's share satisfied.
fn elements_table(h: &mut String, inputs: &Inputs) {
    let ix = &inputs.indices;
    let elements = ix.elements();
    if elements.is_empty() {
        return;
    }
    h.push_str(
        "<h3>Chỉ số hài lòng theo yếu tố</h3>\n<table>\n<thead><tr><th>Mã</th><th>Tên đơn vị</th>",
    );
    for e in &elements {
        let _ = write!(h, "<th class=\"num\">Yếu tố {}</th>", escape(e));
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    let mut domains = vec!["ALL"];
    domains.extend(ix.units());
    for d in domains {
        let name = if d == "ALL" {
            "Toàn tỉnh"
        } else {
            inputs.name_of(d)
        };
        let _ = write!(
            h,
            "<tr><td><code>{}</code></td><td>{}</td>",
            escape(d),
            escape(name)
        );
        for e in &elements {
            let ind = format!("element:{e}");
            let v = ix.get(d, &ind, "satisfied_pct").and_then(|r| r.estimate);
            let class = if inputs.unit_flag(d, &ind).is_some() {
                " style=\"background:#fde4e1\""
            } else {
                ""
            };
            let _ = write!(h, "<td class=\"num\"{class}>{}</td>", vi_opt_pct(v));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody></table>\n");
}

fn flags_section(h: &mut String, inputs: &Inputs) {
    h.push_str("<section id=\"canh-bao\">\n<h2>Đơn vị và cán bộ vượt ngưỡng không hài lòng</h2>\n");
    let Some(flags) = &inputs.flags else {
        h.push_str("<p class=\"note\">Chưa có tệp cảnh báo (flags.csv).</p>\n</section>\n");
        return;
    };
    let threshold = flags.iter().find_map(|f| f.threshold_pct);
    if let Some(t) = threshold {
        let _ = writeln!(
            h,
            "<p class=\"note\">Ngưỡng: tỷ lệ không hài lòng trên {}. \"Chắc chắn\" nghĩa là cả khoảng tin cậy \
             nằm trên ngưỡng. Cán bộ chỉ được nêu bằng mã.</p>",
            vi_percent(t)
        );
    }
    for (level, title) in [("unit", "Đơn vị"), ("officer", "Cán bộ")] {
        let mut rows: Vec<&Flag> = flags
            .iter()
            .filter(|f| f.level == level && f.above == Some(true))
            .collect();
        // Worst first.
        rows.sort_by(|a, b| {
            b.dissatisfied_pct
                .partial_cmp(&a.dissatisfied_pct)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then_with(|| (&a.domain, &a.officer_id).cmp(&(&b.domain, &b.officer_id)))
        });
        let checked = flags.iter().filter(|f| f.level == level).count();
        let _ = writeln!(
            h,
            "<h3>{title}: {} vượt ngưỡng trong {} được xét</h3>",
            vi_count(rows.len() as u64),
            vi_count(checked as u64)
        );
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(
            h,
            "<table>\n<thead><tr><th>Mã đơn vị</th>{}<th>Chỉ tiêu</th><th class=\"num\">Tỷ lệ không hài lòng</th>\
             <th class=\"num\">Khoảng tin cậy</th><th class=\"num\">Số phiếu</th><th>Chắc chắn vượt</th>\
             <th>Chưa đủ chính xác</th></tr></thead>\n<tbody>",
            if level == "officer" {
                "<th>Mã cán bộ</th>"
            } else {
                "<th>Tên đơn vị</th>"
            }
        );
        for f in rows {
            let second = if level == "officer" {
                format!(
                    "<td><code>{}</code></td>",
                    escape(f.officer_id.as_deref().unwrap_or(""))
                )
            } else {
                format!("<td>{}</td>", escape(inputs.name_of(&f.domain)))
            };
            let _ = writeln!(
                h,
                "<tr class=\"{}\"><td><code>{}</code></td>{second}<td class=\"nowrap\">{}</td><td class=\"num\"><b>{}</b></td>\
                 <td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
                if f.certain == Some(true) {
                    "flag"
                } else {
                    "warn"
                },
                escape(&f.domain),
                escape(&inputs.indicator_label(&f.indicator)),
                vi_opt_pct(f.dissatisfied_pct),
                vi_interval(f.ci_lower, f.ci_upper, true),
                vi_count(f.n),
                yes_no(f.certain),
                yes_no(f.imprecise)
            );
        }
        h.push_str("</tbody></table>\n");
    }
    h.push_str("</section>\n");
}

fn timeliness_section(h: &mut String, inputs: &Inputs, rows: &[Timeliness]) {
    h.push_str(
        "<section id=\"tien-do\">\n<h2>Tiến độ giải quyết hồ sơ</h2>\n\
         <p class=\"note\">Tính từ toàn bộ hồ sơ (không phải mẫu), nên không có sai số chọn mẫu.</p>\n",
    );
    let ceiling = rows.iter().find_map(|t| t.late_ceiling_pct);
    if let Some(c) = ceiling {
        let _ = writeln!(
            h,
            "<p class=\"note\">Trần hồ sơ trễ hạn: {}.</p>",
            vi_percent(c)
        );
    }
    let mut units: Vec<&Timeliness> = rows.iter().filter(|t| t.level != "officer").collect();
    // Units only: the province's own row (`ALL`) is not one of them.
    let mut above: Vec<&&Timeliness> = units
        .iter()
        .filter(|t| t.level == "unit" && t.above_ceiling == Some(true))
        .collect();
    above.sort_by(|a, b| {
        b.late_pct
            .partial_cmp(&a.late_pct)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    if !above.is_empty() {
        let _ = writeln!(
            h,
            "<p><b>{} đơn vị có tỷ lệ trễ hạn vượt trần</b> (cao nhất trước): {}.</p>",
            vi_count(above.len() as u64),
            above
                .iter()
                .map(|t| {
                    let code = format!("<code>{}</code>", escape(&t.domain));
                    let unit = match inputs.name_of(&t.domain) {
                        "" => code,
                        name => format!("{} ({code})", escape(name)),
                    };
                    let late = vi_pct_against(t.late_pct, t.late_ceiling_pct, t.above_ceiling);
                    format!("{unit} {late}")
                })
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    units.sort_by(|a, b| {
        let key = |t: &Timeliness| t.late_pct.unwrap_or(f64::INFINITY);
        key(a)
            .partial_cmp(&key(b))
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a.domain.cmp(&b.domain))
    });
    h.push_str(
        "<table>\n<thead><tr><th>Mã đơn vị</th><th>Tên đơn vị</th><th class=\"num\">Số hồ sơ</th>\
         <th class=\"num\">Trước hạn</th><th class=\"num\">Đúng hạn</th><th class=\"num\">Trễ hạn</th>\
         <th>Tỷ lệ (trước hạn / đúng hạn / trễ hạn)</th><th>Vượt trần</th></tr></thead>\n<tbody>\n",
    );
    for t in &units {
        let name = if t.domain == "ALL" {
            "Toàn tỉnh"
        } else {
            inputs.name_of(&t.domain)
        };
        let _ = writeln!(
            h,
            "<tr{}><td><code>{}</code></td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\"><b>{}</b></td><td>{}</td><td>{}</td></tr>",
            if t.above_ceiling == Some(true) {
                " class=\"flag\""
            } else {
                ""
            },
            escape(&t.domain),
            escape(name),
            vi_count(t.records),
            vi_opt_pct(t.early_pct),
            vi_opt_pct(t.on_time_pct),
            vi_pct_against(t.late_pct, t.late_ceiling_pct, t.above_ceiling),
            stacked(t),
            yes_no(t.above_ceiling)
        );
    }
    h.push_str("</tbody></table>\n");
    let officers: Vec<&Timeliness> = rows
        .iter()
        .filter(|t| t.level == "officer" && t.above_ceiling == Some(true))
        .collect();
    let total = rows.iter().filter(|t| t.level == "officer").count();
    if total > 0 {
        let _ = writeln!(
            h,
            "<h3>Cán bộ có tỷ lệ trễ hạn vượt trần: {} trong {}</h3>",
            vi_count(officers.len() as u64),
            vi_count(total as u64)
        );
        if !officers.is_empty() {
            h.push_str(
                "<table>\n<thead><tr><th>Mã đơn vị</th><th>Mã cán bộ</th><th class=\"num\">Số hồ sơ</th>\
                 <th class=\"num\">Trễ hạn</th><th class=\"num\">Tỷ lệ trễ hạn</th></tr></thead>\n<tbody>\n",
            );
            for t in officers {
                let _ = writeln!(
                    h,
                    "<tr class=\"flag\"><td><code>{}</code></td><td><code>{}</code></td><td class=\"num\">{}</td>\
                     <td class=\"num\">{}</td><td class=\"num\"><b>{}</b></td></tr>",
                    escape(&t.domain),
                    escape(t.officer_id.as_deref().unwrap_or("")),
                    vi_count(t.records),
                    vi_count(t.late),
                    vi_opt_pct(t.late_pct)
                );
            }
            h.push_str("</tbody></table>\n");
        }
    }
    h.push_str("</section>\n");
}

/// A small 100% stacked bar: early (green), on time (blue), late (red).
fn stacked(t: &Timeliness) -> String {
    if t.records == 0 {
        return "—".into();
    }
    let w = 180.0;
    let share = |k: u64| w * k as f64 / t.records as f64;
    let (e, o, l) = (share(t.early), share(t.on_time), share(t.late));
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"14\" viewBox=\"0 0 {w} 14\" role=\"img\" \
         aria-label=\"trước hạn {}, đúng hạn {}, trễ hạn {}\"><rect width=\"{w}\" height=\"14\" fill=\"#eceff1\"/>\
         <rect width=\"{e:.1}\" height=\"14\" fill=\"#2f855a\"/><rect x=\"{e:.1}\" width=\"{o:.1}\" height=\"14\" fill=\"#2563eb\"/>\
         <rect x=\"{:.1}\" width=\"{l:.1}\" height=\"14\" fill=\"#d64541\"/></svg>",
        vi_count(t.early),
        vi_count(t.on_time),
        vi_count(t.late),
        e + o
    )
}

fn par_section(h: &mut String, inputs: &Inputs, par: &Par, level: &str) {
    h.push_str("<section id=\"cchc\">\n<h2>Chỉ số cải cách hành chính (Chỉ số CCHC)</h2>\n");
    let _ = writeln!(
        h,
        "<p class=\"note\">Chỉ số = 100 × điểm đạt / điểm tối đa của các tiêu chí áp dụng cho đơn vị. \
         Phần điểm từ điều tra xã hội học có sai số chọn mẫu, nên chỉ số và hạng có khoảng tin cậy {level}. \
         Mỗi nhóm xếp hạng riêng; đường đứt nét: trung bình chỉ số của nhóm.</p>\
         <p class=\"legend\"><span style=\"background:{GREEN_BAR}\"></span>cao hơn trung bình nhóm \
         (cả khoảng tin cậy)<span style=\"background:{BLUE}\"></span>chưa khác biệt rõ với trung bình nhóm\
         <span style=\"background:{RED_BAR}\"></span>thấp hơn trung bình nhóm (cả khoảng tin cậy)</p>"
    );
    let mut groups: Vec<&str> = Vec::new();
    for u in &par.units {
        if !groups.contains(&u.unit_group.as_str()) {
            groups.push(&u.unit_group);
        }
    }
    for g in groups {
        let _ = writeln!(h, "<h3>{}</h3>", escape(&group_label(Some(g))));
        let mut units: Vec<&ParUnit> = par.units.iter().filter(|u| u.unit_group == g).collect();
        units.sort_by(|a, b| {
            (a.rank.unwrap_or(u64::MAX), &a.unit_code)
                .cmp(&(b.rank.unwrap_or(u64::MAX), &b.unit_code))
        });
        let mut by_value: Vec<&&ParUnit> = units.iter().filter(|u| u.index.is_some()).collect();
        by_value.sort_by(|a, b| {
            b.index
                .partial_cmp(&a.index)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then_with(|| a.unit_code.cmp(&b.unit_code))
        });
        // Leaders and laggards: the units whose whole interval lies above (below) the mean
        // index of their group.
        let mean = (!by_value.is_empty())
            .then(|| by_value.iter().filter_map(|u| u.index).sum::<f64>() / by_value.len() as f64);
        let standing = |u: &ParUnit| -> (&'static str, &'static str) {
            match (mean, u.ci_lower, u.ci_upper) {
                (Some(m), Some(l), _) if l > m => (GREEN_BAR, "cao hơn trung bình"),
                (Some(m), _, Some(h)) if h < m => (RED_BAR, "thấp hơn trung bình"),
                _ => (BLUE, ""),
            }
        };
        let bars: Vec<Bar> = by_value
            .iter()
            .map(|u| {
                let (colour, note) = standing(u);
                Bar {
                    label: if u.unit_name.is_empty() {
                        u.unit_code.clone()
                    } else {
                        unit_label(inputs, &u.unit_code)
                    },
                    value: u.index.unwrap_or(0.0),
                    lower: u.ci_lower,
                    upper: u.ci_upper,
                    colour,
                    note,
                }
            })
            .collect();
        if let (Some(m), Some(first), Some(last)) = (mean, by_value.first(), by_value.last()) {
            let above = by_value
                .iter()
                .filter(|u| standing(u).0 == GREEN_BAR)
                .count();
            let below = by_value.iter().filter(|u| standing(u).0 == RED_BAR).count();
            let _ = writeln!(
                h,
                "<p>Trung bình nhóm {}. Cao nhất: <b>{}</b> ({}); thấp nhất: <b>{}</b> ({}). \
                 {} đơn vị cao hơn và {} đơn vị thấp hơn trung bình nhóm một cách rõ rệt \
                 (cả khoảng tin cậy).</p>",
                vi_percent(m),
                escape(&unit_label(inputs, &first.unit_code)),
                vi_opt_pct(first.index),
                escape(&unit_label(inputs, &last.unit_code)),
                vi_opt_pct(last.index),
                vi_count(above as u64),
                vi_count(below as u64)
            );
        }
        bar_chart(
            h,
            &format!("Chỉ số CCHC: {}", group_label(Some(g))),
            &bars,
            mean.map(|m| (m, "trung bình nhóm")),
        );
        h.push_str(
            "<table>\n<thead><tr><th class=\"num\">Hạng</th><th class=\"num\">Khoảng hạng</th><th>Mã</th>\
             <th>Tên đơn vị</th><th class=\"num\">Điểm đạt</th><th class=\"num\">Điểm tối đa</th>\
             <th class=\"num\">Chỉ số</th><th class=\"num\">Khoảng tin cậy</th></tr></thead>\n<tbody>\n",
        );
        for u in units {
            let _ = writeln!(
                h,
                "<tr><td class=\"num\">{}</td><td class=\"num\">{}</td><td><code>{}</code></td><td>{}</td>\
                 <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\"><b>{}</b></td>\
                 <td class=\"num\">{}</td></tr>",
                rank_text(u.rank, u.group_size),
                rank_range(u.rank_lower, u.rank_upper),
                escape(&u.unit_code),
                escape(&u.unit_name),
                u.points.map_or("—".into(), |v| vi_number(v, 2)),
                u.max_points.map_or("—".into(), |v| vi_number(v, 2)),
                vi_opt_pct(u.index),
                vi_interval(u.ci_lower, u.ci_upper, true)
            );
        }
        h.push_str("</tbody></table>\n");
    }
    h.push_str("</section>\n");
}

/// The id of the page's machine-readable provenance: a hidden element holding, as escaped
/// text, a JSON object with the title and every input file's SHA-256, for `chiso verify
/// --report` (the page holds no script).
pub const PROVENANCE_ID: &str = "chiso-provenance";

/// The page's provenance as a hidden element.
fn provenance_block(inputs: &Inputs) -> String {
    let json = serde_json::json!({
        "title": inputs.title,
        "provenance": inputs.provenance,
    });
    format!(
        "<template id=\"{PROVENANCE_ID}\">{}</template>\n",
        escape(&json.to_string())
    )
}

/// The text [`escape`] made from `s`.
fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The title and provenance a page records (its `chiso-provenance` element), if it has
/// them.
pub fn read_provenance(html: &str) -> Option<(String, crate::provenance::Provenance)> {
    let open = format!("<template id=\"{PROVENANCE_ID}\">");
    let start = html.find(&open)? + open.len();
    let end = start + html[start..].find("</template>")?;
    let json: serde_json::Value = serde_json::from_str(&unescape(&html[start..end])).ok()?;
    let title = json.get("title")?.as_str()?.to_string();
    Some((title, crate::provenance::Provenance::from_json(&json)?))
}

fn method_section(h: &mut String, inputs: &Inputs, level: &str) {
    let ix = &inputs.indices;
    h.push_str("<section id=\"phuong-phap\">\n<h2>Phương pháp và khả năng kiểm tra lại</h2>\n<dl class=\"method\">\n");
    let mut item = |k: &str, v: String| {
        let _ = writeln!(h, "<dt>{}</dt><dd>{v}</dd>", escape(k));
    };
    item("Bộ câu hỏi", escape(&ix.questionnaire));
    item(
        "Khoảng tin cậy",
        format!(
            "{level}, phương pháp {}",
            escape(&ci_method_label(&ix.ci_method))
        ),
    );
    item("Trọng số", escape(&weights_label(&ix.weights)));
    item(
        "Ước lượng sai số",
        "tuyến tính hóa Taylor cho mẫu phân tầng, có hiệu chỉnh tổng thể hữu hạn".into(),
    );
    item(
        "Phiên bản chương trình tính chỉ số",
        format!("<code>{}</code>", escape(&ix.engine_version)),
    );
    let digests: String = input_digests(ix)
        .iter()
        .map(|(label, file, sha)| {
            format!(
                "<li>{}: {} <code>{}</code></li>",
                escape(label),
                escape(file),
                escape(sha)
            )
        })
        .collect();
    item(
        "Tệp đầu vào và mã băm SHA-256",
        format!("<ul class=\"digests\">{digests}</ul>"),
    );
    match &inputs.sample {
        Some(s) => {
            item(
                "Hạt giống ngẫu nhiên (seed)",
                format!("<code>{}</code>", escape(&s.seed)),
            );
            item(
                "Thuật toán chọn mẫu",
                format!("<code>{}</code>", escape(&s.algorithm)),
            );
            item(
                "Mã băm mẫu (sample_digest)",
                format!("<code>{}</code>", escape(&s.sample_digest)),
            );
            item(
                "Mã băm khung mẫu (frame_digest)",
                format!("<code>{}</code>", escape(&s.frame_digest)),
            );
            if let (Some(f), Some(n)) = (s.frame_size, s.sample_size) {
                item(
                    "Khung mẫu và cỡ mẫu",
                    format!(
                        "{} người, tổ chức; chọn {} phiếu chính thức",
                        vi_count(f),
                        vi_count(n)
                    ),
                );
            }
            item(
                "Thiết kế mẫu",
                format!(
                    "{}<br><code>{}</code>",
                    escape(&design_words(&s.design)),
                    escape(&s.design.to_string())
                ),
            );
        }
        None => item(
            "Hạt giống ngẫu nhiên (seed)",
            "chưa ghi (báo cáo được lập không kèm manifest.json của mẫu)".into(),
        ),
    }
    h.push_str("</dl>\n");
    if inputs.sample.is_some() {
        h.push_str(
            "<p class=\"note\">Bất kỳ ai có dữ liệu hồ sơ đều có thể chọn lại đúng danh sách mẫu từ hạt giống \
             đã công bố và so mã băm mẫu với giá trị trên.</p>\n",
        );
    }
    h.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bar_chart_escapes_labels_and_starts_the_axis_below_every_value() {
        let mut h = String::new();
        bar_chart(
            &mut h,
            "a <b>",
            &[Bar {
                label: "X & <Y>".into(),
                value: 95.0,
                lower: Some(93.0),
                upper: Some(97.0),
                colour: BLUE,
                note: "",
            }],
            Some((90.0, "toàn tỉnh")),
        );
        assert!(h.contains("aria-label=\"a &lt;b&gt;\""));
        assert!(h.contains(">X &amp; &lt;Y&gt;<"));
        assert!(h.contains("95,00% (khoảng tin cậy 93,00% – 97,00%)"));
        // The axis starts at 90%, below every value and the reference line.
        assert!(h.contains(">90%<") && !h.contains(">80%<"));
        assert!(h.contains("Trục ngang bắt đầu từ 90%"));
    }
}
