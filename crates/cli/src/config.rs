//! The configuration file: where it is ([`locate`]), and what it holds ([`Config`]) — the store and named
//! profiles, each one account at one provider with its credentials, base URL and readings of the
//! unpublished rules:
//!
//! ```toml
//! store = "sqlite:/home/me/.local/share/sourcing/ledger.db"
//! default_profile = "shop-a"          # the default of its provider
//!
//! [profiles.shop-a]
//! provider = "pandapon"
//! access_key = "…"
//! access_secret = "…"
//! user_id = "…"
//! base_url = "https://…"              # optional
//! timestamp_unit = "s"                # a reading (`<PREFIX>_TIMESTAMP_UNIT`), optional
//!
//! [profiles.dajisaas]                 # named like a provider: its default; `provider` may be left out
//! app_key = "…"
//! app_secret = "…"
//! ```
//!
//! `[serve]` holds `sourcing serve`'s settings, named as its flags (`header_timeout = "10s"` for
//! `--header-timeout 10s`; [`ServeSection`]); a flag given on the command line overrides its key.
//!
//! A file whose name does not end in `.toml` holds `KEY=VALUE` lines (`PANDAPON_ACCESS_KEY=…`), as
//! `--config FILE` always did. Every profile key maps to a `<PREFIX>_<KEY>` setting, so a profile says
//! what the environment says, for one account: unknown keys are refused with the nearest known name.

use crate::backend::{Backend, Flag, providers};
use crate::probe::Verdict;
use crate::subcommand::{Run, Subcommand};
use crate::{Stop, exit};
use clap::{Arg, ArgMatches, Command};
use sourcing_runtime::{AuthStyle, Provider, Readings, SigningSettings, Variant};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// `<PREFIX>_<KEY>` settings and their values.
pub type Settings = BTreeMap<String, String>;

/// The environment variable naming the configuration file.
pub const CONFIG_ENV: &str = "SOURCING_CONFIG";
/// The environment variable naming the profile (as `--profile`).
pub const PROFILE_ENV: &str = "SOURCING_PROFILE";

