//! Where a published number comes from: the SHA-256 of every input file, the digests of the
//! sample it rests on, and the engine version. Every published JSON file carries one
//! ([`Provenance`], key `provenance`), the report shows it, and `chiso verify --indices`
//! re-computes a result from the inputs it names.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::Result;

/// A file by its name (without its directory: a copy elsewhere is the same input) and the
/// SHA-256 of its bytes, as lowercase hexadecimal.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileDigest {
    /// The file's name.
    pub file: String,
    /// SHA-256 of its bytes.
    pub sha256: String,
}

impl FileDigest {
    /// The digest of the file at `path`, read now.
    pub fn of(path: &Path) -> Result<FileDigest> {
        Ok(FileDigest::new(path, crate::table::file_sha256(path)?))
    }

    /// The digest of `bytes`, read from `path`.
    pub fn of_bytes(path: &Path, bytes: &[u8]) -> FileDigest {
        use sha2::{Digest, Sha256};
        FileDigest::new(path, hex::encode(Sha256::digest(bytes)))
    }

    /// A digest computed elsewhere (on the way through a file, say).
    pub fn new(path: &Path, sha256: String) -> FileDigest {
        FileDigest {
            file: path
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default(),
            sha256,
        }
    }
}

/// One input of a published result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Input {
    /// What it was: `responses`, `questionnaire`, `sample`, `manifest`, `population`,
    /// `margins`, `framework`, `scores`, `survey`, `records`, …
    pub input: String,
    /// The file and its digest.
    #[serde(flatten)]
    pub digest: FileDigest,
}

/// The sample a result rests on, as its manifest names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SampleRef {
    /// The published seed.
    pub seed: String,
    /// The frame's digest (`docs/draw-algorithm.md` §7).
    pub frame_digest: String,
    /// The lists' digest.
    pub sample_digest: String,
    /// SHA-256 of `sample.csv`.
    pub sample_file_sha256: String,
    /// SHA-256 of `manifest.json`.
    pub manifest_sha256: String,
}

/// Where a published result comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// The version of chiso that computed it.
    pub engine_version: String,
    /// Its input files, in the order the command takes them.
    pub inputs: Vec<Input>,
    /// The sample it rests on, when it rests on one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample: Option<SampleRef>,
}

impl Default for Provenance {
    fn default() -> Provenance {
        Provenance {
            engine_version: env!("CARGO_PKG_VERSION").to_string(),
            inputs: Vec::new(),
            sample: None,
        }
    }
}

impl Provenance {
    /// Adds an input.
    pub fn add(&mut self, input: &str, digest: FileDigest) {
        self.inputs.push(Input {
            input: input.to_string(),
            digest,
        });
    }

    /// The first input of this kind.
    pub fn input(&self, input: &str) -> Option<&FileDigest> {
        self.inputs
            .iter()
            .find(|i| i.input == input)
            .map(|i| &i.digest)
    }

    /// The provenance as a JSON value (for the `provenance` key of a published file).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("plain data serialises")
    }

    /// The provenance recorded under `provenance` in a published JSON file, if any.
    pub fn from_json(json: &serde_json::Value) -> Option<Provenance> {
        serde_json::from_value(json.get("provenance")?.clone()).ok()
    }
}

impl SampleRef {
    /// The sample of a manifest whose bytes have the SHA-256 `manifest_sha256`.
    pub fn of(manifest: &crate::manifest::Manifest, manifest_sha256: &str) -> SampleRef {
        SampleRef {
            seed: manifest.seed.clone(),
            frame_digest: manifest.frame_digest.clone(),
            sample_digest: manifest.sample_digest.clone(),
            sample_file_sha256: manifest.sample_file_sha256.clone(),
            manifest_sha256: manifest_sha256.to_string(),
        }
    }
}
