//! `sourcing probe --provider P`: which reading of the vendor's unpublished signing rules does the server
//! accept? With the provider's credentials, it sends one declared read (never a write or a payment: an
//! operation whose `x-effect` is `read`, chosen from the operation table) per candidate variant, tells
//! whether the signature was refused or accepted — whatever the business answer — and prints the settings
//! that pin the accepted one (`<PREFIX>_<KEY>=<value>` lines for the environment or a `--config` file; the
//! README's table of signing variants).
//!
//! Candidates, per group of rules and the scheme that reads them (every combination of the group's keys):
//! - header scheme, v1 operation: `TIMESTAMP_UNIT`;
//! - header scheme, v2 operation (PandaPon): `TIMESTAMP_UNIT` x `V2_NONCE`;
//! - app-key scheme, JSON POST (Dajisaas): `POST_SIGNED_FIELDS` x `REQUEST_TIME_UNIT` x `REQUEST_TIME_TYPE` x
//!   `SIGN_PLACEMENT`.
//!
//! Not probed: `ORDER_ID_LIST` (only the payment-link operation takes an id list) and the callback HMAC input
//! (nothing is sent). "Refused" is an HTTP 401/403, or an answer whose message speaks of the signature,
//! timestamp or nonce (签名, 时间戳, sign, …): the vendors publish no error code for a bad signature.

use crate::backend::{Backend, Flag, emulate_arg, emulated_for, find_provider};
use crate::output::{Format, Printer};
use crate::subcommand::{Run, Subcommand};
use crate::{Stop, exit};
use clap::{Arg, ArgMatches, Command};
use serde_json::{Map, Value, json};
use sourcing_runtime::{
    AccessKeySettings, AppKeySettings, AuthStyle, Effect, Error, Operation, ParamLocation,
    PostSignedFields, Provider, RequestTimeType, SignPlacement, SigningSettings, TimestampUnit,
    V2Nonce, Variant,
};
use sourcing_sandbox::SandboxConfig;

pub struct Probe;

impl Subcommand for Probe {
    fn commands(&self) -> Vec<Command> {
        vec![Command::new("probe")
            .about("Find which reading of the unpublished signing rules a provider accepts (sends only declared reads)")
            .long_about(
                "Send one declared read-only request per candidate signing variant (never a write or a \
                 payment), report which ones the provider's server refuses as a bad signature and which it \
                 accepts, and print the settings that pin the accepted variant. Uses the credentials of \
                 the environment or --config; --sandbox probes the embedded sandbox (which emulates the \
                 defaults).",
            )
            .arg(
                Arg::new("provider")
                    .long("provider")
                    .required(true)
                    .ignore_case(true)
                    .value_parser(clap::builder::PossibleValuesParser::new(
                        crate::backend::providers().iter().map(|p| p.name),
                    ))
                    .help("Whose rules to probe"),
            )
            .args(Flag::args(&Flag::ALL))
            .arg(emulate_arg())
            .arg(Format::optional_arg(
                "The report as text (default), or json, json-lines, table, csv (one row per trial)",
            ))]
    }

    fn run<'a>(&'a self, _name: &'a str, matches: &'a ArgMatches) -> Run<'a> {
        Box::pin(run(matches))
    }
}

async fn run(m: &ArgMatches) -> Result<u8, Stop> {
    let name = m
        .get_one::<String>("provider")
        .map(String::as_str)
        .unwrap_or_default();
    let provider = find_provider(name)?;
    let sandbox = m.try_get_one::<bool>(Flag::Sandbox.id()).ok().flatten() == Some(&true);
    let backend = match (sandbox, m.contains_id("emulate")) {
        (true, _) if m.contains_id(Flag::BaseUrl.id()) => {
            return Err(Stop::usage(
                "--sandbox and --base-url exclude each other: the sandbox has its own URL",
            ));
        }
        (true, _) => {
            Backend::sandbox_with(SandboxConfig {
                signing: emulated_for(m, Some(provider))?,
                ..SandboxConfig::default()
            })
            .await?
        }
        (false, true) => return Err(Stop::usage("--emulate needs --sandbox")),
        (false, false) => Backend::from_matches(m).await?,
    };
    backend.require_profile_of(provider)?;
    let report = probe(&backend, provider).await?;
    match Format::given(m) {
        None => crate::output::print_text(report.render().trim_end())?,
        Some(format @ (Format::Json | Format::JsonLines)) => {
            Printer::new(format).answer(&report.to_json())
        }
        Some(format) => Printer::new(format).answer(&Value::Array(report.rows())),
    }
    Ok(if report.pins().is_some() {
        exit::OK
    } else {
        exit::BUSINESS
    })
}