/// Where the configuration file is: `flag` (`--config`), else `$SOURCING_CONFIG`, else
/// `$XDG_CONFIG_HOME/sourcing/config.toml` (`~/.config/sourcing/config.toml` without it). The flag says
/// whether the place was named explicitly (then the file must exist).
pub fn locate(flag: Option<&str>) -> Option<(PathBuf, bool)> {
    if let Some(path) = flag {
        return Some((PathBuf::from(path), true));
    }
    if let Some(path) = std::env::var_os(CONFIG_ENV).filter(|p| !p.is_empty()) {
        return Some((PathBuf::from(path), true));
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some((base.join("sourcing").join("config.toml"), false))
}

/// One account at one provider. `Debug` shows the names of its settings, never their values.
#[derive(Clone)]
pub struct Profile {
    pub name: String,
    pub provider: &'static Provider,
    /// Its own ledger, if it names one.
    pub store: Option<String>,
    /// Its settings as `<PREFIX>_<KEY>` (credentials, `BASE_URL`, readings).
    settings: Settings,
}

impl std::fmt::Debug for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Profile")
            .field("name", &self.name)
            .field("provider", &self.provider.name)
            .field("store", &self.store)
            .field("settings", &self.settings.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Profile {
    /// The value of `<PREFIX>_<key>` in this profile.
    #[cfg(test)]
    pub fn get(&self, full_key: &str) -> Option<&String> {
        self.settings.get(full_key)
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The credential fields (as written in the file) this profile lacks, in the scheme's order.
    #[cfg(test)]
    pub fn missing_credentials(&self) -> Vec<String> {
        let prefix = self.provider.env_prefix;
        self.provider
            .credentials
            .kind()
            .fields
            .iter()
            .filter(|f| {
                !self
                    .settings
                    .contains_key(&format!("{prefix}_{}", f.env_suffix))
            })
            .map(|f| f.env_suffix.to_lowercase())
            .collect()
    }
}

/// The configuration file, read and checked.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// Where it was read from (`None`: no file).
    pub path: Option<PathBuf>,
    /// `store = "…"`: the ledger, unless a profile names its own.
    pub store: Option<String>,
    default_profile: Option<String>,
    profiles: Vec<Profile>,
    /// A `KEY=VALUE` file's settings.
    lines: Settings,
    /// `[serve]`: `sourcing serve`'s settings.
    pub serve: ServeSection,
}

/// `[serve]`: values for `sourcing serve`'s flags, keyed by the flag's name (`header-timeout`; written
/// `header_timeout` in the file), each checked by the flag's own parser when the file is read. `Debug` shows
/// the keys, never the values (`token` is a secret).
#[derive(Clone, Default)]
pub struct ServeSection(BTreeMap<String, String>);

impl ServeSection {
    /// The text given for the flag `flag` (`header-timeout`), if any.
    pub fn get(&self, flag: &str) -> Option<&str> {
        self.0.get(flag).map(String::as_str)
    }
}

impl std::fmt::Debug for ServeSection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

/// `[serve]`'s table: every key one of [`crate::serve::CONFIG_FLAGS`], its value valid for that flag.
fn serve_section(value: &toml::Value) -> Result<ServeSection, String> {
    let table = value.as_table().ok_or("`serve` must be a [serve] table")?;
    let known: Vec<String> = crate::serve::CONFIG_FLAGS
        .iter()
        .map(|f| f.replace('-', "_"))
        .collect();
    let known: Vec<&str> = known.iter().map(String::as_str).collect();
    let mut out = BTreeMap::new();
    for (key, value) in table {
        if !known.contains(&key.as_str()) {
            return Err(unknown(key, "[serve] ", &known));
        }
        let text = text_of(key, value).map_err(|e| format!("[serve] {e}"))?;
        let flag = key.replace('_', "-");
        crate::serve::check_setting(&flag, &text).map_err(|e| format!("[serve] {key}: {e}"))?;
        out.insert(flag, text);
    }
    Ok(ServeSection(out))
}

impl Config {
    /// The file [`locate`] finds (none when the default place holds nothing), read and checked.
    pub fn load(flag: Option<&str>) -> Result<Config, Stop> {
        let Some((path, explicit)) = locate(flag) else {
            return Ok(Config::default());
        };
        if !explicit && !path.exists() {
            return Ok(Config::default());
        }
        Config::read(&path)
    }

    /// The file at `path`: TOML when its name ends in `.toml`, `KEY=VALUE` lines otherwise.
    pub fn read(path: &Path) -> Result<Config, Stop> {
        let shown = path.display();
        let text = std::fs::read_to_string(path)
            .map_err(|e| Stop::config(format!("config {shown}: {e}")))?;
        let mut config = if path.extension().is_some_and(|e| e == "toml") {
            parse_toml(&text).map_err(|e| Stop::config(format!("config {shown}: {e}")))?
        } else {
            Config {
                lines: parse_lines(&text)
                    .map_err(|e| Stop::config(format!("--config {shown} {e}")))?,
                ..Config::default()
            }
        };
        config.path = Some(path.to_path_buf());
        Ok(config)
    }

    /// The `KEY=VALUE` settings of a lines file (empty for a TOML file).
    pub fn lines(&self) -> &Settings {
        &self.lines
    }

    pub fn profiles(&self) -> &[Profile] {
        &self.profiles
    }

    /// The profile of this name; `Err` names the nearest one.
    pub fn profile(&self, name: &str) -> Result<&Profile, Stop> {
        self.profiles
            .iter()
            .find(|p| p.name == name)
            .ok_or_else(|| {
                let known: Vec<&str> = self.profiles.iter().map(|p| p.name.as_str()).collect();
                let place = match &self.path {
                    Some(p) => format!("in {}", p.display()),
                    None => "(no configuration file)".into(),
                };
                Stop::config(format!(
                    "no profile {name:?} {place}{}",
                    suggestion(name, &known)
                        .map(|s| format!("; did you mean {s:?}?"))
                        .unwrap_or_default()
                ))
            })
    }

    /// `provider`'s default profile: `default_profile` when it is one of `provider`'s, else the profile
    /// named like the provider.
    pub fn default_for(&self, provider: &Provider) -> Option<&Profile> {
        let of_provider = |p: &&Profile| p.provider.name == provider.name;
        self.default_profile
            .as_deref()
            .and_then(|name| self.profiles.iter().find(|p| p.name == name))
            .filter(of_provider)
            .or_else(|| {
                self.profiles
                    .iter()
                    .filter(of_provider)
                    .find(|p| p.name == provider.name)
            })
    }
}

/// `KEY=VALUE` lines (`export` and quotes allowed, `#` comments); `Err` names the line.
fn parse_lines(text: &str) -> Result<Settings, String> {
    let mut map = Settings::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (k, v) = line
            .trim_start_matches("export ")
            .split_once('=')
            .ok_or_else(|| format!("line {}: expected KEY=VALUE", n + 1))?;
        map.insert(k.trim().to_string(), v.trim().trim_matches('"').to_string());
    }
    Ok(map)
}

const TOP_KEYS: [&str; 4] = ["store", "default_profile", "profiles", "serve"];

fn parse_toml(text: &str) -> Result<Config, String> {
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        let line = e
            .span()
            .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
        let message = e.message().trim_end().replace('\n', "; ");
        match line {
            Some(line) => format!("line {line}: not valid TOML: {message}"),
            None => format!("not valid TOML: {message}"),
        }
    })?;
    let mut config = Config::default();
    for (key, value) in &table {
        match key.as_str() {
            "store" => config.store = Some(text_of(key, value)?),
            "default_profile" => config.default_profile = Some(text_of(key, value)?),
            "profiles" => {
                let profiles = value
                    .as_table()
                    .ok_or("`profiles` must be a table of [profiles.NAME] tables")?;
                for (name, body) in profiles {
                    let body = body
                        .as_table()
                        .ok_or_else(|| format!("[profiles.{name}] must be a table"))?;
                    config.profiles.push(profile(name, body)?);
                }
            }
            "serve" => config.serve = serve_section(value)?,
            other => return Err(unknown(other, "", &TOP_KEYS)),
        }
    }
    if let Some(name) = &config.default_profile
        && !config.profiles.iter().any(|p| &p.name == name)
    {
        let known: Vec<&str> = config.profiles.iter().map(|p| p.name.as_str()).collect();
        return Err(format!(
            "default_profile = {name:?} is no [profiles.NAME]{}",
            suggestion(name, &known)
                .map(|s| format!("; did you mean {s:?}?"))
                .unwrap_or_default()
        ));
    }
    Ok(config)
}

