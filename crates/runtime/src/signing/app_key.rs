//! The Dajisaas parameter scheme: [`AppKeyScheme`].

use super::scheme::{Received, Scheme, SchemeParam, Verification};
use super::{SignContext, SignError, Signer, SigningSettings, TimestampUnit, Variant, upper_hex};
use crate::credentials::{APP_KEY, AppKeyCredentials, CredentialKind, CredentialValues};
use crate::operation::AuthStyle;
use crate::time::Timer;
use md5::{Digest, Md5};
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::fmt;
use std::sync::Arc;

/// The parameters the app-key signer owns — the one list: stripped from requests before signing, never
/// modelled as operation parameters (codegen rejects them), masked where secret, skipped by the sandbox's
/// input validation.
const PARAMS: &[SchemeParam] = &[
    SchemeParam {
        name: "appKey",
        secret: false,
    },
    SchemeParam {
        name: "appSecret",
        secret: true,
    },
    SchemeParam {
        name: "sign",
        secret: true,
    },
    SchemeParam {
        name: "requestTime",
        secret: false,
    },
];

fn is_signer_param(name: &str) -> bool {
    PARAMS.iter().any(|p| p.name == name)
}

/// The Dajisaas parameter scheme as a [`Scheme`] (`AppKey`). Its mode is a field (another constant of
/// this type); the open readings (signed POST fields, `requestTime` unit and type, `sign` placement,
/// `orderIdList`) are [`AppKeySettings`], handed in by [`SigningSettings`].
///
/// The parameter scheme of Dajisaas: credentials travel as ordinary request parameters — `appKey` plus
/// either `sign` or, in the vendor's debug mode, `appSecret` — never as headers.
///
/// # What is published
///
/// The parameter tables: `appKey` (required), `sign` ("Sort the request parameters in dictionary order and
/// append the appSecret key. This field can be omitted during testing.") and `appSecret` ("For Testing
/// Only – Use the sign signature in production environments."), as query parameters for GET; every POST
/// example carries `appKey` and `appSecret` as top-level properties of its JSON body. The Taobao/Tmall
/// "Signature & Enumeration" page names a second rule: "Simplified signature rules for POST-JSON request
/// interfaces — … add a requestTime field to the original JSON request body", because signing nested JSON
/// breaks on field order. The bodies of both rule pages are not published.
///
/// # The rule implemented (reconstruction, see `vendor-docs/notes/dajisaas/overview.md`)
///
/// [`app_key_signature`]: take the signed parameters, drop `sign` and every parameter whose value is null,
/// sort by name in code-point order (stable: repeated names keep their order), join as `k1=v1&k2=v2`
/// with **raw** values (not URL-encoded), append `&secret=<appSecret>`, and take the upper-case hex MD5 of
/// the UTF-8 bytes. Empty strings are kept. The vector `appKey=demoKey, keyword=T恤, beginPage=1,
/// pageSize=20, country=en` with secret `demoSecret` gives `4DF585F2940E7B060A04D40B44C0E568`.
///
/// What is signed, per request shape ([`AppKeyMode::Signed`], the default):
/// - **No body (GET):** every query parameter plus `appKey`; `appKey` and `sign` are appended to the query.
/// - **JSON body (POST):** the simplified rule. The signer adds `appKey`, `requestTime` (the clock's epoch
///   time, milliseconds by default, as a JSON number) and `sign` as top-level body properties; the signed
///   parameters are `appKey`, `requestTime` and the query parameters (none for the documented endpoints).
///   The body's own fields are **not** signed.
/// - **Form body (multipart, [`Signer::sign_form`]):** the query parameters, the form's text fields and
///   `appKey`; `appKey` and `sign` go in the query, where the upload page lists them.
///
/// Each unknown below that changes what is sent is a named variant ([`AppKeySettings`], chosen by
/// configuration, see [`SigningSettings::KEYS`]): the signed fields ([`PostSignedFields`]), the unit and JSON
/// type of `requestTime` ([`RequestTimeType`]), where `sign` goes ([`SignPlacement`]) and how `orderIdList`
/// is written ([`ListFormat`]); the defaults are the choices above.
///
/// Unknown (not published; the choices above are the best reading, and you can plug in your own
/// [`Signer`] built on [`app_key_signature`]): which fields the vendor signs under the simplified rule (only
/// `appKey` + `requestTime` is assumed — the rule exists to avoid signing nested fields), the unit and
/// tolerated skew of `requestTime`, whether `sign` of a POST belongs in the body or the query, whether
/// `appSecret` is excluded from the signed set when it is also sent, and how names outside the Basic
/// Multilingual Plane are ordered (Java's `TreeMap` compares UTF-16 units; no parameter name needs it).
///
/// [`AppKeyMode::DebugSecret`] sends `appKey` and `appSecret` (and no `sign`) in the same places — the form
/// of every published example. It puts the secret on the wire, so it is only ever used when chosen.
///
/// Signing is repeatable: every parameter the signer owns ([`AppKeyScheme`]'s `params`) is removed from the query
/// and the body before it adds its own, so re-signing a request for a retry never accumulates stale
/// `appKey`, `appSecret`, `sign` or `requestTime` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AppKeyScheme {
    mode: AppKeyMode,
}

