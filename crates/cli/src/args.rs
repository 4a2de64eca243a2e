//! The operation commands: one per provider, one per operation, one flag per documented parameter.

use clap::{Arg, Command};
use sourcing_runtime::{Operation, Param, ParamLocation, Provider};

/// Marks an operation the vendor does not publish (known only from third-party clients) in the help.
pub(crate) const UNCONFIRMED_MARK: &str = "[unconfirmed]";

/// `orderId` -> `order-id`; a run of capitals is one word (`categoryID` -> `category-id`).
pub(crate) fn flag_name(param: &str) -> String {
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
const RESERVED_FLAGS: &[&str] = &[
    "body", "base-url", "sandbox", "config", "profile", "output", "help", "yes", "dry-run",
];

/// The clap id of a parameter's argument: its location and name (`query:refundId`, `body:refundId`), so a
/// query parameter and a body field of the same name are two arguments.
pub(crate) fn arg_id(p: &Param) -> String {
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

/// The usage line of `op`'s command: every required flag, then `[OPTIONS]` (clap lists only flags it
/// enforces, and a required body field may come in `--body` instead, so clap does not enforce it).
fn usage(provider: &str, op: &Operation) -> String {
    let required: Vec<String> = op
        .params
        .iter()
        .zip(flags(op))
        .filter(|(p, _)| p.required)
        .map(|(p, flag)| format!("--{flag} <{}>", p.kind.name().to_uppercase()))
        .collect();
    let mut line = format!("sourcing {provider} {}", op.id.replace('_', "-"));
    for r in required {
        line.push(' ');
        line.push_str(&r);
    }
    line + " [OPTIONS]"
}

fn operation_command(provider: &str, op: &'static Operation) -> Command {
    let retry = if op.effect.retried() {
        "retried on transient failures"
    } else {
        "never retried"
    };
    let effect = format!(
        "effect: {} — {}; {retry}",
        op.effect.name(),
        op.effect.meaning()
    );
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
            "{about}\n\n{} {} ({effect}).{unconfirmed}",
            op.method, op.path
        ))
        .override_usage(usage(provider, op));
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

/// `sourcing <provider>`: one subcommand per operation.
pub fn provider_command(p: &'static Provider) -> Command {
    p.operations.iter().fold(
        Command::new(p.name)
            .about(provider_about(p))
            .subcommand_required(true)
            .arg_required_else_help(true),
        |cmd, op| cmd.subcommand(operation_command(p.name, op)),
    )
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
