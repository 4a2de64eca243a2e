//! The built-in callback formats, as values of [`CallbackFormat`]: the JSON push PandaPon and Xportcn share
//! ([`PushFormat`]), Dajisaas' signed form ([`DajisaasFormat`]), and [`built_in`], the one table from a provider's
//! name to its format.
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
use sourcing_runtime::Secret;
use sourcing_runtime::signing::Variant;
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

/// What a built-in format may read from a provider's configuration: its secret (the key of signed pushes)
/// and the named variants of unpublished rules (README, "Signing variants").
pub trait FormatSettings {
    /// The error reading a setting (the CLI's names the missing key).
    type Error;
    /// The provider's secret; asked only by a format that verifies signatures.
    fn secret(&self) -> Result<Secret, Self::Error>;
    /// The variant configured under `key` (`CALLBACK_SIGNED_INPUT`), the default when unset.
    fn variant<V: Variant>(&self, key: &str) -> Result<V, Self::Error>;
}

/// Settings of a known secret, every variant at its default (the sandbox's, tests').
#[derive(Clone, Debug)]
pub struct WithSecret(pub Secret);

impl FormatSettings for WithSecret {
    type Error = std::convert::Infallible;
    fn secret(&self) -> Result<Secret, Self::Error> {
        Ok(self.0.clone())
    }
    fn variant<V: Variant>(&self, _key: &str) -> Result<V, Self::Error> {
        Ok(V::default())
    }
}

/// The names [`built_in`] knows.
pub const BUILT_IN: [&str; 3] = ["pandapon", "xportcn", "dajisaas"];

/// The built-in callback format of the provider named `name`, configured from `settings` (Dajisaas: its
/// secret and `CALLBACK_SIGNED_INPUT`); `None` for a name not in [`BUILT_IN`]. The one table from names to
/// formats: the provider registry's kit takes it over.
pub fn built_in<S: FormatSettings>(
    name: &str,
    settings: &S,
) -> Option<Result<Arc<dyn CallbackFormat>, S::Error>> {
    Some(match name {
        "pandapon" => Ok(pandapon()),
        "xportcn" => Ok(xportcn()),
        "dajisaas" => dajisaas_from(settings),
        _ => return None,
    })
}

fn dajisaas_from<S: FormatSettings>(settings: &S) -> Result<Arc<dyn CallbackFormat>, S::Error> {
    let secret = settings.secret()?;
    let input: SignedInput = settings.variant("CALLBACK_SIGNED_INPUT")?;
    let verifier = DajisaasVerifier::new(secret).with_signed_input(input);
    Ok(dajisaas(verifier))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_name_has_its_format() {
        let settings = WithSecret("k".into());
        for name in BUILT_IN {
            let format = built_in(name, &settings).unwrap().unwrap();
            assert_eq!(format.name(), name);
        }
        assert!(built_in("acme", &settings).is_none());
    }
}
