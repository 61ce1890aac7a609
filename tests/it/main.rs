//! Palisade's integration tests: one binary, data-driven modules.

mod common;
#[cfg(feature = "gui")]
mod gui;
mod report;
mod rules;
