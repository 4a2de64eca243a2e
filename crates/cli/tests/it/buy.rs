//! `sourcing buy …`: the facade's steps from a shell, one JSON line per provider, with the exit codes of
//! the rest of the CLI (5 business error or partly failed batch, 6 refused before sending, 2 usage).

use serde_json::Value;
use std::process::{Command, Output};

fn sourcing(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sourcing"))
        .args(args)
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
fn search_on_all_providers_says_which_do_not_support_it() {
    let out = sourcing(&[
        "--sandbox",
        "buy",
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
    for line in [&dajisaas, &xportcn] {
        assert_eq!(line["unsupported"], true, "{line}");
        assert!(line["error"].as_str().unwrap().contains("keyword search"));
    }
    assert_eq!(out.status.code(), Some(6), "refused before sending");
}

#[test]
fn preview_states_the_money_unit() {
    let mut args = vec![
        "--sandbox",
        "buy",
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
    let id = "3300504350583134260";
    let out = sourcing(&[
        "--sandbox",
        "buy",
        "pay",
        "--provider",
        "xportcn",
        "--order-id",
        id,
        "--order-id",
        id,
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
        "detail",
        "--provider",
        "pandapon",
        "--product",
        "https://e.tb.cn/h.x",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("short link"));
}
