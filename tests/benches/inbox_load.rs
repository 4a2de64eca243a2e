//! Load benchmark of callback acknowledgement on loopback: concurrent vendors pushing distinct callbacks to
//! the in-memory receiver, the durable inbox on SQLite (a temp file, `synchronous=FULL`) and, when
//! `SOURCING_TEST_POSTGRES_URL` names a database, on Postgres — in one run. A worker with a no-op handler runs
//! beside each inbox (as in production, it competes for the database). Reports acknowledged callbacks/s and ack
//! latency p50/p99.
//! `cargo bench -p sourcing-tests --bench inbox_load [-- <clients> <callbacks per client>]`.

use sourcing_ledger::Store;
use sourcing_webhooks::inbox::InboxReceiver;
use sourcing_webhooks::{Callback, HandlerError, Receiver, formats};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::net::TcpListener;

const FIXTURE: &str =
    include_str!("../../vendor-docs/examples/xportcn/webhook-order-create.request.json");
const FIXTURE_ORDER_ID: &str = "3305075341149134260";

async fn noop(_cb: Callback) -> Result<(), HandlerError> {
    Ok(())
}

/// Pushes `clients × per_client` distinct callbacks to `url`; every one must be acknowledged with 200.
async fn push(url: String, clients: usize, per_client: usize) -> (Duration, Vec<Duration>) {
    // Distinct across runs too (a Postgres database keeps earlier runs' messages).
    let run = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
        % 100_000_000_000;
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let (url, client) = (url.clone(), reqwest::Client::new());
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(per_client);
                for i in 0..per_client {
                    let order_id = format!("{run:011}{:08}", c * per_client + i);
                    let body = FIXTURE.replace(FIXTURE_ORDER_ID, &order_id);
                    let t = Instant::now();
                    let res = client
                        .post(&url)
                        .header("content-type", "application/json")
                        .body(body)
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(
                        res.status(),
                        200,
                        "{}",
                        res.text().await.unwrap_or_default()
                    );
                    latencies.push(t.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut all = Vec::with_capacity(clients * per_client);
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    (started.elapsed(), all)
}

fn report(name: &str, (elapsed, mut all): (Duration, Vec<Duration>), clients: usize) {
    all.sort();
    let pct = |p: f64| all[((all.len() as f64 - 1.0) * p) as usize];
    println!(
        "{name:<34} {clients} clients, {} callbacks in {:.2?}: {:>6.0} acks/s, p50 {:>9.2?}, p99 {:>9.2?}, max {:>9.2?}",
        all.len(),
        elapsed,
        all.len() as f64 / elapsed.as_secs_f64(),
        pct(0.5),
        pct(0.99),
        all[all.len() - 1]
    );
}

async fn bind() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    (listener, url)
}

/// The inbox on `store_url`, with a worker running beside the receiver (as in production) or without (the
/// acknowledgement path alone).
async fn durable(
    name: &str,
    store_url: &str,
    with_worker: bool,
    clients: usize,
    per_client: usize,
) {
    let store = Arc::new(Store::open(store_url).await.unwrap());
    let receiver = InboxReceiver::new(store.clone(), formats::xportcn());
    let worker = receiver.worker(noop);
    let (listener, url) = bind().await;
    tokio::spawn(receiver.serve_on(listener, std::future::pending()));
    let working = with_worker.then(|| tokio::spawn(worker.run(std::future::pending())));
    push(url.clone(), 4, 25).await; // warm-up
    let name = format!(
        "{name}, {}",
        if with_worker {
            "worker on"
        } else {
            "no worker"
        }
    );
    report(&name, push(url, clients, per_client).await, clients);
    if let Some(working) = working {
        working.abort();
    }
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let clients = args.first().copied().unwrap_or(32);
    let per_client = args.get(1).copied().unwrap_or(200);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let (listener, url) = bind().await;
        tokio::spawn(
            Receiver::new(formats::xportcn(), noop).serve_on(listener, std::future::pending()),
        );
        push(url.clone(), 4, 25).await;
        report(
            "in-memory receiver",
            push(url, clients, per_client).await,
            clients,
        );

        let dir = std::env::temp_dir().join(format!("inbox-load-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for with_worker in [false, true] {
            let file = dir.join(format!("inbox-{with_worker}.db"));
            let url = format!("sqlite:{}", file.display());
            durable("inbox on SQLite", &url, with_worker, clients, per_client).await;
        }
        let _ = std::fs::remove_dir_all(&dir);

        match std::env::var("SOURCING_TEST_POSTGRES_URL") {
            Ok(url) => {
                for with_worker in [false, true] {
                    durable("inbox on Postgres", &url, with_worker, clients, per_client).await;
                }
            }
            Err(_) => {
                println!("inbox on Postgres: skipped (SOURCING_TEST_POSTGRES_URL is not set)")
            }
        }
    });
}
