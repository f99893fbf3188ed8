//! An auditor's check of a PAR INDEX run: `chiso verify --par DIR` re-computes `DIR` from the
//! framework, scores and survey it is given, with the options `par.json` records (`request`),
//! and compares every published file number by number, after checking the inputs against
//! the digests `par.json` records (`provenance`).

use std::path::{Path, PathBuf};

use super::Report;
use super::indices::{check_inputs, compare_outputs, published_json};
use crate::error::{Error, Result};
use crate::provenance::Provenance;

/// The input files of a PAR run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParInputs {
    /// The framework (TOML).
    pub framework: PathBuf,
    /// The scores.
    pub scores: PathBuf,
    /// The survey's `indices.csv` (or its directory), for survey criteria.
    pub survey: Option<PathBuf>,
}

/// Re-computes the PAR run published in `dir` from `inputs` and compares.
pub fn verify_par(dir: &Path, inputs: ParInputs) -> Result<Report> {
    let (json, malformed) = published_json(&dir.join("par.json"), "chiso par")?;
    let request = json.get("request").ok_or_else(|| malformed("request"))?;
    let level = request["level"]
        .as_f64()
        .ok_or_else(|| malformed("request.level"))?;
    let replicates = request["replicates"]
        .as_u64()
        .and_then(|r| u32::try_from(r).ok())
        .ok_or_else(|| malformed("request.replicates"))?;
    let seed = request["seed"]
        .as_str()
        .ok_or_else(|| malformed("request.seed"))?;
    let sheet = request["sheet"].as_str().map(String::from);
    let layout = match request.get("layout") {
        None => None,
        Some(l) => Some(
            l.as_str()
                .and_then(|l| crate::par::Layout::parse(l).ok())
                .ok_or_else(|| malformed("request.layout"))?,
        ),
    };
    let columns = match request.get("columns") {
        None => crate::records::ColumnMap::default(),
        Some(c) => serde_json::from_value(c.clone()).map_err(|_| malformed("request.columns"))?,
    };
    let delimiter = match request.get("delimiter") {
        None => None,
        Some(d) => Some(
            d.as_str()
                .and_then(|d| crate::Delimiter::parse(d).ok())
                .ok_or_else(|| malformed("request.delimiter"))?,
        ),
    };
    let header_row = match request.get("header_row") {
        None => None,
        Some(r) => Some(r.as_u64().ok_or_else(|| malformed("request.header_row"))?),
    };
    let provenance = Provenance::from_json(&json).ok_or_else(|| malformed("provenance"))?;

    let mut report = Report::default();
    let survey_csv = inputs.survey.as_ref().map(|s| {
        if s.is_dir() {
            s.join("indices.csv")
        } else {
            s.clone()
        }
    });
    let mut given: Vec<(&str, PathBuf)> = vec![
        ("framework", inputs.framework.clone()),
        ("scores", inputs.scores.clone()),
    ];
    if let Some(s) = &survey_csv {
        given.push(("survey", s.clone()));
    }
    check_inputs(&mut report, &provenance, &given)?;

    let tmp = tempfile::Builder::new()
        .prefix("chiso-verify-par")
        .tempdir()
        .map_err(|e| Error::io(dir, e))?;
    let req = crate::par::ParRequest {
        framework: crate::par::Framework::load(&inputs.framework)?,
        scores: inputs.scores,
        sheet,
        reading: crate::par::ReadOptions {
            layout,
            columns,
            delimiter,
            header_row,
        },
        survey: inputs.survey,
        settings: crate::par::Settings::new(level, replicates, seed)?,
        out: tmp.path().join("out"),
    };
    let (_, written) = crate::par::run(&req)?;
    let rows = compare_outputs(&mut report, dir, &written)?;
    report.checked = format!(
        "{} files ({rows} rows) re-computed from the inputs exactly as published in {}",
        written.len(),
        dir.display()
    );
    Ok(report)
}