impl AppKeyScheme {
    /// `appKey` + `sign`: the default.
    pub const SIGNED: Self = Self {
        mode: AppKeyMode::Signed,
    };

    /// This scheme with its signer in `mode`.
    pub const fn with_mode(self, mode: AppKeyMode) -> Self {
        Self { mode }
    }
}

impl Scheme for AppKeyScheme {
    fn name(&self) -> &'static str {
        "AppKey"
    }

    fn credentials(&self) -> &'static CredentialKind {
        &APP_KEY
    }

    fn params(&self) -> &'static [SchemeParam] {
        PARAMS
    }

    fn signer(
        &self,
        credentials: &CredentialValues,
        settings: &SigningSettings,
    ) -> Result<Arc<dyn Signer>, SignError> {
        let [key, secret] = credentials.exactly(&APP_KEY).map_err(SignError)?;
        let credentials = AppKeyCredentials::new(key, secret);
        Ok(Arc::new(
            AppKeySigner::new(credentials)
                .with_mode(self.mode)
                .with_settings(settings.app_key),
        ))
    }

    /// `appKey` + `sign` (or `appSecret`, the vendor's debug mode) in the query for GET, or as top-level
    /// body fields for JSON POST (`sign` in the query under [`SignPlacement::Query`]); the signed fields,
    /// `requestTime`'s unit and type as the settings' variant says.
    fn verify(&self, request: &Received<'_>, against: &Verification<'_>) -> Result<(), String> {
        let [key, secret] = against.credentials.exactly(&APP_KEY)?;
        let json: Option<serde_json::Map<String, serde_json::Value>> = if request.body.is_empty() {
            None
        } else {
            Some(
                serde_json::from_slice(request.body)
                    .map_err(|e| format!("request body is not a JSON object: {e}"))?,
            )
        };
        let credential = |name: &str| -> Option<String> {
            match &json {
                Some(b) => b.get(name).and_then(json_text),
                None => request.query_param(name).map(str::to_owned),
            }
        };
        let place = match json {
            Some(_) => "body field",
            None => "query parameter",
        };
        let app_key = credential("appKey").ok_or_else(|| format!("missing {place} `appKey`"))?;
        if app_key != key {
            return Err(format!("unknown appKey {app_key:?}"));
        }
        if let Some(sent) = credential("appSecret") {
            return match sent == secret {
                true => Ok(()),
                false => Err("appSecret is wrong".into()),
            };
        }
        let emulated = against.settings.app_key;
        let sign = match (&json, emulated.sign_placement) {
            (Some(_), SignPlacement::Query) => request.query_param("sign").map(str::to_owned).ok_or(
                "missing query parameter `sign` (the emulated variant signs POSTs in the query)",
            )?,
            _ => credential("sign")
                .ok_or_else(|| format!("missing {place} `sign` (or `appSecret` in debug mode)"))?,
        };
        let mut signed: Vec<(String, String)> = request
            .query
            .iter()
            .filter(|(k, _)| k != "sign" && k != "appKey")
            .cloned()
            .collect();
        signed.push(("appKey".into(), app_key));
        if let Some(body) = &json {
            signed.extend(post_signed(body, emulated, against)?);
        }
        let expected = app_key_signature(
            signed.iter().map(|(k, v)| (k.as_str(), Some(v.as_str()))),
            secret,
        );
        match sign == expected {
            true => Ok(()),
            false => Err("sign mismatch".into()),
        }
    }
}

