//! `sourcing <provider> <operation> [--flags]`: one command per provider, one per operation, built from the
//! operation tables ([`crate::args`]); running one: inputs from flags, the call through the backend, output,
//! exit code.

use crate::args::{arg_id, flags, provider_command};
use crate::backend::{Backend, Flag, find_provider, providers};
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
    let endpoint = backend.endpoint(provider)?;
    let query_refs: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
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

type Inputs = (Vec<(&'static str, String)>, Option<Value>);

/// Query pairs and the JSON body from the operation's flags (and `--body`).
fn inputs(op: &'static Operation, m: &ArgMatches) -> Result<Inputs, Stop> {
    let mut query = Vec::new();
    let mut body = match m.try_get_one::<String>("body").ok().flatten() {
        Some(text) => Some(parse_body(text)?),
        None => op.has_body.then(|| Value::Object(Default::default())),
    };
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
            (ParamLocation::Query, None) if p.required => {
                return Err(Stop(
                    exit::USAGE,
                    format!("{}: --{flag} is required", op.id),
                ));
            }
            (ParamLocation::Body, None) if p.required => {
                let present = body.as_ref().and_then(|b| b.get(p.name)).is_some();
                if !present {
                    return Err(Stop(
                        exit::USAGE,
                        format!("{}: --{flag} (or that field in --body) is required", op.id),
                    ));
                }
            }
            _ => {}
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
