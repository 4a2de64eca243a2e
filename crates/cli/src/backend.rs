//! Sandbox or live, resolved in this one place for every subcommand: where a provider's calls go (base URL),
//! with which credentials (a profile of the configuration file, the environment, a `--config` file of
//! `KEY=VALUE` lines, or the sandbox's test credentials), through which runtime.
//!
//! A subcommand offers the [`Flag`]s that mean something to it ([`Flag::args`]) and opens its [`Backend`]
//! from its matches ([`Backend::from_matches`]); a flag it does not offer counts as not given.

use crate::Stop;
use crate::config::{Config, PROFILE_ENV, Profile, Settings, check_url};
use clap::{Arg, ArgAction, ArgMatches};
use serde_json::Value;
use sourcing_runtime::{CredentialValues, Error, Operation, Provider, Runtime, SigningSettings};
use sourcing_sandbox::{Sandbox, SandboxConfig};
use std::borrow::Cow;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Every provider the CLI serves: the one registry (`sourcing-registry`).
pub fn providers() -> &'static [&'static Provider] {
    sourcing_registry::providers()
}

/// The provider of this name in [`providers`].
pub fn find_provider(name: &str) -> Result<&'static Provider, Stop> {
    sourcing_registry::find(&name.to_lowercase())
        .ok_or_else(|| Stop::usage(format!("unknown provider {name}")))
}

/// A flag that chooses the backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flag {
    /// `--sandbox`: start the embedded sandbox and use its test credentials.
    Sandbox,
    /// `--config FILE`: the configuration file ([`crate::config`]): TOML with profiles, or `KEY=VALUE` lines.
    Config,
    /// `--profile NAME`: one profile of the configuration file.
    Profile,
    /// `--base-url URL`: one base URL instead of the provider's (only for commands that call one provider).
    BaseUrl,
}

impl Flag {
    pub const ALL: [Flag; 4] = [Flag::Sandbox, Flag::Config, Flag::Profile, Flag::BaseUrl];

    pub fn id(self) -> &'static str {
        match self {
            Flag::Sandbox => "sandbox",
            Flag::Config => "config",
            Flag::Profile => "profile",
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
            Flag::Config => arg.value_name("FILE").help(
                "The configuration file (default $XDG_CONFIG_HOME/sourcing/config.toml, or $SOURCING_CONFIG): \
                 TOML with profiles, or KEY=VALUE lines (see `sourcing --help`)",
            ),
            Flag::Profile => arg.value_name("NAME").help(
                "Use this profile of the configuration file (or $SOURCING_PROFILE); default: the profile \
                 named like the provider, or `default_profile`",
            ),
            Flag::BaseUrl => arg
                .value_name("URL")
                .help("Call this base URL instead of the provider's production URL"),
        }
    }

    /// The arguments of `flags`. A command offering [`Flag::Profile`] opens its backend with
    /// [`Backend::from_matches`] (or passes the flag to [`Backend::live_with`]); without the flag the
    /// profile comes from `SOURCING_PROFILE` or each provider's default.
    pub fn args(flags: &[Flag]) -> Vec<Arg> {
        flags.iter().map(|f| f.arg()).collect()
    }
}

/// Where calls go: the embedded sandbox (started here, alive as long as the backend), or the live providers.
pub struct Backend {
    sandbox: Option<Arc<Sandbox>>,
    /// Sandbox only: the signing variant it emulates.
    emulated: SigningSettings,
    /// Live only: the environment, and a `KEY=VALUE` configuration file's lines over it.
    settings: Settings,
    /// Live only: the configuration file.
    config: Config,
    /// Live only: the profile `--profile` or `SOURCING_PROFILE` names (it exists in `config`).
    chosen: Option<String>,
    /// Live only: `--base-url`.
    base_url: Option<String>,
}

