//! The published files, one module each: its columns (defined once), its row type, the
//! writer that makes it and the reader that every consumer in the crate uses.
//!
//! Readers match columns by header name and ignore columns they do not know, so a file
//! with more columns than the agreed ones (added by a later version, or by an office) is
//! still read, and no column that is not agreed can reach a published output. Every cell
//! that cannot be used is an error naming the file, row, column and value.
//!
//! - [`sample`]: `sample.csv` (written by `chiso sample`, read by `chiso verify`, `chiso
//!   index` and the fieldwork); `manifest.json` is defined by [`crate::manifest`].
//! - [`sample_xlsx`]: `sample.xlsx`, the interviewers' list as a workbook, made from
//!   `sample.csv` by `chiso sample` (read by people; chiso reads it back only in tests).
//! - [`indices`]: `indices.csv` (written by `chiso index`, read by `chiso par` for its
//!   survey criteria and by `chiso report`).
//! - [`flags`]: `flags.csv` (written by `chiso index`, read by `chiso report`).
//! - [`ranks`]: `ranks.csv` (written by `chiso index`, read by `chiso report`).
//! - [`timeliness`]: `timeliness.csv` (written by `chiso timeliness`, read by
//!   `chiso report`).
//! - [`par`]: `par.csv`, `par_fields.csv` and `par_criteria.csv` (written by `chiso par`;
//!   the first two read by `chiso report`).
//! - [`coverage`]: `coverage.csv` (the share of the one-stop records rated, per period and
//!   unit, written by `chiso index --period --records`).
//! - [`comparison`]: `comparison.csv` (the change of every estimate between two index runs,
//!   written by `chiso compare`).
//! - [`response_rates`]: `response_rates.csv` (the dispositions and response rates per
//!   stratum, written by `chiso index`, read by `chiso report`).
//! - [`recheck`]: `recheck.csv` (the re-check subsample, written by `chiso recheck`).
//! - [`discrepancies`]: `discrepancies.csv` and `agreement.csv` (the comparison of two data
//!   entries, written by `chiso entry-compare`).
//! - [`substitutions`]: the fieldwork's `substitutions.csv` (the substitution log, written by
//!   `chiso fieldwork`, and by `chiso demo` under `fieldwork/`).
//! - [`fieldwork_summary`]: the fieldwork's `summary.csv` (the per-stratum counts, written by
//!   `chiso fieldwork`, and by `chiso demo` under `fieldwork/`).
//! - [`interviewers`]: the fieldwork's `interviewers.csv` (refusal and substitution rates per
//!   interviewer and unit, written by `chiso fieldwork`, and by `chiso demo` under
//!   `fieldwork/`).
//!
//! Every cell of every CSV file chiso writes goes through one rule, [`needs_quote`]: a cell
//! that a spreadsheet would run as a formula (`=HYPERLINK(…)`, `+SUM(…)`, `@…`, `-2+3`) is
//! written with a `'` in front, and every reader here takes it off again ([`restore`]), so
//! that the text read back is the text written.

pub mod comparison;
pub mod coverage;
pub mod discrepancies;
pub(crate) mod fields;
pub mod fieldwork_summary;
pub mod flags;
pub mod indices;
pub mod interviewers;
pub mod par;
pub mod ranks;
pub mod recheck;
pub mod response_rates;
pub mod sample;
pub mod sample_xlsx;
pub mod substitutions;
pub mod timeliness;

pub use crate::output::{BOM, is_plain_number, needs_quote, neutralise, restore};
