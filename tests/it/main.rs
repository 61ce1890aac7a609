//! Palisade's integration tests: one binary, data-driven modules.

mod cli;
mod common;
mod conditions;
#[cfg(feature = "gui")]
mod gui;
#[cfg(feature = "gui")]
mod gui_relations;
#[cfg(feature = "gui")]
mod gui_triage;
mod pairs;
mod persist;
mod reliability;
mod report;
mod report_facts;
mod rules;
