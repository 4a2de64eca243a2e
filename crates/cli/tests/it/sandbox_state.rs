//! The sandbox that remembers and calls back, through the built `sourcing` binary as separate processes:
//! `--sandbox` keeps orders between commands (in a temporary XDG_DATA_HOME), ids differ across providers,
//! seeded Xportcn orders pay, callbacks reach loopback receivers (and are retried from the state), `webhooks
//! send` signs, and the servers bind before printing, print the real port and stop cleanly on SIGTERM.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The binary under test (`SOURCING_BIN` names another build of it, e.g. where a shared target dir is
/// rebuilt by other checkouts).
fn bin() -> String {
    std::env::var("SOURCING_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_sourcing").to_string())
}

/// One user's data directory: every command run through it shares the `--sandbox` state.
struct Home(PathBuf);

impl Home {
    fn new(name: &str) -> Home {
        let dir = std::env::temp_dir().join(format!(
            "sourcing-it-{name}-{}-{:?}",
            std::process::id(),
            std::time::SystemTime::now()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Home(dir)
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(bin());
        cmd.args(args)
            .env("XDG_DATA_HOME", &self.0)
            .env_remove("SOURCING_SANDBOX_STATE")
            .env_remove("RUST_LOG");
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run sourcing")
    }

    /// Runs `args`, which must succeed; its stdout as JSON.
    fn json(&self, args: &[&str]) -> Value {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?}: {:?}\n{}\n{}",
            out.status,
            text(&out.stdout),
            text(&out.stderr)
        );
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", text(&out.stdout)))
    }

    fn state(&self) -> Value {
        let path = self.0.join("sourcing/sandbox-state.json");
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const ADDRESS: [&str; 10] = [
    "--full-name",
    "张三",
    "--mobile",
    "18600000000",
    "--province",
    "浙江省",
    "--city",
    "杭州市",
    "--street",
    "文一西路",
];

/// The order id a `buy order` printed (the facade's, else the raw answer's).
fn created_id(v: &Value) -> String {
    let result = &v["result"];
    result["order_id"]
        .as_str()
        .or(result["raw"]["orderId"].as_str())
        .unwrap_or_else(|| panic!("no order id in {v}"))
        .to_string()
}

/// Detail → order → pay → status as four processes; the `--line` is built from detail's output.
#[test]
fn create_pay_and_status_work_from_separate_commands() {
    let home = Home::new("walk");
    let product = home.json(&[
        "pandapon",
        "goods-detail",
        "--sandbox",
        "--offer-id",
        "610947572360",
    ]);
    let spec = product["productSkuInfos"][0]["specId"].as_str().unwrap();
    let line = format!("{}:{spec}:2", product["offerId"]);
    let mut args = vec![
        "buy",
        "order",
        "--sandbox",
        "--provider",
        "pandapon",
        "--line",
        &line,
    ];
    args.extend(ADDRESS);
    let id = created_id(&home.json(&args));
    assert_eq!(id.len(), 19, "{id}");

    let paid = home.json(&[
        "buy",
        "pay",
        "--sandbox",
        "--provider",
        "pandapon",
        "--order-id",
        &id,
    ]);
    assert_eq!(paid["result"]["outcome"], "paid", "{paid}");
    let status = home.json(&[
        "buy",
        "status",
        "--sandbox",
        "--provider",
        "pandapon",
        "--order-id",
        &id,
    ]);
    assert_eq!(
        status["result"]["raw"]["baseInfo"]["status"], "waitsellersend",
        "{status}"
    );
    let counts = home.json(&["sandbox", "counts"]);
    assert_eq!(counts["pandapon"]["order_create"], 1, "{counts}");
    assert_eq!(counts["pandapon"]["order_pay_url"], 1, "{counts}");
}

/// Seeded ids are 19 digits and never the same across providers; a seeded Xportcn order pays once.
#[test]
fn seeded_orders_differ_across_providers_and_xportcn_pays() {
    let home = Home::new("seed");
    let ids: Vec<String> = ["pandapon", "dajisaas", "xportcn", "pandapon"]
        .iter()
        .map(|p| {
            let v = home.json(&["sandbox", "seed", p]);
            assert_eq!(v["provider"], *p);
            v["order_id"].as_str().unwrap().to_string()
        })
        .collect();
    let distinct: std::collections::BTreeSet<&String> = ids.iter().collect();
    assert_eq!(distinct.len(), ids.len(), "{ids:?}");
    assert!(ids.iter().all(|id| id.len() == 19), "{ids:?}");
    // Another user's state draws another series.
    let other = Home::new("seed-other");
    let theirs = other.json(&["sandbox", "seed", "pandapon"]);
    assert_ne!(theirs["order_id"].as_str().unwrap(), ids[0]);

    let pay = |home: &Home| {
        home.run(&[
            "buy",
            "pay",
            "--sandbox",
            "--provider",
            "xportcn",
            "--order-id",
            &ids[2],
        ])
    };
    let first = pay(&home);
    assert!(first.status.success(), "{}", text(&first.stderr));
    let v: Value = serde_json::from_slice(&first.stdout).unwrap();
    assert_eq!(v["result"]["outcome"], "paid", "{v}");
    let again = pay(&home);
    assert!(
        !again.status.success(),
        "paid twice: {}",
        text(&again.stdout)
    );
    // A typed id is kept as given.
    let typed = home.json(&["sandbox", "seed", "xportcn", "3300000000000000042"]);
    assert_eq!(typed["order_id"], "3300000000000000042");
}

/// A loopback HTTP receiver answering the statuses of `script` in turn (then 200), recording bodies.
fn receiver(script: Vec<u16>) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/callbacks", listener.local_addr().unwrap());
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let seen = bodies.clone();
    std::thread::spawn(move || {
        let mut script = script.into_iter();
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream);
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            seen.lock().unwrap().push(text(&body));
            let status = script.next().unwrap_or(200);
            let _ = reader.get_mut().write_all(
                format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .as_bytes(),
            );
        }
    });
    (url, bodies)
}