/// A JSON scalar as the text that is signed.
fn json_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The body fields a JSON POST signs under the `emulated` variant: `requestTime` (of its JSON type and
/// unit), plus every other top-level field for [`PostSignedFields::TopLevel`].
fn post_signed(
    body: &serde_json::Map<String, serde_json::Value>,
    emulated: AppKeySettings,
    against: &Verification<'_>,
) -> Result<Vec<(String, String)>, String> {
    use serde_json::Value;
    let time = match (body.get("requestTime"), emulated.request_time_type) {
        (Some(Value::Number(n)), RequestTimeType::Number) => n.to_string(),
        (Some(Value::String(s)), RequestTimeType::String) => s.clone(),
        (None, _) => return Err("missing body field `requestTime`".into()),
        (Some(other), t) => {
            return Err(format!(
                "body field `requestTime` must be a JSON {} (the signing variant this server holds to), got {other}",
                t.name()
            ));
        }
    };
    against.check_timestamp(&time, Some(emulated.request_time_unit))?;
    let mut signed = vec![("requestTime".to_owned(), time)];
    if emulated.post_signed_fields == PostSignedFields::TopLevel {
        for (k, v) in body {
            if is_signer_param(k) {
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

/// How the credentials are presented. There is no silent fallback from one mode to the other.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum AppKeyMode {
    /// `appKey` + `sign`; the app secret never leaves the process. The default.
    #[default]
    Signed,
    /// `appKey` + `appSecret`, unsigned: the vendor's "for testing only" mode, as in every published
    /// example. Sends the secret with each request; use it only when you choose to.
    DebugSecret,
}

/// Which fields a JSON POST signs under the vendor's "simplified rule for POST-JSON" (unpublished).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PostSignedFields {
    /// `appKey`, `requestTime` and the query parameters; the body's own fields are not signed (the rule
    /// exists because signing nested JSON breaks on field order). The default.
    #[default]
    Credentials,
    /// Also every top-level body field: strings raw, other values as their compact JSON text, nulls left out.
    TopLevel,
}

impl Variant for PostSignedFields {
    const ALL: &'static [Self] = &[PostSignedFields::Credentials, PostSignedFields::TopLevel];
    fn name(self) -> &'static str {
        match self {
            PostSignedFields::Credentials => "credentials",
            PostSignedFields::TopLevel => "top-level",
        }
    }
}

/// The JSON type of `requestTime` in a POST body ("add a requestTime field", type unpublished).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RequestTimeType {
    /// A JSON number, like the envelope's `timestamp`. The default.
    #[default]
    Number,
    /// A JSON string of the same digits.
    String,
}

impl Variant for RequestTimeType {
    const ALL: &'static [Self] = &[RequestTimeType::Number, RequestTimeType::String];
    fn name(self) -> &'static str {
        match self {
            RequestTimeType::Number => "number",
            RequestTimeType::String => "string",
        }
    }
}

/// Where the `sign` of a JSON POST goes (unpublished; every published example carries the credentials in
/// the body).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SignPlacement {
    /// A top-level body property, beside `appKey` and `requestTime`. The default.
    #[default]
    Body,
    /// A query parameter (`appKey` and `requestTime` stay in the body).
    Query,
}

impl Variant for SignPlacement {
    const ALL: &'static [Self] = &[SignPlacement::Body, SignPlacement::Query];
    fn name(self) -> &'static str {
        match self {
            SignPlacement::Body => "body",
            SignPlacement::Query => "query",
        }
    }
}

/// How a list of ids is written in one query parameter (`pay_urls` `orderIdList`; unpublished by Dajisaas).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ListFormat {
    /// A JSON array in the string: `[id1,id2]` (digits stay bare numbers, other items are JSON strings).
    /// The default: Dajisaas passes the call through to 1688's `alibaba.alipay.url.get`, whose one
    /// published example (a public 1688 SDK's docs) writes `orderIdList` as JSON-array text.
    #[default]
    JsonArray,
    /// `id1,id2`: no published support (a Spring `List<Long>` parameter would take it).
    Comma,
}

impl Variant for ListFormat {
    const ALL: &'static [Self] = &[ListFormat::JsonArray, ListFormat::Comma];
    fn name(self) -> &'static str {
        match self {
            ListFormat::Comma => "comma",
            ListFormat::JsonArray => "json-array",
        }
    }
}

