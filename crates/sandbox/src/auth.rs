//! Signature checks against the sandbox's test credentials, using the runtime's own signature functions so
//! the sandbox and the client can never disagree about the formula.

use crate::server::SandboxConfig;
use axum::http::HeaderMap;
use sourcing_runtime::AuthStyle;
use sourcing_runtime::signing::{access_key_signature, app_key_signature};
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
    body: &[u8],
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
        AuthStyle::AppKey => verify_app_key(query, body, config),
        other => Err(format!("the sandbox cannot verify {other:?} requests")),
    }
}

/// Dajisaas: `appKey` + `sign` (or `appSecret` in the vendor's debug mode) in the query for GET, or as
/// top-level body fields for JSON POST (simplified rule: `appKey` + `requestTime` + query are signed).
fn verify_app_key(
    query: &[(String, String)],
    body: &[u8],
    config: &SandboxConfig,
) -> Result<(), String> {
    let creds = &config.app_key;
    let json: Option<serde_json::Map<String, serde_json::Value>> = if body.is_empty() {
        None
    } else {
        Some(
            serde_json::from_slice(body)
                .map_err(|e| format!("request body is not a JSON object: {e}"))?,
        )
    };
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let credential = |name: &str| -> Option<String> {
        match &json {
            Some(b) => b.get(name).and_then(text),
            None => query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone()),
        }
    };
    let where_ = if json.is_some() {
        "body field"
    } else {
        "query parameter"
    };
    let app_key = credential("appKey").ok_or_else(|| format!("missing {where_} `appKey`"))?;
    if app_key != creds.app_key {
        return Err(format!("unknown appKey {app_key:?}"));
    }
    if let Some(secret) = credential("appSecret") {
        return if secret == creds.app_secret.expose() {
            Ok(())
        } else {
            Err("appSecret is wrong".into())
        };
    }
    let sign = credential("sign")
        .ok_or_else(|| format!("missing {where_} `sign` (or `appSecret` in debug mode)"))?;
    let mut signed: Vec<(String, String)> = query
        .iter()
        .filter(|(k, _)| k != "sign" && k != "appKey")
        .cloned()
        .collect();
    signed.push(("appKey".into(), app_key));
    if json.is_some() {
        let time = credential("requestTime").ok_or("missing body field `requestTime`")?;
        check_timestamp(&time, config.max_clock_skew)?;
        signed.push(("requestTime".into(), time));
    }
    let expected = app_key_signature(
        signed.iter().map(|(k, v)| (k.as_str(), Some(v.as_str()))),
        creds.app_secret.expose(),
    );
    if sign != expected {
        return Err("sign mismatch".into());
    }
    Ok(())
}
