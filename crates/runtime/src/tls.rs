//! TLS for `https://` base URLs (the `rustls` feature, on by default).
//!
//! reqwest is built with `rustls-no-provider` so that the crypto comes from `ring`, which builds with a C
//! compiler alone (reqwest's default, aws-lc-rs, needs a larger native build). rustls then needs a
//! process-wide crypto provider; this module installs ring's when the process has none, and leaves one the
//! application installed itself untouched.

/// Installs rustls' `ring` crypto provider as the process default unless one is already installed.
/// Called by [`crate::Runtime::http_client_builder`]; call it yourself before building a `reqwest::Client`
/// of your own outside that builder. Does nothing without the `rustls` feature.
pub fn ensure_crypto_provider() {
    #[cfg(feature = "rustls")]
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing a race with another thread installing one is fine: a provider is installed either way.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}
