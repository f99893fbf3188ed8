//! The output files of a PAR run, written together and atomically: `par.json` here, the CSV
//! files as [`crate::files::par`] defines them.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::framework::Framework;
use super::inputs::{Layout, ReadOptions};
use super::{ParResult, RANK_ALGORITHM, UnitResult};
use crate::error::Result;
use crate::output::Staged;
use crate::records::ColumnMap;

/// `par.json`.
#[derive(Serialize)]
struct Published<'a> {
    framework: FrameworkInfo<'a>,
    settings: PublishedSettings<'a>,
    inputs: Inputs<'a>,
    engine_version: &'a str,
    provenance: &'a crate::provenance::Provenance,
    request: Request<'a>,
    rows: &'a [UnitResult],
}

/// The options of the run as the command line gives them, for `chiso verify --par`.
#[derive(Serialize)]
struct Request<'a> {
    level: f64,
    replicates: u32,
    seed: &'a str,
    sheet: Option<&'a str>,
    /// The scores' layout when it was given (else found from the header again).
    #[serde(skip_serializing_if = "Option::is_none")]
    layout: Option<Layout>,
    /// The headers of the scores' columns, when some are named otherwise.
    #[serde(skip_serializing_if = "ColumnMap::is_empty")]
    columns: &'a ColumnMap,
    /// The scores' delimiter when it was given (else found again).
    #[serde(skip_serializing_if = "Option::is_none")]
    delimiter: Option<crate::Delimiter>,
    /// The scores' header row when it was given (else found again).
    #[serde(skip_serializing_if = "Option::is_none")]
    header_row: Option<u64>,
}

#[derive(Serialize)]
struct FrameworkInfo<'a> {
    name: &'a str,
    total: f64,
    groups: &'a [String],
}

#[derive(Serialize)]
struct PublishedSettings<'a> {
    level: f64,
    replicates: u32,
    seed: &'a str,
    rank_algorithm: &'a str,
    std_error: &'a str,
    interval: &'a str,
    rank_interval: &'a str,
    ties: &'a str,
}

#[derive(Serialize)]
struct Inputs<'a> {
    framework_sha256: Option<&'a str>,
    scores_sha256: &'a str,
    survey_sha256: Option<&'a str>,
}

/// Writes `par.csv`, `par_fields.csv`, `par_criteria.csv` and `par.json` into `dir`,
/// atomically; `par.json` records the `sheet` and the `reading` of the scores as its
/// `request`.
pub fn write(
    dir: &Path,
    fw: &Framework,
    result: &ParResult,
    sheet: Option<&str>,
    reading: &ReadOptions,
) -> Result<Vec<PathBuf>> {
    let s = &result.settings;
    let json = serde_json::to_vec_pretty(&Published {
        framework: FrameworkInfo {
            name: &fw.name,
            total: fw.total,
            groups: &fw.groups,
        },
        settings: PublishedSettings {
            level: s.level,
            replicates: s.replicates,
            seed: &s.seed,
            rank_algorithm: RANK_ALGORITHM,
            std_error: "survey items of a unit taken as perfectly correlated: se = sum of the \
                        items' standard errors on the points scale; self-assessed points exact",
            interval: "normal: index ± z·se, cut to [0, 100]",
            rank_interval: "quantiles (type 1) of the unit's ranks over the replicates",
            ties: "indices within 1e-9 share the best rank",
        },
        inputs: Inputs {
            framework_sha256: fw.sha256.as_deref(),
            scores_sha256: &result.scores_sha256,
            survey_sha256: result.survey_sha256.as_deref(),
        },
        engine_version: env!("CARGO_PKG_VERSION"),
        provenance: &result.provenance,
        request: Request {
            level: s.level,
            replicates: s.replicates,
            seed: &s.seed,
            sheet,
            layout: reading.layout,
            columns: &reading.columns,
            delimiter: reading.delimiter,
            header_row: reading.header_row,
        },
        rows: &result.units,
    })
    .expect("rows serialise");
    let mut staged = Staged::new(dir, true, &[])?;
    staged.add("par.csv", crate::files::par::to_csv(&result.units));
    staged.add(
        "par_fields.csv",
        crate::files::par::fields_csv(&result.units),
    );
    staged.add(
        "par_criteria.csv",
        crate::files::par::criteria_csv(&result.units),
    );
    staged.add("par.json", json);
    staged.commit()
}
