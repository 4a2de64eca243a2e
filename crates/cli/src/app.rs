//! The `sourcing` command: the root, the subcommands (one line each in `SUBCOMMANDS`) and the one dispatch.

use crate::backend::Flag;
use crate::output::Format;
use crate::subcommand::Subcommand;
use crate::{Stop, buy, call, config, ledger, mcp, probe, sandbox, serve, webhooks};
use clap::{Arg, ArgMatches, Command};
use std::ffi::OsString;

const AFTER_HELP: &str = "\
Credentials come from the configuration file ($XDG_CONFIG_HOME/sourcing/config.toml, ~/.config/sourcing/
config.toml without XDG_CONFIG_HOME; $SOURCING_CONFIG or --config FILE elsewhere): `store = \"...\"` and
[profiles.NAME] tables, each one account (provider = \"pandapon\", access_key, access_secret, user_id or
app_key, app_secret, base_url, readings such as timestamp_unit). --profile NAME or $SOURCING_PROFILE picks
one; by default a provider uses the profile named like it, or default_profile. Without a profile they come
from the environment (<PREFIX>_ACCESS_KEY, <PREFIX>_ACCESS_SECRET, <PREFIX>_USER_ID for PandaPon/Xportcn;
<PREFIX>_APP_KEY, <PREFIX>_APP_SECRET for Dajisaas; PREFIX = PANDAPON, XPORTCN, DAJISAAS) or a --config file
of KEY=VALUE lines with the same names. They are never printed. `sourcing config check` tries them.

A live write or payment shows what it will do and asks on a terminal; without one it needs --yes;
--dry-run prints the signed request (secrets redacted) and sends nothing. --sandbox never asks.

