//! `sourcing buy …`: the facade's steps from a shell, one JSON line per provider, with the exit codes of
//! the rest of the CLI (5 business error or partly failed batch, 6 refused before sending, 2 usage).

use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

fn sourcing(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sourcing"))
        .args(args)
        // The ledger is always on: this test run's own (default) ledger, not the user's.
        .env("XDG_DATA_HOME", super::ledger::test_data_home())
        .env_remove("SOURCING_STORE")
        .output()
        .expect("run sourcing")
}

fn lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

const ADDRESS: &[&str] = &[
    "--full-name",
    "张三",
    "--mobile",
    "18888888888",
    "--phone",
    "18888888888",
    "--post-code",
    "000000",
    "--province",
    "浙江省",
    "--city",
    "杭州市",
    "--district",
    "滨江区",
    "--town",
    "长河镇",
    "--street",
    "网商路699号",
    "--district-code",
    "310107",
];

#[test]
fn search_on_all_providers_labels_unconfirmed_steps_and_skips_unsupported_ones() {
    let out = sourcing(&[
        "--sandbox",
        "buy",
        "--yes",
        "search",
        "--provider",
        "all",
        "--keyword",
        "phone case",
    ]);
    let [pandapon, dajisaas, xportcn] = lines(&out).try_into().unwrap();
    assert_eq!(pandapon["provider"], "pandapon");
    assert_eq!(pandapon["sandbox"], true);
    assert!(pandapon["result"]["hits"].is_array());
    assert_eq!(pandapon.get("unconfirmed"), None, "published");
    // Dajisaas's search is known only from third-party clients: reached, and labelled.
    assert_eq!(dajisaas["unconfirmed"], true, "{dajisaas}");
    assert!(
        dajisaas["result"]["hits"][0]["offer_id"].is_string(),
        "{dajisaas}"
    );
    assert_eq!(xportcn["unsupported"], true, "{xportcn}");
    assert!(
        xportcn["skipped"].as_str().unwrap().contains("keyword"),
        "{xportcn}"
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "skipped providers are not failures"
    );
}

#[test]
fn search_on_one_unsupported_provider_is_refused_before_sending() {
    let out = sourcing(&[
        "--sandbox",
        "buy",
        "--yes",
        "search",
        "--provider",
        "xportcn",
        "--keyword",
        "x",
    ]);
    let [line] = lines(&out).try_into().unwrap();
    assert_eq!(line["unsupported"], true);
    assert_eq!(out.status.code(), Some(6));
}

