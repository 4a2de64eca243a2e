//! What the ledger adds to an order step, on each backend: a bounded run (not a timed test) of
//! `Journal::before` + `Journal::after` (two durable transactions: the intent, then the outcome) and of
//! `record_callback` (one), each on a fresh order. SQLite in a temporary file (WAL, `synchronous=FULL`);
//! Postgres when `SOURCING_TEST_POSTGRES_URL` names one (`eval "$(.ci/postgres.sh start)"`).
//!
//! `cargo bench -p sourcing-ledger --features postgres --bench ledger`

use sourcing_buy::journal::{Intent, Outcome};
use sourcing_buy::{Error, Journal, Step};
use sourcing_ledger::{CallbackReport, Ledger};
use std::time::{Duration, Instant};

const STEPS: usize = 400;

fn summary(name: &str, backend: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let total: Duration = samples.iter().sum();
    let at = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)];
    println!(
        "{backend:<9} {name:<40} {:>7.0} /s  p50 {:>7.2} ms  p99 {:>7.2} ms",
        samples.len() as f64 / total.as_secs_f64(),
        at(0.50).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
    );
}

async fn run(backend: &str, url: &str) {
    let ledger = Ledger::open(url).await.expect("open the store");
    let unknown = Error::InvalidInput {
        provider: sourcing_buy::providers::PANDAPON,
        step: Step::Pay,
        message: "bench".into(),
    };
    let base = 3_305_075_341_149_000_000u64 + (std::process::id() as u64) * 10_000;
    let mut samples = Vec::with_capacity(STEPS);
    for i in 0..STEPS {
        let order_id = sourcing_buy::OrderId::new((base + i as u64).to_string());
        let intent = Intent::Pay {
            order_id: &order_id,
        };
        let started = Instant::now();
        let ticket = ledger
            .before(sourcing_buy::providers::PANDAPON, &intent)
            .await
            .unwrap();
        ledger
            .after(
                sourcing_buy::providers::PANDAPON,
                ticket,
                &intent,
                Outcome::Unknown(&unknown),
            )
            .await;
        samples.push(started.elapsed());
    }
    summary("pay journaled (intent + outcome)", backend, samples);

    let mut samples = Vec::with_capacity(STEPS);
    for i in 0..STEPS {
        let order_id = (base + 5_000 + i as u64).to_string();
        let report = CallbackReport {
            provider: "pandapon",
            order_id: &order_id,
            status: Some("WAITING_FOR_SENT"),
            message_type: "ORDER_PAY_SUCCESS",
            body: "{}",
        };
        let started = Instant::now();
        ledger.record_callback(&report).await.unwrap();
        samples.push(started.elapsed());
    }
    summary("callback recorded (new order)", backend, samples);
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = std::env::temp_dir().join(format!("sourcing-ledger-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    rt.block_on(run(
        "sqlite",
        &format!("sqlite:{}", dir.join("bench.db").display()),
    ));
    match std::env::var("SOURCING_TEST_POSTGRES_URL") {
        Ok(url) if cfg!(feature = "postgres") => rt.block_on(run("postgres", &url)),
        _ => println!(
            "postgres: skipped (SOURCING_TEST_POSTGRES_URL unset or built without `postgres`)"
        ),
    }
    let _ = std::fs::remove_dir_all(dir);
}
