//! The web page (`report.html`): one self-contained page, inline CSS, bar charts drawn in
//! HTML and CSS, no script. It is read on phones first: every table scrolls sideways inside
//! its own frame, so the page itself never does, and a print stylesheet puts each unit's
//! card on a page of its own.

use std::fmt::Write as _;

use super::inputs::{Change, Flag, IndexEntry, Inputs, Par, ParUnit, Timeliness};
use super::vi::{
    ci_method_label, design_words, group_label, input_digests, input_label, vi_count, vi_interval,
    vi_level, vi_number, vi_opt_pct, vi_pct_against, vi_pct_short, vi_percent, vi_share,
    weights_label, yes_no,
};
use super::{OFFICER_MIN_RECORDS, PUBLIC_MIN_ANSWERS};

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

/// The ids of the page's sections, in order (those whose input is missing are left out).
pub const SECTION_IDS: [&str; 8] = [
    "tong-hop",
    "don-vi",
    "canh-bao",
    "tra-loi",
    "tien-do",
    "cchc",
    "the-don-vi",
    "phuong-phap",
];

const CSS: &str = "
:root{--ink:#1f2933;--muted:#52606d;--line:#d9e2ec;--blue:#2563eb;--red:#c62828;--amber:#8a5a00;--green:#2f855a}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;font-family:'Segoe UI',Roboto,'Noto Sans','Helvetica Neue',Arial,sans-serif;color:var(--ink);background:#f5f7fa;line-height:1.45;font-size:16px;overflow-wrap:break-word}
main{max-width:1120px;margin:0 auto;padding:16px 14px 40px}
h1{font-size:1.4rem;margin:0 0 4px}
h2{font-size:1.2rem;margin:32px 0 8px;padding-bottom:4px;border-bottom:2px solid var(--line)}
h3{font-size:1.05rem;margin:20px 0 6px}
@media (min-width:700px){main{padding:24px 20px 48px}h1{font-size:1.7rem}h2{font-size:1.3rem}}
p.note,.note{color:var(--muted);font-size:.9rem}
.version{background:#fff4d6;border:1px solid #e9c46a;border-radius:6px;padding:6px 10px;font-size:.9rem}
.version.public{background:#e6f4ea;border-color:#9ad0a7}
.headline{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:12px 16px;min-width:200px;flex:1}
.card .big{font-size:2rem;font-weight:700;color:var(--blue)}
.card .label{color:var(--muted);font-size:.9rem}
.scroll{overflow-x:auto;max-width:100%;margin:6px 0 10px;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;width:100%;background:#fff;font-size:.9rem}
th,td{border:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
th{background:#e8eef6;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
th.num{text-align:right}
td.name{min-width:150px}
tr.flag td{background:#fde4e1}
tr.warn td{background:#fff4d6}
tr.imprecise td{color:var(--muted);font-style:italic}
.badge{display:inline-block;padding:0 6px;border-radius:4px;font-size:.8rem;font-weight:600}
.badge.red{background:#fde4e1;color:var(--red)}
.badge.grey{background:#eceff1;color:var(--muted)}
.badge.amber{background:#fff4d6;color:var(--amber)}
code{font-family:ui-monospace,Consolas,monospace;font-size:.85em;color:var(--muted)}
a code{color:inherit}
a{color:var(--blue)}
nav{margin:10px 0;font-size:.95rem;line-height:2}
nav a{margin-right:14px;white-space:nowrap}
.chg{white-space:nowrap}
.chg.up{color:var(--green);font-weight:700}
.chg.down{color:var(--red);font-weight:700}
.chg.plain,.chg.new{color:var(--muted)}
.supp{color:var(--muted)}
.chart{background:#fff;border:1px solid var(--line);border-radius:8px;padding:8px 12px;margin:8px 0 14px}
.chart figcaption{font-weight:600;font-size:.95rem;margin:2px 0 6px}
ul.bars{list-style:none;margin:0;padding:0}
li.bar{display:grid;grid-template-columns:minmax(0,1fr) auto;grid-template-areas:'l v' 't t' 'n n';column-gap:8px;padding:5px 0;border-bottom:1px solid #eef2f7;font-size:.9rem}
li.bar .bl{grid-area:l}
li.bar a{text-decoration:none}
li.bar .bv{grid-area:v;text-align:right;font-weight:600;font-variant-numeric:tabular-nums;white-space:nowrap}
li.bar .bn{grid-area:n;color:var(--muted);font-size:.82rem}
li.bar .bt{grid-area:t;position:relative;height:16px;margin-top:3px;background:#eef2f7;border-radius:3px}
li.bar .bf{position:absolute;left:0;top:2px;bottom:2px;border-radius:2px;-webkit-print-color-adjust:exact;print-color-adjust:exact}
li.bar .bw{position:absolute;top:2px;height:12px;border-left:2px solid var(--ink);border-right:2px solid var(--ink)}
li.bar .bw::before{content:'';position:absolute;left:0;right:0;top:5px;height:2px;background:var(--ink)}
li.bar .bref{position:absolute;top:-3px;bottom:-3px;border-left:2px dashed var(--ink)}
li.bar.axis{border-bottom:0;padding-top:0}
li.bar.axis .bt{background:none;height:18px;margin:0}
li.bar.axis .tick{position:absolute;top:0;font-size:12px;color:var(--muted);transform:translateX(-50%)}
li.bar.axis .tick.first{transform:none}
li.bar.axis .tick.last{transform:translateX(-100%)}
@media (min-width:700px){li.bar{grid-template-columns:minmax(0,15em) minmax(0,1fr) 5.5em minmax(0,10em);grid-template-areas:'l t v n';align-items:center}li.bar .bt{margin-top:0}li.bar .bn{padding-left:4px}}
.legend{font-size:.85rem;color:var(--muted);margin:4px 0}
.legend span{display:inline-block;width:12px;height:12px;margin:0 4px -2px 10px;border-radius:2px;-webkit-print-color-adjust:exact;print-color-adjust:exact}
ul.dist{list-style:none;padding:0;margin:6px 0;display:flex;flex-wrap:wrap;gap:6px}
ul.dist li{background:#fff;border:1px solid var(--line);border-radius:6px;padding:3px 8px;font-size:.9rem}
dl.method{display:grid;grid-template-columns:1fr;gap:2px 16px;background:#fff;border:1px solid var(--line);border-radius:8px;padding:12px 16px}
dl.method dt{font-weight:600}
dl.method dd{margin:0 0 8px;overflow-wrap:anywhere}
@media (min-width:700px){dl.method{grid-template-columns:max-content 1fr}dl.method dd{margin:0}}
ul.digests{margin:0;padding-left:18px}ul.digests code{font-size:12px;overflow-wrap:anywhere}
article.scorecard{background:#fff;border:1px solid var(--line);border-radius:8px;padding:10px 14px;margin:12px 0}
article.scorecard h3{margin:0 0 2px}
article.scorecard table{font-size:.88rem;table-layout:fixed}
table.sc th:first-child{width:42%}
table.sc td.num,table.sc .chg{white-space:normal}
@media print{
body{background:#fff;color:#000;font-size:10.5pt}
main{max-width:none;padding:0}
nav{display:none}
a{color:#000;text-decoration:none}
code,.note,p.note,.card .label,.chg.plain,.chg.new,li.bar .bn,.legend,.supp{color:#000}
.card .big,.chg.up,.chg.down{color:#000}
.scroll{overflow:visible}
table{font-size:8.5pt}
th{background:#fff}
thead{display:table-header-group}
tr,li.bar,.card,dl.method dd{break-inside:avoid}
tr.flag td,tr.warn td{background:#fff}
h2,h3{break-after:avoid}
.card,.chart,dl.method,.version{border-color:#000;background:#fff}
article.scorecard{break-before:page;break-inside:avoid;border:0;padding:0}
}
";

/// The page.
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
    if inputs.public {
        let _ = writeln!(
            h,
            "<p class=\"version public\" id=\"ban-cong-khai\"><b>Bản công khai.</b> Không nêu cán bộ; \
             ước lượng dựa trên dưới {PUBLIC_MIN_ANSWERS} câu trả lời không công bố (ghi “–”).</p>"
        );
    } else {
        h.push_str(
            "<p class=\"version\" id=\"ban-noi-bo\"><b>Bản nội bộ.</b> Có số liệu từng cán bộ; \
             bản đăng trên cổng thông tin là bản công khai.</p>\n",
        );
    }
    headline(&mut h, inputs, &level);
    h.push_str("<nav><a href=\"#don-vi\">Theo đơn vị</a><a href=\"#canh-bao\">Cảnh báo</a>");
    if inputs.response_rates.is_some() {
        h.push_str("<a href=\"#tra-loi\">Tỷ lệ trả lời</a>");
    }
    if inputs.timeliness.is_some() {
        h.push_str("<a href=\"#tien-do\">Tiến độ hồ sơ</a>");
    }
    if inputs.par.is_some() {
        h.push_str("<a href=\"#cchc\">Chỉ số CCHC</a>");
    }
    h.push_str(
        "<a href=\"#the-don-vi\">Thẻ kết quả từng đơn vị</a><a href=\"#phuong-phap\">Phương pháp</a></nav>\n",
    );
    units_section(&mut h, inputs, &level);
    flags_section(&mut h, inputs);
    if let Some(r) = &inputs.response_rates {
        response_section(&mut h, inputs, r);
    }
    if let Some(t) = &inputs.timeliness {
        timeliness_section(&mut h, inputs, t);
    }
    if let Some(p) = &inputs.par {
        par_section(&mut h, inputs, p, &level);
    }
    scorecards_section(&mut h, inputs, &level);
    method_section(&mut h, inputs, &level);
    h.push_str("</main>\n</body>\n</html>\n");
    h
}

/// Opens a table inside its own horizontal scroller (the page never scrolls sideways).
fn open_table(h: &mut String, head: &str) {
    open_table_of(h, "", head);
}

/// [`open_table`] for a table of a class of its own.
fn open_table_of(h: &mut String, class: &str, head: &str) {
    let class = if class.is_empty() {
        String::new()
    } else {
        format!(" class=\"{class}\"")
    };
    let _ = writeln!(
        h,
        "<div class=\"scroll\"><table{class}>\n<thead><tr>{head}</tr></thead>\n<tbody>"
    );
}

fn close_table(h: &mut String) {
    h.push_str("</tbody></table></div>\n");
}

/// The id of a unit's card: `the-` and the code, characters other than ASCII letters,
/// digits and `-` written as `_<hex>_` (so that two codes never share an id).
fn card_id(code: &str) -> String {
    let mut id = String::from("the-");
    for c in code.chars() {
        if c.is_ascii_alphanumeric() || c == '-' {
            id.push(c);
        } else {
            let _ = write!(id, "_{:x}_", c as u32);
        }
    }
    id
}

/// A unit by its name, its code beside it, linked to its card when it has one.
fn unit_html(inputs: &Inputs, code: &str) -> String {
    let name = inputs.name_of(code);
    let text = if name.is_empty() {
        format!("<code>{}</code>", escape(code))
    } else {
        format!("{} <code>{}</code>", escape(name), escape(code))
    };
    if inputs.indices.units().contains(&code) {
        format!("<a href=\"#{}\">{text}</a>", card_id(code))
    } else {
        text
    }
}

/// A unit as plain text (for tooltips and captions).
fn unit_text(inputs: &Inputs, code: &str) -> String {
    match inputs.name_of(code) {
        "" => code.to_string(),
        name => format!("{name} ({code})"),
    }
}

/// An indicator by its name (an element's name, an item's text), its code beside it.
fn indicator_html(inputs: &Inputs, indicator: &str) -> String {
    let ix = &inputs.indices;
    if let Some(c) = indicator.strip_prefix("element:") {
        match ix.element_names.get(c) {
            Some(name) => format!("{} <code>{}</code>", escape(name), escape(c)),
            None => format!("Yếu tố <code>{}</code>", escape(c)),
        }
    } else if let Some(c) = indicator.strip_prefix("item:") {
        match ix.item_texts.get(c) {
            Some(text) => format!("{} <code>{}</code>", escape(text), escape(c)),
            None => format!("Tiêu chí <code>{}</code>", escape(c)),
        }
    } else {
        escape(&super::vi::indicator_label(indicator))
    }
}

/// An estimate (a share) as the page shows it: `–` where the public version suppressed it.
fn est_pct(inputs: &Inputs, e: Option<&IndexEntry>) -> String {
    match e {
        Some(e) if e.estimate.is_none() && inputs.suppressed(e) => SUPPRESSED.into(),
        Some(e) => vi_opt_pct(e.estimate),
        None => "—".into(),
    }
}

/// The mark of a suppressed estimate.
const SUPPRESSED: &str = "<span class=\"supp\">–</span>";

/// The note under a part of the page that may hold suppressed estimates.
fn suppressed_note(h: &mut String, inputs: &Inputs) {
    if inputs.public {
        let _ = writeln!(
            h,
            "<p class=\"note\">–: ước lượng dựa trên dưới {PUBLIC_MIN_ANSWERS} câu trả lời, quá ít \
             để đáng tin, nên không công bố.</p>"
        );
    }
}

/// The change since the previous run as the page shows it: an arrow and the change in
/// percentage points, bold and coloured only when its interval excludes 0; `mới` for a unit
/// the previous run did not have; empty without a comparison.
fn change_html(change: Option<Option<&Change>>) -> String {
    let Some(change) = change else {
        return String::new();
    };
    let Some(c) = change else {
        return "<span class=\"chg new\">mới</span>".into();
    };
    let Some(d) = c.difference else {
        return if c.current.is_none() {
            SUPPRESSED.into()
        } else {
            "—".into()
        };
    };
    let shown = vi_number(d.abs(), 2);
    let (arrow, sign) = if shown == "0,00" {
        ("", "±")
    } else if d > 0.0 {
        ("▲ ", "+")
    } else {
        ("▼ ", "−")
    };
    let text = format!("{arrow}{sign}{shown} điểm");
    match c.significant {
        Some(true) => format!(
            "<span class=\"chg {}\">{text}</span>",
            if d > 0.0 { "up" } else { "down" }
        ),
        Some(false) => format!("<span class=\"chg plain\">{text}*</span>"),
        None => format!("<span class=\"chg plain\">{text}†</span>"),
    }
}

/// The note under a table with changes.
fn change_note(h: &mut String, inputs: &Inputs) {
    if inputs.comparison.is_some() {
        let _ = writeln!(
            h,
            "<p class=\"note\">So với năm trước: mức thay đổi của chỉ số hài lòng chung, tính bằng \
             điểm phần trăm. In đậm có màu (▲ tăng, ▼ giảm): thay đổi rõ rệt, vì khoảng tin cậy {} \
             của mức thay đổi không chứa 0. *: thay đổi nằm trong sai số chọn mẫu, chưa đủ căn cứ để \
             nói là có thay đổi thực sự. †: không ước lượng được sai số của mức thay đổi. \
             “mới”: đơn vị chưa có trong kết quả năm trước.</p>",
            vi_level(inputs.indices.level)
        );
    }
}

fn headline(h: &mut String, inputs: &Inputs, level: &str) {
    let ix = &inputs.indices;
    h.push_str("<section class=\"headline\" id=\"tong-hop\">\n");
    match inputs.overall() {
        Some(o) if o.estimate.is_some() => {
            let change = match inputs.change("ALL") {
                Some(_) => format!("<br>So với năm trước: {}", change_html(inputs.change("ALL"))),
                None => String::new(),
            };
            let _ = writeln!(
                h,
                "<div class=\"card\"><div class=\"label\">Chỉ số hài lòng chung toàn tỉnh</div>\
                 <div class=\"big\">{}</div><div class=\"label\">Khoảng tin cậy {level}: {}<br>\
                 {} phiếu có trả lời{change}</div></div>",
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
    if let Some(all) = inputs
        .response_rates
        .as_ref()
        .and_then(|r| r.iter().find(|r| r.stratum == "ALL"))
    {
        let _ = writeln!(
            h,
            "<div class=\"card\"><div class=\"label\">Tỷ lệ trả lời khảo sát</div>\
             <div class=\"big\">{}</div><div class=\"label\">{} phiếu hoàn thành, {} trả lời một phần</div></div>",
            vi_share(all.rr2),
            vi_count(all.complete),
            vi_count(all.partial)
        );
    }
    h.push_str("</section>\n");
}

/// One bar of a chart.
struct Bar {
    /// The label, as HTML.
    label: String,
    /// The label as text (for the tooltip).
    text: String,
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

/// A horizontal bar chart in HTML and CSS (its text is the page's text, so it stays
/// readable on a phone), sorted as given, with interval whiskers and an optional reference
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
    // At most six labels, so that they fit a phone's width.
    let step = if span <= 10.0 {
        2.0
    } else if span <= 25.0 {
        5.0
    } else if span <= 50.0 {
        10.0
    } else {
        20.0
    };
    let x = |v: f64| 100.0 * ((v.clamp(axis_min, axis_max) - axis_min) / span);
    let _ = writeln!(
        h,
        "<figure class=\"chart\"><figcaption>{}</figcaption><ul class=\"bars\">",
        escape(caption)
    );
    for b in bars {
        let interval = match (b.lower, b.upper) {
            (Some(l), Some(u)) => {
                format!(" (khoảng tin cậy {} – {})", vi_percent(l), vi_percent(u))
            }
            _ => String::new(),
        };
        let _ = write!(
            h,
            "<li class=\"bar\" title=\"{}: {}{}\"><span class=\"bl\">{}</span><span class=\"bt\">\
             <span class=\"bf\" style=\"width:{:.2}%;background:{}\"></span>",
            escape(&b.text),
            vi_percent(b.value),
            escape(&interval),
            b.label,
            x(b.value),
            b.colour
        );
        if let (Some(l), Some(u)) = (b.lower, b.upper) {
            let _ = write!(
                h,
                "<span class=\"bw\" style=\"left:{:.2}%;width:{:.2}%\"></span>",
                x(l),
                (x(u) - x(l)).max(0.0)
            );
        }
        if let Some((v, _)) = reference {
            let _ = write!(
                h,
                "<span class=\"bref\" style=\"left:{:.2}%\"></span>",
                x(v)
            );
        }
        let _ = writeln!(
            h,
            "</span><span class=\"bv\">{}</span><span class=\"bn\">{}</span></li>",
            vi_percent(b.value),
            escape(b.note)
        );
    }
    h.push_str(
        "<li class=\"bar axis\" aria-hidden=\"true\"><span class=\"bl\"></span><span class=\"bt\">",
    );
    let mut t = axis_min;
    while t <= axis_max + 1e-9 {
        let class = if t == axis_min {
            "tick first"
        } else if t + step > axis_max + 1e-9 {
            "tick last"
        } else {
            "tick"
        };
        let _ = write!(
            h,
            "<span class=\"{class}\" style=\"left:{:.2}%\">{}%</span>",
            x(t),
            vi_number(t, 0)
        );
        t += step;
    }
    h.push_str("</span><span class=\"bv\"></span><span class=\"bn\"></span></li>\n</ul>\n");
    let mut notes = Vec::new();
    if let Some((v, label)) = reference {
        notes.push(format!(
            "Vạch đứt nét: {} ({}).",
            escape(label),
            vi_percent(v)
        ));
    }
    if axis_min > 0.0 {
        notes.push(format!(
            "Trục ngang bắt đầu từ {}% để thấy rõ chênh lệch giữa các đơn vị.",
            vi_number(axis_min, 0)
        ));
    }
    if !notes.is_empty() {
        let _ = writeln!(h, "<p class=\"note\">{}</p>", notes.join(" "));
    }
    h.push_str("</figure>\n");
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

/// The units of the indices by group, in order of first appearance.
fn unit_groups(inputs: &Inputs) -> Vec<(Option<&str>, Vec<&str>)> {
    let mut groups: Vec<(Option<&str>, Vec<&str>)> = Vec::new();
    for code in inputs.indices.units() {
        let g = inputs.group_of(code);
        match groups.iter_mut().find(|(k, _)| *k == g) {
            Some((_, v)) => v.push(code),
            None => groups.push((g, vec![code])),
        }
    }
    groups
}

fn units_section(h: &mut String, inputs: &Inputs, level: &str) {
    let ix = &inputs.indices;
    let province = inputs.overall().and_then(|o| o.estimate);
    h.push_str("<section id=\"don-vi\">\n<h2>Kết quả theo đơn vị</h2>\n");
    let _ = writeln!(
        h,
        "<p class=\"note\">Thanh: chỉ số hài lòng chung của đơn vị; đoạn đen: khoảng tin cậy {level}; \
         vạch đứt nét: kết quả toàn tỉnh. Đơn vị xếp từ cao xuống thấp. Bấm vào tên đơn vị để xem thẻ \
         kết quả của đơn vị.</p>\
         <p class=\"legend\"><span style=\"background:{BLUE}\"></span>bình thường\
         <span style=\"background:{RED_BAR}\"></span>vượt ngưỡng không hài lòng (cả khoảng tin cậy)\
         <span style=\"background:{AMBER_BAR}\"></span>vượt ngưỡng (ước lượng)\
         <span style=\"background:{PALE}\"></span>chưa đủ chính xác để xếp hạng</p>"
    );
    let ranks = inputs.headline_ranks();
    let with_change = inputs.comparison.is_some();
    for (group, codes) in &unit_groups(inputs) {
        let _ = writeln!(h, "<h3>{}</h3>", escape(&group_label(*group)));
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
                    label: unit_html(inputs, code),
                    text: unit_text(inputs, code),
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
        open_table(
            h,
            &format!(
                "{}<th>Đơn vị</th><th class=\"num\">Chỉ số hài lòng</th>\
                 <th class=\"num\">Khoảng tin cậy {level}</th>{}<th class=\"num\">Không hài lòng</th>\
                 <th class=\"num\">Điểm trung bình</th><th class=\"num\">Số phiếu</th><th>Ghi chú</th>",
                if have_ranks {
                    "<th class=\"num\">Hạng</th><th class=\"num\">Khoảng hạng</th>"
                } else {
                    "<th class=\"num\">Thứ tự</th>"
                },
                if with_change {
                    "<th class=\"num\">So với năm trước</th>"
                } else {
                    ""
                }
            ),
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
            let suppressed = sat.is_some_and(|s| s.estimate.is_none() && inputs.suppressed(s));
            if sat.and_then(|s| s.estimate).is_none() && !suppressed {
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
            let change = if with_change {
                format!(
                    "<td class=\"num\">{}</td>",
                    change_html(inputs.change(code))
                )
            } else {
                String::new()
            };
            let _ = writeln!(
                h,
                "<tr{class}>{rank_cells}<td class=\"name\">{}</td><td class=\"num\"><b>{}</b></td>\
                 <td class=\"num\">{}</td>{change}<td class=\"num\">{}</td><td class=\"num\">{}</td>\
                 <td class=\"num\">{}</td><td>{}</td></tr>",
                unit_html(inputs, code),
                est_pct(inputs, sat),
                if suppressed {
                    SUPPRESSED.into()
                } else {
                    sat.map_or("—".into(), |s| vi_interval(s.ci_lower, s.ci_upper, true))
                },
                est_pct(inputs, dis),
                match score {
                    Some(s) if s.estimate.is_none() && inputs.suppressed(s) => SUPPRESSED.into(),
                    s => s
                        .and_then(|s| s.estimate)
                        .map_or("—".into(), |v| vi_number(v, 2)),
                },
                vi_count(sat.map_or(0, |s| s.answers())),
                notes.join(" ")
            );
        }
        close_table(h);
        if !have_ranks {
            h.push_str(
                "<p class=\"note\">Chưa có tệp xếp hạng (ranks.csv): đơn vị được sắp theo ước lượng, \
                 chưa kèm khoảng hạng.</p>\n",
            );
        }
    }
    change_note(h, inputs);
    suppressed_note(h, inputs);
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
    h.push_str("<h3>Nội dung tiêu chí</h3>\n");
    open_table(
        h,
        "<th>Mã</th><th>Tiêu chí</th><th class=\"num\">Tỷ lệ hài lòng toàn tỉnh</th>",
    );
    for (code, text) in ix.item_texts() {
        let e = ix.get("ALL", &format!("item:{code}"), "satisfied_pct");
        let _ = writeln!(
            h,
            "<tr><td><code>{}</code></td><td>{}</td><td class=\"num\">{}</td></tr>",
            escape(code),
            escape(text),
            est_pct(inputs, e)
        );
    }
    close_table(h);
}

/// Units × elements: each element's share satisfied, the elements named.
fn elements_table(h: &mut String, inputs: &Inputs) {
    let ix = &inputs.indices;
    let elements = ix.elements();
    if elements.is_empty() {
        return;
    }
    h.push_str(
        "<h3>Chỉ số hài lòng theo yếu tố</h3>\n<p class=\"note\">Tỷ lệ hài lòng với từng yếu tố; \
         ô tô đỏ: đơn vị vượt ngưỡng không hài lòng ở yếu tố đó.</p>\n",
    );
    let mut head = String::from("<th>Đơn vị</th>");
    for e in &elements {
        let _ = write!(
            head,
            "<th class=\"num\">{}</th>",
            indicator_html(inputs, &format!("element:{e}"))
        );
    }
    open_table(h, &head);
    let mut domains = vec!["ALL"];
    domains.extend(ix.units());
    for d in domains {
        let unit = if d == "ALL" {
            "<b>Toàn tỉnh</b>".to_string()
        } else {
            unit_html(inputs, d)
        };
        let _ = write!(h, "<tr><td class=\"name\">{unit}</td>");
        for e in &elements {
            let ind = format!("element:{e}");
            let class = if inputs.unit_flag(d, &ind).is_some() {
                " style=\"background:#fde4e1\""
            } else {
                ""
            };
            let _ = write!(
                h,
                "<td class=\"num\"{class}>{}</td>",
                est_pct(inputs, ix.get(d, &ind, "satisfied_pct"))
            );
        }
        h.push_str("</tr>\n");
    }
    close_table(h);
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
            "<p class=\"note\">Ngưỡng: tỷ lệ không hài lòng trên {}. “Chắc chắn” nghĩa là cả khoảng tin cậy \
             nằm trên ngưỡng.{}</p>",
            vi_percent(t),
            if inputs.public {
                ""
            } else {
                " Cán bộ chỉ được nêu bằng mã."
            }
        );
    }
    let levels: &[(&str, &str)] = if inputs.public {
        &[("unit", "Đơn vị")]
    } else {
        &[("unit", "Đơn vị"), ("officer", "Cán bộ")]
    };
    for &(level, title) in levels {
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
        open_table(
            h,
            &format!(
                "<th>Đơn vị</th>{}<th>Chỉ tiêu</th><th class=\"num\">Tỷ lệ không hài lòng</th>\
                 <th class=\"num\">Khoảng tin cậy</th><th class=\"num\">Số phiếu</th><th>Chắc chắn vượt</th>\
                 <th>Chưa đủ chính xác</th>",
                if level == "officer" {
                    "<th>Mã cán bộ</th>"
                } else {
                    ""
                }
            ),
        );
        for f in rows {
            let officer = if level == "officer" {
                format!(
                    "<td><code>{}</code></td>",
                    escape(f.officer_id.as_deref().unwrap_or(""))
                )
            } else {
                String::new()
            };
            let _ = writeln!(
                h,
                "<tr class=\"{}\"><td class=\"name\">{}</td>{officer}<td>{}</td><td class=\"num\"><b>{}</b></td>\
                 <td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
                if f.certain == Some(true) {
                    "flag"
                } else {
                    "warn"
                },
                unit_html(inputs, &f.domain),
                indicator_html(inputs, &f.indicator),
                vi_opt_pct(f.dissatisfied_pct),
                vi_interval(f.ci_lower, f.ci_upper, true),
                vi_count(f.n),
                yes_no(f.certain),
                yes_no(f.imprecise)
            );
        }
        close_table(h);
    }
    if inputs.public {
        h.push_str("<p class=\"note\">Bản công khai không nêu cán bộ.</p>\n");
    }
    h.push_str("</section>\n");
}

/// The bands of the units' response rates (lower end, inclusive; on 0–1).
const RATE_BANDS: [(f64, &str); 5] = [
    (0.9, "từ 90%"),
    (0.8, "80% đến dưới 90%"),
    (0.7, "70% đến dưới 80%"),
    (0.5, "50% đến dưới 70%"),
    (0.0, "dưới 50%"),
];

/// How many of the units with the lowest response rates are named.
const LOWEST_RATES: usize = 10;

fn response_section(h: &mut String, inputs: &Inputs, rates: &[super::inputs::ResponseRate]) {
    h.push_str("<section id=\"tra-loi\">\n<h2>Tỷ lệ trả lời khảo sát</h2>\n");
    if let Some(all) = rates.iter().find(|r| r.stratum == "ALL") {
        let _ = writeln!(
            h,
            "<p>Toàn tỉnh: <b>{}</b> người được chọn đã trả lời (hoàn thành hoặc một phần); tính riêng \
             phiếu hoàn thành: {}. Trong số người được chọn: {} hoàn thành, {} trả lời một phần, {} từ chối, \
             {} không liên lạc được, {} không thuộc đối tượng khảo sát (không tính vào mẫu số), {} chưa rõ.</p>",
            vi_share(all.rr2),
            vi_share(all.rr1),
            vi_count(all.complete),
            vi_count(all.partial),
            vi_count(all.refusal),
            vi_count(all.non_contact),
            vi_count(all.ineligible),
            vi_count(all.unknown)
        );
    }
    h.push_str(
        "<p class=\"note\">Tỷ lệ trả lời = (hoàn thành + một phần) / (hoàn thành + một phần + từ chối + \
         không liên lạc được + chưa rõ), theo chuẩn của Hiệp hội nghiên cứu dư luận Hoa Kỳ (AAPOR). \
         Tỷ lệ thấp làm tăng nguy cơ kết quả lệch so với toàn bộ người dân của đơn vị.</p>\n",
    );
    let mut strata: Vec<&super::inputs::ResponseRate> =
        rates.iter().filter(|r| r.stratum != "ALL").collect();
    if strata.is_empty() {
        h.push_str("</section>\n");
        return;
    }
    let _ = writeln!(
        h,
        "<h3>Theo đơn vị: {} đơn vị (tầng mẫu)</h3>",
        vi_count(strata.len() as u64)
    );
    h.push_str("<ul class=\"dist\">");
    for (i, (low, label)) in RATE_BANDS.iter().enumerate() {
        let high = if i == 0 {
            f64::INFINITY
        } else {
            RATE_BANDS[i - 1].0
        };
        let k = strata
            .iter()
            .filter(|r| r.rr2.is_some_and(|x| x >= *low && x < high))
            .count();
        let _ = write!(h, "<li>{label}: <b>{}</b> đơn vị</li>", vi_count(k as u64));
    }
    let none = strata.iter().filter(|r| r.rr2.is_none()).count();
    if none > 0 {
        let _ = write!(
            h,
            "<li>chưa có người được chọn: <b>{}</b></li>",
            vi_count(none as u64)
        );
    }
    h.push_str("</ul>\n");
    strata.retain(|r| r.rr2.is_some());
    strata.sort_by(|a, b| {
        a.rr2
            .partial_cmp(&b.rr2)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a.stratum.cmp(&b.stratum))
    });
    let shown = strata.len().min(LOWEST_RATES);
    let _ = writeln!(
        h,
        "<p>{} đơn vị có tỷ lệ trả lời thấp nhất:</p>",
        vi_count(shown as u64)
    );
    open_table(
        h,
        "<th>Đơn vị</th><th class=\"num\">Tỷ lệ trả lời</th><th class=\"num\">Hoàn thành</th>\
         <th class=\"num\">Một phần</th><th class=\"num\">Từ chối</th><th class=\"num\">Không liên lạc được</th>\
         <th class=\"num\">Chưa rõ</th>",
    );
    for r in &strata[..shown] {
        let _ = writeln!(
            h,
            "<tr><td class=\"name\">{}</td><td class=\"num\"><b>{}</b></td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            unit_html(inputs, &r.stratum),
            vi_share(r.rr2),
            vi_count(r.complete),
            vi_count(r.partial),
            vi_count(r.refusal),
            vi_count(r.non_contact),
            vi_count(r.unknown)
        );
    }
    close_table(h);
    h.push_str(
        "<p class=\"note\">Tỷ lệ trả lời của từng đơn vị có trong thẻ kết quả của đơn vị.</p>\n</section>\n",
    );
}

/// A unit's late rate with its mark, as the page shows it everywhere.
fn late_html(t: &Timeliness) -> String {
    let rate = vi_pct_against(t.late_pct, t.late_ceiling_pct, t.above_ceiling);
    match t.above_ceiling {
        Some(true) => format!("{rate} <span class=\"badge red\">vượt trần</span>"),
        Some(false) => format!("{rate} (trong trần)"),
        None => format!("{rate} (chưa có hồ sơ được phân loại)"),
    }
}

fn timeliness_section(h: &mut String, inputs: &Inputs, rows: &[Timeliness]) {
    h.push_str(
        "<section id=\"tien-do\">\n<h2>Tiến độ giải quyết hồ sơ</h2>\n\
         <p class=\"note\">Tính từ toàn bộ hồ sơ đã trả kết quả (không phải mẫu), nên không có sai số chọn mẫu.</p>\n",
    );
    let ceiling = rows.iter().find_map(|t| t.late_ceiling_pct);
    if let Some(c) = ceiling {
        let c = vi_pct_short(c);
        let _ = writeln!(
            h,
            "<p><b>Quy định:</b> tỷ lệ hồ sơ trễ hạn không quá {c}. Một đơn vị vượt trần khi tỷ lệ trễ hạn \
             lớn hơn {c}; đúng bằng {c} là không vượt. Tỷ lệ được so với trần ở độ chính xác đầy đủ, \
             và được ghi với đủ chữ số thập phân để con số không mâu thuẫn với kết luận.</p>"
        );
    }
    if let Some(all) = rows
        .iter()
        .find(|t| t.domain == "ALL" && t.level != "officer")
    {
        let _ = writeln!(
            h,
            "<p>Toàn tỉnh: {} hồ sơ, {} trước hạn, {} đúng hạn, {} trễ hạn: tỷ lệ trễ hạn {}.</p>",
            vi_count(all.records),
            vi_count(all.early),
            vi_count(all.on_time),
            vi_count(all.late),
            late_html(all)
        );
    }
    // Units only: the province's own row (`ALL`) is not one of them.
    let units: Vec<&Timeliness> = rows
        .iter()
        .filter(|t| t.level == "unit" && t.domain != "ALL")
        .collect();
    let mut above: Vec<&&Timeliness> = units
        .iter()
        .filter(|t| t.above_ceiling == Some(true))
        .collect();
    above.sort_by(|a, b| {
        b.late_pct
            .partial_cmp(&a.late_pct)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a.domain.cmp(&b.domain))
    });
    let _ = writeln!(
        h,
        "<h3 id=\"vuot-tran\"><b>{} đơn vị có tỷ lệ trễ hạn vượt trần</b> trong {} đơn vị</h3>",
        vi_count(above.len() as u64),
        vi_count(units.len() as u64)
    );
    if !above.is_empty() {
        h.push_str("<p class=\"note\">Cao nhất trước.</p>\n");
        open_table(
            h,
            "<th>Đơn vị</th><th class=\"num\">Số hồ sơ</th><th class=\"num\">Trễ hạn</th>\
             <th class=\"num\">Tỷ lệ trễ hạn</th>",
        );
        for t in &above {
            let _ = writeln!(
                h,
                "<tr class=\"flag\"><td class=\"name\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                 <td class=\"num\"><b>{}</b></td></tr>",
                unit_html(inputs, &t.domain),
                vi_count(t.records),
                vi_count(t.late),
                vi_pct_against(t.late_pct, t.late_ceiling_pct, t.above_ceiling)
            );
        }
        close_table(h);
    }
    let within: Vec<&&Timeliness> = units
        .iter()
        .filter(|t| t.above_ceiling == Some(false))
        .collect();
    let _ = writeln!(
        h,
        "<h3>{} đơn vị trong trần</h3>",
        vi_count(within.len() as u64)
    );
    if let Some(c) = ceiling
        && !within.is_empty()
    {
        let half = c / 2.0;
        let count = |f: &dyn Fn(f64) -> bool| {
            within.iter().filter(|t| t.late_pct.is_some_and(f)).count() as u64
        };
        let _ = writeln!(
            h,
            "<ul class=\"dist\"><li>không có hồ sơ trễ hạn: <b>{}</b></li>\
             <li>trên 0% đến {}: <b>{}</b></li><li>trên {} đến {}: <b>{}</b></li></ul>",
            vi_count(count(&|x| x == 0.0)),
            vi_pct_short(half),
            vi_count(count(&|x| x > 0.0 && x <= half)),
            vi_pct_short(half),
            vi_pct_short(c),
            vi_count(count(&|x| x > half))
        );
    }
    let unclassified = units.iter().filter(|t| t.above_ceiling.is_none()).count();
    if unclassified > 0 {
        let _ = writeln!(
            h,
            "<p class=\"note\">{} đơn vị chưa có hồ sơ được phân loại (không có hạn trả kết quả).</p>",
            vi_count(unclassified as u64)
        );
    }
    h.push_str(
        "<p class=\"note\">Tỷ lệ trễ hạn của từng đơn vị có trong thẻ kết quả của đơn vị.</p>\n",
    );
    let officers: Vec<&Timeliness> = rows.iter().filter(|t| t.level == "officer").collect();
    if !officers.is_empty() {
        let judged: Vec<&&Timeliness> = officers
            .iter()
            .filter(|t| t.records >= OFFICER_MIN_RECORDS)
            .collect();
        let over = judged
            .iter()
            .filter(|t| t.above_ceiling == Some(true))
            .count();
        let _ = writeln!(
            h,
            "<h3>Cán bộ</h3>\n<p>Trong {} cán bộ có từ {} hồ sơ trở lên, <b>{} cán bộ</b> có tỷ lệ trễ hạn \
             vượt trần. {} cán bộ có dưới {} hồ sơ không được đánh giá: quá ít hồ sơ để tỷ lệ có ý nghĩa. \
             Danh sách từng cán bộ có trong bảng tính (report.xlsx, trang “Tiến độ hồ sơ”).</p>",
            vi_count(judged.len() as u64),
            OFFICER_MIN_RECORDS,
            vi_count(over as u64),
            vi_count((officers.len() - judged.len()) as u64),
            OFFICER_MIN_RECORDS
        );
    } else if inputs.public {
        h.push_str("<p class=\"note\">Bản công khai không nêu cán bộ.</p>\n");
    }
    h.push_str("</section>\n");
}

fn par_section(h: &mut String, inputs: &Inputs, par: &Par, level: &str) {
    h.push_str("<section id=\"cchc\">\n<h2>Chỉ số cải cách hành chính (Chỉ số CCHC)</h2>\n");
    let _ = writeln!(
        h,
        "<p class=\"note\">Chỉ số = 100 × điểm đạt / điểm tối đa của các tiêu chí áp dụng cho đơn vị. \
         Phần điểm từ điều tra xã hội học có sai số chọn mẫu, nên chỉ số và hạng có khoảng tin cậy {level}. \
         Mỗi nhóm xếp hạng riêng; vạch đứt nét: trung bình chỉ số của nhóm.</p>\
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
        let mean = par_mean(par, g);
        let bars: Vec<Bar> = by_value
            .iter()
            .map(|u| {
                let (colour, note) = par_standing(mean, u);
                Bar {
                    label: unit_html(inputs, &u.unit_code),
                    text: unit_text(inputs, &u.unit_code),
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
                .filter(|u| par_standing(mean, u).0 == GREEN_BAR)
                .count();
            let below = by_value
                .iter()
                .filter(|u| par_standing(mean, u).0 == RED_BAR)
                .count();
            let _ = writeln!(
                h,
                "<p>Trung bình nhóm {}. Cao nhất: <b>{}</b> ({}); thấp nhất: <b>{}</b> ({}). \
                 {} đơn vị cao hơn và {} đơn vị thấp hơn trung bình nhóm một cách rõ rệt \
                 (cả khoảng tin cậy).</p>",
                vi_percent(m),
                escape(&unit_text(inputs, &first.unit_code)),
                vi_opt_pct(first.index),
                escape(&unit_text(inputs, &last.unit_code)),
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
        open_table(
            h,
            "<th class=\"num\">Hạng</th><th class=\"num\">Khoảng hạng</th><th>Đơn vị</th>\
             <th class=\"num\">Điểm đạt</th><th class=\"num\">Điểm tối đa</th>\
             <th class=\"num\">Chỉ số</th><th class=\"num\">Khoảng tin cậy</th>",
        );
        for u in units {
            let _ = writeln!(
                h,
                "<tr><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"name\">{}</td>\
                 <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\"><b>{}</b></td>\
                 <td class=\"num\">{}</td></tr>",
                rank_text(u.rank, u.group_size),
                rank_range(u.rank_lower, u.rank_upper),
                unit_html(inputs, &u.unit_code),
                u.points.map_or("—".into(), |v| vi_number(v, 2)),
                u.max_points.map_or("—".into(), |v| vi_number(v, 2)),
                vi_opt_pct(u.index),
                vi_interval(u.ci_lower, u.ci_upper, true)
            );
        }
        close_table(h);
    }
    h.push_str("</section>\n");
}

/// The mean PAR index of a group's units that have one.
fn par_mean(par: &Par, group: &str) -> Option<f64> {
    let values: Vec<f64> = par
        .units
        .iter()
        .filter(|u| u.unit_group == group)
        .filter_map(|u| u.index)
        .collect();
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// Leaders and laggards: the units whose whole interval lies above (below) the mean index of
/// their group.
fn par_standing(mean: Option<f64>, u: &ParUnit) -> (&'static str, &'static str) {
    match (mean, u.ci_lower, u.ci_upper) {
        (Some(m), Some(l), _) if l > m => (GREEN_BAR, "cao hơn trung bình"),
        (Some(m), _, Some(h)) if h < m => (RED_BAR, "thấp hơn trung bình"),
        _ => (BLUE, ""),
    }
}

/// One card per unit, each printed on a page of its own: the overall index and each element
/// against the province's, the rank with its interval, the change since the previous run,
/// the late rate against the ceiling, the response rate and the PAR INDEX, where given.
fn scorecards_section(h: &mut String, inputs: &Inputs, level: &str) {
    let ix = &inputs.indices;
    h.push_str(
        "<section id=\"the-don-vi\">\n<h2>Thẻ kết quả từng đơn vị</h2>\n\
         <p class=\"note\">Mỗi đơn vị một thẻ; khi in, mỗi thẻ nằm trên một trang riêng.</p>\n",
    );
    let ranks = inputs.headline_ranks();
    let all_late = inputs
        .timeliness
        .as_ref()
        .and_then(|t| t.iter().find(|t| t.domain == "ALL" && t.level != "officer"));
    let rate_of = |code: &str| {
        inputs
            .response_rates
            .as_ref()
            .and_then(|r| r.iter().find(|r| r.stratum == code))
    };
    let elements = ix.elements();
    for (group, codes) in &unit_groups(inputs) {
        for code in codes {
            let _ = writeln!(
                h,
                "<article class=\"scorecard\" id=\"{}\">\n<h3>{}</h3>\n<p class=\"note\">{} · {} · {}</p>",
                card_id(code),
                match inputs.name_of(code) {
                    "" => format!("<code>{}</code>", escape(code)),
                    name => format!("{} <code>{}</code>", escape(name), escape(code)),
                },
                escape(&group_label(*group)),
                escape(&inputs.title),
                escape(&ix.questionnaire)
            );
            open_table_of(
                h,
                "sc",
                "<th>Chỉ tiêu</th><th class=\"num\">Đơn vị</th><th class=\"num\">Toàn tỉnh</th>",
            );
            let sat = ix.get(code, "overall", "satisfied_pct");
            let all = inputs.overall();
            let suppressed = sat.is_some_and(|s| s.estimate.is_none() && inputs.suppressed(s));
            let _ = writeln!(
                h,
                "<tr><td>Chỉ số hài lòng chung<br><span class=\"note\">khoảng tin cậy {level}</span></td>\
                 <td class=\"num\"><b>{}</b><br>{}</td><td class=\"num\">{}<br>{}</td></tr>",
                est_pct(inputs, sat),
                if suppressed {
                    SUPPRESSED.into()
                } else {
                    sat.map_or("—".into(), |s| vi_interval(s.ci_lower, s.ci_upper, true))
                },
                est_pct(inputs, all),
                all.map_or("—".into(), |s| vi_interval(s.ci_lower, s.ci_upper, true))
            );
            if inputs.comparison.is_some() {
                let _ = writeln!(
                    h,
                    "<tr><td>So với năm trước</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                    change_html(inputs.change(code)),
                    change_html(inputs.change("ALL"))
                );
            }
            if let Some(r) = ranks.iter().find(|r| r.domain == *code) {
                let note = if r.imprecise == Some(true) {
                    "<br><span class=\"badge grey\">chưa đủ chính xác để xếp hạng</span>"
                } else {
                    ""
                };
                let _ = writeln!(
                    h,
                    "<tr><td>Xếp hạng trong nhóm</td><td class=\"num\">{}<br>khoảng hạng {}{note}</td>\
                     <td class=\"num\">—</td></tr>",
                    rank_text(r.rank, r.group_size),
                    rank_range(r.rank_lower, r.rank_upper)
                );
            }
            if let Some(f) = inputs.unit_flagged(code) {
                let _ = writeln!(
                    h,
                    "<tr class=\"{}\"><td>Cảnh báo</td><td colspan=\"2\">vượt ngưỡng không hài lòng{}: {}</td></tr>",
                    if f.certain == Some(true) {
                        "flag"
                    } else {
                        "warn"
                    },
                    f.threshold_pct
                        .map(|t| format!(" {}", vi_percent(t)))
                        .unwrap_or_default(),
                    indicator_html(inputs, &f.indicator)
                );
            }
            for e in &elements {
                let ind = format!("element:{e}");
                let _ = writeln!(
                    h,
                    "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                    indicator_html(inputs, &ind),
                    est_pct(inputs, ix.get(code, &ind, "satisfied_pct")),
                    est_pct(inputs, ix.get("ALL", &ind, "satisfied_pct"))
                );
            }
            if let Some(rows) = &inputs.timeliness {
                let t = rows.iter().find(|t| t.domain == *code && t.level == "unit");
                let _ = writeln!(
                    h,
                    "<tr><td>Hồ sơ trễ hạn{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                    t.and_then(|t| t.late_ceiling_pct)
                        .map(|c| format!(" (trần: không quá {})", vi_pct_short(c)))
                        .unwrap_or_default(),
                    t.map_or("—".into(), |t| format!(
                        "{}<br>{} / {} hồ sơ",
                        late_html(t),
                        vi_count(t.late),
                        vi_count(t.records)
                    )),
                    all_late.map_or("—".into(), |t| vi_pct_against(
                        t.late_pct,
                        t.late_ceiling_pct,
                        t.above_ceiling
                    ))
                );
            }
            if inputs.response_rates.is_some() {
                let _ = writeln!(
                    h,
                    "<tr><td>Tỷ lệ trả lời khảo sát</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                    vi_share(rate_of(code).and_then(|r| r.rr2)),
                    vi_share(rate_of("ALL").and_then(|r| r.rr2))
                );
            }
            if let Some(par) = &inputs.par
                && let Some(u) = par.units.iter().find(|u| u.unit_code == *code)
            {
                let _ = writeln!(
                    h,
                    "<tr><td>Chỉ số CCHC<br><span class=\"note\">cột phải: trung bình nhóm</span></td>\
                     <td class=\"num\"><b>{}</b><br>hạng {}, khoảng hạng {}</td><td class=\"num\">{}</td></tr>",
                    vi_opt_pct(u.index),
                    rank_text(u.rank, u.group_size),
                    rank_range(u.rank_lower, u.rank_upper),
                    par_mean(par, &u.unit_group).map_or("—".into(), vi_percent)
                );
            }
            let _ = writeln!(
                h,
                "<tr><td>Số phiếu có trả lời</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                vi_count(sat.map_or(0, |s| s.answers())),
                vi_count(all.map_or(0, |s| s.answers()))
            );
            close_table(h);
            h.push_str("</article>\n");
        }
    }
    change_note(h, inputs);
    suppressed_note(h, inputs);
    h.push_str("</section>\n");
}

/// The id of the page's machine-readable provenance: a hidden element holding, as escaped
/// text, a JSON object with the title, whether the page is the public version, and every
/// input file's SHA-256, for `chiso verify --report` (the page holds no script).
pub const PROVENANCE_ID: &str = "chiso-provenance";

/// The page's provenance as a hidden element.
fn provenance_block(inputs: &Inputs) -> String {
    let json = serde_json::json!({
        "title": inputs.title,
        "public": inputs.public,
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

/// What a page records of how it was made (its `chiso-provenance` element).
#[derive(Clone, Debug, PartialEq)]
pub struct Recorded {
    /// The page's title.
    pub title: String,
    /// Whether it is the public version (`false` in pages that do not say).
    pub public: bool,
    /// Every input file with its SHA-256, and the sample.
    pub provenance: crate::provenance::Provenance,
}

/// The title, version and provenance a page records, if it has them.
pub fn read_provenance(html: &str) -> Option<Recorded> {
    let open = format!("<template id=\"{PROVENANCE_ID}\">");
    let start = html.find(&open)? + open.len();
    let end = start + html[start..].find("</template>")?;
    let json: serde_json::Value = serde_json::from_str(&unescape(&html[start..end])).ok()?;
    let title = json.get("title")?.as_str()?.to_string();
    let public = json
        .get("public")
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false);
    Some(Recorded {
        title,
        public,
        provenance: crate::provenance::Provenance::from_json(&json)?,
    })
}

fn method_section(h: &mut String, inputs: &Inputs, level: &str) {
    let ix = &inputs.indices;
    h.push_str("<section id=\"phuong-phap\">\n<h2>Phương pháp và khả năng kiểm tra lại</h2>\n<dl class=\"method\">\n");
    let mut item = |k: &str, v: String| {
        let _ = writeln!(h, "<dt>{}</dt><dd>{v}</dd>", escape(k));
    };
    item(
        "Phiên bản báo cáo",
        if inputs.public {
            format!(
                "công khai: không nêu cán bộ; không công bố ước lượng dựa trên dưới {PUBLIC_MIN_ANSWERS} câu trả lời"
            )
        } else {
            "nội bộ: đầy đủ, có số liệu từng cán bộ".into()
        },
    );
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
    if inputs.comparison.is_some() {
        item(
            "So với năm trước",
            format!(
                "mức thay đổi = kết quả năm nay − kết quả năm trước; sai số của nó tính từ sai số của hai năm \
                 (hai mẫu độc lập); thay đổi rõ rệt khi khoảng tin cậy {level} của mức thay đổi không chứa 0"
            ),
        );
    }
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
    let report_files: String = inputs
        .provenance
        .inputs
        .iter()
        .map(|i| {
            format!(
                "<li>{}: {} <code>{}</code></li>",
                escape(&input_label(&i.input)),
                escape(&i.digest.file),
                escape(&i.digest.sha256)
            )
        })
        .collect();
    item(
        "Tệp dùng để lập báo cáo và mã băm SHA-256",
        format!("<ul class=\"digests\">{report_files}</ul>"),
    );
    match &inputs.sample {
        Some(s) => {
            item(
                "Hạt giống ngẫu nhiên",
                format!("<code>{}</code>", escape(&s.seed)),
            );
            item(
                "Thuật toán chọn mẫu",
                format!("<code>{}</code>", escape(&s.algorithm)),
            );
            item(
                "Mã băm của danh sách mẫu",
                format!("<code>{}</code>", escape(&s.sample_digest)),
            );
            item(
                "Mã băm của khung mẫu",
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
            item("Thiết kế mẫu", escape(&design_words(&s.design)));
        }
        None => item(
            "Hạt giống ngẫu nhiên",
            "chưa ghi (báo cáo được lập không kèm manifest.json của mẫu)".into(),
        ),
    }
    h.push_str("</dl>\n");
    if inputs.sample.is_some() {
        h.push_str(
            "<p class=\"note\">Bất kỳ ai có dữ liệu hồ sơ đều có thể chọn lại đúng danh sách mẫu từ hạt giống \
             đã công bố và so mã băm mẫu với giá trị trên; thiết kế mẫu đầy đủ có trong biên bản chọn mẫu \
             (manifest.json).</p>\n",
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
                label: escape("X & <Y>"),
                text: "X & <Y>".into(),
                value: 95.0,
                lower: Some(93.0),
                upper: Some(97.0),
                colour: BLUE,
                note: "",
            }],
            Some((90.0, "toàn tỉnh")),
        );
        assert!(h.contains("<figcaption>a &lt;b&gt;</figcaption>"));
        assert!(h.contains(">X &amp; &lt;Y&gt;<"));
        assert!(h.contains("95,00% (khoảng tin cậy 93,00% – 97,00%)"));
        // The axis starts at 90%, below every value and the reference line.
        assert!(h.contains(">90%<") && !h.contains(">80%<"));
        assert!(h.contains("Trục ngang bắt đầu từ 90%"));
        // 95% is half-way along a 90–100% axis; the whisker spans 93–97%.
        assert!(h.contains("width:50.00%;background:#2563eb"), "{h}");
        assert!(h.contains("left:30.00%;width:40.00%"), "{h}");
        assert!(h.contains("class=\"bref\" style=\"left:0.00%\""), "{h}");
    }

    #[test]
    fn card_ids_differ_for_different_codes() {
        assert_eq!(card_id("XA01"), "the-XA01");
        assert_eq!(card_id("XÃ 1"), "the-X_c3__20_1");
        assert_ne!(card_id("A_"), card_id("A_5f_"));
        assert_ne!(card_id("a b"), card_id("a_20_b"));
    }

    #[test]
    fn changes_are_marked_only_when_significant() {
        let row = |d: f64, sig: Option<bool>| Change {
            domain: "XA01".into(),
            indicator: "overall".into(),
            measure: "satisfied_pct".into(),
            previous: Some(80.0),
            current: Some(80.0 + d),
            difference: Some(d),
            std_error: Some(1.0),
            ci_lower: Some(d - 2.0),
            ci_upper: Some(d + 2.0),
            significant: sig,
        };
        assert_eq!(change_html(None), "");
        assert_eq!(
            change_html(Some(None)),
            "<span class=\"chg new\">mới</span>"
        );
        let c = row(2.5, Some(true));
        assert_eq!(
            change_html(Some(Some(&c))),
            "<span class=\"chg up\">▲ +2,50 điểm</span>"
        );
        let c = row(-3.0, Some(true));
        assert_eq!(
            change_html(Some(Some(&c))),
            "<span class=\"chg down\">▼ −3,00 điểm</span>"
        );
        let c = row(1.0, Some(false));
        assert_eq!(
            change_html(Some(Some(&c))),
            "<span class=\"chg plain\">▲ +1,00 điểm*</span>"
        );
        let c = row(0.001, None);
        assert_eq!(
            change_html(Some(Some(&c))),
            "<span class=\"chg plain\">±0,00 điểm†</span>"
        );
    }
}
