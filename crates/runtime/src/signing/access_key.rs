//! The header scheme of PandaPon and Xportcn: [`AccessKeyScheme`].

use super::scheme::{Received, Scheme, SchemeParam, Verification};
use super::{
    NonceSource, SignContext, SignError, Signer, SigningSettings, TimestampUnit, Variant,
    upper_hex, upper_hex_into,
};
use crate::credentials::{ACCESS_KEY, AccessKeyCredentials, CredentialKind, CredentialValues};
use crate::operation::AuthStyle;
use crate::time::Timer;
use md5::{Digest, Md5};
use reqwest::header::{HeaderName, HeaderValue};
use std::sync::Arc;

/// The header scheme as a [`Scheme`]: `AccessKeyV1` (with `nonce-str`) and `AccessKeyV2` (without, unless
/// the [`V2Nonce::Signed`] variant is chosen). The open readings (timestamp unit, v2 nonce) are
/// [`AccessKeySettings`], handed in by [`SigningSettings`].
///
/// The header scheme of PandaPon and Xportcn.
///
/// Documented (PandaPon/Xport "Development manual", system parameters table): every system parameter goes in
/// HTTP headers — `access-key`, `timestamp` (UTC, within 600 s of server time), `nonce-str` (32 random chars),
/// `user-id` (sub-account control), `signature`. Only `access-key`, `timestamp` and `nonce-str` are
/// "used as sign parameters"; `user-id`, the path, query and body are not.
///
/// Not published: the formula. Best evidence (a third-party client of the same scheme, consistent with the
/// documented participant set and the 32-upper-hex sample signatures):
/// `signature = UPPER(HEX(MD5(accessKey + timestamp + nonceStr + accessSecret)))`.
/// PandaPon v2 pages list no `nonce-str` header; for [`AuthStyle::AccessKeyV2`] the nonce is omitted from
/// both the headers and the signed string by default ([`V2Nonce`]: the one fully published v2 page lists it
/// as optional, so "sent and signed" is a named variant).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccessKeyScheme {
    name: &'static str,
    nonce: bool,
}

impl AccessKeyScheme {
    /// `AccessKeyV1`: headers `access-key`, `timestamp`, `nonce-str`, `user-id`, `signature`.
    pub const V1: Self = Self {
        name: "AccessKeyV1",
        nonce: true,
    };
    /// `AccessKeyV2`: as V1 without `nonce-str` (PandaPon v2 pages).
    pub const V2: Self = Self {
        name: "AccessKeyV2",
        nonce: false,
    };
}

impl Scheme for AccessKeyScheme {
    fn name(&self) -> &'static str {
        self.name
    }

    fn credentials(&self) -> &'static CredentialKind {
        &ACCESS_KEY
    }

    /// Headers only: the scheme adds no query or body parameter (every header value but a few harmless
    /// ones is redacted in logs anyway).
    fn params(&self) -> &'static [SchemeParam] {
        &[]
    }

    fn signer(
        &self,
        credentials: &CredentialValues,
        settings: &SigningSettings,
    ) -> Result<Arc<dyn Signer>, SignError> {
        let [key, secret, user] = credentials.exactly(&ACCESS_KEY).map_err(SignError)?;
        let credentials = AccessKeyCredentials::new(key, secret, user);
        Ok(Arc::new(
            AccessKeySigner::new(credentials).with_settings(settings.access_key),
        ))
    }

    /// Verified under the settings' variant: the timestamp in its unit, `nonce-str` for v1 and, with
    /// [`V2Nonce::Signed`], for v2.
    fn verify(&self, request: &Received<'_>, against: &Verification<'_>) -> Result<(), String> {
        let [key, secret, user] = against.credentials.exactly(&ACCESS_KEY)?;
        let access_key = request.header("access-key")?;
        if access_key != key {
            return Err(format!("unknown access-key {access_key:?}"));
        }
        let timestamp = request.header("timestamp")?;
        let emulated = against.settings.access_key;
        against.check_timestamp(timestamp, Some(emulated.timestamp_unit))?;
        let nonce = match self.nonce || emulated.v2_nonce == V2Nonce::Signed {
            true => Some(request.header("nonce-str")?),
            false => None,
        };
        let user_id = request.header("user-id")?;
        if user_id != user {
            return Err(format!(
                "user-id {user_id:?} does not belong to this access-key"
            ));
        }
        let signature = request.header("signature")?;
        if signature != access_key_signature(access_key, timestamp, nonce, secret) {
            return Err("signature mismatch".into());
        }
        Ok(())
    }
}

/// `UPPER(HEX(MD5(access_key + timestamp + nonce + secret)))`; `nonce` is `None` for v2.
pub fn access_key_signature(
    access_key: &str,
    timestamp: &str,
    nonce: Option<&str>,
    secret: &str,
) -> String {
    upper_hex(&signature_digest(access_key, timestamp, nonce, secret))
}

