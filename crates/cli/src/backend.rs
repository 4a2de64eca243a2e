//! Sandbox or live, resolved in this one place for every subcommand: where a provider's calls go (base URL),
//! with which credentials (environment, `--config`, or the sandbox's test credentials), through which runtime.
//!
//! A subcommand offers the [`Flag`]s that mean something to it ([`Flag::args`]) and opens its [`Backend`]
//! from its matches ([`Backend::from_matches`]); a flag it does not offer counts as not given.

use crate::{Stop, exit};
use clap::{Arg, ArgAction, ArgMatches};
use serde_json::Value;
use sourcing_runtime::operation::{Operation, Provider};
use sourcing_runtime::signing::settings::read;
use sourcing_runtime::signing::{SigningSettings, Variant};
use sourcing_runtime::{CredentialValues, Error, Runtime};
use sourcing_sandbox::{Sandbox, SandboxConfig};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Every provider the CLI serves: the one registry (`sourcing-registry`).
pub fn providers() -> &'static [&'static Provider] {
    sourcing_registry::providers()
}

/// The provider of this name in [`providers`].
pub fn find_provider(name: &str) -> Result<&'static Provider, Stop> {
    sourcing_registry::find(name).ok_or_else(|| Stop::usage(format!("unknown provider {name}")))
}

/// A flag that chooses the backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flag {
    /// `--sandbox`: start the embedded sandbox and use its test credentials.
    Sandbox,
    /// `--config FILE`: credentials from `KEY=VALUE` lines over the environment.
    Config,
    /// `--base-url URL`: one base URL instead of the provider's (only for commands that call one provider).
    BaseUrl,
}

impl Flag {
    pub const ALL: [Flag; 3] = [Flag::Sandbox, Flag::Config, Flag::BaseUrl];

    pub fn id(self) -> &'static str {
        match self {
            Flag::Sandbox => "sandbox",
            Flag::Config => "config",
            Flag::BaseUrl => "base-url",
        }
    }

    /// The argument, global to the command it is put on (so `sourcing pandapon --sandbox order-detail` and
    /// `sourcing pandapon order-detail --sandbox` both work).
    pub fn arg(self) -> Arg {
        let arg = Arg::new(self.id()).long(self.id()).global(true);
        match self {
            Flag::Sandbox => arg.action(ArgAction::SetTrue).help(
                "Start the embedded sandbox and call it with its test credentials (no account needed); \
                 its orders persist between commands (see `sourcing sandbox --help`)",
            ),
            Flag::Config => arg
                .value_name("FILE")
                .help("Read credentials from KEY=VALUE lines (see `sourcing --help`)"),
            Flag::BaseUrl => arg
                .value_name("URL")
                .help("Call this base URL instead of the provider's production URL"),
        }
    }

    pub fn args(flags: &[Flag]) -> Vec<Arg> {
        flags.iter().map(|f| f.arg()).collect()
    }
}

/// Settings: `KEY=VALUE`s from `--config` over the environment.
type Settings = BTreeMap<String, String>;

/// Where calls go: the embedded sandbox (started here, alive as long as the backend), or the live providers.
pub struct Backend {
    sandbox: Option<Arc<Sandbox>>,
    /// Sandbox only: the signing variant it emulates.
    emulated: SigningSettings,
    /// Live only: the environment and `--config`.
    settings: Settings,
    /// Live only: `--base-url`.
    base_url: Option<String>,
}

impl Backend {
    /// From the [`Flag`]s of `m`: `--sandbox` starts the embedded sandbox; otherwise live, with `--config`
    /// and `--base-url`.
    pub async fn from_matches(m: &ArgMatches) -> Result<Self, Stop> {
        let value = |flag: Flag| m.try_get_one::<String>(flag.id()).ok().flatten();
        if m.try_get_one::<bool>(Flag::Sandbox.id()).ok().flatten() == Some(&true) {
            Self::sandbox_persistent().await
        } else {
            Self::live(value(Flag::Config), value(Flag::BaseUrl).cloned())
        }
    }

    /// The embedded sandbox, started in-process, its state in memory.
    pub async fn sandbox() -> Result<Self, Stop> {
        Self::sandbox_with(SandboxConfig::default()).await
    }

    /// What `--sandbox` starts: the embedded sandbox on the one local state that persists between commands
    /// ([`sandbox_state_path`]), whose owed callbacks get their first attempt before the process exits.
    pub async fn sandbox_persistent() -> Result<Self, Stop> {
        let state_file = sandbox_state_path()?;
        let backend = Self::sandbox_with(SandboxConfig {
            state_file: Some(state_file),
            ..SandboxConfig::default()
        })
        .await?;
        if let Some(sandbox) = &backend.sandbox {
            lock(&EMBEDDED).push(sandbox.clone());
        }
        Ok(backend)
    }

