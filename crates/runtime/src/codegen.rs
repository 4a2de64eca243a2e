//! Support for the generated crates, not for users: the bodies of the generated `ClientHooks` impl and of
//! the typed `send()` methods, so the generated `hooks.rs` only delegates. Not a stable API.

use crate::credentials::CredentialValues;
use crate::envelope::Envelope;
use crate::error::{BodyTooLarge, Error};
use crate::operation::{AuthStyle, Operation, Provider};
use crate::runtime::{
    RawRequest, Runtime, http_status_error, observed, settle, too_large, transport_error,
    undecodable,
};
use crate::signing::{SignError, SigningSettings, redact_error};
use progenitor_client::{Error as P, OperationInfo, ResponseValue};
use std::future::Future;
use std::pin::Pin;

pub use progenitor_client;

/// The generated `ClientHooks::pre`: the rate budget, the documented limits, then the signature
/// ([`Runtime`]'s one pre-send step). A signing refusal travels through progenitor as `Custom` with the [`SignError`]'s text
/// and is turned back into [`Error::Signing`] by [`send`].
pub async fn pre<X>(
    runtime: &Runtime,
    provider: &Provider,
    request: &mut reqwest::Request,
    info: &OperationInfo,
) -> Result<(), P<X>> {
    let Some(op) = provider.find(info.operation_id) else {
        return Err(P::InvalidRequest(format!(
            "unknown {} operation {}",
            provider.name, info.operation_id
        )));
    };
    runtime.admit(op).await;
    runtime
        .prepare(request, op, None)
        .map_err(|refused| match refused {
            Error::Signing { source, .. } => P::Custom(source.0),
            other => P::InvalidRequest(match other {
                Error::InvalidRequest { message, .. } => message,
                other => other.to_string(),
            }),
        })
}

/// The generated `ClientHooks::exec`: send with the retry policy, the body read within its limit.
pub async fn exec(
    runtime: &Runtime,
    provider: &Provider,
    client: &reqwest::Client,
    request: reqwest::Request,
    info: &OperationInfo,
) -> reqwest::Result<reqwest::Response> {
    match provider.find(info.operation_id) {
        Some(op) => runtime.execute(client, request, op).await,
        // `pre` already refused an unknown operation; this is not reached through generated code. Masked
        // for every scheme of the provider, as the operation's is unknown.
        None => client
            .execute(request)
            .await
            .map_err(|e| provider.schemes().into_iter().fold(e, redact_error)),
    }
}

/// The generated typed `send()`: runs `send_raw` inside the call's tracing span and maps its outcome to
/// `Result<data, Error>` ([`finish`]).
///
/// Boxed: a call's state (progenitor's `send_raw`, the span, the envelope mapping) is kilobytes, and an
/// async fn keeps a slot for each layer it passes through. Inline, the generated `send()` and every future
/// awaiting it embedded several copies and moved them on each poll that started a layer — measured as the
/// largest part of what a generated call cost over a hand-written one (docs/PERFORMANCE.md). `send_raw`
/// is a closure, not a future, so progenitor's future is built in its place inside the box rather than
/// built by the caller and moved in.
pub fn send<'a, E, X, F>(
    provider: &'a Provider,
    op: &'a Operation,
    send_raw: impl FnOnce() -> F + 'a,
) -> Pin<Box<impl Future<Output = Result<E::Data, Error>> + 'a>>
where
    F: Future<Output = Result<ResponseValue<E>, P<X>>> + 'a,
    E: Envelope<Data: serde::Serialize + serde::de::DeserializeOwned> + 'a,
    X: 'a,
{
    Box::pin(observed(provider.name, op.id, async move {
        finish(provider, op, send_raw().await).await
    }))
}

/// The generated `Client::new`: a runtime signing every scheme of `provider` with `credentials` and the
/// best-evidence readings of the open rules (for another variant, build the runtime with
/// [`Runtime::for_provider`]).
pub fn runtime_for(provider: &Provider, credentials: impl Into<CredentialValues>) -> Runtime {
    Runtime::for_provider(provider, &credentials.into(), &SigningSettings::default())
}

