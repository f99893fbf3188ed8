//! The integration tests: one binary, a module per concern.

mod util;

mod auditor;
mod cli;
mod golden;
mod index;
mod oracle;
mod props;
mod report;
