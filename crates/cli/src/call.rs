//! Running one command: inputs from flags, credentials from env/config/sandbox, the call, output, exit code.

use crate::exit;
use crate::output;
use clap::ArgMatches;
use serde_json::Value;
use sourcing_runtime::operation::{Operation, ParamKind, ParamLocation, Provider};
use sourcing_runtime::{CredentialValues, Error};
use sourcing_sandbox::{FaultRule, Sandbox, SandboxConfig};
use std::collections::BTreeMap;

/// A failure before the call, with its exit code.
pub(crate) struct Stop(pub(crate) u8, pub(crate) String);

pub async fn run(m: ArgMatches) -> u8 {
    let result = match m.subcommand() {
        Some(("sandbox", sm)) => run_sandbox(sm).await,
        Some(("webhooks", wm)) => run_webhooks(wm).await,
        Some(("buy", bm)) => crate::buy::run(bm).await,
        Some(("mcp", mm)) => crate::mcp::run(mm).await,
        Some((name, pm)) => run_operation(name, pm).await,
        None => Err(Stop(exit::USAGE, "no command given; see --help".into())),
    };
    match result {
        Ok(code) => code,
        Err(Stop(code, message)) => {
            eprintln!("error: {message}");
            code
        }
    }
}

async fn run_sandbox(m: &ArgMatches) -> Result<u8, Stop> {
    let port = m.get_one::<u16>("port").copied().unwrap_or(8080);
    let faults = m
        .get_many::<String>("fault")
        .into_iter()
        .flatten()
        .map(|f| FaultRule::parse(f))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Stop(exit::USAGE, e))?;
    let config = SandboxConfig {
        addr: ([127, 0, 0, 1], port).into(),
        ..SandboxConfig::default()
    };
    print!("{}", sourcing_sandbox::banner(config.addr));
    tokio::select! {
        r = Sandbox::serve(config, faults) => r.map(|_| exit::OK).map_err(|e| Stop(exit::CONFIG, format!("sandbox: {e}"))),
        _ = tokio::signal::ctrl_c() => Ok(exit::OK),
    }
}

async fn run_webhooks(m: &ArgMatches) -> Result<u8, Stop> {
    use sourcing_webhooks::{Callback, HandlerError, Provider, Receiver};
    let port = m.get_one::<u16>("port").copied().unwrap_or(8090);
    let path = m
        .get_one::<String>("path")
        .cloned()
        .unwrap_or_else(|| "/".into());
    let name = m
        .get_one::<String>("provider")
        .map(String::as_str)
        .unwrap_or_default();
    let described = find_provider(name)?;
    let provider = Provider::from_name(name, || {
        let s = settings(m.get_one::<String>("config"))?;
        // The signing key of the pushes is the provider's secret.
        let var = described
            .credentials
            .secret_env_var(described.env_prefix)
            .ok_or_else(|| Stop(exit::CONFIG, format!("{name} credentials have no secret")))?;
        setting(&s, var).map(Into::into)
    })
    .ok_or_else(|| {
        Stop(
            exit::USAGE,
            format!("{name} publishes no callbacks this receiver knows"),
        )
    })??;
    eprintln!(
        "receiving {} callbacks on http://127.0.0.1:{port}{path}",
        provider.name()
    );
    let handler = |cb: Callback| async move {
        let line = serde_json::to_string(&cb)?;
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        writeln!(out, "{line}")?;
        out.flush()?;
        Ok::<_, HandlerError>(())
    };
    let receiver = Receiver::new(provider, handler).path(path);
    tokio::select! {
        r = receiver.serve(([127, 0, 0, 1], port).into()) => r.map(|_| exit::OK).map_err(|e| Stop(exit::CONFIG, format!("webhooks: {e}"))),
        _ = tokio::signal::ctrl_c() => Ok(exit::OK),
    }
}

/// The provider of this name in the one registry, `sourcing_registry::providers()`.
pub(crate) fn find_provider(name: &str) -> Result<&'static Provider, Stop> {
    sourcing_registry::find(name)
        .ok_or_else(|| Stop(exit::USAGE, format!("unknown provider {name}")))
}

