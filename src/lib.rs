//! # chiso — chỉ số
//!
//! An engine with which provincial Departments of Home Affairs (Sở Nội vụ) in Vietnam draw
//! reproducible samples of citizens and organisations from one-stop-shop transaction records,
//! with which auditors re-draw them from the published seed, and with which analysts compute
//! and publish the satisfaction indices and the PAR INDEX.
//!
//! Data flows one way through modules named after the domain steps. Sampling:
//! [`records`] (columns and row checks) → [`frame`] (who may be surveyed) → [`design`] (how
//! many) → [`draw`] (who) → [`sample`] and [`manifest`] (the published files) → [`verify`]
//! (the auditor's check); [`fieldwork`] replaces non-respondents from the reserves.
//! Indices: [`questionnaire`] + [`responses`] (with [`disposition`]) → [`weights`] → the
//! columnar kernel ([`compute_kernel`]; [`estimate`] is its reference) → [`ci`] → [`index`] →
//! [`flags`] and [`ranks`]; [`timeliness`] from the records themselves; then [`par`] (the
//! PAR INDEX) and [`report`] (workbook and web page). [`demo`] runs all of it on a synthetic
//! province; [`files`] defines every published file (columns, writer, reader). Every seeded
//! ChaCha20 stream (the draw's and the simulations') is derived in one internal module and
//! specified where it is used: [`draw`], [`fieldwork`], [`ranks`] and [`par`].
//!
//! ```
//! use chiso::{ColumnMap, Design, DesignSpec, Lists};
//!
//! # fn main() -> chiso::Result<()> {
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("records.csv");
//! std::fs::write(&path, "record_id,unit_code,applicant_id,returned_date\n\
//!     R1,XA01,A,2024-03-01\nR2,XA01,B,2024-03-02\nR3,XA01,C,05/03/2024\nR4,XA01,A,2024-04-01\n").unwrap();
//! let spec: DesignSpec = toml::from_str(r#"
//!     [frame]
//!     window = ["2024-01-01", "2024-09-30"]
//!     [size]
//!     mode = "fixed"
//!     n = 2
//!     [reserve]
//!     count = 1
//! "#).unwrap();
//! let design = Design::from_spec(spec, "design.toml")?;
//! let frame = chiso::sample::read_frame(&path, None, &ColumnMap::default(), &design)?;
//! assert_eq!(frame.members(), 3); // A has two records: one frame member
//! let lists = Lists::draw(frame, &design, "published seed", 1)?;
//! assert_eq!(lists.draws[0].official.len(), 2);
//! assert_eq!(lists.draws[0].reserve.len(), 1);
//! # Ok(()) }
//! ```
//!
//! # The public API
//!
//! Each command is one library call on a request; the binary only parses its arguments
//! into the request and prints the output's summary. The requests, outputs and the types
//! they are made of are re-exported here; the calls stay in their modules, except
//! [`draw_sample`].
//!
//! | Command | Request | Call | Output |
//! |---|---|---|---|
//! | `chiso sample` | [`SampleRequest`] | [`draw_sample`] (after [`sample::refuse_existing`]), then [`SampleOutput::write`] | [`SampleOutput`] |
//! | `chiso verify` | the records, manifest and sample files | [`verify::verify`] | [`VerifyReport`] |
//! | `chiso index` | [`IndexRequest`] (with an [`IndexPopulation`]) | [`index::run`] | [`IndexOutput`] |
//! | `chiso timeliness` | [`TimelinessRequest`] | [`timeliness::run`] | [`Timeliness`] and the files written |
//! | `chiso recheck` | [`RecheckRequest`] (with its [`recheck::Settings`]) | [`recheck::run`] | [`recheck::RecheckOutput`] |
//! | `chiso entry-compare` | [`EntryCompareRequest`] | [`entry::run`] | [`entry::EntryCompareOutput`] |
//! | `chiso compare` | [`CompareRequest`] (made by [`CompareRequest::new`]) | [`compare::run`] | [`CompareOutput`] |
//! | `chiso par` | [`ParRequest`] | [`par::run`] | [`ParResult`] and the files written |
//! | `chiso report` | [`ReportRequest`] (with its [`ReportSources`]) | [`report::run`] | [`ReportOutput`] |
//! | `chiso demo` | [`DemoRequest`] and a [`DemoObserver`] | [`demo::run`] | [`DemoOutput`] |
//!
//! The validated plans and settings a request holds: [`Design`] (from a [`DesignSpec`]),
//! [`ColumnMap`], [`Questionnaire`], [`Margins`] with a [`Calibration`], [`IndexSettings`]
//! (with an [`IntervalMethod`] and a [`LonelyPsu`] rule), [`FlagSettings`], [`RankSettings`], [`TimelinessSettings`],
//! [`Framework`] and [`ParSettings`]. The results: [`Lists`] and [`Manifest`] (a sample),
//! [`ResponseData`] (the responses as weighted), [`IndexRow`], [`FlagRow`] and [`RankRow`]
//! (the indices), [`Timeliness`], [`ParResult`].
//! Every failure is an [`Error`]; its [`ErrorKind`] says what went wrong, and a
//! [`CellProblem`] where in a file.
//!
//! For benchmarks and checks, [`compute_kernel`] on [`KernelColumns`] is the hot path of
//! [`index::compute`], and [`estimate`] the reference estimator it is tested against (itself
//! checked against R).
#![deny(missing_docs)]