/// What the server said to one candidate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The signature (or timestamp, nonce) was refused.
    Refused(String),
    /// Anything else: the signature passed, whatever the business answer.
    Accepted(String),
    /// No answer to judge (transport failure, a refusal before sending).
    Unknown(String),
}

impl Verdict {
    /// Its name (`accepted`, `refused`, `unknown`) and detail.
    pub fn parts(&self) -> (&'static str, &str) {
        match self {
            Verdict::Accepted(d) => ("accepted", d),
            Verdict::Refused(d) => ("refused", d),
            Verdict::Unknown(d) => ("unknown", d),
        }
    }
}

/// One candidate of a group: the settings it varies and what the server said.
#[derive(Clone, Debug)]
pub struct Trial {
    /// The keys (after the prefix) this group varies, with the candidate's values.
    pub varied: Vec<(&'static str, &'static str)>,
    pub operation: &'static str,
    pub verdict: Verdict,
}

/// The trials of one group of rules.
#[derive(Clone, Debug)]
pub struct Group {
    pub title: &'static str,
    pub trials: Vec<Trial>,
}

/// Everything `probe` sent and concluded.
#[derive(Clone, Debug)]
pub struct Report {
    pub provider: &'static Provider,
    pub groups: Vec<Group>,
}

impl Report {
    /// The settings to pin, when every group has exactly one accepted candidate; the keys it varies.
    pub fn pins(&self) -> Option<Vec<(String, &'static str)>> {
        let mut out = Vec::new();
        for g in &self.groups {
            let accepted: Vec<&Trial> = g
                .trials
                .iter()
                .filter(|t| matches!(t.verdict, Verdict::Accepted(_)))
                .collect();
            let [one] = accepted.as_slice() else {
                return None;
            };
            for (key, value) in &one.varied {
                let full = format!("{}_{key}", self.provider.env_prefix);
                if !out.iter().any(|(k, _)| *k == full) {
                    out.push((full, *value));
                }
            }
        }
        Some(out)
    }

    /// Requests sent (one per trial).
    pub fn sent(&self) -> usize {
        self.groups.iter().map(|g| g.trials.len()).sum()
    }

    /// The report as JSON: `{provider, requests, groups: [{title, trials: [{operation, settings, verdict,
    /// detail}]}], pins}` (`pins`: the settings to pin, `null` when there is no single accepted variant).
    pub fn to_json(&self) -> Value {
        let groups: Vec<Value> = self
            .groups
            .iter()
            .map(|g| {
                let trials: Vec<Value> = g
                    .trials
                    .iter()
                    .map(|t| {
                        let settings: Map<String, Value> = t
                            .varied
                            .iter()
                            .map(|(k, v)| (k.to_string(), json!(v)))
                            .collect();
                        let (verdict, detail) = t.verdict.parts();
                        json!({"operation": t.operation, "settings": settings, "verdict": verdict, "detail": detail})
                    })
                    .collect();
                json!({"title": g.title, "trials": trials})
            })
            .collect();
        let pins = self.pins().map(|pins| {
            pins.into_iter()
                .map(|(k, v)| (k, json!(v)))
                .collect::<Map<String, Value>>()
        });
        json!({
            "provider": self.provider.name,
            "requests": self.sent(),
            "groups": groups,
            "pins": pins,
        })
    }

    /// One row per trial, for `-o table` and `-o csv`: group, operation, variant, verdict, detail.
    pub fn rows(&self) -> Vec<Value> {
        self.groups
            .iter()
            .flat_map(|g| {
                g.trials.iter().map(move |t| {
                    let variant: Vec<String> =
                        t.varied.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    let (verdict, detail) = t.verdict.parts();
                    json!({"group": g.title, "operation": t.operation, "variant": variant.join(" "), "verdict": verdict, "detail": detail})
                })
            })
            .collect()
    }

