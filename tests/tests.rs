//! The integration tests: one binary, a module per concern.

mod util;

mod auditor;
mod cli;
mod fieldwork;
mod golden;
mod index;
mod oracle;
mod props;
