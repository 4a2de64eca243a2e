//! Live money asks first: a payment or a write (operation effect `pay`/`write`) to a live endpoint shows
//! what it will do — provider, profile, operation, order ids, amount where known — and asks on a terminal
//! ([`confirm_live`]); without a terminal it needs `--yes`; `--dry-run` prints the signed request (secrets
//! redacted, [`dry_run`]) and sends nothing. The sandbox never asks.

use crate::Stop;
use crate::backend::{Backend, Endpoint};
use clap::{Arg, ArgAction, ArgMatches};
use serde_json::Value;
use sourcing_runtime::{Effect, Operation, Provider};
use std::io::{BufRead, IsTerminal, Write};

pub const YES: &str = "yes";
pub const DRY_RUN: &str = "dry-run";

/// `--yes` and `--dry-run`, for commands that may write or pay.
pub fn args() -> [Arg; 2] {
    [
        Arg::new(YES)
            .long(YES)
            .short('y')
            .global(true)
            .action(ArgAction::SetTrue)
            .help(
                "Send a live write or payment without asking (needed when stdin is not a terminal)",
            ),
        Arg::new(DRY_RUN)
            .long(DRY_RUN)
            .global(true)
            .action(ArgAction::SetTrue)
            .help("Print the signed request (secrets redacted) and send nothing"),
    ]
}

fn flag(m: &ArgMatches, id: &str) -> bool {
    m.try_get_one::<bool>(id).ok().flatten() == Some(&true)
}

/// Whether `m` says `--yes`.
pub fn yes(m: &ArgMatches) -> bool {
    flag(m, YES)
}

/// Whether `m` says `--dry-run`.
pub fn is_dry_run(m: &ArgMatches) -> bool {
    flag(m, DRY_RUN)
}

/// What a live write or payment is about to do.
#[derive(Clone, Debug)]
pub struct LiveAction<'a> {
    pub provider: &'a Provider,
    /// The profile whose account pays ([`Backend::profile`]).
    pub profile: Option<&'a str>,
    /// The operation (`order_pay_url`) or step (`buy pay`).
    pub operation: &'a str,
    pub effect: Effect,
    /// The orders it touches, as given.
    pub order_ids: Vec<String>,
    /// The amount, with its unit, where known (the ledger's preview).
    pub amount: Option<String>,
    /// Where it goes.
    pub base_url: &'a str,
}

impl LiveAction<'_> {
    /// The summary shown before asking, one fact per line.
    pub fn summary(&self) -> String {
        let none = "—".to_string();
        let ids = match self.order_ids.as_slice() {
            [] => none.clone(),
            ids => ids.join(", "),
        };
        [
            format!(
                "about to {} at {} (live):",
                match self.effect {
                    Effect::Pay => "PAY",
                    Effect::Write => "WRITE",
                    Effect::Read => "read",
                },
                self.provider.title
            ),
            format!("  provider   {}", self.provider.name),
            format!(
                "  profile    {}",
                self.profile.unwrap_or("(environment credentials)")
            ),
            format!("  operation  {} ({})", self.operation, self.effect.name()),
            format!("  orders     {ids}"),
            format!("  amount     {}", self.amount.clone().unwrap_or(none)),
            format!("  endpoint   {}", self.base_url),
        ]
        .join("\n")
    }
}

/// Ask before a live write or payment: `Ok` to send. Reads and the sandbox pass; `yes` (`--yes`) passes;
/// on a terminal (stdin a tty) the summary is shown on stderr and only `y`/`yes` passes; without a terminal
/// it is a usage error naming `--yes`. Nothing is sent when this fails.
pub fn confirm_live(backend: &Backend, action: &LiveAction, yes: bool) -> Result<(), Stop> {
    if backend.is_sandbox() || action.effect == Effect::Read || yes {
        return Ok(());
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(Stop::usage(format!(
            "{}\nnot sent: a live {} needs confirmation; stdin is not a terminal, so pass --yes (or \
             --dry-run to see the signed request)",
            action.summary(),
            action.effect.name()
        )));
    }
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "{}\nSend it? [y/N] ", action.summary());
    let _ = err.flush();
    let mut answer = String::new();
    stdin
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Stop::usage(format!("no answer ({e}): nothing sent")))?;
    match answer.trim().to_lowercase().as_str() {
        "y" | "yes" => Ok(()),
        _ => Err(Stop::usage("not confirmed: nothing sent")),
    }
}

/// The request `op` would send — built, limit-checked and signed exactly as a call — as text: request
/// line, headers (values redacted unless harmless, [`sourcing_runtime::observe::is_shown_header`]), body
/// (the scheme's secret fields redacted). Nothing is sent.
pub fn dry_run(
    endpoint: &Endpoint,
    op: &Operation,
    query: &[(&str, &str)],
    body: Option<&Value>,
) -> Result<String, Stop> {
    let refused = |m: String| Stop(crate::exit::REQUEST, format!("{}: {m}", op.id));
    let url = format!("{}{}", endpoint.base_url.trim_end_matches('/'), op.path);
    let method =
        reqwest::Method::from_bytes(op.method.as_bytes()).map_err(|e| refused(e.to_string()))?;
    let mut builder = endpoint
        .http
        .request(method, url)
        .header(reqwest::header::ACCEPT, "application/json")
        .query(query);
    if let Some(body) = body {
        builder = builder.json(body);
    }
    let mut request = builder.build().map_err(|e| refused(e.to_string()))?;
    op.check_limits(&request).map_err(refused)?;
    endpoint
        .runtime
        .sign(&mut request, op)
        .map_err(|e| refused(e.to_string()))?;
    let mut url = request.url().clone();
    sourcing_runtime::redact_url(&mut url, op.auth);
    // `<redacted>` as written, not percent-encoded in the query.
    let url = url.as_str().replace("%3Credacted%3E", "<redacted>");
    let mut lines = vec![format!("{} {url}", request.method())];
    for (name, value) in request.headers() {
        let shown = match sourcing_runtime::observe::is_shown_header(name.as_str()) {
            true => value.to_str().unwrap_or("<binary>"),
            false => "<redacted>",
        };
        lines.push(format!("{name}: {shown}"));
    }
    if let Some(bytes) = request.body().and_then(|b| b.as_bytes()) {
        lines.push(String::new());
        lines.push(redacted_body(bytes, op));
    }
    Ok(lines.join("\n"))
}

/// A JSON body with the top-level fields the scheme marks secret redacted; other bodies as text.
fn redacted_body(bytes: &[u8], op: &Operation) -> String {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(mut map)) => {
            for p in op.auth.params().iter().filter(|p| p.secret) {
                if let Some(v) = map.get_mut(p.name) {
                    *v = Value::String("<redacted>".into());
                }
            }
            crate::output::json(&Value::Object(map))
        }
        Ok(other) => crate::output::json(&other),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}
