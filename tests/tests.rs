//! The integration tests: one binary, a module per concern.

mod util;

mod auditor;
mod calibration;
mod cli;
mod commitment;
mod compare;
mod demo;
mod dispositions;
mod domains;
mod entry;
mod entry_sheet;
mod excel;
mod fieldwork;
mod flags;
mod forms;
mod formulas;
mod golden;
mod index;
mod kernel;
mod mutations;
mod office;
mod oracle;
mod output;
mod par;
mod periods;
mod props;
mod quotes;
mod recheck;
mod renamed;
mod report;
mod tampering;
