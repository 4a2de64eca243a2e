//! Request signing: [`Signer`], the signing schemes ([`Scheme`]) and their named variants.

mod access_key;
mod app_key;
mod query_sign;
mod scheme;
mod settings;

pub use access_key::{
    AccessKeyScheme, AccessKeySettings, AccessKeySigner, V2Nonce, access_key_signature,
};
pub use app_key::{
    AppKeyMode, AppKeyScheme, AppKeySettings, AppKeySigner, LIST_QUERY_PARAMS, ListFormat,
    PostSignedFields, RequestTimeType, SignPlacement, app_key_signature,
};
pub use query_sign::QueryTimestampSignScheme;
pub(crate) use scheme::Refusing;
pub use scheme::{Received, Scheme, SchemeParam, SchemeSigners, Verification};
pub use settings::{SigningSettingKey, SigningSettings, Variant};

use crate::operation::AuthStyle;
use crate::time::{Timer, TokioTimer};
use rand::Rng;
use std::fmt;
use std::sync::Arc;

/// What the signer knows about the call besides the request itself.
#[derive(Clone, Copy, Debug)]
pub struct SignContext<'a> {
    /// The operation id (`snake_case`), or `call_raw` for raw calls.
    pub operation: &'a str,
    /// How the operation is signed.
    pub auth: AuthStyle,
}

/// Signs outgoing requests. Implementations must be cheap to call repeatedly (once per attempt).
///
/// A signer gets every fully built request (method, URL, headers, buffered body) just before it is sent —
/// and again before each retry, so every attempt carries a fresh timestamp and nonce. The vendors publish
/// their signature rules only in part; the built-in signers ([`AccessKeySigner`], [`AppKeySigner`])
/// implement the best-evidence rules (see each signer's docs). A user whose account uses another rule plugs
/// in their own signer.
///
/// Before a retry the runtime calls `sign` again on the request as it was sent, already signed: set
/// headers and parameters (replace them), never append — [`set_query_params`] does that for the query.
///
/// # Example: your own rule for the operations the built-in signers refuse
///
/// The `/open/pp/logistics/*` operations take query parameters `timestamp` and `sign` whose rule is not
/// published ([`AuthStyle::QueryTimestampSign`]). If your account manager gives you the rule, sign those
/// yourself and keep the built-in header signer for everything else:
///
/// ```
/// use sourcing_runtime::{
///     AccessKeyCredentials, AccessKeySigner, AuthStyle, Runtime, Secret, SignContext, SignError, Signer,
///     set_query_params,
/// };
///
/// #[derive(Debug)]
/// struct MySigner {
///     headers: AccessKeySigner,
///     secret: Secret, // Debug prints <redacted>
/// }
///
/// impl Signer for MySigner {
///     fn sign(&self, request: &mut reqwest::Request, ctx: &SignContext<'_>) -> Result<(), SignError> {
///         if ctx.auth != AuthStyle::QueryTimestampSign {
///             return self.headers.sign(request, ctx);
///         }
///         let timestamp = sourcing_runtime::time::system_millis().to_string();
///         let sign = format!("{timestamp}:{}", self.secret.expose().len()); // your rule here
///         set_query_params(request, &[("timestamp", &timestamp), ("sign", &sign)]);
///         Ok(())
///     }
/// }
///
/// let credentials = AccessKeyCredentials::new("access-key", "access-secret", "user-id");
/// let runtime = Runtime::new(MySigner {
///     headers: AccessKeySigner::new(credentials),
///     secret: Secret::new("access-secret"),
/// });
/// // xportcn::Client::with_runtime(xportcn::PRODUCTION_BASE_URL, runtime)
/// # let _ = runtime;
/// ```
pub trait Signer: fmt::Debug + Send + Sync {
    /// Sign `request` in place (headers, query or body), replacing any earlier signature.
    fn sign(&self, request: &mut reqwest::Request, ctx: &SignContext<'_>) -> Result<(), SignError>;

    /// Sign a request whose body is a form (multipart) made of these text `fields`. The body is a stream
    /// the signer cannot read, so the fields are passed alongside; the signer must not touch the body.
    ///
    /// The default ignores the fields and calls [`Signer::sign`], which is right for schemes that sign no
    /// body (the header scheme); parameter schemes override it to sign the fields too.
    fn sign_form(
        &self,
        request: &mut reqwest::Request,
        fields: &[(&str, &str)],
        ctx: &SignContext<'_>,
    ) -> Result<(), SignError> {
        let _ = fields;
        self.sign(request, ctx)
    }
}

/// Set query parameters of `request`, replacing any of the same names (so signing twice, as before a retry,
/// does not repeat them); other parameters keep their order.
pub fn set_query_params(request: &mut reqwest::Request, params: &[(&str, &str)]) {
    let kept: Vec<(String, String)> = request
        .url()
        .query_pairs()
        .filter(|(k, _)| !params.iter().any(|(name, _)| k == name))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    request
        .url_mut()
        .query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .extend_pairs(params);
}

/// Why a request could not be signed. Never contains a secret.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SignError(pub String);

impl SignError {
    /// The built-in signers' refusal of [`AuthStyle::QueryTimestampSign`] operations: the vendor does not
    /// publish how their `sign` query parameter is computed, so no built-in signer can produce it.
    pub fn query_sign_rule_unpublished() -> Self {
        SignError(
            "this operation authenticates with query parameters `timestamp` + `sign` \
             (AuthStyle::QueryTimestampSign), whose rule the vendor does not publish, so the built-in \
             signer refuses it and nothing was sent; build the client with your own Signer that handles \
             AuthStyle::QueryTimestampSign: `Client::with_runtime(base_url, Runtime::new(your_signer))`"
                .into(),
        )
    }
}

/// The unit of the `timestamp` the header scheme sends. The vendors' sample header is 13 digits
/// (milliseconds); third-party clients send seconds. Milliseconds is the default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TimestampUnit {
    #[default]
    /// 13 digits.
    Milliseconds,
    /// 10 digits.
    Seconds,
}

