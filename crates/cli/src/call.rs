//! `sourcing <provider> <operation> [--flags]`: one command per provider, one per operation, built from the
//! operation tables ([`crate::args`]); running one: inputs from flags, the call through the backend, output,
//! exit code.

use crate::args::{arg_id, flags, provider_command};
use crate::backend::{Backend, Flag, find_provider, providers};
use crate::confirm::{self, LiveAction};
use crate::output::{Format, Printer, body_prefix};
use crate::subcommand::{Run, Subcommand};
use crate::{Stop, exit};
use clap::{ArgMatches, Command};
use serde_json::Value;
use sourcing_runtime::operation::{Operation, ParamKind, ParamLocation};

/// Every operation of every provider: `sourcing <provider> <operation>`.
pub struct Operations;

impl Subcommand for Operations {
    fn commands(&self) -> Vec<Command> {
        providers()
            .iter()
            .map(|p| {
                provider_command(p)
                    .args(Flag::args(&Flag::ALL))
                    .arg(Format::arg(Format::Json))
                    .args(confirm::args())
            })
            .collect()
    }

    fn owns(&self, name: &str) -> bool {
        find_provider(name).is_ok()
    }

    fn run<'a>(&'a self, name: &'a str, matches: &'a ArgMatches) -> Run<'a> {
        Box::pin(run_operation(name, matches))
    }
}

async fn run_operation(provider_name: &str, pm: &ArgMatches) -> Result<u8, Stop> {
    let provider = find_provider(provider_name)?;
    let (op_name, om) = pm
        .subcommand()
        .ok_or_else(|| Stop::usage(format!("{provider_name}: which operation? see --help")))?;
    let op = provider
        .find(op_name)
        .ok_or_else(|| Stop::usage(format!("{provider_name} has no operation {op_name}")))?;
    let (query, body) = inputs(op, om)?;
    let backend = Backend::from_matches(om).await?;
    backend.require_profile_of(provider)?;
    let endpoint = backend.endpoint(provider)?;
    let query_refs: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
    if confirm::is_dry_run(om) {
        let shown = confirm::dry_run(&endpoint, op, &query_refs, body.as_ref())?;
        crate::output::print_text(&shown)?;
        eprintln!("dry run: nothing was sent");
        return Ok(exit::OK);
    }
    let action = LiveAction {
        provider,
        profile: backend.profile(provider),
        operation: op.id,
        effect: op.effect,
        order_ids: order_ids(&query, body.as_ref()),
        amount: None,
        base_url: &endpoint.base_url,
    };
    confirm::confirm_live(&backend, &action, confirm::yes(om))?;
    let result = endpoint.call(op, &query_refs, body.as_ref()).await;
    let printer = Printer::new(Format::of(om, Format::Json));
    match result {
        Ok(data) => {
            printer.answer(&data);
            Ok(exit::OK)
        }
        Err(e) => {
            eprintln!("error: {e}");
            if let Some(body) = e.body() {
                eprintln!("{}", body_prefix(body));
            }
            // A partly failed batch still tells which items went through: print the answer as on success.
            if let Some(p) = e.partial_failure() {
                printer.answer(&p.data);
            }
            Ok(exit::of(&e))
        }
    }
}

/// The order ids among the inputs (fields named like `orderId`, `orderIds`, `orderIdList`,
/// `subPurchaseOrderId`: a value, a JSON list or a comma-separated list), for the confirmation.
fn order_ids(query: &[(&'static str, String)], body: Option<&Value>) -> Vec<String> {
    let is_order_field = |name: &str| {
        let name = name.to_lowercase();
        name.contains("order") && name.contains("id")
    };
    let mut ids = Vec::new();
    let mut add = |v: &Value| match v {
        Value::String(s) => ids.extend(
            s.split(',')
                .map(|p| p.trim().trim_matches(['[', ']', '"']).to_string())
                .filter(|p| !p.is_empty()),
        ),
        Value::Array(items) => ids.extend(items.iter().map(|i| match i {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })),
        Value::Null => {}
        other => ids.push(other.to_string()),
    };
    for (name, value) in query {
        if is_order_field(name) {
            add(&Value::String(value.clone()));
        }
    }
    if let Some(Value::Object(map)) = body {
        for (name, value) in map {
            if is_order_field(name) {
                add(value);
            }
        }
    }
    ids
}

type Inputs = (Vec<(&'static str, String)>, Option<Value>);

/// Query pairs and the JSON body from the operation's flags (and `--body`).
fn inputs(op: &'static Operation, m: &ArgMatches) -> Result<Inputs, Stop> {
    let mut query = Vec::new();
    let mut body = match m.try_get_one::<String>("body").ok().flatten() {
        Some(text) => Some(parse_body(text)?),
        None => op.has_body.then(|| Value::Object(Default::default())),
    };
    let mut missing = Vec::new();
    for (p, flag) in op.params.iter().zip(flags(op)) {
        let value = m.get_one::<String>(&arg_id(p));
        match (p.location, value) {
            (ParamLocation::Query, Some(v)) => query.push((p.name, v.clone())),
            (ParamLocation::Body, Some(v)) => {
                let json = if p.kind == ParamKind::String {
                    Value::String(v.clone())
                } else {
                    serde_json::from_str(v)
                        .map_err(|e| Stop::usage(format!("--{flag}: not valid JSON ({e})")))?
                };
                if let Some(Value::Object(map)) = body.as_mut() {
                    map.insert(p.name.to_string(), json);
                }
            }
            (ParamLocation::Query, None) if p.required => missing.push(format!("--{flag}")),
            (ParamLocation::Body, None)
                if p.required && body.as_ref().and_then(|b| b.get(p.name)).is_none() =>
            {
                missing.push(format!("--{flag} (or that field in --body)"))
            }
            _ => {}
        }
    }
    // Every missing input at once.
    match missing.as_slice() {
        [] => {}
        [one] => return Err(Stop::usage(format!("{}: {one} is required", op.id))),
        [init @ .., last] => {
            return Err(Stop::usage(format!(
                "{}: {} and {last} are required",
                op.id,
                init.join(", ")
            )));
        }
    }
    Ok((query, body))
}

fn parse_body(text: &str) -> Result<Value, Stop> {
    let source = match text.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| Stop::usage(format!("--body @{path}: {e}")))?,
        None => text.to_string(),
    };
    let value: Value = serde_json::from_str(&source)
        .map_err(|e| Stop::usage(format!("--body: not valid JSON ({e})")))?;
    if !value.is_object() {
        return Err(Stop::usage("--body must be a JSON object"));
    }
    Ok(value)
}
