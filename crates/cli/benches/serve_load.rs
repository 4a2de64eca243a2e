//! Load on one `sourcing serve` (SQLite): console pages loaded by 50 clients at once while the callback
//! receiver is sent ~1,000 Xportcn callbacks a second, for 10 s. Prints, per page, p50/p99/max of the load
//! time; the callbacks sent, stored and refused, the rate stored, their latency; and what the inbox
//! workers had left at the end. No assertion: a measurement (docs/PERFORMANCE.md, "serve under load").
//!
//! ```sh
//! cargo bench -p sourcing-cli --bench serve_load [-- --seconds 10 --rate 1000 --clients 50 --store sqlite:PATH]
//! ```
//!
//! The server is the binary cargo built with the bench, or `SOURCING_BIN` (e.g. `target/release/sourcing`,
//! to load a release server from a quicker-to-build debug bench: `cargo build -p sourcing-cli --bench
//! serve_load` and run `target/debug/deps/serve_load-*`). `--store` defaults to a fresh SQLite file; give the scale bench's 1,000,000-order ledger to load the
//! console at scale. The callback sender is open-loop (a callback every `1/rate` s, whatever the answers),
//! at most 512 in flight.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, Semaphore};

/// The console pages the clients load in turn.
const PAGES: [&str; 3] = ["/", "/orders", "/inbox"];

struct Options {
    seconds: u64,
    rate: u64,
    clients: usize,
    store: Option<String>,
}

fn options() -> Options {
    let mut o = Options {
        seconds: 10,
        rate: 1000,
        clients: 50,
        store: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().expect("a value after the option");
        match arg.as_str() {
            "--seconds" => o.seconds = value().parse().expect("--seconds N"),
            "--rate" => o.rate = value().parse().expect("--rate N"),
            "--clients" => o.clients = value().parse().expect("--clients N"),
            "--store" => o.store = Some(value()),
            _ => {} // cargo's `--bench`
        }
    }
    o
}

/// `sourcing serve` on `store`, and the address it listens on.
fn start(store: &str) -> (Child, String) {
    let binary =
        std::env::var("SOURCING_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_sourcing").into());
    let mut child = Command::new(&binary)
        .args(["serve", "--store", store, "--port", "0"])
        .args(["--reconcile-every", "0", "--max-connections", "2048"])
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start sourcing serve");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("serve said where it listens")
            .expect("a line");
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.split(' ').next().unwrap_or_default().to_owned();
        }
    };
    // Keep reading stderr so that serve never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines.by_ref() {});
    (child, addr)
}

/// The `q` quantile of `sorted`, in ms.
fn quantile(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

fn summary(name: &str, mut times: Vec<Duration>) {
    times.sort();
    println!(
        "{name:<12} {:>7}  p50 {:>7.1} ms  p99 {:>7.1} ms  max {:>7.1} ms",
        times.len(),
        quantile(&times, 0.5),
        quantile(&times, 0.99),
        quantile(&times, 1.0),
    );
}

/// One client: loads the pages in turn until `until`; each load's page index and time.
async fn client(
    http: reqwest::Client,
    base: String,
    first: usize,
    until: Instant,
    failed: Arc<AtomicU64>,
) -> Vec<(usize, Duration)> {
    let mut out = Vec::new();
    let mut page = first;
    while Instant::now() < until {
        let started = Instant::now();
        let ok = match http.get(format!("{base}{}", PAGES[page])).send().await {
            Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
            Err(_) => false,
        };
        if ok {
            out.push((page, started.elapsed()));
        } else {
            failed.fetch_add(1, Ordering::Relaxed);
        }
        page = (page + 1) % PAGES.len();
    }
    out
}

/// What the callback sender saw.
#[derive(Default)]
struct Sent {
    stored: AtomicU64,
    /// Not a `200`: by status (`0`: no answer).
    refused: Mutex<std::collections::BTreeMap<u16, u64>>,
    times: Mutex<Vec<Duration>>,
}

/// Sends callbacks every `1/rate` s until `until` (at most 512 in flight); the number sent.
async fn send_callbacks(
    http: reqwest::Client,
    url: String,
    rate: u64,
    until: Instant,
    sent: Arc<Sent>,
) -> u64 {
    let fixture = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../vendor-docs/examples/xportcn/webhook-order-create.request.json"),
    )
    .expect("the Xportcn callback example");
    let in_flight = Arc::new(Semaphore::new(512));
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate.max(1) as f64));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let base = 1_000_000_000_000_000_000u64 + u64::from(std::process::id()) * 1_000_000_000;
    let mut n = 0u64;
    let mut tasks = tokio::task::JoinSet::new();
    while Instant::now() < until {
        tick.tick().await;
        let Ok(permit) = in_flight.clone().acquire_owned().await else {
            break;
        };
        n += 1;
        let body = fixture.replace("3305075341149134260", &(base + n).to_string());
        let (http, url, sent) = (http.clone(), url.clone(), sent.clone());
        tasks.spawn(async move {
            let started = Instant::now();
            let status = match http
                .post(&url)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
            {
                Ok(r) => r.status().as_u16(),
                Err(_) => 0,
            };
            if status == 200 {
                sent.stored.fetch_add(1, Ordering::Relaxed);
            } else {
                *sent.refused.lock().await.entry(status).or_default() += 1;
            }
            sent.times.lock().await.push(started.elapsed());
            drop(permit);
        });
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
    n
}