/// Query parameters that carry a list of ids in one value ([`ListFormat`]): Dajisaas `pay_urls`.
pub const LIST_QUERY_PARAMS: [&str; 1] = ["orderIdList"];

impl ListFormat {
    /// `value` (comma-separated or JSON-array text, as callers write it) in this format.
    pub fn write(self, value: &str) -> String {
        match self {
            ListFormat::Comma => match serde_json::from_str::<Vec<serde_json::Value>>(value) {
                Ok(items) => items
                    .iter()
                    .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
                    .collect::<Vec<_>>()
                    .join(","),
                Err(_) => value.to_owned(),
            },
            ListFormat::JsonArray if value.trim_start().starts_with('[') => value.to_owned(),
            ListFormat::JsonArray => {
                let items: Vec<String> = value
                    .split(',')
                    .map(str::trim)
                    .filter(|i| !i.is_empty())
                    .map(|i| {
                        if i.bytes().all(|b| b.is_ascii_digit()) {
                            i.to_owned()
                        } else {
                            serde_json::Value::from(i).to_string()
                        }
                    })
                    .collect();
                format!("[{}]", items.join(","))
            }
        }
    }
}

/// The app-key scheme's readings of unpublished rules (see the README's table of signing variants). The
/// default is the best evidence.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AppKeySettings {
    /// Fields a JSON POST signs (`<PREFIX>_POST_SIGNED_FIELDS`).
    pub post_signed_fields: PostSignedFields,
    /// Unit of `requestTime` (`<PREFIX>_REQUEST_TIME_UNIT`).
    pub request_time_unit: TimestampUnit,
    /// JSON type of `requestTime` (`<PREFIX>_REQUEST_TIME_TYPE`).
    pub request_time_type: RequestTimeType,
    /// Where a JSON POST's `sign` goes (`<PREFIX>_SIGN_PLACEMENT`).
    pub sign_placement: SignPlacement,
    /// How `orderIdList` is written (`<PREFIX>_ORDER_ID_LIST`).
    pub list_format: ListFormat,
    /// Where an upload's fields travel (`<PREFIX>_UPLOAD_ENCODING`).
    pub upload_encoding: crate::multipart::UploadEncoding,
}

/// `UPPER(HEX(MD5("k1=v1&k2=v2…&secret=" + secret)))` over `params` sorted by name (code-point order,
/// stable), with `sign` and null values (`None`) left out and values used raw (not URL-encoded).
pub fn app_key_signature<'a, I>(params: I, secret: &str) -> String
where
    I: IntoIterator<Item = (&'a str, Option<&'a str>)>,
{
    let mut kept: Vec<(&str, &str)> = params
        .into_iter()
        .filter(|(name, _)| *name != "sign")
        .filter_map(|(name, value)| value.map(|v| (name, v)))
        .collect();
    // `str` ordering is byte order of UTF-8, which is code-point order; `sort_by` is stable.
    kept.sort_by(|a, b| a.0.cmp(b.0));
    let mut md5 = Md5::new();
    for (name, value) in &kept {
        md5.update(name.as_bytes());
        md5.update(b"=");
        md5.update(value.as_bytes());
        md5.update(b"&");
    }
    md5.update(b"secret=");
    md5.update(secret.as_bytes());
    upper_hex(&md5.finalize())
}

/// Signs [`AuthStyle::AppKey`] operations (Dajisaas). See [`AppKeyScheme`] for the exact rule.
#[derive(Clone, Debug)]
pub struct AppKeySigner {
    credentials: AppKeyCredentials,
    mode: AppKeyMode,
    settings: AppKeySettings,
    clock: Arc<dyn Timer>,
}

impl AppKeySigner {
    /// A signer in [`AppKeyMode::Signed`] with the system clock and `requestTime` in milliseconds.
    pub fn new(credentials: AppKeyCredentials) -> Self {
        let (clock, _) = super::default_sources();
        Self {
            credentials,
            mode: AppKeyMode::default(),
            settings: AppKeySettings::default(),
            clock,
        }
    }

    /// Use this mode.
    pub fn with_mode(mut self, mode: AppKeyMode) -> Self {
        self.mode = mode;
        self
    }

    /// The unit of `requestTime` (unpublished; milliseconds like the envelope's `timestamp` by default).
    pub fn with_timestamp_unit(mut self, unit: TimestampUnit) -> Self {
        self.settings.request_time_unit = unit;
        self
    }