pub mod ci;
pub mod commitment;
pub mod compare;
pub mod demo;
pub mod design;
pub mod disposition;
pub mod domains;
pub mod draw;
pub mod entry;
pub mod entry_sheet;
mod error;
pub mod estimate;
pub mod fieldwork;
pub mod files;
pub mod flags;
pub mod frame;
pub mod index;
pub(crate) mod kernel;
pub mod manifest;
pub(crate) mod output;
pub mod par;
pub mod period;
pub mod provenance;
pub mod questionnaire;
pub(crate) mod random;
pub mod ranks;
pub mod recheck;
pub mod records;
pub mod report;
pub mod responses;
pub mod sample;
pub(crate) mod table;
/// How texts people type are compared (headers, labels, unit names).
pub use table::text;
pub use table::{Delimiter, Layout};
pub mod timeliness;
pub mod units;
pub mod verify;
pub mod weights;

pub use error::{CellProblem, Error, ErrorKind, Place, Position, Result};

// The commands: each one's request, output and (where its name is its own) call.
pub use compare::{CompareOutput, CompareRequest};
pub use demo::{DemoOutput, DemoRequest, Observer as DemoObserver};
pub use entry::EntryCompareRequest;
pub use entry_sheet::EntrySheetRequest;
pub use index::{IndexOutput, IndexRequest, Population as IndexPopulation};
pub use par::{ParRequest, ParResult};
pub use recheck::RecheckRequest;
pub use report::{ReportOutput, ReportRequest, Sources as ReportSources};
pub use sample::{SampleOutput, SampleRequest, draw_sample};
pub use timeliness::TimelinessRequest;
pub use verify::Report as VerifyReport;

// The validated plans and settings.
pub use ci::Method as IntervalMethod;
pub use design::{Design, DesignSpec};
pub use estimate::LonelyPsu;
pub use flags::FlagSettings;
pub use index::Settings as IndexSettings;
pub use par::{Framework, Settings as ParSettings};
pub use questionnaire::Questionnaire;
pub use ranks::RankSettings;
pub use records::ColumnMap;
pub use timeliness::TimelinessSettings;
pub use weights::{Calibration, Margins};

// Output folders: held by one run at a time, cleared when it is stopped.
pub use output::{Abandoned, OutputLock, abandon_unfinished, lock_output};

// The results.
pub use flags::FlagRow;
pub use index::IndexRow;
pub use manifest::Manifest;
pub use ranks::RankRow;
pub use responses::ResponseData;
pub use sample::Lists;
pub use timeliness::Timeliness;

/// *For benchmarks and checks* (the input of [`compute_kernel`]).
///
pub use kernel::Columns as KernelColumns;
/// *For benchmarks and checks* (the hot path of [`index::compute`], checked against the
/// reference estimator, [`estimate`]).
///
pub use kernel::compute as compute_kernel;

// Bench-only plumbing: `benches/sampling.rs` times the steps of `draw_sample` one by one,
// among them hashing the records file and reading the picked rows again, which only the
// internal table reader does, and the CSV writer of every output file. Hidden because it is
// not part of the API: it follows the reader and the writer wherever they go.
#[doc(hidden)]
pub mod bench {
    pub use crate::output::CsvWriter;
    pub use crate::table::{Fetcher, Row, Table, file_sha256};
}
