//! The retry policy: declared reads (`x-effect: read`) are retried on 5xx/429/transport errors with
//! backoff, a fresh timestamp/nonce/signature per attempt, `Retry-After` honoured and total attempts/time
//! bounded; writes and payments are sent exactly once.
//!
//! Every runtime here runs on a [`VirtualTimer`]: backoff sleeps return at once and advance a virtual clock,
//! so attempt counts and waits are exact and no test waits on the wall clock for a retry.

use pandapon::operations::PROVIDER;
use serde_json::Value;
use sourcing_runtime::time::{Timer, VirtualTimer};
use sourcing_runtime::{
    AccessKeyCredentials, AccessKeySigner, AuthStyle, Effect, Error, Operation, PandaponEnvelope,
    RandomNonce, RateBudget, RequestPolicy, RetryPolicy, Runtime, transcode,
};
use sourcing_tests::MockServer;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

type Env = PandaponEnvelope<Value>;

fn op(read: bool) -> Operation {
    Operation {
        id: if read { "read_op" } else { "write_op" },
        method: "POST",
        path: "/x",
        tag: "t",
        summary: "s",
        auth: AuthStyle::AccessKeyV1,
        effect: if read { Effect::Read } else { Effect::Write },
        idempotent: read,
        params: &[],
        has_body: false,
        examples: &[],
        transcode_request: None,
        transcode_response: transcode::<Env>,
        batch_outcome: None,
        evidence: None,
        input_schema: "true",
        flow_role: None,
        response_schema: "true",
    }
}

/// A clock that advances one millisecond per reading.
#[derive(Debug, Default)]
struct Ticking(AtomicU64);

impl Timer for Ticking {
    fn now(&self) -> Duration {
        Duration::ZERO
    }
    fn now_millis(&self) -> u64 {
        1_700_000_000_000 + self.0.fetch_add(1, Ordering::Relaxed)
    }
    fn sleep(&self, _: Duration) -> sourcing_runtime::time::Sleep {
        Box::pin(std::future::ready(()))
    }
}

fn runtime(retry: RetryPolicy) -> Runtime {
    runtime_on(retry, Arc::new(VirtualTimer::new()))
}

fn runtime_on(retry: RetryPolicy, timer: Arc<VirtualTimer>) -> Runtime {
    let signer = AccessKeySigner::new(AccessKeyCredentials::new("ak", "sk", "u"))
        .with_clock(Ticking::default())
        .with_nonce_source(RandomNonce);
    Runtime::new(signer)
        .with_policy(RequestPolicy {
            retry,
            ..RequestPolicy::default()
        })
        .with_timer(timer)
}

fn quick() -> RetryPolicy {
    RetryPolicy {
        initial_backoff: Duration::from_millis(5),
        jitter: false,
        ..RetryPolicy::default()
    }
}

const OK: &str = r#"{"code":200,"msg":"ok","data":{"n":1}}"#;

async fn call(rt: &Runtime, server: &MockServer, op: &Operation) -> Result<Value, Error> {
    let client = rt.http_client();
    rt.call_operation(&client, &server.base_url, &PROVIDER, op, &[], None)
        .await
}

#[tokio::test]
async fn reads_retry_with_fresh_signatures() {
    let server = MockServer::start().await;
    server.script(vec![
        (503, "{}".into()),
        (502, "{}".into()),
        (200, OK.into()),
    ]);
    let data = call(&runtime(quick()), &server, &op(true)).await.unwrap();
    assert_eq!(data["n"], 1);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 3);
    let distinct = |h: &str| {
        reqs.iter()
            .map(|r| r.header(h).unwrap().to_string())
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    };
    assert_eq!(distinct("nonce-str"), 3, "fresh nonce per attempt");
    assert_eq!(distinct("timestamp"), 3, "fresh timestamp per attempt");
    assert_eq!(distinct("signature"), 3, "re-signed per attempt");
}