    /// Use these readings of the unpublished rules (POST signing, `requestTime`, `sign` placement, list
    /// format).
    pub fn with_settings(mut self, settings: AppKeySettings) -> Self {
        self.settings = settings;
        self
    }

    /// The readings of the unpublished rules in use.
    pub fn settings(&self) -> AppKeySettings {
        self.settings
    }

    /// Use this clock for `requestTime` (tests).
    pub fn with_clock(mut self, clock: impl Timer + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The mode.
    pub fn mode(&self) -> AppKeyMode {
        self.mode
    }

    /// The credentials.
    pub fn credentials(&self) -> &AppKeyCredentials {
        &self.credentials
    }

    fn check_style(&self, ctx: &SignContext<'_>) -> Result<(), SignError> {
        match ctx.auth == AuthStyle::AppKey {
            true => Ok(()),
            false => Err(SignError(format!(
                "{}: the app-key signer cannot sign {:?} operations",
                ctx.operation, ctx.auth
            ))),
        }
    }

    /// Query parameters other than the signer's own, decoded; id lists written in the [`ListFormat`].
    fn own_query(&self, request: &reqwest::Request) -> Vec<(String, String)> {
        request
            .url()
            .query_pairs()
            .filter(|(name, _)| !is_signer_param(name))
            .map(|(n, v)| {
                let v = if LIST_QUERY_PARAMS.contains(&n.as_ref()) {
                    self.settings.list_format.write(&v)
                } else {
                    v.into_owned()
                };
                (n.into_owned(), v)
            })
            .collect()
    }

    /// The signature over `params` plus `appKey`.
    fn signature<'a>(&self, params: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
        let key = self.credentials.app_key.as_str();
        app_key_signature(
            params
                .into_iter()
                .map(|(n, v)| (n, Some(v)))
                .chain([("appKey", Some(key))]),
            self.credentials.app_secret.expose(),
        )
    }

    /// Rewrite the query as its own parameters plus the credentials; `extra` are further signed fields
    /// that travel elsewhere (form fields).
    fn sign_query(&self, request: &mut reqwest::Request, extra: &[(&str, &str)]) {
        let mut query = self.own_query(request);
        let key = self.credentials.app_key.clone();
        match self.mode {
            AppKeyMode::Signed => {
                let sign = self.signature(
                    query
                        .iter()
                        .map(|(n, v)| (n.as_str(), v.as_str()))
                        .chain(extra.iter().copied()),
                );
                query.push(("appKey".into(), key));
                query.push(("sign".into(), sign));
            }
            AppKeyMode::DebugSecret => {
                query.push(("appKey".into(), key));
                query.push((
                    "appSecret".into(),
                    self.credentials.app_secret.expose().to_owned(),
                ));
            }
        }
        set_query(request, &query);
    }

    /// Add the credentials to a JSON object body (and strip stale ones from body and query).
    fn sign_json(
        &self,
        request: &mut reqwest::Request,
        body: &[u8],
        ctx: &SignContext<'_>,
    ) -> Result<(), SignError> {
        let fields = serde_json::from_slice::<ObjectFields>(body)
            .map_err(|e| {
                SignError(format!(
                    "{}: the JSON body must be an object to carry appKey ({e})",
                    ctx.operation
                ))
            })?
            .0;
        let mut query = self.own_query(request);
        let text = |s: &str| serde_json::Value::from(s).to_string();
        let key = self.credentials.app_key.as_str();
        let added: Vec<(&str, String)> = match self.mode {
            AppKeyMode::Signed => {
                let time = self
                    .settings
                    .request_time_unit
                    .from_millis(self.clock.now_millis())
                    .to_string();
                let body_fields: Vec<(&str, String)> = match self.settings.post_signed_fields {
                    PostSignedFields::Credentials => Vec::new(),
                    PostSignedFields::TopLevel => fields
                        .iter()
                        .filter(|(name, _)| !is_signer_param(name))
                        .filter_map(|(name, raw)| Some((name.as_str(), signed_text(raw)?)))
                        .collect(),
                };
                let sign = self.signature(
                    query
                        .iter()
                        .map(|(n, v)| (n.as_str(), v.as_str()))
                        .chain(body_fields.iter().map(|(n, v)| (*n, v.as_str())))
                        .chain([("requestTime", time.as_str())]),
                );
                let time = match self.settings.request_time_type {
                    RequestTimeType::Number => time,
                    RequestTimeType::String => text(&time),
                };
                let mut added = vec![("appKey", text(key)), ("requestTime", time)];
                match self.settings.sign_placement {
                    SignPlacement::Body => added.push(("sign", text(&sign))),
                    SignPlacement::Query => query.push(("sign".into(), sign)),
                }
                added
            }
            AppKeyMode::DebugSecret => vec![
                ("appKey", text(key)),
                ("appSecret", text(self.credentials.app_secret.expose())),
            ],
        };
        let mut out = String::with_capacity(body.len() + 128);
        out.push('{');
        let kept = fields
            .iter()
            .filter(|(name, _)| !is_signer_param(name))
            .map(|(name, value)| (name.as_str(), value.get()));
        let added = added.iter().map(|(name, value)| (*name, value.as_str()));
        for (i, (name, value)) in kept.chain(added).enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&text(name));
            out.push(':');
            out.push_str(value);
        }
        out.push('}');
        *request.body_mut() = Some(out.into());
        set_query(request, &query);
        Ok(())
    }
}

