//! A local server that speaks every provider spec, for trying the SDK without a vendor account and for
//! testing integrations offline.
//!
//! Built from the generated operation tables: every operation of every provider is served at
//! `/<provider><documented path>` (e.g. `http://127.0.0.1:PORT/pandapon/alibaba/order/pay/url`). Each request
//! is checked — method, required parameters and their types, signature against the configured test
//! credentials, timestamp skew — and answered with the documented example in the provider's envelope, or a
//! provider-style error envelope with the right HTTP status and a message naming what was wrong. Faults
//! (latency, 5xx, 429, dropped connections, truncated or malformed bodies, business errors) can be injected
//! per operation or globally. Orders created through the documented order operations are kept, so a
//! create → pay → detail flow behaves like one.

mod auth;
mod faults;
mod flows;
pub mod generate;
mod respond;
mod schema;
mod server;
mod signer;
mod validate;

pub use faults::{Fault, FaultRule};
pub use server::{Sandbox, SandboxConfig};
pub use signer::SandboxSigner;

use sourcing_runtime::operation::Provider;

/// Every provider the sandbox serves.
pub fn providers() -> &'static [&'static Provider] {
    static PROVIDERS: &[&Provider] = &[
        &pandapon::operations::PROVIDER,
        &dajisaas::operations::PROVIDER,
        &xportcn::operations::PROVIDER,
    ];
    PROVIDERS
}

/// Test credentials the sandbox accepts (and the quickstart and CLI `--sandbox` use).
pub mod credentials {
    use sourcing_runtime::{AccessKeyCredentials, AppKeyCredentials};

    pub const ACCESS_KEY: &str = "sandbox-access-key";
    pub const ACCESS_SECRET: &str = "sandbox-access-secret";
    pub const USER_ID: &str = "2100007341207";
    pub const APP_KEY: &str = "sandbox-app-key";
    pub const APP_SECRET: &str = "sandbox-app-secret";

    pub fn access_key() -> AccessKeyCredentials {
        AccessKeyCredentials::new(ACCESS_KEY, ACCESS_SECRET, USER_ID)
    }

    pub fn app_key() -> AppKeyCredentials {
        AppKeyCredentials::new(APP_KEY, APP_SECRET)
    }
}
