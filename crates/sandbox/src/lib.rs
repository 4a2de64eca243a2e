//! A local server that speaks every provider spec, for trying the SDK without a vendor account and for
//! testing integrations offline.
//!
//! Built from provider descriptions (the registry's by default, or any given at run time in
//! [`SandboxConfig::providers`]): every operation of every provider is served at
//! `/<provider><documented path>` (e.g. `http://127.0.0.1:PORT/pandapon/alibaba/order/pay/url`). Each request
//! is checked — method (a 405 carries `Allow`), a JSON object body, signature against the configured test
//! credentials, timestamp skew, then the operation's input JSON Schema (query values read as the type their
//! schema names) — and answered in the provider's envelope with `data` that validates against the
//! operation's response schema: the published example where one conforms, otherwise a value generated from
//! the schema ([`generate`]), the same for the same request, with titles and subjects marked `sandbox`.
//! Bad input gets a provider-style error envelope with the right HTTP status (400 for invalid input) and a
//! message naming the field. Faults (latency, 5xx, 429, dropped connections, truncated or malformed bodies,
//! business errors) can be injected per operation or globally. Orders created through the documented order
//! operations are kept, so a create → pay → detail flow behaves like one; an order it does not know is refused
//! with the provider's failure naming the requested id, as the vendors do.
//!
//! The state (orders per provider, callbacks owed, callback URLs, request counts — [`state`]) lives in memory
//! or in a file shared by processes ([`SandboxConfig::state_file`]); with a callback URL, every order change
//! POSTs the provider's documented callback, retried on a compressed vendor schedule. Some answers carry
//! fields the vendors do not publish, where the purchase facade's default readings look (the crate README's
//! table); amounts are yuan with at most two decimals or integer fen, and previews add up.

mod auth;
mod callbacks;
mod catalogue;
mod faults;
#[cfg(test)]
mod flow_tests;
mod flows;
pub mod generate;
mod readings;
mod respond;
mod schema;
mod server;
mod signer;
pub mod state;
mod validate;

pub use faults::{Fault, FaultRule};
pub use respond::{AnswerSource, answer_source};
pub use server::{REQUESTS_PATH, Sandbox, SandboxConfig, SeedOrder};
pub use signer::SandboxSigner;
pub use state::default_state_path;

/// What `sourcing sandbox` prints at startup: every provider's base URL and operation count, and the
/// public test credentials of each provider's credential kind.
pub fn banner(addr: std::net::SocketAddr) -> String {
    use std::fmt::Write;
    let mut out = format!("sandbox listening on http://{addr}\n");
    let providers = sourcing_registry::providers();
    for p in providers {
        let _ = writeln!(
            out,
            "  {:<10} http://{addr}/{}  ({} operations)",
            p.name,
            p.name,
            p.operations.len()
        );
    }
    out.push_str("test credentials (public, sandbox only):\n");
    for p in providers {
        let kind = p.credentials.kind();
        let pairs: Vec<String> = kind
            .env_vars(p.env_prefix)
            .iter()
            .zip(kind.fields)
            .map(|(k, f)| format!("{k}={}", f.sandbox))
            .collect();
        let _ = writeln!(out, "  {:<10} {}", p.name, pairs.join(" "));
    }
    out
}

/// Test credentials the sandbox accepts (and the quickstart and CLI `--sandbox` use): the sandbox values
/// of the runtime's credential kinds.
pub mod credentials {
    use sourcing_runtime::{
        AccessKeyCredentials, AppKeyCredentials, CredentialKind, CredentialStyle,
    };

    const ACCESS: &CredentialKind = CredentialStyle::AccessKey.kind();
    const APP: &CredentialKind = CredentialStyle::AppKey.kind();

    pub const ACCESS_KEY: &str = ACCESS.fields[0].sandbox;
    pub const ACCESS_SECRET: &str = ACCESS.fields[1].sandbox;
    pub const USER_ID: &str = ACCESS.fields[2].sandbox;
    pub const APP_KEY: &str = APP.fields[0].sandbox;
    pub const APP_SECRET: &str = APP.fields[1].sandbox;

    pub fn access_key() -> AccessKeyCredentials {
        AccessKeyCredentials::new(ACCESS_KEY, ACCESS_SECRET, USER_ID)
    }

    pub fn app_key() -> AppKeyCredentials {
        AppKeyCredentials::new(APP_KEY, APP_SECRET)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn banner_shows_every_providers_test_credentials() {
        let text = super::banner(([127, 0, 0, 1], 8080).into());
        for p in sourcing_registry::providers() {
            assert!(
                text.contains(&format!("http://127.0.0.1:8080/{}", p.name)),
                "{text}"
            );
        }
        for needle in [
            "PANDAPON_ACCESS_KEY=sandbox-access-key",
            "PANDAPON_ACCESS_SECRET=sandbox-access-secret",
            "XPORTCN_USER_ID=2100007341207",
            "DAJISAAS_APP_KEY=sandbox-app-key",
            "DAJISAAS_APP_SECRET=sandbox-app-secret",
        ] {
            assert!(text.contains(needle), "{needle} missing from:\n{text}");
        }
    }
}