    pub fn render(&self) -> String {
        let mut s = format!(
            "probing {} ({} requests, reads only)\n",
            self.provider.title,
            self.sent()
        );
        for g in &self.groups {
            s.push_str(&format!("\n{}:\n", g.title));
            for t in &g.trials {
                let varied: Vec<String> =
                    t.varied.iter().map(|(k, v)| format!("{k}={v}")).collect();
                let (word, detail) = match &t.verdict {
                    Verdict::Accepted(d) => ("accepted", d),
                    Verdict::Refused(d) => ("refused ", d),
                    Verdict::Unknown(d) => ("unknown ", d),
                };
                s.push_str(&format!(
                    "  {word} {} via {}: {detail}\n",
                    varied.join(" "),
                    t.operation
                ));
            }
        }
        match self.pins() {
            Some(pins) => {
                s.push_str("\npin it (environment or --config):\n");
                for (k, v) in pins {
                    s.push_str(&format!("{k}={v}\n"));
                }
            }
            None => s.push_str(
                "\nno single accepted variant per group: nothing to pin (see the answers above)\n",
            ),
        }
        s
    }
}

/// One candidate: the settings it signs with, and the keys (after the prefix) its group varies with their values.
type Candidate = (SigningSettings, Vec<(&'static str, &'static str)>);

/// A group of rules to probe: its title, the declared read it sends and its candidates.
struct Plan {
    title: &'static str,
    op: &'static Operation,
    candidates: Vec<Candidate>,
}

/// The header scheme's candidates: the unit alone (v1), or unit x nonce (v2).
fn access_key_candidates(
    auth: AuthStyle,
) -> Vec<(SigningSettings, Vec<(&'static str, &'static str)>)> {
    let mut out = Vec::new();
    for &unit in TimestampUnit::ALL {
        let nonces: &[V2Nonce] = if auth == AuthStyle::AccessKeyV2 {
            V2Nonce::ALL
        } else {
            &[V2Nonce::Omitted]
        };
        for &v2_nonce in nonces {
            let mut varied = vec![("TIMESTAMP_UNIT", unit.name())];
            if auth == AuthStyle::AccessKeyV2 {
                varied.push(("V2_NONCE", v2_nonce.name()));
            }
            let settings = SigningSettings {
                access_key: AccessKeySettings {
                    timestamp_unit: unit,
                    v2_nonce,
                },
                ..SigningSettings::default()
            };
            out.push((settings, varied));
        }
    }
    out
}

/// The app-key scheme's JSON POST candidates: every combination of its four keys.
fn app_key_candidates() -> Vec<Candidate> {
    let mut out = Vec::new();
    for &post_signed_fields in PostSignedFields::ALL {
        for &request_time_unit in TimestampUnit::ALL {
            for &request_time_type in RequestTimeType::ALL {
                for &sign_placement in SignPlacement::ALL {
                    let app_key = AppKeySettings {
                        post_signed_fields,
                        request_time_unit,
                        request_time_type,
                        sign_placement,
                        ..AppKeySettings::default()
                    };
                    let varied = vec![
                        ("POST_SIGNED_FIELDS", post_signed_fields.name()),
                        ("REQUEST_TIME_UNIT", request_time_unit.name()),
                        ("REQUEST_TIME_TYPE", request_time_type.name()),
                        ("SIGN_PLACEMENT", sign_placement.name()),
                    ];
                    out.push((
                        SigningSettings {
                            app_key,
                            ..SigningSettings::default()
                        },
                        varied,
                    ));
                }
            }
        }
    }
    out
}

/// Whether the operation table declares `op` a read (`x-effect: read`): it changes nothing at the vendor,
/// unlike a write or a payment (payment links included).
pub fn declared_read(op: &Operation) -> bool {
    op.effect == Effect::Read
}

/// A declared read of `provider` signed by `auth` (and sent with `method`, if given): documented (not
/// third-party), no order flow, the shortest path first so the choice is stable.
fn read_operation(
    provider: &Provider,
    auth: AuthStyle,
    method: Option<&str>,
) -> Option<&'static Operation> {
    let mut reads: Vec<&'static Operation> = provider
        .operations
        .iter()
        .copied()
        .filter(|o| {
            declared_read(o) && o.auth == auth && o.evidence.is_none() && o.flow_role.is_none()
        })
        .filter(|o| method.is_none_or(|m| o.method == m))
        .collect();
    reads.sort_by_key(|o| (o.path.len(), o.path));
    reads.first().copied()
}