/// The `--sandbox` state pushes the documented callback before the command exits; a refused one is kept
/// and the next command delivers it.
#[test]
fn callbacks_are_pushed_and_a_refused_one_is_retried_by_the_next_command() {
    let home = Home::new("callbacks");
    let (url, bodies) = receiver(vec![500]);
    home.json(&["sandbox", "callback", "xportcn", &url]);
    let id = home.json(&["sandbox", "seed", "xportcn"])["order_id"]
        .as_str()
        .unwrap()
        .to_string();
    let paid = home.json(&[
        "buy",
        "pay",
        "--sandbox",
        "--provider",
        "xportcn",
        "--order-id",
        &id,
    ]);
    assert_eq!(paid["result"]["outcome"], "paid");
    assert_eq!(bodies.lock().unwrap().len(), 1, "first attempt before exit");
    assert_eq!(home.state()["pending"].as_array().unwrap().len(), 1);
    // Any later command retries it once due (1 s after the refusal).
    for _ in 0..100 {
        if bodies.lock().unwrap().len() >= 2 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        home.json(&["sandbox", "counts"]);
    }
    let got = bodies.lock().unwrap().clone();
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0], got[1], "the retry repeats the body");
    let cb = sourcing_webhooks::formats::xportcn()
        .parse(got[1].as_bytes())
        .unwrap();
    assert_eq!(cb.order_id(), Some(id.as_str()));
    assert_eq!(cb.kind(), "ORDER_PAY_SUCCESS");
    assert!(home.state()["pending"].as_array().unwrap().is_empty());
    let cleared = home.json(&["sandbox", "callback", "xportcn", "--clear"]);
    assert_eq!(cleared["callback_url"], Value::Null);
}

/// A callback URL that is empty, relative or not HTTP is refused as a usage error naming it, and the state
/// keeps none (every push to it would fail).
#[test]
fn a_callback_url_that_is_not_http_is_refused() {
    let home = Home::new("callback-url");
    for bad in ["", "localhost:8090/cb", "ftp://127.0.0.1/cb"] {
        let out = home.run(&["sandbox", "callback", "xportcn", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains("is not a callback URL"),
            "{bad:?}: {}",
            text(&out.stderr)
        );
        let flag = format!("xportcn={bad}");
        let out = home.run(&["sandbox", "--port", "0", "--callback-url", &flag]);
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains("is not a callback URL"),
            "{bad:?}: {}",
            text(&out.stderr)
        );
    }
    // Nothing was saved: no state file, or one without a callback URL.
    if home.0.join("sourcing/sandbox-state.json").exists() {
        let state = home.state();
        let urls = &state["callback_urls"];
        assert!(
            urls.is_null() || urls.as_object().is_some_and(|m| m.is_empty()),
            "{state}"
        );
    }
}

