//! `sample.xlsx`: the interviewers' list as a workbook, written by `chiso sample` beside
//! `sample.csv` and made from it alone (the same rows, nothing else), so that an office can
//! open and print the list without a spreadsheet guessing at its cells: identifiers, phone
//! numbers and dates are text cells, their leading zeros kept (`001085012345`, `0901234567`).
//!
//! One sheet per stratum, in the file's order ([`sheet_names`]: the stratum's label, with the
//! unit's name when the stratum is one unit, made a valid and unique sheet name), each with
//! its officials in rank order, then its reserves in rank order ([`COLUMNS`] that the file
//! has, under Vietnamese headers); the header row bold and frozen, the columns as wide as
//! their text, and ready to print: landscape A4, fitted to the page's width, the header row
//! repeated on every page, gridlines printed, the sheet's name at the top of each page and
//! its page number at the bottom. Every text is written as a text cell (`write_string`),
//! never as a formula; only `rank` is a number. The same `sample.csv` gives the same bytes:
//! the workbook's creation date is fixed ([`CREATED`]).
//!
//! `chiso verify` checks `sample.csv` with its manifest, not this file: it is derived from
//! `sample.csv` and made again from it by any run of `chiso sample` with the same inputs.

use rust_xlsxwriter::{
    Color, DocProperties, ExcelDateTime, Format, FormatBorder, Workbook, XlsxError,
};

use crate::output::restore;

/// The columns of `sample.csv` the workbook shows, in order, with their Vietnamese headers:
/// each one that `sample.csv` has. The sizes, weights and draw keys are left in `sample.csv`.
pub const COLUMNS: [(&str, &str); 19] = [
    ("role", "Danh sách"),
    ("rank", "Thứ tự"),
    ("applicant_id", "Số định danh (CCCD/MST)"),
    ("applicant_name", "Họ và tên"),
    ("phone", "Số điện thoại"),
    ("address", "Địa chỉ"),
    ("record_id", "Mã hồ sơ"),
    ("unit_code", "Mã đơn vị"),
    ("unit_name", "Tên đơn vị"),
    ("unit_group", "Nhóm đơn vị"),
    ("procedure_code", "Mã thủ tục"),
    ("field", "Lĩnh vực"),
    ("channel", "Kênh nộp"),
    ("received_date", "Ngày tiếp nhận"),
    ("due_date", "Ngày hẹn trả"),
    ("returned_date", "Ngày trả kết quả"),
    ("officer_id", "Mã cán bộ"),
    ("applicant_type", "Loại người nộp"),
    ("stratum", "Tầng mẫu"),
];

/// The workbook's creation date in its document properties: fixed, so that the same
/// `sample.csv` always gives the same bytes.
pub const CREATED: (u16, u8, u8) = (2000, 1, 1);

/// The text of `role` in the workbook: `official` is "chính thức", `reserve` "dự phòng".
pub fn role_label(role: &str) -> &str {
    match role {
        "official" => "chính thức",
        "reserve" => "dự phòng",
        other => other,
    }
}

/// A list sheet ready to print: the header row frozen and repeated on every page, landscape
/// A4 fitted to the page's width, gridlines, the sheet's name and `title` at the top of each
/// page and `Trang P / N` at the bottom.
pub fn print_setup(ws: &mut rust_xlsxwriter::Worksheet, title: &str) -> Result<(), XlsxError> {
    ws.set_freeze_panes(1, 0)?;
    ws.set_repeat_rows(0, 0)?;
    ws.set_landscape();
    ws.set_paper_size(9);
    ws.set_print_fit_to_pages(1, 0);
    ws.set_print_gridlines(true);
    ws.set_header(format!("&L&A&R{title}"));
    ws.set_footer("&CTrang &P / &N");
    Ok(())
}

/// The longest sheet name a workbook accepts (in UTF-16 code units).
const MAX_SHEET_NAME: usize = 31;

/// A sheet name for each stratum, in order: the stratum's label (`label`), followed by the
/// unit's name (`unit`) when there is one; every character a sheet name may not hold
/// (`[ ] : * ? / \` and control characters) replaced by `-`, apostrophes taken off its ends,
/// cut to 31 characters; an empty one is "Tầng N" (N from 1); a name met before (letter case
/// aside, and Excel's reserved "History") gets " (2)", " (3)", … within the 31 characters.
pub fn sheet_names<'a>(
    strata: impl IntoIterator<Item = (&'a str, Option<&'a str>)>,
) -> Vec<String> {
    let mut taken: std::collections::HashSet<String> =
        std::iter::once("history".to_string()).collect();
    let mut names = Vec::new();
    for (i, (label, unit)) in strata.into_iter().enumerate() {
        let whole = match unit {
            Some(u) if !u.trim().is_empty() => format!("{label} {u}"),
            _ => label.to_string(),
        };
        let cleaned: String = whole
            .chars()
            .map(|c| {
                if "[]:*?/\\".contains(c) || c.is_control() {
                    '-'
                } else {
                    c
                }
            })
            .collect();
        let mut base = cut(cleaned.trim().trim_matches('\'').trim(), MAX_SHEET_NAME);
        if base.is_empty() {
            base = format!("Tầng {}", i + 1);
        }
        let mut name = base.clone();
        let mut k = 1;
        while taken.contains(&name.to_lowercase()) {
            k += 1;
            let suffix = format!(" ({k})");
            let head = cut(&base, MAX_SHEET_NAME - suffix.len());
            name = format!("{}{suffix}", head.trim_end_matches('\''));
        }
        taken.insert(name.to_lowercase());
        names.push(name);
    }
    names
}

