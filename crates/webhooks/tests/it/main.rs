//! This crate's integration tests in one binary (each file was a binary of its own; one links the crate once).

mod inbox;
mod memory_store;
mod parse;
mod receiver;
