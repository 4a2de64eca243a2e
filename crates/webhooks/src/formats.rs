//! The built-in callback formats, as values of [`CallbackFormat`]: the JSON push PandaPon and Xportcn share
//! ([`PushFormat`]), Dajisaas' signed form ([`DajisaasFormat`]), and each as a [`FormatFactory`] built from a
//! provider's configuration ([`PANDAPON`], [`XPORTCN`], [`DAJISAAS`]) — what the provider registry's kits hold,
//! the one table from a provider's name to its format.
//!
//! ```
//! use sourcing_webhooks::{DajisaasVerifier, formats};
//!
//! let xportcn = formats::xportcn();
//! let dajisaas = formats::dajisaas(DajisaasVerifier::new("app-secret"));
//! assert_eq!((xportcn.name(), dajisaas.name()), ("xportcn", "dajisaas"));
//! ```

use crate::callback::{Callback, CallbackFormat};
use crate::dajisaas::{DajisaasMessage, DajisaasVerifier, SignedInput};
use crate::error::CallbackError;
use crate::outgoing::{self, OrderEvent, OrderFacts, Outgoing, Undocumented};
use crate::push::PushMessage;
use sourcing_runtime::{Secret, Variant};
use std::sync::Arc;

/// The PandaPon / Xportcn push (`{messageType, messageBody, messagePlatform, timestamp}`, [`PushMessage`]) under
/// a provider's name. No signature is published for it.
#[derive(Clone, Debug)]
pub struct PushFormat {
    name: &'static str,
}

impl PushFormat {
    /// The push format of the provider named `name` (both vendors publish the same manual).
    pub fn named(name: &'static str) -> Self {
        Self { name }
    }
}

impl CallbackFormat for PushFormat {
    fn name(&self) -> &'static str {
        self.name
    }

    fn parse(&self, body: &[u8]) -> Result<Callback, CallbackError> {
        Ok(Callback::new(self.name, PushMessage::parse(body)?))
    }

    fn encode(
        &self,
        event: OrderEvent,
        order: &OrderFacts,
        now_ms: u64,
    ) -> Result<Outgoing, Undocumented> {
        outgoing::push_message(self.name, event, order, now_ms)
    }
}

/// Dajisaas' form `message` + `_dj_signature`, checked by its [`DajisaasVerifier`] ([`DajisaasMessage`]).
#[derive(Clone, Debug)]
pub struct DajisaasFormat {
    verifier: DajisaasVerifier,
}

impl DajisaasFormat {
    /// The format, verifying with `verifier`.
    pub fn new(verifier: DajisaasVerifier) -> Self {
        Self { verifier }
    }
}

impl CallbackFormat for DajisaasFormat {
    fn name(&self) -> &'static str {
        "dajisaas"
    }

    fn parse(&self, body: &[u8]) -> Result<Callback, CallbackError> {
        let message = DajisaasMessage::from_form(body, &self.verifier)?;
        if !message.signature_verified {
            tracing::warn!(
                provider = self.name(),
                "Dajisaas signature NOT verified (insecure_skip_verification is on)"
            );
        }
        Ok(Callback::new(self.name(), message))
    }

    fn encode(
        &self,
        event: OrderEvent,
        order: &OrderFacts,
        now_ms: u64,
    ) -> Result<Outgoing, Undocumented> {
        Ok(outgoing::dajisaas_form(
            &self.verifier,
            event,
            order,
            now_ms,
        ))
    }
}

/// PandaPon's push format.
pub fn pandapon() -> Arc<dyn CallbackFormat> {
    Arc::new(PushFormat::named("pandapon"))
}

/// Xportcn's push format.
pub fn xportcn() -> Arc<dyn CallbackFormat> {
    Arc::new(PushFormat::named("xportcn"))
}

/// Dajisaas' signed form, verified by `verifier`.
pub fn dajisaas(verifier: DajisaasVerifier) -> Arc<dyn CallbackFormat> {
    Arc::new(DajisaasFormat::new(verifier))
}

