//! The command tree: one subcommand per provider, one per operation, one flag per documented parameter.

use clap::{Arg, ArgAction, Command};
use sourcing_runtime::operation::{Operation, Param, ParamLocation, Provider};

pub const AFTER_HELP: &str = "\
Credentials come from the environment (<PREFIX>_ACCESS_KEY, <PREFIX>_ACCESS_SECRET, <PREFIX>_USER_ID for
PandaPon/Xportcn; <PREFIX>_APP_KEY, <PREFIX>_APP_SECRET for Dajisaas; PREFIX = PANDAPON, XPORTCN, DAJISAAS)
or from --config FILE (KEY=VALUE lines with the same names). They are never printed.

Exit codes: 0 success, 2 usage error, 3 missing credentials or configuration, 4 transport/HTTP/undecodable
response, 5 business error (the provider's envelope code), 6 request refused before sending (invalid
input or signing).";

/// Marks an operation the vendor does not publish (known only from third-party clients) in the help.
pub const UNCONFIRMED_MARK: &str = "[unconfirmed]";

/// `orderId` -> `order-id`; a run of capitals is one word (`categoryID` -> `category-id`).
pub fn flag_name(param: &str) -> String {
    let mut out = String::new();
    let mut prev_upper = true;
    for c in param.chars() {
        if c.is_ascii_uppercase() {
            if !prev_upper && !out.ends_with('-') {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else if c == '_' {
            out.push('-');
        } else {
            out.push(c);
        }
        prev_upper = c.is_ascii_uppercase();
    }
    out
}

/// Flags every operation command has besides its parameters' (`--body`, the global flags, clap's `--help`).
const RESERVED_FLAGS: &[&str] = &["body", "base-url", "sandbox", "config", "output", "help"];

/// The clap id of a parameter's argument: its location and name (`query:refundId`, `body:refundId`), so a
/// query parameter and a body field of the same name are two arguments.
pub fn arg_id(p: &Param) -> String {
    let place = match p.location {
        ParamLocation::Query => "query",
        ParamLocation::Body => "body",
    };
    format!("{place}:{}", p.name)
}

/// The flag of each parameter of `op`, in order, never colliding. A flag is the parameter's input name
/// ([`Operation::input_name`], the name `sourcing mcp` and the input schema use) in kebab case: `orderId` →
/// `--order-id`; a body field named like a query parameter is `body_<name>` there, so PandaPon
/// `refund_info`'s query `refundId` is `--refund-id` and its body `refundId` is `--body-refund-id`. Should two
/// parameters still map to one flag, or a flag be one the command already has (`--body`, a global flag),
/// the flag names the location: `--query-…`, `--body-…`.
pub fn flags(op: &Operation) -> Vec<String> {
    let plain: Vec<String> = op
        .params
        .iter()
        .map(|p| flag_name(&op.input_name(p)))
        .collect();
    op.params
        .iter()
        .zip(&plain)
        .map(|(p, flag)| {
            let shared = plain.iter().filter(|f| *f == flag).count() > 1;
            if shared || RESERVED_FLAGS.contains(&flag.as_str()) {
                match p.location {
                    ParamLocation::Query => format!("query-{flag}"),
                    ParamLocation::Body => format!("body-{flag}"),
                }
            } else {
                flag.clone()
            }
        })
        .collect()
}

fn operation_command(op: &'static Operation) -> Command {
    let retry = if op.idempotent {
        "retried on transient failures"
    } else {
        "never retried"
    };
    let (about, unconfirmed) = match op.evidence {
        Some(source) => (
            format!("{UNCONFIRMED_MARK} {}", op.summary),
            format!(
                "\n\nUnconfirmed by the vendor: known only from third-party clients ({source}). The vendor may \
                 change or remove it without notice."
            ),
        ),
        None => (op.summary.to_string(), String::new()),
    };
    let mut cmd = Command::new(op.id.replace('_', "-"))
        .alias(op.id)
        .about(about.clone())
        .long_about(format!(
            "{about}\n\n{} {} ({retry}).{unconfirmed}",
            op.method, op.path
        ));
    let flags = flags(op);
    for (p, flag) in op.params.iter().zip(flags) {
        let place = match p.location {
            ParamLocation::Query => "query",
            ParamLocation::Body => "body field, JSON unless a string",
        };
        let required = if p.required { ", required" } else { "" };
        let mut help = format!("[{place}, {}{required}]", p.kind.name());
        if !p.description.is_empty() {
            help = format!(
                "{} {help}",
                p.description.lines().next().unwrap_or_default()
            );
        }
        cmd = cmd.arg(
            Arg::new(arg_id(p))
                .long(flag)
                .value_name(p.kind.name().to_uppercase())
                .help(help),
        );
    }
    if op.has_body {
        cmd = cmd.arg(
            Arg::new("body")
                .long("body")
                .value_name("JSON|@FILE")
                .help("The whole JSON body (or @path to a file); field flags are merged into it"),
        );
    }
    cmd
}

fn provider_about(p: &Provider) -> String {
    let unconfirmed = p.operations.iter().filter(|o| o.is_unconfirmed()).count();
    match unconfirmed {
        0 => format!("{} OpenAPI ({} operations)", p.title, p.operations.len()),
        n => format!(
            "{} OpenAPI ({} operations; {n} {UNCONFIRMED_MARK}: known only from third-party clients)",
            p.title,
            p.operations.len()
        ),
    }
}

/// The subcommand of a provider: one sub-subcommand per operation of its table.
pub fn provider_command(p: &'static Provider) -> Command {
    p.operations.iter().fold(
        Command::new(p.name)
            .about(provider_about(p))
            .subcommand_required(true)
            .arg_required_else_help(true),
        |cmd, op| cmd.subcommand(operation_command(op)),
    )
}

pub fn command() -> Command {
    let global = [
        Arg::new("base-url")
            .long("base-url")
            .global(true)
            .value_name("URL")
            .help("Call this base URL instead of the provider's production URL"),
        Arg::new("sandbox")
            .long("sandbox")
            .global(true)
            .action(ArgAction::SetTrue)
            .help("Start the embedded sandbox and call it with its test credentials (no account needed)"),
        Arg::new("config")
            .long("config")
            .global(true)
            .value_name("FILE")
            .help("Read credentials from KEY=VALUE lines (see below)"),
        Arg::new("output")
            .long("output")
            .short('o')
            .global(true)
            .value_parser(["json", "table"])
            .default_value("json")
            .help("json (default) or a readable table for lists"),
    ];
    let sandbox = Command::new("sandbox")
        .about("Run the local sandbox that speaks every provider's API")
        .arg(
            Arg::new("port")
                .long("port")
                .value_parser(clap::value_parser!(u16))
                .default_value("8080")
                .help("Port on 127.0.0.1"),
        )
        .arg(
            Arg::new("fault")
                .long("fault")
                .action(ArgAction::Append)
                .value_name("OP=FAULT[:N]")
                .help("Inject a fault: OP is an operation id or *, FAULT one of latency-<ms>, <status>, drop, truncate, malformed, business-<code>; N limits it to the next N requests"),
        );
    let webhooks = Command::new("webhooks")
        .about("Receive a provider's callbacks: verify, deduplicate, print each as a JSON line, answer 200")
        .long_about(
            "Receive a provider's callbacks on 127.0.0.1:PORT: verify them (Dajisaas: HMAC-SHA1 with \
             DAJISAAS_APP_SECRET; PandaPon/Xportcn publish no signature), drop repeated deliveries, print each \
             new message as one JSON line on stdout, and answer 200 once it is written. Malformed or oversized \
             bodies get 4xx with the reason. Put a TLS proxy in front: the vendors require HTTPS.",
        )
        .arg(
            Arg::new("provider")
                .long("provider")
                .required(true)
                .value_parser(clap::builder::PossibleValuesParser::new(
                    // The registry's providers whose callback format the receiver knows.
                    sourcing_registry::providers()
                        .iter()
                        .map(|p| p.name)
                        .filter(|name| sourcing_webhooks::Provider::NAMES.contains(name)),
                ))
                .help("Whose callbacks"),
        )
        .arg(
            Arg::new("port")
                .long("port")
                .value_parser(clap::value_parser!(u16))
                .default_value("8090")
                .help("Port on 127.0.0.1"),
        )
        .arg(Arg::new("path").long("path").default_value("/").help("Callback path"));
    let mcp = Command::new("mcp")
        .about("Serve every operation as a Model Context Protocol tool on stdin/stdout (guarded; see --help)")
        .long_about(crate::mcp::ABOUT)
        .arg(
            Arg::new("live")
                .long("live")
                .action(ArgAction::SetTrue)
                .help("Call the providers whose credentials are set (environment or --config) instead of the embedded sandbox"),
        )
        .arg(
            Arg::new("allow-writes")
                .long("allow-writes")
                .action(ArgAction::SetTrue)
                .help("Also serve the operations that change something (create, cancel, confirm, cart and address edits)"),
        )
        .arg(
            Arg::new("allow-payments")
                .long("allow-payments")
                .action(ArgAction::SetTrue)
                .help("Also serve the operations that pay or return a payment link (they move money)"),
        );
    sourcing_registry::providers()
        .iter()
        .fold(
            Command::new("sourcing")
                .about("Typed, signed calls to PandaPon, Dajisaas and Xportcn, and a local sandbox")
                .version(env!("CARGO_PKG_VERSION"))
                .after_help(AFTER_HELP)
                .subcommand_required(true)
                .arg_required_else_help(true)
                .args(global),
            |cmd, p| cmd.subcommand(provider_command(p)),
        )
        .subcommand(sandbox)
        .subcommand(webhooks)
        .subcommand(mcp)
        .subcommand(crate::buy::command())
}

#[cfg(test)]
mod tests {
    #[test]
    fn flag_names() {
        for (param, flag) in [
            ("orderId", "order-id"),
            ("categoryID", "category-id"),
            ("skuID", "sku-id"),
            ("page_no", "page-no"),
            ("OrderId", "order-id"),
            ("beginPage", "begin-page"),
        ] {
            assert_eq!(super::flag_name(param), flag);
        }
    }
}