/// A string value (a whole number is taken as its digits: `user_id = 123`).
fn text_of(key: &str, value: &toml::Value) -> Result<String, String> {
    match value {
        toml::Value::String(s) => Ok(s.clone()),
        toml::Value::Integer(n) => Ok(n.to_string()),
        other => Err(format!(
            "`{key}` must be a string, not a {}",
            other.type_str()
        )),
    }
}

/// What a profile key is.
#[derive(Clone, Copy)]
enum KeyKind {
    Provider,
    Store,
    /// `<PREFIX>_<SUFFIX>`: a credential, `BASE_URL` or a reading, with its valid values (readings).
    Setting(Option<fn() -> Vec<&'static str>>),
}

/// The readings of unpublished rules (`<PREFIX>_<KEY>` settings) and the schemes that read them: a reading
/// applies to a provider one of whose operations is signed by such a scheme. Their values are the
/// runtime's ([`SigningSettings::KEYS`]); the callback input is Dajisaas' (its pushes are signed with the app-key secret).
const READ_BY: [(&str, &[AuthStyle]); 9] = [
    (
        "TIMESTAMP_UNIT",
        &[AuthStyle::AccessKeyV1, AuthStyle::AccessKeyV2],
    ),
    ("V2_NONCE", &[AuthStyle::AccessKeyV2]),
    ("POST_SIGNED_FIELDS", &[AuthStyle::AppKey]),
    ("REQUEST_TIME_UNIT", &[AuthStyle::AppKey]),
    ("REQUEST_TIME_TYPE", &[AuthStyle::AppKey]),
    ("SIGN_PLACEMENT", &[AuthStyle::AppKey]),
    ("ORDER_ID_LIST", &[AuthStyle::AppKey]),
    ("UPLOAD_ENCODING", &[AuthStyle::AppKey]),
    (CALLBACK_SIGNED_INPUT, &[AuthStyle::AppKey]),
];

const CALLBACK_SIGNED_INPUT: &str = "CALLBACK_SIGNED_INPUT";

/// The valid values of the reading `key` (after the prefix).
fn reading_values(key: &str) -> Option<fn() -> Vec<&'static str>> {
    match key {
        CALLBACK_SIGNED_INPUT => Some(<sourcing_webhooks::SignedInput as Variant>::names),
        _ => SigningSettings::KEYS
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v),
    }
}