/// `s` cut to at most `max` UTF-16 code units, at a character boundary, trimmed at its end.
fn cut(s: &str, max: usize) -> String {
    let mut out = String::new();
    let mut len = 0;
    for c in s.chars() {
        len += c.len_utf16();
        if len > max {
            break;
        }
        out.push(c);
    }
    out.trim_end().trim_end_matches('\'').to_string()
}

/// The rows of `sample.csv` by stratum: its header, and each stratum's label, sheet name
/// ([`sheet_names`]) and rows, in the order the strata first appear (sample.csv lists each
/// stratum's officials in rank order, then its reserves). Cells are read back as written
/// ([`restore`]); blank rows are left out.
pub struct SampleStrata {
    /// The header of `sample.csv`.
    pub headers: Vec<String>,
    /// Per stratum: its label, its sheet's name and its rows.
    pub strata: Vec<SampleStratum>,
}

/// One stratum of [`SampleStrata`].
pub struct SampleStratum {
    /// The stratum's label.
    pub label: String,
    /// Its sheet's name in a workbook ([`sheet_names`]).
    pub sheet: String,
    /// Its rows, in the file's order.
    pub rows: Vec<Vec<String>>,
}

impl SampleStrata {
    /// Reads the bytes of `sample.csv` (with or without the byte-order mark).
    pub fn read(sample_csv: &[u8]) -> Result<SampleStrata, XlsxError> {
        let bytes = sample_csv
            .strip_prefix(crate::output::BOM)
            .unwrap_or(sample_csv);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(bytes);
        let bad = |e: csv::Error| XlsxError::ParameterError(format!("sample.csv: {e}"));
        let headers: Vec<String> = reader
            .headers()
            .map_err(bad)?
            .iter()
            .map(|h| restore(h).to_string())
            .collect();
        let at = |name: &str| headers.iter().position(|h| h == name);
        let (stratum, unit_code, unit_name) = (at("stratum"), at("unit_code"), at("unit_name"));
        let mut strata: Vec<(String, Vec<Vec<String>>)> = Vec::new();
        let mut index: std::collections::HashMap<String, usize> = Default::default();
        for record in reader.records() {
            let record = record.map_err(bad)?;
            let cells: Vec<String> = record.iter().map(|c| restore(c).to_string()).collect();
            if cells.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            let label = stratum
                .and_then(|i| cells.get(i))
                .cloned()
                .unwrap_or_default();
            let k = *index.entry(label.clone()).or_insert_with(|| {
                strata.push((label, Vec::new()));
                strata.len() - 1
            });
            strata[k].1.push(cells);
        }
        // A stratum that is one unit is named by its code and the unit's name.
        let units: Vec<Option<&str>> = strata
            .iter()
            .map(|(label, rows)| {
                let (code, name) = (unit_code?, unit_name?);
                let first = rows.first()?;
                let one_unit = rows
                    .iter()
                    .all(|r| r.get(code) == first.get(code) && r.get(name) == first.get(name));
                (one_unit && first.get(code).map(String::as_str) == Some(label.as_str()))
                    .then(|| first.get(name).map(String::as_str))
                    .flatten()
            })
            .collect();
        let names = sheet_names(
            strata
                .iter()
                .zip(&units)
                .map(|((label, _), unit)| (label.as_str(), *unit)),
        );
        let strata = strata
            .into_iter()
            .zip(names)
            .map(|((label, rows), sheet)| SampleStratum { label, sheet, rows })
            .collect();
        Ok(SampleStrata { headers, strata })
    }

    /// The index of the column `name` of `sample.csv`.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == name)
    }
}

