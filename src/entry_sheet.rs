//! `chiso entry-sheet`: a data-entry workbook for the forms of a sample, which the clerks
//! fill in and which `chiso index`, `chiso fieldwork` and `chiso entry-compare` read back as
//! it is (`contract.md` §17).
//!
//! The workbook is made from the sample's directory (`sample.csv` checked against its
//! manifest, [`SampleDir`]) and the questionnaire, so that it cannot drift from either:
//!
//! - its first sheet, [`INSTRUCTIONS`] ("Hướng dẫn"), says in Vietnamese what to fill and how
//!   to hand the file back, and lists the dispositions, the answers and the items; the
//!   drop-down lists of the other sheets are its cells;
//! - then one sheet per stratum, named as `sample.xlsx` names it
//!   ([`crate::files::sample_xlsx::sheet_names`]), with the stratum's officials then its
//!   reserves in rank order, under the header [`FIXED`] (and the contact columns of
//!   `sample.csv` that it has, [`CONTACT`]), then `disposition` and one column per item,
//!   headed by the item's code (its text in the header cell's note). The identifiers are text
//!   cells (leading zeros kept); the sheet is protected and only the cells of `disposition`
//!   and the items are unlocked, each with a drop-down list: the Vietnamese names of the
//!   dispositions ([`DISPOSITIONS`]), the scale's labels and no-answer labels (or its codes
//!   when it has no labels).
//!
//! The workbook carries the defined name `chiso_entry_sheet`: by it the readers
//! of responses know an entry workbook and read all its stratum sheets as one table
//! (the input reader, `table`), skipping the rows nobody has entered yet. The same sample and
//! questionnaire give the same bytes: the creation date is fixed
//! ([`crate::files::sample_xlsx::CREATED`]).

use std::path::{Path, PathBuf};

use rust_xlsxwriter::{
    Color, DataValidation, DataValidationErrorStyle, DocProperties, ExcelDateTime, Format,
    FormatBorder, Formula, Note, ProtectionOptions, Workbook, XlsxError,
};

use crate::disposition::Disposition;
use crate::error::{Error, ErrorKind, Result};
use crate::files::sample::SampleDir;
use crate::files::sample_xlsx::{self, CREATED, SampleStrata, role_label};
use crate::questionnaire::Questionnaire;

/// The name of the instructions sheet, the workbook's first.
pub const INSTRUCTIONS: &str = "Hướng dẫn";

/// The columns every stratum sheet starts with, locked: from `sample.csv`.
pub const FIXED: [&str; 4] = ["applicant_id", "stratum", "role", "rank"];

/// The contact columns of `sample.csv` shown after [`FIXED`] when it has them, locked: the
/// workbook is the interviewers' and clerks' list, as `sample.csv` is.
pub const CONTACT: [&str; 3] = ["applicant_name", "phone", "address"];

/// The disposition column, the first one the clerks fill; the items follow it.
pub const DISPOSITION: &str = "disposition";

/// The names offered in the disposition drop-down list, one per disposition, in Vietnamese
/// (`contract.md` §8).
pub const DISPOSITIONS: [(&str, Disposition); 5] = [
    ("Hoàn thành", Disposition::Complete),
    ("Trả lời một phần", Disposition::Partial),
    ("Từ chối", Disposition::Refusal),
    ("Không liên lạc được", Disposition::NonContact),
    ("Không thuộc đối tượng khảo sát", Disposition::Ineligible),
];

/// What `chiso entry-sheet` needs.
#[derive(Clone, Debug)]
pub struct EntrySheetRequest {
    /// The sample's directory (`sample.csv` and `manifest.json`).
    pub sample: PathBuf,
    /// The questionnaire whose items and answers the workbook asks for.
    pub questionnaire: Questionnaire,
    /// The workbook to write (`.xlsx`).
    pub out: PathBuf,
    /// Replace an existing file at `out` (which may hold the clerks' work).
    pub force: bool,
}

/// What was written.
#[derive(Clone, Debug)]
pub struct EntrySheetOutput {
    /// The stratum sheets' names, in order.
    pub sheets: Vec<String>,
    /// The rows listed (officials and reserves).
    pub rows: usize,
    /// The file written.
    pub written: PathBuf,
}

