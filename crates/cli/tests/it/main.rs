//! This crate's integration tests in one binary (each file was a binary of its own; one links the crate once).

mod buy;
mod cli;
mod config;
mod docs;
mod inbox;
mod journal;
mod ledger;
mod mcp;
mod options;
mod probe;
mod sandbox_state;
mod serve;
mod walk;