    /// The embedded sandbox with `config` (e.g. the signing variant it emulates, [`SandboxConfig::signing`]).
    pub async fn sandbox_with(config: SandboxConfig) -> Result<Self, Stop> {
        let emulated = config.signing;
        let sandbox = Sandbox::start_with(config)
            .await
            .map_err(|e| Stop::config(format!("cannot start the sandbox: {e}")))?;
        Ok(Backend {
            sandbox: Some(Arc::new(sandbox)),
            emulated,
            settings: Settings::new(),
            base_url: None,
        })
    }

    /// The live providers, with credentials from `config` over the environment; `base_url` replaces every
    /// provider's.
    pub fn live(config: Option<&String>, base_url: Option<String>) -> Result<Self, Stop> {
        Ok(Backend {
            sandbox: None,
            emulated: SigningSettings::default(),
            settings: settings(config)?,
            base_url,
        })
    }

    pub fn is_sandbox(&self) -> bool {
        self.sandbox.is_some()
    }

    /// The embedded sandbox, when calls go there (tests seed orders and count requests through it).
    pub fn embedded_sandbox(&self) -> Option<&Sandbox> {
        self.sandbox.as_deref()
    }

    /// The named variant `<PREFIX>_<key>` of `provider` from the environment and `--config` (default when
    /// unset); `Err` names the key and the valid values.
    pub fn variant<V: Variant>(&self, provider: &Provider, key: &str) -> Result<V, Stop> {
        read(provider.env_prefix, key, &|k: &str| {
            self.settings.get(k).cloned()
        })
        .map_err(Stop::config)
    }

    /// The readings of the unpublished signing rules for `provider`: the `<PREFIX>_<KEY>` settings of the
    /// environment and `--config` (README, "Signing variants"); the sandbox's are those it emulates.
    pub fn signing(&self, provider: &Provider) -> Result<SigningSettings, Stop> {
        if self.is_sandbox() {
            return Ok(self.emulated);
        }
        SigningSettings::from_lookup(provider.env_prefix, |key| self.settings.get(key).cloned())
            .map_err(Stop::config)
    }

    /// The settings `provider`'s credentials are read from: the sandbox's test credentials, or the live ones.
    fn settings(&self, provider: &Provider) -> Cow<'_, Settings> {
        match self.sandbox {
            Some(_) => Cow::Owned(sandbox_settings(provider)),
            None => Cow::Borrowed(&self.settings),
        }
    }

    /// Sandbox: its URL for `provider`. Live: `--base-url`, else `<PREFIX>_BASE_URL`, else production.
    pub fn base_url(&self, provider: &Provider) -> String {
        if let Some(sandbox) = &self.sandbox {
            return sandbox.base_url(provider.name);
        }
        self.base_url
            .clone()
            .or_else(|| {
                self.settings
                    .get(&format!("{}_BASE_URL", provider.env_prefix))
                    .cloned()
            })
            .unwrap_or_else(|| provider.production_base_url.to_string())
    }

    /// The secret `provider` signs with (its callbacks too); `Err` names the missing setting.
    pub fn secret(&self, provider: &Provider) -> Result<String, Stop> {
        let var = provider
            .credentials
            .secret_env_var(provider.env_prefix)
            .ok_or_else(|| Stop::config(format!("{} credentials have no secret", provider.name)))?;
        setting(&self.settings(provider), var)
    }

    /// The runtime for `provider`, signing every scheme of it with its credentials under the signing
    /// variant [`Backend::signing`] reads; `Err` names the first missing setting.
    pub fn runtime(&self, provider: &Provider) -> Result<Runtime, Stop> {
        self.runtime_with(provider, self.signing(provider)?)
    }

    /// The runtime for `provider` under `signing` (one candidate of `sourcing probe`): its credentials are
    /// the provider's credential variables, in order ([`CredentialValues`], whatever its scheme). Against
    /// the sandbox, a scheme whose rule is unpublished signs with the stand-in the sandbox accepts
    /// ([`Runtime::for_sandbox`]). `Err` names the first missing credential.
    pub fn runtime_with(
        &self,
        provider: &Provider,
        signing: SigningSettings,
    ) -> Result<Runtime, Stop> {
        let settings = self.settings(provider);
        let values = provider
            .credentials
            .env_vars(provider.env_prefix)
            .into_iter()
            .map(|var| setting(&settings, var))
            .collect::<Result<Vec<_>, _>>()?;
        let values = CredentialValues::new(values);
        Ok(match self.is_sandbox() {
            true => Runtime::for_sandbox(provider, &values, &signing),
            false => Runtime::for_provider(provider, &values, &signing),
        })
    }

    /// The `sourcing-buy` facade over `provider`'s generated client, at this backend.
    pub fn buyer(&self, provider: sourcing_buy::Provider) -> Result<sourcing_buy::Buyer, Stop> {
        let endpoint = self.endpoint(find_provider(provider.name())?)?;
        endpoint
            .buyer()
            .ok_or_else(|| Stop::usage(format!("{} has no purchase flow", provider.name())))
    }

    /// Everything a call to `provider` needs.
    pub fn endpoint(&self, provider: &'static Provider) -> Result<Endpoint, Stop> {
        let runtime = self.runtime(provider)?;
        Ok(Endpoint {
            provider,
            base_url: self.base_url(provider),
            http: runtime.http_client(),
            runtime,
        })
    }
}

