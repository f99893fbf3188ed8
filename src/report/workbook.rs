//! The workbook (`report.xlsx`), for the offices that open it in Excel and print it.
//!
//! Sheets, in order: `Tổng hợp` (one row per unit: the summary), `Thông tin chung` (the
//! province's headline numbers, the method and the digests), `Chi tiết chỉ số` (every row of
//! `indices.csv`, in file order), then `Nội dung tiêu chí`, `Xếp hạng`, `Cảnh báo`,
//! `Tiến độ hồ sơ`, `Chỉ số CCHC` and `CCHC theo lĩnh vực` when their inputs are there. Every
//! sheet names its units beside their codes and its indicators by name, and prints on A4
//! landscape, one page wide, its header row repeated on every page.
//!
//! Numbers are stored as numbers with full precision and shown with display formats. Every
//! text is written as a string cell (`write_string`), never as a formula: a unit named
//! `=HYPERLINK(…)` is that text in its cell.
//!
//! # What Excel shows on a Windows set to Vietnamese
//! A number format says where the decimal separator and the thousands separator go, not
//! which characters they are: Excel draws them as the computer's regional settings say
//! (while *Use system separators* is on, as it is unless changed in File › Options ›
//! Advanced). Windows set to Vietnamese (Việt Nam) has `,` for decimals and `.` between
//! thousands, so:
//!
//! | value stored | format | Vietnamese Windows | English Windows |
//! |---|---|---|---|
//! | `98.80123456789` (a percentage, 0–100) | `0.00"%"` | `98,80%` | `98.80%` |
//! | `6116` (a count) | `#,##0` | `6.116` | `6,116` |
//! | `0.4805014423689258` (a standard error) | `0.000` | `0,481` | `0.481` |
//! | `0.95` (the confidence level) | `0.0#%` | `95,0%` | `95.0%` |
//! | `15121` (a row number of `indices.csv`) | `0` | `15121` | `15121` |
//!
//! The cell keeps the whole value (the formula bar shows it, up to Excel's 15 significant
//! digits) and a formula computes with it, not with what is shown. LibreOffice Calc does the
//! same with the locale set in its options. The percentages are stored on 0–100, as in the
//! CSV files, so the `%` is text in the format: the cell holds `98.8`, not `0.988`.

use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook, Worksheet};
use unicode_normalization::UnicodeNormalization;

use super::WORKBOOK_DATE;
use super::inputs::{Inputs, is_share};
use super::vi::{
    design_words, group_label, input_digests, measure_label, vi_level, weights_label, yes_no,
};

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
    /// The province's own row (bold).
    Province,
}

const MARKS: [Mark; 5] = [
    Mark::Plain,
    Mark::Certain,
    Mark::Above,
    Mark::Imprecise,
    Mark::Province,
];

const RED: u32 = 0xF8CBAD;
const AMBER: u32 = 0xFFE699;
const GREY: u32 = 0xE7E6E6;
const HEADER: u32 = 0xDDEBF7;

/// The display format of a percentage stored on 0–100 (98.8 is shown `98,80%` on a computer
/// set to Vietnamese).
const PCT_FORMAT: &str = "0.00\"%\"";
/// The display format of a count (6116 is shown `6.116` on a computer set to Vietnamese).
const COUNT_FORMAT: &str = "#,##0";

/// Cell formats for one kind of row.
struct Formats {
    text: Format,
    /// Text that wraps inside its column.
    wrap: Format,
    pct: Format,
    num: Format,
    se: Format,
    int: Format,
    row: Format,
    level: Format,
}

impl Formats {
    fn new(mark: Mark) -> Formats {
        let fill = match mark {
            Mark::Plain | Mark::Province => None,
            Mark::Certain => Some(RED),
            Mark::Above => Some(AMBER),
            Mark::Imprecise => Some(GREY),
        };
        let base = |f: Format| {
            let f = f.set_align(FormatAlign::Top);
            let f = match fill {
                Some(c) => f.set_background_color(Color::RGB(c)),
                None => f,
            };
            if mark == Mark::Province {
                f.set_bold()
            } else {
                f
            }
        };
        Formats {
            text: base(Format::new()),
            wrap: base(Format::new().set_text_wrap()),
            pct: base(Format::new().set_num_format(PCT_FORMAT)),
            num: base(Format::new().set_num_format("0.00")),
            se: base(Format::new().set_num_format("0.000")),
            int: base(Format::new().set_num_format(COUNT_FORMAT)),
            row: base(Format::new().set_num_format("0")),
            level: base(Format::new().set_num_format("0.0#%")),
        }
    }
}

/// A cell of the workbook.
enum Cell<'a> {
    Text(&'a str),
    Owned(String),
    Pct(Option<f64>),
    Num(Option<f64>),
    Se(Option<f64>),
    Int(Option<u64>),
    /// A row number (no thousands separator).
    Row(u64),
    /// A confidence level (0.95 shown as 95%).
    Level(f64),
}

impl Cell<'_> {
    /// The text of a text cell.
    fn text(&self) -> Option<&str> {
        match self {
            Cell::Text(s) => Some(s),
            Cell::Owned(s) => Some(s),
            _ => None,
        }
    }
}

/// A column of a sheet: its header and its width in characters.
struct Col {
    title: String,
    /// The width; for a text column that fits its text, the least width.
    width: f64,
    /// For a text column that fits its text: the most width; longer text wraps.
    max: Option<f64>,
}

/// A column of the given width.
fn col(title: impl Into<String>, width: f64) -> Col {
    Col {
        title: title.into(),
        width,
        max: None,
    }
}