/// A top-level body value as [`PostSignedFields::TopLevel`] signs it: a string raw, null left out, any other
/// value as its compact JSON text.
fn signed_text(raw: &RawValue) -> Option<String> {
    match serde_json::from_str::<serde_json::Value>(raw.get()).ok()? {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s),
        other => Some(other.to_string()),
    }
}

fn set_query(request: &mut reqwest::Request, pairs: &[(String, String)]) {
    let url = request.url_mut();
    if pairs.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
}

impl Signer for AppKeySigner {
    fn sign(&self, request: &mut reqwest::Request, ctx: &SignContext<'_>) -> Result<(), SignError> {
        self.check_style(ctx)?;
        let body = match request.body() {
            None => None,
            Some(b) => Some(
                b.as_bytes()
                    .ok_or_else(|| {
                        SignError(format!(
                            "{}: cannot sign a streaming body (form bodies are signed with sign_form)",
                            ctx.operation
                        ))
                    })?
                    .to_vec(),
            ),
        };
        match body {
            None => {
                self.sign_query(request, &[]);
                Ok(())
            }
            Some(bytes) => {
                let content_type = request
                    .headers()
                    .get(reqwest::header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                if !content_type.starts_with("application/json") {
                    return Err(SignError(format!(
                        "{}: the app-key signer signs query parameters and JSON bodies, not {content_type:?} bodies",
                        ctx.operation
                    )));
                }
                self.sign_json(request, &bytes, ctx)
            }
        }
    }

    fn sign_form(
        &self,
        request: &mut reqwest::Request,
        fields: &[(&str, &str)],
        ctx: &SignContext<'_>,
    ) -> Result<(), SignError> {
        self.check_style(ctx)?;
        if let Some((name, _)) = fields.iter().find(|(name, _)| is_signer_param(name)) {
            return Err(SignError(format!(
                "{}: form field {name:?} is set by the signer",
                ctx.operation
            )));
        }
        crate::multipart::without_fields(request, fields);
        self.sign_query(request, fields);
        self.settings.upload_encoding.encode(request, fields);
        Ok(())
    }
}

/// The top-level members of a JSON object, in order, with their values as written.
struct ObjectFields(Vec<(String, Box<RawValue>)>);

impl<'de> serde::Deserialize<'de> for ObjectFields {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Fields;
        impl<'de> Visitor<'de> for Fields {
            type Value = ObjectFields;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ObjectFields, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = map.next_entry::<String, Box<RawValue>>()? {
                    out.push(entry);
                }
                Ok(ObjectFields(out))
            }
        }
        d.deserialize_map(Fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::FixedClock;
    use serde_json::{Value, json};

    const CTX: SignContext<'static> = SignContext {
        operation: "op",
        auth: AuthStyle::AppKey,
    };

    fn signer(mode: AppKeyMode) -> AppKeySigner {
        AppKeySigner::new(AppKeyCredentials::new("demoKey", "demoSecret"))
            .with_mode(mode)
            .with_clock(FixedClock(1_723_620_684_182))
    }

    fn get(url: &str) -> reqwest::Request {
        reqwest::Request::new(reqwest::Method::GET, url.parse().unwrap())
    }

    fn post_json(body: &Value) -> reqwest::Request {
        reqwest::Client::new()
            .post("http://localhost/alibaba/trade/cancel")
            .json(body)
            .header("api-version", "2025.11")
            .build()
            .unwrap()
    }

