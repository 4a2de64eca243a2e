//! Signature checks against the sandbox's test credentials, using the runtime's own signature functions so
//! the sandbox and the client can never disagree about the formula.

use crate::server::SandboxConfig;
use axum::http::HeaderMap;
use sourcing_runtime::AuthStyle;
use sourcing_runtime::signing::access_key_signature;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Result<&'a str, String> {
    headers
        .get(name)
        .ok_or_else(|| format!("missing header `{name}`"))?
        .to_str()
        .map_err(|_| format!("header `{name}` is not visible ASCII"))
}

/// A timestamp in milliseconds or seconds (the docs' samples are ms; third-party clients send s).
fn check_timestamp(text: &str, max_skew: Option<Duration>) -> Result<(), String> {
    let value: u64 = text
        .parse()
        .map_err(|_| format!("timestamp {text:?} is not an integer"))?;
    let Some(max_skew) = max_skew else {
        return Ok(());
    };
    let millis = if value < 100_000_000_000 {
        value * 1000
    } else {
        value
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let skew = Duration::from_millis(now.abs_diff(millis));
    if skew > max_skew {
        return Err(format!(
            "timestamp {text} is {}s away from server time (limit {}s)",
            skew.as_secs(),
            max_skew.as_secs()
        ));
    }
    Ok(())
}

/// `Ok` when the request carries valid credentials for `auth`; otherwise the reason.
pub(crate) fn verify(
    auth: AuthStyle,
    headers: &HeaderMap,
    query: &[(String, String)],
    config: &SandboxConfig,
) -> Result<(), String> {
    match auth {
        AuthStyle::AccessKeyV1 | AuthStyle::AccessKeyV2 => {
            let creds = &config.access_key;
            let access_key = header(headers, "access-key")?;
            if access_key != creds.access_key {
                return Err(format!("unknown access-key {access_key:?}"));
            }
            let timestamp = header(headers, "timestamp")?;
            check_timestamp(timestamp, config.max_clock_skew)?;
            let nonce = match auth {
                AuthStyle::AccessKeyV1 => Some(header(headers, "nonce-str")?),
                _ => None,
            };
            let user_id = header(headers, "user-id")?;
            if user_id != creds.user_id {
                return Err(format!(
                    "user-id {user_id:?} does not belong to this access-key"
                ));
            }
            let signature = header(headers, "signature")?;
            let expected =
                access_key_signature(access_key, timestamp, nonce, creds.access_secret.expose());
            if signature != expected {
                return Err("signature mismatch".into());
            }
            Ok(())
        }
        AuthStyle::QueryTimestampSign => {
            // The vendor does not publish this rule: presence is all that can be checked.
            for name in ["timestamp", "sign"] {
                if !query.iter().any(|(k, v)| k == name && !v.is_empty()) {
                    return Err(format!("missing query parameter `{name}`"));
                }
            }
            Ok(())
        }
        other => Err(format!("the sandbox cannot verify {other:?} requests")),
    }
}
