//! Load benchmark of the sandbox: concurrent signed clients on loopback, each request signed, verified,
//! validated and answered. Reports requests/s and p50/p99 latency.
//! `cargo bench -p sourcing-tests --bench sandbox_load [-- <clients> <requests per client>]`.

use sourcing_sandbox::{Sandbox, credentials};
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let clients = args.first().copied().unwrap_or(32);
    let per_client = args.get(1).copied().unwrap_or(500);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let sandbox = Sandbox::start().await.unwrap();
        let base = sandbox.base_url("pandapon");
        // Warm up connections and code paths.
        let warm = pandapon::Client::new(&base, credentials::access_key());
        for _ in 0..100 {
            warm.order_pay_url().order_id("1").send().await.unwrap();
        }
        let started = Instant::now();
        let tasks: Vec<_> = (0..clients)
            .map(|_| {
                let client = pandapon::Client::new(&base, credentials::access_key());
                tokio::spawn(async move {
                    let mut lat = Vec::with_capacity(per_client);
                    for i in 0..per_client {
                        let t = Instant::now();
                        if i % 2 == 0 {
                            client.order_pay_url().order_id("2257455039610311973").send().await.unwrap();
                        } else {
                            client
                                .order_batch_submit_to_pay()
                                .body(pandapon::types::BatchSubmitToPayRequest::builder().order_ids(vec!["2059624776425880794".to_string()]))
                                .send()
                                .await
                                .unwrap();
                        }
                        lat.push(t.elapsed());
                    }
                    lat
                })
            })
            .collect();
        let mut all: Vec<Duration> = Vec::with_capacity(clients * per_client);
        for t in tasks {
            all.extend(t.await.unwrap());
        }
        let elapsed = started.elapsed();
        all.sort();
        let pct = |p: f64| all[((all.len() as f64 - 1.0) * p) as usize];
        println!(
            "sandbox_load: {clients} concurrent signed clients x {per_client} requests = {} requests in {:.2?}: {:.0} req/s, p50 {:?}, p99 {:?}, max {:?}",
            all.len(),
            elapsed,
            all.len() as f64 / elapsed.as_secs_f64(),
            pct(0.5),
            pct(0.99),
            all[all.len() - 1]
        );
    });
}
