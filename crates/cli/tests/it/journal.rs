//! The ledger journals every order step whatever sends it: each entry keeps the profile (account) that
//! recorded it, and raw order-step commands (`sourcing pandapon order-pay-url`, …) record their intent
//! before sending and their raw answer after — through the built binary, against a loopback
//! `sourcing sandbox --port 0 --state FILE` that counts the requests it receives.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Output, Stdio};

/// A fresh directory: the tests' XDG config and data home, the ledger and the sandbox state.
fn fresh(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sourcing-journal-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("sourcing")).unwrap();
    dir
}

/// `sourcing ARGS` with nothing of the caller's environment that chooses credentials, profiles or the
/// store; `home` as its XDG config and data home; then `env`.
fn sourcing(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sourcing"));
    cmd.args(args).stdin(Stdio::null());
    for (k, _) in std::env::vars() {
        if ["PANDAPON_", "DAJISAAS_", "XPORTCN_", "SOURCING_"]
            .iter()
            .any(|p| k.starts_with(p))
        {
            cmd.env_remove(k);
        }
    }
    cmd.env("XDG_CONFIG_HOME", home)
        .env("XDG_DATA_HOME", home)
        .env_remove("RUST_LOG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run sourcing")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The JSON on stdout of a command that must succeed (one document, or the first JSON line).
fn json_of(out: &Output) -> Value {
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}{stdout}", text(&out.stderr));
    serde_json::from_str(&stdout)
        .or_else(|_| serde_json::from_str(stdout.lines().next().unwrap_or_default()))
        .unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

/// `sourcing sandbox --port 0 --state FILE`, stopped when dropped.
struct Sandbox {
    child: Child,
    port: u16,
    _stdout: BufReader<ChildStdout>,
}

impl Sandbox {
    fn start(state: &Path, seed: &[&str]) -> Sandbox {
        let mut args = vec![
            "sandbox".to_string(),
            "--port".into(),
            "0".into(),
            "--state".into(),
            state.display().to_string(),
        ];
        for order in seed {
            args.extend(["--seed-order".to_string(), format!("pandapon:{order}")]);
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_sourcing"))
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        // It prints its address (the real port) and the public test credentials once it listens.
        let mut port = None;
        let mut banner = String::new();
        while port.is_none() {
            let mut line = String::new();
            if stdout.read_line(&mut line).unwrap() == 0 {
                panic!("the sandbox ended before printing its port: {banner}");
            }
            banner.push_str(&line);
            port = line
                .split("http://127.0.0.1:")
                .nth(1)
                .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
                .and_then(|p| p.parse::<u16>().ok())
                .filter(|p| *p != 0);
        }
        assert!(
            banner.contains("sandbox-access-key") || {
                // The credentials may follow the address: read until they are shown.
                loop {
                    let mut line = String::new();
                    if stdout.read_line(&mut line).unwrap() == 0 {
                        break false;
                    }
                    banner.push_str(&line);
                    if line.contains("PANDAPON_ACCESS_SECRET") {
                        break true;
                    }
                }
            },
            "{banner}"
        );
        Sandbox {
            child,
            port: port.unwrap(),
            _stdout: stdout,
        }
    }

    fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}/pandapon", self.port)
    }

    /// `GET /_sandbox/requests`: how many `operation` requests PandaPon's side received.
    fn requests(&self, operation: &str) -> u64 {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        write!(
            stream,
            "GET /_sandbox/requests HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        // A chunked body: the JSON object is between the first `{` and the last `}`.
        let json = &body[body.find('{').unwrap_or(0)..=body.rfind('}').unwrap_or(0)];
        let counts: Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {answer}"));
        counts["pandapon"][operation].as_u64().unwrap_or(0)
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const ADDRESS: &[&str] = &[
    "--full-name",
    "Zhang San",
    "--mobile",
    "13800000000",
    "--province",
    "浙江省",
    "--city",
    "杭州市",
    "--street",
    "文一西路 969 号",
];

/// Two accounts at one provider (`[profiles.shop-a]`, `[profiles.shop-b]`, both PandaPon) buy
/// in one ledger (the config file's `store`); every entry keeps the profile it was recorded with, and
/// `ledger list --profile shop-a` shows only shop-a's orders.
#[test]
fn two_profiles_of_one_provider_buy_in_one_ledger() {
    let home = fresh("profiles");
    let sandbox = Sandbox::start(&home.join("sandbox-state.json"), &[]);
    let store = format!("sqlite:{}", home.join("shops.db").display());
    let profile = |name: &str, user: &str| {
        format!(
            "[profiles.{name}]\nprovider = \"pandapon\"\naccess_key = \"sandbox-access-key\"\n\
             access_secret = \"sandbox-access-secret\"\nuser_id = \"{user}\"\nbase_url = \"{}\"\n\n",
            sandbox.base_url()
        )
    };
    // The sandbox has one test account (it refuses a user id that is not its access key's), so both shops
    // sign with it: what tells them apart in the ledger is the profile that sent each step.
    let config = format!(
        "store = \"{store}\"\n\n{}{}",
        profile("shop-a", "2100007341207"),
        profile("shop-b", "2100007341207")
    );
    std::fs::write(home.join("sourcing/config.toml"), config).unwrap();
    let run = |args: &[&str]| sourcing(&home, args, &[]);
    let buy = |shop: &str, step: &str, rest: &[&str]| -> Value {
        let mut args = vec![
            "buy",
            step,
            "--provider",
            "pandapon",
            "--profile",
            shop,
            "--yes",
        ];
        args.extend_from_slice(rest);
        json_of(&run(&args))
    };

    let hits = buy("shop-a", "search", &["--keyword", "phone case"]);
    let offer = hits["result"]["hits"][0]["offer_id"]
        .as_str()
        .unwrap()
        .to_string();
    let detail = buy("shop-a", "detail", &["--product", &offer]);
    let spec = detail["result"]["skus"][0]["spec_id"].as_str().unwrap();
    let line = format!("{offer}:{spec}:2");
    let mut orders = Vec::new();
    for shop in ["shop-a", "shop-b"] {
        let mut args = vec!["--line", line.as_str()];
        args.extend_from_slice(ADDRESS);
        let created = buy(shop, "order", &args);
        let order = created["order_id"].as_str().unwrap().to_string();
        let paid = buy(shop, "pay", &["--order-id", &order]);
        assert_eq!(paid["ledger"]["state"], "paid", "{paid}");
        assert_eq!(paid["ledger"]["profile"], shop, "{paid}");
        orders.push(order);
    }
    assert_ne!(orders[0], orders[1]);
    assert_eq!(sandbox.requests("order_pay_url"), 2);

    let listed = |args: &[&str]| -> Vec<(String, String)> {
        let list = json_of(&run(&[&["ledger", "list"][..], args].concat()));
        list.as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["order_id"].as_str().unwrap_or_default().to_string(),
                    e["profile"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    };
    assert_eq!(
        listed(&["--profile", "shop-a"]),
        [(orders[0].clone(), "shop-a".to_string())]
    );
    assert_eq!(
        listed(&["--profile", "shop-b"]),
        [(orders[1].clone(), "shop-b".to_string())]
    );
    assert_eq!(listed(&[]).len(), 2, "one ledger holds both shops' orders");
    assert!(listed(&["--profile", "shop-c"]).is_empty());
    // `ledger show` and the table print it.
    let shown = json_of(&run(&["ledger", "show", &orders[1]]));
    assert_eq!(shown["order"]["profile"], "shop-b", "{shown}");
    let table = run(&["ledger", "list", "-o", "table", "--profile", "shop-a"]);
    let table = text(&table.stdout);
    assert!(
        table.lines().next().unwrap_or_default().contains("profile") && table.contains("shop-a"),
        "{table}"
    );
    drop(sandbox);
    let _ = std::fs::remove_dir_all(home);
}

const PAID_BY_BUY: &str = "2257455039610311973";
const PAID_RAW: &str = "2257455039610311974";

/// With only `SOURCING_STORE` set, `buy pay` and a raw `order-pay-url` both land in the ledger: the raw
/// answer is recorded unread (`answered_raw`) and the order stays `pay_unknown` until `ledger reconcile`
/// reads it. A raw payment of an order the ledger knows as paid, or whose payment is unknown, is refused
/// before sending (exit 6): the sandbox counts one payment per order.
#[test]
fn raw_payments_are_journaled_and_never_sent_twice() {
    let home = fresh("raw");
    let sandbox = Sandbox::start(&home.join("sandbox-state.json"), &[PAID_BY_BUY, PAID_RAW]);
    let store = home.join("orders.db");
    let base = sandbox.base_url();
    let env = [
        ("SOURCING_STORE", store.to_str().unwrap()),
        ("PANDAPON_ACCESS_KEY", "sandbox-access-key"),
        ("PANDAPON_ACCESS_SECRET", "sandbox-access-secret"),
        ("PANDAPON_USER_ID", "2100007341207"),
    ];
    let run = |args: &[&str]| sourcing(&home, args, &env);
    let raw_pay = |order: &str| {
        run(&[
            "pandapon",
            "order-pay-url",
            "--order-id",
            order,
            "--base-url",
            &base,
            "--yes",
        ])
    };
    let show = |order: &str| json_of(&run(&["ledger", "show", order]));
    let kinds = |entry: &Value| -> Vec<String> {
        entry["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap().to_string())
            .collect()
    };

    // `buy pay`: recorded paid.
    let out = run(&[
        "buy",
        "pay",
        "--provider",
        "pandapon",
        "--order-id",
        PAID_BY_BUY,
        "--base-url",
        &base,
        "--yes",
    ]);
    assert_eq!(json_of(&out)["ledger"]["state"], "paid");
    assert_eq!(sandbox.requests("order_pay_url"), 1);
    // A raw payment of it: refused before sending.
    let out = raw_pay(PAID_BY_BUY);
    assert_eq!(out.status.code(), Some(6), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("not sent") && text(&out.stderr).contains(PAID_BY_BUY),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(sandbox.requests("order_pay_url"), 1, "paid once, ever");
    assert_eq!(kinds(&show(PAID_BY_BUY)), ["pay_requested", "paid"]);

    // A raw payment: sent, its answer recorded unread, the order `pay_unknown`.
    let out = raw_pay(PAID_RAW);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("pay_unknown"),
        "{}",
        text(&out.stderr)
    );
    let answer = json_of(&out);
    assert_eq!(sandbox.requests("order_pay_url"), 2);
    let entry = show(PAID_RAW);
    assert_eq!(entry["order"]["state"], "pay_unknown", "{entry}");
    assert_eq!(kinds(&entry), ["pay_requested", "answered_raw"]);
    assert_eq!(
        entry["events"][1]["detail"], answer,
        "the raw answer is kept whole"
    );
    // Its payment's outcome is unknown: a second one is refused until a read settles it.
    let out = raw_pay(PAID_RAW);
    assert_eq!(out.status.code(), Some(6), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("reconcile"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(sandbox.requests("order_pay_url"), 2);

    // `ledger reconcile` reads it (reads only) and settles it as paid.
    let out = run(&[
        "ledger",
        "reconcile",
        "--provider",
        "pandapon",
        "--base-url",
        &base,
        "--read-state-field",
        "/status",
        "--in-flight",
        "0",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(show(PAID_RAW)["order"]["state"], "paid");
    let out = raw_pay(PAID_RAW);
    assert_eq!(out.status.code(), Some(6), "{}", text(&out.stderr));
    assert_eq!(
        sandbox.requests("order_pay_url"),
        2,
        "one payment per order"
    );
    drop(sandbox);
    let _ = std::fs::remove_dir_all(home);
}

/// A raw write that is not an order step (the cart) is no ledger entry: the ledger is not even created;
/// `--help` says which writes are journaled.
#[test]
fn writes_that_are_not_order_steps_are_not_journaled() {
    let home = fresh("cart");
    let store = home.join("cart.db");
    let out = sourcing(
        &home,
        &[
            "--sandbox",
            "pandapon",
            "taobao-cart-add",
            "--body",
            r#"{"itemId": "1", "skuId": "2", "mpId": "1", "mpSkuId": "2", "quantity": 1}"#,
            "--store",
            store.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!store.exists(), "a cart write created the ledger");
    let help = sourcing(&home, &["pandapon", "order-pay-url", "--help"], &[]);
    let help = text(&help.stdout);
    for s in ["journaled", "answered_raw", "not order steps", "--store"] {
        assert!(help.contains(s), "{s:?} not in {help}");
    }
    let _ = std::fs::remove_dir_all(home);
}

/// A raw create is an entry of its own: its request recorded before sending, its raw answer after (unread:
/// no order id), `create_unknown`; `ledger reconcile` cannot read it without an order id and marks it for a
/// person rather than guessing.
#[test]
fn a_raw_create_is_recorded_unknown_and_reconcile_asks_a_person() {
    use sourcing_runtime::ExampleKind;
    let home = fresh("create");
    let op = sourcing_registry::find("dajisaas")
        .and_then(|p| p.find("order_create"))
        .unwrap();
    let example = op.examples_of(ExampleKind::Request).next().unwrap();
    let store = home.join("create.db");
    let store = store.to_str().unwrap();
    let run = |args: &[&str]| sourcing(&home, args, &[("SOURCING_STORE", store)]);
    let out = run(&[
        "--sandbox",
        "dajisaas",
        "order-create",
        "--body",
        example.json,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("create_unknown"),
        "{}",
        text(&out.stderr)
    );
    let list = json_of(&run(&["ledger", "list"]));
    let [entry] = list.as_array().unwrap().as_slice() else {
        panic!("{list}")
    };
    assert_eq!(entry["state"], "create_unknown", "{entry}");
    assert_eq!(entry["order_id"], Value::Null, "a raw answer is not read");
    let shown = json_of(&run(&["ledger", "show", "#1"]));
    let kinds: Vec<&str> = shown["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["create_requested", "answered_raw"], "{shown}");
    let sent: Value = serde_json::from_str(example.json).unwrap();
    assert_eq!(shown["events"][0]["detail"], sent, "the request as sent");

    let out = run(&["--sandbox", "ledger", "reconcile", "--in-flight", "0"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let entry = json_of(&run(&["ledger", "show", "#1"]));
    assert_eq!(entry["order"]["state"], "create_unknown", "{entry}");
    assert!(entry["order"]["needs_person"].is_string(), "{entry}");
    let _ = std::fs::remove_dir_all(home);
}

/// A raw receipt (`order-receive-goods`, flow role `receive`) is journaled like the facade's `buy receive`:
/// its intent under the body's `orderId` (not the sub-orders' `orderEntryIds`) before sending, its raw
/// answer after, and the order stays `receipt_unknown` until a read tells.
#[test]
fn a_raw_receipt_is_journaled_under_its_order_id() {
    let home = fresh("receive");
    let store = home.join("receive.db");
    let store = store.to_str().unwrap();
    let run = |args: &[&str]| sourcing(&home, args, &[("SOURCING_STORE", store)]);
    let order = "2257455039610311973";
    let body = format!(r#"{{"orderId": {order}, "orderEntryIds": [5623566355663655001]}}"#);
    let out = run(&[
        "--sandbox",
        "pandapon",
        "order-receive-goods",
        "--body",
        &body,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("receipt_unknown"),
        "{}",
        text(&out.stderr)
    );
    let shown = json_of(&run(&["ledger", "show", order]));
    assert_eq!(shown["order"]["state"], "receipt_unknown", "{shown}");
    let kinds: Vec<&str> = shown["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.last(), Some(&"answered_raw"), "{shown}");
    let missing = run(&[
        "--sandbox",
        "pandapon",
        "order-receive-goods",
        "--body",
        r#"{"orderEntryIds": [1]}"#,
    ]);
    assert_eq!(missing.status.code(), Some(2), "{}", text(&missing.stderr));
    assert!(
        text(&missing.stderr).contains("orderId"),
        "{}",
        text(&missing.stderr)
    );
    let _ = std::fs::remove_dir_all(home);
}

/// Every operation that creates an order, pays, cancels or confirms a receipt carries its flow role, so a raw
/// call of it is journaled: a non-idempotent write named like an order step without one is a spec mistake.
#[test]
fn every_order_step_operation_has_a_flow_role() {
    use sourcing_runtime::Effect;
    let order_step = |id: &str| {
        [
            "order_create",
            "create_order",
            "batch_create",
            "receive",
            "cancel",
        ]
        .iter()
        .any(|w| id.contains(w))
    };
    let mut missing = Vec::new();
    for p in sourcing_registry::providers() {
        for op in p.operations {
            let money = op.effect == Effect::Pay && !op.idempotent;
            if (money || (op.effect == Effect::Write && order_step(op.id)))
                && op.flow_role.is_none()
            {
                missing.push(format!("{} {}", p.name, op.id));
            }
        }
    }
    assert!(missing.is_empty(), "no x-flow-role: {missing:?}");
}