/// The MD5 behind [`access_key_signature`]; the signer writes its hex on the stack (`upper_hex_into`), so
/// the per-call path does not allocate.
fn signature_digest(
    access_key: &str,
    timestamp: &str,
    nonce: Option<&str>,
    secret: &str,
) -> [u8; 16] {
    let mut md5 = Md5::new();
    md5.update(access_key.as_bytes());
    md5.update(timestamp.as_bytes());
    if let Some(nonce) = nonce {
        md5.update(nonce.as_bytes());
    }
    md5.update(secret.as_bytes());
    md5.finalize().into()
}

/// Whether [`AuthStyle::AccessKeyV2`] (PandaPon v2) requests carry `nonce-str`. The pages contradict each
/// other: most v2 pages list no `nonce-str`, the one fully published v2 page (order payment) lists it as
/// optional. A named variant, chosen by configuration (`<PREFIX>_V2_NONCE`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum V2Nonce {
    /// No `nonce-str` header, and none in the signed string (most v2 pages). The default.
    #[default]
    Omitted,
    /// `nonce-str` sent and signed exactly as in v1 (the v2 order-payment page).
    Signed,
}

impl Variant for V2Nonce {
    const ALL: &'static [Self] = &[V2Nonce::Omitted, V2Nonce::Signed];
    fn name(self) -> &'static str {
        match self {
            V2Nonce::Omitted => "omitted",
            V2Nonce::Signed => "signed",
        }
    }
}

/// The header scheme's readings of unpublished or contradicted rules (see the README's table of signing
/// variants). The default is the best evidence.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AccessKeySettings {
    /// Unit of the `timestamp` header (`<PREFIX>_TIMESTAMP_UNIT`).
    pub timestamp_unit: TimestampUnit,
    /// PandaPon v2 `nonce-str` (`<PREFIX>_V2_NONCE`).
    pub v2_nonce: V2Nonce,
}

/// Signs with the header scheme. Handles [`AuthStyle::AccessKeyV1`] and [`AuthStyle::AccessKeyV2`].
#[derive(Clone, Debug)]
pub struct AccessKeySigner {
    credentials: AccessKeyCredentials,
    settings: AccessKeySettings,
    clock: Arc<dyn Timer>,
    nonce: Arc<dyn NonceSource>,
}

impl AccessKeySigner {
    /// A signer for `credentials`, with the system clock and random nonces.
    pub fn new(credentials: AccessKeyCredentials) -> Self {
        let (clock, nonce) = super::default_sources();
        Self {
            credentials,
            settings: AccessKeySettings::default(),
            clock,
            nonce,
        }
    }

    /// Send the timestamp in this unit (default milliseconds).
    pub fn with_timestamp_unit(mut self, unit: TimestampUnit) -> Self {
        self.settings.timestamp_unit = unit;
        self
    }

    /// Use these readings of the unpublished rules (timestamp unit, v2 `nonce-str`).
    pub fn with_settings(mut self, settings: AccessKeySettings) -> Self {
        self.settings = settings;
        self
    }

    /// The readings of the unpublished rules in use.
    pub fn settings(&self) -> AccessKeySettings {
        self.settings
    }