impl EntrySheetOutput {
    /// The lines the program prints.
    pub fn summary(&self) -> String {
        format!(
            "entry workbook: {} sheet(s) of strata, {} applicant(s) (officials then reserves)\n",
            self.sheets.len(),
            self.rows
        )
    }
}

/// Writes the entry workbook of the sample in `request.sample`.
pub fn run(request: &EntrySheetRequest) -> Result<EntrySheetOutput> {
    let out = &request.out;
    let ext = out
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    if ext.as_deref() != Some("xlsx") {
        return Err(Error::setting(
            "out",
            out.display(),
            "expected a file name ending in .xlsx",
        ));
    }
    if out.exists() && !request.force {
        // It may hold the clerks' entries.
        return Err(ErrorKind::OutputExists { path: out.clone() }.into());
    }
    let dir = SampleDir::open(&request.sample)?;
    let bytes = std::fs::read(&dir.csv).map_err(|e| Error::io(&dir.csv, e))?;
    let strata = SampleStrata::read(&bytes).map_err(|e| xlsx_error(&dir.csv, e))?;
    for c in ["applicant_id", "stratum", "role", "rank"] {
        if strata.column(c).is_none() {
            return Err(ErrorKind::MissingColumns {
                file: dir.csv.display().to_string(),
                missing: vec![c.to_string()],
                found: strata.headers.clone(),
            }
            .into());
        }
    }
    let workbook = workbook(&strata, &request.questionnaire).map_err(|e| xlsx_error(out, e))?;
    write_file(out, &workbook)?;
    Ok(EntrySheetOutput {
        sheets: strata.strata.iter().map(|s| s.sheet.clone()).collect(),
        rows: strata.strata.iter().map(|s| s.rows.len()).sum(),
        written: out.clone(),
    })
}

fn xlsx_error(path: &Path, e: XlsxError) -> Error {
    ErrorKind::Malformed {
        at: crate::Position::file(path.display().to_string()),
        message: e.to_string(),
    }
    .into()
}

/// Writes `bytes` to `path` whole or not at all: into a temporary file beside it, then
/// renamed.
fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(parent).map_err(|e| Error::io(parent, e))?;
    std::io::Write::write_all(&mut tmp, bytes).map_err(|e| Error::io(path, e))?;
    tmp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

/// The answers offered for every item: the scale's labels and no-answer labels, or, when it
/// has no labels, its codes (the values, then the no-answer codes).
pub fn answer_choices(q: &Questionnaire) -> Vec<String> {
    let scale = &q.scale;
    if scale.has_labels() {
        scale
            .labels()
            .chain(scale.missing_labels())
            .map(String::from)
            .collect()
    } else {
        (scale.min..=scale.max)
            .chain(scale.missing().iter().copied())
            .map(|v| v.to_string())
            .collect()
    }
}

/// A cell reference `$A$n` on the instructions sheet, for the drop-down lists.
fn list_range(first: u32, last: u32) -> Formula {
    Formula::new(format!(
        "='{INSTRUCTIONS}'!$A${}:$A${}",
        first + 1,
        last + 1
    ))
}