/// Whether the reading `key` (after the prefix, `V2_NONCE`) means something for `provider`.
pub fn reading_applies(key: &str, provider: &Provider) -> bool {
    READ_BY.iter().any(|(k, schemes)| {
        *k == key
            && provider
                .operations
                .iter()
                .any(|op| schemes.contains(&op.auth))
    })
}

/// The readings (after the prefix) that mean something for `provider`.
pub fn readings_of(provider: &Provider) -> Vec<&'static str> {
    READ_BY
        .iter()
        .map(|(k, _)| *k)
        .filter(|k| reading_applies(k, provider))
        .collect()
}

/// Every key a profile of `provider` may hold (as written: lower case), with its kind.
fn profile_keys(provider: &Provider) -> Vec<(String, KeyKind)> {
    let mut keys = vec![
        ("provider".to_string(), KeyKind::Provider),
        ("store".to_string(), KeyKind::Store),
        ("base_url".to_string(), KeyKind::Setting(None)),
    ];
    for f in provider.credentials.kind().fields {
        keys.push((f.env_suffix.to_lowercase(), KeyKind::Setting(None)));
    }
    for key in readings_of(provider) {
        keys.push((key.to_lowercase(), KeyKind::Setting(reading_values(key))));
    }
    // Where its answers carry ids and states (docs/readings.md): a JSON pointer or `none`.
    for reading in &Readings::KEYS {
        if reading
            .defaults
            .iter()
            .any(|(prefix, _)| *prefix == provider.env_prefix)
        {
            keys.push((reading.key.to_lowercase(), KeyKind::Setting(None)));
        }
    }
    // The rate budget (`sourcing_runtime::RateBudget::from_lookup`); per operation: `operation_rate`.
    for key in ["rate_per_second", "rate_burst"] {
        keys.push((key.to_string(), KeyKind::Setting(None)));
    }
    keys
}

/// Whether `key` (lower case) is an operation's rate budget, `rate_<operation id>`: not listed with the
/// profile keys, there would be one per operation in every message.
fn operation_rate(key: &str, provider: &Provider) -> bool {
    key.strip_prefix("rate_")
        .is_some_and(|id| provider.operations.iter().any(|op| op.id == id))
}

