//! `sourcing webhooks --store URL` end to end: the real binary, killed with SIGKILL at the bad moments (a
//! fault point pauses it there: `SOURCING_FAULT`), restarted, and the vendor's redelivery sent.
//! After it, every message is stored once, handled once (one ledger event), and acknowledged. Each test runs
//! on SQLite (a temp file) and on Postgres when one is given (`SOURCING_TEST_POSTGRES_URL`).

use sourcing_ledger::{Ledger, Store};
use sourcing_webhooks::inbox::{InboxEntry, InboxState, InboxStore};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::Duration;

const FIXTURE_ORDER_ID: &str = "3305075341149134260";

fn fixture() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../vendor-docs/examples/xportcn/webhook-order-create.request.json");
    std::fs::read_to_string(path).unwrap()
}

/// A callback about an order no other test uses (19 digits, unique per run and test).
fn callback() -> (String, String) {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let order_id = format!(
        "{:013}{:06}",
        millis % 10_000_000_000_000,
        (u64::from(std::process::id()) * 100 + next()) % 1_000_000
    );
    (fixture().replace(FIXTURE_ORDER_ID, &order_id), order_id)
}

/// The stores to run on: a fresh SQLite file, and a fresh schema on the test Postgres when one is given
/// (`SOURCING_TEST_POSTGRES_URL`, from `.ci/postgres.sh start`; required in CI).
fn store_urls() -> Vec<String> {
    runtime().block_on(crate::ledger::store_urls())
}

fn next() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One `sourcing webhooks --store` process; its stderr lines arrive on `lines`.
struct Receiver {
    child: Child,
    port: u16,
    lines: mpsc::Receiver<String>,
    /// Its stdout lines (one JSON line per new stored message).
    printed: mpsc::Receiver<String>,
}