/// The workbook's bytes.
pub fn workbook(
    strata: &SampleStrata,
    q: &Questionnaire,
) -> std::result::Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let properties = DocProperties::new()
        .set_title("Phiếu nhập liệu khảo sát")
        .set_creation_datetime(&ExcelDateTime::from_ymd(CREATED.0, CREATED.1, CREATED.2)?);
    book.set_properties(&properties);
    let bold = Format::new().set_bold();
    let title = Format::new().set_bold().set_font_size(14);
    let header = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xDDEBF7))
        .set_border_bottom(FormatBorder::Thin);
    let entry_header = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xFFF2CC))
        .set_border_bottom(FormatBorder::Thin);
    let text = Format::new().set_num_format("@");
    let entry = Format::new()
        .set_num_format("@")
        .set_unlocked()
        .set_background_color(Color::RGB(0xFFFDE7));
    let number = Format::new();
    let choices = answer_choices(q);

    // The instructions, and the lists the drop-downs take their choices from.
    let ws = book.add_worksheet();
    ws.set_name(INSTRUCTIONS)?;
    ws.set_column_width(0, 34.0)?;
    ws.set_column_width(1, 90.0)?;
    let mut r = 0u32;
    ws.write_string_with_format(r, 0, format!("Phiếu nhập liệu: {}", q.name), &title)?;
    r += 2;
    let lines = [
        "Mỗi trang sau trang này là một tầng mẫu (đơn vị): danh sách chính thức theo thứ tự, rồi danh sách dự phòng theo thứ tự.",
        "Với mỗi người đã liên hệ, chọn Tình trạng phiếu ở cột disposition (danh sách thả xuống, xem bảng dưới).",
        "Với phiếu Hoàn thành hoặc Trả lời một phần, chọn câu trả lời cho từng câu hỏi ở các cột mang mã câu hỏi (danh sách thả xuống); để trống câu không trả lời.",
        "Phiếu Từ chối, Không liên lạc được, Không thuộc đối tượng khảo sát: không ghi câu trả lời nào.",
        "Để nguyên dòng của người chưa liên hệ (không chọn tình trạng, không ghi câu trả lời): dòng đó được coi là chưa nhập và bỏ qua.",
        "Không sửa các cột applicant_id, stratum, role, rank và thông tin liên hệ; không đổi tên, thêm, xóa hay sắp xếp lại các trang, các cột và tiêu đề.",
        "Lưu tệp ở định dạng Excel (.xlsx) và gửi lại tệp này nguyên trạng; tệp được đọc bằng: chiso index --responses TỆP.xlsx --questionnaire … --sample …",
        "Hai người nhập cùng một bộ phiếu vào hai bản của tệp này thì so sánh bằng: chiso entry-compare --first BẢN1.xlsx --second BẢN2.xlsx --questionnaire …",
    ];
    let wrap = Format::new().set_text_wrap();
    for (k, line) in lines.iter().enumerate() {
        ws.write_string(r, 0, format!("{}.", k + 1))?;
        ws.write_string_with_format(r, 1, *line, &wrap)?;
        r += 1;
    }
    r += 1;
    ws.write_string_with_format(r, 0, "Tình trạng phiếu (disposition)", &bold)?;
    ws.write_string_with_format(r, 1, "Ý nghĩa", &bold)?;
    r += 1;
    let dispositions_at = r;
    for (name, d) in DISPOSITIONS {
        let meaning = match d {
            Disposition::Complete => "đã trả lời đủ phiếu",
            Disposition::Partial => "đã trả lời một phần phiếu",
            Disposition::Refusal => "từ chối trả lời",
            Disposition::NonContact => "đã liên hệ nhưng không liên lạc được",
            Disposition::Ineligible => "không thuộc đối tượng khảo sát",
        };
        ws.write_string_with_format(r, 0, name, &text)?;
        ws.write_string(r, 1, format!("{meaning} ({})", d.as_str()))?;
        r += 1;
    }
    r += 1;
    ws.write_string_with_format(r, 0, "Câu trả lời", &bold)?;
    ws.write_string_with_format(r, 1, "Mã", &bold)?;
    r += 1;
    let choices_at = r;
    let labelled = q.scale.has_labels();
    for (k, c) in choices.iter().enumerate() {
        ws.write_string_with_format(r, 0, c, &text)?;
        let code = if !labelled {
            String::new()
        } else if k < usize::from(q.scale.max - q.scale.min) + 1 {
            (q.scale.min + k as u8).to_string()
        } else {
            "không trả lời".to_string()
        };
        ws.write_string(r, 1, code)?;
        r += 1;
    }
    r += 1;
    ws.write_string_with_format(r, 0, "Câu hỏi (mã)", &bold)?;
    ws.write_string_with_format(r, 1, "Nội dung", &bold)?;
    r += 1;
    for (k, code) in q.items.iter().enumerate() {
        ws.write_string_with_format(r, 0, code, &text)?;
        ws.write_string(r, 1, q.item_text(k).unwrap_or(""))?;
        r += 1;
    }
    ws.protect();
    ws.set_active(true);

    let dispositions = DataValidation::new()
        .allow_list_formula(list_range(
            dispositions_at,
            dispositions_at + DISPOSITIONS.len() as u32 - 1,
        ))
        .set_error_style(DataValidationErrorStyle::Stop)
        .set_error_title("Tình trạng phiếu")?
        .set_error_message("Chọn một tình trạng trong danh sách thả xuống.")?;
    let answers = DataValidation::new()
        .allow_list_formula(list_range(
            choices_at,
            choices_at + choices.len() as u32 - 1,
        ))
        .set_error_style(DataValidationErrorStyle::Stop)
        .set_error_title("Câu trả lời")?
        .set_error_message("Chọn một câu trả lời trong danh sách thả xuống, hoặc để trống.")?;

    // The columns of each stratum sheet: those of sample.csv, then the entry columns.
    let shown: Vec<(&str, usize)> = FIXED
        .iter()
        .chain(CONTACT.iter())
        .filter_map(|&c| strata.column(c).map(|i| (c, i)))
        .collect();
    let first_entry = shown.len() as u16;
    let entry_columns = 1 + q.items.len() as u16;
    for stratum in &strata.strata {
        let ws = book.add_worksheet();
        ws.set_name(&stratum.sheet)?;
        for (c, &(column, i)) in shown.iter().enumerate() {
            let c = c as u16;
            ws.write_string_with_format(0, c, column, &header)?;
            let widest = stratum
                .rows
                .iter()
                .map(|row| {
                    let v = row.get(i).map_or("", String::as_str);
                    let v = if column == "role" { role_label(v) } else { v };
                    v.chars().count()
                })
                .max()
                .unwrap_or(0)
                .max(column.chars().count());
            ws.set_column_width(c, (widest as f64 + 2.0).clamp(6.0, 50.0))?;
        }
        ws.write_string_with_format(0, first_entry, DISPOSITION, &entry_header)?;
        ws.set_column_width(first_entry, 30.0)?;
        let widest_choice = choices.iter().map(|c| c.chars().count()).max().unwrap_or(0);
        for (k, code) in q.items.iter().enumerate() {
            let c = first_entry + 1 + k as u16;
            ws.write_string_with_format(0, c, code, &entry_header)?;
            ws.set_column_width(c, (widest_choice as f64 + 2.0).clamp(6.0, 24.0))?;
            if let Some(t) = q.item_text(k) {
                ws.insert_note(0, c, &Note::new(t).add_author_prefix(false))?;
            }
        }
        for (r, row) in stratum.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, &(column, i)) in shown.iter().enumerate() {
                let c = c as u16;
                let v = row.get(i).map_or("", String::as_str);
                match column {
                    "rank" => match v.parse::<u32>() {
                        Ok(n) => ws.write_number_with_format(r, c, f64::from(n), &number)?,
                        Err(_) => ws.write_string_with_format(r, c, v, &text)?,
                    },
                    "role" => ws.write_string_with_format(r, c, role_label(v), &text)?,
                    _ if v.is_empty() => ws.write_blank(r, c, &text)?,
                    _ => ws.write_string_with_format(r, c, v, &text)?,
                };
            }
            for c in first_entry..first_entry + entry_columns {
                ws.write_blank(r, c, &entry)?;
            }
        }
        let last = stratum.rows.len() as u32;
        if last > 0 {
            ws.add_data_validation(1, first_entry, last, first_entry, &dispositions)?;
            if !q.items.is_empty() {
                ws.add_data_validation(
                    1,
                    first_entry + 1,
                    last,
                    first_entry + entry_columns - 1,
                    &answers,
                )?;
            }
        }
        // Columns and rows may be widened to read them; nothing else but the entry cells
        // changes.
        ws.protect_with_options(&ProtectionOptions {
            format_columns: true,
            format_rows: true,
            ..ProtectionOptions::default()
        });
        sample_xlsx::print_setup(ws, "Phiếu nhập liệu")?;
    }
    book.define_name(
        crate::table::ENTRY_WORKBOOK,
        &format!("='{INSTRUCTIONS}'!$A$1"),
    )?;
    book.save_to_buffer()
}
