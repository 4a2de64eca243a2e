//! The ledger at scale (issue 27, "Scale"): a ledger of 1,000,000 orders, 5,000,000 events and 1,000,000
//! callback inbox messages, and the latency (p50/p99 over `--runs` runs, default 200) of what a person or the
//! console asks of it, through the same functions the console and the CLI call:
//!
//! * the console's attention page (`attention_lists`: unknown outcomes, needs a person, reported not
//!   confirmed, dead letters; and its `charts`), an orders page filtered by provider and state (first page and
//!   a keyset page further down), an order's page (entry, timeline, its callbacks);
//! * `sourcing ledger list --state X --limit 100` (`Ledger::for_each`), `sourcing ledger show ID`
//!   (`Ledger::show` of a random order id);
//! * then the real binary, when built (`target/release/sourcing` or `SOURCING_BIN`): wall time of a few runs,
//!   and the maximum resident set size of `ledger list` over every order (from `/usr/bin/time -v`).
//!
//! The fill (bulk `INSERT … SELECT` in transactions of 50,000 orders, through the store) is the slow part: the
//! SQLite file is kept as `target/ledger-scale/ledger.db` and reused when present (delete it to refill);
//! opening it applies any newer migration first. With `SOURCING_TEST_POSTGRES_URL` set the same runs on
//! Postgres (filled once, reused when it already holds the orders).
//!
//! `cargo bench -p sourcing-tests --bench ledger_scale [-- --runs N]`. `EXPLAIN` plans of every query are
//! printed, and each full scan is flagged.

use sourcing_cli::console::{self, CONSOLE_PAGE};
use sourcing_ledger::{Dialect, Filter, Ledger, OrderState, Query, Store, Value};
use std::future::Future;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const ORDERS: i64 = 1_000_000;
/// Events per order (5,000,000 in all).
const EVENTS_PER_ORDER: i64 = 5;
/// Orders (with their events and callbacks) per fill transaction.
const CHUNK: i64 = 50_000;
const DAY_MS: i64 = 86_400_000;
/// Order creation times spread over this many days, ending at the fill.
const DAYS: i64 = 90;
/// A 19-digit order id is this plus the entry id.
const ORDER_ID_BASE: i64 = 3_300_000_000_000_000_000;

fn main() {
    let runs = std::env::args()
        .skip_while(|a| a != "--runs")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(200usize);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let path = sqlite_path();
    let url = format!("sqlite:{}", path.display());
    rt.block_on(async {
        let store = open_filled(&url, &path.with_extension("db.filled")).await;
        run("sqlite", store, runs).await;
        if let Ok(pg) = std::env::var("SOURCING_TEST_POSTGRES_URL") {
            let store = open_filled(&pg, &path.with_extension("postgres.none")).await;
            run("postgres", store, runs).await;
        }
    });
    binary(&url);
}

/// `$CARGO_TARGET_DIR/ledger-scale/ledger.db` (else the workspace's `target/`).
fn sqlite_path() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target")),
        PathBuf::from,
    );
    let dir = target.join("ledger-scale");
    std::fs::create_dir_all(&dir).expect("bench dir");
    dir.join("ledger.db")
}

/// Opens (migrating) the store at `url`, filling it first unless it already holds the orders.
async fn open_filled(url: &str, marker: &std::path::Path) -> Store {
    let started = Instant::now();
    let store = Store::open(url).await.expect("open the store");
    println!(
        "opened {} in {:.1} s (migrations included)",
        redact(url),
        started.elapsed().as_secs_f64()
    );
    let filled = match store.dialect() {
        Dialect::Sqlite => marker.exists(),
        Dialect::Postgres => count(&store, "ledger_orders").await >= ORDERS,
    };
    if !filled {
        fill(&store).await;
        if store.dialect() == Dialect::Sqlite {
            std::fs::write(marker, "filled\n").expect("marker");
        }
    }
    println!(
        "{}: {} orders, {} events, {} inbox messages",
        redact(url),
        count(&store, "ledger_orders").await,
        count(&store, "ledger_events").await,
        count(&store, "inbox_messages").await
    );
    store
}

