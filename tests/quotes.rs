//! A stray double quote in a CSV input opens a quoted cell that runs over the lines after it.
//! Such a file is refused as a whole (exit 2, nothing written), naming the line where the
//! quote opens and never what the cells hold, instead of its rows being read as one cell or
//! one rejected row; a quoted cell over several lines in a row of the right shape (an
//! address) is read. `chiso sample` reads the records, `chiso index` the responses, through
//! the same reader.

use crate::util::*;

/// `chiso sample` on `text`; the exit status, standard output and error.
fn sample(dir: &Dir, text: &str) -> (Option<i32>, String, String) {
    dir.write("records.csv", text);
    let o = sample_cli(
        dir,
        "records.csv",
        DESIGN,
        "s",
        "out",
        &["--max-rejected", "1"],
    );
    let (out, err) = crate::util::text(&o);
    (o.status.code(), out, err)
}

/// Refused with exit 2, nothing written, a message that shows none of `secrets`: the message.
fn refused(dir: &Dir, (code, out, err): (Option<i32>, String, String), secrets: &[&str]) -> String {
    assert_eq!(code, Some(2), "{out}{err}");
    assert!(dir.files("out").is_empty(), "nothing is written");
    for s in secrets {
        assert!(!err.contains(s), "the message shows {s:?}: {err}");
    }
    err
}

#[test]
fn sample_refuses_an_unclosed_quote_in_the_last_column_at_the_end_of_the_file() {
    // The phone of the first row opens a quote that nothing closes: the rest of the file
    // was one cell, and the run drew from that one row ("1 rows read, 0 rejected").
    let t = records(3);
    let first_phone = t.lines().nth(1).unwrap().rsplit(',').next().unwrap();
    let damaged = t.replacen(&format!(",{first_phone}"), &format!(",\"{first_phone}"), 1);
    let dir = Dir::new();
    let err = refused(&dir, sample(&dir, &damaged), &["Nguyễn", first_phone]);
    assert!(
        err.contains(
            "records.csv: line 2: a quote opens a cell here (row 2, column `phone`) that never \
             closes: the rest of the file (33 lines) would be one cell; remove the stray quote, \
             or close the cell where it should end"
        ),
        "{err}"
    );
    // On the last line of the file, the rest of the file is that line.
    let last_phone = t.lines().last().unwrap().rsplit(',').next().unwrap();
    let damaged = t.replace(&format!(",{last_phone}\n"), &format!(",\"{last_phone}\n"));
    let err = refused(&dir, sample(&dir, &damaged), &[last_phone]);
    assert!(
        err.contains("records.csv: line 34: a quote opens a cell here (row 34, column `phone`)")
            && err.contains("the rest of the file (1 line)"),
        "{err}"
    );
}

#[test]
fn sample_refuses_a_stray_quote_mid_file_that_swallows_records() {
    // The name of row 4 opens a quote that the opening quote of row 7's address closes:
    // rows 4 to 7 were one rejected row ("the row has 7 cells but the header has 8"), and
    // the run went on without them.
    let t = records_with_addresses(3);
    let line = t.lines().nth(3).unwrap();
    let damaged = t.replacen(line, &line.replacen(",Nguyễn", ",\"Nguyễn", 1), 1);
    let dir = Dir::new();
    let err = refused(&dir, sample(&dir, &damaged), &["Nguyễn", "Lý Thường"]);
    assert!(
        err.contains(
            "records.csv: line 4: a quote opens a cell here (row 4, column `applicant_name`) \
             that closes only on line 8: lines 4 to 8 read as one row of 7 cells where the \
             header has 8; remove the stray quote, or close the cell where it should end"
        ),
        "{err}"
    );
}