#[test]
fn preview_states_the_money_unit() {
    let mut args = vec![
        "--sandbox",
        "buy",
        "--yes",
        "preview",
        "--provider",
        "xportcn",
        "--line",
        "https://detail.1688.com/offer/889512351602.html:530ad00177264564503ec3b848650652:2",
    ];
    args.extend_from_slice(ADDRESS);
    let out = sourcing(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let [line] = lines(&out).try_into().unwrap();
    // The sandbox prices the lines asked for: the total is their sum plus freight, in fen.
    let raw = &line["result"]["raw"][0];
    let items = raw["orderItemTOList"].as_array().unwrap();
    assert_eq!(items.len(), 1, "only the line asked for: {raw}");
    assert_eq!(items[0]["specId"], "530ad00177264564503ec3b848650652");
    assert_eq!(
        items[0]["amount"].as_i64().unwrap(),
        2 * items[0]["finalUnitPrice"].as_i64().unwrap()
    );
    let fen = raw["sumPayment"].as_i64().unwrap();
    assert_eq!(
        fen,
        items[0]["amount"].as_i64().unwrap() + raw["sumCarriage"].as_i64().unwrap()
    );
    let total = &line["result"]["orders"][0]["total"];
    assert_eq!(total["unit"], "fen");
    assert_eq!(total["amount"].as_str(), Some(fen.to_string().as_str()));
    let yuan = total["yuan"].as_str().unwrap();
    let cents = match yuan.split_once('.') {
        Some((y, c)) => {
            y.parse::<i64>().unwrap() * 100 + format!("{c:0<2}").parse::<i64>().unwrap()
        }
        None => yuan.parse::<i64>().unwrap() * 100,
    };
    assert_eq!(cents, fen, "{total}");
    assert_eq!(
        line["result"]["orders"][0]["lines"][0]["offer_id"],
        "889512351602"
    );
}

#[test]
fn order_on_dajisaas_returns_the_documented_order_id() {
    let mut args = vec![
        "--sandbox",
        "buy",
        "--yes",
        "order",
        "--provider",
        "dajisaas",
        "--external-order-id",
        "T1",
        "--line",
        "623686863670:53a1eff0fa008b2b9f32a120b0a050f2:5",
    ];
    args.extend_from_slice(ADDRESS);
    let out = sourcing(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let [line] = lines(&out).try_into().unwrap();
    assert_eq!(line["result"]["order_id"].as_str().map(str::len), Some(19));
}

#[test]
fn a_partly_failed_batch_exits_5_and_prints_what_was_paid() {
    // The sandbox pays only orders it knows: an unknown 19-digit order fails, named exactly.
    let (id, other) = ("3300504350583134260", "3300504350583134261");
    let out = sourcing(&[
        "--sandbox",
        "buy",
        "--yes",
        "pay",
        "--provider",
        "xportcn",
        "--order-id",
        id,
        "--order-id",
        other,
    ]);
    assert_eq!(out.status.code(), Some(5));
    let [line] = lines(&out).try_into().unwrap();
    assert_eq!(line["paid"], serde_json::json!([]), "{line}");
    assert_eq!(line["failed"][0]["orderId"], id, "{line}");
    assert_eq!(line["raw"]["failedOrderList"][0]["orderId"], id, "{line}");
}

#[test]
fn a_link_that_is_not_a_product_is_a_usage_error() {
    let out = sourcing(&[
        "--sandbox",
        "buy",
        "--yes",
        "detail",
        "--provider",
        "pandapon",
        "--product",
        "https://e.tb.cn/h.x",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("short link"));
}

/// A loopback server answering each path with `{"code":200, …, "data": data}` (404 elsewhere), or, with
/// `drop`, closing every connection without an answer. Records the paths it was asked for.
struct TestServer {
    url: String,
    paths: Arc<Mutex<Vec<String>>>,
}

impl TestServer {
    fn start(routes: Vec<(&'static str, Value)>, drop: bool) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let paths = Arc::new(Mutex::new(Vec::new()));
        let seen = paths.clone();
        let routes: HashMap<_, _> = routes.into_iter().collect();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let Some(path) = read_request(&mut stream) else {
                    continue;
                };
                seen.lock().unwrap().push(path.clone());
                if drop {
                    continue; // closes the connection: the answer is lost
                }
                let (status, body) = match routes.get(path.as_str()) {
                    Some(data) => (
                        "200 OK",
                        json!({"code": 200, "msg": "成功", "message": "操作成功", "data": data})
                            .to_string(),
                    ),
                    None => ("404 Not Found", String::new()),
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        TestServer { url, paths }
    }

    fn paths(&self) -> Vec<String> {
        self.paths.lock().unwrap().clone()
    }
}

/// Reads one request (head and body); its path without the query.
fn read_request(stream: &mut std::net::TcpStream) -> Option<String> {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&data[..head_end]).to_string();
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap_or(0))
        })
        .unwrap_or(0);
    while data.len() < head_end + length {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        data.extend_from_slice(&buf[..n]);
    }
    let target = head.split_whitespace().nth(1)?;
    Some(target.split('?').next()?.to_string())
}

/// `sourcing` with only the given provider credentials in the environment (the others removed).
fn live(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sourcing"));
    for prefix in ["PANDAPON", "DAJISAAS", "XPORTCN"] {
        for key in [
            "ACCESS_KEY",
            "ACCESS_SECRET",
            "USER_ID",
            "APP_KEY",
            "APP_SECRET",
            "BASE_URL",
        ] {
            cmd.env_remove(format!("{prefix}_{key}"));
        }
    }
    cmd.envs(env.iter().copied())
        .args(args)
        .output()
        .expect("run sourcing")
}

const PANDAPON_CREDENTIALS: [(&str, &str); 3] = [
    ("PANDAPON_ACCESS_KEY", "test-key"),
    ("PANDAPON_ACCESS_SECRET", "test-secret"),
    ("PANDAPON_USER_ID", "1"),
];

fn temp_store(name: &str) -> (std::path::PathBuf, String) {
    let dir = std::env::temp_dir().join(format!("sourcing-buy-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite:{}", dir.join("ledger.db").display());
    (dir, url)
}

const ORDER: &str = "2257164624870311973";

#[test]
fn cancel_and_receive_reach_the_vendor_and_are_journaled() {
    let server = TestServer::start(
        vec![
            ("/alibaba/order/cancel", json!(true)),
            ("/alibaba/order/receivegoods", json!({"success": true})),
        ],
        false,
    );
    let (dir, store) = temp_store("cancel");
    let base = ["--base-url", server.url.as_str(), "--store", store.as_str()];
    let mut args = vec![
        "buy",
        "--yes",
        "cancel",
        "--provider",
        "pandapon",
        "--order-id",
        ORDER,
        "--reason",
        "不想要了",
    ];
    args.extend(base);
    let out = live(&args, &PANDAPON_CREDENTIALS);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let [line] = lines(&out).try_into().unwrap();
    assert_eq!(line["result"]["success"], true, "{line}");

    // Receipt of another order (a cancelled order is closed: the ledger sends nothing more on it).
    let received = "3305075341149134261";
    let mut args = vec![
        "buy",
        "--yes",
        "receive",
        "--provider",
        "pandapon",
        "--order-id",
        received,
        "--sub-order-id",
        received,
    ];
    args.extend(base);
    let out = live(&args, &PANDAPON_CREDENTIALS);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // And a receipt of the cancelled order is refused before sending.
    let mut args = vec![
        "buy",
        "--yes",
        "receive",
        "--provider",
        "pandapon",
        "--order-id",
        ORDER,
        "--sub-order-id",
        ORDER,
    ];
    args.extend(base);
    let out = live(&args, &PANDAPON_CREDENTIALS);
    assert_eq!(
        out.status.code(),
        Some(6),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(
        server.paths(),
        ["/alibaba/order/cancel", "/alibaba/order/receivegoods"]
    );
    // Each step is in its order's history.
    for (order, step) in [(ORDER, "cancel"), (received, "receipt")] {
        let out = sourcing(&["ledger", "show", order, "--store", &store]);
        let shown = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{shown} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(shown.contains(step), "{shown}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_payment_whose_answer_was_lost_exits_7_and_says_it_may_have_been_paid() {
    let server = TestServer::start(Vec::new(), true);
    let (dir, store) = temp_store("dropped");
    let out = live(
        &[
            "buy",
            "--yes",
            "pay",
            "--provider",
            "pandapon",
            "--order-id",
            ORDER,
            "--base-url",
            &server.url,
            "--store",
            &store,
        ],
        &PANDAPON_CREDENTIALS,
    );
    assert_eq!(
        out.status.code(),
        Some(7),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(server.paths().len(), 1, "sent once, never retried");
    let [line] = lines(&out).try_into().unwrap();
    let error = line["error"].as_str().unwrap();
    assert!(error.contains("MAY HAVE BEEN PAID"), "{error}");
    assert!(error.contains("pay_unknown"), "{error}");
    assert_eq!(line["outcome"], "unknown");
    assert_eq!(line["recorded"], "pay_unknown");
    assert_eq!(line["ledger"]["state"], "pay_unknown", "{line}");
    let next = line["next"].as_str().unwrap();
    assert!(
        next.starts_with(&format!(
            "sourcing ledger reconcile --provider pandapon --store {store}"
        )),
        "{next}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("MAY HAVE BEEN PAID"));

    // A lost answer on order creation: the same, for `create_unknown`.
    let mut args = vec![
        "buy",
        "--yes",
        "order",
        "--provider",
        "pandapon",
        "--line",
        "672991141190:cd2b8c31408766f9fb089e74e2a6ac15:2",
        "--base-url",
        &server.url,
        "--store",
        &store,
    ];
    args.extend_from_slice(ADDRESS);
    let out = live(&args, &PANDAPON_CREDENTIALS);
    assert_eq!(out.status.code(), Some(7));
    let [line] = lines(&out).try_into().unwrap();
    assert!(
        line["error"]
            .as_str()
            .unwrap()
            .contains("MAY HAVE BEEN CREATED"),
        "{line}"
    );
    assert_eq!(line["recorded"], "create_unknown");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn an_accepted_payment_prints_its_ledger_state_and_the_next_command() {
    let server = TestServer::start(
        vec![("/alibaba/trade/pay/protocolPay/preparePay", Value::Null)],
        false,
    );
    let (dir, store) = temp_store("accepted");
    let out = live(
        &[
            "buy",
            "--yes",
            "pay",
            "--provider",
            "dajisaas",
            "--order-id",
            ORDER,
            "--base-url",
            &server.url,
            "--store",
            &store,
        ],
        &[("DAJISAAS_APP_KEY", "k"), ("DAJISAAS_APP_SECRET", "s")],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let [line] = lines(&out).try_into().unwrap();
    assert_eq!(line["result"]["outcome"], "accepted", "{line}");
    assert!(line["ledger"]["state"].is_string(), "{line}");
    assert_eq!(line["ledger"]["order_id"], ORDER);
    let next = line["next"].as_str().unwrap();
    assert!(
        next.starts_with("sourcing ledger reconcile --provider dajisaas --store"),
        "{next}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn all_providers_runs_those_with_credentials_and_reads_at_the_configured_readings() {
    let server = TestServer::start(
        vec![(
            "/v2/alibaba/product/keywords/query",
            json!({"data": [{"subject": "壳", "offerId": 672991141190u64, "item": {"id": "706627393257"}}]}),
        )],
        false,
    );
    let mut env = PANDAPON_CREDENTIALS.to_vec();
    env.push(("PANDAPON_BASE_URL", server.url.as_str()));
    let args = ["buy", "search", "--provider", "all", "--keyword", "x"];
    let out = live(&args, &env);
    let [pandapon, dajisaas, xportcn] = lines(&out).try_into().unwrap();
    assert_eq!(
        pandapon["result"]["hits"][0]["offer_id"], "672991141190",
        "{pandapon}"
    );
    for skipped in [&dajisaas, &xportcn] {
        assert!(
            skipped["skipped"].as_str().unwrap().contains("not set"),
            "{skipped}"
        );
    }
    assert_eq!(out.status.code(), Some(0));
    // The reading switched in the environment; provider names in any case.
    env.push(("PANDAPON_SEARCH_HIT_OFFER_ID", "/item/id"));
    let out = live(
        &["buy", "search", "--provider", "PandaPon", "--keyword", "x"],
        &env,
    );
    let [line] = lines(&out).try_into().unwrap();
    assert_eq!(
        line["result"]["hits"][0]["offer_id"], "706627393257",
        "{line}"
    );
    // A reading that is not a pointer is a configuration error naming it.
    env.push(("PANDAPON_ORDER_STATE", "baseInfo.status"));
    let out = live(
        &["buy", "search", "--provider", "pandapon", "--keyword", "x"],
        &env,
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("PANDAPON_ORDER_STATE"));
}

#[test]
fn bad_lines_are_refused_before_sending_with_the_reason() {
    for (line, reason) in [
        (
            "623686863670:53a1eff0fa008b2b9f32a120b0a050f2:0",
            "out of range: order at least 1",
        ),
        (
            "623686863670:53a1eff0fa008b2b9f32a120b0a050f2:99999999999",
            "out of range: at most 4294967295",
        ),
        (
            "623686863670:53a1eff0fa008b2b9f32a120b0a050f2:2.5",
            "not a whole number",
        ),
    ] {
        let mut args = vec![
            "--sandbox",
            "buy",
            "--yes",
            "order",
            "--provider",
            "pandapon",
            "--line",
            line,
        ];
        args.extend_from_slice(ADDRESS);
        let out = sourcing(&args);
        assert_eq!(out.status.code(), Some(2), "{line}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(reason), "{line}: {stderr}");
    }
}

#[test]
fn an_order_id_of_another_length_is_refused_naming_the_length() {
    let out = sourcing(&[
        "--sandbox",
        "buy",
        "--yes",
        "status",
        "--provider",
        "pandapon",
        "--order-id",
        "22571646248703119731234",
    ]);
    assert_eq!(out.status.code(), Some(6));
    let [line] = lines(&out).try_into().unwrap();
    let error = line["error"].as_str().unwrap();
    assert!(
        error.contains("has 23 digits") && error.contains("19"),
        "{error}"
    );
}

/// An order id that is not digits (`null` from a failed step's `jq`) is a usage error naming it, and nothing
/// is recorded: the ledger was never created.
#[test]
fn an_order_id_that_is_not_digits_is_refused_before_the_ledger() {
    let data = std::env::temp_dir().join(format!("sourcing-buy-null-{}", std::process::id()));
    for step in ["pay", "cancel", "receive", "status"] {
        let out = Command::new(env!("CARGO_BIN_EXE_sourcing"))
            .args(["--sandbox", "buy", "--yes", step, "--provider", "dajisaas"])
            .args(["--order-id", "null"])
            .env("XDG_DATA_HOME", &data)
            .env_remove("SOURCING_STORE")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{step}: {stderr}");
        assert!(
            stderr.contains("`null` is not an order id"),
            "{step}: {stderr}"
        );
    }
    assert!(!data.join("sourcing/sandbox/ledger.db").exists());
}

#[test]
fn every_missing_dajisaas_field_is_named_in_one_error() {
    let out = sourcing(&[
        "--sandbox",
        "buy",
        "--yes",
        "order",
        "--provider",
        "dajisaas",
        "--line",
        "623686863670:53a1eff0fa008b2b9f32a120b0a050f2:5",
        "--full-name",
        "张三",
        "--mobile",
        "18888888888",
        "--province",
        "浙江省",
        "--city",
        "杭州市",
        "--street",
        "网商路699号",
    ]);
    assert_eq!(out.status.code(), Some(6));
    let [line] = lines(&out).try_into().unwrap();
    let error = line["error"].as_str().unwrap();
    for field in [
        "phone",
        "postCode",
        "areaText",
        "townText",
        "districtCode",
        "thirdOrderId",
    ] {
        assert!(error.contains(field), "{field}: {error}");
    }
}

#[test]
fn base_url_with_all_providers_or_with_the_sandbox_is_a_usage_error() {
    for args in [
        &[
            "buy",
            "--yes",
            "search",
            "--provider",
            "all",
            "--keyword",
            "x",
            "--base-url",
            "http://127.0.0.1:9",
        ][..],
        &[
            "--sandbox",
            "buy",
            "--yes",
            "search",
            "--provider",
            "pandapon",
            "--keyword",
            "x",
            "--base-url",
            "http://127.0.0.1:9",
        ],
    ] {
        let out = live(args, &PANDAPON_CREDENTIALS);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("--base-url"));
    }
}

#[test]
fn order_help_groups_its_options() {
    let out = sourcing(&["buy", "order", "--help"]);
    let help = String::from_utf8_lossy(&out.stdout);
    // Option lines (not the usage line): indented, then the flag.
    let at = |s: &str| {
        let option = format!("\n      {s}");
        let heading = format!("\n{s}");
        let found = if s.starts_with("--") {
            help.find(&option)
        } else {
            help.find(&heading)
        };
        found.unwrap_or_else(|| panic!("{s} missing: {help}"))
    };
    assert!(at("Common options:") < at("--sandbox"));
    assert!(at("Goods:") < at("--line") && at("--line") < at("Address:"));
    assert!(at("Address:") < at("--phone") && at("Address:") < at("--district-code"));
    assert!(at("--flow") < at("Address:"), "goods before the address");
}

/// The sandbox's own fault injection (`sourcing sandbox --fault order_pay_url=drop`) drops the payment's
/// answer: exit 7, recorded `pay_unknown`.
#[test]
fn a_payment_dropped_by_the_sandbox_fault_exits_7() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let mut sandbox = Command::new(env!("CARGO_BIN_EXE_sourcing"))
        .args(["sandbox", "--port", &port, "--fault", "order_pay_url=drop"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // It prints its banner once it listens.
    let mut banner = String::new();
    // (kept open until the sandbox ends: it may print more)
    let mut stdout = std::io::BufReader::new(sandbox.stdout.take().unwrap());
    std::io::BufRead::read_line(&mut stdout, &mut banner).unwrap();
    assert!(banner.contains(&port), "{banner}");
    let (dir, store) = temp_store("sandbox-drop");
    let base = format!("http://127.0.0.1:{port}/pandapon");
    let out = live(
        &[
            "buy",
            "--yes",
            "pay",
            "--provider",
            "pandapon",
            "--order-id",
            ORDER,
            "--base-url",
            &base,
            "--store",
            &store,
        ],
        &[
            ("PANDAPON_ACCESS_KEY", "sandbox-access-key"),
            ("PANDAPON_ACCESS_SECRET", "sandbox-access-secret"),
            ("PANDAPON_USER_ID", "2100007341207"),
        ],
    );
    let _ = sandbox.kill();
    let _ = sandbox.wait();
    drop(stdout);
    assert_eq!(
        out.status.code(),
        Some(7),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let [line] = lines(&out).try_into().unwrap();
    assert!(
        line["error"]
            .as_str()
            .unwrap()
            .contains("MAY HAVE BEEN PAID"),
        "{line}"
    );
    assert_eq!(line["ledger"]["state"], "pay_unknown", "{line}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn dajisaas_detail_reaches_the_third_party_endpoint_labelled_unconfirmed() {
    let out = sourcing(&[
        "--sandbox",
        "buy",
        "detail",
        "--provider",
        "dajisaas",
        "--product",
        "623686863670",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let [line] = lines(&out).try_into().unwrap();
    assert_eq!(line["unconfirmed"], true, "{line}");
    assert!(line["result"]["skus"].is_array(), "{line}");
    assert!(line["result"]["raw"].is_object(), "{line}");
}
