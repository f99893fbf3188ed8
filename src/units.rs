//! A units file (`index --units`): each unit's code, name and group. It lets the responses
//! name a unit by its name, as online forms do (matched after [`crate::text::fold`]; a code is
//! also accepted as itself), and gives the reports the units' names and groups.
//!
//! Columns `unit_code, unit_name`, optionally `unit_group`; CSV or a spreadsheet. A code, or a
//! name after folding, listed twice is an error, as is a name that is another unit's code.

use std::collections::HashMap;
use std::path::Path;

use crate::error::{Error, Result};
use crate::provenance::FileDigest;
use crate::table::Table;
use crate::text::fold;

/// One unit of a units file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unit {
    /// Its code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Its group for ranking (empty when not given).
    pub group: String,
    /// Its row in the units file (the header is row 1).
    pub row: u64,
}

/// A units file, read and checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Units {
    /// The units, in file order.
    pub units: Vec<Unit>,
    /// Folded code or name → index into `units`.
    index: HashMap<String, usize>,
    /// The file's name and the SHA-256 of the bytes read.
    pub source: FileDigest,
}

impl Units {
    /// Reads the units file at `path`.
    pub fn load(path: &Path) -> Result<Units> {
        let mut table = Table::open_hashed(path, None)?;
        let file = table.name().to_string();
        let c = table.require(&["unit_code", "unit_name"])?;
        let group_col = table.column("unit_group");
        let mut units: Vec<Unit> = Vec::new();
        while let Some(r) = table.next_row()? {
            if r.is_blank() {
                continue;
            }
            units.push(Unit {
                code: r.get(c[0]).to_string(),
                name: r.get(c[1]).to_string(),
                group: group_col.map(|g| r.get(g).to_string()).unwrap_or_default(),
                row: r.number(),
            });
        }
        let sha256 = match table.sha256() {
            Some(h) => h,
            None => crate::table::file_sha256(path)?,
        };
        let source = FileDigest::new(path, sha256);
        Units::new(&file, units, ["unit_code", "unit_name"], source)
    }

