//! Signature checks against the sandbox's test credentials, using the runtime's own signature functions so
//! the sandbox and the client can never disagree about the formula.

use crate::server::SandboxConfig;
use axum::http::HeaderMap;
use sourcing_runtime::AuthStyle;
use sourcing_runtime::signing::{
    AppKeySettings, PostSignedFields, RequestTimeType, SIGNER_PARAMS, SignPlacement, TimestampUnit,
    V2Nonce, Variant, access_key_signature, app_key_signature,
};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Result<&'a str, String> {
    headers
        .get(name)
        .ok_or_else(|| format!("missing header `{name}`"))?
        .to_str()
        .map_err(|_| format!("header `{name}` is not visible ASCII"))
}

/// A timestamp in the unit of the emulated variant ([`SandboxConfig::signing`]; the docs' samples are ms,
/// third-party clients send s), within the allowed skew.
fn check_timestamp(
    text: &str,
    unit: TimestampUnit,
    max_skew: Option<Duration>,
) -> Result<(), String> {
    let value: u64 = text
        .parse()
        .map_err(|_| format!("timestamp {text:?} is not an integer"))?;
    let seconds = value < 100_000_000_000;
    if seconds != (unit == TimestampUnit::Seconds) {
        return Err(format!(
            "timestamp {text} is not in {} (the signing variant this sandbox emulates)",
            unit.name()
        ));
    }
    let Some(max_skew) = max_skew else {
        return Ok(());
    };
    let millis = if seconds { value * 1000 } else { value };
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

/// The sandbox's own rule for [`AuthStyle::QueryTimestampSign`] (the vendors publish none):
/// `sign = UPPER(HEX(MD5(accessKey + timestamp + accessSecret)))` over the sandbox's access-key
/// credentials — the `AccessKeyV2` formula. A real provider's rule is different and unknown.
pub(crate) fn query_sign(
    timestamp: &str,
    creds: &sourcing_runtime::AccessKeyCredentials,
) -> String {
    access_key_signature(
        &creds.access_key,
        timestamp,
        None,
        creds.access_secret.expose(),
    )
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
            let emulated = config.signing.access_key;
            let timestamp = header(headers, "timestamp")?;
            check_timestamp(timestamp, emulated.timestamp_unit, config.max_clock_skew)?;
            let nonce = match (auth, emulated.v2_nonce) {
                (AuthStyle::AccessKeyV1, _) | (_, V2Nonce::Signed) => {
                    Some(header(headers, "nonce-str")?)
                }
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
            let param = |name: &str| {
                query
                    .iter()
                    .find(|(k, v)| k == name && !v.is_empty())
                    .map(|(_, v)| v.as_str())
                    .ok_or_else(|| format!("missing query parameter `{name}`"))
            };
            let timestamp = param("timestamp")?;
            check_timestamp(
                timestamp,
                TimestampUnit::Milliseconds,
                config.max_clock_skew,
            )?;
            if param("sign")? != query_sign(timestamp, &config.access_key) {
                return Err(
                    "sign mismatch (the sandbox's own rule for query-signed operations)".into(),
                );
            }
            Ok(())
        }
        AuthStyle::AppKey => verify_app_key(query, body, config),
        other => Err(format!("the sandbox cannot verify {other:?} requests")),
    }
}

/// The body fields a JSON POST signs under the emulated variant: `requestTime` (of the emulated JSON type
/// and unit), plus every other top-level field for [`PostSignedFields::TopLevel`].
fn post_signed(
    body: &serde_json::Map<String, serde_json::Value>,
    emulated: AppKeySettings,
    max_skew: Option<Duration>,
) -> Result<Vec<(String, String)>, String> {
    use serde_json::Value;
    let time = match (body.get("requestTime"), emulated.request_time_type) {
        (Some(Value::Number(n)), RequestTimeType::Number) => n.to_string(),
        (Some(Value::String(s)), RequestTimeType::String) => s.clone(),
        (None, _) => return Err("missing body field `requestTime`".into()),
        (Some(other), t) => {
            return Err(format!(
                "body field `requestTime` must be a JSON {} (the signing variant this sandbox emulates), got {other}",
                t.name()
            ));
        }
    };
    check_timestamp(&time, emulated.request_time_unit, max_skew)?;
    let mut signed = vec![("requestTime".to_owned(), time)];
    if emulated.post_signed_fields == PostSignedFields::TopLevel {
        for (k, v) in body {
            if SIGNER_PARAMS.contains(&k.as_str()) {
                continue;
            }
            match v {
                Value::Null => {}
                Value::String(s) => signed.push((k.clone(), s.clone())),
                other => signed.push((k.clone(), other.to_string())),
            }
        }
    }
    Ok(signed)
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
    let emulated = config.signing.app_key;
    let sign = match (&json, emulated.sign_placement) {
        (Some(_), SignPlacement::Query) => query
            .iter()
            .find(|(k, _)| k == "sign")
            .map(|(_, v)| v.clone())
            .ok_or(
                "missing query parameter `sign` (the emulated variant signs POSTs in the query)",
            )?,
        _ => credential("sign")
            .ok_or_else(|| format!("missing {where_} `sign` (or `appSecret` in debug mode)"))?,
    };
    let mut signed: Vec<(String, String)> = query
        .iter()
        .filter(|(k, _)| k != "sign" && k != "appKey")
        .cloned()
        .collect();
    signed.push(("appKey".into(), app_key));
    if let Some(body) = &json {
        signed.extend(post_signed(body, emulated, config.max_clock_skew)?);
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