/// One provider's calls: its base URL and runtime.
pub struct Endpoint {
    pub provider: &'static Provider,
    pub base_url: String,
    pub runtime: Runtime,
    pub http: reqwest::Client,
}

impl Endpoint {
    /// The purchase flow (`sourcing-buy`) over this provider's client, for providers the facade maps.
    pub fn buyer(&self) -> Option<sourcing_buy::Buyer> {
        sourcing_buy::Provider::from_name(self.provider.name)
            .map(|p| p.buyer(&self.base_url, self.runtime.clone()))
    }

    /// `op` through the runtime's untyped path (limits checked before signing; only declared reads
    /// retried).
    pub async fn call(
        &self,
        op: &Operation,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Value, Error> {
        self.runtime
            .call_operation(&self.http, &self.base_url, self.provider, op, query, body)
            .await
    }
}

/// The persistent embedded sandboxes this process started (their callbacks are settled before it exits).
static EMBEDDED: Mutex<Vec<Arc<Sandbox>>> = Mutex::new(Vec::new());

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// How long a command waits, before exiting, for its sandbox callbacks' first attempt.
const SETTLE_BOUND: Duration = Duration::from_secs(5);

/// Give the callbacks owed by the persistent embedded sandboxes of this process their due attempt (at most
/// 5 s); the undelivered ones stay in the state for the next command or `sourcing sandbox`.
pub async fn settle_embedded() {
    let started: Vec<Arc<Sandbox>> = std::mem::take(&mut *lock(&EMBEDDED));
    for sandbox in started {
        sandbox.settle(SETTLE_BOUND).await;
        // Said on stderr (stdout is the command's answer): a receiver that refused is worth knowing about.
        let owed = sandbox.state().map(|s| s.pending).unwrap_or_default();
        for d in owed.iter().filter(|d| d.attempts > 0) {
            eprintln!(
                "note: the sandbox's {} {} callback for order {} to {} was not accepted ({}); it stays in \
                 the sandbox state and the next --sandbox command or `sourcing sandbox` retries it",
                d.provider,
                d.event,
                d.order_id,
                d.url,
                d.last_error.as_deref().unwrap_or("no answer yet"),
            );
        }
    }
}

/// The state file `--sandbox` keeps its orders in: `SOURCING_SANDBOX_STATE`, else
/// `$XDG_DATA_HOME/sourcing/sandbox-state.json`, else `$HOME/.local/share/sourcing/sandbox-state.json`.
pub fn sandbox_state_path() -> Result<std::path::PathBuf, Stop> {
    sourcing_sandbox::default_state_path().ok_or_else(|| {
        Stop::config(
            "no place for the sandbox state: set SOURCING_SANDBOX_STATE, XDG_DATA_HOME or HOME",
        )
    })
}

/// `--emulate KEY=VALUE` (repeatable): the signing variant the embedded or standalone sandbox emulates
/// ([`SandboxConfig::signing`]; keys as in the README's table of signing variants, without the prefix).
pub fn emulate_arg() -> Arg {
    Arg::new("emulate")
        .long("emulate")
        .action(ArgAction::Append)
        .value_name("KEY=VALUE")
        .help(
            "Make the sandbox accept only this signing variant, e.g. V2_NONCE=signed (keys: \
             TIMESTAMP_UNIT, V2_NONCE, POST_SIGNED_FIELDS, REQUEST_TIME_UNIT, REQUEST_TIME_TYPE, \
             SIGN_PLACEMENT, ORDER_ID_LIST)",
        )
}

/// The variant `--emulate` names (the defaults where it says nothing).
pub fn emulated(m: &ArgMatches) -> Result<SigningSettings, Stop> {
    let mut pins = Settings::new();
    for pair in m.get_many::<String>("emulate").into_iter().flatten() {
        let (k, v) = pair
            .split_once('=')
            .ok_or_else(|| Stop::usage(format!("--emulate {pair}: expected KEY=VALUE")))?;
        let key = format!("SANDBOX_{}", k.trim());
        if !sourcing_runtime::signing::settings::KEYS
            .iter()
            .any(|(name, _)| key == format!("SANDBOX_{name}"))
        {
            return Err(Stop::usage(format!(
                "--emulate {pair}: unknown key {}",
                k.trim()
            )));
        }
        pins.insert(key, v.trim().to_string());
    }
    SigningSettings::from_lookup("SANDBOX", |k| pins.get(k).cloned()).map_err(Stop::usage)
}

/// Settings from `--config` (KEY=VALUE lines) over the environment.
fn settings(config: Option<&String>) -> Result<Settings, Stop> {
    let mut map: Settings = std::env::vars().collect();
    if let Some(path) = config {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Stop::config(format!("--config {path}: {e}")))?;
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (k, v) = line
                .trim_start_matches("export ")
                .split_once('=')
                .ok_or_else(|| {
                    Stop::config(format!(
                        "--config {path} line {}: expected KEY=VALUE",
                        n + 1
                    ))
                })?;
            map.insert(k.trim().to_string(), v.trim().trim_matches('"').to_string());
        }
    }
    Ok(map)
}

