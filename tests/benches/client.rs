//! Client overhead benchmarks (issue 8). `cargo bench -p sourcing-tests --bench client`.
//!
//! - signing per scheme;
//! - building, signing and encoding a typical request;
//! - decoding a typical and a large response into generated types vs hand-written serde structs;
//! - a full signed call through the generated client vs the same call written by hand with reqwest +
//!   serde_json (request timeout, random nonce), against the same loopback server, in one run.

mod common;

use common::{
    HandBatch, HandEnvelope, HandNonce, HandPay, LenientBatch, LenientEnvelope, LenientPay,
    PAY_BODY, batch_body,
};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use sourcing_runtime::time::FixedClock;
use sourcing_runtime::{
    AccessKeyCredentials, AccessKeySigner, AuthStyle, FixedNonce, PandaponEnvelope, SignContext,
    Signer, access_key_signature,
};
use std::hint::black_box;

fn signing(c: &mut Criterion) {
    let mut g = c.benchmark_group("signing");
    g.bench_function("access_key_v1_formula", |b| {
        b.iter(|| {
            access_key_signature(
                black_box("58c0201dfdf148eca63cbf6bb5e7cf03"),
                black_box("1715669977082"),
                Some(black_box("abcdefghijklmnopqrstuvwxyz012345")),
                black_box("secret"),
            )
        })
    });
    let signer = AccessKeySigner::new(AccessKeyCredentials::new(
        "58c0201dfdf148eca63cbf6bb5e7cf03",
        "secret",
        "2100007341207",
    ));
    for (name, auth) in [
        ("access_key_v1_request", AuthStyle::AccessKeyV1),
        ("access_key_v2_request", AuthStyle::AccessKeyV2),
    ] {
        let template = reqwest::Request::new(
            reqwest::Method::GET,
            "http://127.0.0.1/alibaba/order/pay/url?orderId=1"
                .parse()
                .unwrap(),
        );
        g.bench_function(name, |b| {
            b.iter_batched(
                || template.try_clone().unwrap(),
                |mut req| {
                    signer
                        .sign(
                            &mut req,
                            &SignContext {
                                operation: "order_pay_url",
                                auth,
                            },
                        )
                        .unwrap()
                },
                criterion::BatchSize::SmallInput,
            )
        });
    }
    g.finish();
}

fn build_sign_encode(c: &mut Criterion) {
    let signer = AccessKeySigner::new(AccessKeyCredentials::new("ak", "secret", "u"))
        .with_clock(FixedClock(1_715_669_977_082))
        .with_nonce_source(FixedNonce("abcdefghijklmnopqrstuvwxyz012345".into()));
    let http = reqwest::Client::new();
    let ids: Vec<String> = (0..9)
        .map(|i| (2059624776425880794u64 + i).to_string())
        .collect();
    c.bench_function("request/build_sign_encode_batch_submit", |b| {
        b.iter(|| {
            let body = pandapon::types::BatchSubmitToPayRequest::builder().order_ids(ids.clone());
            let body: pandapon::types::BatchSubmitToPayRequest = body.try_into().unwrap();
            let mut req = http
                .post("http://127.0.0.1/alibaba/order/batch/submit/to/pay")
                .json(&body)
                .build()
                .unwrap();
            signer
                .sign(
                    &mut req,
                    &SignContext {
                        operation: "order_batch_submit_to_pay",
                        auth: AuthStyle::AccessKeyV1,
                    },
                )
                .unwrap();
            black_box(req)
        })
    });
}