impl Receiver {
    fn start(store: &str, fault: Option<&str>) -> Receiver {
        let port = free_port();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_sourcing"));
        cmd.args([
            "webhooks",
            "--provider",
            "xportcn",
            "--port",
            &port.to_string(),
            "--store",
            store,
        ])
        // A short lease, so a killed process's claim is taken over quickly.
        .args(["--lease-ms", "500"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_remove(sourcing_runtime::fault::FAULT_ENV);
        if let Some(point) = fault {
            cmd.env(sourcing_runtime::fault::FAULT_ENV, point);
        }
        let mut child = cmd.spawn().unwrap();
        let lines = forward(child.stderr.take().unwrap());
        let printed = forward(child.stdout.take().unwrap());
        let receiver = Receiver {
            child,
            port,
            lines,
            printed,
        };
        receiver.wait_for("receiving xportcn callbacks");
        receiver
    }

    fn wait_for(&self, text: &str) {
        loop {
            match self.lines.recv_timeout(Duration::from_secs(60)) {
                Ok(line) if line.contains(text) => return,
                Ok(_) => {}
                Err(e) => panic!("never printed `{text}`: {e}"),
            }
        }
    }

    /// Sends `body`; the status line of the answer, or `None` when the connection ended without one.
    fn post(&self, body: &str) -> Option<String> {
        post(self.port, body)
    }

    /// SIGKILL (what `Child::kill` sends on Unix): no destructor, no flush, no graceful shutdown.
    fn sigkill(mut self) {
        self.child_kill();
    }

    fn child_kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

/// A test that fails half-way still stops its receivers (a process left running would hold its port and
/// database file after the test binary exits).
impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn forward(from: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(from).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    rx
}

fn post(port: u16, body: &str) -> Option<String> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body.as_bytes()).unwrap();
    let mut reply = String::new();
    let _ = s.read_to_string(&mut reply);
    reply.lines().next().map(str::to_owned)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The inbox row of the callback about `order_id`.
fn inbox_row(store: &str, order_id: &str) -> Vec<InboxEntry> {
    runtime().block_on(async {
        let store = Store::open(store).await.unwrap();
        let ids = store
            .query(
                "SELECT id FROM inbox_messages WHERE order_id = $1",
                &[order_id.into()],
            )
            .await
            .unwrap();
        let mut rows = Vec::new();
        for id in ids {
            rows.push(store.get(id.int(0).unwrap()).await.unwrap().unwrap());
        }
        rows
    })
}

/// Callback events the ledger holds for `order_id`.
fn ledger_callback_events(store: &str, order_id: &str) -> usize {
    runtime().block_on(async {
        let ledger = Ledger::open(store).await.unwrap();
        match ledger.show(order_id, None).await {
            Ok((_, events)) => events.iter().filter(|e| e.source == "callback").count(),
            Err(_) => 0,
        }
    })
}

/// Waits until the callback about `order_id` is handled (the loop is how long the worker needs).
fn wait_handled(store: &str, order_id: &str) -> InboxEntry {
    for _ in 0..600 {
        let rows = inbox_row(store, order_id);
        if let [row] = rows.as_slice()
            && row.state == InboxState::Done
        {
            return row.clone();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!(
        "the callback about {order_id} was never handled: {:?}",
        inbox_row(store, order_id)
    );
}

/// Killed after the commit and before the `200`: the vendor saw no answer and redelivers. The restarted
/// receiver acknowledges the redelivery as a duplicate, and the stored message is handled once.
#[test]
fn sigkill_after_storing_before_answering_loses_nothing_and_handles_once() {
    for store in store_urls() {
        let (body, order_id) = callback();
        let first = Receiver::start(&store, Some("after-store"));
        let port = first.port;
        let unanswered = std::thread::spawn({
            let body = body.clone();
            move || post(port, &body)
        });
        first.wait_for("FAULT after-store: paused");
        first.sigkill();
        assert_eq!(
            unanswered.join().unwrap(),
            None,
            "{store}: no answer reached the vendor"
        );
        assert_eq!(
            inbox_row(&store, &order_id).len(),
            1,
            "{store}: stored before the answer"
        );

        let second = Receiver::start(&store, None);
        assert_eq!(
            second.post(&body).as_deref(),
            Some("HTTP/1.1 200 OK"),
            "{store}"
        );
        let row = wait_handled(&store, &order_id);
        assert_eq!(row.deliveries, 2, "{store}");
        // The first process's worker polls on its own too, so it may have claimed the stored message in the
        // moment before the kill (an attempt that never finished: its lease expired); the second process's
        // worker claims it once. Handled once either way: one ledger event.
        assert!((1..=2).contains(&row.attempts), "{store}: {row:?}");
        assert_eq!(ledger_callback_events(&store, &order_id), 1, "{store}");
        second.sigkill();
    }
}

/// Killed inside the order handler, after it wrote the ledger event and before that transaction (which also
/// completes the inbox message) committed. After the restart the lease expires, the message runs again, and
/// the ledger holds the event once.
#[test]
fn sigkill_during_the_handler_runs_it_again_and_records_once() {
    for store in store_urls() {
        let (body, order_id) = callback();
        let first = Receiver::start(&store, Some("in-handler"));
        assert_eq!(
            first.post(&body).as_deref(),
            Some("HTTP/1.1 200 OK"),
            "{store}"
        );
        first.wait_for(&format!("FAULT in-handler: paused (order {order_id})"));
        first.sigkill();
        assert_eq!(
            ledger_callback_events(&store, &order_id),
            0,
            "{store}: rolled back"
        );

        let second = Receiver::start(&store, None);
        assert_eq!(
            second.post(&body).as_deref(),
            Some("HTTP/1.1 200 OK"),
            "{store}: redelivery"
        );
        let row = wait_handled(&store, &order_id);
        assert_eq!(row.attempts, 2, "{store}: the killed run counts");
        assert_eq!(row.deliveries, 2, "{store}");
        assert_eq!(ledger_callback_events(&store, &order_id), 1, "{store}");
        second.sigkill();
    }
}

/// Handled, process gone, restarted: the redelivery is a duplicate (the UNIQUE key is in the database), the
/// handler does not run again.
#[test]
fn after_a_restart_a_redelivery_is_a_duplicate() {
    for store in store_urls() {
        let (body, order_id) = callback();
        let first = Receiver::start(&store, None);
        assert_eq!(
            first.post(&body).as_deref(),
            Some("HTTP/1.1 200 OK"),
            "{store}"
        );
        let row = wait_handled(&store, &order_id);
        // Printed once stored, with its inbox id.
        let printed = first.printed.recv_timeout(Duration::from_secs(10)).unwrap();
        let line: serde_json::Value = serde_json::from_str(&printed).unwrap();
        assert_eq!(line["inbox_id"], row.id, "{store}");
        assert_eq!(line["provider"], "xportcn", "{store}");
        assert!(printed.contains(&order_id), "{store}: {printed}");
        first.sigkill();
        let mut second = Receiver::start(&store, None);
        assert_eq!(
            second.post(&body).as_deref(),
            Some("HTTP/1.1 200 OK"),
            "{store}"
        );
        let row = wait_handled(&store, &order_id);
        assert_eq!((row.deliveries, row.attempts), (2, 1), "{store}");
        assert_eq!(ledger_callback_events(&store, &order_id), 1, "{store}");
        second.child_kill();
        assert_eq!(
            second.printed.try_iter().count(),
            0,
            "{store}: a duplicate is not printed"
        );
    }
}

/// Two receiver processes on one Postgres, the same callback to both at once: both acknowledge, it is
/// stored once and handled once.
#[test]
fn two_receivers_on_one_postgres_handle_a_callback_once() {
    let Some(store) = store_urls().into_iter().find(|u| u.starts_with("postgres")) else {
        return;
    };
    for _ in 0..5 {
        let (body, order_id) = callback();
        let (a, b) = (Receiver::start(&store, None), Receiver::start(&store, None));
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
        let send = |port: u16| {
            let (body, barrier) = (body.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                post(port, &body)
            })
        };
        let (to_a, to_b) = (send(a.port), send(b.port));
        assert_eq!(to_a.join().unwrap().as_deref(), Some("HTTP/1.1 200 OK"));
        assert_eq!(to_b.join().unwrap().as_deref(), Some("HTTP/1.1 200 OK"));
        let row = wait_handled(&store, &order_id);
        assert_eq!((row.deliveries, row.attempts), (2, 1));
        assert_eq!(ledger_callback_events(&store, &order_id), 1);
        a.sigkill();
        b.sigkill();
    }
}
