//! [`Scheme`]: a signing scheme as one open extension point.

use super::{SignContext, SignError, Signer, SigningSettings, TimestampUnit, Variant};
use crate::credentials::{CredentialKind, CredentialValues};
use crate::operation::AuthStyle;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// A request parameter a scheme adds itself (never an operation input).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SchemeParam {
    /// The wire name (query parameter or top-level body property).
    pub name: &'static str,
    /// Its value is a secret or a signature: masked in logs, errors and URLs.
    pub secret: bool,
}

/// A signed request as a server received it, for [`Scheme::verify`].
#[derive(Clone, Copy, Debug)]
pub struct Received<'a> {
    /// The HTTP method.
    pub method: &'a str,
    /// The path as documented (below the base URL).
    pub path: &'a str,
    /// The headers.
    pub headers: &'a http::HeaderMap,
    /// The decoded query pairs, in order.
    pub query: &'a [(String, String)],
    /// The raw body (empty when none).
    pub body: &'a [u8],
}

impl Received<'_> {
    /// A header's value as text, or why not.
    pub fn header(&self, name: &str) -> Result<&str, String> {
        self.headers
            .get(name)
            .ok_or_else(|| format!("missing header `{name}`"))?
            .to_str()
            .map_err(|_| format!("header `{name}` is not visible ASCII"))
    }

    /// The first query parameter of this name.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What a verifier checks a request against.
#[derive(Clone, Copy, Debug)]
pub struct Verification<'a> {
    /// The credentials the server accepts, in the scheme's field order.
    pub credentials: &'a CredentialValues,
    /// The server's wall clock, milliseconds since the Unix epoch.
    pub now_millis: u64,
    /// The largest accepted distance between a request timestamp and `now_millis` (`None`: not checked).
    pub max_skew: Option<Duration>,
    /// The readings of the vendors' unpublished rules the server holds to (the sandbox's emulated variant).
    pub settings: &'a SigningSettings,
}

impl Verification<'_> {
    /// Check a request timestamp in `unit` (13 digits for milliseconds, 10 for seconds; `None`: either)
    /// against the skew limit.
    pub fn check_timestamp(&self, text: &str, unit: Option<TimestampUnit>) -> Result<(), String> {
        let value: u64 = text
            .parse()
            .map_err(|_| format!("timestamp {text:?} is not an integer"))?;
        let seconds = value < 100_000_000_000;
        if let Some(unit) = unit
            && seconds != (unit == TimestampUnit::Seconds)
        {
            return Err(format!(
                "timestamp {text} is not in {} (the signing variant this server holds to)",
                unit.name()
            ));
        }
        let Some(max_skew) = self.max_skew else {
            return Ok(());
        };
        let millis = if seconds { value * 1000 } else { value };
        let skew = Duration::from_millis(self.now_millis.abs_diff(millis));
        if skew > max_skew {
            return Err(format!(
                "timestamp {text} is {}s away from server time (limit {}s)",
                skew.as_secs(),
                max_skew.as_secs()
            ));
        }
        Ok(())
    }
}

/// A signing scheme (a spec's security scheme). Implementations are `static`s referred to by
/// [`AuthStyle`]; what is fixed for a scheme (v1 nonce, app-key mode) is a field of the implementing type, the
/// readings of rules a vendor leaves open (timestamp unit, v2 nonce, signed POST fields, …) come as
/// [`SigningSettings`] to [`Scheme::signer`] and, through [`Verification::settings`], to [`Scheme::verify`];
/// a scheme without open rules ignores them.
///
/// One open extension point: how a request is signed (its [`Signer`]),
/// how a signed request is verified (the sandbox), which request parameters it owns (the one list that
/// redaction and validation read), and which credentials it signs with. The built-in schemes are
/// `AccessKeyV1`/`AccessKeyV2` ([`AccessKeyScheme`](crate::AccessKeyScheme)), `AppKey`
/// ([`AppKeyScheme`](crate::AppKeyScheme)) and `QueryTimestampSign`
/// ([`QueryTimestampSignScheme`](crate::QueryTimestampSignScheme)); a provider with another scheme implements this trait next to its spec.
pub trait Scheme: fmt::Debug + Send + Sync {
    /// The spec's security scheme name (`AccessKeyV1`).
    fn name(&self) -> &'static str;

    /// The credentials it signs with.
    fn credentials(&self) -> &'static CredentialKind;

    /// The request parameters it adds (and strips before re-signing): never operation inputs; the secret
    /// ones are masked wherever a request is shown.
    fn params(&self) -> &'static [SchemeParam];

    /// A signer for these credentials (in [`Scheme::credentials`] field order), reading the open rules as
    /// `settings` say.
    fn signer(
        &self,
        credentials: &CredentialValues,
        settings: &SigningSettings,
    ) -> Result<Arc<dyn Signer>, SignError>;

    /// The signer tools use against the sandbox; the default is [`Scheme::signer`]. A scheme whose rule is
    /// unpublished signs with a stand-in the sandbox accepts.
    fn sandbox_signer(
        &self,
        credentials: &CredentialValues,
        settings: &SigningSettings,
    ) -> Result<Arc<dyn Signer>, SignError> {
        self.signer(credentials, settings)
    }

    /// `Ok` when `request` carries a valid signature for the accepted credentials; otherwise the reason
    /// (never a secret).
    fn verify(&self, request: &Received<'_>, against: &Verification<'_>) -> Result<(), String>;
}

/// The signer of a provider: one signer per scheme its operations use, chosen by the operation's scheme.
#[derive(Debug)]
pub struct SchemeSigners(Vec<(AuthStyle, Arc<dyn Signer>)>);

impl SchemeSigners {
    /// A signer per scheme, built by `make` (e.g. a scheme's `signer` or `sandbox_signer`).
    pub fn build(
        schemes: &[AuthStyle],
        make: impl Fn(&dyn Scheme) -> Result<Arc<dyn Signer>, SignError>,
    ) -> Result<Self, SignError> {
        schemes
            .iter()
            .map(|s| Ok((*s, make(s.scheme())?)))
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }
}

impl Signer for SchemeSigners {
    fn sign(&self, request: &mut reqwest::Request, ctx: &SignContext<'_>) -> Result<(), SignError> {
        self.pick(ctx)?.sign(request, ctx)
    }

    fn sign_form(
        &self,
        request: &mut reqwest::Request,
        fields: &[(&str, &str)],
        ctx: &SignContext<'_>,
    ) -> Result<(), SignError> {
        self.pick(ctx)?.sign_form(request, fields, ctx)
    }
}

impl SchemeSigners {
    fn pick(&self, ctx: &SignContext<'_>) -> Result<&dyn Signer, SignError> {
        self.0
            .iter()
            .find(|(s, _)| *s == ctx.auth)
            .map(|(_, signer)| &**signer)
            .ok_or_else(|| {
                SignError(format!(
                    "{}: no signer for the {} scheme",
                    ctx.operation,
                    ctx.auth.scheme_name()
                ))
            })
    }
}

/// A signer that refuses every request with the error met while building the real one, so that a client
/// built from bad credentials fails on its first call with [`crate::Error::Signing`] instead of panicking.
#[derive(Debug)]
pub(crate) struct Refusing(pub(crate) SignError);

impl Signer for Refusing {
    fn sign(&self, _: &mut reqwest::Request, _: &SignContext<'_>) -> Result<(), SignError> {
        Err(self.0.clone())
    }
}
