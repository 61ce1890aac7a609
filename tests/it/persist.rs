//! persist tests.
