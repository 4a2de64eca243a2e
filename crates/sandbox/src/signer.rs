//! A signer for talking to the sandbox: every scheme of the served providers with its sandbox test
//! credentials ([`sourcing_runtime::Scheme::sandbox_signer`]; a scheme whose rule the vendor does not
//! publish signs with a stand-in only the sandbox accepts). Against a real provider, use the scheme's own
//! signer or plug in the rule your account manager gives you.

use sourcing_runtime::{
    AuthStyle, Provider, SchemeSigners, SignContext, SignError, Signer, SigningSettings,
};

#[derive(Debug)]
pub struct SandboxSigner(Result<SchemeSigners, SignError>);

impl SandboxSigner {
    /// Signs as the sandbox's test account for every registered provider.
    pub fn new() -> Self {
        Self::for_providers(sourcing_registry::providers())
    }

    /// Signs as the sandbox's test account for these providers' schemes, under the default signing
    /// variant (the one a default sandbox emulates).
    pub fn for_providers(providers: &[&Provider]) -> Self {
        Self::emulating(providers, &SigningSettings::default())
    }

    /// Signs as the sandbox's test account for these providers' schemes, under the signing variant
    /// `settings` (the one the sandbox emulates, [`crate::SandboxConfig::signing`]).
    pub fn emulating(providers: &[&Provider], settings: &SigningSettings) -> Self {
        let mut schemes: Vec<AuthStyle> = Vec::new();
        for p in providers {
            for s in p.schemes() {
                if !schemes.contains(&s) {
                    schemes.push(s);
                }
            }
        }
        Self(SchemeSigners::build(&schemes, |s| {
            s.sandbox_signer(&s.credentials().sandbox_values(), settings)
        }))
    }
}

impl Default for SandboxSigner {
    fn default() -> Self {
        Self::new()
    }
}

impl Signer for SandboxSigner {
    fn sign(&self, request: &mut reqwest::Request, ctx: &SignContext<'_>) -> Result<(), SignError> {
        self.0.as_ref().map_err(Clone::clone)?.sign(request, ctx)
    }

    fn sign_form(
        &self,
        request: &mut reqwest::Request,
        fields: &[(&str, &str)],
        ctx: &SignContext<'_>,
    ) -> Result<(), SignError> {
        self.0
            .as_ref()
            .map_err(Clone::clone)?
            .sign_form(request, fields, ctx)
    }
}
