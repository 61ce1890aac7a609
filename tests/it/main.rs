//! Palisade's integration tests: one binary, data-driven modules.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cli;
mod common;
mod conditions;
mod controls;
#[cfg(feature = "gui")]
mod gui;
#[cfg(feature = "gui")]
mod gui_common;
#[cfg(feature = "gui")]
mod gui_controls;
#[cfg(feature = "gui")]
mod gui_relations;
#[cfg(feature = "gui")]
mod gui_review;
#[cfg(feature = "gui")]
mod gui_triage;
mod hostile;
mod interop;
mod layers;
mod manifests;
mod pairs;
mod paths;
mod persist;
mod reliability;
mod report;
mod report_facts;
mod report_jsonl;
mod report_layers;
mod report_review;
mod report_stream;
mod rules;