/// A text column as wide as its longest text, between `min` and `max` characters.
fn text_col(title: impl Into<String>, min: f64, max: f64) -> Col {
    Col {
        title: title.into(),
        width: min,
        max: Some(max),
    }
}

/// One sheet: an optional title line, a header row, the rows, notes below.
struct Table<'a> {
    name: &'a str,
    /// A bold line above the header row.
    title: Option<&'a str>,
    columns: Vec<Col>,
    rows: Vec<(Vec<Cell<'a>>, Mark)>,
    /// Lines below the table.
    notes: Vec<String>,
    /// Columns frozen at the left, beside the frozen header row.
    freeze_columns: u16,
    /// What an absent number shows (blank when empty).
    absent: &'static str,
}

impl<'a> Table<'a> {
    fn new(name: &'a str, columns: Vec<Col>, rows: Vec<(Vec<Cell<'a>>, Mark)>) -> Table<'a> {
        Table {
            name,
            title: None,
            columns,
            rows,
            notes: Vec::new(),
            freeze_columns: 0,
            absent: "",
        }
    }
}

struct Book {
    workbook: Workbook,
    formats: [Formats; 5],
    header: Format,
    title: Format,
    /// The title printed at the top of every page.
    page_title: String,
}

type XResult<T> = std::result::Result<T, rust_xlsxwriter::XlsxError>;

impl Book {
    fn new(title: &str) -> Book {
        Book {
            workbook: Workbook::new(),
            formats: MARKS.map(Formats::new),
            header: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter)
                .set_background_color(Color::RGB(HEADER))
                .set_border_bottom(FormatBorder::Thin),
            title: Format::new().set_bold().set_font_size(14),
            page_title: title.to_string(),
        }
    }

    /// Writes a sheet: title, frozen and filtered header row, rows, notes, print setup.
    fn table(&mut self, t: Table<'_>) -> XResult<()> {
        // Text columns as wide as their text, within their bounds; wider text wraps.
        let mut widths: Vec<(f64, bool)> = Vec::with_capacity(t.columns.len());
        for (c, column) in t.columns.iter().enumerate() {
            let Some(max) = column.max else {
                widths.push((column.width, false));
                continue;
            };
            let longest = t
                .rows
                .iter()
                .filter_map(|(cells, _)| cells.get(c).and_then(Cell::text))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0) as f64;
            let wanted = longest + 2.0;
            widths.push((wanted.clamp(column.width, max), wanted > max));
        }
        let header_row: u32 = if t.title.is_some() { 1 } else { 0 };
        let ws = self.workbook.add_worksheet();
        ws.set_name(t.name)?;
        if let Some(title) = t.title {
            ws.write_string_with_format(0, 0, title, &self.title)?;
            ws.set_row_height(0, 24)?;
        }
        let mut lines = 1;
        for (c, (column, (width, _))) in t.columns.iter().zip(&widths).enumerate() {
            let c = c as u16;
            ws.write_string_with_format(header_row, c, &column.title, &self.header)?;
            ws.set_column_width(c, *width)?;
            lines = lines.max(wrapped_lines(&column.title, *width));
        }
        ws.set_row_height(header_row, 15.0 * lines as f64 + 6.0)?;
        let mut r = header_row;
        for (cells, mark) in &t.rows {
            r += 1;
            let f = &self.formats[MARKS.iter().position(|m| m == mark).unwrap_or(0)];
            let mut lines = 1;
            for (c, cell) in cells.iter().enumerate() {
                let wrap = widths.get(c).filter(|w| w.1);
                if let (Some((width, _)), Some(text)) = (wrap, cell.text()) {
                    lines = lines.max(wrapped_lines(text, *width));
                }
                write_cell(ws, r, c as u16, cell, f, t.absent, wrap.is_some())?;
            }
            // Rows whose text wraps are as tall as it: a spreadsheet program does not
            // always fit them itself when it opens the file.
            if lines > 1 {
                ws.set_row_height(r, 15.0 * lines as f64)?;
            }
        }
        let last = r;
        r += 1;
        for note in &t.notes {
            r += 1;
            ws.write_string(r, 0, note)?;
        }
        ws.set_freeze_panes(header_row + 1, t.freeze_columns)?;
        if !t.columns.is_empty() {
            ws.autofilter(
                header_row,
                0,
                last.max(header_row + 1),
                t.columns.len() as u16 - 1,
            )?;
        }
        print_setup(ws, &self.page_title, header_row)?;
        Ok(())
    }
}

/// How many lines a header takes in a column `width` characters wide (words kept whole).
fn wrapped_lines(text: &str, width: f64) -> usize {
    // Bold text is a little wider than the column's unit of width.
    let per_line = ((width - 1.0) * 0.95).max(1.0) as usize;
    let mut lines = 1;
    let mut used = 0;
    for word in text.split_whitespace() {
        let n = word.chars().count();
        if used == 0 {
            used = n;
        } else if used + 1 + n <= per_line {
            used += 1 + n;
        } else {
            lines += 1;
            used = n;
        }
        while used > per_line {
            lines += 1;
            used -= per_line;
        }
    }
    lines
}

/// The printed page: A4 landscape, one page wide and as many tall as it takes, the header
/// row on every page, the title above and the sheet's name and page number below.
fn print_setup(ws: &mut Worksheet, title: &str, header_row: u32) -> XResult<()> {
    ws.set_paper_size(9); // A4
    ws.set_landscape();
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(header_row, header_row)?;
    // Inches: left, right, top, bottom, header, footer.
    ws.set_margins(0.4, 0.4, 0.7, 0.6, 0.3, 0.3);
    ws.set_header(format!("&C&\"-,Bold\"{}", header_text(title)));
    ws.set_footer("&L&A&RTrang &P/&N");
    // The title and page numbers stay readable however small the sheet is printed.
    ws.set_header_footer_scale_with_doc(false);
    ws.set_print_gridlines(true);
    ws.set_print_center_horizontally(true);
    Ok(())
}