/// What a format may read from a provider's configuration: its secret (the key of signed pushes) and the
/// `<PREFIX>_<KEY>` settings that name the variants of unpublished rules (README, "Signing variants").
/// Object-safe, so that a provider registry can hold each provider's format as a [`FormatFactory`].
pub trait FormatSettings {
    /// The provider's configuration prefix (`DAJISAAS`).
    fn prefix(&self) -> &str;
    /// The provider's secret; asked only by a format that verifies signatures. The error says what is
    /// missing (naming the key to set).
    fn secret(&self) -> Result<Secret, String>;
    /// The setting `full_key` (`DAJISAAS_CALLBACK_SIGNED_INPUT`), if set.
    fn setting(&self, full_key: &str) -> Option<String>;
}

/// A provider's callback format built from its configuration: what a provider kit registers (the registry's
/// `Kit::with_callbacks`). The error names the setting that is missing or wrong.
pub type FormatFactory = fn(&dyn FormatSettings) -> Result<Arc<dyn CallbackFormat>, String>;

/// The variant configured under `key`, the default when unset.
fn variant<V: Variant>(settings: &dyn FormatSettings, key: &str) -> Result<V, String> {
    V::from_setting(settings.prefix(), key, &|k: &str| settings.setting(k))
}

/// Settings of a known secret, every variant at its default (the sandbox's, tests').
#[derive(Clone, Debug)]
pub struct WithSecret(pub Secret);

impl FormatSettings for WithSecret {
    fn prefix(&self) -> &str {
        ""
    }
    fn secret(&self) -> Result<Secret, String> {
        Ok(self.0.clone())
    }
    fn setting(&self, _full_key: &str) -> Option<String> {
        None
    }
}

/// PandaPon's format, as a kit registers it (no settings: its pushes are not signed).
pub const PANDAPON: FormatFactory = |_| Ok(pandapon());

/// Xportcn's format, as a kit registers it (no settings: its pushes are not signed).
pub const XPORTCN: FormatFactory = |_| Ok(xportcn());

/// Dajisaas' format, as a kit registers it: its key the provider's secret, its signed input
/// `CALLBACK_SIGNED_INPUT`.
pub const DAJISAAS: FormatFactory = |settings| {
    let secret = settings.secret()?;
    let input: SignedInput = variant(settings, "CALLBACK_SIGNED_INPUT")?;
    Ok(dajisaas(
        DajisaasVerifier::new(secret).with_signed_input(input),
    ))
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_factory_builds_its_format() {
        let settings = WithSecret("k".into());
        for (factory, name) in [
            (PANDAPON, "pandapon"),
            (XPORTCN, "xportcn"),
            (DAJISAAS, "dajisaas"),
        ] {
            assert_eq!(factory(&settings).unwrap().name(), name);
        }
    }

    /// A wrong variant is an error naming the key; a missing secret is the settings' own error.
    #[test]
    fn dajisaas_reads_its_secret_and_signed_input() {
        struct Configured(Option<&'static str>, Option<&'static str>);
        impl FormatSettings for Configured {
            fn prefix(&self) -> &str {
                "DAJISAAS"
            }
            fn secret(&self) -> Result<Secret, String> {
                self.0
                    .map(Secret::from)
                    .ok_or_else(|| "set DAJISAAS_APP_SECRET".to_owned())
            }
            fn setting(&self, full_key: &str) -> Option<String> {
                (full_key == "DAJISAAS_CALLBACK_SIGNED_INPUT")
                    .then_some(self.1)
                    .flatten()
                    .map(String::from)
            }
        }
        assert_eq!(
            DAJISAAS(&Configured(None, None)).unwrap_err(),
            "set DAJISAAS_APP_SECRET"
        );
        let e = DAJISAAS(&Configured(Some("k"), Some("nope"))).unwrap_err();
        assert!(e.contains("DAJISAAS_CALLBACK_SIGNED_INPUT"), "{e}");
        assert!(DAJISAAS(&Configured(Some("k"), None)).is_ok());
    }
}