/// Decoding into the generated types, into hand-written structs with the same tolerance for ids
/// (`hand_written_lenient`, the target) and into hand-written structs with plain `String`/`u64` ids that
/// reject the other form (`hand_written`, for reference), side by side in one run.
fn decode(c: &mut Criterion) {
    let mut g = c.benchmark_group("decode");
    let large = batch_body(100);
    for (name, body) in [
        ("pay_result", PAY_BODY.to_string()),
        ("batch_100_orders", large),
    ] {
        let bytes = body.as_bytes();
        g.bench_with_input(BenchmarkId::new("generated", name), bytes, |b, bytes| {
            if name == "pay_result" {
                b.iter(|| {
                    serde_json::from_slice::<PandaponEnvelope<pandapon::types::OrderPayResult>>(
                        black_box(bytes),
                    )
                    .unwrap()
                })
            } else {
                b.iter(|| {
                    serde_json::from_slice::<
                        PandaponEnvelope<pandapon::types::BatchSubmitToPayResult>,
                    >(black_box(bytes))
                    .unwrap()
                })
            }
        });
        g.bench_with_input(
            BenchmarkId::new("hand_written_lenient", name),
            bytes,
            |b, bytes| {
                if name == "pay_result" {
                    b.iter(|| {
                        serde_json::from_slice::<LenientEnvelope<LenientPay>>(black_box(bytes))
                            .unwrap()
                    })
                } else {
                    b.iter(|| {
                        serde_json::from_slice::<LenientEnvelope<LenientBatch>>(black_box(bytes))
                            .unwrap()
                    })
                }
            },
        );
        g.bench_with_input(BenchmarkId::new("hand_written", name), bytes, |b, bytes| {
            if name == "pay_result" {
                b.iter(|| {
                    serde_json::from_slice::<HandEnvelope<HandPay>>(black_box(bytes)).unwrap()
                })
            } else {
                b.iter(|| {
                    serde_json::from_slice::<HandEnvelope<HandBatch>>(black_box(bytes)).unwrap()
                })
            }
        });
    }
    g.finish();
}

fn full_call(c: &mut Criterion) {
    let (rt, server) = common::serve_pay_answer();
    let base = server.base_url.clone();
    let generated = common::generated_client(&base);
    let http = common::hand_written_http();
    let hand = || common::hand_written_call(&http, &base, HandNonce::Random);

    let mut g = c.benchmark_group("full_call_order_pay_url");
    g.bench_function("generated_client", |b| {
        b.iter(|| rt.block_on(async { black_box(common::generated_call(&generated).await) }))
    });
    g.bench_function("hand_written_reqwest", |b| {
        b.iter(|| black_box(rt.block_on(hand())))
    });
    g.finish();

    // Median and p99 of interleaved single calls (criterion reports means of batches). The side that goes
    // first alternates, so neither always runs right after the other (warm caches, a just-freed connection).
    const N: usize = 20_000;
    let (mut gen_lat, mut hand_lat) = (Vec::with_capacity(N), Vec::with_capacity(N));
    for i in 0..N {
        let mut time_generated = || {
            let t = std::time::Instant::now();
            black_box(rt.block_on(common::generated_call(&generated)));
            gen_lat.push(t.elapsed());
        };
        let mut time_hand = || {
            let t = std::time::Instant::now();
            black_box(rt.block_on(hand()));
            hand_lat.push(t.elapsed());
        };
        if i % 2 == 0 {
            time_generated();
            time_hand();
        } else {
            time_hand();
            time_generated();
        }
    }
    let pct = |v: &mut Vec<std::time::Duration>, p: f64| {
        v.sort();
        v[((v.len() as f64 - 1.0) * p) as usize]
    };
    let (g50, g99, h50, h99) = (
        pct(&mut gen_lat, 0.5),
        pct(&mut gen_lat, 0.99),
        pct(&mut hand_lat, 0.5),
        pct(&mut hand_lat, 0.99),
    );
    println!(
        "full_call percentiles over {N} interleaved calls: generated p50 {g50:?} p99 {g99:?}; hand-written p50 {h50:?} p99 {h99:?}; ratio p50 {:.3} p99 {:.3}",
        g50.as_secs_f64() / h50.as_secs_f64(),
        g99.as_secs_f64() / h99.as_secs_f64()
    );
}

criterion_group!(benches, signing, build_sign_encode, decode, full_call);
criterion_main!(benches);