    /// The units `units` (read from `file`, whose columns of code and name are `columns`),
    /// checked: every unit has a code, and a code or name (after [`fold`]) names
    /// one unit. The reporting domains of a domains file ([`crate::domains`]) are units too.
    pub(crate) fn new(
        file: &str,
        units: Vec<Unit>,
        columns: [&'static str; 2],
        source: FileDigest,
    ) -> Result<Units> {
        let mut index: HashMap<String, usize> = HashMap::new();
        // Where each folded code or name was first read: (row, column).
        let mut first: HashMap<String, (u64, &'static str)> = HashMap::new();
        for (k, unit) in units.iter().enumerate() {
            for (column, value) in columns.into_iter().zip([&unit.code, &unit.name]) {
                let key = fold(value).into_owned();
                if key.is_empty() {
                    if column == columns[1] {
                        continue;
                    }
                    return Err(Error::cell(
                        file,
                        unit.row,
                        column,
                        value,
                        "a unit needs a code",
                    ));
                }
                if let Some(&(row, col)) = first.get(&key) {
                    let same_unit = index.get(&key) == Some(&k);
                    if !same_unit {
                        return Err(Error::cell(
                            file,
                            unit.row,
                            column,
                            value,
                            format!(
                                "already read as the {col} of row {row}: a code or name names \
                                 one unit"
                            ),
                        ));
                    }
                    continue;
                }
                first.insert(key.clone(), (unit.row, column));
                index.insert(key, k);
            }
        }
        Ok(Units {
            units,
            index,
            source,
        })
    }

    /// The unit that `value` names: its code as written, or its code or name after
    /// [`fold`].
    pub fn find(&self, value: &str) -> Option<&Unit> {
        if let Some(u) = self.units.iter().find(|u| u.code == value) {
            return Some(u);
        }
        self.index
            .get(fold(value).as_ref())
            .map(|&i| &self.units[i])
    }

    /// The code of the unit that `value` (cell `column` of row `row` of `file`) names, or an
    /// error naming the cell and the closest names known.
    pub fn code_of(&self, file: &str, row: u64, column: &str, value: &str) -> Result<&str> {
        match self.find(value) {
            Some(u) => Ok(&u.code),
            None => Err(Error::cell(
                file,
                row,
                column,
                value,
                format!(
                    "no unit of {} has this name or code; {}",
                    self.source.file,
                    self.closest(value)
                ),
            )),
        }
    }

    /// The names to suggest for an unknown `value`: every name when there are few, else the
    /// three closest (by edit distance after folding).
    fn closest(&self, value: &str) -> String {
        const ALL: usize = 8;
        let named: Vec<&Unit> = self.units.iter().filter(|u| !u.name.is_empty()).collect();
        let show = |us: &[&Unit]| -> String {
            us.iter()
                .map(|u| format!("{:?} ({})", u.name, u.code))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if named.len() <= ALL {
            return format!("the units are: {}", show(&named));
        }
        let target: Vec<char> = fold(value).chars().collect();
        let mut by_distance: Vec<(usize, &Unit)> = named
            .iter()
            .map(|u| {
                let name: Vec<char> = fold(&u.name).chars().collect();
                (edit_distance(&target, &name), *u)
            })
            .collect();
        by_distance.sort_by_key(|&(d, _)| d);
        let near: Vec<&Unit> = by_distance.iter().take(3).map(|&(_, u)| u).collect();
        format!("the closest names are: {}", show(&near))
    }
}

/// The Levenshtein distance between two texts, in characters.
fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitute.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("units.csv");
        std::fs::write(&p, text).unwrap();
        (dir, p)
    }

    #[test]
    fn names_and_codes_are_found_after_folding() {
        let (_d, p) = write(
            "unit_code,unit_name,unit_group\nS01,Sở Tư pháp,so\nS02,Sở Y tế,so\nH01,UBND huyện Kim Sơn,huyen\n",
        );
        let u = Units::load(&p).unwrap();
        assert_eq!(u.units.len(), 3);
        assert_eq!(u.find("  SỞ   tư PHÁP ").unwrap().code, "S01");
        assert_eq!(
            u.find("So\u{031b}\u{0309} Y te\u{0302}\u{0301}")
                .unwrap()
                .code,
            "S02"
        );
        assert_eq!(u.find("H01").unwrap().group, "huyen");
        assert_eq!(u.find("h01").unwrap().code, "H01");
        let e = u
            .code_of("r.csv", 7, "Đơn vị", "Sở Tài chính")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("r.csv")
                && e.contains("row 7")
                && e.contains("Đơn vị")
                && e.contains("Sở Tài chính")
                && e.contains("\"Sở Tư pháp\" (S01)"),
            "{e}"
        );
        assert_eq!(edit_distance(&['a', 'b'], &['a', 'c', 'b']), 1);
    }

    #[test]
    fn many_units_suggest_the_closest_names() {
        let mut text = String::from("unit_code,unit_name\n");
        for k in 0..20 {
            text += &format!("U{k:02},Phòng số {k:02}\n");
        }
        text += "X1,Sở Nội vụ\n";
        let (_d, p) = write(&text);
        let e = Units::load(&p)
            .unwrap()
            .code_of("r.csv", 2, "unit_code", "Sở Nội vu")
            .unwrap_err()
            .to_string();
        assert!(e.contains("closest names are: \"Sở Nội vụ\" (X1)"), "{e}");
        assert!(!e.contains("Phòng số 07"), "{e}");
    }

    #[test]
    fn a_name_or_code_twice_is_refused() {
        for text in [
            "unit_code,unit_name\nS01,Sở Tư pháp\nS02,sở tư  pháp\n",
            "unit_code,unit_name\nS01,Sở Tư pháp\nS01,Sở Y tế\n",
            "unit_code,unit_name\nS01,Sở Tư pháp\nS02,S01\n",
        ] {
            let (_d, p) = write(text);
            let e = Units::load(&p).unwrap_err().to_string();
            assert!(e.contains("row 3") && e.contains("already read"), "{e}");
        }
        let (_d, p) = write("unit_code\nS01\n");
        assert!(
            Units::load(&p)
                .unwrap_err()
                .to_string()
                .contains("unit_name")
        );
    }
}
