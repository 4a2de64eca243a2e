//! The extension point of the `sourcing` command: a subcommand builds its clap commands and runs them. Adding
//! one is a file implementing [`Subcommand`] and one line in [`crate::app::SUBCOMMANDS`].

use crate::Stop;
use clap::{ArgMatches, Command};
use std::future::Future;
use std::pin::Pin;

/// A running subcommand: `Ok` is the exit code ([`crate::exit`]), `Err` is printed as `error: …`.
pub type Run<'a> = Pin<Box<dyn Future<Output = Result<u8, Stop>> + 'a>>;

pub trait Subcommand: Sync {
    /// The commands this adds under `sourcing`: one, or one per provider for the operation calls. A command
    /// offers the shared flags that mean something to it ([`crate::backend::Flag::args`],
    /// [`crate::output::Format::arg`]).
    fn commands(&self) -> Vec<Command>;

    /// Whether the command named `name` is one of [`Subcommand::commands`].
    fn owns(&self, name: &str) -> bool {
        self.commands().iter().any(|c| c.get_name() == name)
    }

    /// Run the command `name` with its matches.
    fn run<'a>(&'a self, name: &'a str, matches: &'a ArgMatches) -> Run<'a>;
}