/// The provider's sandbox test credentials, as settings of its credential environment variables.
fn sandbox_settings(provider: &Provider) -> Settings {
    let kind = provider.credentials.kind();
    kind.env_vars(provider.env_prefix)
        .into_iter()
        .zip(kind.fields.iter().map(|f| f.sandbox.to_string()))
        .collect()
}

fn setting(settings: &Settings, key: String) -> Result<String, Stop> {
    settings.get(&key).cloned().ok_or_else(|| {
        Stop(
            exit::CONFIG,
            format!(
                "{key} is not set (environment or --config); try --sandbox to use the local sandbox"
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sandbox: every provider resolves to the sandbox's URL with its test credentials.
    #[tokio::test]
    async fn the_sandbox_serves_every_provider_with_its_test_credentials() {
        let backend = Backend::sandbox()
            .await
            .unwrap_or_else(|Stop(_, m)| panic!("{m}"));
        assert!(backend.is_sandbox());
        for &provider in providers() {
            let endpoint = backend
                .endpoint(provider)
                .unwrap_or_else(|Stop(_, m)| panic!("{}: {m}", provider.name));
            assert!(
                endpoint.base_url.starts_with("http://127.0.0.1:"),
                "{}: {}",
                provider.name,
                endpoint.base_url
            );
            assert!(
                endpoint.base_url.contains(provider.name),
                "{}",
                endpoint.base_url
            );
            assert!(backend.secret(provider).is_ok());
        }
    }

    /// Live: `--base-url`, else `<PREFIX>_BASE_URL` (here from `--config`, which overrides the environment),
    /// else the production URL; a config line that is not `KEY=VALUE` is a configuration error naming it.
    #[test]
    fn live_base_url_precedence_and_config_errors() {
        let dir = std::env::temp_dir().join(format!("sourcing-backend-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let config = dir.join("ok.env");
        std::fs::write(
            &config,
            "# comment\nexport PANDAPON_BASE_URL=\"http://configured\"\n",
        )
        .unwrap();
        let config = Some(config.to_string_lossy().into_owned());
        let pandapon = find_provider("pandapon").unwrap_or_else(|Stop(_, m)| panic!("{m}"));
        let open = |base_url: Option<&str>| {
            Backend::live(config.as_ref(), base_url.map(String::from))
                .unwrap_or_else(|Stop(_, m)| panic!("{m}"))
        };
        assert_eq!(open(Some("http://flag")).base_url(pandapon), "http://flag");
        assert_eq!(open(None).base_url(pandapon), "http://configured");
        let xportcn = find_provider("xportcn").unwrap_or_else(|Stop(_, m)| panic!("{m}"));
        if std::env::var_os("XPORTCN_BASE_URL").is_none() {
            assert_eq!(open(None).base_url(xportcn), xportcn.production_base_url);
        }
        let bad = dir.join("bad.env");
        std::fs::write(&bad, "PANDAPON_ACCESS_KEY\n").unwrap();
        let Err(Stop(code, message)) =
            Backend::live(Some(&bad.to_string_lossy().into_owned()), None)
        else {
            panic!("a line without `=` is accepted")
        };
        assert_eq!(code, exit::CONFIG);
        assert!(message.ends_with("line 1: expected KEY=VALUE"), "{message}");
        let _ = std::fs::remove_dir_all(dir);
    }
}