impl TimestampUnit {
    /// `millis` in this unit.
    pub fn from_millis(self, millis: u64) -> u64 {
        match self {
            TimestampUnit::Milliseconds => millis,
            TimestampUnit::Seconds => millis / 1000,
        }
    }
}

/// The nonce source of signers (injectable so tests are deterministic).
pub trait NonceSource: fmt::Debug + Send + Sync {
    /// A fresh nonce.
    fn nonce(&self) -> String;
}

/// 32 random characters from `[A-Za-z0-9]` ("Random string 32 bits" in the vendor manual).
#[derive(Clone, Copy, Debug, Default)]
pub struct RandomNonce;

impl NonceSource for RandomNonce {
    fn nonce(&self) -> String {
        rand::rng()
            .sample_iter(rand::distr::Alphanumeric)
            .take(32)
            .map(char::from)
            .collect()
    }
}

/// Always the same nonce (tests).
#[derive(Clone, Debug)]
pub struct FixedNonce(pub String);

impl NonceSource for FixedNonce {
    fn nonce(&self) -> String {
        self.0.clone()
    }
}

/// Mask the values of `auth`'s secret parameters ([`Scheme::params`]) in `url`. Transport errors carry the
/// request URL in their `Display`; the runtime masks it so errors and logs never show a secret.
pub fn redact_url(url: &mut reqwest::Url, auth: AuthStyle) {
    let secret = |name: &str| auth.params().iter().any(|p| p.secret && p.name == name);
    if !url.query_pairs().any(|(name, _)| secret(&name)) {
        return;
    }
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(name, value)| {
            let value = match secret(&name) {
                true => "<redacted>".to_owned(),
                false => value.into_owned(),
            };
            (name.into_owned(), value)
        })
        .collect();
    url.query_pairs_mut().clear().extend_pairs(pairs);
}

/// [`redact_url`] applied to the URL a `reqwest::Error` carries.
pub fn redact_error(mut error: reqwest::Error, auth: AuthStyle) -> reqwest::Error {
    if let Some(url) = error.url_mut() {
        redact_url(url, auth);
    }
    error
}

/// Upper-case hexadecimal, as all vendor signatures are written.
pub(crate) fn upper_hex(bytes: &[u8]) -> String {
    let mut out = vec![0u8; bytes.len() * 2];
    upper_hex_into(bytes, &mut out);
    // Only ASCII hex digits were written.
    out.into_iter().map(char::from).collect()
}

/// Upper-case hex of `bytes` into `out` (twice as long), without allocating: the signers' per-call path.
pub(crate) fn upper_hex_into(bytes: &[u8], out: &mut [u8]) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for (b, pair) in bytes.iter().zip(out.chunks_exact_mut(2)) {
        pair[0] = HEX[(b >> 4) as usize];
        pair[1] = HEX[(b & 0xf) as usize];
    }
}

/// Shared defaults so signers built without explicit sources behave the same.
pub(crate) fn default_sources() -> (Arc<dyn Timer>, Arc<dyn NonceSource>) {
    (Arc::new(TokioTimer::default()), Arc::new(RandomNonce))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_query_params_replaces_and_keeps_the_rest() {
        let url = "http://localhost/x?a=1&sign=old&b=%E4%B8%AD"
            .parse()
            .unwrap();
        let mut req = reqwest::Request::new(reqwest::Method::POST, url);
        for _ in 0..2 {
            set_query_params(&mut req, &[("timestamp", "1715669977082"), ("sign", "S&1")]);
        }
        assert_eq!(
            req.url().query(),
            Some("a=1&b=%E4%B8%AD&timestamp=1715669977082&sign=S%261")
        );
    }
}
