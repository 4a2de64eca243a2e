//! The walk: one purchase from search to settled, on every provider, through the built `sourcing` binary as
//! separate processes — every id taken from the previous step's JSON output, none typed here. The sandbox state
//! and the ledger live in a fresh `XDG_DATA_HOME`; the sandbox pushes the vendor's callbacks to a
//! `sourcing webhooks --store` receiver on the same ledger. Also: the README's walk, run as written.

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_sourcing");

/// One person's machine: a data directory (sandbox state, ledger) and the processes started on it.
struct Machine {
    data: PathBuf,
    store: String,
    receivers: Vec<Child>,
}

impl Drop for Machine {
    fn drop(&mut self) {
        for child in &mut self.receivers {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

fn unique_dir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!("sourcing-{name}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

impl Machine {
    fn new() -> Self {
        let data = unique_dir("walk");
        let store = format!("sqlite:{}", data.join("orders.db").display());
        Machine { data, store, receivers: Vec::new() }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .env("XDG_DATA_HOME", &self.data)
            .env("XDG_CONFIG_HOME", &self.data)
            .env("SOURCING_STORE", &self.store)
            .env_remove("SOURCING_CONFIG")
            .env_remove("SOURCING_PROFILE");
        for p in ["PANDAPON", "DAJISAAS", "XPORTCN"] {
            for k in ["ACCESS_KEY", "ACCESS_SECRET", "USER_ID", "APP_KEY", "APP_SECRET", "BASE_URL"] {
                cmd.env_remove(format!("{p}_{k}"));
            }
        }
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Runs a step that must succeed and prints one JSON document (or one JSON line).
    fn json(&self, args: &[&str]) -> Value {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "`sourcing {}` exited {:?}\nstdout: {}\nstderr: {}",
            args.join(" "),
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("{e}: {text}"))
    }

    /// Starts `sourcing webhooks --store` for `provider` on a free port; its callback URL.
    fn receiver(&mut self, provider: &str) -> String {
        let mut child = self
            .command(&["webhooks", "--provider", provider, "--port", "0", "--store", &self.store])
            // Dajisaas pushes are verified with the app secret: the sandbox's public test one.
            .env("DAJISAAS_APP_KEY", sourcing_sandbox::credentials::APP_KEY)
            .env("DAJISAAS_APP_SECRET", sourcing_sandbox::credentials::APP_SECRET)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let url = listening_url(&mut child);
        self.receivers.push(child);
        url
    }
}

/// The first `http://…` address a server printed (stdout or stderr): where it listens.
fn listening_url(child: &mut Child) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    let out = child.stdout.take().unwrap();
    let err = child.stderr.take().unwrap();
    for stream in [Box::new(out) as Box<dyn std::io::Read + Send>, Box::new(err)] {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            seen.push(line.clone());
            let Some(start) = line.find("http://") else {
                continue;
            };
            let url: String = line[start..]
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != '"' && *c != ',')
                .collect();
            return url;
        }
    }
    panic!("the server printed no `http://…` address:\n{}", seen.join("\n"));
}

/// Polls `ledger show ORDER` until its history holds a callback (`reported…`), within `bound`.
fn wait_for_callback(m: &Machine, order: &str, bound: Duration) -> Value {
    let deadline = Instant::now() + bound;
    loop {
        let shown = m.run(&["ledger", "show", order]);
        if shown.status.success() {
            let entry: Value = serde_json::from_slice(&shown.stdout).unwrap();
            if kinds(&entry).iter().any(|k| k.starts_with("reported")) {
                return entry;
            }
        }
        assert!(
            Instant::now() < deadline,
            "no callback reached the ledger for {order}: {}",
            String::from_utf8_lossy(&shown.stdout)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn kinds(entry: &Value) -> Vec<String> {
    entry["events"]
        .as_array()
        .map(|events| {
            events
                .iter()
                .filter_map(|e| e["kind"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn text(v: &Value, pointer: &str) -> String {
    match v.pointer(pointer) {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        other => panic!("no {pointer} in the output ({other:?}): {v}"),
    }
}

/// The address every provider's order takes (Dajisaas requires the optional fields too).
const ADDRESS: &[&str] = &[
    "--full-name", "Zhang San", "--mobile", "13800000000", "--phone", "0571-88888888", "--post-code",
    "310000", "--province", "浙江省", "--city", "杭州市", "--district", "余杭区", "--town", "五常街道",
    "--street", "文一西路 969 号", "--district-code", "330110",
];

/// One provider's walk; the order id it settled and the wall time.
fn walk(m: &mut Machine, provider: &str) -> (String, Duration) {
    let started = Instant::now();
    let receiver = m.receiver(provider);
    m.json(&["sandbox", "callback", provider, &receiver]);
    let buy = |step: &str, rest: &[&str]| -> Value {
        let mut args = vec!["--sandbox", "buy", step, "--provider", provider];
        args.extend_from_slice(rest);
        m.json(&args)
    };
    let order = if provider == "xportcn" {
        // Xportcn publishes no create call: the sandbox holds an order to pay.
        text(&m.json(&["sandbox", "seed", "xportcn"]), "/order_id")
    } else {
        let hits = buy("search", &["--keyword", "phone case"]);
        let offer = text(&hits, "/result/hits/0/offer_id");
        let detail = buy("detail", &["--product", &offer]);
        let spec = text(&detail, "/result/skus/0/spec_id");
        let line = format!("{offer}:{spec}:2");
        let mut args = vec!["--line", line.as_str(), "--external-order-id"];
        let external = format!("walk-{provider}-{}", std::process::id());
        args.push(&external);
        args.extend_from_slice(ADDRESS);
        let created = buy("order", &args);
        text(&created, "/result/order_id")
    };
    let paid = buy("pay", &["--order-id", &order]);
    let outcome = &paid["result"]["outcome"];
    if outcome == "accepted" {
        // Dajisaas publishes no payment result: recorded unknown, settled by a read.
        assert_eq!(paid["ledger"]["state"], "pay_unknown", "{paid}");
        assert!(
            paid["next"].as_str().unwrap_or_default().contains("sourcing ledger reconcile"),
            "{paid}"
        );
        let settled = m.json(&["--sandbox", "ledger", "reconcile"]);
        assert!(settled.to_string().contains(&order), "{settled}");
    } else {
        assert_eq!(outcome, "paid", "{paid}");
    }
    let entry = wait_for_callback(m, &order, Duration::from_secs(20));
    assert_eq!(entry["order"]["state"], "paid", "{entry}");
    assert_eq!(entry["order"]["order_id"], order.as_str(), "{entry}");
    (order, started.elapsed())
}

#[test]
fn the_walk_from_search_to_paid_on_every_provider_with_ids_from_the_output() {
    let mut m = Machine::new();
    let mut orders = Vec::new();
    for provider in ["pandapon", "dajisaas", "xportcn"] {
        let (order, took) = walk(&mut m, provider);
        eprintln!("walk {provider}: order {order} paid in {took:?}");
        orders.push(order);
    }
    orders.sort();
    orders.dedup();
    assert_eq!(orders.len(), 3, "one sandbox state handed out the same id twice");
    let listed: Value = m.json(&["ledger", "list", "--state", "paid"]);
    assert_eq!(listed.as_array().map(Vec::len), Some(3), "{listed}");
}

/// The README's purchase session, run as written (bash, with the built `sourcing` first on PATH).
#[test]
fn the_readme_walk_runs_as_written() {
    if std::process::Command::new("jq").arg("--version").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "CI is set but jq is missing: .ci/run installs it");
        eprintln!("skipping the README walk: no jq");
        return;
    }
    let readme = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"),
    )
    .unwrap();
    let start = readme.find("<!-- walk:start -->").expect("README has no walk:start marker");
    let end = readme.find("<!-- walk:end -->").expect("README has no walk:end marker");
    let block = &readme[start..end];
    let script = block
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("the walk is a ```sh block");
    let dir = unique_dir("readme-walk");
    let bin_dir = Path::new(BIN).parent().unwrap();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let out = Command::new("bash")
        .arg("-euo")
        .arg("pipefail")
        .arg("-c")
        .arg(script)
        .current_dir(&dir)
        .env("PATH", path)
        .env("HOME", &dir)
        .env_remove("SOURCING_STORE")
        .env_remove("SOURCING_CONFIG")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "the README walk failed ({:?})\nstdout:\n{stdout}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.lines().last(), Some("paid"), "{stdout}");
}

/// A payment whose answer the sandbox drops: `buy pay` says it may have been paid (exit 7), the ledger holds
/// `pay_unknown`, and `ledger reconcile` settles it from a read — with exactly one payment request sent.
#[test]
fn a_dropped_payment_answer_is_settled_by_reconcile_with_one_payment_request() {
    let mut m = Machine::new();
    let state = m.data.join("standalone-state.json");
    let mut sandbox = m
        .command(&[
            "sandbox", "--port", "0", "--state", state.to_str().unwrap(),
            "--fault", "pay_protocol_pay=drop:1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let url = listening_url(&mut sandbox);
    m.receivers.push(sandbox);
    let base = format!("{}/dajisaas", url.trim_end_matches('/'));
    // The standalone sandbox is "live" to the CLI: its URL and its public test credentials.
    let live = |args: &[&str]| -> Output {
        m.command(args)
            .env("DAJISAAS_BASE_URL", &base)
            .env("DAJISAAS_APP_KEY", sourcing_sandbox::credentials::APP_KEY)
            .env("DAJISAAS_APP_SECRET", sourcing_sandbox::credentials::APP_SECRET)
            .output()
            .unwrap()
    };
    let json = |out: Output| -> Value {
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let buy = |step: &str, rest: &[&str]| -> Output {
        let mut args = vec!["buy", step, "--provider", "dajisaas"];
        args.extend_from_slice(rest);
        live(&args)
    };
    let offer = text(&json(buy("search", &["--keyword", "cup"])), "/result/hits/0/offer_id");
    let spec = text(&json(buy("detail", &["--product", &offer])), "/result/skus/0/spec_id");
    let line = format!("{offer}:{spec}:1");
    let mut args = vec!["--yes", "--line", line.as_str(), "--external-order-id", "drop-1"];
    args.extend_from_slice(ADDRESS);
    let order = text(&json(buy("order", &args)), "/result/order_id");

    let paid = buy("pay", &["--yes", "--order-id", &order]);
    assert_eq!(paid.status.code(), Some(7), "{}", String::from_utf8_lossy(&paid.stdout));
    let said: Value = serde_json::from_slice(&paid.stdout).unwrap();
    assert_eq!(said["outcome"], "unknown", "{said}");
    assert_eq!(said["recorded"], "pay_unknown", "{said}");
    assert!(said["error"].as_str().unwrap().contains("MAY HAVE BEEN PAID"), "{said}");

    let settled = json(live(&["ledger", "reconcile"]));
    let after = settled
        .as_array()
        .and_then(|all| all.iter().find(|s| s["order_id"] == order.as_str()))
        .unwrap_or_else(|| panic!("reconcile did not read {order}: {settled}"))["after"]
        .clone();
    assert!(after == "paid" || after == "created", "{settled}");

    let counts: Value = reqwest_get(&format!("{}/_sandbox/requests", url.trim_end_matches('/')));
    let pays = counts.pointer("/dajisaas/pay_protocol_pay").and_then(Value::as_u64);
    assert_eq!(pays, Some(1), "{counts}");
}

/// GET `url` as JSON (a blocking one-off client: the test is synchronous).
fn reqwest_get(url: &str) -> Value {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async { reqwest::get(url).await.unwrap().json().await.unwrap() })
}