/// The title as a page header's text: `&` doubled (the header's control character), within
/// Excel's 255 characters for the whole header (longer titles end with `…`).
fn header_text(title: &str) -> String {
    // The header's other characters: `&C&"-,Bold"`.
    const ROOM: usize = 255 - 11;
    let mut out = String::new();
    let mut used = 0;
    let chars: Vec<char> = title.chars().filter(|c| !c.is_control()).collect();
    for (i, c) in chars.iter().enumerate() {
        let need = if *c == '&' { 2 } else { c.len_utf16() };
        // Keep room for the ellipsis unless this is the last character.
        let reserve = if i + 1 < chars.len() { 1 } else { 0 };
        if used + need + reserve > ROOM {
            out.push('…');
            return out;
        }
        used += need;
        if *c == '&' {
            out.push_str("&&");
        } else {
            out.push(*c);
        }
    }
    out
}

/// Writes one cell; an absent number is a blank cell with the row's format, or `absent` text.
fn write_cell(
    ws: &mut Worksheet,
    r: u32,
    c: u16,
    cell: &Cell<'_>,
    f: &Formats,
    absent: &str,
    wrap: bool,
) -> XResult<()> {
    let text_format = if wrap { &f.wrap } else { &f.text };
    let (value, format) = match cell {
        Cell::Text(s) => {
            ws.write_string_with_format(r, c, *s, text_format)?;
            return Ok(());
        }
        Cell::Owned(s) => {
            ws.write_string_with_format(r, c, s, text_format)?;
            return Ok(());
        }
        Cell::Pct(v) => (*v, &f.pct),
        Cell::Num(v) => (*v, &f.num),
        Cell::Se(v) => (*v, &f.se),
        Cell::Int(v) => (v.map(|n| n as f64), &f.int),
        Cell::Row(n) => (Some(*n as f64), &f.row),
        Cell::Level(v) => (Some(*v), &f.level),
    };
    match value {
        Some(x) => ws.write_number_with_format(r, c, x, format)?,
        None if absent.is_empty() => ws.write_blank(r, c, format)?,
        None => ws.write_string_with_format(r, c, absent, text_format)?,
    };
    Ok(())
}

/// The unit's name, `Toàn tỉnh` for the province.
fn unit_name<'a>(inputs: &'a Inputs, code: &str) -> &'a str {
    if code == "ALL" {
        "Toàn tỉnh"
    } else {
        inputs.name_of(code)
    }
}

/// A level of `flags.csv` or `timeliness.csv` in Vietnamese.
fn level_label(level: &str) -> &str {
    match level {
        "all" => "Toàn tỉnh",
        "unit" => "Đơn vị",
        "officer" => "Cán bộ",
        other => other,
    }
}

/// The number cell of a measure: a percentage for shares, a plain number for scores.
fn value_cell<'a>(measure: &str, v: Option<f64>) -> Cell<'a> {
    if is_share(measure) {
        Cell::Pct(v)
    } else {
        Cell::Num(v)
    }
}

/// The flag note and highlight of a row of `indices.csv`.
fn flag_of(inputs: &Inputs, domain: &str, indicator: &str) -> (&'static str, Mark) {
    match inputs.unit_flag(domain, indicator) {
        Some(f) if f.certain == Some(true) => {
            ("Vượt ngưỡng không hài lòng (chắc chắn)", Mark::Certain)
        }
        Some(_) => ("Vượt ngưỡng không hài lòng", Mark::Above),
        None => ("", Mark::Plain),
    }
}

