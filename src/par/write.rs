//! The output files of a PAR run, written together and atomically.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::framework::Framework;
use super::{ParResult, RANK_ALGORITHM, UnitResult};
use crate::error::Result;
use crate::output::Staged;

// ---------------------------------------------------------------------------------------------
// Output.

fn num(v: f64) -> String {
    format!("{v}")
}

fn opt(v: Option<f64>) -> String {
    v.map(num).unwrap_or_default()
}

fn csv_bytes(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> Vec<u8> {
    let mut w = crate::output::csv_writer();
    w.write_record(header).expect("memory");
    for r in rows {
        w.write_record(&r).expect("memory");
    }
    w.into_inner().expect("memory")
}

/// `par.json`.
#[derive(Serialize)]
struct Published<'a> {
    framework: FrameworkInfo<'a>,
    settings: PublishedSettings<'a>,
    inputs: Inputs<'a>,
    engine_version: &'a str,
    rows: &'a [UnitResult],
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
/// atomically.
pub fn write(dir: &Path, fw: &Framework, result: &ParResult) -> Result<Vec<PathBuf>> {
    let par = csv_bytes(
        &[
            "unit_code",
            "unit_name",
            "unit_group",
            "points",
            "max_points",
            "index",
            "std_error",
            "ci_lower",
            "ci_upper",
            "rank",
            "rank_lower",
            "rank_upper",
            "group_size",
        ],
        result.units.iter().map(|u| {
            vec![
                u.unit_code.clone(),
                u.unit_name.clone(),
                u.unit_group.clone(),
                num(u.points),
                num(u.max_points),
                num(u.index),
                num(u.std_error),
                num(u.ci_lower),
                num(u.ci_upper),
                u.rank.to_string(),
                u.rank_lower.to_string(),
                u.rank_upper.to_string(),
                u.group_size.to_string(),
            ]
        }),
    );
    let fields = csv_bytes(
        &["unit_code", "field", "field_name", "points", "max_points"],
        result.units.iter().flat_map(|u| {
            u.fields.iter().map(|f| {
                vec![
                    u.unit_code.clone(),
                    f.field.clone(),
                    f.field_name.clone(),
                    num(f.points),
                    num(f.max_points),
                ]
            })
        }),
    );
    let criteria = csv_bytes(
        &[
            "unit_code",
            "criterion",
            "field",
            "source",
            "self_score",
            "appraised_score",
            "survey_estimate",
            "survey_std_error",
            "points",
            "points_std_error",
            "max_points",
            "note",
        ],
        result.units.iter().flat_map(|u| {
            u.criteria.iter().map(|c| {
                vec![
                    u.unit_code.clone(),
                    c.criterion.clone(),
                    c.field.clone(),
                    c.source.to_string(),
                    opt(c.self_score),
                    opt(c.appraised_score),
                    opt(c.survey_estimate),
                    opt(c.survey_std_error),
                    num(c.points),
                    num(c.points_std_error),
                    num(c.max_points),
                    c.note.clone(),
                ]
            })
        }),
    );
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
        rows: &result.units,
    })
    .expect("rows serialise");
    let mut staged = Staged::new(dir, true, &[])?;
    staged.add("par.csv", par);
    staged.add("par_fields.csv", fields);
    staged.add("par_criteria.csv", criteria);
    staged.add("par.json", json);
    staged.commit()
}