#[tokio::test]
async fn attempts_are_bounded() {
    let server = MockServer::start().await;
    server.reply(503, "{}");
    let err = call(&runtime(quick()), &server, &op(true))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::HttpStatus { status: 503, .. }));
    assert_eq!(server.requests().len(), 3, "max_attempts = 3");

    server.reply(503, "{}");
    let slow = RetryPolicy {
        max_attempts: 10,
        initial_backoff: Duration::from_millis(40),
        max_elapsed: Duration::from_millis(100),
        ..quick()
    };
    let timer = Arc::new(VirtualTimer::new());
    call(&runtime_on(slow.clone(), timer.clone()), &server, &op(true))
        .await
        .unwrap_err();
    // 40 ms then 80 ms backoff: the second retry would start at 120 ms, after the 100 ms budget. Without
    // the budget there would be 10 attempts.
    assert_eq!(server.requests().len(), 2, "max_elapsed stops retrying");
    assert_eq!(timer.sleeps(), [Duration::from_millis(40)]);

    // Attempts count against the budget too: a first attempt that took 70 ms leaves no room for a retry.
    server.reply(503, "{}");
    let timer = Arc::new(SlowFirstAttempt::default());
    // Unlimited: a rate budget would read the clock before the attempt.
    let rt = runtime(slow);
    let rt = rt
        .clone()
        .with_policy(RequestPolicy {
            rate: RateBudget::unlimited(),
            ..rt.policy().clone()
        })
        .with_timer(timer.clone());
    call(&rt, &server, &op(true)).await.unwrap_err();
    assert_eq!(
        server.requests().len(),
        1,
        "no retry once the budget is spent"
    );
    assert!(timer.0.sleeps().is_empty());
}

/// A virtual clock on which the first attempt takes 70 ms: the clock moves on after its first reading.
#[derive(Debug, Default)]
struct SlowFirstAttempt(VirtualTimer, std::sync::atomic::AtomicBool);

impl Timer for SlowFirstAttempt {
    fn now(&self) -> Duration {
        let now = self.0.now();
        if !self.1.swap(true, Ordering::Relaxed) {
            self.0.advance(Duration::from_millis(70));
        }
        now
    }
    fn now_millis(&self) -> u64 {
        self.0.now_millis()
    }
    fn sleep(&self, duration: Duration) -> sourcing_runtime::time::Sleep {
        self.0.sleep(duration)
    }
}

#[tokio::test]
async fn writes_are_sent_once() {
    let server = MockServer::start().await;
    for status in [503, 429, 500, 502, 504] {
        server.reply(status, "{}");
        let err = call(&runtime(quick()), &server, &op(false))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::HttpStatus { .. }));
        assert_eq!(server.requests().len(), 1, "status {status}");
    }
}

