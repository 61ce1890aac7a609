//! Palisade's integration tests: one binary, data-driven modules.

mod cli;
mod common;
mod conditions;
#[cfg(feature = "gui")]
mod gui;
#[cfg(feature = "gui")]
mod gui_triage;
mod paths;
mod persist;
mod reliability;
mod report;
mod rules;