/// The workbook's bytes: `report.xlsx` as `chiso report` writes it (sheets and columns in
/// `docs/contract.md` §12). Numbers are stored with full precision and shown with number
/// formats whose separators are the reader's own: Excel on a Windows set to Vietnamese shows
/// a percentage as `98,80%` and a count as `6.116`. The same inputs give the same bytes.
pub fn xlsx(inputs: &Inputs) -> std::result::Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = Book::new(&inputs.title);
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
    book.table(summary_table(inputs))?;
    book.table(about_table(inputs))?;
    book.table(detail_table(inputs))?;
    let texts = inputs.indices.item_texts();
    if !texts.is_empty() {
        book.table(Table::new(
            "Nội dung tiêu chí",
            vec![col("Mã tiêu chí", 12.0), text_col("Nội dung", 30.0, 90.0)],
            texts
                .into_iter()
                .map(|(code, text)| (vec![Cell::Text(code), Cell::Text(text)], Mark::Plain))
                .collect(),
        ))?;
    }
    if let Some(ranks) = &inputs.ranks {
        let rows = ranks
            .iter()
            .map(|r| {
                let mark = if r.imprecise == Some(true) {
                    Mark::Imprecise
                } else {
                    Mark::Plain
                };
                (
                    vec![
                        Cell::Owned(group_label(Some(&r.unit_group))),
                        Cell::Text(&r.domain),
                        Cell::Text(&r.unit_name),
                        Cell::Owned(inputs.indicator_label(&r.indicator)),
                        Cell::Text(measure_label(&r.measure)),
                        value_cell(&r.measure, r.estimate),
                        value_cell(&r.measure, r.ci_lower),
                        value_cell(&r.measure, r.ci_upper),
                        Cell::Int(Some(r.n)),
                        Cell::Int(r.rank),
                        Cell::Int(r.rank_lower),
                        Cell::Int(r.rank_upper),
                        Cell::Int(r.group_size),
                        Cell::Text(yes_no(r.imprecise)),
                    ],
                    mark,
                )
            })
            .collect();
        let mut t = Table::new(
            "Xếp hạng",
            vec![
                text_col("Nhóm", 10.0, 26.0),
                col("Mã đơn vị", 11.0),
                text_col("Tên đơn vị", 20.0, 45.0),
                text_col("Chỉ tiêu", 14.0, 80.0),
                text_col("Thước đo", 12.0, 26.0),
                col("Ước lượng", 11.0),
                col("Cận dưới", 11.0),
                col("Cận trên", 11.0),
                col("Số câu trả lời (n)", 11.0),
                col("Hạng", 7.0),
                col("Hạng tốt nhất có thể", 11.0),
                col("Hạng kém nhất có thể", 11.0),
                col("Số đơn vị trong nhóm", 11.0),
                col("Chưa đủ chính xác", 10.0),
            ],
            rows,
        );
        t.freeze_columns = 3;
        book.table(t)?;
    }
    if let Some(flags) = &inputs.flags {
        let rows = flags
            .iter()
            .map(|f| {
                let mark = match (f.above, f.certain, f.imprecise) {
                    (Some(true), Some(true), _) => Mark::Certain,
                    (Some(true), _, _) => Mark::Above,
                    (_, _, Some(true)) => Mark::Imprecise,
                    _ => Mark::Plain,
                };
                (
                    vec![
                        Cell::Text(level_label(&f.level)),
                        Cell::Text(&f.domain),
                        Cell::Text(unit_name(inputs, &f.domain)),
                        Cell::Text(f.officer_id.as_deref().unwrap_or("")),
                        Cell::Owned(
                            f.unit_group
                                .as_deref()
                                .or(inputs.group_of(&f.domain))
                                .map(|g| group_label(Some(g)))
                                .unwrap_or_default(),
                        ),
                        Cell::Owned(inputs.indicator_label(&f.indicator)),
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
            })
            .collect();
        let mut t = Table::new(
            "Cảnh báo",
            vec![
                col("Cấp", 9.0),
                col("Mã đơn vị", 11.0),
                text_col("Tên đơn vị", 20.0, 45.0),
                text_col("Mã cán bộ", 10.0, 18.0),
                text_col("Nhóm", 10.0, 26.0),
                text_col("Chỉ tiêu", 14.0, 80.0),
                col("Tỷ lệ không hài lòng (%)", 12.0),
                col("Sai số chuẩn", 10.0),
                col("Cận dưới (%)", 10.0),
                col("Cận trên (%)", 10.0),
                col("Số câu trả lời (n)", 10.0),
                col("Ngưỡng (%)", 9.0),
                col("Vượt ngưỡng", 9.0),
                col("Chắc chắn vượt (cả khoảng tin cậy)", 13.0),
                col("Chưa đủ chính xác", 10.0),
            ],
            rows,
        );
        t.freeze_columns = 3;
        book.table(t)?;
    }
    if let Some(rates) = &inputs.response_rates {
        let pct = |r: Option<f64>| Cell::Pct(r.map(|r| 100.0 * r));
        let rows = rates
            .iter()
            .map(|r| {
                let all = r.stratum == "ALL";
                (
                    vec![
                        Cell::Text(if all { "Toàn tỉnh" } else { &r.stratum }),
                        Cell::Text(if all {
                            ""
                        } else {
                            unit_name(inputs, &r.stratum)
                        }),
                        Cell::Int(Some(r.complete)),
                        Cell::Int(Some(r.partial)),
                        Cell::Int(Some(r.refusal)),
                        Cell::Int(Some(r.non_contact)),
                        Cell::Int(Some(r.ineligible)),
                        Cell::Int(Some(r.unknown)),
                        pct(r.rr1),
                        pct(r.rr2),
                    ],
                    if all { Mark::Province } else { Mark::Plain },
                )
            })
            .collect();
        let mut t = Table::new(
            "Tỷ lệ trả lời",
            vec![
                col("Mã đơn vị", 11.0),
                text_col("Tên đơn vị", 20.0, 45.0),
                col("Hoàn thành", 10.0),
                col("Trả lời một phần", 10.0),
                col("Từ chối", 10.0),
                col("Không liên lạc được", 11.0),
                col("Không thuộc đối tượng", 11.0),
                col("Chưa rõ kết quả (không có dòng)", 12.0),
                col("Tỷ lệ trả lời RR1 (%)", 11.0),
                col("Tỷ lệ trả lời RR2 (%)", 11.0),
            ],
            rows,
        );
        t.freeze_columns = 2;
        book.table(t)?;
    }
    if let Some(timeliness) = &inputs.timeliness {
        let rows = timeliness
            .iter()
            .map(|t| {
                let mark = if t.above_ceiling == Some(true) {
                    Mark::Certain
                } else if t.level == "all" {
                    Mark::Province
                } else {
                    Mark::Plain
                };
                (
                    vec![
                        Cell::Text(level_label(&t.level)),
                        Cell::Text(&t.domain),
                        Cell::Text(unit_name(inputs, &t.domain)),
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
            })
            .collect();
        let mut t = Table::new(
            "Tiến độ hồ sơ",
            vec![
                col("Cấp", 9.0),
                col("Mã đơn vị", 11.0),
                text_col("Tên đơn vị", 20.0, 45.0),
                text_col("Mã cán bộ", 10.0, 18.0),
                col("Số hồ sơ", 10.0),
                col("Trước hạn", 10.0),
                col("Đúng hạn", 10.0),
                col("Trễ hạn", 10.0),
                col("Trước hạn (%)", 10.0),
                col("Đúng hạn (%)", 10.0),
                col("Trễ hạn (%)", 10.0),
                col("Trần trễ hạn (%)", 10.0),
                col("Vượt trần", 9.0),
            ],
            rows,
        );
        t.freeze_columns = 3;
        book.table(t)?;
    }
    if let Some(par) = &inputs.par {
        let rows = par
            .units
            .iter()
            .map(|u| {
                (
                    vec![
                        Cell::Text(&u.unit_code),
                        Cell::Text(&u.unit_name),
                        Cell::Owned(group_label(Some(&u.unit_group))),
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
            })
            .collect();
        let mut t = Table::new(
            "Chỉ số CCHC",
            vec![
                col("Mã đơn vị", 11.0),
                text_col("Tên đơn vị", 20.0, 45.0),
                text_col("Nhóm", 10.0, 26.0),
                col("Điểm đạt", 10.0),
                col("Điểm tối đa", 10.0),
                col("Chỉ số (%)", 10.0),
                col("Sai số chuẩn", 10.0),
                col("Cận dưới (%)", 10.0),
                col("Cận trên (%)", 10.0),
                col("Hạng", 7.0),
                col("Hạng tốt nhất có thể", 11.0),
                col("Hạng kém nhất có thể", 11.0),
                col("Số đơn vị trong nhóm", 11.0),
            ],
            rows,
        );
        t.freeze_columns = 2;
        book.table(t)?;
        if let Some(fields) = &par.fields {
            let rows = fields
                .iter()
                .map(|f| {
                    (
                        vec![
                            Cell::Text(&f.unit_code),
                            Cell::Text(unit_name(inputs, &f.unit_code)),
                            Cell::Text(&f.field),
                            Cell::Text(&f.field_name),
                            Cell::Num(f.points),
                            Cell::Num(f.max_points),
                        ],
                        Mark::Plain,
                    )
                })
                .collect();
            let mut t = Table::new(
                "CCHC theo lĩnh vực",
                vec![
                    col("Mã đơn vị", 11.0),
                    text_col("Tên đơn vị", 20.0, 45.0),
                    col("Lĩnh vực", 9.0),
                    text_col("Tên lĩnh vực", 20.0, 60.0),
                    col("Điểm đạt", 10.0),
                    col("Điểm tối đa", 10.0),
                ],
                rows,
            );
            t.freeze_columns = 2;
            book.table(t)?;
        }
    }
    book.workbook.save_to_buffer()
}

/// `Chi tiết chỉ số`: every row of `indices.csv`, in file order, with its row number there,
/// the unit's name, the indicator's name and the measure in words.
fn detail_table(inputs: &Inputs) -> Table<'_> {
    let rows = inputs
        .indices
        .rows
        .iter()
        .map(|r| {
            let (note, mark) = flag_of(inputs, &r.domain, &r.indicator);
            let mark = if r.domain == "ALL" && mark == Mark::Plain {
                Mark::Province
            } else {
                mark
            };
            (
                vec![
                    Cell::Row(r.row),
                    Cell::Text(&r.domain),
                    Cell::Text(unit_name(inputs, &r.domain)),
                    Cell::Owned(inputs.indicator_label(&r.indicator)),
                    Cell::Text(measure_label(&r.measure)),
                    value_cell(&r.measure, r.estimate),
                    Cell::Se(r.std_error),
                    value_cell(&r.measure, r.ci_lower),
                    value_cell(&r.measure, r.ci_upper),
                    Cell::Text(&r.ci_method),
                    Cell::Int(Some(r.answers())),
                    Cell::Int(r.df),
                    Cell::Text(note),
                ],
                mark,
            )
        })
        .collect();
    let mut t = Table::new(
        DETAIL_SHEET,
        vec![
            col("Dòng trong indices.csv", 12.5),
            col("Mã đơn vị", 11.0),
            text_col("Tên đơn vị", 20.0, 45.0),
            text_col("Chỉ tiêu", 14.0, 80.0),
            text_col("Thước đo", 12.0, 26.0),
            col("Ước lượng", 10.0),
            col("Sai số chuẩn", 10.0),
            col("Cận dưới", 10.0),
            col("Cận trên", 10.0),
            col("Phương pháp khoảng tin cậy", 11.0),
            col("Số câu trả lời (n)", 10.0),
            col("Bậc tự do", 9.0),
            text_col("Cảnh báo", 12.0, 40.0),
        ],
        rows,
    );
    t.freeze_columns = 3;
    t
}

/// The name of the sheet with every row of `indices.csv`.
const DETAIL_SHEET: &str = "Chi tiết chỉ số";

/// A column of the summary sheet: its header and width, and each row's cell from the unit's
/// code (`ALL` for the province).
pub(super) struct SummaryColumn<'a> {
    col: Col,
    cell: Box<dyn Fn(&str) -> Cell<'a> + 'a>,
}

/// The summary's columns, in order: group, code and name; the overall satisfaction with its
/// interval; with `--compare`, its change since the previous run (percentage points, `mới`
/// for a unit not in it) and whether the change exceeds the sampling error (`có`, `không`,
/// empty without a standard error); the number of answers; each element's share satisfied;
/// the rank and rank interval of the overall satisfaction (with `ranks.csv`); the PAR INDEX
/// (with `--par`); the share of records returned late (with `--timeliness`).
pub(super) fn summary_columns<'a>(inputs: &'a Inputs) -> Vec<SummaryColumn<'a>> {
    let ix = &inputs.indices;
    let level = vi_level(ix.level);
    let overall = move |code: &str| ix.get(code, "overall", "satisfied_pct");
    let mut cols: Vec<SummaryColumn<'a>> = vec![
        SummaryColumn {
            col: text_col("Nhóm", 10.0, 26.0),
            cell: Box::new(move |code| {
                Cell::Owned(if code == "ALL" {
                    String::new()
                } else {
                    group_label(inputs.group_of(code))
                })
            }),
        },
        SummaryColumn {
            col: text_col("Mã đơn vị", 9.0, 14.0),
            cell: Box::new(|code| Cell::Owned(code.to_string())),
        },
        SummaryColumn {
            col: text_col("Tên đơn vị", 20.0, 45.0),
            cell: Box::new(move |code| Cell::Text(unit_name(inputs, code))),
        },
        SummaryColumn {
            col: col("Chỉ số hài lòng chung (%)", 12.0),
            cell: Box::new(move |code| Cell::Pct(overall(code).and_then(|o| o.estimate))),
        },
        SummaryColumn {
            col: col(format!("Cận dưới khoảng tin cậy {level} (%)"), 11.0),
            cell: Box::new(move |code| Cell::Pct(overall(code).and_then(|o| o.ci_lower))),
        },
        SummaryColumn {
            col: col(format!("Cận trên khoảng tin cậy {level} (%)"), 11.0),
            cell: Box::new(move |code| Cell::Pct(overall(code).and_then(|o| o.ci_upper))),
        },
    ];
    if inputs.comparison.is_some() {
        cols.push(SummaryColumn {
            col: col("Thay đổi so với năm trước (điểm %)", 11.0),
            cell: Box::new(move |code| match inputs.change(code) {
                Some(Some(c)) => Cell::Pct(c.difference),
                Some(None) => Cell::Text("mới"),
                None => Cell::Pct(None),
            }),
        });
        cols.push(SummaryColumn {
            col: col("Thay đổi vượt sai số chọn mẫu", 11.0),
            cell: Box::new(move |code| {
                Cell::Text(yes_no(
                    inputs.change(code).flatten().and_then(|c| c.significant),
                ))
            }),
        });
    }
    cols.push(SummaryColumn {
        col: col("Số phiếu có trả lời (n)", 10.0),
        cell: Box::new(move |code| Cell::Int(overall(code).map(|o| o.answers()))),
    });
    for element in ix.elements() {
        let indicator = format!("element:{element}");
        let title = format!("{} (% hài lòng)", inputs.indicator_label(&indicator));
        cols.push(SummaryColumn {
            col: col(title, 13.0),
            cell: Box::new(move |code| {
                Cell::Pct(
                    ix.get(code, &indicator, "satisfied_pct")
                        .and_then(|e| e.estimate),
                )
            }),
        });
    }
    if inputs.ranks.is_some() {
        let ranks = inputs.headline_ranks();
        for (title, pick) in [
            (
                "Hạng trong nhóm",
                (|r| r.rank) as fn(&super::inputs::Rank) -> Option<u64>,
            ),
            ("Hạng tốt nhất có thể", |r| r.rank_lower),
            ("Hạng kém nhất có thể", |r| r.rank_upper),
        ] {
            let ranks = ranks.clone();
            cols.push(SummaryColumn {
                col: col(title, 9.0),
                cell: Box::new(move |code| {
                    Cell::Int(
                        ranks
                            .iter()
                            .find(|r| r.domain == code)
                            .and_then(|r| pick(r)),
                    )
                }),
            });
        }
    }
    if let Some(par) = &inputs.par {
        cols.push(SummaryColumn {
            col: col("Chỉ số CCHC (%)", 10.0),
            cell: Box::new(move |code| {
                Cell::Pct(
                    par.units
                        .iter()
                        .find(|u| u.unit_code == code)
                        .and_then(|u| u.index),
                )
            }),
        });
    }
    if let Some(timeliness) = &inputs.timeliness {
        cols.push(SummaryColumn {
            col: col("Tỷ lệ hồ sơ trễ hạn (%)", 10.0),
            cell: Box::new(move |code| {
                let level = if code == "ALL" { "all" } else { "unit" };
                Cell::Pct(
                    timeliness
                        .iter()
                        .find(|t| t.level == level && t.domain == code)
                        .and_then(|t| t.late_pct),
                )
            }),
        });
    }
    cols
}