#[tokio::test]
async fn business_errors_and_4xx_are_not_retried() {
    let server = MockServer::start().await;
    server.reply(200, r#"{"code":500,"msg":"busy"}"#);
    assert!(matches!(
        call(&runtime(quick()), &server, &op(true)).await,
        Err(Error::Api(_))
    ));
    assert_eq!(server.requests().len(), 1);
    server.reply(401, "{}");
    call(&runtime(quick()), &server, &op(true))
        .await
        .unwrap_err();
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn retry_after_is_honoured_within_the_time_budget() {
    let server = MockServer::start().await;
    server.script(vec![(429, "{}".into()), (200, OK.into())]);
    // The mock cannot set Retry-After, so the sandbox is used for this one.
    let sandbox = sourcing_sandbox::Sandbox::start().await.unwrap();
    // The sandbox pays only orders it knows.
    sandbox.seed_order("1");
    let _ = server;
    sandbox.inject(sourcing_sandbox::FaultRule::times(
        Some("order_pay_url"),
        sourcing_sandbox::Fault::Status {
            status: 429,
            retry_after: Some(1),
        },
        1,
    ));
    let real = pandapon::operations::find("order_pay_url").unwrap();
    let read = Operation {
        effect: Effect::Read,
        ..*real
    };
    let timer = Arc::new(VirtualTimer::new());
    let rt = Runtime::new(AccessKeySigner::new(
        sourcing_sandbox::credentials::access_key(),
    ))
    .with_policy(RequestPolicy {
        retry: quick(),
        ..RequestPolicy::default()
    })
    .with_timer(timer.clone());
    let client = rt.http_client();
    rt.call_operation(
        &client,
        &sandbox.base_url("pandapon"),
        &PROVIDER,
        &read,
        &[("orderId", "1")],
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        timer.sleeps(),
        [Duration::from_secs(1)],
        "waited for Retry-After: 1 (not the 5 ms backoff)"
    );
    assert_eq!(sandbox.hits("order_pay_url"), 2);

    // A Retry-After beyond the budget is not waited for: the 429 is returned.
    sandbox.inject(sourcing_sandbox::FaultRule::times(
        Some("order_pay_url"),
        sourcing_sandbox::Fault::Status {
            status: 429,
            retry_after: Some(60),
        },
        1,
    ));
    let rt = rt.with_policy(RequestPolicy {
        retry: RetryPolicy {
            max_elapsed: Duration::from_secs(5),
            ..quick()
        },
        ..RequestPolicy::default()
    });
    let err = rt
        .call_operation(
            &client,
            &sandbox.base_url("pandapon"),
            &PROVIDER,
            &read,
            &[("orderId", "1")],
            None,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::HttpStatus { status: 429, .. }));
    assert_eq!(sandbox.hits("order_pay_url"), 3);
    assert_eq!(timer.sleeps(), [Duration::from_secs(1)], "no second wait");
}

#[tokio::test]
async fn dropped_connections_are_retried_only_for_reads() {
    let sandbox = sourcing_sandbox::Sandbox::start().await.unwrap();
    sandbox.seed_order("1");
    let real = pandapon::operations::find("order_pay_url").unwrap();
    let rt = Runtime::new(AccessKeySigner::new(
        sourcing_sandbox::credentials::access_key(),
    ))
    .with_policy(RequestPolicy {
        retry: quick(),
        ..RequestPolicy::default()
    })
    .with_timer(Arc::new(VirtualTimer::new()));
    let client = rt.http_client();
    // A payment declared idempotent is still sent once: only the effect decides retries.
    for (effect, expected_hits) in [(Effect::Read, 3), (Effect::Pay, 1)] {
        let before = sandbox.hits("order_pay_url");
        sandbox.inject(sourcing_sandbox::FaultRule::times(
            Some("order_pay_url"),
            sourcing_sandbox::Fault::DropConnection,
            2,
        ));
        let o = Operation {
            effect,
            idempotent: true,
            ..*real
        };
        let r = rt
            .call_operation(
                &client,
                &sandbox.base_url("pandapon"),
                &PROVIDER,
                &o,
                &[("orderId", "1")],
                None,
            )
            .await;
        assert_eq!(
            sandbox.hits("order_pay_url") - before,
            expected_hits,
            "{effect:?}"
        );
        assert_eq!(r.is_ok(), effect == Effect::Read, "{r:?}");
        sandbox.clear_faults();
    }
}

/// Server-side attempts per operation class under each fault, against the sandbox with real operations:
/// reads (`goods_keyword_search`, `v2_taobao_goods_get`) are retried up to the policy's 3 attempts; order
/// creation and payment (`order_create`, `order_pay_url`, `order_batch_submit_to_pay`) are sent once.
#[tokio::test]
async fn attempts_per_operation_class_under_each_fault() {
    use sourcing_sandbox::{Fault, FaultRule, Sandbox, SandboxSigner};
    let sandbox = Sandbox::start().await.unwrap();
    let base = sandbox.base_url("pandapon");
    let rt = Runtime::new(SandboxSigner::new())
        .with_policy(RequestPolicy {
            timeout: Duration::from_millis(300),
            retry: quick(),
            ..RequestPolicy::default()
        })
        .with_timer(Arc::new(VirtualTimer::new()));
    let client = pandapon::Client::with_runtime(&base, rt);
    let faults = [
        (
            "503",
            Fault::Status {
                status: 503,
                retry_after: None,
            },
        ),
        (
            "502",
            Fault::Status {
                status: 502,
                retry_after: None,
            },
        ),
        (
            "429",
            Fault::Status {
                status: 429,
                retry_after: Some(0),
            },
        ),
        ("drop", Fault::DropConnection),
        ("timeout", Fault::Latency(Duration::from_secs(1))),
    ];
    let ops = [
        "goods_keyword_search",
        "v2_taobao_goods_get",
        "order_create",
        "order_pay_url",
        "order_batch_submit_to_pay",
    ];
    let mut matrix = Vec::new();
    for (name, fault) in &faults {
        for id in ops {
            let op = pandapon::operations::find(id).unwrap();
            let before = sandbox.hits(id);
            // Fail more often than the policy allows attempts: the count shows the policy, not the fault.
            sandbox.inject(FaultRule::times(Some(id), fault.clone(), 5));
            let query: Vec<(&str, &str)> = op
                .params
                .iter()
                .filter(|p| p.required && p.location == sourcing_runtime::ParamLocation::Query)
                .map(|p| (p.name, "1"))
                .collect();
            let body = op.has_body.then(|| {
                op.examples_of(sourcing_runtime::ExampleKind::Request)
                    .next()
                    .map(|e| serde_json::from_str(e.json).unwrap())
                    .unwrap_or(serde_json::json!({"flow": "general", "addressParam": {}, "cargoParamList": [], "orderIds": []}))
            });
            let result = client.call_operation(op, &query, body.as_ref()).await;
            assert!(result.is_err(), "{id} under {name}");
            let attempts = sandbox.hits(id) - before;
            let expected = if op.effect == Effect::Read { 3 } else { 1 };
            assert_eq!(
                attempts,
                expected,
                "{id} ({}) under {name}",
                op.effect.name()
            );
            matrix.push(format!("{name:>7} {id:<26} {attempts}"));
            sandbox.clear_faults();
        }
    }
    println!(
        "fault   operation                  attempts\n{}",
        matrix.join("\n")
    );
}

/// A sandbox and a runtime for it at 2 calls per second without burst, on a virtual clock.
async fn budgeted() -> (sourcing_sandbox::Sandbox, Runtime, Arc<VirtualTimer>) {
    let sandbox = sourcing_sandbox::Sandbox::start().await.unwrap();
    let timer = Arc::new(VirtualTimer::new());
    let rt = Runtime::new(AccessKeySigner::new(
        sourcing_sandbox::credentials::access_key(),
    ))
    .with_policy(RequestPolicy {
        retry: quick(),
        rate: RateBudget {
            per_second: Some(2.0),
            burst: 1,
            ..RateBudget::default()
        },
        ..RequestPolicy::default()
    })
    .with_timer(timer.clone());
    (sandbox, rt, timer)
}

/// Ask for the payment link of a new order `id` as `op` (a link is given once per order).
async fn pay_url(
    sandbox: &sourcing_sandbox::Sandbox,
    rt: &Runtime,
    op: &Operation,
    id: &str,
) -> Result<Value, Error> {
    sandbox.seed_order(id);
    let client = rt.http_client();
    let base = sandbox.base_url("pandapon");
    rt.call_operation(&client, &base, &PROVIDER, op, &[("orderId", id)], None)
        .await
}

/// `order_pay_url` (a payment) declared a read, so it is retried.
fn pay_url_as_read() -> Operation {
    Operation {
        effect: Effect::Read,
        ..*pandapon::operations::find("order_pay_url").unwrap()
    }
}

/// Reads wait for the rate budget; the sandbox's `--fault order_pay_url=429:1` (a `429` with
/// `Retry-After: 1`, once) makes the read wait for the Retry-After and halves the rate afterwards.
#[tokio::test]
async fn reads_wait_for_the_rate_budget_and_a_429_slows_it() {
    let (sandbox, rt, timer) = budgeted().await;
    let ms = Duration::from_millis;
    let read = pay_url_as_read();
    pay_url(&sandbox, &rt, &read, "11").await.unwrap();
    pay_url(&sandbox, &rt, &read, "12").await.unwrap();
    assert_eq!(
        timer.sleeps(),
        [ms(500)],
        "the second read waited for budget"
    );

    sandbox.inject(sourcing_sandbox::FaultRule::parse("order_pay_url=429:1").unwrap());
    pay_url(&sandbox, &rt, &read, "13").await.unwrap();
    assert_eq!(
        sandbox.hits("order_pay_url"),
        4,
        "throttled once, then answered"
    );
    assert_eq!(
        timer.sleeps(),
        [ms(500), ms(500), ms(1000)],
        "budget, then the Retry-After (not the 5 ms backoff)"
    );

    // Slowed: the next read waits 1 s (1 per second), not 500 ms.
    pay_url(&sandbox, &rt, &read, "14").await.unwrap();
    assert_eq!(timer.sleeps()[3..], [ms(1000)]);
}

/// A payment waits for budget before its one attempt, and a `429` answer is returned at once, never
/// waited out into a retry; the `429` still delays the runtime's next call until its `Retry-After`.
#[tokio::test]
async fn a_payment_waits_for_budget_only_before_its_single_attempt() {
    let (sandbox, rt, timer) = budgeted().await;
    let ms = Duration::from_millis;
    let payment = pandapon::operations::find("order_pay_url").unwrap();
    assert_eq!(payment.effect, Effect::Pay);
    pay_url(&sandbox, &rt, &pay_url_as_read(), "15")
        .await
        .unwrap();

    sandbox.inject(sourcing_sandbox::FaultRule::parse("order_pay_url=429:1").unwrap());
    let err = pay_url(&sandbox, &rt, payment, "16").await.unwrap_err();
    assert!(
        matches!(err, Error::HttpStatus { status: 429, .. }),
        "{err:?}"
    );
    assert_eq!(
        sandbox.hits("order_pay_url"),
        2,
        "the payment was sent once"
    );
    assert_eq!(
        timer.sleeps(),
        [ms(500)],
        "waited for budget before sending, nothing after the 429"
    );

    pay_url(&sandbox, &rt, &pay_url_as_read(), "17")
        .await
        .unwrap();
    assert_eq!(
        timer.sleeps(),
        [ms(500), ms(1000)],
        "the next call waited for Retry-After"
    );
}