/// Forward a child's output lines to a channel.
fn forward(out: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// The first line containing `needle` (waits up to a minute).
fn wait_line(lines: &mpsc::Receiver<String>, needle: &str) -> String {
    loop {
        match lines.recv_timeout(Duration::from_secs(60)) {
            Ok(line) if line.contains(needle) => return line,
            Ok(_) => {}
            Err(e) => panic!("never printed `{needle}`: {e}"),
        }
    }
}

/// The port of the first `http://127.0.0.1:PORT` in `line`.
fn port_in(line: &str) -> u16 {
    let rest = line.split("127.0.0.1:").nth(1).unwrap();
    rest.split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

fn sigterm(child: &mut Child) -> std::process::ExitStatus {
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    child.wait().unwrap()
}

/// `sourcing sandbox --port 0` prints the port it bound, serves `/_sandbox/requests`, keeps seeded
/// orders in its state file and exits 0 on SIGTERM.
#[test]
fn the_standalone_sandbox_prints_its_real_port_and_stops_on_sigterm() {
    let home = Home::new("standalone");
    let state = home.0.join("standalone.json");
    let mut child = home
        .command(&[
            "sandbox",
            "--port",
            "0",
            "--state",
            state.to_str().unwrap(),
            "--seed-order",
            "xportcn:3300000000000000007:1999",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines = forward(child.stdout.take().unwrap());
    let port = port_in(&wait_line(&lines, "sandbox listening on"));
    assert_ne!(port, 0);
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(b"GET /_sandbox/requests HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(reply.ends_with("{}"), "no request yet: {reply}");
    let status = sigterm(&mut child);
    assert_eq!(status.code(), Some(0), "{status:?}");
    let kept: Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    let order = &kept["orders"]["xportcn"]["3300000000000000007"];
    assert_eq!(order["state"], "waiting_for_payment", "{kept}");
    assert_eq!(order["goods_fen"], 1999);
}

/// `webhooks send` signs a Dajisaas callback the receiver verifies (200, exit 0, printed); a wrong key is
/// refused (401, exit non-zero); the receiver prints its real port and exits 0 on SIGTERM.
#[test]
fn webhooks_send_is_verified_by_the_receiver() {
    let home = Home::new("send");
    let mut child = home
        .command(&["webhooks", "--provider", "dajisaas", "--port", "0"])
        .env("DAJISAAS_APP_SECRET", "sandbox-app-secret")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let errs = forward(child.stderr.take().unwrap());
    let printed = forward(child.stdout.take().unwrap());
    let port = port_in(&wait_line(&errs, "receiving dajisaas callbacks"));
    let url = format!("http://127.0.0.1:{port}/");
    let send = |extra: &[&str], secret: &str| {
        let mut args = vec![
            "webhooks",
            "send",
            "--provider",
            "dajisaas",
            "--event",
            "paid",
            "--order-id",
            "3300000000000000123",
            "--to",
            &url,
        ];
        args.extend(extra);
        home.command(&args)
            .env("DAJISAAS_APP_SECRET", secret)
            .output()
            .unwrap()
    };
    let ok = send(&["--sandbox"], "unused");
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    let answer: Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(answer["status"], 200, "{answer}");
    let line = wait_line(&printed, "3300000000000000123");
    assert!(line.contains("WAIT_SELLER_SEND_GOODS"), "{line}");

    let forged = send(&[], "not-the-secret");
    assert!(!forged.status.success());
    let answer: Value = serde_json::from_slice(&forged.stdout).unwrap();
    assert_eq!(answer["status"], 401, "{answer}");
    wait_line(&errs, "401");

    let status = sigterm(&mut child);
    assert_eq!(status.code(), Some(0), "{status:?}");
}

/// The `--sandbox` state's callback is received by `sourcing webhooks --store` and recorded in the ledger.
#[test]
fn a_sandbox_callback_lands_in_the_ledger_through_the_durable_receiver() {
    let home = Home::new("store");
    let store = format!("sqlite:{}", home.0.join("ledger.db").display());
    let mut child = home
        .command(&[
            "webhooks",
            "--provider",
            "xportcn",
            "--port",
            "0",
            "--store",
            &store,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let errs = forward(child.stderr.take().unwrap());
    let printed = forward(child.stdout.take().unwrap());
    let port = port_in(&wait_line(&errs, "receiving xportcn callbacks"));
    home.json(&[
        "sandbox",
        "callback",
        "xportcn",
        &format!("http://127.0.0.1:{port}/"),
    ]);
    let id = home.json(&["sandbox", "seed", "xportcn"])["order_id"]
        .as_str()
        .unwrap()
        .to_string();
    home.json(&[
        "buy",
        "pay",
        "--sandbox",
        "--provider",
        "xportcn",
        "--order-id",
        &id,
    ]);
    wait_line(&printed, &id);
    // The worker records it from the inbox: poll the ledger until it shows the order.
    let mut shown = String::new();
    for _ in 0..100 {
        let out = home.run(&["ledger", "show", &id, "--store", &store]);
        shown = text(&out.stdout);
        if out.status.success() && shown.contains("ORDER_PAY_SUCCESS") {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(shown.contains("ORDER_PAY_SUCCESS"), "{shown}");
    assert!(shown.contains("paid"), "{shown}");
    assert_eq!(sigterm(&mut child).code(), Some(0));
}

/// Commands run at the same time on one `--sandbox` state never lose each other's orders.
#[test]
fn concurrent_commands_keep_every_order() {
    let home = Home::new("concurrent");
    let children: Vec<Child> = (0..6)
        .map(|i| {
            let provider = ["pandapon", "dajisaas", "xportcn"][i % 3];
            home.command(&["sandbox", "seed", provider])
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut ids = std::collections::BTreeSet::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        ids.insert((
            v["provider"].as_str().unwrap().to_string(),
            v["order_id"].as_str().unwrap().to_string(),
        ));
    }
    assert_eq!(ids.len(), 6, "{ids:?}");
    let state = home.state();
    for (provider, id) in &ids {
        assert_eq!(
            state["orders"][provider][id]["state"], "waiting_for_payment",
            "{provider} {id} lost: {state}"
        );
    }
}

/// Dajisaas' signed callback from the `--sandbox` state is verified by `sourcing webhooks --store` (the app
/// secret is the sandbox's) and recorded in the ledger under the order id.
#[test]
fn a_dajisaas_sandbox_callback_is_verified_and_recorded() {
    let home = Home::new("dajisaas-store");
    let store = format!("sqlite:{}", home.0.join("ledger.db").display());
    let mut child = home
        .command(&[
            "webhooks",
            "--provider",
            "dajisaas",
            "--port",
            "0",
            "--store",
            &store,
        ])
        .env("DAJISAAS_APP_SECRET", "sandbox-app-secret")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let errs = forward(child.stderr.take().unwrap());
    let printed = forward(child.stdout.take().unwrap());
    let port = port_in(&wait_line(&errs, "receiving dajisaas callbacks"));
    home.json(&[
        "sandbox",
        "callback",
        "dajisaas",
        &format!("http://127.0.0.1:{port}/"),
    ]);
    let id = home.json(&["sandbox", "seed", "dajisaas"])["order_id"]
        .as_str()
        .unwrap()
        .to_string();
    let paid = home.json(&[
        "buy",
        "pay",
        "--sandbox",
        "--provider",
        "dajisaas",
        "--order-id",
        &id,
    ]);
    assert_eq!(paid["result"]["order_id"], id.as_str(), "{paid}");
    let line = wait_line(&printed, &id);
    assert!(line.contains("\"signature_verified\":true"), "{line}");
    let mut shown = String::new();
    for _ in 0..100 {
        let out = home.run(&["ledger", "show", &id, "--store", &store]);
        shown = text(&out.stdout);
        if out.status.success() && shown.contains("WAIT_SELLER_SEND_GOODS") {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(shown.contains("WAIT_SELLER_SEND_GOODS"), "{shown}");
    assert_eq!(sigterm(&mut child).code(), Some(0));
}
