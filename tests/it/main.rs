//! Palisade's integration tests: one binary, data-driven modules.

mod common;
mod report;
mod rules;
