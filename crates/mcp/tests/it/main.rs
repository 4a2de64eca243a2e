//! The MCP server's integration tests in one binary: in-process MCP clients against the embedded sandbox.

mod tools;
mod workflow;
