//! The workbook (`report.xlsx`): numbers stored with full precision, rows highlighted by
//! flag, a summary sheet first. Every text is written as a string cell (`write_string`),
//! never as a formula: a unit named `=HYPERLINK(…)` is that text in its cell.

use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook, Worksheet};

use super::WORKBOOK_DATE;
use super::inputs::{IndexEntry, Inputs, is_share};
use super::vi::{input_digests, measure_label, vi_level, yes_no};

/// How a row of the workbook is highlighted.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mark {
    Plain,
    /// Above the threshold, with the whole interval above it.
    Certain,
    /// Above the threshold (the estimate).
    Above,
    /// Too imprecise to rank.
    Imprecise,
}

const RED: u32 = 0xF8CBAD;
const AMBER: u32 = 0xFFE699;
const GREY: u32 = 0xE7E6E6;
const HEADER: u32 = 0xDDEBF7;

/// Cell formats for one kind of row.
struct Formats {
    text: Format,
    pct: Format,
    num: Format,
    se: Format,
    int: Format,
    level: Format,
}

impl Formats {
    fn new(mark: Mark) -> Formats {
        let fill = match mark {
            Mark::Plain => None,
            Mark::Certain => Some(RED),
            Mark::Above => Some(AMBER),
            Mark::Imprecise => Some(GREY),
        };
        let base = |f: Format| match fill {
            Some(c) => f.set_background_color(Color::RGB(c)),
            None => f,
        };
        Formats {
            text: base(Format::new()),
            pct: base(Format::new().set_num_format("0.00\"%\"")),
            num: base(Format::new().set_num_format("0.00")),
            se: base(Format::new().set_num_format("0.000")),
            int: base(Format::new().set_num_format("#,##0")),
            level: base(Format::new().set_num_format("0.0#%")),
        }
    }
}

/// A cell of the workbook.
enum Cell<'a> {
    Text(&'a str),
    Pct(Option<f64>),
    Num(Option<f64>),
    Se(Option<f64>),
    Int(Option<u64>),
    /// A confidence level (0.95 shown as 95%).
    Level(f64),
}

struct Book {
    workbook: Workbook,
    formats: [Formats; 4],
    header: Format,
}

fn mark_index(m: Mark) -> usize {
    match m {
        Mark::Plain => 0,
        Mark::Certain => 1,
        Mark::Above => 2,
        Mark::Imprecise => 3,
    }
}

type XResult<T> = std::result::Result<T, rust_xlsxwriter::XlsxError>;

impl Book {
    fn new() -> Book {
        Book {
            workbook: Workbook::new(),
            formats: [
                Formats::new(Mark::Plain),
                Formats::new(Mark::Certain),
                Formats::new(Mark::Above),
                Formats::new(Mark::Imprecise),
            ],
            header: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter)
                .set_background_color(Color::RGB(HEADER))
                .set_border_bottom(FormatBorder::Thin),
        }
    }

    /// A sheet with a frozen, filtered header row and the given column widths.
    fn table<'a>(
        &mut self,
        name: &str,
        columns: &[(&str, f64)],
        rows: impl IntoIterator<Item = (Vec<Cell<'a>>, Mark)>,
    ) -> XResult<()> {
        let header = self.header.clone();
        let ws = self.workbook.add_worksheet();
        ws.set_name(name)?;
        for (c, (title, width)) in columns.iter().enumerate() {
            let c = c as u16;
            ws.write_string_with_format(0, c, *title, &header)?;
            ws.set_column_width(c, *width)?;
        }
        ws.set_row_height(0, 32)?;
        let mut r = 0u32;
        for (cells, mark) in rows {
            r += 1;
            write_cells(ws, r, &cells, &self.formats[mark_index(mark)])?;
        }
        ws.set_freeze_panes(1, 0)?;
        if !columns.is_empty() {
            ws.autofilter(0, 0, r.max(1), columns.len() as u16 - 1)?;
        }
        Ok(())
    }
}