async fn run_operation(provider_name: &str, pm: &ArgMatches) -> Result<u8, Stop> {
    let provider = find_provider(provider_name)?;
    let (op_name, om) = pm.subcommand().ok_or_else(|| {
        Stop(
            exit::USAGE,
            format!("{provider_name}: which operation? see --help"),
        )
    })?;
    let op = provider.find(op_name).ok_or_else(|| {
        Stop(
            exit::USAGE,
            format!("{provider_name} has no operation {op_name}"),
        )
    })?;
    let (query, body) = inputs(op, om)?;

    let sandbox;
    let (base_url, settings) = if om.get_flag("sandbox") {
        sandbox = Sandbox::start()
            .await
            .map_err(|e| Stop(exit::CONFIG, format!("cannot start the sandbox: {e}")))?;
        (sandbox.base_url(provider.name), sandbox_settings(provider))
    } else {
        let settings = settings(om.get_one::<String>("config"))?;
        let base = om
            .get_one::<String>("base-url")
            .cloned()
            .or_else(|| {
                settings
                    .get(&format!("{}_BASE_URL", provider.env_prefix))
                    .cloned()
            })
            .unwrap_or_else(|| provider.production_base_url.to_string());
        (base, settings)
    };
    let query_refs: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let result = invoke(
        provider,
        &base_url,
        &settings,
        om.get_flag("sandbox"),
        op,
        &query_refs,
        body.as_ref(),
    )
    .await?;
    let table = om.get_one::<String>("output").map(String::as_str) == Some("table");
    let print = |data: &Value| {
        println!(
            "{}",
            if table {
                output::table(data)
            } else {
                output::json(data)
            }
        )
    };
    match result {
        Ok(data) => {
            print(&data);
            Ok(exit::OK)
        }
        Err(e) => {
            eprintln!("error: {e}");
            if let Some(body) = e.body() {
                eprintln!("{}", output::body_prefix(body));
            }
            // A partly failed batch still tells which items went through: print the answer as on success.
            if let Some(p) = e.partial_failure() {
                print(&p.data);
            }
            Ok(match e {
                Error::Api(_) | Error::PartialFailure(_) => exit::BUSINESS,
                Error::InvalidRequest { .. } | Error::Signing { .. } => exit::REQUEST,
                _ => exit::TRANSPORT,
            })
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
    for (p, flag) in op.params.iter().zip(crate::args::flags(op)) {
        let value = m.get_one::<String>(&crate::args::arg_id(p));
        match (p.location, value) {
            (ParamLocation::Query, Some(v)) => query.push((p.name, v.clone())),
            (ParamLocation::Body, Some(v)) => {
                let json = if p.kind == ParamKind::String {
                    Value::String(v.clone())
                } else {
                    serde_json::from_str(v)
                        .map_err(|e| Stop(exit::USAGE, format!("--{flag}: not valid JSON ({e})")))?
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
            .map_err(|e| Stop(exit::USAGE, format!("--body @{path}: {e}")))?,
        None => text.to_string(),
    };
    let value: Value = serde_json::from_str(&source)
        .map_err(|e| Stop(exit::USAGE, format!("--body: not valid JSON ({e})")))?;
    if !value.is_object() {
        return Err(Stop(exit::USAGE, "--body must be a JSON object".into()));
    }
    Ok(value)
}

/// Settings from `--config` (KEY=VALUE lines) over the environment.
pub(crate) fn settings(config: Option<&String>) -> Result<BTreeMap<String, String>, Stop> {
    let mut map: BTreeMap<String, String> = std::env::vars().collect();
    if let Some(path) = config {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Stop(exit::CONFIG, format!("--config {path}: {e}")))?;
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (k, v) = line
                .trim_start_matches("export ")
                .split_once('=')
                .ok_or_else(|| {
                    Stop(
                        exit::CONFIG,
                        format!("--config {path} line {}: expected KEY=VALUE", n + 1),
                    )
                })?;
            map.insert(k.trim().to_string(), v.trim().trim_matches('"').to_string());
        }
    }
    Ok(map)
}

/// The provider's sandbox test credentials, as settings of its credential environment variables.
pub(crate) fn sandbox_settings(provider: &Provider) -> BTreeMap<String, String> {
    let kind = provider.credentials.kind();
    kind.env_vars(provider.env_prefix)
        .into_iter()
        .zip(kind.fields.iter().map(|f| f.sandbox.to_string()))
        .collect()
}

fn setting(settings: &BTreeMap<String, String>, key: String) -> Result<String, Stop> {
    settings.get(&key).cloned().ok_or_else(|| {
        Stop(
            exit::CONFIG,
            format!(
                "{key} is not set (environment or --config); try --sandbox to use the local sandbox"
            ),
        )
    })
}

/// The runtime for `provider` from the settings' credentials (the provider's credential environment
/// variables, in order), signing every scheme of the provider. Against the sandbox, schemes whose rule is
/// unpublished sign with the stand-in the sandbox accepts.
pub(crate) fn runtime_for(
    provider: &Provider,
    settings: &BTreeMap<String, String>,
    sandbox: bool,
) -> Result<sourcing_runtime::Runtime, Stop> {
    use sourcing_runtime::Runtime;
    let values = provider
        .credentials
        .env_vars(provider.env_prefix)
        .into_iter()
        .map(|var| setting(settings, var))
        .collect::<Result<Vec<_>, _>>()?;
    let values = CredentialValues::new(values);
    Ok(match sandbox {
        true => Runtime::for_sandbox(provider, &values),
        false => Runtime::for_provider(provider, &values),
    })
}

async fn invoke(
    provider: &Provider,
    base_url: &str,
    settings: &BTreeMap<String, String>,
    sandbox: bool,
    op: &Operation,
    query: &[(&str, &str)],
    body: Option<&Value>,
) -> Result<Result<Value, Error>, Stop> {
    let runtime = runtime_for(provider, settings, sandbox)?;
    let http = runtime.http_client();
    Ok(runtime
        .call_operation(&http, base_url, provider, op, query, body)
        .await)
}