Output: JSON on stdout; -o json-lines (compact, one value per line), -o table (each answer's substance,
lists as rows) or -o csv (the table's rows, with a header) where a command offers --output. Errors and
logs go to stderr.

A command's options (--sandbox, --config, --profile, --base-url, --output, --yes, --dry-run) may also come
before it: `sourcing --sandbox pandapon order-detail --order-id 1`. Each command offers those that mean
something to it.

Exit codes: 0 success, 2 usage error (or a live write not confirmed), 3 missing credentials or
configuration, 4 transport/HTTP/undecodable response, 5 business error (the provider's envelope code),
6 request refused before sending (invalid input or signing), 7 outcome unknown: a payment, order, cancel or
receipt whose answer was lost may have gone through (settle it with `sourcing ledger reconcile`), 8 not found
(`ledger show`, `ledger replay`), 74 the output could not be written (stdout on a full disk; a closed pipe is
not an error).";

/// Every subcommand, in the order `--help` lists them.
pub(crate) const SUBCOMMANDS: &[&dyn Subcommand] = &[
    &call::Operations,
    &sandbox::SandboxServer,
    &webhooks::Webhooks,
    &mcp::Mcp,
    &buy::Buy,
    &probe::Probe,
    &ledger::LedgerCommand,
    &config::ConfigCommand,
    &serve::Serve,
    &Generated,
];

/// The command tree.
pub fn command() -> Command {
    SUBCOMMANDS.iter().flat_map(|s| s.commands()).fold(
        Command::new("sourcing")
            .about("Typed, signed calls to PandaPon, Dajisaas and Xportcn, and a local sandbox")
            .version(env!("CARGO_PKG_VERSION"))
            .after_help(AFTER_HELP)
            .subcommand_required(true)
            .arg_required_else_help(true)
            .arg(verbose_arg())
            .arg(log_format_arg()),
        Command::subcommand,
    )
}

/// The global `-v` flag (read by the binary's logging).
fn verbose_arg() -> Arg {
    Arg::new("verbose")
        .short('v')
        .long("verbose")
        .global(true)
        .action(clap::ArgAction::Count)
        .help("Log calls to stderr: -v request line, status, retries; -vv also headers (redacted) and body prefix. RUST_LOG overrides")
}

/// The global `--log-format text|json` (read by the binary's logging and `sourcing serve`'s).
pub fn log_format_arg() -> Arg {
    Arg::new("log-format")
        .long("log-format")
        .global(true)
        .value_name("FORMAT")
        .value_parser(["text", "json"])
        .default_value("text")
        .help("Log lines on stderr as text, or as JSON lines (timestamp, level, target, fields, spans)")
}

/// `sourcing completions SHELL` and `sourcing man`: shell completions and the man page, generated from the
/// command tree ([`command`]) the binary parses with, so they never go stale.
struct Generated;

impl Subcommand for Generated {
    fn commands(&self) -> Vec<Command> {
        vec![
            Command::new("completions")
                .about("Print shell completions (from the command definitions): sourcing completions bash > /etc/bash_completion.d/sourcing")
                .arg(
                    Arg::new("shell")
                        .required(true)
                        .value_parser(clap::value_parser!(clap_complete::Shell))
                        .help("bash, elvish, fish, powershell or zsh"),
                ),
            Command::new("man")
                .about("Print the man page (roff, from the command definitions): sourcing man > sourcing.1; sourcing man pandapon order-detail > sourcing-pandapon-order-detail.1")
                .arg(
                    Arg::new("command")
                        .num_args(0..)
                        .value_name("COMMAND")
                        .help("The page of this command (as the root page's SUBCOMMANDS name it)"),
                ),
        ]
    }

    fn run<'a>(&'a self, name: &'a str, matches: &'a ArgMatches) -> crate::subcommand::Run<'a> {
        Box::pin(async move {
            let mut out = Vec::new();
            let mut cmd = command();
            let shell = matches.try_get_one::<clap_complete::Shell>("shell");
            match shell.ok().flatten() {
                Some(&shell) if name == "completions" => {
                    clap_complete::generate(shell, &mut cmd, "sourcing", &mut out)
                }
                _ => {
                    let path: Vec<&String> = matches
                        .get_many::<String>("command")
                        .into_iter()
                        .flatten()
                        .collect();
                    cmd.build();
                    for part in &path {
                        cmd = cmd.find_subcommand(part).cloned().ok_or_else(|| {
                            Stop::usage(format!("man: no command {part}; see sourcing --help"))
                        })?;
                    }
                    let title = std::iter::once("sourcing")
                        .chain(path.iter().map(|p| p.as_str()))
                        .collect::<Vec<_>>()
                        .join("-");
                    clap_mangen::Man::new(cmd.name(title))
                        .render(&mut out)
                        .map_err(|e| Stop::config(format!("man: {e}")))?
                }
            }
            crate::output::print_text(String::from_utf8_lossy(&out).trim_end())?;
            Ok(crate::exit::OK)
        })
    }
}

/// The options a command may offer, which may also precede it (see [`hoist`]).
fn shared_args() -> Vec<Arg> {
    let mut args = Flag::args(&Flag::ALL);
    args.push(Format::arg(Format::Json));
    args.extend(crate::confirm::args());
    args
}

/// `sourcing --sandbox -o table pandapon …` → `sourcing pandapon … --sandbox -o table`: the shared options
/// written before the command move to the end of its arguments (before a `--`), so that clap checks them
/// against what the innermost command offers (`sourcing --sandbox ledger reconcile` is `sourcing ledger
/// reconcile --sandbox`; `sourcing --base-url URL mcp` is a usage error, as `sourcing mcp --base-url URL`
/// is). Other arguments stay where they are.
pub fn hoist(argv: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    let shared = shared_args();
    let mut argv = argv.into_iter();
    let mut head: Vec<OsString> = argv.next().into_iter().collect();
    let mut moved = Vec::new();
    while let Some(token) = argv.next() {
        let text = token.to_string_lossy();
        if text == "--" || !text.starts_with('-') {
            // Provider names in any case: `sourcing PandaPon …`.
            let token = match crate::backend::find_provider(&text) {
                Ok(p) => OsString::from(p.name),
                Err(_) => token,
            };
            head.push(token);
            let mut rest: Vec<OsString> = argv.collect();
            let end = rest.iter().position(|t| t == "--").unwrap_or(rest.len());
            rest.splice(end..end, moved);
            head.extend(rest);
            return head;
        }
        let matched = shared.iter().find_map(|a| option_form(a, &text));
        match matched {
            Some(takes_next) => {
                moved.push(token);
                if takes_next {
                    moved.extend(argv.next());
                }
            }
            None => head.push(token),
        }
    }
    // No command: leave everything where it was, for clap to report.
    head.extend(moved);
    head
}

