//! The manifest (`manifest.json`): everything an auditor needs to re-draw a sample and check
//! it, and nothing personal. See `docs/contract.md` for the keys users rely on.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::design::DesignSpec;
use crate::error::{Error, ErrorKind, Result};
use crate::frame::RecordCounts;
use crate::records::ColumnMap;

/// The manifest format's identifier.
pub const FORMAT: &str = "chiso-manifest-v1";

/// A sample's manifest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// The draw algorithm ([`crate::draw::ALGORITHM`]).
    pub algorithm: String,
    /// The version of chiso that drew the sample.
    pub engine_version: String,
    /// The published seed.
    pub seed: String,
    /// The full design, overrides included.
    pub design: DesignSpec,
    /// Column mapping used to read the records (engine name → header).
    #[serde(default, skip_serializing_if = "ColumnMap::is_empty")]
    pub columns: ColumnMap,
    /// The records file.
    pub records: RecordsInfo,
    /// SHA-256 of the frame (`docs/draw-algorithm.md` §7).
    pub frame_digest: String,
    /// SHA-256 of the lists (`docs/draw-algorithm.md` §7).
    pub sample_digest: String,
    /// SHA-256 of the bytes of `sample.csv` as written.
    pub sample_file_sha256: String,
    /// Totals over strata.
    pub totals: Totals,
    /// One entry per stratum, in order.
    pub strata: Vec<StratumEntry>,
}

/// What was read from the records file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordsInfo {
    /// The file's name (without its directory).
    pub file: String,
    /// The sheet read, for a spreadsheet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    /// The delimiter of a CSV file when it is not a comma (given or found).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<crate::Delimiter>,
    /// The header's row when title rows are above it (given or found).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_row: Option<u64>,
    /// SHA-256 of the file's bytes.
    pub sha256: String,
    /// What happened to its rows.
    #[serde(flatten)]
    pub counts: RecordCounts,
}

/// Totals over strata.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Number of strata.
    pub strata: u64,
    /// Σ N_h.
    pub frame_size: u64,
    /// Σ n_h.
    pub sample_size: u64,
    /// Σ r_h.
    pub reserve_size: u64,
}

/// One stratum in the manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StratumEntry {
    /// Its label.
    pub stratum: String,
    /// Its values.
    pub values: Vec<String>,
    /// N_h.
    pub frame_size: u64,
    /// n_h.
    pub sample_size: u64,
    /// r_h.
    pub reserve_size: u64,
    /// SHA-256 of its members.
    pub frame_digest: String,
}

impl Manifest {
    /// Reads a manifest.
    pub fn load(path: &Path) -> Result<Manifest> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let m: Manifest = serde_json::from_str(&text).map_err(|e| ErrorKind::Manifest {
            file: name.clone(),
            message: format!("not a chiso manifest: {e}"),
        })?;
        if m.format != FORMAT {
            return Err(ErrorKind::Manifest {
                file: name,
                message: format!("format {:?} is not {FORMAT:?}", m.format),
            }
            .into());
        }
        Ok(m)
    }

    /// The manifest as pretty JSON with a final newline.
    pub fn to_json(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).expect("a manifest serialises");
        v.push(b'\n');
        v
    }
}