fn redact(url: &str) -> &str {
    url.split_once('@').map_or(url, |(_, host)| host)
}

async fn count(store: &Store, table: &str) -> i64 {
    let rows = store
        .query(&format!("SELECT COUNT(*) FROM {table}"), &[])
        .await
        .expect("count");
    rows[0].int(0).expect("count")
}

/// Numbers `lo..=hi` as a derived table `n(i)`, in the store's dialect.
fn series(dialect: Dialect, lo: i64, hi: i64) -> String {
    match dialect {
        Dialect::Sqlite => format!(
            "(WITH RECURSIVE s(i) AS (SELECT {lo} UNION ALL SELECT i + 1 FROM s WHERE i < {hi}) SELECT i FROM s) AS n"
        ),
        Dialect::Postgres => format!("generate_series({lo}::bigint, {hi}::bigint) AS n(i)"),
    }
}

/// The state mix, by `r` (0‥999, a hash of the entry id): ~1% unknown, 45% paid, 45% received, the rest
/// created, failed, cancelled, merged, shipped.
const STATE_BY_R: &str = "CASE WHEN r < 7 THEN 'pay_unknown' WHEN r = 7 THEN 'create_unknown' \
     WHEN r = 8 THEN 'receipt_unknown' WHEN r = 9 THEN 'cancel_unknown' WHEN r < 20 THEN 'created' \
     WHEN r < 30 THEN 'pay_failed' WHEN r < 45 THEN 'cancelled' WHEN r < 47 THEN 'merged' \
     WHEN r < 50 THEN 'create_failed' WHEN r < 100 THEN 'shipped' WHEN r < 550 THEN 'paid' \
     ELSE 'received' END";

/// Bulk inserts through the store: orders `lo..=hi` per transaction, each with its events and one callback.
async fn fill(store: &Store) {
    let dialect = store.dialect();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64;
    let start = now - DAYS * DAY_MS;
    let started = Instant::now();
    for lo in (1..=ORDERS).step_by(CHUNK as usize) {
        let hi = (lo + CHUNK - 1).min(ORDERS);
        let mut tx = store.begin().await.expect("begin");
        tx.execute(&orders_sql(dialect, lo, hi, start), &[])
            .await
            .expect("orders");
        tx.execute(&events_sql(lo, hi), &[]).await.expect("events");
        tx.execute(&inbox_sql(dialect, lo, hi), &[])
            .await
            .expect("inbox");
        tx.commit().await.expect("commit");
        eprint!(
            "\rfilled {hi} of {ORDERS} orders ({:.0} s)",
            started.elapsed().as_secs_f64()
        );
    }
    eprintln!();
    if dialect == Dialect::Postgres {
        // Explicit ids: move the identity past them; and the statistics autovacuum would gather.
        store
            .execute(
                "SELECT setval(pg_get_serial_sequence('ledger_orders', 'entry_id'), (SELECT MAX(entry_id) FROM ledger_orders))",
                &[],
            )
            .await
            .expect("setval");
        store.execute("ANALYZE", &[]).await.expect("analyze");
    }
    println!(
        "filled {ORDERS} orders in {:.0} s",
        started.elapsed().as_secs_f64()
    );
}

