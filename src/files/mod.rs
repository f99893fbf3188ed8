//! The published files, one module each: its columns (defined once), its row type, the
//! writer that makes it and the reader that every consumer in the crate uses.
//!
//! Readers match columns by header name and ignore columns they do not know, so a file
//! with more columns than the agreed ones (added by a later version, or by an office) is
//! still read, and no column that is not agreed can reach a published output. Every cell
//! that cannot be used is an error naming the file, row, column and value.
//!
//! - [`indices`]: `indices.csv` (written by `chiso index`, read by `chiso par` for its
//!   survey criteria and by `chiso report`).
//! - [`substitutions`]: the fieldwork's `substitutions.csv` (the substitution log, written by
//!   `chiso demo` under `fieldwork/`).
//! - [`fieldwork_summary`]: the fieldwork's `summary.csv` (the per-stratum counts, written by
//!   `chiso demo` under `fieldwork/`).

pub(crate) mod fields;
pub mod fieldwork_summary;
pub mod indices;
pub mod substitutions;
