//! Where the server's calls go: one [`Backend`] per provider served, resolved by the program that embeds the
//! server (the `sourcing` CLI reads credentials from the environment, `--config` and profiles), or the
//! embedded sandbox ([`Backends::sandbox`]).

use crate::Error;
use serde_json::Value;
use sourcing_buy::Buyer;
use sourcing_runtime::{CredentialValues, Operation, Provider, Runtime};
use sourcing_sandbox::{Sandbox, SandboxConfig};
use std::sync::Arc;

/// One provider the server serves: its base URL, the runtime that signs its calls, and — where the purchase
/// facade maps the provider — its purchase flow (the `buy_*` tools).
#[non_exhaustive]
pub struct Backend {
    /// The provider's description (its operations are the provider's toolset).
    pub provider: &'static Provider,
    /// Where its calls go.
    pub base_url: String,
    /// Signs and sends its calls.
    pub runtime: Runtime,
    /// Its purchase flow, when the facade has one for it.
    pub buyer: Option<Buyer>,
    /// The account (profile) the ledger records its orders under; `None` without profiles.
    pub profile: Option<String>,
    http: reqwest::Client,
}

impl Backend {
    /// `provider` at `base_url`, signed by `runtime`; its purchase flow is the facade's for a provider it
    /// maps (with the default readings: replace it with [`Backend::with_buyer`]).
    pub fn new(provider: &'static Provider, base_url: impl Into<String>, runtime: Runtime) -> Self {
        let base_url = base_url.into();
        let buyer =
            sourcing_registry::flow(provider.name).map(|p| p.buyer(&base_url, runtime.clone()));
        Backend {
            provider,
            http: runtime.http_client(),
            base_url,
            runtime,
            buyer,
            profile: None,
        }
    }

    /// The purchase flow served for this provider (`None`: no `buy_*` tool reaches it).
    pub fn with_buyer(mut self, buyer: Option<Buyer>) -> Self {
        self.buyer = buyer;
        self
    }

    /// The profile its orders are recorded under in the ledger.
    pub fn with_profile(mut self, profile: Option<String>) -> Self {
        self.profile = profile;
        self
    }

    /// `op` through the runtime's untyped path (limits checked before signing; only declared reads
    /// retried).
    pub(crate) async fn call(
        &self,
        op: &Operation,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Value, sourcing_runtime::Error> {
        self.runtime
            .call_operation(&self.http, &self.base_url, self.provider, op, query, body)
            .await
    }
}

/// Every provider the server serves, and whether they are live or the embedded sandbox.
pub struct Backends {
    pub(crate) served: Vec<Backend>,
    /// Sandbox mode: the sandbox the backends call, alive as long as the server.
    pub(crate) sandbox: Option<Arc<Sandbox>>,
}

impl Backends {
    /// The live providers `served` (at least one: `Err` otherwise).
    pub fn live(served: Vec<Backend>) -> Result<Self, Error> {
        if served.is_empty() {
            return Err(Error::NoProvider);
        }
        Ok(Backends {
            served,
            sandbox: None,
        })
    }

    /// Every provider of the registry against the embedded sandbox (started here, in-process, its state in
    /// memory), with its test credentials: no account needed.
    pub async fn sandbox() -> Result<Self, Error> {
        Self::sandbox_with(SandboxConfig::default()).await
    }

    /// [`Backends::sandbox`] with `config` (e.g. the signing variant it emulates).
    pub async fn sandbox_with(config: SandboxConfig) -> Result<Self, Error> {
        let signing = config.signing;
        let sandbox = Sandbox::start_with(config)
            .await
            .map_err(|e| Error::Sandbox(e.to_string()))?;
        let served = sourcing_registry::providers()
            .iter()
            .map(|&provider| {
                let runtime = Runtime::for_sandbox(provider, &test_credentials(provider), &signing);
                Backend::new(provider, sandbox.base_url(provider.name), runtime)
            })
            .collect();
        Ok(Backends {
            served,
            sandbox: Some(Arc::new(sandbox)),
        })
    }

    /// Whether calls go to live providers (not the embedded sandbox).
    pub fn is_live(&self) -> bool {
        self.sandbox.is_none()
    }
}

/// The sandbox's test credentials of `provider`, in the order of its credential fields.
fn test_credentials(provider: &Provider) -> CredentialValues {
    let kind = provider.credentials.kind();
    CredentialValues::new(kind.fields.iter().map(|f| f.sandbox.to_string()))
}
