//! This crate's integration tests in one binary (each file was a binary of its own; one links the crate once).

mod readings;
mod readme;
mod sandbox_flow;
