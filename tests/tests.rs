//! The integration tests: one binary, a module per concern.

mod util;

mod auditor;
mod calibration;
mod cli;
mod dispositions;
mod golden;
mod index;
mod oracle;
mod props;