fn orders_sql(dialect: Dialect, lo: i64, hi: i64, start: i64) -> String {
    let step = DAYS * DAY_MS / ORDERS;
    format!(
        "INSERT INTO ledger_orders (entry_id, provider, order_id, state, confirmed, origin, needs_person, draft, \
         external_order_id, amount, amount_unit, created_at_ms, updated_at_ms) \
         SELECT i, CASE i % 3 WHEN 0 THEN 'pandapon' WHEN 1 THEN 'dajisaas' ELSE 'xportcn' END, \
         CASE WHEN state = 'create_unknown' THEN NULL ELSE CAST({ORDER_ID_BASE} + i AS TEXT) END, state, \
         CASE WHEN r IN (50, 51, 100) AND i % 10 = 0 THEN 0 ELSE 1 END, \
         CASE WHEN r IN (50, 51, 100) AND i % 20 = 0 THEN 'callback' ELSE 'buy' END, \
         CASE WHEN r < 10 AND i % 250 = 3 THEN 'reconcile: the order read failed 3 times (HTTP 502)' END, \
         '{{\"items\":[{{\"sku\":\"' || (i % 9973) || '\",\"quantity\":2}}],\"address\":{{\"name\":\"Bench Buyer\",\"city\":\"Hangzhou\",\"line\":\"No. 1 Road\"}}}}', \
         'PO-' || i, CAST(1000 + r * 37 AS TEXT), 'fen', {start} + i * {step}, {start} + i * {step} + 3600000 \
         FROM (SELECT i, r, {STATE_BY_R} AS state FROM \
         (SELECT i, ((i * 2654435761) % 4294967296) / 4294968 AS r FROM {}) AS h) AS g",
        series(dialect, lo, hi)
    )
}

fn events_sql(lo: i64, hi: i64) -> String {
    let ks: Vec<String> = (1..=EVENTS_PER_ORDER)
        .map(|k| format!("SELECT {k} AS k"))
        .collect();
    format!(
        "INSERT INTO ledger_events (entry_id, at_ms, kind, source, state_after, amount, amount_unit, detail) \
         SELECT o.entry_id, o.created_at_ms + k.k * 60000, \
         CASE k.k WHEN 1 THEN 'create_requested' WHEN 2 THEN 'created' WHEN 3 THEN 'pay_requested' \
         WHEN 4 THEN 'paid' ELSE 'reconciled' END, \
         CASE k.k WHEN 5 THEN 'reconcile' ELSE 'buy' END, \
         CASE k.k WHEN 1 THEN 'previewed' WHEN 2 THEN 'created' WHEN 3 THEN 'created' WHEN 4 THEN 'paid' \
         ELSE o.state END, o.amount, o.amount_unit, \
         '{{\"code\":200,\"msg\":\"success\",\"data\":{{\"orderId\":\"' || COALESCE(o.order_id, '') || '\",\"status\":\"' || o.state || '\"}}}}' \
         FROM ledger_orders o, ({}) AS k WHERE o.entry_id BETWEEN {lo} AND {hi} ORDER BY o.entry_id, k.k",
        ks.join(" UNION ALL ")
    )
}

/// One callback per order, received after it; ~30 in all are dead letters.
fn inbox_sql(dialect: Dialect, lo: i64, hi: i64) -> String {
    let body = "'{\"event\":\"order_paid\",\"orderId\":\"' || COALESCE(order_id, '') || '\"}'";
    let body = match dialect {
        Dialect::Sqlite => format!("CAST({body} AS BLOB)"),
        Dialect::Postgres => format!("convert_to({body}, 'UTF8')"),
    };
    format!(
        "INSERT INTO inbox_messages (provider, dedup_key, kind, order_id, body, state, attempts, deliveries, \
         received_at_ms, due_at_ms, handled_at_ms, last_error) \
         SELECT provider, provider || ':' || entry_id || ':paid', 'order_paid', order_id, {body}, \
         CASE WHEN entry_id % 33331 = 7 THEN 'dead' ELSE 'done' END, \
         CASE WHEN entry_id % 33331 = 7 THEN 10 ELSE 1 END, 1, created_at_ms + 300000, created_at_ms + 300000, \
         created_at_ms + 300050, CASE WHEN entry_id % 33331 = 7 THEN 'handler: store failed' END \
         FROM ledger_orders WHERE entry_id BETWEEN {lo} AND {hi}"
    )
}

/// Latencies of `runs` runs of one query.
struct Stats {
    name: String,
    p50: Duration,
    p99: Duration,
    max: Duration,
    rows: usize,
}

