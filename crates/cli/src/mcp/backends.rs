//! Where calls go: the embedded sandbox (default) or, with `--live`, every provider whose credentials are
//! set. Both the operation tools and the workflow tools call through these.

use crate::call::{Stop, runtime_for, sandbox_settings, settings};
use sourcing_buy::Buyer;
use sourcing_runtime::Runtime;
use sourcing_runtime::operation::Provider;
use sourcing_sandbox::Sandbox;

/// Where one provider's calls go.
pub struct Backend {
    pub provider: &'static Provider,
    pub base_url: String,
    pub runtime: Runtime,
    pub http: reqwest::Client,
}

impl Backend {
    fn new(provider: &'static Provider, base_url: String, runtime: Runtime) -> Self {
        Backend {
            provider,
            base_url,
            http: runtime.http_client(),
            runtime,
        }
    }

    /// The purchase facade over this backend, if the facade covers the provider.
    pub fn buyer(&self) -> Option<Buyer> {
        let runtime = self.runtime.clone();
        let base = self.base_url.as_str();
        Some(
            match sourcing_buy::Provider::from_name(self.provider.name)? {
                sourcing_buy::Provider::Pandapon => {
                    pandapon::Client::with_runtime(base, runtime).into()
                }
                sourcing_buy::Provider::Dajisaas => {
                    dajisaas::Client::with_runtime(base, runtime).into()
                }
                sourcing_buy::Provider::Xportcn => {
                    xportcn::Client::with_runtime(base, runtime).into()
                }
            },
        )
    }
}

/// The backends, and the sandbox kept alive while they are used (sandbox mode).
pub struct Backends {
    pub list: Vec<Backend>,
    pub sandbox: Option<Sandbox>,
    /// What calls go to, for humans.
    pub target: &'static str,
}

impl Backends {
    pub async fn start(live: bool, config: Option<&String>) -> Result<Self, String> {
        if live {
            return Self::live(config);
        }
        let sandbox = Sandbox::start()
            .await
            .map_err(|e| format!("cannot start the sandbox: {e}"))?;
        let mut list = Vec::new();
        for &provider in sourcing_sandbox::providers() {
            let runtime =
                runtime_for(provider, &sandbox_settings(provider), true).map_err(|Stop(_, m)| m)?;
            list.push(Backend::new(
                provider,
                sandbox.base_url(provider.name),
                runtime,
            ));
        }
        Ok(Backends {
            list,
            sandbox: Some(sandbox),
            target: "the embedded sandbox (test data)",
        })
    }

    fn live(config: Option<&String>) -> Result<Self, String> {
        let settings = settings(config).map_err(|Stop(_, m)| m)?;
        let mut list = Vec::new();
        for &provider in sourcing_sandbox::providers() {
            // A provider without (complete) credentials is not served; the message names the missing key.
            let runtime = match runtime_for(provider, &settings, false) {
                Ok(r) => r,
                Err(Stop(_, why)) => {
                    eprintln!("sourcing mcp: {} not served: {why}", provider.name);
                    continue;
                }
            };
            let base_url = settings
                .get(&format!("{}_BASE_URL", provider.env_prefix))
                .cloned()
                .unwrap_or_else(|| provider.production_base_url.to_string());
            list.push(Backend::new(provider, base_url, runtime));
        }
        if list.is_empty() {
            return Err("--live: no provider has credentials (environment or --config); without --live the embedded sandbox is used".into());
        }
        Ok(Backends {
            list,
            sandbox: None,
            target: "the live provider APIs",
        })
    }
}
