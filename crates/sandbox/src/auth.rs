//! Signature checks against the sandbox's test credentials, through each operation's signing scheme
//! ([`sourcing_runtime::Scheme::verify`]): the sandbox and the client share one implementation per scheme,
//! so they can never disagree about a formula, and a provider with its own scheme is verified by it.

use crate::server::SandboxConfig;
use axum::http::HeaderMap;
use sourcing_runtime::{Operation, Received, Verification};

/// `Ok` when the request carries a valid signature of `op`'s scheme for the scheme's sandbox test
/// credentials, under the signing variant the sandbox emulates ([`SandboxConfig::signing`]); otherwise the
/// reason.
pub(crate) fn verify(
    op: &Operation,
    headers: &HeaderMap,
    query: &[(String, String)],
    body: &[u8],
    config: &SandboxConfig,
) -> Result<(), String> {
    let scheme = op.auth.scheme();
    let credentials = scheme.credentials().sandbox_values();
    scheme.verify(
        &Received {
            method: op.method,
            path: op.path,
            headers,
            query,
            body,
        },
        &Verification {
            credentials: &credentials,
            now_millis: sourcing_runtime::time::system_millis(),
            max_skew: config.max_clock_skew,
            settings: &config.signing,
        },
    )
}