    fn query(r: &reqwest::Request) -> Vec<(String, String)> {
        r.url().query_pairs().into_owned().collect()
    }

    fn body(r: &reqwest::Request) -> Value {
        serde_json::from_slice(r.body().unwrap().as_bytes().unwrap()).unwrap()
    }

    #[test]
    fn overview_vector() {
        // vendor-docs/notes/dajisaas/overview.md (computed there with the reconstructed rule).
        let params = [
            ("appKey", Some("demoKey")),
            ("keyword", Some("T恤")),
            ("beginPage", Some("1")),
            ("pageSize", Some("20")),
            ("country", Some("en")),
        ];
        assert_eq!(
            app_key_signature(params, "demoSecret"),
            "4DF585F2940E7B060A04D40B44C0E568"
        );
    }

    #[test]
    fn sign_and_nulls_are_left_out() {
        let base = app_key_signature([("a", Some("1")), ("b", Some(""))], "s");
        let noisy = app_key_signature(
            [
                ("sign", Some("STALE")),
                ("b", Some("")),
                ("z", None),
                ("a", Some("1")),
            ],
            "s",
        );
        assert_eq!(base, noisy);
        // An empty string is a value, not an absent parameter.
        assert_ne!(base, app_key_signature([("a", Some("1"))], "s"));
    }

    #[test]
    fn get_signs_the_decoded_query_and_resigning_replaces_stale_parameters() {
        let s = signer(AppKeyMode::Signed);
        let mut req =
            get("http://localhost/x?keyword=T%E6%81%A4&beginPage=1&pageSize=20&country=en");
        s.sign(&mut req, &CTX).unwrap();
        let once = query(&req);
        assert_eq!(
            once.last().unwrap(),
            &("sign".into(), "4DF585F2940E7B060A04D40B44C0E568".into())
        );
        // Sign the same request again, as a retry does: nothing accumulates, nothing changes.
        s.sign(&mut req, &CTX).unwrap();
        assert_eq!(query(&req), once);
        assert_eq!(once.iter().filter(|(k, _)| k == "appKey").count(), 1);
        assert!(!req.url().as_str().contains("demoSecret"));
    }

    #[test]
    fn debug_mode_sends_the_secret_and_no_sign() {
        let s = signer(AppKeyMode::DebugSecret);
        let mut req = get("http://localhost/x?orderIdList=1,2&sign=OLD&appSecret=old");
        s.sign(&mut req, &CTX).unwrap();
        s.sign(&mut req, &CTX).unwrap();
        assert_eq!(
            query(&req),
            [
                ("orderIdList".to_string(), "[1,2]".to_string()),
                ("appKey".into(), "demoKey".into()),
                ("appSecret".into(), "demoSecret".into()),
            ]
        );
    }