#[test]
fn sample_reads_a_quoted_address_over_several_lines() {
    let dir = Dir::new();
    let (code, out, err) = sample(&dir, &records_with_addresses(3));
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("records: 33 rows read, 0 rejected"), "{out}");
    // And the frame and the lists are those of the same records without the addresses.
    let plain = Dir::new();
    let (code, _, err) = sample(&plain, &records(3));
    assert_eq!(code, Some(0), "{err}");
    let digests = |d: &Dir| {
        let m: serde_json::Value = serde_json::from_str(&d.read("out/manifest.json")).unwrap();
        (m["frame_digest"].clone(), m["sample_digest"].clone())
    };
    assert!(digests(&dir).0.is_string());
    assert_eq!(digests(&dir), digests(&plain));
}

/// Responses of 30 respondents in two units, with a `comment` column: every tenth comment
/// quoted (with a comma in it), that of the fifth row quoted over three lines.
fn responses() -> String {
    let mut t = String::from("unit_code,Q01,Q02,Q03,Q04,Q05,Q06,comment\n");
    for i in 0..30 {
        let u = if i % 2 == 0 { "U1" } else { "U2" };
        let comment = match i {
            4 => "\"Nhanh,\r\nđúng hẹn\r\ncảm ơn\"",
            _ if i % 10 == 9 => "\"tốt, nhanh\"",
            _ => "ok",
        };
        t.push_str(&format!(
            "{u},{},{},{},{},{},9,{comment}\n",
            1 + i % 5,
            1 + (i / 2) % 5,
            1 + (i / 3) % 5,
            1 + (i / 5) % 5,
            5 - i % 5
        ));
    }
    t
}

/// `chiso index` on the responses `text`, with populations.
fn index(dir: &Dir, responses: &str) -> (Option<i32>, String, String) {
    let r = dir.write("responses.csv", responses);
    let q = dir.write("q.toml", ORACLE_QUESTIONNAIRE);
    let pop = dir.write("population.csv", "stratum,population\nU1,40\nU2,60\n");
    let out = dir.path("out");
    let o = index_with_population(&r, &q, &pop, &out, &["--rank-replicates", "50"]);
    let (stdout, err) = text(&o);
    (o.status.code(), stdout, err)
}

#[test]
fn index_refuses_an_unclosed_quote_in_the_last_column_of_the_responses() {
    // The last comment's quote never closes.
    let t = responses();
    let damaged = format!(
        "{}\"tốt, nhanh\n",
        t.strip_suffix("\"tốt, nhanh\"\n").unwrap()
    );
    let dir = Dir::new();
    let err = refused(&dir, index(&dir, &damaged), &["tốt"]);
    assert!(
        err.contains(
            "responses.csv: line 33: a quote opens a cell here (row 31, column `comment`) that \
             never closes: the rest of the file (1 line) would be one cell"
        ),
        "{err}"
    );
    // A stray quote in the first comment runs to the quote that opens the fifth.
    let damaged = t.replacen(",ok\n", ",\"ok\n", 1);
    let err = refused(&dir, index(&dir, &damaged), &["đúng hẹn", "Nhanh"]);
    assert!(
        err.contains(
            "responses.csv: line 2: a quote opens a cell here (row 2, column `comment`) that \
             closes only on line 6: lines 2 to 6 read as one row of 9 cells"
        ),
        "{err}"
    );
}

#[test]
fn index_refuses_a_stray_quote_mid_file_that_swallows_responses() {
    // The comment of row 8 (line 10) opens a quote that row 11's quoted comment closes.
    let t = responses();
    let damaged = t.replacen("\nU1,2,4,3,2,4,9,ok\n", "\nU1,2,4,3,2,4,9,\"ok\n", 1);
    assert_ne!(damaged, t);
    let dir = Dir::new();
    let err = refused(&dir, index(&dir, &damaged), &["tốt", "nhanh"]);
    assert!(
        err.contains(
            "responses.csv: line 10: a quote opens a cell here (row 8, column `comment`) that \
             closes only on line 13: lines 10 to 13 read as one row of 9 cells where the header \
             has 8; remove the stray quote, or close the cell where it should end"
        ),
        "{err}"
    );
}

#[test]
fn index_reads_a_quoted_comment_over_several_lines() {
    let dir = Dir::new();
    let (code, out, err) = index(&dir, &responses());
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("30 responses in 2 strata"), "{out}");
}