/// The groups of rules `provider` uses, each with its probe operation and candidates.
fn plans(provider: &Provider) -> Vec<Plan> {
    let mut out = Vec::new();
    if let Some(op) = read_operation(provider, AuthStyle::AccessKeyV1, None) {
        out.push(Plan {
            title: "header signature, v1 operations",
            op,
            candidates: access_key_candidates(AuthStyle::AccessKeyV1),
        });
    }
    if let Some(op) = read_operation(provider, AuthStyle::AccessKeyV2, None) {
        out.push(Plan {
            title: "header signature, v2 operations",
            op,
            candidates: access_key_candidates(AuthStyle::AccessKeyV2),
        });
    }
    if let Some(op) = read_operation(provider, AuthStyle::AppKey, Some("POST")) {
        out.push(Plan {
            title: "app-key signature, JSON POST",
            op,
            candidates: app_key_candidates(),
        });
    }
    out
}

/// A valid input for `op` (generated from its input schema), split into query pairs and a JSON body.
pub(crate) fn input(op: &Operation) -> (Vec<(String, String)>, Option<Value>) {
    let schema: Value = serde_json::from_str(op.input_schema).unwrap_or(json!({}));
    let generated = sourcing_sandbox::generate::generate(&schema, &schema, 1);
    let mut query = Vec::new();
    let mut body = Map::new();
    for p in op.params {
        let Some(v) = generated.get(&*op.input_name(p)) else {
            continue;
        };
        match p.location {
            ParamLocation::Query => query.push((
                p.name.to_string(),
                v.as_str().map_or_else(|| v.to_string(), str::to_owned),
            )),
            _ => {
                body.insert(p.name.to_string(), v.clone());
            }
        }
    }
    (query, op.has_body.then_some(Value::Object(body)))
}

/// Words of a refused signature in the vendors' messages (none publishes a code for it).
const SIGNATURE_WORDS: [&str; 8] = [
    "sign",
    "签名",
    "timestamp",
    "时间戳",
    "nonce",
    "appkey",
    "access-key",
    "accesskey",
];

pub(crate) fn verdict(result: Result<Value, Error>) -> Verdict {
    let refused_by_words = |m: &str| {
        let m = m.to_lowercase();
        SIGNATURE_WORDS.iter().any(|w| m.contains(w))
    };
    match result {
        Ok(_) => Verdict::Accepted("success".into()),
        Err(Error::HttpStatus { status, api, .. }) if status == 401 || status == 403 => {
            let message = api.and_then(|a| a.message).unwrap_or_default();
            Verdict::Refused(format!("HTTP {status} {message}"))
        }
        Err(Error::Api(a)) => {
            let message = a.message.clone().unwrap_or_default();
            if refused_by_words(&message) {
                Verdict::Refused(format!("code {}: {message}", a.code))
            } else {
                Verdict::Accepted(format!("business answer code {}: {message}", a.code))
            }
        }
        Err(e @ Error::PartialFailure(_)) => Verdict::Accepted(format!("business answer: {e}")),
        Err(Error::HttpStatus { status, .. }) => Verdict::Accepted(format!("HTTP {status}")),
        Err(e) => Verdict::Unknown(e.to_string()),
    }
}

/// The one declared read `sourcing config check` sends to `provider`: the first group's probe operation.
pub fn check_operation(provider: &Provider) -> Option<&'static Operation> {
    plans(provider).first().map(|p| p.op)
}

/// Send one declared read per candidate of every group of `provider`'s rules, through `backend`.
pub async fn probe(backend: &Backend, provider: &'static Provider) -> Result<Report, Stop> {
    let base_url = backend.base_url(provider)?;
    let mut report = Report {
        provider,
        groups: Vec::new(),
    };
    for Plan {
        title,
        op,
        candidates,
    } in plans(provider)
    {
        if !declared_read(op) {
            return Err(Stop::config(format!("{}: not a declared read", op.id)));
        }
        let (query, body) = input(op);
        let query: Vec<(&str, &str)> = query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let mut trials = Vec::new();
        for (settings, varied) in candidates {
            let runtime = backend.runtime_with(provider, settings)?;
            let http = runtime.http_client();
            let result = runtime
                .call_operation(&http, &base_url, provider, op, &query, body.as_ref())
                .await;
            trials.push(Trial {
                varied,
                operation: op.id,
                verdict: verdict(result),
            });
        }
        report.groups.push(Group { title, trials });
    }
    if report.groups.is_empty() {
        return Err(Stop::usage(format!(
            "{} has no declared read signed by a scheme with variants",
            provider.title
        )));
    }
    Ok(report)
}

#[cfg(test)]
#[path = "probe_tests.rs"]
mod tests;