/// The summary's rows: the province first, then every unit that an input names, by group
/// (departments, districts, communes, other groups by code, units without a group last),
/// within a group by the rank of the overall satisfaction, units without a rank after the
/// ranked ones by name (in Vietnamese alphabetical order) and code.
fn summary_units(inputs: &Inputs) -> Vec<&str> {
    let mut codes: Vec<&str> = inputs
        .units
        .keys()
        .map(String::as_str)
        .filter(|c| *c != "ALL")
        .collect();
    for t in inputs.timeliness.iter().flatten() {
        if t.level == "unit" && t.domain != "ALL" && !codes.contains(&t.domain.as_str()) {
            codes.push(&t.domain);
        }
    }
    let ranks = inputs.headline_ranks();
    let rank = |code: &str| {
        ranks
            .iter()
            .find(|r| r.domain == code)
            .and_then(|r| r.rank)
            .unwrap_or(u64::MAX)
    };
    let group_order = |code: &str| match inputs.group_of(code) {
        Some("so") => (0, ""),
        Some("huyen") => (1, ""),
        Some("xa") => (2, ""),
        Some(g) if !g.is_empty() => (3, g),
        _ => (4, ""),
    };
    let mut keyed: Vec<_> = codes
        .into_iter()
        .map(|c| (group_order(c), rank(c), vi_sort_key(inputs.name_of(c)), c))
        .collect();
    keyed.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then(a.1.cmp(&b.1))
            .then_with(|| a.2.cmp(&b.2))
            .then(a.3.cmp(b.3))
    });
    let mut out = Vec::with_capacity(keyed.len() + 1);
    if inputs.indices.rows.iter().any(|r| r.domain == "ALL")
        || inputs.timeliness.iter().flatten().any(|t| t.level == "all")
    {
        out.push("ALL");
    }
    out.extend(keyed.into_iter().map(|k| k.3));
    out
}