/// The value of the first sample of `/metrics` starting with `prefix`.
fn metric(text: &str, prefix: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix(prefix))
        .map_or("0".into(), |v| v.trim().to_owned())
}

#[tokio::main]
async fn main() {
    let o = options();
    let dir = std::env::temp_dir().join(format!("sourcing-serve-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let store = o
        .store
        .clone()
        .unwrap_or_else(|| format!("sqlite:{}", dir.join("ledger.db").display()));
    let (mut child, addr) = start(&store);
    let base = format!("http://{addr}");
    println!(
        "{} serve on {store}: {} clients loading {PAGES:?} in turn, callbacks at {}/s, {} s",
        std::env::var("SOURCING_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_sourcing").into()),
        o.clients,
        o.rate,
        o.seconds
    );
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(1024)
        .build()
        .expect("an HTTP client");
    let started = Instant::now();
    let until = started + Duration::from_secs(o.seconds);
    let failed = Arc::new(AtomicU64::new(0));
    let clients: Vec<_> = (0..o.clients)
        .map(|i| {
            tokio::spawn(client(
                http.clone(),
                base.clone(),
                i % PAGES.len(),
                until,
                failed.clone(),
            ))
        })
        .collect();
    let sent = Arc::new(Sent::default());
    let callbacks = tokio::spawn(send_callbacks(
        http.clone(),
        format!("{base}/callbacks/xportcn"),
        o.rate,
        until,
        sent.clone(),
    ));
    let mut loads: Vec<Vec<Duration>> = vec![Vec::new(); PAGES.len()];
    for c in clients {
        for (page, took) in c.await.expect("a client") {
            loads[page].push(took);
        }
    }
    let sent_n = callbacks.await.expect("the sender");
    let elapsed = started.elapsed().as_secs_f64();

    println!(
        "page loads (ok; {} failed):",
        failed.load(Ordering::Relaxed)
    );
    let all: Vec<Duration> = loads.iter().flatten().copied().collect();
    for (page, times) in PAGES.iter().zip(loads) {
        summary(page, times);
    }
    println!(
        "all pages: {:.0} loads/s",
        all.len() as f64 / o.seconds as f64
    );
    summary("every page", all);
    let stored = sent.stored.load(Ordering::Relaxed);
    println!(
        "callbacks: {sent_n} sent, {stored} answered 200, the others by status (0: no answer) {:?}; \
         {:.0} stored/s over {elapsed:.1} s",
        sent.refused.lock().await,
        stored as f64 / elapsed,
    );
    summary("callback", std::mem::take(&mut *sent.times.lock().await));
    if let Ok(r) = http.get(format!("{base}/metrics")).send().await
        && let Ok(text) = r.text().await
    {
        println!(
            "at the end: inbox pending {}, handled ok {}, dead letters {}",
            metric(
                &text,
                "sourcing_inbox_messages{provider=\"xportcn\",state=\"pending\"}"
            ),
            metric(
                &text,
                "sourcing_inbox_handled_total{provider=\"xportcn\",outcome=\"ok\"}"
            ),
            metric(&text, "sourcing_inbox_dead_letters"),
        );
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    if o.store.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
}