/// The workbook's bytes, made from the bytes of `sample.csv` (with or without the byte-order
/// mark; its cells read back as written, [`restore`]).
pub fn from_sample_csv(sample_csv: &[u8]) -> Result<Vec<u8>, XlsxError> {
    let read = SampleStrata::read(sample_csv)?;
    let shown: Vec<(usize, &str, &str)> = COLUMNS
        .iter()
        .filter_map(|&(c, title)| read.column(c).map(|i| (i, c, title)))
        .collect();
    let mut workbook = Workbook::new();
    let properties = DocProperties::new()
        .set_title("Danh sách phỏng vấn")
        .set_creation_datetime(&ExcelDateTime::from_ymd(CREATED.0, CREATED.1, CREATED.2)?);
    workbook.set_properties(&properties);
    let header = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xDDEBF7))
        .set_border_bottom(FormatBorder::Thin);
    // Text cells in the "@" (Text) number format: what is typed into them stays text too.
    let text = Format::new().set_num_format("@");
    let number = Format::new();
    for SampleStratum {
        sheet: name, rows, ..
    } in &read.strata
    {
        // Rows go to a temporary file as they are written, texts inline: no table of every
        // text (a sample's cells are mostly written once), and the memory of one row. The
        // file is anonymous (`tempfile::tempfile_in`: removed by the system when closed, also
        // when the run is killed), so the contact details in it never stay on disk.
        let ws = workbook.add_worksheet_with_constant_memory()?;
        ws.set_name(name)?;
        for (c, &(i, column, title)) in shown.iter().enumerate() {
            let c = c as u16;
            ws.write_string_with_format(0, c, title, &header)?;
            let widest = rows
                .iter()
                .map(|r| {
                    let v = r.get(i).map_or("", String::as_str);
                    let v = if column == "role" { role_label(v) } else { v };
                    v.chars().count()
                })
                .max()
                .unwrap_or(0)
                .max(title.chars().count());
            ws.set_column_width(c, (widest as f64 + 2.0).clamp(6.0, 50.0))?;
            if column != "rank" {
                ws.set_column_format(c, &text)?;
            }
        }
        for (r, row) in rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, &(i, column, _)) in shown.iter().enumerate() {
                let c = c as u16;
                let v = row.get(i).map_or("", String::as_str);
                match column {
                    "rank" => {
                        match v.parse::<u32>() {
                            Ok(n) => ws.write_number_with_format(r, c, f64::from(n), &number)?,
                            Err(_) => ws.write_string_with_format(r, c, v, &text)?,
                        };
                    }
                    "role" => {
                        ws.write_string_with_format(r, c, role_label(v), &text)?;
                    }
                    _ if v.is_empty() => {}
                    _ => {
                        ws.write_string_with_format(r, c, v, &text)?;
                    }
                }
            }
        }
        print_setup(ws, "Danh sách phỏng vấn")?;
    }
    if read.strata.is_empty() {
        // A sample with no rows still opens: one sheet with the header.
        let ws = workbook.add_worksheet();
        ws.set_name("Danh sách")?;
        for (c, &(_, _, title)) in shown.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, title, &header)?;
        }
    }
    workbook.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid(name: &str) -> bool {
        !name.is_empty()
            && name.encode_utf16().count() <= 31
            && !name.contains(['[', ']', ':', '*', '?', '/', '\\'])
            && !name.starts_with('\'')
            && !name.ends_with('\'')
            && !name.chars().any(char::is_control)
    }

    #[test]
    fn sheet_names_are_valid_unique_and_named_after_the_stratum() {
        let long = "Ủy ban nhân dân xã Đông Hưng Thuận thành phố Hồ Chí Minh";
        let strata = [
            ("U01", Some("Sở Nội vụ")),
            ("SNV|direct", None),
            ("a/b:c*d?e[f]g\\h", None),
            ("'quoted'", None),
            ("", None),
            ("History", None),
            (long, None),
            (long, Some("x")),
            ("u01", Some("sở nội vụ")),
            ("\t\n", None),
        ];
        let names = sheet_names(strata);
        assert_eq!(names[0], "U01 Sở Nội vụ");
        assert_eq!(names[1], "SNV|direct");
        assert_eq!(names[2], "a-b-c-d-e-f-g-h");
        assert_eq!(names[3], "quoted");
        assert_eq!(names[4], "Tầng 5");
        assert_eq!(names[5], "History (2)");
        assert_eq!(names[6].encode_utf16().count(), 31);
        assert!(long.starts_with(&names[6]));
        assert!(names[7].ends_with(" (2)") && names[7].encode_utf16().count() <= 31);
        assert_eq!(names[8], "u01 sở nội vụ (2)");
        let lower: std::collections::HashSet<String> =
            names.iter().map(|n| n.to_lowercase()).collect();
        assert_eq!(lower.len(), names.len());
        for n in &names {
            assert!(valid(n), "{n:?}");
        }
        // Each of them is accepted by the workbook writer.
        let mut wb = Workbook::new();
        for n in &names {
            wb.add_worksheet().set_name(n).unwrap();
        }
        assert!(wb.save_to_buffer().is_ok());
    }

    #[test]
    fn a_name_made_of_characters_outside_the_basic_plane_is_cut_by_utf16_length() {
        let name = "😀".repeat(20);
        let names = sheet_names([(name.as_str(), None), (name.as_str(), None)]);
        assert_eq!(names[0].encode_utf16().count(), 30);
        assert!(valid(&names[1]) && names[1].ends_with(" (2)"), "{names:?}");
    }
}