fn profile(name: &str, body: &toml::Table) -> Result<Profile, String> {
    let provider = match body.get("provider") {
        Some(v) => {
            let wanted = text_of("provider", v)?;
            sourcing_registry::find(&wanted.to_lowercase()).ok_or_else(|| {
                let known: Vec<&str> = providers().iter().map(|p| p.name).collect();
                format!(
                    "[profiles.{name}] provider = {wanted:?} is no provider (known: {})",
                    known.join(", ")
                )
            })?
        }
        None => sourcing_registry::find(name).ok_or_else(|| {
            format!(
                "[profiles.{name}] needs `provider = \"…\"` (one of {})",
                providers()
                    .iter()
                    .map(|p| p.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?,
    };
    let keys = profile_keys(provider);
    let mut out = Profile {
        name: name.to_string(),
        provider,
        store: None,
        settings: Settings::new(),
    };
    for (key, value) in body {
        let written = key.to_lowercase();
        let kind = match keys.iter().find(|(k, _)| *k == written) {
            Some((_, kind)) => *kind,
            None if operation_rate(&written, provider) => KeyKind::Setting(None),
            None => return Err(not_for(name, key, provider, &keys)),
        };
        let text = text_of(key, value).map_err(|e| format!("[profiles.{name}] {e}"))?;
        match kind {
            KeyKind::Provider => {}
            KeyKind::Store => out.store = Some(text),
            KeyKind::Setting(values) => {
                let full = format!("{}_{}", provider.env_prefix, written.to_uppercase());
                if let Some(values) = values.map(|v| v())
                    && !values.contains(&text.trim())
                {
                    return Err(format!(
                        "[profiles.{name}] {key} = {text:?} is not a known variant; valid: {}",
                        values.join(", ")
                    ));
                }
                if written == "base_url" {
                    check_url(&text).map_err(|e| format!("[profiles.{name}] base_url: {e}"))?;
                }
                out.settings.insert(full, text);
            }
        }
    }
    Ok(out)
}

/// Why `key` is not a key of `provider`'s profile `name`: it belongs to another provider's profiles, or it
/// is unknown (with the nearest known key).
fn not_for(name: &str, key: &str, provider: &Provider, keys: &[(String, KeyKind)]) -> String {
    let written = key.to_lowercase();
    let elsewhere = providers()
        .iter()
        .any(|p| profile_keys(p).iter().any(|(k, _)| *k == written));
    let known: Vec<&str> = keys.iter().map(|(k, _)| k.as_str()).collect();
    if elsewhere {
        return format!(
            "[profiles.{name}] `{key}` does not apply to a {} profile (its keys: {})",
            provider.name,
            known.join(", ")
        );
    }
    unknown(key, &format!("[profiles.{name}] "), &known)
}

/// "unknown key `x`; did you mean `y`?"
fn unknown(key: &str, place: &str, known: &[&str]) -> String {
    match suggestion(key, known) {
        Some(s) => format!("{place}unknown key `{key}`; did you mean `{s}`?"),
        None => format!("{place}unknown key `{key}` (known: {})", known.join(", ")),
    }
}

/// The known name nearest to `word`, if near enough to be a typo.
pub fn suggestion<'a>(word: &str, known: &[&'a str]) -> Option<&'a str> {
    let word = word.to_lowercase();
    known
        .iter()
        .map(|k| (strsim::levenshtein(&word, &k.to_lowercase()), *k))
        .filter(|(d, k)| *d <= (k.len() / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// A base URL must be absolute `http` or `https`: a host alone (`api.example.com`) would be read as a path.
pub fn check_url(text: &str) -> Result<(), String> {
    let url = reqwest::Url::parse(text.trim())
        .map_err(|e| format!("{text:?} is not a URL ({e}); write it as https://HOST"))?;
    match url.scheme() {
        "http" | "https" if url.has_host() => Ok(()),
        _ => Err(format!(
            "{text:?} is not an http:// or https:// URL; write it as https://HOST"
        )),
    }
}

/// `sourcing config path | check`.
pub struct ConfigCommand;

impl Subcommand for ConfigCommand {
    fn commands(&self) -> Vec<Command> {
        vec![Command::new("config")
            .about("The configuration file: where it is, and whether a profile works (one signed read)")
            .subcommand_required(true)
            .arg_required_else_help(true)
            .args(Flag::args(&[Flag::Config, Flag::Profile]))
            .subcommand(Command::new("path").about(
                "Print where the configuration file is (--config, $SOURCING_CONFIG, else \
                 $XDG_CONFIG_HOME/sourcing/config.toml or ~/.config/sourcing/config.toml)",
            ))
            .subcommand(
                Command::new("check")
                    .about("Check the file and each profile (or --profile, or --provider's settings): credentials complete, base URL valid, and one signed declared read accepted (never a write or a payment)")
                    .arg(
                        Arg::new("provider")
                            .long("provider")
                            .ignore_case(true)
                            .value_parser(clap::builder::PossibleValuesParser::new(
                                providers().iter().map(|p| p.name),
                            ))
                            .help("Check this provider's settings (its default profile, or the environment)"),
                    ),
            )]
    }

    fn run<'a>(&'a self, _name: &'a str, matches: &'a ArgMatches) -> Run<'a> {
        Box::pin(run(matches))
    }
}

async fn run(m: &ArgMatches) -> Result<u8, Stop> {
    let flag = m.get_one::<String>(Flag::Config.id()).map(String::as_str);
    match m.subcommand() {
        Some(("path", _)) => {
            let (path, _) = locate(flag).ok_or_else(|| {
                Stop::config("no place for the configuration file: set XDG_CONFIG_HOME or HOME")
            })?;
            crate::output::print_text(&path.display().to_string())?;
            if !path.exists() {
                eprintln!("(no file there yet)");
            }
            Ok(exit::OK)
        }
        Some(("check", cm)) => check(m, cm).await,
        _ => Err(Stop::usage("config: path or check? see --help")),
    }
}

/// What `config check` checks: (provider, profile) pairs.
fn targets(
    config: &Config,
    profile: Option<&String>,
    provider: Option<&String>,
) -> Result<Vec<(&'static Provider, Option<String>)>, Stop> {
    if let Some(name) = profile {
        return Ok(vec![(config.profile(name)?.provider, Some(name.clone()))]);
    }
    if let Some(name) = provider {
        let p = crate::backend::find_provider(name)?;
        return Ok(vec![(p, None)]);
    }
    if config.profiles().is_empty() {
        let place = match &config.path {
            Some(p) => format!("{} has no [profiles.NAME]", p.display()),
            None => "no configuration file".into(),
        };
        return Err(Stop::config(format!(
            "{place}: name a provider (--provider P) to check the environment's settings"
        )));
    }
    Ok(config
        .profiles()
        .iter()
        .map(|p| (p.provider, Some(p.name.clone())))
        .collect())
}

async fn check(m: &ArgMatches, cm: &ArgMatches) -> Result<u8, Stop> {
    let flag = m.get_one::<String>(Flag::Config.id());
    let chosen = m
        .get_one::<String>(Flag::Profile.id())
        .cloned()
        .or_else(|| std::env::var(PROFILE_ENV).ok().filter(|p| !p.is_empty()));
    let config = Config::load(flag.map(String::as_str))?;
    let mut worst = exit::OK;
    for (provider, profile) in targets(&config, chosen.as_ref(), cm.get_one::<String>("provider"))?
    {
        // Without a profile named: the provider's default profile, else the environment.
        let default = match &profile {
            Some(_) => None,
            None => config.default_for(provider).map(|p| p.name.clone()),
        };
        let label = match profile.as_ref().or(default.as_ref()) {
            Some(name) => format!("profile {name} ({})", provider.name),
            None => format!("{} (environment)", provider.name),
        };
        let code = match check_one(flag, profile.as_ref(), provider).await {
            Ok((line, code)) => {
                crate::output::print_text(&format!("{label}: {line}"))?;
                code
            }
            Err(Stop(code, why)) => {
                crate::output::print_text(&format!("{label}: {why}"))?;
                code
            }
        };
        worst = worst.max(code);
    }
    Ok(worst)
}

/// Check one profile: its endpoint (credentials, URL), then one signed declared read.
async fn check_one(
    flag: Option<&String>,
    profile: Option<&String>,
    provider: &'static Provider,
) -> Result<(String, u8), Stop> {
    let backend = Backend::live_with(flag, profile, None)?;
    backend.require_profile_of(provider)?;
    let endpoint = backend.endpoint(provider)?;
    let Some(op) = crate::probe::check_operation(provider) else {
        return Ok((
            format!("complete; {} has no declared read to try", provider.title),
            exit::OK,
        ));
    };
    let (query, body) = crate::probe::input(op);
    let query: Vec<(&str, &str)> = query
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let result = endpoint.call(op, &query, body.as_ref()).await;
    let at = &endpoint.base_url;
    Ok(match crate::probe::verdict(result) {
        Verdict::Accepted(d) => (
            format!("ok: {at} accepted a signed {} ({d})", op.id),
            exit::OK,
        ),
        Verdict::Refused(d) => (
            format!(
                "refused: {at} refused the signature of {} ({d}); check the credentials and readings (`sourcing probe`)",
                op.id
            ),
            exit::CONFIG,
        ),
        Verdict::Unknown(d) => (
            format!("no answer from {at} to {}: {d}", op.id),
            exit::TRANSPORT,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse_toml(text).expect_err("refused")
    }

    #[test]
    fn profiles_map_to_prefixed_settings() {
        let config = parse_toml(
            "store = \"sqlite:x.db\"\ndefault_profile = \"b\"\n\
             [profiles.a]\nprovider = \"PandaPon\"\naccess_key = \"k\"\nuser_id = 42\nv2_nonce = \"signed\"\n\
             [profiles.b]\nprovider = \"pandapon\"\naccess_key = \"k2\"\n\
             [profiles.dajisaas]\napp_key = \"d\"\nbase_url = \"http://127.0.0.1:1\"\n",
        )
        .unwrap();
        let a = &config.profiles[0];
        assert_eq!(a.provider.name, "pandapon");
        assert_eq!(a.get("PANDAPON_USER_ID").map(String::as_str), Some("42"));
        assert_eq!(
            a.get("PANDAPON_V2_NONCE").map(String::as_str),
            Some("signed")
        );
        assert_eq!(a.missing_credentials(), ["access_secret"]);
        let pandapon = sourcing_registry::find("pandapon").unwrap();
        let dajisaas = sourcing_registry::find("dajisaas").unwrap();
        assert_eq!(config.default_for(pandapon).unwrap().name, "b");
        assert_eq!(config.default_for(dajisaas).unwrap().name, "dajisaas");
        assert_eq!(config.store.as_deref(), Some("sqlite:x.db"));
    }

    /// A profile's rate budget: the provider's and an operation's, read by the runtime as `<PREFIX>_RATE_*`.
    #[test]
    fn profiles_hold_rate_budgets() {
        let config = parse_toml(
            "[profiles.pandapon]\nrate_per_second = \"5\"\nrate_burst = 2\nrate_order_detail = \"0.5\"\n",
        )
        .unwrap();
        let p = &config.profiles[0];
        let rate = sourcing_runtime::RateBudget::from_lookup(
            "PANDAPON",
            p.provider.operations.iter().map(|o| o.id),
            |k| p.get(k).cloned(),
        )
        .unwrap();
        assert_eq!((rate.per_second, rate.burst), (Some(5.0), 2));
        assert_eq!(rate.per_operation.get("order_detail"), Some(&0.5));
        assert!(
            err("[profiles.pandapon]\nrate_no_such_operation = \"1\"")
                .starts_with("[profiles.pandapon] unknown key `rate_no_such_operation`"),
        );
    }

    /// Every reading the runtime names is known here, with the schemes that read it.
    #[test]
    fn every_runtime_reading_is_placed() {
        for (key, _) in SigningSettings::KEYS {
            assert!(READ_BY.iter().any(|(k, _)| *k == key), "{key}");
            assert!(reading_values(key).is_some(), "{key}");
        }
    }

    #[test]
    fn debug_never_shows_a_value() {
        let config = parse_toml("[profiles.pandapon]\naccess_secret = \"s3cr3t-value\"\n").unwrap();
        let shown = format!("{config:?}");
        assert!(
            shown.contains("PANDAPON_ACCESS_SECRET") && !shown.contains("s3cr3t-value"),
            "{shown}"
        );
    }

    /// `[serve]`: serve's flags as keys, each value checked by its flag's parser; the token never shown.
    #[test]
    fn the_serve_section_holds_serves_flags() {
        let config = parse_toml(
            "[serve]\nbind = \"0.0.0.0\"\nport = 8081\ntoken = \"t0k3n-value\"\nheader_timeout = \"2s\"\n\
             reconcile_every = \"5m\"\nmax_connections = 64\n",
        )
        .unwrap();
        assert_eq!(config.serve.get("header-timeout"), Some("2s"));
        assert_eq!(config.serve.get("port"), Some("8081"));
        assert_eq!(config.serve.get("idle-timeout"), None);
        let shown = format!("{config:?}");
        assert!(
            shown.contains("token") && !shown.contains("t0k3n-value"),
            "{shown}"
        );
        assert_eq!(
            err("[serve]\nheader_timout = \"2s\""),
            "[serve] unknown key `header_timout`; did you mean `header_timeout`?"
        );
        let bad = err("[serve]\nidle_timeout = 60");
        assert!(
            bad.starts_with("[serve] idle_timeout: invalid value '60'"),
            "{bad}"
        );
        assert!(bad.contains("the unit is ms, s, m or h"), "{bad}");
        assert!(err("[serve]\nport = 70000").starts_with("[serve] port: invalid value"));
        assert!(err("[serve]\nbind = \"localhost\"").starts_with("[serve] bind: invalid value"));
        assert!(err("[serve]\nmax_connections = 0").starts_with("[serve] max_connections:"));
        assert!(err("serve = 1").contains("[serve] table"));
    }

    #[test]
    fn mistakes_are_named() {
        assert_eq!(
            err("stor = \"x\""),
            "unknown key `stor`; did you mean `store`?"
        );
        assert_eq!(
            err("[profiles.pandapon]\nacces_key = \"k\""),
            "[profiles.pandapon] unknown key `acces_key`; did you mean `access_key`?"
        );
        assert!(
            err("[profiles.pandapon]\napp_key = \"k\"")
                .starts_with("[profiles.pandapon] `app_key` does not apply to a pandapon profile"),
        );
        assert!(err("[profiles.x]\naccess_key = \"k\"").contains("needs `provider"));
        let broken = err("store = \"x\"\n[x");
        assert!(broken.starts_with("line 2: not valid TOML"), "{broken}");
        assert!(
            err("[profiles.pandapon]\nbase_url = \"api.example.com\"")
                .starts_with("[profiles.pandapon] base_url: \"api.example.com\" is not a URL")
        );
        assert!(err("[profiles.pandapon]\nv2_nonce = \"maybe\"").contains("valid: omitted"));
        assert!(err("[profiles.xportcn]\nv2_nonce = \"signed\"").contains("does not apply"));
        assert!(
            err("default_profile = \"shopa\"\n[profiles.shop-a]\nprovider = \"xportcn\"")
                .contains("did you mean \"shop-a\"")
        );
    }
}