/// The generated `call_operation`: [`Runtime::call_operation`].
pub async fn call_operation(
    runtime: &Runtime,
    provider: &Provider,
    client: &reqwest::Client,
    base_url: &str,
    operation: &Operation,
    query: &[(&str, &str)],
    body: Option<&serde_json::Value>,
) -> Result<serde_json::Value, Error> {
    runtime
        .call_operation(client, base_url, provider, operation, query, body)
        .await
}

/// The generated `call_raw`: [`Runtime::call_raw`].
pub async fn call_raw(
    runtime: &Runtime,
    provider: &Provider,
    default_auth: AuthStyle,
    client: &reqwest::Client,
    base_url: &str,
    raw: RawRequest<'_>,
) -> Result<serde_json::Value, Error> {
    runtime
        .call_raw(client, base_url, provider, default_auth, raw)
        .await
}

/// Map the outcome of a generated `send_raw()` to `Result<data, Error>`; a decoded envelope goes through
/// the envelope mapping (business codes, batch outcomes) — its own, or the provider's codec for an
/// [`crate::Enveloped`] answer.
pub async fn finish<E: Envelope, X>(
    provider: &Provider,
    op: &Operation,
    result: Result<ResponseValue<E>, P<X>>,
) -> Result<E::Data, Error>
where
    E::Data: serde::Serialize + serde::de::DeserializeOwned,
{
    let operation = op.id;
    let redact = |source| redact_error(source, op.auth);
    let codec = provider.envelope.codec();
    let api_error_in = |b: &[u8], o| E::api_error_in(b, o).or_else(|| codec.api_error_in(b, o));
    match result {
        Ok(value) => {
            let envelope = value.into_inner();
            match envelope.codec_body() {
                Some(body) => settle_by_codec(provider, op, body),
                None => settle(op, envelope),
            }
        }
        Err(P::InvalidRequest(message)) => Err(Error::InvalidRequest { operation, message }),
        // Only `pre` produces `Custom`: a signing refusal, its `SignError` text intact.
        Err(P::Custom(message)) => Err(Error::Signing {
            operation,
            source: SignError(message),
        }),
        Err(P::ResponseBodyError(source)) => match BodyTooLarge::in_error(&source) {
            Some(marker) => Err(too_large(operation, marker)),
            None => Err(transport_error(operation, redact(source))),
        },
        Err(P::CommunicationError(source) | P::InvalidUpgrade(source)) => {
            Err(transport_error(operation, redact(source)))
        }
        Err(P::InvalidResponsePayload(bytes, source)) => {
            Err(undecodable(&api_error_in, operation, &bytes, source))
        }
        Err(P::UnexpectedResponse(response)) => {
            Err(http_status_error(&api_error_in, operation, response).await)
        }
        Err(P::ErrorResponse(value)) => Err(Error::HttpStatus {
            operation,
            status: value.status().as_u16(),
            body: crate::error::BodyPrefix::new(b""),
            api: None,
        }),
    }
}

