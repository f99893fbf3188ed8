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
//! Indices: [`questionnaire`] + [`responses`] (with [`disposition`]) → [`weights`] →
//! [`kernel`] (the columnar hot path; [`estimate`] is its reference) → [`ci`] → [`index`] →
//! [`flags`] and [`ranks`]; [`timeliness`] from the records themselves; then [`par`] (the
//! PAR INDEX) and [`report`] (workbook and web page). [`demo`] runs all of it on a synthetic
//! province; [`random`] derives every seeded ChaCha20 stream (the draw's and the simulations')
//! and converts their outputs.
//!
//! ```
//! use chiso::design::{Design, DesignSpec};
//! use chiso::records::{ColumnMap, RecordLayout};
//! use chiso::frame::Frame;
//! use chiso::sample::Lists;
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
#![deny(missing_docs)]

pub mod ci;
pub mod demo;
pub mod design;
pub mod disposition;
pub mod draw;
mod error;
pub mod estimate;
pub mod fieldwork;
pub mod files;
pub mod flags;
pub mod frame;
pub mod index;
pub mod kernel;
pub mod manifest;
pub mod output;
pub mod par;
pub mod questionnaire;
pub mod random;
pub mod ranks;
pub mod records;
pub mod report;
pub mod responses;
pub mod sample;
pub mod table;
pub mod timeliness;
pub mod verify;
pub mod weights;

pub use error::{CellProblem, Error, ErrorKind, Result};
