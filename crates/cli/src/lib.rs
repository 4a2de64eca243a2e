//! The `sourcing` command (`src/main.rs` is its entry point): the command tree built from the operation
//! tables, running a call, output, and `sourcing mcp` — a library so that tests can drive the MCP server
//! in-process.

pub mod args;
pub mod call;
pub mod mcp;
pub mod output;

/// Exit codes, documented in `--help`.
pub mod exit {
    pub const OK: u8 = 0;
    pub const USAGE: u8 = 2;
    pub const CONFIG: u8 = 3;
    pub const TRANSPORT: u8 = 4;
    pub const BUSINESS: u8 = 5;
    pub const REQUEST: u8 = 6;
}