/// A key that orders Vietnamese text as a dictionary does: letters first (a < ă < â < b …
/// d < đ …, whatever the case), then the tones (none, huyền, sắc, hỏi, ngã, nặng).
fn vi_sort_key(s: &str) -> (Vec<u32>, Vec<u8>) {
    let mut letters: Vec<u32> = Vec::new();
    let mut tones: Vec<u8> = Vec::new();
    for c in s.nfd().flat_map(char::to_lowercase) {
        let last = letters.len().wrapping_sub(1);
        match c {
            '\u{0306}' | '\u{0302}' | '\u{031B}' if !letters.is_empty() => {
                letters[last] += match c {
                    '\u{0306}' => 1,
                    '\u{0302}' => 2,
                    _ => 3,
                };
            }
            '\u{0300}' | '\u{0301}' | '\u{0309}' | '\u{0303}' | '\u{0323}' if !tones.is_empty() => {
                tones[last] = match c {
                    '\u{0300}' => 1,
                    '\u{0301}' => 2,
                    '\u{0309}' => 3,
                    '\u{0303}' => 4,
                    _ => 5,
                };
            }
            'đ' => {
                letters.push(('d' as u32) * 4 + 2);
                tones.push(0);
            }
            c => {
                letters.push((c as u32) * 4);
                tones.push(0);
            }
        }
    }
    (letters, tones)
}

