//! Palisade's integration tests: one binary, data-driven modules.

mod common;
mod rules;
