//! `QueryTimestampSign`: Xportcn's warehouse-logistics endpoints (`/open/pp/logistics/*`) take query
//! parameters `timestamp` + `sign` whose rule the vendor publishes nowhere. The built-in signer refuses
//! these operations (nothing is sent); the sandbox accepts any non-empty pair, so tools talking to it sign
//! with a stand-in ([`Scheme::sandbox_signer`]).

use super::scheme::{Received, Refusing, Scheme, SchemeParam, Verification};
use super::{SignContext, SignError, Signer, set_query_params};
use crate::credentials::{ACCESS_KEY, CredentialKind, CredentialValues};
use crate::time::{Timer, TokioTimer};
use std::sync::Arc;

/// The unpublished query-parameter scheme as a [`Scheme`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueryTimestampSignScheme;

/// The value of `sign` the sandbox stand-in sends.
const STAND_IN: &str = "sandbox-unverified";

impl Scheme for QueryTimestampSignScheme {
    fn name(&self) -> &'static str {
        "QueryTimestampSign"
    }

    fn credentials(&self) -> &'static CredentialKind {
        &ACCESS_KEY
    }

    fn params(&self) -> &'static [SchemeParam] {
        &[
            SchemeParam {
                name: "timestamp",
                secret: false,
            },
            SchemeParam {
                name: "sign",
                secret: true,
            },
        ]
    }

    fn signer(&self, _: &CredentialValues) -> Result<Arc<dyn Signer>, SignError> {
        Ok(Arc::new(Refusing(SignError::query_sign_rule_unpublished())))
    }

    fn sandbox_signer(&self, _: &CredentialValues) -> Result<Arc<dyn Signer>, SignError> {
        Ok(Arc::new(StandIn(TokioTimer::default())))
    }

    /// The rule is unpublished: presence is all that can be checked.
    fn verify(&self, request: &Received<'_>, _: &Verification<'_>) -> Result<(), String> {
        for name in ["timestamp", "sign"] {
            if request.query_param(name).is_none_or(str::is_empty) {
                return Err(format!("missing query parameter `{name}`"));
            }
        }
        Ok(())
    }
}

/// Sets `timestamp` and a placeholder `sign`: only the sandbox accepts it.
#[derive(Debug)]
struct StandIn(TokioTimer);

impl Signer for StandIn {
    fn sign(&self, request: &mut reqwest::Request, _: &SignContext<'_>) -> Result<(), SignError> {
        let timestamp = self.0.now_millis().to_string();
        set_query_params(request, &[("timestamp", &timestamp), ("sign", STAND_IN)]);
        Ok(())
    }
}