impl Stats {
    fn print(&self, backend: &str) {
        println!(
            "| {backend} | {} | {:.2} | {:.2} | {:.2} | {} |",
            self.name,
            ms(self.p50),
            ms(self.p99),
            ms(self.max),
            self.rows
        );
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Runs `query(run)` `runs` times (after 3 unmeasured warm-up runs); `query` returns the rows it got.
async fn measure<F, Fut>(name: &str, runs: usize, mut query: F) -> Stats
where
    F: FnMut(u64) -> Fut,
    Fut: Future<Output = usize>,
{
    for i in 0..3 {
        query(u64::MAX - i).await;
    }
    let mut times = Vec::with_capacity(runs);
    let mut rows = 0;
    for run in 0..runs {
        let t = Instant::now();
        rows = query(run as u64).await;
        times.push(t.elapsed());
    }
    times.sort();
    let at = |q: f64| times[((times.len() as f64 * q).ceil() as usize).clamp(1, times.len()) - 1];
    Stats {
        name: name.into(),
        p50: at(0.50),
        p99: at(0.99),
        max: *times.last().expect("runs"),
        rows,
    }
}

/// A pseudo-random entry id for run `run` (a 64-bit mix: spread over the whole ledger).
fn entry_for(run: u64) -> i64 {
    let mut x = run.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 31;
    (x % ORDERS as u64) as i64 + 1
}

/// An order id that exists (entries whose create is unknown have none: the next entry's).
fn order_id_for(run: u64) -> String {
    (ORDER_ID_BASE + entry_for(run)).to_string()
}

async fn run(backend: &str, store: Store, runs: usize) {
    explain(&store).await;
    let ledger = Ledger::new(store.clone());
    let store = &store;
    let ledger = &ledger;
    println!("\n| backend | query | p50 ms | p99 ms | max ms | rows |\n|---|---|---|---|---|---|");
    let mut all = vec![
        measure("console: attention lists (4 queries)", runs, |_| async {
            let lists = console::attention_lists(store).await.expect("attention");
            lists.sections.iter().map(Vec::len).sum::<usize>() + lists.dead.len()
        })
        .await,
        measure("console: attention charts (3 queries)", runs, |_| async {
            console::charts(store).await.expect("charts").len()
        })
        .await,
    ];
    for (provider, state) in [
        ("dajisaas", "paid"),
        ("xportcn", "pay_unknown"),
        ("pandapon", "needs_person"),
    ] {
        for deep in [false, true] {
            let name = format!(
                "console: /orders?provider={provider}&state={state}{}",
                if deep { "&before=<random>" } else { "" }
            );
            all.push(
                measure(&name, runs, |run| async move {
                    let before = deep.then(|| entry_for(run));
                    let (condition, params) =
                        console::orders_filter(Some(provider), Some(state), None, None, before)
                            .expect("filter");
                    console::orders(store, &condition, &params, CONSOLE_PAGE)
                        .await
                        .expect("orders")
                        .len()
                })
                .await,
            );
        }
    }
    all.push(
        measure(
            "console: /orders/<random entry> (entry, timeline, callbacks)",
            runs,
            |run| async move {
                let entry = entry_for(run);
                let rows = console::orders(store, "entry_id = $1", &[Value::Int(entry)], 1)
                    .await
                    .expect("entry");
                let events = ledger.history(entry).await.expect("history");
                let order_id = (ORDER_ID_BASE + entry).to_string();
                let provider = ["pandapon", "dajisaas", "xportcn"][(entry % 3) as usize];
                let callbacks = console::messages(
                    store,
                    "order_id = $1 AND provider = $2",
                    &[order_id.as_str().into(), provider.into()],
                    CONSOLE_PAGE,
                )
                .await
                .expect("callbacks");
                rows.len() + events.len() + callbacks.len()
            },
        )
        .await,
    );
    all.push(
        measure("ledger show <random order id>", runs, |run| async move {
            match ledger.show(&order_id_for(run), None).await {
                Ok((_, events)) => 1 + events.len(),
                // A `create_unknown` entry has no order id.
                Err(sourcing_ledger::LedgerError::UnknownOrder { .. }) => 0,
                Err(e) => panic!("show: {e}"),
            }
        })
        .await,
    );
    for state in ["pay_unknown", "unknown", "needs_person", "reported"] {
        let name = format!("ledger list --state {state} --limit 100");
        all.push(
            measure(&name, runs, |_| async move {
                let mut query = Query::new(Filter::parse(state).expect("filter"));
                query.limit = Some(100);
                let mut n = 0;
                ledger
                    .for_each(&query, |entry| {
                        n += serde_json::to_string(&entry).map_or(0, |_| 1);
                        true
                    })
                    .await
                    .expect("list");
                n
            })
            .await,
        );
    }
    println!();
    for stats in &all {
        stats.print(backend);
    }
}

/// Migration 4's partial indexes: a scan of one reads only the rows it holds.
const PARTIAL: [&str; 5] = [
    "ledger_orders_needing_a_person",
    "ledger_orders_needing_a_person_by_provider",
    "ledger_orders_reported",
    "ledger_orders_reported_by_provider",
    "inbox_messages_dead",
];

/// The console's and the CLI's statements (as they build them) with their plans; full scans flagged.
async fn explain(store: &Store) {
    let unknown: Vec<String> = OrderState::ALL
        .into_iter()
        .filter(|s| s.is_unknown())
        .map(|s| format!("'{}'", s.name()))
        .collect();
    let unknown = unknown.join(", ");
    let cols = "entry_id, provider, order_id, state";
    // The charts' first day: 14 days ago (console::charts).
    let today = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64
        / DAY_MS;
    let charts_from = (today - 13) * DAY_MS;
    let statements = [
        format!("SELECT {cols} FROM ledger_orders WHERE state IN ({unknown}) ORDER BY entry_id DESC LIMIT 50"),
        format!("SELECT {cols} FROM ledger_orders WHERE needs_person IS NOT NULL ORDER BY entry_id DESC LIMIT 50"),
        format!("SELECT {cols} FROM ledger_orders WHERE confirmed = 0 AND state <> 'merged' ORDER BY entry_id DESC LIMIT 50"),
        "SELECT id FROM inbox_messages WHERE state = 'dead' ORDER BY id DESC LIMIT 50".into(),
        format!("SELECT provider, created_at_ms / 86400000, COUNT(*) FROM ledger_orders WHERE created_at_ms >= {charts_from} AND 1 = 1 GROUP BY created_at_ms / 86400000, provider"),
        format!("SELECT provider, received_at_ms / 86400000, COUNT(*) FROM inbox_messages WHERE received_at_ms >= {charts_from} AND 1 = 1 GROUP BY received_at_ms / 86400000, provider"),
        format!("SELECT {cols} FROM ledger_orders WHERE 1 = 1 AND provider = 'dajisaas' AND state = 'paid' AND entry_id < 500000 ORDER BY entry_id DESC LIMIT 50"),
        format!("SELECT {cols} FROM ledger_orders WHERE 1 = 1 AND provider = 'pandapon' AND needs_person IS NOT NULL ORDER BY entry_id DESC LIMIT 50"),
        "SELECT id FROM inbox_messages WHERE order_id = '3300000000000000001' AND provider = 'dajisaas' ORDER BY id DESC LIMIT 50".into(),
        format!("SELECT {cols} FROM ledger_orders WHERE order_id = '3300000000000000001' ORDER BY entry_id"),
        "SELECT event_id FROM ledger_events WHERE entry_id = 1 ORDER BY event_id".into(),
        format!("SELECT {cols} FROM ledger_orders WHERE state = 'pay_unknown' AND entry_id > 0 ORDER BY entry_id LIMIT 100"),
        format!("SELECT {cols} FROM ledger_orders WHERE needs_person IS NOT NULL AND entry_id > 0 ORDER BY entry_id LIMIT 100"),
        format!("SELECT {cols} FROM ledger_orders WHERE confirmed = 0 AND entry_id > 0 ORDER BY entry_id LIMIT 100"),
        format!("SELECT {cols} FROM ledger_orders WHERE entry_id > 0 ORDER BY entry_id LIMIT 500"),
    ];
    println!("\nQuery plans:");
    for sql in &statements {
        let plan = match store.dialect() {
            Dialect::Sqlite => store
                .query(&format!("EXPLAIN QUERY PLAN {sql}"), &[])
                .await
                .expect("explain")
                .iter()
                .map(|r| r.text(3).expect("detail"))
                .collect::<Vec<_>>(),
            Dialect::Postgres => store
                .query(&format!("EXPLAIN {sql}"), &[])
                .await
                .expect("explain")
                .iter()
                .map(|r| r.text(0).expect("plan"))
                .collect(),
        };
        // SQLite: `SCAN` walks a whole table or index, unless the index is partial (only the rows a person
        // must look at); Postgres: a sequential scan.
        let full = plan.iter().any(|line| {
            (line.starts_with("SCAN ") && !PARTIAL.iter().any(|p| line.ends_with(p)))
                || line.contains("Seq Scan")
        });
        println!(
            "{} {sql}\n    {}",
            if full { "FULL SCAN:" } else { "index:" },
            plan.join("\n    ")
        );
    }
}

/// The real binary: wall time of `ledger list --state pay_unknown --limit 100` and `ledger show`, and the
/// maximum resident set size of a full `ledger list`.
fn binary(url: &str) {
    let bin = std::env::var_os("SOURCING_BIN")
        .map(PathBuf::from)
        .or_else(|| {
            let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
                || PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target")),
                PathBuf::from,
            );
            Some(target.join("release/sourcing")).filter(|p| p.exists())
        });
    let Some(bin) = bin else {
        println!(
            "\n(no release `sourcing` binary: `cargo build --release -p sourcing-cli --bin sourcing`)"
        );
        return;
    };
    println!("\nThe binary ({}), wall time of 10 runs:", bin.display());
    let show_id = order_id_for(1);
    let commands: [&[&str]; 3] = [
        &[
            "ledger",
            "list",
            "--state",
            "pay_unknown",
            "--limit",
            "100",
            "-o",
            "json-lines",
        ],
        &[
            "ledger",
            "list",
            "--state",
            "needs_person",
            "--limit",
            "100",
            "-o",
            "json-lines",
        ],
        &["ledger", "show", &show_id],
    ];
    for args in commands {
        let mut times: Vec<Duration> = (0..10)
            .map(|_| {
                let t = Instant::now();
                let status = Command::new(&bin)
                    .args(args)
                    .args(["--store", url])
                    .stdout(Stdio::null())
                    .status()
                    .expect("run sourcing");
                assert!(status.success(), "sourcing {args:?}: {status}");
                t.elapsed()
            })
            .collect();
        times.sort();
        println!(
            "  sourcing {}: median {:.0} ms, max {:.0} ms",
            args.join(" "),
            ms(times[times.len() / 2]),
            ms(times[times.len() - 1])
        );
    }
    if !std::path::Path::new("/usr/bin/time").exists() {
        println!("(no /usr/bin/time: no RSS figures)");
        return;
    }
    for limit in ["1000", "1000000"] {
        let t = Instant::now();
        let out = Command::new("/usr/bin/time")
            .arg("-v")
            .arg(&bin)
            .args([
                "ledger",
                "list",
                "--limit",
                limit,
                "-o",
                "json-lines",
                "--store",
                url,
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .expect("run /usr/bin/time");
        let elapsed = t.elapsed();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let rss = stderr
            .lines()
            .find_map(|l| {
                l.trim()
                    .strip_prefix("Maximum resident set size (kbytes): ")
            })
            .unwrap_or("?");
        println!(
            "  sourcing ledger list --limit {limit} -o json-lines: {:.1} s, max RSS {rss} kB ({})",
            elapsed.as_secs_f64(),
            out.status
        );
    }
}
