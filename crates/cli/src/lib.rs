//! The `sourcing` command (`src/main.rs` is its entry point). As a library it offers what another program
//! (or a test) calls: the command tree and its dispatch ([`app::command`], [`app::hoist`], [`app::run`]), the
//! [`exit`] codes, and the functions that turn an operation table into commands ([`args::provider_command`],
//! [`args::flags`]) and the console's queries ([`console`], for the scale bench). The MCP server is the
//! `sourcing-mcp` crate.
//!
//! Modules import in one direction, top to bottom:
//! - `app`: the root command, the list of subcommands (one line each) and the dispatch;
//! - the subcommands, one file each, each a `subcommand::Subcommand`: `call` (one command per provider, one
//!   per operation), `buy`, `ledger`, `sandbox`, `serve`, `webhooks`, `mcp` (serves `sourcing-mcp`), `probe`;
//! - what they share: `backend` (sandbox or live: base URL, credentials, runtime), `config` (the configuration
//!   file and its profiles), `confirm` (live writes and payments ask first), `output` (the `--output` format),
//!   `args` (operation flags), `subcommand` (the trait), and `Stop` and [`exit`] here.

#![deny(missing_docs)]

pub mod app;
pub mod args;
mod backend;
mod buy;
mod call;
mod config;
mod confirm;
mod ledger;
mod mcp;
mod output;
mod probe;
mod sandbox;
mod serve;
mod stop;
mod subcommand;
mod webhooks;

/// The queries the console's pages run (`sourcing serve`), for the scale bench (`tests/benches/ledger_scale.rs`).
pub mod console {
    pub use crate::serve::{
        AttentionLists, CONSOLE_PAGE, MessageRow, OrderRow, attention_lists, charts, messages,
        orders, orders_filter,
    };
}

/// Exit codes, documented in `--help`.
pub mod exit {
    /// Success.
    pub const OK: u8 = 0;
    /// A usage error (unknown flag, invalid value), or a live write not confirmed.
    pub const USAGE: u8 = 2;
    /// Missing credentials or configuration.
    pub const CONFIG: u8 = 3;
    /// Transport, HTTP or an undecodable response.
    pub const TRANSPORT: u8 = 4;
    /// A business error: the provider's envelope code.
    pub const BUSINESS: u8 = 5;
    /// The request was refused before sending (invalid input or signing).
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
    pub(crate) fn of(e: &sourcing_runtime::Error) -> u8 {
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
pub(crate) struct Stop(pub(crate) u8, pub(crate) String);

impl Stop {
    /// A usage error ([`exit::USAGE`]).
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Stop(exit::USAGE, message.into())
    }

    /// A configuration error ([`exit::CONFIG`]).
    pub(crate) fn config(message: impl Into<String>) -> Self {
        Stop(exit::CONFIG, message.into())
    }
}