    /// Use this clock for timestamps (tests).
    pub fn with_clock(mut self, clock: impl Timer + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Use this nonce source (tests).
    pub fn with_nonce_source(mut self, nonce: impl NonceSource + 'static) -> Self {
        self.nonce = Arc::new(nonce);
        self
    }

    /// The credentials.
    pub fn credentials(&self) -> &AccessKeyCredentials {
        &self.credentials
    }
}

// Checked at compile time (`from_static` is a const fn), not on every call.
const ACCESS_KEY_HEADER: HeaderName = HeaderName::from_static("access-key");
const TIMESTAMP_HEADER: HeaderName = HeaderName::from_static("timestamp");
const NONCE_HEADER: HeaderName = HeaderName::from_static("nonce-str");
const USER_ID_HEADER: HeaderName = HeaderName::from_static("user-id");
const SIGNATURE_HEADER: HeaderName = HeaderName::from_static("signature");

fn header(value: &str, what: &str) -> Result<HeaderValue, SignError> {
    HeaderValue::from_str(value).map_err(|_| {
        SignError(format!(
            "{what} contains characters not allowed in an HTTP header"
        ))
    })
}

impl Signer for AccessKeySigner {
    fn sign(&self, request: &mut reqwest::Request, ctx: &SignContext<'_>) -> Result<(), SignError> {
        let with_nonce = if ctx.auth == AuthStyle::AccessKeyV1 {
            true
        } else if ctx.auth == AuthStyle::AccessKeyV2 {
            self.settings.v2_nonce == V2Nonce::Signed
        } else if ctx.auth == AuthStyle::QueryTimestampSign {
            return Err(SignError::query_sign_rule_unpublished());
        } else {
            return Err(SignError(format!(
                "{}: the access-key signer cannot sign {:?} operations",
                ctx.operation, ctx.auth
            )));
        };
        let c = &self.credentials;
        let timestamp = self
            .settings
            .timestamp_unit
            .from_millis(self.clock.now_millis())
            .to_string();
        let nonce = with_nonce.then(|| self.nonce.nonce());
        let digest = signature_digest(
            &c.access_key,
            &timestamp,
            nonce.as_deref(),
            c.access_secret.expose(),
        );
        let mut hex = [0u8; 32];
        upper_hex_into(&digest, &mut hex);

        let headers = request.headers_mut();
        headers.insert(ACCESS_KEY_HEADER, header(&c.access_key, "access key")?);
        headers.insert(TIMESTAMP_HEADER, header(&timestamp, "timestamp")?);
        match &nonce {
            Some(n) => {
                headers.insert(NONCE_HEADER, header(n, "nonce")?);
            }
            None => {
                headers.remove(NONCE_HEADER);
            }
        }
        headers.insert(USER_ID_HEADER, header(&c.user_id, "user id")?);
        // Upper-case hex digits only, always a valid header value.
        let mut sig = HeaderValue::from_bytes(&hex)
            .map_err(|_| SignError("signature is not a valid header value".into()))?;
        sig.set_sensitive(true);
        headers.insert(SIGNATURE_HEADER, sig);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::FixedNonce;
    use crate::time::FixedClock;

    #[test]
    fn overview_vector() {
        // Vector in vendor-docs/notes/xportcn/overview.md (computed there with the third-party formula).
        assert_eq!(
            access_key_signature(
                "demoAccessKey",
                "1715669977082",
                Some("abcdefghijklmnopqrstuvwxyz012345"),
                "demoSecret"
            ),
            "BF44100F64365FCBEDCCC7A96713E3F6"
        );
    }

    /// What the V1 and V2 signers sign, their schemes verify; a V1 request without its nonce or with
    /// another secret does not pass.
    #[test]
    fn the_schemes_verify_what_the_signer_signs() {
        let signer = AccessKeySigner::new(AccessKeyCredentials::new("ak", "sk", "u1"))
            .with_clock(FixedClock(1_715_669_977_082));
        let values = CredentialValues::new(["ak", "sk", "u1"]);
        let default = SigningSettings::default();
        let against = |secret: &'static str| Verification {
            credentials: Box::leak(Box::new(CredentialValues::new(["ak", secret, "u1"]))),
            now_millis: 1_715_669_977_082,
            max_skew: Some(std::time::Duration::from_secs(600)),
            settings: &default,
        };
        for (auth, scheme) in [
            (AuthStyle::AccessKeyV1, AccessKeyScheme::V1),
            (AuthStyle::AccessKeyV2, AccessKeyScheme::V2),
        ] {
            let mut req =
                reqwest::Request::new(reqwest::Method::GET, "http://localhost/x".parse().unwrap());
            let ctx = SignContext {
                operation: "x",
                auth,
            };
            signer.sign(&mut req, &ctx).unwrap();
            fn received(r: &reqwest::Request) -> Received<'_> {
                Received {
                    method: "GET",
                    path: "/x",
                    headers: r.headers(),
                    query: &[],
                    body: b"",
                }
            }
            scheme.verify(&received(&req), &against("sk")).unwrap();
            let e = scheme
                .verify(&received(&req), &against("other"))
                .unwrap_err();
            assert_eq!(e, "signature mismatch");
            if auth == AuthStyle::AccessKeyV1 {
                req.headers_mut().remove("nonce-str");
                let e = scheme.verify(&received(&req), &against("sk")).unwrap_err();
                assert!(e.contains("nonce-str"), "{e}");
            }
        }
        assert!(AccessKeyScheme::V1.signer(&values, &default).is_ok());
        assert!(
            AccessKeyScheme::V1
                .signer(&CredentialValues::new(["ak"]), &default)
                .is_err()
        );
    }

    #[test]
    fn v2_sends_no_nonce_and_seconds_unit_applies() {
        let signer = AccessKeySigner::new(AccessKeyCredentials::new("ak", "sk", "u1"))
            .with_clock(FixedClock(1_715_669_977_082))
            .with_nonce_source(FixedNonce("n".repeat(32)))
            .with_timestamp_unit(TimestampUnit::Seconds);
        let mut req = reqwest::Request::new(
            reqwest::Method::GET,
            "http://localhost/v2/x".parse().unwrap(),
        );
        req.headers_mut()
            .insert("nonce-str", HeaderValue::from_static("stale"));
        signer
            .sign(
                &mut req,
                &SignContext {
                    operation: "x",
                    auth: AuthStyle::AccessKeyV2,
                },
            )
            .unwrap();
        let h = req.headers();
        assert!(h.get("nonce-str").is_none());
        assert_eq!(h["timestamp"], "1715669977");
        assert_eq!(
            h["signature"],
            access_key_signature("ak", "1715669977", None, "sk").as_str()
        );
        assert!(h["signature"].is_sensitive());
    }
}