    #[test]
    fn json_body_uses_the_request_time_rule() {
        let s = signer(AppKeyMode::Signed);
        let mut req = reqwest::Client::new()
            .post("http://localhost/alibaba/trade/cancel")
            .header("content-type", "application/json")
            .header("api-version", "2025.11")
            .body(r#"{"webSite":"1688","orderId":"2257164624870311973","n":1.50,"id":56623232655125698}"#)
            .build()
            .unwrap();
        s.sign(&mut req, &CTX).unwrap();
        let expected_sign = app_key_signature(
            [
                ("appKey", Some("demoKey")),
                ("requestTime", Some("1723620684182")),
            ],
            "demoSecret",
        );
        // The caller's fields keep their order and their exact text; the signer's follow.
        let text = String::from_utf8(req.body().unwrap().as_bytes().unwrap().to_vec()).unwrap();
        assert_eq!(
            text,
            format!(
                r#"{{"webSite":"1688","orderId":"2257164624870311973","n":1.50,"id":56623232655125698,"appKey":"demoKey","requestTime":1723620684182,"sign":"{expected_sign}"}}"#
            )
        );
        assert_eq!(req.url().query(), None);
        // Re-signing (a retry) replaces, never accumulates.
        s.sign(&mut req, &CTX).unwrap();
        let again = String::from_utf8(req.body().unwrap().as_bytes().unwrap().to_vec()).unwrap();
        assert_eq!(again, text);
    }

    #[test]
    fn json_body_in_debug_mode_matches_the_published_examples() {
        let s = signer(AppKeyMode::DebugSecret);
        let mut req = post_json(
            &json!({"appKey": "", "appSecret": "", "sign": "x", "requestTime": 1, "orderId": "1"}),
        );
        s.sign(&mut req, &CTX).unwrap();
        assert_eq!(
            body(&req),
            json!({"orderId": "1", "appKey": "demoKey", "appSecret": "demoSecret"})
        );
    }

    #[test]
    fn refuses_what_it_cannot_sign_without_leaking_the_secret() {
        let s = signer(AppKeyMode::Signed);
        let mut arr = post_json(&json!([1, 2]));
        let e = s.sign(&mut arr, &CTX).unwrap_err();
        assert!(e.0.contains("must be an object"), "{e}");
        let mut form = reqwest::Client::new()
            .post("http://localhost/x")
            .body("a=b")
            .header("content-type", "application/x-www-form-urlencoded")
            .build()
            .unwrap();
        let e = s.sign(&mut form, &CTX).unwrap_err();
        assert!(e.0.contains("x-www-form-urlencoded"), "{e}");
        let e = s
            .sign(
                &mut get("http://localhost/x"),
                &SignContext {
                    operation: "op",
                    auth: AuthStyle::AccessKeyV1,
                },
            )
            .unwrap_err();
        assert!(e.0.contains("AccessKeyV1"));
        let shown = format!("{s:?}");
        assert!(!shown.contains("demoSecret"), "{shown}");
    }

    #[test]
    fn secret_query_values_are_masked_for_errors() {
        let mut url: reqwest::Url =
            "http://h/p?orderIdList=1&appKey=demoKey&appSecret=demo%20Secret"
                .parse()
                .unwrap();
        crate::signing::redact_url(&mut url, AuthStyle::AppKey);
        assert_eq!(
            url.query(),
            Some("orderIdList=1&appKey=demoKey&appSecret=%3Credacted%3E")
        );
    }

    #[test]
    fn the_scheme_verifies_what_its_signer_signs() {
        let values = CredentialValues::new(["demoKey", "demoSecret"]);
        let against = Verification {
            credentials: &values,
            now_millis: 1_723_620_684_182,
            max_skew: Some(std::time::Duration::from_secs(600)),
            settings: &SigningSettings::default(),
        };
        let received = |r: &reqwest::Request| {
            let query: Vec<(String, String)> = query(r);
            let body = r.body().and_then(|b| b.as_bytes()).unwrap_or(b"").to_vec();
            AppKeyScheme::SIGNED.verify(
                &Received {
                    method: r.method().as_str(),
                    path: r.url().path(),
                    headers: r.headers(),
                    query: &query,
                    body: &body,
                },
                &against,
            )
        };
        let mut req = post_json(&json!({"orderId": "1"}));
        signer(AppKeyMode::Signed).sign(&mut req, &CTX).unwrap();
        received(&req).unwrap();
        let mut get = get("http://localhost/x?a=1");
        signer(AppKeyMode::Signed).sign(&mut get, &CTX).unwrap();
        received(&get).unwrap();
        let mut tampered = get.try_clone().unwrap();
        tampered
            .url_mut()
            .set_query(Some("a=2&appKey=demoKey&sign=X"));
        assert_eq!(received(&tampered).unwrap_err(), "sign mismatch");
    }

    #[test]
    fn form_fields_are_signed_and_credentials_go_in_the_query() {
        let s = signer(AppKeyMode::Signed);
        let mut req = get("http://localhost/alibaba/upload/image");
        let fields = [("pic_url", "https://img.alicdn.com/a.jpg")];
        s.sign_form(&mut req, &fields, &CTX).unwrap();
        s.sign_form(&mut req, &fields, &CTX).unwrap();
        let expected = app_key_signature(
            [
                ("appKey", Some("demoKey")),
                ("pic_url", Some("https://img.alicdn.com/a.jpg")),
            ],
            "demoSecret",
        );
        // The default reading (`UPLOAD_ENCODING=query`) puts the fields in the query too, once.
        assert_eq!(
            query(&req),
            [
                ("appKey".to_string(), "demoKey".to_string()),
                ("sign".into(), expected),
                ("pic_url".into(), "https://img.alicdn.com/a.jpg".into())
            ]
        );
        let e = s.sign_form(&mut req, &[("appKey", "x")], &CTX).unwrap_err();
        assert!(e.0.contains("appKey"));
    }
}