fn write_cells(ws: &mut Worksheet, r: u32, cells: &[Cell<'_>], f: &Formats) -> XResult<()> {
    for (c, cell) in cells.iter().enumerate() {
        write_cell(ws, r, c as u16, cell, f, "")?;
    }
    Ok(())
}

/// Writes one cell; an absent number is a blank cell with the row's fill, or `absent` text.
fn write_cell(
    ws: &mut Worksheet,
    r: u32,
    c: u16,
    cell: &Cell<'_>,
    f: &Formats,
    absent: &str,
) -> XResult<()> {
    let (value, format) = match cell {
        Cell::Text(s) => {
            ws.write_string_with_format(r, c, *s, &f.text)?;
            return Ok(());
        }
        Cell::Pct(v) => (*v, &f.pct),
        Cell::Num(v) => (*v, &f.num),
        Cell::Se(v) => (*v, &f.se),
        Cell::Int(v) => (v.map(|n| n as f64), &f.int),
        Cell::Level(v) => (Some(*v), &f.level),
    };
    match value {
        Some(x) => ws.write_number_with_format(r, c, x, format)?,
        None if absent.is_empty() => ws.write_blank(r, c, format)?,
        None => ws.write_string_with_format(r, c, absent, &f.text)?,
    };
    Ok(())
}

/// The index sheets' columns.
const INDEX_COLUMNS: [(&str, f64); 12] = [
    ("Mã đơn vị", 12.0),
    ("Tên đơn vị", 34.0),
    ("Chỉ tiêu", 18.0),
    ("Thước đo", 24.0),
    ("Ước lượng", 12.0),
    ("Sai số chuẩn", 12.0),
    ("Cận dưới", 12.0),
    ("Cận trên", 12.0),
    ("Phương pháp khoảng tin cậy", 16.0),
    ("Số câu trả lời (n)", 12.0),
    ("Bậc tự do", 10.0),
    ("Cảnh báo", 26.0),
];

/// The workbook's bytes.
pub fn xlsx(inputs: &Inputs) -> std::result::Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = Book::new();
    // A fixed creation date in the document properties: the workbook would otherwise carry
    // the time it was written, and the same inputs would not give the same bytes.
    let properties = rust_xlsxwriter::DocProperties::new()
        .set_title(&inputs.title)
        .set_creation_datetime(&rust_xlsxwriter::ExcelDateTime::from_ymd(
            WORKBOOK_DATE.0,
            WORKBOOK_DATE.1,
            WORKBOOK_DATE.2,
        )?);
    book.workbook.set_properties(&properties);
    summary_sheet(&mut book, inputs)?;
    type Family = (&'static str, fn(&str) -> bool);
    let families: [Family; 4] = [
        ("Chỉ số chung", |i| i == "overall"),
        ("Yếu tố", |i| i.starts_with("element:")),
        ("Tiêu chí", |i| i.starts_with("item:")),
        ("Chỉ tiêu khác", |i| {
            i != "overall" && !i.starts_with("element:") && !i.starts_with("item:")
        }),
    ];
    for (sheet, belongs) in families {
        let rows: Vec<&IndexEntry> = inputs
            .indices
            .rows
            .iter()
            .filter(|r| belongs(&r.indicator))
            .collect();
        if rows.is_empty() {
            continue;
        }
        let notes: Vec<String> = rows
            .iter()
            .map(|r| match inputs.unit_flag(&r.domain, &r.indicator) {
                Some(f) if f.certain == Some(true) => {
                    "Vượt ngưỡng không hài lòng (chắc chắn)".to_string()
                }
                Some(_) => "Vượt ngưỡng không hài lòng".to_string(),
                None => String::new(),
            })
            .collect();
        let data = rows.iter().zip(&notes).map(|(r, note)| {
            let pct = is_share(&r.measure);
            let value = |v: Option<f64>| if pct { Cell::Pct(v) } else { Cell::Num(v) };
            let mark = match inputs.unit_flag(&r.domain, &r.indicator) {
                Some(f) if f.certain == Some(true) => Mark::Certain,
                Some(_) => Mark::Above,
                None => Mark::Plain,
            };
            let name = if r.domain == "ALL" {
                "Toàn tỉnh"
            } else {
                inputs.name_of(&r.domain)
            };
            (
                vec![
                    Cell::Text(&r.domain),
                    Cell::Text(name),
                    Cell::Text(&r.indicator),
                    Cell::Text(measure_label(&r.measure)),
                    value(r.estimate),
                    Cell::Se(r.std_error),
                    value(r.ci_lower),
                    value(r.ci_upper),
                    Cell::Text(&r.ci_method),
                    Cell::Int(Some(r.answers())),
                    Cell::Int(r.df),
                    Cell::Text(note),
                ],
                mark,
            )
        });
        book.table(sheet, &INDEX_COLUMNS, data)?;
    }
    let texts = inputs.indices.item_texts();
    if !texts.is_empty() {
        book.table(
            "Nội dung tiêu chí",
            &[("Mã tiêu chí", 12.0), ("Nội dung", 70.0)],
            texts
                .into_iter()
                .map(|(code, text)| (vec![Cell::Text(code), Cell::Text(text)], Mark::Plain)),
        )?;
    }
    if let Some(ranks) = &inputs.ranks {
        book.table(
            "Xếp hạng",
            &[
                ("Nhóm", 10.0),
                ("Mã đơn vị", 12.0),
                ("Tên đơn vị", 34.0),
                ("Chỉ tiêu", 16.0),
                ("Thước đo", 22.0),
                ("Ước lượng", 12.0),
                ("Cận dưới", 12.0),
                ("Cận trên", 12.0),
                ("Số câu trả lời (n)", 12.0),
                ("Hạng", 8.0),
                ("Hạng tốt nhất có thể", 12.0),
                ("Hạng kém nhất có thể", 12.0),
                ("Số đơn vị trong nhóm", 12.0),
                ("Chưa đủ chính xác", 12.0),
            ],
            ranks.iter().map(|r| {
                let pct = is_share(&r.measure);
                let value = |v: Option<f64>| if pct { Cell::Pct(v) } else { Cell::Num(v) };
                let mark = if r.imprecise == Some(true) {
                    Mark::Imprecise
                } else {
                    Mark::Plain
                };
                (
                    vec![
                        Cell::Text(&r.unit_group),
                        Cell::Text(&r.domain),
                        Cell::Text(&r.unit_name),
                        Cell::Text(&r.indicator),
                        Cell::Text(measure_label(&r.measure)),
                        value(r.estimate),
                        value(r.ci_lower),
                        value(r.ci_upper),
                        Cell::Int(Some(r.n)),
                        Cell::Int(r.rank),
                        Cell::Int(r.rank_lower),
                        Cell::Int(r.rank_upper),
                        Cell::Int(r.group_size),
                        Cell::Text(yes_no(r.imprecise)),
                    ],
                    mark,
                )
            }),
        )?;
    }
    if let Some(flags) = &inputs.flags {
        book.table(
            "Cảnh báo",
            &[
                ("Cấp", 10.0),
                ("Mã đơn vị", 12.0),
                ("Tên đơn vị", 32.0),
                ("Mã cán bộ", 12.0),
                ("Nhóm", 10.0),
                ("Chỉ tiêu", 16.0),
                ("Tỷ lệ không hài lòng (%)", 14.0),
                ("Sai số chuẩn", 12.0),
                ("Cận dưới", 12.0),
                ("Cận trên", 12.0),
                ("Số câu trả lời (n)", 12.0),
                ("Ngưỡng (%)", 10.0),
                ("Vượt ngưỡng", 10.0),
                ("Chắc chắn vượt (cả khoảng tin cậy)", 16.0),
                ("Chưa đủ chính xác", 12.0),
            ],
            flags.iter().map(|f| {
                let mark = match (f.above, f.certain, f.imprecise) {
                    (Some(true), Some(true), _) => Mark::Certain,
                    (Some(true), _, _) => Mark::Above,
                    (_, _, Some(true)) => Mark::Imprecise,
                    _ => Mark::Plain,
                };
                (
                    vec![
                        Cell::Text(if f.level == "unit" {
                            "đơn vị"
                        } else {
                            "cán bộ"
                        }),
                        Cell::Text(&f.domain),
                        Cell::Text(inputs.name_of(&f.domain)),
                        Cell::Text(f.officer_id.as_deref().unwrap_or("")),
                        Cell::Text(f.unit_group.as_deref().unwrap_or("")),
                        Cell::Text(&f.indicator),
                        Cell::Pct(f.dissatisfied_pct),
                        Cell::Se(f.std_error),
                        Cell::Pct(f.ci_lower),
                        Cell::Pct(f.ci_upper),
                        Cell::Int(Some(f.n)),
                        Cell::Pct(f.threshold_pct),
                        Cell::Text(yes_no(f.above)),
                        Cell::Text(yes_no(f.certain)),
                        Cell::Text(yes_no(f.imprecise)),
                    ],
                    mark,
                )
            }),
        )?;
    }
    if let Some(rows) = &inputs.timeliness {
        book.table(
            "Tiến độ hồ sơ",
            &[
                ("Cấp", 10.0),
                ("Mã đơn vị", 12.0),
                ("Tên đơn vị", 32.0),
                ("Mã cán bộ", 12.0),
                ("Số hồ sơ", 10.0),
                ("Trước hạn", 10.0),
                ("Đúng hạn", 10.0),
                ("Trễ hạn", 10.0),
                ("Trước hạn (%)", 11.0),
                ("Đúng hạn (%)", 11.0),
                ("Trễ hạn (%)", 11.0),
                ("Trần trễ hạn (%)", 11.0),
                ("Vượt trần", 10.0),
            ],
            rows.iter().map(|t| {
                let mark = if t.above_ceiling == Some(true) {
                    Mark::Certain
                } else {
                    Mark::Plain
                };
                (
                    vec![
                        Cell::Text(match t.level.as_str() {
                            "all" => "Toàn tỉnh",
                            "unit" => "Đơn vị",
                            "officer" => "Cán bộ",
                            other => other,
                        }),
                        Cell::Text(&t.domain),
                        Cell::Text(if t.domain == "ALL" {
                            "Toàn tỉnh"
                        } else {
                            inputs.name_of(&t.domain)
                        }),
                        Cell::Text(t.officer_id.as_deref().unwrap_or("")),
                        Cell::Int(Some(t.records)),
                        Cell::Int(Some(t.early)),
                        Cell::Int(Some(t.on_time)),
                        Cell::Int(Some(t.late)),
                        Cell::Pct(t.early_pct),
                        Cell::Pct(t.on_time_pct),
                        Cell::Pct(t.late_pct),
                        Cell::Pct(t.late_ceiling_pct),
                        Cell::Text(yes_no(t.above_ceiling)),
                    ],
                    mark,
                )
            }),
        )?;
    }
    if let Some(par) = &inputs.par {
        book.table(
            "Chỉ số CCHC",
            &[
                ("Mã đơn vị", 12.0),
                ("Tên đơn vị", 34.0),
                ("Nhóm", 10.0),
                ("Điểm đạt", 10.0),
                ("Điểm tối đa", 10.0),
                ("Chỉ số (%)", 11.0),
                ("Sai số chuẩn", 11.0),
                ("Cận dưới", 11.0),
                ("Cận trên", 11.0),
                ("Hạng", 8.0),
                ("Hạng tốt nhất có thể", 12.0),
                ("Hạng kém nhất có thể", 12.0),
                ("Số đơn vị trong nhóm", 12.0),
            ],
            par.units.iter().map(|u| {
                (
                    vec![
                        Cell::Text(&u.unit_code),
                        Cell::Text(&u.unit_name),
                        Cell::Text(&u.unit_group),
                        Cell::Num(u.points),
                        Cell::Num(u.max_points),
                        Cell::Pct(u.index),
                        Cell::Se(u.std_error),
                        Cell::Pct(u.ci_lower),
                        Cell::Pct(u.ci_upper),
                        Cell::Int(u.rank),
                        Cell::Int(u.rank_lower),
                        Cell::Int(u.rank_upper),
                        Cell::Int(u.group_size),
                    ],
                    Mark::Plain,
                )
            }),
        )?;
        if let Some(fields) = &par.fields {
            book.table(
                "CCHC theo lĩnh vực",
                &[
                    ("Mã đơn vị", 12.0),
                    ("Lĩnh vực", 10.0),
                    ("Tên lĩnh vực", 40.0),
                    ("Điểm đạt", 10.0),
                    ("Điểm tối đa", 10.0),
                ],
                fields.iter().map(|f| {
                    (
                        vec![
                            Cell::Text(&f.unit_code),
                            Cell::Text(&f.field),
                            Cell::Text(&f.field_name),
                            Cell::Num(f.points),
                            Cell::Num(f.max_points),
                        ],
                        Mark::Plain,
                    )
                }),
            )?;
        }
    }
    book.workbook.save_to_buffer()
}

fn summary_sheet(book: &mut Book, inputs: &Inputs) -> XResult<()> {
    let ix = &inputs.indices;
    let overall = inputs.overall();
    let dis = ix.get("ALL", "overall", "dissatisfied_pct");
    let level_label = vi_level(ix.level);
    let design = inputs.sample.as_ref().map(|s| s.design.to_string());
    // (label, value); `None` is a blank line.
    let mut lines: Vec<Option<(String, Cell<'_>)>> = vec![
        Some(("Bộ câu hỏi".into(), Cell::Text(&ix.questionnaire))),
        Some((
            "Chỉ số hài lòng chung toàn tỉnh (%)".into(),
            Cell::Pct(overall.and_then(|o| o.estimate)),
        )),
        Some((
            format!("Cận dưới khoảng tin cậy {level_label} (%)"),
            Cell::Pct(overall.and_then(|o| o.ci_lower)),
        )),
        Some((
            format!("Cận trên khoảng tin cậy {level_label} (%)"),
            Cell::Pct(overall.and_then(|o| o.ci_upper)),
        )),
        Some((
            "Sai số chuẩn".into(),
            Cell::Se(overall.and_then(|o| o.std_error)),
        )),
        Some((
            "Số phiếu có trả lời (n)".into(),
            Cell::Int(overall.map(|o| o.answers())),
        )),
        Some((
            "Tỷ lệ không hài lòng chung toàn tỉnh (%)".into(),
            Cell::Pct(dis.and_then(|o| o.estimate)),
        )),
        Some((
            "Số đơn vị có kết quả".into(),
            Cell::Int(Some(ix.units().len() as u64)),
        )),
        Some((
            "Số dòng chỉ số (indices.csv)".into(),
            Cell::Int(Some(ix.rows.len() as u64)),
        )),
    ];
    if let Some(flags) = &inputs.flags {
        let count = |level: &str| {
            flags
                .iter()
                .filter(|f| f.level == level && f.above == Some(true))
                .count() as u64
        };
        lines.push(Some((
            "Số đơn vị vượt ngưỡng không hài lòng".into(),
            Cell::Int(Some(count("unit"))),
        )));
        lines.push(Some((
            "Số cán bộ vượt ngưỡng không hài lòng".into(),
            Cell::Int(Some(count("officer"))),
        )));
    }
    lines.push(None);
    lines.push(Some((
        "Phương pháp khoảng tin cậy".into(),
        Cell::Text(&ix.ci_method),
    )));
    lines.push(Some(("Mức tin cậy".into(), Cell::Level(ix.level))));
    let weights = ix.weights.to_string();
    lines.push(Some(("Trọng số".into(), Cell::Text(&weights))));
    lines.push(Some((
        "Phiên bản chương trình tính chỉ số".into(),
        Cell::Text(&ix.engine_version),
    )));
    let digests: Vec<(String, String)> = input_digests(ix)
        .into_iter()
        .map(|(label, file, sha)| (format!("SHA-256 {label} ({file})"), sha))
        .collect();
    for (label, sha) in &digests {
        lines.push(Some((label.clone(), Cell::Text(sha))));
    }
    if let (Some(s), Some(design)) = (&inputs.sample, &design) {
        lines.extend([
            Some(("Hạt giống ngẫu nhiên (seed)".into(), Cell::Text(&s.seed))),
            Some(("Thuật toán chọn mẫu".into(), Cell::Text(&s.algorithm))),
            Some((
                "Mã băm mẫu (sample_digest)".into(),
                Cell::Text(&s.sample_digest),
            )),
            Some((
                "Mã băm khung mẫu (frame_digest)".into(),
                Cell::Text(&s.frame_digest),
            )),
            Some((
                "Phiên bản chương trình chọn mẫu".into(),
                Cell::Text(&s.engine_version),
            )),
            Some(("Cỡ khung mẫu".into(), Cell::Int(s.frame_size))),
            Some(("Cỡ mẫu chính thức".into(), Cell::Int(s.sample_size))),
            Some(("Thiết kế mẫu".into(), Cell::Text(design))),
        ]);
    } else {
        lines.push(Some((
            "Hạt giống ngẫu nhiên (seed)".into(),
            Cell::Text("chưa ghi (báo cáo lập không kèm manifest.json của mẫu)"),
        )));
    }
    lines.push(None);
    let title = Format::new().set_bold().set_font_size(14);
    let label = Format::new().set_bold().set_text_wrap();
    let value = Format::new().set_align(FormatAlign::Left);
    let plain = &book.formats[0];
    let ws = book.workbook.add_worksheet();
    ws.set_name("Tổng hợp")?;
    ws.set_column_width(0, 46)?;
    ws.set_column_width(1, 72)?;
    ws.write_string_with_format(0, 0, &inputs.title, &title)?;
    ws.set_freeze_panes(1, 0)?;
    let mut r = 1u32;
    for line in &lines {
        r += 1;
        let Some((text, cell)) = line else { continue };
        ws.write_string_with_format(r, 0, text, &label)?;
        match cell {
            Cell::Text(s) => {
                ws.write_string_with_format(r, 1, *s, &value)?;
            }
            other => write_cell(ws, r, 1, other, plain, "—")?,
        }
    }
    for note in [
        "Ghi chú: các ô số giữ nguyên giá trị đầy đủ của indices.csv (tỷ lệ tính trên thang 0–100).",
        "Dấu thập phân hiển thị theo cài đặt ngôn ngữ của máy: máy đặt tiếng Việt hiển thị 98,80%.",
        "Dòng tô đỏ: vượt ngưỡng với cả khoảng tin cậy (hoặc vượt trần trễ hạn); tô vàng: ước lượng vượt ngưỡng; tô xám: chưa đủ chính xác để xếp hạng.",
    ] {
        r += 1;
        ws.write_string(r, 0, note)?;
    }
    Ok(())
}