impl Backend {
    /// From the [`Flag`]s of `m`: `--sandbox` starts the embedded sandbox; otherwise live, with the
    /// configuration file (`--config`), `--profile` and `--base-url`. `--sandbox` with `--base-url` is a
    /// usage error: the sandbox has its own URL.
    pub async fn from_matches(m: &ArgMatches) -> Result<Self, Stop> {
        let value = |flag: Flag| m.try_get_one::<String>(flag.id()).ok().flatten();
        let base_url = value(Flag::BaseUrl).cloned();
        if m.try_get_one::<bool>(Flag::Sandbox.id()).ok().flatten() == Some(&true) {
            if base_url.is_some() {
                return Err(Stop::usage(
                    "--sandbox and --base-url exclude each other: the sandbox has its own URL (drop \
                     --sandbox to call URL with your credentials)",
                ));
            }
            Self::sandbox_persistent().await
        } else {
            Self::live_with(value(Flag::Config), value(Flag::Profile), base_url)
        }
    }

    /// The embedded sandbox, started in-process, its state in memory (`sourcing mcp` starts its own through
    /// `sourcing-mcp`).
    #[cfg(test)]
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
            config: Config::default(),
            chosen: None,
            base_url: None,
        })
    }

    /// The live providers, with the configuration file `config` (else the default one) and the profile
    /// `SOURCING_PROFILE` names; `base_url` replaces every provider's.
    pub fn live(config: Option<&String>, base_url: Option<String>) -> Result<Self, Stop> {
        Self::live_with(config, None, base_url)
    }

    /// [`Backend::live`] with the profile `profile` (else `SOURCING_PROFILE`, else each provider's default).
    pub fn live_with(
        config: Option<&String>,
        profile: Option<&String>,
        base_url: Option<String>,
    ) -> Result<Self, Stop> {
        let config = Config::load(config.map(String::as_str))?;
        let chosen = profile
            .cloned()
            .or_else(|| std::env::var(PROFILE_ENV).ok().filter(|p| !p.is_empty()));
        if let Some(name) = &chosen {
            config.profile(name)?;
        }
        let mut settings: Settings = std::env::vars().collect();
        settings.extend(config.lines().clone());
        Ok(Backend {
            sandbox: None,
            emulated: SigningSettings::default(),
            settings,
            config,
            chosen,
            base_url,
        })
    }

    pub fn is_sandbox(&self) -> bool {
        self.sandbox.is_some()
    }

    /// The embedded sandbox, when calls go there (tests seed orders and count requests through it).
    #[cfg(test)]
    pub fn embedded_sandbox(&self) -> Option<&Sandbox> {
        self.sandbox.as_deref()
    }

    /// The profile `provider`'s calls use: the chosen one (`--profile`, `SOURCING_PROFILE`) when it is one
    /// of `provider`'s, else `provider`'s default ([`Config::default_for`]); none in the sandbox.
    fn profile_of(&self, provider: &Provider) -> Option<&Profile> {
        if self.is_sandbox() {
            return None;
        }
        self.chosen
            .as_deref()
            .and_then(|name| self.config.profile(name).ok())
            .filter(|p| p.provider.name == provider.name)
            .or_else(|| self.config.default_for(provider))
    }

    /// The name of the profile `provider`'s calls use (what the ledger records with each entry); `None`
    /// for the environment's credentials and the sandbox.
    pub fn profile(&self, provider: &Provider) -> Option<&str> {
        self.profile_of(provider).map(|p| p.name.as_str())
    }

    /// A usage error when the chosen profile is not one of `provider`'s (for commands that call one provider).
    pub fn require_profile_of(&self, provider: &Provider) -> Result<(), Stop> {
        match self.chosen.as_deref().map(|n| self.config.profile(n)) {
            Some(Ok(p)) if !self.is_sandbox() && p.provider.name != provider.name => {
                Err(Stop::usage(format!(
                    "profile {} is a {} profile; this command calls {}",
                    p.name, p.provider.name, provider.name
                )))
            }
            _ => Ok(()),
        }
    }

    /// The readings of the unpublished signing rules for `provider`: the `<PREFIX>_<KEY>` settings of its
    /// profile, the environment or a `KEY=VALUE` file (README, "Signing variants"); the sandbox's are those
    /// it emulates.
    pub fn signing(&self, provider: &Provider) -> Result<SigningSettings, Stop> {
        if self.is_sandbox() {
            return Ok(self.emulated);
        }
        let settings = self.settings(provider);
        SigningSettings::from_lookup(provider.env_prefix, |key| settings.get(key).cloned())
            .map_err(Stop::config)
    }

    /// Where `provider`'s answers carry the values vendors do not locate: the `<PREFIX>_<KEY>` readings of
    /// the environment and `--config` (docs/readings.md); the sandbox serves the defaults.
    pub fn readings(&self, provider: &Provider) -> Result<sourcing_runtime::Readings, Stop> {
        {
            let settings = self.settings(provider);
            sourcing_runtime::Readings::from_lookup(provider.env_prefix, |key| {
                settings.get(key).cloned()
            })
        }
        .map_err(|e| Stop::config(e.to_string()))
    }

    /// The settings `provider`'s calls read: the sandbox's test credentials; live, the environment (and a
    /// `KEY=VALUE` file) under `provider`'s profile, whose credentials replace the environment's whole (an
    /// account's keys are never mixed with another's).
    fn settings(&self, provider: &Provider) -> Cow<'_, Settings> {
        if self.sandbox.is_some() {
            return Cow::Owned(sandbox_settings(provider));
        }
        let Some(profile) = self.profile_of(provider) else {
            return Cow::Borrowed(&self.settings);
        };
        let mut settings = self.settings.clone();
        for var in provider.credentials.env_vars(provider.env_prefix) {
            settings.remove(&var);
        }
        settings.extend(profile.settings().clone());
        Cow::Owned(settings)
    }

    /// One setting of `provider`'s (`DAJISAAS_CALLBACK_SIGNED_INPUT`), as its calls read it ([`Self::variant`]
    /// parses one).
    pub fn setting(&self, provider: &Provider, full_key: &str) -> Option<String> {
        self.settings(provider).get(full_key).cloned()
    }

    /// Where a setting comes from, for messages: the profile, or the environment and `--config`.
    fn source(&self, provider: &Provider) -> String {
        match (self.profile_of(provider), &self.config.path) {
            (Some(p), Some(path)) => format!("profile {} in {}", p.name, path.display()),
            (Some(p), None) => format!("profile {}", p.name),
            (None, _) => "environment or --config".into(),
        }
    }

    /// Sandbox: its URL for `provider`. Live: `--base-url`, else `<PREFIX>_BASE_URL`, else production. A
    /// URL that is not absolute `http(s)` is refused, naming where it came from: `--base-url` a usage error,
    /// a setting a configuration error.
    pub fn base_url(&self, provider: &Provider) -> Result<String, Stop> {
        if let Some(sandbox) = &self.sandbox {
            return Ok(sandbox.base_url(provider.name));
        }
        if let Some(url) = &self.base_url {
            check_url(url).map_err(|e| Stop::usage(format!("--base-url: {e}")))?;
            return Ok(url.clone());
        }
        let key = format!("{}_BASE_URL", provider.env_prefix);
        match self.settings(provider).get(&key) {
            Some(url) => {
                check_url(url)
                    .map_err(|e| Stop::config(format!("{key} ({}): {e}", self.source(provider))))?;
                Ok(url.clone())
            }
            None => Ok(provider.production_base_url.to_string()),
        }
    }

    /// The secret `provider` signs with (its callbacks too); `Err` names the missing setting.
    pub fn secret(&self, provider: &Provider) -> Result<String, Stop> {
        let var = provider
            .credentials
            .secret_env_var(provider.env_prefix)
            .ok_or_else(|| Stop::config(format!("{} credentials have no secret", provider.name)))?;
        let settings = self.settings(provider);
        match settings.get(&var) {
            Some(v) => Ok(v.clone()),
            None => Err(self.missing(provider, &[var])),
        }
    }

    /// The configuration error for `missing` credential settings of `provider`, naming them all.
    fn missing(&self, provider: &Provider, missing: &[String]) -> Stop {
        let (names, verb) = match missing {
            [one] => (one.clone(), "is"),
            [init @ .., last] => (format!("{} and {last}", init.join(", ")), "are"),
            [] => (String::new(), "are"),
        };
        Stop::config(match self.profile_of(provider) {
            Some(_) => {
                let keys: Vec<String> = missing
                    .iter()
                    .map(|m| {
                        m.trim_start_matches(&format!("{}_", provider.env_prefix))
                            .to_lowercase()
                    })
                    .collect();
                format!(
                    "{names} {verb} not set: {} has no {}",
                    self.source(provider),
                    keys.join(", ")
                )
            }
            None => {
                let profiles: Vec<&str> = self
                    .config
                    .profiles()
                    .iter()
                    .filter(|p| p.provider.name == provider.name)
                    .map(|p| p.name.as_str())
                    .collect();
                let hint = match profiles.as_slice() {
                    [] => "try --sandbox to use the local sandbox".to_string(),
                    some => format!(
                        "the configuration file has {} profiles {} but none is its default: pick one \
                         with --profile NAME, or set default_profile",
                        provider.name,
                        some.join(", ")
                    ),
                };
                format!(
                    "{names} {verb} not set (environment, --config or a profile of the configuration \
                     file); {hint}"
                )
            }
        })
    }

    /// The runtime for `provider`, signing every scheme of it with its credentials under the signing
    /// variant [`Backend::signing`] reads; `Err` names every missing credential.
    pub fn runtime(&self, provider: &Provider) -> Result<Runtime, Stop> {
        self.runtime_with(provider, self.signing(provider)?)
    }

    /// The runtime for `provider` under `signing` (one candidate of `sourcing probe`): its credentials are
    /// the provider's credential variables, in order ([`CredentialValues`], whatever its scheme). Against
    /// the sandbox, a scheme whose rule is unpublished signs with the stand-in the sandbox accepts
    /// ([`Runtime::for_sandbox`]). `Err` names every missing credential at once.
    pub fn runtime_with(
        &self,
        provider: &Provider,
        signing: SigningSettings,
    ) -> Result<Runtime, Stop> {
        let settings = self.settings(provider);
        let vars = provider.credentials.env_vars(provider.env_prefix);
        let missing: Vec<String> = vars
            .iter()
            .filter(|v| !settings.contains_key(*v))
            .cloned()
            .collect();
        if !missing.is_empty() {
            return Err(self.missing(provider, &missing));
        }
        let values = CredentialValues::new(vars.iter().map(|v| settings[v].clone()));
        let runtime = match self.is_sandbox() {
            true => Runtime::for_sandbox(provider, &values, &signing),
            false => Runtime::for_provider(provider, &values, &signing),
        };
        Ok(runtime.with_policy(self.request_policy(provider)?))
    }

    /// The request policy of `provider`'s calls: the defaults, with the rate budget of its
    /// `<PREFIX>_RATE_*` settings ([`sourcing_runtime::RateBudget::from_lookup`]).
    pub fn request_policy(
        &self,
        provider: &Provider,
    ) -> Result<sourcing_runtime::RequestPolicy, Stop> {
        let settings = self.settings(provider);
        let ids = provider.operations.iter().map(|o| o.id);
        let rate = sourcing_runtime::RateBudget::from_lookup(provider.env_prefix, ids, |key| {
            settings.get(key).cloned()
        })
        .map_err(Stop::config)?;
        Ok(sourcing_runtime::RequestPolicy {
            rate,
            ..Default::default()
        })
    }

    /// The `sourcing-buy` facade over `provider`'s generated client, at this backend.
    pub fn buyer(&self, provider: sourcing_buy::Flow) -> Result<sourcing_buy::Buyer, Stop> {
        let described = find_provider(provider.name())?;
        let endpoint = self.endpoint(described)?;
        let buyer = endpoint
            .buyer()
            .ok_or_else(|| Stop::usage(format!("{} has no purchase flow", provider.name())))?;
        Ok(buyer.with_readings(self.readings(described)?))
    }

    /// Everything a call to `provider` needs.
    pub fn endpoint(&self, provider: &'static Provider) -> Result<Endpoint, Stop> {
        let base_url = self.base_url(provider)?;
        let runtime = self.runtime(provider)?;
        Ok(Endpoint {
            provider,
            base_url,
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
        sourcing_registry::flow(self.provider.name)
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
             SIGN_PLACEMENT, ORDER_ID_LIST, UPLOAD_ENCODING)",
        )
}

