//! `QueryTimestampSign`: [`QueryTimestampSignScheme`].

use super::scheme::{Received, Refusing, Scheme, SchemeParam, Verification};
use super::{
    SignContext, SignError, Signer, SigningSettings, TimestampUnit, access_key_signature,
    set_query_params,
};
use crate::credentials::{ACCESS_KEY, CredentialKind, CredentialValues};
use crate::time::{Timer, TokioTimer};
use std::sync::Arc;

/// The unpublished query-parameter scheme as a [`Scheme`] (`QueryTimestampSign`): Xportcn's warehouse-logistics endpoints (`/open/pp/logistics/*`) take query
/// parameters `timestamp` + `sign` whose rule the vendor publishes nowhere. The built-in signer refuses
/// these operations (nothing is sent). The sandbox holds to a rule of its own, `sign =
/// UPPER(HEX(MD5(accessKey + timestamp + accessSecret)))` (the `AccessKeyV2` formula, timestamp in
/// milliseconds), which tools talking to it sign with ([`Scheme::sandbox_signer`]); a real provider's rule
/// is different and unknown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueryTimestampSignScheme;

/// The sandbox's own rule: the `AccessKeyV2` formula over the access-key credentials.
fn sandbox_sign(timestamp: &str, credentials: &CredentialValues) -> Result<String, String> {
    let [key, secret, _] = credentials.exactly(&ACCESS_KEY)?;
    Ok(access_key_signature(key, timestamp, None, secret))
}

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

    fn signer(
        &self,
        _: &CredentialValues,
        _: &SigningSettings,
    ) -> Result<Arc<dyn Signer>, SignError> {
        Ok(Arc::new(Refusing(SignError::query_sign_rule_unpublished())))
    }

    fn sandbox_signer(
        &self,
        credentials: &CredentialValues,
        _: &SigningSettings,
    ) -> Result<Arc<dyn Signer>, SignError> {
        sandbox_sign("0", credentials).map_err(SignError)?;
        Ok(Arc::new(StandIn {
            timer: TokioTimer::default(),
            credentials: credentials.clone(),
        }))
    }

    /// The sandbox's own rule (the vendor's is unpublished).
    fn verify(&self, request: &Received<'_>, against: &Verification<'_>) -> Result<(), String> {
        let param = |name: &str| {
            request
                .query_param(name)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| format!("missing query parameter `{name}`"))
        };
        let timestamp = param("timestamp")?;
        against.check_timestamp(timestamp, Some(TimestampUnit::Milliseconds))?;
        if param("sign")? != sandbox_sign(timestamp, against.credentials)? {
            return Err(
                "sign mismatch (the sandbox's own rule for query-signed operations)".into(),
            );
        }
        Ok(())
    }
}

/// Sets `timestamp` and `sign` by the sandbox's own rule: only the sandbox accepts it.
#[derive(Debug)]
struct StandIn {
    timer: TokioTimer,
    credentials: CredentialValues,
}

impl Signer for StandIn {
    fn sign(&self, request: &mut reqwest::Request, _: &SignContext<'_>) -> Result<(), SignError> {
        let timestamp = self.timer.now_millis().to_string();
        let sign = sandbox_sign(&timestamp, &self.credentials).map_err(SignError)?;
        set_query_params(request, &[("timestamp", &timestamp), ("sign", &sign)]);
        Ok(())
    }
}
