//! The `sourcing` command (`src/main.rs` is its entry point), a library so that tests can drive the MCP server
//! in-process.
//!
//! Modules import in one direction, top to bottom:
//! - [`app`]: the root command, the list of subcommands (one line each) and the dispatch;
//! - the subcommands, one file each, each a [`subcommand::Subcommand`]: [`call`] (one command per provider,
//!   one per operation), [`buy`], [`ledger`], [`sandbox`], [`webhooks`], [`mcp`], [`probe`];
//! - what they share: [`backend`] (sandbox or live: base URL, credentials, runtime), [`config`] (the
//!   configuration file and its profiles), [`confirm`] (live writes and payments ask first), [`output`] (the
//!   `--output` format), [`args`] (operation flags), [`subcommand`] (the trait), and [`Stop`] and [`exit`]
//!   here.

pub mod app;
pub mod args;
pub mod backend;
pub mod buy;
pub mod call;
pub mod config;
pub mod confirm;
pub mod ledger;
pub mod mcp;
pub mod output;
pub mod probe;
pub mod sandbox;
pub mod serve;
pub mod subcommand;
pub mod webhooks;

/// Exit codes, documented in `--help`.
pub mod exit {
    pub const OK: u8 = 0;
    pub const USAGE: u8 = 2;
    pub const CONFIG: u8 = 3;
    pub const TRANSPORT: u8 = 4;
    pub const BUSINESS: u8 = 5;
    pub const REQUEST: u8 = 6;
    /// A payment, order creation, cancel or receipt whose answer was lost (transport error, timeout, HTTP
    /// error without the vendor's envelope): it may have happened. Recorded `*_unknown` in the ledger with
    /// `--store`; `sourcing ledger reconcile` settles it by reading the order.
    pub const UNKNOWN_OUTCOME: u8 = 7;
    /// What a command looks up is not there (`ledger show`: no such entry; `ledger replay`: no such message).
    pub const NOT_FOUND: u8 = 8;
    /// The output could not be written (stdout on a full disk); `EX_IOERR` of sysexits.h.
    pub const IO: u8 = 74;

    /// The exit code of a failed call.
    pub fn of(e: &sourcing_runtime::Error) -> u8 {
        use sourcing_runtime::Error;
        match e {
            Error::Api(_) | Error::PartialFailure(_) => BUSINESS,
            Error::InvalidRequest { .. } | Error::Signing { .. } => REQUEST,
            _ => TRANSPORT,
        }
    }
}

/// A failure that ends a command: its exit code and the message printed as `error: …` on stderr.
#[derive(Debug)]
pub struct Stop(pub u8, pub String);

impl Stop {
    pub fn usage(message: impl Into<String>) -> Self {
        Stop(exit::USAGE, message.into())
    }

    pub fn config(message: impl Into<String>) -> Self {
        Stop(exit::CONFIG, message.into())
    }
}