/// `Tổng hợp`: one row per unit (see [`summary_columns`] and [`summary_units`]).
fn summary_table(inputs: &Inputs) -> Table<'_> {
    let columns = summary_columns(inputs);
    let rows = summary_units(inputs)
        .into_iter()
        .map(|code| {
            let mark = if code == "ALL" {
                Mark::Province
            } else {
                match flag_of(inputs, code, "overall").1 {
                    Mark::Plain if inputs.imprecise(code) => Mark::Imprecise,
                    m => m,
                }
            };
            (columns.iter().map(|c| (c.cell)(code)).collect(), mark)
        })
        .collect();
    let order = if inputs.ranks.is_some() {
        "trong mỗi nhóm theo hạng chỉ số hài lòng chung (đơn vị chưa có hạng xếp sau, theo tên)"
    } else {
        "trong mỗi nhóm theo tên đơn vị"
    };
    let mut t = Table::new(
        "Tổng hợp",
        columns.into_iter().map(|c| c.col).collect(),
        rows,
    );
    t.title = Some(&inputs.title);
    t.freeze_columns = 3;
    t.notes = vec![
        format!(
            "Dòng đầu: toàn tỉnh. Các đơn vị xếp theo nhóm (Sở, ban, ngành; Huyện, thị xã, \
             thành phố; Xã, phường, thị trấn), {order}."
        ),
        "Chỉ số hài lòng: tỷ lệ người trả lời hài lòng (%), có trọng số, kèm khoảng tin cậy; \
         các yếu tố cũng tính theo tỷ lệ hài lòng. Chi tiết từng chỉ tiêu ở trang «Chi tiết chỉ số»."
            .to_string(),
        "Dòng tô đỏ: tỷ lệ không hài lòng chung vượt ngưỡng với cả khoảng tin cậy; tô vàng: \
         ước lượng vượt ngưỡng; tô xám: chưa đủ chính xác để xếp hạng."
            .to_string(),
        "Các ô số giữ nguyên giá trị đầy đủ (tỷ lệ trên thang 0–100); dấu thập phân hiển thị \
         theo cài đặt ngôn ngữ của máy: máy đặt tiếng Việt hiển thị 98,80% và 1.234."
            .to_string(),
    ];
    t
}