/// Whether `token` is `arg` (`Some`), and if so whether its value is the next token: `--long VALUE`,
/// `-s VALUE` (true), `--long=VALUE`, `-sVALUE`, a flag without value (false).
fn option_form(arg: &Arg, token: &str) -> Option<bool> {
    let takes_value = arg.get_action().takes_values();
    if let Some(long) = arg.get_long() {
        if token.strip_prefix("--") == Some(long) {
            return Some(takes_value);
        }
        if token
            .strip_prefix("--")
            .and_then(|t| t.strip_prefix(long))
            .is_some_and(|rest| rest.starts_with('='))
        {
            return Some(false);
        }
    }
    let short = arg.get_short()?;
    let rest = token.strip_prefix('-')?.strip_prefix(short)?;
    Some(rest.is_empty() && takes_value)
}

/// Run the command `matches` names; the exit code.
pub async fn run(matches: ArgMatches) -> u8 {
    let result = match matches.subcommand() {
        Some((name, m)) => match SUBCOMMANDS.iter().find(|s| s.owns(name)) {
            Some(subcommand) => subcommand.run(name, m).await,
            None => Err(Stop::usage(format!("unknown command {name}; see --help"))),
        },
        None => Err(Stop::usage("no command given; see --help")),
    };
    // The embedded sandbox's callbacks get their first attempt before the process exits.
    crate::backend::settle_embedded().await;
    // Output lost on the way out fails the command, whatever it did.
    let result = match crate::output::stdout_failure() {
        Some(stop) => Err(stop),
        None => result,
    };
    match result {
        Ok(code) => code,
        Err(Stop(code, message)) => {
            eprintln!("error: {message}");
            code
        }
    }
}

/// Whether `--log-format json` was given (the global flag): logs are JSON lines then.
pub fn json_logs(m: &ArgMatches) -> bool {
    m.try_get_one::<String>("log-format")
        .ok()
        .flatten()
        .is_some_and(|f| f == "json")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hoisted(args: &str) -> String {
        hoist(args.split(' ').map(OsString::from))
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn options_before_the_command_move_to_its_end() {
        assert_eq!(
            hoisted("sourcing --sandbox -o table pandapon op --order-id 1"),
            "sourcing pandapon op --order-id 1 --sandbox -o table"
        );
        assert_eq!(
            hoisted("sourcing -v --config=f --base-url u -ojson buy search"),
            "sourcing -v buy search --config=f --base-url u -ojson"
        );
        assert_eq!(
            hoisted("sourcing --sandbox ledger reconcile"),
            "sourcing ledger reconcile --sandbox",
            "the innermost command's options"
        );
        assert_eq!(
            hoisted("sourcing --sandbox pandapon op -- --literal"),
            "sourcing pandapon op --sandbox -- --literal",
            "before a `--`"
        );
        assert_eq!(
            hoisted("sourcing --profile shop-a --yes --dry-run pandapon op"),
            "sourcing pandapon op --profile shop-a --yes --dry-run"
        );
        assert_eq!(hoisted("sourcing --help"), "sourcing --help");
        assert_eq!(
            hoisted("sourcing -o table PandaPon op"),
            "sourcing pandapon op -o table",
            "provider names in any case"
        );
        assert_eq!(hoisted("sourcing --sandbox"), "sourcing --sandbox");
        assert_eq!(
            hoisted("sourcing mcp --sandbox"),
            "sourcing mcp --sandbox",
            "after the command nothing moves"
        );
    }
}
