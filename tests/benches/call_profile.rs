//! The full call of the `client` bench, one side only, for a profiler (valgrind's callgrind counts
//! instructions, so the figure does not depend on what else the machine runs):
//!
//! ```sh
//! cargo bench -p sourcing-tests --bench call_profile --no-run   # prints the binary's path
//! valgrind --tool=callgrind <binary> generated 2000
//! valgrind --tool=callgrind <binary> hand_written 2000
//! valgrind --tool=callgrind <binary> hand_written_bare 2000
//! ```
//!
//! `hand_written` is the `client` bench's baseline (request timeout, random nonce); `hand_written_bare` is
//! the earlier one (no timeout, a fixed nonce), kept to compare with the figures measured against it.
//!
//! `decode_pay_generated`, `decode_pay_lenient`, `decode_batch_generated`, `decode_batch_lenient` count the
//! `decode` group's cases the same way.
//!
//! Instructions per call = (count with N calls − count with 0 calls) / N.

mod common;

use common::{HandNonce, LenientBatch, LenientEnvelope, LenientPay, PAY_BODY};
use pandapon::types::{BatchSubmitToPayResult, OrderPayResult};
use sourcing_runtime::PandaponEnvelope;
use std::hint::black_box;

/// One decode of the `client` bench's `decode` group; `None` keeps the match arms one type.
fn decode<T: serde::de::DeserializeOwned>(body: &str) -> Option<String> {
    black_box(serde_json::from_slice::<T>(black_box(body.as_bytes())).unwrap());
    None
}

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let side = args.next().unwrap_or_else(|| "generated".into());
    let calls: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(1000);
    let (rt, server) = common::serve_pay_answer();
    let generated = common::generated_client(&server.base_url);
    let http = common::hand_written_http();
    let bare_http = reqwest::Client::new();
    // What every layer awaiting a call embeds and moves.
    let generated_future = common::generated_call(&generated);
    let hand_future = common::hand_written_call(&http, &server.base_url, HandNonce::Random);
    eprintln!(
        "future sizes: generated call {} bytes, hand-written call {} bytes",
        std::mem::size_of_val(&generated_future),
        std::mem::size_of_val(&hand_future)
    );
    // The boxed call state and the progenitor future created inside it.
    let boxed = sourcing_runtime::__codegen::send(
        &pandapon::operations::PROVIDER,
        &pandapon::operations::ORDER_PAY_URL,
        || {
            generated
                .order_pay_url()
                .order_id(common::ORDER_ID)
                .send_raw()
        },
    );
    eprintln!(
        "boxed call state {} bytes, progenitor send_raw {} bytes",
        std::mem::size_of_val(&*boxed),
        std::mem::size_of_val(
            &generated
                .order_pay_url()
                .order_id(common::ORDER_ID)
                .send_raw()
        )
    );
    drop((generated_future, hand_future, boxed));
    // One call of each first, so both connections are open before the counted calls.
    black_box(rt.block_on(common::generated_call(&generated)));
    black_box(rt.block_on(common::hand_written_call(
        &http,
        &server.base_url,
        HandNonce::Random,
    )));
    black_box(rt.block_on(common::hand_written_call(
        &bare_http,
        &server.base_url,
        HandNonce::Fixed,
    )));
    let batch = common::batch_body(100);
    for _ in 0..calls {
        match side.as_str() {
            "decode_pay_generated" => decode::<PandaponEnvelope<OrderPayResult>>(PAY_BODY),
            "decode_pay_lenient" => decode::<LenientEnvelope<LenientPay>>(PAY_BODY),
            "decode_batch_generated" => decode::<PandaponEnvelope<BatchSubmitToPayResult>>(&batch),
            "decode_batch_lenient" => decode::<LenientEnvelope<LenientBatch>>(&batch),
            "generated" => black_box(rt.block_on(common::generated_call(&generated))).order_id,
            "hand_written" => black_box(rt.block_on(common::hand_written_call(
                &http,
                &server.base_url,
                HandNonce::Random,
            )))
            .and_then(|p| p.order_id),
            "hand_written_bare" => black_box(rt.block_on(common::hand_written_call(
                &bare_http,
                &server.base_url,
                HandNonce::Fixed,
            )))
            .and_then(|p| p.order_id),
            other => panic!("unknown side `{other}`"),
        };
    }
}