/// `Thông tin chung`: the province's headline numbers, the method, the digests and the seed.
fn about_table(inputs: &Inputs) -> Table<'_> {
    let ix = &inputs.indices;
    let overall = inputs.overall();
    let dis = ix.get("ALL", "overall", "dissatisfied_pct");
    let level_label = vi_level(ix.level);
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
    lines.push(Some((
        "Trọng số".into(),
        Cell::Owned(weights_label(&ix.weights)),
    )));
    lines.push(Some((
        "Phiên bản chương trình tính chỉ số".into(),
        Cell::Text(&ix.engine_version),
    )));
    for (label, file, sha) in input_digests(ix) {
        lines.push(Some((
            format!("SHA-256 {label} ({file})"),
            Cell::Owned(sha),
        )));
    }
    if let Some(s) = &inputs.sample {
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
            Some(("Thiết kế mẫu".into(), Cell::Owned(design_words(&s.design)))),
        ]);
    } else {
        lines.push(Some((
            "Hạt giống ngẫu nhiên (seed)".into(),
            Cell::Text("chưa ghi (báo cáo lập không kèm manifest.json của mẫu)"),
        )));
    }
    let rows = lines
        .into_iter()
        .map(|line| match line {
            Some((label, value)) => (vec![Cell::Owned(label), value], Mark::Plain),
            None => (Vec::new(), Mark::Plain),
        })
        .collect();
    let mut t = Table::new(
        "Thông tin chung",
        vec![
            text_col("Nội dung", 30.0, 48.0),
            text_col("Giá trị", 30.0, 90.0),
        ],
        rows,
    );
    t.title = Some(&inputs.title);
    t.absent = "—";
    t.notes = vec![
        "Ghi chú: các ô số giữ nguyên giá trị đầy đủ của indices.csv (tỷ lệ tính trên thang 0–100)."
            .to_string(),
        "Dấu thập phân hiển thị theo cài đặt ngôn ngữ của máy: máy đặt tiếng Việt hiển thị 98,80%."
            .to_string(),
    ];
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Ordering;

    #[test]
    fn vietnamese_names_sort_as_in_a_dictionary() {
        let mut names = vec![
            "Yên Lạc",
            "Đà Bắc",
            "ấp Mới",
            "Bình Minh",
            "An Lão",
            "Ân Thi",
            "Dương Kinh",
            "An Biên",
            "Ơn",
        ];
        names.sort_by_key(|n| vi_sort_key(n));
        assert_eq!(
            names,
            [
                "An Biên",
                "An Lão",
                "Ân Thi",
                "ấp Mới",
                "Bình Minh",
                "Dương Kinh",
                "Đà Bắc",
                "Ơn",
                "Yên Lạc"
            ]
        );
        // Tones come after the letters: "Ba" < "Bà" < "Bá" < "Bả" < "Bã" < "Bạ" < "Bac".
        let mut tones = vec!["Bac", "Bạ", "Bã", "Bả", "Bá", "Bà", "Ba"];
        tones.sort_by_key(|n| vi_sort_key(n));
        assert_eq!(tones, ["Ba", "Bà", "Bá", "Bả", "Bã", "Bạ", "Bac"]);
        assert_eq!(
            vi_sort_key("HUYỆN").cmp(&vi_sort_key("huyện")),
            Ordering::Equal
        );
    }

    #[test]
    fn a_page_header_stays_within_excels_limit() {
        assert_eq!(header_text("A & B"), "A && B");
        let long = "Báo cáo & ".repeat(40);
        let h = header_text(&long);
        assert!(h.ends_with('…'));
        let whole = format!("&C&\"-,Bold\"{h}");
        assert!(whole.encode_utf16().count() <= 255, "{}", whole.len());
        assert_eq!(header_text("dòng một\ndòng hai"), "dòng mộtdòng hai");
    }

    #[test]
    fn header_lines_are_counted_by_words() {
        assert_eq!(wrapped_lines("Mã đơn vị", 11.0), 1);
        assert_eq!(wrapped_lines("Cận dưới khoảng tin cậy 95% (%)", 11.0), 4);
        assert_eq!(wrapped_lines("", 10.0), 1);
    }

    fn inputs() -> (tempfile::TempDir, Inputs) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("indices.csv"),
            "domain,indicator,measure,estimate,std_error,ci_lower,ci_upper,ci_method,n,df\n\
             ALL,overall,satisfied_pct,90.5,1.2,87.9,92.6,logit,400,398\n\
             XA01,overall,satisfied_pct,88,2,83.5,91.4,logit,200,199\n\
             XA02,overall,satisfied_pct,93,1.5,89.4,95.4,logit,200,199\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("indices.json"),
            r#"{"questionnaire": "SIPAS", "settings": {"ci_method": "logit", "level": 0.95},
                "weights": "N_h / m_h from the sample", "engine_version": "0.1.0", "rows": []}"#,
        )
        .unwrap();
        let inputs = Inputs::load(&super::super::Sources::new(dir.path())).unwrap();
        (dir, inputs)
    }

    #[test]
    fn with_a_comparison_the_change_goes_right_after_the_overall_interval() {
        let (_dir, mut inputs) = inputs();
        let titles = |inputs: &Inputs| -> Vec<String> {
            summary_columns(inputs)
                .into_iter()
                .map(|c| c.col.title)
                .collect()
        };
        let without = titles(&inputs);
        let unit = inputs.indices.units()[0].to_string();
        inputs.comparison = Some(vec![crate::files::comparison::ComparisonRow {
            domain: unit.clone(),
            indicator: "overall".into(),
            measure: "satisfied_pct".into(),
            previous: Some(80.0),
            current: Some(78.5),
            difference: Some(-1.5),
            std_error: Some(0.5),
            ci_lower: Some(-2.48),
            ci_upper: Some(-0.52),
            significant: Some(true),
        }]);
        let with = titles(&inputs);
        let at = without
            .iter()
            .position(|t| t == "Cận trên khoảng tin cậy 95% (%)")
            .unwrap();
        assert_eq!(with.len(), without.len() + 2);
        assert_eq!(with[at + 1], "Thay đổi so với năm trước (điểm %)");
        assert_eq!(with[at + 2], "Thay đổi vượt sai số chọn mẫu");
        assert_eq!(with[..=at], without[..=at]);
        assert_eq!(with[at + 3..], without[at + 1..]);
        // Its cells come from the unit's code; a unit not compared is new.
        let cols = summary_columns(&inputs);
        assert!(matches!((cols[at + 1].cell)(&unit), Cell::Pct(Some(v)) if v == -1.5));
        assert!(matches!((cols[at + 2].cell)(&unit), Cell::Text("có")));
        assert!(matches!(
            (cols[at + 1].cell)("NOT-A-UNIT"),
            Cell::Text("mới")
        ));
        assert!(matches!((cols[at + 2].cell)("NOT-A-UNIT"), Cell::Text("")));
    }

    #[test]
    fn the_province_comes_first_then_units_by_name_without_groups() {
        let (_dir, inputs) = inputs();
        assert_eq!(summary_units(&inputs), ["ALL", "XA01", "XA02"]);
    }
}
