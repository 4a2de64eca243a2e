//! This crate's integration tests in one binary.

mod inbox;
