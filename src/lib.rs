//! Palisade: STRIDE threat modeling of container platforms.
//!
//! The core (model, persistence, rules, analysis, reports, CLI) knows nothing of the GUI;
//! the desktop app and the command line are thin front ends over it.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod analysis;
pub mod cli;
pub mod diag;
pub mod escape;
pub mod export;
pub mod geometry;
pub mod import;
pub mod model;
pub mod persist;
pub mod report;
pub mod rules;
#[cfg(test)]
mod test_rng;
pub mod triage_import;

#[cfg(feature = "gui")]
pub mod gui;

/// The example model opened when the app starts without a file.
pub const DEFAULT_EXAMPLE: (&str, &str) = (
    "examples/docker-attack-surface.ron",
    include_str!("../examples/docker-attack-surface.ron"),
);