/// The variant `--emulate` names (the defaults where it says nothing), for the standalone sandbox (every
/// provider: a key must apply to one of them).
pub fn emulated(m: &ArgMatches) -> Result<SigningSettings, Stop> {
    emulated_for(m, None)
}

/// The variant `--emulate` names for calls to `provider` (`None`: any provider). A key the provider's
/// schemes do not read, an unknown key or value is a usage error in the user's own words (`V2_NONCE=maybe`).
pub fn emulated_for(m: &ArgMatches, provider: Option<&Provider>) -> Result<SigningSettings, Stop> {
    let mut pins = Settings::new();
    for pair in m.get_many::<String>("emulate").into_iter().flatten() {
        let (k, v) = pair
            .split_once('=')
            .ok_or_else(|| Stop::usage(format!("--emulate {pair}: expected KEY=VALUE")))?;
        let (key, value) = (k.trim().to_uppercase(), v.trim());
        let known: Vec<&str> = SigningSettings::KEYS
            .iter()
            .map(|(name, _)| *name)
            .collect();
        let Some((_, values)) = SigningSettings::KEYS.iter().find(|(name, _)| *name == key) else {
            let hint = crate::config::suggestion(&key, &known)
                .map(|s| format!("; did you mean {s}?"))
                .unwrap_or_else(|| format!(" (keys: {})", known.join(", ")));
            return Err(Stop::usage(format!(
                "--emulate {pair}: unknown key {key}{hint}"
            )));
        };
        if !values().contains(&value) {
            return Err(Stop::usage(format!(
                "--emulate {pair}: {value:?} is not a known variant of {key}; valid: {}",
                values().join(", ")
            )));
        }
        let applies = |p: &Provider| crate::config::reading_applies(&key, p);
        match provider {
            Some(p) if !applies(p) => {
                return Err(Stop::usage(format!(
                    "--emulate {pair}: {} does not read {key} (its keys: {})",
                    p.title,
                    crate::config::readings_of(p)
                        .into_iter()
                        .filter(|k| SigningSettings::KEYS.iter().any(|(n, _)| n == k))
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            _ => {}
        }
        pins.insert(format!("SANDBOX_{key}"), value.to_string());
    }
    SigningSettings::from_lookup("SANDBOX", |k| pins.get(k).cloned()).map_err(Stop::usage)
}

/// The provider's sandbox test credentials, as settings of its credential environment variables.
fn sandbox_settings(provider: &Provider) -> Settings {
    let kind = provider.credentials.kind();
    kind.env_vars(provider.env_prefix)
        .into_iter()
        .zip(kind.fields.iter().map(|f| f.sandbox.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exit;

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
        let url = |b: Backend, p| b.base_url(p).unwrap_or_else(|Stop(_, m)| panic!("{m}"));
        assert_eq!(url(open(Some("http://flag")), pandapon), "http://flag");
        assert_eq!(url(open(None), pandapon), "http://configured");
        let xportcn = find_provider("xportcn").unwrap_or_else(|Stop(_, m)| panic!("{m}"));
        if std::env::var_os("XPORTCN_BASE_URL").is_none() {
            assert_eq!(url(open(None), xportcn), xportcn.production_base_url);
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
        let Err(Stop(code, message)) = open(Some("example.com")).base_url(pandapon) else {
            panic!("a URL without a scheme is accepted")
        };
        assert_eq!(code, exit::USAGE);
        assert!(
            message.starts_with("--base-url: \"example.com\" is not a URL"),
            "{message}"
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
