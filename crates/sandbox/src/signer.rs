//! A signer for talking to the sandbox: the built-in signers for every published scheme, plus the
//! sandbox-only stand-in for [`AuthStyle::QueryTimestampSign`] (`/open/pp/logistics/*`), whose rule the
//! vendors do not publish. Against a real provider, plug in the rule your account manager gives you.

use sourcing_runtime::signing::{
    Clock, SignContext, SignError, Signer, SystemClock, set_query_params,
};
use sourcing_runtime::{AccessKeyCredentials, AccessKeySigner, AppKeySigner, AuthStyle};

#[derive(Debug, Clone)]
pub struct SandboxSigner {
    credentials: AccessKeyCredentials,
    access_key: AccessKeySigner,
    app_key: AppKeySigner,
}

impl SandboxSigner {
    /// Signs as the sandbox's test account.
    pub fn new() -> Self {
        Self::with(crate::credentials::access_key())
    }

    pub fn with(credentials: AccessKeyCredentials) -> Self {
        Self {
            access_key: AccessKeySigner::new(credentials.clone()),
            credentials,
            app_key: AppKeySigner::new(crate::credentials::app_key()),
        }
    }
}

impl Default for SandboxSigner {
    fn default() -> Self {
        Self::new()
    }
}

impl Signer for SandboxSigner {
    fn sign(&self, request: &mut reqwest::Request, ctx: &SignContext<'_>) -> Result<(), SignError> {
        match ctx.auth {
            AuthStyle::QueryTimestampSign => {
                // The sandbox's own rule (the real one is unpublished): `crate::auth::query_sign`.
                let ts = SystemClock.now_millis().to_string();
                let sign = crate::auth::query_sign(&ts, &self.credentials);
                set_query_params(request, &[("timestamp", &ts), ("sign", &sign)]);
                Ok(())
            }
            AuthStyle::AppKey => self.app_key.sign(request, ctx),
            _ => self.access_key.sign(request, ctx),
        }
    }
}
