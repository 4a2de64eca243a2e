//! This crate's integration tests in one binary (each file was a binary of its own; one links the crate once).

mod coverage;
mod demo;
mod panic_hook;
mod registry;
mod spec_errors;
mod spec_validity;
mod unconfirmed;
