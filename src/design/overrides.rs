//! The overrides file of a design (`[overrides] file = ...`): per-stratum settings read from
//! a table.

use std::path::Path;

use super::OverrideSpec;
use crate::error::{Error, Result};
use crate::table::Table;

/// The `[[override]]` entries of an overrides file (CSV or spreadsheet): one per row with a
/// `stratum` label, and any of `n`, `reserve` and `p`.
pub(super) fn read_overrides(path: &Path) -> Result<Vec<OverrideSpec>> {
    let mut table = Table::open(path, None)?;
    let name = table.name().to_string();
    let headers = table.headers().to_vec();
    let col = |c: &str| table.column(c);
    let stratum = table.require(&["stratum"])?[0];
    let (n_col, r_col, p_col) = (col("n"), col("reserve"), col("p"));
    let mut out = Vec::new();
    while let Some(row) = table.next_row()? {
        if row.is_blank() {
            continue;
        }
        let cell_err = |c: usize, expected: &str| -> Error {
            let header = headers.get(c).map_or("", String::as_str);
            Error::cell(&name, row.number(), header, row.get(c), expected)
        };
        let int = |c: Option<usize>| -> Result<Option<i64>> {
            match c.map(|c| (c, row.get(c))) {
                Some((c, v)) if !v.is_empty() => v
                    .parse::<i64>()
                    .map(Some)
                    .map_err(|_| cell_err(c, "expected a whole number")),
                _ => Ok(None),
            }
        };
        let p = match p_col.map(|c| (c, row.get(c))) {
            Some((c, v)) if !v.is_empty() => Some(
                v.parse::<f64>()
                    .map_err(|_| cell_err(c, "expected a proportion such as 0.9"))?,
            ),
            _ => None,
        };
        let label = row.get(stratum);
        if label.is_empty() {
            return Err(cell_err(stratum, "the stratum label is empty"));
        }
        out.push(OverrideSpec {
            stratum: label.to_string(),
            n: int(n_col)?,
            reserve: int(r_col)?,
            p,
        });
    }
    Ok(out)
}
