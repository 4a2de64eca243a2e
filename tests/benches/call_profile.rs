//! The full call of the `client` bench, one side only, for a profiler (valgrind's callgrind counts
//! instructions, so the figure does not depend on what else the machine runs):
//!
//! ```sh
//! cargo bench -p sourcing-tests --bench call_profile --no-run   # prints the binary's path
//! valgrind --tool=callgrind <binary> generated 2000
//! valgrind --tool=callgrind <binary> hand_written 2000
//! ```
//!
//! Instructions per call = (count with N calls − count with 0 calls) / N.

mod common;

use std::hint::black_box;

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let side = args.next().unwrap_or_else(|| "generated".into());
    let calls: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(1000);
    let (rt, server) = common::serve_pay_answer();
    let generated = common::generated_client(&server.base_url);
    let http = reqwest::Client::new();
    // What every layer awaiting a call embeds and moves.
    let generated_future = common::generated_call(&generated);
    let hand_future = common::hand_written_call(&http, &server.base_url);
    eprintln!(
        "future sizes: generated call {} bytes, hand-written call {} bytes",
        std::mem::size_of_val(&generated_future),
        std::mem::size_of_val(&hand_future)
    );
    drop((generated_future, hand_future));
    // One call of each first, so both connections are open before the counted calls.
    black_box(rt.block_on(common::generated_call(&generated)));
    black_box(rt.block_on(common::hand_written_call(&http, &server.base_url)));
    for _ in 0..calls {
        match side.as_str() {
            "generated" => black_box(rt.block_on(common::generated_call(&generated))).order_id,
            "hand_written" => {
                black_box(rt.block_on(common::hand_written_call(&http, &server.base_url)))
                    .and_then(|p| p.order_id)
            }
            other => panic!("side must be `generated` or `hand_written`, not `{other}`"),
        };
    }
}