/// An answer the provider's codec settles (success rule, request id, batch outcome), then typed as `T`.
fn settle_by_codec<T: serde::de::DeserializeOwned>(
    provider: &Provider,
    op: &Operation,
    body: &serde_json::Value,
) -> Result<T, Error> {
    let bytes = body.to_string();
    let data = provider.envelope.codec().decode(op, bytes.as_bytes())?;
    serde_json::from_value(data).map_err(|source| Error::Decode {
        operation: op.id,
        body: crate::error::BodyPrefix::new(bytes.as_bytes()),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operation::{
        CredentialStyle, Effect, EnvelopeStyle, Limit, Param, ParamKind, ParamLocation,
    };
    use crate::signing::{SignContext, Signer};
    use crate::time::VirtualTimer;
    use crate::{PandaponEnvelope, RequestPolicy, RetryPolicy};
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    /// A custom signer that records what it saw and sets one header, or refuses.
    #[derive(Debug, Default)]
    struct Recording {
        calls: AtomicU32,
        saw_api_version: Mutex<Vec<bool>>,
        refuse: bool,
    }

    impl Signer for Recording {
        fn sign(
            &self,
            request: &mut reqwest::Request,
            _: &SignContext<'_>,
        ) -> Result<(), SignError> {
            self.calls.fetch_add(1, Ordering::Relaxed);
            let seen = request.headers().contains_key("api-version");
            self.saw_api_version.lock().unwrap().push(seen);
            if self.refuse {
                return Err(SignError("no rule for this operation".into()));
            }
            request
                .headers_mut()
                .insert("x-signed", "yes".parse().unwrap());
            Ok(())
        }
    }

    fn provider(read: bool) -> &'static Provider {
        let op: &'static Operation = Box::leak(Box::new(Operation {
            method: "GET",
            path: "/x",
            effect: if read { Effect::Read } else { Effect::Write },
            params: &[Param {
                name: "ids",
                location: ParamLocation::Query,
                required: false,
                kind: ParamKind::String,
                description: "",
                limit: Some(Limit::MaxItems {
                    max: 2,
                    separator: Some(","),
                }),
                json_string: false,
            }],
            ..Operation::untabled("op", AuthStyle::AccessKeyV1, false)
        }));
        Box::leak(Box::new(Provider {
            name: "test",
            title: "Test",
            production_base_url: "http://localhost",
            env_prefix: "TEST",
            envelope: EnvelopeStyle::Pandapon,
            credentials: CredentialStyle::AccessKey,
            operations: Box::leak(Box::new([op])),
        }))
    }

    fn request(query: &str) -> reqwest::Request {
        let mut r = reqwest::Request::new(
            reqwest::Method::GET,
            format!("http://localhost/x?{query}").parse().unwrap(),
        );
        r.headers_mut()
            .insert("api-version", "2025.11".parse().unwrap());
        r
    }

    const INFO: OperationInfo = OperationInfo { operation_id: "op" };

    fn runtime(signer: Arc<Recording>, timer: Arc<VirtualTimer>) -> Runtime {
        Runtime::from_arc(signer)
            .with_policy(RequestPolicy {
                retry: RetryPolicy {
                    jitter: false,
                    ..RetryPolicy::default()
                },
                ..RequestPolicy::default()
            })
            .with_timer(timer)
    }

    #[tokio::test]
    async fn pre_checks_limits_then_signs_without_api_version() {
        let signer = Arc::new(Recording::default());
        let rt = runtime(signer.clone(), Default::default());
        let p = provider(true);

        let mut over = request("ids=1,2,3");
        let err = pre::<()>(&rt, p, &mut over, &INFO).await.unwrap_err();
        assert!(matches!(err, P::InvalidRequest(m) if m.contains("ids")));
        assert_eq!(signer.calls.load(Ordering::Relaxed), 0, "limits come first");

        let mut ok = request("ids=1,2");
        pre::<()>(&rt, p, &mut ok, &INFO).await.unwrap();
        assert_eq!(*signer.saw_api_version.lock().unwrap(), [false]);
        assert!(ok.headers().get("api-version").is_none());
        assert_eq!(ok.headers()["x-signed"], "yes");

        let unknown = OperationInfo {
            operation_id: "nope",
        };
        let err = pre::<()>(&rt, p, &mut request(""), &unknown)
            .await
            .unwrap_err();
        assert!(matches!(err, P::InvalidRequest(m) if m.contains("nope")));
    }

    #[tokio::test]
    async fn a_signing_refusal_reaches_the_user_as_sign_error() {
        let signer = Arc::new(Recording {
            refuse: true,
            ..Recording::default()
        });
        let rt = runtime(signer, Default::default());
        let p = provider(false);
        let err = pre::<()>(&rt, p, &mut request(""), &INFO)
            .await
            .unwrap_err();
        let err = finish::<PandaponEnvelope<serde_json::Value>, ()>(p, p.operations[0], Err(err))
            .await
            .unwrap_err();
        let Error::Signing { operation, source } = err else {
            panic!("{err:?}")
        };
        assert_eq!(operation, "op");
        assert_eq!(source, SignError("no rule for this operation".into()));
    }

    /// An answer typed `Enveloped` is settled by the provider's codec, then typed.
    #[tokio::test]
    async fn an_enveloped_answer_is_settled_by_the_providers_codec() {
        use crate::Enveloped;
        let p = provider(true);
        let answer = |body: serde_json::Value| {
            let typed: Enveloped<std::collections::BTreeMap<String, i64>> =
                serde_json::from_value(body).unwrap();
            ResponseValue::new(typed, reqwest::StatusCode::OK, Default::default())
        };
        let ok = serde_json::json!({"code": 200, "msg": "ok", "data": {"a": 1}});
        let data = finish::<_, ()>(p, p.operations[0], Ok(answer(ok)))
            .await
            .unwrap();
        assert_eq!(data["a"], 1);
        let failed = serde_json::json!({"code": 500, "msg": "bad sign", "data": null});
        let err = finish::<_, ()>(p, p.operations[0], Ok(answer(failed)))
            .await
            .unwrap_err();
        assert!(matches!(&err, Error::Api(e) if e.code == 500), "{err:?}");
    }

    fn response(status: u16) -> reqwest::Result<reqwest::Response> {
        let mut r = http::Response::new(reqwest::Body::from("{}"));
        *r.status_mut() = reqwest::StatusCode::from_u16(status).unwrap();
        Ok(reqwest::Response::from(r))
    }

    /// The retry loop over a scripted transport: statuses in order, then 200.
    async fn run(read: bool, script: &[u16]) -> (u16, u32, Vec<Duration>, u32) {
        let signer = Arc::new(Recording::default());
        let timer = Arc::new(VirtualTimer::new());
        let rt = runtime(signer.clone(), timer.clone());
        let op = provider(read).operations[0];
        let sent = AtomicU32::new(0);
        let result = rt
            .retry_loop(request(""), op, |_| {
                let n = sent.fetch_add(1, Ordering::Relaxed) as usize;
                std::future::ready(response(script.get(n).copied().unwrap_or(200)))
            })
            .await
            .unwrap();
        (
            result.status().as_u16(),
            sent.load(Ordering::Relaxed),
            timer.sleeps(),
            signer.calls.load(Ordering::Relaxed),
        )
    }

    #[tokio::test]
    async fn exec_retries_reads_with_backoff_and_a_fresh_signature() {
        let ms = Duration::from_millis;
        // Two failures, then success: 3 attempts, backoff 200 then 400 ms, re-signed twice.
        assert_eq!(
            run(true, &[503, 429]).await,
            (200, 3, vec![ms(200), ms(400)], 2)
        );
        // Always failing: bounded by max_attempts (3).
        assert_eq!(
            run(true, &[503; 9]).await,
            (503, 3, vec![ms(200), ms(400)], 2)
        );
        // Writes and non-retryable statuses: once.
        assert_eq!(run(false, &[503]).await, (503, 1, vec![], 0));
        assert_eq!(run(true, &[401]).await, (401, 1, vec![], 0));
    }

    #[tokio::test]
    async fn an_oversized_body_is_not_retried_and_keeps_its_status() {
        let rt = runtime(Default::default(), Default::default());
        let op = provider(true).operations[0];
        let mut r = http::Response::new(reqwest::Body::from(""));
        *r.status_mut() = reqwest::StatusCode::SERVICE_UNAVAILABLE;
        let marker = BodyTooLarge {
            status: 503,
            limit: 10,
        };
        r.extensions_mut().insert(marker);
        let mut once = Some(reqwest::Response::from(r));
        let response = rt
            .retry_loop(request(""), op, |_| {
                std::future::ready(Ok(once.take().unwrap()))
            })
            .await
            .unwrap();
        assert_eq!(response.status(), 503);
        let err = http_status_error(
            &PandaponEnvelope::<serde_json::Value>::api_error_in,
            "op",
            response,
        )
        .await;
        assert!(
            matches!(
                err,
                Error::ResponseTooLarge {
                    status: 503,
                    limit: 10,
                    ..
                }
            ),
            "{err:?}"
        );
    }
}
